//! maud views: the layout and pages. Views receive plain view-models and never touch the
//! database; every string is escaped by maud.

use maud::{DOCTYPE, Markup, html};

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

    /// Picks the text for this language.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::ZhTw => zh,
            Lang::En => en,
        }
    }
}

/// The page frame: header with the service's name, the content, the footer.
pub fn layout(lang: Lang, title: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (lang.pick("就業金卡延期申請", "Gold Card extensions")) }
            }
            body {
                header { p { strong { "goldcard" } " · " (lang.pick("就業金卡延期申請", "Employment Gold Card extensions")) } }
                main { (content) }
                footer { p { (lang.pick("就業金卡辦公室", "Taiwan Gold Card Office")) } }
            }
        }
    }
}

/// The start page while the portal and back office are being built: what runs and where
/// its health is reported.
pub fn home(lang: Lang) -> Markup {
    layout(
        lang,
        lang.pick("首頁", "Home"),
        html! {
            h1 { (lang.pick("就業金卡延期申請系統", "Employment Gold Card extension system")) }
            p { (lang.pick("服務運作中。", "The service is running.")) }
            ul {
                li { a href="/healthz" { "/healthz" } }
                li { a href="/readyz" { "/readyz" } }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        let page = layout(Lang::En, "<script>alert(1)</script>", html! { p { "x" } }).into_string();
        assert!(!page.contains("<script>alert(1)</script>"));
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    }

    #[test]
    fn both_languages_render() {
        assert!(home(Lang::ZhTw).into_string().contains("lang=\"zh-Hant-TW\""));
        assert!(home(Lang::En).into_string().contains("The service is running."));
    }
}
