//! `Workflow::decide` / `decide_create` on the shipped definition, edge by edge, with the
//! refusals of workflow.md and roles.md.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use goldcard_domain::{Catalog, ValidityYears, WorkingCalendar, new_expiry, supplement_due_on};
use goldcard_workflow::{
    AccountId, Actor, CaseFacts, Change, Decision, EXTENSION_DEFINITION, Env, EventRequest, Recipient, Refusal,
    Registry, RejectionGrounds, Role, SlaChange, SupplementFacts, SupplementItem, Workflow,
};
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
static WORKFLOW: LazyLock<Workflow> =
    LazyLock::new(|| Workflow::parse("gold-card-extension.toml", EXTENSION_DEFINITION, &Registry::standard()).unwrap());

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Tuesday 10 March 2026, 10:00 in Taipei.
fn today() -> NaiveDate {
    d("2026-03-10")
}
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, 2, 0, 0).unwrap()
}

fn env_on(today: NaiveDate) -> Env<'static> {
    Env {
        now: now(),
        today,
        calendar: &CALENDAR,
        catalog: &CATALOG,
    }
}

const fn actor(role: Role, account_id: AccountId) -> Actor {
    Actor { account_id, role }
}
const FILER: Actor = actor(Role::Applicant, 100);
const OTHER_APPLICANT: Actor = actor(Role::Applicant, 101);
const LABOR_A: Actor = actor(Role::LaborReviewer, 200);
const LABOR_B: Actor = actor(Role::LaborReviewer, 201);
const LABOR_SUP: Actor = actor(Role::LaborSupervisor, 210);
const IMM_A: Actor = actor(Role::ImmigrationOfficer, 300);
const IMM_B: Actor = actor(Role::ImmigrationOfficer, 301);
const IMM_SUP: Actor = actor(Role::ImmigrationSupervisor, 310);
const CASHIER: Actor = actor(Role::Cashier, 400);
const GATEWAY: Actor = actor(Role::PaymentGateway, 500);
const HELPDESK: Actor = actor(Role::Helpdesk, 600);
const ADMIN: Actor = actor(Role::Admin, 700);
const SYSTEM: Actor = Actor::SYSTEM;

const FEE: u32 = 2500;
const EXPIRES: &str = "2026-06-30";

/// Working days left on the running SLA clock in the cases below.
const LEFT: u32 = 5;
/// Working days left when the supplement was asked for.
const PAUSED_LEFT: i64 = 12;

fn base(state: &str) -> CaseFacts {
    CaseFacts {
        state: state.to_string(),
        version: 7,
        filer_account: FILER.account_id,
        assignee: None,
        labor_approver: None,
        return_state: None,
        hk_macau: false,
        fee_twd: FEE,
        card_expires_on: d(EXPIRES),
        validity_years: ValidityYears::TWO,
        supplement: None,
        sla_due_on: None,
        sla_paused_remaining: None,
        field_authority: Some("數位發展部".to_string()),
    }
}

fn submitted() -> CaseFacts {
    base("submitted")
}
fn paid() -> CaseFacts {
    CaseFacts {
        sla_due_on: Some(CALENDAR.add_working_days(today(), LEFT)),
        ..base("paid")
    }
}
fn labor_review(assignee: Option<AccountId>) -> CaseFacts {
    CaseFacts {
        assignee,
        sla_due_on: Some(CALENDAR.add_working_days(today(), LEFT)),
        ..base("labor_review")
    }
}
fn immigration_review(assignee: Option<AccountId>) -> CaseFacts {
    CaseFacts {
        assignee,
        labor_approver: Some(LABOR_A.account_id),
        sla_due_on: Some(CALENDAR.add_working_days(today(), LEFT)),
        ..base("immigration_review")
    }
}
fn supplement(return_state: &str, assignee: AccountId, uploaded: &[&str], due_on: NaiveDate) -> CaseFacts {
    CaseFacts {
        assignee: Some(assignee),
        labor_approver: (return_state == "immigration_review").then_some(LABOR_A.account_id),
        return_state: Some(return_state.to_string()),
        supplement: Some(SupplementFacts {
            due_on,
            items: vec!["passport_copy".to_string(), "salary_proof".to_string()],
            uploaded: uploaded.iter().map(|s| s.to_string()).collect(),
        }),
        sla_paused_remaining: Some(PAUSED_LEFT),
        ..base("supplement")
    }
}
fn supplement_all_uploaded(return_state: &str, assignee: AccountId) -> CaseFacts {
    supplement(
        return_state,
        assignee,
        &["salary_proof", "passport_copy", "photo"],
        d("2026-04-09"),
    )
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("payload must be an object, not {other}"),
    }
}

fn decide_full(
    case: &CaseFacts,
    who: Actor,
    event: &str,
    payload: Value,
    expected_version: Option<i64>,
    reassign_target: Option<Actor>,
    today: NaiveDate,
) -> Result<Decision, Refusal> {
    let payload = obj(payload);
    let request = EventRequest {
        event,
        expected_version,
        payload: &payload,
        reassign_target,
        attachments: &[],
    };
    WORKFLOW.decide(case, &who, &request, &env_on(today))
}

fn decide(case: &CaseFacts, who: Actor, event: &str, payload: Value) -> Result<Decision, Refusal> {
    decide_full(case, who, event, payload, Some(case.version), None, today())
}

fn refusal(case: &CaseFacts, who: Actor, event: &str, payload: Value) -> Refusal {
    match decide(case, who, event, payload) {
        Ok(dec) => panic!(
            "{} by {} on `{}` should be refused, got {dec:?}",
            event, who.role, case.state
        ),
        Err(r) => r,
    }
}

fn assert_code(case: &CaseFacts, who: Actor, event: &str, payload: Value, code: &str) -> Refusal {
    let r = refusal(case, who, event, payload);
    assert_eq!(
        r.code(),
        code,
        "{event} by {} ({}) on `{}`: {r}",
        who.role,
        who.account_id,
        case.state
    );
    r
}

fn assert_guard(case: &CaseFacts, who: Actor, event: &str, payload: Value, guard: &str) {
    match refusal(case, who, event, payload) {
        Refusal::GuardFailed { guard: g, message } => {
            assert_eq!(g, guard);
            assert!(!message.is_empty());
        }
        other => panic!("{event}: expected guard `{guard}` to fail, got {other:?}"),
    }
}

/// The (field, code) pairs of an invalid_payload refusal.
fn field_errors(case: &CaseFacts, who: Actor, event: &str, payload: Value) -> Vec<(String, String)> {
    match refusal(case, who, event, payload) {
        Refusal::InvalidPayload { fields } => fields.into_iter().map(|f| (f.field, f.code)).collect(),
        other => panic!("{event}: expected invalid_payload, got {other:?}"),
    }
}

fn fe(field: &str, code: &str) -> (String, String) {
    (field.to_string(), code.to_string())
}

// ------------------------------------------------------------------ every edge

struct Row {
    what: &'static str,
    case: CaseFacts,
    actor: Actor,
    event: &'static str,
    payload: Value,
    target: Option<Actor>,
    to: &'static str,
    changes: Vec<Change>,
    notify: Vec<(Recipient, &'static str)>,
    sla: SlaChange,
}

fn labor_due() -> NaiveDate {
    CALENDAR.add_working_days(today(), 20)
}
fn resumed() -> SlaChange {
    SlaChange::Resume {
        due_on: CALENDAR.add_working_days(today(), u32::try_from(PAUSED_LEFT).unwrap()),
    }
}
fn paused() -> SlaChange {
    SlaChange::Pause {
        remaining: i64::from(LEFT),
    }
}
fn supplement_items() -> Value {
    json!([
        { "doc_type": "passport_copy", "note": "the page with the new entry stamp" },
        { "doc_type": "salary_proof", "note": "2025 withholding statement" },
    ])
}
fn items_asked() -> Vec<SupplementItem> {
    vec![
        SupplementItem {
            doc_type: "passport_copy".into(),
            note: "the page with the new entry stamp".into(),
        },
        SupplementItem {
            doc_type: "salary_proof".into(),
            note: "2025 withholding statement".into(),
        },
    ]
}
fn rejection(grounds: &str) -> Value {
    json!({ "grounds": grounds, "reason": "月薪未達標準", "legal_basis": "外國專業人才延攬及僱用法第8條" })
}

#[allow(clippy::too_many_lines)]
fn every_edge() -> Vec<Row> {
    use Recipient::{Applicant, Assignee};
    let withdrawn = || vec![(Applicant, "withdrawn")];
    let written_request = || json!({ "reason": "書面撤案申請 2026-03-09" });
    let withdrawal = || {
        vec![Change::RecordWithdrawal {
            reason: Some("書面撤案申請 2026-03-09".into()),
        }]
    };
    let row = |what, case, actor, event, payload, to, changes, notify, sla| Row {
        what,
        case,
        actor,
        event,
        payload,
        target: None,
        to,
        changes,
        notify,
        sla,
    };
    vec![
        row(
            "pay by the gateway",
            submitted(),
            GATEWAY,
            "pay",
            json!({ "receipt_no": "R-0001", "amount_twd": FEE }),
            "paid",
            vec![Change::RecordPayment {
                receipt_no: "R-0001".into(),
                amount_twd: FEE,
                paid_at: now(),
            }],
            vec![(Applicant, "payment_received")],
            SlaChange::Start { due_on: labor_due() },
        ),
        row(
            "pay at the counter, with the time paid",
            submitted(),
            CASHIER,
            "pay",
            json!({ "receipt_no": "C-77", "amount_twd": FEE, "paid_at": "2026-03-09T16:30:00+08:00" }),
            "paid",
            vec![Change::RecordPayment {
                receipt_no: "C-77".into(),
                amount_twd: FEE,
                paid_at: Utc.with_ymd_and_hms(2026, 3, 9, 8, 30, 0).unwrap(),
            }],
            vec![(Applicant, "payment_received")],
            SlaChange::Start { due_on: labor_due() },
        ),
        row(
            "withdraw by the filer before payment",
            submitted(),
            FILER,
            "withdraw",
            json!({}),
            "withdrawn",
            vec![Change::RecordWithdrawal { reason: None }],
            withdrawn(),
            SlaChange::Keep,
        ),
        row(
            "withdraw by a labor reviewer on a paid case",
            paid(),
            LABOR_B,
            "withdraw",
            written_request(),
            "withdrawn",
            withdrawal(),
            withdrawn(),
            SlaChange::Stop,
        ),
        row(
            "withdraw by the labor supervisor in labor review",
            labor_review(Some(LABOR_A.account_id)),
            LABOR_SUP,
            "withdraw",
            written_request(),
            "withdrawn",
            withdrawal(),
            withdrawn(),
            SlaChange::Stop,
        ),
        row(
            "withdraw by a labor reviewer during a labor supplement",
            supplement_all_uploaded("labor_review", LABOR_A.account_id),
            LABOR_A,
            "withdraw",
            written_request(),
            "withdrawn",
            withdrawal(),
            withdrawn(),
            SlaChange::Stop,
        ),
        row(
            "withdraw by an immigration officer during an immigration supplement",
            supplement_all_uploaded("immigration_review", IMM_A.account_id),
            IMM_B,
            "withdraw",
            written_request(),
            "withdrawn",
            withdrawal(),
            withdrawn(),
            SlaChange::Stop,
        ),
        row(
            "withdraw by an immigration officer in immigration review",
            immigration_review(Some(IMM_A.account_id)),
            IMM_A,
            "withdraw",
            written_request(),
            "withdrawn",
            withdrawal(),
            withdrawn(),
            SlaChange::Stop,
        ),
        row(
            "withdraw by the immigration supervisor",
            immigration_review(None),
            IMM_SUP,
            "withdraw",
            written_request(),
            "withdrawn",
            withdrawal(),
            withdrawn(),
            SlaChange::Stop,
        ),
        row(
            "claim by a labor reviewer",
            paid(),
            LABOR_A,
            "claim",
            json!({}),
            "labor_review",
            vec![Change::AssignTo(LABOR_A.account_id)],
            vec![],
            SlaChange::Keep,
        ),
        row(
            "claim by the labor supervisor",
            paid(),
            LABOR_SUP,
            "claim",
            json!({}),
            "labor_review",
            vec![Change::AssignTo(LABOR_SUP.account_id)],
            vec![],
            SlaChange::Keep,
        ),
        row(
            "claim by an immigration officer",
            immigration_review(None),
            IMM_A,
            "claim",
            json!({}),
            "immigration_review",
            vec![Change::AssignTo(IMM_A.account_id)],
            vec![],
            SlaChange::Keep,
        ),
        row(
            "claim by the immigration supervisor",
            immigration_review(None),
            IMM_SUP,
            "claim",
            json!({}),
            "immigration_review",
            vec![Change::AssignTo(IMM_SUP.account_id)],
            vec![],
            SlaChange::Keep,
        ),
        row(
            "request_supplement by the labor assignee (default due date)",
            labor_review(Some(LABOR_A.account_id)),
            LABOR_A,
            "request_supplement",
            json!({ "items": supplement_items() }),
            "supplement",
            vec![Change::OpenSupplement {
                return_state: "labor_review".into(),
                items: items_asked(),
                abroad: false,
                due_on: d("2026-04-09"),
            }],
            vec![(Applicant, "supplement_requested")],
            paused(),
        ),
        row(
            "request_supplement by the labor supervisor on another's case, explicit due date",
            labor_review(Some(LABOR_A.account_id)),
            LABOR_SUP,
            "request_supplement",
            json!({ "items": supplement_items(), "abroad": false, "due_on": "2026-04-30" }),
            "supplement",
            vec![Change::OpenSupplement {
                return_state: "labor_review".into(),
                items: items_asked(),
                abroad: false,
                due_on: d("2026-04-30"),
            }],
            vec![(Applicant, "supplement_requested")],
            paused(),
        ),
        row(
            "request_supplement by the immigration assignee, documents from abroad",
            immigration_review(Some(IMM_A.account_id)),
            IMM_A,
            "request_supplement",
            json!({ "items": supplement_items(), "abroad": true }),
            "supplement",
            vec![Change::OpenSupplement {
                return_state: "immigration_review".into(),
                items: items_asked(),
                abroad: true,
                due_on: d("2026-09-10"),
            }],
            vec![(Applicant, "supplement_requested")],
            paused(),
        ),
        row(
            "submit_supplement back to labor review",
            supplement_all_uploaded("labor_review", LABOR_A.account_id),
            FILER,
            "submit_supplement",
            json!({}),
            "labor_review",
            vec![Change::CloseSupplement],
            vec![
                (Applicant, "supplement_received"),
                (Assignee, "supplement_received_officer"),
            ],
            resumed(),
        ),
        row(
            "submit_supplement back to immigration review",
            supplement_all_uploaded("immigration_review", IMM_A.account_id),
            FILER,
            "submit_supplement",
            json!({}),
            "immigration_review",
            vec![Change::CloseSupplement],
            vec![
                (Applicant, "supplement_received"),
                (Assignee, "supplement_received_officer"),
            ],
            resumed(),
        ),
        row(
            "supplement_overdue the day after the due date",
            supplement("labor_review", LABOR_A.account_id, &[], d("2026-03-09")),
            SYSTEM,
            "supplement_overdue",
            json!({}),
            "labor_review",
            vec![Change::MarkSupplementOverdue],
            vec![(Assignee, "supplement_overdue")],
            resumed(),
        ),
        row(
            "supplement_overdue back to immigration review",
            supplement("immigration_review", IMM_A.account_id, &["photo"], d("2026-02-01")),
            SYSTEM,
            "supplement_overdue",
            json!({}),
            "immigration_review",
            vec![Change::MarkSupplementOverdue],
            vec![(Assignee, "supplement_overdue")],
            resumed(),
        ),
        row(
            "approve by the assignee",
            labor_review(Some(LABOR_A.account_id)),
            LABOR_A,
            "approve",
            json!({}),
            "immigration_review",
            vec![Change::RecordLaborApprover(LABOR_A.account_id), Change::ClearAssignee],
            vec![],
            SlaChange::Start {
                due_on: CALENDAR.add_working_days(today(), 10),
            },
        ),
        row(
            "approve by the labor supervisor, Hong Kong resident",
            CaseFacts {
                hk_macau: true,
                ..labor_review(Some(LABOR_A.account_id))
            },
            LABOR_SUP,
            "approve",
            json!({}),
            "immigration_review",
            vec![Change::RecordLaborApprover(LABOR_SUP.account_id), Change::ClearAssignee],
            vec![],
            SlaChange::Start {
                due_on: CALENDAR.add_working_days(today(), 40),
            },
        ),
        row(
            "reject in labor review",
            labor_review(Some(LABOR_A.account_id)),
            LABOR_A,
            "reject",
            rejection("not_eligible"),
            "rejected",
            vec![Change::RecordRejection {
                grounds: RejectionGrounds::NotEligible,
                reason: "月薪未達標準".into(),
                legal_basis: "外國專業人才延攬及僱用法第8條".into(),
            }],
            vec![(Applicant, "rejected")],
            SlaChange::Stop,
        ),
        row(
            "reject in immigration review",
            immigration_review(Some(IMM_A.account_id)),
            IMM_A,
            "reject",
            rejection("supplement_missed"),
            "rejected",
            vec![Change::RecordRejection {
                grounds: RejectionGrounds::SupplementMissed,
                reason: "月薪未達標準".into(),
                legal_basis: "外國專業人才延攬及僱用法第8條".into(),
            }],
            vec![(Applicant, "rejected")],
            SlaChange::Stop,
        ),
        row(
            "reject by the immigration supervisor on another's case",
            immigration_review(Some(IMM_A.account_id)),
            IMM_SUP,
            "reject",
            rejection("other"),
            "rejected",
            vec![Change::RecordRejection {
                grounds: RejectionGrounds::Other,
                reason: "月薪未達標準".into(),
                legal_basis: "外國專業人才延攬及僱用法第8條".into(),
            }],
            vec![(Applicant, "rejected")],
            SlaChange::Stop,
        ),
        row(
            "consult the field's ministry",
            labor_review(Some(LABOR_A.account_id)),
            LABOR_A,
            "consult",
            json!({ "authority": "Ministry of Digital Affairs" }),
            "labor_review",
            vec![Change::StartConsultation {
                authority: "Ministry of Digital Affairs".into(),
            }],
            vec![],
            SlaChange::Keep,
        ),
        row(
            "consult, authority from the case's field",
            labor_review(Some(LABOR_A.account_id)),
            LABOR_A,
            "consult",
            json!({}),
            "labor_review",
            vec![Change::StartConsultation {
                authority: "數位發展部".into(),
            }],
            vec![],
            SlaChange::Keep,
        ),
        row(
            "consultation_answered",
            labor_review(Some(LABOR_A.account_id)),
            LABOR_A,
            "consultation_answered",
            json!({ "opinion": "符合資格", "document_id": "doc-42" }),
            "labor_review",
            vec![Change::AnswerConsultation {
                opinion: "符合資格".into(),
                document_id: Some("doc-42".into()),
            }],
            vec![],
            SlaChange::Keep,
        ),
        row(
            "issue by the immigration assignee",
            immigration_review(Some(IMM_A.account_id)),
            IMM_A,
            "issue",
            json!({}),
            "issued",
            vec![Change::ExtendCard {
                new_expires_on: d("2028-06-30"),
            }],
            vec![(Applicant, "issued")],
            SlaChange::Stop,
        ),
        row(
            "issue by the immigration supervisor on another's case",
            immigration_review(Some(IMM_A.account_id)),
            IMM_SUP,
            "issue",
            json!({}),
            "issued",
            vec![Change::ExtendCard {
                new_expires_on: d("2028-06-30"),
            }],
            vec![(Applicant, "issued")],
            SlaChange::Stop,
        ),
        Row {
            target: Some(LABOR_B),
            ..row(
                "reassign in labor review",
                labor_review(Some(LABOR_A.account_id)),
                LABOR_SUP,
                "reassign",
                json!({ "to": "labor.b" }),
                "labor_review",
                vec![Change::AssignTo(LABOR_B.account_id)],
                vec![],
                SlaChange::Keep,
            )
        },
        Row {
            target: Some(IMM_B),
            ..row(
                "reassign in immigration review",
                immigration_review(Some(IMM_A.account_id)),
                IMM_SUP,
                "reassign",
                json!({ "to": "imm.b" }),
                "immigration_review",
                vec![Change::AssignTo(IMM_B.account_id)],
                vec![],
                SlaChange::Keep,
            )
        },
    ]
}

#[test]
fn every_edge_of_workflow_md_accepts_the_right_role() {
    let rows = every_edge();
    for row in &rows {
        let dec = decide_full(
            &row.case,
            row.actor,
            row.event,
            row.payload.clone(),
            Some(row.case.version),
            row.target,
            today(),
        )
        .unwrap_or_else(|r| panic!("{}: refused with {} ({r})", row.what, r.code()));
        assert_eq!(dec.workflow, "gold-card-extension", "{}", row.what);
        assert_eq!(dec.event, row.event, "{}", row.what);
        assert_eq!(dec.from.as_deref(), Some(row.case.state.as_str()), "{}", row.what);
        assert_eq!(dec.to, row.to, "{}", row.what);
        assert_eq!(dec.actor, row.actor, "{}", row.what);
        assert_eq!(dec.changes, row.changes, "{}", row.what);
        let notify: Vec<(Recipient, &str)> = dec
            .notifications
            .iter()
            .map(|n| (n.recipient, n.template.as_str()))
            .collect();
        assert_eq!(notify, row.notify, "{}", row.what);
        assert_eq!(dec.sla, row.sla, "{}", row.what);
        assert_eq!(Value::Object(dec.payload.clone()), row.payload, "{}", row.what);
        // without an expected version the decision is the same
        let again = decide_full(
            &row.case,
            row.actor,
            row.event,
            row.payload.clone(),
            None,
            row.target,
            today(),
        );
        assert_eq!(again, Ok(dec), "{}", row.what);
    }
    // every (event, from) pair of the definition is covered by a row
    let w = &*WORKFLOW;
    for e in w.edges.iter().filter(|e| !e.create) {
        for &f in &e.from {
            let from = &w.state(f).name;
            assert!(
                rows.iter().any(|r| r.event == e.event && &r.case.state == from),
                "no row for {} from {from}",
                e.event
            );
        }
    }
}

#[test]
fn file_creates_a_submitted_case() {
    let dec = WORKFLOW
        .decide_create(&FILER, false, &Map::new(), &env_on(today()))
        .unwrap();
    assert_eq!(dec.event, "file");
    assert_eq!(dec.from, None);
    assert_eq!(dec.to, "submitted");
    assert_eq!(dec.actor, FILER);
    assert!(dec.changes.is_empty());
    let notify: Vec<(Recipient, &str)> = dec
        .notifications
        .iter()
        .map(|n| (n.recipient, n.template.as_str()))
        .collect();
    assert_eq!(notify, vec![(Recipient::Applicant, "case_received")]);
    assert_eq!(dec.sla, SlaChange::Keep, "no clock runs before payment");
    let hk = WORKFLOW
        .decide_create(&FILER, true, &Map::new(), &env_on(today()))
        .unwrap();
    assert_eq!(hk.to, "submitted");
}

#[test]
fn only_applicants_file() {
    for role in Role::ALL.into_iter().filter(|r| *r != Role::Applicant) {
        let r = WORKFLOW
            .decide_create(&actor(role, 9), false, &Map::new(), &env_on(today()))
            .unwrap_err();
        assert_eq!(r.code(), "forbidden", "{role}");
    }
    let r = WORKFLOW
        .decide_create(&FILER, false, &obj(json!({ "name": "x" })), &env_on(today()))
        .unwrap_err();
    assert_eq!(r.code(), "invalid_payload");
}

// ------------------------------------------------------------------ invalid_transition

#[test]
fn no_edge_is_an_invalid_transition() {
    assert_code(&paid(), LABOR_A, "approve", json!({}), "invalid_transition");
    assert_code(&submitted(), LABOR_A, "claim", json!({}), "invalid_transition");
    assert_code(
        &labor_review(Some(200)),
        IMM_A,
        "issue",
        json!({}),
        "invalid_transition",
    );
    assert_code(
        &immigration_review(Some(300)),
        LABOR_A,
        "approve",
        json!({}),
        "invalid_transition",
    );
    assert_code(
        &immigration_review(Some(300)),
        LABOR_A,
        "consult",
        json!({}),
        "invalid_transition",
    );
    assert_code(
        &submitted(),
        FILER,
        "submit_supplement",
        json!({}),
        "invalid_transition",
    );
    assert_code(
        &labor_review(Some(200)),
        SYSTEM,
        "supplement_overdue",
        json!({}),
        "invalid_transition",
    );
    assert_code(
        &paid(),
        LABOR_SUP,
        "reassign",
        json!({ "to": "x" }),
        "invalid_transition",
    );
    // a second payment notification: the engine has no edge; the store treats a repeated
    // receipt as a no-op before asking
    assert_code(
        &paid(),
        GATEWAY,
        "pay",
        json!({ "receipt_no": "R-0001", "amount_twd": FEE }),
        "invalid_transition",
    );
    // the create event cannot be fired on an existing case
    assert_code(&submitted(), FILER, "file", json!({}), "invalid_transition");
}

#[test]
fn immigration_claim_on_an_assigned_case_is_an_invalid_transition() {
    let r = assert_code(
        &immigration_review(Some(IMM_A.account_id)),
        IMM_B,
        "claim",
        json!({}),
        "invalid_transition",
    );
    assert!(r.to_string().contains("reassign"), "{r}");
    assert_code(
        &immigration_review(Some(IMM_A.account_id)),
        IMM_A,
        "claim",
        json!({}),
        "invalid_transition",
    );
    assert_code(
        &immigration_review(Some(IMM_A.account_id)),
        IMM_SUP,
        "claim",
        json!({}),
        "invalid_transition",
    );
}

#[test]
fn unknown_event_is_an_invalid_transition() {
    let r = assert_code(
        &labor_review(Some(200)),
        LABOR_A,
        "escalate",
        json!({}),
        "invalid_transition",
    );
    assert!(r.to_string().contains("no event `escalate`"), "{r}");
    assert_code(&paid(), LABOR_A, "", json!({}), "invalid_transition");
}

#[test]
fn unknown_state_is_an_invalid_transition() {
    assert_code(&base("archived"), LABOR_A, "claim", json!({}), "invalid_transition");
}

#[test]
fn terminal_states_refuse_every_event_by_every_role() {
    let w = &*WORKFLOW;
    for state in ["issued", "rejected", "withdrawn"] {
        let case = CaseFacts {
            assignee: Some(LABOR_A.account_id),
            ..base(state)
        };
        for event in w.event_names() {
            for role in Role::ALL {
                for id in [100, 200, 300, 0] {
                    let r = decide(&case, actor(role, id), event, json!({})).unwrap_err();
                    assert_eq!(r.code(), "invalid_transition", "{event} by {role} in {state}");
                }
            }
        }
    }
}

// ------------------------------------------------------------------ forbidden

#[test]
fn wrong_role_is_forbidden() {
    let pay = || json!({ "receipt_no": "R-1", "amount_twd": FEE });
    for who in [FILER, LABOR_A, IMM_A, HELPDESK, ADMIN, SYSTEM] {
        assert_code(&submitted(), who, "pay", pay(), "forbidden");
    }
    for who in [GATEWAY, CASHIER, LABOR_A, HELPDESK, ADMIN, SYSTEM] {
        assert_code(&submitted(), who, "withdraw", json!({}), "forbidden");
    }
    // the applicant may withdraw only before payment
    assert_code(&paid(), FILER, "withdraw", json!({ "reason": "x" }), "forbidden");
    assert_code(
        &labor_review(Some(200)),
        FILER,
        "withdraw",
        json!({ "reason": "x" }),
        "forbidden",
    );
    for who in [FILER, IMM_A, IMM_SUP, HELPDESK, ADMIN, CASHIER, SYSTEM] {
        assert_code(&paid(), who, "claim", json!({}), "forbidden");
    }
    for who in [FILER, LABOR_A, LABOR_SUP, HELPDESK, ADMIN] {
        assert_code(&immigration_review(None), who, "claim", json!({}), "forbidden");
    }
    for who in [FILER, IMM_A, IMM_SUP, HELPDESK, ADMIN, SYSTEM] {
        assert_code(
            &labor_review(Some(IMM_A.account_id)),
            who,
            "approve",
            json!({}),
            "forbidden",
        );
    }
    for who in [FILER, LABOR_A, LABOR_SUP, HELPDESK, ADMIN] {
        assert_code(
            &immigration_review(Some(who.account_id)),
            who,
            "issue",
            json!({}),
            "forbidden",
        );
    }
    for who in [FILER, LABOR_A, IMM_A, HELPDESK, ADMIN] {
        assert_code(
            &labor_review(Some(who.account_id)),
            who,
            "reassign",
            json!({ "to": "x" }),
            "forbidden",
        );
    }
    for who in [LABOR_A, IMM_A, HELPDESK, ADMIN, FILER] {
        let case = supplement("labor_review", LABOR_A.account_id, &[], d("2026-01-01"));
        assert_code(&case, who, "supplement_overdue", json!({}), "forbidden");
    }
    for who in [LABOR_A, SYSTEM, HELPDESK] {
        let case = supplement_all_uploaded("labor_review", LABOR_A.account_id);
        assert_code(&case, who, "submit_supplement", json!({}), "forbidden");
    }
}

#[test]
fn an_applicant_acts_only_on_its_own_cases() {
    let r = assert_code(&submitted(), OTHER_APPLICANT, "withdraw", json!({}), "forbidden");
    assert!(r.to_string().contains("filed"), "{r}");
    let case = supplement_all_uploaded("labor_review", LABOR_A.account_id);
    assert_code(&case, OTHER_APPLICANT, "submit_supplement", json!({}), "forbidden");
}

#[test]
fn decisions_belong_to_the_assignee() {
    let case = labor_review(Some(LABOR_A.account_id));
    let items = json!({ "items": supplement_items() });
    for (event, payload) in [
        ("approve", json!({})),
        ("reject", rejection("not_eligible")),
        ("request_supplement", items.clone()),
        ("consult", json!({})),
        ("consultation_answered", json!({ "opinion": "ok" })),
    ] {
        let r = assert_code(&case, LABOR_B, event, payload, "forbidden");
        assert!(r.to_string().contains("another officer"), "{r}");
    }
    let case = immigration_review(Some(IMM_A.account_id));
    for (event, payload) in [
        ("issue", json!({})),
        ("reject", rejection("not_eligible")),
        ("request_supplement", items.clone()),
    ] {
        assert_code(&case, IMM_B, event, payload, "forbidden");
    }
}

#[test]
fn an_unassigned_case_must_be_claimed_first() {
    let items = json!({ "items": supplement_items() });
    for (event, payload) in [
        ("approve", json!({})),
        ("reject", rejection("not_eligible")),
        ("request_supplement", items.clone()),
        ("consult", json!({})),
    ] {
        let r = assert_code(&labor_review(None), LABOR_A, event, payload, "forbidden");
        assert!(r.to_string().contains("claim"), "{r}");
    }
    for (event, payload) in [
        ("issue", json!({})),
        ("reject", rejection("other")),
        ("request_supplement", items),
    ] {
        let r = assert_code(&immigration_review(None), IMM_A, event, payload, "forbidden");
        assert!(r.to_string().contains("claim"), "{r}");
    }
}

#[test]
fn reviewers_of_the_other_agency_are_forbidden() {
    let items = json!({ "items": supplement_items() });
    // an immigration officer on a labor case (even one "assigned" to its account id)
    let labor = labor_review(Some(IMM_A.account_id));
    assert_code(&labor, IMM_A, "request_supplement", items.clone(), "forbidden");
    assert_code(&labor, IMM_A, "reject", rejection("other"), "forbidden");
    assert_code(&labor, IMM_A, "withdraw", json!({ "reason": "x" }), "forbidden");
    assert_code(&paid(), IMM_A, "withdraw", json!({ "reason": "x" }), "forbidden");
    // a labor reviewer on an immigration case
    let imm = immigration_review(Some(LABOR_A.account_id));
    assert_code(&imm, LABOR_A, "request_supplement", items, "forbidden");
    assert_code(&imm, LABOR_A, "reject", rejection("other"), "forbidden");
    assert_code(&imm, LABOR_A, "withdraw", json!({ "reason": "x" }), "forbidden");
    // during a supplement, the agency is the one that asked
    let case = supplement_all_uploaded("labor_review", LABOR_A.account_id);
    assert_code(&case, IMM_A, "withdraw", json!({ "reason": "x" }), "forbidden");
    assert_code(&case, IMM_SUP, "withdraw", json!({ "reason": "x" }), "forbidden");
    let case = supplement_all_uploaded("immigration_review", IMM_A.account_id);
    assert_code(&case, LABOR_A, "withdraw", json!({ "reason": "x" }), "forbidden");
    assert_code(&case, LABOR_SUP, "withdraw", json!({ "reason": "x" }), "forbidden");
}

#[test]
fn supervisors_act_on_their_agency_s_cases_only() {
    let items = json!({ "items": supplement_items() });
    // labor supervisor on a labor case assigned to someone else: allowed
    let labor = labor_review(Some(LABOR_A.account_id));
    for (event, payload) in [
        ("approve", json!({})),
        ("reject", rejection("not_eligible")),
        ("request_supplement", items.clone()),
        ("consult", json!({})),
        ("consultation_answered", json!({ "opinion": "ok" })),
        ("withdraw", json!({ "reason": "x" })),
    ] {
        decide(&labor, LABOR_SUP, event, payload).unwrap_or_else(|r| panic!("labor supervisor {event}: {r}"));
    }
    let imm = immigration_review(Some(IMM_A.account_id));
    for (event, payload) in [
        ("issue", json!({})),
        ("reject", rejection("not_eligible")),
        ("request_supplement", items.clone()),
        ("withdraw", json!({ "reason": "x" })),
    ] {
        decide(&imm, IMM_SUP, event, payload).unwrap_or_else(|r| panic!("immigration supervisor {event}: {r}"));
    }
    // but not on the other agency's cases
    for (event, payload) in [
        ("reject", rejection("not_eligible")),
        ("request_supplement", items.clone()),
        ("issue", json!({})),
        ("reassign", json!({ "to": "x" })),
    ] {
        assert_code(&imm, LABOR_SUP, event, payload, "forbidden");
    }
    for (event, payload) in [
        ("approve", json!({})),
        ("reject", rejection("not_eligible")),
        ("request_supplement", items),
        ("consult", json!({})),
        ("reassign", json!({ "to": "x" })),
    ] {
        assert_code(&labor, IMM_SUP, event, payload, "forbidden");
    }
    assert_code(&paid(), IMM_SUP, "claim", json!({}), "forbidden");
    assert_code(&immigration_review(None), LABOR_SUP, "claim", json!({}), "forbidden");
}

#[test]
fn reassign_needs_an_officer_of_the_state_s_agency() {
    let fire = |case: &CaseFacts, who: Actor, target: Option<Actor>| {
        decide_full(case, who, "reassign", json!({ "to": "someone" }), None, target, today())
    };
    let labor = labor_review(Some(LABOR_A.account_id));
    for target in [IMM_B, IMM_SUP, HELPDESK, CASHIER, FILER] {
        match fire(&labor, LABOR_SUP, Some(target)) {
            Err(Refusal::InvalidPayload { fields }) => {
                assert_eq!(fields[0].field, "to");
                assert_eq!(fields[0].code, "wrong_role");
            }
            other => panic!("reassign to a {}: {other:?}", target.role),
        }
    }
    let sup = fire(&labor, LABOR_SUP, Some(LABOR_SUP)).unwrap();
    assert_eq!(sup.changes, vec![Change::AssignTo(LABOR_SUP.account_id)]);
    match fire(&labor, LABOR_SUP, None) {
        Err(Refusal::InvalidPayload { fields }) => assert_eq!(fields[0].code, "unknown_officer"),
        other => panic!("{other:?}"),
    }
    let imm = immigration_review(Some(IMM_A.account_id));
    match fire(&imm, IMM_SUP, Some(LABOR_B)) {
        Err(Refusal::InvalidPayload { fields }) => assert_eq!(fields[0].code, "wrong_role"),
        other => panic!("{other:?}"),
    }
    // `to` is required
    let no_to = decide_full(&imm, IMM_SUP, "reassign", json!({}), None, Some(IMM_B), today());
    match no_to {
        Err(Refusal::InvalidPayload { fields }) => {
            assert_eq!((fields[0].field.as_str(), fields[0].code.as_str()), ("to", "required"))
        }
        other => panic!("{other:?}"),
    }
}

// ------------------------------------------------------------------ guard_failed

#[test]
fn pay_amount_must_equal_the_fee() {
    assert_guard(
        &submitted(),
        GATEWAY,
        "pay",
        json!({ "receipt_no": "R-1", "amount_twd": FEE - 100 }),
        "amount_matches_fee",
    );
    assert_guard(
        &submitted(),
        CASHIER,
        "pay",
        json!({ "receipt_no": "R-1", "amount_twd": FEE + 1 }),
        "amount_matches_fee",
    );
    assert_guard(
        &submitted(),
        CASHIER,
        "pay",
        json!({ "receipt_no": "R-1" }),
        "amount_matches_fee",
    );
    assert_guard(
        &submitted(),
        CASHIER,
        "pay",
        json!({ "receipt_no": "R-1", "amount_twd": "2500" }),
        "amount_matches_fee",
    );
    // a right amount with no receipt is a payload error
    assert_eq!(
        field_errors(&submitted(), GATEWAY, "pay", json!({ "amount_twd": FEE })),
        vec![fe("receipt_no", "required")]
    );
}

#[test]
fn officer_withdraw_needs_a_reason() {
    for (case, who) in [
        (paid(), LABOR_A),
        (labor_review(Some(200)), LABOR_SUP),
        (supplement_all_uploaded("labor_review", 200), LABOR_A),
        (immigration_review(Some(300)), IMM_A),
    ] {
        assert_guard(&case, who, "withdraw", json!({}), "reason_given");
        assert_guard(&case, who, "withdraw", json!({ "reason": "   " }), "reason_given");
        assert_guard(&case, who, "withdraw", json!({ "reason": null }), "reason_given");
    }
}

#[test]
fn submit_supplement_needs_every_item() {
    let case = supplement("labor_review", LABOR_A.account_id, &["passport_copy"], d("2026-04-09"));
    assert_guard(
        &case,
        FILER,
        "submit_supplement",
        json!({}),
        "supplement_items_uploaded",
    );
    let none = supplement("immigration_review", IMM_A.account_id, &[], d("2026-04-09"));
    assert_guard(
        &none,
        FILER,
        "submit_supplement",
        json!({}),
        "supplement_items_uploaded",
    );
    let no_supplement = CaseFacts {
        supplement: None,
        ..supplement_all_uploaded("labor_review", LABOR_A.account_id)
    };
    assert_guard(
        &no_supplement,
        FILER,
        "submit_supplement",
        json!({}),
        "supplement_items_uploaded",
    );
}

#[test]
fn supplement_overdue_only_after_the_due_date() {
    let due = d("2026-03-20");
    let case = supplement("labor_review", LABOR_A.account_id, &[], due);
    for day in [today(), d("2026-03-19"), due] {
        match decide_full(&case, SYSTEM, "supplement_overdue", json!({}), None, None, day) {
            Err(Refusal::GuardFailed { guard, .. }) => assert_eq!(guard, "supplement_past_due"),
            other => panic!("on {day}: {other:?}"),
        }
    }
    let dec = decide_full(
        &case,
        SYSTEM,
        "supplement_overdue",
        json!({}),
        None,
        None,
        d("2026-03-21"),
    )
    .unwrap();
    assert_eq!(dec.to, "labor_review");
    assert_eq!(dec.changes, vec![Change::MarkSupplementOverdue]);
}

#[test]
fn the_labor_approver_may_not_issue() {
    // the same person holding both roles
    let case = CaseFacts {
        labor_approver: Some(IMM_A.account_id),
        ..immigration_review(Some(IMM_A.account_id))
    };
    assert_guard(&case, IMM_A, "issue", json!({}), "not_labor_approver");
    let case = CaseFacts {
        labor_approver: Some(IMM_SUP.account_id),
        ..immigration_review(Some(IMM_A.account_id))
    };
    assert_guard(&case, IMM_SUP, "issue", json!({}), "not_labor_approver");
    // the assignee who did not approve may
    assert!(decide(&case, IMM_A, "issue", json!({})).is_ok());
}

// ------------------------------------------------------------------ version_conflict

#[test]
fn a_stale_version_loses() {
    let case = paid();
    for expected in [0, 6, 8] {
        let r = decide_full(&case, LABOR_A, "claim", json!({}), Some(expected), None, today()).unwrap_err();
        assert_eq!(
            r,
            Refusal::VersionConflict {
                expected,
                actual: case.version
            }
        );
        assert_eq!(r.code(), "version_conflict");
    }
    assert!(decide_full(&case, LABOR_A, "claim", json!({}), Some(7), None, today()).is_ok());
    let r = decide_full(
        &supplement_all_uploaded("labor_review", 200),
        FILER,
        "submit_supplement",
        json!({}),
        Some(3),
        None,
        today(),
    )
    .unwrap_err();
    assert_eq!(r.code(), "version_conflict");
}

// ------------------------------------------------------------------ invalid_payload

#[test]
fn unknown_payload_fields_are_refused() {
    assert_eq!(
        field_errors(&paid(), LABOR_A, "claim", json!({ "note": "mine" })),
        vec![fe("note", "unknown_field")]
    );
    assert_eq!(
        field_errors(
            &labor_review(Some(200)),
            LABOR_A,
            "approve",
            json!({ "comment": "ok", "grounds": "x" })
        ),
        vec![fe("comment", "unknown_field"), fe("grounds", "unknown_field")]
    );
    assert_eq!(
        field_errors(
            &submitted(),
            GATEWAY,
            "pay",
            json!({ "receipt_no": "R", "amount_twd": FEE, "currency": "TWD" })
        ),
        vec![fe("currency", "unknown_field")]
    );
    assert_eq!(
        field_errors(
            &immigration_review(Some(300)),
            IMM_A,
            "issue",
            json!({ "new_expires_on": "2099-01-01" })
        ),
        vec![fe("new_expires_on", "unknown_field")]
    );
    assert_eq!(
        field_errors(
            &supplement_all_uploaded("labor_review", 200),
            FILER,
            "submit_supplement",
            json!({ "items": [] })
        ),
        vec![fe("items", "unknown_field")]
    );
}

#[test]
fn reject_needs_grounds_reason_and_legal_basis() {
    let case = labor_review(Some(LABOR_A.account_id));
    assert_eq!(
        field_errors(&case, LABOR_A, "reject", json!({})),
        vec![
            fe("grounds", "required"),
            fe("reason", "required"),
            fe("legal_basis", "required")
        ]
    );
    assert_eq!(
        field_errors(&case, LABOR_A, "reject", json!({ "reason": "r", "legal_basis": "b" })),
        vec![fe("grounds", "required")]
    );
    assert_eq!(
        field_errors(
            &case,
            LABOR_A,
            "reject",
            json!({ "grounds": "other", "legal_basis": "b" })
        ),
        vec![fe("reason", "required")]
    );
    assert_eq!(
        field_errors(
            &case,
            LABOR_A,
            "reject",
            json!({ "grounds": "other", "reason": "r", "legal_basis": "  " })
        ),
        vec![fe("legal_basis", "required")]
    );
    assert_eq!(
        field_errors(
            &case,
            LABOR_A,
            "reject",
            json!({ "grounds": "rude", "reason": "r", "legal_basis": "b" })
        ),
        vec![fe("grounds", "invalid")]
    );
    let imm = immigration_review(Some(IMM_A.account_id));
    assert_eq!(
        field_errors(
            &imm,
            IMM_A,
            "reject",
            json!({ "grounds": "not_eligible", "reason": "r" })
        ),
        vec![fe("legal_basis", "required")]
    );
}

#[test]
fn request_supplement_payload_errors() {
    let case = labor_review(Some(LABOR_A.account_id));
    let errors = |payload| field_errors(&case, LABOR_A, "request_supplement", payload);
    assert_eq!(errors(json!({ "items": [] })), vec![fe("items", "required")]);
    assert_eq!(errors(json!({})), vec![fe("items", "required")]);
    assert_eq!(
        errors(json!({ "items": [{ "doc_type": "selfie", "note": "n" }] })),
        vec![fe("items[0].doc_type", "not_in_catalog")]
    );
    assert_eq!(
        errors(json!({ "items": [{ "doc_type": "photo", "note": "n" }, { "doc_type": "", "note": "" }] })),
        vec![
            fe("items[1].doc_type", "not_in_catalog"),
            fe("items[1].note", "required")
        ]
    );
    let items = supplement_items();
    assert_eq!(
        errors(json!({ "items": items, "due_on": "2026-03-10" })),
        vec![fe("due_on", "must_be_future")],
        "today is not after today"
    );
    assert_eq!(
        errors(json!({ "items": items, "due_on": "2026-03-01" })),
        vec![fe("due_on", "must_be_future")]
    );
    assert_eq!(
        errors(json!({ "items": items, "due_on": "next week" })),
        vec![fe("due_on", "invalid")]
    );
    assert_eq!(
        errors(json!({ "items": items, "abroad": "yes" })),
        vec![fe("abroad", "invalid")]
    );
    // tomorrow is fine
    let dec = decide(
        &case,
        LABOR_A,
        "request_supplement",
        json!({ "items": items, "due_on": "2026-03-11" }),
    )
    .unwrap();
    assert!(matches!(&dec.changes[0], Change::OpenSupplement { due_on, .. } if *due_on == d("2026-03-11")));
}

// ------------------------------------------------------------------ dates and SLA

fn opened_due_on(case: &CaseFacts, who: Actor, abroad: Option<bool>, today: NaiveDate) -> NaiveDate {
    let payload = match abroad {
        Some(a) => json!({ "items": supplement_items(), "abroad": a }),
        None => json!({ "items": supplement_items() }),
    };
    let dec = decide_full(case, who, "request_supplement", payload, None, None, today).unwrap();
    match &dec.changes[..] {
        [Change::OpenSupplement { due_on, .. }] => *due_on,
        other => panic!("{other:?}"),
    }
}

#[test]
fn default_supplement_due_date() {
    let case = labor_review(Some(LABOR_A.account_id));
    for day in ["2026-03-10", "2026-01-31", "2026-08-31", "2026-12-15", "2028-02-29"] {
        let day = d(day);
        assert_eq!(opened_due_on(&case, LABOR_A, None, day), supplement_due_on(day, false));
        assert_eq!(
            opened_due_on(&case, LABOR_A, Some(false), day),
            supplement_due_on(day, false)
        );
        assert_eq!(
            opened_due_on(&case, LABOR_A, Some(true), day),
            supplement_due_on(day, true)
        );
    }
    assert_eq!(opened_due_on(&case, LABOR_A, None, d("2026-03-10")), d("2026-04-09"));
    assert_eq!(
        opened_due_on(&case, LABOR_A, Some(true), d("2026-03-10")),
        d("2026-09-10")
    );
    assert_eq!(
        opened_due_on(&case, LABOR_A, Some(true), d("2026-08-31")),
        d("2027-02-28")
    );
}

#[test]
fn payment_starts_the_labor_clock_in_working_days() {
    // 10 February 2026: the Lunar New Year holidays fall inside the 20 working days
    let day = d("2026-02-10");
    let dec = decide_full(
        &submitted(),
        GATEWAY,
        "pay",
        json!({ "receipt_no": "R", "amount_twd": FEE }),
        None,
        None,
        day,
    )
    .unwrap();
    let due = CALENDAR.add_working_days(day, 20);
    assert_eq!(dec.sla, SlaChange::Start { due_on: due });
    let weekdays_only = WorkingCalendar::default().add_working_days(day, 20);
    assert!(
        due > weekdays_only,
        "public holidays are skipped: {due} vs {weekdays_only}"
    );
    assert_eq!(CALENDAR.working_days_between(day, due), 20);
    // the same for Hong Kong and Macau residents
    let hk = CaseFacts {
        hk_macau: true,
        ..submitted()
    };
    let dec = decide_full(
        &hk,
        CASHIER,
        "pay",
        json!({ "receipt_no": "R", "amount_twd": FEE }),
        None,
        None,
        day,
    )
    .unwrap();
    assert_eq!(dec.sla, SlaChange::Start { due_on: due });
}

#[test]
fn approval_starts_the_immigration_clock() {
    let case = labor_review(Some(LABOR_A.account_id));
    let dec = decide(&case, LABOR_A, "approve", json!({})).unwrap();
    assert_eq!(
        dec.sla,
        SlaChange::Start {
            due_on: CALENDAR.add_working_days(today(), 10)
        }
    );
    let hk = CaseFacts { hk_macau: true, ..case };
    let dec = decide(&hk, LABOR_A, "approve", json!({})).unwrap();
    assert_eq!(
        dec.sla,
        SlaChange::Start {
            due_on: CALENDAR.add_working_days(today(), 40)
        }
    );
}

#[test]
fn claim_and_same_state_events_keep_the_clock() {
    assert_eq!(
        decide(&paid(), LABOR_A, "claim", json!({})).unwrap().sla,
        SlaChange::Keep
    );
    assert_eq!(
        decide(&immigration_review(None), IMM_A, "claim", json!({}))
            .unwrap()
            .sla,
        SlaChange::Keep
    );
    let lr = labor_review(Some(LABOR_A.account_id));
    assert_eq!(decide(&lr, LABOR_A, "consult", json!({})).unwrap().sla, SlaChange::Keep);
}

#[test]
fn a_supplement_pauses_the_clock_and_its_answer_resumes_it() {
    let due = CALENDAR.add_working_days(today(), 7);
    let case = CaseFacts {
        sla_due_on: Some(due),
        ..labor_review(Some(LABOR_A.account_id))
    };
    let dec = decide(
        &case,
        LABOR_A,
        "request_supplement",
        json!({ "items": supplement_items() }),
    )
    .unwrap();
    assert_eq!(dec.sla, SlaChange::Pause { remaining: 7 });
    // already overdue: nothing left
    let late = CaseFacts {
        sla_due_on: Some(d("2026-03-02")),
        ..case.clone()
    };
    let dec = decide(
        &late,
        LABOR_A,
        "request_supplement",
        json!({ "items": supplement_items() }),
    )
    .unwrap();
    assert_eq!(dec.sla, SlaChange::Pause { remaining: 0 });

    // the answer a month later: the remaining days count from that day
    let later = d("2026-04-14");
    for rem in [7_i64, 1, 0] {
        let waiting = CaseFacts {
            sla_paused_remaining: Some(rem),
            ..supplement_all_uploaded("labor_review", LABOR_A.account_id)
        };
        let dec = decide_full(&waiting, FILER, "submit_supplement", json!({}), None, None, later).unwrap();
        assert_eq!(
            dec.sla,
            SlaChange::Resume {
                due_on: CALENDAR.add_working_days(later, u32::try_from(rem).unwrap())
            }
        );
    }
    // immigration
    let imm = CaseFacts {
        sla_paused_remaining: Some(3),
        ..supplement_all_uploaded("immigration_review", IMM_A.account_id)
    };
    let dec = decide_full(&imm, FILER, "submit_supplement", json!({}), None, None, later).unwrap();
    assert_eq!(
        dec.sla,
        SlaChange::Resume {
            due_on: CALENDAR.add_working_days(later, 3)
        }
    );
}

#[test]
fn terminal_states_stop_the_clock() {
    let lr = labor_review(Some(LABOR_A.account_id));
    assert_eq!(
        decide(&lr, LABOR_A, "reject", rejection("other")).unwrap().sla,
        SlaChange::Stop
    );
    let imm = immigration_review(Some(IMM_A.account_id));
    assert_eq!(decide(&imm, IMM_A, "issue", json!({})).unwrap().sla, SlaChange::Stop);
    assert_eq!(
        decide(&imm, IMM_A, "reject", rejection("other")).unwrap().sla,
        SlaChange::Stop
    );
    let sup = supplement_all_uploaded("labor_review", LABOR_A.account_id);
    assert_eq!(
        decide(&sup, LABOR_A, "withdraw", json!({ "reason": "r" })).unwrap().sla,
        SlaChange::Stop
    );
    assert_eq!(
        decide(&paid(), LABOR_A, "withdraw", json!({ "reason": "r" }))
            .unwrap()
            .sla,
        SlaChange::Stop
    );
    // no clock ran before payment
    assert_eq!(
        decide(&submitted(), FILER, "withdraw", json!({})).unwrap().sla,
        SlaChange::Keep
    );
}

#[test]
fn issue_extends_the_card_by_the_years_asked_for() {
    for (expires, years, want) in [
        ("2026-06-30", 1, "2027-06-30"),
        ("2026-06-30", 3, "2029-06-30"),
        ("2028-02-29", 1, "2029-02-28"),
        ("2027-12-31", 2, "2029-12-31"),
    ] {
        let years = ValidityYears::new(years).unwrap();
        let case = CaseFacts {
            card_expires_on: d(expires),
            validity_years: years,
            ..immigration_review(Some(IMM_A.account_id))
        };
        let dec = decide(&case, IMM_A, "issue", json!({})).unwrap();
        assert_eq!(
            dec.changes,
            vec![Change::ExtendCard {
                new_expires_on: new_expiry(d(expires), years)
            }]
        );
        assert_eq!(new_expiry(d(expires), years), d(want));
    }
}

// ------------------------------------------------------------------ offered events

#[test]
fn the_screens_offer_exactly_what_the_actor_may_fire_now() {
    let w = &*WORKFLOW;
    let mut on_paid = w.offered_events(&paid(), &LABOR_A);
    on_paid.sort_unstable();
    assert_eq!(on_paid, ["claim", "withdraw"]);
    assert!(
        w.offered_events(&paid(), &IMM_A).is_empty(),
        "not the immigration agency's case"
    );
    assert!(w.offered_events(&paid(), &HELPDESK).is_empty());
    let mine = labor_review(Some(LABOR_A.account_id));
    let mut offered = w.offered_events(&mine, &LABOR_A);
    offered.sort_unstable();
    assert_eq!(
        offered,
        [
            "approve",
            "consult",
            "consultation_answered",
            "reject",
            "request_supplement",
            "withdraw"
        ]
    );
    // another reviewer's case: only the written-request withdrawal, which is not assignee-bound
    let theirs = w.offered_events(&mine, &LABOR_B);
    assert!(!theirs.contains(&"approve"), "{theirs:?}");
    // the supervisor may decide and reassign
    let sup = w.offered_events(&mine, &LABOR_SUP);
    assert!(sup.contains(&"approve") && sup.contains(&"reassign"), "{sup:?}");
    // an unassigned immigration case is claimed first
    assert!(w.offered_events(&immigration_review(None), &IMM_A).contains(&"claim"));
    let imm = w.offered_events(&immigration_review(Some(IMM_A.account_id)), &IMM_A);
    assert!(imm.contains(&"issue") && !imm.contains(&"claim"), "{imm:?}");
    assert!(w.offered_events(&submitted(), &FILER).contains(&"withdraw"));
    assert!(w.offered_events(&submitted(), &OTHER_APPLICANT).is_empty());
    assert!(w.offered_events(&base("issued"), &ADMIN).is_empty());
}
