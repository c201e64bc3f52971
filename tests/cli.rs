//! The `baton` binary end to end on real folders: index, search (readable and
//! `--json`, which is exactly the API's JSON), check exit codes.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn baton(corpus: &Path, data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baton"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("--corpus")
        .arg(corpus)
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("BATON_CORPUS")
        .env_remove("BATON_DATA")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn index_then_search_the_bundled_corpus() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    common::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"),
        &corpus,
    );
    let data = tmp.path().join("data");

    let out = baton(&corpus, &data, &["index"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    assert!(text.contains("0 problems"), "{text}");
    let again = stdout(&baton(&corpus, &data, &["index"]));
    assert!(again.contains(" 0 indexed"), "{again}");

    let out = baton(
        &corpus,
        &data,
        &["search", "日終批次", "ORA-01555", "--json"],
    );
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["query"], "日終批次 ORA-01555");
    assert_eq!(
        json["hits"][0]["id"],
        "runbooks/core-banking/eod-batch-ora-01555.md"
    );
    assert!(json["hits"][0]["snippet"]
        .as_str()
        .unwrap()
        .contains("<mark>"));
    assert!(json["facets"]["kind"]["runbook"].as_u64().unwrap() >= 1);

    let out = baton(
        &corpus,
        &data,
        &[
            "search",
            "503",
            "--kind",
            "incident",
            "--system",
            "payment-gateway",
            "--json",
        ],
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let hits = json["hits"].as_array().unwrap();
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|h| h["kind"] == "incident"));
    assert_eq!(json["facets"]["kind"].as_object().unwrap().len(), 1);

    let readable = stdout(&baton(&corpus, &data, &["search", "憑證"]));
    assert!(readable.contains("«憑證»"), "{readable}");
}

#[test]
fn invalid_structured_parameters_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let out = baton(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini"),
        tmp.path(),
        &["search", "x", "--from", "2025-13-01"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("from") && err.contains("YYYY-MM-DD"), "{err}");
    let out = baton(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini"),
        tmp.path(),
        &["search", "x", "--sort", "date"],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("relevance, updated"));
}

#[test]
fn check_exits_one_on_errors_and_zero_when_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let out = baton(&bundled, &data, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));

    let corpus = tmp.path().join("broken");
    std::fs::create_dir_all(corpus.join("runbooks")).unwrap();
    std::fs::write(
        corpus.join("runbooks/a.md"),
        "---\nsystems: [x]\n---\n[missing](../faq/nope.md)\n",
    )
    .unwrap();
    std::fs::write(
        corpus.join("runbooks/b.md"),
        "---\nsystems: [x\n---\nbody\n",
    )
    .unwrap();
    let out = baton(&corpus, &data, &["check", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = json["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"broken-link"), "{codes:?}");
    assert!(codes.contains(&"front-matter"), "{codes:?}");
}

#[test]
fn schema_errors_name_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let schema_dir = tmp.path().join("schema");
    std::fs::create_dir_all(&schema_dir).unwrap();
    std::fs::write(
        schema_dir.join("schema.toml"),
        "[fields.systems]\ntype = \"keywords\"\n[fields.tags]\ntype = \"keywordz\"\n[kinds.article]\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["--schema"])
        .arg(&schema_dir)
        .args(["--corpus", "corpus", "check"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("schema.toml:4:"), "{err}");
    assert!(err.contains("keywordz"), "{err}");
}
