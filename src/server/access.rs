//! Who may read: reads are open by default (an intranet knowledge base),
//! or need a reader token when `require_read_token` is set. Health,
//! readiness, metrics and the API description stay open so monitoring and
//! load balancers need no secret; the web page shell is open too (it asks
//! for the token); writes check their own, higher, roles.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::auth::Role;

/// API paths anyone may read, even when reads need a token.
const OPEN_PATHS: [&str; 3] = ["/api/health", "/api/ready", "/api/openapi.json"];

/// Middleware: a reader token on API reads when the server requires one.
pub async fn require_reader(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    if state.require_read_token && needs_token(req.method(), req.uri().path()) {
        let ip = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
        if let Err(e) = super::tags::authorize(&state, req.headers(), ip, Role::Reader) {
            return e.into_response();
        }
    }
    next.run(req).await
}

fn needs_token(method: &Method, path: &str) -> bool {
    (method == Method::GET || method == Method::HEAD)
        && path.starts_with("/api/")
        && !OPEN_PATHS.contains(&path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_reads_need_a_token_monitoring_does_not() {
        assert!(needs_token(&Method::GET, "/api/search"));
        assert!(needs_token(&Method::GET, "/api/docs/a.md"));
        assert!(needs_token(&Method::HEAD, "/api/media/a.wav"));
        assert!(!needs_token(&Method::GET, "/api/health"));
        assert!(!needs_token(&Method::GET, "/metrics"));
        assert!(!needs_token(&Method::GET, "/"));
        // Writes authorize with their own roles.
        assert!(!needs_token(&Method::PUT, "/api/docs/a.md/tags"));
    }
}
