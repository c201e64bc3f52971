//! Search-box text: parsing, analysis, and the tantivy query built and run
//! against the real schema over a small real index. Any text must give
//! results or an empty list, never an error or a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/properties/checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| {
    let q = String::from_utf8_lossy(data);
    if let Err(why) = checks::check_query(&q) {
        panic!("{why}");
    }
});
