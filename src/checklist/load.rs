//! Loading a checklist: read files (or built-ins), follow `extends` / `include`, merge checks by
//! id, interpolate variables, deserialize into typed checks and validate — collecting every
//! problem as a located [`Diagnostic`] before failing.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_yaml::Value;
use sha2::{Digest, Sha256};

use super::builtin;
use super::interp::{InterpError, Resolver};
use super::model::*;
use super::spans::{SpanMap, join_index, join_key};
use crate::diag::{Diagnostic, did_you_mean};
use crate::probe::CompileContext;

/// Default time budget of a check.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// Largest checklist file read. Checklists are hand-written YAML; the bound keeps a checklist
/// from the repository under test (`include: /dev/zero`, a huge file) from exhausting memory.
pub const MAX_CHECKLIST_BYTES: u64 = 16 << 20;

/// Reads a checklist file: a regular file (not a device, FIFO or directory, which could block or
/// never end) of at most [`MAX_CHECKLIST_BYTES`].
fn read_checklist_file(path: &Path, display: &str) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read `{display}`: {e}"))?;
    if !meta.is_file() {
        return Err(format!("cannot read `{display}`: not a regular file"));
    }
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read `{display}`: {e}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_CHECKLIST_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read `{display}`: {e}"))?;
    if bytes.len() as u64 > MAX_CHECKLIST_BYTES {
        return Err(format!(
            "`{display}` is larger than {MAX_CHECKLIST_BYTES} bytes, the limit for a checklist"
        ));
    }
    Ok(bytes)
}

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
        Err(e) => {
            let mut d = Diagnostic::new(
                &display,
                format!("invalid YAML: {}", strip_location(&e.to_string())),
            );
            if let Some(loc) = e.location() {
                d = d.at(&loader.sources[0].text, loc.line(), loc.column());
            }
            return Err(vec![d]);
        }
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

fn yaml_files_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
        })
        .collect();
    files.sort();
    Ok(files)
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum DocKey {
    Path(PathBuf),
    Builtin(String),
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

    fn read(&mut self, key: &DocKey) -> Result<(String, String), String> {
        match key {
            DocKey::Builtin(name) => match builtin::get(name) {
                Some(text) => Ok((format!("builtin:{name}"), text.to_owned())),
                None => Err(format!(
                    "unknown built-in checklist `builtin:{name}`{}",
                    match did_you_mean(name, builtin::names()) {
                        Some(s) => format!(" (did you mean `builtin:{s}`?)"),
                        None => format!(
                            "; available: {}",
                            builtin::names().collect::<Vec<_>>().join(", ")
                        ),
                    }
                )),
            },
            DocKey::Path(path) => {
                let display = crate::diag::display_path(path, &self.opts.display_base);
                let bytes = read_checklist_file(path, &display)?;
                let text = String::from_utf8(bytes).map_err(|e| {
                    format!(
                        "`{display}` is not UTF-8 text (invalid byte at offset {})",
                        e.utf8_error().valid_up_to()
                    )
                })?;
                Ok((display, text))
            }
        }
    }

    /// Loads one document and, first, everything it extends and includes.
    fn doc(&mut self, key: DocKey, from: Option<At>) {
        if self.stack.contains(&key) {
            let chain: Vec<String> = self.stack.iter().chain([&key]).map(describe_key).collect();
            let msg = format!("include cycle: {}", chain.join(" → "));
            let d = match &from {
                Some(at) => self.diag_value(at, msg),
                None => Diagnostic::new(describe_key(&key), msg),
            };
            self.diags.push(d);
            return;
        }
        let (display, text) = match self.read(&key) {
            Ok(x) => x,
            Err(msg) => {
                let d = match &from {
                    Some(at) => self.diag_value(at, msg),
                    None => Diagnostic::new(describe_key(&key), msg),
                };
                self.diags.push(d);
                return;
            }
        };
        self.digests
            .push(SourceFile { path: display.clone(), sha256: hex_sha256(text.as_bytes()) });
        let spans = match SpanMap::build(&text) {
            Ok(spans) => spans,
            Err(pos) => {
                self.diags.push(too_deep(&display, &text, pos));
                return;
            }
        };
        let file = self.sources.len();
        self.sources.push(SourceText { display: display.clone(), text, spans });

        let root: Value = match serde_yaml::from_str(&self.sources[file].text) {
            Ok(v) => v,
            Err(e) => {
                let mut d = Diagnostic::new(
                    &display,
                    format!("invalid YAML: {}", strip_location(&e.to_string())),
                );
                if let Some(loc) = e.location() {
                    d = d.at(&self.sources[file].text, loc.line(), loc.column());
                }
                self.diags.push(d);
                return;
            }
        };
        let mut root = match root {
            Value::Mapping(m) => m,
            Value::Null => {
                self.diags.push(Diagnostic::new(
                    &display,
                    "checklist is empty; it needs at least `version: 1`",
                ));
                return;
            }
            _ => {
                let at = At { file, path: String::new() };
                self.diags.push(self.diag_value(
                    &at,
                    "a checklist must be a mapping with `version:` and `checks:`",
                ));
                return;
            }
        };
        let checks_value = root.remove("checks");
        // Services are interpolated like checks, so they are typed after variables resolve.
        let services_value = root.remove("services");
        let header: ChecklistDoc = match serde_path_to_error::deserialize(Value::Mapping(root)) {
            Ok(h) => h,
            Err(e) => {
                self.diags.push(self.serde_diag(file, "", e));
                ChecklistDoc { version: 1, ..Default::default() }
            }
        };
        if header.version != 1 {
            let at = At { file, path: "version".into() };
            self.diags.push(
                self.diag_value(&at, format!("unsupported checklist version {}", header.version))
                    .hint("this readyctl reads `version: 1`"),
            );
        }

        self.stack.push(key.clone());
        let base_dir = match &key {
            DocKey::Path(p) => p.parent().map(Path::to_path_buf).unwrap_or_default(),
            DocKey::Builtin(_) => PathBuf::new(),
        };
        for (list, field) in [(&header.extends, "extends"), (&header.include, "include")] {
            for (i, target) in list.iter().enumerate() {
                let at = At { file, path: join_index(field, i) };
                let child = match target.strip_prefix("builtin:") {
                    Some(name) => DocKey::Builtin(name.to_owned()),
                    None if matches!(key, DocKey::Builtin(_)) => {
                        self.diags.push(
                            self.diag_value(&at, "a built-in checklist can only extend built-ins"),
                        );
                        continue;
                    }
                    None => DocKey::Path(base_dir.join(target)),
                };
                self.doc(child, Some(at));
            }
        }
        self.stack.pop();

        // This document's settings and checks win over what it extends or includes.
        if header.name.is_some() {
            self.name = header.name;
        }
        for (name, value) in header.vars {
            let at = At { file, path: join_key("vars", &name) };
            self.vars.insert(name, (value.0, at));
        }
        for s in header.secrets {
            if !self.secrets.contains(&s) {
                self.secrets.push(s);
            }
        }
        if let Some(d) = header.defaults {
            self.defaults.timeout = d.timeout.or(self.defaults.timeout);
            self.defaults.retries = d.retries.or(self.defaults.retries);
        }
        if let Some(p) = header.policy {
            self.policy.fail_on = p.fail_on.or(self.policy.fail_on);
            self.policy.min_score = p.min_score.or(self.policy.min_score);
            self.policy.required_level = p.required_level.or(self.policy.required_level);
            self.policy.waivers = p.waivers.or(self.policy.waivers.take());
            if let Some(score) = p.min_score.filter(|s| !(0.0..=100.0).contains(s)) {
                let at = At { file, path: "policy.min_score".into() };
                self.diags
                    .push(self.diag_value(&at, format!("min_score {score} is outside 0–100")));
            }
        }
        for (i, w) in header.waivers.into_iter().enumerate() {
            self.waivers.push((w, At { file, path: join_index("waivers", i) }));
        }
        for (name, rel) in &header.trusted_signers {
            let at = At { file, path: join_key("trusted_signers", name) };
            if matches!(key, DocKey::Builtin(_)) {
                self.diags.push(self.diag_value(&at, "a built-in checklist cannot trust signers"));
                continue;
            }
            let path = base_dir.join(rel);
            match crate::evidence::keys::load_verifying_key(&path) {
                Ok(k) => {
                    let text = std::fs::read(&path).unwrap_or_default();
                    let display = crate::diag::display_path(&path, &self.opts.display_base);
                    self.digests.push(SourceFile { path: display, sha256: hex_sha256(&text) });
                    let signer =
                        crate::claims::attest::TrustedSigner { name: name.clone(), key: k };
                    self.trusted_signers.insert(name.clone(), signer);
                }
                Err(e) => self.diags.push(
                    self.diag_value(&at, format!("trusted signer `{name}`: {e}")).hint(
                        "a public key PEM (`readyctl keygen -o NAME` writes NAME.pub), relative to this checklist",
                    ),
                ),
            }
        }
        for (i, pattern) in header.disable.into_iter().enumerate() {
            self.disable.push((pattern, At { file, path: join_index("disable", i) }));
        }
        self.doc_services(file, services_value);
        self.doc_checks(file, checks_value);
    }

    fn doc_services(&mut self, file: usize, services: Option<Value>) {
        let map = match services {
            None | Some(Value::Null) => return,
            Some(Value::Mapping(m)) => m,
            Some(_) => {
                let at = At { file, path: "services".into() };
                self.diags.push(
                    self.diag_value(&at, "`services` must be a mapping of name → service")
                        .hint("e.g. `services: { api: { run: ./serve, ready: { tcp: \"127.0.0.1:8000\" } } }`"),
                );
                return;
            }
        };
        for (key, value) in map {
            let Some(name) = key.as_str().map(str::to_owned) else {
                let at = At { file, path: "services".into() };
                self.diags.push(self.diag_value(&at, "service names must be strings"));
                continue;
            };
            let path = join_key("services", &name);
            let raw = RawService { file, path, name, value };
            // A later definition replaces an inherited one.
            match self.services.iter().position(|s| s.name == raw.name) {
                Some(pos) => self.services[pos] = raw,
                None => self.services.push(raw),
            }
        }
    }

    fn doc_checks(&mut self, file: usize, checks: Option<Value>) {
        let items = match checks {
            None | Some(Value::Null) => return,
            Some(Value::Sequence(items)) => items,
            Some(_) => {
                let at = At { file, path: "checks".into() };
                self.diags.push(self.diag_value(&at, "`checks` must be a list of checks"));
                return;
            }
        };
        let mut seen: HashMap<String, String> = HashMap::new();
        for (i, value) in items.into_iter().enumerate() {
            let path = join_index("checks", i);
            let at = At { file, path: path.clone() };
            let id = match value.get("id") {
                Some(Value::String(id)) => id.clone(),
                Some(_) => {
                    let at = At { file, path: join_key(&path, "id") };
                    self.diags.push(self.diag_value(&at, "check `id` must be a string"));
                    continue;
                }
                None if value.is_mapping() => {
                    self.diags
                        .push(self.diag_key(&at, "check has no `id`").hint("add `id: area.name`"));
                    continue;
                }
                None => {
                    self.diags.push(
                        self.diag_value(
                            &at,
                            "a check must be a mapping with `id:` and one probe key",
                        ),
                    );
                    continue;
                }
            };
            if let Some(first) = seen.get(&id) {
                let first_line = self.sources[file].spans.key(first).map(|p| p.line).unwrap_or(0);
                let id_at = At { file, path: join_key(&path, "id") };
                self.diags.push(
                    self.diag_value(&id_at, format!("duplicate check id `{id}`"))
                        .hint(format!("first defined at line {first_line}; ids must be unique")),
                );
                continue;
            }
            seen.insert(id.clone(), path.clone());
            let raw = RawCheck { file, path, id, value };
            match self.check_index.get(&raw.id) {
                // A later definition replaces an inherited one, in its place.
                Some(&pos) => self.checks[pos] = raw,
                None => {
                    self.check_index.insert(raw.id.clone(), self.checks.len());
                    self.checks.push(raw);
                }
            }
        }
    }

    /// Turns a serde error at `base` in `file` into a located diagnostic with a did-you-mean.
    fn serde_diag(
        &self,
        file: usize,
        base: &str,
        err: serde_path_to_error::Error<serde_yaml::Error>,
    ) -> Diagnostic {
        let mut path = base.to_string();
        for seg in err.path().iter() {
            use serde_path_to_error::Segment;
            match seg {
                Segment::Seq { index } => path = join_index(&path, *index),
                Segment::Map { key } => path = join_key(&path, key),
                Segment::Enum { variant } => path = join_key(&path, variant),
                Segment::Unknown => {}
            }
        }
        let message = plain_types(&strip_location(&err.inner().to_string()));
        let names = backticked(&message);
        if let Some(rest) = message
            .strip_prefix("unknown field `")
            .or_else(|| message.strip_prefix("unknown variant `"))
        {
            let bad = rest.split('`').next().unwrap_or_default().to_string();
            let expected: Vec<&str> = names.iter().skip(1).map(String::as_str).collect();
            // serde_path_to_error's path may already end with the unknown key.
            let key_path = if path == bad || path.ends_with(&format!(".{bad}")) {
                path.clone()
            } else {
                join_key(&path, &bad)
            };
            let at = At { file, path: key_path };
            let located = if self.sources[file].spans.key(&at.path).is_some() {
                self.diag_key(&at, short_unknown(&message, &bad))
            } else {
                self.diag_value(&At { file, path: path.clone() }, short_unknown(&message, &bad))
            };
            let hint = match did_you_mean(&bad, expected.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("expected one of: {}", expected.join(", ")),
            };
            return located.hint(hint);
        }
        let at = At { file, path: path.clone() };
        let shown = if path.is_empty() { message } else { format!("{path}: {message}") };
        if shown.contains("missing field") {
            self.diag_key(&at, shown)
        } else {
            self.diag_value(&at, shown)
        }
    }

    /// Interpolates variables in a raw item at `at` and deserializes it, reporting every
    /// problem as a located diagnostic; `None` when there was any.
    /// `shell_fields` are the paths, relative to the item, of strings run as `sh -c` scripts:
    /// values interpolated there are passed as text, never as code.
    fn typed<T: serde::de::DeserializeOwned>(
        &mut self,
        at: &At,
        mut value: Value,
        resolver: &mut Resolver<'_>,
        shell_fields: &[&str],
    ) -> Option<T> {
        let interpolated = self.interpolate(at, &mut value, resolver, shell_fields);
        let (spec, clean) = self.deserialize_all(at, value);
        spec.filter(|_| clean && interpolated)
    }

    /// Interpolates variables in `value` (values in `shell_fields` as text), reporting each
    /// problem as a located diagnostic; whether there was none.
    fn interpolate(
        &mut self,
        at: &At,
        value: &mut Value,
        resolver: &mut Resolver<'_>,
        shell_fields: &[&str],
    ) -> bool {
        let mut interp_errors = Vec::new();
        let shell_paths: Vec<String> = shell_fields.iter().map(|f| join_key(&at.path, f)).collect();
        let mut cx = Interp { resolver, errors: &mut interp_errors, shell_paths: &shell_paths };
        interpolate_value(value, &at.path, &mut cx);
        let interpolated = interp_errors.is_empty();
        for (path, e) in interp_errors {
            let mut d = self.diag_value(&At { file: at.file, path }, e.to_string());
            if let Some(h) = e.hint() {
                d = d.hint(h);
            }
            self.diags.push(d);
        }
        interpolated
    }

    /// Deserializes `value`, reporting every problem rather than the first: serde stops at the
    /// first error, so after each one the offending key is taken out of the value and it is
    /// deserialized again (at most [`MAX_PROBLEMS_PER_ITEM`] times). Returns the value typed
    /// from what was left (for further validation) and whether nothing had to be taken out.
    /// A "missing field" caused by taking a key out is not reported twice.
    fn deserialize_all<T: serde::de::DeserializeOwned>(
        &mut self,
        at: &At,
        mut value: Value,
    ) -> (Option<T>, bool) {
        let mut removed: Vec<String> = Vec::new();
        let mut reported: HashSet<String> = HashSet::new();
        for _ in 0..MAX_PROBLEMS_PER_ITEM {
            match serde_path_to_error::deserialize::<_, T>(value.clone()) {
                Ok(spec) => return (Some(spec), removed.is_empty()),
                Err(e) => {
                    let message = e.inner().to_string();
                    let segments: Vec<serde_path_to_error::Segment> =
                        e.path().iter().cloned().collect();
                    let derived = removed
                        .iter()
                        .any(|k| message.starts_with(&format!("missing field `{k}`")));
                    if derived || !reported.insert(format!("{} {message}", e.path())) {
                        break;
                    }
                    let d = self.serde_diag(at.file, &at.path, e);
                    self.diags.push(d);
                    match take_out_offending(&mut value, &segments, &message) {
                        Some(key) => removed.push(key),
                        None => break,
                    }
                }
            }
        }
        (None, false)
    }

    /// [`Self::typed`] for a check, and when its shape had problems, the rest of it is still
    /// validated (an invalid regex is reported beside an unknown key), then dropped.
    fn typed_check(
        &mut self,
        at: &At,
        mut value: Value,
        resolver: &mut Resolver<'_>,
    ) -> Option<CheckSpec> {
        let interpolated = self.interpolate(at, &mut value, resolver, CHECK_SHELL_FIELDS);
        let (spec, clean) = self.deserialize_all::<CheckSpec>(at, value);
        let spec = spec?;
        if clean && interpolated {
            return Some(spec);
        }
        // Only with exactly one probe left: a probe key taken out must not also read as
        // "no probe".
        if spec.probes().len() == 1 {
            let _ = self.validate_check(spec, at, DEFAULT_TIMEOUT, 0);
        }
        None
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

    /// Checks each waiver against the waiver policy (a located diagnostic per problem) and
    /// records where it is written.
    fn validate_waivers(
        &mut self,
        waivers: Vec<(crate::waiver::WaiverSpec, At)>,
        policy: &crate::waiver::WaiverPolicy,
    ) -> Vec<crate::waiver::Waiver> {
        let mut out = Vec::new();
        for (spec, at) in waivers {
            for (field, message) in crate::waiver::validate(&spec, policy) {
                let field_at = At { file: at.file, path: join_key(&at.path, field) };
                let d = self.diag_value(&field_at, message);
                self.diags.push(d);
            }
            let src = &self.sources[at.file];
            let source = match src.spans.nearest_key(&join_key(&at.path, "check")) {
                Some(pos) => format!("{}:{}", src.display, pos.line),
                None => src.display.clone(),
            };
            out.push(crate::waiver::Waiver { spec, source });
        }
        out
    }

    fn validate_check(
        &mut self,
        spec: CheckSpec,
        at: &At,
        timeout: Duration,
        retries: u32,
    ) -> Option<Check> {
        let id_at = At { file: at.file, path: join_key(&at.path, "id") };
        let mut ok = true;
        if !valid_id(&spec.id) {
            self.diags.push(
                self.diag_value(&id_at, format!("invalid check id `{}`", spec.id)).hint(
                    "use letters, digits, `.`, `_` and `-`, not starting with `.`, \
                     e.g. `tests.backend`",
                ),
            );
            ok = false;
        }
        let mut probes = spec.probes();
        if probes.is_empty() {
            self.diags.push(
                self.diag_key(at, format!("check `{}` has no probe", spec.id))
                    .hint(format!("add exactly one of: {}", PROBE_KINDS.join(", "))),
            );
            return None;
        }
        if probes.len() > 1 {
            let kinds: Vec<&str> = probes.iter().map(ProbeSpec::kind).collect();
            let second = At { file: at.file, path: join_key(&at.path, kinds[1]) };
            self.diags.push(
                self.diag_key(
                    &second,
                    format!(
                        "check `{}` has {} probe keys: {}",
                        spec.id,
                        kinds.len(),
                        kinds.join(", ")
                    ),
                )
                .hint("a check proves one thing: split it into several checks"),
            );
            return None;
        }
        let probe = probes.remove(0);
        let kind = probe.kind();
        let signers = self.trusted_signers.values().cloned().collect();
        let compiled = probe.compile(&CompileContext { trusted_signers: signers });
        for issue in compiled.as_ref().err().cloned().unwrap_or_default() {
            let path = join_key(&join_key(&at.path, kind), &issue.field);
            let mut d = self.diag_value(&At { file: at.file, path }, issue.message);
            if let Some(h) = issue.hint {
                d = d.hint(h);
            }
            self.diags.push(d);
            ok = false;
        }
        if let Some(when) = &spec.when {
            for (field, pattern) in
                [("file_exists", &when.file_exists), ("file_absent", &when.file_absent)]
            {
                if let Some(p) = pattern
                    && let Err(e) = globset::Glob::new(p)
                {
                    let path = join_key(&join_key(&at.path, "when"), field);
                    self.diags.push(self.diag_value(
                        &At { file: at.file, path },
                        format!("invalid glob `{p}`: {e}"),
                    ));
                    ok = false;
                }
            }
        }
        let src = &self.sources[at.file];
        let origin = Origin {
            file: src.display.clone(),
            line: src.spans.key(&at.path).map(|p| p.line).unwrap_or(0),
        };
        compiled.ok().filter(|_| ok).map(|probe| Check {
            title: spec.title.clone().unwrap_or_else(|| spec.id.clone()),
            area: spec.area.clone().unwrap_or_else(|| "general".into()),
            severity: spec.severity.unwrap_or(Severity::High),
            level: spec.level,
            tags: spec.tags,
            needs: spec.needs,
            when: spec.when,
            timeout: spec.timeout.map(|d| d.0).unwrap_or(timeout),
            retries: spec.retries.unwrap_or(retries),
            remediation: spec.remediation,
            docs: spec.docs,
            probe,
            origin,
            id: spec.id,
        })
    }

    /// Every `needs` names a check or a service; the graph has no cycle.
    fn validate_needs(
        &mut self,
        checks: &[Check],
        check_at: &HashMap<String, At>,
        services: &[Service],
        declared: &[String],
    ) {
        let ids: HashSet<&str> = checks.iter().map(|c| c.id.as_str()).collect();
        let mut names: Vec<&str> =
            ids.iter().copied().chain(declared.iter().map(String::as_str)).collect();
        names.sort_unstable();
        for s in services.iter().filter(|s| ids.contains(s.name.as_str())) {
            let at = &check_at[&s.name];
            self.diags.push(
                self.diag_value(
                    &At { file: at.file, path: join_key(&at.path, "id") },
                    format!("`{}` is both a check id and a service name", s.name),
                )
                .hint("`needs` must name one or the other: rename the check or the service"),
            );
        }
        for c in checks {
            let at = &check_at[&c.id];
            for (i, need) in c.needs.iter().enumerate() {
                if names.binary_search(&need.as_str()).is_err() {
                    let path = join_index(&join_key(&at.path, "needs"), i);
                    let hint = match did_you_mean(need, names.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None if declared.is_empty() => {
                            "`needs` lists ids of other checks in this checklist".into()
                        }
                        None => "`needs` lists ids of other checks and names of `services:`".into(),
                    };
                    let what = if declared.is_empty() { "check" } else { "check or service" };
                    self.diags.push(
                        self.diag_value(
                            &At { file: at.file, path },
                            format!("`{}` needs unknown {what} `{need}`", c.id),
                        )
                        .hint(hint),
                    );
                }
            }
        }
        if let Some(cycle) = find_cycle(checks) {
            let at = &check_at[&cycle[0]];
            let path = join_key(&at.path, "needs");
            self.diags.push(
                self.diag_key(
                    &At { file: at.file, path },
                    format!("dependency cycle: {}", cycle.join(" → ")),
                )
                .hint("remove one of these `needs` entries"),
            );
        }
    }
}

impl Loader<'_> {
    /// Types one service: a valid name, a command unless external, exactly one readiness
    /// condition that parses.
    fn validate_service(&mut self, name: String, spec: ServiceSpec, at: &At) -> Option<Service> {
        let field = |f: &str| At { file: at.file, path: join_key(&at.path, f) };
        let ready_field =
            |f: &str| At { file: at.file, path: join_key(&join_key(&at.path, "ready"), f) };
        let mut ok = true;
        if !valid_id(&name) {
            self.diags.push(
                self.diag_key(at, format!("invalid service name `{name}`")).hint(
                    "use letters, digits, `.`, `_` and `-`, not starting with `.`, e.g. `api`",
                ),
            );
            ok = false;
        }
        match (&spec.run, spec.external) {
            (None, false) => {
                self.diags.push(
                    self.diag_key(at, format!("service `{name}` has no `run` command")).hint(
                        "add `run: <command>`, or `external: true` for a service started elsewhere",
                    ),
                );
                ok = false;
            }
            (Some(_), true) => {
                self.diags.push(
                    self.diag_key(
                        &field("run"),
                        format!("service `{name}` is external: readyctl does not start it"),
                    )
                    .hint("remove `run`, or remove `external: true`"),
                );
                ok = false;
            }
            _ => {}
        }
        let r = &spec.ready;
        let given: Vec<&str> =
            [("http", r.http.is_some()), ("tcp", r.tcp.is_some()), ("log", r.log.is_some())]
                .into_iter()
                .filter_map(|(k, set)| set.then_some(k))
                .collect();
        let ready = match given.as_slice() {
            [_] => {
                if let Some(url) = &r.http {
                    if !(url.starts_with("http://") || url.starts_with("https://"))
                        || url::Url::parse(url).is_err()
                    {
                        self.diags.push(self.diag_value(
                            &ready_field("http"),
                            format!("`{url}` is not an http:// or https:// URL"),
                        ));
                        ok = false;
                    }
                    Some(Ready::Http { url: url.clone(), status: r.status })
                } else if let Some(addr) = &r.tcp {
                    let port_ok = addr.rsplit_once(':').is_some_and(|(h, p)| {
                        !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p > 0)
                    });
                    if !port_ok {
                        self.diags.push(
                            self.diag_value(
                                &ready_field("tcp"),
                                format!("`{addr}` is not `host:port`"),
                            )
                            .hint("e.g. `127.0.0.1:5432`"),
                        );
                        ok = false;
                    }
                    Some(Ready::Tcp(addr.clone()))
                } else {
                    let re = r.log.clone().unwrap_or_default();
                    if let Err(e) = regex::Regex::new(&re) {
                        self.diags.push(self.diag_value(
                            &ready_field("log"),
                            format!("invalid regex: {}", last_line(&e.to_string())),
                        ));
                        ok = false;
                    }
                    Some(Ready::Log(re))
                }
            }
            [] => {
                self.diags.push(
                    self.diag_key(
                        &field("ready"),
                        format!("service `{name}` has no readiness condition"),
                    )
                    .hint("add exactly one of `http: URL`, `tcp: host:port`, `log: regex`"),
                );
                None
            }
            several => {
                self.diags.push(
                    self.diag_key(
                        &ready_field(several[1]),
                        format!("`ready` has {} conditions: {}", several.len(), several.join(", ")),
                    )
                    .hint("give exactly one of `http`, `tcp`, `log`"),
                );
                None
            }
        };
        if r.status.is_some() && r.http.is_none() {
            self.diags.push(
                self.diag_key(&ready_field("status"), "`status` only applies to `ready.http`"),
            );
            ok = false;
        }
        if let Some(s) = r.status.filter(|s| !(100..=599).contains(s)) {
            self.diags.push(
                self.diag_value(&ready_field("status"), format!("{s} is not an HTTP status code")),
            );
            ok = false;
        }
        if spec.external && r.log.is_some() {
            self.diags.push(
                self.diag_key(
                    &ready_field("log"),
                    "an external service's output is not visible to readyctl",
                )
                .hint("wait for it with `ready.http` or `ready.tcp`"),
            );
            ok = false;
        }
        if spec.external && (spec.cwd.is_some() || !spec.env.is_empty()) {
            let f = if spec.cwd.is_some() { "cwd" } else { "env" };
            self.diags.push(
                self.diag_key(&field(f), format!("`{f}` has no effect on an external service")),
            );
            ok = false;
        }
        let src = &self.sources[at.file];
        let origin = Origin {
            file: src.display.clone(),
            line: src.spans.key(&at.path).map(|p| p.line).unwrap_or(0),
        };
        let ready = ready?;
        ok.then(|| Service {
            name,
            run: spec.run,
            cwd: spec.cwd,
            env: spec.env.into_iter().map(|(k, v)| (k, v.0)).collect(),
            ready,
            ready_timeout: r.timeout.map(|d| d.0).unwrap_or(DEFAULT_READY_TIMEOUT),
            needs: spec.needs,
            external: spec.external,
            origin,
        })
    }

    /// A service's `needs` names other services (not checks); the graph has no cycle.
    fn validate_service_needs(
        &mut self,
        services: &[Service],
        at: &HashMap<String, At>,
        declared: &[String],
    ) {
        let names: Vec<&str> = declared.iter().map(String::as_str).collect();
        for s in services {
            let at = &at[&s.name];
            for (i, need) in s.needs.iter().enumerate() {
                if !names.contains(&need.as_str()) || need == &s.name {
                    let path = join_index(&join_key(&at.path, "needs"), i);
                    let msg = if need == &s.name {
                        format!("service `{}` needs itself", s.name)
                    } else {
                        format!("service `{}` needs unknown service `{need}`", s.name)
                    };
                    let hint = match did_you_mean(need, names.iter().copied().filter(|n| n != &s.name)) {
                        Some(x) => format!("did you mean `{x}`?"),
                        None => "a service's `needs` lists other services; checks list services in theirs".into(),
                    };
                    self.diags.push(self.diag_value(&At { file: at.file, path }, msg).hint(hint));
                }
            }
        }
        if let Some(cycle) = service_cycle(services) {
            let a = &at[&cycle[0]];
            self.diags.push(
                self.diag_key(
                    &At { file: a.file, path: join_key(&a.path, "needs") },
                    format!("service dependency cycle: {}", cycle.join(" → ")),
                )
                .hint("remove one of these `needs` entries"),
            );
        }
    }
}

/// The last line of a multi-line message, trimmed: the regex crate's errors put the pattern and
/// a caret first and the actual message (`error: unclosed group`) last.
fn last_line(s: &str) -> String {
    s.lines().last().unwrap_or_default().trim().to_string()
}

/// The first cycle among services' `needs`, as a closed path of names.
fn service_cycle(services: &[Service]) -> Option<Vec<String>> {
    fn visit<'a>(
        name: &'a str,
        services: &'a [Service],
        stack: &mut Vec<&'a str>,
        done: &mut HashSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(start) = stack.iter().position(|n| *n == name) {
            let mut c: Vec<String> = stack[start..].iter().map(|s| s.to_string()).collect();
            c.push(name.to_string());
            return Some(c);
        }
        if !done.insert(name) {
            return None;
        }
        let s = services.iter().find(|s| s.name == name)?;
        stack.push(name);
        for n in s.needs.iter().filter(|n| *n != name) {
            if let Some(c) = visit(n, services, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        None
    }
    let mut done = HashSet::new();
    services.iter().find_map(|s| visit(&s.name, services, &mut Vec::new(), &mut done))
}

/// The first cycle in the `needs` graph, as a closed path of ids.
pub fn find_cycle(checks: &[Check]) -> Option<Vec<String>> {
    let index: HashMap<&str, usize> =
        checks.iter().enumerate().map(|(i, c)| (c.id.as_str(), i)).collect();
    // 0 = unvisited, 1 = on stack, 2 = done.
    let mut state = vec![0u8; checks.len()];
    let mut stack: Vec<usize> = Vec::new();
    fn visit(
        i: usize,
        checks: &[Check],
        index: &HashMap<&str, usize>,
        state: &mut [u8],
        stack: &mut Vec<usize>,
    ) -> Option<Vec<String>> {
        state[i] = 1;
        stack.push(i);
        for need in &checks[i].needs {
            let Some(&j) = index.get(need.as_str()) else { continue };
            if state[j] == 1 {
                let start = stack.iter().position(|&k| k == j).unwrap_or(0);
                let mut cycle: Vec<String> =
                    stack[start..].iter().map(|&k| checks[k].id.clone()).collect();
                cycle.push(checks[j].id.clone());
                return Some(cycle);
            }
            if state[j] == 0
                && let Some(c) = visit(j, checks, index, state, stack)
            {
                return Some(c);
            }
        }
        stack.pop();
        state[i] = 2;
        None
    }
    for i in 0..checks.len() {
        if state[i] == 0
            && let Some(c) = visit(i, checks, &index, &mut state, &mut stack)
        {
            return Some(c);
        }
    }
    None
}

/// A document nested past [`super::spans::MAX_DEPTH`], at the first node too deep.
fn too_deep(display: &str, text: &str, pos: super::spans::Pos) -> Diagnostic {
    let mut d = Diagnostic::new(
        display,
        format!("YAML nested deeper than {} levels", super::spans::MAX_DEPTH),
    )
    .at(text, pos.line, pos.col)
    .hint("a checklist needs a few levels; this looks generated, or made to be slow to read");
    // The line may be the whole file: show its start, up to a little past the place.
    d.source_line = d.source_line.map(|l| l.chars().take(pos.col + 20).collect());
    d
}

/// Check ids and service names: letters, digits, `.`, `_` and `-`, not starting with `.`.
/// Each names a directory (`evidence/<id>/`, `evidence/services/<name>/`): `.`, `..` or a
/// hidden name would write outside it or hide it.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('.')
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Fields of a check that run through `sh -c` when they are strings (see
/// [`Resolver::expand_shell`]).
const CHECK_SHELL_FIELDS: &[&str] = &[
    "command.run",
    "tests.run",
    "migrations.alembic.upgrade",
    "migrations.alembic.downgrade",
    "migrations.commands.upgrade",
    "migrations.commands.downgrade",
];

/// What interpolating one item needs.
struct Interp<'r, 'a> {
    resolver: &'r mut Resolver<'a>,
    errors: &'r mut Vec<(String, InterpError)>,
    /// Paths of the strings that are shell scripts.
    shell_paths: &'r [String],
}

fn interpolate_value(value: &mut Value, path: &str, cx: &mut Interp<'_, '_>) {
    match value {
        Value::String(s) => {
            let expanded = if cx.shell_paths.iter().any(|p| p == path) {
                cx.resolver.expand_shell(s)
            } else {
                cx.resolver.expand(s)
            };
            match expanded {
                Ok(v) => *s = v,
                Err(e) => cx.errors.push((path.to_owned(), e)),
            }
        }
        Value::Sequence(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                interpolate_value(item, &join_index(path, i), cx);
            }
        }
        Value::Mapping(map) => {
            for (k, v) in map.iter_mut() {
                let key = k.as_str().unwrap_or("?");
                interpolate_value(v, &join_key(path, key), cx);
            }
        }
        Value::Tagged(t) => interpolate_value(&mut t.value, path, cx),
        _ => {}
    }
}

/// How many shape problems one check, service or waiver reports before the rest are left for
/// the next run (each costs one more deserialization).
const MAX_PROBLEMS_PER_ITEM: usize = 16;

/// Takes the key that caused a serde error out of `value`, so deserializing again finds the
/// next problem. An unknown key is removed; a bad value is removed with its key (the nearest
/// mapping key on the error's path). Returns the key removed; `None` when nothing can be (a
/// missing field, an error at the top).
fn take_out_offending(
    value: &mut Value,
    segments: &[serde_path_to_error::Segment],
    message: &str,
) -> Option<String> {
    use serde_path_to_error::Segment;
    fn step<'v>(v: &'v mut Value, seg: &Segment) -> Option<&'v mut Value> {
        // An enum variant is a key only when written as a one-key mapping.
        let enters = |v: &Value| match (seg, v) {
            (Segment::Enum { variant }, Value::Mapping(m)) => m.contains_key(variant.as_str()),
            (Segment::Enum { .. }, Value::Tagged(_)) => true,
            (Segment::Enum { .. } | Segment::Unknown, _) => false,
            _ => true,
        };
        if !enters(v) {
            return Some(v);
        }
        match (seg, v) {
            (Segment::Seq { index }, Value::Sequence(items)) => items.get_mut(*index),
            (Segment::Map { key: name } | Segment::Enum { variant: name }, Value::Mapping(m)) => {
                m.get_mut(name.as_str())
            }
            (Segment::Enum { .. }, Value::Tagged(t)) => Some(&mut t.value),
            _ => None,
        }
    }
    fn walk<'v>(mut v: &'v mut Value, segments: &[Segment]) -> Option<&'v mut Value> {
        for seg in segments {
            v = step(v, seg)?;
        }
        Some(v)
    }
    if message.starts_with("missing field") {
        return None;
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let bad = rest.split('`').next()?.to_string();
        // The path may or may not end with the unknown key itself.
        let parent = match segments.last() {
            Some(Segment::Map { key }) if *key == bad => &segments[..segments.len() - 1],
            _ => segments,
        };
        walk(value, parent)?.as_mapping_mut()?.remove(bad.as_str())?;
        return Some(bad);
    }
    let last_key = segments.iter().rposition(|s| matches!(s, Segment::Map { .. }))?;
    let Segment::Map { key } = &segments[last_key] else { return None };
    walk(value, &segments[..last_key])?.as_mapping_mut()?.remove(key.as_str())?;
    Some(key.clone())
}

fn describe_key(key: &DocKey) -> String {
    match key {
        DocKey::Path(p) => p.display().to_string(),
        DocKey::Builtin(n) => format!("builtin:{n}"),
    }
}

/// serde_yaml appends " at line L column C"; we show the position ourselves.
fn strip_location(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// serde names Rust types; users wrote YAML.
fn plain_types(msg: &str) -> String {
    let mut out = msg.to_string();
    for (rust, plain) in [
        ("expected u32", "expected a whole number"),
        ("expected u64", "expected a whole number"),
        ("expected usize", "expected a whole number"),
        ("expected i32", "expected a whole number"),
        ("expected i64", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected a sequence", "expected a list"),
        ("expected a map", "expected a mapping"),
        ("expected a borrowed string", "expected a string"),
        ("expected a boolean", "expected `true` or `false`"),
        ("expected bool", "expected `true` or `false`"),
        ("expected option", "expected a value"),
    ] {
        out = out.replace(rust, plain);
    }
    rust_type_names(&out)
}

/// serde's derived impls name the Rust type they expected ("expected struct SqlExpect",
/// "expected enum Method"); say what the YAML should have been instead.
fn rust_type_names(msg: &str) -> String {
    static RUST_TYPE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"(?:data did not match any variant of untagged enum \w+)|expected (?:(?:internally|adjacently) tagged )?(?:unit struct|tuple struct|newtype struct|struct|enum|variant identifier|field identifier) ?\w*",
        )
        .expect("a valid regex")
    });
    RUST_TYPE
        .replace_all(msg, |c: &regex::Captures<'_>| {
            let m = &c[0];
            if m.starts_with("data did not") {
                "did not match any accepted form".to_string()
            } else if m.contains("variant identifier") || m.contains(" enum") {
                "expected one of the names listed for this field".to_string()
            } else if m.contains("field identifier") {
                "expected a key name".to_string()
            } else if m.contains("tuple struct") {
                "expected a list".to_string()
            } else if m.contains("unit struct") {
                "expected nothing (null)".to_string()
            } else {
                "expected a mapping".to_string()
            }
        })
        .into_owned()
}

fn backticked(msg: &str) -> Vec<String> {
    msg.split('`').skip(1).step_by(2).map(str::to_owned).collect()
}

fn short_unknown(message: &str, bad: &str) -> String {
    if message.starts_with("unknown variant") {
        format!("unknown value `{bad}`")
    } else {
        format!("unknown key `{bad}`")
    }
}

pub fn hex_sha256(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_line_is_the_regex_message_not_its_art() {
        assert_eq!(
            last_line("regex parse error:\n    (\n    ^\nerror: unclosed group"),
            "error: unclosed group"
        );
        let pattern = String::from("(");
        let err = regex::Regex::new(&pattern).unwrap_err().to_string();
        assert_eq!(last_line(&err), "error: unclosed group");
        assert_eq!(last_line("  one line  "), "one line");
        assert_eq!(last_line(""), "");
    }

    /// Every field that runs through `sh -c` gets its values as text; other strings as before.
    #[test]
    fn shell_fields_get_values_as_text_and_others_verbatim() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("readiness.yaml");
        std::fs::write(
            &path,
            "version: 1\nservices:\n  api:\n    run: \"serve ${v}\"\n    ready: { log: \"${v}\" }\n\
             checks:\n  - id: a\n    command: { run: \"echo ${v}\", env: { X: \"${v}\" } }\n\
             \x20 - id: b\n    tests: { run: \"pytest ${v}\", results: \"r.xml\" }\n\
             \x20 - id: c\n    migrations: { commands: { upgrade: \"up ${v}\", downgrade: \"down ${v}\" } }\n\
             \x20 - id: d\n    migrations: { alembic: { upgrade: \"up ${v}\", downgrade: \"down ${v}\" } }\n",
        )
        .unwrap();
        let env = |_: &str| None;
        let opts = Options {
            env: &env,
            var_overrides: [("v".to_string(), "x; touch y".to_string())].into(),
            display_base: dir.path().into(),
        };
        let c = load(&Source::File(path), &opts).unwrap_or_else(|d| panic!("{d:?}"));
        let json = serde_json::to_value(&c).unwrap().to_string();
        // Six shell fields in checks, one in the service; each begins with the assignment.
        assert_eq!(json.matches("READYCTL_VAR_1='x; touch y'").count(), 7, "{json}");
        assert!(!json.contains("echo x; touch y"), "{json}");
        // Not a script: the value as it is.
        assert!(json.contains("\"X\":\"x; touch y\""), "{json}");
    }
}
