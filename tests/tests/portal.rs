//! The applicant portal end to end: the real `goldcard serve` with a frozen clock, accounts
//! and cards made with the CLI, signing in through the pages with the code from a real SMTP
//! server; then the seed guide's steps as request tests with CSS selectors: the countdown,
//! the menu, the consent, the lookup in every window state, every validation error of the
//! form (each next to its field, nothing typed lost), filing, the "case received" mail,
//! payment through the simulated gateway, progress with "consulting", a supplement, and
//! withdrawal before and after payment. Every page passes the accessibility check and shows
//! script typed into the form escaped. On SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, missing_docs)]

use goldcard_tests::html_checks::{accessibility_problems, count, select_attr, select_texts};
use goldcard_tests::portal_fixture::{PASSWORD, PDF, XSS, start, ui_number};
use goldcard_tests::web_client::{Answer, Web};
use goldcard_tests::{Db, on_both};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use std::collections::BTreeMap;

#[test]
fn the_test_s_ui_numbers_are_valid() {
    assert_eq!(ui_number('A', 8, 1), "A800000014");
    assert_eq!(ui_number('F', 8, 119), "F800001196");
}

/// Every field of a valid filing, as the form names them (the card's data comes pre-filled).
fn valid_form() -> BTreeMap<&'static str, String> {
    [
        ("basic.given_name", "ETHAN"),
        ("basic.gender", "M"),
        // typed, not the card's: the holder's card is not a Hong Kong/Macau one, so this
        // changes neither the fee nor the expedite choice
        ("basic.nationality", "HK"),
        // the card's email is not filled in (shown masked)
        ("basic.email", "holder@goldcard.example"),
        ("basic.occupation", XSS),
        ("basic.education", "Master"),
        ("basic.marital_status", "single"),
        ("basic.birth_country", "US"),
        ("basic.birth_city", "Boston"),
        ("basic.home_address", "1 Main St, Boston"),
        ("basic.home_phone", "+1 555 0100"),
        ("passport.type", "ordinary"),
        ("passport.issued_on", "2023-11-01"),
        ("passport.issued_at", "Washington"),
        ("residence.validity_years", "2"),
        ("residence.employer", "Acme Taiwan"),
        ("residence.pickup", "self"),
        ("residence.pickup_office", "臺北市服務站"),
        ("residence.residence_address", "臺北市大同區 1 號"),
        ("residence.mobile", "0912345678"),
        ("residence.contact.name", "王小明"),
        ("residence.contact.relation", "friend"),
        ("residence.contact.phone", "0223456789"),
        ("field.field", "digital"),
        ("field.criterion", "1"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect()
}

/// The form's own values (hidden fields, pre-filled inputs, checked choices) as a browser
/// would send them back.
fn form_values(page: &str) -> BTreeMap<String, String> {
    let doc = scraper::Html::parse_document(page);
    let mut out = BTreeMap::new();
    let inputs = scraper::Selector::parse("form#filing input, form#filing select").unwrap();
    for el in doc.select(&inputs) {
        let e = el.value();
        let Some(name) = e.attr("name") else { continue };
        let kind = e.attr("type").unwrap_or("text");
        if kind == "file" || kind == "submit" {
            continue;
        }
        if e.name() == "select" {
            let opt = scraper::Selector::parse("option[selected]").unwrap();
            if let Some(o) = el.select(&opt).next() {
                out.insert(name.to_string(), o.value().attr("value").unwrap_or("").to_string());
            }
            continue;
        }
        if (kind == "radio" || kind == "checkbox") && e.attr("checked").is_none() {
            continue;
        }
        out.insert(name.to_string(), e.attr("value").unwrap_or("").to_string());
    }
    out
}

/// Posts the filing form: the page's own values, overridden by `values`, with `files`.
async fn post_form(
    web: &mut Web,
    page: &str,
    values: &BTreeMap<&str, String>,
    files: &[(&str, &str, Vec<u8>)],
    action: &str,
) -> Answer {
    let mut all = form_values(page);
    for (k, v) in values {
        all.insert((*k).to_string(), v.clone());
    }
    all.insert("action".into(), action.into());
    let pairs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    web.post_multipart("/apply/extension", &pairs, files).await
}

/// The upload fields the form asks for.
fn upload_fields(page: &str) -> Vec<String> {
    select_attr(page, "form#filing input[type=file]", "name")
}

/// Step 9's lookup.
async fn look(web: &mut Web, csrf: &str, ui: &str, birth: &str) -> Answer {
    web.post(
        "/apply/lookup",
        &[("csrf", csrf), ("ui_number", ui), ("birth_date", birth)],
    )
    .await
}

/// Asserts that `field`'s error is shown next to it.
fn error_next_to(body: &str, field: &str) {
    let sel = format!(".invalid [id^=\"f-{field}\"], .error[id^=\"f-{field}\"]");
    assert!(
        count(body, &sel) >= 1,
        "no error next to {field}; errors: {:?}",
        select_texts(body, ".error")
    );
}

async fn walk(db: Db) {
    let portal = start(db).await;
    let mut web = Web::new(&portal.server.base);

    // ---------------------------------------------------------------- steps 3–6: sign-in
    let start = web.sign_in_as(&portal.smtp, "self", "holder", PASSWORD, 1).await;
    assert_eq!(start, "/apply");
    let menu = web.get("/apply").await;
    assert_eq!(menu.status, 200);
    // the clock is frozen: the countdown shows the whole 30 minutes
    assert_eq!(select_texts(&menu.body, "#countdown"), ["30:00"]);
    assert_eq!(select_attr(&menu.body, "#countdown", "data-seconds"), ["1800"]);
    assert_eq!(count(&menu.body, "ul.menu li a"), 5, "the five functions");
    assert!(menu.body.contains("外國人自行申請"));

    // ---------------------------------------------------------------- step 8: consent
    assert_eq!(
        web.get("/apply/lookup").await.location.as_deref(),
        Some("/apply/consent")
    );
    let consent = web.get("/apply/consent").await;
    assert_eq!(count(&consent.body, "ol.consent li"), 13, "the terms in full");
    let csrf = Web::csrf(&consent.body);
    let version = select_attr(&consent.body, "input[name=version]", "value").remove(0);
    let refused = web
        .post("/apply/consent", &[("csrf", &csrf), ("version", &version)])
        .await;
    assert_eq!(refused.status, 422, "the tick is required");
    error_next_to(&refused.body, "consent");
    let ok = web
        .post(
            "/apply/consent",
            &[("csrf", &csrf), ("version", &version), ("consent", "yes")],
        )
        .await;
    assert_eq!(ok.location.as_deref(), Some("/apply/lookup"));

    // ---------------------------------------------------------------- step 9: lookup
    let lookup = web.get("/apply/lookup").await;
    assert_eq!(lookup.status, 200);
    let csrf = Web::csrf(&lookup.body);
    let bad = look(&mut web, &csrf, "A800000015", "1992-05-03").await;
    assert_eq!(bad.status, 422);
    error_next_to(&bad.body, "ui_number");
    assert_eq!(
        select_attr(&bad.body, "[id=\"f-ui_number\"]", "value"),
        ["A800000015"],
        "what was typed stays"
    );
    let no_date = look(&mut web, &csrf, &portal.open_card, "1992-13-40").await;
    assert_eq!(no_date.status, 422);
    error_next_to(&no_date.body, "birth_date");
    let wrong_birth = look(&mut web, &csrf, &portal.open_card, "1990-01-01").await;
    assert_eq!(wrong_birth.status, 404);
    error_next_to(&wrong_birth.body, "ui_number");
    for (ui, words) in [
        (ui_number('A', 8, 1), "2027-02-28"),
        (ui_number('B', 9, 2), "求職居留"),
        (ui_number('C', 8, 3), "重新申請"),
    ] {
        let page = look(&mut web, &csrf, &ui, "1992-05-03").await;
        assert_eq!(page.status, 409, "{ui}");
        let banner = select_texts(&page.body, ".banner.error").join(" ");
        assert!(banner.contains(words), "{ui}: {banner}");
    }
    let found = look(&mut web, &csrf, &portal.open_card, "1992-05-03").await;
    assert_eq!(found.status, 303, "{}", found.body);
    let form_path = found.location.unwrap();
    assert!(form_path.starts_with("/apply/extension?"), "{form_path}");

    // ---------------------------------------------------------------- steps 10–14: the tabs
    let form = web.get(&form_path).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert_eq!(count(&form.body, "section.tab-panel"), 5);
    assert_eq!(
        select_texts(&form.body, "nav.filing-tabs a"),
        ["基本資料", "護照資料", "居留申請", "領域專長", "文件上傳"]
    );
    assert_eq!(
        select_attr(&form.body, "[id=\"f-basic.family_name\"]", "value"),
        ["HUNT"],
        "pre-filled from the card"
    );
    assert_eq!(
        count(&form.body, "[id=\"f-passport.number\"][readonly]"),
        1,
        "passport data is carried over without the update tick"
    );
    assert_eq!(count(&form.body, "[data-draft]"), 1, "the browser keeps a draft");
    // the draft is the account's and the card's own
    let draft = select_attr(&form.body, "form#filing", "data-draft").remove(0);
    assert!(draft.starts_with("goldcard-extension:"), "{draft}");
    assert!(draft.ends_with(&format!(":{}", portal.open_card)), "{draft}");
    // whoever knows a UI number and a birth date does not learn the passport number or
    // the email: the passport number shows its last 4 characters, the email is masked
    assert_eq!(
        select_attr(&form.body, "[id=\"f-passport.number\"]", "value"),
        ["*****5678"]
    );
    assert_eq!(select_attr(&form.body, "[id=\"f-basic.email\"]", "value"), [""]);
    assert!(
        select_texts(&form.body, "#email-on-file")[0].ends_with("h*****@goldcard.example"),
        "{:?}",
        select_texts(&form.body, "#email-on-file")
    );
    assert!(!form.body.contains("P12345678"), "the passport number leaks");
    assert!(!form.body.contains("holder@goldcard.example"), "the email leaks");
    let needed = upload_fields(&form.body);
    assert!(
        needed.contains(&"file.passport_copy".to_string()) && needed.contains(&"file.photo".to_string()),
        "{needed:?}"
    );

    // every validation error, next to its field, with everything else kept
    let cases: Vec<(&str, &str)> = vec![
        ("basic.family_name", ""),
        ("basic.given_name", ""),
        ("basic.gender", "Q"),
        ("basic.nationality", "ZZZ"),
        ("basic.occupation", ""),
        ("basic.education", ""),
        ("basic.marital_status", ""),
        ("basic.email", "not an email"),
        ("basic.birth_country", ""),
        ("basic.birth_city", ""),
        ("basic.home_address", ""),
        ("basic.home_phone", ""),
        ("passport.type", ""),
        ("passport.issued_on", "2026-02-30"),
        ("passport.issued_at", ""),
        ("residence.validity_years", "4"),
        ("residence.pickup", ""),
        ("residence.pickup_office", ""),
        ("residence.residence_address", ""),
        ("residence.mobile", "12345"),
        ("residence.contact.name", ""),
        ("residence.contact.relation", ""),
        ("residence.contact.phone", ""),
        ("field.field", "astrology"),
        ("field.criterion", "99"),
    ];
    for (field, bad) in cases {
        let mut values = valid_form();
        values.insert(field, bad.to_string());
        let page = post_form(&mut web, &form.body, &values, &[], "submit").await;
        assert_eq!(page.status, 422, "{field}={bad:?}: {}", page.status);
        error_next_to(&page.body, field);
        // a value typed elsewhere is still there
        let keep = if field == "residence.employer" {
            "basic.birth_city"
        } else {
            "residence.employer"
        };
        assert_eq!(
            select_attr(&page.body, &format!("[id=\"f-{keep}\"]"), "value"),
            [valid_form()[keep].clone()],
            "{field}: {keep} was lost"
        );
    }
    // the documents: none uploaded, then one that lies about its type
    let page = post_form(&mut web, &form.body, &valid_form(), &[], "submit").await;
    assert_eq!(page.status, 422);
    error_next_to(&page.body, "documents");
    let liar = vec![("file.passport_copy", "passport.pdf", b"<html>not a pdf</html>".to_vec())];
    let page = post_form(&mut web, &form.body, &valid_form(), &liar, "submit").await;
    assert_eq!(page.status, 422);
    assert!(
        select_texts(&page.body, ".error").iter().any(|e| e.contains("PDF")),
        "{:?}",
        select_texts(&page.body, ".error")
    );

    // an upload survives a refusal: it comes back as a hidden field
    let mut values = valid_form();
    values.insert("residence.mobile", "1".into());
    let photo = vec![("file.photo", "photo.pdf", PDF.to_vec())];
    let page = post_form(&mut web, &form.body, &values, &photo, "submit").await;
    assert_eq!(page.status, 422);
    assert_eq!(count(&page.body, "input[type=hidden][name=\"doc.photo\"]"), 1);
    let kept = page.body.clone();

    // switching the field re-renders its criteria, keeping everything
    let mut values = valid_form();
    values.insert("field.field", "finance".into());
    values.remove("field.criterion");
    let switched = post_form(&mut web, &kept, &values, &[], "refresh").await;
    assert_eq!(switched.status, 200);
    assert!(count(&switched.body, "input[name=\"field.criterion\"]") >= 1);
    assert_eq!(
        count(&switched.body, "[data-previous-field=digital]"),
        1,
        "the switch is warned of"
    );
    assert_eq!(count(&switched.body, "input[type=hidden][name=\"doc.photo\"]"), 1);
    // a typed "HK" is not the card's status: expedite stays possible, the fee is the table's
    assert_eq!(count(&switched.body, "[id=\"f-expedite\"]"), 1);
    assert_eq!(count(&switched.body, "fieldset.hk-macau"), 0);
    assert!(
        !switched.body.contains("NT$800"),
        "the Hong Kong/Macau fee for a typed HK"
    );

    // ---------------------------------------------------------------- step 15: submit
    let files: Vec<(&str, &str, Vec<u8>)> = upload_fields(&kept)
        .into_iter()
        .filter(|f| f != "file.photo")
        .map(|f| (Box::leak(f.into_boxed_str()) as &str, "doc.pdf", PDF.to_vec()))
        .collect();
    let done = post_form(&mut web, &kept, &valid_form(), &files, "submit").await;
    assert_eq!(done.status, 303, "{:?}", select_texts(&done.body, ".error, .banner"));
    let filed = web.get(done.location.as_deref().unwrap()).await;
    let case = select_texts(&filed.body, "#case-number").remove(0);
    assert_eq!(case.len(), 12);
    assert!(case.starts_with("11555"), "{case}");
    assert_eq!(
        select_texts(&filed.body, "#fee"),
        ["NT$2,500"],
        "typing HK does not pay NT$800"
    );
    assert_eq!(
        select_attr(&filed.body, "#case-number", "data-clear-draft"),
        std::slice::from_ref(&draft),
        "filing clears the form's own draft"
    );
    // the case is filed under the consent given in this sign-in session
    let db = portal.env.db().await;
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            format!(
                "SELECT k.session_id AS session_id, k.text_version AS text_version FROM cases c \
                 JOIN consents k ON k.id = c.consent_id WHERE c.case_number = '{case}'"
            ),
        ))
        .await
        .unwrap()
        .expect("the case names its consent");
    assert!(row.try_get::<Option<i64>>("", "session_id").unwrap().is_some());
    assert_eq!(row.try_get::<String>("", "text_version").unwrap(), version);
    assert_eq!(count(&filed.body, &format!("a[href=\"/apply/cases/{case}/pay\"]")), 1);
    portal.mail("holder@goldcard.example", &case).await;

    // ---------------------------------------------------------------- progress, payment
    let progress = web.get("/apply/cases").await;
    assert!(progress.body.contains(&case));
    let pay = web.get(&format!("/apply/cases/{case}/pay")).await;
    let csrf = Web::csrf(&pay.body);
    let handoff = web.post(&format!("/apply/cases/{case}/pay"), &[("csrf", &csrf)]).await;
    assert_eq!(
        handoff.location.as_deref(),
        Some(format!("/apply/gateway/simulated/{case}").as_str())
    );
    let bank = web.get(handoff.location.as_deref().unwrap()).await;
    let csrf = Web::csrf(&bank.body);
    assert_eq!(select_texts(&bank.body, "#amount"), ["NT$2,500"]);
    assert_eq!(
        count(&bank.body, "input[name=amount_twd]"),
        0,
        "the amount is not the form's"
    );
    // another account cannot pay (or see) this case
    let mut boss = Web::new(&portal.server.base);
    boss.sign_in_as(&portal.smtp, "employer", "employer", PASSWORD, 1).await;
    let page = boss.get("/apply").await;
    let boss_csrf = Web::csrf(&page.body);
    for path in [
        format!("/apply/gateway/simulated/{case}"),
        format!("/apply/cases/{case}/pay"),
        format!("/apply/cases/{case}/withdraw"),
    ] {
        let answer = boss
            .post(
                &path,
                &[("csrf", &boss_csrf), ("confirm", "yes"), ("amount_twd", "2500")],
            )
            .await;
        assert_eq!(answer.status, 404, "{path}");
    }
    // the gateway signs the case's fee: an amount sent with the form changes nothing
    let paid = web
        .post(
            &format!("/apply/gateway/simulated/{case}"),
            &[("csrf", &csrf), ("amount_twd", "1")],
        )
        .await;
    assert_eq!(paid.status, 303, "{}", paid.body);
    let page = web.get(&format!("/apply/cases/{case}")).await;
    assert!(
        select_texts(&page.body, "#progress")[0].contains("Paid") || page.body.contains("已繳費"),
        "{:?}",
        select_texts(&page.body, "#progress")
    );

    // after payment: withdrawal only in writing
    let w = web.get(&format!("/apply/cases/{case}/withdraw")).await;
    assert_eq!(count(&w.body, "#written"), 1);
    assert_eq!(count(&w.body, "form[action$=\"/withdraw\"]"), 0);
    // and a forged withdrawal form changes nothing
    let csrf = Web::csrf(&w.body);
    let late = web
        .post(
            &format!("/apply/cases/{case}/withdraw"),
            &[("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    assert!(late.status >= 400, "{}", late.status);
    let page = web.get(&format!("/apply/cases/{case}")).await;
    assert!(!page.body.contains("已撤案"), "withdrawn after payment");

    // ---------------------------------------------------------------- consulting, supplement
    portal.api_fire("reviewer1", &case, json!({"event": "claim"})).await;
    portal
        .api_fire(
            "reviewer1",
            &case,
            json!({"event": "consult", "authority": "數位發展部"}),
        )
        .await;
    let page = web.get(&format!("/apply/cases/{case}")).await;
    assert!(
        select_texts(&page.body, "#progress")[0].contains("數位發展部"),
        "{:?}",
        select_texts(&page.body, "#progress")
    );
    portal
        .api_fire(
            "reviewer1",
            &case,
            json!({"event": "request_supplement", "items": [{"doc_type": "degree_certificate", "note": XSS}], "abroad": false}),
        )
        .await;
    let list = web.get("/apply/supplements").await;
    assert_eq!(
        count(&list.body, &format!("a[href=\"/apply/cases/{case}/supplement\"]")),
        1
    );
    let sup = web.get(&format!("/apply/cases/{case}/supplement")).await;
    assert_eq!(select_texts(&sup.body, "#due"), ["2026-12-25"]);
    // another account's supplement: not found, and nothing of its upload is stored
    let stored = documents_stored(&portal).await;
    let foreign = boss
        .post_multipart(
            &format!("/apply/cases/{case}/supplement"),
            &[("csrf", &boss_csrf), ("confirm", "yes")],
            &[("file.degree_certificate", "degree.pdf", PDF.to_vec())],
        )
        .await;
    assert_eq!(foreign.status, 404);
    assert_eq!(documents_stored(&portal).await, stored, "a foreign upload was stored");
    let csrf = Web::csrf(&sup.body);
    let missing = web
        .post_multipart(
            &format!("/apply/cases/{case}/supplement"),
            &[("csrf", &csrf), ("confirm", "yes")],
            &[],
        )
        .await;
    assert_eq!(missing.status, 422);
    error_next_to(&missing.body, "file.degree_certificate");
    let sent = web
        .post_multipart(
            &format!("/apply/cases/{case}/supplement"),
            &[("csrf", &csrf), ("confirm", "yes")],
            &[("file.degree_certificate", "degree.pdf", PDF.to_vec())],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let page = web.get(&format!("/apply/cases/{case}")).await;
    assert!(page.body.contains("勞動部審查資格中"), "back in labor review");

    // ---------------------------------------------------------------- the employer, step 16
    let menu = boss.get("/apply").await;
    assert!(menu.body.contains("雇主提出申請"));
    // another account's case does not exist for it
    assert_eq!(boss.get(&format!("/apply/cases/{case}")).await.status, 404);
    let consent = boss.get("/apply/consent").await;
    let csrf = Web::csrf(&consent.body);
    boss.post(
        "/apply/consent",
        &[("csrf", &csrf), ("version", &version), ("consent", "yes")],
    )
    .await;
    let lookup = boss.get("/apply/lookup").await;
    let csrf = Web::csrf(&lookup.body);
    let found = boss
        .post(
            "/apply/lookup",
            &[
                ("csrf", &csrf),
                ("ui_number", &ui_number('D', 9, 4)),
                ("birth_date", "1992-05-03"),
                ("update_passport", "yes"),
            ],
        )
        .await;
    let form = boss.get(found.location.as_deref().unwrap()).await;
    let boss_draft = select_attr(&form.body, "form#filing", "data-draft").remove(0);
    assert_ne!(boss_draft, draft, "another account, another card: another draft");
    assert_eq!(
        count(&form.body, "[id=\"f-passport.number\"][readonly]"),
        0,
        "updating: the passport can be changed"
    );
    // a passport with less than 6 months left
    let mut values = valid_form();
    values.insert("passport.number", "P99999999".into());
    values.insert("passport.expiry_date", "2027-03-01".into());
    let page = post_form(&mut boss, &form.body, &values, &[], "submit").await;
    assert_eq!(page.status, 422);
    error_next_to(&page.body, "passport.expiry_date");
    values.insert("passport.expiry_date", "2031-01-01".into());
    let files: Vec<(&str, &str, Vec<u8>)> = upload_fields(&form.body)
        .into_iter()
        .map(|f| (Box::leak(f.into_boxed_str()) as &str, "doc.pdf", PDF.to_vec()))
        .collect();
    let done = post_form(&mut boss, &form.body, &values, &files, "submit").await;
    assert_eq!(done.status, 303, "{:?}", select_texts(&done.body, ".error"));
    let filed = boss.get(done.location.as_deref().unwrap()).await;
    let theirs = select_texts(&filed.body, "#case-number").remove(0);
    let page = boss.get(&format!("/apply/cases/{theirs}")).await;
    assert!(page.body.contains("雇主提出申請"), "the case records who filed");
    // withdrawal before payment: confirmation required, then done
    let w = boss.get(&format!("/apply/cases/{theirs}/withdraw")).await;
    let csrf = Web::csrf(&w.body);
    let unconfirmed = boss
        .post(&format!("/apply/cases/{theirs}/withdraw"), &[("csrf", &csrf)])
        .await;
    assert_eq!(unconfirmed.status, 422);
    let gone = boss
        .post(
            &format!("/apply/cases/{theirs}/withdraw"),
            &[("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(gone.status, 303);
    let page = boss.get(&format!("/apply/cases/{theirs}")).await;
    assert!(page.body.contains("已撤案"));
    // a form without the CSRF token changes nothing
    let forged = boss
        .post(
            &format!("/apply/cases/{theirs}/withdraw"),
            &[("csrf", "x"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(forged.status, 403);
    let forged_upload = boss
        .post_multipart(
            "/apply/extension",
            &[("csrf", "x")],
            &[("file.photo", "photo.pdf", PDF.to_vec())],
        )
        .await;
    assert_eq!(forged_upload.status, 403, "an upload without the token is refused");

    // ---------------------------------------------------------------- English, every page
    let page = web.get("/apply").await;
    let csrf = Web::csrf(&page.body);
    web.post("/lang", &[("csrf", &csrf), ("lang", "en"), ("back", "/apply")])
        .await;
    let english = web.get("/apply").await;
    assert_eq!(select_attr(&english.body, "html", "lang"), ["en"]);
    assert!(english.body.contains("Progress"));
    let mut all = web.pages.clone();
    all.extend(boss.pages.iter().cloned());
    let mut escaped = 0;
    for (path, html) in &all {
        assert!(!html.contains(XSS), "{path} shows script unescaped");
        if html.contains("&lt;script&gt;") {
            escaped += 1;
        }
        let problems = accessibility_problems(html);
        assert!(problems.is_empty(), "{path}: {problems:#?}");
    }
    assert!(escaped >= 2, "the script typed in is shown, escaped");
}

/// Consents, lookup and look-through up to the form for `ui` on a signed-in `web`.
async fn consent_and_look(web: &mut Web, ui: &str) -> Answer {
    let consent = web.get("/apply/consent").await;
    let csrf = Web::csrf(&consent.body);
    let version = select_attr(&consent.body, "input[name=version]", "value").remove(0);
    let ok = web
        .post(
            "/apply/consent",
            &[("csrf", &csrf), ("version", &version), ("consent", "yes")],
        )
        .await;
    assert_eq!(ok.location.as_deref(), Some("/apply/lookup"));
    let lookup = web.get("/apply/lookup").await;
    let csrf = Web::csrf(&lookup.body);
    let found = look(web, &csrf, ui, "1992-05-03").await;
    assert_eq!(found.status, 303, "{}", found.body);
    web.get(found.location.as_deref().unwrap()).await
}

/// How many documents are stored.
async fn documents_stored(portal: &goldcard_tests::portal_fixture::Portal) -> i64 {
    let db = portal.env.db().await;
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(backend, "SELECT COUNT(*) AS n FROM documents"))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

/// Signs `login` in as the holder once more: the code is the one mailed that was not
/// mailed before (the mailbox's order is not the order of sending).
async fn sign_in_again(web: &mut Web, smtp: &goldcard_tests::smtp::SmtpServer, login: &str) {
    let to = format!("{login}@goldcard.example");
    let codes = |smtp: &goldcard_tests::smtp::SmtpServer| -> Vec<String> {
        smtp.received()
            .into_iter()
            .filter(|m| m.rcpt_tos == to)
            .filter_map(|m| goldcard_tests::smtp::six_digits(m.text.as_deref().unwrap_or_default()))
            .collect()
    };
    let before = codes(smtp);
    let page = web.get("/").await;
    let csrf = Web::csrf(&page.body);
    let step = web
        .post(
            "/sign-in",
            &[
                ("csrf", &csrf),
                ("as", "self"),
                ("login", login),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(step.status, 200, "{}", step.body);
    let challenge = select_attr(&step.body, "input[name=challenge_id]", "value").remove(0);
    let started = std::time::Instant::now();
    let code = loop {
        if let Some(c) = codes(smtp).into_iter().find(|c| !before.contains(c)) {
            break c;
        }
        assert!(started.elapsed().as_secs() < 30, "no new code mailed to {login}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let done = web
        .post(
            "/sign-in/code",
            &[
                ("csrf", &csrf),
                ("as", "self"),
                ("challenge_id", &challenge),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
}

/// A bearer token for `login`.
fn token(portal: &goldcard_tests::portal_fixture::Portal, login: &str) -> String {
    let out = portal.env.run(&["token", "create", "--login", login]);
    assert!(out.status.success());
    goldcard_tests::text(&out).0.trim().to_string()
}

async fn api_lookup(
    portal: &goldcard_tests::portal_fixture::Portal,
    token: &str,
    ui: &str,
    birth: &str,
) -> (u16, serde_json::Value) {
    let res = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/cards/lookup?ui_number={ui}&birth_date={birth}",
            portal.server.base
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

/// The review's findings: Hong Kong/Macau status from the card, the consent of the sign-in
/// session linked to the case, and failed lookups limited per account.
async fn review(db: Db) {
    let portal = start(db).await;
    let mut web = Web::new(&portal.server.base);
    web.sign_in_as(&portal.smtp, "self", "holder", PASSWORD, 1).await;
    // a second sign-in of the same account (another browser)
    let mut again = Web::new(&portal.server.base);
    sign_in_again(&mut again, &portal.smtp, "holder").await;

    // a Hong Kong resident's card: NT$800 and no expediting, whatever nationality is typed
    let form = consent_and_look(&mut web, &portal.hk_card).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert_eq!(count(&form.body, "fieldset.hk-macau"), 1, "the card is a Hong Kong one");
    assert_eq!(count(&form.body, "[id=\"f-expedite\"]"), 0);
    let mut values = valid_form();
    values.insert("basic.nationality", "US".into());
    values.insert("basic.email", "hk.holder@example.com".into());
    values.insert("residence.validity_years", "3".into());
    let files: Vec<(&str, &str, Vec<u8>)> = upload_fields(&form.body)
        .into_iter()
        .map(|f| (Box::leak(f.into_boxed_str()) as &str, "doc.pdf", PDF.to_vec()))
        .collect();
    let done = post_form(&mut web, &form.body, &values, &files, "submit").await;
    assert_eq!(done.status, 303, "{:?}", select_texts(&done.body, ".error, .banner"));
    let filed = web.get(done.location.as_deref().unwrap()).await;
    assert_eq!(select_texts(&filed.body, "#fee"), ["NT$800"]);

    let holder = token(&portal, "holder");

    // a consent holds for its sign-in session only: a new sign-in asks again
    assert_eq!(
        again.get("/apply/lookup").await.location.as_deref(),
        Some("/apply/consent"),
        "a consent of another session does not count"
    );
    assert_eq!(
        web.get("/apply/lookup").await.status,
        200,
        "the first session's still holds"
    );

    // failed lookups: 10 in 15 minutes, then every lookup of the account is refused (429)
    let lookup = web.get("/apply/lookup").await;
    let csrf = Web::csrf(&lookup.body);
    for i in 0..10 {
        let wrong = look(&mut web, &csrf, &portal.open_card, &format!("1990-01-{:02}", i + 1)).await;
        assert_eq!(wrong.status, 404, "failure {i}");
    }
    let limited = look(&mut web, &csrf, &portal.open_card, "1992-05-03").await;
    assert_eq!(limited.status, 429, "{}", limited.body);
    let message = select_texts(&limited.body, ".error").join(" ");
    assert!(message.contains("15"), "{message}");
    let q = format!("/apply/extension?ui_number={}&birth_date=1992-05-03", portal.open_card);
    assert_eq!(web.get(&q).await.status, 429, "the form's address is a lookup too");
    let (status, body) = api_lookup(&portal, &holder, &portal.open_card, "1992-05-03").await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "too_many_lookups");
    let text = body["error"]["message"].as_str().unwrap();
    assert!(text.contains("查詢") && text.contains("Too many"), "bilingual: {text}");
    // another account is not limited, and the API's lookup keeps its shape
    let employer = token(&portal, "employer");
    let (status, body) = api_lookup(&portal, &employer, &portal.open_card, "1992-05-03").await;
    assert_eq!(status, 200, "{body}");
    let mut keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["expires_on", "field", "ui_number", "window"],
        "interfaces.md's shape"
    );
    assert_eq!(body["window"]["status"], "open");
}

on_both! {
    the_applicant_portal_works_end_to_end => walk;
    the_review_findings_stay_fixed => review;
}
