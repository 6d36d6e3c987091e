//! Process trees: every process a check or service starts, however it detaches.
//!
//! A process group is not enough: `setsid`, `nohup … &` under a new session, or a double fork
//! (`( sleep 300 & ) &`) leave the group, and the escaped process keeps the output pipe open, so
//! a reader waits for it forever. On Linux readyctl therefore
//!
//! - makes itself a *child subreaper* (`PR_SET_CHILD_SUBREAPER`), so an orphaned descendant is
//!   reparented to readyctl instead of to init, and stays in reach;
//! - marks every process it starts with an environment variable, [`TREE_ENV`], whose value is
//!   unique to that start (`<readyctl pid>-<n>`), inherited by every descendant;
//! - finds a tree's members by walking `/proc`: the root, every process carrying its mark, and
//!   every descendant of those by parent chain (which also covers a descendant that cleared
//!   its environment, as long as its parent was found). Members seen while the tree runs are
//!   remembered (pid and start time), so one that was reparented is still recognised.
//!
//! Killing a tree signals every member and repeats until none is left alive (a process forking
//! while it is killed yields new members, found on the next pass), then reaps the members that
//! were reparented to readyctl. Elsewhere only the process group is available.
//!
//! Reading `/proc` costs one `stat` (and, for marks, one `environ`) per process on the machine,
//! and many trees ask at once (100 checks ending together each kill their tree). Readings are
//! therefore shared: a tree asks for a [`Snapshot`] begun no earlier than its request, and
//! readings are taken one at a time, so every tree that asked while one was taken uses the
//! next one. Each tree still sees `/proc` as it was after it asked.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// The environment variable that marks the processes of one tree.
pub const TREE_ENV: &str = "READYCTL_TREE";

/// Rounds of SIGKILL before giving up on a tree that keeps forking.
const KILL_ROUNDS: usize = 200;

static NEXT: AtomicU64 = AtomicU64::new(1);

/// Trees alive right now, for [`kill_all_live`] (the second Ctrl-C, which exits at once).
static LIVE: Mutex<Vec<(i32, String)>> = Mutex::new(Vec::new());

/// Makes readyctl a child subreaper (once; Linux only). Called before the first start.
pub fn init() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(target_os = "linux")]
        // SAFETY: prctl(PR_SET_CHILD_SUBREAPER, 1) takes no pointers; failure (EINVAL on very
        // old kernels) only loses the reparenting, and is ignored.
        unsafe {
            libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        }
    });
}

/// A fresh mark for a process about to start: set `TREE_ENV` to it in its environment.
pub fn new_mark() -> String {
    init();
    format!("{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The processes started as `root` (also a process group leader) with mark `mark`.
pub struct Tree {
    root: i32,
    mark: String,
    /// Members seen so far: pid → start time (to tell a reused pid apart).
    known: Mutex<HashMap<i32, u64>>,
}

impl Tree {
    pub fn new(root: i32, mark: String) -> Tree {
        LIVE.lock().unwrap_or_else(|e| e.into_inner()).push((root, mark.clone()));
        Tree { root, mark, known: Mutex::new(HashMap::new()) }
    }

    /// Records the current members, so they are recognised after being reparented.
    pub fn track(&self) {
        // By parent chain only: cheap enough to repeat while the tree runs; marks are read
        // when it is killed.
        let snap = snapshot(Instant::now(), false);
        let members = members(&snap, self.root, None, &self.known_now());
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        for p in members {
            known.insert(p.pid, p.start);
        }
    }

    /// Sends `signal` to every member and to the root's process group.
    pub fn signal(&self, signal: i32) {
        super::process::kill_group(self.root, signal);
        for p in self.scan() {
            if !p.zombie {
                send(p.pid, signal);
            }
        }
    }

    /// SIGKILLs every member until none is alive, then reaps the ones reparented to readyctl
    /// (never the root: its `Child` waits for it).
    pub fn kill_all(&self) {
        super::process::kill_group(self.root, libc::SIGKILL);
        for round in 0..KILL_ROUNDS {
            let alive: Vec<Proc> = self.scan().into_iter().filter(|p| !p.zombie).collect();
            if alive.is_empty() {
                break;
            }
            for p in &alive {
                send(p.pid, libc::SIGKILL);
            }
            thread::sleep(Duration::from_millis(if round < 10 { 2 } else { 20 }));
        }
        self.reap();
    }

    /// Members now, remembered for later.
    fn scan(&self) -> Vec<Proc> {
        let snap = snapshot(Instant::now(), true);
        let found = members(&snap, self.root, Some(&self.mark), &self.known_now());
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        for p in &found {
            known.insert(p.pid, p.start);
        }
        found
    }

    fn known_now(&self) -> HashMap<i32, u64> {
        self.known.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Waits for the killed members that became readyctl's children (bounded: a process in
    /// uninterruptible sleep dies when it wakes).
    fn reap(&self) {
        let me = std::process::id() as i32;
        let until = Instant::now() + Duration::from_millis(500);
        loop {
            let mut pending = false;
            for (&pid, &start) in self.known_now().iter() {
                if pid == self.root {
                    continue;
                }
                match stat(pid) {
                    Some(p) if p.start == start && p.ppid == me => {
                        if p.zombie {
                            reap_one(pid);
                        } else {
                            pending = true;
                        }
                    }
                    _ => {}
                }
            }
            if !pending || Instant::now() >= until {
                break;
            }
            thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        LIVE.lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|(r, m)| !(*r == self.root && *m == self.mark));
    }
}

/// SIGKILLs every live tree (checks and services): for the path that exits at once.
pub fn kill_all_live() {
    let live = LIVE.lock().unwrap_or_else(|e| e.into_inner()).clone();
    for (root, mark) in live {
        super::process::kill_group(root, libc::SIGKILL);
        let snap = snapshot(Instant::now(), true);
        for p in members(&snap, root, Some(&mark), &HashMap::new()) {
            send(p.pid, libc::SIGKILL);
        }
    }
}

fn send(pid: i32, signal: i32) {
    if pid > 1 && pid != std::process::id() as i32 {
        // SAFETY: kill has no memory-safety preconditions; a process already gone (ESRCH) is
        // fine.
        unsafe {
            libc::kill(pid, signal);
        }
    }
}

fn reap_one(pid: i32) {
    let mut status = 0;
    // SAFETY: `status` is a valid out-pointer; WNOHANG never blocks. Only pids that are
    // readyctl's zombie children and not owned by a `Child` reach here.
    unsafe {
        libc::waitpid(pid, &mut status, libc::WNOHANG);
    }
}

/// One process as `/proc/<pid>/stat` shows it.
#[derive(Debug, Clone, Copy)]
struct Proc {
    pid: i32,
    ppid: i32,
    start: u64,
    zombie: bool,
}

#[cfg(target_os = "linux")]
fn stat(pid: i32) -> Option<Proc> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(pid, &text)
}

#[cfg(not(target_os = "linux"))]
fn stat(_pid: i32) -> Option<Proc> {
    None
}

/// `pid (comm) S ppid pgrp … starttime …`: the command name may hold spaces and parentheses,
/// so fields are counted after the last `)`.
fn parse_stat(pid: i32, text: &str) -> Option<Proc> {
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the comm: state(0) ppid(1) … starttime is field 22 of the line, index 19 here.
    Some(Proc {
        pid,
        ppid: fields.get(1)?.parse().ok()?,
        start: fields.get(19)?.parse().ok()?,
        zombie: matches!(*fields.first()?, "Z" | "X"),
    })
}

#[cfg(target_os = "linux")]
fn all_procs() -> Vec<Proc> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok()).filter_map(stat).collect()
}

#[cfg(not(target_os = "linux"))]
fn all_procs() -> Vec<Proc> {
    Vec::new()
}

/// The values of `TREE_ENV` in process `pid`'s environment (none when unreadable: another
/// user's, or gone). Usually one; every entry counts, as a process may carry it twice.
fn marks_of(pid: i32) -> Vec<String> {
    let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else { return Vec::new() };
    let prefix = format!("{TREE_ENV}=");
    env.split(|&b| b == 0)
        .filter_map(|entry| entry.strip_prefix(prefix.as_bytes()))
        .map(|value| String::from_utf8_lossy(value).into_owned())
        .collect()
}

/// One reading of `/proc`, shared by the trees that asked for it (see the module doc).
struct Snapshot {
    /// When the reading began: every process started before this instant is in it.
    started: Instant,
    procs: Vec<Proc>,
    /// Mark → the live processes carrying it (other than readyctl and init), when read.
    marks: Option<HashMap<String, Vec<i32>>>,
}

/// The latest reading; taking a new one holds the lock, so readings are taken one at a time.
static SNAPSHOT: Mutex<Option<Arc<Snapshot>>> = Mutex::new(None);

/// A reading of `/proc` begun at or after `since` (with the marks when `with_marks`): the
/// latest one when it qualifies, else a new one.
fn snapshot(since: Instant, with_marks: bool) -> Arc<Snapshot> {
    let mut latest = SNAPSHOT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = latest.as_ref()
        && s.started >= since
        && (s.marks.is_some() || !with_marks)
    {
        return s.clone();
    }
    let started = Instant::now();
    let procs = all_procs();
    let marks = with_marks.then(|| {
        let me = std::process::id() as i32;
        let mut marks: HashMap<String, Vec<i32>> = HashMap::new();
        for p in procs.iter().filter(|p| !p.zombie && p.pid != me && p.pid > 1) {
            for m in marks_of(p.pid) {
                marks.entry(m).or_default().push(p.pid);
            }
        }
        marks
    });
    let s = Arc::new(Snapshot { started, procs, marks });
    *latest = Some(s.clone());
    s
}

/// The root, the processes carrying `mark`, the `known` ones still alive under the same start
/// time, and every descendant of those (never readyctl itself or init), as `snap` shows them.
/// `mark` is only looked for in a snapshot read with marks.
fn members(snap: &Snapshot, root: i32, mark: Option<&str>, known: &HashMap<i32, u64>) -> Vec<Proc> {
    let me = std::process::id() as i32;
    let procs = &snap.procs;
    let marked: &[i32] = match (mark, &snap.marks) {
        (Some(m), Some(marks)) => marks.get(m).map(Vec::as_slice).unwrap_or(&[]),
        _ => &[],
    };
    let mut children: HashMap<i32, Vec<usize>> = HashMap::new();
    for (i, p) in procs.iter().enumerate() {
        children.entry(p.ppid).or_default().push(i);
    }
    let mut seen: HashSet<i32> = HashSet::new();
    let mut stack: Vec<usize> = Vec::new();
    for (i, p) in procs.iter().enumerate() {
        if p.pid == me || p.pid <= 1 {
            continue;
        }
        let is_member = p.pid == root
            || known.get(&p.pid) == Some(&p.start)
            || (!p.zombie && marked.contains(&p.pid));
        if is_member && seen.insert(p.pid) {
            stack.push(i);
        }
    }
    let mut out = Vec::new();
    while let Some(i) = stack.pop() {
        let p = procs[i];
        out.push(p);
        for &c in children.get(&p.pid).map(Vec::as_slice).unwrap_or(&[]) {
            let child = procs[c].pid;
            if child != me && seen.insert(child) {
                stack.push(c);
            }
        }
    }
    out
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_shared_reading_is_never_older_than_the_request() {
        let _older = snapshot(Instant::now(), true);
        let mark = format!("snapshot-test-{}", std::process::id());
        let mut child =
            std::process::Command::new("sleep").arg("30").env(TREE_ENV, &mark).spawn().unwrap();
        let pid = child.id() as i32;
        // The latest reading (with marks) began before the child: a new one is taken.
        let since = Instant::now();
        let snap = snapshot(since, false);
        assert!(snap.started >= since);
        assert!(snap.procs.iter().any(|p| p.pid == pid));
        // A reading without marks does not do for a request that needs them.
        let marked = snapshot(Instant::now(), true);
        assert_eq!(marked.marks.as_ref().unwrap().get(&mark), Some(&vec![pid]));
        let found = members(&marked, -1, Some(&mark), &HashMap::new());
        assert_eq!(found.iter().map(|p| p.pid).collect::<Vec<_>>(), vec![pid]);
        child.kill().unwrap();
        child.wait().unwrap();
    }

    #[test]
    fn parses_stat_with_parentheses_in_the_name() {
        let line = "42 (a) b (c)) S 7 42 42 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 12345 0 0";
        let p = parse_stat(42, line).unwrap();
        assert_eq!((p.ppid, p.start, p.zombie), (7, 12345, false));
        let z = "43 (sh) Z 1 43 43 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 999 0 0";
        assert!(parse_stat(43, z).unwrap().zombie);
    }
}
