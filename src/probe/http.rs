//! The `http` probe: one request (or `samples: N` of them) and expectations on what comes back —
//! status, headers, body text, JSON values by JSON Pointer, a JSON Schema, latency, and the
//! TLS certificate's remaining validity. The first exchange is kept as `exchange.json`
//! (credentials redacted, body cut to 64 KiB).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::duration::{DurationSpec, format_duration};
use crate::net::client::{FailureKind, HttpFailure, HttpReply, MAX_BODY_READ, RequestPlan};
use crate::net::{Body, HttpAgent, Method, StatusSpec, TlsSpec, exchange, redact, stats, tls};
use crate::outcome::{Measurement, ProbeOutcome, Status};
use crate::probe::{Artifact, ProbeContext, ProbeIssue};

/// Request timeout when the spec gives none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Most samples one check may take.
pub const MAX_SAMPLES: u32 = 10_000;

/// An HTTP request and what its response must look like.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "HttpProbe")]
pub struct Spec {
    /// HTTP method (default GET).
    #[serde(default)]
    pub method: Method,
    /// Absolute `http://` or `https://` URL.
    pub url: String,
    /// Request headers. `Authorization` and `Cookie` values are redacted in evidence.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Query parameters appended to the URL (URL-encoded).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub query: BTreeMap<String, String>,
    /// Request body: `text`, `json` or `form`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
    /// Time allowed for each request, connect included (default 10s; never past the check's
    /// deadline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<DurationSpec>,
    /// Redirect handling (default: follow up to 10).
    #[serde(default)]
    pub redirects: Redirects,
    /// TLS settings for `https://` URLs.
    #[serde(default)]
    pub tls: TlsSpec,
    /// Send the request this many times (default 1) to measure latency percentiles. Every
    /// sample must answer with an expected status; the other expectations are checked on the
    /// first response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples: Option<u32>,
    /// What the response must look like.
    #[serde(default)]
    pub expect: Expect,
}

/// Redirect handling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Redirects {
    /// Follow redirects (default true). When false the 3xx response itself is checked.
    #[serde(default = "default_true")]
    pub follow: bool,
    /// Most redirects to follow before failing (default 10).
    #[serde(default = "default_max_redirects")]
    pub max: u32,
}

impl Default for Redirects {
    fn default() -> Self {
        Redirects { follow: true, max: default_max_redirects() }
    }
}

fn default_true() -> bool {
    true
}
fn default_max_redirects() -> u32 {
    10
}

/// Expectations on the response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "HttpExpect")]
pub struct Expect {
    /// Accepted status: a code, a class (`2xx`), a range (`200-299`) or a list (default
    /// `200-399`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusSpec>,
    /// Response headers (names are case-insensitive) and how each value must look: a bare
    /// value (equals) or a map of operators (`regex`, `contains`, …); see "Matchers".
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, Matcher>,
    /// Expectations on the body text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<BodyExpect>,
    /// JSON Pointer (`/data/0/id`, `""` for the whole document) → expected value, or a map
    /// of operators (`equals`, `min`, `max`, `regex`, `contains`, `one_of`, `type`, `exists`…);
    /// see "Matchers".
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub json: BTreeMap<String, Matcher>,
    /// JSON Schema file (JSON or YAML, relative to the repository) the body must validate
    /// against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<PathBuf>,
    /// Slowest acceptable response, in milliseconds (request sent → last body byte), over all
    /// samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_latency_ms: Option<f64>,
    /// Highest acceptable 95th-percentile latency over the samples, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_p95_ms: Option<f64>,
    /// Fewest days the server's TLS certificate must still be valid (https only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_cert_days: Option<i64>,
}

/// Expectations on the body as text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BodyExpect {
    /// Substrings that must all appear.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contains: Vec<String>,
    /// Substrings that must not appear.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_contains: Vec<String>,
    /// A regular expression that must match somewhere in the body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
}

pub use crate::probe::matcher::{JsonType, Matcher};

/// What a run works from: the compiled spec with its defaults applied, and the JSON Schema
/// (read when the check runs).
struct Prepared {
    timeout: Duration,
    samples: u32,
    status: StatusSpec,
    body_regex: Option<Regex>,
    schema: Option<jsonschema::Validator>,
    headers: Vec<(String, String)>,
    query: Vec<(String, String)>,
}

/// Load-time problems: everything that can be checked without the network or the files.
pub fn validate(spec: &Spec) -> Vec<ProbeIssue> {
    let (issues, _) = check_static(spec);
    issues
}

/// An `http` spec compiled: its regexes compiled once, at load.
#[derive(Debug, Clone)]
pub struct Compiled {
    spec: Spec,
    body_regex: Option<Regex>,
}

/// Regexes compiled while checking the spec.
#[derive(Default)]
struct Regexes {
    body_regex: Option<Regex>,
}

/// The `http` probe kind.
pub struct Kind;

impl super::ProbeKind for Kind {
    const KEY: &'static str = "http";
    type Spec = Spec;
    type Compiled = Compiled;
    fn compile(spec: Spec, _: &super::CompileContext) -> Result<Compiled, Vec<ProbeIssue>> {
        let (issues, Regexes { body_regex }) = check_static(&spec);
        if !issues.is_empty() {
            return Err(issues);
        }
        Ok(Compiled { spec, body_regex })
    }
    fn spec(compiled: &Compiled) -> &Spec {
        &compiled.spec
    }
    fn run(compiled: &Compiled, ctx: &ProbeContext) -> ProbeOutcome {
        run(compiled, ctx)
    }
}

fn check_static(spec: &Spec) -> (Vec<ProbeIssue>, Regexes) {
    let mut issues = Vec::new();
    match url::Url::parse(&spec.url) {
        Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {
            if spec.expect.min_cert_days.is_some() && u.scheme() != "https" {
                issues.push(ProbeIssue::new("expect.min_cert_days", "needs an https:// URL"));
            }
        }
        Ok(u) => issues
            .push(ProbeIssue::new("url", format!("scheme `{}` is not http or https", u.scheme()))),
        // `${var}` placeholders are resolved before this runs; anything left is a real problem.
        Err(e) => issues.push(ProbeIssue::new("url", format!("`{}`: {e}", redact::url(&spec.url)))),
    }
    let samples = spec.samples.unwrap_or(1);
    if samples == 0 || samples > MAX_SAMPLES {
        issues.push(ProbeIssue::new("samples", format!("{samples} is outside 1..={MAX_SAMPLES}")));
    }
    if spec.expect.max_p95_ms.is_some() && samples < 2 {
        issues.push(
            ProbeIssue::new("expect.max_p95_ms", "needs `samples:` of at least 2")
                .hint("add `samples: 20` (or more) next to `url`"),
        );
    }
    if spec.tls.client_cert.is_some() != spec.tls.client_key.is_some() {
        issues.push(ProbeIssue::new("tls", "`client_cert` and `client_key` go together; set both"));
    }
    let mut compiled = Regexes::default();
    let mut compile = |field: String, pattern: &str| match Regex::new(pattern) {
        Ok(r) => Some(r),
        Err(e) => {
            issues.push(ProbeIssue::new(field, super::regex_error(pattern, &e)));
            None
        }
    };
    compiled.body_regex = spec
        .expect
        .body
        .as_ref()
        .and_then(|b| b.regex.as_deref())
        .and_then(|p| compile("expect.body.regex".to_string(), p));
    for (name, exp) in &spec.expect.headers {
        issues.extend(exp.validate(&format!("expect.headers.{name}")));
    }
    for (pointer, exp) in &spec.expect.json {
        issues.extend(exp.validate(&format!("expect.json.{pointer}")));
    }
    for pointer in spec.expect.json.keys() {
        if !pointer.is_empty() && !pointer.starts_with('/') {
            issues.push(
                ProbeIssue::new(format!("expect.json.{pointer}"), "not a JSON Pointer")
                    .hint(format!("write `/{pointer}`")),
            );
        }
    }
    (issues, compiled)
}

/// What the run needs beyond the compiled spec: the JSON Schema is read from the repository
/// when the check runs (an earlier check may write it).
fn prepare(compiled: &Compiled, ctx: &ProbeContext) -> Result<Prepared, Vec<String>> {
    let Compiled { spec, body_regex } = compiled;
    let mut problems = Vec::new();
    let samples = spec.samples.unwrap_or(1);
    let body_regex = body_regex.clone();
    let schema = match &spec.expect.schema {
        None => None,
        Some(path) => match load_schema(&ctx.resolve(path)) {
            Ok(v) => Some(v),
            Err(e) => {
                problems.push(e);
                None
            }
        },
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Prepared {
        timeout: spec.timeout.map(DurationSpec::as_duration).unwrap_or(DEFAULT_TIMEOUT),
        samples,
        status: spec.expect.status.clone().unwrap_or_else(StatusSpec::success_or_redirect),
        body_regex,
        schema,
        headers: spec.headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        query: spec.query.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
    })
}

/// Reads a JSON Schema (JSON, or YAML when it does not parse as JSON) and compiles it.
pub fn load_schema(path: &std::path::Path) -> Result<jsonschema::Validator, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("expect.schema {}: {e}", path.display()))?;
    let value: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(json_err) => serde_yaml::from_str(&text).map_err(|yaml_err| {
            let located = yaml_err
                .location()
                .map(|l| format!(":{}:{}", l.line(), l.column()))
                .unwrap_or_default();
            format!(
                "expect.schema {}{located}: neither JSON ({json_err}) nor YAML ({yaml_err})",
                path.display()
            )
        })?,
    };
    jsonschema::validator_for(&value)
        .map_err(|e| format!("expect.schema {}: not a valid JSON Schema: {e}", path.display()))
}

/// Runs the probe.
fn run(compiled: &Compiled, ctx: &ProbeContext) -> ProbeOutcome {
    let spec = &compiled.spec;
    let prepared = match prepare(compiled, ctx) {
        Ok(p) => p,
        Err(problems) => return ProbeOutcome::error(format!("http: {}", problems.join("; "))),
    };
    let tls_setup = match tls::build(&spec.tls, ctx) {
        Ok(t) => t,
        Err(e) => return ProbeOutcome::error(e),
    };
    let max_redirects = if spec.redirects.follow { spec.redirects.max } else { 0 };
    let agent = HttpAgent::new(prepared.timeout, max_redirects, tls_setup);
    let plan = RequestPlan {
        method: spec.method,
        url: &spec.url,
        headers: &prepared.headers,
        query: &prepared.query,
        body: spec.body.as_ref(),
    };
    let shown_url = redact::url(&spec.url);
    let what = format!("{} {shown_url}", spec.method.as_str());

    let mut first: Option<Result<HttpReply, HttpFailure>> = None;
    let mut latencies = Vec::with_capacity(prepared.samples as usize);
    let mut unexpected_status: Vec<u16> = Vec::new();
    let mut stopped: Option<String> = None;
    for i in 0..prepared.samples {
        if ctx.cancelled() {
            stopped = Some(format!("cancelled after {i} of {} samples", prepared.samples));
            break;
        }
        let remaining = ctx.remaining();
        if remaining.is_zero() {
            stopped =
                Some(format!("check deadline reached after {i} of {} samples", prepared.samples));
            break;
        }
        let timeout = prepared.timeout.min(remaining);
        let keep = if i == 0 { MAX_BODY_READ } else { 0 };
        let result = agent.send(&plan, timeout, keep);
        match &result {
            Ok(reply) => {
                latencies.push(reply.elapsed.as_secs_f64() * 1000.0);
                if i > 0 && !prepared.status.matches(reply.status) {
                    unexpected_status.push(reply.status);
                }
            }
            Err(failure) => {
                let mut outcome = transport_outcome(&what, failure, prepared.timeout, i);
                outcome.artifacts.push(Artifact::json(
                    "exchange.json",
                    &exchange::exchange_json(&plan, &result),
                ));
                return outcome;
            }
        }
        if i == 0 {
            first = Some(result);
        }
    }
    let Some(first) = first else {
        return ProbeOutcome::error(format!("{what}: {}", stopped.unwrap_or_default()));
    };
    let mut doc = exchange::exchange_json(&plan, &first);
    let reply = match first {
        Ok(reply) => reply,
        // Failed samples return above; kept as a plain branch so the probe cannot panic.
        Err(failure) => return transport_outcome(&what, &failure, prepared.timeout, 0),
    };

    let mut failures: Vec<String> = Vec::new();
    let mut measurements = vec![
        Measurement::new("status", f64::from(reply.status), "code")
            .with_threshold(prepared.status.to_string()),
        Measurement::new("latency", stats::ms(reply.elapsed), "ms"),
    ];
    if !prepared.status.matches(reply.status) {
        failures.push(format!("status {} (expected {})", reply.status, prepared.status));
    }
    if !unexpected_status.is_empty() {
        failures.push(format!(
            "{} of {} samples answered with an unexpected status (first: {})",
            unexpected_status.len(),
            latencies.len(),
            unexpected_status[0]
        ));
    }
    check_headers(spec, &reply, &mut failures);
    check_body(spec, &prepared, &reply, &mut failures);

    let mut sorted = latencies.clone();
    sorted.sort_by(f64::total_cmp);
    let slowest = sorted.last().copied().unwrap_or(0.0);
    if let Some(max) = spec.expect.max_latency_ms {
        measurements.push(
            Measurement::new("latency_max", stats::round3(slowest), "ms")
                .with_threshold(format!("<= {max}")),
        );
        if slowest > max {
            failures.push(format!("slowest response took {slowest:.1} ms (max {max} ms)"));
        }
    }
    if sorted.len() > 1 {
        let p95 = stats::percentile(&sorted, 95.0);
        let mut p95m = Measurement::new("latency_p95", stats::round3(p95), "ms");
        if let Some(max) = spec.expect.max_p95_ms {
            p95m = p95m.with_threshold(format!("<= {max}"));
            if p95 > max {
                failures.push(format!(
                    "p95 latency {p95:.1} ms over {} samples (max {max} ms)",
                    sorted.len()
                ));
            }
        }
        measurements.push(Measurement::new(
            "latency_p50",
            stats::round3(stats::percentile(&sorted, 50.0)),
            "ms",
        ));
        measurements.push(p95m);
        measurements.push(Measurement::new(
            "latency_p99",
            stats::round3(stats::percentile(&sorted, 99.0)),
            "ms",
        ));
        measurements.push(Measurement::new("samples", sorted.len() as f64, "count"));
        doc["samples"] = json!({
            "count": sorted.len(),
            "p50_ms": stats::round3(stats::percentile(&sorted, 50.0)),
            "p95_ms": stats::round3(p95),
            "p99_ms": stats::round3(stats::percentile(&sorted, 99.0)),
            "max_ms": stats::round3(slowest),
            "latencies_ms": latencies.iter().map(|x| stats::round3(*x)).collect::<Vec<_>>(),
        });
    }
    if let Some(min_days) = spec.expect.min_cert_days {
        match agent.tls.peer_certificate().map(|der| tls::days_until_expiry(&der)) {
            Some(Ok(days)) => {
                measurements.push(
                    Measurement::new("cert_days_left", days, "days")
                        .with_threshold(format!(">= {min_days}")),
                );
                doc["tls"] = json!({ "cert_days_left": days });
                if days < min_days as f64 {
                    failures.push(format!(
                        "TLS certificate expires in {days} days (min {min_days})"
                    ));
                }
            }
            Some(Err(e)) => failures.push(e),
            None => failures.push("no TLS certificate was seen (was the answer cached or plain HTTP after a redirect?)".into()),
        }
    }
    let mut outcome = if let Some(why) = stopped {
        ProbeOutcome::error(format!("{what}: {why}"))
    } else if failures.is_empty() {
        ProbeOutcome::pass(format!(
            "{what} → {} in {:.0} ms{}",
            reply.status,
            reply.elapsed.as_secs_f64() * 1000.0,
            if sorted.len() > 1 {
                format!(
                    " (p95 {:.1} ms over {} samples)",
                    stats::percentile(&sorted, 95.0),
                    sorted.len()
                )
            } else {
                String::new()
            }
        ))
    } else {
        let more = if failures.len() > 1 {
            format!(" (and {} more: {})", failures.len() - 1, failures[1..].join("; "))
        } else {
            String::new()
        };
        ProbeOutcome::fail(format!("{what}: {}{more}", failures[0]))
    };
    outcome.measurements = measurements;
    if !failures.is_empty() {
        doc["failures"] = json!(failures);
    }
    outcome.artifacts.push(Artifact::json("exchange.json", &doc));
    outcome
}

fn transport_outcome(
    what: &str,
    failure: &HttpFailure,
    timeout: Duration,
    sample: u32,
) -> ProbeOutcome {
    let at = if sample > 0 { format!(" (sample {})", sample + 1) } else { String::new() };
    let hint = if failure.kind == FailureKind::Tls {
        " — if the server uses a private CA, set tls.ca_file; tls.verify: false skips the check"
    } else {
        ""
    };
    let status = match failure.kind {
        FailureKind::InvalidUrl => Status::Error,
        _ => Status::Fail,
    };
    let mut outcome = ProbeOutcome::new(status, format!("{what}{at}: {}{hint}", failure.message));
    outcome.measurements.push(
        Measurement::new("elapsed", stats::ms(failure.elapsed), "ms")
            .with_threshold(format!("timeout {}", format_duration(timeout))),
    );
    outcome
}

fn check_headers(spec: &Spec, reply: &HttpReply, failures: &mut Vec<String>) {
    for (name, exp) in &spec.expect.headers {
        let lower = name.to_ascii_lowercase();
        let values: Vec<&str> =
            reply.headers.iter().filter(|(n, _)| *n == lower).map(|(_, v)| v.as_str()).collect();
        if values.is_empty() {
            failures.push(format!("header `{name}` is missing"));
            continue;
        }
        // Any one value of a repeated header may satisfy the matcher.
        let mut why = None;
        for v in &values {
            match exp.check(&Value::String((*v).to_string())) {
                Ok(()) => {
                    why = None;
                    break;
                }
                Err(e) => why = why.or(Some(e)),
            }
        }
        if let Some(why) = why {
            if redact::header_value(name, values[0]) == values[0] {
                failures.push(format!("header `{name}` {why}"));
            } else {
                failures.push(format!("header `{name}` does not match (value redacted)"));
            }
        }
    }
}

fn check_body(spec: &Spec, prepared: &Prepared, reply: &HttpReply, failures: &mut Vec<String>) {
    let text = String::from_utf8_lossy(&reply.body);
    if let Some(b) = &spec.expect.body {
        for needle in &b.contains {
            if !text.contains(needle.as_str()) {
                failures.push(format!("body does not contain `{needle}`"));
            }
        }
        for needle in &b.not_contains {
            if text.contains(needle.as_str()) {
                failures.push(format!("body contains `{needle}`"));
            }
        }
        if let (Some(r), Some(p)) = (&prepared.body_regex, &b.regex)
            && !r.is_match(&text)
        {
            failures.push(format!("body does not match /{p}/"));
        }
    }
    if spec.expect.json.is_empty() && prepared.schema.is_none() {
        return;
    }
    let doc: Value = match serde_json::from_slice(&reply.body) {
        Ok(v) => v,
        Err(e) => {
            let ct = reply.header("content-type").unwrap_or("none");
            let excerpt: String = text.chars().take(60).collect();
            failures.push(format!(
                "body is not JSON ({e}; Content-Type: {ct}; starts with {excerpt:?})"
            ));
            return;
        }
    };
    for (pointer, exp) in &spec.expect.json {
        check_json(pointer, exp, &doc, failures);
    }
    if let Some(validator) = &prepared.schema {
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .take(5)
            .map(|e| format!("at `{}`: {e}", e.instance_path))
            .collect();
        if !errors.is_empty() {
            failures.push(format!("body does not match the schema: {}", errors.join("; ")));
        }
    }
}

/// One JSON Pointer's matcher against the document; each operator that fails is one failure.
fn check_json(pointer: &str, exp: &Matcher, doc: &Value, failures: &mut Vec<String>) {
    let at = if pointer.is_empty() { "the document".to_string() } else { format!("`{pointer}`") };
    for why in exp.failures(doc.pointer(pointer)) {
        failures.push(format!("JSON {at} {why}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shorthand_and_operators() {
        let e: Expect = serde_yaml::from_str(
            "json:\n  /status: ok\n  /count: { min: 1, max: 5 }\n  /obj: { equals: { min: 1 } }\n  /raw: { a: 1 }\n",
        )
        .unwrap();
        assert_eq!(e.json["/status"].equals, Some(json!("ok")));
        assert_eq!(e.json["/count"].min, Some(1.0));
        assert_eq!(e.json["/obj"].equals, Some(json!({"min": 1})));
        assert_eq!(e.json["/raw"].equals, Some(json!({"a": 1})));
        let err = serde_yaml::from_str::<Expect>("json:\n  /x: { min: 1, foo: 2 }\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown operator `foo`"), "{err}");
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = serde_yaml::from_str::<Spec>("url: http://x\nexpect: { stauts: 200 }\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `stauts`"), "{err}");
        let err = serde_yaml::from_str::<Spec>("url: http://x\nbody: { xml: a }\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown variant `xml`") && err.contains("line 2"), "{err}");
        let err = serde_yaml::from_str::<Spec>("url: x\nbody: { text: a, json: 1 }\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("exactly one of"), "{err}");
        let s: Spec = serde_yaml::from_str(
            "url: x\nbody: { form: { a: b } }\nexpect: { headers: { X-A: { regex: '^v' } } }\n",
        )
        .unwrap();
        assert!(matches!(s.body, Some(Body::Form(_))));
        assert_eq!(s.expect.headers["X-A"].regex.as_deref(), Some("^v"));
        let s: Spec = serde_yaml::from_str("url: x\nbody:\n  json: { a: [1, 2] }\n").unwrap();
        assert_eq!(s.body, Some(Body::Json(json!({"a": [1, 2]}))));
    }

    #[test]
    fn json_checks_report_each_problem() {
        let doc = json!({"status": "ok", "count": 3, "items": [1, 2], "ratio": 0.5});
        let mut f = Vec::new();
        let exp = |y: &str| serde_yaml::from_str::<Matcher>(y).unwrap();
        check_json("/status", &exp("ok"), &doc, &mut f);
        check_json("/count", &exp("{ type: integer, min: 1, max: 3 }"), &doc, &mut f);
        check_json("/count", &exp("3.0"), &doc, &mut f);
        check_json("/missing", &exp("{ exists: false }"), &doc, &mut f);
        check_json("/items", &exp("{ type: array }"), &doc, &mut f);
        assert!(f.is_empty(), "{f:?}");
        check_json("/status", &exp("bad"), &doc, &mut f);
        check_json("/count", &exp("{ max: 2 }"), &doc, &mut f);
        check_json("/ratio", &exp("{ type: integer }"), &doc, &mut f);
        check_json("/nope", &exp("{ exists: true }"), &doc, &mut f);
        check_json("/status", &exp("{ exists: false }"), &doc, &mut f);
        check_json("/count", &exp("{ regex: '^o' }"), &doc, &mut f);
        assert_eq!(f.len(), 6, "{f:?}");
        assert!(f[0].contains("\"ok\"") && f[0].contains("\"bad\""));
        assert!(f[1].contains("max 2"));
        assert!(f[2].contains("type number"));
        assert!(f[3].contains("missing"));
        assert!(f[4].contains("should not"));
        assert!(f[5].contains("does not match"));
    }

    #[test]
    fn schema_is_generated() {
        let schema = schemars::schema_for!(Spec);
        let text = serde_json::to_string(&schema).unwrap();
        assert!(text.contains("min_cert_days") && text.contains("JSON Pointer"));
    }
}
