//! `issued`: to the applicant when the extension is granted, with the card's new expiry.

use super::{Letter, Locale, Template, TemplateError, Vars, format};

pub(super) fn letter(lang: Locale, v: &Vars) -> Result<Letter, TemplateError> {
    let expires = format::date(Vars::need(&v.new_expires_on, Template::Issued, "new_expires_on")?, lang);
    Ok(match lang {
        Locale::ZhTw => Letter::new("延期申請已核准")
            .para(format!("您的就業金卡延期申請已核准，金卡效期延長至 {expires}。"))
            .facts(lang, v, [("新效期", expires.clone())])
            .para("您可登入申請網站查看核准內容。"),
        Locale::En => Letter::new("Extension granted")
            .para(format!(
                "Your Employment Gold Card extension has been granted: the card is now valid until {expires}."
            ))
            .facts(lang, v, [("Valid until", expires.clone())])
            .para("You can see the decision on the application portal."),
    })
}
