//! `supplement_overdue`: to the assigned officer when the supplement deadline passed
//! without the documents.

use super::{Letter, Locale, TemplateError, Vars, format};

pub(super) fn letter(lang: Locale, v: &Vars) -> Result<Letter, TemplateError> {
    let case = v.case_label(lang);
    let due = v.supplement_due_on.map(|d| format::date(d, lang));
    Ok(match lang {
        Locale::ZhTw => Letter::new("補件期限已過")
            .para(format!("案件 {case} 的補件期限已過，申請人未於期限內補件。案件已回到您的審查佇列並標示為逾期未補件。"))
            .facts(lang, v, due.map(|d| ("補件期限", d)))
            .para("請登入後台決定後續處理（通常為以逾期未補件駁回）。"),
        Locale::En => Letter::new("Supplement deadline passed")
            .para(format!(
                "The deadline for the documents requested on case {case} has passed without them. The case is back in your review queue, marked as overdue."
            ))
            .facts(lang, v, due.map(|d| ("Deadline", d)))
            .para("Please sign in to the back office and decide how to proceed (usually a rejection citing the missed deadline)."),
    })
}
