//! Readers of foreign formats: test results (JUnit XML, TAP, `go test -json`, libtest JSON,
//! Jest `--json`, .NET TRX) and coverage reports (lcov, Cobertura, JaCoCo, coverage.py JSON,
//! Go coverprofile, llvm-cov export, Istanbul, Clover, OpenCover).
//!
//! Every reader streams its input (bounded buffers, no whole-file loads) and counts from the
//! raw records, never from a tool's summary attributes. Bad input becomes a [`FormatError`]
//! naming the file and a byte offset or line. Per-format counting rules are documented in
//! `docs/probes-tests-coverage.md`.

mod clover;
mod cobertura;
mod coverage_py;
mod detect;
mod go_cover;
pub mod inputs;
mod istanbul;
mod jacoco;
mod jest;
mod json_lines;
mod junit;
mod lcov;
mod llvm_cov;
mod opencover;
mod simplecov;
mod tap;
#[cfg(test)]
mod tests;
mod trx;
mod xml;

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use detect::{detect_coverage_format, detect_test_format};

/// Largest report readyctl reads (1 GiB): the test-case list of a bigger JUnit file would not
/// fit in a CI runner's memory, and no real coverage report comes near it.
pub const MAX_REPORT_BYTES: u64 = 1 << 30;

/// Longest failure message kept per test case (characters).
pub const MAX_MESSAGE_CHARS: usize = 1000;

/// Where in a file a problem was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// Byte offset from the start of the file (XML and JSON readers).
    Byte(u64),
    /// 1-based line number (line-oriented formats).
    Line(u64),
}

/// A file that could not be read as the expected format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    pub file: PathBuf,
    pub position: Option<Position>,
    pub message: String,
}

impl FormatError {
    pub fn new(file: &Path, position: Option<Position>, message: impl Into<String>) -> Self {
        FormatError { file: file.to_path_buf(), position, message: message.into() }
    }
    fn io(file: &Path, err: std::io::Error) -> Self {
        Self::new(file, None, format!("cannot read: {err}"))
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        match self.position {
            Some(Position::Byte(b)) => write!(f, ": byte {b}")?,
            Some(Position::Line(l)) => write!(f, ":{l}")?,
            None => {}
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for FormatError {}

/// Test-result formats readyctl reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TestFormat {
    /// JUnit XML (pytest, Surefire, jest-junit, go-junit-report, PHPUnit, nextest, node).
    Junit,
    /// Test Anything Protocol, versions 12 to 14.
    Tap,
    /// `go test -json` event stream.
    GoJson,
    /// Rust libtest JSON (`--format json`), one event per line.
    LibtestJson,
    /// Jest `--json` output.
    JestJson,
    /// Visual Studio / `dotnet test` TRX.
    Trx,
}

impl TestFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            TestFormat::Junit => "junit",
            TestFormat::Tap => "tap",
            TestFormat::GoJson => "go_json",
            TestFormat::LibtestJson => "libtest_json",
            TestFormat::JestJson => "jest_json",
            TestFormat::Trx => "trx",
        }
    }
}

/// Final state of one test case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseStatus {
    Passed,
    Failed,
    /// The test could not run to a verdict (JUnit `<error>`, setup crash, missing TAP point).
    Error,
    /// Skipped, ignored, or TODO.
    Skipped,
}

/// The name of the case standing for a test file that failed to run (Jest's "Test suite
/// failed to run"): reasons name it by its file.
pub const SUITE_FAILED_TO_RUN: &str = "(suite failed to run)";

/// One test case as the report recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestCase {
    /// Class, module, package or suite the test belongs to (may be empty).
    pub classname: String,
    pub name: String,
    /// Source file when the report names one (pytest xunit1 `file`, Jest test file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub status: CaseStatus,
    /// Failed at least once before passing (nextest/Surefire `flakyFailure`, retries).
    #[serde(default)]
    pub flaky: bool,
    /// Seconds, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<f64>,
    /// Failure or skip message, cut to [`MAX_MESSAGE_CHARS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl TestCase {
    pub fn new(classname: impl Into<String>, name: impl Into<String>, status: CaseStatus) -> Self {
        TestCase {
            classname: classname.into(),
            name: name.into(),
            file: None,
            status,
            flaky: false,
            time: None,
            message: None,
        }
    }

    /// `classname.name`, or `name` when there is no class.
    pub fn full_name(&self) -> String {
        if self.classname.is_empty() {
            self.name.clone()
        } else {
            format!("{}.{}", self.classname, self.name)
        }
    }
}

/// Counts over a set of test cases. `passed` includes flaky tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestCounts {
    pub total: u64,
    pub passed: u64,
    pub failed: u64,
    pub errors: u64,
    pub skipped: u64,
    pub flaky: u64,
}

/// The test cases read from one or more result files.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TestReport {
    pub cases: Vec<TestCase>,
}

impl TestReport {
    pub fn counts(&self) -> TestCounts {
        let mut c = TestCounts::default();
        for case in &self.cases {
            c.total += 1;
            match case.status {
                CaseStatus::Passed => c.passed += 1,
                CaseStatus::Failed => c.failed += 1,
                CaseStatus::Error => c.errors += 1,
                CaseStatus::Skipped => c.skipped += 1,
            }
            if case.flaky {
                c.flaky += 1;
            }
        }
        c
    }

    pub fn extend(&mut self, other: TestReport) {
        // The first file's cases are taken as they are (not copied case by case into a new
        // vector: 100,000 cases are 12 MB).
        if self.cases.is_empty() {
            self.cases = other.cases;
            return;
        }
        self.cases.extend(other.cases);
    }
}

/// Reads one test-result file; detects the format from content when `format` is `None`.
pub fn read_tests(path: &Path, format: Option<TestFormat>) -> Result<TestReport, FormatError> {
    let format = match format {
        Some(f) => f,
        None => detect_test_format(path)?,
    };
    let reader = BufReader::with_capacity(64 * 1024, open_report(path)?);
    read_tests_from(path, format, reader)
}

/// [`read_tests`] from a reader already open on `path` (named in errors) in `format`.
pub fn read_tests_from(
    path: &Path,
    format: TestFormat,
    reader: impl std::io::BufRead,
) -> Result<TestReport, FormatError> {
    let report = match format {
        TestFormat::Junit => junit::read(path, reader)?,
        TestFormat::Tap => tap::read(path, reader)?,
        TestFormat::GoJson => json_lines::read_go(path, reader)?,
        TestFormat::LibtestJson => json_lines::read_libtest(path, reader)?,
        TestFormat::JestJson => jest::read(path, reader)?,
        TestFormat::Trx => trx::read(path, reader)?,
    };
    Ok(report)
}

/// Coverage formats readyctl reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CoverageFormat {
    /// lcov tracefile (`lcov`, `genhtml` input, `cargo llvm-cov --lcov`, coverage.py `lcov`).
    Lcov,
    /// Cobertura XML (coverage.py `xml`, many others).
    Cobertura,
    /// JaCoCo XML report.
    Jacoco,
    /// coverage.py JSON report (`coverage json`).
    CoveragePy,
    /// Go coverprofile (`go test -coverprofile`).
    GoCover,
    /// `llvm-cov export` JSON.
    LlvmCov,
    /// Istanbul / nyc / Jest `coverage-summary.json`.
    IstanbulSummary,
    /// Istanbul / nyc / Jest `coverage-final.json`.
    IstanbulFinal,
    /// Clover XML.
    Clover,
    /// OpenCover XML.
    Opencover,
    /// SimpleCov (Ruby) `coverage/.resultset.json` or the JSON formatter's `coverage.json`.
    Simplecov,
}

impl CoverageFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            CoverageFormat::Lcov => "lcov",
            CoverageFormat::Cobertura => "cobertura",
            CoverageFormat::Jacoco => "jacoco",
            CoverageFormat::CoveragePy => "coverage_py",
            CoverageFormat::GoCover => "go_cover",
            CoverageFormat::LlvmCov => "llvm_cov",
            CoverageFormat::IstanbulSummary => "istanbul_summary",
            CoverageFormat::IstanbulFinal => "istanbul_final",
            CoverageFormat::Clover => "clover",
            CoverageFormat::Opencover => "opencover",
            CoverageFormat::Simplecov => "simplecov",
        }
    }
}

/// Covered out of total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ratio {
    pub covered: u64,
    pub total: u64,
}

impl Ratio {
    pub fn new(covered: u64, total: u64) -> Self {
        Ratio { covered, total }
    }
    /// Percent (0–100); `None` when there is nothing to cover.
    pub fn percent(self) -> Option<f64> {
        (self.total > 0).then(|| self.covered as f64 * 100.0 / self.total as f64)
    }
    pub fn add(&mut self, other: Ratio) {
        self.covered += other.covered;
        self.total += other.total;
    }
}

/// A unit of coverage that is not a single line: a Go block or an OpenCover sequence point,
/// `(start_line, start_col, end_line, end_col)`.
pub type UnitKey = (u32, u32, u32, u32);
/// A branch: `(line, block, branch)`.
pub type BranchKey = (u32, u32, u32);

/// Line numbers kept in the bit set; higher ones (rare, or hostile) go to an ordered set so a
/// single `DA:4000000000,1` cannot allocate half a gigabyte.
const BITSET_LINES: u32 = 1 << 24;

/// A growable bit set over line numbers: two bits per source line keep line coverage
/// mergeable with memory independent of the report's size.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineBits {
    words: Vec<u64>,
    overflow: std::collections::BTreeSet<u32>,
}

impl LineBits {
    pub fn set(&mut self, line: u32) {
        if line >= BITSET_LINES {
            self.overflow.insert(line);
            return;
        }
        let (word, bit) = ((line / 64) as usize, line % 64);
        if word >= self.words.len() {
            self.words.resize(word + 1, 0);
        }
        self.words[word] |= 1 << bit;
    }
    pub fn count(&self) -> u64 {
        let bits: u64 = self.words.iter().map(|w| u64::from(w.count_ones())).sum();
        bits + self.overflow.len() as u64
    }
    fn union(&mut self, other: &LineBits) {
        if other.words.len() > self.words.len() {
            self.words.resize(other.words.len(), 0);
        }
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= b;
        }
        self.overflow.extend(other.overflow.iter().copied());
    }
}

/// Per-line (or per-unit) coverage, kept so that a file seen twice (repeated lcov records,
/// several reports) merges by line rather than by adding totals.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileDetail {
    /// Lines with code.
    lines_found: LineBits,
    /// Lines executed at least once (a subset of `lines_found`).
    lines_hit: LineBits,
    /// Units that are not single lines: Go blocks, OpenCover sequence points.
    /// unit → (weight, hits); weight is the statement count of a Go block.
    units: BTreeMap<UnitKey, (u32, u64)>,
    branches: BTreeMap<BranchKey, u64>,
}

/// Formats that give a line's branches as numbers (JaCoCo `mb`/`cb`, Cobertura
/// `condition-coverage="50% (1/2)"`) are expanded to one entry per branch, so that reports
/// merge branch by branch. These bound what a corrupt or hostile report can make readyctl
/// allocate: a line with more branches, or a report with more expanded branches in total, is an
/// error at that line (real reports have at most a few hundred per line).
pub const MAX_BRANCHES_PER_LINE: u64 = 10_000;
/// See [`MAX_BRANCHES_PER_LINE`].
pub const MAX_EXPANDED_BRANCHES: u64 = 4_000_000;

/// Accounts for `n` more expanded branches on one line; Err is the message for the reader.
pub(crate) fn spend_branches(spent: &mut u64, n: u64) -> Result<(), String> {
    if n > MAX_BRANCHES_PER_LINE {
        return Err(format!(
            "{n} branches on one line is not plausible (at most {MAX_BRANCHES_PER_LINE} are read)"
        ));
    }
    *spent += n;
    if *spent > MAX_EXPANDED_BRANCHES {
        return Err(format!(
            "more than {MAX_EXPANDED_BRANCHES} branches in one report is not plausible"
        ));
    }
    Ok(())
}

impl FileDetail {
    pub fn hit_line(&mut self, line: u32, hits: u64) {
        self.lines_found.set(line);
        if hits > 0 {
            self.lines_hit.set(line);
        }
    }
    pub fn hit_unit(&mut self, key: UnitKey, weight: u32, hits: u64) {
        let e = self.units.entry(key).or_insert((weight, 0));
        e.0 = e.0.max(weight);
        e.1 = e.1.saturating_add(hits);
    }
    pub fn hit_branch(&mut self, key: BranchKey, hits: u64) {
        let e = self.branches.entry(key).or_insert(0);
        *e = e.saturating_add(hits);
    }
    fn lines(&self) -> Ratio {
        let mut r = Ratio::new(self.lines_hit.count(), self.lines_found.count());
        for &(w, h) in self.units.values() {
            r.total += u64::from(w);
            if h > 0 {
                r.covered += u64::from(w);
            }
        }
        r
    }
    fn branches(&self) -> Ratio {
        let covered = self.branches.values().filter(|&&h| h > 0).count() as u64;
        Ratio::new(covered, self.branches.len() as u64)
    }
    fn merge(&mut self, other: FileDetail) {
        self.lines_found.union(&other.lines_found);
        self.lines_hit.union(&other.lines_hit);
        for (k, (w, h)) in other.units {
            self.hit_unit(k, w, h);
        }
        for (k, h) in other.branches {
            self.hit_branch(k, h);
        }
    }
}

/// Coverage of one source file.
#[derive(Debug, Clone, PartialEq)]
pub enum FileCoverage {
    /// Per-line (or per-block) hits: merges exactly.
    Detail(FileDetail),
    /// Only counts are known (Istanbul summary, llvm-cov export summaries, report counters).
    Counts { lines: Ratio, branches: Ratio },
}

impl FileCoverage {
    pub fn lines(&self) -> Ratio {
        match self {
            FileCoverage::Detail(d) => d.lines(),
            FileCoverage::Counts { lines, .. } => *lines,
        }
    }
    pub fn branches(&self) -> Ratio {
        match self {
            FileCoverage::Detail(d) => d.branches(),
            FileCoverage::Counts { branches, .. } => *branches,
        }
    }
    fn merge(&mut self, other: FileCoverage) {
        match (self, other) {
            (FileCoverage::Detail(a), FileCoverage::Detail(b)) => a.merge(b),
            // Without unit detail the two records cannot be unioned: keep the better-covered
            // one rather than adding totals (which would double-count the file).
            (this, other) => {
                let better = |c: &FileCoverage| (c.lines().covered, c.branches().covered);
                if better(&other) > better(this) {
                    *this = other;
                }
            }
        }
    }
}

/// Coverage read from one or more reports, by source path as the report names it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CoverageReport {
    pub files: BTreeMap<String, FileCoverage>,
}

impl CoverageReport {
    pub fn add_file(&mut self, path: String, cov: FileCoverage) {
        match self.files.get_mut(&path) {
            Some(existing) => existing.merge(cov),
            None => {
                self.files.insert(path, cov);
            }
        }
    }
    /// Builds a report from per-file unit detail.
    pub fn from_details(details: BTreeMap<String, FileDetail>) -> Self {
        let files = details.into_iter().map(|(p, d)| (p, FileCoverage::Detail(d))).collect();
        CoverageReport { files }
    }
    pub fn merge(&mut self, other: CoverageReport) {
        for (path, cov) in other.files {
            self.add_file(path, cov);
        }
    }
    pub fn lines(&self) -> Ratio {
        let mut r = Ratio::default();
        for f in self.files.values() {
            r.add(f.lines());
        }
        r
    }
    pub fn branches(&self) -> Ratio {
        let mut r = Ratio::default();
        for f in self.files.values() {
            r.add(f.branches());
        }
        r
    }
}

/// Reads one coverage report; detects the format from content when `format` is `None`.
pub fn read_coverage(
    path: &Path,
    format: Option<CoverageFormat>,
) -> Result<CoverageReport, FormatError> {
    let format = match format {
        Some(f) => f,
        None => detect_coverage_format(path)?,
    };
    let reader = BufReader::with_capacity(64 * 1024, open_report(path)?);
    read_coverage_from(path, format, reader)
}

/// [`read_coverage`] from a reader already open on `path` (named in errors) in `format`.
pub fn read_coverage_from(
    path: &Path,
    format: CoverageFormat,
    reader: impl std::io::BufRead,
) -> Result<CoverageReport, FormatError> {
    match format {
        CoverageFormat::Lcov => lcov::read(path, reader),
        CoverageFormat::Cobertura => cobertura::read(path, reader),
        CoverageFormat::Jacoco => jacoco::read(path, reader),
        CoverageFormat::CoveragePy => coverage_py::read(path, reader),
        CoverageFormat::GoCover => go_cover::read(path, reader),
        CoverageFormat::LlvmCov => llvm_cov::read(path, reader),
        CoverageFormat::IstanbulSummary => istanbul::read_summary(path, reader),
        CoverageFormat::IstanbulFinal => istanbul::read_final(path, reader),
        CoverageFormat::Clover => clover::read(path, reader),
        CoverageFormat::Opencover => opencover::read(path, reader),
        CoverageFormat::Simplecov => simplecov::read(path, reader),
    }
}

/// Opens a report, refusing files over [`MAX_REPORT_BYTES`].
pub fn open_report(path: &Path) -> Result<File, FormatError> {
    // Never waits: a FIFO swapped in for the report (after the glob saw a file) is refused.
    let file = crate::walk::open_regular(path).map_err(|e| FormatError::io(path, e))?;
    let meta = file.metadata().map_err(|e| FormatError::io(path, e))?;
    let size = meta.len();
    if size > MAX_REPORT_BYTES {
        return Err(FormatError::new(
            path,
            Some(Position::Byte(MAX_REPORT_BYTES)),
            format!(
                "file is {size} bytes, over the {MAX_REPORT_BYTES}-byte limit for a report \
                 (split it, or drop captured output from it)"
            ),
        ));
    }
    Ok(file)
}

/// Cuts `text` to [`MAX_MESSAGE_CHARS`] characters, marking the cut.
pub fn bound_message(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((idx, _)) => format!("{}…", &text[..idx]),
        None => text.to_string(),
    }
}

/// Parses a JSON document from a reader, turning serde errors into positioned errors.
fn json_from_reader<T: serde::de::DeserializeOwned>(
    path: &Path,
    reader: impl std::io::Read,
    what: &str,
) -> Result<T, FormatError> {
    serde_json::from_reader(reader).map_err(|e| {
        let pos = (e.line() > 0).then_some(Position::Line(e.line() as u64));
        FormatError::new(path, pos, format!("not a valid {what}: {e}"))
    })
}
