//! The one function that writes a decided transition: in one database transaction it
//! checks and bumps the case's version (or creates the case), writes the new state and the
//! decision's changes, appends the hash-chained audit row, and writes the notifications to
//! the outbox. Every state change in goldcard goes through [`apply`].

use crate::audit::{ChainLink, GENESIS, audit_time, digest};
use crate::entity::{accounts, audit_log, cards, case_documents, case_sequences, cases};
use crate::error::StoreError;
use chrono::{DateTime, Utc};
use goldcard_domain::{CaseNumber, roc_year, taipei_date};
use goldcard_workflow::{AgencyRef, Change, Decision, Recipient, SlaChange, Workflow};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect, TransactionTrait,
};
use serde_json::{Value, json};

/// A document attached to a new case.
#[derive(Debug, Clone)]
pub struct NewCaseDocument {
    /// `documents.id`.
    pub document_id: i64,
    /// Its document type.
    pub doc_type: String,
    /// Carried over from the previous approved application (reviewers only).
    pub carried_over: bool,
}

/// Everything a new case row holds, validated by the caller.
#[derive(Debug, Clone)]
pub struct NewCase {
    /// `extension`, …
    pub kind: String,
    /// The card.
    pub card_id: i64,
    /// The filing account.
    pub filer_account_id: i64,
    /// `self`, `employer` or `agency`.
    pub filer: String,
    /// Holder's name as shown in queues.
    pub applicant_name: String,
    /// Holder's email.
    pub applicant_email: String,
    /// Holder's UI number.
    pub ui_number: String,
    /// Passport number on file for this case.
    pub passport_number: Option<String>,
    /// ISO alpha-2.
    pub nationality: String,
    /// Field of expertise.
    pub field: String,
    /// Criterion (款).
    pub criterion: String,
    /// Sub-field.
    pub subfield: Option<String>,
    /// Hong Kong or Macau resident.
    pub hk_macau: bool,
    /// Expedited review asked for.
    pub expedite: bool,
    /// Years asked for.
    pub validity_years: i32,
    /// Fee computed at filing.
    pub fee_twd: i32,
    /// The whole validated filing, as JSON.
    pub form: Value,
    /// Documents attached.
    pub documents: Vec<NewCaseDocument>,
    /// The consent (`consents.id`) the case was filed under, if recorded.
    pub consent_id: Option<i64>,
}

/// What the transition applies to.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// An existing case, as it was read when the decision was made.
    Existing {
        /// `cases.id`.
        case_id: i64,
        /// Its number.
        case_number: &'a str,
        /// The version read before deciding.
        version: i64,
        /// The audit chain's length then.
        audit_seq: i64,
        /// The audit chain's last hash then.
        audit_head: &'a str,
    },
    /// A case to create.
    New(&'a NewCase),
}

impl<'a> Subject<'a> {
    /// The subject for a case row as read.
    pub fn of(row: &'a cases::Model) -> Subject<'a> {
        Subject::Existing {
            case_id: row.id,
            case_number: &row.case_number,
            version: row.version,
            audit_seq: row.audit_seq,
            audit_head: &row.audit_head,
        }
    }
}

/// The result of an applied transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// `cases.id`.
    pub case_id: i64,
    /// The case number.
    pub case_number: String,
    /// The new state.
    pub state: String,
    /// The new version.
    pub version: i64,
    /// The audit row's position in the case's chain.
    pub audit_seq: i64,
    /// The audit chain's new head.
    pub audit_head: String,
    /// Outbox rows written.
    pub notifications: usize,
}

/// The audit row of a transition, computed before anything is written.
pub(crate) struct AuditRow<'a> {
    pub(crate) seq: i64,
    prev_hash: String,
    pub(crate) hash: String,
    payload: String,
    payload_digest: String,
    decision: &'a Decision,
    at: DateTime<Utc>,
}

impl<'a> AuditRow<'a> {
    pub(crate) fn new(
        case_number: &str,
        seq: i64,
        prev_hash: &str,
        decision: &'a Decision,
        at: DateTime<Utc>,
    ) -> AuditRow<'a> {
        let payload = Value::Object(decision.payload.clone()).to_string();
        let payload_digest = digest(&payload);
        let hash = ChainLink {
            prev_hash,
            case_number,
            seq,
            event: &decision.event,
            from_state: decision.from.as_deref(),
            to_state: &decision.to,
            actor_id: decision.actor.account_id,
            actor_role: decision.actor.role.as_str(),
            at,
            payload_digest: &payload_digest,
        }
        .hash();
        AuditRow {
            seq,
            prev_hash: prev_hash.to_string(),
            hash,
            payload,
            payload_digest,
            decision,
            at,
        }
    }

    pub(crate) fn into_model(self, case_id: i64) -> audit_log::ActiveModel {
        audit_log::ActiveModel {
            id: NotSet,
            case_id: Set(case_id),
            seq: Set(self.seq),
            event: Set(self.decision.event.clone()),
            from_state: Set(self.decision.from.clone()),
            to_state: Set(self.decision.to.clone()),
            actor_id: Set(self.decision.actor.account_id),
            actor_role: Set(self.decision.actor.role.as_str().to_string()),
            at: Set(self.at),
            payload: Set(self.payload),
            payload_digest: Set(self.payload_digest),
            prev_hash: Set(self.prev_hash),
            hash: Set(self.hash),
        }
    }
}

/// Applies `decision` to `subject` atomically; see the module documentation.
pub async fn apply(
    db: &DatabaseConnection,
    workflow: &Workflow,
    subject: Subject<'_>,
    decision: &Decision,
    now: DateTime<Utc>,
) -> Result<Applied, StoreError> {
    let now = audit_time(now);
    let txn = db.begin().await?;
    let (case, audit) = match subject {
        Subject::Existing {
            case_id,
            case_number,
            version,
            audit_seq,
            audit_head,
        } => {
            let prev = if audit_seq == 0 { GENESIS } else { audit_head };
            let audit = AuditRow::new(case_number, audit_seq + 1, prev, decision, now);
            let case = update_case(&txn, workflow, case_id, version, audit_seq, &audit, now).await?;
            (case, audit)
        }
        Subject::New(new) => {
            let number = next_case_number(&txn, &workflow.case_type, now).await?;
            let audit = AuditRow::new(number.as_str(), 1, GENESIS, decision, now);
            let case = insert_case(&txn, workflow, number.as_str(), new, &audit, now).await?;
            (case, audit)
        }
    };
    let (seq, head) = (audit.seq, audit.hash.clone());
    audit_log::Entity::insert(audit.into_model(case.id))
        .exec_without_returning(&txn)
        .await?;

    for change in &decision.changes {
        match change {
            Change::ExtendCard { new_expires_on } => extend_card(&txn, &case, *new_expires_on, now).await?,
            Change::AttachDocuments { documents, purpose } => {
                case_documents::Entity::insert_many(documents.iter().map(|d| case_documents::ActiveModel {
                    id: NotSet,
                    case_id: Set(case.id),
                    document_id: Set(d.document_id),
                    doc_type: Set(d.doc_type.clone()),
                    purpose: Set(purpose.clone()),
                    carried_over: Set(false),
                    added_at: Set(now),
                }))
                .exec_without_returning(&txn)
                .await?;
            }
            _ => {}
        }
    }

    let notifications = write_outbox(&txn, workflow, &case, decision, now).await?;
    txn.commit().await?;
    metrics::counter!(
        "goldcard_transitions_total",
        "event" => decision.event.clone(),
        "to" => decision.to.clone(),
    )
    .increment(1);
    Ok(Applied {
        case_id: case.id,
        case_number: case.case_number,
        state: case.state,
        version: case.version,
        audit_seq: seq,
        audit_head: head,
        notifications,
    })
}

/// Version check, new state, changes: one UPDATE … WHERE version = ? RETURNING *.
async fn update_case<C: ConnectionTrait>(
    txn: &C,
    workflow: &Workflow,
    case_id: i64,
    version: i64,
    audit_seq: i64,
    audit: &AuditRow<'_>,
    now: DateTime<Utc>,
) -> Result<cases::Model, StoreError> {
    use cases::Column as C;
    let mut update = cases::Entity::update_many().col_expr(C::Version, Expr::col(C::Version).add(1));
    for (column, value) in change_columns(workflow, audit.decision, audit.seq, &audit.hash, now)? {
        update = update.col_expr(column, Expr::value(value));
    }
    let rows = update
        .filter(C::Id.eq(case_id))
        .filter(C::Version.eq(version))
        // the chain head the row's hash was computed from is still the case's head
        .filter(C::AuditSeq.eq(audit_seq))
        .exec_with_returning(txn)
        .await
        .map_err(classify)?;
    match rows.into_iter().next() {
        Some(case) => Ok(case),
        None => {
            let actual = cases::Entity::find_by_id(case_id)
                .select_only()
                .column(C::Version)
                .into_tuple::<i64>()
                .one(txn)
                .await?;
            match actual {
                Some(actual) => Err(StoreError::VersionConflict {
                    expected: version,
                    actual,
                }),
                None => Err(StoreError::NotFound(format!("case {case_id}"))),
            }
        }
    }
}

/// The columns a decision sets on its case row, besides the version's bump: the state, the
/// audit chain's head, the decision's changes and its effect on the review clock. It is
/// the one mapping from a decision to the row, used by [`apply`] (as an `UPDATE`) and by
/// the bulk import (on a row still in memory).
pub(crate) fn change_columns(
    workflow: &Workflow,
    decision: &Decision,
    audit_seq: i64,
    audit_head: &str,
    now: DateTime<Utc>,
) -> Result<Vec<(cases::Column, sea_orm::Value)>, StoreError> {
    use cases::Column as C;
    use sea_orm::Value;
    let mut cols: Vec<(C, Value)> = vec![
        (C::State, decision.to.clone().into()),
        (C::AuditSeq, audit_seq.into()),
        (C::AuditHead, audit_head.to_string().into()),
        (C::UpdatedAt, now.into()),
    ];
    let terminal = workflow
        .state_id(&decision.to)
        .is_some_and(|s| workflow.state(s).terminal);
    if terminal {
        cols.push((C::OpenCardId, Option::<i64>::None.into()));
    }
    let no_date = || Value::from(Option::<chrono::NaiveDate>::None);
    let no_text = || Value::from(Option::<String>::None);
    for change in &decision.changes {
        match change {
            Change::AssignTo(id) => cols.push((C::AssigneeId, Some(*id).into())),
            Change::ClearAssignee => cols.push((C::AssigneeId, Option::<i64>::None.into())),
            Change::RecordPayment {
                receipt_no,
                amount_twd,
                paid_at,
            } => {
                let amount = i32::try_from(*amount_twd)
                    .map_err(|_| StoreError::Invalid(format!("amount {amount_twd} is out of range")))?;
                cols.push((C::ReceiptNo, Some(receipt_no.clone()).into()));
                cols.push((C::AmountPaidTwd, Some(amount).into()));
                cols.push((C::PaidAt, Some(audit_time(*paid_at)).into()));
            }
            Change::OpenSupplement {
                return_state,
                items,
                abroad,
                due_on,
            } => {
                cols.push((C::ReturnState, Some(return_state.clone()).into()));
                cols.push((C::SupplementItems, Some(json!(items).to_string()).into()));
                cols.push((C::SupplementAbroad, (*abroad).into()));
                cols.push((C::SupplementDueOn, Some(*due_on).into()));
                cols.push((C::SupplementRequestedAt, Some(now).into()));
                cols.push((C::SupplementOverdue, false.into()));
            }
            Change::CloseSupplement => {
                cols.push((C::ReturnState, no_text()));
                cols.push((C::SupplementDueOn, no_date()));
            }
            Change::MarkSupplementOverdue => {
                cols.push((C::ReturnState, no_text()));
                cols.push((C::SupplementDueOn, no_date()));
                cols.push((C::SupplementOverdue, true.into()));
            }
            Change::RecordLaborApprover(id) => cols.push((C::LaborApproverId, Some(*id).into())),
            Change::RecordRejection {
                grounds,
                reason,
                legal_basis,
            } => {
                cols.push((C::DecisionGrounds, Some(grounds.as_str().to_string()).into()));
                cols.push((C::DecisionReason, Some(reason.clone()).into()));
                cols.push((C::LegalBasis, Some(legal_basis.clone()).into()));
            }
            Change::RecordWithdrawal { reason } => cols.push((C::DecisionReason, reason.clone().into())),
            Change::StartConsultation { authority } => {
                cols.push((C::ConsultingAuthority, Some(authority.clone()).into()));
            }
            Change::AnswerConsultation { .. } => cols.push((C::ConsultingAuthority, no_text())),
            Change::ExtendCard { new_expires_on } => cols.push((C::NewExpiresOn, Some(*new_expires_on).into())),
            Change::AttachDocuments { .. } => {} // rows of their own, written after the case
        }
    }
    match decision.sla {
        SlaChange::Keep => {}
        SlaChange::Start { due_on } | SlaChange::Resume { due_on } => {
            cols.push((C::SlaDueOn, Some(due_on).into()));
            cols.push((C::SlaPausedRemaining, Option::<i64>::None.into()));
        }
        SlaChange::Pause { remaining } => {
            cols.push((C::SlaDueOn, no_date()));
            cols.push((C::SlaPausedRemaining, Some(remaining).into()));
        }
        SlaChange::Stop => {
            cols.push((C::SlaDueOn, no_date()));
            cols.push((C::SlaPausedRemaining, Option::<i64>::None.into()));
        }
    }
    Ok(cols)
}

fn classify(e: DbErr) -> StoreError {
    if StoreError::is_unique_violation(&e, "receipt_no") {
        StoreError::DuplicateReceipt(String::new())
    } else if StoreError::is_unique_violation(&e, "open_card") {
        StoreError::ExtensionPending
    } else {
        StoreError::Db(e)
    }
}

/// Allocates the next case number of the year and type, inside the transaction.
async fn next_case_number<C: ConnectionTrait>(
    txn: &C,
    case_type: &str,
    now: DateTime<Utc>,
) -> Result<CaseNumber, StoreError> {
    let mut numbers = reserve_case_numbers(txn, case_type, now, 1).await?;
    numbers
        .pop()
        .ok_or_else(|| StoreError::Corrupt(format!("no case number allocated for {case_type}")))
}

/// Allocates the next `n` case numbers of the year (in Taipei, at `now`) and type, in
/// order, with one bump of the year's sequence.
pub(crate) async fn reserve_case_numbers<C: ConnectionTrait>(
    txn: &C,
    case_type: &str,
    now: DateTime<Utc>,
    n: u32,
) -> Result<Vec<CaseNumber>, StoreError> {
    let year = roc_year(taipei_date(now));
    let roc = i32::from(year);
    for _ in 0..3 {
        let bumped = case_sequences::Entity::update_many()
            .col_expr(
                case_sequences::Column::LastValue,
                Expr::col(case_sequences::Column::LastValue).add(i64::from(n)),
            )
            .filter(case_sequences::Column::RocYear.eq(roc))
            .filter(case_sequences::Column::CaseType.eq(case_type))
            .exec_with_returning(txn)
            .await?;
        if let Some(row) = bumped.into_iter().next() {
            let last = u32::try_from(row.last_value)
                .map_err(|_| StoreError::Corrupt(format!("case sequence {roc}/{case_type} overflowed")))?;
            return (last + 1 - n..=last)
                .map(|seq| CaseNumber::new(year, case_type, seq).map_err(|e| StoreError::Invalid(e.to_string())))
                .collect();
        }
        case_sequences::Entity::insert(case_sequences::ActiveModel {
            roc_year: Set(roc),
            case_type: Set(case_type.to_string()),
            last_value: Set(0),
        })
        .on_conflict(
            OnConflict::columns([case_sequences::Column::RocYear, case_sequences::Column::CaseType])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    }
    Err(StoreError::Corrupt(format!(
        "could not allocate a case number for {roc}/{case_type}"
    )))
}

/// The row of a case just created by `decision` (the definition's create event).
pub(crate) fn new_case_row(
    workflow: &Workflow,
    number: &str,
    new: &NewCase,
    decision: &Decision,
    audit_seq: i64,
    audit_head: &str,
    now: DateTime<Utc>,
) -> cases::ActiveModel {
    let (sla_due_on, sla_paused_remaining) = match decision.sla {
        SlaChange::Start { due_on } | SlaChange::Resume { due_on } => (Some(due_on), None),
        SlaChange::Pause { remaining } => (None, Some(remaining)),
        SlaChange::Keep | SlaChange::Stop => (None, None),
    };
    cases::ActiveModel {
        id: NotSet,
        case_number: Set(number.to_string()),
        workflow: Set(workflow.name.clone()),
        kind: Set(new.kind.clone()),
        state: Set(decision.to.clone()),
        version: Set(1),
        card_id: Set(new.card_id),
        open_card_id: Set(Some(new.card_id)),
        filer_account_id: Set(new.filer_account_id),
        filer: Set(new.filer.clone()),
        applicant_name: Set(new.applicant_name.clone()),
        applicant_email: Set(new.applicant_email.clone()),
        ui_number: Set(new.ui_number.clone()),
        passport_number: Set(new.passport_number.clone()),
        nationality: Set(new.nationality.clone()),
        field: Set(new.field.clone()),
        criterion: Set(new.criterion.clone()),
        subfield: Set(new.subfield.clone()),
        hk_macau: Set(new.hk_macau),
        expedite: Set(new.expedite),
        validity_years: Set(new.validity_years),
        fee_twd: Set(new.fee_twd),
        receipt_no: Set(None),
        amount_paid_twd: Set(None),
        paid_at: Set(None),
        assignee_id: Set(None),
        labor_approver_id: Set(None),
        return_state: Set(None),
        supplement_due_on: Set(None),
        supplement_abroad: Set(false),
        supplement_items: Set(None),
        supplement_requested_at: Set(None),
        supplement_overdue: Set(false),
        consulting_authority: Set(None),
        sla_due_on: Set(sla_due_on),
        sla_paused_remaining: Set(sla_paused_remaining),
        decision_grounds: Set(None),
        decision_reason: Set(None),
        legal_basis: Set(None),
        new_expires_on: Set(None),
        form: Set(new.form.to_string()),
        audit_seq: Set(audit_seq),
        audit_head: Set(audit_head.to_string()),
        filed_at: Set(now),
        updated_at: Set(now),
        consent_id: Set(new.consent_id),
    }
}

async fn insert_case<C: ConnectionTrait>(
    txn: &C,
    workflow: &Workflow,
    number: &str,
    new: &NewCase,
    audit: &AuditRow<'_>,
    now: DateTime<Utc>,
) -> Result<cases::Model, StoreError> {
    let row = new_case_row(workflow, number, new, audit.decision, audit.seq, &audit.hash, now);
    let case = cases::Entity::insert(row)
        .exec_with_returning(txn)
        .await
        .map_err(classify)?;
    if !new.documents.is_empty() {
        case_documents::Entity::insert_many(new.documents.iter().map(|d| case_documents::ActiveModel {
            id: NotSet,
            case_id: Set(case.id),
            document_id: Set(d.document_id),
            doc_type: Set(d.doc_type.clone()),
            purpose: Set(if d.carried_over { "carried_over" } else { "filing" }.to_string()),
            carried_over: Set(d.carried_over),
            added_at: Set(now),
        }))
        .exec_without_returning(txn)
        .await?;
    }
    Ok(case)
}

/// The card gets its new expiry; a ticked "update passport data" replaces the passport.
async fn extend_card<C: ConnectionTrait>(
    txn: &C,
    case: &cases::Model,
    new_expires_on: chrono::NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut update = cards::Entity::update_many()
        .col_expr(cards::Column::ExpiresOn, Expr::value(new_expires_on))
        .col_expr(cards::Column::UpdatedAt, Expr::value(now));
    let form: Value = serde_json::from_str(&case.form).unwrap_or(Value::Null);
    let passport = &form["passport"];
    if passport["update"].as_bool() == Some(true) {
        if let Some(number) = passport["number"].as_str() {
            update = update.col_expr(cards::Column::PassportNumber, Expr::value(number.to_string()));
        }
        if let Some(expiry) = passport["expiry_date"]
            .as_str()
            .and_then(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        {
            update = update.col_expr(cards::Column::PassportExpiresOn, Expr::value(expiry));
        }
    }
    let done = update.filter(cards::Column::Id.eq(case.card_id)).exec(txn).await?;
    if done.rows_affected != 1 {
        return Err(StoreError::NotFound(format!("card of case {}", case.case_number)));
    }
    Ok(())
}

/// Writes one outbox row per notification and recipient account. The address and language
/// are the account's at sending time (the dispatcher reads them), so no query is needed
/// here but for supervisors. The dedupe key (case, audit position, template, account)
/// makes a retried write a no-op.
async fn write_outbox<C: ConnectionTrait>(
    txn: &C,
    workflow: &Workflow,
    case: &cases::Model,
    decision: &Decision,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    if decision.notifications.is_empty() {
        return Ok(0);
    }
    let vars = template_vars(case, decision);
    let mut rows = Vec::new();
    for n in &decision.notifications {
        let recipients: Vec<i64> = match n.recipient {
            Recipient::Applicant => vec![case.filer_account_id],
            Recipient::Assignee => case.assignee_id.into_iter().collect(),
            Recipient::Supervisors => supervisors(txn, workflow, case).await?,
        };
        for account_id in recipients {
            let dedupe_key = format!(
                "case:{}:{}:{}:account:{account_id}",
                case.id, case.audit_seq, n.template
            );
            rows.push(crate::outbox::row(
                crate::outbox::Mail {
                    dedupe_key,
                    case_id: Some(case.id),
                    template: n.template.clone(),
                    to: crate::outbox::MailTo::Account(account_id),
                    payload: vars.clone(),
                },
                now,
            ));
        }
    }
    let count = rows.len();
    if count > 0 {
        crate::outbox::insert_ignoring_duplicates(txn, rows).await?;
    }
    Ok(count)
}

/// The active supervisors of the agency owning the case's state.
async fn supervisors<C: ConnectionTrait>(
    txn: &C,
    workflow: &Workflow,
    case: &cases::Model,
) -> Result<Vec<i64>, StoreError> {
    let state_agency = workflow
        .state_id(&case.state)
        .and_then(|s| match &workflow.state(s).agency {
            Some(AgencyRef::Named(a)) => Some(a.clone()),
            _ => None,
        });
    let roles: Vec<String> = workflow
        .roles
        .iter()
        .filter(|r| r.supervisor && (state_agency.is_none() || r.agency == state_agency))
        .map(|r| r.role.as_str().to_string())
        .collect();
    Ok(accounts::Entity::find()
        .select_only()
        .column(accounts::Column::Id)
        .filter(accounts::Column::Role.is_in(roles))
        .filter(accounts::Column::Active.eq(true))
        .into_tuple()
        .all(txn)
        .await?)
}

/// What the mail templates may show.
fn template_vars(case: &cases::Model, decision: &Decision) -> Value {
    json!({
        "case_number": case.case_number,
        "event": decision.event,
        "state": case.state,
        "applicant_name": case.applicant_name,
        "fee_twd": case.fee_twd,
        "supplement_due_on": case.supplement_due_on,
        "supplement_items": case.supplement_items.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok()),
        "grounds": case.decision_grounds,
        "reason": case.decision_reason,
        "legal_basis": case.legal_basis,
        "new_expires_on": case.new_expires_on,
    })
}
