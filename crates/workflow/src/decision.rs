//! Deciding a transition: "may actor X fire event E on case C now?" — a pure function of
//! the definition, the case's facts, the actor, the payload and the date.

use crate::definition::{ActorRule, AgencyRef, Condition, Edge, NotifySpec, StateId, Target, Workflow};
use crate::role::Role;
use chrono::{DateTime, NaiveDate, Utc};
use goldcard_domain::{Catalog, ValidityYears, WorkingCalendar};
use serde::Serialize;
use serde_json::{Map, Value};

/// An account id as stored; `0` is the scheduler (`system`).
pub type AccountId = i64;

/// Who fires an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// The account.
    pub account_id: AccountId,
    /// The role it acts in.
    pub role: Role,
}

impl Actor {
    /// The scheduler.
    pub const SYSTEM: Actor = Actor {
        account_id: 0,
        role: Role::System,
    };
}

/// An open supplement request, as the engine needs to see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplementFacts {
    /// The last day to supplement.
    pub due_on: NaiveDate,
    /// Document types asked for.
    pub items: Vec<String>,
    /// Document types uploaded for this supplement so far.
    pub uploaded: Vec<String>,
}

/// What the engine knows of a case when deciding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts {
    /// Current state's name.
    pub state: String,
    /// Optimistic-lock version.
    pub version: i64,
    /// The account that filed it.
    pub filer_account: AccountId,
    /// The officer holding it, if any.
    pub assignee: Option<AccountId>,
    /// The labor reviewer who approved it, if any.
    pub labor_approver: Option<AccountId>,
    /// The review state a supplement returns to.
    pub return_state: Option<String>,
    /// Hong Kong or Macau resident.
    pub hk_macau: bool,
    /// Fee computed at filing.
    pub fee_twd: u32,
    /// The card's current expiry.
    pub card_expires_on: NaiveDate,
    /// Years asked for.
    pub validity_years: ValidityYears,
    /// The open supplement, if any.
    pub supplement: Option<SupplementFacts>,
    /// When the running SLA phase is due.
    pub sla_due_on: Option<NaiveDate>,
    /// Working days left when the clock was paused.
    pub sla_paused_remaining: Option<i64>,
    /// The ministry certifying the case's field (from the catalog).
    pub field_authority: Option<String>,
}

/// The world outside the case: the date, the calendar, the catalog.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    /// Now.
    pub now: DateTime<Utc>,
    /// Today in Asia/Taipei.
    pub today: NaiveDate,
    /// Working days and holidays.
    pub calendar: &'a WorkingCalendar,
    /// Fields, criteria, document types.
    pub catalog: &'a Catalog,
}

/// An event someone wants to fire.
#[derive(Debug, Clone, Copy)]
pub struct EventRequest<'a> {
    /// The event's name.
    pub event: &'a str,
    /// The version the caller saw, if it says.
    pub expected_version: Option<i64>,
    /// The event's payload (without `event` and `version`).
    pub payload: &'a Map<String, Value>,
    /// For `reassign`: the officer named by `to`, resolved by the caller.
    pub reassign_target: Option<Actor>,
    /// Documents the payload names, resolved by the caller (existing uploads of the actor).
    pub attachments: &'a [Attachment],
}

/// An uploaded document named in an event's payload, as the caller resolved it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    /// `documents.id`.
    pub document_id: i64,
    /// Its document type.
    pub doc_type: String,
}

/// Everything a guard or effect may look at.
pub struct Context<'a> {
    /// The definition.
    pub workflow: &'a Workflow,
    /// The case.
    pub case: &'a CaseFacts,
    /// The actor.
    pub actor: &'a Actor,
    /// The payload.
    pub payload: &'a Map<String, Value>,
    /// Date, calendar, catalog.
    pub env: &'a Env<'a>,
    /// The state the event leaves.
    pub from: StateId,
    /// The state the event goes to.
    pub to: StateId,
    /// The officer named by `to` in `reassign`.
    pub reassign_target: Option<&'a Actor>,
    /// Documents the payload names, resolved by the caller.
    pub attachments: &'a [Attachment],
}

impl Context<'_> {
    /// The agency working the case in its current state.
    pub fn agency_of_current_state(&self) -> Option<String> {
        agency_of(self.workflow, self.from, self.case)
    }
}

fn agency_of(w: &Workflow, state: StateId, case: &CaseFacts) -> Option<String> {
    match &w.state(state).agency {
        None => None,
        Some(AgencyRef::Named(a)) => Some(a.clone()),
        Some(AgencyRef::ReturnState) => {
            let back = case.return_state.as_deref().and_then(|s| w.state_id(s))?;
            match &w.state(back).agency {
                Some(AgencyRef::Named(a)) => Some(a.clone()),
                _ => None,
            }
        }
    }
}

/// One document asked for in a supplement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct SupplementItem {
    /// Document type code.
    pub doc_type: String,
    /// What the reviewer needs.
    pub note: String,
}

/// Why a case was rejected (domain.md "Outcomes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectionGrounds {
    /// 不予許可: the qualification is not met.
    NotEligible,
    /// 駁回: a supplement was not given in time.
    SupplementMissed,
    /// Anything else.
    Other,
}

impl RejectionGrounds {
    /// The identifier used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectionGrounds::NotEligible => "not_eligible",
            RejectionGrounds::SupplementMissed => "supplement_missed",
            RejectionGrounds::Other => "other",
        }
    }
}

/// A change to the case (or its card) that an accepted event makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// Assign to an officer.
    AssignTo(AccountId),
    /// Leave unassigned.
    ClearAssignee,
    /// The fee was paid.
    RecordPayment {
        /// The receipt number (unique).
        receipt_no: String,
        /// Amount paid.
        amount_twd: u32,
        /// When.
        paid_at: DateTime<Utc>,
    },
    /// Ask for documents.
    OpenSupplement {
        /// The review state to return to.
        return_state: String,
        /// What is asked.
        items: Vec<SupplementItem>,
        /// Documents must come from abroad.
        abroad: bool,
        /// The last day.
        due_on: NaiveDate,
    },
    /// The supplement arrived.
    CloseSupplement,
    /// The supplement did not arrive in time.
    MarkSupplementOverdue,
    /// Who approved the labor review (separation of duties).
    RecordLaborApprover(AccountId),
    /// The case is refused.
    RecordRejection {
        /// Grounds.
        grounds: RejectionGrounds,
        /// Reason given to the applicant.
        reason: String,
        /// Legal basis cited.
        legal_basis: String,
    },
    /// The case is withdrawn.
    RecordWithdrawal {
        /// The applicant's written request, for officers.
        reason: Option<String>,
    },
    /// A ministry is consulted.
    StartConsultation {
        /// The ministry.
        authority: String,
    },
    /// The ministry answered.
    AnswerConsultation {
        /// Its opinion.
        opinion: String,
        /// A document carrying it.
        document_id: Option<String>,
    },
    /// Documents are attached to the case.
    AttachDocuments {
        /// The documents.
        documents: Vec<Attachment>,
        /// Why: `supplement`, `consultation`.
        purpose: String,
    },
    /// The card gets its new expiry.
    ExtendCard {
        /// The new last valid day.
        new_expires_on: NaiveDate,
    },
}

/// What happens to the SLA clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "sla", rename_all = "snake_case")]
pub enum SlaChange {
    /// Nothing.
    Keep,
    /// A phase starts, due on this date.
    Start {
        /// Due date.
        due_on: NaiveDate,
    },
    /// The clock stops with this many working days left.
    Pause {
        /// Working days left (negative when already overdue).
        remaining: i64,
    },
    /// The clock runs again, now due on this date.
    Resume {
        /// Due date.
        due_on: NaiveDate,
    },
    /// No clock runs any more.
    Stop,
}

/// An accepted event: everything the store must write, in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The definition's name.
    pub workflow: String,
    /// The event.
    pub event: String,
    /// The state left (`None` when the case is created).
    pub from: Option<String>,
    /// The new state.
    pub to: String,
    /// Who fired it.
    pub actor: Actor,
    /// Case changes.
    pub changes: Vec<Change>,
    /// Notifications for the outbox.
    pub notifications: Vec<NotifySpec>,
    /// SLA clock.
    pub sla: SlaChange,
    /// The payload as accepted (for the audit trail).
    pub payload: Map<String, Value>,
}

pub use goldcard_domain::FieldError;

/// A refused event: nothing is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No such edge from the current state.
    #[error("{message}")]
    InvalidTransition {
        /// Why.
        message: String,
    },
    /// Role, agency, ownership or assignment.
    #[error("{message}")]
    Forbidden {
        /// Why.
        message: String,
    },
    /// A guard said no.
    #[error("{guard}: {message}")]
    GuardFailed {
        /// The guard's name.
        guard: String,
        /// Its message.
        message: String,
    },
    /// The case changed since the caller looked.
    #[error("the case is at version {actual}, not {expected}")]
    VersionConflict {
        /// What the caller saw.
        expected: i64,
        /// What it is.
        actual: i64,
    },
    /// The payload has errors.
    #[error("the payload has errors")]
    InvalidPayload {
        /// One per field.
        fields: Vec<FieldError>,
    },
}

impl Refusal {
    /// The error code of interfaces.md.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::InvalidTransition { .. } => "invalid_transition",
            Refusal::Forbidden { .. } => "forbidden",
            Refusal::GuardFailed { .. } => "guard_failed",
            Refusal::VersionConflict { .. } => "version_conflict",
            Refusal::InvalidPayload { .. } => "invalid_payload",
        }
    }
}

fn forbidden(message: impl Into<String>) -> Refusal {
    Refusal::Forbidden {
        message: message.into(),
    }
}

impl Workflow {
    /// Decides whether `actor` may fire `request` on `case` now, and what it does.
    pub fn decide(
        &self,
        case: &CaseFacts,
        actor: &Actor,
        request: &EventRequest<'_>,
        env: &Env<'_>,
    ) -> Result<Decision, Refusal> {
        let Some(from) = self.state_id(&case.state) else {
            return Err(Refusal::InvalidTransition {
                message: format!("the case is in state `{}`, unknown to {}", case.state, self.name),
            });
        };
        let Some(edge) = self.edge(request.event, from) else {
            return Err(Refusal::InvalidTransition {
                message: if self.has_event(request.event) {
                    format!("`{}` cannot happen in state `{}`", request.event, case.state)
                } else {
                    format!("there is no event `{}`", request.event)
                },
            });
        };
        if let Some(cond) = edge.when {
            let holds = match cond {
                Condition::Unassigned => case.assignee.is_none(),
                Condition::Assigned => case.assignee.is_some(),
            };
            if !holds {
                return Err(Refusal::InvalidTransition {
                    message: match cond {
                        Condition::Unassigned => format!("`{}` needs an unassigned case; use reassign", request.event),
                        Condition::Assigned => format!("`{}` needs an assigned case", request.event),
                    },
                });
            }
        }
        self.check_actor(edge, from, case, actor, request.event)?;
        if let Some(expected) = request.expected_version
            && expected != case.version
        {
            return Err(Refusal::VersionConflict {
                expected,
                actual: case.version,
            });
        }
        let to = match edge.to {
            Target::State(s) => s,
            Target::Same => from,
            Target::Return => match case.return_state.as_deref().and_then(|s| self.state_id(s)) {
                Some(s) => s,
                None => {
                    return Err(Refusal::InvalidTransition {
                        message: "the case has no review state to return to".to_string(),
                    });
                }
            },
        };
        let ctx = Context {
            workflow: self,
            case,
            actor,
            payload: request.payload,
            env,
            from,
            to,
            reassign_target: request.reassign_target.as_ref(),
            attachments: request.attachments,
        };
        let changes = run_edge(edge, &ctx)?;
        Ok(Decision {
            workflow: self.name.clone(),
            event: edge.event.clone(),
            from: Some(case.state.clone()),
            to: self.state(to).name.clone(),
            actor: *actor,
            changes,
            notifications: edge.notify.clone(),
            sla: self.sla_change(Some(from), to, case, env),
            payload: request.payload.clone(),
        })
    }

    /// The events `actor` may fire on `case` now as far as the state, the edge's
    /// condition, the role, the agency and the assignment go: what a screen offers. The
    /// payload's guards are checked when the event is fired, by [`Workflow::decide`].
    pub fn offered_events(&self, case: &CaseFacts, actor: &Actor) -> Vec<&str> {
        let Some(from) = self.state_id(&case.state) else {
            return Vec::new();
        };
        let mut offered: Vec<&str> = Vec::new();
        for edge in self.edges.iter().filter(|e| !e.create && e.from.contains(&from)) {
            let condition_holds = match edge.when {
                None => true,
                Some(Condition::Unassigned) => case.assignee.is_none(),
                Some(Condition::Assigned) => case.assignee.is_some(),
            };
            if condition_holds
                && self.check_actor(edge, from, case, actor, &edge.event).is_ok()
                && !offered.contains(&edge.event.as_str())
            {
                offered.push(&edge.event);
            }
        }
        offered
    }

    /// Decides the creation of a case by `actor` (the definition's `create` event).
    pub fn decide_create(
        &self,
        actor: &Actor,
        hk_macau: bool,
        payload: &Map<String, Value>,
        env: &Env<'_>,
    ) -> Result<Decision, Refusal> {
        let Some(edge) = self.create_edge() else {
            return Err(Refusal::InvalidTransition {
                message: format!("{} has no event that creates a case", self.name),
            });
        };
        if !edge.roles.contains(&actor.role) {
            return Err(forbidden(format!("a {} may not file a case", actor.role)));
        }
        let Target::State(to) = edge.to else {
            return Err(Refusal::InvalidTransition {
                message: "the create event has no state".to_string(),
            });
        };
        let case = CaseFacts {
            state: self.state(to).name.clone(),
            version: 0,
            filer_account: actor.account_id,
            assignee: None,
            labor_approver: None,
            return_state: None,
            hk_macau,
            fee_twd: 0,
            card_expires_on: env.today,
            validity_years: ValidityYears::new(1).map_err(|e| Refusal::InvalidTransition { message: e.to_string() })?,
            supplement: None,
            sla_due_on: None,
            sla_paused_remaining: None,
            field_authority: None,
        };
        let ctx = Context {
            workflow: self,
            case: &case,
            actor,
            payload,
            env,
            from: to,
            to,
            reassign_target: None,
            attachments: &[],
        };
        let changes = run_edge(edge, &ctx)?;
        Ok(Decision {
            workflow: self.name.clone(),
            event: edge.event.clone(),
            from: None,
            to: self.state(to).name.clone(),
            actor: *actor,
            changes,
            notifications: edge.notify.clone(),
            sla: self.sla_change(None, to, &case, env),
            payload: payload.clone(),
        })
    }

    fn check_actor(
        &self,
        edge: &Edge,
        from: StateId,
        case: &CaseFacts,
        actor: &Actor,
        event: &str,
    ) -> Result<(), Refusal> {
        if !edge.roles.contains(&actor.role) {
            return Err(forbidden(format!(
                "a {} may not {} a case in state `{}`",
                actor.role, event, case.state
            )));
        }
        let role_def = self.role(actor.role);
        let supervisor = role_def.is_some_and(|r| r.supervisor);
        if let Some(agency) = role_def.and_then(|r| r.agency.as_deref())
            && agency_of(self, from, case).as_deref() != Some(agency)
        {
            return Err(forbidden(format!("the case is not with the {agency} agency")));
        }
        match edge.actor {
            ActorRule::Any => Ok(()),
            ActorRule::Filer if case.filer_account == actor.account_id => Ok(()),
            ActorRule::Filer => Err(forbidden("only the account that filed the case may do this")),
            ActorRule::Assignee if supervisor => Ok(()),
            ActorRule::Assignee => match case.assignee {
                Some(a) if a == actor.account_id => Ok(()),
                Some(_) => Err(forbidden("the case is assigned to another officer")),
                None => Err(forbidden("the case is unassigned: claim it first")),
            },
        }
    }

    fn sla_change(&self, from: Option<StateId>, to: StateId, case: &CaseFacts, env: &Env<'_>) -> SlaChange {
        let to_state = self.state(to);
        let from_state = from.map(|f| self.state(f));
        let from_phase = from_state.and_then(|s| s.sla_phase);
        let from_paused = from_state.is_some_and(|s| s.pauses_sla);
        if to_state.pauses_sla {
            return match case.sla_due_on {
                Some(due) if !from_paused => SlaChange::Pause {
                    remaining: env.calendar.working_days_between(env.today, due),
                },
                _ => SlaChange::Keep,
            };
        }
        match to_state.sla_phase {
            Some(phase) if from_paused => {
                let back = case.return_state.as_deref().and_then(|s| self.state_id(s));
                if back.and_then(|b| self.state(b).sla_phase) == Some(phase)
                    && let Some(rem) = case.sla_paused_remaining
                {
                    SlaChange::Resume {
                        due_on: env
                            .calendar
                            .add_working_days(env.today, u32::try_from(rem.max(0)).unwrap_or(0)),
                    }
                } else {
                    self.start(phase, case, env)
                }
            }
            Some(phase) if from_phase == Some(phase) => SlaChange::Keep,
            Some(phase) => self.start(phase, case, env),
            None if from_phase.is_some() || from_paused => SlaChange::Stop,
            None => SlaChange::Keep,
        }
    }

    fn start(&self, phase: usize, case: &CaseFacts, env: &Env<'_>) -> SlaChange {
        SlaChange::Start {
            due_on: env
                .calendar
                .add_working_days(env.today, self.sla[phase].days_for(case.hk_macau)),
        }
    }
}

fn run_edge(edge: &Edge, ctx: &Context<'_>) -> Result<Vec<Change>, Refusal> {
    let unknown: Vec<FieldError> = ctx
        .payload
        .keys()
        .filter(|k| !edge.payload_fields.contains(k.as_str()))
        .map(|k| FieldError {
            field: k.clone(),
            code: "unknown_field".to_string(),
            message: format!("`{}` takes no field `{k}`", edge.event),
        })
        .collect();
    if !unknown.is_empty() {
        return Err(Refusal::InvalidPayload { fields: unknown });
    }
    for guard in &edge.guards {
        (guard.check)(ctx).map_err(|message| Refusal::GuardFailed {
            guard: guard.name.clone(),
            message,
        })?;
    }
    let mut changes = Vec::new();
    let mut errors = Vec::new();
    for effect in &edge.effects {
        match (effect.apply)(ctx) {
            Ok(c) => changes.extend(c),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(changes)
    } else {
        Err(Refusal::InvalidPayload { fields: errors })
    }
}
