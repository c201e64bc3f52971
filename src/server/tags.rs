//! Trainers' tags on training records: `PUT /api/docs/{id}/tags` (the first
//! write path) and `GET /api/tags` (the vocabulary, for autocomplete).
//!
//! A write needs a bearer token with the trainer role or above and the
//! document's ETag in `If-Match` (428 without, 412 when stale). Only the
//! `tags` and `segments` keys of the file change (write_back), the file is
//! replaced atomically, and the index is updated before the response, so the
//! writer's next search sees the change; the watcher's later event finds the
//! same content hash and does nothing.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use unicode_normalization::UnicodeNormalization;

use super::error::ApiError;
use super::{write, AppState};
use crate::auth::{Role, StoredToken};
use crate::doc_id::DocId;
use crate::write_back;

/// Longest tag, in characters: tags are labels, not sentences.
const MAX_TAG_CHARS: usize = 40;
/// Longest segment label, in characters.
const MAX_LABEL_CHARS: usize = 200;
/// Most tags on a record or a segment.
const MAX_TAGS: usize = 50;
/// Most segments in one recording.
const MAX_SEGMENTS: usize = 500;
/// Failed authentications from one address within [`FAILURE_WINDOW`] before
/// it is answered with 429: slows down guessing without locking out typos.
const MAX_FAILURES: u32 = 10;
/// How long failures are remembered.
const FAILURE_WINDOW: Duration = Duration::from_secs(60);

/// Addresses tracked before expired ones are dropped.
const MAX_TRACKED_ADDRESSES: usize = 10_000;

/// Recent authentication failures per client address.
#[derive(Default)]
pub struct Failures(std::sync::Mutex<HashMap<IpAddr, (u32, Instant)>>);

impl Failures {
    fn too_many(&self, ip: IpAddr) -> bool {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&ip)
            .is_some_and(|(n, since)| *n >= MAX_FAILURES && since.elapsed() < FAILURE_WINDOW)
    }

    fn record(&self, ip: IpAddr) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // Forget expired addresses now and then, so guesses from many
        // addresses cannot grow the map without bound.
        if map.len() >= MAX_TRACKED_ADDRESSES {
            map.retain(|_, (_, since)| since.elapsed() < FAILURE_WINDOW);
        }
        let entry = map.entry(ip).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= FAILURE_WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }
}

/// The token of the request, if it has at least `role`.
pub fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    ip: IpAddr,
    role: Role,
) -> Result<StoredToken, ApiError> {
    if state.failures.too_many(ip) {
        return Err(ApiError::TooManyRequests);
    }
    let secret = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let tokens = state.tokens.read().unwrap_or_else(|p| p.into_inner());
    let Some(token) = secret.and_then(|s| tokens.verify(s)).cloned() else {
        // Only a wrong secret is a guess; a page that has not asked for the
        // token yet must not lock its user out.
        if secret.is_some() {
            state.failures.record(ip);
        }
        return Err(ApiError::Unauthorized);
    };
    if token.role < role {
        return Err(ApiError::Forbidden(format!(
            "token '{}' has role {:?}; this needs {role:?} or above",
            token.name, token.role
        )));
    }
    Ok(token)
}

/// A time-coded segment of a recording.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Segment {
    /// Offset into the recording, HH:MM:SS (MM:SS accepted).
    pub at: String,
    /// What happens there.
    pub label: String,
    /// Tags of that moment.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Body of `PUT /api/docs/{id}/tags`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagsRequest {
    /// Tags of the whole recording.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Time-coded segments.
    #[serde(default)]
    pub segments: Vec<Segment>,
}

/// What was written.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TagsResponse {
    /// Document id.
    pub id: String,
    /// The new ETag.
    pub etag: String,
    /// Normalised tags as written.
    pub tags: Vec<String>,
    /// Normalised, sorted segments as written.
    pub segments: Vec<Segment>,
}

/// Trims, NFKC-normalises and lowercases a tag, and checks it.
pub fn normalize_tag(raw: &str) -> Result<String, String> {
    let tag: String = raw.nfkc().collect::<String>().trim().to_lowercase();
    let chars = tag.chars().count();
    if chars == 0 || chars > MAX_TAG_CHARS {
        return Err(format!(
            "tag '{raw}' must be 1 to {MAX_TAG_CHARS} characters"
        ));
    }
    if !tag
        .chars()
        .all(|c| c.is_alphanumeric() || " -_./+#".contains(c))
    {
        return Err(format!(
            "tag '{raw}' may contain letters, digits, spaces and - _ . / + # only"
        ));
    }
    Ok(tag)
}

fn normalize_tags(raw: &[String]) -> Result<Vec<String>, String> {
    if raw.len() > MAX_TAGS {
        return Err(format!("at most {MAX_TAGS} tags"));
    }
    let mut out: Vec<String> = Vec::new();
    for t in raw {
        let t = normalize_tag(t)?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// `HH:MM:SS` from `H:MM:SS`, `HH:MM:SS` or `MM:SS`.
pub fn normalize_time(raw: &str) -> Result<String, String> {
    let parts: Vec<&str> = raw.trim().split(':').collect();
    let nums: Option<Vec<u32>> = parts
        .iter()
        .map(|p| {
            if p.len() <= 2 && !p.is_empty() {
                p.parse().ok()
            } else {
                None
            }
        })
        .collect();
    let (h, m, s) = match nums.as_deref() {
        Some([h, m, s]) => (*h, *m, *s),
        Some([m, s]) => (0, *m, *s),
        _ => return Err(format!("segment time '{raw}' must be HH:MM:SS")),
    };
    if m > 59 || s > 59 {
        return Err(format!(
            "segment time '{raw}' has minutes or seconds above 59"
        ));
    }
    Ok(format!("{h:02}:{m:02}:{s:02}"))
}

fn normalize_segments(raw: &[Segment]) -> Result<Vec<Segment>, String> {
    if raw.len() > MAX_SEGMENTS {
        return Err(format!("at most {MAX_SEGMENTS} segments"));
    }
    let mut out = Vec::with_capacity(raw.len());
    for seg in raw {
        let label: String = seg.label.nfkc().collect::<String>().trim().to_string();
        let chars = label.chars().count();
        if chars == 0 || chars > MAX_LABEL_CHARS || label.chars().any(char::is_control) {
            return Err(format!("segment label must be 1 to {MAX_LABEL_CHARS} characters without control characters"));
        }
        out.push(Segment {
            at: normalize_time(&seg.at)?,
            label,
            tags: normalize_tags(&seg.tags)?,
        });
    }
    out.sort_by(|a, b| a.at.cmp(&b.at));
    Ok(out)
}

/// Sets the tags and segments of a training record.
#[utoipa::path(put, path = "/api/docs/{id}/tags", request_body = TagsRequest,
    params(("id" = String, Path, description = "Corpus-relative path of a training record"),
        ("If-Match" = String, Header, description = "The document's ETag")),
    responses((status = 200, body = TagsResponse), (status = 400, body = super::error::ErrorBody),
        (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody),
        (status = 412, body = super::error::ErrorBody), (status = 428, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn put_tags(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Some(raw_id) = path.strip_suffix("/tags").map(str::to_string) else {
        return Err(ApiError::NotFound(
            "no such route; see /api/openapi.json".into(),
        ));
    };
    let token = authorize(&state, &headers, peer.ip(), Role::Trainer)?;
    let if_match = write::if_match(&headers)?;
    let request: TagsRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("invalid body: {e}; expected {{\"tags\": [...], \"segments\": [{{\"at\", \"label\", \"tags\"}}]}}")))?;
    let tags = normalize_tags(&request.tags).map_err(ApiError::BadRequest)?;
    let segments = normalize_segments(&request.segments).map_err(ApiError::BadRequest)?;
    let response = tokio::task::spawn_blocking(move || {
        write_tags(&state, &raw_id, &if_match, tags, segments, &token)
    })
    .await
    .map_err(ApiError::internal)??;
    let etag = response.etag.clone();
    Ok(([(header::ETAG, etag)], Json(response)).into_response())
}

fn write_tags(
    state: &AppState,
    raw_id: &str,
    if_match: &str,
    tags: Vec<String>,
    segments: Vec<Segment>,
    token: &StoredToken,
) -> Result<TagsResponse, ApiError> {
    let not_found = || ApiError::NotFound(format!("no document with id '{raw_id}'"));
    let id = DocId::parse(raw_id).map_err(|_| not_found())?;
    let entry =
        crate::corpus::entry_for(&state.corpus, &id, &state.filter).ok_or_else(not_found)?;
    let current = std::fs::read(&entry.path).map_err(|_| not_found())?;
    let parsed = crate::document::parse_bytes(id.clone(), &current, &state.index.schema);
    // A record the writer may not read does not exist for them.
    if !super::access::viewer_of(token).can_see(&parsed.access.terms()) {
        return Err(not_found());
    }
    let kind = parsed.kind;
    if kind != "training" {
        return Err(ApiError::Conflict(format!(
            "tags can be set only on training records; '{id}' is a {kind}"
        )));
    }
    let updates = [("tags", json!(tags)), ("segments", json!(segments))];
    let outcome =
        write_back::update_document(&entry.path, if_match, &updates).map_err(write::write_error)?;
    // Read-your-writes: index the new content before answering.
    write::reindex(state, &id, &entry.path, &outcome.bytes)?;
    tracing::info!(id = %id, token = %token.name, tags = tags.len(), segments = segments.len(), "tags written");
    let changed = json!({ "tags": &tags, "segments": &segments });
    let before = write_back::content_etag(&current);
    write::audit(
        state,
        token,
        "tags",
        &id,
        (Some(&before), &outcome.etag),
        changed,
    );
    Ok(TagsResponse {
        id: id.to_string(),
        etag: outcome.etag,
        tags,
        segments,
    })
}

/// The tag vocabulary.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TagsVocabulary {
    /// Tags with the number of documents carrying them, most used first.
    pub tags: Vec<TagCount>,
}

/// One tag and how many documents carry it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TagCount {
    /// The tag.
    pub tag: String,
    /// Documents with it.
    pub count: u64,
}

/// Every tag in use with its document count, for autocomplete.
#[utoipa::path(get, path = "/api/tags", responses((status = 200, body = TagsVocabulary)))]
pub async fn vocabulary(
    State(state): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<super::access::Caller>,
) -> Result<Json<TagsVocabulary>, ApiError> {
    let result = tokio::task::spawn_blocking(move || {
        // Counted over the documents the caller may read, like search facets.
        let req = crate::search::SearchRequest {
            limit: 1,
            viewer: caller.viewer,
            ..crate::search::SearchRequest::new("")
        };
        crate::search::search(&state.index, &req)
    })
    .await
    .map_err(ApiError::internal)??;
    let mut tags: Vec<TagCount> = result
        .facets
        .get("tags")
        .map(|m| {
            m.iter()
                .map(|(tag, &count)| TagCount {
                    tag: tag.clone(),
                    count,
                })
                .collect()
        })
        .unwrap_or_default();
    tags.sort_by(|a, b| b.count.cmp(&a.count).then(a.tag.cmp(&b.tag)));
    Ok(Json(TagsVocabulary { tags }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_times_are_normalised() {
        assert_eq!(normalize_tag("  Failover ").unwrap(), "failover");
        assert_eq!(normalize_tag("ＯＲＡ－01555").unwrap(), "ora-01555");
        assert_eq!(normalize_tag("切換備援").unwrap(), "切換備援");
        assert!(normalize_tag("").is_err());
        assert!(normalize_tag("<script>").is_err());
        assert!(normalize_tag(&"x".repeat(41)).is_err());
        assert_eq!(normalize_time("12:30").unwrap(), "00:12:30");
        assert_eq!(normalize_time("1:02:03").unwrap(), "01:02:03");
        assert!(normalize_time("00:61:00").is_err());
        assert!(normalize_time("later").is_err());
    }
}
