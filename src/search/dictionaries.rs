//! The term dictionaries of one search's segments, each term looked up once.
//!
//! Planning a query asks how many documents hold each word, and whether
//! each boosted field (title, headings, path, front matter) holds it at
//! all; evaluating it then looked every such term up again in every
//! segment, and BM25 asked for its document frequency a third time. Each
//! lookup also went through the segment's lock-guarded map of open field
//! indexes (or built an empty one for a field the segment lacks). Here a
//! field's index is opened once per segment per search, and a term's place
//! in each segment is found once and kept with the term ([`Postings`]), so
//! evaluation reads its postings without another lookup.

use std::cell::RefCell;
use std::sync::Arc;

use tantivy::index::SegmentId;
use tantivy::postings::BlockSegmentPostings;
use tantivy::query::Bm25Weight;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{InvertedIndexReader, Score, Searcher, SegmentReader, Term};

/// Where a term is in one segment.
#[derive(Clone)]
enum Place {
    /// Not in the segment.
    Absent,
    /// In the segment's index of the term's field.
    At(Arc<InvertedIndexReader>, tantivy::postings::TermInfo),
    /// The lookup failed: evaluation looks again (and reports the error).
    Unknown,
}

/// A term's place in each segment of one searcher, and its document
/// frequency over them.
#[derive(Clone)]
pub struct Postings {
    places: Vec<(SegmentId, Place)>,
    doc_freq: u64,
}

impl Postings {
    /// Documents holding the term (deleted ones included, as BM25 counts them).
    pub fn doc_freq(&self) -> u64 {
        self.doc_freq
    }

    /// The term's postings in `reader`'s segment, `None` when it has none.
    /// A segment the lookup did not see (another searcher's) is asked directly.
    pub fn block_postings(
        &self,
        term: &Term,
        reader: &SegmentReader,
        option: IndexRecordOption,
    ) -> tantivy::Result<Option<BlockSegmentPostings>> {
        let id = reader.segment_id();
        match self.places.iter().find(|(s, _)| *s == id).map(|(_, p)| p) {
            Some(Place::Absent) => Ok(None),
            Some(Place::At(index, info)) => {
                Ok(Some(index.read_block_postings_from_terminfo(info, option)?))
            }
            Some(Place::Unknown) | None => Ok(reader
                .inverted_index(term.field())?
                .read_block_postings(term, option)?),
        }
    }
}

/// One segment's field indexes opened so far (a handful: a list is quickest).
type Opened = Vec<(Field, Arc<InvertedIndexReader>)>;

/// The dictionaries of one searcher's segments, for one search.
pub struct Dictionaries<'s> {
    searcher: &'s Searcher,
    /// Per segment ordinal, the field indexes opened so far.
    opened: RefCell<Vec<Opened>>,
}

impl<'s> Dictionaries<'s> {
    /// Lookups in `searcher`'s segments.
    pub fn new(searcher: &'s Searcher) -> Dictionaries<'s> {
        Dictionaries {
            searcher,
            opened: RefCell::new(vec![Vec::new(); searcher.segment_readers().len()]),
        }
    }

    /// Segment `ord`'s index of `field`, opened once.
    fn index(&self, ord: usize, field: Field) -> tantivy::Result<Arc<InvertedIndexReader>> {
        let mut opened = self.opened.borrow_mut();
        if let Some((_, index)) = opened[ord].iter().find(|(f, _)| *f == field) {
            return Ok(index.clone());
        }
        let index = self
            .searcher
            .segment_reader(ord as u32)
            .inverted_index(field)?;
        opened[ord].push((field, index.clone()));
        Ok(index)
    }

    /// Where `term` is in each segment.
    pub fn postings(&self, term: &Term) -> Postings {
        let mut doc_freq = 0;
        let places = self
            .searcher
            .segment_readers()
            .iter()
            .enumerate()
            .map(|(ord, reader)| {
                let found = self
                    .index(ord, term.field())
                    .and_then(|index| Ok((index.get_term_info(term)?, index)));
                let place = match found {
                    Ok((Some(info), index)) => {
                        doc_freq += u64::from(info.doc_freq);
                        Place::At(index, info)
                    }
                    Ok((None, _)) => Place::Absent,
                    Err(_) => Place::Unknown,
                };
                (reader.segment_id(), place)
            })
            .collect();
        Postings { places, doc_freq }
    }

    /// The BM25 weight of a term in `doc_freq` documents of `field`: what
    /// tantivy's `Bm25Weight::for_terms` computes from the searcher.
    pub fn bm25(&self, field: Field, doc_freq: u64) -> tantivy::Result<Bm25Weight> {
        let mut tokens = 0u64;
        let mut docs = 0u64;
        for (ord, reader) in self.searcher.segment_readers().iter().enumerate() {
            tokens += self.index(ord, field)?.total_num_tokens();
            docs += u64::from(reader.max_doc());
        }
        let average_fieldnorm = tokens as Score / docs as Score;
        Ok(Bm25Weight::for_one_term(doc_freq, docs, average_fieldnorm))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::indexer::NoMergePolicy;
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{doc, Index, IndexWriter};

    /// Documents of `reader`'s segment holding `term`, as `postings` finds them.
    fn docs(postings: &Postings, term: &Term, reader: &SegmentReader) -> Vec<u32> {
        let mut out = Vec::new();
        if let Some(mut block) = postings
            .block_postings(term, reader, IndexRecordOption::Basic)
            .unwrap()
        {
            while !block.docs().is_empty() {
                out.extend_from_slice(block.docs());
                block.advance();
            }
        }
        out
    }

    /// An index on disk with one text field, and its writer.
    fn index_with_body() -> (tempfile::TempDir, Index, Field, IndexWriter) {
        let dir = tempfile::tempdir().unwrap();
        let mut schema = Schema::builder();
        let body = schema.add_text_field("body", TEXT);
        let index = Index::create_in_dir(dir.path(), schema.build()).unwrap();
        let writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        (dir, index, body, writer)
    }

    #[test]
    fn a_term_is_found_where_it_is_even_in_segments_looked_up_later() {
        let (_dir, index, body, mut writer) = index_with_body();
        writer.set_merge_policy(Box::new(NoMergePolicy));
        writer.add_document(doc!(body => "alpha beta")).unwrap();
        writer.add_document(doc!(body => "beta")).unwrap();
        writer.commit().unwrap();
        let reader = index.reader().unwrap();
        let before = reader.searcher();
        let dictionaries = Dictionaries::new(&before);
        let alpha = Term::from_field_text(body, "alpha");
        let beta = Term::from_field_text(body, "beta");
        let absent = Term::from_field_text(body, "gamma");
        let (alpha_at, beta_at, absent_at) = (
            dictionaries.postings(&alpha),
            dictionaries.postings(&beta),
            dictionaries.postings(&absent),
        );
        assert_eq!(
            (
                alpha_at.doc_freq(),
                beta_at.doc_freq(),
                absent_at.doc_freq()
            ),
            (1, 2, 0)
        );
        let segment = before.segment_reader(0);
        assert_eq!(docs(&alpha_at, &alpha, segment), vec![0]);
        assert_eq!(docs(&beta_at, &beta, segment), vec![0, 1]);
        assert!(docs(&absent_at, &absent, segment).is_empty());

        // A segment committed after the lookup is asked directly.
        writer.add_document(doc!(body => "gamma alpha")).unwrap();
        writer.commit().unwrap();
        reader.reload().unwrap();
        let after = reader.searcher();
        assert_eq!(after.segment_readers().len(), 2);
        let found: usize = after
            .segment_readers()
            .iter()
            .map(|r| docs(&alpha_at, &alpha, r).len() + docs(&absent_at, &absent, r).len())
            .sum();
        assert_eq!(found, 3, "alpha in both segments, gamma in the new one");
    }

    #[test]
    fn bm25_weights_are_tantivys() {
        let (_dir, index, body, mut writer) = index_with_body();
        for text in [
            "alpha beta",
            "beta beta gamma",
            "alpha alpha alpha delta epsilon",
        ] {
            writer.add_document(doc!(body => text)).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let dictionaries = Dictionaries::new(&searcher);
        for word in ["alpha", "beta", "delta"] {
            let term = Term::from_field_text(body, word);
            let df = dictionaries.postings(&term).doc_freq();
            let ours = dictionaries.bm25(body, df).unwrap();
            let theirs = Bm25Weight::for_terms(&searcher, std::slice::from_ref(&term)).unwrap();
            for (norm, freq) in [(0u8, 1u32), (3, 2), (10, 3), (200, 7)] {
                assert_eq!(ours.score(norm, freq), theirs.score(norm, freq), "{word}");
            }
        }
    }
}
