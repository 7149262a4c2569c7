//! Firing an event the way every caller does (API, back office, scheduler, demo data):
//! load the case's facts, ask the workflow engine, apply the decision atomically.

use crate::cases::{self, LoadedCase};
use crate::catalogs::Catalogs;
use crate::error::StoreError;
use crate::transition::{Applied, NewCase, Subject, apply};
use chrono::{DateTime, Utc};
use goldcard_domain::taipei_date;
use goldcard_workflow::{Actor, Env, EventRequest, Refusal, Workflow};
use sea_orm::DatabaseConnection;
use serde_json::{Map, Value};

/// The rules in force: the workflow definition and the catalogs.
#[derive(Clone, Copy)]
pub struct Rules<'a> {
    /// The case type's definition.
    pub workflow: &'a Workflow,
    /// Catalog, fees, calendar.
    pub catalogs: &'a Catalogs,
}

impl<'a> Rules<'a> {
    /// The engine's view of the world at `now`.
    pub fn env(&self, now: DateTime<Utc>) -> Env<'a> {
        Env {
            now,
            today: taipei_date(now),
            calendar: &self.catalogs.calendar,
            catalog: &self.catalogs.catalog,
        }
    }
}

/// Why an event was not applied.
#[derive(Debug, thiserror::Error)]
pub enum FireError {
    /// No such case.
    #[error("case {0} not found")]
    CaseNotFound(String),
    /// The engine refused (or the version moved on before the write).
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for FireError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::VersionConflict { expected, actual } => {
                FireError::Refused(Refusal::VersionConflict { expected, actual })
            }
            other => FireError::Store(other),
        }
    }
}

/// Fires `event` on a case and returns what was applied.
pub async fn fire(
    db: &DatabaseConnection,
    rules: Rules<'_>,
    actor: Actor,
    case_number: &str,
    request: EventRequest<'_>,
    now: DateTime<Utc>,
) -> Result<Applied, FireError> {
    let loaded = cases::load(db, case_number, &rules.catalogs.catalog)
        .await?
        .ok_or_else(|| FireError::CaseNotFound(case_number.to_string()))?;
    fire_on(db, rules, actor, loaded, request, now).await
}

/// Fires `event` on a case already loaded (its facts read before deciding).
pub async fn fire_on(
    db: &DatabaseConnection,
    rules: Rules<'_>,
    actor: Actor,
    loaded: LoadedCase,
    request: EventRequest<'_>,
    now: DateTime<Utc>,
) -> Result<Applied, FireError> {
    let LoadedCase { row, facts } = loaded;
    let decision = rules.workflow.decide(&facts, &actor, &request, &rules.env(now))?;
    Ok(apply(db, rules.workflow, Subject::of(&row), &decision, now).await?)
}

/// Creates a case (the definition's create event) from a validated filing.
pub async fn file(
    db: &DatabaseConnection,
    rules: Rules<'_>,
    actor: Actor,
    new_case: &NewCase,
    now: DateTime<Utc>,
) -> Result<Applied, FireError> {
    let payload: Map<String, Value> = Map::new();
    let decision = rules
        .workflow
        .decide_create(&actor, new_case.hk_macau, &payload, &rules.env(now))?;
    Ok(apply(db, rules.workflow, Subject::New(new_case), &decision, now).await?)
}
