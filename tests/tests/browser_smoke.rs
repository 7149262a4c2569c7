//! The browser harness (tests/tests/browser/) end to end: the real `goldcard serve` on
//! SQLite, opened in headless Chromium; and the harness's helpers on a small page of
//! their own.
#![allow(clippy::unwrap_used, missing_docs)]

mod browser;

use browser::Browser;
use goldcard_tests::html_checks::{accessibility_problems, count};
use goldcard_tests::{Db, Env};

/// Asserts that `path` is a non-empty PNG file.
#[track_caller]
fn assert_png(path: &std::path::Path) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    assert!(bytes.len() > 100, "{} is only {} bytes", path.display(), bytes.len());
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a PNG",
        path.display()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_opens_the_home_page() {
    let env = Env::new(Db::Sqlite).await;
    let server = env.serve(&["--no-demo"]).await;
    let browser = Browser::start("chromium_opens_the_home_page").await;

    let home = format!("{}/", server.base);
    browser.goto(&home).await;
    browser.wait_for("main h1").await;
    assert_eq!(browser.current_url().await, home);
    let title = browser.title().await;
    assert!(title.contains("就業金卡"), "title: {title:?}");
    let h1 = browser.text("h1").await;
    assert!(h1.contains("就業金卡"), "h1: {h1:?}");

    let html = browser.source().await;
    assert_eq!(count(&html, "h1"), 1, "{html}");
    let problems = accessibility_problems(&html);
    assert!(problems.is_empty(), "accessibility problems on /: {problems:#?}");

    let shot = browser.screenshot("home page").await;
    assert!(
        shot.ends_with("screenshots/chromium_opens_the_home_page/01-home_page.png"),
        "{}",
        shot.display()
    );
    assert_png(&shot);
    let second = browser.screenshot("again").await;
    assert!(second.ends_with("02-again.png"), "{}", second.display());
    assert_png(&second);

    browser.close().await;
    drop(server);
}

/// A page of its own (a `data:` URL) for the helpers: typing, clicking, and waiting for
/// an element that a script adds later.
const FORM_PAGE: &str = "data:text/html;charset=utf-8,<!DOCTYPE html><html lang=en><head><title>form</title></head><body><main><h1>Form</h1>\
<label for=name>Name</label><input id=name value=old>\
<button id=go onclick=\"setTimeout(function(){var p=document.createElement('p');p.id='out';p.textContent='Hello, '+document.getElementById('name').value;document.querySelector('main').appendChild(p)},500)\">Go</button>\
</main></body></html>";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_helpers_fill_click_wait_and_read() {
    let browser = Browser::start("the_helpers_fill_click_wait_and_read").await;
    browser.goto(&FORM_PAGE.replace(' ', "%20")).await;
    assert_eq!(browser.text("h1").await, "Form");
    browser.fill("#name", "金卡 holder").await;
    browser.click("#go").await;
    // the paragraph appears half a second later
    let out = browser.wait_for("#out").await;
    assert_eq!(out.text().await.unwrap(), "Hello, 金卡 holder");
    assert_eq!(browser.text("#out").await, "Hello, 金卡 holder");
    assert!(browser.source().await.contains("<p id=\"out\">Hello, 金卡 holder</p>"));
    assert_png(&browser.screenshot("after click").await);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "no element matches \"#never\" after 10s on data:text/html")]
async fn wait_for_panics_naming_the_selector_and_the_page() {
    let browser = Browser::start("wait_for_panics").await;
    browser
        .goto("data:text/html,<title>empty</title><p>nothing%20here</p>")
        .await;
    // dropped while unwinding: chromedriver and Chromium are stopped all the same
    browser.wait_for("#never").await;
}
