//! The `goldcard` command line, run as a process against SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, missing_docs)]

use goldcard_tests::{Db, Env, on_both, text};
use sea_orm::{ConnectionTrait, Statement};

async fn count(env: &Env, table: &str) -> i64 {
    let db = env.db().await;
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

async fn serve_migrates_seeds_and_reports_health(db: Db) {
    let env = Env::new(db).await;
    let server = env.serve(&[]).await;
    let out = server.output();
    assert!(
        out.contains("demo accounts"),
        "first run prints the demo accounts:\n{out}"
    );
    assert!(out.contains("reviewer1"), "{out}");
    let client = reqwest::Client::new();
    let health = client.get(format!("{}/healthz", server.base)).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready: serde_json::Value = client
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ready");
    let home = client.get(&server.base).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("就業金卡"));
    // the outbox dispatcher runs beside the server: the demo's notifications become .eml
    // files (GOLDCARD_SMTP_URL is unset)
    let outbox = env.dir.path().join("data/outbox");
    let mut written = 0;
    for _ in 0..200 {
        written = std::fs::read_dir(&outbox).map(|d| d.count()).unwrap_or(0);
        if written >= 10 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        written >= 10,
        "only {written} notifications were written to {}",
        outbox.display()
    );
    assert!(server.terminate().success(), "graceful stop on SIGTERM");
    assert!(count(&env, "cards").await >= 300);
    assert!(count(&env, "cases").await >= 8);

    // second start on the same database: no demo again, and it comes up
    let again = env.serve(&[]).await;
    assert!(!again.output().contains("demo accounts"), "{}", again.output());
    drop(again);
}

async fn seed_demo_then_audit_verify_detects_tampering(db: Db) {
    let env = Env::new(db).await;
    let out = env.run(&["seed", "--demo"]);
    assert!(out.status.success(), "{:?}", text(&out));
    let out = env.run(&["audit", "verify"]);
    let (stdout, _) = text(&out);
    assert!(
        out.status.success() && stdout.contains("audit chain intact"),
        "{stdout}"
    );

    let conn = env.db().await;
    conn.execute_unprepared("UPDATE audit_log SET to_state = 'issued' WHERE seq = 2")
        .await
        .unwrap();
    let out = env.run(&["audit", "verify"]);
    let (_, stderr) = text(&out);
    assert!(!out.status.success(), "a changed row must fail verification");
    assert!(
        stderr.contains("audit chain broken at case 11555") && stderr.contains("row"),
        "{stderr}"
    );

    // a deleted row breaks it too, even the last row of a case (the case row keeps the
    // chain's length and head): on a fresh copy of the demo data
    let env = Env::new(db).await;
    assert!(env.run(&["seed", "--demo"]).status.success());
    assert!(env.run(&["audit", "verify"]).status.success());
    let conn = env.db().await;
    conn.execute_unprepared(
        "DELETE FROM audit_log WHERE id = (SELECT a.id FROM audit_log a JOIN cases c ON c.id = a.case_id \
         WHERE a.seq = c.audit_seq AND c.audit_seq > 1 ORDER BY a.id LIMIT 1)",
    )
    .await
    .unwrap();
    let out = env.run(&["audit", "verify"]);
    assert!(
        !out.status.success(),
        "a deleted last row must fail verification: {:?}",
        text(&out)
    );
    assert!(text(&out).1.contains("audit chain broken"), "{:?}", text(&out));
}

async fn cards_import_is_all_or_nothing(db: Db) {
    let env = Env::new(db).await;
    assert!(env.run(&["migrate"]).status.success());
    let bad = env.dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "ui_number,birth_date,family_name,given_name,nationality,email,field,expires_on\n\
         F800001196,1992-05-03,HUNT,ETHAN,US,ethan@example.com,digital,2027-03-01\n\
         A800000015,1990-01-01,Roe,Rick,US,rick@example.com,digital,2027-03-01\n\
         A800000014,1990-02-30,Poe,Edgar,GB,edgar@example.com,cooking,2027-03-01\n",
    )
    .unwrap();
    let out = env.run(&["cards", "import", bad.to_str().unwrap()]);
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(stderr.contains("line 3: ui_number"), "{stderr}");
    assert!(
        stderr.contains("line 4: birth_date") && stderr.contains("line 4: field"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    assert_eq!(count(&env, "cards").await, 0);

    let good = env.dir.path().join("good.csv");
    std::fs::write(
        &good,
        "ui_number,birth_date,family_name,given_name,nationality,email,field,expires_on,hk_macau\n\
         F800001196,1992-05-03,HUNT,ETHAN,US,ethan@example.com,digital,2027-03-01,\n\
         A800000014,1990-01-01,Chan,Tai Man,HK,chan@example.com,finance,2027-03-01,true\n",
    )
    .unwrap();
    let out = env.run(&["cards", "import", good.to_str().unwrap()]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert!(text(&out).0.contains("imported 2 cards"));
    assert_eq!(count(&env, "cards").await, 2);
}

async fn accounts_and_tokens(db: Db) {
    let env = Env::new(db).await;
    let out = env.run_with_stdin(
        &[
            "user",
            "add",
            "--login",
            "reviewer9",
            "--email",
            "r9@wda.example",
            "--role",
            "labor_reviewer",
            "--password-stdin",
        ],
        "a long enough password\n",
    );
    assert!(out.status.success(), "{:?}", text(&out));
    let out = env.run(&["token", "create", "--login", "reviewer9"]);
    let token = text(&out).0.trim().to_string();
    assert!(
        out.status.success() && token.starts_with("gct_") && token.len() == 68,
        "{token}"
    );
    let out = env.run(&[
        "user",
        "add",
        "--login",
        "reviewer9",
        "--email",
        "x@wda.example",
        "--role",
        "labor_reviewer",
    ]);
    assert!(
        !out.status.success() && text(&out).1.contains("already exists"),
        "{:?}",
        text(&out)
    );
    let out = env.run(&[
        "user",
        "add",
        "--login",
        "x",
        "--email",
        "x@wda.example",
        "--role",
        "wizard",
    ]);
    assert!(
        !out.status.success() && text(&out).1.contains("unknown role"),
        "{:?}",
        text(&out)
    );
    let out = env.run(&["token", "create", "--login", "nobody"]);
    assert!(!out.status.success());
}

async fn production_refuses_a_frozen_clock_and_demo_data(db: Db) {
    let mut env = Env::new(db).await;
    env.set("GOLDCARD_ENV", "production");
    let out = env.run(&["seed", "--demo"]);
    assert!(
        !out.status.success() && text(&out).1.contains("demo data is refused"),
        "{:?}",
        text(&out)
    );
    // a bulk load locks its tables for its whole run: never on a database in service
    let out = env.run(&["seed", "--cards", "10"]);
    assert!(
        !out.status.success() && text(&out).1.contains("synthetic data is refused"),
        "{:?}",
        text(&out)
    );
    env.set("GOLDCARD_NOW", "2026-11-25T00:00:00Z");
    let out = env.run(&["migrate"]);
    assert!(
        !out.status.success() && text(&out).1.contains("GOLDCARD_NOW"),
        "{:?}",
        text(&out)
    );
}

/// Every index of the database with its definition, by name.
async fn index_definitions(env: &Env) -> Vec<(String, String)> {
    let conn = env.db().await;
    let backend = conn.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => {
            "SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname"
        }
        _ => "SELECT name, sql AS def FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name",
    };
    conn.query_all_raw(Statement::from_string(backend, sql.to_string()))
        .await
        .unwrap()
        .iter()
        .map(|r| (r.try_get("", "name").unwrap(), r.try_get("", "def").unwrap()))
        .collect()
}

/// `seed --cards N --cases N` writes whole histories in bulk; they must be exactly what the
/// engine and `apply()` would have written one event at a time: every case's state and
/// version match its audit rows, the hash chain verifies, every state of the workflow
/// appears, and a generated case goes on through the ordinary API.
async fn synthetic_cases_are_consistent_histories(db: Db) {
    let env = Env::new(db).await;
    let out = env.run(&["migrate"]);
    assert!(out.status.success(), "{:?}", text(&out));
    let indexes_before = index_definitions(&env).await;
    assert!(
        indexes_before
            .iter()
            .any(|(name, _)| name == "ix_cases_state_field_hk_due_id"),
        "{indexes_before:?}"
    );
    let out = env.run(&["seed", "--demo", "--cards", "400", "--cases", "300"]);
    assert!(out.status.success(), "{:?}", text(&out));
    // the load dropped the secondary indexes and built each again from its definition
    assert_eq!(index_definitions(&env).await, indexes_before);
    if let Some(path) = env
        .database_url
        .strip_prefix("sqlite://")
        .and_then(|rest| rest.split('?').next())
    {
        // SQLite: the load ran with a rollback journal (it was the database's only
        // connection) and left the database in WAL mode again, its journal gone. The file
        // header says so without opening a connection (which would ask for WAL itself):
        // bytes 18 and 19 are 2 in WAL mode, 1 with a rollback journal.
        let header = std::fs::read(path).unwrap();
        assert_eq!(&header[18..20], &[2, 2], "the database is not in WAL mode after a seed");
        assert!(
            !std::path::Path::new(&format!("{path}-journal")).exists(),
            "a rollback journal was left behind"
        );
    }
    // a second load on the same database adds to it (its own case numbers, ids and
    // documents' public ids)
    let out = env.run(&["seed", "--cases", "50"]);
    assert!(out.status.success(), "{:?}", text(&out));
    let out = env.run(&["audit", "verify"]);
    assert!(
        out.status.success() && text(&out).0.contains("audit chain intact"),
        "{:?}",
        text(&out)
    );
    let conn = env.db().await;
    let backend = conn.get_database_backend();
    let rows = conn
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT c.case_number, c.state, c.version, c.audit_seq, c.audit_head, \
                    (SELECT COUNT(*) FROM audit_log a WHERE a.case_id = c.id) AS n, \
                    (SELECT a.to_state FROM audit_log a WHERE a.case_id = c.id ORDER BY a.seq DESC LIMIT 1) AS last_to, \
                    (SELECT a.hash FROM audit_log a WHERE a.case_id = c.id ORDER BY a.seq DESC LIMIT 1) AS last_hash \
             FROM cases c"
                .to_string(),
        ))
        .await
        .unwrap();
    assert!(rows.len() >= 350, "{} cases", rows.len());
    let mut states = std::collections::BTreeSet::new();
    for r in &rows {
        let number: String = r.try_get("", "case_number").unwrap();
        let state: String = r.try_get("", "state").unwrap();
        let version: i64 = r.try_get("", "version").unwrap();
        let seq: i64 = r.try_get("", "audit_seq").unwrap();
        let n: i64 = r.try_get("", "n").unwrap();
        let last_to: String = r.try_get("", "last_to").unwrap();
        let head: String = r.try_get("", "audit_head").unwrap();
        let last_hash: String = r.try_get("", "last_hash").unwrap();
        assert_eq!(state, last_to, "case {number}: state and its last audit row");
        assert_eq!(seq, n, "case {number}: audit_seq and its audit rows");
        assert_eq!(version, n, "case {number}: one version per audit row");
        assert_eq!(head, last_hash, "case {number}: the chain head");
        states.insert(state);
    }
    for s in [
        "submitted",
        "paid",
        "labor_review",
        "supplement",
        "immigration_review",
        "issued",
        "rejected",
        "withdrawn",
    ] {
        assert!(states.contains(s), "no synthetic case is {s}: {states:?}");
    }
    // the latest issued case of each card moved the card's expiry to the decided date
    let moved = conn
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM cases c JOIN cards k ON k.id = c.card_id \
             WHERE c.state = 'issued' AND k.expires_on <> c.new_expires_on \
               AND NOT EXISTS (SELECT 1 FROM cases d WHERE d.card_id = c.card_id AND d.state = 'issued' AND d.id > c.id)"
                .to_string(),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        moved.try_get::<i64>("", "n").unwrap(),
        0,
        "an issued case left its card's expiry behind"
    );
    drop(conn);

    // a generated paid case goes on through the API: a reviewer claims it
    let server = env.serve(&["--no-demo"]).await;
    let token = text(&env.run(&["token", "create", "--login", "reviewer1"]))
        .0
        .trim()
        .lines()
        .last()
        .unwrap()
        .to_string();
    let client = reqwest::Client::new();
    let queue: serde_json::Value = client
        .get(format!("{}/api/v1/queues/intake?per_page=1", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let number = queue["items"][0]["case_number"]
        .as_str()
        .expect("a paid case in intake")
        .to_string();
    let claimed = client
        .post(format!("{}/api/v1/cases/{number}/events", server.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({"event": "claim"}))
        .send()
        .await
        .unwrap();
    assert_eq!(claimed.status(), 200, "{}", claimed.text().await.unwrap());
    drop(server);
    let out = env.run(&["audit", "verify"]);
    assert!(out.status.success(), "{:?}", text(&out));
}

on_both! {
    synthetic => synthetic_cases_are_consistent_histories;
    serve => serve_migrates_seeds_and_reports_health;
    audit => seed_demo_then_audit_verify_detects_tampering;
    import => cards_import_is_all_or_nothing;
    users => accounts_and_tokens;
    production => production_refuses_a_frozen_clock_and_demo_data;
}

#[test]
fn workflow_check_names_the_file_and_line() {
    let env = tokio::runtime::Runtime::new().unwrap().block_on(Env::new(Db::Sqlite));
    let out = env.run(&["workflow", "check"]);
    assert!(out.status.success(), "{:?}", text(&out));
    assert!(text(&out).0.contains("gold-card-extension.toml: ok"));

    let shipped = std::fs::read_to_string(env.dir.path().join("workflows/gold-card-extension.toml")).unwrap();
    let broken = shipped.replacen(
        "effects = [\"record_labor_approval\"]",
        "effects = [\"record_labor_approval\", \"teleport\"]",
        1,
    );
    let line = broken.lines().position(|l| l.contains("teleport")).unwrap() + 1;
    let file = env.dir.path().join("broken.toml");
    std::fs::write(&file, broken).unwrap();
    let out = env.run(&["workflow", "check", file.to_str().unwrap()]);
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!("broken.toml:{line}:")) && stderr.contains("teleport"),
        "{stderr}"
    );

    let dot = text(&env.run(&["workflow", "graph", "gold-card-extension"])).0;
    assert!(
        dot.starts_with("digraph") && dot.contains("labor_review -> immigration_review"),
        "{dot}"
    );
    let svg = text(&env.run(&["workflow", "graph", "gold-card-extension", "--format", "svg"])).0;
    assert!(
        svg.contains("<svg") && svg.contains("immigration_review"),
        "{}",
        &svg[..svg.len().min(200)]
    );
}
