//! Notification mail for goldcard.
//!
//! Transitions write outbox rows in the same transaction as the state change (see
//! `goldcard_store::apply`); this crate turns them into mail and sends it:
//!
//! - [`templates`]: one template per notification, each with a subject, an HTML part and
//!   a text part in Traditional Chinese and English (the recipient's language first),
//!   rendered with maud so that everything taken from a case is escaped;
//! - [`transport`]: SMTP through lettre when `GOLDCARD_SMTP_URL` is set, `.eml` files in a
//!   folder (`data/outbox/`) otherwise;
//! - [`dispatcher`]: claims due outbox rows, sends them with their stable `Message-ID`,
//!   marks them sent only once the server accepted them, retries with exponential backoff
//!   while the server is unreachable and marks a row failed when the server refuses it.

pub mod dispatcher;
pub mod templates;
pub mod transport;

pub use dispatcher::{DispatchError, Letterhead, Report, dispatch_once};
pub use templates::{Addressee, DocumentNames, KNOWN_TEMPLATES, Locale, Rendered, Template, TemplateError, render};
pub use transport::{FileOutbox, Mailer, SendError, Transport, TransportError};

/// The sender used when `GOLDCARD_MAIL_FROM` is not set.
pub const DEFAULT_MAIL_FROM: &str = "Taiwan Gold Card Office <no-reply@goldcard.example>";

/// Where mail is written as `.eml` files when `GOLDCARD_SMTP_URL` is not set.
pub const DEFAULT_OUTBOX_DIR: &str = "data/outbox";
