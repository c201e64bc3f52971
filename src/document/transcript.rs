//! Time-coded segments of a training recording: the trainer's own
//! `segments:` in the front matter, and the cues of a transcript (WebVTT or
//! SRT) beside the record, so that what was *said* in a session is
//! searchable to the second and a hit can open the recording at that moment.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::doc_id::DocId;
use crate::problem::Problem;

/// Largest transcript read; a two-hour session's subtitles are ~200 KB.
pub const MAX_TRANSCRIPT_BYTES: u64 = 4 * 1024 * 1024;

/// Transcript file extensions, in the order a sibling is looked for.
pub const TRANSCRIPT_EXTENSIONS: [&str; 2] = ["vtt", "srt"];

/// Where a segment comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A trainer's `segments:` entry.
    Segment,
    /// A transcript cue.
    Transcript,
}

/// One moment of a recording.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Segment {
    /// `HH:MM:SS`.
    pub at: String,
    /// Seconds from the start (for `#t=` links).
    pub seconds: u32,
    /// The label, or the words spoken.
    pub label: String,
    /// Tags of a trainer's segment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Segment or transcript cue.
    pub source: Source,
}

/// A transcript file that a document's index entry depends on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TranscriptFile {
    /// Corpus-relative path.
    pub id: DocId,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds.
    pub mtime: i64,
    /// Content hash (blake3, hex).
    pub hash: String,
}

/// A record's size and mtime combined with its transcript's: what the
/// index stores and what a full scan compares, so a changed (or removed,
/// or newly added) transcript makes the record look changed.
pub fn fold_stamp(size: u64, mtime: i64, transcript: Option<(u64, i64)>) -> (u64, i64) {
    match transcript {
        Some((t_size, t_mtime)) => (size + t_size, mtime.max(t_mtime)),
        None => (size, mtime),
    }
}

/// The size and mtime of the transcript a record uses now: `known` (the
/// one it used when indexed) if that still exists, else a sibling file.
pub fn current_stamp(root: &Path, record: &DocId, known: Option<&str>) -> Option<(u64, i64)> {
    let stat = |id: &DocId| {
        std::fs::metadata(id.to_path(root))
            .ok()
            .filter(|m| m.is_file())
            .map(|m| (m.len(), super::mtime_nanos(&m)))
    };
    if let Some(found) = known
        .and_then(|k| DocId::parse(k).ok())
        .and_then(|k| stat(&k))
    {
        return Some(found);
    }
    siblings(record).iter().find_map(stat)
}

/// `HH:MM:SS` (or `MM:SS`, fractions ignored) -> seconds.
pub fn parse_time(raw: &str) -> Option<u32> {
    let whole = raw.trim().split(['.', ',']).next()?;
    let parts: Vec<&str> = whole.split(':').collect();
    if parts.len() < 2 || parts.len() > 3 {
        return None;
    }
    let mut secs: u32 = 0;
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: u32 = p.parse().ok()?;
        if i > 0 && n >= 60 {
            return None;
        }
        secs = secs.checked_mul(60)?.checked_add(n)?;
    }
    Some(secs)
}

/// Seconds -> `HH:MM:SS`.
pub fn format_time(secs: u32) -> String {
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// The trainer's segments from the front matter, in time order; entries
/// without a valid `at` are skipped (the tags endpoint refuses them, and a
/// hand-edited file gets a problem from the schema check instead).
pub fn from_meta(meta: &Map<String, Value>) -> Vec<Segment> {
    let Some(Value::Array(items)) = meta.get("segments") else {
        return Vec::new();
    };
    let mut out: Vec<Segment> = items
        .iter()
        .filter_map(|item| {
            let at = item.get("at").and_then(scalar)?;
            let seconds = parse_time(&at)?;
            let tags = match item.get("tags") {
                Some(Value::Array(t)) => t.iter().filter_map(scalar).collect(),
                Some(v) => scalar(v).into_iter().collect(),
                None => Vec::new(),
            };
            Some(Segment {
                at: format_time(seconds),
                seconds,
                label: item.get("label").and_then(scalar).unwrap_or_default(),
                tags,
                source: Source::Segment,
            })
        })
        .collect();
    out.sort_by_key(|s| s.seconds);
    out
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The transcript of the record `id`: the file named by its `transcript:`
/// key (relative to the record, inside the corpus), else a sibling with the
/// same stem and a `.vtt` or `.srt` extension.
pub fn locate(root: &Path, id: &DocId, meta: &Map<String, Value>) -> Option<DocId> {
    let named = meta
        .get("transcript")
        .and_then(Value::as_str)
        .and_then(|n| resolve(id, n.trim()));
    if let Some(named) = named {
        if named.to_path(root).is_file() {
            return Some(named);
        }
    }
    siblings(id).into_iter().find(|t| t.to_path(root).is_file())
}

/// Sibling transcript candidates of a record.
pub fn siblings(id: &DocId) -> Vec<DocId> {
    let base = match id.folder() {
        "" => id.stem().to_string(),
        folder => format!("{folder}/{}", id.stem()),
    };
    TRANSCRIPT_EXTENSIONS
        .iter()
        .filter_map(|ext| DocId::parse(&format!("{base}.{ext}")).ok())
        .collect()
}

/// Whether a corpus path is a transcript file.
pub fn is_transcript(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    TRANSCRIPT_EXTENSIONS
        .iter()
        .any(|ext| lower.ends_with(&format!(".{ext}")))
}

/// `target` relative to the folder of `from`; `None` if it leaves the corpus.
fn resolve(from: &DocId, target: &str) -> Option<DocId> {
    if target.is_empty() || target.contains("://") || !is_transcript(target) {
        return None;
    }
    from.join(target)
}

/// Reads and parses the transcript `id`; problems are reported against
/// `record`, the document that uses it.
pub fn load(
    root: &Path,
    id: &DocId,
    record: &DocId,
    problems: &mut Vec<Problem>,
) -> Option<(TranscriptFile, Vec<Segment>)> {
    let path = id.to_path(root);
    let unreadable = |problems: &mut Vec<Problem>, why: String| {
        problems.push(Problem::warning(
            record.as_str(),
            None,
            "transcript",
            format!("transcript {id}: {why}"),
        ));
    };
    let meta = match std::fs::metadata(&path) {
        Ok(m) if m.is_file() => m,
        Ok(_) => {
            unreadable(problems, "is not a file".into());
            return None;
        }
        Err(e) => {
            unreadable(problems, e.to_string());
            return None;
        }
    };
    if meta.len() > MAX_TRANSCRIPT_BYTES {
        unreadable(
            problems,
            format!(
                "{} bytes, over the {MAX_TRANSCRIPT_BYTES}-byte limit; not indexed",
                meta.len()
            ),
        );
        return None;
    }
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            unreadable(problems, e.to_string());
            return None;
        }
    };
    let text = String::from_utf8_lossy(&bytes);
    let (cues, bad_lines) = parse_cues(&text);
    if let Some(&line) = bad_lines.first() {
        problems.push(Problem::warning(
            record.as_str(),
            None,
            "transcript",
            format!(
                "transcript {id}: {} cue timing line(s) could not be read, first at line {line}",
                bad_lines.len()
            ),
        ));
    }
    let file = TranscriptFile {
        id: id.clone(),
        size: meta.len(),
        mtime: super::mtime_nanos(&meta),
        hash: blake3::hash(&bytes).to_hex()[..32].to_string(),
    };
    Some((file, cues))
}

/// Cues of a WebVTT or SRT text, and the line numbers of timing lines that
/// could not be read. Both formats are "timing line, then text lines until a
/// blank line"; WebVTT's header, NOTE/STYLE blocks and SRT's counters are
/// skipped, cue markup (`<v Speaker>`, `<b>`) is dropped.
pub fn parse_cues(text: &str) -> (Vec<Segment>, Vec<usize>) {
    let mut cues = Vec::new();
    let mut bad = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((n, line)) = lines.next() {
        let line = line.trim_start_matches('\u{feff}').trim();
        if !line.contains("-->") {
            continue;
        }
        let start = line.split("-->").next().unwrap_or("");
        let Some(seconds) = parse_time(start) else {
            bad.push(n + 1);
            continue;
        };
        let mut words = Vec::new();
        while let Some((_, l)) = lines.peek() {
            if l.trim().is_empty() {
                break;
            }
            words.push(strip_markup(l.trim()));
            lines.next();
        }
        let label = words.join(" ").trim().to_string();
        if !label.is_empty() {
            cues.push(Segment {
                at: format_time(seconds),
                seconds,
                label,
                tags: Vec::new(),
                source: Source::Transcript,
            });
        }
    }
    cues.sort_by_key(|c| c.seconds);
    (cues, bad)
}

/// Drops `<...>` cue tags, keeping the text between them.
fn strip_markup(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_tag = false;
    for c in line.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    html_escape::decode_html_entities(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_and_format() {
        assert_eq!(parse_time("00:12:30"), Some(750));
        assert_eq!(parse_time("12:30"), Some(750));
        assert_eq!(parse_time("01:02:03.500"), Some(3723));
        assert_eq!(parse_time("00:00:01,250"), Some(1));
        assert_eq!(parse_time("00:61:00"), None);
        assert_eq!(parse_time("abc"), None);
        assert_eq!(parse_time("12"), None);
        assert_eq!(format_time(3723), "01:02:03");
    }

    #[test]
    fn webvtt_cues_with_header_notes_and_markup() {
        let vtt = "WEBVTT\n\nNOTE recorded in room 5\n\n1\n00:00:05.000 --> 00:00:09.000\n<v 林雅婷>先確認 <b>DR</b> 站的同步狀態\n\n00:12:30.000 --> 00:12:40.000 align:start\n切換備援流程開始\n第二行\n";
        let (cues, bad) = parse_cues(vtt);
        assert!(bad.is_empty());
        assert_eq!(cues.len(), 2);
        assert_eq!(cues[0].at, "00:00:05");
        assert_eq!(cues[0].label, "先確認 DR 站的同步狀態");
        assert_eq!(cues[1].seconds, 750);
        assert_eq!(cues[1].label, "切換備援流程開始 第二行");
        assert_eq!(cues[1].source, Source::Transcript);
    }

    #[test]
    fn srt_cues_and_bad_timing_lines() {
        let srt = "1\r\n00:01:00,000 --> 00:01:04,000\r\nCheck ORA-01555 first\r\n\r\n2\r\nxx:yy --> 00:02:00,000\r\nlost\r\n\r\n3\r\n00:03:00,000 --> 00:03:02,000\r\n&lt;done&gt;\r\n";
        let (cues, bad) = parse_cues(srt);
        assert_eq!(
            cues.iter().map(|c| c.label.as_str()).collect::<Vec<_>>(),
            ["Check ORA-01555 first", "<done>"]
        );
        assert_eq!(bad, vec![6]);
    }

    #[test]
    fn meta_segments_are_sorted_and_invalid_ones_skipped() {
        let meta: Map<String, Value> = serde_json::from_str(
            r#"{"segments":[{"at":"00:10:00","label":"b","tags":["x"]},{"at":"bad","label":"c"},{"at":"00:01:00","label":"a"}]}"#,
        )
        .unwrap();
        let segs = from_meta(&meta);
        assert_eq!(
            segs.iter().map(|s| s.label.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(segs[1].tags, vec!["x"]);
    }

    #[test]
    fn transcript_paths_stay_inside_the_corpus() {
        let id = DocId::parse("training/drill.md").unwrap();
        assert_eq!(
            resolve(&id, "media/drill.vtt").unwrap().as_str(),
            "training/media/drill.vtt"
        );
        assert_eq!(resolve(&id, "../t/x.srt").unwrap().as_str(), "t/x.srt");
        assert!(resolve(&id, "../../etc/passwd.vtt").is_none());
        assert!(resolve(&id, "notes.txt").is_none());
        assert_eq!(
            siblings(&id)
                .iter()
                .map(|d| d.as_str().to_string())
                .collect::<Vec<_>>(),
            ["training/drill.vtt", "training/drill.srt"]
        );
    }
}
