//! One-time keys: a state-changing request sent twice (a double click, a client's retry)
//! changes nothing the second time and gets the first answer.
//!
//! - Forms: every form carries a fresh key in a hidden field
//!   ([`goldcard_views::FORM_KEY_FIELD`], rendered with the CSRF token). The extractors that
//!   check the CSRF token ([`crate::office::PageForm`], the portal's multipart reader) then
//!   claim the key with [`claim_form`] before the handler acts. A second submission gets
//!   the first answer's redirect, or a page saying the form was already sent.
//! - The JSON API: an optional `Idempotency-Key` header on a POST (interfaces.md names
//!   `POST /api/v1/extensions` and `POST /api/v1/cases/{n}/events`; any POST takes it). A
//!   repeat gets the first answer's status and body, marked `Idempotent-Replayed: true`.
//!
//! Keys are kept in the database per account ([`goldcard_store::idempotency`]), so several
//! instances agree. Only an answer that did something (below 400) is kept: a refusal or a
//! failure changed nothing and frees its key, so the form corrected (or the call retried)
//! may run. Requests without a key (or from no signed-in account) are not affected.

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use goldcard_store::idempotency::{self as keys, Claim, Kept};
use goldcard_views::{Chrome, Lang};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The request header of the JSON API's key.
pub const HEADER: &str = "idempotency-key";
/// The answer header marking a repeated answer.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// The largest API answer kept for repeating (larger ones are answered once and their
/// repeat says so).
const MAX_KEPT_BODY: usize = 64 * 1024;
/// How long a repeat waits for the first request to finish before answering 409.
const WAIT_FOR_FIRST: Duration = Duration::from_secs(5);

/// Marks an answer of a POST that changed nothing although it succeeded (the filing form
/// re-rendered for another field): its key is freed, so the same form may be sent again.
#[derive(Debug, Clone, Copy)]
pub struct NothingDone;

/// Marks `res` with [`NothingDone`].
pub fn nothing_done(mut res: Response) -> Response {
    res.extensions_mut().insert(NothingDone);
    res
}

/// The key a form claimed, for [`guard`] to keep the answer of.
#[derive(Clone, Default)]
pub struct FormClaim(Arc<Mutex<Option<(i64, String)>>>);

/// On every POST of a signed-in caller: the JSON API's header, or a slot for the form's
/// key; after the handler, keeps the answer under the key.
pub async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(account_id) = req.extensions().get::<Caller>().map(|c| c.account_id) else {
        return next.run(req).await;
    };
    if let Some(key) = req.headers().get(HEADER).cloned() {
        return api(&state, account_id, &key, req, next).await;
    }
    let slot = FormClaim::default();
    req.extensions_mut().insert(slot.clone());
    let res = next.run(req).await;
    let claimed = slot.0.lock().ok().and_then(|mut g| g.take());
    if let Some((account_id, key)) = claimed {
        keep(&state, account_id, &key, kept_of(&res, None)).await;
    }
    res
}

async fn api(state: &AppState, account_id: i64, key: &HeaderValue, req: Request, next: Next) -> Response {
    let Some(key) = key.to_str().ok().filter(|k| keys::valid_key(k)) else {
        return ApiError::bad_request(
            "invalid_idempotency_key",
            format!(
                "Idempotency-Key must be 1 to {} visible ASCII characters",
                keys::MAX_KEY
            ),
        )
        .into_response();
    };
    let route = req.uri().path().to_string();
    match claim(state, account_id, key, &route).await {
        Ok(Claim::New) => {}
        Ok(Claim::Done(kept)) => return replay_api(&kept, &route),
        Ok(Claim::InFlight) => return in_flight_api(),
        Err(e) => return e.into_response(),
    }
    let res = next.run(req).await;
    let (parts, body) = res.into_parts();
    // the API's answers are small JSON; one that cannot be read is a server error
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            let _ = keys::release(state.store.db(), account_id, key).await;
            return ApiError::internal("reading an answer to keep", e).into_response();
        }
    };
    let text = (bytes.len() <= MAX_KEPT_BODY)
        .then(|| String::from_utf8(bytes.to_vec()).ok())
        .flatten();
    let res = Response::from_parts(parts, Body::from(bytes));
    let kept = kept_of(&res, text);
    keep(state, account_id, key, kept).await;
    res
}

/// Claims a key, waiting a little for a first request still in flight.
async fn claim(state: &AppState, account_id: i64, key: &str, route: &str) -> Result<Claim, ApiError> {
    let deadline = tokio::time::Instant::now() + WAIT_FOR_FIRST;
    loop {
        let found = keys::claim(state.store.db(), account_id, key, route, state.clock.now()).await?;
        if found != Claim::InFlight || tokio::time::Instant::now() >= deadline {
            return Ok(found);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What is kept of `res` (its body is given apart: only the API keeps one). An answer
/// marked [`NothingDone`] counts as a refusal: its key is freed.
fn kept_of(res: &Response, body: Option<String>) -> Kept {
    let status = if res.extensions().get::<NothingDone>().is_some() {
        StatusCode::CONFLICT
    } else {
        res.status()
    };
    Kept {
        status: status.as_u16(),
        location: res
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body,
        route: String::new(),
    }
}

/// Keeps `kept` as the answer of `key`, or frees the key when the request was refused or
/// failed (4xx, 5xx): it changed nothing, so sending it again (corrected) may run.
async fn keep(state: &AppState, account_id: i64, key: &str, kept: Kept) {
    let db = state.store.db();
    let done = if kept.status >= 400 {
        keys::release(db, account_id, key).await
    } else {
        keys::finish(db, account_id, key, &kept).await
    };
    if let Err(e) = done {
        tracing::error!(error = %e, "could not keep the answer of a one-time key");
    }
}

fn replay_api(kept: &Kept, route: &str) -> Response {
    if kept.route != route {
        return ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "this Idempotency-Key was used for another request; use a new key",
        )
        .into_response();
    }
    let status = StatusCode::from_u16(kept.status).unwrap_or(StatusCode::OK);
    let mut res = match &kept.body {
        Some(body) => (status, [(header::CONTENT_TYPE, "application/json")], body.clone()).into_response(),
        None => ApiError::conflict(
            "already_done",
            "a request with this Idempotency-Key was already carried out",
        )
        .into_response(),
    };
    res.headers_mut()
        .insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    res
}

fn in_flight_api() -> Response {
    ApiError::conflict(
        "idempotency_in_progress",
        "a request with this Idempotency-Key is still being carried out; try again shortly",
    )
    .into_response()
}

/// Claims a form's one-time key `key` for `caller` (an empty key, or a request [`guard`]
/// does not watch, is let through unclaimed). `Err` is the answer to a form sent before:
/// the first answer's redirect, or a page saying the form was already sent.
pub async fn claim_form(
    state: &AppState,
    caller: &Caller,
    slot: Option<&FormClaim>,
    key: &str,
    route: &str,
) -> Result<(), Response> {
    let Some(slot) = slot else { return Ok(()) };
    if key.is_empty() {
        return Ok(());
    }
    let lang = Lang::from_code(&caller.locale);
    if !keys::valid_key(key) {
        return Err(already_page(lang, StatusCode::BAD_REQUEST, route));
    }
    match claim(state, caller.account_id, key, route).await {
        Ok(Claim::New) => {
            if let Ok(mut g) = slot.0.lock() {
                *g = Some((caller.account_id, key.to_string()));
            }
            Ok(())
        }
        Ok(Claim::Done(kept)) => match kept.location {
            Some(to) if (300..400).contains(&kept.status) && kept.route == route => {
                let mut res = Redirect::to(&to).into_response();
                res.headers_mut()
                    .insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
                Err(res)
            }
            _ => Err(already_page(lang, StatusCode::CONFLICT, route)),
        },
        Ok(Claim::InFlight) => Err(already_page(lang, StatusCode::CONFLICT, route)),
        Err(e) => Err(e.into_response()),
    }
}

/// The page answering a form sent a second time.
fn already_page(lang: Lang, status: StatusCode, path: &str) -> Response {
    let chrome = Chrome::anonymous(lang, String::new(), path);
    let msg = lang.pick(
        "這份表單已經送出過，沒有再處理一次。請回到前一頁並重新整理，查看目前的結果。",
        "This form was already sent; it was not carried out again. Go back and reload the page to see the result.",
    );
    let mut res = (status, goldcard_views::error_page(&chrome, status.as_u16(), msg)).into_response();
    res.headers_mut()
        .insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    res
}
