//! Ranking behaviours pinned on tests/fixtures/ranking, a corpus written so
//! that each behaviour decides the order of its candidates: remove the
//! behaviour and its test fails.

mod common;

use baton::analysis::Mode;
use baton::search::SearchRequest;
use common::TestCorpus;

fn corpus() -> TestCorpus {
    TestCorpus::fixture("ranking")
}

fn first(t: &TestCorpus, q: &str) -> String {
    t.ids(q)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no hit for {q:?}"))
}

fn rank_of(t: &TestCorpus, q: &str, id: &str) -> Option<usize> {
    t.ids(q).iter().position(|h| h == id)
}

#[test]
fn a_word_frequent_in_titles_does_not_outweigh_a_document_about_the_query() {
    let t = corpus();
    // 查看 is the title of articles/view-logs.md (and in no other title);
    // only the disk runbook's body says what the query asks about.
    assert_eq!(first(&t, "查看 映像檔堆積"), "runbooks/k8s/log-rotation.md");
}

#[test]
fn question_words_are_stop_words_unless_alone() {
    let t = corpus();
    // 如何 fills the VPN FAQ's title and body; it says nothing about the topic.
    assert_eq!(first(&t, "如何 日志轮转"), "runbooks/k8s/log-rotation.md");
    assert_eq!(first(&t, "如何"), "faq/vpn-how-to.md");
}

#[test]
fn user_dictionary_keeps_ops_words_whole() {
    let t = corpus();
    // Without 命名空间 in index-schema/userdict.txt the query is 命名 + 空间,
    // which the naming-conventions article repeats many times.
    assert_eq!(
        first(&t, "命名空间 配额"),
        "runbooks/k8s/namespace-quota.md"
    );
    let terms = baton::analysis::Analyzer::new().terms("命名空間", Mode::Query);
    assert_eq!(terms[0].text, "命名空间");
}

#[test]
fn synonyms_bridge_taiwan_mainland_and_english_vocabulary() {
    let t = corpus();
    // The runbook says 数据库服务器 / 连接池; the query uses Taiwan words.
    assert_eq!(first(&t, "資料庫伺服器"), "runbooks/db/connection-pool.md");
    // English to Chinese.
    assert_eq!(
        first(&t, "database server"),
        "runbooks/db/connection-pool.md"
    );
    // Chinese to English: the runbook only says "certificate expires".
    assert_eq!(first(&t, "憑證過期"), "runbooks/k8s/certificates.md");
}

#[test]
fn product_names_are_not_split_into_noise() {
    let t = corpus();
    // "Ti" is a unit in the glossary; TiKV must not be "ti" + "kv".
    assert_eq!(first(&t, "TiKV"), "runbooks/db/tikv-store.md");
    assert_eq!(rank_of(&t, "Ti", "runbooks/db/tikv-store.md"), None);
    // Nor is TiFlash "flash": the storage article is the only flash.
    assert_eq!(
        t.ids("flash"),
        vec!["articles/flash-storage.md".to_string()]
    );
    assert_eq!(first(&t, "tiflash"), "runbooks/db/tiflash-sync.md");
}

#[test]
fn the_tail_of_a_camel_case_alert_finds_the_alert() {
    let t = corpus();
    // NotReady is a CamelCase bigram of KubeNodeNotReady; the readiness
    // article only has "not" and "ready" apart, and more often.
    assert_eq!(first(&t, "NotReady"), "runbooks/k8s/node-notready.md");
    // apiserver is stemmed the same way as the whole of APIServer.
    assert_eq!(first(&t, "apiserver"), "runbooks/k8s/node-notready.md");
    let a = baton::analysis::Analyzer::new();
    let indexed = |text: &str| -> Vec<String> {
        a.terms(text, Mode::Index)
            .into_iter()
            .map(|t| t.text)
            .collect()
    };
    let query = a.terms("apiserver NotReady", Mode::Query);
    assert!(indexed("APIServer").contains(&query[0].text));
    assert!(indexed("KubeNodeNotReady").contains(&query[1].text));
}

#[test]
fn typos_are_tolerated_but_exact_matches_rank_first() {
    let t = corpus();
    assert_eq!(
        first(&t, "kubelet certifcate expirtion"),
        "runbooks/k8s/certificates.md"
    );
    // Both the exact word and its one-letter neighbour are found, exact first.
    let ids = t.ids("kafka");
    assert_eq!(ids[0], "runbooks/db/kafka-consumer.md");
    assert!(
        ids.contains(&"articles/kafak-typo-note.md".to_string()),
        "{ids:?}"
    );
    // Short words get no tolerance: "kafk" is not "kafka".
    assert!(t.ids("kafk ").is_empty());
}

#[test]
fn the_last_word_is_completed_while_typing() {
    let t = corpus();
    // "checkpo" is three edits from "checkpoint": only completion finds it,
    // and only while the word is open (no trailing space).
    let typing = t.ids("certificate checkpo");
    assert_eq!(typing[0], "runbooks/k8s/certificates.md");
    assert!(t
        .ids("checkpo")
        .contains(&"runbooks/db/oracle-snapshot.md".to_string()));
    assert!(t.ids("checkpo ").is_empty());
}

#[test]
fn quoted_phrases_must_occur_as_written() {
    let t = corpus();
    let loose = t.ids("snapshot too old");
    assert!(loose.contains(&"articles/old-snapshots.md".to_string()));
    let exact = t.ids("\"snapshot too old\"");
    assert_eq!(exact, vec!["runbooks/db/oracle-snapshot.md".to_string()]);
}

#[test]
fn minus_excludes_a_word_or_a_phrase() {
    let t = corpus();
    let all = t.ids("ORA-01555");
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(
        t.ids("ORA-01555 -storage"),
        vec!["runbooks/db/oracle-snapshot.md".to_string()]
    );
    assert_eq!(
        t.ids("ORA-01555 -\"long query\""),
        vec!["articles/old-snapshots.md".to_string()]
    );
}

#[test]
fn inline_filters_restrict_like_request_filters() {
    let t = corpus();
    let ids = t.ids("kind:incident DNS resolution");
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(ids.iter().all(|id| id.starts_with("incidents/")), "{ids:?}");
    assert_eq!(t.ids("system:tidb 副本"), t.ids("副本 system:tidb"));
    assert!(t
        .ids("system:tidb 副本")
        .iter()
        .all(|id| id.starts_with("runbooks/db/")));
    assert_eq!(t.ids("tag:kafka").len(), 1);
    // AND with the request's own filters.
    let r = t.search_req(&SearchRequest {
        kinds: vec!["runbook".into()],
        ..SearchRequest::new("kind:incident DNS")
    });
    assert_eq!(r.total, 0);
    // An unknown key is just text.
    assert!(!t.ids("colour:kafka").is_empty());
}

#[test]
fn runbooks_outrank_incidents_and_recent_incidents_break_ties() {
    let t = corpus();
    let ids = t.ids("DNS resolution failures");
    assert_eq!(
        ids[..3],
        [
            "runbooks/k8s/dns-failures.md".to_string(),
            "incidents/2026/2026-02-11-dns-outage.md".to_string(),
            "incidents/2024/2024-05-02-dns-outage.md".to_string(),
        ]
    );
}

#[test]
fn neighbouring_query_words_rank_documents_where_they_are_neighbours() {
    let t = corpus();
    // Same words, same lengths; only the first note has them side by side.
    let near = rank_of(&t, "consumer lag", "articles/messaging-notes-a.md");
    let apart = rank_of(&t, "consumer lag", "articles/messaging-notes-b.md");
    assert!(near.is_some() && apart.is_some());
    assert!(near < apart, "{near:?} {apart:?}");
}

#[test]
fn identifiers_only_in_the_file_name_are_found() {
    let t = corpus();
    assert_eq!(first(&t, "PM2023-001"), "postmortems/PM2023-001.md");
}

#[test]
fn a_pasted_log_line_matches_on_its_informative_words() {
    let t = corpus();
    let log = format!(
        "2026-03-19 00:47:12.331 ERROR [batch-worker-3] c.b.cbs.batch.Step - chunk 1842 failed: \
         java.sql.SQLException: ORA-01555: snapshot too old: rollback segment number 7 with name \
         \"_SYSSMU7$\" too small {}",
        "at com.bank.batch.Step.run(Step.java:88) ".repeat(40)
    );
    assert_eq!(first(&t, &log), "runbooks/db/oracle-snapshot.md");
}
