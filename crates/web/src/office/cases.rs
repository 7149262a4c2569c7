//! `/office/cases/{case_number}`: the case page, its actions (each a workflow event fired
//! through the shared service), notes, the helpdesk's resend, and the document viewer.

use super::{Ctx, PageForm};
use crate::error::{ApiError, ApiResult};
use crate::service;
use axum::extract::{Path, Query};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use goldcard_domain::supplement_due_on;
use goldcard_store::entity::{accounts, case_documents, cases, documents};
use goldcard_views::components::FieldMessage;
use goldcard_views::office::case::{Action, CaseScreen, Failed, NoteView, case_page};
use goldcard_views::office::event_words;
use goldcard_workflow::{AgencyRef, Role};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// `?done=EVENT` after an action.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// `GET /office/cases/{case_number}`.
pub async fn page(mut ctx: Ctx, Path(n): Path<String>, Query(done): Query<Done>) -> Response {
    if let Some(d) = done.done.as_deref() {
        let text = match d {
            "note" => ctx.t("已新增備註。", "Note added.").to_string(),
            "resend" => ctx
                .t("已重新寄送最近一封通知。", "The last notification will be sent again.")
                .to_string(),
            "resend_none" => ctx
                .t("此案件尚無通知可重寄。", "This case has no notification to resend.")
                .to_string(),
            event => format!("{} ✓", event_words(ctx.chrome.lang, event)),
        };
        ctx.flash(d != "resend_none", text);
    }
    match screen(&ctx, &n, None).await {
        Ok(s) => ctx.page(case_page(&ctx.chrome, &s)),
        Err(e) => ctx.fail(e),
    }
}

/// The agency working a case in its current state (a supplement: the one that asked).
fn agency_of_case(ctx: &Ctx, case: &cases::Model) -> Option<String> {
    let wf = &ctx.state.workflow;
    let id = wf.state_id(&case.state)?;
    match &wf.state(id).agency {
        Some(AgencyRef::Named(a)) => Some(a.clone()),
        Some(AgencyRef::ReturnState) => {
            let back = wf.state_id(case.return_state.as_deref()?)?;
            match &wf.state(back).agency {
                Some(AgencyRef::Named(a)) => Some(a.clone()),
                _ => None,
            }
        }
        None => None,
    }
}

async fn screen(ctx: &Ctx, n: &str, failed: Option<Failed>) -> ApiResult<CaseScreen> {
    let state = &ctx.state;
    let db = state.store.db();
    let lang = ctx.chrome.lang;
    let loaded = service::visible_loaded_case(state, &ctx.caller, n).await?;
    let row = loaded.row.clone();
    let form: Value = serde_json::from_str(&row.form).unwrap_or(Value::Null);
    let catalog = &state.catalogs.catalog;
    let field = catalog.fields.iter().find(|f| f.code.as_str() == row.field);
    let criterion = field.and_then(|f| f.criterion(&row.criterion));
    let subfield = field.and_then(|f| row.subfield.as_deref().and_then(|s| f.subfield(s)));
    let doc_type_names: Vec<(String, String)> = catalog
        .document_types
        .iter()
        .map(|d| (d.code.clone(), lang.pick(&d.name_zh, &d.name_en).to_string()))
        .collect();
    let notes = goldcard_store::notes::list(db, row.id).await?;
    // notes are written by officers and the helpdesk: their names come from the officers'
    // list, and only an author not on it (another instance's new account) is read
    let mut authors: HashMap<i64, String> = HashMap::new();
    if !notes.is_empty() {
        authors.extend(service::staff(state).await?.iter().map(|m| (m.id, m.name.clone())));
        let missing: Vec<i64> = notes
            .iter()
            .map(|n| n.author_id)
            .filter(|id| !authors.contains_key(id))
            .collect();
        if !missing.is_empty() {
            authors.extend(
                accounts::Entity::find()
                    .filter(accounts::Column::Id.is_in(missing))
                    .all(db)
                    .await
                    .map_err(service::db_err)?
                    .into_iter()
                    .map(|a| (a.id, a.display_name)),
            );
        }
    }
    let notes = notes
        .into_iter()
        .map(|n| NoteView {
            at: n.at,
            author: authors.get(&n.author_id).cloned().unwrap_or_default(),
            author_role: n.author_role,
            body: n.body,
        })
        .collect();
    let agency = agency_of_case(ctx, &row);
    let authority = field
        .map(|f| lang.pick(&f.authority_zh, &f.authority_en).to_string())
        .unwrap_or_default();
    let actor = ctx.caller.actor();
    let today = state.today();
    let mut actions = Vec::new();
    for event in state.workflow.offered_events(&loaded.facts, &actor) {
        if !state.access.may_fire(ctx.caller.role.as_str(), event).await {
            continue;
        }
        actions.push(match event {
            "claim" => Action::Claim,
            "request_supplement" => Action::RequestSupplement {
                choices: doc_type_names.clone(),
                due_on: supplement_due_on(today, false),
                due_on_abroad: supplement_due_on(today, true),
            },
            "consult" => Action::Consult {
                authority: field.map(|f| f.authority_zh.clone()).unwrap_or_default(),
            },
            "consultation_answered" => Action::ConsultationAnswered,
            "approve" => Action::Approve,
            "issue" => Action::Issue,
            "reject" => Action::Reject,
            "reassign" => Action::Reassign {
                officers: match &agency {
                    Some(a) => super::queues::officers(state, a).await?,
                    None => Vec::new(),
                },
            },
            "withdraw" => Action::Withdraw,
            other => Action::Other(other.to_string()),
        });
    }
    let role = ctx.caller.role.as_str();
    let case = service::case_view(state, &ctx.caller, row.clone()).await?;
    Ok(CaseScreen {
        case,
        today,
        form,
        field_name: field
            .map(|f| lang.pick(&f.name_zh, &f.name_en).to_string())
            .unwrap_or_else(|| row.field.clone()),
        criterion_text: criterion
            .map(|c| lang.pick(&c.text_zh, &c.text_en).to_string())
            .unwrap_or_default(),
        subfield_name: subfield.map(|s| lang.pick(&s.name_zh, &s.name_en).to_string()),
        authority,
        doc_type_names,
        notes,
        actions,
        can_note: state
            .access
            .allows(role, "/office/cases/{case_number}/notes", "POST")
            .await,
        can_resend: state
            .access
            .allows(role, "/office/cases/{case_number}/resend", "POST")
            .await,
        masked: ctx.caller.role == Role::Helpdesk,
        failed,
    })
}

/// The event's payload from the action's form.
fn payload(event: &str, form: &PageForm) -> Map<String, Value> {
    let mut p = Map::new();
    let text = |name: &str| Value::String(form.get(name).to_string());
    match event {
        "request_supplement" => {
            let items: Vec<Value> = form
                .all("item")
                .into_iter()
                .map(|code| json!({"doc_type": code, "note": form.get(&format!("note_{code}"))}))
                .collect();
            p.insert("items".into(), Value::Array(items));
            p.insert("abroad".into(), Value::Bool(form.get("abroad") == "yes"));
            if !form.get("due_on").is_empty() {
                p.insert("due_on".into(), text("due_on"));
            }
        }
        "consult" => {
            p.insert("authority".into(), text("authority"));
        }
        "consultation_answered" => {
            p.insert("opinion".into(), text("opinion"));
        }
        "reject" => {
            for k in ["grounds", "reason", "legal_basis"] {
                p.insert(k.into(), text(k));
            }
        }
        "reassign" => {
            p.insert("to".into(), text("to"));
        }
        "withdraw" => {
            p.insert("reason".into(), text("reason"));
        }
        _ => {}
    }
    p
}

/// Puts the engine's field paths (`items[1].note`, `reason`) on the form's fields.
fn form_errors(event: &str, form: &PageForm, e: &ApiError) -> Vec<FieldMessage> {
    let items = form.all("item");
    e.fields
        .iter()
        .map(|f| {
            let mut field = f.field.clone();
            if event == "request_supplement"
                && let Some(rest) = field.strip_prefix("items[")
                && let Some((i, _)) = rest.split_once(']')
                && let Some(code) = i.parse::<usize>().ok().and_then(|i| items.get(i))
            {
                field = format!("note_{code}");
            }
            FieldMessage {
                field,
                message: f.message.clone(),
            }
        })
        .collect()
}

/// `POST /office/cases/{case_number}/events/{event}`: fires the event after the
/// confirmation box; on refusal shows the page again with the errors and what was typed.
pub async fn fire(ctx: Ctx, Path((n, event)): Path<(String, String)>, form: PageForm) -> Response {
    let version = form.get("version").parse::<i64>().ok();
    let result = if form.confirmed() {
        service::fire(&ctx.state, &ctx.caller, &n, &event, version, payload(&event, &form))
            .await
            .map(|_| ())
    } else {
        Err(ApiError::validation(vec![goldcard_domain::FieldError::new(
            "confirm",
            "required",
            ctx.t("請勾選確認。", "Tick the box to confirm."),
        )]))
    };
    match result {
        Ok(()) => {
            ctx.state.counts.clear();
            Redirect::to(&format!("/office/cases/{n}?done={event}")).into_response()
        }
        Err(e) => {
            let status = e.status;
            let message = match e.code {
                "version_conflict" => ctx
                    .t(
                        "案件已被他人更新，請檢視最新內容後再操作。",
                        "Someone else changed the case meanwhile; check it and try again.",
                    )
                    .to_string(),
                _ => e.message.clone(),
            };
            let failed = Failed {
                event: event.clone(),
                message,
                errors: form_errors(&event, &form, &e),
                values: form
                    .pairs
                    .iter()
                    .filter(|(k, _)| k != "csrf" && k != goldcard_views::FORM_KEY_FIELD)
                    .cloned()
                    .collect(),
            };
            match screen(&ctx, &n, Some(failed)).await {
                Ok(s) => (status, case_page(&ctx.chrome, &s)).into_response(),
                Err(e) => ctx.fail(e),
            }
        }
    }
}

/// `POST /office/cases/{case_number}/notes`.
pub async fn note(ctx: Ctx, Path(n): Path<String>, form: PageForm) -> Response {
    let r: ApiResult<()> = async {
        let case = service::visible_case(&ctx.state, &ctx.caller, &n).await?;
        goldcard_store::notes::add(
            ctx.state.store.db(),
            case.id,
            ctx.caller.actor(),
            form.get("body"),
            ctx.state.clock.now(),
        )
        .await
        .map_err(|e| match e {
            goldcard_store::StoreError::Invalid(m) => {
                ApiError::validation(vec![goldcard_domain::FieldError::new("body", "invalid", m)])
            }
            other => other.into(),
        })?;
        Ok(())
    }
    .await;
    match r {
        Ok(()) => Redirect::to(&format!("/office/cases/{n}?done=note")).into_response(),
        Err(e) => ctx.fail(e),
    }
}

/// `POST /office/cases/{case_number}/resend`: writes the case's last notification to the
/// applicant into the outbox again.
pub async fn resend(ctx: Ctx, Path(n): Path<String>, form: PageForm) -> Response {
    if !form.confirmed() {
        return ctx.fail(ApiError::validation(vec![goldcard_domain::FieldError::new(
            "confirm",
            "required",
            ctx.t("請勾選確認。", "Tick the box to confirm."),
        )]));
    }
    let r: ApiResult<Option<String>> = async {
        let case = service::visible_case(&ctx.state, &ctx.caller, &n).await?;
        Ok(goldcard_store::outbox::resend_last(
            ctx.state.store.db(),
            case.id,
            case.filer_account_id,
            ctx.state.clock.now(),
        )
        .await?)
    }
    .await;
    match r {
        Ok(Some(_)) => Redirect::to(&format!("/office/cases/{n}?done=resend")).into_response(),
        Ok(None) => Redirect::to(&format!("/office/cases/{n}?done=resend_none")).into_response(),
        Err(e) => ctx.fail(e),
    }
}

/// `GET /office/documents/{document_id}`: the document's bytes, shown inline, for an officer
/// of the agency working its case; every access is logged.
pub async fn document(ctx: Ctx, Path(id): Path<String>) -> Response {
    let r: ApiResult<Response> = async {
        let db = ctx.state.store.db();
        let not_found = || ApiError::not_found("document_not_found", ctx.t("沒有這份文件。", "No such document."));
        let doc = documents::Entity::find()
            .filter(documents::Column::PublicId.eq(id.as_str()))
            .one(db)
            .await
            .map_err(service::db_err)?
            .ok_or_else(not_found)?;
        let link = case_documents::Entity::find()
            .filter(case_documents::Column::DocumentId.eq(doc.id))
            .one(db)
            .await
            .map_err(service::db_err)?
            .ok_or_else(not_found)?;
        let case = cases::Entity::find_by_id(link.case_id)
            .one(db)
            .await
            .map_err(service::db_err)?
            .ok_or_else(not_found)?;
        let mine = ctx.state.workflow.role(ctx.caller.role).and_then(|r| r.agency.clone());
        let terminal = ctx
            .state
            .workflow
            .state_id(&case.state)
            .is_some_and(|s| ctx.state.workflow.state(s).terminal);
        if mine.is_none() || (!terminal && agency_of_case(&ctx, &case) != mine) {
            return Err(ApiError::forbidden(ctx.t(
                "只有承辦機關可以檢視此案件的文件。",
                "Only the agency working the case may see its documents.",
            )));
        }
        let bytes = ctx
            .state
            .blobs
            .get(&doc.sha256)
            .map_err(|e| ApiError::internal("document blob", e))?;
        goldcard_store::documents::log_access(db, doc.id, case.id, ctx.caller.actor(), ctx.state.clock.now()).await?;
        Ok((
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, doc.content_type.clone()),
                (header::CONTENT_DISPOSITION, "inline".to_string()),
                (header::CACHE_CONTROL, "private, no-store".to_string()),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
                // shown in the case page's viewer frame
                (
                    header::CONTENT_SECURITY_POLICY,
                    crate::security::FRAMED_BY_SELF_CSP.to_string(),
                ),
                (header::X_FRAME_OPTIONS, "SAMEORIGIN".to_string()),
            ],
            bytes,
        )
            .into_response())
    }
    .await;
    r.unwrap_or_else(|e| ctx.fail(e))
}
