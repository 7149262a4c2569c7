//! The outbox dispatcher: sends the rows transitions wrote to the `outbox` table.
//!
//! A row goes `pending` → `sending` (claimed) → `sent` or `failed`, or back to `pending`
//! with a later `next_attempt_at` when it should be tried again:
//!
//! - **Claiming.** Several goldcard instances may dispatch from one database. A row is
//!   taken with one guarded `UPDATE … SET status = 'sending', next_attempt_at = now +
//!   CLAIM_TTL WHERE id = ? AND status IN ('pending', 'sending') AND next_attempt_at <=
//!   now`: only one instance's update matches. While a row is `sending`, its
//!   `next_attempt_at` is the claim's expiry; a row left `sending` by an instance that died
//!   is due again once it expires.
//! - **Sent only when accepted.** A row is marked `sent` after the server accepted the
//!   message. A crash between the two sends it again later with the same `Message-ID`
//!   (the row's, fixed when the transition wrote it), so the copy can be recognised:
//!   delivery is at least once, and twice only across such a crash.
//! - **Retries.** A connection failure or a 4xx reply puts the row back to `pending`
//!   with `attempts + 1`, `last_error` and `next_attempt_at = now + backoff` (30 s doubling
//!   up to an hour, [`backoff`]). When the server cannot be reached at all, the rest of the
//!   batch is put off the same way without trying each row.
//! - **Failures.** A 5xx reply for a row (e.g. a refused recipient), an account that is
//!   gone or inactive, or a row no template can render marks that row `failed` with the
//!   reason; the other rows go on.

use crate::templates::{self, Addressee, DocumentNames, Locale};
use crate::transport::{Mailer, SendError};
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use goldcard_store::entity::{accounts, outbox};
use lettre::Message;
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// A row waiting to be sent (or to be tried again).
pub const STATUS_PENDING: &str = "pending";
/// A row claimed by a dispatcher; `next_attempt_at` is when the claim expires.
pub const STATUS_SENDING: &str = "sending";
/// A row the server accepted.
pub const STATUS_SENT: &str = "sent";
/// A row that will not be sent: refused by the server, or no recipient or template.
pub const STATUS_FAILED: &str = "failed";

/// How long a claim holds: longer than any send takes (lettre's timeout is per command).
pub const CLAIM_TTL: TimeDelta = TimeDelta::minutes(10);

/// The first retry's delay; each further attempt doubles it.
const FIRST_RETRY: TimeDelta = TimeDelta::seconds(30);
/// The longest delay between two attempts.
const LONGEST_RETRY: TimeDelta = TimeDelta::hours(1);

/// Rows taken per round by the `outbox_dispatch` job.
pub const BATCH: u64 = 50;

/// The delay before the next attempt of a row that has failed `attempts` times before
/// this one: 30 s, 1 min, 2 min, … at most an hour.
pub fn backoff(attempts: i32) -> TimeDelta {
    let doublings = attempts.clamp(0, 16) as u32;
    let delay = FIRST_RETRY * 2i32.pow(doublings);
    delay.min(LONGEST_RETRY)
}

/// Who mail comes from, and the names documents are given in it.
#[derive(Debug, Clone)]
pub struct Letterhead {
    /// The `From` mailbox (`GOLDCARD_MAIL_FROM`).
    pub from: Mailbox,
    /// Document type names from the catalog, for supplement requests.
    pub documents: DocumentNames,
}

impl Letterhead {
    /// Mail from `from` (e.g. `Taiwan Gold Card Office <no-reply@goldcard.example>`),
    /// with document types shown by their codes until [`Letterhead::with_documents`].
    pub fn parse(from: &str) -> Result<Letterhead, DispatchError> {
        let from = from
            .trim()
            .parse::<Mailbox>()
            .map_err(|e| DispatchError::From(format!("`{from}`: {e}")))?;
        Ok(Letterhead {
            from,
            documents: DocumentNames::default(),
        })
    }

    /// The same, naming document types as `documents` does.
    pub fn with_documents(self, documents: DocumentNames) -> Letterhead {
        Letterhead { documents, ..self }
    }
}

/// What one round of [`dispatch_once`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    /// Rows the server accepted.
    pub sent: usize,
    /// Rows marked `failed`.
    pub failed: usize,
    /// Rows put back to `pending` for a later attempt.
    pub retried: usize,
}

impl Report {
    /// Whether the round touched no row.
    pub fn is_empty(&self) -> bool {
        self.sent + self.failed + self.retried == 0
    }
}

/// Why a dispatch round stopped.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// The database failed; rows claimed so far are due again when their claim expires.
    #[error("outbox: {0}")]
    Db(#[from] DbErr),
    /// `GOLDCARD_MAIL_FROM` is not a mailbox.
    #[error("GOLDCARD_MAIL_FROM is not an address: {0}")]
    From(String),
}

/// Sends up to `batch` due rows (`pending`, or `sending` with an expired claim, whose
/// `next_attempt_at <= now`), in id order. See the module documentation.
pub async fn dispatch_once<M: Mailer>(
    db: &DatabaseConnection,
    mailer: &M,
    letterhead: &Letterhead,
    now: DateTime<Utc>,
    batch: u64,
) -> Result<Report, DispatchError> {
    use outbox::Column as C;
    let now = now.trunc_subsecs(6);
    let due = outbox::Entity::find()
        .filter(C::Status.is_in([STATUS_PENDING, STATUS_SENDING]))
        .filter(C::NextAttemptAt.lte(now))
        .order_by_asc(C::Id)
        .limit(batch)
        .all(db)
        .await?;

    let mut report = Report::default();
    // set once the server cannot be reached: the rest of the round is put off untried
    let mut unavailable: Option<String> = None;
    for row in due {
        if let Some(reason) = &unavailable {
            let why = format!("not tried: {reason}");
            if retry(db, &row, claimable(row.id, now), &why, now).await? {
                report.retried += 1;
            }
            continue;
        }
        if !claim(db, row.id, now).await? {
            continue; // another dispatcher has it
        }
        let message = match compose(db, &row, letterhead).await? {
            Ok(message) => message,
            Err(reason) => {
                tracing::warn!(outbox_id = row.id, template = %row.template, %reason, "mail not sendable");
                fail(db, &row, &reason).await?;
                report.failed += 1;
                continue;
            }
        };
        match mailer.send(&message).await {
            Ok(()) => {
                mark_sent(db, &row, now).await?;
                report.sent += 1;
            }
            Err(SendError::Rejected(reply)) => {
                tracing::warn!(outbox_id = row.id, template = %row.template, %reply, "mail refused");
                fail(db, &row, &reply).await?;
                report.failed += 1;
            }
            Err(SendError::Deferred(reply)) => {
                tracing::info!(outbox_id = row.id, %reply, "mail deferred by the server");
                retry(db, &row, claimed(row.id), &reply, now).await?;
                report.retried += 1;
            }
            Err(SendError::Unavailable(reason)) => {
                tracing::warn!(outbox_id = row.id, %reason, "mail server unavailable");
                retry(db, &row, claimed(row.id), &reason, now).await?;
                report.retried += 1;
                unavailable = Some(reason);
            }
        }
    }
    Ok(report)
}

/// The guard that lets exactly one dispatcher take a due row.
fn claimable(id: i64, now: DateTime<Utc>) -> sea_orm::Condition {
    use outbox::Column as C;
    sea_orm::Condition::all()
        .add(C::Id.eq(id))
        .add(C::Status.is_in([STATUS_PENDING, STATUS_SENDING]))
        .add(C::NextAttemptAt.lte(now))
}

/// The guard for a row this dispatcher holds.
fn claimed(id: i64) -> sea_orm::Condition {
    use outbox::Column as C;
    sea_orm::Condition::all()
        .add(C::Id.eq(id))
        .add(C::Status.eq(STATUS_SENDING))
}

async fn claim(db: &DatabaseConnection, id: i64, now: DateTime<Utc>) -> Result<bool, DbErr> {
    use outbox::Column as C;
    let done = outbox::Entity::update_many()
        .col_expr(C::Status, Expr::value(STATUS_SENDING))
        .col_expr(C::NextAttemptAt, Expr::value(now + CLAIM_TTL))
        .filter(claimable(id, now))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

async fn mark_sent(db: &DatabaseConnection, row: &outbox::Model, now: DateTime<Utc>) -> Result<(), DbErr> {
    use outbox::Column as C;
    let done = outbox::Entity::update_many()
        .col_expr(C::Status, Expr::value(STATUS_SENT))
        .col_expr(C::SentAt, Expr::value(now))
        .col_expr(C::LastError, Expr::value(Option::<String>::None))
        .filter(claimed(row.id))
        .exec(db)
        .await?;
    if done.rows_affected != 1 {
        // the claim expired and another dispatcher finished the row meanwhile
        tracing::warn!(
            outbox_id = row.id,
            "outbox row was no longer claimed when its mail was accepted"
        );
    }
    Ok(())
}

async fn fail(db: &DatabaseConnection, row: &outbox::Model, reason: &str) -> Result<(), DbErr> {
    use outbox::Column as C;
    outbox::Entity::update_many()
        .col_expr(C::Status, Expr::value(STATUS_FAILED))
        .col_expr(C::Attempts, Expr::col(C::Attempts).add(1))
        .col_expr(C::LastError, Expr::value(reason.to_string()))
        .filter(claimed(row.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Puts a row back to `pending` for a later attempt; whether the guard matched.
async fn retry(
    db: &DatabaseConnection,
    row: &outbox::Model,
    guard: sea_orm::Condition,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    use outbox::Column as C;
    let done = outbox::Entity::update_many()
        .col_expr(C::Status, Expr::value(STATUS_PENDING))
        .col_expr(C::Attempts, Expr::col(C::Attempts).add(1))
        .col_expr(C::NextAttemptAt, Expr::value(now + backoff(row.attempts)))
        .col_expr(C::LastError, Expr::value(reason.to_string()))
        .filter(guard)
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// The message for a row, or why there can be none (the row then fails).
async fn compose(
    db: &DatabaseConnection,
    row: &outbox::Model,
    letterhead: &Letterhead,
) -> Result<Result<Message, String>, DbErr> {
    // an account's address and language are read now, not when the row was written
    let (address, name, locale) = match row.recipient_account_id {
        Some(id) => match accounts::Entity::find_by_id(id).one(db).await? {
            Some(account) if account.active => (
                account.email,
                Some(account.display_name),
                Locale::from_setting(&account.locale),
            ),
            Some(_) => return Ok(Err(format!("recipient account {id} is inactive"))),
            None => return Ok(Err(format!("recipient account {id} does not exist"))),
        },
        None => match &row.recipient_email {
            Some(email) => (
                email.clone(),
                None,
                row.locale.as_deref().map_or(Locale::ZhTw, Locale::from_setting),
            ),
            None => return Ok(Err("the row names no recipient".to_string())),
        },
    };
    Ok(build(row, letterhead, &address, name, locale))
}

fn build(
    row: &outbox::Model,
    letterhead: &Letterhead,
    address: &str,
    name: Option<String>,
    locale: Locale,
) -> Result<Message, String> {
    let to = address
        .trim()
        .parse()
        .map(|address| Mailbox::new(name.clone(), address))
        .map_err(|e| format!("recipient address `{address}` is not valid: {e}"))?;
    let payload: serde_json::Value =
        serde_json::from_str(&row.payload).map_err(|e| format!("the payload is not JSON: {e}"))?;
    let addressee = Addressee {
        name: name.as_deref(),
        locale,
    };
    let rendered =
        templates::render(&row.template, addressee, &payload, &letterhead.documents).map_err(|e| e.to_string())?;
    Message::builder()
        .from(letterhead.from.clone())
        .to(to)
        .subject(rendered.subject)
        .message_id(Some(row.message_id.clone()))
        .header(AutoSubmitted)
        .multipart(MultiPart::alternative_plain_html(rendered.text, rendered.html))
        .map_err(|e| format!("the message cannot be built: {e}"))
}

/// `Auto-Submitted: auto-generated` (RFC 3834): tells mail systems not to auto-reply.
#[derive(Debug, Clone, Copy)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let secs: Vec<i64> = [0, 1, 2, 6, 7, 8, 100, -1].map(|a| backoff(a).num_seconds()).to_vec();
        assert_eq!(secs, [30, 60, 120, 1920, 3600, 3600, 3600, 30]);
    }

    #[test]
    fn the_sender_must_be_a_mailbox() {
        let ok = Letterhead::parse(crate::DEFAULT_MAIL_FROM).map(|l| l.from.email.to_string());
        assert_eq!(ok.ok().as_deref(), Some("no-reply@goldcard.example"));
        assert!(matches!(
            Letterhead::parse("not an address"),
            Err(DispatchError::From(_))
        ));
    }
}
