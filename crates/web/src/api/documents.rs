//! `POST /api/v1/documents`: multipart upload, 10 MiB at most, PDF, JPEG or PNG as told by
//! the content (never by the name), stored under its SHA-256.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use goldcard_domain::FieldError;
use goldcard_store::documents::{self, NewDocument};
use serde::Serialize;

/// The largest document accepted.
pub const MAX_DOCUMENT: usize = 10 * 1024 * 1024;
/// The request body limit of the upload route: the document plus the form's overhead.
pub const MAX_UPLOAD_BODY: usize = MAX_DOCUMENT + 64 * 1024;

/// The content types accepted, recognised by their leading bytes.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else {
        None
    }
}

/// A stored document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Uploaded {
    /// Its id, to cite in a filing or supplement.
    pub document_id: String,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    /// Bytes.
    pub size: u64,
}

pub(crate) fn too_large() -> ApiError {
    ApiError::too_large(format!("a document may be at most {} MiB", MAX_DOCUMENT / 1024 / 1024))
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        ApiError::bad_request("bad_multipart", e.body_text())
    }
}

/// Uploads a document (fields `file` and `doc_type`).
#[utoipa::path(post, path = "/api/v1/documents", tag = "documents",
    request_body(content_type = "multipart/form-data", description = "`file` (PDF, JPEG or PNG, ≤ 10 MiB) and `doc_type`"),
    responses((status = 201, body = Uploaded), (status = 413, description = "too_large"), (status = 415, description = "unsupported_type"), (status = 422, description = "validation_failed")))]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<(StatusCode, Json<Uploaded>)> {
    // not a multipart/form-data request: say so in the API's error shape
    let mut form = form.map_err(|e| ApiError::bad_request("bad_multipart", e.body_text()))?;
    let mut file: Option<(Vec<u8>, String)> = None;
    let mut doc_type: Option<String> = None;
    while let Some(mut field) = form.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("file") => {
                let name = field.file_name().unwrap_or("document").to_string();
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                    if bytes.len() + chunk.len() > MAX_DOCUMENT {
                        return Err(too_large());
                    }
                    bytes.extend_from_slice(&chunk);
                }
                file = Some((bytes, name));
            }
            Some("doc_type") => doc_type = Some(field.text().await.map_err(multipart_error)?.trim().to_string()),
            other => {
                return Err(ApiError::validation(vec![FieldError::new(
                    other.unwrap_or(""),
                    "unknown_field",
                    "the form has only `file` and `doc_type`",
                )]));
            }
        }
    }
    let mut errors = Vec::new();
    let doc_type = match doc_type {
        Some(t) if state.catalogs.catalog.document_type(&t).is_some() => Some(t),
        Some(t) => {
            errors.push(FieldError::new(
                "doc_type",
                "not_in_catalog",
                format!("unknown document type `{t}`"),
            ));
            None
        }
        None => {
            errors.push(FieldError::new("doc_type", "required", "doc_type is required"));
            None
        }
    };
    if file.is_none() {
        errors.push(FieldError::new("file", "required", "attach the document as `file`"));
    }
    let (Some((bytes, name)), Some(doc_type), true) = (file, doc_type, errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let up = store_upload(&state, &caller, &doc_type, bytes, name).await?;
    Ok((StatusCode::CREATED, Json(up)))
}

/// Stores one upload of `caller`'s (PDF, JPEG or PNG by content, at most
/// [`MAX_DOCUMENT`]): the blob under its SHA-256 and the document row. The JSON API and
/// the portal's forms both upload through here.
pub async fn store_upload(
    state: &AppState,
    caller: &Caller,
    doc_type: &str,
    bytes: Vec<u8>,
    name: String,
) -> ApiResult<Uploaded> {
    if bytes.is_empty() {
        return Err(ApiError::validation(vec![FieldError::new(
            "file",
            "empty",
            "the document is empty",
        )]));
    }
    if bytes.len() > MAX_DOCUMENT {
        return Err(too_large());
    }
    let content_type = sniff(&bytes).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_type",
            "only PDF, JPEG and PNG documents are accepted",
        )
    })?;
    let size = bytes.len();
    let blobs = state.blobs.clone();
    let sha256 = tokio::task::spawn_blocking(move || blobs.put(&bytes))
        .await
        .map_err(|e| ApiError::internal("storing a document", e))??;
    let doc = documents::create(
        state.store.db(),
        NewDocument {
            sha256: sha256.clone(),
            size: i64::try_from(size).unwrap_or(i64::MAX),
            content_type: content_type.to_string(),
            original_name: name,
            doc_type: doc_type.to_string(),
            uploaded_by: caller.account_id,
        },
        state.clock.now(),
    )
    .await?;
    Ok(Uploaded {
        document_id: doc.public_id,
        sha256,
        size: size as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_the_type_not_the_name() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(
            sniff(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0]),
            Some("image/png")
        );
        assert_eq!(sniff(b"<html><script>"), None);
        assert_eq!(sniff(b"MZ\x90\0"), None);
        assert_eq!(sniff(b""), None);
    }
}
