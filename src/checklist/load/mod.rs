//! Loading a checklist: read files (or built-ins), follow `extends` / `include`, merge checks by
//! id, interpolate variables, deserialize into typed checks and validate — collecting every
//! problem as a located [`Diagnostic`] before failing.
//!
//! One `Loader` carries the state; its work is split by concern, a file each:
//! `read` (files, built-ins, `extends` / `include`, merging by id),
//! `interpolate` (`${…}` in values, shell fields as text),
//! `deserialize` (typing with `serde_path_to_error`, every shape problem placed by its path),
//! `validate` (checks, services, `needs`, waivers) and `cycle` (the one cycle finder).
//! This file holds the entry points and `Loader::finish`, which runs them in order.

mod cycle;
mod deserialize;
mod interpolate;
mod read;
mod validate;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_yaml::Value;

use super::interp::Resolver;
use super::model::*;
use super::spans::{SpanMap, join_index};
use crate::diag::{Diagnostic, did_you_mean};
use read::{DocKey, too_deep, yaml_files_in};

pub use validate::{SERVICES_DIR, valid_id};

/// Default time budget of a check.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// Largest checklist file read. Checklists are hand-written YAML; the bound keeps a checklist
/// from the repository under test (`include: /dev/zero`, a huge file) from exhausting memory.
pub const MAX_CHECKLIST_BYTES: u64 = 16 << 20;

/// Where the checklist comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A YAML file.
    File(PathBuf),
    /// A directory: every `*.yaml` / `*.yml` in it, by name, merged in order.
    Dir(PathBuf),
    /// An embedded checklist (`base`, `python-service`, …).
    Builtin(String),
}

impl Source {
    pub fn describe(&self) -> String {
        match self {
            Source::File(p) | Source::Dir(p) => p.display().to_string(),
            Source::Builtin(n) => format!("builtin:{n}"),
        }
    }
}

/// Inputs from outside the checklist.
pub struct Options<'a> {
    /// Environment lookup (the process environment by default; tests pass a map).
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// `--var NAME=VALUE` overrides; they win over every file.
    pub var_overrides: BTreeMap<String, String>,
    /// Paths in diagnostics are shown relative to this directory.
    pub display_base: PathBuf,
}

/// Loads and validates a checklist, or returns every problem found.
pub fn load(source: &Source, opts: &Options<'_>) -> Result<Checklist, Vec<Diagnostic>> {
    let mut loader = Loader::new(opts);
    match source {
        Source::File(path) => loader.doc(DocKey::Path(path.clone()), None),
        Source::Builtin(name) => loader.doc(DocKey::Builtin(name.clone()), None),
        Source::Dir(dir) => match yaml_files_in(dir) {
            Ok(files) if files.is_empty() => loader
                .diags
                .push(Diagnostic::new(dir, "checklist directory has no .yaml or .yml files")),
            Ok(files) => {
                for f in files {
                    loader.doc(DocKey::Path(f), None);
                }
            }
            Err(e) => {
                loader.diags.push(Diagnostic::new(dir, format!("cannot read directory: {e}")))
            }
        },
    }
    loader.finish()
}

/// Loads a waivers file (`--waivers`): a YAML list of waivers, or a mapping with `waivers:`.
/// Every problem is a located diagnostic, as in a checklist.
pub fn load_waivers(
    path: &Path,
    opts: &Options<'_>,
    policy: &crate::waiver::WaiverPolicy,
) -> Result<Vec<crate::waiver::Waiver>, Vec<Diagnostic>> {
    let mut loader = Loader::new(opts);
    let (display, text) = loader
        .read(&DocKey::Path(path.to_path_buf()))
        .map_err(|m| vec![Diagnostic::new(path, m)])?;
    let spans = SpanMap::build(&text).map_err(|pos| vec![too_deep(&display, &text, pos)])?;
    loader.sources.push(SourceText { display: display.clone(), text, spans });
    let root: Value = match serde_yaml::from_str(&loader.sources[0].text) {
        Ok(v) => v,
        Err(e) => return Err(vec![read::invalid_yaml(&display, &loader.sources[0].text, &e)]),
    };
    let (base, list) = match root {
        Value::Mapping(mut m) if m.len() == 1 && m.contains_key("waivers") => {
            ("waivers".to_string(), m.remove("waivers").unwrap_or(Value::Null))
        }
        v @ (Value::Sequence(_) | Value::Null) => (String::new(), v),
        _ => {
            let at = At { file: 0, path: String::new() };
            return Err(vec![loader.diag_value(
                &at,
                "a waivers file is a list of waivers, or a mapping with only `waivers:`",
            )]);
        }
    };
    let list = if list == Value::Null { Value::Sequence(Vec::new()) } else { list };
    let specs: Vec<crate::waiver::WaiverSpec> = match serde_path_to_error::deserialize(list) {
        Ok(s) => s,
        Err(e) => return Err(vec![loader.serde_diag(0, &base, e)]),
    };
    let items =
        specs.into_iter().enumerate().map(|(i, s)| (s, At { file: 0, path: join_index(&base, i) }));
    let waivers = loader.validate_waivers(items.collect(), policy);
    if loader.diags.is_empty() { Ok(waivers) } else { Err(loader.diags) }
}

struct SourceText {
    display: String,
    text: String,
    spans: SpanMap,
}

/// A check as found in a file, before interpolation.
struct RawCheck {
    file: usize,
    path: String,
    id: String,
    value: Value,
}

/// A service as found in a file, before interpolation.
struct RawService {
    file: usize,
    path: String,
    name: String,
    value: Value,
}

/// Default time a service gets to become ready.
pub const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(30);

/// A place in a source file, by path.
#[derive(Clone)]
struct At {
    file: usize,
    path: String,
}

struct Loader<'a> {
    opts: &'a Options<'a>,
    sources: Vec<SourceText>,
    digests: Vec<SourceFile>,
    diags: Vec<Diagnostic>,
    stack: Vec<DocKey>,
    name: Option<String>,
    vars: BTreeMap<String, (String, At)>,
    secrets: Vec<String>,
    defaults: Defaults,
    policy: PolicySpec,
    disable: Vec<(String, At)>,
    checks: Vec<RawCheck>,
    /// Position of each id in `checks` (a merge by id must not scan them all).
    check_index: HashMap<String, usize>,
    services: Vec<RawService>,
    waivers: Vec<(crate::waiver::WaiverSpec, At)>,
    trusted_signers: BTreeMap<String, crate::claims::attest::TrustedSigner>,
}

impl<'a> Loader<'a> {
    fn new(opts: &'a Options<'a>) -> Self {
        Loader {
            opts,
            sources: Vec::new(),
            digests: Vec::new(),
            diags: Vec::new(),
            stack: Vec::new(),
            name: None,
            vars: BTreeMap::new(),
            secrets: Vec::new(),
            defaults: Defaults::default(),
            policy: PolicySpec::default(),
            disable: Vec::new(),
            checks: Vec::new(),
            check_index: HashMap::new(),
            services: Vec::new(),
            waivers: Vec::new(),
            trusted_signers: BTreeMap::new(),
        }
    }

    /// A diagnostic at the key (or item) at `at.path`, or its nearest known ancestor.
    fn diag_key(&self, at: &At, message: impl Into<String>) -> Diagnostic {
        let src = &self.sources[at.file];
        let d = Diagnostic::new(&src.display, message);
        match src.spans.nearest_key(&at.path) {
            Some(pos) => d.at(&src.text, pos.line, pos.col),
            None => d,
        }
    }

    /// A diagnostic at the value at `at.path` (falls back to the key).
    fn diag_value(&self, at: &At, message: impl Into<String>) -> Diagnostic {
        let src = &self.sources[at.file];
        match src.spans.value(&at.path) {
            Some(pos) => Diagnostic::new(&src.display, message).at(&src.text, pos.line, pos.col),
            None => self.diag_key(at, message),
        }
    }

    fn finish(mut self) -> Result<Checklist, Vec<Diagnostic>> {
        // Variables: overrides win; each is resolved once so errors point at its definition.
        let mut raw_vars: BTreeMap<String, String> =
            self.vars.iter().map(|(k, (v, _))| (k.clone(), v.clone())).collect();
        raw_vars.extend(self.opts.var_overrides.clone());
        let mut resolver = Resolver::new(&raw_vars, self.opts.env);
        let mut var_diags = Vec::new();
        for (name, (_, at)) in &self.vars {
            if self.opts.var_overrides.contains_key(name) {
                continue;
            }
            if let Err(e) = resolver.var(name) {
                let mut d = self.diag_value(at, format!("in variable `{name}`: {e}"));
                if let Some(h) = e.hint() {
                    d = d.hint(h);
                }
                var_diags.push(d);
            }
        }
        self.diags.extend(var_diags);

        // `disable:` drops checks (typically inherited ones) by id or glob.
        let mut dropped = HashSet::new();
        for (pattern, at) in &self.disable {
            match globset::Glob::new(pattern) {
                Ok(g) => {
                    let m = g.compile_matcher();
                    let before = dropped.len();
                    dropped.extend(
                        self.checks.iter().filter(|c| m.is_match(&c.id)).map(|c| c.id.clone()),
                    );
                    if dropped.len() == before && !self.checks.iter().any(|c| m.is_match(&c.id)) {
                        let hint = did_you_mean(pattern, self.checks.iter().map(|c| c.id.as_str()))
                            .map(|s| format!("did you mean `{s}`?"))
                            .unwrap_or_else(|| "run `readyctl list` to see the check ids".into());
                        self.diags.push(
                            self.diag_value(at, format!("`disable: {pattern}` matches no check"))
                                .hint(hint),
                        );
                    }
                }
                Err(e) => {
                    self.diags.push(self.diag_value(at, format!("invalid glob `{pattern}`: {e}")))
                }
            }
        }

        let defaults_timeout = self.defaults.timeout.map(|d| d.0).unwrap_or(DEFAULT_TIMEOUT);
        let defaults_retries = self.defaults.retries.unwrap_or(0);
        let raw_checks = std::mem::take(&mut self.checks);
        let mut checks = Vec::new();
        let mut check_at: HashMap<String, At> = HashMap::new();
        for raw in raw_checks.into_iter().filter(|c| !dropped.contains(&c.id)) {
            let at = At { file: raw.file, path: raw.path.clone() };
            let Some(spec) = self.typed_check(&at, raw.value, &mut resolver) else {
                continue;
            };
            if let Some(check) = self.validate_check(spec, &at, defaults_timeout, defaults_retries)
            {
                check_at.insert(check.id.clone(), at);
                checks.push(check);
            }
        }
        let raw_services = std::mem::take(&mut self.services);
        // Names of every declared service, valid or not: one mistake in a service must not
        // make the `needs` that name it "unknown" too.
        let declared: Vec<String> = raw_services.iter().map(|s| s.name.clone()).collect();
        let mut services = Vec::new();
        let mut service_at: HashMap<String, At> = HashMap::new();
        for raw in raw_services {
            let at = At { file: raw.file, path: raw.path.clone() };
            let Some(spec) = self.typed::<ServiceSpec>(&at, raw.value, &mut resolver, &["run"])
            else {
                continue;
            };
            if let Some(service) = self.validate_service(raw.name, spec, &at) {
                service_at.insert(service.name.clone(), at);
                services.push(service);
            }
        }
        self.validate_service_needs(&services, &service_at, &declared);
        self.validate_needs(&checks, &check_at, &services, &declared);

        let waiver_policy = self.policy.waivers.clone().unwrap_or_default();
        let pending_waivers = std::mem::take(&mut self.waivers);
        let waivers = self.validate_waivers(pending_waivers, &waiver_policy);
        if !self.diags.is_empty() {
            return Err(self.diags);
        }
        let policy = Policy {
            fail_on: self.policy.fail_on.unwrap_or(Severity::High),
            verdict_rule: crate::verdict::RULE,
            min_score: self.policy.min_score,
            required_level: self.policy.required_level,
            waivers: self.policy.waivers,
        };
        Ok(Checklist {
            name: self.name.unwrap_or_else(|| "readiness".into()),
            version: 1,
            policy,
            secrets: self.secrets,
            checks,
            services,
            sources: self.digests,
            waivers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Loads `files` (the first is the checklist) from a temporary directory: the diagnostics'
    /// messages and lines.
    fn problems(files: &[(&str, &str)]) -> Vec<(String, Option<usize>)> {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let env = |_: &str| None;
        let opts =
            Options { env: &env, var_overrides: BTreeMap::new(), display_base: dir.path().into() };
        let root = dir.path().join(files[0].0);
        let diags = load(&Source::File(root), &opts).map(|_| ()).unwrap_err();
        let base = format!("{}/", dir.path().display());
        diags.into_iter().map(|d| (d.message.replace(&base, ""), d.line)).collect()
    }

    #[test]
    fn every_cycle_is_reported_by_the_one_finder() {
        let checks =
            "version: 1\nchecks:\n  - id: a\n    needs: [a]\n    command: { run: 'true' }\n";
        assert_eq!(problems(&[("r.yaml", checks)]), [("dependency cycle: a → a".into(), Some(4))]);
        let services = "version: 1\nservices:\n  s1: { run: x, needs: [s2], ready: { tcp: 'h:1' } }\n  \
                        s2: { run: x, needs: [s1, s2], ready: { tcp: 'h:1' } }\n\
                        checks:\n  - id: a\n    needs: [s1]\n    command: { run: 'true' }\n";
        assert_eq!(
            problems(&[("r.yaml", services)]),
            [
                ("service `s2` needs itself".into(), Some(4)),
                ("service dependency cycle: s1 → s2 → s1".into(), Some(3)),
            ]
        );
    }

    #[test]
    fn an_include_cycle_is_shown_the_way_it_was_reached() {
        let found = problems(&[
            ("r.yaml", "version: 1\ninclude: [a.yaml]\n"),
            ("a.yaml", "version: 1\ninclude: [b.yaml]\n"),
            ("b.yaml", "version: 1\ninclude: [a.yaml]\n"),
        ]);
        assert_eq!(found, [("include cycle: r.yaml → a.yaml → b.yaml → a.yaml".into(), Some(2))]);
    }
}
