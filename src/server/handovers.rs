//! Handover routes: the list and one handover's page data (readiness per
//! system, gaps, articles), confirmations written back into the handover
//! file, and follow-up notes created as new corpus files.
//!
//! Confirmations need an editor token (participants sign off plans); feedback
//! needs a trainer token or above, since newcomers who give feedback usually
//! hold the trainer role that also lets them tag recordings. Both writes go
//! through `write_back` (atomic, If-Match checked for confirmations) and are
//! indexed before the response: read-your-writes, as for tags.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::access::Caller;
use super::api::{blocking, blocking_io};
use super::error::ApiError;
use super::tags::authorize;
use super::{write, AppState};
use crate::auth::{Role, StoredToken};
use crate::doc_id::DocId;
use crate::handover::readiness::{self, SystemReadiness};
use crate::handover::{
    articles, Catalog, Confirmation, Handover, PlanItem, FEEDBACK_DIR, FEEDBACK_KIND,
};
use crate::search::related::RelatedHit;
use crate::visibility::Viewer;
use crate::write_back::{self, Edit};

/// Longest confirmation remark, in characters: a sentence or two for the record.
const MAX_REMARK_CHARS: usize = 2000;
/// Longest feedback title, in characters.
const MAX_TITLE_CHARS: usize = 200;
/// Longest part of a feedback file name taken from its title, in characters.
const MAX_SLUG_CHARS: usize = 60;

/// The day readiness is judged on: the server's local calendar day.
fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// What the list and the page both say about a handover.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HandoverHead {
    /// Document id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Outgoing engineer.
    pub from: String,
    /// Incoming engineer.
    pub to: String,
    /// Systems handed over.
    pub systems: Vec<String>,
    /// planned, in-progress, confirmed, follow-up or closed.
    pub status: String,
    /// Start date.
    pub start: Option<String>,
    /// End date.
    pub end: Option<String>,
    /// Readiness score of the least ready system (0-100).
    pub score: u32,
}

/// One handover in the list.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HandoverSummary {
    /// Id, people, systems, status, dates, score.
    #[serde(flatten)]
    pub head: HandoverHead,
    /// Plan items done.
    pub items_done: usize,
    /// Plan items in all.
    pub items_total: usize,
}

/// `GET /api/handovers`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HandoverList {
    /// Every handover, newest start first.
    pub handovers: Vec<HandoverSummary>,
}

/// A plan item with the articles found for its topic.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ItemView {
    /// The item.
    #[serde(flatten)]
    pub item: PlanItem,
    /// Documents matching its topic within the handover's systems.
    pub articles: Vec<RelatedHit>,
}

/// One system's readiness with its reading list.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SystemView {
    /// Readiness: score, gaps, required kinds, stale, incidents, training, unowned.
    #[serde(flatten)]
    pub readiness: SystemReadiness,
    /// Its documents by kind, each with the reasons it was chosen.
    pub articles: BTreeMap<String, Vec<RelatedHit>>,
}

/// A follow-up note about the handover.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FeedbackNote {
    /// Document id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Who wrote it.
    pub author: Option<String>,
    /// When.
    pub date: Option<String>,
}

/// `GET /api/handovers/{id}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HandoverDetail {
    /// Id, people, systems, status, dates, score.
    #[serde(flatten)]
    pub head: HandoverHead,
    /// The day readiness was judged on.
    pub today: String,
    /// The plan, with articles per item.
    pub items: Vec<ItemView>,
    /// The confirmation record.
    pub confirmations: Vec<Confirmation>,
    /// Readiness and articles per system.
    pub per_system: Vec<SystemView>,
    /// Follow-up notes linked to it.
    pub feedback: Vec<FeedbackNote>,
    /// What is wrong with its front matter.
    pub problems: Vec<String>,
    /// ETag of the handover file, for `If-Match` on confirmations.
    pub etag: String,
}

impl HandoverHead {
    fn new(h: &Handover, score: u32) -> HandoverHead {
        HandoverHead {
            id: h.id.clone(),
            title: h.title.clone(),
            from: h.from.clone(),
            to: h.to.clone(),
            systems: h.systems.clone(),
            status: h.status.clone(),
            start: h.start.clone(),
            end: h.end.clone(),
            score,
        }
    }
}

fn summary(catalog: &Catalog, state: &AppState, h: &Handover, today: NaiveDate) -> HandoverSummary {
    let score = readiness::readiness(catalog, &state.index.schema, h, today).score;
    HandoverSummary {
        head: HandoverHead::new(h, score),
        items_done: h.items.iter().filter(|i| i.done).count(),
        items_total: h.items.len(),
    }
}

/// Every handover with its readiness score.
#[utoipa::path(get, path = "/api/handovers", responses((status = 200, body = HandoverList)))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<HandoverList>, ApiError> {
    let list = blocking(move || {
        let catalog =
            Catalog::visible_to(&state.index, &caller.viewer).map_err(ApiError::internal)?;
        let today = today();
        let mut handovers: Vec<HandoverSummary> = catalog
            .handovers()
            .into_iter()
            .map(|h| summary(&catalog, &state, &h, today))
            .collect();
        handovers.sort_by(|a, b| (b.head.start.cmp(&a.head.start)).then(a.head.id.cmp(&b.head.id)));
        Ok(HandoverList { handovers })
    })
    .await?;
    Ok(Json(list))
}

/// One handover: plan, confirmations, readiness and articles per system.
#[utoipa::path(get, path = "/api/handovers/{id}",
    params(("id" = String, Path, description = "Handover document id (`handovers/x.md`) or its short name (`x`)")),
    responses((status = 200, body = HandoverDetail), (status = 404, body = super::error::ErrorBody)))]
pub async fn detail(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let detail = blocking(move || handover_detail(&state, &id, today(), &caller.viewer)).await?;
    let etag = detail.etag.clone();
    Ok(([(header::ETAG, etag)], Json(detail)).into_response())
}

/// The handover named `name` and the current bytes of its file.
fn load(
    state: &AppState,
    catalog: &Catalog,
    name: &str,
) -> Result<(Handover, DocId, std::path::PathBuf, Vec<u8>), ApiError> {
    let not_found = || ApiError::NotFound(format!("no handover '{name}'"));
    let handover = catalog.handover(name).ok_or_else(not_found)?;
    let id = DocId::parse(&handover.id).map_err(|_| not_found())?;
    let entry =
        crate::corpus::entry_for(&state.corpus, &id, &state.filter).ok_or_else(not_found)?;
    let bytes = std::fs::read(&entry.path).map_err(|_| not_found())?;
    Ok((handover, id, entry.path, bytes))
}

fn handover_detail(
    state: &AppState,
    name: &str,
    today: NaiveDate,
    viewer: &Viewer,
) -> Result<HandoverDetail, ApiError> {
    let catalog = Catalog::visible_to(&state.index, viewer).map_err(ApiError::internal)?;
    let (h, _, _, bytes) = load(state, &catalog, name)?;
    let ready = readiness::readiness(&catalog, &state.index.schema, &h, today);
    let system_articles = articles::per_system(&state.index, &catalog, &h, viewer)?;
    let item_articles = articles::per_item(&state.index, &h, viewer)?;
    let per_system = ready
        .systems
        .into_iter()
        .zip(system_articles)
        .map(|(readiness, articles)| SystemView {
            readiness,
            articles,
        })
        .collect();
    let items = h
        .items
        .iter()
        .cloned()
        .zip(item_articles)
        .map(|(item, articles)| ItemView { item, articles })
        .collect();
    let mut feedback: Vec<FeedbackNote> = catalog
        .docs
        .iter()
        .filter(|d| d.kind == FEEDBACK_KIND)
        .filter(|d| d.text("handover").is_some_and(|x| h.is_named(&x)))
        .map(|d| FeedbackNote {
            id: d.id.clone(),
            title: d.title.clone(),
            author: d.text("author"),
            date: d.date("date").map(|x| x.format("%Y-%m-%d").to_string()),
        })
        .collect();
    feedback.sort_by(|a, b| b.date.cmp(&a.date).then(a.id.cmp(&b.id)));
    Ok(HandoverDetail {
        head: HandoverHead::new(&h, ready.score),
        today: ready.today,
        items,
        confirmations: h.confirmations,
        per_system,
        feedback,
        problems: h.problems,
        etag: write_back::content_etag(&bytes),
    })
}

/// Body of `POST /api/handovers/{id}/confirmations`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmationRequest {
    /// The plan item confirmed, by index (0-based) or exact topic; absent or
    /// null confirms the whole handover.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub item: Option<Value>,
    /// Optional remark for the record.
    #[serde(default, alias = "note")]
    pub remark: Option<String>,
}

/// What was written.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConfirmationResponse {
    /// Handover id.
    pub id: String,
    /// The new ETag of the handover file.
    pub etag: String,
    /// The record appended.
    pub confirmation: Confirmation,
    /// The handover's status after the write.
    pub status: String,
}

/// POST under `/api/handovers/`: only `{id}/confirmations` exists.
pub async fn post_route(
    state: State<Arc<AppState>>,
    peer: ConnectInfo<SocketAddr>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    match path.strip_suffix("/confirmations") {
        Some(id) => confirm(state, peer, Path(id.to_string()), headers, body).await,
        None => Err(ApiError::NotFound(
            "no such route; see /api/openapi.json".into(),
        )),
    }
}

/// Confirms a plan item or the whole handover; appends the record to the
/// handover file's `confirmations` (and marks the item done).
#[utoipa::path(post, path = "/api/handovers/{id}/confirmations", request_body = ConfirmationRequest,
    params(("id" = String, Path, description = "Handover document id or short name"),
        ("If-Match" = String, Header, description = "The handover file's ETag")),
    responses((status = 201, body = ConfirmationResponse), (status = 400, body = super::error::ErrorBody),
        (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody),
        (status = 412, body = super::error::ErrorBody), (status = 428, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn confirm(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let token = authorize(&state, &headers, peer.ip(), Role::Editor)?;
    let if_match = write::if_match(&headers)?;
    let request: ConfirmationRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!(
            "invalid body: {e}; expected {{\"item\": <index or topic> | null, \"remark\": \"...\"}}"
        ))
    })?;
    let remark = clean_text(
        "remark",
        request.remark.as_deref().unwrap_or(""),
        MAX_REMARK_CHARS,
        true,
    )?;
    let response = blocking_io(move || {
        write_confirmation(
            &state,
            &id,
            &if_match,
            request.item,
            remark,
            &token,
            today(),
        )
    })
    .await?;
    let etag = response.etag.clone();
    Ok((StatusCode::CREATED, [(header::ETAG, etag)], Json(response)).into_response())
}

/// Trimmed, NFC-stable text without control characters (newlines allowed
/// when `multiline`), at most `max` characters.
fn clean_text(what: &str, raw: &str, max: usize, multiline: bool) -> Result<String, ApiError> {
    let text = raw.trim().replace("\r\n", "\n");
    let bad = text
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t')));
    if bad || text.chars().count() > max {
        return Err(ApiError::BadRequest(format!(
            "{what} must be at most {max} characters without control characters"
        )));
    }
    Ok(text)
}

fn write_confirmation(
    state: &AppState,
    name: &str,
    if_match: &str,
    item: Option<Value>,
    remark: String,
    token: &StoredToken,
    today: NaiveDate,
) -> Result<ConfirmationResponse, ApiError> {
    // Read the file itself, not the index, so a handover edited a moment ago
    // is judged as it is now; the ETag check below catches anything later.
    let catalog = Catalog::visible_to(&state.index, &super::access::viewer_of(token))
        .map_err(ApiError::internal)?;
    let (_, id, path, bytes) = load(state, &catalog, name)?;
    let doc = crate::document::parse_bytes(id.clone(), &bytes, &state.index.schema);
    let handover = Handover::from_summary(&crate::handover::DocSummary::from_document(&doc));
    let item = match item {
        None | Some(Value::Null) => None,
        Some(which) => Some(handover.find_item(&which).cloned().ok_or_else(|| {
            ApiError::BadRequest(format!(
                "no plan item {which} in '{id}'; give its index (0 to {}) or its exact topic",
                handover.items.len().saturating_sub(1)
            ))
        })?),
    };
    let confirmation = Confirmation {
        by: token.name.clone(),
        date: Some(today.format("%Y-%m-%d").to_string()),
        item: item.as_ref().map(|i| i.topic.clone()),
        note: Some(remark).filter(|r| !r.is_empty()),
    };
    let mut record = serde_json::Map::new();
    record.insert("by".into(), json!(confirmation.by));
    record.insert("date".into(), json!(confirmation.date));
    if let Some(topic) = &confirmation.item {
        record.insert("item".into(), json!(topic));
    }
    if let Some(note) = &confirmation.note {
        record.insert("note".into(), json!(note));
    }
    let mut edits = vec![Edit::Append {
        key: "confirmations".into(),
        record: Value::Object(record),
    }];
    let mut status = handover.status.clone();
    match &item {
        Some(i) if !i.done => edits.push(Edit::SetInList {
            key: "items".into(),
            index: i.index,
            field: "done".into(),
            value: json!(true),
        }),
        Some(_) => {}
        // Signing off the whole handover moves a running one to confirmed;
        // later states (follow-up, closed) are not undone by a late signature.
        None if matches!(status.as_str(), "planned" | "in-progress") => {
            status = "confirmed".into();
            edits.push(Edit::Set {
                key: "status".into(),
                value: json!(status),
            });
        }
        None => {}
    }
    let outcome = write_back::edit_document(&path, if_match, &edits).map_err(write::write_error)?;
    write::reindex(state, &id, &path, &outcome.bytes)?;
    tracing::info!(id = %id, token = %token.name, item = ?confirmation.item, "confirmation written");
    write::audit(
        state,
        token,
        "confirmation",
        &id,
        (Some(if_match), &outcome.etag),
        json!({ "item": &confirmation.item, "note": &confirmation.note, "status": &status }),
    );
    Ok(ConfirmationResponse {
        id: id.to_string(),
        etag: outcome.etag,
        confirmation,
        status,
    })
}

/// Body of `POST /api/feedback`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    /// The handover it follows up (id or short name).
    pub handover: String,
    /// Title of the note.
    pub title: String,
    /// Markdown body.
    pub body: String,
    /// Tags (normalised like training tags); `feedback` is always added.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// The note created.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FeedbackResponse {
    /// New document id (`feedback/<date>-<slug>.md`).
    pub id: String,
    /// Its ETag.
    pub etag: String,
    /// Its page.
    pub url: String,
    /// The handover it is linked to.
    pub handover: String,
}

/// Writes a follow-up note as a new Markdown file under `feedback/`.
#[utoipa::path(post, path = "/api/feedback", request_body = FeedbackRequest,
    responses((status = 201, body = FeedbackResponse), (status = 400, body = super::error::ErrorBody),
        (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn feedback(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let token = authorize(&state, &headers, peer.ip(), Role::Trainer)?;
    let request: FeedbackRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!(
            "invalid body: {e}; expected {{\"handover\", \"title\", \"body\", \"tags\": [...]}}"
        ))
    })?;
    let title = clean_text("title", &request.title, MAX_TITLE_CHARS, false)?;
    let text = clean_text("body", &request.body, super::MAX_BODY_BYTES, true)?;
    if title.is_empty() || text.is_empty() {
        return Err(ApiError::BadRequest(
            "title and body must not be empty".into(),
        ));
    }
    let mut tags = vec![FEEDBACK_KIND.to_string()];
    for t in &request.tags {
        let t = super::tags::normalize_tag(t).map_err(ApiError::BadRequest)?;
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    let response = blocking_io(move || {
        write_feedback(
            &state,
            &request.handover,
            &title,
            &text,
            tags,
            &token,
            today(),
        )
    })
    .await?;
    let etag = response.etag.clone();
    let location = format!("/api/docs/{}", response.id);
    Ok((
        StatusCode::CREATED,
        [(header::ETAG, etag), (header::LOCATION, location)],
        Json(response),
    )
        .into_response())
}

/// A file-name fragment from a title: letters and digits of any script,
/// lowercased, other runs become `-`.
fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.chars().count() >= MAX_SLUG_CHARS {
            break;
        }
    }
    let out = out.trim_matches('-').to_string();
    if out.is_empty() {
        "note".into()
    } else {
        out
    }
}

fn write_feedback(
    state: &AppState,
    handover: &str,
    title: &str,
    text: &str,
    tags: Vec<String>,
    token: &StoredToken,
    today: NaiveDate,
) -> Result<FeedbackResponse, ApiError> {
    let catalog = Catalog::visible_to(&state.index, &super::access::viewer_of(token))
        .map_err(ApiError::internal)?;
    let h = catalog
        .handover(handover)
        .ok_or_else(|| ApiError::NotFound(format!("no handover '{handover}'")))?;
    let date = today.format("%Y-%m-%d").to_string();
    // The body links back, so the note shows up in the handover's related
    // documents and `baton check` flags it if the handover is ever renamed.
    let markdown = format!(
        "# {title}\n\n{text}\n\nFollow-up note on [{}](../{}).\n",
        h.title.replace(['[', ']'], ""),
        h.id
    );
    let updates = [
        ("title", json!(title)),
        ("handover", json!(h.id)),
        ("author", json!(token.name)),
        ("date", json!(date)),
        ("systems", json!(h.systems)),
        ("tags", json!(tags)),
    ];
    let contents = write_back::set_front_matter_keys(&markdown, &updates)
        .map_err(write::write_error)?
        .into_bytes();
    let dir = state.corpus.join(FEEDBACK_DIR);
    let path = write_back::create_new_atomically(
        &dir,
        &format!("{date}-{}", slug(title)),
        "md",
        &contents,
    )
    .map_err(write::write_error)?;
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let id = DocId::parse(&format!("{FEEDBACK_DIR}/{file}")).map_err(ApiError::internal)?;
    write::reindex(state, &id, &path, &contents)?;
    let etag = write_back::content_etag(&contents);
    tracing::info!(id = %id, token = %token.name, handover = %h.id, "feedback written");
    write::audit(
        state,
        token,
        "feedback",
        &id,
        (None, &etag),
        json!({ "handover": &h.id, "title": title }),
    );
    Ok(FeedbackResponse {
        url: id.url(),
        id: id.to_string(),
        etag,
        handover: h.id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_keep_letters_of_any_script() {
        assert_eq!(
            slug("接手第一個月：回饋 / Feedback!"),
            "接手第一個月-回饋-feedback"
        );
        assert_eq!(slug("  ***  "), "note");
        assert_eq!(slug(&"a".repeat(100)).len(), MAX_SLUG_CHARS);
    }

    #[test]
    fn remarks_are_checked() {
        assert_eq!(
            clean_text("remark", " ok\r\nfine ", 10, true).unwrap(),
            "ok\nfine"
        );
        assert!(clean_text("title", "a\nb", 10, false).is_err());
        assert!(clean_text("remark", &"x".repeat(11), 10, true).is_err());
    }
}
