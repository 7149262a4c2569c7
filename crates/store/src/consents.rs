//! The consent to the platform's terms (系統使用聲明事項) a filer gives before filing: who,
//! as which filer, to which version of the text, when, and in which sign-in session (a
//! consent holds for that session only). The filed case names its consent
//! (`cases.consent_id`). Kept forever, like the audit trail.

use crate::entity::consents;
use crate::error::StoreError;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};

/// Records that `account_id`, filing as `filer`, ticked the terms of `text_version` in the
/// sign-in session `session_id` (none for a filing through the JSON API, whose body carries
/// the consent).
pub async fn record<C: ConnectionTrait>(
    db: &C,
    account_id: i64,
    session_id: Option<i64>,
    filer: &str,
    text_version: &str,
    now: DateTime<Utc>,
) -> Result<consents::Model, StoreError> {
    let row = consents::ActiveModel {
        id: NotSet,
        account_id: Set(account_id),
        text_version: Set(text_version.to_string()),
        filer: Set(filer.to_string()),
        accepted_at: Set(now),
        session_id: Set(session_id),
    };
    Ok(consents::Entity::insert(row).exec_with_returning(db).await?)
}

/// The account's latest consent to `text_version` given in the sign-in session
/// `session_id`, if any: a new sign-in asks again.
pub async fn given_in_session<C: ConnectionTrait>(
    db: &C,
    account_id: i64,
    session_id: i64,
    text_version: &str,
) -> Result<Option<consents::Model>, StoreError> {
    Ok(consents::Entity::find()
        .filter(consents::Column::AccountId.eq(account_id))
        .filter(consents::Column::SessionId.eq(session_id))
        .filter(consents::Column::TextVersion.eq(text_version))
        .order_by_desc(consents::Column::Id)
        .one(db)
        .await?)
}
