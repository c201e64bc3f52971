//! `baton check`: validate the whole corpus against the schema without
//! touching the index: parse problems, missing fields, bad dates, unknown
//! kinds, and links to corpus files that do not exist.
//!
//! Handovers are checked too: a malformed plan (unknown status or stage, a
//! due date that is not a date) or a follow-up note naming no handover is an
//! error; the readiness gaps of open handovers are warnings, because a
//! documentation repository with honest gaps must still pass CI (the gaps
//! are the handover's work list). `baton check --handover ID` prints one
//! handover's readiness and fails when it has error-level gaps.

use std::collections::HashSet;
use std::path::Path;

use chrono::NaiveDate;

use crate::corpus;
use crate::document::{self, LoadError};
use crate::handover::readiness::{self, Readiness};
use crate::handover::{Catalog, DocSummary, Handover, FEEDBACK_KIND};
use crate::problem::{Problem, Severity};
use crate::schema::Schema;

/// The outcome of a check.
#[derive(Debug, Default, serde::Serialize)]
pub struct CheckReport {
    /// Documents checked.
    pub documents: usize,
    /// Error-level problems.
    pub errors: usize,
    /// Warning-level problems.
    pub warnings: usize,
    /// All problems, by path.
    pub problems: Vec<Problem>,
}

/// Checks every document under `root`; readiness is judged as of `today`.
pub fn check(root: &Path, schema: &Schema, max_file_bytes: u64, today: NaiveDate) -> CheckReport {
    let (catalog, entries, mut problems) = load_all(root, schema, max_file_bytes);
    problems.extend(handover_problems(&catalog, schema, today));
    problems.sort_by(|a, b| a.path.cmp(&b.path).then(a.line.cmp(&b.line)));
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    CheckReport {
        documents: entries,
        errors,
        warnings: problems.len() - errors,
        problems,
    }
}

/// One handover's readiness, read from the files under `root` (not the
/// index, which may lag); `None` when no handover has that id or short name.
pub fn handover_readiness(
    root: &Path,
    schema: &Schema,
    max_file_bytes: u64,
    name: &str,
    today: NaiveDate,
) -> Option<(Handover, Readiness)> {
    let (catalog, _, _) = load_all(root, schema, max_file_bytes);
    let handover = catalog.handover(name)?;
    let ready = readiness::readiness(&catalog, schema, &handover, today);
    Some((handover, ready))
}

/// Handover plans that do not parse, notes naming no handover, and the
/// readiness gaps of handovers that are not closed.
fn handover_problems(catalog: &Catalog, schema: &Schema, today: NaiveDate) -> Vec<Problem> {
    let mut problems = Vec::new();
    let handovers = catalog.handovers();
    for h in &handovers {
        for message in &h.problems {
            problems.push(Problem::error(&h.id, None, "handover", message.clone()));
        }
        if h.status == "closed" {
            continue;
        }
        for system in readiness::readiness(catalog, schema, h, today).systems {
            for gap in system.gaps {
                problems.push(Problem::warning(
                    &h.id,
                    None,
                    "handover-gap",
                    format!("{}: {} ({})", system.system, gap.message, gap.code),
                ));
            }
        }
    }
    for note in catalog.docs.iter().filter(|d| d.kind == FEEDBACK_KIND) {
        let target = note.text("handover").unwrap_or_default();
        if !handovers.iter().any(|h| h.is_named(&target)) {
            problems.push(Problem::error(
                &note.id,
                None,
                "broken-link",
                format!("handover '{target}' is not a handover document of the corpus"),
            ));
        }
    }
    problems
}

/// Parses every document: summaries for readiness, the number of
/// documents, and the problems found while reading them.
fn load_all(root: &Path, schema: &Schema, max_file_bytes: u64) -> (Catalog, usize, Vec<Problem>) {
    let (entries, mut problems) = corpus::list(root);
    let mut summaries = Vec::with_capacity(entries.len());
    let ids: HashSet<_> = entries.iter().map(|e| e.id.clone()).collect();
    for entry in &entries {
        match document::load(root, &entry.id, schema, max_file_bytes) {
            Ok(doc) => {
                summaries.push(DocSummary::from_document(&doc));
                problems.extend(doc.problems.iter().cloned());
                for link in &doc.links {
                    if let Some(target) = link.doc.as_ref().filter(|t| !ids.contains(*t)) {
                        problems.push(Problem::error(
                            entry.id.as_str(),
                            None,
                            "broken-link",
                            format!(
                                "link to '{}' ({target}) points to no corpus file",
                                link.target
                            ),
                        ));
                    }
                }
            }
            Err(LoadError::Gone(path)) => problems.push(Problem::warning(
                &path,
                None,
                "gone",
                "file disappeared while being checked",
            )),
            Err(e) => problems.push(Problem::error(
                entry.id.as_str(),
                None,
                "unreadable",
                e.to_string(),
            )),
        }
    }
    (Catalog::new(summaries), entries.len(), problems)
}
