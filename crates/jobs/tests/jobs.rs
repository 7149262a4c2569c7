//! The scheduled jobs on SQLite and PostgreSQL: who each one writes to, that a second run
//! writes nothing, catching up on missed days, the lease, and that every mail they write
//! is delivered by a real SMTP server.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use chrono::{DateTime, NaiveDate, Utc};
use common::{TestDb, days, now, today};
use goldcard_jobs::{Outcome, Ran, lease, run};
use goldcard_store::entity::{accounts as account, cases};
use goldcard_tests::smtp::{Handler, SmtpServer};
use goldcard_workflow::Role;
use serde_json::{Value, json};
use std::collections::BTreeSet;

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

async fn ran(t: &TestDb, job: &str, at: DateTime<Utc>) -> Ran {
    match run(&t.jobs, job, at).await.unwrap() {
        Outcome::Ran(r) => {
            assert!(r.problems.is_empty(), "{job}: {:?}", r.problems);
            r
        }
        other => panic!("{job} did not run: {other:?}"),
    }
}

/// Dedupe keys of the outbox rows of `template`.
async fn keys(t: &TestDb, template: &str) -> BTreeSet<String> {
    t.mails(template).await.into_iter().map(|r| r.dedupe_key).collect()
}

fn window_key(template: &str, card_id: i64, expires_on: NaiveDate) -> String {
    format!("{template}:card:{card_id}:{expires_on}")
}

on_both! {
    window_open_reminders_reach_holders_whose_window_opened => window_open;
    closing_reminders_and_lock_notices_reach_holders_who_have_not_filed => closing_and_lock;
    supplements_are_reminded_and_fire_overdue_the_day_after => supplements;
    unpaid_cases_get_one_reminder_after_thirty_days => unpaid;
    supervisors_get_a_daily_digest_of_their_agencys_overdue_cases => digest;
    a_job_whose_lease_is_held_does_not_run => lease_held;
    every_mail_the_jobs_write_reaches_a_real_smtp_server_once => delivered;
    one_time_keys_are_forgotten_after_a_week => forget_keys;
}

async fn forget_keys(t: TestDb) {
    use goldcard_store::idempotency::{Claim, claim};
    let a = t.account("clicker", Role::LaborReviewer).await;
    let db = &t.jobs.db;
    let old = now() - days(8);
    assert_eq!(claim(db, a.id, "old", "/x", old).await.unwrap(), Claim::New);
    assert_eq!(
        claim(db, a.id, "recent", "/x", now() - days(6)).await.unwrap(),
        Claim::New
    );
    let r = ran(&t, "forget_form_keys", now()).await;
    assert_eq!(r.forgotten, 1, "{r}");
    assert_eq!(
        claim(db, a.id, "old", "/x", now()).await.unwrap(),
        Claim::New,
        "forgotten"
    );
    assert_eq!(
        claim(db, a.id, "recent", "/x", now()).await.unwrap(),
        Claim::InFlight,
        "kept"
    );
    assert_eq!(ran(&t, "forget_form_keys", now()).await.forgotten, 0);
}

async fn window_open(t: TestDb) {
    let opens_today = t.card("A80000001", date("2027-03-25")).await;
    let opened_five_days_ago = t.card("A80000002", date("2027-03-20")).await;
    let opened_too_long_ago = t.card("A80000003", date("2027-03-10")).await;
    let opens_tomorrow = t.card("A80000004", date("2027-03-26")).await;
    // a holder with an extension pending gets nothing
    let alice = t.account("alice", Role::Applicant).await;
    t.file_case_on(&alice, "A80000005", date("2027-03-25"), now() - days(1))
        .await;

    let first = ran(&t, "window_open_reminders", now()).await;
    assert_eq!((first.mails_written, first.already_written), (2, 0), "{first}");
    let expected: BTreeSet<String> = [&opens_today, &opened_five_days_ago]
        .iter()
        .map(|c| window_key("window_open", c.id, c.expires_on))
        .collect();
    assert_eq!(keys(&t, "window_open").await, expected);
    let key = window_key("window_open", opens_today.id, opens_today.expires_on);
    let rows = t.mails("window_open").await;
    let row = rows.iter().find(|r| r.dedupe_key == key).unwrap();
    // a card holder without an account is written to at the card's address, English first
    assert_eq!(row.recipient_account_id, None);
    assert_eq!(row.locale.as_deref(), Some("en"));
    assert!(row.recipient_email.as_deref().unwrap().ends_with("@example.com"));
    let payload: Value = serde_json::from_str(&row.payload).unwrap();
    assert_eq!(payload["window_opens_on"], json!("2026-11-25"));
    assert_eq!(payload["window_locks_on"], json!("2027-02-25"));
    assert_eq!(payload["card_expires_on"], json!("2027-03-25"));

    // the same day again: nothing new
    let second = ran(&t, "window_open_reminders", now() + chrono::TimeDelta::hours(3)).await;
    assert_eq!((second.mails_written, second.already_written), (0, 2), "{second}");
    // the next day: only the card whose window opens then
    let next_day = ran(&t, "window_open_reminders", now() + days(1)).await;
    assert_eq!(next_day.mails_written, 1, "{next_day}");
    assert!(keys(&t, "window_open").await.contains(&window_key(
        "window_open",
        opens_tomorrow.id,
        opens_tomorrow.expires_on
    )));
    assert!(!keys(&t, "window_open").await.contains(&window_key(
        "window_open",
        opened_too_long_ago.id,
        opened_too_long_ago.expires_on
    )));
}

async fn closing_and_lock(t: TestDb) {
    // locks 2026-12-09: fourteen days from today
    let closing = t.card("A80000011", date("2027-01-09")).await;
    // locks today
    let locking = t.card("A80000012", date("2026-12-25")).await;
    // locks today, but an extension is pending
    let alice = t.account("alice", Role::Applicant).await;
    t.file_case_on(&alice, "A80000013", date("2026-12-25"), now() - days(40))
        .await;
    // the window opens today: neither
    t.card("A80000014", date("2027-03-25")).await;

    let r = ran(&t, "window_closing_reminders", now()).await;
    assert_eq!(r.mails_written, 1, "{r}");
    assert_eq!(
        keys(&t, "window_closing").await,
        BTreeSet::from([window_key("window_closing", closing.id, closing.expires_on)])
    );
    let r = ran(&t, "window_lock_notices", now()).await;
    assert_eq!(r.mails_written, 1, "{r}");
    assert_eq!(
        keys(&t, "window_locked").await,
        BTreeSet::from([window_key("window_locked", locking.id, locking.expires_on)])
    );
    for job in ["window_closing_reminders", "window_lock_notices"] {
        let again = ran(&t, job, now()).await;
        assert_eq!((again.mails_written, again.already_written), (0, 1), "{job}: {again}");
    }
}

/// Accounts for the case tests.
struct People {
    alice: account::Model,
    cashier: account::Model,
    reviewer: account::Model,
    labor_supervisor: account::Model,
    immigration_supervisor: account::Model,
}

async fn people(t: &TestDb) -> People {
    People {
        alice: t.account("alice", Role::Applicant).await,
        cashier: t.account("cashier", Role::Cashier).await,
        reviewer: t.account("reviewer1", Role::LaborReviewer).await,
        labor_supervisor: t.account("lsup", Role::LaborSupervisor).await,
        immigration_supervisor: t.account("isup", Role::ImmigrationSupervisor).await,
    }
}

/// A case filed, paid and claimed at `at`: in labor review.
async fn in_review(t: &TestDb, p: &People, ui: &str, at: DateTime<Utc>) -> String {
    let n = t.file_case(&p.alice, ui, at).await;
    t.fire(
        &p.cashier,
        &n,
        "pay",
        json!({"amount_twd": 3500, "receipt_no": format!("R-{ui}")}),
        at,
    )
    .await;
    t.fire(&p.reviewer, &n, "claim", json!({}), at).await;
    n
}

async fn supplement(t: &TestDb, p: &People, ui: &str, asked: DateTime<Utc>, due_on: NaiveDate) -> String {
    let n = in_review(t, p, ui, asked).await;
    let items = json!([{"doc_type": "salary_proof", "note": "2026 payslips"}]);
    t.fire(
        &p.reviewer,
        &n,
        "request_supplement",
        json!({"items": items, "abroad": false, "due_on": due_on}),
        asked,
    )
    .await;
    n
}

async fn supplements(t: TestDb) {
    let p = people(&t).await;
    let due_in_five = supplement(&t, &p, "A80000021", now() - days(2), today() + days(5)).await;
    let due_yesterday = supplement(&t, &p, "A80000022", now() - days(20), today() - days(1)).await;
    let due_today = supplement(&t, &p, "A80000023", now() - days(20), today()).await;
    let due_later = supplement(&t, &p, "A80000024", now() - days(2), today() + days(20)).await;

    let r = ran(&t, "supplement_deadlines", now()).await;
    assert_eq!((r.mails_written, r.events_fired), (1, 1), "{r}");
    let reminder = &t.mails("supplement_reminder").await[0];
    assert_eq!(reminder.recipient_account_id, Some(p.alice.id));
    let payload: Value = serde_json::from_str(&reminder.payload).unwrap();
    assert_eq!(payload["case_number"], json!(due_in_five));
    assert_eq!(payload["supplement_items"][0]["doc_type"], json!("salary_proof"));

    // the day after the due date, the case is back in review, marked overdue, and the
    // reviewer is told
    let back: cases::Model = t.case(&due_yesterday).await;
    assert_eq!((back.state.as_str(), back.supplement_overdue), ("labor_review", true));
    let told = t.mails("supplement_overdue").await;
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].recipient_account_id, Some(p.reviewer.id));
    // due today is not overdue yet; due in 20 days is not reminded yet
    assert_eq!(t.case(&due_today).await.state, "supplement");
    assert_eq!(t.case(&due_later).await.state, "supplement");

    let again = ran(&t, "supplement_deadlines", now() + chrono::TimeDelta::hours(1)).await;
    assert_eq!((again.mails_written, again.events_fired), (0, 0), "{again}");
    // tomorrow, the case due today is overdue
    let tomorrow = ran(&t, "supplement_deadlines", now() + days(1)).await;
    assert_eq!(tomorrow.events_fired, 1, "{tomorrow}");
    assert!(t.case(&due_today).await.supplement_overdue);
}

async fn unpaid(t: TestDb) {
    let p = people(&t).await;
    let thirty_days = t.file_case(&p.alice, "A80000031", now() - days(30)).await;
    let twenty_nine_days = t.file_case(&p.alice, "A80000032", now() - days(29)).await;
    let paid = t.file_case(&p.alice, "A80000033", now() - days(30)).await;
    t.fire(
        &p.cashier,
        &paid,
        "pay",
        json!({"amount_twd": 3500, "receipt_no": "R-paid"}),
        now() - days(1),
    )
    .await;

    let r = ran(&t, "unpaid_reminders", now()).await;
    assert_eq!(r.mails_written, 1, "{r}");
    let row = &t.mails("unpaid_reminder").await[0];
    let payload: Value = serde_json::from_str(&row.payload).unwrap();
    assert_eq!(payload["case_number"], json!(thirty_days));
    assert_eq!(payload["fee_twd"], json!(3500));
    assert_eq!(payload["filed_on"], json!("2026-10-26"));
    assert_eq!(ran(&t, "unpaid_reminders", now()).await.mails_written, 0);
    // one reminder only, also on later days
    let tomorrow = ran(&t, "unpaid_reminders", now() + days(1)).await;
    assert_eq!(tomorrow.mails_written, 1, "{tomorrow}");
    let keys = keys(&t, "unpaid_reminder").await;
    assert_eq!(keys.len(), 2);
    assert!(!keys.iter().any(|k| k.contains(&format!(":{paid}"))));
    let _ = twenty_nine_days;
}

async fn digest(t: TestDb) {
    let p = people(&t).await;
    // claimed 60 days ago: 20 working days of labor review are long gone
    let late = in_review(&t, &p, "A80000041", now() - days(60)).await;
    // claimed yesterday: not late
    in_review(&t, &p, "A80000042", now() - days(1)).await;
    let late_row = t.case(&late).await;
    assert!(late_row.sla_due_on.unwrap() < today());

    let r = ran(&t, "sla_digest", now()).await;
    assert_eq!(r.mails_written, 1, "{r}");
    let row = &t.mails("sla_digest").await[0];
    // the labor supervisor only: immigration has no overdue case
    assert_eq!(row.recipient_account_id, Some(p.labor_supervisor.id));
    assert_ne!(row.recipient_account_id, Some(p.immigration_supervisor.id));
    let payload: Value = serde_json::from_str(&row.payload).unwrap();
    assert_eq!(payload["agency"], json!("labor"));
    assert_eq!(payload["as_of"], json!("2026-11-25"));
    let listed = payload["cases"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{payload}");
    assert_eq!(listed[0]["case_number"], json!(late));
    assert_eq!(listed[0]["assignee"], json!("reviewer1 name"));
    let expected = t
        .jobs
        .catalogs
        .calendar
        .working_days_between(late_row.sla_due_on.unwrap(), today());
    assert!(expected > 0);
    assert_eq!(listed[0]["working_days_overdue"], json!(expected));

    assert_eq!(ran(&t, "sla_digest", now()).await.mails_written, 0);
    // a digest a day
    assert_eq!(ran(&t, "sla_digest", now() + days(1)).await.mails_written, 1);
}

async fn lease_held(t: TestDb) {
    t.card("A80000051", date("2027-03-25")).await;
    let wall = Utc::now();
    assert!(
        lease::take(
            t.db(),
            "window_open_reminders",
            "other-instance",
            chrono::TimeDelta::minutes(5),
            wall
        )
        .await
        .unwrap()
    );
    // a second taker is refused while it holds
    assert!(
        !lease::take(
            t.db(),
            "window_open_reminders",
            "third",
            chrono::TimeDelta::minutes(5),
            wall
        )
        .await
        .unwrap()
    );
    match run(&t.jobs, "window_open_reminders", now()).await.unwrap() {
        Outcome::LeaseHeld { holder } => assert_eq!(holder.as_deref(), Some("other-instance")),
        other => panic!("ran despite the lease: {other:?}"),
    }
    assert!(t.mails("window_open").await.is_empty());
    lease::release(t.db(), "window_open_reminders", "other-instance", Utc::now())
        .await
        .unwrap();
    assert_eq!(ran(&t, "window_open_reminders", now()).await.mails_written, 1);
    // an expired lease is free again, whoever held it
    assert!(
        lease::take(t.db(), "sla_digest", "crashed", chrono::TimeDelta::seconds(-1), wall)
            .await
            .unwrap()
    );
    assert_eq!(ran(&t, "sla_digest", now()).await, Ran::default());
}

/// Every job, once each.
async fn all_jobs(t: &TestDb, at: DateTime<Utc>) -> u64 {
    let mut written = 0;
    for job in goldcard_jobs::JOBS.iter().filter(|j| j.name != "outbox_dispatch") {
        written += ran(t, job.name, at).await.mails_written;
    }
    written
}

async fn delivered(mut t: TestDb) {
    let p = people(&t).await;
    t.card("A80000061", date("2027-03-25")).await;
    t.card("A80000062", date("2027-01-09")).await;
    t.card("A80000063", date("2026-12-25")).await;
    supplement(&t, &p, "A80000064", now() - days(2), today() + days(5)).await;
    supplement(&t, &p, "A80000065", now() - days(20), today() - days(1)).await;
    t.file_case(&p.alice, "A80000066", now() - days(30)).await;
    in_review(&t, &p, "A80000067", now() - days(60)).await;
    let written = all_jobs(&t, now()).await;
    // open, closing, locked, supplement reminder, unpaid, digest (+ the overdue event's own)
    assert_eq!(written, 6);
    let templates: BTreeSet<String> = t.outbox().await.into_iter().map(|r| r.template).collect();
    for template in [
        "window_open",
        "window_closing",
        "window_locked",
        "supplement_reminder",
        "supplement_overdue",
        "unpaid_reminder",
        "sla_digest",
    ] {
        assert!(templates.contains(template), "no {template} in {templates:?}");
    }

    let smtp = SmtpServer::start(Handler::Mailbox);
    t.jobs.mailer = goldcard_mail::Transport::from_config(Some(&smtp.url()), "unused").unwrap();
    let sent = ran(&t, "outbox_dispatch", now()).await;
    let rows = t.outbox().await;
    assert_eq!(
        sent.failed,
        0,
        "{sent}: {:?}",
        rows.iter().filter(|r| r.status != "sent").collect::<Vec<_>>()
    );
    assert!(rows.iter().all(|r| r.status == "sent"), "{rows:?}");
    assert_eq!(sent.sent, rows.len() as u64);

    // a second pass of every job and of the dispatcher sends nothing more
    assert_eq!(all_jobs(&t, now()).await, 0);
    assert_eq!(ran(&t, "outbox_dispatch", now()).await.sent, 0);
    let received = smtp.received();
    assert_eq!(received.len(), rows.len());
    let ids: BTreeSet<&str> = received.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(ids.len(), received.len(), "a message arrived twice");
    // the holder without an account got the window mail at the card's address
    let window = received
        .iter()
        .find(|m| m.rcpt_tos == "jane.a80000061@example.com")
        .unwrap_or_else(|| panic!("no mail to the card's address in {received:#?}"));
    assert!(!window.subject.starts_with('['), "{}", window.subject);
}
