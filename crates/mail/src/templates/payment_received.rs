//! `payment_received`: to the applicant once the fee is confirmed.

use super::{Letter, Locale, TemplateError, Vars, format};

pub(super) fn letter(lang: Locale, v: &Vars) -> Result<Letter, TemplateError> {
    let fee = |label: &'static str| v.fee_twd.map(|f| (label, format::twd(f, lang)));
    Ok(match lang {
        Locale::ZhTw => Letter::new("已收到審查費")
            .para("我們已收到本案的審查費。案件已進入勞動部的審查佇列，審查期間如需補件，我們會再通知您。")
            .facts(lang, v, fee("審查費"))
            .para("您可隨時登入申請網站查詢案件進度。"),
        Locale::En => Letter::new("Fee received")
            .para("We have received the fee for this case. It is now queued for review by the Ministry of Labor; we will write again if documents are needed.")
            .facts(lang, v, fee("Fee"))
            .para("You can follow the case on the application portal at any time."),
    })
}
