//! Real SMTP servers for the tests: `python3 -m aiosmtpd` on a free port of
//! 127.0.0.1, writing what it accepts into Maildir folders, stopped (killed) and restarted
//! at will on the same port. Each start writes into a new folder (aiosmtpd wants one that
//! does not exist yet); [`SmtpServer::received`] reads them all.

use serde::Deserialize;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

/// Which aiosmtpd handler the server runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handler {
    /// `aiosmtpd.handlers.Mailbox`: accepts everything.
    Mailbox,
    /// `refusing_smtpd.Handler` (tests/support): refuses recipients containing "refuse".
    Refusing,
}

/// A message the server accepted, as `tests/support/read_maildir.py` reads it.
#[derive(Debug, Clone, Deserialize)]
pub struct Received {
    /// The Maildir folder (one per start of the server).
    pub folder: String,
    /// `Message-ID`.
    pub message_id: String,
    /// `Subject`, decoded.
    pub subject: String,
    /// `To`.
    pub to: String,
    /// The envelope recipients.
    pub rcpt_tos: String,
    /// `Auto-Submitted`.
    pub auto_submitted: String,
    /// The text/plain part.
    pub text: Option<String>,
    /// The text/html part.
    pub html: Option<String>,
}

/// An aiosmtpd server on 127.0.0.1, killed when dropped.
pub struct SmtpServer {
    port: u16,
    handler: Handler,
    root: tempfile::TempDir,
    starts: usize,
    child: Option<Child>,
}

fn python() -> String {
    std::env::var("GOLDCARD_TEST_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

fn support_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("support")
}

/// Fails the test at once when aiosmtpd is missing: no test skips itself.
fn require_aiosmtpd() {
    static CHECK: Once = Once::new();
    CHECK.call_once(|| {
        let ok = Command::new(python())
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "the Python module aiosmtpd is not installed for `{}`: the mail tests need a real SMTP \
             server. Run the test suite with `scripts/test` (scripts/test-services installs it with pip), \
             or `pip install aiosmtpd`.",
            python()
        );
    });
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl SmtpServer {
    /// A server on a free port, not started yet: connections to it are refused.
    pub fn reserve(handler: Handler) -> SmtpServer {
        require_aiosmtpd();
        SmtpServer {
            port: free_port(),
            handler,
            root: tempfile::tempdir().unwrap(),
            starts: 0,
            child: None,
        }
    }

    /// A running server.
    pub fn start(handler: Handler) -> SmtpServer {
        let mut server = SmtpServer::reserve(handler);
        server.up();
        server
    }

    /// `smtp://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn folder(&self, start: usize) -> PathBuf {
        self.root.path().join(format!("maildir-{start}"))
    }

    /// Starts the server (into a new Maildir folder) and waits until it answers.
    pub fn up(&mut self) {
        assert!(self.child.is_none(), "the SMTP server is already running");
        self.starts += 1;
        let folder = self.folder(self.starts);
        let log = self.root.path().join(format!("aiosmtpd-{}.log", self.starts));
        let class = match self.handler {
            Handler::Mailbox => "aiosmtpd.handlers.Mailbox",
            Handler::Refusing => "refusing_smtpd.Handler",
        };
        let mut child = Command::new(python())
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["-c", class])
            .arg(&folder)
            .env("PYTHONPATH", support_dir())
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(&log).unwrap().try_clone().unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{} -m aiosmtpd`: {e}", python()));
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "aiosmtpd exited ({status}) before listening on {}:\n{}",
                    self.port,
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            if TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).is_ok() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not listen on {} within 20 s:\n{}",
                self.port,
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
        self.child = Some(child);
    }

    /// Stops the server the hard way (SIGKILL), as a crash or a network cut would.
    pub fn down(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Everything the server accepted, over all its starts.
    pub fn received(&self) -> Vec<Received> {
        let folders: Vec<PathBuf> = (1..=self.starts).map(|s| self.folder(s)).collect();
        let out = Command::new(python())
            .arg(support_dir().join("read_maildir.py"))
            .args(&folders)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "read_maildir.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.down();
    }
}

/// The first run of exactly six digits in a text (a sign-in code).
pub fn six_digits(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(5)).find_map(|i| {
        let run = &bytes[i..i + 6];
        let before = i.checked_sub(1).map(|j| bytes[j].is_ascii_digit()).unwrap_or(false);
        let after = bytes.get(i + 6).is_some_and(u8::is_ascii_digit);
        (run.iter().all(u8::is_ascii_digit) && !before && !after).then(|| String::from_utf8_lossy(run).into_owned())
    })
}

/// Waits (up to 30 s) for the `n`th mail to `to` and returns the sign-in code in its text;
/// fails if the code is in the subject.
pub async fn code_mailed(smtp: &SmtpServer, to: &str, n: usize) -> String {
    let start = std::time::Instant::now();
    loop {
        let mails: Vec<_> = smtp.received().into_iter().filter(|m| m.rcpt_tos == to).collect();
        if mails.len() >= n {
            let mail = &mails[n - 1];
            assert!(
                six_digits(&mail.subject).is_none(),
                "the code is in the subject: {}",
                mail.subject
            );
            return six_digits(mail.text.as_deref().unwrap_or_default()).expect("a 6-digit code in the mail");
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "no code mailed to {to}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
