//! Running a child process under the runner's control: its own process group and tree (see
//! [`super::tree`]: a timeout, Ctrl-C or its end kills every descendant, detached or not),
//! output streamed to files with a size cap (head kept, last part kept, the middle dropped and
//! marked), and a deadline. Output readers stop shortly after the process ends even when
//! something readyctl could not kill still holds the pipe.

use super::rundir::EvidenceWriter;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::tree::{self, TRACK_EVERY, TREE_ENV, Tree};

/// How long a process gets between SIGTERM and SIGKILL.
pub const KILL_GRACE: Duration = Duration::from_millis(1500);
/// Bytes of a stream kept from its start.
pub const HEAD_BYTES: u64 = 8 << 20;
/// Bytes of a stream kept from its end (in memory while running).
pub const TAIL_BYTES: usize = 2 << 20;
/// How long output is still read once its process tree is dead: a pipe still open after this
/// is held by something readyctl could not kill, and is closed.
pub const DRAIN: Duration = Duration::from_secs(1);
/// How often a running process's deadline and the cancel flag are looked at. Its end is seen at
/// once where a pidfd is available (Linux 5.3+), else within this much.
const CHECK_EVERY: Duration = Duration::from_millis(20);

/// What to run.
#[derive(Debug, Clone)]
pub struct ProcSpec {
    pub argv: Vec<String>,
    pub cwd: PathBuf,
    pub env: Vec<(String, String)>,
}

impl ProcSpec {
    /// `sh -c TEXT`.
    pub fn shell(text: &str, cwd: &Path) -> Self {
        ProcSpec {
            argv: vec!["sh".into(), "-c".into(), text.into()],
            cwd: cwd.into(),
            env: Vec::new(),
        }
    }
}

/// How a captured stream ended up on disk.
#[derive(Debug, Clone, PartialEq)]
pub struct Captured {
    pub path: PathBuf,
    /// Bytes the process wrote.
    pub total_bytes: u64,
    /// Whether the middle was dropped to respect the cap.
    pub truncated: bool,
}

/// How the process ended.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcOutcome {
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub timed_out: bool,
    pub cancelled: bool,
    pub duration: Duration,
    /// The time budget the process had.
    pub budget: Duration,
    pub stdout: Captured,
    pub stderr: Captured,
}

impl ProcOutcome {
    /// `exit code 1`, `killed by signal 9`, `timed out after 2s`.
    pub fn describe_end(&self) -> String {
        if self.timed_out {
            format!("timed out after {}", crate::duration::format_duration(round_ms(self.budget)))
        } else if self.cancelled {
            "interrupted".into()
        } else if let Some(code) = self.exit_code {
            format!("exit code {code}")
        } else if let Some(sig) = self.signal {
            format!("killed by signal {sig}")
        } else {
            "ended".into()
        }
    }
}

/// Whole seconds above a second (`1s`, not `999ms` for a budget that started a moment late).
fn round_ms(d: Duration) -> Duration {
    if d >= Duration::from_millis(950) {
        Duration::from_secs(d.as_secs_f64().round() as u64)
    } else {
        Duration::from_millis(d.as_millis() as u64)
    }
}

/// Redacts output before it reaches disk. Each stream gets its own [`RedactStream`]
/// (`Redactor::stream`), which holds back a partial line or a window as long as the longest
/// secret, so a secret split between two reads is still caught.
///
/// [`RedactStream`]: crate::evidence::redact::RedactStream
pub type Filter = crate::evidence::Redactor;

/// Runs `spec` until it exits, `deadline` passes or `cancel` is set. Output goes to
/// `stdout_path` / `stderr_path` through `filter`. Whatever happens, the process group is
/// killed before returning, so no descendant outlives the check.
pub fn run(
    spec: &ProcSpec,
    deadline: Instant,
    cancel: &AtomicBool,
    stdout_path: &Path,
    stderr_path: &Path,
    filter: Option<Arc<Filter>>,
) -> io::Result<ProcOutcome> {
    let (program, args) = spec
        .argv
        .split_first()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "empty command"))?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(&spec.cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .env_remove(crate::evidence::SIGNING_KEY_ENV);
    for (k, v) in &spec.env {
        cmd.env(k, v);
    }
    let mark = tree::new_mark();
    cmd.env(TREE_ENV, &mark);
    let started = Instant::now();
    let budget = deadline.saturating_duration_since(started);
    // The logs are created later (first byte, or the end; see `Sink`), new and beneath the
    // held evidence root: what the command puts at their paths meanwhile is refused.
    let forks = tree::forks_before_spawn();
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            // Nothing ran: both logs are written, empty (evidence that nothing was printed).
            for path in [stdout_path, stderr_path] {
                EvidenceWriter::create(path)
                    .and_then(EvidenceWriter::finish)
                    .map_err(|e| named(path, e))?;
            }
            return Err(spawn_error(program, &spec.cwd, e));
        }
    };
    tree::forks_after_spawn(forks);
    let tree = Tree::new(child.id() as i32, mark);
    // Both pipes are read by this thread, in the loop that waits for the child (no thread per
    // stream): `poll` on the pipes and the child's pidfd wakes it for output or the end.
    let outs = match (child.stdout.take(), child.stderr.take()) {
        (Some(o), Some(e)) => (
            Output::new(o, stdout_path.to_path_buf(), filter.clone()),
            Output::new(e, stderr_path.to_path_buf(), filter),
        ),
        _ => unreachable!("both streams are piped"),
    };
    let mut outs = match outs {
        (Ok(o), Ok(e)) => [o, e],
        (Err(e), _) | (_, Err(e)) => {
            tree.kill_all();
            let _ = child.wait();
            return Err(e);
        }
    };

    let mut timed_out = false;
    let mut cancelled = false;
    let exit = ExitWatch::new(child.id());
    let mut buf = vec![0u8; 64 * 1024];
    let mut nap = Duration::from_millis(1);
    let mut tracked = started;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        let now = Instant::now();
        if now >= deadline || cancel.load(Ordering::Relaxed) {
            timed_out = now >= deadline;
            cancelled = !timed_out;
            break terminate(&mut child, &tree, &exit, &mut outs, &mut buf)?;
        }
        if now.duration_since(tracked) >= TRACK_EVERY {
            tree.tick();
            tracked = now;
        }
        let next_track = TRACK_EVERY.saturating_sub(now.duration_since(tracked));
        let wait = CHECK_EVERY.min(deadline.saturating_duration_since(now)).min(next_track);
        exit.wait(wait, nap, &outs);
        pump(&mut outs, &mut buf);
        nap = (nap * 2).min(CHECK_EVERY);
    };
    let duration = started.elapsed();
    // Descendants left behind, in the group or detached, do not outlive the check.
    tree.end();
    drain(&mut outs, &mut buf);
    let [out, err] = outs;
    let stdout = out.finish();
    let stderr = err.finish();
    Ok(ProcOutcome {
        exit_code: status.code(),
        signal: status.signal(),
        timed_out,
        cancelled,
        duration,
        budget,
        stdout: stdout?,
        stderr: stderr?,
    })
}

/// Bytes read from one pipe per turn of the wait loop, so a process flooding its output
/// still has its deadline and the cancel flag looked at.
const PUMP_MOST: usize = 1 << 20;

/// Reads what the open pipes hold (up to [`PUMP_MOST`] each).
fn pump(outs: &mut [Output; 2], buf: &mut [u8]) {
    for o in outs.iter_mut() {
        o.pump(buf, PUMP_MOST);
    }
}

/// Once the tree is dead: reads the pipes to their end, for at most [`DRAIN`] (both at once).
/// A pipe still open then is held by a process outside readyctl's reach: reading it stops, and
/// its log says so.
fn drain(outs: &mut [Output; 2], buf: &mut [u8]) {
    let until = Instant::now() + DRAIN;
    loop {
        pump(outs, buf);
        if outs.iter().all(|o| o.file.is_none()) {
            return;
        }
        let now = Instant::now();
        if now >= until {
            for o in outs.iter_mut().filter(|o| o.file.is_some()) {
                o.file = None;
                o.abandoned = true;
            }
            return;
        }
        poll_fds(None, outs, (until - now).min(Duration::from_millis(100)));
    }
}

/// Waits until one of the open pipes has something to read or has closed, `pidfd` (when
/// given) says its process ended, or `most` has passed.
fn poll_fds(pidfd: Option<i32>, outs: &[Output; 2], most: Duration) {
    let mut fds: Vec<libc::pollfd> = Vec::with_capacity(3);
    if let Some(fd) = pidfd {
        fds.push(libc::pollfd { fd, events: libc::POLLIN, revents: 0 });
    }
    for f in outs.iter().filter_map(|o| o.file.as_ref()) {
        fds.push(libc::pollfd { fd: f.as_raw_fd(), events: libc::POLLIN, revents: 0 });
    }
    if fds.is_empty() {
        thread::sleep(most);
        return;
    }
    // Rounded up: a wait of less than a millisecond must not spin.
    let ms = most.as_micros().div_ceil(1000).clamp(1, i32::MAX as u128);
    // SAFETY: `fds` holds `fds.len()` valid pollfds; the timeout is bounded. EINTR returns
    // early, and every caller loops.
    unsafe {
        libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms as libc::c_int);
    }
}

/// One output pipe of a running process, read without blocking by the thread that waits for
/// the process, and written to its log through a [`Sink`].
struct Output {
    /// The read end; `None` once it reached its end, failed, or was abandoned.
    file: Option<File>,
    sink: Option<Sink>,
    path: PathBuf,
    /// The first read or write error: reading stopped there (the pipe is closed, as the
    /// capture thread that used to read it would have ended), and it is returned at the end.
    error: Option<io::Error>,
    /// Reading stopped at the drain deadline (see [`drain`]).
    abandoned: bool,
}

impl Output {
    fn new(
        pipe: impl Into<OwnedFd>,
        path: PathBuf,
        filter: Option<Arc<Filter>>,
    ) -> io::Result<Output> {
        let file = nonblocking(pipe.into())?;
        Ok(Output {
            file: Some(file),
            sink: Some(Sink::new(path.clone(), filter)),
            path,
            error: None,
            abandoned: false,
        })
    }

    /// Reads what the pipe holds, at most about `most` bytes; its end or an error closes it.
    fn pump(&mut self, buf: &mut [u8], most: usize) {
        let (Some(file), Some(sink)) = (self.file.as_mut(), self.sink.as_mut()) else { return };
        let mut read = 0;
        while read < most {
            match file.read(buf) {
                Ok(0) => {
                    self.file = None;
                    return;
                }
                Ok(n) => {
                    read += n;
                    if let Err(e) = sink.feed(&buf[..n]) {
                        self.fail(e);
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.fail(e);
                    return;
                }
            }
        }
    }

    fn fail(&mut self, e: io::Error) {
        self.error.get_or_insert(e);
        self.file = None;
    }

    /// How the stream ended up on disk (the first error, if reading or writing failed).
    fn finish(mut self) -> io::Result<Captured> {
        if let Some(e) = self.error.take() {
            return Err(named(&self.path, e));
        }
        let sink = self.sink.take().expect("finished once");
        let (mut captured, mut file) = sink.finish().map_err(|e| named(&self.path, e))?;
        if self.abandoned {
            write_abandoned(&mut file).map_err(|e| named(&self.path, e))?;
            captured.truncated = true;
        }
        file.finish().map_err(|e| named(&self.path, e))?;
        Ok(captured)
    }
}

/// The note at the end of a log whose pipe was still open [`DRAIN`] after its process ended.
fn write_abandoned(file: &mut impl Write) -> io::Result<()> {
    writeln!(
        file,
        "\n[readyctl: stopped reading: the output pipe was still open {} after the \
         process ended, held by a process outside readyctl's reach]",
        crate::duration::format_duration(DRAIN)
    )
}

/// `capturing output to PATH: ERROR`.
fn named(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("capturing output to {}: {e}", path.display()))
}

/// The pipe's read end, made non-blocking.
fn nonblocking(fd: OwnedFd) -> io::Result<File> {
    let raw = fd.as_raw_fd();
    // SAFETY: fcntl on a descriptor we own, with integer arguments only.
    let rc = unsafe {
        let flags = libc::fcntl(raw, libc::F_GETFL);
        if flags < 0 { flags } else { libc::fcntl(raw, libc::F_SETFL, flags | libc::O_NONBLOCK) }
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(File::from(fd))
}

/// Waits for a child to end: on a pidfd where the kernel has them, so the wait returns the
/// moment the child exits; elsewhere by sleeping.
struct ExitWatch {
    pidfd: Option<OwnedFd>,
}

impl ExitWatch {
    /// For child `pid`, not yet reaped (so the pid cannot have been reused).
    fn new(pid: u32) -> ExitWatch {
        #[cfg(target_os = "linux")]
        {
            // SAFETY: pidfd_open takes a pid and flags, no pointers; it returns a new
            // descriptor we own, or -1 (ENOSYS before Linux 5.3, then the sleeping fallback).
            let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
            if fd >= 0 {
                use std::os::fd::FromRawFd;
                // SAFETY: a fresh descriptor, wrapped once.
                return ExitWatch { pidfd: Some(unsafe { OwnedFd::from_raw_fd(fd as i32) }) };
            }
        }
        let _ = pid;
        ExitWatch { pidfd: None }
    }

    /// Returns when the child has ended, one of the open pipes in `outs` has output or has
    /// closed, or after `most` (with a pidfd) or `nap` (capped at `most`, without one).
    fn wait(&self, most: Duration, nap: Duration, outs: &[Output; 2]) {
        match &self.pidfd {
            Some(fd) => poll_fds(Some(fd.as_raw_fd()), outs, most),
            None => poll_fds(None, outs, nap.min(most)),
        }
    }
}

fn spawn_error(program: &str, cwd: &Path, e: io::Error) -> io::Error {
    let msg = match e.kind() {
        io::ErrorKind::NotFound if !cwd.is_dir() => {
            format!("working directory `{}` does not exist", cwd.display())
        }
        io::ErrorKind::NotFound => {
            format!("command not found: `{program}` (is it installed and on PATH?)")
        }
        io::ErrorKind::PermissionDenied => format!("permission denied running `{program}`"),
        _ => format!("cannot start `{program}`: {e}"),
    };
    io::Error::new(e.kind(), msg)
}

/// SIGTERM to the tree, SIGKILL to all of it after the grace period. Output is still read
/// meanwhile.
fn terminate(
    child: &mut std::process::Child,
    tree: &Tree,
    exit: &ExitWatch,
    outs: &mut [Output; 2],
    buf: &mut [u8],
) -> io::Result<std::process::ExitStatus> {
    tree.signal(libc::SIGTERM);
    let until = Instant::now() + KILL_GRACE;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        let now = Instant::now();
        if now >= until {
            break;
        }
        let step = (until - now).min(Duration::from_millis(10));
        exit.wait(step, step, outs);
        pump(outs, buf);
    }
    tree.kill_all();
    child.wait()
}

/// Signals a whole process group; a group that is already gone is fine.
pub fn kill_group(pgid: i32, signal: i32) {
    // SAFETY: killpg has no memory-safety preconditions; errors (ESRCH) are ignored on purpose.
    unsafe {
        libc::killpg(pgid, signal);
    }
}

/// A stream being copied to a file (see [`capture`]).
pub(crate) struct Capture {
    handle: thread::JoinHandle<io::Result<Captured>>,
    stop_at: Arc<Mutex<Option<Instant>>>,
}

impl Capture {
    /// Waits for the stream to close — at most [`DRAIN`] — and returns how it ended up on
    /// disk. Call once the process tree is dead: a pipe still open after `DRAIN` is held by a
    /// process outside readyctl's reach, and reading it stops (the log says so).
    pub(crate) fn finish(self) -> io::Result<Captured> {
        *self.stop_at.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now() + DRAIN);
        self.handle
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("output capture thread panicked")))
    }
}

/// Copies `pipe` to `path` through `filter` on a thread, keeping head and tail under the cap.
pub(crate) fn capture(
    pipe: impl Into<OwnedFd>,
    path: PathBuf,
    filter: Option<Arc<Filter>>,
) -> io::Result<Capture> {
    let stop_at = Arc::new(Mutex::new(None));
    let mut pipe = StoppablePipe::new(pipe.into(), stop_at.clone())?;
    let handle = thread::spawn(move || {
        let shown = path.clone();
        let (mut captured, mut file) =
            copy_capped(&mut pipe, path, filter).map_err(|e| named(&shown, e))?;
        if pipe.abandoned {
            write_abandoned(&mut file).map_err(|e| named(&shown, e))?;
            captured.truncated = true;
        }
        file.finish().map_err(|e| named(&shown, e))?;
        Ok(captured)
    });
    Ok(Capture { handle, stop_at })
}

/// A non-blocking pipe read end that reports end of file once `stop_at` has passed, so a
/// reader never waits forever on a pipe someone else keeps open.
struct StoppablePipe {
    file: File,
    stop_at: Arc<Mutex<Option<Instant>>>,
    /// Whether reading stopped at `stop_at` rather than at the end of the stream.
    abandoned: bool,
}

impl StoppablePipe {
    fn new(fd: OwnedFd, stop_at: Arc<Mutex<Option<Instant>>>) -> io::Result<StoppablePipe> {
        Ok(StoppablePipe { file: nonblocking(fd)?, stop_at, abandoned: false })
    }
}

impl Read for StoppablePipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let stop_at = *self.stop_at.lock().unwrap_or_else(|e| e.into_inner());
            let wait = match stop_at {
                Some(t) => {
                    let now = Instant::now();
                    if now >= t {
                        self.abandoned = true;
                        return Ok(0);
                    }
                    (t - now).min(Duration::from_millis(100))
                }
                None => Duration::from_millis(100),
            };
            match self.file.read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            let mut pfd =
                libc::pollfd { fd: self.file.as_raw_fd(), events: libc::POLLIN, revents: 0 };
            // SAFETY: one valid pollfd; the timeout is bounded. EINTR just loops.
            unsafe {
                libc::poll(&mut pfd, 1, wait.as_millis().max(1) as libc::c_int);
            }
        }
    }
}

fn copy_capped(
    pipe: &mut impl Read,
    path: PathBuf,
    filter: Option<Arc<Filter>>,
) -> io::Result<(Captured, EvidenceWriter)> {
    let mut sink = Sink::new(path, filter);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match pipe.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        sink.feed(&buf[..n])?;
    }
    sink.finish()
}

/// One output stream on its way to disk: redacted line by line through its own stream, the
/// first [`HEAD_BYTES`] written as they come, the last [`TAIL_BYTES`] held in memory, the
/// middle dropped and marked. The log is created at the first byte to write, or at the end:
/// a silent command costs no file until it is done (100 checks starting at once do not all
/// create two files first), and whatever a check put at that path meanwhile is refused
/// (`rundir::EvidenceWriter`) or, being readyctl's file from then on, guarded by the ledger.
struct Sink {
    file: Option<EvidenceWriter>,
    path: PathBuf,
    total: u64,
    head_written: u64,
    tail: VecDeque<u8>,
    pending: Vec<u8>,
    dropped: bool,
    stream: Option<crate::evidence::redact::RedactStream>,
}

impl Sink {
    fn new(path: PathBuf, filter: Option<Arc<Filter>>) -> Sink {
        Sink {
            file: None,
            path,
            total: 0,
            head_written: 0,
            tail: VecDeque::new(),
            pending: Vec::new(),
            dropped: false,
            stream: filter.as_ref().map(|f| f.stream()),
        }
    }

    /// Takes bytes the process wrote.
    fn feed(&mut self, data: &[u8]) -> io::Result<()> {
        self.total += data.len() as u64;
        self.pending.extend_from_slice(data);
        // Filter whole lines; a line longer than 64 KiB is filtered in chunks.
        let cut = match self.pending.iter().rposition(|&b| b == b'\n') {
            Some(i) => i + 1,
            None if self.pending.len() >= 64 * 1024 => self.pending.len(),
            None => return Ok(()),
        };
        let chunk: Vec<u8> = self.pending.drain(..cut).collect();
        let chunk = match &mut self.stream {
            Some(s) => s.push(&chunk),
            None => chunk,
        };
        if self.head_written < HEAD_BYTES {
            let room = (HEAD_BYTES - self.head_written) as usize;
            let take = room.min(chunk.len());
            self.log()?.write_all(&chunk[..take])?;
            self.head_written += take as u64;
            self.tail.extend(&chunk[take..]);
        } else {
            self.tail.extend(&chunk);
        }
        if self.tail.len() > TAIL_BYTES {
            let excess = self.tail.len() - TAIL_BYTES;
            self.tail.drain(..excess);
            self.dropped = true;
        }
        Ok(())
    }

    /// The end of the stream: what was held back, the truncation mark, the tail.
    fn finish(mut self) -> io::Result<(Captured, EvidenceWriter)> {
        let rest = match self.stream.take() {
            Some(mut s) => {
                let mut rest = s.push(&self.pending);
                rest.extend(s.finish().0);
                rest
            }
            None => std::mem::take(&mut self.pending),
        };
        self.tail.extend(rest);
        // What the redactor held back and the last partial line count against the tail too:
        // the log never keeps more than the head and the last TAIL_BYTES.
        if self.head_written >= HEAD_BYTES && self.tail.len() > TAIL_BYTES {
            let excess = self.tail.len() - TAIL_BYTES;
            self.tail.drain(..excess);
            self.dropped = true;
        }
        let total = self.total;
        let dropped = self.dropped;
        let tail = std::mem::take(&mut self.tail);
        let log = self.log()?;
        if dropped {
            writeln!(log, "\n[readyctl: output truncated: {total} bytes written, middle omitted]")?;
        }
        let (a, b) = tail.as_slices();
        log.write_all(a)?;
        log.write_all(b)?;
        log.flush()?;
        let file = self.file.take().expect("created above");
        Ok((Captured { path: self.path, total_bytes: total, truncated: dropped }, file))
    }

    /// The log, created the first time there is something to write (or at the end).
    fn log(&mut self) -> io::Result<&mut EvidenceWriter> {
        if self.file.is_none() {
            self.file = Some(EvidenceWriter::create(&self.path)?);
        }
        Ok(self.file.as_mut().expect("just created"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_sh(script: &str, timeout: Duration) -> (tempfile::TempDir, ProcOutcome) {
        let dir = tempfile::tempdir().unwrap();
        let spec = ProcSpec::shell(script, dir.path());
        let cancel = AtomicBool::new(false);
        let (o, e) = (dir.path().join("out"), dir.path().join("err"));
        let r = run(&spec, Instant::now() + timeout, &cancel, &o, &e, None).unwrap();
        (dir, r)
    }

    #[test]
    fn captures_exit_code_and_output() {
        let dir = tempfile::tempdir().unwrap();
        let spec = ProcSpec::shell("echo hello; echo oops >&2; exit 3", dir.path());
        let cancel = AtomicBool::new(false);
        let (o, e) = (dir.path().join("o"), dir.path().join("e"));
        let r =
            run(&spec, Instant::now() + Duration::from_secs(10), &cancel, &o, &e, None).unwrap();
        assert_eq!(r.exit_code, Some(3));
        assert_eq!(std::fs::read_to_string(o).unwrap(), "hello\n");
        assert_eq!(std::fs::read_to_string(e).unwrap(), "oops\n");
        assert!(!r.timed_out);
    }

    #[test]
    fn one_loop_reads_both_pipes_whichever_fills() {
        // Each stream alone overflows a pipe several times: the process blocks on whichever
        // is not read, so both must be read as the process writes, in either order.
        let (_dir, r) = run_sh(
            "head -c 3000000 /dev/zero | tr '\\0' e >&2; head -c 2000000 /dev/zero | tr '\\0' o; \
             echo; echo end >&2; head -c 1000000 /dev/zero | tr '\\0' O",
            Duration::from_secs(60),
        );
        assert_eq!(r.exit_code, Some(0));
        assert_eq!((r.stdout.total_bytes, r.stderr.total_bytes), (3_000_001, 3_000_004));
        let out = std::fs::read(&r.stdout.path).unwrap();
        let err = std::fs::read(&r.stderr.path).unwrap();
        assert_eq!(out.len(), 3_000_001);
        assert!(out[..2_000_000].iter().all(|&b| b == b'o') && out[2_000_000] == b'\n');
        assert!(out[2_000_001..].iter().all(|&b| b == b'O'));
        assert!(err.starts_with(b"eee") && err.ends_with(b"eend\n") && err.len() == 3_000_004);
    }

    #[test]
    fn timeout_kills_term_ignoring_tree() {
        let (_dir, r) =
            run_sh("trap '' TERM; (trap '' TERM; sleep 30) & sleep 30", Duration::from_millis(300));
        assert!(r.timed_out);
        assert!(r.duration < Duration::from_secs(5), "{:?}", r.duration);
    }

    #[test]
    fn the_cap_holds_when_output_ends_in_a_long_unfinished_line() {
        // 11,010,000 bytes and no newline: the last partial line (up to 64 KiB, filtered at
        // the end) counts against the 2 MiB tail like the rest.
        let (_dir, r) =
            run_sh("head -c 11010000 /dev/zero | tr '\\0' 'x'", Duration::from_secs(60));
        assert!(r.stdout.truncated);
        let len = std::fs::metadata(&r.stdout.path).unwrap().len();
        assert!(len <= HEAD_BYTES + TAIL_BYTES as u64 + 100, "{len}");
    }

    #[test]
    fn caps_huge_output_keeping_head_and_tail() {
        // 40 MiB of output: the file keeps 8 MiB head + 2 MiB tail.
        let (_dir, r) =
            run_sh("head -c 41943040 /dev/zero | tr '\\0' 'x'; echo END", Duration::from_secs(60));
        assert!(r.stdout.truncated);
        assert_eq!(r.stdout.total_bytes, 41943040 + 4);
        let len = std::fs::metadata(&r.stdout.path).unwrap().len();
        assert!(len < HEAD_BYTES + TAIL_BYTES as u64 + 200, "{len}");
        let text = std::fs::read(&r.stdout.path).unwrap();
        assert!(text.ends_with(b"END\n"));
    }

    #[test]
    fn a_pipe_held_open_elsewhere_stops_being_read_after_the_drain() {
        // The write end stays open here, as a process outside readyctl's reach would keep it.
        let dir = tempfile::tempdir().unwrap();
        let mut fds = [0i32; 2];
        // SAFETY: `fds` has room for two descriptors, each wrapped once below.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        // SAFETY: fresh descriptors owned by nobody else.
        let (reader, writer) = unsafe {
            use std::os::fd::FromRawFd;
            (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1]))
        };
        let mut writer = File::from(writer);
        writer.write_all(b"before\n").unwrap();
        let c = capture(reader, dir.path().join("log"), None).unwrap();
        thread::sleep(Duration::from_millis(100));
        let started = Instant::now();
        let captured = c.finish().unwrap();
        assert!(started.elapsed() < DRAIN * 4, "{:?}", started.elapsed());
        assert!(captured.truncated);
        let log = std::fs::read_to_string(dir.path().join("log")).unwrap();
        assert!(log.starts_with("before\n"), "{log}");
        assert!(log.contains("stopped reading"), "{log}");
        drop(writer);
    }

    #[test]
    fn a_detached_grandchild_neither_delays_the_end_nor_survives_it() {
        let marker = format!("sleep 299.{}", std::process::id());
        let (_dir, r) = run_sh(
            &format!("setsid {marker} & ( {marker} & ) & echo done"),
            Duration::from_secs(60),
        );
        assert_eq!(r.exit_code, Some(0));
        assert!(r.duration < Duration::from_secs(5), "{:?}", r.duration);
        let alive = std::fs::read_dir("/proc").unwrap().filter_map(Result::ok).any(|e| {
            std::fs::read(e.path().join("cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).replace('\0', " ").contains(&marker))
        });
        assert!(!alive, "a detached grandchild survived the check");
    }

    #[test]
    fn missing_program_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let spec =
            ProcSpec { argv: vec!["no-such-tool-xyz".into()], cwd: dir.path().into(), env: vec![] };
        let cancel = AtomicBool::new(false);
        let err = run(
            &spec,
            Instant::now() + Duration::from_secs(5),
            &cancel,
            &dir.path().join("o"),
            &dir.path().join("e"),
            None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("command not found: `no-such-tool-xyz`"), "{err}");
    }
}
