//! Test support: a fresh, migrated database per test, on SQLite or PostgreSQL.
//!
//! PostgreSQL is not optional: `scripts/test` starts a throwaway cluster and exports
//! `GOLDCARD_TEST_PG_URL`; without it these tests fail loudly rather than skip.
#![allow(dead_code, clippy::unwrap_used, missing_docs)]

use goldcard_store::Store;
use sea_orm::DatabaseConnection;

/// A migrated, empty database.
pub struct TestDb {
    pub store: Store,
    pub name: String,
    _fresh: goldcard_tests::FreshDb,
}

impl TestDb {
    pub fn db(&self) -> &DatabaseConnection {
        self.store.db()
    }
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
    TestDb {
        store,
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
