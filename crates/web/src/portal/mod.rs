//! The applicant portal (`/apply/…`): the seed guide's sixteen steps for the holder, their
//! employer or their agency. The handlers call the same code as the JSON API: the domain's
//! `ExtensionFiling::parse` and the store's `file_extension` for filing, the service
//! layer's `fire` for withdrawal and supplements, the payment notification's own handler
//! for the gateway's callback, and `store_upload` for every document.

pub mod filing;
pub mod gateway;

use crate::AppState;
use crate::api::documents::{MAX_DOCUMENT, store_upload};
use crate::auth::{Caller, cookie};
use crate::error::{ApiError, ApiResult};
use crate::office::sign_in::FILER_COOKIE;
use crate::office::{csrf_for_session, to_sign_in};
use crate::service;
use axum::extract::{FromRequestParts, Multipart, Path};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use goldcard_store::entity::cases;
use goldcard_views::components::FieldMessage;
use goldcard_views::portal::{self as pages, CaseLine, ListKind, MENU};
use goldcard_views::{Chrome, Lang, NavItem, Person};
use serde_json::{Map, Value};

/// The most documents one filing form carries: the largest required set of the catalog in
/// `seeds/` (architecture's criteria with passport copy, photo and the Hong Kong/Macau
/// mainland statement; `goldcard_domain::filing::most_required_documents`, checked by a
/// test below).
pub const MAX_FORM_DOCUMENTS: usize = 7;

/// The largest filing or supplement form: [`MAX_FORM_DOCUMENTS`] documents of 10 MiB each,
/// and the text fields.
pub const MAX_FORM_UPLOAD: usize = MAX_FORM_DOCUMENTS * MAX_DOCUMENT + 256 * 1024;

/// A signed-in applicant's page request: who, as which filer, and the page frame (with the
/// sign-out countdown).
pub struct Portal {
    /// What handlers use.
    pub state: AppState,
    /// Who is asking.
    pub caller: Caller,
    /// The frame of the page.
    pub chrome: Chrome,
    /// Who files: `self`, `employer` or `agency` (the sign-in choice).
    pub filer: String,
    /// Where the form's one-time key is claimed (a POST).
    pub form_claim: Option<crate::idempotency::FormClaim>,
}

impl Portal {
    /// Picks the text for the page's language.
    pub fn t<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        self.chrome.lang.pick(zh, en)
    }

    /// The error page for a refusal of the services.
    pub fn fail(&self, e: ApiError) -> Response {
        let status = e.status;
        let mut message = e.message.clone();
        if !e.fields.is_empty() {
            let details: Vec<String> = e.fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect();
            message = format!("{message} ({})", details.join("; "));
        }
        let mut res = (
            status,
            goldcard_views::error_page(&self.chrome, status.as_u16(), &message),
        )
            .into_response();
        e.mark(&mut res);
        res
    }
}

impl FromRequestParts<AppState> for Portal {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let caller = parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| to_sign_in(parts.uri.path(), false))?;
        let lang = Lang::from_code(&caller.locale);
        let filer = match cookie(&parts.headers, FILER_COOKIE) {
            Some(f @ ("employer" | "agency")) => f.to_string(),
            _ => "self".to_string(),
        };
        let path = parts.uri.path().to_string();
        let nav = MENU
            .iter()
            .map(|(href, zh, en)| NavItem {
                href: (*href).to_string(),
                label: lang.pick(zh, en).to_string(),
                current: path.starts_with(href) || (*href == "/apply/consent" && path.starts_with("/apply/extension")),
            })
            .collect();
        let now = state.clock.now();
        let chrome = Chrome {
            lang,
            csrf: csrf_for_session(&caller.token),
            person: Some(Person {
                name: caller.name.clone(),
                role: pages::filer_words(lang, &filer).to_string(),
                agency: None,
            }),
            nav,
            path,
            flash: None,
            states: crate::office::state_labels(state),
            home: "/apply",
            countdown: caller.session_ends.map(|end| (end - now).num_seconds().max(0)),
        };
        Ok(Portal {
            state: state.clone(),
            caller,
            chrome,
            filer,
            form_claim: parts.extensions.get::<crate::idempotency::FormClaim>().cloned(),
        })
    }
}

/// What became of one uploaded file: the stored document `(id, file name)`, or why it was
/// refused (a message for its field).
pub type StoredFile = Result<(String, String), String>;

/// A multipart form whose CSRF token was checked, with its uploads stored: text fields in
/// order, and per `file.<doc_type>` field either the stored document `(id, name)` or the
/// reason it was refused.
pub struct PortalUpload {
    /// `name=value` pairs of the text fields.
    pub pairs: Vec<(String, String)>,
    /// `(doc_type, Ok((document_id, file name)) | Err(message))` for each non-empty file.
    pub files: Vec<(String, StoredFile)>,
}

impl PortalUpload {
    /// The first value of `name`, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.pairs.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.trim())
    }
}

/// Reads a multipart form of the portal: checks the CSRF field (which must come before any
/// file), stores each file through
/// [`store_upload`] (type by content, size limit) and keeps a refusal per file as a message
/// for its field, so that one bad file loses nothing else of the form.
pub async fn read_upload(p: &Portal, mut form: Multipart) -> Result<PortalUpload, Response> {
    let mut pairs = Vec::new();
    let mut files = Vec::new();
    let mut csrf_checked = false;
    let bad = |p: &Portal, status: StatusCode, msg: &str| {
        (status, goldcard_views::error_page(&p.chrome, status.as_u16(), msg)).into_response()
    };
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(bad(
                    p,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    p.t(
                        "上傳的資料過大（每件文件 10 MiB 以內）。",
                        "The upload is too large (10 MiB per document).",
                    ),
                ));
            }
            Err(_) => {
                return Err(bad(
                    p,
                    StatusCode::BAD_REQUEST,
                    p.t("表單無法讀取。", "The form could not be read."),
                ));
            }
        };
        let name = field.name().unwrap_or("").to_string();
        if let Some(doc_type) = name.strip_prefix("file.") {
            // nothing is stored for a form whose token has not been shown first (the
            // forms put it first)
            if !csrf_checked {
                return Err(csrf_refused(p));
            }
            let doc_type = doc_type.to_string();
            let file_name = field.file_name().unwrap_or("document").to_string();
            let mut field = field;
            let mut bytes = Vec::new();
            let mut too_big = false;
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => {
                        if bytes.len() + chunk.len() > MAX_DOCUMENT {
                            too_big = true;
                        } else if !too_big {
                            bytes.extend_from_slice(&chunk);
                        }
                    }
                    Ok(None) => break,
                    Err(_) => {
                        return Err(bad(
                            p,
                            StatusCode::PAYLOAD_TOO_LARGE,
                            p.t(
                                "上傳的資料過大（每件文件 10 MiB 以內）。",
                                "The upload is too large (10 MiB per document).",
                            ),
                        ));
                    }
                }
            }
            if too_big {
                files.push((
                    doc_type,
                    Err(p.t("文件超過 10 MiB。", "The document is over 10 MiB.").to_string()),
                ));
                continue;
            }
            if bytes.is_empty() {
                continue; // no file chosen
            }
            if p.state.catalogs.catalog.document_type(&doc_type).is_none() {
                files.push((
                    doc_type,
                    Err(p.t("未知的文件種類。", "Unknown document type.").to_string()),
                ));
                continue;
            }
            let stored = store_upload(&p.state, &p.caller, &doc_type, bytes, file_name.clone()).await;
            files.push((
                doc_type,
                stored.map(|u| (u.document_id, file_name)).map_err(|e| {
                    if e.status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
                        p.t(
                            "只接受 PDF、JPEG 或 PNG 檔（依內容判斷）。",
                            "Only PDF, JPEG or PNG files are accepted (by their content).",
                        )
                        .to_string()
                    } else {
                        e.message
                    }
                }),
            ));
        } else {
            match field.text().await {
                Ok(v) => {
                    if name == "csrf" {
                        if !crate::office::same_token(&v, &csrf_for_session(&p.caller.token)) {
                            return Err(csrf_refused(p));
                        }
                        csrf_checked = true;
                    } else if name == goldcard_views::FORM_KEY_FIELD && csrf_checked {
                        crate::idempotency::claim_form(&p.state, &p.caller, p.form_claim.as_ref(), &v, &p.chrome.path)
                            .await?;
                    }
                    pairs.push((name, v));
                }
                Err(_) => {
                    return Err(bad(
                        p,
                        StatusCode::BAD_REQUEST,
                        p.t("表單無法讀取。", "The form could not be read."),
                    ));
                }
            }
        }
    }
    if !csrf_checked {
        return Err(csrf_refused(p));
    }
    Ok(PortalUpload { pairs, files })
}

/// How many of the account's latest cases the menu shows.
pub const MENU_CASES: u64 = 10;
/// How many of the account's latest cases the lists show (an agency files many).
pub const LIST_CASES: u64 = 100;

/// The refusal of a portal form without the right CSRF token.
fn csrf_refused(p: &Portal) -> Response {
    tracing::warn!("portal form refused: missing or wrong CSRF token");
    (
        StatusCode::FORBIDDEN,
        goldcard_views::error_page(
            &p.chrome,
            403,
            p.t(
                "表單已失效（可能已逾時或重新登入），請重新整理頁面後再送出。",
                "This form has expired (the session may have ended); reload the page and send it again.",
            ),
        ),
    )
        .into_response()
}

/// The account's latest `limit` cases as the lists show them.
async fn lines(p: &Portal, limit: u64) -> ApiResult<Vec<CaseLine>> {
    let rows = goldcard_store::cases::filed_by(p.state.store.db(), p.caller.account_id, limit).await?;
    Ok(rows.into_iter().map(line).collect())
}

fn line(c: cases::Model) -> CaseLine {
    CaseLine {
        paid: c.receipt_no.is_some(),
        case_number: c.case_number,
        state: c.state,
        applicant_name: c.applicant_name,
        filed_at: c.filed_at,
        fee_twd: c.fee_twd,
        consulting: c.consulting_authority,
        supplement_due_on: c.supplement_due_on,
    }
}

/// The case as the applicant may see it (another account's case is "not found").
async fn own_case(p: &Portal, case_number: &str) -> ApiResult<goldcard_views::model::CaseView> {
    let case = service::visible_case(&p.state, &p.caller, case_number).await?;
    service::case_view(&p.state, &p.caller, case).await
}

/// `GET /apply`: the menu and the account's cases.
pub async fn menu(p: Portal) -> Response {
    match lines(&p, MENU_CASES).await {
        Ok(cases) => pages::menu_page(&p.chrome, &p.filer, &cases).into_response(),
        Err(e) => p.fail(e),
    }
}

/// `GET /apply/cases`: progress (進度查詢).
pub async fn cases_list(p: Portal) -> Response {
    match lines(&p, LIST_CASES).await {
        Ok(cases) => pages::cases_page(&p.chrome, &cases).into_response(),
        Err(e) => p.fail(e),
    }
}

async fn list(p: Portal, kind: ListKind) -> Response {
    match lines(&p, LIST_CASES).await {
        Ok(cases) => pages::list_page(&p.chrome, kind, &cases).into_response(),
        Err(e) => p.fail(e),
    }
}

/// `GET /apply/payments`: the cases to pay (線上繳費).
pub async fn payments(p: Portal) -> Response {
    list(p, ListKind::Payments).await
}

/// `GET /apply/supplements`: the cases whose documents are asked for (補正列表).
pub async fn supplements(p: Portal) -> Response {
    list(p, ListKind::Supplements).await
}

/// `GET /apply/withdraw`: the cases that may be withdrawn (案件撤銷).
pub async fn withdrawals(p: Portal) -> Response {
    list(p, ListKind::Withdrawal).await
}

/// `GET /apply/cases/{case_number}`: one case's progress.
pub async fn case(p: Portal, Path(n): Path<String>) -> Response {
    match own_case(&p, &n).await {
        Ok(c) => pages::case_page(&p.chrome, &c).into_response(),
        Err(e) => p.fail(e),
    }
}

/// `GET /apply/cases/{case_number}/filed`: step 15, the case number and the fee.
pub async fn filed(p: Portal, Path(n): Path<String>) -> Response {
    match own_case(&p, &n).await {
        Ok(c) => pages::filed_page(
            &p.chrome,
            &c.case_number,
            c.fee_twd,
            &pages::draft_key(p.caller.account_id, &c.applicant.ui_number),
        )
        .into_response(),
        Err(e) => p.fail(e),
    }
}

/// `GET /apply/cases/{case_number}/withdraw`: the confirmation, or (after payment) how to
/// ask in writing.
pub async fn withdraw_page(p: Portal, Path(n): Path<String>) -> Response {
    match own_case(&p, &n).await {
        Ok(c) => pages::withdraw_page(&p.chrome, &c, None).into_response(),
        Err(e) => p.fail(e),
    }
}

/// `POST /apply/cases/{case_number}/withdraw`: the applicant's `withdraw` (only before
/// payment: the engine refuses it after).
pub async fn withdraw(p: Portal, Path(n): Path<String>, form: crate::office::PageForm) -> Response {
    let c = match own_case(&p, &n).await {
        Ok(c) => c,
        Err(e) => return p.fail(e),
    };
    if !form.confirmed() {
        let msg = p.t("請勾選確認。", "Tick the box to confirm.");
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            pages::withdraw_page(&p.chrome, &c, Some(msg)),
        )
            .into_response();
    }
    let version = Some(c.version);
    match service::fire(&p.state, &p.caller, &n, "withdraw", version, Map::new()).await {
        Ok(_) => Redirect::to(&format!("/apply/cases/{n}")).into_response(),
        Err(e) => p.fail(e),
    }
}

/// `GET /apply/cases/{case_number}/supplement`: the items asked for, with an upload each.
pub async fn supplement_page(p: Portal, Path(n): Path<String>) -> Response {
    match own_case(&p, &n).await {
        Ok(c) => pages::supplement_page(&p.chrome, &c, &document_names(&p), &[]).into_response(),
        Err(e) => p.fail(e),
    }
}

fn document_names(p: &Portal) -> std::collections::BTreeMap<String, String> {
    p.state
        .catalogs
        .catalog
        .document_types
        .iter()
        .map(|d| (d.code.clone(), p.chrome.lang.pick(&d.name_zh, &d.name_en).to_string()))
        .collect()
}

/// `POST /apply/cases/{case_number}/supplement`: for the account's own case only, stores
/// the uploads and fires `submit_supplement` with them, in one transaction with the event.
pub async fn submit_supplement(p: Portal, Path(n): Path<String>, form: Multipart) -> Response {
    // another account's case is "not found" before any of its uploads is stored
    let c = match own_case(&p, &n).await {
        Ok(c) => c,
        Err(e) => return p.fail(e),
    };
    let up = match read_upload(&p, form).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let mut errors: Vec<FieldMessage> = Vec::new();
    let mut ids = Vec::new();
    for (doc_type, r) in &up.files {
        match r {
            Ok((id, _)) => ids.push(Value::String(id.clone())),
            Err(m) => errors.push(FieldMessage {
                field: format!("file.{doc_type}"),
                message: m.clone(),
            }),
        }
    }
    if let Some(s) = &c.supplement {
        for item in &s.items {
            let field = format!("file.{}", item.doc_type);
            if !up.files.iter().any(|(t, _)| *t == item.doc_type) {
                errors.push(FieldMessage {
                    field,
                    message: p.t("請上傳此文件。", "Upload this document.").to_string(),
                });
            }
        }
    }
    if up.get("confirm") != "yes" {
        errors.push(FieldMessage {
            field: "confirm".into(),
            message: p.t("請勾選確認。", "Tick the box to confirm.").to_string(),
        });
    }
    if !errors.is_empty() {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            pages::supplement_page(&p.chrome, &c, &document_names(&p), &errors),
        )
            .into_response();
    }
    let mut body = Map::new();
    body.insert("documents".into(), Value::Array(ids));
    match service::fire(&p.state, &p.caller, &n, "submit_supplement", Some(c.version), body).await {
        Ok(_) => Redirect::to(&format!("/apply/cases/{n}")).into_response(),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let errors: Vec<FieldMessage> = e
                .fields
                .iter()
                .map(|f| FieldMessage {
                    field: f.field.clone(),
                    message: f.message.clone(),
                })
                .chain(std::iter::once(FieldMessage {
                    field: "form".into(),
                    message: e.message.clone(),
                }))
                .collect();
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                pages::supplement_page(&p.chrome, &c, &document_names(&p), &errors),
            )
                .into_response()
        }
        Err(e) => p.fail(e),
    }
}

/// The portal's script.
pub async fn js() -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        goldcard_views::PORTAL_JS,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use goldcard_domain::Catalog;
    use goldcard_domain::filing::most_required_documents;

    #[test]
    fn the_largest_set_of_documents_fits_in_one_form() {
        let catalog = Catalog::parse(
            include_str!("../../../../seeds/fields.toml"),
            include_str!("../../../../seeds/document_types.toml"),
        )
        .expect("the seeds' catalog");
        let most = most_required_documents(&catalog);
        assert!(
            MAX_FORM_DOCUMENTS >= most,
            "a form may need {most} documents, the limit allows {MAX_FORM_DOCUMENTS}"
        );
        assert!(MAX_FORM_UPLOAD >= most * MAX_DOCUMENT);
    }
}
