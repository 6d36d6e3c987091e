//! The `sql` probe: run one query against SQLite or PostgreSQL and hold the result to
//! expectations (row count, exact rows, one value with comparisons). Read-only by default: the
//! query runs in a read-only transaction that is rolled back.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::db::redact_url_password;
use crate::db::{QueryResult, query_postgres, query_sqlite};
use crate::outcome::{Measurement, ProbeOutcome};
use crate::probe::matcher::Matcher;
use crate::probe::{Artifact, ProbeContext};

/// `sql:` in a checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SqlProbe")]
pub struct Spec {
    /// `postgres://user:password@host:port/db` (the password never reaches evidence), or a
    /// SQLite database: `sqlite:PATH` or a plain path, relative to the repository.
    pub url: String,
    /// One SQL statement.
    pub query: String,
    /// What the result must be; with no expectation the query only has to succeed.
    #[serde(default)]
    pub expect: Expect,
    /// Run in a read-only transaction that is rolled back (default `true`). `false` commits.
    #[serde(default = "yes")]
    pub read_only: bool,
}

fn yes() -> bool {
    true
}

/// Expectations on the result.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SqlExpect")]
pub struct Expect {
    /// Exact number of rows.
    #[serde(default)]
    pub rows: Option<u64>,
    /// The exact rows, in order, each a list of column values (numbers compare numerically,
    /// `true`/`false` match PostgreSQL's `t`/`f` and SQLite's 1/0, `null` matches NULL).
    #[serde(default)]
    pub equals: Option<Vec<Vec<serde_json::Value>>>,
    /// The single value of a one-row, one-column result: a bare value (`value: 2`) or a map of
    /// operators (`{min: 1, max: 10}`, `{regex: '^v'}`, `{one_of: [a, b]}`); see "Matchers".
    #[serde(default)]
    pub value: Option<Matcher>,
}

enum Target {
    Postgres(String),
    Sqlite(std::path::PathBuf),
}

fn target(spec: &Spec, ctx: &ProbeContext<'_>) -> Target {
    let u = spec.url.trim();
    if u.starts_with("postgres://") || u.starts_with("postgresql://") {
        return Target::Postgres(u.to_string());
    }
    let path = u.strip_prefix("sqlite://").or_else(|| u.strip_prefix("sqlite:")).unwrap_or(u);
    Target::Sqlite(ctx.resolve(path))
}

/// Whether a result cell matches an expected JSON value.
pub fn cell_matches(expected: &serde_json::Value, cell: &Option<String>) -> bool {
    use serde_json::Value;
    match (expected, cell) {
        (Value::Null, None) => true,
        (_, None) | (Value::Null, _) => false,
        (Value::Number(n), Some(c)) => match (n.as_f64(), c.trim().parse::<f64>()) {
            (Some(a), Ok(b)) => a == b,
            _ => false,
        },
        (Value::Bool(b), Some(c)) => {
            let truthy = matches!(c.as_str(), "t" | "true" | "1");
            let falsy = matches!(c.as_str(), "f" | "false" | "0");
            if *b { truthy } else { falsy }
        }
        (Value::String(s), Some(c)) => s == c,
        (other, Some(c)) => &other.to_string() == c,
    }
}

/// A result cell as the JSON value the matcher compares: NULL → `null`, numeric text → a
/// number, `t`/`f`/`1`/`0` → a boolean when the expectation is a boolean, otherwise text.
pub fn cell_value(cell: &Option<String>, want: &Matcher) -> serde_json::Value {
    use serde_json::Value;
    let Some(c) = cell else { return Value::Null };
    let wants_bool = matches!(want.equals, Some(Value::Bool(_)))
        || want.one_of.as_ref().is_some_and(|o| o.iter().any(Value::is_boolean));
    if wants_bool {
        match c.as_str() {
            "t" | "true" | "1" => return Value::Bool(true),
            "f" | "false" | "0" => return Value::Bool(false),
            _ => {}
        }
    }
    let wants_text = matches!(want.equals, Some(Value::String(_)));
    if !wants_text
        && let Ok(n) = c.trim().parse::<f64>()
        && let Some(num) = serde_json::Number::from_f64(n)
    {
        return match c.trim().parse::<i64>() {
            Ok(i) => Value::from(i),
            Err(_) => Value::Number(num),
        };
    }
    Value::String(c.clone())
}

fn show(cell: &Option<String>) -> String {
    cell.as_deref().map(|c| format!("{c:?}")).unwrap_or_else(|| "NULL".into())
}

fn show_row(row: &[Option<String>]) -> String {
    format!("[{}]", row.iter().map(show).collect::<Vec<_>>().join(", "))
}

/// Holds a result to the expectations: `Err` is the one-line failure reason.
pub fn check(expect: &Expect, r: &QueryResult) -> Result<String, String> {
    let n = r.rows.len();
    let mut held = vec![format!("{n} row(s)")];
    if let Some(want) = expect.rows
        && n as u64 != want
    {
        let first =
            r.rows.first().map(|row| format!("; first: {}", show_row(row))).unwrap_or_default();
        return Err(format!("expected {want} row(s), got {n}{first}"));
    }
    if let Some(want) = &expect.equals {
        if want.len() != n {
            return Err(format!("expected {} row(s) equal to the given rows, got {n}", want.len()));
        }
        for (i, (w, got)) in want.iter().zip(&r.rows).enumerate() {
            if w.len() != got.len() || !w.iter().zip(got).all(|(e, c)| cell_matches(e, c)) {
                let wanted = serde_json::to_string(w).unwrap_or_default();
                return Err(format!("row {} is {}, expected {wanted}", i + 1, show_row(got)));
            }
        }
        held.push("rows equal".into());
    }
    if let Some(v) = &expect.value {
        if n != 1 || r.rows[0].len() != 1 {
            let cols = r.rows.first().map(Vec::len).unwrap_or(r.columns.len());
            return Err(format!("expected a single value, got {n} row(s) of {cols} column(s)"));
        }
        let cell = &r.rows[0][0];
        v.check(&cell_value(cell, v)).map_err(|why| format!("value {why}"))?;
        held.push(format!("value {}", show(cell)));
    }
    Ok(held.join(", "))
}

super::validated_kind!("sql");

/// Runs the probe.
fn run(spec: &Spec, ctx: &ProbeContext<'_>) -> ProbeOutcome {
    let started = Instant::now();
    let timeout = ctx.remaining().min(Duration::from_secs(30));
    let (engine, result) = match target(spec, ctx) {
        Target::Postgres(url) => {
            ("postgres", query_postgres(&url, &spec.query, spec.read_only, timeout))
        }
        Target::Sqlite(path) => ("sqlite", query_sqlite(&path, &spec.query, spec.read_only)),
    };
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let result = match result {
        Ok(r) => r,
        Err(e) => {
            return ProbeOutcome::error(e).with_measurement(Measurement::new(
                "query_time",
                ms,
                "ms",
            ));
        }
    };
    let verdict = check(&spec.expect, &result);
    let mut out = match &verdict {
        Ok(held) => ProbeOutcome::pass(format!("query on {engine}: {held}")),
        Err(why) => ProbeOutcome::fail(why.clone()),
    };
    out.measurements.push(Measurement::new("rows", result.rows.len() as f64, "count"));
    out.measurements.push(Measurement::new("query_time", ms, "ms"));
    const KEEP_ROWS: usize = 100;
    let evidence = serde_json::json!({
        "engine": engine,
        "url": redact_url_password(&spec.url, &spec.url),
        "query": spec.query,
        "read_only": spec.read_only,
        "columns": result.columns,
        "row_count": result.rows.len(),
        "rows": result.rows.iter().take(KEEP_ROWS).collect::<Vec<_>>(),
        "rows_truncated": result.rows.len() > KEEP_ROWS,
        "verdict": verdict.as_ref().map_or_else(|e| e.clone(), |h| h.clone()),
    });
    out.artifacts.push(Artifact::json("result.json", &evidence));
    out
}

/// Load-time problems: an empty query, a matcher's bad regex or range.
pub fn validate(spec: &Spec) -> Vec<crate::probe::ProbeIssue> {
    let mut issues =
        spec.expect.value.as_ref().map(|m| m.validate("expect.value")).unwrap_or_default();
    if spec.query.trim().is_empty() {
        issues.push(crate::probe::ProbeIssue::new("query", "the query is empty"));
    }
    issues
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn res(rows: Vec<Vec<Option<&str>>>) -> QueryResult {
        QueryResult {
            columns: vec!["a".into()],
            rows: rows
                .into_iter()
                .map(|r| r.into_iter().map(|c| c.map(String::from)).collect())
                .collect(),
        }
    }

    #[test]
    fn cells_compare_by_expected_type() {
        assert!(cell_matches(&json!(5), &Some("5".into())));
        assert!(cell_matches(&json!(5.0), &Some("5".into())));
        assert!(!cell_matches(&json!(5), &Some("5a".into())));
        assert!(cell_matches(&json!(true), &Some("t".into())));
        assert!(cell_matches(&json!(false), &Some("0".into())));
        assert!(!cell_matches(&json!(true), &Some("f".into())));
        assert!(cell_matches(&json!(null), &None));
        assert!(!cell_matches(&json!("x"), &None));
        assert!(cell_matches(&json!("x"), &Some("x".into())));
    }

    #[test]
    fn expectations_pass_and_fail_with_reasons() {
        let r = res(vec![vec![Some("3")]]);
        let e = Expect {
            rows: Some(1),
            equals: Some(vec![vec![json!(3)]]),
            value: Some(Matcher::from_value(json!({ "min": 1, "max": 3 })).unwrap()),
        };
        assert!(check(&e, &r).is_ok());
        let e = Expect {
            value: Some(Matcher::from_value(json!({ "max": 2 })).unwrap()),
            ..Default::default()
        };
        assert_eq!(check(&e, &r).unwrap_err(), "value is 3 (max 2)");
        let e = Expect { rows: Some(0), ..Default::default() };
        assert_eq!(check(&e, &r).unwrap_err(), "expected 0 row(s), got 1; first: [\"3\"]");
        let two = res(vec![vec![Some("a")], vec![None]]);
        let e =
            Expect { equals: Some(vec![vec![json!("a")], vec![json!("b")]]), ..Default::default() };
        assert_eq!(check(&e, &two).unwrap_err(), "row 2 is [NULL], expected [\"b\"]");
        let e = Expect { value: Some(Matcher::equals(json!("a"))), ..Default::default() };
        assert!(check(&e, &two).unwrap_err().contains("single value"));
    }

    #[test]
    fn value_takes_a_bare_value_or_operators() {
        let r = res(vec![vec![Some("2")]]);
        let e: Expect = serde_yaml::from_str("value: 2").unwrap();
        assert!(check(&e, &r).is_ok());
        let e: Expect = serde_yaml::from_str("value: 3").unwrap();
        assert_eq!(check(&e, &r).unwrap_err(), "value is 2 (expected 3)");
        let e: Expect = serde_yaml::from_str("value: { eq: 2 }").unwrap();
        assert!(check(&e, &r).is_ok());
        let e: Expect = serde_yaml::from_str("value: '2'").unwrap();
        assert!(check(&e, &r).is_ok());
        let e: Expect = serde_yaml::from_str("value: { one_of: [1, 2] }").unwrap();
        assert!(check(&e, &r).is_ok());
        let t = res(vec![vec![Some("t")]]);
        let e: Expect = serde_yaml::from_str("value: true").unwrap();
        assert!(check(&e, &t).is_ok());
        let v = res(vec![vec![Some("v1.4")]]);
        let e: Expect = serde_yaml::from_str("value: { regex: '^v1' }").unwrap();
        assert!(check(&e, &v).is_ok());
        let n = res(vec![vec![None]]);
        let e: Expect = serde_yaml::from_str("value: null").unwrap();
        assert!(check(&e, &n).is_ok());
        let err = serde_yaml::from_str::<Expect>("value: { eq: 2, foo: 1 }").unwrap_err();
        assert!(err.to_string().contains("unknown operator `foo`"), "{err}");
    }
}
