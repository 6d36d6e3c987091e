//! The `dns` probe: a name resolves through the system resolver (`getaddrinfo`, so
//! `/etc/hosts` and `nsswitch.conf` apply, exactly as for the services that will use it), and
//! optionally to the addresses expected.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::duration::DurationSpec;
use crate::net::resolve::resolve_with_timeout;
use crate::net::stats;
use crate::outcome::{Measurement, ProbeOutcome};
use crate::probe::{Artifact, ProbeContext, ProbeIssue};

/// Lookup timeout when the spec gives none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// A host name that must resolve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "DnsProbe")]
pub struct Spec {
    /// Host name to look up (no port, no scheme).
    pub name: String,
    /// Addresses that must all be among the answers (IPv4 or IPv6).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<IpAddr>,
    /// When true, the answers must be exactly `addresses` (no others). Default false.
    #[serde(default)]
    pub exact: bool,
    /// Time allowed for the lookup (default 5s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<DurationSpec>,
}

/// Load-time problems: a name that is not a host name, `exact` without addresses.
pub fn validate(spec: &Spec) -> Vec<ProbeIssue> {
    let mut issues = Vec::new();
    let name = spec.name.trim();
    if name.is_empty() || name.contains("://") || name.contains('/') {
        issues.push(
            ProbeIssue::new("name", format!("`{}` is not a host name", spec.name))
                .hint("drop any scheme, path or port: `api.example.com`"),
        );
    }
    if spec.exact && spec.addresses.is_empty() {
        issues.push(ProbeIssue::new("exact", "`exact: true` needs `addresses`"));
    }
    issues
}

super::validated_kind!("dns");

fn run(spec: &Spec, ctx: &ProbeContext) -> ProbeOutcome {
    let name = spec.name.trim();
    let timeout = spec.timeout.map(DurationSpec::as_duration).unwrap_or(DEFAULT_TIMEOUT);
    let timeout = timeout.min(ctx.remaining()).max(Duration::from_millis(1));
    let started = Instant::now();
    // Port 0: only the address part is used. Brackets let IPv6 literals through.
    let query = if name.contains(':') { format!("[{name}]:0") } else { format!("{name}:0") };
    let resolved = resolve_with_timeout(&query, timeout);
    let elapsed = stats::ms(started.elapsed());
    let addrs: BTreeSet<IpAddr> = match resolved {
        Ok(a) => a.into_iter().map(|s| s.ip()).collect(),
        Err(e) => {
            return ProbeOutcome::fail(format!("dns {name}: {}", e.replace(&query, name)))
                .with_measurement(Measurement::new("lookup", elapsed, "ms"));
        }
    };
    let shown: Vec<String> = addrs.iter().map(IpAddr::to_string).collect();
    let evidence = json!({
        "name": name,
        "resolver": "system (getaddrinfo)",
        "addresses": shown,
        "expected": spec.addresses,
        "exact": spec.exact,
        "lookup_ms": elapsed,
    });
    let missing: Vec<String> =
        spec.addresses.iter().filter(|a| !addrs.contains(a)).map(IpAddr::to_string).collect();
    let expected: BTreeSet<IpAddr> = spec.addresses.iter().copied().collect();
    let extra: Vec<String> = if spec.exact {
        addrs.difference(&expected).map(IpAddr::to_string).collect()
    } else {
        Vec::new()
    };
    let outcome = if !missing.is_empty() {
        ProbeOutcome::fail(format!(
            "dns {name}: resolves to {} but not to {}",
            shown.join(", "),
            missing.join(", ")
        ))
    } else if !extra.is_empty() {
        ProbeOutcome::fail(format!(
            "dns {name}: also resolves to {} (exact: true)",
            extra.join(", ")
        ))
    } else {
        ProbeOutcome::pass(format!("dns {name}: resolves to {}", shown.join(", ")))
    };
    outcome
        .with_measurement(Measurement::new("lookup", elapsed, "ms"))
        .with_measurement(Measurement::new("addresses", addrs.len() as f64, "count"))
        .with_artifact(Artifact::json("dns.json", &evidence))
}
