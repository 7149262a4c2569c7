//! Bulk import of whole case histories: synthetic load data (`goldcard seed --cases`) and
//! histories carried over from an earlier system.
//!
//! Every event of an imported history is decided by the workflow engine, one after the
//! other, on the case's facts as the previous decision left them, and the decision is
//! turned into row values by the same mapping [`crate::apply`] uses. Only the writing
//! differs: the final case row, its hash-chained audit rows and its document rows are
//! written for many cases at once, in multi-row inserts, inside one [`BulkLoad`]: a single
//! transaction for the whole load, so that a load that fails or is killed leaves nothing
//! behind. An imported history is the past, so it writes no mail to the outbox.
//!
//! A load drops the loaded tables' secondary (non-unique) indexes when it begins and builds
//! each again from its own definition, read from the database's catalog, before it
//! commits: one sorted build per index instead of a million inserts in random key order.
//! Unique indexes stay, so every uniqueness rule holds during the load.
//!
//! What an import cannot do, it refuses with [`StoreError::Invalid`]: attaching
//! documents after filing (supplement and consultation uploads) and issuing a case whose
//! filing asks for the passport on the card to be replaced. Those histories go through
//! [`crate::events::fire`] one event at a time.

use crate::audit::{GENESIS, audit_time};
use crate::cases::facts_of;
use crate::entity::{audit_log, cards, case_documents, cases, documents};
use crate::error::StoreError;
use crate::events::{FireError, Rules};
use crate::transition::{AuditRow, NewCase, change_columns, new_case_row, reserve_case_numbers};
use chrono::{DateTime, NaiveDate, Utc};
use goldcard_domain::CaseNumber;
use goldcard_workflow::{Actor, Change, EventRequest};
use sea_orm::sea_query::{CaseStatement, Expr};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityName, EntityTrait,
    IdenStatic, Iterable, QueryFilter, QueryTrait, Statement, TransactionTrait, TryIntoModel,
};
use serde_json::{Map, Value};

/// Rows per `INSERT`: under SQLite's 32,766 bound parameters for the widest row (cases).
const ROWS_PER_INSERT: usize = 500;

/// One event of an imported history.
#[derive(Debug, Clone)]
pub struct ImportStep {
    /// Who fired it.
    pub actor: Actor,
    /// The event's name.
    pub event: String,
    /// Its payload.
    pub payload: Map<String, Value>,
    /// When.
    pub at: DateTime<Utc>,
}

/// A document uploaded with the filing: its metadata, the bytes being in the blob store
/// under `sha256` already.
#[derive(Debug, Clone)]
pub struct ImportDocument {
    /// Public id (`doc_…`), unique.
    pub public_id: String,
    /// Content hash of bytes already in the blob store.
    pub sha256: String,
    /// Size in bytes.
    pub size: i64,
    /// `application/pdf`, `image/jpeg`, `image/png`.
    pub content_type: String,
    /// The name shown.
    pub original_name: String,
    /// Document type code from the catalog.
    pub doc_type: String,
}

/// A case to import: its filing and the events that followed.
#[derive(Debug, Clone)]
pub struct ImportCase {
    /// The filing (its `documents` must be empty: see `documents`).
    pub new: NewCase,
    /// Who filed.
    pub filed_by: Actor,
    /// When.
    pub filed_at: DateTime<Utc>,
    /// The card's expiry at filing.
    pub card_expires_on: NaiveDate,
    /// Documents uploaded with the filing.
    pub documents: Vec<ImportDocument>,
    /// The events after filing, in order.
    pub steps: Vec<ImportStep>,
}

/// A history decided in memory, ready to write.
#[derive(Debug, Clone)]
pub struct DecidedCase {
    row: cases::ActiveModel,
    audits: Vec<audit_log::ActiveModel>,
    documents: Vec<ImportDocument>,
    filed_at: DateTime<Utc>,
    card_id: i64,
    new_card_expiry: Option<NaiveDate>,
}

impl DecidedCase {
    /// The state the history ends in.
    pub fn state(&self) -> Option<&str> {
        match &self.row.state {
            sea_orm::ActiveValue::Set(s) | sea_orm::ActiveValue::Unchanged(s) => Some(s),
            NotSet => None,
        }
    }
}

/// Decides a history: the create event and then each step, every one by the engine on the
/// facts the previous one left. Pure: nothing is read or written.
pub fn decide(rules: Rules<'_>, number: &CaseNumber, case: &ImportCase) -> Result<DecidedCase, FireError> {
    if !case.new.documents.is_empty() {
        return Err(FireError::Store(StoreError::Invalid(
            "imported filings list their documents in ImportCase::documents".into(),
        )));
    }
    let workflow = rules.workflow;
    let number_text = number.as_str();
    let empty = Map::new();
    let filed_at = audit_time(case.filed_at);
    let created = workflow.decide_create(&case.filed_by, case.new.hk_macau, &empty, &rules.env(filed_at))?;
    let first = AuditRow::new(number_text, 1, GENESIS, &created, filed_at);
    let mut row = new_case_row(workflow, number_text, &case.new, &created, 1, &first.hash, filed_at);
    row.id = Set(0); // in memory only, so that the row reads back as a model
    let (mut seq, mut head) = (1, first.hash.clone());
    let mut audits = vec![first.into_model(0)];
    let mut card_expires_on = case.card_expires_on;
    let mut new_card_expiry = None;
    for step in &case.steps {
        let at = audit_time(step.at);
        let model = row
            .clone()
            .try_into_model()
            .map_err(|e| StoreError::Corrupt(format!("case {number_text} in memory: {e}")))?;
        let facts = facts_of(&model, card_expires_on, Vec::new(), &rules.catalogs.catalog)?;
        let request = EventRequest {
            event: &step.event,
            expected_version: None,
            payload: &step.payload,
            reassign_target: None,
            attachments: &[],
        };
        let decision = workflow.decide(&facts, &step.actor, &request, &rules.env(at))?;
        for change in &decision.changes {
            match change {
                Change::AttachDocuments { .. } => {
                    return Err(FireError::Store(StoreError::Invalid(format!(
                        "case {number_text}: `{}` attaches documents, which an import cannot do",
                        step.event
                    ))));
                }
                Change::ExtendCard { new_expires_on } => {
                    if case.new.form["passport"]["update"].as_bool() == Some(true) {
                        return Err(FireError::Store(StoreError::Invalid(format!(
                            "case {number_text}: issuing replaces the card's passport, which an import cannot do"
                        ))));
                    }
                    card_expires_on = *new_expires_on;
                    new_card_expiry = Some(*new_expires_on);
                }
                _ => {}
            }
        }
        let audit = AuditRow::new(number_text, seq + 1, &head, &decision, at);
        for (column, value) in change_columns(workflow, &decision, audit.seq, &audit.hash, at)? {
            row.try_set(column, value)
                .map_err(|e| StoreError::Corrupt(format!("case {number_text}: {e}")))?;
        }
        row.version = Set(model.version + 1);
        (seq, head) = (audit.seq, audit.hash.clone());
        audits.push(audit.into_model(0));
    }
    row.id = NotSet;
    Ok(DecidedCase {
        row,
        audits,
        documents: case.documents.clone(),
        filed_at,
        card_id: case.new.card_id,
        new_card_expiry,
    })
}

/// The tables a bulk load writes.
const LOADED_TABLES: [&str; 5] = ["cards", "cases", "audit_log", "documents", "case_documents"];

/// The tables whose ids a bulk load gives itself (cards take theirs from the sequence).
const NUMBERED_TABLES: [&str; 4] = ["cases", "audit_log", "documents", "case_documents"];

/// A bulk load in progress: one transaction from [`BulkLoad::begin`] to
/// [`BulkLoad::finish`]; dropped without `finish`, it rolls back and the secondary indexes
/// it dropped come back with it.
///
/// It holds its tables for its whole run: on PostgreSQL an exclusive lock on each (which
/// `DROP INDEX` needs anyway), on SQLite the database's write lock. A load is for a
/// database not in service (`goldcard seed` refuses one in production).
pub struct BulkLoad {
    txn: DatabaseTransaction,
    /// SQLite: the connection whose database the load switched from WAL to a rollback
    /// journal, to switch back when it ends.
    wal_after: Option<DatabaseConnection>,
    failed: bool,
    rebuild: Vec<(String, String)>,
    first_ids: Numbering,
}

/// The ids a load gives its rows, from each table's largest id plus one, advanced by every
/// batch [`prepare`]d: batches must be written in the order they were prepared.
#[derive(Debug, Clone)]
pub struct Numbering {
    backend: DbBackend,
    next_case: i64,
    next_audit: i64,
    next_document: i64,
    next_link: i64,
}

impl Numbering {
    /// The id the next case prepared will get.
    pub fn next_case_id(&self) -> i64 {
        self.next_case
    }
}

/// Decided histories made ready to write by [`prepare`]: their rows numbered and their
/// statements built, so that writing them is only handing the statements to the database.
#[derive(Debug, Default)]
pub struct PreparedBatch {
    statements: Vec<Statement>,
}

impl PreparedBatch {
    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }
}

impl std::fmt::Debug for BulkLoad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkLoad")
            .field("rebuild", &self.rebuild.len())
            .field("first_ids", &self.first_ids)
            .finish_non_exhaustive()
    }
}

/// Sets SQLite's journal mode and returns the mode in force afterwards (lower case; SQLite
/// keeps WAL while other connections have the database open).
async fn journal_mode(db: &DatabaseConnection, mode: &str) -> Result<String, StoreError> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            format!("PRAGMA journal_mode = {mode}"),
        ))
        .await?
        .ok_or_else(|| StoreError::Corrupt("PRAGMA journal_mode answered nothing".into()))?;
    Ok(row.try_get::<String>("", "journal_mode")?.to_lowercase())
}

/// The next id of `table`: its largest id plus one.
async fn next_id(txn: &DatabaseTransaction, table: &str) -> Result<i64, StoreError> {
    let row = txn
        .query_one_raw(Statement::from_string(
            txn.get_database_backend(),
            format!("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM {table}"),
        ))
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("no MAX(id) from {table}")))?;
    Ok(row.try_get::<i64>("", "next")?)
}

impl BulkLoad {
    /// Begins a load: opens the transaction (on PostgreSQL, locking the loaded tables at
    /// once, or failing at once when another session holds them, since the load numbers
    /// its rows itself and drops indexes) and drops the loaded tables' secondary indexes,
    /// remembering their definitions.
    ///
    /// On SQLite the load runs with a rollback journal instead of WAL when it is the
    /// database's only connection (`goldcard seed`): the new pages then go straight to the
    /// database file (a page the load adds needs no journal entry), where in WAL mode all of
    /// them went to the log first and every page read back had to be looked up in a log of
    /// millions of frames, then copied again by the checkpoint. The transaction is as atomic
    /// either way: killed midway, the journal rolls it back when the database is next
    /// opened. The database is WAL again when the load ends, and on its next opening in any
    /// case ([`crate::Store::connect`] asks for WAL). With other connections open, SQLite
    /// keeps WAL and the load runs in it.
    pub async fn begin(db: &DatabaseConnection) -> Result<BulkLoad, StoreError> {
        let wal_after = match db.get_database_backend() {
            DbBackend::Sqlite => (journal_mode(db, "DELETE").await? == "delete").then(|| db.clone()),
            _ => None,
        };
        let txn = db.begin().await?;
        let backend = txn.get_database_backend();
        let tables = LOADED_TABLES.map(|t| format!("'{t}'")).join(", ");
        let (query, name_col, sql_col) = match backend {
            DbBackend::Postgres => {
                txn.execute_unprepared(&format!(
                    "LOCK TABLE {} IN ACCESS EXCLUSIVE MODE NOWAIT",
                    LOADED_TABLES.join(", ")
                ))
                .await?;
                (
                    format!(
                        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() \
                         AND tablename IN ({tables}) AND indexdef NOT LIKE 'CREATE UNIQUE%' ORDER BY indexname"
                    ),
                    "indexname",
                    "indexdef",
                )
            }
            _ => (
                format!(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({tables}) \
                     AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY name"
                ),
                "name",
                "sql",
            ),
        };
        let mut rebuild = Vec::new();
        for row in txn.query_all_raw(Statement::from_string(backend, query)).await? {
            rebuild.push((
                row.try_get::<String>("", name_col)?,
                row.try_get::<String>("", sql_col)?,
            ));
        }
        for (name, _) in &rebuild {
            txn.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        Ok(BulkLoad {
            first_ids: Numbering {
                backend,
                next_case: next_id(&txn, "cases").await?,
                next_audit: next_id(&txn, "audit_log").await?,
                next_document: next_id(&txn, "documents").await?,
                next_link: next_id(&txn, "case_documents").await?,
            },
            txn,
            wal_after,
            failed: false,
            rebuild,
        })
    }

    /// The load's transaction, for the other writes of the same load (cards, case
    /// numbers, reads of what the load wrote so far).
    pub fn txn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    /// The ids the load's first batch gets: the caller advances them through [`prepare`]
    /// (the only numbering of this load, so take them once).
    pub fn numbering(&self) -> Numbering {
        self.first_ids.clone()
    }

    /// Reserves `n` case numbers of the year of `at`, in order (one bump of the sequence).
    pub async fn reserve_numbers(
        &self,
        rules: Rules<'_>,
        at: DateTime<Utc>,
        n: u32,
    ) -> Result<Vec<CaseNumber>, StoreError> {
        reserve_case_numbers(&self.txn, &rules.workflow.case_type, at, n).await
    }

    /// Writes a batch made by [`prepare`] (batches in the order they were prepared).
    /// After an error the load is spoiled: [`BulkLoad::finish`] then rolls it back, since
    /// part of the batch may have been written.
    pub async fn write(&mut self, batch: PreparedBatch) -> Result<(), StoreError> {
        self.failed = true;
        for statement in batch.statements {
            self.txn.execute_raw(statement).await.map_err(|e| {
                if StoreError::is_unique_violation(&e, "open_card") {
                    StoreError::ExtensionPending
                } else {
                    StoreError::Db(e)
                }
            })?;
        }
        self.failed = false;
        Ok(())
    }

    /// Builds the dropped indexes again, brings PostgreSQL's id sequences past the rows
    /// the load numbered, and commits. `progress` is told each index as it is built.
    pub async fn finish(self, progress: impl Fn(&str)) -> Result<(), StoreError> {
        let wal_after = self.wal_after.clone();
        let ended = self.end(progress).await;
        if let Some(db) = wal_after {
            let mode = journal_mode(&db, "WAL").await?;
            if mode != "wal" {
                return Err(StoreError::Corrupt(format!(
                    "the database stayed in journal mode {mode} after a bulk load"
                )));
            }
        }
        ended
    }

    async fn end(self, progress: impl Fn(&str)) -> Result<(), StoreError> {
        let txn = self.txn;
        if self.failed {
            txn.rollback().await?;
            return Err(StoreError::Invalid(
                "a write of this bulk load failed; the load is rolled back".into(),
            ));
        }
        for (name, sql) in &self.rebuild {
            progress(name);
            txn.execute_unprepared(sql).await?;
        }
        if txn.get_database_backend() == DbBackend::Postgres {
            // the tables the load numbered itself: their sequences move past its rows, and
            // never back
            for table in NUMBERED_TABLES {
                txn.execute_unprepared(&format!(
                    "SELECT setval(s, GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), \
                     COALESCE(pg_sequence_last_value(s), 0), 1), true) \
                     FROM (SELECT pg_get_serial_sequence('{table}', 'id')::regclass AS s) AS q"
                ))
                .await?;
            }
        }
        txn.commit().await?;
        Ok(())
    }
}

/// Makes decided histories ready to write, with no database at hand (so it can run on
/// another thread while the previous batch is written): numbers their rows from `ids` and
/// builds the statements for document metadata, case rows, audit rows, the filing's
/// document links and the issued cards' new expiry dates, in that order (rows before the
/// rows that point at them).
pub fn prepare(
    ids: &mut Numbering,
    decided: Vec<DecidedCase>,
    now: DateTime<Utc>,
) -> Result<PreparedBatch, StoreError> {
    let backend = ids.backend;
    let mut documents_rows = Vec::new();
    let mut case_rows = Vec::with_capacity(decided.len());
    let mut audits = Vec::new();
    let mut links = Vec::new();
    let mut card_updates: Vec<(i64, NaiveDate)> = Vec::new();
    for d in decided {
        let case_id = ids.next_case;
        ids.next_case += 1;
        let filer = match &d.row.filer_account_id {
            Set(id) => *id,
            _ => 0,
        };
        for doc in d.documents {
            let document_id = ids.next_document;
            ids.next_document += 1;
            links.push(case_documents::ActiveModel {
                id: Set(ids.next_link),
                case_id: Set(case_id),
                document_id: Set(document_id),
                doc_type: Set(doc.doc_type.clone()),
                purpose: Set("filing".into()),
                carried_over: Set(false),
                added_at: Set(d.filed_at),
            });
            ids.next_link += 1;
            documents_rows.push(documents::ActiveModel {
                id: Set(document_id),
                public_id: Set(doc.public_id),
                sha256: Set(doc.sha256),
                size: Set(doc.size),
                content_type: Set(doc.content_type),
                original_name: Set(crate::documents::display_name(&doc.original_name)),
                doc_type: Set(doc.doc_type),
                uploaded_by: Set(filer),
                created_at: Set(d.filed_at),
            });
        }
        for mut a in d.audits {
            a.id = Set(ids.next_audit);
            ids.next_audit += 1;
            a.case_id = Set(case_id);
            audits.push(a);
        }
        if let Some(expiry) = d.new_card_expiry {
            card_updates.push((d.card_id, expiry));
        }
        let mut row = d.row;
        row.id = Set(case_id);
        case_rows.push(row);
    }
    let mut statements = Vec::new();
    insert_rows(&mut statements, backend, documents_rows, ROWS_PER_INSERT * 2)?;
    insert_rows(&mut statements, backend, case_rows, ROWS_PER_INSERT)?;
    insert_rows(&mut statements, backend, audits, ROWS_PER_INSERT * 2)?;
    insert_rows(&mut statements, backend, links, ROWS_PER_INSERT * 2)?;
    // issued cases extend their card: one UPDATE … CASE id WHEN … per chunk
    for part in card_updates.chunks(ROWS_PER_INSERT) {
        let mut expiry = CaseStatement::new();
        for (card_id, on) in part {
            expiry = expiry.case(cards::Column::Id.eq(*card_id), Expr::val(*on));
        }
        let expiry = expiry.finally(Expr::col(cards::Column::ExpiresOn));
        statements.push(
            cards::Entity::update_many()
                .col_expr(cards::Column::ExpiresOn, expiry.into())
                .col_expr(cards::Column::UpdatedAt, Expr::value(now))
                .filter(cards::Column::Id.is_in(part.iter().map(|(id, _)| *id)))
                .build(backend),
        );
    }
    Ok(PreparedBatch { statements })
}

/// Adds the statements inserting `rows` of one table, in multi-row statements of up to
/// `per_statement` rows, every column given. The statement's text is written once per size
/// and used again, so the driver prepares it once (its statement cache is keyed by the
/// text), and each value is moved out of its row rather than copied into a query builder.
fn insert_rows<A>(
    statements: &mut Vec<Statement>,
    backend: DbBackend,
    rows: Vec<A>,
    per_statement: usize,
) -> Result<(), StoreError>
where
    A: ActiveModelTrait,
{
    let columns: Vec<<A::Entity as EntityTrait>::Column> = <A::Entity as EntityTrait>::Column::iter().collect();
    let table = A::Entity::default().table_name();
    let mut full_size: Option<String> = None;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut values = Vec::with_capacity(per_statement * columns.len());
        let mut count = 0;
        for mut row in rows.by_ref().take(per_statement) {
            for column in &columns {
                values.push(
                    row.take(*column).into_value().ok_or_else(|| {
                        StoreError::Invalid(format!("a bulk row of {table} lacks {}", column.as_str()))
                    })?,
                );
            }
            count += 1;
        }
        let sql = if count == per_statement {
            full_size
                .get_or_insert_with(|| insert_sql(backend, table, &columns, count))
                .clone()
        } else {
            insert_sql(backend, table, &columns, count)
        };
        statements.push(Statement::from_sql_and_values(backend, sql, values));
    }
    Ok(())
}

/// `INSERT INTO table (columns) VALUES (…), …` for `rows` rows, in the backend's
/// placeholder style.
fn insert_sql<C: IdenStatic>(backend: DbBackend, table: &str, columns: &[C], rows: usize) -> String {
    use std::fmt::Write;
    let names: Vec<String> = columns.iter().map(|c| format!("\"{}\"", c.as_str())).collect();
    let mut sql = format!("INSERT INTO \"{table}\" ({}) VALUES ", names.join(", "));
    let mut n = 0;
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..columns.len() {
            if c > 0 {
                sql.push_str(", ");
            }
            n += 1;
            match backend {
                DbBackend::Postgres => {
                    let _ = write!(sql, "${n}");
                }
                _ => sql.push('?'),
            }
        }
        sql.push(')');
    }
    sql
}
