//! One expectation vocabulary for every probe that compares a value: `sql` `expect.value`,
//! `http` `expect.json` / `expect.headers`, `file` `json`. A bare value means "equals"; a
//! mapping of operators (`equals`, `min`, `max`, `regex`, `contains`, `not_contains`, `one_of`,
//! `type`, `exists`) means "all of these hold". Older spellings stay accepted as aliases
//! (`eq` → `equals`, `in` → `one_of`, `matches` → `regex`).
//!
//! The `Deserialize` is written by hand (no `untagged`): a mapping whose keys are all operators
//! is an operator mapping, a mapping with no operator key is a value to compare against, and a
//! mapping mixing both is an error naming the stray keys and the operators.

use regex::Regex;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::ProbeIssue;

/// JSON value types, for `type:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JsonType {
    Null,
    Boolean,
    Number,
    Integer,
    String,
    Array,
    Object,
}

impl JsonType {
    fn name(self) -> &'static str {
        match self {
            JsonType::Null => "null",
            JsonType::Boolean => "boolean",
            JsonType::Number => "number",
            JsonType::Integer => "integer",
            JsonType::String => "string",
            JsonType::Array => "array",
            JsonType::Object => "object",
        }
    }
}

/// What a value must be: all operators given must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Matcher {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equals: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exists: Option<bool>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub json_type: Option<JsonType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contains: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_contains: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub one_of: Option<Vec<Value>>,
    /// `regex` compiled: by [`Matcher::validate`] at load, then reused by every check.
    #[serde(skip)]
    regex_cache: RegexCache,
}

/// A compiled `regex`, kept with the pattern it was compiled from (a pattern changed since is
/// compiled afresh). Not part of what a matcher is: it never serializes, always compares equal.
#[derive(Clone, Default)]
struct RegexCache(std::sync::OnceLock<(String, Result<Regex, regex::Error>)>);

impl RegexCache {
    /// Calls `f` with `pattern` compiled, compiling it only the first time.
    fn with<R>(&self, pattern: &str, f: impl FnOnce(&Result<Regex, regex::Error>) -> R) -> R {
        let (source, compiled) = self.0.get_or_init(|| (pattern.to_string(), Regex::new(pattern)));
        if source == pattern { f(compiled) } else { f(&Regex::new(pattern)) }
    }
}

impl PartialEq for RegexCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for RegexCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() { "compiled" } else { "not compiled" })
    }
}

/// The operator names, as written in checklists.
pub const OPERATORS: &[&str] =
    &["equals", "min", "max", "regex", "contains", "not_contains", "one_of", "type", "exists"];

/// Older or other tools' spellings → the operator they mean.
const ALIASES: &[(&str, &str)] = &[
    ("eq", "equals"),
    ("equal", "equals"),
    ("is", "equals"),
    ("in", "one_of"),
    ("matches", "regex"),
    ("gte", "min"),
    ("lte", "max"),
];

fn canonical(key: &str) -> Option<&'static str> {
    OPERATORS
        .iter()
        .copied()
        .find(|o| *o == key)
        .or_else(|| ALIASES.iter().find(|(a, _)| *a == key).map(|(_, o)| *o))
}

fn expecting() -> String {
    format!(
        "expected a value or a map of {}",
        OPERATORS.iter().map(|o| format!("`{o}`")).collect::<Vec<_>>().join(", ")
    )
}

/// Describes a value for a message: its kind and, when short, itself.
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) => format!("number `{n}`"),
        Value::String(s) => format!("string `{s}`"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a map".into(),
    }
}

fn number(key: &str, v: Value) -> Result<f64, String> {
    v.as_f64().ok_or_else(|| format!("`{key}` takes a number, not {}", describe(&v)))
}

fn text(key: &str, v: Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(format!("`{key}` takes a string, not {}", describe(&other))),
    }
}

impl Matcher {
    /// A matcher for `value == want`.
    pub fn equals(want: Value) -> Matcher {
        Matcher { equals: Some(want), ..Matcher::default() }
    }

    /// Reads a checklist value (see the module doc for the rules).
    pub fn from_value(value: Value) -> Result<Matcher, String> {
        let Value::Object(map) = value else {
            return Ok(Matcher::equals(value));
        };
        let known = map.keys().filter(|k| canonical(k).is_some()).count();
        if known == 0 {
            return Ok(Matcher::equals(Value::Object(map)));
        }
        if known < map.len() {
            let stray: Vec<String> =
                map.keys().filter(|k| canonical(k).is_none()).map(|k| format!("`{k}`")).collect();
            return Err(format!(
                "unknown operator {}: {} (to compare against a map, write `equals: {{...}}`)",
                stray.join(", "),
                expecting()
            ));
        }
        let mut m = Matcher::default();
        for (key, v) in map {
            let op = canonical(&key).unwrap_or_default();
            let twice = || format!("`{key}` repeats operator `{op}`");
            macro_rules! set {
                ($field:expr, $value:expr) => {{
                    if $field.is_some() {
                        return Err(twice());
                    }
                    $field = Some($value);
                }};
            }
            match op {
                "equals" => set!(m.equals, v),
                "min" => set!(m.min, number(&key, v)?),
                "max" => set!(m.max, number(&key, v)?),
                "regex" => set!(m.regex, text(&key, v)?),
                "contains" => set!(m.contains, v),
                "not_contains" => set!(m.not_contains, v),
                "one_of" => match v {
                    Value::Array(items) => set!(m.one_of, items),
                    other => {
                        return Err(format!("`{key}` takes a list, not {}", describe(&other)));
                    }
                },
                "exists" => match v {
                    Value::Bool(b) => set!(m.exists, b),
                    other => {
                        return Err(format!(
                            "`{key}` takes `true` or `false`, not {}",
                            describe(&other)
                        ));
                    }
                },
                _ => {
                    let t: JsonType = serde_json::from_value(v.clone()).map_err(|_| {
                        format!(
                            "`{key}` takes one of null, boolean, number, integer, string, array, \
                             object; not {}",
                            describe(&v)
                        )
                    })?;
                    set!(m.json_type, t)
                }
            }
        }
        Ok(m)
    }

    /// Load-time problems, with `field` the path of this matcher in the probe.
    pub fn validate(&self, field: &str) -> Vec<ProbeIssue> {
        let mut issues = Vec::new();
        if let Some(p) = &self.regex
            && let Some(message) =
                self.regex_cache.with(p, |r| r.as_ref().err().map(|e| super::regex_error(p, e)))
        {
            issues.push(ProbeIssue::new(format!("{field}.regex"), message));
        }
        if let (Some(min), Some(max)) = (self.min, self.max)
            && min > max
        {
            issues.push(ProbeIssue::new(field, format!("`min` {min} is above `max` {max}")));
        }
        issues
    }

    /// Whether `actual` satisfies every operator; `Err` is why not, as a phrase that follows
    /// the subject ("is 3, expected 2").
    pub fn check(&self, actual: &Value) -> Result<(), String> {
        self.check_present(Some(actual))
    }

    /// As [`Matcher::check`], for a value that may be absent (a JSON Pointer that selects
    /// nothing): only `exists: false` accepts absence.
    pub fn check_present(&self, actual: Option<&Value>) -> Result<(), String> {
        let failures = self.failures(actual);
        if failures.is_empty() { Ok(()) } else { Err(failures.join("; ")) }
    }

    /// Every operator that does not hold, each as a phrase following the subject.
    pub fn failures(&self, actual: Option<&Value>) -> Vec<String> {
        let v = match (actual, self.exists) {
            (Some(v), Some(false)) => return vec![format!("exists ({}) but should not", short(v))],
            (None, Some(false)) => return Vec::new(),
            (None, _) => return vec!["is missing".into()],
            (Some(v), _) => v,
        };
        let mut out = Vec::new();
        if let Some(want) = &self.equals
            && !values_equal(v, want)
        {
            out.push(format!("is {} (expected {})", short(v), short(want)));
        }
        if let Some(t) = self.json_type {
            let actual = type_of(v);
            let ok = match t {
                JsonType::Number => matches!(v, Value::Number(_)),
                JsonType::Integer => v.as_f64().is_some_and(|f| f.fract() == 0.0),
                _ => t.name() == actual,
            };
            if !ok {
                out.push(format!("is of type {actual} (expected {})", t.name()));
            }
        }
        if let Some(p) = &self.regex {
            self.regex_cache.with(p, |r| match r {
                Err(_) => out.push(format!("cannot be matched: /{p}/ is not a valid regex")),
                Ok(r) if !r.is_match(&as_text(v)) => {
                    out.push(format!("is {} (does not match /{p}/)", short(v)))
                }
                Ok(_) => {}
            });
        }
        if self.min.is_some() || self.max.is_some() {
            match as_number(v) {
                None => out.push(format!("is {} (expected a number)", short(v))),
                Some(n) => {
                    if let Some(min) = self.min
                        && n < min
                    {
                        out.push(format!("is {n} (min {min})"));
                    }
                    if let Some(max) = self.max
                        && n > max
                    {
                        out.push(format!("is {n} (max {max})"));
                    }
                }
            }
        }
        if let Some(needle) = &self.contains
            && !contains(v, needle)
        {
            out.push(format!("is {} (does not contain {})", short(v), short(needle)));
        }
        if let Some(needle) = &self.not_contains
            && contains(v, needle)
        {
            out.push(format!("is {} (contains {})", short(v), short(needle)));
        }
        if let Some(options) = &self.one_of
            && !options.iter().any(|o| values_equal(v, o))
        {
            let shown: Vec<String> = options.iter().map(short).collect();
            out.push(format!("is {} (expected one of {})", short(v), shown.join(", ")));
        }
        out
    }
}

/// Numbers compare by value (`1` equals `1.0`). Text and a number compare by the number the text
/// holds (headers and SQL cells are text; `${var}` interpolation always yields text), and an
/// expected string compares equal to a boolean with that exact text.
pub fn values_equal(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Number(x), Value::String(s)) => s.trim().parse::<f64>().ok() == x.as_f64(),
        (Value::Bool(b), Value::String(s)) => s.trim() == b.to_string(),
        (Value::String(s), Value::Number(y)) => s.trim().parse::<f64>().ok() == y.as_f64(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| values_equal(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| values_equal(v, w)))
        }
        _ => actual == expected,
    }
}

/// A string contains a substring; a list contains an element; a map contains a key.
fn contains(haystack: &Value, needle: &Value) -> bool {
    match haystack {
        Value::String(s) => s.contains(&as_text(needle)),
        Value::Array(items) => items.iter().any(|i| values_equal(i, needle)),
        Value::Object(map) => map.contains_key(&as_text(needle)),
        other => other.to_string().contains(&as_text(needle)),
    }
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A number, or a string holding one (headers and SQL cells are text).
fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

pub fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A value for a message, cut at 80 characters.
pub fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s
    }
}

impl<'de> Deserialize<'de> for Matcher {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        Matcher::from_value(value).map_err(serde::de::Error::custom)
    }
}

/// The operator mapping, for the schema only.
#[derive(schemars::JsonSchema)]
#[schemars(rename = "MatchOperators")]
#[expect(dead_code, reason = "only its schema is used; `Matcher` deserializes by hand")]
struct Operators {
    /// The value equals this (numbers by value: `1` equals `1.0`). Alias: `eq`.
    equals: Option<Value>,
    /// The value is a number (or text holding one) at least this large. Alias: `gte`.
    min: Option<f64>,
    /// The value is a number (or text holding one) at most this large. Alias: `lte`.
    max: Option<f64>,
    /// A regular expression that matches somewhere in the value (strings as is, others as
    /// JSON text). Alias: `matches`.
    regex: Option<String>,
    /// A string contains this text, a list this element, a map this key.
    contains: Option<Value>,
    /// A string does not contain this text, a list this element, a map this key.
    not_contains: Option<Value>,
    /// The value equals one of these. Alias: `in`.
    one_of: Option<Vec<Value>>,
    /// The value's JSON type.
    #[schemars(rename = "type")]
    json_type: Option<JsonType>,
    /// `true`: there must be a value; `false`: there must be none.
    exists: Option<bool>,
}

impl schemars::JsonSchema for Matcher {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Matcher".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let ops = generator.subschema_for::<Operators>();
        schemars::json_schema!({
            "description": "A bare value (shorthand for `equals`), or a map of operators that \
                            must all hold: `equals`, `min`, `max`, `regex`, `contains`, \
                            `not_contains`, `one_of`, `type`, `exists`.",
            "anyOf": [
                { "type": ["string", "number", "boolean", "null", "array"],
                  "description": "Shorthand for `equals: <value>`." },
                ops,
                { "type": "object", "description": "A map with no operator key: compared with `equals`." }
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(yaml: &str) -> Matcher {
        serde_yaml::from_str(yaml).unwrap()
    }
    fn err(yaml: &str) -> String {
        serde_yaml::from_str::<Matcher>(yaml).unwrap_err().to_string()
    }

    #[test]
    fn a_bare_value_means_equals() {
        assert_eq!(m("2"), Matcher::equals(json!(2)));
        assert_eq!(m("ok"), Matcher::equals(json!("ok")));
        assert_eq!(m("[1, 2]"), Matcher::equals(json!([1, 2])));
        assert_eq!(m("{ a: 1 }"), Matcher::equals(json!({"a": 1})));
        assert!(m("2").check(&json!(2.0)).is_ok());
        assert_eq!(m("2").check(&json!(3)).unwrap_err(), "is 3 (expected 2)");
    }

    #[test]
    fn each_operator_holds_or_says_why() {
        let ok = |y: &str, v: Value| assert!(m(y).check(&v).is_ok(), "{y} on {v}");
        let no = |y: &str, v: Value, why: &str| {
            let e = m(y).check(&v).unwrap_err();
            assert!(e.contains(why), "{y} on {v}: {e}");
        };
        ok("{ equals: { min: 1 } }", json!({"min": 1}));
        ok("{ min: 1, max: 3 }", json!(3));
        no("{ min: 4 }", json!(3), "(min 4)");
        no("{ max: 2 }", json!(3), "(max 2)");
        ok("{ min: 1 }", json!("5"));
        no("{ min: 1 }", json!("five"), "expected a number");
        ok("{ regex: '^v\\d' }", json!("v1.2"));
        no("{ regex: '^v' }", json!("x"), "does not match /^v/");
        ok("{ contains: ell }", json!("hello"));
        ok("{ contains: 2 }", json!([1, 2]));
        no("{ contains: z }", json!("hello"), "does not contain \"z\"");
        ok("{ not_contains: z }", json!("hello"));
        no("{ not_contains: ell }", json!("hello"), "contains \"ell\"");
        ok("{ one_of: [a, b] }", json!("b"));
        no("{ one_of: [a, b] }", json!("c"), "expected one of \"a\", \"b\"");
        ok("{ type: integer }", json!(3));
        no("{ type: string }", json!(3), "type integer (expected string)");
        assert!(m("{ exists: false }").check_present(None).is_ok());
        assert_eq!(m("1").check_present(None).unwrap_err(), "is missing");
        no("{ exists: false }", json!(1), "should not");
    }

    #[test]
    fn old_names_are_aliases() {
        assert_eq!(m("{ eq: 2 }"), Matcher::equals(json!(2)));
        assert_eq!(m("{ in: [1, 2] }").one_of, Some(vec![json!(1), json!(2)]));
        assert_eq!(m("{ matches: '^a' }").regex.as_deref(), Some("^a"));
        assert!(err("{ eq: 1, equals: 1 }").contains("repeats operator `equals`"));
    }

    #[test]
    fn mistakes_read_as_yaml_not_rust() {
        let e = err("{ eq: 2, foo: 1 }");
        assert!(e.contains("unknown operator `foo`"), "{e}");
        assert!(e.contains("expected a value or a map of `equals`, `min`, `max`, `regex`"), "{e}");
        assert!(err("{ min: ten }").contains("`min` takes a number, not string `ten`"));
        assert!(err("{ regex: 1 }").contains("`regex` takes a string, not number `1`"));
        assert!(err("{ one_of: a }").contains("`one_of` takes a list"));
        assert!(err("{ type: text }").contains("`type` takes one of null, boolean"));
        assert!(!e.contains("struct") && !e.contains("Matcher"), "{e}");
    }

    #[test]
    fn validation_finds_bad_regexes_and_ranges() {
        assert_eq!(m("{ regex: '(' }").validate("expect.value")[0].field, "expect.value.regex");
        assert!(m("{ min: 3, max: 1 }").validate("v")[0].message.contains("above"));
        assert!(m("{ min: 1, max: 3 }").validate("v").is_empty());
    }

    /// The regex is compiled once, by `validate` at load, and the compiled one is what checks
    /// use; a pattern changed afterwards is compiled afresh, and the cache is invisible.
    #[test]
    fn the_regex_is_compiled_once_at_validation() {
        let mut matcher = m("{ regex: '^a+$' }");
        assert!(matcher.regex_cache.0.get().is_none());
        assert!(matcher.validate("v").is_empty());
        assert!(matcher.regex_cache.0.get().is_some_and(|(p, r)| p == "^a+$" && r.is_ok()));
        assert!(matcher.check(&json!("aaa")).is_ok());
        assert_eq!(matcher, m("{ regex: '^a+$' }"));
        assert_eq!(serde_json::to_value(&matcher).unwrap(), json!({ "regex": "^a+$" }));
        matcher.regex = Some("^b+$".into());
        assert!(matcher.check(&json!("bbb")).is_ok());
        assert!(matcher.check(&json!("aaa")).is_err());
    }
}
