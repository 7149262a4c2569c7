//! `POST /api/v1/extensions`: filing an extension (the rules: domain.md).

use super::ApiJson;
use super::cards::{lookup_allowed, lookup_failed};
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
            FilingError::Documents(fields) | FilingError::Invalid(fields) => ApiError::validation(fields),
            FilingError::Fire(f) => f.into(),
        }
    }
}

/// Files an extension for the card the body names.
///
/// The body's `consent: true` is recorded
/// (with the version of the terms in force) and the case linked to it; the fee and
/// Hong Kong/Macau status come from the card. A body naming no card counts as a failed
/// lookup (rate-limited like `GET /api/v1/cards/lookup`).
#[utoipa::path(post, path = "/api/v1/extensions", tag = "extensions", request_body(content = Object, description = "the Extension body of interfaces.md"),
    params(("Idempotency-Key" = Option<String>, Header, description = "a one-time key: a repeat gets the first answer (marked `Idempotent-Replayed: true`) and files nothing")),
    responses((status = 201, body = Filed), (status = 400, description = "invalid_idempotency_key"),
        (status = 409, description = "window_not_open, window_locked, card_expired, extension_pending, idempotency_in_progress"),
        (status = 422, description = "field errors; idempotency_key_reused"), (status = 429, description = "too_many_lookups")))]
pub async fn file(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(raw): ApiJson<RawExtension>,
) -> ApiResult<(StatusCode, Json<Filed>)> {
    let filing = ExtensionFiling::parse(raw, state.today(), &state.catalogs.catalog).map_err(ApiError::validation)?;
    lookup_allowed(&state, &caller).await?;
    let now = state.clock.now();
    let version = crate::portal::filing::consent_version()
        .ok_or_else(|| ApiError::internal("filing", "the consent text (seeds/consent.toml) cannot be read"))?;
    let consent = goldcard_store::consents::record(
        state.store.db(),
        caller.account_id,
        None,
        filing.filer.as_str(),
        version,
        now,
    )
    .await?;
    let filed = match file_extension(
        state.store.db(),
        state.rules(),
        caller.actor(),
        &filing,
        Some(consent.id),
        now,
    )
    .await
    {
        Ok(f) => f,
        Err(FilingError::CardNotFound) => {
            lookup_failed(&state, &caller).await?;
            return Err(FilingError::CardNotFound.into());
        }
        Err(e) => return Err(e.into()),
    };
    Ok((
        StatusCode::CREATED,
        Json(Filed {
            case_number: filed.applied.case_number,
            state: filed.applied.state,
            fee_twd: filed.fee_twd,
            version: filed.applied.version,
        }),
    ))
}
