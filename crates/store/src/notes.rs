//! Notes on a case: officers and the helpdesk write them, every officer of the case reads
//! them in its timeline. A note changes no state, so it is not an audit event; it is kept
//! forever like one (nothing updates or deletes a note).

use crate::entity::case_notes;
use crate::error::StoreError;
use chrono::{DateTime, Utc};
use goldcard_workflow::Actor;
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};

/// The longest note accepted, in characters.
pub const MAX_NOTE: usize = 4_000;

/// Adds a note to a case; the text is trimmed and must be 1 to [`MAX_NOTE`] characters.
pub async fn add<C: ConnectionTrait>(
    db: &C,
    case_id: i64,
    author: Actor,
    body: &str,
    now: DateTime<Utc>,
) -> Result<case_notes::Model, StoreError> {
    let body = body.trim();
    let n = body.chars().count();
    if n == 0 || n > MAX_NOTE {
        return Err(StoreError::Invalid(format!("a note has 1 to {MAX_NOTE} characters")));
    }
    let row = case_notes::ActiveModel {
        id: NotSet,
        case_id: Set(case_id),
        author_id: Set(author.account_id),
        author_role: Set(author.role.as_str().to_string()),
        body: Set(body.to_string()),
        at: Set(now),
    };
    Ok(case_notes::Entity::insert(row).exec_with_returning(db).await?)
}

/// A case's notes, oldest first.
pub async fn list<C: ConnectionTrait>(db: &C, case_id: i64) -> Result<Vec<case_notes::Model>, StoreError> {
    Ok(case_notes::Entity::find()
        .filter(case_notes::Column::CaseId.eq(case_id))
        .order_by_asc(case_notes::Column::At)
        .order_by_asc(case_notes::Column::Id)
        .all(db)
        .await?)
}
