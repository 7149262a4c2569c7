//! The one user-facing error type: every failure leaves the API in the shape of
//! interfaces.md, `{"error": {"code", "message", "fields"?}}`, `fields` on 422 only.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use goldcard_domain::FieldError;
use goldcard_store::StoreError;
use goldcard_store::events::FireError;
use goldcard_workflow::Refusal;
use serde::Serialize;

/// An error answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// snake_case code.
    pub code: &'static str,
    /// For people.
    pub message: String,
    /// Field errors (422 only).
    pub fields: Vec<FieldError>,
    /// A refusal to log (roles.md: every refusal is logged) that its status alone does not
    /// tell: the 404 answered for a case that is not the caller's.
    pub refusal: Option<&'static str>,
}

/// Marks an answer as a refusal for the access log ([`crate::auth::authorize`] writes
/// it): its reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused(pub &'static str);

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<&'a [FieldError]>,
}

impl ApiError {
    /// Any status and code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            fields: Vec::new(),
            refusal: None,
        }
    }
    /// 400.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }
    /// 401.
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
    /// 403.
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    /// 404.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, code, message)
    }
    /// The 404 of something that exists but is not the caller's (it is answered as if it
    /// did not exist, and logged as a refusal).
    pub fn not_yours(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            refusal: Some("not_yours"),
            ..ApiError::not_found(code, message)
        }
    }
    /// Adds the access log's marker to `res` when this error is a refusal it should log.
    pub fn mark(&self, res: &mut Response) {
        if let Some(reason) = self.refusal {
            res.extensions_mut().insert(Refused(reason));
        }
    }
    /// 409.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code, message)
    }
    /// 422 with field errors.
    pub fn invalid(code: &'static str, message: impl Into<String>, fields: Vec<FieldError>) -> ApiError {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code,
            message: message.into(),
            fields,
            refusal: None,
        }
    }
    /// 422 for field errors of a request body or query.
    pub fn validation(fields: Vec<FieldError>) -> ApiError {
        ApiError::invalid("validation_failed", "some fields are not valid", fields)
    }
    /// 413.
    pub fn too_large(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
    }
    /// 500: the details go to the log, not to the caller.
    pub fn internal(context: &str, err: impl std::fmt::Display) -> ApiError {
        tracing::error!("{context}: {err}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "something went wrong; it has been logged",
        )
    }
    /// 503: the database cannot be reached.
    pub fn unavailable() -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the service is temporarily unavailable; try again",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_client_error() && self.status != StatusCode::NOT_FOUND {
            tracing::info!(
                code = self.code,
                status = self.status.as_u16(),
                "refused: {}",
                self.message
            );
        }
        let fields = (self.status == StatusCode::UNPROCESSABLE_ENTITY).then_some(self.fields.as_slice());
        let body = Body {
            error: Inner {
                code: self.code,
                message: &self.message,
                fields,
            },
        };
        let mut res = (self.status, axum::Json(&body)).into_response();
        self.mark(&mut res);
        res
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        match &r {
            Refusal::InvalidTransition { message } => ApiError::conflict("invalid_transition", message.clone()),
            Refusal::VersionConflict { .. } => ApiError::conflict("version_conflict", r.to_string()),
            Refusal::Forbidden { message } => ApiError::forbidden(message.clone()),
            Refusal::GuardFailed { guard, message } => ApiError::invalid(
                "guard_failed",
                message.clone(),
                vec![FieldError::new(guard.clone(), "guard_failed", message.clone())],
            ),
            Refusal::InvalidPayload { fields } => ApiError::validation(fields.clone()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::VersionConflict { .. } => ApiError::conflict("version_conflict", e.to_string()),
            StoreError::NotFound(what) => ApiError::not_found("not_found", format!("{what} not found")),
            StoreError::ExtensionPending => {
                ApiError::conflict("extension_pending", "the card already has a pending extension")
            }
            StoreError::DuplicateReceipt(_) => ApiError::conflict(
                "duplicate_receipt",
                "this receipt number was already recorded for another case",
            ),
            StoreError::Duplicate(what) => ApiError::conflict("duplicate", format!("{what} already exists")),
            StoreError::Invalid(msg) => ApiError::bad_request("invalid", msg),
            StoreError::Db(ref db) if is_connection_error(db) => {
                tracing::error!("database unreachable: {db}");
                ApiError::unavailable()
            }
            StoreError::Db(ref db) if is_text_refused(db) => ApiError::bad_request(
                "invalid_text",
                "the request carries text the database cannot hold (a NUL character)",
            ),
            other => ApiError::internal("store", other),
        }
    }
}

/// Whether PostgreSQL refused a value's text: a NUL character, which no text column can
/// hold (SQLSTATE 22021, "invalid byte sequence"), arriving from a request that no check
/// before the query looked at.
fn is_text_refused(e: &sea_orm::DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    use sea_orm::{DbErr, RuntimeErr};
    match e {
        DbErr::Query(RuntimeErr::SqlxError(s)) | DbErr::Exec(RuntimeErr::SqlxError(s)) => {
            matches!(s.as_ref(), Sqlx::Database(db) if db.code().is_some_and(|c| c == "22021"))
        }
        _ => false,
    }
}

/// Whether the database could not be reached or went away mid-request (a 503, not a
/// 500): no connection to be had, a connection that broke (the server restarted), or
/// PostgreSQL's own "connection exception" (SQLSTATE class 08) and "shutting down"
/// (57P01-57P03) errors.
fn is_connection_error(e: &sea_orm::DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    use sea_orm::{DbErr, RuntimeErr};
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Query(RuntimeErr::SqlxError(s)) | DbErr::Exec(RuntimeErr::SqlxError(s)) => match s.as_ref() {
            Sqlx::Io(_)
            | Sqlx::Tls(_)
            | Sqlx::Protocol(_)
            | Sqlx::PoolTimedOut
            | Sqlx::PoolClosed
            | Sqlx::WorkerCrashed => true,
            Sqlx::Database(db) => db
                .code()
                .is_some_and(|c| c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03")),
            _ => false,
        },
        _ => false,
    }
}

impl From<FireError> for ApiError {
    fn from(e: FireError) -> Self {
        match e {
            FireError::CaseNotFound(n) => ApiError::not_found("case_not_found", format!("case {n} not found")),
            FireError::Refused(r) => r.into(),
            FireError::Store(s) => s.into(),
        }
    }
}

/// Results of handlers.
pub type ApiResult<T> = Result<T, ApiError>;
