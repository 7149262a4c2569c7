//! `sign_in_code`: to the person signing in, the one-time verification code and how long
//! it is valid. The code is in the bodies only: the subject shows on lock screens and in
//! notifications.

use super::{Letter, Locale, Template, TemplateError, Vars};

pub(super) fn letter(lang: Locale, v: &Vars) -> Result<Letter, TemplateError> {
    const T: Template = Template::SignInCode;
    let code = Vars::need_text(&v.code, T, "code")?;
    let minutes = Vars::need(&v.valid_minutes, T, "valid_minutes")?;
    Ok(match lang {
        Locale::ZhTw => Letter::new("登入驗證碼")
            .para(format!("您的登入驗證碼為 {code}，{minutes} 分鐘內有效。"))
            .facts(
                lang,
                v,
                [("驗證碼", code.clone()), ("有效時間", format!("{minutes} 分鐘"))],
            )
            .para("如果您並未嘗試登入，請忽略本信，並建議您盡快變更密碼。")
            .para("請勿將驗證碼告訴任何人，包括自稱就業金卡辦公室人員者。"),
        Locale::En => {
            let minutes = match minutes {
                1 => "1 minute".to_string(),
                n => format!("{n} minutes"),
            };
            Letter::new("Sign-in verification code")
                .para(format!(
                    "Your sign-in verification code is {code}. It is valid for {minutes}."
                ))
                .facts(lang, v, [("Code", code.clone()), ("Valid for", minutes)])
                .para("If you did not try to sign in, please ignore this message, and consider changing your password.")
                .para(
                    "Never share this code with anyone, including anyone who says they are from the Gold Card Office.",
                )
        }
    })
}
