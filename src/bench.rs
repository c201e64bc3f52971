//! Indexing benchmark: baton against a bare tantivy + jieba indexer, both run
//! in the same invocation over the same files, each in its own process so
//! peak memory is measured separately. Reports docs/s, MB/s, peak RSS and the
//! ratio baton/bare (DESIGN: ratios measured in one run, not remembered).

use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tantivy::schema::{IndexRecordOption, Schema as TantivySchema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};
use tantivy::{doc, Index};

use crate::config::Config;
use crate::index::{reconcile, writer, BatonIndex};
use crate::schema::Schema;

/// One indexer's measurement.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Measurement {
    /// "baton" or "bare".
    pub indexer: String,
    /// Documents indexed.
    pub docs: usize,
    /// Bytes of Markdown read.
    pub bytes: u64,
    /// Wall-clock seconds, from listing the corpus to the commit.
    pub seconds: f64,
    /// Peak resident memory of the process, MB.
    pub peak_rss_mb: f64,
}

impl Measurement {
    /// Documents per second.
    pub fn docs_per_sec(&self) -> f64 {
        self.docs as f64 / self.seconds.max(1e-9)
    }

    /// Megabytes (10^6) per second.
    pub fn mb_per_sec(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.seconds.max(1e-9)
    }
}

/// Indexes `config.corpus` from scratch with baton into `config.data`.
pub fn run_baton(config: &Config, schema: &Schema) -> anyhow::Result<Measurement> {
    let started = Instant::now();
    let index = BatonIndex::open(&config.data, schema, true)?;
    let w = writer::Writer::start(&index)?;
    let opts = reconcile::Options {
        max_file_bytes: config.max_file_bytes,
        progress: &|_, _| {},
    };
    let report = reconcile::reconcile(&index, &w, &config.corpus, &opts)?;
    drop(w);
    Ok(Measurement {
        indexer: "baton".into(),
        docs: report.indexed,
        bytes: report.bytes,
        seconds: started.elapsed().as_secs_f64(),
        peak_rss_mb: peak_rss_mb(),
    })
}

/// Indexes the same files with tantivy + jieba only: no front matter, no
/// Markdown, no folding, one text field.
pub fn run_bare(corpus: &Path, data: &Path) -> anyhow::Result<Measurement> {
    let started = Instant::now();
    let (entries, _) = crate::corpus::list(corpus);
    let mut builder = TantivySchema::builder();
    let indexing = TextFieldIndexing::default()
        .set_tokenizer("jieba")
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    let body = builder.add_text_field(
        "body",
        TextOptions::default()
            .set_indexing_options(indexing)
            .set_stored(),
    );
    let dir = data.join("bare-index");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let index = Index::create_in_dir(&dir, builder.build())?;
    index
        .tokenizers()
        .register("jieba", TextAnalyzer::from(BareJieba));
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 4);
    let mut w = index.writer_with_num_threads(threads, writer::WRITER_MEMORY_BYTES)?;
    let mut bytes = 0;
    for entry in &entries {
        let Ok(data) = std::fs::read(&entry.path) else {
            continue;
        };
        bytes += data.len() as u64;
        w.add_document(doc!(body => String::from_utf8_lossy(&data).into_owned()))?;
    }
    w.commit()?;
    w.wait_merging_threads()?;
    Ok(Measurement {
        indexer: "bare".into(),
        docs: entries.len(),
        bytes,
        seconds: started.elapsed().as_secs_f64(),
        peak_rss_mb: peak_rss_mb(),
    })
}

/// tantivy-jieba style tokenizer: jieba search mode over the whole text,
/// lowercased; the usual "bare" Chinese setup.
#[derive(Clone)]
struct BareJieba;

struct BareStream {
    tokens: Vec<Token>,
    index: usize,
}

impl Tokenizer for BareJieba {
    type TokenStream<'a> = BareStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> BareStream {
        static JIEBA: std::sync::OnceLock<jieba_rs::Jieba> = std::sync::OnceLock::new();
        let jieba = JIEBA.get_or_init(jieba_rs::Jieba::new);
        let tokens = jieba
            .cut_for_search(text, true)
            .into_iter()
            .filter(|t| !t.word.trim().is_empty())
            .enumerate()
            .map(|(position, t)| Token {
                offset_from: t.byte_start,
                offset_to: t.byte_end,
                position,
                text: t.word.to_lowercase(),
                position_length: 1,
            })
            .collect();
        BareStream { tokens, index: 0 }
    }
}

impl TokenStream for BareStream {
    fn advance(&mut self) -> bool {
        self.index += 1;
        self.index <= self.tokens.len()
    }
    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
    }
}

/// Peak resident set size of this process (VmHWM), MB; 0 where unknown.
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Watch benchmark results.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WatchMeasurement {
    /// Documents in the replicated corpus.
    pub docs: usize,
    /// Initial full index, seconds.
    pub initial_index_s: f64,
    /// Restart (open + reconcile) on the unchanged corpus, seconds.
    pub unchanged_restart_s: f64,
    /// Save-to-searchable latency over single-file edits, ms: p50.
    pub edit_p50_ms: f64,
    /// Same, p99.
    pub edit_p99_ms: f64,
    /// Same, max.
    pub edit_max_ms: f64,
    /// Edits measured.
    pub edits: usize,
    /// Files in the burst.
    pub burst_files: usize,
    /// Time from the first burst write until every burst file is searchable, s.
    pub burst_s: f64,
    /// The debounce window, the floor of any edit latency, ms.
    pub debounce_ms: f64,
}

/// Replicates `source` under `scratch` until it holds at least `min_docs`
/// documents, then measures restart, edit latency and a burst with the watcher.
pub fn run_watch(
    source: &Path,
    scratch: &Path,
    schema: &Schema,
    min_docs: usize,
    edits: usize,
    burst: usize,
) -> anyhow::Result<WatchMeasurement> {
    use crate::search::{search, SearchRequest};
    let corpus = scratch.join("corpus");
    let data = scratch.join("data");
    let (files, _) = crate::corpus::list(source);
    anyhow::ensure!(
        !files.is_empty(),
        "no Markdown files under {}",
        source.display()
    );
    let copies = min_docs.div_ceil(files.len()).max(1);
    for copy in 0..copies {
        for f in &files {
            let target = corpus.join(format!("copy-{copy}")).join(f.id.as_str());
            std::fs::create_dir_all(target.parent().unwrap_or(&corpus))?;
            std::fs::copy(&f.path, &target)?;
        }
    }
    let opts = reconcile::Options {
        max_file_bytes: crate::document::DEFAULT_MAX_FILE_BYTES,
        progress: &|_, _| {},
    };
    let started = Instant::now();
    {
        let index = BatonIndex::open(&data, schema, true)?;
        let w = writer::Writer::start(&index)?;
        reconcile::reconcile(&index, &w, &corpus, &opts)?;
    }
    let initial_index_s = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let index = BatonIndex::open(&data, schema, false)?;
    let w = std::sync::Arc::new(writer::Writer::start(&index)?);
    let report = reconcile::reconcile(&index, &w, &corpus, &opts)?;
    let unchanged_restart_s = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        report.indexed == 0,
        "restart re-indexed {} documents",
        report.indexed
    );
    let docs = report.files;

    let _watch = crate::watch::start(
        index.clone(),
        w,
        &corpus,
        crate::watch::WatchOptions::default(),
    )?;
    let searchable = |token: &str| {
        search(&index, &SearchRequest::new(token))
            .map(|r| r.total > 0)
            .unwrap_or(false)
    };
    let wait_for = |token: &str| -> anyhow::Result<f64> {
        let t0 = Instant::now();
        while !searchable(token) {
            anyhow::ensure!(
                t0.elapsed() < std::time::Duration::from_secs(30),
                "{token} never became searchable"
            );
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        Ok(t0.elapsed().as_secs_f64() * 1000.0)
    };
    let mut latencies = Vec::with_capacity(edits);
    let (all, _) = crate::corpus::list(&corpus);
    for i in 0..edits {
        let entry = &all[(i * 7919) % all.len()];
        let mut text = std::fs::read_to_string(&entry.path).unwrap_or_default();
        let token = format!("benchedit{i}x");
        text.push_str(&format!("\n{token}\n"));
        std::fs::write(&entry.path, text)?;
        latencies.push(wait_for(&token)?);
    }
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p).round() as usize];

    let started = Instant::now();
    for i in 0..burst {
        let path = corpus.join(format!("burst/{}/b-{i}.md", i % 50));
        std::fs::create_dir_all(path.parent().unwrap_or(&corpus))?;
        std::fs::write(path, format!("# burst {i}\n\nburstdoc{i}x 批次新增\n"))?;
    }
    while index.num_docs() < (docs + burst) as u64 {
        anyhow::ensure!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "burst never completed"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let burst_s = started.elapsed().as_secs_f64();
    Ok(WatchMeasurement {
        docs,
        initial_index_s,
        unchanged_restart_s,
        edit_p50_ms: pct(0.5),
        edit_p99_ms: pct(0.99),
        edit_max_ms: latencies.last().copied().unwrap_or(0.0),
        edits,
        burst_files: burst,
        burst_s,
        debounce_ms: crate::watch::DEBOUNCE.as_secs_f64() * 1000.0,
    })
}

/// In-process query latency, the baseline the HTTP load test is compared with.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct QueryMeasurement {
    /// Searches run.
    pub searches: usize,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: f64,
    /// Searches per second on one thread.
    pub qps_one_thread: f64,
    /// Mean ms per query, slowest first: where tuning pays.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub per_query: Vec<(String, f64)>,
}

/// Reads queries: a JSON-lines file with a `query` field per line (the eval
/// format), or plain text with one query per line.
pub fn read_queries(path: &Path) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(path)?;
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.starts_with('{') {
            let v: serde_json::Value = serde_json::from_str(line)?;
            if let Some(q) = v.get("query").and_then(|q| q.as_str()) {
                out.push(q.to_string());
            }
        } else {
            out.push(line.to_string());
        }
    }
    anyhow::ensure!(!out.is_empty(), "no queries in {}", path.display());
    Ok(out)
}

/// Runs every query `rounds` times through `search::search`, the same call
/// the HTTP handler makes, with the API's default page size, as `viewer`.
#[inline(never)] // profilers start counting here (callgrind --toggle-collect)
pub fn run_queries(
    index: &BatonIndex,
    queries: &[String],
    rounds: usize,
    viewer: &crate::visibility::Viewer,
) -> anyhow::Result<QueryMeasurement> {
    use crate::search::{search, SearchRequest};
    let request = |q: &str| SearchRequest {
        viewer: viewer.clone(),
        ..SearchRequest::new(q)
    };
    for q in queries {
        search(index, &request(q))?; // warm caches, as the server would be
    }
    let mut latencies = Vec::with_capacity(queries.len() * rounds);
    let mut sums = vec![0.0; queries.len()];
    let started = Instant::now();
    for _ in 0..rounds {
        for (q, sum) in queries.iter().zip(&mut sums) {
            let t = Instant::now();
            search(index, &request(q))?;
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            latencies.push(ms);
            *sum += ms;
        }
    }
    let total = started.elapsed().as_secs_f64();
    let mut per_query: Vec<(String, f64)> = queries
        .iter()
        .cloned()
        .zip(sums.into_iter().map(|s| s / rounds as f64))
        .collect();
    per_query.sort_by(|a, b| b.1.total_cmp(&a.1));
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p).round() as usize];
    Ok(QueryMeasurement {
        searches: latencies.len(),
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
        qps_one_thread: latencies.len() as f64 / total.max(1e-9),
        per_query,
    })
}

/// Cost of visibility filtering: the same queries over the same index, with
/// no filter (baseline), as a reader who may see half the documents, and as
/// one who may see them all through the filter. Measured interleaved in one
/// run, so machine noise hits all three alike.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccessMeasurement {
    /// Documents indexed (the corpus replicated up to the minimum).
    pub docs: usize,
    /// Of which restricted to a team the half-reader is not in.
    pub restricted: usize,
    /// Searches per variant.
    pub searches: usize,
    /// Median ms without any filter.
    pub p50_unfiltered_ms: f64,
    /// Median ms as a reader of the public half.
    pub p50_half_visible_ms: f64,
    /// Median ms as a reader of everything, through the filter.
    pub p50_all_visible_ms: f64,
    /// Mean ms of the three, in the same order.
    pub mean_ms: [f64; 3],
    /// Filtered (half visible) mean / unfiltered mean.
    pub ratio_half_visible: f64,
    /// Filtered (all visible) mean / unfiltered mean.
    pub ratio_all_visible: f64,
}

/// Team that the restricted half belongs to.
const BENCH_TEAM: &str = "bench-restricted";

/// Indexes `corpus` (replicated until it holds `min_docs`) into a fresh
/// index under `data`, every other document restricted to [`BENCH_TEAM`],
/// then measures [`AccessMeasurement`].
pub fn run_access(
    corpus: &Path,
    data: &Path,
    schema: &Schema,
    queries: &[String],
    rounds: usize,
    min_docs: usize,
) -> anyhow::Result<AccessMeasurement> {
    use crate::search::{search, SearchRequest};
    use crate::visibility::{DocAccess, Viewer, Visibility};
    let index = BatonIndex::open(data, schema, true)?;
    let w = writer::Writer::start(&index)?;
    let (entries, _) = crate::corpus::list(corpus);
    anyhow::ensure!(
        !entries.is_empty(),
        "no Markdown files in {}",
        corpus.display()
    );
    let copies = min_docs.div_ceil(entries.len()).max(1);
    let (mut docs, mut restricted) = (0, 0);
    for copy in 0..copies {
        for entry in &entries {
            let Ok(mut doc) = crate::document::load(corpus, &entry.id, schema, u64::MAX) else {
                continue;
            };
            doc.id = crate::doc_id::DocId::parse(&format!("copy-{copy}/{}", entry.id))?;
            if docs % 2 == 1 {
                doc.access = DocAccess {
                    visibility: Visibility::Restricted,
                    teams: vec![BENCH_TEAM.into()],
                };
                restricted += 1;
            }
            w.upsert(doc)?;
            docs += 1;
        }
    }
    w.commit()?;
    drop(w);
    let viewers = [
        Viewer::All,
        Viewer::member("half", &["another-team".into()]),
        Viewer::member("all", &[BENCH_TEAM.into()]),
    ];
    let request = |q: &str, v: &Viewer| SearchRequest {
        viewer: v.clone(),
        ..SearchRequest::new(q)
    };
    for q in queries {
        for v in &viewers {
            search(&index, &request(q, v))?; // warm caches
        }
    }
    let mut latencies: [Vec<f64>; 3] = Default::default();
    for round in 0..rounds {
        for (n, q) in queries.iter().enumerate() {
            // Rotate which variant goes first, so none always finds the
            // caches warmed by the others.
            for k in 0..viewers.len() {
                let i = (k + round + n) % viewers.len();
                let t = Instant::now();
                search(&index, &request(q, &viewers[i]))?;
                latencies[i].push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    let mean = |l: &Vec<f64>| l.iter().sum::<f64>() / l.len().max(1) as f64;
    let p50 = |l: &mut Vec<f64>| {
        l.sort_by(f64::total_cmp);
        l.get(l.len() / 2).copied().unwrap_or(0.0)
    };
    let means = [
        mean(&latencies[0]),
        mean(&latencies[1]),
        mean(&latencies[2]),
    ];
    let searches = latencies[0].len();
    let [a, b, c] = &mut latencies;
    Ok(AccessMeasurement {
        docs,
        restricted,
        searches,
        p50_unfiltered_ms: p50(a),
        p50_half_visible_ms: p50(b),
        p50_all_visible_ms: p50(c),
        mean_ms: means,
        ratio_half_visible: means[1] / means[0].max(1e-9),
        ratio_all_visible: means[2] / means[0].max(1e-9),
    })
}
