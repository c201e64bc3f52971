//! Query-string parameters, parsed once into typed values (repeated keys such
//! as `kind=a&kind=b` included). Invalid structured values are 400s with a
//! message saying what to fix; the free-text `q` is never invalid.

use serde::Deserialize;

use super::error::ApiError;
use crate::search::{self, SearchRequest, Sort, DEFAULT_LIMIT, MAX_LIMIT};

/// Deepest page reachable: tantivy keeps `offset + limit` hits in memory, so
/// an unbounded offset would let one request allocate without limit.
pub const MAX_OFFSET: usize = 10_000;

/// Parameters of `GET /api/search`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// What the user typed; any text is accepted (longer than 2,000 characters is truncated).
    pub q: Option<String>,
    /// Kinds to keep (repeatable; OR).
    pub kind: Option<Vec<String>>,
    /// Systems to keep (repeatable; OR).
    pub system: Option<Vec<String>>,
    /// Tags to keep (repeatable; OR).
    pub tag: Option<Vec<String>>,
    /// Updated on or after, YYYY-MM-DD.
    pub from: Option<String>,
    /// Updated on or before, YYYY-MM-DD.
    pub to: Option<String>,
    /// `relevance` (default) or `updated`.
    pub sort: Option<String>,
    /// Page size, 1 to 100 (larger values are capped at 100); default 10.
    pub limit: Option<String>,
    /// Hits to skip, 0 to 10,000.
    pub offset: Option<String>,
}

impl SearchParams {
    /// Collects the parameters from a raw query string.
    pub fn from_query(raw: &str) -> SearchParams {
        let mut p = SearchParams::default();
        for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
            let value = value.into_owned();
            let push = |list: &mut Option<Vec<String>>| {
                list.get_or_insert_with(Vec::new).push(value.clone())
            };
            match key.as_ref() {
                "q" => p.q = Some(value),
                "kind" => push(&mut p.kind),
                "system" => push(&mut p.system),
                "tag" => push(&mut p.tag),
                "from" => p.from = Some(value),
                "to" => p.to = Some(value),
                "sort" => p.sort = Some(value),
                "limit" => p.limit = Some(value),
                "offset" => p.offset = Some(value),
                _ => {}
            }
        }
        p
    }

    /// The search request these parameters describe.
    pub fn into_request(
        self,
        viewer: crate::visibility::Viewer,
    ) -> Result<SearchRequest, ApiError> {
        let non_empty = |v: Option<Vec<String>>| {
            v.unwrap_or_default()
                .into_iter()
                .filter(|s| !s.trim().is_empty())
                .collect()
        };
        let day = |name: &str, v: &Option<String>| match v.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(d) => search::parse_day(name, d).map(Some).map_err(ApiError::from),
        };
        let limit = match number("limit", &self.limit)? {
            None => DEFAULT_LIMIT,
            Some(0) => {
                return Err(ApiError::BadRequest(
                    "invalid limit: must be at least 1".into(),
                ))
            }
            Some(n) => n.min(MAX_LIMIT),
        };
        let offset = number("offset", &self.offset)?.unwrap_or(0);
        if offset > MAX_OFFSET {
            return Err(ApiError::BadRequest(format!(
                "invalid offset: at most {MAX_OFFSET}; narrow the search instead"
            )));
        }
        Ok(SearchRequest {
            from: day("from", &self.from)?,
            to: day("to", &self.to)?,
            sort: self.sort.as_deref().unwrap_or("").trim().parse::<Sort>()?,
            q: self.q.unwrap_or_default(),
            kinds: non_empty(self.kind),
            systems: non_empty(self.system),
            tags: non_empty(self.tag),
            limit,
            offset,
            viewer,
        })
    }
}

pub(crate) fn number(name: &str, v: &Option<String>) -> Result<Option<usize>, ApiError> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => s.parse::<usize>().map(Some).map_err(|_| {
            ApiError::BadRequest(format!("invalid {name}: '{s}' is not a whole number"))
        }),
    }
}

/// The value of `key` in a raw query string (last one wins).
pub fn single(raw: &str, key: &str) -> Option<String> {
    form_urlencoded::parse(raw.as_bytes())
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
        .last()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_filters_and_defaults() {
        let p = SearchParams::from_query(
            "q=%E6%97%A5%E7%B5%82+ORA-01555&kind=runbook&kind=incident&system=core-banking",
        );
        let r = p.into_request(Default::default()).unwrap();
        assert_eq!(r.q, "日終 ORA-01555");
        assert_eq!(r.kinds, ["runbook", "incident"]);
        assert_eq!(r.limit, DEFAULT_LIMIT);
    }

    #[test]
    fn invalid_structured_values_are_bad_requests() {
        for q in [
            "limit=ten",
            "limit=0",
            "offset=-1",
            "offset=20000",
            "from=2025-02-30",
            "to=yesterday",
            "sort=date",
        ] {
            assert!(
                matches!(
                    SearchParams::from_query(q).into_request(Default::default()),
                    Err(ApiError::BadRequest(_))
                ),
                "{q}"
            );
        }
        assert_eq!(
            SearchParams::from_query("limit=1000")
                .into_request(Default::default())
                .unwrap()
                .limit,
            MAX_LIMIT
        );
    }
}
