//! Probes: one file per kind, registered by one line in `with_probe_kinds!` below.
//!
//! The contract ([`ProbeKind`]): a kind's YAML `Spec` (`deny_unknown_fields`, `JsonSchema`) is
//! compiled once, at load, with what the loader knows ([`CompileContext`]), into the kind's
//! `Compiled` value (the spec plus what was prepared from it: compiled regexes, the trusted
//! signers), or into [`ProbeIssue`]s, each naming its field; `run(&Compiled, &ProbeContext)`
//! then only looks, it never validates again. The registry generates [`ProbeSpec`] (a spec as
//! read, before compiling), [`Probe`] (a compiled probe) with their dispatch, and
//! [`PROBE_KINDS`]; `checklist` takes its per-probe YAML fields from the same list. Dependencies
//! are one-way: `checklist` uses `probe`, no probe uses `checklist`, and no probe kind imports
//! another (shared code lives in `context`, `matcher`, `pinning`, `yaml`, `crate::db` and
//! `crate::net`). See CONTRIBUTING.md, "Adding a probe".

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
pub mod yaml;

pub use context::{Artifact, ArtifactContent, KeepError, ProbeContext};

use crate::claims::attest::TrustedSigner;
use crate::outcome::ProbeOutcome;

/// The probe kinds: one line each, `key => Variant(module::Kind)` after the `///` line that
/// says what the kind proves (it becomes the key's description in the checklist schema).
///
/// Calls `$callback!` with the list, so every place that needs one item per kind is generated
/// from it: [`Probe`], [`ProbeSpec`], [`PROBE_KINDS`] here, and the probe fields of
/// `checklist::model::CheckSpec` (`probe::with_probe_kinds!(check_spec)`).
macro_rules! with_probe_kinds {
    ($callback:ident) => {
        $callback! {
            /// Run a command; check its exit code, output and duration.
            command => Command(command::Kind),
            /// Check that files exist (or not), their size, content, structure and age.
            file => File(file::Kind),
            /// Search the repository for a regex (gitignore-aware); expect none, some or a minimum count.
            search => Search(search::Kind),
            /// Python debug mode is off in the settings that ship: production and base settings only (development/test settings and config classes left out); production settings that switch it off override base settings.
            debug_settings => DebugSettings(debug_settings::Kind),
            /// Test results (JUnit, TAP, go test -json, libtest JSON, Jest, TRX) meet thresholds, counted from the test cases.
            tests => Tests(tests::Kind),
            /// Coverage reports (lcov, Cobertura, JaCoCo, coverage.py, Go, llvm-cov, Istanbul, Clover, OpenCover) meet minimums.
            coverage => Coverage(coverage::Kind),
            /// An HTTP endpoint answers as expected: status, headers, body, JSON values, schema, latency, TLS.
            http => Http(http::Kind),
            /// A TCP port accepts connections (optionally with a banner).
            tcp => Tcp(tcp::Kind),
            /// A name resolves (optionally to expected addresses), through the system resolver.
            dns => Dns(dns::Kind),
            /// A bounded smoke load meets error-rate and latency-percentile thresholds.
            load => Load(load::Kind),
            /// An OpenAPI 3.x document is valid and its parameterless operations answer as documented.
            openapi => Openapi(openapi::Kind),
            /// Database migrations: detect, check integrity, lint dangerous operations, apply to a scratch database.
            migrations => Migrations(migrations::Kind),
            /// Run a SQL query against SQLite or PostgreSQL and check its result (read-only by default).
            sql => Sql(sql::Kind),
            /// No committed secrets: built-in rules (cloud keys, tokens, private keys, passwords), allowlists and a baseline.
            secrets => Secrets(secrets::Kind),
            /// Git state: clean worktree, allowed branch, tagged HEAD, no oversized committed file, lockfile committed.
            git => Git(git::Kind),
            /// A human sign-off: passes on a valid signed attestation (`readyctl attest`), else `pending`.
            manual => Manual(manual::Kind),
            /// The CI configuration (GitHub Actions, GitLab CI, CircleCI, Jenkins, Travis CI, Azure Pipelines, Bitbucket Pipelines, Buildkite, Drone/Woodpecker) runs the tests, and optionally readyctl.
            ci => Ci(ci::Kind),
            /// A Dockerfile is hardened: non-root USER, HEALTHCHECK, pinned base images, no secrets in ENV/ARG, multi-stage builds.
            dockerfile => Dockerfile(dockerfile::Kind),
            /// Kubernetes workloads set resources, liveness/readiness probes, non-root, pinned images and enough replicas.
            k8s => K8s(k8s::Kind),
            /// Environment variables read by the code (Rust, Python, Node, Go) are documented in `.env.example`, which holds no real secrets.
            env => Env(env::Kind),
            /// No known-vulnerable dependencies, by the installed auditors (cargo audit, pip-audit, npm/pnpm/yarn audit, osv-scanner).
            audit => Audit(audit::Kind),
        }
    };
}
pub(crate) use with_probe_kinds;

/// One probe kind: its YAML shape, how that shape is compiled (validated once, at load), and
/// how the compiled probe runs. Registered by one line in `with_probe_kinds!`.
pub trait ProbeKind {
    /// The probe's key in a check (`command`, `http`, …), the same as in the registry.
    const KEY: &'static str;
    /// What users write under the key: `deny_unknown_fields`, a `///` description on every
    /// field (it becomes the schema's), serialized back exactly as read.
    type Spec: serde::Serialize
        + serde::de::DeserializeOwned
        + schemars::JsonSchema
        + Clone
        + std::fmt::Debug
        + PartialEq;
    /// The spec after compiling: the spec itself ([`Self::spec`]) and whatever was prepared
    /// from it, so that [`Self::run`] starts from a valid probe.
    type Compiled: Clone + std::fmt::Debug + Send + Sync;
    /// Fields of the spec (dotted paths below the key: `run`, `alembic.upgrade`) whose string
    /// values run as `sh -c` scripts. The loader expands `${…}` in exactly these as shell code
    /// (`Resolver::expand_shell`: a value is assigned to `READYCTL_VAR_<n>` and referenced
    /// quoted), never spliced as text. A kind that runs a string of its spec through a shell
    /// must list it here.
    const SHELL_FIELDS: &'static [&'static str] = &[];

    /// Validates `spec` (every problem, each naming its field) and prepares it.
    fn compile(spec: Self::Spec, cx: &CompileContext) -> Result<Self::Compiled, Vec<ProbeIssue>>;
    /// The spec a compiled probe was made from (what `list --format json` shows, what two
    /// checks compare by).
    fn spec(compiled: &Self::Compiled) -> &Self::Spec;
    /// Runs the probe: `pass`/`fail` with a reason, `error` when it could not look.
    fn run(compiled: &Self::Compiled, ctx: &ProbeContext) -> ProbeOutcome;
}

/// The [`ProbeKind`] of a kind with nothing to prepare beyond validating its spec: declares
/// `pub struct Kind` in the calling module, compiled to [`Valid<Spec>`] by the module's
/// `validate(&Spec) -> Vec<ProbeIssue>` and run by its `run(&Spec, &ProbeContext)`.
/// `validated_kind!("dns");` — the key must be the module's registry key (a test checks).
macro_rules! validated_kind {
    ($key:literal) => {
        /// The probe kind: nothing to prepare beyond validating the spec.
        pub struct Kind;

        impl $crate::probe::ProbeKind for Kind {
            const KEY: &'static str = $key;
            type Spec = Spec;
            type Compiled = $crate::probe::Valid<Spec>;
            fn compile(
                spec: Spec,
                _: &$crate::probe::CompileContext,
            ) -> Result<Self::Compiled, Vec<$crate::probe::ProbeIssue>> {
                $crate::probe::Valid::check(spec, validate)
            }
            fn spec(compiled: &Self::Compiled) -> &Spec {
                compiled
            }
            fn run(
                compiled: &Self::Compiled,
                ctx: &$crate::probe::ProbeContext,
            ) -> $crate::outcome::ProbeOutcome {
                run(compiled, ctx)
            }
        }
    };
}
pub(crate) use validated_kind;

/// The [`ProbeKind`] of a kind whose module prepares something at load without needing the
/// loader's context: declares `pub struct Kind` in the calling module, compiled by the module's
/// `compile(Spec) -> Result<Compiled, Vec<ProbeIssue>>` into its `Compiled` (which keeps the
/// spec in a field `spec`), and run by its `run(&Compiled, &ProbeContext)`;
/// `compiled_kind!("command", shell: ["run"])` also declares its `SHELL_FIELDS`.
macro_rules! compiled_kind {
    ($key:literal) => {
        $crate::probe::compiled_kind!($key, shell: []);
    };
    ($key:literal, shell: [$($field:literal),*]) => {
        /// The probe kind: what `compile` prepares is built once, at load.
        pub struct Kind;

        impl $crate::probe::ProbeKind for Kind {
            const KEY: &'static str = $key;
            const SHELL_FIELDS: &'static [&'static str] = &[$($field),*];
            type Spec = Spec;
            type Compiled = Compiled;
            fn compile(
                spec: Spec,
                _: &$crate::probe::CompileContext,
            ) -> Result<Compiled, Vec<$crate::probe::ProbeIssue>> {
                compile(spec)
            }
            fn spec(compiled: &Compiled) -> &Spec {
                &compiled.spec
            }
            fn run(
                compiled: &Compiled,
                ctx: &$crate::probe::ProbeContext,
            ) -> $crate::outcome::ProbeOutcome {
                run(compiled, ctx)
            }
        }
    };
}
pub(crate) use compiled_kind;

/// What the loader knows that a probe may need to compile its spec.
#[derive(Debug, Clone, Default)]
pub struct CompileContext {
    /// The checklist's `trusted_signers` (`manual` accepts attestations signed by these).
    pub trusted_signers: Vec<TrustedSigner>,
}

/// A spec that passed its kind's `validate`: the `Compiled` of kinds with nothing to prepare.
/// Only [`Valid::check`] makes one, so holding one means the spec was validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Valid<S>(S);

impl<S> Valid<S> {
    /// `spec` when `validate` finds nothing wrong with it, else the issues.
    pub fn check(
        spec: S,
        validate: impl FnOnce(&S) -> Vec<ProbeIssue>,
    ) -> Result<Self, Vec<ProbeIssue>> {
        let issues = validate(&spec);
        if issues.is_empty() { Ok(Valid(spec)) } else { Err(issues) }
    }
}

impl<S> std::ops::Deref for Valid<S> {
    type Target = S;
    fn deref(&self) -> &S {
        &self.0
    }
}

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

/// Compiles `spec` without load context (no trusted signers) and runs it: for callers outside
/// a checklist (benchmarks, integration and unit tests). A spec that does not compile is an
/// `error` naming every issue (`tcp: banner: invalid regex …`); nothing is run.
pub fn run_spec<K: ProbeKind>(spec: &K::Spec, ctx: &ProbeContext) -> ProbeOutcome {
    match K::compile(spec.clone(), &CompileContext::default()) {
        Ok(compiled) => K::run(&compiled, ctx),
        Err(issues) => {
            let text: Vec<String> = issues
                .iter()
                .map(|i| match &i.hint {
                    Some(h) => format!("{}: {} ({h})", i.field, i.message),
                    None => format!("{}: {}", i.field, i.message),
                })
                .collect();
            ProbeOutcome::error(format!("{}: {}", K::KEY, text.join("; ")))
        }
    }
}

/// `invalid regex /(/: unclosed group` without the regex crate's multi-line art.
pub fn regex_error(pattern: &str, err: &regex::Error) -> String {
    let detail = err.to_string();
    let last = detail.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or(&detail);
    format!("invalid regex /{pattern}/: {}", last.trim().trim_start_matches("error: "))
}

/// Generates, from the registry, the enums of specs and compiled probes and their dispatch.
macro_rules! probe_registry {
    ($( $(#[doc = $doc:literal])* $key:ident => $variant:ident($module:ident::$kind:ident) ),* $(,)?) => {
        /// Every probe key, in registry order.
        pub const PROBE_KINDS: &[&str] = &[$(stringify!($key)),*];

        /// Every field of a check that runs as a `sh -c` script, as `key.field` (each kind's
        /// [`ProbeKind::SHELL_FIELDS`]).
        pub fn shell_fields() -> Vec<String> {
            let mut fields = Vec::new();
            $(
                for f in <$module::$kind as ProbeKind>::SHELL_FIELDS {
                    fields.push(format!("{}.{f}", stringify!($key)));
                }
            )*
            fields
        }

        /// A probe as read from YAML, before compiling.
        #[derive(Debug, Clone, PartialEq)]
        pub enum ProbeSpec {
            $( $variant(<$module::$kind as ProbeKind>::Spec), )*
        }

        /// What a check probes, compiled: a closed set, dispatched by exhaustive `match`.
        /// Serializes as its spec (`{"http": {…}}`) and compares by spec.
        #[derive(Debug, Clone)]
        pub enum Probe {
            $( $variant(<$module::$kind as ProbeKind>::Compiled), )*
        }

        impl ProbeSpec {
            /// The probe key (`command`, `http`, …).
            pub fn kind(&self) -> &'static str {
                match self { $( ProbeSpec::$variant(_) => stringify!($key), )* }
            }

            /// Validates and prepares the spec ([`ProbeKind::compile`]).
            pub fn compile(self, cx: &CompileContext) -> Result<Probe, Vec<ProbeIssue>> {
                match self {
                    $( ProbeSpec::$variant(s) => $module::$kind::compile(s, cx).map(Probe::$variant), )*
                }
            }
        }

        impl Probe {
            /// The probe key (`command`, `http`, …).
            pub fn kind(&self) -> &'static str {
                match self { $( Probe::$variant(_) => stringify!($key), )* }
            }

            /// Runs the probe.
            pub fn run(&self, ctx: &ProbeContext) -> ProbeOutcome {
                match self { $( Probe::$variant(c) => $module::$kind::run(c, ctx), )* }
            }
        }

        impl PartialEq for Probe {
            fn eq(&self, other: &Self) -> bool {
                match (self, other) {
                    $( (Probe::$variant(a), Probe::$variant(b)) => {
                        $module::$kind::spec(a) == $module::$kind::spec(b)
                    } )*
                    _ => false,
                }
            }
        }

        impl serde::Serialize for Probe {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let index = PROBE_KINDS.iter().position(|k| *k == self.kind()).unwrap_or(0) as u32;
                match self {
                    $( Probe::$variant(c) => {
                        s.serialize_newtype_variant("Probe", index, stringify!($key), $module::$kind::spec(c))
                    } )*
                }
            }
        }

        #[cfg(test)]
        mod registry_tests {
            use super::*;

            /// Each registry key is its kind's `KEY` (the key `run_spec` names in its errors).
            #[test]
            fn registry_keys_are_the_kinds_keys() {
                $( assert_eq!(<$module::$kind as ProbeKind>::KEY, stringify!($key)); )*
            }
        }
    };
}

with_probe_kinds!(probe_registry);

#[cfg(test)]
mod contract_tests {
    use super::*;

    fn yaml<T: serde::de::DeserializeOwned>(text: &str) -> T {
        serde_yaml::from_str(text).unwrap()
    }

    /// Compiling reports every problem by field, once, and a compiled probe serializes and
    /// compares as the spec it came from (what `list --format json` shows).
    #[test]
    fn a_probe_compiles_once_and_serializes_as_its_spec() {
        let bad = ProbeSpec::Tcp(yaml("{ address: localhost, banner: '(', banner_bytes: 0 }"));
        assert_eq!(bad.kind(), "tcp");
        let issues = bad.compile(&CompileContext::default()).unwrap_err();
        let fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(fields, ["address", "banner", "banner_bytes"]);

        let written: http::Spec =
            yaml("{ url: 'http://127.0.0.1:1/', expect: { body: { regex: '^ok' } } }");
        let compile = |s: &http::Spec| {
            ProbeSpec::Http(s.clone()).compile(&CompileContext::default()).unwrap()
        };
        let (probe, again) = (compile(&written), compile(&written));
        assert_eq!(probe.kind(), "http");
        assert_eq!(probe, again);
        assert_eq!(
            serde_json::to_value(&probe).unwrap(),
            serde_json::json!({ "http": serde_json::to_value(&written).unwrap() })
        );
    }

    /// `manual` takes its trusted signers from the loader's context, never from YAML, and they
    /// do not show in the serialized probe.
    #[test]
    fn manual_gets_its_signers_from_the_compile_context() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
        let cx =
            CompileContext { trusted_signers: vec![TrustedSigner { name: "ops".into(), key }] };
        let probe = ProbeSpec::Manual(yaml("{ prompt: rota staffed }")).compile(&cx).unwrap();
        assert!(matches!(&probe, Probe::Manual(c) if format!("{c:?}").contains("ops")));
        assert_eq!(
            serde_json::to_value(&probe).unwrap(),
            serde_json::json!({ "manual": { "prompt": "rota staffed" } })
        );
        let err =
            serde_yaml::from_str::<manual::Spec>("{ prompt: rota, signers: [x] }").unwrap_err();
        assert!(err.to_string().contains("unknown field `signers`"), "{err}");
    }

    /// Outside a checklist, a spec that does not compile is an `error` naming its issues, and
    /// nothing runs.
    #[test]
    fn run_spec_reports_a_spec_that_does_not_compile() {
        let dir = tempfile::tempdir().unwrap();
        let t: tcp::Spec = serde_yaml::from_str("address: 127.0.0.1:1\nbanner: '['\n").unwrap();
        let o = context::testing::run_probe(dir.path(), "t", |ctx| run_spec::<tcp::Kind>(&t, ctx));
        assert_eq!(o.status, crate::outcome::Status::Error);
        assert!(o.reason.starts_with("tcp: banner: invalid regex /[/"), "{}", o.reason);
    }
}
