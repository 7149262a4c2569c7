//! `supplement_received`: to the applicant once the requested documents are submitted.

use super::{Letter, Locale, TemplateError, Vars};

pub(super) fn letter(lang: Locale, v: &Vars) -> Result<Letter, TemplateError> {
    Ok(match lang {
        Locale::ZhTw => Letter::new("已收到您的補件")
            .para("我們已收到您補充的文件，審查將繼續進行。")
            .facts(lang, v, [])
            .para("您可隨時登入申請網站查詢案件進度。"),
        Locale::En => Letter::new("Documents received")
            .para("We have received the documents you were asked for; the review continues.")
            .facts(lang, v, [])
            .para("You can follow the case on the application portal at any time."),
    })
}
