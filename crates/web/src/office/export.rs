//! CSV export of any queue (with its filters) or search: every matching case, not just the
//! page shown, written with the `csv` crate.

use super::Ctx;
use super::queues::{QueueParams, parse_params, reader_queue};
use crate::error::{ApiError, ApiResult};
use crate::service;
use axum::extract::{Path, Query};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use goldcard_store::queues::{self, Reader};
use goldcard_views::model::CaseItem;

/// The most rows one export carries.
pub const MAX_ROWS: u64 = 100_000;

fn csv_of(rows: &[CaseItem]) -> ApiResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| ApiError::internal("csv", e);
    w.write_record([
        "case_number",
        "state",
        "applicant_name",
        "field",
        "hk_macau",
        "filed_at",
        "due_on",
        "overdue",
        "assignee",
    ])
    .map_err(fail)?;
    for r in rows {
        w.write_record([
            r.case_number.as_str(),
            r.state.as_str(),
            // a leading = + - @ would be a formula in a spreadsheet: quote it out
            &defuse(&r.applicant_name),
            r.field.as_str(),
            if r.hk_macau { "yes" } else { "no" },
            &r.filed_at.to_rfc3339(),
            &r.due_on.map(|d| d.to_string()).unwrap_or_default(),
            if r.overdue { "yes" } else { "no" },
            r.assignee.as_deref().unwrap_or(""),
        ])
        .map_err(fail)?;
    }
    w.into_inner().map_err(|e| ApiError::internal("csv", e))
}

/// Text a spreadsheet would run as a formula gets a leading apostrophe.
fn defuse(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

fn attachment(name: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

/// `GET /office/queues/{queue}/export.csv`.
pub async fn queue(ctx: Ctx, Path(name): Path<String>, Query(p): Query<QueueParams>) -> Response {
    let r: ApiResult<Response> = async {
        let (agency, queue) = reader_queue(&ctx, &name)?;
        let parsed = parse_params(&ctx, &p).await?;
        if let Some(e) = parsed.errors.first() {
            return Err(ApiError::validation(vec![goldcard_domain::FieldError::new(
                &e.field, "invalid", &e.message,
            )]));
        }
        let reader = Reader {
            agency: &agency,
            account_id: ctx.caller.account_id,
        };
        let cond = queues::condition(&ctx.state.workflow, queue, &reader, &parsed.filter, ctx.state.today())
            .map_err(|e| ApiError::forbidden(e.to_string()))?;
        let rows = queues::page(
            ctx.state.store.db(),
            queues::sorted(queue, cond, parsed.sort),
            1,
            MAX_ROWS,
        )
        .await?;
        let rows = service::items(&ctx.state, rows).await?;
        Ok(attachment(
            &format!("{}-{}.csv", queue.as_str(), ctx.state.today()),
            csv_of(&rows)?,
        ))
    }
    .await;
    r.unwrap_or_else(|e| ctx.fail(e))
}

/// `?q=`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct SearchParams {
    q: Option<String>,
}

/// `GET /office/search/export.csv`.
pub async fn search(ctx: Ctx, Query(p): Query<SearchParams>) -> Response {
    let r: ApiResult<Response> = async {
        let (rows, _) = service::search(&ctx.state, p.q.as_deref().unwrap_or(""), 1, MAX_ROWS).await?;
        Ok(attachment(&format!("search-{}.csv", ctx.state.today()), csv_of(&rows)?))
    }
    .await;
    r.unwrap_or_else(|e| ctx.fail(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreadsheet_formulas_are_defused() {
        assert_eq!(defuse("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse("Ada Lovelace"), "Ada Lovelace");
    }
}
