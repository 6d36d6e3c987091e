//! Fault injection: readyctl must not crash, hang, lose a run or let a process outlive it,
//! whatever the checks do and whatever happens to readyctl itself.

use std::time::{Duration, Instant};

use crate::support::*;

/// Peak RSS (KiB) of the largest waited-for child process so far.
fn children_max_rss_kib() -> i64 {
    // SAFETY: getrusage fills the struct we pass; no other preconditions.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage.ru_maxrss
    }
}

#[test]
fn a_2gb_flood_is_capped_killed_at_timeout_and_memory_stays_flat() {
    let marker = format!("flood{}", std::process::id());
    let yaml = format!(
        "version: 1\nchecks:\n  - id: flood\n    timeout: 4s\n    command: {{ run: \"head -c 2000000000 /dev/zero | tr '\\\\\\\\0' x; echo {marker}\" }}\n"
    );
    let repo = temp_repo(&[("readiness.yaml", &yaml)]);
    let o = readyctl(repo.path(), &["check", "--format", "json", "--out", "run"]);
    let rss = children_max_rss_kib();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let r = &v["results"][0];
    // Either it finished (a fast machine) or it was killed at its timeout; never a hang.
    assert!(r["status"] == "error" || r["status"] == "pass", "{r}");
    let log = repo.path().join("run/evidence/flood/stdout.log");
    let size = std::fs::metadata(&log).unwrap().len();
    assert!(size <= (10 << 20) + 4096, "log kept {size} bytes");
    assert!(rss < 100 * 1024, "peak RSS {rss} KiB");
    assert!(!process_with("head -c 2000000000"), "a process outlived its check");
}

#[test]
fn sigkill_mid_run_leaves_latest_on_a_complete_run_and_the_next_run_works() {
    let marker = format!("63.{}", std::process::id());
    let slow =
        format!("version: 1\nchecks:\n  - id: slow\n    command: {{ run: 'sleep {marker}' }}\n");
    let repo = temp_repo(&[
        ("readiness.yaml", "version: 1\nchecks:\n  - id: ok\n    command: { run: 'true' }\n"),
        ("slow.yaml", &slow),
    ]);
    // A complete run first.
    assert_eq!(readyctl(repo.path(), &["check"]).status.code(), Some(0));
    let latest = std::fs::canonicalize(repo.path().join(".readyctl/latest")).unwrap();
    // Then a run killed with SIGKILL while its check is running.
    let mut child = std::process::Command::new(bin())
        .args(["check", "--checklist", "slow.yaml"])
        .current_dir(repo.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(10);
    while !process_with(&format!("sleep {marker}")) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // The killed run's check process is in its own group and survives a SIGKILL of readyctl;
    // it is not ours to leave behind, so clean it up here (readyctl cannot run after SIGKILL).
    let _ = std::process::Command::new("pkill").args(["-f", &format!("sleep {marker}")]).status();
    assert_eq!(
        std::fs::canonicalize(repo.path().join(".readyctl/latest")).unwrap(),
        latest,
        "latest moved to an incomplete run"
    );
    // The incomplete run has no manifest, so nothing takes it for complete; verify says why.
    let runs: Vec<_> = std::fs::read_dir(repo.path().join(".readyctl/runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let killed = runs.iter().find(|p| **p != latest).expect("the killed run's directory");
    assert!(!killed.join("manifest.json").exists());
    let o = readyctl(repo.path(), &["verify", killed.to_str().unwrap(), "--allow-unsigned"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    // And the next run works.
    assert_eq!(readyctl(repo.path(), &["check"]).status.code(), Some(0));
    assert_ne!(std::fs::canonicalize(repo.path().join(".readyctl/latest")).unwrap(), latest);
}

#[test]
fn two_concurrent_runs_in_one_repository_are_separate_and_both_verify() {
    let repo = temp_repo(&[(
        "readiness.yaml",
        "version: 1\nchecks:\n  - id: a\n    command: { run: 'sleep 0.3; echo a' }\n  - id: b\n    search: { pattern: 'x', expect: some }\n  - id: x\n    file: { path: readiness.yaml }\n",
    )]);
    let spawn = || {
        std::process::Command::new(bin())
            .args(["check", "--format", "json"])
            .current_dir(repo.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert_eq!(a.status.code(), Some(0));
    assert_eq!(b.status.code(), Some(0));
    let id = |o: &std::process::Output| {
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()["run"]["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (ida, idb) = (id(&a), id(&b));
    assert_ne!(ida, idb);
    for run_id in [ida, idb] {
        let dir = repo.path().join(".readyctl/runs").join(run_id);
        let o = readyctl(repo.path(), &["verify", dir.to_str().unwrap(), "--allow-unsigned"]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    }
}

#[test]
fn an_unwritable_run_directory_is_a_clear_error_and_nothing_runs() {
    let marker = format!("ran-{}", std::process::id());
    let repo = temp_repo(&[
        (
            "readiness.yaml",
            &format!("version: 1\nchecks:\n  - id: a\n    command: {{ run: 'touch {marker}' }}\n"),
        ),
        ("blocker", "a file, not a directory\n"),
    ]);
    let o = readyctl(repo.path(), &["check", "--out", "blocker/run"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("blocker/run"), "{err}");
    assert!(err.contains("cannot create the run directory"), "{err}");
    assert!(!repo.path().join(&marker).exists(), "a check ran");
    // A non-empty --out is refused rather than mixed with another run.
    std::fs::create_dir_all(repo.path().join("used")).unwrap();
    std::fs::write(repo.path().join("used/keep.txt"), "x").unwrap();
    let o = readyctl(repo.path(), &["check", "--out", "used"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("is not empty"), "{}", text(&o.stderr));
}
