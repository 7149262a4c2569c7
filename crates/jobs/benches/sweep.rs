//! The daily scheduler sweep over 1,000,000 cards (targets.md: ≤ 3 s, and a second run the
//! same day sends nothing), on SQLite and on PostgreSQL.
//!
//! `cargo bench -p goldcard-jobs --bench sweep` (PostgreSQL too when GOLDCARD_TEST_PG_URL
//! is set, e.g. after `eval "$(scripts/test-services)"`). GOLDCARD_BENCH_CARDS changes the
//! number of cards. For each database it prints the sweep (the three window jobs,
//! first and second run of the day) beside its baseline from the same run: the plain SQL
//! read of the same cards the sweep must at least look at.
#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use goldcard_jobs::{Jobs, Outcome, run};
use goldcard_mail::{Letterhead, Transport};
use goldcard_store::Store;
use goldcard_store::catalogs::{self, CatalogTexts};
use goldcard_tests::{Db, fresh_database};
use goldcard_workflow::{Registry, Workflow};
use sea_orm::{ConnectionTrait, Statement};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

const WINDOW_JOBS: [&str; 3] = [
    "window_open_reminders",
    "window_closing_reminders",
    "window_lock_notices",
];

fn as_of() -> DateTime<Utc> {
    "2026-11-25T00:05:00Z".parse().unwrap()
}

/// `n` cards whose expiry dates spread evenly over three years from 2026-06-01.
async fn insert_cards(db: &sea_orm::DatabaseConnection, n: usize) {
    let first = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
    let span = 3 * 365;
    let mut i = 0;
    while i < n {
        let end = (i + 2_000).min(n);
        let values: Vec<String> = (i..end)
            .map(|k| {
                let expires = first + TimeDelta::days((k % span) as i64);
                format!(
                    "('B{k:09}', '1985-03-04', 'DOE', 'JANE', 'US', 'holder{k}@example.com', 'digital', '{expires}', false, 1, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')"
                )
            })
            .collect();
        db.execute_unprepared(&format!(
            "INSERT INTO cards (ui_number, birth_date, family_name, given_name, nationality, email, field, expires_on, hk_macau, catalog_version, created_at, updated_at) VALUES {}",
            values.join(",")
        ))
        .await
        .unwrap();
        i = end;
    }
}

async fn sweep(jobs: &Jobs) -> (f64, u64) {
    let start = Instant::now();
    let mut written = 0;
    for job in WINDOW_JOBS {
        match run(jobs, job, as_of()).await.unwrap() {
            Outcome::Ran(r) => written += r.mails_written,
            other => panic!("{job}: {other:?}"),
        }
    }
    (start.elapsed().as_secs_f64(), written)
}

/// The baseline: plain SQL reading the cards of the same expiry ranges.
async fn plain_read(db: &sea_orm::DatabaseConnection) -> (f64, usize) {
    let ranges = [
        ("2027-03-14", "2027-03-29"),
        ("2027-01-01", "2027-01-13"),
        ("2026-12-15", "2026-12-29"),
    ];
    let start = Instant::now();
    let mut rows = 0;
    for (lo, hi) in ranges {
        rows += db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                format!(
                    "SELECT * FROM cards WHERE expires_on BETWEEN '{lo}' AND '{hi}' AND NOT EXISTS (SELECT 1 FROM cases WHERE cases.open_card_id = cards.id)"
                ),
            ))
            .await
            .unwrap()
            .len();
    }
    (start.elapsed().as_secs_f64(), rows)
}

async fn bench(db: Db, cards: usize) {
    let fresh = fresh_database(db).await;
    let store = Store::connect(&fresh.url).await.unwrap();
    store.migrate().await.unwrap();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let texts = CatalogTexts::from_dir(&root.join("seeds")).unwrap();
    catalogs::load_if_empty(store.db(), &texts, as_of()).await.unwrap();
    let catalogs = catalogs::read(store.db()).await.unwrap().parse().unwrap();
    let workflow = Workflow::parse(
        "gold-card-extension.toml",
        goldcard_workflow::EXTENSION_DEFINITION,
        &Registry::standard(),
    )
    .unwrap();
    let started = Instant::now();
    insert_cards(store.db(), cards).await;
    println!(
        "{db:?}: {cards} cards inserted in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let outbox = tempfile::tempdir().unwrap();
    let jobs = Jobs {
        db: store.db().clone(),
        workflow: Arc::new(workflow),
        catalogs: Arc::new(catalogs),
        mailer: Transport::from_config(None, outbox.path()).unwrap(),
        letterhead: Letterhead::parse("Gold Card Office <no-reply@goldcard.example>").unwrap(),
        holder: Jobs::instance_name(),
    };
    let (base, rows) = plain_read(store.db()).await;
    let (first, written) = sweep(&jobs).await;
    let (second, again) = sweep(&jobs).await;
    let (base2, _) = plain_read(store.db()).await;
    let base = base.min(base2);
    println!(
        "{db:?}: baseline plain SQL read of the swept ranges: {rows} cards in {:.3} s",
        base
    );
    println!(
        "{db:?}: first sweep of the day:  {first:.3} s, {written} mails written (ratio to baseline {:.1}×)",
        first / base
    );
    println!(
        "{db:?}: second sweep same day:  {second:.3} s, {again} mails written (ratio to baseline {:.1}×)",
        second / base
    );
    assert_eq!(again, 0, "a second run the same day wrote mail");
    store.close().await.unwrap();
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo test --benches` runs benches with --bench absent: keep that quick
    let cards: usize = std::env::var("GOLDCARD_BENCH_CARDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if std::env::args().any(|a| a == "--bench") {
            1_000_000
        } else {
            10_000
        });
    bench(Db::Sqlite, cards).await;
    if std::env::var("GOLDCARD_TEST_PG_URL").is_ok() {
        bench(Db::Postgres, cards).await;
    } else {
        println!("PostgreSQL: not measured (GOLDCARD_TEST_PG_URL is not set)");
    }
}
