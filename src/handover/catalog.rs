//! What readiness needs to know about every document, read either from the
//! index (the server) or from freshly parsed files (`baton check`, which
//! must not depend on an index being current).

use chrono::NaiveDate;
use serde_json::{Map, Value};
use tantivy::collector::DocSetCollector;
use tantivy::query::AllQuery;
use tantivy::schema::Value as _;
use tantivy::TantivyDocument;

use super::{Handover, HandoverError, HANDOVER_KIND};
use crate::document::Document;
use crate::index::BatonIndex;

/// One document as readiness sees it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DocSummary {
    /// Document id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Kind.
    pub kind: String,
    /// Systems (normalised).
    pub systems: Vec<String>,
    /// Owner, if named.
    pub owner: Option<String>,
    /// The kind's "updated" date (UTC day).
    pub updated: Option<NaiveDate>,
    /// Corpus documents it links to.
    pub links: Vec<String>,
    /// Front matter.
    pub meta: Map<String, Value>,
}

impl DocSummary {
    /// Whether it is about `system`.
    pub fn covers(&self, system: &str) -> bool {
        self.systems.iter().any(|s| s == system)
    }

    /// A front-matter value as trimmed text, if it is a non-empty scalar.
    pub fn text(&self, key: &str) -> Option<String> {
        super::scalar(self.meta.get(key)?)
    }

    /// A front-matter date as the day written (an incident at 00:05+08:00
    /// happened on that day, not on the previous UTC one).
    pub fn date(&self, key: &str) -> Option<NaiveDate> {
        let s = self.text(key)?;
        crate::document::parse_date(&s).map(|d| d.date_naive())
    }

    /// From a parsed document.
    pub fn from_document(doc: &Document) -> DocSummary {
        let mut links: Vec<String> = doc
            .links
            .iter()
            .filter_map(|l| l.doc.as_ref().map(|d| d.to_string()))
            .collect();
        links.sort();
        links.dedup();
        let mut summary = DocSummary {
            id: doc.doc_id().to_string(),
            title: doc.title.clone(),
            kind: doc.kind.clone(),
            systems: doc.keyword_values("systems").to_vec(),
            owner: None,
            updated: doc
                .updated
                .map(|d| d.with_timezone(&chrono::Utc).date_naive()),
            links,
            meta: doc.meta.clone(),
        };
        summary.owner = summary.text("owner");
        summary
    }
}

/// Every document of the corpus, by id.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    /// The documents, sorted by id.
    pub docs: Vec<DocSummary>,
}

impl Catalog {
    /// From summaries (sorted here, so results never depend on input order).
    pub fn new(mut docs: Vec<DocSummary>) -> Catalog {
        docs.sort_by(|a, b| a.id.cmp(&b.id));
        Catalog { docs }
    }

    /// Every document stored in the index.
    pub fn from_index(index: &BatonIndex) -> Result<Catalog, HandoverError> {
        Catalog::visible_to(index, &crate::visibility::Viewer::All)
    }

    /// The documents `viewer` may read: handovers, readiness and feedback
    /// computed from it know nothing of the others.
    pub fn visible_to(
        index: &BatonIndex,
        viewer: &crate::visibility::Viewer,
    ) -> Result<Catalog, HandoverError> {
        let searcher = index.reader.searcher();
        let f = &index.fields;
        let mut docs = Vec::new();
        let query: Box<dyn tantivy::query::Query> = index
            .access_filter(viewer)
            .unwrap_or_else(|| Box::new(AllQuery));
        for addr in searcher.search(&*query, &DocSetCollector)? {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let text = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let all = |field| crate::search::all_text(&doc, field);
            let meta =
                serde_json::from_str::<Map<String, Value>>(&text(f.meta)).unwrap_or_default();
            let mut summary = DocSummary {
                id: text(f.id),
                title: text(f.title),
                kind: text(f.kind),
                systems: f
                    .keyword
                    .get("systems")
                    .map(|&k| all(k))
                    .unwrap_or_default(),
                owner: None,
                updated: doc
                    .get_first(f.updated)
                    .and_then(|v| v.as_datetime())
                    .and_then(|d| chrono::DateTime::from_timestamp(d.into_timestamp_secs(), 0))
                    .map(|d| d.date_naive()),
                links: all(f.link_to),
                meta,
            };
            summary.owner = summary.text("owner");
            docs.push(summary);
        }
        Ok(Catalog::new(docs))
    }

    /// The document `id`.
    pub fn get(&self, id: &str) -> Option<&DocSummary> {
        self.docs
            .binary_search_by(|d| d.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.docs[i])
    }

    /// Every handover, by id.
    pub fn handovers(&self) -> Vec<Handover> {
        self.docs
            .iter()
            .filter(|d| d.kind == HANDOVER_KIND)
            .map(Handover::from_summary)
            .collect()
    }

    /// The handover with id or short name `name`.
    pub fn handover(&self, name: &str) -> Option<Handover> {
        let name = name.trim();
        self.handovers().into_iter().find(|h| h.is_named(name))
    }
}
