//! Hardening end to end, through the real `goldcard serve` with its demo data: security
//! headers and request ids on every answer, the request timeout, readiness while the
//! database is down, the Prometheus page, the log of refusals, and one-time keys on forms
//! and on the JSON API. Storage-touching tests run on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, missing_docs)]

use goldcard_tests::{Db, Env, Server, on_both, pg_admin_url, text};
use hmac::{Hmac, KeyInit, Mac};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};
use sha2::Sha256;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

struct Demo {
    // dropped in this order: the server stops before its directory goes
    server: Server,
    env: Env,
    http: reqwest::Client,
}

impl Demo {
    async fn start(db: Db, vars: &[(&str, &str)]) -> Demo {
        let mut env = Env::new(db).await;
        for (k, v) in vars {
            env.set(k, v);
        }
        let server = env.serve(&[]).await;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Demo { server, env, http }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base)
    }

    fn token(&self, login: &str) -> String {
        let out = self.env.run(&["token", "create", "--login", login]);
        assert!(out.status.success(), "token create {login}: {:?}", text(&out));
        text(&out).0.trim().to_string()
    }

    async fn db(&self) -> DatabaseConnection {
        self.env.db().await
    }
}

/// The values of the first column of `sql`'s rows, as text.
async fn column(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql.to_string()))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            r.try_get_by_index::<String>(0)
                .or_else(|_| r.try_get_by_index::<i64>(0).map(|n| n.to_string()))
                .unwrap()
        })
        .collect()
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    column(db, sql).await[0].parse().unwrap()
}

/// The CSRF token of a signed-in caller's forms (the same HMAC the server computes).
fn csrf_for(token: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(b"goldcard form");
    hex::encode(mac.finalize().into_bytes())
}

// ------------------------------------------------------------------ headers, ids, limits

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_has_security_headers_and_a_request_id() {
    let demo = Demo::start(
        Db::Sqlite,
        &[("GOLDCARD_LOG_FORMAT", "json"), ("RUST_LOG", "info,tower_http=debug")],
    )
    .await;
    for path in ["/", "/healthz", "/api/v1/cases/115550000001", "/no/such/page"] {
        let res = demo.http.get(demo.url(path)).send().await.unwrap();
        let h = res.headers();
        let csp = h
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("{path}: no CSP"))
            .to_str()
            .unwrap();
        for part in [
            "script-src 'self'",
            "style-src 'self'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ] {
            assert!(csp.contains(part), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert!(!h["x-request-id"].is_empty(), "{path}: a request id is made");
    }
    // the pages need no inline script or style, which the policy would block
    let page = demo.http.get(demo.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains(" style="), "inline style on the sign-in page");
    for script in page.split("<script").skip(1) {
        assert!(
            script.split('>').next().unwrap().contains("src="),
            "inline script: {script}"
        );
    }

    // a client's request id is kept, echoed, and names the request's log lines
    let res = demo
        .http
        .get(demo.url("/healthz"))
        .header("x-request-id", "trace-me-4711")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "trace-me-4711");
    let err_log = demo.server.log.with_extension("err");
    let start = Instant::now();
    loop {
        let logs = std::fs::read_to_string(&err_log).unwrap_or_default();
        let line = logs.lines().find(|l| l.contains("trace-me-4711"));
        if let Some(line) = line {
            let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
            assert_eq!(v["span"]["request_id"], "trace-me-4711", "{line}");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no log line with the request id:\n{logs}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // a form body over the limit is 413
    let token = demo.token("helpdesk");
    let res = demo
        .http
        .post(demo.url("/office/cases/115550000001/notes"))
        .bearer_auth(&token)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={}&body={}", csrf_for(&token), "x".repeat(300 * 1024)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
}

/// A request still running after `GOLDCARD_REQUEST_TIMEOUT_MS` is answered 503 `timeout`
/// in the error shape: here a client that stops sending its body half-way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_request_times_out_with_the_error_shape() {
    let demo = Demo::start(Db::Sqlite, &[("GOLDCARD_REQUEST_TIMEOUT_MS", "300")]).await;
    let addr = demo.server.base.trim_start_matches("http://").to_string();
    let answer = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(
            b"POST /api/v1/session HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"login\":",
        )
        .unwrap();
        let started = Instant::now();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        // read until the JSON body has come (the connection stays open)
        while !String::from_utf8_lossy(&buf).contains("}}") {
            match s.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        (started.elapsed(), String::from_utf8_lossy(&buf).into_owned())
    })
    .await
    .unwrap();
    let (took, raw) = answer;
    assert!(raw.starts_with("HTTP/1.1 503"), "{raw}");
    assert!(raw.contains(r#""code":"timeout""#), "{raw}");
    assert!(took < Duration::from_secs(5), "answered after {took:?}");
}

// ------------------------------------------------------------------ readiness

/// `/readyz` is 503 while the database refuses connections, and 200 again once it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_while_the_database_is_unreachable() {
    let demo = Demo::start(Db::Postgres, &[]).await;
    let name = demo.env.database_url.rsplit('/').next().unwrap().to_string();
    let ready = || async {
        let res = demo.http.get(demo.url("/readyz")).send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json::<Value>().await.unwrap())
    };
    assert_eq!(ready().await.0, 200);
    let admin = Database::connect(&pg_admin_url()).await.unwrap();
    let exec = |sql: String| {
        let admin = &admin;
        async move { admin.execute_unprepared(&sql).await.unwrap() }
    };
    exec(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false")).await;
    exec(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ))
    .await;
    let start = Instant::now();
    let down = loop {
        let (status, body) = ready().await;
        if status == 503 {
            break body;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "still {status} {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(down["status"], "unavailable");
    exec(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).await;
    let start = Instant::now();
    while ready().await.0 != 200 {
        assert!(start.elapsed() < Duration::from_secs(30), "not ready again");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

// ------------------------------------------------------------------ metrics

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_to_the_local_host() {
    let demo = Demo::start(Db::Sqlite, &[("GOLDCARD_JOBS", "outbox_dispatch=* * * * * *")]).await;
    assert_eq!(demo.http.get(demo.url("/healthz")).send().await.unwrap().status(), 200);
    let start = Instant::now();
    let page = loop {
        let res = demo.http.get(demo.url("/metrics")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain")
        );
        let page = res.text().await.unwrap();
        if page.contains("goldcard_job_runs_total{job=\"outbox_dispatch\"}") {
            break page;
        }
        assert!(start.elapsed() < Duration::from_secs(15), "no job run counted:\n{page}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    for needle in [
        // request latency by matched route and status
        "goldcard_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"}",
        "goldcard_http_request_duration_seconds_bucket{route=\"/healthz\",method=\"GET\",status=\"200\",le=",
        // the demo's cases were moved through the workflow in this process
        "goldcard_transitions_total{event=\"pay\"",
        "goldcard_outbox_backlog ",
        "goldcard_outbox_oldest_age_seconds ",
        "goldcard_job_lease_held{job=\"outbox_dispatch\"}",
    ] {
        assert!(page.contains(needle), "{needle} missing from:\n{page}");
    }
}

// ------------------------------------------------------------------ refusals

async fn refusals_are_logged(db: Db) {
    let demo = Demo::start(db, &[]).await;
    let conn = demo.db().await;
    // a case the employer filed, asked for by the holder: "not found", and logged
    let theirs = column(
        &conn,
        "SELECT c.case_number FROM cases c JOIN accounts a ON a.id = c.filer_account_id \
         WHERE a.login = 'employer' ORDER BY c.id LIMIT 1",
    )
    .await
    .remove(0);
    let holder = demo.token("holder");
    let res = demo
        .http
        .get(demo.url(&format!("/api/v1/cases/{theirs}")))
        .bearer_auth(&holder)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // a route the applicant's role may not call
    let res = demo
        .http
        .get(demo.url("/api/v1/queues/intake"))
        .bearer_auth(&holder)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // no credentials
    let res = demo.http.get(demo.url("/api/v1/queues/intake")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    // a page the helpdesk may not see (documents)
    let helpdesk = demo.token("helpdesk");
    let res = demo
        .http
        .get(demo.url("/office/documents/doc_x"))
        .bearer_auth(&helpdesk)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    let rows = column(
        &conn,
        "SELECT role || ' ' || method || ' ' || route || ' ' || status || ' ' || reason \
         FROM access_refusals ORDER BY id",
    )
    .await;
    for expected in [
        "applicant GET /api/v1/cases/{case_number} 404 not_yours".to_string(),
        "applicant GET /api/v1/queues/{queue} 403 policy".to_string(),
        "anonymous GET /api/v1/queues/{queue} 401 policy".to_string(),
        "helpdesk GET /office/documents/{document_id} 403 policy".to_string(),
    ] {
        assert!(rows.contains(&expected), "{expected} not in {rows:#?}");
    }
    let paths = column(&conn, "SELECT path FROM access_refusals WHERE reason = 'not_yours'").await;
    assert_eq!(paths, [format!("/api/v1/cases/{theirs}")]);
    // a request that was not refused leaves nothing
    let before = count(&conn, "SELECT COUNT(*) FROM access_refusals").await;
    let res = demo.http.get(demo.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM access_refusals").await, before);
}

// ------------------------------------------------------------------ one-time keys

async fn repeated_requests_change_nothing_twice(db: Db) {
    let demo = Demo::start(db, &[]).await;
    let conn = demo.db().await;
    let paid = column(&conn, "SELECT case_number FROM cases WHERE state = 'paid' ORDER BY id").await;
    assert!(paid.len() >= 2, "{paid:?}");
    let (n, other) = (&paid[0], &paid[1]);
    let audit =
        format!("SELECT COUNT(*) FROM audit_log WHERE case_id = (SELECT id FROM cases WHERE case_number = '{n}')");
    let rows_before = count(&conn, &audit).await;

    // the JSON API: the same Idempotency-Key twice is one claim and the same answer
    let reviewer = demo.token("reviewer1");
    let fire = |case: String, key: Option<String>| {
        let req = demo
            .http
            .post(demo.url(&format!("/api/v1/cases/{case}/events")))
            .bearer_auth(&reviewer)
            .json(&json!({"event": "claim"}));
        let req = match key {
            Some(k) => req.header("Idempotency-Key", k),
            None => req,
        };
        async move {
            let res = req.send().await.unwrap();
            let replayed = res.headers().get("idempotent-replayed").is_some();
            (res.status().as_u16(), replayed, res.json::<Value>().await.unwrap())
        }
    };
    let first = fire(n.clone(), Some("claim-once-1".into())).await;
    assert_eq!((first.0, first.1), (200, false), "{:?}", first.2);
    assert_eq!(first.2["state"], "labor_review");
    let second = fire(n.clone(), Some("claim-once-1".into())).await;
    assert_eq!((second.0, second.1), (200, true), "{:?}", second.2);
    assert_eq!(second.2, first.2, "the first answer, again");
    assert_eq!(count(&conn, &audit).await, rows_before + 1, "one transition");
    // without a key the second claim is refused by the workflow (what the key spares)
    let again = fire(n.clone(), None).await;
    assert_eq!(again.0, 409, "{:?}", again.2);
    // the same key on another request is an error, and changes nothing there
    let reused = fire(other.clone(), Some("claim-once-1".into())).await;
    assert_eq!(reused.0, 422, "{:?}", reused.2);
    assert_eq!(reused.2["error"]["code"], "idempotency_key_reused");
    let bad = fire(other.clone(), Some("x".repeat(500))).await;
    assert_eq!(bad.0, 400, "{:?}", bad.2);
    assert_eq!(bad.2["error"]["code"], "invalid_idempotency_key");
    let state = column(&conn, &format!("SELECT state FROM cases WHERE case_number = '{other}'")).await;
    assert_eq!(state, ["paid"]);

    // a form: the same one-time key twice adds one note and answers the first redirect
    let helpdesk = demo.token("helpdesk");
    let notes =
        format!("SELECT COUNT(*) FROM case_notes WHERE case_id = (SELECT id FROM cases WHERE case_number = '{n}')");
    let post_note = |key: &'static str| {
        let body = format!("csrf={}&idem={key}&body=called+the+holder", csrf_for(&helpdesk));
        let req = demo
            .http
            .post(demo.url(&format!("/office/cases/{n}/notes")))
            .bearer_auth(&helpdesk)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        async move {
            let res = req.send().await.unwrap();
            (
                res.status().as_u16(),
                res.headers().get("location").map(|l| l.to_str().unwrap().to_string()),
                res.headers().get("idempotent-replayed").is_some(),
            )
        }
    };
    let first = post_note("form-key-1").await;
    assert_eq!(first.0, 303, "{first:?}");
    assert_eq!(
        first.1.as_deref(),
        Some(format!("/office/cases/{n}?done=note").as_str())
    );
    assert_eq!(count(&conn, &notes).await, 1);
    let second = post_note("form-key-1").await;
    assert_eq!((second.0, second.1.clone(), second.2), (303, first.1.clone(), true));
    assert_eq!(count(&conn, &notes).await, 1, "the double click added nothing");
    let third = post_note("form-key-2").await;
    assert_eq!(third.0, 303);
    assert_eq!(count(&conn, &notes).await, 2, "a new form is a new note");

    // the pages render a fresh key in every form
    let page = demo
        .http
        .get(demo.url(&format!("/office/cases/{n}")))
        .bearer_auth(&helpdesk)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let keys: Vec<&str> = page
        .split("name=\"idem\" value=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
        .collect();
    assert!(!keys.is_empty(), "no one-time key in the case page's forms");
    let unique: std::collections::BTreeSet<&str> = keys.iter().copied().collect();
    assert_eq!(unique.len(), keys.len(), "each form has its own key: {keys:?}");
}

on_both! {
    refusals => refusals_are_logged;
    one_time_keys => repeated_requests_change_nothing_twice;
}
