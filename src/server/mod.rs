//! `baton serve`: the HTTP API of DESIGN.md over the index, with the watcher
//! keeping the index live.
//!
//! Start-up binds the port first and serves while the first reconciliation
//! runs (`/api/ready` says when it is done), then starts the watcher. Every
//! request gets a request id (echoed as `X-Request-Id`), a tracing span, a
//! timeout and a body limit, and is counted in `/metrics`. SIGTERM or SIGINT
//! stop accepting, finish in-flight requests, stop the watcher and let the
//! writer commit before exiting.

pub mod access;
pub mod api;
pub mod assets;
pub mod audit;
pub mod cpu_pool;
pub mod error;
pub mod handovers;
pub mod media;
pub mod metrics;
pub mod openapi;
pub mod params;
pub mod security;
pub mod tags;
pub mod write;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

use crate::corpus::Filter;
use crate::index::reconcile::{self, Options};
use crate::index::writer::Writer;
use crate::index::{BatonIndex, IndexError};
use crate::problem::Problem;
use crate::schema::Schema;
use crate::search::suggest::Suggester;
use crate::visibility::Viewer;
use crate::watch::{self, WatchHandle, WatchOptions};
use error::ApiError;
use metrics::{Gauges, Metrics};

/// Longest a request may take before it is answered with a timeout error;
/// searches take milliseconds, so 10 s means something is wrong.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest request body accepted: the API's bodies (tags, confirmations,
/// feedback) are small JSON documents.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Header carrying the request id.
const REQUEST_ID: &str = "x-request-id";

/// Everything `serve` needs.
#[derive(Clone)]
pub struct Settings {
    /// Corpus folder.
    pub corpus: PathBuf,
    /// Data folder.
    pub data: PathBuf,
    /// The schema.
    pub schema: Schema,
    /// Address to listen on.
    pub addr: String,
    /// Watcher settings (also carries the corpus filter and file size limit).
    pub watch: WatchOptions,
    /// API reads need a reader token (writes always need their role's).
    pub require_read_token: bool,
    /// Identity from a trusted reverse proxy, if configured.
    pub proxy: Option<access::ProxyAuth>,
    /// Search responses kept per index generation (0: no cache).
    pub search_cache_entries: usize,
}

/// Serve failures.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// The index could not be opened.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// The runtime or server failed.
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}

/// State shared by all handlers.
pub struct AppState {
    /// The index (its reader is reloaded by the writer after each commit).
    pub index: BatonIndex,
    /// The single writer.
    pub writer: Arc<Writer>,
    /// Corpus folder (canonical).
    pub corpus: PathBuf,
    /// Data folder (index, tokens, audit log).
    pub data: PathBuf,
    /// Which corpus paths are documents.
    pub filter: Filter,
    /// Largest file read in full.
    pub max_file_bytes: u64,
    /// Set when the first reconciliation is done.
    pub ready: AtomicBool,
    /// Unix ms of the start-up reconciliation's commit.
    start_commit_ms: AtomicI64,
    /// Listing problems of the last full reconciliation (not tied to a document).
    listing_problems: Mutex<Vec<Problem>>,
    watcher: Mutex<Option<WatchHandle>>,
    /// Request metrics.
    pub metrics: Metrics,
    /// Search-as-you-type candidates.
    pub suggester: Suggester,
    next_request: AtomicU64,
    /// API tokens (reloaded at start).
    pub tokens: std::sync::RwLock<crate::auth::TokenStore>,
    /// Recent authentication failures per address.
    pub failures: tags::Failures,
    /// API reads need a reader token.
    pub require_read_token: bool,
    /// Identity from a trusted reverse proxy.
    pub proxy: Option<access::ProxyAuth>,
    /// Searches, opens, denials and writes.
    pub audit: crate::audit::AuditLog,
    /// Recent search responses of the current index generation.
    pub search_cache: crate::search::cache::SearchCache,
}

impl AppState {
    /// Problems of indexed documents plus listing problems.
    pub fn all_problems(&self) -> Result<Vec<Problem>, ApiError> {
        self.problems_for(&Viewer::All)
    }

    /// The problems `viewer` may see: those of documents it may read, and
    /// listing problems of paths it could read.
    pub fn problems_for(&self, viewer: &Viewer) -> Result<Vec<Problem>, ApiError> {
        let mut problems = self.index.problems_for(viewer)?;
        let policy = &self.index.schema.visibility;
        // Once the watcher runs it keeps the file problems current.
        let files = match self.watch_stats() {
            Some(stats) => stats.file_problems(),
            None => self
                .listing_problems
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        };
        problems.extend(
            files
                .into_iter()
                .filter(|p| viewer.can_see(&policy.for_path(&p.path).terms())),
        );
        Ok(problems)
    }

    /// Why the index cannot be written now (disk full, read-only, folder
    /// deleted), if it cannot; searches keep answering from what it holds.
    pub fn index_error(&self) -> Option<String> {
        self.writer.status().error()
    }

    /// Why the corpus folder cannot be followed now, if it cannot.
    pub fn corpus_error(&self) -> Option<String> {
        self.watch_stats().and_then(|s| s.corpus_error())
    }

    fn watch_stats(&self) -> Option<Arc<watch::WatchStats>> {
        self.watcher
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|w| w.stats.clone())
    }

    /// Time of the last commit, if any.
    pub fn last_commit(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let watched = self
            .watch_stats()
            .map(|s| s.last_commit_ms.load(Ordering::Relaxed))
            .unwrap_or(0);
        let ms = watched.max(self.start_commit_ms.load(Ordering::Relaxed));
        (ms > 0)
            .then(|| chrono::DateTime::from_timestamp_millis(ms))
            .flatten()
    }

    /// Age of the oldest change not yet searchable, ms.
    pub fn lag_ms(&self) -> i64 {
        self.watch_stats().map(|s| s.lag_ms()).unwrap_or(0)
    }

    fn render_metrics(&self) -> Result<String, ApiError> {
        let stats = self.watch_stats();
        let load = |f: fn(&watch::WatchStats) -> u64| stats.as_ref().map(|s| f(s)).unwrap_or(0);
        let gauges = Gauges {
            documents: self.index.num_docs(),
            segments: self.index.num_segments() as u64,
            problems: self.all_problems()?.len() as u64,
            commits: load(|s| s.batches.load(Ordering::Relaxed))
                + u64::from(self.ready.load(Ordering::Relaxed)),
            commit_lag_seconds: self.lag_ms() as f64 / 1000.0,
            watcher_events: load(|s| s.events.load(Ordering::Relaxed)),
            ready: self.ready.load(Ordering::Relaxed),
            index_writable: self.index_error().is_none(),
            corpus_available: self.corpus_error().is_none(),
            commit_failures: self.writer.status().failures(),
        };
        Ok(self.metrics.render(&gauges))
    }
}

/// The API router over `state`.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(assets::home))
        .route("/doc/{*id}", get(assets::doc_page))
        .route("/handovers", get(assets::handovers_page))
        .route("/handover/{*id}", get(assets::handover_page))
        .route("/problems", get(assets::problems_page))
        .route("/static/{*path}", get(assets::file))
        .route("/favicon.ico", get(assets::favicon))
        .route("/api/kinds", get(api::kinds))
        .route("/api/search", get(api::search))
        .route("/api/suggest", get(api::suggest))
        .route("/api/docs/{*id}", get(api::doc_route).put(tags::put_tags))
        .route("/api/tags", get(tags::vocabulary))
        .route("/api/media/{*path}", get(media::media))
        .route("/api/audit", get(audit::audit_log))
        .route("/api/handovers", get(handovers::list))
        .route("/api/handovers/{*id}", get(handovers::detail).post(handovers::post_route))
        .route("/api/feedback", axum::routing::post(handovers::feedback))
        .route("/api/problems", get(api::problems))
        .route("/api/health", get(api::health))
        .route("/api/ready", get(api::ready))
        .route("/api/openapi.json", get(openapi::spec))
        .route("/metrics", get(api::metrics))
        .fallback(api::fallback)
        .layer(middleware::from_fn_with_state(state.clone(), access::identify))
        .layer(middleware::from_fn(security::same_origin_writes))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(|_| ApiError::internal("handler panicked").into_response()))
        .layer(middleware::from_fn(security::headers))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.parse().expect("valid header name")))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path())
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID.parse().expect("valid header name"), Ids(state.clone())))
        .with_state(state)
}

/// Request ids: a per-process counter, unless the client sent one.
#[derive(Clone)]
struct Ids(Arc<AppState>);

impl MakeRequestId for Ids {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.0.next_request.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("baton-{}-{n}", std::process::id()))
            .ok()
            .map(RequestId::new)
    }
}

/// Times out slow requests and records metrics per route and status.
async fn observe(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let started = Instant::now();
    let response = match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(r) => r,
        Err(_) => ApiError::Timeout.into_response(),
    };
    state
        .metrics
        .observe(&route, response.status().as_u16(), started.elapsed());
    response
}

/// A server running on a background thread (tests, embedding).
pub struct Server {
    /// The bound address (port 0 resolved).
    pub addr: SocketAddr,
    /// The shared state, for inspection.
    pub state: Arc<AppState>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Opens the index, binds `settings.addr` and serves on a background thread.
    pub fn start(settings: Settings) -> Result<Server, ServeError> {
        let listener =
            std::net::TcpListener::bind(&settings.addr).map_err(|source| ServeError::Bind {
                addr: settings.addr.clone(),
                source,
            })?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let state = build_state(&settings)?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let runtime = http_runtime()?;
        let serve_state = state.clone();
        let thread = std::thread::Builder::new()
            .name("baton-http".into())
            .spawn(move || {
                runtime.block_on(async move {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => serve(l, serve_state, settings, async { drop(rx.await) }).await,
                        Err(e) => tracing::error!(error = %e, "cannot use listener"),
                    }
                })
            })?;
        Ok(Server {
            addr,
            state,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// Stops gracefully and waits.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

/// Serves until SIGTERM or SIGINT (the `baton serve` command).
pub fn run_until_signal(settings: Settings) -> Result<(), ServeError> {
    let runtime = http_runtime()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&settings.addr)
            .await
            .map_err(|source| ServeError::Bind { addr: settings.addr.clone(), source })?;
        let state = build_state(&settings)?;
        tracing::info!(addr = %listener.local_addr()?, corpus = %settings.corpus.display(), "serving");
        eprintln!("baton serving {} on http://{}", settings.corpus.display(), listener.local_addr()?);
        serve(listener, state, settings, shutdown_signal()).await;
        Ok(())
    })
}

/// The runtime for connections, routing and responses: half the cores.
/// Searches and other CPU work run on the CPU pool, one worker per core, so
/// the runtime's threads only parse, route and write; with as many of them
/// as cores, an idle one was woken to steal work at every request. On 2
/// cores, 1 thread served 3-7 % more searches per second than 2 at 8
/// connections, and cached answers at a lower p99 (`benches/load.sh`).
fn http_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads((cpu_pool::cores() / 2).max(1))
        .enable_all()
        .build()
}

fn build_state(settings: &Settings) -> Result<Arc<AppState>, ServeError> {
    let index = BatonIndex::open(&settings.data, &settings.schema, false)?;
    let writer = Arc::new(Writer::start(&index)?);
    let corpus = settings
        .corpus
        .canonicalize()
        .unwrap_or_else(|_| settings.corpus.clone());
    Ok(Arc::new(AppState {
        index,
        writer,
        corpus,
        data: settings.data.clone(),
        filter: settings.watch.filter.clone(),
        max_file_bytes: settings.watch.max_file_bytes,
        ready: AtomicBool::new(false),
        start_commit_ms: AtomicI64::new(0),
        listing_problems: Mutex::new(Vec::new()),
        watcher: Mutex::new(None),
        metrics: Metrics::default(),
        suggester: Suggester::default(),
        next_request: AtomicU64::new(0),
        tokens: std::sync::RwLock::new(
            crate::auth::TokenStore::load(&settings.data)
                .map_err(|e| ServeError::Io(std::io::Error::other(e.to_string())))?,
        ),
        failures: tags::Failures::default(),
        require_read_token: settings.require_read_token,
        proxy: settings.proxy.clone(),
        audit: crate::audit::AuditLog::new(&settings.data, crate::audit::DEFAULT_ROTATE_BYTES),
        search_cache: crate::search::cache::SearchCache::new(settings.search_cache_entries),
    }))
}

async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    settings: Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let startup = tokio::task::spawn_blocking({
        let state = state.clone();
        move || start_up(&state, settings)
    });
    // Client addresses let repeated authentication failures be slowed down.
    let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
    {
        tracing::error!(error = %e, "server error");
    }
    // In-flight requests are done; stop following the corpus, then let the
    // writer commit what it has.
    let _ = startup.await;
    drop(
        state
            .watcher
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take(),
    );
    if let Err(e) = state.writer.commit() {
        tracing::warn!(error = %e, "final commit failed");
    }
    tracing::info!("stopped");
}

/// The first reconciliation, then the watcher. Runs while requests are served.
fn start_up(state: &AppState, settings: Settings) {
    crate::write_back::remove_stale_temp_files(&state.corpus);
    let opts = Options {
        max_file_bytes: settings.watch.max_file_bytes,
        progress: &|_, _| {},
    };
    match reconcile::reconcile_filtered(
        &state.index,
        &state.writer,
        &state.corpus,
        &state.filter,
        &opts,
    ) {
        Ok(report) => {
            let listing: Vec<Problem> = report
                .problems
                .into_iter()
                .filter(|p| p.code == "unreadable" || p.code == "bad-path")
                .collect();
            *state
                .listing_problems
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = listing;
            state
                .start_commit_ms
                .store(chrono::Utc::now().timestamp_millis(), Ordering::Relaxed);
        }
        Err(e) => {
            tracing::error!(error = %e, "start-up reconciliation failed; the watcher's periodic one will retry")
        }
    }
    match watch::start(
        state.index.clone(),
        state.writer.clone(),
        &state.corpus,
        settings.watch,
    ) {
        Ok(handle) => {
            handle.stats.set_file_problems(
                state
                    .listing_problems
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone(),
            );
            *state.watcher.lock().unwrap_or_else(|p| p.into_inner()) = Some(handle)
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot watch the corpus; changes are picked up only on restart")
        }
    }
    state.ready.store(true, Ordering::Relaxed);
    tracing::info!(docs = state.index.num_docs(), "ready");
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
