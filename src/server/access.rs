//! Who is asking, and what they may read.
//!
//! Every request gets a [`Caller`]: from a bearer token (its name, role and
//! teams), else from a trusted reverse proxy's user and groups headers
//! (only when the connection comes from a configured proxy address, so a
//! forged header from anywhere else is ignored), else anonymous. Handlers
//! take it as an extension and pass its [`Viewer`] into every query.
//!
//! Reads are open by default (anonymous callers see public documents), or
//! need an identity when `require_read_token` is set. Health, readiness,
//! metrics and the API description stay open so monitoring needs no
//! secret; the web page shell is open too (it asks for the token); writes
//! check their own, higher, roles.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::AppState;
use crate::audit::Entry;
use crate::auth::Role;
use crate::visibility::Viewer;

/// API paths anyone may read, even when reads need a token.
const OPEN_PATHS: [&str; 3] = ["/api/health", "/api/ready", "/api/openapi.json"];

/// Identity from a reverse proxy that authenticates users (SSO).
#[derive(Clone, Debug, Default)]
pub struct ProxyAuth {
    /// Addresses of the proxies whose headers are believed.
    pub trusted: Vec<IpAddr>,
    /// Header with the user name (e.g. `X-Forwarded-User`).
    pub user_header: String,
    /// Header with comma-separated groups, taken as teams (e.g. `X-Forwarded-Groups`).
    pub groups_header: String,
}

/// The identity of a request.
#[derive(Clone, Debug)]
pub struct Caller {
    /// What it may read.
    pub viewer: Viewer,
    /// Role, when identified by a token (proxy users are readers).
    pub role: Option<Role>,
    /// Client address.
    pub ip: IpAddr,
    /// Token name, proxy user, or `anonymous`.
    pub name: String,
}

impl Caller {
    /// An audit entry for `action` by this caller.
    pub fn entry(&self, action: &str) -> Entry {
        let mut e = Entry::new(action, &self.name);
        e.role = self.role.map(|r| format!("{r:?}").to_lowercase());
        e.client = Some(self.ip.to_string());
        e
    }
}

/// Middleware: resolves the caller, enforces `require_read_token`, and
/// audits denied attempts.
pub async fn identify(
    State(state): State<Arc<AppState>>,
    mut req: Request,
    next: Next,
) -> Response {
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
    let caller = match resolve(&state, req.method(), req.uri().path(), req.headers(), ip) {
        Ok(c) => c,
        Err(e) => {
            deny(&state, ip, req.uri().path(), &e);
            return e.into_response();
        }
    };
    let anonymous = caller.viewer == Viewer::Anonymous;
    if anonymous && state.require_read_token && needs_token(req.method(), req.uri().path()) {
        let e = ApiError::Unauthorized;
        deny(&state, ip, req.uri().path(), &e);
        return e.into_response();
    }
    req.extensions_mut().insert(caller);
    next.run(req).await
}

/// What the holder of `token` may read.
pub fn viewer_of(token: &crate::auth::StoredToken) -> Viewer {
    if token.role == Role::Admin {
        Viewer::All
    } else {
        Viewer::member(&token.name, &token.teams)
    }
}

/// The caller of a request: token, trusted proxy, or anonymous. A wrong
/// token is an error (not anonymity), so a typo is noticed.
fn resolve(
    state: &AppState,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    ip: IpAddr,
) -> Result<Caller, ApiError> {
    if headers.contains_key(axum::http::header::AUTHORIZATION) {
        let token = super::tags::authorize(state, headers, ip, Role::Reader)?;
        return Ok(Caller {
            viewer: viewer_of(&token),
            role: Some(token.role),
            ip,
            name: token.name,
        });
    }
    if let Some(secret) = media_cookie(method, path, headers) {
        let mut bearer = HeaderMap::new();
        if let Ok(v) = format!("Bearer {secret}").parse() {
            bearer.insert(axum::http::header::AUTHORIZATION, v);
        }
        let token = super::tags::authorize(state, &bearer, ip, Role::Reader)?;
        return Ok(Caller {
            viewer: viewer_of(&token),
            role: Some(token.role),
            ip,
            name: token.name,
        });
    }
    if let Some(proxy) = &state.proxy {
        if proxy.trusted.contains(&ip) {
            let header = |name: &str| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
            };
            if let Some(user) = header(&proxy.user_header) {
                let groups: Vec<String> = header(&proxy.groups_header)
                    .unwrap_or("")
                    .split(',')
                    .map(str::trim)
                    .filter(|g| !g.is_empty())
                    .map(str::to_string)
                    .collect();
                return Ok(Caller {
                    viewer: Viewer::member(user, &groups),
                    role: Some(Role::Reader),
                    ip,
                    name: user.to_string(),
                });
            }
        }
    }
    Ok(Caller {
        viewer: Viewer::Anonymous,
        role: None,
        ip,
        name: "anonymous".to_string(),
    })
}

/// The token in the `baton_token` cookie, honoured only for reading
/// recordings (`GET /api/media/...`): a media player cannot send headers,
/// and a cookie that only reads media cannot be abused across sites.
fn media_cookie<'a>(method: &Method, path: &str, headers: &'a HeaderMap) -> Option<&'a str> {
    if !(method == Method::GET || method == Method::HEAD) || !path.starts_with("/api/media/") {
        return None;
    }
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix("baton_token="))
        .filter(|s| !s.is_empty())
}

fn deny(state: &AppState, ip: IpAddr, path: &str, e: &ApiError) {
    let mut entry = Entry::new("denied", "anonymous");
    entry.client = Some(ip.to_string());
    entry.detail = Some(serde_json::json!({ "path": path, "reason": e.to_string() }));
    state.audit.record(&entry);
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
