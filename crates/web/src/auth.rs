//! Who is calling, and may they call this route: a bearer token identifies the account;
//! the casbin policy, asked with the matched route template and the method, decides.

use crate::AppState;
use crate::error::{ApiError, Refused};
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use goldcard_access::sign_in;
use goldcard_store::entity::accounts as account;
use goldcard_store::{access_log, accounts};
use goldcard_workflow::{Actor, Role};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a resolved token or session is remembered by one server instance. Within it,
/// a sign-out, a language switch or an administrator's change made on this instance takes
/// effect at once (the entry is forgotten); one made on another instance, or straight in
/// the database, takes effect within this time. Every page and API call would otherwise
/// spend one or two database round trips on the same answer.
pub const CREDENTIAL_TTL: Duration = Duration::from_secs(5);

/// Entries kept at most; past it the cache starts again empty.
const CREDENTIAL_CAP: usize = 50_000;

/// Bearer tokens and session cookies resolved to their account, remembered for
/// [`CREDENTIAL_TTL`], keyed by the credential's SHA-256 (never the credential itself).
#[derive(Default)]
pub struct CredentialCache {
    entries: Mutex<HashMap<[u8; 32], CachedCredential>>,
}

#[derive(Clone)]
struct CachedCredential {
    found: Resolved,
    at: Instant,
}

/// What a credential resolves to: its account and, for a sign-in session, the session's
/// row id and when it ends.
#[derive(Clone)]
struct Resolved {
    account: account::Model,
    session: Option<(i64, chrono::DateTime<chrono::Utc>)>,
}

fn credential_key(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl CredentialCache {
    /// The account and session end remembered for `token`, while fresh and unexpired at `now`.
    fn get(&self, token: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Resolved> {
        let entries = self.entries.lock().ok()?;
        let e = entries.get(&credential_key(token))?;
        let fresh = e.at.elapsed() < CREDENTIAL_TTL && e.found.session.is_none_or(|(_, ends)| ends > now);
        fresh.then(|| e.found.clone())
    }

    fn put(&self, token: &str, found: &Resolved) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CREDENTIAL_CAP {
                entries.clear();
            }
            entries.insert(
                credential_key(token),
                CachedCredential {
                    found: found.clone(),
                    at: Instant::now(),
                },
            );
        }
    }

    /// Forgets one credential (its session ended, or its account changed language).
    pub fn forget(&self, token: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(&credential_key(token));
        }
    }

    /// Forgets every credential (an account was deactivated or given another role).
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

/// A signed-in caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Account id.
    pub account_id: i64,
    /// Login.
    pub login: String,
    /// Display name.
    pub name: String,
    /// The role it acts in.
    pub role: Role,
    /// The bearer token (or session cookie) it presented.
    pub token: String,
    /// Its language (`zh-TW`, `en`).
    pub locale: String,
    /// It came with the session cookie of the web pages (not a bearer token).
    pub via_cookie: bool,
    /// When its session ends if nothing more happens (none for an API token): the
    /// applicant portal's countdown.
    pub session_ends: Option<chrono::DateTime<chrono::Utc>>,
    /// The row id of its sign-in session (none for an API token).
    pub session_id: Option<i64>,
}

impl Caller {
    /// The caller as a workflow actor.
    pub fn actor(&self) -> Actor {
        Actor {
            account_id: self.account_id,
            role: self.role,
        }
    }
}

/// The subject casbin knows requests without credentials by.
pub const ANONYMOUS: &str = "anonymous";

/// The header marking a page refused by the access policy (a redirect to sign-in, or the
/// 403 page), so tools and tests can tell it from a handler's own answer.
pub const REFUSED_HEADER: &str = "x-goldcard-refused";

/// The cookie that carries a web page session's token.
pub const SESSION_COOKIE: &str = "goldcard_session";

/// The value of cookie `name` in the request, if sent.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// Whether a path is a web page (not the JSON API): pages take the session cookie and
/// answer refusals with pages.
pub fn is_page(path: &str) -> bool {
    !path.starts_with("/api/")
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
}

/// Resolves the caller and asks the policy about the matched route; refuses with 401
/// (no or bad credentials) or 403 (the role may not call this route).
pub async fn authorize(
    State(state): State<AppState>,
    matched: Option<MatchedPath>,
    mut req: Request,
    next: Next,
) -> Response {
    let now = state.clock.now();
    let page = is_page(req.uri().path());
    // the JSON API takes bearer tokens only, so a cookie can never carry a cross-site API call
    let (credential, via_cookie) = match bearer(req.headers()) {
        Some(token) => (Some(token.to_string()), false),
        None if page => (cookie(req.headers(), SESSION_COOKIE).map(str::to_string), true),
        None => (None, false),
    };
    let caller = match credential.as_deref() {
        None => None,
        Some(token) => {
            let found = match state.credentials.get(token, now) {
                Some(hit) => Ok(Some(hit)),
                None => resolve(&state, token, now).await,
            };
            match found {
                Ok(Some(Resolved { account: a, session })) => match a.role.parse::<Role>() {
                    Ok(role) => Some(Caller {
                        account_id: a.id,
                        login: a.login,
                        name: a.display_name,
                        role,
                        token: token.to_string(),
                        locale: a.locale,
                        via_cookie,
                        session_ends: session.map(|(_, ends)| ends),
                        session_id: session.map(|(id, _)| id),
                    }),
                    Err(_) => return ApiError::forbidden("the account's role is not known").into_response(),
                },
                Ok(None) if page && via_cookie => {
                    // an expired page session: back to the sign-in page, forgetting the cookie
                    return crate::office::to_sign_in(req.uri().path(), true);
                }
                Ok(None) => {
                    return ApiError::unauthorized(
                        "the session or token is invalid, expired or revoked; sign in again",
                    )
                    .into_response();
                }
                Err(e) => return e.into_response(),
            }
        }
    };
    let Some(path) = matched.as_ref().map(MatchedPath::as_str) else {
        return ApiError::not_found("not_found", "no such route").into_response();
    };
    let subject = caller.as_ref().map_or(ANONYMOUS, |c| c.role.as_str());
    if !state.access.allows(subject, path, req.method().as_str()).await {
        tracing::warn!(subject, path, method = %req.method(), "access refused");
        let status = if caller.is_some() { 403 } else { 401 };
        log_refusal(
            &state,
            caller.as_ref(),
            req.method().as_str(),
            path,
            req.uri().path(),
            status,
            "policy",
        )
        .await;
        if page {
            let mut refused = match caller {
                None => crate::office::to_sign_in(req.uri().path(), false),
                Some(c) => crate::office::forbidden_page(&state, &c, req.uri().path()).await,
            };
            refused
                .headers_mut()
                .insert(REFUSED_HEADER, axum::http::HeaderValue::from_static("access"));
            return refused;
        }
        return match caller {
            None => ApiError::unauthorized("sign in first (Authorization: Bearer <token>)").into_response(),
            Some(_) => ApiError::forbidden(format!("a {subject} may not {} {path}", req.method())).into_response(),
        };
    }
    let (method, route, asked) = (req.method().clone(), path.to_string(), req.uri().path().to_string());
    let who = caller.as_ref().map(|c| (c.account_id, c.role));
    if let Some(c) = caller {
        req.extensions_mut().insert(c);
    }
    let res = next.run(req).await;
    // a service's refusal: any 403, and the 404 of a case that is not the caller's
    let reason = match res.extensions().get::<Refused>() {
        Some(Refused(reason)) => Some(*reason),
        None => (res.status() == StatusCode::FORBIDDEN).then_some("forbidden"),
    };
    if let Some(reason) = reason {
        let refusal = access_log::Refusal {
            account_id: who.map(|(id, _)| id),
            role: who.map_or(ANONYMOUS, |(_, role)| role.as_str()),
            method: method.as_str(),
            route: &route,
            path: &asked,
            status: res.status().as_u16(),
            reason,
        };
        record(&state, &refusal).await;
    }
    res
}

/// Writes a refusal to the access log (one insert); a failure to write is logged, and the
/// refusal stands.
async fn record(state: &AppState, refusal: &access_log::Refusal<'_>) {
    if let Err(e) = access_log::record(state.store.db(), refusal, state.clock.now()).await {
        tracing::error!(error = %e, "could not write the access log");
    }
}

async fn log_refusal(
    state: &AppState,
    caller: Option<&Caller>,
    method: &str,
    route: &str,
    path: &str,
    status: u16,
    reason: &'static str,
) {
    let refusal = access_log::Refusal {
        account_id: caller.map(|c| c.account_id),
        role: caller.map_or(ANONYMOUS, |c| c.role.as_str()),
        method,
        route,
        path,
        status,
        reason,
    };
    record(state, &refusal).await;
}

/// Reads a credential's account from the database (and remembers it): a session token
/// (`gcs_…`, which also moves an officer's idle end) or an API token.
async fn resolve(
    state: &AppState,
    token: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<Resolved>, ApiError> {
    let found = if token.starts_with(sign_in::SESSION_PREFIX) {
        sign_in::live_session(state.store.db(), token, now)
            .await
            .map(|found| {
                found.map(|(account, ends, id)| Resolved {
                    account,
                    session: Some((id, ends)),
                })
            })
            .map_err(|e| match e {
                sign_in::SignInError::Store(e) => ApiError::from(e),
                other => ApiError::unauthorized(other.to_string()),
            })
    } else {
        accounts::account_for_token(state.store.db(), token, now)
            .await
            .map(|found| found.map(|account| Resolved { account, session: None }))
            .map_err(ApiError::from)
    }?;
    if let Some(found) = &found {
        state.credentials.put(token, found);
    }
    Ok(found)
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| ApiError::unauthorized("sign in first"))
    }
}
