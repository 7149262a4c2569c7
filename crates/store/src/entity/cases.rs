use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cases")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub case_number: String,
    pub workflow: String,
    pub kind: String,
    pub state: String,
    pub version: i64,
    pub card_id: i64,
    pub open_card_id: Option<i64>,
    pub filer_account_id: i64,
    pub filer: String,
    pub applicant_name: String,
    pub applicant_email: String,
    pub ui_number: String,
    pub passport_number: Option<String>,
    pub nationality: String,
    pub field: String,
    pub criterion: String,
    pub subfield: Option<String>,
    pub hk_macau: bool,
    pub expedite: bool,
    pub validity_years: i32,
    pub fee_twd: i32,
    pub receipt_no: Option<String>,
    pub amount_paid_twd: Option<i32>,
    pub paid_at: Option<DateTimeUtc>,
    pub assignee_id: Option<i64>,
    pub labor_approver_id: Option<i64>,
    pub return_state: Option<String>,
    pub supplement_due_on: Option<Date>,
    pub supplement_abroad: bool,
    pub supplement_items: Option<String>,
    pub supplement_requested_at: Option<DateTimeUtc>,
    pub supplement_overdue: bool,
    pub consulting_authority: Option<String>,
    pub sla_due_on: Option<Date>,
    pub sla_paused_remaining: Option<i64>,
    pub decision_grounds: Option<String>,
    pub decision_reason: Option<String>,
    pub legal_basis: Option<String>,
    pub new_expires_on: Option<Date>,
    pub form: String,
    pub audit_seq: i64,
    pub audit_head: String,
    pub filed_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub consent_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
