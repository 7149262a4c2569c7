//! Administration: accounts and roles, the access policy behind them, deactivating an
//! officer (and handing over their open cases), and the system's health.

use super::role_words;
use crate::components::{FieldMessage, confirm_box, input, message_for, select};
use crate::{Chrome, csrf_field, layout};
use maud::{Markup, html};

/// An account as the admin screens list it.
#[derive(Debug, Clone)]
pub struct AccountRow {
    /// Login.
    pub login: String,
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Role name.
    pub role: String,
    /// Active.
    pub active: bool,
    /// Open cases it holds.
    pub open_cases: u64,
}

/// The roles an admin may give: `(name, words)`.
pub fn role_options(chrome: &Chrome, roles: &[String]) -> Vec<(String, String)> {
    roles
        .iter()
        .map(|r| (r.clone(), format!("{} ({r})", role_words(chrome.lang, r))))
        .collect()
}

/// What the new-account form had typed, and its errors.
#[derive(Debug, Clone, Default)]
pub struct NewAccountForm {
    /// Login.
    pub login: String,
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Role.
    pub role: String,
    /// Errors by field.
    pub errors: Vec<FieldMessage>,
}

/// The accounts page.
pub fn accounts_page(chrome: &Chrome, accounts: &[AccountRow], roles: &[String], form: &NewAccountForm) -> Markup {
    let t = |zh, en| chrome.t(zh, en);
    let err = |f: &str| message_for(&form.errors, f);
    layout(
        chrome,
        t("帳號與角色", "Accounts and roles"),
        html! {
            h1 { (t("帳號與角色", "Accounts and roles")) }
            p { a href="/office/admin/policy" { (t("存取政策（casbin）", "Access policy (casbin)")) } " · " a href="/office/admin/health" { (t("系統狀態", "System health")) } }
            table.accounts {
                thead { tr {
                    th scope="col" { (t("帳號", "Login")) }
                    th scope="col" { (t("姓名", "Name")) }
                    th scope="col" { (t("電子郵件", "Email")) }
                    th scope="col" { (t("角色", "Role")) }
                    th scope="col" { (t("狀態", "Status")) }
                    th scope="col" { (t("承辦中案件", "Open cases")) }
                } }
                tbody {
                    @for a in accounts {
                        tr.inactive[!a.active] {
                            td { a href=(format!("/office/admin/accounts/{}", a.login)) { (a.login) } }
                            td { (a.name) }
                            td { (a.email) }
                            td { (role_words(chrome.lang, &a.role)) }
                            td { @if a.active { (t("啟用", "active")) } @else { (t("停用", "deactivated")) } }
                            td.num { (a.open_cases) }
                        }
                    }
                }
            }
            section aria-labelledby="new-h" {
                h2 id="new-h" { (t("新增帳號", "New account")) }
                form.card method="post" action="/office/admin/accounts" {
                    (csrf_field(chrome))
                    (input("text", "login", t("帳號", "Login"), &form.login, true, err("login")))
                    (input("text", "name", t("姓名", "Name"), &form.name, true, err("name")))
                    (input("email", "email", t("電子郵件", "Email"), &form.email, true, err("email")))
                    (select("role", t("角色", "Role"), &role_options(chrome, roles), &form.role, err("role")))
                    (input("password", "password", t("初始密碼（至少 10 字元）", "Initial password (10+ characters)"), "", true, err("password")))
                    button.primary type="submit" { (t("建立帳號", "Create account")) }
                }
            }
        },
    )
}

/// One account: change its role, deactivate it (the open cases it holds are listed for the
/// supervisors to reassign) or activate it.
pub fn account_page(chrome: &Chrome, a: &AccountRow, roles: &[String], errors: &[FieldMessage]) -> Markup {
    let t = |zh, en| chrome.t(zh, en);
    let err = |f: &str| message_for(errors, f);
    layout(
        chrome,
        &a.login,
        html! {
            h1 { (t("帳號", "Account")) " " (a.login) }
            dl.facts {
                dt { (t("姓名", "Name")) } dd { (a.name) }
                dt { (t("電子郵件", "Email")) } dd { (a.email) }
                dt { (t("角色", "Role")) } dd { (role_words(chrome.lang, &a.role)) }
                dt { (t("狀態", "Status")) } dd { @if a.active { (t("啟用", "active")) } @else { (t("停用", "deactivated")) } }
                dt { (t("承辦中案件", "Open cases")) } dd { (a.open_cases) }
            }
            section aria-labelledby="role-h" {
                h2 id="role-h" { (t("變更角色", "Change role")) }
                form.card method="post" action=(format!("/office/admin/accounts/{}/role", a.login)) {
                    (csrf_field(chrome))
                    (select("role", t("角色", "Role"), &role_options(chrome, roles), &a.role, err("role")))
                    (confirm_box(chrome.lang, "confirm-role", err("confirm")))
                    button type="submit" { (t("變更角色", "Change role")) }
                }
            }
            @if a.active {
                section aria-labelledby="deactivate-h" {
                    h2 id="deactivate-h" { (t("停用帳號", "Deactivate")) }
                    form.card method="post" action=(format!("/office/admin/accounts/{}/deactivate", a.login)) {
                        (csrf_field(chrome))
                        @if a.open_cases > 0 {
                            p { (t("停用後，此帳號承辦中的案件由該機關主管於工作佇列改分。", "After deactivation, the agency's supervisors reassign its open cases from the queue.")) }
                        }
                        (confirm_box(chrome.lang, "confirm-deactivate", err("confirm")))
                        button.danger type="submit" { (t("停用帳號", "Deactivate")) }
                    }
                }
            } @else {
                form.card method="post" action=(format!("/office/admin/accounts/{}/activate", a.login)) {
                    (csrf_field(chrome))
                    (confirm_box(chrome.lang, "confirm-activate", err("confirm")))
                    button type="submit" { (t("重新啟用", "Activate again")) }
                }
            }
        },
    )
}

/// A rule of the access policy as the policy page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRow {
    /// Role (or `anonymous`).
    pub subject: String,
    /// Route template or `event:NAME`.
    pub object: String,
    /// HTTP method or `fire`.
    pub action: String,
}

/// The policy page: the rules in force, those of the shipped policy missing from the
/// database (new routes since the database was seeded), and forms to change them.
pub fn policy_page(chrome: &Chrome, rules: &[RuleRow], links: &[(String, String)], missing: &[RuleRow]) -> Markup {
    let t = |zh, en| chrome.t(zh, en);
    layout(
        chrome,
        t("存取政策", "Access policy"),
        html! {
            h1 { (t("存取政策（casbin）", "Access policy (casbin)")) }
            p.hint { (t("每條規則允許一個角色對一個路由（HTTP 方法）或一個流程事件（fire）。角色繼承見下表。", "Each rule lets a role call a route (with an HTTP method) or fire a workflow event. Role inheritance is listed below.")) }
            @if !missing.is_empty() {
                section.banner.error aria-labelledby="missing-h" {
                    h2 id="missing-h" { (t("內建政策中有、資料庫缺少的規則", "Rules of the shipped policy missing from the database")) }
                    ul { @for r in missing { li { code { (r.subject) ", " (r.object) ", " (r.action) } } } }
                    form method="post" action="/office/admin/policy/apply-shipped" {
                        (csrf_field(chrome))
                        (confirm_box(chrome.lang, "confirm-apply", None))
                        button type="submit" { (t("加入這些規則", "Add these rules")) }
                    }
                }
            }
            section aria-labelledby="add-h" {
                h2 id="add-h" { (t("新增規則", "Add a rule")) }
                form.card method="post" action="/office/admin/policy/add" {
                    (csrf_field(chrome))
                    (input("text", "subject", t("角色", "Role"), "", true, None))
                    (input("text", "object", t("路由或事件", "Route or event"), "", true, None))
                    (input("text", "action", t("方法或 fire", "Method or fire"), "", true, None))
                    button type="submit" { (t("新增", "Add")) }
                }
            }
            section aria-labelledby="rules-h" {
                h2 id="rules-h" { (t("現行規則", "Rules in force")) " (" (rules.len()) ")" }
                table.rules {
                    thead { tr { th scope="col" { (t("角色", "Role")) } th scope="col" { (t("對象", "Object")) } th scope="col" { (t("動作", "Action")) } th scope="col" { (t("移除", "Remove")) } } }
                    tbody {
                        @for (i, r) in rules.iter().enumerate() {
                            tr {
                                td { (r.subject) } td { code { (r.object) } } td { (r.action) }
                                td {
                                    form.inline method="post" action="/office/admin/policy/remove" {
                                        (csrf_field(chrome))
                                        input type="hidden" name="subject" value=(r.subject);
                                        input type="hidden" name="object" value=(r.object);
                                        input type="hidden" name="action" value=(r.action);
                                        input type="checkbox" name="confirm" value="yes" id=(format!("rm-{i}")) required;
                                        label for=(format!("rm-{i}")) { (t("確認", "confirm")) }
                                        " " button type="submit" aria-label=(format!("{} {} {} {}", t("移除", "Remove"), r.subject, r.object, r.action)) { (t("移除", "Remove")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            section aria-labelledby="links-h" {
                h2 id="links-h" { (t("角色繼承", "Role inheritance")) }
                ul { @for (child, parent) in links { li { (child) " → " (parent) } } }
            }
        },
    )
}

/// The health page's figures.
#[derive(Debug, Clone)]
pub struct Health {
    /// The database answers.
    pub database_ok: bool,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// Outbox rows by status.
    pub outbox: Vec<(String, u64)>,
    /// The latest run of each job: name, started, outcome.
    pub jobs: Vec<(String, String, String)>,
    /// The server's version.
    pub version: String,
    /// Cases in all.
    pub cases: u64,
}

/// The health page.
pub fn health_page(chrome: &Chrome, h: &Health) -> Markup {
    let t = |zh, en| chrome.t(zh, en);
    layout(
        chrome,
        t("系統狀態", "System health"),
        html! {
            h1 { (t("系統狀態", "System health")) }
            dl.facts {
                dt { (t("資料庫", "Database")) } dd { (h.backend) " · " @if h.database_ok { (t("正常", "answering")) } @else { (t("無回應", "not answering")) } }
                dt { (t("版本", "Version")) } dd { (h.version) }
                dt { (t("案件總數", "Cases")) } dd { (h.cases) }
            }
            h2 { (t("郵件佇列", "Outbox")) }
            table { thead { tr { th scope="col" { (t("狀態", "Status")) } th scope="col" { (t("筆數", "Rows")) } } }
                tbody { @for (s, n) in &h.outbox { tr { td { (s) } td.num { (n) } } } } }
            h2 { (t("排程工作", "Scheduled jobs")) }
            table { thead { tr { th scope="col" { (t("工作", "Job")) } th scope="col" { (t("最近執行", "Last run")) } th scope="col" { (t("結果", "Outcome")) } } }
                tbody { @for (n, at, o) in &h.jobs { tr { td { (n) } td { (at) } td { (o) } } } } }
        },
    )
}
