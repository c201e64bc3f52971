//! The `baton` command line: index, search and check a Markdown corpus.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};

use baton::bench;
use baton::config::{Config, Overrides};
use baton::eval;
use baton::index::{reconcile, writer::Writer, BatonIndex};
use baton::schema::Schema;
use baton::search::{self, SearchRequest, SearchResponse, Sort};

/// mimalloc instead of glibc's allocator: a search allocates and frees many
/// small buffers (weights, scorers, snippet strings), and glibc's malloc and
/// free took about a tenth of a search's instructions; mimalloc's per-thread
/// free lists also keep the server's worker threads off a shared arena lock.
/// Built without transparent huge pages (feature `no_thp`): with them the
/// server held 155 MB instead of 124 MB under load, for no measurable speed.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "baton",
    version,
    about = "Handover knowledge-base search for IT operations"
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Args, Clone)]
struct GlobalArgs {
    /// Corpus folder of Markdown files [default: ./corpus]
    #[arg(long, global = true, env = "BATON_CORPUS")]
    corpus: Option<PathBuf>,
    /// Data folder for the index [default: ./.baton]
    #[arg(long, global = true, env = "BATON_DATA")]
    data: Option<PathBuf>,
    /// Schema folder holding schema.toml [default: ./index-schema, else built-in]
    #[arg(long, global = true, env = "BATON_SCHEMA")]
    schema: Option<PathBuf>,
    /// Config file [default: ./baton.toml when present]
    #[arg(long, global = true, env = "BATON_CONFIG")]
    config: Option<PathBuf>,
    /// Files larger than this many bytes are indexed only up to it
    #[arg(long, global = true, env = "BATON_MAX_FILE_BYTES")]
    max_file_bytes: Option<u64>,
    /// Poll the corpus for changes instead of inotify (NFS, SMB)
    #[arg(long, global = true, env = "BATON_POLL")]
    poll: bool,
    /// API reads need a reader token too (`serve`); health, readiness and metrics stay open
    #[arg(long, global = true, env = "BATON_REQUIRE_READ_TOKEN")]
    require_read_token: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (and keep the index live) until SIGTERM or Ctrl-C
    Serve {
        /// Address to listen on [default: 127.0.0.1:7700]
        #[arg(long, env = "BATON_ADDR")]
        addr: Option<String>,
    },
    /// Manage API tokens (writes need a token with a role)
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Print the audit trail (searches, opens, denials, writes), newest first
    Audit {
        /// Only this user (token or proxy name, or anonymous)
        #[arg(long)]
        user: Option<String>,
        /// Only this document id
        #[arg(long)]
        doc: Option<String>,
        /// Only this action (search, open, denied, tags, confirmation, feedback)
        #[arg(long)]
        action: Option<String>,
        /// At or after (YYYY-MM-DD or RFC 3339)
        #[arg(long)]
        since: Option<String>,
        /// At or before (YYYY-MM-DD or RFC 3339)
        #[arg(long)]
        until: Option<String>,
        /// At most this many entries
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// One JSON object per line
        #[arg(long)]
        json: bool,
    },
    /// Index the corpus (only what changed since the last run)
    Index {
        /// Delete the index and build it again from the corpus
        #[arg(long)]
        rebuild: bool,
    },
    /// Index, then follow every change to the corpus until interrupted
    Watch,
    /// Search the index
    Search(SearchArgs),
    /// Validate the corpus against the schema; exits 1 when there are errors
    Check {
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
        /// Print the readiness report of this handover (id or short name)
        /// instead; exits 1 when it has error-level gaps
        #[arg(long, value_name = "ID")]
        handover: Option<String>,
        /// Judge staleness and the incident window as of this day (YYYY-MM-DD) [default: today]
        #[arg(long, value_name = "DATE")]
        today: Option<String>,
    },
    /// Compare the index with the corpus (ids and content hashes; read-only,
    /// safe beside a running server); exits 1 when they differ
    Verify {
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
    /// Measure ranking on judged queries: MRR@10, Recall@10, nDCG@10 and the misses
    Eval {
        /// Judged queries, JSON Lines: {"id", "query", "lang", "kind", "relevant": [ids]}
        #[arg(long)]
        queries: PathBuf,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
        /// Show at most this many misses [default: all]
        #[arg(long)]
        misses: Option<usize>,
        /// Also run benches/baseline_fts5.py (SQLite FTS5 + jieba) and compare
        #[arg(long)]
        baseline: bool,
    },
    /// Benchmark live indexing on >= 10,000 documents replicated from --corpus:
    /// unchanged restart, save-to-searchable latency, a burst of new files
    BenchWatch {
        /// Replicate the corpus until it has at least this many documents
        #[arg(long, default_value_t = 10_000)]
        min_docs: usize,
        /// Single-file edits to time
        #[arg(long, default_value_t = 200)]
        edits: usize,
        /// Files in the burst
        #[arg(long, default_value_t = 2000)]
        burst: usize,
        /// Print the measurements as JSON
        #[arg(long)]
        json: bool,
    },
    /// Time searches in-process (no HTTP): the baseline of the load benchmark
    BenchQuery {
        /// Queries: eval JSON lines (`query` field) or one query per line
        #[arg(long)]
        queries: PathBuf,
        /// Times each query is run
        #[arg(long, default_value_t = 20)]
        rounds: usize,
        /// Print the measurement as JSON
        #[arg(long)]
        json: bool,
        /// Also list each query's mean time, slowest first
        #[arg(long)]
        per_query: bool,
        /// Search as an anonymous reader (public documents only), as an
        /// HTTP request without a token does; by default, as the CLI: everything
        #[arg(long)]
        anonymous: bool,
    },
    /// Benchmark visibility filtering: the same queries with and without the
    /// access filter, over the corpus replicated to 10,000+ documents with
    /// every other one restricted (fresh index in a temporary folder)
    BenchAccess {
        /// Queries: eval JSON lines (`query` field) or one query per line
        #[arg(long)]
        queries: PathBuf,
        /// Times each query is run per variant
        #[arg(long, default_value_t = 10)]
        rounds: usize,
        /// Replicate the corpus until it holds at least this many documents
        #[arg(long, default_value_t = 10_000)]
        min_docs: usize,
        /// Print the measurement as JSON
        #[arg(long)]
        json: bool,
    },
    /// Benchmark indexing: baton against a bare tantivy + jieba indexer
    BenchIndex {
        /// Print the measurements as JSON
        #[arg(long)]
        json: bool,
        /// Internal: run one indexer in this process ("baton" or "bare")
        #[arg(long, hide = true)]
        worker: Option<String>,
    },
}

#[derive(Subcommand)]
enum TokenAction {
    /// Create a token; prints only its secret on stdout
    Add {
        /// Who or what holds it
        name: String,
        /// What it may do
        #[arg(long, value_enum)]
        role: baton::auth::Role,
        /// Team whose restricted documents it may read (repeatable)
        #[arg(long = "team")]
        teams: Vec<String>,
    },
    /// List tokens (names and roles, never secrets)
    List,
    /// Revoke a token
    Revoke {
        /// Its name
        name: String,
    },
}

#[derive(Args)]
struct SearchArgs {
    /// What to search for
    query: Vec<String>,
    /// Only these kinds (repeatable)
    #[arg(long)]
    kind: Vec<String>,
    /// Only these systems (repeatable)
    #[arg(long)]
    system: Vec<String>,
    /// Only these tags (repeatable)
    #[arg(long)]
    tag: Vec<String>,
    /// Updated on or after (YYYY-MM-DD)
    #[arg(long)]
    from: Option<String>,
    /// Updated on or before (YYYY-MM-DD)
    #[arg(long)]
    to: Option<String>,
    /// relevance or updated
    #[arg(long, default_value = "relevance")]
    sort: String,
    /// Number of hits
    #[arg(long, default_value_t = search::DEFAULT_LIMIT)]
    limit: usize,
    /// Hits to skip
    #[arg(long, default_value_t = 0)]
    offset: usize,
    /// Print exactly the JSON of GET /api/search
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let long_running = matches!(
        cli.command,
        None | Some(Command::Serve { .. }) | Some(Command::Watch)
    );
    init_logging(if long_running { "baton=info" } else { "warn" });
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Logs to stderr; services log batches and start-up at info, one-shot
/// commands only warnings, unless `BATON_LOG` says otherwise.
fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("BATON_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let g = cli.global;
    let config = Config::resolve(&Overrides {
        corpus: g.corpus,
        data: g.data,
        schema: g.schema,
        max_file_bytes: g.max_file_bytes,
        config: g.config,
        poll: g.poll,
        require_read_token: g.require_read_token,
    })?;
    let schema = Schema::load(config.schema.as_deref())?;
    match cli.command {
        None => serve(&config, &schema, None),
        Some(Command::Serve { addr }) => serve(&config, &schema, addr),
        Some(Command::Index { rebuild }) => {
            index(&config, &schema, rebuild).map(|_| ExitCode::SUCCESS)
        }
        Some(Command::Watch) => watch(&config, &schema),
        Some(Command::Token { action }) => token(&config, action),
        Some(Command::Audit {
            user,
            doc,
            action,
            since,
            until,
            limit,
            json,
        }) => {
            let bound = |v: Option<String>, end: bool| -> anyhow::Result<_> {
                v.map(|s| {
                    baton::audit::parse_bound(&s, end).ok_or_else(|| {
                        anyhow::anyhow!("'{s}' is not a date (YYYY-MM-DD) or RFC 3339 time")
                    })
                })
                .transpose()
            };
            let filter = baton::audit::Filter {
                user,
                id: doc,
                action,
                since: bound(since, false)?,
                until: bound(until, true)?,
            };
            let log = baton::audit::AuditLog::new(&config.data, baton::audit::DEFAULT_ROTATE_BYTES);
            let page = log.read(&filter, 0, limit)?;
            for e in &page.entries {
                if json {
                    println!("{}", serde_json::to_string(e)?);
                } else {
                    let what =
                        e.id.clone()
                            .or_else(|| {
                                e.query
                                    .as_ref()
                                    .map(|q| format!("q={q} ({} hits)", e.hits.unwrap_or(0)))
                            })
                            .unwrap_or_default();
                    println!("{}\t{}\t{}\t{}", e.time, e.user, e.action, what);
                }
            }
            eprintln!("{} of {} matching entries", page.entries.len(), page.total);
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::BenchQuery {
            queries,
            rounds,
            json,
            per_query,
            anonymous,
        }) => {
            let index = index(&config, &schema, false)?;
            let viewer = if anonymous {
                baton::visibility::Viewer::Anonymous
            } else {
                baton::visibility::Viewer::All
            };
            let queries = bench::read_queries(&queries)?;
            let mut m = bench::run_queries(&index, &queries, rounds.max(1), &viewer)?;
            if per_query && !json {
                for (q, ms) in &m.per_query {
                    println!("{ms:8.3} ms  {q}");
                }
            }
            if !per_query {
                m.per_query.clear();
            }
            if json {
                println!("{}", serde_json::to_string(&m)?);
            } else {
                println!(
                    "{} in-process searches: p50 {:.2} ms, p99 {:.2} ms, {:.0} searches/s on one thread",
                    m.searches, m.p50_ms, m.p99_ms, m.qps_one_thread
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::BenchAccess {
            queries,
            rounds,
            min_docs,
            json,
        }) => {
            let data =
                std::env::temp_dir().join(format!("baton-bench-access-{}", std::process::id()));
            let m = bench::run_access(
                &config.corpus,
                &data,
                &schema,
                &bench::read_queries(&queries)?,
                rounds.max(1),
                min_docs,
            );
            let _ = std::fs::remove_dir_all(&data);
            let m = m?;
            if json {
                println!("{}", serde_json::to_string(&m)?);
            } else {
                println!(
                    "{} docs ({} restricted), {} searches each: mean {:.2} ms unfiltered, {:.2} ms half visible ({:.3}x), {:.2} ms all visible through the filter ({:.3}x); p50 {:.2} / {:.2} / {:.2} ms",
                    m.docs, m.restricted, m.searches, m.mean_ms[0], m.mean_ms[1], m.ratio_half_visible,
                    m.mean_ms[2], m.ratio_all_visible, m.p50_unfiltered_ms, m.p50_half_visible_ms, m.p50_all_visible_ms
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::BenchWatch {
            min_docs,
            edits,
            burst,
            json,
        }) => bench_watch(&config, &schema, min_docs, edits, burst, json),
        Some(Command::Search(args)) => search_cmd(&config, &schema, args),
        Some(Command::Verify { json }) => verify_cmd(&config, &schema, json),
        Some(Command::Check {
            json,
            handover,
            today,
        }) => {
            let today = match today {
                Some(d) => chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                    .map_err(|_| anyhow::anyhow!("--today '{d}' is not a date; use YYYY-MM-DD"))?,
                None => chrono::Local::now().date_naive(),
            };
            match handover {
                Some(name) => check_handover(&config, &schema, &name, today, json),
                None => check(&config, &schema, json, today),
            }
        }
        Some(Command::BenchIndex { json, worker }) => bench_index(&config, &schema, json, worker),
        Some(Command::Eval {
            queries,
            json,
            misses,
            baseline,
        }) => eval_cmd(&config, &schema, &queries, json, misses, baseline),
    }
}

fn ensure_corpus(config: &Config) -> anyhow::Result<()> {
    if !config.corpus.is_dir() {
        bail!(
            "corpus folder {} does not exist (use --corpus DIR)",
            config.corpus.display()
        );
    }
    Ok(())
}

fn index(config: &Config, schema: &Schema, rebuild: bool) -> anyhow::Result<BatonIndex> {
    ensure_corpus(config)?;
    let index = BatonIndex::open(&config.data, schema, rebuild)
        .with_context(|| format!("opening the index in {}", config.data.display()))?;
    let writer = Writer::start(&index)?;
    let bar = progress_bar();
    let progress = |done: usize, total: usize| {
        if let Some(bar) = &bar {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    };
    let opts = reconcile::Options {
        max_file_bytes: config.max_file_bytes,
        progress: &progress,
    };
    let report = reconcile::reconcile_filtered(
        &index,
        &writer,
        &config.corpus,
        &baton::corpus::Filter::new(&config.ignore)?,
        &opts,
    )?;
    drop(writer);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    for p in &report.problems {
        eprintln!("{p}");
    }
    let mb = report.bytes as f64 / 1e6;
    println!(
        "{} documents in {}: {} indexed, {} unchanged, {} deleted, {} problems; {:.2} s, {:.1} MB read ({:.1} MB/s)",
        index.num_docs(),
        config.corpus.display(),
        report.indexed,
        report.unchanged,
        report.deleted,
        report.problems.len(),
        report.seconds,
        mb,
        mb / report.seconds.max(1e-9),
    );
    Ok(index)
}

/// `baton token`: the secret alone goes to stdout (`SECRET=$(baton token add ...)`).
fn token(config: &Config, action: TokenAction) -> anyhow::Result<ExitCode> {
    let mut store = baton::auth::TokenStore::load(&config.data)?;
    match action {
        TokenAction::Add { name, role, teams } => {
            let secret = store.add_with_teams(&name, role, &teams)?;
            eprintln!("token '{name}' ({role:?}) created; the secret is shown only now");
            println!("{secret}");
        }
        TokenAction::List => {
            for t in store.list() {
                println!(
                    "{}\t{:?}\t{}\t{}",
                    t.name,
                    t.role,
                    t.teams.join(","),
                    t.created
                );
            }
        }
        TokenAction::Revoke { name } => {
            if !store.revoke(&name)? {
                bail!("no token named '{name}'");
            }
            eprintln!("token '{name}' revoked");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Serves the API on the corpus until SIGTERM or Ctrl-C.
fn serve(config: &Config, schema: &Schema, addr: Option<String>) -> anyhow::Result<ExitCode> {
    ensure_corpus(config)?;
    let settings = baton::server::Settings {
        corpus: config.corpus.clone(),
        data: config.data.clone(),
        schema: schema.clone(),
        addr: addr.unwrap_or_else(|| config.addr.clone()),
        watch: watch_options(config)?,
        require_read_token: config.require_read_token,
        proxy: config.proxy_auth(),
        search_cache_entries: config.search_cache_entries,
    };
    baton::server::run_until_signal(settings)?;
    Ok(ExitCode::SUCCESS)
}

fn watch_options(config: &Config) -> anyhow::Result<baton::watch::WatchOptions> {
    Ok(baton::watch::WatchOptions {
        poll: config.poll,
        poll_interval: config.poll_interval,
        reconcile_interval: config.reconcile_interval,
        max_file_bytes: config.max_file_bytes,
        filter: baton::corpus::Filter::new(&config.ignore)?,
    })
}

/// Runs the watcher in the foreground, logging each batch, until Ctrl-C.
fn watch(config: &Config, schema: &Schema) -> anyhow::Result<ExitCode> {
    let index = index(config, schema, false)?;
    let writer = std::sync::Arc::new(Writer::start(&index)?);
    let handle = baton::watch::start(index, writer, &config.corpus, watch_options(config)?)?;
    let mode = if handle
        .stats
        .polling
        .load(std::sync::atomic::Ordering::Relaxed)
    {
        "polling"
    } else {
        "inotify"
    };
    eprintln!(
        "watching {} ({mode}); Ctrl-C to stop",
        config.corpus.display()
    );
    loop {
        std::thread::park();
    }
}

fn progress_bar() -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("indexing {bar:40} {pos}/{len} files ({per_sec})")
    {
        bar.set_style(style);
    }
    Some(bar)
}

fn search_cmd(config: &Config, schema: &Schema, args: SearchArgs) -> anyhow::Result<ExitCode> {
    let index = BatonIndex::open(&config.data, schema, false)?;
    if index.num_docs() == 0 {
        eprintln!("the index is empty; run `baton index` first");
    }
    let req = SearchRequest {
        q: args.query.join(" "),
        kinds: args.kind,
        systems: args.system,
        tags: args.tag,
        from: args
            .from
            .as_deref()
            .map(|d| search::parse_day("from", d))
            .transpose()?,
        to: args
            .to
            .as_deref()
            .map(|d| search::parse_day("to", d))
            .transpose()?,
        sort: args.sort.parse::<Sort>()?,
        limit: args.limit,
        offset: args.offset,
        viewer: baton::visibility::Viewer::All,
    };
    let response = search::search(&index, &req)?;
    if args.json {
        let json = serde_json::to_string_pretty(&response)?;
        if let Err(e) = writeln!(std::io::stdout().lock(), "{json}") {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                return Err(e.into());
            }
        }
    } else {
        print_results(&response);
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints hits readably; a closed pipe (`baton search x | head`) is not an error.
fn print_results(r: &SearchResponse) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = write_results(&mut out, r) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write results: {e}");
        }
    }
}

fn write_results(out: &mut impl Write, r: &SearchResponse) -> std::io::Result<()> {
    writeln!(
        out,
        "{} results for \"{}\" ({} ms)",
        r.total, r.query, r.took_ms
    )?;
    for (i, hit) in r.hits.iter().enumerate() {
        let updated = hit
            .updated
            .as_deref()
            .map(|u| format!(" · updated {u}"))
            .unwrap_or_default();
        let systems = hit.systems.join(", ");
        writeln!(
            out,
            "\n{:>2}. {}  [{}] {systems}{updated}",
            i + 1,
            hit.title,
            hit.kind
        )?;
        writeln!(out, "    {}", hit.id)?;
        let snippet = html_unescape(&hit.snippet.replace("<mark>", "«").replace("</mark>", "»"));
        writeln!(
            out,
            "    {}",
            snippet.split_whitespace().collect::<Vec<_>>().join(" ")
        )?;
    }
    Ok(())
}

fn html_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

fn check_handover(
    config: &Config,
    schema: &Schema,
    name: &str,
    today: chrono::NaiveDate,
    json: bool,
) -> anyhow::Result<ExitCode> {
    use baton::problem::Severity;
    ensure_corpus(config)?;
    let Some((h, ready)) = baton::check::handover_readiness(
        &config.corpus,
        schema,
        config.max_file_bytes,
        name,
        today,
    ) else {
        bail!("no handover '{name}' in {}", config.corpus.display());
    };
    let errors = h.problems.len()
        + ready
            .systems
            .iter()
            .flat_map(|s| &s.gaps)
            .filter(|g| g.severity == Severity::Error)
            .count();
    if json {
        let out = serde_json::json!({ "handover": h, "readiness": ready, "errors": errors });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_handover(&h, &ready);
    }
    Ok(if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_handover(h: &baton::handover::Handover, ready: &baton::handover::readiness::Readiness) {
    let done = h.items.iter().filter(|i| i.done).count();
    println!("{} — {} ({})", h.id, h.title, h.status);
    println!(
        "{} -> {}, {} to {}; plan {done}/{} done; {} confirmations",
        h.from,
        h.to,
        h.start.as_deref().unwrap_or("?"),
        h.end.as_deref().unwrap_or("?"),
        h.items.len(),
        h.confirmations.len()
    );
    for p in &h.problems {
        println!("error    handover: {p}");
    }
    println!("readiness as of {}: {}/100", ready.today, ready.score);
    for s in &ready.systems {
        println!();
        println!("{}: {}/100", s.system, s.score);
        for g in &s.gaps {
            let severity = match g.severity {
                baton::problem::Severity::Error => "error",
                baton::problem::Severity::Warning => "warning",
            };
            println!("  {severity:<8} {:<25} {}", g.code, g.message);
        }
        let required: Vec<String> = s
            .required
            .iter()
            .map(|r| format!("{} {}", r.label, if r.present { "ok" } else { "MISSING" }))
            .collect();
        println!("  required: {}", required.join(", "));
        for i in &s.incidents {
            println!(
                "  incident {} {} {} (runbook: {})",
                i.severity.as_deref().unwrap_or("?"),
                i.occurred.as_deref().unwrap_or("?"),
                i.id,
                if i.has_runbook {
                    i.runbooks.join(", ")
                } else {
                    "none".into()
                }
            );
        }
        for t in &s.training {
            println!(
                "  training {} {} ({})",
                t.recorded.as_deref().unwrap_or("?"),
                t.id,
                t.trainer.as_deref().unwrap_or("?")
            );
        }
    }
}

fn verify_cmd(config: &Config, schema: &Schema, json: bool) -> anyhow::Result<ExitCode> {
    // Opening would create an empty index where there is none: nothing to verify.
    if !config.data.join("index").is_dir() {
        bail!("no index under {}", config.data.display());
    }
    let index = BatonIndex::open(&config.data, schema, false)?;
    let filter = baton::corpus::Filter::new(&config.ignore)?;
    let report = baton::verify::verify(&index, &config.corpus, &filter, config.max_file_bytes)?;
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "corpus {} documents, index {}: {} missing, {} extra, {} stale",
            report.corpus, report.indexed, report.missing, report.extra, report.stale
        );
        for e in &report.examples {
            println!("  {e}");
        }
    }
    Ok(if report.matches() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn check(
    config: &Config,
    schema: &Schema,
    json: bool,
    today: chrono::NaiveDate,
) -> anyhow::Result<ExitCode> {
    ensure_corpus(config)?;
    let report = baton::check::check(&config.corpus, schema, config.max_file_bytes, today);
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for p in &report.problems {
            println!("{p}");
        }
        println!(
            "{} documents checked: {} errors, {} warnings",
            report.documents, report.errors, report.warnings
        );
    }
    Ok(if report.errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn bench_index(
    config: &Config,
    schema: &Schema,
    json: bool,
    worker: Option<String>,
) -> anyhow::Result<ExitCode> {
    ensure_corpus(config)?;
    if let Some(which) = worker {
        let m = match which.as_str() {
            "baton" => bench::run_baton(config, schema)?,
            "bare" => bench::run_bare(&config.corpus, &config.data)?,
            other => bail!("unknown worker {other}"),
        };
        println!("{}", serde_json::to_string(&m)?);
        return Ok(ExitCode::SUCCESS);
    }
    let scratch = tempfile_dir()?;
    let mut results = Vec::new();
    for which in ["bare", "baton"] {
        let out = std::process::Command::new(std::env::current_exe()?)
            .args(["bench-index", "--worker", which, "--corpus"])
            .arg(&config.corpus)
            .arg("--data")
            .arg(scratch.join(which))
            .args(
                config
                    .schema
                    .iter()
                    .flat_map(|s| [PathBuf::from("--schema"), s.clone()]),
            )
            .output()?;
        if !out.status.success() {
            bail!(
                "{which} indexer failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        results.push(serde_json::from_slice::<bench::Measurement>(&out.stdout)?);
    }
    let _ = std::fs::remove_dir_all(&scratch);
    let (bare, baton) = (&results[0], &results[1]);
    let ratio = baton.mb_per_sec() / bare.mb_per_sec().max(1e-9);
    if json {
        println!(
            "{}",
            serde_json::json!({"bare": bare, "baton": baton, "ratio_mb_per_sec": ratio})
        );
    } else {
        println!("indexer  docs    MB     seconds  docs/s   MB/s   peak RSS MB");
        for m in &results {
            println!(
                "{:<8} {:<7} {:<6.1} {:<8.2} {:<8.0} {:<6.2} {:.0}",
                m.indexer,
                m.docs,
                m.bytes as f64 / 1e6,
                m.seconds,
                m.docs_per_sec(),
                m.mb_per_sec(),
                m.peak_rss_mb
            );
        }
        println!("baton / bare MB/s: {ratio:.2}x");
    }
    Ok(ExitCode::SUCCESS)
}

/// Indexes the corpus, scores the judged queries, and with `baseline` runs the
/// FTS5 script on the same files and prints both side by side.
fn eval_cmd(
    config: &Config,
    schema: &Schema,
    queries: &std::path::Path,
    json: bool,
    misses: Option<usize>,
    baseline: bool,
) -> anyhow::Result<ExitCode> {
    ensure_corpus(config)?;
    let judged = eval::load_queries(queries)?;
    let (index, report) =
        eval::index_corpus(&config.corpus, &config.data, schema, config.max_file_bytes)?;
    eprintln!(
        "{} documents in the index ({} re-indexed, {} problems)",
        index.num_docs(),
        report.indexed,
        report.problems.len()
    );
    let ours = eval::evaluate(&index, &judged)?;
    let theirs = baseline
        .then(|| eval::run_baseline(&eval::baseline_script(), &config.corpus, queries))
        .and_then(|r| {
            r.map_err(|e| eprintln!("{e}; showing baton's numbers only"))
                .ok()
        });
    match (theirs, json) {
        (Some(t), true) => println!(
            "{}",
            serde_json::to_string_pretty(&eval::Comparison::new(ours, t))?
        ),
        (None, true) => println!("{}", serde_json::to_string_pretty(&ours)?),
        (Some(t), false) => {
            println!("{}", ours.render(misses));
            print!("{}", eval::Comparison::new(ours, t).render());
        }
        (None, false) => print!("{}", ours.render(misses)),
    }
    Ok(ExitCode::SUCCESS)
}

fn bench_watch(
    config: &Config,
    schema: &Schema,
    min_docs: usize,
    edits: usize,
    burst: usize,
    json: bool,
) -> anyhow::Result<ExitCode> {
    ensure_corpus(config)?;
    let scratch = tempfile_dir()?;
    let result = bench::run_watch(
        &config.corpus,
        &scratch,
        schema,
        min_docs,
        edits,
        burst.max(1),
    );
    let _ = std::fs::remove_dir_all(&scratch);
    let m = result?;
    if json {
        println!("{}", serde_json::to_string_pretty(&m)?);
    } else {
        println!("documents                      {}", m.docs);
        println!("initial full index             {:.2} s", m.initial_index_s);
        println!(
            "restart, unchanged corpus      {:.2} s  (target < 2 s)",
            m.unchanged_restart_s
        );
        println!(
            "save -> searchable ({} edits)  p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms  (target p99 < 1000 ms; debounce floor {:.0} ms)",
            m.edits, m.edit_p50_ms, m.edit_p99_ms, m.edit_max_ms, m.debounce_ms
        );
        println!(
            "burst of {} new files          {:.2} s  (target < 10 s)",
            m.burst_files, m.burst_s
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("baton-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
