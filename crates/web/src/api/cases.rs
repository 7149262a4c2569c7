//! `GET /api/v1/cases/{n}`, `GET /api/v1/cases?q=`, `POST /api/v1/cases/{n}/events`.

use super::{ApiJson, ApiQuery};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::service::{self, case_view, visible_case};
use axum::Json;
use axum::extract::{Path, State};
use goldcard_domain::FieldError;
use goldcard_views::model::{CaseView, Page};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A case with its history.
#[utoipa::path(get, path = "/api/v1/cases/{case_number}", params(("case_number" = String, Path)), tag = "cases",
    responses((status = 200, body = CaseView), (status = 404, description = "case_not_found")))]
pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(case_number): Path<String>,
) -> ApiResult<Json<CaseView>> {
    let case = visible_case(&state, &caller, &case_number).await?;
    Ok(Json(case_view(&state, &caller, case).await?))
}

/// Search query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// Case number, UI number, passport number, email or part of a name.
    pub q: Option<String>,
    /// 1-based page.
    pub page: Option<u64>,
    /// Rows per page (≤ 200).
    pub per_page: Option<u64>,
}

/// Finds cases by number, UI number, passport number, email or name.
#[utoipa::path(get, path = "/api/v1/cases", params(SearchQuery), tag = "cases", responses((status = 200, body = Page)))]
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<Json<Page>> {
    let _ = caller;
    let per_page = q.per_page.unwrap_or(50).clamp(1, 200);
    let page = Ord::max(q.page.unwrap_or(1), 1);
    let (items, total) = service::search(&state, q.q.as_deref().unwrap_or(""), page, per_page).await?;
    Ok(Json(Page { items, total }))
}

/// The result of an accepted event.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventResult {
    /// New state.
    pub state: String,
    /// New version.
    pub version: i64,
}

/// Fires a workflow event: `{"event": "...", "version": n?, ...payload}`.
#[utoipa::path(post, path = "/api/v1/cases/{case_number}/events", params(("case_number" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "a one-time key: a repeat gets the first answer (marked `Idempotent-Replayed: true`) and changes nothing")),
    tag = "cases",
    request_body(content = Object, description = "`event`, optional `version`, and the event's payload (workflow.md)"),
    responses((status = 200, body = EventResult), (status = 400, description = "invalid_idempotency_key"), (status = 403, description = "forbidden"), (status = 404, description = "case_not_found"),
        (status = 409, description = "invalid_transition, version_conflict, idempotency_in_progress"), (status = 422, description = "guard_failed or payload field errors; idempotency_key_reused")))]
pub async fn fire(
    State(state): State<AppState>,
    caller: Caller,
    Path(case_number): Path<String>,
    ApiJson(mut body): ApiJson<Map<String, Value>>,
) -> ApiResult<Json<EventResult>> {
    let event = match body.remove("event") {
        Some(Value::String(e)) if !e.trim().is_empty() => e,
        _ => {
            return Err(ApiError::validation(vec![FieldError::new(
                "event",
                "required",
                "name the event to fire",
            )]));
        }
    };
    let version = match body.remove("version") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_i64().ok_or_else(|| {
            ApiError::validation(vec![FieldError::new("version", "invalid", "version is a whole number")])
        })?),
    };
    let fired = service::fire(&state, &caller, &case_number, &event, version, body).await?;
    Ok(Json(EventResult {
        state: fired.state,
        version: fired.version,
    }))
}
