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
    seal_reusing(run_dir, build_predicate, signer, &[])
}

/// [`seal_with`], taking the digests in `known` instead of hashing those files again: the run
/// writes its evidence once and hashes it as it stores it (`run::rundir::store_artifacts`), so
/// a 10 MB report copied into the evidence is not read and hashed a second time here. A known
/// digest is used only for a file listed in the run directory whose size is still the known
/// size; every other file is hashed. The caller vouches that the files it names were not
/// rewritten since (`verify` would reject the run if they were).
pub fn seal_reusing(
    run_dir: &Path,
    build_predicate: impl FnOnce(&[FileDigest]) -> Value,
    signer: Option<&SigningKey>,
    known: &[FileDigest],
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
    let known: std::collections::HashMap<&str, &FileDigest> =
        known.iter().map(|f| (f.path.as_str(), f)).collect();
    // Each subject: its known digest when the file still has the known size, else `None`.
    let reused: Vec<Option<FileDigest>> = subjects_paths
        .iter()
        .map(|p| {
            let k = known.get(p.as_str())?;
            let size = std::fs::symlink_metadata(run_dir.join(p)).ok()?.len();
            (size == k.size).then(|| (*k).clone())
        })
        .collect();
    let to_hash: Vec<String> = subjects_paths
        .iter()
        .zip(&reused)
        .filter(|(_, r)| r.is_none())
        .map(|(p, _)| p.clone())
        .collect();
    let mut hashed = sums::hash_files(run_dir, &to_hash, 0).into_iter().zip(&to_hash);
    let mut files = Vec::with_capacity(subjects_paths.len());
    for r in reused {
        match r {
            Some(f) => files.push(f),
            None => {
                let (r, path) = hashed.next().expect("one digest per file to hash");
                files.push(
                    r.with_context(|| format!("{}: cannot read {}", run_dir.display(), path))?,
                );
            }
        }
    }
    seal_files(run_dir, files, build_predicate, signer)
}

/// Seals `run_dir` with `files` as its subjects, as they are: the caller lists every file of
/// the run directory with its digest (the run: what readyctl wrote, vetted, and the reports'
/// bytes), so nothing is listed or hashed again, and a file that is not what the caller says
/// makes the run fail `verify`, naming it.
pub fn seal_files(
    run_dir: &Path,
    mut files: Vec<FileDigest>,
    build_predicate: impl FnOnce(&[FileDigest]) -> Value,
    signer: Option<&SigningKey>,
) -> anyhow::Result<SealReport> {
    files.retain(|f| !is_sealing_file(&f.path));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    if let Some(bad) = files.iter().find(|f| f.path.contains(['\n', '\r', '\\'])) {
        bail!(
            "{}: {} file name contains a newline or backslash (run directories hold plain names only)",
            run_dir.display(),
            bad.path.escape_debug()
        );
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

#[cfg(test)]
mod tests {
    use super::*;

    fn subjects(run: &Path) -> Vec<FileDigest> {
        seal_reusing(run, |_| serde_json::json!({}), None, &[]).unwrap().files
    }

    #[test]
    fn a_known_digest_is_reused_only_while_the_size_matches() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path();
        std::fs::create_dir_all(run.join("evidence/a")).unwrap();
        std::fs::write(run.join("evidence/a/big.log"), b"hello\n").unwrap();
        std::fs::write(run.join("report.md"), b"# r\n").unwrap();
        let hashed = subjects(run);
        let real = hashed.iter().find(|f| f.path == "evidence/a/big.log").unwrap().clone();
        assert_eq!(real.sha256, hex(&Sha256::digest(b"hello\n")));

        // The stored digest is taken as given (that is the point: no second read)...
        let known = FileDigest { sha256: "ab".repeat(32), ..real.clone() };
        let sealed =
            seal_reusing(run, |_| serde_json::json!({}), None, std::slice::from_ref(&known))
                .unwrap();
        assert_eq!(
            sealed.files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
            ["evidence/a/big.log", "report.md"]
        );
        assert_eq!(sealed.files[0], known);
        assert_eq!(sealed.files[1], hashed[1]);
        // ...but not for a file whose size changed since, nor for a path not in the run.
        let stale = FileDigest { size: 99, ..known };
        let gone = FileDigest { path: "evidence/a/none.log".into(), ..real.clone() };
        let sealed = seal_reusing(run, |_| serde_json::json!({}), None, &[stale, gone]).unwrap();
        assert_eq!(sealed.files, hashed);
    }
}
