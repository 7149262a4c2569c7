//! Issued cards: writing the import CSV (parsed in [`goldcard_domain::card_csv`])
//! all-or-nothing.

use crate::entity::cards;
use crate::error::StoreError;
use chrono::{DateTime, NaiveDate, Utc};
use goldcard_domain::UiNumber;
pub use goldcard_domain::card_csv::{CardRow, OPTIONAL_COLUMNS, REQUIRED_COLUMNS, RowError, parse_csv};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    EntityTrait, TransactionSession, TransactionTrait,
};

/// Writes cards in one transaction: new UI numbers are inserted, known ones updated.
pub async fn import<C: TransactionTrait>(db: &C, rows: &[CardRow], now: DateTime<Utc>) -> Result<usize, StoreError> {
    let txn = db.begin().await?;
    for chunk in rows.chunks(500) {
        cards::Entity::insert_many(chunk.iter().map(|r| active(r, now)))
            .on_conflict(
                OnConflict::column(cards::Column::UiNumber)
                    .update_columns([
                        cards::Column::BirthDate,
                        cards::Column::FamilyName,
                        cards::Column::GivenName,
                        cards::Column::ChineseName,
                        cards::Column::Gender,
                        cards::Column::Nationality,
                        cards::Column::Email,
                        cards::Column::Field,
                        cards::Column::Criterion,
                        cards::Column::Subfield,
                        cards::Column::PassportNumber,
                        cards::Column::PassportExpiresOn,
                        cards::Column::HkMacau,
                        cards::Column::ExpiresOn,
                        cards::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(rows.len())
}

/// The row to insert for a card.
pub fn active(r: &CardRow, now: DateTime<Utc>) -> cards::ActiveModel {
    cards::ActiveModel {
        id: NotSet,
        ui_number: Set(r.ui_number.as_str().to_string()),
        birth_date: Set(r.birth_date),
        family_name: Set(r.family_name.clone()),
        given_name: Set(r.given_name.clone()),
        chinese_name: Set(r.chinese_name.clone()),
        gender: Set(r.gender.map(|g| g.as_str().to_string())),
        nationality: Set(r.nationality.as_str().to_string()),
        email: Set(r.email.as_str().to_string()),
        field: Set(r.field.as_str().to_string()),
        criterion: Set(r.criterion.clone()),
        subfield: Set(r.subfield.clone()),
        catalog_version: Set(1),
        passport_number: Set(r.passport_number.as_ref().map(|p| p.as_str().to_string())),
        passport_expires_on: Set(r.passport_expires_on),
        hk_macau: Set(r.hk_macau),
        expires_on: Set(r.expires_on),
        holder_account_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// A card found by its holder's UI number and birth date, with the number of its pending
/// case (the one still open on it), if any.
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct HolderCard {
    /// The card.
    #[sea_orm(nested)]
    pub card: cards::Model,
    /// The number of the case open on the card, if any.
    pub pending_case: Option<String>,
}

/// [`for_holder`] and the card's pending case, in one query.
pub async fn for_holder_with_pending<C: sea_orm::ConnectionTrait>(
    db: &C,
    ui_number: &UiNumber,
    birth_date: NaiveDate,
) -> Result<Option<HolderCard>, StoreError> {
    use crate::entity::cases;
    use sea_orm::{ColumnTrait, EntityTrait, JoinType, QueryFilter, QuerySelect};
    Ok(cards::Entity::find()
        .filter(cards::Column::UiNumber.eq(ui_number.as_str()))
        .join(
            JoinType::LeftJoin,
            cards::Entity::belongs_to(cases::Entity)
                .from(cards::Column::Id)
                .to(cases::Column::OpenCardId)
                .into(),
        )
        .column_as(cases::Column::CaseNumber, "pending_case")
        .into_model::<HolderCard>()
        .one(db)
        .await?
        .filter(|h| h.card.birth_date == birth_date))
}

/// The card with this UI number, if its holder's birth date is `birth_date` (the holder's
/// identification for an extension): `None` for a wrong birth date as for no card.
pub async fn for_holder<C: sea_orm::ConnectionTrait>(
    db: &C,
    ui_number: &UiNumber,
    birth_date: NaiveDate,
) -> Result<Option<cards::Model>, StoreError> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    Ok(cards::Entity::find()
        .filter(cards::Column::UiNumber.eq(ui_number.as_str()))
        .one(db)
        .await?
        .filter(|c| c.birth_date == birth_date))
}
