//! The goldcard schema as sea-orm migrations. Append-only: once a migration has landed on
//! `main` it is never edited; a change to the schema is a new migration.

pub use sea_orm_migration::prelude::*;

mod helpers;
mod m20261125_000001_initial;
mod m20261125_000002_sign_in_and_jobs;
mod m20261125_000003_back_office;
mod m20261202_000004_applicant_portal;
mod m20261202_000005_queue_filter_index;
mod m20261203_000006_portal_review;
mod m20261203_000007_access_log_and_idempotency;
mod m20261206_000008_queue_sort_indexes;
mod m20261207_000009_supplement_queue_index;

/// Applies goldcard's migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_initial::Migration),
            Box::new(m20261125_000002_sign_in_and_jobs::Migration),
            Box::new(m20261125_000003_back_office::Migration),
            Box::new(m20261202_000004_applicant_portal::Migration),
            Box::new(m20261202_000005_queue_filter_index::Migration),
            Box::new(m20261203_000006_portal_review::Migration),
            Box::new(m20261203_000007_access_log_and_idempotency::Migration),
            Box::new(m20261206_000008_queue_sort_indexes::Migration),
            Box::new(m20261207_000009_supplement_queue_index::Migration),
        ]
    }
}
