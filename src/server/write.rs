//! What every write route shares: the `If-Match` precondition, mapping
//! write-back failures to HTTP, read-your-writes (index the new content
//! before answering) and the audit log.

use axum::http::{header, HeaderMap};
use serde_json::json;

use super::error::ApiError;
use super::AppState;
use crate::auth::StoredToken;
use crate::doc_id::DocId;
use crate::write_back::WriteBackError;

/// File in the data folder with one JSON line per successful write.
pub const AUDIT_FILE: &str = "audit.log";

/// The request's `If-Match` value; writes without one get 428.
pub fn if_match(headers: &HeaderMap) -> Result<String, ApiError> {
    headers
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .ok_or(ApiError::PreconditionRequired)
}

/// A stale ETag is 412 with the current one; a file we cannot edit is a
/// conflict the caller can act on; anything else is ours.
pub fn write_error(e: WriteBackError) -> ApiError {
    match e {
        WriteBackError::Stale { current_etag } => ApiError::PreconditionFailed(current_etag),
        e @ (WriteBackError::UnsupportedFrontMatter(_)
        | WriteBackError::Unparsable { .. }
        | WriteBackError::UnsupportedValue { .. }) => ApiError::Conflict(e.to_string()),
        other => ApiError::internal(other),
    }
}

/// Indexes `bytes` as the new content of `id` and commits, so the next
/// search sees it; the watcher's later event finds the same hash and does nothing.
pub fn reindex(
    state: &AppState,
    id: &DocId,
    path: &std::path::Path,
    bytes: &[u8],
) -> Result<(), ApiError> {
    let mut doc = crate::document::parse_bytes(id.clone(), bytes, &state.index.schema);
    doc.mtime = std::fs::metadata(path)
        .map(|m| crate::document::mtime_nanos(&m))
        .unwrap_or(0);
    state.writer.upsert(doc)?;
    state.writer.commit()?;
    Ok(())
}

/// Appends who wrote what, when, to the audit log. A failure to log is
/// reported but does not undo the write, which has already happened.
pub fn audit(state: &AppState, token: &StoredToken, action: &str, id: &DocId, etag: &str) {
    use std::io::Write;
    let line = json!({
        "time": chrono::Utc::now().to_rfc3339(),
        "token": token.name,
        "role": token.role,
        "action": action,
        "id": id.as_str(),
        "etag": etag,
    });
    let path = state.data.join(AUDIT_FILE);
    let result = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        // One write call per line, so concurrent writers never interleave.
        .and_then(|mut f| f.write_all(format!("{line}\n").as_bytes()));
    if let Err(e) = result {
        tracing::error!(path = %path.display(), error = %e, "cannot append to the audit log");
    }
}
