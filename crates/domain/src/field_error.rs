//! One input field's problem, as every layer reports it (API 422s, forms, imports).

use serde::Serialize;

/// A problem with one field of some input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Path of the field (`passport.expiry_date`, `items[0].doc_type`).
    pub field: String,
    /// Machine-readable code (`required`, `invalid`, `too_long`, …).
    pub code: String,
    /// Human-readable message.
    pub message: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, code: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}
