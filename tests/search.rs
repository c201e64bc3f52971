//! Search behaviours pinned on a small mixed-script corpus (tests/fixtures/mini):
//! script folding, stemming, identifiers, segmentation, filters and facets.

mod common;

use baton::search::{SearchRequest, Sort};
use chrono::NaiveDate;
use common::TestCorpus;
use std::path::Path;

const EOD: &str = "runbooks/core-banking/eod-batch-ora-01555.md";
const MYSQL: &str = "runbooks/mysql-db/主从复制延迟.md";
const RESTART: &str = "runbooks/payment-gateway/restart-pods.md";
const PGW_503: &str = "incidents/2025/2025-03-14-pgw-503.md";
const FAILOVER: &str = "training/failover-drill.md";

fn first(t: &TestCorpus, q: &str) -> String {
    t.ids(q)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no hit for {q:?}"))
}

#[test]
fn traditional_query_finds_simplified_document() {
    let t = TestCorpus::fixture("mini");
    // 複製 folds to 复制 and 數據庫 to 数据库 character by character.
    // (Vocabulary differences such as 資料庫/数据库 are synonyms, not folding.)
    assert_eq!(first(&t, "主從複製延遲"), MYSQL);
    assert_eq!(first(&t, "數據庫服務器"), MYSQL);
}

#[test]
fn simplified_query_finds_traditional_document() {
    let t = TestCorpus::fixture("mini");
    assert_eq!(first(&t, "日终批次"), EOD);
    assert_eq!(first(&t, "切换备援"), FAILOVER);
}

#[test]
fn english_inflections_find_the_stem() {
    let t = TestCorpus::fixture("mini");
    assert_eq!(first(&t, "restarting"), RESTART);
    assert_eq!(first(&t, "restarts"), RESTART);
}

#[test]
fn mixed_chinese_english_query() {
    let t = TestCorpus::fixture("mini");
    assert_eq!(first(&t, "payment gateway 逾時 503"), PGW_503);
    assert_eq!(first(&t, "核心系統 日終批次 ORA-01555"), EOD);
}

#[test]
fn error_code_whole_and_by_number() {
    let t = TestCorpus::fixture("mini");
    assert_eq!(first(&t, "ORA-01555"), EOD);
    assert_eq!(first(&t, "01555"), EOD);
    assert_eq!(first(&t, "ora-01555"), EOD);
    // Full-width input from a Chinese IME is folded by NFKC.
    assert_eq!(first(&t, "ＯＲＡ－０１５５５"), EOD);
    assert_eq!(first(&t, "ERROR 1205"), MYSQL);
}

#[test]
fn identifiers_are_findable_whole_and_in_parts() {
    let t = TestCorpus::fixture("mini");
    assert_eq!(first(&t, "OOMKilled"), RESTART);
    assert_eq!(first(&t, "crash looping"), RESTART);
    assert_eq!(first(&t, "tikv_raftstore_region_count"), RESTART);
    assert_eq!(first(&t, "raftstore"), RESTART);
    assert_eq!(first(&t, "java.lang.OutOfMemoryError"), PGW_503);
    assert_eq!(first(&t, "OutOfMemoryError"), PGW_503);
    assert_eq!(first(&t, "SocketTimeoutException"), PGW_503);
    assert_eq!(first(&t, "10.20.30.41"), PGW_503);
}

#[test]
fn chinese_word_inside_a_sentence_is_found_by_segmentation() {
    let t = TestCorpus::fixture("mini");
    // 憑證 appears only inside 「網路銀行的 SSL 憑證將於下週到期需要更換」.
    assert_eq!(t.ids("憑證"), vec![FAILOVER.to_string()]);
    assert_eq!(t.ids("凭证"), vec![FAILOVER.to_string()]);
    // A single character shared by unrelated words is not a substring match:
    // 證 alone is not a word of that sentence.
    assert!(t.ids("到期").contains(&FAILOVER.to_string()));
}

#[test]
fn snippets_mark_matches_in_the_original_script_and_escape_html() {
    let t = TestCorpus::fixture("mini");
    let r = t.search("凭证");
    assert!(
        r.hits[0].snippet.contains("<mark>憑證</mark>"),
        "{}",
        r.hits[0].snippet
    );
    let r = t.search("escape script");
    let hit = r
        .hits
        .iter()
        .find(|h| h.id == "articles/no-front-matter.md")
        .expect("article hit");
    assert!(
        hit.snippet.contains("&lt;script&gt;") || hit.snippet.contains("&lt;"),
        "{}",
        hit.snippet
    );
    assert!(!hit.snippet.contains("<script"), "{}", hit.snippet);
    assert!(!hit.snippet.contains("<b>"), "{}", hit.snippet);
}

#[test]
fn titles_fall_back_to_heading_then_file_name() {
    let t = TestCorpus::fixture("mini");
    let r = t.search("handover checklist");
    assert_eq!(r.hits[0].title, "Handover checklist");
    assert_eq!(r.hits[0].kind, "article");
    let r = t.search("资料备份");
    assert_eq!(r.hits[0].id, "faq/plain-name.md");
    assert_eq!(r.hits[0].title, "plain-name");
    assert_eq!(r.hits[0].kind, "faq");
}

#[test]
fn filters_and_facets_have_exact_counts() {
    let t = TestCorpus::fixture("mini");
    let all = t.search_req(&SearchRequest {
        limit: 100,
        ..SearchRequest::new("")
    });
    assert_eq!(all.total, 7);
    assert_eq!(all.facets["kind"]["runbook"], 3);
    assert_eq!(all.facets["kind"]["incident"], 1);
    assert_eq!(all.facets["systems"]["payment-gateway"], 2);
    assert_eq!(all.facets["systems"]["core-banking"], 2);
    assert_eq!(all.facets["tags"]["failover"], 1);

    let runbooks = t.search_req(&SearchRequest {
        kinds: vec!["runbook".into()],
        ..SearchRequest::new("")
    });
    assert_eq!(runbooks.total, 3);
    assert_eq!(runbooks.facets["kind"].len(), 1);

    // OR within a field, AND across fields.
    let either = SearchRequest {
        systems: vec!["mysql-db".into(), "payment-gateway".into()],
        ..SearchRequest::new("")
    };
    assert_eq!(t.search_req(&either).total, 3);
    let both = SearchRequest {
        kinds: vec!["runbook".into()],
        ..either.clone()
    };
    assert_eq!(t.search_req(&both).total, 2);
    let tagged = SearchRequest {
        tags: vec!["Restart".into()],
        ..SearchRequest::new("")
    };
    assert_eq!(t.search_req(&tagged).hits[0].id, RESTART);

    // Facets count the whole result set, not just the page.
    let page = t.search_req(&SearchRequest {
        limit: 1,
        ..SearchRequest::new("")
    });
    assert_eq!(page.hits.len(), 1);
    assert_eq!(page.facets["kind"]["runbook"], 3);
}

#[test]
fn date_range_sort_and_paging() {
    let t = TestCorpus::fixture("mini");
    let day = |s: &str| Some(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap());
    let req = SearchRequest {
        from: day("2025-05-01"),
        to: day("2025-06-01"),
        ..SearchRequest::new("")
    };
    let ids: Vec<String> = t.search_req(&req).hits.into_iter().map(|h| h.id).collect();
    assert_eq!(ids, vec![EOD.to_string(), FAILOVER.to_string()]);

    let by_date = SearchRequest {
        sort: Sort::Updated,
        limit: 3,
        ..SearchRequest::new("payment gateway")
    };
    let r = t.search_req(&by_date);
    assert_eq!(r.hits[0].id, RESTART, "2025-09-15 is the newest");
    assert_eq!(r.hits[0].updated.as_deref(), Some("2025-09-15"));

    let page1 = t.search_req(&SearchRequest {
        limit: 2,
        ..SearchRequest::new("")
    });
    let page2 = t.search_req(&SearchRequest {
        limit: 2,
        offset: 2,
        ..SearchRequest::new("")
    });
    assert_eq!(page1.total, page2.total);
    assert!(page2.hits.iter().all(|h| !page1.hits.contains(h)));
}

#[test]
fn any_user_text_is_a_query_never_an_error() {
    let t = TestCorpus::fixture("mini");
    for q in [
        "!!!",
        "\"",
        "AND OR NOT",
        "*",
        "((",
        "\u{0}",
        "🙂",
        "   ",
        "ORA-",
        "a:b:c",
        "field:value",
    ] {
        let r = t.search(q);
        assert!(r.total <= 7, "{q:?}");
    }
    let long = "核心系統 日終批次 ORA-01555 ".repeat(300);
    let r = t.search(&long);
    assert_eq!(r.hits[0].id, EOD);
    assert!(r.query.chars().count() <= baton::search::query::MAX_QUERY_CHARS);
}

#[test]
fn hits_carry_the_api_fields() {
    let t = TestCorpus::fixture("mini");
    let r = t.search("ORA-01555");
    let json = serde_json::to_value(&r).unwrap();
    for key in ["query", "total", "took_ms", "hits", "facets"] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    let hit = &json["hits"][0];
    for key in [
        "id", "title", "kind", "systems", "tags", "updated", "score", "snippet", "url",
    ] {
        assert!(hit.get(key).is_some(), "missing hit.{key}");
    }
    assert_eq!(
        hit["systems"],
        serde_json::json!(["core-banking", "oracle-db"])
    );
    assert_eq!(
        hit["url"],
        "/doc/runbooks/core-banking/eod-batch-ora-01555.md"
    );
}

/// Hits read stored texts straight from the doc store's bytes (see
/// `search::stored`); they must be exactly what tantivy's own reader gives,
/// for every text field of every document of a real corpus (front matter,
/// recordings, mixed scripts), or a tantivy upgrade changed the format.
#[test]
fn stored_texts_read_from_raw_bytes_equal_tantivys_reading() {
    use baton::search::stored::StoredDoc;
    use tantivy::schema::{FieldType, Value};
    let t = TestCorpus::empty();
    common::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"),
        &t.corpus,
    );
    t.reconcile();
    let searcher = t.index.reader.searcher();
    let schema = searcher.schema().clone();
    let texts: Vec<_> = schema
        .fields()
        .filter(|(_, e)| matches!(e.field_type(), FieldType::Str(_)) && e.is_stored())
        .map(|(f, _)| f)
        .collect();
    let mut checked = 0;
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        let store = segment.get_store_reader(1).unwrap();
        for doc in segment.doc_ids_alive() {
            let ours = StoredDoc::read(&store, doc).unwrap();
            let theirs: tantivy::TantivyDocument = searcher
                .doc(tantivy::DocAddress::new(ord as u32, doc))
                .unwrap();
            for &field in &texts {
                let expected: Vec<&str> =
                    theirs.get_all(field).filter_map(|v| v.as_str()).collect();
                assert_eq!(
                    ours.texts(field).unwrap(),
                    expected,
                    "{:?}",
                    schema.get_field_name(field)
                );
                checked += expected.len();
            }
        }
    }
    assert!(checked > 500, "only {checked} stored texts compared");
}
