//! The applicant portal's review: a consent holds for the sign-in session it was given in
//! (`consents.session_id`), the filed case names the consent it was filed under
//! (`cases.consent_id`), and failed card lookups are counted per account so that they can
//! be rate-limited (`card_lookup_failures`).

use crate::helpers::{fk, index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // one column per statement: SQLite alters a table one column at a time
        m.alter_table(
            Table::alter()
                .table("consents")
                .add_column(big_integer_null("session_id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_consents_session", "consents", &["session_id"]))
            .await?;
        m.alter_table(
            Table::alter()
                .table("cases")
                .add_column(big_integer_null("consent_id"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("card_lookup_failures")
                .col(big_pk_auto("id"))
                .col(big_integer("account_id"))
                .col(timestamp_with_time_zone("at"))
                .foreign_key(&mut fk("card_lookup_failures", "account_id", "accounts"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_card_lookup_failures_account_at",
            "card_lookup_failures",
            &["account_id", "at"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("card_lookup_failures").to_owned())
            .await?;
        m.alter_table(Table::alter().table("cases").drop_column("consent_id").to_owned())
            .await?;
        m.drop_index(
            Index::drop()
                .name("ix_consents_session")
                .table(Alias::new("consents"))
                .to_owned(),
        )
        .await?;
        m.alter_table(Table::alter().table("consents").drop_column("session_id").to_owned())
            .await
    }
}
