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
        super::tags::put_tags,
        super::tags::vocabulary,
        super::media::media,
        super::audit::audit_log,
        super::handovers::list,
        super::handovers::detail,
        super::handovers::confirm,
        super::handovers::feedback,
        api::problems,
        api::health,
        api::ready,
        api::metrics,
        api::kinds,
        super::assets::home,
        super::assets::doc_page,
        super::assets::handovers_page,
        super::assets::handover_page,
        super::assets::problems_page,
        spec
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// Declares the `bearer` security scheme used by write routes.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        let scheme = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build();
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// This document.
#[utoipa::path(get, path = "/api/openapi.json", responses((status = 200, description = "OpenAPI 3 document", content_type = "application/json")))]
pub async fn spec() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
