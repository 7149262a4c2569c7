//! Test support: a fresh, migrated database per test, on SQLite or PostgreSQL.
//!
//! PostgreSQL is not optional: `scripts/test` starts a throwaway cluster and exports
//! `GOLDCARD_TEST_PG_URL`; without it these tests fail loudly rather than skip.
#![allow(dead_code, clippy::unwrap_used, missing_docs)]

use goldcard_store::Store;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

/// A migrated, empty database.
pub struct TestDb {
    pub store: Store,
    pub name: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub fn db(&self) -> &DatabaseConnection {
        self.store.db()
    }
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
    TestDb { store, name, _dir: dir }
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
