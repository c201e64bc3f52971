//! Parsed user text -> tantivy query. Never fails: any text is a query,
//! possibly one that matches nothing (DESIGN principle 6).
//!
//! Every query word is optional; documents matching more and rarer words
//! rank higher. A word scores BM25 on the `all` field (every text of the
//! document, so its rarity is the corpus's, not one field's) plus a bonus
//! when it is in the title, headings, path or a boosted front-matter field,
//! proportional to the same rarity. Each word is the best of: itself, its
//! synonyms (a little less), a typo correction or a completion of the word
//! being typed (less again). Identifier parts and Han sub-words count less
//! than whole words; stop words count only when nothing else is left;
//! neighbouring words found next to each other earn a proximity bonus.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::sync::Arc;

use tantivy::query::{ConstScoreQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, Term};

use super::bonus::Bonus;
use super::columns::SegmentColumns;
use super::dictionaries::{Dictionaries, Postings};
use super::evaluate::{Expr, TextQuery};
use super::exclusion::PlainSeek;
use super::parse::ParsedQuery;
use super::phrase_leaf::PhraseLeaf;
use super::term_leaf::TermLeaf;
use super::typo::TypoQuery;
use crate::analysis::lexicon::{main_terms, Lexicon};
use crate::analysis::{Mode, Role, Term as AnalyzedTerm};
use crate::index::BatonIndex;

/// Longest query text analysed; longer input is truncated, not refused.
/// 2,000 characters is a pasted stack trace; more is noise.
pub const MAX_QUERY_CHARS: usize = 2000;

/// Most distinct terms used from one query: a pasted log line keeps its
/// rarest (most informative) terms, which also bounds the work it causes.
const MAX_QUERY_TERMS: usize = 32;

/// Synonyms score this fraction of the word the user typed: the document
/// using the user's own word is the safer bet.
const SYNONYM_WEIGHT: f32 = 0.8;

/// A typo correction scores this fraction of a rare exact word, so exact
/// matches always rank above fuzzy ones.
const FUZZY_WEIGHT: f32 = 0.35;

/// A completion of the word being typed scores this fraction.
const PREFIX_WEIGHT: f32 = 0.4;

/// A word the corpus has in more documents than this is taken as typed: it
/// is not a typo and not an unfinished word.
const KNOWN_WORD_DF: u64 = 2;

/// Latin words this long get typo tolerance 1 (shorter words have too many
/// one-letter neighbours); from [`FUZZY_TWO_EDITS_CHARS`] on, 2.
const FUZZY_MIN_CHARS: usize = 5;
/// See [`FUZZY_MIN_CHARS`].
const FUZZY_TWO_EDITS_CHARS: usize = 9;
/// Fuzzy expansion is costly; a query gets at most this many.
const MAX_FUZZY_WORDS: usize = 4;

/// The last word is completed from this many characters on.
const PREFIX_MIN_CHARS: usize = 3;

/// Field bonus per unit of schema boost above the body's, times the word's
/// IDF: a title match (boost 4) adds about as much as a few body matches,
/// so a frequent title word cannot outweigh a document about the query.
const FIELD_BONUS_PER_BOOST: f32 = 0.25;

/// Neighbouring query words found within this many positions of each other
/// earn [`PROXIMITY_WEIGHT`] of a phrase score.
const PROXIMITY_SLOP: u32 = 1;
/// See [`PROXIMITY_SLOP`].
const PROXIMITY_WEIGHT: f32 = 0.3;

/// Weight of a term by its role.
fn role_weight(role: Role) -> f32 {
    match role {
        Role::Word => 1.0,
        // An identifier (error code, metric, exception) is the most specific
        // thing a user can type; it outweighs an ordinary word.
        Role::Whole => 1.5,
        Role::Part => 0.5,
        Role::SubWord => 0.3,
    }
}

/// The query for a parsed user text, and the terms to highlight.
pub struct Plan {
    /// The text query; `None` when the text has no searchable term.
    pub query: Option<TextQuery>,
    /// True when the user typed no text at all (filters only, or nothing).
    pub no_text: bool,
    /// Terms worth marking in snippets, with their weights.
    pub highlight: HashMap<String, f32>,
}

/// Truncates to [`MAX_QUERY_CHARS`] characters.
pub fn truncate_query(q: &str) -> &str {
    match q.char_indices().nth(MAX_QUERY_CHARS) {
        Some((i, _)) => &q[..i],
        None => q,
    }
}

/// Builds the plan for `parsed` against the documents `searcher` sees.
pub fn plan(index: &BatonIndex, searcher: &Searcher, parsed: &ParsedQuery) -> Plan {
    let b = Builder::new(index, searcher);
    let mut highlight = HashMap::new();
    let mut text_query = TextQuery::default();
    for (occur, text) in parsed
        .phrases
        .iter()
        .map(|p| (Occur::Must, p))
        .chain(parsed.excluded.iter().map(|p| (Occur::MustNot, p)))
    {
        let Some(q) = b.phrase_of_text(text) else {
            if occur == Occur::Must {
                // A required phrase with no searchable term cannot match.
                return no_match();
            }
            continue;
        };
        if occur == Occur::Must {
            b.note_highlights(text, &mut highlight);
            text_query.required.push(q);
        } else {
            text_query.excluded.push(Box::new(PlainSeek(q)));
        }
    }
    (text_query.optional, text_query.bonus) = b.words(parsed, &mut highlight);
    let positive = !text_query.required.is_empty() || !text_query.optional.is_empty();
    let no_text = parsed.text.trim().is_empty() && parsed.phrases.is_empty();
    if !positive && !no_text {
        return no_match();
    }
    // With no positive clause (and no text), every document matches: a
    // filter-only search, possibly with exclusions.
    Plan {
        query: Some(text_query),
        no_text,
        highlight,
    }
}

fn no_match() -> Plan {
    Plan {
        query: None,
        no_text: false,
        highlight: HashMap::new(),
    }
}

/// One distinct query term with what the builder knows about it.
struct Candidate<'a> {
    term: &'a AnalyzedTerm,
    /// Where it is in each segment (and so how many documents hold it).
    postings: Postings,
    /// Index of the main term it belongs to.
    main: usize,
}

impl Candidate<'_> {
    /// Documents holding it.
    fn df(&self) -> u64 {
        self.postings.doc_freq()
    }
}

/// Builds clauses with corpus statistics at hand.
struct Builder<'a> {
    index: &'a BatonIndex,
    searcher: &'a Searcher,
    segments: OnceCell<Vec<Arc<SegmentColumns>>>,
    dictionaries: Dictionaries<'a>,
    lexicon: &'a Lexicon,
    all: Field,
    bonus_fields: Vec<(Field, f32)>,
    num_docs: u64,
}

impl<'a> Builder<'a> {
    fn new(index: &'a BatonIndex, searcher: &'a Searcher) -> Builder<'a> {
        Builder {
            index,
            searcher,
            segments: OnceCell::new(),
            dictionaries: Dictionaries::new(searcher),
            lexicon: index.schema.lexicon(&index.analyzer),
            all: index.fields.all,
            bonus_fields: bonus_fields(index),
            num_docs: searcher.num_docs().max(1),
        }
    }

    /// Where a term of all text is in each segment.
    fn postings(&self, text: &str) -> Postings {
        self.dictionaries
            .postings(&Term::from_field_text(self.all, text))
    }

    fn df(&self, text: &str) -> u64 {
        self.postings(text).doc_freq()
    }

    /// BM25 inverse document frequency of a term in `df` documents.
    fn idf(&self, df: u64) -> f32 {
        let n = self.num_docs as f32;
        let df = df as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// One clause per query word (with its alternatives), per identifier
    /// part and Han sub-word; and a bonus per neighbouring pair.
    fn words(
        &self,
        parsed: &ParsedQuery,
        highlight: &mut HashMap<String, f32>,
    ) -> (Vec<Expr>, Vec<Bonus>) {
        let terms = self.index.analyzer.terms(&parsed.text, Mode::Query);
        let mains = main_terms(&terms);
        let candidates = self.candidates(&terms, &mains);
        let seq: Vec<&str> = mains.iter().map(|t| t.text.as_str()).collect();
        let synonyms = self.lexicon.matches(&seq);
        let mut out = Vec::new();
        let mut fuzzy_left = MAX_FUZZY_WORDS;
        let last_main = mains.len().saturating_sub(1);
        for c in &candidates {
            let weight = role_weight(c.term.role);
            let is_main = matches!(c.term.role, Role::Word | Role::Whole)
                && std::ptr::eq(c.term, mains[c.main]);
            let mut options: Vec<Expr> = Vec::new();
            if c.df() > 0 {
                options.push(self.term_clause(&c.term.text, c.postings.clone()));
                highlight.insert(c.term.text.clone(), weight * self.idf(c.df()));
            }
            let alts = if is_main {
                synonyms
                    .iter()
                    .find(|m| m.len == 1 && m.start == c.main)
                    .map(|m| m.alternatives.clone())
                    .unwrap_or_default()
            } else {
                self.lexicon.alternatives_of(&c.term.text)
            };
            for alt in &alts {
                if let Some(q) = self.alternative(alt, highlight, weight) {
                    options.push(q.boosted(SYNONYM_WEIGHT));
                }
            }
            if is_main && c.df() <= KNOWN_WORD_DF {
                let open = parsed.last_word_open && c.main == last_main;
                let chars = parsed
                    .text
                    .get(c.term.from..c.term.to)
                    .map_or(0, |w| w.chars().count());
                if let Some(q) = self.approximate(c.term, chars, open, &mut fuzzy_left) {
                    options.push(q);
                }
            }
            if !options.is_empty() {
                out.push(Expr::Max(options).boosted(weight));
            }
        }
        for m in synonyms.iter().filter(|m| m.len > 1) {
            let alts: Vec<Expr> = m
                .alternatives
                .iter()
                .filter_map(|alt| self.alternative(alt, highlight, 1.0))
                .collect();
            if !alts.is_empty() {
                out.push(Expr::Max(alts).boosted(SYNONYM_WEIGHT));
            }
        }
        (out, self.proximity(&mains, &candidates))
    }

    /// Distinct terms worth a clause: stop words dropped unless nothing else
    /// is left, terms of long queries reduced to the rarest.
    fn candidates<'t>(
        &self,
        terms: &'t [AnalyzedTerm],
        mains: &[&'t AnalyzedTerm],
    ) -> Vec<Candidate<'t>> {
        let stopped: Vec<bool> = mains
            .iter()
            .map(|t| self.lexicon.is_stop(&t.text))
            .collect();
        let drop_stops = stopped.iter().any(|s| !s);
        let mut seen = std::collections::HashSet::new();
        let mut out: Vec<Candidate> = Vec::new();
        for term in terms {
            let Some(main) = owner(mains, term) else {
                continue;
            };
            if (drop_stops && stopped[main]) || !seen.insert(term.text.as_str()) {
                continue;
            }
            let postings = self.postings(&term.text);
            out.push(Candidate {
                term,
                postings,
                main,
            });
        }
        if out.len() > MAX_QUERY_TERMS {
            // Rarest first; a term no document has is least informative.
            out.sort_by_key(|c| if c.df() == 0 { u64::MAX } else { c.df() });
            out.truncate(MAX_QUERY_TERMS);
            out.sort_by_key(|c| (c.main, c.term.from));
        }
        out
    }

    /// BM25 over all text plus rarity-scaled bonuses for boosted fields.
    /// `postings`: the term's in all text.
    fn term_clause(&self, text: &str, postings: Postings) -> Expr {
        let idf = self.idf(postings.doc_freq());
        let term = Term::from_field_text(self.all, text);
        let mut parts = vec![
            match TermLeaf::bm25(&self.dictionaries, term.clone(), postings) {
                Ok(leaf) => Expr::Term(leaf),
                // The index failed: tantivy's query reports it when it runs.
                Err(_) => Expr::leaf(TermQuery::new(term, IndexRecordOption::WithFreqs)),
            },
        ];
        for &(field, bonus) in &self.bonus_fields {
            let term = Term::from_field_text(field, text);
            let postings = self.dictionaries.postings(&term);
            // Most words are in no title, tag or path: no clause at all then.
            if postings.doc_freq() == 0 {
                continue;
            }
            parts.push(Expr::Term(TermLeaf::constant(term, postings, bonus * idf)));
        }
        Expr::Sum(parts)
    }

    /// A synonym: one term, or a phrase of several.
    fn alternative(
        &self,
        alt: &[String],
        highlight: &mut HashMap<String, f32>,
        weight: f32,
    ) -> Option<Expr> {
        let postings: Vec<Postings> = alt.iter().map(|t| self.postings(t)).collect();
        if postings.iter().any(|p| p.doc_freq() == 0) {
            return None;
        }
        for (t, p) in alt.iter().zip(&postings) {
            highlight.insert(t.clone(), weight * SYNONYM_WEIGHT * self.idf(p.doc_freq()));
        }
        if let ([single], [postings]) = (alt, &postings[..]) {
            return Some(self.term_clause(single, postings.clone()));
        }
        let terms: Vec<Term> = alt
            .iter()
            .map(|t| Term::from_field_text(self.all, t))
            .collect();
        Some(
            match PhraseLeaf::new(terms.clone(), self.searcher, self.segments()) {
                Ok(leaf) => Expr::Phrase(leaf),
                // The index failed: tantivy's query reports it when it runs.
                Err(_) => Expr::leaf(PhraseQuery::new(terms)),
            },
        )
    }

    /// The arrays (and phrase memos) of the searcher's segments, fetched
    /// for the first phrase that needs them.
    fn segments(&self) -> Vec<Arc<SegmentColumns>> {
        self.segments
            .get_or_init(|| super::segment_columns(self.index, self.searcher))
            .clone()
    }

    /// A typo correction or a completion for a Latin word the corpus does
    /// not know (or barely knows).
    fn approximate(
        &self,
        term: &AnalyzedTerm,
        chars: usize,
        open: bool,
        fuzzy_left: &mut usize,
    ) -> Option<Expr> {
        if !term.text.chars().all(|c| c.is_ascii_alphabetic()) {
            return None;
        }
        let score = self.idf(1);
        if open && chars >= PREFIX_MIN_CHARS {
            let prefix =
                FuzzyTermQuery::new_prefix(Term::from_field_text(self.all, &term.text), 0, false);
            let fuzzy =
                (chars >= FUZZY_MIN_CHARS).then(|| self.fuzzy(term, chars, score, fuzzy_left));
            let completion = Expr::leaf(ConstScoreQuery::new(
                Box::new(prefix),
                PREFIX_WEIGHT * score,
            ));
            return Some(match fuzzy.flatten() {
                Some(f) => Expr::Max(vec![completion, f]),
                None => completion,
            });
        }
        if chars >= FUZZY_MIN_CHARS {
            return self.fuzzy(term, chars, score, fuzzy_left);
        }
        None
    }

    fn fuzzy(
        &self,
        term: &AnalyzedTerm,
        chars: usize,
        score: f32,
        left: &mut usize,
    ) -> Option<Expr> {
        if *left == 0 {
            return None;
        }
        *left -= 1;
        let distance = if chars >= FUZZY_TWO_EDITS_CHARS { 2 } else { 1 };
        let q = TypoQuery::new(Term::from_field_text(self.all, &term.text), distance);
        Some(Expr::leaf(ConstScoreQuery::new(
            Box::new(q),
            FUZZY_WEIGHT * score,
        )))
    }

    /// A bonus for neighbouring query words that are neighbours in the text.
    /// Both words of a pair are query words on all text, so the bonus only
    /// ever adds to documents the words already match.
    fn proximity(&self, mains: &[&AnalyzedTerm], candidates: &[Candidate]) -> Vec<Bonus> {
        let usable = |i: usize| {
            candidates
                .iter()
                .any(|c| c.main == i && std::ptr::eq(c.term, mains[i]) && c.df() > 0)
        };
        (1..mains.len())
            .filter(|&i| usable(i - 1) && usable(i))
            .map(|i| {
                let terms_of_pair = vec![
                    Term::from_field_text(self.all, &mains[i - 1].text),
                    Term::from_field_text(self.all, &mains[i].text),
                ];
                let positioned = terms_of_pair.iter().cloned().enumerate().collect();
                let phrase = PhraseQuery::new_with_offset_and_slop(positioned, PROXIMITY_SLOP);
                Bonus {
                    query: Box::new(phrase),
                    boost: PROXIMITY_WEIGHT,
                    terms: terms_of_pair,
                }
            })
            .collect()
    }

    /// A quoted phrase (or excluded text) as a query on all text.
    fn phrase_of_text(&self, text: &str) -> Option<Box<dyn Query>> {
        let terms = self.index.analyzer.terms(text, Mode::Query);
        let first = terms.first()?.position;
        let positioned: Vec<(usize, Term)> = terms
            .iter()
            .filter(|t| matches!(t.role, Role::Word | Role::Part))
            .map(|t| (t.position - first, Term::from_field_text(self.all, &t.text)))
            .collect();
        match positioned.len() {
            0 => None,
            1 => Some(Box::new(TermQuery::new(
                positioned[0].1.clone(),
                IndexRecordOption::WithFreqs,
            ))),
            _ => Some(Box::new(PhraseQuery::new_with_offset(positioned))),
        }
    }

    fn note_highlights(&self, text: &str, highlight: &mut HashMap<String, f32>) {
        for t in self.index.analyzer.terms(text, Mode::Query) {
            let idf = self.idf(self.df(&t.text));
            highlight.insert(t.text, role_weight(t.role) * idf);
        }
    }
}

/// Index of the main term whose span holds `term`.
fn owner(mains: &[&AnalyzedTerm], term: &AnalyzedTerm) -> Option<usize> {
    mains
        .iter()
        .rposition(|m| term.from >= m.from && term.to <= m.to)
}

/// Fields other than `all` whose matches earn a bonus, with its size.
fn bonus_fields(index: &BatonIndex) -> Vec<(Field, f32)> {
    let s = &index.schema;
    let f = &index.fields;
    let extra = |boost: f32| (boost - s.boosts.body).max(0.0) * FIELD_BONUS_PER_BOOST;
    let mut out = vec![
        (f.title, extra(s.boosts.title)),
        (f.headings, extra(s.boosts.headings)),
        (f.path, extra(s.boosts.path)),
    ];
    for (name, &field) in f.keyword_text.iter().chain(&f.text) {
        if let Some(def) = s.fields.get(name) {
            out.push((field, extra(def.boost)));
        }
    }
    out.retain(|&(_, bonus)| bonus > 0.0);
    out
}
