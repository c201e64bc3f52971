//! The term-at-a-time evaluator (`search::evaluate`) must compute what
//! tantivy computes for the equivalent query: the same matches with the
//! same scores, the same filtering, and, when only the best hits are
//! wanted, the same best hits even though it skips bonuses elsewhere.
//! Real index on disk, several segments, deleted documents.

mod common;

use baton::doc_id::DocId as BatonId;
use baton::document::{self, DEFAULT_MAX_FILE_BYTES};
use baton::index::fields;
use baton::search::evaluate::{self, Filters, TextQuery, TopK};
use baton::search::{parse, query};
use baton::visibility::Viewer;
use common::TestCorpus;
use tantivy::collector::{Collector, SegmentCollector, TopDocs};
use tantivy::indexer::NoMergePolicy;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{
    DocAddress, DocId, IndexWriter, Score, Searcher, SegmentOrdinal, SegmentReader, Term,
};

/// Queries of every shape the planner produces: words, Traditional and
/// Simplified Chinese, mixed text, identifiers, typos, an unfinished last
/// word, multi-word synonyms, quoted and excluded phrases, stop words.
const QUERIES: &[&str] = &[
    "tiflash 副本不可用",
    "TiFlash 同步緩慢",
    "tiflash 同步缓慢",
    "DNS resolution failures",
    "dns resolution failure in data centre",
    "ORA-01555 snapshot too old",
    "kafak topics",
    "kafka topic",
    "kubelet certificate expiration",
    "KubeNodeNotReady 告警",
    "節點磁碟使用率過高",
    "节点磁盘使用率过高 disk",
    "pod not ready",
    "pod quota exceeded 資源配額",
    "storage snapshot housekeeping",
    "replicat",
    "certifcate expiraton",
    "\"resolution failures\" dns",
    "dns -\"data centre\"",
    "-\"pod not ready\"",
    "how to check logs",
    "查看日誌 log",
    "tikv store 容量不足",
    "flash",
    "慢查詢 門檻",
    "慢查询日志",
];

/// Every match with its score, as (segment, doc, score), sorted.
struct AllScores;

struct SegmentScores(SegmentOrdinal, Vec<(u32, DocId, Score)>);

impl Collector for AllScores {
    type Fruit = Vec<(u32, DocId, Score)>;
    type Child = SegmentScores;

    fn for_segment(&self, ord: SegmentOrdinal, _: &SegmentReader) -> tantivy::Result<Self::Child> {
        Ok(SegmentScores(ord, Vec::new()))
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Self::Fruit>) -> tantivy::Result<Self::Fruit> {
        let mut all: Self::Fruit = fruits.into_iter().flatten().collect();
        all.sort_by_key(|&(s, d, _)| (s, d));
        Ok(all)
    }
}

impl SegmentCollector for SegmentScores {
    type Fruit = Vec<(u32, DocId, Score)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        self.1.push((self.0, doc, score));
    }

    fn harvest(self) -> Self::Fruit {
        self.1
    }
}

/// The fixture corpus spread over several segments, with deleted documents.
///
/// Baton's writer merges by policy in the background, and whether a merge
/// lands before the reader reloads depends on the machine (how its indexing
/// threads split the fixture, how fast it merges): the layout this test
/// needs would then come and go. So after the fixture's reconcile, the
/// later steps are indexed with tantivy's merging off, one commit each, from
/// the same documents baton's loader makes.
fn corpus() -> TestCorpus {
    let t = TestCorpus::fixture("ranking");
    t.write(
        "runbooks/dns-extra.md",
        "---\ntitle: DNS resolver restart\ntags: [dns]\n---\nRestart the DNS resolution service in the data centre; \
         TiFlash 副本 and kafka topics are unaffected.\n",
    );
    t.write(
        "incidents/2025-03-ora.md",
        "---\ntitle: ORA-01555 during nightly batch\nkind: incident\nupdated: 2025-03-02\n---\n\
         snapshot too old on the ledger database; 節點磁碟使用率過高 at the same time.\n",
    );
    t.write(
        "runbooks/slow-query.md",
        "---\ntitle: Slow log review\n---\nEvery slow query lands in the slow log; a query is slow \
         past the threshold. The slow query log of the ledger database.\n",
    );
    let mut writer: IndexWriter = t
        .index
        .index
        .writer_with_num_threads(1, 15_000_000)
        .unwrap();
    writer.set_merge_policy(Box::new(NoMergePolicy));
    upsert(
        &t,
        &mut writer,
        &[
            "runbooks/dns-extra.md",
            "incidents/2025-03-ora.md",
            "runbooks/slow-query.md",
        ],
    );
    // Edits and a removal make the old versions deleted documents of earlier segments.
    t.write(
        "articles/flash-storage.md",
        "---\ntitle: Flash storage arrays\n---\nFlash storage snapshot housekeeping, pod not ready checks.\n",
    );
    let removed = "runbooks/db/tiflash-sync.md";
    std::fs::remove_file(t.corpus.join(removed)).unwrap();
    writer.delete_term(Term::from_field_text(t.index.fields.id, removed));
    upsert(&t, &mut writer, &["articles/flash-storage.md"]);
    writer.wait_merging_threads().unwrap();
    t.index.reader.reload().unwrap();
    t
}

/// Replaces `ids` in the index by their current files, in one commit.
fn upsert(t: &TestCorpus, writer: &mut IndexWriter, ids: &[&str]) {
    for id in ids {
        let id = BatonId::parse(id).unwrap();
        let doc = document::load(&t.corpus, &id, &t.index.schema, DEFAULT_MAX_FILE_BYTES).unwrap();
        writer.delete_term(Term::from_field_text(t.index.fields.id, id.as_str()));
        writer
            .add_document(fields::to_tantivy(&doc, &t.index.fields))
            .unwrap();
    }
    writer.commit().unwrap();
}

fn plan(t: &TestCorpus, searcher: &Searcher, q: &str) -> Option<TextQuery> {
    let parsed = parse::parse(q);
    query::plan(&t.index, searcher, &parsed).query
}

fn assert_same(q: &str, ours: &[(u32, DocId, Score)], theirs: &[(u32, DocId, Score)]) {
    let docs = |v: &[(u32, DocId, Score)]| v.iter().map(|&(s, d, _)| (s, d)).collect::<Vec<_>>();
    assert_eq!(docs(ours), docs(theirs), "matches differ for {q:?}");
    for (a, b) in ours.iter().zip(theirs) {
        let close = (a.2 - b.2).abs() <= 1e-4 * b.2.abs().max(1.0);
        assert!(
            close,
            "score of {:?} for {q:?}: ours {} tantivy {}",
            (a.0, a.1),
            a.2,
            b.2
        );
    }
}

#[test]
fn every_match_and_score_equals_tantivy_on_the_equivalent_query() {
    let t = corpus();
    let searcher = t.index.reader.searcher();
    assert!(
        searcher.segment_readers().len() > 1,
        "the test needs several segments"
    );
    assert!(
        searcher
            .segment_readers()
            .iter()
            .any(|r| r.num_deleted_docs() > 0),
        "the test needs deleted documents"
    );
    let (mut matched_queries, mut with_phrases) = (0, 0);
    // Twice: the lexicon's phrases are found in the first round and read
    // from each segment's memo in the second.
    for round in 0..2 {
        for q in QUERIES {
            let Some(text) = plan(&t, &searcher, q) else {
                continue;
            };
            if text.required.is_empty() && text.optional.is_empty() {
                continue; // match-all: tantivy's AllQuery scores 1, ours 0 (sorted by date anyway)
            }
            let theirs = searcher.search(&*text.to_query(), &AllScores).unwrap();
            let ours =
                evaluate::search(&searcher, &text, &Filters::default(), None, &AllScores).unwrap();
            assert_same(q, &ours, &theirs);
            if round == 0 {
                matched_queries += usize::from(!ours.is_empty());
                with_phrases += usize::from(format!("{:?}", text.optional).contains("Phrase("));
            }
        }
    }
    assert!(
        matched_queries >= QUERIES.len() - 4,
        "most queries must match something"
    );
    assert!(
        with_phrases >= 2,
        "some queries must have multi-word synonyms (phrase leaves)"
    );
}

#[test]
fn filters_and_visibility_select_without_changing_scores() {
    let t = corpus();
    t.write(
        "runbooks/private-dns.md",
        "---\ntitle: DNS internal notes\nvisibility: internal\n---\nDNS resolution failures, kafka topics.\n",
    );
    t.reconcile();
    let searcher = t.index.reader.searcher();
    let kind = |k: &str| -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(t.index.fields.kind, k),
            IndexRecordOption::Basic,
        ))
    };
    let columns = t.index.columns.for_searcher(&t.index, &searcher, &[]);
    let anonymous = Viewer::Anonymous.terms().unwrap();
    let flags: Vec<_> = columns.iter().map(|c| c.visible(&anonymous)).collect();
    let mut hidden = 0;
    for q in QUERIES {
        let Some(text) = plan(&t, &searcher, q) else {
            continue;
        };
        if text.required.is_empty() && text.optional.is_empty() {
            continue;
        }
        let filters = Filters {
            queries: vec![kind("runbook")],
            visible: Some(flags.iter().map(|f| &f[..]).collect()),
        };
        let access = t.index.access_filter(&Viewer::Anonymous).unwrap();
        let reference = BooleanQuery::new(vec![
            (Occur::Must, text.to_query()),
            (
                Occur::Must,
                Box::new(ConstScoreQuery::new(kind("runbook"), 0.0)),
            ),
            (Occur::Must, access),
        ]);
        let theirs = searcher.search(&reference, &AllScores).unwrap();
        let ours = evaluate::search(&searcher, &text, &filters, None, &AllScores).unwrap();
        assert_same(q, &ours, &theirs);
        let unrestricted = Filters {
            queries: vec![kind("runbook")],
            visible: None,
        };
        let all = evaluate::search(&searcher, &text, &unrestricted, None, &AllScores).unwrap();
        hidden += all.len() - ours.len();
    }
    assert!(
        hidden > 0,
        "the internal document must be hidden from some query"
    );
}

#[test]
fn the_best_hits_are_exact_although_bonuses_are_skipped_elsewhere() {
    let t = corpus();
    let checked = assert_best_hits_exact(&t, QUERIES, &[1, 3, 5]);
    assert!(
        checked.with_bonus > 0,
        "some query must have proximity bonuses"
    );
}

/// Hundreds of documents of the same few words: many compete for the best
/// places, and a proximity bonus often decides which get them, so skipping
/// a bonus where it mattered would show.
#[test]
fn the_best_hits_are_exact_among_many_competing_documents() {
    const WORDS: &[&str] = &[
        "kafka", "topic", "lag", "broker", "restart", "disk", "full", "latency", "consumer",
        "offset", "replica", "leader", "the", "node", "check",
    ];
    let t = TestCorpus::empty();
    let mut next = baton::test_support::numbers(7);
    for i in 0..300 {
        let len = 8 + next(60);
        let body: Vec<&str> = (0..len).map(|_| WORDS[next(WORDS.len())]).collect();
        t.write(
            &format!("notes/note-{i}.md"),
            format!("---\ntitle: Note {i}\n---\n{}\n", body.join(" ")),
        );
    }
    t.reconcile();
    let queries = [
        "kafka topic lag",
        "broker restart",
        "disk full latency",
        "consumer offset lag replica",
        "replica leader node check",
        "restart kafka broker leader",
    ];
    let checked = assert_best_hits_exact(&t, &queries, &[1, 3, 10]);
    assert!(
        checked.decided_by_bonus > 0,
        "some best hits must differ with and without the bonuses, or skipping them is not tested"
    );
}

/// What [`assert_best_hits_exact`] compared.
struct Checked {
    /// Query and k pairs with proximity bonuses.
    with_bonus: usize,
    /// Of those, the pairs whose best hits differ without the bonuses.
    decided_by_bonus: usize,
}

/// For each query and k: the best k hits of the evaluator, which skips
/// bonuses where they cannot matter, have the exact scores of the best k
/// by tantivy's full scoring of the equivalent query.
fn assert_best_hits_exact(t: &TestCorpus, queries: &[&str], ks: &[usize]) -> Checked {
    let searcher = t.index.reader.searcher();
    let columns = t.index.columns.for_searcher(&t.index, &searcher, &[]);
    let factors: Vec<&[Score]> = columns.iter().map(|c| &c.factor[..]).collect();
    // Every exact score times the factor, best first (ties by address, as
    // TopDocs breaks them).
    let exact_best = |query: &dyn Query, k: usize| {
        let mut all: Vec<(Score, DocAddress)> = searcher
            .search(query, &AllScores)
            .unwrap()
            .into_iter()
            .map(|(s, d, score)| {
                (
                    score * factors[s as usize][d as usize],
                    DocAddress::new(s, d),
                )
            })
            .collect();
        all.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        all.truncate(k);
        all
    };
    let mut checked = Checked {
        with_bonus: 0,
        decided_by_bonus: 0,
    };
    for q in queries {
        let Some(mut text) = plan(t, &searcher, q) else {
            continue;
        };
        if text.required.is_empty() && text.optional.is_empty() {
            continue;
        }
        for &k in ks {
            let all = exact_best(&*text.to_query(), k);
            let top = TopK {
                k,
                factors: factors.clone(),
            };
            let ours = evaluate::search(
                &searcher,
                &text,
                &Filters::default(),
                Some(&top),
                &TopDocs::with_limit(k).order_by_score(),
            )
            .unwrap();
            assert_eq!(ours.len(), all.len(), "{q:?} k={k}");
            for (a, b) in ours.iter().zip(&all) {
                assert!(
                    (a.0 - b.0).abs() <= 1e-4 * b.0.abs().max(1.0),
                    "{q:?} k={k}: ours {ours:?}, exact {all:?}"
                );
            }
            if !text.bonus.is_empty() {
                checked.with_bonus += 1;
                let bonus = std::mem::take(&mut text.bonus);
                let without = exact_best(&*text.to_query(), k);
                text.bonus = bonus;
                let docs = |v: &[(Score, DocAddress)]| v.iter().map(|h| h.1).collect::<Vec<_>>();
                checked.decided_by_bonus += usize::from(docs(&without) != docs(&all));
            }
        }
    }
    checked
}
