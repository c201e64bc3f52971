//! Snippets: the best-matching passage of a body, about [`SNIPPET_CHARS`]
//! characters, with every match marked.
//!
//! tantivy's snippet generator re-analyses the whole stored body of every
//! hit; with jieba that dominated search time (a 20 KB page per hit). Here
//! matches are located by plain substring search of the query terms (in
//! every spelling that folds to them, so the body need not be folded), the
//! densest window wins, and only the stretches of that window where a term
//! may be go through the analyzer to mark exact term matches. Windows start
//! and end on character boundaries and never inside a word or identifier.
//!
//! The body comes as stored: UTF-8 bytes, validated only where it is shown
//! (the window, or the lead), not in full for every hit.

use std::collections::{HashMap, HashSet};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::analysis::{Analyzer, Mode};

/// Characters of text shown around the matches.
pub const SNIPPET_CHARS: usize = 160;

/// Bytes of a body searched for the best passage. Pages this long are
/// release notes and references; a passage in their first 24 KiB is a fine
/// snippet, and scanning more would dominate search time.
const MAX_SCAN_BYTES: usize = 24 * 1024;

/// Matches considered when choosing the window: enough to find the densest
/// passage of any real page, bounded for pathological bodies.
const MAX_HITS: usize = 4096;

/// How far (in characters) a window edge may move to avoid cutting a word.
const EDGE_SLACK_CHARS: usize = 12;

/// The snippet of `body` (UTF-8 bytes) for the weighted query terms: the
/// best passage with matches marked, or the lead of the body when no term
/// occurs in it.
pub fn snippet(analyzer: &Analyzer, body: &[u8], terms: &HashMap<String, f32>) -> String {
    with_highlighter(terms, |h| h.snippet(analyzer, body)).unwrap_or_else(|| lead(body))
}

thread_local! {
    /// The highlighter of the last term set used on this thread: every hit of
    /// one search shares it, so the automaton is built once per search.
    static LAST: std::cell::RefCell<Option<(u64, std::rc::Rc<Highlighter>)>> = const { std::cell::RefCell::new(None) };
}

fn with_highlighter<T>(terms: &HashMap<String, f32>, f: impl FnOnce(&Highlighter) -> T) -> T {
    let mut keys: Vec<&String> = terms.keys().collect();
    keys.sort_unstable();
    let key = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        keys.hash(&mut h);
        h.finish()
    };
    let cached = LAST.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(k, _)| *k == key)
            .map(|(_, h)| h.clone())
    });
    let highlighter = cached.unwrap_or_else(|| {
        let h = std::rc::Rc::new(Highlighter::new(keys.into_iter().cloned()));
        LAST.with(|c| *c.borrow_mut() = Some((key, h.clone())));
        h
    });
    f(&highlighter)
}

/// Bytes of a body first read for its lead: enough for [`SNIPPET_CHARS`]
/// characters unless the page opens with a lot of whitespace.
const LEAD_SCAN_BYTES: usize = 4 * 1024;

/// The start of the body (UTF-8 bytes), HTML-escaped, for hits matched outside it.
pub fn lead(body: &[u8]) -> String {
    let mut scan = LEAD_SCAN_BYTES;
    loop {
        // Whitespace collapsed lazily: only the first words of a long body are read.
        let lead: String = valid_prefix(body, scan)
            .split_whitespace()
            .enumerate()
            .flat_map(|(i, word)| (i > 0).then_some(' ').into_iter().chain(word.chars()))
            .take(SNIPPET_CHARS)
            .collect();
        if scan >= body.len() || lead.chars().count() >= SNIPPET_CHARS {
            return html_escape::encode_text(&lead).into_owned();
        }
        scan = scan.saturating_mul(4);
    }
}

/// The longest valid UTF-8 start of `bytes` of at most `max` bytes, cut on
/// a character boundary. A stored body was a `&str` when indexed, so only
/// a damaged index ends it early (at the first invalid byte).
fn valid_prefix(bytes: &[u8], max: usize) -> &str {
    let prefix = &bytes[..floor_char_boundary(bytes, max)];
    std::str::from_utf8(prefix)
        .unwrap_or_else(|e| std::str::from_utf8(&prefix[..e.valid_up_to()]).unwrap_or_default())
}

/// Marks query terms in the best passage of a text.
pub struct Highlighter {
    terms: HashSet<String>,
    matcher: Option<Matcher>,
    /// What a Latin word whose stem is a term starts with (see [`stems`]).
    stems: Vec<String>,
}

impl Highlighter {
    /// A highlighter for these analysed query terms (as indexed: folded, lowercased, stemmed).
    pub fn new(terms: impl IntoIterator<Item = String>) -> Highlighter {
        let terms: HashSet<String> = terms.into_iter().filter(|t| !t.is_empty()).collect();
        let matcher = Matcher::new(&terms.iter().map(String::as_str).collect::<Vec<_>>());
        let stems = stems(&terms);
        Highlighter {
            terms,
            matcher,
            stems,
        }
    }

    /// HTML-escaped passage of `body` (UTF-8 bytes) with `<mark>` around
    /// matches; `None` when no term occurs.
    pub fn snippet(&self, analyzer: &Analyzer, body: &[u8]) -> Option<String> {
        let (start, window) = self.best_window(body)?;
        let end = start + window.len();
        let mut marks = self.marks(analyzer, window);
        if marks.is_empty() {
            return None;
        }
        marks.sort_unstable();
        let mut html = String::with_capacity(window.len() + 32);
        if start > 0 {
            html.push('…');
        }
        let mut at = 0;
        for (from, to) in merge(marks) {
            html.push_str(&html_escape::encode_text(&window[at..from]));
            html.push_str("<mark>");
            html.push_str(&html_escape::encode_text(&window[from..to]));
            html.push_str("</mark>");
            at = to;
        }
        html.push_str(&html_escape::encode_text(&window[at..]));
        if end < body.len() {
            html.push('…');
        }
        Some(collapse_whitespace(&html))
    }

    /// Byte ranges of `window` holding query terms, as the analyzer sees
    /// them. Only the stretches between separators (whitespace,
    /// punctuation) where a term may be are analysed: where the term search
    /// finds one, where a Latin term's stem may start a word, and where a
    /// character is one the term search does not fold. No token ever spans
    /// a separator, so each stretch analyses as it would within the whole
    /// window, and in Chinese and English alike most of a window has no
    /// match (analysing all of it was an eighth of a search).
    fn marks(&self, analyzer: &Analyzer, window: &str) -> Vec<(usize, usize)> {
        let Some(matcher) = self.matcher.as_ref() else {
            return Vec::new();
        };
        let mut starts: Vec<usize> = matcher
            .find(window.as_bytes())
            .into_iter()
            .map(|(at, _)| at)
            .collect();
        if !self.stems.is_empty() {
            // A few short patterns over a short window: plain substring
            // search beats building an automaton for them.
            let lower = window.to_ascii_lowercase();
            for stem in &self.stems {
                starts.extend(lower.match_indices(stem.as_str()).map(|(i, _)| i));
            }
        }
        // Characters the term search does not fold as the analyzer does
        // (full-width forms, compatibility ideographs, other scripts' case).
        starts.extend(
            window
                .char_indices()
                .filter(|&(_, c)| !c.is_ascii() && !is_unified_han(c) && !is_separator(c))
                .map(|(i, _)| i),
        );
        starts.sort_unstable();
        let mut marks = Vec::new();
        let mut analysed_to = 0;
        for at in starts {
            if at < analysed_to {
                continue;
            }
            let (from, to) = stretch_around(window, at);
            for t in analyzer.terms(&window[from..to], Mode::Index) {
                if self.terms.contains(&t.text) {
                    marks.push((from + t.from, from + t.to));
                }
            }
            analysed_to = to;
        }
        marks
    }

    /// The passage of `body` holding the most distinct terms, and where in
    /// `body` it starts.
    fn best_window<'b>(&self, body: &'b [u8]) -> Option<(usize, &'b str)> {
        let matcher = self.matcher.as_ref()?;
        let hits = matcher.find(&body[..floor_char_boundary(body, MAX_SCAN_BYTES)]);
        let at = densest(&hits, matcher.terms, SNIPPET_CHARS * 3)?; // CJK: 3 bytes a character
        let (from, region) = region_around(body, at)?;
        let (start, end) = window_around(region, at - from);
        // A window edge at the region's edge is at the body's edge: the
        // region reaches further than a window ever does.
        Some((from + start, &region[start..end]))
    }
}

/// What a word whose stem is one of `terms` starts with, for the Latin
/// terms. A stem is not always in its word (`inotify` stems to `inotifi`,
/// `hoping` to `hope`); the stem without its last letter is, except in a
/// handful of irregular words (`dying`). Lowercase, as words are.
fn stems(terms: &HashSet<String>) -> Vec<String> {
    terms
        .iter()
        .filter(|t| t.bytes().all(|b| b.is_ascii_lowercase()))
        .map(|t| match t.len() {
            4.. => t[..t.len() - 1].to_owned(),
            _ => t.clone(),
        })
        .collect()
}

/// The stretch of `text` around byte `at` between separators: the nearest
/// [`is_separator`] characters before and after it (or the text's ends).
fn stretch_around(text: &str, at: usize) -> (usize, usize) {
    let from = text[..at]
        .char_indices()
        .rev()
        .find(|&(_, c)| is_separator(c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let to = text[at..]
        .char_indices()
        .find(|&(_, c)| is_separator(c))
        .map_or(text.len(), |(i, _)| at + i);
    (from, to)
}

/// Characters no token of the analyzer contains or joins across: they fold
/// to neither a letter, a digit, an ideograph nor an identifier connector
/// (`-`, `.`, `:` and the like, which join `ORA-01555`). Whitespace, ASCII
/// punctuation other than connectors, and common CJK punctuation (the
/// full-width colon folds to `:`, a connector, so it is not one).
fn is_separator(c: char) -> bool {
    if c.is_ascii() {
        return !c.is_ascii_alphanumeric() && !crate::analysis::words::is_connector(c);
    }
    c.is_whitespace() || CJK_SEPARATORS.contains(&c)
}

/// An ideograph of the block the term search folds ([`fold_han`]).
fn is_unified_han(c: char) -> bool {
    (HAN_FIRST..=HAN_LAST).contains(&(c as u32))
}

/// CJK punctuation that [`is_separator`] accepts.
const CJK_SEPARATORS: &[char] = &[
    '，', '。', '、', '；', '！', '？', '（', '）', '「', '」', '『', '』', '《', '》', '【', '】',
    '“', '”', '‘', '’',
];

/// The validated text around byte `at` of `body` that any window around
/// `at` lies in: [`SNIPPET_CHARS`] / 4 characters before it, then
/// [`SNIPPET_CHARS`] and the edge slack after (4 bytes a character at most,
/// one character spare each side for the edge checks). `None` if that part
/// of the body is not valid UTF-8 or `at` is not on a character boundary.
fn region_around(body: &[u8], at: usize) -> Option<(usize, &str)> {
    let before = (SNIPPET_CHARS / 4 + 1) * 4;
    let after = (SNIPPET_CHARS + EDGE_SLACK_CHARS + 2) * 4;
    let from = floor_char_boundary(body, at.saturating_sub(before));
    let to = floor_char_boundary(body, at.saturating_add(after));
    let region = std::str::from_utf8(body.get(from..to)?).ok()?;
    region.is_char_boundary(at - from).then_some((from, region))
}

/// Finds the query terms in a body as the index sees it: Traditional
/// characters folded to Simplified, ASCII lowercased. The body itself is
/// searched when possible, not a folded and lowercased copy: a term with Han
/// characters becomes one pattern per spelling that folds to it, and a
/// lowercased copy is made only when some term has an ASCII letter (where
/// terms without one match cannot depend on case). The automaton's own
/// ASCII case folding is no substitute: it loses the fast prefilter (tried:
/// the term search went from 5% to 30% of a search's instructions).
struct Matcher {
    automaton: Automaton,
    /// The term (index into the distinct terms) each pattern spells.
    term_of: Vec<usize>,
    /// Number of distinct terms.
    terms: usize,
    /// A term had too many spellings: fold a copy of the body instead.
    fold: bool,
    /// Some term has an ASCII letter: search a lowercased copy.
    lowercase: bool,
}

impl Matcher {
    fn new(terms: &[&str]) -> Option<Matcher> {
        // Folding only ever matters to terms with Han characters.
        let han = terms.iter().any(|t| t.chars().any(crate::analysis::is_han));
        let spelled = if han { spellings(terms) } else { None };
        let fold = han && spelled.is_none();
        let (patterns, term_of) = spelled.unwrap_or_else(|| {
            let patterns = terms.iter().map(|t| t.to_string()).collect();
            (patterns, (0..terms.len()).collect())
        });
        let automaton = Automaton::new(&patterns)?;
        Some(Matcher {
            automaton,
            term_of,
            terms: terms.len(),
            fold,
            lowercase: terms
                .iter()
                .any(|t| t.bytes().any(|b| b.is_ascii_alphabetic())),
        })
    }

    /// (start, term) of each match in `text` (UTF-8), at most [`MAX_HITS`].
    fn find(&self, text: &[u8]) -> Vec<(usize, usize)> {
        let mut copy = None;
        if self.fold || self.lowercase {
            // Both keep every byte offset. Lowercased as it is copied (one pass).
            let bytes = copy.insert(if self.lowercase {
                text.iter().map(u8::to_ascii_lowercase).collect()
            } else {
                text.to_vec()
            });
            if self.fold {
                fold_han(bytes);
            }
        }
        let haystack = copy.as_deref().unwrap_or(text);
        // A page has a few dozen matches: room for them from the start.
        let mut hits = Vec::with_capacity(64);
        self.automaton.each_start(haystack, |start, pattern| {
            hits.push((start, self.term_of[pattern]));
            hits.len() < MAX_HITS
        });
        hits
    }
}

/// Finds the patterns, leftmost-longest: at each place the longest term (the
/// word rather than its sub-words), in one non-overlapping pass.
enum Automaton {
    /// SIMD search alone (Teddy), when the patterns suit it (up to a few
    /// dozen; on x86-64 and ARM): it serves the ~10 hits of one search, and
    /// building an automaton around it was an eighth of all snippet work.
    Packed(aho_corasick::packed::Searcher),
    /// Otherwise a noncontiguous NFA (the DFA or contiguous NFA built from
    /// it costs more than it saves on ten hits), the same SIMD search as
    /// its prefilter.
    Nfa(AhoCorasick),
}

impl Automaton {
    fn new(patterns: &[String]) -> Option<Automaton> {
        let packed = aho_corasick::packed::Config::new()
            .match_kind(aho_corasick::packed::MatchKind::LeftmostLongest)
            .builder()
            .extend(patterns)
            .build();
        if let Some(searcher) = packed {
            return Some(Automaton::Packed(searcher));
        }
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::NoncontiguousNFA))
            .build(patterns)
            .ok()
            .map(Automaton::Nfa)
    }

    /// Calls `each(start, pattern)` for each match in order, while it returns true.
    fn each_start(&self, haystack: &[u8], mut each: impl FnMut(usize, usize) -> bool) {
        match self {
            Automaton::Packed(searcher) => {
                for m in searcher.find_iter(haystack) {
                    if !each(m.start(), m.pattern().as_usize()) {
                        return;
                    }
                }
            }
            Automaton::Nfa(automaton) => {
                for m in automaton.find_iter(haystack) {
                    if !each(m.start(), m.pattern().as_usize()) {
                        return;
                    }
                }
            }
        }
    }
}

/// Spellings of one term searched for at most; past this the body is folded.
const MAX_SPELLINGS: usize = 64;

/// Every spelling of every term that folds to it, with the term each spells;
/// `None` when a term has more than [`MAX_SPELLINGS`].
///
/// Folding maps each character to one of the same UTF-8 length, so a term
/// occurs in the folded text exactly where one of its spellings occurs in
/// the original, at the same offsets; and two terms never share a spelling.
fn spellings(terms: &[&str]) -> Option<(Vec<String>, Vec<usize>)> {
    let mut patterns = Vec::new();
    let mut term_of = Vec::new();
    for (id, term) in terms.iter().enumerate() {
        let mut spelled = vec![String::new()];
        for c in term.chars() {
            let sources = han_sources(c);
            if spelled.len() * sources.len() > MAX_SPELLINGS {
                return None;
            }
            spelled = spelled
                .iter()
                .flat_map(|prefix| {
                    sources.iter().map(move |&s| {
                        let mut spelling = prefix.clone();
                        spelling.push(s);
                        spelling
                    })
                })
                .collect();
        }
        term_of.extend(std::iter::repeat_n(id, spelled.len()));
        patterns.extend(spelled);
    }
    Some((patterns, term_of))
}

/// Start of the span of `span_bytes` holding the most distinct terms (then
/// the most matches), by a sliding window over the sorted hits.
fn densest(hits: &[(usize, usize)], terms: usize, span_bytes: usize) -> Option<usize> {
    let mut counts = vec![0u32; terms];
    let (mut distinct, mut end) = (0usize, 0usize);
    let mut best: Option<(usize, usize, usize)> = None; // (distinct, matches, start)
    for (i, &(start, term)) in hits.iter().enumerate() {
        while end < hits.len() && hits[end].0 < start + span_bytes {
            counts[hits[end].1] += 1;
            distinct += usize::from(counts[hits[end].1] == 1);
            end += 1;
        }
        if best.is_none_or(|(d, m, _)| (distinct, end - i) > (d, m)) {
            best = Some((distinct, end - i, start));
        }
        counts[term] -= 1;
        distinct -= usize::from(counts[term] == 0);
    }
    best.map(|(_, _, start)| start)
}

/// A window of about [`SNIPPET_CHARS`] characters that starts a little before
/// `at`, with both edges moved to word boundaries.
fn window_around(body: &str, at: usize) -> (usize, usize) {
    let lead = SNIPPET_CHARS / 4;
    let before: Vec<(usize, char)> = body[..at].char_indices().rev().take(lead).collect();
    let mut start = before.last().map(|&(i, _)| i).unwrap_or(at);
    start = snap_start(body, start);
    let mut end = body[start..]
        .char_indices()
        .nth(SNIPPET_CHARS)
        .map(|(i, _)| start + i)
        .unwrap_or(body.len());
    end = snap_end(body, end);
    (start, end)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-' || c == '.'
}

/// Moves `start` forward to the beginning of a word (at most a few characters).
fn snap_start(body: &str, start: usize) -> usize {
    if start == 0 {
        return 0;
    }
    let prev = body[..start].chars().next_back();
    if !prev.is_some_and(is_word_char) {
        return start;
    }
    for (i, c) in body[start..].char_indices().take(EDGE_SLACK_CHARS) {
        if !is_word_char(c) || crate::analysis::is_han(c) {
            return start + i;
        }
    }
    start
}

/// Moves `end` forward to the end of the word it cuts (at most a few characters).
fn snap_end(body: &str, end: usize) -> usize {
    if end >= body.len() {
        return body.len();
    }
    for (i, c) in body[end..].char_indices().take(EDGE_SLACK_CHARS) {
        if !is_word_char(c) || crate::analysis::is_han(c) {
            return end + i;
        }
    }
    end
}

/// First and last code point of the CJK Unified Ideographs block, the one
/// Traditional/Simplified folding touches.
const HAN_FIRST: u32 = 0x4E00;
const HAN_LAST: u32 = 0x9FFF;

/// Traditional->Simplified of every ideograph, character by character, as a
/// flat table: one array read per character instead of fast2s's hash lookups
/// and context rules (the analyzer applies those when marking the window).
fn han_table() -> &'static [char] {
    static TABLE: std::sync::OnceLock<Vec<char>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (HAN_FIRST..=HAN_LAST)
            .map(|cp| {
                let c = char::from_u32(cp).unwrap_or(' ');
                let folded = fast2s::convert(&c.to_string()).chars().next().unwrap_or(c);
                // Same UTF-8 length, so byte offsets stay valid.
                if folded.len_utf8() == c.len_utf8() {
                    folded
                } else {
                    c
                }
            })
            .collect()
    })
}

/// The character [`fold_han`] turns `c` into.
fn fold_char(c: char) -> char {
    (c as u32)
        .checked_sub(HAN_FIRST)
        .and_then(|k| han_table().get(k as usize))
        .copied()
        .unwrap_or(c)
}

/// The characters [`fold_han`] turns into `c` (`c` itself among them unless
/// it is folded away): a folded text has `c` where the original has one of them.
fn han_sources(c: char) -> Vec<char> {
    static SOURCES: std::sync::OnceLock<HashMap<char, Vec<char>>> = std::sync::OnceLock::new();
    let folded_into = SOURCES.get_or_init(|| {
        let mut map: HashMap<char, Vec<char>> = HashMap::new();
        for (k, &to) in han_table().iter().enumerate() {
            let from = char::from_u32(HAN_FIRST + k as u32).unwrap_or(to);
            if from != to {
                map.entry(to).or_default().push(from);
            }
        }
        map
    });
    let itself = (fold_char(c) == c).then_some(c);
    itself
        .into_iter()
        .chain(folded_into.get(&c).into_iter().flatten().copied())
        .collect()
}

/// Folds ideographs to Simplified; every byte offset is kept. Works on the
/// UTF-8 bytes: CJK Unified Ideographs are exactly the 3-byte sequences led
/// by 0xE4..=0xE9, and their replacements are 3-byte characters too.
fn fold_han(bytes: &mut [u8]) {
    let table = han_table();
    let mut i = 0;
    while i + 2 < bytes.len() {
        if (0xE4..=0xE9).contains(&bytes[i]) {
            let cp = (u32::from(bytes[i] & 0x0F) << 12)
                | (u32::from(bytes[i + 1] & 0x3F) << 6)
                | u32::from(bytes[i + 2] & 0x3F);
            if let Some(&c) = cp
                .checked_sub(HAN_FIRST)
                .and_then(|k| table.get(k as usize))
            {
                c.encode_utf8(&mut bytes[i..i + 3]);
            }
            i += 3;
        } else {
            i += 1;
        }
    }
}

/// `at`, or the start of the UTF-8 character it falls inside.
fn floor_char_boundary(s: &[u8], mut at: usize) -> usize {
    if at >= s.len() {
        return s.len();
    }
    // Continuation bytes are 0b10xx_xxxx.
    while at > 0 && s[at] & 0xC0 == 0x80 {
        at -= 1;
    }
    at
}

fn merge(marks: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(marks.len());
    for (from, to) in marks {
        match out.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => out.push((from, to)),
        }
    }
    out
}

fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::numbers;

    fn highlight(query: &str, body: &str) -> Option<String> {
        highlight_bytes(query, body.as_bytes())
    }

    fn highlight_bytes(query: &str, body: &[u8]) -> Option<String> {
        let a = Analyzer::new();
        let terms = a.terms(query, Mode::Query).into_iter().map(|t| t.text);
        Highlighter::new(terms).snippet(&a, body)
    }

    /// Matches of `automaton` in `haystack`, in order.
    fn starts(automaton: &Automaton, haystack: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        automaton.each_start(haystack, |start, pattern| {
            out.push((start, pattern));
            true
        });
        out
    }

    #[test]
    fn the_simd_search_finds_what_the_automaton_finds() {
        // Words that prefix and overlap one another, in Latin and Han.
        let words = [
            "ora",
            "ora-01555",
            "01555",
            "snap",
            "snapshot",
            "shot",
            "tiflash",
            "flash",
            "副本",
            "副本不可用",
            "不可",
            "可用",
            "節點",
            "节点",
            "磁碟",
            "a",
            "ab",
            "abc",
        ];
        let mut numbers = numbers(11);
        let mut packed_rounds = 0;
        for round in 0..300 {
            let patterns: Vec<String> = (0..1 + numbers(12))
                .map(|_| words[numbers(words.len())].to_string())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let haystack: String = (0..numbers(400))
                .map(|_| match numbers(4) {
                    0 => " ",
                    1 => "-",
                    _ => words[numbers(words.len())],
                })
                .collect();
            let nfa = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .kind(Some(AhoCorasickKind::NoncontiguousNFA))
                .build(&patterns)
                .unwrap();
            let chosen = Automaton::new(&patterns).unwrap();
            packed_rounds += usize::from(matches!(chosen, Automaton::Packed(_)));
            assert_eq!(
                starts(&chosen, haystack.as_bytes()),
                starts(&Automaton::Nfa(nfa), haystack.as_bytes()),
                "round {round}: {patterns:?} in {haystack:?}"
            );
        }
        // On x86-64 (CI, this machine) the SIMD search is what runs.
        if cfg!(target_arch = "x86_64") {
            assert!(packed_rounds > 250, "{packed_rounds}");
        }
    }

    #[test]
    fn marks_in_the_original_script() {
        let s = highlight("凭证", "網路銀行的 SSL 憑證將於下週到期需要更換").unwrap();
        assert!(s.contains("<mark>憑證</mark>"), "{s}");
    }

    #[test]
    fn picks_the_densest_passage_not_the_first() {
        let filler = "無關的內容。".repeat(80);
        let body = format!(
            "ORA-01555 出現一次。{filler}日終批次 失敗 ORA-01555 snapshot too old 日終批次 重跑"
        );
        let s = highlight("日終批次 ORA-01555", &body).unwrap();
        assert!(
            s.contains("<mark>日終批次</mark>") && s.contains("<mark>ORA-01555</mark>"),
            "{s}"
        );
        assert!(s.starts_with('…'), "{s}");
    }

    #[test]
    fn escapes_html_and_never_cuts_identifiers() {
        let body = format!(
            "{} <script>alert(1)</script> java.lang.OutOfMemoryError: Java heap space {}",
            "x ".repeat(100),
            "y ".repeat(200)
        );
        let s = highlight("OutOfMemoryError", &body).unwrap();
        assert!(!s.contains("<script"), "{s}");
        assert!(s.contains("&lt;script&gt;"), "{s}");
        assert!(s.contains("OutOfMemoryError"), "{s}");
        assert!(
            !s.contains("<mark>java.lang.OutOfMemoryError</mark>:")
                || s.contains("OutOfMemoryError</mark>"),
            "{s}"
        );
    }

    #[test]
    fn separators_fold_to_no_token_character() {
        let ascii = (0u8..128).map(char::from).filter(|&c| is_separator(c));
        for c in ascii
            .chain(CJK_SEPARATORS.iter().copied())
            .chain([' ', '\u{3000}'])
        {
            let folded = crate::analysis::fold::Folded::new(&c.to_string())
                .text
                .into_owned();
            assert!(
                folded.chars().all(|f| !f.is_alphanumeric()
                    && !crate::analysis::is_han(f)
                    && !crate::analysis::words::is_connector(f)),
                "{c:?} folds to {folded:?}"
            );
        }
        assert!(!is_separator('-') && !is_separator('：') && !is_separator('a'));
    }

    /// Marks of the whole window, the way they were found before stretches.
    fn marks_of_whole_window(h: &Highlighter, a: &Analyzer, window: &str) -> Vec<(usize, usize)> {
        a.terms(window, Mode::Index)
            .into_iter()
            .filter(|t| h.terms.contains(&t.text))
            .map(|t| (t.from, t.to))
            .collect()
    }

    #[test]
    fn marks_of_stretches_equal_marks_of_the_whole_window() {
        // Words whose stems are not in them (inotify: inotifi, hoping: hope,
        // policies: polici), Traditional and Simplified, identifiers,
        // full-width letters, separators of both scripts and connectors.
        let words = [
            "inotify",
            "Inotify",
            "watches",
            "hoping",
            "hope",
            "policies",
            "policy",
            "happy",
            "日終批次",
            "日终批次",
            "資料庫",
            "数据库",
            "憑證",
            "凭证",
            "ORA-01555",
            "ＯＲＡ－０１５５５",
            "java.lang.OutOfMemoryError",
            "KubeNodeNotReady",
            "restarting",
            "節點",
            "磁碟",
            "CAFÉ",
            "café",
            "\u{F900}",
            "\u{8C48}",
            "Ⅻ",
            "ｈｏｐｉｎｇ",
        ];
        let glue = [
            " ", "，", "。", "、", "-", ".", ": ", "（", "）", "\n", "", "/", "「", "」",
        ];
        let a = Analyzer::new();
        let mut next = numbers(7);
        let mut marked = 0;
        for _ in 0..400 {
            let query: Vec<&str> = (0..next(3) + 1).map(|_| words[next(words.len())]).collect();
            let terms = a
                .terms(&query.join(" "), Mode::Query)
                .into_iter()
                .map(|t| t.text);
            let h = Highlighter::new(terms);
            let window: String = (0..next(30) + 1)
                .map(|_| format!("{}{}", words[next(words.len())], glue[next(glue.len())]))
                .collect();
            let mut ours = h.marks(&a, &window);
            ours.sort_unstable();
            let mut whole = marks_of_whole_window(&h, &a, &window);
            whole.sort_unstable();
            assert_eq!(ours, whole, "query {query:?} window {window:?}");
            marked += usize::from(!whole.is_empty());
        }
        assert!(marked > 200, "most windows must have marks: {marked}");
    }

    #[test]
    fn no_match_means_none() {
        assert_eq!(highlight("deadlock", "nothing relevant here"), None);
    }

    #[test]
    fn random_mixed_text_never_breaks_characters() {
        // Deterministic pseudo-random mixed-script bodies and queries.
        let alphabet: Vec<char> =
            "日終批次資料庫ORA-01555 restart處理 服务器 ＯＲＡ\u{3000}.\n<>&_xyz憑證😀"
                .chars()
                .collect();
        let mut next = numbers(42);
        for _ in 0..300 {
            let body: String = (0..next(600) + 1)
                .map(|_| alphabet[next(alphabet.len())])
                .collect();
            let query: String = (0..next(12) + 1)
                .map(|_| alphabet[next(alphabet.len())])
                .collect();
            if let Some(s) = highlight(&query, &body) {
                let text = s.replace("<mark>", "").replace("</mark>", "");
                let text = html_escape::decode_html_entities(&text);
                let limit = SNIPPET_CHARS + 2 * EDGE_SLACK_CHARS + 2;
                assert!(text.chars().count() <= limit, "{s}");
            }
        }
    }

    /// What the matcher found before it searched spellings: the terms
    /// themselves in a folded (when a term has Han), lowercased copy.
    fn found_in_folded_copy(terms: &[&str], text: &str) -> Vec<(usize, usize)> {
        let mut copy = text.as_bytes().to_vec();
        if terms.iter().any(|t| t.chars().any(crate::analysis::is_han)) {
            fold_han(&mut copy);
        }
        copy.make_ascii_lowercase();
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(terms)
            .unwrap()
            .find_iter(&copy)
            .take(MAX_HITS)
            .map(|m| (m.start(), m.pattern().as_usize()))
            .collect()
    }

    #[test]
    fn spellings_find_exactly_what_folding_finds() {
        // Traditional and Simplified forms, characters several fold into
        // (发: 發 髮), ASCII in both cases.
        let alphabet: Vec<char> = "發髮发後后面麵面寫写衝沖冲突乾干幹韆千網网路ORAora-1 資料资料。"
            .chars()
            .collect();
        let term_sets: [&[&str]; 5] = [
            &["发", "后面"],
            &["写写冲突", "干"],
            &["ora-1", "网路", "资料"],
            &["面"],
            &["ora", "a-1"],
        ];
        assert_eq!(han_sources('发'), ['发', '發', '髮']);
        assert!(han_sources('發').is_empty());
        let mut next = numbers(7);
        for terms in term_sets {
            let matcher = Matcher::new(terms).unwrap();
            assert!(!matcher.fold, "{terms:?}");
            for _ in 0..200 {
                let text: String = (0..next(80))
                    .map(|_| alphabet[next(alphabet.len())])
                    .collect();
                assert_eq!(
                    matcher.find(text.as_bytes()),
                    found_in_folded_copy(terms, &text),
                    "{terms:?} in {text}"
                );
            }
        }
    }

    #[test]
    fn too_many_spellings_fold_the_body_instead() {
        let term = "发".repeat(8);
        let matcher = Matcher::new(&[&term]).unwrap();
        assert!(matcher.fold);
        let text = format!("x{}x", "發髮".repeat(4));
        assert_eq!(matcher.find(text.as_bytes()), [(1, 0)]);
    }

    #[test]
    fn a_window_in_its_region_is_the_window_in_the_whole_body() {
        // Mixed widths: 1-byte ASCII, 3-byte Han, 4-byte emoji, and word
        // characters so edges snap.
        let alphabet: Vec<char> = "ab-_.1 日終批次。😀😀\n".chars().collect();
        let mut next = numbers(11);
        for _ in 0..2000 {
            let body: String = (0..next(900))
                .map(|_| alphabet[next(alphabet.len())])
                .collect();
            let starts: Vec<usize> = body.char_indices().map(|(i, _)| i).collect();
            let Some(&at) = starts.get(next(starts.len().max(1))) else {
                continue;
            };
            let (whole_start, whole_end) = window_around(&body, at);
            let (from, region) = region_around(body.as_bytes(), at).unwrap();
            let (start, end) = window_around(region, at - from);
            assert_eq!(
                (from + start, from + end),
                (whole_start, whole_end),
                "at {at} in {body:?}"
            );
        }
    }

    #[test]
    fn damaged_bodies_give_what_is_valid_and_never_panic() {
        let mut body = "日終批次 ORA-01555 重跑".as_bytes().to_vec();
        body.insert(3, 0xFF);
        assert_eq!(lead(&body), "日");
        // A window's region that is not UTF-8 gives no snippet (the hit
        // then shows the lead): here the damaged byte is near the match.
        assert_eq!(highlight_bytes("ORA-01555", &body), None);
        assert_eq!(highlight_bytes("重跑", &[0xE9, b' ', 0x87, 0x8D]), None);
    }

    #[test]
    fn lead_reads_past_a_long_run_of_whitespace() {
        let body = format!("{}開頭 first words", " \n".repeat(LEAD_SCAN_BYTES));
        assert_eq!(lead(body.as_bytes()), "開頭 first words");
    }

    #[test]
    fn lead_is_the_start_with_whitespace_collapsed() {
        let body = format!(
            "  Title\n\n  first\tline &\u{3000}日本 {}",
            "word ".repeat(100)
        );
        let collapsed = body.split_whitespace().collect::<Vec<_>>().join(" ");
        let expected: String = collapsed.chars().take(SNIPPET_CHARS).collect();
        assert_eq!(lead(body.as_bytes()), html_escape::encode_text(&expected));
        assert!(lead(body.as_bytes()).starts_with("Title first line &amp; 日本 word"));
        assert_eq!(lead(b" \n "), "");
    }
}
