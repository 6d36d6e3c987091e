//! A small threaded HTTP/1.1 test server (std `TcpListener`, keep-alive, one thread per
//! connection), optionally behind rustls with certificates generated at test time by rcgen,
//! plus helpers to build a `ProbeContext`. Used by `net.rs` and by `benches/net.rs`.
//!
//! Routes: `/status/N`, `/json`, `/text`, `/notjson`, `/redirect/N`, `/slow/MS`, `/hang`,
//! `/echo`, `/cookie`, `/big`, `/pets`, `/health`, `/broken`, `/teapot`; anything else is 404.
#![allow(dead_code, reason = "the tests and the bench each use a different part")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use readyctl::probe::ProbeContext;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

pub struct TestServer {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT` or `https://localhost:PORT`.
    pub base: String,
}

impl TestServer {
    pub fn http() -> Self {
        Self::start(None, "http", "127.0.0.1")
    }

    pub fn https(config: Arc<rustls::ServerConfig>) -> Self {
        Self::start(Some(config), "https", "localhost")
    }

    fn start(tls: Option<Arc<rustls::ServerConfig>>, scheme: &str, host: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let tls = tls.clone();
                std::thread::spawn(move || {
                    let _ = stream.set_nodelay(true);
                    match tls {
                        None => serve_connection(stream),
                        Some(cfg) => {
                            let Ok(conn) = rustls::ServerConnection::new(cfg) else { return };
                            serve_connection(rustls::StreamOwned::new(conn, stream));
                        }
                    }
                });
            }
        });
        TestServer { addr, base: format!("{scheme}://{host}:{}", addr.port()) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn read_request<R: BufRead>(r: &mut R) -> Option<Request> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(Request { method, target, headers, body })
}

fn serve_connection<S: Read + Write>(stream: S) {
    let mut reader = BufReader::new(stream);
    while let Some(req) = read_request(&mut reader) {
        let close =
            req.headers.iter().any(|(k, v)| k == "connection" && v.eq_ignore_ascii_case("close"));
        let Some(response) = route(&req) else {
            // `/hang`: the request was read; never answer, hold the socket a while.
            std::thread::sleep(Duration::from_secs(60));
            return;
        };
        if reader.get_mut().write_all(&response).is_err() || reader.get_mut().flush().is_err() {
            return;
        }
        if close {
            return;
        }
    }
}

fn response(status: u16, content_type: &str, extra: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n",
        reason(status),
        body.len()
    );
    for (k, v) in extra {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        302 => "Found",
        404 => "Not Found",
        418 => "I'm a teapot",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn route(req: &Request) -> Option<Vec<u8>> {
    let (path, query) = req.target.split_once('?').unwrap_or((&req.target, ""));
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let json = "application/json";
    Some(match segments.as_slice() {
        ["status", code] => {
            let code: u16 = code.parse().unwrap_or(400);
            response(code, "text/plain", &[], format!("status {code}").as_bytes())
        }
        ["json"] => response(
            200,
            json,
            &[],
            br#"{"status":"ok","count":3,"items":[1,2],"name":"readyctl","ratio":0.5}"#,
        ),
        ["text"] => response(200, "text/plain; charset=utf-8", &[], b"hello world"),
        ["notjson"] => response(200, json, &[], b"<html>oops, an error page</html>"),
        ["redirect", n] => {
            let n: u32 = n.parse().unwrap_or(0);
            if n == 0 {
                response(200, "text/plain", &[], b"landed")
            } else {
                response(302, "text/plain", &[("Location", format!("/redirect/{}", n - 1))], b"")
            }
        }
        ["slow", ms] => {
            std::thread::sleep(Duration::from_millis(ms.parse().unwrap_or(100)));
            response(200, "text/plain", &[], b"slow")
        }
        ["hang"] => return None,
        ["echo"] => {
            let headers: serde_json::Map<String, serde_json::Value> =
                req.headers.iter().map(|(k, v)| (k.clone(), v.clone().into())).collect();
            let doc = serde_json::json!({
                "method": req.method,
                "path": path,
                "query": query,
                "headers": headers,
                "body": String::from_utf8_lossy(&req.body),
            });
            response(200, json, &[], doc.to_string().as_bytes())
        }
        ["cookie"] => response(
            200,
            "text/plain",
            &[("Set-Cookie", "session=s3cr3t-cookie; HttpOnly".into()), ("X-Custom", "v1".into())],
            b"cookie set",
        ),
        ["big"] => response(200, "text/plain", &[], &vec![b'x'; 200 * 1024]),
        ["pets"] => response(200, json, &[], br#"[{"id":1,"name":"rex"}]"#),
        ["health"] => response(200, json, &[], br#"{"ok":true}"#),
        ["broken"] => response(500, "text/plain", &[], b"boom"),
        ["teapot"] => response(418, "text/plain", &[], b"short and stout"),
        ["openapi.yaml"] => response(
            200,
            "application/yaml",
            &[],
            include_bytes!("../../fixtures/net/openapi/ok.yaml"),
        ),
        [""] => response(200, "text/plain", &[], b"ok"),
        _ => response(404, "text/plain", &[], b"not found"),
    })
}

/// A listener that accepts connections and never sends or reads a byte.
pub fn silent_listener() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held: Vec<TcpStream> = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    addr
}

/// A listener that greets every connection with `banner`.
pub fn banner_listener(banner: &'static str) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let _ = s.write_all(banner.as_bytes());
            // Keep the connection open a while, as a real server would after its greeting.
            std::thread::spawn(move || {
                let _held = s;
                std::thread::sleep(Duration::from_secs(5));
            });
        }
    });
    addr
}

/// An address nothing listens on (bound, then released).
pub fn closed_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// Certificates generated now: a CA, a server certificate for `localhost`/127.0.0.1 signed by
/// it, and a client certificate signed by it.
pub struct TestPki {
    pub ca_pem: String,
    server_chain: Vec<CertificateDer<'static>>,
    server_key_der: Vec<u8>,
    ca_der: CertificateDer<'static>,
    pub client_cert_pem: String,
    pub client_key_pem: String,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

impl TestPki {
    /// `server_days`: how long the server certificate stays valid from today.
    pub fn new(server_days: i64) -> Self {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(rcgen::DnType::CommonName, "readyctl test CA");
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);

        let server_key = KeyPair::generate().unwrap();
        let mut sp =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        let end = chrono::Utc::now() + chrono::Duration::days(server_days);
        use chrono::Datelike;
        sp.not_after = rcgen::date_time_ymd(end.year(), end.month() as u8, end.day() as u8);
        let start = chrono::Utc::now() - chrono::Duration::days(2);
        sp.not_before = rcgen::date_time_ymd(start.year(), start.month() as u8, start.day() as u8);
        let server_cert = sp.signed_by(&server_key, &issuer).unwrap();

        let client_key = KeyPair::generate().unwrap();
        let mut cp = CertificateParams::new(vec!["client.test".to_string()]).unwrap();
        cp.distinguished_name.push(rcgen::DnType::CommonName, "readyctl test client");
        let client_cert = cp.signed_by(&client_key, &issuer).unwrap();

        TestPki {
            ca_pem: ca_cert.pem(),
            ca_der: ca_cert.der().clone(),
            server_chain: vec![server_cert.der().clone()],
            server_key_der: server_key.serialize_der(),
            client_cert_pem: client_cert.pem(),
            client_key_pem: client_key.serialize_pem(),
        }
    }

    fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.server_key_der.clone()))
    }

    pub fn server_config(&self) -> Arc<rustls::ServerConfig> {
        let cfg = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(self.server_chain.clone(), self.key())
            .unwrap();
        Arc::new(cfg)
    }

    /// A server that requires a client certificate signed by the test CA.
    pub fn mtls_server_config(&self) -> Arc<rustls::ServerConfig> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.ca_der.clone()).unwrap();
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider(),
        )
        .build()
        .unwrap();
        let cfg = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(self.server_chain.clone(), self.key())
            .unwrap();
        Arc::new(cfg)
    }
}

/// A scratch repository directory and the pieces a `ProbeContext` borrows.
pub struct Harness {
    pub repo: PathBuf,
    pub evidence: PathBuf,
    pub cancel: AtomicBool,
}

static NEXT_DIR: AtomicUsize = AtomicUsize::new(0);

impl Harness {
    pub fn new() -> Self {
        let n = NEXT_DIR.fetch_add(1, Ordering::Relaxed);
        let repo = std::env::temp_dir().join(format!(
            "readyctl-net-{}-{n}-{}",
            std::process::id(),
            SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_nanos()
        ));
        let evidence = repo.join(".evidence");
        std::fs::create_dir_all(&evidence).unwrap();
        Harness { repo, evidence, cancel: AtomicBool::new(false) }
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.repo.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    pub fn ctx(&self, budget: Duration) -> ProbeContext<'_> {
        ProbeContext {
            repo: &self.repo,
            check_id: "net.test",
            evidence_dir: &self.evidence,
            run_started: SystemTime::now(),
            deadline: Instant::now() + budget,
            cancel: &self.cancel,
            output_filter: None,
        }
    }

    pub fn repo(&self) -> &Path {
        &self.repo
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.repo);
    }
}
