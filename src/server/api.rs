//! HTTP handlers. CPU-heavy work (search, snippets, Markdown rendering,
//! related documents) runs on the CPU pool ([`super::cpu_pool`]), never on the async runtime's
//! threads, so one slow query cannot stall every other request.

use std::io::Read;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Serialize;

use super::access::Caller;
use super::error::ApiError;
use super::params::{single, SearchParams};
use super::AppState;
use crate::doc_id::DocId;
use crate::document::{self, front_matter, render, Heading, Link};
use crate::problem::Problem;
use crate::search::related::RelatedHit;
use crate::search::suggest::Suggestion;
use crate::search::{self, SearchResponse};

/// Related articles returned when `limit` is not given.
const DEFAULT_RELATED: usize = 5;
/// Most related articles per request.
const MAX_RELATED: usize = 20;

/// Runs CPU-bound work on the CPU pool, in arrival order.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    super::cpu_pool::CpuPool::shared()
        .run(f)
        .await
        .map_err(ApiError::internal)?
}

/// Runs work that may wait on the disk or the index writer (document
/// writes) on tokio's blocking pool, so it never holds up a CPU worker.
pub(super) async fn blocking_io<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
}

/// Full-text search with filters and facets.
#[utoipa::path(get, path = "/api/search", params(SearchParams),
    responses((status = 200, body = SearchResponse), (status = 400, body = super::error::ErrorBody)))]
pub async fn search(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Result<Json<SearchResponse>, ApiError> {
    let req = SearchParams::from_query(raw.as_deref().unwrap_or(""))
        .into_request(caller.viewer.clone())?;
    let response = blocking(move || {
        let response = search::search_cached(&state.index, &state.search_cache, &req)?;
        let mut entry = caller.entry("search");
        entry.query = Some(response.query.clone());
        entry.hits = Some(response.total);
        state.audit.record(&entry);
        Ok(response)
    })
    .await?;
    Ok(Json(response))
}

/// Suggestions for search-as-you-type.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SuggestResponse {
    /// What was typed.
    pub query: String,
    /// Titles, systems and tags completing it.
    pub suggestions: Vec<Suggestion>,
}

/// Completions of titles, systems and tags.
#[utoipa::path(get, path = "/api/suggest", params(("q" = Option<String>, Query, description = "What has been typed so far")),
    responses((status = 200, body = SuggestResponse)))]
pub async fn suggest(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Result<Json<SuggestResponse>, ApiError> {
    let q = single(raw.as_deref().unwrap_or(""), "q").unwrap_or_default();
    let response = blocking(move || {
        let suggestions = state.suggester.suggest(&state.index, &q, &caller.viewer)?;
        Ok(SuggestResponse {
            query: q,
            suggestions,
        })
    })
    .await?;
    Ok(Json(response))
}

/// A document as served to readers.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DocResponse {
    /// Document id (corpus-relative path).
    pub id: String,
    /// Title.
    pub title: String,
    /// Kind.
    pub kind: String,
    /// Every front-matter key as written.
    #[schema(value_type = Object)]
    pub meta: serde_json::Map<String, serde_json::Value>,
    /// Headings with their anchors in `html`.
    pub headings: Vec<Heading>,
    /// Sanitized HTML of the body.
    pub html: String,
    /// The kind's updated date, YYYY-MM-DD.
    pub updated: Option<String>,
    /// Links in the body.
    pub links: Vec<Link>,
    /// What is wrong with the file.
    pub problems: Vec<Problem>,
    /// For a training record: where its recording plays (a corpus file
    /// under `/api/media/`, or the external address as written).
    pub recording: Option<String>,
    /// Time-coded segments and transcript cues, in time order.
    pub segments: Vec<crate::document::transcript::Segment>,
}

/// Related articles.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RelatedResponse {
    /// Related documents with the reasons they were chosen.
    pub hits: Vec<RelatedHit>,
}

/// `/api/docs/{id}` and `/api/docs/{id}/related`: ids contain slashes, so
/// both share one wildcard route.
pub async fn doc_route(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(path): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    match path.strip_suffix("/related") {
        Some(id) => related(state, caller, id.to_string(), raw)
            .await
            .map(IntoResponse::into_response),
        None => doc(state, caller, path, headers).await,
    }
}

/// A document's rendered content and metadata, with an `ETag`.
#[utoipa::path(get, path = "/api/docs/{id}", params(("id" = String, Path, description = "Corpus-relative path, e.g. runbooks/core-banking/eod-batch-ora-01555.md")),
    responses((status = 200, body = DocResponse, headers(("ETag" = String, description = "Content hash"))),
        (status = 304, description = "Not modified (If-None-Match)"), (status = 404, body = super::error::ErrorBody)))]
pub async fn doc(
    state: Arc<AppState>,
    caller: Caller,
    raw_id: String,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let if_none_match = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    blocking(move || {
        let (id, bytes) = read_document(&state, &raw_id)?;
        let mut parsed = document::parse_bytes(id.clone(), &bytes, &state.index.schema);
        // Not visible is not found: a 403 would confirm the document exists.
        if !caller.viewer.can_see(&parsed.access.terms()) {
            let mut entry = caller.entry("denied");
            entry.id = Some(id.to_string());
            state.audit.record(&entry);
            return Err(ApiError::NotFound(format!(
                "no document with id '{raw_id}'"
            )));
        }
        let mut entry = caller.entry("open");
        entry.id = Some(id.to_string());
        state.audit.record(&entry);
        // The ETag is the file's own (what `If-Match` on writes compares);
        // a transcript's cues are not in it, so with one there is no 304.
        let etag = format!("\"{}\"", parsed.hash);
        document::attach_transcript(&state.corpus, &mut parsed);
        if parsed.transcript.is_none() && if_none_match.as_deref() == Some(etag.as_str()) {
            return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
        }
        let text = String::from_utf8_lossy(&bytes);
        let html = render::to_html(front_matter::split(&text).body, &id);
        let recording = super::media::recording_url(&id, &parsed.meta);
        let body = DocResponse {
            id: id.to_string(),
            title: parsed.title,
            kind: parsed.kind,
            updated: parsed.updated.map(|d| d.format("%Y-%m-%d").to_string()),
            meta: parsed.meta,
            headings: parsed.headings,
            links: parsed.links,
            recording,
            segments: parsed.segments,
            problems: parsed.problems,
            html,
        };
        Ok(([(header::ETAG, etag)], Json(body)).into_response())
    })
    .await
}

/// Reads a corpus document named by an untrusted id. Anything that is not a
/// document inside the corpus is "not found", whatever the reason, so probing
/// reveals nothing about files outside it.
fn read_document(state: &AppState, raw_id: &str) -> Result<(DocId, Vec<u8>), ApiError> {
    let not_found = || ApiError::NotFound(format!("no document with id '{raw_id}'"));
    let id = DocId::parse(raw_id).map_err(|_| not_found())?;
    let entry =
        crate::corpus::entry_for(&state.corpus, &id, &state.filter).ok_or_else(not_found)?;
    let file = std::fs::File::open(&entry.path).map_err(|_| not_found())?;
    let mut bytes = Vec::new();
    file.take(state.max_file_bytes)
        .read_to_end(&mut bytes)
        .map_err(|_| not_found())?;
    Ok((id, bytes))
}

/// Documents related by links, systems, tags and similar text.
#[utoipa::path(get, path = "/api/docs/{id}/related",
    params(("id" = String, Path, description = "Corpus-relative path"), ("limit" = Option<usize>, Query, description = "At most this many (default 5, max 20)")),
    responses((status = 200, body = RelatedResponse), (status = 404, body = super::error::ErrorBody)))]
pub async fn related(
    state: Arc<AppState>,
    caller: Caller,
    raw_id: String,
    raw: Option<String>,
) -> Result<Json<RelatedResponse>, ApiError> {
    let limit = match single(raw.as_deref().unwrap_or(""), "limit") {
        None => DEFAULT_RELATED,
        Some(l) => l
            .trim()
            .parse::<usize>()
            .map_err(|_| {
                ApiError::BadRequest(format!("invalid limit: '{l}' is not a whole number"))
            })?
            .clamp(1, MAX_RELATED),
    };
    let not_found = ApiError::NotFound(format!("no document with id '{raw_id}'"));
    let id = DocId::parse(&raw_id)
        .map_err(|_| ApiError::NotFound(format!("no document with id '{raw_id}'")))?;
    let hits = blocking(move || {
        Ok(search::related::related(
            &state.index,
            &id,
            limit,
            &caller.viewer,
        )?)
    })
    .await?;
    hits.map(|hits| Json(RelatedResponse { hits }))
        .ok_or(not_found)
}

/// Problems found in corpus files.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProblemsResponse {
    /// Number of problems.
    pub total: usize,
    /// The problems, by path and line.
    pub problems: Vec<Problem>,
}

/// Every problem recorded against a corpus file.
#[utoipa::path(get, path = "/api/problems", responses((status = 200, body = ProblemsResponse)))]
pub async fn problems(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<ProblemsResponse>, ApiError> {
    let problems = blocking(move || state.problems_for(&caller.viewer)).await?;
    Ok(Json(ProblemsResponse {
        total: problems.len(),
        problems,
    }))
}

/// Service health.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HealthResponse {
    /// `ok`; `starting` until the first reconciliation is done; `degraded`
    /// while `index_error` or `corpus_error` is set (searches still answer).
    pub status: String,
    /// Why the index cannot be updated now (disk full, read-only data
    /// folder, index folder deleted); `null` when it can.
    pub index_error: Option<String>,
    /// Why the corpus folder cannot be followed now (missing, unreadable);
    /// `null` when it can. The index is kept as it was meanwhile.
    pub corpus_error: Option<String>,
    /// Searchable documents.
    pub docs: u64,
    /// Problems recorded against corpus files.
    pub problems: usize,
    /// Time of the last index commit (RFC 3339), if any.
    pub last_commit: Option<String>,
    /// Age in ms of the oldest change not yet searchable (0 when none).
    pub lag_ms: i64,
}

/// Documents, problems, last commit and indexing lag.
#[utoipa::path(get, path = "/api/health", responses((status = 200, body = HealthResponse)))]
pub async fn health(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<HealthResponse>, ApiError> {
    // Counts of what the caller may read: a document's creation must not
    // show up as a change in a public count.
    let (docs, problems) = blocking({
        let state = state.clone();
        move || {
            let problems = state.problems_for(&caller.viewer)?.len();
            let docs = match state.index.access_filter(&caller.viewer) {
                None => state.index.num_docs(),
                Some(visible) => state
                    .index
                    .reader
                    .searcher()
                    .search(&*visible, &tantivy::collector::Count)?
                    as u64,
            };
            Ok((docs, problems))
        }
    })
    .await?;
    let ready = state.ready.load(Ordering::Relaxed);
    let (index_error, corpus_error) = (state.index_error(), state.corpus_error());
    let status = match (ready, index_error.is_some() || corpus_error.is_some()) {
        (false, _) => "starting",
        (true, true) => "degraded",
        (true, false) => "ok",
    };
    Ok(Json(HealthResponse {
        status: status.into(),
        index_error,
        corpus_error,
        docs,
        problems,
        last_commit: state.last_commit().map(|t| t.to_rfc3339()),
        lag_ms: state.lag_ms(),
    }))
}

/// Readiness.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReadyResponse {
    /// Whether the first reconciliation is done.
    pub ready: bool,
}

/// 200 once the first reconciliation is done, 503 before.
#[utoipa::path(get, path = "/api/ready", responses((status = 200, body = ReadyResponse), (status = 503, body = ReadyResponse)))]
pub async fn ready(State(state): State<Arc<AppState>>) -> (StatusCode, Json<ReadyResponse>) {
    let ready = state.ready.load(Ordering::Relaxed);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(ReadyResponse { ready }))
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn metrics(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let text = blocking(move || state.render_metrics()).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// A document kind as the UI needs it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct KindInfo {
    /// Kind name (`runbook`, `incident`, ...).
    pub name: String,
    /// Days after its updated date when a document of this kind needs review.
    pub stale_after_days: u32,
}

/// The schema's kinds.
#[derive(Serialize, utoipa::ToSchema)]
pub struct KindsResponse {
    /// Every kind, by name.
    pub kinds: Vec<KindInfo>,
}

/// Document kinds and their staleness limits (the UI marks stale hits).
#[utoipa::path(get, path = "/api/kinds", responses((status = 200, body = KindsResponse)))]
pub async fn kinds(State(state): State<Arc<AppState>>) -> Json<KindsResponse> {
    let kinds = state
        .index
        .schema
        .kinds
        .iter()
        .map(|(name, k)| KindInfo {
            name: name.clone(),
            stale_after_days: k.stale_after_days,
        })
        .collect();
    Json(KindsResponse { kinds })
}

/// Unknown routes.
pub async fn fallback() -> ApiError {
    ApiError::NotFound("no such route; see /api/openapi.json".into())
}
