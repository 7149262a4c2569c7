//! `/office/search`: cases by case number, UI number, passport number, email or name, for
//! officers and the helpdesk (identifiers masked for the helpdesk on the case page).

use super::Ctx;
use super::queues::PER_PAGE;
use crate::service;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use goldcard_views::office::queue::{SearchScreen, search_page};
use serde::Deserialize;

/// `?q=&page=`.
#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    q: Option<String>,
    page: Option<String>,
}

/// `GET /office/search`.
pub async fn page(ctx: Ctx, Query(p): Query<SearchParams>) -> Response {
    let q = p.q.as_deref().unwrap_or("").trim().to_string();
    let page = p
        .page
        .as_deref()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let field_names: Vec<(String, String)> = ctx
        .state
        .catalogs
        .catalog
        .fields
        .iter()
        .map(|f| (f.code.as_str().to_string(), ctx.t(&f.name_zh, &f.name_en).to_string()))
        .collect();
    let mut screen = SearchScreen {
        q: q.clone(),
        rows: Vec::new(),
        total: 0,
        page,
        per_page: PER_PAGE,
        today: ctx.state.today(),
        field_names,
        error: None,
    };
    let mut status = StatusCode::OK;
    if !q.is_empty() {
        match service::search(&ctx.state, &q, page, PER_PAGE).await {
            Ok((rows, total)) => {
                screen.rows = rows;
                screen.total = total;
            }
            Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
                status = e.status;
                screen.error = Some(
                    ctx.t("請輸入 1 到 200 個字元。", "Give 1 to 200 characters.")
                        .to_string(),
                );
            }
            Err(e) => return ctx.fail(e),
        }
    }
    (status, search_page(&ctx.chrome, &screen)).into_response()
}
