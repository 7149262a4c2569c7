//! Test support for the jobs: a migrated database with catalogs (SQLite or PostgreSQL),
//! cards with chosen expiry dates, accounts, and cases moved through the real workflow.
#![allow(dead_code, clippy::unwrap_used, missing_docs)]

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use goldcard_domain::{Email, FixedClock, UiNumber};
use goldcard_jobs::Jobs;
use goldcard_mail::{Letterhead, Transport};
use goldcard_store::accounts::{self, Login, NewAccount};
use goldcard_store::cards::{self, parse_csv};
use goldcard_store::catalogs::{self, CatalogTexts, Catalogs};
use goldcard_store::entity::{accounts as account, cards as card, cases, outbox};
use goldcard_store::events::{Rules, file, fire};
use goldcard_store::{NewCase, Store};
use goldcard_workflow::{Actor, EventRequest, Registry, Role, Workflow};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Map, Value, json};
use std::path::PathBuf;
use std::sync::Arc;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// 10:00 on 2026-11-25 in Taipei.
pub fn now() -> DateTime<Utc> {
    FixedClock::parse("2026-11-25T02:00:00Z").unwrap().0
}

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

pub fn days(n: i64) -> TimeDelta {
    TimeDelta::days(n)
}

pub struct TestDb {
    pub store: Store,
    pub jobs: Jobs,
    pub name: String,
    _outbox_dir: tempfile::TempDir,
    _fresh: goldcard_tests::FreshDb,
}

pub async fn sqlite() -> TestDb {
    fresh(goldcard_tests::Db::Sqlite).await
}

pub async fn postgres() -> TestDb {
    fresh(goldcard_tests::Db::Postgres).await
}

/// The rules every test runs with.
pub async fn rules_for(store: &Store) -> (Workflow, Catalogs) {
    let texts = CatalogTexts::from_dir(&repo_root().join("seeds")).unwrap();
    catalogs::load_if_empty(store.db(), &texts, now()).await.unwrap();
    let catalogs = catalogs::read(store.db()).await.unwrap().parse().unwrap();
    let workflow = Workflow::parse(
        "gold-card-extension.toml",
        goldcard_workflow::EXTENSION_DEFINITION,
        &Registry::standard(),
    )
    .unwrap();
    (workflow, catalogs)
}

async fn fresh(db: goldcard_tests::Db) -> TestDb {
    let fresh = goldcard_tests::fresh_database(db).await;
    let store = Store::connect(&fresh.url).await.unwrap();
    store.migrate().await.unwrap();
    let (workflow, catalogs) = rules_for(&store).await;
    let outbox_dir = tempfile::tempdir().unwrap();
    let jobs = Jobs {
        db: store.db().clone(),
        workflow: Arc::new(workflow),
        catalogs: Arc::new(catalogs),
        mailer: Transport::from_config(None, outbox_dir.path()).unwrap(),
        letterhead: Letterhead::parse("Gold Card Office <no-reply@goldcard.example>").unwrap(),
        holder: Jobs::instance_name(),
    };
    TestDb {
        store,
        jobs,
        name: fresh.name.clone(),
        _outbox_dir: outbox_dir,
        _fresh: fresh,
    }
}

#[macro_export]
macro_rules! on_both {
    ($($name:ident => $body:ident;)*) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() {
                    super::$body($crate::common::sqlite().await).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() {
                    super::$body($crate::common::postgres().await).await
                }
            }
        )*
    };
}

/// A valid UI number from nine characters.
pub fn ui(prefix: &str) -> String {
    (0..10)
        .map(|d| format!("{prefix}{d}"))
        .find(|s| UiNumber::parse(s).is_ok())
        .unwrap()
}

impl TestDb {
    pub fn db(&self) -> &sea_orm::DatabaseConnection {
        self.store.db()
    }

    pub fn rules(&self) -> Rules<'_> {
        Rules {
            workflow: &self.jobs.workflow,
            catalogs: &self.jobs.catalogs,
        }
    }

    pub async fn account(&self, login: &str, role: Role) -> account::Model {
        accounts::create(
            self.db(),
            NewAccount {
                login: Login::parse(login).unwrap(),
                email: Email::parse(&format!("{login}@example.tw")).unwrap(),
                display_name: format!("{login} name"),
                role,
                password: None,
                locale: "zh-TW".into(),
            },
            now(),
        )
        .await
        .unwrap()
    }

    /// Imports a card (UI number from `ui_prefix`) expiring on `expires_on`.
    pub async fn card(&self, ui_prefix: &str, expires_on: NaiveDate) -> card::Model {
        let csv = format!(
            "ui_number,birth_date,family_name,given_name,nationality,email,field,expires_on,passport_number,passport_expires_on\n\
             {},1990-01-02,Doe,Jane,US,jane.{}@example.com,digital,{expires_on},P1234567,2030-01-01\n",
            ui(ui_prefix),
            ui_prefix.to_lowercase()
        );
        let rows = parse_csv(csv.as_bytes(), &self.jobs.catalogs.catalog).unwrap();
        cards::import(self.db(), &rows, now()).await.unwrap();
        card::Entity::find()
            .filter(card::Column::UiNumber.eq(ui(ui_prefix)))
            .one(self.db())
            .await
            .unwrap()
            .unwrap()
    }

    /// Files an extension for a new card expiring in three months, at `at`.
    pub async fn file_case(&self, filer: &account::Model, ui_prefix: &str, at: DateTime<Utc>) -> String {
        self.file_case_on(filer, ui_prefix, today() + days(90), at).await
    }

    /// Files an extension for a new card expiring on `expires_on`, at `at`.
    pub async fn file_case_on(
        &self,
        filer: &account::Model,
        ui_prefix: &str,
        expires_on: NaiveDate,
        at: DateTime<Utc>,
    ) -> String {
        let card = self.card(ui_prefix, expires_on).await;
        let new = NewCase {
            kind: "extension".into(),
            card_id: card.id,
            filer_account_id: filer.id,
            filer: "self".into(),
            applicant_name: format!("{} {}", card.given_name, card.family_name),
            applicant_email: card.email.clone(),
            ui_number: card.ui_number.clone(),
            passport_number: card.passport_number.clone(),
            nationality: card.nationality.clone(),
            field: card.field.clone(),
            criterion: "1".into(),
            subfield: None,
            hk_macau: card.hk_macau,
            expedite: false,
            validity_years: 3,
            fee_twd: 3500,
            form: json!({}),
            documents: vec![],
            consent_id: None,
        };
        let who = Actor {
            account_id: filer.id,
            role: Role::Applicant,
        };
        file(self.db(), self.rules(), who, &new, at).await.unwrap().case_number
    }

    /// Fires `event` as `who` at `at`; panics on refusal.
    pub async fn fire(&self, who: &account::Model, case: &str, event: &str, payload: Value, at: DateTime<Utc>) {
        let payload: Map<String, Value> = payload.as_object().cloned().unwrap();
        let req = EventRequest {
            event,
            expected_version: None,
            payload: &payload,
            reassign_target: None,
            attachments: &[],
        };
        let actor = Actor {
            account_id: who.id,
            role: who.role.parse().unwrap(),
        };
        fire(self.db(), self.rules(), actor, case, req, at)
            .await
            .unwrap_or_else(|e| panic!("{event} on {case}: {e}"));
    }

    pub async fn case(&self, number: &str) -> cases::Model {
        cases::Entity::find()
            .filter(cases::Column::CaseNumber.eq(number))
            .one(self.db())
            .await
            .unwrap()
            .unwrap()
    }

    pub async fn outbox(&self) -> Vec<outbox::Model> {
        outbox::Entity::find()
            .order_by_asc(outbox::Column::Id)
            .all(self.db())
            .await
            .unwrap()
    }

    /// Outbox rows of `template`, as (dedupe key, recipient account, recipient email).
    pub async fn mails(&self, template: &str) -> Vec<outbox::Model> {
        self.outbox()
            .await
            .into_iter()
            .filter(|r| r.template == template)
            .collect()
    }
}
