//! `ci`: the repository's CI configuration runs the project's tests, and optionally readyctl.
//! Systems: GitHub Actions, GitLab CI, CircleCI, Travis CI, Azure Pipelines, Bitbucket
//! Pipelines, Buildkite, Drone and Woodpecker (YAML parsed, every command collected with its
//! file:line) and Jenkins (a Jenkinsfile read as text, one line per command). What a step calls
//! is followed two levels deep from the step's working directory: scripts in any language the
//! step runs (`bash x.sh`, `python x.py`, `node x.js`, `./bin/x`), Makefile targets' recipes and
//! package.json scripts. A command runs the tests when a known test runner (any ecosystem, see
//! [`RUNNERS`]) or the spec's `tests` regex matches one of its lines. No CI configuration is a
//! `fail`; a configuration that does not parse is an `error` naming file:line.

use std::collections::HashSet;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_yaml::Value;

use super::yaml::yaml_message;
use super::{Artifact, ProbeContext, ProbeIssue};
use crate::outcome::{Location, Measurement, ProbeOutcome};

/// Claims about the CI configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Regex a CI command line must match to count as running the tests (default: any known
    /// test runner of any ecosystem, e.g. `cargo test`, `pytest`, `manage.py test`, `npm test`,
    /// `go test`, `./mvnw verify`, `./gradlew build`, `rspec`, `rake test`, `dotnet test`,
    /// `phpunit`, `make test`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tests: Option<String>,
    /// A CI step also runs readyctl (a command starting `readyctl`, or a `uses:` of a readyctl action).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub readyctl: bool,
}

/// A known test runner: its name (shown in reasons), the regex a command segment must match,
/// and a regex that, when it also matches the segment, means the tests are skipped.
pub struct Runner {
    pub name: &'static str,
    pub pattern: &'static str,
    pub unless: Option<&'static str>,
}

/// Every known test runner. All are tried by default whatever manifests the repository root
/// holds: a Rails repository with a `package.json` still runs `bin/rake test`.
pub const RUNNERS: &[Runner] = &[
    Runner {
        name: "cargo test",
        pattern: r"\bcargo\s+(\+\S+\s+)?(test|nextest|llvm-cov)\b",
        unless: None,
    },
    Runner {
        name: "pytest/unittest/tox/nox",
        pattern: r"\b(pytest|py\.test|python[\d.]*\s+-m\s+(pytest|unittest)|tox|nox)\b",
        unless: None,
    },
    Runner {
        name: "Django manage.py test",
        pattern: r"(\bmanage\.py|\bdjango-admin)\s+test\b",
        unless: None,
    },
    Runner { name: "flask test", pattern: r"\bflask\s+test\b", unless: None },
    Runner {
        name: "npm/yarn/pnpm/bun test",
        pattern: r"\b(npm|pnpm|yarn|bun)\s+((-\S+|--filter\s+\S+|workspace\s+\S+)\s+)*((run|run-script)\s+)?test[\w:.-]*\b|\bnpm\s+(t|it|cit|install-test)\b",
        unless: None,
    },
    Runner {
        name: "jest/vitest/mocha",
        pattern: r"\b(npx\s+(--no-install\s+)?(jest|vitest)|jest|vitest|mocha)\b",
        unless: None,
    },
    Runner { name: "go test", pattern: r"\bgo\s+test\b|\bgotestsum\b|\bginkgo\b", unless: None },
    Runner {
        name: "Maven",
        pattern: r#"\bmvnw?(\.cmd)?(\s+\S+)*?\s+(test|integration-test|package|verify|install|deploy|surefire:test)(\s|$|['"`;)\]},])"#,
        unless: Some(
            r#"-DskipTests(=true)?(\s|$|['"`;)\]},])|-Dmaven\.test\.skip(=true)?(\s|$|['"`;)\]},])"#,
        ),
    },
    Runner {
        name: "Gradle",
        pattern: r#"\bgradlew?(\.bat)?(\s+\S+)*?\s+(\S*:)?(test|check|build|integrationTest|\w*UnitTest)(\s|$|['"`;)\]},])"#,
        unless: Some(r#"(-x|--exclude-task)(\s+|=)(\S*:)?test(\s|$|['"`;)\]},])"#),
    },
    Runner {
        name: "knapsack",
        pattern: r"\bknapsack(_pro)?:(\S*:)?(rspec|minitest|test|cucumber)\b",
        unless: None,
    },
    Runner { name: "RSpec", pattern: r"\b(rspec|parallel_rspec)\b", unless: None },
    Runner {
        name: "Rails/Rake test",
        pattern: r#"\brails\s+test\b|\brake(\s+\S+)*?\s+(test|spec)(:\S*)?(\s|$|['"`;)\]},])|\bparallel_test\b"#,
        unless: None,
    },
    Runner { name: "cucumber", pattern: r"\bcucumber\b", unless: None },
    Runner { name: "dotnet test", pattern: r"\bdotnet\s+(test|vstest)\b", unless: None },
    Runner {
        name: "PHPUnit/Pest",
        pattern: r"\bphpunit\b|\bartisan\s+test\b|(^|[\s/])pest(\s|$)",
        unless: None,
    },
    Runner {
        name: "make/just/task test",
        pattern: r#"(^|[\s/;&|('"])(g?make|just|task)\s+(\S+\s+)*(test|tests|check)\b"#,
        unless: None,
    },
];

/// A Jenkinsfile's one-line `sh '…'` / `bat "…"` / `powershell(…)` step.
static JENKINS_SH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\b(sh|bat|powershell|pwsh)\s*\(?\s*(?:script:\s*)?('|")(.+?)('|")"#)
        .expect("constant regex")
});
/// `$(dirname "$0")` and its variants, which make a path relative to the calling script.
static DIRNAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\$\(\s*dirname\s+[^)]*\)"#).expect("constant regex"));

const READYCTL: &str = r"(^|[\s/;&|])readyctl(\s|$)";

/// Where CI configurations are looked for (`*.yml` also matches `*.yaml`), and their system.
const PLACES: &[(&str, System)] = &[
    (".github/workflows/*.yml", System::GitHub),
    (".gitlab-ci.yml", System::GitLab),
    (".circleci/config.yml", System::CircleCi),
    ("Jenkinsfile", System::Jenkins),
    (".travis.yml", System::Travis),
    ("azure-pipelines.yml", System::Azure),
    (".azure-pipelines/*.yml", System::Azure),
    ("bitbucket-pipelines.yml", System::Bitbucket),
    (".buildkite/pipeline.yml", System::Buildkite),
    (".drone.yml", System::Drone),
    (".woodpecker.yml", System::Woodpecker),
    (".woodpecker/*.yml", System::Woodpecker),
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum System {
    GitHub,
    GitLab,
    CircleCi,
    Jenkins,
    Travis,
    Azure,
    Bitbucket,
    Buildkite,
    Drone,
    Woodpecker,
}

impl System {
    fn name(self) -> &'static str {
        match self {
            System::GitHub => "GitHub Actions",
            System::GitLab => "GitLab CI",
            System::CircleCi => "CircleCI",
            System::Jenkins => "Jenkins",
            System::Travis => "Travis CI",
            System::Azure => "Azure Pipelines",
            System::Bitbucket => "Bitbucket Pipelines",
            System::Buildkite => "Buildkite",
            System::Drone => "Drone",
            System::Woodpecker => "Woodpecker",
        }
    }

    /// The keys whose values are shell commands (a string or a list of strings).
    fn command_keys(self) -> &'static [&'static str] {
        match self {
            // `script:` is kept for GitHub: actions such as the Android emulator runner take
            // the command to run as `with: script:`.
            System::GitHub | System::GitLab | System::CircleCi | System::Jenkins => {
                &["run", "command", "script", "before_script", "after_script"]
            }
            System::Travis => &[
                "before_install",
                "install",
                "before_script",
                "script",
                "after_success",
                "after_script",
            ],
            System::Azure => &["script", "bash", "powershell", "pwsh", "inline"],
            System::Bitbucket => &["script", "after-script"],
            System::Buildkite => &["command", "commands"],
            System::Drone | System::Woodpecker => &["commands"],
        }
    }
}

fn system_for(path: &str) -> System {
    PLACES
        .iter()
        .find(|(place, _)| match place.strip_suffix("/*.yml") {
            Some(dir) => path.starts_with(&format!("{dir}/")),
            None => {
                path == *place
                    || Some(path)
                        == place.strip_suffix(".yml").map(|p| format!("{p}.yaml")).as_deref()
            }
        })
        .map(|(_, s)| *s)
        .unwrap_or(System::Jenkins)
}

pub fn validate(spec: &Spec) -> Vec<ProbeIssue> {
    let mut issues = Vec::new();
    if let Some(p) = &spec.tests
        && let Err(e) = Regex::new(p)
    {
        issues.push(ProbeIssue::new("tests", super::regex_error(p, &e)));
    }
    issues
}

/// One command found in a CI configuration, or one line of something a CI command runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub path: String,
    /// Line of the command's first non-empty line.
    pub line: Option<u64>,
    pub command: String,
    /// `uses:` steps (GitHub Actions) carry the action reference instead of a command.
    pub uses: bool,
    /// The step's working directory (GitHub `working-directory`, Azure `workingDirectory`,
    /// `cd` in a script, `make -C`), relative to the repository.
    pub workdir: Option<String>,
    /// For a line of a script, Makefile or package.json a CI step runs: `file:line` of that step.
    pub via: Option<String>,
    /// Line in `path` of each line of `command` (a multi-line `run: |` block spans several).
    pub lines: Vec<u64>,
}

impl Step {
    fn single(path: &str, line: u64, command: &str, workdir: Option<String>, via: &str) -> Step {
        Step {
            path: path.to_string(),
            line: Some(line),
            command: command.to_string(),
            uses: false,
            workdir,
            via: Some(via.to_string()),
            lines: vec![line],
        }
    }
}

/// The places looked for CI configurations, for messages.
pub fn places_looked() -> String {
    let places = PLACES.iter().map(|(p, _)| *p).collect::<Vec<_>>().join(", ");
    format!("{places}; .yml or .yaml")
}

/// The CI configuration files present in `repo`, relative paths, in [`PLACES`] order.
pub fn find_configs(repo: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for (place, _) in PLACES {
        if let Some(dir) = place.strip_suffix("/*.yml") {
            if let Ok(rd) = std::fs::read_dir(repo.join(dir)) {
                let mut names: Vec<String> = rd
                    .filter_map(|e| e.ok())
                    .filter(|e| e.path().is_file())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.ends_with(".yml") || n.ends_with(".yaml"))
                    .collect();
                names.sort();
                found.extend(names.into_iter().map(|n| format!("{dir}/{n}")));
            }
            continue;
        }
        let mut candidates = vec![place.to_string()];
        if let Some(stem) = place.strip_suffix(".yml") {
            candidates.push(format!("{stem}.yaml"));
        }
        if let Some(c) = candidates.into_iter().find(|c| repo.join(c).is_file()) {
            found.push(c);
        }
    }
    found
}

/// The CI system a configuration path belongs to.
pub fn system_of(path: &str) -> &'static str {
    system_for(path).name()
}

/// Every command in one CI configuration; `Err` names file:line for YAML that does not parse.
pub fn collect_steps(rel: &str, text: &str) -> Result<Vec<Step>, String> {
    let system = system_for(rel);
    let mut steps = Vec::new();
    if system == System::Jenkins {
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() || t.starts_with("//") {
                continue;
            }
            // `sh './mvnw verify'` → the shell command, so what it calls can be followed.
            let command = JENKINS_SH.captures(t).map(|c| c[3].to_string());
            steps.push(Step {
                path: rel.into(),
                line: Some(i as u64 + 1),
                command: command.unwrap_or_else(|| t.to_string()),
                uses: false,
                workdir: None,
                via: None,
                lines: vec![i as u64 + 1],
            });
        }
        return Ok(steps);
    }
    let mut raw = Vec::new();
    for (start, body) in yaml_documents(text) {
        let value: Value = serde_yaml::from_str(&body).map_err(|e| match e.location() {
            Some(l) => format!(
                "{rel}:{}:{}: invalid YAML: {}",
                start + l.line(),
                l.column(),
                yaml_message(&e)
            ),
            None => format!("{rel}:{}: invalid YAML: {e}", start + 1),
        })?;
        walk(&value, system, &None, &mut raw);
    }
    let text_lines: Vec<&str> = text.lines().collect();
    let mut from = 0usize;
    for (command, uses, workdir, anchor) in raw {
        let lines = match anchor {
            // A synthesized command is one line, reported at its task.
            Some(a) => lines_of(&text_lines, &a, &mut from),
            None => lines_of(&text_lines, &command, &mut from),
        };
        steps.push(Step {
            path: rel.into(),
            line: lines.first().copied(),
            command,
            uses,
            workdir,
            via: None,
            lines,
        });
    }
    Ok(steps)
}

/// The YAML documents of `text` (split on `---` lines), with the 0-based line each starts at.
fn yaml_documents(text: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut docs = Vec::new();
    let mut start = 0usize;
    for i in 0..=lines.len() {
        if i == lines.len() || lines[i].starts_with("---") {
            let body = &lines[start..i];
            if body.iter().any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')) {
                docs.push((start, body.join("\n")));
            }
            start = i + 1;
        }
    }
    docs
}

/// `(command, is_uses, working_directory, anchor)`: the anchor is the text to find the line by
/// when the command is not written in the file (an Azure task's `Maven@4`).
type RawStep = (String, bool, Option<String>, Option<String>);

/// Collects the commands of a YAML document in document order.
fn walk(v: &Value, system: System, inherited: &Option<String>, out: &mut Vec<RawStep>) {
    match v {
        Value::Mapping(m) => {
            // A step's own directory, else a GitHub job's or workflow's `defaults.run`.
            let defaults = m.get("defaults").and_then(|d| d.get("run"));
            let workdir = ["working-directory", "workingDirectory"]
                .iter()
                .find_map(|k| m.get(*k).and_then(Value::as_str))
                .or_else(|| {
                    defaults.and_then(|r| r.get("working-directory")).and_then(Value::as_str)
                })
                .filter(|d| !d.starts_with('/') && !d.starts_with('$'))
                .map(String::from)
                .or_else(|| inherited.clone());
            if system == System::Azure
                && let Some(task) = m.get("task").and_then(Value::as_str)
            {
                azure_task(task, m.get("inputs"), &workdir, out);
            }
            for (k, val) in m {
                let key = k.as_str().unwrap_or("");
                if system.command_keys().contains(&key) {
                    push_commands(val, &workdir, out);
                    if matches!(val, Value::Mapping(_)) {
                        walk(val, system, &workdir, out);
                    }
                } else if key == "uses" && system == System::GitHub {
                    if let Some(s) = val.as_str() {
                        out.push((s.to_string(), true, None, None));
                    }
                } else {
                    walk(val, system, &workdir, out);
                }
            }
        }
        Value::Sequence(s) => s.iter().for_each(|x| walk(x, system, inherited, out)),
        Value::Tagged(t) => walk(&t.value, system, inherited, out),
        _ => {}
    }
}

/// Azure Pipelines tasks that run a build tool from inputs rather than a `script:`: the
/// command they amount to (`Maven@4 goals: verify` → `mvn verify`), and script files
/// (`Bash@3 filePath: ci/test.sh` → `bash ci/test.sh`), so both are matched and followed.
fn azure_task(
    task: &str,
    inputs: Option<&Value>,
    workdir: &Option<String>,
    out: &mut Vec<RawStep>,
) {
    let input = |k: &str| inputs.and_then(|i| i.get(k)).and_then(Value::as_str).unwrap_or("");
    let name = task.split('@').next().unwrap_or("").to_ascii_lowercase();
    let command = match name.as_str() {
        "maven" => format!("mvn {} {}", input("options"), input("goals")),
        "gradle" => format!("gradle {} {}", input("options"), input("tasks")),
        "dotnetcorecli" => format!("dotnet {} {}", input("command"), input("projects")),
        "npm" => match input("command") {
            "custom" => format!("npm {}", input("customCommand")),
            c => format!("npm {c}"),
        },
        "bash" | "shellscript" | "powershell" | "pythonscript" if !input("filePath").is_empty() => {
            let interp = match name.as_str() {
                "powershell" => "pwsh",
                "pythonscript" => "python",
                _ => "bash",
            };
            format!("{interp} {} {}", input("filePath"), input("arguments"))
        }
        "pythonscript" if !input("scriptPath").is_empty() => {
            format!("python {}", input("scriptPath"))
        }
        _ => return,
    };
    let command = command.split_whitespace().collect::<Vec<_>>().join(" ");
    out.push((command, false, workdir.clone(), Some(task.to_string())));
}

fn push_commands(v: &Value, workdir: &Option<String>, out: &mut Vec<RawStep>) {
    match v {
        Value::String(s) => out.push((s.clone(), false, workdir.clone(), None)),
        Value::Sequence(items) => items.iter().for_each(|x| push_commands(x, workdir, out)),
        _ => {}
    }
}

/// Line (1-based) in the text of each line of `command`, searching forward from `from` (steps
/// come in document order; falls back to the whole text). A line that is not found verbatim
/// (folded scalars) gets the previous line's number + 1; a command not found at all, none.
fn lines_of(text: &[&str], command: &str, from: &mut usize) -> Vec<u64> {
    let Some(first) = command.lines().map(str::trim).find(|l| !l.is_empty()) else {
        return Vec::new();
    };
    let find = |needle: &str, start: usize| (start..text.len()).find(|&i| text[i].contains(needle));
    let Some(mut at) = find(first, *from).or_else(|| find(first, 0)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut seen_first = false;
    for l in command.lines() {
        let t = l.trim();
        if !seen_first {
            // Lines before the first non-empty one are reported at it.
            seen_first = t == first;
            out.push(at as u64 + 1);
            continue;
        }
        if !t.is_empty()
            && let Some(i) = find(t, at + 1).filter(|&i| i <= at + 1 + 2)
        {
            at = i;
        } else {
            at += 1;
        }
        out.push(at as u64 + 1);
    }
    // A flow sequence (`script: [a, b]`) puts the next command on the same line.
    let last = command.lines().map(str::trim).rfind(|l| !l.is_empty()).unwrap_or(first);
    let rest =
        text.get(at).map(|l| l.trim_end().trim_end_matches(['"', '\'', ']', ','])).unwrap_or("");
    *from = if rest.ends_with(last) { at + 1 } else { at };
    out
}

/// What matched in a command: the index of its line, the runner's name, the logical line.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub index: usize,
    pub runner: String,
    pub text: String,
}

/// The spec's `tests` regex, or every known runner.
pub struct Matcher {
    custom: Option<Regex>,
    runners: Vec<(&'static str, Regex, Option<Regex>)>,
}

impl Matcher {
    pub fn new(tests: Option<&str>) -> Result<Matcher, String> {
        let custom = match tests {
            Some(p) => Some(Regex::new(p).map_err(|e| super::regex_error(p, &e))?),
            None => None,
        };
        let runners = RUNNERS
            .iter()
            .map(|r| {
                (
                    r.name,
                    Regex::new(r.pattern).expect("constant regex"),
                    r.unless.map(|u| Regex::new(u).expect("constant regex")),
                )
            })
            .collect();
        Ok(Matcher { custom, runners })
    }

    /// The first line of `command` that runs the tests. Known runners are matched per shell
    /// segment (`a && b; c | d`), so `mvn -DskipTests package && mvn test` is judged by its
    /// second half; the spec's regex is matched per line, then on the whole command.
    pub fn find(&self, command: &str) -> Option<Hit> {
        for (index, line) in logical_lines(command) {
            if let Some(re) = &self.custom {
                if re.is_match(&line) {
                    return Some(Hit { index, runner: format!("/{}/", re.as_str()), text: line });
                }
                continue;
            }
            for seg in segments(&line) {
                if !may_run_tests(&words(seg)) {
                    continue;
                }
                for (name, re, unless) in &self.runners {
                    if re.is_match(seg) && !unless.as_ref().is_some_and(|u| u.is_match(seg)) {
                        return Some(Hit { index, runner: (*name).to_string(), text: line });
                    }
                }
            }
        }
        let re = self.custom.as_ref()?;
        if !re.is_match(command) {
            return None;
        }
        let index = command.lines().position(|l| !l.trim().is_empty()).unwrap_or(0);
        Some(Hit { index, runner: format!("/{}/", re.as_str()), text: first_line(command) })
    }

    fn describe(&self) -> String {
        match &self.custom {
            Some(re) => format!("/{}/", re.as_str()),
            None => format!(
                "the known test runners: {}",
                self.runners.iter().map(|r| r.0).collect::<Vec<_>>().join(", ")
            ),
        }
    }
}

/// False for commands that only print or install things (`echo pytest`, `pip install pytest`,
/// `npm i -D jest`, `go install …/gotestsum`), whose words name a runner without running it.
fn may_run_tests(w: &[String]) -> bool {
    let w: Vec<&str> = w.iter().map(String::as_str).filter(|a| !a.starts_with('-')).collect();
    let tool = w.first().map(|t| t.rsplit('/').next().unwrap_or(t)).unwrap_or("");
    let sub = w.get(1).copied().unwrap_or("");
    let installs = match tool {
        "echo" | "printf" => true,
        "pip" | "pip3" | "pipx" | "conda" | "mamba" | "gem" | "brew" | "choco" | "apt-get"
        | "apt" | "apk" | "yum" | "dnf" => sub == "install" || sub == "add",
        "uv" => sub == "add" || (sub == "pip" && w.get(2) == Some(&"install")) || sub == "tool",
        "poetry" | "pdm" | "bundle" | "cargo" | "go" | "composer" => {
            matches!(sub, "add" | "install" | "get" | "require" | "binstall")
        }
        "npm" | "pnpm" | "yarn" | "bun" => {
            matches!(sub, "install" | "i" | "ci" | "add" | "update" | "upgrade")
        }
        "dotnet" => sub == "tool",
        // `python -m pip install …` (options, `-m` included, are left out above).
        "python" | "python3" => sub == "pip",
        _ => false,
    };
    !installs
}

/// The lines of a command (index of its first physical line, text), comments and blank lines
/// left out, `\`-continued (shell) and `` ` ``-continued (PowerShell) lines joined.
fn logical_lines(command: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (i, raw) in command.lines().enumerate() {
        let t = raw.trim();
        if open.is_none() && (t.is_empty() || t.starts_with('#') || t.starts_with("//")) {
            continue;
        }
        let (body, continued) = match t.strip_suffix('\\').or_else(|| t.strip_suffix(" `")) {
            Some(b) => (b.trim_end(), true),
            None => (t, false),
        };
        let (start, mut acc) = open.take().unwrap_or((i, String::new()));
        if !acc.is_empty() && !body.is_empty() {
            acc.push(' ');
        }
        acc.push_str(body);
        if continued {
            open = Some((start, acc));
        } else {
            out.push((start, acc));
        }
    }
    out.extend(open);
    out
}

/// The simple commands of a shell line, split on `&&`, `||`, `;` and `|`.
fn segments(line: &str) -> Vec<&str> {
    line.split("&&")
        .flat_map(|s| s.split("||"))
        .flat_map(|s| s.split(';'))
        .flat_map(|s| s.split('|'))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// The words of a simple command, quotes stripped, with leading `VAR=value` assignments and
/// wrappers that run the rest (`uv run`, `bundle exec`, `poetry run`, `sudo`, `time`, …) removed.
fn words(seg: &str) -> Vec<String> {
    // `"$(dirname "$0")/x.sh"` (or `${BASH_SOURCE[0]}`): one word, resolved next to the caller.
    let seg = DIRNAME.replace_all(seg, "$$(dirname)");
    let mut w: Vec<String> = seg
        .split_whitespace()
        .map(|x| x.trim_matches(|c| c == '"' || c == '\'' || c == '`').to_string())
        .filter(|x| !x.is_empty())
        .collect();
    while let Some(first) = w.first().map(String::as_str) {
        let drop = match first {
            "then" | "do" | "else" | "time" | "sudo" | "env" | "exec" | "nohup" | "command"
            | "xvfb-run" => 1,
            "uv" | "poetry" | "pipenv" | "pdm" | "hatch" | "rye"
                if w.get(1).map(String::as_str) == Some("run") =>
            {
                2
            }
            "bundle" if w.get(1).map(String::as_str) == Some("exec") => 2,
            _ if first.contains('=') && !first.starts_with('-') && !first.contains('/') => 1,
            _ => 0,
        };
        if drop == 0 {
            break;
        }
        w.drain(..drop);
        while w.first().is_some_and(|x| x.starts_with('-')) {
            w.remove(0);
        }
    }
    w
}

/// `base` joined with the relative path `p`, normalized; `None` when it is absolute, uses a
/// variable, or leaves the repository.
fn join_rel(base: &str, p: &str) -> Option<String> {
    if p.starts_with('/') || p.starts_with('~') || p.contains('$') || p.contains('*') {
        return None;
    }
    let mut parts: Vec<&str> = base.split('/').filter(|s| !s.is_empty() && *s != ".").collect();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    Some(parts.join("/"))
}

fn parent(rel: &str) -> &str {
    rel.rfind('/').map(|i| &rel[..i]).unwrap_or("")
}

/// A script path as written in a command, resolved in the repository: relative to the working
/// directory, to the calling file's directory (`"$(dirname "$0")/x.sh"`), or to the repository
/// root for `$CI_DIR/x.sh` (`$TRAVIS_BUILD_DIR`, `${GITHUB_WORKSPACE}`, …).
fn resolve(repo: &Path, cwd: &str, caller: &str, p: &str) -> Option<String> {
    let mut tries = Vec::new();
    if let Some(i) = p.rfind(")/") {
        tries.extend(join_rel(parent(caller), &p[i + 2..]));
    } else if p.starts_with('$') {
        tries.extend(p.split_once('/').and_then(|(_, rest)| join_rel("", rest)));
    } else {
        tries.extend(join_rel(cwd, p));
        tries.extend(join_rel(parent(caller), p));
    }
    tries.into_iter().find(|r| {
        !r.is_empty()
            && std::fs::metadata(repo.join(r)).is_ok_and(|m| m.is_file() && m.len() < 1 << 20)
    })
}

/// Interpreters whose first non-option argument is a script file.
const INTERPRETERS: &[&str] = &[
    "bash",
    "sh",
    "zsh",
    "dash",
    "ksh",
    "source",
    ".",
    "python",
    "python3",
    "python2",
    "node",
    "ruby",
    "perl",
    "php",
    "pwsh",
    "powershell",
    "deno",
    "tsx",
    "ts-node",
];
const SCRIPT_EXTS: &[&str] =
    &[".sh", ".bash", ".py", ".rb", ".js", ".mjs", ".cjs", ".ts", ".ps1", ".pl"];

/// What a CI step (or a line it runs) calls, followed `depth` levels: the lines of the scripts,
/// Makefile targets' recipes and package.json scripts it runs, as steps pointing back at the
/// CI line (`via`). `cd` moves the working directory for the rest of a command or script.
pub fn script_steps(repo: &Path, step: &Step, depth: u8) -> Vec<Step> {
    let mut out = Vec::new();
    if depth == 0 || step.uses {
        return out;
    }
    let via =
        step.via.clone().unwrap_or_else(|| format!("{}:{}", step.path, step.line.unwrap_or(0)));
    let mut cwd = step.workdir.clone().unwrap_or_default();
    for (_, line) in logical_lines(&step.command) {
        for seg in segments(&line) {
            let w = words(seg);
            if w.first().map(String::as_str) == Some("cd") {
                if let Some(d) = w.get(1).and_then(|d| join_rel(&cwd, d)) {
                    cwd = d;
                }
                continue;
            }
            for s in callees(repo, &cwd, &step.path, &w, &via) {
                out.extend(script_steps(repo, &s, depth - 1));
                out.push(s);
            }
        }
    }
    out
}

/// The steps of what one simple command calls (one level).
fn callees(repo: &Path, cwd: &str, caller: &str, w: &[String], via: &str) -> Vec<Step> {
    let Some(first) = w.first() else { return Vec::new() };
    let base = first.rsplit('/').next().unwrap_or(first);
    let args: Vec<&str> = w[1..].iter().map(String::as_str).collect();
    match base {
        "make" | "gmake" | "$(MAKE)" | "${MAKE}" => make_steps(repo, cwd, &args, via),
        "npm" | "yarn" | "pnpm" | "bun" => {
            let mut steps = package_steps(repo, cwd, base, &args, via);
            if steps.is_empty() && base == "bun" {
                steps = file_at(repo, cwd, caller, &args, via);
            }
            steps
        }
        _ if INTERPRETERS.contains(&base) => {
            let args: Vec<&str> = if base == "deno" && args.first() == Some(&"run") {
                args[1..].to_vec()
            } else {
                args
            };
            file_at(repo, cwd, caller, &args, via)
        }
        _ if first.contains('/') || SCRIPT_EXTS.iter().any(|e| first.ends_with(e)) => {
            script_file(repo, cwd, caller, first, via)
        }
        _ => Vec::new(),
    }
}

/// The script named by the first non-option argument; none after `-m module` or `-c code`.
fn file_at(repo: &Path, cwd: &str, caller: &str, args: &[&str], via: &str) -> Vec<Step> {
    for a in args {
        match *a {
            "-m" | "-c" | "-e" => return Vec::new(),
            a if a.starts_with('-') => {}
            p => return script_file(repo, cwd, caller, p, via),
        }
    }
    Vec::new()
}

/// The lines of a script file (any language: shell, Python, Node, Ruby, PowerShell…), blank
/// lines and comments left out, each with the working directory the line starts in (the
/// script's earlier `cd`s applied).
fn script_file(repo: &Path, cwd: &str, caller: &str, p: &str, via: &str) -> Vec<Step> {
    let Some(rel) = resolve(repo, cwd, caller, p) else { return Vec::new() };
    let Ok(text) = std::fs::read_to_string(repo.join(&rel)) else { return Vec::new() };
    let mut cwd = cwd.to_string();
    let mut out = Vec::new();
    for (i, line) in logical_lines(&text) {
        // The step carries the directory the line starts in; its own `cd`s are replayed
        // when it is followed.
        out.push(Step::single(&rel, i as u64 + 1, &line, Some(cwd.clone()), via));
        for seg in segments(&line) {
            let w = words(seg);
            if w.first().map(String::as_str) == Some("cd")
                && let Some(d) = w.get(1).and_then(|d| join_rel(&cwd, d))
            {
                cwd = d;
            }
        }
    }
    out
}

/// `make [-C dir] [-f file] [target…]`: the recipe lines of the targets (the default goal when
/// none is named) and of their prerequisites, in the directory make runs in.
fn make_steps(repo: &Path, cwd: &str, args: &[&str], via: &str) -> Vec<Step> {
    let mut dir = cwd.to_string();
    let mut file = None;
    let mut targets = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match *a {
            "-C" | "--directory" => match it.next().and_then(|d| join_rel(&dir, d)) {
                Some(d) => dir = d,
                None => return Vec::new(),
            },
            "-f" | "--file" | "--makefile" => file = it.next().copied(),
            "-j" | "-l" => {
                it.next();
            }
            a if a.starts_with('-') || a.contains('=') => {}
            a => targets.push(a.to_string()),
        }
    }
    let names = match file {
        Some(f) => vec![f],
        None => vec!["GNUmakefile", "makefile", "Makefile"],
    };
    let Some(rel) = names.iter().find_map(|n| join_rel(&dir, n).filter(|r| repo.join(r).is_file()))
    else {
        return Vec::new();
    };
    let Ok(text) = std::fs::read_to_string(repo.join(&rel)) else { return Vec::new() };
    let rules = make_rules(&text);
    if targets.is_empty() {
        targets.extend(
            rules.iter().map(|r| &r.0).find(|t| !t.starts_with('.') && !t.contains('%')).cloned(),
        );
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut stack: Vec<String> = targets.into_iter().rev().collect();
    while let Some(t) = stack.pop() {
        if !seen.insert(t.clone()) {
            continue;
        }
        for (name, prereqs, recipe) in &rules {
            if *name != t {
                continue;
            }
            for (line, cmd) in recipe {
                out.push(Step::single(&rel, *line, cmd, Some(dir.clone()), via));
            }
            stack.extend(prereqs.iter().rev().cloned());
        }
    }
    out
}

type MakeRule = (String, Vec<String>, Vec<(u64, String)>);

/// The explicit rules of a Makefile: (target, prerequisites, recipe lines with their line).
fn make_rules(text: &str) -> Vec<MakeRule> {
    let mut rules: Vec<MakeRule> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(cmd) = line.strip_prefix('\t') {
            let cmd = cmd.trim().trim_start_matches(['@', '-', '+']).trim();
            if cmd.is_empty() || cmd.starts_with('#') {
                continue;
            }
            for &r in &current {
                rules[r].2.push((i as u64 + 1, cmd.to_string()));
            }
            continue;
        }
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        current.clear();
        let Some(colon) = t.find(':') else { continue };
        let (head, rest) = (&t[..colon], &t[colon + 1..]);
        if head.contains('=') || rest.starts_with('=') || rest.starts_with(":=") {
            continue;
        }
        let rest = rest.trim_start_matches(':');
        let (prereqs, inline) = match rest.split_once(';') {
            Some((p, r)) => (p, Some(r.trim())),
            None => (rest, None),
        };
        let prereqs: Vec<String> =
            prereqs.split_whitespace().filter(|p| *p != "|").map(String::from).collect();
        for target in head.split_whitespace() {
            let mut recipe = Vec::new();
            if let Some(r) = inline.filter(|r| !r.is_empty()) {
                recipe.push((i as u64 + 1, r.to_string()));
            }
            current.push(rules.len());
            rules.push((target.to_string(), prereqs.clone(), recipe));
        }
    }
    rules
}

/// `npm run X` / `npm test` / `yarn X` / `pnpm run X` / `bun run X`: package.json's `preX`,
/// `X` and `postX` scripts in the working directory, each at the line of its key.
fn package_steps(repo: &Path, cwd: &str, tool: &str, args: &[&str], via: &str) -> Vec<Step> {
    let mut it = args.iter().copied().filter(|a| !a.starts_with('-'));
    let name = match (tool, it.next()) {
        (_, Some("run" | "run-script")) => it.next(),
        ("npm", Some("t" | "tst" | "test" | "it" | "cit" | "install-test")) => Some("test"),
        ("npm", Some(s @ ("start" | "stop" | "restart"))) => Some(s),
        ("npm" | "bun", _) => None,
        (_, Some("workspace" | "exec" | "dlx" | "x")) => None,
        (_, n) => n,
    };
    let Some(name) = name else { return Vec::new() };
    let Some(rel) = join_rel(cwd, "package.json") else { return Vec::new() };
    let Ok(text) = std::fs::read_to_string(repo.join(&rel)) else { return Vec::new() };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else { return Vec::new() };
    let Some(scripts) = json.get("scripts").and_then(|s| s.as_object()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for key in [format!("pre{name}"), name.to_string(), format!("post{name}")] {
        let Some(cmd) = scripts.get(&key).and_then(|c| c.as_str()) else { continue };
        let quoted = format!("\"{key}\"");
        let line = text
            .lines()
            .position(|l| l.trim_start().starts_with(&quoted))
            .map(|i| i as u64 + 1)
            .unwrap_or(1);
        out.push(Step::single(&rel, line, cmd, Some(cwd.to_string()), via));
    }
    out
}

fn loc(s: &Step, hit_line: Option<u64>, message: String, rule: &str) -> Location {
    Location {
        path: s.path.clone(),
        line: hit_line.or(s.line),
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

super::validated_kind!("ci");

fn run(spec: &Spec, ctx: &ProbeContext) -> ProbeOutcome {
    let configs = find_configs(ctx.repo);
    if configs.is_empty() {
        return ProbeOutcome::fail(format!(
            "no CI configuration found (looked for {}); add a pipeline that runs the tests on every change",
            places_looked()
        ));
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
    let mut followed = Vec::new();
    for s in &steps {
        followed.extend(script_steps(ctx.repo, s, 2));
    }
    steps.extend(followed);
    let matcher = match Matcher::new(spec.tests.as_deref()) {
        Ok(m) => m,
        Err(e) => return ProbeOutcome::error(e),
    };
    let readyctl_re = Regex::new(READYCTL).expect("constant regex");
    let hits: Vec<Option<Hit>> =
        steps.iter().map(|s| if s.uses { None } else { matcher.find(&s.command) }).collect();
    let commands = steps.iter().filter(|s| !s.uses).count();
    let test_steps: Vec<(&Step, &Hit)> =
        steps.iter().zip(&hits).filter_map(|(s, h)| h.as_ref().map(|h| (s, h))).collect();
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
    let hit_line = |s: &Step, h: &Hit| s.lines.get(h.index).copied().or(s.line);

    let mut out;
    let mut systems: Vec<&str> = Vec::new();
    for c in &configs {
        if !systems.contains(&system_of(c)) {
            systems.push(system_of(c));
        }
    }
    if test_steps.is_empty() {
        let files = if configs.len() <= 2 {
            configs.join(", ")
        } else {
            format!("{} {} files", configs.len(), systems.join("/"))
        };
        out = ProbeOutcome::fail(format!(
            "none of the {commands} commands in {files} (and the scripts, Makefile targets and package.json scripts they call) runs the tests (looked for {}); add a test step to the pipeline",
            matcher.describe()
        ));
    } else if spec.readyctl && readyctl_steps.is_empty() {
        out = ProbeOutcome::fail(format!(
            "{} runs the tests but no step runs readyctl; add `readyctl check --sign` (or the readyctl action) to the pipeline",
            systems.join(", ")
        ));
    } else {
        let (s, h) = test_steps[0];
        let via = s.via.as_deref().map(|v| format!(", run from {v}")).unwrap_or_default();
        out = ProbeOutcome::pass(format!(
            "{} runs the tests (`{}`, {}, at {}{}{via}){}",
            systems.join(", "),
            first_line(&h.text),
            h.runner,
            s.path,
            hit_line(s, h).map(|l| format!(":{l}")).unwrap_or_default(),
            if spec.readyctl { " and readyctl" } else { "" }
        ));
    }
    out.measurements.push(Measurement::new("ci_files", configs.len() as f64, "count"));
    out.measurements.push(Measurement::new("commands", commands as f64, "count"));
    out.measurements.push(
        Measurement::new("test_steps", test_steps.len() as f64, "count").with_threshold(">= 1"),
    );
    if spec.readyctl {
        out.measurements.push(
            Measurement::new("readyctl_steps", readyctl_steps.len() as f64, "count")
                .with_threshold(">= 1"),
        );
    }
    for (s, h) in test_steps.iter().take(20) {
        out.locations.push(loc(
            s,
            hit_line(s, h),
            format!("runs the tests ({}): `{}`", h.runner, first_line(&h.text)),
            "tests",
        ));
    }
    for s in readyctl_steps.iter().take(20) {
        out.locations.push(loc(
            s,
            None,
            format!("runs readyctl: `{}`", first_line(&s.command)),
            "readyctl",
        ));
    }
    let summary = serde_json::json!({
        "configs": configs,
        "looked_in": PLACES.iter().map(|(p, _)| *p).collect::<Vec<_>>(),
        "tests_pattern": matcher.describe(),
        "steps": steps.iter().zip(&hits).map(|(s, h)| serde_json::json!({
            "path": s.path, "line": s.line, "command": s.command, "uses": s.uses, "via": s.via,
            "workdir": s.workdir,
            "runs_tests": h.is_some(),
            "runner": h.as_ref().map(|h| h.runner.clone()),
            "matched_line": h.as_ref().and_then(|h| hit_line(s, h)),
        })).collect::<Vec<_>>(),
    });
    out.with_artifact(Artifact::json("summary.json", &summary))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Status;
    use crate::probe::context::testing::write;

    fn run_in(dir: &Path, spec: &Spec) -> ProbeOutcome {
        crate::probe::context::testing::run_probe(dir, "ci", |ctx| run(spec, ctx))
    }

    /// (status, path and line of the first `tests` location, reason).
    fn verdict(dir: &Path) -> (Status, Option<(String, Option<u64>)>, String) {
        let o = run_in(dir, &Spec::default());
        let first = o
            .locations
            .iter()
            .find(|l| l.rule.as_deref() == Some("tests"))
            .map(|l| (l.path.clone(), l.line));
        (o.status, first, o.reason)
    }

    fn at(path: &str, line: u64) -> Option<(String, Option<u64>)> {
        Some((path.to_string(), Some(line)))
    }

    const GHA: &str = "name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - name: build\n        run: cargo build --locked\n      - name: test\n        run: |\n          cargo fmt --check\n          cargo test --all\n";

    #[test]
    fn github_actions_reports_the_matching_line_of_a_multi_line_run() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "Cargo.toml", "[package]\n");
        write(d.path(), ".github/workflows/ci.yml", GHA);
        let (status, first, reason) = verdict(d.path());
        assert_eq!(status, Status::Pass, "{reason}");
        // Line 12 is `cargo fmt --check`, the block's first line; the runner is on 13.
        assert_eq!(first, at(".github/workflows/ci.yml", 13));
        assert!(
            reason.contains("`cargo test --all`, cargo test, at .github/workflows/ci.yml:13"),
            "{reason}"
        );
    }

    #[test]
    fn any_known_runner_counts_whatever_manifest_is_at_the_root() {
        // A Rails repository with a package.json: the Node manifest must not hide `bin/rake test`.
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "package.json", "{}");
        write(d.path(), "Gemfile", "source 'https://rubygems.org'\n");
        write(
            d.path(),
            ".github/workflows/main.yml",
            "jobs:\n  t:\n    steps:\n      - run: bundle exec standardrb\n      - name: Run tests\n        run: bin/rake test\n",
        );
        let (status, first, reason) = verdict(d.path());
        assert_eq!(status, Status::Pass, "{reason}");
        assert_eq!(first, at(".github/workflows/main.yml", 6));
        assert!(reason.contains("`bin/rake test`, Rails/Rake test,"), "{reason}");
        // The same pipeline without the test step fails and names what it looked for.
        write(
            d.path(),
            ".github/workflows/main.yml",
            "jobs:\n  t:\n    steps:\n      - run: bundle exec standardrb\n      - run: RAILS_ENV=test bin/rails db:seed\n",
        );
        let (status, first, reason) = verdict(d.path());
        assert_eq!(status, Status::Fail, "{reason}");
        assert_eq!(first, None);
        assert!(
            reason.contains("none of the 2 commands in .github/workflows/main.yml"),
            "{reason}"
        );
        assert!(reason.contains("Maven, Gradle") && reason.contains("RSpec"), "{reason}");
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
        assert_eq!(o.status, Status::Pass, "{}", o.reason);
        assert_eq!(o.locations[0].line, Some(8));
        let o = run_in(d.path(), &Spec { readyctl: true, ..Spec::default() });
        assert_eq!(o.status, Status::Fail);
        assert!(o.reason.contains("readyctl"));
        write(
            d.path(),
            ".gitlab-ci.yml",
            "test:\n  script:\n    - npm test\n    - ./bin/readyctl check --sign\n",
        );
        let o = run_in(d.path(), &Spec { readyctl: true, ..Spec::default() });
        assert_eq!(o.status, Status::Pass, "{}", o.reason);
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
        assert_eq!(o.status, Status::Pass, "{}", o.reason);
        assert_eq!(o.locations[0].line, Some(8));
        std::fs::remove_dir_all(d.path().join(".circleci")).unwrap();
        write(
            d.path(),
            "Jenkinsfile",
            "pipeline {\n  stages {\n    stage('t') { steps { sh 'go vet ./...' } }\n  }\n}\n",
        );
        let o = run_in(d.path(), &Spec::default());
        assert_eq!(o.status, Status::Fail, "{}", o.reason);
        let o = run_in(d.path(), &Spec { tests: Some("go vet".into()), ..Spec::default() });
        assert_eq!(o.status, Status::Pass, "{}", o.reason);
        assert_eq!(o.locations[0].line, Some(3));
        assert!(o.reason.contains("/go vet/"), "{}", o.reason);
        // A Jenkins `sh '…'` around a Maven build is recognised inside the quotes.
        write(
            d.path(),
            "Jenkinsfile",
            "pipeline {\n  stages {\n    stage('b') { steps { sh './mvnw -B verify' } }\n  }\n}\n",
        );
        assert_eq!(verdict(d.path()).1, at("Jenkinsfile", 3));
        // The script a `sh` step runs is followed.
        write(d.path(), "ci/test.sh", "set -e\ngo test ./...\n");
        write(
            d.path(),
            "Jenkinsfile",
            "pipeline {\n  stages {\n    stage('t') {\n      steps {\n        sh \"./ci/test.sh\"\n      }\n    }\n  }\n}\n",
        );
        let (status, first, reason) = verdict(d.path());
        assert_eq!(status, Status::Pass, "{reason}");
        assert_eq!(first, at("ci/test.sh", 2));
        assert!(reason.contains("run from Jenkinsfile:5"), "{reason}");
    }

    #[test]
    fn travis_script_forms_install_after_success_and_jobs_include() {
        let d = tempfile::tempdir().unwrap();
        // `script:` as a plain string.
        write(
            d.path(),
            ".travis.yml",
            "language: python\ninstall: pip install -r requirements.txt\nbefore_script:\n  - export FLASK_APP=autoapp.py\n\nscript: flask test\n",
        );
        let (status, first, reason) = verdict(d.path());
        assert_eq!(status, Status::Pass, "{reason}");
        assert_eq!(first, at(".travis.yml", 6));
        assert!(reason.starts_with("Travis CI runs the tests"), "{reason}");
        // `script:` as a list; `env:` values are not commands.
        write(
            d.path(),
            ".travis.yml",
            "language: node_js\nenv:\n  global:\n    - CMD=yarn test\nscript:\n  - yarn lint\n  - yarn test\nafter_success: yarn coverage:coveralls\n",
        );
        assert_eq!(verdict(d.path()).1, at(".travis.yml", 7));
        // Each key the issue lists is read.
        for (key, line) in
            [("before_install", 2), ("install", 2), ("before_script", 2), ("after_success", 2)]
        {
            write(d.path(), ".travis.yml", &format!("language: go\n{key}: go test ./...\n"));
            assert_eq!(verdict(d.path()).1, at(".travis.yml", line), "{key}");
        }
        // `jobs.include[].script` and `matrix.include[].script`.
        write(
            d.path(),
            ".travis.yml",
            "language: ruby\njobs:\n  include:\n    - stage: lint\n      script: bundle exec rubocop\n    - stage: test\n      script:\n        - bundle exec rspec\n",
        );
        assert_eq!(verdict(d.path()).1, at(".travis.yml", 8));
        write(
            d.path(),
            ".travis.yml",
            "language: java\nmatrix:\n  include:\n    - jdk: openjdk17\n      script: ./gradlew check\n",
        );
        assert_eq!(verdict(d.path()).1, at(".travis.yml", 5));
        // Only lint: a fail that names the file.
        write(d.path(), ".travis.yml", "language: node_js\nscript:\n  - yarn lint\n");
        let (status, _, reason) = verdict(d.path());
        assert_eq!(status, Status::Fail, "{reason}");
        assert!(reason.contains("none of the 1 commands in .travis.yml"), "{reason}");
    }

    #[test]
    fn azure_pipelines_script_bash_powershell_tasks_and_stages() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "azure-pipelines.yml",
            "trigger: [main]\nstages:\n  - stage: Build\n    jobs:\n      - job: b\n        steps:\n          - script: npm ci\n          - bash: |\n              echo start\n              npm run test:ci\n",
        );
        let (status, first, reason) = verdict(d.path());
        assert_eq!(status, Status::Pass, "{reason}");
        assert!(reason.starts_with("Azure Pipelines runs the tests"), "{reason}");
        assert_eq!(first, at("azure-pipelines.yml", 10));
        write(
            d.path(),
            "azure-pipelines.yml",
            "steps:\n  - powershell: dotnet build\n  - pwsh: dotnet test --no-build\n",
        );
        assert_eq!(verdict(d.path()).1, at("azure-pipelines.yml", 3));
        // Task inputs `script` and `inline`.
        write(
            d.path(),
            "azure-pipelines.yml",
            "steps:\n  - task: Bash@3\n    inputs:\n      targetType: inline\n      script: pytest -q\n",
        );
        assert_eq!(verdict(d.path()).1, at("azure-pipelines.yml", 5));
        write(
            d.path(),
            "azure-pipelines.yml",
            "steps:\n  - task: AzureCLI@2\n    inputs:\n      scriptType: bash\n      inline: go test ./...\n",
        );
        assert_eq!(verdict(d.path()).1, at("azure-pipelines.yml", 5));
        // Build-tool tasks: Maven goals count unless the tests are skipped.
        write(
            d.path(),
            "azure-pipelines.yml",
            "steps:\n  - task: Maven@4\n    inputs:\n      goals: verify\n",
        );
        let (status, _, reason) = verdict(d.path());
        assert_eq!(status, Status::Pass, "{reason}");
        assert!(reason.contains("`mvn verify`, Maven, at azure-pipelines.yml:2"), "{reason}");
        write(
            d.path(),
            "azure-pipelines.yml",
            "steps:\n  - task: Maven@4\n    inputs:\n      goals: package\n      options: -DskipTests\n",
        );
        assert_eq!(verdict(d.path()).0, Status::Fail);
        // `.azure-pipelines/*.yml` too, with a script file the task runs.
        std::fs::remove_file(d.path().join("azure-pipelines.yml")).unwrap();
        write(
            d.path(),
            ".azure-pipelines/ci.yaml",
            "jobs:\n  - job: t\n    steps:\n      - task: Bash@3\n        inputs:\n          targetType: filePath\n          filePath: ci/test.sh\n",
        );
        write(d.path(), "ci/test.sh", "#!/bin/sh\nset -e\ncargo nextest run\n");
        let (status, first, reason) = verdict(d.path());
        assert_eq!(status, Status::Pass, "{reason}");
        assert_eq!(first, at("ci/test.sh", 3));
    }

    #[test]
    fn bitbucket_default_branches_pull_requests_and_custom() {
        let d = tempfile::tempdir().unwrap();
        let cases = [
            (
                "default:\n    - step:\n        script:\n          - composer install\n          - vendor/bin/phpunit\n",
                7,
            ),
            (
                "branches:\n    main:\n      - step:\n          script:\n            - ./gradlew test\n",
                7,
            ),
            (
                "pull-requests:\n    '**':\n      - step:\n          name: t\n          script:\n            - python manage.py test\n",
                8,
            ),
            (
                "custom:\n    nightly:\n      - step:\n          script:\n            - dotnet test\n",
                7,
            ),
        ];
        for (body, line) in cases {
            write(d.path(), "bitbucket-pipelines.yml", &format!("image: x\npipelines:\n  {body}"));
            let (status, first, reason) = verdict(d.path());
            assert_eq!(status, Status::Pass, "{body}: {reason}");
            assert_eq!(first, at("bitbucket-pipelines.yml", line), "{body}");
            assert!(reason.starts_with("Bitbucket Pipelines"), "{reason}");
        }
        write(
            d.path(),
            "bitbucket-pipelines.yml",
            "pipelines:\n  default:\n    - step:\n        script:\n          - ./gradlew build -x test\n",
        );
        assert_eq!(verdict(d.path()).0, Status::Fail);
    }

    #[test]
    fn buildkite_command_and_commands() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            ".buildkite/pipeline.yml",
            "steps:\n  - label: lint\n    command: make lint\n  - label: test\n    commands:\n      - bundle install\n      - bundle exec rspec --format progress\n",
        );
        let (status, first, reason) = verdict(d.path());
        assert_eq!(status, Status::Pass, "{reason}");
        assert_eq!(first, at(".buildkite/pipeline.yml", 7));
        assert!(reason.starts_with("Buildkite"), "{reason}");
        write(d.path(), ".buildkite/pipeline.yml", "steps:\n  - command: make lint\n");
        assert_eq!(verdict(d.path()).0, Status::Fail);
    }

    #[test]
    fn drone_multi_document_and_woodpecker_files() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            ".drone.yml",
            "kind: pipeline\nname: lint\nsteps:\n  - name: lint\n    image: golang\n    commands:\n      - go vet ./...\n---\nkind: pipeline\nname: test\nsteps:\n  - name: test\n    image: golang\n    commands:\n      - go test ./...\n",
        );
        let (status, first, reason) = verdict(d.path());
        assert_eq!(status, Status::Pass, "{reason}");
        assert_eq!(first, at(".drone.yml", 15));
        assert!(reason.starts_with("Drone"), "{reason}");
        std::fs::remove_file(d.path().join(".drone.yml")).unwrap();
        // Woodpecker: `steps` as a map, and the older `pipeline` key.
        write(
            d.path(),
            ".woodpecker/test.yml",
            "steps:\n  test:\n    image: rust\n    commands:\n      - cargo build\n      - cargo test\n",
        );
        assert_eq!(verdict(d.path()).1, at(".woodpecker/test.yml", 6));
        std::fs::remove_dir_all(d.path().join(".woodpecker")).unwrap();
        write(
            d.path(),
            ".woodpecker.yml",
            "pipeline:\n  test:\n    image: python\n    commands: [pip install -e ., pytest]\n",
        );
        let (status, first, reason) = verdict(d.path());
        assert_eq!(status, Status::Pass, "{reason}");
        assert_eq!(first, at(".woodpecker.yml", 4));
        assert!(reason.starts_with("Woodpecker"), "{reason}");
        // Drone `image:` or `environment:` values are not commands.
        write(
            d.path(),
            ".woodpecker.yml",
            "steps:\n  t:\n    image: pytest\n    environment: {X: pytest}\n    commands: [echo hi]\n",
        );
        assert_eq!(verdict(d.path()).0, Status::Fail);
    }

    #[test]
    fn configs_found_in_every_place_with_their_system() {
        let d = tempfile::tempdir().unwrap();
        let files = [
            (".github/workflows/a.yaml", "GitHub Actions"),
            (".gitlab-ci.yml", "GitLab CI"),
            (".circleci/config.yml", "CircleCI"),
            ("Jenkinsfile", "Jenkins"),
            (".travis.yml", "Travis CI"),
            ("azure-pipelines.yaml", "Azure Pipelines"),
            (".azure-pipelines/b.yml", "Azure Pipelines"),
            ("bitbucket-pipelines.yml", "Bitbucket Pipelines"),
            (".buildkite/pipeline.yaml", "Buildkite"),
            (".drone.yml", "Drone"),
            (".woodpecker.yml", "Woodpecker"),
            (".woodpecker/c.yml", "Woodpecker"),
        ];
        for (f, _) in files {
            write(d.path(), f, "x: 1\n");
        }
        write(d.path(), ".woodpecker/notes.txt", "not a pipeline\n");
        let found = find_configs(d.path());
        let mut expected: Vec<&str> = files.iter().map(|f| f.0).collect();
        expected.sort();
        let mut got: Vec<&str> = found.iter().map(String::as_str).collect();
        got.sort();
        assert_eq!(got, expected);
        for (f, system) in files {
            assert_eq!(system_of(f), system, "{f}");
        }
    }

    #[test]
    fn no_config_lists_every_place_and_bad_yaml_errors_with_position() {
        let d = tempfile::tempdir().unwrap();
        let o = run_in(d.path(), &Spec::default());
        assert_eq!(o.status, Status::Fail);
        assert!(o.reason.contains("no CI configuration"));
        for (place, _) in PLACES {
            assert!(o.reason.contains(place), "{place}: {}", o.reason);
        }
        write(d.path(), ".github/workflows/x.yaml", "jobs:\n  a:\n    steps: [\n  - run: x\n");
        let o = run_in(d.path(), &Spec::default());
        assert_eq!(o.status, Status::Error);
        assert!(o.reason.starts_with(".github/workflows/x.yaml:"), "{}", o.reason);
        std::fs::remove_dir_all(d.path().join(".github")).unwrap();
        // The position is in the whole file, not in the failing document.
        write(d.path(), ".drone.yml", "kind: pipeline\n---\nsteps:\n  - commands: [\n");
        let o = run_in(d.path(), &Spec::default());
        assert_eq!(o.status, Status::Error);
        assert!(
            o.reason.starts_with(".drone.yml:5:") || o.reason.starts_with(".drone.yml:4:"),
            "{}",
            o.reason
        );
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
        assert_eq!(o.status, Status::Pass, "{}", o.reason);
        assert!(
            o.locations.iter().any(|l| l.rule.as_deref() == Some("readyctl") && l.line == Some(5))
        );
    }

    /// Which runner, if any, `command` counts as.
    fn runner(command: &str) -> Option<String> {
        Matcher::new(None).unwrap().find(command).map(|h| h.runner)
    }

    #[test]
    fn every_known_runner_and_what_does_not_run_tests() {
        let runs = [
            ("cargo test --all", "cargo test"),
            ("cargo +nightly nextest run", "cargo test"),
            ("uv run pytest -q", "pytest/unittest/tox/nox"),
            ("python3 -m unittest discover", "pytest/unittest/tox/nox"),
            ("uv run ./manage.py test", "Django manage.py test"),
            ("python manage.py test --parallel", "Django manage.py test"),
            ("flask test", "flask test"),
            ("npm test", "npm/yarn/pnpm/bun test"),
            ("npm run test:unit", "npm/yarn/pnpm/bun test"),
            ("yarn test", "npm/yarn/pnpm/bun test"),
            ("pnpm test", "npm/yarn/pnpm/bun test"),
            ("pnpm --filter api run test-ci", "npm/yarn/pnpm/bun test"),
            ("npx jest --ci", "jest/vitest/mocha"),
            ("go test -race ./...", "go test"),
            ("mvn test", "Maven"),
            ("./mvnw -B verify", "Maven"),
            ("mvn -B clean install", "Maven"),
            ("mvn package -DskipTests=false", "Maven"),
            ("gradle test", "Gradle"),
            ("./gradlew clean test", "Gradle"),
            ("./gradlew build", "Gradle"),
            ("./gradlew :app:check --info", "Gradle"),
            ("./gradlew build -x integrationTest", "Gradle"),
            ("bundle exec rspec spec/models", "RSpec"),
            ("bin/rails test", "Rails/Rake test"),
            ("bundle exec rails test:system", "Rails/Rake test"),
            ("bin/rake test", "Rails/Rake test"),
            ("bundle exec rake spec", "Rails/Rake test"),
            ("bundle exec rake knapsack_pro:queue:rspec", "knapsack"),
            ("dotnet test src/cart/", "dotnet test"),
            ("vendor/bin/phpunit --coverage-text", "PHPUnit/Pest"),
            ("./vendor/bin/phpunit", "PHPUnit/Pest"),
            ("make test", "make/just/task test"),
            ("sh -c 'make -j4 check'", "make/just/task test"),
            ("for s in a b; do go test ./src/$s/...; done", "go test"),
            ("mvn -DskipTests package && mvn test", "Maven"),
        ];
        for (command, expected) in runs {
            assert_eq!(runner(command).as_deref(), Some(expected), "{command}");
        }
        let not = [
            "mvn -DskipTests package",
            "./mvnw -B -Dmaven.test.skip=true install",
            "mvn -Dmaven.test.skip package",
            "mvn compile",
            "./mvnw spring-boot:build-image",
            "./gradlew build -x test",
            "gradle assemble",
            "./gradlew build --exclude-task test",
            "RAILS_ENV=test bundle exec rake db:create db:schema:load",
            "bin/rails db:seed",
            "bundle exec rake db:test:prepare",
            "python manage.py migrate",
            "flask db upgrade",
            "npm run lint",
            "yarn build",
            "dotnet build",
            "go vet ./...",
            "echo run pytest in CI",
            "composer install",
            "pip install pytest pytest-cov",
            "python -m pip install -U tox",
            "uv pip install pytest",
            "npm install --save-dev jest",
            "yarn add -D vitest",
            "gem install rspec",
            "go install gotest.tools/gotestsum@latest",
            "cargo install cargo-nextest --locked",
        ];
        for command in not {
            assert_eq!(runner(command), None, "{command}");
        }
        // A `\`-continued command is judged as one line.
        assert_eq!(runner("mvn \\\n  -B -DskipTests \\\n  package"), None);
        assert_eq!(runner("mvn \\\n  -B \\\n  verify").as_deref(), Some("Maven"));
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
        assert_eq!(o.status, Status::Pass, "{}", o.reason);
        let l = &o.locations[0];
        assert_eq!((l.path.as_str(), l.line), ("backend/scripts/test.sh", Some(3)));
        assert!(o.reason.contains("run from .github/workflows/test-backend.yml:5"), "{}", o.reason);
        // Without the script there is nothing that runs the tests.
        std::fs::remove_file(d.path().join("backend/scripts/test.sh")).unwrap();
        assert_eq!(run_in(d.path(), &Spec::default()).status, Status::Fail);
    }

    /// A GitHub workflow with one step running `cmd`.
    fn step(d: &Path, cmd: &str) {
        write(
            d,
            ".github/workflows/ci.yml",
            &format!("jobs:\n  t:\n    steps:\n      - run: {cmd}\n"),
        );
    }

    #[test]
    fn scripts_in_other_languages_are_followed() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "ci/run.py",
            "import subprocess\n\nsubprocess.check_call([\"python\", \"-m\", \"pytest\", \"-x\"])\n",
        );
        write(
            d.path(),
            "ci/run.js",
            "// runs the suite\nconst { execSync } = require('child_process');\nexecSync('npx vitest run', { stdio: 'inherit' });\n",
        );
        write(
            d.path(),
            "ci/run.rb",
            "# frozen_string_literal: true\nsystem('bundle exec rspec') || exit(1)\n",
        );
        write(d.path(), "ci/run.ps1", "Set-Location src\ndotnet test --no-restore\n");
        for (cmd, path, line) in [
            ("python3 ci/run.py", "ci/run.py", 3),
            ("node ci/run.js", "ci/run.js", 3),
            ("ruby ci/run.rb", "ci/run.rb", 2),
            ("pwsh ./ci/run.ps1", "ci/run.ps1", 2),
            ("./ci/run.py --fast", "ci/run.py", 3),
        ] {
            step(d.path(), cmd);
            let (status, first, reason) = verdict(d.path());
            assert_eq!(status, Status::Pass, "{cmd}: {reason}");
            assert_eq!(first, at(path, line), "{cmd}");
            assert!(reason.contains("run from .github/workflows/ci.yml:4"), "{reason}");
        }
        // `python -m x` names a module, not a file: nothing to follow, nothing that runs tests.
        step(d.path(), "python -m ci.run");
        assert_eq!(verdict(d.path()).0, Status::Fail);
        step(d.path(), "python -u -m ci ci/run.py");
        assert_eq!(verdict(d.path()).0, Status::Fail);
        step(d.path(), "python -u ci/run.py");
        assert_eq!(verdict(d.path()).1, at("ci/run.py", 3));
    }

    #[test]
    fn makefile_targets_and_prerequisites_are_followed() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "Makefile",
            "PY ?= python3\n\n.PHONY: ci lint unit\nall: build\n\nbuild:\n\tgo build ./...\n\nci: lint unit\n\nlint:\n\t@golangci-lint run\n\nunit:\n\t@$(PY) -m pytest -q\n",
        );
        step(d.path(), "make ci");
        let (status, first, reason) = verdict(d.path());
        assert_eq!(status, Status::Pass, "{reason}");
        assert_eq!(first, at("Makefile", 15));
        // The default goal (`all` → `build`) does not run the tests.
        step(d.path(), "make");
        assert_eq!(verdict(d.path()).0, Status::Fail);
        step(d.path(), "make lint");
        assert_eq!(verdict(d.path()).0, Status::Fail);
        // `make -C dir target` reads dir/Makefile.
        write(d.path(), "svc/Makefile", "coverage:\n\tcargo llvm-cov --lcov\n");
        step(d.path(), "make -C svc coverage");
        assert_eq!(verdict(d.path()).1, at("svc/Makefile", 2));
    }

    #[test]
    fn package_json_scripts_are_followed_from_the_working_directory() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "web/package.json",
            "{\n  \"name\": \"web\",\n  \"scripts\": {\n    \"lint\": \"eslint .\",\n    \"ci\": \"jest --ci --coverage\"\n  }\n}\n",
        );
        write(
            d.path(),
            ".github/workflows/ci.yml",
            "jobs:\n  t:\n    steps:\n      - run: npm run ci\n        working-directory: web\n",
        );
        let (status, first, reason) = verdict(d.path());
        assert_eq!(status, Status::Pass, "{reason}");
        assert_eq!(first, at("web/package.json", 5));
        // `cd web && yarn ci` reaches the same script.
        step(d.path(), "cd web && yarn ci");
        assert_eq!(verdict(d.path()).1, at("web/package.json", 5));
        // A job's `defaults.run.working-directory` applies to its steps.
        write(
            d.path(),
            ".github/workflows/ci.yml",
            "jobs:\n  t:\n    defaults:\n      run:\n        working-directory: web\n    steps:\n      - run: npm run ci\n",
        );
        assert_eq!(verdict(d.path()).1, at("web/package.json", 5));
        // From the root there is no package.json: nothing to follow.
        step(d.path(), "npm run ci");
        assert_eq!(verdict(d.path()).0, Status::Fail);
        step(d.path(), "cd web && pnpm lint");
        assert_eq!(verdict(d.path()).0, Status::Fail);
    }

    #[test]
    fn parallel_wrapper_scripts_ending_in_rspec_are_followed_two_levels_deep() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            ".circleci/config.yml",
            "jobs:\n  t:\n    parallelism: 4\n    steps:\n      - run: bin/ci-parallel\n",
        );
        write(
            d.path(),
            "bin/ci-parallel",
            "#!/usr/bin/env bash\nset -euo pipefail\nexec \"$(dirname \"$0\")/split-specs.sh\"\n",
        );
        write(
            d.path(),
            "bin/split-specs.sh",
            "FILES=$(circleci tests glob 'spec/**/*_spec.rb' | circleci tests split)\nbundle exec rspec $FILES\n",
        );
        let (status, first, reason) = verdict(d.path());
        assert_eq!(status, Status::Pass, "{reason}");
        assert_eq!(first, at("bin/split-specs.sh", 2));
        assert!(
            reason.contains("RSpec") && reason.contains("run from .circleci/config.yml:5"),
            "{reason}"
        );
        // A third level is not followed.
        write(d.path(), "bin/split-specs.sh", "./bin/really-run.sh\n");
        write(d.path(), "bin/really-run.sh", "bundle exec rspec\n");
        assert_eq!(verdict(d.path()).0, Status::Fail);
    }

    #[test]
    fn followed_line_numbers_and_steps_are_in_the_summary() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "scripts/t.sh", "#!/bin/sh\n# comment\ncd api\nnpm test\n");
        write(d.path(), ".travis.yml", "script:\n  - sh scripts/t.sh\n");
        let o = run_in(d.path(), &Spec::default());
        assert_eq!(o.status, Status::Pass, "{}", o.reason);
        let crate::probe::ArtifactContent::Bytes(bytes) = &o.artifacts[0].content else {
            panic!("summary.json is written from memory")
        };
        let summary: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        let steps = summary["steps"].as_array().unwrap();
        let hit = steps.iter().find(|s| s["runs_tests"] == true).unwrap();
        assert_eq!(hit["path"], "scripts/t.sh");
        assert_eq!(hit["line"], 4);
        assert_eq!(hit["via"], ".travis.yml:2");
        assert_eq!(hit["runner"], "npm/yarn/pnpm/bun test");
        assert!(summary["looked_in"].as_array().unwrap().len() == PLACES.len());
    }

    #[test]
    fn invalid_tests_regex_is_a_spec_issue() {
        assert_eq!(
            validate(&Spec { tests: Some("(".into()), ..Spec::default() })[0].field,
            "tests"
        );
    }
}
