//! The frame every notification shares: a bilingual subject (after `[case number]` when
//! the mail is about a case), a greeting, the template's
//! blocks and a sign-off per language, the recipient's language first. Text is written as
//! is; HTML goes through maud, which escapes every value.

use super::{Addressee, Block, Letter, Locale, Rendered, Vars};
use maud::{DOCTYPE, Markup, html};

/// The words around each letter.
struct Frame {
    greeting: String,
    signature: &'static str,
    automated: &'static str,
    /// Points to the other language, written in that language.
    other_below: &'static str,
    /// Between a fact's label and its value in text.
    colon: &'static str,
}

fn frame(lang: Locale, name: Option<&str>) -> Frame {
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    match lang {
        Locale::ZhTw => Frame {
            greeting: match name {
                Some(n) => format!("{n} 您好："),
                None => "您好：".to_string(),
            },
            signature: "就業金卡辦公室",
            automated: "本信件由系統自動發送，請勿直接回覆。",
            other_below: "中文內容請見下方。",
            colon: "：",
        },
        Locale::En => Frame {
            greeting: match name {
                Some(n) => format!("Dear {n},"),
                None => "Hello,".to_string(),
            },
            signature: "Taiwan Employment Gold Card Office",
            automated: "This message was sent automatically; please do not reply to it.",
            other_below: "English version below.",
            colon: ": ",
        },
    }
}

const RULE: &str = "------------------------------------------------------------";

pub(super) fn render(vars: &Vars, to: Addressee<'_>, letters: [(Locale, Letter); 2]) -> Rendered {
    let [(first_lang, first), (second_lang, second)] = letters;
    // a mail about a case is filed by its number; the others have none
    let subject = match vars.case_number() {
        Some(number) => format!("[{number}] {} / {}", first.subject, second.subject),
        None => format!("{} / {}", first.subject, second.subject),
    };
    let pointer = frame(second_lang, None).other_below;

    let mut text = format!("{pointer}\n\n");
    text.push_str(&text_part(first_lang, to.name, &first));
    text.push_str(&format!("\n{RULE}\n\n"));
    text.push_str(&text_part(second_lang, to.name, &second));

    let html = html! {
        (DOCTYPE)
        html lang=(first_lang.as_str()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (subject) }
            }
            body style="font-family: -apple-system, 'Segoe UI', 'Noto Sans TC', 'PingFang TC', 'Microsoft JhengHei', sans-serif; color: #1f2933; line-height: 1.6; max-width: 40em; margin: 0 auto; padding: 1em;" {
                p style="color: #52606d; font-size: 0.9em;" lang=(second_lang.as_str()) { (pointer) }
                (html_part(first_lang, to.name, &first))
                hr style="border: none; border-top: 1px solid #cbd2d9; margin: 2em 0;";
                (html_part(second_lang, to.name, &second))
            }
        }
    }
    .into_string();

    Rendered { subject, text, html }
}

fn text_part(lang: Locale, name: Option<&str>, letter: &Letter) -> String {
    let f = frame(lang, name);
    let mut out = format!("{}\n\n", f.greeting);
    for block in &letter.blocks {
        match block {
            Block::Para(p) => out.push_str(&format!("{p}\n\n")),
            Block::Facts(facts) => {
                for (label, value) in facts {
                    out.push_str(&format!("{label}{}{value}\n", f.colon));
                }
                out.push('\n');
            }
            Block::List(items) => {
                for item in items {
                    out.push_str(&format!("- {item}\n"));
                }
                out.push('\n');
            }
        }
    }
    out.push_str(&format!("{}\n{}\n", f.signature, f.automated));
    out
}

fn html_part(lang: Locale, name: Option<&str>, letter: &Letter) -> Markup {
    let f = frame(lang, name);
    html! {
        section lang=(lang.as_str()) {
            p { (f.greeting) }
            @for block in &letter.blocks {
                @match block {
                    Block::Para(p) => p { (p) },
                    Block::Facts(facts) => table style="border-collapse: collapse; margin: 1em 0;" {
                        @for (label, value) in facts {
                            tr {
                                th style="text-align: left; padding: 0.2em 1em 0.2em 0; vertical-align: top; white-space: nowrap;" { (label) }
                                td style="padding: 0.2em 0;" { (value) }
                            }
                        }
                    },
                    Block::List(items) => ul {
                        @for item in items { li { (item) } }
                    },
                }
            }
            p {
                (f.signature) br;
                small style="color: #52606d;" { (f.automated) }
            }
        }
    }
}
