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

    /// Adds this bonus's score to the wanted matches (indices into
    /// `matches`, rising) it matches.
    fn add(
        &self,
        reader: &SegmentReader,
        matches: &mut Matches,
        wanted: &[usize],
    ) -> tantivy::Result<()> {
        let Some((&first, rest)) = wanted.split_first() else {
            return Ok(());
        };
        // `scorer_danger` and `seek_danger` check one document without
        // scanning on to the next match (a phrase scorer would read
        // positions all the way, already when created). After a miss they
        // name the lowest document that can still match; targets must rise
        // strictly and never fall below that bound.
        let first = &mut matches[first];
        let (found, mut scorer) = self.weight.scorer_danger(reader, first.0, self.boost)?;
        let mut lowest = note(found, first, scorer.as_mut());
        for &at in rest {
            if lowest == TERMINATED {
                break;
            }
            let target = &mut matches[at];
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

/// Adds every bonus to every match.
pub fn add_all(
    bonuses: &[Prepared],
    reader: &SegmentReader,
    matches: &mut Matches,
) -> tantivy::Result<()> {
    let all: Vec<usize> = (0..matches.len()).collect();
    for bonus in bonuses {
        bonus.add(reader, matches, &all)?;
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
    factors: &[Score],
) -> tantivy::Result<()> {
    let n = matches.len();
    if k == 0 || n <= k {
        return add_all(bonuses, reader, matches);
    }
    let factors: Vec<Score> = matches
        .iter()
        .map(|&(doc, _)| factors.get(doc as usize).copied().unwrap_or(1.0))
        .collect();
    let mut order: Vec<&Prepared> = bonuses.iter().collect();
    order.sort_by(|a, b| b.most().total_cmp(&a.most()));
    // Indices of the matches still wanted, rising; the list only shrinks.
    // At first every match is: the first step filters them all at once.
    let mut wanted: Vec<usize> = Vec::new();
    for (i, bonus) in order.iter().enumerate() {
        // A phrase scores at most its saturated BM25; the margin covers rounding.
        let to_come: Score = order[i..].iter().map(|b| b.most()).sum::<Score>() * (1.0 + 1e-5);
        let reaches = |at: usize, bar: Score| (matches[at].1 + to_come) * factors[at] >= bar;
        // The k-th best so far is among the wanted: every match above it is.
        if i == 0 {
            let bar = kth_best(matches.iter().zip(&factors).map(|(m, f)| m.1 * f), k);
            wanted = (0..n).filter(|&at| reaches(at, bar)).collect();
        } else {
            let bar = kth_best(wanted.iter().map(|&at| matches[at].1 * factors[at]), k);
            wanted.retain(|&at| reaches(at, bar));
        }
        bonus.add(reader, matches, &wanted)?;
    }
    Ok(())
}

/// The k-th best (largest) of `scores`, or the least when there are fewer.
/// One pass keeping the best k in order: after the first few hundred
/// scores a new one rarely enters, so most cost one comparison (selecting
/// in a copy of all scores was 3 % of a search's instructions).
fn kth_best(scores: impl Iterator<Item = Score>, k: usize) -> Score {
    // Ascending: best[0] is the k-th best so far.
    let mut best: Vec<Score> = Vec::with_capacity(k + 1);
    for s in scores {
        if best.len() == k {
            if s.total_cmp(&best[0]).is_le() {
                continue;
            }
            best.remove(0);
        }
        let at = best.partition_point(|b| b.total_cmp(&s).is_lt());
        best.insert(at, s);
    }
    best.first().copied().unwrap_or(Score::NEG_INFINITY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kth_best_is_what_sorting_gives() {
        let mut numbers = crate::test_support::numbers(5);
        for round in 0..200 {
            let n = 1 + numbers(300);
            // Few distinct values, so ties are common.
            let scores: Vec<Score> = (0..n).map(|_| numbers(40) as Score * 0.25).collect();
            let k = 1 + numbers(n.min(30));
            let mut sorted = scores.clone();
            sorted.sort_by(|a, b| b.total_cmp(a));
            assert_eq!(
                kth_best(scores.into_iter(), k),
                sorted[k - 1],
                "round {round}"
            );
        }
    }
}
