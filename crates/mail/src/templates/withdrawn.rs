//! `withdrawn`: to the applicant when the case is withdrawn (by them, or by an officer on
//! their written request, with its reason).

use super::{Letter, Locale, TemplateError, Vars};

pub(super) fn letter(lang: Locale, v: &Vars) -> Result<Letter, TemplateError> {
    let reason = v
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    Ok(match lang {
        Locale::ZhTw => Letter::new("案件已撤回")
            .para("您的就業金卡延期申請已撤案，本案不再審查。")
            .facts(lang, v, reason.map(|r| ("撤案理由", r)))
            .para("如仍需延期，請於申請期間內重新提出申請。"),
        Locale::En => Letter::new("Application withdrawn")
            .para(
                "Your Employment Gold Card extension application has been withdrawn and will not be reviewed further.",
            )
            .facts(lang, v, reason.map(|r| ("Reason", r)))
            .para("If you still need an extension, please file a new application within the filing period."),
    })
}
