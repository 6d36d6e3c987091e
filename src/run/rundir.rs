//! The run directory: where a run's evidence, manifest and report live.
//! `.readyctl/runs/<UTC-timestamp>-<short-id>/` by default, `--out DIR` to choose;
//! `.readyctl/latest` points at the newest complete run.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

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
    /// `.readyctl/` and `.readyctl/runs/` of a managed run, held open from before any check
    /// ran: `latest` is updated and old runs are removed through them, so a check that swaps
    /// either for a symlink never leads readyctl elsewhere.
    held: Option<(HeldDir, HeldDir)>,
    /// The run directory itself, held open since it was made: the scratch directory is
    /// removed and the reports and seal are written through it, never through a path a
    /// check could have redirected.
    dir: HeldDir,
}

/// A directory held open, reached by a path through its descriptor (`/proc/self/fd/N`:
/// whatever later happens at its old path, that path names this directory).
#[derive(Debug, Clone)]
struct HeldDir {
    /// Where it was when opened, for messages.
    path: PathBuf,
    /// Its canonical path then (`None` without `/proc`): if the descriptor's path differs
    /// later, it was moved.
    canonical: Option<PathBuf>,
    fd: Arc<std::os::fd::OwnedFd>,
}

impl HeldDir {
    /// `name` in `parent` (the descriptor, or the current directory), made when missing,
    /// opened without following a symlink: a symlink there (a check of an earlier run may
    /// have left one) is refused.
    fn open_at(parent: Option<&HeldDir>, path: &Path, name: &str) -> io::Result<HeldDir> {
        use std::os::fd::AsRawFd;
        let at = parent.map_or(libc::AT_FDCWD, |p| p.fd.as_raw_fd());
        let cname = std::ffi::CString::new(if parent.is_some() {
            name.as_bytes().to_vec()
        } else {
            path.as_os_str().as_encoded_bytes().to_vec()
        })
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        make_dir_at(at, &cname).map_err(|e| with_path(e, path))?;
        let fd = open_dir_at(at, &cname, libc::O_RDONLY).map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) | Some(libc::ENOTDIR) => io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "`{}` is a symlink or not a directory: readyctl does not follow it (a check \
                     of an earlier run may have put it there); remove it, or write the run \
                     elsewhere with --out",
                    path.display()
                ),
            ),
            _ => with_path(e, path),
        })?;
        let fd = Arc::new(fd);
        let canonical = fd_path(&fd).ok();
        Ok(HeldDir { path: path.to_path_buf(), canonical, fd })
    }

    /// `path` as it resolves now (symlinks followed: a user's `--out`), held open.
    fn open_following(path: &Path) -> io::Result<HeldDir> {
        use std::os::unix::fs::OpenOptionsExt;
        let dir = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY)
            .open(path)
            .map_err(|e| with_path(e, path))?;
        let fd = Arc::new(std::os::fd::OwnedFd::from(dir));
        Ok(HeldDir { path: path.to_path_buf(), canonical: fd_path(&fd).ok(), fd })
    }

    /// [`HeldDir::via`], or the plain path where `/proc` could not name it from the start (no
    /// protection there, as before).
    fn via_or_path(&self) -> io::Result<PathBuf> {
        if self.canonical.is_none() { Ok(self.path.clone()) } else { self.via() }
    }

    /// A path that names the held directory, while it is where it was: an error when it was
    /// moved (a check can rename it) or `/proc` cannot name it (then `latest` and `--keep`
    /// are skipped with a warning, rather than done by a path a check could redirect).
    fn via(&self) -> io::Result<PathBuf> {
        use std::os::fd::AsRawFd;
        if Some(fd_path(&self.fd)?) != self.canonical {
            return Err(io::Error::other(format!(
                "`{}` was moved or replaced during the run",
                self.path.display()
            )));
        }
        Ok(PathBuf::from(format!("/proc/self/fd/{}", self.fd.as_raw_fd())))
    }
}

/// `openat(at, name)` of a directory, never through a symlink at `name` (`O_NOFOLLOW`:
/// ELOOP or ENOTDIR for a symlink, ENOTDIR for anything else not a directory).
fn open_dir_at(
    at: std::os::fd::RawFd,
    name: &std::ffi::CStr,
    flags: i32,
) -> io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    let flags = flags | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    // SAFETY: a valid directory descriptor (or AT_FDCWD) and a NUL-terminated name; the
    // result is a new descriptor we own, or -1.
    let fd = unsafe { libc::openat(at, name.as_ptr(), flags) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a fresh descriptor, wrapped once.
    Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) })
}

/// `mkdirat(at, name)`; an entry already there is fine (the open after it says what it is).
fn make_dir_at(at: std::os::fd::RawFd, name: &std::ffi::CStr) -> io::Result<()> {
    // SAFETY: a valid directory descriptor (or AT_FDCWD) and a NUL-terminated name.
    if unsafe { libc::mkdirat(at, name.as_ptr(), 0o777) } != 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EEXIST) {
            return Err(e);
        }
    }
    Ok(())
}

/// The device and inode of what `fd` holds.
fn fd_identity(fd: &std::os::fd::OwnedFd) -> Option<(u64, u64)> {
    use std::os::fd::AsRawFd;
    // SAFETY: fstat on a descriptor we hold, into a zeroed stat buffer.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    (unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } == 0)
        .then_some((st.st_dev as u64, st.st_ino as u64))
}

/// Where the directory held by `fd` is now (`readlink` of `/proc/self/fd/N`).
fn fd_path(fd: &std::os::fd::OwnedFd) -> io::Result<PathBuf> {
    use std::os::fd::AsRawFd;
    fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())).map_err(|e| {
        io::Error::new(e.kind(), format!("cannot name a held directory through /proc: {e}"))
    })
}

/// The run's scratch directory (`RUN_DIR/scratch`): where checks' commands write reports,
/// named by `$READYCTL_SCRATCH`. Removed before the run is sealed, so it is never evidence
/// (probes copy what they read into their evidence directory).
pub const SCRATCH: &str = "scratch";

impl RunDir {
    /// A path naming the run directory through its held descriptor: where reports and the
    /// seal are written. An error when the run was moved or replaced during the run.
    pub fn via(&self) -> io::Result<PathBuf> {
        self.dir.via_or_path()
    }

    /// Whether the run is where it was, and its path (as vetting resolves it) still leads to
    /// the directory readyctl holds: the directory vetted is the one sealed.
    pub fn in_place(&self) -> bool {
        let held = fd_identity(&self.dir.fd);
        self.via().is_ok()
            && held.is_some()
            && fs::metadata(&self.path).ok().map(|m| identity(&m)) == held
            && evidence_in_place(&self.evidence())
    }

    /// Removes the scratch directory, through the held run directory; nothing when the run
    /// is no longer where it was (it is then not sealed either).
    pub fn remove_scratch(&self) {
        if let Ok(dir) = self.via() {
            let _ = fs::remove_dir_all(dir.join(SCRATCH));
        }
    }

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
    let (dir, held) = if managed {
        // `.readyctl/`, `runs/` and the run itself, each made and opened from the one above,
        // never through a symlink.
        let dot = repo.join(".readyctl");
        let base = HeldDir::open_at(None, &dot, ".readyctl")?;
        let runs = HeldDir::open_at(Some(&base), &dot.join("runs"), "runs")?;
        let run = HeldDir::open_at(Some(&runs), &path, &id)?;
        // Through the held directory; by path where /proc cannot name it (no check ran yet).
        ignore_itself(&base.via().unwrap_or(dot))?;
        (run, Some((base, runs)))
    } else {
        // `--out` is the user's path: followed as it is now, then held.
        fs::create_dir_all(&path).map_err(|e| with_path(e, &path))?;
        (HeldDir::open_following(&path)?, None)
    };
    // `evidence/` and `scratch/` made and opened from the held run directory; readyctl works
    // beneath that `evidence/` descriptor from now on, never by re-resolving its path.
    let evidence = HeldDir::open_at(Some(&dir), &path.join("evidence"), "evidence")?;
    HeldDir::open_at(Some(&dir), &path.join(SCRATCH), SCRATCH)?;
    lock(&ROOTS).push(Root {
        path: path.join("evidence"),
        canonical: evidence.canonical,
        fd: evidence.fd,
    });
    Ok(RunDir { path, id, managed, dir, held })
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
pub fn mark_latest(run: &RunDir) -> io::Result<()> {
    // Only a managed run (under `.readyctl/runs/`) holds `.readyctl/`.
    let Some((base, _)) = &run.held else { return Ok(()) };
    let base = base.via()?;
    let tmp = base.join(format!(".latest-{}", run.id));
    let _ = fs::remove_file(&tmp);
    std::os::unix::fs::symlink(Path::new("runs").join(&run.id), &tmp).map_err(|e| {
        with_path(e, Path::new(".readyctl").join(format!(".latest-{}", run.id)).as_path())
    })?;
    fs::rename(&tmp, base.join("latest")).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        with_path(e, Path::new(".readyctl/latest"))
    })
}

/// How long a run directory without a manifest is presumed to be in progress (another
/// readyctl still writing it) rather than left behind by a crash.
pub const INCOMPLETE_GRACE: chrono::Duration = chrono::Duration::hours(24);

/// `--keep N`: removes old runs from `.readyctl/runs/`, keeping the newest `keep` complete runs
/// (`run`, the current one, counts). Only directories readyctl created are touched: the name
/// must be a run id (`20260101T120000Z-0a1b2c`), and the directory must hold a `manifest.json` (a
/// complete run) or be an incomplete run older than [`INCOMPLETE_GRACE`] by both its name and
/// its modification time. The run `latest` points at and the current run are never removed.
/// `keep == 0` keeps everything. Works through the `.readyctl/` and `runs/` directories held
/// since the run was created. Returns the ids removed, oldest first.
pub fn prune(
    run: &RunDir,
    keep: usize,
    now: chrono::DateTime<chrono::Utc>,
) -> io::Result<Vec<String>> {
    let Some((base, runs)) = &run.held else { return Ok(Vec::new()) };
    prune_in(&runs.via()?, &base.via()?.join("latest"), keep, &run.id, now)
}

/// [`prune`] in the runs directory `runs`, `latest` being the link to the latest run.
fn prune_in(
    runs: &Path,
    latest: &Path,
    keep: usize,
    current: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> io::Result<Vec<String>> {
    if keep == 0 {
        return Ok(Vec::new());
    }
    let latest = fs::read_link(latest)
        .ok()
        .and_then(|t| t.file_name().map(|n| n.to_string_lossy().into_owned()));
    let mut complete = Vec::new();
    let mut stale = Vec::new();
    // An entry gone meanwhile was removed by another run pruning at the same time.
    let gone = |e: &io::Error| e.kind() == io::ErrorKind::NotFound;
    for entry in fs::read_dir(runs)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stamp) = run_id_time(&name) else { continue };
        // Symlinks and files are never ours to delete.
        let is_dir = match entry.file_type() {
            Ok(t) => t.is_dir(),
            Err(e) if gone(&e) => continue,
            Err(e) => return Err(e),
        };
        if !is_dir || name == current || latest.as_deref() == Some(&name) {
            continue;
        }
        if entry.path().join("manifest.json").is_file() {
            complete.push(name);
        } else {
            let meta = match entry.metadata() {
                Ok(meta) => meta,
                Err(e) if gone(&e) => continue,
                Err(e) => return Err(e),
            };
            // A time out of chrono's range (a far-future mtime) counts as now: not stale.
            let modified = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .and_then(|d| {
                    chrono::DateTime::<chrono::Utc>::from_timestamp(
                        i64::try_from(d.as_secs()).ok()?,
                        d.subsec_nanos(),
                    )
                })
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
        // `remove_dir_all` follows no symlink beneath `runs` (and `name` is a directory).
        match fs::remove_dir_all(runs.join(name)) {
            Err(e) if !gone(&e) => {
                return Err(with_path(e, &Path::new(".readyctl/runs").join(name)));
            }
            _ => {}
        }
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

/// What [`store_artifacts`] found in an evidence directory.
#[derive(Debug, Default)]
pub struct Stored {
    /// The evidence: every file there that readyctl wrote, with its digest.
    pub files: Vec<EvidenceFile>,
    /// Entries readyctl did not write, or that changed after it wrote them ([`own`]),
    /// as (path relative to the run directory, why). They were removed: never evidence.
    pub foreign: Vec<(String, &'static str)>,
}

impl Stored {
    /// The check's reason when something else wrote into its evidence directory.
    pub fn foreign_reason(&self) -> Option<String> {
        if self.foreign.is_empty() {
            return None;
        }
        Some(format!(
            "its evidence directory is not as readyctl wrote it: {}; a process changed the run directory, so this evidence cannot be trusted (removed, not sealed)",
            describe_foreign(&self.foreign, 5)
        ))
    }
}

/// The first `shown` foreign entries, each as `` `path` (why) ``, then how many more.
pub fn describe_foreign(foreign: &[(String, &'static str)], shown: usize) -> String {
    let each: Vec<String> = foreign.iter().map(|(path, why)| format!("`{path}` ({why})")).collect();
    crate::text::first_few(&each, shown, crate::text::More::Plus)
}

/// Writes a probe's artifacts into its evidence directory (through the redaction filter), then
/// lists every file there with its digest, and removes what readyctl did not write there.
pub fn store_artifacts(
    dir: &Path,
    evidence_root: &Path,
    artifacts: Vec<Artifact>,
    filter: Option<&Filter>,
) -> io::Result<Stored> {
    // What this call wrote is hashed as it is written; the other files there (streamed logs)
    // are read and hashed below.
    let mut digests: std::collections::HashMap<PathBuf, (String, u64)> = Default::default();
    for a in artifacts {
        let dest = artifact_path(dir, &redacted_name(&a.name, filter))?;
        let digest = match a.content {
            ArtifactContent::Bytes(bytes) => {
                let bytes = match filter {
                    Some(f) => f.redact_bytes(&bytes).0,
                    None => bytes,
                };
                write_hashed(&dest, |out| out.write_all(&bytes))?
            }
            ArtifactContent::CopyOf(src) => {
                let opened = crate::walk::open_regular(&src).map_err(|e| with_path(e, &src))?;
                let reader = BufReader::new(opened);
                copy_redacted(reader, &dest, filter)?
            }
            // Written by the probe as it read it (`probe::ProbeContext::read_and_keep`).
            ArtifactContent::Stored { sha256, size } => {
                if !dest.is_file() {
                    return Err(io::Error::new(
                        io::ErrorKind::NotFound,
                        format!("stored artifact `{}` is missing", a.name),
                    ));
                }
                (sha256, size)
            }
        };
        digests.insert(dest, digest);
    }
    let run_dir = evidence_root.parent().unwrap_or(evidence_root);
    let mut stored = Stored::default();
    // The directory itself: a symlink a check put in its place is removed, never walked.
    match fs::symlink_metadata(dir) {
        Ok(meta) if !meta.is_dir() => {
            remove_beneath(dir).map_err(|e| with_path(e, dir))?;
            let rel = dir.strip_prefix(run_dir).unwrap_or(dir).to_string_lossy().replace('\\', "/");
            stored.foreign.push((rel, "not the directory readyctl made (a symlink?)"));
            return Ok(stored);
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            missing_kept(dir, run_dir, &HashSet::new(), &mut stored);
            return Ok(stored);
        }
        _ => {}
    }
    let mut found: HashSet<PathBuf> = HashSet::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(io::Error::other)?;
        let rel = entry.path().strip_prefix(run_dir).unwrap_or(entry.path());
        let rel = rel.to_string_lossy().replace('\\', "/");
        let meta = entry.metadata().map_err(io::Error::other)?;
        if meta.is_dir() {
            continue;
        }
        // Streamed logs were written while the check's processes ran: read back, they must
        // hold exactly what readyctl wrote.
        found.insert(entry.path().to_path_buf());
        let written_here = digests.remove(entry.path());
        let content = if written_here.is_none() { Content::Read } else { Content::Skip };
        match own(entry.path(), &meta, content) {
            Ok((sha256, size)) => stored.files.push(EvidenceFile { path: rel, sha256, size }),
            Err(why) => {
                remove_beneath(entry.path()).map_err(|e| with_path(e, entry.path()))?;
                // Nothing readyctl wrote at this path is evidence any more (a replaced log).
                lock(&LEDGER).retain(|_, e| e.path != entry.path());
                lock(&KEPT).remove(entry.path());
                stored.foreign.push((rel, why));
            }
        }
    }
    missing_kept(dir, run_dir, &found, &mut stored);
    if stored.files.is_empty() {
        let _ = fs::remove_dir(dir);
    }
    Ok(stored)
}

/// Creates a file readyctl writes in a run directory, where a check's commands can also
/// write. Whatever another process put at that path first (a symlink, a FIFO that would block
/// an open for ever, a hard link to a file elsewhere that an open would truncate) is never
/// opened: it is an error. Errors do not name the file: callers do.
fn create_evidence_file(path: &Path) -> io::Result<File> {
    match create_new_evidence_file(path) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            // Something is there. readyctl's own earlier file at this path (a retried check's
            // log) is replaced; anything else was put there by another process, and is never
            // opened: a hard link to a file outside the run would have readyctl truncate it.
            let what = entry_at(path)?;
            let ours = what
                .as_ref()
                .ok()
                .map(identity)
                .filter(|id| lock(&LEDGER).get(id).is_some_and(|entry| entry.path == path));
            let Some(ours) = ours else {
                return Err(match what {
                    Err(why) => io::Error::new(io::ErrorKind::InvalidInput, why),
                    Ok(_) => io::Error::new(io::ErrorKind::InvalidInput, "not written by readyctl"),
                });
            };
            remove_beneath(path)?;
            forget_if_still(ours, path);
            create_new_evidence_file(path)
        }
        r => r,
    }
}

/// Removes the ledger entry of identity `id` if it is still `path`'s. Once readyctl has removed
/// its file at `path`, the inode may at once be given to another check's new file, whose entry
/// (same identity, another path) must stay: removing it made that check's log "not written by
/// readyctl" and refused the seal of runs with retries.
fn forget_if_still(id: (u64, u64), path: &Path) {
    let mut ledger = lock(&LEDGER);
    if ledger.get(&id).is_some_and(|entry| entry.path == path) {
        ledger.remove(&id);
    }
}

/// Creates `path`, which must not exist (`O_EXCL`: never a file, a link or a FIFO someone
/// put there), beneath its held root.
fn create_new_evidence_file(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW;
    let opened = match open_beneath(path, flags, 0o666) {
        Some(r) => r,
        None => fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path),
    };
    opened.map_err(|e| match e.raw_os_error() {
        Some(libc::EEXIST) => io::Error::new(io::ErrorKind::AlreadyExists, "exists"),
        _ => e,
    })
}

/// What is at `path` (not following a symlink): a regular file's metadata, or why it is not
/// one ("a symlink, not followed", "not a regular file").
fn entry_at(path: &Path) -> io::Result<Result<fs::Metadata, &'static str>> {
    let opened = match open_beneath(path, libc::O_PATH | libc::O_NOFOLLOW, 0) {
        Some(r) => r?.metadata()?,
        None => fs::symlink_metadata(path)?,
    };
    Ok(if opened.file_type().is_symlink() {
        Err("a symlink, not followed")
    } else if !opened.is_file() {
        Err("not a regular file")
    } else {
        Ok(opened)
    })
}

/// Creates the evidence directory `dir` (and its parents): an existing level must be a real
/// directory, not a symlink a check put there to have readyctl write elsewhere.
pub fn create_evidence_dir(dir: &Path) -> io::Result<()> {
    match make_dirs_beneath(dir) {
        Some(r) => r,
        None => create_dirs_within(dir),
    }
}

/// [`create_evidence_dir`] beneath the held `evidence/` root `dir` lies under, one level at a
/// time from the root's descriptor: each level is opened with `O_NOFOLLOW | O_DIRECTORY` (a
/// symlink or a file a check put there is refused, never followed) and a missing one is made
/// with `mkdirat` in the level above, so no rename or symlink swapped in meanwhile can have a
/// directory made outside the run. `None` when `dir` lies under no held root.
fn make_dirs_beneath(dir: &Path) -> Option<io::Result<()>> {
    use std::os::fd::{AsRawFd, OwnedFd};
    use std::os::unix::ffi::OsStrExt;
    let (mut level, root, rel) = match root_of(dir)? {
        Ok(found) => found,
        Err(e) => return Some(Err(e)),
    };
    // What stands where a directory is needed: a symlink is named as such.
    let not_a_dir = |at: i32, name: &std::ffi::CStr, level: &Path| {
        // SAFETY: a valid directory descriptor, a NUL-terminated name and a stat buffer.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        let symlink =
            unsafe { libc::fstatat(at, name.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) } == 0
                && st.st_mode & libc::S_IFMT == libc::S_IFLNK;
        if symlink {
            io::Error::new(io::ErrorKind::InvalidInput, "a symlink on the way, not followed")
        } else {
            io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("`{}` exists and is not a directory", level.display()),
            )
        }
    };
    let mut at: Option<OwnedFd> = None;
    for name in rel.components() {
        let std::path::Component::Normal(name) = name else {
            return Some(Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{}` is not a plain path beneath the run", dir.display()),
            )));
        };
        level.push(name);
        let Ok(cname) = std::ffi::CString::new(name.as_bytes()) else {
            return Some(Err(io::Error::new(io::ErrorKind::InvalidInput, "a NUL in a path")));
        };
        let parent = at.as_ref().map_or(root.as_raw_fd(), |f| f.as_raw_fd());
        let next = match open_dir_at(parent, &cname, libc::O_PATH) {
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {
                if let Err(e) = make_dir_at(parent, &cname) {
                    return Some(Err(e));
                }
                open_dir_at(parent, &cname, libc::O_PATH)
            }
            r => r,
        };
        match next {
            Ok(fd) => at = Some(fd),
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOTDIR) | Some(libc::ELOOP)) => {
                return Some(Err(not_a_dir(parent, &cname, &level)));
            }
            Err(e) => return Some(Err(e)),
        }
    }
    Some(Ok(()))
}

/// [`create_evidence_dir`] by path, for a directory under no held root (a probe's evidence
/// directory in a unit test): every existing level of `dir` must be a real directory, and
/// each missing level is made with `mkdir`.
fn create_dirs_within(dir: &Path) -> io::Result<()> {
    let mut missing = Vec::new();
    let mut level = dir;
    loop {
        match fs::symlink_metadata(level) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("`{}` exists and is not a directory (a symlink?)", level.display()),
                ));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => missing.push(level),
            Err(e) => return Err(e),
        }
        match level.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => level = parent,
            _ => break,
        }
    }
    for level in missing.into_iter().rev() {
        match fs::create_dir(level) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if !fs::symlink_metadata(level)?.is_dir() {
                    return Err(io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        format!("`{}` exists and is not a directory", level.display()),
                    ));
                }
            }
            r => r?,
        }
    }
    Ok(())
}

/// The run directories' `evidence/` directories, held open (`O_PATH`): files readyctl creates
/// or removes under one are reached with `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)`, so
/// a symlink a check put at any level (`evidence/<id>`, `evidence/<id>/results`) is refused,
/// never followed out of the run.
static ROOTS: Mutex<Vec<Root>> = Mutex::new(Vec::new());

/// A held `evidence/` directory: its path, where it was when held (`None` without `/proc`),
/// and its descriptor.
struct Root {
    path: PathBuf,
    canonical: Option<PathBuf>,
    fd: Arc<std::os::fd::OwnedFd>,
}

/// Whether `path` lies under a held `evidence/` root (by path only: [`root_of`] also checks
/// the root is still in place).
fn beneath_held_root(path: &Path) -> bool {
    lock(&ROOTS).iter().any(|r| path.starts_with(&r.path))
}

/// The held root `path` lies under: (its path, its descriptor, `path` relative to it), taken
/// out of the registry so that no lock is held while the file system works. An error when
/// the root is no longer where it was: `evidence/`, the run or a directory above it was moved
/// (a check can rename it out of the run, and leave a symlink behind) or replaced, and
/// readyctl writes nothing there.
fn root_of(path: &Path) -> Option<io::Result<(PathBuf, Arc<std::os::fd::OwnedFd>, PathBuf)>> {
    let (root, canonical, fd, rel) = lock(&ROOTS).iter().rev().find_map(|r| {
        let rel = path.strip_prefix(&r.path).ok()?;
        Some((r.path.clone(), r.canonical.clone(), r.fd.clone(), rel.to_path_buf()))
    })?;
    let in_place = match canonical {
        // Where the descriptor is now, by the kernel's own account.
        Some(was) => fd_path(&fd).is_ok_and(|now| now == was),
        // Without /proc: the path's last level must still be the held directory.
        None => {
            let held = fd_identity(&fd);
            held.is_some() && held == fs::symlink_metadata(&root).ok().map(|m| identity(&m))
        }
    };
    if !in_place {
        return Some(Err(io::Error::new(
            io::ErrorKind::NotFound,
            "the run's evidence directory was moved or replaced",
        )));
    }
    Some(Ok((root, fd, rel)))
}

/// Whether the run's `evidence/` (held since the run began) is still where it was.
pub fn evidence_in_place(evidence: &Path) -> bool {
    root_of(evidence).is_none_or(|r| r.is_ok())
}

/// `openat2` of `path` beneath the held `evidence/` root it lies under; `None` when it lies
/// under none (a temporary directory) or the kernel has no `openat2` (before Linux 5.6).
fn open_beneath(path: &Path, flags: i32, mode: u32) -> Option<io::Result<File>> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::{AsRawFd, FromRawFd};
        use std::os::unix::ffi::OsStrExt;
        let (_, root, rel) = match root_of(path)? {
            Ok(found) => found,
            Err(e) => return Some(Err(e)),
        };
        if rel.as_os_str().is_empty() {
            return None;
        }
        let rel = std::ffi::CString::new(rel.as_os_str().as_bytes()).ok()?;
        // SAFETY: open_how is plain data; zeroed is a valid value, then the fields are set.
        let mut how: libc::open_how = unsafe { std::mem::zeroed() };
        how.flags = (flags | libc::O_CLOEXEC) as u64;
        how.mode = if flags & libc::O_CREAT != 0 { mode as u64 } else { 0 };
        how.resolve =
            libc::RESOLVE_BENEATH | libc::RESOLVE_NO_SYMLINKS | libc::RESOLVE_NO_MAGICLINKS;
        // SAFETY: a valid directory descriptor, a NUL-terminated path and a pointer to `how`
        // with its size; the result is a new descriptor we own, or -1.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_openat2,
                root.as_raw_fd(),
                rel.as_ptr(),
                &how as *const libc::open_how,
                std::mem::size_of::<libc::open_how>(),
            )
        };
        if fd < 0 {
            let e = io::Error::last_os_error();
            return match e.raw_os_error() {
                Some(libc::ENOSYS) => None,
                Some(libc::ELOOP) | Some(libc::EXDEV) => Some(Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "a symlink on the way, not followed",
                ))),
                _ => Some(Err(e)),
            };
        }
        // SAFETY: a fresh descriptor, wrapped once.
        Some(Ok(unsafe { File::from_raw_fd(fd as i32) }))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (path, flags, mode);
        None
    }
}

/// Removes `path` without following a symlink at any level beneath its `evidence/` root.
fn remove_beneath(path: &Path) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    use std::os::unix::ffi::OsStrExt;
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return fs::remove_file(path);
    };
    let name = std::ffi::CString::new(name.as_bytes())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let unlink = |dirfd: i32| {
        // SAFETY: a valid directory descriptor and a NUL-terminated name.
        if unsafe { libc::unlinkat(dirfd, name.as_ptr(), 0) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    };
    // Directly in a held root (a check's directory itself): through the root's descriptor.
    let held = lock(&ROOTS).iter().find(|r| r.path == parent).map(|r| r.fd.clone());
    if let Some(fd) = held {
        return unlink(fd.as_raw_fd());
    }
    match open_beneath(parent, libc::O_PATH | libc::O_DIRECTORY, 0) {
        Some(r) => unlink(r?.as_raw_fd()),
        None => fs::remove_file(path),
    }
}

/// The one way readyctl writes a file in a run directory (logs, artifacts, copies): created by
/// [`create_evidence_file`] (beneath the held `evidence/`, its missing directories first) and
/// entered in the ledger as readyctl's own, it hashes what it writes;
/// [`EvidenceWriter::finish`] (or dropping it, after an error: the file then holds what was
/// written before it) records the digest and how the file then stood.
pub struct EvidenceWriter {
    file: File,
    hasher: Sha256,
    size: u64,
    finished: bool,
}

impl EvidenceWriter {
    pub fn create(path: &Path) -> io::Result<EvidenceWriter> {
        // A check's directory is made with its first file: whatever a check put there first
        // is refused as it would be in a directory made earlier (a symlink, a file). Only
        // beneath a held `evidence/` root: a file outside a run (a temporary directory the
        // caller made) goes where it is asked to, through symlinks above it (`/var` on macOS).
        if let Some(made) = path.parent().and_then(make_dirs_beneath) {
            made?;
        }
        let file = create_evidence_file(path)?;
        let id = identity(&file.metadata()?);
        // One file per path: the last readyctl made there. An earlier one it finished (a
        // retry's first attempt), moved away by a process before this one was made, is not
        // readyctl's at this path any more if it is put back. (Looked for only when readyctl
        // kept a file at this path before; KEPT is not held while LEDGER is taken.)
        let again = lock(&KEPT).contains(path);
        let mut ledger = lock(&LEDGER);
        if again {
            ledger.retain(|_, e| e.path != path);
        }
        ledger.insert(id, Entry { path: path.to_path_buf(), done: None, verified: false });
        drop(ledger);
        Ok(EvidenceWriter { file, hasher: Sha256::new(), size: 0, finished: false })
    }

    /// Done writing: the digest (hex) and size of what was written, also recorded in the
    /// ledger with the file's size, change time and birth time as they are now.
    pub fn finish(mut self) -> io::Result<(String, u64)> {
        self.file.flush()?;
        self.record()
    }

    fn record(&mut self) -> io::Result<(String, u64)> {
        self.finished = true;
        let meta = self.file.metadata()?;
        let sha256 = crate::text::hex(&self.hasher.clone().finalize());
        let done = Done { stamp: stamp(&meta), sha256: sha256.clone(), size: self.size };
        if let Some(entry) = lock(&LEDGER).get_mut(&identity(&meta)) {
            lock(&KEPT).insert(entry.path.clone());
            entry.done = Some(done);
        }
        Ok((sha256, self.size))
    }
}

impl Drop for EvidenceWriter {
    fn drop(&mut self) {
        if !self.finished {
            let _ = self.record();
        }
    }
}

impl Write for EvidenceWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// The paths of the files readyctl finished and keeps, by path (not by identity: a removed
/// file's inode can be given to the next file readyctl creates, which would hide the removal
/// in the ledger). [`vet`] requires each under the run directory to be there.
static KEPT: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// Files readyctl finished and keeps under `dir` (a check's evidence directory) that the walk
/// of it did not `found`: moved away or removed by a process of the check, maybe to be put
/// back later. Each is named in `stored.foreign` and no longer kept, so the check is an
/// `error` and, if the file comes back, the run is not sealed with a check whose evidence
/// leaves it out.
fn missing_kept(dir: &Path, run_dir: &Path, found: &HashSet<PathBuf>, stored: &mut Stored) {
    let missing: Vec<PathBuf> = {
        let mut kept = lock(&KEPT);
        let missing: Vec<PathBuf> = kept
            .range(dir.to_path_buf()..)
            .take_while(|p| p.starts_with(dir))
            .filter(|p| !found.contains(*p))
            .cloned()
            .collect();
        for path in &missing {
            kept.remove(path);
        }
        missing
    };
    if missing.is_empty() {
        return;
    }
    lock(&LEDGER).retain(|_, e| !missing.contains(&e.path));
    for path in missing {
        let rel = path.strip_prefix(run_dir).unwrap_or(&path).to_string_lossy().replace('\\', "/");
        stored.foreign.push((rel, "missing: moved or removed while the check ran"));
    }
}

/// Removes a file readyctl wrote and no longer keeps (a copy that failed to parse), and its
/// ledger entry (its inode may be reused).
pub fn discard(path: &Path) {
    if let Ok(meta) = fs::symlink_metadata(path) {
        let mut ledger = lock(&LEDGER);
        if ledger.get(&identity(&meta)).is_some_and(|e| e.path == path) {
            ledger.remove(&identity(&meta));
        }
    }
    lock(&KEPT).remove(path);
    let _ = fs::remove_file(path);
}

/// The files readyctl wrote in run directories (this process), by identity (device, inode):
/// the path readyctl created each at and, once finished, what it wrote and how the file stood.
///
/// A check's commands run as the same user and can write anywhere in the run directory: plant
/// a file in an evidence directory (it would be listed and sealed as evidence), link or replace
/// a log readyctl is writing, or write into it (the sealed log would not be the command's
/// output). So evidence is not "what the directory holds" but "what readyctl wrote there,
/// unchanged": a planted or replaced file has an identity the ledger does not know, a link has
/// another path, a file written into while readyctl wrote it no longer has the digest of what
/// readyctl wrote, and a file changed after readyctl finished it has another size or change
/// time (set by the kernel on every write, not settable by a process) or birth time.
static LEDGER: Mutex<BTreeMap<(u64, u64), Entry>> = Mutex::new(BTreeMap::new());

struct Entry {
    path: PathBuf,
    done: Option<Done>,
    /// Read back against its digest since it was finished, or written in one go with no
    /// process of a check reading its path (an artifact): not read again at the seal.
    verified: bool,
}

struct Done {
    stamp: Stamp,
    sha256: String,
    size: u64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Stamp {
    size: u64,
    ctime: (i64, i64),
    btime: Option<std::time::SystemTime>,
}

/// One of the registries above, locked (a panic elsewhere while it was held does not make
/// it unusable: every update leaves it consistent).
fn lock<T>(registry: &'static Mutex<T>) -> MutexGuard<'static, T> {
    registry.lock().unwrap_or_else(|e| e.into_inner())
}

fn identity(meta: &fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

fn stamp(meta: &fs::Metadata) -> Stamp {
    use std::os::unix::fs::MetadataExt;
    Stamp { size: meta.len(), ctime: (meta.ctime(), meta.ctime_nsec()), btime: meta.created().ok() }
}

/// What readyctl wrote at `path` (SHA-256 hex, size) when the entry there (its `lstat`
/// metadata `meta`) is a regular file readyctl created at this path, finished, and left as it
/// was; else why it is not evidence. With `content`, the file is also read and must hold
/// exactly what readyctl wrote (for files others could write into while readyctl wrote them:
/// streamed logs).
pub fn own(
    path: &Path,
    meta: &fs::Metadata,
    content: Content,
) -> Result<(String, u64), &'static str> {
    if !meta.is_file() {
        return Err("not a regular file");
    }
    let (wrote, verified, same_stamp) = match lock(&LEDGER).get(&identity(meta)) {
        Some(entry) if entry.path == path => match &entry.done {
            None => return Err("not finished by readyctl"),
            Some(done) => {
                ((done.sha256.clone(), done.size), entry.verified, done.stamp == stamp(meta))
            }
        },
        _ => return Err("not written by readyctl"),
    };
    if !same_stamp {
        // Something touched it (a write, or only `chmod`/`touch`, as a test suite may do over
        // the whole repository): it is still readyctl's if it holds exactly what readyctl wrote.
        if meta.len() != wrote.1 || hash_file(path).ok().as_ref() != Some(&wrote) {
            return Err("changed after readyctl wrote it");
        }
        if let Some(Entry { done: Some(done), verified, .. }) =
            lock(&LEDGER).get_mut(&identity(meta))
        {
            done.stamp = stamp(meta);
            *verified = true;
        }
        return Ok(wrote);
    }
    if content == Content::Read || (content == Content::IfUnread && !verified) {
        if hash_file(path).ok().as_ref() != Some(&wrote) {
            return Err("written into by another process while readyctl wrote it");
        }
        if let Some(entry) = lock(&LEDGER).get_mut(&identity(meta)) {
            entry.verified = true;
        }
    }
    Ok(wrote)
}

/// Whether [`own`] reads the file back against the digest of what readyctl wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// Identity, path and stamp only.
    Skip,
    /// Also read it (a log streamed while a check's processes ran).
    Read,
    /// Read it unless it was read back already (at the seal: service logs).
    IfUnread,
}

/// The bytes of `path`, a file readyctl wrote and finished, exactly as readyctl wrote them:
/// opened without following a symlink, the opened file must be the one the ledger has at this
/// path, unchanged since, and what is read from it must have the digest of what readyctl
/// wrote. A probe judges a log on these bytes, never on whatever the path names by then (a
/// check's process could swap the directory, or write into the file).
pub fn read_own(path: &Path) -> io::Result<Vec<u8>> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)?;
    let meta = file.metadata()?;
    let refused = |why: &str| {
        io::Error::new(io::ErrorKind::InvalidData, format!("{}: {why}", path.display()))
    };
    let wrote = {
        let ledger = lock(&LEDGER);
        match ledger.get(&identity(&meta)) {
            // The digest of the bytes read from the opened file decides (a `chmod` or `touch`
            // changes the file's times, not what readyctl wrote).
            Some(entry) if entry.path == path && meta.is_file() => match &entry.done {
                Some(done) => (done.sha256.clone(), done.size),
                None => return Err(refused("not finished by readyctl")),
            },
            _ => return Err(refused("not written by readyctl")),
        }
    };
    let mut bytes = Vec::with_capacity(wrote.1 as usize);
    file.read_to_end(&mut bytes)?;
    if (crate::text::hex(&Sha256::digest(&bytes)), bytes.len() as u64) != wrote {
        return Err(refused("changed since readyctl wrote it"));
    }
    Ok(bytes)
}

/// What [`vet`] found under a run directory.
#[derive(Debug, Default)]
pub struct Vetted {
    /// Every entry that is not evidence readyctl wrote ([`own`]): (path relative to the
    /// directory, why), in name order.
    pub foreign: Vec<(String, &'static str)>,
    /// Every file readyctl wrote there, unchanged, with the digest of what it wrote (path
    /// relative to the directory with `/` separators).
    pub files: Vec<crate::evidence::FileDigest>,
}

/// Walks `dir` once and sorts what it holds into readyctl's own files and the rest. Files not
/// read back since readyctl finished them (service logs, written while the service ran) are
/// read against the digest of what readyctl wrote.
pub fn vet(dir: &Path) -> io::Result<Vetted> {
    let mut vetted = Vetted::default();
    let mut seen = std::collections::HashSet::new();
    for entry in walkdir::WalkDir::new(dir).min_depth(1).sort_by_file_name() {
        let entry = entry.map_err(io::Error::other)?;
        let meta = entry.metadata().map_err(io::Error::other)?;
        if meta.is_dir() {
            continue;
        }
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        let rel = rel.to_string_lossy().replace('\\', "/");
        seen.insert(entry.path().to_path_buf());
        match own(entry.path(), &meta, Content::IfUnread) {
            Ok((sha256, size)) => {
                vetted.files.push(crate::evidence::FileDigest { path: rel, sha256, size })
            }
            Err(why) => vetted.foreign.push((rel, why)),
        }
    }
    // What readyctl finished writing here and kept must still be here.
    for path in lock(&KEPT).iter().filter(|p| p.starts_with(dir) && !seen.contains(*p)) {
        let rel = path.strip_prefix(dir).unwrap_or(path).to_string_lossy().replace('\\', "/");
        vetted.foreign.push((rel, "removed after readyctl wrote it"));
    }
    vetted.foreign.sort();
    Ok(vetted)
}

/// An artifact's name as it is written: a secret in it (a report named after a token) is
/// redacted like any text, so it reaches no path, manifest or `SHA256SUMS`.
pub fn redacted_name(name: &str, filter: Option<&Filter>) -> String {
    match filter {
        Some(f) => f.redact_str(name).0,
        None => name.to_string(),
    }
}

/// Where artifact `name` goes in the evidence directory `dir`: `name` must be a plain relative
/// path (no root, `..` or `.`), so a probe cannot write outside its directory.
pub fn artifact_path(dir: &Path, name: &str) -> io::Result<PathBuf> {
    let plain = !name.is_empty()
        && Path::new(name).components().all(|c| matches!(c, std::path::Component::Normal(_)));
    if !plain {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("artifact name `{name}` is not a plain relative path"),
        ));
    }
    Ok(dir.join(name))
}

/// Creates `dest` (and its directory), lets `write` fill it through a hashing buffer, and
/// returns its SHA-256 (hex) and size.
fn write_hashed(
    dest: &Path,
    write: impl FnOnce(&mut io::BufWriter<EvidenceWriter>) -> io::Result<()>,
) -> io::Result<(String, u64)> {
    // Beneath a held root `EvidenceWriter::create` makes the directories; outside a run (a
    // directory the probe was given) its subdirectories (`results/`) are made here.
    if let Some(parent) = dest.parent().filter(|p| !beneath_held_root(p)) {
        create_dirs_within(parent)?;
    }
    let file = EvidenceWriter::create(dest).map_err(|e| with_path(e, dest))?;
    let mut out = io::BufWriter::new(file);
    write(&mut out)?;
    out.flush()?;
    let file = out.into_inner().map_err(|e| e.into_error())?;
    let id = identity(&file.file.metadata()?);
    let digest = file.finish()?;
    // Written in one go by readyctl: the seal takes its digest (a process that wrote into it
    // meanwhile makes the run fail `verify`, naming the file), it does not read it again.
    if let Some(entry) = lock(&LEDGER).get_mut(&id) {
        entry.verified = true;
    }
    Ok(digest)
}

/// Copies `reader` to `dest` through `filter`, hashing what is written: (SHA-256 hex, size).
///
/// Line by line through one redaction stream (a secret cut between two pieces of a huge line
/// is still seen whole). Whole lines go in batches of about 64 KiB (the stream redacts each
/// line of a batch as if it came alone, and passes a clean batch at once); a piece of a line
/// over 1 MiB goes alone.
pub fn copy_redacted(
    mut reader: impl BufRead,
    dest: &Path,
    filter: Option<&Filter>,
) -> io::Result<(String, u64)> {
    write_hashed(dest, |out| {
        let mut line = Vec::new();
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
        Ok(())
    })
}

/// Reads `src` once for two readers: `read` gets it through a buffered reader while another
/// thread copies the same bytes through [`copy_redacted`] to `dest`, so the copy is what
/// `read` saw even if `src` changes meanwhile, and parsing and copying overlap. What `read`
/// leaves unread is still copied (the copy is the whole file). `Err` when the copy could not
/// be written (`dest` is then removed). `read`'s result comes back whatever it is: the caller
/// removes `dest` when it does not keep the copy.
pub fn read_and_copy<T>(
    src: File,
    dest: &Path,
    filter: Option<&Filter>,
    read: impl FnOnce(&mut BufReader<Tee>) -> T,
) -> (T, io::Result<(String, u64)>) {
    // Four chunks in flight at most: the reader waits for a slow writer (bounded memory).
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
    std::thread::scope(|scope| {
        let copier = scope.spawn(move || {
            let chunks = Chunks { rx, chunk: Vec::new(), pos: 0 };
            copy_redacted(chunks, dest, filter)
        });
        let mut reader = BufReader::with_capacity(256 << 10, Tee { file: src, tx: Some(tx) });
        let out = read(&mut reader);
        // The rest, for the copy alone (its own reads, straight through the tee).
        let rest = io::copy(reader.get_mut(), &mut io::sink());
        // Closing the channel ends the copy.
        reader.get_mut().tx = None;
        let copied = match copier.join() {
            Ok(r) => rest.and(r),
            Err(_) => Err(io::Error::other("the evidence copy panicked")),
        };
        if copied.is_err() {
            discard(dest);
        }
        (out, copied)
    })
}

/// A file whose reads are also sent, chunk by chunk, to the copying thread of
/// [`read_and_copy`].
pub struct Tee {
    file: File,
    tx: Option<std::sync::mpsc::SyncSender<Vec<u8>>>,
}

impl Read for Tee {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        if n > 0
            && let Some(tx) = &self.tx
            && tx.send(buf[..n].to_vec()).is_err()
        {
            // The copier stopped (a write error it returns): reading goes on for the parser.
            self.tx = None;
        }
        Ok(n)
    }
}

/// The receiving end of a [`Tee`], as a buffered reader.
struct Chunks {
    rx: std::sync::mpsc::Receiver<Vec<u8>>,
    chunk: Vec<u8>,
    pos: usize,
}

impl Read for Chunks {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Chunks {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos == self.chunk.len() {
            match self.rx.recv() {
                Ok(next) => {
                    self.chunk = next;
                    self.pos = 0;
                }
                // The sender is gone: the end of the file.
                Err(_) => return Ok(&[]),
            }
        }
        Ok(&self.chunk[self.pos..])
    }
    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.chunk.len());
    }
}

/// Streams a file through SHA-256.
pub fn hash_file(path: &Path) -> io::Result<(String, u64)> {
    // Never waits on a FIFO swapped in for the file.
    let mut f = crate::walk::open_regular(path).map_err(|e| with_path(e, path))?;
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
    // A temporary name nobody can guess, created new: a symlink planted at a predictable
    // name would have readyctl write through it.
    crate::evidence::atomic::write_atomic(path, bytes).map_err(|e| with_path(e, path))
}

/// Makes a FIFO at `path` (what a check can put where readyctl reads or writes).
#[cfg(test)]
pub(crate) fn make_fifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
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
        // A log readyctl streamed (created and finished through the ledger).
        let mut log = EvidenceWriter::create(&dir.join("stdout.log")).unwrap();
        log.write_all(b"streamed\n").unwrap();
        log.finish().unwrap();
        let src = tmp.path().join("junit.xml");
        let body: Vec<u8> =
            (0..50_000).flat_map(|i| format!("<case n=\"{i}\"/>\n").into_bytes()).collect();
        fs::write(&src, &body).unwrap();
        let artifacts = vec![
            Artifact::copy_of("results/1-junit.xml", &src),
            Artifact::json("summary.json", &serde_json::json!({ "n": 1 })),
        ];
        let stored = store_artifacts(&dir, &evidence, artifacts, None).unwrap();
        assert!(stored.foreign.is_empty(), "{:?}", stored.foreign);
        let files = stored.files;
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

    /// Only what readyctl wrote is evidence: a file planted next to its own, a log replaced or
    /// linked elsewhere, one written into while readyctl wrote it, one rewritten after readyctl
    /// finished it, one readyctl never finished, and a symlink are all foreign;
    /// `store_artifacts` removes them and says so, and keeps the rest.
    #[test]
    fn only_files_readyctl_wrote_unchanged_are_evidence() {
        use std::os::unix::fs::symlink;
        let tmp = tempfile::tempdir().unwrap();
        let evidence = tmp.path().join("evidence");
        let dir = evidence.join("c");
        fs::create_dir_all(dir.join("sub")).unwrap();
        let finished = |name: &str, text: &[u8]| {
            let mut w = EvidenceWriter::create(&dir.join(name)).unwrap();
            w.write_all(text).unwrap();
            w.finish().unwrap()
        };
        finished("kept.log", b"real\n");
        // Replaced: readyctl still writes to the file it created, the path names another.
        let mut replaced = EvidenceWriter::create(&dir.join("stdout.log")).unwrap();
        fs::remove_file(dir.join("stdout.log")).unwrap();
        fs::write(dir.join("stdout.log"), b"forged\n").unwrap();
        replaced.write_all(b"real\n").unwrap();
        replaced.finish().unwrap();
        // Written into (same file) while readyctl wrote it.
        let mut into = EvidenceWriter::create(&dir.join("stderr.log")).unwrap();
        into.write_all(b"real\n").unwrap();
        fs::write(dir.join("stderr.log"), b"FORGED\n").unwrap();
        into.finish().unwrap();
        // Rewritten in place after readyctl finished it (same file, other size).
        finished("summary.json", b"{}\n");
        let mut again = fs::OpenOptions::new().append(true).open(dir.join("summary.json")).unwrap();
        again.write_all(b"x").unwrap();
        // Never finished (as if readyctl stopped while writing it).
        std::mem::forget(EvidenceWriter::create(&dir.join("dropped.log")).unwrap());
        // Dropped after an error: what was written before stands, and is guarded.
        let mut failed = EvidenceWriter::create(&dir.join("failed.log")).unwrap();
        failed.write_all(b"partial\n").unwrap();
        drop(failed);
        // A link made after readyctl finished a file: the new name is foreign; the file itself
        // (its link count, so its change time, changed) still holds what readyctl wrote.
        finished("origin.log", b"real\n");
        fs::hard_link(dir.join("origin.log"), dir.join("sub/linked.txt")).unwrap();
        fs::write(dir.join("sub/planted.txt"), b"planted\n").unwrap();
        symlink("/etc/passwd", dir.join("link")).unwrap();

        // The run-wide vetting compares identity, path and stamp, and reads back what was not
        // read since it was finished (here the log written into).
        let why = |s: &str| s.to_string();
        assert_eq!(
            vet(&dir).unwrap().foreign,
            [
                (why("dropped.log"), "not finished by readyctl"),
                (why("link"), "not a regular file"),
                (why("stderr.log"), "written into by another process while readyctl wrote it"),
                (why("stdout.log"), "not written by readyctl"),
                (why("sub/linked.txt"), "not written by readyctl"),
                (why("sub/planted.txt"), "not written by readyctl"),
                (why("summary.json"), "changed after readyctl wrote it"),
            ]
        );
        // A check's end also reads back what was streamed while its processes ran.
        let stored = store_artifacts(&dir, &evidence, Vec::new(), None).unwrap();
        let paths: Vec<&str> = stored.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            ["evidence/c/failed.log", "evidence/c/kept.log", "evidence/c/origin.log"]
        );
        let found: Vec<(&str, &str)> =
            stored.foreign.iter().map(|(p, w)| (p.as_str(), *w)).collect();
        assert!(
            found.contains(&(
                "evidence/c/stderr.log",
                "written into by another process while readyctl wrote it"
            )),
            "{found:?}"
        );
        assert_eq!(found.len(), 7, "{found:?}");
        let reason = stored.foreign_reason().unwrap();
        assert!(reason.contains("`evidence/c/dropped.log` (not finished by readyctl)"), "{reason}");
        assert!(!dir.join("stdout.log").exists() && !dir.join("link").exists());
        assert!(vet(&dir).unwrap().foreign.is_empty());
    }

    /// A probe judges a log on the bytes readyctl wrote: a directory swapped in with a fake log,
    /// or the log written into after readyctl finished it, is refused; the real one is read.
    #[test]
    fn read_own_gives_only_what_readyctl_wrote() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a");
        fs::create_dir(&dir).unwrap();
        let log = dir.join("stdout.log");
        let mut w = EvidenceWriter::create(&log).unwrap();
        w.write_all(b"tests: 3 FAILED\n").unwrap();
        w.finish().unwrap();
        fs::rename(&dir, tmp.path().join("a.real")).unwrap();
        fs::create_dir(&dir).unwrap();
        fs::write(&log, b"ALL OK\n").unwrap();
        let e = read_own(&log).unwrap_err();
        assert!(e.to_string().ends_with("not written by readyctl"), "{e}");
        fs::remove_dir_all(&dir).unwrap();
        fs::rename(tmp.path().join("a.real"), &dir).unwrap();
        assert_eq!(read_own(&log).unwrap(), b"tests: 3 FAILED\n");
        // Touched only (times and mode), it still reads as what readyctl wrote.
        let mode = std::os::unix::fs::PermissionsExt::from_mode(0o600);
        fs::set_permissions(&log, mode).unwrap();
        assert_eq!(read_own(&log).unwrap(), b"tests: 3 FAILED\n");
        fs::OpenOptions::new().write(true).open(&log).unwrap().write_all(b"ALL OK ").unwrap();
        let e = read_own(&log).unwrap_err();
        assert!(e.to_string().ends_with("changed since readyctl wrote it"), "{e}");
    }

    /// The inode of a log readyctl removed (a retry's) may be reused at once by another check's
    /// new log: that one's entry is not forgotten with the old one.
    #[test]
    fn a_reused_inode_keeps_the_new_files_entry() {
        let id = (u64::MAX, 4242);
        let (old, new) = (
            PathBuf::from("/run/evidence/c3/stderr.log"),
            PathBuf::from("/run/evidence/c37/stderr.log"),
        );
        lock(&LEDGER).insert(id, Entry { path: new.clone(), done: None, verified: false });
        forget_if_still(id, &old);
        assert!(
            lock(&LEDGER).get(&id).is_some_and(|e| e.path == new),
            "the new file's entry stays"
        );
        forget_if_still(id, &new);
        assert!(!lock(&LEDGER).contains_key(&id));
    }

    /// A retry's log replaces the first attempt's in the ledger even when a process moved the
    /// first one away before the retry's was made: put back over the retry's, it is refused.
    #[test]
    fn an_earlier_attempts_log_put_back_over_a_retry_is_not_readyctls() {
        let tmp = tempfile::tempdir().unwrap();
        let log = tmp.path().join("stdout.log");
        let away = tmp.path().join("away.log");
        let mut first = EvidenceWriter::create(&log).unwrap();
        first.write_all(b"attempt 1\n").unwrap();
        first.finish().unwrap();
        fs::rename(&log, &away).unwrap();
        let mut retry = EvidenceWriter::create(&log).unwrap();
        retry.write_all(b"attempt 2\n").unwrap();
        retry.finish().unwrap();
        assert!(own(&log, &fs::symlink_metadata(&log).unwrap(), Content::Read).is_ok());
        fs::rename(&away, &log).unwrap();
        let back = own(&log, &fs::symlink_metadata(&log).unwrap(), Content::Read);
        assert_eq!(back, Err("not written by readyctl"));
    }

    /// Outside a run (no held root: a temporary directory a probe made), a log goes where it
    /// is asked to even through a symlink above it (`/var` → `/private/var` on macOS).
    #[test]
    fn a_log_outside_a_run_is_written_through_a_symlinked_parent() {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir(tmp.path().join("real")).unwrap();
        std::os::unix::fs::symlink(tmp.path().join("real"), tmp.path().join("link")).unwrap();
        let mut w = EvidenceWriter::create(&tmp.path().join("link/log.diff")).unwrap();
        w.write_all(b"x").unwrap();
        w.finish().unwrap();
        assert_eq!(fs::read_to_string(tmp.path().join("real/log.diff")).unwrap(), "x");
    }

    /// A log readyctl wrote and finished that is not where it was when the check ends (its
    /// directory, or the file, moved away by a process, maybe to come back before the seal)
    /// is named missing and no longer kept: the check is an `error`, and the file, back, is
    /// foreign to the seal.
    #[test]
    fn a_kept_log_missing_when_its_check_ends_is_named_and_no_longer_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let evidence = tmp.path().join("evidence");
        for (id, moved) in [("v", "v"), ("w", "w/stdout.log")] {
            let dir = evidence.join(id);
            fs::create_dir_all(&dir).unwrap();
            let log = dir.join("stdout.log");
            let mut w = EvidenceWriter::create(&log).unwrap();
            w.write_all(b"out\n").unwrap();
            w.finish().unwrap();
            assert!(lock(&KEPT).contains(&log));
            let (from, to) = (evidence.join(moved), tmp.path().join(format!("away-{id}")));
            fs::rename(&from, &to).unwrap();
            let stored = store_artifacts(&dir, &evidence, Vec::new(), None).unwrap();
            let rel = format!("evidence/{id}/stdout.log");
            assert_eq!(
                stored.foreign,
                vec![(rel, "missing: moved or removed while the check ran")]
            );
            assert!(stored.foreign_reason().unwrap().contains("missing"));
            assert!(!lock(&KEPT).contains(&log), "no longer kept: back, it is foreign");
            // (An evidence directory left empty is removed: made again to put the file back.)
            fs::create_dir_all(from.parent().unwrap()).unwrap();
            fs::rename(&to, &from).unwrap();
        }
    }

    /// A symlink where readyctl would make a check's evidence directory is refused, not
    /// followed; an existing real directory is fine.
    #[test]
    fn an_evidence_directory_is_never_a_symlink() {
        let tmp = tempfile::tempdir().unwrap();
        let evidence = tmp.path().join("evidence");
        create_evidence_dir(&evidence.join("a")).unwrap();
        create_evidence_dir(&evidence.join("a")).unwrap();
        std::os::unix::fs::symlink(tmp.path(), evidence.join("b")).unwrap();
        assert!(create_evidence_dir(&evidence.join("b")).is_err());
        // A symlink a check put below its evidence directory: an artifact that would go
        // through it is an error, and nothing is written where it points.
        let outside = tmp.path().join("outside");
        fs::create_dir(&outside).unwrap();
        fs::write(outside.join("1-junit.xml"), "precious").unwrap();
        std::os::unix::fs::symlink(&outside, evidence.join("a/results")).unwrap();
        let artifacts = vec![Artifact::bytes("results/1-junit.xml", "<testsuite/>")];
        let e = store_artifacts(&evidence.join("a"), &evidence, artifacts, None).unwrap_err();
        assert!(e.to_string().contains("is not a directory"), "{e}");
        assert_eq!(fs::read_to_string(outside.join("1-junit.xml")).unwrap(), "precious");
    }

    /// Beneath a run's held `evidence/`, directories are made one level at a time from its
    /// descriptor: a symlink or a file at any level is refused and nothing is made where a
    /// symlink points.
    #[test]
    fn evidence_directories_are_made_beneath_the_held_root() {
        let tmp = tempfile::tempdir().unwrap();
        let run = create(tmp.path(), Some(&tmp.path().join("run")), chrono::Utc::now()).unwrap();
        let evidence = run.path.join("evidence");
        create_evidence_dir(&evidence.join("a/b")).unwrap();
        create_evidence_dir(&evidence.join("a/b")).unwrap();
        assert!(evidence.join("a/b").is_dir());
        let outside = tmp.path().join("outside");
        fs::create_dir(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, evidence.join("c")).unwrap();
        let e = create_evidence_dir(&evidence.join("c/d")).unwrap_err();
        assert!(e.to_string().contains("a symlink on the way, not followed"), "{e}");
        assert!(EvidenceWriter::create(&evidence.join("c/stdout.log")).is_err());
        assert_eq!(fs::read_dir(&outside).unwrap().count(), 0, "nothing made outside the run");
        fs::write(evidence.join("f"), "").unwrap();
        let e = create_evidence_dir(&evidence.join("f/g")).unwrap_err();
        assert!(e.to_string().contains("exists and is not a directory"), "{e}");
        assert!(fs::read_dir(&outside).unwrap().next().is_none());
    }

    /// The copy is the bytes of the file that was opened (not what the path names later),
    /// whole even when the reader stops early, redacted, and hashed as written.
    #[test]
    fn read_and_copy_keeps_what_was_read_whole_and_redacted() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("junit.xml");
        let mut body: Vec<u8> =
            (0..60_000).flat_map(|i| format!("<case n=\"{i}\"/>\n").into_bytes()).collect();
        body.extend_from_slice(b"<note>token needle-secret-value</note>\n");
        fs::write(&src, &body).unwrap();
        let opened = File::open(&src).unwrap();
        // The path now names another file: the open one is what is read and kept.
        fs::write(tmp.path().join("other"), b"replaced").unwrap();
        fs::rename(tmp.path().join("other"), &src).unwrap();
        let filter =
            crate::evidence::Redactor::builder().secret("X", "needle-secret-value").build();
        let dest = tmp.path().join("evidence/c/results/1-junit.xml");
        // The reader stops after the first line; the copy still has every line.
        let (first, copied) = read_and_copy(opened, &dest, Some(&filter), |r| {
            let mut line = String::new();
            r.read_line(&mut line).map(|_| line)
        });
        assert_eq!(first.unwrap(), "<case n=\"0\"/>\n");
        let (sha256, size) = copied.unwrap();
        let kept = fs::read(&dest).unwrap();
        assert_eq!((sha256, size), hash_file(&dest).unwrap());
        let expected =
            String::from_utf8(body).unwrap().replace("needle-secret-value", "[REDACTED:secret:X]");
        assert_eq!(String::from_utf8(kept).unwrap(), expected);
    }

    /// A FIFO or a symlink a check put where readyctl writes is an error at once (opening the
    /// FIFO for writing would wait for a reader for ever; the symlink would redirect the write).
    #[test]
    fn an_evidence_file_is_only_ever_a_regular_file() {
        let tmp = tempfile::tempdir().unwrap();
        let fifo = tmp.path().join("stdout.log");
        make_fifo(&fifo);
        assert!(create_evidence_file(&fifo).is_err());
        let target = tmp.path().join("elsewhere");
        fs::write(&target, b"keep").unwrap();
        let link = tmp.path().join("summary.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(create_evidence_file(&link).is_err());
        assert_eq!(fs::read(&target).unwrap(), b"keep");
        // A file readyctl did not write, or a hard link to one outside: never opened.
        let plain = tmp.path().join("plain");
        fs::write(&plain, b"old").unwrap();
        let e = create_evidence_file(&plain).unwrap_err();
        assert!(e.to_string().contains("not written by readyctl"), "{e}");
        assert_eq!(fs::read(&plain).unwrap(), b"old");
        let hard = tmp.path().join("stderr.log");
        fs::hard_link(&target, &hard).unwrap();
        assert!(create_evidence_file(&hard).is_err());
        assert_eq!(fs::read(&target).unwrap(), b"keep", "not truncated through the link");
        // readyctl's own file (a retried check's log) is replaced by a new, empty one.
        let own = tmp.path().join("own.log");
        let mut w = EvidenceWriter::create(&own).unwrap();
        w.write_all(b"first attempt").unwrap();
        w.finish().unwrap();
        EvidenceWriter::create(&own).unwrap().finish().unwrap();
        assert_eq!(fs::read(&own).unwrap(), b"");
    }

    /// A copy that cannot be written is an error and leaves no file; the reader still reads.
    #[test]
    fn read_and_copy_reports_a_copy_it_could_not_write() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("r.txt");
        fs::write(&src, b"a\nb\n").unwrap();
        // A file where the directory should be.
        fs::write(tmp.path().join("evidence"), b"").unwrap();
        let dest = tmp.path().join("evidence/r.txt");
        let (read, copied) = read_and_copy(File::open(&src).unwrap(), &dest, None, |r| {
            let mut all = String::new();
            r.read_to_string(&mut all).map(|_| all)
        });
        assert_eq!(read.unwrap(), "a\nb\n");
        assert!(copied.is_err());
        assert!(!dest.exists());
    }

    /// `prune` in `repo`'s runs, as a run there would.
    fn prune_repo(
        repo: &Path,
        keep: usize,
        current: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Vec<String> {
        let runs = repo.join(".readyctl/runs");
        prune_in(&runs, &repo.join(".readyctl/latest"), keep, current, now).unwrap()
    }

    /// A check that swaps `.readyctl/runs` for a symlink to another tree of runs: `latest`
    /// and pruning go through the directories held since the run began, which see that
    /// `runs/` was moved, and touch nothing, there or here.
    #[test]
    fn a_moved_runs_directory_is_neither_followed_nor_pruned() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("repo");
        for day in 1..=3 {
            run(&repo, &format!("2026060{day}T100000Z-00000{day}"), true);
        }
        let now = chrono::Utc::now();
        let current = create(&repo, None, now).unwrap();
        fs::write(current.path.join("manifest.json"), "{}").unwrap();
        let victim = tmp.path().join("victim");
        run(&victim, "20200101T000000Z-aaaaaa", true);
        fs::rename(repo.join(".readyctl/runs"), repo.join(".readyctl/runs.real")).unwrap();
        std::os::unix::fs::symlink(victim.join(".readyctl/runs"), repo.join(".readyctl/runs"))
            .unwrap();
        let e = prune(&current, 1, now).unwrap_err();
        assert!(e.to_string().contains("moved or replaced"), "{e}");
        assert!(victim.join(".readyctl/runs/20200101T000000Z-aaaaaa/manifest.json").is_file());
        assert_eq!(fs::read_dir(repo.join(".readyctl/runs.real")).unwrap().count(), 4);
        assert!(!evidence_in_place(&current.evidence()));
    }

    /// A symlink left at `.readyctl/runs` (by a check of an earlier run): the next run is
    /// refused, never made (or pruning) where it points.
    #[test]
    fn a_run_is_never_made_through_a_symlinked_runs_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("repo");
        let other = tmp.path().join("other");
        run(&other, "20200101T000000Z-aaaaaa", true);
        fs::create_dir_all(repo.join(".readyctl")).unwrap();
        std::os::unix::fs::symlink(other.join(".readyctl/runs"), repo.join(".readyctl/runs"))
            .unwrap();
        let e = create(&repo, None, chrono::Utc::now()).unwrap_err();
        assert!(e.to_string().contains("is a symlink or not a directory"), "{e}");
        assert_eq!(fs::read_dir(other.join(".readyctl/runs")).unwrap().count(), 1);
    }

    /// An incomplete run whose modification time is beyond chrono's range (tmpfs takes one)
    /// counts as modified now: kept, and no panic.
    #[test]
    fn a_far_future_modification_time_is_not_stale_and_does_not_panic() {
        // tmpfs keeps such a time (ext4 clamps it to 2446).
        let shm = Path::new("/dev/shm");
        let tmp = if shm.is_dir() { tempfile::tempdir_in(shm) } else { tempfile::tempdir() };
        let tmp = tmp.unwrap();
        let repo = tmp.path();
        run(repo, "20200101T000000Z-bbbbbb", false);
        let dir = repo.join(".readyctl/runs/20200101T000000Z-bbbbbb");
        let far = std::time::UNIX_EPOCH + std::time::Duration::from_secs(90_000_000_000_000);
        let kept = fs::File::open(&dir).and_then(|f| f.set_modified(far)).is_ok()
            && fs::metadata(&dir).unwrap().modified().unwrap() == far;
        if !kept {
            eprintln!("SKIP: no file system here keeps a modification time that far ahead");
            return;
        }
        let now = chrono::Utc::now();
        assert!(prune_repo(repo, 5, "x", now).is_empty());
        assert!(dir.is_dir());
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
        let removed = prune_repo(repo, 3, "20260610T120000Z-cccccc", now);
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
        assert_eq!(prune_repo(repo, 0, "20260610T120000Z-cccccc", now), Vec::<String>::new());
    }

    #[test]
    fn prune_removes_an_incomplete_run_only_when_old_by_name_and_by_mtime() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path();
        run(repo, "20200101T000000Z-dead00", false); // crashed long ago, but touched just now
        let now = chrono::Utc::now();
        assert!(prune_repo(repo, 5, "x", now).is_empty(), "fresh mtime protects it");
        let later = now + chrono::Duration::hours(25);
        assert_eq!(prune_repo(repo, 5, "x", later), ["20200101T000000Z-dead00"]);
    }
}
