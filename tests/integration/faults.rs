//! Fault injection: readyctl must not crash, hang, lose a run or let a process outlive it,
//! whatever the checks do and whatever happens to readyctl itself.

use std::time::{Duration, Instant};

use crate::support::*;

/// Runs readyctl and returns (stdout, peak anonymous resident memory in KiB), sampling
/// `RssAnon` from /proc every 10 ms. Anonymous memory is what grows with input; file-backed
/// pages of the (large, debug) binary vary with the page cache and other tests.
fn run_measured(cwd: &std::path::Path, args: &[&str]) -> (Vec<u8>, u64) {
    let out_path = cwd.join(".stdout-capture");
    let mut child = std::process::Command::new(bin())
        .args(args)
        .current_dir(cwd)
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    while child.try_wait().unwrap().is_none() {
        if let Ok(status) = std::fs::read_to_string(&status_file) {
            let anon = status
                .lines()
                .find_map(|l| l.strip_prefix("RssAnon:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .unwrap_or(0);
            peak = peak.max(anon);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    (std::fs::read(&out_path).unwrap(), peak)
}

#[test]
fn a_2gb_flood_is_capped_killed_at_timeout_and_memory_stays_flat() {
    let marker = format!("flood{}", std::process::id());
    let yaml = format!(
        "version: 1\nchecks:\n  - id: flood\n    timeout: 4s\n    command: {{ run: \"head -c 2000000000 /dev/zero | tr '\\\\\\\\0' x; echo {marker}\" }}\n"
    );
    let repo = temp_repo(&[("readiness.yaml", &yaml)]);
    let (stdout, rss) = run_measured(repo.path(), &["check", "--format", "json", "--out", "run"]);
    let v: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    let r = &v["results"][0];
    // Either it finished (a fast machine) or it was killed at its timeout; never a hang.
    assert!(r["status"] == "error" || r["status"] == "pass", "{r}");
    let log = repo.path().join("run/evidence/flood/stdout.log");
    let size = std::fs::metadata(&log).unwrap().len();
    // 8 MiB head + 2 MiB tail + at most one unfiltered 64 KiB piece and the marker line.
    assert!(size <= (10 << 20) + (128 << 10), "log kept {size} bytes");
    eprintln!("flood: peak anonymous RSS {rss} KiB, log {size} bytes");
    assert!(rss > 0 && rss < 100 * 1024, "peak anonymous RSS {rss} KiB");
    assert!(gone("head -c 2000000000"), "a process outlived its check");
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
    let repo = temp_repo(&[
        (
            "readiness.yaml",
            "version: 1\nchecks:\n  - id: a\n    command: { run: 'sleep 0.3; echo a' }\n  - id: b\n    search: { pattern: 'x', expect: some }\n  - id: x\n    file: { path: readiness.yaml }\n",
        ),
        ("notes.txt", "x marks the spot\n"),
    ]);
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

/// A full disk while the evidence is written: a tmpfs of 256 KiB (mounting one needs root;
/// elsewhere the test says SKIP). The check that could not write its log is `error` naming the
/// file, the run ends with exit 2 naming the file it could not write, and no manifest (nor
/// SHA256SUMS) exists to claim files that are not there.
#[test]
fn a_full_disk_is_a_clear_error_and_no_manifest_claims_missing_files() {
    let repo = temp_repo(&[(
        "readiness.yaml",
        "version: 1\nchecks:\n  - id: big\n    command: { run: 'head -c 2000000 /dev/zero | tr \"\\\\0\" x' }\n  - id: small\n    command: { run: 'echo ok' }\n",
    )]);
    let mnt = repo.path().join("mnt");
    std::fs::create_dir_all(&mnt).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
        .arg(&mnt)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("SKIP: cannot mount a tmpfs (needs root) to fill a disk");
        return;
    }
    let run_dir = mnt.join("run");
    let o = readyctl(repo.path(), &["check", "--out", run_dir.to_str().unwrap()]);
    let claims = run_dir.join("manifest.json").exists() || run_dir.join("SHA256SUMS").exists();
    let _ = std::process::Command::new("umount").arg(&mnt).status();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(!claims, "a manifest or SHA256SUMS was written for a run that could not be written");
    assert!(err.contains("No space left on device"), "{err}");
    assert!(err.contains("writing the run directory failed: "), "{err}");
    // The check's own error (progress lines on stderr) names the log it could not write.
    assert!(err.contains("capturing output to") && err.contains("big/stdout.log"), "{err}");
    assert!(!repo.path().join(".readyctl/latest").exists());
}
