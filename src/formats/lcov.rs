//! lcov tracefiles. Lines come from `DA:<line>,<hits>` records and branches from
//! `BRDA:<line>,<block>,<branch>,<taken>` (`-` = never reached = not covered); the `LF/LH/BRF/BRH`
//! summary records are ignored. A source file that appears in several `SF:` records (one per
//! test binary, per test name) is merged line by line: a line is covered if any record hit it.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

use super::{CoverageReport, FileDetail, FormatError, Position};

pub(crate) fn read(path: &Path, mut input: impl BufRead) -> Result<CoverageReport, FormatError> {
    let mut files: BTreeMap<String, FileDetail> = BTreeMap::new();
    let mut current: Option<(String, FileDetail)> = None;
    let mut line = Vec::with_capacity(256);
    let mut line_no = 0u64;
    let mut records = 0u64;
    let err =
        |line_no: u64, msg: String| FormatError::new(path, Some(Position::Line(line_no)), msg);
    loop {
        line.clear();
        let n = input
            .read_until(b'\n', &mut line)
            .map_err(|e| err(line_no + 1, format!("cannot read: {e}")))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let text = std::str::from_utf8(&line)
            .map_err(|_| err(line_no, "invalid UTF-8: not an lcov tracefile".into()))?
            .trim_end_matches(['\n', '\r']);
        if text.is_empty() {
            continue;
        }
        let (tag, value) = text.split_once(':').unwrap_or((text, ""));
        match tag {
            "SF" => {
                if let Some((name, detail)) = current.take() {
                    add(&mut files, name, detail);
                }
                current = Some((value.to_string(), FileDetail::default()));
                records += 1;
            }
            "end_of_record" => {
                let Some((name, detail)) = current.take() else {
                    return Err(err(line_no, "end_of_record without a preceding SF:".into()));
                };
                add(&mut files, name, detail);
            }
            "DA" => {
                let (_, d) = current
                    .as_mut()
                    .ok_or_else(|| err(line_no, "DA: record outside an SF: section".into()))?;
                let mut parts = value.split(',');
                let ln = parse_num(parts.next()).ok_or_else(|| bad(path, line_no, text))?;
                let hits = parse_hits(parts.next()).ok_or_else(|| bad(path, line_no, text))?;
                d.hit_line(ln, hits);
            }
            "BRDA" => {
                let (_, d) = current
                    .as_mut()
                    .ok_or_else(|| err(line_no, "BRDA: record outside an SF: section".into()))?;
                let mut parts = value.split(',');
                let ln = parse_num(parts.next()).ok_or_else(|| bad(path, line_no, text))?;
                let block = parse_num(parts.next()).ok_or_else(|| bad(path, line_no, text))?;
                let branch = parts.next().ok_or_else(|| bad(path, line_no, text))?;
                // Newer lcov allows a branch expression instead of a number: hash it.
                let branch = branch.parse::<u32>().unwrap_or_else(|_| small_hash(branch));
                let taken = match parts.next().map(str::trim) {
                    Some("-") => 0,
                    other => parse_hits(other).ok_or_else(|| bad(path, line_no, text))?,
                };
                d.hit_branch((ln, block, branch), taken);
            }
            // TN, FN, FNDA, FNF, FNH, LF, LH, BRF, BRH, VER, FNL, FNA: not needed.
            _ if tag.chars().all(|c| c.is_ascii_uppercase()) => {}
            _ => return Err(bad(path, line_no, text)),
        }
    }
    if let Some((name, _)) = current.take() {
        // A missing final end_of_record means the file was cut short.
        return Err(err(line_no, format!("truncated: record for `{name}` has no end_of_record")));
    }
    if records == 0 {
        return Err(err(line_no.max(1), "no SF: record: empty or not an lcov tracefile".into()));
    }
    Ok(CoverageReport::from_details(files))
}

fn add(files: &mut BTreeMap<String, FileDetail>, name: String, detail: FileDetail) {
    match files.get_mut(&name) {
        Some(existing) => existing.merge(detail),
        None => {
            files.insert(name, detail);
        }
    }
}

fn bad(path: &Path, line_no: u64, text: &str) -> FormatError {
    let shown: String = text.chars().take(60).collect();
    FormatError::new(
        path,
        Some(Position::Line(line_no)),
        format!("malformed lcov record `{shown}`"),
    )
}

fn parse_num(s: Option<&str>) -> Option<u32> {
    s?.trim().parse().ok()
}

/// Hit counts: integers, but some generators write floats or huge values.
fn parse_hits(s: Option<&str>) -> Option<u64> {
    let s = s?.trim();
    s.parse::<u64>().ok().or_else(|| s.parse::<f64>().ok().filter(|f| *f >= 0.0).map(|f| f as u64))
}

fn small_hash(s: &str) -> u32 {
    s.bytes().fold(2166136261u32, |h, b| (h ^ u32::from(b)).wrapping_mul(16777619))
}
