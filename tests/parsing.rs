//! Every parser edge becomes a problem recorded against the path, never a
//! panic, and whatever text could be read stays searchable.

mod common;

use baton::document::{self, LoadError};
use baton::index::{reconcile, writer::Writer};
use baton::problem::Severity;
use baton::DocId;
use common::TestCorpus;

fn problem_codes(t: &TestCorpus, report: &reconcile::Report, path: &str) -> Vec<String> {
    let _ = t;
    report
        .problems
        .iter()
        .filter(|p| p.path == path)
        .map(|p| p.code.clone())
        .collect()
}

#[test]
fn no_front_matter_yaml_and_toml() {
    let t = TestCorpus::empty();
    t.write(
        "notes/plain.md",
        "# 值班交接注意事項\n\n夜間值班需檢查 Control-M 排程。\n",
    );
    t.write(
        "runbooks/yaml.md",
        "---\ntitle: YAML 手冊\nsystems: [core-banking]\ntags: [eod]\nupdated: 2025-01-02\ncustom_key: kept\n---\n本文 yamlbody\n",
    );
    t.write(
        "runbooks/toml.md",
        "+++\ntitle = \"TOML 手冊\"\nsystems = [\"atm-switch\"]\nupdated = 2025-02-03\n+++\n本文 tomlbody\n",
    );
    let report = t.reconcile();
    assert_eq!(report.indexed, 3);
    assert!(report.problems.is_empty(), "{:?}", report.problems);

    let plain = t.search("值班");
    assert_eq!(plain.hits[0].title, "值班交接注意事項");
    assert_eq!(plain.hits[0].kind, "article");
    let yaml = t.search("yamlbody");
    assert_eq!(yaml.hits[0].title, "YAML 手冊");
    assert_eq!(yaml.hits[0].kind, "runbook");
    assert_eq!(yaml.hits[0].updated.as_deref(), Some("2025-01-02"));
    let toml = t.search("tomlbody");
    assert_eq!(toml.hits[0].title, "TOML 手冊");
    assert_eq!(toml.hits[0].systems, vec!["atm-switch"]);
    assert_eq!(toml.hits[0].updated.as_deref(), Some("2025-02-03"));

    // Unknown keys are kept in meta, not dropped.
    let schema = &t.schema;
    let doc = document::load(
        &t.corpus,
        &DocId::parse("runbooks/yaml.md").unwrap(),
        schema,
        1 << 20,
    )
    .unwrap();
    assert_eq!(doc.meta["custom_key"], "kept");
}

#[test]
fn malformed_front_matter_keeps_body_searchable_with_a_line() {
    let t = TestCorpus::empty();
    t.write("runbooks/bad.md", "---\ntitle: ok\nsystems: [core-banking\ntags: x\n---\n# 壞掉的前言\n\n內容 brokenyaml 仍可搜尋\n");
    t.write(
        "runbooks/bad.toml.md",
        "+++\ntitle = \"x\"\nsystems = [\n+++\ntomlbroken 內容\n",
    );
    let report = t.reconcile();
    assert_eq!(report.indexed, 2);
    let yaml_problem = report
        .problems
        .iter()
        .find(|p| p.path == "runbooks/bad.md" && p.code == "front-matter")
        .unwrap();
    assert!(matches!(yaml_problem.line, Some(3..=5)), "{yaml_problem:?}");
    assert_eq!(yaml_problem.severity, Severity::Error);
    assert!(
        problem_codes(&t, &report, "runbooks/bad.toml.md").contains(&"front-matter".to_string())
    );
    assert_eq!(t.ids("brokenyaml"), vec!["runbooks/bad.md"]);
    assert_eq!(t.search("brokenyaml").hits[0].title, "壞掉的前言");
    assert_eq!(t.ids("tomlbroken"), vec!["runbooks/bad.toml.md"]);
}

#[test]
fn unterminated_front_matter_and_wrong_types() {
    let t = TestCorpus::empty();
    t.write("faq/open.md", "---\ntitle: never closed\nopenfence 內容\n");
    t.write("incidents/typed.md", "---\nsystems: [core-banking]\nseverity: P1\noccurred: not-a-date\ntags: {a: 1}\n---\nbadtypes\n");
    let report = t.reconcile();
    let open: Vec<_> = report
        .problems
        .iter()
        .filter(|p| p.path == "faq/open.md")
        .collect();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].line, Some(1));
    assert_eq!(t.ids("openfence"), vec!["faq/open.md"]);
    let typed: Vec<_> = report
        .problems
        .iter()
        .filter(|p| p.path == "incidents/typed.md")
        .collect();
    let bad_date = typed
        .iter()
        .find(|p| p.message.contains("occurred"))
        .expect("bad date problem");
    assert_eq!(bad_date.line, Some(4));
    assert!(
        typed
            .iter()
            .any(|p| p.message.contains("'tags'") && p.line == Some(5)),
        "{typed:?}"
    );
    assert_eq!(t.ids("badtypes"), vec!["incidents/typed.md"]);
}

#[test]
fn invalid_utf8_is_a_problem_and_the_rest_is_searchable() {
    let t = TestCorpus::empty();
    let mut bytes = "# 編碼錯誤\n\nfirstline 正常\n".as_bytes().to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe, b'\n']);
    bytes.extend_from_slice("lastline 仍在\n".as_bytes());
    t.write("articles/latin1.md", bytes);
    let report = t.reconcile();
    let p = report
        .problems
        .iter()
        .find(|p| p.code == "invalid-utf8")
        .expect("invalid-utf8 problem");
    assert_eq!(p.line, Some(4));
    assert_eq!(t.ids("lastline"), vec!["articles/latin1.md"]);
    assert_eq!(t.ids("firstline"), vec!["articles/latin1.md"]);
}

#[test]
fn empty_file_is_indexed_by_name() {
    let t = TestCorpus::empty();
    t.write("articles/空白筆記.md", "");
    let report = t.reconcile();
    assert_eq!(report.indexed, 1);
    assert!(report.problems.is_empty());
    let r = t.search("空白筆記");
    assert_eq!(r.hits[0].title, "空白筆記");
}

#[test]
fn file_over_the_size_limit_is_truncated_with_a_problem() {
    let t = TestCorpus::empty();
    let mut big = String::from("# 大檔案\n\nbeginning 開頭\n");
    while big.len() < 4096 {
        big.push_str("填充內容 filler line\n");
    }
    big.push_str("tailmarker 結尾\n");
    t.write("articles/big.md", &big);
    let report = t.reconcile_with_limit(2048);
    let p = report
        .problems
        .iter()
        .find(|p| p.code == "too-large")
        .expect("too-large problem");
    assert!(p.message.contains("2048"), "{p:?}");
    assert_eq!(t.ids("beginning"), vec!["articles/big.md"]);
    assert!(t.ids("tailmarker").is_empty());
}

#[test]
fn binary_file_named_md_is_a_problem_not_a_crash() {
    let t = TestCorpus::empty();
    let mut png = vec![
        0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d,
    ];
    png.extend((0..2000u32).map(|i| (i % 251) as u8));
    t.write("articles/diagram.md", png);
    t.write("articles/ok.md", "# fine\nhealthy doc\n");
    let report = t.reconcile();
    assert_eq!(
        problem_codes(&t, &report, "articles/diagram.md"),
        vec!["binary"]
    );
    assert_eq!(t.ids("healthy"), vec!["articles/ok.md"]);
    assert_eq!(t.ids("diagram"), vec!["articles/diagram.md"]);
}

#[test]
fn file_deleted_between_listing_and_reading() {
    let t = TestCorpus::empty();
    t.write("runbooks/kept.md", "# kept\nstill here\n");
    let (entries, _) = baton::corpus::list(&t.corpus);
    let mut entries = entries;
    t.write("runbooks/vanishing.md", "# soon gone\n");
    let (with_new, _) = baton::corpus::list(&t.corpus);
    entries.extend(
        with_new
            .into_iter()
            .filter(|e| e.id.as_str() == "runbooks/vanishing.md"),
    );
    std::fs::remove_file(t.corpus.join("runbooks/vanishing.md")).unwrap();

    let err = document::load(
        &t.corpus,
        &DocId::parse("runbooks/vanishing.md").unwrap(),
        &t.schema,
        1 << 20,
    );
    assert!(matches!(err, Err(LoadError::Gone(_))));

    let writer = Writer::start(&t.index).unwrap();
    let opts = reconcile::Options {
        max_file_bytes: 1 << 20,
        progress: &|_, _| {},
    };
    let report = reconcile::index_files(&t.index, &writer, &t.corpus, &entries, &opts).unwrap();
    assert_eq!(report.indexed, 1);
    assert_eq!(
        problem_codes(&t, &report, "runbooks/vanishing.md"),
        vec!["gone"]
    );
    drop(writer);
    assert_eq!(t.ids("still"), vec!["runbooks/kept.md"]);
}

#[test]
fn unknown_kind_and_missing_required_fields() {
    let t = TestCorpus::empty();
    t.write(
        "runbooks/x.md",
        "---\nkind: recipe\ntitle: 沒有系統\n---\nbody\n",
    );
    let report = t.reconcile();
    let codes = problem_codes(&t, &report, "runbooks/x.md");
    assert!(codes.contains(&"unknown-kind".to_string()), "{codes:?}");
    assert!(codes.contains(&"missing-field".to_string()), "{codes:?}");
    assert_eq!(t.search("沒有系統").hits[0].kind, "runbook");
}

#[test]
fn hidden_and_non_markdown_files_are_ignored() {
    let t = TestCorpus::empty();
    t.write(".git/HEAD.md", "# not a doc\n");
    t.write("runbooks/.draft.md", "# hidden\n");
    t.write("runbooks/notes.txt", "# text\n");
    t.write("runbooks/real.MD", "# real doc\n");
    let report = t.reconcile();
    assert_eq!(report.files, 1);
    assert_eq!(t.ids("real"), vec!["runbooks/real.MD"]);
}
