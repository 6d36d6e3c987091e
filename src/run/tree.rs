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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The environment variable that marks the processes of one tree.
pub const TREE_ENV: &str = "READYCTL_TREE";

/// How often a running tree's members are recorded ([`Tree::track`]): a descendant that lived
/// twice this long is known even if it then detaches and clears its environment.
pub const TRACK_EVERY: Duration = Duration::from_millis(100);

/// Rounds of SIGKILL before giving up on a tree that keeps forking.
const KILL_ROUNDS: usize = 200;

static NEXT: AtomicU64 = AtomicU64::new(1);

/// Whether `processes` in `/proc/stat` was seen to grow across a spawn (it counts forks here;
/// a `/proc` that fakes it would not), so [`Tree::end`] may rely on it.
static FORKS_COUNTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The number of forks since boot (`processes` in `/proc/stat`), `None` when unreadable.
fn total_forks() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        let text = std::fs::read_to_string("/proc/stat").ok()?;
        text.lines().find_map(|l| l.strip_prefix("processes ")).and_then(|n| n.trim().parse().ok())
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// One spawn at a time checks that the fork count moves ([`forks_before_spawn`]): the others
/// started meanwhile do not read `/proc/stat` twice for nothing.
static CALIBRATING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The fork count read before a spawn, to be compared after it ([`forks_after_spawn`]).
pub struct ForkCheck(Option<u64>);

impl Drop for ForkCheck {
    fn drop(&mut self) {
        if self.0.is_some() {
            CALIBRATING.store(false, Ordering::Release);
        }
    }
}

/// Call just before starting a process, with [`forks_after_spawn`] just after: until the fork
/// count has been seen to grow across one spawn it is not relied on. Empty once it has, or
/// while another spawn is being looked at.
pub fn forks_before_spawn() -> ForkCheck {
    if FORKS_COUNTED.load(Ordering::Relaxed) || CALIBRATING.swap(true, Ordering::Acquire) {
        return ForkCheck(None);
    }
    match total_forks() {
        Some(n) => ForkCheck(Some(n)),
        None => {
            CALIBRATING.store(false, Ordering::Release);
            ForkCheck(None)
        }
    }
}

/// See [`forks_before_spawn`].
pub fn forks_after_spawn(before: ForkCheck) {
    if let Some(before) = before.0
        && total_forks().is_some_and(|after| after > before)
    {
        FORKS_COUNTED.store(true, Ordering::Relaxed);
    }
}

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
        self.record(snapshot(Instant::now()));
    }

    /// [`Tree::track`] for a tree that runs: call it every [`TRACK_EVERY`]. A reading up to
    /// `TRACK_EVERY` old will do, so the running trees share their readings, and the readings
    /// a tree records are at most 2 × `TRACK_EVERY` apart.
    pub fn tick(&self) {
        let now = Instant::now();
        self.record(snapshot(now.checked_sub(TRACK_EVERY).unwrap_or(now)));
    }

    fn record(&self, snap: Arc<Snapshot>) {
        // By parent chain only (marks are looked for when the tree is killed).
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

    /// [`Tree::kill_all`] for a tree whose root has ended and been reaped (the usual end of a
    /// check): when the latest `/proc` reading already proves that no member is alive (see
    /// [`Tree::none_alive_since_reading`]), only the process group is signalled; otherwise
    /// the whole of `kill_all` runs.
    pub fn end(&self) {
        if self.none_alive_since_reading() {
            super::process::kill_group(self.root, libc::SIGKILL);
            return;
        }
        self.kill_all();
    }

    /// Whether no member other than the (reaped) root can be alive, from the latest reading
    /// without taking a new one. Every process that exists was created by a fork, and Linux
    /// counts every fork of the machine (`processes` in `/proc/stat`, any namespace, threads
    /// and `CLONE_PARENT` included). If the count is the same as when the latest reading
    /// began, before and after the members that reading found are looked at one by one, no
    /// process was created since: the members now are among those (a process only loses
    /// a parent, never gains one outside its ancestors, and keeps its mark), so each being
    /// gone, a zombie, or another process (start time) means none is alive. The count is read
    /// after the members were looked at, so a member that forked before dying is seen too.
    /// Used only once the count was seen to move across a spawn ([`forks_after_spawn`]).
    fn none_alive_since_reading(&self) -> bool {
        if !FORKS_COUNTED.load(Ordering::Relaxed) {
            return false;
        }
        let Some(snap) = READINGS.lock().unwrap_or_else(|e| e.into_inner()).latest.clone() else {
            return false;
        };
        let Some(before) = snap.forks else { return false };
        let found = members(&snap, self.root, Some(&self.mark), &self.known_now());
        let alive = found
            .iter()
            .filter(|p| p.pid != self.root)
            .any(|p| stat(p.pid).is_some_and(|now| now.start == p.start && !now.zombie));
        !alive && total_forks() == Some(before)
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
        let snap = snapshot(Instant::now());
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
        let snap = snapshot(Instant::now());
        for p in members(&snap, root, Some(&mark), &HashMap::new()) {
            send(p.pid, libc::SIGKILL);
        }
    }
}

/// At the end of a run, when readyctl has started nothing that still runs (every check's tree
/// ended, every service stopped): SIGKILLs every process that is still readyctl's child, and
/// reaps it. Those are orphans readyctl adopted as subreaper — descendants that left their
/// tree before it was first read and without its mark (`setsid env -u READYCTL_TREE …`,
/// detached within the first [`TRACK_EVERY`]). Nothing a run starts outlives it; in
/// particular nothing can write into the run directory while it is vetted and sealed.
/// Returns how many were killed, or, when some still run after [`KILL_ROUNDS`] rounds (a
/// chain that forks a successor as each is killed), how many run: the caller must not seal.
pub fn kill_adopted() -> Result<usize, usize> {
    let mut killed = std::collections::HashSet::new();
    for round in 0..KILL_ROUNDS {
        let children = own_children();
        for p in children.iter().filter(|p| p.zombie) {
            reap_one(p.pid);
        }
        let alive: Vec<&Proc> = children.iter().filter(|p| !p.zombie).collect();
        if alive.is_empty() {
            return Ok(killed.len());
        }
        for p in alive {
            send(p.pid, libc::SIGKILL);
            killed.insert(p.pid);
        }
        thread::sleep(Duration::from_millis(if round < 10 { 2 } else { 20 }));
    }
    let left = own_children().iter().filter(|p| !p.zombie).count();
    if left == 0 { Ok(killed.len()) } else { Err(left) }
}

/// readyctl's children now: from each thread's `/proc/self/task/<tid>/children` (an orphan
/// is adopted by one of the subreaper's threads), else by reading every process's parent.
fn own_children() -> Vec<Proc> {
    #[cfg(target_os = "linux")]
    if task_children_supported()
        && let Ok(tasks) = std::fs::read_dir("/proc/self/task")
    {
        let pids: Vec<i32> = tasks
            .filter_map(Result::ok)
            .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
            .flat_map(|text| {
                text.split_whitespace().filter_map(|p| p.parse::<i32>().ok()).collect::<Vec<_>>()
            })
            .collect();
        return pids.into_iter().filter_map(stat).collect();
    }
    let me = std::process::id() as i32;
    all_procs().into_iter().filter(|p| p.ppid == me).collect()
}

/// Whether the kernel lists a task's children (`CONFIG_PROC_CHILDREN`).
fn task_children_supported() -> bool {
    static SUPPORTED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SUPPORTED.get_or_init(|| {
        let tid = std::process::id();
        std::path::Path::new(&format!("/proc/self/task/{tid}/children")).exists()
    })
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
    /// A kernel thread (`PF_KTHREAD` in the flags, which only the kernel sets): it has no
    /// environment, so no mark.
    kernel: bool,
}

/// `PF_KTHREAD` (include/linux/sched.h).
const PF_KTHREAD: u64 = 0x0020_0000;

/// Whether `p` is read for marks: a live process of a user, other than readyctl (`me`) and
/// init. Kernel threads are known by their flag, never by their parent: readyctl may itself
/// be pid 2 in a container's pid namespace, and then its adopted orphans have parent 2.
fn may_carry_mark(p: &Proc, me: i32) -> bool {
    !p.zombie && !p.kernel && p.pid != me && p.pid > 1
}

/// Reads `/proc/<pid>/stat` with one `open`, `read` until its end into a stack buffer, and
/// `close` (no allocation, no size probe: a reading of `/proc` does this for every process on
/// the machine). `None` when it is gone, unreadable, not UTF-8 or not parsable.
#[cfg(target_os = "linux")]
fn stat(pid: i32) -> Option<Proc> {
    use std::io::Write as _;
    let mut path = [0u8; 32];
    let mut w = &mut path[..];
    write!(w, "/proc/{pid}/stat\0").ok()?;
    // The line is about 300 bytes (the command name is at most 64).
    let mut buf = [0u8; 4096];
    // SAFETY: `path` is NUL-terminated (written above, within the array); the descriptor is
    // closed below on every path.
    let fd = unsafe { libc::open(path.as_ptr().cast(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return None;
    }
    let mut len = 0;
    let ok = loop {
        // SAFETY: reads at most the free part of `buf`, from a descriptor we own.
        let n = unsafe { libc::read(fd, buf[len..].as_mut_ptr().cast(), buf.len() - len) };
        match n {
            0 => break true,
            n if n > 0 => {
                len += n as usize;
                if len == buf.len() {
                    break false;
                }
            }
            _ if io_interrupted() => {}
            _ => break false,
        }
    };
    // SAFETY: closes the descriptor opened above, once.
    unsafe {
        libc::close(fd);
    }
    if !ok {
        return None;
    }
    parse_stat(pid, std::str::from_utf8(&buf[..len]).ok()?)
}

#[cfg(target_os = "linux")]
fn io_interrupted() -> bool {
    std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
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
    // After the comm: state(0) ppid(1) … flags(6) … starttime is field 22 of the line, index
    // 19 here.
    let flags: u64 = fields.get(6)?.parse().ok()?;
    Some(Proc {
        pid,
        ppid: fields.get(1)?.parse().ok()?,
        start: fields.get(19)?.parse().ok()?,
        zombie: matches!(*fields.first()?, "Z" | "X"),
        kernel: flags & PF_KTHREAD != 0,
    })
}

/// Every process but readyctl itself (never a member; reading its `stat` walks all its
/// threads, one per running check).
#[cfg(target_os = "linux")]
fn all_procs() -> Vec<Proc> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    let me = std::process::id() as i32;
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| pid != me)
        .filter_map(stat)
        .collect()
}

#[cfg(not(target_os = "linux"))]
fn all_procs() -> Vec<Proc> {
    Vec::new()
}

/// The values of `TREE_ENV` in process `pid`'s environment (`None` when unreadable: another
/// user's, or gone). Usually one; every entry counts, as a process may carry it twice.
fn marks_of(pid: i32) -> Option<Vec<String>> {
    let env = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    let prefix = format!("{TREE_ENV}=");
    Some(
        env.split(|&b| b == 0)
            .filter_map(|entry| entry.strip_prefix(prefix.as_bytes()))
            .map(|value| String::from_utf8_lossy(value).into_owned())
            .collect(),
    )
}

/// One reading of `/proc`, shared by the trees that asked for it (see the module doc).
struct Snapshot {
    /// When the reading began: every process started before this instant is in it.
    started: Instant,
    /// The machine's fork count read just before (see [`Tree::end`]).
    forks: Option<u64>,
    procs: Vec<Proc>,
    /// Parent pid → indexes in `procs` of its children (built once, for every tree asking).
    children: HashMap<i32, Vec<usize>>,
    /// Mark → the live processes carrying it (other than readyctl and init).
    marks: HashMap<String, Vec<i32>>,
}

/// The readings: the latest one, and the marks read so far per process.
struct Readings {
    latest: Option<Arc<Snapshot>>,
    /// pid → (start time, marks): a process's marks are read once. A process gets its marks
    /// from its parent's environment when it forks; reading `environ` again after it `exec`s
    /// with another environment could only drop a mark it was born with (it stays a member, as
    /// the descendant it is) or add one it had no way to inherit.
    marks: BTreeMap<i32, (u64, Vec<String>)>,
}

/// Taking a reading holds the lock, so readings are taken one at a time.
static READINGS: Mutex<Readings> = Mutex::new(Readings { latest: None, marks: BTreeMap::new() });

/// A reading of `/proc` begun at or after `since`: the latest one when it qualifies, else a
/// new one.
fn snapshot(since: Instant) -> Arc<Snapshot> {
    let mut r = READINGS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = r.latest.as_ref()
        && s.started >= since
    {
        return s.clone();
    }
    let started = Instant::now();
    let forks = total_forks();
    let procs = all_procs();
    let marks = {
        let me = std::process::id() as i32;
        let live: HashSet<(i32, u64)> = procs.iter().map(|p| (p.pid, p.start)).collect();
        // Forget the processes that are gone (a reused pid has another start time).
        r.marks.retain(|pid, (start, _)| live.contains(&(*pid, *start)));
        let mut marks: HashMap<String, Vec<i32>> = HashMap::new();
        // Kernel threads have no environment to read: skipped, not asked again every reading.
        for p in procs.iter().filter(|p| may_carry_mark(p, me)) {
            let known = r.marks.get(&p.pid).filter(|(start, _)| *start == p.start);
            // Unreadable now (another user's, or exiting): not remembered, read again next time.
            let of = match known {
                Some((_, m)) => m.clone(),
                None => match marks_of(p.pid) {
                    Some(m) => {
                        r.marks.insert(p.pid, (p.start, m.clone()));
                        m
                    }
                    None => Vec::new(),
                },
            };
            for m in of {
                marks.entry(m).or_default().push(p.pid);
            }
        }
        marks
    };
    let mut children: HashMap<i32, Vec<usize>> = HashMap::new();
    for (i, p) in procs.iter().enumerate() {
        children.entry(p.ppid).or_default().push(i);
    }
    let s = Arc::new(Snapshot { started, forks, procs, children, marks });
    r.latest = Some(s.clone());
    s
}

/// The root, the processes carrying `mark`, the `known` ones still alive under the same start
/// time, and every descendant of those (never readyctl itself or init), as `snap` shows them.
fn members(snap: &Snapshot, root: i32, mark: Option<&str>, known: &HashMap<i32, u64>) -> Vec<Proc> {
    let me = std::process::id() as i32;
    let procs = &snap.procs;
    let marked: &[i32] = mark.and_then(|m| snap.marks.get(m)).map_or(&[], Vec::as_slice);
    let children = &snap.children;
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
        let older = snapshot(Instant::now());
        let mark = format!("snapshot-test-{}", std::process::id());
        let mut child =
            std::process::Command::new("sleep").arg("30").env(TREE_ENV, &mark).spawn().unwrap();
        let pid = child.id() as i32;
        // The latest reading began before the child: a new one is taken, with its mark.
        let since = Instant::now();
        let snap = snapshot(since);
        assert!(snap.started >= since && snap.started > older.started);
        assert!(snap.procs.iter().any(|p| p.pid == pid));
        assert_eq!(snap.marks.get(&mark), Some(&vec![pid]));
        let found = members(&snap, -1, Some(&mark), &HashMap::new());
        assert_eq!(found.iter().map(|p| p.pid).collect::<Vec<_>>(), vec![pid]);
        // A request made before that reading began is served by it (or a newer one).
        assert!(snapshot(since).started >= snap.started);
        child.kill().unwrap();
        child.wait().unwrap();
    }

    #[test]
    fn stat_reads_what_read_to_string_reads() {
        let me = std::process::id() as i32;
        let text = std::fs::read_to_string(format!("/proc/{me}/stat")).unwrap();
        let want = parse_stat(me, &text).unwrap();
        let got = stat(me).unwrap();
        assert_eq!((got.pid, got.ppid, got.start, got.zombie), (me, want.ppid, want.start, false));
        assert!(stat(i32::MAX).is_none(), "no such process");
    }

    #[test]
    fn parses_stat_with_parentheses_in_the_name() {
        let line = "42 (a) b (c)) S 7 42 42 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 12345 0 0";
        let p = parse_stat(42, line).unwrap();
        assert_eq!((p.ppid, p.start, p.zombie), (7, 12345, false));
        let z = "43 (sh) Z 1 43 43 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 999 0 0";
        assert!(parse_stat(43, z).unwrap().zombie);
    }

    /// Kernel threads are known by `PF_KTHREAD`, not by their parent: when readyctl is pid 2 (a
    /// container's pid namespace whose init is a shell or tini), the orphans it adopts have
    /// parent 2, and each must still be read for the mark that ties it to its check.
    #[test]
    fn kernel_threads_are_known_by_their_flag_not_by_their_parent() {
        let me = 2;
        // Real lines of this machine: kthreadd (flags 0x208040) and a worker it made.
        let kthreadd = "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 2 0 0 20 0 1 0 24 0 0";
        let kworker = "77 (kworker/u8:0) I 2 0 0 0 -1 69238880 0 0 0 0 0 0 0 0 20 0 1 0 90 0 0";
        // A process of the check adopted by readyctl at pid 2 (flags 0x400000, PF_RANDOMIZE).
        let orphan = "11 (sleep) S 2 10 10 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 4000 0 0";
        let parsed = |pid, line| parse_stat(pid, line).unwrap();
        assert!(parsed(2, kthreadd).kernel && parsed(77, kworker).kernel);
        let adopted = parsed(11, orphan);
        assert!(!adopted.kernel && adopted.ppid == 2);
        assert!(may_carry_mark(&adopted, me));
        assert!(!may_carry_mark(&parsed(77, kworker), 1));
        // readyctl itself and init are never read.
        assert!(!may_carry_mark(&parsed(2, orphan), me));
        assert!(!may_carry_mark(&parsed(1, orphan), me));
    }

    /// The latest reading stands in for a new one only while no member it found lives and no
    /// process was created since (the safe directions; that it is then used is what the
    /// scheduler benchmark shows, as other tests fork meanwhile).
    #[test]
    fn a_reading_stands_in_only_while_no_member_lives_and_nothing_forked() {
        init();
        let mark = new_mark();
        let before = total_forks().expect("/proc/stat counts forks");
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg("sleep 30 & wait")
            .env(TREE_ENV, &mark)
            .spawn()
            .unwrap();
        forks_after_spawn(ForkCheck(Some(before)));
        assert!(FORKS_COUNTED.load(Ordering::Relaxed), "a spawn moved the fork count");
        let tree = Tree::new(child.id() as i32, mark);
        // Until the shell has started its sleep.
        let until = Instant::now() + Duration::from_secs(5);
        while members(&snapshot(Instant::now()), tree.root, Some(&tree.mark), &HashMap::new()).len()
            < 2
        {
            assert!(Instant::now() < until, "the sleep did not start");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(!tree.none_alive_since_reading(), "the sleep is alive");
        // Killed: the readings `kill_all` took show no member alive. A fork after the latest
        // reading is enough to refuse it.
        tree.kill_all();
        let _ = child.wait();
        std::process::Command::new("true").status().unwrap();
        assert!(!tree.none_alive_since_reading(), "a process was created since the reading");
    }
}
