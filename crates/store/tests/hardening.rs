//! Storage of the hardening tables: one-time keys and the refusal log; on SQLite and on
//! PostgreSQL.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use chrono::Duration;
use common::{TestDb, now};
use goldcard_store::access_log::{self, Refusal};
use goldcard_store::idempotency::{self, Claim, Kept};
use goldcard_workflow::Role;

async fn fresh(db: goldcard_tests::Db) -> TestDb {
    match db {
        goldcard_tests::Db::Sqlite => common::sqlite().await,
        goldcard_tests::Db::Postgres => common::postgres().await,
    }
}

/// Concurrent claims of one key: exactly one goes ahead; once its answer is kept every
/// later claim gets it; a freed key may be claimed again; keys are per account.
async fn a_key_is_claimed_once(db: goldcard_tests::Db) {
    let t = fresh(db).await;
    let a = t.account("clicker", Role::LaborReviewer).await;
    let b = t.account("other", Role::LaborReviewer).await;
    let claims = futures::future::join_all((0..8).map(|_| {
        let conn = t.store.db().clone();
        async move {
            idempotency::claim(&conn, a.id, "k-1", "/office/cases/1/notes", now())
                .await
                .unwrap()
        }
    }))
    .await;
    assert_eq!(claims.iter().filter(|c| **c == Claim::New).count(), 1, "{claims:?}");
    assert!(claims.iter().all(|c| matches!(c, Claim::New | Claim::InFlight)));
    let kept = Kept {
        status: 303,
        location: Some("/office/cases/1?done=note".into()),
        body: None,
        route: String::new(),
    };
    idempotency::finish(t.store.db(), a.id, "k-1", &kept).await.unwrap();
    let again = idempotency::claim(t.store.db(), a.id, "k-1", "/office/cases/1/notes", now())
        .await
        .unwrap();
    assert_eq!(
        again,
        Claim::Done(Kept {
            route: "/office/cases/1/notes".into(),
            ..kept
        })
    );
    // another account's key of the same text is its own
    assert_eq!(
        idempotency::claim(t.store.db(), b.id, "k-1", "/x", now())
            .await
            .unwrap(),
        Claim::New
    );
    // a freed key may run again
    idempotency::release(t.store.db(), b.id, "k-1").await.unwrap();
    assert_eq!(
        idempotency::claim(t.store.db(), b.id, "k-1", "/x", now())
            .await
            .unwrap(),
        Claim::New
    );
    // old keys are forgotten
    assert_eq!(
        idempotency::purge(t.store.db(), now() + Duration::days(2))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        idempotency::claim(t.store.db(), a.id, "k-1", "/office/cases/1/notes", now())
            .await
            .unwrap(),
        Claim::New
    );
    assert!(idempotency::valid_key("abc-123") && !idempotency::valid_key("") && !idempotency::valid_key("a b"));
}

async fn refusals_are_appended(db: goldcard_tests::Db) {
    let t = fresh(db).await;
    let a = t.account("prober", Role::Applicant).await;
    let long = format!("/api/v1/cases/{}", "9".repeat(2000));
    for (account_id, role, status, reason) in [
        (Some(a.id), "applicant", 404, "not_yours"),
        (None, "anonymous", 401, "policy"),
    ] {
        let r = Refusal {
            account_id,
            role,
            method: "GET",
            route: "/api/v1/cases/{case_number}",
            path: &long,
            status,
            reason,
        };
        access_log::record(t.store.db(), &r, now()).await.unwrap();
    }
    let rows = access_log::latest(t.store.db(), 10).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (rows[0].role.as_str(), rows[0].status, rows[0].account_id),
        ("anonymous", 401, None)
    );
    assert_eq!((rows[1].reason.as_str(), rows[1].account_id), ("not_yours", Some(a.id)));
    assert_eq!(rows[1].path.chars().count(), 500, "a hostile path is cut");
}

goldcard_tests::on_both! {
    one_time_keys => a_key_is_claimed_once;
    refusal_log => refusals_are_appended;
}
