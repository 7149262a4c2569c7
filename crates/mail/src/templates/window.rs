//! The online extension window of a card (not a case): `window_open` the day it opens,
//! `window_closing` two weeks before it locks to a holder who has not filed, and
//! `window_locked` the day it locks to a holder with no extension filed. The platform
//! locks itself on `window_locks_on`, one month before the card expires; the last day to
//! file is the day before.

use super::{Letter, Locale, Template, TemplateError, Vars, format, non_blank};
use chrono::NaiveDate;

/// Where holders file, as each language names it.
fn platform(lang: Locale) -> &'static str {
    match lang {
        Locale::ZhTw => "外國專業人才申請窗口平臺",
        Locale::En => "Foreign Professionals Online Application Platform",
    }
}

/// The dates a window mail speaks of, written in `lang`.
struct Window {
    /// The last day the card is valid.
    expires: String,
    /// The day the platform locks.
    locks: String,
    /// The last day to file: the day before the lock.
    last: String,
}

fn window(template: Template, lang: Locale, v: &Vars) -> Result<Window, TemplateError> {
    let expires = Vars::need(&v.card_expires_on, template, "card_expires_on")?;
    let locks = Vars::need(&v.window_locks_on, template, "window_locks_on")?;
    Ok(Window {
        expires: format::date(expires, lang),
        locks: format::date(locks, lang),
        last: format::date(last_day(locks), lang),
    })
}

/// The day before the lock.
fn last_day(locks: NaiveDate) -> NaiveDate {
    locks.pred_opt().unwrap_or(locks)
}

/// The UI number with its middle masked ("A80****014"): enough for the holder to know the
/// card, not enough to be worth taking from a mailbox.
fn masked(ui_number: &str) -> String {
    let chars: Vec<char> = ui_number.chars().collect();
    let keep = if chars.len() >= 7 { 3 } else { 1 };
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < keep || i + keep >= chars.len() { *c } else { '*' })
        .collect()
}

/// The card's facts: the (masked) UI number when given, then `extra`.
fn card_facts(lang: Locale, v: &Vars, extra: Vec<(&'static str, String)>) -> Vec<(&'static str, String)> {
    let label = match lang {
        Locale::ZhTw => "統一證號",
        Locale::En => "UI number",
    };
    non_blank(v.ui_number.as_deref())
        .map(|ui| (label, masked(ui)))
        .into_iter()
        .chain(extra)
        .collect()
}

/// `window_open`: the online extension can be filed from today until the day before the
/// lock.
pub(super) fn open(lang: Locale, v: &Vars) -> Result<Letter, TemplateError> {
    const T: Template = Template::WindowOpen;
    let w = window(T, lang, v)?;
    let opens = format::date(Vars::need(&v.window_opens_on, T, "window_opens_on")?, lang);
    let platform = platform(lang);
    Ok(match lang {
        Locale::ZhTw => Letter::new("就業金卡線上延期申請已開放")
            .para(format!(
                "您的就業金卡效期至 {}。自 {opens} 起至 {} 止，您可以線上申請延期。",
                w.expires, w.last
            ))
            .facts(
                lang,
                v,
                card_facts(
                    lang,
                    v,
                    vec![("金卡效期至", w.expires.clone()), ("線上申請期間", format!("{opens} 至 {}", w.last))],
                ),
            )
            .para(format!(
                "{platform}將於 {}（金卡到期前一個月）自動關閉本卡的線上延期申請，自該日起即無法線上申請，請及早辦理。",
                w.locks
            ))
            .para(format!("申請方式：請登入「{platform}」，點選「就業金卡延期申請」。")),
        Locale::En => Letter::new("You can now apply online to extend your Gold Card")
            .para(format!(
                "Your Employment Gold Card is valid until {}. From {opens} until {}, you can apply online to extend it.",
                w.expires, w.last
            ))
            .facts(
                lang,
                v,
                card_facts(
                    lang,
                    v,
                    vec![("Card valid until", w.expires.clone()), ("Apply online", format!("{opens} to {}", w.last))],
                ),
            )
            .para(format!(
                "On {}, one month before the card expires, the {platform} stops taking online extension applications for this card; from that day it can no longer be extended online, so please apply in good time.",
                w.locks
            ))
            .para(format!(
                "To apply, sign in to the {platform} and choose 就業金卡延期申請 (Employment Gold Card extension)."
            )),
    })
}

/// `window_closing`: no extension filed yet, and the window locks soon.
pub(super) fn closing(lang: Locale, v: &Vars) -> Result<Letter, TemplateError> {
    let w = window(Template::WindowClosing, lang, v)?;
    let platform = platform(lang);
    Ok(match lang {
        Locale::ZhTw => Letter::new("就業金卡線上延期申請即將截止")
            .para(format!(
                "我們尚未收到您的就業金卡延期申請。您的金卡效期至 {}；線上延期申請將於 {}（金卡到期前一個月）關閉，自該日起即無法線上申請延期。",
                w.expires, w.locks
            ))
            .facts(
                lang,
                v,
                card_facts(lang, v, vec![("金卡效期至", w.expires.clone()), ("最後申請日", w.last.clone())]),
            )
            .para(format!(
                "請最遲於 {} 登入「{platform}」，點選「就業金卡延期申請」完成申請。",
                w.last
            ))
            .para("如您已提出申請，請忽略本信。"),
        Locale::En => Letter::new("The online Gold Card extension closes soon")
            .para(format!(
                "We have not yet received an extension application for your Employment Gold Card, which is valid until {}. The online extension closes on {}, one month before the card expires; from that day the card can no longer be extended online.",
                w.expires, w.locks
            ))
            .facts(
                lang,
                v,
                card_facts(lang, v, vec![("Card valid until", w.expires.clone()), ("Last day to apply", w.last.clone())]),
            )
            .para(format!(
                "Please sign in to the {platform} and apply under 就業金卡延期申請 (Employment Gold Card extension) by {} at the latest.",
                w.last
            ))
            .para("If you have already applied, please ignore this message."),
    })
}

/// `window_locked`: the window locked with no extension filed; what the holder can do
/// instead.
pub(super) fn locked(lang: Locale, v: &Vars) -> Result<Letter, TemplateError> {
    let w = window(Template::WindowLocked, lang, v)?;
    Ok(match lang {
        Locale::ZhTw => Letter::new("就業金卡線上延期申請已關閉")
            .para(format!(
                "您的就業金卡效期至 {}。線上延期申請已於 {}（金卡到期前一個月）關閉，由於我們未收到您的延期申請，本卡已無法線上申請延期。您的金卡在效期屆滿前仍然有效。",
                w.expires, w.locks
            ))
            .facts(lang, v, card_facts(lang, v, vec![("金卡效期至", w.expires.clone())]))
            .para("您仍可考慮以下方式：")
            .list(vec![
                "於現有金卡到期後，重新申請就業金卡（此為新申請案，而非延期）。".to_string(),
                "如符合資格，向內政部移民署申請求職居留，或申請變更居留事由。".to_string(),
                "如需協助評估您的情況，請洽就業金卡辦公室服務專線。".to_string(),
            ]),
        Locale::En => Letter::new("The online Gold Card extension has closed")
            .para(format!(
                "Your Employment Gold Card is valid until {}. The online extension closed on {}, one month before the card expires, and as we have no extension application from you, the card can no longer be extended online. The card itself stays valid until it expires.",
                w.expires, w.locks
            ))
            .facts(lang, v, card_facts(lang, v, vec![("Card valid until", w.expires.clone())]))
            .para("What you can do instead:")
            .list(vec![
                "Apply for a new Employment Gold Card after the current card expires (a new application, not an extension).".to_string(),
                "If you are eligible, apply to the National Immigration Agency (內政部移民署) for job-seeking residence (求職居留) or for a change of residence purpose.".to_string(),
                "Contact the Gold Card Office helpdesk for advice on your situation.".to_string(),
            ]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ui_numbers_are_masked_in_the_middle() {
        assert_eq!(masked("A800000014"), "A80****014");
        assert_eq!(masked("AB12"), "A**2");
    }

    #[test]
    fn the_last_day_to_file_is_the_day_before_the_lock() {
        let locks = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap_or_default();
        assert_eq!(
            last_day(locks),
            NaiveDate::from_ymd_opt(2027, 2, 28).unwrap_or_default()
        );
    }
}
