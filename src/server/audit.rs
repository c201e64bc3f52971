//! `GET /api/audit` (admin): pages through the audit trail, newest first,
//! filtered by user, document, action and time.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::{Extension, Json};

use super::access::Caller;
use super::error::ApiError;
use super::params::{number, single};
use super::AppState;
use crate::audit::{Filter, Page};
use crate::auth::Role;

/// Entries per page when `limit` is not given.
const DEFAULT_LIMIT: usize = 50;
/// Largest page.
const MAX_LIMIT: usize = 500;

/// The audit trail, newest first (admin).
#[utoipa::path(get, path = "/api/audit",
    params(("user" = Option<String>, Query, description = "Only this user (token or proxy name, or anonymous)"),
        ("id" = Option<String>, Query, description = "Only this document"),
        ("action" = Option<String>, Query, description = "search, open, denied, tags, ..."),
        ("since" = Option<String>, Query, description = "RFC 3339 or YYYY-MM-DD, inclusive"),
        ("until" = Option<String>, Query, description = "RFC 3339 or YYYY-MM-DD, inclusive"),
        ("offset" = Option<usize>, Query, description = "Entries to skip"),
        ("limit" = Option<usize>, Query, description = "Page size (default 50, max 500)")),
    security(("bearer" = [])),
    responses((status = 200, body = Page), (status = 401, body = super::error::ErrorBody),
        (status = 403, body = super::error::ErrorBody)))]
pub async fn audit_log(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Page>, ApiError> {
    match caller.role {
        None => return Err(ApiError::Unauthorized),
        Some(role) if role < Role::Admin => {
            return Err(ApiError::Forbidden(format!(
                "'{}' has role {role:?}; the audit trail needs Admin",
                caller.name
            )))
        }
        Some(_) => {}
    }
    let raw = raw.unwrap_or_default();
    let offset = number("offset", &single(&raw, "offset"))?.unwrap_or(0);
    let limit = number("limit", &single(&raw, "limit"))?
        .unwrap_or(DEFAULT_LIMIT)
        .clamp(1, MAX_LIMIT);
    let filter = Filter {
        user: single(&raw, "user"),
        id: single(&raw, "id"),
        action: single(&raw, "action"),
        since: time(&raw, "since", false)?,
        until: time(&raw, "until", true)?,
    };
    let page = tokio::task::spawn_blocking(move || state.audit.read(&filter, offset, limit))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    Ok(Json(page))
}

/// A time bound: RFC 3339, or a day (its start, or its end when `end_of_day`).
fn time(
    raw: &str,
    name: &str,
    end_of_day: bool,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiError> {
    let Some(v) = single(raw, name) else {
        return Ok(None);
    };
    crate::audit::parse_bound(&v, end_of_day)
        .map(Some)
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "invalid {name}: '{v}' is not a date (YYYY-MM-DD) or RFC 3339 time"
            ))
        })
}
