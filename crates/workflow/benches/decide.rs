//! Decisions per second on the shipped extension definition: a reviewer claiming a paid
//! case, the assignee approving it, and a refused event, alone and as a mix.
#![allow(clippy::unwrap_used)]

use chrono::{NaiveDate, TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use goldcard_domain::{Catalog, ValidityYears, WorkingCalendar};
use goldcard_workflow::{Actor, CaseFacts, EXTENSION_DEFINITION, Env, EventRequest, Registry, Role, Workflow};
use serde_json::Map;
use std::hint::black_box;

fn case(state: &str, assignee: Option<i64>) -> CaseFacts {
    let today = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
    CaseFacts {
        state: state.to_string(),
        version: 3,
        filer_account: 100,
        assignee,
        labor_approver: None,
        return_state: None,
        hk_macau: false,
        fee_twd: 2500,
        card_expires_on: NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
        validity_years: ValidityYears::TWO,
        supplement: None,
        sla_due_on: Some(today + chrono::Days::new(20)),
        sla_paused_remaining: None,
        field_authority: Some("數位發展部".to_string()),
    }
}

fn bench(c: &mut Criterion) {
    let calendar = WorkingCalendar::from_toml_str(include_str!("../../../seeds/holidays.toml")).unwrap();
    let catalog = Catalog::parse(
        include_str!("../../../seeds/fields.toml"),
        include_str!("../../../seeds/document_types.toml"),
    )
    .unwrap();
    let workflow = Workflow::parse("gold-card-extension.toml", EXTENSION_DEFINITION, &Registry::standard()).unwrap();
    let env = Env {
        now: Utc.with_ymd_and_hms(2026, 3, 10, 2, 0, 0).unwrap(),
        today: NaiveDate::from_ymd_opt(2026, 3, 10).unwrap(),
        calendar: &calendar,
        catalog: &catalog,
    };
    let reviewer = Actor {
        account_id: 200,
        role: Role::LaborReviewer,
    };
    let other_reviewer = Actor {
        account_id: 201,
        role: Role::LaborReviewer,
    };
    let empty = Map::new();
    let request = |event| EventRequest {
        event,
        expected_version: Some(3),
        payload: &empty,
        reassign_target: None,
        attachments: &[],
    };
    let paid = case("paid", None);
    let in_review = case("labor_review", Some(reviewer.account_id));
    let claim = request("claim");
    let approve = request("approve");

    // the three decisions must be what they claim to be
    assert!(workflow.decide(&paid, &reviewer, &claim, &env).is_ok());
    assert!(workflow.decide(&in_review, &reviewer, &approve, &env).is_ok());
    assert_eq!(
        workflow
            .decide(&in_review, &other_reviewer, &approve, &env)
            .unwrap_err()
            .code(),
        "forbidden"
    );

    let mut group = c.benchmark_group("decide");
    group.throughput(Throughput::Elements(1));
    group.bench_function("claim_paid_by_reviewer", |b| {
        b.iter(|| workflow.decide(black_box(&paid), black_box(&reviewer), black_box(&claim), &env))
    });
    group.bench_function("approve_by_assignee", |b| {
        b.iter(|| workflow.decide(black_box(&in_review), black_box(&reviewer), black_box(&approve), &env))
    });
    group.bench_function("refused_not_assignee", |b| {
        b.iter(|| {
            workflow.decide(
                black_box(&in_review),
                black_box(&other_reviewer),
                black_box(&approve),
                &env,
            )
        })
    });
    group.throughput(Throughput::Elements(3));
    group.bench_function("mix_claim_approve_refused", |b| {
        b.iter(|| {
            let a = workflow.decide(black_box(&paid), black_box(&reviewer), black_box(&claim), &env);
            let b2 = workflow.decide(black_box(&in_review), black_box(&reviewer), black_box(&approve), &env);
            let r = workflow.decide(
                black_box(&in_review),
                black_box(&other_reviewer),
                black_box(&approve),
                &env,
            );
            (a, b2, r)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
