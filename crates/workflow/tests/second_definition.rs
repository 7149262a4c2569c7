//! A second case type, card replacement (補發), written as a new file with the engine's
//! existing guards and effects only: the test of the engine's generality.
#![allow(clippy::unwrap_used)]

use chrono::{NaiveDate, TimeZone, Utc};
use goldcard_domain::{Catalog, ValidityYears, WorkingCalendar};
use goldcard_workflow::{
    AccountId, Actor, CaseFacts, Change, Decision, EXTENSION_DEFINITION, Env, EventRequest, Recipient, Refusal,
    Registry, RejectionGrounds, Role, SlaChange, Workflow,
};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use std::sync::LazyLock;

const REPLACEMENT: &str = include_str!("../../../workflows/gold-card-replacement.toml");

static CALENDAR: LazyLock<WorkingCalendar> =
    LazyLock::new(|| WorkingCalendar::from_toml_str(include_str!("../../../seeds/holidays.toml")).unwrap());
static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    Catalog::parse(
        include_str!("../../../seeds/fields.toml"),
        include_str!("../../../seeds/document_types.toml"),
    )
    .unwrap()
});
static WORKFLOW: LazyLock<Workflow> = LazyLock::new(|| {
    Workflow::parse(
        "workflows/gold-card-replacement.toml",
        REPLACEMENT,
        &Registry::standard(),
    )
    .unwrap_or_else(|e| panic!("the replacement definition must load:\n{e}"))
});

/// NT$500: the replacement fee of seeds/fees.toml.
const FEE: u32 = 500;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 10).unwrap()
}

fn env() -> Env<'static> {
    Env {
        now: Utc.with_ymd_and_hms(2026, 3, 10, 2, 0, 0).unwrap(),
        today: today(),
        calendar: &CALENDAR,
        catalog: &CATALOG,
    }
}

const fn actor(role: Role, account_id: AccountId) -> Actor {
    Actor { account_id, role }
}
const FILER: Actor = actor(Role::Applicant, 100);
const OFFICER: Actor = actor(Role::ImmigrationOfficer, 300);
const OTHER_OFFICER: Actor = actor(Role::ImmigrationOfficer, 301);
const SUPERVISOR: Actor = actor(Role::ImmigrationSupervisor, 310);
const GATEWAY: Actor = actor(Role::PaymentGateway, 500);

/// The case as the store would hold it, updated from each accepted decision.
struct Case {
    facts: CaseFacts,
}

impl Case {
    fn file(hk_macau: bool) -> Case {
        let dec = WORKFLOW.decide_create(&FILER, hk_macau, &Map::new(), &env()).unwrap();
        assert_eq!(dec.workflow, "gold-card-replacement");
        assert_eq!(dec.to, "submitted");
        assert_eq!(templates(&dec), vec![(Recipient::Applicant, "case_received")]);
        Case {
            facts: CaseFacts {
                state: dec.to,
                version: 0,
                filer_account: FILER.account_id,
                assignee: None,
                labor_approver: None,
                return_state: None,
                hk_macau,
                fee_twd: FEE,
                card_expires_on: NaiveDate::from_ymd_opt(2027, 5, 31).unwrap(),
                validity_years: ValidityYears::ONE,
                supplement: None,
                sla_due_on: None,
                sla_paused_remaining: None,
                field_authority: None,
            },
        }
    }

    fn ask(&self, who: Actor, event: &str, payload: Value, target: Option<Actor>) -> Result<Decision, Refusal> {
        let payload = match payload {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let request = EventRequest {
            event,
            expected_version: Some(self.facts.version),
            payload: &payload,
            reassign_target: target,
            attachments: &[],
        };
        WORKFLOW.decide(&self.facts, &who, &request, &env())
    }

    fn fire(&mut self, who: Actor, event: &str, payload: Value) -> Decision {
        self.fire_with(who, event, payload, None)
    }

    fn fire_with(&mut self, who: Actor, event: &str, payload: Value, target: Option<Actor>) -> Decision {
        let dec = self
            .ask(who, event, payload, target)
            .unwrap_or_else(|r| panic!("{event} by {} in {}: {} ({r})", who.role, self.facts.state, r.code()));
        self.facts.state = dec.to.clone();
        self.facts.version += 1;
        for c in &dec.changes {
            match c {
                Change::AssignTo(a) => self.facts.assignee = Some(*a),
                Change::ClearAssignee => self.facts.assignee = None,
                Change::ExtendCard { new_expires_on } => self.facts.card_expires_on = *new_expires_on,
                _ => {}
            }
        }
        if let SlaChange::Start { due_on } = dec.sla {
            self.facts.sla_due_on = Some(due_on);
        }
        dec
    }

    fn refused(&self, who: Actor, event: &str, payload: Value) -> &'static str {
        match self.ask(who, event, payload, None) {
            Ok(dec) => panic!(
                "{event} by {} in {} should be refused: {dec:?}",
                who.role, self.facts.state
            ),
            Err(r) => r.code(),
        }
    }
}

fn templates(dec: &Decision) -> Vec<(Recipient, &str)> {
    dec.notifications
        .iter()
        .map(|n| (n.recipient, n.template.as_str()))
        .collect()
}

fn pay() -> Value {
    json!({ "receipt_no": "R-56-1", "amount_twd": FEE })
}

#[test]
fn loads_with_the_standard_registry_and_names_nothing_new() {
    let w = &*WORKFLOW;
    assert_eq!(w.name, "gold-card-replacement");
    assert_eq!(w.case_type, "56");
    assert_eq!(w.title_zh, "就業金卡補發");
    let states: Vec<(&str, bool)> = w.states.iter().map(|s| (s.name.as_str(), s.terminal)).collect();
    assert_eq!(
        states,
        vec![
            ("submitted", false),
            ("paid", false),
            ("immigration_review", false),
            ("issued", true),
            ("rejected", true),
            ("withdrawn", true),
        ]
    );
    assert_eq!(
        w.event_names(),
        vec!["file", "pay", "withdraw", "claim", "issue", "reject", "reassign"]
    );
    // every guard and effect it names is one the extension already uses
    let names = |w: &Workflow| -> BTreeSet<String> {
        w.edges
            .iter()
            .flat_map(|e| {
                e.guards
                    .iter()
                    .map(|g| format!("guard {}", g.name))
                    .chain(e.effects.iter().map(|f| format!("effect {}", f.name)))
            })
            .collect()
    };
    let extension = Workflow::parse("ext", EXTENSION_DEFINITION, &Registry::standard()).unwrap();
    let used = names(w);
    assert!(used.is_subset(&names(&extension)), "{used:?}");
    // and a registry with nothing in it refuses it: the names really are looked up
    let err = Workflow::parse("r.toml", REPLACEMENT, &Registry::default()).unwrap_err();
    assert_eq!(err.problems.len(), used.len(), "{err}");
    // the graph is drawn like the extension's
    let dot = w.to_dot();
    assert!(dot.contains("paid -> immigration_review"));
    assert!(dot.contains("immigration_review -> issued"));
}

#[test]
fn file_pay_claim_issue() {
    let mut case = Case::file(false);

    let dec = case.fire(GATEWAY, "pay", pay());
    assert_eq!(dec.to, "paid");
    assert_eq!(templates(&dec), vec![(Recipient::Applicant, "payment_received")]);
    assert!(matches!(
        &dec.changes[..],
        [Change::RecordPayment { amount_twd: FEE, .. }]
    ));
    assert_eq!(
        dec.sla,
        SlaChange::Start {
            due_on: CALENDAR.add_working_days(today(), 10)
        }
    );

    // withdrawal only before payment: there is no such edge any more
    assert_eq!(case.refused(FILER, "withdraw", json!({})), "invalid_transition");
    assert_eq!(
        case.refused(OFFICER, "withdraw", json!({ "reason": "r" })),
        "invalid_transition"
    );
    // labor plays no part in a replacement
    let labor = actor(Role::LaborReviewer, 200);
    assert_eq!(case.refused(labor, "claim", json!({})), "forbidden");
    assert_eq!(case.refused(OFFICER, "approve", json!({})), "invalid_transition");
    assert_eq!(case.refused(OFFICER, "issue", json!({})), "invalid_transition");

    let dec = case.fire(OFFICER, "claim", json!({}));
    assert_eq!(dec.to, "immigration_review");
    assert_eq!(dec.changes, vec![Change::AssignTo(OFFICER.account_id)]);
    assert_eq!(dec.sla, SlaChange::Keep);

    assert_eq!(case.refused(OTHER_OFFICER, "issue", json!({})), "forbidden");
    assert_eq!(case.refused(OFFICER, "claim", json!({})), "invalid_transition");
    assert_eq!(
        case.refused(OFFICER, "request_supplement", json!({})),
        "invalid_transition"
    );
    assert_eq!(
        case.refused(OFFICER, "issue", json!({ "new_expires_on": "2099-01-01" })),
        "invalid_payload"
    );

    let before = case.facts.card_expires_on;
    let dec = case.fire(OFFICER, "issue", json!({}));
    assert_eq!(dec.to, "issued");
    assert!(
        dec.changes.is_empty(),
        "a replacement keeps the card's expiry: {:?}",
        dec.changes
    );
    assert_eq!(case.facts.card_expires_on, before);
    assert_eq!(templates(&dec), vec![(Recipient::Applicant, "issued")]);
    assert_eq!(dec.sla, SlaChange::Stop);

    for event in WORKFLOW.event_names() {
        for role in Role::ALL {
            assert_eq!(case.refused(actor(role, 300), event, json!({})), "invalid_transition");
        }
    }
}

#[test]
fn reassign_then_reject() {
    let mut case = Case::file(true);
    let dec = case.fire(GATEWAY, "pay", pay());
    assert_eq!(
        dec.sla,
        SlaChange::Start {
            due_on: CALENDAR.add_working_days(today(), 40)
        },
        "Hong Kong and Macau residents"
    );
    case.fire(SUPERVISOR, "claim", json!({}));
    assert_eq!(case.facts.assignee, Some(SUPERVISOR.account_id));
    let dec = case.fire_with(SUPERVISOR, "reassign", json!({ "to": "officer" }), Some(OFFICER));
    assert_eq!(dec.to, "immigration_review");
    assert_eq!(case.facts.assignee, Some(OFFICER.account_id));
    assert_eq!(case.refused(OFFICER, "reassign", json!({ "to": "x" })), "forbidden");
    assert_eq!(
        case.refused(OFFICER, "reject", json!({ "grounds": "other" })),
        "invalid_payload"
    );
    let dec = case.fire(
        OFFICER,
        "reject",
        json!({ "grounds": "not_eligible", "reason": "卡片未遺失", "legal_basis": "外國專業人才延攬及僱用法" }),
    );
    assert_eq!(dec.to, "rejected");
    assert!(matches!(
        &dec.changes[..],
        [Change::RecordRejection {
            grounds: RejectionGrounds::NotEligible,
            ..
        }]
    ));
    assert_eq!(templates(&dec), vec![(Recipient::Applicant, "rejected")]);
    assert_eq!(dec.sla, SlaChange::Stop);
}

#[test]
fn withdraw_before_payment_only_by_the_filer() {
    let mut case = Case::file(false);
    assert_eq!(
        case.refused(actor(Role::Applicant, 101), "withdraw", json!({})),
        "forbidden"
    );
    assert_eq!(case.refused(OFFICER, "withdraw", json!({})), "forbidden");
    assert_eq!(
        case.refused(GATEWAY, "pay", json!({ "receipt_no": "R", "amount_twd": 2600 })),
        "guard_failed"
    );
    let dec = case.fire(FILER, "withdraw", json!({}));
    assert_eq!(dec.to, "withdrawn");
    assert_eq!(dec.changes, vec![Change::RecordWithdrawal { reason: None }]);
    assert_eq!(templates(&dec), vec![(Recipient::Applicant, "withdrawn")]);
    assert_eq!(dec.sla, SlaChange::Keep);
    assert_eq!(case.refused(GATEWAY, "pay", pay()), "invalid_transition");
}

#[test]
fn the_file_on_disk_is_the_one_tested() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../workflows/gold-card-replacement.toml");
    let w = goldcard_workflow::load_file(&path, &Registry::standard()).unwrap();
    assert_eq!(w.name, WORKFLOW.name);
    assert_eq!(w.edges.len(), WORKFLOW.edges.len());
}
