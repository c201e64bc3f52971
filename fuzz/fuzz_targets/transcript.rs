//! WebVTT / SRT cue parsing of arbitrary text.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/properties/checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Err(why) = checks::check_transcript(&text) {
        panic!("{why}");
    }
});
