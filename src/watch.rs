//! Following the corpus live: notify events -> debounced batches -> the writer.
//!
//! Events only say *which paths* were touched; what to do is decided by
//! looking at each path when the batch is applied: a file that exists is
//! upserted (if its content changed), a folder that exists is scanned, a path
//! that no longer exists is deleted together with everything that was under
//! it. That makes renames of files and folders, editors' atomic saves (temp
//! file + rename) and `git checkout` bursts converge to exactly the corpus,
//! whatever order the events came in. One commit per batch; a full
//! reconciliation runs periodically and whenever the event stream says it
//! lost events (queue overflow, rescan).
//!
//! Faults are survived, not fatal: a failed commit (disk full, index folder
//! deleted, read-only data folder) schedules a full reconciliation with
//! backoff until one succeeds, so no edit is forgotten; a corpus folder that
//! vanishes (renamed away, unmounted) deletes nothing from the index, is
//! reported in [`WatchStats::corpus_error`], and is watched again and
//! reconciled as soon as it is back. A check every [`CHECK_INTERVAL`]
//! notices a vanished index folder or a returning corpus even when no
//! events arrive.
//!
//! Symlinks: an edit of a file reaches the index under every id that leads
//! to it (the file's own and those through symlinks to it or to a folder
//! above it), but inotify reports only the real path. So once the corpus is
//! seen to hold a symlink, each batch lists the whole corpus exactly as a
//! reconciliation does (same loop and target rules) and re-reads every
//! document whose real path is at or under a touched path. notify itself
//! does not follow symlinks: every real folder is watched once, under its
//! real path, and removing a symlink cannot remove the watch of its target.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, MetadataKind, ModifyKind};
use notify::{EventKind, PollWatcher, RecommendedWatcher, RecursiveMode, Watcher as _};

use crate::corpus::{self, Entry, Filter};
use crate::doc_id::DocId;
use crate::document::transcript;
use crate::index::reconcile::{self, Options, Trust};
use crate::index::writer::Writer;
use crate::index::{BatonIndex, IndexError};
use crate::problem::Problem;

/// Quiet time that closes a batch: editors and `git` write several events per
/// file within a few milliseconds; 100 ms groups them without adding much lag.
pub const DEBOUNCE: Duration = Duration::from_millis(100);

/// A batch is applied at the latest this long after its first event, so a
/// steady stream of edits cannot postpone indexing (the target is < 1 s).
pub const MAX_BATCH_DELAY: Duration = Duration::from_millis(400);

/// Default safety-net reconciliation period.
pub const DEFAULT_RECONCILE_INTERVAL: Duration = Duration::from_secs(300);

/// Default polling period in poll mode: NFS/SMB attribute caches make shorter
/// periods pointless.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(2);

/// How often the watcher checks that the corpus folder and the index folder
/// are still there: two `stat`s, and a deleted index folder or a returning
/// corpus is noticed within a second even when no event says so.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// First wait before retrying after a failed commit or reconciliation;
/// doubled on each failure up to [`MAX_RETRY_BACKOFF`].
pub const FIRST_RETRY_BACKOFF: Duration = Duration::from_millis(500);

/// Longest wait between retries: a full disk freed by an operator is
/// picked up within half a minute, without retrying in a tight loop.
pub const MAX_RETRY_BACKOFF: Duration = Duration::from_secs(30);

/// Hidden paths remembered per batch when the corpus has symlinks; a burst
/// beyond this (a large `git checkout` inside `.git`) falls back to a full
/// reconciliation rather than growing without bound.
const MAX_HIDDEN_PATHS: usize = 10_000;

/// The sysctl that bounds inotify watches, named in the fallback message.
const INOTIFY_SYSCTL: &str = "fs.inotify.max_user_watches";

/// How the watcher runs.
#[derive(Clone, Debug)]
pub struct WatchOptions {
    /// Poll instead of inotify (network file systems).
    pub poll: bool,
    /// Poll period.
    pub poll_interval: Duration,
    /// Safety-net reconciliation period.
    pub reconcile_interval: Duration,
    /// Largest file read in full.
    pub max_file_bytes: u64,
    /// Which paths are documents.
    pub filter: Filter,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            poll: false,
            poll_interval: DEFAULT_POLL_INTERVAL,
            reconcile_interval: DEFAULT_RECONCILE_INTERVAL,
            max_file_bytes: crate::document::DEFAULT_MAX_FILE_BYTES,
            filter: Filter::default(),
        }
    }
}

/// Live numbers for health checks and metrics.
#[derive(Debug, Default)]
pub struct WatchStats {
    /// Unix ms of the last commit of a batch or reconciliation (0 = none yet).
    pub last_commit_ms: AtomicI64,
    /// Unix ms of the oldest change not yet searchable (0 = none pending).
    pub oldest_pending_ms: AtomicI64,
    /// File-system events received.
    pub events: AtomicU64,
    /// Batches applied.
    pub batches: AtomicU64,
    /// Full reconciliations run.
    pub reconciles: AtomicU64,
    /// Whether the watcher fell back to (or was asked for) polling.
    pub polling: std::sync::atomic::AtomicBool,
    /// Why the corpus folder cannot be followed now (missing, unreadable);
    /// `None` when it can.
    corpus_error: Mutex<Option<String>>,
    /// Files that could not be indexed (unreadable, bad path), by path.
    problems: Mutex<BTreeMap<String, Vec<Problem>>>,
}

/// Problem codes of files that have no (current) document to carry them.
fn is_file_problem(p: &Problem) -> bool {
    p.code == "unreadable" || p.code == "bad-path"
}

impl WatchStats {
    /// Problems of files that could not be indexed, by path.
    pub fn file_problems(&self) -> Vec<Problem> {
        let map = self.problems.lock().unwrap_or_else(|p| p.into_inner());
        map.values().flatten().cloned().collect()
    }

    /// Replaces every file problem (after a full reconciliation).
    pub fn set_file_problems(&self, problems: impl IntoIterator<Item = Problem>) {
        let mut map = BTreeMap::<String, Vec<Problem>>::new();
        for p in problems.into_iter().filter(is_file_problem) {
            map.entry(p.path.clone()).or_default().push(p);
        }
        *self.problems.lock().unwrap_or_else(|p| p.into_inner()) = map;
    }

    /// Why the corpus folder cannot be followed, if it cannot.
    pub fn corpus_error(&self) -> Option<String> {
        self.corpus_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn set_corpus_error(&self, root: &Path, error: Option<String>) {
        let mut current = self.corpus_error.lock().unwrap_or_else(|p| p.into_inner());
        match (&*current, &error) {
            (None, Some(e)) => {
                tracing::error!(corpus = %root.display(), error = %e, "the corpus folder is gone or unreadable; keeping the index as it is until it is back")
            }
            (Some(_), None) => tracing::info!("the corpus folder is back"),
            _ => {}
        }
        *current = error;
    }

    /// Age in ms of the oldest change not yet searchable (0 when none).
    pub fn lag_ms(&self) -> i64 {
        match self.oldest_pending_ms.load(Ordering::Relaxed) {
            0 => 0,
            t => (now_ms() - t).max(0),
        }
    }
}

/// A running watcher; dropping it stops it.
pub struct WatchHandle {
    stop: mpsc::Sender<Msg>,
    thread: Option<JoinHandle<()>>,
    /// Live numbers.
    pub stats: Arc<WatchStats>,
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        // The thread owns the notify watcher (it re-creates it when the
        // corpus folder comes back), so it is told to stop.
        let _ = self.stop.send(Msg::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Watch failures at start.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// notify could not watch the corpus, even by polling.
    #[error("cannot watch {path}: {source}")]
    Notify {
        /// The corpus folder.
        path: String,
        /// notify's error.
        source: notify::Error,
    },
    /// The index failed.
    #[error(transparent)]
    Index(#[from] IndexError),
}

type Event = notify::Result<notify::Event>;

/// What the watch thread receives.
enum Msg {
    Event(Event),
    Stop,
}

/// Starts watching `root`, applying changes through `writer`. Call after the
/// start-up reconciliation (or let the first periodic one do it).
pub fn start(
    index: BatonIndex,
    writer: Arc<Writer>,
    root: &Path,
    opts: WatchOptions,
) -> Result<WatchHandle, WatchError> {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let (tx, rx) = mpsc::channel::<Msg>();
    let stats = Arc::new(WatchStats::default());
    let watcher = open_watcher(&root, &opts, tx.clone(), &stats)?;
    let ctx = Context {
        links: Cell::new(has_symlinks(&root)),
        index,
        writer,
        root_id: root_identity(&root),
        root,
        opts,
        stats: stats.clone(),
        tx: tx.clone(),
        watcher: Some(watcher),
        retry: None,
    };
    let thread = std::thread::Builder::new()
        .name("baton-watch".into())
        .spawn(move || ctx.run(rx))
        .map_err(|e| IndexError::Io {
            path: "watch thread".into(),
            source: e,
        })?;
    Ok(WatchHandle {
        stop: tx,
        thread: Some(thread),
        stats,
    })
}

fn open_watcher(
    root: &Path,
    opts: &WatchOptions,
    tx: mpsc::Sender<Msg>,
    stats: &WatchStats,
) -> Result<Box<dyn notify::Watcher + Send>, WatchError> {
    let err = |source| WatchError::Notify {
        path: root.display().to_string(),
        source,
    };
    if !opts.poll {
        let native_tx = tx.clone();
        let native = RecommendedWatcher::new(
            move |e| drop(native_tx.send(Msg::Event(e))),
            notify::Config::default().with_follow_symlinks(false),
        );
        match native.and_then(|mut w| w.watch(root, RecursiveMode::Recursive).map(|_| w)) {
            Ok(w) => return Ok(Box::new(w)),
            Err(e) => tracing::warn!("{}", fallback_message(&e, opts.poll_interval)),
        }
    }
    stats.polling.store(true, Ordering::Relaxed);
    let config = notify::Config::default()
        .with_poll_interval(opts.poll_interval)
        .with_follow_symlinks(false);
    let mut poller =
        PollWatcher::new(move |e| drop(tx.send(Msg::Event(e))), config).map_err(err)?;
    poller.watch(root, RecursiveMode::Recursive).map_err(err)?;
    Ok(Box::new(poller))
}

/// Why native watching failed and what to do, for the log.
fn fallback_message(e: &notify::Error, poll_interval: Duration) -> String {
    match e.kind {
        notify::ErrorKind::MaxFilesWatch => format!(
            "inotify watch limit reached; falling back to polling every {poll_interval:?}. \
             Raise the limit with: sudo sysctl {INOTIFY_SYSCTL}=524288 \
             (persist it in /etc/sysctl.d/), then restart baton"
        ),
        _ => format!(
            "native file watching failed ({e}); falling back to polling every {poll_interval:?}"
        ),
    }
}

struct Context {
    index: BatonIndex,
    writer: Arc<Writer>,
    root: PathBuf,
    opts: WatchOptions,
    stats: Arc<WatchStats>,
    /// For making a new notify watcher when the corpus folder comes back.
    tx: mpsc::Sender<Msg>,
    watcher: Option<Box<dyn notify::Watcher + Send>>,
    /// Device and inode of the corpus folder being watched: a folder
    /// deleted and re-created at the same path is a new one, unwatched.
    root_id: Option<(u64, u64)>,
    /// When to retry after a failure, and the wait after that.
    retry: Option<(Instant, Duration)>,
    /// Whether the corpus has held a symlink (checked at start and at each
    /// full reconciliation, set as soon as a batch touches one).
    links: Cell<bool>,
}

/// Paths touched in one batch, and whether events were lost.
#[derive(Default)]
struct Batch {
    paths: HashSet<PathBuf>,
    /// Hidden or ignored paths touched: no document has these ids, but a
    /// symlink elsewhere may lead to them.
    hidden: HashSet<PathBuf>,
    rescan: bool,
    /// An event concerned the corpus folder itself (moved, deleted).
    root: bool,
    first_event: Option<Instant>,
}

/// Device and inode of a folder.
fn root_identity(root: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(root).ok().map(|m| (m.dev(), m.ino()))
}

impl Context {
    fn run(mut self, rx: Receiver<Msg>) {
        let mut next_reconcile = Instant::now() + self.opts.reconcile_interval;
        let mut next_check = Instant::now() + CHECK_INTERVAL;
        if self.writer.status().error().is_some() {
            // The start-up reconciliation could not commit: retry it.
            self.failed();
        }
        loop {
            let mut due = next_reconcile.min(next_check);
            if let Some((at, _)) = self.retry {
                due = due.min(at);
            }
            let mut batch = Batch::default();
            match rx.recv_timeout(due.saturating_duration_since(Instant::now())) {
                Ok(Msg::Event(event)) => self.add(&mut batch, event),
                Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                Err(RecvTimeoutError::Timeout) => {
                    let now = Instant::now();
                    if now >= next_check {
                        next_check = now + CHECK_INTERVAL;
                        self.check();
                    }
                    if self.retry.is_some_and(|(at, _)| now >= at) {
                        self.full_reconcile("retrying after a failure");
                    }
                    if now >= next_reconcile {
                        self.full_reconcile("periodic");
                        next_reconcile = Instant::now() + self.opts.reconcile_interval;
                    }
                    continue;
                }
            }
            let open = self.collect(&rx, &mut batch);
            if batch.root {
                self.check();
            }
            if batch.rescan {
                self.full_reconcile("watcher reported lost events");
                next_reconcile = Instant::now() + self.opts.reconcile_interval;
            } else if !batch.paths.is_empty() || !batch.hidden.is_empty() {
                self.apply(&batch);
            }
            self.stats.oldest_pending_ms.store(0, Ordering::Relaxed);
            if !open {
                return;
            }
        }
    }

    /// Gathers events until [`DEBOUNCE`] passes quietly or the batch is
    /// [`MAX_BATCH_DELAY`] old. Returns false when the channel closed.
    fn collect(&self, rx: &Receiver<Msg>, batch: &mut Batch) -> bool {
        let started = Instant::now();
        loop {
            let left = MAX_BATCH_DELAY.saturating_sub(started.elapsed());
            if left.is_zero() {
                return true;
            }
            match rx.recv_timeout(DEBOUNCE.min(left)) {
                Ok(Msg::Event(event)) => self.add(batch, event),
                Err(RecvTimeoutError::Timeout) => return true,
                Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => return false,
            }
        }
    }

    fn add(&self, batch: &mut Batch, event: Event) {
        self.stats.events.fetch_add(1, Ordering::Relaxed);
        if batch.first_event.is_none() {
            batch.first_event = Some(Instant::now());
            let _ = self.stats.oldest_pending_ms.compare_exchange(
                0,
                now_ms(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        }
        match event {
            Ok(event) => {
                if event.need_rescan() {
                    batch.rescan = true;
                }
                if !changes_content(&event.kind) {
                    return;
                }
                for path in event.paths {
                    if path == self.root {
                        batch.root = true;
                    } else if self.relevant(&path) {
                        batch.paths.insert(path);
                    } else if self.links.get() && batch.hidden.len() < MAX_HIDDEN_PATHS {
                        batch.hidden.insert(path);
                    } else if self.links.get() {
                        batch.rescan = true;
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "file watcher error; scheduling a full reconciliation");
                batch.rescan = true;
            }
        }
    }

    /// Skips hidden paths and ignored patterns early; anything else may be a
    /// document or a folder holding documents.
    fn relevant(&self, path: &Path) -> bool {
        let Ok(rel) = path.strip_prefix(&self.root) else {
            return false;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        !rel.split('/').any(Filter::skips_name) && !self.opts.filter.ignores(&rel)
    }

    fn apply(&mut self, batch: &Batch) {
        let _span = tracing::info_span!("batch", paths = batch.paths.len()).entered();
        if let Err(why) = corpus::root_available(&self.root) {
            // Events of a corpus folder being removed: deleting their
            // documents would empty the index for what is most likely a
            // mistake. The check brings everything back when it returns.
            self.stats.set_corpus_error(&self.root, Some(why));
            return;
        }
        if self.retry.is_some() || self.writer.status().needs_refill() {
            // A full reconciliation is owed anyway and covers this batch.
            self.full_reconcile("an earlier commit failed");
            return;
        }
        if !self.links.get() && batch.paths.iter().any(|p| touches_symlink(p)) {
            self.links.set(true);
        }
        let result = self.index.state().and_then(|state| {
            let opts = Options {
                max_file_bytes: self.opts.max_file_bytes,
                progress: &|_, _| {},
            };
            let (entries, deletes, state, trust) = if self.links.get() {
                let touched = batch.paths.iter().chain(&batch.hidden);
                let (entries, deletes, state, affected) = self.plan_with_links(touched, state);
                if batch.paths.is_empty() && !affected {
                    // Only hidden paths (`.git`, editor temp files) that no
                    // symlink leads to: nothing to commit.
                    return Ok(reconcile::Report::default());
                }
                (entries, deletes, state, Trust::SizeAndMtime)
            } else {
                let (entries, deletes) = self.plan(&batch.paths, &state);
                (entries, deletes, state, Trust::ContentOnly)
            };
            reconcile::apply(
                &self.index,
                &self.writer,
                &self.root,
                &entries,
                &deletes,
                &state,
                trust,
                &opts,
            )
        });
        match result {
            Ok(report) => {
                self.committed();
                let lag = batch
                    .first_event
                    .map(|t| t.elapsed().as_millis() as u64)
                    .unwrap_or(0);
                tracing::info!(
                    indexed = report.indexed,
                    deleted = report.deleted,
                    unchanged = report.unchanged,
                    lag_ms = lag,
                    "batch applied"
                );
                for p in &report.problems {
                    tracing::warn!(problem = %p, "problem");
                }
                self.update_file_problems(batch, report.problems);
            }
            Err(e) => {
                tracing::error!(error = %e, "applying a batch failed; running a full reconciliation");
                self.full_reconcile("batch failed");
            }
        }
    }

    /// Decides, from the file system as it is now, what each touched path means.
    fn plan(
        &self,
        paths: &HashSet<PathBuf>,
        state: &HashMap<DocId, crate::index::StoredState>,
    ) -> (Vec<Entry>, Vec<DocId>) {
        let mut entries: HashMap<DocId, Entry> = HashMap::new();
        let mut deletes = Vec::new();
        for path in paths {
            let Ok(id) = DocId::from_path(&self.root, path) else {
                continue;
            };
            match std::fs::metadata(path) {
                Ok(m) if m.is_dir() => {
                    let (found, _) = corpus::list_under(&self.root, path, &self.opts.filter);
                    let present: HashSet<&DocId> = found.iter().map(|e| &e.id).collect();
                    deletes.extend(under(state, &id).filter(|d| !present.contains(d)).cloned());
                    entries.extend(found.into_iter().map(|e| (e.id.clone(), e)));
                }
                Ok(_) if transcript::is_transcript(id.as_str()) => {
                    entries.extend(self.records_using(&id, state));
                }
                Ok(_) => match corpus::entry_for(&self.root, &id, &self.opts.filter) {
                    Some(entry) => {
                        entries.insert(id, entry);
                    }
                    None => deletes.push(id),
                },
                Err(_) if transcript::is_transcript(id.as_str()) => {
                    entries.extend(self.records_using(&id, state));
                }
                Err(_) => {
                    deletes.extend(under(state, &id).cloned());
                    deletes.push(id);
                }
            }
        }
        deletes.retain(|d| !entries.contains_key(d));
        (entries.into_values().collect(), deletes)
    }

    /// With symlinks in the corpus: the whole listing (so ids through links
    /// and loops are decided exactly as a reconciliation decides them), the
    /// indexed ids no longer listed, and the index state without the entries
    /// whose real file is at or under a touched path, so those are re-read
    /// whatever their size and mtime.
    /// The last value says whether a touched path matters to any document
    /// (a re-read, a delete or a new id).
    fn plan_with_links<'a>(
        &self,
        paths: impl Iterator<Item = &'a PathBuf>,
        mut state: HashMap<DocId, crate::index::StoredState>,
    ) -> (
        Vec<Entry>,
        Vec<DocId>,
        HashMap<DocId, crate::index::StoredState>,
        bool,
    ) {
        let (entries, _) = corpus::list_under(&self.root, &self.root, &self.opts.filter);
        let present: HashSet<&DocId> = entries.iter().map(|e| &e.id).collect();
        let deletes: Vec<DocId> = state
            .keys()
            .filter(|id| !present.contains(id))
            .cloned()
            .collect();
        let touched: Vec<PathBuf> = paths.filter_map(|p| real_path(p)).collect();
        let mut affected = !deletes.is_empty();
        for e in &entries {
            if !state.contains_key(&e.id) {
                affected = true;
            } else if real_path(&e.path).is_some_and(|r| touched.iter().any(|t| r.starts_with(t))) {
                state.remove(&e.id);
                affected = true;
            }
        }
        (entries, deletes, state, affected)
    }

    /// The records whose index entry depends on the transcript `id`: those
    /// that used it when indexed, and a record with the same stem beside it
    /// (which picks up a new transcript).
    fn records_using(
        &self,
        id: &DocId,
        state: &HashMap<DocId, crate::index::StoredState>,
    ) -> Vec<(DocId, Entry)> {
        let stem = match id.folder() {
            "" => id.stem().to_string(),
            folder => format!("{folder}/{}", id.stem()),
        };
        let siblings = ["md", "markdown"]
            .iter()
            .filter_map(|ext| DocId::parse(&format!("{stem}.{ext}")).ok());
        let users = state
            .iter()
            .filter(|(_, s)| s.transcript.as_deref() == Some(id.as_str()))
            .map(|(d, _)| d.clone());
        siblings
            .chain(users)
            .filter_map(|d| corpus::entry_for(&self.root, &d, &self.opts.filter))
            .map(|e| (e.id.clone(), e))
            .collect()
    }

    /// Replaces the file problems of the batch's paths (and of what is
    /// under them) with the ones this batch found.
    fn update_file_problems(&self, batch: &Batch, found: Vec<Problem>) {
        let rels: Vec<String> = batch
            .paths
            .iter()
            .filter_map(|p| p.strip_prefix(&self.root).ok())
            .map(|r| r.to_string_lossy().replace('\\', "/"))
            .collect();
        let mut map = self
            .stats
            .problems
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        map.retain(|path, _| {
            !rels
                .iter()
                .any(|r| path == r || path.starts_with(&format!("{r}/")))
        });
        for p in found.into_iter().filter(is_file_problem) {
            map.entry(p.path.clone()).or_default().push(p);
        }
        // A document replaced by a link to nothing is not a deletion the
        // author meant; say so (as a full reconciliation's listing does).
        for (path, rel) in batch.paths.iter().zip(&rels) {
            let dangling = path.symlink_metadata().is_ok() && std::fs::metadata(path).is_err();
            if dangling && self.opts.filter.is_document(rel) {
                map.entry(rel.clone()).or_default().push(Problem::warning(
                    rel,
                    None,
                    "unreadable",
                    "symbolic link to a file that does not exist",
                ));
            }
        }
    }

    /// Whether the corpus folder and the index folder are still there;
    /// watches the corpus again (and reconciles) when its folder came back.
    fn check(&mut self) {
        match corpus::root_available(&self.root) {
            Err(why) => self.stats.set_corpus_error(&self.root, Some(why)),
            Ok(()) => {
                let id = root_identity(&self.root);
                if self.stats.corpus_error().is_some() || id != self.root_id {
                    self.rewatch();
                    self.full_reconcile("the corpus folder is back");
                }
            }
        }
        if !self.index.on_disk() && self.retry.is_none() {
            self.full_reconcile("the index folder is missing");
        }
    }

    /// A new notify watcher on the corpus folder as it is now: inotify's
    /// watches died with the old folder.
    fn rewatch(&mut self) {
        drop(self.watcher.take());
        match open_watcher(&self.root, &self.opts, self.tx.clone(), &self.stats) {
            Ok(w) => {
                self.watcher = Some(w);
                self.root_id = root_identity(&self.root);
                self.stats.set_corpus_error(&self.root, None);
                tracing::info!(corpus = %self.root.display(), "watching the corpus folder again");
            }
            Err(e) => self.stats.set_corpus_error(&self.root, Some(e.to_string())),
        }
    }

    /// Schedules a full reconciliation after the current backoff.
    fn failed(&mut self) {
        let wait = match self.retry {
            None => FIRST_RETRY_BACKOFF,
            Some((_, last)) => (last * 2).min(MAX_RETRY_BACKOFF),
        };
        tracing::warn!(
            retry_in_ms = wait.as_millis() as u64,
            "will retry a full reconciliation"
        );
        self.retry = Some((Instant::now() + wait, wait));
    }

    fn full_reconcile(&mut self, why: &str) {
        tracing::info!(reason = why, "full reconciliation");
        let opts = Options {
            max_file_bytes: self.opts.max_file_bytes,
            progress: &|_, _| {},
        };
        match reconcile::reconcile_filtered(
            &self.index,
            &self.writer,
            &self.root,
            &self.opts.filter,
            &opts,
        ) {
            Ok(report) => {
                self.links.set(has_symlinks(&self.root));
                self.stats.reconciles.fetch_add(1, Ordering::Relaxed);
                self.stats.set_file_problems(report.problems);
                self.stats.set_corpus_error(&self.root, None);
                if self.retry.take().is_some() {
                    tracing::info!("recovered: the index matches the corpus again");
                }
                self.committed();
            }
            Err(IndexError::CorpusUnavailable(e)) => {
                self.stats.set_corpus_error(&self.root, Some(e))
            }
            Err(e) => {
                tracing::error!(error = %e, "reconciliation failed");
                self.failed();
            }
        }
    }

    fn committed(&self) {
        self.stats.batches.fetch_add(1, Ordering::Relaxed);
        self.stats.last_commit_ms.store(now_ms(), Ordering::Relaxed);
    }
}

/// Opening and reading files (our own reads included) is not a change; only
/// writes, creations, removals and renames are. Treating reads as changes
/// would make every batch trigger the next one.
fn changes_content(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)) => false,
        _ => true,
    }
}

/// Whether a visible part of the tree under `dir` holds a symlink.
fn has_symlinks(dir: &Path) -> bool {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !Filter::skips_name(&e.file_name().to_string_lossy()))
        .filter_map(Result::ok)
        .any(|e| e.path_is_symlink())
}

/// Whether `path` is a symlink or a folder holding one (a folder moved in).
fn touches_symlink(path: &Path) -> bool {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => true,
        Ok(m) if m.is_dir() => has_symlinks(path),
        _ => false,
    }
}

/// Where `path` really is: symlinks resolved, or for a path that no longer
/// exists, its folder resolved.
fn real_path(path: &Path) -> Option<PathBuf> {
    path.canonicalize().ok().or_else(|| {
        let parent = path.parent()?.canonicalize().ok()?;
        Some(parent.join(path.file_name()?))
    })
}

/// Indexed ids inside the folder `dir` (not `dir` itself).
fn under<'a>(
    state: &'a HashMap<DocId, crate::index::StoredState>,
    dir: &DocId,
) -> impl Iterator<Item = &'a DocId> {
    let prefix = format!("{}/", dir.as_str());
    state
        .keys()
        .filter(move |id| id.as_str().starts_with(&prefix))
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watch_limit_message_names_the_sysctl() {
        let e = notify::Error::new(notify::ErrorKind::MaxFilesWatch);
        let msg = fallback_message(&e, Duration::from_secs(2));
        assert!(msg.contains("fs.inotify.max_user_watches"), "{msg}");
        assert!(msg.contains("polling"), "{msg}");
    }

    #[test]
    fn reads_are_not_changes() {
        assert!(!changes_content(&EventKind::Access(AccessKind::Open(
            notify::event::AccessMode::Any
        ))));
        assert!(!changes_content(&EventKind::Access(AccessKind::Close(
            AccessMode::Read
        ))));
        assert!(changes_content(&EventKind::Access(AccessKind::Close(
            AccessMode::Write
        ))));
        assert!(changes_content(&EventKind::Remove(
            notify::event::RemoveKind::Folder
        )));
    }
}
