//! `git`: repository state claims — a clean worktree (readyctl's own `.readyctl/` ignored), an
//! allowed branch, a tagged HEAD, no oversized tracked file, a committed lockfile for the
//! detected ecosystem. Not a git repository, or git missing, is `error`, never a pass.

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Artifact, ProbeContext, ProbeIssue};
use crate::outcome::{Location, Measurement, ProbeOutcome};

/// Claims about the git repository (at least one).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// No uncommitted or untracked changes (readyctl's `.readyctl/` is ignored).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub clean: bool,
    /// The checked-out branch matches one of these globs, e.g. `[main, "release/*"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub branch: Vec<String>,
    /// HEAD carries at least one tag.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tagged: bool,
    /// No file committed at HEAD is larger than this many MB (10^6 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_file_mb: Option<f64>,
    /// The lockfile of the detected ecosystem (Cargo.lock, package-lock.json/yarn.lock/pnpm-lock.yaml, poetry.lock/uv.lock/Pipfile.lock, go.sum, Gemfile.lock) is committed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lockfile: bool,
    /// Every dependency the manifests at the root declare is pinned: by the ecosystem's
    /// lockfile, or entry by entry by an exact version or hash (requirements*.txt with their
    /// `-r` includes, Pipfile, pyproject.toml, package.json, Gemfile, go.mod, Cargo.toml).
    /// Fails naming what is not; reads the work tree, so it needs no git repository.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pinned: bool,
}

pub fn validate(spec: &Spec) -> Vec<ProbeIssue> {
    let mut issues = Vec::new();
    if !spec.clean
        && spec.branch.is_empty()
        && !spec.tagged
        && spec.max_file_mb.is_none()
        && !spec.lockfile
        && !spec.pinned
    {
        issues.push(
            ProbeIssue::new("", "no claim to check")
                .hint("set at least one of clean, branch, tagged, max_file_mb, lockfile, pinned"),
        );
    }
    for (i, g) in spec.branch.iter().enumerate() {
        if let Err(e) = globset::Glob::new(g) {
            issues
                .push(ProbeIssue::new(format!("branch[{i}]"), format!("invalid glob `{g}`: {e}")));
        }
    }
    if let Some(mb) = spec.max_file_mb
        && (mb.is_nan() || mb <= 0.0)
    {
        issues.push(ProbeIssue::new("max_file_mb", "must be greater than 0"));
    }
    issues
}

fn git(repo: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove(crate::evidence::SIGNING_KEY_ENV)
        .output()
        .map_err(|e| format!("cannot run git: {e} (is git installed?)"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "git {} failed: {}",
            args.join(" "),
            err.lines().next().unwrap_or("").trim()
        ));
    }
    Ok(out.stdout)
}

/// Lockfiles by ecosystem: (manifest, accepted lockfiles).
pub const LOCKFILES: &[(&str, &[&str])] = &[
    ("Cargo.toml", &["Cargo.lock"]),
    (
        "package.json",
        &[
            "package-lock.json",
            "npm-shrinkwrap.json",
            "yarn.lock",
            "pnpm-lock.yaml",
            "bun.lockb",
            "bun.lock",
        ],
    ),
    (
        "pyproject.toml",
        &[
            "poetry.lock",
            "uv.lock",
            "Pipfile.lock",
            "pdm.lock",
            "requirements.txt",
            "requirements.lock",
        ],
    ),
    ("Pipfile", &["Pipfile.lock"]),
    ("go.mod", &["go.sum"]),
    ("Gemfile", &["Gemfile.lock"]),
    ("composer.json", &["composer.lock"]),
];

/// A git spec compiled: the branch globs built once, at load.
#[derive(Debug, Clone)]
pub struct Compiled {
    spec: Spec,
    branches: globset::GlobSet,
}

/// Validates `spec` and builds its branch globs.
pub fn compile(spec: Spec) -> Result<Compiled, Vec<ProbeIssue>> {
    let issues = validate(&spec);
    if !issues.is_empty() {
        return Err(issues);
    }
    let mut set = globset::GlobSetBuilder::new();
    for (i, g) in spec.branch.iter().enumerate() {
        set.add(globset::Glob::new(g).map_err(|e| {
            vec![ProbeIssue::new(format!("branch[{i}]"), format!("invalid glob `{g}`: {e}"))]
        })?);
    }
    let branches = set.build().map_err(|e| vec![ProbeIssue::new("branch", e.to_string())])?;
    Ok(Compiled { spec, branches })
}

super::compiled_kind!("git");

fn run(compiled: &Compiled, ctx: &ProbeContext) -> ProbeOutcome {
    let spec = &compiled.spec;
    let repo = ctx.repo;
    let only_pinned = spec.pinned
        && !spec.clean
        && spec.branch.is_empty()
        && !spec.tagged
        && spec.max_file_mb.is_none()
        && !spec.lockfile;
    if only_pinned {
        return pinned(repo, Vec::new(), Vec::new(), serde_json::Map::new());
    }
    match git(repo, &["rev-parse", "--is-inside-work-tree"]) {
        Ok(o) if String::from_utf8_lossy(&o).trim() == "true" => {}
        Ok(_) => {
            return ProbeOutcome::error(format!(
                "{} is not inside a git work tree",
                repo.display()
            ));
        }
        Err(e) => {
            return ProbeOutcome::error(format!("{} is not a git repository: {e}", repo.display()));
        }
    }
    let mut failures: Vec<String> = Vec::new();
    let mut passes: Vec<String> = Vec::new();
    let mut locations = Vec::new();
    let mut measurements = Vec::new();
    let mut summary = serde_json::Map::new();

    if spec.clean {
        let mut args: Vec<String> =
            ["status", "--porcelain=v1", "-z", "--untracked-files=normal", "--", ":/"]
                .map(String::from)
                .to_vec();
        args.extend(own_outputs(repo, ctx).into_iter().map(|p| format!(":(exclude,top){p}")));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = match git(repo, &args) {
            Ok(o) => o,
            Err(e) => return ProbeOutcome::error(e),
        };
        let dirty = parse_status(&out);
        summary.insert("dirty".into(), serde_json::json!(dirty));
        measurements.push(
            Measurement::new("dirty_files", dirty.len() as f64, "count").with_threshold("== 0"),
        );
        if dirty.is_empty() {
            passes.push("worktree clean".into());
        } else {
            failures.push(format!(
                "{} uncommitted change(s): {}",
                dirty.len(),
                crate::text::first_few(&dirty, 3, crate::text::More::Plus)
            ));
        }
    }
    if !spec.branch.is_empty() {
        let branch = git(repo, &["symbolic-ref", "--short", "-q", "HEAD"])
            .map(|o| String::from_utf8_lossy(&o).trim().to_string())
            .unwrap_or_default();
        summary.insert("branch".into(), serde_json::json!(branch));
        let set = &compiled.branches;
        if branch.is_empty() {
            failures.push(format!(
                "HEAD is detached; expected a branch matching {}",
                spec.branch.join(", ")
            ));
        } else if set.is_match(&branch) {
            passes.push(format!("on branch {branch}"));
        } else {
            failures.push(format!("on branch `{branch}`, not one of {}", spec.branch.join(", ")));
        }
    }
    if spec.tagged {
        let tags = match git(repo, &["tag", "--points-at", "HEAD"]) {
            Ok(o) => String::from_utf8_lossy(&o).lines().map(str::to_string).collect::<Vec<_>>(),
            Err(e) => return ProbeOutcome::error(e),
        };
        summary.insert("tags".into(), serde_json::json!(tags));
        if tags.is_empty() {
            failures.push("HEAD has no tag; tag the release (git tag vX.Y.Z)".into());
        } else {
            passes.push(format!("HEAD tagged {}", tags.join(", ")));
        }
    }
    let needs_tree = spec.max_file_mb.is_some() || spec.lockfile;
    let tree = if needs_tree {
        match git(repo, &["ls-tree", "-r", "-l", "-z", "--full-tree", "HEAD"]) {
            Ok(o) => parse_ls_tree(&o),
            Err(e) => {
                return ProbeOutcome::error(format!(
                    "cannot list committed files (no commit yet?): {e}"
                ));
            }
        }
    } else {
        Vec::new()
    };
    // Blobs `ls-tree -l` cannot size (absent from a partial, promisor or damaged clone: it
    // prints `-` or `BAD`) are sized from the work tree; those still unknown are an error,
    // never silently dropped.
    let (tree, unsized_blobs): (Vec<(String, u64)>, Vec<String>) = {
        let mut sized = Vec::new();
        let mut unknown = Vec::new();
        for (path, size) in tree {
            match size.or_else(|| {
                std::fs::symlink_metadata(repo.join(&path))
                    .ok()
                    .filter(|m| m.is_file())
                    .map(|m| m.len())
            }) {
                Some(n) => sized.push((path, n)),
                None => unknown.push(path),
            }
        }
        (sized, unknown)
    };
    if let Some(mb) = spec.max_file_mb {
        let limit = (mb * 1_000_000.0) as u64;
        let mut big: Vec<&(String, u64)> = tree.iter().filter(|(_, size)| *size > limit).collect();
        big.sort_by_key(|b| std::cmp::Reverse(b.1));
        let largest = tree.iter().map(|(_, s)| *s).max().unwrap_or(0);
        measurements.push(
            Measurement::new("largest_file", largest as f64 / 1e6, "MB")
                .with_threshold(format!("<= {mb}")),
        );
        for (path, size) in big.iter().take(50) {
            locations.push(Location {
                path: path.clone(),
                line: None,
                column: None,
                message: Some(format!("{:.1} MB committed (limit {mb} MB)", *size as f64 / 1e6)),
                rule: Some("git-large-file".into()),
            });
        }
        if !unsized_blobs.is_empty() {
            summary.insert("unsized".into(), serde_json::json!(unsized_blobs));
        }
        if big.is_empty() && !unsized_blobs.is_empty() {
            let mut o = ProbeOutcome::error(format!(
                "{} committed file(s) could not be sized (blob absent from this clone, not in the work tree): {}; {} other files are under {mb} MB",
                unsized_blobs.len(),
                crate::text::first_few(&unsized_blobs, 3, crate::text::More::Plus),
                tree.len()
            ));
            o.measurements = measurements;
            o.artifacts.push(Artifact::json("git.json", &serde_json::Value::Object(summary)));
            return o;
        } else if big.is_empty() {
            passes.push(format!("no committed file over {mb} MB ({} files sized)", tree.len()));
        } else {
            failures.push(format!(
                "{} committed file(s) over {mb} MB, largest {} ({:.1} MB); use Git LFS or remove them",
                big.len(),
                big[0].0,
                big[0].1 as f64 / 1e6
            ));
        }
    }
    if spec.lockfile {
        let tracked: HashSet<&str> = tree
            .iter()
            .map(|(p, _)| p.as_str())
            .chain(unsized_blobs.iter().map(String::as_str))
            .collect();
        let ecosystems: Vec<&(&str, &[&str])> = LOCKFILES
            .iter()
            .filter(|(m, _)| tracked.contains(m) || repo.join(m).is_file())
            .collect();
        if ecosystems.is_empty() {
            return ProbeOutcome::error(
                "lockfile: no package manifest at the repository root (Cargo.toml, package.json, pyproject.toml, go.mod, …)",
            );
        }
        for (manifest, locks) in ecosystems {
            match locks.iter().find(|l| tracked.contains(*l)) {
                Some(l) => passes.push(format!("{l} committed")),
                None => failures.push(format!(
                    "{manifest} without a committed lockfile ({}); generate and commit it",
                    locks.join(" or ")
                )),
            }
        }
    }
    if spec.pinned {
        // `pinned` reports through the same lists; it returns the combined outcome.
        let mut out = pinned(repo, locations, measurements, summary);
        match (out.status, failures.is_empty()) {
            (crate::outcome::Status::Error, _) => {}
            (_, false) => {
                let pinned_reason = out.reason.clone();
                out.status = crate::outcome::Status::Fail;
                out.reason = if pinned_reason.starts_with("unpinned") {
                    format!("{}; {pinned_reason}", failures.join("; "))
                } else {
                    failures.join("; ")
                };
            }
            (_, true) if out.status == crate::outcome::Status::Pass && !passes.is_empty() => {
                out.reason = format!("{}; {}", passes.join("; "), out.reason);
            }
            _ => {}
        }
        return out;
    }
    let mut out = if failures.is_empty() {
        ProbeOutcome::pass(passes.join("; "))
    } else {
        ProbeOutcome::fail(failures.join("; "))
    };
    out.measurements = measurements;
    out.locations = locations;
    out.artifacts.push(Artifact::json("git.json", &serde_json::Value::Object(summary)));
    out
}

/// `pinned`: every root manifest pinned, each unpinned entry named (first 5 per manifest in
/// the reason, all in the locations and `git.json`).
fn pinned(
    repo: &Path,
    mut locations: Vec<Location>,
    mut measurements: Vec<Measurement>,
    mut summary: serde_json::Map<String, serde_json::Value>,
) -> ProbeOutcome {
    let reports = match super::pinning::examine(repo) {
        Ok(r) => r,
        Err(e) => return ProbeOutcome::error(format!("pinned: {e}")),
    };
    if reports.is_empty() {
        return ProbeOutcome::error(
            "pinned: no dependency manifest at the repository root (requirements*.txt, Pipfile, pyproject.toml, package.json, Gemfile, go.mod, Cargo.toml)",
        );
    }
    let total_unpinned: usize = reports.iter().map(|r| r.unpinned.len()).sum();
    measurements.push(
        Measurement::new("unpinned_dependencies", total_unpinned as f64, "count")
            .with_threshold("== 0"),
    );
    summary.insert(
        "pinned".into(),
        serde_json::json!(reports
            .iter()
            .map(|r| serde_json::json!({"file": r.file, "pinned_by": r.pinned_by, "unpinned": r.unpinned}))
            .collect::<Vec<_>>()),
    );
    let mut failures = Vec::new();
    let mut passes = Vec::new();
    for r in &reports {
        if r.unpinned.is_empty() {
            passes.push(format!("{}: {}", r.file, r.pinned_by.as_deref().unwrap_or("pinned")));
            continue;
        }
        failures.push(format!(
            "{}: {}",
            r.file,
            crate::text::first_few(&r.unpinned, 5, crate::text::More::Plus)
        ));
        for u in &r.unpinned {
            locations.push(Location {
                path: r.file.clone(),
                line: None,
                column: None,
                message: Some(format!("not pinned: {u}")),
                rule: Some("unpinned-dependency".into()),
            });
        }
    }
    let mut out = if failures.is_empty() {
        ProbeOutcome::pass(passes.join("; "))
    } else {
        ProbeOutcome::fail(format!(
            "unpinned ({total_unpinned}, no lockfile pins them) — {}",
            failures.join("; ")
        ))
    };
    out.measurements = measurements;
    out.locations = locations;
    out.artifacts.push(Artifact::json("git.json", &serde_json::Value::Object(summary)));
    out
}

/// readyctl's own outputs inside the work tree, relative to its top level: the checked
/// directory's `.readyctl/` and this run's directory (an `--out` inside the repository; the
/// run directory is the evidence directory's grandparent, `RUN/evidence/<check>/`).
fn own_outputs(repo: &Path, ctx: &ProbeContext) -> Vec<String> {
    let Some(top) = git(repo, &["rev-parse", "--show-toplevel"])
        .ok()
        .and_then(|o| String::from_utf8(o).ok())
        .and_then(|t| Path::new(t.trim_end_matches(['\n', '\r'])).canonicalize().ok())
    else {
        return Vec::new();
    };
    let run_dir = ctx.evidence_dir.parent().and_then(Path::parent);
    [Some(repo.join(".readyctl")), run_dir.map(Path::to_path_buf)]
        .into_iter()
        .flatten()
        .filter_map(|p| {
            // The run directory may not exist yet in unit tests; `.readyctl` may not at all.
            let abs = p.canonicalize().unwrap_or(p);
            let rel = abs.strip_prefix(&top).ok()?;
            (!rel.as_os_str().is_empty()).then(|| rel.to_string_lossy().replace('\\', "/"))
        })
        .collect()
}

/// Paths from `git status --porcelain=v1 -z`, minus readyctl's own directory.
fn parse_status(out: &[u8]) -> Vec<String> {
    let mut paths = Vec::new();
    let mut fields = out.split(|&b| b == 0).filter(|f| !f.is_empty());
    while let Some(f) = fields.next() {
        if f.len() < 4 {
            continue;
        }
        let (xy, path) = (&f[..2], String::from_utf8_lossy(&f[3..]).into_owned());
        // Renames and copies carry the source path as the next field.
        if xy[0] == b'R' || xy[0] == b'C' {
            fields.next();
        }
        if path == ".readyctl" || path.starts_with(".readyctl/") {
            continue;
        }
        paths.push(path);
    }
    paths
}

/// (path, size) of blobs from `git ls-tree -r -l -z`; the size is `None` when git could not
/// read it (`-` or `BAD` for a blob absent from this clone).
fn parse_ls_tree(out: &[u8]) -> Vec<(String, Option<u64>)> {
    out.split(|&b| b == 0)
        .filter_map(|rec| {
            let rec = String::from_utf8_lossy(rec);
            let (meta, path) = rec.split_once('\t')?;
            let mut parts = meta.split_whitespace();
            let (_mode, kind, _sha, size) =
                (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
            if kind != "blob" {
                return None;
            }
            Some((path.to_string(), size.parse().ok()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    fn sh(dir: &Path, cmd: &str) {
        let ok = Command::new("sh").arg("-c").arg(cmd).current_dir(dir).status().unwrap().success();
        assert!(ok, "{cmd}");
    }

    fn repo() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        sh(
            d.path(),
            "git init -q -b main && git config user.email t@t && git config user.name t && \
             printf '[package]\\nname=\"x\"\\n' > Cargo.toml && echo hi > README.md && \
             git add -A && git commit -qm init",
        );
        d
    }

    fn check(spec: &Spec, dir: &Path) -> ProbeOutcome {
        let cancel = AtomicBool::new(false);
        let ctx = crate::probe::context::testing::context(
            dir,
            "git",
            &cancel,
            std::time::Duration::from_secs(30),
        );
        run(&compile(spec.clone()).unwrap(), &ctx)
    }

    #[test]
    fn clean_ignores_readyctl_dir_and_fails_on_changes() {
        let d = repo();
        let spec = Spec { clean: true, ..Spec::default() };
        std::fs::create_dir_all(d.path().join(".readyctl/runs")).unwrap();
        std::fs::write(d.path().join(".readyctl/runs/x"), "x").unwrap();
        assert_eq!(check(&spec, d.path()).status, crate::outcome::Status::Pass);
        // This run's directory, an `--out` inside the repository, is not a change either.
        let cancel = AtomicBool::new(false);
        let evidence = d.path().join("out/run1/evidence/git");
        std::fs::create_dir_all(&evidence).unwrap();
        std::fs::write(d.path().join("out/run1/manifest.json"), "{}").unwrap();
        let ctx = ProbeContext {
            repo: d.path(),
            check_id: "git",
            evidence_dir: &evidence,
            run_started: std::time::SystemTime::now(),
            deadline: std::time::Instant::now() + std::time::Duration::from_secs(30),
            cancel: &cancel,
            output_filter: None,
        };
        let o = run(&compile(spec.clone()).unwrap(), &ctx);
        assert_eq!(o.status, crate::outcome::Status::Pass, "{}", o.reason);
        // … but anything else in the same directory is.
        std::fs::write(d.path().join("out/notes.txt"), "x").unwrap();
        let o = run(&compile(spec.clone()).unwrap(), &ctx);
        assert!(o.reason.contains("out/"), "{}", o.reason);
        std::fs::remove_file(d.path().join("out/notes.txt")).unwrap();
        std::fs::write(d.path().join("README.md"), "changed").unwrap();
        let o = check(&spec, d.path());
        assert_eq!(o.status, crate::outcome::Status::Fail, "{}", o.reason);
        assert!(o.reason.contains("README.md"), "{}", o.reason);
    }

    #[test]
    fn branch_tag_lockfile_and_large_files() {
        let d = repo();
        let o = check(&Spec { branch: vec!["release/*".into()], ..Spec::default() }, d.path());
        assert_eq!(o.status, crate::outcome::Status::Fail);
        assert!(o.reason.contains("`main`"), "{}", o.reason);
        let o = check(&Spec { branch: vec!["main".into()], ..Spec::default() }, d.path());
        assert_eq!(o.status, crate::outcome::Status::Pass, "{}", o.reason);
        assert_eq!(
            check(&Spec { tagged: true, ..Spec::default() }, d.path()).status,
            crate::outcome::Status::Fail
        );
        sh(d.path(), "git tag v1.0.0");
        assert_eq!(
            check(&Spec { tagged: true, ..Spec::default() }, d.path()).status,
            crate::outcome::Status::Pass
        );
        let o = check(&Spec { lockfile: true, ..Spec::default() }, d.path());
        assert_eq!(o.status, crate::outcome::Status::Fail);
        assert!(o.reason.contains("Cargo.lock"), "{}", o.reason);
        sh(
            d.path(),
            "head -c 2100000 /dev/zero > big.bin && touch Cargo.lock && git add -A && git commit -qm big",
        );
        assert_eq!(
            check(&Spec { lockfile: true, ..Spec::default() }, d.path()).status,
            crate::outcome::Status::Pass
        );
        let o = check(&Spec { max_file_mb: Some(2.0), ..Spec::default() }, d.path());
        assert_eq!(o.status, crate::outcome::Status::Fail);
        assert_eq!(o.locations[0].path, "big.bin");
        assert_eq!(
            check(&Spec { max_file_mb: Some(3.0), ..Spec::default() }, d.path()).status,
            crate::outcome::Status::Pass
        );
    }

    /// D13: a blob absent from the clone (`ls-tree -l` cannot size it) is sized from the
    /// work tree, and when it is not there either the check is `error` naming it — never
    /// "no committed file over 10 MB" without having looked.
    #[test]
    fn blobs_that_cannot_be_sized_are_not_skipped() {
        let d = repo();
        sh(
            d.path(),
            "head -c 3000000 /dev/urandom > font.ttc && git add font.ttc && git commit -qm font && \
             obj=$(git rev-parse HEAD:font.ttc) && \
             rm -f .git/objects/$(echo $obj | cut -c1-2)/$(echo $obj | cut -c3-)",
        );
        // The work tree still has the file: sized from there, and it is too big.
        let o = check(&Spec { max_file_mb: Some(2.0), ..Spec::default() }, d.path());
        assert_eq!(o.status, crate::outcome::Status::Fail, "{}", o.reason);
        assert!(o.reason.contains("font.ttc"), "{}", o.reason);
        // Neither blob nor file: error, naming it.
        std::fs::remove_file(d.path().join("font.ttc")).unwrap();
        let o = check(&Spec { max_file_mb: Some(10.0), ..Spec::default() }, d.path());
        assert_eq!(o.status, crate::outcome::Status::Error, "{}", o.reason);
        assert!(o.reason.starts_with("1 committed file(s) could not be sized"), "{}", o.reason);
        assert!(o.reason.contains("font.ttc"), "{}", o.reason);
    }

    /// D12: `pinned` reads the manifests, needs no git repository, and names what is loose.
    #[test]
    fn pinned_names_unpinned_requirements() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("requirements.txt"), "django\nrequests>=2\nidna==3.7\n")
            .unwrap();
        let spec = Spec { pinned: true, ..Spec::default() };
        let o = check(&spec, d.path());
        assert_eq!(o.status, crate::outcome::Status::Fail, "{}", o.reason);
        assert!(
            o.reason.ends_with("requirements.txt: django (no version), requests>=2"),
            "{}",
            o.reason
        );
        assert_eq!(o.locations.len(), 2);
        std::fs::write(d.path().join("requirements.txt"), "django==5.0.6\nrequests==2.32.3\n")
            .unwrap();
        let o = check(&spec, d.path());
        assert_eq!(o.status, crate::outcome::Status::Pass, "{}", o.reason);
        assert_eq!(o.reason, "requirements.txt: 2 exact requirements");
        std::fs::remove_file(d.path().join("requirements.txt")).unwrap();
        assert_eq!(check(&spec, d.path()).status, crate::outcome::Status::Error);
    }

    #[test]
    fn not_a_repository_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        let o = check(&Spec { clean: true, ..Spec::default() }, d.path());
        assert_eq!(o.status, crate::outcome::Status::Error, "{}", o.reason);
        assert!(validate(&Spec::default()).len() == 1);
    }
}
