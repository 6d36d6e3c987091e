//! Reading a checklist's documents: files (bounded, regular, UTF-8) and built-ins, followed
//! through `extends` / `include` depth-first (a document repeated on the way is an include
//! cycle), each document's settings merged over what it extends, its checks and services merged
//! by id / name (a later definition replaces an inherited one, in its place).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_yaml::Value;

use super::super::builtin;
use super::super::model::*;
use super::super::spans::{SpanMap, join_index, join_key};
use super::cycle;
use super::deserialize::strip_location;
use super::{At, Loader, MAX_CHECKLIST_BYTES, RawCheck, RawService, SourceText};
use crate::diag::{Diagnostic, did_you_mean};
use crate::text::sha256_hex;

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

pub(super) fn yaml_files_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
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
pub(super) enum DocKey {
    Path(PathBuf),
    Builtin(String),
}

impl Loader<'_> {
    pub(super) fn read(&mut self, key: &DocKey) -> Result<(String, String), String> {
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
    pub(super) fn doc(&mut self, key: DocKey, from: Option<At>) {
        // An include cycle is shown the way it was reached, from the first document.
        if cycle::closes_at(&self.stack, &key).is_some() {
            let chain: Vec<String> =
                cycle::closed_path(&self.stack, 0, &key).iter().map(describe_key).collect();
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
            .push(SourceFile { path: display.clone(), sha256: sha256_hex(text.as_bytes()) });
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
                self.diags.push(invalid_yaml(&display, &self.sources[file].text, &e));
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
                    self.digests.push(SourceFile { path: display, sha256: sha256_hex(&text) });
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
}

/// A document nested past [`super::super::spans::MAX_DEPTH`], at the first node too deep.
pub(super) fn too_deep(display: &str, text: &str, pos: super::super::spans::Pos) -> Diagnostic {
    let mut d = Diagnostic::new(
        display,
        format!("YAML nested deeper than {} levels", super::super::spans::MAX_DEPTH),
    )
    .at(text, pos.line, pos.col)
    .hint("a checklist needs a few levels; this looks generated, or made to be slow to read");
    // The line may be the whole file: show its start, up to a little past the place.
    d.source_line = d.source_line.map(|l| l.chars().take(pos.col + 20).collect());
    d
}

fn describe_key(key: &DocKey) -> String {
    match key {
        DocKey::Path(p) => p.display().to_string(),
        DocKey::Builtin(n) => format!("builtin:{n}"),
    }
}

/// `invalid YAML: …` at the place serde_yaml names in `text` (the file shown as `display`).
pub(super) fn invalid_yaml(display: &str, text: &str, e: &serde_yaml::Error) -> Diagnostic {
    let d = Diagnostic::new(display, format!("invalid YAML: {}", strip_location(&e.to_string())));
    match e.location() {
        Some(loc) => d.at(text, loc.line(), loc.column()),
        None => d,
    }
}
