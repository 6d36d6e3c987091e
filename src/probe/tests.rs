//! The `tests` probe: optionally runs the test command, then reads its result files (JUnit,
//! TAP, `go test -json`, libtest JSON, Jest, TRX) and holds the counts to the checklist's
//! thresholds. Counts come from the test cases themselves (see `crate::formats`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use regex::Regex;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::json;

use crate::duration::DurationSpec;
use crate::formats::inputs::{self, Inputs};
use crate::formats::{self, CaseStatus, TestCase, TestCounts, TestFormat, TestReport};
use crate::outcome::{Location, Measurement, ProbeOutcome};
use crate::probe::{Artifact, KeepError, ProbeContext, ProbeIssue, regex_error};
use crate::run::diagnose::Diagnosis;
use crate::run::process::{self, ProcOutcome, ProcSpec};

/// Failing tests listed in `summary.json` and as locations.
const MAX_LISTED: usize = 50;
/// Slowest tests listed in `summary.json`.
const SLOWEST: usize = 10;

/// `tests:` — the test suite ran and its results meet the thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TestsProbe")]
pub struct Spec {
    /// Command that runs the tests (through `sh -c`, in the repository root). Its logs become
    /// evidence; result files older than the run's start are then an error. Its exit code is
    /// recorded but the verdict comes from the result files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// Result file, glob, or list of them (relative to the repository).
    pub results: Inputs,
    /// Result format; detected from each file's content when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<TestFormat>,
    /// Fewest test cases the results must contain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_total: Option<u64>,
    /// Most failed plus errored test cases allowed (default 0), or `any`: only `require`,
    /// `min_total` and the other limits decide (a claim about one named test).
    #[serde(default)]
    pub max_failed: FailLimit,
    /// Most skipped test cases allowed: a count (`3`), a ratio of the total (`0.05`) or a
    /// percentage (`"5%"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_skipped: Option<SkipLimit>,
    /// Fail when any test only passed after a retry.
    #[serde(default)]
    pub forbid_flaky: bool,
    /// Tests that must exist and pass: pytest node ids (`tests/test_api.py::test_login`),
    /// `classname.name`, a bare test name, or `regex:<pattern>` matched against
    /// `classname.name`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub require: Vec<String>,
    /// Without `run`: result files older than this are an error (a stale report proves
    /// nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<DurationSpec>,
    /// Without `run`: result files written before this run started are an error (stale). For
    /// results another check produces in the same run (that check is listed in `needs`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fresh: bool,
}

/// `max_failed`: a count, or `any`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailLimit {
    Count(u64),
    Any,
}

impl Default for FailLimit {
    fn default() -> Self {
        FailLimit::Count(0)
    }
}

impl FailLimit {
    fn allows(self, bad: u64) -> bool {
        match self {
            FailLimit::Count(n) => bad <= n,
            FailLimit::Any => true,
        }
    }
}

impl PartialEq<u64> for FailLimit {
    fn eq(&self, other: &u64) -> bool {
        *self == FailLimit::Count(*other)
    }
}

impl fmt::Display for FailLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailLimit::Count(n) => write!(f, "{n}"),
            FailLimit::Any => f.write_str("any"),
        }
    }
}

impl Serialize for FailLimit {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FailLimit::Count(n) => s.serialize_u64(*n),
            FailLimit::Any => s.serialize_str("any"),
        }
    }
}

impl<'de> Deserialize<'de> for FailLimit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = FailLimit;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a count of tests (0) or `any`")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<FailLimit, E> {
                Ok(FailLimit::Count(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<FailLimit, E> {
                u64::try_from(v)
                    .map(FailLimit::Count)
                    .map_err(|_| E::custom("must not be negative"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FailLimit, E> {
                match v.trim() {
                    "any" => Ok(FailLimit::Any),
                    other => Err(E::custom(format!("`{other}` is neither a count nor `any`"))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl schemars::JsonSchema for FailLimit {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FailLimit".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A count of failed plus errored tests (0), or `any`.",
            "anyOf": [
                { "type": "integer", "minimum": 0 },
                { "type": "string", "enum": ["any"] }
            ]
        })
    }
}

/// A limit on skipped tests: a count or a share of the total.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SkipLimit {
    Count(u64),
    /// 0–1.
    Ratio(f64),
}

impl SkipLimit {
    fn allows(self, skipped: u64, total: u64) -> bool {
        match self {
            SkipLimit::Count(n) => skipped <= n,
            SkipLimit::Ratio(r) => total == 0 || (skipped as f64) <= r * total as f64 + 1e-9,
        }
    }
}

impl fmt::Display for SkipLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipLimit::Count(n) => write!(f, "{n}"),
            SkipLimit::Ratio(r) => write!(f, "{}%", r * 100.0),
        }
    }
}

impl Serialize for SkipLimit {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            SkipLimit::Count(n) => s.serialize_u64(*n),
            SkipLimit::Ratio(r) => s.serialize_f64(*r),
        }
    }
}

impl<'de> Deserialize<'de> for SkipLimit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = SkipLimit;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a count (3), a ratio below 1 (0.05) or a percentage (\"5%\")")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<SkipLimit, E> {
                Ok(SkipLimit::Count(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<SkipLimit, E> {
                u64::try_from(v)
                    .map(SkipLimit::Count)
                    .map_err(|_| E::custom("must not be negative"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<SkipLimit, E> {
                if (0.0..1.0).contains(&v) {
                    Ok(SkipLimit::Ratio(v))
                } else if v >= 1.0 && v.fract() == 0.0 {
                    Ok(SkipLimit::Count(v as u64))
                } else {
                    Err(E::custom(format!("{v} is neither a count nor a ratio in 0..1")))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SkipLimit, E> {
                let pct = v
                    .trim()
                    .strip_suffix('%')
                    .and_then(|n| n.trim().parse::<f64>().ok())
                    .filter(|p| (0.0..=100.0).contains(p))
                    .ok_or_else(|| E::custom(format!("`{v}` is not a percentage like \"5%\"")))?;
                Ok(SkipLimit::Ratio(pct / 100.0))
            }
        }
        d.deserialize_any(V)
    }
}

impl schemars::JsonSchema for SkipLimit {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SkipLimit".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A count of tests (3), a ratio of the total below 1 (0.05), or a percentage (\"5%\").",
            "anyOf": [
                { "type": "integer", "minimum": 0 },
                { "type": "number", "minimum": 0, "exclusiveMaximum": 1 },
                { "type": "string", "pattern": "^\\s*[0-9]+(\\.[0-9]+)?\\s*%\\s*$" }
            ]
        })
    }
}

/// Runs the test command through `sh -c` in the repository with the runner's process control
/// (its own process group, killed at the deadline or on Ctrl-C), streaming stdout and stderr to
/// `run.stdout.log` / `run.stderr.log` in the evidence directory through the redaction filter.
pub fn run_command(command: &str, ctx: &ProbeContext) -> Result<ProcOutcome, String> {
    let mut proc = ProcSpec::shell(command, ctx.repo);
    proc.env.push(ctx.scratch_env());
    process::run(
        &proc,
        ctx.deadline,
        ctx.cancel,
        &ctx.evidence_dir.join("run.stdout.log"),
        &ctx.evidence_dir.join("run.stderr.log"),
        ctx.output_filter.clone(),
    )
    .map_err(|e| format!("cannot run the test command `{command}`: {e}"))
}

/// Load-time problems: bad globs, bad `regex:` requirements.
pub fn validate(spec: &Spec) -> Vec<ProbeIssue> {
    check_static(spec).0
}

/// The problems in the spec, and its `regex:` requirements compiled (one entry per `require`
/// item, `None` for a test name).
fn check_static(spec: &Spec) -> (Vec<ProbeIssue>, Vec<Option<Regex>>) {
    let mut issues = Vec::new();
    let mut compiled = Vec::with_capacity(spec.require.len());
    for (i, g) in spec.results.0.iter().enumerate() {
        if let Err(e) = globset::Glob::new(g) {
            issues
                .push(ProbeIssue::new(format!("results[{i}]"), format!("invalid glob `{g}`: {e}")));
        }
    }
    for (i, req) in spec.require.iter().enumerate() {
        compiled.push(None);
        if let Some(pattern) = req.strip_prefix("regex:") {
            match Regex::new(pattern) {
                Ok(re) => compiled[i] = Some(re),
                Err(err) => issues
                    .push(ProbeIssue::new(format!("require[{i}]"), regex_error(pattern, &err))),
            }
        } else if req.trim().is_empty() {
            issues.push(ProbeIssue::new(format!("require[{i}]"), "empty test name"));
        }
    }
    if spec.run.as_deref().is_some_and(|r| r.trim().is_empty()) {
        issues.push(ProbeIssue::new("run", "empty command"));
    }
    if spec.run.is_some() && spec.fresh {
        issues.push(
            ProbeIssue::new("fresh", "fresh has no effect with `run`")
                .hint("with `run`, result files must be newer than the run's start"),
        );
    }
    if spec.run.is_some() && spec.max_age.is_some() {
        issues.push(
            ProbeIssue::new("max_age", "max_age has no effect with `run`")
                .hint("with `run`, result files must be newer than the run's start"),
        );
    }
    (issues, compiled)
}

/// A `tests` spec compiled: its `regex:` requirements ready.
#[derive(Debug, Clone)]
pub struct Compiled {
    spec: Spec,
    require: Vec<Option<Regex>>,
}

/// Validates the spec and prepares what `run` uses.
fn compile(spec: Spec) -> Result<Compiled, Vec<ProbeIssue>> {
    match check_static(&spec) {
        (issues, require) if issues.is_empty() => Ok(Compiled { spec, require }),
        (issues, _) => Err(issues),
    }
}

super::compiled_kind!("tests", shell: ["run"]);

/// Runs the probe.
fn run(compiled: &Compiled, ctx: &ProbeContext) -> ProbeOutcome {
    let spec = &compiled.spec;
    let mut artifacts = Vec::new();
    let command = match &spec.run {
        Some(cmd) => match run_command(cmd, ctx) {
            // The logs are already in the evidence directory (streamed there).
            Ok(r) => {
                if r.timed_out || r.cancelled {
                    let mut out = ProbeOutcome::error(format!(
                        "test command {} (logs: run.stdout.log, run.stderr.log)",
                        r.describe_end()
                    ));
                    out.artifacts = artifacts;
                    return out;
                }
                Some(r)
            }
            Err(e) => return ProbeOutcome::error(e),
        },
        None => None,
    };
    let results = Inputs(spec.results.0.iter().map(|p| ctx.scratch_path(p)).collect());
    let files = match inputs::expand(ctx.repo, &results) {
        Ok(f) => f,
        Err(e) => {
            let hint = match &command {
                Some(c) => {
                    let d = Diagnosis::of_logs(&c.stderr.path, &c.stdout.path);
                    let cause = d.env.map(|e| format!("; {}", e.describe())).unwrap_or_default();
                    format!(
                        " (test command exited with {}{cause}){}",
                        exit_text(c.exit_code),
                        d.suffix()
                    )
                }
                None => String::new(),
            };
            let mut out = ProbeOutcome::error(format!("test results: {e}{hint}"));
            out.artifacts = artifacts;
            return out;
        }
    };
    if let Some(stale) = check_freshness(spec, ctx, &files) {
        let mut out = ProbeOutcome::error(stale);
        out.artifacts = artifacts;
        return out;
    }
    let mut report = TestReport::default();
    let mut formats_seen = Vec::new();
    for (i, path) in files.iter().enumerate() {
        let format = match spec.format {
            Some(f) => f,
            None => match formats::detect_test_format(path) {
                Ok(f) => f,
                Err(e) => return with_artifacts(ProbeOutcome::error(e.to_string()), artifacts),
            },
        };
        let base = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let name = format!("results/{}-{base}", i + 1);
        // Parsed and kept as evidence in one read: the copy is what was judged.
        let read = formats::open_report(path).map_err(KeepError::Read).and_then(|file| {
            ctx.read_and_keep(file, &name, |r| formats::read_tests_from(path, format, r))
        });
        match read {
            Ok((r, kept)) => {
                report.extend(r);
                artifacts.push(kept);
            }
            Err(KeepError::Read(e)) => {
                return with_artifacts(ProbeOutcome::error(e.to_string()), artifacts);
            }
            Err(KeepError::Keep(e)) => return with_artifacts(ProbeOutcome::error(e), artifacts),
        }
        formats_seen.push(json!({ "file": display(ctx.repo, path), "format": format.as_str() }));
    }
    let counts = report.counts();
    let verdict = evaluate(spec, &compiled.require, ctx.repo, &report, &counts);
    let summary = summary_json(&report, &counts, &formats_seen, command.as_ref());
    artifacts.push(Artifact::json("summary.json", &summary));
    let mut out = match verdict {
        Ok(()) => ProbeOutcome::pass(describe(&counts)),
        Err(problems) => match environment_cause(&report, &counts, command.as_ref()) {
            // Nothing failed an assertion: every bad case is a suite that could not load, and
            // the output says the environment is why. The tests were not run here.
            Some(why) => ProbeOutcome::error(format!("{}; {why}", problems.join("; "))),
            None => ProbeOutcome::fail(problems.join("; ")),
        },
    };
    out.measurements = measurements(spec, &counts);
    if let Some(c) = &command {
        if let Some(code) = c.exit_code {
            out.measurements.push(Measurement::new("exit_code", f64::from(code), "count"));
        }
    }
    out.locations = report
        .cases
        .iter()
        .filter(|c| matches!(c.status, CaseStatus::Failed | CaseStatus::Error))
        .filter_map(|c| {
            let file = c.file.as_deref()?;
            Some(Location {
                path: display(ctx.repo, Path::new(file)),
                line: None,
                column: None,
                message: Some(format!("{} {}", status_word(c.status), c.full_name())),
                rule: None,
            })
        })
        .take(MAX_LISTED)
        .collect();
    free_later(report);
    with_artifacts(out, artifacts)
}

/// Frees a report of many cases on a thread of its own: freeing 100,000 cases (two strings
/// each) takes ~3 ms the check need not wait for. Inline when that thread cannot start.
fn free_later(report: TestReport) {
    if report.cases.len() >= 10_000 {
        let _ = std::thread::Builder::new().name("free".into()).spawn(move || drop(report));
    }
}

/// When no test failed an assertion and the errored cases (suites that failed to run) or the
/// test command's output carry an environment signature: what it is, with the tool's line.
fn environment_cause(
    report: &TestReport,
    counts: &TestCounts,
    command: Option<&ProcOutcome>,
) -> Option<String> {
    if counts.failed > 0 || counts.errors == 0 {
        return None;
    }
    let from_cases = report
        .cases
        .iter()
        .filter(|c| c.status == CaseStatus::Error)
        .filter_map(|c| c.message.as_deref())
        .map(Diagnosis::of_text)
        .find(|d| d.env.is_some());
    let d = from_cases.or_else(|| {
        command
            .map(|c| Diagnosis::of_logs(&c.stderr.path, &c.stdout.path))
            .filter(|d| d.env.is_some())
    })?;
    Some(format!("not a test failure: {}{}", d.env?.describe(), d.suffix()))
}

/// How a failing case is named in a reason: its full name, or for a suite that failed to run
/// (no test name of its own), its file relative to the repository.
fn case_label(repo: &Path, c: &TestCase) -> String {
    match (&c.file, c.name.as_str()) {
        (Some(file), formats::SUITE_FAILED_TO_RUN) => {
            let first = c
                .message
                .as_deref()
                .map(Diagnosis::of_text)
                .and_then(|d| d.line)
                .map(|l| format!(": {l}"))
                .unwrap_or_default();
            format!("{} (suite failed to run{first})", display(repo, Path::new(file)))
        }
        _ => c.full_name(),
    }
}

fn with_artifacts(mut out: ProbeOutcome, artifacts: Vec<Artifact>) -> ProbeOutcome {
    out.artifacts = artifacts;
    out
}

fn exit_text(code: Option<i32>) -> String {
    code.map_or_else(|| "a signal".to_string(), |c| format!("code {c}"))
}

fn display(repo: &Path, p: &Path) -> String {
    crate::text::repo_relative(p, repo)
}

/// File systems stamp files with the kernel's coarse clock, up to a tick (10 ms at HZ=100)
/// behind the clock `run_started` was read from: a report written in the first milliseconds of
/// a run can carry an mtime just before it. Results from an earlier run are seconds older.
const MTIME_SLACK: Duration = Duration::from_millis(100);

/// Whether a file modified at `modified` was written before the run started.
fn written_before_run(modified: SystemTime, run_started: SystemTime) -> bool {
    modified + MTIME_SLACK < run_started
}

/// With `run`: every result file must be written after the run started. Without: `max_age`.
fn check_freshness(spec: &Spec, ctx: &ProbeContext, files: &[PathBuf]) -> Option<String> {
    for path in files {
        let modified = match std::fs::metadata(path).and_then(|m| m.modified()) {
            Ok(t) => t,
            Err(e) => {
                return Some(format!("{}: cannot read modification time: {e}", path.display()));
            }
        };
        if spec.run.is_some() && written_before_run(modified, ctx.run_started) {
            return Some(format!(
                "{} is stale: written before this run started, so the test command did not \
                 produce it (check `results` matches where the command writes)",
                display(ctx.repo, path)
            ));
        }
        if spec.run.is_none() && spec.fresh && written_before_run(modified, ctx.run_started) {
            return Some(format!(
                "{} is stale: written before this run started (`fresh`), so no check of this \
                 run produced it",
                display(ctx.repo, path)
            ));
        }
        if let (None, Some(max_age)) = (&spec.run, spec.max_age) {
            let age = SystemTime::now().duration_since(modified).unwrap_or_default();
            if age > max_age.as_duration() {
                return Some(format!(
                    "{} is {} old, more than max_age {max_age}: re-run the tests",
                    display(ctx.repo, path),
                    DurationSpec(Duration::from_secs(age.as_secs()))
                ));
            }
        }
    }
    None
}

fn evaluate(
    spec: &Spec,
    require: &[Option<Regex>],
    repo: &Path,
    report: &TestReport,
    c: &TestCounts,
) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    let bad = c.failed + c.errors;
    if !spec.max_failed.allows(bad) {
        let names: Vec<String> = report
            .cases
            .iter()
            .filter(|t| matches!(t.status, CaseStatus::Failed | CaseStatus::Error))
            .take(3)
            .map(|t| case_label(repo, t))
            .collect();
        let more = if bad > 3 { format!(" and {} more", bad - 3) } else { String::new() };
        problems.push(format!(
            "{} failed and {} errored of {} tests, {} passed (max_failed {}): {}{more}",
            c.failed,
            c.errors,
            c.total,
            c.passed,
            spec.max_failed,
            names.join(", ")
        ));
    }
    if let Some(min) = spec.min_total {
        if c.total < min {
            problems.push(format!("only {} tests in the results, min_total is {min}", c.total));
        }
    }
    if let Some(limit) = spec.max_skipped {
        if !limit.allows(c.skipped, c.total) {
            problems.push(format!(
                "{} of {} tests skipped, max_skipped is {limit}",
                c.skipped, c.total
            ));
        }
    }
    if spec.forbid_flaky && c.flaky > 0 {
        let names: Vec<String> =
            report.cases.iter().filter(|t| t.flaky).take(3).map(TestCase::full_name).collect();
        problems.push(format!("{} flaky tests (forbid_flaky): {}", c.flaky, names.join(", ")));
    }
    for (req, re) in spec.require.iter().zip(require) {
        if let Err(p) = check_required(req, re.as_ref(), report, spec.forbid_flaky) {
            problems.push(p);
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

/// `tests/test_a.py::TestX::test_y` and `tests.test_a.TestX.test_y` compare equal.
fn dotted(s: &str) -> String {
    s.replace(".py::", ".").replace("::", ".").replace(['/', '\\'], ".")
}

/// Whether the requirement `req` names `case`.
pub fn requirement_matches(req: &str, case: &TestCase) -> bool {
    let full = case.full_name();
    if req == case.name || req == full {
        return true;
    }
    if let Some(file) = &case.file {
        if req == format!("{file}::{}", case.name) {
            return true;
        }
    }
    dotted(req) == dotted(&full)
}

/// `re`: the requirement's regex, compiled, when it is a `regex:` requirement.
fn check_required(
    req: &str,
    re: Option<&Regex>,
    report: &TestReport,
    forbid_flaky: bool,
) -> Result<(), String> {
    let matched: Vec<&TestCase> = if let Some(re) = re {
        report.cases.iter().filter(|c| re.is_match(&c.full_name())).collect()
    } else {
        report.cases.iter().filter(|c| requirement_matches(req, c)).collect()
    };
    if matched.is_empty() {
        return Err(format!("required test `{req}` is not in the results"));
    }
    if let Some(bad) =
        matched.iter().find(|c| c.status != CaseStatus::Passed || (forbid_flaky && c.flaky))
    {
        let state =
            if bad.status == CaseStatus::Passed { "flaky" } else { status_word(bad.status) };
        return Err(format!("required test `{}` {state}", bad.full_name()));
    }
    Ok(())
}

fn status_word(s: CaseStatus) -> &'static str {
    match s {
        CaseStatus::Passed => "passed",
        CaseStatus::Failed => "failed",
        CaseStatus::Error => "errored",
        CaseStatus::Skipped => "was skipped",
    }
}

fn describe(c: &TestCounts) -> String {
    let mut s = format!("{} tests: {} passed", c.total, c.passed);
    for (n, word) in
        [(c.failed, "failed"), (c.errors, "errored"), (c.skipped, "skipped"), (c.flaky, "flaky")]
    {
        if n > 0 {
            s.push_str(&format!(", {n} {word}"));
        }
    }
    s
}

fn measurements(spec: &Spec, c: &TestCounts) -> Vec<Measurement> {
    let mut total = Measurement::new("total", c.total as f64, "count");
    if let Some(min) = spec.min_total {
        total = total.with_threshold(format!(">= {min}"));
    }
    let mut skipped = Measurement::new("skipped", c.skipped as f64, "count");
    if let Some(limit) = spec.max_skipped {
        skipped = skipped.with_threshold(format!("<= {limit}"));
    }
    let mut flaky = Measurement::new("flaky", c.flaky as f64, "count");
    if spec.forbid_flaky {
        flaky = flaky.with_threshold("<= 0");
    }
    vec![
        total,
        Measurement::new("passed", c.passed as f64, "count"),
        Measurement::new("failed", c.failed as f64, "count")
            .with_threshold(format!("failed + errors <= {}", spec.max_failed)),
        Measurement::new("errors", c.errors as f64, "count"),
        skipped,
        flaky,
    ]
}

fn case_json(c: &TestCase) -> serde_json::Value {
    json!({
        "name": c.full_name(),
        "file": c.file,
        "status": c.status,
        "flaky": c.flaky,
        "time_s": c.time,
        "message": c.message,
    })
}

/// The `n` cases with the largest `time`, slowest first, ties in report order: what a stable
/// sort of the timed cases by descending time would list first, without sorting them all (a
/// bounded insertion into a sorted list of at most `n`). A `NaN` time orders nowhere: such a
/// case counts as untimed (the JUnit reader already drops `time="NaN"`; a full sort with
/// `partial_cmp` on one could panic).
fn slowest(cases: &[TestCase], n: usize) -> Vec<&TestCase> {
    // Without NaN, times are totally ordered: descending time, then report order, is the
    // stable sort's order. `top` is kept in that order; a case enters when it beats the last.
    let mut top: Vec<(f64, &TestCase)> = Vec::with_capacity(n + 1);
    for case in cases.iter().filter(|t| t.time.is_some_and(|t| !t.is_nan())) {
        let t = case.time.unwrap_or_default();
        if top.len() == n && top.last().is_none_or(|&(last, _)| t <= last) {
            continue;
        }
        // After every kept case with a time >= t (equal times: the earlier case stays first).
        let at = top.partition_point(|&(kept, _)| kept >= t);
        top.insert(at, (t, case));
        top.truncate(n);
    }
    top.into_iter().map(|(_, c)| c).collect()
}

fn summary_json(
    report: &TestReport,
    c: &TestCounts,
    files: &[serde_json::Value],
    command: Option<&ProcOutcome>,
) -> serde_json::Value {
    let failing: Vec<_> = report
        .cases
        .iter()
        .filter(|t| matches!(t.status, CaseStatus::Failed | CaseStatus::Error))
        .take(MAX_LISTED)
        .map(case_json)
        .collect();
    let flaky: Vec<_> =
        report.cases.iter().filter(|t| t.flaky).take(MAX_LISTED).map(case_json).collect();
    let slowest: Vec<_> = slowest(&report.cases, SLOWEST)
        .into_iter()
        .map(|t| json!({ "name": t.full_name(), "time_s": t.time }))
        .collect();
    json!({
        "counts": c,
        "files": files,
        "failing": failing,
        "failing_listed": failing.len(),
        "flaky": flaky,
        "slowest": slowest,
        "command": command.map(|r| json!({
            "exit_code": r.exit_code,
            "duration_ms": r.duration.as_millis() as u64,
        })),
    })
}

#[cfg(test)]
mod unit {
    use super::*;

    /// The bounded selection lists what the full stable sort listed, ties and all.
    #[test]
    fn slowest_equals_a_full_sort_on_random_inputs() {
        fn full_sort(cases: &[TestCase], n: usize) -> Vec<&TestCase> {
            let mut timed: Vec<&TestCase> = cases.iter().filter(|t| t.time.is_some()).collect();
            timed.sort_by(|a, b| b.time.partial_cmp(&a.time).unwrap_or(std::cmp::Ordering::Equal));
            timed.truncate(n);
            timed
        }
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..500 {
            let len = (next() % 60) as usize;
            // Few distinct times, so ties are common; some cases untimed; -0.0 equals 0.0.
            let distinct = 1 + next() % 8;
            let cases: Vec<TestCase> = (0..len)
                .map(|i| {
                    let mut c = TestCase::new("c", format!("t{i}"), CaseStatus::Passed);
                    c.time = match next() % 10 {
                        0 => None,
                        1 => Some(-0.0),
                        2 if round % 50 == 0 => Some(f64::INFINITY),
                        _ => Some((next() % distinct) as f64 / 4.0),
                    };
                    c
                })
                .collect();
            for n in [0, 1, 3, SLOWEST, 100] {
                let got: Vec<&str> = slowest(&cases, n).iter().map(|c| c.name.as_str()).collect();
                let want: Vec<&str> =
                    full_sort(&cases, n).iter().map(|c| c.name.as_str()).collect();
                assert_eq!(got, want, "round {round}, n {n}");
            }
        }
    }

    #[test]
    fn slowest_ignores_nan_times() {
        // Many cases, one NaN among them: no panic, the NaN case is not among the slowest.
        let cases: Vec<TestCase> = (0..200)
            .map(|i| {
                let mut c = TestCase::new("c", format!("t{i}"), CaseStatus::Passed);
                c.time = Some(if i == 7 { f64::NAN } else { f64::from(i % 13) });
                c
            })
            .collect();
        let got: Vec<&str> = slowest(&cases, SLOWEST).iter().map(|c| c.name.as_str()).collect();
        assert_eq!(got.len(), SLOWEST);
        assert!(!got.contains(&"t7"), "{got:?}");
        assert_eq!(got[0], "t12");
    }

    #[test]
    fn skip_limit_parses_count_ratio_and_percent() {
        assert_eq!(serde_yaml::from_str::<SkipLimit>("3").unwrap(), SkipLimit::Count(3));
        assert_eq!(serde_yaml::from_str::<SkipLimit>("0.05").unwrap(), SkipLimit::Ratio(0.05));
        assert_eq!(serde_yaml::from_str::<SkipLimit>("\"10%\"").unwrap(), SkipLimit::Ratio(0.1));
        assert!(serde_yaml::from_str::<SkipLimit>("-1").is_err());
        assert!(serde_yaml::from_str::<SkipLimit>("1.5").is_err());
        assert!(SkipLimit::Ratio(0.1).allows(1, 10));
        assert!(!SkipLimit::Ratio(0.1).allows(2, 10));
        assert!(!SkipLimit::Count(0).allows(1, 10));
    }

    #[test]
    fn spec_rejects_unknown_keys() {
        let err = serde_yaml::from_str::<Spec>("results: j.xml\nmax_faild: 1\n").unwrap_err();
        assert!(err.to_string().contains("max_faild"), "{err}");
        let spec: Spec =
            serde_yaml::from_str("results: [a.xml, 'b/*.xml']\nformat: junit\n").unwrap();
        assert_eq!(spec.max_failed, 0);
        assert_eq!(spec.format, Some(TestFormat::Junit));
    }

    #[test]
    fn pytest_node_ids_match_both_junit_families() {
        let mut xunit2 =
            TestCase::new("tests.test_sample.TestShout", "test_shout", CaseStatus::Passed);
        assert!(requirement_matches("tests/test_sample.py::TestShout::test_shout", &xunit2));
        assert!(requirement_matches("tests.test_sample.TestShout.test_shout", &xunit2));
        assert!(!requirement_matches("tests/test_sample.py::TestShout::test_other", &xunit2));
        xunit2.file = Some("tests/test_sample.py".into());
        let plain = TestCase::new("tests.test_sample", "test_clamp_low", CaseStatus::Passed);
        assert!(requirement_matches("tests/test_sample.py::test_clamp_low", &plain));
        let rust = TestCase::new("nx-sample", "tests::flaky", CaseStatus::Passed);
        assert!(requirement_matches("tests::flaky", &rust));
    }

    #[test]
    fn validate_reports_bad_regex_and_globs() {
        let spec: Spec = serde_yaml::from_str(
            "results: 'a/[.xml'\nrequire: ['regex:(', ok]\nrun: pytest\nmax_age: 1d\n",
        )
        .unwrap();
        let fields: Vec<String> = validate(&spec).into_iter().map(|i| i.field).collect();
        assert_eq!(fields, ["results[0]", "require[0]", "max_age"]);
        let good: Spec =
            serde_yaml::from_str("results: 'a/*.xml'\nrequire: ['regex:^a']\n").unwrap();
        assert!(validate(&good).is_empty());
    }

    #[test]
    fn a_file_stamped_by_the_coarse_clock_just_before_the_run_start_is_not_stale() {
        let start = SystemTime::now();
        assert!(!written_before_run(start - Duration::from_millis(8), start));
        assert!(!written_before_run(start + Duration::from_millis(1), start));
        assert!(written_before_run(start - Duration::from_secs(1), start));
    }

    #[test]
    fn fresh_results_must_be_written_after_the_run_started() {
        use crate::probe::context::testing::{run_probe, write};
        let dir = tempfile::tempdir().unwrap();
        let junit =
            r#"<testsuite name="s" tests="1"><testcase classname="t" name="a"/></testsuite>"#;
        write(dir.path(), "junit.xml", junit);
        let spec: Spec = serde_yaml::from_str("results: junit.xml\nfresh: true\n").unwrap();
        // The file predates the run: stamped a few seconds before it starts.
        std::fs::File::options()
            .write(true)
            .open(dir.path().join("junit.xml"))
            .unwrap()
            .set_modified(SystemTime::now() - Duration::from_secs(5))
            .unwrap();
        let out = run_probe(dir.path(), "t", |ctx| crate::probe::run_spec::<Kind>(&spec, ctx));
        assert_eq!(out.status, crate::outcome::Status::Error, "{}", out.reason);
        assert!(out.reason.contains("junit.xml is stale"), "{}", out.reason);
        // Written during the run: read (file times come from a coarse clock, so the write
        // waits a few ticks past the run's start).
        let out = run_probe(dir.path(), "t", |ctx| {
            std::thread::sleep(std::time::Duration::from_millis(50));
            write(dir.path(), "junit.xml", junit);
            crate::probe::run_spec::<Kind>(&spec, ctx)
        });
        assert_eq!(out.status, crate::outcome::Status::Pass, "{}", out.reason);
        let with_run: Spec =
            serde_yaml::from_str("results: junit.xml\nfresh: true\nrun: 'true'\n").unwrap();
        assert!(validate(&with_run).iter().any(|i| i.field == "fresh"));
    }
}

/// Jest reports written by real jest 29.7.0 (`npx jest --json --outputFile=…` in a scratch
/// project under target/; repository paths replaced with `/REPO/`): two passing tests, a suite
/// that could not load `@prisma/client`, and in the second report a failing assertion.
#[cfg(test)]
mod jest_reports {
    use super::*;
    use crate::outcome::Status;

    fn run_on(fixture: &str, command: Option<&str>) -> ProbeOutcome {
        let dir = tempfile::tempdir().unwrap();
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/formats/jest").join(fixture),
        )
        .unwrap();
        let repo = format!("{}/", dir.path().display());
        std::fs::write(dir.path().join("jest.json"), text.replace("/REPO/", &repo)).unwrap();
        let cancel = std::sync::atomic::AtomicBool::new(false);
        let ctx = ProbeContext {
            repo: dir.path(),
            check_id: "t",
            evidence_dir: dir.path(),
            run_started: SystemTime::now() - Duration::from_secs(60),
            deadline: std::time::Instant::now() + Duration::from_secs(20),
            cancel: &cancel,
            output_filter: None,
        };
        let spec = Spec {
            run: command.map(String::from),
            results: Inputs(vec!["jest.json".into()]),
            format: None,
            min_total: None,
            max_failed: FailLimit::Count(0),
            max_skipped: None,
            forbid_flaky: false,
            require: vec![],
            max_age: None,
            fresh: false,
        };
        crate::probe::run_spec::<Kind>(&spec, &ctx)
    }

    #[test]
    fn a_suite_that_could_not_load_a_package_is_an_error_named_by_file() {
        let o = run_on("suite-failed-to-run.json", None);
        assert_eq!(o.status, Status::Error, "{}", o.reason);
        assert!(
            o.reason.starts_with(
                "0 failed and 1 errored of 3 tests, 2 passed (max_failed 0): \
                 src/tests/auth.service.test.js (suite failed to run: Cannot find module \
                 '@prisma/client'"
            ),
            "{}",
            o.reason
        );
        assert!(
            o.reason.contains("not a test failure: a package is not installed"),
            "{}",
            o.reason
        );
        assert!(!o.reason.contains("(test file)"), "{}", o.reason);
    }

    #[test]
    fn a_failing_assertion_stays_a_failure_and_names_both() {
        let o = run_on("suite-failed-to-run-and-failure.json", None);
        assert_eq!(o.status, Status::Fail, "{}", o.reason);
        assert!(o.reason.contains("1 failed and 1 errored of 4 tests, 2 passed"), "{}", o.reason);
        assert!(
            o.reason.contains("src/tests/auth.service.test.js (suite failed to run"),
            "{}",
            o.reason
        );
        assert!(o.reason.contains("compares"), "{}", o.reason);
    }

    #[test]
    fn missing_results_say_what_the_test_command_said() {
        let dir = tempfile::tempdir().unwrap();
        let cancel = std::sync::atomic::AtomicBool::new(false);
        let ctx = crate::probe::context::testing::context(
            dir.path(),
            "t",
            &cancel,
            std::time::Duration::from_secs(20),
        );
        let spec: Spec = serde_yaml::from_str(
            "run: python3 -m nonexistent_mod_pytest --junitxml=junit.xml\nresults: junit.xml",
        )
        .unwrap();
        let o = crate::probe::run_spec::<Kind>(&spec, &ctx);
        assert_eq!(o.status, Status::Error, "{}", o.reason);
        assert!(
            o.reason
                .contains("(test command exited with code 1; a Python module is not installed)"),
            "{}",
            o.reason
        );
        assert!(o.reason.ends_with("No module named nonexistent_mod_pytest"), "{}", o.reason);
    }
}
