//! Reconciliation: make the index match the corpus, doing only the difference.
//!
//! Files whose size and modification time match what the index recorded are
//! not even read; files that were touched but whose content hash is unchanged
//! are read but not re-indexed; documents whose file is gone are deleted.
//! Parsing runs on all cores; the writer thread indexes.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use super::writer::Writer;
use super::{BatonIndex, IndexError, StoredState};
use crate::corpus::{self, Entry, Filter};
use crate::doc_id::DocId;
use crate::document::{self, transcript, LoadError};
use crate::problem::Problem;

/// What a reconciliation did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Report {
    /// Markdown files found.
    pub files: usize,
    /// Documents (re)indexed.
    pub indexed: usize,
    /// Documents removed because their file is gone.
    pub deleted: usize,
    /// Files skipped because they are unchanged.
    pub unchanged: usize,
    /// Bytes read and parsed.
    pub bytes: u64,
    /// Problems found (in indexed files and in listing).
    pub problems: Vec<Problem>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Options for [`reconcile`].
pub struct Options<'a> {
    /// Largest file read in full.
    pub max_file_bytes: u64,
    /// Called with (done, total) as files are processed.
    pub progress: &'a (dyn Fn(usize, usize) + Sync),
}

/// Brings the index in line with the corpus at `root` and commits.
pub fn reconcile(
    index: &BatonIndex,
    writer: &Writer,
    root: &Path,
    opts: &Options,
) -> Result<Report, IndexError> {
    reconcile_filtered(index, writer, root, &Filter::default(), opts)
}

/// [`reconcile`], skipping paths the filter's ignore patterns exclude.
pub fn reconcile_filtered(
    index: &BatonIndex,
    writer: &Writer,
    root: &Path,
    filter: &Filter,
    opts: &Options,
) -> Result<Report, IndexError> {
    let started = Instant::now();
    let _span = tracing::info_span!("reconcile", corpus = %root.display()).entered();
    corpus::root_available(root).map_err(IndexError::CorpusUnavailable)?;
    let (entries, listing_problems) = corpus::list_under(root, root, filter);
    // After the index folder was recreated empty the reader still shows the
    // old segments: compare with nothing, so every document is sent again.
    let refill = writer.status().needs_refill();
    let state = if refill {
        HashMap::new()
    } else {
        index.state()?
    };
    let present: HashSet<_> = entries.iter().map(|e| &e.id).collect();
    let deletes: Vec<DocId> = state
        .keys()
        .filter(|id| !present.contains(id))
        .cloned()
        .collect();
    let mut report = apply(
        index,
        writer,
        root,
        &entries,
        &deletes,
        &state,
        Trust::SizeAndMtime,
        opts,
    )?;
    if refill {
        writer.status().refilled();
    }
    report.problems.extend(listing_problems);
    report.seconds = started.elapsed().as_secs_f64();
    tracing::info!(
        files = report.files,
        indexed = report.indexed,
        deleted = report.deleted,
        unchanged = report.unchanged,
        problems = report.problems.len(),
        seconds = report.seconds,
        "reconciled"
    );
    Ok(report)
}

/// Whether an unchanged size and modification time means an unchanged file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trust {
    /// Full scans: skip files whose size and mtime match the index.
    SizeAndMtime,
    /// Files named by watch events: always compare content hashes, since
    /// two saves can share a coarse file-system timestamp.
    ContentOnly,
}

/// Indexes `entries` that differ from `state` (by size and mtime when
/// trusted, then by content hash), deletes `deletes`, and commits once.
#[allow(clippy::too_many_arguments)]
pub fn apply(
    index: &BatonIndex,
    writer: &Writer,
    root: &Path,
    entries: &[Entry],
    deletes: &[DocId],
    state: &HashMap<DocId, StoredState>,
    trust: Trust,
    opts: &Options,
) -> Result<Report, IndexError> {
    let started = Instant::now();
    let mut report = Report {
        files: entries.len(),
        ..Report::default()
    };
    let mut to_read = Vec::new();
    for entry in entries {
        match state.get(&entry.id) {
            Some(s) if trust == Trust::SizeAndMtime && stamp_matches(root, entry, s) => {
                report.unchanged += 1
            }
            _ => to_read.push(entry),
        }
    }
    for id in deletes.iter().filter(|id| state.contains_key(*id)) {
        writer.delete(id.clone())?;
        report.deleted += 1;
    }
    let outcome = parse_all(index, writer, root, &to_read, state, trust, opts)?;
    report.indexed = outcome.indexed;
    report.unchanged += outcome.unchanged;
    report.bytes = outcome.bytes;
    report.problems = outcome.problems;
    writer.commit()?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Whether the file (with its transcript, if any) has the size and mtime
/// the index recorded. Only a record's stamp is compared first, so a corpus
/// without transcripts pays for no extra `stat`.
fn stamp_matches(root: &Path, entry: &Entry, stored: &StoredState) -> bool {
    if stored.transcript.is_none() && stored.mtime == entry.mtime && stored.size == entry.size {
        // Unchanged record without a transcript, unless one appeared beside it.
        return transcript::current_stamp(root, &entry.id, None).is_none();
    }
    let now = transcript::fold_stamp(
        entry.size,
        entry.mtime,
        transcript::current_stamp(root, &entry.id, stored.transcript.as_deref()),
    );
    now == (stored.size, stored.mtime)
}

/// Reads, parses and indexes `entries` whatever the index holds, and commits.
/// Entries whose file has vanished become `gone` problems, not errors.
pub fn index_files(
    index: &BatonIndex,
    writer: &Writer,
    root: &Path,
    entries: &[Entry],
    opts: &Options,
) -> Result<Report, IndexError> {
    apply(
        index,
        writer,
        root,
        entries,
        &[],
        &HashMap::new(),
        Trust::ContentOnly,
        opts,
    )
}

#[derive(Default)]
struct Outcome {
    indexed: usize,
    unchanged: usize,
    bytes: u64,
    problems: Vec<Problem>,
}

/// Parses `entries` on every core and sends changed documents to the writer.
#[allow(clippy::too_many_arguments)]
fn parse_all(
    index: &BatonIndex,
    writer: &Writer,
    root: &Path,
    entries: &[&Entry],
    state: &HashMap<DocId, StoredState>,
    trust: Trust,
    opts: &Options,
) -> Result<Outcome, IndexError> {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let outcome = Mutex::new(Outcome::default());
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let sender = writer.sender();
                scope.spawn(|| -> Result<(), IndexError> {
                    let sender = sender;
                    let mut local = Outcome::default();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(entry) = entries.get(i) else { break };
                        match document::load(root, &entry.id, &index.schema, opts.max_file_bytes) {
                            Ok(mut doc) => {
                                // The listing's mtime, not the later read's: if the file
                                // changed in between, the next scan sees it as changed.
                                let t = doc.transcript.as_ref().map(|t| (t.size, t.mtime));
                                doc.mtime = transcript::fold_stamp(0, entry.mtime, t).1;
                                local.bytes += doc.size;
                                local.problems.extend(doc.problems.iter().cloned());
                                // In a full scan a same-hash file was touched (new mtime): it is
                                // re-indexed once so the index records the new mtime and the
                                // next scan skips it without reading.
                                let same = state.get(&entry.id).is_some_and(|s| s.hash == doc.hash);
                                if same && trust == Trust::ContentOnly {
                                    local.unchanged += 1;
                                } else {
                                    local.indexed += 1;
                                    sender
                                        .send(super::writer::Command::Upsert(Box::new(doc)))
                                        .map_err(|_| IndexError::WriterGone)?;
                                }
                            }
                            Err(LoadError::Gone(path)) => local.problems.push(Problem::warning(
                                &path,
                                None,
                                "gone",
                                "file disappeared while being indexed",
                            )),
                            Err(e @ LoadError::Io { .. }) => local.problems.push(Problem::error(
                                entry.id.as_str(),
                                None,
                                "unreadable",
                                e.to_string(),
                            )),
                        }
                        (opts.progress)(done.fetch_add(1, Ordering::Relaxed) + 1, entries.len());
                    }
                    let mut total = outcome.lock().unwrap_or_else(|p| p.into_inner());
                    total.indexed += local.indexed;
                    total.unchanged += local.unchanged;
                    total.bytes += local.bytes;
                    total.problems.append(&mut local.problems);
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().unwrap_or(Err(IndexError::WriterGone)))
    })?;
    let mut outcome = outcome.into_inner().unwrap_or_else(|p| p.into_inner());
    outcome
        .problems
        .sort_by(|a, b| a.path.cmp(&b.path).then(a.line.cmp(&b.line)));
    Ok(outcome)
}
