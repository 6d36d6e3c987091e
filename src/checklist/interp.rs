//! `${var}`, `${env:NAME}` and `${env:NAME:-default}` interpolation. `$${` writes a literal `${`.

use std::collections::{BTreeMap, HashMap};

/// Why interpolation failed; rendered into a located diagnostic by the loader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterpError {
    UnknownVar { name: String, suggestion: Option<String> },
    UnsetEnv(String),
    Unterminated,
    Cycle(Vec<String>),
    BadName(String),
}

impl std::fmt::Display for InterpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InterpError::UnknownVar { name, .. } => write!(f, "unknown variable `{name}`"),
            InterpError::UnsetEnv(name) => {
                write!(f, "environment variable `{name}` is not set and has no default")
            }
            InterpError::Unterminated => write!(f, "unterminated `${{` (missing `}}`)"),
            InterpError::Cycle(path) => {
                write!(f, "variables refer to each other: {}", path.join(" → "))
            }
            InterpError::BadName(name) => write!(f, "invalid variable reference `${{{name}}}`"),
        }
    }
}

impl InterpError {
    pub fn hint(&self) -> Option<String> {
        match self {
            InterpError::UnknownVar { suggestion: Some(s), .. } => {
                Some(format!("did you mean `{s}`?"))
            }
            InterpError::UnknownVar { name, .. } => {
                Some(format!("define it under `vars:`, or pass `--var {name}=VALUE`"))
            }
            InterpError::UnsetEnv(name) => {
                Some(format!("export {name}, or give a default: `${{env:{name}:-value}}`"))
            }
            InterpError::Unterminated => Some("write `$${` for a literal `${`".into()),
            _ => None,
        }
    }
}

/// Resolves references against the checklist's variables and the environment.
pub struct Resolver<'a> {
    vars: &'a BTreeMap<String, String>,
    env: &'a dyn Fn(&str) -> Option<String>,
    done: HashMap<String, String>,
}

impl<'a> Resolver<'a> {
    pub fn new(
        vars: &'a BTreeMap<String, String>,
        env: &'a dyn Fn(&str) -> Option<String>,
    ) -> Self {
        Resolver { vars, env, done: HashMap::new() }
    }

    /// Interpolates `text`.
    pub fn expand(&mut self, text: &str) -> Result<String, InterpError> {
        self.expand_in(text, &mut Vec::new())
    }

    /// The resolved value of variable `name`.
    pub fn var(&mut self, name: &str) -> Result<String, InterpError> {
        self.var_in(name, &mut Vec::new())
    }

    fn var_in(&mut self, name: &str, stack: &mut Vec<String>) -> Result<String, InterpError> {
        if let Some(v) = self.done.get(name) {
            return Ok(v.clone());
        }
        let Some(raw) = self.vars.get(name) else {
            let suggestion = crate::diag::did_you_mean(name, self.vars.keys().map(String::as_str))
                .map(str::to_owned);
            return Err(InterpError::UnknownVar { name: name.to_owned(), suggestion });
        };
        if stack.iter().any(|s| s == name) {
            let mut cycle = stack.clone();
            cycle.push(name.to_owned());
            return Err(InterpError::Cycle(cycle));
        }
        stack.push(name.to_owned());
        let value = self.expand_in(raw, stack);
        stack.pop();
        let value = value?;
        self.done.insert(name.to_owned(), value.clone());
        Ok(value)
    }

    fn expand_in(&mut self, text: &str, stack: &mut Vec<String>) -> Result<String, InterpError> {
        if !text.contains('$') {
            return Ok(text.to_owned());
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(i) = rest.find('$') {
            out.push_str(&rest[..i]);
            let tail = &rest[i..];
            if let Some(after) = tail.strip_prefix("$${") {
                out.push_str("${");
                rest = after;
            } else if let Some(after) = tail.strip_prefix("${") {
                let end = after.find('}').ok_or(InterpError::Unterminated)?;
                let reference = &after[..end];
                out.push_str(&self.reference(reference, stack)?);
                rest = &after[end + 1..];
            } else {
                out.push('$');
                rest = &tail[1..];
            }
        }
        out.push_str(rest);
        Ok(out)
    }

    fn reference(
        &mut self,
        reference: &str,
        stack: &mut Vec<String>,
    ) -> Result<String, InterpError> {
        if let Some(env_ref) = reference.strip_prefix("env:") {
            let (name, default) = match env_ref.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (env_ref, None),
            };
            if !valid_name(name) {
                return Err(InterpError::BadName(reference.to_owned()));
            }
            return match ((self.env)(name), default) {
                (Some(v), _) if !v.is_empty() => Ok(v),
                (_, Some(d)) => Ok(d.to_owned()),
                (Some(v), None) => Ok(v),
                (None, None) => Err(InterpError::UnsetEnv(name.to_owned())),
            };
        }
        if !valid_name(reference) {
            return Err(InterpError::BadName(reference.to_owned()));
        }
        self.var_in(reference, stack)
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "PORT" => Some("9000".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn expands_vars_env_and_defaults() {
        let vars: BTreeMap<String, String> = [
            ("host".to_string(), "127.0.0.1".to_string()),
            ("base".to_string(), "http://${host}:${env:PORT:-8000}".to_string()),
        ]
        .into();
        let mut r = Resolver::new(&vars, &env);
        assert_eq!(r.expand("${base}/health").unwrap(), "http://127.0.0.1:9000/health");
        assert_eq!(r.expand("${env:NOPE:-x}").unwrap(), "x");
        assert_eq!(r.expand("${env:EMPTY:-d}").unwrap(), "d");
        assert_eq!(r.expand("cost $5, literal $${x}").unwrap(), "cost $5, literal ${x}");
    }

    #[test]
    fn reports_unknown_unset_cycles() {
        let vars: BTreeMap<String, String> =
            [("a".to_string(), "${b}".to_string()), ("b".to_string(), "${a}".to_string())].into();
        let mut r = Resolver::new(&vars, &env);
        assert!(matches!(r.expand("${a}"), Err(InterpError::Cycle(_))));
        assert!(matches!(r.expand("${env:NOPE}"), Err(InterpError::UnsetEnv(n)) if n == "NOPE"));
        match r.expand("${aa}") {
            Err(InterpError::UnknownVar { suggestion, .. }) => {
                assert_eq!(suggestion.as_deref(), Some("a"))
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(r.expand("${oops"), Err(InterpError::Unterminated));
    }
}
