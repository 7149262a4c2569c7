//! The agencies' work lists: which cases each queue holds, what "overdue" means, the
//! filters and sorts of the queue screens. The JSON API, the back office, the CSV export,
//! the dashboards and the supervisors' SLA digest all ask here, so each rule is written once.

use crate::entity::cases;
use crate::error::StoreError;
use chrono::NaiveDate;
use goldcard_domain::start_of_taipei_day;
use goldcard_workflow::{AgencyRef, Workflow};
use sea_orm::sea_query::{Condition, NullOrdering};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, Order, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

/// A queue of interfaces.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Queue {
    /// Paid and unclaimed: the labor agency's intake.
    Intake,
    /// In labor review.
    LaborReview,
    /// In immigration review.
    ImmigrationReview,
    /// Waiting for the applicant's documents, asked by this agency.
    Supplement,
    /// Assigned to the caller.
    Mine,
    /// The agency's cases past their review target.
    Overdue,
}

impl Queue {
    /// Every queue, in the order the tabs show them.
    pub const ALL: [Queue; 6] = [
        Queue::Intake,
        Queue::LaborReview,
        Queue::ImmigrationReview,
        Queue::Supplement,
        Queue::Mine,
        Queue::Overdue,
    ];

    /// The queue's name in URLs and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Queue::Intake => "intake",
            Queue::LaborReview => "labor_review",
            Queue::ImmigrationReview => "immigration_review",
            Queue::Supplement => "supplement",
            Queue::Mine => "mine",
            Queue::Overdue => "overdue",
        }
    }

    /// The queue a name names.
    pub fn parse(name: &str) -> Option<Queue> {
        Queue::ALL.into_iter().find(|q| q.as_str() == name)
    }

    /// The one state the queue lists, when it lists exactly one.
    fn single_state(self) -> Option<&'static str> {
        match self {
            Queue::Intake => Some("paid"),
            Queue::LaborReview => Some("labor_review"),
            Queue::ImmigrationReview => Some("immigration_review"),
            _ => None,
        }
    }

    /// Whether the queue's due date is the supplement's (else the review target's).
    pub fn by_supplement_due(self) -> bool {
        self == Queue::Supplement
    }

    /// The names (zh-TW, en) of the queue's tab.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Queue::Intake => ("待分案", "Intake"),
            Queue::LaborReview => ("勞動部審查", "Labor review"),
            Queue::ImmigrationReview => ("移民署審查", "Immigration review"),
            Queue::Supplement => ("補件中", "Supplement"),
            Queue::Mine => ("我的案件", "Mine"),
            Queue::Overdue => ("逾期", "Overdue"),
        }
    }
}

/// The states the workflow gives to an agency (its queues).
pub fn agency_states(workflow: &Workflow, agency: &str) -> Vec<String> {
    workflow
        .states
        .iter()
        .filter(|s| s.agency == Some(AgencyRef::Named(agency.to_string())))
        .map(|s| s.name.clone())
        .collect()
}

/// The agency's states whose time counts against its review target: a case in one of them
/// past its `sla_due_on` is overdue (workflow.md, "Timers").
pub fn agency_review_states(workflow: &Workflow, agency: &str) -> Vec<String> {
    workflow
        .states
        .iter()
        .filter(|s| s.agency == Some(AgencyRef::Named(agency.to_string())) && s.sla_phase.is_some())
        .map(|s| s.name.clone())
        .collect()
}

/// The cases of `agency` past their review target on `today`.
pub fn overdue_condition(workflow: &Workflow, agency: &str, today: NaiveDate) -> Condition {
    Condition::all()
        .add(cases::Column::State.is_in(agency_review_states(workflow, agency)))
        .add(cases::Column::SlaDueOn.lt(today))
}

/// Whether a case shows as overdue on `today`: its running due date (the supplement's while
/// it waits for one) has passed.
pub fn is_overdue(case: &cases::Model, today: NaiveDate) -> bool {
    due_on(case).is_some_and(|d| d < today)
}

/// The case's running due date: the supplement's while it waits for one, else the review
/// target.
pub fn due_on(case: &cases::Model) -> Option<NaiveDate> {
    running_due(&case.state, case.supplement_due_on, case.sla_due_on)
}

fn running_due(state: &str, supplement_due_on: Option<NaiveDate>, sla_due_on: Option<NaiveDate>) -> Option<NaiveDate> {
    if state == "supplement" {
        supplement_due_on
    } else {
        sla_due_on
    }
}

/// The columns a queue, search or export row shows: a page reads these, not the whole
/// case (whose filing form alone is kilobytes).
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct QueueRow {
    /// Row id.
    pub id: i64,
    /// Case number.
    pub case_number: String,
    /// State.
    pub state: String,
    /// Applicant's name.
    pub applicant_name: String,
    /// Field of expertise.
    pub field: String,
    /// Hong Kong or Macau resident.
    pub hk_macau: bool,
    /// Filed at.
    pub filed_at: chrono::DateTime<chrono::Utc>,
    /// The review phase's due date.
    pub sla_due_on: Option<NaiveDate>,
    /// The supplement's due date.
    pub supplement_due_on: Option<NaiveDate>,
    /// The assignee.
    pub assignee_id: Option<i64>,
}

impl QueueRow {
    /// The columns [`QueueRow`] reads, in its order.
    pub const COLUMNS: [cases::Column; 10] = [
        cases::Column::Id,
        cases::Column::CaseNumber,
        cases::Column::State,
        cases::Column::ApplicantName,
        cases::Column::Field,
        cases::Column::HkMacau,
        cases::Column::FiledAt,
        cases::Column::SlaDueOn,
        cases::Column::SupplementDueOn,
        cases::Column::AssigneeId,
    ];

    /// The running due date (see [`due_on`]).
    pub fn due_on(&self) -> Option<NaiveDate> {
        running_due(&self.state, self.supplement_due_on, self.sla_due_on)
    }

    /// Whether the running due date has passed (see [`is_overdue`]).
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.due_on().is_some_and(|d| d < today)
    }
}

/// One page (1-based) of `query`, reading only a queue row's columns.
pub async fn rows<C: ConnectionTrait>(
    db: &C,
    query: Select<cases::Entity>,
    page: u64,
    per_page: u64,
) -> Result<Vec<QueueRow>, StoreError> {
    Ok(query
        .select_only()
        .columns(QueueRow::COLUMNS)
        .offset(page.saturating_sub(1) * per_page)
        .limit(per_page)
        .into_model::<QueueRow>()
        .all(db)
        .await?)
}

/// Who a queue is being read for.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    /// The reader's agency (`labor`, `immigration`).
    pub agency: &'a str,
    /// The reader's account (the `mine` queue).
    pub account_id: i64,
}

/// Why a queue cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QueueError {
    /// The queue lists another agency's cases.
    #[error("the `{queue}` queue is not of the {agency} agency")]
    NotOfAgency {
        /// The queue.
        queue: &'static str,
        /// The reader's agency.
        agency: String,
    },
}

/// Who holds the cases a filter asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    /// Nobody (unclaimed).
    Nobody,
    /// This account.
    Account(i64),
}

/// The queue screens' filters; `None` filters nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Field of expertise code.
    pub field: Option<String>,
    /// Hong Kong or Macau residents (or not).
    pub hk_macau: Option<bool>,
    /// Who holds the case.
    pub assignee: Option<AssigneeFilter>,
    /// Past its due date (or not).
    pub overdue: Option<bool>,
    /// Filed on or after this Taipei date.
    pub filed_from: Option<NaiveDate>,
    /// Filed on or before this Taipei date.
    pub filed_to: Option<NaiveDate>,
}

impl Filter {
    /// Whether any filter is set.
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }
}

/// The orders a queue can be read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Due date, soonest first (the default: what is most urgent).
    #[default]
    DueOn,
    /// Due date, latest first.
    DueOnDesc,
    /// Filing time, oldest first.
    FiledAt,
    /// Filing time, newest first.
    FiledAtDesc,
}

impl Sort {
    /// Every sort, with its name.
    pub const ALL: [Sort; 4] = [Sort::DueOn, Sort::DueOnDesc, Sort::FiledAt, Sort::FiledAtDesc];

    /// The sort's name in URLs and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Sort::DueOn => "due_on",
            Sort::DueOnDesc => "-due_on",
            Sort::FiledAt => "filed_at",
            Sort::FiledAtDesc => "-filed_at",
        }
    }

    /// The sort a name names.
    pub fn parse(name: &str) -> Option<Sort> {
        Sort::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// The cases `queue` holds for `reader`, narrowed by `filter`, as of `today`.
pub fn condition(
    workflow: &Workflow,
    queue: Queue,
    reader: &Reader<'_>,
    filter: &Filter,
    today: NaiveDate,
) -> Result<Condition, QueueError> {
    let mine = agency_states(workflow, reader.agency);
    let refuse = || QueueError::NotOfAgency {
        queue: queue.as_str(),
        agency: reader.agency.to_string(),
    };
    let mut cond = match queue {
        Queue::Intake | Queue::LaborReview | Queue::ImmigrationReview => {
            let state = queue.single_state().unwrap_or_default();
            if !mine.iter().any(|m| m == state) {
                return Err(refuse());
            }
            Condition::all().add(cases::Column::State.eq(state))
        }
        Queue::Supplement => Condition::all()
            .add(cases::Column::State.eq("supplement"))
            .add(cases::Column::ReturnState.is_in(mine)),
        Queue::Mine => Condition::all().add(cases::Column::AssigneeId.eq(reader.account_id)),
        Queue::Overdue => overdue_condition(workflow, reader.agency, today),
    };
    if let Some(field) = &filter.field {
        cond = cond.add(cases::Column::Field.eq(field.as_str()));
    }
    if let Some(hk) = filter.hk_macau {
        cond = cond.add(cases::Column::HkMacau.eq(hk));
    }
    match filter.assignee {
        None => {}
        Some(AssigneeFilter::Nobody) => cond = cond.add(cases::Column::AssigneeId.is_null()),
        Some(AssigneeFilter::Account(id)) => cond = cond.add(cases::Column::AssigneeId.eq(id)),
    }
    match filter.overdue {
        None => {}
        Some(true) if queue.by_supplement_due() => cond = cond.add(cases::Column::SupplementDueOn.lt(today)),
        Some(true) => cond = cond.add(cases::Column::SlaDueOn.lt(today)),
        Some(false) if queue.by_supplement_due() => {
            cond = cond.add(
                Condition::any()
                    .add(cases::Column::SupplementDueOn.gte(today))
                    .add(cases::Column::SupplementDueOn.is_null()),
            )
        }
        Some(false) => {
            cond = cond.add(
                Condition::any()
                    .add(cases::Column::SlaDueOn.gte(today))
                    .add(cases::Column::SlaDueOn.is_null()),
            )
        }
    }
    if let Some(from) = filter.filed_from {
        cond = cond.add(cases::Column::FiledAt.gte(start_of_taipei_day(from)));
    }
    if let Some(to) = filter.filed_to
        && let Some(next) = to.succ_opt()
    {
        cond = cond.add(cases::Column::FiledAt.lt(start_of_taipei_day(next)));
    }
    Ok(cond)
}

/// The cases matching `cond` in the queue's order (ties broken by id, so pages are stable).
pub fn sorted(queue: Queue, cond: Condition, sort: Sort) -> Select<cases::Entity> {
    let due = if queue.by_supplement_due() {
        cases::Column::SupplementDueOn
    } else {
        cases::Column::SlaDueOn
    };
    let query = cases::Entity::find().filter(cond);
    match sort {
        Sort::DueOn => query.order_by_with_nulls(due, Order::Asc, NullOrdering::Last),
        Sort::DueOnDesc => query.order_by_with_nulls(due, Order::Desc, NullOrdering::Last),
        Sort::FiledAt => query.order_by_asc(cases::Column::FiledAt),
        Sort::FiledAtDesc => query.order_by_desc(cases::Column::FiledAt),
    }
    .order_by_asc(cases::Column::Id)
}

/// One page (1-based) of a sorted query: the rows' queue columns.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    query: Select<cases::Entity>,
    page: u64,
    per_page: u64,
) -> Result<Vec<QueueRow>, StoreError> {
    rows(db, query, page, per_page).await
}

/// How many cases match `cond`, exactly.
pub async fn count<C: ConnectionTrait>(db: &C, cond: Condition) -> Result<u64, StoreError> {
    Ok(cases::Entity::find().filter(cond).count(db).await?)
}

/// How many cases match `cond`, counting no further than `cap` (a screen shows "10,000+"
/// rather than scan a million rows to print an exact number nobody needs).
pub async fn count_up_to<C: ConnectionTrait>(db: &C, cond: Condition, cap: u64) -> Result<u64, StoreError> {
    let n = match db.query_one(&count_up_to_statement(cond, cap)).await? {
        Some(row) => row.try_get::<i64>("", "n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The statement [`count_up_to`] runs: `COUNT(*) AS n` over the ids of at most `cap`
/// matching cases (its plan is tested to read an index alone for every tab).
pub fn count_up_to_statement(cond: Condition, cap: u64) -> sea_orm::sea_query::SelectStatement {
    use sea_orm::QueryTrait;
    use sea_orm::sea_query::{Expr, SelectStatement};
    let capped = cases::Entity::find()
        .select_only()
        .column(cases::Column::Id)
        .filter(cond)
        .limit(cap)
        .into_query();
    SelectStatement::new()
        .expr(Expr::cust("COUNT(*) AS n"))
        .from_subquery(capped, "capped")
        .to_owned()
}
