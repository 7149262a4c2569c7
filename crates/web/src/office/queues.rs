//! `/office/queues/{queue}`: an agency's work list with tabs and counts, filters, sorting,
//! paging, claiming, and the supervisors' bulk assignment.

use super::{Ctx, PageForm};
use crate::error::{ApiError, ApiResult};
use crate::service;
use crate::{AppState, auth::Caller};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use goldcard_store::queues::{self, AssigneeFilter, Filter, Queue, Reader, Sort};
use goldcard_views::components::{FieldMessage, Tab};
use goldcard_views::office::queue::{FilterValues, QueueScreen, assign_confirm_page, queue_page};
use goldcard_workflow::Role;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Rows per page on the screens.
pub const PER_PAGE: u64 = 50;
/// Counts on tabs stop here ("10000+").
pub const COUNT_CAP: u64 = 10_000;
/// How long a count is reused: the tabs of every officer of an agency share their counts
/// for this long instead of counting again on every page view.
pub const COUNT_TTL: Duration = Duration::from_secs(10);

/// Counts of queue pages, shared for [`COUNT_TTL`].
#[derive(Default)]
pub struct CountCache {
    counts: Mutex<HashMap<String, CountEntry>>,
}

/// A cached count: when it was counted, the count, and whether someone is counting it
/// again now.
#[derive(Debug, Clone, Copy)]
struct CountEntry {
    at: Instant,
    n: u64,
    refreshing: bool,
}

impl CountCache {
    /// The count to show for `key`. When a count goes stale, the first caller gets
    /// [`Counted::Stale`] and counts again (in the background, so no page waits for it);
    /// the others keep showing the stale count meanwhile, so that sixteen pages arriving
    /// together do not count sixteen times. A refresh that never came back (an error) is
    /// retried after three lifetimes.
    fn get(&self, key: &str) -> Counted {
        let Ok(mut counts) = self.counts.lock() else {
            return Counted::Missing;
        };
        let Some(e) = counts.get_mut(key) else {
            return Counted::Missing;
        };
        let age = e.at.elapsed();
        if age < COUNT_TTL || (e.refreshing && age < 3 * COUNT_TTL) {
            return Counted::Fresh(e.n);
        }
        e.refreshing = true;
        e.at = Instant::now() - COUNT_TTL;
        Counted::Stale(e.n)
    }

    fn put(&self, key: String, n: u64) {
        if let Ok(mut counts) = self.counts.lock() {
            if counts.len() > 10_000 {
                counts.clear();
            }
            counts.insert(
                key,
                CountEntry {
                    at: Instant::now(),
                    n,
                    refreshing: false,
                },
            );
        }
    }

    /// Forgets every count (after a change the person made, so their own tabs are exact).
    pub fn clear(&self) {
        if let Ok(mut counts) = self.counts.lock() {
            counts.clear();
        }
    }
}

/// What the count cache holds for a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Counted {
    /// Counted less than [`COUNT_TTL`] ago (or being counted again now).
    Fresh(u64),
    /// Too old: show it, and count again.
    Stale(u64),
    /// Never counted.
    Missing,
}

/// The queues an agency has (those whose state is the agency's), in tab order.
pub fn agency_queues(state: &AppState, agency: &str) -> Vec<Queue> {
    let reader = Reader { agency, account_id: 0 };
    Queue::ALL
        .into_iter()
        .filter(|q| queues::condition(&state.workflow, *q, &reader, &Filter::default(), state.today()).is_ok())
        .collect()
}

/// The query string of a queue screen, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct QueueParams {
    page: Option<String>,
    sort: Option<String>,
    field: Option<String>,
    hk_macau: Option<String>,
    assignee: Option<String>,
    overdue: Option<String>,
    filed_from: Option<String>,
    filed_to: Option<String>,
}

fn opt(v: &Option<String>) -> &str {
    v.as_deref().map_or("", str::trim)
}

/// A parsed queue query: the filter, the sort, the page, and what could not be read.
pub struct Parsed {
    /// The filter.
    pub filter: Filter,
    /// The sort.
    pub sort: Sort,
    /// 1-based page.
    pub page: u64,
    /// The values as typed.
    pub values: FilterValues,
    /// What was wrong.
    pub errors: Vec<FieldMessage>,
}

/// Reads the filters of a queue screen (or its CSV export); bad values are reported next to
/// their field and ignored.
pub async fn parse_params(ctx: &Ctx, p: &QueueParams) -> ApiResult<Parsed> {
    let mut errors = Vec::new();
    let mut bad = |field: &str, zh: &str, en: &str| {
        errors.push(FieldMessage {
            field: field.to_string(),
            message: ctx.t(zh, en).to_string(),
        })
    };
    let mut filter = Filter::default();
    let field = opt(&p.field);
    if !field.is_empty() {
        if ctx
            .state
            .catalogs
            .catalog
            .fields
            .iter()
            .any(|f| f.code.as_str() == field)
        {
            filter.field = Some(field.to_string());
        } else {
            bad("field", "沒有這個領域。", "No such field.");
        }
    }
    let yes_no = |v: &str| match v {
        "yes" => Some(Some(true)),
        "no" => Some(Some(false)),
        "" => Some(None),
        _ => None,
    };
    match yes_no(opt(&p.hk_macau)) {
        Some(v) => filter.hk_macau = v,
        None => bad("hk_macau", "請選「是」或「否」。", "Choose yes or no."),
    }
    match yes_no(opt(&p.overdue)) {
        Some(v) => filter.overdue = v,
        None => bad("overdue", "請選「是」或「否」。", "Choose yes or no."),
    }
    let assignee = opt(&p.assignee);
    if assignee == "none" {
        filter.assignee = Some(AssigneeFilter::Nobody);
    } else if !assignee.is_empty() {
        match goldcard_store::accounts::find_by_login(ctx.state.store.db(), assignee).await? {
            Some(a) => filter.assignee = Some(AssigneeFilter::Account(a.id)),
            None => bad("assignee", "沒有這個承辦人。", "No such officer."),
        }
    }
    let date = |v: &str| -> Option<Option<NaiveDate>> {
        if v.is_empty() {
            Some(None)
        } else {
            NaiveDate::parse_from_str(v, "%Y-%m-%d").ok().map(Some)
        }
    };
    match date(opt(&p.filed_from)) {
        Some(d) => filter.filed_from = d,
        None => bad("filed_from", "日期格式為 YYYY-MM-DD。", "Dates are YYYY-MM-DD."),
    }
    match date(opt(&p.filed_to)) {
        Some(d) => filter.filed_to = d,
        None => bad("filed_to", "日期格式為 YYYY-MM-DD。", "Dates are YYYY-MM-DD."),
    }
    if let (Some(a), Some(b)) = (filter.filed_from, filter.filed_to)
        && a > b
    {
        bad("filed_to", "結束日不可早於開始日。", "The end is before the start.");
    }
    let sort = match opt(&p.sort) {
        "" => Sort::default(),
        s => Sort::parse(s).unwrap_or_else(|| {
            bad("sort", "無法依此排序。", "Cannot sort by that.");
            Sort::default()
        }),
    };
    let page = match opt(&p.page) {
        "" => 1,
        s => s.parse::<u64>().ok().filter(|p| *p >= 1).unwrap_or(1),
    };
    let values = FilterValues {
        field: field.to_string(),
        hk_macau: opt(&p.hk_macau).to_string(),
        assignee: assignee.to_string(),
        overdue: opt(&p.overdue).to_string(),
        filed_from: opt(&p.filed_from).to_string(),
        filed_to: opt(&p.filed_to).to_string(),
        sort: sort.as_str().to_string(),
    };
    Ok(Parsed {
        filter,
        sort,
        page,
        values,
        errors,
    })
}

/// The query string of the filters (no page), for links.
pub fn query_string(v: &FilterValues) -> String {
    let pairs: Vec<(&str, &str)> = [
        ("field", v.field.as_str()),
        ("hk_macau", v.hk_macau.as_str()),
        ("assignee", v.assignee.as_str()),
        ("overdue", v.overdue.as_str()),
        ("filed_from", v.filed_from.as_str()),
        ("filed_to", v.filed_to.as_str()),
        (
            "sort",
            if v.sort == Sort::default().as_str() {
                ""
            } else {
                v.sort.as_str()
            },
        ),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .collect();
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// The agency of the caller and the queue named, or why not.
pub fn reader_queue(ctx: &Ctx, name: &str) -> ApiResult<(String, Queue)> {
    let queue = Queue::parse(name)
        .ok_or_else(|| ApiError::not_found("queue_not_found", ctx.t("沒有這個佇列。", "No such queue.")))?;
    let agency = crate::api::queues::agency_of(&ctx.state, &ctx.caller)?;
    Ok((agency, queue))
}

/// The agency's officers who may hold cases, `(login, name)`.
pub async fn officers(state: &AppState, agency: &str) -> ApiResult<Vec<(String, String)>> {
    let roles: Vec<&str> = state
        .workflow
        .roles
        .iter()
        .filter(|r| r.agency.as_deref() == Some(agency))
        .map(|r| r.role.as_str())
        .collect();
    Ok(service::staff(state)
        .await?
        .iter()
        .filter(|m| m.active && roles.contains(&m.role.as_str()))
        .map(|m| (m.login.clone(), m.name.clone()))
        .collect())
}

async fn counted(ctx: &Ctx, key: String, cond: sea_orm::sea_query::Condition) -> ApiResult<u64> {
    match ctx.state.counts.get(&key) {
        Counted::Fresh(n) => Ok(n),
        Counted::Stale(n) => {
            let (db, counts) = (ctx.state.store.db().clone(), ctx.state.counts.clone());
            tokio::spawn(async move {
                let t0 = Instant::now();
                match queues::count_up_to(&db, cond, COUNT_CAP + 1).await {
                    Ok(fresh) => {
                        tracing::debug!(count = fresh, elapsed = ?t0.elapsed(), "counted the queue {key} again");
                        counts.put(key, fresh)
                    }
                    Err(e) => tracing::warn!("counting a queue again: {e}"),
                }
            });
            Ok(n)
        }
        Counted::Missing => {
            let n = queues::count_up_to(ctx.state.store.db(), cond, COUNT_CAP + 1).await?;
            ctx.state.counts.put(key, n);
            Ok(n)
        }
    }
}

fn shown(n: u64) -> String {
    if n > COUNT_CAP {
        format!("{COUNT_CAP}+")
    } else {
        n.to_string()
    }
}

fn is_supervisor(state: &AppState, caller: &Caller) -> bool {
    state.workflow.role(caller.role).is_some_and(|r| r.supervisor)
}

/// `GET /office/queues/{queue}`.
pub async fn page(ctx: Ctx, Path(name): Path<String>, Query(p): Query<QueueParams>) -> Response {
    match render(&ctx, &name, &p).await {
        Ok(r) => r,
        Err(e) => ctx.fail(e),
    }
}

async fn render(ctx: &Ctx, name: &str, p: &QueueParams) -> ApiResult<Response> {
    let (agency, queue) = reader_queue(ctx, name)?;
    let state = &ctx.state;
    let today = state.today();
    let reader = Reader {
        agency: &agency,
        account_id: ctx.caller.account_id,
    };
    let parsed = parse_params(ctx, p).await?;
    let cond = queues::condition(&state.workflow, queue, &reader, &parsed.filter, today)
        .map_err(|e| ApiError::forbidden(e.to_string()))?;
    let mut tabs = Vec::new();
    for q in agency_queues(state, &agency) {
        let c = queues::condition(&state.workflow, q, &reader, &Filter::default(), today)
            .map_err(|e| ApiError::forbidden(e.to_string()))?;
        let key = if q == Queue::Mine {
            format!("mine:{}:{today}", ctx.caller.account_id)
        } else {
            format!("{agency}:{}:{today}", q.as_str())
        };
        let (zh, en) = q.label();
        tabs.push(Tab {
            href: format!("/office/queues/{}", q.as_str()),
            label: ctx.t(zh, en).to_string(),
            count: Some(shown(counted(ctx, key, c).await?)),
            current: q == queue,
        });
    }
    let query = query_string(&parsed.values);
    let total = if parsed.filter.is_empty() {
        tabs.iter()
            .find(|t| t.current)
            .and_then(|t| t.count.as_deref())
            .and_then(|c| c.trim_end_matches('+').parse::<u64>().ok())
            .map(|n| if n >= COUNT_CAP { COUNT_CAP + 1 } else { n })
            .unwrap_or(0)
    } else {
        // a filtered queue counts the same for every officer of the agency, but "mine"
        let key = if queue == Queue::Mine {
            format!("mine:{}:{today}:{query}", ctx.caller.account_id)
        } else {
            format!("{agency}:{}:{today}:{query}", queue.as_str())
        };
        counted(ctx, key, cond.clone()).await?
    };
    let rows = queues::page(
        state.store.db(),
        queues::sorted(queue, cond, parsed.sort),
        parsed.page,
        PER_PAGE,
    )
    .await?;
    let rows = service::items(state, rows).await?;
    let fields: Vec<(String, String)> = state
        .catalogs
        .catalog
        .fields
        .iter()
        .map(|f| (f.code.as_str().to_string(), ctx.t(&f.name_zh, &f.name_en).to_string()))
        .collect();
    let can_assign = is_supervisor(state, &ctx.caller);
    let can_claim = matches!(queue, Queue::Intake | Queue::ImmigrationReview)
        && state.access.may_fire(ctx.caller.role.as_str(), "claim").await;
    let (zh, en) = queue.label();
    let screen = QueueScreen {
        queue: queue.as_str().to_string(),
        title: ctx.t(zh, en).to_string(),
        tabs,
        rows,
        today,
        page: parsed.page,
        per_page: PER_PAGE,
        total: total.min(COUNT_CAP),
        capped: total > COUNT_CAP,
        filters: parsed.values,
        filter_errors: parsed.errors.clone(),
        field_names: fields.clone(),
        fields,
        officers: officers(state, &agency).await?,
        query,
        can_claim,
        can_assign,
    };
    let status = if parsed.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, queue_page(&ctx.chrome, &screen)).into_response())
}

/// The case numbers a bulk action acts on: those ticked, or every case the filters select.
async fn chosen_cases(ctx: &Ctx, queue: Queue, agency: &str, form: &PageForm) -> ApiResult<Vec<String>> {
    if form.get("scope") != "all" {
        return Ok(form.all("case"));
    }
    let p: QueueParams = serde_urlencoded::from_str(form.get("query")).unwrap_or_default();
    let parsed = parse_params(ctx, &p).await?;
    let reader = Reader {
        agency,
        account_id: ctx.caller.account_id,
    };
    let cond = queues::condition(&ctx.state.workflow, queue, &reader, &parsed.filter, ctx.state.today())
        .map_err(|e| ApiError::forbidden(e.to_string()))?;
    // a bulk action is bounded: a supervisor assigns at most this many at once
    let rows = queues::page(ctx.state.store.db(), queues::sorted(queue, cond, parsed.sort), 1, 1_000).await?;
    Ok(rows.into_iter().map(|r| r.case_number).collect())
}

/// What a bulk action did.
struct Outcome {
    done: usize,
    failed: Vec<(String, String)>,
}

fn outcome_text(ctx: &Ctx, verb_zh: &str, verb_en: &str, o: &Outcome) -> String {
    let mut text = match ctx.chrome.lang {
        goldcard_views::Lang::ZhTw => format!("已{verb_zh} {} 件。", o.done),
        goldcard_views::Lang::En => format!("{} cases {verb_en}.", o.done),
    };
    if !o.failed.is_empty() {
        let list: Vec<String> = o.failed.iter().map(|(n, why)| format!("{n}: {why}")).collect();
        text.push_str(&match ctx.chrome.lang {
            goldcard_views::Lang::ZhTw => format!(" {} 件未能處理：{}", o.failed.len(), list.join("；")),
            goldcard_views::Lang::En => format!(" {} could not be: {}", o.failed.len(), list.join("; ")),
        });
    }
    text
}

/// Fires an event on one case with the given payload, through the shared service.
async fn fire(ctx: &Ctx, case_number: &str, event: &str, payload: Value) -> ApiResult<()> {
    let body: Map<String, Value> = payload.as_object().cloned().unwrap_or_default();
    service::fire(&ctx.state, &ctx.caller, case_number, event, None, body)
        .await
        .map(|_| ())
}

/// `POST /office/queues/{queue}/assign`: a supervisor assigns the ticked (or all filtered)
/// cases to an officer, after a confirmation page. A paid case is claimed and then
/// reassigned; others are reassigned. Every change goes through the workflow engine.
pub async fn assign(mut ctx: Ctx, Path(name): Path<String>, form: PageForm) -> Response {
    let result: ApiResult<Response> = async {
        let (agency, queue) = reader_queue(&ctx, &name)?;
        if !is_supervisor(&ctx.state, &ctx.caller) {
            return Err(ApiError::forbidden(
                ctx.t("只有主管可以分派。", "Only supervisors assign."),
            ));
        }
        let officers = officers(&ctx.state, &agency).await?;
        let to = officers
            .iter()
            .find(|(l, _)| l == form.get("to"))
            .cloned()
            .ok_or_else(|| {
                ApiError::validation(vec![goldcard_domain::FieldError::new(
                    "to",
                    "invalid",
                    ctx.t("請選擇承辦人。", "Choose an officer."),
                )])
            })?;
        let cases = chosen_cases(&ctx, queue, &agency, &form).await?;
        if cases.is_empty() {
            return Err(ApiError::validation(vec![goldcard_domain::FieldError::new(
                "case",
                "required",
                ctx.t("請先勾選案件。", "Select some cases first."),
            )]));
        }
        if form.get("confirmed") != "yes" {
            return Ok(assign_confirm_page(
                &ctx.chrome,
                queue.as_str(),
                &to,
                &cases,
                form.get("query"),
                form.get("scope"),
            )
            .into_response());
        }
        let mut o = Outcome {
            done: 0,
            failed: Vec::new(),
        };
        for n in &cases {
            let r = async {
                let case = service::visible_case(&ctx.state, &ctx.caller, n).await?;
                if case.state == "paid" {
                    fire(&ctx, n, "claim", json!({})).await?;
                    if to.0 == ctx.caller.login {
                        return Ok(());
                    }
                } else if case.state == "immigration_review" && case.assignee_id.is_none() && to.0 == ctx.caller.login {
                    return fire(&ctx, n, "claim", json!({})).await;
                }
                fire(&ctx, n, "reassign", json!({"to": to.0})).await
            }
            .await;
            match r {
                Ok(()) => o.done += 1,
                Err(e) => o.failed.push((n.clone(), e.message)),
            }
        }
        ctx.state.counts.clear();
        let text = outcome_text(&ctx, "分派", "assigned", &o);
        ctx.flash(o.failed.is_empty(), text);
        render(&ctx, queue.as_str(), &QueueParams::default()).await
    }
    .await;
    result.unwrap_or_else(|e| ctx.fail(e))
}

/// `POST /office/queues/{queue}/claim`: a reviewer claims the ticked cases.
pub async fn claim(mut ctx: Ctx, Path(name): Path<String>, form: PageForm) -> Response {
    let result: ApiResult<Response> = async {
        let (_, queue) = reader_queue(&ctx, &name)?;
        let cases = form.all("case");
        if cases.is_empty() {
            return Err(ApiError::validation(vec![goldcard_domain::FieldError::new(
                "case",
                "required",
                ctx.t("請先勾選案件。", "Select some cases first."),
            )]));
        }
        let mut o = Outcome {
            done: 0,
            failed: Vec::new(),
        };
        for n in &cases {
            match fire(&ctx, n, "claim", json!({})).await {
                Ok(()) => o.done += 1,
                Err(e) => o.failed.push((n.clone(), e.message)),
            }
        }
        ctx.state.counts.clear();
        let text = outcome_text(&ctx, "領取", "claimed", &o);
        ctx.flash(o.failed.is_empty(), text);
        render(&ctx, queue.as_str(), &QueueParams::default()).await
    }
    .await;
    result.unwrap_or_else(|e| ctx.fail(e))
}

/// Whether a role works queues (for the route table's documentation).
pub fn works_queues(role: Role) -> bool {
    role.is_officer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_count_is_counted_again_by_one_caller_only() {
        let cache = CountCache::default();
        assert_eq!(cache.get("intake"), Counted::Missing, "never counted");
        cache.put("intake".into(), 7);
        assert_eq!(cache.get("intake"), Counted::Fresh(7), "fresh");
        if let Ok(mut c) = cache.counts.lock()
            && let Some(e) = c.get_mut("intake")
        {
            e.at = Instant::now() - COUNT_TTL - Duration::from_secs(1);
        }
        assert_eq!(
            cache.get("intake"),
            Counted::Stale(7),
            "the first caller after expiry counts again, showing the old count"
        );
        assert_eq!(
            cache.get("intake"),
            Counted::Fresh(7),
            "the others show the stale count meanwhile"
        );
        assert_eq!(cache.get("intake"), Counted::Fresh(7));
        cache.put("intake".into(), 8);
        assert_eq!(cache.get("intake"), Counted::Fresh(8));
        // a refresh that never came back is retried
        if let Ok(mut c) = cache.counts.lock()
            && let Some(e) = c.get_mut("intake")
        {
            e.at = Instant::now() - 4 * COUNT_TTL;
            e.refreshing = true;
        }
        assert_eq!(cache.get("intake"), Counted::Stale(8));
    }
}
