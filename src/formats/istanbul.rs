//! Istanbul (nyc, Jest, c8, Vitest) JSON reports.
//!
//! - `coverage-summary.json`: per file, `lines.covered`/`lines.total` and
//!   `branches.covered`/`branches.total` are raw counts and are used; `pct` is not. The
//!   `total` entry is skipped (it is recomputed from the files).
//! - `coverage-final.json`: per file, a line's hit count is the highest count of the
//!   statements starting on it (Istanbul's own `getLineCoverage`); each entry of each `b[id]`
//!   array is one branch, covered when its count is above zero.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

use serde::Deserialize;

use super::{CoverageReport, FileCoverage, FileDetail, FormatError, Ratio, json_from_reader};

#[derive(Deserialize)]
struct SummaryEntry {
    lines: Counter,
    branches: Option<Counter>,
}

#[derive(Deserialize)]
struct Counter {
    total: u64,
    covered: u64,
}

pub(crate) fn read_summary(
    path: &Path,
    input: impl BufRead,
) -> Result<CoverageReport, FormatError> {
    let entries: BTreeMap<String, SummaryEntry> =
        json_from_reader(path, input, "Istanbul coverage-summary.json")?;
    let mut report = CoverageReport::default();
    for (name, e) in entries {
        if name == "total" {
            continue;
        }
        let b = e.branches.unwrap_or(Counter { total: 0, covered: 0 });
        report.add_file(
            name,
            FileCoverage::Counts {
                lines: Ratio::new(e.lines.covered, e.lines.total),
                branches: Ratio::new(b.covered, b.total),
            },
        );
    }
    Ok(report)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FinalEntry {
    path: Option<String>,
    statement_map: BTreeMap<String, Location>,
    s: BTreeMap<String, u64>,
    #[serde(default)]
    b: BTreeMap<String, Vec<u64>>,
}

#[derive(Deserialize)]
struct Location {
    start: Pos,
}

#[derive(Deserialize)]
struct Pos {
    line: u32,
}

pub(crate) fn read_final(path: &Path, input: impl BufRead) -> Result<CoverageReport, FormatError> {
    let entries: BTreeMap<String, FinalEntry> =
        json_from_reader(path, input, "Istanbul coverage-final.json")?;
    let mut report = CoverageReport::default();
    for (key, e) in entries {
        let mut lines: BTreeMap<u32, u64> = BTreeMap::new();
        for (id, loc) in &e.statement_map {
            let count = e.s.get(id).copied().unwrap_or(0);
            let slot = lines.entry(loc.start.line).or_insert(0);
            *slot = (*slot).max(count);
        }
        let mut d = FileDetail::default();
        for (line, hits) in lines {
            d.hit_line(line, hits);
        }
        for (id, counts) in &e.b {
            let id_num = id.parse::<u32>().unwrap_or(u32::MAX);
            for (i, &hits) in counts.iter().enumerate() {
                d.hit_branch((0, id_num, i as u32), hits);
            }
        }
        report.add_file(e.path.unwrap_or(key), FileCoverage::Detail(d));
    }
    Ok(report)
}
