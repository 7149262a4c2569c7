//! `unpaid_reminder`: to the applicant when a case is still unpaid 30 days after filing:
//! the fee is due, and the review starts only once it is paid.

use super::{Letter, Locale, Template, TemplateError, Vars, format};

pub(super) fn letter(lang: Locale, v: &Vars) -> Result<Letter, TemplateError> {
    const T: Template = Template::UnpaidReminder;
    let fee = format::twd(Vars::need(&v.fee_twd, T, "fee_twd")?, lang);
    let filed = format::date(Vars::need(&v.filed_on, T, "filed_on")?, lang);
    Ok(match lang {
        Locale::ZhTw => Letter::new("繳費提醒：延期申請尚未繳納審查費")
            .para(format!(
                "您於 {filed} 提出的就業金卡延期申請尚未繳納審查費。案件須於繳費後才會進入審查。"
            ))
            .facts(lang, v, [("申請日", filed.clone()), ("應繳審查費", fee)])
            .para("請登入申請網站，於本案頁面點選「線上繳費」繳納審查費。")
            .para("如您已繳費，請忽略本信。"),
        Locale::En => Letter::new("Reminder: the fee for your extension application is unpaid")
            .para(format!(
                "The fee for the Employment Gold Card extension application you filed on {filed} has not been paid yet. The review starts only once the fee is paid."
            ))
            .facts(lang, v, [("Filed on", filed.clone()), ("Fee due", fee)])
            .para("Please sign in to the application portal and pay the fee with 線上繳費 (Pay online) on the case's page.")
            .para("If you have already paid, please ignore this message."),
    })
}
