//! Filing an extension on the portal: the consent (step 8), the card lookup (step 9) and the
//! five tabs (steps 10–14). The form's values are the extension body's dotted paths, so the
//! domain's field errors land next to their fields; every value typed (and every document
//! uploaded) comes back on a refusal.

use super::{Portal, read_upload};
use crate::error::ApiError;
use crate::office::PageForm;
use axum::extract::{Multipart, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use goldcard_domain::filing::{
    FieldChoice, RawBasic, RawContact, RawExtension, RawFieldChoice, RawHkMacau, RawInteger, RawPassport, RawResidence,
    required_documents,
};
use goldcard_domain::{ExtensionFiling, FieldCode, FilingWindow, UiNumber, ValidityYears, WindowStatus};
use goldcard_store::entity::cards;
use goldcard_store::filing::{FilingError, carried_over_for, file_extension};
use goldcard_views::components::FieldMessage;
use goldcard_views::portal::{self as pages, ConsentView, DocumentSlot, FieldOption, FilingForm, WindowMessage};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

/// The terms of seeds/consent.toml.
#[derive(Debug, Deserialize)]
struct ConsentText {
    version: String,
    title_zh: String,
    title_en: String,
    tick_zh: String,
    tick_en: String,
    items: Vec<ConsentItem>,
}

#[derive(Debug, Deserialize)]
struct ConsentItem {
    zh: String,
    en: String,
}

static CONSENT: LazyLock<Result<ConsentText, String>> = LazyLock::new(|| {
    toml::from_str(include_str!("../../../../seeds/consent.toml")).map_err(|e| format!("seeds/consent.toml: {e}"))
});

fn consent_text() -> Result<&'static ConsentText, ApiError> {
    CONSENT
        .as_ref()
        .map_err(|e| ApiError::internal("reading the consent text", e))
}

/// The version of the consent text in force (recorded with each consent).
pub fn consent_version() -> Option<&'static str> {
    CONSENT.as_ref().ok().map(|c| c.version.as_str())
}

fn consent_view(p: &Portal, c: &ConsentText) -> ConsentView {
    let lang = p.chrome.lang;
    ConsentView {
        version: c.version.clone(),
        title: lang.pick(&c.title_zh, &c.title_en).to_string(),
        items: c.items.iter().map(|i| lang.pick(&i.zh, &i.en).to_string()).collect(),
        tick: lang.pick(&c.tick_zh, &c.tick_en).to_string(),
    }
}

/// The id of the caller's sign-in session (none for an API token, which has no portal
/// session to consent in), as the credential check found it.
fn session_id(p: &Portal) -> Option<i64> {
    p.caller.session_id
}

/// The consent (its row id) the applicant gave to the text in force in this sign-in
/// session, if any: a consent holds for the session it was given in, so a new sign-in
/// asks again.
async fn consented(p: &Portal) -> Result<Option<i64>, ApiError> {
    let c = consent_text()?;
    let Some(session) = session_id(p) else {
        return Ok(None);
    };
    crate::service::consent_in_session(&p.state, p.caller.account_id, session, &c.version).await
}

/// `GET /apply/consent`: step 8, the terms in full.
pub async fn consent_page(p: Portal) -> Response {
    match consent_text() {
        Ok(c) => pages::consent_page(&p.chrome, &consent_view(&p, c), None).into_response(),
        Err(e) => p.fail(e),
    }
}

/// `POST /apply/consent`: records the tick with the text's version, then the lookup.
pub async fn consent(p: Portal, form: PageForm) -> Response {
    let c = match consent_text() {
        Ok(c) => c,
        Err(e) => return p.fail(e),
    };
    if form.get("consent") != "yes" || form.get("version") != c.version {
        let msg = p.t("請勾選同意上述條款。", "Tick the box to agree to the terms.");
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            pages::consent_page(&p.chrome, &consent_view(&p, c), Some(msg)),
        )
            .into_response();
    }
    let now = p.state.clock.now();
    let session = session_id(&p);
    match goldcard_store::consents::record(
        p.state.store.db(),
        p.caller.account_id,
        session,
        &p.filer,
        &c.version,
        now,
    )
    .await
    {
        Ok(row) => {
            if let Some(session) = session {
                // the latest consent is the one a filing records, as the query finds it
                crate::service::remember_consent(&p.state, p.caller.account_id, session, &c.version, row.id);
            }
            Redirect::to("/apply/lookup").into_response()
        }
        Err(e) => p.fail(e.into()),
    }
}

/// `GET /apply/lookup`: step 9 (after the consent).
pub async fn lookup_page(p: Portal) -> Response {
    match consented(&p).await {
        Ok(Some(_)) => pages::lookup_page(&p.chrome, &BTreeMap::new(), &[], None).into_response(),
        Ok(None) => Redirect::to("/apply/consent").into_response(),
        Err(e) => p.fail(e),
    }
}

/// Why a card cannot be filed for now.
enum Blocked {
    /// Field errors of the lookup (bad UI number or date, no such card).
    Fields(StatusCode, Vec<FieldMessage>),
    /// The window's state, or a pending extension.
    Window(WindowMessage),
    /// The store failed.
    Failed(ApiError),
}

fn fm(field: &str, message: impl Into<String>) -> FieldMessage {
    FieldMessage {
        field: field.to_string(),
        message: message.into(),
    }
}

/// The card the holder identified, if an extension may be filed for it today. Every way
/// to name a card (the lookup, the form's address, the form itself) comes here, so the
/// limit on failed lookups holds for all of them.
async fn fileable_card(p: &Portal, ui: &str, birth: &str) -> Result<cards::Model, Blocked> {
    match crate::api::cards::lookup_allowed(&p.state, &p.caller).await {
        Ok(()) => {}
        Err(e) if e.status == StatusCode::TOO_MANY_REQUESTS => {
            let (zh, en) = crate::api::cards::TOO_MANY_LOOKUPS;
            return Err(Blocked::Fields(
                StatusCode::TOO_MANY_REQUESTS,
                vec![fm("ui_number", p.t(zh, en))],
            ));
        }
        Err(e) => return Err(Blocked::Failed(e)),
    }
    let mut errors = Vec::new();
    let ui = match UiNumber::parse(ui) {
        Ok(u) => Some(u),
        Err(e) => {
            errors.push(fm(
                "ui_number",
                format!(
                    "{} ({e})",
                    p.t(
                        "統一證號格式或檢查碼錯誤",
                        "The UI number is malformed or its check digit is wrong"
                    )
                ),
            ));
            None
        }
    };
    let birth = match NaiveDate::parse_from_str(birth, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(fm(
                "birth_date",
                p.t(
                    "請輸入出生日期（西元 YYYY-MM-DD）。",
                    "Give the date of birth (YYYY-MM-DD).",
                ),
            ));
            None
        }
    };
    let (Some(ui), Some(birth)) = (ui, birth) else {
        return Err(Blocked::Fields(StatusCode::UNPROCESSABLE_ENTITY, errors));
    };
    let (card, pending) = match goldcard_store::cards::for_holder_with_pending(p.state.store.db(), &ui, birth).await {
        Ok(Some(found)) => (found.card, found.pending_case),
        Ok(None) => {
            if let Err(e) = crate::api::cards::lookup_failed(&p.state, &p.caller).await {
                return Err(Blocked::Failed(e));
            }
            return Err(Blocked::Fields(
                StatusCode::NOT_FOUND,
                vec![fm(
                    "ui_number",
                    p.t(
                        "查無此統一證號與出生日期的金卡。",
                        "No card matches this UI number and date of birth.",
                    ),
                )],
            ));
        }
        Err(e) => return Err(Blocked::Failed(e.into())),
    };
    let window = FilingWindow::for_expiry(card.expires_on);
    let expires_on = card.expires_on;
    match window.status_on(p.state.today()) {
        WindowStatus::Open => {}
        WindowStatus::NotYetOpen => {
            return Err(Blocked::Window(WindowMessage::NotYetOpen {
                opens_on: window.opens_on,
                expires_on,
            }));
        }
        WindowStatus::Locked => {
            return Err(Blocked::Window(WindowMessage::Locked {
                locks_on: window.locks_on,
                expires_on,
            }));
        }
        WindowStatus::Expired => return Err(Blocked::Window(WindowMessage::Expired { expires_on })),
    }
    match pending {
        None => Ok(card),
        Some(_) => Err(Blocked::Window(WindowMessage::Pending)),
    }
}

fn blocked_page(p: &Portal, values: &BTreeMap<String, String>, b: Blocked) -> Response {
    match b {
        Blocked::Fields(status, errors) => {
            (status, pages::lookup_page(&p.chrome, values, &errors, None)).into_response()
        }
        Blocked::Window(m) => (
            StatusCode::CONFLICT,
            pages::lookup_page(&p.chrome, values, &[], Some(&m)),
        )
            .into_response(),
        Blocked::Failed(e) => p.fail(e),
    }
}

/// `POST /apply/lookup`: finds the card by UI number and birth date and says, for every
/// window state but `open`, what the holder can do; when open, on to the form.
pub async fn lookup(p: Portal, form: PageForm) -> Response {
    match consented(&p).await {
        Ok(Some(_)) => {}
        Ok(None) => return Redirect::to("/apply/consent").into_response(),
        Err(e) => return p.fail(e),
    }
    let values: BTreeMap<String, String> = ["ui_number", "birth_date", "update_passport"]
        .iter()
        .map(|k| ((*k).to_string(), form.get(k).to_string()))
        .collect();
    match fileable_card(&p, form.get("ui_number"), form.get("birth_date")).await {
        Ok(card) => {
            let query = serde_urlencoded::to_string([
                ("ui_number", card.ui_number.as_str()),
                ("birth_date", &card.birth_date.to_string()),
                (
                    "update_passport",
                    if form.get("update_passport") == "yes" {
                        "yes"
                    } else {
                        "no"
                    },
                ),
            ])
            .unwrap_or_default();
            Redirect::to(&format!("/apply/extension?{query}")).into_response()
        }
        Err(b) => blocked_page(&p, &values, b),
    }
}

/// The query of `GET /apply/extension` (what the lookup found).
#[derive(Debug, Deserialize)]
pub struct StartQuery {
    ui_number: Option<String>,
    birth_date: Option<String>,
    update_passport: Option<String>,
}

/// The form's starting values: the card's data (passport data only as carried over). The
/// passport number is shown masked (last 4 characters) and the email is not filled in:
/// whoever knows a UI number and a birth date must not learn them (the form shows the
/// email on file masked, see [`form_view`]).
fn prefill(card: &cards::Model, update_passport: bool) -> BTreeMap<String, String> {
    let mut v = BTreeMap::new();
    let mut put = |k: &str, x: Option<String>| {
        if let Some(x) = x {
            v.insert(k.to_string(), x);
        }
    };
    put("ui_number", Some(card.ui_number.clone()));
    put("birth_date", Some(card.birth_date.to_string()));
    put("passport.update", Some(update_passport.to_string()));
    put("basic.family_name", Some(card.family_name.clone()));
    put("basic.given_name", Some(card.given_name.clone()));
    put("basic.chinese_name", card.chinese_name.clone());
    put("basic.gender", card.gender.clone());
    put("basic.nationality", Some(card.nationality.clone()));
    put("field.field", Some(card.field.clone()));
    put("field.criterion", card.criterion.clone());
    put("field.subfield", card.subfield.clone());
    if !update_passport {
        put("passport.number", card.passport_number.as_deref().map(crate::api::mask));
        put("passport.expiry_date", card.passport_expires_on.map(|d| d.to_string()));
    }
    v
}

/// The card's passport data as carried over (no "update passport data" tick): what is
/// filed, whatever the read-only inputs sent back (they show the number masked).
fn carried_passport(card: &cards::Model) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(n) = &card.passport_number {
        out.push(("passport.number", n.clone()));
    }
    if let Some(d) = card.passport_expires_on {
        out.push(("passport.expiry_date", d.to_string()));
    }
    out
}

/// The card's passport fields that are carried over (read-only) without the update tick.
fn passport_known(card: &cards::Model) -> Vec<String> {
    let mut known = Vec::new();
    if card.passport_number.is_some() {
        known.push("passport.number".to_string());
    }
    if card.passport_expires_on.is_some() {
        known.push("passport.expiry_date".to_string());
    }
    known
}

/// `GET /apply/extension`: the five tabs, pre-filled from the card.
pub async fn start(p: Portal, Query(q): Query<StartQuery>) -> Response {
    match consented(&p).await {
        Ok(Some(_)) => {}
        Ok(None) => return Redirect::to("/apply/consent").into_response(),
        Err(e) => return p.fail(e),
    }
    let ui = q.ui_number.unwrap_or_default();
    let birth = q.birth_date.unwrap_or_default();
    let update = q.update_passport.as_deref() == Some("yes");
    let card = match fileable_card(&p, &ui, &birth).await {
        Ok(c) => c,
        Err(b) => {
            let values = BTreeMap::from([("ui_number".to_string(), ui), ("birth_date".to_string(), birth)]);
            return blocked_page(&p, &values, b);
        }
    };
    let values = prefill(&card, update);
    match form_view(&p, &card, values, Vec::new()).await {
        Ok(f) => pages::filing_page(&p.chrome, &f).into_response(),
        Err(e) => p.fail(e),
    }
}

/// The form as shown for `values`: the catalog's choices, the documents the choice on
/// screen needs (and which of them carry over), the fee.
async fn form_view(
    p: &Portal,
    card: &cards::Model,
    values: BTreeMap<String, String>,
    errors: Vec<FieldMessage>,
) -> Result<FilingForm, ApiError> {
    let lang = p.chrome.lang;
    let catalog = &p.state.catalogs.catalog;
    let fields = catalog
        .fields
        .iter()
        .map(|f| FieldOption {
            code: f.code.as_str().to_string(),
            name: lang.pick(&f.name_zh, &f.name_en).to_string(),
            authority: lang.pick(&f.authority_zh, &f.authority_en).to_string(),
            all_criteria: f.all_criteria_required,
            criteria: f
                .criteria
                .iter()
                .map(|c| (c.item.clone(), lang.pick(&c.text_zh, &c.text_en).to_string()))
                .collect(),
            subfields: f
                .subfields
                .iter()
                .map(|s| (s.code.clone(), lang.pick(&s.name_zh, &s.name_en).to_string()))
                .collect(),
        })
        .collect();
    let v = |k: &str| values.get(k).map_or("", |s| s.trim());
    // the card decides, never the nationality typed
    let hk_macau = card.hk_macau;
    let choice = FieldCode::parse(v("field.field")).ok().map(|field| FieldChoice {
        field,
        criterion: if catalog.field(field).is_some_and(|f| f.all_criteria_required) {
            goldcard_domain::filing::ALL_CRITERIA.to_string()
        } else {
            v("field.criterion").to_string()
        },
        subfield: None,
    });
    let mainland = hk_macau && v("hk_macau.worked_in_mainland") == "yes";
    let carried: BTreeSet<String> = match &choice {
        Some(c) => carried_over_for(p.state.store.db(), p.state.rules(), card, c.field, &c.criterion)
            .await?
            .into_iter()
            .map(|d| d.doc_type)
            .collect(),
        None => BTreeSet::new(),
    };
    let documents = required_documents(catalog, choice.as_ref(), mainland)
        .into_iter()
        .map(|t| {
            let name = catalog
                .document_type(&t)
                .map_or(t.clone(), |d| lang.pick(&d.name_zh, &d.name_en).to_string());
            let uploaded = values.get(&format!("doc.{t}")).filter(|id| !id.is_empty()).map(|id| {
                (
                    id.clone(),
                    values.get(&format!("docname.{t}")).cloned().unwrap_or_default(),
                )
            });
            DocumentSlot {
                carried_over: carried.contains(&t),
                doc_type: t,
                name,
                uploaded,
            }
        })
        .collect();
    let fee_twd = v("residence.validity_years")
        .parse::<u8>()
        .ok()
        .and_then(|y| ValidityYears::new(y).ok())
        .map(|y| p.state.catalogs.fees.extension_fee(y, hk_macau))
        .and_then(|t| i32::try_from(t.0).ok());
    Ok(FilingForm {
        passport_locked: v("passport.update") != "true",
        passport_known: passport_known(card),
        previous: (card.field.clone(), card.criterion.clone().unwrap_or_default()),
        values,
        errors,
        fields,
        documents,
        hk_macau,
        fee_twd,
        email_on_file: crate::api::mask_email(&card.email),
        draft_key: pages::draft_key(p.caller.account_id, &card.ui_number),
    })
}

/// The extension body of interfaces.md from the form's values.
fn raw_extension(filer: &str, values: &BTreeMap<String, String>, documents: Vec<String>) -> RawExtension {
    let s = |k: &str| {
        values
            .get(k)
            .map(|x| x.trim())
            .filter(|x| !x.is_empty())
            .map(str::to_string)
    };
    let yes = |k: &str| values.get(k).is_some_and(|x| x == "yes");
    RawExtension {
        filer: Some(filer.to_string()),
        ui_number: s("ui_number"),
        birth_date: s("birth_date"),
        // the consent was recorded (with its version) before the form could open
        consent: Some(true),
        basic: Some(RawBasic {
            family_name: s("basic.family_name"),
            given_name: s("basic.given_name"),
            chinese_name: s("basic.chinese_name"),
            gender: s("basic.gender"),
            nationality: s("basic.nationality").map(|n| n.to_ascii_uppercase()),
            occupation: s("basic.occupation"),
            education: s("basic.education"),
            marital_status: s("basic.marital_status"),
            email: s("basic.email"),
            birth_country: s("basic.birth_country"),
            birth_city: s("basic.birth_city"),
            home_address: s("basic.home_address"),
            home_phone: s("basic.home_phone"),
        }),
        passport: Some(RawPassport {
            update: Some(values.get("passport.update").is_some_and(|x| x == "true")),
            passport_type: s("passport.type"),
            number: s("passport.number"),
            issued_on: s("passport.issued_on"),
            expiry_date: s("passport.expiry_date"),
            issued_at: s("passport.issued_at"),
            previous_number: s("passport.previous_number"),
        }),
        residence: Some(RawResidence {
            validity_years: s("residence.validity_years").map(|y| match y.parse::<i64>() {
                Ok(n) => RawInteger::Integer(n),
                Err(_) => RawInteger::NotAnInteger(y),
            }),
            employer: s("residence.employer"),
            employer_phone: s("residence.employer_phone"),
            pickup: s("residence.pickup"),
            pickup_office: s("residence.pickup_office"),
            work_address: s("residence.work_address"),
            residence_address: s("residence.residence_address"),
            mobile: s("residence.mobile"),
            contact: Some(RawContact {
                name: s("residence.contact.name"),
                relation: s("residence.contact.relation"),
                phone: s("residence.contact.phone"),
            }),
        }),
        field: Some(RawFieldChoice {
            field: s("field.field"),
            criterion: s("field.criterion"),
            subfield: s("field.subfield"),
        }),
        hk_macau: Some(RawHkMacau {
            worked_in_mainland: Some(yes("hk_macau.worked_in_mainland")),
        }),
        expedite: Some(yes("expedite")),
        documents: Some(documents),
    }
}

/// Where a domain field error is shown on the form.
fn form_field(path: &str) -> String {
    if path.starts_with("documents") {
        "documents".to_string()
    } else if path == "filer" || path == "consent" {
        "form".to_string()
    } else {
        path.to_string()
    }
}

/// `POST /apply/extension`: stores the uploads, then either re-shows the form for a new
/// field (`action=refresh`) or files: the domain validates, the store files (window,
/// pending case, documents) and the "case received" mail is written with the case. Any
/// refusal shows the form again with every value and upload kept.
pub async fn submit(p: Portal, form: Multipart) -> Response {
    let up = match read_upload(&p, form).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let consent_id = match consented(&p).await {
        Ok(Some(id)) => id,
        Ok(None) => return Redirect::to("/apply/consent").into_response(),
        Err(e) => return p.fail(e),
    };
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in &up.pairs {
        if k == "csrf" || k == goldcard_views::FORM_KEY_FIELD || k == "action" || k == "birth_date_shown" {
            continue;
        }
        values.insert(k.clone(), v.clone());
    }
    let mut errors: Vec<FieldMessage> = Vec::new();
    for (doc_type, r) in &up.files {
        match r {
            Ok((id, name)) => {
                values.insert(format!("doc.{doc_type}"), id.clone());
                values.insert(format!("docname.{doc_type}"), name.clone());
            }
            Err(m) => errors.push(fm(&format!("file.{doc_type}"), m.clone())),
        }
    }
    let ui = values.get("ui_number").cloned().unwrap_or_default();
    let birth = values.get("birth_date").cloned().unwrap_or_default();
    let card = match fileable_card(&p, &ui, &birth).await {
        Ok(c) => c,
        Err(b) => return blocked_page(&p, &values, b),
    };
    // carried-over passport data is the card's: shown masked, filed as on the card
    let carried = values.get("passport.update").is_none_or(|u| u != "true");
    if carried {
        for (k, x) in prefill(&card, false) {
            if k == "passport.number" || k == "passport.expiry_date" {
                values.insert(k, x);
            }
        }
    }
    let refresh = up.get("action") == "refresh";
    if refresh || !errors.is_empty() {
        let status = if refresh {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        let page = render(&p, &card, values, errors, status).await;
        // a re-rendered form changed nothing: the same form may still be sent
        return crate::idempotency::nothing_done(page);
    }
    let view = match form_view(&p, &card, values.clone(), Vec::new()).await {
        Ok(v) => v,
        Err(e) => return p.fail(e),
    };
    // the documents of the choice on screen (an upload for a type no longer needed stays out)
    let documents: Vec<String> = view
        .documents
        .iter()
        .filter_map(|d| d.uploaded.as_ref().map(|(id, _)| id.clone()))
        .collect();
    let mut filed_values = values.clone();
    if carried {
        for (k, x) in carried_passport(&card) {
            filed_values.insert(k.to_string(), x);
        }
    }
    let raw = raw_extension(&p.filer, &filed_values, documents);
    let filing = match ExtensionFiling::parse(raw, p.state.today(), &p.state.catalogs.catalog) {
        Ok(f) => f,
        Err(fields) => {
            let errors = fields
                .iter()
                .map(|f| fm(&form_field(&f.field), f.message.clone()))
                .collect();
            return render(&p, &card, values, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let now = p.state.clock.now();
    match file_extension(
        p.state.store.db(),
        p.state.rules(),
        p.caller.actor(),
        &filing,
        Some(consent_id),
        now,
    )
    .await
    {
        Ok(filed) => Redirect::to(&format!("/apply/cases/{}/filed", filed.applied.case_number)).into_response(),
        Err(FilingError::Documents(fields) | FilingError::Invalid(fields)) => {
            let errors = fields
                .iter()
                .map(|f| fm(&form_field(&f.field), f.message.clone()))
                .collect();
            render(&p, &card, values, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(FilingError::ExtensionPending) => blocked_page(&p, &values, Blocked::Window(WindowMessage::Pending)),
        Err(e) => p.fail(e.into()),
    }
}

async fn render(
    p: &Portal,
    card: &cards::Model,
    values: BTreeMap<String, String>,
    errors: Vec<FieldMessage>,
    status: StatusCode,
) -> Response {
    match form_view(p, card, values, errors).await {
        Ok(f) => (status, pages::filing_page(&p.chrome, &f)).into_response(),
        Err(e) => p.fail(e),
    }
}
