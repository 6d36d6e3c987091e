//! Running a framework's own migration commands against the scratch database, with a
//! deadline, output captured (bounded, password redacted) for evidence; what a failed command
//! says about its environment; what the commands left in the repository. (Alembic's
//! configuration copy and env.py reading live in `framework::alembic`.)

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::time::Instant;

use crate::run::process::{self, ProcSpec};

use serde::Serialize;

/// How one command went.
#[derive(Debug, Clone, Serialize)]
pub struct ToolRun {
    pub command: String,
    /// Exit code; `None` when killed (timeout, cancel) or ended by a signal.
    pub exit_code: Option<i32>,
    pub ms: f64,
    /// Last part of stdout then stderr, redacted.
    #[serde(skip)]
    pub output: String,
}

const KEEP: usize = 64 * 1024;

/// Runs `command` through `sh -c` in `cwd` with extra `env`, under the runner's process
/// control (own process group, killed with its descendants at `deadline` or on cancel, output
/// capped). `redact` is applied to the captured output.
pub fn run_shell(
    command: &str,
    cwd: &Path,
    env: &[(&str, &str)],
    deadline: Instant,
    cancel: &std::sync::atomic::AtomicBool,
    redact: &dyn Fn(&str) -> String,
) -> Result<ToolRun, String> {
    let tmp = std::env::temp_dir().join(format!(
        "readyctl-tool-{}-{}",
        std::process::id(),
        RUN_COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    let mut spec = ProcSpec::shell(command, cwd);
    spec.env = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let (out_path, err_path) = (tmp.join("stdout.log"), tmp.join("stderr.log"));
    let ended = process::run(&spec, deadline, cancel, &out_path, &err_path, None);
    let mut output = String::new();
    for path in [&out_path, &err_path] {
        output.push_str(&tail_of(path));
    }
    let _ = std::fs::remove_dir_all(&tmp);
    let ended = ended.map_err(|e| format!("cannot run `{command}`: {e}"))?;
    let mut output = redact(&output);
    if ended.timed_out || ended.cancelled {
        output.push_str("\n[readyctl: killed at the check's deadline]\n");
    }
    Ok(ToolRun {
        command: command.to_string(),
        exit_code: if ended.timed_out || ended.cancelled { None } else { ended.exit_code },
        ms: ended.duration.as_secs_f64() * 1000.0,
        output,
    })
}

/// The last `KEEP` bytes of a file.
fn tail_of(path: &Path) -> String {
    let Ok(mut f) = std::fs::File::open(path) else { return String::new() };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(KEEP as u64)));
    let mut bytes = Vec::new();
    let _ = f.read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Distinguishes concurrent runs inside one process (checks run in parallel).
static RUN_COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The decisive line of a command that could not run the migrations for lack of environment
/// (the project's code or a dependency cannot be imported or loaded, a binary is missing):
/// such a failure says nothing about the migrations, so it is an `error`, not a `fail`.
pub fn environment_problem(output: &str) -> Option<String> {
    const SIGNATURES: &[&str] = &[
        "ModuleNotFoundError",
        "ImportError",
        "No module named",
        "cannot load such file",
        "LoadError",
        "Bundler::GemNotFound",
        "Could not find gem",
        "Cannot find module",
        "ERR_MODULE_NOT_FOUND",
        "command not found",
        ": not found",
        "could not be found in any of the sources",
        "did you run \"prisma generate\"",
    ];
    // A migration that started and then failed is a migration failure, whatever else the
    // output mentions: Ruby prints a `Caused by:` chain that can end in a LoadError Rails
    // rescued long before (`cannot load such file -- rails/commands` under an
    // IrreversibleMigration), and a migration may import what it likes.
    const MIGRATION_RAN: &[&str] = &[
        "this and all later migrations canceled",
        "IrreversibleMigration",
        ": migrating ==",
        ": reverting ==",
        "Running upgrade ",
        "Running downgrade ",
        "  Applying ",
        "  Unapplying ",
    ];
    if MIGRATION_RAN.iter().any(|m| output.contains(m)) {
        return None;
    }
    output
        .lines()
        .take_while(|l| !l.starts_with("Caused by:"))
        .map(str::trim)
        .find(|l| SIGNATURES.iter().any(|s| l.contains(s)))
        .map(|l| l.chars().take(300).collect())
}

/// Directories a concurrent check or the interpreter itself writes into (bytecode caches, the
/// run directory), left out of [`tree_snapshot`].
const SNAPSHOT_SKIP: &[&str] = &[
    ".git",
    ".readyctl",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    "node_modules",
    "target",
    "tmp",
    "log",
];

/// The files under `repo`, to find what a framework command created inside the repository
/// (a SQLite database the project's configuration names).
pub fn tree_snapshot(repo: &Path) -> std::collections::BTreeSet<String> {
    walkdir::WalkDir::new(repo)
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0
                || !(e.file_type().is_dir()
                    && SNAPSHOT_SKIP.contains(&e.file_name().to_string_lossy().as_ref()))
        })
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let rel = crate::text::under_repo(e.path(), repo)?;
            (!rel.ends_with(".pyc") && !rel.contains(".coverage")).then_some(rel)
        })
        .collect()
}

/// Files in `after` and not in `before`, as an error naming them, or `None`.
pub fn created_in_repo(
    before: &std::collections::BTreeSet<String>,
    after: &std::collections::BTreeSet<String>,
) -> Option<String> {
    let new: Vec<&str> = after.difference(before).map(String::as_str).collect();
    if new.is_empty() {
        return None;
    }
    let shown = new.iter().take(5).copied().collect::<Vec<_>>().join(", ");
    Some(format!(
        "the framework's commands created {} file(s) inside the repository ({shown}{}): its configuration points at a database of its own, not readyctl's scratch database; remove them and make the configuration honour `DATABASE_URL`",
        new.len(),
        if new.len() > 5 { ", …" } else { "" }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::time::Duration;

    #[test]
    fn captures_exit_code_output_and_redacts() {
        let cancel = AtomicBool::new(false);
        let later = Instant::now() + Duration::from_secs(10);
        let r = run_shell(
            "echo url=$DATABASE_URL; echo oops >&2; exit 3",
            Path::new("/"),
            &[("DATABASE_URL", "pg://u:pw@h/db")],
            later,
            &cancel,
            &|s| s.replace("pw", "***"),
        )
        .unwrap();
        assert_eq!(r.exit_code, Some(3));
        assert!(
            r.output.contains("url=pg://u:***@h/db") && r.output.contains("oops"),
            "{}",
            r.output
        );
    }

    #[test]
    fn kills_at_deadline() {
        let cancel = AtomicBool::new(false);
        let r = run_shell(
            "sleep 5",
            Path::new("/"),
            &[],
            Instant::now() + Duration::from_millis(200),
            &cancel,
            &|s| s.to_string(),
        )
        .unwrap();
        assert_eq!(r.exit_code, None);
        assert!(r.ms < 3000.0);
    }

    #[test]
    fn environment_problems_are_named_by_their_line() {
        let out = "INFO  [alembic.runtime.migration] Context impl SQLiteImpl.\nTraceback (most recent call last):\n  File \"env.py\", line 9, in <module>\n    from app.core.config import settings\nModuleNotFoundError: No module named 'app'\n";
        assert_eq!(
            environment_problem(out).as_deref(),
            Some("ModuleNotFoundError: No module named 'app'")
        );
        assert_eq!(environment_problem("sqlite3.OperationalError: near \"x\": syntax error"), None);
        // Real Rails 6.1 output of an irreversible migration: its `Caused by:` chain ends in a
        // LoadError Rails rescued at boot. The migration failed; the environment did not.
        let rails = "== 20240303090000 BackfillUserNames: reverting ========\nrails aborted!\nStandardError: An error has occurred, this and all later migrations canceled:\n\nActiveRecord::IrreversibleMigration\n\nCaused by:\nLoadError: cannot load such file -- rails/commands\n";
        assert_eq!(environment_problem(rails), None);
        // A LoadError before any migration ran is the environment.
        let boot =
            "rails aborted!\nLoadError: cannot load such file -- pg\n\nCaused by:\nLoadError: x\n";
        assert_eq!(
            environment_problem(boot).as_deref(),
            Some("LoadError: cannot load such file -- pg")
        );
    }
}
