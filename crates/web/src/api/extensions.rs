//! `POST /api/v1/extensions`: filing an extension (the rules: domain.md).

use super::ApiJson;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use goldcard_domain::FieldError;
use goldcard_domain::filing::{ExtensionFiling, RawExtension};
use goldcard_store::filing::{FilingError, file_extension};
use serde::Serialize;

/// A filed case.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Filed {
    /// The case number (12 digits).
    pub case_number: String,
    /// `submitted`.
    pub state: String,
    /// The fee to pay.
    pub fee_twd: i32,
    /// The case's version.
    pub version: i64,
}

impl From<FilingError> for ApiError {
    fn from(e: FilingError) -> Self {
        match e {
            FilingError::CardNotFound => ApiError::validation(vec![FieldError::new(
                "ui_number",
                "card_not_found",
                "no card with that UI number and birth date",
            )]),
            FilingError::WindowNotOpen { .. } => ApiError::conflict("window_not_open", e.to_string()),
            FilingError::WindowLocked { .. } => ApiError::conflict("window_locked", e.to_string()),
            FilingError::CardExpired { .. } => ApiError::conflict("card_expired", e.to_string()),
            FilingError::ExtensionPending => ApiError::conflict("extension_pending", e.to_string()),
            FilingError::Documents(fields) => ApiError::validation(fields),
            FilingError::Fire(f) => f.into(),
        }
    }
}

/// Files an extension for the card the body names.
#[utoipa::path(post, path = "/api/v1/extensions", tag = "extensions", request_body(content = Object, description = "the Extension body of interfaces.md"),
    params(("Idempotency-Key" = Option<String>, Header, description = "a one-time key: a repeat gets the first answer (marked `Idempotent-Replayed: true`) and files nothing")),
    responses((status = 201, body = Filed), (status = 400, description = "invalid_idempotency_key"),
        (status = 409, description = "window_not_open, window_locked, card_expired, extension_pending, idempotency_in_progress"),
        (status = 422, description = "field errors; idempotency_key_reused")))]
pub async fn file(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(raw): ApiJson<RawExtension>,
) -> ApiResult<(StatusCode, Json<Filed>)> {
    let filing = ExtensionFiling::parse(raw, state.today(), &state.catalogs.catalog).map_err(ApiError::validation)?;
    let applied = file_extension(
        state.store.db(),
        state.rules(),
        caller.actor(),
        &filing,
        state.clock.now(),
    )
    .await?;
    let fee = filing.fee(&state.catalogs.fees);
    Ok((
        StatusCode::CREATED,
        Json(Filed {
            case_number: applied.case_number,
            state: applied.state,
            fee_twd: i32::try_from(fee.0).unwrap_or(i32::MAX),
            version: applied.version,
        }),
    ))
}
