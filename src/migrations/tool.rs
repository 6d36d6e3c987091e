//! Running a framework's own migration commands (alembic) against the scratch database, with
//! a deadline, output captured (bounded, password redacted) for evidence.

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

/// SQLAlchemy spells the scheme `postgresql://` (it rejects `postgres://` since 1.4).
pub fn sqlalchemy_url(url: &str) -> String {
    match url.strip_prefix("postgres://") {
        Some(rest) => format!("postgresql://{rest}"),
        None => url.to_string(),
    }
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
    fn sqlalchemy_scheme() {
        assert_eq!(sqlalchemy_url("postgres://u@h/d"), "postgresql://u@h/d");
        assert_eq!(sqlalchemy_url("sqlite:///x.db"), "sqlite:///x.db");
    }
}
