//! Shared plumbing for the network probes (`http`, `tcp`, `dns`, `load`, `openapi`): the HTTP
//! client setup (ureq agents with a rustls configuration), the request/TLS spec pieces several
//! probes share, status-code expectations, latency statistics, and the redaction applied to
//! HTTP exchanges before they become evidence.

pub mod client;
pub mod exchange;
pub mod redact;
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
    use crate::probe::{dns, http, load, openapi, tcp};

    /// Every network probe spec yields a JSON Schema whose properties all carry a description
    /// (the `///` docs), and refuses unknown keys.
    #[test]
    fn specs_have_documented_schemas() {
        let schemas = [
            schemars::schema_for!(http::Spec),
            schemars::schema_for!(tcp::Spec),
            schemars::schema_for!(dns::Spec),
            schemars::schema_for!(load::Spec),
            schemars::schema_for!(openapi::Spec),
        ];
        for schema in schemas {
            let v = schema.as_value();
            assert_eq!(v["additionalProperties"], false, "{v}");
            let props = v["properties"].as_object().expect("properties");
            for (name, p) in props {
                let described = p.get("description").is_some()
                    || p.get("allOf").is_some()
                    || p.get("$ref").is_some();
                assert!(described, "{name} has no description: {p}");
            }
        }
    }
}
