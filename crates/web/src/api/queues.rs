//! `GET /api/v1/queues/{queue}`: the work lists of each agency, paged and sorted by due date.

use super::ApiQuery;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, NaiveDate, Utc};
use goldcard_domain::FieldError;
use goldcard_store::StoreError;
use goldcard_store::entity::{accounts, cases};
use goldcard_workflow::AgencyRef;
use sea_orm::sea_query::{Condition, NullOrdering};
use sea_orm::{ColumnTrait, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The queues of interfaces.md.
pub const QUEUES: [&str; 6] = [
    "intake",
    "labor_review",
    "immigration_review",
    "supplement",
    "mine",
    "overdue",
];

/// One row of a queue or search.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseItem {
    /// Case number.
    pub case_number: String,
    /// State.
    pub state: String,
    /// Applicant's name.
    pub applicant_name: String,
    /// Field of expertise.
    pub field: String,
    /// Hong Kong or Macau resident.
    pub hk_macau: bool,
    /// Filed at.
    pub filed_at: DateTime<Utc>,
    /// Review due date (supplement due date while waiting for one).
    pub due_on: Option<NaiveDate>,
    /// Past its due date.
    pub overdue: bool,
    /// Login of the officer holding it.
    pub assignee: Option<String>,
}

/// A page of cases.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page {
    /// The rows.
    pub items: Vec<CaseItem>,
    /// Rows in all.
    pub total: u64,
}

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

/// Turns case rows into queue rows (assignee logins in one query).
pub async fn items(state: &AppState, rows: Vec<cases::Model>, supplement_due: bool) -> ApiResult<Vec<CaseItem>> {
    let ids: Vec<i64> = rows.iter().filter_map(|r| r.assignee_id).collect();
    let logins: HashMap<i64, String> = if ids.is_empty() {
        HashMap::new()
    } else {
        accounts::Entity::find()
            .select_only()
            .column(accounts::Column::Id)
            .column(accounts::Column::Login)
            .filter(accounts::Column::Id.is_in(ids))
            .into_tuple::<(i64, String)>()
            .all(state.store.db())
            .await
            .map_err(StoreError::from)?
            .into_iter()
            .collect()
    };
    let today = state.today();
    Ok(rows
        .into_iter()
        .map(|r| {
            let due_on = if supplement_due || r.state == "supplement" {
                r.supplement_due_on
            } else {
                r.sla_due_on
            };
            CaseItem {
                overdue: due_on.is_some_and(|d| d < today),
                assignee: r.assignee_id.and_then(|a| logins.get(&a).cloned()),
                case_number: r.case_number,
                state: r.state,
                applicant_name: r.applicant_name,
                field: r.field,
                hk_macau: r.hk_macau,
                filed_at: r.filed_at,
                due_on,
            }
        })
        .collect())
}

/// The states the workflow gives to an agency.
fn agency_states(state: &AppState, agency: &str) -> Vec<String> {
    state
        .workflow
        .states
        .iter()
        .filter(|s| s.agency == Some(AgencyRef::Named(agency.to_string())))
        .map(|s| s.name.clone())
        .collect()
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
    if !QUEUES.contains(&name.as_str()) {
        return Err(ApiError::not_found(
            "queue_not_found",
            format!("no queue `{name}` ({})", QUEUES.join(", ")),
        ));
    }
    let agency = state
        .workflow
        .role(caller.role)
        .and_then(|r| r.agency.clone())
        .ok_or_else(|| ApiError::forbidden("queues belong to the agencies' officers"))?;
    let mine = agency_states(&state, &agency);
    let in_state = |s: &str| -> ApiResult<Condition> {
        if mine.iter().any(|m| m == s) {
            Ok(Condition::all().add(cases::Column::State.eq(s)))
        } else {
            Err(ApiError::forbidden(format!(
                "the `{name}` queue is not of the {agency} agency"
            )))
        }
    };
    let today = state.today();
    let cond = match name.as_str() {
        "intake" => in_state("paid")?,
        "labor_review" => in_state("labor_review")?,
        "immigration_review" => in_state("immigration_review")?,
        "supplement" => Condition::all()
            .add(cases::Column::State.eq("supplement"))
            .add(cases::Column::ReturnState.is_in(mine.clone())),
        "mine" => Condition::all().add(cases::Column::AssigneeId.eq(caller.account_id)),
        _ => Condition::all()
            .add(cases::Column::State.is_in(mine.clone()))
            .add(cases::Column::SlaDueOn.lt(today)),
    };
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
    let supplement_due = name == "supplement";
    let due_col = if supplement_due {
        cases::Column::SupplementDueOn
    } else {
        cases::Column::SlaDueOn
    };
    let query: Select<cases::Entity> = cases::Entity::find().filter(cond);
    let sorted = match q.sort.as_deref().unwrap_or("due_on") {
        "due_on" => query.order_by_with_nulls(due_col, Order::Asc, NullOrdering::Last),
        "-due_on" => query.order_by_with_nulls(due_col, Order::Desc, NullOrdering::Last),
        "filed_at" => query.order_by_asc(cases::Column::FiledAt),
        "-filed_at" => query.order_by_desc(cases::Column::FiledAt),
        other => {
            return Err(ApiError::validation(vec![FieldError::new(
                "sort",
                "invalid",
                format!("cannot sort by `{other}` (due_on, -due_on, filed_at, -filed_at)"),
            )]));
        }
    }
    .order_by_asc(cases::Column::Id);
    let total = sorted.clone().count(state.store.db()).await.map_err(StoreError::from)?;
    let rows = sorted
        .offset((page - 1) * per_page)
        .limit(per_page)
        .all(state.store.db())
        .await
        .map_err(StoreError::from)?;
    Ok(Json(Page {
        items: items(&state, rows, supplement_due).await?,
        total,
    }))
}
