//! Markdown import of a readiness report (`readyctl import`): parsing, classification and the
//! generated checklist text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let import = readyctl::claims::import::import(text, "REPORT.md");
    let _ = import.summary("REPORT.md");
});
