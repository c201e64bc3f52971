//! Search-as-you-type suggestions: titles, systems and tags that start with
//! (or contain) what was typed, in either Chinese script.
//!
//! The candidate list is built once per index generation (after a commit) and
//! kept in memory, so a suggestion is a scan of a few thousand short strings:
//! well under a millisecond on the sample corpus.

use std::sync::{Arc, Mutex};

use serde::Serialize;
use tantivy::schema::Value;
use tantivy::TantivyDocument;

use crate::analysis::fold::Folded;
use crate::doc_id::DocId;
use crate::index::BatonIndex;
use crate::visibility::Viewer;

/// Suggestions returned at most.
pub const MAX_SUGGESTIONS: usize = 10;

/// Longest prefix considered; suggestions are for short typed input.
const MAX_PREFIX_CHARS: usize = 100;

/// One suggestion.
#[derive(Clone, Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Suggestion {
    /// What to show and insert.
    pub text: String,
    /// `title`, `system` or `tag`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The document's web page, for titles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Clone)]
struct Candidate {
    folded: String,
    suggestion: Suggestion,
    /// Access terms of the documents behind it (any one suffices).
    access: Vec<String>,
}

/// Cached candidates per index generation.
#[derive(Default)]
pub struct Suggester {
    cache: Mutex<Option<(u64, Arc<Vec<Candidate>>)>>,
}

fn fold(s: &str) -> String {
    Folded::new(s).text.to_lowercase()
}

impl Suggester {
    /// Completions for `typed`: prefix matches first, then substring matches.
    pub fn suggest(
        &self,
        index: &BatonIndex,
        typed: &str,
        viewer: &Viewer,
    ) -> Result<Vec<Suggestion>, tantivy::TantivyError> {
        let typed: String = typed.trim().chars().take(MAX_PREFIX_CHARS).collect();
        if typed.is_empty() {
            return Ok(Vec::new());
        }
        let q = fold(&typed);
        let candidates = self.candidates(index)?;
        let visible = candidates.iter().filter(|c| viewer.can_see(&c.access));
        let prefix = visible.clone().filter(|c| c.folded.starts_with(&q));
        let inside = visible.filter(|c| !c.folded.starts_with(&q) && c.folded.contains(&q));
        Ok(prefix
            .chain(inside)
            .take(MAX_SUGGESTIONS)
            .map(|c| c.suggestion.clone())
            .collect())
    }

    fn candidates(&self, index: &BatonIndex) -> Result<Arc<Vec<Candidate>>, tantivy::TantivyError> {
        let searcher = index.reader.searcher();
        let generation = searcher.generation().generation_id();
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((g, c)) = cache.as_ref() {
            if *g == generation {
                return Ok(c.clone());
            }
        }
        let built = Arc::new(build(index, &searcher)?);
        *cache = Some((generation, built.clone()));
        Ok(built)
    }
}

fn build(
    index: &BatonIndex,
    searcher: &tantivy::Searcher,
) -> Result<Vec<Candidate>, tantivy::TantivyError> {
    let f = &index.fields;
    let mut out = Vec::new();
    // A system or tag is suggested to whoever may read a document carrying it.
    let mut keywords: std::collections::BTreeMap<(&str, String), Vec<String>> =
        std::collections::BTreeMap::new();
    for segment in searcher.segment_readers() {
        let store = segment.get_store_reader(64)?;
        for doc_id in segment.doc_ids_alive() {
            let doc: TantivyDocument = store.get(doc_id)?;
            let get = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let (title, id) = (get(f.title), get(f.id));
            let url = DocId::parse(&id).ok().map(|d| d.url());
            let access: Vec<String> = doc
                .get_all(f.access)
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            for (name, kind) in [("systems", "system"), ("tags", "tag")] {
                if let Some(&field) = f.keyword.get(name) {
                    for v in doc.get_all(field).filter_map(|v| v.as_str()) {
                        let terms = keywords.entry((kind, v.to_string())).or_default();
                        for t in &access {
                            if !terms.contains(t) {
                                terms.push(t.clone());
                            }
                        }
                    }
                }
            }
            out.push(Candidate {
                folded: fold(&title),
                suggestion: Suggestion {
                    text: title,
                    kind: "title".into(),
                    url,
                },
                access,
            });
        }
    }
    for ((kind, text), access) in keywords {
        out.push(Candidate {
            folded: fold(&text),
            suggestion: Suggestion {
                text,
                kind: kind.into(),
                url: None,
            },
            access,
        });
    }
    // Shorter first: "核心系統" before "核心系統日終批次作業手冊".
    out.sort_by(|a, b| {
        a.folded
            .chars()
            .count()
            .cmp(&b.folded.chars().count())
            .then(a.folded.cmp(&b.folded))
    });
    Ok(out)
}
