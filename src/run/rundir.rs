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

impl RunDir {
    pub fn evidence(&self) -> PathBuf {
        self.path.join("evidence")
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
    let short: String = seed.finalize().iter().take(3).map(|b| format!("{b:02x}")).collect();
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

/// Writes a probe's artifacts into its evidence directory (through the redaction filter), then
/// lists every file there with its digest.
pub fn store_artifacts(
    dir: &Path,
    evidence_root: &Path,
    artifacts: Vec<Artifact>,
    filter: Option<&Filter>,
) -> io::Result<Vec<EvidenceFile>> {
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
        let mut out = io::BufWriter::new(File::create(&dest).map_err(|e| with_path(e, &dest))?);
        match a.content {
            ArtifactContent::Bytes(bytes) => match filter {
                Some(f) => out.write_all(&f.redact_bytes(&bytes).0)?,
                None => out.write_all(&bytes)?,
            },
            ArtifactContent::CopyOf(src) => {
                let mut reader = BufReader::new(File::open(&src).map_err(|e| with_path(e, &src))?);
                let mut line = Vec::new();
                // Line by line through one redaction stream (a secret cut between two pieces
                // of a huge line is still seen whole).
                let mut stream = filter.map(|f| f.stream());
                loop {
                    line.clear();
                    let n = (&mut reader).take(1 << 20).read_until(b'\n', &mut line)?;
                    if n == 0 {
                        break;
                    }
                    match &mut stream {
                        Some(s) => out.write_all(&s.push(&line))?,
                        None => out.write_all(&line)?,
                    }
                }
                if let Some(s) = stream {
                    out.write_all(&s.finish().0)?;
                }
            }
        }
        out.flush()?;
    }
    let run_dir = evidence_root.parent().unwrap_or(evidence_root);
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(io::Error::other)?;
        if !entry.file_type().is_file() {
            continue;
        }
        let (sha256, size) = hash_file(entry.path())?;
        let rel = entry.path().strip_prefix(run_dir).unwrap_or(entry.path());
        files.push(EvidenceFile { path: rel.to_string_lossy().replace('\\', "/"), sha256, size });
    }
    if files.is_empty() {
        let _ = fs::remove_dir(dir);
    }
    Ok(files)
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
    Ok((hasher.finalize().iter().map(|b| format!("{b:02x}")).collect(), size))
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
