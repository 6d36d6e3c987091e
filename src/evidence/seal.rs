//! Sealing a run directory: hash every file, write `manifest.json`, optionally the DSSE
//! envelope, then `SHA256SUMS` — each atomically.

use std::path::Path;

use anyhow::{Context as _, bail};
use ed25519_dalek::SigningKey;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::statement::{Subject, build_statement, to_canonical_bytes};
use super::sums::{self, FileDigest};
use super::{ENVELOPE, MANIFEST, SUMS, atomic, dsse, hex, is_sealing_file, keys, verify};

/// What [`seal`] or [`sign`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealReport {
    /// Every manifest subject file, sorted by path.
    pub files: Vec<FileDigest>,
    /// SHA-256 of the `manifest.json` bytes.
    pub manifest_sha256: String,
    /// Key id of the signature written, if signed.
    pub signed_by: Option<String>,
}

/// Seals `run_dir` with a ready-made predicate. See [`seal_with`].
pub fn seal(
    run_dir: &Path,
    predicate: Value,
    signer: Option<&SigningKey>,
) -> anyhow::Result<SealReport> {
    seal_with(run_dir, |_| predicate, signer)
}

/// Seals `run_dir`: hashes every file except `manifest.json`, `manifest.dsse.json`,
/// `SHA256SUMS` and `VERIFY.md` (in parallel), calls `build_predicate` with the digests (so the
/// caller can list evidence files with their sha256 and size without hashing twice), writes
/// `manifest.json`, the envelope when `signer` is given (a stale envelope is removed otherwise),
/// and `SHA256SUMS`.
///
/// The commit subject is taken from `predicate.repository.commit` (named after
/// `predicate.repository.remote`, else `repository`). Symlinks or special files in the run
/// directory are an error: verify would reject them.
pub fn seal_with(
    run_dir: &Path,
    build_predicate: impl FnOnce(&[FileDigest]) -> Value,
    signer: Option<&SigningKey>,
) -> anyhow::Result<SealReport> {
    let (listed, problems) = sums::list_files(run_dir)
        .with_context(|| format!("{}: cannot list the run directory", run_dir.display()))?;
    if let Some(p) = problems.first() {
        bail!(
            "{}: {} {} (run directories hold regular files only)",
            run_dir.display(),
            p.path,
            p.message
        );
    }
    let subjects_paths: Vec<String> = listed.into_iter().filter(|p| !is_sealing_file(p)).collect();
    let mut files = Vec::with_capacity(subjects_paths.len());
    for r in sums::hash_files(run_dir, &subjects_paths, 0).into_iter().zip(&subjects_paths) {
        files.push(r.0.with_context(|| format!("{}: cannot read {}", run_dir.display(), r.1))?);
    }
    let predicate = build_predicate(&files);
    let commit = commit_subject(&predicate);
    let statement = build_statement(
        files.iter().map(|f| Subject::file(&f.path, &f.sha256)).collect(),
        commit,
        predicate,
    );
    let manifest = to_canonical_bytes(&statement);
    write(run_dir, MANIFEST, &manifest)?;
    let mut sealing = vec![digest_of(MANIFEST, &manifest)];
    let signed_by = match signer {
        Some(key) => {
            let env = dsse::sign(dsse::IN_TOTO_PAYLOAD_TYPE, &manifest, key).to_json_bytes();
            write(run_dir, ENVELOPE, &env)?;
            sealing.push(digest_of(ENVELOPE, &env));
            Some(keys::keyid(&key.verifying_key()))
        }
        None => {
            match std::fs::remove_file(run_dir.join(ENVELOPE)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(e).with_context(|| {
                        format!("{}: cannot remove stale {ENVELOPE}", run_dir.display())
                    });
                }
                _ => {}
            }
            None
        }
    };
    let all: Vec<FileDigest> = files.iter().cloned().chain(sealing).collect();
    write(run_dir, SUMS, sums::format_sums(&all).as_bytes())?;
    Ok(SealReport { files, manifest_sha256: hex(&Sha256::digest(&manifest)), signed_by })
}

/// Signs the existing `manifest.json` of a sealed run and rewrites `SHA256SUMS`. Refuses when
/// the run's files no longer match its manifest (it would sign tampered evidence), naming every
/// problem.
pub fn sign(run_dir: &Path, key: &SigningKey) -> anyhow::Result<SealReport> {
    let collected = verify::require_intact(run_dir, "sign")?;
    let manifest = collected.manifest.as_ref().expect("a run without problems has a manifest");
    let env = dsse::sign(dsse::IN_TOTO_PAYLOAD_TYPE, manifest, key).to_json_bytes();
    write(run_dir, ENVELOPE, &env)?;
    let mut all: Vec<FileDigest> = collected
        .files
        .values()
        .filter(|f| f.path != ENVELOPE && f.path != SUMS && f.path != super::VERIFY_MD)
        .cloned()
        .collect();
    all.push(digest_of(ENVELOPE, &env));
    write(run_dir, SUMS, sums::format_sums(&all).as_bytes())?;
    Ok(SealReport {
        files: all.into_iter().filter(|f| !is_sealing_file(&f.path)).collect(),
        manifest_sha256: hex(&Sha256::digest(manifest)),
        signed_by: Some(keys::keyid(&key.verifying_key())),
    })
}

fn write(run_dir: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let p = run_dir.join(name);
    atomic::write_atomic(&p, bytes).with_context(|| format!("{}: cannot write", p.display()))
}

fn digest_of(name: &str, bytes: &[u8]) -> FileDigest {
    FileDigest {
        path: name.to_string(),
        sha256: hex(&Sha256::digest(bytes)),
        size: bytes.len() as u64,
    }
}

fn commit_subject(predicate: &Value) -> Option<Subject> {
    let repo = predicate.get("repository")?;
    let commit = repo.get("commit")?.as_str()?;
    let name = repo.get("remote").and_then(Value::as_str).unwrap_or("repository");
    Some(Subject::commit(name, commit))
}
