//! Document records: metadata of uploaded blobs and their attachment to cases.

use crate::entity::{case_documents, documents};
use crate::error::StoreError;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ConnectionTrait, EntityTrait,
};

/// Longest original file name kept (it is only shown, never used as a path).
pub const MAX_NAME_CHARS: usize = 255;

/// Makes an uploaded file's claimed name safe to show: control characters (NUL included)
/// and path separators removed, length capped.
pub fn display_name(claimed: &str) -> String {
    let cleaned: String = claimed
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if c == '/' || c == '\\' { '_' } else { c })
        .take(MAX_NAME_CHARS)
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').to_string();
    if trimmed.is_empty() {
        "document".to_string()
    } else {
        trimmed
    }
}

/// A stored upload to record.
#[derive(Debug, Clone)]
pub struct NewDocument {
    /// The blob's SHA-256.
    pub sha256: String,
    /// Bytes.
    pub size: i64,
    /// Detected content type.
    pub content_type: String,
    /// The name the uploader gave (made safe by [`display_name`]).
    pub original_name: String,
    /// Document type code from the catalog.
    pub doc_type: String,
    /// Uploading account.
    pub uploaded_by: i64,
}

/// Records an upload and returns its row (with a random public id).
pub async fn create<C: ConnectionTrait>(
    db: &C,
    new: NewDocument,
    now: DateTime<Utc>,
) -> Result<documents::Model, StoreError> {
    let row = documents::ActiveModel {
        id: NotSet,
        public_id: Set(format!("doc_{}", hex::encode(rand::random::<[u8; 12]>()))),
        sha256: Set(new.sha256),
        size: Set(new.size),
        content_type: Set(new.content_type),
        original_name: Set(display_name(&new.original_name)),
        doc_type: Set(new.doc_type),
        uploaded_by: Set(new.uploaded_by),
        created_at: Set(now),
    };
    Ok(documents::Entity::insert(row).exec_with_returning(db).await?)
}

/// Attaches a document to a case (`filing`, `supplement`, `consultation`, `carried_over`).
pub async fn attach<C: ConnectionTrait>(
    db: &C,
    case_id: i64,
    document: &documents::Model,
    purpose: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    case_documents::Entity::insert(case_documents::ActiveModel {
        id: NotSet,
        case_id: Set(case_id),
        document_id: Set(document.id),
        doc_type: Set(document.doc_type.clone()),
        purpose: Set(purpose.to_string()),
        carried_over: Set(purpose == "carried_over"),
        added_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Records that `viewer` opened document `document_id` of case `case_id` (roles.md: every
/// access to a document is logged). Append-only: nothing updates or deletes these rows.
pub async fn log_access<C: ConnectionTrait>(
    db: &C,
    document_id: i64,
    case_id: i64,
    viewer: goldcard_workflow::Actor,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    use crate::entity::document_access;
    document_access::Entity::insert(document_access::ActiveModel {
        id: NotSet,
        document_id: Set(document_id),
        case_id: Set(case_id),
        account_id: Set(viewer.account_id),
        role: Set(viewer.role.as_str().to_string()),
        at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_become_harmless_labels() {
        assert_eq!(display_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(display_name("a\0b.pdf"), "ab.pdf");
        assert_eq!(display_name(&"x".repeat(1000)).chars().count(), MAX_NAME_CHARS);
        assert_eq!(display_name("\0\0"), "document");
    }
}
