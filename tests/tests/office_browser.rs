//! The back office in headless Chromium: a labor reviewer signs in (password, then the code
//! from a real SMTP server), opens the intake queue, claims a case, asks for a document,
//! claims another and approves it, with a screenshot of each step
//! (target/screenshots/a_reviewer_works_a_day_in_chromium/).
#![allow(clippy::unwrap_used, missing_docs)]

mod browser;

use browser::Browser;
use goldcard_tests::html_checks::{accessibility_problems, select_texts};
use goldcard_tests::smtp::{Handler, SmtpServer, code_mailed};
use goldcard_tests::{Db, Env};

async fn assert_accessible(b: &Browser) {
    let html = b.source().await;
    let problems = accessibility_problems(&html);
    assert!(problems.is_empty(), "{}: {problems:#?}", b.current_url().await);
}

/// Opens the case `n`, ticks the confirmation of `event` and submits it.
async fn fire(b: &Browser, base: &str, n: &str, event: &str) {
    b.goto(&format!("{base}/office/cases/{n}")).await;
    b.click(&format!("#action-{event} summary")).await;
    b.click(&format!("#{event}-confirm")).await;
    b.click(&format!("#action-{event} button[type=submit]")).await;
    b.wait_for(".banner.ok").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_works_a_day_in_chromium() {
    let smtp = SmtpServer::start(Handler::Mailbox);
    let mut env = Env::new(Db::Sqlite).await;
    env.set("GOLDCARD_SMTP_URL", &smtp.url());
    env.set("GOLDCARD_JOBS", "outbox_dispatch=* * * * * *");
    let server = env.serve(&[]).await;
    let out = server.output();
    let password = out
        .split("password `")
        .nth(1)
        .unwrap()
        .split('`')
        .next()
        .unwrap()
        .to_string();
    let base = server.base.clone();
    let b = Browser::start("a_reviewer_works_a_day_in_chromium").await;

    // sign in: who, login, password; then the emailed code
    b.goto(&format!("{base}/")).await;
    b.wait_for("#as-officer").await;
    assert_accessible(&b).await;
    b.click("#as-officer").await;
    b.fill("#f-login", "reviewer1").await;
    b.fill("#f-password", &password).await;
    b.screenshot("sign in").await;
    b.click("form.card button[type=submit]").await;
    b.wait_for("#f-code").await;
    let code = code_mailed(&smtp, "reviewer1@goldcard.example", 1).await;
    b.fill("#f-code", &code).await;
    b.screenshot("code").await;
    b.click("form.card button[type=submit]").await;

    // the intake queue
    b.wait_for("table.cases").await;
    assert!(b.current_url().await.ends_with("/office/queues/intake"));
    assert_accessible(&b).await;
    b.screenshot("intake queue").await;
    let html = b.source().await;
    let cases = select_texts(&html, "table.cases tbody tr td a");
    assert!(cases.len() >= 2, "{cases:?}");

    // claim the first case from its page
    fire(&b, &base, &cases[0], "claim").await;
    assert_accessible(&b).await;
    b.screenshot("claimed").await;

    // ask for a document: tick it, say why, confirm
    b.click("#action-request_supplement summary").await;
    b.click("#request_supplement-item-passport_copy").await;
    b.fill(
        "#request_supplement-note-passport_copy",
        "The copy is unreadable; please send a clearer scan.",
    )
    .await;
    b.screenshot("supplement request").await;
    b.click("#request_supplement-confirm").await;
    b.click("#action-request_supplement button[type=submit]").await;
    b.wait_for(".banner.ok").await;
    let badges = b.text(".summary").await;
    assert!(badges.contains("補件"), "{badges}");
    b.screenshot("supplement requested").await;

    // claim the second and approve it
    fire(&b, &base, &cases[1], "claim").await;
    fire(&b, &base, &cases[1], "approve").await;
    let summary = b.text(".summary").await;
    assert!(summary.contains("移民署"), "{summary}");
    assert_accessible(&b).await;
    b.screenshot("approved").await;

    // the keyboard: j moves to the first row of a queue
    b.goto(&format!("{base}/office/queues/mine")).await;
    b.wait_for("table.cases").await;
    b.client().active_element().await.unwrap().send_keys("j").await.unwrap();
    b.wait_for("tr.selected").await;
    b.screenshot("my cases").await;
    b.close().await;
    drop(server);
}
