//! CI outputs end to end (issue 18): SARIF from a built-in, a custom and a monorepo run is
//! accepted by the SARIF Multitool's GitHub rules (`validate --rule-kind Gh`, zero errors) and
//! the OASIS schema; every path in SARIF, annotations, GitLab Code Quality and JUnit is a file
//! of the repository, relative to its root; a run leaves `git status` clean; a closed stdout
//! ends any command quietly; `check --format sarif|junit|tap|gitlab|md`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::support::*;

/// A missing peer: SKIP locally, a failure under CI.
fn peer_missing(why: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("peer missing under CI: {why}");
    }
    eprintln!("SKIP: {why}");
}

/// The SARIF Multitool's native binary (npm `@microsoft/sarif-multitool`, installed by
/// scripts/install-node-test-deps.sh).
fn multitool() -> Option<PathBuf> {
    match std::env::var_os("READYCTL_TEST_SARIF_MULTITOOL") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            peer_missing(
                "READYCTL_TEST_SARIF_MULTITOOL is not set (scripts/install-node-test-deps.sh)",
            );
            None
        }
    }
}

/// `Sarif.Multitool validate --rule-kind KINDS`: the problems it reports at level error, as
/// `RULE: message` lines.
fn multitool_errors(tool: &Path, sarif: &Path, kinds: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("validation.sarif");
    let o = Command::new(tool)
        .args(["validate", "--rule-kind", kinds, "--output"])
        .arg(&out)
        .arg(sarif)
        .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
        .output()
        .expect("Sarif.Multitool runs");
    assert!(o.status.success() && out.is_file(), "{}{}", text(&o.stdout), text(&o.stderr));
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let results = log["runs"][0]["results"].as_array().cloned().unwrap_or_default();
    results
        .iter()
        .filter(|r| r["level"].as_str().unwrap_or("warning") == "error")
        .map(|r| format!("{}: {}", r["ruleId"], r["message"]))
        .collect()
}

fn oasis_errors(sarif: &serde_json::Value) -> Vec<String> {
    let path = repo_root().join("../shared/schemas/sarif-schema-2.1.0.json");
    if !path.is_file() {
        peer_missing(&format!("{} not found", path.display()));
        return Vec::new();
    }
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    validator.iter_errors(sarif).map(|e| format!("{e} at {}", e.instance_path)).collect()
}

/// Checks one SARIF file the way GitHub code scanning would take it, and that every
/// location is a file under `root`. Returns the parsed file.
fn assert_sarif_for_github(sarif_path: &Path, root: &Path) -> serde_json::Value {
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sarif_path).unwrap()).unwrap();
    assert_eq!(oasis_errors(&sarif), Vec::<String>::new());
    if let Some(tool) = multitool() {
        assert_eq!(multitool_errors(&tool, sarif_path, "Gh"), Vec::<String>::new());
    }
    let run = &sarif["runs"][0];
    assert!(run["originalUriBaseIds"]["%SRCROOT%"].is_object());
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty(), "the fixture has failures");
    for r in results {
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%", "{r}");
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap_or_else(|| panic!("{r}"));
        assert!(root.join(uri).is_file(), "{uri} is not a file of the repository ({r})");
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1, "{r}");
    }
    for rule in run["tool"]["driver"]["rules"].as_array().unwrap() {
        let (id, name) = (rule["id"].as_str().unwrap(), rule["name"].as_str().unwrap());
        assert!(name != id && name.chars().all(char::is_alphanumeric), "{id}: {name}");
        assert!(rule["help"]["markdown"].as_str().unwrap().contains("**"), "{rule}");
    }
    sarif
}

fn rules_by_id(sarif: &serde_json::Value) -> std::collections::HashMap<String, serde_json::Value> {
    sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap().to_string(), r.clone()))
        .collect()
}

fn git_repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let repo = temp_repo(files);
    git(repo.path(), &["init", "-q", "-b", "main"]);
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "-qm", "init"]);
    repo
}

fn run_in(cwd: &Path, args: &[&str], envs: &[(&str, &Path)]) -> std::process::Output {
    let mut c = Command::new(bin());
    c.args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_WORKSPACE")
        .env_remove("CI_PROJECT_DIR");
    for (k, v) in envs {
        c.env(k, v);
    }
    c.output().unwrap()
}

#[test]
fn builtin_run_sarif_is_accepted_by_github_code_scanning() {
    // What the GitHub Action runs by default: no readiness.yaml, the built-in for the stack.
    let repo = git_repo(&[
        ("Cargo.toml", "[package]\nname = \"x\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
        ("src/main.rs", "fn main() {}\n"),
    ]);
    let out = tempfile::tempdir().unwrap();
    let sarif = out.path().join("readyctl.sarif");
    let o = run_in(
        repo.path(),
        &["check", "--report", &format!("sarif={}", sarif.display()), "--report", "gitlab=-"],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let v = assert_sarif_for_github(&sarif, repo.path());
    // Checks of a built-in checklist have no file of their own: the detected manifest.
    let uris: Vec<&str> = v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap())
        .collect();
    assert!(uris.contains(&"Cargo.toml"), "{uris:?}");
    // GitLab Code Quality names repository files too, never `builtin:…`.
    let gl: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for issue in gl.as_array().unwrap() {
        let path = issue["location"]["path"].as_str().unwrap();
        assert!(repo.path().join(path).is_file(), "{issue}");
    }
    // security-severity and the security tag on the security checks only.
    for (id, rule) in rules_by_id(&v) {
        let tags: Vec<&str> = rule["properties"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t.as_str())
            .collect();
        let security = id.starts_with("security.");
        assert_eq!(tags.contains(&"security"), security, "{id}: {tags:?}");
        assert_eq!(rule["properties"]["security-severity"].is_string(), security, "{id}");
    }
    // The run leaves the repository clean: `.readyctl/` ignores itself.
    let status = git(repo.path(), &["status", "--porcelain", "--untracked-files=all"]);
    assert_eq!(text(&status.stdout), "");
    assert_eq!(
        std::fs::read_to_string(repo.path().join(".readyctl/.gitignore")).unwrap(),
        readyctl::run::rundir::GITIGNORE
    );
    // … and the run still verifies (the .gitignore is outside the run directory).
    let latest = repo.path().join(".readyctl/latest");
    let vr = run_in(repo.path(), &["verify", "--allow-unsigned", latest.to_str().unwrap()], &[]);
    assert_eq!(vr.status.code(), Some(0), "{}{}", text(&vr.stdout), text(&vr.stderr));
}

const CUSTOM: &str = r#"version: 1
name: custom
policy:
  fail_on: high
checks:
  - id: ok.readme
    severity: high
    file: { path: README.md }
  - id: bad.changelog
    title: A changelog is kept
    severity: high
    file: { path: CHANGELOG.md }
    remediation: Write a changelog.
    docs: https://keepachangelog.com/
  - id: security.no-keys
    title: No private key is committed
    area: security
    severity: critical
    search: { pattern: "BEGIN PRIVATE KEY", paths: ["**/*.pem"] }
  - id: bad.todo
    severity: low
    search: { pattern: "TODO", paths: ["src/**"] }
waivers:
  - check: bad.todo
    reason: tracked in REL-1
    approved_by: alice
    expires: 2999-01-01
"#;

#[test]
fn custom_run_sarif_is_accepted_by_github_code_scanning() {
    let repo = git_repo(&[
        ("readiness.yaml", CUSTOM),
        ("README.md", "# hi\n"),
        ("src/app.py", "x = 1\n# TODO: remove\n"),
        ("deploy/key.pem", "-----BEGIN PRIVATE KEY-----\n"),
    ]);
    let out = tempfile::tempdir().unwrap();
    let sarif = out.path().join("readyctl.sarif");
    let o = run_in(repo.path(), &["check", "--report", &format!("sarif={}", sarif.display())], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let v = assert_sarif_for_github(&sarif, repo.path());
    let results = v["runs"][0]["results"].as_array().unwrap();
    let at = |id: &str| -> (String, u64) {
        let r = results.iter().find(|r| r["ruleId"] == id).unwrap_or_else(|| panic!("{id}"));
        let loc = &r["locations"][0]["physicalLocation"];
        (
            loc["artifactLocation"]["uri"].as_str().unwrap().to_string(),
            loc["region"]["startLine"].as_u64().unwrap(),
        )
    };
    // A check without a finding: the checklist line that defines it.
    assert_eq!(at("bad.changelog"), ("readiness.yaml".to_string(), 9));
    assert_eq!(at("security.no-keys"), ("deploy/key.pem".to_string(), 1));
    assert_eq!(at("bad.todo"), ("src/app.py".to_string(), 2));
    let rules = rules_by_id(&v);
    let changelog = &rules["bad.changelog"];
    assert_eq!(changelog["name"], "AChangelogIsKept");
    let md = changelog["help"]["markdown"].as_str().unwrap();
    assert!(
        md.contains("Write a changelog.") && md.contains("(https://keepachangelog.com/)"),
        "{md}"
    );
    assert_eq!(rules["security.no-keys"]["properties"]["security-severity"], "9.5");
}

#[test]
fn monorepo_paths_are_relative_to_the_repository_root_everywhere() {
    let checklist = r#"version: 1
name: api
checks:
  - id: bad.todo
    severity: high
    search: { pattern: "TODO", paths: ["src/**"] }
  - id: bad.changelog
    severity: high
    file: { path: CHANGELOG.md }
"#;
    let repo = git_repo(&[
        ("README.md", "# monorepo\n"),
        ("services/api/readiness.yaml", checklist),
        ("services/api/src/app.py", "x = 1\n# TODO: remove\n"),
        ("services/web/package.json", "{}\n"),
    ]);
    let out = tempfile::tempdir().unwrap();
    let (sarif, junit) = (out.path().join("r.sarif"), out.path().join("junit.xml"));
    let summary = out.path().join("summary.md");
    let o = run_in(
        repo.path(),
        &[
            "check",
            "services/api",
            "--report",
            &format!("sarif={}", sarif.display()),
            "--report",
            &format!("junit={}", junit.display()),
            "--report",
            &format!("gitlab={}", out.path().join("gl.json").display()),
        ],
        &[("GITHUB_ACTIONS", Path::new("true")), ("GITHUB_STEP_SUMMARY", &summary)],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let v = assert_sarif_for_github(&sarif, repo.path());
    let uris: Vec<String> = v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let l = &r["locations"][0]["physicalLocation"];
            format!(
                "{}:{}",
                l["artifactLocation"]["uri"].as_str().unwrap(),
                l["region"]["startLine"]
            )
        })
        .collect();
    assert_eq!(uris, ["services/api/src/app.py:2", "services/api/readiness.yaml:7"]);
    let annotations = text(&o.stdout);
    assert!(annotations.contains("::error file=services/api/src/app.py,line=2,"), "{annotations}");
    assert!(
        annotations.contains("::error file=services/api/readiness.yaml,line=7,"),
        "{annotations}"
    );
    let gl: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("gl.json")).unwrap())
            .unwrap();
    let paths: Vec<&str> =
        gl.as_array().unwrap().iter().map(|i| i["location"]["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["services/api/src/app.py", "services/api/readiness.yaml"]);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains(r#"file="services/api/src/app.py" line="2""#), "{xml}");
    assert!(xml.contains(r#"file="services/api/readiness.yaml" line="7""#), "{xml}");

    // The same from inside the service directory, and with GITHUB_WORKSPACE naming the root.
    let o2 = run_in(
        &repo.path().join("services/api"),
        &["check", "--format", "sarif"],
        &[("GITHUB_WORKSPACE", repo.path())],
    );
    let v2: serde_json::Value = serde_json::from_slice(&o2.stdout).unwrap();
    assert_eq!(
        v2["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "services/api/readiness.yaml"
    );
    // Neither run left anything for `git status`.
    let status = git(repo.path(), &["status", "--porcelain", "--untracked-files=all"]);
    assert_eq!(text(&status.stdout), "");
}

#[test]
fn clean_worktree_check_ignores_readyctls_own_outputs() {
    let checklist = "version: 1\nname: clean\nchecks:\n  - id: repo.clean\n    severity: high\n    git: { clean: true }\n";
    let repo = git_repo(&[("readiness.yaml", checklist), ("README.md", "# x\n")]);
    // A managed run (.readyctl/), then a run whose --out is inside the repository.
    let first = run_in(repo.path(), &["check"], &[]);
    assert_eq!(first.status.code(), Some(0), "{}{}", text(&first.stdout), text(&first.stderr));
    let second = run_in(repo.path(), &["check", "--out", "ci-out/run", "--format", "json"], &[]);
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stdout));
    // Anything else still counts.
    std::fs::write(repo.path().join("notes.txt"), "x").unwrap();
    let third = run_in(repo.path(), &["check", "--format", "json"], &[]);
    assert_eq!(third.status.code(), Some(1));
    assert!(text(&third.stdout).contains("notes.txt"));
}

#[test]
fn format_is_short_for_a_report_on_stdout() {
    let repo = temp_repo(&[("readiness.yaml", CUSTOM), ("README.md", "# hi\n")]);
    for (format, starts) in [
        ("sarif", "{\n  \"$schema\""),
        ("junit", "<?xml"),
        ("tap", "TAP version 13"),
        ("gitlab", "[\n"),
        ("md", "# Readiness report: custom"),
        ("json", "{\n  \"tool\""),
    ] {
        let o = run_in(repo.path(), &["check", "--format", format], &[]);
        assert_eq!(o.status.code(), Some(1), "{format}: {}", text(&o.stderr));
        assert!(text(&o.stdout).starts_with(starts), "{format}: {}", text(&o.stdout));
        if format != "json" {
            // The verdict line goes to stderr.
            assert!(text(&o.stderr).contains("NOT READY"), "{format}: {}", text(&o.stderr));
        }
    }
    let both = run_in(repo.path(), &["check", "--format", "sarif", "--report", "tap=-"], &[]);
    assert_eq!(both.status.code(), Some(2));
    let help = run_in(repo.path(), &["check", "--help"], &[]);
    assert!(text(&help.stdout).contains("sarif"), "{}", text(&help.stdout));
}

/// Runs readyctl with its stdout a pipe whose reader is already gone.
fn with_closed_stdout(cwd: &Path, args: &[&str]) -> std::process::Output {
    let mut child = Command::new(bin())
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_stdout_ends_every_command_quietly() {
    let repo = temp_repo(&[("readiness.yaml", CUSTOM), ("README.md", "# hi\n")]);
    let run = repo.path().join("run");
    assert_eq!(
        run_in(repo.path(), &["check", "--out", run.to_str().unwrap()], &[]).status.code(),
        Some(1)
    );
    let run = run.to_str().unwrap();
    for args in [
        vec!["schema"],
        vec!["list"],
        vec!["list", "--format", "json"],
        vec!["check", "--format", "sarif"],
        vec!["check"],
        vec!["report", run, "--format", "md"],
        vec!["verify", "--allow-unsigned", run],
        vec!["diff", run, run],
        vec!["badge", run, "-o", "-"],
    ] {
        let o = with_closed_stdout(repo.path(), &args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o.stderr));
        assert_eq!(text(&o.stderr).matches("error").count(), 0, "{args:?}: {}", text(&o.stderr));
        assert!(!text(&o.stderr).contains("panicked"), "{args:?}");
    }
    // Through a shell pipeline too, as people type it.
    let o = Command::new("bash")
        .args(["-c", &format!("set -o pipefail; '{}' schema | head -1", bin().display())])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "{\n");
    assert_eq!(text(&o.stderr), "");
}

#[test]
fn sarif_stops_at_githubs_25000_results_and_says_so() {
    let mut record = crate::reports::sample_record();
    let template = record.results.iter().find(|r| r.id == "security.no-keys").unwrap().clone();
    let location = template.locations[0].clone();
    record.results.clear();
    for i in 0..30 {
        let mut r = template.clone();
        r.id = format!("security.no-keys-{i}");
        // 1,200 per check: 1,000 are reported, 200 left out per check.
        r.locations = (0..1200)
            .map(|n| readyctl::outcome::Location { line: Some(n + 1), ..location.clone() })
            .collect();
        record.results.push(r);
    }
    let v = readyctl::report::sarif::render(&record);
    let run = &v["runs"][0];
    assert_eq!(run["results"].as_array().unwrap().len(), readyctl::report::sarif::MAX_RESULTS);
    let notes = run["invocations"][0]["toolExecutionNotifications"].as_array().unwrap();
    let text = notes[0]["message"]["text"].as_str().unwrap();
    // 30 × 200 beyond the per-check limit, and 5 checks × 1,000 beyond the run's.
    assert!(text.starts_with("11000 results were left out"), "{text}");
    assert_eq!(oasis_errors(&v), Vec::<String>::new());
    // Under the limit, no notification.
    record.results.truncate(2);
    for r in &mut record.results {
        r.locations.truncate(10);
    }
    let small = readyctl::report::sarif::render(&record);
    assert!(small["runs"][0]["invocations"][0].get("toolExecutionNotifications").is_none());
}

#[test]
fn checks_run_with_the_default_sigpipe_disposition() {
    // readyctl (like every Rust program) ignores SIGPIPE for itself; the commands it runs must
    // get the default back, or `producer | head` inside a check would behave unlike a shell.
    let checklist = "version: 1\nname: sigpipe\nchecks:\n  - id: sig.mask\n    command: { run: \"grep SigIgn /proc/self/status\" }\n";
    let repo = temp_repo(&[("readiness.yaml", checklist)]);
    let run = repo.path().join("run");
    let o = run_in(repo.path(), &["check", "--out", run.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    let log = std::fs::read_to_string(run.join("evidence/sig.mask/stdout.log")).unwrap();
    let mask = log.trim().strip_prefix("SigIgn:").unwrap().trim();
    let mask = u64::from_str_radix(mask, 16).unwrap();
    assert_eq!(mask & (1 << (13 - 1)), 0, "SIGPIPE is ignored in checks: {log}");
}
