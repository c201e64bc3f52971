//! Per-segment arrays of what a search reads for every match: the ranking
//! factor (kind boost, incident recency) and the facet values.
//!
//! Reading these from tantivy's columnar fast fields costs a decoding step
//! per document and column, and a search reads them for every match (a
//! few thousand): that was a sixth of search time. A segment never changes,
//! so each is read once into plain arrays and kept while it is in use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tantivy::columnar::{Column, StrColumn};
use tantivy::index::SegmentId;
use tantivy::{DocId, Score, Searcher, SegmentReader};

use crate::index::BatonIndex;

/// Kind whose hits get the recency tie-breaker: of two equally relevant
/// past incidents, the recent one is likelier to describe today's system.
const RECENT_KIND: &str = "incident";

/// At most this much is added to an incident's score for being new (a
/// tie-breaker, not a ranking signal).
const RECENCY_WEIGHT: f32 = 0.03;

/// The recency bonus halves every this many days.
const RECENCY_HALF_LIFE_DAYS: f32 = 365.0;

/// Factors are recomputed after this long, so that recency follows the
/// clock (an hour moves a one-year half-life by nothing visible).
const FACTOR_MAX_AGE_SECS: i64 = 3600;

/// The arrays of one segment.
pub struct SegmentColumns {
    /// The segment they are of.
    pub segment: SegmentId,
    /// Relevance is multiplied by this, per document.
    pub factor: Vec<Score>,
    /// One per facet field, in [`ColumnCache`]'s field order.
    pub facets: Vec<FacetColumn>,
    /// Each document's combination of facet values.
    pub combinations: Combinations,
    /// The access terms granting each document.
    access: FacetColumn,
    /// The segment's doc store, for hits (see `stored`), with its own
    /// cache of decompressed blocks.
    pub store: Result<tantivy::store::StoreReader, String>,
    /// The `updated` date column, for hits (opening it by name per hit
    /// cost more than reading the value).
    pub updated: Option<Column<tantivy::DateTime>>,
    /// Which documents a set of access terms sees, per set asked for.
    visible: Mutex<HashMap<Vec<String>, Arc<Vec<bool>>>>,
    /// Where the lexicon's phrases occur, per phrase asked for.
    pub phrases: super::phrase_leaf::Memo,
    built: i64,
}

/// The distinct combinations of facet values in a segment, numbered, and
/// each document's. Documents share a few hundred combinations (a kind, a
/// system or two, some tags), so a match is counted with one increment for
/// its combination, and the counts are spread over the values once per
/// search, instead of an increment per value per match.
pub struct Combinations {
    /// Combination number of each document.
    pub of_doc: Vec<u32>,
    /// The (facet, value ordinal) pairs of each combination.
    pub values: Vec<Vec<(usize, u32)>>,
}

impl Combinations {
    fn of(facets: &[FacetColumn], max_doc: DocId) -> Combinations {
        let mut numbers: HashMap<Vec<(usize, u32)>, u32> = HashMap::new();
        let mut values = Vec::new();
        let of_doc = (0..max_doc)
            .map(|doc| {
                let key: Vec<(usize, u32)> = facets
                    .iter()
                    .enumerate()
                    .flat_map(|(f, column)| column.ords(doc).iter().map(move |&o| (f, o)))
                    .collect();
                *numbers.entry(key).or_insert_with_key(|key| {
                    values.push(key.clone());
                    values.len() as u32 - 1
                })
            })
            .collect();
        Combinations { of_doc, values }
    }

    /// Matches per value of each facet, from the matches per combination.
    pub fn spread(&self, counts: &[u64], facets: &[FacetColumn]) -> Vec<Vec<u64>> {
        let mut per_value: Vec<Vec<u64>> = facets.iter().map(|f| vec![0; f.values.len()]).collect();
        for (values, &n) in self.values.iter().zip(counts).filter(|(_, &n)| n > 0) {
            for &(facet, ord) in values {
                if let Some(c) = per_value
                    .get_mut(facet)
                    .and_then(|c| c.get_mut(ord as usize))
                {
                    *c += n;
                }
            }
        }
        per_value
    }
}

/// Distinct access-term sets remembered per segment (anonymous, internal
/// staff, each team mix); past this the memo starts over.
const MAX_VISIBILITY_SETS: usize = 256;

impl SegmentColumns {
    /// For each document, whether a viewer with these access terms sees it.
    pub fn visible(&self, terms: &[String]) -> Arc<Vec<bool>> {
        let mut memo = self.visible.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(v) = memo.get(terms) {
            return v.clone();
        }
        let granted: Vec<bool> = self
            .access
            .values
            .iter()
            .map(|v| terms.contains(v))
            .collect();
        let docs = self.access.offsets.len().saturating_sub(1) as DocId;
        let flags: Arc<Vec<bool>> = Arc::new(
            (0..docs)
                .map(|d| self.access.ords(d).iter().any(|&o| granted[o as usize]))
                .collect(),
        );
        if memo.len() >= MAX_VISIBILITY_SETS {
            memo.clear();
        }
        memo.insert(terms.to_vec(), flags.clone());
        flags
    }
}

/// The values of one keyword field, per document.
pub struct FacetColumn {
    /// Value text by ordinal.
    pub values: Vec<String>,
    /// Document `d`'s ordinals are `ords[offsets[d]..offsets[d + 1]]`.
    offsets: Vec<u32>,
    ords: Vec<u32>,
}

impl FacetColumn {
    /// Value ordinals of `doc`.
    pub fn ords(&self, doc: DocId) -> &[u32] {
        let d = doc as usize;
        match (self.offsets.get(d), self.offsets.get(d + 1)) {
            (Some(&from), Some(&to)) => &self.ords[from as usize..to as usize],
            _ => &[],
        }
    }

    fn read(column: Option<StrColumn>, max_doc: DocId) -> FacetColumn {
        let mut out = FacetColumn {
            values: Vec::new(),
            offsets: vec![0],
            ords: Vec::new(),
        };
        let Some(column) = column else {
            out.offsets.resize(max_doc as usize + 1, 0);
            return out;
        };
        let mut buf = String::new();
        for ord in 0..column.num_terms() as u64 {
            buf.clear();
            let known = column.ord_to_str(ord, &mut buf).unwrap_or(false);
            out.values
                .push(if known { buf.clone() } else { String::new() });
        }
        for doc in 0..max_doc {
            out.ords.extend(column.term_ords(doc).map(|o| o as u32));
            out.offsets.push(out.ords.len() as u32);
        }
        out
    }
}

/// The arrays of the segments in use, built on first use; clones share them.
#[derive(Clone, Default)]
pub struct ColumnCache {
    segments: Arc<Mutex<HashMap<SegmentId, Arc<SegmentColumns>>>>,
}

impl ColumnCache {
    /// The arrays of each of `searcher`'s segments, by segment ordinal.
    /// `facets` names the keyword fast fields to read.
    pub fn for_searcher(
        &self,
        index: &BatonIndex,
        searcher: &Searcher,
        facets: &[&str],
    ) -> Vec<Arc<SegmentColumns>> {
        let now = chrono::Utc::now().timestamp();
        let readers = searcher.segment_readers();
        let mut segments = self.segments.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::with_capacity(readers.len());
        let mut built_any = false;
        for reader in readers {
            let fresh = segments
                .get(&reader.segment_id())
                .filter(|c| now - c.built < FACTOR_MAX_AGE_SECS && c.facets.len() == facets.len())
                .cloned();
            let columns = fresh.unwrap_or_else(|| {
                built_any = true;
                let built = Arc::new(build(index, reader, facets, now));
                segments.insert(reader.segment_id(), built.clone());
                built
            });
            out.push(columns);
        }
        if built_any {
            // A new segment came with a commit or merge: forget the ones
            // this generation no longer has (an older searcher still in use
            // would just build them again).
            segments.retain(|id, _| readers.iter().any(|r| r.segment_id() == *id));
        }
        out
    }
}

fn build(index: &BatonIndex, reader: &SegmentReader, facets: &[&str], now: i64) -> SegmentColumns {
    let fast = reader.fast_fields();
    let facets: Vec<FacetColumn> = facets
        .iter()
        .map(|name| FacetColumn::read(fast.str(name).ok().flatten(), reader.max_doc()))
        .collect();
    SegmentColumns {
        segment: reader.segment_id(),
        phrases: Default::default(),
        combinations: Combinations::of(&facets, reader.max_doc()),
        factor: factors(index, reader, now),
        access: FacetColumn::read(fast.str("access").ok().flatten(), reader.max_doc()),
        visible: Mutex::default(),
        store: reader
            .get_store_reader(crate::index::DOC_STORE_CACHE_BLOCKS)
            .map_err(|e| e.to_string()),
        updated: fast.date("updated").ok(),
        facets,
        built: now,
    }
}

/// The kind's schema boost; incidents also nudged up by how recent they are.
fn factors(index: &BatonIndex, reader: &SegmentReader, now: i64) -> Vec<Score> {
    let max_doc = reader.max_doc();
    let Some(kinds) = reader.fast_fields().str("kind").ok().flatten() else {
        return vec![1.0; max_doc as usize];
    };
    let dates = reader.fast_fields().date("updated").ok();
    // Kind boosts by term ordinal of this segment's kind column.
    let mut by_ord = vec![1.0f32; kinds.num_terms()];
    let mut recent_ord = None;
    for (name, kind) in &index.schema.kinds {
        if let Ok(Some(ord)) = kinds.dictionary().term_ord(name) {
            if let Some(slot) = by_ord.get_mut(ord as usize) {
                *slot = kind.boost;
            }
            if name == RECENT_KIND {
                recent_ord = Some(ord);
            }
        }
    }
    (0..max_doc)
        .map(|doc| {
            let Some(ord) = kinds.term_ords(doc).next() else {
                return 1.0;
            };
            let factor = by_ord.get(ord as usize).copied().unwrap_or(1.0);
            let updated = dates.as_ref().and_then(|d| d.first(doc));
            match updated {
                Some(updated) if Some(ord) == recent_ord => {
                    let age_days = (now - updated.into_timestamp_secs()).max(0) as f32 / 86_400.0;
                    factor * (1.0 + RECENCY_WEIGHT * 0.5f32.powf(age_days / RECENCY_HALF_LIFE_DAYS))
                }
                _ => factor,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A column from each document's value ordinals.
    fn column(values: usize, docs: &[Vec<u32>]) -> FacetColumn {
        let mut out = FacetColumn {
            values: (0..values).map(|v| format!("v{v}")).collect(),
            offsets: vec![0],
            ords: Vec::new(),
        };
        for ords in docs {
            out.ords.extend(ords);
            out.offsets.push(out.ords.len() as u32);
        }
        out
    }

    #[test]
    fn counting_combinations_counts_every_value() {
        let mut numbers = crate::test_support::numbers(3);
        let docs = 500;
        // A single-valued facet, and two multi-valued ones (often empty).
        let facets: Vec<FacetColumn> = [(4, 1), (6, 3), (9, 4)]
            .iter()
            .map(|&(values, most)| {
                let per_doc: Vec<Vec<u32>> = (0..docs)
                    .map(|_| {
                        let n = if most == 1 { 1 } else { numbers(most + 1) };
                        let mut ords: Vec<u32> = (0..n).map(|_| numbers(values) as u32).collect();
                        ords.sort_unstable();
                        ords.dedup();
                        ords
                    })
                    .collect();
                column(values, &per_doc)
            })
            .collect();
        let combinations = Combinations::of(&facets, docs as DocId);
        assert!(
            combinations.values.len() < docs,
            "documents share combinations"
        );
        for _ in 0..20 {
            let matches: Vec<DocId> = (0..docs as DocId).filter(|_| numbers(3) == 0).collect();
            let direct: Vec<Vec<u64>> = facets
                .iter()
                .map(|f| {
                    let mut counts = vec![0u64; f.values.len()];
                    for &d in &matches {
                        for &o in f.ords(d) {
                            counts[o as usize] += 1;
                        }
                    }
                    counts
                })
                .collect();
            let mut per_combination = vec![0u64; combinations.values.len()];
            for &d in &matches {
                per_combination[combinations.of_doc[d as usize] as usize] += 1;
            }
            assert_eq!(combinations.spread(&per_combination, &facets), direct);
        }
    }
}
