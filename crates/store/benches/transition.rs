//! Persisted transitions per second, beside a plain-SQL baseline from the same run.
//!
//! goldcard's `apply()` (version check + state + hash-chained audit row + outbox row, one
//! transaction) against hand-written SQL doing the same three writes in one transaction.
//! Cases alternate `request_supplement` (1 outbox row) and `submit_supplement` (2 rows).
//!
//!     cargo bench -p goldcard-store --bench transition                 # SQLite, 1 writer
//!     GOLDCARD_BENCH_PG_URL=postgres://… cargo bench -p goldcard-store --bench transition
//!                                                                      # + PostgreSQL, 8 writers
#![allow(clippy::unwrap_used, missing_docs)]

use chrono::{Duration, Utc};
use goldcard_domain::FixedClock;
use goldcard_store::catalogs::{self, CatalogTexts};
use goldcard_store::entity::{accounts, cards, cases};
use goldcard_store::{NewCase, Store, Subject, apply, documents, events};
use goldcard_workflow::{Actor, Decision, EventRequest, Registry, Role, Workflow};
use sea_orm::{ConnectionTrait, Database, DbBackend, EntityTrait, Statement, TransactionTrait, Value};
use serde_json::{Map, json};
use std::sync::Arc;
use std::time::Instant;

struct Bench {
    store: Store,
    workflow: Arc<Workflow>,
    request: Decision,
    submit: Decision,
    case_ids: Vec<i64>,
}

async fn setup(url: &str, cases_n: usize) -> Bench {
    let store = Store::connect(url).await.unwrap();
    store.migrate().await.unwrap();
    let now = FixedClock::parse("2026-11-25T02:00:00Z").unwrap().0;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    catalogs::load_if_empty(store.db(), &CatalogTexts::from_dir(&root.join("seeds")).unwrap(), now)
        .await
        .unwrap();
    let cats = catalogs::read(store.db()).await.unwrap().parse().unwrap();
    let workflow = Workflow::parse("ext", goldcard_workflow::EXTENSION_DEFINITION, &Registry::standard()).unwrap();
    let rules = events::Rules {
        workflow: &workflow,
        catalogs: &cats,
    };
    let mk = |login: &str, role: Role| goldcard_store::accounts::NewAccount {
        login: goldcard_store::accounts::Login::parse(login).unwrap(),
        email: goldcard_domain::Email::parse(&format!("{login}@example.tw")).unwrap(),
        display_name: login.into(),
        role,
        password: None,
        locale: "en".into(),
    };
    let applicant = goldcard_store::accounts::create(store.db(), mk("holder", Role::Applicant), now)
        .await
        .unwrap();
    let reviewer = goldcard_store::accounts::create(store.db(), mk("reviewer", Role::LaborReviewer), now)
        .await
        .unwrap();
    let cashier = goldcard_store::accounts::create(store.db(), mk("cashier", Role::Cashier), now)
        .await
        .unwrap();
    let doc = documents::create(
        store.db(),
        documents::NewDocument {
            sha256: "ab".repeat(32),
            size: 1,
            content_type: "application/pdf".into(),
            original_name: "x.pdf".into(),
            doc_type: "salary_proof".into(),
            uploaded_by: applicant.id,
        },
        now,
    )
    .await
    .unwrap();
    let mut case_ids = Vec::new();
    for i in 0..cases_n {
        let ui = (0..10)
            .map(|d| format!("A8{i:07}{d}"))
            .find(|s| goldcard_domain::UiNumber::parse(s).is_ok())
            .unwrap();
        let card = cards::Entity::insert(cards::ActiveModel {
            id: sea_orm::NotSet,
            ui_number: sea_orm::Set(ui.clone()),
            birth_date: sea_orm::Set(chrono::NaiveDate::from_ymd_opt(1990, 1, 1).unwrap()),
            family_name: sea_orm::Set("Doe".into()),
            given_name: sea_orm::Set("Jane".into()),
            chinese_name: sea_orm::Set(None),
            gender: sea_orm::Set(None),
            nationality: sea_orm::Set("US".into()),
            email: sea_orm::Set("jane@example.com".into()),
            field: sea_orm::Set("digital".into()),
            criterion: sea_orm::Set(Some("1".into())),
            subfield: sea_orm::Set(None),
            catalog_version: sea_orm::Set(1),
            passport_number: sea_orm::Set(None),
            passport_expires_on: sea_orm::Set(None),
            hk_macau: sea_orm::Set(false),
            expires_on: sea_orm::Set(chrono::NaiveDate::from_ymd_opt(2027, 2, 28).unwrap()),
            holder_account_id: sea_orm::Set(None),
            created_at: sea_orm::Set(now),
            updated_at: sea_orm::Set(now),
        })
        .exec_with_returning(store.db())
        .await
        .unwrap();
        let new = NewCase {
            kind: "extension".into(),
            card_id: card.id,
            filer_account_id: applicant.id,
            filer: "self".into(),
            applicant_name: "Jane Doe".into(),
            applicant_email: "jane@example.com".into(),
            ui_number: ui,
            passport_number: None,
            nationality: "US".into(),
            field: "digital".into(),
            criterion: "1".into(),
            subfield: None,
            hk_macau: false,
            expedite: false,
            validity_years: 1,
            fee_twd: 1500,
            form: json!({}),
            documents: vec![],
            consent_id: None,
        };
        let filed = events::file(
            store.db(),
            rules,
            Actor {
                account_id: applicant.id,
                role: Role::Applicant,
            },
            &new,
            now,
        )
        .await
        .unwrap();
        let fire = |who: &accounts::Model, role: Role, event: &'static str, body: serde_json::Value| {
            let store = store.clone();
            let n = filed.case_number.clone();
            let actor = Actor {
                account_id: who.id,
                role,
            };
            async move {
                let p: Map<String, serde_json::Value> = body.as_object().cloned().unwrap();
                let req = EventRequest {
                    event,
                    expected_version: None,
                    payload: &p,
                    reassign_target: None,
                    attachments: &[],
                };
                events::fire(store.db(), rules, actor, &n, req, now).await.unwrap();
            }
        };
        fire(
            &cashier,
            Role::Cashier,
            "pay",
            json!({"amount_twd": 1500, "receipt_no": format!("R{i}")}),
        )
        .await;
        fire(&reviewer, Role::LaborReviewer, "claim", json!({})).await;
        // one supplement upload dated far ahead satisfies every later submit_supplement
        documents::attach(
            store.db(),
            filed.case_id,
            &doc,
            "supplement",
            now + Duration::days(36500),
        )
        .await
        .unwrap();
        case_ids.push(filed.case_id);
    }
    // the two decisions the benchmark alternates, made once by the engine
    let first = cases::Entity::find_by_id(case_ids[0])
        .one(store.db())
        .await
        .unwrap()
        .unwrap();
    let loaded = goldcard_store::cases::load_row(store.db(), first, &cats.catalog)
        .await
        .unwrap();
    let env = rules.env(now);
    let body: Map<String, serde_json::Value> = json!({"items": [{"doc_type": "salary_proof", "note": "payslips"}]})
        .as_object()
        .cloned()
        .unwrap();
    let empty = Map::new();
    let r_actor = Actor {
        account_id: reviewer.id,
        role: Role::LaborReviewer,
    };
    let request = workflow
        .decide(
            &loaded.facts,
            &r_actor,
            &EventRequest {
                event: "request_supplement",
                expected_version: None,
                payload: &body,
                reassign_target: None,
                attachments: &[],
            },
            &env,
        )
        .unwrap();
    let mut in_supplement = loaded.facts.clone();
    in_supplement.state = "supplement".into();
    in_supplement.return_state = Some("labor_review".into());
    in_supplement.supplement = Some(goldcard_workflow::SupplementFacts {
        due_on: env.today + Duration::days(30),
        items: vec!["salary_proof".into()],
        uploaded: vec!["salary_proof".into()],
    });
    let a_actor = Actor {
        account_id: applicant.id,
        role: Role::Applicant,
    };
    let submit = workflow
        .decide(
            &in_supplement,
            &a_actor,
            &EventRequest {
                event: "submit_supplement",
                expected_version: None,
                payload: &empty,
                reassign_target: None,
                attachments: &[],
            },
            &env,
        )
        .unwrap();
    Bench {
        store,
        workflow: Arc::new(workflow),
        request,
        submit,
        case_ids,
    }
}

/// Where a case's chain stands: (case id, number, version, audit length, audit head).
type Head = (i64, String, i64, i64, String);

/// goldcard's path: `apply()` on each case in turn, alternating the two decisions.
async fn run_goldcard(b: &Bench, writers: usize, per_writer: usize, heads: &mut Vec<Head>) -> f64 {
    let start = Instant::now();
    let chunks: Vec<Vec<Head>> = (0..writers)
        .map(|w| heads.iter().skip(w).step_by(writers).cloned().collect())
        .collect();
    let mut handles = Vec::new();
    for chunk in chunks {
        let store = b.store.clone();
        let workflow = b.workflow.clone();
        let (request, submit) = (b.request.clone(), b.submit.clone());
        handles.push(tokio::spawn(async move {
            let mut local: Vec<Head> = chunk;
            for k in 0..per_writer {
                let slot = k % local.len();
                let (case_id, number, version, audit_seq, head) = local[slot].clone();
                let decision = if version % 2 == 1 { &request } else { &submit };
                let subject = Subject::Existing {
                    case_id,
                    case_number: &number,
                    version,
                    audit_seq,
                    audit_head: &head,
                };
                let done = apply(store.db(), &workflow, subject, decision, Utc::now())
                    .await
                    .unwrap();
                local[slot] = (case_id, number, done.version, done.audit_seq, done.audit_head);
            }
            local
        }));
    }
    let mut updated = Vec::new();
    for h in handles {
        updated.extend(h.await.unwrap());
    }
    let elapsed = start.elapsed().as_secs_f64();
    *heads = updated;
    (writers * per_writer) as f64 / elapsed
}

/// The baseline: the same three writes as plain SQL in one transaction.
async fn run_plain(store: &Store, backend: DbBackend, writers: usize, per_writer: usize, case_ids: &[i64]) -> f64 {
    // the same pool (and so the same SQLite pragmas) as goldcard's path
    let db = store.db().clone();
    let start = Instant::now();
    let mut handles = Vec::new();
    for w in 0..writers {
        let db = db.clone();
        let ids: Vec<i64> = case_ids.iter().skip(w).step_by(writers).copied().collect();
        handles.push(tokio::spawn(async move {
            let ph = |n: usize| if backend == DbBackend::Postgres { format!("${n}") } else { "?".to_string() };
            let update = format!(
                "UPDATE cases SET state = {}, version = version + 1, audit_seq = audit_seq + 1 WHERE id = {} AND version = version",
                ph(1),
                ph(2)
            );
            let insert_audit = format!(
                "INSERT INTO audit_log (case_id, seq, event, from_state, to_state, actor_id, actor_role, at, payload, payload_digest, prev_hash, hash) \
                 VALUES ({}, (SELECT audit_seq FROM cases WHERE id = {}), 'bench', 'labor_review', 'supplement', 1, 'labor_reviewer', {}, '{{}}', 'd', 'p', 'h')",
                ph(1), ph(2), ph(3)
            );
            let insert_outbox = format!(
                "INSERT INTO outbox (message_id, dedupe_key, case_id, template, recipient_email, locale, payload, status, attempts, next_attempt_at, created_at) \
                 VALUES ({}, {}, {}, 'bench', 'x@example.tw', 'en', '{{}}', 'sent', 0, {}, {})",
                ph(1), ph(2), ph(3), ph(4), ph(5)
            );
            for k in 0..per_writer {
                let id = ids[k % ids.len()];
                let key = format!("plain-{w}-{k}-{}", rand::random::<u64>());
                let now = Utc::now();
                let txn = db.begin().await.unwrap();
                txn.execute_raw(Statement::from_sql_and_values(backend, &update, [Value::from("supplement"), Value::from(id)]))
                    .await
                    .unwrap();
                txn.execute_raw(Statement::from_sql_and_values(backend, &insert_audit, [Value::from(id), Value::from(id), Value::from(now)]))
                    .await
                    .unwrap();
                txn.execute_raw(Statement::from_sql_and_values(
                    backend,
                    &insert_outbox,
                    [Value::from(key.clone()), Value::from(key), Value::from(id), Value::from(now), Value::from(now)],
                ))
                .await
                .unwrap();
                txn.commit().await.unwrap();
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    (writers * per_writer) as f64 / start.elapsed().as_secs_f64()
}

async fn bench(label: &str, url: &str, backend: DbBackend, writers: usize, per_writer: usize) {
    let mut b = setup(url, writers * 8).await;
    // the baseline writes to cases of its own, so goldcard's versions stay its own
    let baseline_cases = b.case_ids.split_off(writers * 4);
    let mut heads: Vec<Head> = Vec::new();
    for id in &b.case_ids {
        let c = cases::Entity::find_by_id(*id).one(b.store.db()).await.unwrap().unwrap();
        heads.push((c.id, c.case_number, c.version, c.audit_seq, c.audit_head));
    }
    // warm up both paths, then alternate three rounds each and keep the medians
    run_goldcard(&b, writers, per_writer / 10, &mut heads).await;
    let mut gold = Vec::new();
    let mut plain = Vec::new();
    for _ in 0..3 {
        gold.push(run_goldcard(&b, writers, per_writer, &mut heads).await);
        plain.push(run_plain(&b.store, backend, writers, per_writer, &baseline_cases).await);
    }
    gold.sort_by(f64::total_cmp);
    plain.sort_by(f64::total_cmp);
    let (g, p) = (gold[1], plain[1]);
    let report = goldcard_store::audit::verify(b.store.db()).await.unwrap();
    assert!(
        report.first_break.is_some(),
        "the baseline's rows are not chained: verify must notice them"
    );
    println!(
        "{label}: {writers} writer(s), {per_writer} transitions each x3 | goldcard apply(): {g:.0}/s | plain SQL: {p:.0}/s | ratio {:.2}",
        g / p
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        if std::env::args().any(|a| a == "--list") {
            return; // nothing for test harnesses to list
        }
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
        bench("SQLite WAL", &url, DbBackend::Sqlite, 1, 5000).await;
        if let Ok(admin) = std::env::var("GOLDCARD_BENCH_PG_URL") {
            let name = format!("gc_bench_{}", rand::random::<u32>());
            let conn = Database::connect(&admin).await.unwrap();
            conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
            bench("PostgreSQL", &url, DbBackend::Postgres, 8, 1500).await;
            conn.execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .await
                .unwrap();
        } else {
            println!("PostgreSQL: set GOLDCARD_BENCH_PG_URL to an admin URL to measure it too");
        }
    });
}
