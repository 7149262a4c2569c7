//! The queue screens' most common filter, the field of expertise (with or without the
//! Hong Kong/Macau one), served by an index that also holds the due date they sort by: the
//! page reads its rows in order and the tab's count never touches the table.

use crate::helpers::index;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index(
            "ix_cases_state_field_due",
            "cases",
            &["state", "field", "hk_macau", "sla_due_on"],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_cases_state_field_due")
                .table(Alias::new("cases"))
                .to_owned(),
        )
        .await
    }
}
