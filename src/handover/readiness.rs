//! Readiness of each handed-over system: required kinds present, stale
//! documents, recent incidents and whether a runbook covers them, training,
//! documents without an owner. Every shortfall is a [`Gap`] whose message
//! says exactly what to fix; the score is 100 minus the schema's weight per
//! gap. `today` is a parameter so the result is a pure function of the
//! corpus, the schema and the date (tests pin the date).

use chrono::{Months, NaiveDate};
use serde::Serialize;

use super::{Catalog, DocSummary, Handover, FEEDBACK_KIND, HANDOVER_KIND};
use crate::problem::Severity;
use crate::schema::Schema;

/// A system with no gaps scores this.
pub const FULL_SCORE: u32 = 100;

/// Kind whose documents are procedures that cover incidents.
const RUNBOOK_KIND: &str = "runbook";
/// Kind of fault histories.
const INCIDENT_KIND: &str = "incident";
/// Kind of recorded training sessions.
const TRAINING_KIND: &str = "training";

/// Stable gap codes (API, CLI and tests rely on them).
pub mod codes {
    /// A required kind has no document for the system.
    pub const MISSING_KIND: &str = "missing_kind";
    /// A recent incident links to no runbook and no runbook links to it.
    pub const INCIDENT_WITHOUT_RUNBOOK: &str = "incident_without_runbook";
    /// A document is older than its kind's staleness limit.
    pub const STALE_DOC: &str = "stale_doc";
    /// A document of an owner kind names no owner.
    pub const NO_OWNER: &str = "no_owner";
}

/// One shortfall and its exact fix.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Gap {
    /// Stable snake_case code (see [`codes`]).
    pub code: String,
    /// What is missing or wrong, naming the document or system.
    pub message: String,
    /// The document concerned, if any.
    pub doc: Option<String>,
    /// Errors block a handover's confirmation; warnings should be fixed.
    pub severity: Severity,
}

/// A required kind and the documents that satisfy it.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RequiredStatus {
    /// The kind.
    pub kind: String,
    /// Its label ("contact document").
    pub label: String,
    /// Documents of the system that satisfy it.
    pub docs: Vec<String>,
    /// Whether there is at least one.
    pub present: bool,
}

/// A document past its kind's staleness limit.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StaleDoc {
    /// Document id.
    pub id: String,
    /// Kind.
    pub kind: String,
    /// Last updated (YYYY-MM-DD).
    pub updated: String,
    /// Days since.
    pub age_days: i64,
    /// The kind's limit.
    pub limit_days: u32,
}

/// A recent incident of the system.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct IncidentInfo {
    /// Document id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Severity as written (P1 most severe).
    pub severity: Option<String>,
    /// When it happened (YYYY-MM-DD).
    pub occurred: Option<String>,
    /// Runbooks it links to or that link to it.
    pub runbooks: Vec<String>,
    /// Whether there is one.
    pub has_runbook: bool,
}

/// A training session about the system.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TrainingInfo {
    /// Document id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Trainer.
    pub trainer: Option<String>,
    /// Recorded on (YYYY-MM-DD).
    pub recorded: Option<String>,
}

/// Readiness of one system.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SystemReadiness {
    /// The system.
    pub system: String,
    /// 0-100.
    pub score: u32,
    /// Gaps: missing kinds, incidents without runbook, stale, ownerless.
    pub gaps: Vec<Gap>,
    /// Each required kind and what satisfies it.
    pub required: Vec<RequiredStatus>,
    /// Stale documents, oldest first.
    pub stale: Vec<StaleDoc>,
    /// Incidents within the window, most severe first, then newest.
    pub incidents: Vec<IncidentInfo>,
    /// Training sessions, newest first.
    pub training: Vec<TrainingInfo>,
    /// Documents of owner kinds without an owner.
    pub unowned: Vec<String>,
}

/// Readiness of a whole handover.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Readiness {
    /// The handover's id.
    pub id: String,
    /// The least ready system's score (a handover is as ready as its weakest system).
    pub score: u32,
    /// The date judged against.
    pub today: String,
    /// Per system, in the handover's order.
    pub systems: Vec<SystemReadiness>,
}

/// Readiness of every system of `handover` as of `today`.
pub fn readiness(
    catalog: &Catalog,
    schema: &Schema,
    handover: &Handover,
    today: NaiveDate,
) -> Readiness {
    let systems: Vec<SystemReadiness> = handover
        .systems
        .iter()
        .map(|s| system_readiness(catalog, schema, s, today))
        .collect();
    Readiness {
        id: handover.id.clone(),
        score: systems.iter().map(|s| s.score).min().unwrap_or(FULL_SCORE),
        today: today.format("%Y-%m-%d").to_string(),
        systems,
    }
}

/// Readiness of one system as of `today`.
pub fn system_readiness(
    catalog: &Catalog,
    schema: &Schema,
    system: &str,
    today: NaiveDate,
) -> SystemReadiness {
    let rules = &schema.handover;
    // Plans and follow-up notes are about the handover, not the system.
    let docs: Vec<&DocSummary> = catalog
        .docs
        .iter()
        .filter(|d| d.covers(system) && d.kind != HANDOVER_KIND && d.kind != FEEDBACK_KIND)
        .collect();
    let mut gaps = Vec::new();

    let mut required = Vec::new();
    for r in &rules.required {
        let matching: Vec<String> = docs
            .iter()
            .filter(|d| d.kind == r.kind)
            .filter(|d| r.with_field.as_ref().is_none_or(|f| d.meta.contains_key(f)))
            .map(|d| d.id.clone())
            .collect();
        if matching.is_empty() {
            gaps.push(Gap {
                code: codes::MISSING_KIND.into(),
                message: format!("no {} for {system}", r.label),
                doc: None,
                severity: Severity::Error,
            });
        }
        required.push(RequiredStatus {
            kind: r.kind.clone(),
            label: r.label.clone(),
            present: !matching.is_empty(),
            docs: matching,
        });
    }

    let incidents = incidents(catalog, &docs, rules.incident_window_months, today);
    for i in incidents.iter().filter(|i| !i.has_runbook) {
        let when = i.occurred.as_deref().unwrap_or("date unknown");
        let severity = i.severity.as_deref().unwrap_or("severity unknown");
        gaps.push(Gap {
            code: codes::INCIDENT_WITHOUT_RUNBOOK.into(),
            message: format!(
                "incident {} ({severity}, {when}) has no linked runbook; write one and link it",
                i.id
            ),
            doc: Some(i.id.clone()),
            severity: Severity::Error,
        });
    }

    let mut stale: Vec<StaleDoc> = docs
        .iter()
        .filter_map(|d| {
            let updated = d.updated?;
            let limit = schema.kinds.get(&d.kind)?.stale_after_days;
            let age = (today - updated).num_days();
            (age > i64::from(limit)).then(|| StaleDoc {
                id: d.id.clone(),
                kind: d.kind.clone(),
                updated: updated.format("%Y-%m-%d").to_string(),
                age_days: age,
                limit_days: limit,
            })
        })
        .collect();
    stale.sort_by(|a, b| b.age_days.cmp(&a.age_days).then(a.id.cmp(&b.id)));
    for s in &stale {
        gaps.push(Gap {
            code: codes::STALE_DOC.into(),
            message: format!(
                "{} updated {} days ago, limit {}",
                s.id, s.age_days, s.limit_days
            ),
            doc: Some(s.id.clone()),
            severity: Severity::Warning,
        });
    }

    let unowned: Vec<String> = docs
        .iter()
        .filter(|d| rules.owner_kinds.contains(&d.kind) && d.owner.is_none())
        .map(|d| d.id.clone())
        .collect();
    for id in &unowned {
        gaps.push(Gap {
            code: codes::NO_OWNER.into(),
            message: format!("{id} has no owner; add `owner:` to its front matter"),
            doc: Some(id.clone()),
            severity: Severity::Warning,
        });
    }

    let mut training: Vec<TrainingInfo> = docs
        .iter()
        .filter(|d| d.kind == TRAINING_KIND)
        .map(|d| TrainingInfo {
            id: d.id.clone(),
            title: d.title.clone(),
            trainer: d.text("trainer"),
            recorded: d.date("recorded").map(|x| x.format("%Y-%m-%d").to_string()),
        })
        .collect();
    training.sort_by(|a, b| b.recorded.cmp(&a.recorded).then(a.id.cmp(&b.id)));

    let lost: u32 = gaps
        .iter()
        .map(|g| match g.code.as_str() {
            codes::MISSING_KIND => rules.weights.missing_kind,
            codes::INCIDENT_WITHOUT_RUNBOOK => rules.weights.incident_without_runbook,
            codes::STALE_DOC => rules.weights.stale_doc,
            _ => rules.weights.no_owner,
        })
        .fold(0u32, u32::saturating_add);
    SystemReadiness {
        system: system.to_string(),
        score: FULL_SCORE.saturating_sub(lost),
        gaps,
        required,
        stale,
        incidents,
        training,
        unowned,
    }
}

/// Rank of a severity for sorting: `P1` before `P2`; unknown ones last.
fn severity_rank(s: Option<&str>) -> u32 {
    s.and_then(|s| {
        s.trim()
            .trim_start_matches(['P', 'p', 'S', 's'])
            .parse()
            .ok()
    })
    .unwrap_or(u32::MAX)
}

fn incidents(
    catalog: &Catalog,
    docs: &[&DocSummary],
    window_months: u32,
    today: NaiveDate,
) -> Vec<IncidentInfo> {
    let since = today
        .checked_sub_months(Months::new(window_months))
        .unwrap_or(NaiveDate::MIN);
    let is_runbook = |id: &str| catalog.get(id).is_some_and(|d| d.kind == RUNBOOK_KIND);
    let mut out: Vec<(u32, Option<NaiveDate>, IncidentInfo)> = docs
        .iter()
        .filter(|d| d.kind == INCIDENT_KIND)
        .filter_map(|d| {
            let occurred = d.date("occurred").or(d.updated);
            if occurred.is_some_and(|o| o < since || o > today) {
                return None;
            }
            let mut runbooks: Vec<String> =
                d.links.iter().filter(|l| is_runbook(l)).cloned().collect();
            runbooks.extend(
                catalog
                    .docs
                    .iter()
                    .filter(|r| r.kind == RUNBOOK_KIND && r.links.contains(&d.id))
                    .map(|r| r.id.clone()),
            );
            runbooks.sort();
            runbooks.dedup();
            let severity = d.text("severity");
            Some((
                severity_rank(severity.as_deref()),
                occurred,
                IncidentInfo {
                    id: d.id.clone(),
                    title: d.title.clone(),
                    severity,
                    occurred: occurred.map(|o| o.format("%Y-%m-%d").to_string()),
                    has_runbook: !runbooks.is_empty(),
                    runbooks,
                },
            ))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.id.cmp(&b.2.id)));
    out.into_iter().map(|(_, _, i)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(
        id: &str,
        kind: &str,
        meta: serde_json::Value,
        updated: &str,
        links: &[&str],
    ) -> DocSummary {
        let meta = meta.as_object().cloned().unwrap_or_default();
        DocSummary {
            id: id.into(),
            title: id.into(),
            kind: kind.into(),
            systems: vec!["pgw".into()],
            owner: meta
                .get("owner")
                .and_then(|v| v.as_str())
                .map(str::to_string),
            updated: NaiveDate::parse_from_str(updated, "%Y-%m-%d").ok(),
            links: links.iter().map(|s| s.to_string()).collect(),
            meta,
        }
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn gaps_and_score_for_a_fixed_day() {
        let schema = Schema::load(None).unwrap();
        let catalog = Catalog::new(vec![
            doc(
                "systems/pgw.md",
                "system",
                json!({"owner": "M"}),
                "2026-01-01",
                &[],
            ),
            doc(
                "runbooks/pgw/a.md",
                "runbook",
                json!({"owner": "M", "severity_scope": ["P1"]}),
                "2024-06-01",
                &[],
            ),
            doc(
                "runbooks/pgw/b.md",
                "runbook",
                json!({}),
                "2026-06-01",
                &["incidents/i1.md"],
            ),
            doc(
                "training/t.md",
                "training",
                json!({"trainer": "M", "recorded": "2026-02-01"}),
                "2026-02-01",
                &[],
            ),
            doc(
                "incidents/i1.md",
                "incident",
                json!({"severity": "P3", "occurred": "2026-03-01"}),
                "2026-03-01",
                &[],
            ),
            doc(
                "incidents/i2.md",
                "incident",
                json!({"severity": "P1", "occurred": "2026-05-01"}),
                "2026-05-01",
                &[],
            ),
            doc(
                "incidents/old.md",
                "incident",
                json!({"severity": "P1", "occurred": "2020-05-01"}),
                "2020-05-01",
                &[],
            ),
        ]);
        let r = system_readiness(&catalog, &schema, "pgw", day("2026-06-01"));
        let gaps: Vec<(&str, &str)> = r
            .gaps
            .iter()
            .map(|g| (g.code.as_str(), g.message.as_str()))
            .collect();
        assert_eq!(
            gaps,
            [
                ("missing_kind", "no contact document for pgw"),
                ("incident_without_runbook", "incident incidents/i2.md (P1, 2026-05-01) has no linked runbook; write one and link it"),
                ("stale_doc", "runbooks/pgw/a.md updated 730 days ago, limit 365"),
                ("no_owner", "runbooks/pgw/b.md has no owner; add `owner:` to its front matter"),
            ]
        );
        assert_eq!(r.score, 100 - 25 - 10 - 5 - 3);
        let order: Vec<&str> = r.incidents.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(order, ["incidents/i2.md", "incidents/i1.md"]);
        assert_eq!(r.incidents[1].runbooks, ["runbooks/pgw/b.md"]);
        assert_eq!(r.training[0].trainer.as_deref(), Some("M"));
        // A day later the stale runbook is a day older; nothing else changes.
        let later = system_readiness(&catalog, &schema, "pgw", day("2026-06-02"));
        assert_eq!(later.stale[0].age_days, 731);
        assert_eq!(later.score, r.score);
    }

    #[test]
    fn severity_ranks() {
        assert!(severity_rank(Some("P1")) < severity_rank(Some("P2")));
        assert!(severity_rank(Some("p4")) < severity_rank(Some("major")));
        assert_eq!(severity_rank(None), u32::MAX);
    }
}
