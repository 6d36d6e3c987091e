//! `${var}`, `${env:NAME}` and `${env:NAME:-default}` interpolation. `$${` writes a literal `${`.
//!
//! In text that becomes a `sh -c` script ([`Resolver::expand_shell`]) a value is never shell
//! code: one made only of characters that are literal everywhere in a script is written as
//! is; any other is assigned, single-quoted, to a shell variable `READYCTL_VAR_<n>` on a line
//! before the script, and the reference becomes an expansion of that variable quoted for where
//! it stands (`"${READYCTL_VAR_1}"` outside quotes, `${READYCTL_VAR_1}` inside double quotes,
//! `'"${READYCTL_VAR_1}"'` inside single quotes). The shell expands a variable's value without
//! parsing it again, so `;`, `$(…)`, backticks, quotes and newlines in a value stay text. Were
//! the quoting context misread (a heredoc, a `case` pattern), the value would still only be
//! expanded, never run.

use std::collections::{BTreeMap, HashMap};

use crate::shell::{VALUES_END, literal_in_shell};
/// Re-exported: the shell helpers live in the leaf [`crate::shell`].
pub use crate::shell::{script_body, shell_quote};

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

/// The prefix of the shell variables that carry unsafe values (see the module docs).
pub const SHELL_VAR_PREFIX: &str = "READYCTL_VAR_";

impl Resolver<'_> {
    /// Interpolates `script`, a `sh -c` script, so that no value can run as code (see the
    /// module docs).
    pub fn expand_shell(&mut self, script: &str) -> Result<String, InterpError> {
        if !script.contains("${") {
            return Ok(script.to_owned());
        }
        let mut lexer = ShellContext::default();
        let mut body = String::with_capacity(script.len());
        // Unsafe values, each once, in order of first use.
        let mut values: Vec<String> = Vec::new();
        let mut rest = script;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix("$${") {
                body.push_str("${");
                lexer.feed('$', None);
                lexer.feed('{', None);
                rest = after;
            } else if let Some(after) = rest.strip_prefix("${") {
                let end = after.find('}').ok_or(InterpError::Unterminated)?;
                let value = self.reference(&after[..end], &mut Vec::new())?;
                if value.chars().all(literal_in_shell) {
                    body.push_str(&value);
                } else {
                    let n = match values.iter().position(|v| *v == value) {
                        Some(i) => i + 1,
                        None => {
                            values.push(value);
                            values.len()
                        }
                    };
                    let var = format!("${{{SHELL_VAR_PREFIX}{n}}}");
                    body.push_str(&match lexer.quoting() {
                        Quoting::Unquoted => format!("\"{var}\""),
                        Quoting::Double => var,
                        Quoting::Single => format!("'\"{var}\"'"),
                    });
                }
                rest = &after[end + 1..];
            } else {
                let mut chars = rest.chars();
                let c = chars.next().expect("not empty");
                let next = chars.clone().next();
                body.push(c);
                lexer.feed(c, next);
                rest = chars.as_str();
            }
        }
        if values.is_empty() {
            return Ok(body);
        }
        let mut out = String::new();
        for (i, v) in values.iter().enumerate() {
            out.push_str(&format!("{SHELL_VAR_PREFIX}{}={}\n", i + 1, shell_quote(v)));
        }
        out.push_str(&VALUES_END[1..]);
        out.push_str(&body);
        Ok(out)
    }
}

/// How a value would be read where it stands in a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quoting {
    Unquoted,
    Single,
    Double,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// `$( … )`, with the depth of plain parentheses inside it.
    Subst(u32),
    Backtick,
    Single,
    Double,
    Comment,
}

/// A small reading of POSIX shell quoting: enough to tell, at each position, whether text is
/// inside single quotes, double quotes, or neither (command substitutions nest).
#[derive(Debug, Default)]
struct ShellContext {
    frames: Vec<Frame>,
    /// The previous character was a backslash outside single quotes.
    escaped: bool,
    /// The previous character ends a word (so `#` starts a comment).
    word_start: bool,
    started: bool,
    /// The `(` of a `$(` just seen: it opens the substitution, not a nested group.
    skip_paren: bool,
}

impl ShellContext {
    fn quoting(&self) -> Quoting {
        match self.frames.last() {
            Some(Frame::Single) => Quoting::Single,
            Some(Frame::Double) | Some(Frame::Comment) => Quoting::Double,
            _ => Quoting::Unquoted,
        }
    }

    fn feed(&mut self, c: char, next: Option<char>) {
        let at_word_start = !self.started || self.word_start;
        self.started = true;
        self.word_start = c.is_whitespace() || matches!(c, ';' | '&' | '|' | '(' | ')');
        if self.escaped {
            self.escaped = false;
            return;
        }
        match self.frames.last().copied() {
            Some(Frame::Single) => {
                if c == '\'' {
                    self.frames.pop();
                }
            }
            Some(Frame::Comment) => {
                if c == '\n' {
                    self.frames.pop();
                }
            }
            Some(Frame::Double) => match c {
                '\\' => self.escaped = true,
                '"' => {
                    self.frames.pop();
                }
                '$' if next == Some('(') => {
                    self.frames.push(Frame::Subst(0));
                    self.skip_paren = true;
                }
                '`' => self.frames.push(Frame::Backtick),
                _ => {}
            },
            top => match c {
                '\\' => self.escaped = true,
                '\'' => self.frames.push(Frame::Single),
                '"' => self.frames.push(Frame::Double),
                '#' if at_word_start => self.frames.push(Frame::Comment),
                '`' if top == Some(Frame::Backtick) => {
                    self.frames.pop();
                }
                '`' => self.frames.push(Frame::Backtick),
                '$' if next == Some('(') => {
                    self.frames.push(Frame::Subst(0));
                    self.skip_paren = true;
                }
                '(' if self.skip_paren => self.skip_paren = false,
                '(' => {
                    if let Some(Frame::Subst(d)) = self.frames.last_mut() {
                        *d += 1;
                    }
                }
                ')' => match self.frames.last_mut() {
                    Some(Frame::Subst(0)) => {
                        self.frames.pop();
                    }
                    Some(Frame::Subst(d)) => *d -= 1,
                    _ => {}
                },
                _ => {}
            },
        }
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

    /// Runs `script` with `sh -c` and returns its stdout.
    fn sh(script: &str, dir: &std::path::Path) -> String {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(script)
            .current_dir(dir)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    }

    #[test]
    fn hostile_values_in_shell_scripts_stay_text() {
        let dir = tempfile::tempdir().unwrap();
        let hostile = [
            "x; touch pwned #",
            "$(touch pwned)",
            "`touch pwned`",
            "a'b\"c; touch pwned",
            "line1\ntouch pwned\n",
            "'\"$(touch pwned)\"'",
            "  two  spaces * ",
            "\\; touch pwned",
        ];
        for value in hostile {
            let vars: BTreeMap<String, String> = [("v".to_string(), value.to_string())].into();
            let mut r = Resolver::new(&vars, &env);
            for (script, expect) in [
                ("printf %s ${v}", value.to_string()),
                ("printf %s \"${v}\"", value.to_string()),
                ("printf %s '${v}'", value.to_string()),
                ("printf %s \"<${v}>\"'[${v}]'", format!("<{value}>[{value}]")),
                ("printf %s \"$(printf %s ${v})\"", value.to_string()),
                ("printf %s \"`printf %s ${v}`\"", value.to_string()),
                ("printf %s \"$(printf %s \"${v}\")\"", value.to_string()),
                ("# it's a comment\nprintf %s ${v}", value.to_string()),
            ] {
                let expanded = r.expand_shell(script).unwrap();
                let printed = sh(&expanded, dir.path());
                assert!(!dir.path().join("pwned").exists(), "{value:?} ran in {expanded:?}");
                // `$(…)` drops trailing newlines, as it does for any output.
                let expect = if script.contains("$(") || script.contains('`') {
                    expect.trim_end_matches('\n').to_string()
                } else {
                    expect
                };
                assert_eq!(printed, expect, "{script:?} with {value:?} became {expanded:?}");
            }
        }
    }

    #[test]
    fn plain_values_are_written_as_they_are() {
        let vars: BTreeMap<String, String> =
            [("py".to_string(), "/usr/bin/python3".to_string())].into();
        let mut r = Resolver::new(&vars, &env);
        assert_eq!(
            r.expand_shell("${py} -m pytest --port=${env:PORT} '$${HOME}'").unwrap(),
            "/usr/bin/python3 -m pytest --port=9000 '${HOME}'"
        );
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        let vars: BTreeMap<String, String> = [("v".to_string(), "a b".to_string())].into();
        let mut r = Resolver::new(&vars, &env);
        let script = r.expand_shell("echo ${v}").unwrap();
        assert_eq!(
            script,
            "READYCTL_VAR_1='a b'\n# readyctl: end of interpolated values\necho \"${READYCTL_VAR_1}\""
        );
        assert_eq!(script_body(&script), "echo \"${READYCTL_VAR_1}\"");
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
