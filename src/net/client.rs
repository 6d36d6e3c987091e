//! The HTTP client every network probe uses: a `ureq` 2 agent (blocking, keep-alive pool,
//! rustls) with the spec's redirect and TLS settings, and a classification of failures into
//! causes a person can act on (DNS, refused, TLS, timeout, redirects, protocol).
//!
//! Why `ureq` 2: a small blocking client (no async runtime to start inside a probe), rustls with
//! the `ring` provider, per-request overall timeouts, and an injectable `rustls::ClientConfig`
//! so the spec's CA file, client certificate and "verify off" all go through one verifier that
//! also records the server certificate.

use std::error::Error as _;
use std::io::Read;
use std::time::{Duration, Instant};

use super::redact;
use super::spec::{Body, Method};
use super::tls::TlsSetup;

/// Body bytes read for expectations; larger bodies are cut here (and flagged).
pub const MAX_BODY_READ: usize = 16 * 1024 * 1024;

/// One request to send.
#[derive(Debug, Clone, Copy)]
pub struct RequestPlan<'a> {
    pub method: Method,
    pub url: &'a str,
    pub headers: &'a [(String, String)],
    pub query: &'a [(String, String)],
    pub body: Option<&'a Body>,
}

/// A response that arrived (any status).
#[derive(Debug, Clone)]
pub struct HttpReply {
    pub status: u16,
    pub status_text: String,
    pub http_version: String,
    /// Header names in lower case, in arrival order (repeated names repeat).
    pub headers: Vec<(String, String)>,
    /// Up to the body limit the caller asked for.
    pub body: Vec<u8>,
    /// Total body bytes received (also when not kept).
    pub body_len: u64,
    pub body_truncated: bool,
    /// The URL that answered, after redirects.
    pub final_url: String,
    /// From sending the request to the last body byte.
    pub elapsed: Duration,
}

impl HttpReply {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }
}

/// Why no response arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    InvalidUrl,
    Dns,
    Refused,
    Connect,
    Tls,
    Timeout,
    TooManyRedirects,
    Protocol,
}

#[derive(Debug, Clone)]
pub struct HttpFailure {
    pub kind: FailureKind,
    /// One line, no secrets: e.g. `TLS handshake failed: invalid peer certificate: UnknownIssuer`.
    pub message: String,
    pub elapsed: Duration,
}

/// A configured client. Cheap to clone (clones share the connection pool).
#[derive(Clone)]
pub struct HttpAgent {
    agent: ureq::Agent,
    pub tls: TlsSetup,
}

impl HttpAgent {
    /// `max_redirects` 0 means redirects are returned, not followed.
    pub fn new(timeout: Duration, max_redirects: u32, tls: TlsSetup) -> Self {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(timeout)
            .timeout(timeout)
            .redirects(max_redirects)
            .tls_config(tls.config.clone())
            .user_agent(concat!("readyctl/", env!("CARGO_PKG_VERSION")))
            .try_proxy_from_env(false)
            .build();
        HttpAgent { agent, tls }
    }

    /// Sends one request and reads the whole body, keeping at most `keep_body` bytes of it.
    /// `timeout` bounds the whole exchange, connect included.
    pub fn send(
        &self,
        plan: &RequestPlan<'_>,
        timeout: Duration,
        keep_body: usize,
    ) -> Result<HttpReply, HttpFailure> {
        let started = Instant::now();
        let mut req = self.agent.request(plan.method.as_str(), plan.url).timeout(timeout);
        for (k, v) in plan.query {
            req = req.query(k, v);
        }
        for (k, v) in plan.headers {
            req = req.set(k, v);
        }
        let result = match plan.body {
            None => req.call(),
            Some(body) => {
                let (bytes, content_type) = body.encode();
                if req.header("content-type").is_none() {
                    req = req.set("Content-Type", content_type);
                }
                req.send_bytes(&bytes)
            }
        };
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(ureq::Error::Transport(t)) => {
                return Err(classify(&t, timeout, started.elapsed()));
            }
        };
        let status = response.status();
        let status_text = response.status_text().to_string();
        let http_version = response.http_version().to_string();
        let final_url = response.get_url().to_string();
        let mut headers = Vec::new();
        for name in response.headers_names() {
            for v in response.all(&name) {
                headers.push((name.to_ascii_lowercase(), v.to_string()));
            }
        }
        let mut reader = response.into_reader();
        let mut body = Vec::new();
        let mut body_len = 0u64;
        let mut buf = [0u8; 16 * 1024];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    body_len += n as u64;
                    if body.len() < keep_body {
                        let take = n.min(keep_body - body.len());
                        body.extend_from_slice(&buf[..take]);
                    }
                }
                Err(e) => {
                    let kind =
                        if is_timeout(&e) { FailureKind::Timeout } else { FailureKind::Protocol };
                    let message = if kind == FailureKind::Timeout {
                        format!(
                            "timed out after {} reading the response body (status {status})",
                            crate::duration::format_duration(timeout)
                        )
                    } else {
                        format!("response body broke off after {body_len} bytes: {e}")
                    };
                    return Err(HttpFailure { kind, message, elapsed: started.elapsed() });
                }
            }
        }
        Ok(HttpReply {
            status,
            status_text,
            http_version,
            headers,
            body_truncated: body_len > body.len() as u64,
            body,
            body_len,
            final_url,
            elapsed: started.elapsed(),
        })
    }
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(e.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock)
}

/// Turns a ureq transport error into a cause and one line of text. The URL is left out (the
/// caller names it, redacted), so no credential in it can leak through here.
fn classify(t: &ureq::Transport, timeout: Duration, elapsed: Duration) -> HttpFailure {
    let mut details = Vec::new();
    if let Some(m) = t.message() {
        details.push(m.to_string());
    }
    let mut tls = false;
    let mut timed_out = false;
    let mut refused = false;
    let mut source = t.source();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            timed_out |= is_timeout(io);
            refused |= io.kind() == std::io::ErrorKind::ConnectionRefused;
            if let Some(inner) = io.get_ref() {
                tls |= inner.downcast_ref::<rustls::Error>().is_some();
            }
        }
        tls |= s.downcast_ref::<rustls::Error>().is_some();
        let text = s.to_string();
        if !details.iter().any(|d| d.contains(&text)) {
            details.push(text);
        }
        source = s.source();
    }
    let detail = details.join(": ");
    let (kind, prefix) = match t.kind() {
        ureq::ErrorKind::InvalidUrl | ureq::ErrorKind::UnknownScheme => {
            (FailureKind::InvalidUrl, "invalid URL")
        }
        ureq::ErrorKind::Dns => (FailureKind::Dns, "DNS lookup failed"),
        ureq::ErrorKind::TooManyRedirects => (FailureKind::TooManyRedirects, "too many redirects"),
        _ if tls => (FailureKind::Tls, "TLS handshake failed"),
        _ if timed_out => (FailureKind::Timeout, "timed out"),
        _ if refused => (FailureKind::Refused, "connection refused"),
        ureq::ErrorKind::ConnectionFailed => (FailureKind::Connect, "connection failed"),
        _ => (FailureKind::Protocol, "request failed"),
    };
    let message = match kind {
        FailureKind::Timeout => format!(
            "no response within {} (timed out{})",
            crate::duration::format_duration(timeout),
            if detail.is_empty() { String::new() } else { format!(": {detail}") }
        ),
        FailureKind::Refused => "connection refused (nothing listening on that port?)".to_string(),
        _ if detail.is_empty() => prefix.to_string(),
        _ => format!("{prefix}: {detail}"),
    };
    HttpFailure { kind, message: redact_message(&message), elapsed }
}

/// Some transport messages quote a URL; drop any credential it carries.
fn redact_message(message: &str) -> String {
    message
        .split(' ')
        .map(|w| if w.contains("://") { redact::url(w) } else { w.to_string() })
        .collect::<Vec<_>>()
        .join(" ")
}
