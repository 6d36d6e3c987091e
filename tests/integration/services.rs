//! `services:` end to end: started before the checks that need them, awaited (http, tcp,
//! log), stopped after (no process left), failures reported on the dependent checks, external
//! services and `--no-services` only awaited, Ctrl-C stops them.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::support::*;

/// A marker unique to this test process and call: a `sleep` argument nothing else uses, so
/// `/proc` tells whether the service's process is still alive.
fn marker() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!("{}.{}{}", 7000 + N.fetch_add(1, Ordering::Relaxed), std::process::id(), 17)
}

fn check_json(repo: &std::path::Path, extra: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(extra);
    let o = readyctl(repo, &args);
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", text(&o.stdout), text(&o.stderr)));
    (o.status.code(), v, text(&o.stderr))
}

fn result<'a>(v: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    v["results"].as_array().unwrap().iter().find(|r| r["id"] == id).unwrap()
}

fn run_dir(repo: &std::path::Path) -> std::path::PathBuf {
    std::fs::canonicalize(repo.join(".readyctl/latest")).unwrap()
}

#[test]
fn log_ready_service_is_started_before_and_stopped_after_its_checks() {
    let m = marker();
    let yaml = format!(
        r#"version: 1
services:
  worker:
    run: "echo booting; sleep 0.3; echo listening now; exec sleep {m}"
    ready: {{ log: "^listening", timeout: 10s }}
checks:
  - id: uses.worker
    severity: high
    needs: [worker]
    command: {{ run: "pgrep -f 'sleep {m}' >/dev/null" }}
  - id: independent
    command: {{ run: "true" }}
"#
    );
    let repo = temp_repo(&[("readiness.yaml", &yaml)]);
    let (code, v, stderr) = check_json(repo.path(), &[]);
    assert_eq!(code, Some(0), "{stderr}\n{v:#}");
    // The check saw the service running.
    assert_eq!(result(&v, "uses.worker")["status"], "pass", "{v:#}");
    let s = &v["services"][0];
    assert_eq!(s["name"], "worker");
    assert_eq!(s["mode"], "started");
    assert!(s["ready_ms"].as_u64().unwrap() >= 250, "ready after the 0.3s sleep: {s}");
    assert_eq!(s["exit"], "stopped (SIGTERM)");
    assert!(s["stop_ms"].as_u64().unwrap() >= s["start_ms"].as_u64().unwrap());
    let log =
        std::fs::read_to_string(run_dir(repo.path()).join(s["log"].as_str().unwrap())).unwrap();
    assert_eq!(log, "booting\nlistening now\n");
    assert!(gone(&m), "the service process is gone");
    // Listed in SHA256SUMS like any evidence, and shown in the report.
    let sums = std::fs::read_to_string(run_dir(repo.path()).join("SHA256SUMS")).unwrap();
    assert!(sums.contains("evidence/services/worker/output.log"), "{sums}");
    let md = std::fs::read_to_string(run_dir(repo.path()).join("report.md")).unwrap();
    assert!(md.contains("## Services") && md.contains("| `worker` | started | after "), "{md}");
}

#[test]
fn http_and_tcp_readiness_against_a_real_server() {
    let (p1, p2) = (free_port(), free_port());
    let yaml = format!(
        r#"version: 1
services:
  web:
    run: [python3, -m, http.server, --bind, 127.0.0.1, "{p1}"]
    ready: {{ http: "http://127.0.0.1:{p1}/", status: 200, timeout: 10s }}
  raw:
    run: python3 -m http.server --bind 127.0.0.1 {p2}
    ready: {{ tcp: "127.0.0.1:{p2}", timeout: 10s }}
    needs: [web]
checks:
  - id: both
    severity: high
    needs: [raw]
    http: {{ url: "http://127.0.0.1:{p1}/readiness.yaml", expect: {{ status: 200, body: {{ contains: [services] }} }} }}
  - id: second
    needs: [raw]
    tcp: {{ address: "127.0.0.1:{p2}" }}
"#
    );
    let repo = temp_repo(&[("readiness.yaml", &yaml)]);
    let (code, v, stderr) = check_json(repo.path(), &[]);
    assert_eq!(code, Some(0), "{stderr}\n{v:#}");
    let names: Vec<&str> =
        v["services"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["web", "raw"], "dependency first");
    for s in v["services"].as_array().unwrap() {
        assert_eq!(s["exit"], "stopped (SIGTERM)", "{s}");
    }
    // Both ports are free again: the servers are gone.
    assert!(
        TcpListener::bind(("127.0.0.1", p1)).is_ok()
            && TcpListener::bind(("127.0.0.1", p2)).is_ok()
    );
}

#[test]
fn never_ready_fails_dependents_with_the_log_tail() {
    let m = marker();
    let port = free_port();
    let yaml = format!(
        r#"version: 1
services:
  api:
    run: "echo starting api; echo 'error: cannot open config.toml' >&2; exec sleep {m}"
    ready: {{ tcp: "127.0.0.1:{port}", timeout: 1s }}
checks:
  - id: a
    severity: high
    needs: [api]
    command: {{ run: "true" }}
  - id: b
    needs: [api]
    command: {{ run: "true" }}
  - id: unrelated
    command: {{ run: "true" }}
"#
    );
    let repo = temp_repo(&[("readiness.yaml", &yaml)]);
    let started = Instant::now();
    let (code, v, _) = check_json(repo.path(), &[]);
    assert_eq!(code, Some(1), "{v:#}");
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
    for id in ["a", "b"] {
        let r = result(&v, id);
        assert_eq!(r["status"], "fail");
        let reason = r["reason"].as_str().unwrap();
        assert!(reason.starts_with("service `api` was not ready after 1s"), "{reason}");
        assert!(reason.contains(&format!("127.0.0.1:{port}")), "{reason}");
        assert!(
            reason.contains("last output: starting api ⏎ error: cannot open config.toml"),
            "{reason}"
        );
    }
    assert_eq!(result(&v, "unrelated")["status"], "pass");
    assert!(v["services"][0].get("ready_ms").is_none());
    assert!(gone(&m), "a service that never became ready is stopped");
}

#[test]
fn early_exit_fails_dependents() {
    let repo = temp_repo(&[(
        "readiness.yaml",
        r#"version: 1
services:
  api:
    run: "echo 'fatal: DATABASE_URL is not set' >&2; exit 3"
    ready: { log: "never printed", timeout: 20s }
checks:
  - id: a
    needs: [api]
    command: { run: "true" }
"#,
    )]);
    let started = Instant::now();
    let (_, v, _) = check_json(repo.path(), &[]);
    assert!(started.elapsed() < Duration::from_secs(10), "does not wait for the timeout");
    let reason = result(&v, "a")["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("service `api` exited before it was ready (exit code 3"),
        "{reason}"
    );
    assert!(reason.ends_with("last output: fatal: DATABASE_URL is not set"), "{reason}");
    assert_eq!(v["services"][0]["exit"], "exit code 3");
}

#[test]
fn crash_during_the_checks_fails_later_dependents_and_the_run_completes() {
    let yaml = r#"version: 1
services:
  flaky:
    run: "echo up; sleep 0.5; echo 'panic: out of memory'; exit 7"
    ready: { log: "^up$", timeout: 10s }
checks:
  - id: first
    needs: [flaky]
    command: { run: "sleep 1.5" }
  - id: later
    severity: high
    needs: [flaky, first]
    command: { run: "true" }
  - id: after
    needs: [later]
    command: { run: "true" }
"#;
    let repo = temp_repo(&[("readiness.yaml", yaml)]);
    let (code, v, _) = check_json(repo.path(), &[]);
    assert_eq!(code, Some(1), "{v:#}");
    assert_eq!(result(&v, "first")["status"], "pass");
    let later = result(&v, "later");
    assert_eq!(later["status"], "fail");
    let reason = later["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("service `flaky` exited during the run (exit code 7)")
            && reason.contains("panic: out of memory"),
        "{reason}"
    );
    assert_eq!(result(&v, "after")["status"], "skip");
    let s = &v["services"][0];
    assert_eq!(s["exit"], "exit code 7");
    assert!(s["error"].as_str().unwrap().contains("exited during the run"), "{s}");
    assert!(s["ready_ms"].is_u64());
}

#[test]
fn external_service_is_only_awaited() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let closed = free_port();
    let yaml = format!(
        r#"version: 1
services:
  db:
    external: true
    ready: {{ tcp: "127.0.0.1:{port}", timeout: 5s }}
  gone:
    external: true
    ready: {{ tcp: "127.0.0.1:{closed}", timeout: 500ms }}
checks:
  - id: db.up
    needs: [db]
    tcp: {{ address: "127.0.0.1:{port}" }}
  - id: gone.up
    needs: [gone]
    command: {{ run: "true" }}
"#
    );
    let repo = temp_repo(&[("readiness.yaml", &yaml)]);
    let (_, v, _) = check_json(repo.path(), &[]);
    assert_eq!(result(&v, "db.up")["status"], "pass", "{v:#}");
    let reason = result(&v, "gone.up")["reason"].as_str().unwrap();
    assert!(reason.starts_with("service `gone` was not ready after 500ms"), "{reason}");
    let db = v["services"].as_array().unwrap().iter().find(|s| s["name"] == "db").unwrap();
    assert_eq!(db["mode"], "external");
    assert!(db.get("log").is_none() && db.get("exit").is_none() && db.get("command").is_none());
    // Still listening: readyctl did not touch it.
    drop(listener);
}

#[test]
fn no_services_uses_the_running_instance() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let yaml = format!(
        r#"version: 1
services:
  api:
    run: "echo would start a second copy; exit 9"
    ready: {{ tcp: "127.0.0.1:{port}", timeout: 5s }}
checks:
  - id: api.up
    severity: high
    needs: [api]
    tcp: {{ address: "127.0.0.1:{port}" }}
"#
    );
    let repo = temp_repo(&[("readiness.yaml", &yaml)]);
    let (code, v, _) = check_json(repo.path(), &["--no-services"]);
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(v["services"][0]["mode"], "external");
    assert!(!run_dir(repo.path()).join("evidence/services").exists(), "nothing was started");
    // Without the flag, the port already answering means another instance: not started,
    // and the check says why instead of proving the other instance.
    let (code, v, _) = check_json(repo.path(), &[]);
    assert_eq!(code, Some(1));
    let reason = result(&v, "api.up")["reason"].as_str().unwrap();
    assert!(reason.starts_with("service `api` was not started: 127.0.0.1:"), "{reason}");
    assert!(reason.contains("already before the start"), "{reason}");
}

#[test]
fn ctrl_c_stops_services() {
    let m = marker();
    let yaml = format!(
        r#"version: 1
services:
  api:
    run: "echo up; exec sleep {m}"
    ready: {{ log: "^up$" }}
checks:
  - id: slow
    needs: [api]
    command: {{ run: "sleep 30" }}
"#
    );
    let repo = temp_repo(&[("readiness.yaml", &yaml)]);
    let child = Command::new(bin())
        .args(["check", "--format", "json"])
        .current_dir(repo.path())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(20);
    while !process_with(&m) {
        assert!(Instant::now() < until, "service never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    // SAFETY: sending SIGINT to the child we spawned.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", text(&o.stderr));
    assert!(gone(&m), "the service was stopped");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["services"][0]["exit"], "stopped (SIGTERM)", "{v:#}");
}

#[test]
fn unknown_service_in_needs_is_a_located_diagnostic() {
    let repo = temp_repo(&[(
        "readiness.yaml",
        r#"version: 1
services:
  api:
    run: ./serve
    ready: { tcp: "127.0.0.1:8000", http: "http://127.0.0.1:8000/" }
  worker:
    run: ./work
    ready: { log: "started" }
    needs: [dbb]
checks:
  - id: api.health
    needs: [apii]
    command: { run: "true" }
"#,
    )]);
    let o = readyctl(repo.path(), &["check"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!repo.path().join(".readyctl").exists(), "nothing may run");
    let stderr = text(&o.stderr).replace(&repo.path().display().to_string(), "[REPO]");
    insta::assert_snapshot!("unknown_service_in_needs", stderr);
}
