//! Relevance measurement: judged queries (JSON Lines, one `{"id", "query",
//! "lang", "kind", "relevant": [ids]}` per line) are run through [`search`]
//! against an index of the corpus, and the rankings are scored with MRR@10,
//! Recall@10 and nDCG@10 (binary gains), overall and per `lang` and `kind`.
//! It sits at the end of the data flow (corpus -> index -> search -> eval) and
//! also reads the JSON report of the SQLite FTS5 baseline
//! (`benches/baseline_fts5.py`) so both are compared in one run.
//!
//! Every listed relevant id counts as relevant, twins included (a
//! `pingcap-docs-cn` document and its `pingcap-docs-cn-zh-hant` conversion).
//! The corpora's top-level `README.md` and per-corpus `SOURCE.md` files are
//! not documents: hits with those ids are removed from the ranking.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::index::{reconcile, writer::Writer, BatonIndex, IndexError};
use crate::schema::Schema;
use crate::search::{self, SearchError, SearchRequest, MAX_LIMIT};

/// Rank cut-off of every metric.
pub const K: usize = 10;

/// How relevance is judged, printed in every report header.
pub const RELEVANCE_NOTE: &str = "binary gains; twins: every listed relevant id counts as relevant";

/// Which hits are dropped before scoring, printed in every report header.
pub const SKIP_NOTE: &str = "hits with id README.md or */SOURCE.md are removed from the ranking";

/// Engine name of baton's own report.
pub const ENGINE: &str = "baton";

/// The baseline script, relative to the project root.
pub const BASELINE_SCRIPT: &str = "benches/baseline_fts5.py";

/// Evaluation failures: unreadable or malformed query files, search faults,
/// and a baseline that could not be run.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The queries file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A line of the queries file is not a judged query.
    #[error("{path}:{line}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The queries file holds no query.
    #[error("{0}: no queries")]
    Empty(String),
    /// Indexing the corpus failed.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// A search failed.
    #[error(transparent)]
    Search(#[from] SearchError),
    /// The baseline script could not be run or its output not read.
    #[error("baseline not run: {0}")]
    Baseline(String),
}

/// One judged query.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct JudgedQuery {
    /// Query id (`dev-01`).
    pub id: String,
    /// What the user types.
    pub query: String,
    /// Script of the query (`zh-hans`, `zh-hant`, `en`, `mixed`).
    #[serde(default = "unspecified")]
    pub lang: String,
    /// Kind of need (`symptom`, `error-code`, `howto`, ...).
    #[serde(default = "unspecified")]
    pub kind: String,
    /// Relevant document ids, most relevant first.
    pub relevant: Vec<String>,
}

fn unspecified() -> String {
    "unspecified".to_string()
}

/// A ranked document as the report shows it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RankedHit {
    /// Document id.
    pub id: String,
    /// Its title.
    pub title: String,
}

/// The scores of one query.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct QueryResult {
    /// Query id.
    pub id: String,
    /// Query text.
    pub query: String,
    /// Script of the query.
    pub lang: String,
    /// Kind of need.
    pub kind: String,
    /// Relevant ids.
    pub relevant: Vec<String>,
    /// The top hits, best first, skipped ids removed.
    pub ranked: Vec<RankedHit>,
    /// 1-based rank of the first relevant hit, if in the top [`K`].
    pub rank: Option<usize>,
    /// Reciprocal rank @K.
    pub rr: f64,
    /// Recall @K.
    pub recall: f64,
    /// nDCG @K.
    pub ndcg: f64,
}

/// Mean metrics over a group of queries.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Metrics {
    /// Number of queries.
    pub count: usize,
    /// Mean reciprocal rank @K.
    pub mrr: f64,
    /// Mean recall @K.
    pub recall: f64,
    /// Mean nDCG @K.
    pub ndcg: f64,
}

/// A query whose first relevant document is not at rank 1.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Miss {
    /// Query id.
    pub id: String,
    /// Query text.
    pub query: String,
    /// Script of the query.
    pub lang: String,
    /// Kind of need.
    pub kind: String,
    /// Relevant ids.
    pub expected: Vec<String>,
    /// 1-based rank of the first relevant hit; `None` when not in the top [`K`].
    pub rank: Option<usize>,
    /// What ranked first, if anything.
    pub first: Option<RankedHit>,
}

/// The full evaluation of one engine; also the JSON of `--json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Report {
    /// Engine name.
    pub engine: String,
    /// Rank cut-off.
    pub k: usize,
    /// How relevance is judged.
    pub relevance: String,
    /// Which hits are skipped.
    pub skipped: String,
    /// Metrics over all queries.
    pub overall: Metrics,
    /// Metrics per `lang`.
    pub by_lang: BTreeMap<String, Metrics>,
    /// Metrics per `kind`.
    pub by_kind: BTreeMap<String, Metrics>,
    /// Misses, worst first.
    pub misses: Vec<Miss>,
    /// Every query's scores, in file order.
    pub results: Vec<QueryResult>,
}

/// Reads a JSON Lines file of judged queries; blank lines are ignored.
pub fn load_queries(path: &Path) -> Result<Vec<JudgedQuery>, EvalError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Read {
        path: shown.clone(),
        source,
    })?;
    let queries = parse_queries(&text, &shown)?;
    if queries.is_empty() {
        return Err(EvalError::Empty(shown));
    }
    Ok(queries)
}

/// Parses JSON Lines text of judged queries; `source` names it in errors.
pub fn parse_queries(text: &str, source: &str) -> Result<Vec<JudgedQuery>, EvalError> {
    let mut queries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let q: JudgedQuery = serde_json::from_str(line).map_err(|e| EvalError::Parse {
            path: source.to_string(),
            line: i + 1,
            message: e.to_string(),
        })?;
        queries.push(q);
    }
    Ok(queries)
}

/// Whether a hit with this id is left out of the ranking (corpus metadata).
pub fn is_skipped(id: &str) -> bool {
    id == "README.md" || id == "SOURCE.md" || id.ends_with("/SOURCE.md")
}

/// Reciprocal rank of the first relevant id in the top `k` of `ranked`; 0 if none.
pub fn reciprocal_rank(ranked: &[String], relevant: &[String], k: usize) -> f64 {
    first_relevant_rank(ranked, relevant, k).map_or(0.0, |r| 1.0 / r as f64)
}

/// 1-based rank of the first relevant id in the top `k` of `ranked`.
pub fn first_relevant_rank(ranked: &[String], relevant: &[String], k: usize) -> Option<usize> {
    ranked
        .iter()
        .take(k)
        .position(|id| relevant.contains(id))
        .map(|p| p + 1)
}

/// Share of the (distinct) relevant ids found in the top `k`; 0 when none are judged.
pub fn recall(ranked: &[String], relevant: &[String], k: usize) -> f64 {
    let wanted: HashSet<&String> = relevant.iter().collect();
    if wanted.is_empty() {
        return 0.0;
    }
    let found: HashSet<&String> = ranked
        .iter()
        .take(k)
        .filter(|id| wanted.contains(id))
        .collect();
    found.len() as f64 / wanted.len() as f64
}

/// nDCG of the top `k` with binary gains: DCG / the DCG of an ideal ranking.
pub fn ndcg(ranked: &[String], relevant: &[String], k: usize) -> f64 {
    let wanted: HashSet<&String> = relevant.iter().collect();
    let mut seen = HashSet::new();
    let dcg: f64 = ranked
        .iter()
        .take(k)
        .enumerate()
        .filter(|(_, id)| wanted.contains(id) && seen.insert(*id))
        .map(|(i, _)| discount(i + 1))
        .sum();
    let ideal: f64 = (1..=wanted.len().min(k)).map(discount).sum();
    if ideal == 0.0 {
        0.0
    } else {
        dcg / ideal
    }
}

/// The DCG discount of a 1-based rank.
fn discount(rank: usize) -> f64 {
    1.0 / ((rank + 1) as f64).log2()
}

/// Scores one query given its ranking (skipped ids already removed).
pub fn score(q: &JudgedQuery, ranked: Vec<RankedHit>) -> QueryResult {
    let ids: Vec<String> = ranked.iter().map(|h| h.id.clone()).collect();
    QueryResult {
        id: q.id.clone(),
        query: q.query.clone(),
        lang: q.lang.clone(),
        kind: q.kind.clone(),
        relevant: q.relevant.clone(),
        rank: first_relevant_rank(&ids, &q.relevant, K),
        rr: reciprocal_rank(&ids, &q.relevant, K),
        recall: recall(&ids, &q.relevant, K),
        ndcg: ndcg(&ids, &q.relevant, K),
        ranked,
    }
}

/// Mean metrics over `results`; all zero for none.
pub fn aggregate<'a>(results: impl IntoIterator<Item = &'a QueryResult>) -> Metrics {
    let mut m = Metrics::default();
    for r in results {
        m.count += 1;
        m.mrr += r.rr;
        m.recall += r.recall;
        m.ndcg += r.ndcg;
    }
    if m.count > 0 {
        let n = m.count as f64;
        m.mrr /= n;
        m.recall /= n;
        m.ndcg /= n;
    }
    m
}

/// Mean metrics per value of `key` (e.g. lang), sorted by that value.
pub fn group_by(
    results: &[QueryResult],
    key: impl Fn(&QueryResult) -> &str,
) -> BTreeMap<String, Metrics> {
    let mut groups: BTreeMap<String, Vec<&QueryResult>> = BTreeMap::new();
    for r in results {
        groups.entry(key(r).to_string()).or_default().push(r);
    }
    groups
        .into_iter()
        .map(|(k, rs)| (k, aggregate(rs)))
        .collect()
}

/// The misses of `results`, worst first: not found, then by rank descending.
pub fn misses(results: &[QueryResult]) -> Vec<Miss> {
    let mut out: Vec<Miss> = results
        .iter()
        .filter(|r| r.rank != Some(1))
        .map(|r| Miss {
            id: r.id.clone(),
            query: r.query.clone(),
            lang: r.lang.clone(),
            kind: r.kind.clone(),
            expected: r.relevant.clone(),
            rank: r.rank,
            first: r.ranked.first().cloned(),
        })
        .collect();
    // Not found counts as the worst rank; the stable sort keeps file order among equals.
    out.sort_by_key(|m| std::cmp::Reverse(m.rank.unwrap_or(usize::MAX)));
    out
}

impl Report {
    /// Builds the report of `engine` from per-query results.
    pub fn new(engine: &str, results: Vec<QueryResult>) -> Report {
        Report {
            engine: engine.to_string(),
            k: K,
            relevance: RELEVANCE_NOTE.to_string(),
            skipped: SKIP_NOTE.to_string(),
            overall: aggregate(&results),
            by_lang: group_by(&results, |r| &r.lang),
            by_kind: group_by(&results, |r| &r.kind),
            misses: misses(&results),
            results,
        }
    }

    /// The readable report, with at most `max_misses` misses (all when `None`).
    pub fn render(&self, max_misses: Option<usize>) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{}: {} queries, metrics @{}",
            self.engine, self.overall.count, self.k
        );
        let _ = writeln!(s, "relevance: {}", self.relevance);
        let _ = writeln!(s, "skipped: {}", self.skipped);
        s.push('\n');
        s.push_str(&self.render_table());
        s.push('\n');
        s.push_str(&self.render_misses(max_misses));
        s
    }

    /// Rows of (label, metrics): overall, then per lang, then per kind.
    pub fn rows(&self) -> Vec<(String, Metrics)> {
        let mut rows = vec![("overall".to_string(), self.overall)];
        rows.extend(self.by_lang.iter().map(|(k, m)| (format!("lang: {k}"), *m)));
        rows.extend(self.by_kind.iter().map(|(k, m)| (format!("kind: {k}"), *m)));
        rows
    }

    fn render_table(&self) -> String {
        let mut s = format!(
            "{:<22} {:>4}  {:>7}  {:>9}  {:>7}\n",
            "group", "n", "MRR@10", "Recall@10", "nDCG@10"
        );
        for (label, m) in self.rows() {
            let _ = writeln!(
                s,
                "{:<22} {:>4}  {:>7.3}  {:>9.3}  {:>7.3}",
                label, m.count, m.mrr, m.recall, m.ndcg
            );
        }
        s
    }

    fn render_misses(&self, max_misses: Option<usize>) -> String {
        let shown = max_misses
            .unwrap_or(self.misses.len())
            .min(self.misses.len());
        let mut s = format!(
            "misses (first relevant not at rank 1): {}, showing {}, worst first\n",
            self.misses.len(),
            shown
        );
        for m in self.misses.iter().take(shown) {
            s.push_str(&render_miss(m, self.k));
        }
        s
    }
}

fn render_miss(m: &Miss, k: usize) -> String {
    let rank = match m.rank {
        Some(r) => format!("rank {r}"),
        None => format!("not in top {k}"),
    };
    let first = match &m.first {
        Some(h) => format!("{}  ({})", h.title, h.id),
        None => "(no results)".to_string(),
    };
    format!(
        "\n[{}] {} / {}: {}\n  query:    {}\n  expected: {}\n  first:    {}\n",
        m.id,
        m.lang,
        m.kind,
        rank,
        m.query,
        m.expected.join(" | "),
        first
    )
}

/// Brings the index under `data` up to date with `corpus` (only what
/// changed is read) and returns it with the reconciliation report.
pub fn index_corpus(
    corpus: &Path,
    data: &Path,
    schema: &Schema,
    max_file_bytes: u64,
) -> Result<(BatonIndex, reconcile::Report), EvalError> {
    let index = BatonIndex::open(data, schema, false)?;
    let writer = Writer::start(&index)?;
    let opts = reconcile::Options {
        max_file_bytes,
        progress: &|_, _| {},
    };
    let report = reconcile::reconcile(&index, &writer, corpus, &opts)?;
    drop(writer);
    Ok((index, report))
}

/// The top [`K`] hits of `q`, skipped ids removed (paging on so that the
/// removed ones do not shorten the list).
pub fn ranking(index: &BatonIndex, q: &str) -> Result<Vec<RankedHit>, EvalError> {
    let mut kept = Vec::new();
    let mut offset = 0;
    loop {
        let req = SearchRequest {
            offset,
            limit: K,
            ..SearchRequest::new(q)
        };
        let response = search::search(index, &req)?;
        let fetched = response.hits.len();
        kept.extend(
            response
                .hits
                .into_iter()
                .filter(|h| !is_skipped(&h.id))
                .map(|h| RankedHit {
                    id: h.id,
                    title: h.title,
                }),
        );
        offset += fetched;
        if kept.len() >= K || fetched == 0 || offset >= response.total || offset >= MAX_LIMIT {
            break;
        }
    }
    kept.truncate(K);
    Ok(kept)
}

/// Runs every query against `index` and scores the rankings.
pub fn evaluate(index: &BatonIndex, queries: &[JudgedQuery]) -> Result<Report, EvalError> {
    let results = queries
        .iter()
        .map(|q| Ok(score(q, ranking(index, &q.query)?)))
        .collect::<Result<Vec<_>, EvalError>>()?;
    Ok(Report::new(ENGINE, results))
}

/// Where the baseline script is: under the working directory when run from
/// the project root, else next to this crate's sources.
pub fn baseline_script() -> PathBuf {
    let local = PathBuf::from(BASELINE_SCRIPT);
    if local.is_file() {
        local
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(BASELINE_SCRIPT)
    }
}

/// Runs the FTS5 baseline (`python3 script --json`) on the same corpus and
/// queries and reads its report.
pub fn run_baseline(script: &Path, corpus: &Path, queries: &Path) -> Result<Report, EvalError> {
    let out = Command::new("python3")
        .arg(script)
        .arg("--corpus")
        .arg(corpus)
        .arg("--queries")
        .arg(queries)
        .arg("--json")
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => EvalError::Baseline("python3 is not installed".into()),
            _ => EvalError::Baseline(format!("cannot start python3: {e}")),
        })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        return Err(EvalError::Baseline(format!(
            "{} failed ({}): {}",
            script.display(),
            out.status,
            last.trim()
        )));
    }
    serde_json::from_slice(&out.stdout)
        .map_err(|e| EvalError::Baseline(format!("unreadable baseline report: {e}")))
}

/// baton/baseline for one metric; `None` when the baseline scored 0.
pub fn ratio(ours: f64, theirs: f64) -> Option<f64> {
    (theirs > 0.0).then(|| ours / theirs)
}

/// Ratios baton/baseline of each metric for one group.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
pub struct Ratios {
    /// MRR ratio.
    pub mrr: Option<f64>,
    /// Recall ratio.
    pub recall: Option<f64>,
    /// nDCG ratio.
    pub ndcg: Option<f64>,
}

impl Ratios {
    /// Ratios of `ours` over `theirs`.
    pub fn of(ours: &Metrics, theirs: &Metrics) -> Ratios {
        Ratios {
            mrr: ratio(ours.mrr, theirs.mrr),
            recall: ratio(ours.recall, theirs.recall),
            ndcg: ratio(ours.ndcg, theirs.ndcg),
        }
    }
}

/// Both engines' reports and the ratios per group; the JSON of `--baseline --json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Comparison {
    /// baton's report.
    pub baton: Report,
    /// The baseline's report.
    pub baseline: Report,
    /// baton/baseline per group label (`overall`, `lang: en`, `kind: howto`).
    pub ratios: BTreeMap<String, Ratios>,
}

impl Comparison {
    /// Compares two reports over the same queries.
    pub fn new(baton: Report, baseline: Report) -> Comparison {
        let theirs: BTreeMap<String, Metrics> = baseline.rows().into_iter().collect();
        let ratios = baton
            .rows()
            .into_iter()
            .filter_map(|(label, m)| {
                let t = theirs.get(&label)?;
                Some((label, Ratios::of(&m, t)))
            })
            .collect();
        Comparison {
            baton,
            baseline,
            ratios,
        }
    }

    /// The side-by-side table: per group, each metric for both and the ratio.
    pub fn render(&self) -> String {
        let mut s = format!(
            "{} vs {} (same corpus, same queries, this run)\n\n",
            self.baton.engine, self.baseline.engine
        );
        let _ = writeln!(
            s,
            "{:<22} {:>4}  {:^19}  {:^19}  {:^19}",
            "", "", "MRR@10", "Recall@10", "nDCG@10"
        );
        let head = format!("{:>5} {:>5} {:>7}", "baton", "base", "ratio");
        let _ = writeln!(s, "{:<22} {:>4}  {head}  {head}  {head}", "group", "n");
        let theirs: BTreeMap<String, Metrics> = self.baseline.rows().into_iter().collect();
        for (label, m) in self.baton.rows() {
            let t = theirs.get(&label).copied().unwrap_or_default();
            let _ = writeln!(
                s,
                "{:<22} {:>4}  {}  {}  {}",
                label,
                m.count,
                cell(m.mrr, t.mrr),
                cell(m.recall, t.recall),
                cell(m.ndcg, t.ndcg)
            );
        }
        s
    }
}

fn cell(ours: f64, theirs: f64) -> String {
    let r = ratio(ours, theirs).map_or("-".to_string(), |r| format!("{r:.2}x"));
    format!("{ours:>5.3} {theirs:>5.3} {r:>7}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    fn result(lang: &str, kind: &str, rr: f64, recall: f64, ndcg: f64) -> QueryResult {
        QueryResult {
            id: format!("{lang}-{kind}"),
            query: "q".into(),
            lang: lang.into(),
            kind: kind.into(),
            relevant: ids(&["a"]),
            ranked: Vec::new(),
            rank: None,
            rr,
            recall,
            ndcg,
        }
    }

    #[test]
    fn reciprocal_rank_is_one_over_first_relevant_within_k() {
        let ranked = ids(&["x", "y", "a", "b"]);
        assert!(close(
            reciprocal_rank(&ranked, &ids(&["b", "a"]), 10),
            1.0 / 3.0
        ));
        assert!(close(reciprocal_rank(&ranked, &ids(&["x"]), 10), 1.0));
        assert!(close(reciprocal_rank(&ranked, &ids(&["a"]), 2), 0.0));
        assert!(close(reciprocal_rank(&ranked, &ids(&["zz"]), 10), 0.0));
        assert!(close(reciprocal_rank(&[], &ids(&["a"]), 10), 0.0));
    }

    #[test]
    fn recall_counts_distinct_relevant_ids_in_top_k() {
        let ranked = ids(&["a", "x", "b", "c"]);
        assert!(close(recall(&ranked, &ids(&["a", "b"]), 10), 1.0));
        assert!(close(recall(&ranked, &ids(&["a", "b"]), 2), 0.5));
        assert!(close(recall(&ranked, &ids(&["a", "a", "z"]), 10), 0.5));
        assert!(close(recall(&ranked, &[], 10), 0.0));
    }

    #[test]
    fn ndcg_uses_binary_gains_and_an_ideal_of_min_relevant_k() {
        let ranked = ids(&["a", "b"]);
        assert!(close(ndcg(&ranked, &ids(&["a", "b"]), 10), 1.0));
        // Only the second of one relevant: 1/log2(3).
        let second = ids(&["x", "a"]);
        assert!(close(ndcg(&second, &ids(&["a"]), 10), 1.0 / 3f64.log2()));
        // First of two relevant: 1 / (1 + 1/log2(3)).
        let half = ids(&["a", "x"]);
        assert!(close(
            ndcg(&half, &ids(&["a", "z"]), 10),
            1.0 / (1.0 + 1.0 / 3f64.log2())
        ));
        // More relevant than k: the ideal is k ones.
        assert!(close(ndcg(&ids(&["a"]), &ids(&["a", "b", "c"]), 1), 1.0));
        assert!(close(ndcg(&ids(&["x", "a"]), &ids(&["a"]), 1), 0.0));
        assert!(close(ndcg(&ranked, &[], 10), 0.0));
    }

    #[test]
    fn ndcg_counts_a_repeated_hit_once() {
        let ranked = ids(&["a", "a"]);
        assert!(close(
            ndcg(&ranked, &ids(&["a", "b"]), 10),
            1.0 / (1.0 + 1.0 / 3f64.log2())
        ));
    }

    #[test]
    fn aggregation_averages_overall_and_per_group() {
        let rs = vec![
            result("en", "howto", 1.0, 1.0, 1.0),
            result("en", "symptom", 0.5, 0.5, 0.25),
            result("zh-hans", "howto", 0.0, 0.0, 0.0),
        ];
        let all = aggregate(&rs);
        assert_eq!(all.count, 3);
        assert!(close(all.mrr, 0.5) && close(all.recall, 0.5) && close(all.ndcg, 1.25 / 3.0));
        let by_lang = group_by(&rs, |r| &r.lang);
        assert_eq!(by_lang.keys().collect::<Vec<_>>(), ["en", "zh-hans"]);
        assert_eq!(by_lang["en"].count, 2);
        assert!(close(by_lang["en"].mrr, 0.75) && close(by_lang["en"].ndcg, 0.625));
        let by_kind = group_by(&rs, |r| &r.kind);
        assert!(close(by_kind["howto"].mrr, 0.5) && close(by_kind["symptom"].recall, 0.5));
        assert_eq!(aggregate(&[]), Metrics::default());
    }

    #[test]
    fn misses_are_listed_worst_first() {
        let q = |id: &str, rel: &[&str]| JudgedQuery {
            id: id.into(),
            query: id.into(),
            lang: "en".into(),
            kind: "howto".into(),
            relevant: ids(rel),
        };
        let hit = |id: &str| RankedHit {
            id: id.into(),
            title: id.to_uppercase(),
        };
        let rs = vec![
            score(&q("ok", &["a"]), vec![hit("a")]),
            score(&q("second", &["a"]), vec![hit("x"), hit("a")]),
            score(&q("gone", &["a"]), vec![hit("x")]),
            score(&q("third", &["a"]), vec![hit("x"), hit("y"), hit("a")]),
        ];
        let m = misses(&rs);
        assert_eq!(
            m.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
            ["gone", "third", "second"]
        );
        assert_eq!(m[0].rank, None);
        assert_eq!(m[0].first, Some(hit("x")));
    }

    #[test]
    fn skipped_ids_are_corpus_metadata_only() {
        assert!(is_skipped("README.md"));
        assert!(is_skipped("pingcap-docs-cn/SOURCE.md"));
        assert!(!is_skipped("pingcap-docs-cn/README.md"));
        assert!(!is_skipped("docs/SOURCE.md.bak"));
        assert!(!is_skipped("runbooks/OPEN-SOURCE.md"));
    }

    #[test]
    fn query_lines_parse_with_line_numbers_in_errors() {
        let text = "{\"id\":\"a\",\"query\":\"q\",\"relevant\":[\"x.md\"]}\n\n{\"id\":\"b\"}\n";
        match parse_queries(text, "f.jsonl") {
            Err(EvalError::Parse { line, .. }) => assert_eq!(line, 3),
            other => panic!("expected a parse error, got {other:?}"),
        }
        let ok = parse_queries(&text.replace("{\"id\":\"b\"}", ""), "f.jsonl").unwrap();
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0].lang, "unspecified");
    }

    #[test]
    fn comparison_ratios_are_per_group_and_none_on_zero() {
        let ours = Report::new("baton", vec![result("en", "howto", 1.0, 1.0, 1.0)]);
        let theirs = Report::new("base", vec![result("en", "howto", 0.5, 0.0, 0.25)]);
        let c = Comparison::new(ours, theirs);
        let r = c.ratios["lang: en"];
        assert_eq!((r.mrr, r.recall, r.ndcg), (Some(2.0), None, Some(4.0)));
        assert!(c.render().contains("2.00x"));
    }
}
