//! `rejected`: to the applicant when the application is refused, with the grounds, the
//! reason, the legal basis and how to appeal.

use super::{Letter, Locale, Template, TemplateError, Vars};

pub(super) fn letter(lang: Locale, v: &Vars) -> Result<Letter, TemplateError> {
    const T: Template = Template::Rejected;
    let reason = Vars::need_text(&v.reason, T, "reason")?;
    let legal_basis = Vars::need_text(&v.legal_basis, T, "legal_basis")?;
    let decision = grounds(v.grounds.as_deref(), lang);
    Ok(match lang {
        Locale::ZhTw => Letter::new("延期申請審查結果：未獲核准")
            .para("很遺憾通知您，您的就業金卡延期申請經審查未獲核准。")
            .facts(lang, v, [("處分", decision), ("理由", reason), ("法令依據", legal_basis)])
            .para("如不服本處分，得依訴願法規定，自處分書送達之次日起 30 日內提起訴願。"),
        Locale::En => Letter::new("Decision on your extension application: not granted")
            .para("We regret to inform you that your Employment Gold Card extension application was not granted.")
            .facts(
                lang,
                v,
                [("Decision", decision), ("Reason", reason), ("Legal basis", legal_basis)],
            )
            .para("If you disagree with this decision, you may file an administrative appeal under the Administrative Appeal Act within 30 days of the day after the decision is served."),
    })
}

/// The decision's name for its grounds (`reject`'s `grounds`).
fn grounds(grounds: Option<&str>, lang: Locale) -> String {
    match (grounds, lang) {
        (Some("not_eligible"), Locale::ZhTw) => "不予許可".into(),
        (Some("not_eligible"), Locale::En) => "Not eligible: the extension is refused".into(),
        (Some("supplement_missed"), Locale::ZhTw) => "駁回（逾期未補件）".into(),
        (Some("supplement_missed"), Locale::En) => "Rejected: the requested documents did not arrive in time".into(),
        (Some("other") | None, Locale::ZhTw) => "駁回".into(),
        (Some("other") | None, Locale::En) => "Rejected".into(),
        (Some(code), _) => code.to_string(),
    }
}
