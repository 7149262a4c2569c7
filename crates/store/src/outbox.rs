//! Writing mail into the outbox. Transitions write theirs inside [`crate::apply`]; sign-in
//! codes and the scheduled jobs write theirs here. Every row has a dedupe key: writing the
//! same mail twice (a retried job, a second instance) inserts nothing the second time, so
//! the dispatcher sends each notification once.

use crate::entity::outbox;
use crate::error::StoreError;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ConnectionTrait, EntityTrait,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Who a mail goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailTo {
    /// An account: its address and language are read when the mail is sent.
    Account(i64),
    /// An address without an account (a card holder who never signed in).
    Address {
        /// The address.
        email: String,
        /// `zh-TW` or `en`: the language that comes first.
        locale: String,
    },
}

/// A mail to write into the outbox.
#[derive(Debug, Clone)]
pub struct Mail {
    /// Identifies the notification: a second mail with the same key is not written.
    pub dedupe_key: String,
    /// The case it is about, if any.
    pub case_id: Option<i64>,
    /// The mail template (`goldcard_mail::KNOWN_TEMPLATES`).
    pub template: String,
    /// The recipient.
    pub to: MailTo,
    /// What the template shows.
    pub payload: Value,
}

/// Rows inserted per statement (SQLite allows 32,766 bound values; a row binds 15).
const CHUNK: usize = 1_000;

/// The stable `Message-ID` of the mail with this dedupe key.
pub fn message_id(dedupe_key: &str) -> String {
    format!(
        "<{}@goldcard>",
        &hex::encode(Sha256::digest(dedupe_key.as_bytes()))[..40]
    )
}

pub(crate) fn row(mail: Mail, now: DateTime<Utc>) -> outbox::ActiveModel {
    let (account, email, locale) = match mail.to {
        MailTo::Account(id) => (Some(id), None, None),
        MailTo::Address { email, locale } => (None, Some(email), Some(locale)),
    };
    outbox::ActiveModel {
        id: NotSet,
        message_id: Set(message_id(&mail.dedupe_key)),
        dedupe_key: Set(mail.dedupe_key),
        case_id: Set(mail.case_id),
        template: Set(mail.template),
        recipient_account_id: Set(account),
        recipient_email: Set(email),
        locale: Set(locale),
        payload: Set(mail.payload.to_string()),
        status: Set("pending".to_string()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
    }
}

/// Writes `mails` into the outbox, skipping any whose dedupe key is already there.
/// Returns how many rows were written.
pub async fn enqueue<C: ConnectionTrait>(
    db: &C,
    mails: impl IntoIterator<Item = Mail>,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let rows: Vec<outbox::ActiveModel> = mails.into_iter().map(|m| row(m, now)).collect();
    let mut written = 0;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(CHUNK).collect();
        written += insert_ignoring_duplicates(db, chunk).await?;
    }
    Ok(written)
}

pub(crate) async fn insert_ignoring_duplicates<C: ConnectionTrait>(
    db: &C,
    rows: Vec<outbox::ActiveModel>,
) -> Result<u64, StoreError> {
    if rows.is_empty() {
        return Ok(0);
    }
    Ok(outbox::Entity::insert_many(rows)
        .on_conflict(OnConflict::column(outbox::Column::DedupeKey).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?)
}

/// The last notification written for a case to its applicant, the account `applicant`
/// (the helpdesk's "resend"; mails to officers are not the applicant's).
pub async fn last_for_case<C: ConnectionTrait>(
    db: &C,
    case_id: i64,
    applicant: i64,
) -> Result<Option<outbox::Model>, StoreError> {
    use sea_orm::sea_query::Condition;
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    Ok(outbox::Entity::find()
        .filter(outbox::Column::CaseId.eq(case_id))
        .filter(
            Condition::any()
                .add(outbox::Column::RecipientAccountId.eq(applicant))
                .add(outbox::Column::RecipientEmail.is_not_null()),
        )
        .order_by_desc(outbox::Column::Id)
        .one(db)
        .await?)
}

/// Writes the case's last notification into the outbox again, to the same recipient with
/// the same content. A second request within the same minute is the same resend (a double
/// click sends one mail). Returns the template resent, or `None` when the case has no
/// notification yet.
pub async fn resend_last<C: ConnectionTrait>(
    db: &C,
    case_id: i64,
    applicant: i64,
    now: DateTime<Utc>,
) -> Result<Option<String>, StoreError> {
    let Some(last) = last_for_case(db, case_id, applicant).await? else {
        return Ok(None);
    };
    let dedupe_key = format!("resend:{}:{}", last.id, now.format("%Y%m%dT%H%M"));
    let to = match (last.recipient_account_id, last.recipient_email.clone()) {
        (Some(id), _) => MailTo::Account(id),
        (None, Some(email)) => MailTo::Address {
            email,
            locale: last.locale.clone().unwrap_or_else(|| "zh-TW".to_string()),
        },
        (None, None) => return Err(StoreError::Invalid("the last notification has no recipient".into())),
    };
    let payload: Value = serde_json::from_str(&last.payload).unwrap_or(Value::Null);
    enqueue(
        db,
        [Mail {
            dedupe_key,
            case_id: Some(case_id),
            template: last.template.clone(),
            to,
            payload,
        }],
        now,
    )
    .await?;
    Ok(Some(last.template))
}

/// Mail not yet delivered (`pending` or being sent) and the creation time of the oldest,
/// for the operations gauges.
pub async fn backlog<C: ConnectionTrait>(db: &C) -> Result<(u64, Option<DateTime<Utc>>), StoreError> {
    use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
    let waiting = || outbox::Entity::find().filter(outbox::Column::Status.is_in(["pending", "sending"]));
    let n = waiting().count(db).await?;
    let oldest: Option<DateTime<Utc>> = waiting()
        .order_by_asc(outbox::Column::Id)
        .select_only()
        .column(outbox::Column::CreatedAt)
        .into_tuple()
        .one(db)
        .await?;
    Ok((n, oldest))
}
