//! `GET /api/v1/cases/{n}`, `GET /api/v1/cases?q=`, `POST /api/v1/cases/{n}/events`.

use super::queues::{CaseItem, Page, items};
use super::{ApiJson, ApiQuery, mask};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, NaiveDate, Utc};
use goldcard_domain::FieldError;
use goldcard_store::StoreError;
use goldcard_store::accounts;
use goldcard_store::entity::{accounts as account, audit_log, case_documents, cases, documents};
use goldcard_store::events::{self, FireError};
use goldcard_workflow::{Actor, Attachment, EventRequest, Role, SupplementItem};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Func};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Who holds a case.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Assignee {
    /// Login.
    pub login: String,
    /// Name.
    pub name: String,
}

/// The applicant as the case records them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApplicantView {
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// 統一證號 (masked for the helpdesk).
    pub ui_number: String,
    /// Passport number (masked for the helpdesk).
    pub passport_number: Option<String>,
    /// Nationality.
    pub nationality: String,
    /// Hong Kong or Macau resident.
    pub hk_macau: bool,
    /// Who filed: `self`, `employer`, `agency`.
    pub filer: String,
}

/// Field of expertise and criterion.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldView {
    /// Field.
    pub field: String,
    /// Criterion (款).
    pub criterion: String,
    /// Sub-field.
    pub subfield: Option<String>,
}

/// An open (or missed) supplement request.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SupplementView {
    /// What was asked.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<SupplementItem>,
    /// Last day.
    pub due_on: Option<NaiveDate>,
    /// Documents from abroad.
    pub abroad: bool,
    /// The deadline passed without a supplement.
    pub overdue: bool,
}

/// The decision on a closed case.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DecisionView {
    /// `not_eligible`, `supplement_missed`, `other` (rejections).
    pub grounds: Option<String>,
    /// Reason.
    pub reason: Option<String>,
    /// Legal basis.
    pub legal_basis: Option<String>,
    /// New expiry (issued cases).
    pub new_expires_on: Option<NaiveDate>,
}

/// A document of the case.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DocumentView {
    /// Id.
    pub document_id: String,
    /// Type.
    pub doc_type: String,
    /// `filing`, `supplement`, `consultation`, `carried_over`.
    pub purpose: String,
    /// From the previous approved application.
    pub carried_over: bool,
}

/// One event in the case's history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Event.
    pub event: String,
    /// State left.
    pub from: Option<String>,
    /// State entered.
    pub to: String,
    /// Role of who fired it.
    pub actor_role: String,
}

/// A case.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    /// Case number.
    pub case_number: String,
    /// `extension`.
    pub kind: String,
    /// State.
    pub state: String,
    /// State in words (zh-TW).
    pub state_label_zh: String,
    /// State in words (en).
    pub state_label_en: String,
    /// Optimistic-lock version: send it back with events.
    pub version: i64,
    /// Holder of the case.
    pub assignee: Option<Assignee>,
    /// The applicant.
    pub applicant: ApplicantView,
    /// Field and criterion.
    pub field: FieldView,
    /// Years asked for.
    pub validity_years: i32,
    /// Fee computed at filing.
    pub fee_twd: i32,
    /// Fee received.
    pub paid: bool,
    /// Open or missed supplement.
    pub supplement: Option<SupplementView>,
    /// Ministry being consulted.
    pub consulting: Option<String>,
    /// When the running review phase is due.
    pub due_on: Option<NaiveDate>,
    /// Filed at.
    pub filed_at: DateTime<Utc>,
    /// Decision.
    pub decision: Option<DecisionView>,
    /// Documents (none for the helpdesk; carried-over ones not listed for the applicant).
    pub documents: Vec<DocumentView>,
    /// How many documents were carried over from the previous application.
    pub carried_over_documents: usize,
    /// Every event, oldest first.
    pub history: Vec<HistoryEntry>,
}

fn db_err(e: sea_orm::DbErr) -> ApiError {
    StoreError::from(e).into()
}

fn not_found() -> ApiError {
    ApiError::not_found("case_not_found", "no such case")
}

/// Loads a case the caller may see; others' cases are "not found", as if they did not exist.
pub async fn visible_case(state: &AppState, caller: &Caller, case_number: &str) -> ApiResult<cases::Model> {
    let case = cases::Entity::find()
        .filter(cases::Column::CaseNumber.eq(case_number))
        .one(state.store.db())
        .await
        .map_err(db_err)?
        .ok_or_else(not_found)?;
    if caller.role == Role::Applicant && case.filer_account_id != caller.account_id {
        return Err(not_found());
    }
    Ok(case)
}

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

async fn case_view(state: &AppState, caller: &Caller, case: cases::Model) -> ApiResult<CaseView> {
    let db = state.store.db();
    let assignee = match case.assignee_id {
        Some(id) => account::Entity::find_by_id(id)
            .one(db)
            .await
            .map_err(db_err)?
            .map(|a| Assignee {
                login: a.login,
                name: a.display_name,
            }),
        None => None,
    };
    let history = audit_log::Entity::find()
        .filter(audit_log::Column::CaseId.eq(case.id))
        .order_by_asc(audit_log::Column::Seq)
        .all(db)
        .await
        .map_err(db_err)?
        .into_iter()
        .map(|r| HistoryEntry {
            at: r.at,
            event: r.event,
            from: r.from_state,
            to: r.to_state,
            actor_role: r.actor_role,
        })
        .collect();
    let docs: Vec<(case_documents::Model, Option<documents::Model>)> = case_documents::Entity::find()
        .filter(case_documents::Column::CaseId.eq(case.id))
        .find_also_related(documents::Entity)
        .order_by_asc(case_documents::Column::Id)
        .all(db)
        .await
        .map_err(db_err)?;
    let carried_over_documents = docs.iter().filter(|(d, _)| d.carried_over).count();
    let documents = if caller.role == Role::Helpdesk {
        Vec::new()
    } else {
        docs.into_iter()
            .filter(|(d, _)| !(caller.role == Role::Applicant && d.carried_over))
            .filter_map(|(d, doc)| {
                doc.map(|doc| DocumentView {
                    document_id: doc.public_id,
                    doc_type: d.doc_type,
                    purpose: d.purpose,
                    carried_over: d.carried_over,
                })
            })
            .collect()
    };
    let masked = caller.role == Role::Helpdesk;
    let label = state.workflow.state_id(&case.state).map(|s| state.workflow.state(s));
    let supplement = if case.supplement_due_on.is_some() || case.supplement_overdue {
        let items: Vec<SupplementItem> = case
            .supplement_items
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default();
        Some(SupplementView {
            items,
            due_on: case.supplement_due_on,
            abroad: case.supplement_abroad,
            overdue: case.supplement_overdue,
        })
    } else {
        None
    };
    let decision = (case.decision_grounds.is_some() || case.decision_reason.is_some() || case.new_expires_on.is_some())
        .then(|| DecisionView {
            grounds: case.decision_grounds.clone(),
            reason: case.decision_reason.clone(),
            legal_basis: case.legal_basis.clone(),
            new_expires_on: case.new_expires_on,
        });
    Ok(CaseView {
        state_label_zh: label.map(|s| s.label_zh.clone()).unwrap_or_default(),
        state_label_en: label.map(|s| s.label_en.clone()).unwrap_or_default(),
        case_number: case.case_number,
        kind: case.kind,
        state: case.state,
        version: case.version,
        assignee,
        applicant: ApplicantView {
            name: case.applicant_name,
            email: case.applicant_email,
            ui_number: if masked { mask(&case.ui_number) } else { case.ui_number },
            passport_number: case.passport_number.map(|p| if masked { mask(&p) } else { p }),
            nationality: case.nationality,
            hk_macau: case.hk_macau,
            filer: case.filer,
        },
        field: FieldView {
            field: case.field,
            criterion: case.criterion,
            subfield: case.subfield,
        },
        validity_years: case.validity_years,
        fee_twd: case.fee_twd,
        paid: case.paid_at.is_some(),
        supplement,
        consulting: case.consulting_authority,
        due_on: case.sla_due_on,
        filed_at: case.filed_at,
        decision,
        documents,
        carried_over_documents,
        history,
    })
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

/// Escapes LIKE wildcards so that search text is only ever text.
fn like_pattern(q: &str) -> String {
    let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// Finds cases by number, UI number, passport number, email or name.
#[utoipa::path(get, path = "/api/v1/cases", params(SearchQuery), tag = "cases", responses((status = 200, body = Page)))]
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<Json<Page>> {
    let text = q.q.as_deref().unwrap_or("").trim().to_string();
    if text.is_empty() || text.chars().count() > 200 {
        return Err(ApiError::validation(vec![FieldError::new(
            "q",
            "invalid",
            "give 1 to 200 characters to search for",
        )]));
    }
    let upper = text.to_uppercase();
    let lower = text.to_lowercase();
    let mut cond = Condition::any()
        .add(cases::Column::CaseNumber.eq(text.as_str()))
        .add(cases::Column::UiNumber.eq(upper.as_str()))
        .add(cases::Column::PassportNumber.eq(upper.as_str()))
        .add(cases::Column::ApplicantEmail.eq(lower.as_str()));
    if text.chars().count() >= 2 {
        cond = cond.add(
            Expr::expr(Func::lower(Expr::col(cases::Column::ApplicantName)))
                .like(sea_orm::sea_query::LikeExpr::new(like_pattern(&lower)).escape('\\')),
        );
    }
    let query = cases::Entity::find().filter(cond);
    let per_page = q.per_page.unwrap_or(50).clamp(1, 200);
    let page = Ord::max(q.page.unwrap_or(1), 1);
    let total = query.clone().count(state.store.db()).await.map_err(db_err)?;
    let rows = query
        .order_by_desc(cases::Column::Id)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .all(state.store.db())
        .await
        .map_err(db_err)?;
    let items: Vec<CaseItem> = items(&state, rows, false).await?;
    let _ = caller;
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
#[utoipa::path(post, path = "/api/v1/cases/{case_number}/events", params(("case_number" = String, Path)), tag = "cases",
    request_body(content = Object, description = "`event`, optional `version`, and the event's payload (workflow.md)"),
    responses((status = 200, body = EventResult), (status = 403, description = "forbidden"), (status = 404, description = "case_not_found"),
        (status = 409, description = "invalid_transition, version_conflict"), (status = 422, description = "guard_failed or payload field errors")))]
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
    let case = visible_case(&state, &caller, &case_number).await?;
    if !state.workflow.has_event(&event) {
        return Err(ApiError::conflict(
            "invalid_transition",
            format!("there is no event `{event}`"),
        ));
    }
    if !state.access.may_fire(caller.role.as_str(), &event).await {
        return Err(ApiError::forbidden(format!("a {} may not fire `{event}`", caller.role)));
    }
    if event == "pay" && receipt_already_recorded(&case, &body) {
        return Ok(Json(EventResult {
            state: case.state,
            version: case.version,
        }));
    }
    let reassign_target = if event == "reassign" {
        officer(&state, body.get("to")).await?
    } else {
        None
    };
    let attachments = attachments(&state, &caller, &body).await?;
    let request = EventRequest {
        event: &event,
        expected_version: version,
        payload: &body,
        reassign_target,
        attachments: &attachments,
    };
    let now = state.clock.now();
    let loaded = goldcard_store::cases::load_row(state.store.db(), case, &state.catalogs.catalog).await?;
    match events::fire_on(state.store.db(), state.rules(), caller.actor(), loaded, request, now).await {
        Ok(applied) => Ok(Json(EventResult {
            state: applied.state,
            version: applied.version,
        })),
        Err(
            FireError::Store(StoreError::DuplicateReceipt(_))
            | FireError::Refused(goldcard_workflow::Refusal::VersionConflict { .. }),
        ) if event == "pay" => {
            // a repeat that raced the first: the same receipt on this case is a no-op
            let case = visible_case(&state, &caller, &case_number).await?;
            if receipt_already_recorded(&case, &body) {
                Ok(Json(EventResult {
                    state: case.state,
                    version: case.version,
                }))
            } else {
                Err(ApiError::conflict(
                    "duplicate_receipt",
                    "this receipt number was already recorded",
                ))
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether the payment's receipt is the one already recorded on the case.
pub fn receipt_already_recorded(case: &cases::Model, payload: &Map<String, Value>) -> bool {
    let receipt = payload.get("receipt_no").and_then(Value::as_str).map(str::trim);
    receipt.is_some() && case.receipt_no.as_deref() == receipt
}

/// The uploads an event's payload names (`documents` for a supplement, `document_id` for a
/// consultation's answer): each must be an upload of the caller's own.
async fn attachments(state: &AppState, caller: &Caller, body: &Map<String, Value>) -> ApiResult<Vec<Attachment>> {
    let mut named: Vec<(String, String)> = Vec::new();
    match body.get("documents") {
        None | Some(Value::Null) => {}
        Some(Value::Array(ids)) => {
            for (i, id) in ids.iter().enumerate() {
                let path = format!("documents[{i}]");
                match id.as_str() {
                    Some(id) => named.push((path, id.to_string())),
                    None => {
                        return Err(ApiError::validation(vec![FieldError::new(
                            path,
                            "invalid",
                            "a document id is text",
                        )]));
                    }
                }
            }
        }
        Some(_) => {
            return Err(ApiError::validation(vec![FieldError::new(
                "documents",
                "invalid",
                "a list of document ids",
            )]));
        }
    }
    if let Some(id) = body.get("document_id").and_then(Value::as_str) {
        named.push(("document_id".to_string(), id.to_string()));
    }
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (path, id) in named {
        let doc = documents::Entity::find()
            .filter(documents::Column::PublicId.eq(id.as_str()))
            .filter(documents::Column::UploadedBy.eq(caller.account_id))
            .one(state.store.db())
            .await
            .map_err(db_err)?;
        match doc {
            Some(d) => out.push(Attachment {
                document_id: d.id,
                doc_type: d.doc_type,
            }),
            None => errors.push(FieldError::new(
                path,
                "unknown_document",
                format!("no upload `{id}` of yours"),
            )),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::validation(errors))
    }
}

/// The active officer a `to` login names.
async fn officer(state: &AppState, to: Option<&Value>) -> ApiResult<Option<Actor>> {
    let Some(login) = to.and_then(Value::as_str) else {
        return Ok(None);
    };
    let account = accounts::find_by_login(state.store.db(), login).await?;
    Ok(account
        .filter(|a| a.active)
        .and_then(|a| a.role.parse::<Role>().ok().map(|role| Actor { account_id: a.id, role })))
}
