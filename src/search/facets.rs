//! Facet counts over the whole result set, from the segments' keyword
//! columns (see [`super::columns`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use super::columns::SegmentColumns;

/// Counts the values of several keyword fields among matching documents.
pub struct FacetCounts {
    /// Facet names in the response, in the order of the columns' facets.
    pub names: Vec<String>,
    /// Each segment's columns, by segment ordinal.
    pub columns: Vec<Arc<SegmentColumns>>,
}

/// Per-segment counting state: matches per combination of facet values
/// (see [`super::columns::Combinations`]).
pub struct SegmentFacetCounts {
    names: Vec<String>,
    columns: Arc<SegmentColumns>,
    counts: Vec<u64>,
}

/// Counts per facet name per value.
pub type Facets = BTreeMap<String, BTreeMap<String, u64>>;

impl FacetCounts {
    /// Every facet, with no value counted.
    pub fn empty(&self) -> Facets {
        self.names
            .iter()
            .map(|name| (name.clone(), BTreeMap::new()))
            .collect()
    }
}

impl Collector for FacetCounts {
    type Fruit = Facets;
    type Child = SegmentFacetCounts;

    fn for_segment(
        &self,
        ord: SegmentOrdinal,
        _: &SegmentReader,
    ) -> tantivy::Result<SegmentFacetCounts> {
        let columns = self.columns.get(ord as usize).cloned().ok_or_else(|| {
            tantivy::TantivyError::InternalError(format!("no columns for segment {ord}"))
        })?;
        let counts = vec![0; columns.combinations.values.len()];
        Ok(SegmentFacetCounts {
            names: self.names.clone(),
            columns,
            counts,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Facets>) -> tantivy::Result<Facets> {
        let mut merged = self.empty();
        for fruit in fruits {
            for (name, values) in fruit {
                let target = merged.entry(name).or_default();
                for (value, n) in values {
                    *target.entry(value).or_default() += n;
                }
            }
        }
        Ok(merged)
    }
}

impl SegmentCollector for SegmentFacetCounts {
    type Fruit = Facets;

    fn collect(&mut self, doc: DocId, _: Score) {
        let combination = self.columns.combinations.of_doc.get(doc as usize);
        if let Some(c) = combination.and_then(|&c| self.counts.get_mut(c as usize)) {
            *c += 1;
        }
    }

    fn harvest(self) -> Facets {
        let per_value = self
            .columns
            .combinations
            .spread(&self.counts, &self.columns.facets);
        let mut out = Facets::new();
        for ((name, column), counts) in self.names.iter().zip(&self.columns.facets).zip(&per_value)
        {
            let values = out.entry(name.clone()).or_default();
            for (value, &n) in column.values.iter().zip(counts) {
                // An ordinal whose text could not be read has none.
                if n > 0 && !value.is_empty() {
                    values.insert(value.clone(), n);
                }
            }
        }
        out
    }
}
