//! The shipped definition loads and matches workflow.md; broken definitions are refused
//! with the file and the 1-based line of the offending item.
#![allow(clippy::unwrap_used)]

use goldcard_workflow::{
    ActorRule, DefinitionError, EXTENSION_DEFINITION, Registry, Role, Target, Workflow, load_file,
};
use std::collections::BTreeSet;

const FILE: &str = "workflows/gold-card-extension.toml";

fn parse(text: &str) -> Result<Workflow, DefinitionError> {
    Workflow::parse(FILE, text, &Registry::standard())
}

fn shipped() -> Workflow {
    parse(EXTENSION_DEFINITION).unwrap_or_else(|e| panic!("the shipped definition must load:\n{e}"))
}

/// `text` with the single occurrence of `from` replaced by `to`.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert_eq!(
        text.matches(from).count(),
        1,
        "`{from}` must occur exactly once in the definition"
    );
    text.replacen(from, to, 1)
}

/// 1-based line of the first occurrence of `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    let at = text.find(needle).unwrap_or_else(|| panic!("`{needle}` not found"));
    text[..at].matches('\n').count() + 1
}

/// 1-based line of the last occurrence of `needle`.
fn last_line_of(text: &str, needle: &str) -> usize {
    let at = text.rfind(needle).unwrap_or_else(|| panic!("`{needle}` not found"));
    text[..at].matches('\n').count() + 1
}

/// Asserts that `text` is refused with a problem at `line` whose message contains `words`.
fn assert_refused(text: &str, line: usize, words: &str) -> DefinitionError {
    let err = match parse(text) {
        Ok(_) => panic!("the definition should have been refused (expected line {line}: {words})"),
        Err(e) => e,
    };
    assert!(!err.problems.is_empty(), "a refusal names at least one problem");
    for p in &err.problems {
        assert_eq!(p.file, FILE, "every problem names the file");
    }
    assert!(
        err.problems
            .iter()
            .any(|p| p.line == Some(line) && p.message.contains(words)),
        "expected a problem at line {line} containing `{words}`, got:\n{err}"
    );
    let shown = err.to_string();
    assert!(
        shown.contains(&format!("{FILE}:{line}: ")),
        "Display shows file:line, got:\n{shown}"
    );
    err
}

// ------------------------------------------------------------------ the shipped file

#[test]
fn shipped_definition_has_the_states_of_workflow_md() {
    let w = shipped();
    let states: Vec<(&str, bool)> = w.states.iter().map(|s| (s.name.as_str(), s.terminal)).collect();
    assert_eq!(
        states,
        vec![
            ("submitted", false),
            ("paid", false),
            ("labor_review", false),
            ("supplement", false),
            ("immigration_review", false),
            ("issued", true),
            ("rejected", true),
            ("withdrawn", true),
        ]
    );
    assert_eq!(w.state(w.initial).name, "submitted");
    assert_eq!(w.name, "gold-card-extension");
    assert_eq!(w.case_type, "55");
    let labels: Vec<&str> = w.states.iter().map(|s| s.label_zh.as_str()).collect();
    assert_eq!(
        labels,
        vec![
            "已送件（待繳費）",
            "已繳費（待審）",
            "勞動部審查中",
            "補件中",
            "移民署審查中",
            "已核發",
            "駁回",
            "撤案"
        ]
    );
    let supplement = w.state(w.state_id("supplement").unwrap());
    assert!(supplement.pauses_sla);
    assert!(w.states.iter().filter(|s| s.pauses_sla).count() == 1);
}

#[test]
fn shipped_definition_has_the_events_of_workflow_md() {
    let w = shipped();
    assert_eq!(
        w.event_names(),
        vec![
            "file",
            "pay",
            "withdraw",
            "claim",
            "request_supplement",
            "submit_supplement",
            "supplement_overdue",
            "approve",
            "reject",
            "consult",
            "consultation_answered",
            "issue",
            "reassign",
        ]
    );
}

/// Every (event, from) edge of workflow.md's table with its target and the roles allowed
/// (supervisors may do whatever their agency's reviewers may).
#[test]
fn shipped_edges_match_the_table_of_workflow_md() {
    use Role::*;
    const REVIEWERS: &[Role] = &[
        LaborReviewer,
        LaborSupervisor,
        ImmigrationOfficer,
        ImmigrationSupervisor,
    ];
    const LABOR: &[Role] = &[LaborReviewer, LaborSupervisor];
    const IMMIGRATION: &[Role] = &[ImmigrationOfficer, ImmigrationSupervisor];
    let table: Vec<(&str, &str, &str, &[Role], ActorRule)> = vec![
        ("pay", "submitted", "paid", &[PaymentGateway, Cashier], ActorRule::Any),
        ("withdraw", "submitted", "withdrawn", &[Applicant], ActorRule::Filer),
        ("withdraw", "paid", "withdrawn", REVIEWERS, ActorRule::Any),
        ("withdraw", "labor_review", "withdrawn", REVIEWERS, ActorRule::Any),
        ("withdraw", "supplement", "withdrawn", REVIEWERS, ActorRule::Any),
        ("withdraw", "immigration_review", "withdrawn", REVIEWERS, ActorRule::Any),
        ("claim", "paid", "labor_review", LABOR, ActorRule::Any),
        ("claim", "immigration_review", "$same", IMMIGRATION, ActorRule::Any),
        (
            "request_supplement",
            "labor_review",
            "supplement",
            REVIEWERS,
            ActorRule::Assignee,
        ),
        (
            "request_supplement",
            "immigration_review",
            "supplement",
            REVIEWERS,
            ActorRule::Assignee,
        ),
        (
            "submit_supplement",
            "supplement",
            "$return",
            &[Applicant],
            ActorRule::Filer,
        ),
        ("supplement_overdue", "supplement", "$return", &[System], ActorRule::Any),
        (
            "approve",
            "labor_review",
            "immigration_review",
            LABOR,
            ActorRule::Assignee,
        ),
        ("reject", "labor_review", "rejected", REVIEWERS, ActorRule::Assignee),
        (
            "reject",
            "immigration_review",
            "rejected",
            REVIEWERS,
            ActorRule::Assignee,
        ),
        ("consult", "labor_review", "$same", LABOR, ActorRule::Assignee),
        (
            "consultation_answered",
            "labor_review",
            "$same",
            LABOR,
            ActorRule::Assignee,
        ),
        (
            "issue",
            "immigration_review",
            "issued",
            IMMIGRATION,
            ActorRule::Assignee,
        ),
        (
            "reassign",
            "labor_review",
            "$same",
            &[LaborSupervisor, ImmigrationSupervisor],
            ActorRule::Any,
        ),
        (
            "reassign",
            "immigration_review",
            "$same",
            &[LaborSupervisor, ImmigrationSupervisor],
            ActorRule::Any,
        ),
    ];
    let w = shipped();
    let mut in_file = BTreeSet::new();
    for e in w.edges.iter().filter(|e| !e.create) {
        for &f in &e.from {
            in_file.insert((e.event.clone(), w.state(f).name.clone()));
        }
    }
    let in_spec: BTreeSet<(String, String)> = table.iter().map(|(e, f, ..)| (e.to_string(), f.to_string())).collect();
    assert_eq!(
        in_file, in_spec,
        "the (event, from) pairs of the file and of workflow.md differ"
    );

    for (event, from, to, roles, actor) in &table {
        let f = w.state_id(from).unwrap();
        let edge = w.edge(event, f).unwrap();
        let target = match edge.to {
            Target::State(s) => w.state(s).name.clone(),
            Target::Same => "$same".to_string(),
            Target::Return => "$return".to_string(),
        };
        assert_eq!(&target, to, "{event} from {from}");
        let got: BTreeSet<Role> = edge.roles.iter().copied().collect();
        let want: BTreeSet<Role> = roles.iter().copied().collect();
        assert_eq!(got, want, "roles of {event} from {from}");
        assert_eq!(edge.actor, *actor, "actor rule of {event} from {from}");
    }
    // the supplement returns to the review state that asked
    let supplement = w.state_id("supplement").unwrap();
    let back: Vec<&str> = w
        .return_states(supplement)
        .iter()
        .map(|&s| w.state(s).name.as_str())
        .collect();
    assert_eq!(back, vec!["labor_review", "immigration_review"]);

    let create = w.create_edge().unwrap();
    assert_eq!(create.event, "file");
    assert_eq!(create.roles, vec![Applicant]);
    assert_eq!(create.to, Target::State(w.initial));
}

#[test]
fn shipped_roles_and_sla_targets() {
    let w = shipped();
    let agency = |r: Role| w.role(r).and_then(|d| d.agency.clone());
    assert_eq!(agency(Role::LaborReviewer).as_deref(), Some("labor"));
    assert_eq!(agency(Role::LaborSupervisor).as_deref(), Some("labor"));
    assert_eq!(agency(Role::ImmigrationOfficer).as_deref(), Some("immigration"));
    assert_eq!(agency(Role::ImmigrationSupervisor).as_deref(), Some("immigration"));
    assert!(w.role(Role::LaborSupervisor).unwrap().supervisor);
    assert!(w.role(Role::ImmigrationSupervisor).unwrap().supervisor);
    assert!(!w.role(Role::LaborReviewer).unwrap().supervisor);
    assert!(w.role(Role::Helpdesk).is_none(), "the helpdesk changes no state");
    assert!(w.role(Role::Admin).is_none(), "admins make no case decisions");

    let phase_of = |s: &str| w.state(w.state_id(s).unwrap()).sla_phase.map(|p| &w.sla[p]);
    let labor = phase_of("paid").unwrap();
    assert_eq!(
        (labor.phase.as_str(), labor.days_for(false), labor.days_for(true)),
        ("labor", 20, 20)
    );
    assert_eq!(phase_of("labor_review").unwrap().phase, "labor");
    let imm = phase_of("immigration_review").unwrap();
    assert_eq!(
        (imm.phase.as_str(), imm.days_for(false), imm.days_for(true)),
        ("immigration", 10, 40)
    );
    for s in ["submitted", "supplement", "issued", "rejected", "withdrawn"] {
        assert!(phase_of(s).is_none(), "{s} counts towards no SLA phase");
    }
}

#[test]
fn shipped_file_on_disk_loads_through_load_file() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../workflows/gold-card-extension.toml");
    let w = load_file(&path, &Registry::standard()).unwrap();
    assert_eq!(w.states.len(), 8);
    let missing = load_file(std::path::Path::new("no/such/file.toml"), &Registry::standard());
    assert!(missing.unwrap_err().to_string().contains("no/such/file.toml"));
}

#[test]
fn graph_draws_every_state_and_edge() {
    let dot = shipped().to_dot();
    for s in [
        "submitted",
        "paid",
        "labor_review",
        "supplement",
        "immigration_review",
        "issued",
    ] {
        assert!(dot.contains(&format!("  {s} [")), "{s} drawn");
    }
    assert!(dot.contains("supplement -> labor_review"));
    assert!(dot.contains("supplement -> immigration_review"));
    assert!(dot.contains("start -> submitted"));
}

// ------------------------------------------------------------------ refusals

#[test]
fn unknown_state_in_from() {
    let text = edit(
        EXTENSION_DEFINITION,
        "name = \"approve\"\nfrom = [\"labor_review\"]",
        "name = \"approve\"\nfrom = [\"labour_review\"]",
    );
    assert_refused(
        &text,
        line_of(&text, "\"labour_review\""),
        "unknown state `labour_review`",
    );
}

#[test]
fn unknown_state_in_from_on_its_own_line() {
    let text = edit(
        EXTENSION_DEFINITION,
        "from = [\"paid\", \"labor_review\", \"supplement\", \"immigration_review\"]",
        "from = [\n  \"paid\",\n  \"labor_review\",\n  \"suplement\",\n  \"immigration_review\",\n]",
    );
    assert_refused(&text, line_of(&text, "\"suplement\""), "unknown state `suplement`");
}

#[test]
fn unknown_state_in_to() {
    let text = edit(EXTENSION_DEFINITION, "to = \"issued\"", "to = \"isued\"");
    assert_refused(&text, line_of(&text, "to = \"isued\""), "unknown state `isued`");
}

#[test]
fn unknown_initial_state() {
    let text = edit(EXTENSION_DEFINITION, "initial = \"submitted\"", "initial = \"filed\"");
    assert_refused(&text, line_of(&text, "initial = \"filed\""), "initial state `filed`");
}

#[test]
fn role_not_in_roles_md_in_an_event() {
    let text = edit(
        EXTENSION_DEFINITION,
        "roles = [\"immigration_officer\", \"immigration_supervisor\"]\nactor = \"assignee\"\nguards",
        "roles = [\"immigration_officer\", \"immigration_chief\"]\nactor = \"assignee\"\nguards",
    );
    assert_refused(
        &text,
        line_of(&text, "\"immigration_chief\""),
        "unknown role `immigration_chief`",
    );
}

#[test]
fn role_not_in_roles_md_in_the_roles_table() {
    let text = edit(
        EXTENSION_DEFINITION,
        "[[roles]]\nname = \"cashier\"",
        "[[roles]]\nname = \"teller\"",
    );
    let err = assert_refused(&text, line_of(&text, "name = \"teller\""), "unknown role `teller`");
    // and `pay` now names a role the file no longer declares
    let pay_roles = line_of(&text, "roles = [\"payment_gateway\", \"cashier\"]");
    assert!(
        err.problems
            .iter()
            .any(|p| p.line == Some(pay_roles) && p.message.contains("not declared"))
    );
}

#[test]
fn role_used_but_not_declared() {
    let text = edit(EXTENSION_DEFINITION, "[[roles]]\nname = \"cashier\"\n\n", "");
    assert_refused(
        &text,
        line_of(&text, "roles = [\"payment_gateway\", \"cashier\"]"),
        "role `cashier` is not declared in [[roles]]",
    );
}

#[test]
fn helpdesk_used_but_not_declared() {
    let text = edit(
        EXTENSION_DEFINITION,
        "roles = [\"labor_supervisor\", \"immigration_supervisor\"]\neffects = [\"reassign\"]",
        "roles = [\"labor_supervisor\", \"immigration_supervisor\",\n  \"helpdesk\"]\neffects = [\"reassign\"]",
    );
    assert_refused(&text, line_of(&text, "\"helpdesk\""), "role `helpdesk` is not declared");
}

#[test]
fn role_declared_twice() {
    let text = edit(
        EXTENSION_DEFINITION,
        "[[roles]]\nname = \"system\"\n",
        "[[roles]]\nname = \"system\"\n\n[[roles]]\nname = \"system\"\n",
    );
    assert_refused(&text, last_line_of(&text, "name = \"system\""), "declared twice");
}

#[test]
fn unreachable_state() {
    let text = edit(
        EXTENSION_DEFINITION,
        "label_en = \"Withdrawn\"\nterminal = true\n",
        "label_en = \"Withdrawn\"\nterminal = true\n\n[[states]]\nname = \"archived\"\nlabel_zh = \"歸檔\"\nlabel_en = \"Archived\"\nterminal = true\n",
    );
    let err = assert_refused(&text, line_of(&text, "name = \"archived\""), "unreachable");
    assert_eq!(err.problems.len(), 1, "{err}");
}

#[test]
fn unreachable_chain_of_states() {
    // `on_hold` has a way out but nothing enters it
    let text = edit(
        EXTENSION_DEFINITION,
        "label_en = \"Withdrawn\"\nterminal = true\n",
        "label_en = \"Withdrawn\"\nterminal = true\n\n[[states]]\nname = \"on_hold\"\nlabel_zh = \"暫停\"\nlabel_en = \"On hold\"\n",
    );
    let text = format!(
        "{text}\n[[events]]\nname = \"resume\"\nfrom = [\"on_hold\"]\nto = \"labor_review\"\nroles = [\"labor_supervisor\"]\n"
    );
    let err = assert_refused(&text, line_of(&text, "name = \"on_hold\""), "`on_hold` is unreachable");
    assert_eq!(err.problems.len(), 1, "{err}");
}

#[test]
fn non_terminal_state_without_a_way_out() {
    let text = edit(
        EXTENSION_DEFINITION,
        "label_en = \"Issued\"\nterminal = true\n",
        "label_en = \"Issued\"\n",
    );
    let err = assert_refused(
        &text,
        line_of(&text, "name = \"issued\""),
        "not terminal but no event leaves it",
    );
    assert_eq!(err.problems.len(), 1, "{err}");
}

#[test]
fn state_left_only_by_same_state_events_is_a_dead_end() {
    let text = edit(
        EXTENSION_DEFINITION,
        "label_en = \"Withdrawn\"\nterminal = true\n",
        "label_en = \"Withdrawn\"\nterminal = true\n\n[[states]]\nname = \"on_hold\"\nlabel_zh = \"暫停\"\nlabel_en = \"On hold\"\n",
    );
    let text = format!(
        "{text}\n[[events]]\nname = \"hold\"\nfrom = [\"labor_review\"]\nto = \"on_hold\"\nroles = [\"labor_supervisor\"]\n\n\
         [[events]]\nname = \"poke\"\nfrom = [\"on_hold\"]\nto = \"$same\"\nroles = [\"labor_supervisor\"]\n"
    );
    assert_refused(
        &text,
        line_of(&text, "name = \"on_hold\""),
        "`on_hold` is not terminal but no event leaves it",
    );
}

#[test]
fn guard_no_code_provides() {
    let text = edit(
        EXTENSION_DEFINITION,
        "guards = [\"reason_given\"]",
        "guards = [\"reason_stated\"]",
    );
    assert_refused(
        &text,
        line_of(&text, "\"reason_stated\""),
        "no code provides guard `reason_stated`",
    );
}

#[test]
fn guard_no_code_provides_on_its_own_line() {
    let text = edit(
        EXTENSION_DEFINITION,
        "guards = [\"not_labor_approver\"]",
        "guards = [\n  \"not_labor_approver\",\n  \"card_printed\",\n]",
    );
    assert_refused(
        &text,
        line_of(&text, "\"card_printed\""),
        "no code provides guard `card_printed`",
    );
}

#[test]
fn effect_no_code_provides() {
    let text = edit(
        EXTENSION_DEFINITION,
        "effects = [\"record_labor_approval\"]",
        "effects = [\"record_labor_approval\", \"send_fax\"]",
    );
    assert_refused(
        &text,
        line_of(&text, "\"send_fax\""),
        "no code provides effect `send_fax`",
    );
}

#[test]
fn event_leaving_a_terminal_state() {
    let text = edit(
        EXTENSION_DEFINITION,
        "from = [\"paid\", \"labor_review\", \"supplement\", \"immigration_review\"]",
        "from = [\n  \"paid\",\n  \"labor_review\",\n  \"supplement\",\n  \"immigration_review\",\n  \"issued\",\n]",
    );
    assert_refused(&text, line_of(&text, "  \"issued\","), "leaves terminal state `issued`");
}

#[test]
fn duplicate_event_from_edge() {
    let text = format!(
        "{EXTENSION_DEFINITION}\n[[events]]\nname = \"claim\"\nfrom = [\"submitted\", \"paid\"]\nto = \"labor_review\"\nroles = [\"labor_reviewer\"]\n"
    );
    assert_refused(
        &text,
        last_line_of(&text, "from = [\"submitted\", \"paid\"]"),
        "two edges out of `paid`",
    );
}

#[test]
fn duplicate_from_within_one_edge() {
    let text = edit(
        EXTENSION_DEFINITION,
        "from = [\"paid\", \"labor_review\", \"supplement\", \"immigration_review\"]",
        "from = [\"paid\", \"labor_review\", \"supplement\",\n  \"labor_review\", \"immigration_review\"]",
    );
    assert_refused(
        &text,
        line_of(&text, "  \"labor_review\", \"immigration_review\"]"),
        "two edges out of `labor_review`",
    );
}

#[test]
fn toml_syntax_error() {
    let text = edit(EXTENSION_DEFINITION, "name = \"consult\"", "name = \"consult");
    assert_refused(&text, line_of(&text, "name = \"consult\n"), "");
}

#[test]
fn toml_syntax_error_missing_value() {
    let text = edit(EXTENSION_DEFINITION, "working_days = 20", "working_days =");
    assert_refused(&text, line_of(&text, "working_days =\n"), "");
}

#[test]
fn unknown_key_in_an_event() {
    let text = edit(
        EXTENSION_DEFINITION,
        "actor = \"filer\"\neffects = [\"record_withdrawal\"]",
        "actor = \"filer\"\neffect = [\"record_withdrawal\"]",
    );
    assert_refused(&text, line_of(&text, "effect = [\"record_withdrawal\"]"), "effect");
}

#[test]
fn unknown_key_in_a_state() {
    let text = edit(EXTENSION_DEFINITION, "pauses_sla = true", "pause_sla = true");
    assert_refused(&text, line_of(&text, "pause_sla = true"), "pause_sla");
}

#[test]
fn unknown_key_at_the_top() {
    let text = edit(
        EXTENSION_DEFINITION,
        "case_type = \"55\"\n",
        "case_type = \"55\"\nversion = 2\n",
    );
    assert_refused(&text, line_of(&text, "version = 2"), "version");
}

#[test]
fn unknown_key_in_a_notification() {
    let text = edit(
        EXTENSION_DEFINITION,
        "{ to = \"applicant\", template = \"issued\" }",
        "{ to = \"applicant\", template = \"issued\", cc = \"boss\" }",
    );
    assert_refused(&text, line_of(&text, "cc = \"boss\""), "cc");
}

#[test]
fn unknown_actor_rule_condition_and_recipient() {
    let text = edit(
        EXTENSION_DEFINITION,
        "actor = \"filer\"\neffects",
        "actor = \"owner\"\neffects",
    );
    assert_refused(&text, line_of(&text, "actor = \"owner\""), "unknown actor rule `owner`");
    let text = edit(EXTENSION_DEFINITION, "when = \"unassigned\"", "when = \"idle\"");
    assert_refused(&text, line_of(&text, "when = \"idle\""), "unknown condition `idle`");
    let text = edit(
        EXTENSION_DEFINITION,
        "{ to = \"assignee\", template = \"supplement_overdue\" }",
        "{ to = \"minister\", template = \"supplement_overdue\" }",
    );
    assert_refused(&text, line_of(&text, "\"minister\""), "unknown recipient `minister`");
}

#[test]
fn every_problem_is_reported_in_file_order() {
    let text = edit(
        EXTENSION_DEFINITION,
        "guards = [\"reason_given\"]",
        "guards = [\"reason_stated\"]",
    );
    let text = edit(&text, "to = \"issued\"", "to = \"isued\"");
    let err = parse(&text).unwrap_err();
    let lines: Vec<Option<usize>> = err.problems.iter().map(|p| p.line).collect();
    assert_eq!(
        lines,
        vec![
            Some(line_of(&text, "\"reason_stated\"")),
            Some(line_of(&text, "to = \"isued\""))
        ]
    );
}

#[test]
fn unknown_state_in_an_sla_phase() {
    let text = edit(
        EXTENSION_DEFINITION,
        "states = [\"immigration_review\"]",
        "states = [\"immigration_reveiw\"]",
    );
    assert_refused(
        &text,
        line_of(&text, "\"immigration_reveiw\""),
        "unknown state `immigration_reveiw`",
    );
}

#[test]
fn unknown_agency_of_a_state() {
    let text = edit(
        EXTENSION_DEFINITION,
        "label_en = \"Under labor review\"\nagency = \"labor\"",
        "label_en = \"Under labor review\"\nagency = \"mol\"",
    );
    assert_refused(&text, line_of(&text, "agency = \"mol\""), "unknown agency `mol`");
}

#[test]
fn state_declared_twice() {
    let text = edit(
        EXTENSION_DEFINITION,
        "label_en = \"Withdrawn\"\nterminal = true\n",
        "label_en = \"Withdrawn\"\nterminal = true\n\n[[states]]\nname = \"paid\"\nlabel_zh = \"x\"\nlabel_en = \"x\"\n",
    );
    assert_refused(
        &text,
        last_line_of(&text, "name = \"paid\""),
        "`paid` is declared twice",
    );
}
