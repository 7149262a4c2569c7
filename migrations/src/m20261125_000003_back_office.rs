//! The back office: officers' notes on cases, the log of document views, and the indexes its filters, dashboards and
//! search lean on.

use crate::helpers::{fk, index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // notes officers and the helpdesk leave on a case; they change no state, so they
        // sit beside the audit trail rather than in it
        m.create_table(
            Table::create()
                .table("case_notes")
                .col(big_pk_auto("id"))
                .col(big_integer("case_id"))
                .col(big_integer("author_id"))
                .col(string("author_role"))
                .col(text("body"))
                .col(timestamp_with_time_zone("at"))
                .foreign_key(&mut fk("case_notes", "case_id", "cases"))
                .foreign_key(&mut fk("case_notes", "author_id", "accounts"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_case_notes_case", "case_notes", &["case_id", "at"]))
            .await?;
        // every time an officer opens a document (roles.md: every access is logged)
        m.create_table(
            Table::create()
                .table("document_access")
                .col(big_pk_auto("id"))
                .col(big_integer("document_id"))
                .col(big_integer("case_id"))
                .col(big_integer("account_id"))
                .col(string("role"))
                .col(timestamp_with_time_zone("at"))
                .foreign_key(&mut fk("document_access", "document_id", "documents"))
                .foreign_key(&mut fk("document_access", "account_id", "accounts"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_document_access_case", "document_access", &["case_id", "at"]))
            .await?;
        // decided per week on the dashboards (terminal cases do not change again)
        m.create_index(index("ix_cases_state_updated", "cases", &["state", "updated_at"]))
            .await?;
        // filed per week, and the "filed between" filter
        m.create_index(index("ix_cases_filed_at", "cases", &["filed_at"]))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [("ix_cases_filed_at", "cases"), ("ix_cases_state_updated", "cases")] {
            m.drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned())
                .await?;
        }
        m.drop_table(Table::drop().table("document_access").to_owned()).await?;
        m.drop_table(Table::drop().table("case_notes").to_owned()).await
    }
}
