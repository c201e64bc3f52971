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
//! but each leaf's postings are read once, in one tight pass, into a list
//! sorted by document, and the tree's sums and maxima merge those lists
//! (a word's field bonuses in place, since their documents all have the
//! word). The segment's matches then go, in document order, to ordinary
//! tantivy collectors.
//! [`Expr::to_query`] gives the equivalent tantivy query, so tests can check
//! that both compute the same thing.

use tantivy::collector::{Collector, SegmentCollector};

use super::bonus::{self, Bonus};
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
        let factor = |doc: DocId| {
            top.and_then(|(_, f)| f.get(doc as usize))
                .map_or(1.0, |&f| f)
        };
        if !self.bonus.is_empty() && !matches.is_empty() {
            match top {
                Some((k, _)) => bonus::add_to_best(&self.bonus, reader, &mut matches, k, &factor)?,
                None => {
                    let all = vec![true; matches.len()];
                    bonus::add_all(&self.bonus, reader, &mut matches, &all)?
                }
            }
        }
        if top.is_some() {
            for (doc, score) in &mut matches {
                *score *= factor(*doc);
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
        // Each optional expression adds straight into the segment's sums.
        for expr in &self.optional {
            for (doc, s) in eval(expr, reader, 1.0)? {
                // With nothing required, one optional match is enough.
                if needed == 0 {
                    matched[doc as usize] = 1;
                }
                score[doc as usize] += s;
            }
        }
        let mut checks = Checks::new(reader, visible, &self.filters, &self.excluded)?;
        let needed = needed.max(1);
        let mut out = Vec::new();
        for doc in 0..max_doc {
            if !match_all && matched[doc as usize] < needed {
                continue;
            }
            if checks.pass(doc) {
                out.push((doc, if match_all { 0.0 } else { score[doc as usize] }));
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
    /// must come in increasing document order.
    fn pass(&mut self, doc: DocId) -> bool {
        if self.alive.is_some_and(|a| !a.is_alive(doc)) {
            return false;
        }
        if self
            .visible
            .is_some_and(|v| !v.get(doc as usize).copied().unwrap_or(false))
        {
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

/// Matches of one node: documents in increasing order, with scores.
/// Leaves come that way from tantivy, and merging keeps the order.
type Scored = Vec<(DocId, Score)>;

/// Combines children's matches with `merge` for documents several match,
/// in child order (a sum adds up as tantivy's does).
fn combine(children: Vec<Scored>, merge: fn(Score, Score) -> Score) -> Scored {
    let mut lists: Vec<Scored> = children.into_iter().filter(|l| !l.is_empty()).collect();
    if lists.len() <= 1 {
        return lists.pop().unwrap_or_default();
    }
    let first = lists.remove(0);
    match merge_into(first, &lists, merge) {
        Ok(merged) => merged,
        Err(first) => {
            lists.insert(0, first);
            merge_sorted(&lists, merge)
        }
    }
}

/// The common case of a word's clause: the word in all text (a long list)
/// plus field bonuses (short lists of documents that all have the word).
/// Merged in place when every other document is in `first`; otherwise
/// `first` comes back unchanged.
fn merge_into(
    mut first: Scored,
    rest: &[Scored],
    merge: fn(Score, Score) -> Score,
) -> Result<Scored, Scored> {
    let mut positions: Vec<Vec<usize>> = Vec::with_capacity(rest.len());
    for list in rest {
        let mut at = 0;
        let mut found = Vec::with_capacity(list.len());
        for &(doc, _) in list {
            at += first[at..].partition_point(|&(d, _)| d < doc);
            if first.get(at).is_none_or(|&(d, _)| d != doc) {
                return Err(first);
            }
            found.push(at);
        }
        positions.push(found);
    }
    for (list, found) in rest.iter().zip(positions) {
        for (&(_, s), at) in list.iter().zip(found) {
            first[at].1 = merge(first[at].1, s);
        }
    }
    Ok(first)
}

/// Union of sorted lists (a k-way merge over their heads; k is small).
fn merge_sorted(lists: &[Scored], merge: fn(Score, Score) -> Score) -> Scored {
    let mut heads = vec![0usize; lists.len()];
    let mut out = Vec::with_capacity(lists.iter().map(Vec::len).max().unwrap_or(0));
    loop {
        let next = lists
            .iter()
            .zip(&heads)
            .filter_map(|(l, &h)| l.get(h).map(|&(d, _)| d))
            .min();
        let Some(doc) = next else {
            return out;
        };
        let mut score: Option<Score> = None;
        for (list, head) in lists.iter().zip(heads.iter_mut()) {
            if let Some(&(d, s)) = list.get(*head) {
                if d == doc {
                    score = Some(score.map_or(s, |a| merge(a, s)));
                    *head += 1;
                }
            }
        }
        out.push((doc, score.unwrap_or_default()));
    }
}

fn eval(node: &Node, reader: &SegmentReader, boost: Score) -> tantivy::Result<Scored> {
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
        Node::Sum(children) => Ok(combine(eval_all(children, reader, boost)?, |a, b| a + b)),
        Node::Max(children) => Ok(combine(eval_all(children, reader, boost)?, Score::max)),
        // As tantivy does: the boost multiplies down to the leaves.
        Node::Boost(child, factor) => eval(child, reader, boost * factor),
    }
}

fn eval_all(
    children: &[Node],
    reader: &SegmentReader,
    boost: Score,
) -> tantivy::Result<Vec<Scored>> {
    children.iter().map(|c| eval(c, reader, boost)).collect()
}
