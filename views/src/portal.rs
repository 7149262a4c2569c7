//! The applicant portal (`/apply/…`): the seed guide's steps for the holder, their employer
//! or their agency: the menu, the consent, the card lookup, the five tabs of the filing
//! form, the case number and fee, payment, progress, supplements and withdrawal. Plain HTML
//! forms; `portal.js` only adds the countdown's ticking, one-tab-at-a-time with 下一頁 /
//! 回上一頁, and a draft of the form in sessionStorage. Views take plain view-models.

use crate::components::{FieldMessage, badge, confirm_box, message_for, taipei_time};
use crate::model::CaseView;
use crate::{Chrome, Lang, csrf_field, layout};
use chrono::NaiveDate;
use maud::{Markup, html};
use std::collections::BTreeMap;

/// The menu's entries: `(path, zh-TW, en)` (seed guide step 7, and 進度查詢's sub-menu).
pub const MENU: [(&str, &str, &str); 5] = [
    ("/apply/consent", "就業金卡延期申請", "Gold Card extension"),
    ("/apply/cases", "進度查詢", "Progress"),
    ("/apply/supplements", "補正列表", "Supplements"),
    ("/apply/withdraw", "案件撤銷", "Withdrawal"),
    ("/apply/payments", "線上繳費", "Online payment"),
];

/// Who is filing, in words (the sign-in choice).
pub fn filer_words(lang: Lang, filer: &str) -> &'static str {
    match filer {
        "employer" => lang.pick("雇主提出申請", "Employer filing for an employee"),
        "agency" => lang.pick("委託代辦機構提出申請", "Appointed agency filing"),
        _ => lang.pick("外國人自行申請", "Holder filing for themselves"),
    }
}

/// A case as the applicant's lists show it.
#[derive(Debug, Clone)]
pub struct CaseLine {
    /// Case number.
    pub case_number: String,
    /// Workflow state.
    pub state: String,
    /// Applicant's name.
    pub applicant_name: String,
    /// Filed at.
    pub filed_at: chrono::DateTime<chrono::Utc>,
    /// The fee.
    pub fee_twd: i32,
    /// Paid already.
    pub paid: bool,
    /// The ministry being consulted, if any.
    pub consulting: Option<String>,
    /// The supplement's due date, when documents are asked for.
    pub supplement_due_on: Option<NaiveDate>,
}

/// A state in plain words for the applicant, with the ministry being consulted
/// ("consulting <authority>") while the labor review consults one.
pub fn progress_words(lang: Lang, state: &str, consulting: Option<&str>) -> String {
    let words = match state {
        "submitted" => lang.pick("已送件，等待繳費", "Filed; waiting for the fee"),
        "paid" => lang.pick(
            "已繳費，等待勞動部受理",
            "Paid; waiting for the labor agency to take it up",
        ),
        "labor_review" => lang.pick("勞動部審查資格中", "The labor agency is reviewing your qualification"),
        "supplement" => lang.pick("請補正文件", "Documents are asked for: please supplement"),
        "immigration_review" => lang.pick(
            "資格已通過，移民署審查中",
            "Qualification approved; immigration's final review",
        ),
        "issued" => lang.pick("已核准延期", "Extension granted"),
        "rejected" => lang.pick("已駁回", "Refused"),
        "withdrawn" => lang.pick("已撤案", "Withdrawn"),
        other => return other.to_string(),
    };
    match (state, consulting) {
        ("labor_review", Some(authority)) => match lang {
            Lang::ZhTw => format!("{words}（諮詢{authority}中）"),
            Lang::En => format!("{words} (consulting {authority})"),
        },
        _ => words.to_string(),
    }
}

fn money(n: i32) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("NT${out}")
}

/// The menu (seed guide step 7): the functions, and the account's cases.
pub fn menu_page(chrome: &Chrome, filer: &str, cases: &[CaseLine]) -> Markup {
    let t = |zh, en| chrome.t(zh, en);
    layout(
        chrome,
        t("申請人首頁", "Applicant home"),
        html! {
            h1 { (t("外國專業人才申辦窗口", "Foreign professionals' applications")) }
            p { (t("申請身分：", "Filing as: ")) strong { (filer_words(chrome.lang, filer)) } }
            ul.menu {
                @for (href, zh, en) in MENU {
                    li { a href=(href) { (chrome.lang.pick(zh, en)) } }
                }
            }
            p.hint { (t("每次登入有 30 分鐘，請在倒數結束前完成；本平臺沒有儲存功能，請連續點選下一步並送出。",
                        "Each sign-in lasts 30 minutes: finish before the countdown ends. The platform cannot save a half-done form, so go through the steps and submit.")) }
            h2 { (t("最近的案件", "Latest cases")) }
            (case_table(chrome, cases, None))
            p { a href="/apply/cases" { (t("全部案件進度", "All cases and their progress")) } }
        },
    )
}

/// A table of the applicant's cases; `action` adds a link per case: `(label, path suffix,
/// which states)`.
fn case_table(chrome: &Chrome, cases: &[CaseLine], action: Option<(&str, &str, &[&str])>) -> Markup {
    let t = |zh, en| chrome.t(zh, en);
    html! {
        table.cases {
            thead { tr {
                th scope="col" { (t("申請案號", "Case number")) }
                th scope="col" { (t("申請人", "Applicant")) }
                th scope="col" { (t("送件日期", "Filed")) }
                th scope="col" { (t("狀態", "Status")) }
                th scope="col" { (t("規費", "Fee")) }
                @if let Some((label, _, _)) = action { th scope="col" { (label) } }
            } }
            tbody {
                @if cases.is_empty() {
                    tr { td.empty colspan="6" { (t("目前沒有案件。", "No cases yet.")) } }
                }
                @for c in cases {
                    tr data-row {
                        td { a href=(format!("/apply/cases/{}", c.case_number)) { (c.case_number) } }
                        td { (c.applicant_name) }
                        td { (taipei_time(c.filed_at)) }
                        td {
                            (badge("state", &chrome.state_label(&c.state))) " "
                            span.progress { (progress_words(chrome.lang, &c.state, c.consulting.as_deref())) }
                            @if let Some(due) = c.supplement_due_on { " " (badge("soon", &format!("{} {due}", t("補正期限", "due")))) }
                        }
                        td.num { (money(c.fee_twd)) " " @if c.paid { (badge("ok", t("已繳", "paid"))) } @else { (badge("info", t("未繳", "unpaid"))) } }
                        @if let Some((label, suffix, states)) = action {
                            td { @if states.contains(&c.state.as_str()) {
                                a href=(format!("/apply/cases/{}/{suffix}", c.case_number)) { (label) " " (c.case_number) }
                            } }
                        }
                    }
                }
            }
        }
    }
}

/// The consent text (seeds/consent.toml): its version, title, items and the tick's words.
#[derive(Debug, Clone)]
pub struct ConsentView {
    /// The text's version (recorded with the consent).
    pub version: String,
    /// Title.
    pub title: String,
    /// The numbered items, in full.
    pub items: Vec<String>,
    /// The tick box's words.
    pub tick: String,
}

/// Step 8: the terms in full; ticking them is required.
pub fn consent_page(chrome: &Chrome, consent: &ConsentView, error: Option<&str>) -> Markup {
    let t = |zh, en| chrome.t(zh, en);
    layout(
        chrome,
        &consent.title,
        html! {
            h1 { (consent.title) }
            p.hint { (t("版本", "Version")) " " (consent.version) }
            ol.consent {
                @for item in &consent.items { li { (item) } }
            }
            form.card method="post" action="/apply/consent" {
                (csrf_field(chrome))
                input type="hidden" name="version" value=(consent.version);
                div.field.confirm.invalid[error.is_some()] {
                    input type="checkbox" id="f-consent" name="consent" value="yes"
                        aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| "f-consent-error")];
                    label for="f-consent" { (consent.tick) }
                    @if let Some(e) = error { p.error id="f-consent-error" { (e) } }
                }
                button.primary type="submit" { (t("確定", "Confirm")) }
                " " a href="/apply" { (t("取消", "Cancel")) }
            }
        },
    )
}

/// What the lookup found about the card's filing window.
#[derive(Debug, Clone)]
pub enum WindowMessage {
    /// Opens later.
    NotYetOpen {
        /// The first day it can be filed.
        opens_on: NaiveDate,
        /// The card's expiry.
        expires_on: NaiveDate,
    },
    /// Locked one month before expiry.
    Locked {
        /// The day it locked.
        locks_on: NaiveDate,
        /// The card's expiry.
        expires_on: NaiveDate,
    },
    /// Already expired.
    Expired {
        /// The card's expiry.
        expires_on: NaiveDate,
    },
    /// An extension is already pending for the card.
    Pending,
}

/// Step 9: UI number, birth date, "update passport data"; with what the lookup found.
pub fn lookup_page(
    chrome: &Chrome,
    values: &BTreeMap<String, String>,
    errors: &[FieldMessage],
    found: Option<&WindowMessage>,
) -> Markup {
    let t = |zh, en| chrome.t(zh, en);
    let v = |k: &str| values.get(k).map_or("", String::as_str);
    html_page(
        chrome,
        t("就業金卡延期申請 - 新增", "Gold Card extension: new"),
        html! {
            h1 { (t("就業金卡延期申請 - 新增", "Gold Card extension: new")) }
            @if let Some(m) = found {
                div.banner.error role="alert" { (window_words(chrome.lang, m)) }
            }
            form.card method="post" action="/apply/lookup" {
                (csrf_field(chrome))
                (text_input("text", "ui_number", t("統一證號", "UI number (統一證號)"), v("ui_number"), true, errors, false, Some("F800001196")))
                (text_input("date", "birth_date", t("出生日期(西元)", "Date of birth"), v("birth_date"), true, errors, false, None))
                div.field.confirm {
                    input type="checkbox" id="f-update_passport" name="update_passport" value="yes" checked[v("update_passport") == "yes"];
                    label for="f-update_passport" { (t("護照資料異動（本次延期要同步更新護照資料）", "Update passport data with this extension")) }
                }
                p.hint { (t("如果有更改護照資料，請務必勾選，否則之後無選項可異動護照資料。",
                            "If your passport changed, tick this: the passport data cannot be changed later in the case.")) }
                button.primary type="submit" { (t("查詢", "Look up")) }
            }
        },
    )
}

/// The window's state in words, and what the holder can do instead.
pub fn window_words(lang: Lang, m: &WindowMessage) -> String {
    match (lang, m) {
        (Lang::ZhTw, WindowMessage::NotYetOpen { opens_on, expires_on }) => {
            format!("尚未開放申請：金卡於 {expires_on} 到期，可於 {opens_on} 起（到期前 4 個月）提出延期申請。")
        }
        (Lang::En, WindowMessage::NotYetOpen { opens_on, expires_on }) => format!(
            "Not open yet: the card expires on {expires_on}; you can file an extension from {opens_on} (4 months before expiry)."
        ),
        (Lang::ZhTw, WindowMessage::Locked { locks_on, expires_on }) => format!(
            "已鎖定：系統於到期前一個月（{locks_on}）自動鎖定，無法再提交延期申請。請於金卡 {expires_on} 到期後依「重新申請」作業重新申請，或改辦求職居留。"
        ),
        (Lang::En, WindowMessage::Locked { locks_on, expires_on }) => format!(
            "Locked: the platform locked itself one month before expiry ({locks_on}) and takes no more extensions. Re-apply after the card expires on {expires_on}, or use the job-seeking residence route."
        ),
        (Lang::ZhTw, WindowMessage::Expired { expires_on }) => {
            format!("金卡已於 {expires_on} 到期，無法延期：請依「重新申請」作業重新申請金卡。")
        }
        (Lang::En, WindowMessage::Expired { expires_on }) => format!(
            "The card expired on {expires_on} and cannot be extended: file a new application (re-application) instead."
        ),
        (Lang::ZhTw, WindowMessage::Pending) => "此金卡已有一件延期申請尚在處理中，請至「進度查詢」查看。".to_string(),
        (Lang::En, WindowMessage::Pending) => "An extension of this card is already pending: see Progress.".to_string(),
    }
}

fn html_page(chrome: &Chrome, title: &str, content: Markup) -> Markup {
    layout(chrome, title, content)
}

/// A labelled input with its error (id `f-NAME`); `readonly` for carried-over passport data.
#[allow(clippy::too_many_arguments)]
fn text_input(
    kind: &str,
    name: &str,
    label: &str,
    value: &str,
    required: bool,
    errors: &[FieldMessage],
    readonly: bool,
    placeholder: Option<&str>,
) -> Markup {
    let id = format!("f-{name}");
    let err_id = format!("{id}-error");
    let error = message_for(errors, name);
    html! {
        div.field.invalid[error.is_some()] {
            label for=(id) { (label) @if required { span.req aria-hidden="true" { " *" } } }
            input type=(kind) id=(id) name=(name) value=(value) required[required] readonly[readonly]
                placeholder=[placeholder]
                aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| err_id.as_str())];
            @if let Some(e) = error { p.error id=(err_id) { (e) } }
        }
    }
}

fn choice_select(
    name: &str,
    label: &str,
    options: &[(&str, String)],
    value: &str,
    required: bool,
    errors: &[FieldMessage],
) -> Markup {
    let id = format!("f-{name}");
    let err_id = format!("{id}-error");
    let error = message_for(errors, name);
    html! {
        div.field.invalid[error.is_some()] {
            label for=(id) { (label) @if required { span.req aria-hidden="true" { " *" } } }
            select id=(id) name=(name) required[required]
                aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| err_id.as_str())] {
                option value="" { "—" }
                @for (v, text) in options {
                    option value=(v) selected[*v == value] { (text) }
                }
            }
            @if let Some(e) = error { p.error id=(err_id) { (e) } }
        }
    }
}

/// A field of expertise as the 領域專長 tab offers it.
#[derive(Debug, Clone)]
pub struct FieldOption {
    /// Code (`digital`).
    pub code: String,
    /// Name in the page's language.
    pub name: String,
    /// The ministry that may be consulted.
    pub authority: String,
    /// Whether every criterion must be met (architecture).
    pub all_criteria: bool,
    /// `(item, text)` of each criterion (款).
    pub criteria: Vec<(String, String)>,
    /// `(code, name)` of each sub-field.
    pub subfields: Vec<(String, String)>,
}

/// A document the filing needs, and what is there for it.
#[derive(Debug, Clone)]
pub struct DocumentSlot {
    /// Document type code.
    pub doc_type: String,
    /// Its name.
    pub name: String,
    /// The applicant's upload for it: `(document id, file name)`.
    pub uploaded: Option<(String, String)>,
    /// On file from the previous approved application (present, not viewable).
    pub carried_over: bool,
}

/// The filing form (steps 10–14) as shown: every value typed so far, the errors next to
/// their fields, the catalog's choices and the documents.
#[derive(Debug, Clone)]
pub struct FilingForm {
    /// Values by field name (the extension body's dotted paths, `basic.family_name`).
    pub values: BTreeMap<String, String>,
    /// Errors by field name.
    pub errors: Vec<FieldMessage>,
    /// Passport data is carried over (no "update passport data" tick): number and expiry
    /// are read-only where the card has them.
    pub passport_locked: bool,
    /// The card's passport fields that are known (read-only when locked).
    pub passport_known: Vec<String>,
    /// The fields of expertise.
    pub fields: Vec<FieldOption>,
    /// The field and criterion of the card's previous application (switching warns).
    pub previous: (String, String),
    /// The documents the current choice needs.
    pub documents: Vec<DocumentSlot>,
    /// The applicant declared Hong Kong or Macau nationality.
    pub hk_macau: bool,
    /// The fee the choice on screen would cost.
    pub fee_twd: Option<i32>,
    /// The card's email, masked (shown as a hint; the form does not fill it in).
    pub email_on_file: String,
    /// The sessionStorage key of this form's draft ([`draft_key`]).
    pub draft_key: String,
}

/// The sessionStorage key of a filing form's draft: one per account and card, so that a
/// draft never fills another card's or another account's form (sign-out clears them all,
/// see portal.js).
pub fn draft_key(account_id: i64, ui_number: &str) -> String {
    format!("goldcard-extension:{account_id}:{ui_number}")
}

/// The five tabs, in order: `(id, zh-TW, en)`.
pub const FILING_TABS: [(&str, &str, &str); 5] = [
    ("tab-basic", "基本資料", "Basic data"),
    ("tab-passport", "護照資料", "Passport"),
    ("tab-residence", "居留申請", "Residence"),
    ("tab-field", "領域專長", "Field of expertise"),
    ("tab-documents", "文件上傳", "Documents"),
];

/// Steps 10–14: the filing form, its five tabs in one plain HTML form (multipart, so the
/// documents go with it). Without JavaScript every tab shows one after the other.
pub fn filing_page(chrome: &Chrome, f: &FilingForm) -> Markup {
    let t = |zh, en| chrome.t(zh, en);
    let lang = chrome.lang;
    let v = |k: &str| f.values.get(k).map_or("", String::as_str);
    let e = &f.errors;
    let locked = |k: &str| f.passport_locked && f.passport_known.iter().any(|p| p == k);
    let chosen = f.fields.iter().find(|o| o.code == v("field.field"));
    let genders = [
        ("M", t("男", "Male").to_string()),
        ("F", t("女", "Female").to_string()),
        ("X", t("其他", "Other").to_string()),
    ];
    let marital = [
        ("single", t("未婚", "Single").to_string()),
        ("married", t("已婚", "Married").to_string()),
        ("divorced", t("離婚", "Divorced").to_string()),
        ("widowed", t("喪偶", "Widowed").to_string()),
    ];
    let passport_types = [
        ("ordinary", t("普通", "Ordinary").to_string()),
        ("official", t("公務", "Official").to_string()),
        ("diplomatic", t("外交", "Diplomatic").to_string()),
        ("travel_document", t("旅行證件", "Travel document").to_string()),
    ];
    let pickup = [
        ("self", t("自取（在臺灣境內）", "In person (in Taiwan)").to_string()),
        ("agent", t("委託代領", "By an appointed person").to_string()),
    ];
    let field_options: Vec<(&str, String)> = f.fields.iter().map(|o| (o.code.as_str(), o.name.clone())).collect();
    html_page(
        chrome,
        t("就業金卡延期申請 - 新增", "Gold Card extension: new"),
        html! {
            h1 { (t("就業金卡延期申請 - 新增", "Gold Card extension: new")) }
            @if !e.is_empty() {
                div.banner.error role="alert" id="errors" {
                    p { (t("請修正下列欄位，您已填寫的資料都保留著：", "Please correct these fields; everything you typed is kept:")) }
                    ul { @for m in e { li { a href=(format!("#f-{}", m.field)) { (m.field) } ": " (m.message) } } }
                }
            }
            nav.tabs.filing-tabs aria-label=(t("申請頁籤", "Form tabs")) {
                ul { @for (id, zh, en) in FILING_TABS { li { a href=(format!("#{id}")) data-tab=(id) { (lang.pick(zh, en)) } } } }
            }
            form #filing method="post" action="/apply/extension" enctype="multipart/form-data" data-draft=(f.draft_key) {
                (csrf_field(chrome))
                @for k in ["ui_number", "birth_date", "passport.update"] {
                    input type="hidden" name=(k) value=(v(k));
                }
                section.tab-panel #tab-basic aria-labelledby="h-basic" {
                    h2 #h-basic { (t("基本資料", "Basic data")) }
                    div.grid {
                        (text_input("text", "basic.family_name", t("英文姓氏", "Family name"), v("basic.family_name"), true, e, false, None))
                        (text_input("text", "basic.given_name", t("英文名字", "Given name"), v("basic.given_name"), true, e, false, None))
                        (text_input("text", "basic.chinese_name", t("中文姓名", "Chinese name"), v("basic.chinese_name"), false, e, false, None))
                        (text_input("date", "birth_date_shown", t("出生日期(西元)", "Date of birth"), v("birth_date"), false, &[], true, None))
                        (choice_select("basic.gender", t("性別", "Gender"), &genders, v("basic.gender"), true, e))
                        (text_input("text", "basic.nationality", t("國籍（ISO 代碼，如 US；香港 HK、澳門 MO）", "Nationality (ISO code, e.g. US; HK, MO)"), v("basic.nationality"), true, e, false, None))
                        (text_input("text", "basic.occupation", t("現職", "Occupation"), v("basic.occupation"), true, e, false, None))
                        (text_input("text", "basic.education", t("最高學歷", "Highest education"), v("basic.education"), true, e, false, None))
                        (choice_select("basic.marital_status", t("婚姻狀況", "Marital status"), &marital, v("basic.marital_status"), true, e))
                        (text_input("email", "basic.email", t("電子郵件", "Email"), v("basic.email"), true, e, false, None))
                        p.hint #email-on-file { (t("卡片登記的電子郵件：", "Email on the card: ")) (f.email_on_file) }
                        (text_input("text", "basic.birth_country", t("出生地點(國家)", "Country of birth"), v("basic.birth_country"), true, e, false, None))
                        (text_input("text", "basic.birth_city", t("出生地點(市/州)", "City of birth"), v("basic.birth_city"), true, e, false, None))
                        (text_input("text", "basic.home_address", t("申請人母國地址", "Home-country address"), v("basic.home_address"), true, e, false, None))
                        (text_input("text", "basic.home_phone", t("申請人母國電話號碼", "Home-country phone"), v("basic.home_phone"), true, e, false, None))
                    }
                    (steps(lang, None, Some("tab-passport")))
                }
                section.tab-panel #tab-passport aria-labelledby="h-passport" {
                    h2 #h-passport { (t("護照資料", "Passport")) }
                    @if f.passport_locked {
                        p.hint { (t("未勾選「護照資料異動」：護照資料沿用卡片上的資料，之後無法異動。", "“Update passport data” was not ticked: the card's passport data is carried over and cannot be changed later.")) }
                    }
                    div.grid {
                        (choice_select("passport.type", t("護照種類", "Passport type"), &passport_types, v("passport.type"), true, e))
                        (text_input("text", "passport.number", t("護照號碼", "Passport number"), v("passport.number"), true, e, locked("passport.number"), None))
                        (text_input("date", "passport.issued_on", t("護照發照日期", "Date of issue"), v("passport.issued_on"), true, e, false, None))
                        (text_input("date", "passport.expiry_date", t("護照效期(西元)", "Expiry date"), v("passport.expiry_date"), true, e, locked("passport.expiry_date"), None))
                        (text_input("text", "passport.issued_at", t("護照發照地點", "Place of issue"), v("passport.issued_at"), true, e, false, None))
                        (text_input("text", "passport.previous_number", t("原護照號碼", "Previous passport number"), v("passport.previous_number"), false, e, false, None))
                    }
                    p.hint { (t("須具備尚餘 6 個月以上效期之護照。", "The passport must have at least 6 months of validity left.")) }
                    (steps(lang, Some("tab-basic"), Some("tab-residence")))
                }
                section.tab-panel #tab-residence aria-labelledby="h-residence" {
                    h2 #h-residence { (t("居留申請", "Residence")) }
                    fieldset.field.invalid[message_for(e, "residence.validity_years").is_some()] {
                        legend { (t("申請就業金卡有效期", "Validity of the extended card")) span.req aria-hidden="true" { " *" } }
                        @for y in ["1", "2", "3"] {
                            div.choice {
                                input type="radio" id=(format!("f-residence.validity_years-{y}")) name="residence.validity_years" value=(y) checked[v("residence.validity_years") == y];
                                label for=(format!("f-residence.validity_years-{y}")) { (y) " " (t("年", if y == "1" { "year" } else { "years" })) }
                            }
                        }
                        @if let Some(m) = message_for(e, "residence.validity_years") { p.error id="f-residence.validity_years" { (m) } }
                    }
                    @if let Some(fee) = f.fee_twd { p.fee { (t("規費", "Fee")) ": " strong { (money(fee)) } } }
                    div.grid {
                        (text_input("text", "residence.employer", t("服務處所/單位", "Employer"), v("residence.employer"), false, e, false, None))
                        (text_input("tel", "residence.employer_phone", t("服務處所電話", "Employer's phone"), v("residence.employer_phone"), false, e, false, None))
                        (choice_select("residence.pickup", t("續領方式", "Collecting the card"), &pickup, v("residence.pickup"), true, e))
                        (text_input("text", "residence.pickup_office", t("續領地點（移民署服務站）", "Collect at (immigration service centre)"), v("residence.pickup_office"), true, e, false, None))
                        (text_input("text", "residence.work_address", t("來臺工作地址", "Work address in Taiwan"), v("residence.work_address"), false, e, false, None))
                        (text_input("text", "residence.residence_address", t("居留地址", "Residence address"), v("residence.residence_address"), true, e, false, None))
                        (text_input("tel", "residence.mobile", t("在臺聯絡手機號碼", "Mobile in Taiwan"), v("residence.mobile"), true, e, false, Some("09xxxxxxxx")))
                        (text_input("text", "residence.contact.name", t("在臺關係人姓名", "Contact person in Taiwan"), v("residence.contact.name"), true, e, false, None))
                        (text_input("text", "residence.contact.relation", t("在臺關係人與申請人關係", "Their relation to you"), v("residence.contact.relation"), true, e, false, None))
                        (text_input("tel", "residence.contact.phone", t("關係人電話", "Their phone"), v("residence.contact.phone"), true, e, false, None))
                    }
                    @if f.hk_macau {
                        fieldset.hk-macau {
                            legend { (t("港澳居民", "Hong Kong and Macau residents")) }
                            div.choice {
                                input type="checkbox" id="f-hk_macau.worked_in_mainland" name="hk_macau.worked_in_mainland" value="yes" checked[v("hk_macau.worked_in_mainland") == "yes"];
                                label for="f-hk_macau.worked_in_mainland" { (t("我曾在中國大陸的公司或政府機關工作", "I have worked for a mainland-Chinese company or government body")) }
                            }
                            p.hint { (t("勾選者須於「文件上傳」附上過去工作及未來在臺計畫之說明。港澳申請案無法加速審核，移民署複審約需 1–2 個月。",
                                        "If ticked, attach a statement of that work and of your plans in Taiwan under Documents. Hong Kong and Macau cases cannot be expedited; the final review takes one to two months.")) }
                        }
                    } @else {
                        div.field.confirm.invalid[message_for(e, "expedite").is_some()] {
                            input type="checkbox" id="f-expedite" name="expedite" value="yes" checked[v("expedite") == "yes"];
                            label for="f-expedite" { (t("申請加速審查", "Ask for expedited review")) }
                            @if let Some(m) = message_for(e, "expedite") { p.error { (m) } }
                        }
                    }
                    (steps(lang, Some("tab-passport"), Some("tab-field")))
                }
                section.tab-panel #tab-field aria-labelledby="h-field" {
                    h2 #h-field { (t("領域專長", "Field of expertise")) }
                    p.warning role="note" data-previous-field=(f.previous.0) data-previous-criterion=(f.previous.1) {
                        (t("若更換領域專長或申請資格條件，平臺將無法帶入前次申請之文件，須重新上傳全部應備文件。",
                           "If you change the field or the criterion, the documents of your previous application cannot be carried over: every required document must be uploaded again."))
                    }
                    (choice_select("field.field", t("領域專長", "Field"), &field_options, v("field.field"), true, e))
                    button type="submit" name="action" value="refresh" formnovalidate { (t("顯示此領域的資格條件", "Show this field's criteria")) }
                    @if let Some(o) = chosen {
                        p.hint { (t("主管機關", "Ministry")) ": " (o.authority) }
                        fieldset.field.invalid[message_for(e, "field.criterion").is_some()] {
                            legend { (t("申請資格條件", "Criterion")) span.req aria-hidden="true" { " *" } }
                            @if o.all_criteria {
                                div.choice {
                                    input type="radio" id="f-field.criterion-all" name="field.criterion" value="all" checked;
                                    label for="f-field.criterion-all" { (t("本領域須符合所有資格條件", "Every criterion of this field must be met")) }
                                }
                                ul { @for (item, text) in &o.criteria { li { (t("第", "Item ")) (item) (t("款：", ": ")) (text) } } }
                            } @else {
                                @for (item, text) in &o.criteria {
                                    div.choice {
                                        input type="radio" id=(format!("f-field.criterion-{item}")) name="field.criterion" value=(item) checked[v("field.criterion") == item];
                                        label for=(format!("f-field.criterion-{item}")) { (t("第", "Item ")) (item) (t("款：", ": ")) (text) }
                                    }
                                }
                            }
                            @if let Some(m) = message_for(e, "field.criterion") { p.error id="f-field.criterion" { (m) } }
                        }
                        @if !o.subfields.is_empty() {
                            fieldset.field.invalid[message_for(e, "field.subfield").is_some()] {
                                legend { (t("子領域", "Sub-field")) }
                                @for (code, name) in &o.subfields {
                                    div.choice {
                                        input type="radio" id=(format!("f-field.subfield-{code}")) name="field.subfield" value=(code) checked[v("field.subfield") == code];
                                        label for=(format!("f-field.subfield-{code}")) { (name) }
                                    }
                                }
                                @if let Some(m) = message_for(e, "field.subfield") { p.error id="f-field.subfield" { (m) } }
                            }
                        }
                    }
                    (steps(lang, Some("tab-residence"), Some("tab-documents")))
                }
                section.tab-panel #tab-documents aria-labelledby="h-documents" {
                    h2 #h-documents { (t("文件上傳", "Documents")) }
                    p.hint { (t("PDF、JPEG 或 PNG，每件 10 MiB 以內。前次申請之文件已自動帶入（不提供檢視或下載）。",
                                "PDF, JPEG or PNG, up to 10 MiB each. Documents of your previous application are attached automatically (they cannot be viewed or downloaded).")) }
                    @if let Some(m) = message_for(e, "documents") { p.error id="f-documents" { (m) } }
                    table.documents {
                        thead { tr { th scope="col" { (t("文件", "Document")) } th scope="col" { (t("狀態", "Status")) } th scope="col" { (t("上傳", "Upload")) } } }
                        tbody {
                            @for d in &f.documents {
                                tr {
                                    td { (d.name) }
                                    td {
                                        @if let Some((id, name)) = &d.uploaded {
                                            input type="hidden" name=(format!("doc.{}", d.doc_type)) value=(id);
                                            input type="hidden" name=(format!("docname.{}", d.doc_type)) value=(name);
                                            (badge("ok", t("已上傳", "uploaded"))) " " (name)
                                        } @else if d.carried_over {
                                            (badge("info", t("前次申請已附（不提供檢視）", "on file from your previous application (not viewable)")))
                                        } @else {
                                            (badge("late", t("尚未上傳", "missing")))
                                        }
                                    }
                                    td {
                                        label.visually-hidden for=(format!("f-file.{}", d.doc_type)) { (d.name) }
                                        input type="file" id=(format!("f-file.{}", d.doc_type)) name=(format!("file.{}", d.doc_type)) accept="application/pdf,image/jpeg,image/png";
                                        @if let Some(m) = message_for(e, &format!("file.{}", d.doc_type)) { p.error { (m) } }
                                    }
                                }
                            }
                        }
                    }
                    (steps(lang, Some("tab-field"), None))
                    div.submit {
                        button.primary type="submit" name="action" value="submit" { (t("送出", "Submit")) }
                    }
                }
            }
        },
    )
}

/// 回上一頁 / 下一頁 of a tab: buttons the script shows (all tabs show without it).
fn steps(lang: Lang, back: Option<&str>, next: Option<&str>) -> Markup {
    html! {
        div.steps hidden {
            @if let Some(b) = back { button type="button" data-go=(b) { (lang.pick("回上一頁", "Back")) } }
            @if let Some(n) = next { button type="button" data-go=(n) { (lang.pick("下一頁", "Next")) } }
        }
    }
}

/// Step 15: the case number, the fee and the way to payment.
pub fn filed_page(chrome: &Chrome, case_number: &str, fee_twd: i32, draft_key: &str) -> Markup {
    let t = |zh, en| chrome.t(zh, en);
    layout(
        chrome,
        t("完成", "Filed"),
        html! {
            h1 { (t("延期申請已送件", "Your extension is filed")) }
            dl.facts {
                dt { (t("申請案號", "Case number")) } dd #case-number data-clear-draft=(draft_key) { (case_number) }
                dt { (t("應繳規費", "Fee to pay")) } dd #fee { (money(fee_twd)) }
            }
            p { (t("確認信已寄到您的電子郵件。請至線上繳費區進行繳費；繳費後無論核准與否均不退費。",
                   "A confirmation has been emailed to you. Please pay online; once paid, the fee is not refunded whatever the outcome.")) }
            p { a.button.primary href=(format!("/apply/cases/{case_number}/pay")) { (t("前往線上繳費", "Go to online payment")) } }
        },
    )
}

/// 進度查詢: the account's cases with their progress in plain words.
pub fn cases_page(chrome: &Chrome, cases: &[CaseLine]) -> Markup {
    let t = |zh, en| chrome.t(zh, en);
    layout(
        chrome,
        t("案件進度查詢", "Progress"),
        html! {
            h1 { (t("案件進度查詢", "Progress")) }
            (case_table(chrome, cases, None))
        },
    )
}

/// One case for the applicant: progress, what is asked, what is possible now.
pub fn case_page(chrome: &Chrome, c: &CaseView) -> Markup {
    let t = |zh, en| chrome.t(zh, en);
    layout(
        chrome,
        &c.case_number,
        html! {
            h1 { (t("案件", "Case")) " " (c.case_number) }
            dl.facts {
                dt { (t("狀態", "Status")) } dd #progress { (badge("state", &chrome.state_label(&c.state))) " " (progress_words(chrome.lang, &c.state, c.consulting.as_deref())) }
                dt { (t("申請人", "Applicant")) } dd { (c.applicant.name) }
                dt { (t("申請身分", "Filed as")) } dd { (filer_words(chrome.lang, &c.applicant.filer)) }
                dt { (t("延期年限", "Years")) } dd { (c.validity_years) }
                dt { (t("規費", "Fee")) } dd { (money(c.fee_twd)) " " @if c.paid { (badge("ok", t("已繳", "paid"))) } @else { (badge("info", t("未繳", "unpaid"))) } }
                dt { (t("送件時間", "Filed at")) } dd { (taipei_time(c.filed_at)) }
                @if let Some(d) = &c.decision {
                    @if let Some(r) = &d.reason { dt { (t("理由", "Reason")) } dd { (r) } }
                    @if let Some(l) = &d.legal_basis { dt { (t("法令依據", "Legal basis")) } dd { (l) } }
                    @if let Some(x) = d.new_expires_on { dt { (t("新效期", "New expiry")) } dd { (x) } }
                }
            }
            @if c.state == "supplement" {
                @if let Some(s) = &c.supplement {
                    div.banner.error { (t("請於期限前補正文件：", "Please send the documents asked for by ")) (s.due_on.map(|d| d.to_string()).unwrap_or_default())
                        " " a href=(format!("/apply/cases/{}/supplement", c.case_number)) { (t("前往補正", "Supplement now")) } }
                }
            }
            h2 { (t("文件", "Documents")) }
            ul.documents {
                @for d in &c.documents { li { (d.doc_type) } }
                @if c.carried_over_documents > 0 {
                    li { (badge("info", t("前次申請已附", "on file from the previous application"))) " " (c.carried_over_documents) (t(" 件（不提供檢視）", " (not viewable)")) }
                }
            }
            h2 { (t("歷程", "History")) }
            ol.timeline {
                @for h in &c.history {
                    li { time { (taipei_time(h.at)) } " " (chrome.state_label(&h.to)) }
                }
            }
            ul.menu {
                @if c.state == "submitted" {
                    li { a href=(format!("/apply/cases/{}/pay", c.case_number)) { (t("線上繳費", "Pay online")) } }
                    li { a href=(format!("/apply/cases/{}/withdraw", c.case_number)) { (t("案件撤銷", "Withdraw")) } }
                }
            }
        },
    )
}

/// 線上繳費 (list) or 補正列表 or 案件撤銷: the cases with the step's link.
pub fn list_page(chrome: &Chrome, which: ListKind, cases: &[CaseLine]) -> Markup {
    let t = |zh, en| chrome.t(zh, en);
    let (title, hint, action): (&str, &str, (&str, &str, &[&str])) = match which {
        ListKind::Payments => (
            t("線上繳費", "Online payment"),
            t(
                "已送件、尚未繳費的案件可在此繳費。",
                "Cases filed and not yet paid can be paid here.",
            ),
            (t("繳費", "Pay"), "pay", &["submitted"]),
        ),
        ListKind::Supplements => (
            t("補正(件)列表", "Supplements"),
            t(
                "審查機關要求補正文件的案件；請於期限前上傳並送出。",
                "Cases whose reviewers asked for documents; upload and send them before the due date.",
            ),
            (t("補正", "Supplement"), "supplement", &["supplement"]),
        ),
        ListKind::Withdrawal => (
            t("案件撤銷", "Withdrawal"),
            t(
                "尚未繳費的案件可線上撤銷後重新填寫；已繳費的案件須以書面向審查機關申請撤案，規費不退還。",
                "A case not yet paid can be withdrawn here and filed again. After payment, withdrawal must be asked in writing to the reviewing agency; the fee is not refunded.",
            ),
            (
                t("撤銷", "Withdraw"),
                "withdraw",
                &["submitted", "paid", "labor_review", "supplement", "immigration_review"],
            ),
        ),
    };
    layout(
        chrome,
        title,
        html! {
            h1 { (title) }
            p.hint { (hint) }
            (case_table(chrome, cases, Some(action)))
        },
    )
}

/// Which list of cases [`list_page`] shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// 線上繳費.
    Payments,
    /// 補正列表.
    Supplements,
    /// 案件撤銷.
    Withdrawal,
}

/// The payment page: the fee and the hand-off to the gateway.
pub fn pay_page(chrome: &Chrome, c: &CaseView, gateway: Option<&str>) -> Markup {
    let t = |zh, en| chrome.t(zh, en);
    layout(
        chrome,
        t("線上繳費", "Online payment"),
        html! {
            h1 { (t("線上繳費", "Online payment")) }
            dl.facts {
                dt { (t("申請案號", "Case number")) } dd { (c.case_number) }
                dt { (t("應繳規費", "Fee")) } dd #fee { (money(c.fee_twd)) }
                dt { (t("狀態", "Status")) } dd { (progress_words(chrome.lang, &c.state, None)) }
            }
            @if c.paid {
                div.banner.ok role="status" { (t("此案件已繳費。", "This case is paid.")) }
            } @else if c.state != "submitted" {
                div.banner.error role="status" { (t("此案件已無法繳費。", "This case can no longer be paid.")) }
            } @else if let Some(name) = gateway {
                p { (t("繳費後無論核准與否均不退費。", "Once paid, the fee is not refunded whatever the outcome.")) }
                form.card method="post" action=(format!("/apply/cases/{}/pay", c.case_number)) {
                    (csrf_field(chrome))
                    button.primary type="submit" { (t("前往付款", "Go to the payment service")) " (" (name) ")" }
                }
            } @else {
                div.banner.error role="status" { (t("線上繳費暫不提供，請至服務站臨櫃繳費。", "Online payment is not available now; please pay at a service counter.")) }
            }
        },
    )
}

/// The development gateway's own page: it stands for the bank's page and, on "pay",
/// posts the signed notification of interfaces.md back to goldcard.
pub fn simulated_gateway_page(chrome: &Chrome, case_number: &str, amount_twd: i32) -> Markup {
    let t = |zh, en| chrome.t(zh, en);
    layout(
        chrome,
        t("模擬付款閘道", "Simulated payment gateway"),
        html! {
            h1 { (t("模擬付款閘道（開發環境）", "Simulated payment gateway (development)")) }
            p.hint { (t("正式環境會在此轉到銀行或金流業者的付款頁。", "In production this is the bank's or payment provider's page.")) }
            dl.facts {
                dt { (t("申請案號", "Case number")) } dd { (case_number) }
                dt { (t("金額", "Amount")) } dd #amount data-amount=(amount_twd) { (money(amount_twd)) }
            }
            form.card method="post" action=(format!("/apply/gateway/simulated/{case_number}")) {
                (csrf_field(chrome))
                button.primary type="submit" { (t("確認付款", "Pay")) }
            }
        },
    )
}

/// The supplement page: the items asked for, the due date, an upload per item.
pub fn supplement_page(
    chrome: &Chrome,
    c: &CaseView,
    names: &BTreeMap<String, String>,
    errors: &[FieldMessage],
) -> Markup {
    let t = |zh, en| chrome.t(zh, en);
    let Some(s) = &c.supplement else {
        return layout(
            chrome,
            t("補正", "Supplement"),
            html! {
                h1 { (t("補正", "Supplement")) }
                p { (t("此案件目前沒有待補正的文件。", "Nothing is asked for on this case now.")) }
            },
        );
    };
    layout(
        chrome,
        t("補正文件", "Supplement"),
        html! {
            h1 { (t("補正文件", "Send the documents asked for")) " " (c.case_number) }
            dl.facts {
                dt { (t("補正期限", "Due date")) } dd #due { (s.due_on.map(|d| d.to_string()).unwrap_or_default()) }
            }
            @if !errors.is_empty() {
                div.banner.error role="alert" { ul { @for m in errors { li { (m.message) } } } }
            }
            @if c.state != "supplement" {
                p { (t("此案件目前不在補件中。", "The case is not awaiting documents now.")) }
            } @else {
                form.card method="post" action=(format!("/apply/cases/{}/supplement", c.case_number)) enctype="multipart/form-data" {
                    (csrf_field(chrome))
                    @for item in &s.items {
                        @let name = names.get(&item.doc_type).cloned().unwrap_or_else(|| item.doc_type.clone());
                        div.field.invalid[message_for(errors, &format!("file.{}", item.doc_type)).is_some()] {
                            label for=(format!("f-file.{}", item.doc_type)) { (name) span.req aria-hidden="true" { " *" } }
                            @if !item.note.is_empty() { p.hint { (item.note) } }
                            input type="file" id=(format!("f-file.{}", item.doc_type)) name=(format!("file.{}", item.doc_type)) accept="application/pdf,image/jpeg,image/png" required;
                            @if let Some(m) = message_for(errors, &format!("file.{}", item.doc_type)) { p.error { (m) } }
                        }
                    }
                    (confirm_box(chrome.lang, "confirm-supplement", message_for(errors, "confirm")))
                    button.primary type="submit" { (t("送出補正", "Send")) }
                }
            }
        },
    )
}

/// The withdrawal page: before payment a confirmation; after it, how to ask in writing.
pub fn withdraw_page(chrome: &Chrome, c: &CaseView, error: Option<&str>) -> Markup {
    let t = |zh, en| chrome.t(zh, en);
    layout(
        chrome,
        t("案件撤銷", "Withdrawal"),
        html! {
            h1 { (t("案件撤銷", "Withdraw")) " " (c.case_number) }
            p { (progress_words(chrome.lang, &c.state, c.consulting.as_deref())) }
            @if c.state == "submitted" {
                p { (t("撤銷後此案件即結案，您可重新填寫並送出新的延期申請。", "After withdrawal the case is closed; you can then file a new extension.")) }
                form.card method="post" action=(format!("/apply/cases/{}/withdraw", c.case_number)) {
                    (csrf_field(chrome))
                    (confirm_box(chrome.lang, "confirm-withdraw", error))
                    button.danger type="submit" { (t("確認撤銷", "Withdraw the case")) }
                }
            } @else if ["issued", "rejected", "withdrawn"].contains(&c.state.as_str()) {
                p { (t("此案件已結案。", "This case is closed.")) }
            } @else {
                div.banner.error role="status" #written {
                    (t("此案件已繳費，無法線上撤銷。如需撤案，請以書面（載明申請案號、姓名、統一證號並簽名）向審查機關提出；規費不予退還。",
                       "This case is paid and cannot be withdrawn online. To withdraw it, write to the reviewing agency (with the case number, your name, UI number and signature); the fee is not refunded."))
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_names_the_ministry_consulted() {
        assert_eq!(
            progress_words(Lang::En, "labor_review", Some("Ministry of Digital Affairs")),
            "The labor agency is reviewing your qualification (consulting Ministry of Digital Affairs)"
        );
        assert!(progress_words(Lang::ZhTw, "labor_review", Some("數位發展部")).contains("諮詢數位發展部中"));
        assert_eq!(
            progress_words(Lang::En, "paid", Some("x")),
            "Paid; waiting for the labor agency to take it up"
        );
    }

    #[test]
    fn money_groups_thousands() {
        assert_eq!(money(800), "NT$800");
        assert_eq!(money(1500), "NT$1,500");
        assert_eq!(money(1234567), "NT$1,234,567");
    }

    #[test]
    fn every_window_state_says_what_to_do() {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a test date");
        let m = WindowMessage::NotYetOpen {
            opens_on: d("2027-01-01"),
            expires_on: d("2027-05-01"),
        };
        assert!(window_words(Lang::En, &m).contains("2027-01-01"));
        let m = WindowMessage::Locked {
            locks_on: d("2027-04-01"),
            expires_on: d("2027-05-01"),
        };
        assert!(window_words(Lang::En, &m).contains("job-seeking"));
        let m = WindowMessage::Expired {
            expires_on: d("2026-01-01"),
        };
        assert!(window_words(Lang::ZhTw, &m).contains("重新申請"));
    }
}
