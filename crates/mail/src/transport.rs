//! Where mail goes: an SMTP server (lettre, over rustls when the URL asks for TLS) when
//! `GOLDCARD_SMTP_URL` is set, `.eml` files in a folder otherwise. Both say how a send
//! failed in the terms the dispatcher acts on ([`SendError`]).

use lettre::transport::smtp::Error as SmtpError;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long one SMTP command may take before the server counts as unreachable.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Something that delivers a formatted message.
pub trait Mailer: Send + Sync {
    /// Delivers `message`; `Ok` only once the receiving side has accepted it.
    fn send(&self, message: &Message) -> impl Future<Output = Result<(), SendError>> + Send;
}

/// Why a message was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The server refused this message for good (a 5xx reply, e.g. an unknown
    /// recipient): sending it again would not help.
    #[error("{0}")]
    Rejected(String),
    /// The server turned this message away for now (a 4xx reply): try it again later.
    #[error("{0}")]
    Deferred(String),
    /// The server could not be reached or dropped the connection: try again later, and
    /// do not bother with other messages now.
    #[error("{0}")]
    Unavailable(String),
}

impl From<SmtpError> for SendError {
    fn from(e: SmtpError) -> SendError {
        let text = e.to_string();
        match e.status().map(|code| code.to_string()) {
            // 421: the server is closing the channel, whatever the message
            Some(code) if code == "421" => SendError::Unavailable(text),
            _ if e.is_permanent() => SendError::Rejected(text),
            _ if e.is_transient() => SendError::Deferred(text),
            // the client refused to send this message (e.g. an address the server cannot take)
            _ if e.is_client() => SendError::Rejected(text),
            _ => SendError::Unavailable(text),
        }
    }
}

/// A configuration that cannot give a transport.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// `GOLDCARD_SMTP_URL` is not a usable SMTP URL.
    #[error("GOLDCARD_SMTP_URL is not a usable SMTP URL (smtp://host:port or smtps://host:port): {0}")]
    SmtpUrl(String),
}

/// The configured way out for mail.
#[derive(Clone)]
pub enum Transport {
    /// An SMTP server (`smtp://host:port`, `smtps://host:port`, or
    /// `smtp://host:port?tls=required` for STARTTLS; credentials in the URL's user info).
    Smtp {
        /// lettre's pooled SMTP client.
        client: AsyncSmtpTransport<Tokio1Executor>,
        /// The URL without its credentials, for logs.
        endpoint: String,
    },
    /// `.eml` files in a folder.
    Files(FileOutbox),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Transport {
    /// The transport `GOLDCARD_SMTP_URL` asks for: SMTP when it is set (and not blank),
    /// files in `outbox_dir` otherwise. Call it inside a Tokio runtime (see [`Transport::smtp`]).
    pub fn from_config(smtp_url: Option<&str>, outbox_dir: impl Into<PathBuf>) -> Result<Transport, TransportError> {
        match smtp_url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => Transport::smtp(url),
            None => Ok(Transport::Files(FileOutbox::new(outbox_dir))),
        }
    }

    /// An SMTP transport from a URL. Call it inside a Tokio runtime: the connection pool
    /// starts a task.
    pub fn smtp(url: &str) -> Result<Transport, TransportError> {
        let client = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| TransportError::SmtpUrl(e.to_string()))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Transport::Smtp {
            client,
            endpoint: without_credentials(url),
        })
    }

    /// Where mail goes, for logs (never with credentials).
    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp { endpoint, .. } => format!("SMTP {endpoint}"),
            Transport::Files(files) => format!(".eml files in {}", files.dir().display()),
        }
    }
}

impl Mailer for Transport {
    async fn send(&self, message: &Message) -> Result<(), SendError> {
        match self {
            Transport::Smtp { client, .. } => client.send(message.clone()).await.map(|_| ()).map_err(SendError::from),
            Transport::Files(files) => files.send(message).await,
        }
    }
}

/// `smtp://user:secret@host:25` → `smtp://host:25`.
fn without_credentials(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
            format!("{scheme}://{rest}")
        }
        None => url.to_string(),
    }
}

/// Writes each message as `<message-id>.eml` in a folder. The name comes from the
/// message's `Message-ID`, so sending the same outbox row again replaces its file rather
/// than adding one; the file appears whole (written beside, then renamed).
#[derive(Debug, Clone)]
pub struct FileOutbox {
    dir: PathBuf,
}

impl FileOutbox {
    /// Mail written under `dir`, created when the first message is written.
    pub fn new(dir: impl Into<PathBuf>) -> FileOutbox {
        FileOutbox { dir: dir.into() }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file a message with this `Message-ID` is written to.
    pub fn path_for(&self, message_id: &str) -> PathBuf {
        let name: String = message_id
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '@' | '.' | '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.dir.join(format!("{name}.eml"))
    }
}

impl Mailer for FileOutbox {
    async fn send(&self, message: &Message) -> Result<(), SendError> {
        let message_id = message
            .headers()
            .get_raw(MESSAGE_ID)
            .ok_or_else(|| SendError::Rejected("the message has no Message-ID".into()))?;
        let path = self.path_for(message_id);
        let partial = path.with_extension("eml.partial");
        let unavailable = |what: &str, e: std::io::Error| SendError::Unavailable(format!("{what}: {e}"));
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(|e| unavailable(&format!("creating {}", self.dir.display()), e))?;
        tokio::fs::write(&partial, message.formatted())
            .await
            .map_err(|e| unavailable(&format!("writing {}", partial.display()), e))?;
        tokio::fs::rename(&partial, &path)
            .await
            .map_err(|e| unavailable(&format!("renaming to {}", path.display()), e))?;
        Ok(())
    }
}

/// The header the file name comes from.
const MESSAGE_ID: &str = "Message-ID";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_stay_out_of_logs() {
        assert_eq!(
            without_credentials("smtp://me:secret@mail.example:587"),
            "smtp://mail.example:587"
        );
        assert_eq!(without_credentials("smtp://127.0.0.1:2525"), "smtp://127.0.0.1:2525");
    }

    #[tokio::test]
    async fn the_configuration_picks_the_transport() {
        let files = Transport::from_config(None, "data/outbox").map(|t| t.describe());
        assert_eq!(files.ok().as_deref(), Some(".eml files in data/outbox"));
        let blank = Transport::from_config(Some("  "), "x").map(|t| t.describe());
        assert_eq!(blank.ok().as_deref(), Some(".eml files in x"));
        let smtp = Transport::from_config(Some("smtp://127.0.0.1:2525"), "x").map(|t| t.describe());
        assert_eq!(smtp.ok().as_deref(), Some("SMTP smtp://127.0.0.1:2525"));
        let tls = Transport::from_config(Some("smtps://mail.example"), "x").map(|t| t.describe());
        assert_eq!(tls.ok().as_deref(), Some("SMTP smtps://mail.example"));
        assert!(matches!(
            Transport::from_config(Some("http://example.com"), "x"),
            Err(TransportError::SmtpUrl(_))
        ));
    }

    #[test]
    fn file_names_come_from_the_message_id() {
        let outbox = FileOutbox::new("/tmp/o");
        assert_eq!(
            outbox.path_for("<0123abcd@goldcard>"),
            PathBuf::from("/tmp/o/0123abcd@goldcard.eml")
        );
        assert_eq!(outbox.path_for("<../x/y@z>"), PathBuf::from("/tmp/o/.._x_y@z.eml"));
    }
}
