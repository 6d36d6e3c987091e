//! The in-toto Statement v1 that becomes `manifest.json`, its deterministic serialization, and
//! the repository facts (`git_info`) the predicate records.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// `_type` of an in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// `predicateType` of readyctl evidence.
pub const PREDICATE_TYPE: &str = "https://readyctl.dev/evidence/v1";

/// One subject: a file by `sha256`, or the repository commit by `gitCommit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// Relative path with `/` separators, or the repository name for the commit subject.
    pub name: String,
    /// Algorithm → lowercase hex digest.
    pub digest: BTreeMap<String, String>,
}

impl Subject {
    /// A file subject.
    pub fn file(name: impl Into<String>, sha256: impl Into<String>) -> Self {
        Subject { name: name.into(), digest: BTreeMap::from([("sha256".into(), sha256.into())]) }
    }

    /// The repository commit subject.
    pub fn commit(name: impl Into<String>, commit: impl Into<String>) -> Self {
        Subject { name: name.into(), digest: BTreeMap::from([("gitCommit".into(), commit.into())]) }
    }
}

/// Builds the Statement value. File subjects are sorted by name; the commit subject, if any,
/// comes last.
pub fn build_statement(
    mut files: Vec<Subject>,
    commit: Option<Subject>,
    predicate: Value,
) -> Value {
    files.sort_by(|a, b| a.name.cmp(&b.name));
    files.extend(commit);
    let mut m = Map::new();
    m.insert("_type".into(), Value::String(STATEMENT_TYPE.into()));
    m.insert("subject".into(), serde_json::to_value(files).expect("subjects serialize"));
    m.insert("predicateType".into(), Value::String(PREDICATE_TYPE.into()));
    m.insert("predicate".into(), predicate);
    Value::Object(m)
}

/// Deterministic bytes of a JSON value: object keys sorted at every level (array order kept),
/// two-space indentation, a trailing newline. The same value always gives the same bytes.
pub fn to_canonical_bytes(value: &Value) -> Vec<u8> {
    let mut out =
        serde_json::to_vec_pretty(&Sorted(value)).expect("a JSON value always serializes");
    out.push(b'\n');
    out
}

/// A JSON value that serializes with the keys of every object in sorted order, read in place
/// (the manifest of a large run is not copied to be sorted).
struct Sorted<'a>(&'a Value);

impl Serialize for Sorted<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            Value::Object(m) => {
                let mut entries: Vec<(&String, &Value)> = m.iter().collect();
                entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, &Sorted(v))?;
                }
                map.end()
            }
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for v in items {
                    seq.serialize_element(&Sorted(v))?;
                }
                seq.end()
            }
            other => other.serialize(s),
        }
    }
}

/// Repository facts for the predicate's `repository` field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitInfo {
    /// Full commit id of `HEAD` (`None` in a repository without commits).
    pub commit: Option<String>,
    /// Checked-out branch (`None` when `HEAD` is detached).
    pub branch: Option<String>,
    /// URL of `origin` (else the first remote) with any user name and password removed.
    pub remote: Option<String>,
    /// True when tracked files differ from `HEAD` or untracked files exist (read by `check`
    /// before any check runs). `verify --commit` rejects a dirty run unless `--allow-dirty`.
    pub dirty: bool,
    /// SHA-256 of `git diff HEAD` output, a NUL, and the NUL-separated untracked file list;
    /// `None` when clean.
    pub uncommitted_sha256: Option<String>,
}

fn git(repo: &Path, args: &[&str]) -> Option<Vec<u8>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove(super::SIGNING_KEY_ENV)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status.success().then_some(out.stdout)
}

fn git_line(repo: &Path, args: &[&str]) -> Option<String> {
    let out = git(repo, args)?;
    let s = String::from_utf8_lossy(&out).trim().to_string();
    (!s.is_empty()).then_some(s)
}

/// Reads commit, branch, remote, and uncommitted state by running `git`. Returns `None` when
/// `repo` is not inside a git work tree (or git is not installed). readyctl's own `.readyctl/`
/// directory is left out of the dirty check and the digest.
///
/// Outside any repository (no `.git` in `repo` or above it, no `GIT_DIR`) git is not started.
/// Inside one, the reads after the first run at once: they are independent, and the checks
/// wait for all of them (about 16 ms one after another on a small repository, 2 cores).
pub fn git_info(repo: &Path) -> Option<GitInfo> {
    if !may_be_in_repository(repo) {
        return None;
    }
    if git_line(repo, &["rev-parse", "--is-inside-work-tree"]).as_deref() != Some("true") {
        return None;
    }
    let exclude = ":(exclude,top).readyctl";
    let (commit, branch, remote, diff, untracked) = std::thread::scope(|s| {
        let commit = s.spawn(|| git_line(repo, &["rev-parse", "--verify", "-q", "HEAD"]));
        let branch = s.spawn(|| git_line(repo, &["symbolic-ref", "--short", "-q", "HEAD"]));
        let remote = s.spawn(|| {
            git_line(repo, &["config", "--get", "remote.origin.url"])
                .or_else(|| {
                    let first = git_line(repo, &["remote"])?.lines().next()?.to_string();
                    git_line(repo, &["config", "--get", &format!("remote.{first}.url")])
                })
                .map(|u| super::redact::strip_url_credentials(&u))
        });
        // Used only when HEAD has a commit (it fails without one, and is then ignored).
        let diff = s.spawn(|| {
            git(
                repo,
                &["diff", "HEAD", "--no-color", "--no-ext-diff", "--binary", "--", ".", exclude],
            )
        });
        let untracked = s.spawn(|| {
            git(repo, &["ls-files", "-z", "--others", "--exclude-standard", "--", ".", exclude])
        });
        (joined(commit), joined(branch), joined(remote), joined(diff), joined(untracked))
    });
    let diff = if commit.is_some() { diff? } else { Vec::new() };
    let untracked = untracked?;
    // Without a commit every tracked file is uncommitted.
    let staged =
        if commit.is_none() { git(repo, &["ls-files", "-z", "--cached"])? } else { Vec::new() };
    let dirty = !diff.is_empty() || !untracked.is_empty() || !staged.is_empty();
    let uncommitted_sha256 = dirty.then(|| {
        let mut h = Sha256::new();
        h.update(&diff);
        h.update([0u8]);
        h.update(&untracked);
        h.update(&staged);
        super::hex(&h.finalize())
    });
    Some(GitInfo { commit, branch, remote, dirty, uncommitted_sha256 })
}

fn joined<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Whether git could find a repository for `repo`: `GIT_DIR` or `GIT_WORK_TREE` set, or, in
/// `repo` or a directory above it (symlinks resolved, as git sees its working directory), a
/// `.git` (a directory, or a worktree's or submodule's file) or a git directory itself (`HEAD`
/// beside `objects/` or `refs/`: a bare repository, or one with `core.worktree`). Without any,
/// `git rev-parse` says "not a git repository", so it is not started (1.5 ms saved before the
/// first check). When in doubt this says yes: git decides.
pub fn may_be_in_repository(repo: &Path) -> bool {
    if ["GIT_DIR", "GIT_WORK_TREE"].iter().any(|v| std::env::var_os(v).is_some()) {
        return true;
    }
    let start = std::fs::canonicalize(repo)
        .or_else(|_| std::path::absolute(repo))
        .unwrap_or_else(|_| repo.to_path_buf());
    let git_dir = |d: &Path| {
        d.join("HEAD").symlink_metadata().is_ok()
            && (d.join("objects").is_dir() || d.join("refs").is_dir())
    };
    start.ancestors().any(|d| d.join(".git").symlink_metadata().is_ok() || git_dir(d))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_bytes_sort_keys_and_are_stable() {
        let a = json!({"b": 1, "a": {"z": [3, {"y": 1, "x": 2}], "c": null}});
        let mut m = Map::new();
        m.insert("a".into(), json!({"c": null, "z": [3, {"x": 2, "y": 1}]}));
        m.insert("b".into(), json!(1));
        let b = Value::Object(m);
        assert_eq!(to_canonical_bytes(&a), to_canonical_bytes(&b));
        let text = String::from_utf8(to_canonical_bytes(&a)).unwrap();
        assert!(text.ends_with("}\n"));
        assert!(text.find("\"a\"").unwrap() < text.find("\"b\"").unwrap());
        assert!(text.find("\"x\"").unwrap() < text.find("\"y\"").unwrap());
    }

    #[test]
    fn canonical_bytes_are_exactly_the_sorted_pretty_json() {
        let v = json!({"é": "\u{1}\"", "b": [], "a": {}, "n": [1.5, -2, {"k": true, "j": null}]});
        let expected = "{\n  \"a\": {},\n  \"b\": [],\n  \"n\": [\n    1.5,\n    -2,\n    {\n      \
                        \"j\": null,\n      \"k\": true\n    }\n  ],\n  \"é\": \"\\u0001\\\"\"\n}\n";
        assert_eq!(String::from_utf8(to_canonical_bytes(&v)).unwrap(), expected);
    }

    #[test]
    fn statement_shape() {
        let s = build_statement(
            vec![Subject::file("report.md", "bb"), Subject::file("evidence/a/log", "aa")],
            Some(Subject::commit("repo", "0123")),
            json!({"tool": {"name": "readyctl"}}),
        );
        assert_eq!(s["_type"], STATEMENT_TYPE);
        assert_eq!(s["predicateType"], PREDICATE_TYPE);
        assert_eq!(s["subject"][0]["name"], "evidence/a/log");
        assert_eq!(s["subject"][1]["digest"]["sha256"], "bb");
        assert_eq!(s["subject"][2]["digest"]["gitCommit"], "0123");
    }

    /// Whether git is missing (said on stderr: the test is then skipped).
    fn no_git() -> bool {
        let missing = Command::new("git").arg("--version").output().is_err();
        if missing {
            eprintln!("SKIP: git is not installed");
        }
        missing
    }

    fn run(dir: &Path, args: &[&str]) {
        let st = Command::new("git").arg("-C").arg(dir).args(args).output().unwrap();
        assert!(st.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&st.stderr));
    }

    #[test]
    fn git_info_reads_a_real_repository() {
        if no_git() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(git_info(dir.path()), None);
        let d = dir.path();
        run(d, &["init", "-q", "-b", "main"]);
        run(d, &["config", "user.email", "t@example.com"]);
        run(d, &["config", "user.name", "t"]);
        run(d, &["remote", "add", "origin", "https://bob:hunter22@example.com/org/repo.git"]);
        std::fs::write(d.join("a.txt"), "one\n").unwrap();
        run(d, &["add", "a.txt"]);
        run(d, &["commit", "-q", "-m", "init"]);
        std::fs::create_dir(d.join(".readyctl")).unwrap();
        std::fs::write(d.join(".readyctl/run.log"), "ignored\n").unwrap();
        let clean = git_info(d).unwrap();
        assert_eq!(clean.branch.as_deref(), Some("main"));
        assert_eq!(clean.commit.as_ref().map(String::len), Some(40));
        assert_eq!(clean.remote.as_deref(), Some("https://example.com/org/repo.git"));
        assert!(!clean.dirty, "{clean:?}");
        assert_eq!(clean.uncommitted_sha256, None);

        std::fs::write(d.join("a.txt"), "two\n").unwrap();
        let edited = git_info(d).unwrap();
        assert!(edited.dirty);
        std::fs::write(d.join("new.txt"), "x").unwrap();
        let untracked = git_info(d).unwrap();
        assert!(untracked.uncommitted_sha256.is_some());
        assert_ne!(edited.uncommitted_sha256, untracked.uncommitted_sha256);

        // From a subdirectory: the `.git` above it is found; what is uncommitted is what is
        // under the subdirectory (the pathspec is `.`).
        std::fs::create_dir(d.join("sub")).unwrap();
        let sub = git_info(&d.join("sub")).unwrap();
        assert_eq!(
            (&sub.commit, &sub.branch, sub.dirty),
            (&untracked.commit, &untracked.branch, false)
        );
        std::fs::write(d.join("sub/b.txt"), "x").unwrap();
        assert!(git_info(&d.join("sub")).unwrap().dirty);
    }

    #[test]
    fn a_repository_without_commits_counts_its_staged_files() {
        if no_git() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        run(d, &["init", "-q", "-b", "main"]);
        let empty = git_info(d).unwrap();
        assert_eq!(
            (empty.commit, empty.branch.as_deref(), empty.dirty),
            (None, Some("main"), false)
        );
        std::fs::write(d.join("a.txt"), "one\n").unwrap();
        run(d, &["add", "a.txt"]);
        let staged = git_info(d).unwrap();
        assert!(staged.dirty && staged.uncommitted_sha256.is_some(), "{staged:?}");
    }

    #[test]
    fn git_is_not_started_where_no_repository_can_be() {
        let dir = tempfile::tempdir().unwrap();
        // A temporary directory has no `.git` above it on this machine (and GIT_DIR is unset
        // in tests); a `.git` file (a worktree's or a submodule's link) counts like a directory.
        if std::env::var_os("GIT_DIR").is_none()
            && !dir.path().ancestors().any(|d| d.join(".git").exists())
        {
            assert!(!may_be_in_repository(dir.path()));
        }
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join(".git"), "gitdir: /elsewhere\n").unwrap();
        assert!(may_be_in_repository(&dir.path().join("sub")));
    }

    /// A git directory is found by git itself when it is the working directory (a bare
    /// repository, or one with `core.worktree`): git_info reads it as before.
    #[test]
    fn a_git_directory_with_a_work_tree_is_read_like_before() {
        if no_git() {
            return;
        }
        // The work tree is the temporary directory; its git directory `cw.git` lies inside it
        // (no `.git` anywhere).
        let dir = tempfile::tempdir().unwrap();
        let gd = dir.path().join("cw.git");
        run(dir.path(), &["init", "-q", "--bare", "-b", "main", gd.to_str().unwrap()]);
        run(&gd, &["config", "core.bare", "false"]);
        run(&gd, &["config", "core.worktree", dir.path().to_str().unwrap()]);
        assert!(may_be_in_repository(&gd));
        let info = git_info(&gd).expect("git finds the repository from its git directory");
        assert_eq!((info.commit, info.branch.as_deref()), (None, Some("main")));
    }
}
