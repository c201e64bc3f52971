//! `GET /api/audit` (admin): pages through the audit log, newest first.
//! The log itself is a file of JSON lines in the data folder, appended by
//! every write; it is the record, this endpoint only reads it.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::Serialize;

use super::error::ApiError;
use super::params::single;
use super::AppState;
use crate::auth::Role;

/// Entries per page when `limit` is not given.
const DEFAULT_LIMIT: usize = 50;
/// Largest page.
const MAX_LIMIT: usize = 500;

/// A page of the audit log.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    /// Entries in the log.
    pub total: usize,
    /// Entries skipped (newest first).
    pub offset: usize,
    /// This page, newest first; each as written (time, token, role, action, id, etag...).
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<serde_json::Value>,
}

/// The audit log, newest first (admin).
#[utoipa::path(get, path = "/api/audit",
    params(("offset" = Option<usize>, Query, description = "Entries to skip"),
        ("limit" = Option<usize>, Query, description = "Page size (default 50, max 500)")),
    security(("bearer" = [])),
    responses((status = 200, body = AuditPage), (status = 401, body = super::error::ErrorBody),
        (status = 403, body = super::error::ErrorBody)))]
pub async fn audit_log(
    State(state): State<Arc<AppState>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<AuditPage>, ApiError> {
    super::tags::authorize(&state, &headers, client.ip(), Role::Admin)?;
    let raw = raw.unwrap_or_default();
    let number = |name: &str, default: usize| -> Result<usize, ApiError> {
        match single(&raw, name) {
            None => Ok(default),
            Some(v) => v.trim().parse().map_err(|_| {
                ApiError::BadRequest(format!("invalid {name}: '{v}' is not a whole number"))
            }),
        }
    };
    let offset = number("offset", 0)?;
    let limit = number("limit", DEFAULT_LIMIT)?.clamp(1, MAX_LIMIT);
    let path = state.data.join(super::tags::AUDIT_FILE);
    let page = tokio::task::spawn_blocking(move || read_page(&path, offset, limit))
        .await
        .map_err(ApiError::internal)??;
    Ok(Json(page))
}

fn read_page(path: &std::path::Path, offset: usize, limit: usize) -> Result<AuditPage, ApiError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(ApiError::internal(e)),
    };
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let entries = lines
        .iter()
        .rev()
        .skip(offset)
        .take(limit)
        // A line that is not JSON (a torn write after a crash) is shown as text.
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| serde_json::json!({ "raw": l })))
        .collect();
    Ok(AuditPage {
        total: lines.len(),
        offset,
        entries,
    })
}
