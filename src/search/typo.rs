//! Typo corrections: the terms within an edit distance of a word that
//! keep its first letter.
//!
//! Misspellings are rarely in the first letter (Lucene's spell checker asks
//! for it by default, `minPrefix` 1), and asking for it is what makes a
//! correction affordable: the Levenshtein automaton then walks only the
//! part of the term dictionary under that letter, not all of it. The
//! whole walk was three average searches' work for one misspelt word.

use std::sync::Arc;

use tantivy::query::{AutomatonWeight, DfaWrapper, EnableScoring, FuzzyTermQuery, Query, Weight};
use tantivy::Term;
use tantivy_fst::Automaton;

/// Matches the terms of `term`'s field within `distance` edits of it
/// (a transposition is one edit) that start with its first byte.
#[derive(Clone, Debug)]
pub struct TypoQuery {
    term: Term,
    distance: u8,
}

impl TypoQuery {
    /// `term` must be a text term; an empty one matches nothing.
    pub fn new(term: Term, distance: u8) -> TypoQuery {
        TypoQuery { term, distance }
    }

    /// The automaton this query searches the term dictionary with.
    pub fn automaton(&self) -> tantivy::Result<KeepsFirstByte> {
        let dfa = FuzzyTermQuery::new(self.term.clone(), self.distance, true).automaton()?;
        Ok(KeepsFirstByte {
            first: self.term.serialized_value_bytes().first().copied(),
            dfa,
        })
    }
}

impl Query for TypoQuery {
    fn weight(&self, _scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let automaton = Arc::new(self.automaton()?);
        Ok(Box::new(AutomatonWeight::<KeepsFirstByte>::new(
            self.term.field(),
            automaton,
        )))
    }
}

/// A Levenshtein automaton that also requires the first byte.
pub struct KeepsFirstByte {
    /// `None` for an empty term: nothing matches.
    first: Option<u8>,
    dfa: DfaWrapper,
}

/// Before the first byte (the automaton's states are small numbers).
const START: u32 = u32::MAX;
/// A wrong first byte: no continuation matches.
const DEAD: u32 = u32::MAX - 1;

impl Automaton for KeepsFirstByte {
    type State = u32;

    fn start(&self) -> u32 {
        START
    }

    fn is_match(&self, state: &u32) -> bool {
        !matches!(*state, START | DEAD) && self.dfa.is_match(state)
    }

    fn can_match(&self, state: &u32) -> bool {
        match *state {
            START => self.first.is_some(),
            DEAD => false,
            inner => self.dfa.can_match(&inner),
        }
    }

    fn accept(&self, state: &u32, byte: u8) -> u32 {
        match *state {
            START if Some(byte) == self.first => self.dfa.accept(&self.dfa.start(), byte),
            START | DEAD => DEAD,
            inner => self.dfa.accept(&inner, byte),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::{Schema, STRING};
    use tantivy::{doc, Index, IndexWriter};

    /// The terms of a one-field index that `automaton` accepts.
    fn expand<A>(index: &Index, automaton: A) -> Vec<String>
    where
        A: Automaton,
        A::State: Clone,
    {
        let field = index.schema().get_field("w").unwrap();
        let searcher = index.reader().unwrap().searcher();
        let inverted = searcher.segment_reader(0).inverted_index(field).unwrap();
        let mut stream = inverted.terms().search(automaton).into_stream().unwrap();
        let mut out = Vec::new();
        while stream.advance() {
            out.push(String::from_utf8(stream.key().to_vec()).unwrap());
        }
        out
    }

    fn index_of(words: &[String]) -> Index {
        let mut schema = Schema::builder();
        let w = schema.add_text_field("w", STRING);
        let index = Index::create_in_ram(schema.build());
        let mut writer: IndexWriter = index.writer(15_000_000).unwrap();
        for word in words {
            writer.add_document(doc!(w => word.as_str())).unwrap();
        }
        writer.commit().unwrap();
        index
    }

    #[test]
    fn corrects_a_typo_but_not_in_the_first_letter() {
        let words: Vec<String> = [
            "certificate",
            "certificates",
            "certified",
            "sertificate",
            "cert",
        ]
        .map(String::from)
        .to_vec();
        let index = index_of(&words);
        let w = index.schema().get_field("w").unwrap();
        let typo = TypoQuery::new(Term::from_field_text(w, "certifcate"), 2);
        assert_eq!(
            expand(&index, typo.automaton().unwrap()),
            ["certificate", "certificates"]
        );
        let empty = TypoQuery::new(Term::from_field_text(w, ""), 1);
        assert!(expand(&index, empty.automaton().unwrap()).is_empty());
    }

    #[test]
    fn matches_what_the_full_automaton_matches_with_the_same_first_letter() {
        // Random words over a small alphabet, so many are within two edits
        // of each other, including in the first letter.
        let mut numbers = crate::test_support::numbers(11);
        let mut word =
            |len: usize| -> String { (0..len).map(|_| char::from(b"abcde"[numbers(5)])).collect() };
        let words: Vec<String> = (0..600).map(|i| word(3 + i % 6)).collect();
        let queries: Vec<String> = (0..40).map(|i| word(4 + i % 5)).collect();
        let index = index_of(&words);
        let w = index.schema().get_field("w").unwrap();
        let mut compared = 0;
        for (i, q) in queries.iter().enumerate() {
            let distance = 1 + (i % 2) as u8;
            let term = Term::from_field_text(w, q);
            let full = FuzzyTermQuery::new(term.clone(), distance, true);
            let wanted: Vec<String> = expand(&index, full.automaton().unwrap())
                .into_iter()
                .filter(|t| t.as_bytes()[0] == q.as_bytes()[0])
                .collect();
            let got = expand(&index, TypoQuery::new(term, distance).automaton().unwrap());
            assert_eq!(got, wanted, "query {q}, distance {distance}");
            compared += wanted.len();
        }
        assert!(
            compared > 40,
            "the words should be near each other: {compared}"
        );
    }
}
