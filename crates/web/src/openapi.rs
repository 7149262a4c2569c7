//! The OpenAPI document, generated from the handlers' annotations.

use crate::api;
use axum::Json;
use utoipa::OpenApi;

/// goldcard's JSON API.
#[derive(OpenApi)]
#[openapi(
    info(title = "goldcard", description = "Taiwan Employment Gold Card extensions (就業金卡延期申請): the JSON API of interfaces.md. Errors always have the shape {\"error\": {\"code\", \"message\", \"fields\"?}}."),
    paths(
        api::session::sign_in,
        api::session::verify_code,
        api::session::sign_out,
        api::cards::lookup,
        api::cards::read,
        api::extensions::file,
        api::documents::upload,
        api::cases::search,
        api::cases::read,
        api::cases::fire,
        api::queues::queue,
        api::payments::notify,
    ),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `GET /api/v1/openapi.json`.
pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
