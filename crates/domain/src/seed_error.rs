//! Errors in the data files under `seeds/`.

use thiserror::Error;

/// A seed file (`fields.toml`, `document_types.toml`, `fees.toml`, `holidays.toml`) that
/// cannot be used. The message names the file and the item that is wrong, so whoever edits
/// the file can fix it without reading code.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SeedError {
    /// The file is not valid TOML or does not have the expected shape; `message` is the TOML
    /// parser's, with line and column.
    #[error("{file}: {message}")]
    Toml {
        /// The file, e.g. `fees.toml`.
        file: &'static str,
        /// The TOML parser's message (it includes line and column).
        message: String,
    },
    /// The file parses but breaks a rule, e.g. "field `law`: criterion `3` requires unknown
    /// document type `x`".
    #[error("{file}: {message}")]
    Invalid {
        /// The file, e.g. `fields.toml`.
        file: &'static str,
        /// What is wrong, naming the item.
        message: String,
    },
}

impl SeedError {
    pub(crate) fn toml(file: &'static str, error: &toml::de::Error) -> Self {
        SeedError::Toml {
            file,
            message: error.to_string().trim_end().to_owned(),
        }
    }

    pub(crate) fn invalid(file: &'static str, message: impl Into<String>) -> Self {
        SeedError::Invalid {
            file,
            message: message.into(),
        }
    }
}
