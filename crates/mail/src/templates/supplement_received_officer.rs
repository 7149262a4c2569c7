//! `supplement_received_officer`: to the assigned officer once the applicant has submitted
//! the documents asked for.

use super::{Letter, Locale, TemplateError, Vars};

pub(super) fn letter(lang: Locale, v: &Vars) -> Result<Letter, TemplateError> {
    let case = v.case_label(lang);
    Ok(match lang {
        Locale::ZhTw => Letter::new("申請人已補件")
            .para(format!("案件 {case} 的申請人已上傳並送出您要求的補件，案件已回到您的審查佇列，審查期間恢復計算。"))
            .facts(lang, v, [])
            .para("請登入後台繼續審查。"),
        Locale::En => Letter::new("Requested documents received")
            .para(format!(
                "The applicant of case {case} has uploaded and submitted the documents you asked for. The case is back in your review queue and its review clock runs again."
            ))
            .facts(lang, v, [])
            .para("Please sign in to the back office to continue the review."),
    })
}
