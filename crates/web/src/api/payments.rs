//! `POST /api/v1/payments/notify`: the payment gateway's signed notification. The HMAC of
//! the raw body authenticates it; a repeated receipt number is a no-op, not an error.

use super::parse_json;
use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::service::receipt_already_recorded;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use goldcard_store::StoreError;
use goldcard_store::entity::{accounts, cases};
use goldcard_store::events::{self, FireError};
use goldcard_workflow::{Actor, EventRequest, Refusal, Role};
use hmac::{Hmac, KeyInit, Mac};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::Sha256;

/// The notification body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Notification {
    /// Case paid for.
    pub case_number: String,
    /// Amount received.
    pub amount_twd: u64,
    /// The gateway's receipt number (unique).
    pub receipt_no: String,
    /// When (RFC 3339).
    pub paid_at: String,
}

/// The answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Notified {
    /// Case.
    pub case_number: String,
    /// Its state now.
    pub state: String,
}

/// The header carrying `sha256=<hex HMAC of the raw body>`.
pub const SIGNATURE_HEADER: &str = "x-goldcard-signature";

/// Signs a body as the gateway must (used by tests and the simulated gateway).
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn verify(secret: &str, body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else { return false };
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&sig).is_ok() // constant time
}

/// Records a payment from the gateway.
#[utoipa::path(post, path = "/api/v1/payments/notify", tag = "payments", request_body = Notification,
    params(("X-Goldcard-Signature" = String, Header, description = "sha256=<hex HMAC-SHA256 of the raw body>")),
    responses((status = 200, body = Notified), (status = 401, description = "bad_signature"), (status = 404, description = "case_not_found"),
        (status = 422, description = "amount_mismatch")))]
pub async fn notify(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> ApiResult<Json<Notified>> {
    let header = headers.get(SIGNATURE_HEADER).and_then(|h| h.to_str().ok());
    if !verify(&state.payment_secret, &body, header) {
        return Err(ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "bad_signature",
            "the signature does not match the body",
        ));
    }
    let n: Notification = parse_json(&body)?;
    let db = state.store.db();
    let find = || async {
        cases::Entity::find()
            .filter(cases::Column::CaseNumber.eq(n.case_number.trim()))
            .one(db)
            .await
            .map_err(StoreError::from)?
            .ok_or_else(|| ApiError::not_found("case_not_found", "no such case"))
    };
    let case = find().await?;
    let payload: Map<String, Value> =
        json!({"amount_twd": n.amount_twd, "receipt_no": n.receipt_no, "paid_at": n.paid_at})
            .as_object()
            .cloned()
            .unwrap_or_default();
    if receipt_already_recorded(&case, &payload) {
        return Ok(Json(Notified {
            case_number: case.case_number,
            state: case.state,
        }));
    }
    let gateway: i64 = accounts::Entity::find()
        .select_only()
        .column(accounts::Column::Id)
        .filter(accounts::Column::Role.eq(Role::PaymentGateway.as_str()))
        .filter(accounts::Column::Active.eq(true))
        .into_tuple()
        .one(db)
        .await
        .map_err(StoreError::from)?
        .unwrap_or(0);
    let actor = Actor {
        account_id: gateway,
        role: Role::PaymentGateway,
    };
    let request = EventRequest {
        event: "pay",
        expected_version: None,
        payload: &payload,
        reassign_target: None,
        attachments: &[],
    };
    let loaded = goldcard_store::cases::load_row(db, case, &state.catalogs.catalog).await?;
    match events::fire_on(db, state.rules(), actor, loaded, request, state.clock.now()).await {
        Ok(applied) => Ok(Json(Notified {
            case_number: applied.case_number,
            state: applied.state,
        })),
        Err(FireError::Refused(Refusal::GuardFailed { guard, message })) if guard == "amount_matches_fee" => {
            Err(ApiError::invalid(
                "amount_mismatch",
                message.clone(),
                vec![goldcard_domain::FieldError::new(
                    "amount_twd",
                    "amount_mismatch",
                    message,
                )],
            ))
        }
        Err(
            FireError::Store(StoreError::DuplicateReceipt(_)) | FireError::Refused(Refusal::VersionConflict { .. }),
        ) => {
            // a repeat racing the first notification: the same receipt is a no-op
            let case = find().await?;
            if receipt_already_recorded(&case, &payload) {
                Ok(Json(Notified {
                    case_number: case.case_number,
                    state: case.state,
                }))
            } else {
                Err(ApiError::conflict(
                    "duplicate_receipt",
                    "this receipt number was already recorded for another case",
                ))
            }
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_only_for_the_same_body_and_key() {
        let sig = sign("s3cret", b"{\"a\":1}");
        assert!(verify("s3cret", b"{\"a\":1}", Some(&sig)));
        assert!(!verify("s3cret", b"{\"a\":2}", Some(&sig)));
        assert!(!verify("other", b"{\"a\":1}", Some(&sig)));
        assert!(!verify("s3cret", b"{\"a\":1}", None));
        assert!(!verify("s3cret", b"{\"a\":1}", Some("sha256=zz")));
        assert!(!verify("s3cret", b"{\"a\":1}", Some(sig.trim_start_matches("sha256="))));
    }
}
