//! The outbox dispatcher against real aiosmtpd servers (and the file transport), on
//! SQLite and on PostgreSQL: every notification arrives, none twice, through a server that
//! is down, or stopped and restarted mid-run, and a refused recipient fails alone.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use chrono::{DateTime, Utc};
use common::smtp::{Handler, Received, SmtpServer};
use common::{TestDb, at, now};
use goldcard_mail::dispatcher::{CLAIM_TTL, STATUS_FAILED, STATUS_PENDING, STATUS_SENDING, STATUS_SENT};
use goldcard_mail::{DocumentNames, Letterhead, Mailer, Report, SendError, Transport, dispatch_once};
use goldcard_store::entity::{accounts as account, outbox};
use goldcard_workflow::Role;
use lettre::Message;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

on_both! {
    every_notification_arrives_exactly_once => every_notification_arrives_exactly_once_;
    a_server_that_is_down_gets_retries_with_backoff => a_server_that_is_down_gets_retries_with_backoff_;
    a_server_restarted_mid_run_loses_and_doubles_nothing => a_server_restarted_mid_run_loses_and_doubles_nothing_;
    a_refused_recipient_fails_alone => a_refused_recipient_fails_alone_;
    the_file_transport_writes_one_eml_per_row => the_file_transport_writes_one_eml_per_row_;
    two_dispatchers_share_the_outbox => two_dispatchers_share_the_outbox_;
    a_claim_left_by_a_dead_dispatcher_expires => a_claim_left_by_a_dead_dispatcher_expires_;
    rows_without_a_sendable_mail_fail_alone => rows_without_a_sendable_mail_fail_alone_;
}

fn letterhead(db: &TestDb) -> Letterhead {
    Letterhead::parse("Taiwan Gold Card Office <no-reply@goldcard.example>")
        .unwrap()
        .with_documents(DocumentNames::from_catalog(&db.catalogs.catalog.document_types))
}

/// Dispatches in rounds of `batch` at `now` until a round touches nothing.
async fn drain<M: Mailer>(db: &TestDb, mailer: &M, now: DateTime<Utc>, batch: u64) -> Report {
    let head = letterhead(db);
    let mut total = Report::default();
    loop {
        let r = dispatch_once(db.db(), mailer, &head, now, batch).await.unwrap();
        if r.is_empty() {
            return total;
        }
        total.sent += r.sent;
        total.failed += r.failed;
        total.retried += r.retried;
    }
}

/// Message-ID → how many times it arrived.
fn arrivals(received: &[Received]) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for m in received {
        *seen.entry(m.message_id.clone()).or_insert(0) += 1;
    }
    seen
}

/// Each row's mail arrived exactly once, and nothing else did.
fn assert_each_exactly_once(rows: &[outbox::Model], received: &[Received]) {
    let seen = arrivals(received);
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "arrived more than once: {twice:?}");
    let expected: BTreeSet<&str> = rows.iter().map(|r| r.message_id.as_str()).collect();
    let got: BTreeSet<&str> = seen.keys().map(String::as_str).collect();
    assert_eq!(got, expected, "the mail that arrived is not the outbox's");
}

async fn statuses(db: &TestDb) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for row in db.outbox().await {
        *counts.entry(row.status).or_insert(0) += 1;
    }
    counts
}

fn only(status: &str, n: usize) -> BTreeMap<String, usize> {
    BTreeMap::from([(status.to_string(), n)])
}

// ------------------------------------------------------------------------------------------

async fn every_notification_arrives_exactly_once_(db: TestDb) {
    let rows = db.outbox_rows(8).await;
    assert_eq!(rows.len(), 12, "8 filed, 4 paid");
    let server = SmtpServer::start(Handler::Mailbox);
    let transport = Transport::smtp(&server.url()).unwrap();

    let report = drain(&db, &transport, at(1), 5).await;
    assert_eq!(
        report,
        Report {
            sent: 12,
            failed: 0,
            retried: 0
        }
    );
    let received = server.received();
    assert_each_exactly_once(&rows, &received);

    // to the account's address, in its language first, in both languages
    let accounts: BTreeMap<i64, account::Model> = account::Entity::find()
        .all(db.db())
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let by_id: BTreeMap<&str, &Received> = received.iter().map(|m| (m.message_id.as_str(), m)).collect();
    let case_numbers: BTreeMap<i64, String> = {
        use goldcard_store::entity::cases;
        cases::Entity::find()
            .all(db.db())
            .await
            .unwrap()
            .into_iter()
            .map(|c| (c.id, c.case_number))
            .collect()
    };
    for row in &rows {
        let mail = by_id[row.message_id.as_str()];
        let account = &accounts[&row.recipient_account_id.unwrap()];
        assert_eq!(mail.rcpt_tos, account.email);
        assert_eq!(mail.to, format!("{} <{}>", account.display_name, account.email));
        assert_eq!(mail.auto_submitted, "auto-generated");
        let number = &case_numbers[&row.case_id.unwrap()];
        let (zh, en) = match row.template.as_str() {
            "case_received" => (
                "已收到您的就業金卡延期申請",
                "We received your Gold Card extension application",
            ),
            "payment_received" => ("已收到審查費", "Fee received"),
            other => panic!("unexpected template {other}"),
        };
        let expected = if account.locale == "en" {
            format!("[{number}] {en} / {zh}")
        } else {
            format!("[{number}] {zh} / {en}")
        };
        assert_eq!(mail.subject, expected);
        let text = mail.text.as_deref().unwrap();
        let html = mail.html.as_deref().unwrap();
        assert!(text.contains(number.as_str()) && html.contains(number.as_str()));
        let greeting = format!("Dear {},", account.display_name);
        assert!(text.contains(&greeting) && html.contains(&greeting), "{text}");
    }

    // all sent, none tried twice; a further round finds nothing
    for row in db.outbox().await {
        assert_eq!(
            (row.status.as_str(), row.attempts, row.last_error),
            (STATUS_SENT, 0, None)
        );
        assert_eq!(row.sent_at, Some(at(1)));
    }
    assert!(drain(&db, &transport, at(7200), 5).await.is_empty());
    assert_eq!(server.received().len(), 12);
}

async fn a_server_that_is_down_gets_retries_with_backoff_(db: TestDb) {
    let rows = db.outbox_rows(4).await;
    assert_eq!(rows.len(), 6);
    let mut server = SmtpServer::reserve(Handler::Mailbox);
    let transport = Transport::smtp(&server.url()).unwrap();
    let head = letterhead(&db);

    let r = dispatch_once(db.db(), &transport, &head, at(1), 50).await.unwrap();
    assert_eq!((r.sent, r.failed, r.retried), (0, 0, 6));
    for row in db.outbox().await {
        assert_eq!(
            (row.status.as_str(), row.attempts, row.sent_at),
            (STATUS_PENDING, 1, None)
        );
        assert_eq!(row.next_attempt_at, at(31), "first retry after 30 s");
        assert!(row.last_error.is_some_and(|e| !e.is_empty()));
    }
    // nothing is due before the backoff has passed
    assert!(
        dispatch_once(db.db(), &transport, &head, at(30), 50)
            .await
            .unwrap()
            .is_empty()
    );
    // still down: the delay doubles
    let r = dispatch_once(db.db(), &transport, &head, at(31), 50).await.unwrap();
    assert_eq!((r.sent, r.retried), (0, 6));
    for row in db.outbox().await {
        assert_eq!((row.status.as_str(), row.attempts), (STATUS_PENDING, 2));
        assert_eq!(row.next_attempt_at, at(31 + 60));
    }
    assert!(server.received().is_empty());

    server.up();
    assert!(
        dispatch_once(db.db(), &transport, &head, at(90), 50)
            .await
            .unwrap()
            .is_empty()
    );
    let r = drain(&db, &transport, at(91), 4).await;
    assert_eq!((r.sent, r.failed, r.retried), (6, 0, 0));
    assert_each_exactly_once(&rows, &server.received());
    for row in db.outbox().await {
        assert_eq!(
            (row.status.as_str(), row.attempts, row.last_error),
            (STATUS_SENT, 2, None)
        );
        assert_eq!(row.sent_at, Some(at(91)));
    }
}

/// A mailer that stops the SMTP server (SIGKILL) right after it has accepted the `after`-th
/// message: the rest of the round meets a dead server.
struct StopAfter {
    inner: Transport,
    server: Arc<Mutex<SmtpServer>>,
    after: usize,
    accepted: AtomicUsize,
}

impl Mailer for StopAfter {
    async fn send(&self, message: &Message) -> Result<(), SendError> {
        let result = self.inner.send(message).await;
        if result.is_ok() && self.accepted.fetch_add(1, Ordering::SeqCst) + 1 == self.after {
            self.server.lock().unwrap().down();
        }
        result
    }
}

async fn a_server_restarted_mid_run_loses_and_doubles_nothing_(db: TestDb) {
    let rows = db.outbox_rows(10).await;
    assert_eq!(rows.len(), 15);
    let server = Arc::new(Mutex::new(SmtpServer::start(Handler::Mailbox)));
    let url = server.lock().unwrap().url();
    let mailer = StopAfter {
        inner: Transport::smtp(&url).unwrap(),
        server: server.clone(),
        after: 6,
        accepted: AtomicUsize::new(0),
    };
    let head = letterhead(&db);

    // one round over every row: the server dies after the sixth
    let r = dispatch_once(db.db(), &mailer, &head, at(1), 50).await.unwrap();
    assert_eq!((r.sent, r.failed, r.retried), (6, 0, 9));
    assert_eq!(
        statuses(&db).await,
        BTreeMap::from([(STATUS_SENT.into(), 6), (STATUS_PENDING.into(), 9)])
    );
    assert_eq!(server.lock().unwrap().received().len(), 6);

    // restarted: the rest arrives, and the first six are not sent again
    server.lock().unwrap().up();
    let r = drain(&db, &mailer, at(3600), 4).await;
    assert_eq!((r.sent, r.failed, r.retried), (9, 0, 0));
    assert_eq!(statuses(&db).await, only(STATUS_SENT, 15));
    let received = server.lock().unwrap().received();
    assert_each_exactly_once(&rows, &received);
    let folders: BTreeSet<&str> = received.iter().map(|m| m.folder.as_str()).collect();
    assert_eq!(folders.len(), 2, "mail arrived on both sides of the restart");

    // stopped and restarted between rounds too
    let rows = db.more_outbox_rows(10, 4).await;
    assert_eq!(rows.len(), 21);
    server.lock().unwrap().down();
    let r = dispatch_once(db.db(), &mailer, &head, at(3601), 50).await.unwrap();
    assert_eq!((r.sent, r.retried), (0, 6));
    server.lock().unwrap().up();
    let r = drain(&db, &mailer, at(7200), 50).await;
    assert_eq!((r.sent, r.retried), (6, 0));
    assert_each_exactly_once(&rows, &server.lock().unwrap().received());
}

async fn a_refused_recipient_fails_alone_(db: TestDb) {
    let cashier = db.account("cashier", "cashier@example.tw", Role::Cashier, "en").await;
    let first = db.account("holder1", "holder1@example.tw", Role::Applicant, "en").await;
    let refused = db
        .account("holder2", "please.refuse@example.tw", Role::Applicant, "zh-TW")
        .await;
    let last = db
        .account("holder3", "holder3@example.tw", Role::Applicant, "zh-TW")
        .await;
    db.file_case(&first, "B80000001").await;
    let c = db.file_case(&refused, "B80000002").await;
    db.pay(&cashier, &c.case_number, "R-1").await;
    db.file_case(&last, "B80000003").await;
    let rows = db.outbox().await;
    assert_eq!(rows.len(), 4);

    let server = SmtpServer::start(Handler::Refusing);
    let transport = Transport::smtp(&server.url()).unwrap();
    let r = drain(&db, &transport, at(1), 50).await;
    assert_eq!((r.sent, r.failed, r.retried), (2, 2, 0));

    for row in db.outbox().await {
        if row.recipient_account_id == Some(refused.id) {
            assert_eq!(
                (row.status.as_str(), row.attempts, row.sent_at),
                (STATUS_FAILED, 1, None)
            );
            let error = row.last_error.unwrap();
            assert!(error.contains("550"), "{error}");
            assert!(
                error.contains("<please.refuse@example.tw>: recipient refused by the test server"),
                "the server's reply is kept: {error}"
            );
        } else {
            assert_eq!(row.status, STATUS_SENT);
        }
    }
    let sent: Vec<outbox::Model> = rows
        .into_iter()
        .filter(|r| r.recipient_account_id != Some(refused.id))
        .collect();
    assert_each_exactly_once(&sent, &server.received());
    // a failed row is not tried again
    assert!(drain(&db, &transport, at(86_400), 50).await.is_empty());
}

async fn the_file_transport_writes_one_eml_per_row_(db: TestDb) {
    let rows = db.outbox_rows(4).await;
    let dir = tempfile::tempdir().unwrap();
    let outbox_dir = dir.path().join("data/outbox");
    let transport = Transport::from_config(None, &outbox_dir).unwrap();
    assert!(matches!(transport, Transport::Files(_)));

    let r = drain(&db, &transport, at(1), 50).await;
    assert_eq!((r.sent, r.failed, r.retried), (6, 0, 0));
    let listing = || {
        let mut names: Vec<String> = std::fs::read_dir(&outbox_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    };
    let names = listing();
    assert_eq!(names.len(), rows.len());
    assert!(names.iter().all(|n| n.ends_with(".eml")), "{names:?}");
    for row in &rows {
        let Transport::Files(files) = &transport else {
            unreachable!()
        };
        let eml = std::fs::read_to_string(files.path_for(&row.message_id)).unwrap();
        assert!(eml.contains(&format!("Message-ID: {}\r\n", row.message_id)), "{eml}");
        assert!(eml.contains("Content-Type: multipart/alternative"));
        assert!(eml.contains("Content-Type: text/html; charset=utf-8"));
    }

    // a row sent again (a crash before it was marked) replaces its file
    let again = outbox::Entity::find_by_id(rows[0].id)
        .one(db.db())
        .await
        .unwrap()
        .unwrap();
    let mut again = again.into_active_model();
    again.status = Set(STATUS_PENDING.into());
    again.next_attempt_at = Set(at(1));
    again.update(db.db()).await.unwrap();
    let r = drain(&db, &transport, at(2), 50).await;
    assert_eq!(r.sent, 1);
    assert_eq!(listing(), names);
}

async fn two_dispatchers_share_the_outbox_(db: TestDb) {
    let rows = db.outbox_rows(16).await;
    assert_eq!(rows.len(), 24);
    let server = SmtpServer::start(Handler::Mailbox);
    let db = Arc::new(db);
    let instances: Vec<_> = (0..2)
        .map(|_| {
            let db = db.clone();
            let url = server.url();
            tokio::spawn(async move {
                let transport = Transport::smtp(&url).unwrap();
                drain(&db, &transport, at(1), 3).await
            })
        })
        .collect();
    let mut sent = 0;
    for instance in instances {
        let r = instance.await.unwrap();
        assert_eq!((r.failed, r.retried), (0, 0));
        sent += r.sent;
    }
    assert_eq!(sent, 24, "each row sent by one instance only");
    assert_eq!(statuses(&db).await, only(STATUS_SENT, 24));
    assert_each_exactly_once(&rows, &server.received());
}

async fn a_claim_left_by_a_dead_dispatcher_expires_(db: TestDb) {
    let rows = db.outbox_rows(2).await;
    assert_eq!(rows.len(), 3);
    // another instance claimed the first row at now() and died
    let mut claimed = rows[0].clone().into_active_model();
    claimed.status = Set(STATUS_SENDING.into());
    claimed.next_attempt_at = Set(now() + CLAIM_TTL);
    claimed.update(db.db()).await.unwrap();

    let server = SmtpServer::start(Handler::Mailbox);
    let transport = Transport::smtp(&server.url()).unwrap();
    let r = drain(&db, &transport, at(60), 50).await;
    assert_eq!(r.sent, 2, "the claimed row is left alone while its claim holds");
    let row = outbox::Entity::find_by_id(rows[0].id)
        .one(db.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, STATUS_SENDING);

    let r = drain(&db, &transport, now() + CLAIM_TTL, 50).await;
    assert_eq!(r.sent, 1, "taken up again once the claim expired");
    assert_eq!(statuses(&db).await, only(STATUS_SENT, 3));
    assert_each_exactly_once(&rows, &server.received());
}

async fn rows_without_a_sendable_mail_fail_alone_(db: TestDb) {
    let holder = db.account("holder1", "holder1@example.tw", Role::Applicant, "en").await;
    let leaver = db.account("leaver", "leaver@example.tw", Role::Applicant, "en").await;
    db.file_case(&holder, "C80000001").await;
    db.file_case(&leaver, "C80000002").await;
    // the leaver's account is switched off before the mail goes out
    let mut off = leaver.clone().into_active_model();
    off.active = Set(false);
    off.update(db.db()).await.unwrap();

    let payload = serde_json::json!({"case_number": "115550000099", "applicant_name": "No Account", "fee_twd": 3500});
    let manual = |key: &str, template: &str, account: Option<i64>, email: Option<&str>, locale: Option<&str>| {
        outbox::ActiveModel {
            id: NotSet,
            message_id: Set(format!("<{key}@goldcard>")),
            dedupe_key: Set(key.to_string()),
            case_id: Set(None),
            template: Set(template.to_string()),
            recipient_account_id: Set(account),
            recipient_email: Set(email.map(str::to_string)),
            locale: Set(locale.map(str::to_string)),
            payload: Set(payload.to_string()),
            status: Set(STATUS_PENDING.into()),
            attempts: Set(0),
            next_attempt_at: Set(now()),
            last_error: Set(None),
            created_at: Set(now()),
            sent_at: Set(None),
        }
    };
    for row in [
        manual("no-template", "case_recieved", None, Some("x@example.tw"), None),
        manual("no-account", "case_received", Some(999_999), None, None),
        manual("no-recipient", "case_received", None, None, None),
        manual("bad-address", "case_received", None, Some("not an address"), None),
        manual(
            "by-address",
            "case_received",
            None,
            Some("someone@example.tw"),
            Some("en"),
        ),
    ] {
        outbox::Entity::insert(row).exec(db.db()).await.unwrap();
    }

    let server = SmtpServer::start(Handler::Mailbox);
    let transport = Transport::smtp(&server.url()).unwrap();
    let r = drain(&db, &transport, at(1), 50).await;
    assert_eq!((r.sent, r.failed, r.retried), (2, 5, 0));

    let by_key: BTreeMap<String, outbox::Model> = db
        .outbox()
        .await
        .into_iter()
        .map(|r| (r.dedupe_key.clone(), r))
        .collect();
    let error = |key: &str| by_key[key].last_error.clone().unwrap_or_default();
    assert!(error("no-template").contains("no mail template is named `case_recieved`"));
    assert!(error("no-account").contains("recipient account 999999 does not exist"));
    assert!(error("no-recipient").contains("names no recipient"));
    assert!(error("bad-address").contains("`not an address` is not valid"));
    let leaver_row = by_key
        .values()
        .find(|r| r.recipient_account_id == Some(leaver.id))
        .unwrap();
    assert_eq!(leaver_row.status, STATUS_FAILED);
    assert!(leaver_row.last_error.as_deref().unwrap().contains("is inactive"));
    assert_eq!(by_key["by-address"].status, STATUS_SENT);

    let received = server.received();
    assert_eq!(received.len(), 2);
    let by_address = received
        .iter()
        .find(|m| m.message_id == "<by-address@goldcard>")
        .unwrap();
    assert_eq!(by_address.rcpt_tos, "someone@example.tw");
    assert_eq!(
        by_address.subject,
        "[115550000099] We received your Gold Card extension application / 已收到您的就業金卡延期申請",
        "a row without an account is written in the row's language"
    );
}
