//! `baton verify`: does the index hold exactly the corpus? It lists the
//! corpus as a reconciliation does, reads every document (content hash,
//! transcript included) and compares with the ids and hashes stored in the
//! index, which it only reads, so it may run beside a live `baton serve`.
//! The soak script (`benches/soak.sh`) ends with it.

use std::collections::HashSet;
use std::path::Path;

use crate::corpus::{self, Filter};
use crate::document::{self, LoadError};
use crate::index::{BatonIndex, IndexError};

/// How many differing ids a report keeps per kind (the counts are exact).
const MAX_LISTED: usize = 20;

/// The difference between the index and the corpus.
#[derive(Debug, Default, serde::Serialize)]
pub struct VerifyReport {
    /// Documents in the corpus.
    pub corpus: usize,
    /// Documents in the index.
    pub indexed: usize,
    /// Corpus documents the index lacks.
    pub missing: usize,
    /// Indexed documents that are not in the corpus.
    pub extra: usize,
    /// Documents indexed with other content than the file's.
    pub stale: usize,
    /// Up to [`MAX_LISTED`] ids of each kind, as `missing: id` etc.
    pub examples: Vec<String>,
}

impl VerifyReport {
    /// True when the index holds exactly the corpus.
    pub fn matches(&self) -> bool {
        self.missing == 0 && self.extra == 0 && self.stale == 0
    }
}

/// Compares the index with the corpus under `root` as it is now.
pub fn verify(
    index: &BatonIndex,
    root: &Path,
    filter: &Filter,
    max_file_bytes: u64,
) -> Result<VerifyReport, IndexError> {
    let state = index.state()?;
    let (entries, _) = corpus::list_under(root, root, filter);
    let mut report = VerifyReport {
        indexed: state.len(),
        ..VerifyReport::default()
    };
    let mut listed = HashSet::new();
    let mut examples = Vec::new();
    for entry in &entries {
        let hash = match document::load(root, &entry.id, &index.schema, max_file_bytes) {
            Ok(doc) => Some(doc.hash),
            // Deleted since the listing: not part of the corpus any more.
            Err(LoadError::Gone(_)) => continue,
            // Unreadable: a reconciliation records a problem and leaves the
            // index as it was, so there is nothing to compare.
            Err(LoadError::Io { .. }) => None,
        };
        report.corpus += 1;
        listed.insert(entry.id.clone());
        let id = entry.id.as_str();
        match (state.get(&entry.id), hash) {
            (None, Some(_)) => add(&mut examples, &mut report.missing, "missing", id),
            (Some(s), Some(h)) if s.hash != h => add(&mut examples, &mut report.stale, "stale", id),
            _ => {}
        }
    }
    for id in state.keys().filter(|id| !listed.contains(*id)) {
        add(&mut examples, &mut report.extra, "extra", id.as_str());
    }
    examples.sort();
    report.examples = examples;
    Ok(report)
}

/// Counts one difference and keeps its id while fewer than [`MAX_LISTED`].
fn add(examples: &mut Vec<String>, count: &mut usize, kind: &str, id: &str) {
    *count += 1;
    if *count <= MAX_LISTED {
        examples.push(format!("{kind}: {id}"));
    }
}
