//! TLS for the HTTP probes: a rustls client configuration built from the spec (verification on
//! or off, a CA file, a client certificate), whose certificate verifier also keeps the server's
//! leaf certificate so `min_cert_days` can read its expiry without a second connection.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use serde::{Deserialize, Serialize};

use crate::probe::ProbeContext;

/// TLS settings for `https://` URLs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TlsSpec {
    /// Verify the server certificate chain and host name (default true). Turning this off
    /// still records the certificate, so `min_cert_days` keeps working.
    #[serde(default = "default_true")]
    pub verify: bool,
    /// PEM file with the CA certificates to trust instead of the built-in Mozilla roots
    /// (relative to the repository).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// PEM file with the client certificate chain to present (mutual TLS); needs `client_key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_cert: Option<PathBuf>,
    /// PEM file with the client certificate's private key (PKCS#8, PKCS#1 or SEC1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_key: Option<PathBuf>,
}

fn default_true() -> bool {
    true
}

impl Default for TlsSpec {
    fn default() -> Self {
        TlsSpec { verify: true, ca_file: None, client_cert: None, client_key: None }
    }
}

/// A client configuration plus the slot where the handshake leaves the server's leaf certificate.
#[derive(Clone)]
pub struct TlsSetup {
    pub config: Arc<rustls::ClientConfig>,
    pub peer_cert: Arc<Mutex<Option<Vec<u8>>>>,
}

impl TlsSetup {
    /// DER of the last server certificate seen, if a TLS handshake happened.
    pub fn peer_certificate(&self) -> Option<Vec<u8>> {
        self.peer_cert.lock().ok().and_then(|g| g.clone())
    }
}

fn provider() -> Arc<CryptoProvider> {
    // Explicit provider: never depend on a process-wide default another crate may change.
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Builds the client configuration. Errors name the file and what is wrong with it.
pub fn build(spec: &TlsSpec, ctx: &ProbeContext) -> Result<TlsSetup, String> {
    let provider = provider();
    let mut roots = RootCertStore::empty();
    match &spec.ca_file {
        Some(path) => {
            let path = ctx.resolve(path);
            let certs = CertificateDer::pem_file_iter(&path)
                .map_err(|e| format!("tls.ca_file {}: {e}", path.display()))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("tls.ca_file {}: {e}", path.display()))?;
            if certs.is_empty() {
                return Err(format!("tls.ca_file {}: no PEM certificate found", path.display()));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| {
                    format!("tls.ca_file {}: unusable certificate: {e}", path.display())
                })?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| format!("tls: cannot build certificate verifier: {e}"))?;
    let peer_cert = Arc::new(Mutex::new(None));
    let verifier = Arc::new(RecordingVerifier {
        inner,
        verify: spec.verify,
        provider: provider.clone(),
        seen: peer_cert.clone(),
    });
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("tls: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let config = match (&spec.client_cert, &spec.client_key) {
        (None, None) => builder.with_no_client_auth(),
        (Some(cert), Some(key)) => {
            let cert_path = ctx.resolve(cert);
            let key_path = ctx.resolve(key);
            let chain = CertificateDer::pem_file_iter(&cert_path)
                .map_err(|e| format!("tls.client_cert {}: {e}", cert_path.display()))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("tls.client_cert {}: {e}", cert_path.display()))?;
            if chain.is_empty() {
                return Err(format!(
                    "tls.client_cert {}: no PEM certificate found",
                    cert_path.display()
                ));
            }
            let key = PrivateKeyDer::from_pem_file(&key_path)
                .map_err(|e| format!("tls.client_key {}: {e}", key_path.display()))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("tls.client_cert/client_key do not form a usable pair: {e}"))?
        }
        _ => return Err("tls: `client_cert` and `client_key` go together; set both".into()),
    };
    Ok(TlsSetup { config: Arc::new(config), peer_cert })
}

/// Whole days from now until the certificate's `notAfter` (negative when expired).
pub fn days_until_expiry(der: &[u8]) -> Result<f64, String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| format!("cannot parse the server certificate: {e}"))?;
    let not_after = cert.validity().not_after.timestamp();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    Ok(((not_after - now) as f64 / 86400.0).floor())
}

/// Delegates to webpki (unless verification is off) and remembers the leaf certificate.
#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    verify: bool,
    provider: Arc<CryptoProvider>,
    seen: Arc<Mutex<Option<Vec<u8>>>>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut slot) = self.seen.lock() {
            *slot = Some(end_entity.to_vec());
        }
        if self.verify {
            self.inner.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            )
        } else {
            Ok(ServerCertVerified::assertion())
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}
