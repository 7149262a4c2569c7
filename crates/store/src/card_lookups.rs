//! Failed card lookups (UI number and birth date that match no card), counted per account:
//! the lookup names a holder's card, so guessing birth dates for a UI number is limited to
//! [`FAILURES_ALLOWED`] failures in [`WINDOW`], after which every lookup of the account is
//! refused until the oldest failure leaves the window.

use crate::entity::card_lookup_failures;
use crate::error::StoreError;
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};

/// Failed lookups an account may make in [`WINDOW`].
pub const FAILURES_ALLOWED: u64 = 10;
/// The window the failures are counted in.
pub const WINDOW: TimeDelta = TimeDelta::minutes(15);

/// Whether `account_id` may look a card up at `now` (fewer than [`FAILURES_ALLOWED`]
/// failures in the last [`WINDOW`]).
pub async fn allowed<C: ConnectionTrait>(db: &C, account_id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let failures = card_lookup_failures::Entity::find()
        .filter(card_lookup_failures::Column::AccountId.eq(account_id))
        .filter(card_lookup_failures::Column::At.gt(now - WINDOW))
        .count(db)
        .await?;
    Ok(failures < FAILURES_ALLOWED)
}

/// Records that `account_id` looked up a card that does not exist (or not with that birth
/// date).
pub async fn record_failure<C: ConnectionTrait>(db: &C, account_id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
    card_lookup_failures::Entity::insert(card_lookup_failures::ActiveModel {
        id: NotSet,
        account_id: Set(account_id),
        at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}
