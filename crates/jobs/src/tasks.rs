//! What each job does. Dates are Taipei dates of the run's "as of" instant; every mail
//! carries a dedupe key, so a task may be run any number of times.

use crate::CATCH_UP_DAYS;
use crate::run::{Jobs, Ran, RunError};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use goldcard_domain::{FilingWindow, WindowStatus, add_months_clamped, start_of_taipei_day, taipei_date};
use goldcard_store::entity::{accounts, cards, cases};
use goldcard_store::events::{self, FireError, Rules};
use goldcard_store::outbox::{self, Mail, MailTo};
use goldcard_workflow::{Actor, EventRequest, Refusal};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// The event the scheduler fires when a supplement's due date has passed.
pub const SUPPLEMENT_OVERDUE: &str = "supplement_overdue";
/// Days before a supplement's due date that the applicant is reminded.
pub const SUPPLEMENT_REMINDER_DAYS: i64 = 7;
/// Days after filing that an unpaid case gets its reminder.
pub const UNPAID_AFTER_DAYS: i64 = 30;
/// Days before the window locks that holders who have not filed are reminded.
pub const CLOSING_REMINDER_DAYS: i64 = 14;
/// Card holders without an account get mail in English first (foreign professionals).
const CARD_ONLY_LOCALE: &str = "en";

pub(crate) async fn run(jobs: &Jobs, name: &str, as_of: DateTime<Utc>) -> Result<Ran, RunError> {
    let today = taipei_date(as_of);
    match name {
        "window_open_reminders" => window_mails(jobs, WindowMail::Open, today, as_of).await,
        "window_closing_reminders" => window_mails(jobs, WindowMail::Closing, today, as_of).await,
        "window_lock_notices" => window_mails(jobs, WindowMail::Locked, today, as_of).await,
        "supplement_deadlines" => supplement_deadlines(jobs, today, as_of).await,
        "sla_digest" => sla_digest(jobs, today, as_of).await,
        "unpaid_reminders" => unpaid_reminders(jobs, today, as_of).await,
        "outbox_dispatch" => outbox_dispatch(jobs, as_of).await,
        "forget_form_keys" => Ok(Ran {
            forgotten: goldcard_store::idempotency::purge(&jobs.db, as_of - TimeDelta::days(crate::FORM_KEY_DAYS))
                .await?,
            ..Ran::default()
        }),
        other => Err(RunError::UnknownJob(other.to_string())),
    }
}

/// Writes `mails`; counts the new ones and the ones an earlier run wrote.
async fn write(jobs: &Jobs, mails: Vec<Mail>, as_of: DateTime<Utc>, ran: &mut Ran) -> Result<(), RunError> {
    let total = mails.len() as u64;
    let written = outbox::enqueue(&jobs.db, mails, as_of).await?;
    ran.mails_written += written;
    ran.already_written += total - written;
    Ok(())
}

// ------------------------------------------------------------------ filing windows

/// The three mails about a card's filing window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WindowMail {
    /// On `opens_on`.
    Open,
    /// [`CLOSING_REMINDER_DAYS`] before `locks_on`.
    Closing,
    /// On `locks_on`.
    Locked,
}

impl WindowMail {
    fn template(self) -> &'static str {
        match self {
            WindowMail::Open => "window_open",
            WindowMail::Closing => "window_closing",
            WindowMail::Locked => "window_locked",
        }
    }

    /// The day the mail is due for a card with this window.
    fn due_on(self, w: &FilingWindow) -> NaiveDate {
        match self {
            WindowMail::Open => w.opens_on,
            WindowMail::Closing => w.locks_on - TimeDelta::days(CLOSING_REMINDER_DAYS),
            WindowMail::Locked => w.locks_on,
        }
    }

    /// Whether the mail still makes sense on `today` (caught up late, the window may have
    /// moved on).
    fn still_true(self, w: &FilingWindow, today: NaiveDate) -> bool {
        match self {
            WindowMail::Open | WindowMail::Closing => w.status_on(today) == WindowStatus::Open,
            WindowMail::Locked => w.status_on(today) == WindowStatus::Locked,
        }
    }

    /// The expiry dates whose mail is due between `from` and `to`: a range a little wider
    /// than the exact one (month ends clamp), narrowed by [`WindowMail::due_on`].
    fn expiry_range(self, from: NaiveDate, to: NaiveDate) -> (NaiveDate, NaiveDate) {
        let (months, days) = match self {
            WindowMail::Open => (4, 0),
            WindowMail::Closing => (1, CLOSING_REMINDER_DAYS),
            WindowMail::Locked => (1, 0),
        };
        let slack = TimeDelta::days(4);
        (
            add_months_clamped(from + TimeDelta::days(days), months) - slack,
            add_months_clamped(to + TimeDelta::days(days), months) + slack,
        )
    }
}

/// Mails every holder whose `kind` mail fell due in the last [`CATCH_UP_DAYS`] days and
/// who has no extension pending.
async fn window_mails(jobs: &Jobs, kind: WindowMail, today: NaiveDate, as_of: DateTime<Utc>) -> Result<Ran, RunError> {
    let from = today - TimeDelta::days(CATCH_UP_DAYS - 1);
    let (lo, hi) = kind.expiry_range(from, today);
    let found = cards::Entity::find()
        .filter(cards::Column::ExpiresOn.between(lo, hi))
        // an open case holds open_card_id (unique): no reminder to a holder who has filed
        .filter(Expr::cust(
            "NOT EXISTS (SELECT 1 FROM cases WHERE cases.open_card_id = cards.id)",
        ))
        .all(&jobs.db)
        .await
        .map_err(goldcard_store::StoreError::from)?;
    let mut mails = Vec::new();
    for card in found {
        let window = FilingWindow::for_expiry(card.expires_on);
        let due = kind.due_on(&window);
        if due < from || due > today || !kind.still_true(&window, today) {
            continue;
        }
        let to = match card.holder_account_id {
            Some(id) => MailTo::Account(id),
            None => MailTo::Address {
                email: card.email.clone(),
                locale: CARD_ONLY_LOCALE.to_string(),
            },
        };
        mails.push(Mail {
            dedupe_key: format!("{}:card:{}:{}", kind.template(), card.id, card.expires_on),
            case_id: None,
            template: kind.template().to_string(),
            to,
            payload: json!({
                "ui_number": card.ui_number,
                "holder_name": format!("{} {}", card.given_name, card.family_name),
                "card_expires_on": window.expires_on,
                "window_opens_on": window.opens_on,
                "window_locks_on": window.locks_on,
            }),
        });
    }
    let mut ran = Ran::default();
    write(jobs, mails, as_of, &mut ran).await?;
    Ok(ran)
}

// ------------------------------------------------------------------ cases

/// The states a supplement waits in: those the workflow lets `supplement_overdue` leave.
fn supplement_states(jobs: &Jobs) -> Vec<String> {
    let mut states: Vec<String> = jobs
        .workflow
        .edges
        .iter()
        .filter(|e| e.event == SUPPLEMENT_OVERDUE)
        .flat_map(|e| e.from.iter().map(|s| jobs.workflow.state(*s).name.clone()))
        .collect();
    states.sort();
    states.dedup();
    states
}

/// The payload case mails show (as the store's transitions write it).
fn case_payload(c: &cases::Model) -> Value {
    json!({
        "case_number": c.case_number,
        "state": c.state,
        "applicant_name": c.applicant_name,
        "fee_twd": c.fee_twd,
        "filed_on": taipei_date(c.filed_at),
        "supplement_due_on": c.supplement_due_on,
        "supplement_items": c.supplement_items.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok()),
    })
}

async fn supplement_deadlines(jobs: &Jobs, today: NaiveDate, as_of: DateTime<Utc>) -> Result<Ran, RunError> {
    let states = supplement_states(jobs);
    let mut ran = Ran::default();
    // reminders: due within the next seven days
    let soon = cases::Entity::find()
        .filter(cases::Column::State.is_in(states.clone()))
        .filter(cases::Column::SupplementDueOn.between(
            today + TimeDelta::days(1),
            today + TimeDelta::days(SUPPLEMENT_REMINDER_DAYS),
        ))
        .all(&jobs.db)
        .await
        .map_err(goldcard_store::StoreError::from)?;
    let mails = soon
        .iter()
        .filter_map(|c| {
            let due = c.supplement_due_on?;
            Some(Mail {
                dedupe_key: format!("supplement_reminder:case:{}:{due}", c.id),
                case_id: Some(c.id),
                template: "supplement_reminder".to_string(),
                to: MailTo::Account(c.filer_account_id),
                payload: case_payload(c),
            })
        })
        .collect();
    write(jobs, mails, as_of, &mut ran).await?;

    // the day after the due date: the case goes back to its reviewer, marked overdue
    let overdue = cases::Entity::find()
        .filter(cases::Column::State.is_in(states))
        .filter(cases::Column::SupplementDueOn.lt(today))
        .order_by_asc(cases::Column::SupplementDueOn)
        .all(&jobs.db)
        .await
        .map_err(goldcard_store::StoreError::from)?;
    let rules = Rules {
        workflow: &jobs.workflow,
        catalogs: &jobs.catalogs,
    };
    let payload = Map::new();
    for c in overdue {
        let request = EventRequest {
            event: SUPPLEMENT_OVERDUE,
            expected_version: Some(c.version),
            payload: &payload,
            reassign_target: None,
            attachments: &[],
        };
        match events::fire(&jobs.db, rules, Actor::SYSTEM, &c.case_number, request, as_of).await {
            Ok(_) => ran.events_fired += 1,
            // the supplement arrived (or another instance fired) meanwhile: nothing to do
            Err(FireError::Refused(Refusal::VersionConflict { .. } | Refusal::InvalidTransition { .. })) => {}
            Err(e) => ran.problems.push(format!("{}: {e}", c.case_number)),
        }
    }
    Ok(ran)
}

async fn unpaid_reminders(jobs: &Jobs, today: NaiveDate, as_of: DateTime<Utc>) -> Result<Ran, RunError> {
    let initial = jobs.workflow.state(jobs.workflow.initial).name.clone();
    // filed UNPAID_AFTER_DAYS ago or up to CATCH_UP_DAYS more (Taipei dates)
    let newest = start_of_taipei_day(today - TimeDelta::days(UNPAID_AFTER_DAYS - 1));
    let oldest = start_of_taipei_day(today - TimeDelta::days(UNPAID_AFTER_DAYS + CATCH_UP_DAYS - 1));
    let unpaid = cases::Entity::find()
        .filter(cases::Column::State.eq(initial))
        .filter(cases::Column::FiledAt.gte(oldest))
        .filter(cases::Column::FiledAt.lt(newest))
        .all(&jobs.db)
        .await
        .map_err(goldcard_store::StoreError::from)?;
    let mails = unpaid
        .iter()
        .map(|c| Mail {
            dedupe_key: format!("unpaid_reminder:case:{}", c.id),
            case_id: Some(c.id),
            template: "unpaid_reminder".to_string(),
            to: MailTo::Account(c.filer_account_id),
            payload: case_payload(c),
        })
        .collect();
    let mut ran = Ran::default();
    write(jobs, mails, as_of, &mut ran).await?;
    Ok(ran)
}

/// 00:00 in Taipei on `day`, as UTC.
async fn sla_digest(jobs: &Jobs, today: NaiveDate, as_of: DateTime<Utc>) -> Result<Ran, RunError> {
    let wf = &jobs.workflow;
    let mut mails = Vec::new();
    for role in wf.roles.iter().filter(|r| r.supervisor) {
        let Some(agency) = role.agency.clone() else { continue };
        // a supplement's state belongs to no agency and its time does not count
        let overdue = cases::Entity::find()
            .filter(goldcard_store::queues::overdue_condition(wf, &agency, today))
            .order_by_asc(cases::Column::SlaDueOn)
            .all(&jobs.db)
            .await
            .map_err(goldcard_store::StoreError::from)?;
        if overdue.is_empty() {
            continue;
        }
        let people = names(jobs, overdue.iter().filter_map(|c| c.assignee_id).collect()).await?;
        let listed: Vec<Value> = overdue
            .iter()
            .filter_map(|c| {
                let due = c.sla_due_on?;
                Some(json!({
                    "case_number": c.case_number,
                    "applicant_name": c.applicant_name,
                    "state": c.state,
                    "due_on": due,
                    "working_days_overdue": jobs.catalogs.calendar.working_days_between(due, today),
                    "assignee": c.assignee_id.and_then(|a| people.get(&a).cloned()),
                }))
            })
            .collect();
        let supervisors: Vec<i64> = accounts::Entity::find()
            .select_only()
            .column(accounts::Column::Id)
            .filter(accounts::Column::Role.eq(role.role.as_str()))
            .filter(accounts::Column::Active.eq(true))
            .into_tuple()
            .all(&jobs.db)
            .await
            .map_err(goldcard_store::StoreError::from)?;
        for id in supervisors {
            mails.push(Mail {
                dedupe_key: format!("sla_digest:{today}:account:{id}"),
                case_id: None,
                template: "sla_digest".to_string(),
                to: MailTo::Account(id),
                payload: json!({ "as_of": today, "agency": agency, "cases": listed }),
            });
        }
    }
    let mut ran = Ran::default();
    write(jobs, mails, as_of, &mut ran).await?;
    Ok(ran)
}

/// Display names of accounts.
async fn names(jobs: &Jobs, ids: Vec<i64>) -> Result<HashMap<i64, String>, RunError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(accounts::Entity::find()
        .select_only()
        .column(accounts::Column::Id)
        .column(accounts::Column::DisplayName)
        .filter(accounts::Column::Id.is_in(ids))
        .into_tuple::<(i64, String)>()
        .all(&jobs.db)
        .await
        .map_err(goldcard_store::StoreError::from)?
        .into_iter()
        .collect())
}

// ------------------------------------------------------------------ outbox

/// Sends what is due, round after round, until a round sends nothing more. Mail falls
/// due on real time: a frozen "as of" in the past does not hold it back.
async fn outbox_dispatch(jobs: &Jobs, as_of: DateTime<Utc>) -> Result<Ran, RunError> {
    let mut ran = Ran::default();
    loop {
        let now = Ord::max(as_of, Utc::now());
        let report = goldcard_mail::dispatch_once(
            &jobs.db,
            &jobs.mailer,
            &jobs.letterhead,
            now,
            goldcard_mail::dispatcher::BATCH,
        )
        .await?;
        ran.sent += report.sent as u64;
        ran.failed += report.failed as u64;
        if report.sent + report.failed == 0 {
            return Ok(ran);
        }
    }
}
