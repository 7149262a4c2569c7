//! The case page: the applicant's data in the tabs they filled, the criterion and its
//! catalog text, the documents, the timeline of events and notes, and the actions the
//! workflow engine allows this officer now, each behind a confirmation.

use super::{event_words, role_words, state_badge};
use crate::components::{FieldMessage, TimelineEntry, confirm_box, due_badge, message_for, textarea, timeline};
use crate::model::CaseView;
use crate::{Chrome, csrf_field, layout};
use chrono::NaiveDate;
use maud::{Markup, html};
use serde_json::Value;

/// An action the page offers, with what its form needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Take the case.
    Claim,
    /// Ask for documents: the document types to pick from, `(code, name)`, and the default
    /// due dates (in Taiwan, from abroad).
    RequestSupplement {
        /// Document types to pick from.
        choices: Vec<(String, String)>,
        /// Default due date (today + 30 days).
        due_on: NaiveDate,
        /// Default when the documents come from abroad (today + 6 months).
        due_on_abroad: NaiveDate,
    },
    /// Ask the field's ministry.
    Consult {
        /// The ministry, from the catalog.
        authority: String,
    },
    /// Record the ministry's opinion.
    ConsultationAnswered,
    /// Approve the qualification.
    Approve,
    /// Issue the extension.
    Issue,
    /// Reject with grounds and legal basis.
    Reject,
    /// Give the case to another officer: `(login, name)` of those who may hold it.
    Reassign {
        /// Officers who may hold it.
        officers: Vec<(String, String)>,
    },
    /// Withdraw on the applicant's written request.
    Withdraw,
    /// An event this page has no form for (shown as a confirm-only button).
    Other(String),
}

impl Action {
    /// The workflow event it fires.
    pub fn event(&self) -> &str {
        match self {
            Action::Claim => "claim",
            Action::RequestSupplement { .. } => "request_supplement",
            Action::Consult { .. } => "consult",
            Action::ConsultationAnswered => "consultation_answered",
            Action::Approve => "approve",
            Action::Issue => "issue",
            Action::Reject => "reject",
            Action::Reassign { .. } => "reassign",
            Action::Withdraw => "withdraw",
            Action::Other(e) => e,
        }
    }
}

/// A note in the timeline.
#[derive(Debug, Clone)]
pub struct NoteView {
    /// When.
    pub at: chrono::DateTime<chrono::Utc>,
    /// Who wrote it.
    pub author: String,
    /// Their role.
    pub author_role: String,
    /// The text.
    pub body: String,
}

/// An action that failed, shown again with its errors and what was typed.
#[derive(Debug, Clone, Default)]
pub struct Failed {
    /// The event.
    pub event: String,
    /// The message.
    pub message: String,
    /// Field errors, by form field name.
    pub errors: Vec<FieldMessage>,
    /// What was typed, by form field name.
    pub values: Vec<(String, String)>,
}

impl Failed {
    fn value(&self, name: &str) -> &str {
        self.values
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }
    fn values_of<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.values
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Everything the case page shows.
#[derive(Debug, Clone)]
pub struct CaseScreen {
    /// The case, as the API shows it to this reader.
    pub case: CaseView,
    /// Today (Taipei).
    pub today: NaiveDate,
    /// The filing as submitted (the applicant's tabs).
    pub form: Value,
    /// The field of expertise in words.
    pub field_name: String,
    /// The criterion's catalog text.
    pub criterion_text: String,
    /// The sub-field in words.
    pub subfield_name: Option<String>,
    /// The certifying ministry.
    pub authority: String,
    /// Document types by code.
    pub doc_type_names: Vec<(String, String)>,
    /// Notes, oldest first.
    pub notes: Vec<NoteView>,
    /// What the reader may do now.
    pub actions: Vec<Action>,
    /// The reader may add notes.
    pub can_note: bool,
    /// The reader may resend the last notification (helpdesk).
    pub can_resend: bool,
    /// The reader sees identifiers masked and no documents (helpdesk).
    pub masked: bool,
    /// An action that failed, to show again.
    pub failed: Option<Failed>,
}

fn name_of<'a>(pairs: &'a [(String, String)], code: &'a str) -> &'a str {
    pairs.iter().find(|(c, _)| c == code).map_or(code, |(_, n)| n.as_str())
}

/// One row of a definition list from the filing, `—` when absent.
fn row(label: &str, value: Option<&Value>) -> Markup {
    let text = match value {
        None | Some(Value::Null) => "—".to_string(),
        Some(Value::String(s)) if s.is_empty() => "—".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => if *b { "✓" } else { "✗" }.to_string(),
        Some(other) => other.to_string(),
    };
    html! { dt { (label) } dd { (text) } }
}

fn tab_panel(id: &str, heading: &str, body: Markup) -> Markup {
    html! {
        section.panel id=(id) aria-labelledby=(format!("{id}-h")) {
            h3 id=(format!("{id}-h")) { (heading) }
            (body)
        }
    }
}

/// The case page.
pub fn case_page(chrome: &Chrome, s: &CaseScreen) -> Markup {
    let t = |zh, en| chrome.t(zh, en);
    let c = &s.case;
    let f = &s.form;
    let at = |path: &[&str]| -> Option<&Value> {
        let mut v = f;
        for p in path {
            v = v.get(*p)?;
        }
        Some(v)
    };
    let mut entries: Vec<(chrono::DateTime<chrono::Utc>, TimelineEntry)> = c
        .history
        .iter()
        .map(|h| {
            (
                h.at,
                TimelineEntry {
                    at: crate::components::taipei_time(h.at),
                    title: format!(
                        "{}{}",
                        event_words(chrome.lang, &h.event),
                        if h.from.as_deref() == Some(h.to.as_str()) {
                            String::new()
                        } else {
                            format!(" → {}", chrome.state_label(&h.to))
                        }
                    ),
                    who: role_words(chrome.lang, &h.actor_role).to_string(),
                    detail: None,
                    note: false,
                },
            )
        })
        .collect();
    entries.extend(s.notes.iter().map(|n| {
        (
            n.at,
            TimelineEntry {
                at: crate::components::taipei_time(n.at),
                title: t("備註", "Note").to_string(),
                who: format!("{} · {}", n.author, role_words(chrome.lang, &n.author_role)),
                detail: Some(n.body.clone()),
                note: true,
            },
        )
    }));
    entries.sort_by_key(|(at, _)| *at);
    let entries: Vec<TimelineEntry> = entries.into_iter().map(|(_, e)| e).collect();
    layout(
        chrome,
        &c.case_number,
        html! {
            h1 { (t("案件", "Case")) " " (c.case_number) }
            div.summary {
                (state_badge(chrome, &c.state))
                @if let Some(a) = &c.consulting { " " (crate::components::badge("info", &format!("{} {a}", t("會商中：", "Consulting:")))) }
                @if let Some(sup) = &c.supplement { @if sup.overdue { " " (crate::components::badge("late", t("補件逾期", "Supplement missed"))) } }
                dl.facts {
                    dt { (t("申請人", "Applicant")) } dd { (c.applicant.name) }
                    dt { (t("統一證號", "UI number")) } dd { (c.applicant.ui_number) }
                    dt { (t("承辦人", "Assignee")) } dd { @match &c.assignee { Some(a) => { (a.name) " (" (a.login) ")" }, None => { (t("未分案", "Unassigned")) } } }
                    dt { (t("審查到期日", "Review due")) } dd { @if let Some(d) = c.due_on { (d) " " (due_badge(chrome.lang, Some(d), s.today)) } @else { "—" } }
                    dt { (t("規費", "Fee")) } dd { "NT$" (c.fee_twd) " · " @if c.paid { (t("已繳", "paid")) } @else { (t("未繳", "unpaid")) } }
                    dt { (t("申請效期", "Validity asked")) } dd { (c.validity_years) " " (t("年", "years")) }
                    dt { (t("版本", "Version")) } dd { (c.version) }
                }
            }

            @if !s.actions.is_empty() {
                section.actions aria-labelledby="actions-h" {
                    h2 id="actions-h" { (t("可執行的動作", "What you can do now")) }
                    @for a in &s.actions { (action_form(chrome, s, a)) }
                }
            }

            section aria-labelledby="filing-h" {
                h2 id="filing-h" { (t("申請資料", "The filing")) }
                nav.tabs.local aria-label=(t("申請資料分頁", "Filing tabs")) {
                    ul {
                        li { a href="#tab-basic" { "基本資料" @if chrome.lang == crate::Lang::En { " (Basic)" } } }
                        li { a href="#tab-passport" { "護照資料" @if chrome.lang == crate::Lang::En { " (Passport)" } } }
                        li { a href="#tab-residence" { "居留申請" @if chrome.lang == crate::Lang::En { " (Residence)" } } }
                        li { a href="#tab-field" { "領域專長" @if chrome.lang == crate::Lang::En { " (Field)" } } }
                        li { a href="#tab-documents" { "文件上傳" @if chrome.lang == crate::Lang::En { " (Documents)" } } }
                    }
                }
                (tab_panel("tab-basic", t("基本資料", "Basic data"), html! {
                    dl.form-data {
                        (row(t("申請方式", "Filed by"), Some(&Value::String(c.applicant.filer.clone()))))
                        (row(t("姓", "Family name"), at(&["basic", "family_name"])))
                        (row(t("名", "Given name"), at(&["basic", "given_name"])))
                        (row(t("中文姓名", "Chinese name"), at(&["basic", "chinese_name"])))
                        (row(t("性別", "Gender"), at(&["basic", "gender"])))
                        (row(t("國籍", "Nationality"), Some(&Value::String(c.applicant.nationality.clone()))))
                        (row(t("出生日期", "Birth date"), at(&["birth_date"]).filter(|_| !s.masked)))
                        (row(t("職業", "Occupation"), at(&["basic", "occupation"])))
                        (row(t("學歷", "Education"), at(&["basic", "education"])))
                        (row(t("婚姻狀況", "Marital status"), at(&["basic", "marital_status"])))
                        (row(t("電子郵件", "Email"), Some(&Value::String(c.applicant.email.clone()))))
                        (row(t("出生地", "Birth place"), at(&["basic", "birth_city"])))
                        (row(t("國外住址", "Home address"), at(&["basic", "home_address"])))
                        (row(t("國外電話", "Home phone"), at(&["basic", "home_phone"])))
                    }
                }))
                (tab_panel("tab-passport", t("護照資料", "Passport"), html! {
                    dl.form-data {
                        (row(t("護照號碼", "Passport number"), Some(&c.applicant.passport_number.clone().map(Value::String).unwrap_or(Value::Null))))
                        (row(t("護照種類", "Type"), at(&["passport", "type"])))
                        (row(t("發照日期", "Issued on"), at(&["passport", "issued_on"])))
                        (row(t("護照效期", "Expires on"), at(&["passport", "expiry_date"])))
                        (row(t("發照地", "Issued at"), at(&["passport", "issued_at"])))
                        (row(t("更新護照資料", "Passport updated"), at(&["passport", "update"])))
                    }
                }))
                (tab_panel("tab-residence", t("居留申請", "Residence"), html! {
                    dl.form-data {
                        (row(t("申請效期（年）", "Validity (years)"), at(&["residence", "validity_years"])))
                        (row(t("服務單位", "Employer"), at(&["residence", "employer"])))
                        (row(t("服務單位電話", "Employer phone"), at(&["residence", "employer_phone"])))
                        (row(t("領件方式", "Pickup"), at(&["residence", "pickup"])))
                        (row(t("領件地點", "Pickup office"), at(&["residence", "pickup_office"])))
                        (row(t("工作地址", "Work address"), at(&["residence", "work_address"])))
                        (row(t("居留地址", "Residence address"), at(&["residence", "residence_address"])))
                        (row(t("手機", "Mobile"), at(&["residence", "mobile"])))
                        (row(t("聯絡人", "Contact"), at(&["residence", "contact", "name"])))
                        (row(t("聯絡人關係", "Contact relation"), at(&["residence", "contact", "relation"])))
                        (row(t("聯絡人電話", "Contact phone"), at(&["residence", "contact", "phone"])))
                        @if c.applicant.hk_macau {
                            (row(t("曾在大陸地區工作", "Worked in mainland China"), at(&["hk_macau", "worked_in_mainland"])))
                        }
                    }
                }))
                (tab_panel("tab-field", t("領域專長", "Field of expertise"), html! {
                    dl.form-data {
                        dt { (t("領域", "Field")) } dd { (s.field_name) }
                        dt { (t("主管機關", "Certifying ministry")) } dd { (s.authority) }
                        dt { (t("資格條件", "Criterion")) } dd { (c.field.criterion) }
                        dt { (t("條件內容", "Criterion text")) } dd.criterion { (s.criterion_text) }
                        @if let Some(sub) = &s.subfield_name { dt { (t("細項", "Sub-field")) } dd { (sub) } }
                    }
                }))
                (tab_panel("tab-documents", t("文件", "Documents"), html! {
                    @if s.masked {
                        p { (t("客服人員不得檢視文件。", "The helpdesk does not see documents.")) " "
                            (c.documents.len() + c.carried_over_documents) " " (t("份文件", "documents on file")) }
                    } @else if c.documents.is_empty() {
                        p { (t("沒有文件。", "No documents.")) }
                    } @else {
                        ul.documents {
                            @for d in &c.documents {
                                li {
                                    a href=(format!("/office/documents/{}", d.document_id)) target="viewer" {
                                        (name_of(&s.doc_type_names, &d.doc_type))
                                    }
                                    " " span.purpose { (d.purpose) }
                                    @if d.carried_over { " " (crate::components::badge("info", t("沿用前次申請", "carried over"))) }
                                }
                            }
                        }
                        iframe.viewer name="viewer" title=(t("文件檢視", "Document viewer")) {}
                    }
                }))
            }

            @if let Some(sup) = &c.supplement {
                section aria-labelledby="sup-h" {
                    h2 id="sup-h" { (t("補件", "Supplement")) }
                    p { (t("期限", "Due")) ": " @if let Some(d) = sup.due_on { (d) } @else { "—" }
                        @if sup.abroad { " · " (t("國外文件", "from abroad")) } }
                    ul { @for i in &sup.items { li { (name_of(&s.doc_type_names, &i.doc_type)) ": " (i.note) } } }
                }
            }
            @if let Some(d) = &c.decision {
                section aria-labelledby="decision-h" {
                    h2 id="decision-h" { (t("決定", "Decision")) }
                    dl.facts {
                        @if let Some(g) = &d.grounds { dt { (t("理由類別", "Grounds")) } dd { (g) } }
                        @if let Some(r) = &d.reason { dt { (t("理由", "Reason")) } dd { (r) } }
                        @if let Some(l) = &d.legal_basis { dt { (t("法令依據", "Legal basis")) } dd { (l) } }
                        @if let Some(e) = d.new_expires_on { dt { (t("新效期", "New expiry")) } dd { (e) } }
                    }
                }
            }

            section aria-labelledby="timeline-h" {
                h2 id="timeline-h" { (t("歷程與備註", "History and notes")) }
                (timeline(&entries))
                @if s.can_note {
                    form.note method="post" action=(format!("/office/cases/{}/notes", c.case_number)) {
                        (csrf_field(chrome))
                        (textarea("body", t("新增備註", "Add a note"), "", true, None))
                        button type="submit" { (t("新增備註", "Add note")) }
                    }
                }
                @if s.can_resend {
                    form method="post" action=(format!("/office/cases/{}/resend", c.case_number)) {
                        (csrf_field(chrome))
                        (confirm_box(chrome.lang, "confirm-resend", None))
                        button type="submit" { (t("重寄最近一封通知", "Resend the last notification")) }
                    }
                }
            }
        },
    )
}

fn action_form(chrome: &Chrome, s: &CaseScreen, a: &Action) -> Markup {
    let t = |zh, en| chrome.t(zh, en);
    let event = a.event();
    let failed = s.failed.as_ref().filter(|f| f.event == event);
    let empty = Failed::default();
    let fv = failed.unwrap_or(&empty);
    let err = |name: &str| message_for(&fv.errors, name);
    let id = |name: &str| format!("{event}-{name}");
    html! {
        details.action open[failed.is_some()] id=(format!("action-{event}")) {
            summary { (event_words(chrome.lang, event)) }
            form method="post" action=(format!("/office/cases/{}/events/{event}", s.case.case_number)) {
                (csrf_field(chrome))
                input type="hidden" name="version" value=(s.case.version);
                @if let Some(f) = failed { div.banner.error role="alert" { (f.message) } }
                @match a {
                    Action::RequestSupplement { choices, due_on, due_on_abroad } => {
                        fieldset {
                            legend { (t("需補正的文件（每項請註明原因）", "Documents to supply (a note for each)")) }
                            @if let Some(e) = err("items") { p.error { (e) } }
                            @for (code, name) in choices {
                                @let checked = fv.values_of("item").any(|v| v == code);
                                div.item {
                                    input type="checkbox" id=(id(&format!("item-{code}"))) name="item" value=(code) checked[checked];
                                    label for=(id(&format!("item-{code}"))) { (name) }
                                    label.visually-hidden for=(id(&format!("note-{code}"))) { (name) " — " (t("說明", "note")) }
                                    input type="text" id=(id(&format!("note-{code}"))) name=(format!("note_{code}")) value=(fv.value(&format!("note_{code}")))
                                        placeholder=(t("說明", "Note"));
                                    @if let Some(e) = err(&format!("note_{code}")) { p.error { (e) } }
                                }
                            }
                        }
                        div.field {
                            input type="checkbox" id=(id("abroad")) name="abroad" value="yes" checked[fv.value("abroad") == "yes"];
                            label for=(id("abroad")) { (t("文件需自國外取得（期限 6 個月）", "Documents come from abroad (6 months)")) }
                        }
                        p.hint { (t("預設期限", "Default due date")) ": " (due_on) " · " (t("國外", "abroad")) ": " (due_on_abroad) }
                        div.field.invalid[err("due_on").is_some()] {
                            label for=(id("due_on")) { (t("補件期限（空白則用預設）", "Due date (blank for the default)")) }
                            input type="date" id=(id("due_on")) name="due_on" value=(fv.value("due_on"));
                            @if let Some(e) = err("due_on") { p.error { (e) } }
                        }
                    }
                    Action::Consult { authority } => {
                        div.field {
                            label for=(id("authority")) { (t("會商機關", "Ministry")) }
                            input type="text" id=(id("authority")) name="authority" value=(authority) readonly;
                        }
                    }
                    Action::ConsultationAnswered => {
                        div.field.invalid[err("opinion").is_some()] {
                            label for=(id("opinion")) { (t("主管機關意見", "The ministry's opinion")) }
                            textarea id=(id("opinion")) name="opinion" rows="3" required { (fv.value("opinion")) }
                            @if let Some(e) = err("opinion") { p.error { (e) } }
                        }
                    }
                    Action::Reject => {
                        @let grounds = [
                            ("not_eligible".to_string(), t("不予許可（資格不符）", "Not eligible (不予許可)").to_string()),
                            ("supplement_missed".to_string(), t("駁回（逾期未補件）", "Supplement missed (駁回)").to_string()),
                            ("other".to_string(), t("其他", "Other").to_string()),
                        ];
                        div.field {
                            label for=(id("grounds")) { (t("理由類別", "Grounds")) }
                            select id=(id("grounds")) name="grounds" {
                                @for (v, l) in &grounds { option value=(v) selected[fv.value("grounds") == v] { (l) } }
                            }
                            @if let Some(e) = err("grounds") { p.error { (e) } }
                        }
                        div.field.invalid[err("reason").is_some()] {
                            label for=(id("reason")) { (t("駁回理由", "Reason")) }
                            textarea id=(id("reason")) name="reason" rows="3" required { (fv.value("reason")) }
                            @if let Some(e) = err("reason") { p.error { (e) } }
                        }
                        div.field.invalid[err("legal_basis").is_some()] {
                            label for=(id("legal_basis")) { (t("法令依據", "Legal basis")) }
                            input type="text" id=(id("legal_basis")) name="legal_basis" value=(fv.value("legal_basis")) required;
                            @if let Some(e) = err("legal_basis") { p.error { (e) } }
                        }
                    }
                    Action::Reassign { officers } => {
                        div.field.invalid[err("to").is_some()] {
                            label for=(id("to")) { (t("改分給", "Reassign to")) }
                            select id=(id("to")) name="to" {
                                @for (l, n) in officers { option value=(l) selected[fv.value("to") == l] { (n) " (" (l) ")" } }
                            }
                            @if let Some(e) = err("to") { p.error { (e) } }
                        }
                    }
                    Action::Withdraw => {
                        div.field.invalid[err("reason").is_some()] {
                            label for=(id("reason")) { (t("申請人書面撤案理由", "The applicant's written request")) }
                            textarea id=(id("reason")) name="reason" rows="2" required { (fv.value("reason")) }
                            @if let Some(e) = err("reason") { p.error { (e) } }
                        }
                        p.hint { (t("已繳規費不予退還。", "The fee paid is not refunded.")) }
                    }
                    _ => {}
                }
                (confirm_box(chrome.lang, &id("confirm"), err("confirm")))
                button.primary type="submit" { (event_words(chrome.lang, event)) }
            }
        }
    }
}
