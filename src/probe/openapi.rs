//! The `openapi` probe: loads an OpenAPI 3.x document (JSON or YAML, from a file or a URL),
//! checks its structure (every problem, each located as `file:line` plus its path in the
//! document), then calls every documented operation that needs no required parameter and no
//! required body (GET by default) against `base_url`. An operation fails on a 5xx, on a status
//! the document does not declare (unless it declares `default`), or when no response arrives.
//! `openapi.json` records each operation's result.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::duration::DurationSpec;
use crate::net::client::{MAX_BODY_READ, RequestPlan};
use crate::net::{HttpAgent, Method, TlsSpec, redact, stats, tls};
use crate::outcome::{Location, Measurement, ProbeOutcome, Status};
use crate::probe::{Artifact, ProbeContext, ProbeIssue};

/// Per-request timeout when the spec gives none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// An OpenAPI document whose parameterless operations must answer as documented.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "OpenapiProbe")]
pub struct Spec {
    /// The OpenAPI 3.x document: a file (JSON or YAML, relative to the repository) or an
    /// `http(s)://` URL.
    pub spec: String,
    /// Base URL the document's paths are appended to (`http://127.0.0.1:8000/api`).
    pub base_url: String,
    /// Methods to call (default `[GET]`). Operations needing a required parameter or body are
    /// skipped whatever the method.
    #[serde(default = "default_methods")]
    pub methods: Vec<Method>,
    /// Headers sent with every call (and with the document download).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Time allowed for each request (default 10s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<DurationSpec>,
    /// TLS settings for `https://` URLs.
    #[serde(default)]
    pub tls: TlsSpec,
}

fn default_methods() -> Vec<Method> {
    vec![Method::Get]
}

const OPERATION_KEYS: &[&str] =
    &["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const PATH_ITEM_KEYS: &[&str] = &["summary", "description", "servers", "parameters", "$ref"];

/// Where the document came from, for messages and locations.
struct Source {
    /// `openapi.yaml` (repository-relative when it is a file) or the redacted URL.
    name: String,
    is_file: bool,
    text: String,
}

/// A structural problem: the path of keys in the document and what is wrong there.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub path: Vec<String>,
    pub message: String,
}

fn problem(path: &[&str], message: impl Into<String>) -> Problem {
    Problem { path: path.iter().map(|s| s.to_string()).collect(), message: message.into() }
}

/// Checks the document's shape; returns every problem found.
pub fn validate_document(doc: &Value) -> Vec<Problem> {
    let mut out = Vec::new();
    let Some(root) = doc.as_object() else {
        out.push(problem(&[], "the document is not a mapping"));
        return out;
    };
    let v31 = match root.get("openapi") {
        Some(Value::String(v)) if is_openapi3(v) => v.starts_with("3.1"),
        Some(other) => {
            out.push(problem(
                &["openapi"],
                format!("expected a 3.x version string such as \"3.0.3\", found {other}"),
            ));
            false
        }
        None if root.contains_key("swagger") => {
            out.push(problem(
                &["swagger"],
                "this is a Swagger 2.0 document; only OpenAPI 3.x is supported",
            ));
            false
        }
        None => {
            out.push(problem(&[], "`openapi` is missing (expected a 3.x version string)"));
            false
        }
    };
    match root.get("info") {
        Some(Value::Object(info)) => {
            for key in ["title", "version"] {
                if !info.get(key).is_some_and(Value::is_string) {
                    out.push(problem(&["info"], format!("`info.{key}` must be a string")));
                }
            }
        }
        Some(_) => out.push(problem(&["info"], "`info` must be a mapping")),
        None => out.push(problem(&[], "`info` is missing")),
    }
    match root.get("paths") {
        Some(Value::Object(paths)) => {
            for (path, item) in paths {
                validate_path_item(path, item, v31, &mut out);
            }
        }
        Some(_) => out.push(problem(&["paths"], "`paths` must be a mapping")),
        None if !v31 => out.push(problem(&[], "`paths` is missing (required in OpenAPI 3.0)")),
        None => {}
    }
    out
}

fn is_openapi3(v: &str) -> bool {
    let mut parts = v.split('.');
    parts.next() == Some("3")
        && parts.next().is_some_and(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

fn validate_path_item(path: &str, item: &Value, v31: bool, out: &mut Vec<Problem>) {
    if path.starts_with("x-") {
        return;
    }
    if !path.starts_with('/') {
        out.push(problem(&["paths", path], format!("path `{path}` must start with `/`")));
    }
    let Some(item) = item.as_object() else {
        out.push(problem(&["paths", path], "a path item must be a mapping"));
        return;
    };
    for (key, value) in item {
        if key.starts_with("x-") || PATH_ITEM_KEYS.contains(&key.as_str()) {
            if key == "parameters" {
                validate_parameters(&["paths", path, "parameters"], value, out);
            }
            continue;
        }
        if !OPERATION_KEYS.contains(&key.as_str()) {
            out.push(problem(
                &["paths", path, key],
                format!(
                    "unknown key `{key}` in a path item (operations are {})",
                    OPERATION_KEYS.join(", ")
                ),
            ));
            continue;
        }
        let Some(op) = value.as_object() else {
            out.push(problem(&["paths", path, key], "an operation must be a mapping"));
            continue;
        };
        if let Some(p) = op.get("parameters") {
            validate_parameters(&["paths", path, key, "parameters"], p, out);
        }
        if let Some(body) = op.get("requestBody")
            && !body.is_object()
        {
            out.push(problem(
                &["paths", path, key, "requestBody"],
                "`requestBody` must be a mapping",
            ));
        }
        match op.get("responses") {
            Some(Value::Object(responses)) => {
                if responses.is_empty() && !v31 {
                    out.push(problem(&["paths", path, key, "responses"], "`responses` is empty"));
                }
                for (code, resp) in responses {
                    if !is_response_key(code) {
                        out.push(problem(
                            &["paths", path, key, "responses", code],
                            format!(
                                "`{code}` is not a status code, a range like `2XX`, or `default`"
                            ),
                        ));
                    }
                    if !resp.is_object() {
                        out.push(problem(
                            &["paths", path, key, "responses", code],
                            "a response must be a mapping",
                        ));
                    }
                }
            }
            Some(_) => out
                .push(problem(&["paths", path, key, "responses"], "`responses` must be a mapping")),
            None if !v31 => out.push(problem(&["paths", path, key], "`responses` is missing")),
            None => {}
        }
    }
}

fn validate_parameters(at: &[&str], value: &Value, out: &mut Vec<Problem>) {
    let Some(list) = value.as_array() else {
        out.push(problem(at, "`parameters` must be a list"));
        return;
    };
    for (i, p) in list.iter().enumerate() {
        let idx = i.to_string();
        let mut here: Vec<&str> = at.to_vec();
        here.push(&idx);
        let Some(p) = p.as_object() else {
            out.push(problem(&here, "a parameter must be a mapping"));
            continue;
        };
        if p.contains_key("$ref") {
            continue;
        }
        if !p.get("name").is_some_and(Value::is_string) {
            out.push(problem(&here, "a parameter needs a `name`"));
        }
        match p.get("in").and_then(Value::as_str) {
            Some("query" | "header" | "cookie") => {}
            Some("path") => {
                if p.get("required") != Some(&Value::Bool(true)) {
                    out.push(problem(&here, "a path parameter must have `required: true`"));
                }
            }
            _ => out.push(problem(&here, "`in` must be query, header, path or cookie")),
        }
    }
}

fn is_response_key(code: &str) -> bool {
    if code == "default" || code.starts_with("x-") {
        return true;
    }
    let b = code.as_bytes();
    b.len() == 3
        && (b'1'..=b'5').contains(&b[0])
        && ((b[1].is_ascii_digit() && b[2].is_ascii_digit())
            || (b[1..] == *b"XX" || b[1..] == *b"xx"))
}

/// Whether `status` is declared by a `responses` mapping (exact code, `NXX` range, `default`).
pub fn declared(responses: Option<&Map<String, Value>>, status: u16) -> bool {
    let Some(responses) = responses else { return true };
    let exact = status.to_string();
    let range = format!("{}XX", status / 100);
    responses.keys().any(|k| k == &exact || k.eq_ignore_ascii_case(&range) || k == "default")
}

/// Follows a local `$ref` (`#/components/parameters/Limit`).
fn deref<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => doc.pointer(pointer).unwrap_or(v),
        None => v,
    }
}

/// Why an operation cannot be called without inventing input, if it cannot.
fn needs_input(
    doc: &Value,
    path: &str,
    item: &Map<String, Value>,
    op: &Map<String, Value>,
) -> Option<String> {
    if path.contains('{') {
        return Some("has path parameters".to_string());
    }
    let params = item.get("parameters").and_then(Value::as_array).into_iter().flatten();
    let op_params = op.get("parameters").and_then(Value::as_array).into_iter().flatten();
    for p in params.chain(op_params) {
        let p = deref(doc, p);
        if p.get("required") == Some(&Value::Bool(true)) {
            let name = p.get("name").and_then(Value::as_str).unwrap_or("?");
            let place = p.get("in").and_then(Value::as_str).unwrap_or("?");
            return Some(format!("requires {place} parameter `{name}`"));
        }
    }
    if let Some(body) = op.get("requestBody") {
        if deref(doc, body).get("required") == Some(&Value::Bool(true)) {
            return Some("requires a request body".to_string());
        }
    }
    None
}

/// Finds the line of a document path by walking the keys in order through the text.
fn locate(text: &str, path: &[String]) -> Option<u64> {
    let mut pos = 0usize;
    let mut found_any = false;
    for key in path.iter().filter(|k| k.parse::<usize>().is_err()) {
        let candidates = [format!("\"{key}\""), format!("'{key}'"), format!("{key}:")];
        let next = candidates
            .iter()
            .filter_map(|c| text[pos..].find(c.as_str()).map(|i| pos + i))
            .min()?;
        pos = next;
        found_any = true;
    }
    if !found_any {
        return None;
    }
    Some(text[..pos].matches('\n').count() as u64 + 1)
}

fn parse_document(src: &Source) -> Result<Value, String> {
    let looks_json = src.text.trim_start().starts_with('{');
    if looks_json {
        serde_json::from_str(&src.text)
            .map_err(|e| format!("{}:{}:{}: not valid JSON: {e}", src.name, e.line(), e.column()))
    } else {
        serde_yaml::from_str::<Value>(&src.text).map_err(|e| {
            let at =
                e.location().map(|l| format!(":{}:{}", l.line(), l.column())).unwrap_or_default();
            format!("{}{at}: not valid YAML: {e}", src.name)
        })
    }
}

/// Load-time problems: the base URL, the method list, the TLS pair.
pub fn validate(spec: &Spec) -> Vec<ProbeIssue> {
    let mut issues = Vec::new();
    match url::Url::parse(&spec.base_url) {
        Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {}
        _ => issues.push(ProbeIssue::new(
            "base_url",
            format!("`{}` is not an http(s) URL", redact::url(&spec.base_url)),
        )),
    }
    if spec.spec.trim().is_empty() {
        issues.push(ProbeIssue::new("spec", "empty: give a file or an http(s) URL"));
    }
    if spec.methods.is_empty() {
        issues.push(ProbeIssue::new("methods", "empty: list at least one method, e.g. `[GET]`"));
    }
    if spec.tls.client_cert.is_some() != spec.tls.client_key.is_some() {
        issues.push(ProbeIssue::new("tls", "`client_cert` and `client_key` go together; set both"));
    }
    issues
}

super::validated_kind!("openapi");

fn run(spec: &Spec, ctx: &ProbeContext) -> ProbeOutcome {
    let timeout = spec.timeout.map(DurationSpec::as_duration).unwrap_or(DEFAULT_TIMEOUT);
    let tls_setup = match tls::build(&spec.tls, ctx) {
        Ok(t) => t,
        Err(e) => return ProbeOutcome::error(e),
    };
    let agent = HttpAgent::new(timeout, 5, tls_setup);
    let headers: Vec<(String, String)> =
        spec.headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    match url::Url::parse(&spec.base_url) {
        Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {}
        _ => {
            return ProbeOutcome::error(format!(
                "openapi: base_url `{}` is not an http(s) URL",
                redact::url(&spec.base_url)
            ));
        }
    }

    let source = if spec.spec.starts_with("http://") || spec.spec.starts_with("https://") {
        let plan = RequestPlan {
            method: Method::Get,
            url: &spec.spec,
            headers: &headers,
            query: &[],
            body: None,
        };
        let name = redact::url(&spec.spec);
        match agent.send(&plan, timeout.min(ctx.remaining()), MAX_BODY_READ) {
            Ok(r) if (200..300).contains(&r.status) => {
                Source { name, is_file: false, text: String::from_utf8_lossy(&r.body).into_owned() }
            }
            Ok(r) => {
                return ProbeOutcome::fail(format!(
                    "openapi: fetching {name} answered {}",
                    r.status
                ));
            }
            Err(f) => {
                return ProbeOutcome::fail(format!("openapi: fetching {name}: {}", f.message));
            }
        }
    } else {
        let path = ctx.resolve(&spec.spec);
        match std::fs::read_to_string(&path) {
            Ok(text) => Source { name: spec.spec.clone(), is_file: true, text },
            Err(e) => return ProbeOutcome::error(format!("openapi: {}: {e}", path.display())),
        }
    };
    let doc = match parse_document(&source) {
        Ok(d) => d,
        Err(e) => return ProbeOutcome::error(format!("openapi: {e}")),
    };
    let problems = validate_document(&doc);
    if !problems.is_empty() {
        let mut locations = Vec::new();
        let lines: Vec<String> = problems
            .iter()
            .map(|p| {
                let line = locate(&source.text, &p.path);
                let at = if p.path.is_empty() { "(root)".to_string() } else { p.path.join(".") };
                if source.is_file {
                    locations.push(Location {
                        path: source.name.clone(),
                        line,
                        column: None,
                        message: Some(format!("{at}: {}", p.message)),
                        rule: Some("openapi-structure".into()),
                    });
                }
                let line = line.map(|l| format!(":{l}")).unwrap_or_default();
                format!("{}{line}: {at}: {}", source.name, p.message)
            })
            .collect();
        let mut o = ProbeOutcome::error(format!(
            "openapi: not a valid OpenAPI 3.x document ({} problem{}): {}",
            lines.len(),
            crate::diag::plural(lines.len()),
            lines.join("; ")
        ));
        o.locations = locations;
        o.artifacts.push(Artifact::json(
            "openapi.json",
            &json!({ "document": source.name, "problems": lines }),
        ));
        return o;
    }

    let base = spec.base_url.trim_end_matches('/');
    let empty = Map::new();
    let paths = doc.get("paths").and_then(Value::as_object).unwrap_or(&empty);
    let mut documented = 0u64;
    let mut results = Vec::new();
    let mut failures = Vec::new();
    let mut skipped = 0u64;
    let mut answered = 0u64;
    let mut stopped = None;
    for (path, item) in paths {
        let Some(item) = item.as_object() else { continue };
        for (key, op) in item {
            let Some(method) = Method::from_openapi_key(key) else { continue };
            let Some(op) = op.as_object() else { continue };
            documented += 1;
            if !spec.methods.contains(&method) {
                continue;
            }
            let label = format!("{} {path}", method.as_str());
            let skip = if item.contains_key("$ref") {
                Some("path item is a $ref".to_string())
            } else {
                needs_input(&doc, path, item, op)
            };
            if let Some(why) = skip {
                skipped += 1;
                results.push(json!({ "operation": label, "result": "skipped", "why": why }));
                continue;
            }
            if ctx.cancelled() || ctx.remaining().is_zero() {
                stopped =
                    Some(if ctx.cancelled() { "cancelled" } else { "check deadline reached" });
                break;
            }
            let url = format!("{base}{path}");
            let plan = RequestPlan { method, url: &url, headers: &headers, query: &[], body: None };
            let responses = op.get("responses").and_then(Value::as_object);
            match agent.send(&plan, timeout.min(ctx.remaining()), 0) {
                Ok(r) => {
                    let ok_declared = declared(responses, r.status);
                    let verdict = if r.status >= 500 {
                        failures.push(format!("{label} → {} (server error)", r.status));
                        "server error"
                    } else if !ok_declared {
                        let mut codes: Vec<&str> = responses
                            .map(|m| m.keys().map(String::as_str).collect())
                            .unwrap_or_default();
                        codes.retain(|c| !c.starts_with("x-"));
                        failures.push(format!(
                            "{label} → {} (documented: {})",
                            r.status,
                            codes.join(", ")
                        ));
                        "undocumented status"
                    } else {
                        answered += 1;
                        "as documented"
                    };
                    results.push(json!({
                        "operation": label, "status": r.status, "result": verdict,
                        "elapsed_ms": stats::ms(r.elapsed),
                    }));
                }
                Err(f) => {
                    failures.push(format!("{label}: {}", f.message));
                    results.push(
                        json!({ "operation": label, "result": "no response", "why": f.message }),
                    );
                }
            }
        }
        if stopped.is_some() {
            break;
        }
    }
    let called = answered + failures.len() as u64;
    let summary = format!(
        "{answered} of {called} called operations answered as documented ({documented} documented, {skipped} skipped: need parameters)"
    );
    let (status, reason) = if let Some(why) = stopped {
        (Status::Error, format!("openapi: stopped early ({why}); {summary}"))
    } else if called == 0 {
        (
            Status::Error,
            format!("openapi: no operation could be called without parameters; {summary}"),
        )
    } else if failures.is_empty() {
        (Status::Pass, format!("openapi: {summary}"))
    } else {
        let more = if failures.len() > 1 {
            format!(" (and {} more)", failures.len() - 1)
        } else {
            String::new()
        };
        (Status::Fail, format!("openapi: {}{more}; {summary}", failures[0]))
    };
    let mut o = ProbeOutcome::new(status, reason);
    o.measurements = vec![
        Measurement::new("operations_documented", documented as f64, "count"),
        Measurement::new("operations_called", called as f64, "count"),
        Measurement::new("operations_answered", answered as f64, "count")
            .with_threshold(format!("= {called}")),
        Measurement::new("operations_skipped", skipped as f64, "count"),
    ];
    o.artifacts.push(Artifact::json(
        "openapi.json",
        &json!({
            "document": source.name,
            "base_url": redact::url(&spec.base_url),
            "methods": spec.methods,
            "operations": results,
            "failures": failures,
        }),
    ));
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_every_problem() {
        let doc: Value = serde_yaml::from_str(
            "openapi: 2.0\ninfo: { title: x }\npaths:\n  pets:\n    get: { responses: { '20x': {} } }\n    fetch: {}\n  /a:\n    get: { parameters: [{ name: id, in: path }] }\n",
        )
        .unwrap();
        let p = validate_document(&doc);
        let text: Vec<String> =
            p.iter().map(|p| format!("{}: {}", p.path.join("."), p.message)).collect();
        assert_eq!(p.len(), 7, "{text:#?}");
        assert!(text[0].starts_with("openapi: expected a 3.x"));
        assert!(text.iter().any(|t| t.contains("info.version")));
        assert!(text.iter().any(|t| t.contains("must start with `/`")));
        assert!(text.iter().any(|t| t.contains("`20x` is not a status code")));
        assert!(text.iter().any(|t| t.contains("unknown key `fetch`")));
        assert!(text.iter().any(|t| t.contains("required: true")));
        assert!(text.iter().any(|t| t.ends_with("`responses` is missing")));
    }

    #[test]
    fn declared_statuses() {
        let r: Map<String, Value> = serde_json::from_str(r#"{"200":{},"4XX":{}}"#).unwrap();
        assert!(declared(Some(&r), 200) && declared(Some(&r), 404));
        assert!(!declared(Some(&r), 201) && !declared(Some(&r), 500));
        let d: Map<String, Value> = serde_json::from_str(r#"{"default":{}}"#).unwrap();
        assert!(declared(Some(&d), 418));
    }

    #[test]
    fn locate_walks_keys_in_order() {
        let text = "openapi: 3.0.0\npaths:\n  /a:\n    get:\n      x: 1\n  /b:\n    get:\n      responses: {}\n";
        let path: Vec<String> = ["paths", "/b", "get"].iter().map(|s| s.to_string()).collect();
        assert_eq!(locate(text, &path), Some(7));
    }
}
