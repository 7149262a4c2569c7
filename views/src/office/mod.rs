//! The back office's pages, and the sign-in page everyone starts on.

pub mod admin;
pub mod case;
pub mod dashboard;
pub mod queue;
pub mod sign_in;

use crate::components::badge;
use crate::{Chrome, Lang};
use maud::Markup;

/// A state as a coloured badge, in the definition's words (zh-TW / en).
pub fn state_badge(chrome: &Chrome, state: &str) -> Markup {
    badge(&format!("state state-{state}"), &chrome.state_label(state))
}

/// The words for a workflow event.
pub fn event_words(lang: Lang, event: &str) -> &'static str {
    match event {
        "file" => lang.pick("送件", "Filed"),
        "pay" => lang.pick("繳費", "Paid"),
        "withdraw" => lang.pick("撤案", "Withdraw"),
        "claim" => lang.pick("領案", "Claim"),
        "request_supplement" => lang.pick("通知補件", "Request documents"),
        "submit_supplement" => lang.pick("補件送出", "Documents supplied"),
        "supplement_overdue" => lang.pick("補件逾期", "Supplement overdue"),
        "approve" => lang.pick("資格審查通過", "Approve qualification"),
        "reject" => lang.pick("駁回", "Reject"),
        "consult" => lang.pick("會商主管機關", "Consult ministry"),
        "consultation_answered" => lang.pick("主管機關回覆", "Record ministry's opinion"),
        "issue" => lang.pick("核發", "Issue"),
        "reassign" => lang.pick("改分", "Reassign"),
        _ => lang.pick("其他事件", "Other event"),
    }
}

/// The words for a role.
pub fn role_words(lang: Lang, role: &str) -> &'static str {
    match role {
        "applicant" => lang.pick("申請人", "Applicant"),
        "labor_reviewer" => lang.pick("勞動力發展署審查員", "Labor reviewer"),
        "labor_supervisor" => lang.pick("勞動力發展署主管", "Labor supervisor"),
        "immigration_officer" => lang.pick("移民署承辦人", "Immigration officer"),
        "immigration_supervisor" => lang.pick("移民署主管", "Immigration supervisor"),
        "helpdesk" => lang.pick("金卡辦公室客服", "Helpdesk"),
        "cashier" => lang.pick("出納", "Cashier"),
        "payment_gateway" => lang.pick("金流服務", "Payment gateway"),
        "admin" => lang.pick("系統管理員", "Administrator"),
        "system" => lang.pick("系統排程", "Scheduler"),
        _ => lang.pick("其他角色", "Other role"),
    }
}

/// The words for an agency.
pub fn agency_words(lang: Lang, agency: &str) -> &'static str {
    match agency {
        "labor" => lang.pick("勞動部勞動力發展署", "Workforce Development Agency (MOL)"),
        "immigration" => lang.pick("內政部移民署", "National Immigration Agency"),
        "helpdesk" => lang.pick("就業金卡辦公室", "Taiwan Gold Card Office"),
        _ => lang.pick("其他機關", "Other agency"),
    }
}
