//! The first schema: accounts and tokens, cards, cases and their documents, the audit
//! chain, the outbox, case-number sequences, catalogs, casbin rules and job leases.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn index(name: &str, table: &str, cols: &[&str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(Alias::new(table));
    for c in cols {
        i.col(Alias::new(*c));
    }
    i.to_owned()
}

fn fk(from_table: &str, col: &str, to_table: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{col}"))
        .from(Alias::new(from_table), Alias::new(col))
        .to(Alias::new(to_table), Alias::new("id"))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("accounts")
                .col(big_pk_auto("id"))
                .col(string_uniq("login"))
                .col(string("email"))
                .col(string("display_name"))
                .col(string("role"))
                .col(string_null("password_hash"))
                .col(string("locale").default("zh-TW"))
                .col(boolean("active").default(true))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("api_tokens")
                .col(big_pk_auto("id"))
                .col(big_integer("account_id"))
                .col(string_uniq("token_hash"))
                .col(string("label"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("expires_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .foreign_key(&mut fk("api_tokens", "account_id", "accounts"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_api_tokens_account", "api_tokens", &["account_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table("cards")
                .col(big_pk_auto("id"))
                .col(string_uniq("ui_number"))
                .col(date("birth_date"))
                .col(string("family_name"))
                .col(string("given_name"))
                .col(string_null("chinese_name"))
                .col(string_null("gender"))
                .col(string("nationality"))
                .col(string("email"))
                .col(string("field"))
                .col(string_null("criterion"))
                .col(string_null("subfield"))
                .col(integer("catalog_version").default(1))
                .col(string_null("passport_number"))
                .col(date_null("passport_expires_on"))
                .col(boolean("hk_macau").default(false))
                .col(date("expires_on"))
                .col(big_integer_null("holder_account_id"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("cards", "holder_account_id", "accounts"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_cards_expires_on", "cards", &["expires_on"]))
            .await?;
        m.create_index(index("ix_cards_passport_number", "cards", &["passport_number"]))
            .await?;
        m.create_index(index("ix_cards_email", "cards", &["email"])).await?;

        m.create_table(
            Table::create()
                .table("documents")
                .col(big_pk_auto("id"))
                .col(string_uniq("public_id"))
                .col(string("sha256"))
                .col(big_integer("size"))
                .col(string("content_type"))
                .col(string("original_name"))
                .col(string("doc_type"))
                .col(big_integer("uploaded_by"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("documents", "uploaded_by", "accounts"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_documents_sha256", "documents", &["sha256"]))
            .await?;
        m.create_index(index("ix_documents_uploaded_by", "documents", &["uploaded_by"]))
            .await?;

        m.create_table(
            Table::create()
                .table("cases")
                .col(big_pk_auto("id"))
                .col(string_uniq("case_number"))
                .col(string("workflow"))
                .col(string("kind"))
                .col(string("state"))
                .col(big_integer("version"))
                .col(big_integer("card_id"))
                // equals card_id while the case is open, NULL once terminal: the unique index
                // makes "one pending extension per card" a database fact, race-free.
                .col(big_integer_null("open_card_id"))
                .col(big_integer("filer_account_id"))
                .col(string("filer"))
                .col(string("applicant_name"))
                .col(string("applicant_email"))
                .col(string("ui_number"))
                .col(string_null("passport_number"))
                .col(string("nationality"))
                .col(string("field"))
                .col(string("criterion"))
                .col(string_null("subfield"))
                .col(boolean("hk_macau"))
                .col(boolean("expedite").default(false))
                .col(integer("validity_years"))
                .col(integer("fee_twd"))
                .col(string_null("receipt_no"))
                .col(integer_null("amount_paid_twd"))
                .col(timestamp_with_time_zone_null("paid_at"))
                .col(big_integer_null("assignee_id"))
                .col(big_integer_null("labor_approver_id"))
                .col(string_null("return_state"))
                .col(date_null("supplement_due_on"))
                .col(boolean("supplement_abroad").default(false))
                .col(text_null("supplement_items"))
                .col(timestamp_with_time_zone_null("supplement_requested_at"))
                .col(boolean("supplement_overdue").default(false))
                .col(string_null("consulting_authority"))
                .col(date_null("sla_due_on"))
                .col(big_integer_null("sla_paused_remaining"))
                .col(string_null("decision_grounds"))
                .col(text_null("decision_reason"))
                .col(text_null("legal_basis"))
                .col(date_null("new_expires_on"))
                .col(text("form"))
                // the audit chain's length and last hash: a deleted last row is detectable, and
                // a transition computes its row's hash from the case it read, without a query
                .col(big_integer("audit_seq").default(0))
                .col(string("audit_head").default(""))
                .col(timestamp_with_time_zone("filed_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("cases", "card_id", "cards"))
                .foreign_key(&mut fk("cases", "filer_account_id", "accounts"))
                .foreign_key(&mut fk("cases", "assignee_id", "accounts"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ux_cases_open_card", "cases", &["open_card_id"])
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ux_cases_receipt_no", "cases", &["receipt_no"])
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_cases_state_due", "cases", &["state", "sla_due_on"]))
            .await?;
        m.create_index(index("ix_cases_assignee_state", "cases", &["assignee_id", "state"]))
            .await?;
        m.create_index(index("ix_cases_card", "cases", &["card_id"])).await?;
        m.create_index(index("ix_cases_filer", "cases", &["filer_account_id"]))
            .await?;
        m.create_index(index("ix_cases_ui_number", "cases", &["ui_number"]))
            .await?;
        m.create_index(index("ix_cases_passport_number", "cases", &["passport_number"]))
            .await?;
        m.create_index(index("ix_cases_applicant_email", "cases", &["applicant_email"]))
            .await?;
        m.create_index(index(
            "ix_cases_state_supplement_due",
            "cases",
            &["state", "supplement_due_on"],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("case_documents")
                .col(big_pk_auto("id"))
                .col(big_integer("case_id"))
                .col(big_integer("document_id"))
                .col(string("doc_type"))
                .col(string("purpose"))
                .col(boolean("carried_over").default(false))
                .col(timestamp_with_time_zone("added_at"))
                .foreign_key(&mut fk("case_documents", "case_id", "cases"))
                .foreign_key(&mut fk("case_documents", "document_id", "documents"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_case_documents_case", "case_documents", &["case_id"]))
            .await?;

        m.create_table(
            Table::create()
                .table("audit_log")
                .col(big_pk_auto("id"))
                .col(big_integer("case_id"))
                .col(big_integer("seq"))
                .col(string("event"))
                .col(string_null("from_state"))
                .col(string("to_state"))
                .col(big_integer("actor_id"))
                .col(string("actor_role"))
                .col(timestamp_with_time_zone("at"))
                .col(text("payload"))
                .col(string("payload_digest"))
                .col(string("prev_hash"))
                .col(string("hash"))
                .foreign_key(&mut fk("audit_log", "case_id", "cases"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("ux_audit_case_seq", "audit_log", &["case_id", "seq"])
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("outbox")
                .col(big_pk_auto("id"))
                .col(string_uniq("message_id"))
                .col(string_uniq("dedupe_key"))
                .col(big_integer_null("case_id"))
                .col(string("template"))
                // an account's address and language are read when the mail is sent; rows
                // for addresses without an account carry them here
                .col(big_integer_null("recipient_account_id"))
                .col(string_null("recipient_email"))
                .col(string_null("locale"))
                .col(text("payload"))
                .col(string("status"))
                .col(integer("attempts").default(0))
                .col(timestamp_with_time_zone("next_attempt_at"))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("sent_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_outbox_status_next", "outbox", &["status", "next_attempt_at"]))
            .await?;
        m.create_index(index("ix_outbox_case", "outbox", &["case_id"])).await?;

        m.create_table(
            Table::create()
                .table("case_sequences")
                .col(integer("roc_year"))
                .col(string("case_type"))
                .col(big_integer("last_value"))
                .primary_key(Index::create().col("roc_year").col("case_type"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("catalogs")
                .col(string("name").primary_key())
                .col(text("content"))
                .col(string("sha256"))
                .col(timestamp_with_time_zone("loaded_at"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("casbin_rules")
                .col(big_pk_auto("id"))
                .col(string("ptype"))
                .col(string("v0").default(""))
                .col(string("v1").default(""))
                .col(string("v2").default(""))
                .col(string("v3").default(""))
                .col(string("v4").default(""))
                .col(string("v5").default(""))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("job_leases")
                .col(string("name").primary_key())
                .col(string("holder"))
                .col(timestamp_with_time_zone("expires_at"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "job_leases",
            "casbin_rules",
            "catalogs",
            "case_sequences",
            "outbox",
            "audit_log",
            "case_documents",
            "cases",
            "documents",
            "cards",
            "api_tokens",
            "accounts",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
