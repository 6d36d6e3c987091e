//! Probes: one file per kind. Each exposes a `Spec` (the checklist's YAML shape for that
//! probe: `deny_unknown_fields`, `JsonSchema`), `validate(&Spec)` for load-time problems and
//! `run(&Spec, &ProbeContext) -> ProbeOutcome`. Dispatch is an exhaustive `match` on
//! [`Probe`](crate::checklist::Probe); see CONTRIBUTING.md "Adding a probe".

pub mod audit;
pub mod ci;
pub mod command;
pub mod context;
pub mod coverage;
pub mod debug_settings;
pub mod dns;
pub mod dockerfile;
pub mod env;
pub mod file;
pub mod git;
pub mod http;
pub mod k8s;
pub mod load;
pub mod manual;
pub mod matcher;
pub mod migrations;
pub mod openapi;
pub mod pinning;
pub mod search;
pub mod secrets;
pub mod sql;
pub mod tcp;
pub mod tests;

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

/// The `error` outcome for a spec that did not validate (probes that can be run without the
/// loader, e.g. from benchmarks, re-check their spec first), or `None` when it is valid.
pub fn invalid_spec(kind: &str, issues: &[ProbeIssue]) -> Option<ProbeOutcome> {
    if issues.is_empty() {
        return None;
    }
    let text: Vec<String> = issues
        .iter()
        .map(|i| match &i.hint {
            Some(h) => format!("{}: {} ({h})", i.field, i.message),
            None => format!("{}: {}", i.field, i.message),
        })
        .collect();
    Some(ProbeOutcome::error(format!("{kind}: {}", text.join("; "))))
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
            Probe::DebugSettings(s) => debug_settings::validate(s),
            Probe::Tests(s) => tests::validate(s),
            Probe::Coverage(s) => coverage::validate(s),
            Probe::Http(s) => http::validate(s),
            Probe::Tcp(s) => tcp::validate(s),
            Probe::Dns(s) => dns::validate(s),
            Probe::Load(s) => load::validate(s),
            Probe::Openapi(s) => openapi::validate(s),
            Probe::Migrations(s) => migrations::validate(s),
            Probe::Sql(s) => sql::validate(s),
            Probe::Secrets(s) => secrets::validate(s),
            Probe::Git(s) => git::validate(s),
            Probe::Manual(s) => manual::validate(s),
            Probe::Ci(s) => ci::validate(s),
            Probe::Dockerfile(s) => dockerfile::validate(s),
            Probe::K8s(s) => k8s::validate(s),
            Probe::Env(s) => env::validate(s),
            Probe::Audit(s) => audit::validate(s),
        }
    }

    /// Runs the probe.
    pub fn run(&self, ctx: &ProbeContext) -> ProbeOutcome {
        match self {
            Probe::Command(s) => command::run(s, ctx),
            Probe::File(s) => file::run(s, ctx),
            Probe::Search(s) => search::run(s, ctx),
            Probe::DebugSettings(s) => debug_settings::run(s, ctx),
            Probe::Tests(s) => tests::run(s, ctx),
            Probe::Coverage(s) => coverage::run(s, ctx),
            Probe::Http(s) => http::run(s, ctx),
            Probe::Tcp(s) => tcp::run(s, ctx),
            Probe::Dns(s) => dns::run(s, ctx),
            Probe::Load(s) => load::run(s, ctx),
            Probe::Openapi(s) => openapi::run(s, ctx),
            Probe::Migrations(s) => migrations::run(s, ctx),
            Probe::Sql(s) => sql::run(s, ctx),
            Probe::Secrets(s) => secrets::run(s, ctx),
            Probe::Git(s) => git::run(s, ctx),
            Probe::Manual(s) => manual::run(s, ctx),
            Probe::Ci(s) => ci::run(s, ctx),
            Probe::Dockerfile(s) => dockerfile::run(s, ctx),
            Probe::K8s(s) => k8s::run(s, ctx),
            Probe::Env(s) => env::run(s, ctx),
            Probe::Audit(s) => audit::run(s, ctx),
        }
    }
}
