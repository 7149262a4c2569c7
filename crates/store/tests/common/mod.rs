//! Test support: a fresh, migrated database per test, on SQLite or PostgreSQL.
//!
//! PostgreSQL is not optional: `scripts/test` starts a throwaway cluster and exports
//! `GOLDCARD_TEST_PG_URL`; without it these tests fail loudly rather than skip.
#![allow(dead_code, clippy::unwrap_used, missing_docs)]

use chrono::{DateTime, NaiveDate, Utc};
use goldcard_domain::{Email, FixedClock};
use goldcard_store::Store;
use goldcard_store::accounts::{self, Login, NewAccount};
use goldcard_store::catalogs::{self, CatalogTexts, Catalogs};
use goldcard_store::entity::accounts as account;
use goldcard_workflow::{Registry, Role, Workflow};
use std::path::PathBuf;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn now() -> DateTime<Utc> {
    FixedClock::parse("2026-11-25T02:00:00Z").unwrap().0
}

pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
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

impl TestDb {
    pub fn rules(&self) -> goldcard_store::events::Rules<'_> {
        goldcard_store::events::Rules {
            workflow: &self.workflow,
            catalogs: &self.catalogs,
        }
    }

    pub async fn account(&self, login: &str, role: Role) -> account::Model {
        accounts::create(
            self.store.db(),
            NewAccount {
                login: Login::parse(login).unwrap(),
                email: Email::parse(&format!("{login}@example.tw")).unwrap(),
                display_name: login.to_string(),
                role,
                password: None,
                locale: "en".into(),
            },
            now(),
        )
        .await
        .unwrap()
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
