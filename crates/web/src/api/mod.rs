//! The JSON API of interfaces.md, one file per resource.

pub mod cards;
pub mod cases;
pub mod documents;
pub mod extensions;
pub mod payments;
pub mod queues;
pub mod session;

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use goldcard_domain::FieldError;
use serde::de::DeserializeOwned;

/// The largest JSON body accepted (uploads have their own limit).
pub const MAX_JSON_BODY: usize = 256 * 1024;

/// A JSON body whose shape errors come back as 422 field errors with their path, and
/// whose syntax errors come back as 400; both in the API's error shape.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::too_large(format!("the body is larger than {MAX_JSON_BODY} bytes"))
            } else {
                ApiError::bad_request("bad_request", e.body_text())
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// A query string whose errors come back as 422 field errors in the API's error shape
/// (axum's own `Query` answers them with plain text).
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(q)) => Ok(ApiQuery(q)),
            Err(e) => Err(query_error(&e.body_text())),
        }
    }
}

/// Turns axum's "Failed to deserialize query string: per_page: invalid digit…" into a field error.
fn query_error(text: &str) -> ApiError {
    let detail = text
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(text);
    let (field, message) = match detail.split_once(": ") {
        Some((f, m)) if !f.is_empty() && !f.contains(' ') => (f, m),
        _ => ("", detail),
    };
    let code = if message.starts_with("unknown field") {
        "unknown_field"
    } else {
        "invalid"
    };
    ApiError::validation(vec![FieldError::new(field, code, message)])
}

/// Parses JSON, naming the path of whatever does not fit.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::bad_request("malformed_json", format!("the body is not valid JSON: {inner}"))
        } else {
            let msg = inner.to_string();
            let mut field = if path == "." { String::new() } else { path };
            // serde names a missing field only in its message: put it in the path
            if let Some(name) = msg.strip_prefix("missing field `").and_then(|m| m.split('`').next()) {
                field = if field.is_empty() {
                    name.to_string()
                } else {
                    format!("{field}.{name}")
                };
            }
            let code = if msg.starts_with("unknown field") {
                "unknown_field"
            } else {
                "invalid"
            };
            ApiError::validation(vec![FieldError::new(field, code, strip_position(&msg))])
        }
    })
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Shows only the last four characters of an identifier (helpdesk views).
pub fn mask(id: &str) -> String {
    let n = id.chars().count();
    id.chars()
        .enumerate()
        .map(|(i, c)| if i + 4 < n { '*' } else { c })
        .collect()
}

/// An email address with its local part masked but its first character
/// (`h*****@goldcard.example`): enough for the holder to recognise, not to write to.
pub fn mask_email(email: &str) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!(
                "{first}{}@{domain}",
                "*".repeat(local.chars().count().saturating_sub(1).max(3))
            )
        }
        None => mask(email),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_an_email_keeps_its_first_character_and_domain() {
        assert_eq!(mask_email("holder@goldcard.example"), "h*****@goldcard.example");
        assert_eq!(mask_email("a@b.tw"), "a***@b.tw");
        assert_eq!(mask_email("nobody"), "**body");
    }

    #[test]
    fn masking_keeps_the_last_four() {
        assert_eq!(mask("F800001196"), "******1196");
        assert_eq!(mask("P1234567"), "****4567");
        assert_eq!(mask("123"), "123");
    }
}
