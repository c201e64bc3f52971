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
//! Symlinks: an edit of a file reaches the index under every id that leads
//! to it (the file's own and those through symlinks to it or to a folder
//! above it), but inotify reports only the real path. So once the corpus is
//! seen to hold a symlink, each batch lists the whole corpus exactly as a
//! reconciliation does (same loop and target rules) and re-reads every
//! document whose real path is at or under a touched path. notify itself
//! does not follow symlinks: every real folder is watched once, under its
//! real path, and removing a symlink cannot remove the watch of its target.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::Arc;
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
}

impl WatchStats {
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
    watcher: Option<Box<dyn notify::Watcher + Send>>,
    thread: Option<JoinHandle<()>>,
    /// Live numbers.
    pub stats: Arc<WatchStats>,
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        // Dropping the notify watcher closes the event channel, which ends the thread.
        drop(self.watcher.take());
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

/// Starts watching `root`, applying changes through `writer`. Call after the
/// start-up reconciliation (or let the first periodic one do it).
pub fn start(
    index: BatonIndex,
    writer: Arc<Writer>,
    root: &Path,
    opts: WatchOptions,
) -> Result<WatchHandle, WatchError> {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let (tx, rx) = mpsc::channel::<Event>();
    let stats = Arc::new(WatchStats::default());
    let watcher = open_watcher(&root, &opts, tx, &stats)?;
    let ctx = Context {
        links: Cell::new(has_symlinks(&root)),
        index,
        writer,
        root,
        opts,
        stats: stats.clone(),
    };
    let thread = std::thread::Builder::new()
        .name("baton-watch".into())
        .spawn(move || ctx.run(rx))
        .map_err(|e| IndexError::Io {
            path: "watch thread".into(),
            source: e,
        })?;
    Ok(WatchHandle {
        watcher: Some(watcher),
        thread: Some(thread),
        stats,
    })
}

fn open_watcher(
    root: &Path,
    opts: &WatchOptions,
    tx: mpsc::Sender<Event>,
    stats: &WatchStats,
) -> Result<Box<dyn notify::Watcher + Send>, WatchError> {
    let err = |source| WatchError::Notify {
        path: root.display().to_string(),
        source,
    };
    if !opts.poll {
        let native_tx = tx.clone();
        let native = RecommendedWatcher::new(
            move |e| drop(native_tx.send(e)),
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
    let mut poller = PollWatcher::new(move |e| drop(tx.send(e)), config).map_err(err)?;
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
    first_event: Option<Instant>,
}

impl Context {
    fn run(self, rx: Receiver<Event>) {
        let mut next_reconcile = Instant::now() + self.opts.reconcile_interval;
        loop {
            let wait = next_reconcile.saturating_duration_since(Instant::now());
            let mut batch = Batch::default();
            match rx.recv_timeout(wait) {
                Ok(event) => self.add(&mut batch, event),
                Err(RecvTimeoutError::Timeout) => {
                    self.full_reconcile("periodic");
                    next_reconcile = Instant::now() + self.opts.reconcile_interval;
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => return,
            }
            let open = self.collect(&rx, &mut batch);
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
    fn collect(&self, rx: &Receiver<Event>, batch: &mut Batch) -> bool {
        let started = Instant::now();
        loop {
            let left = MAX_BATCH_DELAY.saturating_sub(started.elapsed());
            if left.is_zero() {
                return true;
            }
            match rx.recv_timeout(DEBOUNCE.min(left)) {
                Ok(event) => self.add(batch, event),
                Err(RecvTimeoutError::Timeout) => return true,
                Err(RecvTimeoutError::Disconnected) => return false,
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
                    if self.relevant(&path) {
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

    fn apply(&self, batch: &Batch) {
        let _span = tracing::info_span!("batch", paths = batch.paths.len()).entered();
        if !self.links.get() && batch.paths.iter().any(|p| touches_symlink(p)) {
            self.links.set(true);
        }
        let result = self.index.state().and_then(|state| {
            let opts = Options {
                max_file_bytes: self.opts.max_file_bytes,
                progress: &|_, _| {},
            };
            if self.links.get() {
                let touched = batch.paths.iter().chain(&batch.hidden);
                let (entries, deletes, state, affected) = self.plan_with_links(touched, state);
                if batch.paths.is_empty() && !affected {
                    // Only hidden paths (`.git`, editor temp files) that no
                    // symlink leads to: nothing to commit.
                    return Ok(reconcile::Report::default());
                }
                return reconcile::apply(
                    &self.index,
                    &self.writer,
                    &self.root,
                    &entries,
                    &deletes,
                    &state,
                    Trust::SizeAndMtime,
                    &opts,
                );
            }
            let (entries, deletes) = self.plan(&batch.paths, &state);
            reconcile::apply(
                &self.index,
                &self.writer,
                &self.root,
                &entries,
                &deletes,
                &state,
                Trust::ContentOnly,
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

    fn full_reconcile(&self, why: &str) {
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
            Ok(_) => {
                self.links.set(has_symlinks(&self.root));
                self.stats.reconciles.fetch_add(1, Ordering::Relaxed);
                self.committed();
            }
            Err(e) => tracing::error!(error = %e, "reconciliation failed"),
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
