//! `supplement_reminder`: to the applicant a week before a supplement is due, listing the
//! documents still asked for and the due date; missing it is grounds for rejection.

use super::{DocumentNames, Letter, Locale, Template, TemplateError, Vars, format, supplement_requested};

pub(super) fn letter(lang: Locale, v: &Vars, names: &DocumentNames) -> Result<Letter, TemplateError> {
    const T: Template = Template::SupplementReminder;
    let due = format::date(Vars::need(&v.supplement_due_on, T, "supplement_due_on")?, lang);
    let items = supplement_requested::items(T, lang, v, names)?;
    Ok(match lang {
        Locale::ZhTw => Letter::new(format!("補件提醒：請於 {due} 前補件"))
            .para(format!("提醒您，本案的補件期限為 {due}，我們尚未收到您補充下列文件："))
            .list(items)
            .facts(lang, v, [("補件期限", due.clone())])
            .para(format!(
                "請於 {due} 前登入申請網站上傳上列文件並送出補件。逾期未補件者，得依規定駁回本案。"
            ))
            .para("如您已送出補件，請忽略本信。"),
        Locale::En => Letter::new(format!("Reminder: documents due by {due}"))
            .para(format!(
                "This is a reminder that the documents requested for this case are due by {due}. We have not yet received the following:"
            ))
            .list(items)
            .facts(lang, v, [("Upload by", due.clone())])
            .para(format!(
                "Please sign in to the application portal, upload these documents and submit them by {due}. Missing this deadline is grounds for rejecting the application (駁回)."
            ))
            .para("If you have already submitted them, please ignore this message."),
    })
}
