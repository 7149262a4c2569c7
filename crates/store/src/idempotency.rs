//! One-time keys of state-changing requests: a form's hidden key or an API call's
//! `Idempotency-Key` header. The first request with a key claims it (one insert, unique per
//! account and key, so two instances on one database agree); its answer is kept; a second
//! request with the same key changes nothing and gets the kept answer.

use crate::StoreError;
use crate::entity::idempotency_keys;
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

/// The longest key accepted.
pub const MAX_KEY: usize = 200;

/// The answer kept for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    /// HTTP status of the first answer.
    pub status: u16,
    /// Its `Location` (a form's redirect).
    pub location: Option<String>,
    /// Its body (the JSON API's answers; pages keep none).
    pub body: Option<String>,
    /// The path the key was first sent to (read back by [`claim`]; not written by
    /// [`finish`]).
    pub route: String,
}

/// What claiming a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new: this request goes ahead, and its answer is kept with [`finish`].
    New,
    /// The key was used before: its first answer.
    Done(Kept),
    /// The first request with this key is still running.
    InFlight,
}

/// Whether `key` is acceptable: 1 to [`MAX_KEY`] visible ASCII characters.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= MAX_KEY && key.bytes().all(|b| b.is_ascii_graphic())
}

/// Claims `key` for `account_id` on `route`.
pub async fn claim<C: ConnectionTrait>(
    db: &C,
    account_id: i64,
    key: &str,
    route: &str,
    now: DateTime<Utc>,
) -> Result<Claim, StoreError> {
    let inserted = idempotency_keys::Entity::insert(idempotency_keys::ActiveModel {
        id: NotSet,
        account_id: Set(account_id),
        idem_key: Set(key.to_string()),
        route: Set(route.to_string()),
        status: Set(None),
        location: Set(None),
        body: Set(None),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([idempotency_keys::Column::AccountId, idempotency_keys::Column::IdemKey])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    if inserted > 0 {
        return Ok(Claim::New);
    }
    let row = idempotency_keys::Entity::find()
        .filter(idempotency_keys::Column::AccountId.eq(account_id))
        .filter(idempotency_keys::Column::IdemKey.eq(key))
        .one(db)
        .await?;
    Ok(match row {
        Some(r) => match r.status {
            Some(status) => Claim::Done(Kept {
                status: u16::try_from(status).unwrap_or(500),
                location: r.location,
                body: r.body,
                route: r.route,
            }),
            None => Claim::InFlight,
        },
        // released between the insert and the read: the other request failed; let the
        // caller try again
        None => Claim::InFlight,
    })
}

/// Keeps the answer of the request that claimed `key`.
pub async fn finish<C: ConnectionTrait>(db: &C, account_id: i64, key: &str, kept: &Kept) -> Result<(), StoreError> {
    idempotency_keys::Entity::update_many()
        .col_expr(idempotency_keys::Column::Status, Expr::value(i32::from(kept.status)))
        .col_expr(idempotency_keys::Column::Location, Expr::value(kept.location.clone()))
        .col_expr(idempotency_keys::Column::Body, Expr::value(kept.body.clone()))
        .filter(idempotency_keys::Column::AccountId.eq(account_id))
        .filter(idempotency_keys::Column::IdemKey.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Frees `key` again (its request was refused or failed and changed nothing, so it may be
/// sent again).
pub async fn release<C: ConnectionTrait>(db: &C, account_id: i64, key: &str) -> Result<(), StoreError> {
    idempotency_keys::Entity::delete_many()
        .filter(idempotency_keys::Column::AccountId.eq(account_id))
        .filter(idempotency_keys::Column::IdemKey.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets keys claimed before `before` (a form is not resent days later).
pub async fn purge<C: ConnectionTrait>(db: &C, before: DateTime<Utc>) -> Result<u64, StoreError> {
    Ok(idempotency_keys::Entity::delete_many()
        .filter(idempotency_keys::Column::CreatedAt.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}
