//! The consent to the platform's terms (系統使用聲明事項) a filer gives before filing: who,
//! as which filer, to which version of the text, when. Kept forever, like the audit trail.

use crate::entity::consents;
use crate::error::StoreError;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};

/// Records that `account_id`, filing as `filer`, ticked the terms of `text_version`.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    account_id: i64,
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
    };
    Ok(consents::Entity::insert(row).exec_with_returning(db).await?)
}

/// The account's latest consent to `text_version` given at or after `since`, if any.
pub async fn given_since<C: ConnectionTrait>(
    db: &C,
    account_id: i64,
    text_version: &str,
    since: DateTime<Utc>,
) -> Result<Option<consents::Model>, StoreError> {
    Ok(consents::Entity::find()
        .filter(consents::Column::AccountId.eq(account_id))
        .filter(consents::Column::TextVersion.eq(text_version))
        .filter(consents::Column::AcceptedAt.gte(since))
        .order_by_desc(consents::Column::AcceptedAt)
        .one(db)
        .await?)
}
