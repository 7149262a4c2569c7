//! The queues' indexes give their rows in the order the page shows them: by due date, then
//! by id (BENCHMARKS.md, "EXPLAIN of the hot queries").
//!
//! - On PostgreSQL an index does not hold the id as SQLite's does (the rowid ends every
//!   SQLite index key), so a page sorted by `(sla_due_on, id)` read every case due on the
//!   first due date and sorted them (763 rows for 50 at 1,000,000 cases). The id is now the
//!   last column of each queue index.
//! - A queue filtered by field alone (without the Hong Kong/Macau filter): migration 5's
//!   index puts `hk_macau` between the field and the due date, so for this filter it gave
//!   the rows unsorted, and every page sorted all of the field's cases in the queue (about
//!   7,600 in labor review). A new index serves it.

use crate::helpers::index;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `(old name, new name, new columns)`; the old index is dropped (none for a new one).
const CHANGES: [(Option<&str>, &str, &[&str]); 4] = [
    (
        Some("ix_cases_state_due"),
        "ix_cases_state_due_id",
        &["state", "sla_due_on", "id"],
    ),
    (
        Some("ix_cases_state_supplement_due"),
        "ix_cases_state_supplement_due_id",
        &["state", "supplement_due_on", "id"],
    ),
    (
        Some("ix_cases_state_field_due"),
        "ix_cases_state_field_hk_due_id",
        &["state", "field", "hk_macau", "sla_due_on", "id"],
    ),
    (
        None,
        "ix_cases_state_field_due_id",
        &["state", "field", "sla_due_on", "id"],
    ),
];

fn drop(name: &str) -> IndexDropStatement {
    Index::drop().name(name).table(Alias::new("cases")).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (old, new, cols) in CHANGES {
            m.create_index(index(new, "cases", cols)).await?;
            if let Some(old) = old {
                m.drop_index(drop(old)).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (old, new, _) in CHANGES {
            if let Some(old) = old {
                let cols: &[&str] = match old {
                    "ix_cases_state_due" => &["state", "sla_due_on"],
                    "ix_cases_state_supplement_due" => &["state", "supplement_due_on"],
                    _ => &["state", "field", "hk_macau", "sla_due_on"],
                };
                m.create_index(index(old, "cases", cols)).await?;
            }
            m.drop_index(drop(new)).await?;
        }
        Ok(())
    }
}
