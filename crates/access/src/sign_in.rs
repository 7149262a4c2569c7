//! Sign-in (roles.md, interfaces.md): a password, then a 6-digit code emailed to the
//! account, then a server-side session.
//!
//! - [`start`] checks the password (argon2id) and writes a challenge and the code's mail
//!   (outbox template `sign_in_code`) in one transaction. An unknown login and a wrong
//!   password get the same answer, after the same argon2 work.
//! - [`verify`] answers a challenge with its code: valid [`CODE_TTL`], at most
//!   [`CODE_TRIES`] wrong codes, used once. The right code opens a session.
//! - Every wrong password, unknown login and wrong code is recorded against the login;
//!   [`LOCKOUT_FAILURES`] of them within [`LOCKOUT_WINDOW`] lock the login out of [`start`]
//!   until the oldest of them is older than the window.
//! - Sessions ([`session_account`]): an applicant's ends [`APPLICANT_SESSION`] after
//!   sign-in; an officer's after [`OFFICER_IDLE`] without a request or [`OFFICER_MAX`] in
//!   all. Only the token's SHA-256 is stored.

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use goldcard_store::StoreError;
use goldcard_store::accounts::{self, hash_password, password_matches};
use goldcard_store::entity::{accounts as account, sessions, sign_in_challenges as challenges, sign_in_failures};
use goldcard_store::outbox::{self, Mail, MailTo};
use goldcard_workflow::Role;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// How long an emailed code is valid.
pub const CODE_TTL: TimeDelta = TimeDelta::minutes(10);
/// Wrong codes a challenge survives.
pub const CODE_TRIES: i32 = 5;
/// Failures (wrong password, unknown login, wrong code) that lock a login out…
pub const LOCKOUT_FAILURES: u64 = 5;
/// …when they fall within this window.
pub const LOCKOUT_WINDOW: TimeDelta = TimeDelta::minutes(15);
/// An applicant's session, from sign-in.
pub const APPLICANT_SESSION: TimeDelta = TimeDelta::minutes(30);
/// An officer's session ends after this long without a request…
pub const OFFICER_IDLE: TimeDelta = TimeDelta::minutes(30);
/// …or this long after sign-in, whichever comes first.
pub const OFFICER_MAX: TimeDelta = TimeDelta::hours(10);
/// An officer's idle end is moved at most once a minute (a write per request would
/// serialise every request on SQLite).
const IDLE_REFRESH: TimeDelta = TimeDelta::minutes(1);

/// The prefix of session tokens (API tokens start with `gct_`).
pub const SESSION_PREFIX: &str = "gcs_";

/// The mail template of the code.
pub const CODE_TEMPLATE: &str = "sign_in_code";

/// Why sign-in did not go on.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Unknown login, wrong password, inactive account or one without a password.
    #[error("the login or the password is wrong")]
    InvalidCredentials,
    /// Too many failures lately.
    #[error("too many failed sign-ins; try again after {until}")]
    LockedOut {
        /// When the login may try again.
        until: DateTime<Utc>,
    },
    /// Unknown, expired, used or exhausted challenge, or a wrong code.
    #[error("the code is wrong or no longer valid")]
    InvalidCode,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for SignInError {
    fn from(e: sea_orm::DbErr) -> Self {
        SignInError::Store(StoreError::Db(e))
    }
}

/// A password accepted: the code is on its way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// What `POST /session/otp` answers.
    pub id: String,
    /// When the code stops working.
    pub expires_at: DateTime<Utc>,
}

/// An open session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The bearer token (shown once; only its digest is stored).
    pub token: String,
    /// When the session ends if nothing happens (officers: the idle end).
    pub expires_at: DateTime<Utc>,
    /// The account signed in.
    pub account_id: i64,
}

fn digest(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

fn code_digest(challenge_id: &str, code: &str) -> String {
    digest(&format!("{challenge_id}:{code}"))
}

/// A login as recorded against failures: trimmed, lower-cased, at most 64 characters.
fn failure_key(login: &str) -> String {
    login.trim().to_lowercase().chars().take(64).collect()
}

/// An argon2id hash no password matches, verified for unknown logins so that they take
/// as long as a wrong password.
static DUMMY_HASH: LazyLock<Option<String>> =
    LazyLock::new(|| hash_password(&hex::encode(rand::random::<[u8; 24]>())).ok());

/// When a login that failed at these instants (newest first) may try again, if it is
/// locked out at `now`.
async fn locked_until<C: ConnectionTrait>(
    db: &C,
    login: &str,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, SignInError> {
    use sign_in_failures::Column as F;
    let recent = sign_in_failures::Entity::find()
        .filter(F::Login.eq(login))
        .filter(F::At.gt(now - LOCKOUT_WINDOW))
        .order_by_desc(F::At)
        .paginate(db, LOCKOUT_FAILURES)
        .fetch_page(0)
        .await?;
    if (recent.len() as u64) < LOCKOUT_FAILURES {
        return Ok(None);
    }
    // the fifth newest failure leaves the window at `at + window`
    Ok(recent.last().map(|f| f.at + LOCKOUT_WINDOW))
}

async fn record_failure<C: ConnectionTrait>(
    db: &C,
    login: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), SignInError> {
    sign_in_failures::Entity::insert(sign_in_failures::ActiveModel {
        id: NotSet,
        login: Set(login.to_string()),
        reason: Set(reason.to_string()),
        at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Checks `login` and `password`; on success writes a challenge and emails its code.
pub async fn start(
    db: &DatabaseConnection,
    login: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<Challenge, SignInError> {
    let now = now.trunc_subsecs(6);
    let key = failure_key(login);
    if let Some(until) = locked_until(db, &key, now).await? {
        return Err(SignInError::LockedOut { until });
    }
    let found = accounts::find_by_login(db, &key).await?;
    let usable = found.filter(|a| a.active && a.password_hash.is_some());
    let Some(account) = usable else {
        if let Some(dummy) = DUMMY_HASH.as_deref() {
            let _ = password_matches(password, dummy);
        }
        record_failure(db, &key, "unknown_login", now).await?;
        return Err(SignInError::InvalidCredentials);
    };
    if !account
        .password_hash
        .as_deref()
        .is_some_and(|h| password_matches(password, h))
    {
        record_failure(db, &key, "wrong_password", now).await?;
        return Err(SignInError::InvalidCredentials);
    }

    let id = hex::encode(rand::random::<[u8; 16]>());
    let code = format!("{:06}", rand::random_range(0..1_000_000u32));
    let expires_at = now + CODE_TTL;
    let txn = db.begin().await?;
    challenges::Entity::insert(challenges::ActiveModel {
        id: Set(id.clone()),
        account_id: Set(account.id),
        code_hash: Set(code_digest(&id, &code)),
        failed_attempts: Set(0),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
    })
    .exec_without_returning(&txn)
    .await?;
    outbox::enqueue(
        &txn,
        [Mail {
            dedupe_key: format!("sign_in:{id}"),
            case_id: None,
            template: CODE_TEMPLATE.to_string(),
            to: MailTo::Account(account.id),
            payload: json!({ "code": code, "valid_minutes": CODE_TTL.num_minutes() }),
        }],
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Challenge { id, expires_at })
}

/// Answers challenge `challenge_id` with `code`; the right code, in time, opens a session.
pub async fn verify(
    db: &DatabaseConnection,
    challenge_id: &str,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Session, SignInError> {
    use challenges::Column as C;
    let now = now.trunc_subsecs(6);
    let Some(challenge) = challenges::Entity::find_by_id(challenge_id.to_string()).one(db).await? else {
        return Err(SignInError::InvalidCode);
    };
    if challenge.used_at.is_some() || challenge.expires_at <= now || challenge.failed_attempts >= CODE_TRIES {
        return Err(SignInError::InvalidCode);
    }
    let Some(account) = account::Entity::find_by_id(challenge.account_id).one(db).await? else {
        return Err(SignInError::InvalidCode);
    };
    let code = code.trim();
    let well_formed = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
    if !well_formed || code_digest(&challenge.id, code) != challenge.code_hash {
        challenges::Entity::update_many()
            .col_expr(C::FailedAttempts, Expr::col(C::FailedAttempts).add(1))
            .filter(C::Id.eq(&challenge.id))
            .exec(db)
            .await?;
        record_failure(db, &account.login, "wrong_code", now).await?;
        return Err(SignInError::InvalidCode);
    }
    // used once: of two requests with the right code, one wins
    let taken = challenges::Entity::update_many()
        .col_expr(C::UsedAt, Expr::value(now))
        .filter(C::Id.eq(&challenge.id))
        .filter(C::UsedAt.is_null())
        .filter(C::FailedAttempts.lt(CODE_TRIES))
        .filter(C::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    if taken.rows_affected != 1 || !account.active {
        return Err(SignInError::InvalidCode);
    }
    let officer = account.role.parse::<Role>().is_ok_and(Role::is_officer);
    let (expires_at, idle) = if officer {
        (now + OFFICER_MAX, Some(now + OFFICER_IDLE))
    } else {
        (now + APPLICANT_SESSION, None)
    };
    let token = format!("{SESSION_PREFIX}{}", hex::encode(rand::random::<[u8; 32]>()));
    sessions::Entity::insert(sessions::ActiveModel {
        id: NotSet,
        token_hash: Set(digest(&token)),
        account_id: Set(account.id),
        created_at: Set(now),
        expires_at: Set(expires_at),
        idle_expires_at: Set(idle),
        revoked_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    sign_in_failures::Entity::delete_many()
        .filter(sign_in_failures::Column::Login.eq(&account.login))
        .exec(db)
        .await?;
    Ok(Session {
        token,
        expires_at: idle.unwrap_or(expires_at),
        account_id: account.id,
    })
}

/// When a session ends if nothing more happens.
fn ends_at(s: &sessions::Model) -> DateTime<Utc> {
    s.idle_expires_at
        .map_or(s.expires_at, |idle| Ord::min(idle, s.expires_at))
}

/// The active account of a live session token, and when the session now ends. An
/// officer's request moves the idle end (at most once a minute).
pub async fn session_account<C: ConnectionTrait>(
    db: &C,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<(account::Model, DateTime<Utc>)>, SignInError> {
    Ok(live_session(db, token, now)
        .await?
        .map(|(account, ends, _)| (account, ends)))
}

/// [`session_account`], with the session's row id as well (what a consent given in that
/// sign-in session is recorded against).
pub async fn live_session<C: ConnectionTrait>(
    db: &C,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<(account::Model, DateTime<Utc>, i64)>, SignInError> {
    use sessions::Column as S;
    let Some(session) = sessions::Entity::find()
        .filter(S::TokenHash.eq(digest(token)))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if session.revoked_at.is_some() || ends_at(&session) <= now {
        return Ok(None);
    }
    let Some(account) = account::Entity::find_by_id(session.account_id)
        .one(db)
        .await?
        .filter(|a| a.active)
    else {
        return Ok(None);
    };
    let mut ends = ends_at(&session);
    if let Some(idle) = session.idle_expires_at {
        let moved = Ord::min(now + OFFICER_IDLE, session.expires_at).trunc_subsecs(6);
        if moved - idle >= IDLE_REFRESH {
            sessions::Entity::update_many()
                .col_expr(S::IdleExpiresAt, Expr::value(moved))
                .filter(S::Id.eq(session.id))
                .exec(db)
                .await?;
            ends = moved;
        }
    }
    Ok(Some((account, ends, session.id)))
}

/// Ends a session; returns whether it was live.
pub async fn end<C: ConnectionTrait>(db: &C, token: &str, now: DateTime<Utc>) -> Result<bool, SignInError> {
    use sessions::Column as S;
    let done = sessions::Entity::update_many()
        .col_expr(S::RevokedAt, Expr::value(now))
        .filter(S::TokenHash.eq(digest(token)))
        .filter(S::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_keys_are_normalised_and_bounded() {
        assert_eq!(failure_key("  Reviewer.One "), "reviewer.one");
        assert_eq!(failure_key(&"x".repeat(500)).len(), 64);
    }

    #[test]
    fn a_code_digest_is_bound_to_its_challenge() {
        assert_ne!(code_digest("a", "123456"), code_digest("b", "123456"));
        assert_eq!(code_digest("a", "123456"), code_digest("a", "123456"));
    }
}
