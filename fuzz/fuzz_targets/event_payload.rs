//! `POST /api/v1/cases/{n}/events`: any JSON object as an event's payload, on every edge of
//! the extension workflow, fired by every role the edge allows, gives a decision or a typed
//! refusal, never a panic.
#![no_main]

use chrono::{NaiveDate, TimeZone, Utc};
use goldcard_domain::{Catalog, ValidityYears, WorkingCalendar};
use goldcard_workflow::{
    Actor, Attachment, CaseFacts, EXTENSION_DEFINITION, Env, EventRequest, Registry, SupplementFacts, Workflow,
};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use std::sync::OnceLock;

struct World {
    workflow: Workflow,
    catalog: Catalog,
    calendar: WorkingCalendar,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| World {
        workflow: Workflow::parse("gold-card-extension.toml", EXTENSION_DEFINITION, &Registry::standard())
            .expect("the shipped definition loads"),
        catalog: Catalog::parse(
            include_str!("../../seeds/fields.toml"),
            include_str!("../../seeds/document_types.toml"),
        )
        .expect("the seeds' catalog parses"),
        calendar: WorkingCalendar::from_toml_str(include_str!("../../seeds/holidays.toml"))
            .expect("the seeds' holidays parse"),
    })
}

fuzz_target!(|data: &[u8]| {
    // the first byte shapes the case, the rest is the payload
    let Some((&shape, json)) = data.split_first() else {
        return;
    };
    let Ok(Value::Object(payload)) = serde_json::from_slice::<Value>(json) else {
        return;
    };
    let w = world();
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("a real date");
    let env = Env {
        now: Utc
            .with_ymd_and_hms(2026, 11, 25, 2, 0, 0)
            .single()
            .expect("a real instant"),
        today: day(2026, 11, 25),
        calendar: &w.calendar,
        catalog: &w.catalog,
    };
    let actor_id = 7;
    let attachments = [Attachment {
        document_id: 1,
        doc_type: "passport_copy".to_string(),
    }];
    let payload: &Map<String, Value> = &payload;
    for edge in w.workflow.edges.iter().filter(|e| !e.create) {
        for &from in &edge.from {
            for &role in &edge.roles {
                let case = CaseFacts {
                    state: w.workflow.state(from).name.clone(),
                    version: 3,
                    filer_account: if shape & 1 == 0 { actor_id } else { 99 },
                    assignee: (shape & 2 == 0).then_some(actor_id),
                    labor_approver: (shape & 4 == 0).then_some(actor_id),
                    return_state: (shape & 8 == 0).then(|| "labor_review".to_string()),
                    hk_macau: shape & 16 == 0,
                    fee_twd: 3500,
                    card_expires_on: day(2027, 2, 15),
                    validity_years: ValidityYears::new(1 + shape % 3).expect("1-3 are valid"),
                    supplement: (shape & 32 == 0).then(|| SupplementFacts {
                        due_on: day(2026, 12, 25),
                        items: vec!["passport_copy".to_string()],
                        uploaded: Vec::new(),
                    }),
                    sla_due_on: Some(day(2026, 12, 23)),
                    sla_paused_remaining: (shape & 64 == 0).then_some(12),
                    field_authority: Some("MODA".to_string()),
                };
                let actor = Actor {
                    account_id: actor_id,
                    role,
                };
                let request = EventRequest {
                    event: &edge.event,
                    expected_version: (shape & 128 == 0).then_some(3),
                    payload,
                    reassign_target: Some(Actor { account_id: 8, role }),
                    attachments: &attachments,
                };
                let _ = w.workflow.decide(&case, &actor, &request, &env);
            }
        }
    }
});
