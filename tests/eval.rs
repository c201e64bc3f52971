//! `baton eval` end to end at library level: a copy of tests/fixtures/mini
//! (plus a corpus README.md and SOURCE.md that must not be ranked) is
//! indexed, a judged-queries file in a temp folder is run, and the metrics
//! are checked against values worked out by hand.

mod common;

use std::path::Path;

use baton::eval::{self, Metrics, Report};
use baton::schema::Schema;

const EOD: &str = "runbooks/core-banking/eod-batch-ora-01555.md";
const MYSQL: &str = "runbooks/mysql-db/主从复制延迟.md";
const RESTART: &str = "runbooks/payment-gateway/restart-pods.md";
const PGW_503: &str = "incidents/2025/2025-03-14-pgw-503.md";
const FAQ: &str = "faq/plain-name.md";
const CHECKLIST: &str = "articles/no-front-matter.md";

/// nDCG of one relevant document found at rank 2: 1/log2(3).
const NDCG_SECOND: f64 = 0.630_929_753_571_457_4;
/// nDCG of two relevant documents, only the first found at rank 1: 1/(1 + 1/log2(3)).
const NDCG_ONE_OF_TWO: f64 = 0.613_147_193_701_714_2;

fn line(id: &str, q: &str, lang: &str, kind: &str, relevant: &[&str]) -> String {
    serde_json::json!({"id": id, "query": q, "lang": lang, "kind": kind, "relevant": relevant})
        .to_string()
}

/// The judged queries; what each scores is worked out in `run_eval`'s asserts.
fn queries_file(dir: &Path) -> std::path::PathBuf {
    let lines = [
        // Only the runbook has ORA-01555: rank 1.
        line("q1", "日終批次 ORA-01555", "zh-hant", "error-code", &[EOD]),
        // The incident mentions a restart once; the restart runbook is far ahead: rank 2.
        line("q2", "restart", "en", "howto", &[PGW_503]),
        // Both payment-gateway documents in the top 2, in either order.
        line(
            "q3",
            "payment gateway",
            "en",
            "symptom",
            &[RESTART, PGW_503],
        ),
        // One of two relevant documents found, at rank 1.
        line("q4", "OOMKilled", "en", "identifier", &[RESTART, CHECKLIST]),
        // Matches nothing.
        line("q5", "zzqqxx", "mixed", "symptom", &[MYSQL]),
        // README.md and team/SOURCE.md repeat the word; they are removed, so the FAQ is first.
        line("q6", "資料備份", "zh-hant", "howto", &[FAQ]),
    ];
    let path = dir.join("queries.jsonl");
    std::fs::write(&path, format!("{}\n\n", lines.join("\n"))).unwrap();
    path
}

fn run_eval() -> Report {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    common::copy_dir(&common::fixtures().join("mini"), &corpus);
    let noise = "# 資料備份\n\n資料備份 資料備份 資料備份，備份資料。\n";
    std::fs::write(corpus.join("README.md"), noise).unwrap();
    std::fs::create_dir_all(corpus.join("team")).unwrap();
    std::fs::write(corpus.join("team/SOURCE.md"), noise).unwrap();
    let schema = Schema::load(Some(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("index-schema"),
    ))
    .unwrap();
    let (index, _) = eval::index_corpus(
        &corpus,
        &dir.path().join("data"),
        &schema,
        baton::document::DEFAULT_MAX_FILE_BYTES,
    )
    .unwrap();
    let queries = eval::load_queries(&queries_file(dir.path())).unwrap();
    eval::evaluate(&index, &queries).unwrap()
}

fn assert_metrics(label: &str, m: &Metrics, count: usize, mrr: f64, recall: f64, ndcg: f64) {
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    assert_eq!(m.count, count, "{label}: count");
    assert!(close(m.mrr, mrr), "{label}: MRR {} != {mrr}", m.mrr);
    assert!(
        close(m.recall, recall),
        "{label}: recall {} != {recall}",
        m.recall
    );
    assert!(close(m.ndcg, ndcg), "{label}: nDCG {} != {ndcg}", m.ndcg);
}

#[test]
fn per_query_ranks_and_scores_match_hand_computation() {
    let report = run_eval();
    let ranks: Vec<Option<usize>> = report.results.iter().map(|r| r.rank).collect();
    assert_eq!(ranks, [Some(1), Some(2), Some(1), Some(1), None, Some(1)]);
    let ndcgs: Vec<f64> = report.results.iter().map(|r| r.ndcg).collect();
    let want = [1.0, NDCG_SECOND, 1.0, NDCG_ONE_OF_TWO, 0.0, 1.0];
    for (got, want) in ndcgs.iter().zip(want) {
        assert!((got - want).abs() < 1e-9, "nDCGs {ndcgs:?}");
    }
}

#[test]
fn overall_lang_and_kind_metrics_match_hand_computation() {
    let r = run_eval();
    // RR 1, 1/2, 1, 1, 0, 1; recall 1, 1, 1, 1/2, 0, 1.
    let ndcg_sum = 3.0 + NDCG_SECOND + NDCG_ONE_OF_TWO;
    assert_metrics(
        "overall",
        &r.overall,
        6,
        4.5 / 6.0,
        4.5 / 6.0,
        ndcg_sum / 6.0,
    );
    assert_eq!(
        r.by_lang.keys().collect::<Vec<_>>(),
        ["en", "mixed", "zh-hant"]
    );
    let en_ndcg = (1.0 + NDCG_SECOND + NDCG_ONE_OF_TWO) / 3.0;
    assert_metrics("en", &r.by_lang["en"], 3, 2.5 / 3.0, 2.5 / 3.0, en_ndcg);
    assert_metrics("mixed", &r.by_lang["mixed"], 1, 0.0, 0.0, 0.0);
    assert_metrics("zh-hant", &r.by_lang["zh-hant"], 2, 1.0, 1.0, 1.0);
    let howto_ndcg = (1.0 + NDCG_SECOND) / 2.0;
    assert_metrics("howto", &r.by_kind["howto"], 2, 0.75, 1.0, howto_ndcg);
    assert_metrics("symptom", &r.by_kind["symptom"], 2, 0.5, 0.5, 0.5);
    assert_metrics(
        "identifier",
        &r.by_kind["identifier"],
        1,
        1.0,
        0.5,
        NDCG_ONE_OF_TWO,
    );
    assert_metrics("error-code", &r.by_kind["error-code"], 1, 1.0, 1.0, 1.0);
}

#[test]
fn corpus_readme_and_source_files_never_rank() {
    let r = run_eval();
    for q in &r.results {
        assert!(
            q.ranked.iter().all(|h| !eval::is_skipped(&h.id)),
            "{}: {:?}",
            q.id,
            q.ranked
        );
    }
    assert_eq!(r.results[5].ranked[0].id, FAQ);
}

#[test]
fn misses_name_the_expected_and_what_ranked_first() {
    let r = run_eval();
    let ids: Vec<&str> = r.misses.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["q5", "q2"]);
    assert_eq!(r.misses[0].first, None);
    let first = r.misses[1].first.as_ref().map(|h| h.id.as_str());
    assert_eq!(first, Some(RESTART));
    let text = r.render(Some(1));
    assert!(
        text.contains("misses (first relevant not at rank 1): 2, showing 1"),
        "{text}"
    );
    assert!(
        text.contains("[q5] mixed / symptom: not in top 10"),
        "{text}"
    );
    assert!(!text.contains("[q2]"), "{text}");
    assert!(text.contains("twins: every listed relevant id counts as relevant"));
}

#[test]
fn json_report_round_trips() {
    let r = run_eval();
    let json = serde_json::to_value(&r).unwrap();
    for key in [
        "engine", "k", "overall", "by_lang", "by_kind", "misses", "results",
    ] {
        assert!(json.get(key).is_some(), "no {key} in {json}");
    }
    let back: Report = serde_json::from_value(json).unwrap();
    assert_eq!(back.misses, r.misses);
    assert!((back.overall.mrr - r.overall.mrr).abs() < 1e-12);
}

#[test]
fn malformed_query_line_is_reported_with_its_line_number() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.jsonl");
    std::fs::write(
        &path,
        format!("{}\nnot json\n", line("a", "x", "en", "howto", &[EOD])),
    )
    .unwrap();
    let err = eval::load_queries(&path).unwrap_err().to_string();
    assert!(err.contains("bad.jsonl:2:"), "{err}");
    std::fs::write(&path, "\n").unwrap();
    assert!(eval::load_queries(&path).is_err());
}
