//! Term-at-a-time evaluation of a text query.
//!
//! A query word expands into many tantivy clauses (the word in all text,
//! one bonus per boosted field, synonyms, corrections, proximity pairs),
//! nested three deep. tantivy evaluates such a tree document-at-a-time
//! through nested union scorers, and because the total and the facets need
//! every match, every match was scored that way: 60% of search time.
//!
//! Here tantivy still scores each leaf (the same BM25, phrase and constant
//! scores, with boosts pushed down to the leaves exactly as tantivy does),
//! but each leaf's postings are read once, in one tight pass, and the tree's
//! sums and maxima are combined per node in a dense per-segment array. The
//! matches then go, in document order, to ordinary tantivy collectors.
//! [`Expr::to_query`] gives the equivalent tantivy query, so tests can check
//! that both compute the same thing.

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, DisjunctionMaxQuery, EnableScoring, Occur, Query, Weight,
};
use tantivy::{DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED};

/// A scoring expression over tantivy queries.
#[derive(Debug)]
pub enum Expr {
    /// A query tantivy scores: a term, a phrase, an automaton, a constant.
    Leaf(Box<dyn Query>),
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
        if self.required.is_empty() && self.optional.is_empty() {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        Box::new(BooleanQuery::new(clauses))
    }
}

/// The weights of an expression, for one search.
enum Node {
    Leaf(Box<dyn Weight>),
    Sum(Vec<Node>),
    Max(Vec<Node>),
    Boost(Box<Node>, Score),
}

/// Runs `text`, restricted to documents matching every filter (filters
/// select, they do not score), and feeds the matches to `collector`.
pub fn search<C: Collector>(
    searcher: &Searcher,
    text: &TextQuery,
    filters: &[Box<dyn Query>],
    collector: &C,
) -> tantivy::Result<C::Fruit> {
    let prepared = Prepared::new(searcher, text, filters)?;
    let mut scratch = Scratch::default();
    let mut fruits = Vec::with_capacity(searcher.segment_readers().len());
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let mut child = collector.for_segment(ord as u32, reader)?;
        prepared.for_each(reader, &mut scratch, &mut |doc, score| {
            child.collect(doc, score)
        })?;
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
        })
    }

    /// Calls `f` with every match of one segment and its score, in document order.
    fn for_each(
        &self,
        reader: &SegmentReader,
        scratch: &mut Scratch,
        f: &mut dyn FnMut(DocId, Score),
    ) -> tantivy::Result<()> {
        let max_doc = reader.max_doc();
        scratch.reset(max_doc);
        let match_all = self.required.is_empty() && self.optional.is_empty();
        // Per document: how many required queries match, and the score sum.
        let mut matched = vec![0u16; if match_all { 0 } else { max_doc as usize }];
        let mut score = vec![0.0f32; matched.len()];
        for weight in &self.required {
            let mut scorer = weight.scorer(reader, 1.0)?;
            let mut doc = scorer.doc();
            while doc != TERMINATED {
                matched[doc as usize] += 1;
                score[doc as usize] += scorer.score();
                doc = scorer.advance();
            }
        }
        let needed = self.required.len() as u16;
        if !self.optional.is_empty() {
            let optional = eval_sum(&self.optional, reader, 1.0, scratch)?;
            for (doc, s) in optional {
                // With nothing required, one optional match is enough.
                if needed == 0 {
                    matched[doc as usize] = 1;
                }
                score[doc as usize] += s;
            }
        }
        let mut checks = Checks::new(reader, &self.filters, &self.excluded)?;
        let needed = needed.max(1);
        for doc in 0..max_doc {
            if !match_all && matched[doc as usize] < needed {
                continue;
            }
            if checks.pass(doc) {
                f(doc, if match_all { 0.0 } else { score[doc as usize] });
            }
        }
        Ok(())
    }
}

/// Deleted documents, filters and exclusions, checked in document order.
struct Checks<'r> {
    alive: Option<&'r tantivy::fastfield::AliveBitSet>,
    filters: Vec<Box<dyn tantivy::query::Scorer>>,
    excluded: Vec<Box<dyn tantivy::query::Scorer>>,
}

impl<'r> Checks<'r> {
    fn new(
        reader: &'r SegmentReader,
        filters: &[Box<dyn Weight>],
        excluded: &[Box<dyn Weight>],
    ) -> tantivy::Result<Checks<'r>> {
        let scorers = |ws: &[Box<dyn Weight>]| -> tantivy::Result<Vec<_>> {
            ws.iter().map(|w| w.scorer(reader, 1.0)).collect()
        };
        Ok(Checks {
            alive: reader.alive_bitset(),
            filters: scorers(filters)?,
            excluded: scorers(excluded)?,
        })
    }

    /// Whether `doc` is alive, in every filter and in no exclusion. Calls
    /// must come in increasing document order.
    fn pass(&mut self, doc: DocId) -> bool {
        if self.alive.is_some_and(|a| !a.is_alive(doc)) {
            return false;
        }
        self.filters.iter_mut().all(|s| reaches(s.as_mut(), doc))
            && !self.excluded.iter_mut().any(|s| reaches(s.as_mut(), doc))
    }
}

/// Whether `docset` holds `doc`, moving it forward only.
fn reaches(docset: &mut dyn DocSet, doc: DocId) -> bool {
    if docset.doc() < doc {
        docset.seek(doc);
    }
    docset.doc() == doc
}

/// Matches of one node: documents (in no particular order) and scores.
type Scored = Vec<(DocId, Score)>;

/// A dense per-segment accumulator, reused by every node of a search: a
/// node's children are evaluated completely before it combines them, so
/// one accumulator serves the whole tree. Stamps mark the documents the
/// current combination has seen, so nothing is cleared between nodes.
#[derive(Default)]
struct Scratch {
    score: Vec<Score>,
    stamp: Vec<u32>,
    current: u32,
}

impl Scratch {
    fn reset(&mut self, max_doc: u32) {
        self.score.clear();
        self.score.resize(max_doc as usize, 0.0);
        self.stamp.clear();
        self.stamp.resize(max_doc as usize, 0);
        self.current = 0;
    }

    /// Combines children's matches with `merge` for documents several match.
    fn combine(&mut self, children: Vec<Scored>, merge: fn(Score, Score) -> Score) -> Scored {
        let mut children = children.into_iter();
        let Some(first) = children.next() else {
            return Vec::new();
        };
        let rest: Vec<Scored> = children.collect();
        if rest.is_empty() {
            return first;
        }
        self.current += 1;
        let current = self.current;
        let mut docs: Vec<DocId> = Vec::with_capacity(first.len());
        for (doc, s) in first.into_iter().chain(rest.into_iter().flatten()) {
            let i = doc as usize;
            if self.stamp[i] == current {
                self.score[i] = merge(self.score[i], s);
            } else {
                self.stamp[i] = current;
                self.score[i] = s;
                docs.push(doc);
            }
        }
        docs.into_iter()
            .map(|d| (d, self.score[d as usize]))
            .collect()
    }
}

fn eval(
    node: &Node,
    reader: &SegmentReader,
    boost: Score,
    scratch: &mut Scratch,
) -> tantivy::Result<Scored> {
    match node {
        Node::Leaf(weight) => {
            let mut scorer = weight.scorer(reader, boost)?;
            let mut out = Vec::with_capacity(scorer.size_hint() as usize);
            let mut doc = scorer.doc();
            while doc != TERMINATED {
                out.push((doc, scorer.score()));
                doc = scorer.advance();
            }
            Ok(out)
        }
        Node::Sum(children) => eval_sum(children, reader, boost, scratch),
        Node::Max(children) => {
            let lists = eval_all(children, reader, boost, scratch)?;
            Ok(scratch.combine(lists, Score::max))
        }
        // As tantivy does: the boost multiplies down to the leaves.
        Node::Boost(child, factor) => eval(child, reader, boost * factor, scratch),
    }
}

fn eval_sum(
    children: &[Node],
    reader: &SegmentReader,
    boost: Score,
    scratch: &mut Scratch,
) -> tantivy::Result<Scored> {
    let lists = eval_all(children, reader, boost, scratch)?;
    Ok(scratch.combine(lists, |a, b| a + b))
}

fn eval_all(
    children: &[Node],
    reader: &SegmentReader,
    boost: Score,
    scratch: &mut Scratch,
) -> tantivy::Result<Vec<Scored>> {
    children
        .iter()
        .map(|c| eval(c, reader, boost, scratch))
        .collect()
}
