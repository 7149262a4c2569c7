"""An aiosmtpd handler for goldcard's mail tests: a Maildir mailbox (like
aiosmtpd.handlers.Mailbox) that refuses, with a 550 reply, every recipient whose address
contains "refuse".

    PYTHONPATH=tests/support \
        python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c refusing_smtpd.Handler DIR
"""

from aiosmtpd.handlers import Mailbox


class Handler(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "refuse" in address.lower():
            return f"550 5.1.1 <{address}>: recipient refused by the test server"
        envelope.rcpt_tos.append(address)
        return "250 OK"
