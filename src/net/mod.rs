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
