//! Signing in on the web: `/` (who, login, password), `/sign-in` (the code is emailed),
//! `/sign-in/code` (the session cookie is set), `/sign-out`. The same
//! `goldcard_access::sign_in` functions as the JSON API: lockout, code lifetime and session
//! rules live there.

use super::{CSRF_COOKIE, PageForm, lang_of, random_token, set_cookie};
use crate::AppState;
use crate::auth::{Caller, SESSION_COOKIE, cookie};
use crate::error::ApiError;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use goldcard_access::sign_in::{self, SignInError};
use goldcard_views::office::sign_in::{SIGN_IN_AS, code_page, password_page};
use goldcard_views::{Chrome, Lang};
use goldcard_workflow::Role;
use sea_orm::EntityTrait;

/// The cookie remembering who an applicant files as (self, employer, agency).
pub const FILER_COOKIE: &str = "goldcard_filer";

/// Where a role goes after signing in.
pub fn home_of(role: Role) -> &'static str {
    if role == Role::Applicant { "/apply" } else { "/office" }
}

fn anonymous_chrome(state: &AppState, headers: &HeaderMap) -> (Chrome, Option<HeaderValue>) {
    let lang = lang_of(headers, None);
    match cookie(headers, CSRF_COOKIE).filter(|t| t.len() == 48) {
        Some(token) => (Chrome::anonymous(lang, token.to_string(), "/"), None),
        None => {
            let token = random_token();
            let set = set_cookie(state, CSRF_COOKIE, Some(&token));
            (Chrome::anonymous(lang, token, "/"), Some(set))
        }
    }
}

fn with_cookie(mut r: Response, set: Option<HeaderValue>) -> Response {
    if let Some(v) = set {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// `GET /`: the sign-in page (or, when signed in, the person's start page).
pub async fn page(State(state): State<AppState>, headers: HeaderMap, caller: Option<Caller>) -> Response {
    if let Some(c) = caller.filter(|c| c.via_cookie) {
        return Redirect::to(home_of(c.role)).into_response();
    }
    let (chrome, set) = anonymous_chrome(&state, &headers);
    with_cookie(password_page(&chrome, "self", "", None).into_response(), set)
}

fn chosen(form: &PageForm) -> &str {
    let v = form.get("as");
    SIGN_IN_AS
        .iter()
        .find(|(k, _, _)| *k == v)
        .map_or("self", |(k, _, _)| k)
}

/// `POST /sign-in`: checks the password; on success emails the code and asks for it.
pub async fn password(State(state): State<AppState>, headers: HeaderMap, form: PageForm) -> Response {
    let (chrome, set) = anonymous_chrome(&state, &headers);
    let as_ = chosen(&form).to_string();
    let login = form.get("login").to_string();
    let now = state.clock.now();
    let r = match sign_in::start(state.store.db(), &login, form.get("password"), now).await {
        Ok(challenge) => code_page(&chrome, &challenge.id, &as_, None).into_response(),
        Err(SignInError::InvalidCredentials) => (
            StatusCode::UNAUTHORIZED,
            password_page(
                &chrome,
                &as_,
                &login,
                Some(chrome.t("帳號或密碼錯誤。", "The login or the password is wrong.")),
            ),
        )
            .into_response(),
        Err(SignInError::LockedOut { until }) => {
            let wait = (until - now).num_seconds().max(1);
            let msg = match chrome.lang {
                Lang::ZhTw => format!("登入失敗次數過多，請於 {} 分鐘後再試。", (wait + 59) / 60),
                Lang::En => format!("Too many failed sign-ins; try again in {} minutes.", (wait + 59) / 60),
            };
            (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, wait.to_string())],
                password_page(&chrome, &as_, &login, Some(&msg)),
            )
                .into_response()
        }
        Err(SignInError::InvalidCode) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        Err(SignInError::Store(e)) => ApiError::from(e).into_response(),
    };
    with_cookie(r, set)
}

/// `POST /sign-in/code`: checks the emailed code; on success sets the session cookie and
/// goes to the person's start page.
pub async fn code(State(state): State<AppState>, headers: HeaderMap, form: PageForm) -> Response {
    let (chrome, set) = anonymous_chrome(&state, &headers);
    let as_ = chosen(&form).to_string();
    let challenge = form.get("challenge_id").to_string();
    let now = state.clock.now();
    match sign_in::verify(state.store.db(), &challenge, form.get("code"), now).await {
        Ok(session) => {
            let role = match goldcard_store::entity::accounts::Entity::find_by_id(session.account_id)
                .one(state.store.db())
                .await
            {
                Ok(Some(a)) => a.role.parse::<Role>().unwrap_or(Role::Applicant),
                Ok(None) => Role::Applicant,
                Err(e) => return ApiError::from(goldcard_store::StoreError::from(e)).into_response(),
            };
            let mut r = Redirect::to(home_of(role)).into_response();
            let h = r.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(&state, SESSION_COOKIE, Some(&session.token)),
            );
            h.append(header::SET_COOKIE, set_cookie(&state, CSRF_COOKIE, None));
            if role == Role::Applicant && as_ != "officer" {
                h.append(header::SET_COOKIE, set_cookie(&state, FILER_COOKIE, Some(&as_)));
            }
            r
        }
        Err(SignInError::Store(e)) => ApiError::from(e).into_response(),
        Err(_) => with_cookie(
            (
                StatusCode::UNAUTHORIZED,
                code_page(
                    &chrome,
                    &challenge,
                    &as_,
                    Some(chrome.t(
                        "驗證碼錯誤或已失效（10 分鐘內有效，最多 5 次）。",
                        "The code is wrong or no longer valid (10 minutes, 5 tries).",
                    )),
                ),
            )
                .into_response(),
            set,
        ),
    }
}

/// `POST /sign-out`: ends the session and forgets the cookie.
pub async fn sign_out(State(state): State<AppState>, caller: Caller, _form: PageForm) -> Response {
    state.credentials.forget(&caller.token);
    if let Err(e) = sign_in::end(state.store.db(), &caller.token, state.clock.now()).await {
        tracing::warn!("sign-out: {e}");
    }
    let mut r = Redirect::to("/").into_response();
    r.headers_mut()
        .append(header::SET_COOKIE, set_cookie(&state, SESSION_COOKIE, None));
    r
}
