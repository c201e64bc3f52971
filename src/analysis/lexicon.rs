//! Query-time vocabulary from `index-schema/`: synonym groups and stop words.
//!
//! Both lists are written in plain words (any script) and analysed with the
//! same pipeline as queries, so `資料庫`, `数据库` and `Database` become the
//! terms a query produces. Synonyms are matched on a query's main terms
//! (longest entry first) and expand only the query; the index never changes,
//! so a user can extend either file without a rebuild.

use std::collections::{HashMap, HashSet};

use super::{Analyzer, Mode, Role, Term};

/// Synonym entries longer than this (in terms) are ignored: they are
/// sentences, not names, and would only slow matching down.
const MAX_ENTRY_TERMS: usize = 6;

/// The analysed synonym groups and stop words.
#[derive(Debug, Default)]
pub struct Lexicon {
    stop: HashSet<String>,
    /// Each entry's main terms.
    entries: Vec<Vec<String>>,
    /// The groups each entry belongs to.
    entry_groups: Vec<Vec<usize>>,
    /// Entries of each group.
    groups: Vec<Vec<usize>>,
    /// Entries by their first term.
    by_first: HashMap<String, Vec<usize>>,
}

/// A run of query terms that names a synonym entry, with the other entries
/// of its groups.
#[derive(Debug, Clone, PartialEq)]
pub struct SynonymMatch {
    /// Index of the first main term matched.
    pub start: usize,
    /// Number of main terms matched.
    pub len: usize,
    /// Each alternative's terms (a phrase when more than one).
    pub alternatives: Vec<Vec<String>>,
}

/// The terms that carry a query's words: words and whole identifiers, not
/// their parts or sub-words, and not a whole nested inside the previous one.
pub fn main_terms(terms: &[Term]) -> Vec<&Term> {
    let mut out: Vec<&Term> = Vec::new();
    for t in terms {
        if !matches!(t.role, Role::Word | Role::Whole) {
            continue;
        }
        let nested = out
            .last()
            .is_some_and(|p| t.from >= p.from && t.to <= p.to && t.role == Role::Whole);
        if !nested {
            out.push(t);
        }
    }
    out
}

impl Lexicon {
    /// Analyses `synonyms` (one group per line, entries separated by `,`)
    /// and `stop_words` (whitespace-separated); `#` starts a comment.
    pub fn new(analyzer: &Analyzer, synonyms: &str, stop_words: &str) -> Lexicon {
        let mut lex = Lexicon::default();
        for line in content_lines(stop_words) {
            for word in line.split_whitespace() {
                for t in analyzer.terms(word, Mode::Query) {
                    lex.stop.insert(t.text);
                }
            }
        }
        let mut known: HashMap<Vec<String>, usize> = HashMap::new();
        for line in content_lines(synonyms) {
            let mut group = Vec::new();
            for entry in line.split(',') {
                let terms = analyzer.terms(entry, Mode::Query);
                let main: Vec<String> = main_terms(&terms)
                    .into_iter()
                    .map(|t| t.text.clone())
                    .collect();
                if main.is_empty() || main.len() > MAX_ENTRY_TERMS {
                    continue;
                }
                let id = *known.entry(main.clone()).or_insert_with(|| {
                    lex.entries.push(main);
                    lex.entry_groups.push(Vec::new());
                    lex.entries.len() - 1
                });
                if !group.contains(&id) {
                    group.push(id);
                }
            }
            if group.len() > 1 {
                let g = lex.groups.len();
                for &id in &group {
                    lex.entry_groups[id].push(g);
                }
                lex.groups.push(group);
            }
        }
        for (id, terms) in lex.entries.iter().enumerate() {
            if !lex.entry_groups[id].is_empty() {
                lex.by_first.entry(terms[0].clone()).or_default().push(id);
            }
        }
        lex
    }

    /// Is `term` (analysed) a stop word?
    pub fn is_stop(&self, term: &str) -> bool {
        self.stop.contains(term)
    }

    /// Number of synonym groups.
    pub fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// Synonym matches in a query's main terms, longest entry first, left
    /// to right, not overlapping.
    pub fn matches(&self, seq: &[&str]) -> Vec<SynonymMatch> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < seq.len() {
            match self.longest_entry_at(seq, i) {
                Some(id) => {
                    let len = self.entries[id].len();
                    out.push(SynonymMatch {
                        start: i,
                        len,
                        alternatives: self.alternatives(id),
                    });
                    i += len;
                }
                None => i += 1,
            }
        }
        out
    }

    /// The other entries of the groups of the one-term entry `term`.
    pub fn alternatives_of(&self, term: &str) -> Vec<Vec<String>> {
        self.by_first
            .get(term)
            .into_iter()
            .flatten()
            .find(|&&id| self.entries[id].len() == 1)
            .map(|&id| self.alternatives(id))
            .unwrap_or_default()
    }

    fn longest_entry_at(&self, seq: &[&str], i: usize) -> Option<usize> {
        self.by_first
            .get(seq[i])?
            .iter()
            .copied()
            .filter(|&id| {
                let e = &self.entries[id];
                seq.len() - i >= e.len() && e.iter().zip(&seq[i..]).all(|(a, b)| a == b)
            })
            .max_by_key(|&id| self.entries[id].len())
    }

    fn alternatives(&self, id: usize) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = Vec::new();
        for &g in &self.entry_groups[id] {
            for &other in &self.groups[g] {
                let alt = &self.entries[other];
                if other != id && !out.contains(alt) {
                    out.push(alt.clone());
                }
            }
        }
        out
    }
}

/// Lines without comments and blanks.
fn content_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex() -> Lexicon {
        Lexicon::new(
            &Analyzer::new(),
            "数据库, 資料庫, database, DB\ndead mans switch, watchdog # comment\n",
            "怎么 如何\nthe",
        )
    }

    #[test]
    fn groups_match_across_scripts_and_languages() {
        let l = lex();
        let alts = l.alternatives_of("数据库");
        assert!(alts.contains(&vec!["资料库".to_string()]), "{alts:?}");
        assert!(alts.contains(&vec!["databas".to_string()]), "{alts:?}");
        assert_eq!(l.group_count(), 2);
    }

    #[test]
    fn multi_word_entries_match_longest_first() {
        let l = lex();
        let m = l.matches(&["a", "dead", "man", "switch", "alert"]);
        assert_eq!(m.len(), 1);
        assert_eq!((m[0].start, m[0].len), (1, 3));
        assert_eq!(m[0].alternatives, vec![vec!["watchdog".to_string()]]);
    }

    #[test]
    fn stop_words_are_analysed() {
        let l = lex();
        assert!(l.is_stop("怎么") && l.is_stop("如何") && l.is_stop("the"));
        assert!(!l.is_stop("数据库"));
    }
}
