//! Sign-in and sign-out (interfaces.md): `POST /api/v1/session` checks the password and
//! emails a code, `POST /api/v1/session/otp` exchanges the code for a session token,
//! `DELETE /api/v1/session` ends the session (or revokes the API token) the request carries.
//! The rules live in `goldcard_access::sign_in`.

use super::ApiJson;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use goldcard_access::sign_in::{self, SESSION_PREFIX, SignInError};
use goldcard_store::accounts;
use serde::{Deserialize, Serialize};

/// `POST /api/v1/session`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// The account's login.
    pub login: String,
    /// Its password.
    pub password: String,
}

/// A password accepted: a 6-digit code was emailed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChallengeIssued {
    /// What `/session/otp` answers.
    pub challenge_id: String,
}

/// `POST /api/v1/session/otp`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeAnswer {
    /// From `POST /api/v1/session`.
    pub challenge_id: String,
    /// The 6 digits emailed.
    pub code: String,
}

/// An open session.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionOpened {
    /// `Authorization: Bearer <token>`.
    pub token: String,
    /// When the session ends if nothing more happens (RFC 3339).
    pub expires_at: String,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn refusal(e: SignInError, now: DateTime<Utc>) -> Response {
    match e {
        SignInError::InvalidCredentials => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "the login or the password is wrong",
        )
        .into_response(),
        SignInError::LockedOut { until } => {
            let mut r = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "locked_out",
                format!(
                    "too many failed sign-ins in {} minutes; try again after {}",
                    sign_in::LOCKOUT_WINDOW.num_minutes(),
                    rfc3339(until)
                ),
            )
            .into_response();
            let wait = (until - now).num_seconds().max(1);
            if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        }
        SignInError::InvalidCode => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_code",
            "the code is wrong or no longer valid; sign in again for a new one",
        )
        .into_response(),
        SignInError::Store(e) => ApiError::from(e).into_response(),
    }
}

/// Checks the password and emails a 6-digit code.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = Credentials,
    responses((status = 200, body = ChallengeIssued), (status = 401, description = "invalid_credentials"), (status = 429, description = "locked_out")))]
pub async fn sign_in(State(state): State<AppState>, ApiJson(body): ApiJson<Credentials>) -> Response {
    let now = state.clock.now();
    match sign_in::start(state.store.db(), &body.login, &body.password, now).await {
        Ok(c) => Json(ChallengeIssued { challenge_id: c.id }).into_response(),
        Err(e) => refusal(e, now),
    }
}

/// Exchanges the emailed code for a session token.
#[utoipa::path(post, path = "/api/v1/session/otp", tag = "session", request_body = CodeAnswer,
    responses((status = 200, body = SessionOpened), (status = 401, description = "invalid_code")))]
pub async fn verify_code(State(state): State<AppState>, ApiJson(body): ApiJson<CodeAnswer>) -> Response {
    let now = state.clock.now();
    match sign_in::verify(state.store.db(), &body.challenge_id, &body.code, now).await {
        Ok(s) => Json(SessionOpened {
            token: s.token,
            expires_at: rfc3339(s.expires_at),
        })
        .into_response(),
        Err(e) => refusal(e, now),
    }
}

/// Ends the session, or revokes the API token, the request carries.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", responses((status = 204, description = "signed out")))]
pub async fn sign_out(State(state): State<AppState>, caller: Caller) -> ApiResult<StatusCode> {
    let now = state.clock.now();
    state.credentials.forget(&caller.token);
    if caller.token.starts_with(SESSION_PREFIX) {
        sign_in::end(state.store.db(), &caller.token, now)
            .await
            .map_err(|e| match e {
                SignInError::Store(e) => ApiError::from(e),
                other => ApiError::unauthorized(other.to_string()),
            })?;
    } else {
        accounts::revoke_token(state.store.db(), &caller.token, now).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
