//! The web pages: the sign-in page (`/`) and the back office (`/office/…`), server-rendered
//! with the views crate. Handlers here call the same services as the JSON API
//! ([`crate::service`], the store, the workflow engine); no rule is written twice.
//!
//! Sessions ride in an HttpOnly, SameSite=Strict cookie (Secure in production). Every form
//! carries a CSRF token: for a signed-in person an HMAC of their session token, before
//! sign-in a random value also set as a cookie (double submit). [`PageForm`] checks it
//! before a handler sees the form.

pub mod admin;
pub mod cases;
pub mod dashboard;
pub mod export;
pub mod queues;
pub mod search;
pub mod sign_in;

use crate::AppState;
use crate::auth::{Caller, SESSION_COOKIE, cookie};
use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use goldcard_store::queues::Queue;
use goldcard_views::office::{agency_words, role_words};
use goldcard_views::{Chrome, Lang, NavItem, Person};
use hmac::{Hmac, KeyInit, Mac};
use maud::Markup;
use sha2::Sha256;
use std::sync::Arc;

/// The cookie of the CSRF token of forms shown before sign-in.
pub const CSRF_COOKIE: &str = "goldcard_csrf";
/// The cookie remembering the language before sign-in.
pub const LANG_COOKIE: &str = "goldcard_lang";

/// The `Set-Cookie` value of cookie `name`: HttpOnly, SameSite=Strict, path `/`, Secure in
/// production; `None` for `value` deletes it.
pub fn set_cookie(state: &AppState, name: &str, value: Option<&str>) -> HeaderValue {
    let secure = if state.production { "; Secure" } else { "" };
    let text = match value {
        Some(v) => format!("{name}={v}; Path=/; HttpOnly; SameSite=Strict{secure}"),
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    };
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("goldcard_invalid=1"))
}

/// The CSRF token of a signed-in person's forms: HMAC-SHA256 of a fixed label keyed by
/// their session token, so it is unguessable without the cookie and dies with the session.
pub fn csrf_for_session(token: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(token.as_bytes()) else {
        return String::new();
    };
    mac.update(b"goldcard form");
    hex::encode(mac.finalize().into_bytes())
}

/// A fresh random token (the pre-sign-in CSRF cookie).
pub fn random_token() -> String {
    hex::encode(rand::random::<[u8; 24]>())
}

/// Compares two tokens without an early exit.
pub(crate) fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The page language: the signed-in account's, else the language cookie, else zh-TW.
pub fn lang_of(headers: &HeaderMap, caller: Option<&Caller>) -> Lang {
    match caller {
        Some(c) => Lang::from_code(&c.locale),
        None => Lang::from_code(cookie(headers, LANG_COOKIE).unwrap_or("zh-TW")),
    }
}

/// Answers an unauthenticated page request with the sign-in page (303 to `/`); `expired`
/// also clears the session cookie.
pub fn to_sign_in(path: &str, expired: bool) -> Response {
    let _ = path;
    let mut r = Redirect::to("/").into_response();
    if expired {
        let v = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
        if let Ok(v) = HeaderValue::from_str(&v) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

/// The 403 page for a signed-in person asking for a page their role may not see.
pub async fn forbidden_page(state: &AppState, caller: &Caller, path: &str) -> Response {
    let chrome = chrome_for(state, caller, path).await;
    let msg = chrome
        .t("您的角色不能使用這個頁面。", "Your role may not use this page.")
        .to_string();
    (StatusCode::FORBIDDEN, goldcard_views::error_page(&chrome, 403, &msg)).into_response()
}

/// The navigation of a role: every page the policy lets it see, in a fixed order.
async fn nav_for(state: &AppState, caller: &Caller, path: &str, lang: Lang) -> Vec<NavItem> {
    let mut items: Vec<(String, String, &str)> = Vec::new();
    if state
        .access
        .allows(caller.role.as_str(), "/office/queues/{queue}", "GET")
        .await
        && let Some(agency) = state.workflow.role(caller.role).and_then(|r| r.agency.clone())
    {
        let first = queues::agency_queues(state, &agency)
            .first()
            .copied()
            .unwrap_or(Queue::Mine);
        items.push((
            format!("/office/queues/{}", first.as_str()),
            lang.pick("工作佇列", "Queues").to_string(),
            "/office/queues",
        ));
    }
    let pages = [
        ("/office/search", lang.pick("查詢案件", "Search"), "/office/search"),
        (
            "/office/dashboard",
            lang.pick("統計儀表板", "Dashboard"),
            "/office/dashboard",
        ),
        (
            "/office/admin/accounts",
            lang.pick("帳號管理", "Accounts"),
            "/office/admin",
        ),
        (
            "/office/admin/health",
            lang.pick("系統狀態", "Health"),
            "/office/admin/health",
        ),
    ];
    for (href, label, prefix) in pages {
        if state.access.allows(caller.role.as_str(), href, "GET").await {
            items.push((href.to_string(), label.to_string(), prefix));
        }
    }
    // the longest matching prefix is the current one
    let current = items
        .iter()
        .filter(|(_, _, p)| path.starts_with(p))
        .map(|(_, _, p)| p.len())
        .max();
    items
        .into_iter()
        .map(|(href, label, prefix)| NavItem {
            current: Some(prefix.len()) == current && path.starts_with(prefix),
            href,
            label,
        })
        .collect()
}

/// The workflow's states in words, for badges.
pub(crate) fn state_labels(state: &AppState) -> Arc<Vec<(String, String, String)>> {
    Arc::new(
        state
            .workflow
            .states
            .iter()
            .map(|s| (s.name.clone(), s.label_zh.clone(), s.label_en.clone()))
            .collect(),
    )
}

/// The page frame for a signed-in person.
pub async fn chrome_for(state: &AppState, caller: &Caller, path: &str) -> Chrome {
    let lang = Lang::from_code(&caller.locale);
    let agency = state
        .workflow
        .role(caller.role)
        .and_then(|r| r.agency.clone())
        .map(|a| agency_words(lang, &a).to_string())
        .or_else(|| {
            (caller.role == goldcard_workflow::Role::Helpdesk).then(|| agency_words(lang, "helpdesk").to_string())
        });
    Chrome {
        lang,
        csrf: csrf_for_session(&caller.token),
        person: Some(Person {
            name: caller.name.clone(),
            role: role_words(lang, caller.role.as_str()).to_string(),
            agency,
        }),
        nav: nav_for(state, caller, path, lang).await,
        path: path.to_string(),
        flash: None,
        states: state_labels(state),
        home: "/office",
        countdown: None,
    }
}

/// A signed-in person's page request: the state, who they are, and the page frame.
pub struct Ctx {
    /// What handlers use.
    pub state: AppState,
    /// Who is asking.
    pub caller: Caller,
    /// The frame of the page to render.
    pub chrome: Chrome,
}

impl Ctx {
    /// Picks the text for the page's language.
    pub fn t<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        self.chrome.lang.pick(zh, en)
    }

    /// A page with status 200.
    pub fn page(&self, markup: Markup) -> Response {
        markup.into_response()
    }

    /// The error page for a refusal of the services.
    pub fn fail(&self, e: ApiError) -> Response {
        let status = e.status;
        let mut message = e.message.clone();
        if !e.fields.is_empty() {
            let details: Vec<String> = e.fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect();
            message = format!("{message} ({})", details.join("; "));
        }
        let mut res = (
            status,
            goldcard_views::error_page(&self.chrome, status.as_u16(), &message),
        )
            .into_response();
        e.mark(&mut res);
        res
    }

    /// Shows `text` at the top of the page.
    pub fn flash(&mut self, ok: bool, text: impl Into<String>) {
        self.chrome.flash = Some(goldcard_views::Flash { ok, text: text.into() });
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let caller = parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| to_sign_in(parts.uri.path(), false))?;
        let chrome = chrome_for(state, &caller, parts.uri.path()).await;
        Ok(Ctx {
            state: state.clone(),
            caller,
            chrome,
        })
    }
}

/// A submitted form whose CSRF token has been checked: the signed-in person's session
/// token's, or (before sign-in) the double-submit cookie's.
pub struct PageForm {
    /// Every `name=value` pair, in order (repeated names kept).
    pub pairs: Vec<(String, String)>,
}

impl PageForm {
    /// The first value of `name`, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.pairs.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.trim())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }

    /// Whether the confirmation box was ticked.
    pub fn confirmed(&self) -> bool {
        self.get("confirm") == "yes"
    }
}

/// The largest form accepted.
const MAX_FORM: usize = 256 * 1024;

fn csrf_refusal(headers: &HeaderMap) -> Response {
    let lang = lang_of(headers, None);
    let chrome = Chrome::anonymous(lang, String::new(), "/");
    let msg = lang.pick(
        "表單已失效（可能已逾時或重新登入），請重新整理頁面後再送出。",
        "This form has expired (the session may have ended); reload the page and send it again.",
    );
    (StatusCode::FORBIDDEN, goldcard_views::error_page(&chrome, 403, msg)).into_response()
}

impl FromRequest<AppState> for PageForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let headers = req.headers().clone();
        let caller = req.extensions().get::<Caller>().cloned();
        let slot = req.extensions().get::<crate::idempotency::FormClaim>().cloned();
        let path = req.uri().path().to_string();
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            let status = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::BAD_REQUEST
            };
            (status, "the form could not be read").into_response()
        })?;
        if bytes.len() > MAX_FORM {
            return Err((StatusCode::PAYLOAD_TOO_LARGE, "the form is too large").into_response());
        }
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| (StatusCode::BAD_REQUEST, "the form could not be read").into_response())?;
        let sent = pairs
            .iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        let expected = match &caller {
            Some(c) => csrf_for_session(&c.token),
            None => cookie(&headers, CSRF_COOKIE).unwrap_or("").to_string(),
        };
        if expected.is_empty() || !same_token(sent, &expected) {
            tracing::warn!("form refused: missing or wrong CSRF token");
            return Err(csrf_refusal(&headers));
        }
        if let Some(c) = &caller {
            let key = pairs
                .iter()
                .find(|(k, _)| k == goldcard_views::FORM_KEY_FIELD)
                .map_or("", |(_, v)| v.as_str());
            crate::idempotency::claim_form(state, c, slot.as_ref(), key, &path).await?;
        }
        Ok(PageForm { pairs })
    }
}

/// `POST /lang`: switches the language, remembered on the account (and in a cookie), and
/// goes back to the page it came from.
pub async fn switch_lang(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Option<Caller>,
    form: PageForm,
) -> Response {
    let lang = Lang::from_code(form.get("lang"));
    if let Some(c) = &caller
        && let Err(e) = goldcard_store::accounts::set_locale(state.store.db(), c.account_id, lang.code()).await
    {
        return ApiError::from(e).into_response();
    }
    if let Some(c) = &caller {
        // the cached caller carries the old language
        state.credentials.forget(&c.token);
    }
    let _ = headers;
    // only a local path: never an open redirect
    let back = form.get("back");
    let back = if back.starts_with('/') && !back.starts_with("//") && !back.contains('\\') {
        back.to_string()
    } else {
        "/".to_string()
    };
    let mut r = Redirect::to(&back).into_response();
    r.headers_mut()
        .append(header::SET_COOKIE, set_cookie(&state, LANG_COOKIE, Some(lang.code())));
    r
}

/// `GET /office`: the first page of the person's work.
pub async fn start(ctx: Ctx) -> Response {
    match ctx.chrome.nav.first() {
        Some(item) => Redirect::to(&item.href).into_response(),
        None => ctx.fail(ApiError::forbidden(
            ctx.t("此角色沒有後台頁面。", "This role has no back-office pages."),
        )),
    }
}

/// The stylesheet.
pub async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        goldcard_views::CSS,
    )
        .into_response()
}

/// The script.
pub async fn js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        goldcard_views::JS,
    )
        .into_response()
}

impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Caller>().cloned())
    }
}
