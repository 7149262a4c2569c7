//! Hostile input through the real `goldcard serve` (targets.md, "Bad input" and
//! "Security"): uploads that lie about their type or their size, file names that try to
//! leave the documents folder, SQL metacharacters in search, forged and replayed payment
//! notifications, expired and ended sessions, and a helpdesk account asking for documents
//! or unmasked identifiers. Each is refused with the right status, and nothing changes: the
//! case's state, version and audit rows are checked before and after. On SQLite and
//! PostgreSQL.
//!
//! Already covered elsewhere, not repeated here: `<script>` typed into every text field of
//! a filing (tests/portal.rs) and of the back office's actions (tests/office.rs), shown
//! escaped on every page; the JSON API's 422s with field paths (tests/api.rs, `refusals`).
#![allow(clippy::unwrap_used, missing_docs)]

use goldcard_tests::api_app::*;
use goldcard_tests::smtp::{Handler, SmtpServer, code_mailed};
use goldcard_tests::{Db, on_both, text};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::Path;

/// What must not move when a request is refused: state, version, and audit rows (from the
/// database, not only from the API's own view of the case).
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    state: String,
    version: i64,
    audit_rows: i64,
    documents: i64,
}

async fn count(app: &App, sql: &str) -> i64 {
    let db = app.env.db().await;
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_string()))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

async fn snapshot(app: &App, case: &str) -> Snapshot {
    let got = app.case("reviewer1", case).await;
    Snapshot {
        state: got["state"].as_str().unwrap().to_string(),
        version: version(&got),
        audit_rows: count(
            app,
            &format!(
                "SELECT COUNT(*) FROM audit_log a JOIN cases c ON c.id = a.case_id WHERE c.case_number = '{case}'"
            ),
        )
        .await,
        documents: count(app, "SELECT COUNT(*) FROM documents").await,
    }
}

/// Every file under `dir`, relative to it.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path().strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out
}

// ------------------------------------------------------------------ uploads

async fn hostile_uploads(db: Db) {
    let c = card("F800001196", "1992-05-03", OPEN);
    let app = App::start(db, std::slice::from_ref(&c)).await;
    let n = app.file("alice", &c).await["case_number"].as_str().unwrap().to_string();
    let before = snapshot(&app, &n).await;

    // content that is not PDF, JPEG or PNG, whatever the name and the declared type
    let elf = b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec();
    let zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec();
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00".to_vec();
    let pdf_late = b"hello\n%PDF-1.4\n".to_vec(); // the magic is not at the start
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".to_vec();
    for (bytes, name) in [
        (elf, "passport.pdf"),
        (zip, "photo.jpg"),
        (gif, "photo.png"),
        (pdf_late, "passport.pdf"),
        (svg, "photo.png"),
        (b"%PDF".to_vec(), "short.pdf"),
        (vec![0xFF, 0xD8], "short.jpg"),
    ] {
        let answer = app.upload_as("alice", "passport_copy", bytes, name).await;
        assert_error(&answer, 415, "unsupported_type");
    }
    // a declared Content-Type does not help either
    let form = reqwest::multipart::Form::new().text("doc_type", "photo").part(
        "file",
        reqwest::multipart::Part::bytes(b"MZ\x90\x00 not an image".to_vec())
            .file_name("photo.png")
            .mime_str("image/png")
            .unwrap(),
    );
    let resp = app
        .http
        .post(app.url("/api/v1/documents"))
        .bearer_auth(app.token("alice"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_error(&App::answer(resp).await, 415, "unsupported_type");
    // over 10 MiB, with a true PDF start
    let mut big = PDF.to_vec();
    big.resize(10 * 1024 * 1024 + 1, b' ');
    assert_error(
        &app.upload_as("alice", "passport_copy", big, "big.pdf").await,
        413,
        "too_large",
    );
    assert_eq!(snapshot(&app, &n).await, before, "refused uploads store nothing");

    // names that try to leave the folder, carry NUL bytes, or go on for 1,000 characters:
    // accepted (the content is a PDF), stored under the content's hash
    let long = format!("{}.pdf", "a".repeat(1_000));
    let mut stored = Vec::new();
    for (i, name) in [
        "../../../../etc/passwd.pdf",
        "..\\..\\windows\\system32\\evil.pdf",
        "/etc/shadow.pdf",
        long.as_str(),
        "<script>alert(1)</script>.pdf",
    ]
    .into_iter()
    .enumerate()
    {
        // distinct bytes for each, so that each gets its own blob
        let mut bytes = PDF.to_vec();
        bytes.extend_from_slice(format!("% upload {i}\n").as_bytes());
        let (status, body) = app.upload_as("alice", "passport_copy", bytes.clone(), name).await;
        assert_eq!(status, 201, "{name:?}: {body}");
        let sha = hex::encode(Sha256::digest(&bytes));
        assert_eq!(body["sha256"], sha.as_str(), "{body}");
        stored.push(sha);
    }
    // a NUL byte in the name: raw in the part's header it makes the form malformed (400,
    // nothing stored); in the RFC 5987 form (`filename*`) it reaches the server, and the
    // file is stored under its hash like any other
    for (i, disposition) in [
        "filename=\"nul\0byte.pdf\"".to_string(),
        "filename*=UTF-8''nul%00byte.pdf".to_string(),
        "filename*=UTF-8''%00".to_string(),
        "filename=\"../../x.pdf\"; filename*=UTF-8''..%2F..%2Fx%00.pdf".to_string(),
    ]
    .into_iter()
    .enumerate()
    {
        let mut bytes = PDF.to_vec();
        bytes.extend_from_slice(format!("% nul {i}\n").as_bytes());
        let boundary = "hostile-boundary-7d3f";
        let mut form = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"doc_type\"\r\n\r\npassport_copy\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; {disposition}\r\n\
             Content-Type: application/pdf\r\n\r\n"
        )
        .into_bytes();
        form.extend_from_slice(&bytes);
        form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let resp = app
            .http
            .post(app.url("/api/v1/documents"))
            .bearer_auth(app.token("alice"))
            .header("Content-Type", format!("multipart/form-data; boundary={boundary}"))
            .body(form)
            .send()
            .await
            .unwrap();
        let answer = App::answer(resp).await;
        if answer.0 == 201 {
            let sha = hex::encode(Sha256::digest(&bytes));
            assert_eq!(answer.1["sha256"], sha.as_str(), "{disposition:?}: {answer:?}");
            stored.push(sha);
        } else {
            assert!(disposition.contains('\0'), "{disposition:?}: {answer:?}");
            assert_error(&answer, 400, "bad_multipart");
        }
    }
    assert!(stored.len() >= 8, "the encoded NUL names were stored: {}", stored.len());
    let docs_dir = app.env.dir.path().join("data/documents");
    let files = files_under(&docs_dir);
    for f in &files {
        let parts: Vec<String> = f.iter().map(|p| p.to_string_lossy().into_owned()).collect();
        let name = parts.last().unwrap();
        assert!(
            name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
            "a file not named by its hash in the documents folder: {f:?}"
        );
        assert_eq!(
            parts,
            [name[..2].to_string(), name[2..4].to_string(), name.clone()],
            "{f:?}"
        );
    }
    for sha in &stored {
        assert!(
            files.iter().any(|f| f.ends_with(sha)),
            "{sha} is not in {}",
            docs_dir.display()
        );
    }
    // nothing was written outside the documents folder under any of those names
    for f in files_under(app.env.dir.path()) {
        let s = f.to_string_lossy();
        assert!(
            !s.contains("passwd") && !s.contains("shadow") && !s.contains("evil") && !s.contains("aaaaaaaa"),
            "{s}"
        );
    }
}

// ------------------------------------------------------------------ search

async fn sql_metacharacters_in_search(db: Db) {
    let c = card("F800001196", "1992-05-03", OPEN);
    let app = App::start(db, std::slice::from_ref(&c)).await;
    let n = app.paid_case("alice", &c, "RCPT-SQL").await;
    let before = snapshot(&app, &n).await;
    let cases = count(&app, "SELECT COUNT(*) FROM cases").await;
    // tests/api.rs (`queues_and_search`) sends these to the JSON search; here the office's
    // search page and its CSV export get them too
    for q in [
        "'; DROP TABLE cases; --",
        "%",
        "_",
        "%%%",
        "F8000011_6",
        "F80000%",
        "' OR '1'='1",
        "\\",
        "\0",
    ] {
        let (s, body) = app
            .get(Some("reviewer1"), &format!("/api/v1/cases?q={}", urlencode(q)))
            .await;
        assert_eq!((s, &body["total"]), (200, &json!(0)), "q={q:?}: {body}");
        for path in ["/office/search", "/office/search/export.csv"] {
            let (s, page) = app.get_text("reviewer1", &format!("{path}?q={}", urlencode(q))).await;
            assert_eq!(s, 200, "{path} q={q:?}: {page}");
            assert!(!page.contains(&n), "{path} q={q:?} matched the case: {page}");
        }
    }
    // a NUL byte elsewhere a request carries text to the database: refused or not found,
    // never a 500
    let nul_probes = [
        app.get(Some("reviewer1"), "/api/v1/cases/11555%000001").await,
        app.get(Some("reviewer1"), "/api/v1/cards/F8000%001196").await,
        app.fire("reviewer1", "11555%000001", json!({"event": "claim"})).await,
        app.post(
            None,
            "/api/v1/session",
            &json!({"login": "reviewer1\u{0}", "password": "x"}),
        )
        .await,
        app.notify(&format!("{n}\u{0}"), 3500, "R-NUL").await,
        app.notify(&n, 3500, "R-\u{0}").await,
    ];
    for answer in &nul_probes {
        assert!((400..500).contains(&answer.0), "{answer:?}");
        let code = answer.1["error"]["code"].as_str().unwrap_or_default().to_string();
        assert_error(answer, answer.0, &code);
    }
    // the table is there and the case still found by its real number
    assert_eq!(count(&app, "SELECT COUNT(*) FROM cases").await, cases);
    let (s, body) = app.get(Some("reviewer1"), &format!("/api/v1/cases?q={n}")).await;
    assert_eq!((s, &body["total"]), (200, &json!(1)), "{body}");
    assert_eq!(snapshot(&app, &n).await, before);
}

// ------------------------------------------------------------------ payments

async fn forged_and_replayed_payments(db: Db) {
    let c = card("F800001196", "1992-05-03", OPEN);
    let app = App::start(db, std::slice::from_ref(&c)).await;
    let filed = app.file("alice", &c).await;
    let n = filed["case_number"].as_str().unwrap().to_string();
    let fee = filed["fee_twd"].as_u64().unwrap();
    let before = snapshot(&app, &n).await;

    let body = json!({"case_number": n, "amount_twd": fee, "receipt_no": "R-FORGE", "paid_at": "2026-11-25T02:05:00Z"});
    let raw = serde_json::to_vec(&body).unwrap();
    let good = sign(SECRET, &raw);
    let other_body = serde_json::to_vec(&json!({"case_number": n})).unwrap();
    let forged = [
        sign("a guessed secret", &raw),
        sign("", &raw),
        sign(SECRET, &other_body),
        good.trim_start_matches("sha256=").to_string(),
        good.replace("sha256=", "sha1="),
        good[..good.len() - 2].to_string(),
        format!("{good}00"),
        "sha256=".to_string(),
        "sha256=not-hex".to_string(),
        String::new(),
    ];
    for sig in &forged {
        let answer = app.notify_raw(raw.clone(), sig).await;
        assert_error(&answer, 401, "bad_signature");
    }
    // no header at all
    let resp = app
        .http
        .post(app.url("/api/v1/payments/notify"))
        .header("Content-Type", "application/json")
        .body(raw.clone())
        .send()
        .await
        .unwrap();
    assert_error(&App::answer(resp).await, 401, "bad_signature");
    // a bearer token of the gateway's account is no signature
    let resp = app
        .http
        .post(app.url("/api/v1/payments/notify"))
        .bearer_auth(app.token("gateway"))
        .header("Content-Type", "application/json")
        .body(raw.clone())
        .send()
        .await
        .unwrap();
    assert_error(&App::answer(resp).await, 401, "bad_signature");
    assert_eq!(snapshot(&app, &n).await, before, "forged notifications change nothing");

    // the true notification, then the same one replayed ten times: one payment
    let (s, answer) = app.notify_raw(raw.clone(), &good).await;
    assert_eq!((s, &answer["state"]), (200, &json!("paid")), "{answer}");
    let paid = snapshot(&app, &n).await;
    assert_eq!(paid.version, before.version + 1);
    assert_eq!(paid.audit_rows, before.audit_rows + 1);
    for _ in 0..10 {
        let (s, answer) = app.notify_raw(raw.clone(), &good).await;
        assert_eq!(answer, json!({"case_number": n, "state": "paid"}), "{s}");
    }
    assert_eq!(snapshot(&app, &n).await, paid, "replays change nothing");
    let pays = count(
        &app,
        &format!(
            "SELECT COUNT(*) FROM audit_log a JOIN cases c ON c.id = a.case_id \
             WHERE c.case_number = '{n}' AND a.event = 'pay'"
        ),
    )
    .await;
    assert_eq!(pays, 1);
}

// ------------------------------------------------------------------ sessions

const PASSWORD: &str = "a long enough password";

/// Signs `login` in through the JSON API with the code from the mail; returns the token.
async fn api_session(app: &App, smtp: &SmtpServer, login: &str, nth: usize) -> String {
    let (s, body) = app
        .post(None, "/api/v1/session", &json!({"login": login, "password": PASSWORD}))
        .await;
    assert_eq!(s, 200, "{body}");
    let challenge = body["challenge_id"].as_str().unwrap().to_string();
    let code = code_mailed(smtp, &format!("{login}@example.tw"), nth).await;
    let (s, body) = app
        .post(
            None,
            "/api/v1/session/otp",
            &json!({"challenge_id": challenge, "code": code}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    body["token"].as_str().unwrap().to_string()
}

async fn get_as(app: &App, token: &str, path: &str) -> Answer {
    let resp = app.http.get(app.url(path)).bearer_auth(token).send().await.unwrap();
    App::answer(resp).await
}

async fn expired_sessions(db: Db) {
    let smtp = SmtpServer::start(Handler::Mailbox);
    let c = card("F800001196", "1992-05-03", OPEN);
    let mut env = App::env(db).await;
    env.set("GOLDCARD_SMTP_URL", &smtp.url());
    env.set("GOLDCARD_JOBS", "outbox_dispatch=* * * * * *");
    // one sign-in per account: the Maildir does not keep the order mails arrived in
    for (login, role) in [
        ("carol", "applicant"),
        ("dave", "labor_reviewer"),
        ("erin", "labor_reviewer"),
    ] {
        let out = env.run_with_stdin(
            &[
                "user",
                "add",
                "--login",
                login,
                "--email",
                &format!("{login}@example.tw"),
                "--role",
                role,
                "--password-stdin",
            ],
            PASSWORD,
        );
        assert!(out.status.success(), "{:?}", text(&out));
    }
    let mut app = App::start_in(env, std::slice::from_ref(&c)).await;
    let carol = api_session(&app, &smtp, "carol", 1).await;
    let dave = api_session(&app, &smtp, "dave", 1).await;
    let n = app.file("alice", &c).await["case_number"].as_str().unwrap().to_string();
    // both work now
    assert_eq!(
        get_as(
            &app,
            &carol,
            "/api/v1/cards/lookup?ui_number=F800001196&birth_date=1992-05-03"
        )
        .await
        .0,
        200
    );
    assert_eq!(get_as(&app, &dave, &format!("/api/v1/cases/{n}")).await.0, 200);
    // a signed-out session is over at once
    let ended = api_session(&app, &smtp, "erin", 1).await;
    let resp = app
        .http
        .delete(app.url("/api/v1/session"))
        .bearer_auth(&ended)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    assert_error(
        &get_as(&app, &ended, &format!("/api/v1/cases/{n}")).await,
        401,
        "unauthorized",
    );
    // a made-up session token
    let fake = format!("gcs_{}", "0".repeat(64));
    assert_error(
        &get_as(&app, &fake, &format!("/api/v1/cases/{n}")).await,
        401,
        "unauthorized",
    );
    let before = snapshot(&app, &n).await;

    // 31 minutes later: the applicant's session (30 minutes from sign-in) and the
    // officer's (30 minutes idle) are over; the CLI's token is not a session and still works
    app.env.set("GOLDCARD_NOW", "2026-11-25T02:31:00Z");
    app.restart().await;
    for token in [&carol, &dave] {
        assert_error(
            &get_as(&app, token, &format!("/api/v1/cases/{n}")).await,
            401,
            "unauthorized",
        );
        let resp = app
            .http
            .post(app.url(&format!("/api/v1/cases/{n}/events")))
            .bearer_auth(token)
            .json(&json!({"event": "withdraw"}))
            .send()
            .await
            .unwrap();
        assert_error(&App::answer(resp).await, 401, "unauthorized");
    }
    // the page session of an expired token goes back to sign-in, and shows nothing
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url(&format!("/office/cases/{n}")))
        .header("cookie", format!("goldcard_session={dave}"))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_redirection(), "{}", resp.status());
    assert!(!resp.text().await.unwrap().contains(&n));
    assert_eq!(snapshot(&app, &n).await, before, "expired sessions change nothing");
}

// ------------------------------------------------------------------ helpdesk

async fn helpdesk_gets_no_documents_and_no_identifiers(db: Db) {
    let c = card("F800001196", "1992-05-03", OPEN);
    let app = App::start(db, std::slice::from_ref(&c)).await;
    let n = app.paid_case("alice", &c, "RCPT-HELP").await;
    let (s, body) = app.fire("reviewer1", &n, json!({"event": "claim"})).await;
    assert_eq!(s, 200, "{body}");
    let officer_view = app.case("reviewer1", &n).await;
    let documents: Vec<String> = officer_view["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["document_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(documents.len(), 4, "{officer_view}");
    // the assigned reviewer may read the documents: the route works, so the refusal below
    // is the rule and not a broken link
    let mut pdfs = 0;
    for id in &documents {
        let (s, bytes) = app.get_text("reviewer1", &format!("/office/documents/{id}")).await;
        assert_eq!(s, 200, "{bytes}");
        pdfs += usize::from(bytes.starts_with("%PDF"));
    }
    assert!(pdfs >= 1, "the reviewer got the PDF bytes");
    let before = snapshot(&app, &n).await;
    let accesses = count(&app, "SELECT COUNT(*) FROM document_access").await;

    let hidden = ["F800001196", "P12345678", "A12345678", "%PDF"];
    for id in &documents {
        let (s, body) = app.get_text("helpdesk", &format!("/office/documents/{id}")).await;
        assert!(s == 403 || s == 404, "helpdesk got document {id}: {s}");
        for h in hidden {
            assert!(!body.contains(h), "document {id} shows {h} to the helpdesk");
        }
    }
    // and no page or export shows an identifier unmasked
    for path in [
        format!("/office/cases/{n}"),
        format!("/office/search?q={n}"),
        "/office/search?q=F800001196".to_string(),
        format!("/office/search/export.csv?q={n}"),
        "/api/v1/cards/F800001196".to_string(),
        format!("/api/v1/cases/{n}"),
        format!("/api/v1/cases?q={n}"),
    ] {
        let (s, body) = app.get_text("helpdesk", &path).await;
        assert!(s == 200 || s == 403, "{path}: {s} {body}");
        // the search box shows back what the helpdesk typed: that is no disclosure
        // (in its box and in the export link)
        let body = body.replace("value=\"F800001196\"", "").replace("?q=F800001196", "");
        for h in hidden {
            assert!(!body.contains(h), "{path} shows {h} to the helpdesk: {body}");
        }
        if s == 200 && path.contains(n.as_str()) {
            assert!(body.contains(&n), "{path} finds the case: {body}");
        }
    }
    let got: Value = serde_json::from_str(&app.get_text("helpdesk", &format!("/api/v1/cases/{n}")).await.1).unwrap();
    assert_eq!(got["documents"], json!([]), "{got}");
    assert_eq!(snapshot(&app, &n).await, before, "nothing changed");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM document_access").await,
        accesses,
        "refused reads are no document access"
    );
}

on_both! {
    hostile_uploads => hostile_uploads;
    hostile_search => sql_metacharacters_in_search;
    hostile_payments => forged_and_replayed_payments;
    hostile_sessions => expired_sessions;
    hostile_helpdesk => helpdesk_gets_no_documents_and_no_identifiers;
}
