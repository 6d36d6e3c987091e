//! The `load` probe: a bounded smoke load against one URL. `concurrency` worker threads, each
//! with its own keep-alive connection, send requests until `requests` have been sent or
//! `duration` has passed (at least one bound is required), optionally paced to a total `rate`.
//! Latencies go into an HDR histogram; the error rate and percentiles are held to the
//! thresholds, and `load.json` keeps the figures. The check's deadline and Ctrl-C stop it early
//! (reported as `error`, with what was measured so far).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::duration::{DurationSpec, format_duration};
use crate::net::client::{HttpFailure, RequestPlan};
use crate::net::stats::{LatencyHistogram, round3};
use crate::net::{Body, HttpAgent, Method, StatusSpec, TlsSpec, redact, tls};
use crate::outcome::{Measurement, ProbeOutcome, Status};
use crate::probe::{Artifact, ProbeContext, ProbeIssue};

/// Per-request timeout when the spec gives none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Most worker threads one check may start.
pub const MAX_CONCURRENCY: u32 = 1024;

/// A bounded load against one URL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "LoadProbe")]
pub struct Spec {
    /// Absolute `http://` or `https://` URL.
    pub url: String,
    /// HTTP method (default GET).
    #[serde(default)]
    pub method: Method,
    /// Request headers (credential values never reach evidence).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Request body: `text`, `json` or `form`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
    /// Total requests to send. At least one of `requests` and `duration` is required; with
    /// both, whichever is reached first ends the load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<u64>,
    /// How long to keep sending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<DurationSpec>,
    /// Parallel workers, each with its own keep-alive connection (default 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u32>,
    /// Total requests per second across workers; unpaced (as fast as possible) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// Time allowed for each request (default 10s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<DurationSpec>,
    /// TLS settings for `https://` URLs.
    #[serde(default)]
    pub tls: TlsSpec,
    /// Status codes that count as success (default `200-399`); anything else, and any request
    /// without a response, is an error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusSpec>,
    /// Highest acceptable share of failed requests, 0–1 (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_error_rate: Option<f64>,
    /// Highest acceptable median latency, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_p50_ms: Option<f64>,
    /// Highest acceptable 95th-percentile latency, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_p95_ms: Option<f64>,
    /// Highest acceptable 99th-percentile latency, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_p99_ms: Option<f64>,
}

/// What one worker saw.
#[derive(Default)]
struct WorkerTally {
    hist: LatencyHistogram,
    ok: u64,
    bad_status: u64,
    no_response: u64,
    statuses: BTreeMap<u16, u64>,
    failures: BTreeMap<String, u64>,
}

/// The load's figures, also what `load.json` records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadReport {
    pub sent: u64,
    pub ok: u64,
    pub errors: u64,
    pub error_rate: f64,
    pub elapsed_s: f64,
    pub throughput_rps: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
    pub statuses: BTreeMap<u16, u64>,
    /// Why requests got no response, with counts.
    pub failures: BTreeMap<String, u64>,
}

/// Load-time problems: the bound, ranges, the URL. All at once, each naming its field.
pub fn validate(spec: &Spec) -> Vec<ProbeIssue> {
    let mut issues = Vec::new();
    if spec.requests.is_none() && spec.duration.is_none() {
        issues.push(
            ProbeIssue::new("requests", "a load needs a bound: set `requests` or `duration`")
                .hint("e.g. `requests: 1000` or `duration: 30s`"),
        );
    }
    if spec.requests == Some(0) {
        issues.push(ProbeIssue::new("requests", "must be at least 1"));
    }
    if spec.duration.is_some_and(|d| d.as_duration().is_zero()) {
        issues.push(ProbeIssue::new("duration", "must be above zero"));
    }
    let c = spec.concurrency.unwrap_or(4);
    if c == 0 || c > MAX_CONCURRENCY {
        issues
            .push(ProbeIssue::new("concurrency", format!("{c} is outside 1..={MAX_CONCURRENCY}")));
    }
    if let Some(r) = spec.rate
        && !(r.is_finite() && r > 0.0)
    {
        issues.push(ProbeIssue::new(
            "rate",
            format!("{r} must be a positive number of requests per second"),
        ));
    }
    if let Some(e) = spec.max_error_rate
        && !(0.0..=1.0).contains(&e)
    {
        issues.push(
            ProbeIssue::new("max_error_rate", format!("{e} is outside 0–1"))
                .hint("write 0.01 for 1%"),
        );
    }
    match url::Url::parse(&spec.url) {
        Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {}
        Ok(u) => issues
            .push(ProbeIssue::new("url", format!("scheme `{}` is not http or https", u.scheme()))),
        Err(e) => issues.push(ProbeIssue::new("url", format!("`{}`: {e}", redact::url(&spec.url)))),
    }
    if spec.tls.client_cert.is_some() != spec.tls.client_key.is_some() {
        issues.push(ProbeIssue::new("tls", "`client_cert` and `client_key` go together; set both"));
    }
    issues
}

super::validated_kind!("load");

fn run(spec: &Spec, ctx: &ProbeContext) -> ProbeOutcome {
    let tls_setup = match tls::build(&spec.tls, ctx) {
        Ok(t) => t,
        Err(e) => return ProbeOutcome::error(e),
    };
    let timeout = spec.timeout.map(DurationSpec::as_duration).unwrap_or(DEFAULT_TIMEOUT);
    let concurrency = spec.concurrency.unwrap_or(4);
    let status_ok = spec.status.clone().unwrap_or_else(StatusSpec::success_or_redirect);
    let headers: Vec<(String, String)> =
        spec.headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let plan = RequestPlan {
        method: spec.method,
        url: &spec.url,
        headers: &headers,
        query: &[],
        body: spec.body.as_ref(),
    };
    let next = AtomicU64::new(0);
    let started = Instant::now();
    let end = spec.duration.map(|d| started + d.as_duration());
    let stop_reason = std::sync::Mutex::new(None::<String>);

    let tallies: Vec<WorkerTally> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..concurrency)
            .map(|_| {
                // One agent per worker: its pool holds that worker's keep-alive connection.
                let agent = HttpAgent::new(timeout, 0, tls_setup.clone());
                let (next, status_ok, stop_reason, plan) = (&next, &status_ok, &stop_reason, &plan);
                scope.spawn(move || {
                    let mut tally = WorkerTally::default();
                    loop {
                        if ctx.cancelled() || ctx.remaining().is_zero() {
                            let why = if ctx.cancelled() {
                                "cancelled"
                            } else {
                                "check deadline reached"
                            };
                            stop_reason
                                .lock()
                                .map(|mut s| s.get_or_insert(why.to_string()).clone())
                                .ok();
                            break;
                        }
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if spec.requests.is_some_and(|n| i >= n) {
                            break;
                        }
                        if let Some(rate) = spec.rate {
                            let due = started + Duration::from_secs_f64(i as f64 / rate);
                            if end.is_some_and(|e| due >= e) {
                                break;
                            }
                            let wait = due.saturating_duration_since(Instant::now());
                            if !wait.is_zero() {
                                std::thread::sleep(wait.min(ctx.remaining()));
                                if ctx.remaining().is_zero() {
                                    continue;
                                }
                            }
                        }
                        if end.is_some_and(|e| Instant::now() >= e) {
                            break;
                        }
                        let left = timeout.min(ctx.remaining()).max(Duration::from_millis(1));
                        match agent.send(plan, left, 0) {
                            Ok(reply) => {
                                tally.hist.record(reply.elapsed);
                                *tally.statuses.entry(reply.status).or_default() += 1;
                                if status_ok.matches(reply.status) {
                                    tally.ok += 1;
                                } else {
                                    tally.bad_status += 1;
                                }
                            }
                            Err(HttpFailure { message, .. }) => {
                                tally.no_response += 1;
                                *tally.failures.entry(message).or_default() += 1;
                            }
                        }
                    }
                    tally
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let elapsed = started.elapsed();
    let report = summarize(&tallies, elapsed);
    let stopped = stop_reason.into_inner().ok().flatten();
    judge(spec, &status_ok, report, stopped, concurrency)
}

fn summarize(tallies: &[WorkerTally], elapsed: Duration) -> LoadReport {
    let mut hist = LatencyHistogram::new();
    let (mut ok, mut errors) = (0u64, 0u64);
    let mut statuses = BTreeMap::new();
    let mut failures = BTreeMap::new();
    for t in tallies {
        hist.merge(&t.hist);
        ok += t.ok;
        errors += t.bad_status + t.no_response;
        for (k, v) in &t.statuses {
            *statuses.entry(*k).or_default() += v;
        }
        for (k, v) in &t.failures {
            *failures.entry(k.clone()).or_default() += v;
        }
    }
    let sent = ok + errors;
    let secs = elapsed.as_secs_f64().max(1e-9);
    LoadReport {
        sent,
        ok,
        errors,
        error_rate: if sent == 0 { 0.0 } else { errors as f64 / sent as f64 },
        elapsed_s: round3(secs),
        throughput_rps: round3(sent as f64 / secs),
        p50_ms: round3(hist.percentile_ms(50.0)),
        p90_ms: round3(hist.percentile_ms(90.0)),
        p95_ms: round3(hist.percentile_ms(95.0)),
        p99_ms: round3(hist.percentile_ms(99.0)),
        max_ms: round3(hist.max_ms()),
        mean_ms: round3(hist.mean_ms()),
        statuses,
        failures,
    }
}

fn judge(
    spec: &Spec,
    status_ok: &StatusSpec,
    r: LoadReport,
    stopped: Option<String>,
    concurrency: u32,
) -> ProbeOutcome {
    let max_error_rate = spec.max_error_rate.unwrap_or(0.0);
    let mut failures = Vec::new();
    if r.sent > 0 && r.error_rate > max_error_rate {
        let cause = r
            .failures
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(m, n)| format!("; most common: {m} ×{n}"))
            .unwrap_or_else(|| {
                let bad: Vec<String> = r
                    .statuses
                    .iter()
                    .filter(|(s, _)| !status_ok.matches(**s))
                    .map(|(s, n)| format!("{s} ×{n}"))
                    .collect();
                format!("; statuses {}", bad.join(", "))
            });
        failures.push(format!(
            "error rate {:.2}% ({} of {}) above {:.2}%{cause}",
            r.error_rate * 100.0,
            r.errors,
            r.sent,
            max_error_rate * 100.0
        ));
    }
    let mut measurements = vec![
        Measurement::new("requests", r.sent as f64, "count"),
        Measurement::new("error_rate", round3(r.error_rate), "ratio")
            .with_threshold(format!("<= {max_error_rate}")),
        Measurement::new("throughput", r.throughput_rps, "rps"),
        Measurement::new("latency_p90", r.p90_ms, "ms"),
        Measurement::new("latency_max", r.max_ms, "ms"),
    ];
    for (name, value, limit) in [
        ("latency_p50", r.p50_ms, spec.max_p50_ms),
        ("latency_p95", r.p95_ms, spec.max_p95_ms),
        ("latency_p99", r.p99_ms, spec.max_p99_ms),
    ] {
        let mut m = Measurement::new(name, value, "ms");
        if let Some(limit) = limit {
            m = m.with_threshold(format!("<= {limit}"));
            if r.ok + r.errors > 0 && value > limit {
                failures
                    .push(format!("{} {value} ms above {limit} ms", name.replace("latency_", "")));
            }
        }
        measurements.push(m);
    }
    let target = match (spec.requests, spec.duration) {
        (Some(n), Some(d)) => format!("{n} requests or {}", format_duration(d.as_duration())),
        (Some(n), None) => format!("{n} requests"),
        (None, Some(d)) => format_duration(d.as_duration()),
        (None, None) => String::new(),
    };
    let shown_url = redact::url(&spec.url);
    let summary = format!(
        "{} {shown_url}: {} requests, {:.1} req/s, p95 {} ms, errors {:.2}%",
        spec.method.as_str(),
        r.sent,
        r.throughput_rps,
        r.p95_ms,
        r.error_rate * 100.0
    );
    let (status, reason) = if let Some(why) = &stopped {
        (Status::Error, format!("{summary}; stopped early ({why}) before {target}"))
    } else if r.sent == 0 {
        (Status::Error, format!("{summary}; no request completed"))
    } else if failures.is_empty() {
        (Status::Pass, summary)
    } else {
        (Status::Fail, format!("{}: {}", shown_url, failures.join("; ")))
    };
    let evidence = json!({
        "url": shown_url,
        "method": spec.method.as_str(),
        "bound": target,
        "concurrency": concurrency,
        "rate": spec.rate,
        "stopped_early": stopped,
        "thresholds": {
            "max_error_rate": max_error_rate,
            "max_p50_ms": spec.max_p50_ms,
            "max_p95_ms": spec.max_p95_ms,
            "max_p99_ms": spec.max_p99_ms,
        },
        "result": r,
        "failures": failures,
    });
    let mut outcome = ProbeOutcome::new(status, reason);
    outcome.measurements = measurements;
    outcome.with_artifact(Artifact::json("load.json", &evidence))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> Spec {
        serde_yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn a_bound_is_required_and_ranges_are_checked() {
        let e = validate(&spec("url: http://127.0.0.1:1/\n"));
        assert!(e[0].message.contains("`requests` or `duration`"), "{e:?}");
        let e = validate(&spec(
            "url: ftp://x/\nrequests: 0\nconcurrency: 0\nmax_error_rate: 5\nrate: -1\n",
        ));
        let fields: Vec<&str> = e.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(fields, ["requests", "concurrency", "rate", "max_error_rate", "url"], "{e:?}");
        assert!(validate(&spec("url: http://x/\nduration: 2s\n")).is_empty());
    }

    #[test]
    fn summary_merges_workers() {
        let mut a = WorkerTally::default();
        let mut b = WorkerTally::default();
        for i in 1..=90 {
            a.hist.record(Duration::from_millis(i));
        }
        a.ok = 90;
        b.hist.record(Duration::from_millis(500));
        b.bad_status = 1;
        b.no_response = 9;
        b.failures.insert("connection refused".into(), 9);
        let r = summarize(&[a, b], Duration::from_secs(2));
        assert_eq!((r.sent, r.ok, r.errors), (100, 90, 10));
        assert!((r.error_rate - 0.1).abs() < 1e-9);
        assert!((r.throughput_rps - 50.0).abs() < 1e-9);
        assert!((r.max_ms - 500.0).abs() < 1.0);
    }
}
