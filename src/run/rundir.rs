//! The run directory: where a run's evidence, manifest and report live.
//! `.readyctl/runs/<UTC-timestamp>-<short-id>/` by default, `--out DIR` to choose;
//! `.readyctl/latest` points at the newest complete run.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::process::Filter;
use crate::outcome::EvidenceFile;
use crate::probe::{Artifact, ArtifactContent};

/// A run directory being written.
#[derive(Debug, Clone)]
pub struct RunDir {
    pub path: PathBuf,
    pub id: String,
    /// Whether it lives under `.readyctl/runs/` (then `latest` is updated).
    pub managed: bool,
}

/// The run's scratch directory (`RUN_DIR/scratch`): where checks' commands write reports,
/// named by `$READYCTL_SCRATCH`. Removed before the run is sealed, so it is never evidence
/// (probes copy what they read into their evidence directory).
pub const SCRATCH: &str = "scratch";

impl RunDir {
    pub fn evidence(&self) -> PathBuf {
        self.path.join("evidence")
    }
    pub fn scratch(&self) -> PathBuf {
        self.path.join(SCRATCH)
    }
}

/// Creates the run directory. `out` must not exist or be an empty directory: a run never
/// mixes its files with another's.
pub fn create(
    repo: &Path,
    out: Option<&Path>,
    started: chrono::DateTime<chrono::Utc>,
) -> io::Result<RunDir> {
    let stamp = started.format("%Y%m%dT%H%M%SZ").to_string();
    let mut seed = Sha256::new();
    seed.update(started.timestamp_nanos_opt().unwrap_or_default().to_le_bytes());
    seed.update(std::process::id().to_le_bytes());
    seed.update(repo.as_os_str().as_encoded_bytes());
    let short = crate::text::hex(&seed.finalize()[..3]);
    let id = format!("{stamp}-{short}");
    let (path, managed) = match out {
        Some(dir) => {
            if dir.exists() && fs::read_dir(dir)?.next().is_some() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!(
                        "`{}` exists and is not empty; choose a new --out directory",
                        dir.display()
                    ),
                ));
            }
            (dir.to_path_buf(), false)
        }
        None => (repo.join(".readyctl").join("runs").join(&id), true),
    };
    fs::create_dir_all(path.join("evidence")).map_err(|e| with_path(e, &path))?;
    fs::create_dir_all(path.join(SCRATCH)).map_err(|e| with_path(e, &path))?;
    if managed {
        ignore_itself(&repo.join(".readyctl"))?;
    }
    Ok(RunDir { path, id, managed })
}

/// What `.readyctl/.gitignore` says: git ignores the whole directory, so a run leaves
/// `git status` clean (the file is outside every run directory, so never evidence).
pub const GITIGNORE: &str = "# Written by readyctl: run directories are never committed.\n*\n";

/// Writes `dir/.gitignore` (ignoring everything, itself included) unless it exists.
fn ignore_itself(dir: &Path) -> io::Result<()> {
    let path = dir.join(".gitignore");
    if path.exists() {
        return Ok(());
    }
    write_atomic(&path, GITIGNORE.as_bytes()).map_err(|e| with_path(e, &path))
}

fn with_path(e: io::Error, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Points `.readyctl/latest` at a complete run (atomically: a new link renamed over the old).
pub fn mark_latest(repo: &Path, run: &RunDir) -> io::Result<()> {
    if !run.managed {
        return Ok(());
    }
    let base = repo.join(".readyctl");
    let tmp = base.join(format!(".latest-{}", run.id));
    let _ = fs::remove_file(&tmp);
    std::os::unix::fs::symlink(Path::new("runs").join(&run.id), &tmp)?;
    fs::rename(&tmp, base.join("latest"))
}

/// How long a run directory without a manifest is presumed to be in progress (another
/// readyctl still writing it) rather than left behind by a crash.
pub const INCOMPLETE_GRACE: chrono::Duration = chrono::Duration::hours(24);

/// `--keep N`: removes old runs from `.readyctl/runs/`, keeping the newest `keep` complete runs.
/// Only directories readyctl created are touched: the name must be a run id
/// (`20260101T120000Z-0a1b2c`), and the directory must hold a `manifest.json` (a complete
/// run) or be an incomplete run older than [`INCOMPLETE_GRACE`] by both its name and its
/// modification time. The run `latest` points at and `current` are never removed. `keep == 0`
/// keeps everything. Returns the ids removed, oldest first.
pub fn prune(
    repo: &Path,
    keep: usize,
    current: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> io::Result<Vec<String>> {
    if keep == 0 {
        return Ok(Vec::new());
    }
    let runs = repo.join(".readyctl").join("runs");
    let latest = fs::read_link(repo.join(".readyctl").join("latest"))
        .ok()
        .and_then(|t| t.file_name().map(|n| n.to_string_lossy().into_owned()));
    let mut complete = Vec::new();
    let mut stale = Vec::new();
    for entry in fs::read_dir(&runs)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stamp) = run_id_time(&name) else { continue };
        // Symlinks and files are never ours to delete.
        if !entry.file_type()?.is_dir() || name == current || latest.as_deref() == Some(&name) {
            continue;
        }
        if entry.path().join("manifest.json").is_file() {
            complete.push(name);
        } else {
            let modified = entry
                .metadata()?
                .modified()
                .map(chrono::DateTime::<chrono::Utc>::from)
                .unwrap_or(now);
            if now - stamp > INCOMPLETE_GRACE && now - modified > INCOMPLETE_GRACE {
                stale.push(name);
            }
        }
    }
    // Run ids sort by time. The current run counts towards `keep`.
    complete.sort();
    let keep_older = keep.saturating_sub(1);
    let excess = complete.len().saturating_sub(keep_older);
    let mut remove: Vec<String> = complete.into_iter().take(excess).chain(stale).collect();
    remove.sort();
    for name in &remove {
        fs::remove_dir_all(runs.join(name)).map_err(|e| with_path(e, &runs.join(name)))?;
    }
    Ok(remove)
}

/// The start time a run id (`%Y%m%dT%H%M%SZ-xxxxxx`) carries, if `name` is one.
fn run_id_time(name: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let (stamp, short) = name.split_once('-')?;
    if short.len() != 6 || !short.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return None;
    }
    chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%SZ").ok().map(|t| t.and_utc())
}

/// Writes a probe's artifacts into its evidence directory (through the redaction filter), then
/// lists every file there with its digest.
pub fn store_artifacts(
    dir: &Path,
    evidence_root: &Path,
    artifacts: Vec<Artifact>,
    filter: Option<&Filter>,
) -> io::Result<Vec<EvidenceFile>> {
    // What this call wrote is hashed as it is written; the other files there (streamed logs)
    // are read and hashed below.
    let mut digests: std::collections::HashMap<PathBuf, (String, u64)> = Default::default();
    for a in artifacts {
        let name = Path::new(&a.name);
        if name.is_absolute()
            || name.components().any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("artifact name `{}` is not a plain relative path", a.name),
            ));
        }
        let dest = dir.join(name);
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent)?;
        }
        let file = File::create(&dest).map_err(|e| with_path(e, &dest))?;
        let mut out = io::BufWriter::new(Hashing { inner: file, hasher: Sha256::new(), size: 0 });
        match a.content {
            ArtifactContent::Bytes(bytes) => match filter {
                Some(f) => out.write_all(&f.redact_bytes(&bytes).0)?,
                None => out.write_all(&bytes)?,
            },
            ArtifactContent::CopyOf(src) => {
                let mut reader = BufReader::new(File::open(&src).map_err(|e| with_path(e, &src))?);
                let mut line = Vec::new();
                // Line by line through one redaction stream (a secret cut between two pieces
                // of a huge line is still seen whole). Whole lines go in batches of about
                // 64 KiB (the stream redacts each line of a batch as if it came alone, and
                // passes a clean batch at once); a piece of a line over 1 MiB goes alone.
                let mut stream = filter.map(|f| f.stream());
                let mut batch: Vec<u8> = Vec::new();
                loop {
                    line.clear();
                    let n = (&mut reader).take(1 << 20).read_until(b'\n', &mut line)?;
                    if n == 0 {
                        break;
                    }
                    match &mut stream {
                        Some(s) if line.ends_with(b"\n") => {
                            batch.extend_from_slice(&line);
                            if batch.len() >= 64 << 10 {
                                out.write_all(&s.push(&batch))?;
                                batch.clear();
                            }
                        }
                        Some(s) => {
                            if !batch.is_empty() {
                                out.write_all(&s.push(&batch))?;
                                batch.clear();
                            }
                            out.write_all(&s.push(&line))?;
                        }
                        None => out.write_all(&line)?,
                    }
                }
                if let Some(mut s) = stream {
                    if !batch.is_empty() {
                        out.write_all(&s.push(&batch))?;
                    }
                    out.write_all(&s.finish().0)?;
                }
            }
        }
        out.flush()?;
        let written = out.into_inner().map_err(|e| e.into_error())?;
        digests.insert(dest, (crate::text::hex(&written.hasher.finalize()), written.size));
    }
    let run_dir = evidence_root.parent().unwrap_or(evidence_root);
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(io::Error::other)?;
        if !entry.file_type().is_file() {
            continue;
        }
        let (sha256, size) = match digests.remove(entry.path()) {
            Some(d) => d,
            None => hash_file(entry.path())?,
        };
        let rel = entry.path().strip_prefix(run_dir).unwrap_or(entry.path());
        files.push(EvidenceFile { path: rel.to_string_lossy().replace('\\', "/"), sha256, size });
    }
    if files.is_empty() {
        let _ = fs::remove_dir(dir);
    }
    Ok(files)
}

/// A writer that hashes what it writes (a stored artifact is not read back to be hashed).
struct Hashing {
    inner: File,
    hasher: Sha256,
    size: u64,
}

impl Write for Hashing {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Streams a file through SHA-256.
pub fn hash_file(path: &Path) -> io::Result<(String, u64)> {
    let mut f = File::open(path).map_err(|e| with_path(e, path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((crate::text::hex(&hasher.finalize()), size))
}

/// Writes a file atomically: a temp file in the same directory, fsynced, renamed into place.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(|e| with_path(e, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(repo: &Path, id: &str, complete: bool) {
        let dir = repo.join(".readyctl/runs").join(id);
        fs::create_dir_all(dir.join("evidence")).unwrap();
        if complete {
            fs::write(dir.join("manifest.json"), "{}").unwrap();
        }
    }

    fn left(repo: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(repo.join(".readyctl/runs"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn stored_artifacts_are_hashed_as_written_and_logs_as_read() {
        let tmp = tempfile::tempdir().unwrap();
        let evidence = tmp.path().join("evidence");
        let dir = evidence.join("c");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("stdout.log"), b"streamed\n").unwrap();
        let src = tmp.path().join("junit.xml");
        let body: Vec<u8> =
            (0..50_000).flat_map(|i| format!("<case n=\"{i}\"/>\n").into_bytes()).collect();
        fs::write(&src, &body).unwrap();
        let artifacts = vec![
            Artifact::copy_of("results/1-junit.xml", &src),
            Artifact::json("summary.json", &serde_json::json!({ "n": 1 })),
        ];
        let files = store_artifacts(&dir, &evidence, artifacts, None).unwrap();
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            ["evidence/c/results/1-junit.xml", "evidence/c/stdout.log", "evidence/c/summary.json"]
        );
        for f in &files {
            let (sha256, size) = hash_file(&tmp.path().join(&f.path)).unwrap();
            assert_eq!((&f.sha256, f.size), (&sha256, size), "{}", f.path);
        }
        assert_eq!(files[0].size, body.len() as u64);
    }

    #[test]
    fn prune_keeps_the_newest_latest_current_and_runs_in_progress() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path();
        let now = chrono::NaiveDate::from_ymd_opt(2026, 6, 10)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap()
            .and_utc();
        for day in 1..=5 {
            run(repo, &format!("2026060{day}T100000Z-00000{day}"), true);
        }
        run(repo, "20260610T115900Z-aaaaaa", false); // in progress: a minute old
        run(repo, "20260610T120000Z-cccccc", true); // the current run
        fs::create_dir_all(repo.join(".readyctl/runs/my-notes")).unwrap(); // not a run id
        fs::create_dir_all(repo.join(".readyctl/runs/20260101T000000Z-ABCDEF")).unwrap();
        std::os::unix::fs::symlink("runs/20260601T100000Z-000001", repo.join(".readyctl/latest"))
            .unwrap();
        let removed = prune(repo, 3, "20260610T120000Z-cccccc", now).unwrap();
        // Keep 3 = the current run and the two newest complete ones; latest (the oldest) stays.
        assert_eq!(removed, ["20260602T100000Z-000002", "20260603T100000Z-000003"]);
        assert_eq!(
            left(repo),
            [
                "20260101T000000Z-ABCDEF",
                "20260601T100000Z-000001",
                "20260604T100000Z-000004",
                "20260605T100000Z-000005",
                "20260610T115900Z-aaaaaa",
                "20260610T120000Z-cccccc",
                "my-notes",
            ]
        );
        // keep 0 keeps everything.
        assert!(prune(repo, 0, "20260610T120000Z-cccccc", now).unwrap().is_empty());
    }

    #[test]
    fn prune_removes_an_incomplete_run_only_when_old_by_name_and_by_mtime() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path();
        run(repo, "20200101T000000Z-dead00", false); // crashed long ago, but touched just now
        let now = chrono::Utc::now();
        assert!(prune(repo, 5, "x", now).unwrap().is_empty(), "fresh mtime protects it");
        let later = now + chrono::Duration::hours(25);
        assert_eq!(prune(repo, 5, "x", later).unwrap(), ["20200101T000000Z-dead00"]);
    }
}
