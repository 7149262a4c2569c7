//! The HTTP face of goldcard: the JSON API of interfaces.md, the health endpoints, and (as
//! they land) the applicant portal and the back office. Handlers parse input into domain
//! types, ask the access policy, and call the workflow engine and the store; no rule lives
//! here.

pub mod api;
pub mod auth;
pub mod error;
pub mod idempotency;
pub mod office;
pub mod openapi;
pub mod portal;
pub mod security;
pub mod service;
pub mod telemetry;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post};
use axum::{Json, Router, middleware};
use chrono::NaiveDate;
use goldcard_access::Access;
use goldcard_domain::{Clock, taipei_date};
use goldcard_store::Store;
use goldcard_store::blobs::BlobStore;
use goldcard_store::catalogs::Catalogs;
use goldcard_store::events::Rules;
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
    /// The access policy (casbin).
    pub access: Access,
    /// The clock (frozen by `GOLDCARD_NOW`).
    pub clock: Arc<dyn Clock>,
    /// HMAC key of payment notifications.
    pub payment_secret: Arc<String>,
    /// Uploaded documents, by content.
    pub blobs: BlobStore,
    /// `GOLDCARD_ENV=production`.
    pub production: bool,
    /// Queue counts shared by the back office's pages for a few seconds.
    pub counts: Arc<office::queues::CountCache>,
    /// Tokens and sessions resolved a moment ago (see [`auth::CREDENTIAL_TTL`]).
    pub credentials: Arc<auth::CredentialCache>,
    /// The officers, read at most every [`service::STAFF_TTL`].
    pub staff: Arc<service::StaffCache>,
    /// Consents given in sign-in sessions, once read.
    pub consents: Arc<service::ConsentCache>,
    /// A request still running after this is answered 503 `timeout`.
    pub request_timeout: std::time::Duration,
}

impl AppState {
    /// The rules in force.
    pub fn rules(&self) -> Rules<'_> {
        Rules {
            workflow: &self.workflow,
            catalogs: &self.catalogs,
        }
    }

    /// Today in Asia/Taipei.
    pub fn today(&self) -> NaiveDate {
        taipei_date(self.clock.now())
    }
}

/// One route: method, template, handler.
pub struct Route {
    /// HTTP method.
    pub method: Method,
    /// axum route template (the casbin object).
    pub path: &'static str,
    /// The handler.
    pub handler: MethodRouter<AppState>,
}

fn route(method: Method, path: &'static str, handler: MethodRouter<AppState>) -> Route {
    Route { method, path, handler }
}

/// Every route the server has. The router is built from this list, and the route × role
/// test walks it, so no route can exist without being checked against the policy.
pub fn routes() -> Vec<Route> {
    use api::*;
    vec![
        route(Method::GET, "/", get(office::sign_in::page)),
        route(Method::POST, "/sign-in", post(office::sign_in::password)),
        route(Method::POST, "/sign-in/code", post(office::sign_in::code)),
        route(Method::POST, "/sign-out", post(office::sign_in::sign_out)),
        route(Method::POST, "/lang", post(office::switch_lang)),
        route(Method::GET, goldcard_views::CSS_PATH, get(office::css)),
        route(Method::GET, goldcard_views::JS_PATH, get(office::js)),
        route(Method::GET, "/office", get(office::start)),
        route(Method::GET, "/office/queues/{queue}", get(office::queues::page)),
        route(
            Method::POST,
            "/office/queues/{queue}/claim",
            post(office::queues::claim),
        ),
        route(
            Method::POST,
            "/office/queues/{queue}/assign",
            post(office::queues::assign),
        ),
        route(
            Method::GET,
            "/office/queues/{queue}/export.csv",
            get(office::export::queue),
        ),
        route(Method::GET, "/office/search", get(office::search::page)),
        route(Method::GET, "/office/search/export.csv", get(office::export::search)),
        route(Method::GET, "/office/cases/{case_number}", get(office::cases::page)),
        route(
            Method::POST,
            "/office/cases/{case_number}/events/{event}",
            post(office::cases::fire),
        ),
        route(
            Method::POST,
            "/office/cases/{case_number}/notes",
            post(office::cases::note),
        ),
        route(
            Method::POST,
            "/office/cases/{case_number}/resend",
            post(office::cases::resend),
        ),
        route(
            Method::GET,
            "/office/documents/{document_id}",
            get(office::cases::document),
        ),
        route(Method::GET, "/office/dashboard", get(office::dashboard::page)),
        route(Method::GET, "/office/admin/accounts", get(office::admin::accounts_list)),
        route(Method::POST, "/office/admin/accounts", post(office::admin::create)),
        route(
            Method::GET,
            "/office/admin/accounts/{login}",
            get(office::admin::account),
        ),
        route(
            Method::POST,
            "/office/admin/accounts/{login}/role",
            post(office::admin::set_role),
        ),
        route(
            Method::POST,
            "/office/admin/accounts/{login}/deactivate",
            post(office::admin::deactivate),
        ),
        route(
            Method::POST,
            "/office/admin/accounts/{login}/activate",
            post(office::admin::activate),
        ),
        route(Method::GET, "/office/admin/policy", get(office::admin::policy)),
        route(
            Method::POST,
            "/office/admin/policy/add",
            post(office::admin::policy_add),
        ),
        route(
            Method::POST,
            "/office/admin/policy/remove",
            post(office::admin::policy_remove),
        ),
        route(
            Method::POST,
            "/office/admin/policy/apply-shipped",
            post(office::admin::policy_apply_shipped),
        ),
        route(Method::GET, "/office/admin/health", get(office::admin::health)),
        route(Method::GET, goldcard_views::PORTAL_JS_PATH, get(portal::js)),
        route(Method::GET, "/apply", get(portal::menu)),
        route(Method::GET, "/apply/consent", get(portal::filing::consent_page)),
        route(Method::POST, "/apply/consent", post(portal::filing::consent)),
        route(Method::GET, "/apply/lookup", get(portal::filing::lookup_page)),
        route(Method::POST, "/apply/lookup", post(portal::filing::lookup)),
        route(Method::GET, "/apply/extension", get(portal::filing::start)),
        route(
            Method::POST,
            "/apply/extension",
            post(portal::filing::submit).layer(DefaultBodyLimit::max(portal::MAX_FORM_UPLOAD)),
        ),
        route(Method::GET, "/apply/cases", get(portal::cases_list)),
        route(Method::GET, "/apply/cases/{case_number}", get(portal::case)),
        route(Method::GET, "/apply/cases/{case_number}/filed", get(portal::filed)),
        route(
            Method::GET,
            "/apply/cases/{case_number}/pay",
            get(portal::gateway::pay_page),
        ),
        route(
            Method::POST,
            "/apply/cases/{case_number}/pay",
            post(portal::gateway::pay),
        ),
        route(
            Method::GET,
            "/apply/cases/{case_number}/supplement",
            get(portal::supplement_page),
        ),
        route(
            Method::POST,
            "/apply/cases/{case_number}/supplement",
            post(portal::submit_supplement).layer(DefaultBodyLimit::max(portal::MAX_FORM_UPLOAD)),
        ),
        route(
            Method::GET,
            "/apply/cases/{case_number}/withdraw",
            get(portal::withdraw_page),
        ),
        route(
            Method::POST,
            "/apply/cases/{case_number}/withdraw",
            post(portal::withdraw),
        ),
        route(Method::GET, "/apply/payments", get(portal::payments)),
        route(Method::GET, "/apply/supplements", get(portal::supplements)),
        route(Method::GET, "/apply/withdraw", get(portal::withdrawals)),
        route(
            Method::GET,
            "/apply/gateway/simulated/{case_number}",
            get(portal::gateway::simulated_page),
        ),
        route(
            Method::POST,
            "/apply/gateway/simulated/{case_number}",
            post(portal::gateway::simulated_pay),
        ),
        route(Method::GET, "/healthz", get(healthz)),
        route(Method::GET, "/readyz", get(readyz)),
        route(Method::GET, "/metrics", get(telemetry::metrics_page)),
        route(Method::GET, "/api/v1/openapi.json", get(openapi::serve)),
        route(Method::POST, "/api/v1/session", post(session::sign_in)),
        route(Method::POST, "/api/v1/session/otp", post(session::verify_code)),
        route(Method::DELETE, "/api/v1/session", delete(session::sign_out)),
        route(Method::GET, "/api/v1/cards/lookup", get(cards::lookup)),
        route(Method::GET, "/api/v1/cards/{ui_number}", get(cards::read)),
        route(Method::POST, "/api/v1/extensions", post(extensions::file)),
        route(
            Method::POST,
            "/api/v1/documents",
            post(documents::upload).layer(DefaultBodyLimit::max(documents::MAX_UPLOAD_BODY)),
        ),
        route(Method::GET, "/api/v1/cases", get(cases::search)),
        route(Method::GET, "/api/v1/cases/{case_number}", get(cases::read)),
        route(Method::POST, "/api/v1/cases/{case_number}/events", post(cases::fire)),
        route(Method::GET, "/api/v1/queues/{queue}", get(queues::queue)),
        route(Method::POST, "/api/v1/payments/notify", post(payments::notify)),
    ]
}

/// The router. Outermost first: a request id (kept from the client or made here, echoed
/// on the response) and a tracing span carrying it; the security headers of every answer
/// ([`security`]); the request timeout; the body limit. Then, on matched routes: the
/// request metrics, the access check ([`auth::authorize`], which also logs refusals) and
/// the one-time keys of state-changing requests ([`idempotency::guard`]).
pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for r in routes() {
        router = router.route(r.path, r.handler);
    }
    let timeout = state.request_timeout;
    let router = router
        .route_layer(middleware::from_fn_with_state(state.clone(), idempotency::guard))
        // asks the policy for every matched route; unmatched paths are plain 404s
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::authorize))
        .route_layer(middleware::from_fn(telemetry::measure))
        .fallback(|| async { error::ApiError::not_found("not_found", "no such route") })
        .method_not_allowed_fallback(|| async {
            error::ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not take that method",
            )
        })
        .layer(DefaultBodyLimit::max(api::MAX_JSON_BODY))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            security::TIMEOUT_STATUS,
            timeout,
        ))
        // outside the timeout, to dress its bare answer
        .layer(middleware::map_response(security::timeout_body));
    security::with_headers(router)
        .layer(tower_http::trace::TraceLayer::new_for_http().make_span_with(telemetry::request_span))
        .layer(tower_http::request_id::PropagateRequestIdLayer::x_request_id())
        .layer(tower_http::request_id::SetRequestIdLayer::x_request_id(
            tower_http::request_id::MakeRequestUuid,
        ))
        .with_state(state)
}

/// Serves until `shutdown` completes, finishing requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // the peer address: `/metrics` answers loopback peers only
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// The page benchmark's baseline (targets.md, `scripts/bench-pages`): axum answering a
/// fixed string on `listener`, with none of goldcard's layers, in the service's process
/// (so on the same runtime and cores), until the process ends.
pub async fn serve_baseline(listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(listener, Router::new().route("/", axum::routing::get(healthz))).await
}

/// Liveness: the process answers.
async fn healthz() -> &'static str {
    "ok"
}

/// How long readiness waits for the database: a pool still trying to connect must not
/// hold the probe for its whole acquire timeout.
const READY_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

/// Readiness: the database answers (within [`READY_PATIENCE`]); 503 while it does not.
async fn readyz(State(state): State<AppState>) -> Response {
    let ping = tokio::time::timeout(READY_PATIENCE, state.store.db().execute_unprepared("SELECT 1")).await;
    let problem = match ping {
        Ok(Ok(_)) => return Json(json!({"status": "ready"})).into_response(),
        Ok(Err(e)) => e.to_string(),
        Err(_) => "no answer in time".to_string(),
    };
    tracing::warn!("readiness: database unreachable: {problem}");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({"status": "unavailable", "reason": "database unreachable"})),
    )
        .into_response()
}
