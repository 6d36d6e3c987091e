//! What a probe may use while it runs. Everything a probe touches outside its own spec
//! comes through here, so the runner controls time, cancellation and where evidence goes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// The environment variable naming the run's scratch directory in commands, and the prefix
/// that names it in result and report paths (`$READYCTL_SCRATCH/junit.xml`).
pub const SCRATCH_VAR: &str = "READYCTL_SCRATCH";

/// Handed to every probe by the runner.
pub struct ProbeContext<'a> {
    /// The repository root; relative paths in specs resolve against it.
    pub repo: &'a Path,
    /// The check's id (`tests.backend`).
    pub check_id: &'a str,
    /// `RUN_DIR/evidence/<check-id>/`, already created. Probes that stream (process output)
    /// write here directly; everything else returns [`Artifact`]s.
    pub evidence_dir: &'a Path,
    /// When the whole run started: result files older than this are stale.
    pub run_started: SystemTime,
    /// The check's time budget; probes stop by `deadline` and report `error` on timeout.
    pub deadline: Instant,
    /// Set on Ctrl-C: long-running probes poll it and stop early.
    pub cancel: &'a AtomicBool,
    /// Applied to process output before it reaches disk (redaction of secrets).
    pub output_filter: Option<Arc<crate::run::process::Filter>>,
}

impl ProbeContext<'_> {
    /// Resolves a spec path against the repository root.
    pub fn resolve(&self, path: impl AsRef<Path>) -> PathBuf {
        let p = path.as_ref();
        if p.is_absolute() { p.to_path_buf() } else { self.repo.join(p) }
    }

    /// The run's scratch directory, `$READYCTL_SCRATCH` in commands and result paths
    /// (`RUN_DIR/scratch`, beside `RUN_DIR/evidence`; the evidence directory itself when a
    /// probe runs outside a run, as in unit tests).
    pub fn scratch(&self) -> PathBuf {
        self.evidence_dir
            .parent()
            .filter(|p| p.file_name().is_some_and(|n| n == "evidence"))
            .and_then(Path::parent)
            .map(|run| run.join(crate::run::rundir::SCRATCH))
            .unwrap_or_else(|| self.evidence_dir.to_path_buf())
    }

    /// `READYCTL_SCRATCH=<scratch>`, set for every command a probe runs.
    pub fn scratch_env(&self) -> (String, String) {
        (SCRATCH_VAR.to_string(), self.scratch().to_string_lossy().into_owned())
    }

    /// A spec path with a leading `$READYCTL_SCRATCH` replaced by the scratch directory.
    pub fn scratch_path(&self, path: &str) -> String {
        match path.strip_prefix(&format!("${SCRATCH_VAR}")) {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => {
                format!("{}{rest}", self.scratch().to_string_lossy())
            }
            _ => path.to_string(),
        }
    }

    /// Time left before the deadline (zero when it has passed).
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// Reads `src` for `read` and keeps the same bytes as evidence `name`, in one pass: the
    /// copy (redacted, hashed) is written while `read` parses, so the evidence is exactly
    /// what was judged even if the file changes meanwhile. On `Ok` the returned artifact
    /// names the stored copy; on `Err` nothing is kept. `Err(Keep)` when the copy could not be
    /// written.
    pub fn read_and_keep<T, E>(
        &self,
        src: std::fs::File,
        name: &str,
        read: impl FnOnce(&mut std::io::BufReader<crate::run::rundir::Tee>) -> Result<T, E>,
    ) -> Result<(T, Artifact), KeepError<E>> {
        // A name may come from a file name holding a secret (`junit-$TOKEN.xml`).
        let name = crate::run::rundir::redacted_name(name, self.output_filter.as_deref());
        let name = name.as_str();
        let dest = crate::run::rundir::artifact_path(self.evidence_dir, name)
            .map_err(|e| KeepError::Keep(e.to_string()))?;
        let (out, copied) =
            crate::run::rundir::read_and_copy(src, &dest, self.output_filter.as_deref(), read);
        match (out, copied) {
            (Ok(value), Ok((sha256, size))) => Ok((
                value,
                Artifact {
                    name: name.to_string(),
                    content: ArtifactContent::Stored { sha256, size },
                },
            )),
            (Err(e), copied) => {
                if copied.is_ok() {
                    crate::run::rundir::discard(&dest);
                }
                Err(KeepError::Read(e))
            }
            (Ok(_), Err(e)) => Err(KeepError::Keep(format!("cannot write evidence `{name}`: {e}"))),
        }
    }
}

/// Why [`ProbeContext::read_and_keep`] kept nothing.
#[derive(Debug)]
pub enum KeepError<E> {
    /// `read` failed (its error).
    Read(E),
    /// The evidence copy could not be written.
    Keep(String),
}

/// A piece of evidence a probe wants kept, written by the runner under `evidence/<check-id>/`
/// (after redaction).
#[derive(Debug, Clone, PartialEq)]
pub struct Artifact {
    /// File name relative to the check's evidence directory (`summary.json`, `junit/report.xml`).
    pub name: String,
    pub content: ArtifactContent,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ArtifactContent {
    Bytes(Vec<u8>),
    /// Copy this file (streamed, never loaded whole).
    CopyOf(PathBuf),
    /// Already written under its name in the evidence directory, with this digest, by
    /// [`ProbeContext::read_and_keep`].
    Stored {
        sha256: String,
        size: u64,
    },
}

impl Artifact {
    pub fn bytes(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        Artifact { name: name.into(), content: ArtifactContent::Bytes(bytes.into()) }
    }
    pub fn json(name: impl Into<String>, value: &serde_json::Value) -> Self {
        let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
        bytes.push(b'\n');
        Self::bytes(name, bytes)
    }
    pub fn copy_of(name: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        Artifact { name: name.into(), content: ArtifactContent::CopyOf(path.into()) }
    }
}

/// Helpers for the probes' unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use crate::outcome::ProbeOutcome;

    /// A context on `dir` (evidence in `dir` too), started now, with `budget` to its deadline.
    pub(crate) fn context<'a>(
        dir: &'a Path,
        check_id: &'a str,
        cancel: &'a AtomicBool,
        budget: Duration,
    ) -> ProbeContext<'a> {
        ProbeContext {
            repo: dir,
            check_id,
            evidence_dir: dir,
            run_started: SystemTime::now(),
            deadline: Instant::now() + budget,
            cancel,
            output_filter: None,
        }
    }

    /// Runs `probe` with a context on `dir` (evidence in `dir` too) and a 10 s deadline.
    pub(crate) fn run_probe(
        dir: &Path,
        check_id: &str,
        probe: impl FnOnce(&ProbeContext<'_>) -> ProbeOutcome,
    ) -> ProbeOutcome {
        let cancel = AtomicBool::new(false);
        probe(&context(dir, check_id, &cancel, Duration::from_secs(10)))
    }

    /// Writes `dir/rel`, creating its parent directories.
    pub(crate) fn write(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().expect("a file under dir")).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufRead;

    fn context<'a>(dir: &'a Path, cancel: &'a AtomicBool) -> ProbeContext<'a> {
        ProbeContext {
            repo: dir,
            check_id: "c",
            evidence_dir: dir,
            run_started: SystemTime::now(),
            deadline: Instant::now() + Duration::from_secs(10),
            cancel,
            output_filter: None,
        }
    }

    /// Kept when read succeeds (the artifact carries the copy's digest), nothing left behind
    /// when it fails, and only plain relative names.
    #[test]
    fn read_and_keep_keeps_only_what_was_read_successfully() {
        let tmp = tempfile::tempdir().unwrap();
        let evidence = tmp.path().join("evidence");
        std::fs::create_dir(&evidence).unwrap();
        let src = tmp.path().join("report.txt");
        std::fs::write(&src, "one\ntwo\n").unwrap();
        let cancel = AtomicBool::new(false);
        let ctx = context(&evidence, &cancel);
        let open = || std::fs::File::open(&src).unwrap();
        let count = |r: &mut std::io::BufReader<crate::run::rundir::Tee>| {
            Ok::<usize, String>(r.lines().count())
        };
        let (n, kept) = ctx.read_and_keep(open(), "results/1-report.txt", count).unwrap();
        assert_eq!(n, 2);
        let ArtifactContent::Stored { sha256, size } = &kept.content else { panic!("{kept:?}") };
        let stored = evidence.join("results/1-report.txt");
        assert_eq!(std::fs::read(&stored).unwrap(), b"one\ntwo\n");
        assert_eq!((sha256.as_str(), *size), (crate::text::sha256_hex(b"one\ntwo\n").as_str(), 8));
        let failed = ctx.read_and_keep(open(), "results/2-report.txt", |_| Err::<(), _>("bad"));
        assert!(matches!(failed, Err(KeepError::Read("bad"))), "{failed:?}");
        assert!(!evidence.join("results/2-report.txt").exists());
        for name in ["", "../x", "/abs", "a/../../x"] {
            let r = ctx.read_and_keep(open(), name, count);
            assert!(matches!(r, Err(KeepError::Keep(_))), "{name:?}: {r:?}");
        }
    }
}
