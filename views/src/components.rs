//! Components the pages are built from: form fields with inline errors, badges, tabs,
//! pager, timeline, and bar charts drawn as SVG on the server.

use crate::Lang;
use chrono::NaiveDate;
use maud::{Markup, html};

/// An error message attached to a form field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldMessage {
    /// The field's `name`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// The message for `field`, if any.
pub fn message_for<'a>(errors: &'a [FieldMessage], field: &str) -> Option<&'a str> {
    errors.iter().find(|e| e.field == field).map(|e| e.message.as_str())
}

/// A labelled input with its error below it (`aria-invalid`, `aria-describedby`).
pub fn input(kind: &str, name: &str, label: &str, value: &str, required: bool, error: Option<&str>) -> Markup {
    let id = format!("f-{name}");
    let err_id = format!("{id}-error");
    html! {
        div.field.invalid[error.is_some()] {
            label for=(id) { (label) @if required { span.req aria-hidden="true" { " *" } } }
            input type=(kind) id=(id) name=(name) value=(value) required[required]
                aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| err_id.as_str())];
            @if let Some(e) = error { p.error id=(err_id) { (e) } }
        }
    }
}

/// A labelled text area with its error below it.
pub fn textarea(name: &str, label: &str, value: &str, required: bool, error: Option<&str>) -> Markup {
    let id = format!("f-{name}");
    let err_id = format!("{id}-error");
    html! {
        div.field.invalid[error.is_some()] {
            label for=(id) { (label) @if required { span.req aria-hidden="true" { " *" } } }
            textarea id=(id) name=(name) rows="3" required[required]
                aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| err_id.as_str())] { (value) }
            @if let Some(e) = error { p.error id=(err_id) { (e) } }
        }
    }
}

/// A labelled select of `(value, text)` options with its error below it.
pub fn select(name: &str, label: &str, options: &[(String, String)], selected: &str, error: Option<&str>) -> Markup {
    let id = format!("f-{name}");
    let err_id = format!("{id}-error");
    html! {
        div.field.invalid[error.is_some()] {
            label for=(id) { (label) }
            select id=(id) name=(name) aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| err_id.as_str())] {
                @for (value, text) in options {
                    option value=(value) selected[value == selected] { (text) }
                }
            }
            @if let Some(e) = error { p.error id=(err_id) { (e) } }
        }
    }
}

/// The "I confirm" box every consequential action asks for.
pub fn confirm_box(lang: Lang, id: &str, error: Option<&str>) -> Markup {
    html! {
        div.field.confirm.invalid[error.is_some()] {
            input type="checkbox" id=(id) name="confirm" value="yes" required;
            label for=(id) { (lang.pick("我已確認此動作", "I confirm this action")) }
            @if let Some(e) = error { p.error { (e) } }
        }
    }
}

/// An instant as Taipei local time, `YYYY-MM-DD HH:MM`.
pub fn taipei_time(at: chrono::DateTime<chrono::Utc>) -> String {
    // Taipei is UTC+8 all year (no daylight-saving time)
    (at.naive_utc() + chrono::TimeDelta::hours(8))
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A small coloured label.
pub fn badge(kind: &str, text: &str) -> Markup {
    html! { span class=(format!("badge {kind}")) { (text) } }
}

/// The ageing badge of a due date: overdue by n days, due today, or n days left.
pub fn due_badge(lang: Lang, due_on: Option<NaiveDate>, today: NaiveDate) -> Markup {
    let Some(due) = due_on else {
        return html! {};
    };
    let days = (due - today).num_days();
    if days < 0 {
        badge(
            "late",
            &match lang {
                Lang::ZhTw => format!("逾期 {} 天", -days),
                Lang::En => format!("{} days late", -days),
            },
        )
    } else if days == 0 {
        badge("soon", lang.pick("今日到期", "due today"))
    } else if days <= 5 {
        badge(
            "soon",
            &match lang {
                Lang::ZhTw => format!("剩 {days} 天"),
                Lang::En => format!("{days} days left"),
            },
        )
    } else {
        badge(
            "ok",
            &match lang {
                Lang::ZhTw => format!("剩 {days} 天"),
                Lang::En => format!("{days} days left"),
            },
        )
    }
}

/// A tab of a tab bar.
#[derive(Debug, Clone)]
pub struct Tab {
    /// Where it goes.
    pub href: String,
    /// Its text.
    pub label: String,
    /// A count shown beside it.
    pub count: Option<String>,
    /// The tab shown.
    pub current: bool,
}

/// A tab bar of links (works without JavaScript).
pub fn tabs(label: &str, tabs: &[Tab]) -> Markup {
    html! {
        nav.tabs aria-label=(label) {
            ul {
                @for t in tabs {
                    li.current[t.current] {
                        a href=(t.href) aria-current=[t.current.then_some("page")] {
                            (t.label)
                            @if let Some(c) = &t.count { " " span.count { (c) } }
                        }
                    }
                }
            }
        }
    }
}

/// Previous / next links and "page x of y" (`href_for(page)` builds each link).
pub fn pager(
    lang: Lang,
    page: u64,
    per_page: u64,
    total: u64,
    capped: bool,
    href_for: impl Fn(u64) -> String,
) -> Markup {
    let pages = total.div_ceil(per_page.max(1)).max(1);
    html! {
        nav.pager aria-label=(lang.pick("分頁", "Pages")) {
            @if page > 1 { a rel="prev" href=(href_for(page - 1)) { (lang.pick("← 上一頁", "← Previous")) } }
            span {
                @match lang {
                    Lang::ZhTw => { "第 " (page) " 頁，共 " (pages) @if capped { "+" } " 頁" }
                    Lang::En => { "Page " (page) " of " (pages) @if capped { "+" } }
                }
            }
            @if page < pages { a rel="next" href=(href_for(page + 1)) { (lang.pick("下一頁 →", "Next →")) } }
        }
    }
}

/// One entry of a timeline.
#[derive(Debug, Clone)]
pub struct TimelineEntry {
    /// When, as shown.
    pub at: String,
    /// What happened, in words.
    pub title: String,
    /// Who did it, in words.
    pub who: String,
    /// Details (a note's text, a reason).
    pub detail: Option<String>,
    /// A note (not a state change).
    pub note: bool,
}

/// A timeline, oldest first.
pub fn timeline(entries: &[TimelineEntry]) -> Markup {
    html! {
        ol.timeline {
            @for e in entries {
                li.note[e.note] {
                    time { (e.at) }
                    " " strong { (e.title) }
                    " · " span.who { (e.who) }
                    @if let Some(d) = &e.detail { p.detail { (d) } }
                }
            }
        }
    }
}

/// One bar of a chart: its label, its value, and the queue it opens.
#[derive(Debug, Clone)]
pub struct Bar {
    /// Label under (or beside) the bar.
    pub label: String,
    /// The value.
    pub value: u64,
    /// Where clicking the bar goes (the filtered queue), if anywhere.
    pub href: Option<String>,
}

/// A horizontal bar chart drawn as SVG: each bar is a link to its filtered queue. The SVG
/// has a title and the same figures are in a table beside it (for screen readers and for
/// copying).
pub fn bar_chart(id: &str, title: &str, bars: &[Bar]) -> Markup {
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let row_h = 26u64;
    let label_w = 170u64;
    let bar_w = 360u64;
    let height = row_h * bars.len().max(1) as u64 + 8;
    let title_id = format!("{id}-title");
    html! {
        figure.chart {
            svg id=(id) xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby=(title_id)
                viewBox=(format!("0 0 {} {height}", label_w + bar_w + 70)) width=(label_w + bar_w + 70) height=(height) {
                title id=(title_id) { (title) }
                @for (i, b) in bars.iter().enumerate() {
                    @let y = i as u64 * row_h + 4;
                    @let w = if b.value == 0 { 0 } else { (b.value * bar_w / max).max(2) };
                    @let body = html! {
                        text x=(label_w - 6) y=(y + 17) text-anchor="end" { (b.label) }
                        rect x=(label_w) y=(y + 3) width=(w) height=(row_h - 8) class="bar" {}
                        text x=(label_w + w + 6) y=(y + 17) { (b.value) }
                    };
                    @if let Some(href) = &b.href {
                        a href=(href) { title { (b.label) ": " (b.value) } (body) }
                    } @else {
                        g { (body) }
                    }
                }
            }
            figcaption { (title) }
            table.chart-data {
                caption.visually-hidden { (title) }
                tbody {
                    @for b in bars {
                        tr {
                            th scope="row" {
                                @if let Some(href) = &b.href { a href=(href) { (b.label) } } @else { (b.label) }
                            }
                            td.num { (b.value) }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn ageing_badges_say_how_late_or_how_long() {
        let today = d("2026-11-25");
        assert!(
            due_badge(Lang::En, Some(d("2026-11-20")), today)
                .into_string()
                .contains("5 days late")
        );
        assert!(
            due_badge(Lang::ZhTw, Some(d("2026-11-25")), today)
                .into_string()
                .contains("今日到期")
        );
        assert!(
            due_badge(Lang::En, Some(d("2026-12-25")), today)
                .into_string()
                .contains("30 days left")
        );
        assert!(due_badge(Lang::En, None, today).into_string().is_empty());
    }

    #[test]
    fn bars_scale_to_the_largest_and_link_to_their_queue() {
        let bars = [
            Bar {
                label: "a".into(),
                value: 10,
                href: Some("/office/queues/intake".into()),
            },
            Bar {
                label: "b".into(),
                value: 5,
                href: None,
            },
        ];
        let svg = bar_chart("c", "Chart", &bars).into_string();
        assert!(svg.contains("width=\"360\""), "{svg}");
        assert!(svg.contains("width=\"180\""), "{svg}");
        assert!(svg.contains("href=\"/office/queues/intake\""));
    }

    #[test]
    fn inputs_carry_their_error_and_label() {
        let html = input("text", "reason", "Reason", "<b>", true, Some("required")).into_string();
        assert!(html.contains("for=\"f-reason\"") && html.contains("id=\"f-reason\""));
        assert!(html.contains("aria-invalid=\"true\""));
        assert!(html.contains("&lt;b&gt;"));
    }
}
