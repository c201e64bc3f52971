//! Bonuses: scores added to documents the rest of the query already
//! matches, such as a proximity phrase of two neighbouring query words.
//!
//! Checking a phrase means reading positions, and the two words of a pair
//! are in a large part of the matches. When only the best `k` hits are
//! wanted, a bonus is checked only where it could put a document among
//! them, by the most its BM25 can give. (Tighter per-document bounds, from
//! the words' frequencies, were tried: reading them cost more than the
//! phrase checks they saved.)

use tantivy::query::{Bm25Weight, EnableScoring, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, Searcher, SeekDangerResult, SegmentReader, Term, TERMINATED};

/// Matches of a segment in document order, with their scores.
pub type Matches = Vec<(DocId, Score)>;

/// A score added to documents the rest of the query matches.
#[derive(Debug)]
pub struct Bonus {
    /// A phrase whose matches are a subset of the query words' matches.
    pub query: Box<dyn Query>,
    /// Multiplies the phrase's score.
    pub boost: Score,
    /// The phrase's terms, all in one field.
    pub terms: Vec<Term>,
}

/// A bonus ready for one search.
pub struct Prepared {
    weight: Box<dyn Weight>,
    boost: Score,
    /// The phrase's BM25 (boost included), for its highest score.
    bm25: Bm25Weight,
}

impl Prepared {
    /// `bonus` for the documents `searcher` sees.
    pub fn new(bonus: &Bonus, searcher: &Searcher) -> tantivy::Result<Prepared> {
        Ok(Prepared {
            weight: bonus
                .query
                .weight(EnableScoring::enabled_from_searcher(searcher))?,
            boost: bonus.boost,
            bm25: Bm25Weight::for_terms(searcher, &bonus.terms)?.boost_by(bonus.boost),
        })
    }

    /// The most this bonus can add to a score.
    fn most(&self) -> Score {
        self.bm25.max_score()
    }

    /// Adds this bonus's score to the wanted matches it matches.
    fn add(
        &self,
        reader: &SegmentReader,
        matches: &mut Matches,
        wanted: &[bool],
    ) -> tantivy::Result<()> {
        let mut targets = matches
            .iter_mut()
            .zip(wanted)
            .filter(|(_, &w)| w)
            .map(|(m, _)| m);
        let Some(first) = targets.next() else {
            return Ok(());
        };
        // `scorer_danger` and `seek_danger` check one document without
        // scanning on to the next match (a phrase scorer would read
        // positions all the way, already when created). After a miss they
        // name the lowest document that can still match; targets must rise
        // strictly and never fall below that bound.
        let (found, mut scorer) = self.weight.scorer_danger(reader, first.0, self.boost)?;
        let mut lowest = note(found, first, scorer.as_mut());
        for target in targets {
            if lowest == TERMINATED {
                break;
            }
            if target.0 >= lowest {
                let found = scorer.seek_danger(target.0);
                lowest = note(found, target, scorer.as_mut());
            }
        }
        Ok(())
    }
}

/// Adds the score on a match; returns the lowest document still possible.
fn note(found: SeekDangerResult, target: &mut (DocId, Score), scorer: &mut dyn Scorer) -> DocId {
    match found {
        SeekDangerResult::Found => {
            target.1 += scorer.score();
            target.0 + 1
        }
        SeekDangerResult::SeekLowerBound(bound) => bound,
    }
}

/// Adds every bonus to the wanted matches.
pub fn add_all(
    bonuses: &[Prepared],
    reader: &SegmentReader,
    matches: &mut Matches,
    wanted: &[bool],
) -> tantivy::Result<()> {
    for bonus in bonuses {
        bonus.add(reader, matches, wanted)?;
    }
    Ok(())
}

/// Adds the bonuses wherever they could put a match among the best `k` of
/// this segment by score times `factor` (a document among the best overall
/// is among the best of its segment).
///
/// One bonus at a time, the largest first: a match is checked only while
/// its score so far plus every bonus still to come, at its highest, reaches
/// the k-th best score so far. Each bonus added raises that bar and lowers
/// what is still to come, so later bonuses check fewer matches. A match
/// left out can never reach the bar again (the bar only rises), so the
/// best `k` end with every bonus they have.
pub fn add_to_best(
    bonuses: &[Prepared],
    reader: &SegmentReader,
    matches: &mut Matches,
    k: usize,
    factor: &dyn Fn(DocId) -> Score,
) -> tantivy::Result<()> {
    let n = matches.len();
    if k == 0 || n <= k {
        return add_all(bonuses, reader, matches, &vec![true; n]);
    }
    let factors: Vec<Score> = matches.iter().map(|&(doc, _)| factor(doc)).collect();
    let mut order: Vec<&Prepared> = bonuses.iter().collect();
    order.sort_by(|a, b| b.most().total_cmp(&a.most()));
    let mut wanted = vec![true; n];
    let mut floor = Vec::with_capacity(n);
    for (i, bonus) in order.iter().enumerate() {
        // The k-th best so far is among the wanted: every match above it is.
        floor.clear();
        floor.extend(
            matches
                .iter()
                .zip(&factors)
                .zip(&wanted)
                .filter(|(_, &w)| w)
                .map(|((&(_, s), f), _)| s * f),
        );
        let (_, &mut bar, _) = floor.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
        // A phrase scores at most its saturated BM25; the margin covers rounding.
        let to_come: Score = order[i..].iter().map(|b| b.most()).sum::<Score>() * (1.0 + 1e-5);
        for ((&(_, s), f), w) in matches.iter().zip(&factors).zip(&mut wanted) {
            *w = *w && (s + to_come) * f >= bar;
        }
        bonus.add(reader, matches, &wanted)?;
    }
    Ok(())
}
