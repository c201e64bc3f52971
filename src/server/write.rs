//! What every write route shares: the `If-Match` precondition, mapping
//! write-back failures to HTTP, read-your-writes (index the new content
//! before answering) and the audit log.

use axum::http::{header, HeaderMap};

use super::error::ApiError;
use super::AppState;
use crate::auth::StoredToken;
use crate::doc_id::DocId;
use crate::write_back::WriteBackError;

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
/// search sees it; the watcher's later event finds the same hash and does
/// nothing. A commit that fails (disk full, read-only data folder) is logged,
/// not returned: the write itself happened.
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
    // As a reconciliation would index it (transcript cues, folded hash), so
    // the watcher's event for this write finds nothing to do.
    crate::document::attach_transcript(&state.corpus, &mut doc);
    state.writer.upsert(doc)?;
    if let Err(e) = state.writer.commit() {
        // The corpus file, the truth, is already written: the caller's write
        // succeeded. The index catches up once it can be written again
        // (`index_error` in /api/health says why it cannot now).
        tracing::error!(id = %id, error = %e, "saved to the corpus, but the index cannot be updated now");
    }
    Ok(())
}

/// Records a write in the audit trail: who, role, document, the ETag it
/// replaced and the new one, and what it set. A failure to log is reported
/// but does not undo the write, which has already happened.
pub fn audit(
    state: &AppState,
    token: &StoredToken,
    action: &str,
    id: &DocId,
    etags: (Option<&str>, &str),
    changed: serde_json::Value,
) {
    let mut entry = crate::audit::Entry::new(action, &token.name);
    entry.role = Some(format!("{:?}", token.role).to_lowercase());
    entry.id = Some(id.to_string());
    entry.etag_before = etags.0.map(|e| e.trim().to_string());
    entry.etag = Some(etags.1.to_string());
    entry.detail = Some(changed);
    state.audit.record(&entry);
}
