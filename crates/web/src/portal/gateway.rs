//! Payment (線上繳費): the page hands the applicant off to a payment gateway, and the
//! gateway tells goldcard of the payment with the signed notification of interfaces.md
//! (`POST /api/v1/payments/notify`). [`PaymentGateway`] is the seam a real gateway plugs
//! into; in development [`SimulatedGateway`] is a page of goldcard's own that, on "pay",
//! signs the notification with the payment secret and hands it to the notification's own
//! handler, so the whole flow (signature check, amount check, `pay` event, mail) runs on
//! one machine exactly as it would with a bank.

use super::Portal;
use crate::api::payments::{SIGNATURE_HEADER, notify, sign};
use crate::error::ApiError;
use crate::office::PageForm;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use goldcard_views::portal as pages;
use serde_json::json;

/// A payment gateway: where to send the applicant to pay a case's fee. The gateway then
/// posts the signed notification to `/api/v1/payments/notify`.
pub trait PaymentGateway: Send + Sync {
    /// The gateway's name, shown on the payment button.
    fn name(&self) -> &str;
    /// The address of the gateway's payment page for this case and amount.
    fn checkout_url(&self, case_number: &str, amount_twd: i32) -> String;
}

/// The development gateway: a page of goldcard's own (`/apply/gateway/simulated/…`).
/// Refused in production.
#[derive(Debug, Clone, Copy, Default)]
pub struct SimulatedGateway;

impl PaymentGateway for SimulatedGateway {
    fn name(&self) -> &str {
        "simulated"
    }

    fn checkout_url(&self, case_number: &str, _amount_twd: i32) -> String {
        format!("/apply/gateway/simulated/{case_number}")
    }
}

/// The gateway in use: the simulated one outside production; none is configured in
/// production yet (the page then says to pay at a counter, where a cashier records it).
pub fn gateway(state: &crate::AppState) -> Option<&'static dyn PaymentGateway> {
    (!state.production).then_some(&SimulatedGateway as &'static dyn PaymentGateway)
}

/// `GET /apply/cases/{case_number}/pay`: the fee and the button to the gateway.
pub async fn pay_page(p: Portal, Path(n): Path<String>) -> Response {
    match super::own_case(&p, &n).await {
        Ok(c) => pages::pay_page(&p.chrome, &c, gateway(&p.state).map(|g| g.name())).into_response(),
        Err(e) => p.fail(e),
    }
}

/// `POST /apply/cases/{case_number}/pay`: hands off to the gateway.
pub async fn pay(p: Portal, Path(n): Path<String>, _form: PageForm) -> Response {
    let c = match super::own_case(&p, &n).await {
        Ok(c) => c,
        Err(e) => return p.fail(e),
    };
    if c.paid || c.state != "submitted" {
        return Redirect::to(&format!("/apply/cases/{n}/pay")).into_response();
    }
    match gateway(&p.state) {
        Some(g) => Redirect::to(&g.checkout_url(&c.case_number, c.fee_twd)).into_response(),
        None => p.fail(ApiError::conflict(
            "no_gateway",
            p.t("線上繳費暫不提供。", "Online payment is not available."),
        )),
    }
}

fn simulated_only(p: &Portal) -> Option<Response> {
    p.state
        .production
        .then(|| p.fail(ApiError::not_found("not_found", p.t("找不到此頁。", "No such page."))))
}

/// `GET /apply/gateway/simulated/{case_number}`: the simulated bank page.
pub async fn simulated_page(p: Portal, Path(n): Path<String>) -> Response {
    if let Some(r) = simulated_only(&p) {
        return r;
    }
    match super::own_case(&p, &n).await {
        Ok(c) => pages::simulated_gateway_page(&p.chrome, &c.case_number, c.fee_twd).into_response(),
        Err(e) => p.fail(e),
    }
}

/// `POST /apply/gateway/simulated/{case_number}`: "pays" and posts the signed
/// notification (case number, the case's fee as recorded at filing, a fresh receipt
/// number, the time) to the notification handler, then returns the applicant to the case.
/// Nothing of the form but its CSRF token counts: a bank signs what it charged, never an
/// amount the browser sends.
pub async fn simulated_pay(p: Portal, Path(n): Path<String>, _form: PageForm) -> Response {
    if let Some(r) = simulated_only(&p) {
        return r;
    }
    let c = match super::own_case(&p, &n).await {
        Ok(c) => c,
        Err(e) => return p.fail(e),
    };
    let amount = i64::from(c.fee_twd);
    let receipt = format!("SIM-{}-{}", c.case_number, hex::encode(rand::random::<[u8; 4]>()));
    let body = json!({
        "case_number": c.case_number,
        "amount_twd": amount,
        "receipt_no": receipt,
        "paid_at": p.state.clock.now().to_rfc3339(),
    })
    .to_string();
    let mut headers = HeaderMap::new();
    match HeaderValue::from_str(&sign(&p.state.payment_secret, body.as_bytes())) {
        Ok(v) => {
            headers.insert(SIGNATURE_HEADER, v);
        }
        Err(e) => return p.fail(ApiError::internal("signing the notification", e)),
    }
    match notify(State(p.state.clone()), headers, Bytes::from(body)).await {
        Ok(_) => Redirect::to(&format!("/apply/cases/{n}?paid=1")).into_response(),
        Err(e) => p.fail(e),
    }
}
