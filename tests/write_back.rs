//! Write-back: only the named front-matter keys change, byte for byte, in
//! YAML and TOML files; writes are atomic and refuse stale ETags.

use std::fs;
use std::path::Path;

use baton::write_back::{
    apply_edits, content_etag, set_front_matter_keys, update_document, write_atomically, Edit,
    WriteBackError,
};
use serde_json::{json, Map, Value};

const YAML_FIXTURE: &str = include_str!("fixtures/write_back/failover-drill-2025.md");
const TOML_FIXTURE: &str = include_str!("fixtures/write_back/oracle-rac-basics.md");

/// The front matter of `text` as JSON (what the index would see).
fn front_matter(text: &str) -> Map<String, Value> {
    let (fence, parse): (&str, fn(&str) -> Value) = if text.starts_with("+++") {
        ("+++", |raw| {
            let table: toml::Table = toml::from_str(raw).expect("toml parses");
            serde_json::to_value(table).expect("toml to json")
        })
    } else {
        ("---", |raw| {
            serde_yaml_ng::from_str(raw).expect("yaml parses")
        })
    };
    let rest = text.split_once('\n').expect("has a fence line").1;
    let close = rest
        .find(&format!("\n{fence}"))
        .map(|i| i + 1)
        .expect("closing fence");
    match parse(&rest[..close]) {
        Value::Object(map) => map,
        other => panic!("front matter is not a map: {other}"),
    }
}

/// Files in `dir` other than `keep`.
fn stray_files(dir: &Path, keep: &str) -> Vec<String> {
    fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name != keep)
        .collect()
}

#[test]
fn yaml_fixture_tags_change_only_their_line() {
    let out = set_front_matter_keys(
        YAML_FIXTURE,
        &[("tags", json!(["failover", "切換備援", "切换备援"]))],
    )
    .expect("edit");
    let expected = YAML_FIXTURE.replace(
        "tags: [failover, 切換備援, dr, 演練, rac]\n",
        "tags: [failover, 切換備援, 切换备援]\n",
    );
    assert_ne!(expected, YAML_FIXTURE);
    assert_eq!(out, expected);
}

#[test]
fn rewriting_existing_values_is_byte_identical() {
    for fixture in [YAML_FIXTURE, TOML_FIXTURE] {
        let meta = front_matter(fixture);
        let updates = [
            ("tags", meta["tags"].clone()),
            ("segments", meta["segments"].clone()),
        ];
        let out = set_front_matter_keys(fixture, &updates).expect("edit");
        assert_eq!(out, fixture, "same values must give the same bytes");
    }
}

#[test]
fn yaml_fixture_segments_replaced_in_place() {
    let segments = json!([
        {"at": "00:12:30", "label": "切換備援流程", "tags": ["failover", "切換備援"]},
        {"at": "01:10:05", "label": "Data Guard: switchover", "tags": ["yes", "dr"]},
    ]);
    let out = set_front_matter_keys(YAML_FIXTURE, &[("segments", segments.clone())]).expect("edit");
    let start = YAML_FIXTURE.find("segments:\n").expect("segments key");
    let end = YAML_FIXTURE.find("---\n\n# 2025").expect("closing fence");
    assert_eq!(&out[..start], &YAML_FIXTURE[..start]);
    assert!(out.ends_with(&YAML_FIXTURE[end..]));
    let new_block = &out[start..out.len() - (YAML_FIXTURE.len() - end)];
    assert_eq!(
        new_block,
        "segments:\n  - at: \"00:12:30\"\n    label: 切換備援流程\n    tags: [failover, 切換備援]\n  \
         - at: \"01:10:05\"\n    label: \"Data Guard: switchover\"\n    tags: [\"yes\", dr]\n"
    );
    let meta = front_matter(&out);
    assert_eq!(meta["segments"], segments);
    let mut before = front_matter(YAML_FIXTURE);
    before.insert("segments".into(), segments);
    assert_eq!(meta, before);
}

#[test]
fn toml_fixture_tags_change_only_their_line() {
    let out = set_front_matter_keys(TOML_FIXTURE, &[("tags", json!(["oracle", "RAC 節點"]))])
        .expect("edit");
    let expected = TOML_FIXTURE.replace(
        "tags = [\"oracle\", \"rac\", \"crsctl\", \"srvctl\", \"教育訓練\"]\n",
        "tags = [\"oracle\", \"RAC 節點\"]\n",
    );
    assert_ne!(expected, TOML_FIXTURE);
    assert_eq!(out, expected);
}

#[test]
fn toml_fixture_segments_replaced_as_array_of_tables() {
    let segments = json!([
        {"at": "00:09:50", "label": "SCAN、VIP 与 service", "tags": ["scan"]},
        {"at": "00:55:00", "label": "節點驅逐 \"案例\"", "tags": []},
    ]);
    let out = set_front_matter_keys(TOML_FIXTURE, &[("segments", segments.clone())]).expect("edit");
    let start = TOML_FIXTURE.find("[[segments]]").expect("segments table");
    let end = TOML_FIXTURE.find("+++\n\n# Oracle").expect("closing fence");
    assert_eq!(&out[..start], &TOML_FIXTURE[..start]);
    assert!(out.ends_with(&TOML_FIXTURE[end..]));
    assert_eq!(out.matches("[[segments]]").count(), 2);
    let mut before = front_matter(TOML_FIXTURE);
    before.insert("segments".into(), segments);
    assert_eq!(front_matter(&out), before);
}

const YAML_ODD: &str = concat!(
    "---\r\n",
    "# Training record, edited by hand\r\n",
    "title: '單引號 ''標題'''\r\n",
    "\"trainer\":   \"王建華\"   # lead trainer\r\n",
    "tags:\r\n",
    "  - old   # inline comment\r\n",
    "  - 舊標籤\r\n",
    "\r\n",
    "# the recording date, do not touch\r\n",
    "recorded: 2025-05-22\r\n",
    "duration:   \"01:12:30\"\r\n",
    "---\r\n",
    "# Body\r\n",
    "\r\n",
    "---\r\n",
    "tags: not front matter\r\n",
    "---\r\n",
);

#[test]
fn yaml_comments_quoting_and_crlf_survive() {
    let out = set_front_matter_keys(
        YAML_ODD,
        &[
            ("tags", json!(["切換備援", "新标签", "on"])),
            ("reviewed", json!(true)),
            ("trainer", json!("王建華")),
        ],
    )
    .expect("edit");
    let expected = YAML_ODD
        .replace(
            "tags:\r\n  - old   # inline comment\r\n  - 舊標籤\r\n",
            "tags: [切換備援, 新标签, \"on\"]\r\n",
        )
        .replace(
            "\"trainer\":   \"王建華\"   # lead trainer\r\n",
            "trainer: 王建華   # lead trainer\r\n",
        )
        .replace(
            "duration:   \"01:12:30\"\r\n---\r\n",
            "duration:   \"01:12:30\"\r\nreviewed: true\r\n---\r\n",
        );
    assert_eq!(out, expected);
    assert!(
        !out.replace("\r\n", "").contains('\n'),
        "only CRLF line endings"
    );
    let meta = front_matter(&out.replace("\r\n", "\n"));
    assert_eq!(meta["title"], json!("單引號 '標題'"));
    assert_eq!(meta["duration"], json!("01:12:30"));
}

const TOML_ODD: &str = concat!(
    "+++\r\n",
    "# hand-written\r\n",
    "title = '字面 \"量\"'   # literal string\r\n",
    "trainees = [\r\n",
    "  \"陳柏翰\",  # first\r\n",
    "  \"Emily Huang\",\r\n",
    "]\r\n",
    "tags = [ \"舊\" ]\r\n",
    "\r\n",
    "# segments follow\r\n",
    "[[segments]]\r\n",
    "at = \"00:00:00\"\r\n",
    "label = '開場'\r\n",
    "+++\r\n",
    "body +++ text\r\n",
    "+++\r\n",
);

#[test]
fn toml_comments_multiline_arrays_and_crlf_survive() {
    let out = set_front_matter_keys(
        TOML_ODD,
        &[
            ("trainees", json!(["林雅婷"])),
            ("recording", json!("https://x/y")),
        ],
    )
    .expect("edit");
    let expected = TOML_ODD
        .replace(
            "trainees = [\r\n  \"陳柏翰\",  # first\r\n  \"Emily Huang\",\r\n]\r\n",
            "trainees = [\"林雅婷\"]\r\n",
        )
        .replace(
            "tags = [ \"舊\" ]\r\n",
            "tags = [ \"舊\" ]\r\nrecording = \"https://x/y\"\r\n",
        );
    assert_eq!(out, expected);
}

#[test]
fn toml_segments_added_when_absent_go_after_top_level_keys() {
    let text = "+++\ntitle = \"t\"\n# keep me\n+++\nbody\n";
    let segments = json!([{"at": "00:01:00", "label": "開場", "tags": ["intro"]}]);
    let out = set_front_matter_keys(
        text,
        &[("segments", segments.clone()), ("tags", json!(["a"]))],
    )
    .expect("edit");
    assert_eq!(
        out,
        "+++\ntitle = \"t\"\ntags = [\"a\"]\n# keep me\n\n[[segments]]\nat = \"00:01:00\"\n\
         label = \"開場\"\ntags = [\"intro\"]\n+++\nbody\n"
    );
}

#[test]
fn file_without_front_matter_gets_yaml_prepended() {
    let text = "# 日終批次\r\n\r\n---\r\nbody\r\n";
    let out = set_front_matter_keys(text, &[("tags", json!(["eod", "00:00"]))]).expect("edit");
    assert_eq!(
        out,
        format!("---\r\ntags: [eod, \"00:00\"]\r\n---\r\n{text}")
    );
}

#[test]
fn tricky_strings_round_trip_in_both_formats() {
    let tricky = json!([
        "yes",
        "No",
        "00:12:30",
        "- dash",
        "#hash",
        "a: b",
        "",
        " pad ",
        "1.0",
        "null",
        "~",
        "引號\"內",
        "back\\slash",
        "[x]",
        "a, b",
        "line\nbreak",
        "@at",
        "*star",
        "ORA-01555",
    ]);
    for text in [
        "---\ntitle: x\n---\nbody\n",
        "+++\ntitle = \"x\"\n+++\nbody\n",
    ] {
        let out = set_front_matter_keys(
            text,
            &[("tags", tricky.clone()), ("label", json!("yes: no"))],
        )
        .expect("edit");
        let meta = front_matter(&out);
        assert_eq!(meta["tags"], tricky);
        assert_eq!(meta["label"], json!("yes: no"));
        assert!(out.ends_with("\nbody\n"));
    }
}

#[test]
fn edit_that_would_break_an_alias_is_refused() {
    let text = "---\nbase: &b [a]\ntags: *b\n---\n";
    let err = set_front_matter_keys(text, &[("base", json!(["x"]))]).expect_err("refused");
    assert!(matches!(err, WriteBackError::Verification(_)), "{err}");
}

#[test]
fn broken_front_matter_is_reported_not_edited() {
    let err = set_front_matter_keys("---\ntitle: x\n", &[("tags", json!([]))]).expect_err("open");
    assert!(
        matches!(err, WriteBackError::UnsupportedFrontMatter(_)),
        "{err}"
    );
    let err = set_front_matter_keys("---\ntitle: x\ntags: [a\n---\n", &[("tags", json!([]))])
        .expect_err("bad yaml");
    assert!(matches!(err, WriteBackError::Unparsable { .. }), "{err}");
    let err =
        set_front_matter_keys("+++\na = \n+++\n", &[("tags", json!([]))]).expect_err("bad toml");
    assert!(
        matches!(err, WriteBackError::Unparsable { line: 2, .. }),
        "{err}"
    );
    let err =
        set_front_matter_keys("+++\na = 1\n+++\n", &[("tags", json!([null]))]).expect_err("null");
    assert!(
        matches!(err, WriteBackError::UnsupportedValue { .. }),
        "{err}"
    );
}

#[test]
fn update_document_writes_and_returns_new_etag() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("failover-drill-2025.md");
    fs::write(&path, YAML_FIXTURE).expect("write fixture");
    let etag = content_etag(YAML_FIXTURE.as_bytes());
    assert_eq!(etag.len(), 34);
    assert!(etag.starts_with('"') && etag.ends_with('"'));
    let outcome = update_document(&path, &etag, &[("tags", json!(["演練"]))]).expect("update");
    let on_disk = fs::read(&path).expect("read back");
    assert_eq!(on_disk, outcome.bytes);
    assert_eq!(outcome.etag, content_etag(&on_disk));
    assert_ne!(outcome.etag, etag);
    assert_eq!(
        front_matter(&String::from_utf8_lossy(&on_disk))["tags"],
        json!(["演練"])
    );
    assert!(stray_files(dir.path(), "failover-drill-2025.md").is_empty());
}

#[test]
fn stale_etag_is_refused_and_file_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("oracle-rac-basics.md");
    fs::write(&path, TOML_FIXTURE).expect("write fixture");
    let stale = content_etag(b"an older version");
    let err = update_document(&path, &stale, &[("tags", json!(["x"]))]).expect_err("stale");
    match err {
        WriteBackError::Stale { current_etag } => {
            assert_eq!(current_etag, content_etag(TOML_FIXTURE.as_bytes()))
        }
        other => panic!("expected Stale, got {other}"),
    }
    assert_eq!(fs::read_to_string(&path).expect("read"), TOML_FIXTURE);
    assert!(stray_files(dir.path(), "oracle-rac-basics.md").is_empty());
}

#[test]
fn concurrent_updates_with_one_etag_have_one_winner() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("t.md");
    fs::write(&path, YAML_FIXTURE).expect("write fixture");
    let etag = content_etag(YAML_FIXTURE.as_bytes());
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..20)
            .map(|i| {
                let (path, etag) = (&path, &etag);
                s.spawn(move || update_document(path, etag, &[("tags", json!([format!("t{i}")]))]))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1);
    assert!(results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .all(|e| matches!(e, WriteBackError::Stale { .. })));
    assert_eq!(fs::read(&path).expect("read"), winners[0].bytes);
    assert!(stray_files(dir.path(), "t.md").is_empty());
}

#[cfg(unix)]
#[test]
fn atomic_write_keeps_permissions_and_leaves_no_temp_files() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("doc.md");
    fs::write(&path, "old").expect("write");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).expect("chmod");
    write_atomically(&path, "新內容".as_bytes()).expect("write");
    assert_eq!(fs::read_to_string(&path).expect("read"), "新內容");
    let mode = fs::metadata(&path).expect("meta").permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
    assert!(stray_files(dir.path(), "doc.md").is_empty());
}

#[test]
fn failed_atomic_write_removes_temp_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("a-folder.md");
    fs::create_dir(&target).expect("mkdir");
    fs::write(target.join("inside.md"), "x").expect("write");
    let err = write_atomically(&target, b"new").expect_err("cannot replace a folder");
    assert!(matches!(err, WriteBackError::Io { .. }), "{err}");
    assert!(target.is_dir());
    assert!(stray_files(dir.path(), "a-folder.md").is_empty());
}

#[test]
fn toml_inline_list_of_tables_becomes_sections_and_bom_is_kept() {
    let text =
        "\u{feff}+++\ntitle = \"t\"\nsegments = [{at = \"00:00:01\", label = \"x\"}]\n+++\nbody\n";
    let segments = json!([{"at": "00:00:02", "label": "切換", "tags": ["dr"]}]);
    let out = set_front_matter_keys(text, &[("segments", segments.clone())]).expect("edit");
    assert_eq!(
        out,
        "\u{feff}+++\ntitle = \"t\"\n\n[[segments]]\nat = \"00:00:02\"\nlabel = \"切換\"\n\
         tags = [\"dr\"]\n+++\nbody\n"
    );
    assert_eq!(
        front_matter(&out['\u{feff}'.len_utf8()..])["segments"],
        segments
    );
}

/// Found by the `front_matter_edit` fuzz target: a file starting with two
/// byte-order marks got its new front matter after both, where the indexer
/// (which skips one) does not look, so the tags written were invisible.
#[test]
fn fuzz_regression_second_bom_is_body_text() {
    let text = "\u{feff}\u{feff}ags";
    let want = "\u{feff}---\ntags: [日終批次]\n---\n\u{feff}ags";
    let out = set_front_matter_keys(text, &[("tags", json!(["日終批次"]))]).expect("edit");
    assert_eq!(out, want);
    let edits = [Edit::Set {
        key: "tags".into(),
        value: json!(["日終批次"]),
    }];
    assert_eq!(apply_edits(text, &edits).expect("edit"), want);
    let id = baton::DocId::parse("notes/x.md").unwrap();
    let schema = baton::schema::Schema::load(None).unwrap();
    let doc = baton::document::parse(id, &out, &schema);
    assert_eq!(doc.meta["tags"], json!(["日終批次"]));
    assert!(doc.problems.is_empty(), "{:?}", doc.problems);
}

#[test]
fn yaml_empty_front_matter_and_block_mapping_values() {
    let text = "---\n---\nbody with\n---\nrule\n";
    let owner = json!({"name": "林雅婷", "team": "核心系統"});
    let out = set_front_matter_keys(text, &[("owner", owner.clone()), ("tags", json!([]))])
        .expect("edit");
    assert_eq!(
        out,
        "---\nowner:\n  name: 林雅婷\n  team: 核心系統\ntags: []\n---\nbody with\n---\nrule\n"
    );
    let again = set_front_matter_keys(&out, &[("owner", json!("王建華"))]).expect("edit");
    assert_eq!(
        again,
        "---\nowner: 王建華\ntags: []\n---\nbody with\n---\nrule\n"
    );
}

#[test]
fn trailing_comments_on_a_replaced_line_are_kept() {
    let yaml = "---\ntags: [a, \"b # not a comment\"]  # sorted by hand\n---\n";
    let out = set_front_matter_keys(yaml, &[("tags", json!(["c"]))]).expect("edit");
    assert_eq!(out, "---\ntags: [c]  # sorted by hand\n---\n");
    let toml = "+++\ntags = [\"a #b\"] # keep\nx = 1 # other\n+++\n";
    let out = set_front_matter_keys(toml, &[("tags", json!(["c"]))]).expect("edit");
    assert_eq!(out, "+++\ntags = [\"c\"] # keep\nx = 1 # other\n+++\n");
}

/// Markdown files under the bundled corpus folder `sub`.
fn corpus_files(sub: &str) -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(sub);
    let mut files = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).expect("read corpus dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn every_training_record_rewrites_its_own_tags_and_segments_identically() {
    for path in corpus_files("training") {
        let text = fs::read_to_string(&path).expect("read");
        let meta = front_matter(&text);
        let updates: Vec<(&str, Value)> = ["tags", "segments"]
            .into_iter()
            .filter_map(|k| meta.get(k).map(|v| (k, v.clone())))
            .collect();
        let out = set_front_matter_keys(&text, &updates).expect("edit");
        assert_eq!(out, text, "{}", path.display());
    }
}

#[test]
fn every_corpus_file_accepts_a_tag_edit() {
    let tags = json!(["切換備援", "核心系统", "00:12:30", "ORA-01555"]);
    for path in corpus_files("") {
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        match set_front_matter_keys(&text, &[("tags", tags.clone())]) {
            Ok(out) => assert!(out.len() > text.len() / 2, "{}", path.display()),
            Err(WriteBackError::Unparsable { .. } | WriteBackError::UnsupportedFrontMatter(_)) => {}
            Err(e) => panic!("{}: {e}", path.display()),
        }
    }
}

#[test]
fn multi_line_strings_keep_their_newlines_in_crlf_files() {
    let value = json!("第一行\n second line");
    for text in ["---\r\na: 1\r\n---\r\n", "+++\r\na = 1\r\n+++\r\n"] {
        let out = set_front_matter_keys(text, &[("note", value.clone())]).expect("edit");
        assert_eq!(front_matter(&out.replace("\r\n", "\n"))["note"], value);
        assert!(!out.replace("\r\n", "").contains('\n'), "{out:?}");
    }
}

#[test]
fn yaml_block_scalars_and_following_comments() {
    let text = "---\nnote: |\n  line one\n  # part of the note\n\n# about tags\ntags:\n- a\n- b\n# end\n---\n";
    let out = set_front_matter_keys(text, &[("note", json!("短"))]).expect("edit");
    assert_eq!(
        out,
        "---\nnote: 短\n\n# about tags\ntags:\n- a\n- b\n# end\n---\n"
    );
    let out = set_front_matter_keys(text, &[("tags", json!(["c"]))]).expect("edit");
    assert_eq!(
        out,
        "---\nnote: |\n  line one\n  # part of the note\n\n# about tags\ntags: [c]\n# end\n---\n"
    );
}
