//! The schedule: [`crate::JOBS`]' cron expressions, with overrides from the
//! configuration, validated at start-up; and the tokio-cron-scheduler that runs them.

use crate::{JOBS, Jobs, Outcome, run};
use goldcard_domain::{Clock, taipei};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio_cron_scheduler::{Job, JobScheduler, JobSchedulerError};

/// A job's schedule turned off in the configuration.
pub const OFF: &str = "off";

/// Why a schedule was refused.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// The configuration names a job that does not exist.
    #[error("the schedule names job `{0}`, which does not exist (jobs: {jobs})", jobs = crate::JOBS.map(|j| j.name).join(", "))]
    UnknownJob(String),
    /// A cron expression did not parse.
    #[error(
        "the schedule of job `{job}`, `{cron}`, is not a six-field cron expression (sec min hour day month weekday): {reason}"
    )]
    BadCron {
        /// The job.
        job: String,
        /// Its expression.
        cron: String,
        /// What the parser said.
        reason: String,
    },
    /// The scheduler could not start.
    #[error("the job scheduler: {0}")]
    Scheduler(String),
}

impl From<JobSchedulerError> for ScheduleError {
    fn from(e: JobSchedulerError) -> Self {
        ScheduleError::Scheduler(format!("{e:?}"))
    }
}

/// Each job's cron expression (Asia/Taipei), or none when turned off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    entries: Vec<(&'static str, Option<String>)>,
}

fn bad_cron(job: &str, cron: &str, e: JobSchedulerError) -> ScheduleError {
    ScheduleError::BadCron {
        job: job.to_string(),
        cron: cron.to_string(),
        reason: format!("{e:?}"),
    }
}

impl Schedule {
    /// The defaults of [`JOBS`], with `overrides` (job name → cron expression or `off`).
    /// Every name and expression is checked.
    pub fn new(overrides: &BTreeMap<String, String>) -> Result<Schedule, ScheduleError> {
        if let Some(unknown) = overrides.keys().find(|k| crate::job(k).is_none()) {
            return Err(ScheduleError::UnknownJob(unknown.clone()));
        }
        let mut entries = Vec::new();
        for spec in JOBS {
            let cron = overrides
                .get(spec.name)
                .map_or(spec.cron, String::as_str)
                .trim()
                .to_string();
            if cron == OFF {
                entries.push((spec.name, None));
                continue;
            }
            Job::new_async_tz(cron.as_str(), taipei(), |_, _| Box::pin(async {}))
                .map_err(|e| bad_cron(spec.name, &cron, e))?;
            entries.push((spec.name, Some(cron)));
        }
        Ok(Schedule { entries })
    }

    /// Reads overrides written `name=cron;name=cron` (the `GOLDCARD_JOBS` variable).
    pub fn parse_overrides(text: &str) -> Result<BTreeMap<String, String>, ScheduleError> {
        let mut map = BTreeMap::new();
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, cron) = part.split_once('=').ok_or_else(|| ScheduleError::BadCron {
                job: part.to_string(),
                cron: String::new(),
                reason: "expected `name=cron expression`".into(),
            })?;
            map.insert(name.trim().to_string(), cron.trim().to_string());
        }
        Ok(map)
    }

    /// `(job, cron or None when off)`, in the order of [`JOBS`].
    pub fn entries(&self) -> impl Iterator<Item = (&'static str, Option<&str>)> {
        self.entries.iter().map(|(n, c)| (*n, c.as_deref()))
    }
}

/// Starts a scheduler running every job of `schedule` as of `clock`'s time.
pub async fn start_scheduler(
    jobs: Arc<Jobs>,
    schedule: &Schedule,
    clock: Arc<dyn Clock>,
) -> Result<JobScheduler, ScheduleError> {
    let scheduler = JobScheduler::new().await?;
    for (name, cron) in schedule.entries() {
        let Some(cron) = cron else { continue };
        let (jobs, clock) = (jobs.clone(), clock.clone());
        let job = Job::new_async_tz(cron, taipei(), move |_, _| {
            let (jobs, clock) = (jobs.clone(), clock.clone());
            Box::pin(async move {
                if crate::run::stopping() {
                    return;
                }
                match run(&jobs, name, clock.now()).await {
                    Ok(Outcome::Ran(ran)) => {
                        if ran != crate::Ran::default() {
                            tracing::info!(job = name, "{ran}");
                        }
                    }
                    Ok(Outcome::LeaseHeld { holder }) => {
                        tracing::debug!(job = name, holder = ?holder, "lease held elsewhere");
                    }
                    Err(e) => tracing::error!(job = name, error = %e, "job failed"),
                }
            })
        })
        .map_err(|e| bad_cron(name, cron, e))?;
        scheduler.add(job).await?;
    }
    scheduler.start().await?;
    Ok(scheduler)
}
