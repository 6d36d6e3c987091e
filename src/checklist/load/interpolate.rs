//! Interpolating `${…}` in a raw item before it is typed: strings expanded in place, the
//! strings run as `sh -c` scripts ([`check_shell_fields`], a service's `run`) through
//! [`Resolver::expand_shell`] so a value is passed as text, never as code.

use serde_yaml::Value;

use super::super::interp::{InterpError, Resolver};
use super::super::spans::{join_index, join_key};
use super::{At, Loader};

impl Loader<'_> {
    /// Interpolates variables in `value` (values in `shell_fields` as text), reporting each
    /// problem as a located diagnostic; whether there was none.
    pub(super) fn interpolate(
        &mut self,
        at: &At,
        value: &mut Value,
        resolver: &mut Resolver<'_>,
        shell_fields: &[impl AsRef<str>],
    ) -> bool {
        let mut interp_errors = Vec::new();
        let shell_paths: Vec<String> =
            shell_fields.iter().map(|f| join_key(&at.path, f.as_ref())).collect();
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
}

/// Fields of a check that run through `sh -c` when they are strings (see
/// [`Resolver::expand_shell`]): declared by each probe kind (`ProbeKind::SHELL_FIELDS`), so a
/// new kind states its own and this list cannot fall behind.
pub(super) fn check_shell_fields() -> Vec<String> {
    crate::probe::shell_fields()
}

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

#[cfg(test)]
mod tests {
    use super::super::{Options, Source, load};

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
