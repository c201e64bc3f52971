//! User text -> tantivy query. Never fails: any text is a query, possibly one
//! that matches nothing (DESIGN principle 6).
//!
//! Each analysed term becomes a should-clause over every searchable field,
//! weighted by the field's boost and by the term's role: whole words and
//! identifiers count fully, identifier parts and Han sub-words less, so the
//! exact word or identifier ranks above documents that only share a piece.

use std::collections::HashSet;

use tantivy::query::{BooleanQuery, BoostQuery, DisjunctionMaxQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::Term;

use crate::analysis::{Mode, Role};
use crate::index::BatonIndex;

/// Longest query text analysed; longer input is truncated, not refused.
/// 2,000 characters is a pasted stack trace; more is noise.
pub const MAX_QUERY_CHARS: usize = 2000;

/// Most distinct terms used from one query, to bound the work a paste causes.
const MAX_QUERY_TERMS: usize = 64;

/// Weight of a term by its role.
fn role_weight(role: Role) -> f32 {
    match role {
        Role::Word => 1.0,
        // An identifier (error code, metric, exception) is the most specific
        // thing a user can type; it outweighs an ordinary word.
        Role::Whole => 1.5,
        Role::Part => 0.5,
        Role::SubWord => 0.3,
    }
}

/// The searchable fields with their boosts.
pub fn searchable_fields(index: &BatonIndex) -> Vec<(Field, f32)> {
    let s = &index.schema;
    let f = &index.fields;
    let mut out = vec![
        (f.title, s.boosts.title),
        (f.headings, s.boosts.headings),
        (f.body, s.boosts.body),
        (f.path, s.boosts.path),
    ];
    for (name, &field) in f.keyword_text.iter().chain(&f.text) {
        if let Some(def) = s.fields.get(name) {
            if def.boost > 0.0 {
                out.push((field, def.boost));
            }
        }
    }
    out
}

/// Truncates to [`MAX_QUERY_CHARS`] characters.
pub fn truncate_query(q: &str) -> &str {
    match q.char_indices().nth(MAX_QUERY_CHARS) {
        Some((i, _)) => &q[..i],
        None => q,
    }
}

/// The text query for `q`, or `None` when it has no searchable terms.
pub fn text_query(index: &BatonIndex, q: &str) -> Option<Box<dyn Query>> {
    let terms = index.analyzer.terms(truncate_query(q), Mode::Query);
    let fields = searchable_fields(index);
    let mut seen = HashSet::new();
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for term in terms {
        if !seen.insert(term.text.clone()) {
            continue;
        }
        if seen.len() > MAX_QUERY_TERMS {
            break;
        }
        let per_field: Vec<Box<dyn Query>> = fields
            .iter()
            .map(|&(field, boost)| {
                let tq = TermQuery::new(
                    Term::from_field_text(field, &term.text),
                    IndexRecordOption::WithFreqs,
                );
                Box::new(BoostQuery::new(Box::new(tq), boost)) as Box<dyn Query>
            })
            .collect();
        // The best field counts fully, the others a little: a title match
        // should not be outscored by the same word repeated in five fields.
        let best_field = DisjunctionMaxQuery::with_tie_breaker(per_field, 0.2);
        clauses.push((
            Occur::Should,
            Box::new(BoostQuery::new(
                Box::new(best_field),
                role_weight(term.role),
            )),
        ));
    }
    if clauses.is_empty() {
        None
    } else {
        Some(Box::new(BooleanQuery::new(clauses)))
    }
}
