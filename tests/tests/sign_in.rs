//! Sign-in end to end (interfaces.md): password, the 6-digit code as it arrives at a real
//! SMTP server, the session token, sign-out, and the refusals, through `goldcard serve`
//! on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, missing_docs)]

use goldcard_tests::smtp::{Handler, SmtpServer};
use goldcard_tests::{Db, Env, on_both, text};
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough password";

async fn post(base: &str, path: &str, body: Value, token: Option<&str>) -> (u16, Value) {
    let mut req = reqwest::Client::new().post(format!("{base}{path}")).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
}

async fn get(base: &str, path: &str, token: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn sign_in_end_to_end(db: Db) {
    let smtp = SmtpServer::start(Handler::Mailbox);
    let mut env = Env::new(db).await;
    env.set("GOLDCARD_SMTP_URL", &smtp.url());
    env.set("GOLDCARD_JOBS", "outbox_dispatch=* * * * * *");
    for (login, role) in [("holder1", "applicant"), ("reviewer1", "labor_reviewer")] {
        let email = format!("{login}@example.tw");
        let out = env.run_with_stdin(
            &[
                "user",
                "add",
                "--login",
                login,
                "--email",
                &email,
                "--role",
                role,
                "--password-stdin",
            ],
            PASSWORD,
        );
        assert!(out.status.success(), "{:?}", text(&out));
    }
    let server = env.serve(&["--no-demo"]).await;
    let base = server.base.as_str();

    // password, then the code from the mail
    let (status, body) = post(
        base,
        "/api/v1/session",
        json!({"login": "REVIEWER1", "password": PASSWORD}),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let challenge = body["challenge_id"].as_str().unwrap().to_string();
    let code = goldcard_tests::smtp::code_mailed(&smtp, "reviewer1@example.tw", 1).await;
    let (status, body) = post(
        base,
        "/api/v1/session/otp",
        json!({"challenge_id": challenge, "code": code}),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let token = body["token"].as_str().unwrap().to_string();
    let expires_at = chrono::DateTime::parse_from_rfc3339(body["expires_at"].as_str().unwrap()).unwrap();
    let left = expires_at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    assert!(
        left > chrono::TimeDelta::minutes(29) && left <= chrono::TimeDelta::minutes(30),
        "{body}"
    );
    // the session works (a reviewer may search), the code does not work twice
    assert_eq!(get(base, "/api/v1/queues/mine", &token).await, 200);
    let (status, body) = post(
        base,
        "/api/v1/session/otp",
        json!({"challenge_id": challenge, "code": code}),
        None,
    )
    .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (401, &json!("invalid_code")),
        "{body}"
    );
    // signing out ends it
    let resp = reqwest::Client::new()
        .delete(format!("{base}/api/v1/session"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    assert_eq!(get(base, "/api/v1/queues/mine", &token).await, 401);

    // the same answer for an unknown login and a wrong password
    let (s1, unknown) = post(
        base,
        "/api/v1/session",
        json!({"login": "nobody", "password": PASSWORD}),
        None,
    )
    .await;
    let (s2, wrong) = post(
        base,
        "/api/v1/session",
        json!({"login": "holder1", "password": "not the password"}),
        None,
    )
    .await;
    assert_eq!((s1, s2), (401, 401));
    assert_eq!(unknown, wrong);
    assert_eq!(unknown["error"]["code"], "invalid_credentials");
    // four more failures lock the login, even with the right password
    for _ in 0..4 {
        let (s, _) = post(
            base,
            "/api/v1/session",
            json!({"login": "holder1", "password": "not the password"}),
            None,
        )
        .await;
        assert_eq!(s, 401);
    }
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"login": "holder1", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    assert!(resp.headers().get("retry-after").is_some());
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "locked_out");
    // a bad body is refused in the error shape, not a 500
    let (status, body) = post(base, "/api/v1/session/otp", json!({"challenge_id": 5}), None).await;
    assert_eq!(status, 422, "{body}");
}

on_both! {
    sign_in => sign_in_end_to_end;
}
