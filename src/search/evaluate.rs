//! Term-at-a-time evaluation of a text query.
//!
//! A query word expands into many tantivy clauses (the word in all text,
//! one bonus per boosted field, synonyms, corrections, proximity pairs),
//! nested three deep. tantivy evaluates such a tree document-at-a-time
//! through nested union scorers, and because the total and the facets need
//! every match, every match was scored that way: 60% of search time.
//!
//! Here each leaf scores as tantivy does (the same BM25, phrase and constant
//! scores, with boosts pushed down to the leaves exactly as tantivy does;
//! single terms from their posting blocks, see [`super::term_leaf`], the
//! rest through tantivy's scorers), each leaf's postings read once, in one
//! tight pass, straight into
//! one score slot per document of the segment; the tree's sums and maxima
//! fold there (into a temporary only where a sum competes in a maximum).
//! Merging per-leaf lists instead cost a tenth more. The segment's matches
//! then go, in document order, to ordinary tantivy collectors.
//! [`Expr::to_query`] gives the equivalent tantivy query, so tests can check
//! that both compute the same thing.

use tantivy::collector::{Collector, SegmentCollector};

use super::bonus::{self, Bonus};
use super::phrase_leaf::PhraseLeaf;
use super::term_leaf::TermLeaf;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, DisjunctionMaxQuery, EnableScoring, Occur, Query, Weight,
};
use tantivy::{DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED};

/// A scoring expression over tantivy queries.
#[derive(Debug)]
pub enum Expr {
    /// A query tantivy scores: a term, a phrase, an automaton, a constant.
    Leaf(Box<dyn Query>),
    /// A single term (most leaves are), read without tantivy's scorers.
    Term(TermLeaf),
    /// A phrase of the lexicon, scored from where it occurs.
    Phrase(PhraseLeaf),
    /// Sum of the children that match (a `BooleanQuery` of `Should`s).
    Sum(Vec<Expr>),
    /// Best matching child (a `DisjunctionMaxQuery` without tie breaker).
    Max(Vec<Expr>),
    /// The child's score times a factor.
    Boost(Box<Expr>, Score),
}

impl Expr {
    /// A leaf for `query`.
    pub fn leaf(query: impl Query) -> Expr {
        Expr::Leaf(Box::new(query))
    }

    /// This expression with its score multiplied by `factor`.
    pub fn boosted(self, factor: Score) -> Expr {
        Expr::Boost(Box::new(self), factor)
    }

    /// The equivalent tantivy query.
    pub fn to_query(&self) -> Box<dyn Query> {
        match self {
            Expr::Leaf(q) => q.box_clone(),
            Expr::Term(t) => t.to_query(),
            Expr::Phrase(p) => p.to_query(),
            Expr::Sum(children) => Box::new(BooleanQuery::new(
                children
                    .iter()
                    .map(|c| (Occur::Should, c.to_query()))
                    .collect(),
            )),
            Expr::Max(children) => Box::new(DisjunctionMaxQuery::new(
                children.iter().map(Expr::to_query).collect(),
            )),
            Expr::Boost(child, factor) => Box::new(BoostQuery::new(child.to_query(), *factor)),
        }
    }

    fn weight(&self, searcher: &Searcher) -> tantivy::Result<Node> {
        Ok(match self {
            Expr::Leaf(q) => Node::Leaf(q.weight(EnableScoring::enabled_from_searcher(searcher))?),
            Expr::Term(t) => Node::Term(t.clone()),
            Expr::Phrase(p) => Node::Phrase(p.clone()),
            Expr::Sum(children) => Node::Sum(weights(children, searcher)?),
            Expr::Max(children) => Node::Max(weights(children, searcher)?),
            Expr::Boost(child, factor) => Node::Boost(Box::new(child.weight(searcher)?), *factor),
        })
    }
}

fn weights(children: &[Expr], searcher: &Searcher) -> tantivy::Result<Vec<Node>> {
    children.iter().map(|c| c.weight(searcher)).collect()
}

/// A text query: documents matching every required query, none of the
/// excluded ones, and (when nothing is required) at least one optional
/// expression. Scores add up. With nothing required or optional, every
/// document matches (a filter-only search).
#[derive(Debug, Default)]
pub struct TextQuery {
    /// Must match; scored (quoted phrases).
    pub required: Vec<Box<dyn Query>>,
    /// Must not match.
    pub excluded: Vec<Box<dyn Query>>,
    /// May match; scored (the query words).
    pub optional: Vec<Expr>,
    /// Add to the score of documents matched otherwise; never match alone.
    pub bonus: Vec<Bonus>,
}

/// What a search is restricted to, besides its text.
#[derive(Default)]
pub struct Filters<'a> {
    /// Queries every hit must match (kinds, systems, tags, dates).
    pub queries: Vec<Box<dyn Query>>,
    /// Per segment ordinal, which documents the caller may see (`None`:
    /// every document). A flag per document, read from the segment's
    /// cached access column, is far cheaper than an access query.
    pub visible: Option<Vec<&'a [bool]>>,
}

/// The best `k` hits by score times a per-document factor are wanted: the
/// scores are multiplied by the factor, and bonuses need only be checked
/// where they could change those `k`.
pub struct TopK<'a> {
    /// Hits wanted (offset plus page size).
    pub k: usize,
    /// Per segment ordinal, the factor of each document (the ranking's
    /// kind boost and recency; not negative).
    pub factors: Vec<&'a [Score]>,
}

impl TextQuery {
    /// The equivalent tantivy query.
    pub fn to_query(&self) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        clauses.extend(self.required.iter().map(|q| (Occur::Must, q.box_clone())));
        clauses.extend(
            self.excluded
                .iter()
                .map(|q| (Occur::MustNot, q.box_clone())),
        );
        clauses.extend(self.optional.iter().map(|e| (Occur::Should, e.to_query())));
        clauses.extend(self.bonus.iter().map(|b| {
            let boosted = BoostQuery::new(b.query.box_clone(), b.boost);
            (Occur::Should, Box::new(boosted) as Box<dyn Query>)
        }));
        if self.required.is_empty() && self.optional.is_empty() {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        Box::new(BooleanQuery::new(clauses))
    }
}

/// The weights of an expression, for one search.
enum Node {
    Leaf(Box<dyn Weight>),
    Term(TermLeaf),
    Phrase(PhraseLeaf),
    Sum(Vec<Node>),
    Max(Vec<Node>),
    Boost(Box<Node>, Score),
}

/// Runs `text`, restricted to documents matching every filter (filters
/// select, they do not score), and feeds the matches to `collector`. With
/// `top`, scores are multiplied by its factors and only those of the best
/// `top.k` are exact (bonuses are skipped where they cannot matter);
/// without it, every score is exact.
pub fn search<C: Collector>(
    searcher: &Searcher,
    text: &TextQuery,
    filters: &Filters,
    top: Option<&TopK>,
    collector: &C,
) -> tantivy::Result<C::Fruit> {
    let prepared = Prepared::new(searcher, text, &filters.queries)?;
    let mut fruits = Vec::with_capacity(searcher.segment_readers().len());
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let mut child = collector.for_segment(ord as u32, reader)?;
        let top = top.map(|t| (t.k, t.factors.get(ord).copied().unwrap_or_default()));
        let visible = filters
            .visible
            .as_ref()
            .map(|v| v.get(ord).copied().unwrap_or(&[][..]));
        for (doc, score) in prepared.matches(reader, visible, top)? {
            child.collect(doc, score);
        }
        fruits.push(child.harvest());
    }
    collector.merge_fruits(fruits)
}

/// A text query and filters turned into weights.
struct Prepared {
    required: Vec<Box<dyn Weight>>,
    /// Excluded queries and filters: checked, never scored.
    excluded: Vec<Box<dyn Weight>>,
    filters: Vec<Box<dyn Weight>>,
    optional: Vec<Node>,
    bonus: Vec<bonus::Prepared>,
}

impl Prepared {
    fn new(
        searcher: &Searcher,
        text: &TextQuery,
        filters: &[Box<dyn Query>],
    ) -> tantivy::Result<Prepared> {
        let scored = EnableScoring::enabled_from_searcher(searcher);
        let unscored = || EnableScoring::disabled_from_searcher(searcher);
        Ok(Prepared {
            required: text
                .required
                .iter()
                .map(|q| q.weight(scored))
                .collect::<tantivy::Result<_>>()?,
            excluded: text
                .excluded
                .iter()
                .map(|q| q.weight(unscored()))
                .collect::<tantivy::Result<_>>()?,
            filters: filters
                .iter()
                .map(|q| q.weight(unscored()))
                .collect::<tantivy::Result<_>>()?,
            optional: weights(&text.optional, searcher)?,
            bonus: text
                .bonus
                .iter()
                .map(|b| bonus::Prepared::new(b, searcher))
                .collect::<tantivy::Result<_>>()?,
        })
    }

    /// The matches of one segment with their scores, in document order.
    /// `top`: the hits wanted and this segment's factors.
    fn matches(
        &self,
        reader: &SegmentReader,
        visible: Option<&[bool]>,
        top: Option<(usize, &[Score])>,
    ) -> tantivy::Result<Scored> {
        let mut matches = self.base_matches(reader, visible)?;
        if !self.bonus.is_empty() && !matches.is_empty() {
            match top {
                Some((k, factors)) => {
                    bonus::add_to_best(&self.bonus, reader, &mut matches, k, factors)?
                }
                None => bonus::add_all(&self.bonus, reader, &mut matches)?,
            }
        }
        if let Some((_, factors)) = top {
            for (doc, score) in &mut matches {
                *score *= factors.get(*doc as usize).copied().unwrap_or(1.0);
            }
        }
        Ok(matches)
    }

    /// Matches and scores of one segment without the bonuses, in document order.
    fn base_matches(
        &self,
        reader: &SegmentReader,
        visible: Option<&[bool]>,
    ) -> tantivy::Result<Scored> {
        let max_doc = reader.max_doc();
        let match_all = self.required.is_empty() && self.optional.is_empty();
        let mut acc = Dense::new(if match_all { 0 } else { max_doc as usize });
        // Per document: how many required queries match (scores go to `acc`).
        let mut required = vec![
            0u16;
            if self.required.is_empty() {
                0
            } else {
                acc.len()
            }
        ];
        for weight in &self.required {
            weight.for_each(reader, &mut |doc, score| {
                required[doc as usize] += 1;
                acc.fold(Fold::Add, doc, score);
            })?;
        }
        // Each optional expression adds straight into the segment's sums.
        let mut pool = Vec::new();
        for expr in &self.optional {
            eval_into(expr, reader, 1.0, Fold::Add, &mut acc, &mut pool)?;
        }
        let needed = self.required.len() as u16;
        let is_match = |doc: DocId| match needed {
            // With nothing required, one optional match is enough.
            0 => acc.has(doc),
            _ => required[doc as usize] == needed,
        };
        let mut checks = Checks::new(reader, visible, &self.filters, &self.excluded)?;
        if !match_all && needed == 0 && !checks.has_queries() {
            return Ok(scored_and_passing(&acc, &checks));
        }
        // Every match is a document some clause touched (or any, matching all).
        let mut out = Vec::with_capacity(if match_all {
            max_doc as usize
        } else {
            acc.touched().len()
        });
        for doc in 0..max_doc {
            if match_all {
                if checks.pass(doc) {
                    out.push((doc, 0.0));
                }
            } else if is_match(doc) && checks.pass(doc) {
                out.push((doc, acc.get(doc)));
            }
        }
        Ok(out)
    }
}

/// Deleted documents, filters and exclusions, checked in document order.
struct Checks<'r> {
    alive: Option<&'r tantivy::fastfield::AliveBitSet>,
    visible: Option<&'r [bool]>,
    filters: Vec<Box<dyn tantivy::query::Scorer>>,
    excluded: Vec<Box<dyn tantivy::query::Scorer>>,
}

impl<'r> Checks<'r> {
    fn new(
        reader: &'r SegmentReader,
        visible: Option<&'r [bool]>,
        filters: &[Box<dyn Weight>],
        excluded: &[Box<dyn Weight>],
    ) -> tantivy::Result<Checks<'r>> {
        let scorers = |ws: &[Box<dyn Weight>]| -> tantivy::Result<Vec<_>> {
            ws.iter().map(|w| w.scorer(reader, 1.0)).collect()
        };
        Ok(Checks {
            alive: reader.alive_bitset(),
            visible,
            filters: scorers(filters)?,
            excluded: scorers(excluded)?,
        })
    }

    /// Whether `doc` is alive, in every filter and in no exclusion. Calls
    /// must come in increasing document order. Called for every match: the
    /// flags are read inline, the queries (rare) out of line.
    #[inline(always)]
    fn pass(&mut self, doc: DocId) -> bool {
        self.flags(doc) && (!self.has_queries() || self.pass_queries(doc))
    }

    /// Whether `doc` is alive and visible, without a branch on the answer.
    #[inline(always)]
    fn flags(&self, doc: DocId) -> bool {
        let alive = self.alive.is_none_or(|a| a.is_alive(doc));
        let visible = self
            .visible
            .is_none_or(|v| v.get(doc as usize).copied().unwrap_or(false));
        alive & visible
    }

    /// Whether filter or exclusion queries are checked, besides the flags.
    fn has_queries(&self) -> bool {
        !(self.filters.is_empty() && self.excluded.is_empty())
    }

    #[inline(never)]
    fn pass_queries(&mut self, doc: DocId) -> bool {
        self.filters.iter_mut().all(|s| reaches(s.as_mut(), doc))
            && !self.excluded.iter_mut().any(|s| reaches(s.as_mut(), doc))
    }
}

/// The documents of `acc` with a score (not negative) that pass the flag
/// `checks`, in order, with their scores. Branch-free: whether a document
/// matches follows no pattern a branch predictor can learn, and the
/// branching loop (most of `Prepared::matches`) was 7 % of the CPU
/// workers' samples in a perf profile at 8 connections; this one is 1.4 %.
/// Every document is written to the next free place, which only advances
/// when the document is kept.
fn scored_and_passing(acc: &Dense, checks: &Checks) -> Scored {
    // Room for every set slot, and the write after the last kept one.
    let mut out = vec![(0, 0.0); acc.touched().len() + 1];
    let mut kept = 0;
    for (doc, &score) in (0..).zip(&acc.scores) {
        out[kept] = (doc, score);
        kept += usize::from((score >= 0.0) & checks.flags(doc));
    }
    out.truncate(kept);
    out
}

/// Whether `docset` holds `doc`, moving it forward only.
fn reaches(docset: &mut dyn DocSet, doc: DocId) -> bool {
    if docset.doc() < doc {
        docset.seek(doc);
    }
    docset.doc() == doc
}

/// Matches of a segment: documents in increasing order, with scores.
type Scored = Vec<(DocId, Score)>;

/// How a child's score joins its parent's.
#[derive(Clone, Copy, PartialEq)]
enum Fold {
    /// Added (a `Sum`).
    Add,
    /// The larger kept (a `Max`).
    Max,
}

/// Scores of one segment's documents, one slot per document: leaves write
/// straight into their parent's slots (postings come sorted, so the
/// writes move forward through memory) instead of building and merging
/// lists. `touched` remembers which slots are set, so a temporary one is
/// read and reset in the time of its matches, not of the segment.
struct Dense {
    /// Negative: no match yet (BM25 and constant scores are never negative).
    scores: Vec<Score>,
    /// The set slots, in the order first set: the first `set` entries.
    /// One place more than documents, so that a write past the last set
    /// slot (see [`Dense::fold`]) always has somewhere to go.
    touched: Vec<DocId>,
    set: usize,
}

impl Dense {
    fn new(max_doc: usize) -> Dense {
        Dense {
            scores: vec![-1.0; max_doc],
            touched: vec![0; max_doc + 1],
            set: 0,
        }
    }

    fn len(&self) -> usize {
        self.scores.len()
    }

    fn has(&self, doc: DocId) -> bool {
        self.scores[doc as usize] >= 0.0
    }

    fn get(&self, doc: DocId) -> Score {
        self.scores[doc as usize]
    }

    /// The documents whose slots are set.
    fn touched(&self) -> &[DocId] {
        &self.touched[..self.set]
    }

    /// Folds `score` into `doc`'s slot. Branch-free: whether a posting's
    /// document is already set depends on how a word's postings interleave
    /// with the others' (this form runs 6 % more instructions than the
    /// branching one, yet searched about 3 % faster). The document is
    /// always written after the set ones and counted only when its slot
    /// was not set before.
    #[inline]
    fn fold(&mut self, how: Fold, doc: DocId, score: Score) {
        let slot = &mut self.scores[doc as usize];
        let was = *slot;
        let first = was < 0.0;
        let folded = match how {
            Fold::Add => was + score,
            Fold::Max => was.max(score),
        };
        *slot = if first { score } else { folded };
        // Within bounds even if a (never seen) negative score set a slot twice.
        let next = self.set.min(self.touched.len() - 1);
        self.touched[next] = doc;
        self.set = next + usize::from(first);
    }

    /// Folds every set slot into `into`, then clears them.
    fn drain_into(&mut self, how: Fold, into: &mut Dense) {
        for &doc in &self.touched[..self.set] {
            let slot = &mut self.scores[doc as usize];
            into.fold(how, doc, *slot);
            *slot = -1.0;
        }
        self.set = 0;
    }
}

/// Folds the scores of `node`'s matches into `into`. A child joining the
/// way its parent combines (a sum in a sum, a maximum in a maximum) writes
/// straight into the parent's slots; otherwise it is completed in a
/// temporary (from `pool`) first: a sum must be whole before it competes
/// in a maximum. Children fold in order, so sums add up as tantivy's do.
fn eval_into(
    node: &Node,
    reader: &SegmentReader,
    boost: Score,
    how: Fold,
    into: &mut Dense,
    pool: &mut Vec<Dense>,
) -> tantivy::Result<()> {
    let (children, own) = match node {
        Node::Leaf(weight) => {
            let mut scorer = weight.scorer(reader, boost)?;
            let mut doc = scorer.doc();
            while doc != TERMINATED {
                into.fold(how, doc, scorer.score());
                doc = scorer.advance();
            }
            return Ok(());
        }
        Node::Term(leaf) => {
            return leaf.for_each(reader, boost, |doc, score| into.fold(how, doc, score));
        }
        Node::Phrase(leaf) => {
            return leaf.for_each(reader, boost, |doc, score| into.fold(how, doc, score));
        }
        // As tantivy does: the boost multiplies down to the leaves.
        Node::Boost(child, factor) => {
            return eval_into(child, reader, boost * factor, how, into, pool)
        }
        Node::Sum(children) => (children, Fold::Add),
        Node::Max(children) => (children, Fold::Max),
    };
    if own == how || children.len() == 1 {
        for child in children {
            eval_into(child, reader, boost, how, into, pool)?;
        }
        return Ok(());
    }
    let mut temp = pool.pop().unwrap_or_else(|| Dense::new(into.len()));
    for child in children {
        eval_into(child, reader, boost, own, &mut temp, pool)?;
    }
    temp.drain_into(how, into);
    pool.push(temp);
    Ok(())
}
