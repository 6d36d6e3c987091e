//! Signed manual sign-offs: the attestation payload, `readyctl attest` (write one) and the
//! evaluation the `manual` probe runs (find, verify, check expiry). An attestation is a DSSE
//! envelope (Ed25519, the same keys as run signing) stored at
//! `attestations/<check-id>/<timestamp>-<by>.dsse.json`, its attachments in the directory
//! `<timestamp>-<by>/` beside it.

use std::path::{Path, PathBuf};

use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::evidence::dsse::{self, Envelope};

/// DSSE payload type of an attestation.
pub const PAYLOAD_TYPE: &str = "application/vnd.readyctl.attestation+json";
/// `_type` inside the payload.
pub const ATTESTATION_TYPE: &str = "https://readyctl.dev/attestation/v1";
/// Directory (relative to the repository) holding attestations.
pub const ATTESTATIONS_DIR: &str = "attestations";

/// What a person attests: the signed payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attestation {
    #[serde(rename = "_type")]
    pub kind: String,
    pub check: String,
    pub by: String,
    pub role: String,
    pub statement: String,
    /// RFC 3339 UTC.
    pub created: String,
    /// `YYYY-MM-DD` (valid through that day, UTC) or absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// A file attached to an attestation, relative to the check's attestation directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub path: String,
    pub sha256: String,
}

/// A public key trusted to sign attestations, by the name the checklist gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct TrustedSigner {
    pub name: String,
    pub key: VerifyingKey,
}

/// What `readyctl attest` is asked to write.
pub struct AttestRequest<'a> {
    pub repo: &'a Path,
    pub check: &'a str,
    pub by: &'a str,
    pub role: &'a str,
    pub statement: &'a str,
    pub expires: Option<chrono::NaiveDate>,
    pub attach: &'a [PathBuf],
    pub now: chrono::DateTime<chrono::Utc>,
}

/// A check id is also a directory name: refuse anything that could leave `attestations/`.
pub fn valid_check_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('.')
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// `Alice Smith` → `alice-smith` (file-name safe).
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_string();
    if out.is_empty() { "anon".into() } else { out }
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = sha2::Sha256::new();
    std::io::copy(&mut f, &mut h)?;
    Ok(crate::text::hex(&h.finalize()))
}

/// Writes a signed attestation (and copies its attachments beside it), each file atomically;
/// returns the envelope's path.
pub fn write(req: &AttestRequest<'_>, key: &SigningKey) -> anyhow::Result<PathBuf> {
    use anyhow::Context;
    anyhow::ensure!(valid_check_id(req.check), "invalid check id `{}`", req.check);
    anyhow::ensure!(!req.statement.trim().is_empty(), "--statement must not be empty");
    anyhow::ensure!(!req.by.trim().is_empty(), "--by must not be empty");
    let dir = req.repo.join(ATTESTATIONS_DIR).join(req.check);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let stem = format!("{}-{}", req.now.format("%Y%m%dT%H%M%SZ"), slug(req.by));
    let mut attachments = Vec::new();
    for file in req.attach {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .with_context(|| format!("attachment {} has no usable file name", file.display()))?;
        let rel = format!("{stem}/{name}");
        let dest = dir.join(&rel);
        std::fs::create_dir_all(dir.join(&stem))?;
        let bytes = std::fs::read(file)
            .with_context(|| format!("reading attachment {}", file.display()))?;
        crate::evidence::atomic::write_atomic(&dest, &bytes)
            .with_context(|| format!("writing {}", dest.display()))?;
        attachments.push(Attachment { path: rel, sha256: sha256_file(&dest)? });
    }
    let att = Attestation {
        kind: ATTESTATION_TYPE.into(),
        check: req.check.into(),
        by: req.by.into(),
        role: req.role.into(),
        statement: req.statement.into(),
        created: req.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        expires: req.expires.map(|d| d.format("%Y-%m-%d").to_string()),
        attachments,
    };
    let payload = serde_json::to_vec(&att)?;
    let envelope = dsse::sign(PAYLOAD_TYPE, &payload, key);
    let path = dir.join(format!("{stem}.dsse.json"));
    crate::evidence::atomic::create_new_atomic(&path, &envelope.to_json_bytes(), 0o644)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// The judgement on one attestation file.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Valid: signed by `signer`, in force.
    Valid { attestation: Attestation, signer: String },
    /// Not usable yet or any more (expired, untrusted signer, wrong role, …): `pending`.
    Unusable(String),
    /// Forged or altered (bad signature from a trusted key id, attachment digest mismatch,
    /// unreadable envelope): `fail`.
    Invalid(String),
}

/// Rules from the `manual` probe's spec.
pub struct Rules<'a> {
    pub check: &'a str,
    pub roles: &'a [String],
    pub max_age: Option<std::time::Duration>,
    pub signers: &'a [TrustedSigner],
    pub now: chrono::DateTime<chrono::Utc>,
}

/// Judges one attestation file (`dir` is the check's attestation directory).
pub fn judge(envelope_path: &Path, dir: &Path, rules: &Rules<'_>) -> Verdict {
    let name = envelope_path.file_name().and_then(|n| n.to_str()).unwrap_or("?").to_string();
    let bytes = match std::fs::read(envelope_path) {
        Ok(b) => b,
        Err(e) => return Verdict::Invalid(format!("{name}: cannot read: {e}")),
    };
    let env: Envelope = match serde_json::from_slice(&bytes) {
        Ok(e) => e,
        Err(e) => return Verdict::Invalid(format!("{name}: not a DSSE envelope: {e}")),
    };
    if env.payload_type != PAYLOAD_TYPE {
        return Verdict::Invalid(format!(
            "{name}: payloadType is `{}`, expected `{PAYLOAD_TYPE}`",
            env.payload_type
        ));
    }
    if env.signatures.is_empty() {
        return Verdict::Unusable(format!("{name}: unsigned"));
    }
    let keys: Vec<VerifyingKey> = rules.signers.iter().map(|s| s.key).collect();
    let check = env.verify(&keys);
    let signer = check.valid_keyids.first().and_then(|id| {
        rules.signers.iter().find(|s| crate::evidence::keyid(&s.key) == *id).map(|s| s.name.clone())
    });
    let Some(signer) = signer else {
        let problems = check.problems.join("; ");
        // A signature claiming a trusted key id that does not verify is a forgery or an
        // altered payload; a key nobody trusts is merely not (yet) accepted.
        let forged = check.problems.iter().any(|p| !p.contains("not signed by any trusted key"));
        return if forged {
            Verdict::Invalid(format!("{name}: invalid signature: {problems}"))
        } else {
            Verdict::Unusable(format!("{name}: signed by a key not in trusted_signers"))
        };
    };
    let att: Attestation = match env.payload_bytes().and_then(|p| {
        serde_json::from_slice(&p).map_err(|e| format!("payload is not an attestation: {e}"))
    }) {
        Ok(a) => a,
        Err(e) => return Verdict::Invalid(format!("{name}: {e}")),
    };
    if att.check != rules.check {
        return Verdict::Invalid(format!(
            "{name}: attests check `{}`, not `{}` (moved file?)",
            att.check, rules.check
        ));
    }
    for a in &att.attachments {
        let p = dir.join(&a.path);
        if a.path.contains("..") || Path::new(&a.path).is_absolute() {
            return Verdict::Invalid(format!(
                "{name}: attachment path `{}` leaves the directory",
                a.path
            ));
        }
        match sha256_file(&p) {
            Ok(d) if d == a.sha256 => {}
            Ok(_) => {
                return Verdict::Invalid(format!(
                    "{name}: attachment {} does not match its signed sha256",
                    a.path
                ));
            }
            Err(e) => return Verdict::Invalid(format!("{name}: attachment {}: {e}", a.path)),
        }
    }
    if att.statement.trim().is_empty() {
        return Verdict::Unusable(format!("{name}: empty statement"));
    }
    if !rules.roles.is_empty() && !rules.roles.iter().any(|r| r == &att.role) {
        return Verdict::Unusable(format!(
            "{name}: role `{}` is not one of {}",
            att.role,
            rules.roles.join(", ")
        ));
    }
    if let Some(exp) = &att.expires {
        match chrono::NaiveDate::parse_from_str(exp, "%Y-%m-%d") {
            Ok(d) if d < rules.now.date_naive() => {
                return Verdict::Unusable(format!("{name}: expired on {exp}"));
            }
            Ok(_) => {}
            Err(_) => return Verdict::Invalid(format!("{name}: expires `{exp}` is not a date")),
        }
    }
    match chrono::DateTime::parse_from_rfc3339(&att.created) {
        Ok(created) => {
            if let Some(max) = rules.max_age {
                let age = rules.now.signed_duration_since(created);
                if age.to_std().map(|a| a > max).unwrap_or(false) {
                    return Verdict::Unusable(format!(
                        "{name}: made {} older than max_age {}",
                        att.created,
                        crate::duration::format_duration(max)
                    ));
                }
            }
        }
        Err(_) => {
            return Verdict::Invalid(format!("{name}: created `{}` is not RFC 3339", att.created));
        }
    }
    Verdict::Valid { attestation: att, signer }
}

/// Every `*.dsse.json` in the check's attestation directory, sorted by name (oldest first).
pub fn envelopes(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.to_string_lossy().ends_with(".dsse.json"))
        .collect();
    out.sort();
    Ok(out)
}
