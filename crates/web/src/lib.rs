//! The HTTP face of goldcard: for now the health endpoints and the start page; the JSON
//! API, the applicant portal and the back office are added here as they land.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use goldcard_domain::Clock;
use goldcard_store::Store;
use goldcard_store::catalogs::Catalogs;
use goldcard_views::Lang;
use goldcard_workflow::Workflow;
use sea_orm::ConnectionTrait;
use serde_json::json;
use std::future::Future;
use std::sync::Arc;

/// What every handler may use.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The extension workflow.
    pub workflow: Arc<Workflow>,
    /// Catalogs, fees, calendar.
    pub catalogs: Arc<Catalogs>,
    /// The clock (frozen by `GOLDCARD_NOW`).
    pub clock: Arc<dyn Clock>,
    /// HMAC key of payment notifications.
    pub payment_secret: Arc<String>,
    /// Uploaded documents, by content.
    pub blobs: goldcard_store::blobs::BlobStore,
    /// `GOLDCARD_ENV=production`.
    pub production: bool,
}

/// The router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves until `shutdown` completes, finishing requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn home() -> maud::Markup {
    goldcard_views::home(Lang::ZhTw)
}

/// Liveness: the process answers.
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers.
async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.db().execute_unprepared("SELECT 1").await {
        Ok(_) => Json(json!({"status": "ready"})).into_response(),
        Err(e) => {
            tracing::warn!("readiness: database unreachable: {e}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable", "reason": "database unreachable"})),
            )
                .into_response()
        }
    }
}
