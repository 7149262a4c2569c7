//! A queue (and the search results, which share its table): tabs with counts, filters,
//! the table with ageing badges, claim buttons, and the supervisors' bulk assignment.

use super::state_badge;
use crate::components::{Tab, due_badge, pager, select, tabs, taipei_time};
use crate::model::CaseItem;
use crate::{Chrome, csrf_field, layout};
use chrono::NaiveDate;
use maud::{Markup, html};

/// The filters as the form shows them (text, as typed).
#[derive(Debug, Clone, Default)]
pub struct FilterValues {
    /// Field code, or empty.
    pub field: String,
    /// `yes`, `no` or empty.
    pub hk_macau: String,
    /// `none`, a login, or empty.
    pub assignee: String,
    /// `yes`, `no` or empty.
    pub overdue: String,
    /// `YYYY-MM-DD` or empty.
    pub filed_from: String,
    /// `YYYY-MM-DD` or empty.
    pub filed_to: String,
    /// A sort name.
    pub sort: String,
}

/// A queue screen.
#[derive(Debug, Clone)]
pub struct QueueScreen {
    /// The queue's name.
    pub queue: String,
    /// Its title.
    pub title: String,
    /// The tabs of the agency's queues, with counts.
    pub tabs: Vec<Tab>,
    /// The rows of this page.
    pub rows: Vec<CaseItem>,
    /// Today (Taipei), for the ageing badges.
    pub today: NaiveDate,
    /// 1-based page.
    pub page: u64,
    /// Rows per page.
    pub per_page: u64,
    /// Rows matching (or the cap, when `capped`).
    pub total: u64,
    /// `total` is a lower bound.
    pub capped: bool,
    /// The filters in force.
    pub filters: FilterValues,
    /// Problems with the filters, shown next to them.
    pub filter_errors: Vec<crate::components::FieldMessage>,
    /// Fields of expertise: `(code, name)`.
    pub fields: Vec<(String, String)>,
    /// The agency's officers: `(login, name)`.
    pub officers: Vec<(String, String)>,
    /// The query string of the filters (without page), for links.
    pub query: String,
    /// Field names by code, for the table.
    pub field_names: Vec<(String, String)>,
    /// The reader may claim from this queue.
    pub can_claim: bool,
    /// The reader may assign in bulk (supervisors).
    pub can_assign: bool,
}

fn name_of<'a>(pairs: &'a [(String, String)], code: &'a str) -> &'a str {
    pairs.iter().find(|(c, _)| c == code).map_or(code, |(_, n)| n.as_str())
}

/// The table of cases shared by queues and search.
pub fn case_table(
    chrome: &Chrome,
    rows: &[CaseItem],
    today: NaiveDate,
    field_names: &[(String, String)],
    select_form: Option<&str>,
) -> Markup {
    let t = |zh, en| chrome.t(zh, en);
    html! {
        table.cases {
            thead {
                tr {
                    @if select_form.is_some() {
                        th scope="col" {
                            input type="checkbox" id="select-all" data-select-all="case" aria-label=(t("全選本頁", "Select all on this page"));
                        }
                    }
                    th scope="col" { (t("案號", "Case number")) }
                    th scope="col" { (t("申請人", "Applicant")) }
                    th scope="col" { (t("狀態", "State")) }
                    th scope="col" { (t("領域", "Field")) }
                    th scope="col" { (t("港澳", "HK/Macau")) }
                    th scope="col" { (t("送件時間", "Filed")) }
                    th scope="col" { (t("到期日", "Due")) }
                    th scope="col" { (t("承辦人", "Assignee")) }
                }
            }
            tbody {
                @if rows.is_empty() {
                    tr { td.empty colspan="9" { (t("沒有符合的案件。", "No cases match.")) } }
                }
                @for (i, r) in rows.iter().enumerate() {
                    tr data-row=(i) {
                        @if let Some(form) = select_form {
                            td {
                                input type="checkbox" name="case" value=(r.case_number) form=(form) id=(format!("sel-{}", r.case_number))
                                    aria-label=(format!("{} {}", t("選取", "Select"), r.case_number));
                            }
                        }
                        td { a href=(format!("/office/cases/{}", r.case_number)) { (r.case_number) } }
                        td { (r.applicant_name) }
                        td { (state_badge(chrome, &r.state)) }
                        td { (name_of(field_names, &r.field)) }
                        td { @if r.hk_macau { (t("是", "Yes")) } @else { "—" } }
                        td { (taipei_time(r.filed_at)) }
                        td {
                            @if let Some(d) = r.due_on { (d) " " }
                            (due_badge(chrome.lang, r.due_on, today))
                        }
                        td { (r.assignee.as_deref().unwrap_or("—")) }
                    }
                }
            }
        }
    }
}

/// A queue page.
pub fn queue_page(chrome: &Chrome, s: &QueueScreen) -> Markup {
    let t = |zh, en| chrome.t(zh, en);
    let f = &s.filters;
    let err = |field: &str| crate::components::message_for(&s.filter_errors, field);
    let yes_no = |any: &str| {
        vec![
            (String::new(), any.to_string()),
            ("yes".to_string(), t("是", "Yes").to_string()),
            ("no".to_string(), t("否", "No").to_string()),
        ]
    };
    let mut field_opts = vec![(String::new(), t("全部領域", "All fields").to_string())];
    field_opts.extend(s.fields.iter().cloned());
    let mut assignee_opts = vec![
        (String::new(), t("不限", "Anyone").to_string()),
        ("none".to_string(), t("未分案", "Unassigned").to_string()),
    ];
    assignee_opts.extend(s.officers.iter().map(|(l, n)| (l.clone(), format!("{n} ({l})"))));
    let sorts = vec![
        (
            "due_on".to_string(),
            t("到期日（近到遠）", "Due date, soonest first").to_string(),
        ),
        (
            "-due_on".to_string(),
            t("到期日（遠到近）", "Due date, latest first").to_string(),
        ),
        (
            "filed_at".to_string(),
            t("送件時間（舊到新）", "Filed, oldest first").to_string(),
        ),
        (
            "-filed_at".to_string(),
            t("送件時間（新到舊）", "Filed, newest first").to_string(),
        ),
    ];
    let base = format!("/office/queues/{}", s.queue);
    let with_query = |extra: &str| -> String {
        match (s.query.is_empty(), extra.is_empty()) {
            (true, true) => base.clone(),
            (true, false) => format!("{base}?{extra}"),
            (false, true) => format!("{base}?{}", s.query),
            (false, false) => format!("{base}?{}&{extra}", s.query),
        }
    };
    let selectable = s.can_claim || s.can_assign;
    layout(
        chrome,
        &s.title,
        html! {
            h1 { (s.title) }
            (tabs(t("工作佇列", "Work queues"), &s.tabs))
            form.filters method="get" action=(base) {
                (select("field", t("領域", "Field"), &field_opts, &f.field, err("field")))
                (select("hk_macau", t("港澳居民", "HK/Macau"), &yes_no(t("不限", "Any")), &f.hk_macau, err("hk_macau")))
                (select("assignee", t("承辦人", "Assignee"), &assignee_opts, &f.assignee, err("assignee")))
                (select("overdue", t("逾期", "Overdue"), &yes_no(t("不限", "Any")), &f.overdue, err("overdue")))
                (crate::components::input("date", "filed_from", t("送件日起", "Filed from"), &f.filed_from, false, err("filed_from")))
                (crate::components::input("date", "filed_to", t("送件日迄", "Filed to"), &f.filed_to, false, err("filed_to")))
                (select("sort", t("排序", "Sort"), &sorts, &f.sort, err("sort")))
                div.actions {
                    button type="submit" { (t("套用篩選", "Apply filters")) }
                    " " a href=(base) { (t("清除", "Clear")) }
                    " " a href=(format!("{base}/export.csv{}", if s.query.is_empty() { String::new() } else { format!("?{}", s.query) })) download { (t("匯出 CSV", "Export CSV")) }
                }
            }
            p.count role="status" {
                @match chrome.lang {
                    crate::Lang::ZhTw => { "共 " (s.total) @if s.capped { "+" } " 件" }
                    crate::Lang::En => { (s.total) @if s.capped { "+" } " cases" }
                }
            }
            @if s.can_assign {
                form #bulk.bulk method="post" action=(format!("{base}/assign")) {
                    (csrf_field(chrome))
                    input type="hidden" name="query" value=(s.query);
                    (select("to", t("分派給", "Assign to"), &s.officers.iter().map(|(l, n)| (l.clone(), format!("{n} ({l})"))).collect::<Vec<_>>(), "", None))
                    button type="submit" name="scope" value="selected" { (t("分派勾選的案件", "Assign the selected cases")) }
                    " "
                    button type="submit" name="scope" value="all" { (t("分派全部篩選結果", "Assign all filtered cases")) }
                }
            } @else if s.can_claim {
                form #bulk.bulk method="post" action=(format!("{base}/claim")) {
                    (csrf_field(chrome))
                    input type="hidden" name="query" value=(s.query);
                    button type="submit" { (t("領取勾選的案件", "Claim the selected cases")) }
                }
            }
            (case_table(chrome, &s.rows, s.today, &s.field_names, selectable.then_some("bulk")))
            (pager(chrome.lang, s.page, s.per_page, s.total, s.capped, |p| with_query(&format!("page={p}"))))
            p.hint { (t("快捷鍵：j / k 上下移動，Enter 開啟案件，x 勾選，/ 搜尋。", "Keys: j / k move, Enter opens the case, x selects, / searches.")) }
        },
    )
}

/// Asks a supervisor to confirm a bulk assignment before it is done.
pub fn assign_confirm_page(
    chrome: &Chrome,
    queue: &str,
    to: &(String, String),
    case_numbers: &[String],
    query: &str,
    scope: &str,
) -> Markup {
    let t = |zh, en| chrome.t(zh, en);
    layout(
        chrome,
        t("確認分派", "Confirm assignment"),
        html! {
            h1 { (t("確認分派", "Confirm assignment")) }
            p {
                @match chrome.lang {
                    crate::Lang::ZhTw => { "將 " strong { (case_numbers.len()) } " 件案件分派給 " strong { (to.1) " (" (to.0) ")" } "。" }
                    crate::Lang::En => { "Assign " strong { (case_numbers.len()) } " cases to " strong { (to.1) " (" (to.0) ")" } "." }
                }
            }
            ul.compact { @for n in case_numbers.iter().take(50) { li { (n) } } @if case_numbers.len() > 50 { li { "…" } } }
            form method="post" action=(format!("/office/queues/{queue}/assign")) {
                (csrf_field(chrome))
                input type="hidden" name="to" value=(to.0);
                input type="hidden" name="query" value=(query);
                input type="hidden" name="scope" value=(scope);
                input type="hidden" name="confirmed" value="yes";
                @for n in case_numbers { input type="hidden" name="case" value=(n); }
                button.primary type="submit" { (t("確認分派", "Assign them")) }
                " " a href=(format!("/office/queues/{queue}{}", if query.is_empty() { String::new() } else { format!("?{query}") })) { (t("取消", "Cancel")) }
            }
        },
    )
}

/// The search page.
#[derive(Debug, Clone)]
pub struct SearchScreen {
    /// What was searched for.
    pub q: String,
    /// The rows of this page.
    pub rows: Vec<CaseItem>,
    /// Rows matching.
    pub total: u64,
    /// 1-based page.
    pub page: u64,
    /// Rows per page.
    pub per_page: u64,
    /// Today (Taipei).
    pub today: NaiveDate,
    /// Field names by code.
    pub field_names: Vec<(String, String)>,
    /// What is wrong with `q`.
    pub error: Option<String>,
}

/// Search results.
pub fn search_page(chrome: &Chrome, s: &SearchScreen) -> Markup {
    let t = |zh, en| chrome.t(zh, en);
    let q = s.q.as_str();
    let query = serde_urlencoded::to_string([("q", q)]).unwrap_or_default();
    layout(
        chrome,
        t("查詢案件", "Search"),
        html! {
            h1 { (t("查詢案件", "Search cases")) }
            form.search method="get" action="/office/search" role="search" {
                div.field.invalid[s.error.is_some()] {
                    label for="f-q" { (t("案號、統一證號、護照號碼、姓名或電子郵件", "Case number, UI number, passport number, name or email")) }
                    input type="search" id="f-q" name="q" value=(q) required maxlength="200";
                    @if let Some(e) = &s.error { p.error { (e) } }
                }
                button type="submit" { (t("查詢", "Search")) }
            }
            @if !q.is_empty() && s.error.is_none() {
                p.count role="status" {
                    @match chrome.lang {
                        crate::Lang::ZhTw => { "共 " (s.total) " 件" }
                        crate::Lang::En => { (s.total) " cases" }
                    }
                    " · " a href=(format!("/office/search/export.csv?{query}")) download { (t("匯出 CSV", "Export CSV")) }
                }
                (case_table(chrome, &s.rows, s.today, &s.field_names, None))
                (pager(chrome.lang, s.page, s.per_page, s.total, false, |p| format!("/office/search?{query}&page={p}")))
            }
        },
    )
}
