//! Checks on rendered HTML: a static accessibility check of one page
//! ([`accessibility_problems`]) and small CSS-selector queries ([`select_texts`],
//! [`select_attr`], [`count`]) for asserting on what a page shows.
//!
//! Everything parses with [`scraper`] (html5ever, the HTML5 parsing algorithm browsers
//! use), so a snippet without `<html>`/`<head>`/`<body>` gets them implied, as in a
//! browser.

use scraper::{ElementRef, Html, Selector};
use std::collections::{BTreeMap, HashSet};

/// Parses a CSS selector; panics naming it when it is not valid.
fn selector(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("invalid CSS selector {css:?}: {e}"))
}

/// The text of an element as a reader sees it: its text nodes joined, runs of whitespace
/// collapsed to one space, trimmed.
fn element_text(el: ElementRef<'_>) -> String {
    el.text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The trimmed text (whitespace runs collapsed to one space, as a browser renders it) of
/// every element matching the CSS selector `css`, in document order.
///
/// Panics with a clear message when `css` is not a valid selector.
pub fn select_texts(html: &str, css: &str) -> Vec<String> {
    let sel = selector(css);
    Html::parse_document(html).select(&sel).map(element_text).collect()
}

/// The value of attribute `attr` on every element matching `css` that has it, in document
/// order (elements without the attribute are left out).
///
/// Panics with a clear message when `css` is not a valid selector.
pub fn select_attr(html: &str, css: &str, attr: &str) -> Vec<String> {
    let sel = selector(css);
    Html::parse_document(html)
        .select(&sel)
        .filter_map(|el| el.value().attr(attr).map(str::to_string))
        .collect()
}

/// How many elements match `css`.
///
/// Panics with a clear message when `css` is not a valid selector.
pub fn count(html: &str, css: &str) -> usize {
    let sel = selector(css);
    Html::parse_document(html).select(&sel).count()
}

/// The start tag of an element, as it would be written (attributes in source order),
/// shortened to about 160 characters: names the element in a problem report.
fn describe(el: ElementRef<'_>) -> String {
    let e = el.value();
    let mut s = format!("<{}", e.name());
    for (name, value) in e.attrs() {
        s.push(' ');
        s.push_str(name);
        s.push_str("=\"");
        s.push_str(&value.replace('"', "&quot;"));
        s.push('"');
    }
    s.push('>');
    if s.chars().count() > 160 {
        s = s.chars().take(157).collect::<String>() + "…>";
    }
    s
}

/// A non-blank attribute value.
fn non_empty<'a>(el: ElementRef<'a>, attr: &str) -> Option<&'a str> {
    el.value().attr(attr).filter(|v| !v.trim().is_empty())
}

/// The accessibility problems of one HTML page, one readable sentence each naming the
/// element (by its start tag: id, name, type…). Empty when the page passes.
///
/// The rules:
/// - `<html>` has a non-empty `lang`;
/// - there is a non-empty `<title>` in `<head>`;
/// - there is a `<main>`;
/// - there is exactly one `<h1>`;
/// - heading levels never skip downward (an `<h2>` followed by an `<h4>`); going back up
///   any number of levels is fine;
/// - every form control (`input` except `type` hidden/submit/button/reset/image, `select`,
///   `textarea`) has a label: a `<label for=ID>` matching its id, an ancestor `<label>`,
///   a non-empty `aria-label`, an `aria-labelledby` whose ids all exist, or a `title`;
/// - every `img` has an `alt` (`alt=""` is fine: it marks a decorative image);
/// - every `a` and `button` has a name: text content, `aria-label`, `aria-labelledby`
///   (existing ids), `title`, or an `img` with a non-empty `alt` inside it; an `input` of
///   type submit/button/reset needs a non-empty `value` (or `aria-label`), of type image
///   an `alt` (or `aria-label`);
/// - no positive `tabindex`;
/// - no id is used twice;
/// - every `svg` has a `<title>` child or an `aria-label` (or `aria-labelledby`), unless
///   it is `aria-hidden="true"`.
pub fn accessibility_problems(html: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let all = |css: &str| doc.select(&selector(css)).collect::<Vec<_>>();
    let mut problems = Vec::new();

    // every id in the page, for label[for], aria-labelledby and duplicates
    let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
    for el in all("[id]") {
        if let Some(id) = el.value().attr("id") {
            *ids.entry(id).or_default() += 1;
        }
    }
    let labelled_by_existing = |el: ElementRef<'_>| -> bool {
        match non_empty(el, "aria-labelledby") {
            Some(refs) => refs.split_whitespace().all(|r| ids.contains_key(r)),
            None => false,
        }
    };

    // <html lang>
    let root = doc.root_element();
    match root.value().attr("lang") {
        None => problems.push("<html> has no lang attribute".to_string()),
        Some(l) if l.trim().is_empty() => problems.push("<html> has an empty lang attribute".to_string()),
        Some(_) => {}
    }

    // <title>
    let titles = all("head > title");
    if titles.is_empty() {
        problems.push("the page has no <title>".to_string());
    } else if titles.iter().all(|t| element_text(*t).is_empty()) {
        problems.push("the page's <title> is empty".to_string());
    }

    // <main>
    if all("main").is_empty() {
        problems.push("the page has no <main> element".to_string());
    }

    // exactly one <h1>
    let h1s = all("h1");
    if h1s.len() != 1 {
        let texts: Vec<String> = h1s.iter().map(|h| format!("{:?}", element_text(*h))).collect();
        problems.push(format!(
            "the page has {} <h1> elements, not exactly one{}",
            h1s.len(),
            if texts.is_empty() {
                String::new()
            } else {
                format!(": {}", texts.join(", "))
            }
        ));
    }

    // heading levels
    let mut previous: Option<(u8, String)> = None;
    for h in all("h1, h2, h3, h4, h5, h6") {
        let level = h.value().name().as_bytes()[1] - b'0';
        let text = element_text(h);
        if let Some((prev, prev_text)) = &previous
            && level > prev + 1
        {
            problems.push(format!(
                "heading level skips from <h{prev}> {prev_text:?} to <h{level}> {text:?}"
            ));
        }
        previous = Some((level, text));
    }

    // form controls need labels
    let label_fors: HashSet<&str> = all("label[for]").iter().filter_map(|l| l.value().attr("for")).collect();
    for el in all("input, select, textarea") {
        let e = el.value();
        let kind = e.attr("type").unwrap_or("text").trim().to_ascii_lowercase();
        if e.name() == "input" && matches!(kind.as_str(), "hidden" | "submit" | "button" | "reset" | "image") {
            continue;
        }
        let by_for = e.id().is_some_and(|id| !id.is_empty() && label_fors.contains(id));
        let by_ancestor = el
            .ancestors()
            .filter_map(ElementRef::wrap)
            .any(|a| a.value().name() == "label");
        let labelled = by_for
            || by_ancestor
            || non_empty(el, "aria-label").is_some()
            || labelled_by_existing(el)
            || non_empty(el, "title").is_some();
        if !labelled {
            let broken = match non_empty(el, "aria-labelledby") {
                Some(refs) => format!(" (aria-labelledby {refs:?} names an id that does not exist)"),
                None => String::new(),
            };
            problems.push(format!("form control without a label{broken}: {}", describe(el)));
        }
    }

    // images need alt
    for el in all("img:not([alt])") {
        problems.push(format!("image without alt: {}", describe(el)));
    }

    // links and buttons need a name
    for el in all("a, button") {
        let has_img_alt = el
            .descendent_elements()
            .any(|d| d.value().name() == "img" && non_empty(d, "alt").is_some());
        let named = !element_text(el).is_empty()
            || non_empty(el, "aria-label").is_some()
            || labelled_by_existing(el)
            || non_empty(el, "title").is_some()
            || has_img_alt;
        if !named {
            let what = if el.value().name() == "a" { "link" } else { "button" };
            problems.push(format!("{what} without text or aria-label: {}", describe(el)));
        }
    }
    for el in all("input[type]") {
        let kind = el.value().attr("type").unwrap_or("").trim().to_ascii_lowercase();
        let aria = non_empty(el, "aria-label").is_some() || labelled_by_existing(el);
        match kind.as_str() {
            "submit" | "button" | "reset" if non_empty(el, "value").is_none() && !aria => {
                problems.push(format!("{kind} button without a value: {}", describe(el)));
            }
            "image" if non_empty(el, "alt").is_none() && !aria => {
                problems.push(format!("image button without alt: {}", describe(el)));
            }
            _ => {}
        }
    }

    // positive tabindex
    for el in all("[tabindex]") {
        let value = el.value().attr("tabindex").unwrap_or("").trim();
        if value.parse::<i64>().is_ok_and(|n| n > 0) {
            problems.push(format!("positive tabindex ({value}): {}", describe(el)));
        }
    }

    // duplicate ids
    for (id, n) in &ids {
        if *n > 1 {
            problems.push(format!("id {id:?} is used {n} times"));
        }
    }

    // svg needs a name or aria-hidden
    for el in all("svg") {
        let hidden = el
            .value()
            .attr("aria-hidden")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        let has_title = el
            .child_elements()
            .any(|c| c.value().name() == "title" && !element_text(c).is_empty());
        if !hidden && !has_title && non_empty(el, "aria-label").is_none() && !labelled_by_existing(el) {
            problems.push(format!(
                "svg without <title> or aria-label (and not aria-hidden=\"true\"): {}",
                describe(el)
            ));
        }
    }

    problems
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A page that passes every rule, with `body` inside `<main>` after the `<h1>`.
    fn page(body: &str) -> String {
        format!(
            r#"<!DOCTYPE html><html lang="zh-Hant-TW"><head><meta charset="utf-8"><title>首頁</title></head>
<body><header><a href="/">goldcard</a></header><main><h1>就業金卡</h1>{body}</main></body></html>"#
        )
    }

    /// Asserts exactly one problem, containing every one of `needles`.
    #[track_caller]
    fn one_problem(html: &str, needles: &[&str]) {
        let problems = accessibility_problems(html);
        assert_eq!(problems.len(), 1, "expected one problem, got {problems:#?}");
        for n in needles {
            assert!(problems[0].contains(n), "{:?} does not mention {n:?}", problems[0]);
        }
    }

    #[test]
    fn a_clean_page_passes() {
        let html = page(
            r##"
            <h2>申請</h2><h3>文件</h3><h2>付款</h2>
            <form>
              <label for="email">電子郵件</label><input id="email" name="email" type="email">
              <label>姓名 <input name="name"></label>
              <input name="q" aria-label="搜尋">
              <span id="ph">電話</span><input name="phone" aria-labelledby="ph">
              <input name="code" title="驗證碼">
              <select id="role" name="role"><option>a</option></select><label for="role">角色</label>
              <textarea name="note" aria-label="備註"></textarea>
              <input type="hidden" name="csrf" value="x">
              <input type="submit" value="送出">
              <input type="image" src="/go.png" alt="前往">
              <button type="submit">儲存</button>
              <button aria-label="關閉">×</button>
            </form>
            <img src="/logo.png" alt="標誌"><img src="/line.png" alt="">
            <a href="/x"><img src="/home.png" alt="首頁"></a>
            <a href="/y" aria-label="說明"><svg aria-hidden="true"><path d=""/></svg></a>
            <svg role="img"><title>圖表</title></svg>
            <svg aria-label="圖示"></svg>
            <div tabindex="0">焦點</div><div tabindex="-1">程式焦點</div>
            "##,
        );
        assert_eq!(accessibility_problems(&html), Vec::<String>::new());
    }

    #[test]
    fn html_lang_missing_or_empty() {
        one_problem(
            "<!DOCTYPE html><html><head><title>t</title></head><body><main><h1>x</h1></main></body></html>",
            &["lang"],
        );
        one_problem(
            r#"<html lang=" "><head><title>t</title></head><body><main><h1>x</h1></main></body></html>"#,
            &["empty lang"],
        );
    }

    #[test]
    fn title_missing_or_empty() {
        one_problem(
            r#"<html lang="en"><head></head><body><main><h1>x</h1></main></body></html>"#,
            &["no <title>"],
        );
        one_problem(
            r#"<html lang="en"><head><title> </title></head><body><main><h1>x</h1></main></body></html>"#,
            &["<title> is empty"],
        );
    }

    #[test]
    fn main_missing() {
        one_problem(
            r#"<html lang="en"><head><title>t</title></head><body><h1>x</h1></body></html>"#,
            &["<main>"],
        );
    }

    #[test]
    fn not_exactly_one_h1() {
        one_problem(
            r#"<html lang="en"><head><title>t</title></head><body><main><p>x</p></main></body></html>"#,
            &["0 <h1>"],
        );
        one_problem(&page("<h1>第二</h1>"), &["2 <h1>", "就業金卡", "第二"]);
    }

    #[test]
    fn heading_levels_that_skip_down() {
        one_problem(&page("<h2>a</h2><h4>b</h4>"), &["<h2>", "<h4>", "\"b\""]);
        // going back up is fine
        assert!(accessibility_problems(&page("<h2>a</h2><h3>b</h3><h4>c</h4><h2>d</h2>")).is_empty());
    }

    #[test]
    fn form_controls_without_labels() {
        one_problem(&page(r#"<input id="q" name="q">"#), &["without a label", r#"id="q""#]);
        one_problem(
            &page(r#"<label for="other">x</label><input id="q" name="q">"#),
            &["without a label", r#"name="q""#],
        );
        one_problem(&page(r#"<select name="s"></select>"#), &["<select name=\"s\">"]);
        one_problem(&page(r#"<textarea name="t"></textarea>"#), &["<textarea name=\"t\">"]);
        one_problem(
            &page(r#"<input type="checkbox" name="c" aria-label=" ">"#),
            &["type=\"checkbox\""],
        );
        one_problem(
            &page(r#"<input name="p" aria-labelledby="nowhere">"#),
            &["\"nowhere\"", "does not exist"],
        );
        // a type attribute in any case is recognised
        assert!(accessibility_problems(&page(r#"<input type="HIDDEN" name="h">"#)).is_empty());
    }

    #[test]
    fn images_without_alt() {
        one_problem(&page(r#"<img src="/a.png">"#), &["image without alt", "/a.png"]);
    }

    #[test]
    fn links_and_buttons_without_names() {
        one_problem(&page(r#"<a href="/empty"> </a>"#), &["link", "/empty"]);
        one_problem(
            &page(r#"<button id="b"><span></span></button>"#),
            &["button", r#"id="b""#],
        );
        // an icon hidden from the reader does not name the link
        one_problem(
            &page(r#"<a href="/i"><svg aria-hidden="true"></svg></a>"#),
            &["link", "/i"],
        );
        one_problem(&page(r#"<a href="/p"><img src="/p.png" alt=""></a>"#), &["link", "/p"]);
        one_problem(
            &page(r#"<input type="submit" name="go">"#),
            &["submit button without a value"],
        );
        one_problem(
            &page(r#"<input type="reset" value="">"#),
            &["reset button without a value"],
        );
        one_problem(
            &page(r#"<input type="image" src="/go.png">"#),
            &["image button without alt"],
        );
    }

    #[test]
    fn positive_tabindex() {
        one_problem(
            &page(r#"<a href="/t" tabindex="3">t</a>"#),
            &["positive tabindex (3)", "/t"],
        );
    }

    #[test]
    fn duplicate_ids() {
        one_problem(
            &page(r#"<p id="dup">a</p><p id="dup">b</p><p id="dup">c</p>"#),
            &["\"dup\"", "3 times"],
        );
    }

    #[test]
    fn svg_without_a_name() {
        one_problem(
            &page(r#"<svg id="chart"><path d=""/></svg>"#),
            &["svg", r#"id="chart""#],
        );
        one_problem(&page(r#"<svg aria-hidden="false"><title></title></svg>"#), &["svg"]);
    }

    #[test]
    fn every_rule_fires_on_one_bad_page() {
        let bad = r#"<html><body>
            <h1>a</h1><h1>b</h1><h3>c</h3>
            <input name="x"><img src="/i.png"><a href="/"></a><button></button>
            <input type="submit"><p tabindex="1" id="d">p</p><p id="d">q</p><svg></svg>
            </body></html>"#;
        let problems = accessibility_problems(bad);
        for needle in [
            "lang",
            "<title>",
            "<main>",
            "2 <h1>",
            "skips",
            "without a label",
            "image without alt",
            "link without",
            "button without text",
            "submit button without a value",
            "positive tabindex",
            "\"d\" is used 2 times",
            "svg without",
        ] {
            assert!(
                problems.iter().any(|p| p.contains(needle)),
                "no problem mentions {needle:?}: {problems:#?}"
            );
        }
        assert_eq!(problems.len(), 13, "{problems:#?}");
    }

    #[test]
    fn selecting_texts_attributes_and_counts() {
        let html = page(
            r#"<ul class="cases"><li><a href="/cases/1">  案件
            一 </a></li><li><a href="/cases/2">案件 <b>二</b></a></li><li>無連結</li></ul>"#,
        );
        assert_eq!(select_texts(&html, "ul.cases a"), ["案件 一", "案件 二"]);
        assert_eq!(select_texts(&html, "h1"), ["就業金卡"]);
        assert_eq!(select_texts(&html, "title"), ["首頁"]);
        assert!(select_texts(&html, "table").is_empty());
        assert_eq!(select_attr(&html, "ul.cases a", "href"), ["/cases/1", "/cases/2"]);
        assert!(select_attr(&html, "ul.cases li", "href").is_empty());
        assert_eq!(count(&html, "ul.cases li"), 3);
        assert_eq!(count(&html, "form"), 0);
    }

    #[test]
    #[should_panic(expected = "invalid CSS selector \"ul >>\"")]
    fn an_invalid_selector_panics_naming_it() {
        count("<p>x</p>", "ul >>");
    }
}
