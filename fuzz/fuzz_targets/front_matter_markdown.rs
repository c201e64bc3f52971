//! Whole-document parsing (front matter, Markdown, analysis, HTML) of
//! arbitrary bytes under an arbitrary path. An input whose first line is
//! `\x01path:<id>` names the document; otherwise the path is one of a few
//! corpus folders (so folder-to-kind rules are exercised).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/properties/checks.rs"]
mod checks;

const PATHS: &[&str] = &[
    "runbooks/core-banking/日終批次.md",
    "training/rac.md",
    "incidents/2025/x.md",
    "handovers/h.md",
    "notes/readme.md",
];

fuzz_target!(|data: &[u8]| {
    let (path, bytes) = match data.strip_prefix(b"\x01path:") {
        Some(rest) => {
            let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
            let path = String::from_utf8_lossy(&rest[..end]).into_owned();
            (path, &rest[(end + 1).min(rest.len())..])
        }
        None => (PATHS[data.len() % PATHS.len()].to_string(), data),
    };
    if let Err(why) = checks::check_document(&path, bytes) {
        panic!("{why}");
    }
});
