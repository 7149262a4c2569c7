//! Test support: a fresh, migrated database per test on SQLite or PostgreSQL (as in the
//! store's tests), outbox rows written the way the application writes them, and real
//! aiosmtpd servers ([`smtp`]).
//!
//! PostgreSQL and aiosmtpd are not optional: `scripts/test` starts the one and installs
//! the other (scripts/test-services); without them these tests fail loudly rather than skip.
#![allow(dead_code, clippy::unwrap_used, missing_docs)]

pub use goldcard_tests::smtp;

use chrono::{DateTime, Duration, Utc};
use goldcard_domain::{Email, FixedClock, UiNumber};
use goldcard_store::Store;
use goldcard_store::accounts::{self, Login, NewAccount};
use goldcard_store::cards::{self, parse_csv};
use goldcard_store::catalogs::{self, CatalogTexts, Catalogs};
use goldcard_store::entity::{accounts as account, cards as card, outbox};
use goldcard_store::events::{file, fire};
use goldcard_store::{Applied, NewCase};
use goldcard_workflow::{Actor, EventRequest, Registry, Role, Workflow};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Map, Value, json};
use std::path::PathBuf;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn now() -> DateTime<Utc> {
    FixedClock::parse("2026-11-25T02:00:00Z").unwrap().0
}

pub fn at(seconds: i64) -> DateTime<Utc> {
    now() + Duration::seconds(seconds)
}

/// A migrated database with catalogs loaded, and the rules in force.
pub struct TestDb {
    pub store: Store,
    pub workflow: Workflow,
    pub catalogs: Catalogs,
    pub name: String,
    _fresh: goldcard_tests::FreshDb,
}

pub async fn sqlite() -> TestDb {
    fresh(goldcard_tests::Db::Sqlite).await
}

pub async fn postgres() -> TestDb {
    fresh(goldcard_tests::Db::Postgres).await
}

async fn fresh(db: goldcard_tests::Db) -> TestDb {
    let fresh = goldcard_tests::fresh_database(db).await;
    let store = Store::connect(&fresh.url).await.unwrap();
    setup(store, fresh).await
}

async fn setup(store: Store, fresh: goldcard_tests::FreshDb) -> TestDb {
    store.migrate().await.unwrap();
    let name = fresh.name.clone();
    let texts = CatalogTexts::from_dir(&repo_root().join("seeds")).unwrap();
    assert!(catalogs::load_if_empty(store.db(), &texts, now()).await.unwrap());
    let catalogs = catalogs::read(store.db()).await.unwrap().parse().unwrap();
    let workflow = Workflow::parse(
        "gold-card-extension.toml",
        goldcard_workflow::EXTENSION_DEFINITION,
        &Registry::standard(),
    )
    .unwrap();
    TestDb {
        store,
        workflow,
        catalogs,
        name,
        _fresh: fresh,
    }
}

/// Runs an async test body on SQLite and on PostgreSQL.
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

/// A valid UI number: the first nine characters, plus the check digit that fits.
fn ui(prefix: &str) -> String {
    (0..10)
        .map(|d| format!("{prefix}{d}"))
        .find(|s| UiNumber::parse(s).is_ok())
        .unwrap()
}

impl TestDb {
    pub fn db(&self) -> &sea_orm::DatabaseConnection {
        self.store.db()
    }

    pub fn rules(&self) -> goldcard_store::events::Rules<'_> {
        goldcard_store::events::Rules {
            workflow: &self.workflow,
            catalogs: &self.catalogs,
        }
    }

    pub async fn account(&self, login: &str, email: &str, role: Role, locale: &str) -> account::Model {
        accounts::create(
            self.db(),
            NewAccount {
                login: Login::parse(login).unwrap(),
                email: Email::parse(email).unwrap(),
                display_name: format!("{login} name"),
                role,
                password: None,
                locale: locale.into(),
            },
            now(),
        )
        .await
        .unwrap()
    }

    pub async fn card(&self, ui_prefix: &str) -> card::Model {
        let csv = format!(
            "ui_number,birth_date,family_name,given_name,nationality,email,field,expires_on,passport_number,passport_expires_on\n\
             {},1990-01-02,Doe,Jane,US,jane.{}@example.com,digital,2027-02-28,P1234567,2030-01-01\n",
            ui(ui_prefix),
            ui_prefix.to_lowercase()
        );
        let rows = parse_csv(csv.as_bytes(), &self.catalogs.catalog).unwrap();
        cards::import(self.db(), &rows, now()).await.unwrap();
        card::Entity::find()
            .filter(card::Column::UiNumber.eq(ui(ui_prefix)))
            .one(self.db())
            .await
            .unwrap()
            .unwrap()
    }

    /// Files an extension case for `filer` on a new card: writes a `case_received` row.
    pub async fn file_case(&self, filer: &account::Model, ui_prefix: &str) -> Applied {
        let card = self.card(ui_prefix).await;
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
        file(self.db(), self.rules(), who, &new, now()).await.unwrap()
    }

    /// The cashier records the fee: writes a `payment_received` row.
    pub async fn pay(&self, cashier: &account::Model, case_number: &str, receipt: &str) -> Applied {
        let payload: Map<String, Value> = json!({"amount_twd": 3500, "receipt_no": receipt})
            .as_object()
            .cloned()
            .unwrap();
        let req = EventRequest {
            event: "pay",
            expected_version: None,
            payload: &payload,
            reassign_target: None,
            attachments: &[],
        };
        let who = Actor {
            account_id: cashier.id,
            role: Role::Cashier,
        };
        fire(
            self.db(),
            self.rules(),
            who,
            case_number,
            req,
            now() + Duration::seconds(1),
        )
        .await
        .unwrap()
    }

    /// `cases` applicants (alternately zh-TW and en), each filing one case, every other
    /// one paid: 1.5 outbox rows per case. Returns the whole outbox, in id order.
    pub async fn outbox_rows(&self, cases: usize) -> Vec<outbox::Model> {
        self.more_outbox_rows(0, cases).await
    }

    /// The same for applicants numbered from `first`, beside those already there.
    pub async fn more_outbox_rows(&self, first: usize, cases: usize) -> Vec<outbox::Model> {
        let login = format!("cashier{first}");
        let cashier = self
            .account(&login, &format!("{login}@example.tw"), Role::Cashier, "zh-TW")
            .await;
        for i in first..first + cases {
            let locale = if i % 2 == 0 { "zh-TW" } else { "en" };
            let login = format!("holder{i:03}");
            let holder = self
                .account(&login, &format!("{login}@example.tw"), Role::Applicant, locale)
                .await;
            let filed = self.file_case(&holder, &format!("A8{i:07}")).await;
            if i % 2 == 0 {
                self.pay(&cashier, &filed.case_number, &format!("R-{i}")).await;
            }
        }
        self.outbox().await
    }

    pub async fn outbox(&self) -> Vec<outbox::Model> {
        outbox::Entity::find()
            .order_by_asc(outbox::Column::Id)
            .all(self.db())
            .await
            .unwrap()
    }
}
