//! The supplement queue's index also holds the state the case returns to.
//!
//! An agency's supplement tab holds the cases waiting for a supplement that the agency
//! asked for: `state = 'supplement' AND return_state IN (the agency's states)`. Migration
//! 8's index `(state, supplement_due_on, id)` gave the page in order, but `return_state`
//! was read from each case's row. Counting the tab (up to 10,001 cases) read up to 10,001
//! rows in random order: 130–210 ms at 1,000,000 cases, on one of SQLite's pool
//! connections, every time the shared counts were refreshed (BENCHMARKS.md, "2026-12-07:
//! the queue page in 30-second runs"). With `return_state` last, the count reads the index
//! alone and the page filters in the index before reading rows, still in due-date order.

use crate::helpers::{drop_index, index};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const OLD: &str = "ix_cases_state_supplement_due_id";
const OLD_COLS: [&str; 3] = ["state", "supplement_due_on", "id"];
const NEW: &str = "ix_cases_state_supplement_due_id_return";
const NEW_COLS: [&str; 4] = ["state", "supplement_due_on", "id", "return_state"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index(NEW, "cases", &NEW_COLS)).await?;
        m.drop_index(drop_index(OLD, "cases")).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index(OLD, "cases", &OLD_COLS)).await?;
        m.drop_index(drop_index(NEW, "cases")).await
    }
}
