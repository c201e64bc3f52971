//! The corpus folder: which files are documents.
//!
//! Markdown files (`.md`, `.markdown`) anywhere under the root, except hidden
//! files and folders (`.git`, `.obsidian`, editor swap files). Symlinks are
//! followed when their target stays inside the corpus; walkdir detects loops.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::doc_id::DocId;
use crate::document::mtime_secs;
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
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
}

/// Is this file name a Markdown document?
pub fn is_markdown(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    (lower.ends_with(".md") || lower.ends_with(".markdown")) && !name.starts_with('.')
}

/// Lists the documents under `root`, with problems for what could not be listed.
pub fn list(root: &Path) -> (Vec<Entry>, Vec<Problem>) {
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let walker = WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter();
    let walker = walker
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
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
        if !entry.file_type().is_file() || !is_markdown(&entry.file_name().to_string_lossy()) {
            continue;
        }
        if entry.path_is_symlink() && !target_inside(&canonical_root, entry.path()) {
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
        let (size, mtime) = entry
            .metadata()
            .map(|m| (m.len(), mtime_secs(&m)))
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
