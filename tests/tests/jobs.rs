//! The scheduler end to end: `goldcard jobs list|run`, start-up errors for a bad schedule,
//! and two `goldcard serve` instances on one PostgreSQL sending each reminder once to a
//! real SMTP server.
#![allow(clippy::unwrap_used, missing_docs)]

use goldcard_tests::smtp::{Handler, SmtpServer};
use goldcard_tests::{Db, Env, on_both, text};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// 10:00 on 2026-11-25 in Taipei.
const NOW: &str = "2026-11-25T02:00:00Z";

/// A valid new-format UI number from eight digits.
fn ui_number(body: &str) -> String {
    let letter = 10; // A
    let mut sum = letter / 10 + (letter % 10) * 9;
    for (d, w) in body.chars().zip((1..=8).rev()) {
        sum += d.to_digit(10).unwrap() * w;
    }
    format!("A{body}{}", (10 - sum % 10) % 10)
}

/// Imports `n` cards whose window opens today (expiry 2027-03-25) and `n` locking today
/// (expiry 2026-12-25).
fn import_cards(env: &Env, n: usize) {
    let mut csv = String::from("ui_number,birth_date,family_name,given_name,nationality,email,field,expires_on\n");
    for i in 0..2 * n {
        let expires = if i < n { "2027-03-25" } else { "2026-12-25" };
        csv.push_str(&format!(
            "{},1990-01-02,DOE,JANE,US,holder{i}@example.com,digital,{expires}\n",
            ui_number(&format!("8{i:07}"))
        ));
    }
    let file = env.dir.path().join("cards.csv");
    std::fs::write(&file, csv).unwrap();
    let out = env.run(&["cards", "import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{:?}", text(&out));
}

async fn cli(db: Db) {
    let mut env = Env::new(db).await;
    env.set("GOLDCARD_NOW", NOW);
    let out = env.run(&["jobs", "list"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    for job in goldcard_jobs::JOBS {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(job.name))
            .unwrap_or_else(|| panic!("{} not listed:\n{stdout}", job.name));
        assert!(line.contains(job.cron) && line.contains("never"), "{line}");
    }

    import_cards(&env, 3);
    let out = env.run(&["jobs", "run", "window_open_reminders", "--now", NOW]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("3 mail(s) written, 0 already written"), "{stdout}");
    // a second run for the same day writes nothing
    let out = env.run(&["jobs", "run", "window_open_reminders", "--now", "2026-11-25T09:00:00Z"]);
    assert!(
        text(&out).0.contains("0 mail(s) written, 3 already written"),
        "{:?}",
        text(&out)
    );
    let out = env.run(&["jobs", "run", "window_lock_notices"]);
    assert!(text(&out).0.contains("3 mail(s) written"), "{:?}", text(&out));
    // the mail goes out as .eml files when no SMTP server is configured
    let out = env.run(&["jobs", "run", "outbox_dispatch"]);
    assert!(text(&out).0.contains("6 sent"), "{:?}", text(&out));
    assert_eq!(
        std::fs::read_dir(env.dir.path().join("data/outbox")).unwrap().count(),
        6
    );
    let out = env.run(&["jobs", "list"]);
    let listed = text(&out).0;
    let line = listed.lines().find(|l| l.starts_with("window_open_reminders")).unwrap();
    assert!(line.contains(" ok"), "{line}");

    let out = env.run(&["jobs", "run", "window_opn_reminders"]);
    assert!(!out.status.success());
    assert!(text(&out).1.contains("`window_opn_reminders`"), "{:?}", text(&out));
}

/// `goldcard serve` refuses a bad schedule at start-up, naming it.
async fn bad_schedules(db: Db) {
    for (jobs, needle) in [
        ("sla_digest=0 0 25 * * *", "`sla_digest`"),
        ("nightly_cleanup=0 0 1 * * *", "`nightly_cleanup`"),
    ] {
        let mut env = Env::new(db).await;
        env.set("GOLDCARD_JOBS", jobs);
        env.set("GOLDCARD_BIND", "127.0.0.1:0");
        let out = env.run(&["serve", "--no-demo"]);
        let (stdout, stderr) = text(&out);
        assert!(!out.status.success(), "{stdout}");
        assert!(stderr.contains(needle), "{stderr}");
        assert!(!stdout.contains("listening"), "{stdout}");
    }
}

on_both! {
    jobs_cli => cli;
    a_bad_schedule_stops_start_up => bad_schedules;
}

/// Two instances on one PostgreSQL, every job every second: each mail arrives once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgresql_send_each_mail_once() {
    let smtp = SmtpServer::start(Handler::Mailbox);
    let mut env = Env::new(Db::Postgres).await;
    env.set("GOLDCARD_NOW", NOW);
    env.set("GOLDCARD_SMTP_URL", &smtp.url());
    let every_second: Vec<String> = goldcard_jobs::JOBS
        .iter()
        .map(|j| format!("{}=* * * * * *", j.name))
        .collect();
    env.set("GOLDCARD_JOBS", &every_second.join(";"));
    let out = env.run(&["migrate"]);
    assert!(out.status.success(), "{:?}", text(&out));
    const CARDS: usize = 15;
    import_cards(&env, CARDS);
    let first = env.serve(&["--no-demo"]).await;
    let second = env.serve(&["--no-demo"]).await;

    let expected = 2 * CARDS;
    let start = Instant::now();
    let mut stable_since = Instant::now();
    let mut last = 0;
    loop {
        let n = smtp.received().len();
        if n != last {
            last = n;
            stable_since = Instant::now();
        }
        // every job has run many times on both instances by now
        if n >= expected && stable_since.elapsed() > Duration::from_secs(6) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "{n} of {expected} mails arrived\n{}\n{}",
            first.output(),
            second.output()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let received = smtp.received();
    let mut per_recipient: BTreeMap<String, usize> = BTreeMap::new();
    for m in &received {
        *per_recipient.entry(m.rcpt_tos.clone()).or_default() += 1;
    }
    assert_eq!(received.len(), expected, "{per_recipient:?}");
    assert_eq!(
        per_recipient.len(),
        expected,
        "a holder got two mails: {per_recipient:?}"
    );
    // both instances took part (the job_runs table names the holder of each run)
    let db = env.db().await;
    use sea_orm::{ConnectionTrait, Statement};
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT DISTINCT holder FROM job_runs".to_string(),
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2, "runs by {} instance(s)", rows.len());
    drop((first, second));
}
