//! Faults inflicted on the real `goldcard serve` (targets.md, "Reliability"):
//!
//! - killed with SIGKILL in the middle of a stream of filings, events and signed payment
//!   notifications, on SQLite and PostgreSQL: after a restart every case's state is the
//!   `to` of its last audit row, `goldcard audit verify` passes, the stream carries on, and
//!   the outbox dispatcher delivers every notification to a real SMTP server once;
//! - its PostgreSQL server restarted under load (a throwaway cluster of the test's own, on
//!   its own port): requests fail fast with 503 `unavailable` in the error shape, never a
//!   500 or a hang, and the service recovers by itself.
//!
//! Covered elsewhere: 100 concurrent conflicting events on one case (tests/api.rs,
//! `conflicts`); an SMTP server down, then back, or restarted mid-run
//! (crates/mail/tests/dispatch.rs); two instances on one PostgreSQL sending each reminder
//! once (tests/jobs.rs).
#![allow(clippy::unwrap_used, missing_docs)]

use goldcard_tests::api_app::*;
use goldcard_tests::smtp::{Handler, SmtpServer};
use goldcard_tests::{Db, Env, on_both, text};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, TcpListener};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

async fn rows(env: &Env, sql: &str) -> Vec<sea_orm::QueryResult> {
    let db = env.db().await;
    let out = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql.to_string()))
        .await
        .unwrap();
    db.close().await.unwrap();
    out
}

// ------------------------------------------------------------------ SIGKILL mid-stream

/// The cards of the stream: each gets one case.
fn stream_cards(n: usize) -> Vec<Card> {
    (0..n)
        .map(|i| {
            let mut c = card(&ui_number('F', &format!("8{:07}", 100 + i)), "1990-01-01", OPEN);
            c.passport = "P12345678";
            c
        })
        .collect()
}

/// The next step of a case on its way to `issued`, as (login, event body); `None` when done.
fn next_step(state: &str, assignee: Option<&str>) -> Option<(&'static str, Value)> {
    match (state, assignee) {
        ("paid", _) => Some(("reviewer1", json!({"event": "claim"}))),
        ("labor_review", _) => Some(("reviewer1", json!({"event": "approve"}))),
        ("immigration_review", None) => Some(("officer1", json!({"event": "claim"}))),
        ("immigration_review", Some(_)) => Some(("officer1", json!({"event": "issue"}))),
        _ => None,
    }
}

/// Drives the case of `c` to `issued`: files it (unless a case exists: the filing may have
/// committed before a crash without its answer arriving), pays it with a signed
/// notification (a repeat of the same receipt is harmless), claims, approves, claims,
/// issues. Stops at the first failure to reach the server; counts answered transitions.
async fn drive(app: &App, c: &Card, done: &AtomicUsize) -> Result<(), String> {
    let err = |e: reqwest::Error| e.to_string();
    let existing = app
        .http
        .get(app.url(&format!("/api/v1/cards/{}", c.ui)))
        .bearer_auth(app.token("reviewer1"))
        .send()
        .await
        .map_err(err)?;
    let (s, card_view) = App::answer(existing).await;
    if s != 200 {
        return Err(format!("card {}: {s} {card_view}", c.ui));
    }
    let n = match card_view["cases"].as_array().and_then(|a| a.first()) {
        Some(case) => case["case_number"].as_str().unwrap().to_string(),
        None => {
            let mut docs = Vec::new();
            for (doc_type, bytes, name) in FILING_DOCS {
                let form = reqwest::multipart::Form::new()
                    .text("doc_type", doc_type.to_string())
                    .part("file", reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name));
                let resp = app
                    .http
                    .post(app.url("/api/v1/documents"))
                    .bearer_auth(app.token("alice"))
                    .multipart(form)
                    .send()
                    .await
                    .map_err(err)?;
                let (s, body) = App::answer(resp).await;
                if s != 201 {
                    return Err(format!("upload: {s} {body}"));
                }
                docs.push(body["document_id"].as_str().unwrap().to_string());
            }
            let resp = app
                .http
                .post(app.url("/api/v1/extensions"))
                .bearer_auth(app.token("alice"))
                .json(&filing(c, &docs))
                .send()
                .await
                .map_err(err)?;
            let (s, body) = App::answer(resp).await;
            if s != 201 {
                return Err(format!("filing {}: {s} {body}", c.ui));
            }
            done.fetch_add(1, Ordering::SeqCst);
            body["case_number"].as_str().unwrap().to_string()
        }
    };
    for _ in 0..10 {
        let resp = app
            .http
            .get(app.url(&format!("/api/v1/cases/{n}")))
            .bearer_auth(app.token("reviewer1"))
            .send()
            .await
            .map_err(err)?;
        let (s, case) = App::answer(resp).await;
        if s != 200 {
            return Err(format!("case {n}: {s} {case}"));
        }
        let state = case["state"].as_str().unwrap();
        let (s, body) = if state == "submitted" {
            let body = json!({"case_number": n, "amount_twd": case["fee_twd"], "receipt_no": format!("R-{n}"),
                "paid_at": "2026-11-25T02:05:00Z"});
            let raw = serde_json::to_vec(&body).unwrap();
            let resp = app
                .http
                .post(app.url("/api/v1/payments/notify"))
                .header("Content-Type", "application/json")
                .header("X-Goldcard-Signature", sign(SECRET, &raw))
                .body(raw)
                .send()
                .await
                .map_err(err)?;
            App::answer(resp).await
        } else {
            let Some((login, event)) = next_step(state, case["assignee"]["login"].as_str()) else {
                return Ok(());
            };
            let resp = app
                .http
                .post(app.url(&format!("/api/v1/cases/{n}/events")))
                .bearer_auth(app.token(login))
                .json(&event)
                .send()
                .await
                .map_err(err)?;
            App::answer(resp).await
        };
        if s != 200 {
            return Err(format!("case {n} in {state}: {s} {body}"));
        }
        done.fetch_add(1, Ordering::SeqCst);
    }
    Err(format!("case {n} did not reach issued in 10 steps"))
}

/// Runs the stream over `cards` on `workers` tasks; returns the errors met.
async fn stream(app: Arc<App>, cards: Arc<Vec<Card>>, workers: usize, done: Arc<AtomicUsize>) -> Vec<String> {
    let mut set = tokio::task::JoinSet::new();
    for w in 0..workers {
        let (app, cards, done) = (app.clone(), cards.clone(), done.clone());
        set.spawn(async move {
            let mut errors = Vec::new();
            for c in cards.iter().skip(w).step_by(workers) {
                if let Err(e) = drive(&app, c, &done).await {
                    errors.push(e);
                    // the server is gone: this worker stops
                    break;
                }
            }
            errors
        });
    }
    let mut errors = Vec::new();
    while let Some(e) = set.join_next().await {
        errors.extend(e.unwrap());
    }
    errors
}

/// Every case's state against the `to` of its last audit row, and the audit chain.
async fn assert_consistent(env: &Env) -> usize {
    let found = rows(
        env,
        "SELECT c.case_number, c.state, \
         (SELECT a.to_state FROM audit_log a WHERE a.case_id = c.id ORDER BY a.seq DESC LIMIT 1) \
         FROM cases c ORDER BY c.case_number",
    )
    .await;
    for r in &found {
        let n: String = r.try_get_by_index(0).unwrap();
        let state: String = r.try_get_by_index(1).unwrap();
        let last: Option<String> = r.try_get_by_index(2).unwrap();
        assert_eq!(
            Some(&state),
            last.as_ref(),
            "case {n}: state {state}, last audit row {last:?}"
        );
    }
    let out = env.run(&["audit", "verify"]);
    assert!(out.status.success(), "audit verify: {:?}", text(&out));
    found.len()
}

async fn sigkill_mid_stream(db: Db) {
    const CASES: usize = 12;
    let mut smtp = SmtpServer::start(Handler::Mailbox);
    let mut env = App::env(db).await;
    env.set("GOLDCARD_SMTP_URL", &smtp.url());
    env.set("GOLDCARD_JOBS", "outbox_dispatch=* * * * * *");
    let cards = Arc::new(stream_cards(CASES));
    let app = App::start_in(env, &cards).await;
    let app = Arc::new(app);

    // the stream, killed once a third of its ~100 answered steps are in
    let done = Arc::new(AtomicUsize::new(0));
    let running = tokio::spawn(stream(app.clone(), cards.clone(), 4, done.clone()));
    let start = Instant::now();
    while done.load(Ordering::SeqCst) < 35 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the stream stalled at {} steps",
            done.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut app = Arc::into_inner({
        // SIGKILL while the workers are mid-request
        let pid = app.server.pid();
        let status = Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap();
        assert!(status.success());
        let errors = running.await.unwrap();
        assert!(!errors.is_empty(), "the kill cut the stream short");
        app
    })
    .unwrap();
    let at_kill = done.load(Ordering::SeqCst);
    // six answered steps make a case: filed, paid, claimed, approved, claimed, issued
    assert!(
        at_kill < 6 * CASES,
        "the stream was still going at the kill ({at_kill} steps)"
    );
    // what the dead dispatcher had claimed but not marked sent may arrive twice, with the
    // same Message-ID (crates/mail/src/dispatcher.rs: at least once, twice only across
    // such a crash): every other row must arrive exactly once
    let in_flight: BTreeSet<String> = rows(&app.env, "SELECT message_id FROM outbox WHERE status = 'sending'")
        .await
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect();

    // restart: consistent, verified, and the stream carries on to the end
    app.restart().await;
    assert_consistent(&app.env).await;
    let app = Arc::new(app);
    let errors = stream(app.clone(), cards.clone(), 4, Arc::new(AtomicUsize::new(0))).await;
    assert!(errors.is_empty(), "after the restart: {errors:?}");
    let mut app = Arc::into_inner(app).unwrap();
    assert_eq!(assert_consistent(&app.env).await, CASES);
    let issued = rows(&app.env, "SELECT COUNT(*) FROM cases WHERE state = 'issued'").await;
    assert_eq!(issued[0].try_get_by_index::<i64>(0).unwrap(), CASES as i64);

    // the restarted server has been dispatching all along; stopped, it leaves at most the
    // rows the killed one had claimed, which the dispatcher sends once their claim expires
    // (CLAIM_TTL, 10 minutes: `--now` 11 minutes on). The killed server may also have left
    // the job's lease, which frees itself 2 minutes after it was taken: the test removes it
    // rather than wait. The mail server goes down and back once on the way.
    assert!(app.server.stop().success(), "{}", app.server.output());
    let in_flight: BTreeSet<String> = in_flight
        .into_iter()
        .chain(
            rows(&app.env, "SELECT message_id FROM outbox WHERE status = 'sending'")
                .await
                .iter()
                .map(|r| r.try_get_by_index::<String>(0).unwrap()),
        )
        .collect();
    rows(&app.env, "DELETE FROM job_leases WHERE name = 'outbox_dispatch'").await;
    smtp.down();
    smtp.up();
    let later = (chrono::Utc::now() + chrono::TimeDelta::minutes(11)).to_rfc3339();
    let out = app.env.run(&["jobs", "run", "outbox_dispatch", "--now", &later]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert!(!text(&out).1.contains("not run"), "{:?}", text(&out));
    let outbox = rows(&app.env, "SELECT message_id, status FROM outbox").await;
    let mut expected = BTreeSet::new();
    for r in &outbox {
        let id: String = r.try_get_by_index(0).unwrap();
        let status: String = r.try_get_by_index(1).unwrap();
        assert_eq!(status, "sent", "{id}");
        expected.insert(id);
    }
    // at least: filed, paid and issued for each case
    assert!(expected.len() >= 3 * CASES, "{} notifications", expected.len());
    let mut arrivals: BTreeMap<String, usize> = BTreeMap::new();
    for m in smtp.received() {
        *arrivals.entry(m.message_id.trim().to_string()).or_default() += 1;
    }
    assert_eq!(
        arrivals.keys().cloned().collect::<BTreeSet<_>>(),
        expected,
        "every notification arrived, and nothing else"
    );
    for (id, n) in &arrivals {
        let allowed = if in_flight.contains(id) { 2 } else { 1 };
        assert!(
            *n <= allowed,
            "{id} arrived {n} times (in flight at the kill: {})",
            allowed == 2
        );
    }
}

on_both! {
    sigkill_mid_stream => sigkill_mid_stream;
}

// ------------------------------------------------------------------ PostgreSQL restarted

/// A PostgreSQL cluster of this test's own, on a free port: initdb'd in a temporary folder,
/// stopped and started at will, removed when dropped. Never the shared test server.
struct OwnPostgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    _dir: tempfile::TempDir,
}

fn as_postgres(program: &std::path::Path) -> Command {
    // PostgreSQL refuses to run as root: run it as `postgres` then (as scripts/test-services
    // does); `id -u` asks who we are without unsafe code
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

impl OwnPostgres {
    fn start() -> OwnPostgres {
        let bin = PathBuf::from(std::env::var("GOLDCARD_TEST_PG_BIN").unwrap_or_else(|_| {
            panic!("GOLDCARD_TEST_PG_BIN is not set: run the tests with `scripts/test` (scripts/test-services)")
        }));
        assert!(bin.join("initdb").exists(), "no initdb in {}", bin.display());
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("pg");
        std::fs::create_dir(&data).unwrap();
        let chown = |p: &std::path::Path| {
            // the postgres user must own its folder and reach it
            let _ = Command::new("chmod").arg("755").arg(dir.path()).status();
            let _ = Command::new("chown").arg("postgres").arg(p).status();
        };
        chown(&data);
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let out = as_postgres(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "initdb: {:?}", text(&out));
        let pg = OwnPostgres {
            bin,
            data,
            port,
            _dir: dir,
        };
        pg.up();
        pg
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn up(&self) {
        let out = as_postgres(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(&self.data)
            .arg("-l")
            .arg(self.data.join("server.log"))
            .args(["-w", "-t", "60", "-o"])
            .arg(format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
                self.port,
                self.data.display()
            ))
            .arg("start")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl start: {:?}\n{}",
            text(&out),
            std::fs::read_to_string(self.data.join("server.log")).unwrap_or_default()
        );
    }

    fn down(&self) {
        let out = as_postgres(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "fast", "-w", "stop"])
            .output()
            .unwrap();
        assert!(out.status.success(), "pg_ctl stop: {:?}", text(&out));
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = as_postgres(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// One request of the load: (status, error code, how long it took).
async fn probe(http: &reqwest::Client, url: &str, token: &str) -> (u16, String, Duration) {
    let t = Instant::now();
    match http.get(url).bearer_auth(token).send().await {
        Ok(resp) => {
            let (status, body) = App::answer(resp).await;
            if status != 200 {
                // the error shape of interfaces.md, whatever the failure
                assert_error(
                    &(status, body.clone()),
                    status,
                    body["error"]["code"].as_str().unwrap_or("?"),
                );
            }
            let code = body["error"]["code"].as_str().unwrap_or_default().to_string();
            (status, code, t.elapsed())
        }
        Err(e) => panic!("{url}: no answer ({e}) after {:?}", t.elapsed()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_restarted_under_load() {
    let pg = OwnPostgres::start();
    let c = card("F800001196", "1992-05-03", OPEN);
    let mut env = App::env(Db::Sqlite).await;
    env.database_url = pg.url();
    let app = App::start_in(env, std::slice::from_ref(&c)).await;
    let n = app.paid_case("alice", &c, "RCPT-PG").await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let urls = [
        app.url(&format!("/api/v1/cases/{n}")),
        app.url("/api/v1/queues/intake"),
        app.url(&format!("/api/v1/cases?q={n}")),
    ];
    let token = app.token("reviewer1").to_string();
    let up = probe(&http, &urls[0], &token).await;
    assert_eq!(up.0, 200, "{up:?}");

    // the load: four clients, each request bounded by the client's timeout
    let outage = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut clients = tokio::task::JoinSet::new();
    for i in 0..4 {
        let (http, url, token, outage, stop) = (
            http.clone(),
            urls[i % urls.len()].clone(),
            token.clone(),
            outage.clone(),
            stop.clone(),
        );
        clients.spawn(async move {
            let mut seen = Vec::new();
            for _ in 0..2_000 {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let during = outage.load(Ordering::SeqCst);
                let (status, code, took) = probe(&http, &url, &token).await;
                seen.push((during, status, code, took));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            seen
        });
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    outage.store(true, Ordering::SeqCst);
    pg.down();
    // long enough for every client to meet the outage, and for the pool's acquire timeout
    tokio::time::sleep(Duration::from_secs(8)).await;
    pg.up();
    outage.store(false, Ordering::SeqCst);

    // it recovers by itself: reads and a write succeed again, without a restart
    let start = Instant::now();
    loop {
        let (status, code, _) = probe(&http, &urls[0], &token).await;
        if status == 200 {
            break;
        }
        assert_eq!((status, code.as_str()), (503, "unavailable"));
        assert!(start.elapsed() < Duration::from_secs(30), "no recovery within 30 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (s, body) = app.fire("reviewer1", &n, json!({"event": "claim"})).await;
    assert_eq!(s, 200, "a write after the restart: {body}");
    stop.store(true, Ordering::SeqCst);

    let mut all = Vec::new();
    while let Some(seen) = clients.join_next().await {
        all.extend(seen.unwrap());
    }
    let unavailable = all.iter().filter(|(_, s, _, _)| *s == 503).count();
    assert!(unavailable > 0, "no request met the outage: {all:?}");
    for (during, status, code, took) in &all {
        assert!(
            *status == 200 || (*status == 503 && code == "unavailable"),
            "during outage {during}: {status} {code}"
        );
        // the pool gives up after 5 s; a request never hangs on a dead database
        assert!(*took < Duration::from_secs(12), "a request took {took:?}");
    }
    assert!(
        all.iter().filter(|(d, s, _, _)| !*d && *s == 200).count() > 0,
        "requests succeed outside the outage"
    );
    let log = std::fs::read_to_string(app.server.log.with_extension("err")).unwrap_or_default() + &app.server.output();
    assert!(!log.contains("panicked"), "{log}");
}
