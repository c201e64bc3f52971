//! The one analysis pipeline used for indexing and for queries (DESIGN 5).
//!
//! text -> [`fold`] (NFKC, Traditional->Simplified, offsets kept) -> runs of
//! Han text go to jieba, other runs to [`words`] (identifiers whole and in
//! parts) -> lowercase -> English stemming for plain Latin words. Index time
//! uses jieba's search mode (a long word also yields its dictionary sub-words,
//! so 处理 finds 待处理); query time uses precise mode and marks the
//! sub-words, so the query builder can rank the exact word above its parts.

pub mod fold;
pub mod lexicon;
pub mod words;

use std::sync::{Arc, OnceLock};

use jieba_rs::Jieba;
use rust_stemmers::{Algorithm, Stemmer};

use fold::Folded;
use words::Span;

/// Changes whenever the pipeline's output could change; part of the index
/// fingerprint, so a new pipeline rebuilds old indexes.
/// (The user dictionary is hashed into the fingerprint separately.)
pub const PIPELINE_VERSION: &str =
    "baton-analysis-2:nfkc+fast2s-0.3+jieba-rs-0.11(no-hmm)+userdict+identifiers(short-part-join,bigrams,stemmed-whole)+porter-en";

/// The operations vocabulary shipped in `index-schema/userdict.txt`.
pub const DEFAULT_USER_DICT: &str = include_str!("../../index-schema/userdict.txt");

/// CamelCase pieces this short (`Ti`, `KV`, `DB`) are too common to be
/// search keys of their own: a two-piece identifier containing one (`TiKV`,
/// `MySQL`) is a name and stays whole, a longer one just skips it.
const SHORT_PIECE_CHARS: usize = 2;

/// jieba frequency given to user-dictionary words without one: high enough
/// that the word wins over its parts in precise mode.
const USER_WORD_FREQ: usize = 20_000;

/// Name under which the index tokenizer is registered with tantivy.
pub const TOKENIZER_NAME: &str = "baton";

/// Tokens longer than this are dropped (base64 blobs, hashes); their parts,
/// when they have any, are still indexed. tantivy's own hard limit is 65,530.
pub const MAX_TOKEN_BYTES: usize = 80;

/// Which side of the search the text is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Documents: jieba search mode.
    Index,
    /// User queries: jieba precise mode, sub-words marked.
    Query,
}

/// What a term is, so queries can weigh them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A plain word (Latin word, number, or a Han word in precise mode).
    Word,
    /// A whole identifier such as `ora-01555`.
    Whole,
    /// A part of an identifier (`01555`, `killed`).
    Part,
    /// A dictionary sub-word of a longer Han word.
    SubWord,
}

/// One analysed term with its byte range in the *original* text.
#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    /// The normalised term text.
    pub text: String,
    /// Start byte in the original text.
    pub from: usize,
    /// End byte in the original text.
    pub to: usize,
    /// Position for phrase matching.
    pub position: usize,
    /// Word, whole identifier, part or sub-word.
    pub role: Role,
}

/// The analysis pipeline. Cheap to clone; jieba's dictionary is loaded once
/// per process.
#[derive(Clone)]
pub struct Analyzer {
    jieba: Arc<Jieba>,
    stemmer: Arc<Stemmer>,
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer::new()
    }
}

/// jieba with the built-in and the shipped user dictionary, loaded once.
fn default_jieba() -> Arc<Jieba> {
    static JIEBA: OnceLock<Arc<Jieba>> = OnceLock::new();
    JIEBA
        .get_or_init(|| Arc::new(jieba_with(DEFAULT_USER_DICT)))
        .clone()
}

/// jieba's dictionary plus the words of `user_dict` (one per line:
/// `word [freq]`, `#` comments), folded like any text so a Traditional
/// entry also serves Simplified text.
fn jieba_with(user_dict: &str) -> Jieba {
    let mut jieba = Jieba::new();
    for line in user_dict.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let mut parts = line.split_whitespace();
        let Some(word) = parts.next() else { continue };
        let freq = parts.next().and_then(|f| f.parse().ok());
        let folded = Folded::new(word).text.to_lowercase();
        jieba.add_word(&folded, Some(freq.unwrap_or(USER_WORD_FREQ)), None);
    }
    jieba
}

impl Analyzer {
    /// The pipeline with jieba's dictionary and the shipped user dictionary.
    pub fn new() -> Analyzer {
        Analyzer {
            jieba: default_jieba(),
            stemmer: Arc::new(Stemmer::create(Algorithm::English)),
        }
    }

    /// The pipeline with `user_dict` instead of the shipped user dictionary.
    pub fn with_user_dict(user_dict: &str) -> Analyzer {
        if user_dict == DEFAULT_USER_DICT {
            return Analyzer::new();
        }
        Analyzer {
            jieba: Arc::new(jieba_with(user_dict)),
            stemmer: Arc::new(Stemmer::create(Algorithm::English)),
        }
    }

    /// The pipeline for `schema` (its user dictionary).
    pub fn for_schema(schema: &crate::schema::Schema) -> Analyzer {
        Analyzer::with_user_dict(&schema.user_dict)
    }

    /// Analyses `text`, appending terms to `out`.
    pub fn analyze(&self, text: &str, mode: Mode, out: &mut Vec<Term>) {
        let folded = Folded::new(text);
        let mut sink = Sink {
            folded: &folded,
            out,
            position: 0,
        };
        let t: &str = &folded.text;
        let mut chars = t.char_indices().peekable();
        while let Some(&(start, c)) = chars.peek() {
            if is_han(c) {
                let mut end = start;
                while let Some(&(i, c)) = chars.peek() {
                    if !is_han(c) {
                        break;
                    }
                    end = i + c.len_utf8();
                    chars.next();
                }
                self.han_run(
                    t,
                    Span {
                        from: start,
                        to: end,
                    },
                    mode,
                    &mut sink,
                );
            } else if c.is_alphanumeric() {
                let end = word_run_end(t, start);
                while chars.peek().is_some_and(|&(i, _)| i < end) {
                    chars.next();
                }
                self.word_run(
                    t,
                    Span {
                        from: start,
                        to: end,
                    },
                    mode,
                    &mut sink,
                );
            } else {
                chars.next();
            }
        }
    }

    /// Convenience: the terms of `text`.
    pub fn terms(&self, text: &str, mode: Mode) -> Vec<Term> {
        let mut out = Vec::new();
        self.analyze(text, mode, &mut out);
        out
    }

    fn han_run(&self, t: &str, run: Span, mode: Mode, sink: &mut Sink) {
        let s = &t[run.from..run.to];
        match mode {
            Mode::Index => {
                let tokens = self.jieba.cut_for_search(s, false);
                let main = main_token_flags(&tokens);
                // A sub-word comes just before its word, so "words so far"
                // gives both the word's position and its sub-words'.
                let base = sink.position;
                let mut words_so_far = 0;
                for (tok, is_main) in tokens.iter().zip(main) {
                    let span = Span {
                        from: run.from + tok.byte_start,
                        to: run.from + tok.byte_end,
                    };
                    let role = if is_main { Role::Word } else { Role::SubWord };
                    sink.push(tok.word.to_string(), span, base + words_so_far, role);
                    words_so_far += usize::from(is_main);
                }
                sink.position = base + words_so_far;
            }
            Mode::Query => {
                for tok in self.jieba.cut(s, false) {
                    let span = Span {
                        from: run.from + tok.byte_start,
                        to: run.from + tok.byte_end,
                    };
                    let position = sink.position;
                    sink.push(tok.word.to_string(), span, position, Role::Word);
                    if tok.end - tok.start > 2 {
                        for sub in self.jieba.cut_for_search(tok.word, false) {
                            if sub.word.len() < tok.word.len() {
                                let sub_span = Span {
                                    from: span.from + sub.byte_start,
                                    to: span.from + sub.byte_end,
                                };
                                sink.push(sub.word.to_string(), sub_span, position, Role::SubWord);
                            }
                        }
                    }
                    sink.position += 1;
                }
            }
        }
    }

    fn word_run(&self, t: &str, run: Span, mode: Mode, sink: &mut Sink) {
        let parts = words::connector_parts(t, run);
        let pieces: Vec<Vec<Span>> = parts.iter().map(|&p| split_camel(t, p)).collect();
        let piece_count: usize = pieces.iter().map(Vec::len).sum();
        let start = sink.position;
        if piece_count == 1 {
            let text = self.normalize_word(&t[run.from..run.to]);
            sink.push(text, run, start, Role::Word);
            sink.position += 1;
            return;
        }
        sink.push(
            self.normalize_word(&t[run.from..run.to]),
            run,
            start,
            Role::Whole,
        );
        let mut position = start;
        for (part, camel) in parts.iter().zip(&pieces) {
            if camel.len() > 1 && parts.len() > 1 {
                let text = self.normalize_word(&t[part.from..part.to]);
                sink.push(text, *part, position, Role::Whole);
            }
            if mode == Mode::Index && camel.len() > 2 {
                self.push_bigrams(t, camel, position, sink);
            }
            for piece in camel {
                if t[piece.from..piece.to].chars().count() > SHORT_PIECE_CHARS || camel.len() == 1 {
                    let text = self.normalize_word(&t[piece.from..piece.to]);
                    sink.push(text, *piece, position, Role::Part);
                }
                position += 1;
            }
        }
        sink.position = position;
    }

    /// Adjacent CamelCase pieces joined (`KubeNodeNotReady` -> `notready`),
    /// so a query naming the tail of an alert finds the whole alert.
    fn push_bigrams(&self, t: &str, camel: &[Span], position: usize, sink: &mut Sink) {
        for (k, pair) in camel.windows(2).enumerate() {
            let span = Span {
                from: pair[0].from,
                to: pair[1].to,
            };
            let text = self.normalize_word(&t[span.from..span.to]);
            sink.push(text, span, position + k, Role::Part);
        }
    }

    /// Lowercase, then stem plain Latin words ("restarting" -> "restart").
    fn normalize_word(&self, word: &str) -> String {
        let lower = word.to_lowercase();
        if lower.len() > 2 && lower.bytes().all(|b| b.is_ascii_lowercase()) {
            stem_cached(&self.stemmer, lower)
        } else {
            lower
        }
    }
}

/// Distinct words remembered per thread by [`stem_cached`]; a corpus's
/// vocabulary fits easily, and past this the cache starts over.
const STEM_CACHE_WORDS: usize = 100_000;

thread_local! {
    static STEMS: std::cell::RefCell<std::collections::HashMap<String, String>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// Snowball stemming was a tenth of indexing time; the same few thousand
/// words recur in every document, so each thread remembers their stems.
fn stem_cached(stemmer: &Stemmer, lower: String) -> String {
    STEMS.with(|cache| {
        if let Some(stem) = cache.borrow().get(&lower) {
            return stem.clone();
        }
        let stem = stemmer.stem(&lower).into_owned();
        let mut cache = cache.borrow_mut();
        if cache.len() >= STEM_CACHE_WORDS {
            cache.clear();
        }
        cache.insert(lower, stem.clone());
        stem
    })
}

/// CamelCase pieces of `part`, except that a two-piece name with a short
/// piece (`TiKV`, `MySQL`, `IOError`) stays one piece.
fn split_camel(t: &str, part: Span) -> Vec<Span> {
    let pieces = words::camel_parts(t, part);
    let has_short = pieces
        .iter()
        .any(|p| t[p.from..p.to].chars().count() <= SHORT_PIECE_CHARS);
    if pieces.len() == 2 && has_short {
        vec![part]
    } else {
        pieces
    }
}

/// Collects terms, mapping folded offsets back to the original text.
struct Sink<'a, 'b> {
    folded: &'a Folded<'a>,
    out: &'b mut Vec<Term>,
    position: usize,
}

impl Sink<'_, '_> {
    fn push(&mut self, text: String, span: Span, position: usize, role: Role) {
        if text.is_empty() || text.len() > MAX_TOKEN_BYTES {
            return;
        }
        let from = self.folded.original(span.from);
        let to = self.folded.original(span.to);
        self.out.push(Term {
            text,
            from,
            to,
            position,
            role,
        });
    }
}

/// Which tokens of jieba's search mode are the words of the precise cut (the
/// rest are their sub-words). Words tile the text and each comes right after
/// its sub-words, which lie inside it; so walking backwards, a token inside
/// the current word is a sub-word, anything else starts a new word.
fn main_token_flags(tokens: &[jieba_rs::Token]) -> Vec<bool> {
    let mut flags = vec![false; tokens.len()];
    let mut current: Option<(usize, usize)> = None;
    for (i, tok) in tokens.iter().enumerate().rev() {
        let inside = current.is_some_and(|(from, to)| tok.byte_start >= from && tok.byte_end <= to);
        if !inside {
            flags[i] = true;
            current = Some((tok.byte_start, tok.byte_end));
        }
    }
    flags
}

/// End of the word run starting at `start`: word characters joined by single
/// connectors, never including Han characters.
fn word_run_end(t: &str, start: usize) -> usize {
    let mut end = start;
    let mut chars = t[start..].char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c.is_alphanumeric() && !is_han(c) {
            end = start + i + c.len_utf8();
        } else if words::is_connector(c) {
            match chars.peek() {
                Some(&(_, n)) if n.is_alphanumeric() && !is_han(n) => {}
                _ => break,
            }
        } else {
            break;
        }
    }
    end
}

/// Han ideographs (CJK Unified Ideographs, extension A, compatibility).
pub fn is_han(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FA1F}'
        | '\u{3007}')
}

pub mod tokenizer;

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str, mode: Mode) -> Vec<String> {
        Analyzer::new()
            .terms(text, mode)
            .into_iter()
            .map(|t| t.text)
            .collect()
    }

    #[test]
    fn identifiers_whole_and_parts() {
        let terms = Analyzer::new().terms("ORA-01555 發生", Mode::Index);
        assert_eq!(terms[0].text, "ora-01555");
        assert_eq!(terms[0].role, Role::Whole);
        assert_eq!(terms[1].text, "ora");
        assert_eq!(terms[2].text, "01555");
        assert_eq!((terms[1].position, terms[2].position), (0, 1));
        assert_eq!(
            texts("java.lang.OutOfMemoryError", Mode::Index)[..4],
            [
                "java.lang.outofmemoryerror",
                "java",
                "lang",
                "outofmemoryerror"
            ]
        );
        assert!(texts("OOMKilled", Mode::Index).contains(&"kill".to_string()));
    }

    #[test]
    fn stems_latin_words_only() {
        assert_eq!(
            texts("Restarting services", Mode::Query),
            ["restart", "servic"]
        );
        assert_eq!(texts("HTTP 503", Mode::Query), ["http", "503"]);
    }

    #[test]
    fn han_search_mode_adds_sub_words_at_the_word_position() {
        let terms = Analyzer::new().terms("中华人民共和国", Mode::Index);
        let words: Vec<_> = terms
            .iter()
            .filter(|t| t.role == Role::Word)
            .map(|t| t.text.as_str())
            .collect();
        assert_eq!(words, ["中华人民共和国"]);
        assert!(terms
            .iter()
            .any(|t| t.text == "共和国" && t.role == Role::SubWord && t.position == 0));
    }

    #[test]
    fn query_mode_marks_sub_words() {
        let terms = Analyzer::new().terms("中华人民共和国", Mode::Query);
        assert_eq!(terms[0].role, Role::Word);
        assert!(terms[1..].iter().all(|t| t.role == Role::SubWord));
    }

    #[test]
    fn offsets_are_char_boundaries_for_random_mixed_text() {
        // Deterministic pseudo-random strings over scripts and symbols that
        // change length under folding (full-width, ligatures, emoji, CJK).
        let alphabet: Vec<char> = "日終批次資料庫處理服务器ORA-01555 ＯＲＡ－０１５５５ﬁ①㎏restarting_\u{3000}.:/@\n😀é İ ǅ"
            .chars()
            .collect();
        let mut next = crate::test_support::numbers(7);
        let analyzer = Analyzer::new();
        for _ in 0..500 {
            let text: String = (0..next(80) + 1)
                .map(|_| alphabet[next(alphabet.len())])
                .collect();
            for mode in [Mode::Index, Mode::Query] {
                for t in analyzer.terms(&text, mode) {
                    assert!(t.from <= t.to && t.to <= text.len(), "{t:?} in {text:?}");
                    assert!(
                        text.is_char_boundary(t.from) && text.is_char_boundary(t.to),
                        "{t:?} in {text:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn offsets_point_into_the_original_traditional_text() {
        let text = "處理 資料庫伺服器";
        for t in Analyzer::new().terms(text, Mode::Index) {
            assert!(
                text.is_char_boundary(t.from) && text.is_char_boundary(t.to),
                "{t:?}"
            );
        }
        let t = &Analyzer::new().terms(text, Mode::Query)[0];
        assert_eq!(&text[t.from..t.to], "處理");
        assert_eq!(t.text, "处理");
    }
}
