//! Who is calling, and may they call this route: a bearer token identifies the account;
//! the casbin policy, asked with the matched route template and the method, decides.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use goldcard_access::sign_in;
use goldcard_store::accounts;
use goldcard_workflow::{Actor, Role};

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
    /// The bearer token it presented.
    pub token: String,
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
    let caller = match bearer(req.headers()) {
        None => None,
        Some(token) => {
            let found = if token.starts_with(sign_in::SESSION_PREFIX) {
                sign_in::session_account(state.store.db(), token, now)
                    .await
                    .map(|found| found.map(|(account, _)| account))
                    .map_err(|e| match e {
                        sign_in::SignInError::Store(e) => ApiError::from(e),
                        other => ApiError::unauthorized(other.to_string()),
                    })
            } else {
                accounts::account_for_token(state.store.db(), token, now)
                    .await
                    .map_err(ApiError::from)
            };
            match found {
                Ok(Some(a)) => match a.role.parse::<Role>() {
                    Ok(role) => Some(Caller {
                        account_id: a.id,
                        login: a.login,
                        name: a.display_name,
                        role,
                        token: token.to_string(),
                    }),
                    Err(_) => return ApiError::forbidden("the account's role is not known").into_response(),
                },
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
        return match caller {
            None => ApiError::unauthorized("sign in first (Authorization: Bearer <token>)").into_response(),
            Some(_) => ApiError::forbidden(format!("a {subject} may not {} {path}", req.method())).into_response(),
        };
    }
    if let Some(c) = caller {
        req.extensions_mut().insert(c);
    }
    next.run(req).await
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
