//! Signing in (`/`): who is filing or working (applicant self / employer / agency /
//! officer), login and password; then the 6-digit code sent by email.

use crate::components::input;
use crate::{Chrome, csrf_field, layout};
use maud::{Markup, html};

/// The sign-in choices of interfaces.md: `(value, zh-TW, en)`.
pub const SIGN_IN_AS: [(&str, &str, &str); 4] = [
    ("self", "外國人自行申請", "Holder filing for themselves"),
    ("employer", "雇主提出申請", "Employer filing for an employee"),
    ("agency", "委託代辦機構提出申請", "Appointed agency filing"),
    (
        "officer",
        "機關人員（審查、客服、管理）",
        "Officer (review, helpdesk, admin)",
    ),
];

/// The first step: role choice, login and password.
pub fn password_page(chrome: &Chrome, as_: &str, login: &str, error: Option<&str>) -> Markup {
    let t = |zh, en| chrome.t(zh, en);
    layout(
        chrome,
        t("登入", "Sign in"),
        html! {
            h1 { (t("登入就業金卡延期申請系統", "Sign in to Gold Card extensions")) }
            @if let Some(e) = error { div.banner.error role="alert" { (e) } }
            form.card method="post" action="/sign-in" {
                (csrf_field(chrome))
                fieldset {
                    legend { (t("申請身分", "Signing in as")) }
                    @for (value, zh, en) in SIGN_IN_AS {
                        div.choice {
                            input type="radio" id=(format!("as-{value}")) name="as" value=(value) checked[value == as_] required;
                            label for=(format!("as-{value}")) { (chrome.lang.pick(zh, en)) }
                        }
                    }
                }
                (input("text", "login", t("帳號", "Login"), login, true, None))
                (input("password", "password", t("密碼", "Password"), "", true, None))
                button.primary type="submit" { (t("下一步：寄送驗證碼", "Next: email me a code")) }
            }
            p.hint { (t("密碼正確後，系統會寄送 6 位數驗證碼到您的電子郵件，10 分鐘內有效。連續 5 次錯誤將鎖定 15 分鐘。",
                        "After your password, a 6-digit code is emailed to you; it is valid for 10 minutes. Five failures lock the account for 15 minutes.")) }
        },
    )
}

/// The second step: the emailed code.
pub fn code_page(chrome: &Chrome, challenge_id: &str, as_: &str, error: Option<&str>) -> Markup {
    let t = |zh, en| chrome.t(zh, en);
    layout(
        chrome,
        t("輸入驗證碼", "Enter your code"),
        html! {
            h1 { (t("輸入電子郵件驗證碼", "Enter the code we emailed you")) }
            @if let Some(e) = error { div.banner.error role="alert" { (e) } }
            form.card method="post" action="/sign-in/code" {
                (csrf_field(chrome))
                input type="hidden" name="challenge_id" value=(challenge_id);
                input type="hidden" name="as" value=(as_);
                div.field {
                    label for="f-code" { (t("6 位數驗證碼", "6-digit code")) }
                    input type="text" id="f-code" name="code" inputmode="numeric" autocomplete="one-time-code"
                        pattern="[0-9]{6}" maxlength="6" required autofocus;
                }
                button.primary type="submit" { (t("登入", "Sign in")) }
            }
            p { a href="/" { (t("重新登入", "Start again")) } }
        },
    )
}
