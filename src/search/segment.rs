//! The moment of a recording a query is about: of a training record's
//! segments and transcript cues, the one whose words best match the query,
//! so a hit can open the recording there.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::analysis::{Analyzer, Mode};
use crate::document::transcript::{Segment, Source};

/// A trainer's label is a curated summary; a cue is one spoken sentence.
/// On equal matches the trainer's segment wins.
const SEGMENT_PREFERENCE: f32 = 1.25;

/// The segment shown with a hit.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct SegmentHit {
    /// `HH:MM:SS`.
    pub at: String,
    /// Seconds from the start of the recording.
    pub seconds: u32,
    /// The segment's label or the words spoken.
    pub label: String,
    /// Trainer's segment or transcript cue.
    pub source: Source,
}

/// The best-matching segment for the weighted query `terms`, if any segment
/// contains one of them.
pub fn best(
    analyzer: &Analyzer,
    segments: &[Segment],
    terms: &HashMap<String, f32>,
) -> Option<SegmentHit> {
    let mut best: Option<(f32, &Segment)> = None;
    for seg in segments {
        let score = score(analyzer, seg, terms);
        if score > 0.0 && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, seg));
        }
    }
    best.map(|(_, s)| SegmentHit {
        at: s.at.clone(),
        seconds: s.seconds,
        label: s.label.clone(),
        source: s.source,
    })
}

/// Sum of the weights of the distinct query terms in the segment's label and tags.
fn score(analyzer: &Analyzer, seg: &Segment, terms: &HashMap<String, f32>) -> f32 {
    let mut text = seg.label.clone();
    for tag in &seg.tags {
        text.push('\n');
        text.push_str(tag);
    }
    let found: HashSet<String> = analyzer
        .terms(&text, Mode::Index)
        .into_iter()
        .map(|t| t.text)
        .filter(|t| terms.contains_key(t))
        .collect();
    let sum: f32 = found.iter().filter_map(|t| terms.get(t)).sum();
    match seg.source {
        Source::Segment => sum * SEGMENT_PREFERENCE,
        Source::Transcript => sum,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::transcript::format_time;

    fn seg(secs: u32, label: &str, source: Source) -> Segment {
        Segment {
            at: format_time(secs),
            seconds: secs,
            label: label.to_string(),
            tags: Vec::new(),
            source,
        }
    }

    fn query_terms(analyzer: &Analyzer, q: &str) -> HashMap<String, f32> {
        analyzer
            .terms(q, Mode::Query)
            .into_iter()
            .map(|t| (t.text, 1.0))
            .collect()
    }

    #[test]
    fn picks_the_segment_matching_the_query_across_scripts() {
        let a = Analyzer::new();
        let segs = vec![
            seg(0, "課程介紹", Source::Segment),
            seg(750, "切換備援流程", Source::Segment),
            seg(900, "ORA-01555 snapshot too old", Source::Transcript),
        ];
        // Simplified query, Traditional label.
        let hit = best(&a, &segs, &query_terms(&a, "切换备援")).unwrap();
        assert_eq!((hit.at.as_str(), hit.seconds), ("00:12:30", 750));
        let hit = best(&a, &segs, &query_terms(&a, "ora-01555")).unwrap();
        assert_eq!(hit.source, Source::Transcript);
        assert!(best(&a, &segs, &query_terms(&a, "kubernetes")).is_none());
    }

    #[test]
    fn a_trainers_segment_beats_an_equal_cue() {
        let a = Analyzer::new();
        let segs = vec![
            seg(10, "dns failover", Source::Transcript),
            seg(20, "dns failover", Source::Segment),
        ];
        let hit = best(&a, &segs, &query_terms(&a, "failover")).unwrap();
        assert_eq!(hit.seconds, 20);
    }
}
