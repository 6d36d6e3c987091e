//! The one parallel file walk of the repository, for `search` and `secrets`: ripgrep's own
//! walker (`ignore`), so the same ignore rules hold (`.gitignore`, `.ignore`, git's exclude and
//! global files, parent directories), hidden files skipped unless asked, `.git` never entered,
//! up to 12 threads.
//!
//! It visits regular files only, each with its repository-relative `/`-separated path; what
//! each caller skips on top (readyctl's run directories, `.readyctl/`, globs, size caps, binary
//! files) is chosen with the builder's options, so the differences between the callers are
//! named here rather than hidden in two copies of the same closure. A walk stops at the next
//! file when `cancel` is set, and keeps the first error it met (an unreadable directory).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// The walk was cancelled (Ctrl-C, the check's deadline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted;

/// How a walk ended when it was not cancelled.
#[derive(Debug, Default)]
pub struct Walked {
    /// The first error met (an unreadable directory or file), if any.
    pub first_error: Option<String>,
}

/// One regular file found by the walk.
pub struct File<'a> {
    entry: &'a ignore::DirEntry,
    /// Relative to the walked root, `/`-separated.
    pub rel: &'a str,
    first_error: &'a Mutex<Option<String>>,
}

impl File<'_> {
    /// The file's path (the root joined with `rel`).
    pub fn path(&self) -> &Path {
        self.entry.path()
    }

    /// The file's size, when its metadata can be read.
    pub fn size(&self) -> Option<u64> {
        self.entry.metadata().ok().map(|m| m.len())
    }

    /// Records `error` as the walk's first error unless one was recorded before.
    pub fn error(&self, error: String) {
        self.first_error.lock().unwrap().get_or_insert(error);
    }
}

impl Skip {
    /// Whether the walk skips this entry (and, for a directory, everything below it).
    fn skips(&self, e: &ignore::DirEntry) -> bool {
        let name = e.file_name();
        let is_dir = e.file_type().is_some_and(|t| t.is_dir());
        if name == ".git" && (self.git == GitEntry::Any || is_dir) {
            return true;
        }
        if self.dot_readyctl && is_dir && name == ".readyctl" {
            return true;
        }
        let Some(run_dir) = &self.run_dirs else { return false };
        run_dir.as_deref() == Some(e.path())
            || (is_dir
                && e.path().join("evidence").is_dir()
                && (e.path().join("manifest.json").is_file()
                    || e.path().join("results.json").is_file()))
    }
}

/// Which `.git` entries are never entered or visited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GitEntry {
    /// `.git` whatever it is (a directory, or a worktree's or submodule's `.git` file).
    Any,
    /// Only a `.git` directory.
    Directory,
}

/// A walk to run: the root and what is skipped.
pub struct Walk {
    root: PathBuf,
    hidden: bool,
    ignore_files: bool,
    skip: Skip,
    overrides: Option<ignore::overrides::Override>,
}

/// The directories (and `.git` files) a walk never enters.
struct Skip {
    git: GitEntry,
    dot_readyctl: bool,
    /// `Some`: readyctl's run directories, and this one (the run in progress) if given.
    run_dirs: Option<Option<PathBuf>>,
}

impl Walk {
    /// A walk of `root`: ignore files honoured, hidden files skipped, `.git` (directory or
    /// file) never visited.
    pub fn new(root: &Path) -> Walk {
        Walk {
            root: root.to_path_buf(),
            hidden: false,
            ignore_files: true,
            skip: Skip { git: GitEntry::Any, dot_readyctl: false, run_dirs: None },
            overrides: None,
        }
    }

    /// Also visit hidden files and directories (`.env`, `.github/`).
    pub fn hidden(mut self, yes: bool) -> Walk {
        self.hidden = yes;
        self
    }

    /// Honour `.gitignore`, `.ignore`, git's exclude and global files and those of parent
    /// directories (`true`, the default), or none of them.
    pub fn ignore_files(mut self, honour: bool) -> Walk {
        self.ignore_files = honour;
        self
    }

    /// Skip only `.git` directories (a `.git` file is visited like any file).
    pub fn git_directories_only(mut self) -> Walk {
        self.skip.git = GitEntry::Directory;
        self
    }

    /// Never enter a directory named `.readyctl` (readyctl's run directories, at any depth).
    pub fn skip_dot_readyctl(mut self) -> Walk {
        self.skip.dot_readyctl = true;
        self
    }

    /// Never enter readyctl's run directories wherever they are: `run_dir` (the run in
    /// progress, whose manifest does not exist yet) and any directory holding `evidence/` and a
    /// `manifest.json` or `results.json` (a run written elsewhere with `--out`).
    pub fn skip_run_dirs(mut self, run_dir: Option<&Path>) -> Walk {
        self.skip.run_dirs = Some(run_dir.map(Path::to_path_buf));
        self
    }

    /// Globs that select (`glob`) and exclude (`!glob`) files, as ripgrep's `-g`.
    pub fn overrides(mut self, overrides: ignore::overrides::Override) -> Walk {
        self.overrides = Some(overrides);
        self
    }

    /// [`Walk::overrides`] from globs checked at load ([`Globs`]).
    pub fn globs(self, globs: &Globs) -> Walk {
        let overrides = globs.for_root(&self.root);
        self.overrides(overrides)
    }

    /// Visits every file in parallel. `state` makes one value per walking thread (a searcher, a
    /// read buffer) that `visit` gets with each file; files are visited in no particular order.
    pub fn run<S, M, V>(
        self,
        cancel: &AtomicBool,
        state: M,
        visit: V,
    ) -> Result<Walked, Interrupted>
    where
        M: Fn() -> S,
        V: Fn(&mut S, &File<'_>) + Sync,
        S: Send,
    {
        let honour = self.ignore_files;
        let mut builder = ignore::WalkBuilder::new(&self.root);
        builder
            .hidden(!self.hidden)
            .git_ignore(honour)
            .git_exclude(honour)
            .git_global(honour)
            .ignore(honour)
            .parents(honour)
            .threads(std::thread::available_parallelism().map_or(2, |n| n.get()).min(12));
        if let Some(o) = self.overrides {
            builder.overrides(o);
        }
        let (root, skip) = (self.root, self.skip);
        builder.filter_entry(move |e| !skip.skips(e));
        let first_error: Mutex<Option<String>> = Mutex::new(None);
        builder.build_parallel().run(|| {
            let mut s = state();
            let (visit, first_error, root) = (&visit, &first_error, &root);
            Box::new(move |entry| {
                if cancel.load(Ordering::Relaxed) {
                    return ignore::WalkState::Quit;
                }
                let entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        first_error.lock().unwrap().get_or_insert(e.to_string());
                        return ignore::WalkState::Continue;
                    }
                };
                if !entry.file_type().is_some_and(|t| t.is_file()) {
                    return ignore::WalkState::Continue;
                }
                let rel = crate::text::repo_relative(entry.path(), root);
                visit(&mut s, &File { entry: &entry, rel: &rel, first_error });
                ignore::WalkState::Continue
            })
        });
        if cancel.load(Ordering::Relaxed) {
            return Err(Interrupted);
        }
        Ok(Walked { first_error: first_error.into_inner().unwrap() })
    }
}

/// Globs that select (`glob`) and exclude (`!glob`) files, as ripgrep's `-g`, checked when a
/// probe is compiled. `ignore` matches them against paths under the walk's root, so the matcher
/// itself is made for each root ([`Globs::for_root`]); building the same lines cannot fail
/// there, whatever the root: only parsing the globs can, and that was done here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Globs {
    lines: Vec<String>,
}

impl Globs {
    /// The override lines (`glob`, `!glob`), or why one does not build.
    pub fn new(lines: Vec<String>) -> Result<Globs, String> {
        build_overrides(Path::new("/"), &lines)?;
        Ok(Globs { lines })
    }

    /// The matcher for a walk of `root`.
    pub fn for_root(&self, root: &Path) -> ignore::overrides::Override {
        build_overrides(root, &self.lines)
            .expect("override globs are checked by Globs::new, and the root does not matter")
    }
}

fn build_overrides(root: &Path, lines: &[String]) -> Result<ignore::overrides::Override, String> {
    let mut b = ignore::overrides::OverrideBuilder::new(root);
    for line in lines {
        b.add(line).map_err(|e| e.to_string())?;
    }
    b.build().map_err(|e| e.to_string())
}

/// Why [`read_text`] returned no text.
#[derive(Debug)]
pub enum Unread {
    /// Larger than the cap: not read.
    TooLarge,
    /// A NUL byte in the first 8 KiB: binary, skipped as ripgrep does.
    Binary,
    /// Not a readable file.
    Error(std::io::Error),
}

/// Opens `path` for reading only if it is a regular file, without ever waiting: a FIFO (which a
/// check's process can put where a file was, at any moment) would block an ordinary `open`
/// until someone writes to it, past every deadline. Opened with `O_NONBLOCK`, the opened file
/// must be regular; then reads block as usual (a regular file never waits).
pub fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"));
    }
    // SAFETY: fcntl on a descriptor this function owns; no pointers.
    unsafe {
        let flags = libc::fcntl(file.as_raw_fd(), libc::F_GETFL);
        if flags >= 0 {
            libc::fcntl(file.as_raw_fd(), libc::F_SETFL, flags & !libc::O_NONBLOCK);
        }
    }
    Ok(file)
}

/// The whole of `path` as UTF-8 text (an error if it is not), read through [`open_regular`].
pub fn read_regular_string(path: &Path) -> std::io::Result<String> {
    String::from_utf8(read_regular(path)?)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// The whole of `path`, read through [`open_regular`].
pub fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut open_regular(path)?, &mut bytes)?;
    Ok(bytes)
}

/// Reads `path` into `buf` (cleared first) unless it is larger than `max_bytes` (by `len`,
/// its size when known) or binary (a NUL byte in its first 8 KiB).
pub fn read_text(
    path: &Path,
    len: Option<u64>,
    max_bytes: u64,
    buf: &mut Vec<u8>,
) -> Result<(), Unread> {
    if len.is_some_and(|n| n > max_bytes) {
        return Err(Unread::TooLarge);
    }
    buf.clear();
    open_regular(path)
        .and_then(|mut f| std::io::Read::read_to_end(&mut f, buf))
        .map_err(Unread::Error)?;
    if buf[..buf.len().min(8192)].contains(&0) {
        return Err(Unread::Binary);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn tree(files: &[(&str, &[u8])]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (f, c) in files {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, c).unwrap();
        }
        dir
    }

    fn visited(walk: Walk) -> BTreeSet<String> {
        let found = Mutex::new(BTreeSet::new());
        walk.run(
            &AtomicBool::new(false),
            || (),
            |_, f| {
                found.lock().unwrap().insert(f.rel.to_string());
            },
        )
        .unwrap();
        found.into_inner().unwrap()
    }

    fn set(v: &[&str]) -> BTreeSet<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    const REPO: &[(&str, &[u8])] = &[
        (".gitignore", b"build/\n*.log\n"),
        ("src/a.rs", b"fn a() {}\n"),
        ("src/debug.log", b"log\n"),
        ("build/out.js", b"x\n"),
        (".env", b"TOKEN=1\n"),
        (".github/ci.yml", b"on: push\n"),
        (".git/config", b"[core]\n"),
        (".readyctl/runs/1/results.json", b"{}\n"),
        ("runs/old/manifest.json", b"{}\n"),
        ("runs/old/evidence/c/stdout.log.txt", b"out\n"),
        ("sub/.git", b"gitdir: ../.git/modules/sub\n"),
    ];

    #[test]
    fn honours_ignore_files_and_skips_hidden_and_git_by_default() {
        let d = tree(REPO);
        // The ignore crate reads .gitignore only inside a git repository.
        std::fs::create_dir_all(d.path().join(".git/info")).unwrap();
        let got = visited(Walk::new(d.path()));
        assert_eq!(
            got,
            set(&["runs/old/evidence/c/stdout.log.txt", "runs/old/manifest.json", "src/a.rs"])
        );
    }

    #[test]
    fn hidden_and_ignored_files_on_request_never_git() {
        let d = tree(REPO);
        std::fs::create_dir_all(d.path().join(".git/info")).unwrap();
        let got = visited(Walk::new(d.path()).hidden(true).ignore_files(false));
        assert!(
            got.contains(".env") && got.contains("build/out.js") && got.contains("src/debug.log")
        );
        assert!(got.contains(".readyctl/runs/1/results.json"));
        assert!(!got.iter().any(|f| f.starts_with(".git/") || f.ends_with("/.git")), "{got:?}");
    }

    #[test]
    fn secrets_options_visit_git_files_but_not_readyctl_runs() {
        let d = tree(REPO);
        std::fs::create_dir_all(d.path().join(".git/info")).unwrap();
        let got =
            visited(Walk::new(d.path()).hidden(true).git_directories_only().skip_dot_readyctl());
        // A worktree's or submodule's `.git` file is a file like any other; `.git/` is not.
        assert!(got.contains("sub/.git"), "{got:?}");
        assert!(!got.iter().any(|f| f.starts_with(".git/") || f.starts_with(".readyctl/")));
        assert!(got.contains(".env") && got.contains(".github/ci.yml"));
        assert!(!got.contains("build/out.js"), "gitignored");
    }

    #[test]
    fn run_directories_are_skipped_wherever_they_are() {
        let d = tree(REPO);
        let now = d.path().join("runs/now");
        std::fs::create_dir_all(now.join("evidence/c")).unwrap();
        std::fs::write(now.join("evidence/c/stdout.log.txt"), "x").unwrap();
        std::fs::write(d.path().join("runs/keep.txt"), "x").unwrap();
        let got = visited(Walk::new(d.path()).skip_run_dirs(Some(&now)));
        // `runs/old` has evidence/ and a manifest; `runs/now` is the run in progress.
        assert!(!got.iter().any(|f| f.starts_with("runs/old") || f.starts_with("runs/now")));
        assert!(got.contains("runs/keep.txt"), "{got:?}");
    }

    #[test]
    fn overrides_select_and_exclude() {
        let d = tree(REPO);
        let mut o = ignore::overrides::OverrideBuilder::new(d.path());
        o.add("src/**").unwrap();
        o.add("!**/*.log").unwrap();
        let got = visited(Walk::new(d.path()).ignore_files(false).overrides(o.build().unwrap()));
        assert_eq!(got, set(&["src/a.rs"]));
    }

    #[test]
    fn globs_are_checked_once_and_match_under_any_root() {
        assert!(Globs::new(vec!["src/{a".into()]).is_err());
        let globs = Globs::new(vec!["src/**".into(), "!**/*.log".into()]).unwrap();
        let d = tree(REPO);
        let got = visited(Walk::new(d.path()).ignore_files(false).globs(&globs));
        assert_eq!(got, set(&["src/a.rs"]));
        let other = tree(&[("src/b.rs", b"x"), ("src/b.log", b"x"), ("c.rs", b"x")]);
        assert_eq!(visited(Walk::new(other.path()).globs(&globs)), set(&["src/b.rs"]));
    }

    #[test]
    fn a_cancelled_walk_is_interrupted_and_errors_are_kept() {
        let d = tree(REPO);
        let cancel = AtomicBool::new(true);
        assert_eq!(Walk::new(d.path()).run(&cancel, || (), |_, _| {}).unwrap_err(), Interrupted);
        let walked = Walk::new(d.path())
            .run(
                &AtomicBool::new(false),
                || (),
                |_, f| {
                    if f.rel == "src/a.rs" {
                        f.error("src/a.rs: no".into());
                    }
                },
            )
            .unwrap();
        assert_eq!(walked.first_error.as_deref(), Some("src/a.rs: no"));
    }

    #[test]
    fn per_thread_state_is_reused_across_files() {
        let d = tree(REPO);
        let total = std::sync::atomic::AtomicU64::new(0);
        Walk::new(d.path())
            .hidden(true)
            .run(
                &AtomicBool::new(false),
                || 0u64,
                |n, _| {
                    *n += 1;
                    total.fetch_add(1, Ordering::Relaxed);
                },
            )
            .unwrap();
        assert!(total.into_inner() >= 3);
    }

    #[test]
    fn read_text_skips_large_and_binary_files() {
        let d =
            tree(&[("t.txt", b"hello\n"), ("b.bin", b"\x7fELF\0\0\x01"), ("big", b"0123456789")]);
        let mut buf = Vec::new();
        read_text(&d.path().join("t.txt"), Some(6), 100, &mut buf).unwrap();
        assert_eq!(buf, b"hello\n");
        assert!(matches!(
            read_text(&d.path().join("b.bin"), Some(7), 100, &mut buf),
            Err(Unread::Binary)
        ));
        assert!(matches!(
            read_text(&d.path().join("big"), Some(10), 9, &mut buf),
            Err(Unread::TooLarge)
        ));
        // A NUL past the first 8 KiB does not make a file binary.
        let mut late = vec![b'a'; 9000];
        late.push(0);
        std::fs::write(d.path().join("late"), &late).unwrap();
        read_text(&d.path().join("late"), None, u64::MAX, &mut buf).unwrap();
        assert!(matches!(
            read_text(&d.path().join("none"), None, 9, &mut buf),
            Err(Unread::Error(_))
        ));
    }
}
