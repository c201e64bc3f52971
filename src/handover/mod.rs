//! Handovers: the bank's six-stage handover procedure made visible.
//!
//! A `handover` document (front matter: from, to, systems, dates, status,
//! plan items, confirmations) is read from the index's stored metadata into a
//! [`Handover`]. [`readiness`] judges each handed-over system against the
//! rules of `index-schema/schema.toml` (`[handover]`), and [`articles`] picks
//! the documents a newcomer should read. This module sits beside `search`:
//! it reads the index and the schema, and the server and CLI call it.

pub mod articles;
pub mod catalog;
pub mod readiness;

use serde::Serialize;
use serde_json::{Map, Value};

pub use catalog::{Catalog, DocSummary};

/// Kind of handover documents.
pub const HANDOVER_KIND: &str = "handover";

/// Kind of follow-up notes written through `POST /api/feedback`.
pub const FEEDBACK_KIND: &str = "feedback";

/// Folder of follow-up notes, relative to the corpus root.
pub const FEEDBACK_DIR: &str = "feedback";

/// A handover's states, in the order a handover goes through them.
pub const STATUSES: &[&str] = &["planned", "in-progress", "confirmed", "follow-up", "closed"];

/// The six stages of the procedure, in order; plan items name one.
pub const STAGES: &[&str] = &[
    "preparation",
    "documentation",
    "knowledge-transfer",
    "practice",
    "confirmation",
    "follow-up",
];

/// Handover failures.
#[derive(Debug, thiserror::Error)]
pub enum HandoverError {
    /// The index could not be read.
    #[error(transparent)]
    Search(#[from] crate::search::SearchError),
    /// tantivy failed.
    #[error("index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
}

/// One step of the handover plan.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PlanItem {
    /// Position in the plan (0-based); confirmations may name it.
    pub index: usize,
    /// What is to be done.
    pub topic: String,
    /// One of [`STAGES`].
    pub stage: String,
    /// Due date, YYYY-MM-DD.
    pub due: Option<String>,
    /// Whether it is done.
    pub done: bool,
}

/// One entry of the confirmation record.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Confirmation {
    /// Who confirmed.
    pub by: String,
    /// When (YYYY-MM-DD).
    pub date: Option<String>,
    /// The plan item's topic, or `None` for the whole handover.
    pub item: Option<String>,
    /// Remark.
    pub note: Option<String>,
}

/// A handover plan read from a document's front matter.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Handover {
    /// Document id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Outgoing engineer.
    pub from: String,
    /// Incoming engineer.
    pub to: String,
    /// Systems handed over (normalised as in the index).
    pub systems: Vec<String>,
    /// Start date.
    pub start: Option<String>,
    /// End date.
    pub end: Option<String>,
    /// One of [`STATUSES`] (as written, even if it is not one).
    pub status: String,
    /// The plan.
    pub items: Vec<PlanItem>,
    /// The confirmation record, oldest first.
    pub confirmations: Vec<Confirmation>,
    /// What is wrong with the front matter (invalid status, stage, dates).
    pub problems: Vec<String>,
}

/// A scalar front-matter value as text (`true`, `3` and strings alike).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A date value as YYYY-MM-DD, if it is one.
fn day(v: &Value) -> Option<String> {
    scalar(v)
        .and_then(|s| crate::document::parse_date(&s))
        .map(|d| d.format("%Y-%m-%d").to_string())
}

impl Handover {
    /// Reads a handover from a document summary; never fails, but lists what
    /// is wrong in `problems` (a bad file never stops the service).
    pub fn from_summary(doc: &DocSummary) -> Handover {
        let meta = &doc.meta;
        let text = |k: &str| meta.get(k).and_then(scalar).unwrap_or_default();
        let mut problems = Vec::new();
        let status = text("status");
        if !STATUSES.contains(&status.as_str()) {
            problems.push(format!(
                "status '{status}' is not one of: {}",
                STATUSES.join(", ")
            ));
        }
        let mut dates = |key: &str| {
            let v = meta.get(key)?;
            let d = day(v);
            if d.is_none() {
                problems.push(format!("{key}: '{}' is not a date (YYYY-MM-DD)", v));
            }
            d
        };
        let start = dates("start");
        let end = dates("end");
        let items = read_items(meta, &mut problems);
        let confirmations = read_confirmations(meta, &mut problems);
        Handover {
            id: doc.id.clone(),
            title: doc.title.clone(),
            from: text("from"),
            to: text("to"),
            systems: doc.systems.clone(),
            start,
            end,
            status,
            items,
            confirmations,
            problems,
        }
    }

    /// The plan item named by `which`: its index, or its exact topic.
    pub fn find_item(&self, which: &Value) -> Option<&PlanItem> {
        match which {
            Value::Number(n) => n
                .as_u64()
                .and_then(|i| self.items.get(usize::try_from(i).ok()?)),
            Value::String(s) => {
                let s = s.trim();
                self.items.iter().find(|i| i.topic == s)
            }
            _ => None,
        }
    }

    /// Whether the file's short name (without folder and `.md`) or id is `name`.
    pub fn is_named(&self, name: &str) -> bool {
        self.id == name || short_name(&self.id) == name
    }
}

/// A document id without folders and extension (`handovers/x.md` -> `x`).
pub fn short_name(id: &str) -> &str {
    let file = id.rsplit('/').next().unwrap_or(id);
    file.rsplit_once('.').map_or(file, |(stem, _)| stem)
}

fn records<'a>(meta: &'a Map<String, Value>, key: &str, problems: &mut Vec<String>) -> &'a [Value] {
    match meta.get(key) {
        None | Some(Value::Null) => &[],
        Some(Value::Array(list)) => list,
        Some(_) => {
            problems.push(format!("{key} must be a list of records"));
            &[]
        }
    }
}

fn read_items(meta: &Map<String, Value>, problems: &mut Vec<String>) -> Vec<PlanItem> {
    let mut out = Vec::new();
    for (index, v) in records(meta, "items", problems).iter().enumerate() {
        let Some(rec) = v.as_object() else {
            problems.push(format!(
                "items[{index}] must be a record (topic, stage, due, done)"
            ));
            continue;
        };
        let topic = rec.get("topic").and_then(scalar).unwrap_or_default();
        if topic.is_empty() {
            problems.push(format!("items[{index}] has no topic"));
        }
        let stage = rec.get("stage").and_then(scalar).unwrap_or_default();
        if !STAGES.contains(&stage.as_str()) {
            problems.push(format!(
                "items[{index}] stage '{stage}' is not one of: {}",
                STAGES.join(", ")
            ));
        }
        let due = rec.get("due").and_then(|d| {
            let parsed = day(d);
            if parsed.is_none() {
                problems.push(format!(
                    "items[{index}] due '{d}' is not a date (YYYY-MM-DD)"
                ));
            }
            parsed
        });
        let done = match rec.get("done") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                problems.push(format!(
                    "items[{index}] done '{other}' must be true or false"
                ));
                false
            }
        };
        out.push(PlanItem {
            index,
            topic,
            stage,
            due,
            done,
        });
    }
    out
}

fn read_confirmations(meta: &Map<String, Value>, problems: &mut Vec<String>) -> Vec<Confirmation> {
    let mut out = Vec::new();
    for (index, v) in records(meta, "confirmations", problems).iter().enumerate() {
        let Some(rec) = v.as_object() else {
            problems.push(format!(
                "confirmations[{index}] must be a record (by, date, item, note)"
            ));
            continue;
        };
        let get = |k: &str| rec.get(k).and_then(scalar);
        let Some(by) = get("by") else {
            problems.push(format!(
                "confirmations[{index}] does not say who confirmed (by)"
            ));
            continue;
        };
        out.push(Confirmation {
            by,
            date: rec.get("date").and_then(day),
            item: get("item"),
            note: get("note"),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn summary(meta: Value) -> DocSummary {
        DocSummary {
            id: "handovers/x.md".into(),
            title: "X".into(),
            kind: "handover".into(),
            systems: vec!["core-banking".into()],
            meta: meta.as_object().cloned().unwrap_or_default(),
            ..DocSummary::default()
        }
    }

    #[test]
    fn reads_items_and_confirmations_and_lists_problems() {
        let h = Handover::from_summary(&summary(json!({
            "from": "林雅婷", "to": "陳柏翰", "status": "in-progress", "start": "2026-12-07",
            "items": [
                {"topic": "盤點手冊", "stage": "preparation", "due": "2026-12-09", "done": true},
                {"topic": "演練", "stage": "rehearsal", "due": "someday"}
            ],
            "confirmations": [{"by": "陳志明", "date": "2026-12-10", "note": "ok"}, {"note": "nobody"}]
        })));
        assert_eq!(h.status, "in-progress");
        assert_eq!(h.items.len(), 2);
        assert!(h.items[0].done && !h.items[1].done);
        assert_eq!(h.items[0].due.as_deref(), Some("2026-12-09"));
        assert_eq!(h.confirmations.len(), 1);
        assert_eq!(h.problems.len(), 3, "{:?}", h.problems);
        assert_eq!(
            h.find_item(&json!(1)).map(|i| i.topic.as_str()),
            Some("演練")
        );
        assert_eq!(h.find_item(&json!(" 盤點手冊 ")).map(|i| i.index), Some(0));
        assert!(h.find_item(&json!(7)).is_none());
        assert!(h.is_named("x") && h.is_named("handovers/x.md"));
    }

    #[test]
    fn unknown_status_is_a_problem() {
        let h = Handover::from_summary(&summary(json!({"status": "done"})));
        assert!(h.problems[0].contains("status 'done'"), "{:?}", h.problems);
    }
}
