//! Services the checks need running (`services:` in the checklist). A service starts — after
//! the services it needs — when the first check that needs it is about to run, is awaited
//! until its readiness condition holds, and stops once the last check that needs it has
//! finished: SIGTERM to its process group, SIGKILL after a grace period. Whatever happens
//! (failures, Ctrl-C, a panic), every service still running is stopped before the run ends.
//!
//! A service that exits early or never becomes ready makes its dependent checks fail with a
//! reason naming it and its last output lines; one that crashes during the checks makes the
//! checks that start afterwards fail the same way. Its output (stdout and stderr together,
//! redacted) is evidence: `evidence/services/<name>/output.log`.

use std::collections::HashSet;
use std::io;
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::process::{Capture, Filter, KILL_GRACE, capture};
use super::tree::{self, TREE_ENV, Tree};
use crate::checklist::model::{Check, Ready, Service};
use crate::record::ServiceRecord;

/// Lines of a service's output quoted in a failure reason.
const TAIL_LINES: usize = 5;
/// How often readiness is polled.
const POLL: Duration = Duration::from_millis(50);

/// Kills every running service's and check's process tree at once (SIGKILL). For the path
/// where the process exits without stopping services in order (no `Drop` runs).
pub fn kill_all_now() {
    tree::kill_all_live();
}

/// How services are run.
pub struct Options {
    pub repo: PathBuf,
    /// `RUN_DIR/evidence`; logs go to `services/<name>/output.log` under it.
    pub evidence_root: PathBuf,
    /// Redaction applied to service output before it reaches disk.
    pub output_filter: Option<Arc<Filter>>,
    /// `--no-services`: start nothing; every service is awaited as if `external: true`.
    pub no_services: bool,
    /// The run's start, for the timings in the record.
    pub run_started: Instant,
}

/// The services of one run, shared by the scheduler's workers.
pub struct Services {
    specs: Vec<Service>,
    opts: Options,
    slots: Vec<Mutex<Slot>>,
    /// Per service, how many checks that need it (directly or through other services) have
    /// not finished yet.
    users_left: Mutex<Vec<usize>>,
    /// Order in which services were first needed (for the record).
    order: Mutex<Vec<usize>>,
}

#[derive(Default)]
struct Slot {
    state: State,
    record: Option<ServiceRecord>,
}

#[derive(Default)]
enum State {
    /// Not needed yet.
    #[default]
    Idle,
    /// Ready; `proc` is `None` for an external service.
    Up(Option<Proc>),
    /// Could not be relied on: the reason dependent checks get.
    Failed(String),
    /// Stopped after its last user.
    Stopped,
}

struct Proc {
    child: Child,
    tree: Tree,
    capture: Option<Capture>,
    log: PathBuf,
    started: Instant,
}

impl Services {
    /// `checks` are the checks of this run: they decide which services are used and when
    /// each can stop.
    pub fn new(specs: &[Service], checks: &[Check], opts: Options) -> Services {
        let mut users_left = vec![0usize; specs.len()];
        for c in checks {
            for i in closure(specs, &c.needs) {
                users_left[i] += 1;
            }
        }
        Services {
            slots: specs.iter().map(|_| Mutex::new(Slot::default())).collect(),
            specs: specs.to_vec(),
            opts,
            users_left: Mutex::new(users_left),
            order: Mutex::new(Vec::new()),
        }
    }

    /// Makes sure every service in `needs` (and what they need) is running and ready.
    /// Returns the reason the check cannot rely on them otherwise.
    pub fn ensure(&self, needs: &[String], cancel: &AtomicBool) -> Result<(), String> {
        for name in needs {
            if let Some(i) = self.index(name) {
                self.ensure_one(i, cancel)?;
            }
        }
        Ok(())
    }

    /// After a check that needed services failed: a note when one of them has exited
    /// meanwhile, so the reason says why.
    pub fn exited_note(&self, needs: &[String]) -> Option<String> {
        for i in closure(&self.specs, needs) {
            let mut slot = self.slots[i].lock().unwrap_or_else(|e| e.into_inner());
            if let Some(reason) = self.check_alive(i, &mut slot) {
                return Some(reason);
            }
        }
        None
    }

    /// A check that needed `needs` has finished: stops each service it was the last user of,
    /// dependents before what they depend on.
    pub fn release(&self, needs: &[String]) {
        let mut done = Vec::new();
        {
            let mut left = self.users_left.lock().unwrap_or_else(|e| e.into_inner());
            for i in closure(&self.specs, needs) {
                left[i] = left[i].saturating_sub(1);
                if left[i] == 0 {
                    done.push(i);
                }
            }
        }
        for i in self.stop_order(done) {
            self.stop(i);
        }
    }

    /// Stops every service still running (end of the run, Ctrl-C, failure).
    pub fn stop_all(&self) {
        for i in self.stop_order((0..self.specs.len()).collect()) {
            self.stop(i);
        }
    }

    /// What happened to each service that was needed, in the order they were first needed.
    pub fn records(&self) -> Vec<ServiceRecord> {
        let order = self.order.lock().unwrap_or_else(|e| e.into_inner()).clone();
        order
            .into_iter()
            .filter_map(|i| self.slots[i].lock().unwrap_or_else(|e| e.into_inner()).record.clone())
            .collect()
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.specs.iter().position(|s| s.name == name)
    }

    fn ensure_one(&self, i: usize, cancel: &AtomicBool) -> Result<(), String> {
        // What it needs first; the graph is acyclic (validated), so this terminates.
        for need in self.specs[i].needs.clone() {
            if let Some(j) = self.index(&need) {
                self.ensure_one(j, cancel).map_err(|why| {
                    format!("service `{}` needs `{need}`: {why}", self.specs[i].name)
                })?;
            }
        }
        let mut slot = self.slots[i].lock().unwrap_or_else(|e| e.into_inner());
        match &slot.state {
            State::Idle => {
                self.order.lock().unwrap_or_else(|e| e.into_inner()).push(i);
                self.start(i, &mut slot, cancel)
            }
            State::Up(_) => match self.check_alive(i, &mut slot) {
                Some(reason) => Err(reason),
                None => Ok(()),
            },
            State::Failed(reason) => Err(reason.clone()),
            State::Stopped => Err(format!("service `{}` was already stopped", self.specs[i].name)),
        }
    }

    /// `Some(reason)` when a started service has exited on its own (the slot becomes
    /// `Failed`).
    fn check_alive(&self, i: usize, slot: &mut Slot) -> Option<String> {
        if let State::Up(Some(p)) = &slot.state {
            // Each use records the tree's members, so a descendant that detached since is
            // still known when the service is stopped.
            p.tree.track();
        }
        match &mut slot.state {
            State::Up(Some(p)) => match p.child.try_wait() {
                Ok(Some(status)) => {
                    let end = describe_exit(status);
                    let p = match std::mem::take(&mut slot.state) {
                        State::Up(Some(p)) => p,
                        _ => unreachable!("matched above"),
                    };
                    let tail = finish_output(p);
                    let reason = format!(
                        "service `{}` exited during the run ({end}){}",
                        self.specs[i].name,
                        last_lines_note(&tail)
                    );
                    if let Some(r) = slot.record.as_mut() {
                        r.exit = Some(end);
                        r.error = Some(reason.clone());
                        r.stop_ms = Some(self.since_run());
                    }
                    slot.state = State::Failed(reason.clone());
                    Some(reason)
                }
                _ => None,
            },
            State::Failed(reason) => Some(reason.clone()),
            _ => None,
        }
    }

    fn since_run(&self) -> u64 {
        self.opts.run_started.elapsed().as_millis() as u64
    }

    fn start(&self, i: usize, slot: &mut Slot, cancel: &AtomicBool) -> Result<(), String> {
        let spec = &self.specs[i];
        let external = spec.external || self.opts.no_services;
        let mut record = ServiceRecord {
            name: spec.name.clone(),
            mode: if external { "external" } else { "started" }.into(),
            command: if external { None } else { spec.run.as_ref().map(|r| r.display()) },
            ready_when: spec.ready.describe(),
            start_ms: self.since_run(),
            ready_ms: None,
            stop_ms: None,
            exit: None,
            error: None,
            log: None,
        };
        let started = Instant::now();
        let mut proc = None;
        // Something already answering where this service should would make it look ready
        // whatever it does: the checks would prove the other instance.
        if !external
            && !matches!(spec.ready, Ready::Log(_))
            && probe_ready(&spec.ready, None, Duration::from_millis(300)).is_ok()
        {
            let reason = format!(
                "service `{}` was not started: {} already before the start (another instance \
                 running? stop it, or use it with --no-services)",
                spec.name,
                spec.ready.describe()
            );
            record.error = Some(reason.clone());
            slot.record = Some(record);
            slot.state = State::Failed(reason.clone());
            return Err(reason);
        }
        if !external && let Some(run) = &spec.run {
            let dir =
                self.opts.evidence_root.join(crate::checklist::load::SERVICES_DIR).join(&spec.name);
            let log = dir.join("output.log");
            record.log = log
                .strip_prefix(self.opts.evidence_root.parent().unwrap_or(Path::new("")))
                .ok()
                .map(|p| p.to_string_lossy().replace('\\', "/"));
            match self.spawn(spec, run, &dir, &log) {
                Ok(p) => proc = Some(p),
                Err(e) => {
                    let reason = format!("service `{}` could not start: {e}", spec.name);
                    record.error = Some(reason.clone());
                    slot.record = Some(record);
                    slot.state = State::Failed(reason.clone());
                    return Err(reason);
                }
            }
        }
        let outcome = self.wait_ready(spec, proc.as_mut(), started, cancel);
        match outcome {
            Ok(()) => {
                record.ready_ms = Some(started.elapsed().as_millis() as u64);
                slot.record = Some(record);
                slot.state = State::Up(proc);
                Ok(())
            }
            Err(why) => {
                // Stop what did not become ready; quote its last output.
                let (end, tail) = match proc {
                    Some(p) => stop_proc(p),
                    None => (None, String::new()),
                };
                let reason = format!("service `{}` {why}{}", spec.name, last_lines_note(&tail));
                record.exit = end;
                record.error = Some(reason.clone());
                record.stop_ms = Some(self.since_run());
                slot.record = Some(record);
                slot.state = State::Failed(reason.clone());
                Err(reason)
            }
        }
    }

    fn spawn(
        &self,
        spec: &Service,
        run: &crate::probe::command::CommandLine,
        dir: &Path,
        log: &Path,
    ) -> io::Result<Proc> {
        super::rundir::create_evidence_dir(dir)?;
        let cwd = match &spec.cwd {
            Some(c) => self.opts.repo.join(c),
            None => self.opts.repo.clone(),
        };
        let proc_spec = run.to_proc(&cwd);
        let (program, args) = proc_spec
            .argv
            .split_first()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "empty command"))?;
        if !cwd.is_dir() {
            return Err(io::Error::other(format!(
                "working directory `{}` does not exist",
                cwd.display()
            )));
        }
        // One pipe for stdout and stderr: the log keeps their interleaving (std::io::pipe is newer
        // than the MSRV).
        let (reader, writer) = pipe()?;
        let mut cmd = Command::new(program);
        cmd.args(args)
            .current_dir(&cwd)
            .stdin(Stdio::null())
            .stdout(writer.try_clone()?)
            .stderr(writer)
            .process_group(0)
            .env_remove(crate::evidence::SIGNING_KEY_ENV);
        for (k, v) in &spec.env {
            cmd.env(k, v);
        }
        let mark = tree::new_mark();
        cmd.env(TREE_ENV, &mark);
        let mut child = cmd.spawn().map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => io::Error::other(format!(
                "command not found: `{program}` (is it installed and on PATH?)"
            )),
            _ => io::Error::other(format!("cannot start `{program}`: {e}")),
        })?;
        // Our copies of the write end go with `cmd`, so the log ends when the service does.
        drop(cmd);
        let tree = Tree::new(child.id() as i32, mark);
        let capture = match capture(reader, log.to_path_buf(), self.opts.output_filter.clone()) {
            Ok(c) => c,
            Err(e) => {
                tree.kill_all();
                let _ = child.wait();
                return Err(e);
            }
        };
        Ok(Proc {
            child,
            tree,
            capture: Some(capture),
            log: log.to_path_buf(),
            started: Instant::now(),
        })
    }

    /// Polls the readiness condition until it holds, the process exits, the timeout passes
    /// or the run is cancelled. `Err` completes "service `name` …".
    fn wait_ready(
        &self,
        spec: &Service,
        mut proc: Option<&mut Proc>,
        started: Instant,
        cancel: &AtomicBool,
    ) -> Result<(), String> {
        let deadline = started + spec.ready_timeout;
        loop {
            if cancel.load(Ordering::Relaxed) {
                return Err("was not awaited: the run was interrupted".into());
            }
            if let Some(p) = proc.as_deref_mut()
                && let Ok(Some(status)) = p.child.try_wait()
            {
                return Err(format!(
                    "exited before it was ready ({}, after {} ms)",
                    describe_exit(status),
                    p.started.elapsed().as_millis()
                ));
            }
            let now = Instant::now();
            let probe_timeout = deadline
                .saturating_duration_since(now)
                .clamp(Duration::from_millis(100), Duration::from_secs(2));
            let last_error = match probe_ready(&spec.ready, proc.as_deref(), probe_timeout) {
                Ok(()) => return Ok(()),
                Err(e) => e,
            };
            if Instant::now() >= deadline {
                let detail =
                    if last_error.is_empty() { String::new() } else { format!(": {last_error}") };
                return Err(format!(
                    "was not ready after {} ({}{detail})",
                    crate::duration::format_duration(spec.ready_timeout),
                    spec.ready.describe()
                ));
            }
            thread::sleep(POLL.min(deadline.saturating_duration_since(Instant::now())));
        }
    }

    /// Stops service `i` if it is running (idempotent).
    fn stop(&self, i: usize) {
        let mut slot = self.slots[i].lock().unwrap_or_else(|e| e.into_inner());
        if !matches!(slot.state, State::Up(_)) {
            return;
        }
        // A service that already died on its own is recorded as such, not as stopped.
        if self.check_alive(i, &mut slot).is_some() {
            return;
        }
        let proc = match std::mem::replace(&mut slot.state, State::Stopped) {
            State::Up(p) => p,
            _ => unreachable!("checked above"),
        };
        let end = proc.map(|p| stop_proc(p).0);
        if let Some(r) = slot.record.as_mut() {
            r.stop_ms = Some(self.since_run());
            r.exit = end.flatten();
        }
    }

    /// Indices in an order that stops dependents before their dependencies.
    fn stop_order(&self, set: Vec<usize>) -> Vec<usize> {
        let mut placed: Vec<usize> = Vec::new();
        fn place(i: usize, specs: &[Service], set: &[usize], placed: &mut Vec<usize>) {
            if placed.contains(&i) {
                return;
            }
            // Dependencies first in `placed`; reversed at the end.
            placed.push(usize::MAX); // guard against cycles (none after validation)
            let guard = placed.len() - 1;
            for n in &specs[i].needs {
                if let Some(j) = specs.iter().position(|s| &s.name == n)
                    && set.contains(&j)
                {
                    place(j, specs, set, placed);
                }
            }
            placed.remove(guard);
            if !placed.contains(&i) {
                placed.push(i);
            }
        }
        for &i in &set {
            place(i, &self.specs, &set, &mut placed);
        }
        placed.reverse();
        placed
    }
}

impl Drop for Services {
    fn drop(&mut self) {
        self.stop_all();
    }
}

/// Indices of the services `needs` names, and of everything they need, transitively.
fn closure(specs: &[Service], needs: &[String]) -> Vec<usize> {
    let mut seen = HashSet::new();
    let mut stack: Vec<&str> = needs.iter().map(String::as_str).collect();
    let mut out = Vec::new();
    while let Some(name) = stack.pop() {
        if let Some(i) = specs.iter().position(|s| s.name == name)
            && seen.insert(i)
        {
            out.push(i);
            stack.extend(specs[i].needs.iter().map(String::as_str));
        }
    }
    out
}

/// A close-on-exec pipe: (read end, write end).
fn pipe() -> io::Result<(std::fs::File, std::os::fd::OwnedFd)> {
    use std::os::fd::{FromRawFd, OwnedFd};
    let mut fds = [0i32; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes; on success both are new,
    // owned by nobody else, and wrapped at once so they are closed exactly once.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: see above.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    Ok((std::fs::File::from(r), w))
}

/// One readiness attempt.
fn probe_ready(ready: &Ready, proc: Option<&Proc>, timeout: Duration) -> Result<(), String> {
    match ready {
        Ready::Tcp(addr) => {
            let addrs: Vec<_> = addr
                .to_socket_addrs()
                .map_err(|e| format!("cannot resolve `{addr}`: {e}"))?
                .collect();
            let mut last = format!("`{addr}` resolves to no address");
            for a in addrs {
                match TcpStream::connect_timeout(&a, timeout) {
                    Ok(_) => return Ok(()),
                    Err(e) => last = format!("{a}: {e}"),
                }
            }
            Err(last)
        }
        Ready::Http { url, status } => {
            let agent = ureq::AgentBuilder::new().timeout(timeout).redirects(0).build();
            let code = match agent.get(url).call() {
                Ok(r) => r.status(),
                Err(ureq::Error::Status(code, _)) => code,
                Err(ureq::Error::Transport(t)) => return Err(t.to_string()),
            };
            let ok = match status {
                Some(s) => code == *s,
                None => code < 400,
            };
            if ok { Ok(()) } else { Err(format!("last answer was {code}")) }
        }
        Ready::Log(pattern) => {
            let Some(p) = proc else {
                // `--no-services`: the output of a service readyctl did not start is not
                // visible; it is taken as running.
                return Ok(());
            };
            let re = regex::Regex::new(pattern).map_err(|e| e.to_string())?;
            // Only a regular file, without waiting (a FIFO swapped in never blocks).
            let text = crate::walk::read_regular(&p.log).unwrap_or_default();
            if String::from_utf8_lossy(&text).lines().any(|l| re.is_match(l)) {
                Ok(())
            } else {
                Err("no output line matched yet".into())
            }
        }
    }
}

/// SIGTERM to the group, SIGKILL after the grace period; returns how it ended and the last
/// output lines.
fn stop_proc(mut p: Proc) -> (Option<String>, String) {
    let end = match p.child.try_wait() {
        Ok(Some(status)) => describe_exit(status),
        _ => {
            p.tree.signal(libc::SIGTERM);
            let until = Instant::now() + KILL_GRACE;
            let mut ended = None;
            while Instant::now() < until {
                if let Ok(Some(status)) = p.child.try_wait() {
                    ended = Some(status);
                    break;
                }
                thread::sleep(Duration::from_millis(10));
            }
            match ended {
                Some(status) if status.signal() == Some(libc::SIGTERM) => {
                    "stopped (SIGTERM)".into()
                }
                Some(status) => format!("stopped (SIGTERM; {})", describe_exit(status)),
                None => {
                    p.tree.kill_all();
                    let _ = p.child.wait();
                    format!(
                        "killed (SIGKILL) after {} grace",
                        crate::duration::format_duration(KILL_GRACE)
                    )
                }
            }
        }
    };
    let tail = finish_output(p);
    (Some(end), tail)
}

/// Kills what is left of the tree (detached descendants too), waits for the log to close
/// (bounded, see [`Capture::finish`]), and returns its last lines.
fn finish_output(mut p: Proc) -> String {
    p.tree.kill_all();
    let _ = p.child.try_wait();
    if let Some(c) = p.capture.take() {
        let _ = c.finish();
    }
    last_lines(&p.log, TAIL_LINES)
}

fn last_lines(path: &Path, n: usize) -> String {
    let text = crate::walk::read_regular(path).unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let lines: Vec<&str> = text.lines().map(str::trim_end).filter(|l| !l.is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join(" ⏎ ")
}

fn last_lines_note(tail: &str) -> String {
    if tail.is_empty() { String::new() } else { format!("; last output: {tail}") }
}

fn describe_exit(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        _ => "ended".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklist::model::Origin;
    use crate::probe::command::CommandLine;

    fn service(name: &str, run: &str, ready: Ready, needs: &[&str]) -> Service {
        Service {
            name: name.into(),
            run: Some(CommandLine::Shell(run.into())),
            cwd: None,
            env: Vec::new(),
            ready,
            ready_timeout: Duration::from_secs(5),
            needs: needs.iter().map(|s| s.to_string()).collect(),
            external: false,
            origin: Origin { file: "t.yaml".into(), line: 1 },
        }
    }

    fn opts(dir: &Path) -> Options {
        Options {
            repo: dir.into(),
            evidence_root: dir.join("evidence"),
            output_filter: None,
            no_services: false,
            run_started: Instant::now(),
        }
    }

    #[test]
    fn starts_dependencies_first_and_stops_after_last_user() {
        let dir = tempfile::tempdir().unwrap();
        let specs = vec![
            service("api", "echo api-up; exec sleep 30", Ready::Log("api-up".into()), &["db"]),
            service("db", "echo db-up; exec sleep 30", Ready::Log("db-up".into()), &[]),
        ];
        let cancel = AtomicBool::new(false);
        let s = Services::new(&specs, &[], opts(dir.path()));
        s.users_left.lock().unwrap().iter_mut().for_each(|u| *u = 1);
        s.ensure(&["api".into()], &cancel).unwrap();
        let recs = s.records();
        assert_eq!(recs.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["db", "api"]);
        assert!(recs[0].start_ms <= recs[1].start_ms);
        s.release(&["api".into()]);
        let recs = s.records();
        assert!(recs.iter().all(|r| r.exit.as_deref() == Some("stopped (SIGTERM)")), "{recs:?}");
        assert!(recs[1].stop_ms <= recs[0].stop_ms, "api stops before db: {recs:?}");
    }

    #[test]
    fn early_exit_quotes_the_last_lines() {
        let dir = tempfile::tempdir().unwrap();
        let specs = vec![service(
            "api",
            "echo starting; echo boom >&2; exit 4",
            Ready::Tcp("127.0.0.1:1".into()),
            &[],
        )];
        let s = Services::new(&specs, &[], opts(dir.path()));
        let err = s.ensure(&["api".into()], &AtomicBool::new(false)).unwrap_err();
        assert!(err.contains("service `api` exited before it was ready (exit code 4"), "{err}");
        assert!(err.contains("last output: starting ⏎ boom"), "{err}");
        // Every later check gets the same reason without a second start.
        assert_eq!(s.ensure(&["api".into()], &AtomicBool::new(false)).unwrap_err(), err);
    }

    #[test]
    fn term_ignoring_service_is_killed_after_grace() {
        let dir = tempfile::tempdir().unwrap();
        let specs = vec![service(
            "stubborn",
            "trap '' TERM; echo up; while true; do sleep 0.1; done",
            Ready::Log("^up$".into()),
            &[],
        )];
        let s = Services::new(&specs, &[], opts(dir.path()));
        s.ensure(&["stubborn".into()], &AtomicBool::new(false)).unwrap();
        s.stop_all();
        let exit = s.records()[0].exit.clone().unwrap();
        assert!(exit.starts_with("killed (SIGKILL)"), "{exit}");
    }
}
