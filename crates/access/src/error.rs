//! The errors of access control.

use sea_orm::DbErr;

/// Why the access policy could not be loaded or changed.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The database refused a query.
    #[error("access policy storage: {0}")]
    Database(#[from] DbErr),
    /// A line of the seed policy CSV is not a rule.
    #[error("policy CSV, line {line}: {message}")]
    PolicyCsv {
        /// The 1-based line number in the CSV text.
        line: u64,
        /// What is wrong with it.
        message: String,
    },
    /// A rule has more values than the `casbin_rules` table has columns (`v0`..`v5`).
    #[error("rule `{ptype}` has {count} values; the casbin_rules table holds at most {max}", max = crate::adapter::MAX_VALUES)]
    TooManyValues {
        /// The rule's type (`p`, `g`).
        ptype: String,
        /// How many values it has.
        count: usize,
    },
    /// casbin refused the model, the policy or a request.
    #[error("casbin: {0}")]
    Casbin(#[from] casbin::Error),
}
