//! `verify`: check a run directory or a `.tar.gz` proof pack against its signed manifest.
//!
//! Every problem is collected (never only the first). A pack is read as a stream and hashed
//! entry by entry by the strict reader in `pack_reader` (only what `pack` writes, so what is
//! judged is what `tar -xzf` extracts): nothing from it is written to disk or executed, and
//! memory stays flat whatever the evidence size. A run directory is hashed in parallel, but
//! only the files the manifest names and only within the size limits.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Component, Path};

use ed25519_dalek::VerifyingKey;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use super::statement::{PREDICATE_TYPE, STATEMENT_TYPE};
use super::sums::{self, FileDigest};
use super::{ENVELOPE, MANIFEST, SUMS, VERIFY_MD, hex, is_sealing_file};

/// Size limits that protect `verify` from hostile packs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest single entry (bytes).
    pub max_entry_bytes: u64,
    /// Largest total of all entries (bytes).
    pub max_total_bytes: u64,
    /// Most entries in an archive.
    pub max_entries: usize,
    /// Largest `manifest.json`, envelope or `SHA256SUMS` (held in memory).
    pub max_metadata_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entry_bytes: 16 << 30,
            max_total_bytes: 64 << 30,
            max_entries: 1_000_000,
            max_metadata_bytes: 64 << 20,
        }
    }
}

/// What `verify` checks against.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Trusted public keys. Empty: the signature is not checked (integrity only).
    pub trusted_keys: Vec<VerifyingKey>,
    /// The commit the run must be for (full id, or an abbreviation of 7+ hex digits).
    pub expected_commit: Option<String>,
    /// Archive limits.
    pub limits: Limits,
    /// With `expected_commit`: accept a run recorded with uncommitted changes. Off by default:
    /// such a run is not evidence about that commit.
    pub allow_dirty: bool,
}

/// One thing wrong with a run, with a stable kebab-case code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Stable code, e.g. `digest-mismatch`, `missing-file`, `extra-file`, `unsigned`.
    pub code: &'static str,
    /// The file concerned, relative to the run (or the archive entry name).
    pub path: Option<String>,
    /// What is wrong, in words a person can act on.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(p) => write!(f, "[{}] {}: {}", self.code, p, self.message),
            None => write!(f, "[{}] {}", self.code, self.message),
        }
    }
}

pub(crate) fn problem(
    code: &'static str,
    path: Option<&str>,
    message: impl Into<String>,
) -> Problem {
    Problem { code, path: path.map(str::to_string), message: message.into() }
}

/// The state of the signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum SignatureStatus {
    /// Signed by these trusted keys.
    Valid {
        /// Key ids of the trusted keys whose signatures verified.
        keyids: Vec<String>,
    },
    /// An envelope exists but no signature verified with a trusted key.
    Invalid,
    /// No `manifest.dsse.json`.
    Unsigned,
    /// Signed, but no trusted key was given, so the signature was not checked.
    NotChecked,
}

/// The result of `verify`, for the CLI to print (`Display`) or serialize (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// The run directory or pack that was checked.
    pub source: String,
    /// Signature state.
    pub signature: SignatureStatus,
    /// The commit the manifest names, if any.
    pub commit: Option<String>,
    /// Number of manifest subjects (files) checked.
    pub files_checked: usize,
    /// Bytes hashed.
    pub bytes_hashed: u64,
    /// Every problem found; empty means valid.
    pub problems: Vec<Problem>,
    /// Remarks that do not make the run invalid.
    pub notes: Vec<String>,
    /// Every file that was read, by path relative to the run (or to the pack's top
    /// directory), with its lowercase hex SHA-256: exactly what was judged. Not serialized.
    #[serde(skip)]
    pub digests: BTreeMap<String, String>,
}

impl VerifyReport {
    /// True when no problem was found.
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.is_valid() { "VALID" } else { "INVALID" };
        writeln!(f, "{verdict}: {}", self.source)?;
        let sig = match &self.signature {
            SignatureStatus::Valid { keyids } => format!("signed by {}", keyids.join(", ")),
            SignatureStatus::Invalid => "INVALID SIGNATURE".into(),
            SignatureStatus::Unsigned => "UNSIGNED".into(),
            SignatureStatus::NotChecked => "signed, signature NOT CHECKED (no --key)".into(),
        };
        writeln!(f, "  signature: {sig}")?;
        writeln!(f, "  commit:    {}", self.commit.as_deref().unwrap_or("(none)"))?;
        writeln!(
            f,
            "  files:     {} checked, {} bytes hashed",
            self.files_checked, self.bytes_hashed
        )?;
        for n in &self.notes {
            writeln!(f, "  note: {n}")?;
        }
        if !self.problems.is_empty() {
            writeln!(f, "  {} problem(s):", self.problems.len())?;
            for p in &self.problems {
                writeln!(f, "    - {p}")?;
            }
        }
        Ok(())
    }
}

/// What was read from a run directory or pack, before any check.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    /// Every regular file by relative path, with digest (sealing files included).
    pub files: BTreeMap<String, FileDigest>,
    pub manifest: Option<Vec<u8>>,
    pub envelope: Option<Vec<u8>>,
    pub sums: Option<Vec<u8>>,
    /// Problems found while reading (unsafe entries, unreadable files).
    pub problems: Vec<Problem>,
    /// Files present but deliberately not read (not in the manifest, or too large); each
    /// already has its problem.
    pub unhashed: BTreeSet<String>,
}

/// Verifies a run directory or a `.tar.gz` pack with `trusted_keys`, optionally requiring
/// `expected_commit`. `Err` only when `path` cannot be opened at all (a usage error).
pub fn verify(
    path: &Path,
    trusted_keys: &[VerifyingKey],
    expected_commit: Option<&str>,
) -> io::Result<VerifyReport> {
    let options = VerifyOptions {
        trusted_keys: trusted_keys.to_vec(),
        expected_commit: expected_commit.map(str::to_string),
        limits: Limits::default(),
        allow_dirty: false,
    };
    verify_with(path, &options)
}

/// [`verify`] with explicit options.
pub fn verify_with(path: &Path, options: &VerifyOptions) -> io::Result<VerifyReport> {
    let meta = std::fs::metadata(path)?;
    let collected = if meta.is_dir() {
        collect_dir(path, &options.limits)?
    } else {
        super::pack_reader::collect_pack(File::open(path)?, &options.limits)
    };
    Ok(check(&collected, options, path.display().to_string()))
}

fn read_small(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let mut v = Vec::new();
    File::open(path)?.take(limit + 1).read_to_end(&mut v)?;
    if v.len() as u64 > limit {
        return Err(io::Error::other(format!("larger than {limit} bytes")));
    }
    Ok(v)
}

/// Reads and hashes a run directory (files hashed in parallel).
///
/// Only what the manifest names is hashed, and only within the size limits: a file the
/// manifest does not name is reported as extra without being read, and a file larger than
/// `max_entry_bytes` (or past `max_total_bytes` in all) is reported as too large before any
/// byte is hashed, so a planted 200 GB sparse file costs nothing. The names come from
/// `manifest.json` (else the envelope's payload) before its signature is checked; that is
/// safe because they only decide what to read: every check is made later on verified bytes.
pub(crate) fn collect_dir(root: &Path, limits: &Limits) -> io::Result<Collected> {
    let mut c = Collected::default();
    let (files, listed_problems) = sums::list_files(root)?;
    for p in listed_problems {
        c.problems.push(problem("unsafe-entry", Some(&p.path), p.message));
    }
    let (meta, data): (Vec<String>, Vec<String>) =
        files.into_iter().partition(|p| matches!(p.as_str(), MANIFEST | ENVELOPE | SUMS));
    for name in meta {
        match read_small(&root.join(&name), limits.max_metadata_bytes) {
            Ok(bytes) => {
                c.files.insert(name.clone(), digest(&name, &bytes));
                let slot = match name.as_str() {
                    MANIFEST => &mut c.manifest,
                    ENVELOPE => &mut c.envelope,
                    _ => &mut c.sums,
                };
                *slot = Some(bytes);
            }
            Err(e) => c.problems.push(problem("unreadable", Some(&name), e.to_string())),
        }
    }
    let named = subject_names(&c);
    let mut to_hash = Vec::new();
    let mut total = 0u64;
    for name in data {
        if name != VERIFY_MD && !named.contains(&name) {
            c.problems.push(problem(
                "extra-file",
                Some(&name),
                "not listed in the manifest (not read)",
            ));
            c.unhashed.insert(name);
            continue;
        }
        let limit =
            if name == VERIFY_MD { limits.max_metadata_bytes } else { limits.max_entry_bytes };
        let size = match std::fs::symlink_metadata(root.join(&name)) {
            Ok(m) => m.len(),
            Err(e) => {
                c.problems.push(problem("unreadable", Some(&name), e.to_string()));
                c.unhashed.insert(name);
                continue;
            }
        };
        if size <= limit {
            total = total.saturating_add(size);
        }
        if size > limit || total > limits.max_total_bytes {
            let why = if size > limit {
                format!("{size} bytes, above the {limit} byte limit for one file; not read")
            } else {
                format!(
                    "the files named in the manifest total more than {} bytes; not read",
                    limits.max_total_bytes
                )
            };
            c.problems.push(problem("too-large", Some(&name), why));
            c.unhashed.insert(name);
            continue;
        }
        to_hash.push(name);
    }
    for (r, name) in sums::hash_files(root, &to_hash, 0).into_iter().zip(&to_hash) {
        match r {
            Ok(d) => {
                c.files.insert(name.clone(), d);
            }
            Err(e) => c.problems.push(problem("unreadable", Some(name), e.to_string())),
        }
    }
    Ok(c)
}

/// The file names of the statement's sha256 subjects (from `manifest.json`, else from the
/// envelope's payload), unverified: used only to decide which files to read.
fn subject_names(c: &Collected) -> BTreeSet<String> {
    let payload = || {
        let env: Envelope = serde_json::from_slice(c.envelope.as_deref()?).ok()?;
        env.payload_bytes().ok()
    };
    let Some(bytes) = c.manifest.clone().or_else(payload) else { return BTreeSet::new() };
    let Ok(statement) = serde_json::from_slice::<Value>(&bytes) else { return BTreeSet::new() };
    statement
        .get("subject")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|s| s.pointer("/digest/sha256").is_some())
        .filter_map(|s| s.get("name").and_then(Value::as_str).map(str::to_string))
        .collect()
}

pub(crate) fn digest(name: &str, bytes: &[u8]) -> FileDigest {
    FileDigest {
        path: name.to_string(),
        sha256: hex(&Sha256::digest(bytes)),
        size: bytes.len() as u64,
    }
}

/// A safe relative path: only normal components, UTF-8, no backslash or control characters.
fn safe_relative(path: &Path) -> Result<Vec<String>, String> {
    let mut parts = Vec::new();
    for comp in path.components() {
        match comp {
            Component::Normal(s) => match s.to_str() {
                Some(s) if !s.contains('\\') && !s.chars().any(char::is_control) => {
                    parts.push(s.to_string())
                }
                _ => return Err("name is not plain UTF-8".into()),
            },
            Component::CurDir => {}
            Component::ParentDir => return Err("path contains `..`".into()),
            Component::RootDir | Component::Prefix(_) => return Err("absolute path".into()),
        }
    }
    if parts.is_empty() {
        return Err("empty path".into());
    }
    Ok(parts)
}

/// Runs every check on what was collected.
pub(crate) fn check(c: &Collected, options: &VerifyOptions, source: String) -> VerifyReport {
    let mut problems = c.problems.clone();
    let mut notes = Vec::new();

    // Signature over the exact manifest bytes.
    let envelope: Option<Envelope> =
        c.envelope.as_ref().and_then(|bytes| match serde_json::from_slice(bytes) {
            Ok(e) => Some(e),
            Err(e) => {
                problems.push(problem(
                    "bad-envelope",
                    Some(ENVELOPE),
                    format!("not a DSSE envelope: {e}"),
                ));
                None
            }
        });
    let payload = envelope.as_ref().and_then(|e| match e.payload_bytes() {
        Ok(p) => Some(p),
        Err(why) => {
            problems.push(problem("bad-envelope", Some(ENVELOPE), why));
            None
        }
    });
    let signature = match (&c.envelope, &envelope) {
        (None, _) => {
            if !options.trusted_keys.is_empty() {
                problems.push(problem(
                    "unsigned",
                    Some(ENVELOPE),
                    "UNSIGNED: the run has no DSSE envelope, so its origin cannot be checked",
                ));
            }
            SignatureStatus::Unsigned
        }
        (Some(_), None) => SignatureStatus::Invalid,
        (Some(_), Some(env)) => {
            if env.payload_type != IN_TOTO_PAYLOAD_TYPE {
                problems.push(problem(
                    "bad-envelope",
                    Some(ENVELOPE),
                    format!(
                        "payloadType is `{}`, expected `{IN_TOTO_PAYLOAD_TYPE}`",
                        env.payload_type
                    ),
                ));
            }
            if let (Some(p), Some(m)) = (&payload, &c.manifest) {
                if p != m {
                    problems.push(problem("envelope-mismatch", Some(ENVELOPE), "the signed payload is not byte-identical to manifest.json (edited manifest, or an envelope from another run)"));
                }
            }
            if options.trusted_keys.is_empty() {
                notes.push("no trusted key given: the signature was not checked".into());
                SignatureStatus::NotChecked
            } else {
                let sc = env.verify(&options.trusted_keys);
                for why in &sc.problems {
                    if !sc.is_valid() {
                        problems.push(problem("bad-signature", Some(ENVELOPE), why.clone()));
                    }
                }
                if sc.is_valid() {
                    SignatureStatus::Valid { keyids: sc.valid_keyids }
                } else {
                    SignatureStatus::Invalid
                }
            }
        }
    };

    // The statement: manifest.json, or the signed payload when manifest.json is missing.
    let statement_bytes = match (&c.manifest, &payload) {
        (Some(m), _) => Some(m.as_slice()),
        (None, Some(p)) => {
            problems.push(problem(
                "missing-file",
                Some(MANIFEST),
                "manifest.json is missing; checked files against the envelope's payload",
            ));
            Some(p.as_slice())
        }
        (None, None) => {
            problems.push(problem(
                "missing-file",
                Some(MANIFEST),
                "manifest.json is missing; nothing to verify files against",
            ));
            None
        }
    };
    let statement: Option<Value> =
        statement_bytes.and_then(|b| match serde_json::from_slice::<Value>(b) {
            Ok(v) => Some(v),
            Err(e) => {
                problems.push(problem("bad-manifest", Some(MANIFEST), format!("not JSON: {e}")));
                None
            }
        });

    let mut subjects: BTreeMap<String, String> = BTreeMap::new();
    let mut commit: Option<String> = None;
    if let Some(st) = &statement {
        if st.get("_type").and_then(Value::as_str) != Some(STATEMENT_TYPE) {
            problems.push(problem(
                "bad-manifest",
                Some(MANIFEST),
                format!("_type is not `{STATEMENT_TYPE}`"),
            ));
        }
        if st.get("predicateType").and_then(Value::as_str) != Some(PREDICATE_TYPE) {
            problems.push(problem(
                "bad-manifest",
                Some(MANIFEST),
                format!("predicateType is not `{PREDICATE_TYPE}`"),
            ));
        }
        let list = st.get("subject").and_then(Value::as_array).cloned().unwrap_or_else(|| {
            problems.push(problem("bad-manifest", Some(MANIFEST), "no `subject` list"));
            Vec::new()
        });
        for (i, s) in list.iter().enumerate() {
            let name = s.get("name").and_then(Value::as_str).unwrap_or("");
            let digest = s.get("digest");
            if let Some(g) = digest.and_then(|d| d.get("gitCommit")).and_then(Value::as_str) {
                if commit.replace(g.to_string()).is_some() {
                    problems.push(problem(
                        "bad-manifest",
                        Some(MANIFEST),
                        "more than one gitCommit subject",
                    ));
                }
                continue;
            }
            let Some(sha) = digest.and_then(|d| d.get("sha256")).and_then(Value::as_str) else {
                problems.push(problem(
                    "bad-manifest",
                    Some(MANIFEST),
                    format!("subject #{} ({name}) has no sha256 digest", i + 1),
                ));
                continue;
            };
            let safe = safe_relative(Path::new(name)).map(|p| p.join("/"));
            match safe {
                Ok(p) if p == name && !is_sealing_file(name) => {
                    if subjects.insert(name.to_string(), sha.to_ascii_lowercase()).is_some() {
                        problems.push(problem(
                            "bad-manifest",
                            Some(name),
                            "listed twice as a subject",
                        ));
                    }
                }
                _ => problems.push(problem(
                    "bad-manifest",
                    Some(name),
                    "subject name is not a plain relative path inside the run",
                )),
            }
        }
        if let (Some(c1), Some(c2)) =
            (&commit, st.pointer("/predicate/repository/commit").and_then(Value::as_str))
        {
            if c1 != c2 {
                problems.push(problem(
                    "bad-manifest",
                    Some(MANIFEST),
                    "the gitCommit subject differs from predicate.repository.commit",
                ));
            }
        }
        // A repository without commits records `"commit": null`: no commit claimed.
        if commit.is_none()
            && st.pointer("/predicate/repository/commit").is_some_and(|c| !c.is_null())
        {
            problems.push(problem(
                "bad-manifest",
                Some(MANIFEST),
                "predicate.repository.commit has no gitCommit subject",
            ));
        }
        // The predicate must agree with itself and with the subjects (verdict, score, level,
        // waivers, evidence digests): see `predicate.rs`.
        if st.get("predicateType").and_then(Value::as_str) == Some(PREDICATE_TYPE) {
            problems.extend(super::predicate::check(st, &c.files));
        }
    }

    // Every subject present with the right digest.
    let mut bytes_hashed = 0u64;
    for (name, want) in &subjects {
        match c.files.get(name) {
            None if c.unhashed.contains(name) => {}
            None => problems.push(problem(
                "missing-file",
                Some(name),
                "listed in the manifest but missing",
            )),
            Some(d) if d.sha256 != *want => problems.push(problem(
                "digest-mismatch",
                Some(name),
                format!("sha256 is {}, manifest says {want}", d.sha256),
            )),
            Some(d) => bytes_hashed += d.size,
        }
    }
    // No file the manifest does not cover.
    for name in c.files.keys() {
        if !subjects.contains_key(name) && !is_sealing_file(name) {
            problems.push(problem("extra-file", Some(name), "not listed in the manifest"));
        }
    }
    if c.files.contains_key(VERIFY_MD) {
        notes.push(
            "VERIFY.md is instructions only: it is not covered by the manifest or SHA256SUMS"
                .into(),
        );
    }

    // SHA256SUMS consistency.
    match &c.sums {
        None => problems.push(problem("missing-file", Some(SUMS), "SHA256SUMS is missing")),
        Some(bytes) => {
            let text = String::from_utf8_lossy(bytes);
            let (entries, malformed) = sums::parse_sums(&text);
            problems.extend(malformed.into_iter().map(|m| problem("bad-sums", Some(SUMS), m)));
            let mut listed = BTreeSet::new();
            for (path, want) in &entries {
                listed.insert(path.as_str());
                match c.files.get(path) {
                    None if c.unhashed.contains(path) => {}
                    None => problems.push(problem(
                        "bad-sums",
                        Some(path),
                        "listed in SHA256SUMS but missing",
                    )),
                    Some(d) if d.sha256 != *want => problems.push(problem(
                        "bad-sums",
                        Some(path),
                        "SHA256SUMS digest does not match the file",
                    )),
                    Some(_) => {}
                }
            }
            for name in c.files.keys().chain(&c.unhashed) {
                if name != SUMS && name != VERIFY_MD && !listed.contains(name.as_str()) {
                    problems.push(problem("bad-sums", Some(name), "not listed in SHA256SUMS"));
                }
            }
        }
    }

    // The expected commit.
    if let Some(want) = &options.expected_commit {
        match &commit {
            None => problems.push(problem(
                "commit-mismatch",
                None,
                format!("expected commit {want}, but the manifest names no commit"),
            )),
            Some(have) if !commit_matches(have, want) => problems.push(problem(
                "commit-mismatch",
                None,
                format!("manifest is for commit {have}, expected {want}"),
            )),
            Some(_) => {}
        }
    }
    // A run with uncommitted changes is evidence about a work tree, not about the commit.
    let repository = statement.as_ref().and_then(|st| st.pointer("/predicate/repository"));
    let dirty = repository.and_then(|r| r.get("dirty")).and_then(Value::as_bool);
    let uncommitted = repository
        .and_then(|r| r.get("uncommitted_sha256"))
        .and_then(Value::as_str)
        .map_or(String::new(), |d| format!(" (sha256 of the changes {d})"));
    match (&options.expected_commit, commit.is_some(), dirty) {
        (Some(want), true, Some(true)) if !options.allow_dirty => problems.push(problem(
            "dirty-worktree",
            None,
            format!(
                "the run was recorded with uncommitted changes{uncommitted}: it is not evidence about commit {want} (--allow-dirty accepts it)"
            ),
        )),
        (Some(want), true, None) if !options.allow_dirty => problems.push(problem(
            "dirty-worktree",
            None,
            format!(
                "the run does not record whether the work tree was clean: it is not evidence about commit {want} (--allow-dirty accepts it)"
            ),
        )),
        (_, _, Some(true)) => {
            notes.push(format!("the run was recorded with uncommitted changes{uncommitted}"))
        }
        _ => {}
    }

    VerifyReport {
        source,
        signature,
        commit,
        files_checked: subjects.len(),
        bytes_hashed,
        problems,
        notes,
        digests: c.files.iter().map(|(k, d)| (k.clone(), d.sha256.clone())).collect(),
    }
}

fn commit_matches(have: &str, want: &str) -> bool {
    let (have, want) = (have.to_ascii_lowercase(), want.to_ascii_lowercase());
    have == want
        || (want.len() >= 7
            && want.bytes().all(|b| b.is_ascii_hexdigit())
            && have.starts_with(&want))
}

/// Reads a run directory and checks it against its own manifest (no signature needed), so
/// `sign` and `pack` never act on tampered evidence. `action` names what is refused.
pub(crate) fn require_intact(run_dir: &Path, action: &str) -> anyhow::Result<Collected> {
    use anyhow::Context as _;
    let collected = collect_dir(run_dir, &Limits::default())
        .with_context(|| format!("{}: cannot read the run directory", run_dir.display()))?;
    let report = check(&collected, &VerifyOptions::default(), run_dir.display().to_string());
    if !report.problems.is_empty() {
        let lines: Vec<String> = report.problems.iter().map(|p| format!("  - {p}")).collect();
        anyhow::bail!(
            "{}: refusing to {action} a run that does not match its manifest or whose predicate is inconsistent:\n{}",
            run_dir.display(),
            lines.join("\n")
        );
    }
    Ok(collected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_relative_rejects_escapes() {
        assert!(safe_relative(Path::new("../x")).is_err());
        assert!(safe_relative(Path::new("/etc/passwd")).is_err());
        assert!(safe_relative(Path::new("a/../../b")).is_err());
        assert_eq!(safe_relative(Path::new("./a/b")).unwrap(), vec!["a", "b"]);
    }

    #[test]
    fn commit_abbreviations() {
        let full = "0123456789abcdef0123456789abcdef01234567";
        assert!(commit_matches(full, full));
        assert!(commit_matches(full, "0123456"));
        assert!(!commit_matches(full, "012345"));
        assert!(!commit_matches(full, "1123456"));
    }
}
