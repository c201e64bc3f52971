//! The web UI: the files of `static/` built into the binary (no network, no
//! build step), served under `/static/<version>/...`, and the single-page
//! shell served for every page route (`/`, `/doc/{id}`, `/handovers`,
//! `/handover/{id}`, `/problems`).
//!
//! `<version>` is a hash of all the files, so an asset URL names exactly one
//! content and can be cached for a year; the shell itself is revalidated on
//! every load (ETag), which is how a new binary's assets are picked up. Pages
//! carry a strict Content-Security-Policy: scripts only from this origin, no
//! inline script, so HTML that slipped through sanitizing still cannot run.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// One embedded file: name under `static/`, content type, bytes.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

macro_rules! assets {
    ($($name:literal => $ty:expr),* $(,)?) => {
        &[$(Asset {
            name: $name,
            content_type: $ty,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/static/", $name)),
        }),*]
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file of `static/`; a file missing here is simply not served.
static ASSETS: &[Asset] = assets![
    "index.html" => "text/html; charset=utf-8",
    "app.css" => "text/css; charset=utf-8",
    "favicon.svg" => "image/svg+xml",
    "app.js" => JS,
    "api.js" => JS,
    "dom.js" => JS,
    "i18n.js" => JS,
    "search.js" => JS,
    "doc.js" => JS,
    "handover.js" => JS,
    "problems.js" => JS,
    "tags-editor.js" => JS,
];

/// Placeholder in `index.html` replaced by [`version`].
const VERSION_PLACEHOLDER: &str = "{{V}}";

/// Content-Security-Policy of pages: everything from this origin only, no
/// inline scripts or styles, no plugins, no framing.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; media-src 'self'; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// A year: asset URLs change whenever their content does.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Hash of all embedded files, the `<version>` of asset URLs.
pub fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let mut h = blake3::Hasher::new();
        for a in ASSETS {
            h.update(a.name.as_bytes());
            h.update(&(a.bytes.len() as u64).to_le_bytes());
            h.update(a.bytes);
        }
        h.finalize().to_hex()[..12].to_string()
    })
}

/// The shell with asset URLs pointing at this version.
fn shell() -> &'static str {
    static SHELL: OnceLock<String> = OnceLock::new();
    SHELL.get_or_init(|| {
        let raw = ASSETS
            .iter()
            .find(|a| a.name == "index.html")
            .map(|a| String::from_utf8_lossy(a.bytes).into_owned())
            .unwrap_or_default();
        raw.replace(VERSION_PLACEHOLDER, version())
    })
}

fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

/// A page's CSP; nosniff, framing and referrer headers are added to every
/// response by [`super::security::headers`].
fn page_headers(response: &mut Response) {
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_CSP),
    );
}

/// The single-page shell; the script reads the URL and renders the page.
pub async fn page(headers: HeaderMap) -> Response {
    let etag = format!("\"shell-{}\"", version());
    let mut response = if etag_matches(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            shell(),
        )
            .into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    page_headers(&mut response);
    response
}

/// `/static/<version>/<file>`. Another version's URL (a page loaded before an
/// upgrade) still gets the current file, but not cached for long.
pub async fn file(Path(path): Path<String>, headers: HeaderMap) -> Result<Response, ApiError> {
    let not_found = || ApiError::NotFound(format!("no static file '{path}'"));
    let (requested_version, name) = path.split_once('/').ok_or_else(not_found)?;
    let asset = ASSETS
        .iter()
        .find(|a| a.name == name && a.name != "index.html")
        .ok_or_else(not_found)?;
    let etag = format!("\"{}-{}\"", version(), asset.name);
    let cache = if requested_version == version() {
        IMMUTABLE
    } else {
        "no-cache"
    };
    let mut response = if etag_matches(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, asset.content_type)], asset.bytes).into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    Ok(response)
}

/// The search page (the query and filters live in the URL: `/?q=...&kind=...`).
#[utoipa::path(get, path = "/", params(("q" = Option<String>, Query, description = "Query shown and searched"),
        ("kind" = Option<Vec<String>>, Query, description = "Kind filters"), ("system" = Option<Vec<String>>, Query, description = "System filters"),
        ("tag" = Option<Vec<String>>, Query, description = "Tag filters"), ("sort" = Option<String>, Query, description = "relevance or updated"),
        ("page" = Option<usize>, Query, description = "1-based result page")),
    responses((status = 200, description = "The web UI (HTML)", content_type = "text/html")))]
pub async fn home(headers: HeaderMap) -> Response {
    page(headers).await
}

/// A document's page: rendered Markdown, contents, metadata, related articles.
#[utoipa::path(get, path = "/doc/{id}", params(("id" = String, Path, description = "Corpus-relative path")),
    responses((status = 200, description = "The web UI (HTML)", content_type = "text/html")))]
pub async fn doc_page(headers: HeaderMap) -> Response {
    page(headers).await
}

/// The list of handovers.
#[utoipa::path(get, path = "/handovers", responses((status = 200, description = "The web UI (HTML)", content_type = "text/html")))]
pub async fn handovers_page(headers: HeaderMap) -> Response {
    page(headers).await
}

/// One handover: people, dates, plan, and per system what to read and what is missing.
#[utoipa::path(get, path = "/handover/{id}", params(("id" = String, Path, description = "Corpus-relative path of the handover document")),
    responses((status = 200, description = "The web UI (HTML)", content_type = "text/html")))]
pub async fn handover_page(headers: HeaderMap) -> Response {
    page(headers).await
}

/// Problems recorded against corpus files.
#[utoipa::path(get, path = "/problems", responses((status = 200, description = "The web UI (HTML)", content_type = "text/html")))]
pub async fn problems_page(headers: HeaderMap) -> Response {
    page(headers).await
}

/// The favicon browsers ask for at the root.
pub async fn favicon(headers: HeaderMap) -> Result<Response, ApiError> {
    file(Path(format!("{}/favicon.svg", version())), headers).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_points_at_the_current_version_and_has_no_inline_script() {
        let s = shell();
        assert!(s.contains(&format!("/static/{}/app.js", version())));
        assert!(!s.contains(VERSION_PLACEHOLDER));
        // CSP forbids inline scripts; the shell must not need one.
        assert!(!s.contains("<script>"));
    }
}
