"""Prints, as one JSON array, the messages in the Maildir folders given as arguments
(those aiosmtpd's Mailbox handler writes): Message-ID, decoded subject, recipients and
both bodies. goldcard's mail tests read what the SMTP server received through this."""

import email
import email.policy
import json
import mailbox
import os
import sys


def body(message, kind):
    part = message.get_body(preferencelist=(kind,))
    return part.get_content() if part is not None else None


def main(dirs):
    out = []
    for d in dirs:
        if not os.path.isdir(d):
            continue
        box = mailbox.Maildir(d, factory=None, create=False)
        for key in box.keys():
            message = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
            out.append(
                {
                    "folder": d,
                    "message_id": str(message["Message-ID"] or ""),
                    "subject": str(message["Subject"] or ""),
                    "to": str(message["To"] or ""),
                    "rcpt_tos": str(message["X-RcptTo"] or ""),
                    "auto_submitted": str(message["Auto-Submitted"] or ""),
                    "text": body(message, "plain"),
                    "html": body(message, "html"),
                }
            )
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1:])
