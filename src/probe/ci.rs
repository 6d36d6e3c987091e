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
        pattern: r"\bmvnw?(\.cmd)?(\s+\S+)*?\s+(test|integration-test|package|verify|install|deploy|surefire:test)(\s|$)",
        unless: Some(r"-DskipTests(=true)?(\s|$)|-Dmaven\.test\.skip(=true)?(\s|$)"),
    },
    Runner {
        name: "Gradle",
        pattern: r"\bgradlew?(\.bat)?(\s+\S+)*?\s+(\S*:)?(test|check|build|integrationTest|\w*UnitTest)(\s|$)",
        unless: Some(r"(-x|--exclude-task)(\s+|=)(\S*:)?test(\s|$)"),
    },
    Runner { name: "RSpec", pattern: r"\b(rspec|parallel_rspec)\b", unless: None },
    Runner {
        name: "Rails/Rake test",
        pattern: r"\brails\s+test\b|\brake(\s+\S+)*?\s+(test|spec)(:\S*)?(\s|$)|\bparallel_test\b",
        unless: None,
    },
    Runner {
        name: "knapsack",
        pattern: r"\bknapsack(_pro)?:(\S*:)?(rspec|minitest|test|cucumber)\b",
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
        pattern: r"\b(make|just|task)\s+(\S+\s+)*(test|tests|check)\b",
        unless: None,
    },
];

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
            None => path == *place || Some(path) == place.strip_suffix(".yml").map(|p| format!("{p}.yaml")).as_deref(),
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
    PLACES.iter().map(|(p, _)| *p).collect::<Vec<_>>().join(", ")
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
            steps.push(Step {
                path: rel.into(),
                line: Some(i as u64 + 1),
                command: t.to_string(),
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
    for (command, uses, workdir) in raw {
        let lines = lines_of(&text_lines, &command, &mut from);
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

/// serde_yaml's message without its ` at line L column C` (the caller prints the position,
/// which for a split document differs from serde_yaml's).
pub fn yaml_message(e: &serde_yaml::Error) -> String {
    let re = Regex::new(r" at line \d+ column \d+").expect("constant regex");
    re.replace_all(&e.to_string(), "").into_owned()
}

type RawStep = (String, bool, Option<String>);

/// Collects `(command, is_uses, working_directory)` in document order.
fn walk(v: &Value, system: System, inherited: &Option<String>, out: &mut Vec<RawStep>) {
    match v {
        Value::Mapping(m) => {
            let workdir = ["working-directory", "workingDirectory"]
                .iter()
                .find_map(|k| m.get(*k).and_then(Value::as_str))
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
                        out.push((s.to_string(), true, None));
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
fn azure_task(task: &str, inputs: Option<&Value>, workdir: &Option<String>, out: &mut Vec<RawStep>) {
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
        "pythonscript" if !input("scriptPath").is_empty() => format!("python {}", input("scriptPath")),
        _ => return,
    };
    let command = command.split_whitespace().collect::<Vec<_>>().join(" ");
    out.push((command, false, workdir.clone()));
}

fn push_commands(v: &Value, workdir: &Option<String>, out: &mut Vec<RawStep>) {
    match v {
        Value::String(s) => out.push((s.clone(), false, workdir.clone())),
        Value::Sequence(items) => items.iter().for_each(|x| push_commands(x, workdir, out)),
        _ => {}
    }
}

/// Line (1-based) in the text of each line of `command`, searching forward from `from` (steps
/// come in document order; falls back to the whole text). A line that is not found verbatim
/// (folded scalars, synthesized commands) gets the previous line's number + 1.
fn lines_of(text: &[&str], command: &str, from: &mut usize) -> Vec<u64> {
    let Some(first) = command.lines().map(str::trim).find(|l| !l.is_empty()) else {
        return Vec::new();
    };
    let find = |needle: &str, start: usize| {
        (start..text.len()).find(|&i| text[i].contains(needle))
    };
    let Some(mut at) = find(first, *from).or_else(|| find(first, 0)) else {
        return command.lines().map(|_| 0).collect();
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
    let rest = text.get(at).map(|l| l.trim_end().trim_end_matches(['"', '\'', ']', ','])).unwrap_or("");
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
                if matches!(words(seg).first().map(String::as_str), Some("echo" | "printf")) {
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
    let mut w: Vec<String> = seg
        .split_whitespace()
        .map(|x| x.trim_matches(|c| c == '"' || c == '\'' || c == '`').to_string())
        .filter(|x| !x.is_empty())
        .collect();
    loop {
        let Some(first) = w.first().map(String::as_str) else { break };
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
    "bash", "sh", "zsh", "dash", "ksh", "source", ".", "python", "python3", "python2", "node",
    "ruby", "perl", "php", "pwsh", "powershell", "deno", "tsx", "ts-node",
];
const SCRIPT_EXTS: &[&str] = &[".sh", ".bash", ".py", ".rb", ".js", ".mjs", ".cjs", ".ts", ".ps1", ".pl"];

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
            if args.first() == Some(&"-m") || args.first() == Some(&"-c") {
                return Vec::new();
            }
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

/// The script named by the first non-option argument.
fn file_at(repo: &Path, cwd: &str, caller: &str, args: &[&str], via: &str) -> Vec<Step> {
    match args.iter().find(|a| !a.starts_with('-')) {
        Some(p) => script_file(repo, cwd, caller, p, via),
        None => Vec::new(),
    }
}

/// The lines of a script file (any language: shell, Python, Node, Ruby, PowerShell…), blank
/// lines and comments left out, each with the working directory its `cd`s leave.
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
    let Some(rel) = names.iter().find_map(|n| {
        join_rel(&dir, n).filter(|r| repo.join(r).is_file())
    }) else {
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

pub fn run(spec: &Spec, ctx: &ProbeContext) -> ProbeOutcome {
    if let Some(o) = super::invalid_spec("ci", &validate(spec)) {
        return o;
    }
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
            "{} runs the tests (`{}`, {}, at {}:{}{via}){}",
            systems.join(", "),
            first_line(&h.text),
            h.runner,
            s.path,
            hit_line(s, h).unwrap_or(0),
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
