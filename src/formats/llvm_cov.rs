//! `llvm-cov export` JSON (`-format=text`, also `cargo llvm-cov --json`). Per file, the
//! `summary.lines` and `summary.branches` objects (`count`, `covered`) are raw counts and are
//! used as they are; the rounded `percent` fields are not. Several `data` entries (several
//! binaries) merge per file.

use std::io::BufRead;
use std::path::Path;

use serde::Deserialize;

use super::{CoverageReport, FileCoverage, FormatError, Ratio, json_from_reader};

#[derive(Deserialize)]
struct Export {
    #[serde(rename = "type")]
    kind: String,
    data: Vec<Data>,
}

#[derive(Deserialize)]
struct Data {
    files: Vec<File>,
}

#[derive(Deserialize)]
struct File {
    filename: String,
    summary: Summary,
}

#[derive(Deserialize)]
struct Summary {
    lines: Counter,
    #[serde(default)]
    branches: Option<Counter>,
}

#[derive(Deserialize)]
struct Counter {
    count: u64,
    covered: u64,
}

pub(crate) fn read(path: &Path, input: impl BufRead) -> Result<CoverageReport, FormatError> {
    let export: Export = json_from_reader(path, input, "llvm-cov export JSON")?;
    if export.kind != "llvm.coverage.json.export" {
        return Err(FormatError::new(
            path,
            None,
            format!("type is `{}`, expected `llvm.coverage.json.export`", export.kind),
        ));
    }
    let mut report = CoverageReport::default();
    for data in export.data {
        for f in data.files {
            let b = f.summary.branches.unwrap_or(Counter { count: 0, covered: 0 });
            report.add_file(
                f.filename,
                FileCoverage::Counts {
                    lines: Ratio::new(f.summary.lines.covered, f.summary.lines.count),
                    branches: Ratio::new(b.covered, b.count),
                },
            );
        }
    }
    Ok(report)
}
