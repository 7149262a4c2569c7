//! The JSON API of interfaces.md, end to end: the real `goldcard serve` on a frozen clock,
//! accounts and tokens made with the CLI, cards imported from CSV, and reqwest as the
//! client. Every test runs on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, missing_docs)]

use goldcard_tests::api_app::*;
use goldcard_tests::{Db, on_both};
use reqwest::multipart::Form;
use serde_json::{Value, json};
use std::collections::HashMap;

#[test]
fn the_check_digit_helper_agrees_with_the_spec() {
    assert_eq!(ui_number('F', "80000119"), "F800001196");
    assert_eq!(ui_number('A', "80000001"), "A800000014");
}

// ------------------------------------------------------------------ 1. the lifecycle

async fn lifecycle(db: Db) {
    let c = card("F800001196", "1992-05-03", OPEN);
    let app = App::start(db, std::slice::from_ref(&c)).await;

    // lookup: the window is open
    let (status, body) = app
        .get(
            Some("alice"),
            "/api/v1/cards/lookup?ui_number=F800001196&birth_date=1992-05-03",
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"ui_number": "F800001196", "expires_on": OPEN, "field": "digital",
               "window": {"opens_on": "2026-10-15", "locks_on": "2027-01-15", "status": "open"}})
    );

    // documents, then the filing
    let docs = app.filing_documents("alice").await;
    let (status, filed) = app.post(Some("alice"), "/api/v1/extensions", &filing(&c, &docs)).await;
    assert_eq!(status, 201, "{filed}");
    let n = filed["case_number"].as_str().unwrap().to_string();
    assert!(is_case_number(&n), "{n}");
    assert_eq!(filed["state"], "submitted");
    assert_eq!(filed["fee_twd"], 3500);
    let v0 = version(&filed);
    let got = app.case("alice", &n).await;
    assert_eq!(got["case_number"], n.as_str());
    assert_eq!(got["kind"], "extension");
    assert_eq!(got["state"], "submitted");
    assert_eq!(got["version"], v0);
    assert_eq!(got["fee_twd"], 3500);
    assert_eq!(got["paid"], false);
    assert_eq!(got["assignee"], Value::Null);
    assert_eq!(got["supplement"], Value::Null);
    assert_eq!(got["field"]["field"], "digital");
    assert_eq!(got["field"]["criterion"], "1");
    assert_eq!(got["applicant"]["ui_number"], "F800001196");
    assert_eq!(got["applicant"]["email"], "ethan.hunt@example.com");
    assert_eq!(got["applicant"]["filer"], "self");
    let listed: Vec<&str> = got["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["document_id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, docs.iter().map(String::as_str).collect::<Vec<_>>(), "{got}");
    assert!(
        got["documents"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["purpose"] == "filing" && d["carried_over"] == false)
    );

    // the gateway's signed notification
    let (status, body) = app.notify(&n, 3500, "RCPT-LIFE-1").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"case_number": n, "state": "paid"}));
    let got = app.case("reviewer1", &n).await;
    assert_eq!(got["paid"], true);
    let v1 = version(&got);
    assert!(v1 > v0);
    // labor review has 20 working days from the payment
    assert_eq!(got["due_on"], "2026-12-23", "{got}");

    // labor review: claim, ask for a supplement
    let (status, body) = app
        .fire("reviewer1", &n, json!({"event": "claim", "version": v1}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "labor_review");
    let v2 = version(&body);
    assert!(v2 > v1);
    assert_eq!(app.case("reviewer1", &n).await["assignee"]["login"], "reviewer1");
    // only the assignee decides
    let answer = app.fire("reviewer2", &n, json!({"event": "approve"})).await;
    assert_error(&answer, 403, "forbidden");

    let (status, body) = app
        .fire(
            "reviewer1",
            &n,
            json!({"event": "request_supplement", "version": v2,
                   "items": [{"doc_type": "recommendation_letter", "note": "a letter from your employer"}],
                   "abroad": false}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "supplement");
    let v3 = version(&body);
    let got = app.case("alice", &n).await;
    assert_eq!(
        got["supplement"],
        json!({"items": [{"doc_type": "recommendation_letter", "note": "a letter from your employer"}],
               "due_on": "2026-12-25", "abroad": false, "overdue": false})
    );
    let (status, queue) = app.get(Some("reviewer2"), "/api/v1/queues/supplement").await;
    assert_eq!(status, 200, "{queue}");
    assert_eq!(queue["total"], 1, "{queue}");
    assert_eq!(queue["items"][0]["case_number"], n.as_str());
    assert_eq!(queue["items"][0]["due_on"], "2026-12-25");
    let (_, queue) = app.get(Some("officer1"), "/api/v1/queues/supplement").await;
    assert_eq!(queue["total"], 0, "the labor agency asked: {queue}");

    // the applicant answers: nothing attached is refused by the guard
    let answer = app
        .fire("alice", &n, json!({"event": "submit_supplement", "version": v3}))
        .await;
    let fields = assert_error(&answer, 422, "guard_failed");
    assert!(
        has_field(&fields, "supplement_items_uploaded", "guard_failed"),
        "{fields:?}"
    );
    // another applicant cannot answer for it
    let answer = app
        .fire("bob", &n, json!({"event": "submit_supplement", "version": v3}))
        .await;
    assert_error(&answer, 404, "case_not_found");
    // only one's own uploads can be cited, and only of the type asked for
    let bobs = app.upload("bob", "recommendation_letter", PDF, "bob.pdf").await;
    let answer = app
        .fire(
            "alice",
            &n,
            json!({"event": "submit_supplement", "version": v3, "documents": [bobs]}),
        )
        .await;
    let fields = assert_error(&answer, 422, "validation_failed");
    assert!(fields.iter().any(|f| f["field"] == "documents[0]"), "{fields:?}");
    let resume = app.upload("alice", "resume", PDF, "cv.pdf").await;
    let answer = app
        .fire(
            "alice",
            &n,
            json!({"event": "submit_supplement", "version": v3, "documents": [resume]}),
        )
        .await;
    assert_error(&answer, 422, "guard_failed");
    assert_eq!(app.case("alice", &n).await["state"], "supplement");
    // upload the letter and cite it
    let letter = app.upload("alice", "recommendation_letter", PDF, "letter.pdf").await;
    let (status, body) = app
        .fire(
            "alice",
            &n,
            json!({"event": "submit_supplement", "version": v3, "documents": [letter]}),
        )
        .await;
    assert_eq!(status, 200, "the supplement document must reach the case: {body}");
    assert_eq!(body["state"], "labor_review");
    let v4 = version(&body);
    let got = app.case("reviewer1", &n).await;
    assert_eq!(got["supplement"], Value::Null, "{got}");
    assert!(
        got["documents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["document_id"] == letter.as_str()
                && d["purpose"] == "supplement"
                && d["doc_type"] == "recommendation_letter"),
        "{got}"
    );
    assert_eq!(got["assignee"]["login"], "reviewer1", "the reviewer keeps the case");

    // approve: on to immigration, unassigned
    let (status, body) = app
        .fire("reviewer1", &n, json!({"event": "approve", "version": v4}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "immigration_review");
    let v5 = version(&body);
    let got = app.case("officer1", &n).await;
    assert_eq!(got["assignee"], Value::Null);
    // immigration review has 10 working days
    assert_eq!(got["due_on"], "2026-12-09", "{got}");
    let (status, queue) = app.get(Some("officer2"), "/api/v1/queues/immigration_review").await;
    assert_eq!(status, 200, "{queue}");
    assert_eq!(queue["total"], 1, "{queue}");
    assert_eq!(queue["items"][0]["due_on"], "2026-12-09");
    assert_eq!(queue["items"][0]["assignee"], Value::Null);
    // the labor approver's agency no longer holds it
    let (_, mine) = app.get(Some("reviewer1"), "/api/v1/queues/mine").await;
    assert_eq!(mine["total"], 0, "{mine}");

    // immigration: claim once; a second claim is no transition
    let (status, body) = app.fire("officer1", &n, json!({"event": "claim", "version": v5})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "immigration_review");
    let v6 = version(&body);
    let answer = app.fire("officer2", &n, json!({"event": "claim"})).await;
    assert_error(&answer, 409, "invalid_transition");
    let (status, body) = app.fire("officer1", &n, json!({"event": "issue", "version": v6})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "issued");
    let v7 = version(&body);

    // the card moved forward three years
    let (status, got_card) = app.get(Some("officer1"), "/api/v1/cards/F800001196").await;
    assert_eq!(status, 200, "{got_card}");
    assert_eq!(got_card["ui_number"], "F800001196");
    assert_eq!(got_card["expires_on"], "2030-02-15");
    assert_eq!(got_card["cases"][0]["case_number"], n.as_str());
    assert_eq!(got_card["cases"][0]["state"], "issued");
    let (status, body) = app
        .get(
            Some("alice"),
            "/api/v1/cards/lookup?ui_number=F800001196&birth_date=1992-05-03",
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["expires_on"], "2030-02-15");
    assert_eq!(body["window"]["status"], "not_yet_open");

    // the case: decision and the whole history, in order
    let got = app.case("alice", &n).await;
    assert_eq!(got["state"], "issued");
    assert_eq!(got["version"], v7);
    assert_eq!(got["decision"]["new_expires_on"], "2030-02-15");
    let history: Vec<(String, Value, String, String)> = got["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            assert!(h["at"].is_string(), "{h}");
            (
                h["event"].as_str().unwrap().to_string(),
                h["from"].clone(),
                h["to"].as_str().unwrap().to_string(),
                h["actor_role"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(String, Value, String, String)> = [
        ("file", Value::Null, "submitted", "applicant"),
        ("pay", json!("submitted"), "paid", "payment_gateway"),
        ("claim", json!("paid"), "labor_review", "labor_reviewer"),
        (
            "request_supplement",
            json!("labor_review"),
            "supplement",
            "labor_reviewer",
        ),
        ("submit_supplement", json!("supplement"), "labor_review", "applicant"),
        ("approve", json!("labor_review"), "immigration_review", "labor_reviewer"),
        (
            "claim",
            json!("immigration_review"),
            "immigration_review",
            "immigration_officer",
        ),
        ("issue", json!("immigration_review"), "issued", "immigration_officer"),
    ]
    .into_iter()
    .map(|(e, f, t, r)| (e.to_string(), f, t.to_string(), r.to_string()))
    .collect();
    assert_eq!(history, want);
}

// ------------------------------------------------------------------ 2. withdrawal

async fn withdraw_before_payment(db: Db) {
    let c = card("F800001196", "1992-05-03", OPEN);
    let hk = Card {
        nationality: "HK",
        ..card("A800000014", "1990-01-01", OPEN)
    };
    let app = App::start(db, &[c.clone(), hk.clone()]).await;
    let filed = app.file("alice", &c).await;
    let n = filed["case_number"].as_str().unwrap().to_string();

    // another applicant sees nothing and can do nothing
    let answer = app.get(Some("bob"), &format!("/api/v1/cases/{n}")).await;
    assert_error(&answer, 404, "case_not_found");
    let answer = app.fire("bob", &n, json!({"event": "withdraw"})).await;
    assert_error(&answer, 404, "case_not_found");
    assert_eq!(app.case("alice", &n).await["state"], "submitted");

    let (status, body) = app
        .fire("alice", &n, json!({"event": "withdraw", "version": version(&filed)}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "withdrawn");
    assert!(version(&body) > version(&filed));
    let got = app.case("alice", &n).await;
    assert_eq!(got["state"], "withdrawn");
    assert_eq!(got["paid"], false);
    let history: Vec<(&str, &str)> = got["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["event"].as_str().unwrap(), h["actor_role"].as_str().unwrap()))
        .collect();
    assert_eq!(history, [("file", "applicant"), ("withdraw", "applicant")]);
    assert_eq!(got["history"][1]["from"], "submitted");
    assert_eq!(got["history"][1]["to"], "withdrawn");

    // a withdrawn case is closed: no second withdrawal, and the card may be filed for again
    let answer = app.fire("alice", &n, json!({"event": "withdraw"})).await;
    assert_error(&answer, 409, "invalid_transition");
    let again = app.file("alice", &c).await;
    let n2 = again["case_number"].as_str().unwrap().to_string();
    assert_ne!(n2, n);

    // once paid, only an officer withdraws it, on the applicant's written request
    let (status, body) = app.notify(&n2, 3500, "RCPT-W2").await;
    assert_eq!(status, 200, "{body}");
    let answer = app.fire("alice", &n2, json!({"event": "withdraw"})).await;
    assert_error(&answer, 403, "forbidden");
    let answer = app.fire("reviewer1", &n2, json!({"event": "withdraw"})).await;
    let fields = assert_error(&answer, 422, "guard_failed");
    assert!(has_field(&fields, "reason_given", "guard_failed"), "{fields:?}");
    let (status, body) = app
        .fire(
            "reviewer1",
            &n2,
            json!({"event": "withdraw", "reason": "written request of 2026-11-24"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "withdrawn");
    let got = app.case("alice", &n2).await;
    assert_eq!((&got["state"], &got["paid"]), (&json!("withdrawn"), &json!(true)));
    let last = got["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (&last["event"], &last["from"], &last["actor_role"]),
        (&json!("withdraw"), &json!("paid"), &json!("labor_reviewer"))
    );

    // Hong Kong and Macau: NT$800 whatever the length, never expedited; the card says who
    // is a resident, not the nationality typed
    let docs = app.filing_documents("bob").await;
    let mut typed = filing(&c, &docs);
    typed["basic"]["nationality"] = json!("HK");
    typed["residence"]["validity_years"] = json!(1);
    typed["expedite"] = json!(true);
    let (status, filed) = app.post(Some("bob"), "/api/v1/extensions", &typed).await;
    assert_eq!(status, 201, "{filed}");
    assert_eq!(filed["fee_twd"], json!(1500), "typing HK does not pay NT$800");
    let got = app.case("bob", filed["case_number"].as_str().unwrap()).await;
    assert_eq!(got["applicant"]["hk_macau"], json!(false));
    let docs = app.filing_documents("bob").await;
    let mut body = filing(&hk, &docs);
    body["basic"]["nationality"] = json!("US");
    body["residence"]["validity_years"] = json!(1);
    body["expedite"] = json!(true);
    let fields = assert_error(
        &app.post(Some("bob"), "/api/v1/extensions", &body).await,
        422,
        "validation_failed",
    );
    assert!(has_field(&fields, "expedite", "not_allowed"), "{fields:?}");
    body["expedite"] = json!(false);
    let (status, filed) = app.post(Some("bob"), "/api/v1/extensions", &body).await;
    assert_eq!(status, 201, "{filed}");
    assert_eq!((&filed["state"], &filed["fee_twd"]), (&json!("submitted"), &json!(800)));
    let got = app.case("bob", filed["case_number"].as_str().unwrap()).await;
    assert_eq!(
        (&got["applicant"]["hk_macau"], &got["validity_years"]),
        (&json!(true), &json!(1))
    );
}

// ------------------------------------------------------------------ 3. rejection

async fn rejection_with_grounds(db: Db) {
    let c = card("F800001196", "1992-05-03", OPEN);
    let app = App::start(db, std::slice::from_ref(&c)).await;
    let filed = app.file("alice", &c).await;
    let n = filed["case_number"].as_str().unwrap().to_string();

    // paid at the counter this time
    let (status, body) = app
        .fire(
            "cashier",
            &n,
            json!({"event": "pay", "amount_twd": 3500, "receipt_no": "COUNTER-1"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "paid");
    let (status, body) = app.fire("reviewer1", &n, json!({"event": "claim"})).await;
    assert_eq!(status, 200, "{body}");

    let answer = app
        .fire(
            "reviewer1",
            &n,
            json!({"event": "reject", "grounds": "not_eligible", "reason": "salary below the threshold"}),
        )
        .await;
    let fields = assert_error(&answer, 422, "validation_failed");
    assert!(has_field(&fields, "legal_basis", "required"), "{fields:?}");
    assert_eq!(fields.len(), 1, "{fields:?}");
    let answer = app
        .fire(
            "reviewer1",
            &n,
            json!({"event": "reject", "grounds": "bored", "reason": "x", "legal_basis": "y"}),
        )
        .await;
    let fields = assert_error(&answer, 422, "validation_failed");
    assert!(has_field(&fields, "grounds", "invalid"), "{fields:?}");
    // refused events changed nothing
    let got = app.case("reviewer1", &n).await;
    assert_eq!(got["state"], "labor_review");
    assert_eq!(got["decision"], Value::Null);

    let basis = "就業金卡延期審查要點第5點";
    let (status, body) = app
        .fire(
            "reviewer1",
            &n,
            json!({"event": "reject", "version": version(&got), "grounds": "not_eligible",
                   "reason": "salary below the threshold", "legal_basis": basis}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "rejected");
    for who in ["alice", "reviewer1", "helpdesk"] {
        let got = app.case(who, &n).await;
        assert_eq!(got["state"], "rejected");
        assert_eq!(
            got["decision"],
            json!({"grounds": "not_eligible", "reason": "salary below the threshold", "legal_basis": basis, "new_expires_on": null}),
            "as {who}"
        );
        let last = got["history"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (&last["event"], &last["from"], &last["to"], &last["actor_role"]),
            (
                &json!("reject"),
                &json!("labor_review"),
                &json!("rejected"),
                &json!("labor_reviewer")
            )
        );
    }
    // the card did not move
    let (_, got_card) = app.get(Some("reviewer1"), "/api/v1/cards/F800001196").await;
    assert_eq!(got_card["expires_on"], OPEN);
}

// ------------------------------------------------------------------ 4. the 409s

async fn conflicts(db: Db) {
    let open = card("F800001196", "1992-05-03", OPEN);
    let not_yet = card(&ui_number('A', "80000001"), "1990-01-01", NOT_YET_OPEN);
    let locked = card(&ui_number('B', "90000002"), "1985-07-07", LOCKED);
    let expired = card(&ui_number('C', "80000003"), "1980-12-31", EXPIRED);
    let race = card(&ui_number('D', "80000004"), "1995-03-03", OPEN);
    let app = App::start(
        db,
        &[
            open.clone(),
            not_yet.clone(),
            locked.clone(),
            expired.clone(),
            race.clone(),
        ],
    )
    .await;
    let docs = app.filing_documents("alice").await;

    for (c, status, opens_on, locks_on, code) in [
        (&not_yet, "not_yet_open", "2027-02-28", "2027-05-30", "window_not_open"),
        (&locked, "locked", "2026-08-10", "2026-11-10", "window_locked"),
        (&expired, "expired", "2026-07-20", "2026-10-20", "card_expired"),
    ] {
        let (s, body) = app
            .get(
                Some("alice"),
                &format!("/api/v1/cards/lookup?ui_number={}&birth_date={}", c.ui, c.birth),
            )
            .await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(
            body["window"],
            json!({"opens_on": opens_on, "locks_on": locks_on, "status": status}),
            "{}",
            c.ui
        );
        let answer = app.post(Some("alice"), "/api/v1/extensions", &filing(c, &docs)).await;
        assert_error(&answer, 409, code);
    }

    // one pending extension per card
    let (s, first) = app
        .post(Some("alice"), "/api/v1/extensions", &filing(&open, &docs))
        .await;
    assert_eq!(s, 201, "{first}");
    let n = first["case_number"].as_str().unwrap().to_string();
    let answer = app
        .post(Some("alice"), "/api/v1/extensions", &filing(&open, &docs))
        .await;
    assert_error(&answer, 409, "extension_pending");
    let bob_docs = app.filing_documents("bob").await;
    let answer = app
        .post(Some("bob"), "/api/v1/extensions", &filing(&open, &bob_docs))
        .await;
    assert_error(&answer, 409, "extension_pending");

    // invalid transition: approve on a submitted case
    let answer = app.fire("reviewer1", &n, json!({"event": "approve"})).await;
    assert_error(&answer, 409, "invalid_transition");
    let answer = app.fire("reviewer1", &n, json!({"event": "claim"})).await;
    assert_error(&answer, 409, "invalid_transition");
    // an event no definition has is no edge either
    let answer = app.fire("reviewer1", &n, json!({"event": "teleport"})).await;
    assert_error(&answer, 409, "invalid_transition");

    // version conflict: the version seen before the payment is stale
    let stale = version(&first);
    let (s, body) = app.notify(&n, 3500, "RCPT-409").await;
    assert_eq!(s, 200, "{body}");
    let answer = app
        .fire("reviewer1", &n, json!({"event": "claim", "version": stale}))
        .await;
    assert_error(&answer, 409, "version_conflict");
    let answer = app
        .fire("reviewer1", &n, json!({"event": "claim", "version": stale + 100}))
        .await;
    assert_error(&answer, 409, "version_conflict");
    let got = app.case("reviewer1", &n).await;
    assert_eq!(got["state"], "paid");
    assert_eq!(got["assignee"], Value::Null);
    let (s, body) = app
        .fire("reviewer1", &n, json!({"event": "claim", "version": version(&got)}))
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["state"], "labor_review");
    // the same version a second time is stale now
    let answer = app
        .fire("reviewer1", &n, json!({"event": "approve", "version": version(&got)}))
        .await;
    assert_error(&answer, 409, "version_conflict");

    // 100 conflicting events on one case at once (targets.md, reliability): three labor
    // officers claim it, with the version they read or without one, through the real
    // server. Exactly one wins; every other gets a 409; one audit row is written.
    let m = app.paid_case("bob", &race, "RCPT-RACE").await;
    let before = app.case("reviewer1", &m).await;
    let v = version(&before);
    let history_before = before["history"].as_array().unwrap().len();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..100 {
        let login = ["reviewer1", "reviewer2", "lsup"][i % 3];
        let body = if i % 2 == 0 {
            json!({"event": "claim", "version": v})
        } else {
            json!({"event": "claim"})
        };
        let req = app
            .http
            .post(app.url(&format!("/api/v1/cases/{m}/events")))
            .bearer_auth(app.token(login))
            .json(&body);
        set.spawn(async move { (login, App::answer(req.send().await.unwrap()).await) });
    }
    let mut winners = Vec::new();
    let mut codes: HashMap<String, usize> = HashMap::new();
    while let Some(done) = set.join_next().await {
        let (login, answer) = done.unwrap();
        if answer.0 == 200 {
            winners.push(login);
        } else {
            // a loser that reads the case after the winner's commit finds no `claim` edge
            // from labor_review (the engine checks the edge before the version); one that
            // read it before finds the version moved on
            let code = answer.1["error"]["code"].as_str().unwrap_or_default().to_string();
            assert!(code == "version_conflict" || code == "invalid_transition", "{answer:?}");
            assert_error(&answer, 409, &code);
            *codes.entry(code).or_default() += 1;
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?} {codes:?}");
    assert_eq!(codes.values().sum::<usize>(), 99, "{codes:?}");
    let got = app.case("reviewer1", &m).await;
    assert_eq!(got["assignee"]["login"], winners[0]);
    assert_eq!(got["state"], "labor_review");
    assert_eq!(version(&got), v + 1, "one version bump: {got}");
    let history = got["history"].as_array().unwrap();
    assert_eq!(history.len(), history_before + 1, "one audit row: {got}");
    assert_eq!(history.iter().filter(|h| h["event"] == "claim").count(), 1, "{got}");
}

// ------------------------------------------------------------------ 5. refusals

async fn refusals(db: Db) {
    let c = card("F800001196", "1992-05-03", OPEN);
    let app = App::start(db, std::slice::from_ref(&c)).await;
    let filed = app.file("alice", &c).await;
    let n = filed["case_number"].as_str().unwrap().to_string();

    // 403: the helpdesk changes no state; queues belong to their agency
    for event in ["pay", "withdraw", "claim", "approve", "reject", "issue"] {
        let answer = app.fire("helpdesk", &n, json!({"event": event, "reason": "r"})).await;
        assert_error(&answer, 403, "forbidden");
    }
    let answer = app.get(Some("officer1"), "/api/v1/queues/intake").await;
    assert_error(&answer, 403, "forbidden");
    let answer = app.get(Some("officer1"), "/api/v1/queues/labor_review").await;
    assert_error(&answer, 403, "forbidden");
    let answer = app.get(Some("reviewer1"), "/api/v1/queues/immigration_review").await;
    assert_error(&answer, 403, "forbidden");
    let answer = app.get(Some("alice"), "/api/v1/queues/intake").await;
    assert_error(&answer, 403, "forbidden");
    let answer = app
        .fire(
            "alice",
            &n,
            json!({"event": "pay", "amount_twd": 3500, "receipt_no": "SELF"}),
        )
        .await;
    assert_error(&answer, 403, "forbidden");
    assert_eq!(app.case("alice", &n).await["state"], "submitted");

    // 401: no credentials, or a bad token
    let answer = app.get(None, &format!("/api/v1/cases/{n}")).await;
    assert_error(&answer, 401, "unauthorized");
    let answer = app.post(None, "/api/v1/extensions", &json!({})).await;
    assert_error(&answer, 401, "unauthorized");
    let answer = app.get(None, "/api/v1/queues/intake").await;
    assert_error(&answer, 401, "unauthorized");
    let resp = app
        .http
        .get(app.url(&format!("/api/v1/cases/{n}")))
        .bearer_auth("gct_0000000000000000000000000000000000000000000000000000000000000000")
        .send()
        .await
        .unwrap();
    assert_error(&App::answer(resp).await, 401, "unauthorized");

    // 404
    let answer = app.get(Some("reviewer1"), "/api/v1/cases/115550009999").await;
    assert_error(&answer, 404, "case_not_found");
    let answer = app.fire("reviewer1", "115550009999", json!({"event": "claim"})).await;
    assert_error(&answer, 404, "case_not_found");
    let answer = app
        .get(
            Some("alice"),
            "/api/v1/cards/lookup?ui_number=F800001196&birth_date=1992-05-04",
        )
        .await;
    assert_error(&answer, 404, "card_not_found");
    let answer = app
        .get(
            Some("alice"),
            "/api/v1/cards/lookup?ui_number=A800000014&birth_date=1992-05-03",
        )
        .await;
    assert_error(&answer, 404, "card_not_found");
    let answer = app.get(Some("reviewer1"), "/api/v1/cards/A800000014").await;
    assert_error(&answer, 404, "card_not_found");

    // 422 on the lookup
    let answer = app
        .get(
            Some("alice"),
            "/api/v1/cards/lookup?ui_number=A800000015&birth_date=1992-05-03",
        )
        .await;
    let fields = assert_error(&answer, 422, "invalid_ui_number");
    assert_eq!(fields[0]["field"], "ui_number");

    // 422 on the filing, with the field's path; nothing is filed
    let docs = app.filing_documents("bob").await;
    let bob_card = card("F800001196", "1992-05-03", OPEN);
    let mut body = filing(&bob_card, &docs);
    body["passport"]["expiry_date"] = json!("2027-05-24"); // the day before today + 6 months
    let fields = assert_error(
        &app.post(Some("bob"), "/api/v1/extensions", &body).await,
        422,
        "validation_failed",
    );
    assert!(
        has_field(&fields, "passport.expiry_date", "passport_validity"),
        "{fields:?}"
    );
    let mut body = filing(&bob_card, &docs);
    body["residence"]["validity_years"] = json!(4);
    let fields = assert_error(
        &app.post(Some("bob"), "/api/v1/extensions", &body).await,
        422,
        "validation_failed",
    );
    assert!(
        fields.iter().any(|f| f["field"] == "residence.validity_years"),
        "{fields:?}"
    );
    let mut body = filing(&bob_card, &docs);
    body["field"]["field"] = json!("cooking");
    let fields = assert_error(
        &app.post(Some("bob"), "/api/v1/extensions", &body).await,
        422,
        "validation_failed",
    );
    assert!(
        has_field(&fields, "field.field", "unknown_field_of_expertise"),
        "{fields:?}"
    );
    let mut body = filing(&bob_card, &docs);
    body["nickname"] = json!("Ethan");
    let fields = assert_error(
        &app.post(Some("bob"), "/api/v1/extensions", &body).await,
        422,
        "validation_failed",
    );
    assert!(has_field(&fields, "nickname", "unknown_field"), "{fields:?}");
    let mut body = filing(&bob_card, &docs);
    body["basic"]["nickname"] = json!("Ethan");
    let fields = assert_error(
        &app.post(Some("bob"), "/api/v1/extensions", &body).await,
        422,
        "validation_failed",
    );
    assert!(has_field(&fields, "basic.nickname", "unknown_field"), "{fields:?}");
    // syntax errors are 400, in the same shape
    let resp = app
        .http
        .post(app.url("/api/v1/extensions"))
        .bearer_auth(app.token("bob"))
        .header("Content-Type", "application/json")
        .body("{\"filer\": ")
        .send()
        .await
        .unwrap();
    assert_error(&App::answer(resp).await, 400, "malformed_json");

    // uploads: size and type
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(10 * 1024 * 1024 + 1, b'a');
    assert_error(
        &app.upload_as("alice", "passport_copy", big, "big.pdf").await,
        413,
        "too_large",
    );
    let mut exact = b"%PDF-1.4\n".to_vec();
    exact.resize(10 * 1024 * 1024, b'a');
    let (s, body) = app.upload_as("alice", "passport_copy", exact, "exact.pdf").await;
    assert_eq!(s, 201, "exactly 10 MiB is allowed: {body}");
    let answer = app
        .upload_as("alice", "passport_copy", b"just some text, honest\n".to_vec(), "x.pdf")
        .await;
    assert_error(&answer, 415, "unsupported_type");
    let answer = app
        .upload_as(
            "alice",
            "passport_copy",
            b"<html><script>alert(1)</script>".to_vec(),
            "x.png",
        )
        .await;
    assert_error(&answer, 415, "unsupported_type");
    let fields = assert_error(
        &app.upload_as("alice", "love_letter", PDF.to_vec(), "x.pdf").await,
        422,
        "validation_failed",
    );
    assert!(has_field(&fields, "doc_type", "not_in_catalog"), "{fields:?}");

    // payments
    let raw = serde_json::to_vec(
        &json!({"case_number": n, "amount_twd": 3500, "receipt_no": "R-1", "paid_at": "2026-11-25T02:05:00Z"}),
    )
    .unwrap();
    assert_error(
        &app.notify_raw(raw.clone(), &sign("not the secret", &raw)).await,
        401,
        "bad_signature",
    );
    assert_error(&app.notify_raw(raw.clone(), "sha256=00").await, 401, "bad_signature");
    assert_error(&app.notify_raw(raw.clone(), "").await, 401, "bad_signature");
    let mut tampered = raw.clone();
    let sig = sign(SECRET, &raw);
    tampered.extend_from_slice(b" ");
    assert_error(&app.notify_raw(tampered, &sig).await, 401, "bad_signature");
    let fields = assert_error(&app.notify(&n, 3499, "R-2").await, 422, "amount_mismatch");
    assert!(has_field(&fields, "amount_twd", "amount_mismatch"), "{fields:?}");
    let got = app.case("alice", &n).await;
    assert_eq!((&got["state"], &got["paid"]), (&json!("submitted"), &json!(false)));
    assert_eq!(
        got["history"].as_array().unwrap().len(),
        1,
        "refusals write nothing: {got}"
    );

    // the same notification ten times, all at once: one payment
    let mut set = tokio::task::JoinSet::new();
    let body = json!({"case_number": n, "amount_twd": 3500, "receipt_no": "R-ONCE", "paid_at": "2026-11-25T02:05:00Z"});
    let raw = serde_json::to_vec(&body).unwrap();
    let sig = sign(SECRET, &raw);
    for _ in 0..10 {
        let (http, url, raw, sig) = (
            app.http.clone(),
            app.url("/api/v1/payments/notify"),
            raw.clone(),
            sig.clone(),
        );
        set.spawn(async move {
            let resp = http
                .post(url)
                .header("Content-Type", "application/json")
                .header("X-Goldcard-Signature", sig)
                .body(raw)
                .send()
                .await
                .unwrap();
            App::answer(resp).await
        });
    }
    while let Some(answer) = set.join_next().await {
        let (s, body) = answer.unwrap();
        assert_eq!(s, 200, "{body}");
        assert_eq!(body, json!({"case_number": n, "state": "paid"}));
    }
    // and again, one after another
    for _ in 0..3 {
        let (s, body) = app.notify_raw(raw.clone(), &sig).await;
        assert_eq!((s, &body["state"]), (200, &json!("paid")), "{body}");
    }
    let got = app.case("reviewer1", &n).await;
    let pays = got["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["event"] == "pay")
        .count();
    assert_eq!(pays, 1, "{got}");
    // a repeat with another receipt is not a second payment
    let answer = app.notify(&n, 3500, "R-OTHER").await;
    assert_error(&answer, 409, "invalid_transition");
    let got = app.case("reviewer1", &n).await;
    assert_eq!(
        got["history"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["event"] == "pay")
            .count(),
        1
    );
}

// ------------------------------------------------------------------ 6. helpdesk

async fn helpdesk_sees_masked_identifiers(db: Db) {
    let c = card("F800001196", "1992-05-03", OPEN);
    let app = App::start(db, std::slice::from_ref(&c)).await;
    let n = app.paid_case("alice", &c, "RCPT-HD").await;
    // an officer sees the full values
    let got = app.case("reviewer1", &n).await;
    assert_eq!(got["applicant"]["ui_number"], "F800001196");
    let passport = got["applicant"]["passport_number"].as_str().unwrap().to_string();
    assert!(passport == "P12345678" || passport == "A12345678", "{passport}");
    assert_eq!(got["documents"].as_array().unwrap().len(), 4);

    let hidden = ["F800001196", "P12345678", "A12345678"];
    let check = |what: &str, body: &str| {
        for h in hidden {
            assert!(!body.contains(h), "{what} shows {h} to the helpdesk: {body}");
        }
    };
    let (s, body) = app.get_text("helpdesk", &format!("/api/v1/cases/{n}")).await;
    assert_eq!(s, 200, "{body}");
    check("GET /cases/{n}", &body);
    let got: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(got["applicant"]["ui_number"], "******1196");
    assert_eq!(got["applicant"]["passport_number"], format!("*****{}", &passport[5..]));
    assert_eq!(got["documents"], json!([]));
    assert_eq!(got["state"], "paid");
    assert_eq!(got["history"].as_array().unwrap().len(), 2);

    let (s, body) = app.get_text("helpdesk", "/api/v1/cards/F800001196").await;
    assert_eq!(s, 200, "{body}");
    check("GET /cards/{ui}", &body);
    let got: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(got["ui_number"], "******1196");
    assert_eq!(got["passport_number"], "*****5678");
    assert_eq!(got["expires_on"], OPEN);
    assert_eq!(got["cases"][0]["case_number"], n.as_str());

    for q in [
        n.as_str(),
        "F800001196",
        "f800001196",
        "ethan.hunt@example.com",
        "ETHAN",
        &passport,
    ] {
        let (s, body) = app
            .get_text("helpdesk", &format!("/api/v1/cases?q={}", urlencode(q)))
            .await;
        assert_eq!(s, 200, "{body}");
        check("GET /cases?q=", &body);
        let got: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(got["total"], 1, "q={q}: {got}");
        assert_eq!(got["items"][0]["case_number"], n.as_str());
    }
    // the helpdesk cannot upload, file, or read the queues
    assert_error(
        &app.upload_as("helpdesk", "passport_copy", PDF.to_vec(), "p.pdf").await,
        403,
        "forbidden",
    );
    assert_error(
        &app.get(Some("helpdesk"), "/api/v1/queues/intake").await,
        403,
        "forbidden",
    );
}

// ------------------------------------------------------------------ 7. queues and search

async fn queues_and_search(db: Db) {
    let first = card("F800001196", "1992-05-03", OPEN);
    let mut second = card("A800000014", "1990-01-01", OPEN);
    second.family = "ROE";
    second.given = "RICHARD";
    second.email = "rick.roe@example.com";
    second.passport = "P87654321";
    let app = App::start(db, &[first.clone(), second.clone()]).await;

    let n1 = app.paid_case("alice", &first, "RCPT-Q1").await;
    let n2 = app.paid_case("bob", &second, "RCPT-Q2").await;

    // intake: both paid cases, unassigned, with a due date 20 working days on
    let (s, body) = app.get(Some("reviewer1"), "/api/v1/queues/intake").await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["total"], 2, "{body}");
    let item = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["case_number"] == n1.as_str())
        .unwrap()
        .clone();
    assert_eq!(item["state"], "paid");
    assert_eq!(item["applicant_name"], "ETHAN HUNT");
    assert_eq!(item["field"], "digital");
    assert_eq!(item["hk_macau"], false);
    assert_eq!(item["overdue"], false);
    assert_eq!(item["assignee"], Value::Null);
    assert!(item["filed_at"].is_string(), "{item}");
    assert_eq!(item["due_on"], "2026-12-23", "20 working days after 2026-11-25: {item}");
    let (s, body) = app.get(Some("lsup"), "/api/v1/queues/intake").await;
    assert_eq!((s, &body["total"]), (200, &json!(2)), "{body}");

    // paging
    let (s, page1) = app.get(Some("reviewer1"), "/api/v1/queues/intake?per_page=1").await;
    assert_eq!(s, 200, "{page1}");
    assert_eq!(page1["total"], 2);
    assert_eq!(page1["items"].as_array().unwrap().len(), 1);
    let (s, page2) = app
        .get(Some("reviewer1"), "/api/v1/queues/intake?per_page=1&page=2")
        .await;
    assert_eq!(s, 200, "{page2}");
    assert_eq!(page2["total"], 2);
    assert_eq!(page2["items"].as_array().unwrap().len(), 1);
    assert_ne!(page1["items"][0]["case_number"], page2["items"][0]["case_number"]);
    let (s, page3) = app
        .get(Some("reviewer1"), "/api/v1/queues/intake?per_page=1&page=3")
        .await;
    assert_eq!(
        (s, &page3["total"], &page3["items"]),
        (200, &json!(2), &json!([])),
        "{page3}"
    );
    let answer = app.get(Some("reviewer1"), "/api/v1/queues/intake?per_page=0").await;
    assert_error(&answer, 422, "validation_failed");
    let answer = app
        .get(Some("reviewer1"), "/api/v1/queues/intake?sort=applicant_name")
        .await;
    assert_error(&answer, 422, "validation_failed");
    let answer = app.get(Some("reviewer1"), "/api/v1/queues/everything").await;
    assert_error(&answer, 404, "queue_not_found");

    // claim one: it leaves intake and shows in the claimer's `mine`
    let (s, body) = app.fire("reviewer1", &n1, json!({"event": "claim"})).await;
    assert_eq!(s, 200, "{body}");
    let (_, intake) = app.get(Some("reviewer1"), "/api/v1/queues/intake").await;
    assert_eq!(intake["total"], 1);
    assert_eq!(intake["items"][0]["case_number"], n2.as_str());
    let (s, mine) = app.get(Some("reviewer1"), "/api/v1/queues/mine").await;
    assert_eq!(s, 200, "{mine}");
    assert_eq!(mine["total"], 1, "{mine}");
    assert_eq!(mine["items"][0]["case_number"], n1.as_str());
    assert_eq!(mine["items"][0]["state"], "labor_review");
    assert_eq!(mine["items"][0]["assignee"], "reviewer1");
    let (_, theirs) = app.get(Some("reviewer2"), "/api/v1/queues/mine").await;
    assert_eq!(
        (&theirs["total"], &theirs["items"]),
        (&json!(0), &json!([])),
        "{theirs}"
    );
    let (_, review) = app.get(Some("reviewer2"), "/api/v1/queues/labor_review").await;
    assert_eq!(review["total"], 1, "{review}");
    assert_eq!(review["items"][0]["case_number"], n1.as_str());

    // search: case number, UI number, email, a piece of the name
    for (q, want) in [
        (n1.as_str(), n1.as_str()),
        (n2.as_str(), n2.as_str()),
        ("F800001196", n1.as_str()),
        ("a800000014", n2.as_str()),
        ("ethan.hunt@example.com", n1.as_str()),
        ("Rick.Roe@Example.com", n2.as_str()),
        ("THAN HU", n1.as_str()),
        ("chard", n2.as_str()),
    ] {
        for who in ["reviewer1", "officer1", "helpdesk", "cashier"] {
            let (s, body) = app.get(Some(who), &format!("/api/v1/cases?q={}", urlencode(q))).await;
            assert_eq!(s, 200, "{body}");
            assert_eq!(body["total"], 1, "q={q} as {who}: {body}");
            assert_eq!(body["items"][0]["case_number"], want, "q={q}: {body}");
        }
    }
    // hostile text is only text
    for q in [
        "%",
        "%%",
        "_",
        "ethan_hunt",
        "'; DROP TABLE cases;--",
        "\" OR 1=1 --",
        "\\",
    ] {
        let (s, body) = app
            .get(Some("reviewer1"), &format!("/api/v1/cases?q={}", urlencode(q)))
            .await;
        assert_eq!(s, 200, "q={q}: {body}");
        assert_eq!(
            (&body["total"], &body["items"]),
            (&json!(0), &json!([])),
            "q={q}: {body}"
        );
    }
    let (s, body) = app.get(Some("reviewer1"), &format!("/api/v1/cases?q={n1}")).await;
    assert_eq!(
        (s, &body["total"]),
        (200, &json!(1)),
        "the table is still there: {body}"
    );
    let answer = app.get(Some("reviewer1"), "/api/v1/cases?q=").await;
    assert_error(&answer, 422, "validation_failed");
    // applicants do not search
    assert_error(&app.get(Some("alice"), "/api/v1/cases?q=ethan").await, 403, "forbidden");
}

on_both! {
    api_lifecycle => lifecycle;
    api_withdraw => withdraw_before_payment;
    api_reject => rejection_with_grounds;
    api_conflicts => conflicts;
    api_refusals => refusals;
    api_helpdesk => helpdesk_sees_masked_identifiers;
    api_queues => queues_and_search;
}

// ------------------------------------------------------------------ 8. the error shape

/// Errors outside the handlers' own checks (routing, query strings, bodies, forms) keep
/// the shape too.
async fn every_error_has_the_shape(db: Db) {
    let c = card("F800001196", "1992-05-03", OPEN);
    let app = App::start(db, std::slice::from_ref(&c)).await;
    let n = app.file("alice", &c).await["case_number"].as_str().unwrap().to_string();

    assert_error(&app.get(Some("reviewer1"), "/api/v1/nope").await, 404, "not_found");
    assert_error(&app.get(None, "/api/v1/nope").await, 404, "not_found");
    // query strings
    let fields = assert_error(
        &app.get(Some("reviewer1"), "/api/v1/queues/intake?per_page=abc").await,
        422,
        "validation_failed",
    );
    assert!(has_field(&fields, "per_page", "invalid"), "{fields:?}");
    let fields = assert_error(
        &app.get(Some("reviewer1"), "/api/v1/queues/intake?colour=red").await,
        422,
        "validation_failed",
    );
    assert!(has_field(&fields, "colour", "unknown_field"), "{fields:?}");
    let fields = assert_error(
        &app.get(Some("reviewer1"), "/api/v1/cases?q=ethan&page=x").await,
        422,
        "validation_failed",
    );
    assert!(has_field(&fields, "page", "invalid"), "{fields:?}");
    let answer = app
        .get(
            Some("alice"),
            "/api/v1/cards/lookup?ui_number=F800001196&birth_date=1992-05-03&colour=red",
        )
        .await;
    let fields = assert_error(&answer, 422, "validation_failed");
    assert!(has_field(&fields, "colour", "unknown_field"), "{fields:?}");
    let fields = assert_error(
        &app.get(
            Some("alice"),
            "/api/v1/cards/lookup?ui_number=F800001196&birth_date=1992-13-03",
        )
        .await,
        422,
        "validation_failed",
    );
    assert!(has_field(&fields, "birth_date", "invalid_date"), "{fields:?}");
    assert_error(
        &app.get(Some("alice"), "/api/v1/cards/lookup").await,
        422,
        "invalid_ui_number",
    );
    // bodies
    assert_error(
        &app.post(Some("alice"), "/api/v1/extensions", &json!([])).await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.post(
            Some("alice"),
            "/api/v1/extensions",
            &json!({"filer": "x".repeat(300 * 1024)}),
        )
        .await,
        413,
        "too_large",
    );
    let fields = assert_error(&app.fire("alice", &n, json!({})).await, 422, "validation_failed");
    assert!(has_field(&fields, "event", "required"), "{fields:?}");
    let fields = assert_error(
        &app.fire("alice", &n, json!({"event": "withdraw", "version": "1"}))
            .await,
        422,
        "validation_failed",
    );
    assert!(has_field(&fields, "version", "invalid"), "{fields:?}");
    let fields = assert_error(
        &app.fire("alice", &n, json!({"event": "withdraw", "colour": "red"}))
            .await,
        422,
        "validation_failed",
    );
    assert!(has_field(&fields, "colour", "unknown_field"), "{fields:?}");
    let fields = assert_error(
        &app.notify_raw(b"{}".to_vec(), &sign(SECRET, b"{}")).await,
        422,
        "validation_failed",
    );
    assert!(fields.iter().any(|f| f["field"] == "case_number"), "{fields:?}");
    assert_error(&app.notify("115559999999", 3500, "X").await, 404, "case_not_found");
    assert_error(
        &app.get(Some("reviewer1"), "/api/v1/cards/XYZ").await,
        404,
        "card_not_found",
    );
    // forms
    assert_error(
        &app.post(Some("alice"), "/api/v1/documents", &json!({})).await,
        400,
        "bad_multipart",
    );
    let fields = assert_error(
        &app.upload_as("alice", "photo", vec![], "e.png").await,
        422,
        "validation_failed",
    );
    assert!(has_field(&fields, "file", "empty"), "{fields:?}");
    let form = Form::new().text("doc_type", "photo");
    let resp = app
        .http
        .post(app.url("/api/v1/documents"))
        .bearer_auth(app.token("alice"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let fields = assert_error(&App::answer(resp).await, 422, "validation_failed");
    assert!(has_field(&fields, "file", "required"), "{fields:?}");
    let mut huge = b"%PDF-1.4\n".to_vec();
    huge.resize(12 * 1024 * 1024, b'a');
    assert_error(&app.upload_as("alice", "photo", huge, "h.pdf").await, 413, "too_large");
}

on_both! {
    api_error_shape => every_error_has_the_shape;
}
