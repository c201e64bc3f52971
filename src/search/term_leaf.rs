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
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, Score, Searcher, SegmentReader, Term};

/// A term scored by BM25, or by a constant wherever it occurs.
#[derive(Clone, Debug)]
pub struct TermLeaf {
    term: Term,
    /// `None`: BM25.
    constant: Option<Score>,
}

impl TermLeaf {
    /// The term, scored by BM25 (it needs term frequencies).
    pub fn bm25(term: Term) -> TermLeaf {
        TermLeaf {
            term,
            constant: None,
        }
    }

    /// The term, scoring `score` in every document holding it.
    pub fn constant(term: Term, score: Score) -> TermLeaf {
        TermLeaf {
            term,
            constant: Some(score),
        }
    }

    /// The tantivy query computing the same scores.
    pub fn to_query(&self) -> Box<dyn Query> {
        match self.constant {
            None => Box::new(TermQuery::new(
                self.term.clone(),
                IndexRecordOption::WithFreqs,
            )),
            Some(score) => {
                let term = TermQuery::new(self.term.clone(), IndexRecordOption::Basic);
                Box::new(ConstScoreQuery::new(Box::new(term), score))
            }
        }
    }

    /// The leaf with the statistics of `searcher`'s documents.
    pub fn weight(&self, searcher: &Searcher) -> tantivy::Result<TermWeight> {
        let bm25 = match self.constant {
            None => Some(Bm25Weight::for_terms(
                searcher,
                std::slice::from_ref(&self.term),
            )?),
            Some(_) => None,
        };
        Ok(TermWeight {
            term: self.term.clone(),
            bm25,
            constant: self.constant.unwrap_or(0.0),
        })
    }
}

/// A [`TermLeaf`] ready to score one search's segments.
pub struct TermWeight {
    term: Term,
    bm25: Option<Bm25Weight>,
    constant: Score,
}

impl TermWeight {
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
        let field = self.term.field();
        let option = match self.bm25 {
            Some(_) => IndexRecordOption::WithFreqs,
            None => IndexRecordOption::Basic,
        };
        let inverted = reader.inverted_index(field)?;
        let Some(mut block) = inverted.read_block_postings(&self.term, option)? else {
            return Ok(());
        };
        match &self.bm25 {
            Some(bm25) => {
                let bm25 = bm25.boost_by(boost);
                let norms = match reader.fieldnorms_readers().get_field(field)? {
                    Some(norms) => norms,
                    None => FieldNormReader::constant(reader.max_doc(), 1),
                };
                while !block.docs().is_empty() {
                    for (&doc, &freq) in block.docs().iter().zip(block.freqs()) {
                        each(doc, bm25.score(norms.fieldnorm_id(doc), freq));
                    }
                    block.advance();
                }
            }
            None => {
                let score = self.constant * boost;
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
