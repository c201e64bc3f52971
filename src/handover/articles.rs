//! Documents a newcomer should read: per system, grouped by kind, and per
//! plan item (its topic searched within the handover's systems). Each hit
//! carries the reasons it was chosen; a document is listed once per list.

use std::collections::{BTreeMap, HashSet};

use super::{Catalog, Handover, FEEDBACK_KIND, HANDOVER_KIND};
use crate::index::BatonIndex;
use crate::search::related::RelatedHit;
use crate::search::{self, SearchError, SearchRequest, Sort};

/// Most documents listed per system and kind: past this the list is a search
/// result, which the page links to instead.
pub const MAX_PER_KIND: usize = 10;

/// Documents suggested per plan item.
pub const PER_ITEM: usize = 3;

/// Kinds worth reading for a handover: everything but plans and notes about it.
fn reading_kinds(index: &BatonIndex) -> Vec<String> {
    index
        .schema
        .kinds
        .keys()
        .filter(|k| *k != HANDOVER_KIND && *k != FEEDBACK_KIND)
        .cloned()
        .collect()
}

/// Per system of `handover`, its documents grouped by kind. Documents the
/// handover links to come first, then the most recently updated. A document
/// about several handed-over systems is listed under the first of them.
pub fn per_system(
    index: &BatonIndex,
    catalog: &Catalog,
    handover: &Handover,
    viewer: &crate::visibility::Viewer,
) -> Result<Vec<BTreeMap<String, Vec<RelatedHit>>>, SearchError> {
    let linked: HashSet<&str> = catalog
        .get(&handover.id)
        .map(|d| d.links.iter().map(String::as_str).collect())
        .unwrap_or_default();
    let kinds = reading_kinds(index);
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    for system in &handover.systems {
        let req = SearchRequest {
            kinds: kinds.clone(),
            systems: vec![system.clone()],
            sort: Sort::Updated,
            limit: search::MAX_LIMIT,
            viewer: viewer.clone(),
            ..SearchRequest::new("")
        };
        let hits = search::search(index, &req)?.hits;
        let mut groups: BTreeMap<String, Vec<(bool, RelatedHit)>> = BTreeMap::new();
        for hit in hits {
            if !seen.insert(hit.id.clone()) {
                continue;
            }
            let is_linked = linked.contains(hit.id.as_str());
            let mut reasons = Vec::new();
            if is_linked {
                reasons.push("linked from this handover".to_string());
            }
            for s in handover.systems.iter().filter(|s| hit.systems.contains(s)) {
                reasons.push(format!("about {s}"));
            }
            groups
                .entry(hit.kind.clone())
                .or_default()
                .push((is_linked, RelatedHit { hit, reasons }));
        }
        let groups = groups
            .into_iter()
            .map(|(kind, mut hits)| {
                // Stable: within linked and unlinked, the updated order stays.
                hits.sort_by_key(|(linked, _)| !linked);
                let hits = hits
                    .into_iter()
                    .take(MAX_PER_KIND)
                    .map(|(_, h)| h)
                    .collect();
                (kind, hits)
            })
            .collect();
        out.push(groups);
    }
    Ok(out)
}

/// For each plan item, the best matches of its topic within the handover's systems.
pub fn per_item(
    index: &BatonIndex,
    handover: &Handover,
    viewer: &crate::visibility::Viewer,
) -> Result<Vec<Vec<RelatedHit>>, SearchError> {
    let kinds = reading_kinds(index);
    let within = handover.systems.join(", ");
    handover
        .items
        .iter()
        .map(|item| {
            let req = SearchRequest {
                kinds: kinds.clone(),
                systems: handover.systems.clone(),
                limit: PER_ITEM,
                viewer: viewer.clone(),
                ..SearchRequest::new(&item.topic)
            };
            let mut seen = HashSet::new();
            Ok(search::search(index, &req)?
                .hits
                .into_iter()
                .filter(|h| seen.insert(h.id.clone()))
                .map(|hit| RelatedHit {
                    reasons: vec![format!("matches the plan item's topic within {within}")],
                    hit,
                })
                .collect())
        })
        .collect()
}
