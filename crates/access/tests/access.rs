//! The access policy in the database: seeding, enforcement, changes that persist, and the
//! casbin adapter's own operations, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use casbin::{Adapter, CoreApi, DefaultModel, Enforcer, MgmtApi, RbacApi};
use common::TestDb;
use goldcard_access::{Access, AccessError, MODEL, POLICY, SeaOrmAdapter};
use goldcard_store::entity::casbin_rules;
use sea_orm::{EntityTrait, PaginatorTrait};

/// How many rules the default policy has (non-comment, non-blank lines).
fn policy_lines() -> u64 {
    POLICY
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .count() as u64
}

async fn row_count(t: &TestDb) -> u64 {
    casbin_rules::Entity::find().count(t.db()).await.unwrap()
}

on_both! {
    first_load_seeds_and_second_does_not_duplicate => seeds_once;
    allows_and_denies => allows_and_denies;
    added_policy_persists => added_policy_persists;
    removed_policy_takes_effect => removed_policy_takes_effect;
    a_seeded_table_ignores_the_csv => seeded_table_ignores_csv;
    a_bad_seed_is_refused_and_writes_nothing => bad_seed;
    adapter_operations => adapter_operations;
    save_policy_replaces_the_table => save_policy;
}

async fn seeds_once(t: TestDb) {
    assert_eq!(row_count(&t).await, 0);
    let first = Access::load(t.db(), MODEL, POLICY).await.unwrap();
    let n = policy_lines();
    assert!(n > 50, "the default policy has {n} rules");
    assert_eq!(row_count(&t).await, n);
    let before = first.policies().await;

    let second = Access::load(t.db(), MODEL, POLICY).await.unwrap();
    assert_eq!(row_count(&t).await, n, "a second load must not add rows");
    assert_eq!(second.policies().await, before);
    assert_eq!(
        second.policies().await.len() + second.role_links().await.len(),
        n as usize
    );
    assert!(second.allows("applicant", "/api/v1/extensions", "POST").await);
}

async fn allows_and_denies(t: TestDb) {
    let access = Access::load_default(t.db()).await.unwrap();
    let cases: &[(&str, &str, &str, bool)] = &[
        ("applicant", "/api/v1/extensions", "POST", true),
        ("helpdesk", "/api/v1/extensions", "POST", false),
        ("labor_supervisor", "/api/v1/queues/{queue}", "GET", true),
        ("immigration_supervisor", "/api/v1/queues/{queue}", "GET", true),
        ("applicant", "/api/v1/queues/{queue}", "GET", false),
        ("anonymous", "/api/v1/payments/notify", "POST", true),
        ("anonymous", "/api/v1/cases", "GET", false),
        ("anonymous", "/api/v1/session", "DELETE", false),
        ("helpdesk", "/api/v1/cases", "GET", true),
        ("helpdesk", "/api/v1/cases/{case_number}/events", "POST", false),
        ("cashier", "/api/v1/cases/{case_number}/events", "POST", true),
        ("cashier", "/api/v1/queues/{queue}", "GET", false),
        ("payment_gateway", "/api/v1/payments/notify", "POST", true),
        ("payment_gateway", "/api/v1/cases", "GET", false),
        ("admin", "/api/v1/session", "DELETE", true),
        ("admin", "/api/v1/cases", "GET", false),
        // the template, not a concrete path, is the object
        ("applicant", "/api/v1/cases/55-2026-000001", "GET", false),
    ];
    for &(sub, obj, act, expected) in cases {
        assert_eq!(access.allows(sub, obj, act).await, expected, "{sub} {act} {obj}");
    }
    let events: &[(&str, &str, bool)] = &[
        ("labor_supervisor", "reassign", true),
        ("labor_reviewer", "reassign", false),
        ("immigration_supervisor", "issue", true),
        ("immigration_supervisor", "reassign", true),
        ("applicant", "approve", false),
        ("applicant", "withdraw", true),
        ("cashier", "pay", true),
        ("payment_gateway", "pay", true),
        ("system", "supplement_overdue", true),
        ("labor_reviewer", "supplement_overdue", false),
        ("anonymous", "pay", false),
    ];
    for &(role, event, expected) in events {
        assert_eq!(access.may_fire(role, event).await, expected, "{role} fires {event}");
    }
}

async fn added_policy_persists(t: TestDb) {
    let access = Access::load_default(t.db()).await.unwrap();
    let before = row_count(&t).await;
    assert!(!access.allows("admin", "/api/v1/cases", "GET").await);
    assert!(access.add_policy("admin", "/api/v1/cases", "GET").await.unwrap());
    assert!(access.allows("admin", "/api/v1/cases", "GET").await);
    assert_eq!(row_count(&t).await, before + 1);
    // adding it again changes nothing, in memory or in the table
    assert!(!access.add_policy("admin", "/api/v1/cases", "GET").await.unwrap());
    assert_eq!(row_count(&t).await, before + 1);

    let fresh = Access::load_default(t.db()).await.unwrap();
    assert!(fresh.allows("admin", "/api/v1/cases", "GET").await);
    assert!(
        fresh
            .routes()
            .await
            .contains(&("GET".to_string(), "/api/v1/cases".to_string()))
    );
}

async fn removed_policy_takes_effect(t: TestDb) {
    let access = Access::load_default(t.db()).await.unwrap();
    let other = access.clone();
    let before = row_count(&t).await;
    assert!(access.allows("helpdesk", "/api/v1/cases", "GET").await);
    assert!(access.remove_policy("helpdesk", "/api/v1/cases", "GET").await.unwrap());
    assert!(!access.allows("helpdesk", "/api/v1/cases", "GET").await);
    assert!(
        !other.allows("helpdesk", "/api/v1/cases", "GET").await,
        "clones share the policy"
    );
    assert_eq!(row_count(&t).await, before - 1);
    assert!(!access.remove_policy("helpdesk", "/api/v1/cases", "GET").await.unwrap());

    // the inherited right goes with the reviewer's
    assert!(
        access
            .remove_policy("labor_reviewer", "/api/v1/queues/{queue}", "GET")
            .await
            .unwrap()
    );
    assert!(!access.allows("labor_supervisor", "/api/v1/queues/{queue}", "GET").await);

    let fresh = Access::load_default(t.db()).await.unwrap();
    assert!(!fresh.allows("helpdesk", "/api/v1/cases", "GET").await);
    assert!(fresh.allows("helpdesk", "/api/v1/cards/{ui_number}", "GET").await);
    assert_eq!(row_count(&t).await, before - 2);

    // another instance's change is seen after a reload
    assert!(access.add_policy("helpdesk", "/api/v1/cases", "GET").await.unwrap());
    assert!(!fresh.allows("helpdesk", "/api/v1/cases", "GET").await);
    fresh.reload().await.unwrap();
    assert!(fresh.allows("helpdesk", "/api/v1/cases", "GET").await);
}

async fn seeded_table_ignores_csv(t: TestDb) {
    Access::load_default(t.db()).await.unwrap();
    let n = row_count(&t).await;
    let other = "p, admin, /api/v1/cases, GET\n";
    let access = Access::load(t.db(), MODEL, other).await.unwrap();
    assert_eq!(row_count(&t).await, n);
    assert!(!access.allows("admin", "/api/v1/cases", "GET").await);
    assert!(access.allows("applicant", "/api/v1/extensions", "POST").await);
}

async fn bad_seed(t: TestDb) {
    let err = Access::load(t.db(), MODEL, "p, applicant, /, GET\np, applicant, /x\n")
        .await
        .unwrap_err();
    assert!(matches!(err, AccessError::PolicyCsv { line: 2, .. }), "{err}");
    assert_eq!(row_count(&t).await, 0);
    // a model without role links: the seed's `g` rules do not fit it
    let err = Access::load(t.db(), &MODEL.replace("g = _, _", ""), POLICY)
        .await
        .unwrap_err();
    assert!(matches!(err, AccessError::PolicyCsv { .. }), "{err}");
    assert_eq!(row_count(&t).await, 0);
    // a matcher that does not compile
    let broken = MODEL.replace("r.act == p.act", "r.act == ");
    let err = Access::load(t.db(), &broken, POLICY).await.unwrap_err();
    assert!(matches!(err, AccessError::Casbin(_)), "{err}");
    assert_eq!(row_count(&t).await, 0);
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

async fn enforcer(t: &TestDb) -> Enforcer {
    let model = DefaultModel::from_str(MODEL).await.unwrap();
    Enforcer::new(model, SeaOrmAdapter::new(t.db().clone())).await.unwrap()
}

/// The adapter through casbin's own management API: every write reaches the table.
async fn adapter_operations(t: TestDb) {
    let mut e = enforcer(&t).await;
    assert!(e.get_policy().is_empty());

    let rules = vec![
        strings(&["alice_role", "/a", "GET"]),
        strings(&["alice_role", "/b", "GET"]),
        strings(&["bob_role", "/a", "POST"]),
    ];
    assert!(e.add_policies(rules.clone()).await.unwrap());
    assert_eq!(row_count(&t).await, 3);
    // all or nothing: one is already there, so none is added
    assert!(
        !e.add_policies(vec![strings(&["carol_role", "/c", "GET"]), rules[0].clone()])
            .await
            .unwrap()
    );
    assert_eq!(row_count(&t).await, 3);

    assert!(
        e.add_grouping_policy(strings(&["carol_role", "alice_role"]))
            .await
            .unwrap()
    );
    assert!(e.enforce(("carol_role", "/b", "GET")).unwrap());
    assert_eq!(row_count(&t).await, 4);

    // all or nothing: one is missing, so none is removed
    assert!(
        !e.remove_policies(vec![rules[0].clone(), strings(&["nobody", "/x", "GET"])])
            .await
            .unwrap()
    );
    assert_eq!(row_count(&t).await, 4);
    assert!(
        e.remove_policies(vec![rules[0].clone(), rules[2].clone()])
            .await
            .unwrap()
    );
    assert_eq!(row_count(&t).await, 2);

    assert!(e.add_policy(strings(&["alice_role", "/c", "GET"])).await.unwrap());
    assert!(e.remove_filtered_policy(0, strings(&["alice_role"])).await.unwrap());
    assert!(!e.remove_filtered_policy(0, strings(&["alice_role"])).await.unwrap());
    assert_eq!(row_count(&t).await, 1);
    assert!(e.delete_role("alice_role").await.unwrap());
    assert_eq!(row_count(&t).await, 0);

    // the filtered load reads only matching rules
    e.add_policies(rules.clone()).await.unwrap();
    let mut adapter = SeaOrmAdapter::new(t.db().clone());
    let mut model = DefaultModel::from_str(MODEL).await.unwrap();
    adapter
        .load_filtered_policy(
            &mut model,
            casbin::Filter {
                p: vec!["", "/a"],
                g: vec![],
            },
        )
        .await
        .unwrap();
    assert!(adapter.is_filtered());
    let loaded = casbin::Model::get_policy(&model, "p", "p");
    assert_eq!(loaded, vec![rules[0].clone(), rules[2].clone()]);

    // a fresh enforcer sees exactly what is stored
    let fresh = enforcer(&t).await;
    assert_eq!(fresh.get_policy(), rules);
    assert!(fresh.enforce(("bob_role", "/a", "POST")).unwrap());
}

async fn save_policy(t: TestDb) {
    Access::load_default(t.db()).await.unwrap();
    let mut e = enforcer(&t).await;
    let n = row_count(&t).await;
    // change the model only, then save it whole
    e.enable_auto_save(false);
    assert!(e.add_policy(strings(&["admin", "/api/v1/cases", "GET"])).await.unwrap());
    assert_eq!(row_count(&t).await, n);
    e.save_policy().await.unwrap();
    assert_eq!(row_count(&t).await, n + 1);
    let fresh = Access::load_default(t.db()).await.unwrap();
    assert!(fresh.allows("admin", "/api/v1/cases", "GET").await);
    assert!(fresh.allows("labor_supervisor", "/api/v1/queues/{queue}", "GET").await);

    e.enable_auto_save(true);
    e.clear_policy().await.unwrap();
    assert_eq!(row_count(&t).await, 0);
}
