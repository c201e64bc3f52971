//! Any user text is a query (DESIGN principle 6): 10,000+ random and hostile
//! strings (random Unicode, control characters, 100 KB pastes, operator
//! soup, unbalanced quotes) searched over the bundled corpus. Every one
//! must return a response, never an error or a panic, within a time bound;
//! the slowest is printed.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use baton::search::{search, SearchRequest};
use common::TestCorpus;

/// Generated queries per run (the acceptance floor is 10,000).
const QUERIES: usize = 10_000;

/// Of those, this many are 100 KB pastes.
const HUGE_QUERIES: usize = 24;

/// Bound per query. Generous because tests run unoptimised on a shared
/// machine; release builds answer these in milliseconds.
const MAX_QUERY_TIME: Duration = Duration::from_secs(5);

/// Pieces of query syntax and of the corpus's vocabulary, to assemble soup.
const SOUP: &[&str] = &[
    "AND",
    "OR",
    "NOT",
    "\"",
    "-",
    "--",
    ":",
    "::",
    "kind:",
    "system:",
    "tag:",
    "kind:runbook",
    "-kind:x",
    "tag:,",
    "(",
    ")",
    "*",
    "?",
    "~2",
    "^3",
    "\\",
    "「",
    "」",
    "“",
    "”",
    "＂",
    "-\"",
    "ORA-01555",
    "日終批次",
    "核心系統",
    "资料库",
    "restart",
    "OOMKilled",
    "a:b:c",
    "\u{0}",
    "\u{200b}",
    "\u{feff}",
    "\u{202e}",
    "́",
    "🙂",
    "ｋｉｎｄ：ｒｕｎｂｏｏｋ",
    "%",
    "&&",
    "||",
    "<script>",
    "&amp;",
    "' OR 1=1 --",
    "../../etc/passwd",
    "\t",
    "\n",
    " ",
];

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// A random scalar value from a mix of ranges (ASCII, controls, CJK,
    /// combining marks, full-width, emoji, private use, anything).
    fn char(&mut self) -> char {
        let ranges: [(u32, u32); 8] = [
            (0x20, 0x7e),
            (0x00, 0x1f),
            (0x4e00, 0x9fff),
            (0x0300, 0x036f),
            (0xff01, 0xff5e),
            (0x1f300, 0x1faff),
            (0xe000, 0xf8ff),
            (0x0, 0x10ffff),
        ];
        let (lo, hi) = ranges[self.below(ranges.len())];
        let c = lo + (self.next() % u64::from(hi - lo + 1)) as u32;
        char::from_u32(c).unwrap_or('\u{fffd}')
    }

    fn random_text(&mut self, max_chars: usize) -> String {
        (0..self.below(max_chars + 1))
            .map(|_| self.char())
            .collect()
    }

    fn soup(&mut self, pieces: usize) -> String {
        let mut q = String::new();
        for _ in 0..self.below(pieces + 1) {
            q.push_str(SOUP[self.below(SOUP.len())]);
            if self.below(3) > 0 {
                q.push(' ');
            }
        }
        q
    }

    fn huge(&mut self) -> String {
        const BYTES: usize = 100 * 1024;
        let mut q = String::with_capacity(BYTES + 8);
        match self.below(4) {
            0 => {
                while q.len() < BYTES {
                    q.push(self.char());
                }
            }
            1 => {
                while q.len() < BYTES {
                    q.push_str(
                        "2026-03-19 00:47:12 ERROR ORA-01555 at com.bank.Step.run(Step.java:88) ",
                    );
                }
            }
            2 => q.push_str(&"a_".repeat(BYTES / 2)),
            _ => q.push_str(&"日終批次失敗".repeat(BYTES / 18)),
        }
        q
    }
}

fn query(rng: &mut Rng, i: usize) -> String {
    if i < HUGE_QUERIES {
        return rng.huge();
    }
    match rng.below(4) {
        0 => rng.random_text(40),
        1 => rng.random_text(400),
        2 => rng.soup(12),
        _ => format!("{} {}", rng.soup(4), rng.random_text(20)),
    }
}

#[test]
fn ten_thousand_hostile_queries_never_fail_and_stay_fast() {
    let t = TestCorpus::empty();
    common::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"),
        &t.corpus,
    );
    t.reconcile();
    let mut rng = Rng(0x5eed_ba70_0000_0001);
    let mut slowest = (Duration::ZERO, String::new());
    for i in 0..QUERIES {
        let q = query(&mut rng, i);
        let started = Instant::now();
        let result = search(&t.index, &SearchRequest::new(&q));
        let took = started.elapsed();
        let response = result.unwrap_or_else(|e| panic!("query #{i} {:?}: {e}", preview(&q)));
        assert!(response.hits.len() <= baton::search::DEFAULT_LIMIT);
        assert!(
            took < MAX_QUERY_TIME,
            "query #{i} took {took:?}: {:?}",
            preview(&q)
        );
        if took > slowest.0 {
            slowest = (took, preview(&q));
        }
    }
    println!(
        "slowest of {QUERIES} queries: {:?} for {:?}",
        slowest.0, slowest.1
    );
}

fn preview(q: &str) -> String {
    let head: String = q.chars().take(60).collect();
    format!("{head}... ({} bytes)", q.len())
}
