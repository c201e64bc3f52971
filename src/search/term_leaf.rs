//! A query term, evaluated straight from its posting blocks.
//!
//! Most leaves of a text query are single terms: the word over all text
//! (BM25) and the word in each boosted field (a constant bonus). Through
//! tantivy's scorers each posting costs two virtual calls (`score`,
//! `advance`) and a per-document cursor step; here a block of 128 postings
//! is decoded at once and scored in one loop the compiler can see whole.
//! The score is tantivy's own: the same BM25 weight (`Bm25Weight` from the
//! searcher's statistics, boosted the same way) and the same field norms,
//! or the constant times the boost, as `ConstScoreQuery` does;
//! [`TermLeaf::to_query`] gives the tantivy query that computes it.

use tantivy::fieldnorm::FieldNormReader;
use tantivy::query::{Bm25Weight, ConstScoreQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, Score, SegmentReader, Term};

use super::dictionaries::{Dictionaries, Postings};

/// How a [`TermLeaf`] scores.
#[derive(Clone)]
enum Scoring {
    Bm25(Bm25Weight),
    Constant(Score),
}

/// A term scored by BM25, or by a constant wherever it occurs; made for
/// one searcher (its statistics, and where the term is in its segments).
#[derive(Clone)]
pub struct TermLeaf {
    term: Term,
    scoring: Scoring,
    postings: Postings,
}

impl std::fmt::Debug for TermLeaf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.scoring {
            Scoring::Bm25(_) => write!(f, "Bm25({:?})", self.term),
            Scoring::Constant(score) => write!(f, "Constant({:?}, {score})", self.term),
        }
    }
}

impl TermLeaf {
    /// The term, scored by BM25 with the statistics of the searcher
    /// `dictionaries` look in; `postings` are the term's there.
    pub fn bm25(
        dictionaries: &Dictionaries,
        term: Term,
        postings: Postings,
    ) -> tantivy::Result<TermLeaf> {
        let bm25 = dictionaries.bm25(term.field(), postings.doc_freq())?;
        Ok(TermLeaf {
            term,
            scoring: Scoring::Bm25(bm25),
            postings,
        })
    }

    /// The term, scoring `score` in every document holding it.
    pub fn constant(term: Term, postings: Postings, score: Score) -> TermLeaf {
        TermLeaf {
            term,
            scoring: Scoring::Constant(score),
            postings,
        }
    }

    /// The tantivy query computing the same scores.
    pub fn to_query(&self) -> Box<dyn Query> {
        match self.scoring {
            Scoring::Bm25(_) => Box::new(TermQuery::new(
                self.term.clone(),
                IndexRecordOption::WithFreqs,
            )),
            Scoring::Constant(score) => {
                let term = TermQuery::new(self.term.clone(), IndexRecordOption::Basic);
                Box::new(ConstScoreQuery::new(Box::new(term), score))
            }
        }
    }

    /// Calls `each(doc, score)` for every document of the segment holding
    /// the term, in document order (deleted ones included, as tantivy's
    /// scorers do), the score multiplied by `boost`.
    #[inline]
    pub fn for_each(
        &self,
        reader: &SegmentReader,
        boost: Score,
        mut each: impl FnMut(DocId, Score),
    ) -> tantivy::Result<()> {
        let option = match self.scoring {
            Scoring::Bm25(_) => IndexRecordOption::WithFreqs,
            Scoring::Constant(_) => IndexRecordOption::Basic,
        };
        let Some(mut block) = self.postings.block_postings(&self.term, reader, option)? else {
            return Ok(());
        };
        match &self.scoring {
            Scoring::Bm25(bm25) => {
                let bm25 = bm25.boost_by(boost);
                let norms = norms(reader, self.term.field())?;
                while !block.docs().is_empty() {
                    for (&doc, &freq) in block.docs().iter().zip(block.freqs()) {
                        each(doc, bm25.score(norms.fieldnorm_id(doc), freq));
                    }
                    block.advance();
                }
            }
            Scoring::Constant(constant) => {
                let score = constant * boost;
                while !block.docs().is_empty() {
                    for &doc in block.docs() {
                        each(doc, score);
                    }
                    block.advance();
                }
            }
        }
        Ok(())
    }
}

/// The field norms BM25 reads for `field` in `reader`'s segment, as
/// tantivy's scorers take them (a constant where the field has none).
pub(super) fn norms(reader: &SegmentReader, field: Field) -> tantivy::Result<FieldNormReader> {
    Ok(match reader.fieldnorms_readers().get_field(field)? {
        Some(norms) => norms,
        None => FieldNormReader::constant(reader.max_doc(), 1),
    })
}
