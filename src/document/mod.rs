//! Markdown file -> [`Document`]: front matter, title, headings, plain text
//! (code blocks included, so commands and error messages are findable) and
//! links. Parsing never fails: whatever goes wrong becomes a [`Problem`] on the
//! document, and whatever text could be read is kept (DESIGN principle 7).

pub mod front_matter;
pub mod markdown;
pub mod render;
pub mod transcript;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde_json::{Map, Value};
use unicode_normalization::UnicodeNormalization;

use crate::doc_id::DocId;
use crate::problem::Problem;
use crate::schema::{FieldType, Schema};

pub use markdown::{Heading, Link};

/// Largest file read in full. Real runbooks and release notes stay under
/// 1 MB; past 10 MB a file is a log dump or an export, and reading it whole
/// would stall the writer. Larger files are indexed up to this size.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// How many leading bytes are inspected for NUL to call a file binary.
const BINARY_SNIFF_BYTES: usize = 8192;

/// A parsed corpus file, ready to index.
#[derive(Clone, Debug)]
pub struct Document {
    /// Corpus-relative path.
    pub id: DocId,
    /// Document kind (from front matter, folder rule, or the default).
    pub kind: String,
    /// Title: front matter, else first H1, else the file name.
    pub title: String,
    /// Headings in order.
    pub headings: Vec<Heading>,
    /// Plain text of the body, code included.
    pub body: String,
    /// Links found in the body.
    pub links: Vec<Link>,
    /// Every front-matter key, typed or not, as written.
    pub meta: Map<String, Value>,
    /// Keyword and keywords fields, normalised.
    pub keywords: BTreeMap<String, Vec<String>>,
    /// Text and records fields, as searchable text.
    pub texts: BTreeMap<String, String>,
    /// Date fields.
    pub dates: BTreeMap<String, DateTime<FixedOffset>>,
    /// Integer fields.
    pub integers: BTreeMap<String, i64>,
    /// The kind's "updated" date (see `updated_from` in the schema).
    pub updated: Option<DateTime<FixedOffset>>,
    /// What is wrong with the file.
    pub problems: Vec<Problem>,
    /// Content hash (blake3, hex) of the file's bytes.
    pub hash: String,
    /// File size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime: i64,
    /// Time-coded moments of a recording: front-matter segments and
    /// transcript cues, in time order.
    pub segments: Vec<transcript::Segment>,
    /// The transcript file whose cues are in `segments`, if any.
    pub transcript: Option<transcript::TranscriptFile>,
    /// Who may read it.
    pub access: crate::visibility::DocAccess,
}

impl Document {
    /// The document id.
    pub fn doc_id(&self) -> &DocId {
        &self.id
    }

    /// Corpus files this document plays or shows: its transcript and a
    /// recording given as a path inside the corpus.
    pub fn media_files(&self) -> Vec<DocId> {
        let mut out: Vec<DocId> = self.transcript.iter().map(|t| t.id.clone()).collect();
        if let Some(rec) = self.meta.get("recording").and_then(Value::as_str) {
            let rec = rec.trim();
            if !rec.contains(':') {
                out.extend(self.id.join(rec));
            }
        }
        out
    }

    /// Values of a keyword(s) field, empty when absent.
    pub fn keyword_values(&self, field: &str) -> &[String] {
        self.keywords.get(field).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// Why a file could not be loaded at all.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Deleted (or renamed) between listing and reading.
    #[error("{0}: file disappeared before it could be read")]
    Gone(String),
    /// Any other I/O failure (permissions, a folder named `.md`).
    #[error("{path}: {source}")]
    Io {
        /// The document id.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Reads and parses `id` under `root`.
pub fn load(
    root: &Path,
    id: &DocId,
    schema: &Schema,
    max_bytes: u64,
) -> Result<Document, LoadError> {
    let path = id.to_path(root);
    let io = |source: std::io::Error| match source.kind() {
        std::io::ErrorKind::NotFound => LoadError::Gone(id.to_string()),
        _ => LoadError::Io {
            path: id.to_string(),
            source,
        },
    };
    let file = std::fs::File::open(&path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if meta.is_dir() {
        return Err(LoadError::Io {
            path: id.to_string(),
            source: std::io::Error::other("is a folder"),
        });
    }
    let mut bytes = Vec::with_capacity(meta.len().min(max_bytes) as usize);
    file.take(max_bytes).read_to_end(&mut bytes).map_err(io)?;
    let mut doc = parse_bytes(id.clone(), &bytes, schema);
    if meta.len() > max_bytes {
        doc.problems.push(Problem::error(
            id.as_str(),
            None,
            "too-large",
            format!(
                "file is {} bytes, over the {max_bytes}-byte limit; only the beginning is indexed",
                meta.len()
            ),
        ));
    }
    doc.size = meta.len();
    doc.mtime = mtime_nanos(&meta);
    attach_transcript(root, &mut doc);
    Ok(doc)
}

/// Adds the cues of the document's transcript (if it has one) to its
/// segments, and folds the transcript into the document's hash, size and
/// mtime, so that editing only the transcript re-indexes the record.
pub fn attach_transcript(root: &Path, doc: &mut Document) {
    let Some(tid) = transcript::locate(root, &doc.id, &doc.meta) else {
        return;
    };
    if !corpus_contains(root, &tid.to_path(root)) {
        doc.problems.push(Problem::warning(
            doc.id.as_str(),
            None,
            "transcript",
            format!("transcript {tid} is outside the corpus; ignored"),
        ));
        return;
    }
    let Some((file, cues)) = transcript::load(root, &tid, &doc.id, &mut doc.problems) else {
        return;
    };
    doc.segments.extend(cues);
    doc.segments.sort_by_key(|s| s.seconds);
    let (size, mtime) = transcript::fold_stamp(doc.size, doc.mtime, Some((file.size, file.mtime)));
    doc.size = size;
    doc.mtime = mtime;
    doc.hash =
        blake3::hash(format!("{}{}", doc.hash, file.hash).as_bytes()).to_hex()[..32].to_string();
    doc.transcript = Some(file);
}

/// Whether `path` (after following symlinks) lies inside `root`.
fn corpus_contains(root: &Path, path: &Path) -> bool {
    match (root.canonicalize(), path.canonicalize()) {
        (Ok(r), Ok(p)) => p.starts_with(r),
        _ => true, // missing: `transcript::load` reports it
    }
}

/// Modification time in nanoseconds since the epoch (0 when unknown); nanoseconds so
/// that two saves within one second still differ.
pub fn mtime_nanos(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// Parses raw file bytes: binary and invalid UTF-8 become problems.
pub fn parse_bytes(id: DocId, bytes: &[u8], schema: &Schema) -> Document {
    let hash = blake3::hash(bytes).to_hex()[..32].to_string();
    let sniff = &bytes[..bytes.len().min(BINARY_SNIFF_BYTES)];
    let mut doc = if sniff.contains(&0) {
        let mut doc = parse(id.clone(), "", schema);
        doc.problems.push(Problem::error(
            id.as_str(),
            None,
            "binary",
            "file contains binary data (NUL bytes), not Markdown text; only its name is indexed",
        ));
        doc
    } else {
        match std::str::from_utf8(bytes) {
            Ok(text) => parse(id, text, schema),
            Err(e) => {
                let line = bytes[..e.valid_up_to()]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count()
                    + 1;
                let text = String::from_utf8_lossy(bytes);
                let mut doc = parse(id.clone(), &text, schema);
                doc.problems.push(Problem::error(
                    id.as_str(),
                    Some(line),
                    "invalid-utf8",
                    "file is not valid UTF-8 (save it as UTF-8); invalid bytes were replaced with U+FFFD",
                ));
                doc
            }
        }
    };
    doc.hash = hash;
    doc.size = bytes.len() as u64;
    doc
}

/// Parses Markdown text with optional front matter.
pub fn parse(id: DocId, text: &str, schema: &Schema) -> Document {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let path = id.as_str().to_string();
    let mut problems = Vec::new();
    let fm = front_matter::split(text);
    let meta = front_matter::parse(&fm, &path, &mut problems);
    let parsed = markdown::extract(fm.body, &id);

    let kind = choose_kind(&id, &meta, schema, &fm, &mut problems);
    let title = match meta.get("title") {
        Some(Value::String(t)) if !t.trim().is_empty() => t.trim().to_string(),
        _ => parsed
            .first_h1
            .clone()
            .unwrap_or_else(|| id.stem().to_string()),
    };
    let mut doc = Document {
        id,
        kind,
        title,
        headings: parsed.headings,
        body: parsed.text,
        links: parsed.links,
        meta: Map::new(),
        keywords: BTreeMap::new(),
        texts: BTreeMap::new(),
        dates: BTreeMap::new(),
        integers: BTreeMap::new(),
        updated: None,
        problems: Vec::new(),
        hash: blake3::hash(text.as_bytes()).to_hex()[..32].to_string(),
        size: text.len() as u64,
        mtime: 0,
        segments: transcript::from_meta(&meta),
        transcript: None,
        access: Default::default(),
    };
    doc.access = access_of(&doc.id, &meta, schema, &fm, &mut problems);
    type_fields(&mut doc, &meta, schema, &fm);
    doc.updated = schema.kinds.get(&doc.kind).and_then(|k| {
        k.updated_from
            .iter()
            .find_map(|f| doc.dates.get(f).copied())
    });
    check_required(&mut doc, &meta, schema);
    doc.meta = meta;
    problems.append(&mut doc.problems);
    doc.problems = problems;
    doc
}

/// The document's access: its front matter's `visibility` and `teams`, else
/// the schema's folder default. A level that cannot be read fails closed
/// (restricted), so a typo never publishes a document.
fn access_of(
    id: &DocId,
    meta: &Map<String, Value>,
    schema: &Schema,
    fm: &front_matter::FrontMatter,
    problems: &mut Vec<Problem>,
) -> crate::visibility::DocAccess {
    use crate::visibility::{normalize_team, Visibility};
    let mut access = schema.visibility.for_path(id.as_str());
    let teams: Option<Vec<String>> = match meta.get("teams") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .filter_map(|t| t.as_str().map(normalize_team))
                .filter(|t| !t.is_empty())
                .collect(),
        ),
        Some(Value::String(t)) => Some(vec![normalize_team(t)]),
        Some(other) => {
            problems.push(Problem::error(
                id.as_str(),
                fm.key_line("teams"),
                "bad-field",
                format!("'teams' should be a list of team names, found {other}"),
            ));
            Some(Vec::new())
        }
    };
    match meta.get("visibility") {
        None | Some(Value::Null) => {}
        Some(v) => {
            let level = v
                .as_str()
                .ok_or_else(|| {
                    format!("visibility should be public, internal or restricted, found {v}")
                })
                .and_then(str::parse::<Visibility>);
            access.visibility = level.unwrap_or_else(|message| {
                problems.push(Problem::error(
                    id.as_str(),
                    fm.key_line("visibility"),
                    "bad-visibility",
                    format!("{message}; treated as restricted until fixed"),
                ));
                Visibility::Restricted
            });
        }
    }
    if let Some(teams) = teams {
        // Naming teams without a level means "only these teams".
        if meta.get("visibility").is_none_or(Value::is_null) {
            access.visibility = Visibility::Restricted;
        }
        access.teams = teams;
    }
    if access.visibility != Visibility::Restricted {
        access.teams.clear();
    }
    access
}

fn choose_kind(
    id: &DocId,
    meta: &Map<String, Value>,
    schema: &Schema,
    fm: &front_matter::FrontMatter,
    problems: &mut Vec<Problem>,
) -> String {
    if let Some(v) = meta.get("kind") {
        match v.as_str().map(str::trim) {
            Some(k) if schema.kinds.contains_key(k) => return k.to_string(),
            _ => problems.push(Problem::error(
                id.as_str(),
                fm.key_line("kind"),
                "unknown-kind",
                format!(
                    "kind {v} is not one of {}; using the folder's kind",
                    schema.kinds.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            )),
        }
    }
    schema.kind_for_path(id.as_str()).to_string()
}

/// Converts declared front-matter fields to their schema types.
fn type_fields(
    doc: &mut Document,
    meta: &Map<String, Value>,
    schema: &Schema,
    fm: &front_matter::FrontMatter,
) {
    let path = doc.doc_id().to_string();
    for (key, value) in meta {
        let Some(def) = schema.fields.get(key) else {
            continue;
        };
        if value.is_null() {
            continue;
        }
        let bad = |expected: &str| {
            Problem::error(
                &path,
                fm.key_line(key),
                "bad-field",
                format!("'{key}' should be {expected}, found {value}"),
            )
        };
        match def.ty {
            FieldType::Text => match scalar_string(value) {
                Some(s) => {
                    doc.texts.insert(key.clone(), s);
                }
                None => doc.problems.push(bad("text")),
            },
            FieldType::Keyword | FieldType::Keywords => {
                let values = match (def.ty, value) {
                    (FieldType::Keywords, Value::Array(items)) => {
                        items.iter().map(scalar_string).collect()
                    }
                    _ => scalar_string(value).map(|s| vec![s]),
                };
                match values {
                    Some(v) => {
                        let v: Vec<String> = v
                            .iter()
                            .map(|s| normalize_keyword(s, def.facet))
                            .filter(|s| !s.is_empty())
                            .collect();
                        doc.keywords.insert(key.clone(), v);
                    }
                    None => doc.problems.push(bad(if def.ty == FieldType::Keyword {
                        "one value"
                    } else {
                        "a list of values"
                    })),
                }
            }
            FieldType::Date => match scalar_string(value).as_deref().and_then(parse_date) {
                Some(d) => {
                    doc.dates.insert(key.clone(), d);
                }
                None => doc.problems.push(bad("a date (YYYY-MM-DD or RFC 3339)")),
            },
            FieldType::Integer => match value
                .as_i64()
                .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
            {
                Some(n) => {
                    doc.integers.insert(key.clone(), n);
                }
                None => doc.problems.push(bad("a whole number")),
            },
            FieldType::Records => match value {
                Value::Array(_) | Value::Object(_) => {
                    let mut text = String::new();
                    collect_strings(value, &mut text);
                    doc.texts.insert(key.clone(), text);
                }
                _ => doc.problems.push(bad("a list of tables")),
            },
        }
    }
}

fn check_required(doc: &mut Document, meta: &Map<String, Value>, schema: &Schema) {
    let Some(kind) = schema.kinds.get(&doc.kind) else {
        return;
    };
    for field in &kind.required {
        let missing = match meta.get(field) {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.trim().is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            _ => false,
        };
        if missing {
            let path = doc.doc_id().to_string();
            doc.problems.push(Problem::error(
                &path,
                Some(1),
                "missing-field",
                format!("a {} needs '{field}' in its front matter", doc.kind),
            ));
        }
    }
}

/// A scalar as a string; `None` for lists, tables and null.
fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn collect_strings(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => {
            out.push_str(s);
            out.push('\n');
        }
        Value::Array(items) => items.iter().for_each(|i| collect_strings(i, out)),
        Value::Object(map) => map.values().for_each(|i| collect_strings(i, out)),
        _ => {}
    }
}

/// Trimmed, NFKC; facet values (systems, tags) also lowercased so that
/// `Core-Banking` and `core-banking` count as one.
pub fn normalize_keyword(s: &str, fold_case: bool) -> String {
    let n: String = s.trim().nfkc().collect();
    if fold_case {
        n.to_lowercase()
    } else {
        n
    }
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]` or RFC 3339. Dates without a
/// zone are taken as UTC midnight.
pub fn parse_date(s: &str) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d);
    }
    let utc = FixedOffset::east_opt(0)?;
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return dt.and_local_timezone(utc).single();
        }
    }
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    date.and_hms_opt(0, 0, 0)?.and_local_timezone(utc).single()
}
