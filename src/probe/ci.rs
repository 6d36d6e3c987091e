//! `ci`: the repository's CI configuration (GitHub Actions, GitLab CI, CircleCI, Jenkins) runs
//! the project's tests, and optionally readyctl. YAML configurations are parsed and every
//! `run:` / `script:` / `command:` step collected; a Jenkinsfile is read as text, one line per
//! command. No CI configuration is a `fail`; a configuration that does not parse is an `error`
//! naming file:line.

use std::path::Path;

use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_yaml::Value;

use super::{Artifact, ProbeContext, ProbeIssue};
use crate::outcome::{Location, Measurement, ProbeOutcome};

/// Claims about the CI configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Regex a CI command must match to count as running the tests (default: the usual test
    /// runners of the detected ecosystems, e.g. `cargo (test|nextest)`, `pytest`, `npm test`, `go test`, `make test`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tests: Option<String>,
    /// A CI step also runs readyctl (a command starting `readyctl`, or a `uses:` of a readyctl action).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub readyctl: bool,
}

/// Test runner patterns by ecosystem: (manifest files, regex).
const RUNNERS: &[(&[&str], &str)] = &[
    (&["Cargo.toml"], r"\bcargo\s+(\+\S+\s+)?(test|nextest|llvm-cov)\b"),
    (
        &["pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "tox.ini", "Pipfile"],
        r"\b(pytest|py\.test|python3?\s+-m\s+(pytest|unittest)|tox|nox)\b",
    ),
    (
        &["package.json"],
        r"\b((npm|pnpm|yarn|bun)\s+(run\s+)?test|npx\s+(jest|vitest)|jest|vitest|mocha)\b",
    ),
    (&["go.mod"], r"\bgo\s+test\b|\bgotestsum\b"),
];
/// Test targets of task runners, valid for every ecosystem.
const TASK_RUNNERS: &str = r"\b(make|just|task)\s+(\S+\s+)*(test|tests|check)\b";

const READYCTL: &str = r"(^|[\s/;&|])readyctl(\s|$)";

pub fn validate(spec: &Spec) -> Vec<ProbeIssue> {
    let mut issues = Vec::new();
    if let Some(p) = &spec.tests
        && let Err(e) = Regex::new(p)
    {
        issues.push(ProbeIssue::new("tests", super::regex_error(p, &e)));
    }
    issues
}

/// One command found in a CI configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub path: String,
    pub line: Option<u64>,
    pub command: String,
    /// `uses:` steps (GitHub Actions) carry the action reference instead of a command.
    pub uses: bool,
    /// The step's `working-directory` (GitHub Actions), relative to the repository.
    pub workdir: Option<String>,
    /// For a line of a script a CI step runs: `file:line` of that step.
    pub via: Option<String>,
}

/// The CI configuration files present in `repo`, relative paths, sorted.
pub fn find_configs(repo: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for dir in [".github/workflows"] {
        if let Ok(rd) = std::fs::read_dir(repo.join(dir)) {
            let mut names: Vec<String> = rd
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".yml") || n.ends_with(".yaml"))
                .collect();
            names.sort();
            found.extend(names.into_iter().map(|n| format!("{dir}/{n}")));
        }
    }
    for f in [".gitlab-ci.yml", ".circleci/config.yml", "Jenkinsfile"] {
        if repo.join(f).is_file() {
            found.push(f.to_string());
        }
    }
    found
}

/// The CI system a configuration path belongs to.
pub fn system_of(path: &str) -> &'static str {
    if path.starts_with(".github/") {
        "GitHub Actions"
    } else if path.starts_with(".gitlab") {
        "GitLab CI"
    } else if path.starts_with(".circleci/") {
        "CircleCI"
    } else {
        "Jenkins"
    }
}

/// Every command in one CI configuration; `Err` names file:line for YAML that does not parse.
pub fn collect_steps(rel: &str, text: &str) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    if rel.ends_with("Jenkinsfile") {
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() || t.starts_with("//") {
                continue;
            }
            steps.push(Step {
                path: rel.into(),
                line: Some(i as u64 + 1),
                command: t.to_string(),
                uses: false,
                workdir: None,
                via: None,
            });
        }
        return Ok(steps);
    }
    let value: Value = serde_yaml::from_str(text).map_err(|e| match e.location() {
        Some(l) => format!("{rel}:{}:{}: invalid YAML: {}", l.line(), l.column(), yaml_message(&e)),
        None => format!("{rel}: invalid YAML: {e}"),
    })?;
    let mut raw = Vec::new();
    walk(&value, &mut raw);
    let mut from = 0usize;
    for (command, uses, workdir) in raw {
        let line = line_of(text, &command, &mut from);
        steps.push(Step { path: rel.into(), line, command, uses, workdir, via: None });
    }
    Ok(steps)
}

/// serde_yaml's message without its ` at line L column C` (the caller prints the position,
/// which for a split document differs from serde_yaml's).
pub fn yaml_message(e: &serde_yaml::Error) -> String {
    let re = Regex::new(r" at line \d+ column \d+").expect("constant regex");
    re.replace_all(&e.to_string(), "").into_owned()
}

/// Collects `(command, is_uses, working_directory)` in document order.
fn walk(v: &Value, out: &mut Vec<(String, bool, Option<String>)>) {
    match v {
        Value::Mapping(m) => {
            let workdir = m.get("working-directory").and_then(Value::as_str).map(String::from);
            for (k, val) in m {
                let key = k.as_str().unwrap_or("");
                match key {
                    // GitHub `run:`, CircleCI `run:` (string or `{command:}`).
                    "run" | "command" | "script" | "before_script" | "after_script" => {
                        push_commands(val, &workdir, out);
                        if matches!(val, Value::Mapping(_)) {
                            walk(val, out);
                        }
                    }
                    "uses" => {
                        if let Some(s) = val.as_str() {
                            out.push((s.to_string(), true, None));
                        }
                    }
                    _ => walk(val, out),
                }
            }
        }
        Value::Sequence(s) => s.iter().for_each(|x| walk(x, out)),
        Value::Tagged(t) => walk(&t.value, out),
        _ => {}
    }
}

fn push_commands(
    v: &Value,
    workdir: &Option<String>,
    out: &mut Vec<(String, bool, Option<String>)>,
) {
    match v {
        Value::String(s) => out.push((s.clone(), false, workdir.clone())),
        Value::Sequence(items) => items.iter().for_each(|x| push_commands(x, workdir, out)),
        _ => {}
    }
}

/// Line (1-based) of the first non-empty line of `command` in `text`, searching from `from`
/// (steps come in document order) and falling back to the whole text.
fn line_of(text: &str, command: &str, from: &mut usize) -> Option<u64> {
    let needle = command.lines().map(str::trim).find(|l| !l.is_empty())?;
    let hit = text[*from..].find(needle).map(|i| i + *from).or_else(|| text.find(needle))?;
    *from = hit + needle.len();
    Some(text[..hit].matches('\n').count() as u64 + 1)
}

/// Lines of the shell scripts a step runs (`bash scripts/test.sh`, `./ci/test.sh`, `sh x.sh`),
/// followed two levels deep, as steps pointing back at the CI line that runs them.
pub fn script_steps(repo: &Path, step: &Step, depth: u8) -> Vec<Step> {
    let re = Regex::new(
        r"(?:^|[\s;&|(])(?:(?:bash|sh|zsh|source|\.)\s+)?((?:\./)?[A-Za-z0-9_./-]+\.sh)\b",
    )
    .expect("constant regex");
    let mut out = Vec::new();
    if depth == 0 || step.uses {
        return out;
    }
    let base = step.workdir.clone().unwrap_or_default();
    for c in re.captures_iter(&step.command) {
        let script = c[1].trim_start_matches("./");
        let rel = if base.is_empty() {
            script.to_string()
        } else {
            format!("{}/{script}", base.trim_end_matches('/'))
        };
        let Ok(text) = std::fs::read_to_string(repo.join(&rel)) else { continue };
        // Scripts call their siblings relative to the same working directory.
        let via =
            step.via.clone().unwrap_or_else(|| format!("{}:{}", step.path, step.line.unwrap_or(0)));
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let s = Step {
                path: rel.clone(),
                line: Some(i as u64 + 1),
                command: t.to_string(),
                uses: false,
                workdir: step.workdir.clone(),
                via: Some(via.clone()),
            };
            out.extend(script_steps(repo, &s, depth - 1));
            out.push(s);
        }
    }
    out
}

/// The default tests regex for the ecosystems detected in `repo` (all of them when none is).
pub fn default_tests_regex(repo: &Path) -> String {
    let mut parts: Vec<&str> = RUNNERS
        .iter()
        .filter(|(manifests, _)| manifests.iter().any(|m| repo.join(m).exists()))
        .map(|(_, re)| *re)
        .collect();
    if parts.is_empty() {
        parts = RUNNERS.iter().map(|(_, re)| *re).collect();
    }
    parts.push(TASK_RUNNERS);
    parts.iter().map(|p| format!("(?:{p})")).collect::<Vec<_>>().join("|")
}

fn loc(s: &Step, message: String, rule: &str) -> Location {
    Location {
        path: s.path.clone(),
        line: s.line,
        column: None,
        message: Some(message),
        rule: Some(rule.into()),
    }
}

fn first_line(s: &str) -> String {
    let l = s.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    if l.chars().count() > 80 {
        format!("{}…", l.chars().take(80).collect::<String>())
    } else {
        l.into()
    }
}

pub fn run(spec: &Spec, ctx: &ProbeContext) -> ProbeOutcome {
    if let Some(o) = super::invalid_spec("ci", &validate(spec)) {
        return o;
    }
    let configs = find_configs(ctx.repo);
    if configs.is_empty() {
        return ProbeOutcome::fail(
            "no CI configuration found (.github/workflows/*.yml, .gitlab-ci.yml, .circleci/config.yml, Jenkinsfile); add a pipeline that runs the tests on every change",
        );
    }
    let mut steps = Vec::new();
    for rel in &configs {
        let path = ctx.repo.join(rel);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => return ProbeOutcome::error(format!("cannot read {rel}: {e}")),
        };
        match collect_steps(rel, &text) {
            Ok(s) => steps.extend(s),
            Err(e) => return ProbeOutcome::error(e),
        }
    }
    let mut from_scripts = Vec::new();
    for s in &steps {
        from_scripts.extend(script_steps(ctx.repo, s, 2));
    }
    steps.extend(from_scripts);
    let pattern = spec.tests.clone().unwrap_or_else(|| default_tests_regex(ctx.repo));
    let tests_re = match Regex::new(&pattern) {
        Ok(r) => r,
        Err(e) => return ProbeOutcome::error(super::regex_error(&pattern, &e)),
    };
    let readyctl_re = Regex::new(READYCTL).expect("constant regex");
    let commands: Vec<&Step> = steps.iter().filter(|s| !s.uses).collect();
    let test_steps: Vec<&Step> =
        commands.iter().copied().filter(|s| tests_re.is_match(&s.command)).collect();
    let readyctl_steps: Vec<&Step> = steps
        .iter()
        .filter(|s| {
            if s.uses {
                s.command.to_ascii_lowercase().contains("readyctl")
            } else {
                s.command.lines().any(|l| readyctl_re.is_match(l.trim()))
            }
        })
        .collect();

    let mut out;
    let systems: Vec<&str> = {
        let mut v: Vec<&str> = configs.iter().map(|c| system_of(c)).collect();
        v.dedup();
        v
    };
    if test_steps.is_empty() {
        let files = if configs.len() <= 2 {
            configs.join(", ")
        } else {
            format!("{} {} files", configs.len(), systems.join("/"))
        };
        out = ProbeOutcome::fail(format!(
            "none of the {} commands in {files} (and the scripts they call) runs the tests (looked for {}); add a test step to the pipeline",
            commands.len(),
            spec.tests
                .as_deref()
                .map(|t| format!("/{t}/"))
                .unwrap_or_else(|| "the usual test runners".into())
        ));
    } else if spec.readyctl && readyctl_steps.is_empty() {
        out = ProbeOutcome::fail(format!(
            "{} runs the tests but no step runs readyctl; add `readyctl check --sign` (or the readyctl action) to the pipeline",
            systems.join(", ")
        ));
    } else {
        let s = test_steps[0];
        let via = s.via.as_deref().map(|v| format!(", run from {v}")).unwrap_or_default();
        out = ProbeOutcome::pass(format!(
            "{} runs the tests (`{}` at {}:{}{via}){}",
            systems.join(", "),
            first_line(&s.command),
            s.path,
            s.line.unwrap_or(0),
            if spec.readyctl { " and readyctl" } else { "" }
        ));
    }
    out.measurements.push(Measurement::new("ci_files", configs.len() as f64, "count"));
    out.measurements.push(Measurement::new("commands", commands.len() as f64, "count"));
    out.measurements.push(
        Measurement::new("test_steps", test_steps.len() as f64, "count").with_threshold(">= 1"),
    );
    if spec.readyctl {
        out.measurements.push(
            Measurement::new("readyctl_steps", readyctl_steps.len() as f64, "count")
                .with_threshold(">= 1"),
        );
    }
    for s in test_steps.iter().take(20) {
        out.locations.push(loc(
            s,
            format!("runs the tests: `{}`", first_line(&s.command)),
            "tests",
        ));
    }
    for s in readyctl_steps.iter().take(20) {
        out.locations.push(loc(
            s,
            format!("runs readyctl: `{}`", first_line(&s.command)),
            "readyctl",
        ));
    }
    let summary = serde_json::json!({
        "configs": configs,
        "tests_pattern": pattern,
        "steps": steps.iter().map(|s| serde_json::json!({
            "path": s.path, "line": s.line, "command": s.command, "uses": s.uses, "via": s.via,
            "runs_tests": !s.uses && tests_re.is_match(&s.command),
        })).collect::<Vec<_>>(),
    });
    out.with_artifact(Artifact::json("summary.json", &summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_in(dir: &Path, spec: &Spec) -> ProbeOutcome {
        crate::probe::context::testing::run_probe(dir, "ci", |ctx| run(spec, ctx))
    }

    use crate::probe::context::testing::write;

    const GHA: &str = "name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - name: build\n        run: cargo build --locked\n      - name: test\n        run: |\n          cargo fmt --check\n          cargo test --all\n";

    #[test]
    fn github_actions_test_step_found_with_line() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "Cargo.toml", "[package]\n");
        write(d.path(), ".github/workflows/ci.yml", GHA);
        let o = run_in(d.path(), &Spec::default());
        assert_eq!(o.status, crate::outcome::Status::Pass, "{}", o.reason);
        let l = &o.locations[0];
        assert_eq!((l.path.as_str(), l.line), (".github/workflows/ci.yml", Some(12)));
    }

    #[test]
    fn python_repo_with_rust_tests_only_fails() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "pyproject.toml", "");
        write(d.path(), ".github/workflows/ci.yml", GHA);
        let o = run_in(d.path(), &Spec::default());
        assert_eq!(o.status, crate::outcome::Status::Fail, "{}", o.reason);
        assert!(o.reason.contains("runs the tests"), "{}", o.reason);
    }

    #[test]
    fn gitlab_script_lists_and_readyctl() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "package.json", "{}");
        write(
            d.path(),
            ".gitlab-ci.yml",
            "stages: [test]\ntest:\n  image: node:20\n  before_script:\n    - npm ci\n  script:\n    - npm run lint\n    - npm test -- --ci\n",
        );
        let o = run_in(d.path(), &Spec::default());
        assert_eq!(o.status, crate::outcome::Status::Pass, "{}", o.reason);
        assert_eq!(o.locations[0].line, Some(8));
        let o = run_in(d.path(), &Spec { readyctl: true, ..Spec::default() });
        assert_eq!(o.status, crate::outcome::Status::Fail);
        assert!(o.reason.contains("readyctl"));
        write(
            d.path(),
            ".gitlab-ci.yml",
            "test:\n  script:\n    - npm test\n    - ./bin/readyctl check --sign\n",
        );
        let o = run_in(d.path(), &Spec { readyctl: true, ..Spec::default() });
        assert_eq!(o.status, crate::outcome::Status::Pass, "{}", o.reason);
    }

    #[test]
    fn circleci_command_maps_and_jenkinsfile() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "go.mod", "module x\n");
        write(
            d.path(),
            ".circleci/config.yml",
            "version: 2.1\njobs:\n  build:\n    steps:\n      - checkout\n      - run:\n          name: tests\n          command: go test ./...\n",
        );
        let o = run_in(d.path(), &Spec::default());
        assert_eq!(o.status, crate::outcome::Status::Pass, "{}", o.reason);
        assert_eq!(o.locations[0].line, Some(8));
        std::fs::remove_dir_all(d.path().join(".circleci")).unwrap();
        write(
            d.path(),
            "Jenkinsfile",
            "pipeline {\n  stages {\n    stage('t') { steps { sh 'go vet ./...' } }\n  }\n}\n",
        );
        let o = run_in(d.path(), &Spec::default());
        assert_eq!(o.status, crate::outcome::Status::Fail, "{}", o.reason);
        let o = run_in(d.path(), &Spec { tests: Some("go vet".into()), ..Spec::default() });
        assert_eq!(o.status, crate::outcome::Status::Pass, "{}", o.reason);
        assert_eq!(o.locations[0].line, Some(3));
    }

    #[test]
    fn no_config_fails_and_bad_yaml_errors_with_position() {
        let d = tempfile::tempdir().unwrap();
        let o = run_in(d.path(), &Spec::default());
        assert_eq!(o.status, crate::outcome::Status::Fail);
        assert!(o.reason.contains("no CI configuration"));
        write(d.path(), ".github/workflows/x.yaml", "jobs:\n  a:\n    steps: [\n  - run: x\n");
        let o = run_in(d.path(), &Spec::default());
        assert_eq!(o.status, crate::outcome::Status::Error);
        assert!(o.reason.starts_with(".github/workflows/x.yaml:"), "{}", o.reason);
    }

    #[test]
    fn uses_of_readyctl_action_counts() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            ".github/workflows/r.yml",
            "jobs:\n  r:\n    steps:\n      - run: pytest -q\n      - uses: acme/readyctl-action@v1\n",
        );
        let o = run_in(d.path(), &Spec { readyctl: true, ..Spec::default() });
        assert_eq!(o.status, crate::outcome::Status::Pass, "{}", o.reason);
        assert!(
            o.locations.iter().any(|l| l.rule.as_deref() == Some("readyctl") && l.line == Some(5))
        );
    }

    #[test]
    fn scripts_run_by_a_step_are_followed_from_its_working_directory() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "backend/pyproject.toml", "");
        write(
            d.path(),
            ".github/workflows/test-backend.yml",
            "jobs:\n  t:\n    steps:\n      - name: Run tests\n        run: uv run bash scripts/tests-start.sh \"x\"\n        working-directory: backend\n",
        );
        write(
            d.path(),
            "backend/scripts/tests-start.sh",
            "#!/bin/sh\npython pre.py\nbash scripts/test.sh \"$@\"\n",
        );
        write(d.path(), "backend/scripts/test.sh", "set -e\n\ncoverage run -m pytest tests/\n");
        let o = run_in(d.path(), &Spec::default());
        assert_eq!(o.status, crate::outcome::Status::Pass, "{}", o.reason);
        let l = &o.locations[0];
        assert_eq!((l.path.as_str(), l.line), ("backend/scripts/test.sh", Some(3)));
        assert!(o.reason.contains("run from .github/workflows/test-backend.yml:5"), "{}", o.reason);
        // Without the script there is nothing that runs the tests.
        std::fs::remove_file(d.path().join("backend/scripts/test.sh")).unwrap();
        assert_eq!(run_in(d.path(), &Spec::default()).status, crate::outcome::Status::Fail);
    }

    #[test]
    fn invalid_tests_regex_is_a_spec_issue() {
        assert_eq!(
            validate(&Spec { tests: Some("(".into()), ..Spec::default() })[0].field,
            "tests"
        );
    }
}
