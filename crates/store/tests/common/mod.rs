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
use sea_orm::{ConnectionTrait, Database};
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
    _dir: Option<tempfile::TempDir>,
}

fn random_name() -> String {
    format!("gc_test_{}", hex::encode(rand::random::<[u8; 6]>()))
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
    setup(Store::connect(&url).await.unwrap(), "sqlite".into(), Some(dir)).await
}

pub fn pg_admin_url() -> String {
    std::env::var("GOLDCARD_TEST_PG_URL").unwrap_or_else(|_| {
        panic!(
            "GOLDCARD_TEST_PG_URL is not set: PostgreSQL tests need a server. Run the test suite with \
             `scripts/test`, which starts a throwaway PostgreSQL cluster."
        )
    })
}

pub async fn postgres() -> TestDb {
    let admin_url = pg_admin_url();
    let name = random_name();
    let admin = Database::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {admin_url}: {e}"));
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    admin.close().await.unwrap();
    let base = admin_url.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
    let store = Store::connect(&format!("{base}/{name}")).await.unwrap();
    setup(store, name, None).await
}

async fn setup(store: Store, name: String, dir: Option<tempfile::TempDir>) -> TestDb {
    store.migrate().await.unwrap();
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
        _dir: dir,
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
