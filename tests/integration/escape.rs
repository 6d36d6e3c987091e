//! Processes that try to escape their check or service (`setsid`, a double fork, `nohup`) and
//! keep its output pipe open: readyctl must still end the check at its deadline, stop the
//! service, seal the run on SIGTERM / SIGINT, and leave none of them running.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

/// Shell text starting three escapees, each holding the inherited stdout and stderr: a new
/// session (`setsid`), a double fork and a `nohup` in a new session. Each is a `sleep` whose
/// argument carries `marker`, so it can be found in /proc.
fn escapees(marker: &str) -> String {
    format!(
        "setsid sleep 301.{marker} & ( sleep 302.{marker} & ) & \
         setsid nohup sh -c 'sleep 303.{marker}' & "
    )
}

/// Unique per test and per test process; the escapees' command lines contain `.MARKER`.
fn marker(n: u32) -> String {
    format!("{n}{}", std::process::id())
}

/// What only this test's processes have in their command line.
fn needle(marker: &str) -> String {
    format!(".{marker}")
}

/// Pids of the processes whose command line contains `marker`.
fn pids_with(marker: &str) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|e| {
            let pid = e.file_name().to_str()?.parse::<i32>().ok()?;
            let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
            String::from_utf8_lossy(&cmd).contains(marker).then_some(pid)
        })
        .collect()
}

/// Kills (by pid) what a failed test left behind, so it does not sleep for minutes.
struct Cleanup(String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for pid in pids_with(&self.0) {
            // SAFETY: kill with no memory-safety preconditions; these are this test's sleeps.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }
}

fn spawn(repo: &Path) -> Child {
    Command::new(bin())
        .args(["check", "--format", "json", "--out", "run"])
        .current_dir(repo)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits for `child` at most `limit`; kills it and fails when it takes longer.
fn wait_within(mut child: Child, limit: Duration) -> (std::process::Output, Duration) {
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("readyctl still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let elapsed = started.elapsed();
    (child.wait_with_output().unwrap(), elapsed)
}

fn record(repo: &Path) -> serde_json::Value {
    let manifest = repo.join("run/manifest.json");
    assert!(manifest.is_file(), "no manifest: the run was not sealed");
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(manifest).unwrap()).expect("manifest is JSON");
    v["predicate"].clone()
}

#[test]
fn a_timeout_ends_the_check_whatever_its_escaped_descendants_hold() {
    let m = marker(1);
    let _cleanup = Cleanup(needle(&m));
    let yaml = format!(
        "version: 1\nchecks:\n  - id: escape\n    timeout: 2s\n    command: {{ run: \"{}sleep 304.{m}\" }}\n",
        escapees(&m)
    );
    let repo = temp_repo(&[("readiness.yaml", &yaml)]);
    let (out, took) = wait_within(spawn(repo.path()), Duration::from_secs(30));
    assert!(took < Duration::from_secs(8), "a 2 s timeout took {took:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["results"][0]["status"], "error", "{}", v["results"][0]);
    assert!(gone(&needle(&m)), "descendants survived: {:?}", pids_with(&needle(&m)));
}

#[test]
fn a_check_that_exits_leaving_a_detached_grandchild_on_stdout_ends_at_once() {
    let m = marker(2);
    let _cleanup = Cleanup(needle(&m));
    let yaml = format!(
        "version: 1\nchecks:\n  - id: leaves\n    timeout: 60s\n    command: {{ run: \"{}echo done\", stdout: {{ contains: [done] }} }}\n",
        escapees(&m)
    );
    let repo = temp_repo(&[("readiness.yaml", &yaml)]);
    let (out, took) = wait_within(spawn(repo.path()), Duration::from_secs(30));
    assert!(took < Duration::from_secs(8), "took {took:?}");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["results"][0]["status"], "pass", "{}", v["results"][0]);
    assert!(gone(&needle(&m)), "descendants survived: {:?}", pids_with(&needle(&m)));
}

/// Runs `run` (shell text, with `files` beside the checklist) as check `first`, then a check
/// that needs it and fails while a process whose command line matches `alive` (a grep pattern)
/// exists: both pass, and no process carrying `.m` is left once readyctl has exited.
fn gone_before_the_next_check(m: &str, run: &str, alive: &str, files: &[(&str, &str)]) {
    let _cleanup = Cleanup(needle(m));
    let yaml = format!(
        "version: 1\nchecks:\n  - id: first\n    timeout: 20s\n    command: {{ run: \"{run}\" }}\n  - id: after\n    needs: [first]\n    command: {{ run: \"! grep -qs '{alive}' /proc/[0-9]*/cmdline\" }}\n"
    );
    let mut all = vec![("readiness.yaml", yaml.as_str())];
    all.extend_from_slice(files);
    let repo = temp_repo(&all);
    let (out, _) = wait_within(spawn(repo.path()), Duration::from_secs(30));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["results"][0]["status"], "pass", "{}", v["results"][0]);
    assert_eq!(v["results"][1]["status"], "pass", "it outlived its check: {}", v["results"][1]);
    assert!(gone(&needle(m)), "it survived: {:?}", pids_with(&needle(m)));
}

/// Escapees that closed their output leave nothing holding the pipe: the check ends with its
/// shell, and they are gone before the check that needs it starts (`run::tree::Tree::end`).
#[test]
fn escapees_that_closed_their_output_are_gone_before_the_next_check() {
    let m = marker(21);
    // Both are in a session of their own before the check's shell exits (it waits until
    // both `sleep`s run), so killing its process group cannot reach them.
    let quiet = format!(
        "setsid sleep 305.{m} </dev/null >/dev/null 2>&1 & \
         ( setsid sleep 306.{m} </dev/null >/dev/null 2>&1 & ) & \
         until grep -qs '305[.]{m}' /proc/[0-9]*/cmdline && grep -qs '306[.]{m}' /proc/[0-9]*/cmdline; \
         do sleep 0.01; done; echo done"
    );
    gone_before_the_next_check(&m, &quiet, &format!("30[56][.]{m}"), &[]);
}

/// In a container whose init is a shell (or tini), readyctl is pid 2, and the orphans it
/// adopts as subreaper have parent 2, like kernel threads outside: an escapee that detached
/// before any reading of `/proc` recorded it is still found by its mark (kernel threads are
/// known by their flag, not their parent) and is gone before the check that needs it.
#[test]
fn with_readyctl_at_pid_2_an_escapee_is_still_gone_before_the_next_check() {
    let probe = Command::new("unshare").args(["-Urpf", "--mount-proc", "true"]).status();
    if !probe.is_ok_and(|s| s.success()) {
        eprintln!("SKIP: unshare -Urpf (user and pid namespaces) is not available");
        return;
    }
    let m = marker(23);
    let _cleanup = Cleanup(needle(m.as_str()));
    let yaml = format!(
        "version: 1\nchecks:\n  - id: first\n    timeout: 20s\n    command: {{ run: \"setsid sleep 308.{m} </dev/null >/dev/null 2>&1 & sleep 0.05; echo done\" }}\n  - id: after\n    needs: [first]\n    command: {{ run: \"! grep -qs '308[.]{m}' /proc/[0-9]*/cmdline\" }}\n"
    );
    let repo = temp_repo(&[("readiness.yaml", yaml.as_str())]);
    // `sh` is pid 1 of the new namespace and forks readyctl (it runs a list), so readyctl is
    // pid 2 there.
    let script = format!(
        "{} check --format json --out run; echo \"pid 1 is $(cat /proc/1/comm)\" >&2",
        bin().display()
    );
    let child = Command::new("unshare")
        .args(["-Urpf", "--mount-proc", "sh", "-c", &script])
        .current_dir(repo.path())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (out, _) = wait_within(child, Duration::from_secs(30));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["results"][0]["status"], "pass", "{}", v["results"][0]);
    assert_eq!(v["results"][1]["status"], "pass", "it outlived its check: {}", v["results"][1]);
    assert!(gone(&needle(&m)), "it survived: {:?}", pids_with(&needle(&m)));
}

/// `clone(CLONE_PARENT)` makes the new process a sibling of the check's root (a child of the
/// readyctl thread that started it), not a descendant: it is still found by its mark and
/// killed when the check ends (the reading is not skipped: a fork happened since).
#[test]
fn a_sibling_made_with_clone_parent_is_gone_before_the_next_check() {
    if std::process::Command::new("python3").arg("-c").arg("").status().is_err() {
        eprintln!("SKIP: python3 is not installed");
        return;
    }
    let m = marker(22);
    // SYS_clone (56 on x86_64, 220 on aarch64) with CLONE_PARENT | SIGCHLD; the child starts
    // a session of its own and becomes `sleep 307.MARKER`; the root waits a moment and exits.
    let nr = if cfg!(target_arch = "aarch64") { 220 } else { 56 };
    let script = format!(
        "import ctypes, os, time\n\
         pid = ctypes.CDLL(None).syscall({nr}, 0x8011, 0, 0, 0, 0)\n\
         if pid == 0:\n    os.setsid()\n    os.execvp('sleep', ['sleep', '307.{m}'])\n\
         time.sleep(0.3)\n"
    );
    gone_before_the_next_check(
        &m,
        "exec python3 cp.py",
        &format!("307[.]{m}"),
        &[("cp.py", &script)],
    );
}

/// A log (and the check's evidence directory) is created when there is something to write (or
/// at the end): a FIFO a check puts at its path (which would block an ordinary open) or a
/// symlink is refused without waiting, the check is an error naming it, and the run is sealed
/// without it. (The check makes the directory itself first: readyctl has not yet.)
#[test]
fn a_check_cannot_plant_its_own_log_files() {
    let yaml = "version: 1\nchecks:\n  - id: x\n    timeout: 2s\n    command: { run: \"e=$READYCTL_SCRATCH/../evidence/x; mkdir -p $e; mkfifo $e/stdout.log; ln -s /etc/passwd $e/stderr.log\" }\n";
    let repo = temp_repo(&[("readiness.yaml", yaml)]);
    let (out, took) = wait_within(spawn(repo.path()), Duration::from_secs(30));
    assert!(took < Duration::from_secs(10), "took {took:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let x = &v["results"][0];
    assert_eq!(x["status"], "error", "{x}");
    let reason = x["reason"].as_str().unwrap();
    assert!(reason.contains("`evidence/x/stdout.log` (not a regular file)"), "{reason}");
    assert!(reason.contains("`evidence/x/stderr.log` (not a regular file)"), "{reason}");
    assert!(std::fs::symlink_metadata(repo.path().join("run/evidence/x/stdout.log")).is_err());
    let verify = readyctl(repo.path(), &["verify", "run", "--allow-unsigned"]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify.stdout));
}

/// A check that replaces its own log while readyctl writes it, and plants a file beside it:
/// what readyctl did not write is removed and the check is an error that names it (the
/// sealed evidence is only what readyctl wrote); the other check and the seal are unharmed.
#[test]
fn a_check_that_forges_its_own_evidence_is_an_error_and_nothing_forged_is_sealed() {
    let yaml = "version: 1\nchecks:\n  - id: x\n    command: { run: \"echo real; e=$READYCTL_SCRATCH/../evidence/x; until [ -f $e/stdout.log ]; do sleep 0.01; done; rm $e/stdout.log; echo FORGED > $e/stdout.log; echo '<testsuite/>' > $e/junit.xml\" }\n  - id: y\n    command: { run: 'echo fine' }\n";
    let repo = temp_repo(&[("readiness.yaml", yaml)]);
    let (out, _) = wait_within(spawn(repo.path()), Duration::from_secs(30));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let x = &v["results"][0];
    assert_eq!(x["status"], "error", "{x}");
    let reason = x["reason"].as_str().unwrap();
    assert!(reason.contains("`evidence/x/stdout.log` (not written by readyctl)"), "{reason}");
    assert!(reason.contains("`evidence/x/junit.xml` (not written by readyctl)"), "{reason}");
    assert_eq!(v["results"][1]["status"], "pass");
    let run = repo.path().join("run");
    assert!(
        !run.join("evidence/x/stdout.log").exists() && !run.join("evidence/x/junit.xml").exists()
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("manifest.json")).unwrap()).unwrap();
    let sealed: Vec<&str> =
        manifest["subject"].as_array().unwrap().iter().filter_map(|s| s["name"].as_str()).collect();
    assert!(sealed.contains(&"evidence/x/stderr.log") && sealed.contains(&"evidence/y/stdout.log"));
    assert!(
        !sealed.contains(&"evidence/x/stdout.log") && !sealed.contains(&"evidence/x/junit.xml")
    );
    assert_eq!(x["evidence"].as_array().unwrap().len(), 1, "{x}");
    let verify = readyctl(repo.path(), &["verify", "run", "--allow-unsigned"]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify.stdout));
}

/// A hard link to a check's log from a directory that is no check's (`evidence/ghost/`): the
/// run is not sealed.
#[test]
fn a_link_to_a_log_outside_its_directory_stops_the_seal() {
    let yaml = "version: 1\nchecks:\n  - id: linked\n    command: { run: \"echo FORGED; e=$READYCTL_SCRATCH/../evidence; until [ -f $e/linked/stdout.log ]; do sleep 0.01; done; mkdir -p $e/ghost; ln $e/linked/stdout.log $e/ghost/planted.txt\" }\n";
    let repo = temp_repo(&[("readiness.yaml", yaml)]);
    let out = readyctl(repo.path(), &["check", "--out", "run", "--quiet"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("`evidence/ghost/planted.txt` (not written by readyctl)"), "{err}");
    assert!(!repo.path().join("run/manifest.json").exists());
}

/// The same forgeries without the ghost link: each check is an error naming what happened,
/// and the run is sealed with only what readyctl wrote.
#[test]
fn a_log_written_into_or_linked_is_not_evidence_and_the_run_verifies() {
    let yaml = "version: 1\nchecks:\n  - id: into\n    command: { run: \"echo real; sleep 0.2; echo FORGED > $READYCTL_SCRATCH/../evidence/into/stdout.log\" }\n  - id: linked\n    command: { run: \"echo FORGED; e=$READYCTL_SCRATCH/../evidence/linked; until [ -f $e/stdout.log ]; do sleep 0.01; done; ln $e/stdout.log $e/junit.xml\" }\n";
    let repo = temp_repo(&[("readiness.yaml", yaml)]);
    let (out, _) = wait_within(spawn(repo.path()), Duration::from_secs(30));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let into = v["results"][0]["reason"].as_str().unwrap();
    assert_eq!(v["results"][0]["status"], "error");
    assert!(
        into.contains(
            "`evidence/into/stdout.log` (written into by another process while readyctl wrote it)"
        ),
        "{into}"
    );
    let linked = v["results"][1]["reason"].as_str().unwrap();
    assert_eq!(v["results"][1]["status"], "error");
    assert!(linked.contains("`evidence/linked/junit.xml` (not written by readyctl)"), "{linked}");
    let verify = readyctl(repo.path(), &["verify", "run", "--allow-unsigned"]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify.stdout));
}

/// A service rewrites a check's log while the check runs, turning a failing `stdout:`
/// expectation into a pass: the check is an error, never a pass on forged output.
#[test]
fn a_service_cannot_forge_a_checks_log_into_a_pass() {
    let yaml = "version: 1\nservices:\n  evil:\n    run: \"echo up; while :; do f=$PWD/run/evidence/x/stdout.log; grep -q FAILED $f 2>/dev/null && echo 'FORGED ALL OK' > $f; sleep 0.02; done\"\n    ready: { log: 'up' }\nchecks:\n  - id: x\n    needs: [evil]\n    command: { run: 'echo FAILED; sleep 1', stdout: { contains: ['ALL OK'] } }\n";
    let repo = temp_repo(&[("readiness.yaml", yaml)]);
    let (out, _) = wait_within(spawn(repo.path()), Duration::from_secs(30));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let x = &v["results"][0];
    assert_eq!(x["status"], "error", "{x}");
    assert!(x["reason"].as_str().unwrap().contains("written into by another process"), "{x}");
}

/// A service that writes into its own log behind readyctl (here an unredacted secret, over
/// the head of the log): the log is read back before the seal, and the run is not sealed;
/// the secret is in no output.
#[test]
fn a_service_that_rewrites_its_log_stops_the_seal() {
    let yaml = "version: 1\nsecrets: [DB_PASSWORD]\nservices:\n  api:\n    run: \"echo up; sleep 0.3; printf 'FORGED pw=%s' \\\"$DB_PASSWORD\\\" 1<> \\\"$PWD/run/evidence/services/api/output.log\\\"; sleep 30\"\n    ready: { log: '^up$' }\nchecks:\n  - id: a\n    needs: [api]\n    command: { run: 'sleep 1; echo ok' }\n";
    let repo = temp_repo(&[("readiness.yaml", yaml)]);
    let out = Command::new(bin())
        .args(["check", "--out", "run", "--quiet"])
        .current_dir(repo.path())
        .env("NO_COLOR", "1")
        .env("DB_PASSWORD", "hunter2-Qx81")
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("`evidence/services/api/output.log` (written into by another process while readyctl wrote it)"),
        "{err}"
    );
    assert!(!repo.path().join("run/manifest.json").exists());
    assert!(!err.contains("hunter2") && !text(&out.stdout).contains("hunter2"));
}

/// A process that drops the tree mark and detaches before the check's tree is first read
/// survives the check; it waits for report.md to plant evidence and append to the report.
/// It is still readyctl's (adopted) child when the run ends, so it is killed before the run
/// is vetted and sealed: nothing is planted, the run verifies, nothing is left.
#[test]
fn an_escapee_that_waits_for_the_seal_is_killed_before_it() {
    let m = marker(31);
    let _cleanup = Cleanup(needle(&m));
    std::fs::create_dir_all(std::env::temp_dir()).unwrap();
    let script = format!(
        "r=$1; while [ ! -f $r/report.md ]; do sleep 0.01; done; mkdir -p $r/evidence/ghost; echo planted > $r/evidence/ghost/p.txt; echo FORGED >> $r/report.md # .{m}"
    );
    let files = [("esc.sh", script.as_str())];
    let yaml = format!(
        "version: 1\nchecks:\n  - id: x\n    command: {{ run: \"(setsid env -u READYCTL_TREE sh $PWD/esc.sh $READYCTL_SCRATCH/.. .{m} </dev/null >/dev/null 2>&1 &); sleep 0.05; echo done\" }}\n"
    );
    let mut all = vec![("readiness.yaml", yaml.as_str())];
    all.extend_from_slice(&files);
    let repo = temp_repo(&all);
    let (out, _) = wait_within(spawn(repo.path()), Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    std::thread::sleep(Duration::from_millis(300));
    assert!(gone(&needle(&m)), "it survived readyctl: {:?}", pids_with(&needle(&m)));
    assert!(!repo.path().join("run/evidence/ghost").exists());
    let verify = readyctl(repo.path(), &["verify", "run", "--allow-unsigned"]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify.stdout));
}

/// A check that replaces a file another check reads with a FIFO: the reader never waits on
/// it (an ordinary open blocks until someone writes, past every deadline and signal).
#[test]
fn a_fifo_where_a_probe_reads_a_file_is_an_error_not_a_hang() {
    let yaml = "version: 1\nchecks:\n  - id: build\n    command: { run: 'rm README.md && mkfifo README.md' }\n  - id: readme\n    needs: [build]\n    timeout: 3s\n    file: { path: README.md, contains: [hi] }\n";
    let repo = temp_repo(&[("readiness.yaml", yaml), ("README.md", "hi\n")]);
    let (out, took) = wait_within(spawn(repo.path()), Duration::from_secs(30));
    assert!(took < Duration::from_secs(10), "took {took:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = &v["results"][1];
    assert_eq!(r["status"], "error", "{r}");
    assert!(r["reason"].as_str().unwrap().contains("not a regular file"), "{r}");
}

/// A test suite that touches or `chmod`s everything under the repository (the run directory
/// included) changes the evidence's times, not its bytes: the run is sealed and verifies.
#[test]
fn touching_the_whole_repository_is_not_tampering() {
    let yaml = "version: 1\nchecks:\n  - id: first\n    command: { run: 'echo a' }\n  - id: second\n    needs: [first]\n    command: { run: 'chmod -R u+rw . && find . -type f -exec touch {} +' }\n";
    let repo = temp_repo(&[("readiness.yaml", yaml)]);
    let out = readyctl(repo.path(), &["check", "--out", "run", "--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let verify = readyctl(repo.path(), &["verify", "run", "--allow-unsigned"]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify.stdout));
}

/// A secret in the name of a results file, and one with XML special characters kept
/// XML-escaped in a JUnit report: neither reaches any file name or byte of the run.
#[test]
fn secrets_in_report_names_and_xml_escapes_are_redacted() {
    let yaml = "version: 1\nsecrets: [TOKEN, XTOK]\nchecks:\n  - id: t\n    tests:\n      run: 'printf \"<testsuite><testcase name=\\\"a\\\"><failure message=\\\"p&lt;ss&amp;w0rd!!\\\"/></testcase></testsuite>\" > \"$READYCTL_SCRATCH/junit-$TOKEN.xml\"'\n      results: \"$READYCTL_SCRATCH/junit-*.xml\"\n      format: junit\n      max_failed: any\n";
    let repo = temp_repo(&[("readiness.yaml", yaml)]);
    let out = Command::new(bin())
        .args(["check", "--out", "run", "--quiet"])
        .current_dir(repo.path())
        .env("NO_COLOR", "1")
        .env("TOKEN", "tok-Zq81xY77")
        .env("XTOK", "p<ss&w0rd!!")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for entry in walkdir::WalkDir::new(repo.path().join("run")) {
        let entry = entry.unwrap();
        let name = entry.path().to_string_lossy().into_owned();
        assert!(!name.contains("tok-Zq81xY77"), "{name}");
        if entry.file_type().is_file() {
            let bytes = String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap()).into_owned();
            assert!(!bytes.contains("tok-Zq81xY77") && !bytes.contains("w0rd"), "{name}");
        }
    }
    let verify = readyctl(repo.path(), &["verify", "run", "--allow-unsigned"]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify.stdout));
}

/// A check that puts a symlink to a directory outside the run where its evidence directory
/// goes, before readyctl made it (`early`: the directory is made with the first log), or that
/// swaps a directory there for one (`swap`): readyctl never writes, truncates or removes
/// anything outside (files are created and removed beneath the run's `evidence/` with
/// `openat2`, directories opened `O_NOFOLLOW`); each check is an error.
#[test]
fn a_symlinked_evidence_directory_never_leads_readyctl_outside_the_run() {
    let yaml = "version: 1\nchecks:\n  - id: early\n    command: { run: \"EV=$READYCTL_SCRATCH/../evidence/early; ln -s $PWD/victim $EV; echo x; echo y >&2\" }\n  - id: swap\n    command: { run: \"EV=$READYCTL_SCRATCH/../evidence/swap; mkdir -p $EV; mv $EV $EV.x; ln -s $PWD/victim2 $EV; echo x; echo y >&2\" }\n";
    let repo = temp_repo(&[
        ("readiness.yaml", yaml),
        ("victim/stdout.log", "precious\n"),
        ("victim2/stdout.log", "precious\n"),
    ]);
    let (out, _) = wait_within(spawn(repo.path()), Duration::from_secs(30));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for (i, dir) in [(0, "victim"), (1, "victim2")] {
        let r = &v["results"][i];
        assert_eq!(r["status"], "error", "{r}");
        assert!(
            r["reason"].as_str().unwrap().contains("a symlink on the way, not followed"),
            "{r}"
        );
        let victim = repo.path().join(dir);
        assert_eq!(std::fs::read_to_string(victim.join("stdout.log")).unwrap(), "precious\n");
        assert!(!victim.join("stderr.log").exists(), "{dir}");
    }
}

/// A check that deletes another check's log and prints nothing: its own logs, made at its
/// end, may get the freed inode; the removal is still caught (the kept files are known by
/// path) and the run is not sealed.
#[test]
fn a_deleted_log_is_caught_even_when_its_inode_is_reused() {
    let yaml = "version: 1\nchecks:\n  - id: a\n    command: { run: 'echo hi' }\n  - id: b\n    command: { run: \"sleep 0.5; rm -f $READYCTL_SCRATCH/../evidence/a/stdout.log\" }\n";
    for _ in 0..3 {
        let repo = temp_repo(&[("readiness.yaml", yaml)]);
        let out = readyctl(repo.path(), &["check", "--out", "run", "--quiet"]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("`evidence/a/stdout.log` (removed after readyctl wrote it)"), "{err}");
    }
}

/// A check that moves another check's evidence directory away while that check ends, and puts
/// it back before the seal: the check whose logs were missing is an `error` naming them, and
/// the logs, back, are not sealed as if the check had kept nothing (before, it passed with no
/// evidence and the run verified VALID).
#[test]
fn evidence_hidden_while_its_check_ends_is_never_sealed_as_kept_nothing() {
    let yaml = "version: 1\nchecks:\n  - id: v\n    command: { run: \"echo out; echo err >&2; sleep 0.4\" }\n  - id: hider\n    command: { run: \"E=$READYCTL_SCRATCH/../evidence; until [ -f $E/v/stdout.log ] && [ -f $E/v/stderr.log ]; do sleep 0.01; done; mv $E/v $E/hidden; sleep 0.9; mv $E/hidden $E/v\" }\n";
    let repo = temp_repo(&[("readiness.yaml", yaml)]);
    let out = readyctl(repo.path(), &["check", "--out", "run", "--format", "json", "--quiet"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!repo.path().join("run/manifest.json").exists(), "sealed: {err}");
    assert!(err.contains("evidence/v/stdout.log"), "{err}");
    let log = std::fs::read_to_string(repo.path().join("run/evidence/v/stdout.log")).unwrap();
    assert_eq!(log, "out\n", "the hidden log is back, unsealed");
}

/// Many checks retried at once: each retry removes and remakes its own logs while the other
/// checks make theirs, and a freed inode is given out again at once. Every run is sealed
/// (before, one check's removal could forget another check's new log, and the seal was refused
/// in 1 to 5 runs of 6 on 2 cores).
#[test]
fn many_retried_checks_at_once_are_sealed() {
    let mut yaml = String::from("version: 1\nchecks:\n");
    for i in 0..40 {
        yaml.push_str(&format!(
            "  - id: c{i}\n    retries: 1\n    command: {{ run: \"f=$READYCTL_SCRATCH/n{i}; [ -f $f ] && exit 0; touch $f; echo first; exit 1\" }}\n"
        ));
    }
    for round in 0..3 {
        let repo = temp_repo(&[("readiness.yaml", yaml.as_str())]);
        let out = readyctl(repo.path(), &["check", "--out", "run", "--quiet", "--jobs", "40"]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "round {round}: {err}");
        assert!(
            repo.path().join("run/manifest.json").is_file(),
            "round {round}: not sealed: {err}"
        );
    }
}

/// A check that could not start leaves finished, empty logs: another check writing into them
/// later is caught before the seal.
#[test]
fn the_logs_of_a_command_that_did_not_start_are_still_guarded() {
    let yaml = "version: 1\nchecks:\n  - id: a\n    command: { run: [/nonexistent/prog] }\n  - id: b\n    command: { run: \"sleep 0.5; echo FORGED > $READYCTL_SCRATCH/../evidence/a/stdout.log\" }\n";
    let repo = temp_repo(&[("readiness.yaml", yaml)]);
    let out = readyctl(repo.path(), &["check", "--out", "run", "--quiet"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("`evidence/a/stdout.log` (changed after readyctl wrote it)"), "{err}");
}

/// A check that rewrites another check's stored evidence, or writes elsewhere in the run
/// directory: the run is not sealed (no manifest), readyctl says what changed and exits 1.
#[test]
fn a_run_directory_changed_behind_readyctl_is_not_sealed() {
    let yaml = "version: 1\nchecks:\n  - id: first\n    command: { run: 'echo real' }\n  - id: second\n    needs: [first]\n    command: { run: \"e=$READYCTL_SCRATCH/../evidence; echo FORGED-AND-LONGER > $e/first/stdout.log; rm $e/first/stderr.log; mkdir -p $e/ghost; echo boo > $e/ghost/stdout.log\" }\n";
    let repo = temp_repo(&[("readiness.yaml", yaml)]);
    let out = readyctl(repo.path(), &["check", "--out", "run", "--quiet"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("was changed by something other than readyctl, so it is not sealed"),
        "{err}"
    );
    assert!(err.contains("`evidence/first/stdout.log` (changed after readyctl wrote it)"), "{err}");
    assert!(err.contains("`evidence/ghost/stdout.log` (not written by readyctl)"), "{err}");
    assert!(err.contains("`evidence/first/stderr.log` (removed after readyctl wrote it)"), "{err}");
    assert!(!repo.path().join("run/manifest.json").exists());
}

#[test]
fn a_service_with_escaped_descendants_is_stopped_whole() {
    let m = marker(3);
    let _cleanup = Cleanup(needle(&m));
    let yaml = format!(
        "version: 1\nservices:\n  api:\n    run: \"{}echo up; exec sleep 305.{m}\"\n    ready: {{ log: '^up$' }}\nchecks:\n  - id: uses\n    needs: [api]\n    command: {{ run: 'true' }}\n",
        escapees(&m)
    );
    let repo = temp_repo(&[("readiness.yaml", &yaml)]);
    let (out, took) = wait_within(spawn(repo.path()), Duration::from_secs(30));
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(gone(&needle(&m)), "descendants survived: {:?}", pids_with(&needle(&m)));
}

/// A signal to readyctl while a check and a service with escapees run: a sealed, interrupted
/// run, exit 130, promptly, nothing left.
fn signal_seals_the_run(signal: i32, n: u32) {
    let m = marker(n);
    let _cleanup = Cleanup(needle(&m));
    let yaml = format!(
        "version: 1\nservices:\n  api:\n    run: \"{e}echo up; exec sleep 306.{m}\"\n    ready: {{ log: '^up$' }}\nchecks:\n  - id: long\n    needs: [api]\n    command: {{ run: \"{e}sleep 307.{m}\" }}\n",
        e = escapees(&m)
    );
    let repo = temp_repo(&[("readiness.yaml", &yaml)]);
    let child = spawn(repo.path());
    let until = Instant::now() + Duration::from_secs(20);
    while !process_with(&format!("sleep 307.{m}")) {
        assert!(Instant::now() < until, "the check never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: kill with no memory-safety preconditions, to the readyctl this test started.
    unsafe {
        libc::kill(child.id() as i32, signal);
    }
    let (out, took) = wait_within(child, Duration::from_secs(30));
    assert!(took < Duration::from_secs(10), "took {took:?} after the signal");
    assert_eq!(out.status.code(), Some(130));
    let record = record(repo.path());
    assert_eq!(record["run"]["interrupted"], true, "{}", record["run"]);
    assert!(gone(&needle(&m)), "descendants survived: {:?}", pids_with(&needle(&m)));
}

#[test]
fn sigterm_during_a_run_with_escapees_seals_it_and_leaves_nothing() {
    signal_seals_the_run(libc::SIGTERM, 4);
}

#[test]
fn sigint_during_a_run_with_escapees_seals_it_and_leaves_nothing() {
    signal_seals_the_run(libc::SIGINT, 5);
}

/// A check that moves the run's `evidence/` out of the run: readyctl writes nothing more
/// there (its held descriptor would follow the directory, but the directory is no longer
/// where it was), and the run is not sealed.
#[test]
fn an_evidence_directory_moved_out_of_the_run_gets_nothing_more() {
    // One job: `y` starts after `x` ended (`needs` would skip it, `x` being an error).
    let yaml = "version: 1\nchecks:\n  - id: x\n    command: { run: 'mv \"$READYCTL_SCRATCH/../evidence\" \"$PWD/moved\"' }\n  - id: y\n    command: { run: 'echo hello-from-y' }\n";
    let repo = temp_repo(&[("readiness.yaml", yaml)]);
    let out = readyctl(repo.path(), &["check", "--jobs", "1", "--out", "run"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("moved or replaced during the run"),
        "{}",
        text(&out.stderr)
    );
    let moved = repo.path().join("moved");
    assert!(moved.is_dir(), "the check moved evidence/");
    assert!(!moved.join("y").exists(), "readyctl made `y` outside the run");
    assert!(!repo.path().join("run/manifest.json").exists());
}

/// A check that swaps `.readyctl/runs` for a symlink to another tree of runs, keeping its own
/// run reachable through it: readyctl sees that the run was moved (the directories it holds
/// are elsewhere now), seals nothing, and neither prunes nor points `latest` anywhere.
#[test]
fn pruning_never_follows_a_symlinked_runs_directory() {
    let swap = "R=$(cd \"$READYCTL_SCRATCH/../../..\" && pwd -P); ID=$(basename \"$(dirname \"$READYCTL_SCRATCH\")\"); mv \"$R/runs\" \"$R/runs.real\"; ln -s \"$R/runs.real/$ID\" \"$PWD/victim/$ID\"; ln -s \"$PWD/victim\" \"$R/runs\"";
    let yaml = format!("version: 1\nchecks:\n  - id: x\n    command: {{ run: '{swap}' }}\n");
    let repo = temp_repo(&[
        ("readiness.yaml", &yaml),
        (".readyctl/runs/20240101T000000Z-000001/manifest.json", "{}"),
        (".readyctl/runs/20240102T000000Z-000002/manifest.json", "{}"),
        ("victim/20200101T000000Z-aaaaaa/manifest.json", "{}"),
        ("victim/20200101T000000Z-aaaaaa/precious", "precious"),
    ]);
    let out = readyctl(repo.path(), &["check", "--keep", "1"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("moved or replaced during the run"),
        "{}",
        text(&out.stderr)
    );
    let precious = repo.path().join("victim/20200101T000000Z-aaaaaa/precious");
    assert_eq!(std::fs::read_to_string(precious).unwrap(), "precious");
    // Nothing was pruned: the two old runs and the unsealed one.
    let left: Vec<_> =
        std::fs::read_dir(repo.path().join(".readyctl/runs.real")).unwrap().collect();
    assert_eq!(left.len(), 3, "{left:?}");
}

/// A symlink a check leaves at `.readyctl/runs` for the next run: that run is refused with
/// a message saying what to do, and nothing is made or pruned where the symlink points.
#[test]
fn a_symlink_left_at_the_runs_directory_is_refused_by_the_next_run() {
    let plant = "R=$(cd \"$READYCTL_SCRATCH/../../..\" && pwd -P); mv \"$R/runs\" \"$R/runs.real\"; ln -s \"$PWD/other\" \"$R/runs\"; mv \"$R/runs.real\"/* \"$PWD/other/\"";
    let yaml = format!("version: 1\nchecks:\n  - id: x\n    command: {{ run: '{plant}' }}\n");
    let repo = temp_repo(&[
        ("readiness.yaml", &yaml),
        ("other/20200101T000000Z-aaaaaa/manifest.json", "{}"),
        ("other/20200102T000000Z-bbbbbb/manifest.json", "{}"),
    ]);
    let _ = readyctl(repo.path(), &["check", "--keep", "1"]);
    let before = std::fs::read_dir(repo.path().join("other")).unwrap().count();
    let out = readyctl(repo.path(), &["check", "--keep", "1"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("is a symlink or not a directory"), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_dir(repo.path().join("other")).unwrap().count(), before);
    assert!(repo.path().join("other/20200101T000000Z-aaaaaa/manifest.json").is_file());
}

/// A check that moves its whole run directory elsewhere and leaves a symlink in its place:
/// the next check gets no evidence there, and nothing is sealed (the manifest and reports
/// would have gone where the run was moved).
#[test]
fn a_run_directory_moved_and_linked_back_is_not_sealed() {
    let mv = "R=$(cd \"$READYCTL_SCRATCH/..\" && pwd -P); mkdir -p \"$PWD/elsewhere\"; mv \"$R\" \"$PWD/elsewhere/\" && ln -s \"$PWD/elsewhere/$(basename \"$R\")\" \"$R\"";
    let yaml = format!(
        "version: 1\nchecks:\n  - id: x\n    command: {{ run: '{mv}' }}\n  - id: y\n    command: {{ run: 'echo second' }}\n"
    );
    let repo = temp_repo(&[("readiness.yaml", &yaml)]);
    let out = readyctl(repo.path(), &["check", "--jobs", "1"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("not sealed"), "{}", text(&out.stderr));
    let elsewhere =
        std::fs::read_dir(repo.path().join("elsewhere")).unwrap().next().unwrap().unwrap();
    assert!(!elsewhere.path().join("manifest.json").exists(), "sealed where it was moved");
    assert!(!elsewhere.path().join("evidence/y").exists(), "evidence made where it was moved");
}

/// A check that hard-links a file from outside the run at its log's path before printing (in
/// the evidence directory it made itself, before readyctl did): readyctl never opens what it did not create (`O_EXCL`), so the outside file is neither
/// truncated nor written; the check is an error naming the planted link.
#[test]
fn a_hard_link_at_a_log_path_never_has_readyctl_write_outside() {
    let yaml = "version: 1\nchecks:\n  - id: x\n    command: { run: 'mkdir -p \"$READYCTL_SCRATCH/../evidence/x\"; ln -f \"$PWD/victim.txt\" \"$READYCTL_SCRATCH/../evidence/x/stderr.log\"; ln -f \"$PWD/victim2.txt\" \"$READYCTL_SCRATCH/../evidence/x/stdout.log\"; echo into-victim >&2; echo more' }\n";
    let repo = temp_repo(&[
        ("readiness.yaml", yaml),
        ("victim.txt", "PRECIOUS\n"),
        ("victim2.txt", "PRECIOUS 2\n"),
    ]);
    let (out, _) = wait_within(spawn(repo.path()), Duration::from_secs(30));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let x = &v["results"][0];
    assert_eq!(x["status"], "error", "{x}");
    assert!(x["reason"].as_str().unwrap().contains("not written by readyctl"), "{x}");
    let read = |name: &str| std::fs::read_to_string(repo.path().join(name)).unwrap();
    assert_eq!(read("victim.txt"), "PRECIOUS\n");
    assert_eq!(read("victim2.txt"), "PRECIOUS 2\n");
}

/// A check that moves its run away and leaves a symlink to another directory in its place:
/// the scratch directory is removed through the run directory readyctl holds, so the other
/// directory's `scratch/` is untouched, and nothing is sealed.
#[test]
fn removing_the_scratch_directory_never_follows_a_swapped_run() {
    let swap = "R=$(cd \"$READYCTL_SCRATCH/..\" && pwd -P); mv \"$R\" \"$R.moved\" && ln -s \"$PWD/victim\" \"$R\"";
    let yaml = format!("version: 1\nchecks:\n  - id: x\n    command: {{ run: '{swap}' }}\n");
    let repo = temp_repo(&[("readiness.yaml", &yaml), ("victim/scratch/precious", "precious")]);
    let out = readyctl(repo.path(), &["check", "--out", "run"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let precious = repo.path().join("victim/scratch/precious");
    assert_eq!(std::fs::read_to_string(precious).unwrap(), "precious");
    assert!(!repo.path().join("victim/manifest.json").exists());
}

/// `--out` through a symlink that a check re-points at another directory: the run vetted
/// (by its path) would not be the run sealed (held since its creation), so nothing is sealed.
#[test]
fn an_out_path_re_pointed_during_the_run_is_not_sealed() {
    // B gets hard links to the check's own logs, so that vetting B finds them all.
    let script = "echo out; echo err >&2; sleep 0.5; mkdir -p \"$PWD/B/evidence/a\"; for f in \"$PWD\"/A/evidence/a/*; do ln \"$f\" \"$PWD/B/evidence/a/\"; done; echo forged > \"$PWD/A/evidence/a/planted.txt\"; ln -sfn \"$PWD/B\" \"$PWD/lnk\"";
    let yaml = format!("version: 1\nchecks:\n  - id: a\n    command: {{ run: '{script}' }}\n");
    let repo = temp_repo(&[("readiness.yaml", &yaml), ("A/.keep", "")]);
    std::fs::remove_file(repo.path().join("A/.keep")).unwrap();
    std::os::unix::fs::symlink(repo.path().join("A"), repo.path().join("lnk")).unwrap();
    let out = readyctl(repo.path(), &["check", "--out", "lnk"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("not sealed"), "{}", text(&out.stderr));
    assert!(!repo.path().join("A/manifest.json").exists(), "sealed a run never vetted");
    assert!(!repo.path().join("B/manifest.json").exists());
}
