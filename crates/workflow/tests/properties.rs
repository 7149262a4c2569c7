//! Properties of `Workflow::decide` on the shipped definition: random sequences of events by
//! random actors with random payloads, applied to a model of the case.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use goldcard_domain::{Catalog, ValidityYears, WorkingCalendar};
use goldcard_workflow::{
    AccountId, Actor, ActorRule, CaseFacts, Change, Decision, EXTENSION_DEFINITION, Env, EventRequest, Refusal,
    Registry, Role, SlaChange, StateId, SupplementFacts, Target, Workflow,
};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::sync::LazyLock;

static CALENDAR: LazyLock<WorkingCalendar> =
    LazyLock::new(|| WorkingCalendar::from_toml_str(include_str!("../../../seeds/holidays.toml")).unwrap());
static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    Catalog::parse(
        include_str!("../../../seeds/fields.toml"),
        include_str!("../../../seeds/document_types.toml"),
    )
    .unwrap()
});
static WORKFLOW: LazyLock<Workflow> = LazyLock::new(parse_shipped);

fn parse_shipped() -> Workflow {
    Workflow::parse("gold-card-extension.toml", EXTENSION_DEFINITION, &Registry::standard()).unwrap()
}

/// A few accounts: the filer, another applicant, two officers' ids and the scheduler's.
const ACCOUNTS: [AccountId; 6] = [100, 101, 200, 201, 300, 0];
const FILER: AccountId = 100;
const FEE: u32 = 2500;

fn start_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
}

fn env_on(today: NaiveDate) -> Env<'static> {
    let now: DateTime<Utc> = Utc.from_utc_datetime(&today.and_hms_opt(2, 0, 0).unwrap());
    Env {
        now,
        today,
        calendar: &CALENDAR,
        catalog: &CATALOG,
    }
}

fn event_names() -> Vec<String> {
    let mut names: Vec<String> = WORKFLOW.event_names().into_iter().map(str::to_string).collect();
    names.push("escalate".to_string()); // no such event
    names
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Plausible payloads for an event, valid and not.
fn payloads_for(event: &str, fee: u32) -> Vec<Value> {
    let mut list = match event {
        "pay" => vec![
            json!({ "receipt_no": "R-1", "amount_twd": fee }),
            json!({ "receipt_no": "R-2", "amount_twd": fee, "paid_at": "2026-03-01T09:00:00+08:00" }),
            json!({ "receipt_no": "R-3", "amount_twd": fee + 10 }),
            json!({ "amount_twd": fee }),
        ],
        "withdraw" => vec![json!({ "reason": "written request" }), json!({ "reason": " " })],
        "request_supplement" => vec![
            json!({ "items": [{ "doc_type": "passport_copy", "note": "new page" }] }),
            json!({ "items": [{ "doc_type": "salary_proof", "note": "2025" }, { "doc_type": "photo", "note": "recent" }], "abroad": true }),
            json!({ "items": [{ "doc_type": "photo", "note": "recent" }], "due_on": "2026-12-31" }),
            json!({ "items": [] }),
            json!({ "items": [{ "doc_type": "selfie", "note": "x" }] }),
            json!({ "items": [{ "doc_type": "photo", "note": "x" }], "due_on": "2020-01-01" }),
        ],
        "reject" => vec![
            json!({ "grounds": "not_eligible", "reason": "r", "legal_basis": "b" }),
            json!({ "grounds": "supplement_missed", "reason": "r", "legal_basis": "b" }),
            json!({ "grounds": "other", "reason": "r" }),
        ],
        "consult" => vec![
            json!({ "authority": "數位發展部" }),
            json!({ "authority": "Ministry of Magic" }),
        ],
        "consultation_answered" => vec![
            json!({ "opinion": "agree", "document_id": "d-1" }),
            json!({ "opinion": "" }),
        ],
        "reassign" => vec![json!({ "to": "someone" })],
        _ => vec![],
    };
    list.push(json!({}));
    list.push(json!({ "bogus": true }));
    list
}

#[derive(Debug, Clone)]
enum Step {
    /// Fire an event.
    Fire {
        event: usize,
        role: usize,
        account: usize,
        payload: usize,
        /// 0: the current version, 1: none, 2: a stale one.
        version: u8,
        target_role: usize,
        target_account: usize,
    },
    /// The applicant uploads every document asked for.
    UploadAll,
    /// Days go by.
    Wait(u64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => (0..64usize, 0..Role::ALL.len(), 0..ACCOUNTS.len(), 0..16usize, prop_oneof![6 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)], 0..Role::ALL.len(), 0..ACCOUNTS.len())
            .prop_map(|(event, role, account, payload, version, target_role, target_account)| Step::Fire {
                event, role, account, payload, version, target_role, target_account,
            }),
        1 => Just(Step::UploadAll),
        1 => (1..60u64).prop_map(Step::Wait),
    ]
}

/// Applies an accepted decision to the model, as the store would.
fn apply(model: &mut CaseFacts, dec: &Decision) {
    model.state = dec.to.clone();
    model.version += 1;
    for change in &dec.changes {
        match change {
            Change::AssignTo(a) => model.assignee = Some(*a),
            Change::ClearAssignee => model.assignee = None,
            Change::OpenSupplement {
                return_state,
                items,
                due_on,
                ..
            } => {
                model.return_state = Some(return_state.clone());
                model.supplement = Some(SupplementFacts {
                    due_on: *due_on,
                    items: items.iter().map(|i| i.doc_type.clone()).collect(),
                    uploaded: Vec::new(),
                });
            }
            Change::CloseSupplement | Change::MarkSupplementOverdue => {
                model.supplement = None;
                model.return_state = None;
            }
            Change::RecordLaborApprover(a) => model.labor_approver = Some(*a),
            Change::ExtendCard { new_expires_on } => model.card_expires_on = *new_expires_on,
            Change::RecordPayment { amount_twd, .. } => assert_eq!(*amount_twd, model.fee_twd),
            Change::AttachDocuments { documents, .. } => {
                if let Some(s) = model.supplement.as_mut() {
                    s.uploaded.extend(documents.iter().map(|d| d.doc_type.clone()));
                }
            }
            Change::RecordRejection { .. }
            | Change::RecordWithdrawal { .. }
            | Change::StartConsultation { .. }
            | Change::AnswerConsultation { .. } => {}
        }
    }
    match dec.sla {
        SlaChange::Keep => {}
        SlaChange::Start { due_on } | SlaChange::Resume { due_on } => {
            model.sla_due_on = Some(due_on);
            model.sla_paused_remaining = None;
        }
        SlaChange::Pause { remaining } => {
            model.sla_due_on = None;
            model.sla_paused_remaining = Some(remaining);
        }
        SlaChange::Stop => {
            model.sla_due_on = None;
            model.sla_paused_remaining = None;
        }
    }
}

/// Every event (known or not) by every role and account is refused.
fn assert_everything_refused(model: &CaseFacts, today: NaiveDate) -> Result<(), TestCaseError> {
    for event in event_names() {
        for role in Role::ALL {
            for account in ACCOUNTS {
                for payload in payloads_for(&event, model.fee_twd) {
                    let payload = obj(payload);
                    let request = EventRequest {
                        event: &event,
                        expected_version: Some(model.version),
                        payload: &payload,
                        reassign_target: Some(Actor {
                            account_id: 201,
                            role: Role::LaborReviewer,
                        }),
                        attachments: &[],
                    };
                    let who = Actor {
                        account_id: account,
                        role,
                    };
                    let r = WORKFLOW.decide(model, &who, &request, &env_on(today));
                    prop_assert!(
                        matches!(r, Err(Refusal::InvalidTransition { .. })),
                        "{event} by {role} in terminal state {}: {r:?}",
                        model.state
                    );
                }
            }
        }
    }
    Ok(())
}

/// A case created by the filer, and the date.
struct Sim {
    model: CaseFacts,
    today: NaiveDate,
    visited: Vec<String>,
}

impl Sim {
    fn new(hk_macau: bool, years: u8) -> Sim {
        let w = &*WORKFLOW;
        let today = start_day();
        let filer = Actor {
            account_id: FILER,
            role: Role::Applicant,
        };
        let created = w.decide_create(&filer, hk_macau, &Map::new(), &env_on(today)).unwrap();
        assert_eq!(created.to, w.state(w.initial).name);
        let model = CaseFacts {
            state: created.to.clone(),
            version: 0,
            filer_account: FILER,
            assignee: None,
            labor_approver: None,
            return_state: None,
            hk_macau,
            fee_twd: FEE,
            card_expires_on: NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
            validity_years: ValidityYears::new(years).unwrap(),
            supplement: None,
            sla_due_on: None,
            sla_paused_remaining: None,
            field_authority: Some("數位發展部".to_string()),
        };
        Sim {
            visited: vec![model.state.clone()],
            model,
            today,
        }
    }

    /// The current state, checked to be declared.
    fn state(&self) -> Result<StateId, TestCaseError> {
        let id = WORKFLOW.state_id(&self.model.state);
        prop_assert!(id.is_some(), "reached undeclared state {}", self.model.state);
        Ok(id.unwrap_or_default())
    }

    fn terminal(&self) -> Result<bool, TestCaseError> {
        Ok(WORKFLOW.state(self.state()?).terminal)
    }

    /// Asks the engine, checks the answer against the definition and, when accepted,
    /// applies it to the model.
    fn fire(
        &mut self,
        event: &str,
        who: Actor,
        payload: &Map<String, Value>,
        expected_version: Option<i64>,
        reassign_target: Option<Actor>,
    ) -> Result<(), TestCaseError> {
        let w = &*WORKFLOW;
        let from = self.state()?;
        let request = EventRequest {
            event,
            expected_version,
            payload,
            reassign_target,
            attachments: &[],
        };
        let before = self.model.clone();
        let env = env_on(self.today);
        let result = w.decide(&self.model, &who, &request, &env);
        // deterministic: the same question gets the same answer
        prop_assert_eq!(&result, &w.decide(&self.model, &who, &request, &env));
        let dec = match result {
            Ok(dec) => dec,
            Err(_) => {
                prop_assert_eq!(&self.model, &before, "a refusal changed the case");
                return Ok(());
            }
        };
        prop_assert!(
            !w.state(from).terminal,
            "{event} accepted in terminal state {}",
            self.model.state
        );
        prop_assert_eq!(dec.from.as_deref(), Some(self.model.state.as_str()));
        prop_assert_eq!(dec.event.as_str(), event);
        prop_assert_eq!(dec.actor, who);
        let edge = w.edge(event, from);
        prop_assert!(
            edge.is_some(),
            "accepted {event} from {} with no edge",
            self.model.state
        );
        let edge = edge.unwrap();
        prop_assert!(edge.roles.contains(&who.role), "{event} accepted from a {}", who.role);
        prop_assert!(expected_version.is_none_or(|v| v == self.model.version));
        if edge.actor == ActorRule::Filer {
            prop_assert_eq!(who.account_id, self.model.filer_account);
        }
        let to = w.state_id(&dec.to);
        prop_assert!(to.is_some(), "{event} led to undeclared state {}", dec.to);
        let to = to.unwrap_or_default();
        match edge.to {
            Target::State(s) => prop_assert_eq!(to, s),
            Target::Same => prop_assert_eq!(to, from),
            Target::Return => {
                prop_assert_eq!(Some(dec.to.as_str()), self.model.return_state.as_deref());
                prop_assert!(w.return_states(from).contains(&to));
            }
        }
        apply(&mut self.model, &dec);
        prop_assert_eq!(self.model.version, before.version + 1);
        self.visited.push(self.model.state.clone());
        Ok(())
    }

    fn random_step(&mut self, step: &Step) -> Result<(), TestCaseError> {
        match step {
            Step::UploadAll => {
                if let Some(s) = &mut self.model.supplement {
                    s.uploaded = s.items.clone();
                }
                Ok(())
            }
            Step::Wait(days) => {
                self.today = self.today.checked_add_days(Days::new(*days)).unwrap();
                Ok(())
            }
            Step::Fire {
                event,
                role,
                account,
                payload,
                version,
                target_role,
                target_account,
            } => {
                let events = event_names();
                let event = &events[event % events.len()];
                let who = Actor {
                    account_id: ACCOUNTS[*account],
                    role: Role::ALL[*role],
                };
                let payloads = payloads_for(event, self.model.fee_twd);
                let payload = obj(payloads[payload % payloads.len()].clone());
                let expected_version = match version {
                    0 => Some(self.model.version),
                    1 => None,
                    _ => Some(self.model.version - 1),
                };
                let target = Actor {
                    account_id: ACCOUNTS[*target_account],
                    role: Role::ALL[*target_role],
                };
                self.fire(event, who, &payload, expected_version, Some(target))
            }
        }
    }

    /// The event that would normally move the case on, by the right actor.
    fn guided_step(&mut self, pick: u8) -> Result<(), TestCaseError> {
        let a = |account_id, role| Actor { account_id, role };
        let m = &self.model;
        let assignee = m.assignee.unwrap_or(200);
        let items = json!({ "items": [{ "doc_type": "photo", "note": "n" }] });
        let (event, who, payload, target) = match (m.state.as_str(), pick % 6) {
            ("submitted", 0) => ("withdraw", a(FILER, Role::Applicant), json!({}), None),
            ("submitted", _) => (
                "pay",
                a(500, Role::PaymentGateway),
                json!({ "receipt_no": "R", "amount_twd": m.fee_twd }),
                None,
            ),
            ("paid", 0) => ("withdraw", a(201, Role::LaborReviewer), json!({ "reason": "r" }), None),
            ("paid", _) => ("claim", a(200, Role::LaborReviewer), json!({}), None),
            ("labor_review", 0) => ("request_supplement", a(assignee, Role::LaborReviewer), items, None),
            ("labor_review", 1) => (
                "reassign",
                a(210, Role::LaborSupervisor),
                json!({ "to": "b" }),
                Some(a(201, Role::LaborReviewer)),
            ),
            ("labor_review", 2) => ("consult", a(assignee, Role::LaborReviewer), json!({}), None),
            ("labor_review", _) => ("approve", a(assignee, Role::LaborReviewer), json!({}), None),
            ("supplement", 0) => {
                if let Some(s) = &m.supplement {
                    self.today = self.today.max(s.due_on.succ_opt().unwrap());
                }
                ("supplement_overdue", Actor::SYSTEM, json!({}), None)
            }
            ("supplement", _) => {
                if let Some(s) = &mut self.model.supplement {
                    s.uploaded = s.items.clone();
                }
                ("submit_supplement", a(FILER, Role::Applicant), json!({}), None)
            }
            ("immigration_review", _) if m.assignee.is_none() => {
                ("claim", a(300, Role::ImmigrationOfficer), json!({}), None)
            }
            ("immigration_review", 0) => ("request_supplement", a(assignee, Role::ImmigrationOfficer), items, None),
            ("immigration_review", 1) => (
                "reject",
                a(assignee, Role::ImmigrationOfficer),
                json!({ "grounds": "not_eligible", "reason": "r", "legal_basis": "b" }),
                None,
            ),
            ("immigration_review", _) => ("issue", a(assignee, Role::ImmigrationOfficer), json!({}), None),
            _ => return Ok(()),
        };
        let version = Some(self.model.version);
        self.fire(event, who, &obj(payload), version, target)
    }
}

/// Runs a sequence; once the case is in a terminal state, checks that everything is refused.
fn run(sim: &mut Sim, steps: &[(u8, Step)], guided_share: u8) -> Result<(), TestCaseError> {
    for (pick, step) in steps {
        if sim.terminal()? {
            return assert_everything_refused(&sim.model, sim.today);
        }
        if *pick < guided_share {
            sim.guided_step(*pick)?;
        } else {
            sim.random_step(step)?;
        }
    }
    if sim.terminal()? {
        assert_everything_refused(&sim.model, sim.today)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Purely random events, actors and payloads.
    #[test]
    fn random_sequences_follow_the_definition(
        steps in prop::collection::vec((Just(u8::MAX), step()), 1..80),
        hk_macau in any::<bool>(),
        years in 1u8..=3,
    ) {
        let mut sim = Sim::new(hk_macau, years);
        run(&mut sim, &steps, 0)?;
    }

    /// Random steps mixed with the "right" event most of the time, so that long paths
    /// (supplements, immigration review, issue) are reached often, not only by luck.
    #[test]
    fn guided_sequences_follow_the_definition(
        steps in prop::collection::vec((0..10u8, step()), 1..60),
        hk_macau in any::<bool>(),
        years in 1u8..=3,
    ) {
        let mut sim = Sim::new(hk_macau, years);
        run(&mut sim, &steps, 7)?;
    }
}

#[test]
fn guided_sequences_reach_every_state() {
    let mut seen = std::collections::BTreeSet::new();
    let mut seed: u32 = 12345;
    for _ in 0..300 {
        let mut sim = Sim::new(false, 2);
        for _ in 0..40 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let pick = u8::try_from((seed >> 16) % 6).unwrap();
            if sim.terminal().unwrap() {
                break;
            }
            sim.guided_step(pick).unwrap();
        }
        seen.extend(sim.visited);
    }
    let all: std::collections::BTreeSet<String> = WORKFLOW.states.iter().map(|s| s.name.clone()).collect();
    assert_eq!(seen, all);
}

// ------------------------------------------------------------------ determinism

fn any_case() -> impl Strategy<Value = CaseFacts> {
    let states: Vec<String> = WORKFLOW.states.iter().map(|s| s.name.clone()).collect();
    (
        prop::sample::select(states),
        0..5i64,
        prop::sample::select(ACCOUNTS.to_vec()),
        prop::option::of(prop::sample::select(ACCOUNTS.to_vec())),
        prop::option::of(prop::sample::select(ACCOUNTS.to_vec())),
        prop::option::of(prop::sample::select(vec![
            "labor_review".to_string(),
            "immigration_review".to_string(),
        ])),
        any::<bool>(),
        prop::option::of((0..90u64, any::<bool>())),
        prop::option::of(0..40u64),
        prop::option::of(-3..25i64),
    )
        .prop_map(
            |(state, version, filer, assignee, approver, return_state, hk_macau, supplement, sla_due, paused)| {
                CaseFacts {
                    state,
                    version,
                    filer_account: filer,
                    assignee,
                    labor_approver: approver,
                    return_state,
                    hk_macau,
                    fee_twd: FEE,
                    card_expires_on: NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
                    validity_years: ValidityYears::THREE,
                    supplement: supplement.map(|(days, all)| SupplementFacts {
                        due_on: start_day().checked_add_days(Days::new(days)).unwrap(),
                        items: vec!["photo".into(), "resume".into()],
                        uploaded: if all {
                            vec!["resume".into(), "photo".into()]
                        } else {
                            vec!["photo".into()]
                        },
                    }),
                    sla_due_on: sla_due.map(|d| start_day().checked_add_days(Days::new(d)).unwrap()),
                    sla_paused_remaining: paused,
                    field_authority: Some("數位發展部".into()),
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// Same definition text, case, actor, payload and date: same answer, from the same
    /// compiled definition or a freshly parsed one.
    #[test]
    fn decide_is_deterministic(
        case in any_case(),
        event in 0..64usize,
        role in 0..Role::ALL.len(),
        account in 0..ACCOUNTS.len(),
        payload in 0..16usize,
        expected in prop::option::of(0..5i64),
        day in 0..120u64,
    ) {
        let events = event_names();
        let event = &events[event % events.len()];
        let payloads = payloads_for(event, FEE);
        let payload = obj(payloads[payload % payloads.len()].clone());
        let who = Actor { account_id: ACCOUNTS[account], role: Role::ALL[role] };
        let request = EventRequest {
            event,
            expected_version: expected,
            payload: &payload,
            reassign_target: Some(Actor { account_id: 301, role: Role::ImmigrationOfficer }),
            attachments: &[],
        };
        let env = env_on(start_day().checked_add_days(Days::new(day)).unwrap());
        let first = WORKFLOW.decide(&case, &who, &request, &env);
        let second = WORKFLOW.decide(&case, &who, &request, &env);
        prop_assert_eq!(&first, &second);
        let fresh = parse_shipped();
        prop_assert_eq!(&first, &fresh.decide(&case, &who, &request, &env));
        if let Ok(dec) = &first {
            prop_assert!(WORKFLOW.state_id(&dec.to).is_some());
            prop_assert!(!WORKFLOW.state(WORKFLOW.state_id(&case.state).unwrap()).terminal);
        }
    }
}
