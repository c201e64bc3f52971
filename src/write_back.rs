//! Write-back: the only way baton changes a corpus file. An edit names
//! top-level front-matter keys and their new values; this module rewrites
//! just those keys' text (YAML or TOML, in the file's own style), leaves every
//! other byte of the file as it was, re-parses the result to prove it, checks
//! the caller's ETag, and replaces the file atomically. The watcher then
//! indexes the new file like any other edit (DESIGN principle 1).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde_json::{Map, Value};

use crate::document::front_matter::{self, Format};

/// Length of the content hash, in hex characters; must match what
/// `document::parse_bytes` stores so an ETag equals the indexed hash.
const HASH_HEX_CHARS: usize = 32;

/// Marks our temp files (`.name.md.baton-tmp-PID-N`); the leading `.` makes
/// the watcher and the corpus walk skip them, and a crash leaves an obvious name.
const TEMP_MARKER: &str = "baton-tmp";

/// Indentation of block sequences and mappings we emit, the corpus's style.
const YAML_INDENT: &str = "  ";

/// Plain YAML scalars that YAML 1.1 readers (and many tools) read as
/// booleans or null, so strings equal to them must be quoted.
const YAML_RESERVED: &[&str] = &[
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~",
];

/// Characters that cannot start a plain YAML scalar.
const YAML_INDICATORS: &[char] = &[
    '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`',
    '+', '.', ' ',
];

/// A UTF-8 byte-order mark, which some Windows editors put before the fence.
const BOM: char = '\u{feff}';

/// Serializes edits within this process, so two writers holding the same
/// ETag cannot both pass the check before either renames.
static WRITE_LOCK: Mutex<()> = Mutex::new(());

/// Distinguishes temp files of concurrent writes within one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Why a write-back was refused; the file is unchanged in every case.
#[derive(Debug, thiserror::Error)]
pub enum WriteBackError {
    /// The file changed since the caller read it.
    #[error("the document was changed by someone else (current ETag {current_etag}); reload it and try again")]
    Stale {
        /// The ETag of the file as it is now.
        current_etag: String,
    },
    /// Reading or writing the file failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The file's front matter is in a shape this module does not edit.
    #[error("front matter cannot be edited: {0}")]
    UnsupportedFrontMatter(String),
    /// The existing front matter does not parse.
    #[error("front matter cannot be parsed (line {line}): {message}")]
    Unparsable {
        /// 1-based line of the file.
        line: usize,
        /// The parser's message.
        message: String,
    },
    /// A new value cannot be expressed in the file's format.
    #[error("the value for `{key}` cannot be written: {message}")]
    UnsupportedValue {
        /// The front-matter key.
        key: String,
        /// Why not.
        message: String,
    },
    /// The edited text did not re-parse to exactly the intended values.
    #[error("the edit was not applied because the result would be wrong: {0}")]
    Verification(String),
}

/// The result of a successful [`update_document`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateOutcome {
    /// The ETag of the new file contents.
    pub etag: String,
    /// The new file contents, as written.
    pub bytes: Vec<u8>,
}

/// The HTTP ETag (quoted) of file contents: the index's content hash.
pub fn content_etag(bytes: &[u8]) -> String {
    let hex = blake3::hash(bytes).to_hex();
    format!("\"{}\"", &hex[..HASH_HEX_CHARS])
}

/// Reads `path`, checks `if_match`, sets front-matter keys and writes atomically.
pub fn update_document(
    path: &Path,
    if_match: &str,
    updates: &[(&str, Value)],
) -> Result<UpdateOutcome, WriteBackError> {
    rewrite(path, if_match, |text| set_front_matter_keys(text, updates))
}

/// Under the write lock: reads `path`, checks `if_match` against its
/// content, computes the new text with `edit` and replaces the file atomically.
fn rewrite(
    path: &Path,
    if_match: &str,
    edit: impl FnOnce(&str) -> Result<String, WriteBackError>,
) -> Result<UpdateOutcome, WriteBackError> {
    let _guard = WRITE_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let old = fs::read(path).map_err(io_err("read", path))?;
    let current_etag = content_etag(&old);
    if !etag_matches(if_match, &current_etag) {
        return Err(WriteBackError::Stale { current_etag });
    }
    let text = std::str::from_utf8(&old).map_err(|e| {
        WriteBackError::UnsupportedFrontMatter(format!("the file is not valid UTF-8 ({e})"))
    })?;
    let new = edit(text)?.into_bytes();
    write_atomically(path, &new)?;
    tracing::info!(path = %path.display(), before = %current_etag, "front matter written back");
    Ok(UpdateOutcome {
        etag: content_etag(&new),
        bytes: new,
    })
}

/// One structural change of front matter, applied by [`edit_document`].
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    /// Sets a top-level key.
    Set {
        /// The key.
        key: String,
        /// Its new value.
        value: Value,
    },
    /// Appends a record to the list at a top-level key, creating the list.
    Append {
        /// The key of the list.
        key: String,
        /// The new last element.
        record: Value,
    },
    /// Sets `field` of the `index`-th record (0-based) of the list at `key`.
    SetInList {
        /// The key of the list.
        key: String,
        /// Which record.
        index: usize,
        /// The record's key.
        field: String,
        /// Its new value.
        value: Value,
    },
}

impl Edit {
    fn key(&self) -> &str {
        match self {
            Edit::Set { key, .. } | Edit::Append { key, .. } | Edit::SetInList { key, .. } => key,
        }
    }
}

/// Like [`update_document`], for structural edits: appending a record to a
/// list (a confirmation) or changing one field of one record (an item's
/// `done`). In YAML only the lines concerned change; where the file's shape
/// does not allow that (flow lists, TOML) the touched keys are rewritten
/// whole, every other key keeping its bytes.
pub fn edit_document(
    path: &Path,
    if_match: &str,
    edits: &[Edit],
) -> Result<UpdateOutcome, WriteBackError> {
    rewrite(path, if_match, |text| apply_edits(text, edits))
}

/// Applies `edits` to the front matter of `text`, keeping every other byte.
pub fn apply_edits(text: &str, edits: &[Edit]) -> Result<String, WriteBackError> {
    after_bom(text, |text| apply_edits_after_bom(text, edits))
}

/// Runs `edit` on `text` without its byte-order mark, and puts the mark back.
/// Only one mark is taken off, as `document::parse` does: a second one is
/// body text, and front matter written after it would not be found.
fn after_bom(
    text: &str,
    edit: impl FnOnce(&str) -> Result<String, WriteBackError>,
) -> Result<String, WriteBackError> {
    match text.strip_prefix(BOM) {
        Some(rest) => edit(rest).map(|out| format!("{BOM}{out}")),
        None => edit(text),
    }
}

fn apply_edits_after_bom(text: &str, edits: &[Edit]) -> Result<String, WriteBackError> {
    let fm = front_matter::split(text);
    let before = match fm.format {
        Some(format) if !fm.unterminated => parse_raw(format, fm.raw)?,
        _ => Map::new(),
    };
    let finals = final_values(&before, edits)?;
    if fm.format == Some(Format::Yaml) && !fm.unterminated {
        if let Some(out) = yaml_precise(text, fm.raw, edits) {
            if verify(&out, &before, &finals_ref(&finals)).is_ok() {
                return Ok(out);
            }
        }
    }
    // The shape did not allow line edits: rewrite the touched keys whole.
    set_keys_after_bom(text, &finals_ref(&finals))
}

fn finals_ref(finals: &[(String, Value)]) -> Vec<(&str, Value)> {
    finals
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect()
}

/// The value each touched key has once `edits` are applied to `before`.
fn final_values(
    before: &Map<String, Value>,
    edits: &[Edit],
) -> Result<Vec<(String, Value)>, WriteBackError> {
    let mut map = before.clone();
    let mut touched: Vec<String> = Vec::new();
    for edit in edits {
        let key = edit.key().to_string();
        let unsupported = |message: String| WriteBackError::UnsupportedValue {
            key: key.clone(),
            message,
        };
        match edit {
            Edit::Set { value, .. } => {
                map.insert(key.clone(), value.clone());
            }
            Edit::Append { record, .. } => match map.entry(key.clone()).or_insert(Value::Null) {
                Value::Array(list) => list.push(record.clone()),
                slot @ Value::Null => *slot = Value::Array(vec![record.clone()]),
                _ => return Err(unsupported("it is not a list".into())),
            },
            Edit::SetInList {
                index,
                field,
                value,
                ..
            } => {
                let record = map
                    .get_mut(&key)
                    .and_then(Value::as_array_mut)
                    .and_then(|list| list.get_mut(*index))
                    .and_then(Value::as_object_mut)
                    .ok_or_else(|| unsupported(format!("it has no record number {index}")))?;
                record.insert(field.clone(), value.clone());
            }
        }
        if !touched.contains(&key) {
            touched.push(key);
        }
    }
    Ok(touched
        .into_iter()
        .map(|k| {
            let v = map.get(&k).cloned().unwrap_or(Value::Null);
            (k, v)
        })
        .collect())
}

/// Line-level YAML edits; `None` when the text has a shape they do not handle.
fn yaml_precise(text: &str, raw: &str, edits: &[Edit]) -> Option<String> {
    let first_end = text.find('\n')?;
    let nl = if text[..first_end].ends_with('\r') {
        "\r\n"
    } else {
        "\n"
    };
    let raw_start = first_end + 1;
    let raw_end = raw_start + raw.len();
    let mut new_raw = raw.to_string();
    for edit in edits {
        new_raw = match edit {
            Edit::Set { key, value } => yaml_set(&new_raw, key, value, nl).ok()?,
            Edit::Append { key, record } => yaml_append(&new_raw, key, record, nl)?,
            Edit::SetInList {
                key,
                index,
                field,
                value,
            } => yaml_set_in_list(&new_raw, key, *index, field, value, nl)?,
        };
    }
    Some(format!(
        "{}{new_raw}{}",
        &text[..raw_start],
        &text[raw_end..]
    ))
}

/// Leading spaces of a line.
fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Whether `line` (after `indent` spaces) starts a block sequence item.
fn is_seq_item(line: &str, indent: usize) -> bool {
    let body = line.trim_end_matches(['\n', '\r']);
    indent_of(body) == indent && {
        let rest = &body[indent..];
        rest == "-" || rest.starts_with("- ")
    }
}

/// The entry of `key` as (range, line ranges relative to it, item indent),
/// when its value is a non-empty block sequence.
fn yaml_block_list(raw: &str, key: &str) -> Option<(Range<usize>, Vec<Range<usize>>, usize)> {
    let range = yaml_entry(raw, key)?;
    let entry = &raw[range.clone()];
    let lines = line_ranges(entry);
    let head = entry[lines.first()?.clone()].trim_end();
    let after_colon = head[head.find(':')? + 1..].trim();
    if !(after_colon.is_empty() || after_colon.starts_with('#')) {
        return None;
    }
    let first_item = lines[1..]
        .iter()
        .map(|r| &entry[r.clone()])
        .find(|l| !is_blank_or_comment(l))?;
    let indent = indent_of(first_item);
    is_seq_item(first_item, indent).then_some((range, lines, indent))
}

/// Appends `record` as a new last item of the block list at `key`.
fn yaml_append(raw: &str, key: &str, record: &Value, nl: &str) -> Option<String> {
    let Some((range, _, indent)) = yaml_block_list(raw, key) else {
        // Missing or flow (`[]`): write the whole list in block style.
        let mut list = match parse_raw(Format::Yaml, raw).ok()?.get(key) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(list)) => list.clone(),
            Some(_) => return None,
        };
        list.push(record.clone());
        return yaml_set(raw, key, &Value::Array(list), nl).ok();
    };
    let mut block = String::new();
    yaml_write_seq_item(&mut block, &" ".repeat(indent), record);
    let block = with_line_endings(&block, nl);
    let at = range.end;
    let lead = if raw[..at].ends_with('\n') { "" } else { nl };
    Some(format!("{}{lead}{block}{}", &raw[..at], &raw[at..]))
}

/// Sets one scalar `field` of the `index`-th item of the block list at `key`.
fn yaml_set_in_list(
    raw: &str,
    key: &str,
    index: usize,
    field: &str,
    value: &Value,
    nl: &str,
) -> Option<String> {
    if is_container(value) {
        return None;
    }
    let (range, lines, indent) = yaml_block_list(raw, key)?;
    let entry = &raw[range.clone()];
    let starts: Vec<usize> = (1..lines.len())
        .filter(|&i| is_seq_item(&entry[lines[i].clone()], indent))
        .collect();
    let first = *starts.get(index)?;
    let end = starts.get(index + 1).copied().unwrap_or(lines.len());
    let key_indent = indent + 2;
    let flow = yaml_flow(value);
    for i in first..end {
        let line = &entry[lines[i].clone()];
        let content_at = if i == first {
            key_indent
        } else {
            indent_of(line)
        };
        if content_at != key_indent || line.len() <= content_at {
            continue;
        }
        if yaml_line_key(&line[content_at..]).as_deref() != Some(field) {
            continue;
        }
        // A value continued on deeper-indented lines is not a scalar we can swap.
        let continued = lines[i + 1..end]
            .iter()
            .map(|r| &entry[r.clone()])
            .find(|l| !l.trim().is_empty())
            .is_some_and(|l| indent_of(l) > key_indent);
        if continued {
            return None;
        }
        let terminator = &line[line.trim_end_matches(['\n', '\r']).len()..];
        let new_line = format!("{}{field}: {flow}{terminator}", &line[..content_at]);
        let abs = range.start + lines[i].start..range.start + lines[i].end;
        return Some(splice(raw, abs, &new_line));
    }
    // Not there yet: add it after the item's last non-blank line.
    let last = (first..end)
        .rev()
        .find(|&i| !entry[lines[i].clone()].trim().is_empty())?;
    let at = range.start + lines[last].end;
    let lead = if raw[..at].ends_with('\n') { "" } else { nl };
    let line = format!("{lead}{}{field}: {flow}{nl}", " ".repeat(key_indent));
    Some(format!("{}{line}{}", &raw[..at], &raw[at..]))
}

/// Most numbered variants of a new file's name tried before giving up.
const MAX_NAME_ATTEMPTS: u32 = 1000;

/// Creates `dir/stem.ext` (or `stem-2.ext`, `stem-3.ext`, ... when taken)
/// with `contents`, atomically and never replacing an existing file: the
/// content is written and synced to a temp file first, then hard-linked
/// under the new name, which fails instead of overwriting.
pub fn create_new_atomically(
    dir: &Path,
    stem: &str,
    ext: &str,
    contents: &[u8],
) -> Result<PathBuf, WriteBackError> {
    fs::create_dir_all(dir).map_err(io_err("create folder", dir))?;
    let tmp = dir.join(format!(
        ".{stem}.{ext}.{TEMP_MARKER}-{}-{}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(io_err("create", &tmp))?;
        file.write_all(contents).map_err(io_err("write", &tmp))?;
        file.sync_all().map_err(io_err("sync", &tmp))?;
        drop(file);
        for n in 1..=MAX_NAME_ATTEMPTS {
            let name = if n == 1 {
                format!("{stem}.{ext}")
            } else {
                format!("{stem}-{n}.{ext}")
            };
            let target = dir.join(name);
            match fs::hard_link(&tmp, &target) {
                Ok(()) => {
                    sync_dir(dir)?;
                    return Ok(target);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(io_err("create", &target)(e)),
            }
        }
        Err(WriteBackError::Io {
            action: "find a free name in",
            path: dir.to_path_buf(),
            source: io::Error::new(
                io::ErrorKind::AlreadyExists,
                "every candidate name is taken",
            ),
        })
    })();
    // The temp name is only a staging link; the new file keeps its own.
    let _ = fs::remove_file(&tmp);
    result
}

/// Compares an `If-Match` value with an ETag, tolerating a weak prefix or missing quotes.
fn etag_matches(if_match: &str, etag: &str) -> bool {
    let strip = |s: &str| {
        let s = s.trim();
        let s = s.strip_prefix("W/").unwrap_or(s);
        s.trim_matches('"').to_string()
    };
    if_match
        .split(',')
        .any(|candidate| strip(candidate) == strip(etag))
}

/// Replaces `path` with `contents` via a same-folder temp file, fsync and rename.
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), WriteBackError> {
    let name = path.file_name().ok_or_else(|| WriteBackError::Io {
        action: "write",
        path: path.to_path_buf(),
        source: io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"),
    })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = dir.join(format!(
        ".{}.{TEMP_MARKER}-{}-{}",
        name.to_string_lossy(),
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = write_and_rename(&tmp, path, &dir, contents);
    if result.is_err() {
        // Best effort: the temp file may not exist, or may already be renamed.
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Removes temp files that a killed baton left behind (its rename never
/// happened, so the real file is intact and the temp file is garbage).
/// Only files whose writer process is gone are touched. Returns how many.
pub fn remove_stale_temp_files(root: &Path) -> usize {
    let mut removed = 0;
    for entry in walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
    {
        let name = entry.file_name().to_string_lossy();
        let Some(pid) = temp_file_pid(&name) else {
            continue;
        };
        if pid == std::process::id() || process_alive(pid) {
            continue;
        }
        match fs::remove_file(entry.path()) {
            Ok(()) => {
                tracing::warn!(path = %entry.path().display(), "removed a temp file left by an interrupted write");
                removed += 1;
            }
            Err(e) => {
                tracing::warn!(path = %entry.path().display(), error = %e, "cannot remove a stale temp file")
            }
        }
    }
    removed
}

/// The writer's process id in a temp file name `.NAME.baton-tmp-PID-N`.
fn temp_file_pid(name: &str) -> Option<u32> {
    if !name.starts_with('.') {
        return None;
    }
    let (_, rest) = name.rsplit_once(&format!(".{TEMP_MARKER}-"))?;
    let (pid, counter) = rest.split_once('-')?;
    counter.parse::<u64>().ok()?;
    pid.parse().ok()
}

#[cfg(target_os = "linux")]
fn process_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(not(target_os = "linux"))]
fn process_alive(_pid: u32) -> bool {
    // Without a cheap check, keep the file: garbage is better than a race.
    true
}

fn write_and_rename(
    tmp: &Path,
    path: &Path,
    dir: &Path,
    contents: &[u8],
) -> Result<(), WriteBackError> {
    let permissions = fs::metadata(path).ok().map(|m| m.permissions());
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(tmp)
        .map_err(io_err("create", tmp))?;
    file.write_all(contents).map_err(io_err("write", tmp))?;
    if let Some(permissions) = permissions {
        file.set_permissions(permissions)
            .map_err(io_err("set permissions of", tmp))?;
    }
    file.sync_all().map_err(io_err("sync", tmp))?;
    drop(file);
    fs::rename(tmp, path).map_err(io_err("replace", path))?;
    sync_dir(dir)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<(), WriteBackError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err("sync folder", dir))
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<(), WriteBackError> {
    // Folders cannot be opened for fsync on this platform; rename is durable enough.
    Ok(())
}

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> WriteBackError {
    let path = path.to_path_buf();
    move |source| WriteBackError::Io {
        action,
        path,
        source,
    }
}

/// Sets top-level front-matter keys, keeping every other byte of `text`.
pub fn set_front_matter_keys(
    text: &str,
    updates: &[(&str, Value)],
) -> Result<String, WriteBackError> {
    after_bom(text, |text| set_keys_after_bom(text, updates))
}

fn set_keys_after_bom(text: &str, updates: &[(&str, Value)]) -> Result<String, WriteBackError> {
    let fm = front_matter::split(text);
    if fm.unterminated {
        return Err(WriteBackError::UnsupportedFrontMatter(
            "the front matter opens on line 1 but is never closed".into(),
        ));
    }
    let first_end = text.find('\n').unwrap_or(text.len());
    let nl = if text[..first_end].ends_with('\r') {
        "\r\n"
    } else {
        "\n"
    };
    let Some(format) = fm.format else {
        return prepend_front_matter(text, updates, nl);
    };
    let raw_start = (first_end + 1).min(text.len());
    let raw_end = raw_start + fm.raw.len();
    let before = parse_raw(format, fm.raw)?;
    let mut raw = fm.raw.to_string();
    for (key, value) in updates {
        raw = match format {
            Format::Yaml => yaml_set(&raw, key, value, nl)?,
            Format::Toml => toml_set(&raw, key, value, nl)?,
        };
    }
    let out = format!("{}{raw}{}", &text[..raw_start], &text[raw_end..]);
    verify(&out, &before, updates)?;
    Ok(out)
}

fn prepend_front_matter(
    text: &str,
    updates: &[(&str, Value)],
    nl: &str,
) -> Result<String, WriteBackError> {
    let mut raw = String::new();
    for (key, value) in updates {
        raw = yaml_set(&raw, key, value, nl)?;
    }
    let out = format!("---{nl}{raw}---{nl}{text}");
    verify(&out, &Map::new(), updates)?;
    Ok(out)
}

/// Re-parses `out` and checks that only the updated keys changed.
fn verify(
    out: &str,
    before: &Map<String, Value>,
    updates: &[(&str, Value)],
) -> Result<(), WriteBackError> {
    let fm = front_matter::split(out);
    let format = fm
        .format
        .ok_or_else(|| WriteBackError::Verification("the front matter disappeared".into()))?;
    let after = parse_raw(format, fm.raw)
        .map_err(|e| WriteBackError::Verification(format!("the result does not parse: {e}")))?;
    let mut expected = before.clone();
    for (key, value) in updates {
        expected.insert((*key).to_string(), value.clone());
    }
    for (key, want) in &expected {
        let got = after.get(key);
        if got != Some(want) {
            return Err(WriteBackError::Verification(format!(
                "`{key}` would read back as {} instead of {want}",
                got.map_or_else(|| "nothing".to_string(), Value::to_string)
            )));
        }
    }
    if let Some(extra) = after.keys().find(|k| !expected.contains_key(*k)) {
        return Err(WriteBackError::Verification(format!(
            "an unexpected key `{extra}` would appear"
        )));
    }
    Ok(())
}

/// Parses front-matter text to a JSON map (the shape the index sees).
fn parse_raw(format: Format, raw: &str) -> Result<Map<String, Value>, WriteBackError> {
    // Front matter starts on file line 2, after the opening fence.
    const FIRST_LINE: usize = 2;
    let value = match format {
        Format::Yaml => {
            serde_yaml_ng::from_str::<Value>(raw).map_err(|e| WriteBackError::Unparsable {
                line: e
                    .location()
                    .map_or(FIRST_LINE, |l| FIRST_LINE + l.line() - 1),
                message: e.to_string(),
            })?
        }
        Format::Toml => {
            let table: toml::Table =
                toml::from_str(raw).map_err(|e| WriteBackError::Unparsable {
                    line: e.span().map_or(FIRST_LINE, |s| {
                        let upto = &raw.as_bytes()[..s.start.min(raw.len())];
                        FIRST_LINE + upto.iter().filter(|&&b| b == b'\n').count()
                    }),
                    message: e.message().trim().to_string(),
                })?;
            toml_to_json(toml::Value::Table(table))
        }
    };
    match value {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        _ => Err(WriteBackError::UnsupportedFrontMatter(
            "the front matter is not a mapping of keys to values".into(),
        )),
    }
}

fn toml_to_json(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

/// Byte ranges of the lines of `s`, each including its line terminator.
fn line_ranges(s: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < s.len() {
        let end = s[pos..].find('\n').map_or(s.len(), |i| pos + i + 1);
        out.push(pos..end);
        pos = end;
    }
    out
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

/// Replaces `range` of `raw` with `with`.
fn splice(raw: &str, range: Range<usize>, with: &str) -> String {
    format!("{}{with}{}", &raw[..range.start], &raw[range.end..])
}

/// Inserts a block of lines at the end of `raw`, ending its last line first.
fn append_lines(raw: &str, block: &str, nl: &str) -> String {
    if raw.is_empty() || raw.ends_with('\n') {
        format!("{raw}{block}")
    } else {
        format!("{raw}{nl}{block}")
    }
}

/// `new` (one line) with the trailing comment of `old` (one line) kept, if it had one.
fn keep_comment(old: &str, new: &str, format: Format) -> String {
    let one_line = |s: &str| s.trim_end().lines().count() == 1;
    let comment = (one_line(old) && one_line(new))
        .then(|| trailing_comment(old, format))
        .flatten();
    match comment {
        Some(comment) => {
            let body = new.trim_end_matches(['\n', '\r']);
            format!("{body}{comment}{}", &new[body.len()..])
        }
        None => new.to_string(),
    }
}

/// The trailing `  # comment` of a one-line entry: the first `#` whose
/// removal leaves a line that parses to the same value (so not one in a string).
fn trailing_comment(line: &str, format: Format) -> Option<&str> {
    let body = line.trim_end_matches(['\n', '\r']);
    let full = parse_raw(format, body).ok()?;
    body.match_indices('#')
        .map(|(i, _)| i)
        .filter(|&i| body[..i].ends_with([' ', '\t']))
        .find(|&i| parse_raw(format, &body[..i]).ok().as_ref() == Some(&full))
        .map(|i| &body[body[..i].trim_end_matches([' ', '\t']).len()..])
}

fn with_line_endings(s: &str, nl: &str) -> String {
    if nl == "\n" {
        s.to_string()
    } else {
        s.replace('\n', nl)
    }
}

// ---------------------------------------------------------------- YAML

/// The key named by a top-level YAML mapping line, if it is one.
fn yaml_line_key(line: &str) -> Option<String> {
    let line = line.trim_end_matches(['\n', '\r']);
    let first = line.chars().next()?;
    if first.is_whitespace() || first == '#' || line == "-" || line.starts_with("- ") {
        return None;
    }
    if first == '"' || first == '\'' {
        let close = line[1..].find(first)? + 1;
        let rest = line[close + 1..].trim_start();
        return rest.starts_with(':').then(|| line[1..close].to_string());
    }
    let colon = line
        .match_indices(':')
        .map(|(i, _)| i)
        .find(|&i| line[i + 1..].is_empty() || line[i + 1..].starts_with([' ', '\t']))?;
    let key = line[..colon].trim_end();
    (!key.is_empty() && !key.contains(['[', ']', '{', '}', ',', '"'])).then(|| key.to_string())
}

/// The byte range of `key`'s entry (key line through its value) in `raw`.
fn yaml_entry(raw: &str, key: &str) -> Option<Range<usize>> {
    let lines = line_ranges(raw);
    let start = lines
        .iter()
        .position(|r| yaml_line_key(&raw[r.clone()]).as_deref() == Some(key))?;
    let mut end = lines[start + 1..]
        .iter()
        .position(|r| yaml_line_key(&raw[r.clone()]).is_some())
        .map_or(lines.len(), |i| start + 1 + i);
    // Trailing blank lines and column-0 comments belong to what follows; an
    // indented `#` line may be the content of a block scalar, so it stays.
    while end > start + 1 && {
        let line = &raw[lines[end - 1].clone()];
        line.trim().is_empty() || line.starts_with('#')
    } {
        end -= 1;
    }
    Some(lines[start].start..lines[end - 1].end)
}

fn yaml_set(raw: &str, key: &str, value: &Value, nl: &str) -> Result<String, WriteBackError> {
    let mut entry = String::new();
    yaml_write_entry(&mut entry, "", key, value);
    let entry = with_line_endings(&entry, nl);
    Ok(match yaml_entry(raw, key) {
        Some(range) => {
            let entry = keep_comment(&raw[range.clone()], &entry, Format::Yaml);
            splice(raw, range, &entry)
        }
        None => append_lines(raw, &entry, nl),
    })
}

/// Writes `key: value` at `indent`, block style for lists of maps and maps.
fn yaml_write_entry(out: &mut String, indent: &str, key: &str, value: &Value) {
    out.push_str(indent);
    out.push_str(&yaml_scalar(key, false));
    out.push(':');
    match value {
        Value::Array(items) if items.iter().any(is_container) => {
            out.push('\n');
            let inner = format!("{indent}{YAML_INDENT}");
            for item in items {
                yaml_write_seq_item(out, &inner, item);
            }
        }
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            let inner = format!("{indent}{YAML_INDENT}");
            for (k, v) in map {
                yaml_write_entry(out, &inner, k, v);
            }
        }
        _ => {
            out.push(' ');
            out.push_str(&yaml_flow(value));
            out.push('\n');
        }
    }
}

/// Writes one `- item` of a block sequence at `indent`.
fn yaml_write_seq_item(out: &mut String, indent: &str, item: &Value) {
    match item {
        Value::Object(map) if !map.is_empty() => {
            let inner = format!("{indent}{YAML_INDENT}");
            for (i, (k, v)) in map.iter().enumerate() {
                let mut entry = String::new();
                yaml_write_entry(&mut entry, &inner, k, v);
                if i == 0 {
                    // The first key shares the dash's line.
                    out.push_str(indent);
                    out.push_str("- ");
                    out.push_str(&entry[inner.len()..]);
                } else {
                    out.push_str(&entry);
                }
            }
        }
        _ => {
            out.push_str(indent);
            out.push_str("- ");
            out.push_str(&yaml_flow(item));
            out.push('\n');
        }
    }
}

fn is_container(v: &Value) -> bool {
    matches!(v, Value::Array(_) | Value::Object(_))
}

/// A value in YAML flow style (`[a, b]`, `{k: v}`, scalars).
fn yaml_flow(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => yaml_scalar(s, true),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(yaml_flow).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Object(map) => {
            let parts: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", yaml_scalar(k, true), yaml_flow(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

/// A string as a YAML scalar: plain when unambiguous, else double-quoted.
fn yaml_scalar(s: &str, in_flow: bool) -> String {
    if yaml_plain_ok(s, in_flow) {
        s.to_string()
    } else {
        // A JSON string is a valid YAML double-quoted scalar.
        Value::String(s.to_string()).to_string()
    }
}

fn yaml_plain_ok(s: &str, in_flow: bool) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let lower = s.to_lowercase();
    !(YAML_INDICATORS.contains(&first)
        || YAML_RESERVED.contains(&lower.as_str())
        || looks_numeric(s)
        || s != s.trim()
        || s.contains([':', '#', '\\'])
        || s.chars().any(char::is_control)
        || (in_flow && s.contains([',', '[', ']', '{', '}']))
        || serde_yaml_ng::from_str::<Value>(s).ok() != Some(Value::String(s.to_string())))
}

/// Whether some YAML reader could take `s` for a number, date or time
/// (`2025-03-27`, `1_000`, `0o17`, `1e3`): one ASCII token starting with a digit.
fn looks_numeric(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '_' | '-' | '+'))
}

// ---------------------------------------------------------------- TOML

/// One top-level item of TOML text.
#[derive(Debug)]
enum TomlItem {
    /// `key = value`, possibly spanning lines.
    KeyValue { key: String, range: Range<usize> },
    /// `[name]` or `[[name]]` with the lines up to the next header.
    Section { name: String, range: Range<usize> },
}

/// Splits TOML text into key-values before the first header, and sections.
fn toml_items(raw: &str) -> Vec<TomlItem> {
    let lines = line_ranges(raw);
    let mut items = Vec::new();
    let mut i = 0;
    let mut section: Option<(String, usize)> = None;
    while i < lines.len() {
        let line = &raw[lines[i].clone()];
        if let Some(name) = toml_header(line) {
            close_section(raw, &lines, i, &mut section, &mut items);
            section = Some((name, i));
            i += 1;
        } else if is_blank_or_comment(line) {
            i += 1;
        } else {
            let end = toml_value_end(raw, &lines, i);
            if section.is_none() {
                let key = line.split('=').next().unwrap_or("").trim();
                items.push(TomlItem::KeyValue {
                    key: unquote_key(key),
                    range: lines[i].start..lines[end - 1].end,
                });
            }
            i = end;
        }
    }
    close_section(raw, &lines, lines.len(), &mut section, &mut items);
    items
}

fn close_section(
    raw: &str,
    lines: &[Range<usize>],
    next: usize,
    section: &mut Option<(String, usize)>,
    items: &mut Vec<TomlItem>,
) {
    if let Some((name, start)) = section.take() {
        let mut end = next;
        while end > start + 1 && is_blank_or_comment(&raw[lines[end - 1].clone()]) {
            end -= 1;
        }
        items.push(TomlItem::Section {
            name,
            range: lines[start].start..lines[end - 1].end,
        });
    }
}

/// The first line after the key-value starting at line `i` (multi-line aware).
fn toml_value_end(raw: &str, lines: &[Range<usize>], i: usize) -> usize {
    (i + 1..=lines.len())
        .find(|&end| {
            toml::from_str::<toml::Table>(&raw[lines[i].start..lines[end - 1].end]).is_ok()
        })
        .unwrap_or(i + 1)
}

/// The table name of a `[name]` / `[[name]]` header line.
fn toml_header(line: &str) -> Option<String> {
    let t = line.trim();
    if !t.starts_with('[') {
        return None;
    }
    // A header parses as a document by itself; an array continuation does not.
    toml::from_str::<toml::Table>(t).ok()?;
    let inner = t.trim_start_matches('[');
    let close = inner.find(']')?;
    Some(unquote_key(inner[..close].trim()))
}

fn unquote_key(k: &str) -> String {
    k.trim_matches(|c| c == '"' || c == '\'').to_string()
}

fn belongs_to(section: &str, key: &str) -> bool {
    section == key
        || section
            .strip_prefix(key)
            .is_some_and(|r| r.starts_with('.'))
}

fn toml_set(raw: &str, key: &str, value: &Value, nl: &str) -> Result<String, WriteBackError> {
    let unsupported = |message: String| WriteBackError::UnsupportedValue {
        key: key.to_string(),
        message,
    };
    let toml_value = toml::Value::try_from(value).map_err(|e| unsupported(e.to_string()))?;
    let as_tables = matches!(value, Value::Array(items)
        if !items.is_empty() && items.iter().all(Value::is_object));
    let mut table = toml::Table::new();
    table.insert(key.to_string(), toml_value);
    let text = toml::to_string(&table).map_err(|e| unsupported(e.to_string()))?;
    let text = toml_line_endings(text.trim_end_matches('\n'), nl) + nl;
    let items = toml_items(raw);
    let mine: Vec<Range<usize>> = items
        .iter()
        .filter_map(|item| match item {
            TomlItem::KeyValue { key: k, range } if k == key => Some(range.clone()),
            TomlItem::Section { name, range } if belongs_to(name, key) => Some(range.clone()),
            _ => None,
        })
        .collect();
    let mine = merge_adjacent(raw, mine);
    let is_section_text = text.trim_start().starts_with('[');
    let mut out = raw.to_string();
    // Remove from the end so earlier ranges stay valid; the first one gets the new text.
    for (n, range) in mine.iter().enumerate().rev() {
        let replacement = if n == 0 && (is_section_text == is_section(&items, range)) {
            keep_comment(&raw[range.clone()], &text, Format::Toml)
        } else {
            String::new()
        };
        out = splice(&out, range.clone(), &replacement);
    }
    let placed = mine
        .first()
        .is_some_and(|r| is_section_text == is_section(&items, r));
    if placed {
        return Ok(out);
    }
    Ok(if is_section_text || as_tables {
        toml_append_section(&out, &text, nl)
    } else {
        toml_insert_top_level(&out, &text, nl)
    })
}

/// Converts line breaks to `nl`; inside multi-line basic strings, whose
/// newlines are part of the value (a CRLF would read back as `\r\n`), they
/// become `\n` escapes so the file keeps one line-ending style.
fn toml_line_endings(text: &str, nl: &str) -> String {
    const DELIMITERS: [&str; 2] = ["\"\"\"", "'''"];
    let mut out = String::with_capacity(text.len());
    let mut open: Option<&str> = None;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some(d) = DELIMITERS.iter().find(|d| rest.starts_with(**d)) {
            if open.is_none() || open == Some(*d) {
                open = if open.is_some() { None } else { Some(*d) };
                out.push_str(d);
                rest = &rest[d.len()..];
                continue;
            }
        }
        if c == '\\' && open == Some(DELIMITERS[0]) {
            // An escape: copy it with the escaped character, which may be a quote.
            let len = rest.chars().take(2).map(char::len_utf8).sum();
            out.push_str(&rest[..len]);
            rest = &rest[len..];
            continue;
        }
        let at_open = open.is_some() && DELIMITERS.iter().any(|d| out.ends_with(d));
        match (c, open) {
            ('\n', None) => out.push_str(nl),
            // Right after `"""` a line break is not part of the value.
            ('\n', Some(_)) if at_open => out.push_str(nl),
            ('\n', Some(d)) if d == DELIMITERS[0] => out.push_str("\\n"),
            _ => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Whether `range` starts with a table header (merged ranges keep their first item's kind).
fn is_section(items: &[TomlItem], range: &Range<usize>) -> bool {
    items
        .iter()
        .any(|item| matches!(item, TomlItem::Section { range: r, .. } if r.start == range.start))
}

/// Joins ranges separated only by blank lines and comments, so that removing
/// a run of `[[key]]` sections also removes the blank lines between them.
fn merge_adjacent(raw: &str, ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    let mut merged: Vec<Range<usize>> = Vec::new();
    for range in ranges {
        match merged.last_mut() {
            Some(last) if raw[last.end..range.start].lines().all(is_blank_or_comment) => {
                last.end = range.end;
            }
            _ => merged.push(range),
        }
    }
    merged
}

/// Appends sections at the end, separated by a blank line.
fn toml_append_section(raw: &str, text: &str, nl: &str) -> String {
    let trimmed = raw.trim_end();
    if trimmed.is_empty() {
        return append_lines(raw, text, nl);
    }
    let needs_blank = !raw.ends_with(&format!("{nl}{nl}"));
    let sep = if needs_blank { nl } else { "" };
    append_lines(&append_lines(raw, sep, nl), text, nl)
}

/// Inserts `key = value` after the last top-level key-value, before any header.
fn toml_insert_top_level(raw: &str, text: &str, nl: &str) -> String {
    let items = toml_items(raw);
    let last_kv = items.iter().rev().find_map(|item| match item {
        TomlItem::KeyValue { range, .. } => Some(range.end),
        TomlItem::Section { .. } => None,
    });
    let first_section = items.iter().find_map(|item| match item {
        TomlItem::Section { range, .. } => Some(range.start),
        TomlItem::KeyValue { .. } => None,
    });
    match (last_kv, first_section) {
        (Some(at), _) => {
            let lead = if raw[..at].ends_with('\n') { "" } else { nl };
            format!("{}{lead}{text}{}", &raw[..at], &raw[at..])
        }
        (None, Some(at)) => format!("{}{text}{nl}{}", &raw[..at], &raw[at..]),
        (None, None) => append_lines(raw, text, nl),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn stale_temp_files_of_dead_writers_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let dead = dir.path().join(".a.md.baton-tmp-4999999-0"); // above Linux's highest pid_max
        let mine = dir
            .path()
            .join(format!(".b.md.baton-tmp-{}-1", std::process::id()));
        let other = dir.path().join(".c.md.swp");
        for p in [&dead, &mine, &other] {
            std::fs::write(p, "x").unwrap();
        }
        assert_eq!(remove_stale_temp_files(dir.path()), 1);
        assert!(!dead.exists() && mine.exists() && other.exists());
        assert_eq!(temp_file_pid(".x.md.baton-tmp-12-3"), Some(12));
        assert_eq!(temp_file_pid("x.md"), None);
    }

    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_scalars_quote_only_when_needed() {
        assert_eq!(yaml_scalar("切換備援流程", true), "切換備援流程");
        assert_eq!(yaml_scalar("00:12:30", true), "\"00:12:30\"");
        assert_eq!(yaml_scalar("yes", true), "\"yes\"");
        assert_eq!(yaml_scalar("- x", true), "\"- x\"");
        assert_eq!(yaml_scalar("a, b", true), "\"a, b\"");
        assert_eq!(yaml_scalar("a, b", false), "a, b");
        assert_eq!(yaml_scalar("", true), "\"\"");
        assert_eq!(yaml_scalar("2025-03-27", true), "\"2025-03-27\"");
        assert_eq!(yaml_scalar("1e3", true), "\"1e3\"");
        assert_eq!(yaml_scalar("503", true), "\"503\"");
        assert_eq!(yaml_scalar("0800 网络管理报文", true), "0800 网络管理报文");
        assert_eq!(yaml_scalar("ORA-01555", true), "ORA-01555");
    }

    #[test]
    fn yaml_key_lines() {
        assert_eq!(yaml_line_key("tags: [a]\n").as_deref(), Some("tags"));
        assert_eq!(
            yaml_line_key("\"odd key\": 1\r\n").as_deref(),
            Some("odd key")
        );
        assert_eq!(yaml_line_key("url: http://x\n").as_deref(), Some("url"));
        assert_eq!(yaml_line_key("  - at: x\n"), None);
        assert_eq!(yaml_line_key("- a\n"), None);
        assert_eq!(yaml_line_key("# c: d\n"), None);
        assert_eq!(yaml_line_key("b]\n"), None);
    }

    #[test]
    fn toml_items_skip_multiline_arrays() {
        let raw = "a = [\n  [1, 2],\n  [3],\n]\nb = 1\n\n[[s]]\nx = 1\n\n[t]\ny = 2\n";
        let items = toml_items(raw);
        let names: Vec<String> = items
            .iter()
            .map(|i| match i {
                TomlItem::KeyValue { key, .. } => format!("kv:{key}"),
                TomlItem::Section { name, .. } => format!("sec:{name}"),
            })
            .collect();
        assert_eq!(names, ["kv:a", "kv:b", "sec:s", "sec:t"]);
    }

    #[test]
    fn etag_comparison_tolerates_weak_and_unquoted() {
        let etag = content_etag(b"x");
        assert!(etag_matches(&etag, &etag));
        assert!(etag_matches(&format!("W/{etag}"), &etag));
        assert!(etag_matches(etag.trim_matches('"'), &etag));
        assert!(!etag_matches("\"nope\"", &etag));
    }

    const HANDOVER: &str = "---\ntitle: T\nitems:\n  - topic: a  # first\n    done: false\n  - topic: b\n    stage: x\nconfirmations:\n  - by: A\n    note: ok\nstatus: planned\n---\nbody\n";

    #[test]
    fn appends_records_and_sets_item_fields_line_by_line() {
        let edits = [
            Edit::Append {
                key: "confirmations".into(),
                record: json!({"by": "B", "date": "2026-11-20", "item": "b"}),
            },
            Edit::SetInList {
                key: "items".into(),
                index: 1,
                field: "done".into(),
                value: json!(true),
            },
            Edit::SetInList {
                key: "items".into(),
                index: 0,
                field: "done".into(),
                value: json!(true),
            },
        ];
        let out = apply_edits(HANDOVER, &edits).unwrap();
        assert_eq!(
            out,
            "---\ntitle: T\nitems:\n  - topic: a  # first\n    done: true\n  - topic: b\n    stage: x\n    done: true\nconfirmations:\n  - by: A\n    note: ok\n  - by: B\n    date: \"2026-11-20\"\n    item: b\nstatus: planned\n---\nbody\n"
        );
    }

    #[test]
    fn appends_to_flow_and_missing_lists_and_toml() {
        let text = "---\ntitle: T\nconfirmations: []\n---\nbody\n";
        let edit = [Edit::Append {
            key: "confirmations".into(),
            record: json!({"by": "B"}),
        }];
        assert_eq!(
            apply_edits(text, &edit).unwrap(),
            "---\ntitle: T\nconfirmations:\n  - by: B\n---\nbody\n"
        );
        let text = "+++\ntitle = \"T\"\n\n[[confirmations]]\nby = \"A\"\n+++\nbody\n";
        let out = apply_edits(text, &edit).unwrap();
        assert!(out.starts_with("+++\ntitle = \"T\"\n"), "{out}");
        let toml_item = "+++\ntitle = \"T\"\n\n[[items]]\ntopic = \"a\"\ndone = false\n+++\nbody\n";
        let done = [Edit::SetInList {
            key: "items".into(),
            index: 0,
            field: "done".into(),
            value: json!(true),
        }];
        assert_eq!(
            apply_edits(toml_item, &done).unwrap(),
            "+++\ntitle = \"T\"\n\n[[items]]\ndone = true\ntopic = \"a\"\n+++\nbody\n"
        );
        assert!(out.ends_with("by = \"B\"\n+++\nbody\n"), "{out}");
        let crlf = "---\r\ntitle: T\r\nconfirmations:\r\n  - by: A\r\n---\r\nbody\r\n";
        assert_eq!(
            apply_edits(crlf, &edit).unwrap(),
            "---\r\ntitle: T\r\nconfirmations:\r\n  - by: A\r\n  - by: B\r\n---\r\nbody\r\n"
        );
    }

    #[test]
    fn new_files_never_replace_existing_ones() {
        let dir = tempfile::tempdir().unwrap();
        let a = create_new_atomically(dir.path(), "note", "md", b"one").unwrap();
        let b = create_new_atomically(dir.path(), "note", "md", b"two").unwrap();
        assert_eq!(a.file_name().unwrap(), "note.md");
        assert_eq!(b.file_name().unwrap(), "note-2.md");
        assert_eq!(fs::read(&a).unwrap(), b"one");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn yaml_block_for_lists_of_maps() {
        let mut out = String::new();
        let v = json!([{"at": "00:12:30", "label": "切換", "tags": ["x"]}]);
        yaml_write_entry(&mut out, "", "segments", &v);
        assert_eq!(
            out,
            "segments:\n  - at: \"00:12:30\"\n    label: 切換\n    tags: [x]\n"
        );
    }
}
