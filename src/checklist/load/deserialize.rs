//! Typing a raw item with serde, every problem reported: each item is deserialized on its own
//! with `serde_path_to_error`; an error's path is looked up in the document's spans to place it;
//! the offending key is taken out and the item deserialized again, so one check reports all of
//! its shape problems, not the first; serde's wording (Rust type names) is said in YAML terms.

use std::collections::HashSet;

use serde_yaml::Value;

use super::super::interp::Resolver;
use super::super::model::*;
use super::super::spans::{join_index, join_key};
use super::interpolate::check_shell_fields;
use super::{At, DEFAULT_TIMEOUT, Loader};
use crate::diag::{Diagnostic, did_you_mean};

impl Loader<'_> {
    /// Turns a serde error at `base` in `file` into a located diagnostic with a did-you-mean.
    pub(super) fn serde_diag(
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
    pub(super) fn typed<T: serde::de::DeserializeOwned>(
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
    /// Deserializes `value`, reporting every problem rather than the first: serde stops at the
    /// first error, so after each one the offending key is taken out of the value and it is
    /// deserialized again (at most [`MAX_PROBLEMS_PER_ITEM`] times). Returns the value typed
    /// from what was left (for further validation) and whether nothing had to be taken out.
    /// A "missing field" caused by taking a key out is not reported twice.
    pub(super) fn deserialize_all<T: serde::de::DeserializeOwned>(
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
    pub(super) fn typed_check(
        &mut self,
        at: &At,
        mut value: Value,
        resolver: &mut Resolver<'_>,
    ) -> Option<CheckSpec> {
        let interpolated = self.interpolate(at, &mut value, resolver, &check_shell_fields());
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

/// serde_yaml appends " at line L column C"; we show the position ourselves.
pub(super) fn strip_location(msg: &str) -> String {
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
