//! The `tcp` probe: something accepts connections at `host:port` within the timeout, and,
//! optionally, its greeting banner (the first bytes it sends) matches a regex.

use std::io::Read;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use regex::bytes::Regex;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::duration::{DurationSpec, format_duration};
use crate::net::resolve::resolve_with_timeout;
use crate::net::stats;
use crate::outcome::{Measurement, ProbeOutcome};
use crate::probe::{Artifact, ProbeContext, ProbeIssue};

/// Connect timeout when the spec gives none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Banner bytes read when the spec gives no limit.
pub const DEFAULT_BANNER_BYTES: usize = 1024;

/// A TCP endpoint that must accept connections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TcpProbe")]
pub struct Spec {
    /// `host:port` (`db.internal:5432`, `127.0.0.1:6379`, `[::1]:8080`).
    pub address: String,
    /// Time allowed for name resolution plus connect, and again for the banner (default 5s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<DurationSpec>,
    /// A regex the server's first bytes must match (e.g. `^SSH-2\.0-`, `^220 `).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banner: Option<String>,
    /// Most banner bytes to read (default 1024).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banner_bytes: Option<usize>,
}

/// Load-time problems: the address shape and the banner regex.
pub fn validate(spec: &Spec) -> Vec<ProbeIssue> {
    check_static(spec).0
}

/// The problems in the spec, and the banner regex compiled (when it compiles).
fn check_static(spec: &Spec) -> (Vec<ProbeIssue>, Option<Regex>) {
    let mut issues = Vec::new();
    match spec.address.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {}
        _ => issues.push(
            ProbeIssue::new("address", format!("`{}` is not `host:port`", spec.address))
                .hint("e.g. `127.0.0.1:5432` or `[::1]:8080`"),
        ),
    }
    let banner = match spec.banner.as_deref().map(|p| (p, Regex::new(p))) {
        Some((_, Ok(re))) => Some(re),
        Some((p, Err(e))) => {
            issues.push(ProbeIssue::new("banner", super::regex_error(p, &e)));
            None
        }
        None => None,
    };
    if spec.banner_bytes == Some(0) {
        issues.push(ProbeIssue::new("banner_bytes", "must be at least 1"));
    }
    (issues, banner)
}

/// A `tcp` spec compiled: the banner regex ready.
#[derive(Debug, Clone)]
pub struct Compiled {
    spec: Spec,
    banner: Option<Regex>,
}

/// Validates the spec and prepares what `run` uses.
fn compile(spec: Spec) -> Result<Compiled, Vec<ProbeIssue>> {
    match check_static(&spec) {
        (issues, banner) if issues.is_empty() => Ok(Compiled { spec, banner }),
        (issues, _) => Err(issues),
    }
}

super::compiled_kind!("tcp");

fn run(compiled: &Compiled, ctx: &ProbeContext) -> ProbeOutcome {
    let Compiled { spec, banner: banner_re } = compiled;
    let timeout = spec.timeout.map(DurationSpec::as_duration).unwrap_or(DEFAULT_TIMEOUT);
    let timeout = timeout.min(ctx.remaining()).max(Duration::from_millis(1));
    let started = Instant::now();
    let addrs = match resolve_with_timeout(&spec.address, timeout) {
        Ok(a) => a,
        Err(e) => return ProbeOutcome::fail(format!("tcp {}: {e}", spec.address)),
    };
    let mut errors = Vec::new();
    let mut stream = None;
    for addr in &addrs {
        let left = timeout.saturating_sub(started.elapsed());
        if left.is_zero() {
            errors.push(format!("{addr}: no time left"));
            break;
        }
        match TcpStream::connect_timeout(addr, left) {
            Ok(s) => {
                stream = Some((s, *addr));
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                errors.push(format!("{addr}: no answer within {}", format_duration(left)))
            }
            Err(e) => errors.push(format!("{addr}: {e}")),
        }
    }
    let connect_ms = stats::ms(started.elapsed());
    let Some((mut stream, addr)) = stream else {
        let mut o = ProbeOutcome::fail(format!(
            "tcp {}: cannot connect ({})",
            spec.address,
            errors.join("; ")
        ));
        o.measurements.push(Measurement::new("elapsed", connect_ms, "ms"));
        return o;
    };
    let mut evidence = json!({
        "address": spec.address,
        "connected_to": addr.to_string(),
        "connect_ms": connect_ms,
    });
    let mut outcome = ProbeOutcome::pass(format!(
        "tcp {}: connected to {addr} in {connect_ms:.1} ms",
        spec.address
    ))
    .with_measurement(Measurement::new("connect", connect_ms, "ms"));
    if let (Some(re), Some(pattern)) = (banner_re, &spec.banner) {
        let limit = spec.banner_bytes.unwrap_or(DEFAULT_BANNER_BYTES).max(1);
        let banner_deadline =
            Instant::now() + timeout.min(ctx.remaining()).max(Duration::from_millis(1));
        let mut banner = Vec::new();
        let mut buf = vec![0u8; limit];
        let mut read_error = None;
        // Read until the regex matches, the limit is reached, the peer closes, or time is up.
        while banner.len() < limit && !re.is_match(&banner) {
            let left = banner_deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || ctx.cancelled() {
                break;
            }
            let _ = stream.set_read_timeout(Some(left));
            match stream.read(&mut buf[..limit - banner.len()]) {
                Ok(0) => break,
                Ok(n) => banner.extend_from_slice(&buf[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    break;
                }
                Err(e) => {
                    read_error = Some(e.to_string());
                    break;
                }
            }
        }
        let text = String::from_utf8_lossy(&banner).into_owned();
        evidence["banner"] = json!(text);
        evidence["banner_bytes"] = json!(banner.len());
        if !re.is_match(&banner) {
            let got = if banner.is_empty() {
                match read_error {
                    Some(e) => format!("reading failed: {e}"),
                    None => format!("the server sent nothing within {}", format_duration(timeout)),
                }
            } else {
                format!("got {:?}", text.chars().take(80).collect::<String>())
            };
            outcome = ProbeOutcome::fail(format!(
                "tcp {}: banner does not match /{pattern}/ ({got})",
                spec.address
            ))
            .with_measurement(Measurement::new("connect", connect_ms, "ms"));
        } else {
            outcome.reason.push_str(", banner matches");
        }
    }
    outcome.with_artifact(Artifact::json("tcp.json", &evidence))
}
