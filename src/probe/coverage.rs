//! The `coverage` probe: reads one or more coverage reports (lcov, Cobertura, JaCoCo,
//! coverage.py JSON, Go, llvm-cov, Istanbul, Clover, OpenCover), merges them into one figure
//! and holds line and branch percentages, overall and per path, to the checklist's minimums.

use std::collections::BTreeMap;
use std::path::Path;

use globset::GlobBuilder;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::formats::inputs::{self, Inputs};
use crate::formats::{self, CoverageFormat, CoverageReport, FileCoverage, Ratio};
use crate::outcome::{Measurement, ProbeOutcome};
use crate::probe::{Artifact, KeepError, ProbeContext, ProbeIssue};

/// Files listed in the per-file table, lowest coverage first.
const MAX_FILES_LISTED: usize = 50;

/// `coverage:` — line and branch coverage meet the minimums.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CoverageProbe")]
pub struct Spec {
    /// Coverage report file, glob, or list of them (relative to the repository); several
    /// reports are merged into one figure (a file in two reports is merged line by line).
    pub report: Inputs,
    /// Report format; detected from each file's content when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<CoverageFormat>,
    /// Minimum line coverage, percent (0–100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_lines: Option<f64>,
    /// Minimum branch coverage, percent (0–100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_branches: Option<f64>,
    /// Per-path minimum line coverage: glob (matched against the paths as the report names
    /// them, made relative to the repository) → percent. A glob matching no file is an error.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub paths: BTreeMap<String, f64>,
    /// Largest allowed drop of line coverage, in percentage points, against the same check in
    /// the `baseline` run. Without a baseline run to compare with, the check is `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_drop: Option<f64>,
    /// The run to compare with for `max_drop`: a run directory, its `manifest.json`, or a proof
    /// pack, relative to the repository (default `.readyctl/latest`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
}

/// Line coverage of check `check_id` in a saved run.
fn baseline_lines(path: &std::path::Path, check_id: &str) -> Result<f64, String> {
    let saved = crate::report::saved::load(path).map_err(|e| format!("{e:#}"))?;
    let result = saved
        .record
        .results
        .iter()
        .find(|r| r.id == check_id)
        .ok_or_else(|| format!("the baseline run has no check `{check_id}`"))?;
    result
        .measurements
        .iter()
        .find(|m| m.name == "lines" && m.unit == "percent")
        .map(|m| m.value)
        .ok_or_else(|| {
            format!(
                "check `{check_id}` in the baseline run measured no line coverage ({})",
                result.reason
            )
        })
}

/// Load-time problems: percentages outside 0–100, bad globs.
pub fn validate(spec: &Spec) -> Vec<ProbeIssue> {
    let mut issues = Vec::new();
    let percent = |v: f64| (0.0..=100.0).contains(&v);
    for (field, value) in [
        ("min_lines", spec.min_lines),
        ("min_branches", spec.min_branches),
        ("max_drop", spec.max_drop),
    ] {
        if let Some(v) = value.filter(|v| !percent(*v)) {
            issues.push(ProbeIssue::new(field, format!("{v} is not a percentage (0-100)")));
        }
    }
    for (glob, min) in &spec.paths {
        if let Err(e) = globset::Glob::new(glob) {
            issues.push(ProbeIssue::new(format!("paths.{glob}"), format!("invalid glob: {e}")));
        }
        if !percent(*min) {
            issues.push(ProbeIssue::new(
                format!("paths.{glob}"),
                format!("{min} is not a percentage (0-100)"),
            ));
        }
    }
    for (i, g) in spec.report.0.iter().enumerate() {
        if let Err(e) = globset::Glob::new(g) {
            issues
                .push(ProbeIssue::new(format!("report[{i}]"), format!("invalid glob `{g}`: {e}")));
        }
    }
    issues
}

/// A coverage spec compiled: the `paths` globs built once, at load, in the order of
/// `spec.paths`.
#[derive(Debug, Clone)]
pub struct Compiled {
    spec: Spec,
    paths: Vec<globset::GlobMatcher>,
}

/// Validates `spec` and builds its `paths` globs (`*` does not cross `/`).
pub fn compile(spec: Spec) -> Result<Compiled, Vec<ProbeIssue>> {
    let issues = validate(&spec);
    if !issues.is_empty() {
        return Err(issues);
    }
    let mut paths = Vec::new();
    for pattern in spec.paths.keys() {
        let glob = GlobBuilder::new(pattern).literal_separator(true).build().map_err(|e| {
            vec![ProbeIssue::new(format!("paths.{pattern}"), format!("invalid glob: {e}"))]
        })?;
        paths.push(glob.compile_matcher());
    }
    Ok(Compiled { spec, paths })
}

super::compiled_kind!("coverage");

/// Removes the copies [`ProbeContext::read_and_keep`] stored for `artifacts`.
fn discard(ctx: &ProbeContext, artifacts: &[Artifact]) {
    for a in artifacts {
        crate::run::rundir::discard(&ctx.evidence_dir.join(&a.name));
    }
}

/// Runs the probe (percentages were checked at load).
fn run(compiled: &Compiled, ctx: &ProbeContext) -> ProbeOutcome {
    let spec = &compiled.spec;
    let report = Inputs(spec.report.0.iter().map(|p| ctx.scratch_path(p)).collect());
    let files = match inputs::expand(ctx.repo, &report) {
        Ok(f) => f,
        Err(e) => return ProbeOutcome::error(format!("coverage report: {e}")),
    };
    let mut report = CoverageReport::default();
    let mut artifacts = Vec::new();
    let mut sources = Vec::new();
    for (i, path) in files.iter().enumerate() {
        let format = match spec.format {
            Some(f) => f,
            None => match formats::detect_coverage_format(path) {
                Ok(f) => f,
                Err(e) => {
                    discard(ctx, &artifacts);
                    return ProbeOutcome::error(e.to_string());
                }
            },
        };
        let base = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let name = format!("reports/{}-{base}", i + 1);
        // Parsed and kept as evidence in one read: the copy is what was judged.
        let read = formats::open_report(path).map_err(KeepError::Read).and_then(|file| {
            ctx.read_and_keep(file, &name, |r| formats::read_coverage_from(path, format, r))
        });
        match read {
            Ok((r, kept)) => {
                report.merge(relative_paths(r, ctx.repo));
                artifacts.push(kept);
            }
            // What was kept of the reports read before is removed: an error keeps none.
            Err(e) => {
                discard(ctx, &artifacts);
                return ProbeOutcome::error(match e {
                    KeepError::Read(e) => e.to_string(),
                    KeepError::Keep(e) => e,
                });
            }
        }
        sources.push(json!({ "file": display(ctx.repo, path), "format": format.as_str() }));
    }
    let lines = report.lines();
    let branches = report.branches();
    let Some(line_pct) = lines.percent() else {
        return with(ProbeOutcome::error("the coverage reports contain no line data"), artifacts);
    };
    let mut problems = Vec::new();
    let mut measurements = vec![
        Measurement::new("lines", round2(line_pct), "percent")
            .with_threshold_opt(spec.min_lines.map(|m| format!(">= {m}"))),
        Measurement::new("lines_covered", lines.covered as f64, "count"),
        Measurement::new("lines_total", lines.total as f64, "count"),
    ];
    if let Some(min) = spec.min_lines {
        if line_pct + 1e-9 < min {
            problems.push(format!(
                "line coverage {:.2}% ({}/{}) is below min_lines {min}%",
                line_pct, lines.covered, lines.total
            ));
        }
    }
    match branches.percent() {
        Some(pct) => {
            measurements.push(
                Measurement::new("branches", round2(pct), "percent")
                    .with_threshold_opt(spec.min_branches.map(|m| format!(">= {m}"))),
            );
            measurements.push(Measurement::new(
                "branches_covered",
                branches.covered as f64,
                "count",
            ));
            measurements.push(Measurement::new("branches_total", branches.total as f64, "count"));
            if let Some(min) = spec.min_branches {
                if pct + 1e-9 < min {
                    problems.push(format!(
                        "branch coverage {pct:.2}% ({}/{}) is below min_branches {min}%",
                        branches.covered, branches.total
                    ));
                }
            }
        }
        None if spec.min_branches.is_some() => {
            return with(
                ProbeOutcome::error(
                    "min_branches is set but the reports carry no branch data (enable branch \
                     coverage in the coverage tool)",
                ),
                artifacts,
            );
        }
        None => {}
    }
    if let Some(max_drop) = spec.max_drop {
        let base_path = ctx.resolve(spec.baseline.as_deref().unwrap_or(".readyctl/latest"));
        match baseline_lines(&base_path, ctx.check_id) {
            Ok(before) => {
                let drop = before - line_pct;
                measurements.push(
                    Measurement::new("lines_drop", round2(drop), "points")
                        .with_threshold(format!("<= {max_drop}")),
                );
                if drop > max_drop + 1e-9 {
                    problems.push(format!(
                        "line coverage dropped {drop:.2} points ({before:.2}% → {line_pct:.2}%), more than max_drop {max_drop}"
                    ));
                }
            }
            Err(e) => {
                return with(
                    ProbeOutcome::error(format!(
                        "max_drop: no baseline to compare with at `{}`: {e}",
                        base_path.strip_prefix(ctx.repo).unwrap_or(&base_path).display()
                    )),
                    artifacts,
                );
            }
        }
    }
    measurements.push(Measurement::new("files", report.files.len() as f64, "count"));
    let mut path_results = Vec::new();
    for ((pattern, min), glob) in spec.paths.iter().zip(&compiled.paths) {
        let mut r = Ratio::default();
        let mut matched = 0usize;
        for (file, cov) in &report.files {
            if glob.is_match(file) {
                matched += 1;
                r.add(cov.lines());
            }
        }
        let Some(pct) = r.percent().filter(|_| matched > 0) else {
            return with(
                ProbeOutcome::error(format!(
                    "paths: `{pattern}` matches no file with line data in the reports \
                     (paths look like `{}`)",
                    report.files.keys().next().map(String::as_str).unwrap_or("")
                )),
                artifacts,
            );
        };
        if pct + 1e-9 < *min {
            problems.push(format!(
                "`{pattern}` line coverage {pct:.2}% ({}/{}) is below {min}%",
                r.covered, r.total
            ));
        }
        path_results.push(json!({
            "glob": pattern, "files": matched, "lines_covered": r.covered,
            "lines_total": r.total, "lines_percent": round2(pct), "min_lines": min,
        }));
    }
    let table = file_table(&report);
    artifacts.push(Artifact::bytes("files.txt", table.text));
    artifacts.push(Artifact::json(
        "summary.json",
        &json!({
            "reports": sources,
            "lines": { "covered": lines.covered, "total": lines.total, "percent": round2(line_pct) },
            "branches": { "covered": branches.covered, "total": branches.total,
                          "percent": branches.percent().map(round2) },
            "paths": path_results,
            "files_total": report.files.len(),
            "lowest_files": table.json,
        }),
    ));
    let mut out = if problems.is_empty() {
        let mut reason = format!("lines {:.2}% ({}/{})", line_pct, lines.covered, lines.total);
        if let Some(p) = branches.percent() {
            reason
                .push_str(&format!(", branches {p:.2}% ({}/{})", branches.covered, branches.total));
        }
        ProbeOutcome::pass(format!("{reason} across {} files", report.files.len()))
    } else {
        ProbeOutcome::fail(problems.join("; "))
    };
    out.measurements = measurements;
    with(out, artifacts)
}

trait ThresholdOpt {
    fn with_threshold_opt(self, t: Option<String>) -> Self;
}

impl ThresholdOpt for Measurement {
    fn with_threshold_opt(self, t: Option<String>) -> Self {
        match t {
            Some(t) => self.with_threshold(t),
            None => self,
        }
    }
}

fn with(mut out: ProbeOutcome, artifacts: Vec<Artifact>) -> ProbeOutcome {
    out.artifacts = artifacts;
    out
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn display(repo: &Path, p: &Path) -> String {
    crate::text::repo_relative(p, repo)
}

/// Absolute paths under the repository become relative, so `paths:` globs and the table read
/// the same whichever tool wrote the report.
fn relative_paths(report: CoverageReport, repo: &Path) -> CoverageReport {
    let mut out = CoverageReport::default();
    for (path, cov) in report.files {
        let p = Path::new(&path);
        let rel = if p.is_absolute() {
            p.strip_prefix(repo).map(|r| r.to_string_lossy().into_owned()).unwrap_or(path)
        } else {
            path.strip_prefix("./").map(str::to_string).unwrap_or(path)
        };
        out.add_file(rel.replace('\\', "/"), cov);
    }
    out
}

struct Table {
    text: String,
    json: Vec<serde_json::Value>,
}

/// Files by line coverage, lowest first, bounded.
fn file_table(report: &CoverageReport) -> Table {
    let mut rows: Vec<(&String, &FileCoverage, f64)> =
        report.files.iter().map(|(p, c)| (p, c, c.lines().percent().unwrap_or(100.0))).collect();
    rows.sort_by(|a, b| {
        a.2.partial_cmp(&b.2).unwrap_or(std::cmp::Ordering::Equal).then(a.0.cmp(b.0))
    });
    let mut text =
        format!("{:>8} {:>13} {:>8} {:>13}  file\n", "lines%", "lines", "branch%", "branches");
    let mut json = Vec::new();
    for (path, cov, pct) in rows.iter().take(MAX_FILES_LISTED) {
        let (l, b) = (cov.lines(), cov.branches());
        let bpct = b.percent();
        text.push_str(&format!(
            "{:>8.2} {:>13} {:>8} {:>13}  {path}\n",
            pct,
            format!("{}/{}", l.covered, l.total),
            bpct.map_or("-".to_string(), |p| format!("{p:.2}")),
            format!("{}/{}", b.covered, b.total),
        ));
        json.push(json!({
            "file": path, "lines_covered": l.covered, "lines_total": l.total,
            "lines_percent": round2(*pct), "branches_covered": b.covered,
            "branches_total": b.total, "branches_percent": bpct.map(round2),
        }));
    }
    if rows.len() > MAX_FILES_LISTED {
        text.push_str(&format!("… {} more files\n", rows.len() - MAX_FILES_LISTED));
    }
    Table { text, json }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn validate_reports_out_of_range_percentages() {
        let spec: Spec =
            serde_yaml::from_str("report: c.xml\nmin_lines: 101\npaths: {'src/**': -1}\n").unwrap();
        let fields: Vec<String> = validate(&spec).into_iter().map(|i| i.field).collect();
        assert_eq!(fields, ["min_lines", "paths.src/**"]);
        let ok: Spec =
            serde_yaml::from_str("report: [a.info, 'b/*.info']\nmin_branches: 0\n").unwrap();
        assert!(validate(&ok).is_empty());
        assert!(serde_yaml::from_str::<Spec>("report: c.xml\nmin_line: 5\n").is_err());
    }
}
