//! The index follows the corpus: only differences are indexed, deletions are
//! noticed, and a schema or pipeline change rebuilds it from the corpus.

mod common;

use baton::index::BatonIndex;
use baton::schema::Schema;
use common::TestCorpus;

#[test]
fn unchanged_corpus_does_no_indexing_work() {
    let t = TestCorpus::fixture("mini");
    let again = t.reconcile();
    assert_eq!(again.indexed, 0);
    assert_eq!(again.deleted, 0);
    assert_eq!(again.bytes, 0, "unchanged files are not even read");
    assert_eq!(again.unchanged, 7);
}

#[test]
fn edits_additions_and_deletions_are_applied() {
    let t = TestCorpus::fixture("mini");
    // Same size, new content: mtime differs, hash differs -> reindexed.
    std::thread::sleep(std::time::Duration::from_millis(50));
    t.write(
        "articles/no-front-matter.md",
        "# Handover checklist\n\nNow mentions 金鑰輪替 only.\n",
    );
    t.write("faq/new.md", "# 新問題\n\n批次重跑 newfaq\n");
    std::fs::remove_file(t.corpus.join("runbooks/mysql-db/主从复制延迟.md")).unwrap();
    let report = t.reconcile();
    assert_eq!(report.indexed, 2);
    assert_eq!(report.deleted, 1);
    assert_eq!(t.ids("金鑰輪替"), vec!["articles/no-front-matter.md"]);
    assert_eq!(t.ids("newfaq"), vec!["faq/new.md"]);
    assert!(t.ids("复制延迟").is_empty());
    assert_eq!(t.index.num_docs(), 7);
}

#[test]
fn touched_but_identical_file_is_refreshed_once_then_skipped() {
    let t = TestCorpus::fixture("mini");
    let path = t.corpus.join("faq/plain-name.md");
    let content = std::fs::read(&path).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(50));
    std::fs::write(&path, content).unwrap();
    let report = t.reconcile();
    assert_eq!(report.indexed, 1, "the new mtime is recorded");
    let report = t.reconcile();
    assert_eq!((report.indexed, report.bytes), (0, 0));
    assert_eq!(report.unchanged, 7);
}

#[test]
fn schema_change_rebuilds_the_index() {
    let t = TestCorpus::fixture("mini");
    assert_eq!(t.index.num_docs(), 7);
    let text =
        std::fs::read_to_string(common::fixtures().join("../../index-schema/schema.toml")).unwrap();
    let changed = Schema::parse(
        &text.replace("stale_after_days = 180", "stale_after_days = 90"),
        "schema.toml",
    )
    .unwrap();
    assert_ne!(changed.fingerprint(), t.schema.fingerprint());
    drop(t.index.clone());
    let reopened = BatonIndex::open(&t.data, &changed, false).unwrap();
    assert!(reopened.rebuilt);
    assert_eq!(
        reopened.num_docs(),
        0,
        "old documents were built with another schema"
    );

    // Same schema again: kept.
    let same = BatonIndex::open(&t.data, &changed, false).unwrap();
    assert!(!same.rebuilt);
}

#[test]
fn deleted_index_is_rebuilt_from_the_corpus() {
    let t = TestCorpus::fixture("mini");
    std::fs::remove_dir_all(t.data.join("index")).unwrap();
    let fresh = BatonIndex::open(&t.data, &t.schema, false).unwrap();
    assert!(fresh.rebuilt);
    let t2 = TestCorpus { index: fresh, ..t };
    let report = t2.reconcile();
    assert_eq!(report.indexed, 7);
    assert_eq!(
        t2.ids("ORA-01555")[0],
        "runbooks/core-banking/eod-batch-ora-01555.md"
    );
}

#[test]
fn a_bulk_load_is_merged_into_one_segment_and_single_edits_are_not() {
    use baton::doc_id::DocId;
    use baton::document::parse;
    use baton::index::writer::Writer;
    let t = TestCorpus::empty();
    let doc = |i: usize| {
        let id = DocId::parse(&format!("faq/bulk-{i}.md")).unwrap();
        let text = format!("# 批次 {i}\n\nORA-01555 快照過舊 snapshot too old, 第 {i} 篇。\n");
        parse(id, &text, &t.schema)
    };
    let writer = Writer::start(&t.index).unwrap();
    // Three commits make at least three segments: a small one, then two
    // bulk loads in quick succession (the second while the first's merge
    // may still run).
    for i in 0..30 {
        writer.upsert(doc(i)).unwrap();
    }
    writer.commit().unwrap();
    for i in 30..130 {
        writer.upsert(doc(i)).unwrap();
    }
    writer.commit().unwrap();
    for i in 130..330 {
        writer.upsert(doc(i)).unwrap();
    }
    writer.commit().unwrap();
    common::wait_until("the bulk loads' merge", || t.index.num_segments() == 1);
    assert_eq!(t.index.num_docs(), 330);
    // A single edit after it is a segment of its own, left to the merge policy.
    writer.upsert(doc(7)).unwrap();
    writer.commit().unwrap();
    drop(writer);
    assert_eq!(t.index.num_segments(), 2);
    assert_eq!(t.index.num_docs(), 330);
    let hits = t.search_req(&baton::search::SearchRequest {
        limit: 100,
        ..baton::search::SearchRequest::new("ORA-01555 快照过旧")
    });
    assert_eq!(hits.total, 330);
}
