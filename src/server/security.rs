//! Browser-facing defences that hold for every response and every write,
//! whatever the handler did: security headers, and no writes from other
//! origins.
//!
//! baton sends no CORS headers at all, so browsers refuse other sites'
//! scripts any read of the API and any preflighted write (JSON bodies,
//! `If-Match` and `Authorization` all need a preflight). A plain cross-site
//! form post needs no preflight, though, and behind an SSO proxy it would
//! carry the user's identity; [`same_origin_writes`] refuses those.

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// Content-Security-Policy of everything that is not a page (JSON, media,
/// metrics): nothing in it may load or run anything, even if a browser is
/// tricked into rendering it as a document.
pub const DATA_CSP: &str = "default-src 'none'; frame-ancestors 'none'; sandbox";

/// Adds the headers every response carries; a handler's own (the pages'
/// CSP) win.
pub async fn headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    let defaults = [
        (header::CONTENT_SECURITY_POLICY, DATA_CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            header::HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in defaults {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    }
    response
}

/// Refuses a state-changing request whose `Origin` is another site (403).
/// Requests without `Origin` (curl, scripts, the CLI) are not from a browser
/// page and pass; they still need a token like every write.
pub async fn same_origin_writes(req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !origin_allowed(req.headers()) {
        return ApiError::Forbidden(
            "cross-origin writes are refused: send the request from baton's own pages or without an Origin header"
                .into(),
        )
        .into_response();
    }
    next.run(req).await
}

/// Whether the `Origin` header, if any, names the host the request was sent
/// to (directly, or through a proxy that passes `X-Forwarded-Host`; a
/// cross-site page cannot set that header without a preflight, which fails).
fn origin_allowed(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Some(origin_host) = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, host)| host.trim_end_matches('/'))
    else {
        // "null" (sandboxed frames, file: pages) or garbage.
        return false;
    };
    let sent_to = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(',').next().unwrap_or("").trim().to_string())
    };
    [sent_to("host"), sent_to("x-forwarded-host")]
        .into_iter()
        .flatten()
        .any(|host| !host.is_empty() && host.eq_ignore_ascii_case(origin_host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn only_the_own_origin_may_write() {
        let own = [("host", "127.0.0.1:7700")];
        assert!(origin_allowed(&headers(&own)));
        assert!(origin_allowed(&headers(&[
            own[0],
            ("origin", "http://127.0.0.1:7700")
        ])));
        assert!(!origin_allowed(&headers(&[
            own[0],
            ("origin", "http://evil.example")
        ])));
        assert!(!origin_allowed(&headers(&[
            own[0],
            ("origin", "http://127.0.0.1:7701")
        ])));
        assert!(!origin_allowed(&headers(&[own[0], ("origin", "null")])));
        assert!(origin_allowed(&headers(&[
            ("host", "10.0.0.5:7700"),
            ("x-forwarded-host", "kb.bank.example"),
            ("origin", "https://kb.bank.example"),
        ])));
    }
}
