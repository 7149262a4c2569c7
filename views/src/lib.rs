//! maud views: the layout, the components and the pages of the back office (and the
//! sign-in page everyone starts on). Views receive plain view-models ([`model`], [`office`])
//! and never touch the database; every string is escaped by maud. Forms are plain HTML
//! that works without JavaScript; `office.js` only adds keyboard shortcuts and select-all.

pub mod components;
pub mod model;
pub mod office;
pub mod portal;

use maud::{DOCTYPE, Markup, html};

/// The one stylesheet, served at [`CSS_PATH`].
pub const CSS: &str = include_str!("../static/office.css");
/// Where the stylesheet is served.
pub const CSS_PATH: &str = "/static/office.css";
/// The small script, served at [`JS_PATH`].
pub const JS: &str = include_str!("../static/office.js");
/// Where the script is served.
pub const JS_PATH: &str = "/static/office.js";
/// The applicant portal's small script (countdown, tabs, the form's draft), served at
/// [`PORTAL_JS_PATH`].
pub const PORTAL_JS: &str = include_str!("../static/portal.js");
/// Where the portal's script is served.
pub const PORTAL_JS_PATH: &str = "/static/portal.js";

/// A page's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Traditional Chinese (Taiwan).
    ZhTw,
    /// English.
    En,
}

impl Lang {
    /// The `lang` attribute value.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhTw => "zh-Hant-TW",
            Lang::En => "en",
        }
    }

    /// The locale code accounts store (`zh-TW`, `en`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::ZhTw => "zh-TW",
            Lang::En => "en",
        }
    }

    /// The language of a locale code; anything but `en` is zh-TW.
    pub fn from_code(code: &str) -> Lang {
        if code.eq_ignore_ascii_case("en") {
            Lang::En
        } else {
            Lang::ZhTw
        }
    }

    /// The other language (the switch offers it).
    pub fn other(self) -> Lang {
        match self {
            Lang::ZhTw => Lang::En,
            Lang::En => Lang::ZhTw,
        }
    }

    /// The language's own name.
    pub fn name(self) -> &'static str {
        match self {
            Lang::ZhTw => "中文",
            Lang::En => "English",
        }
    }

    /// Picks the text for this language.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::ZhTw => zh,
            Lang::En => en,
        }
    }
}

/// A link of the navigation bar.
#[derive(Debug, Clone)]
pub struct NavItem {
    /// Where it goes.
    pub href: String,
    /// Its text.
    pub label: String,
    /// The page shown is under it.
    pub current: bool,
}

/// The signed-in person, as the header shows them.
#[derive(Debug, Clone)]
pub struct Person {
    /// Display name.
    pub name: String,
    /// Role, in words.
    pub role: String,
    /// Agency, in words (none for the admin).
    pub agency: Option<String>,
}

/// What every page's frame needs: language, CSRF token, who is signed in, where they may go.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The page's language.
    pub lang: Lang,
    /// The CSRF token every form carries.
    pub csrf: String,
    /// The signed-in person.
    pub person: Option<Person>,
    /// The navigation, as the access policy allows it for this person.
    pub nav: Vec<NavItem>,
    /// The path of this page (the language switch comes back to it).
    pub path: String,
    /// A message for the top of the page (after an action).
    pub flash: Option<Flash>,
    /// The workflow's states in words: `(name, zh-TW, en)`, from the definition.
    pub states: std::sync::Arc<Vec<(String, String, String)>>,
    /// Where the brand link goes: `/office`, or `/apply` for the portal.
    pub home: &'static str,
    /// Seconds left in the session, shown as the sign-out countdown (the portal).
    pub countdown: Option<i64>,
}

/// A message shown once at the top of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    /// Success or failure.
    pub ok: bool,
    /// The message.
    pub text: String,
}

impl Chrome {
    /// A frame for someone not signed in.
    pub fn anonymous(lang: Lang, csrf: String, path: &str) -> Chrome {
        Chrome {
            lang,
            csrf,
            person: None,
            nav: Vec::new(),
            path: path.to_string(),
            flash: None,
            states: Default::default(),
            home: "/",
            countdown: None,
        }
    }

    /// A state in the page's language, as the workflow definition words it.
    pub fn state_label(&self, state: &str) -> String {
        self.states
            .iter()
            .find(|(name, _, _)| name == state)
            .map(|(_, zh, en)| self.lang.pick(zh, en).to_string())
            .unwrap_or_else(|| state.to_string())
    }

    /// Picks the text for the page's language.
    pub fn t<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        self.lang.pick(zh, en)
    }
}

/// The name of the one-time key every form carries (see [`csrf_field`]).
pub const FORM_KEY_FIELD: &str = "idem";

/// A fresh one-time key for one form.
pub fn form_key() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// The hidden fields every form carries: the CSRF token, and a one-time key of this form
/// (new each time the form is shown), so that the server acts once on a form sent twice
/// (a double click, a resent request).
pub fn csrf_field(chrome: &Chrome) -> Markup {
    html! {
        input type="hidden" name="csrf" value=(chrome.csrf);
        input type="hidden" name=(FORM_KEY_FIELD) value=(form_key());
    }
}

/// The page frame: skip link, header with the service's name, the signed-in person, the
/// language switch and sign-out, the navigation, the content, the footer.
pub fn layout(chrome: &Chrome, title: &str, content: Markup) -> Markup {
    let lang = chrome.lang;
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (lang.pick("就業金卡延期申請", "Gold Card extensions")) }
                link rel="stylesheet" href=(CSS_PATH);
                @if chrome.home == "/apply" {
                    script src=(PORTAL_JS_PATH) defer {}
                } @else {
                    script src=(JS_PATH) defer {}
                }
            }
            body {
                a.skip href="#main" { (lang.pick("跳到主要內容", "Skip to content")) }
                header.top {
                    p.brand {
                        a href=(chrome.home) { "goldcard" }
                        " · " (lang.pick("就業金卡延期申請", "Employment Gold Card extensions"))
                    }
                    div.who {
                        @if let Some(p) = &chrome.person {
                            span.person { (p.name) " · " (p.role) @if let Some(a) = &p.agency { " · " (a) } }
                        }
                        @if let Some(left) = chrome.countdown {
                            span.countdown role="timer" aria-live="off" {
                                (lang.pick("登出倒數：", "Signs out in: "))
                                span id="countdown" data-seconds=(left) { (countdown_text(left)) }
                            }
                        }
                        form.inline method="post" action="/lang" {
                            (csrf_field(chrome))
                            input type="hidden" name="back" value=(chrome.path);
                            input type="hidden" name="lang" value=(lang.other().code());
                            button type="submit" lang=(lang.other().tag()) { (lang.other().name()) }
                        }
                        @if chrome.person.is_some() {
                            form.inline method="post" action="/sign-out" {
                                (csrf_field(chrome))
                                button type="submit" { (lang.pick("登出", "Sign out")) }
                            }
                        }
                    }
                }
                @if !chrome.nav.is_empty() {
                    nav aria-label=(lang.pick("主選單", "Main")) {
                        ul {
                            @for item in &chrome.nav {
                                li {
                                    @if item.current {
                                        a href=(item.href) aria-current="page" { (item.label) }
                                    } @else {
                                        a href=(item.href) { (item.label) }
                                    }
                                }
                            }
                        }
                    }
                }
                main id="main" {
                    @if let Some(f) = &chrome.flash {
                        div class=(if f.ok { "banner ok" } else { "banner error" }) role="status" { (f.text) }
                    }
                    (content)
                }
                footer { p { (lang.pick("就業金卡辦公室 · 勞動部勞動力發展署 · 內政部移民署", "Taiwan Gold Card Office · Workforce Development Agency · National Immigration Agency")) } }
            }
        }
    }
}

/// Seconds as the countdown shows them, `MM:SS` (never below zero).
pub fn countdown_text(seconds: i64) -> String {
    let s = seconds.max(0);
    format!("{:02}:{:02}", s / 60, s % 60)
}

/// An error page: the status in words and what to do next.
pub fn error_page(chrome: &Chrome, status: u16, message: &str) -> Markup {
    let heading = match status {
        401 => chrome.t("請先登入", "Please sign in"),
        403 => chrome.t("沒有權限", "Not allowed"),
        404 => chrome.t("找不到", "Not found"),
        409 => chrome.t("無法執行", "Cannot be done now"),
        413 | 415 | 422 | 400 => chrome.t("資料有誤", "Please check what you sent"),
        503 => chrome.t("暫時無法服務", "Temporarily unavailable"),
        _ => chrome.t("發生錯誤", "Something went wrong"),
    };
    layout(
        chrome,
        heading,
        html! {
            h1 { (heading) }
            p.error-message { (message) }
            p { a href=(chrome.home) { (chrome.t("回到首頁", "Back to the start")) } }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrome() -> Chrome {
        Chrome::anonymous(Lang::En, "tok".into(), "/")
    }

    #[test]
    fn text_is_escaped() {
        let page = layout(&chrome(), "<script>alert(1)</script>", html! { p { "x" } }).into_string();
        assert!(!page.contains("<script>alert(1)</script>"));
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    }

    #[test]
    fn the_countdown_reads_minutes_and_seconds() {
        assert_eq!(countdown_text(1800), "30:00");
        assert_eq!(countdown_text(1760), "29:20");
        assert_eq!(countdown_text(59), "00:59");
        assert_eq!(countdown_text(-5), "00:00");
    }

    #[test]
    fn the_switch_offers_the_other_language() {
        let page = layout(&chrome(), "t", html! {}).into_string();
        assert!(page.contains("lang=\"en\""));
        assert!(page.contains("中文"));
        assert!(page.contains("name=\"csrf\" value=\"tok\""));
    }
}
