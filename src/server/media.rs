//! `/api/media/{path}`: recordings and transcripts stored inside the corpus,
//! served with HTTP range requests so a player can seek straight to a
//! segment without downloading the whole file.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::{Map, Value};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use super::access::Caller;
use super::error::ApiError;
use super::AppState;
use crate::corpus::Filter;
use crate::doc_id::{percent_encode_path, DocId};
use crate::visibility::Viewer;

/// File types served: recordings and their transcripts. Nothing else in the
/// corpus (Markdown is served rendered, through `/api/docs`).
const MEDIA_EXTENSIONS: [&str; 13] = [
    "mp4", "m4v", "webm", "ogv", "mov", "mp3", "m4a", "ogg", "oga", "opus", "wav", "vtt", "srt",
];

/// A recording or transcript file, with `Range` support.
#[utoipa::path(get, path = "/api/media/{path}",
    params(("path" = String, Path, description = "Corpus-relative path of a recording or transcript")),
    responses((status = 200, description = "The file"), (status = 206, description = "The requested byte range"),
        (status = 404, body = super::error::ErrorBody), (status = 416, description = "Range not satisfiable")))]
pub async fn media(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::NotFound(format!("no media file '{raw}'"));
    let id = DocId::parse(&raw).map_err(|_| not_found())?;
    let allowed = {
        let (state, id, viewer) = (state.clone(), id.clone(), caller.viewer.clone());
        tokio::task::spawn_blocking(move || may_read(&state, &id, &viewer))
            .await
            .map_err(ApiError::internal)??
    };
    if !allowed {
        let mut entry = caller.entry("denied");
        entry.id = Some(id.to_string());
        state.audit.record(&entry);
        return Err(not_found());
    }
    let path = id.to_path(&state.corpus);
    let servable = is_media(id.as_str())
        && !id.as_str().split('/').any(Filter::skips_name)
        && !state.filter.ignores(id.as_str())
        && path
            .canonicalize()
            .is_ok_and(|p| p.starts_with(&state.corpus) && p.is_file());
    if !servable {
        return Err(not_found());
    }
    let mut response = ServeFile::new(&path)
        .oneshot(req)
        .await
        .map_err(ApiError::internal)?
        .map(Body::new);
    if id.as_str().to_ascii_lowercase().ends_with(".srt") {
        // Not in the MIME table; browsers show it as text.
        response.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("text/plain; charset=utf-8"),
        );
    }
    Ok(response.into_response())
}

/// Whether `viewer` may read the media file `id`: when indexed documents
/// use it (as transcript or recording), if it may read one of them;
/// otherwise by the folder's visibility default.
fn may_read(state: &AppState, id: &DocId, viewer: &Viewer) -> Result<bool, ApiError> {
    use tantivy::collector::Count;
    use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
    use tantivy::schema::IndexRecordOption;
    let index = &state.index;
    let users = TermQuery::new(
        tantivy::Term::from_field_text(index.fields.media, id.as_str()),
        IndexRecordOption::Basic,
    );
    let searcher = index.reader.searcher();
    if searcher.search(&users, &Count)? == 0 {
        let policy = &index.schema.visibility;
        return Ok(viewer.can_see(&policy.for_path(id.as_str()).terms()));
    }
    let Some(visible) = index.access_filter(viewer) else {
        return Ok(true);
    };
    let q = BooleanQuery::new(vec![
        (Occur::Must, Box::new(users) as Box<dyn Query>),
        (Occur::Must, visible),
    ]);
    Ok(searcher.search(&q, &Count)? > 0)
}

fn is_media(id: &str) -> bool {
    let lower = id.to_ascii_lowercase();
    lower
        .rsplit_once('.')
        .is_some_and(|(_, ext)| MEDIA_EXTENSIONS.contains(&ext))
}

/// Where a record's `recording` plays: an external `http(s)` address as
/// written, or a corpus media file (relative to the record) under
/// `/api/media/`. Anything else (other schemes, paths leaving the corpus)
/// is not offered as a link.
pub fn recording_url(record: &DocId, meta: &Map<String, Value>) -> Option<String> {
    let raw = meta.get("recording")?.as_str()?.trim();
    let lower = raw.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        return Some(raw.to_string());
    }
    if raw.contains(':') || !is_media(raw) {
        return None;
    }
    let id = record.join(raw)?;
    Some(format!("/api/media/{}", percent_encode_path(id.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(recording: &str) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("recording".into(), Value::String(recording.into()));
        m
    }

    #[test]
    fn recordings_resolve_inside_the_corpus_or_stay_external() {
        let id = DocId::parse("training/demo.md").unwrap();
        assert_eq!(
            recording_url(&id, &meta("media/demo 1.wav")).as_deref(),
            Some("/api/media/training/media/demo%201.wav")
        );
        assert_eq!(
            recording_url(&id, &meta("https://video.example/x")).as_deref(),
            Some("https://video.example/x")
        );
        assert_eq!(recording_url(&id, &meta("javascript:alert(1)//.mp4")), None);
        assert_eq!(recording_url(&id, &meta("../../../etc/x.mp4")), None);
        assert_eq!(recording_url(&id, &meta("notes.md")), None);
    }
}
