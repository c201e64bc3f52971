//! `/api/openapi.json`, generated from the handlers' and types' annotations
//! (utoipa), so the description cannot drift from the code.

use axum::Json;
use utoipa::OpenApi;

use super::api;
use super::error::{ErrorBody, ErrorDetail};

/// The OpenAPI document of the baton API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "baton",
        description = "Handover knowledge-base search for IT operations"
    ),
    paths(
        api::search,
        api::suggest,
        api::doc,
        api::related,
        api::problems,
        api::health,
        api::ready,
        api::metrics,
        api::home,
        spec
    ),
    components(schemas(ErrorBody, ErrorDetail))
)]
pub struct ApiDoc;

/// This document.
#[utoipa::path(get, path = "/api/openapi.json", responses((status = 200, description = "OpenAPI 3 document", content_type = "application/json")))]
pub async fn spec() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
