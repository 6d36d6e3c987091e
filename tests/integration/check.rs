//! `readyctl check` end to end on the demo fixture and on purpose-built repositories.

use std::time::{Duration, Instant};

use crate::support::*;

fn demo_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo_root().join("fixtures/demo"), dir.path());
    dir
}

/// Replaces what varies between runs (times, ids, durations) with placeholders.
fn redact_record(v: &mut serde_json::Value) {
    // The demo's web service listens on a free port each run.
    let port = regex::Regex::new(r"127\.0\.0\.1:\d+").unwrap();
    let text = port.replace_all(&v.to_string(), "127.0.0.1:[PORT]").into_owned();
    *v = serde_json::from_str(&text).unwrap();
    let trailing_port = regex::Regex::new(r" \d+$").unwrap();
    // The resolved checklist embeds that port (`${demo_port}`), so its digest varies too.
    v["checklist"]["sha256"] = "[SHA256]".into();
    if let Some(services) = v.get_mut("services").and_then(|s| s.as_array_mut()) {
        for s in services {
            if let Some(cmd) = s["command"].as_str() {
                let cmd = trailing_port.replace(cmd, " [PORT]").into_owned();
                s["command"] = cmd.into();
            }
            for key in ["start_ms", "ready_ms", "stop_ms"] {
                if s.get(key).is_some() {
                    s[key] = 0.into();
                }
            }
        }
    }
    v["run"]["id"] = "[RUN_ID]".into();
    v["run"]["started"] = "[TIME]".into();
    v["run"]["finished"] = "[TIME]".into();
    v["run"]["invocation"] = serde_json::json!(["[ARGS]"]);
    let millis = regex::Regex::new(r" in [0-9.]+ ms").unwrap();
    for r in v["results"].as_array_mut().unwrap() {
        r["duration_ms"] = 0.into();
        if let Some(reason) = r["reason"].as_str() {
            r["reason"] = millis.replace_all(reason, " in [N] ms").into_owned().into();
        }
        if let Some(ms) = r.get_mut("measurements").and_then(|m| m.as_array_mut()) {
            for m in ms.iter_mut().filter(|m| m["name"] == "duration" || m["unit"] == "ms") {
                m["value"] = 0.into();
            }
        }
        // Network exchanges carry timings and dates.
        let network = matches!(r["probe"].as_str(), Some("http" | "tcp"));
        if let Some(ev) = r.get_mut("evidence").and_then(|e| e.as_array_mut()) {
            for e in
                ev.iter_mut().filter(|e| network || e["path"].as_str().unwrap().ends_with(".log"))
            {
                e["sha256"] = "[SHA256]".into();
                e["size"] = 0.into();
            }
        }
    }
}

#[test]
fn demo_json_document() {
    let repo = demo_copy();
    let out = tempfile::tempdir().unwrap();
    let run_dir = out.path().join("run");
    let o =
        readyctl(repo.path(), &["check", "--format", "json", "--out", run_dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "demo is NOT READY: {}", text(&o.stderr));
    let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    redact_record(&mut v);
    insta::assert_json_snapshot!("demo_json", v);
}

#[test]
fn demo_table() {
    let repo = demo_copy();
    let out = tempfile::tempdir().unwrap();
    let run_dir = out.path().join("run");
    let o =
        readyctl(repo.path(), &["check", "--format", "json", "--out", run_dir.to_str().unwrap()]);
    let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    redact_record(&mut v);
    let record: readyctl::record::RunRecord = serde_json::from_value(v).unwrap();
    let style = readyctl::report::style::Style { color: false };
    let wide = readyctl::report::terminal::Layout { width: 120, ascii: false };
    let table = readyctl::report::terminal::table(&record, style, wide);
    let summary = readyctl::report::terminal::summary(&record, style, "[RUN_DIR]");
    insta::assert_snapshot!("demo_table", format!("{table}\n{summary}"));
}

#[test]
fn run_directory_is_complete_and_sha256sums_verifies() {
    let repo = demo_copy();
    let o = readyctl(repo.path(), &["check"]);
    assert_eq!(o.status.code(), Some(1));
    let latest = repo.path().join(".readyctl/latest");
    let run = std::fs::canonicalize(&latest).expect("latest points at the run");
    for f in ["manifest.json", "report.md", "SHA256SUMS", "evidence/tests.unit/stderr.log"] {
        assert!(run.join(f).is_file(), "{f} missing");
    }
    let sums = std::process::Command::new("sha256sum")
        .arg("-c")
        .arg("--quiet")
        .arg("SHA256SUMS")
        .current_dir(&run)
        .output()
        .unwrap();
    assert!(sums.status.success(), "{}", text(&sums.stdout));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(manifest["predicate"]["summary"]["verdict"], "NOT READY");
}

#[test]
fn exit_codes_follow_the_verdict() {
    let ready = temp_repo(&[(
        "readiness.yaml",
        "version: 1\nchecks:\n  - id: a\n    severity: high\n    command: { run: 'true' }\n",
    )]);
    assert_eq!(readyctl(ready.path(), &["check"]).status.code(), Some(0));
    let not_ready = temp_repo(&[(
        "readiness.yaml",
        "version: 1\nchecks:\n  - id: a\n    severity: high\n    command: { run: 'false' }\n",
    )]);
    assert_eq!(readyctl(not_ready.path(), &["check"]).status.code(), Some(1));
    let incomplete = temp_repo(&[(
        "readiness.yaml",
        "version: 1\nchecks:\n  - id: a\n    severity: high\n    command: { run: [no-such-program-xyz] }\n",
    )]);
    let o = readyctl(incomplete.path(), &["check"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        text(&o.stdout).contains("command not found: `no-such-program-xyz`"),
        "{}",
        text(&o.stdout)
    );
    // A low-severity failure does not block.
    let low = temp_repo(&[(
        "readiness.yaml",
        "version: 1\nchecks:\n  - id: a\n    severity: low\n    command: { run: 'false' }\n  - id: b\n    severity: high\n    command: { run: 'true' }\n",
    )]);
    assert_eq!(readyctl(low.path(), &["check"]).status.code(), Some(0));
}

/// A check written without a severity blocks: failing, it is NOT READY; when every check
/// errors, the run is INCOMPLETE, never "READY · score 0"; and a run of only non-blocking
/// passes says nothing blocking was verified.
#[test]
fn unmarked_checks_block_and_nothing_verified_is_not_ready() {
    let failing = temp_repo(&[(
        "readiness.yaml",
        "version: 1\nchecks:\n  - id: a\n    command: { run: 'false' }\n",
    )]);
    assert_eq!(readyctl(failing.path(), &["check"]).status.code(), Some(1));
    let erroring = temp_repo(&[(
        "readiness.yaml",
        "version: 1\nchecks:\n  - id: a\n    command: { run: [no-such-program-xyz] }\n  - id: b\n    command: { run: [no-such-program-abc] }\n",
    )]);
    let o = readyctl(erroring.path(), &["check", "--format", "json"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stdout));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["summary"]["verdict"], "INCOMPLETE");
    assert_eq!(v["policy"]["verdict_rule"], 2);
    assert_eq!(v["results"][0]["severity"], "high");
    let low_only = temp_repo(&[(
        "readiness.yaml",
        "version: 1\nchecks:\n  - id: a\n    severity: low\n    command: { run: 'true' }\n",
    )]);
    let o = readyctl(low_only.path(), &["check"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(text(&o.stdout).contains("nothing blocking was verified"), "{}", text(&o.stdout));
}

#[test]
fn only_selects_and_pulls_in_dependencies() {
    let repo = temp_repo(&[(
        "readiness.yaml",
        "version: 1\nchecks:\n  - id: build\n    command: { run: 'true' }\n  - id: tests.a\n    needs: [build]\n    command: { run: 'true' }\n  - id: other\n    command: { run: 'false' }\n",
    )]);
    let o = readyctl(repo.path(), &["check", "--only", "tests.*", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: Vec<&str> =
        v["results"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["build", "tests.a"]);
    assert!(text(&o.stderr).contains("also running dependencies: build"));
}

#[test]
fn timeout_kills_the_whole_process_tree() {
    let marker = format!("61.{}", std::process::id());
    let yaml = format!(
        "version: 1\nchecks:\n  - id: hang\n    severity: high\n    timeout: 1s\n    command: {{ run: \"trap '' TERM; (trap '' TERM; sleep {marker}) & sleep {marker}; wait\" }}\n"
    );
    let repo = temp_repo(&[("readiness.yaml", &yaml)]);
    let started = Instant::now();
    let o = readyctl(repo.path(), &["check", "--format", "json"]);
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    assert_eq!(o.status.code(), Some(3), "a timeout is an error: INCOMPLETE");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["results"][0]["status"], "error");
    assert!(v["results"][0]["reason"].as_str().unwrap().contains("timed out after 1s"));
    assert!(gone(&format!("sleep {marker}")), "a process outlived its check");
}

#[test]
fn ctrl_c_leaves_a_readable_interrupted_run() {
    let marker = format!("62.{}", std::process::id());
    let yaml = format!(
        "version: 1\nchecks:\n  - id: quick\n    command: {{ run: 'true' }}\n  - id: slow\n    command: {{ run: 'sleep {marker}' }}\n  - id: after\n    needs: [slow]\n    command: {{ run: 'true' }}\n"
    );
    let repo = temp_repo(&[("readiness.yaml", &yaml)]);
    let run_dir = repo.path().join("run");
    let mut child = std::process::Command::new(bin())
        .args(["check", "--out", run_dir.to_str().unwrap(), "--format", "json"])
        .current_dir(repo.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the slow check is running.
    let until = Instant::now() + Duration::from_secs(10);
    while !process_with(&format!("sleep {marker}")) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: sending a signal to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let started = Instant::now();
    let status = child.wait().unwrap();
    assert!(started.elapsed() < Duration::from_secs(8));
    assert_eq!(status.code(), Some(130));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("manifest.json")).unwrap()).unwrap();
    let p = &manifest["predicate"];
    assert_eq!(p["run"]["interrupted"], true);
    assert_eq!(p["summary"]["verdict"], "INCOMPLETE");
    let status_of = |id: &str| {
        p["results"].as_array().unwrap().iter().find(|r| r["id"] == id).unwrap()["status"].clone()
    };
    assert_eq!(status_of("quick"), "pass");
    assert_eq!(status_of("slow"), "error");
    assert_eq!(status_of("after"), "skip");
    assert!(gone(&format!("sleep {marker}")));
}

#[test]
fn secrets_never_reach_the_run_directory() {
    let repo = temp_repo(&[(
        "readiness.yaml",
        "version: 1\nsecrets: [DEMO_DB_URL]\nchecks:\n  - id: leak\n    command: { run: 'echo \"url=$DEMO_DB_URL tok=$MY_API_TOKEN\"; echo $DEMO_DB_URL >&2; exit 1' }\n",
    )]);
    let o = std::process::Command::new(bin())
        .args(["check", "--format", "json", "--out", "run"])
        .current_dir(repo.path())
        .env("DEMO_DB_URL", "postgres://u:hunter2-very-secret@db/x")
        .env("MY_API_TOKEN", "tok_abcdef123456")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "a check without a severity blocks");
    for entry in walkdir::WalkDir::new(repo.path().join("run")) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let content = std::fs::read_to_string(entry.path()).unwrap();
            assert!(!content.contains("hunter2-very-secret"), "{} leaks", entry.path().display());
            assert!(!content.contains("tok_abcdef123456"), "{} leaks", entry.path().display());
        }
    }
    assert!(!text(&o.stdout).contains("hunter2-very-secret"));
    assert!(text(&o.stdout).contains("[REDACTED:"));
}

#[test]
fn builtin_is_used_and_named_when_no_checklist() {
    let repo = temp_repo(&[("Cargo.toml", "[package]\nname = \"x\"\n")]);
    let o = readyctl(repo.path(), &["list"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("using builtin:rust-service (found Cargo.toml)"));
    assert!(text(&o.stdout).contains("tests.cargo"));
}

/// The built-ins' vacuous passes (issue 16): D18, a package.json with no test script passes
/// `build.test-script`; D12, a requirements.txt of ranges passes `build.dependencies-pinned`.
#[test]
fn builtin_checks_look_at_what_they_claim() {
    let status = |o: &std::process::Output, id: &str| -> (String, String) {
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let r = v["results"].as_array().unwrap().iter().find(|r| r["id"] == id).unwrap().clone();
        (r["status"].as_str().unwrap().to_string(), r["reason"].as_str().unwrap().to_string())
    };
    let args = ["check", "--only", "build.*", "--format", "json"];
    // A package.json with dependencies (`{}` alone is not a Node project) but no test script.
    let node =
        temp_repo(&[("package.json", r#"{"name": "web", "dependencies": {"express": "4.21.2"}}"#)]);
    let (st, reason) = status(&readyctl(node.path(), &args), "build.test-script");
    assert_eq!(st, "fail", "{reason}");
    let node = temp_repo(&[("package.json", r#"{"scripts": {"test": "jest"}}"#)]);
    assert_eq!(status(&readyctl(node.path(), &args), "build.test-script").0, "pass");
    let py = temp_repo(&[
        ("requirements.txt", "-r requirements/base.txt\n"),
        ("requirements/base.txt", "Django>=6.0,<6.1\nwagtail>=7.4,<7.5\nrequests\n"),
    ]);
    let (st, reason) = status(&readyctl(py.path(), &args), "build.dependencies-pinned");
    assert_eq!(st, "fail", "{reason}");
    assert!(
        reason.contains(
            "requirements/base.txt: Django>=6.0,<6.1, wagtail>=7.4,<7.5, requests (no version)"
        ),
        "{reason}"
    );
}

#[test]
fn init_writes_a_checklist_that_loads_and_refuses_to_overwrite() {
    let repo =
        temp_repo(&[("pyproject.toml", "[project]\nname = \"x\"\n"), (".gitignore", "dist/\n")]);
    assert_eq!(readyctl(repo.path(), &["init"]).status.code(), Some(0));
    let text_ = std::fs::read_to_string(repo.path().join("readiness.yaml")).unwrap();
    assert!(text_.starts_with("# yaml-language-server: $schema="));
    assert!(text_.contains("builtin:python-service"));
    assert!(
        std::fs::read_to_string(repo.path().join(".gitignore")).unwrap().contains(".readyctl/")
    );
    let o = readyctl(repo.path(), &["list", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = readyctl(repo.path(), &["init"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--force"));
}

#[test]
fn every_builtin_check_has_title_area_severity_level_remediation_and_docs() {
    let areas = ["testing", "security", "operability", "data", "documentation", "delivery"];
    let mut seen_areas = std::collections::BTreeSet::new();
    for name in [
        "base",
        "rust-service",
        "python-service",
        "node-service",
        "go-service",
        "java-service",
        "ruby-service",
        "buyer-proof-pack",
    ] {
        let o = readyctl(
            &repo_root(),
            &["list", "--checklist", &format!("builtin:{name}"), "--format", "json"],
        );
        assert_eq!(o.status.code(), Some(0), "{name}: {}", text(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let checks = v["checks"].as_array().unwrap();
        assert!(checks.len() >= 5, "{name} has {} checks", checks.len());
        for c in checks {
            let id = c["id"].as_str().unwrap();
            for key in ["title", "severity", "level", "remediation", "docs"] {
                let val = c[key].as_str().unwrap_or("");
                assert!(!val.trim().is_empty(), "builtin:{name} {id}: no {key}");
            }
            assert!(c["docs"].as_str().unwrap().starts_with("https://"), "{name} {id}");
            let area = c["area"].as_str().unwrap_or("");
            assert!(areas.contains(&area), "builtin:{name} {id}: area {area:?}");
            seen_areas.insert(area.to_string());
        }
    }
    assert_eq!(seen_areas.len(), areas.len(), "areas used: {seen_areas:?}");
}

#[test]
fn schema_validates_every_builtin_checklist() {
    let o = readyctl(&repo_root(), &["schema"]);
    let schema: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema is a valid JSON Schema");
    for entry in std::fs::read_dir(repo_root().join("checklists")).unwrap() {
        let path = entry.unwrap().path();
        let doc: serde_json::Value =
            serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let errors: Vec<String> =
            validator.iter_errors(&doc).map(|e| format!("{} at {}", e, e.instance_path)).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    }
    let demo: serde_json::Value = serde_yaml::from_str(
        &std::fs::read_to_string(repo_root().join("fixtures/demo/readiness.yaml")).unwrap(),
    )
    .unwrap();
    assert!(validator.is_valid(&demo));
    // Two probe keys violate the schema's oneOf, as they violate the loader.
    let two: serde_json::Value = serde_json::json!({"version": 1, "checks": [{"id": "x", "command": {"run": "true"}, "file": {"path": "a"}}]});
    assert!(!validator.is_valid(&two));
    let typo: serde_json::Value =
        serde_json::json!({"version": 1, "checks": [{"id": "x", "file": {"pth": "a"}}]});
    assert!(!validator.is_valid(&typo));
}

fn lcov(hit: usize, total: usize) -> String {
    let mut s = String::from("TN:\nSF:src/a.rs\n");
    for i in 1..=total {
        s.push_str(&format!("DA:{i},{}\n", usize::from(i <= hit)));
    }
    s.push_str("end_of_record\n");
    s
}

#[test]
fn coverage_max_drop_compares_with_the_baseline_run() {
    let base = "version: 1\nchecks:\n  - id: coverage.lines\n    severity: high\n    coverage: { report: lcov.info, min_lines: 50 }\n";
    let gated = |max: u32| {
        format!(
            "version: 1\nchecks:\n  - id: coverage.lines\n    severity: high\n    coverage: {{ report: lcov.info, max_drop: {max} }}\n"
        )
    };
    let repo = temp_repo(&[
        ("lcov.info", &lcov(8, 10)),
        ("base.yaml", base),
        ("tight.yaml", &gated(5)),
        ("loose.yaml", &gated(15)),
    ]);
    // No baseline yet: max_drop cannot be judged, so the check errors (INCOMPLETE), never passes.
    let o = readyctl(
        repo.path(),
        &["check", "--checklist", "tight.yaml", "--format", "json", "--out", "r0"],
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stdout));
    assert!(text(&o.stdout).contains("no baseline to compare with"));
    // The baseline: 80%.
    assert_eq!(
        readyctl(repo.path(), &["check", "--checklist", "base.yaml"]).status.code(),
        Some(0)
    );
    std::fs::write(repo.path().join("lcov.info"), lcov(7, 10)).unwrap();
    // 80% → 70%: a 10-point drop fails max_drop 5 and passes max_drop 15.
    let o = readyctl(
        repo.path(),
        &["check", "--checklist", "tight.yaml", "--format", "json", "--out", "r1"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    assert!(
        text(&o.stdout).contains("dropped 10.00 points (80.00% → 70.00%)"),
        "{}",
        text(&o.stdout)
    );
    let o = readyctl(repo.path(), &["check", "--checklist", "loose.yaml", "--out", "r2"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
}
