//! Operations: request ids, request metrics and the Prometheus page (`GET /metrics`).
//!
//! Metrics go through the `metrics` facade; [`install_metrics`] installs the Prometheus
//! recorder once per process (the binary does it at start-up), and `/metrics` renders it.
//! What is measured, and where:
//! - `goldcard_http_requests_total` and `goldcard_http_request_duration_seconds` by matched
//!   route, method and status ([`measure`]);
//! - `goldcard_transitions_total` by event and actor role (the store's `apply`);
//! - `goldcard_job_runs_total` / `goldcard_job_failures_total` by job, and
//!   `goldcard_job_lease_held` by job (1 while this instance holds its lease; the jobs crate);
//! - `goldcard_outbox_backlog` and `goldcard_outbox_oldest_age_seconds`, read from the
//!   database when `/metrics` is scraped.
//!
//! `/metrics` is in the access policy for `anonymous` (a scraper carries no token) and
//! answers peers on the loopback interface only: put Prometheus on the same host, or behind
//! the same reverse proxy that does not forward `/metrics`.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Instant;

/// The request id header (set when the client sent none, echoed on the response).
pub const REQUEST_ID: &str = "x-request-id";

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Latency buckets, in seconds: the targets are in tens of milliseconds.
const LATENCY_BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// Installs the Prometheus recorder for this process (once; later calls return the same
/// handle). `None` when another recorder was installed first.
pub fn install_metrics() -> Option<&'static PrometheusHandle> {
    if let Some(h) = HANDLE.get() {
        return Some(h);
    }
    let builder =
        match PrometheusBuilder::new().set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &LATENCY_BUCKETS) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!("metrics: {e}");
                return None;
            }
        };
    match builder.install_recorder() {
        Ok(h) => {
            let _ = HANDLE.set(h);
            HANDLE.get()
        }
        Err(e) => {
            tracing::warn!("metrics: the Prometheus recorder is not installed: {e}");
            None
        }
    }
}

/// Times every routed request and counts it by matched route, method and status.
pub async fn measure(matched: Option<MatchedPath>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = matched.as_ref().map_or("unmatched", MatchedPath::as_str).to_string();
    let method = req.method().as_str().to_string();
    let res = next.run(req).await;
    let labels = [
        ("route", route),
        ("method", method),
        ("status", res.status().as_u16().to_string()),
    ];
    metrics::counter!("goldcard_http_requests_total", &labels).increment(1);
    metrics::histogram!("goldcard_http_request_duration_seconds", &labels).record(started.elapsed().as_secs_f64());
    res
}

/// `GET /metrics`: the Prometheus text format, for loopback peers only.
pub async fn metrics_page(State(state): State<AppState>, req: Request) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>();
    if !peer.is_some_and(|p| p.0.ip().is_loopback()) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "loopback_only",
            "the metrics are served to the local host only",
        )
        .into_response();
    }
    let Some(handle) = install_metrics() else {
        return ApiError::new(StatusCode::NOT_FOUND, "metrics_off", "metrics are not recorded here").into_response();
    };
    match goldcard_store::outbox::backlog(state.store.db()).await {
        Ok((n, oldest)) => {
            metrics::gauge!("goldcard_outbox_backlog").set(n as f64);
            let age = oldest.map_or(0.0, |t| {
                (chrono::Utc::now() - t).num_milliseconds().max(0) as f64 / 1000.0
            });
            metrics::gauge!("goldcard_outbox_oldest_age_seconds").set(age);
        }
        Err(e) => tracing::warn!("metrics: reading the outbox backlog: {e}"),
    }
    handle.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        handle.render(),
    )
        .into_response()
}

/// The tracing span of a request: its id (see [`REQUEST_ID`]), method and path (not the
/// query, which may carry identifiers), so every line logged while serving it names it.
pub fn request_span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
}
