//! Sign-in and the scheduler: emailed sign-in challenges, failed attempts (for the
//! lockout), server-side sessions, and a record of every scheduled job run.

use crate::helpers::{fk, index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // a password accepted, a code emailed: the challenge the code answers
        m.create_table(
            Table::create()
                .table("sign_in_challenges")
                .col(string("id").primary_key())
                .col(big_integer("account_id"))
                .col(string("code_hash"))
                .col(integer("failed_attempts").default(0))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("used_at"))
                .foreign_key(&mut fk("sign_in_challenges", "account_id", "accounts"))
                .to_owned(),
        )
        .await?;

        // wrong passwords, unknown logins and wrong codes, by login: the lockout counts them
        m.create_table(
            Table::create()
                .table("sign_in_failures")
                .col(big_pk_auto("id"))
                .col(string("login"))
                .col(string("reason"))
                .col(timestamp_with_time_zone("at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_sign_in_failures_login_at",
            "sign_in_failures",
            &["login", "at"],
        ))
        .await?;

        // server-side sessions: the token's SHA-256, an absolute end and (officers) an idle end
        m.create_table(
            Table::create()
                .table("sessions")
                .col(big_pk_auto("id"))
                .col(string_uniq("token_hash"))
                .col(big_integer("account_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("idle_expires_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .foreign_key(&mut fk("sessions", "account_id", "accounts"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_sessions_account", "sessions", &["account_id"]))
            .await?;

        // every run of a scheduled job: who ran it, as of when, and what it did
        m.create_table(
            Table::create()
                .table("job_runs")
                .col(big_pk_auto("id"))
                .col(string("name"))
                .col(string("holder"))
                .col(timestamp_with_time_zone("as_of"))
                .col(timestamp_with_time_zone("started_at"))
                .col(timestamp_with_time_zone_null("finished_at"))
                .col(string_null("outcome"))
                .col(text_null("detail"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_job_runs_name_started", "job_runs", &["name", "started_at"]))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["job_runs", "sessions", "sign_in_failures", "sign_in_challenges"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
