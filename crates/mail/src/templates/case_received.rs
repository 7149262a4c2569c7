//! `case_received`: to the applicant when a case is filed, with its number and the fee due.

use super::{Letter, Locale, Template, TemplateError, Vars, format};

pub(super) fn letter(lang: Locale, v: &Vars) -> Result<Letter, TemplateError> {
    let fee = Vars::need(&v.fee_twd, Template::CaseReceived, "fee_twd")?;
    Ok(match lang {
        Locale::ZhTw => Letter::new("已收到您的就業金卡延期申請")
            .para("我們已收到您的就業金卡延期申請。繳納審查費後，案件即進入審查。")
            .facts(lang, v, [("應繳審查費", format::twd(fee, lang))])
            .para("請登入申請網站繳納審查費，並可隨時查詢案件進度。"),
        Locale::En => Letter::new("We received your Gold Card extension application")
            .para(
                "We have received your Employment Gold Card extension application. Review begins once the fee is paid.",
            )
            .facts(lang, v, [("Fee due", format::twd(fee, lang))])
            .para(
                "Please sign in to the application portal to pay the fee; you can follow the case there at any time.",
            ),
    })
}
