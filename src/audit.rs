//! The audit trail: one JSON line per search, document open, denied
//! attempt and write, appended to `<data>/audit.log`. When the file passes
//! a size limit it is renamed to `audit.log.N` (N counting up) and a new
//! one is started: rotation never deletes, so nothing is lost, and reading
//! concatenates the rotated files in order.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The live log's file name in the data folder.
pub const AUDIT_FILE: &str = "audit.log";

/// Size at which the live file is rotated.
pub const DEFAULT_ROTATE_BYTES: u64 = 16 * 1024 * 1024;

/// One audited event. Optional fields are omitted when not relevant.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Entry {
    /// RFC 3339 time.
    pub time: String,
    /// `search`, `open`, `denied`, `tags`, `confirm`, `feedback`...
    pub action: String,
    /// Token or proxy user name; `anonymous` without one.
    pub user: String,
    /// The user's role, when identified by a token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Document concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Query searched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Number of hits of a search.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hits: Option<usize>,
    /// ETag before a write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag_before: Option<String>,
    /// ETag after a write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// What changed, or why access was denied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
    /// Client address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
}

impl Entry {
    /// An entry for `action` by `user`, stamped now.
    pub fn new(action: &str, user: &str) -> Entry {
        Entry {
            time: Utc::now().to_rfc3339(),
            action: action.to_string(),
            user: user.to_string(),
            ..Entry::default()
        }
    }
}

/// Selects entries when reading.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only this user.
    pub user: Option<String>,
    /// Only this document.
    pub id: Option<String>,
    /// Only this action.
    pub action: Option<String>,
    /// At or after.
    pub since: Option<DateTime<Utc>>,
    /// At or before.
    pub until: Option<DateTime<Utc>>,
}

impl Filter {
    fn keeps(&self, e: &Entry) -> bool {
        let time = DateTime::parse_from_rfc3339(&e.time)
            .ok()
            .map(|t| t.with_timezone(&Utc));
        self.user.as_ref().is_none_or(|u| &e.user == u)
            && self.id.as_ref().is_none_or(|i| e.id.as_ref() == Some(i))
            && self.action.as_ref().is_none_or(|a| &e.action == a)
            && self.since.is_none_or(|s| time.is_some_and(|t| t >= s))
            && self.until.is_none_or(|u| time.is_some_and(|t| t <= u))
    }
}

/// A time bound from `YYYY-MM-DD` (the day's start, or its last second
/// when `end_of_day`) or RFC 3339.
pub fn parse_bound(s: &str, end_of_day: bool) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let day = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    let t = if end_of_day {
        day.and_hms_opt(23, 59, 59)?
    } else {
        day.and_hms_opt(0, 0, 0)?
    };
    Some(t.and_utc())
}

/// A page of entries, newest first.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Page {
    /// Entries matching the filter.
    pub total: usize,
    /// Entries skipped.
    pub offset: usize,
    /// This page, newest first.
    pub entries: Vec<Entry>,
}

/// The audit log of one data folder.
#[derive(Debug)]
pub struct AuditLog {
    dir: PathBuf,
    rotate_bytes: u64,
    /// The live file, kept open between records (one `write` per record
    /// under load), and its size.
    live: Mutex<Option<(fs::File, u64)>>,
}

impl AuditLog {
    /// The log in `data`, rotated at `rotate_bytes`.
    pub fn new(data: &Path, rotate_bytes: u64) -> AuditLog {
        AuditLog {
            dir: data.to_path_buf(),
            rotate_bytes: rotate_bytes.max(1024),
            live: Mutex::new(None),
        }
    }

    /// The live file.
    pub fn path(&self) -> PathBuf {
        self.dir.join(AUDIT_FILE)
    }

    /// Appends `entry` (and emits it as a tracing event). Failing to log is
    /// reported, not fatal: the action it records has already happened.
    pub fn record(&self, entry: &Entry) {
        tracing::debug!(target: "baton::audit", action = %entry.action, user = %entry.user, id = ?entry.id, "audit");
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = self.append(&mut live, entry) {
            *live = None; // reopen next time
            tracing::error!(path = %self.path().display(), error = %e, "cannot append to the audit log");
        }
    }

    fn append(&self, live: &mut Option<(fs::File, u64)>, entry: &Entry) -> std::io::Result<()> {
        let line = serde_json::to_string(entry).map_err(std::io::Error::other)?;
        if live
            .as_ref()
            .is_some_and(|(_, size)| *size >= self.rotate_bytes)
        {
            *live = None;
            let next = self.rotated().last().map(|(n, _)| n + 1).unwrap_or(1);
            fs::rename(self.path(), self.dir.join(format!("{AUDIT_FILE}.{next}")))?;
        }
        if live.is_none() {
            *live = Some(self.open_live()?);
        }
        let Some((file, size)) = live.as_mut() else {
            return Ok(());
        };
        let text = format!("{line}\n");
        // One write call per line, so readers never see half a line from us.
        file.write_all(text.as_bytes())?;
        *size += text.len() as u64;
        Ok(())
    }

    /// Opens the live file for appending; a line torn by a crash is ended
    /// first, so it cannot swallow the next one.
    fn open_live(&self) -> std::io::Result<(fs::File, u64)> {
        fs::create_dir_all(&self.dir)?;
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(self.path())?;
        if ends_without_newline(&mut file)? {
            file.write_all(b"\n")?;
        }
        let size = file.metadata()?.len();
        Ok((file, size))
    }

    /// Rotated files, oldest first.
    fn rotated(&self) -> Vec<(u64, PathBuf)> {
        let prefix = format!("{AUDIT_FILE}.");
        let mut files: Vec<(u64, PathBuf)> = fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let n = name.strip_prefix(&prefix)?.parse().ok()?;
                Some((n, e.path()))
            })
            .collect();
        files.sort();
        files
    }

    /// Every entry matching `filter`, newest first, paged. Lines that are
    /// not entries (a torn line after a crash) are skipped.
    pub fn read(&self, filter: &Filter, offset: usize, limit: usize) -> std::io::Result<Page> {
        let _guard = self.live.lock().unwrap_or_else(|p| p.into_inner());
        let mut files: Vec<PathBuf> = self.rotated().into_iter().map(|(_, p)| p).collect();
        files.push(self.path());
        let mut matching = Vec::new();
        for file in files {
            let text = match fs::read_to_string(&file) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            matching.extend(
                text.lines()
                    .filter_map(|l| serde_json::from_str::<Entry>(l).ok())
                    .filter(|e| filter.keeps(e)),
            );
        }
        let total = matching.len();
        let entries = matching
            .into_iter()
            .rev()
            .skip(offset)
            .take(limit)
            .collect();
        Ok(Page {
            total,
            offset,
            entries,
        })
    }
}

fn ends_without_newline(file: &mut fs::File) -> std::io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    if file.metadata()?.len() == 0 {
        return Ok(false);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_keeps_every_entry_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(dir.path(), 1024);
        for i in 0..100 {
            let mut e = Entry::new("search", if i % 2 == 0 { "lin" } else { "wu" });
            e.query = Some(format!("query {i}"));
            log.record(&e);
        }
        let rotated = log.rotated();
        assert!(rotated.len() >= 3, "{rotated:?}");
        let all = log.read(&Filter::default(), 0, 1000).unwrap();
        assert_eq!(all.total, 100);
        assert_eq!(all.entries[0].query.as_deref(), Some("query 99"));
        assert_eq!(all.entries[99].query.as_deref(), Some("query 0"));
        let lin = Filter {
            user: Some("lin".into()),
            ..Filter::default()
        };
        let page = log.read(&lin, 10, 5).unwrap();
        assert_eq!(page.total, 50);
        assert_eq!(page.entries[0].query.as_deref(), Some("query 78"));
    }

    #[test]
    fn torn_lines_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(dir.path(), DEFAULT_ROTATE_BYTES);
        log.record(&Entry::new("open", "lin"));
        fs::OpenOptions::new()
            .append(true)
            .open(log.path())
            .unwrap()
            .write_all(b"{\"time\": \"2026-")
            .unwrap();
        // As after a crash: the next process opens the torn file.
        let log = AuditLog::new(dir.path(), DEFAULT_ROTATE_BYTES);
        log.record(&Entry::new("open", "wu"));
        let page = log.read(&Filter::default(), 0, 10).unwrap();
        assert_eq!(page.total, 2);
        assert_eq!(page.entries[0].user, "wu");
    }
}
