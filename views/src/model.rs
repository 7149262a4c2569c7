//! The view-models: what a screen (or the JSON API, which shows the same things) shows of
//! a case. Plain data, filled by the web crate from the store; serialisable for the API.

use chrono::{DateTime, NaiveDate, Utc};
use goldcard_workflow::SupplementItem;
use serde::Serialize;

/// One row of a queue or search.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page {
    /// The rows.
    pub items: Vec<CaseItem>,
    /// Rows in all.
    pub total: u64,
}

/// Who holds a case.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Assignee {
    /// Login.
    pub login: String,
    /// Name.
    pub name: String,
}

/// The applicant as the case records them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldView {
    /// Field.
    pub field: String,
    /// Criterion (款).
    pub criterion: String,
    /// Sub-field.
    pub subfield: Option<String>,
}

/// An open (or missed) supplement request.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
