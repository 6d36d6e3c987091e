//! Running a framework's own migration commands (alembic) against the scratch database, with
//! a deadline, output captured (bounded, password redacted) for evidence.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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

fn tail(bytes: &[u8]) -> String {
    let start = bytes.len().saturating_sub(KEEP);
    String::from_utf8_lossy(&bytes[start..]).into_owned()
}

/// Runs `command` through `sh -c` in `cwd` with extra `env`, killing it at `deadline`.
/// `redact` is applied to the captured output.
pub fn run_shell(
    command: &str,
    cwd: &Path,
    env: &[(&str, &str)],
    deadline: Instant,
    cancel: &std::sync::atomic::AtomicBool,
    redact: &dyn Fn(&str) -> String,
) -> Result<ToolRun, String> {
    let started = Instant::now();
    let tmp = std::env::temp_dir().join(format!(
        "readyctl-tool-{}-{}",
        std::process::id(),
        RUN_COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    let out_path = tmp.join("out.log");
    let out = std::fs::File::create(&out_path).map_err(|e| e.to_string())?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(command).current_dir(cwd).stdin(Stdio::null()).stdout(out).stderr(err);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().map_err(|e| format!("cannot run `{command}`: {e}"))?;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) => {}
            Err(e) => return Err(format!("waiting for `{command}`: {e}")),
        }
        if Instant::now() >= deadline || cancel.load(std::sync::atomic::Ordering::Relaxed) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut bytes = Vec::new();
    if let Ok(mut f) = std::fs::File::open(&out_path) {
        let _ = f.read_to_end(&mut bytes);
    }
    let _ = std::fs::remove_dir_all(&tmp);
    let mut output = redact(&tail(&bytes));
    if status.is_none() {
        output.push_str("\n[readyctl: killed at the check's deadline]\n");
    }
    Ok(ToolRun {
        command: command.to_string(),
        exit_code: status.and_then(|s| s.code()),
        ms: started.elapsed().as_secs_f64() * 1000.0,
        output,
    })
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
