//! `GET /api/v1/queues/{queue}`: the work lists of each agency, paged and sorted by due date.

use super::ApiQuery;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::service;
use axum::Json;
use axum::extract::{Path, State};
use goldcard_domain::FieldError;
use goldcard_store::queues::{self, Filter, Queue, Reader, Sort};
use goldcard_views::model::Page;
use serde::Deserialize;

/// Paging and sorting.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    /// 1-based page.
    pub page: Option<u64>,
    /// Rows per page (≤ 200, default 50).
    pub per_page: Option<u64>,
    /// `due_on` (default), `-due_on`, `filed_at`, `-filed_at`.
    pub sort: Option<String>,
}

/// The agency of an officer's role (labor, immigration); others have no queues.
pub fn agency_of(state: &AppState, caller: &Caller) -> ApiResult<String> {
    state
        .workflow
        .role(caller.role)
        .and_then(|r| r.agency.clone())
        .ok_or_else(|| ApiError::forbidden("queues belong to the agencies' officers"))
}

/// A queue of the caller's agency.
#[utoipa::path(get, path = "/api/v1/queues/{queue}", params(("queue" = String, Path), QueueQuery), tag = "queues",
    responses((status = 200, body = Page), (status = 403, description = "a queue of another agency"), (status = 404, description = "queue_not_found")))]
pub async fn queue(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> ApiResult<Json<Page>> {
    let Some(queue) = Queue::parse(&name) else {
        let names: Vec<&str> = Queue::ALL.iter().map(|q| q.as_str()).collect();
        return Err(ApiError::not_found(
            "queue_not_found",
            format!("no queue `{name}` ({})", names.join(", ")),
        ));
    };
    let agency = agency_of(&state, &caller)?;
    let reader = Reader {
        agency: &agency,
        account_id: caller.account_id,
    };
    let cond = queues::condition(&state.workflow, queue, &reader, &Filter::default(), state.today())
        .map_err(|e| ApiError::forbidden(e.to_string()))?;
    let per_page = q.per_page.unwrap_or(50);
    if !(1..=200).contains(&per_page) {
        return Err(ApiError::validation(vec![FieldError::new(
            "per_page",
            "invalid",
            "per_page is 1 to 200",
        )]));
    }
    let page = q.page.unwrap_or(1);
    if page == 0 {
        return Err(ApiError::validation(vec![FieldError::new(
            "page",
            "invalid",
            "pages start at 1",
        )]));
    }
    let sort = match q.sort.as_deref() {
        None => Sort::default(),
        Some(s) => Sort::parse(s).ok_or_else(|| {
            ApiError::validation(vec![FieldError::new(
                "sort",
                "invalid",
                format!("cannot sort by `{s}` (due_on, -due_on, filed_at, -filed_at)"),
            )])
        })?,
    };
    let db = state.store.db();
    let total = queues::count(db, cond.clone()).await?;
    let rows = queues::page(db, queues::sorted(queue, cond, sort), page, per_page).await?;
    Ok(Json(Page {
        items: service::items(&state, rows).await?,
        total,
    }))
}
