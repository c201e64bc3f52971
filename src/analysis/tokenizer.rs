//! The pipeline as a tantivy tokenizer, so tantivy indexes and highlights
//! (snippets) with exactly the terms the query builder looks for.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use super::{Analyzer, Mode};

/// tantivy adapter over [`Analyzer`] in index mode.
#[derive(Clone, Default)]
pub struct BatonTokenizer {
    analyzer: Analyzer,
    terms: Vec<super::Term>,
}

impl BatonTokenizer {
    /// An adapter over `analyzer`.
    pub fn new(analyzer: Analyzer) -> Self {
        BatonTokenizer {
            analyzer,
            terms: Vec::new(),
        }
    }
}

/// The tokens of one text.
pub struct BatonTokenStream<'a> {
    terms: &'a [super::Term],
    index: usize,
    token: Token,
}

impl Tokenizer for BatonTokenizer {
    type TokenStream<'a> = BatonTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> BatonTokenStream<'a> {
        self.terms.clear();
        self.analyzer.analyze(text, Mode::Index, &mut self.terms);
        BatonTokenStream {
            terms: &self.terms,
            index: 0,
            token: Token::default(),
        }
    }
}

impl TokenStream for BatonTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let Some(term) = self.terms.get(self.index) else {
            return false;
        };
        self.index += 1;
        self.token.text.clear();
        self.token.text.push_str(&term.text);
        self.token.offset_from = term.from;
        self.token.offset_to = term.to;
        self.token.position = term.position;
        self.token.position_length = 1;
        true
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}
