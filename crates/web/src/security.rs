//! The security headers every answer carries, and the request timeout's answer.
//!
//! - `Content-Security-Policy` [`CONTENT_SECURITY_POLICY`]: scripts, styles and frames from
//!   this origin only, no inline script or style (the views have none: the scripts and the
//!   stylesheet are files), no framing by other sites, forms post here only.
//! - `X-Frame-Options: DENY`, `X-Content-Type-Options: nosniff`, `Referrer-Policy:
//!   same-origin`.
//!
//! A handler may set its own value first and it is kept: the office's document viewer
//! shows a document in a frame of the case page, so the document answers
//! [`FRAMED_BY_SELF_CSP`] and `X-Frame-Options: SAMEORIGIN`.

use crate::AppState;
use crate::error::ApiError;
use axum::Router;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower_http::set_header::SetResponseHeaderLayer;

/// The policy of every page and answer.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// The policy of a document shown in the case page's viewer frame: only this origin may
/// frame it.
pub const FRAMED_BY_SELF_CSP: &str = "frame-ancestors 'self'";

/// The status of a request that ran past the timeout.
pub const TIMEOUT_STATUS: StatusCode = StatusCode::SERVICE_UNAVAILABLE;

/// Adds the security headers to every answer of `router` that has not set them itself.
pub fn with_headers(router: Router<AppState>) -> Router<AppState> {
    let headers = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
    ];
    headers
        .into_iter()
        .fold(router, |r, (name, value): (HeaderName, &'static str)| {
            r.layer(SetResponseHeaderLayer::if_not_present(
                name,
                HeaderValue::from_static(value),
            ))
        })
}

/// Gives the timeout layer's bare answer the JSON error shape (`timeout`).
pub async fn timeout_body(res: Response) -> Response {
    if res.status() == TIMEOUT_STATUS && !res.headers().contains_key(header::CONTENT_TYPE) {
        return ApiError::new(
            TIMEOUT_STATUS,
            "timeout",
            "the request took too long and was stopped; try again",
        )
        .into_response();
    }
    res
}
