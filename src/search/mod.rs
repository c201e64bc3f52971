//! Search: request -> tantivy query with filters -> ranked hits, facet counts
//! and highlighted snippets. [`SearchResponse`] is exactly the JSON of
//! `GET /api/search` (DESIGN.md), so the CLI and the HTTP layer share it.

pub mod bonus;
pub mod cache;
pub mod columns;
pub mod dictionaries;
pub mod evaluate;
mod exclusion;
pub mod facets;
pub mod parse;
pub mod phrase_leaf;
pub mod query;
pub mod related;
pub mod segment;
pub mod snippet;
pub mod stored;
pub mod suggest;
pub mod term_leaf;
pub mod typo;

use std::ops::Bound;
use std::time::Instant;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{DateTime, DocAddress, Order, Searcher, TantivyDocument, Term};

use crate::doc_id::DocId;
use crate::document::normalize_keyword;
use crate::index::BatonIndex;
use evaluate::TopK;
use facets::{FacetCounts, Facets};

/// Largest page size; bigger pages are capped, not refused.
pub const MAX_LIMIT: usize = 100;

/// Page size when none is given.
pub const DEFAULT_LIMIT: usize = 10;

/// How results are ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Best match first.
    #[default]
    Relevance,
    /// Most recently updated first.
    Updated,
}

impl std::str::FromStr for Sort {
    type Err = SearchError;
    fn from_str(s: &str) -> Result<Sort, SearchError> {
        match s {
            "relevance" | "" => Ok(Sort::Relevance),
            "updated" => Ok(Sort::Updated),
            other => Err(SearchError::invalid(
                "sort",
                format!("'{other}' is not one of: relevance, updated"),
            )),
        }
    }
}

/// A search request. Filters OR within a field and AND across fields.
#[derive(Clone, Debug, Default)]
pub struct SearchRequest {
    /// What the user typed.
    pub q: String,
    /// Kinds to keep.
    pub kinds: Vec<String>,
    /// Systems to keep.
    pub systems: Vec<String>,
    /// Tags to keep.
    pub tags: Vec<String>,
    /// Updated on or after this day.
    pub from: Option<NaiveDate>,
    /// Updated on or before this day.
    pub to: Option<NaiveDate>,
    /// Order of hits.
    pub sort: Sort,
    /// Page size (capped at [`MAX_LIMIT`]).
    pub limit: usize,
    /// Hits to skip.
    pub offset: usize,
    /// Whose search it is: only documents they may read exist for it.
    /// The HTTP layer always sets the caller; the default (everything) is
    /// for local tools.
    pub viewer: crate::visibility::Viewer,
}

impl SearchRequest {
    /// A relevance search for `q` with the default page size.
    pub fn new(q: &str) -> SearchRequest {
        SearchRequest {
            q: q.to_string(),
            limit: DEFAULT_LIMIT,
            ..SearchRequest::default()
        }
    }
}

/// One result.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Hit {
    /// Document id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Kind.
    pub kind: String,
    /// Systems.
    pub systems: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Updated date (YYYY-MM-DD), if known.
    pub updated: Option<String>,
    /// Relevance score (0 when sorted by date).
    pub score: f32,
    /// HTML-escaped text with `<mark>` around matches.
    pub snippet: String,
    /// The document's web page.
    pub url: String,
    /// For a recording: the segment or transcript cue the query matched,
    /// so the hit can open the recording at that moment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<segment::SegmentHit>,
}

/// The search result, shaped as `GET /api/search`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct SearchResponse {
    /// The query as used (after truncation).
    pub query: String,
    /// Number of matching documents.
    pub total: usize,
    /// Time taken, milliseconds.
    pub took_ms: f64,
    /// This page of hits.
    pub hits: Vec<Hit>,
    /// Counts per kind, system and tag over all matches.
    pub facets: Facets,
}

/// Search failures: invalid structured parameters, or an index fault.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// A structured parameter is invalid; the message says how to fix it.
    #[error("invalid {param}: {message}")]
    InvalidParam {
        /// The parameter name.
        param: String,
        /// What is wrong.
        message: String,
    },
    /// The index failed.
    #[error("search failed: {0}")]
    Index(#[from] tantivy::TantivyError),
}

impl SearchError {
    /// An invalid-parameter error.
    pub fn invalid(param: &str, message: impl Into<String>) -> SearchError {
        SearchError::InvalidParam {
            param: param.to_string(),
            message: message.into(),
        }
    }
}

/// Parses a `from`/`to` date parameter.
pub fn parse_day(param: &str, value: &str) -> Result<NaiveDate, SearchError> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| {
        SearchError::invalid(param, format!("'{value}' is not a date; use YYYY-MM-DD"))
    })
}

/// Runs `req` against `index`.
pub fn search(index: &BatonIndex, req: &SearchRequest) -> Result<SearchResponse, SearchError> {
    search_on(index, &index.reader.searcher(), req)
}

/// [`search`], answered from `cache` when the same request met the same
/// index generation before.
pub fn search_cached(
    index: &BatonIndex,
    cache: &cache::SearchCache,
    req: &SearchRequest,
) -> Result<SearchResponse, SearchError> {
    let started = Instant::now();
    let searcher = index.reader.searcher();
    let generation = searcher.generation().generation_id();
    if let Some(hit) = cache.get(generation, req) {
        return Ok(finish(SearchResponse::clone(&hit), started));
    }
    let response = search_on(index, &searcher, req)?;
    // A disabled cache keeps nothing: no copy for it.
    if cache.is_enabled() {
        cache.put(generation, req, std::sync::Arc::new(response.clone()));
    }
    Ok(response)
}

/// [`search`] on a given searcher (one index generation).
fn search_on(
    index: &BatonIndex,
    searcher: &Searcher,
    req: &SearchRequest,
) -> Result<SearchResponse, SearchError> {
    let started = Instant::now();
    if let (Some(from), Some(to)) = (req.from, req.to) {
        if from > to {
            return Err(SearchError::invalid(
                "from",
                format!("{from} is after to={to}"),
            ));
        }
    }
    let q = query::truncate_query(&req.q).to_string();
    let parsed = parse::parse(&q);
    let plan = query::plan(index, searcher, &parsed);
    let mut response = SearchResponse {
        query: q,
        total: 0,
        took_ms: 0.0,
        hits: Vec::new(),
        facets: Facets::new(),
    };
    if plan.query.is_none() && !plan.no_text {
        // Nothing searchable (only punctuation or symbols): an empty list.
        response.facets = empty_facets(index);
        return Ok(finish(response, started));
    }
    let mut queries = filter_clauses(index, req);
    queries.extend(inline_filters(index, &parsed));
    let mut text = plan.query.unwrap_or_default();
    let limit = req.limit.clamp(1, MAX_LIMIT);
    let facet_collector = facet_collector(index, searcher);
    let columns = facet_collector.columns.clone();
    // The access filter as cached per-document flags, not a query.
    let visible: Option<Vec<_>> = req
        .viewer
        .terms()
        .map(|terms| columns.iter().map(|c| c.visible(&terms)).collect());
    let filters = evaluate::Filters {
        queries,
        visible: visible
            .as_ref()
            .map(|v| v.iter().map(|flags| &flags[..]).collect()),
    };
    let sort = if plan.no_text {
        Sort::Updated
    } else {
        req.sort
    };
    let addresses: Vec<(f32, DocAddress)> = match sort {
        Sort::Relevance => {
            // Scores come multiplied by the ranking factor.
            let top = TopDocs::with_limit(limit)
                .and_offset(req.offset)
                .order_by_score();
            let k = TopK {
                k: req.offset.saturating_add(limit),
                factors: columns.iter().map(|c| &c.factor[..]).collect(),
            };
            let collector = (top, Count, facet_collector);
            let (top, total, facets) =
                evaluate::search(searcher, &text, &filters, Some(&k), &collector)?;
            response.total = total;
            response.facets = facets;
            top
        }
        Sort::Updated => {
            let top = TopDocs::with_limit(limit)
                .and_offset(req.offset)
                .order_by_fast_field::<DateTime>("updated", Order::Desc);
            // Scores do not order these hits, so bonuses are not worth checking.
            text.bonus.clear();
            let collector = (top, Count, facet_collector);
            let (top, total, facets) =
                evaluate::search(searcher, &text, &filters, None, &collector)?;
            response.total = total;
            response.facets = facets;
            top.into_iter().map(|(_, addr)| (0.0, addr)).collect()
        }
    };
    for (score, addr) in addresses {
        response
            .hits
            .push(hit(index, &columns, addr, score, Some(&plan.highlight))?);
    }
    Ok(finish(response, started))
}

/// Filters typed into the query (`kind:runbook system:core-banking`),
/// AND-ed with the request's own.
fn inline_filters(index: &BatonIndex, parsed: &parse::ParsedQuery) -> Vec<Box<dyn Query>> {
    let inline = SearchRequest {
        kinds: parsed.kinds.clone(),
        systems: parsed.systems.clone(),
        tags: parsed.tags.clone(),
        ..SearchRequest::default()
    };
    filter_clauses(index, &inline)
}

fn finish(mut response: SearchResponse, started: Instant) -> SearchResponse {
    response.took_ms = (started.elapsed().as_secs_f64() * 1000.0 * 100.0).round() / 100.0;
    response
}

/// Facet name in the response and keyword fast field, per facet.
fn facet_fields(index: &BatonIndex) -> Vec<(String, String)> {
    let mut fields = vec![("kind".to_string(), "kind".to_string())];
    for name in index.schema.facet_fields() {
        fields.push((name.to_string(), format!("kw_{name}")));
    }
    fields
}

fn facet_collector(index: &BatonIndex, searcher: &Searcher) -> FacetCounts {
    FacetCounts {
        columns: segment_columns(index, searcher),
        names: facet_fields(index)
            .into_iter()
            .map(|(name, _)| name)
            .collect(),
    }
}

/// The cached per-segment arrays (and doc stores) of `searcher`'s segments.
pub(crate) fn segment_columns(
    index: &BatonIndex,
    searcher: &Searcher,
) -> Vec<std::sync::Arc<columns::SegmentColumns>> {
    let fields = facet_fields(index);
    let fast: Vec<&str> = fields.iter().map(|(_, f)| f.as_str()).collect();
    index.columns.for_searcher(index, searcher, &fast)
}

fn empty_facets(index: &BatonIndex) -> Facets {
    facet_fields(index)
        .into_iter()
        .map(|(name, _)| (name, Default::default()))
        .collect()
}

/// One must-clause per filtered field; values within a field are OR-ed.
/// (Access is not among them: see `visible` in [`search_on`].)
fn filter_clauses(index: &BatonIndex, req: &SearchRequest) -> Vec<Box<dyn Query>> {
    let f = &index.fields;
    let mut out = Vec::new();
    let groups: [(Option<Field>, &Vec<String>, bool); 3] = [
        (Some(f.kind), &req.kinds, false),
        (f.keyword.get("systems").copied(), &req.systems, true),
        (f.keyword.get("tags").copied(), &req.tags, true),
    ];
    for (field, values, normalize) in groups {
        let (Some(field), false) = (field, values.is_empty()) else {
            continue;
        };
        let any: Vec<(Occur, Box<dyn Query>)> = values
            .iter()
            .map(|v| {
                let v = if normalize {
                    normalize_keyword(v, true)
                } else {
                    v.trim().to_string()
                };
                let tq = TermQuery::new(Term::from_field_text(field, &v), IndexRecordOption::Basic);
                (Occur::Should, Box::new(tq) as Box<dyn Query>)
            })
            .collect();
        out.push(Box::new(BooleanQuery::new(any)) as Box<dyn Query>);
    }
    if req.from.is_some() || req.to.is_some() {
        let day = |d: NaiveDate| {
            let secs = d
                .and_hms_opt(0, 0, 0)
                .map(|t| t.and_utc().timestamp())
                .unwrap_or(0);
            Term::from_field_date_for_search(f.updated, DateTime::from_timestamp_secs(secs))
        };
        let lower = req
            .from
            .map(|d| Bound::Included(day(d)))
            .unwrap_or(Bound::Unbounded);
        let upper = req
            .to
            .and_then(|d| d.checked_add_days(Days::new(1)))
            .map(|d| Bound::Excluded(day(d)))
            .unwrap_or(Bound::Unbounded);
        out.push(Box::new(RangeQuery::new(lower, upper)));
    }
    out
}

pub(crate) fn hit(
    index: &BatonIndex,
    stores: &[std::sync::Arc<columns::SegmentColumns>],
    addr: DocAddress,
    score: f32,
    highlight: Option<&std::collections::HashMap<String, f32>>,
) -> Result<Hit, SearchError> {
    let Some(columns) = stores.get(addr.segment_ord as usize) else {
        return Err(internal(format!("no segment {}", addr.segment_ord)));
    };
    let store = match &columns.store {
        Ok(store) => store,
        Err(e) => return Err(internal(format!("doc store: {e}"))),
    };
    let doc = stored::StoredDoc::read(store, addr.doc_id)?;
    let f = &index.fields;
    let all = |name: &str| match f.keyword.get(name) {
        Some(&field) => doc.texts(field),
        None => Ok(Vec::new()),
    };
    let (systems, tags) = (all("systems")?, all("tags")?);
    let id = doc.text(f.id)?;
    // The body stays bytes: only the passage shown is validated.
    let body = doc.raw_text(f.body);
    let snippet = match highlight {
        Some(terms) => snippet::snippet(&index.analyzer, body, terms),
        None => snippet::lead(body),
    };
    let url = DocId::parse(&id).map(|d| d.url()).unwrap_or_default();
    let segment = highlight.and_then(|terms| {
        let segments: Vec<crate::document::transcript::Segment> =
            serde_json::from_slice(doc.raw_text(f.segments)).ok()?;
        segment::best(&index.analyzer, &segments, terms)
    });
    // The stored date is the fast field's value; the column is read as is.
    let updated = columns
        .updated
        .as_ref()
        .and_then(|column| column.first(addr.doc_id));
    Ok(Hit {
        segment,
        title: doc.text(f.title)?,
        kind: doc.text(f.kind)?,
        systems,
        tags,
        updated: updated.map(format_day),
        score,
        snippet,
        url,
        id,
    })
}

fn internal(message: String) -> SearchError {
    SearchError::Index(tantivy::TantivyError::InternalError(message))
}

pub(crate) fn all_text(doc: &TantivyDocument, field: Field) -> Vec<String> {
    doc.get_all(field)
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// YYYY-MM-DD of a stored date.
pub fn format_day(d: DateTime) -> String {
    chrono::DateTime::from_timestamp(d.into_timestamp_secs(), 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}
