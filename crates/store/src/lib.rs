//! Storage for goldcard: sea-orm entities and queries on SQLite or PostgreSQL, the one
//! function that applies a decided transition atomically ([`apply`]), the hash-chained
//! audit trail ([`audit`]), accounts and tokens, card import, catalogs and document blobs.

pub mod access_log;
pub mod accounts;
pub mod audit;
pub mod blobs;
pub mod bulk;
pub mod card_lookups;
pub mod cards;
pub mod cases;
pub mod catalogs;
pub mod consents;
mod db;
pub mod documents;
pub mod entity;
mod error;
pub mod events;
pub mod filing;
pub mod idempotency;
pub mod notes;
pub mod outbox;
pub mod queues;
pub mod reports;
mod transition;

pub use db::{Store, is_postgres_url};
pub use error::StoreError;
pub use transition::{Applied, NewCase, NewCaseDocument, Subject, apply};
