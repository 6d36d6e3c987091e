//! Probes: one file per kind. Each exposes a `Spec` (the checklist's YAML shape for that
//! probe: `deny_unknown_fields`, `JsonSchema`), `validate(&Spec)` for load-time problems and
//! `run(&Spec, &ProbeContext) -> ProbeOutcome`. Dispatch is an exhaustive `match` on
//! [`Probe`](crate::checklist::Probe); see CONTRIBUTING.md "Adding a probe".

pub mod command;
pub mod context;
pub mod dns;
pub mod file;
pub mod http;
pub mod load;
pub mod openapi;
pub mod search;
pub mod tcp;

pub use context::{Artifact, ArtifactContent, ProbeContext};

use crate::checklist::Probe;
use crate::outcome::ProbeOutcome;

/// A problem in a probe's spec found at load time, at `field` (relative to the probe key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeIssue {
    pub field: String,
    pub message: String,
    pub hint: Option<String>,
}

impl ProbeIssue {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        ProbeIssue { field: field.into(), message: message.into(), hint: None }
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// `invalid regex /(/: unclosed group` without the regex crate's multi-line art.
pub fn regex_error(pattern: &str, err: &regex::Error) -> String {
    let detail = err.to_string();
    let last = detail.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or(&detail);
    format!("invalid regex /{pattern}/: {}", last.trim().trim_start_matches("error: "))
}

impl Probe {
    /// Load-time problems in the spec (invalid regexes, globs, …).
    pub fn validate(&self) -> Vec<ProbeIssue> {
        match self {
            Probe::Command(s) => command::validate(s),
            Probe::File(s) => file::validate(s),
            Probe::Search(s) => search::validate(s),
        }
    }

    /// Runs the probe.
    pub fn run(&self, ctx: &ProbeContext) -> ProbeOutcome {
        match self {
            Probe::Command(s) => command::run(s, ctx),
            Probe::File(s) => file::run(s, ctx),
            Probe::Search(s) => search::run(s, ctx),
        }
    }
}
