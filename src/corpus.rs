//! The corpus folder: which files are documents.
//!
//! Markdown files (`.md`, `.markdown`) anywhere under the root, except hidden
//! files and folders (`.git`, `.obsidian`, `.file.md.swp`), editor backups
//! (`file.md~`, `#file.md#`) and paths matching the configured ignore globs.
//! Symlinks are followed when their target stays inside the corpus; walkdir
//! detects symlink loops, which become listing problems instead of hangs.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use walkdir::WalkDir;

use crate::doc_id::DocId;
use crate::document::mtime_nanos;
use crate::problem::Problem;

/// One Markdown file found in the corpus.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Its id.
    pub id: DocId,
    /// Where it is on disk.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime: i64,
}

/// Decides which corpus paths are documents.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    ignore: Option<GlobSet>,
}

/// An ignore pattern that is not a valid glob.
#[derive(Debug, thiserror::Error)]
#[error("invalid ignore pattern '{pattern}': {message}")]
pub struct FilterError {
    /// The pattern.
    pub pattern: String,
    /// Why it is invalid.
    pub message: String,
}

impl Filter {
    /// A filter that also skips paths (corpus-relative) matching `patterns`.
    pub fn new(patterns: &[String]) -> Result<Filter, FilterError> {
        if patterns.is_empty() {
            return Ok(Filter::default());
        }
        let mut b = GlobSetBuilder::new();
        for p in patterns {
            let glob = Glob::new(p).map_err(|e| FilterError {
                pattern: p.clone(),
                message: e.to_string(),
            })?;
            b.add(glob);
        }
        let set = b.build().map_err(|e| FilterError {
            pattern: patterns.join(", "),
            message: e.to_string(),
        })?;
        Ok(Filter { ignore: Some(set) })
    }

    /// Is a folder or file name skipped wherever it appears (hidden, backups)?
    pub fn skips_name(name: &str) -> bool {
        name.starts_with('.')
            || name.ends_with('~')
            || (name.starts_with('#') && name.ends_with('#'))
    }

    /// Does the corpus-relative path match an ignore pattern?
    pub fn ignores(&self, rel: &str) -> bool {
        self.ignore.as_ref().is_some_and(|s| s.is_match(rel))
    }

    /// Is the corpus-relative path of a file a document?
    pub fn is_document(&self, rel: &str) -> bool {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        is_markdown(name) && !rel.split('/').any(Filter::skips_name) && !self.ignores(rel)
    }
}

/// Is this file name a Markdown document?
pub fn is_markdown(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    (lower.ends_with(".md") || lower.ends_with(".markdown")) && !Filter::skips_name(name)
}

/// Whether the corpus folder itself is there and can be listed. A corpus
/// root that vanished is almost always a mistake or a mount hiccup, not an
/// intent to delete every document, so callers keep the index as it is.
pub fn root_available(root: &Path) -> Result<(), String> {
    match std::fs::read_dir(root) {
        Ok(_) => Ok(()),
        // No path: this reaches /api/health, which needs no token.
        Err(e) => Err(format!("the corpus folder cannot be read: {e}")),
    }
}

/// Lists the documents under `root`, with problems for what could not be listed.
pub fn list(root: &Path) -> (Vec<Entry>, Vec<Problem>) {
    list_under(root, root, &Filter::default())
}

/// Lists the documents under `dir` (a folder inside `root`), ids relative to `root`.
pub fn list_under(root: &Path, dir: &Path, filter: &Filter) -> (Vec<Entry>, Vec<Problem>) {
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let walker = WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter();
    // Checked on every entry, folders included, so nothing under a symlinked
    // folder that points outside the corpus is ever visited.
    let walker = walker.filter_entry(|e| {
        e.depth() == 0
            || (!Filter::skips_name(&e.file_name().to_string_lossy())
                && (!e.path_is_symlink() || target_inside(&canonical_root, e.path())))
    });
    for item in walker {
        let entry = match item {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().map(|p| rel_display(root, p)).unwrap_or_default();
                problems.push(Problem::warning(
                    &path,
                    None,
                    "unreadable",
                    format!("cannot list: {e}"),
                ));
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let id = match DocId::from_path(root, entry.path()) {
            Ok(id) => id,
            Err(e) => {
                problems.push(Problem::warning(
                    &rel_display(root, entry.path()),
                    None,
                    "bad-path",
                    e.to_string(),
                ));
                continue;
            }
        };
        if !filter.is_document(id.as_str()) {
            continue;
        }
        let (size, mtime) = entry
            .metadata()
            .map(|m| (m.len(), mtime_nanos(&m)))
            .unwrap_or((0, 0));
        entries.push(Entry {
            id,
            path: entry.path().to_path_buf(),
            size,
            mtime,
        });
    }
    (entries, problems)
}

/// The entry for one file, if it is a document that exists now.
pub fn entry_for(root: &Path, id: &DocId, filter: &Filter) -> Option<Entry> {
    if !filter.is_document(id.as_str()) {
        return None;
    }
    let path = id.to_path(root);
    let meta = std::fs::metadata(&path).ok().filter(|m| m.is_file())?;
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    if !target_inside(&canonical_root, &path) {
        return None;
    }
    Some(Entry {
        id: id.clone(),
        path,
        size: meta.len(),
        mtime: mtime_nanos(&meta),
    })
}

fn target_inside(canonical_root: &Path, path: &Path) -> bool {
    path.canonicalize()
        .is_ok_and(|p| p.starts_with(canonical_root))
}

fn rel_display(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_and_ignored_paths() {
        let f = Filter::new(&["drafts/**".to_string(), "**/SOURCE.md".to_string()]).unwrap();
        assert!(f.is_document("runbooks/a.md"));
        assert!(f.is_document("runbooks/日終.markdown"));
        assert!(!f.is_document("runbooks/a.txt"));
        assert!(!f.is_document(".git/a.md"));
        assert!(!f.is_document("runbooks/.a.md.swp"));
        assert!(!f.is_document("runbooks/a.md~"));
        assert!(!f.is_document("runbooks/#a.md#"));
        assert!(!f.is_document("drafts/x.md"));
        assert!(!f.is_document("corpus-a/SOURCE.md"));
    }
}
