//! The services the JSON API and the back office share: reading queues and cases as the
//! caller may see them, searching, and firing events. The API turns their results into
//! JSON, the back office into pages; neither has a rule of its own.

use crate::AppState;
use crate::api::mask;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use goldcard_domain::FieldError;
use goldcard_store::StoreError;
use goldcard_store::accounts;
use goldcard_store::cases::LoadedCase;
use goldcard_store::entity::{accounts as account, audit_log, case_documents, cases, documents};
use goldcard_store::events::{self, FireError};
use goldcard_store::queues;
use goldcard_views::model::*;
use goldcard_workflow::{Actor, Attachment, EventRequest, Role, SupplementItem};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// How long the list of officers is reused before it is read again. Changes made on this
/// instance's admin screens forget it at once.
pub const STAFF_TTL: std::time::Duration = std::time::Duration::from_secs(30);

/// An account that works cases or supports them (every role but `applicant`).
#[derive(Debug, Clone)]
pub struct StaffMember {
    /// Account id.
    pub id: i64,
    /// Login.
    pub login: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: String,
    /// Whether it may sign in.
    pub active: bool,
}

/// The officers, read at most once per [`STAFF_TTL`]: a few hundred rows that every queue
/// and case page needs (assignee logins, the officers to assign to, note authors).
#[derive(Default)]
pub struct StaffCache {
    inner: std::sync::Mutex<Option<(std::time::Instant, std::sync::Arc<Vec<StaffMember>>)>>,
}

impl StaffCache {
    /// Forgets the list (an account was created, changed or deactivated).
    pub fn clear(&self) {
        if let Ok(mut g) = self.inner.lock() {
            *g = None;
        }
    }
}

/// Consents remembered once read: a consent is never withdrawn, so the portal's pages
/// need not read again that an applicant consented in this sign-in session.
#[derive(Default)]
pub struct ConsentCache {
    entries: std::sync::Mutex<HashMap<(i64, i64, String), i64>>,
}

/// Consents kept at most; past it the cache starts again empty.
const CONSENT_CAP: usize = 50_000;

/// The consent (its row id) `account_id` gave to the text `version` in the sign-in session
/// `session_id`, if any; a consent found is remembered.
pub async fn consent_in_session(
    state: &AppState,
    account_id: i64,
    session_id: i64,
    version: &str,
) -> ApiResult<Option<i64>> {
    let key = (account_id, session_id, version.to_string());
    if let Ok(entries) = state.consents.entries.lock()
        && let Some(id) = entries.get(&key)
    {
        return Ok(Some(*id));
    }
    let found = goldcard_store::consents::given_in_session(state.store.db(), account_id, session_id, version)
        .await?
        .map(|row| row.id);
    if let Some(id) = found {
        remember_consent(state, account_id, session_id, version, id);
    }
    Ok(found)
}

/// Remembers the latest consent `account_id` gave to `version` in `session_id`.
pub fn remember_consent(state: &AppState, account_id: i64, session_id: i64, version: &str, id: i64) {
    if let Ok(mut entries) = state.consents.entries.lock() {
        if entries.len() >= CONSENT_CAP {
            entries.clear();
        }
        let latest = entries
            .entry((account_id, session_id, version.to_string()))
            .or_insert(id);
        *latest = Ord::max(*latest, id);
    }
}

/// The officers, by login.
pub async fn staff(state: &AppState) -> ApiResult<std::sync::Arc<Vec<StaffMember>>> {
    if let Ok(g) = state.staff.inner.lock()
        && let Some((at, list)) = g.as_ref()
        && at.elapsed() < STAFF_TTL
    {
        return Ok(list.clone());
    }
    let list: Vec<StaffMember> = account::Entity::find()
        .select_only()
        .column(account::Column::Id)
        .column(account::Column::Login)
        .column(account::Column::DisplayName)
        .column(account::Column::Role)
        .column(account::Column::Active)
        .filter(account::Column::Role.ne(Role::Applicant.as_str()))
        .order_by_asc(account::Column::Login)
        .into_tuple::<(i64, String, String, String, bool)>()
        .all(state.store.db())
        .await
        .map_err(StoreError::from)?
        .into_iter()
        .map(|(id, login, name, role, active)| StaffMember {
            id,
            login,
            name,
            role,
            active,
        })
        .collect();
    let list = std::sync::Arc::new(list);
    if let Ok(mut g) = state.staff.inner.lock() {
        *g = Some((std::time::Instant::now(), list.clone()));
    }
    Ok(list)
}

/// Turns case rows into queue rows (assignee logins from the officers' list; an assignee
/// not on it, which only a change on another instance makes possible, in one query).
pub async fn items(state: &AppState, rows: Vec<queues::QueueRow>) -> ApiResult<Vec<CaseItem>> {
    let staff = staff(state).await?;
    let mut logins: HashMap<i64, String> = staff.iter().map(|m| (m.id, m.login.clone())).collect();
    let missing: Vec<i64> = rows
        .iter()
        .filter_map(|r| r.assignee_id)
        .filter(|id| !logins.contains_key(id))
        .collect();
    if !missing.is_empty() {
        logins.extend(
            account::Entity::find()
                .select_only()
                .column(account::Column::Id)
                .column(account::Column::Login)
                .filter(account::Column::Id.is_in(missing))
                .into_tuple::<(i64, String)>()
                .all(state.store.db())
                .await
                .map_err(StoreError::from)?,
        );
    }
    let today = state.today();
    Ok(rows
        .into_iter()
        .map(|r| CaseItem {
            overdue: r.is_overdue(today),
            due_on: r.due_on(),
            assignee: r.assignee_id.and_then(|a| logins.get(&a).cloned()),
            case_number: r.case_number,
            state: r.state,
            applicant_name: r.applicant_name,
            field: r.field,
            hk_macau: r.hk_macau,
            filed_at: r.filed_at,
        })
        .collect())
}

pub(crate) fn db_err(e: sea_orm::DbErr) -> ApiError {
    StoreError::from(e).into()
}

pub(crate) fn not_found() -> ApiError {
    ApiError::not_found("case_not_found", "no such case")
}

/// Loads a case the caller may see with the facts the engine decides on (the case and its
/// card's expiry in one query); others' cases are "not found", as if they did not exist.
pub async fn visible_loaded_case(state: &AppState, caller: &Caller, case_number: &str) -> ApiResult<LoadedCase> {
    let loaded = goldcard_store::cases::load(state.store.db(), case_number, &state.catalogs.catalog)
        .await?
        .ok_or_else(not_found)?;
    if caller.role == Role::Applicant && loaded.row.filer_account_id != caller.account_id {
        return Err(ApiError::not_yours("case_not_found", "no such case"));
    }
    Ok(loaded)
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
        return Err(ApiError::not_yours("case_not_found", "no such case"));
    }
    Ok(case)
}

/// The case as `caller` may see it: identifiers masked and no documents for the helpdesk,
/// carried-over documents not listed for the applicant.
pub async fn case_view(state: &AppState, caller: &Caller, case: cases::Model) -> ApiResult<CaseView> {
    let db = state.store.db();
    let assignee = match case.assignee_id {
        Some(id) => match staff(state).await?.iter().find(|m| m.id == id) {
            Some(m) => Some(Assignee {
                login: m.login.clone(),
                name: m.name.clone(),
            }),
            None => account::Entity::find_by_id(id)
                .one(db)
                .await
                .map_err(db_err)?
                .map(|a| Assignee {
                    login: a.login,
                    name: a.display_name,
                }),
        },
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

/// What an accepted event left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fired {
    /// The new state.
    pub state: String,
    /// The new version.
    pub version: i64,
}

/// Fires `event` on a case the caller may see, with `body` as its payload: the policy is
/// asked, the payload's documents and `to` officer are resolved, the engine decides and the
/// store applies. A repeated payment (same receipt) is an idempotent no-op.
pub async fn fire(
    state: &AppState,
    caller: &Caller,
    case_number: &str,
    event: &str,
    version: Option<i64>,
    body: Map<String, Value>,
) -> ApiResult<Fired> {
    let loaded = visible_loaded_case(state, caller, case_number).await?;
    if !state.workflow.has_event(event) {
        return Err(ApiError::conflict(
            "invalid_transition",
            format!("there is no event `{event}`"),
        ));
    }
    if !state.access.may_fire(caller.role.as_str(), event).await {
        return Err(ApiError::forbidden(format!("a {} may not fire `{event}`", caller.role)));
    }
    if event == "pay" && receipt_already_recorded(&loaded.row, &body) {
        return Ok(Fired {
            state: loaded.row.state,
            version: loaded.row.version,
        });
    }
    let reassign_target = if event == "reassign" {
        officer(state, body.get("to")).await?
    } else {
        None
    };
    let attachments = attachments(state, caller, &body).await?;
    let request = EventRequest {
        event,
        expected_version: version,
        payload: &body,
        reassign_target,
        attachments: &attachments,
    };
    let now = state.clock.now();
    match events::fire_on(state.store.db(), state.rules(), caller.actor(), loaded, request, now).await {
        Ok(applied) => Ok(Fired {
            state: applied.state,
            version: applied.version,
        }),
        Err(
            FireError::Store(StoreError::DuplicateReceipt(_))
            | FireError::Refused(goldcard_workflow::Refusal::VersionConflict { .. }),
        ) if event == "pay" => {
            // a repeat that raced the first: the same receipt on this case is a no-op
            let case = visible_case(state, caller, case_number).await?;
            if receipt_already_recorded(&case, &body) {
                Ok(Fired {
                    state: case.state,
                    version: case.version,
                })
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

/// Escapes LIKE wildcards so that search text is only ever text.
fn like_pattern(q: &str) -> String {
    let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// Finds cases by case number, UI number, passport number or email (exact, indexed); when
/// none matches, by part of the applicant's name. The text is only ever text: LIKE
/// wildcards are escaped and every value is bound.
pub async fn search(state: &AppState, text: &str, page: u64, per_page: u64) -> ApiResult<(Vec<CaseItem>, u64)> {
    use sea_orm::PaginatorTrait;
    use sea_orm::sea_query::{Condition, Expr, ExprTrait, Func, LikeExpr};
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 200 {
        return Err(ApiError::validation(vec![FieldError::new(
            "q",
            "invalid",
            "give 1 to 200 characters to search for",
        )]));
    }
    // No stored value holds a NUL (identifiers are checked, names refuse control
    // characters) and PostgreSQL refuses to compare text with one: it matches nothing.
    if text.contains('\0') {
        return Ok((Vec::new(), 0));
    }
    let upper = text.to_uppercase();
    let lower = text.to_lowercase();
    let exact = Condition::any()
        .add(cases::Column::CaseNumber.eq(text))
        .add(cases::Column::UiNumber.eq(upper.as_str()))
        .add(cases::Column::PassportNumber.eq(upper.as_str()))
        .add(cases::Column::ApplicantEmail.eq(lower.as_str()));
    let db = state.store.db();
    let mut query = cases::Entity::find().filter(exact);
    let mut total = query.clone().count(db).await.map_err(db_err)?;
    if total == 0 && text.chars().count() >= 2 {
        query = cases::Entity::find().filter(
            Expr::expr(Func::lower(Expr::col(cases::Column::ApplicantName)))
                .like(LikeExpr::new(like_pattern(&lower)).escape('\\')),
        );
        total = query.clone().count(db).await.map_err(db_err)?;
    }
    let rows = queues::rows(db, query.order_by_desc(cases::Column::Id), page, per_page).await?;
    Ok((items(state, rows).await?, total))
}
