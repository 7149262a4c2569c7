//! The log of refused requests (roles.md: every refusal is logged): a request the access
//! policy refused, a service's refusal, and the "not found" answered for a case that is
//! not the caller's. Append-only: one insert per refusal, nothing updates or deletes rows.
//! Document views are logged apart, in `document_access` ([`crate::documents::log_access`]).

use crate::StoreError;
use crate::entity::access_refusals;
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, QuerySelect};

/// One refused request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal<'a> {
    /// The caller's account, if signed in.
    pub account_id: Option<i64>,
    /// The role it acted in (`anonymous` without credentials).
    pub role: &'a str,
    /// HTTP method.
    pub method: &'a str,
    /// The matched route template (the casbin object).
    pub route: &'a str,
    /// The path asked for.
    pub path: &'a str,
    /// The status answered (401, 403, 404).
    pub status: u16,
    /// Why: `policy`, `forbidden`, `not_yours`.
    pub reason: &'a str,
}

/// The longest path kept (a hostile path is cut, not refused again).
const MAX_PATH: usize = 500;

/// Records one refusal.
pub async fn record<C: ConnectionTrait>(db: &C, r: &Refusal<'_>, now: DateTime<Utc>) -> Result<(), StoreError> {
    let path: String = r.path.chars().take(MAX_PATH).collect();
    access_refusals::Entity::insert(access_refusals::ActiveModel {
        id: NotSet,
        at: Set(now),
        account_id: Set(r.account_id),
        role: Set(r.role.to_string()),
        method: Set(r.method.to_string()),
        route: Set(r.route.to_string()),
        path: Set(path),
        status: Set(i32::from(r.status)),
        reason: Set(r.reason.to_string()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The latest `limit` refusals, newest first.
pub async fn latest<C: ConnectionTrait>(db: &C, limit: u64) -> Result<Vec<access_refusals::Model>, StoreError> {
    Ok(access_refusals::Entity::find()
        .order_by_desc(access_refusals::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}
