//! What a probe observed: the contract between probes and everything downstream
//! (runner, evidence, reporters). Probes return a [`ProbeOutcome`]; the runner wraps it in a
//! `CheckResult` with timing, evidence files and checklist metadata.

use serde::{Deserialize, Serialize};

pub use crate::probe::Artifact;

/// Status of one check. See DESIGN.md "Results".
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
    /// Where the check is defined: `file:line`.
    pub defined_at: String,
    /// When `status` is `waived`: the original status and reason, and the waiver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<crate::waiver::AppliedWaiver>,
}
