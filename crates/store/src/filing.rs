//! Filing an extension: the rules that need the database (the card, its filing window, a
//! pending case, the documents and what carries over), then the create event through the
//! workflow engine and `apply()`. The API and the applicant portal both call [`file_extension`].

use crate::entity::{cards, case_documents, cases, documents};
use crate::error::StoreError;
use crate::events::{self, FireError, Rules};
use crate::transition::{Applied, NewCase, NewCaseDocument};
use chrono::{DateTime, NaiveDate, Utc};
use goldcard_domain::filing::ExtensionFiling;
use goldcard_domain::{FieldError, FilingWindow, WindowStatus, taipei_date};
use goldcard_workflow::Actor;
use sea_orm::sea_query::{Order, Query};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use std::collections::BTreeSet;

/// Why a filing was refused (nothing was written).
#[derive(Debug, thiserror::Error)]
pub enum FilingError {
    /// No card with that UI number and birth date.
    #[error("no card with that UI number and birth date")]
    CardNotFound,
    /// The window opens later.
    #[error("the filing window opens on {opens_on}")]
    WindowNotOpen {
        /// First day of the window.
        opens_on: NaiveDate,
    },
    /// The platform locked itself one month before expiry.
    #[error("online extension closed on {locks_on}, one month before the card expires")]
    WindowLocked {
        /// The day it locked.
        locks_on: NaiveDate,
    },
    /// The card has expired.
    #[error("the card expired on {expired_on}; only a new application is possible")]
    CardExpired {
        /// Its last valid day.
        expired_on: NaiveDate,
    },
    /// One pending extension per card.
    #[error("the card already has a pending extension")]
    ExtensionPending,
    /// Document problems.
    #[error("the documents are not complete")]
    Documents(Vec<FieldError>),
    /// A choice the card does not allow (expedited review of a Hong Kong/Macau card).
    #[error("the filing does not fit the card")]
    Invalid(Vec<FieldError>),
    /// The engine or the store refused.
    #[error(transparent)]
    Fire(#[from] FireError),
}

impl From<StoreError> for FilingError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::ExtensionPending => FilingError::ExtensionPending,
            other => FilingError::Fire(FireError::from(other)),
        }
    }
}

/// What the form should know before submitting: the card's window and whether documents
/// would carry over for a field/criterion choice.
pub async fn card_for(db: &DatabaseConnection, filing: &ExtensionFiling) -> Result<cards::Model, FilingError> {
    cards::Entity::find()
        .filter(cards::Column::UiNumber.eq(filing.ui_number.as_str()))
        .one(db)
        .await
        .map_err(StoreError::from)?
        .filter(|c| c.birth_date == filing.birth_date)
        .ok_or(FilingError::CardNotFound)
}

/// The documents that carry over from the card's previous approved application: none when
/// the applicant changes field or criterion, or the field's criteria changed since.
pub async fn carried_over(
    db: &DatabaseConnection,
    rules: Rules<'_>,
    card: &cards::Model,
    filing: &ExtensionFiling,
) -> Result<Vec<NewCaseDocument>, StoreError> {
    carried_over_for(db, rules, card, filing.field.field, &filing.field.criterion).await
}

/// [`carried_over`] for a field and criterion not yet filed: what the filing form shows as
/// "already on file" (present, not viewable) for the choice on screen.
pub async fn carried_over_for(
    db: &DatabaseConnection,
    rules: Rules<'_>,
    card: &cards::Model,
    field: goldcard_domain::FieldCode,
    criterion: &str,
) -> Result<Vec<NewCaseDocument>, StoreError> {
    let same_field = card.field == field.as_str();
    let same_criterion = card.criterion.as_deref().is_none_or(|c| c == criterion);
    let same_version = rules
        .catalogs
        .catalog
        .field(field)
        .is_some_and(|f| i64::from(f.catalog_version) == i64::from(card.catalog_version));
    if !(same_field && same_criterion && same_version) {
        return Ok(Vec::new());
    }
    // the documents of the card's latest issued case, in one query
    let previous = Query::select()
        .column(cases::Column::Id)
        .from(cases::Entity)
        .and_where(cases::Column::CardId.eq(card.id))
        .and_where(cases::Column::State.eq("issued"))
        .order_by(cases::Column::Id, Order::Desc)
        .limit(1)
        .to_owned();
    Ok(case_documents::Entity::find()
        .filter(case_documents::Column::CaseId.in_subquery(previous))
        .all(db)
        .await?
        .into_iter()
        .map(|d| NewCaseDocument {
            document_id: d.document_id,
            doc_type: d.doc_type,
            carried_over: true,
        })
        .collect())
}

/// A filed extension: the transition applied, and the fee the case owes.
#[derive(Debug, Clone)]
pub struct Filed {
    /// The create event as applied.
    pub applied: Applied,
    /// The fee computed from the card (NT$).
    pub fee_twd: i32,
}

/// Files a validated extension for `actor`, under the consent row `consent_id` (linked
/// from the case). The card decides Hong Kong/Macau status (fee, expedite, the mainland
/// statement), whatever nationality the form gives.
pub async fn file_extension(
    db: &DatabaseConnection,
    rules: Rules<'_>,
    actor: Actor,
    filing: &ExtensionFiling,
    consent_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Filed, FilingError> {
    let card = card_for(db, filing).await?;
    let filing = &filing.clone().for_card(card.hk_macau).map_err(FilingError::Invalid)?;
    let window = FilingWindow::for_expiry(card.expires_on);
    match window.status_on(taipei_date(now)) {
        WindowStatus::Open => {}
        WindowStatus::NotYetOpen => {
            return Err(FilingError::WindowNotOpen {
                opens_on: window.opens_on,
            });
        }
        WindowStatus::Locked => {
            return Err(FilingError::WindowLocked {
                locks_on: window.locks_on,
            });
        }
        WindowStatus::Expired => {
            return Err(FilingError::CardExpired {
                expired_on: card.expires_on,
            });
        }
    }
    let pending = cases::Entity::find()
        .filter(cases::Column::OpenCardId.eq(card.id))
        .one(db)
        .await
        .map_err(StoreError::from)?;
    if pending.is_some() {
        return Err(FilingError::ExtensionPending);
    }

    // the documents named must exist and be the filer's own uploads
    let mut attached = Vec::new();
    let mut errors = Vec::new();
    for (i, id) in filing.documents.iter().enumerate() {
        let doc = documents::Entity::find()
            .filter(documents::Column::PublicId.eq(id.as_str()))
            .one(db)
            .await
            .map_err(StoreError::from)?
            .filter(|d| d.uploaded_by == actor.account_id);
        match doc {
            Some(d) => attached.push(NewCaseDocument {
                document_id: d.id,
                doc_type: d.doc_type,
                carried_over: false,
            }),
            None => errors.push(FieldError::new(
                format!("documents[{i}]"),
                "unknown_document",
                format!("no upload `{id}` of yours"),
            )),
        }
    }
    let carried = carried_over(db, rules, &card, filing).await?;
    let have: BTreeSet<&str> = attached
        .iter()
        .chain(carried.iter())
        .map(|d| d.doc_type.as_str())
        .collect();
    let missing: Vec<String> = filing
        .required_document_types(&rules.catalogs.catalog)
        .into_iter()
        .filter(|t| !have.contains(t.as_str()))
        .collect();
    if !missing.is_empty() {
        errors.push(FieldError::new(
            "documents",
            "missing_documents",
            format!("still needed: {}", missing.join(", ")),
        ));
    }
    if !errors.is_empty() {
        return Err(FilingError::Documents(errors));
    }

    let fee = filing.fee(&rules.catalogs.fees);
    let fee_twd = i32::try_from(fee.0).map_err(|_| StoreError::Invalid("fee out of range".into()))?;
    let passport_number = if filing.passport.update {
        Some(filing.passport.number.as_str().to_string())
    } else {
        card.passport_number
            .clone()
            .or_else(|| Some(filing.passport.number.as_str().to_string()))
    };
    let form =
        serde_json::to_value(filing).map_err(|e| StoreError::Invalid(format!("cannot record the filing: {e}")))?;
    let new = NewCase {
        kind: "extension".into(),
        card_id: card.id,
        filer_account_id: actor.account_id,
        filer: filing.filer.as_str().to_string(),
        applicant_name: format!("{} {}", filing.basic.given_name, filing.basic.family_name),
        applicant_email: filing.basic.email.as_str().to_string(),
        ui_number: filing.ui_number.as_str().to_string(),
        passport_number,
        nationality: filing.basic.nationality.as_str().to_string(),
        field: filing.field.field.as_str().to_string(),
        criterion: filing.field.criterion.clone(),
        subfield: filing.field.subfield.clone(),
        hk_macau: filing.hk_macau,
        expedite: filing.expedite,
        validity_years: i32::from(filing.residence.validity_years.get()),
        fee_twd,
        form,
        documents: attached.into_iter().chain(carried).collect(),
        consent_id,
    };
    let applied = events::file(db, rules, actor, &new, now).await?;
    Ok(Filed { applied, fee_twd })
}
