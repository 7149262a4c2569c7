//! The applicant portal in headless Chromium: the seed guide's sixteen steps walked as a
//! holder would (sign-in as 外國人自行申請, the code from a real SMTP server, the countdown,
//! the menu, the consent, the lookup, the five tabs one after the other with 下一頁, the
//! uploads, the case number and fee, then withdrawal before payment), and again as an
//! employer filing for an employee (雇主提出申請) who pays through the simulated gateway.
//! A screenshot of each step lands in target/screenshots/<test>/. Every page visited passes
//! the accessibility check.
#![allow(clippy::unwrap_used, missing_docs)]

mod browser;

use browser::Browser;
use goldcard_tests::Db;
use goldcard_tests::html_checks::accessibility_problems;
use goldcard_tests::portal_fixture::{PASSWORD, PDF, Portal, start};
use goldcard_tests::smtp::code_mailed;
use std::path::Path;

async fn assert_accessible(b: &Browser) {
    let html = b.source().await;
    let problems = accessibility_problems(&html);
    assert!(problems.is_empty(), "{}: {problems:#?}", b.current_url().await);
}

/// `[id="…"]`: the form's ids have dots in them (the extension body's paths).
fn id(name: &str) -> String {
    format!("[id=\"{name}\"]")
}

/// Sets a date input (the typing order of a date field depends on the browser's locale).
async fn set_date(b: &Browser, name: &str, date: &str) {
    b.find(&id(name)).await;
    b.client()
        .execute(
            "document.getElementById(arguments[0]).value = arguments[1];",
            vec![name.into(), date.into()],
        )
        .await
        .unwrap();
}

/// Steps 1–6: the home page, the role choice, login and password, the emailed code, and
/// the countdown on the menu.
async fn sign_in(b: &Browser, p: &Portal, as_: &str, login: &str, n: usize) {
    let base = &p.server.base;
    b.goto(&format!("{base}/")).await;
    b.wait_for("#as-self").await;
    assert_accessible(b).await;
    b.screenshot("01 platform").await;
    b.screenshot("02 sign-in page").await;
    b.click(&format!("#as-{as_}")).await;
    b.screenshot("03 filer role").await;
    b.fill("#f-login", login).await;
    b.fill("#f-password", PASSWORD).await;
    b.screenshot("04 login").await;
    b.click("form.card button[type=submit]").await;
    b.wait_for("#f-code").await;
    let code = code_mailed(&p.smtp, &format!("{login}@goldcard.example"), n).await;
    b.fill("#f-code", &code).await;
    b.screenshot("05 email code").await;
    b.click("form.card button[type=submit]").await;
    b.wait_for("#countdown").await;
    assert!(b.current_url().await.ends_with("/apply"));
    let left = b.text("#countdown").await;
    assert!(left.starts_with("30:") || left.starts_with("29:"), "{left}");
    assert_accessible(b).await;
    b.screenshot("06 countdown").await;
}

/// Steps 7–14: the menu, the consent, the lookup, the five tabs and the uploads; returns
/// the case number of step 15.
async fn file(b: &Browser, dir: &Path, ui: &str, update_passport: bool) -> String {
    // 7: 就業金卡延期申請
    b.click("ul.menu a[href=\"/apply/consent\"]").await;
    // 8: the terms; the tick is required
    b.wait_for("ol.consent").await;
    assert_accessible(b).await;
    b.click("#f-consent").await;
    b.screenshot("08 consent").await;
    b.click("form.card button[type=submit]").await;
    // 9: UI number, birth date, the passport tick
    b.wait_for(&id("f-ui_number")).await;
    assert_accessible(b).await;
    b.fill(&id("f-ui_number"), ui).await;
    set_date(b, "f-birth_date", "1992-05-03").await;
    if update_passport {
        b.click("#f-update_passport").await;
    }
    b.screenshot("09 lookup").await;
    b.click("form.card button[type=submit]").await;
    // 10: 基本資料, pre-filled from the card
    b.wait_for("form#filing").await;
    assert_accessible(b).await;
    assert_eq!(
        b.find(&id("f-basic.family_name"))
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("HUNT")
    );
    b.find(&id("f-basic.gender")).await.select_by_value("M").await.unwrap();
    for (f, v) in [
        ("basic.occupation", "Software engineer"),
        ("basic.education", "Master"),
        ("basic.birth_country", "US"),
        ("basic.birth_city", "Boston"),
        ("basic.home_address", "1 Main St, Boston"),
        ("basic.home_phone", "+1 555 0100"),
        // the card's email is shown masked, not filled in
        ("basic.email", "holder@goldcard.example"),
    ] {
        b.fill(&id(&format!("f-{f}")), v).await;
    }
    b.find(&id("f-basic.marital_status"))
        .await
        .select_by_value("single")
        .await
        .unwrap();
    b.screenshot("10 basic data").await;
    b.click("#tab-basic button[data-go=tab-passport]").await;
    // 11: 護照資料
    b.wait_for("#tab-passport:not([hidden])").await;
    b.find(&id("f-passport.type"))
        .await
        .select_by_value("ordinary")
        .await
        .unwrap();
    if update_passport {
        b.fill(&id("f-passport.number"), "P77777777").await;
        set_date(b, "f-passport.expiry_date", "2031-01-01").await;
    }
    set_date(b, "f-passport.issued_on", "2023-11-01").await;
    b.fill(&id("f-passport.issued_at"), "Washington").await;
    b.screenshot("11 passport").await;
    b.click("#tab-passport button[data-go=tab-residence]").await;
    // 12: 居留申請
    b.wait_for("#tab-residence:not([hidden])").await;
    b.click(&id("f-residence.validity_years-3")).await;
    b.find(&id("f-residence.pickup"))
        .await
        .select_by_value("self")
        .await
        .unwrap();
    for (f, v) in [
        ("residence.employer", "Acme Taiwan"),
        ("residence.pickup_office", "臺北市服務站"),
        ("residence.residence_address", "臺北市大同區 1 號"),
        ("residence.mobile", "0912345678"),
        ("residence.contact.name", "王小明"),
        ("residence.contact.relation", "friend"),
        ("residence.contact.phone", "0223456789"),
    ] {
        b.fill(&id(&format!("f-{f}")), v).await;
    }
    b.screenshot("12 residence").await;
    b.click("#tab-residence button[data-go=tab-field]").await;
    // 13: 領域專長 (the card's field and criterion, so documents would carry over)
    b.wait_for("#tab-field:not([hidden])").await;
    b.screenshot("13 field of expertise").await;
    // another criterion drops the carried-over documents: the form asks first (declined
    // here, so the card's criterion stays)
    b.client()
        .execute(
            "window.__asked = []; window.confirm = function (m) { window.__asked.push(m); return false; };",
            vec![],
        )
        .await
        .unwrap();
    b.click(&id("f-field.criterion-2")).await;
    let asked = b.client().execute("return window.__asked;", vec![]).await.unwrap();
    assert_eq!(
        asked.as_array().map(Vec::len),
        Some(1),
        "the criterion switch is warned of: {asked:?}"
    );
    let kept = b
        .client()
        .execute("return document.getElementById('f-field.criterion-1').checked;", vec![])
        .await
        .unwrap();
    assert_eq!(
        kept,
        serde_json::Value::Bool(true),
        "declined: the card's criterion stays"
    );
    b.click("#tab-field button[data-go=tab-documents]").await;
    // 14: 文件上傳: a PDF for each required document, then 送出
    b.wait_for("#tab-documents:not([hidden])").await;
    let pdf = dir.join("document.pdf");
    std::fs::write(&pdf, PDF).unwrap();
    let html = b.source().await;
    let inputs = goldcard_tests::html_checks::select_attr(&html, "form#filing input[type=file]", "id");
    assert!(inputs.len() >= 2, "{inputs:?}");
    for input in inputs {
        b.find(&id(&input))
            .await
            .send_keys(pdf.to_str().unwrap())
            .await
            .unwrap();
    }
    b.screenshot("14 documents").await;
    // a required field left empty on a hidden tab: the submit still reaches the server,
    // whose error shows next to the field (the browser's own check would block silently)
    b.client()
        .execute("document.getElementById('f-basic.occupation').value = '';", vec![])
        .await
        .unwrap();
    b.click("button[name=action][value=submit]").await;
    b.wait_for("#errors").await;
    b.wait_for("#tab-basic:not([hidden]) .invalid [id=\"f-basic.occupation\"]")
        .await;
    b.screenshot("14 error on another tab").await;
    b.fill(&id("f-basic.occupation"), "Software engineer").await;
    b.click(".filing-tabs a[data-tab=tab-documents]").await;
    b.wait_for("#tab-documents:not([hidden])").await;
    b.click("button[name=action][value=submit]").await;
    // 15: the case number and the fee
    b.wait_for("#case-number").await;
    assert_accessible(b).await;
    b.screenshot("15 case number").await;
    let case = b.text("#case-number").await;
    assert_eq!(case.len(), 12, "{case}");
    case
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_walks_the_seed_guide_in_chromium() {
    let p = start(Db::Sqlite).await;
    let b = Browser::start("a_holder_walks_the_seed_guide_in_chromium").await;
    let dir = tempfile::tempdir().unwrap();
    sign_in(&b, &p, "self", "holder", 1).await;
    let case = file(&b, dir.path(), &p.open_card, false).await;
    assert_eq!(b.text("#fee").await, "NT$3,500");
    // the draft in sessionStorage is cleared once filed
    let drafts = "var k = []; for (var i = 0; i < sessionStorage.length; i++) { \
                  if (sessionStorage.key(i).indexOf('goldcard-extension') === 0) k.push(sessionStorage.key(i)); } return k;";
    let left = b.client().execute(drafts, vec![]).await.unwrap();
    assert_eq!(left, serde_json::json!([]), "{left:?}");
    p.mail("holder@goldcard.example", &case).await;
    // 16: 進度查詢 → 案件撤銷, before payment
    b.click("nav a[href=\"/apply/withdraw\"]").await;
    b.wait_for(&format!("a[href=\"/apply/cases/{case}/withdraw\"]")).await;
    assert_accessible(&b).await;
    b.click(&format!("a[href=\"/apply/cases/{case}/withdraw\"]")).await;
    b.wait_for("#confirm-withdraw").await;
    b.click("#confirm-withdraw").await;
    b.screenshot("16 withdraw").await;
    b.click("button.danger").await;
    b.wait_for("#progress").await;
    let progress = b.text("#progress").await;
    assert!(progress.contains("已撤案"), "{progress}");
    assert_accessible(&b).await;
    b.screenshot("16 withdrawn").await;
    // signing out clears every draft of the tab (another account may sign in next)
    b.client()
        .execute(
            "sessionStorage.setItem('goldcard-extension:0:F800001196', '{}');",
            vec![],
        )
        .await
        .unwrap();
    b.click("form[action=\"/sign-out\"] button[type=submit]").await;
    b.wait_for("#as-self").await;
    let left = b.client().execute(drafts, vec![]).await.unwrap();
    assert_eq!(left, serde_json::json!([]), "sign-out leaves a draft: {left:?}");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_employer_files_for_an_employee_and_pays_in_chromium() {
    let p = start(Db::Sqlite).await;
    let b = Browser::start("an_employer_files_for_an_employee_and_pays_in_chromium").await;
    let dir = tempfile::tempdir().unwrap();
    sign_in(&b, &p, "employer", "employer", 1).await;
    assert!(b.text("header .who").await.contains("雇主提出申請"));
    let case = file(&b, dir.path(), &p.employee_card, true).await;
    // payment: the page, the hand-off, the (simulated) bank, back to the case
    b.click(&format!("a[href=\"/apply/cases/{case}/pay\"]")).await;
    b.wait_for("form.card button.primary").await;
    assert_accessible(&b).await;
    b.screenshot("15 payment").await;
    b.click("form.card button.primary").await;
    b.wait_for("#amount").await;
    assert_accessible(&b).await;
    b.screenshot("15 gateway").await;
    b.click("form.card button.primary").await;
    b.wait_for("#progress").await;
    let progress = b.text("#progress").await;
    assert!(progress.contains("已繳費"), "{progress}");
    b.screenshot("15 paid").await;
    p.mail("employer@goldcard.example", &case).await;
    // 16: after payment the withdrawal page says how to ask in writing
    b.goto(&format!("{}/apply/cases/{case}/withdraw", p.server.base)).await;
    b.wait_for("#written").await;
    assert_accessible(&b).await;
    b.screenshot("16 withdrawal in writing").await;
    b.close().await;
}
