//! The store's typed errors.

use sea_orm::{DbErr, SqlErr};

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The case changed since it was read (optimistic lock).
    #[error("the case is at version {actual}, not {expected}")]
    VersionConflict {
        /// The version the decision was made on.
        expected: i64,
        /// The version in the database (0 if unknown).
        actual: i64,
    },
    /// No such row.
    #[error("{0} not found")]
    NotFound(String),
    /// The card already has an open extension.
    #[error("the card already has a pending extension")]
    ExtensionPending,
    /// The receipt number was recorded before.
    #[error("receipt `{0}` was already recorded")]
    DuplicateReceipt(String),
    /// A unique value already exists.
    #[error("{0} already exists")]
    Duplicate(String),
    /// Input refused before anything was written.
    #[error("{0}")]
    Invalid(String),
    /// Stored data that cannot be read back (a bug or tampering).
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// Filesystem trouble (document blobs, seed files).
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
    /// The database said no.
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

impl StoreError {
    /// Whether a database error is a unique-constraint violation whose message names `needle`.
    pub(crate) fn is_unique_violation(err: &DbErr, needle: &str) -> bool {
        matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(msg)) if msg.contains(needle))
    }
}
