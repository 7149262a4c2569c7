//! The scheduled jobs of goldcard (workflow.md "Timers", the reminders of the scheduler
//! issue), declared in one place: [`JOBS`].
//!
//! - Each job is a named task that takes an "as of" instant, so the scheduler, the CLI
//!   (`goldcard jobs run NAME --now …`) and the tests run the very same code.
//! - Each run holds a database lease ([`lease`]) so that of several `goldcard serve`
//!   instances on one database only one runs a job at a time, and is recorded in
//!   `job_runs`.
//! - Each job is idempotent: every mail it writes has a dedupe key naming what it is about
//!   (the card and its expiry, the case and its due date, the supervisor and the day), so
//!   a second run, on the same day or by a second instance, writes nothing; events are
//!   fired through the workflow engine, which refuses a second `supplement_overdue`.
//! - Schedules are six-field cron expressions (seconds first) in Asia/Taipei time;
//!   [`Schedule`] validates them and any overrides from the configuration at start-up.

pub mod lease;
mod run;
mod schedule;
mod tasks;

pub use run::{Jobs, Outcome, Ran, RunError, drain, run, stopping};
pub use schedule::{Schedule, ScheduleError, start_scheduler};

/// A scheduled job: its name, its default schedule and what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobSpec {
    /// The name used by `goldcard jobs run` and the configuration.
    pub name: &'static str,
    /// Six-field cron (sec min hour day month weekday), Asia/Taipei.
    pub cron: &'static str,
    /// What it does.
    pub about: &'static str,
}

/// Every job goldcard runs, with its default schedule (Asia/Taipei).
pub const JOBS: [JobSpec; 8] = [
    JobSpec {
        name: "window_open_reminders",
        cron: "0 0 8 * * *",
        about: "email each holder on the day their filing window opens (4 months before expiry)",
    },
    JobSpec {
        name: "window_closing_reminders",
        cron: "0 5 8 * * *",
        about: "email holders with no extension filed two weeks before the window locks",
    },
    JobSpec {
        name: "window_lock_notices",
        cron: "0 10 8 * * *",
        about: "on the lock day, tell holders with no extension that the online extension is closed and what they can do instead",
    },
    JobSpec {
        name: "supplement_deadlines",
        cron: "0 15 0 * * *",
        about: "remind applicants 7 days before a supplement is due; fire supplement_overdue the day after it",
    },
    JobSpec {
        name: "sla_digest",
        cron: "0 30 7 * * *",
        about: "email each supervisor their agency's overdue cases (working days, supplement time not counted)",
    },
    JobSpec {
        name: "unpaid_reminders",
        cron: "0 20 8 * * *",
        about: "one reminder for cases unpaid 30 days after filing",
    },
    JobSpec {
        name: "forget_form_keys",
        cron: "0 40 3 * * *",
        about: "forget the one-time keys of forms and API calls older than 7 days (a form is not sent again a week later)",
    },
    JobSpec {
        name: "outbox_dispatch",
        cron: "*/5 * * * * *",
        about: "send the mail waiting in the outbox",
    },
];

/// The job named `name`.
pub fn job(name: &str) -> Option<&'static JobSpec> {
    JOBS.iter().find(|j| j.name == name)
}

/// How long the one-time key of a form or an API call is remembered.
pub const FORM_KEY_DAYS: i64 = 7;

/// How many days back a daily job catches up on, should the scheduler not have run (a
/// date that fell in that time is still acted on; the dedupe keys keep it to once).
pub const CATCH_UP_DAYS: i64 = 7;
