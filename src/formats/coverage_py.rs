//! coverage.py JSON (`coverage json`). `percent_covered` blends branches into the line figure
//! (`(covered_lines + covered_branches) / (statements + branches)`), so it is not used: lines
//! are `executed_lines` out of `executed_lines ∪ missing_lines` (= `covered_lines` /
//! `num_statements`), branches are `executed_branches` out of `executed_branches ∪
//! missing_branches` (arcs `[from, to]`). A report without line lists falls back to the
//! per-file `summary` counts.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

use serde::Deserialize;

use super::{CoverageReport, FileCoverage, FileDetail, FormatError, Ratio, json_from_reader};

#[derive(Deserialize)]
struct Report {
    files: BTreeMap<String, FileEntry>,
}

#[derive(Deserialize)]
struct FileEntry {
    executed_lines: Option<Vec<u32>>,
    missing_lines: Option<Vec<u32>>,
    executed_branches: Option<Vec<(i64, i64)>>,
    missing_branches: Option<Vec<(i64, i64)>>,
    summary: Option<Summary>,
}

#[derive(Deserialize)]
struct Summary {
    covered_lines: u64,
    num_statements: u64,
    #[serde(default)]
    covered_branches: u64,
    #[serde(default)]
    num_branches: u64,
}

pub(crate) fn read(path: &Path, input: impl BufRead) -> Result<CoverageReport, FormatError> {
    let report: Report = json_from_reader(path, input, "coverage.py JSON report")?;
    let mut out = CoverageReport::default();
    for (name, f) in report.files {
        let cov = match (&f.executed_lines, &f.missing_lines) {
            (Some(exec), Some(missing)) => {
                let mut d = FileDetail::default();
                for &l in exec {
                    d.hit_line(l, 1);
                }
                for &l in missing {
                    d.hit_line(l, 0);
                }
                for &(from, to) in f.executed_branches.iter().flatten() {
                    d.hit_branch(arc_key(from, to), 1);
                }
                for &(from, to) in f.missing_branches.iter().flatten() {
                    d.hit_branch(arc_key(from, to), 0);
                }
                FileCoverage::Detail(d)
            }
            _ => match f.summary {
                Some(s) => FileCoverage::Counts {
                    lines: Ratio::new(s.covered_lines, s.num_statements),
                    branches: Ratio::new(s.covered_branches, s.num_branches),
                },
                None => {
                    return Err(FormatError::new(
                        path,
                        None,
                        format!("file `{name}` has neither executed_lines nor a summary"),
                    ));
                }
            },
        };
        out.add_file(name, cov);
    }
    Ok(out)
}

/// Arc `[from, to]` (negative `to` = exit from the code object) as a branch key.
fn arc_key(from: i64, to: i64) -> (u32, u32, u32) {
    (from.unsigned_abs() as u32, to as i32 as u32, u32::from(from < 0))
}
