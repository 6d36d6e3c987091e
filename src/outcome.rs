//! What a probe observed: the contract between probes and everything downstream
//! (runner, evidence, reporters). Probes return a [`ProbeOutcome`]; the runner wraps it in a
//! `CheckResult` with timing, evidence files and checklist metadata.

use serde::{Deserialize, Serialize};

pub use crate::probe::Artifact;

/// Status of one check (the contract: `../shared/DESIGN.md`, "Results", outside this
/// repository).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The claim holds.
    Pass,
    /// The claim does not hold.
    Fail,
    /// The claim could not be verified (tool missing, timeout, unreadable input).
    Error,
    /// Not applicable, or a dependency did not pass.
    Skip,
    /// Failed, but a valid waiver applies; the original failure stays visible.
    Waived,
    /// A manual check not yet attested.
    Pending,
}

impl Status {
    pub const ALL: [Status; 6] =
        [Status::Pass, Status::Fail, Status::Error, Status::Skip, Status::Waived, Status::Pending];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Skip => "skip",
            Status::Waived => "waived",
            Status::Pending => "pending",
        }
    }
}

/// A number a probe measured, with its unit and, when one applied, the threshold it was held to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    pub name: String,
    pub value: f64,
    /// `count`, `percent`, `ms`, `bytes`, `ratio`, `rps`, `days`, …
    pub unit: String,
    /// Human-readable threshold, e.g. `>= 60` or `<= 0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<String>,
}

impl Measurement {
    pub fn new(name: impl Into<String>, value: f64, unit: impl Into<String>) -> Self {
        Measurement { name: name.into(), value, unit: unit.into(), threshold: None }
    }

    pub fn with_threshold(mut self, threshold: impl Into<String>) -> Self {
        self.threshold = Some(threshold.into());
        self
    }
}

/// A place in the repository a finding points at (feeds SARIF and annotations).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// Path relative to the repository root, with `/` separators.
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
    /// What is at this place (never a secret value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// A stable rule id when the finding comes from a rule set (lint, secrets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

/// What a probe returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeOutcome {
    pub status: Status,
    /// One line a person can act on.
    pub reason: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measurements: Vec<Measurement>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
    /// Evidence to keep; the runner writes these under `evidence/<check-id>/`.
    #[serde(skip)]
    pub artifacts: Vec<crate::probe::Artifact>,
}

impl ProbeOutcome {
    pub fn new(status: Status, reason: impl Into<String>) -> Self {
        ProbeOutcome {
            status,
            reason: reason.into(),
            measurements: Vec::new(),
            locations: Vec::new(),
            artifacts: Vec::new(),
        }
    }
    pub fn pass(reason: impl Into<String>) -> Self {
        Self::new(Status::Pass, reason)
    }
    pub fn fail(reason: impl Into<String>) -> Self {
        Self::new(Status::Fail, reason)
    }
    pub fn error(reason: impl Into<String>) -> Self {
        Self::new(Status::Error, reason)
    }
    pub fn with_measurement(mut self, m: Measurement) -> Self {
        self.measurements.push(m);
        self
    }
    pub fn with_artifact(mut self, a: crate::probe::Artifact) -> Self {
        self.artifacts.push(a);
        self
    }
}

/// Why a check was skipped: decides whether the skip leaves the verdict incomplete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipCause {
    /// Its `when` condition does not hold: not applicable here.
    NotApplicable,
    /// A check it `needs` did not pass.
    Dependency,
    /// The run was interrupted before it ran.
    Interrupted,
}

/// A file kept as evidence, relative to the run directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceFile {
    pub path: String,
    pub sha256: String,
    pub size: u64,
}

/// The result of one check: what every reporter consumes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub id: String,
    pub title: String,
    pub area: String,
    pub severity: crate::checklist::Severity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<crate::checklist::Level>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The probe kind (`command`, `http`, …).
    pub probe: String,
    pub status: Status,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_cause: Option<SkipCause>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measurements: Vec<Measurement>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<EvidenceFile>,
    pub duration_ms: u64,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docs: Option<String>,
    /// Where the check is defined (recorded as `file:line`, see [`DefinedAt`]).
    pub defined_at: DefinedAt,
    /// When `status` is `waived`: the original status and reason, and the waiver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<crate::waiver::AppliedWaiver>,
}

/// Where a check is defined: a checklist file as diagnostics name it (`readiness.yaml`,
/// `ci/ready.yaml`, or `builtin:<name>` for a built-in checklist) and a line.
///
/// Recorded — in the results document and so in the signed predicate — as the one string
/// `file:line` (`readiness.yaml:12`, `builtin:base:30`), `""` when there is none, exactly as
/// before the value was typed: the string is parsed once, when a record is read, and written
/// back byte for byte (a string that is not `file:<digits>` in canonical form is kept whole in
/// `file`, with no line).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct DefinedAt {
    pub file: String,
    pub line: Option<u64>,
}

impl DefinedAt {
    /// Line `line` of `file`.
    pub fn new(file: impl Into<String>, line: u64) -> Self {
        DefinedAt { file: file.into(), line: Some(line) }
    }

    /// Parses the recorded form: `file:line` splits at the last `:` when what follows is a
    /// line number written as [`Display`](std::fmt::Display) writes it; anything else is a
    /// file without a line.
    pub fn parse(s: &str) -> Self {
        if let Some((file, line)) = s.rsplit_once(':')
            && let Ok(n) = line.parse::<u64>()
            && n.to_string() == line
        {
            return DefinedAt::new(file, n);
        }
        DefinedAt { file: s.to_owned(), line: None }
    }

    /// Whether nothing is recorded (results made outside a checklist run).
    pub fn is_empty(&self) -> bool {
        self.file.is_empty() && self.line.is_none()
    }

    /// Whether the check comes from a built-in checklist (`builtin:<name>`), which has no
    /// file in the repository.
    pub fn is_builtin(&self) -> bool {
        self.file.starts_with("builtin:")
    }

    /// The checklist file and line, when the check is defined in a file (not a built-in, and
    /// something is recorded).
    pub fn in_file(&self) -> Option<(&str, Option<u64>)> {
        (!self.is_empty() && !self.is_builtin()).then_some((self.file.as_str(), self.line))
    }
}

impl std::fmt::Display for DefinedAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}", self.file),
            None => f.write_str(&self.file),
        }
    }
}

impl From<&str> for DefinedAt {
    fn from(s: &str) -> Self {
        DefinedAt::parse(s)
    }
}

impl Serialize for DefinedAt {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DefinedAt {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Ok(DefinedAt::parse(&s))
    }
}

#[cfg(test)]
mod defined_at_tests {
    use super::DefinedAt;

    fn round_trip(recorded: &str) -> DefinedAt {
        let json = serde_json::to_string(recorded).unwrap();
        let typed: DefinedAt = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string(&typed).unwrap(), json, "{recorded:?}");
        typed
    }

    #[test]
    fn the_three_shapes_round_trip_byte_for_byte() {
        let file = round_trip("readiness.yaml:12");
        assert_eq!(file, DefinedAt::new("readiness.yaml", 12));
        assert_eq!(file.in_file(), Some(("readiness.yaml", Some(12))));
        let builtin = round_trip("builtin:base:30");
        assert_eq!(builtin, DefinedAt::new("builtin:base", 30));
        assert!(builtin.is_builtin() && builtin.in_file().is_none());
        let none = round_trip("");
        assert_eq!(none, DefinedAt::default());
        assert!(none.is_empty() && none.in_file().is_none());
    }

    #[test]
    fn the_last_colon_splits_and_odd_strings_are_kept_whole() {
        assert_eq!(round_trip("a:b/c.yaml:3"), DefinedAt::new("a:b/c.yaml", 3));
        assert_eq!(round_trip("we,ird:dir/readiness.yaml:20").file, "we,ird:dir/readiness.yaml");
        for odd in ["x.yaml", "x.yaml:", "x.yaml:012", "x.yaml:+3", "x.yaml:99999999999999999999"] {
            let typed = round_trip(odd);
            assert_eq!((typed.file.as_str(), typed.line), (odd, None));
        }
        assert_eq!(round_trip(":5"), DefinedAt::new("", 5));
        assert_eq!(DefinedAt::new("readiness.yaml", 0).to_string(), "readiness.yaml:0");
    }
}
