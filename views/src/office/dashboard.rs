//! The supervisors' dashboard: cases by state, ageing, filed and decided per week,
//! overdue by officer; SVG bars that open the filtered queue.

use crate::components::{Bar, bar_chart};
use crate::{Chrome, layout};
use maud::{Markup, html};

/// The dashboard's charts, ready to draw.
#[derive(Debug, Clone)]
pub struct DashboardScreen {
    /// The agency, in words.
    pub agency: String,
    /// Cases by state.
    pub by_state: Vec<Bar>,
    /// Open cases by age since filing.
    pub ageing: Vec<Bar>,
    /// Cases filed per week.
    pub filed: Vec<Bar>,
    /// Cases decided per week.
    pub decided: Vec<Bar>,
    /// Overdue cases by officer.
    pub overdue_by_officer: Vec<Bar>,
}

/// The dashboard page.
pub fn dashboard_page(chrome: &Chrome, s: &DashboardScreen) -> Markup {
    let t = |zh, en| chrome.t(zh, en);
    layout(
        chrome,
        t("統計儀表板", "Dashboard"),
        html! {
            h1 { (t("統計儀表板", "Dashboard")) " · " (s.agency) }
            div.charts {
                section aria-labelledby="c-state-h" {
                    h2 id="c-state-h" { (t("各狀態案件數", "Cases by state")) }
                    (bar_chart("c-state", t("各狀態案件數", "Cases by state"), &s.by_state))
                }
                section aria-labelledby="c-age-h" {
                    h2 id="c-age-h" { (t("未結案件天數分布", "Age of open cases (days since filing)")) }
                    (bar_chart("c-age", t("未結案件天數分布", "Age of open cases"), &s.ageing))
                }
                section aria-labelledby="c-filed-h" {
                    h2 id="c-filed-h" { (t("每週送件數", "Filed per week")) }
                    (bar_chart("c-filed", t("每週送件數", "Filed per week"), &s.filed))
                }
                section aria-labelledby="c-decided-h" {
                    h2 id="c-decided-h" { (t("每週結案數（核發、駁回）", "Decided per week (issued, rejected)")) }
                    (bar_chart("c-decided", t("每週結案數", "Decided per week"), &s.decided))
                }
                section aria-labelledby="c-overdue-h" {
                    h2 id="c-overdue-h" { (t("各承辦人逾期案件", "Overdue by officer")) }
                    @if s.overdue_by_officer.is_empty() {
                        p { (t("沒有逾期案件。", "No overdue cases.")) }
                    } @else {
                        (bar_chart("c-overdue", t("各承辦人逾期案件", "Overdue by officer"), &s.overdue_by_officer))
                    }
                }
            }
        },
    )
}
