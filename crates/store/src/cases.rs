//! Reading cases: the facts the workflow engine decides on.

use crate::entity::{cards, case_documents, cases};
use crate::error::StoreError;
use goldcard_domain::{Catalog, FieldCode, ValidityYears};
use goldcard_workflow::{CaseFacts, SupplementFacts, SupplementItem};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter, QueryOrder, QuerySelect,
};

/// A case row with the facts derived from it.
#[derive(Debug, Clone)]
pub struct LoadedCase {
    /// The row.
    pub row: cases::Model,
    /// What the engine sees.
    pub facts: CaseFacts,
}

/// Loads a case by number with everything the engine needs, or `None`.
pub async fn load<C: ConnectionTrait>(
    db: &C,
    case_number: &str,
    catalog: &Catalog,
) -> Result<Option<LoadedCase>, StoreError> {
    // the case with its card's expiry, in one query
    let Some((row, card_expires_on)) = cases::Entity::find()
        .filter(cases::Column::CaseNumber.eq(case_number))
        .join(
            JoinType::InnerJoin,
            cases::Entity::belongs_to(cards::Entity)
                .from(cases::Column::CardId)
                .to(cards::Column::Id)
                .into(),
        )
        .column_as(cards::Column::ExpiresOn, "card_expires_on")
        .into_model::<WithCardExpiry>()
        .one(db)
        .await?
        .map(|w| (w.case, w.card_expires_on))
    else {
        return Ok(None);
    };
    with_card_expiry(db, row, card_expires_on, catalog).await.map(Some)
}

/// A case row read with its card's expiry.
#[derive(Debug, FromQueryResult)]
struct WithCardExpiry {
    #[sea_orm(nested)]
    case: cases::Model,
    card_expires_on: chrono::NaiveDate,
}

/// Builds the facts for a case row already read.
pub async fn load_row<C: ConnectionTrait>(
    db: &C,
    row: cases::Model,
    catalog: &Catalog,
) -> Result<LoadedCase, StoreError> {
    let card_expires_on = cards::Entity::find_by_id(row.card_id)
        .select_only()
        .column(cards::Column::ExpiresOn)
        .into_tuple::<chrono::NaiveDate>()
        .one(db)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("case {} has no card", row.case_number)))?;
    with_card_expiry(db, row, card_expires_on, catalog).await
}

/// Builds the facts for a case row read with its card's expiry.
async fn with_card_expiry<C: ConnectionTrait>(
    db: &C,
    row: cases::Model,
    card_expires_on: chrono::NaiveDate,
    catalog: &Catalog,
) -> Result<LoadedCase, StoreError> {
    let uploaded = match (row.supplement_due_on, row.supplement_requested_at) {
        (Some(_), Some(asked_at)) if row.supplement_items.is_some() => {
            case_documents::Entity::find()
                .select_only()
                .column(case_documents::Column::DocType)
                .filter(case_documents::Column::CaseId.eq(row.id))
                .filter(case_documents::Column::Purpose.eq("supplement"))
                .filter(case_documents::Column::AddedAt.gte(asked_at))
                .into_tuple()
                .all(db)
                .await?
        }
        _ => Vec::new(),
    };
    let facts = facts_of(&row, card_expires_on, uploaded, catalog)?;
    Ok(LoadedCase { row, facts })
}

/// What the engine sees of a case row, given its card's expiry and the document types
/// uploaded since the open supplement request (empty when none is open).
pub fn facts_of(
    row: &cases::Model,
    card_expires_on: chrono::NaiveDate,
    uploaded: Vec<String>,
    catalog: &Catalog,
) -> Result<CaseFacts, StoreError> {
    let supplement = match (
        row.supplement_due_on,
        &row.supplement_items,
        row.supplement_requested_at,
    ) {
        (Some(due_on), Some(items), Some(_)) => {
            let items: Vec<SupplementItem> = serde_json::from_str(items)
                .map_err(|e| StoreError::Corrupt(format!("case {}: supplement items: {e}", row.case_number)))?;
            Some(SupplementFacts {
                due_on,
                items: items.into_iter().map(|i| i.doc_type).collect(),
                uploaded,
            })
        }
        _ => None,
    };
    let validity_years = u8::try_from(row.validity_years)
        .ok()
        .and_then(|y| ValidityYears::new(y).ok())
        .ok_or_else(|| StoreError::Corrupt(format!("case {}: validity {}", row.case_number, row.validity_years)))?;
    let field_authority = FieldCode::parse(&row.field)
        .ok()
        .and_then(|f| catalog.field(f))
        .map(|f| f.authority_zh.clone());
    Ok(CaseFacts {
        state: row.state.clone(),
        version: row.version,
        filer_account: row.filer_account_id,
        assignee: row.assignee_id,
        labor_approver: row.labor_approver_id,
        return_state: row.return_state.clone(),
        hk_macau: row.hk_macau,
        fee_twd: u32::try_from(row.fee_twd).unwrap_or(0),
        card_expires_on,
        validity_years,
        supplement,
        sla_due_on: row.sla_due_on,
        sla_paused_remaining: row.sla_paused_remaining,
        field_authority,
    })
}

/// The latest `limit` cases an account filed, newest first (the applicant portal's lists;
/// an index on `filer_account_id` serves it).
pub async fn filed_by<C: ConnectionTrait>(
    db: &C,
    account_id: i64,
    limit: u64,
) -> Result<Vec<cases::Model>, StoreError> {
    Ok(cases::Entity::find()
        .filter(cases::Column::FilerAccountId.eq(account_id))
        .order_by_desc(cases::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}
