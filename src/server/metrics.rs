//! Prometheus metrics: request counts and latency histograms per route and
//! status, plus index and watcher gauges, in the text exposition format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Latency histogram bucket bounds, seconds: searches take milliseconds, so
/// the buckets are dense below 100 ms.
const BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default, Clone)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

/// Request metrics, keyed by (route, status).
#[derive(Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<(String, u16), Series>>,
}

/// Index and watcher numbers rendered with the request metrics.
pub struct Gauges {
    /// Searchable documents.
    pub documents: u64,
    /// Segments a search goes through (a bulk load is merged into one).
    pub segments: u64,
    /// Documents' problems.
    pub problems: u64,
    /// Commits made by reconciliation and the watcher.
    pub commits: u64,
    /// Age of the oldest change not yet searchable, seconds.
    pub commit_lag_seconds: f64,
    /// File-system events received.
    pub watcher_events: u64,
    /// 1 once the first reconciliation finished.
    pub ready: bool,
    /// Whether the index can be written now (no `index_error`).
    pub index_writable: bool,
    /// Whether the corpus folder can be followed now (no `corpus_error`).
    pub corpus_available: bool,
    /// Failed index commits since start (disk full, read-only, folder deleted).
    pub commit_failures: u64,
}

impl Metrics {
    /// Records one request.
    pub fn observe(&self, route: &str, status: u16, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let mut series = self.series.lock().unwrap_or_else(|p| p.into_inner());
        let s = series.entry((route.to_string(), status)).or_default();
        s.count += 1;
        s.sum += secs;
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                s.buckets[i] += 1;
            }
        }
    }

    /// The exposition text.
    pub fn render(&self, g: &Gauges) -> String {
        let mut out = String::new();
        let series = self
            .series
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        out.push_str("# HELP baton_http_requests_total HTTP requests by route and status.\n");
        out.push_str("# TYPE baton_http_requests_total counter\n");
        for ((route, status), s) in &series {
            let _ = writeln!(
                out,
                "baton_http_requests_total{{route=\"{}\",status=\"{status}\"}} {}",
                escape(route),
                s.count
            );
        }
        out.push_str("# HELP baton_http_request_duration_seconds HTTP request latency by route and status.\n");
        out.push_str("# TYPE baton_http_request_duration_seconds histogram\n");
        for ((route, status), s) in &series {
            let labels = format!("route=\"{}\",status=\"{status}\"", escape(route));
            for (bound, n) in BUCKETS.iter().zip(s.buckets) {
                let _ = writeln!(
                    out,
                    "baton_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "baton_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "baton_http_request_duration_seconds_sum{{{labels}}} {}",
                s.sum
            );
            let _ = writeln!(
                out,
                "baton_http_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
        gauge(
            &mut out,
            "baton_index_documents",
            "Searchable documents.",
            "gauge",
            g.documents as f64,
        );
        gauge(
            &mut out,
            "baton_index_segments",
            "Index segments a search goes through (a bulk load is merged into one).",
            "gauge",
            g.segments as f64,
        );
        gauge(
            &mut out,
            "baton_problems",
            "Problems recorded against corpus files.",
            "gauge",
            g.problems as f64,
        );
        gauge(
            &mut out,
            "baton_index_commits_total",
            "Index commits by reconciliation and the watcher.",
            "counter",
            g.commits as f64,
        );
        gauge(
            &mut out,
            "baton_commit_lag_seconds",
            "Age of the oldest change not yet searchable.",
            "gauge",
            g.commit_lag_seconds,
        );
        gauge(
            &mut out,
            "baton_watcher_events_total",
            "File-system events received.",
            "counter",
            g.watcher_events as f64,
        );
        gauge(
            &mut out,
            "baton_ready",
            "1 once the first reconciliation finished.",
            "gauge",
            if g.ready { 1.0 } else { 0.0 },
        );
        gauge(
            &mut out,
            "baton_index_writable",
            "1 while the index can be written (0: see index_error in /api/health).",
            "gauge",
            if g.index_writable { 1.0 } else { 0.0 },
        );
        gauge(
            &mut out,
            "baton_corpus_available",
            "1 while the corpus folder can be followed (0: see corpus_error in /api/health).",
            "gauge",
            if g.corpus_available { 1.0 } else { 0.0 },
        );
        gauge(
            &mut out,
            "baton_index_commit_failures_total",
            "Failed index commits (disk full, read-only data folder, index folder deleted).",
            "counter",
            g.commit_failures as f64,
        );
        out
    }
}

fn gauge(out: &mut String, name: &str, help: &str, kind: &str, value: f64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
    );
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
