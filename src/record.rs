//! The results document: everything a run established. It is the manifest's predicate
//! (`https://readyctl.dev/evidence/v1`), the `--format json` output, and what `report`, `diff`
//! and `aggregate` read back. Field order is fixed by these types, so serialization is
//! deterministic.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::checklist::model::{Policy, SourceFile};
use crate::outcome::CheckResult;
use crate::verdict::Summary;

pub const PREDICATE_TYPE: &str = "https://readyctl.dev/evidence/v1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub tool: Tool,
    pub run: RunInfo,
    /// Git state of the repository (absent outside a git work tree).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<serde_json::Value>,
    /// Where the checked directory and the checklist files sit in the repository, so that
    /// reporters write every path relative to the repository root (absent in older runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paths: Option<RepoPaths>,
    pub checklist: ChecklistInfo,
    pub policy: Policy,
    pub results: Vec<CheckResult>,
    pub summary: Summary,
    /// Where values were redacted: run-relative file → rule → count; never the value.
    #[serde(default)]
    pub redactions: BTreeMap<String, BTreeMap<String, u64>>,
    /// Every waiver that was considered, with its state (applied, unused, expired, rejected).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waivers: Vec<crate::waiver::WaiverRecord>,
    /// Services the run started or waited for, in the order they were first needed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<ServiceRecord>,
    /// What `check --claims REPORT.md` did to the verdict: the claims that block it. Recorded so
    /// that `verify` recomputes the same verdict (claims can only make it worse).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<crate::verdict::ClaimsEffect>,
}

/// Paths relative to the repository root (the git top level, or `GITHUB_WORKSPACE` /
/// `CI_PROJECT_DIR` when they contain the checked directory), with `/` separators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoPaths {
    /// The checked directory (`services/api`; empty when it is the root). Finding locations
    /// are relative to it.
    pub target: String,
    /// Each checklist file as `defined_at.file` names it → its path from the root (files outside
    /// the repository are not listed).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub checklist_files: BTreeMap<String, String>,
    /// The repository file a check without a place of its own is reported at (a built-in
    /// checklist's check): the manifest the stack was detected from, else the README.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<String>,
}

/// What happened to one service during the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRecord {
    pub name: String,
    /// `started` (readyctl ran it) or `external` (only waited for: `external: true` or
    /// `--no-services`).
    pub mode: String,
    /// The command readyctl ran (absent when external).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// The readiness condition, in words.
    pub ready_when: String,
    /// Milliseconds from the run start to the service start (or to the start of the wait).
    pub start_ms: u64,
    /// Milliseconds from the start until the service was ready (absent: never ready).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_ms: Option<u64>,
    /// Milliseconds from the run start to the stop (absent: not stopped by readyctl).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_ms: Option<u64>,
    /// How the process ended (`stopped (SIGTERM)`, `exit code 1`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit: Option<String>,
    /// Why the checks that need it could not rely on it (never ready, exited early, crashed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Its output (stdout and stderr, redacted), relative to the run directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Tool {
    pub fn current() -> Self {
        Tool { name: "readyctl".into(), version: env!("CARGO_PKG_VERSION").into() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunInfo {
    pub id: String,
    /// RFC 3339, UTC.
    pub started: String,
    pub finished: String,
    /// The command line (secrets redacted).
    pub invocation: Vec<String>,
    pub interrupted: bool,
    /// Key id of the key that signed the manifest at check time (absent: unsigned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer_keyid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistInfo {
    pub name: String,
    /// `readiness.yaml`, `builtin:python-service`, a directory.
    pub source: String,
    /// sha256 of the resolved checklist (after extends, includes and variables).
    pub sha256: String,
    /// Every file the checklist was read from, with its sha256.
    pub sources: Vec<SourceFile>,
}
