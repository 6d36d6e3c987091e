//! Ed25519 keys: generation, PEM loading and key ids.
//!
//! Private keys are PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), public keys
//! SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`): the formats of
//! `openssl genpkey -algorithm ed25519` and `openssl pkey -pubout`, so keys move freely between
//! readyctl and openssl.
//!
//! The **key id** of a public key is the one securesystemslib computes by default
//! (`SSlibKey.from_crypto(key).keyid`, its `compute_default_keyid`): the lowercase hex SHA-256
//! of the canonical JSON `{"keytype":"ed25519","keyval":{"public":"<hex of the 32 key
//! bytes>"},"scheme":"ed25519"}`. A DSSE verifier in that ecosystem then matches our
//! signatures with its own key object, without a hand-computed id. Envelopes signed before
//! this used [`legacy_keyid`] (SHA-256 of the DER SubjectPublicKeyInfo); `verify` still
//! recognises it (a keyid is only a hint in DSSE).
//!
//! A key given in [`SIGNING_KEY_ENV`] is taken out of the environment at startup
//! ([`take_signing_key_env`]): with it anyone could sign forged runs, so no check, service or
//! tool readyctl starts may see it.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::atomic;

/// Environment variable holding a PKCS#8 PEM private key (for CI secrets).
pub const SIGNING_KEY_ENV: &str = "READYCTL_SIGNING_KEY";

/// A key problem a person can act on: the source (file or variable) and what is wrong.
#[derive(Debug)]
pub struct KeyError {
    /// Where the key came from: a path, or the environment variable name.
    pub source: String,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source, self.message)
    }
}

impl std::error::Error for KeyError {}

fn key_error(source: impl Into<String>, message: impl Into<String>) -> KeyError {
    KeyError { source: source.into(), message: message.into() }
}

/// Files written by [`keygen`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedKey {
    /// `NAME.key`: PKCS#8 PEM private key, mode 0600.
    pub private_key: PathBuf,
    /// `NAME.pub`: SubjectPublicKeyInfo PEM public key.
    pub public_key: PathBuf,
    /// Key id of the new key (see the module docs).
    pub keyid: String,
}

/// Generates an Ed25519 key pair and writes `NAME.key` (mode 0600 from creation) and
/// `NAME.pub`. Refuses to overwrite either file; nothing is written when one exists.
pub fn keygen(name: &Path) -> Result<GeneratedKey, KeyError> {
    let private_key = with_suffix(name, "key");
    let public_key = with_suffix(name, "pub");
    for p in [&private_key, &public_key] {
        if p.symlink_metadata().is_ok() {
            return Err(key_error(
                p.display().to_string(),
                "already exists; refusing to overwrite",
            ));
        }
    }
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed)
        .map_err(|e| key_error("keygen", format!("no system randomness: {e}")))?;
    let key = SigningKey::from_bytes(&seed);
    seed.fill(0);
    let private_pem = private_key_pem(&key);
    let public_pem = public_key_pem(&key.verifying_key());
    atomic::create_new_atomic(&private_key, private_pem.as_bytes(), 0o600)
        .map_err(|e| key_error(private_key.display().to_string(), e.to_string()))?;
    if let Err(e) = atomic::create_new_atomic(&public_key, public_pem.as_bytes(), 0o644) {
        // Leave no half pair behind: the private key was created by us a moment ago.
        let _ = std::fs::remove_file(&private_key);
        return Err(key_error(public_key.display().to_string(), e.to_string()));
    }
    Ok(GeneratedKey { private_key, public_key, keyid: keyid(&key.verifying_key()) })
}

fn with_suffix(name: &Path, suffix: &str) -> PathBuf {
    let mut s = name.as_os_str().to_owned();
    s.push(".");
    s.push(suffix);
    PathBuf::from(s)
}

/// PKCS#8 v1 PEM of a private key (seed only, as `openssl genpkey` writes it).
pub fn private_key_pem(key: &SigningKey) -> String {
    let pair = ed25519_dalek::pkcs8::KeypairBytes { secret_key: key.to_bytes(), public_key: None };
    pair.to_pkcs8_pem(LineEnding::LF)
        .map(|z| z.to_string())
        .expect("encoding a 32-byte Ed25519 seed cannot fail")
}

/// SubjectPublicKeyInfo PEM of a public key.
pub fn public_key_pem(key: &VerifyingKey) -> String {
    key.to_public_key_pem(LineEnding::LF).expect("encoding an Ed25519 public key cannot fail")
}

/// Key id: securesystemslib's default, the SHA-256 of the key's canonical JSON (see the
/// module docs). The JSON has no optional fields and only hex inside, so it is built as text.
pub fn keyid(key: &VerifyingKey) -> String {
    let canonical = format!(
        r#"{{"keytype":"ed25519","keyval":{{"public":"{}"}},"scheme":"ed25519"}}"#,
        super::hex(key.as_bytes())
    );
    super::hex(&Sha256::digest(canonical.as_bytes()))
}

/// The key id readyctl wrote before it adopted securesystemslib's: lowercase hex SHA-256 of
/// the DER SubjectPublicKeyInfo (`openssl pkey -pubin -outform DER | sha256sum`).
pub fn legacy_keyid(key: &VerifyingKey) -> String {
    let der = key.to_public_key_der().expect("encoding an Ed25519 public key cannot fail");
    super::hex(&Sha256::digest(der.as_bytes()))
}

/// Parses a PKCS#8 PEM private key. `source` names the origin in errors.
pub fn signing_key_from_pem(pem: &str, source: &str) -> Result<SigningKey, KeyError> {
    SigningKey::from_pkcs8_pem(pem.trim())
        .map_err(|e| key_error(source, format!("not an Ed25519 PKCS#8 PEM private key ({e})")))
}

/// Loads a private key from a file.
pub fn load_signing_key(path: &Path) -> Result<SigningKey, KeyError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| key_error(path.display().to_string(), e.to_string()))?;
    signing_key_from_pem(&text, &path.display().to_string())
}

/// The value [`take_signing_key_env`] took (`None` inside: the variable was not set).
static TAKEN: OnceLock<Option<OsString>> = OnceLock::new();

/// Reads [`SIGNING_KEY_ENV`] once, keeps its value for [`signing_key_from_env`] and for
/// redaction ([`signing_key_env_text`]), and removes it from this process: from the
/// environment children inherit, and from the environment block the kernel shows in
/// `/proc/<pid>/environ` (which a child could otherwise read for its parent), whose bytes are
/// overwritten. On Linux the process is then made non-dumpable, so a non-root child cannot
/// read its memory either. Later calls do nothing.
///
/// # Safety
/// Changes the process environment: it must run before any other thread exists (first thing
/// in `main`), like `std::env::remove_var`.
pub unsafe fn take_signing_key_env() {
    if TAKEN.get().is_some() {
        return;
    }
    let value = std::env::var_os(SIGNING_KEY_ENV);
    if value.is_some() {
        // SAFETY: the caller guarantees no other thread exists, so nothing reads or writes the
        // environment concurrently.
        unsafe {
            scrub_environ_block(SIGNING_KEY_ENV);
            std::env::remove_var(SIGNING_KEY_ENV);
        }
        // The key now lives only in this process's memory: not dumpable, its /proc/<pid>/mem
        // and environ belong to root and same-user processes (the checks) cannot attach to it.
        // SAFETY: prctl(PR_SET_DUMPABLE) takes plain integers and touches no memory of ours.
        #[cfg(target_os = "linux")]
        unsafe {
            libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
        }
    }
    let _ = TAKEN.set(value);
}

/// Overwrites with NULs the value bytes of `NAME=value` entries in the C `environ` array. For
/// the environment a process started with, those bytes are the block `/proc/<pid>/environ`
/// reads; `remove_var` alone only drops the pointer to them.
///
/// # Safety
/// No other thread may use the environment meanwhile.
unsafe fn scrub_environ_block(name: &str) {
    unsafe extern "C" {
        static mut environ: *mut *mut libc::c_char;
    }
    let prefix = format!("{name}=");
    // SAFETY: `environ` is the NULL-terminated array of NUL-terminated strings libc keeps; no
    // other thread changes it (caller's contract). Each entry is writable memory (the initial
    // block on the stack, or a copy setenv allocated); only bytes before its NUL are written.
    unsafe {
        let mut entry = environ;
        if entry.is_null() {
            return;
        }
        while !(*entry).is_null() {
            let text = *entry;
            let len = libc::strlen(text);
            let bytes = std::slice::from_raw_parts_mut(text.cast::<u8>(), len);
            if bytes.starts_with(prefix.as_bytes()) {
                bytes[prefix.len()..].fill(0);
            }
            entry = entry.add(1);
        }
    }
}

/// The text of the signing key [`take_signing_key_env`] took from the environment (for
/// redaction: it must never appear in evidence). `None` when none was taken.
pub fn signing_key_env_text() -> Option<String> {
    TAKEN.get()?.as_ref().map(|v| v.to_string_lossy().into_owned()).filter(|v| !v.trim().is_empty())
}

/// The signing key from [`SIGNING_KEY_ENV`] (as taken at startup, else as set now), if the
/// variable is set and not empty.
pub fn signing_key_from_env() -> Result<Option<SigningKey>, KeyError> {
    let value = match TAKEN.get() {
        Some(taken) => taken.clone(),
        None => std::env::var_os(SIGNING_KEY_ENV),
    };
    match value.map(OsString::into_string) {
        Some(Ok(v)) if !v.trim().is_empty() => signing_key_from_pem(&v, SIGNING_KEY_ENV).map(Some),
        Some(Ok(_)) | None => Ok(None),
        Some(Err(_)) => Err(key_error(SIGNING_KEY_ENV, "is not valid UTF-8")),
    }
}

/// The key to sign with: `--key FILE` when given, else [`SIGNING_KEY_ENV`], else `None`.
pub fn resolve_signing_key(key_file: Option<&Path>) -> Result<Option<SigningKey>, KeyError> {
    match key_file {
        Some(p) => load_signing_key(p).map(Some),
        None => signing_key_from_env(),
    }
}

/// Parses a public key PEM. A PKCS#8 private key PEM is accepted too (its public half is used),
/// so `verify --key` works with either file of a pair.
pub fn verifying_key_from_pem(pem: &str, source: &str) -> Result<VerifyingKey, KeyError> {
    let pem = pem.trim();
    if let Ok(k) = VerifyingKey::from_public_key_pem(pem) {
        return Ok(k);
    }
    if let Ok(k) = SigningKey::from_pkcs8_pem(pem) {
        return Ok(k.verifying_key());
    }
    Err(key_error(source, "not an Ed25519 public key (SubjectPublicKeyInfo PEM)"))
}

/// Loads a public key from a file (see [`verifying_key_from_pem`]).
pub fn load_verifying_key(path: &Path) -> Result<VerifyingKey, KeyError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| key_error(path.display().to_string(), e.to_string()))?;
    verifying_key_from_pem(&text, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keygen_writes_a_pair_that_loads_and_refuses_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let name = dir.path().join("ci");
        let g = keygen(&name).unwrap();
        let sk = load_signing_key(&g.private_key).unwrap();
        let vk = load_verifying_key(&g.public_key).unwrap();
        assert_eq!(sk.verifying_key(), vk);
        assert_eq!(keyid(&vk), g.keyid);
        assert_eq!(g.keyid.len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&g.private_key).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let before = std::fs::read(&g.private_key).unwrap();
        let err = keygen(&name).unwrap_err();
        assert!(err.message.contains("refusing to overwrite"), "{err}");
        assert_eq!(std::fs::read(&g.private_key).unwrap(), before);
    }

    #[test]
    fn keyid_is_securesystemslib_default_and_legacy_is_sha256_of_spki_der() {
        let sk = SigningKey::from_bytes(&[7u8; 32]);
        let vk = sk.verifying_key();
        // Computed with securesystemslib 1.6: SSlibKey.from_crypto(Ed25519PublicKey
        // .from_public_bytes(<this key>)).keyid.
        let json = format!(
            "{{\"keytype\":\"ed25519\",\"keyval\":{{\"public\":\"{}\"}},\"scheme\":\"ed25519\"}}",
            crate::evidence::hex(vk.as_bytes())
        );
        assert_eq!(keyid(&vk), crate::evidence::hex(&Sha256::digest(json.as_bytes())));
        // SPKI DER for Ed25519 = fixed 12-byte prefix + 32-byte key.
        let mut der = vec![0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
        der.extend_from_slice(vk.as_bytes());
        assert_eq!(legacy_keyid(&vk), crate::evidence::hex(&Sha256::digest(&der)));
        assert_ne!(keyid(&vk), legacy_keyid(&vk));
    }

    #[test]
    fn rejects_garbage_and_names_the_source() {
        let err = signing_key_from_pem("hello", "KEYFILE").unwrap_err();
        assert_eq!(err.source, "KEYFILE");
        assert!(
            verifying_key_from_pem("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----", "x")
                .is_err()
        );
    }

    #[test]
    fn private_pem_roundtrips_and_public_can_be_taken_from_private() {
        let sk = SigningKey::from_bytes(&[9u8; 32]);
        let pem = private_key_pem(&sk);
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert_eq!(signing_key_from_pem(&pem, "t").unwrap().to_bytes(), sk.to_bytes());
        assert_eq!(verifying_key_from_pem(&pem, "t").unwrap(), sk.verifying_key());
    }
}
