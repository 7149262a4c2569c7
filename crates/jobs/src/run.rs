//! Running one job: take its lease, record the run, do the work, record the outcome,
//! release the lease.

use crate::{lease, tasks};
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use goldcard_mail::{Letterhead, Transport};
use goldcard_store::StoreError;
use goldcard_store::catalogs::Catalogs;
use goldcard_store::entity::job_runs;
use goldcard_workflow::Workflow;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// What the jobs need: the database, the rules, and the way mail goes out.
#[derive(Clone)]
pub struct Jobs {
    /// The database.
    pub db: DatabaseConnection,
    /// The extension workflow (events are fired through it).
    pub workflow: Arc<Workflow>,
    /// Catalogs, fees and the working-day calendar.
    pub catalogs: Arc<Catalogs>,
    /// Where `outbox_dispatch` sends mail.
    pub mailer: Transport,
    /// The sender and document names of mail.
    pub letterhead: Letterhead,
    /// This instance's name in `job_leases` and `job_runs`.
    pub holder: String,
}

impl Jobs {
    /// A name for this instance: process id and a random suffix.
    pub fn instance_name() -> String {
        format!("pid{}-{}", std::process::id(), hex::encode(rand::random::<[u8; 4]>()))
    }
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ran {
    /// Mails written into the outbox (not counting ones written before).
    pub mails_written: u64,
    /// Mails already in the outbox from an earlier run (skipped).
    pub already_written: u64,
    /// Workflow events fired.
    pub events_fired: u64,
    /// Mails the server accepted (`outbox_dispatch`).
    pub sent: u64,
    /// Mails marked failed (`outbox_dispatch`).
    pub failed: u64,
    /// One-time keys forgotten (`forget_form_keys`).
    pub forgotten: u64,
    /// Per-item problems that did not stop the run (a case that moved on meanwhile…).
    pub problems: Vec<String>,
}

impl fmt::Display for Ran {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} mail(s) written, {} already written before, {} event(s) fired, {} sent, {} failed",
            self.mails_written, self.already_written, self.events_fired, self.sent, self.failed
        )?;
        if self.forgotten > 0 {
            write!(f, ", {} one-time key(s) forgotten", self.forgotten)?;
        }
        for p in &self.problems {
            write!(f, "\n  problem: {p}")?;
        }
        Ok(())
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It ran.
    Ran(Ran),
    /// Another instance holds the lease: it did not run here.
    LeaseHeld {
        /// The instance holding it.
        holder: Option<String>,
    },
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// No job has this name.
    #[error("no job is named `{0}` (see `goldcard jobs list`)")]
    UnknownJob(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The outbox dispatcher failed.
    #[error(transparent)]
    Dispatch(#[from] goldcard_mail::DispatchError),
}

impl From<DbErr> for RunError {
    fn from(e: DbErr) -> Self {
        RunError::Store(StoreError::Db(e))
    }
}

/// How long a lease holds: longer than any run takes; a crashed holder's lease frees
/// itself after this.
fn lease_ttl(name: &str) -> TimeDelta {
    if name == "outbox_dispatch" {
        TimeDelta::minutes(2)
    } else {
        TimeDelta::minutes(15)
    }
}

/// Job runs in progress in this process (see [`drain`]).
static RUNNING: AtomicUsize = AtomicUsize::new(0);
/// Set by [`drain`]: the scheduler starts no new run.
static STOPPING: AtomicBool = AtomicBool::new(false);

/// Counts a run in progress for as long as it lives.
struct Running;

impl Running {
    fn start() -> Running {
        RUNNING.fetch_add(1, Ordering::SeqCst);
        Running
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Whether [`drain`] was called: scheduled runs are skipped from then on.
pub fn stopping() -> bool {
    STOPPING.load(Ordering::SeqCst)
}

/// Graceful shutdown: starts no new scheduled run and waits (up to `patience`) for the
/// runs in progress to finish, so a job is not cut off half-way. Returns how many were
/// still running when patience ran out (0 when all finished).
pub async fn drain(patience: std::time::Duration) -> usize {
    STOPPING.store(true, Ordering::SeqCst);
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        let left = RUNNING.load(Ordering::SeqCst);
        if left == 0 || tokio::time::Instant::now() >= deadline {
            return left;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Runs job `name` as of `as_of`, under its lease.
pub async fn run(jobs: &Jobs, name: &str, as_of: DateTime<Utc>) -> Result<Outcome, RunError> {
    let spec = crate::job(name).ok_or_else(|| RunError::UnknownJob(name.to_string()))?;
    let _running = Running::start();
    let db = &jobs.db;
    let wall = Utc::now().trunc_subsecs(6);
    if !lease::take(db, spec.name, &jobs.holder, lease_ttl(spec.name), wall).await? {
        return Ok(Outcome::LeaseHeld {
            holder: lease::holder(db, spec.name, wall).await?,
        });
    }
    metrics::gauge!("goldcard_job_lease_held", "job" => spec.name).set(1.0);
    let result = record_and_run(jobs, spec.name, as_of.trunc_subsecs(6), wall).await;
    metrics::counter!("goldcard_job_runs_total", "job" => spec.name).increment(1);
    if result.is_err() {
        metrics::counter!("goldcard_job_failures_total", "job" => spec.name).increment(1);
    }
    // a lease left behind by a failed release frees itself after its TTL
    if let Err(e) = lease::release(db, spec.name, &jobs.holder, Utc::now()).await {
        tracing::warn!(job = spec.name, error = %e, "could not release the job lease");
    }
    metrics::gauge!("goldcard_job_lease_held", "job" => spec.name).set(0.0);
    result.map(Outcome::Ran)
}

async fn record_and_run(
    jobs: &Jobs,
    name: &'static str,
    as_of: DateTime<Utc>,
    started: DateTime<Utc>,
) -> Result<Ran, RunError> {
    let row = job_runs::Entity::insert(job_runs::ActiveModel {
        id: NotSet,
        name: Set(name.to_string()),
        holder: Set(jobs.holder.clone()),
        as_of: Set(as_of),
        started_at: Set(started),
        finished_at: Set(None),
        outcome: Set(None),
        detail: Set(None),
    })
    .exec(&jobs.db)
    .await?;
    let result = tasks::run(jobs, name, as_of).await;
    let (outcome, detail) = match &result {
        Ok(ran) => ("ok", ran.to_string()),
        Err(e) => ("error", e.to_string()),
    };
    job_runs::Entity::update_many()
        .col_expr(job_runs::Column::FinishedAt, Expr::value(Utc::now().trunc_subsecs(6)))
        .col_expr(job_runs::Column::Outcome, Expr::value(outcome))
        .col_expr(job_runs::Column::Detail, Expr::value(detail))
        .filter(job_runs::Column::Id.eq(row.last_insert_id))
        .exec(&jobs.db)
        .await?;
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Shutdown waits for a run in progress, starts no new one, and gives up after its
    /// patience.
    #[tokio::test]
    async fn drain_waits_for_runs_in_progress() {
        let run = Running::start();
        let finishing = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            drop(run);
        });
        assert_eq!(drain(Duration::from_millis(20)).await, 1, "cut off after its patience");
        assert!(stopping(), "no new scheduled run starts once draining");
        let started = std::time::Instant::now();
        assert_eq!(drain(Duration::from_secs(10)).await, 0, "the run finished");
        assert!(started.elapsed() >= Duration::from_millis(200), "it waited for the run");
        finishing.await.expect("the run task");
    }
}
