//! Hardening: the log of refused requests (roles.md: every refusal is logged) and the
//! one-time keys of state-changing forms and API calls (a double click changes nothing
//! twice, also across instances on one database).

use crate::helpers::index;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // one row per refusal: the policy's 403, a service's 403 and the 404 given for a
        // case that is not the caller's. Append-only, written with one insert.
        m.create_table(
            Table::create()
                .table("access_refusals")
                .col(big_pk_auto("id"))
                .col(timestamp_with_time_zone("at"))
                .col(big_integer_null("account_id"))
                .col(string("role"))
                .col(string("method"))
                .col(string("route"))
                .col(string("path"))
                .col(integer("status"))
                .col(string("reason"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_access_refusals_at", "access_refusals", &["at"]))
            .await?;
        // a form's or an API call's one-time key, per account; `status` stays empty while
        // the first request is in flight
        m.create_table(
            Table::create()
                .table("idempotency_keys")
                .col(big_pk_auto("id"))
                .col(big_integer("account_id"))
                .col(string("idem_key"))
                .col(string("route"))
                .col(integer_null("status"))
                .col(string_null("location"))
                .col(text_null("body"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index(
                "ux_idempotency_keys_account_key",
                "idempotency_keys",
                &["account_id", "idem_key"],
            )
            .unique()
            .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_idempotency_keys_created",
            "idempotency_keys",
            &["created_at"],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("idempotency_keys").to_owned()).await?;
        m.drop_table(Table::drop().table("access_refusals").to_owned()).await?;
        Ok(())
    }
}
