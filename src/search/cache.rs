//! Recent search results, valid for one index generation.
//!
//! Mid-incident, many engineers type the same error code; the web page
//! re-issues a search on back/forward and on every facet toggle. A result
//! is reused only while the index has not changed (any commit starts a new
//! generation and empties the cache), and only for the same request *and*
//! the same viewer, so it can never serve a stale or someone else's answer.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use super::{SearchRequest, SearchResponse};

/// What makes two searches the same: every request field, with the
/// viewer's access terms instead of its identity.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    q: String,
    kinds: Vec<String>,
    systems: Vec<String>,
    tags: Vec<String>,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
    sort: super::Sort,
    limit: usize,
    offset: usize,
    access: Option<Vec<String>>,
}

impl Key {
    fn of(req: &SearchRequest) -> Key {
        Key {
            q: req.q.clone(),
            kinds: req.kinds.clone(),
            systems: req.systems.clone(),
            tags: req.tags.clone(),
            from: req.from,
            to: req.to,
            sort: req.sort,
            limit: req.limit,
            offset: req.offset,
            access: req.viewer.terms(),
        }
    }
}

#[derive(Default)]
struct Entries {
    generation: u64,
    map: HashMap<Key, Arc<SearchResponse>>,
    /// Insertion order, for evicting the oldest.
    order: VecDeque<Key>,
}

/// A bounded cache of search responses for the current index generation.
pub struct SearchCache {
    capacity: usize,
    entries: Mutex<Entries>,
}

impl SearchCache {
    /// A cache of at most `capacity` responses (0 disables it).
    pub fn new(capacity: usize) -> SearchCache {
        SearchCache {
            capacity,
            entries: Mutex::new(Entries::default()),
        }
    }

    /// Whether responses are kept at all.
    pub fn is_enabled(&self) -> bool {
        self.capacity > 0
    }

    /// The cached response to `req` at index `generation`, if any.
    pub fn get(&self, generation: u64, req: &SearchRequest) -> Option<Arc<SearchResponse>> {
        if !self.is_enabled() {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.generation != generation {
            return None;
        }
        entries.map.get(&Key::of(req)).cloned()
    }

    /// Remembers `response` to `req` at index `generation`.
    pub fn put(&self, generation: u64, req: &SearchRequest, response: Arc<SearchResponse>) {
        if !self.is_enabled() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.generation != generation {
            if generation < entries.generation {
                return; // computed on a reader older than what is cached
            }
            *entries = Entries {
                generation,
                ..Entries::default()
            };
        }
        let key = Key::of(req);
        if entries.map.insert(key.clone(), response).is_none() {
            entries.order.push_back(key);
        }
        while entries.order.len() > self.capacity {
            if let Some(old) = entries.order.pop_front() {
                entries.map.remove(&old);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::visibility::Viewer;

    fn response(q: &str) -> Arc<SearchResponse> {
        Arc::new(SearchResponse {
            query: q.into(),
            total: 0,
            took_ms: 0.0,
            hits: Vec::new(),
            facets: Default::default(),
        })
    }

    #[test]
    fn a_new_generation_or_another_viewer_misses() {
        let cache = SearchCache::new(2);
        let req = SearchRequest::new("ora-01555");
        cache.put(1, &req, response("a"));
        assert!(cache.get(1, &req).is_some());
        assert!(cache.get(2, &req).is_none(), "index changed");
        let anonymous = SearchRequest {
            viewer: Viewer::Anonymous,
            ..req.clone()
        };
        assert!(cache.get(1, &anonymous).is_none(), "another viewer");
        let other_page = SearchRequest {
            offset: 10,
            ..req.clone()
        };
        assert!(cache.get(1, &other_page).is_none());
    }

    #[test]
    fn the_oldest_entries_are_evicted_and_zero_disables() {
        let cache = SearchCache::new(2);
        for q in ["a", "b", "c"] {
            cache.put(1, &SearchRequest::new(q), response(q));
        }
        assert!(cache.get(1, &SearchRequest::new("a")).is_none());
        assert!(cache.get(1, &SearchRequest::new("c")).is_some());
        let off = SearchCache::new(0);
        off.put(1, &SearchRequest::new("a"), response("a"));
        assert!(off.get(1, &SearchRequest::new("a")).is_none());
    }
}
