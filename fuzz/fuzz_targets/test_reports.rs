//! Test-result readers: JUnit, TAP, go test -json, libtest JSON, Jest JSON, TRX, and format
//! detection. The first byte picks the reader; the rest is the report.
#![no_main]
use libfuzzer_sys::fuzz_target;
use readyctl::formats::{TestFormat, read_tests};

#[path = "scratch.rs"]
mod scratch;

const FORMATS: [Option<TestFormat>; 7] = [
    Some(TestFormat::Junit),
    Some(TestFormat::Tap),
    Some(TestFormat::GoJson),
    Some(TestFormat::LibtestJson),
    Some(TestFormat::JestJson),
    Some(TestFormat::Trx),
    None,
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else { return };
    let format = FORMATS[sel as usize % FORMATS.len()];
    let path = scratch::write("report", body);
    if let Ok(report) = read_tests(&path, format) {
        let _ = report.counts();
        for case in &report.cases {
            let _ = case.full_name();
        }
    }
});
