//! Sign-in with a password and an emailed code, the lockout, and session lifetimes, on
//! SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use common::TestDb;
use goldcard_access::sign_in::{self, SignInError};
use goldcard_store::accounts::{self, Login, NewAccount};
use goldcard_store::entity::outbox;
use goldcard_workflow::Role;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

const PASSWORD: &str = "correct horse battery";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).unwrap()
}

async fn account(t: &TestDb, login: &str, role: Role) -> i64 {
    accounts::create(
        t.db(),
        NewAccount {
            login: Login::parse(login).unwrap(),
            email: goldcard_domain::Email::parse(&format!("{login}@example.org")).unwrap(),
            display_name: login.to_string(),
            role,
            password: Some(PASSWORD.to_string()),
            locale: "en".to_string(),
        },
        t0(),
    )
    .await
    .unwrap()
    .id
}

/// The code mailed for a challenge, read from the outbox as the dispatcher would.
async fn mailed_code(t: &TestDb, challenge_id: &str) -> (i64, String) {
    let row = outbox::Entity::find()
        .filter(outbox::Column::DedupeKey.eq(format!("sign_in:{challenge_id}")))
        .one(t.db())
        .await
        .unwrap()
        .expect("the code's mail is in the outbox");
    assert_eq!(row.template, "sign_in_code");
    let payload: serde_json::Value = serde_json::from_str(&row.payload).unwrap();
    assert_eq!(payload["valid_minutes"], 10);
    (
        row.recipient_account_id.unwrap(),
        payload["code"].as_str().unwrap().to_string(),
    )
}

fn wrong(code: &str) -> String {
    let first = (code.as_bytes()[0] - b'0' + 1) % 10;
    format!("{first}{}", &code[1..])
}

async fn signed_in(t: &TestDb, login: &str, at: DateTime<Utc>) -> sign_in::Session {
    let c = sign_in::start(t.db(), login, PASSWORD, at).await.unwrap();
    let (_, code) = mailed_code(t, &c.id).await;
    sign_in::verify(t.db(), &c.id, &code, at).await.unwrap()
}

on_both! {
    a_password_and_the_emailed_code_open_a_session => happy_path;
    unknown_logins_and_wrong_passwords_get_the_same_answer => same_answer;
    five_failures_in_fifteen_minutes_lock_the_login_out => lockout;
    a_code_dies_after_ten_minutes_or_five_wrong_tries_and_works_once => code_limits;
    applicant_sessions_end_thirty_minutes_after_sign_in => applicant_session;
    officer_sessions_end_after_thirty_idle_minutes_or_ten_hours => officer_session;
    signing_out_ends_the_session => sign_out;
}

async fn happy_path(t: TestDb) {
    let id = account(&t, "holder.one", Role::Applicant).await;
    let c = sign_in::start(t.db(), " Holder.One ", PASSWORD, t0()).await.unwrap();
    assert_eq!(c.expires_at, t0() + TimeDelta::minutes(10));
    let (to, code) = mailed_code(&t, &c.id).await;
    assert_eq!(to, id);
    assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "{code}");
    let s = sign_in::verify(t.db(), &c.id, &code, t0() + TimeDelta::minutes(2))
        .await
        .unwrap();
    assert!(s.token.starts_with("gcs_"));
    assert_eq!(s.account_id, id);
    let (who, ends) = sign_in::session_account(t.db(), &s.token, t0() + TimeDelta::minutes(3))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((who.id, ends), (id, s.expires_at));
    assert!(
        sign_in::session_account(t.db(), "gcs_forged", t0())
            .await
            .unwrap()
            .is_none()
    );
}

async fn same_answer(t: TestDb) {
    account(&t, "reviewer.one", Role::LaborReviewer).await;
    let unknown = sign_in::start(t.db(), "nobody.here", PASSWORD, t0()).await.unwrap_err();
    let wrong_password = sign_in::start(t.db(), "reviewer.one", "wrong password!", t0())
        .await
        .unwrap_err();
    assert!(matches!(unknown, SignInError::InvalidCredentials), "{unknown:?}");
    assert!(
        matches!(wrong_password, SignInError::InvalidCredentials),
        "{wrong_password:?}"
    );
    assert_eq!(unknown.to_string(), wrong_password.to_string());
    // no challenge, no mail
    assert!(outbox::Entity::find().all(t.db()).await.unwrap().is_empty());
}

async fn lockout(t: TestDb) {
    account(&t, "reviewer.one", Role::LaborReviewer).await;
    for i in 0..4 {
        let at = t0() + TimeDelta::minutes(i);
        assert!(matches!(
            sign_in::start(t.db(), "reviewer.one", "wrong password!", at).await,
            Err(SignInError::InvalidCredentials)
        ));
    }
    // four failures: the right password still works
    let ok = sign_in::start(t.db(), "reviewer.one", PASSWORD, t0() + TimeDelta::minutes(4)).await;
    assert!(ok.is_ok(), "{ok:?}");
    // a fifth failure (a wrong code counts too) locks the login, right password or not
    let c = ok.unwrap();
    let (_, code) = mailed_code(&t, &c.id).await;
    assert!(matches!(
        sign_in::verify(t.db(), &c.id, &wrong(&code), t0() + TimeDelta::minutes(5)).await,
        Err(SignInError::InvalidCode)
    ));
    let locked = sign_in::start(t.db(), "reviewer.one", PASSWORD, t0() + TimeDelta::minutes(6))
        .await
        .unwrap_err();
    match locked {
        // the oldest of the five (t0) leaves the window at t0 + 15 min
        SignInError::LockedOut { until } => assert_eq!(until, t0() + TimeDelta::minutes(15)),
        other => panic!("expected locked out, got {other:?}"),
    }
    // an unknown login locks the same way, so lockout does not reveal which logins exist
    for i in 0..5 {
        let _ = sign_in::start(t.db(), "nobody.here", PASSWORD, t0() + TimeDelta::seconds(i)).await;
    }
    assert!(matches!(
        sign_in::start(t.db(), "nobody.here", PASSWORD, t0() + TimeDelta::minutes(1)).await,
        Err(SignInError::LockedOut { .. })
    ));
    // once the oldest failure is out of the window, the login may try again
    let later = sign_in::start(t.db(), "reviewer.one", PASSWORD, t0() + TimeDelta::minutes(15)).await;
    assert!(later.is_ok(), "{later:?}");
}

async fn code_limits(t: TestDb) {
    account(&t, "holder.one", Role::Applicant).await;
    // expired
    let c = sign_in::start(t.db(), "holder.one", PASSWORD, t0()).await.unwrap();
    let (_, code) = mailed_code(&t, &c.id).await;
    assert!(matches!(
        sign_in::verify(t.db(), &c.id, &code, t0() + TimeDelta::minutes(10)).await,
        Err(SignInError::InvalidCode)
    ));
    // four wrong codes leave the challenge alive; the fifth kills it
    let at = t0() + TimeDelta::minutes(20);
    let c = sign_in::start(t.db(), "holder.one", PASSWORD, at).await.unwrap();
    let (_, code) = mailed_code(&t, &c.id).await;
    for _ in 0..4 {
        assert!(matches!(
            sign_in::verify(t.db(), &c.id, &wrong(&code), at).await,
            Err(SignInError::InvalidCode)
        ));
    }
    assert!(sign_in::verify(t.db(), &c.id, &code, at).await.is_ok());
    // used once
    assert!(matches!(
        sign_in::verify(t.db(), &c.id, &code, at).await,
        Err(SignInError::InvalidCode)
    ));
    let at = t0() + TimeDelta::minutes(40);
    let c = sign_in::start(t.db(), "holder.one", PASSWORD, at).await.unwrap();
    let (_, code) = mailed_code(&t, &c.id).await;
    for _ in 0..5 {
        let _ = sign_in::verify(t.db(), &c.id, &wrong(&code), at).await;
    }
    assert!(matches!(
        sign_in::verify(t.db(), &c.id, &code, at).await,
        Err(SignInError::InvalidCode)
    ));
    // garbage and unknown challenges
    assert!(matches!(
        sign_in::verify(t.db(), "no-such-challenge", "123456", at).await,
        Err(SignInError::InvalidCode)
    ));
}

async fn applicant_session(t: TestDb) {
    account(&t, "holder.one", Role::Applicant).await;
    let s = signed_in(&t, "holder.one", t0()).await;
    assert_eq!(s.expires_at, t0() + TimeDelta::minutes(30));
    // activity does not extend it
    for m in [5, 15, 25, 29] {
        let at = t0() + TimeDelta::minutes(m);
        assert!(sign_in::session_account(t.db(), &s.token, at).await.unwrap().is_some());
    }
    let at = t0() + TimeDelta::minutes(30);
    assert!(sign_in::session_account(t.db(), &s.token, at).await.unwrap().is_none());
}

async fn officer_session(t: TestDb) {
    account(&t, "reviewer.one", Role::LaborReviewer).await;
    let s = signed_in(&t, "reviewer.one", t0()).await;
    assert_eq!(s.expires_at, t0() + TimeDelta::minutes(30));
    // a request every 20 minutes keeps it alive…
    let mut at = t0();
    for _ in 0..20 {
        at += TimeDelta::minutes(20);
        let alive = sign_in::session_account(t.db(), &s.token, at).await.unwrap();
        if at < t0() + TimeDelta::hours(10) {
            let (_, ends) = alive.unwrap_or_else(|| panic!("alive at {at}"));
            assert_eq!(ends, (at + TimeDelta::minutes(30)).min(t0() + TimeDelta::hours(10)));
        } else {
            // …but not past ten hours in all
            assert!(alive.is_none(), "ended at {at}");
        }
    }
    // 30 idle minutes end a second one
    let s = signed_in(&t, "reviewer.one", t0()).await;
    let at = t0() + TimeDelta::minutes(10);
    assert!(sign_in::session_account(t.db(), &s.token, at).await.unwrap().is_some());
    let idle = at + TimeDelta::minutes(30);
    assert!(
        sign_in::session_account(t.db(), &s.token, idle)
            .await
            .unwrap()
            .is_none()
    );
}

async fn sign_out(t: TestDb) {
    account(&t, "holder.one", Role::Applicant).await;
    let s = signed_in(&t, "holder.one", t0()).await;
    assert!(sign_in::end(t.db(), &s.token, t0()).await.unwrap());
    assert!(!sign_in::end(t.db(), &s.token, t0()).await.unwrap());
    assert!(
        sign_in::session_account(t.db(), &s.token, t0())
            .await
            .unwrap()
            .is_none()
    );
}
