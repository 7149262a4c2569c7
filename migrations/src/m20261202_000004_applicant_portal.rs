//! The applicant portal: the consent (系統使用聲明事項) each filer ticked, with the version
//! of the text they were shown.

use crate::helpers::{fk, index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("consents")
                .col(big_pk_auto("id"))
                .col(big_integer("account_id"))
                .col(string("text_version"))
                .col(string("filer"))
                .col(timestamp_with_time_zone("accepted_at"))
                .foreign_key(&mut fk("consents", "account_id", "accounts"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_consents_account", "consents", &["account_id", "accepted_at"]))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("consents").to_owned()).await
    }
}
