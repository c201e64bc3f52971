//! The single writer (DESIGN principle 2).
//!
//! One thread owns tantivy's `IndexWriter`. Everyone else (reconciliation,
//! later the watcher and the API's write-backs) sends [`Command`]s over a
//! channel. The thread commits on request, or by itself once commands stop
//! arriving for [`IDLE_COMMIT`], then reloads the shared reader, so searches
//! never wait for it.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tantivy::indexer::LogMergePolicy;
use tantivy::{IndexWriter, Term};

use super::{fields, BatonIndex, IndexError};
use crate::doc_id::DocId;
use crate::document::Document;

/// Pending changes are committed once no command has arrived for this long:
/// long enough to batch a `git pull`, short enough to keep edits visible
/// within a second.
pub const IDLE_COMMIT: Duration = Duration::from_millis(200);

/// Memory for tantivy's indexing buffers, shared by its threads. 128 MB keeps
/// segments large on a 10,000-file corpus without crowding a small server.
pub const WRITER_MEMORY_BYTES: usize = 128 * 1024 * 1024;

/// A day of single-file edits makes one tiny segment per batch; merging
/// every 8 same-sized segments keeps the count logarithmic in the number of
/// commits, so searches stay fast without a nightly optimize.
fn merge_policy() -> LogMergePolicy {
    let mut policy = LogMergePolicy::default();
    policy.set_min_num_segments(8);
    policy.set_del_docs_ratio_before_merge(0.3);
    policy
}

/// What a commit did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommitStats {
    /// Documents added or replaced since the previous commit.
    pub upserts: usize,
    /// Documents deleted since the previous commit.
    pub deletes: usize,
}

/// A request to the writer thread.
pub enum Command {
    /// Add or replace a document (by id).
    Upsert(Box<Document>),
    /// Remove a document.
    Delete(DocId),
    /// Commit now and report.
    Commit(Sender<Result<CommitStats, IndexError>>),
}

/// Handle to the writer thread. Dropping it commits pending work and stops it.
pub struct Writer {
    tx: Option<Sender<Command>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Starts the writer thread for `index`.
    pub fn start(index: &BatonIndex) -> Result<Writer, IndexError> {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .clamp(1, 4);
        let writer: IndexWriter = index
            .index
            .writer_with_num_threads(threads, WRITER_MEMORY_BYTES)?;
        writer.set_merge_policy(Box::new(merge_policy()));
        let (tx, rx) = mpsc::channel();
        let index = index.clone();
        let thread = std::thread::Builder::new()
            .name("baton-writer".into())
            .spawn(move || run(writer, index, rx))
            .map_err(|e| IndexError::Io {
                path: "writer thread".into(),
                source: e,
            })?;
        Ok(Writer {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// A sender for other producers.
    pub fn sender(&self) -> Sender<Command> {
        self.tx.clone().expect("sender exists until drop")
    }

    /// Queues an upsert.
    pub fn upsert(&self, doc: Document) -> Result<(), IndexError> {
        self.send(Command::Upsert(Box::new(doc)))
    }

    /// Queues a delete.
    pub fn delete(&self, id: DocId) -> Result<(), IndexError> {
        self.send(Command::Delete(id))
    }

    /// Commits everything queued so far and waits until it is searchable.
    pub fn commit(&self) -> Result<CommitStats, IndexError> {
        let (tx, rx) = mpsc::channel();
        self.send(Command::Commit(tx))?;
        rx.recv().map_err(|_| IndexError::WriterGone)?
    }

    fn send(&self, cmd: Command) -> Result<(), IndexError> {
        self.tx
            .as_ref()
            .ok_or(IndexError::WriterGone)?
            .send(cmd)
            .map_err(|_| IndexError::WriterGone)
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(mut writer: IndexWriter, index: BatonIndex, rx: Receiver<Command>) {
    let mut stats = CommitStats::default();
    loop {
        let cmd = if stats == CommitStats::default() {
            rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
        } else {
            rx.recv_timeout(IDLE_COMMIT)
        };
        match cmd {
            Ok(Command::Upsert(doc)) => {
                writer.delete_term(Term::from_field_text(
                    index.fields.id,
                    doc.doc_id().as_str(),
                ));
                if let Err(e) = writer.add_document(fields::to_tantivy(&doc, &index.fields)) {
                    tracing::error!(id = %doc.doc_id(), error = %e, "cannot add document");
                }
                stats.upserts += 1;
            }
            Ok(Command::Delete(id)) => {
                writer.delete_term(Term::from_field_text(index.fields.id, id.as_str()));
                stats.deletes += 1;
            }
            Ok(Command::Commit(reply)) => {
                let result = commit(&mut writer, &index, &stats);
                stats = CommitStats::default();
                let _ = reply.send(result);
            }
            Err(RecvTimeoutError::Timeout) => {
                if let Err(e) = commit(&mut writer, &index, &stats) {
                    tracing::error!(error = %e, "background commit failed");
                }
                stats = CommitStats::default();
            }
            Err(RecvTimeoutError::Disconnected) => {
                if stats != CommitStats::default() {
                    if let Err(e) = commit(&mut writer, &index, &stats) {
                        tracing::error!(error = %e, "final commit failed");
                    }
                }
                let _ = writer.wait_merging_threads();
                return;
            }
        }
    }
}

fn commit(
    writer: &mut IndexWriter,
    index: &BatonIndex,
    stats: &CommitStats,
) -> Result<CommitStats, IndexError> {
    let started = Instant::now();
    let _span =
        tracing::info_span!("commit", upserts = stats.upserts, deletes = stats.deletes).entered();
    writer.commit()?;
    index.reader.reload()?;
    tracing::debug!(ms = started.elapsed().as_millis() as u64, "committed");
    Ok(stats.clone())
}
