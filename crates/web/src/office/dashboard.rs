//! `/office/dashboard`: a supervisor's figures for their agency, each bar opening the
//! filtered queue it counts.

use super::Ctx;
use crate::error::ApiResult;
use axum::response::Response;
use chrono::TimeDelta;
use goldcard_store::entity::accounts;
use goldcard_store::queues::Queue;
use goldcard_store::reports::{self, AGE_BANDS};
use goldcard_views::components::Bar;
use goldcard_views::office::agency_words;
use goldcard_views::office::dashboard::{DashboardScreen, dashboard_page};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;

/// The queue a state's bar opens.
fn queue_of_state(state: &str) -> Option<Queue> {
    match state {
        "paid" => Some(Queue::Intake),
        "labor_review" => Some(Queue::LaborReview),
        "immigration_review" => Some(Queue::ImmigrationReview),
        "supplement" => Some(Queue::Supplement),
        _ => None,
    }
}

/// `GET /office/dashboard`.
pub async fn page(ctx: Ctx) -> Response {
    match render(&ctx).await {
        Ok(r) => r,
        Err(e) => ctx.fail(e),
    }
}

async fn render(ctx: &Ctx) -> ApiResult<Response> {
    let state = &ctx.state;
    let agency = crate::api::queues::agency_of(state, &ctx.caller)?;
    let today = state.today();
    let d = reports::dashboard(state.store.db(), &state.workflow, &agency, today).await?;
    let by_state = d
        .by_state
        .iter()
        .map(|(s, n)| Bar {
            label: ctx.chrome.state_label(s),
            value: *n,
            href: queue_of_state(s).map(|q| format!("/office/queues/{}", q.as_str())),
        })
        .collect();
    // the overdue queue holds every open case of the agency past its target; the ageing
    // bars open the agency's first queue filtered by filing date
    let first = super::queues::agency_queues(state, &agency)
        .first()
        .copied()
        .unwrap_or(Queue::Mine);
    let ageing = AGE_BANDS
        .iter()
        .zip(&d.ageing)
        .map(|((from, to), n)| {
            let label = match to {
                Some(to) => format!("{from}–{to} {}", ctx.t("天", "days")),
                None => format!("{from}+ {}", ctx.t("天", "days")),
            };
            let filed_to = today - TimeDelta::days(*from);
            let href = match to {
                Some(to) => format!(
                    "/office/queues/{}?filed_from={}&filed_to={filed_to}",
                    first.as_str(),
                    today - TimeDelta::days(*to)
                ),
                None => format!("/office/queues/{}?filed_to={filed_to}", first.as_str()),
            };
            Bar {
                label,
                value: *n,
                href: Some(href),
            }
        })
        .collect();
    let filed = d
        .weekly
        .iter()
        .map(|(monday, filed, _)| Bar {
            label: monday.format("%m-%d").to_string(),
            value: *filed,
            href: Some(format!(
                "/office/queues/{}?filed_from={monday}&filed_to={}",
                first.as_str(),
                *monday + TimeDelta::days(6)
            )),
        })
        .collect();
    let decided = d
        .weekly
        .iter()
        .map(|(monday, _, decided)| Bar {
            label: monday.format("%m-%d").to_string(),
            value: *decided,
            href: None,
        })
        .collect();
    let ids: Vec<i64> = d.overdue_by_officer.iter().filter_map(|(id, _)| *id).collect();
    let people: HashMap<i64, (String, String)> = accounts::Entity::find()
        .filter(accounts::Column::Id.is_in(ids))
        .all(state.store.db())
        .await
        .map_err(crate::service::db_err)?
        .into_iter()
        .map(|a| (a.id, (a.login, a.display_name)))
        .collect();
    let overdue_by_officer = d
        .overdue_by_officer
        .iter()
        .map(|(id, n)| {
            let who = id.and_then(|i| people.get(&i));
            Bar {
                label: who.map_or_else(|| ctx.t("未分案", "Unassigned").to_string(), |(_, name)| name.clone()),
                value: *n,
                href: Some(format!(
                    "/office/queues/overdue?assignee={}",
                    who.map_or("none", |(login, _)| login.as_str())
                )),
            }
        })
        .collect();
    let screen = DashboardScreen {
        agency: agency_words(ctx.chrome.lang, &agency).to_string(),
        by_state,
        ageing,
        filed,
        decided,
        overdue_by_officer,
    };
    Ok(ctx.page(dashboard_page(&ctx.chrome, &screen)))
}
