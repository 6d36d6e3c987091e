//! The checklist's YAML shape (what users write) and the typed model it validates into.
//! The JSON Schema (`readyctl schema`) is derived from these same types. A check's probe fields
//! (one per kind, typed by the kind's `Spec`) come from the probe registry, and a validated
//! check holds its compiled [`Probe`].

use std::collections::BTreeMap;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use crate::duration::DurationSpec;
use crate::probe;

pub use crate::probe::{PROBE_KINDS, Probe, ProbeSpec};
pub use crate::severity::{Level, Severity};

/// One YAML document of a checklist.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "readyctl checklist")]
pub struct ChecklistDoc {
    /// Checklist language version. Must be `1`.
    pub version: u32,
    /// Name of the project or service this checklist is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Checklists this one builds on: `builtin:<name>` or paths relative to this file. Their
    /// checks come first; a check with the same id defined later replaces the earlier one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extends: Vec<String>,
    /// Further checklist files merged after `extends` and before this file's own checks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Variables for `${name}` interpolation in check fields. Values may use
    /// `${env:NAME}`, `${env:NAME:-default}` and other variables.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vars: BTreeMap<String, VarValue>,
    /// Environment variables whose values are secrets: they never reach evidence, reports or logs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<String>,
    /// Defaults for every check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defaults: Option<Defaults>,
    /// What makes the run READY.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicySpec>,
    /// Check ids or globs (`docs.*`) to drop, typically from an extended checklist.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disable: Vec<String>,
    /// Services the checks need running: started (in dependency order) before the first check
    /// that lists them in `needs`, stopped after the last one. Keyed by service name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, ServiceSpec>,
    /// The checks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckSpec>,
    /// Accepted failures: a failing or erroring check covered by a valid waiver is `waived`,
    /// its original result kept visible. Expired waivers are not applied and are reported.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waivers: Vec<crate::waiver::WaiverSpec>,
    /// People whose signed attestations `manual` checks accept: name → public key (Ed25519
    /// SubjectPublicKeyInfo PEM, as written by `readyctl keygen`), path relative to this file.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub trusted_signers: BTreeMap<String, String>,
}

/// A variable's value: a string, number or boolean (used as text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(transparent)]
pub struct VarValue(#[schemars(with = "VarSchema")] pub String);

#[derive(JsonSchema)]
#[serde(untagged)]
#[expect(dead_code, reason = "only describes the schema of a variable value")]
enum VarSchema {
    S(String),
    N(f64),
    B(bool),
}

impl<'de> Deserialize<'de> for VarValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_yaml::Value::deserialize(d)? {
            serde_yaml::Value::String(s) => Ok(VarValue(s)),
            serde_yaml::Value::Number(n) => Ok(VarValue(n.to_string())),
            serde_yaml::Value::Bool(b) => Ok(VarValue(b.to_string())),
            _ => Err(serde::de::Error::custom("a variable must be a string, number or boolean")),
        }
    }
}

/// Defaults applied to every check that does not set its own.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// Time budget of a check (default `10m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<DurationSpec>,
    /// How many times a failing or erroring check is retried (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
}

/// The policy: what makes a run READY.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    /// Checks at this severity or above block the verdict (default `high`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_on: Option<Severity>,
    /// Minimum score (0–100) for READY.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_score: Option<f64>,
    /// Level that must be reached for READY.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_level: Option<Level>,
    /// Rules every waiver must follow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waivers: Option<crate::waiver::WaiverPolicy>,
}

/// A service as written in YAML: a process readyctl starts (or, `external: true`, one that is
/// already running) and waits for before the checks that need it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    /// Command that runs the service in the foreground: a string runs through `sh -c`, a list
    /// is program and arguments. Required unless `external: true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<probe::command::CommandLine>,
    /// Working directory, relative to the repository (default: the repository).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// Extra environment variables for the service.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, VarValue>,
    /// When the service counts as ready: exactly one of `http`, `tcp` or `log`.
    pub ready: ReadySpec,
    /// Other services that must be ready before this one starts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<String>,
    /// Not started by readyctl: only waited for (its readiness condition must hold).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub external: bool,
}

/// A service's readiness condition, polled until it holds or `timeout` passes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadySpec {
    /// Ready when a GET to this URL answers (with `status`, or any status below 400).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<String>,
    /// Status code the `http` readiness URL must answer with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Ready when `host:port` accepts a TCP connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<String>,
    /// Ready when a line of the service's output (stdout or stderr, after redaction) matches
    /// this regular expression (Rust `regex` syntax).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    /// How long to wait for readiness (default `30s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<DurationSpec>,
}

/// A validated service.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Service {
    pub name: String,
    /// Absent for an external service.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<probe::command::CommandLine>,
    /// Relative to the repository.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<(String, String)>,
    pub ready: Ready,
    #[serde(with = "duration_text")]
    pub ready_timeout: Duration,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<String>,
    pub external: bool,
    /// Where the service is defined.
    pub origin: Origin,
}

/// A validated readiness condition.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ready {
    Http {
        url: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
    },
    Tcp(String),
    Log(String),
}

impl Ready {
    /// `GET http://…/health → 200`, `tcp 127.0.0.1:5432`, `log /listening/`.
    pub fn describe(&self) -> String {
        match self {
            Ready::Http { url, status: Some(s) } => format!("GET {url} answers {s}"),
            Ready::Http { url, status: None } => format!("GET {url} answers below 400"),
            Ready::Tcp(addr) => format!("{addr} accepts TCP connections"),
            Ready::Log(re) => format!("output matches /{re}/"),
        }
    }
}

/// A condition for running a check; when it does not hold, the check is `skip`.
/// Every condition given must hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct When {
    /// Run only if this path (relative to the repository, glob allowed) exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_exists: Option<String>,
    /// Run only if this path (glob allowed) does not exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_absent: Option<String>,
    /// Run only if this environment variable is set and not empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    /// Run only if this environment variable is unset or empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env_unset: Option<String>,
    /// Run only if readyctl's discovery finds this anywhere in the repository (outside
    /// vendored, hidden and ignored directories): `dockerfile`, `k8s` or `migrations`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found: Option<Found>,
}

/// What `when: { found: … }` looks for (see `crate::discover`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Found {
    /// A Dockerfile: `Dockerfile`, `Dockerfile.*`, `*.Dockerfile` at any depth, or a file
    /// under `docker/` or `deploy/` that starts with `FROM`.
    Dockerfile,
    /// A Kubernetes workload manifest (`apiVersion:` and `kind: Deployment|StatefulSet|
    /// DaemonSet`) at any depth.
    K8s,
    /// A migrations directory a framework is recognised in, at the root, per Django app, in
    /// `db/migrate`, under a unit (`services/*/…`), or at Prisma's schema path.
    Migrations,
}

impl Found {
    /// Why the condition does not hold in `repo`, if it does not.
    pub fn unmet(self, repo: &std::path::Path) -> Option<String> {
        use crate::discover;
        let (none, what) = match self {
            Found::Dockerfile => (
                discover::dockerfiles(repo).is_empty(),
                "no Dockerfile found (Dockerfile, Dockerfile.*, *.Dockerfile, docker/**, deploy/**)",
            ),
            Found::K8s => (
                discover::k8s_manifests(repo).is_empty(),
                "no Kubernetes workload manifest found (YAML with apiVersion and kind: Deployment, StatefulSet or DaemonSet)",
            ),
            Found::Migrations => (
                discover::migration_dirs(repo).is_empty(),
                "no migrations found (root directories, Django apps, db/migrate, services/*, Prisma's schema path)",
            ),
        };
        none.then(|| format!("not applicable: {what}"))
    }
}

/// Generates the check's YAML shape from the probe registry (`probe::with_probe_kinds!`):
/// the common fields, then one optional field per probe key (so serde's unknown-field errors
/// list every kind and point at the right line), each typed by its kind's `Spec`.
macro_rules! check_spec {
    ($( $(#[doc = $doc:literal])* $key:ident => $variant:ident($module:ident::$kind:ident) ),* $(,)?) => {
        /// A check as written in YAML. Exactly one probe key must be present.
        #[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct CheckSpec {
            /// Unique id, e.g. `tests.backend` (letters, digits, `.`, `_`, `-`).
            pub id: String,
            /// One-line claim this check proves (defaults to the id).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub title: Option<String>,
            /// Area for grouping: testing, security, operability, data, documentation, delivery … (default `general`).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub area: Option<String>,
            /// How much a failure matters (default `high`: a check written without a severity
            /// blocks under the default `fail_on`).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub severity: Option<Severity>,
            /// Maturity level the check belongs to.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub level: Option<Level>,
            /// Free-form tags for `--tag` selection.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub tags: Vec<String>,
            /// Checks that must pass before this one runs (otherwise this one is `skip`), and
            /// services that must be running and ready (otherwise this one fails).
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub needs: Vec<String>,
            /// Condition for running the check at all.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub when: Option<When>,
            /// Time budget (default from `defaults.timeout`, else `10m`).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub timeout: Option<DurationSpec>,
            /// Retries after `fail` or `error`, with exponential backoff.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub retries: Option<u32>,
            /// What to do when the check fails.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub remediation: Option<String>,
            /// URL of documentation for this check.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub docs: Option<String>,
            $(
                $(#[doc = $doc])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $key: Option<<probe::$module::$kind as probe::ProbeKind>::Spec>,
            )*
        }

        impl CheckSpec {
            /// The probe keys present, with their spec.
            pub fn probes(&self) -> Vec<ProbeSpec> {
                let mut found = Vec::new();
                $( if let Some(spec) = &self.$key { found.push(ProbeSpec::$variant(spec.clone())); } )*
                found
            }
        }
    };
}

probe::with_probe_kinds!(check_spec);

/// A validated check, ready to run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub id: String,
    pub title: String,
    pub area: String,
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<When>,
    #[serde(with = "duration_text")]
    pub timeout: Duration,
    pub retries: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docs: Option<String>,
    pub probe: Probe,
    /// Where the check is defined (`readiness.yaml:12`, `builtin:base:30`).
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub file: String,
    pub line: usize,
}

/// The policy after defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    pub fail_on: Severity,
    /// Which verdict rule computed the summary ([`crate::verdict::RULE`]); records written
    /// before the field existed were computed with rule 1 and are verified with it.
    #[serde(default = "crate::verdict::legacy_rule")]
    pub verdict_rule: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_level: Option<Level>,
    /// Rules every waiver must follow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waivers: Option<crate::waiver::WaiverPolicy>,
}

/// A checklist source file and its digest (recorded in the manifest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    pub path: String,
    pub sha256: String,
}

/// A loaded, merged, interpolated and validated checklist.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Checklist {
    pub name: String,
    pub version: u32,
    pub policy: Policy,
    /// Names of environment variables declared secret.
    pub secrets: Vec<String>,
    pub checks: Vec<Check>,
    /// Services the checks may need (validated; started by the runner).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<Service>,
    #[serde(skip)]
    pub sources: Vec<SourceFile>,
    /// Waivers from the checklist files (validated; applied after the run).
    #[serde(skip)]
    pub waivers: Vec<crate::waiver::Waiver>,
}

mod duration_text {
    use std::time::Duration;
    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::duration::format_duration(*d))
    }
}
