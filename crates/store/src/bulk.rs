//! Bulk import of whole case histories: synthetic load data (`goldcard seed --cases`) and
//! histories carried over from an earlier system.
//!
//! Every event of an imported history is decided by the workflow engine, one after the
//! other, on the case's facts as the previous decision left them, and the decision is
//! turned into row values by the same mapping [`crate::apply`] uses. Only the writing
//! differs: the final case row, its hash-chained audit rows and its document rows are
//! written for many cases at once, in one transaction per call. An imported history is
//! the past, so it writes no mail to the outbox.
//!
//! What an import cannot do, it refuses with [`StoreError::Invalid`]: attaching
//! documents after filing (supplement and consultation uploads) and issuing a case whose
//! filing asks for the passport on the card to be replaced. Those histories go through
//! [`crate::events::fire`] one event at a time.

use crate::audit::{GENESIS, audit_time};
use crate::cases::facts_of;
use crate::entity::{audit_log, cards, case_documents, cases, documents};
use crate::error::StoreError;
use crate::events::{FireError, Rules};
use crate::transition::{AuditRow, NewCase, change_columns, new_case_row, reserve_case_numbers};
use chrono::{DateTime, NaiveDate, Utc};
use goldcard_domain::CaseNumber;
use goldcard_workflow::{Actor, Change, EventRequest};
use sea_orm::sea_query::{CaseStatement, Expr};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, TransactionTrait, TryIntoModel,
};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Rows per `INSERT`: under SQLite's 32,766 bound parameters for the widest row (cases).
const ROWS_PER_INSERT: usize = 500;

/// One event of an imported history.
#[derive(Debug, Clone)]
pub struct ImportStep {
    /// Who fired it.
    pub actor: Actor,
    /// The event's name.
    pub event: String,
    /// Its payload.
    pub payload: Map<String, Value>,
    /// When.
    pub at: DateTime<Utc>,
}

/// A document uploaded with the filing: its metadata, the bytes being in the blob store
/// under `sha256` already.
#[derive(Debug, Clone)]
pub struct ImportDocument {
    /// Public id (`doc_…`), unique.
    pub public_id: String,
    /// Content hash of bytes already in the blob store.
    pub sha256: String,
    /// Size in bytes.
    pub size: i64,
    /// `application/pdf`, `image/jpeg`, `image/png`.
    pub content_type: String,
    /// The name shown.
    pub original_name: String,
    /// Document type code from the catalog.
    pub doc_type: String,
}

/// A case to import: its filing and the events that followed.
#[derive(Debug, Clone)]
pub struct ImportCase {
    /// The filing (its `documents` must be empty: see `documents`).
    pub new: NewCase,
    /// Who filed.
    pub filed_by: Actor,
    /// When.
    pub filed_at: DateTime<Utc>,
    /// The card's expiry at filing.
    pub card_expires_on: NaiveDate,
    /// Documents uploaded with the filing.
    pub documents: Vec<ImportDocument>,
    /// The events after filing, in order.
    pub steps: Vec<ImportStep>,
}

/// A history decided in memory, ready to write.
#[derive(Debug, Clone)]
pub struct DecidedCase {
    row: cases::ActiveModel,
    case_number: String,
    audits: Vec<audit_log::ActiveModel>,
    documents: Vec<ImportDocument>,
    filed_at: DateTime<Utc>,
    card_id: i64,
    new_card_expiry: Option<NaiveDate>,
}

impl DecidedCase {
    /// The state the history ends in.
    pub fn state(&self) -> Option<&str> {
        match &self.row.state {
            sea_orm::ActiveValue::Set(s) | sea_orm::ActiveValue::Unchanged(s) => Some(s),
            NotSet => None,
        }
    }
}

/// Reserves `n` case numbers of the year of `at`, in order (one bump of the sequence).
pub async fn reserve_numbers(
    db: &DatabaseConnection,
    rules: Rules<'_>,
    at: DateTime<Utc>,
    n: u32,
) -> Result<Vec<CaseNumber>, StoreError> {
    reserve_case_numbers(db, &rules.workflow.case_type, at, n).await
}

/// Decides a history: the create event and then each step, every one by the engine on the
/// facts the previous one left. Pure: nothing is read or written.
pub fn decide(rules: Rules<'_>, number: &CaseNumber, case: &ImportCase) -> Result<DecidedCase, FireError> {
    if !case.new.documents.is_empty() {
        return Err(FireError::Store(StoreError::Invalid(
            "imported filings list their documents in ImportCase::documents".into(),
        )));
    }
    let workflow = rules.workflow;
    let number_text = number.as_str();
    let empty = Map::new();
    let filed_at = audit_time(case.filed_at);
    let created = workflow.decide_create(&case.filed_by, case.new.hk_macau, &empty, &rules.env(filed_at))?;
    let first = AuditRow::new(number_text, 1, GENESIS, &created, filed_at);
    let mut row = new_case_row(workflow, number_text, &case.new, &created, 1, &first.hash, filed_at);
    row.id = Set(0); // in memory only, so that the row reads back as a model
    let (mut seq, mut head) = (1, first.hash.clone());
    let mut audits = vec![first.into_model(0)];
    let mut card_expires_on = case.card_expires_on;
    let mut new_card_expiry = None;
    for step in &case.steps {
        let at = audit_time(step.at);
        let model = row
            .clone()
            .try_into_model()
            .map_err(|e| StoreError::Corrupt(format!("case {number_text} in memory: {e}")))?;
        let facts = facts_of(&model, card_expires_on, Vec::new(), &rules.catalogs.catalog)?;
        let request = EventRequest {
            event: &step.event,
            expected_version: None,
            payload: &step.payload,
            reassign_target: None,
            attachments: &[],
        };
        let decision = workflow.decide(&facts, &step.actor, &request, &rules.env(at))?;
        for change in &decision.changes {
            match change {
                Change::AttachDocuments { .. } => {
                    return Err(FireError::Store(StoreError::Invalid(format!(
                        "case {number_text}: `{}` attaches documents, which an import cannot do",
                        step.event
                    ))));
                }
                Change::ExtendCard { new_expires_on } => {
                    if case.new.form["passport"]["update"].as_bool() == Some(true) {
                        return Err(FireError::Store(StoreError::Invalid(format!(
                            "case {number_text}: issuing replaces the card's passport, which an import cannot do"
                        ))));
                    }
                    card_expires_on = *new_expires_on;
                    new_card_expiry = Some(*new_expires_on);
                }
                _ => {}
            }
        }
        let audit = AuditRow::new(number_text, seq + 1, &head, &decision, at);
        for (column, value) in change_columns(workflow, &decision, audit.seq, &audit.hash, at)? {
            row.try_set(column, value)
                .map_err(|e| StoreError::Corrupt(format!("case {number_text}: {e}")))?;
        }
        row.version = Set(model.version + 1);
        (seq, head) = (audit.seq, audit.hash.clone());
        audits.push(audit.into_model(0));
    }
    row.id = NotSet;
    Ok(DecidedCase {
        row,
        case_number: number_text.to_string(),
        audits,
        documents: case.documents.clone(),
        filed_at,
        card_id: case.new.card_id,
        new_card_expiry,
    })
}

/// Writes decided histories in one transaction: document metadata, case rows, audit rows,
/// the filing's document links and the issued cards' new expiry dates.
pub async fn write(db: &DatabaseConnection, decided: Vec<DecidedCase>, now: DateTime<Utc>) -> Result<(), StoreError> {
    let txn = db.begin().await?;
    // documents first: the links need their ids
    let mut doc_ids: HashMap<String, i64> = HashMap::new();
    let all_docs: Vec<(&ImportDocument, i64, DateTime<Utc>)> = decided
        .iter()
        .flat_map(|d| {
            let filer = match &d.row.filer_account_id {
                Set(id) => *id,
                _ => 0,
            };
            d.documents.iter().map(move |doc| (doc, filer, d.filed_at))
        })
        .collect();
    for chunk in all_docs.chunks(ROWS_PER_INSERT) {
        documents::Entity::insert_many(chunk.iter().map(|(doc, filer, at)| documents::ActiveModel {
            id: NotSet,
            public_id: Set(doc.public_id.clone()),
            sha256: Set(doc.sha256.clone()),
            size: Set(doc.size),
            content_type: Set(doc.content_type.clone()),
            original_name: Set(crate::documents::display_name(&doc.original_name)),
            doc_type: Set(doc.doc_type.clone()),
            uploaded_by: Set(*filer),
            created_at: Set(*at),
        }))
        .exec_without_returning(&txn)
        .await?;
        let ids: Vec<(String, i64)> = documents::Entity::find()
            .select_only()
            .column(documents::Column::PublicId)
            .column(documents::Column::Id)
            .filter(documents::Column::PublicId.is_in(chunk.iter().map(|(d, _, _)| d.public_id.clone())))
            .into_tuple()
            .all(&txn)
            .await?;
        doc_ids.extend(ids);
    }

    let mut card_updates: Vec<(i64, NaiveDate)> = Vec::new();
    for chunk in decided.chunks(ROWS_PER_INSERT) {
        cases::Entity::insert_many(chunk.iter().map(|d| d.row.clone()))
            .exec_without_returning(&txn)
            .await
            .map_err(|e| {
                if StoreError::is_unique_violation(&e, "open_card") {
                    StoreError::ExtensionPending
                } else {
                    StoreError::Db(e)
                }
            })?;
        let ids: HashMap<String, i64> = cases::Entity::find()
            .select_only()
            .column(cases::Column::CaseNumber)
            .column(cases::Column::Id)
            .filter(cases::Column::CaseNumber.is_in(chunk.iter().map(|d| d.case_number.clone())))
            .into_tuple::<(String, i64)>()
            .all(&txn)
            .await?
            .into_iter()
            .collect();
        let case_id = |d: &DecidedCase| {
            ids.get(&d.case_number)
                .copied()
                .ok_or_else(|| StoreError::Corrupt(format!("case {} was not written", d.case_number)))
        };
        let mut audits = Vec::new();
        let mut links = Vec::new();
        for d in chunk {
            let id = case_id(d)?;
            audits.extend(d.audits.iter().cloned().map(|mut a| {
                a.case_id = Set(id);
                a
            }));
            for doc in &d.documents {
                let document_id = *doc_ids
                    .get(&doc.public_id)
                    .ok_or_else(|| StoreError::Corrupt(format!("document {} was not written", doc.public_id)))?;
                links.push(case_documents::ActiveModel {
                    id: NotSet,
                    case_id: Set(id),
                    document_id: Set(document_id),
                    doc_type: Set(doc.doc_type.clone()),
                    purpose: Set("filing".into()),
                    carried_over: Set(false),
                    added_at: Set(d.filed_at),
                });
            }
            if let Some(expiry) = d.new_card_expiry {
                card_updates.push((d.card_id, expiry));
            }
        }
        for part in audits.chunks(ROWS_PER_INSERT * 2) {
            audit_log::Entity::insert_many(part.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        for part in links.chunks(ROWS_PER_INSERT * 2) {
            case_documents::Entity::insert_many(part.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
    }

    // issued cases extend their card: one UPDATE … CASE id WHEN … per chunk
    for part in card_updates.chunks(ROWS_PER_INSERT) {
        let mut expiry = CaseStatement::new();
        for (card_id, on) in part {
            expiry = expiry.case(cards::Column::Id.eq(*card_id), Expr::val(*on));
        }
        let expiry = expiry.finally(Expr::col(cards::Column::ExpiresOn));
        cards::Entity::update_many()
            .col_expr(cards::Column::ExpiresOn, expiry.into())
            .col_expr(cards::Column::UpdatedAt, Expr::value(now))
            .filter(cards::Column::Id.is_in(part.iter().map(|(id, _)| *id)))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}
