//! A phrase of the lexicon (a synonym of several words, `slow query` for
//! 慢查询), evaluated from where it occurs in each segment, found once.
//!
//! A query word's multi-word synonyms are scored over all text like any
//! other alternative, and through tantivy's phrase scorer that means, for
//! every document holding all the phrase's words, reading and intersecting
//! their positions (planning the judged queries without these phrases made
//! searches up to a fifth faster), for a handful of phrases that come back
//! in every query using their words. A
//! segment never changes, so where a phrase occurs in it (each document and
//! how often) is worked out the first time a search asks and kept with the
//! segment's other arrays ([`super::columns::SegmentColumns`]); later
//! searches score from that list. The phrases come from the lexicon, not
//! from what users type, so the lists stay few; quoted phrases and the
//! proximity bonus still go through tantivy.
//!
//! The score is tantivy's own for [`PhraseQuery`]: BM25 with the phrase's
//! weight (`Bm25Weight::for_terms`: the words' summed IDF), the field's
//! norms, and the phrase count as term frequency;
//! [`PhraseLeaf::to_query`] gives the query that computes it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tantivy::postings::Postings;
use tantivy::query::{Bm25Weight, PhraseQuery, Query};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, Searcher, SegmentReader, Term, TERMINATED};

use super::columns::SegmentColumns;
use super::term_leaf::norms;

/// Where a phrase occurs in one segment: documents in order, with the
/// number of times (deleted documents included, as tantivy's scorers do).
#[derive(Debug, Default)]
pub struct Occurrences {
    docs: Vec<DocId>,
    counts: Vec<u32>,
}

/// Phrases remembered per segment; past this the memo starts over. The
/// lexicon's phrases are far fewer; the bound is for a lexicon that is not.
const MAX_PHRASES: usize = 512;

/// A segment's phrase occurrences, by phrase, as searches asked for them.
#[derive(Default)]
pub struct Memo(Mutex<HashMap<Vec<Term>, Arc<Occurrences>>>);

impl Memo {
    /// Where `terms` occur as a phrase in `reader`'s segment (which this
    /// memo belongs to).
    fn get(&self, terms: &[Term], reader: &SegmentReader) -> tantivy::Result<Arc<Occurrences>> {
        let remembered = self.lock().get(terms).cloned();
        if let Some(found) = remembered {
            return Ok(found);
        }
        // Found outside the lock: another search may find it too, no harm.
        let found = Arc::new(Occurrences::find(terms, reader)?);
        let mut memo = self.lock();
        if memo.len() >= MAX_PHRASES {
            memo.clear();
        }
        memo.insert(terms.to_vec(), found.clone());
        Ok(found)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Vec<Term>, Arc<Occurrences>>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Occurrences {
    /// Reads the words' postings in `reader` and counts, in each document
    /// holding all of them, the places where they follow each other, as
    /// tantivy's phrase scorer does (positions shifted by each word's place
    /// in the phrase, intersected).
    fn find(terms: &[Term], reader: &SegmentReader) -> tantivy::Result<Occurrences> {
        let mut out = Occurrences::default();
        let Some(field) = terms.first().map(Term::field) else {
            return Ok(out);
        };
        let index = reader.inverted_index(field)?;
        let mut postings = Vec::with_capacity(terms.len());
        for term in terms {
            match index.read_postings(term, IndexRecordOption::WithFreqsAndPositions)? {
                Some(p) => postings.push(p),
                None => return Ok(out),
            }
        }
        let last = terms.len() - 1;
        let (mut left, mut right) = (Vec::new(), Vec::new());
        let mut doc = postings[0].doc();
        while doc != TERMINATED {
            let ahead = postings
                .iter_mut()
                .map(|p| if p.doc() < doc { p.seek(doc) } else { p.doc() })
                .find(|&d| d != doc);
            if let Some(next) = ahead {
                doc = next;
                continue;
            }
            postings[0].positions_with_offset(last as u32, &mut left);
            for (i, p) in postings.iter_mut().enumerate().skip(1) {
                p.positions_with_offset((last - i) as u32, &mut right);
                if i < last {
                    retain_common(&mut left, &right);
                } else {
                    let count = common(&left, &right);
                    if count > 0 {
                        out.docs.push(doc);
                        out.counts.push(count);
                    }
                }
                if left.is_empty() {
                    break;
                }
            }
            doc = postings[0].advance();
        }
        Ok(out)
    }
}

/// Keeps the values of `left` that `right` (sorted) has too. Positions
/// of a word in a document are distinct, so this is the intersection
/// tantivy's phrase scorer computes; it runs only when a memo misses.
fn retain_common(left: &mut Vec<u32>, right: &[u32]) {
    left.retain(|p| right.binary_search(p).is_ok());
}

/// How many values `left` and `right` (sorted) have in common.
fn common(left: &[u32], right: &[u32]) -> u32 {
    left.iter()
        .filter(|p| right.binary_search(p).is_ok())
        .count() as u32
}

/// A phrase of two or more words of one field, scored by BM25; made for
/// one searcher (its statistics and its segments' memos).
#[derive(Clone)]
pub struct PhraseLeaf {
    terms: Vec<Term>,
    bm25: Bm25Weight,
    /// The searcher's segments' arrays, holding their phrase memos.
    segments: Vec<Arc<SegmentColumns>>,
}

impl std::fmt::Debug for PhraseLeaf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Phrase({:?})", self.terms)
    }
}

impl PhraseLeaf {
    /// The phrase `terms` (at least two, one field) for `searcher`, whose
    /// segments' arrays are `segments`.
    pub fn new(
        terms: Vec<Term>,
        searcher: &Searcher,
        segments: Vec<Arc<SegmentColumns>>,
    ) -> tantivy::Result<PhraseLeaf> {
        let bm25 = Bm25Weight::for_terms(searcher, &terms)?;
        Ok(PhraseLeaf {
            terms,
            bm25,
            segments,
        })
    }

    /// The tantivy query computing the same scores.
    pub fn to_query(&self) -> Box<dyn Query> {
        Box::new(PhraseQuery::new(self.terms.clone()))
    }

    /// Calls `each(doc, score)` for every document of the segment holding
    /// the phrase, in document order, the score multiplied by `boost`.
    pub fn for_each(
        &self,
        reader: &SegmentReader,
        boost: Score,
        mut each: impl FnMut(DocId, Score),
    ) -> tantivy::Result<()> {
        let id = reader.segment_id();
        let found = match self.segments.iter().find(|s| s.segment == id) {
            Some(segment) => segment.phrases.get(&self.terms, reader)?,
            // Another searcher's segment: found, not remembered.
            None => Arc::new(Occurrences::find(&self.terms, reader)?),
        };
        let bm25 = self.bm25.boost_by(boost);
        let norms = norms(reader, self.terms[0].field())?;
        for (&doc, &count) in found.docs.iter().zip(&found.counts) {
            each(doc, bm25.score(norms.fieldnorm_id(doc), count));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_values_are_counted_and_kept() {
        let mut numbers = crate::test_support::numbers(11);
        for _ in 0..300 {
            let mut sorted = |n: usize| {
                let mut v: Vec<u32> = (0..n).map(|_| numbers(40) as u32).collect();
                v.sort_unstable();
                v.dedup();
                v
            };
            let (a, b) = (sorted(12), sorted(12));
            let both: Vec<u32> = a.iter().copied().filter(|x| b.contains(x)).collect();
            assert_eq!(common(&a, &b) as usize, both.len());
            let mut kept = a.clone();
            retain_common(&mut kept, &b);
            assert_eq!(kept, both);
        }
    }
}
