//! Loading and validating a workflow definition (`workflows/*.toml`).
//!
//! A definition is refused, with the file and line of each problem, when it names an
//! unknown state, role, guard or effect, leaves a state unreachable, or has a
//! non-terminal state with no way out.

use crate::registry::{EffectFn, GuardFn, Registry};
use crate::role::Role;
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt;
use toml::Spanned;

/// Index of a state in [`Workflow::states`].
pub type StateId = usize;

/// A compiled, validated workflow definition.
#[derive(Debug)]
pub struct Workflow {
    /// The definition's name, e.g. `gold-card-extension`.
    pub name: String,
    /// Title in Traditional Chinese.
    pub title_zh: String,
    /// Title in English.
    pub title_en: String,
    /// The two-digit case type used in case numbers (`55` for extensions).
    pub case_type: String,
    /// The state a new case starts in.
    pub initial: StateId,
    /// Every state, in file order.
    pub states: Vec<State>,
    /// The roles the definition uses, with their agency.
    pub roles: Vec<RoleDef>,
    /// Every edge, in file order.
    pub edges: Vec<Edge>,
    /// SLA phases.
    pub sla: Vec<SlaPhase>,
    state_index: HashMap<String, StateId>,
    edges_by_event: HashMap<String, Vec<usize>>,
}

/// A state of the machine.
#[derive(Debug, Clone)]
pub struct State {
    /// Identifier (`labor_review`).
    pub name: String,
    /// Label in Traditional Chinese.
    pub label_zh: String,
    /// Label in English.
    pub label_en: String,
    /// Which agency works cases in this state, if any.
    pub agency: Option<AgencyRef>,
    /// No event leaves a terminal state.
    pub terminal: bool,
    /// The SLA clock stops while a case is here.
    pub pauses_sla: bool,
    /// Index into [`Workflow::sla`] of the phase this state counts towards.
    pub sla_phase: Option<usize>,
}

/// The agency that owns a state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgencyRef {
    /// A named agency (`labor`, `immigration`).
    Named(String),
    /// The agency of the review state the case will return to (supplements).
    ReturnState,
}

/// A role as the definition uses it.
#[derive(Debug, Clone)]
pub struct RoleDef {
    /// The role.
    pub role: Role,
    /// The agency its holders work for.
    pub agency: Option<String>,
    /// Supervisors may act on any case of their agency, whoever holds it.
    pub supervisor: bool,
}

/// Where an edge goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A named state.
    State(StateId),
    /// The current state (`$same`).
    Same,
    /// The review state that asked for a supplement (`$return`).
    Return,
}

/// Who among the edge's roles may fire it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorRule {
    /// Anyone holding one of the roles (within the state's agency).
    Any,
    /// Only the account that filed the case.
    Filer,
    /// Only the case's assignee; the agency's supervisors excepted.
    Assignee,
}

/// A condition on the case under which an edge exists at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// The case has no assignee.
    Unassigned,
    /// The case has an assignee.
    Assigned,
}

/// Who a notification goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    /// The applicant (the filing account, and the holder's email).
    Applicant,
    /// The officer the case is assigned to.
    Assignee,
    /// The supervisors of the agency owning the case's state.
    Supervisors,
}

/// A notification an edge writes to the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifySpec {
    /// To whom.
    pub recipient: Recipient,
    /// The mail template's name.
    pub template: String,
}

/// A named guard with its code.
#[derive(Clone)]
pub struct GuardRef {
    /// The guard's name in the definition.
    pub name: String,
    /// The code that checks it.
    pub check: GuardFn,
    /// Payload fields the guard reads.
    pub payload_fields: &'static [&'static str],
}

/// A named effect with its code.
#[derive(Clone)]
pub struct EffectRef {
    /// The effect's name in the definition.
    pub name: String,
    /// The code that computes the changes.
    pub apply: EffectFn,
    /// Payload fields the effect reads.
    pub payload_fields: &'static [&'static str],
}

impl fmt::Debug for GuardRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "guard {}", self.name)
    }
}
impl fmt::Debug for EffectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "effect {}", self.name)
    }
}

/// One edge: an event from some states to a target.
#[derive(Debug, Clone)]
pub struct Edge {
    /// The event's name (`approve`).
    pub event: String,
    /// Whether this edge creates the case (no `from`).
    pub create: bool,
    /// The states it leaves from.
    pub from: Vec<StateId>,
    /// Where it goes.
    pub to: Target,
    /// The roles that may fire it.
    pub roles: Vec<Role>,
    /// Who among them.
    pub actor: ActorRule,
    /// Condition under which the edge exists.
    pub when: Option<Condition>,
    /// Guards, checked in order.
    pub guards: Vec<GuardRef>,
    /// Effects, applied in order.
    pub effects: Vec<EffectRef>,
    /// Notifications written to the outbox.
    pub notify: Vec<NotifySpec>,
    /// Every payload field a guard or effect of this edge reads.
    pub payload_fields: BTreeSet<&'static str>,
}

/// An SLA phase: the review states sharing one clock.
#[derive(Debug, Clone)]
pub struct SlaPhase {
    /// The phase's name (`labor`).
    pub phase: String,
    /// Working days allowed.
    pub working_days: u32,
    /// Working days allowed for Hong Kong and Macau residents, when different.
    pub hk_macau_working_days: Option<u32>,
}

impl SlaPhase {
    /// Working days for a case of this kind.
    pub fn days_for(&self, hk_macau: bool) -> u32 {
        if hk_macau {
            self.hk_macau_working_days.unwrap_or(self.working_days)
        } else {
            self.working_days
        }
    }
}

/// One problem found in a definition file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionProblem {
    /// The file name given to the loader.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for DefinitionProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Every problem found in a definition file; it was not loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DefinitionError {
    /// The problems, in file order.
    pub problems: Vec<DefinitionProblem>,
}

impl fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

// ------------------------------------------------------------------ raw file shape

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefinition {
    name: Spanned<String>,
    title_zh: String,
    title_en: String,
    case_type: Spanned<String>,
    initial: Spanned<String>,
    roles: Vec<RawRole>,
    states: Vec<RawState>,
    #[serde(default)]
    sla: Vec<RawSla>,
    events: Vec<RawEvent>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    name: Spanned<String>,
    #[serde(default)]
    agency: Option<String>,
    #[serde(default)]
    supervisor: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState {
    name: Spanned<String>,
    label_zh: String,
    label_en: String,
    #[serde(default)]
    agency: Option<Spanned<String>>,
    #[serde(default)]
    terminal: bool,
    #[serde(default)]
    pauses_sla: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSla {
    phase: Spanned<String>,
    states: Vec<Spanned<String>>,
    working_days: u32,
    #[serde(default)]
    hk_macau_working_days: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    name: Spanned<String>,
    #[serde(default)]
    create: bool,
    #[serde(default)]
    from: Vec<Spanned<String>>,
    to: Spanned<String>,
    roles: Vec<Spanned<String>>,
    #[serde(default)]
    actor: Option<Spanned<String>>,
    #[serde(default)]
    when: Option<Spanned<String>>,
    #[serde(default)]
    guards: Vec<Spanned<String>>,
    #[serde(default)]
    effects: Vec<Spanned<String>>,
    #[serde(default)]
    notify: Vec<RawNotify>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotify {
    to: Spanned<String>,
    template: Spanned<String>,
}

struct Problems<'a> {
    file: &'a str,
    text: &'a str,
    list: Vec<DefinitionProblem>,
}

impl Problems<'_> {
    fn at(&mut self, offset: Option<usize>, message: impl Into<String>) {
        let line = offset.map(|o| line_of(self.text, o));
        self.list.push(DefinitionProblem {
            file: self.file.to_string(),
            line,
            message: message.into(),
        });
    }
    fn span<T>(&mut self, s: &Spanned<T>, message: impl Into<String>) {
        self.at(Some(s.span().start), message);
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|b| **b == b'\n').count() + 1
}

impl Workflow {
    /// Parses and validates a definition. `file` names it in error messages.
    pub fn parse(file: &str, text: &str, registry: &Registry) -> Result<Workflow, DefinitionError> {
        let mut problems = Problems {
            file,
            text,
            list: Vec::new(),
        };
        let raw: RawDefinition = match toml::from_str(text) {
            Ok(raw) => raw,
            Err(e) => {
                let offset = e.span().map(|s| s.start);
                problems.at(offset, e.message().to_string());
                return Err(DefinitionError {
                    problems: problems.list,
                });
            }
        };
        let workflow = compile(raw, registry, &mut problems);
        if problems.list.is_empty() {
            workflow.ok_or_else(|| DefinitionError { problems: vec![] })
        } else {
            problems.list.sort_by_key(|p| p.line);
            Err(DefinitionError {
                problems: problems.list,
            })
        }
    }

    /// The state with this name.
    pub fn state_id(&self, name: &str) -> Option<StateId> {
        self.state_index.get(name).copied()
    }

    /// The state at this index.
    pub fn state(&self, id: StateId) -> &State {
        &self.states[id]
    }

    /// The role definition for a role, if the definition uses it.
    pub fn role(&self, role: Role) -> Option<&RoleDef> {
        self.roles.iter().find(|r| r.role == role)
    }

    /// Whether any edge carries this event.
    pub fn has_event(&self, event: &str) -> bool {
        self.edges_by_event.contains_key(event)
    }

    /// Every event name, in file order.
    pub fn event_names(&self) -> Vec<&str> {
        let mut seen = HashSet::new();
        self.edges
            .iter()
            .filter(|e| seen.insert(e.event.as_str()))
            .map(|e| e.event.as_str())
            .collect()
    }

    /// The edge carrying `event` out of `from`, if any.
    pub fn edge(&self, event: &str, from: StateId) -> Option<&Edge> {
        self.edges_by_event
            .get(event)?
            .iter()
            .map(|&i| &self.edges[i])
            .find(|e| !e.create && e.from.contains(&from))
    }

    /// The edge that creates a case, if the definition has one.
    pub fn create_edge(&self) -> Option<&Edge> {
        self.edges.iter().find(|e| e.create)
    }

    /// States a `$return` edge out of `from` may go back to: those with an edge into `from`.
    pub fn return_states(&self, from: StateId) -> Vec<StateId> {
        let mut out: Vec<StateId> = self
            .edges
            .iter()
            .filter(|e| e.to == Target::State(from))
            .flat_map(|e| e.from.iter().copied())
            .filter(|s| *s != from)
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The states an edge may lead to from `from`.
    pub fn targets(&self, edge: &Edge, from: StateId) -> Vec<StateId> {
        match edge.to {
            Target::State(s) => vec![s],
            Target::Same => vec![from],
            Target::Return => self.return_states(from),
        }
    }
}

fn compile(raw: RawDefinition, registry: &Registry, p: &mut Problems<'_>) -> Option<Workflow> {
    if raw.name.get_ref().trim().is_empty() {
        p.span(&raw.name, "the definition needs a name");
    }
    let ct = raw.case_type.get_ref();
    if ct.len() != 2 || !ct.bytes().all(|b| b.is_ascii_digit()) {
        p.span(&raw.case_type, format!("case_type `{ct}` must be two digits"));
    }

    // roles
    let mut roles: Vec<RoleDef> = Vec::new();
    for r in &raw.roles {
        match r.name.get_ref().parse::<Role>() {
            Ok(role) => {
                if roles.iter().any(|d| d.role == role) {
                    p.span(&r.name, format!("role `{role}` is declared twice"));
                }
                roles.push(RoleDef {
                    role,
                    agency: r.agency.clone(),
                    supervisor: r.supervisor,
                });
            }
            Err(e) => p.span(&r.name, e.to_string()),
        }
    }
    let agencies: HashSet<String> = roles.iter().filter_map(|r| r.agency.clone()).collect();

    // states
    let mut states = Vec::new();
    let mut state_index = HashMap::new();
    for s in &raw.states {
        let name = s.name.get_ref().clone();
        if state_index.insert(name.clone(), states.len()).is_some() {
            p.span(&s.name, format!("state `{name}` is declared twice"));
        }
        let agency = match &s.agency {
            None => None,
            Some(a) if a.get_ref() == "$return" => Some(AgencyRef::ReturnState),
            Some(a) => {
                if !agencies.contains(a.get_ref()) {
                    p.span(a, format!("state `{name}`: unknown agency `{}`", a.get_ref()));
                }
                Some(AgencyRef::Named(a.get_ref().clone()))
            }
        };
        states.push(State {
            name,
            label_zh: s.label_zh.clone(),
            label_en: s.label_en.clone(),
            agency,
            terminal: s.terminal,
            pauses_sla: s.pauses_sla,
            sla_phase: None,
        });
    }
    let initial = match state_index.get(raw.initial.get_ref()) {
        Some(&i) => i,
        None => {
            p.span(
                &raw.initial,
                format!("initial state `{}` is not declared", raw.initial.get_ref()),
            );
            0
        }
    };

    // SLA phases
    let mut sla = Vec::new();
    for (i, phase) in raw.sla.iter().enumerate() {
        for st in &phase.states {
            match state_index.get(st.get_ref()) {
                Some(&sid) => {
                    if states[sid].sla_phase.is_some() {
                        p.span(st, format!("state `{}` is in two SLA phases", st.get_ref()));
                    }
                    states[sid].sla_phase = Some(i);
                }
                None => p.span(
                    st,
                    format!(
                        "SLA phase `{}`: unknown state `{}`",
                        phase.phase.get_ref(),
                        st.get_ref()
                    ),
                ),
            }
        }
        sla.push(SlaPhase {
            phase: phase.phase.get_ref().clone(),
            working_days: phase.working_days,
            hk_macau_working_days: phase.hk_macau_working_days,
        });
    }

    // edges
    let mut edges: Vec<Edge> = Vec::new();
    let mut edges_by_event: HashMap<String, Vec<usize>> = HashMap::new();
    let mut seen_pairs: HashSet<(String, StateId)> = HashSet::new();
    for ev in &raw.events {
        let event = ev.name.get_ref().clone();
        let mut from = Vec::new();
        if ev.create {
            if !ev.from.is_empty() {
                p.span(
                    &ev.name,
                    format!("event `{event}` creates a case and cannot have `from`"),
                );
            }
        } else if ev.from.is_empty() {
            p.span(&ev.name, format!("event `{event}` needs `from` states"));
        }
        for f in &ev.from {
            match state_index.get(f.get_ref()) {
                Some(&sid) => {
                    if states[sid].terminal {
                        p.span(f, format!("event `{event}` leaves terminal state `{}`", f.get_ref()));
                    }
                    if !seen_pairs.insert((event.clone(), sid)) {
                        p.span(f, format!("event `{event}` has two edges out of `{}`", f.get_ref()));
                    }
                    from.push(sid);
                }
                None => p.span(f, format!("event `{event}`: unknown state `{}`", f.get_ref())),
            }
        }
        let to = match ev.to.get_ref().as_str() {
            "$same" => Target::Same,
            "$return" => Target::Return,
            name => match state_index.get(name) {
                Some(&sid) => Target::State(sid),
                None => {
                    p.span(&ev.to, format!("event `{event}`: unknown state `{name}`"));
                    Target::Same
                }
            },
        };
        if ev.create && matches!(to, Target::Return | Target::Same) {
            p.span(
                &ev.to,
                format!("event `{event}` creates a case: `to` must name a state"),
            );
        }
        let mut roles_of_edge = Vec::new();
        if ev.roles.is_empty() {
            p.span(&ev.name, format!("event `{event}` names no role that may fire it"));
        }
        for r in &ev.roles {
            match r.get_ref().parse::<Role>() {
                Ok(role) if roles.iter().any(|d| d.role == role) => roles_of_edge.push(role),
                Ok(role) => p.span(
                    r,
                    format!("event `{event}`: role `{role}` is not declared in [[roles]]"),
                ),
                Err(e) => p.span(r, format!("event `{event}`: {e}")),
            }
        }
        let actor = match ev.actor.as_ref().map(|a| a.get_ref().as_str()) {
            None | Some("any") => ActorRule::Any,
            Some("filer") => ActorRule::Filer,
            Some("assignee") => ActorRule::Assignee,
            Some(other) => {
                if let Some(a) = &ev.actor {
                    p.span(
                        a,
                        format!("event `{event}`: unknown actor rule `{other}` (any, filer, assignee)"),
                    );
                }
                ActorRule::Any
            }
        };
        let when = match ev.when.as_ref().map(|a| a.get_ref().as_str()) {
            None => None,
            Some("unassigned") => Some(Condition::Unassigned),
            Some("assigned") => Some(Condition::Assigned),
            Some(other) => {
                if let Some(w) = &ev.when {
                    p.span(
                        w,
                        format!("event `{event}`: unknown condition `{other}` (unassigned, assigned)"),
                    );
                }
                None
            }
        };
        let mut payload_fields = BTreeSet::new();
        let mut guards = Vec::new();
        for g in &ev.guards {
            match registry.guard(g.get_ref()) {
                Some(spec) => {
                    payload_fields.extend(spec.payload_fields.iter().copied());
                    guards.push(GuardRef {
                        name: g.get_ref().clone(),
                        check: spec.check,
                        payload_fields: spec.payload_fields,
                    });
                }
                None => p.span(g, format!("event `{event}`: no code provides guard `{}`", g.get_ref())),
            }
        }
        let mut effects = Vec::new();
        for e in &ev.effects {
            match registry.effect(e.get_ref()) {
                Some(spec) => {
                    payload_fields.extend(spec.payload_fields.iter().copied());
                    effects.push(EffectRef {
                        name: e.get_ref().clone(),
                        apply: spec.apply,
                        payload_fields: spec.payload_fields,
                    });
                }
                None => p.span(e, format!("event `{event}`: no code provides effect `{}`", e.get_ref())),
            }
        }
        let mut notify = Vec::new();
        for n in &ev.notify {
            let recipient = match n.to.get_ref().as_str() {
                "applicant" => Recipient::Applicant,
                "assignee" => Recipient::Assignee,
                "supervisors" => Recipient::Supervisors,
                other => {
                    p.span(
                        &n.to,
                        format!("event `{event}`: unknown recipient `{other}` (applicant, assignee, supervisors)"),
                    );
                    continue;
                }
            };
            if n.template.get_ref().trim().is_empty() {
                p.span(&n.template, format!("event `{event}`: empty template name"));
            }
            notify.push(NotifySpec {
                recipient,
                template: n.template.get_ref().clone(),
            });
        }
        edges_by_event.entry(event.clone()).or_default().push(edges.len());
        edges.push(Edge {
            event,
            create: ev.create,
            from,
            to,
            roles: roles_of_edge,
            actor,
            when,
            guards,
            effects,
            notify,
            payload_fields,
        });
    }
    if edges.iter().filter(|e| e.create).count() > 1 {
        p.at(None, "more than one event creates a case");
    }

    let workflow = Workflow {
        name: raw.name.get_ref().clone(),
        title_zh: raw.title_zh,
        title_en: raw.title_en,
        case_type: raw.case_type.get_ref().clone(),
        initial,
        states,
        roles,
        edges,
        sla,
        state_index,
        edges_by_event,
    };
    if p.list.is_empty() {
        check_graph(&workflow, &raw.states, p);
    }
    Some(workflow)
}

/// Reachability and dead ends.
fn check_graph(w: &Workflow, raw_states: &[RawState], p: &mut Problems<'_>) {
    let mut reached = vec![false; w.states.len()];
    let mut queue = VecDeque::from([w.initial]);
    reached[w.initial] = true;
    while let Some(s) = queue.pop_front() {
        for edge in w.edges.iter().filter(|e| e.from.contains(&s)) {
            for t in w.targets(edge, s) {
                if !reached[t] {
                    reached[t] = true;
                    queue.push_back(t);
                }
            }
        }
    }
    for (i, state) in w.states.iter().enumerate() {
        if !reached[i] {
            p.span(
                &raw_states[i].name,
                format!(
                    "state `{}` is unreachable from `{}`",
                    state.name, w.states[w.initial].name
                ),
            );
        }
        if !state.terminal {
            let way_out = w
                .edges
                .iter()
                .filter(|e| e.from.contains(&i))
                .any(|e| w.targets(e, i).iter().any(|t| *t != i));
            if !way_out {
                p.span(
                    &raw_states[i].name,
                    format!("state `{}` is not terminal but no event leaves it", state.name),
                );
            }
        }
        if state.agency == Some(AgencyRef::ReturnState) && w.return_states(i).is_empty() {
            p.span(
                &raw_states[i].name,
                format!(
                    "state `{}` takes the agency of the state it returns to, but nothing enters it",
                    state.name
                ),
            );
        }
    }
}
