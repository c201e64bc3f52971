//! Facet counts over the whole result set, from keyword fast fields.

use std::collections::BTreeMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// Counts the values of several keyword fields among matching documents.
pub struct FacetCounts {
    /// (facet name in the response, fast-field name)
    pub fields: Vec<(String, String)>,
}

/// Per-segment counting state.
pub struct SegmentFacetCounts {
    names: Vec<String>,
    columns: Vec<Option<StrColumn>>,
    counts: Vec<Vec<u64>>,
}

/// Counts per facet name per value.
pub type Facets = BTreeMap<String, BTreeMap<String, u64>>;

impl Collector for FacetCounts {
    type Fruit = Facets;
    type Child = SegmentFacetCounts;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<SegmentFacetCounts> {
        let mut columns = Vec::new();
        let mut counts = Vec::new();
        for (_, fast) in &self.fields {
            let column = segment.fast_fields().str(fast)?;
            counts.push(vec![0; column.as_ref().map(|c| c.num_terms()).unwrap_or(0)]);
            columns.push(column);
        }
        let names = self.fields.iter().map(|(name, _)| name.clone()).collect();
        Ok(SegmentFacetCounts {
            names,
            columns,
            counts,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Facets>) -> tantivy::Result<Facets> {
        let mut merged: Facets = self
            .fields
            .iter()
            .map(|(name, _)| (name.clone(), BTreeMap::new()))
            .collect();
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
        for (column, counts) in self.columns.iter().zip(&mut self.counts) {
            if let Some(column) = column {
                for ord in column.term_ords(doc) {
                    if let Some(c) = counts.get_mut(ord as usize) {
                        *c += 1;
                    }
                }
            }
        }
    }

    fn harvest(self) -> Facets {
        let mut out = Facets::new();
        for ((name, column), counts) in self.names.iter().zip(&self.columns).zip(&self.counts) {
            let values = out.entry(name.clone()).or_default();
            let Some(column) = column else { continue };
            let mut buf = String::new();
            for (ord, &n) in counts.iter().enumerate() {
                if n > 0 && column.ord_to_str(ord as u64, &mut buf).unwrap_or(false) {
                    values.insert(buf.clone(), n);
                }
            }
        }
        out
    }
}
