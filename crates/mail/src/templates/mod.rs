//! One template per notification the workflow definition names, each in its own file
//! with its Traditional Chinese and English wording. A template builds a [`Letter`] (plain
//! sentences, facts and lists) per language; [`layout`] turns the two letters into one
//! bilingual mail — the recipient's language first, the other below — as text and as HTML
//! (maud, so everything taken from a case is escaped).
//!
//! Most templates are about a case: transitions name them in the workflow definitions'
//! `notify` lists and their payload is the store's `template_vars`, whose `case_number`
//! heads the subject. The scheduled jobs send the others — reminders about a case
//! (`supplement_reminder`, `unpaid_reminder`), mail about a card rather than a case
//! (`window_open`, `window_closing`, `window_locked`), the supervisors' `sla_digest` — and
//! the sign-in flow sends `sign_in_code`; a mail without a case number has no `[number]`
//! in its subject.

mod case_received;
mod issued;
mod layout;
mod payment_received;
mod rejected;
mod sign_in_code;
mod sla_digest;
mod supplement_overdue;
mod supplement_received;
mod supplement_received_officer;
mod supplement_reminder;
mod supplement_requested;
mod unpaid_reminder;
mod window;
mod withdrawn;

use chrono::NaiveDate;
use goldcard_domain::DocumentType;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// A notification template, named as in the workflow definitions' `notify` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Template {
    /// To the applicant: the case was filed (number and fee).
    CaseReceived,
    /// To the applicant: the fee was paid.
    PaymentReceived,
    /// To the applicant: documents are requested (items, due date).
    SupplementRequested,
    /// To the applicant: the requested documents arrived.
    SupplementReceived,
    /// To the assigned officer: the requested documents arrived.
    SupplementReceivedOfficer,
    /// To the assigned officer: the supplement deadline passed.
    SupplementOverdue,
    /// To the applicant: the extension was granted.
    Issued,
    /// To the applicant: the application was rejected (reason, legal basis).
    Rejected,
    /// To the applicant: the case was withdrawn.
    Withdrawn,
    /// To the person signing in: the one-time sign-in code (`code`, `valid_minutes`); no
    /// case. The code is in the bodies only, never in the subject.
    SignInCode,
    /// To a card holder, the day the online extension window opens (`ui_number`,
    /// `holder_name`, `card_expires_on`, `window_opens_on`, `window_locks_on`); no case.
    WindowOpen,
    /// To a card holder who has not filed, two weeks before the window locks (the same
    /// payload as [`Template::WindowOpen`]); no case.
    WindowClosing,
    /// To a card holder with no extension filed, the day the window locks (`ui_number`,
    /// `holder_name`, `card_expires_on`, `window_locks_on`): what they can do instead; no
    /// case.
    WindowLocked,
    /// To the applicant, a week before a supplement is due: the items still asked for and
    /// the due date (the case payload).
    SupplementReminder,
    /// To the applicant, when a case is still unpaid 30 days after filing (the case
    /// payload with `fee_twd` and `filed_on`).
    UnpaidReminder,
    /// Daily to each supervisor: the agency's cases past their SLA due date (`as_of`,
    /// `agency`, `cases`); never sent with no cases.
    SlaDigest,
}

/// Every template name this crate can render; a definition naming another one is a bug.
pub const KNOWN_TEMPLATES: [&str; 16] = [
    "case_received",
    "payment_received",
    "supplement_requested",
    "supplement_received",
    "supplement_received_officer",
    "supplement_overdue",
    "issued",
    "rejected",
    "withdrawn",
    "sign_in_code",
    "window_open",
    "window_closing",
    "window_locked",
    "supplement_reminder",
    "unpaid_reminder",
    "sla_digest",
];

impl Template {
    /// Every template, in the order of [`KNOWN_TEMPLATES`].
    pub const ALL: [Template; 16] = [
        Template::CaseReceived,
        Template::PaymentReceived,
        Template::SupplementRequested,
        Template::SupplementReceived,
        Template::SupplementReceivedOfficer,
        Template::SupplementOverdue,
        Template::Issued,
        Template::Rejected,
        Template::Withdrawn,
        Template::SignInCode,
        Template::WindowOpen,
        Template::WindowClosing,
        Template::WindowLocked,
        Template::SupplementReminder,
        Template::UnpaidReminder,
        Template::SlaDigest,
    ];

    /// The template's name in workflow definitions and outbox rows.
    pub fn as_str(self) -> &'static str {
        match self {
            Template::CaseReceived => "case_received",
            Template::PaymentReceived => "payment_received",
            Template::SupplementRequested => "supplement_requested",
            Template::SupplementReceived => "supplement_received",
            Template::SupplementReceivedOfficer => "supplement_received_officer",
            Template::SupplementOverdue => "supplement_overdue",
            Template::Issued => "issued",
            Template::Rejected => "rejected",
            Template::Withdrawn => "withdrawn",
            Template::SignInCode => "sign_in_code",
            Template::WindowOpen => "window_open",
            Template::WindowClosing => "window_closing",
            Template::WindowLocked => "window_locked",
            Template::SupplementReminder => "supplement_reminder",
            Template::UnpaidReminder => "unpaid_reminder",
            Template::SlaDigest => "sla_digest",
        }
    }

    /// Whether the mail is about one case, whose payload must then carry its
    /// `case_number`.
    pub fn needs_case_number(self) -> bool {
        match self {
            Template::CaseReceived
            | Template::PaymentReceived
            | Template::SupplementRequested
            | Template::SupplementReceived
            | Template::SupplementReceivedOfficer
            | Template::SupplementOverdue
            | Template::Issued
            | Template::Rejected
            | Template::Withdrawn
            | Template::SupplementReminder
            | Template::UnpaidReminder => true,
            Template::SignInCode
            | Template::WindowOpen
            | Template::WindowClosing
            | Template::WindowLocked
            | Template::SlaDigest => false,
        }
    }

    fn letter(self, lang: Locale, v: &Vars, names: &DocumentNames) -> Result<Letter, TemplateError> {
        if self.needs_case_number() && v.case_number().is_none() {
            return Err(TemplateError::Missing {
                template: self,
                field: "case_number",
            });
        }
        match self {
            Template::CaseReceived => case_received::letter(lang, v),
            Template::PaymentReceived => payment_received::letter(lang, v),
            Template::SupplementRequested => supplement_requested::letter(lang, v, names),
            Template::SupplementReceived => supplement_received::letter(lang, v),
            Template::SupplementReceivedOfficer => supplement_received_officer::letter(lang, v),
            Template::SupplementOverdue => supplement_overdue::letter(lang, v),
            Template::Issued => issued::letter(lang, v),
            Template::Rejected => rejected::letter(lang, v),
            Template::Withdrawn => withdrawn::letter(lang, v),
            Template::SignInCode => sign_in_code::letter(lang, v),
            Template::WindowOpen => window::open(lang, v),
            Template::WindowClosing => window::closing(lang, v),
            Template::WindowLocked => window::locked(lang, v),
            Template::SupplementReminder => supplement_reminder::letter(lang, v, names),
            Template::UnpaidReminder => unpaid_reminder::letter(lang, v),
            Template::SlaDigest => sla_digest::letter(lang, v),
        }
    }
}

impl FromStr for Template {
    type Err = TemplateError;

    fn from_str(name: &str) -> Result<Template, TemplateError> {
        Template::ALL
            .into_iter()
            .find(|t| t.as_str() == name)
            .ok_or_else(|| TemplateError::Unknown(name.to_string()))
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A language mail is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Locale {
    /// Traditional Chinese (Taiwan), the default.
    ZhTw,
    /// English.
    En,
}

impl Locale {
    /// Reads an account's language setting: `en…` is English, anything else Chinese.
    pub fn from_setting(setting: &str) -> Locale {
        if setting.trim().to_ascii_lowercase().starts_with("en") {
            Locale::En
        } else {
            Locale::ZhTw
        }
    }

    /// The BCP 47 tag: `zh-TW` or `en`.
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::ZhTw => "zh-TW",
            Locale::En => "en",
        }
    }

    /// The other language.
    pub fn other(self) -> Locale {
        match self {
            Locale::ZhTw => Locale::En,
            Locale::En => Locale::ZhTw,
        }
    }
}

/// Who a mail is written to.
#[derive(Debug, Clone, Copy)]
pub struct Addressee<'a> {
    /// The name to greet (the account's display name), if known.
    pub name: Option<&'a str>,
    /// The language that comes first.
    pub locale: Locale,
}

/// Names of document types in both languages (from the catalog); a code without a name
/// is shown as the code.
#[derive(Debug, Clone, Default)]
pub struct DocumentNames(BTreeMap<String, (String, String)>);

impl DocumentNames {
    /// The names in a catalog's document types.
    pub fn from_catalog(types: &[DocumentType]) -> DocumentNames {
        DocumentNames(
            types
                .iter()
                .map(|t| (t.code.clone(), (t.name_zh.clone(), t.name_en.clone())))
                .collect(),
        )
    }

    /// The name of `code` in `lang`, or the code itself.
    pub fn name<'a>(&'a self, code: &'a str, lang: Locale) -> &'a str {
        match (self.0.get(code), lang) {
            (Some((zh, _)), Locale::ZhTw) => zh,
            (Some((_, en)), Locale::En) => en,
            (None, _) => code,
        }
    }
}

/// A rendered mail: its subject and both bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject line, in both languages.
    pub subject: String,
    /// The `text/plain` body.
    pub text: String,
    /// The `text/html` body.
    pub html: String,
}

/// Why a mail could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// No template has this name.
    #[error("no mail template is named `{0}`")]
    Unknown(String),
    /// The outbox payload is not the JSON the templates read.
    #[error("the payload of `{template}` cannot be read: {source}")]
    Payload {
        /// The template.
        template: Template,
        /// What serde said.
        source: serde_json::Error,
    },
    /// A value the template needs is missing from the payload.
    #[error("`{template}` needs `{field}`, which the payload lacks")]
    Missing {
        /// The template.
        template: Template,
        /// The payload field.
        field: &'static str,
    },
}

/// Renders the template named `template` for `to` from an outbox row's payload (the JSON
/// written by the store's `template_vars`).
pub fn render(
    template: &str,
    to: Addressee<'_>,
    payload: &Value,
    names: &DocumentNames,
) -> Result<Rendered, TemplateError> {
    let template: Template = template.parse()?;
    let vars = Vars::deserialize(payload).map_err(|source| TemplateError::Payload { template, source })?;
    let first = template.letter(to.locale, &vars, names)?;
    let second = template.letter(to.locale.other(), &vars, names)?;
    Ok(layout::render(
        &vars,
        to,
        [(to.locale, first), (to.locale.other(), second)],
    ))
}

/// The values an outbox payload carries (see the store's `template_vars`, and the jobs'
/// payloads for the templates they send); unknown keys are ignored so that the store may
/// add more.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Vars {
    /// Absent from mail that is not about one case (see [`Template::needs_case_number`]).
    #[serde(default)]
    pub case_number: Option<String>,
    #[serde(default)]
    pub applicant_name: Option<String>,
    #[serde(default)]
    pub fee_twd: Option<i64>,
    #[serde(default)]
    pub supplement_due_on: Option<NaiveDate>,
    #[serde(default)]
    pub supplement_items: Option<Vec<SupplementItem>>,
    #[serde(default)]
    pub grounds: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub legal_basis: Option<String>,
    #[serde(default)]
    pub new_expires_on: Option<NaiveDate>,
    /// `unpaid_reminder`: the day the case was filed.
    #[serde(default)]
    pub filed_on: Option<NaiveDate>,
    /// `sign_in_code`: the one-time code.
    #[serde(default)]
    pub code: Option<String>,
    /// `sign_in_code`: how long the code is valid.
    #[serde(default)]
    pub valid_minutes: Option<u32>,
    /// `window_*`: the holder's UI number (統一證號).
    #[serde(default)]
    pub ui_number: Option<String>,
    /// `window_*`: the card holder's name (a case's is `applicant_name`).
    #[serde(default)]
    pub holder_name: Option<String>,
    /// `window_*`: the last day the card is valid.
    #[serde(default)]
    pub card_expires_on: Option<NaiveDate>,
    /// `window_open`, `window_closing`: the first day the online extension can be filed.
    #[serde(default)]
    pub window_opens_on: Option<NaiveDate>,
    /// `window_*`: the day the platform stops taking online extensions (a month before
    /// expiry); the last day to file is the day before.
    #[serde(default)]
    pub window_locks_on: Option<NaiveDate>,
    /// `sla_digest`: the day the digest is about.
    #[serde(default)]
    pub as_of: Option<NaiveDate>,
    /// `sla_digest`: the supervisors' agency, `labor` or `immigration`.
    #[serde(default)]
    pub agency: Option<String>,
    /// `sla_digest`: the agency's overdue cases.
    #[serde(default)]
    pub cases: Option<Vec<OverdueCase>>,
}

/// A requested document.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct SupplementItem {
    pub doc_type: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// A case in `sla_digest`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct OverdueCase {
    pub case_number: String,
    #[serde(default)]
    pub applicant_name: Option<String>,
    /// The state's name in the workflow definition (`labor_review`).
    pub state: String,
    /// The SLA due date.
    pub due_on: NaiveDate,
    pub working_days_overdue: u32,
    /// The assignee's name; `None` when the case is unassigned.
    #[serde(default)]
    pub assignee: Option<String>,
}

impl Vars {
    fn need<T: Clone>(value: &Option<T>, template: Template, field: &'static str) -> Result<T, TemplateError> {
        value.clone().ok_or(TemplateError::Missing { template, field })
    }

    /// A text value that must be present and not blank.
    fn need_text(value: &Option<String>, template: Template, field: &'static str) -> Result<String, TemplateError> {
        match value.as_deref().map(str::trim) {
            Some(s) if !s.is_empty() => Ok(s.to_string()),
            _ => Err(TemplateError::Missing { template, field }),
        }
    }

    /// The case number, when the payload has one (not blank).
    fn case_number(&self) -> Option<&str> {
        non_blank(self.case_number.as_deref())
    }

    /// The card holder's name, when the payload has one: a case's `applicant_name`, or
    /// a card's `holder_name`.
    fn holder(&self) -> Option<&str> {
        non_blank(self.applicant_name.as_deref()).or_else(|| non_blank(self.holder_name.as_deref()))
    }

    /// "115550000001（Jane Doe）" / "115550000001 (Jane Doe)": how officers see a case.
    fn case_label(&self, lang: Locale) -> String {
        label(self.case_number().unwrap_or_default(), self.holder(), lang)
    }
}

/// A value trimmed, or `None` when blank.
fn non_blank(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|s| !s.is_empty())
}

/// A case number followed by its holder's name in brackets, when known.
fn label(case_number: &str, holder: Option<&str>, lang: Locale) -> String {
    match (holder, lang) {
        (Some(name), Locale::ZhTw) => format!("{case_number}（{name}）"),
        (Some(name), Locale::En) => format!("{case_number} ({name})"),
        (None, _) => case_number.to_string(),
    }
}

/// One language's letter: what a template says, before layout.
#[derive(Debug, Clone)]
pub(crate) struct Letter {
    subject: String,
    blocks: Vec<Block>,
}

#[derive(Debug, Clone)]
enum Block {
    /// A paragraph.
    Para(String),
    /// Labelled values (the case number and holder come first).
    Facts(Vec<(String, String)>),
    /// A bulleted list.
    List(Vec<String>),
}

impl Letter {
    fn new(subject: impl Into<String>) -> Letter {
        Letter {
            subject: subject.into(),
            blocks: Vec::new(),
        }
    }

    fn para(mut self, text: impl Into<String>) -> Letter {
        self.blocks.push(Block::Para(text.into()));
        self
    }

    /// The case's number and holder (each when the payload has it), then `extra`.
    fn facts(mut self, lang: Locale, v: &Vars, extra: impl IntoIterator<Item = (&'static str, String)>) -> Letter {
        let (number, holder) = match lang {
            Locale::ZhTw => ("案號", "持卡人"),
            Locale::En => ("Case number", "Card holder"),
        };
        let mut facts = Vec::new();
        if let Some(case_number) = v.case_number() {
            facts.push((number.to_string(), case_number.to_string()));
        }
        if let Some(name) = v.holder() {
            facts.push((holder.to_string(), name.to_string()));
        }
        facts.extend(extra.into_iter().map(|(k, v)| (k.to_string(), v)));
        self.blocks.push(Block::Facts(facts));
        self
    }

    fn list(mut self, items: Vec<String>) -> Letter {
        self.blocks.push(Block::List(items));
        self
    }
}

/// Dates and amounts as each language writes them.
mod format {
    use super::Locale;
    use chrono::{Datelike, NaiveDate};

    /// "2027年2月28日" / "28 February 2027".
    pub fn date(d: NaiveDate, lang: Locale) -> String {
        match lang {
            Locale::ZhTw => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
            Locale::En => d.format("%-d %B %Y").to_string(),
        }
    }

    /// "新臺幣 3,500 元" / "NT$3,500".
    pub fn twd(amount: i64, lang: Locale) -> String {
        let digits = amount.unsigned_abs().to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        let sign = if amount < 0 { "-" } else { "" };
        match lang {
            Locale::ZhTw => format!("新臺幣 {sign}{grouped} 元"),
            Locale::En => format!("NT${sign}{grouped}"),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn amounts_are_grouped_by_thousands() {
            assert_eq!(twd(3500, Locale::En), "NT$3,500");
            assert_eq!(twd(100, Locale::En), "NT$100");
            assert_eq!(twd(1_234_567, Locale::ZhTw), "新臺幣 1,234,567 元");
        }

        #[test]
        fn dates_read_naturally() {
            let d = NaiveDate::from_ymd_opt(2027, 2, 8).unwrap_or_default();
            assert_eq!(date(d, Locale::ZhTw), "2027年2月8日");
            assert_eq!(date(d, Locale::En), "8 February 2027");
        }
    }
}
