//! Related articles for one document: explicit links (both directions),
//! shared systems and tags, and textual similarity (tantivy's MoreLikeThis),
//! combined into one score. Each hit says why it was chosen.

use std::collections::HashMap;

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, MoreLikeThisQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, OwnedValue, Value};
use tantivy::{DocAddress, Searcher, TantivyDocument, Term};

use super::{all_text, hit, Hit, SearchError};
use crate::doc_id::DocId;
use crate::index::BatonIndex;
use crate::visibility::Viewer;

/// Candidates taken from each source before combining.
const CANDIDATES: usize = 30;

/// Weight of an explicit link: the author said these belong together.
const LINK_WEIGHT: f32 = 3.0;
/// Weight of the most similar text; others scale down from it.
const SIMILAR_WEIGHT: f32 = 2.0;
/// Weight of each shared system.
const SYSTEM_WEIGHT: f32 = 0.75;
/// Weight of each shared tag.
const TAG_WEIGHT: f32 = 0.5;

/// A related document with the reasons it was chosen.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RelatedHit {
    /// The document, as in search results.
    #[serde(flatten)]
    pub hit: Hit,
    /// Why it is related, most important first (e.g. "linked from this document").
    pub reasons: Vec<String>,
}

/// The address of the document `id`, if indexed.
pub fn find(
    index: &BatonIndex,
    searcher: &Searcher,
    id: &DocId,
) -> Result<Option<DocAddress>, SearchError> {
    find_visible(searcher, index, id, &None)
}

/// [`find`], for a document that passes `visible` (an access filter).
fn find_visible(
    searcher: &Searcher,
    index: &BatonIndex,
    id: &DocId,
    visible: &Option<Box<dyn Query>>,
) -> Result<Option<DocAddress>, SearchError> {
    let q = TermQuery::new(
        Term::from_field_text(index.fields.id, id.as_str()),
        IndexRecordOption::Basic,
    );
    let q = restrict(Box::new(q), visible);
    Ok(searcher
        .search(&*q, &TopDocs::with_limit(1).order_by_score())?
        .first()
        .map(|(_, a)| *a))
}

/// `q` limited to what passes `visible`.
fn restrict(q: Box<dyn Query>, visible: &Option<Box<dyn Query>>) -> Box<dyn Query> {
    match visible {
        None => q,
        Some(v) => Box::new(BooleanQuery::new(vec![
            (Occur::Must, q),
            (Occur::Must, v.box_clone()),
        ])),
    }
}

#[derive(Default)]
struct Candidate {
    score: f32,
    reasons: Vec<String>,
}

/// Documents related to `id` that `viewer` may read, best first; `None`
/// when `id` is not indexed or not visible to `viewer`.
pub fn related(
    index: &BatonIndex,
    id: &DocId,
    limit: usize,
    viewer: &Viewer,
) -> Result<Option<Vec<RelatedHit>>, SearchError> {
    let searcher = index.reader.searcher();
    let visible = index.access_filter(viewer);
    let Some(addr) = find_visible(&searcher, index, id, &visible)? else {
        return Ok(None);
    };
    let doc: TantivyDocument = searcher.doc(addr)?;
    let f = &index.fields;
    let mut found: HashMap<DocAddress, Candidate> = HashMap::new();
    let mut add = |a: DocAddress, score: f32, reason: String| {
        let c = found.entry(a).or_default();
        c.score += score;
        if !c.reasons.contains(&reason) {
            c.reasons.push(reason);
        }
    };

    for target in all_text(&doc, f.link_to) {
        if let Ok(Some(a)) = DocId::parse(&target)
            .map(|t| find_visible(&searcher, index, &t, &visible))
            .unwrap_or(Ok(None))
        {
            add(a, LINK_WEIGHT, "linked from this document".into());
        }
    }
    for (_, a) in term_matches(&searcher, f.link_to, &[id.to_string()], &visible)? {
        add(a, LINK_WEIGHT, "links to this document".into());
    }
    for (field, weight, label) in [
        ("systems", SYSTEM_WEIGHT, "same system"),
        ("tags", TAG_WEIGHT, "shared tag"),
    ] {
        let Some(&kw) = f.keyword.get(field) else {
            continue;
        };
        for value in all_text(&doc, kw) {
            for (_, a) in term_matches(&searcher, kw, std::slice::from_ref(&value), &visible)? {
                add(a, weight, format!("{label}: {value}"));
            }
        }
    }
    let similar = MoreLikeThisQuery::builder()
        .with_min_doc_frequency(1)
        .with_min_term_frequency(1)
        .with_max_query_terms(30)
        .with_document_fields(similarity_text(index, &doc));
    let similar = restrict(Box::new(similar), &visible);
    let similar = searcher.search(&*similar, &TopDocs::with_limit(CANDIDATES).order_by_score())?;
    let best = similar
        .first()
        .map(|(s, _)| *s)
        .unwrap_or(1.0)
        .max(f32::EPSILON);
    for (score, a) in similar {
        add(a, SIMILAR_WEIGHT * score / best, "similar text".into());
    }

    found.remove(&addr);
    let mut ranked: Vec<(DocAddress, Candidate)> = found.into_iter().collect();
    ranked.sort_by(|a, b| b.1.score.total_cmp(&a.1.score).then(a.0.cmp(&b.0)));
    let stores = super::segment_columns(index, &searcher);
    ranked
        .into_iter()
        .take(limit)
        .map(|(a, c)| {
            Ok(RelatedHit {
                hit: hit(index, &stores, a, c.score, None)?,
                reasons: c.reasons,
            })
        })
        .collect::<Result<Vec<_>, SearchError>>()
        .map(Some)
}

/// The document's title, headings and body as values of the `all` field:
/// similarity is judged on the same words and statistics search uses.
fn similarity_text(index: &BatonIndex, doc: &TantivyDocument) -> Vec<(Field, Vec<OwnedValue>)> {
    let f = &index.fields;
    let values = [f.title, f.headings, f.body]
        .into_iter()
        .filter_map(|field| doc.get_first(field).and_then(|v| v.as_str()))
        .map(|s| OwnedValue::Str(s.to_string()))
        .collect();
    vec![(f.all, values)]
}

/// Documents whose exact `field` holds any of `values`.
fn term_matches(
    searcher: &Searcher,
    field: Field,
    values: &[String],
    visible: &Option<Box<dyn Query>>,
) -> Result<Vec<(f32, DocAddress)>, SearchError> {
    let clauses: Vec<(Occur, Box<dyn Query>)> = values
        .iter()
        .map(|v| {
            let q = TermQuery::new(Term::from_field_text(field, v), IndexRecordOption::Basic);
            (Occur::Should, Box::new(q) as Box<dyn Query>)
        })
        .collect();
    let q = restrict(Box::new(BooleanQuery::new(clauses)), visible);
    Ok(searcher.search(&*q, &TopDocs::with_limit(CANDIDATES).order_by_score())?)
}
