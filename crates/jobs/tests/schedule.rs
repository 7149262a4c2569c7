//! The schedule: defaults that parse, and start-up errors that name the job.
#![allow(clippy::unwrap_used, missing_docs)]

use goldcard_jobs::{JOBS, Schedule, ScheduleError};
use std::collections::BTreeMap;

#[test]
fn every_default_schedule_parses_and_every_job_is_listed_once() {
    let s = Schedule::new(&BTreeMap::new()).unwrap();
    let names: Vec<&str> = s.entries().map(|(n, _)| n).collect();
    assert_eq!(names, JOBS.map(|j| j.name).to_vec());
    assert!(s.entries().all(|(_, cron)| cron.is_some()));
    assert_eq!(
        names,
        [
            "window_open_reminders",
            "window_closing_reminders",
            "window_lock_notices",
            "supplement_deadlines",
            "sla_digest",
            "unpaid_reminders",
            "forget_form_keys",
            "outbox_dispatch"
        ]
    );
}

#[test]
fn an_unknown_job_name_is_an_error_naming_it() {
    let overrides = Schedule::parse_overrides("window_open_reminders=0 0 9 * * *;window_opn=0 0 9 * * *").unwrap();
    let err = Schedule::new(&overrides).unwrap_err();
    assert!(
        matches!(&err, ScheduleError::UnknownJob(n) if n == "window_opn"),
        "{err:?}"
    );
    assert!(err.to_string().contains("`window_opn`"), "{err}");
}

#[test]
fn a_malformed_cron_expression_is_an_error_naming_the_job_and_the_expression() {
    for bad in ["0 0 25 * * *", "every day", "0 0 8 * *x *"] {
        let overrides = BTreeMap::from([("sla_digest".to_string(), bad.to_string())]);
        let err = Schedule::new(&overrides).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("`sla_digest`") && text.contains(bad), "{text}");
    }
}

#[test]
fn overrides_replace_defaults_and_off_turns_a_job_off() {
    let overrides = Schedule::parse_overrides(" outbox_dispatch = off ; sla_digest=0 0 6 * * 1-5 ").unwrap();
    let s = Schedule::new(&overrides).unwrap();
    let map: BTreeMap<&str, Option<&str>> = s.entries().collect();
    assert_eq!(map["outbox_dispatch"], None);
    assert_eq!(map["sla_digest"], Some("0 0 6 * * 1-5"));
    assert_eq!(map["window_open_reminders"], Some("0 0 8 * * *"));
    assert!(Schedule::parse_overrides("no equals sign").is_err());
}
