//! `/office/admin/…`: accounts and roles, deactivating an officer (their open cases are
//! reassigned through the workflow engine), the casbin policy, and system health.

use super::{Ctx, PageForm};
use crate::error::{ApiError, ApiResult};
use crate::service;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use goldcard_domain::Email;
use goldcard_store::accounts::{self, Login, NewAccount};
use goldcard_store::entity::{accounts as account, cases, job_runs, outbox};
use goldcard_views::components::FieldMessage;
use goldcard_views::office::admin::{
    AccountRow, Health, NewAccountForm, RuleRow, account_page, accounts_page, health_page, policy_page,
};
use goldcard_workflow::Role;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;

/// The roles a person can hold (not `system`).
fn person_roles() -> Vec<String> {
    Role::ALL
        .iter()
        .filter(|r| **r != Role::System)
        .map(|r| r.as_str().to_string())
        .collect()
}

/// The non-terminal states.
fn open_states(ctx: &Ctx) -> Vec<String> {
    ctx.state
        .workflow
        .states
        .iter()
        .filter(|s| !s.terminal)
        .map(|s| s.name.clone())
        .collect()
}

/// Open cases per assignee.
async fn open_counts(ctx: &Ctx) -> ApiResult<HashMap<i64, u64>> {
    Ok(cases::Entity::find()
        .select_only()
        .column(cases::Column::AssigneeId)
        .column_as(cases::Column::Id.count(), "n")
        .filter(cases::Column::AssigneeId.is_not_null())
        .filter(cases::Column::State.is_in(open_states(ctx)))
        .group_by(cases::Column::AssigneeId)
        .into_tuple::<(Option<i64>, i64)>()
        .all(ctx.state.store.db())
        .await
        .map_err(service::db_err)?
        .into_iter()
        .filter_map(|(id, n)| id.map(|id| (id, u64::try_from(n).unwrap_or(0))))
        .collect())
}

fn row(a: &account::Model, open: &HashMap<i64, u64>) -> AccountRow {
    AccountRow {
        login: a.login.clone(),
        name: a.display_name.clone(),
        email: a.email.clone(),
        role: a.role.clone(),
        active: a.active,
        open_cases: open.get(&a.id).copied().unwrap_or(0),
    }
}

async fn list_page(ctx: &Ctx, form: &NewAccountForm, status: StatusCode) -> ApiResult<Response> {
    let open = open_counts(ctx).await?;
    let rows: Vec<AccountRow> = accounts::list(ctx.state.store.db())
        .await?
        .iter()
        .map(|a| row(a, &open))
        .collect();
    Ok((status, accounts_page(&ctx.chrome, &rows, &person_roles(), form)).into_response())
}

/// `GET /office/admin/accounts`.
pub async fn accounts_list(ctx: Ctx) -> Response {
    list_page(&ctx, &NewAccountForm::default(), StatusCode::OK)
        .await
        .unwrap_or_else(|e| ctx.fail(e))
}

/// `POST /office/admin/accounts`: creates an account.
pub async fn create(mut ctx: Ctx, form: PageForm) -> Response {
    let mut f = NewAccountForm {
        login: form.get("login").to_string(),
        name: form.get("name").to_string(),
        email: form.get("email").to_string(),
        role: form.get("role").to_string(),
        errors: Vec::new(),
    };
    let mut errors: Vec<FieldMessage> = Vec::new();
    let login = Login::parse(&f.login)
        .map_err(|e| errors.push(fm("login", e.to_string())))
        .ok();
    let email = Email::parse(&f.email)
        .map_err(|e| errors.push(fm("email", e.to_string())))
        .ok();
    let role = f.role.parse::<Role>().ok().filter(|r| *r != Role::System);
    if role.is_none() {
        errors.push(fm("role", ctx.t("請選擇角色。", "Choose a role.").to_string()));
    }
    if f.name.is_empty() || f.name.chars().count() > 100 {
        errors.push(fm(
            "name",
            ctx.t("請填寫姓名（100 字以內）。", "Give a name (up to 100 characters).")
                .to_string(),
        ));
    }
    let password = form.get("password").to_string();
    if password.chars().count() < accounts::MIN_PASSWORD {
        errors.push(fm(
            "password",
            ctx.t("密碼至少 10 個字元。", "A password has at least 10 characters.")
                .to_string(),
        ));
    }
    if let (true, Some(login), Some(email), Some(role)) = (errors.is_empty(), login, email, role) {
        let created = accounts::create(
            ctx.state.store.db(),
            NewAccount {
                login,
                email,
                display_name: f.name.clone(),
                role,
                password: Some(password),
                locale: ctx.chrome.lang.code().to_string(),
            },
            ctx.state.clock.now(),
        )
        .await;
        match created {
            Ok(a) => {
                ctx.state.staff.clear();
                let text = format!("{} {}", ctx.t("已建立帳號", "Account created:"), a.login);
                ctx.flash(true, text);
                return list_page(&ctx, &NewAccountForm::default(), StatusCode::OK)
                    .await
                    .unwrap_or_else(|e| ctx.fail(e));
            }
            Err(goldcard_store::StoreError::Duplicate(_)) => {
                errors.push(fm("login", ctx.t("此帳號已存在。", "This login is taken.").to_string()))
            }
            Err(e) => return ctx.fail(e.into()),
        }
    }
    f.errors = errors;
    list_page(&ctx, &f, StatusCode::UNPROCESSABLE_ENTITY)
        .await
        .unwrap_or_else(|e| ctx.fail(e))
}

fn fm(field: &str, message: String) -> FieldMessage {
    FieldMessage {
        field: field.to_string(),
        message,
    }
}

async fn find(ctx: &Ctx, login: &str) -> ApiResult<account::Model> {
    accounts::find_by_login(ctx.state.store.db(), login)
        .await?
        .ok_or_else(|| ApiError::not_found("account_not_found", ctx.t("沒有這個帳號。", "No such account.")))
}

async fn detail(ctx: &Ctx, login: &str, errors: &[FieldMessage], status: StatusCode) -> ApiResult<Response> {
    let a = find(ctx, login).await?;
    let open = open_counts(ctx).await?;
    Ok((
        status,
        account_page(&ctx.chrome, &row(&a, &open), &person_roles(), errors),
    )
        .into_response())
}

/// `GET /office/admin/accounts/{login}`.
pub async fn account(ctx: Ctx, Path(login): Path<String>) -> Response {
    detail(&ctx, &login, &[], StatusCode::OK)
        .await
        .unwrap_or_else(|e| ctx.fail(e))
}

fn unconfirmed(ctx: &Ctx) -> Vec<FieldMessage> {
    vec![fm(
        "confirm",
        ctx.t("請勾選確認。", "Tick the box to confirm.").to_string(),
    )]
}

/// `POST /office/admin/accounts/{login}/role`.
pub async fn set_role(mut ctx: Ctx, Path(login): Path<String>, form: PageForm) -> Response {
    if !form.confirmed() {
        return detail(&ctx, &login, &unconfirmed(&ctx), StatusCode::UNPROCESSABLE_ENTITY)
            .await
            .unwrap_or_else(|e| ctx.fail(e));
    }
    let r: ApiResult<()> = async {
        let a = find(&ctx, &login).await?;
        let role = form
            .get("role")
            .parse::<Role>()
            .ok()
            .filter(|r| *r != Role::System)
            .ok_or_else(|| {
                ApiError::validation(vec![goldcard_domain::FieldError::new(
                    "role",
                    "invalid",
                    "unknown role",
                )])
            })?;
        accounts::set_role(ctx.state.store.db(), a.id, role).await?;
        ctx.state.credentials.clear();
        ctx.state.staff.clear();
        Ok(())
    }
    .await;
    match r {
        Ok(()) => {
            ctx.flash(true, ctx.t("已變更角色。", "Role changed.").to_string());
            detail(&ctx, &login, &[], StatusCode::OK)
                .await
                .unwrap_or_else(|e| ctx.fail(e))
        }
        Err(e) => ctx.fail(e),
    }
}

/// `POST /office/admin/accounts/{login}/deactivate`: deactivates the account at once (its
/// sessions and tokens stop working) and reports the review cases it still holds. The admin
/// makes no case decisions and may not fire `reassign` (workflow.md: supervisors only), so
/// the result names those cases and the queue, filtered by this officer, where the agency's
/// supervisors reassign them in bulk.
pub async fn deactivate(mut ctx: Ctx, Path(login): Path<String>, form: PageForm) -> Response {
    if !form.confirmed() {
        return detail(&ctx, &login, &unconfirmed(&ctx), StatusCode::UNPROCESSABLE_ENTITY)
            .await
            .unwrap_or_else(|e| ctx.fail(e));
    }
    let r: ApiResult<(account::Model, Vec<String>)> = async {
        let a = find(&ctx, &login).await?;
        if a.id == ctx.caller.account_id {
            return Err(ApiError::conflict(
                "own_account",
                ctx.t("不能停用自己的帳號。", "You cannot deactivate your own account."),
            ));
        }
        let open = cases::Entity::find()
            .filter(cases::Column::AssigneeId.eq(a.id))
            .filter(cases::Column::State.is_in(open_states(&ctx)))
            .order_by_asc(cases::Column::Id)
            .all(ctx.state.store.db())
            .await
            .map_err(service::db_err)?;
        accounts::set_active(ctx.state.store.db(), a.id, false).await?;
        ctx.state.credentials.clear();
        ctx.state.staff.clear();
        Ok((a, open.into_iter().map(|c| c.case_number).collect()))
    }
    .await;
    match r {
        Ok((a, held)) => {
            ctx.state.counts.clear();
            let mut text = ctx.t("已停用帳號。", "Account deactivated.").to_string();
            if !held.is_empty() {
                let queue = format!("/office/queues/labor_review?assignee={}", a.login);
                text.push_str(&match ctx.chrome.lang {
                    goldcard_views::Lang::ZhTw => format!(
                        " 此帳號仍承辦 {} 件，請該機關主管於工作佇列（篩選承辦人 {}，如 {queue}）改分：{}",
                        held.len(),
                        a.login,
                        held.join(", ")
                    ),
                    goldcard_views::Lang::En => format!(
                        " It still holds {} cases; the agency's supervisors reassign them from the queue filtered by {} (e.g. {queue}): {}",
                        held.len(),
                        a.login,
                        held.join(", ")
                    ),
                });
            }
            ctx.flash(true, text);
            detail(&ctx, &login, &[], StatusCode::OK)
                .await
                .unwrap_or_else(|e| ctx.fail(e))
        }
        Err(e) => ctx.fail(e),
    }
}

/// `POST /office/admin/accounts/{login}/activate`.
pub async fn activate(mut ctx: Ctx, Path(login): Path<String>, form: PageForm) -> Response {
    if !form.confirmed() {
        return detail(&ctx, &login, &unconfirmed(&ctx), StatusCode::UNPROCESSABLE_ENTITY)
            .await
            .unwrap_or_else(|e| ctx.fail(e));
    }
    let r: ApiResult<()> = async {
        let a = find(&ctx, &login).await?;
        accounts::set_active(ctx.state.store.db(), a.id, true).await?;
        ctx.state.credentials.clear();
        ctx.state.staff.clear();
        Ok(())
    }
    .await;
    match r {
        Ok(()) => {
            ctx.flash(true, ctx.t("已重新啟用。", "Activated.").to_string());
            detail(&ctx, &login, &[], StatusCode::OK)
                .await
                .unwrap_or_else(|e| ctx.fail(e))
        }
        Err(e) => ctx.fail(e),
    }
}

async fn policy_screen(ctx: &Ctx) -> Response {
    let in_force = ctx.state.access.policies().await;
    let rules: Vec<RuleRow> = in_force
        .iter()
        .map(|p| RuleRow {
            subject: p.subject.clone(),
            object: p.object.clone(),
            action: p.action.clone(),
        })
        .collect();
    let missing: Vec<RuleRow> = goldcard_access::shipped_policies()
        .into_iter()
        .filter(|p| !in_force.contains(p))
        .map(|p| RuleRow {
            subject: p.subject,
            object: p.object,
            action: p.action,
        })
        .collect();
    let links = ctx.state.access.role_links().await;
    ctx.page(policy_page(&ctx.chrome, &rules, &links, &missing))
}

/// `GET /office/admin/policy`.
pub async fn policy(ctx: Ctx) -> Response {
    policy_screen(&ctx).await
}

fn rule_of(form: &PageForm) -> Option<(String, String, String)> {
    let (s, o, a) = (form.get("subject"), form.get("object"), form.get("action"));
    let valid = !s.is_empty()
        && !o.is_empty()
        && !a.is_empty()
        && [s, o, a]
            .iter()
            .all(|v| v.len() <= 200 && !v.contains(',') && !v.contains('\n'));
    valid.then(|| (s.to_string(), o.to_string(), a.to_string()))
}

/// `POST /office/admin/policy/add`.
pub async fn policy_add(mut ctx: Ctx, form: PageForm) -> Response {
    let Some((s, o, a)) = rule_of(&form) else {
        return ctx.fail(ApiError::validation(vec![goldcard_domain::FieldError::new(
            "object",
            "invalid",
            ctx.t(
                "角色、對象與動作皆須填寫，且不得含逗號。",
                "Role, object and action are required, without commas.",
            ),
        )]));
    };
    match ctx.state.access.add_policy(&s, &o, &a).await {
        Ok(added) => {
            let text = if added {
                ctx.t("已新增規則。", "Rule added.")
            } else {
                ctx.t("規則已存在。", "The rule was already there.")
            };
            ctx.flash(true, text.to_string());
            policy_screen(&ctx).await
        }
        Err(e) => ctx.fail(ApiError::internal("policy add", e)),
    }
}

/// `POST /office/admin/policy/remove`.
pub async fn policy_remove(mut ctx: Ctx, form: PageForm) -> Response {
    let Some((s, o, a)) = rule_of(&form).filter(|_| form.confirmed()) else {
        return ctx.fail(ApiError::validation(vec![goldcard_domain::FieldError::new(
            "confirm",
            "required",
            ctx.t("請勾選確認。", "Tick the box to confirm."),
        )]));
    };
    match ctx.state.access.remove_policy(&s, &o, &a).await {
        Ok(_) => {
            ctx.flash(true, ctx.t("已移除規則。", "Rule removed.").to_string());
            policy_screen(&ctx).await
        }
        Err(e) => ctx.fail(ApiError::internal("policy remove", e)),
    }
}

/// `POST /office/admin/policy/apply-shipped`: adds the shipped policy's rules missing from
/// the database.
pub async fn policy_apply_shipped(mut ctx: Ctx, form: PageForm) -> Response {
    if !form.confirmed() {
        return ctx.fail(ApiError::validation(vec![goldcard_domain::FieldError::new(
            "confirm",
            "required",
            ctx.t("請勾選確認。", "Tick the box to confirm."),
        )]));
    }
    let in_force = ctx.state.access.policies().await;
    let mut added = 0;
    for p in goldcard_access::shipped_policies()
        .into_iter()
        .filter(|p| !in_force.contains(p))
    {
        match ctx.state.access.add_policy(&p.subject, &p.object, &p.action).await {
            Ok(true) => added += 1,
            Ok(false) => {}
            Err(e) => return ctx.fail(ApiError::internal("policy apply", e)),
        }
    }
    ctx.flash(true, format!("{} {added}", ctx.t("已加入規則數：", "Rules added:")));
    policy_screen(&ctx).await
}

/// `GET /office/admin/health`.
pub async fn health(ctx: Ctx) -> Response {
    let db = ctx.state.store.db();
    let database_ok = db.execute_unprepared("SELECT 1").await.is_ok();
    let outbox: Vec<(String, u64)> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Status)
        .column_as(outbox::Column::Id.count(), "n")
        .group_by(outbox::Column::Status)
        .into_tuple::<(String, i64)>()
        .all(db)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|(s, n)| (s, u64::try_from(n).unwrap_or(0)))
        .collect();
    let runs = job_runs::Entity::find()
        .order_by_desc(job_runs::Column::Id)
        .limit(200)
        .all(db)
        .await
        .unwrap_or_default();
    let mut jobs: Vec<(String, String, String)> = Vec::new();
    for r in runs {
        if !jobs.iter().any(|(n, _, _)| *n == r.name) {
            jobs.push((
                r.name,
                goldcard_views::components::taipei_time(r.started_at),
                r.outcome.unwrap_or_else(|| "running".to_string()),
            ));
        }
    }
    jobs.sort();
    let h = Health {
        database_ok,
        backend: format!("{:?}", ctx.state.store.backend()).to_lowercase(),
        outbox,
        jobs,
        version: env!("CARGO_PKG_VERSION").to_string(),
        cases: cases::Entity::find().count(db).await.unwrap_or(0),
    };
    let status = if database_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, health_page(&ctx.chrome, &h)).into_response()
}
