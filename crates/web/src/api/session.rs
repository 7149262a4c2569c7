//! `DELETE /api/v1/session`: sign out (the bearer token stops working).

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiResult;
use axum::extract::State;
use axum::http::StatusCode;
use goldcard_store::accounts;

/// Revokes the token the request carries.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", responses((status = 204, description = "signed out")))]
pub async fn sign_out(State(state): State<AppState>, caller: Caller) -> ApiResult<StatusCode> {
    accounts::revoke_token(state.store.db(), &caller.token, state.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
