//! Property tests of the parsers and the front-matter editor: the same
//! properties as the cargo-fuzz targets in `fuzz/` (both call
//! `properties/checks.rs`), over generated inputs, a fixed number of cases
//! and a fixed seed so every run checks the same inputs. A failure is saved
//! in `tests/properties.proptest-regressions` and replayed first from then on.

#[path = "properties/checks.rs"]
mod checks;

use baton::write_back::Edit;
use checks::EditCall;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, RngSeed};
use serde_json::{json, Map, Value};

/// Cases per property: enough to cover the generators' shapes, few enough
/// that the whole file runs in a few seconds in a debug build.
const CASES: u32 = 256;

/// The seed of every run, so CI checks the same inputs each time.
const SEED: u64 = 0x0ba7_0ba7;

/// `cases` cases from [`SEED`]; `PROPTEST_CASES` and `PROPTEST_RNG_SEED`
/// override them for a longer or different local run.
fn config(cases: u32) -> Config {
    fn env<T: std::str::FromStr>(name: &str) -> Option<T> {
        std::env::var(name).ok().and_then(|v| v.parse().ok())
    }
    Config {
        cases: env("PROPTEST_CASES").unwrap_or(cases),
        rng_seed: RngSeed::Fixed(env("PROPTEST_RNG_SEED").unwrap_or(SEED)),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..Config::default()
    }
}

// ------------------------------------------------------------ generators

/// Words that stress quoting and segmentation.
const WORDS: &[&str] = &[
    "日終批次",
    "核心系統",
    "切換備援流程",
    "資料庫",
    "数据库",
    "ORA-01555",
    "HTTP 503",
    "OOMKilled",
    "tikv_raftstore_region_count",
    "yes",
    "no",
    "null",
    "~",
    "true",
    "00:12:30",
    "2025-03-27",
    "1e3",
    "0x1F",
    "503",
    "a: b",
    "a:b",
    "# not a comment",
    "x # y",
    "- x",
    "\"quoted\"",
    "'single'",
    "it's",
    "back\\slash",
    "line\nbreak",
    "tab\there",
    "[x]",
    "{k: v}",
    "a, b",
    "---",
    "+++",
    "...",
    "",
    " padded ",
    "&anchor",
    "*alias",
    "!tag",
    "|",
    ">",
    "@at",
    "%pct",
    "`tick`",
    "\u{feff}bom",
    "é",
];

const KEYS: &[&str] = &[
    "tags",
    "segments",
    "confirmations",
    "items",
    "status",
    "title",
    "systems",
    "updated",
    "owner",
];

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(WORDS).prop_map(str::to_string),
        1 => "[a-z0-9 :#'\"\\-\\[\\]{},.\u{4e00}-\u{4e10}]{0,12}",
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(KEYS).prop_map(str::to_string),
        1 => word(),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        word().prop_map(Value::from),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => leaf(),
        2 => prop::collection::vec(word(), 0..4).prop_map(|t| json!(t)),
        2 => prop::collection::vec((0u32..36_000, word(), prop::collection::vec(word(), 0..3)), 0..3)
            .prop_map(|segs| Value::Array(
                segs.into_iter()
                    .map(|(s, label, tags)| json!({
                        "at": baton::document::transcript::format_time(s),
                        "label": label,
                        "tags": tags,
                    }))
                    .collect(),
            )),
        1 => leaf().prop_recursive(2, 8, 3, |inner| prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..3)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (key(), value()).prop_map(|(key, value)| Edit::Set { key, value }),
        (key(), value()).prop_map(|(key, record)| Edit::Append { key, record }),
        (key(), 0usize..3, key(), leaf()).prop_map(|(key, index, field, value)| {
            Edit::SetInList {
                key,
                index,
                field,
                value,
            }
        }),
    ]
}

fn call() -> impl Strategy<Value = EditCall> {
    prop_oneof![
        prop::collection::vec((key(), value()), 1..3).prop_map(EditCall::SetKeys),
        prop::collection::vec(edit(), 1..4).prop_map(EditCall::Edits),
    ]
}

/// A YAML scalar in one of the ways people write them (not always valid).
fn yaml_scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        word(),
        word().prop_map(|w| json!(w).to_string()),
        word().prop_map(|w| format!("'{}'", w.replace('\'', "''"))),
        any::<i32>().prop_map(|i| i.to_string()),
        Just("false".to_string()),
    ]
}

/// One top-level YAML entry, in the shapes the corpus uses, and its key.
fn yaml_entry() -> impl Strategy<Value = (String, String)> {
    let comment = prop_oneof![3 => Just(String::new()), 1 => Just("  # 註解".to_string())];
    (
        key(),
        0..8u8,
        prop::collection::vec(yaml_scalar(), 0..3),
        comment,
        prop::sample::select(&[2usize, 0, 4][..]),
    )
        .prop_map(|(k, shape, items, comment, indent)| {
            let pad = " ".repeat(indent);
            let first = items.first().cloned().unwrap_or_default();
            let text = match shape {
                0 => format!("{k}: {first}{comment}\n"),
                1 => format!("{k}: [{}]{comment}\n", items.join(", ")),
                2 => {
                    let mut s = format!("{k}:{comment}\n");
                    for i in &items {
                        s.push_str(&format!("{pad}- {i}\n"));
                    }
                    s
                }
                3 => {
                    let mut s = format!("{k}:\n");
                    for (n, i) in items.iter().enumerate() {
                        s.push_str(&format!("{pad}- topic: {i}{comment}\n{pad}  done: false\n"));
                        if n == 0 {
                            s.push_str(&format!("\n{pad}  # 說明\n"));
                        }
                    }
                    s
                }
                4 => format!("{k}: |\n  {first}\n  # 不是註解\n"),
                5 => format!("{k}:\n  sub: {first}\n  other: [a]\n"),
                6 => format!("\"{k}\": {first}\n"),
                _ => format!("{k}:\n"),
            };
            (k, text)
        })
}

/// One TOML item (key-value, multi-line array, table or array of tables)
/// and its key.
fn toml_entry() -> impl Strategy<Value = (String, String)> {
    (key(), 0..6u8, prop::collection::vec(word(), 0..3)).prop_map(|(k, shape, items)| {
        let quoted: Vec<String> = items.iter().map(|i| json!(i).to_string()).collect();
        let first = quoted.first().cloned().unwrap_or_else(|| "\"\"".into());
        let text = match shape {
            0 => format!("{k} = {first}\n"),
            1 => format!("{k} = [{}]  # 註解\n", quoted.join(", ")),
            2 => format!("{k} = [\n  {},\n]\n", quoted.join(",\n  ")),
            3 => format!("\n[[{k}]]\nat = \"00:01:02\"\nlabel = {first}\n"),
            4 => format!("\n[{k}]\nsub = {first}\n"),
            _ => format!("{k} = '''\n{}\n'''\n", items.join("\n")),
        };
        (k, text)
    })
}

fn body() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("# 標題\n\n資料庫 ORA-01555 切換。\n".to_string()),
        Just("no trailing newline".to_string()),
        Just("---\nnot: front matter\n---\n".to_string()),
        Just("+++\n\n```yaml\nkey: value\n```\n".to_string()),
        "\\PC{0,40}",
    ]
}

/// The entries of distinct keys (a duplicate key makes the file invalid, and
/// the editor then rightly refuses it; malformed files come from mutations).
fn unique_keys(entries: Vec<(String, String)>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    entries
        .into_iter()
        .filter(|(k, _)| seen.insert(k.clone()))
        .map(|(_, text)| text)
        .collect()
}

/// Whole documents: YAML, TOML or none; LF or CRLF; zero to two BOMs;
/// sometimes with one character changed to make them malformed.
fn document() -> impl Strategy<Value = String> {
    let yaml = prop::collection::vec(yaml_entry(), 0..5)
        .prop_map(|e| format!("---\n{}---\n", unique_keys(e).concat()));
    let toml = prop::collection::vec(toml_entry(), 0..5).prop_map(|e| {
        let e = unique_keys(e);
        // Tables go last, as TOML requires for top-level keys to stay top-level.
        let (tables, kvs): (Vec<String>, Vec<String>) =
            e.into_iter().partition(|s| s.starts_with('\n'));
        format!("+++\n{}{}+++\n", kvs.concat(), tables.concat())
    });
    let front = prop_oneof![3 => yaml, 2 => toml, 1 => Just(String::new())];
    (
        front,
        body(),
        any::<bool>(),
        prop::sample::select(&[0usize, 0, 1, 2][..]),
        prop::option::weighted(0.2, (any::<prop::sample::Index>(), "\\PC|\n| |:|-|#")),
    )
        .prop_map(|(front, body, crlf, boms, mutation)| {
            let mut text = format!("{front}{body}");
            if crlf {
                text = text.replace('\n', "\r\n");
            }
            if let Some((at, with)) = mutation {
                let boundaries: Vec<usize> = (0..=text.len())
                    .filter(|&i| text.is_char_boundary(i))
                    .collect();
                text.insert_str(boundaries[at.index(boundaries.len())], &with);
            }
            // Byte-order marks: usually none or one; two happen when tools concatenate.
            text.insert_str(0, &"\u{feff}".repeat(boms));
            text
        })
}

// ------------------------------------------------------------ properties

fn check(result: Result<(), String>) -> Result<(), TestCaseError> {
    result.map_err(TestCaseError::fail)
}

proptest! {
    #![proptest_config(config(CASES * 2))]

    /// The editor's output parses, carries exactly the intended changes and
    /// keeps the body; a refusal is fine.
    #[test]
    fn editor_changes_only_the_intended_keys(text in document(), call in call()) {
        check(checks::check_edit(&text, &call))?;
    }

    /// What the tags PUT and a confirmation send, on any document.
    #[test]
    fn editor_handles_the_servers_edits(text in document(), tags in prop::collection::vec(word(), 0..4)) {
        let put = EditCall::SetKeys(vec![
            ("tags".into(), json!(tags)),
            ("segments".into(), json!([{"at": "00:12:30", "label": "切換: 備援", "tags": tags}])),
        ]);
        check(checks::check_edit(&text, &put))?;
        let confirm = EditCall::Edits(vec![
            Edit::Append { key: "confirmations".into(), record: json!({"by": "王小明", "date": "2026-11-20", "note": tags.first()}) },
            Edit::SetInList { key: "items".into(), index: 0, field: "done".into(), value: json!(true) },
            Edit::Set { key: "status".into(), value: json!("confirmed") },
        ]);
        check(checks::check_edit(&text, &confirm))?;
    }
}

proptest! {
    #![proptest_config(config(CASES))]

    /// Whole-document parsing of generated documents and of arbitrary bytes.
    #[test]
    fn documents_parse_without_panics(text in document(), noise in prop::collection::vec(any::<u8>(), 0..64), path in prop::sample::select(&["runbooks/a.md", "training/b.md", "handovers/日終.md", "x.md"][..])) {
        check(checks::check_document(path, text.as_bytes()))?;
        check(checks::check_document(path, &noise))?;
    }

    /// WebVTT / SRT cue parsing.
    #[test]
    fn transcripts_parse_in_time_order(cues in prop::collection::vec((prop::option::of(0u32..400), "[0-9]{1,3}(:[0-9]{1,3}){0,3}([.,][0-9]{0,3})?| ?", "[0-9:.,]{0,12}", prop::collection::vec(word(), 0..3)), 0..6), crlf in any::<bool>(), header in any::<bool>()) {
        let mut text = if header { "\u{feff}WEBVTT\n\nNOTE x --> y\n\n".to_string() } else { String::new() };
        for (n, start, end, lines) in cues {
            if let Some(n) = n {
                text.push_str(&format!("{n}\n"));
            }
            text.push_str(&format!("{start} --> {end}\n"));
            for l in lines {
                text.push_str(&format!("<v 講師>{l}</v>\n"));
            }
            text.push('\n');
        }
        if crlf {
            text = text.replace('\n', "\r\n");
        }
        check(checks::check_transcript(&text))?;
    }
}

proptest! {
    #![proptest_config(config(CASES / 2))]

    /// Any search-box text gives results or an empty list.
    #[test]
    fn any_query_text_searches(words in prop::collection::vec(prop_oneof![
        word(),
        prop::sample::select(&["kind:", "tag:", "system:", "-", "\"", "「", "」", "“", "AND", "OR", "-\"", "kind:runbook", "tag:a,b,"][..]).prop_map(str::to_string),
        "\\PC{0,6}",
    ], 0..8), sep in prop::sample::select(&[" ", "", "\u{3000}", "\t"][..])) {
        check(checks::check_query(&words.join(sep)))?;
    }
}
