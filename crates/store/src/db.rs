//! Connecting to SQLite (WAL, the embedded default) or PostgreSQL.

use crate::error::StoreError;
use goldcard_migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend};
use std::time::Duration;

/// Whether a database URL is PostgreSQL's.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// A connection pool to goldcard's database.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
}

impl Store {
    /// Connects. For SQLite the file's folder is created, WAL is on, foreign keys are
    /// enforced and writers wait for each other (busy timeout) instead of failing.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        Store::connect_tuned(url, false).await
    }

    /// Connects for a bulk load (`goldcard seed`): on SQLite, one connection with a 256 MiB
    /// page cache, so that the indexes of a million-row table stay in memory while rows
    /// arrive in random key order. Durability is the same as [`Store::connect`].
    pub async fn connect_bulk(url: &str) -> Result<Store, StoreError> {
        Store::connect_tuned(url, true).await
    }

    async fn connect_tuned(url: &str, bulk: bool) -> Result<Store, StoreError> {
        let mut opts = ConnectOptions::new(url.to_string());
        opts.sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(30));
        if is_postgres_url(url) {
            // A database that is down fails a request (503) within seconds rather than
            // holding it for the default 30 s; a pooled connection that broke when the
            // server restarted is tested before use and replaced.
            opts.max_connections(env_number("GOLDCARD_DB_MAX_CONNECTIONS").unwrap_or(16))
                .min_connections(1)
                .acquire_timeout(Duration::from_secs(5));
        } else {
            if let Some(path) = sqlite_path(url)
                && let Some(dir) = std::path::Path::new(&path).parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                    context: format!("creating {}", dir.display()),
                    source,
                })?;
            }
            // One writer at a time is SQLite's nature; readers proceed beside it in WAL mode.
            let connections = if bulk {
                1
            } else {
                env_number("GOLDCARD_DB_MAX_CONNECTIONS").unwrap_or(4)
            };
            opts.max_connections(connections).min_connections(1);
            // each connection's page cache, in KiB (SQLite's negative cache_size); the
            // indexes of the queues and search of a million cases stay in memory
            let cache_kib = if bulk {
                262_144
            } else {
                env_number("GOLDCARD_SQLITE_CACHE_MB").unwrap_or(16) * 1024
            };
            opts.map_sqlx_sqlite_opts(move |o| {
                use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
                // WAL + NORMAL: a commit survives a process crash (SIGKILL); PostgreSQL with
                // fsync is the production database for durability across power loss.
                let o = o
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(30))
                    .pragma("cache_size", format!("-{cache_kib}"));
                if bulk {
                    // a bulk load is one transaction: its statement journals (one per
                    // multi-row insert) stay in memory rather than in temporary files
                    o.pragma("temp_store", "MEMORY")
                } else {
                    o
                }
            });
        }
        let db = Database::connect(opts).await?;
        Ok(Store { db })
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.db, None).await?;
        Ok(())
    }

    /// The pool.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Which database this is.
    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Closes the pool.
    pub async fn close(self) -> Result<(), StoreError> {
        self.db.close().await?;
        Ok(())
    }
}

fn sqlite_path(url: &str) -> Option<String> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    if path.is_empty() || path == ":memory:" {
        None
    } else {
        Some(path.to_string())
    }
}

/// A positive number from the environment (`GOLDCARD_DB_MAX_CONNECTIONS`,
/// `GOLDCARD_SQLITE_CACHE_MB`); unset or unreadable means the default.
fn env_number(name: &str) -> Option<u32> {
    std::env::var(name).ok()?.trim().parse().ok().filter(|n| *n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths_are_found_in_urls() {
        assert_eq!(
            sqlite_path("sqlite://data/goldcard.db?mode=rwc").as_deref(),
            Some("data/goldcard.db")
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert!(is_postgres_url("postgres://u@h/db"));
        assert!(!is_postgres_url("sqlite://x.db"));
    }
}
