//! `baton check`: validate the whole corpus against the schema without
//! touching the index: parse problems, missing fields, bad dates, unknown
//! kinds, and links to corpus files that do not exist.

use std::collections::HashSet;
use std::path::Path;

use crate::corpus;
use crate::document::{self, LoadError};
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

/// Checks every document under `root`.
pub fn check(root: &Path, schema: &Schema, max_file_bytes: u64) -> CheckReport {
    let (entries, mut problems) = corpus::list(root);
    let ids: HashSet<_> = entries.iter().map(|e| e.id.clone()).collect();
    for entry in &entries {
        match document::load(root, &entry.id, schema, max_file_bytes) {
            Ok(doc) => {
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
    problems.sort_by(|a, b| a.path.cmp(&b.path).then(a.line.cmp(&b.line)));
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    CheckReport {
        documents: entries.len(),
        errors,
        warnings: problems.len() - errors,
        problems,
    }
}
