//! Coverage readers: lcov, Cobertura, JaCoCo, coverage.py JSON, Go coverprofile, llvm-cov
//! export, Istanbul summary and final, Clover, OpenCover, and format detection. The first byte
//! picks the reader; the rest is the report.
#![no_main]
use libfuzzer_sys::fuzz_target;
use readyctl::formats::{CoverageFormat, read_coverage};

#[path = "scratch.rs"]
mod scratch;

const FORMATS: [Option<CoverageFormat>; 11] = [
    Some(CoverageFormat::Lcov),
    Some(CoverageFormat::Cobertura),
    Some(CoverageFormat::Jacoco),
    Some(CoverageFormat::CoveragePy),
    Some(CoverageFormat::GoCover),
    Some(CoverageFormat::LlvmCov),
    Some(CoverageFormat::IstanbulSummary),
    Some(CoverageFormat::IstanbulFinal),
    Some(CoverageFormat::Clover),
    Some(CoverageFormat::Opencover),
    None,
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else { return };
    let format = FORMATS[sel as usize % FORMATS.len()];
    let path = scratch::write("coverage", body);
    if let Ok(report) = read_coverage(&path, format) {
        let _ = report.lines().percent();
        let _ = report.branches().percent();
    }
});
