//! The properties that the fuzz targets (`fuzz/fuzz_targets/*.rs`) and the
//! proptest suite (`tests/properties.rs`) both check, in one place so the two
//! cannot drift apart. Each check takes an input, runs the code under test
//! and returns `Err(why)` when a property breaks; a panic inside the code
//! under test is a failure too (the fuzzer and proptest both catch it).
//!
//! The fuzz crate includes this file with `#[path]`; it must depend only on
//! `baton` and `serde_json`.
#![allow(dead_code)]

use std::path::Path;
use std::sync::OnceLock;

use baton::analysis::{Analyzer, Mode};
use baton::document::{self, front_matter, transcript};
use baton::index::BatonIndex;
use baton::schema::Schema;
use baton::search::{self, SearchRequest};
use baton::write_back::{self, Edit};
use baton::DocId;
use serde_json::{Map, Value};

const BOM: char = '\u{feff}';

/// The built-in schema (the same as `index-schema/`), loaded once.
pub fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| Schema::load(None).expect("the built-in schema loads"))
}

fn analyzer() -> &'static Analyzer {
    static ANALYZER: OnceLock<Analyzer> = OnceLock::new();
    ANALYZER.get_or_init(|| Analyzer::for_schema(schema()))
}

macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(format!($($fmt)+));
        }
    };
}

// ------------------------------------------------------------ documents

/// Parses file bytes as the indexer does and checks what comes out: no
/// panic, the hash and size describe the bytes, every analysed term's byte
/// range lies on character boundaries of the text it came from (snippets
/// slice the original text with them), and the HTML renders.
pub fn check_document(path: &str, bytes: &[u8]) -> Result<(), String> {
    let id = DocId::parse(path).unwrap_or_else(|_| DocId::parse("notes/fuzz.md").unwrap());
    let doc = document::parse_bytes(id.clone(), bytes, schema());
    ensure!(
        doc.hash.len() == 32,
        "hash {:?} is not 32 hex chars",
        doc.hash
    );
    ensure!(doc.size == bytes.len() as u64, "size {} wrong", doc.size);
    ensure!(!doc.kind.is_empty(), "empty kind");
    for p in &doc.problems {
        ensure!(
            p.path == id.as_str(),
            "problem recorded against {:?}",
            p.path
        );
    }
    for text in [&doc.title, &doc.body] {
        check_terms(text, Mode::Index)?;
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        let text = text.strip_prefix(BOM).unwrap_or(text);
        let fm = front_matter::split(text);
        ensure!(
            fm.unterminated || fm.body.len() + fm.raw.len() <= text.len(),
            "front matter and body longer than the text"
        );
        let _ = fm.key_line("tags");
        let _ = document::render::to_html(fm.body, &id);
    }
    Ok(())
}

/// Analyses `text` and checks each term's range against it.
pub fn check_terms(text: &str, mode: Mode) -> Result<(), String> {
    for t in analyzer().terms(text, mode) {
        ensure!(
            t.from <= t.to
                && t.to <= text.len()
                && text.is_char_boundary(t.from)
                && text.is_char_boundary(t.to),
            "term {:?} has range {}..{} outside the text ({} bytes) or not on char boundaries",
            t.text,
            t.from,
            t.to,
            text.len()
        );
        ensure!(!t.text.is_empty(), "empty term at {}..{}", t.from, t.to);
    }
    Ok(())
}

// ------------------------------------------------------------ transcripts

/// WebVTT/SRT cue parsing: no panic, cues in time order, non-empty labels,
/// `at` is `seconds` formatted, and reported bad lines exist.
pub fn check_transcript(text: &str) -> Result<(), String> {
    let (cues, bad) = transcript::parse_cues(text);
    let lines = text.lines().count();
    for w in cues.windows(2) {
        ensure!(w[0].seconds <= w[1].seconds, "cues out of order");
    }
    for c in &cues {
        ensure!(!c.label.trim().is_empty(), "empty cue label at {}", c.at);
        ensure!(
            c.at == transcript::format_time(c.seconds),
            "cue at {:?} but {} seconds",
            c.at,
            c.seconds
        );
        ensure!(
            transcript::parse_time(&c.at) == Some(c.seconds),
            "{:?} does not read back as {} seconds",
            c.at,
            c.seconds
        );
    }
    for &n in &bad {
        ensure!((1..=lines).contains(&n), "bad line {n} of {lines} lines");
    }
    Ok(())
}

// ------------------------------------------------------------ queries

/// A small real index (a few documents in a temp folder), built once per
/// process. Statics are never dropped, so the folder is named after the
/// process and the folders of finished processes are removed here.
pub fn query_index() -> &'static BatonIndex {
    static INDEX: OnceLock<BatonIndex> = OnceLock::new();
    INDEX.get_or_init(build_query_index)
}

fn build_query_index() -> BatonIndex {
    use baton::index::{reconcile, writer::Writer};
    let parent = std::env::temp_dir().join("baton-props");
    for entry in std::fs::read_dir(&parent).into_iter().flatten().flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if !Path::new("/proc").join(&pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    let root = parent.join(std::process::id().to_string());
    let corpus = root.join("corpus");
    let _ = std::fs::remove_dir_all(&root);
    for (id, text) in QUERY_DOCS {
        let path = corpus.join(id);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let index = BatonIndex::open(&root.join("data"), schema(), false).unwrap();
    let writer = Writer::start(&index).unwrap();
    let opts = reconcile::Options {
        max_file_bytes: document::DEFAULT_MAX_FILE_BYTES,
        progress: &|_, _| {},
    };
    let report = reconcile::reconcile(&index, &writer, Path::new(&corpus), &opts).unwrap();
    assert_eq!(report.indexed, QUERY_DOCS.len(), "{:?}", report.problems);
    index
}

const QUERY_DOCS: &[(&str, &str)] = &[
    (
        "runbooks/core-banking/eod-batch-ora-01555.md",
        "---\ntitle: 日終批次 ORA-01555（snapshot too old）處理手冊\nsystems: [core-banking]\ntags: [eod, oracle, 批次]\nupdated: 2025-01-02\n---\n# 日終批次失敗\n\n檢查 undo_retention，資料庫 伺服器 重新執行 Control-M 排程。\n",
    ),
    (
        "incidents/2025/oomkilled.md",
        "---\ntitle: Internet banking pods OOMKilled\nkind: incident\nsystems: [internet-banking]\nseverity: P2\noccurred: 2025-03-14\ntags: [kubernetes]\n---\nHTTP 503 from the gateway; tikv_raftstore_region_count grew. Restart the deployment.\n",
    ),
    (
        "training/rac.md",
        "+++\ntitle = \"Oracle RAC 基础\"\nkind = \"training\"\ntrainer = \"王小明\"\ntags = [\"oracle\", \"rac\"]\n+++\n数据库 服务器 节点驱逐 node eviction 的处理。\n",
    ),
];

/// Query parsing and execution: no panic, no error for any text (DESIGN
/// principle 6), the parse keeps only non-empty phrases and filter values,
/// and a hit count never smaller than the page.
pub fn check_query(q: &str) -> Result<(), String> {
    let parsed = search::parse::parse(q);
    for p in parsed.phrases.iter().chain(&parsed.excluded) {
        ensure!(
            !p.trim().is_empty(),
            "empty phrase or exclusion in {parsed:?}"
        );
    }
    for v in parsed
        .kinds
        .iter()
        .chain(&parsed.systems)
        .chain(&parsed.tags)
    {
        ensure!(!v.is_empty(), "empty filter value in {parsed:?}");
    }
    check_terms(search::query::truncate_query(q), Mode::Query)?;
    let res = search::search(query_index(), &SearchRequest::new(q))
        .map_err(|e| format!("search for {q:?} failed: {e}"))?;
    ensure!(
        res.total >= res.hits.len(),
        "total {} < {} hits",
        res.total,
        res.hits.len()
    );
    Ok(())
}

// ------------------------------------------------------------ the editor

/// The two entry points of the front-matter editor.
#[derive(Clone, Debug)]
pub enum EditCall {
    /// `set_front_matter_keys` (the tags PUT): set whole top-level keys.
    SetKeys(Vec<(String, Value)>),
    /// `apply_edits` (handover confirmations): structural edits.
    Edits(Vec<Edit>),
}

/// The front-matter editor on `text`: when it refuses, fine; when it
/// returns text, that text must parse, its front matter must equal the old
/// one with exactly the intended changes, and the body and a leading BOM
/// must be byte-for-byte what they were.
pub fn check_edit(text: &str, call: &EditCall) -> Result<(), String> {
    let result = match call {
        EditCall::SetKeys(updates) => {
            let updates: Vec<(&str, Value)> = updates
                .iter()
                .map(|(k, v)| (k.as_str(), v.clone()))
                .collect();
            write_back::set_front_matter_keys(text, &updates)
        }
        EditCall::Edits(edits) => write_back::apply_edits(text, edits),
    };
    let Ok(out) = result else {
        return Ok(());
    };
    let (had_bom, input) = match text.strip_prefix(BOM) {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    ensure!(
        out.starts_with(BOM) == had_bom,
        "a leading BOM was {}",
        if had_bom { "dropped" } else { "added" }
    );
    let out_text = out.strip_prefix(BOM).unwrap_or(&out);

    let fm_in = front_matter::split(input);
    let before = match fm_in.format {
        Some(_) if !fm_in.unterminated => parse_map(&fm_in)
            .map_err(|e| format!("the editor accepted front matter that does not parse: {e}"))?,
        _ => Map::new(),
    };
    let Some(expected) = expected_after(&before, call) else {
        return Err(format!(
            "the editor applied an edit that does not fit the front matter {before:?}"
        ));
    };

    let fm_out = front_matter::split(out_text);
    ensure!(
        fm_out.format.is_some() && !fm_out.unterminated,
        "the output has no closed front matter:\n{out}"
    );
    let after =
        parse_map(&fm_out).map_err(|e| format!("the output does not parse ({e}):\n{out}"))?;
    if after != expected {
        let changed: Vec<String> = expected
            .keys()
            .chain(after.keys())
            .filter(|k| expected.get(*k) != after.get(*k))
            .cloned()
            .collect();
        return Err(format!(
            "front matter differs from the intended one at {changed:?}:\nexpected {}\ngot      {}\noutput:\n{out}",
            Value::Object(expected.clone()),
            Value::Object(after)
        ));
    }
    let body_in = if fm_in.format.is_some() && !fm_in.unterminated {
        fm_in.body
    } else {
        input
    };
    ensure!(
        fm_out.body == body_in,
        "the body changed:\nbefore {body_in:?}\nafter  {:?}",
        fm_out.body
    );
    // What the indexer sees: no front-matter problem in the new file.
    let id = DocId::parse("notes/edited.md").unwrap();
    let doc = document::parse(id, &out, schema());
    ensure!(
        !doc.problems.iter().any(|p| p.code == "front-matter"),
        "the indexer reports a front-matter problem: {:?}",
        doc.problems
    );
    Ok(())
}

fn parse_map(fm: &front_matter::FrontMatter) -> Result<Map<String, Value>, String> {
    let mut problems = Vec::new();
    let map = front_matter::parse(fm, "notes/edited.md", &mut problems);
    match problems.first() {
        Some(p) => Err(p.message.clone()),
        None => Ok(map),
    }
}

/// The front matter `call` should produce from `before`, computed
/// independently of the editor; `None` when the call does not apply (an
/// append to a non-list, a record that is not there), which the editor must
/// refuse.
pub fn expected_after(before: &Map<String, Value>, call: &EditCall) -> Option<Map<String, Value>> {
    let mut map = before.clone();
    match call {
        EditCall::SetKeys(updates) => {
            for (k, v) in updates {
                map.insert(k.clone(), v.clone());
            }
        }
        EditCall::Edits(edits) => {
            for edit in edits {
                match edit {
                    Edit::Set { key, value } => {
                        map.insert(key.clone(), value.clone());
                    }
                    Edit::Append { key, record } => match map.get_mut(key) {
                        None | Some(Value::Null) => {
                            map.insert(key.clone(), Value::Array(vec![record.clone()]));
                        }
                        Some(Value::Array(list)) => list.push(record.clone()),
                        Some(_) => return None,
                    },
                    Edit::SetInList {
                        key,
                        index,
                        field,
                        value,
                    } => {
                        let record = map
                            .get_mut(key)?
                            .as_array_mut()?
                            .get_mut(*index)?
                            .as_object_mut()?;
                        record.insert(field.clone(), value.clone());
                    }
                }
            }
        }
    }
    Some(map)
}
