//! Shared plumbing for the network probes (`http`, `tcp`, `dns`, `load`, `openapi`): name
//! resolution with a timeout, the HTTP client setup (ureq agents with a rustls configuration),
//! the request/TLS spec pieces several probes share, status-code expectations, latency
//! statistics, and the redaction applied to HTTP exchanges before they become evidence.

pub mod client;
pub mod exchange;
pub mod redact;
pub mod resolve;
pub mod spec;
pub mod stats;
pub mod status;
pub mod tls;

pub use client::{HttpAgent, HttpFailure, HttpReply};
pub use spec::{Body, Method};
pub use status::StatusSpec;
pub use tls::TlsSpec;

#[cfg(test)]
mod tests {
    use crate::probe::{dns, http, openapi, tcp};

    /// `validate` names the field of each load-time problem, for the checklist diagnostics.
    #[test]
    fn load_time_issues_name_their_field() {
        let fields = |issues: Vec<crate::probe::ProbeIssue>| -> Vec<String> {
            issues.into_iter().map(|i| i.field).collect()
        };
        let h: http::Spec = serde_yaml::from_str(
            "url: ftp://x\nsamples: 1\ntls: { client_key: k.pem }\nexpect: { max_p95_ms: 5, body: { regex: '(' }, json: { a: 1 } }\n",
        )
        .unwrap();
        assert_eq!(
            fields(http::validate(&h)),
            ["url", "expect.max_p95_ms", "tls", "expect.body.regex", "expect.json.a"]
        );
        let t: tcp::Spec = serde_yaml::from_str("address: localhost\nbanner: '['\n").unwrap();
        assert_eq!(fields(tcp::validate(&t)), ["address", "banner"]);
        let t: tcp::Spec = serde_yaml::from_str("address: '[::1]:8080'\n").unwrap();
        assert!(tcp::validate(&t).is_empty());
        let d: dns::Spec = serde_yaml::from_str("name: http://x/\nexact: true\n").unwrap();
        assert_eq!(fields(dns::validate(&d)), ["name", "exact"]);
        let o: openapi::Spec =
            serde_yaml::from_str("spec: a.yaml\nbase_url: localhost:8000\nmethods: []\n").unwrap();
        assert_eq!(fields(openapi::validate(&o)), ["base_url", "methods"]);
    }
}
