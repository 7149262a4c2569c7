//! The supervisors' dashboards: counts by state, the age of open cases, filed and decided
//! per week, overdue cases by officer. Each figure is a few indexed counts.

use crate::entity::cases;
use crate::error::StoreError;
use crate::queues::{self, agency_states};
use chrono::{Datelike, NaiveDate, TimeDelta};
use goldcard_domain::start_of_taipei_day;
use goldcard_workflow::Workflow;
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};

/// The age bands of the ageing histogram, in days since filing: `(from, to)` inclusive,
/// `to = None` for the last, open band.
pub const AGE_BANDS: [(i64, Option<i64>); 5] =
    [(0, Some(7)), (8, Some(14)), (15, Some(30)), (31, Some(60)), (61, None)];

/// Weeks shown in the filed/decided chart.
pub const WEEKS: usize = 12;

/// The figures of one agency's dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dashboard {
    /// Cases in each of the agency's states (and the supplement state it asked for).
    pub by_state: Vec<(String, u64)>,
    /// Open cases of the agency per age band of [`AGE_BANDS`].
    pub ageing: Vec<u64>,
    /// Per week (Monday) for the last [`WEEKS`] weeks, oldest first: filed, decided.
    pub weekly: Vec<(NaiveDate, u64, u64)>,
    /// Overdue cases by the officer holding them (`None`: unassigned), most first.
    pub overdue_by_officer: Vec<(Option<i64>, u64)>,
}

/// The terminal states a decision ends in (issued, rejected): not withdrawn.
fn decided_states(workflow: &Workflow) -> Vec<String> {
    workflow
        .states
        .iter()
        .filter(|s| s.terminal && s.name != "withdrawn")
        .map(|s| s.name.clone())
        .collect()
}

async fn count<C: ConnectionTrait>(db: &C, cond: Condition) -> Result<u64, StoreError> {
    Ok(cases::Entity::find().filter(cond).count(db).await?)
}

/// The dashboard of `agency` on `today`.
pub async fn dashboard<C: ConnectionTrait>(
    db: &C,
    workflow: &Workflow,
    agency: &str,
    today: NaiveDate,
) -> Result<Dashboard, StoreError> {
    let states = agency_states(workflow, agency);
    let mut by_state = Vec::new();
    for s in &states {
        by_state.push((
            s.clone(),
            count(db, Condition::all().add(cases::Column::State.eq(s.as_str()))).await?,
        ));
    }
    let supplement = Condition::all()
        .add(cases::Column::State.eq("supplement"))
        .add(cases::Column::ReturnState.is_in(states.clone()));
    by_state.push(("supplement".to_string(), count(db, supplement).await?));

    let mut ageing = Vec::new();
    for (from, to) in AGE_BANDS {
        // filed `from` days ago or less long ago than that, and at most `to` days ago
        let mut cond = Condition::all()
            .add(cases::Column::State.is_in(states.clone()))
            .add(cases::Column::FiledAt.lt(start_of_taipei_day(today - TimeDelta::days(from) + TimeDelta::days(1))));
        if let Some(to) = to {
            cond = cond.add(cases::Column::FiledAt.gte(start_of_taipei_day(today - TimeDelta::days(to))));
        }
        ageing.push(count(db, cond).await?);
    }

    let decided = decided_states(workflow);
    let this_monday = today - TimeDelta::days(i64::from(today.weekday().num_days_from_monday()));
    let mut weekly = Vec::new();
    for back in (0..WEEKS).rev() {
        let monday = this_monday - TimeDelta::weeks(back as i64);
        let (start, end) = (
            start_of_taipei_day(monday),
            start_of_taipei_day(monday + TimeDelta::weeks(1)),
        );
        let filed = count(
            db,
            Condition::all()
                .add(cases::Column::FiledAt.gte(start))
                .add(cases::Column::FiledAt.lt(end)),
        )
        .await?;
        let decided = count(
            db,
            Condition::all()
                .add(cases::Column::State.is_in(decided.clone()))
                .add(cases::Column::UpdatedAt.gte(start))
                .add(cases::Column::UpdatedAt.lt(end)),
        )
        .await?;
        weekly.push((monday, filed, decided));
    }

    let mut overdue_by_officer: Vec<(Option<i64>, u64)> = cases::Entity::find()
        .select_only()
        .column(cases::Column::AssigneeId)
        .column_as(cases::Column::Id.count(), "n")
        .filter(queues::overdue_condition(workflow, agency, today))
        .group_by(cases::Column::AssigneeId)
        .into_tuple::<(Option<i64>, i64)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(who, n)| (who, u64::try_from(n).unwrap_or(0)))
        .collect();
    overdue_by_officer.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(Dashboard {
        by_state,
        ageing,
        weekly,
        overdue_by_officer,
    })
}
