//! `command`: run a command and check its exit code, output and duration.
//!
//! A string runs through `sh -c`; a list is the argv. Output is streamed to
//! `stdout.log` / `stderr.log` in the check's evidence directory (redacted, capped), and the
//! expectations are checked by streaming those files, so output size never costs memory.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{ProbeContext, ProbeIssue};
use crate::duration::{DurationSpec, format_duration};
use crate::outcome::{Measurement, ProbeOutcome};
use crate::run::diagnose::Diagnosis;
use crate::run::process::{self, ProcSpec};

/// Run a command and check how it ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CommandProbe")]
pub struct Spec {
    /// A shell string (run with `sh -c`) or a list of program and arguments.
    pub run: CommandLine,
    /// Working directory, relative to the repository (default: the repository root).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// Extra environment variables.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Expected exit code, or a list of accepted codes (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<ExitCodes>,
    /// Expectations on standard output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdout: Option<OutputExpect>,
    /// Expectations on standard error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stderr: Option<OutputExpect>,
    /// Fail when the command takes longer than this (it still runs to completion or timeout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_duration: Option<DurationSpec>,
}

/// Text expectations on an output stream.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutputExpect {
    /// Substrings that must appear.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contains: Vec<String>,
    /// Substrings that must not appear.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_contains: Vec<String>,
    /// Regular expressions (Rust `regex` syntax) that must match some line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regex: Vec<String>,
}

/// A command line: shell text or argv.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(untagged)]
pub enum CommandLine {
    /// Run with `sh -c`.
    Shell(String),
    /// Program and arguments, no shell.
    Argv(Vec<String>),
}

impl CommandLine {
    pub fn to_proc(&self, cwd: &Path) -> ProcSpec {
        match self {
            CommandLine::Shell(text) => ProcSpec::shell(text, cwd),
            CommandLine::Argv(argv) => {
                ProcSpec { argv: argv.clone(), cwd: cwd.into(), env: Vec::new() }
            }
        }
    }

    pub fn display(&self) -> String {
        match self {
            CommandLine::Shell(s) => s.clone(),
            CommandLine::Argv(a) => a.join(" "),
        }
    }
}

impl Serialize for CommandLine {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            CommandLine::Shell(t) => s.serialize_str(t),
            CommandLine::Argv(a) => a.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for CommandLine {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = CommandLine;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a shell command string or a list of program and arguments")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<CommandLine, E> {
                if v.trim().is_empty() {
                    return Err(E::custom("command is empty"));
                }
                Ok(CommandLine::Shell(v.to_owned()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<CommandLine, A::Error> {
                let mut argv = Vec::new();
                while let Some(item) = seq.next_element::<String>()? {
                    argv.push(item);
                }
                if argv.is_empty() {
                    return Err(serde::de::Error::custom("command list is empty"));
                }
                Ok(CommandLine::Argv(argv))
            }
        }
        d.deserialize_any(V)
    }
}

/// One accepted exit code or several.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(untagged)]
pub enum ExitCodes {
    One(i32),
    Any(Vec<i32>),
}

impl ExitCodes {
    fn accepts(&self, code: i32) -> bool {
        match self {
            ExitCodes::One(c) => *c == code,
            ExitCodes::Any(cs) => cs.contains(&code),
        }
    }
    fn describe(&self) -> String {
        match self {
            ExitCodes::One(c) => c.to_string(),
            ExitCodes::Any(cs) => cs.iter().map(i32::to_string).collect::<Vec<_>>().join(" or "),
        }
    }
}

impl Serialize for ExitCodes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ExitCodes::One(c) => s.serialize_i32(*c),
            ExitCodes::Any(cs) => cs.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for ExitCodes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ExitCodes;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an exit code or a list of exit codes")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<ExitCodes, E> {
                i32::try_from(v)
                    .map(ExitCodes::One)
                    .map_err(|_| E::custom("exit code out of range"))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<ExitCodes, E> {
                i32::try_from(v)
                    .map(ExitCodes::One)
                    .map_err(|_| E::custom("exit code out of range"))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<ExitCodes, A::Error> {
                let mut codes = Vec::new();
                while let Some(c) = seq.next_element::<i32>()? {
                    codes.push(c);
                }
                Ok(ExitCodes::Any(codes))
            }
        }
        d.deserialize_any(V)
    }
}

pub fn validate(spec: &Spec) -> Vec<ProbeIssue> {
    check_static(spec).0
}

/// The problems in the spec, and the `regex` expectations of stdout and stderr compiled.
fn check_static(spec: &Spec) -> (Vec<ProbeIssue>, [Vec<regex::Regex>; 2]) {
    let mut issues = Vec::new();
    let mut compiled: [Vec<regex::Regex>; 2] = Default::default();
    for ((stream, expect), out) in
        [("stdout", &spec.stdout), ("stderr", &spec.stderr)].into_iter().zip(&mut compiled)
    {
        if let Some(e) = expect {
            for (i, re) in e.regex.iter().enumerate() {
                match regex::Regex::new(re) {
                    Ok(r) => out.push(r),
                    Err(err) => issues.push(ProbeIssue::new(
                        format!("{stream}.regex[{i}]"),
                        super::regex_error(re, &err),
                    )),
                }
            }
        }
    }
    (issues, compiled)
}

/// A `command` spec compiled: the output regexes ready.
#[derive(Debug, Clone)]
pub struct Compiled {
    spec: Spec,
    /// `stdout.regex`, then `stderr.regex`, compiled.
    regexes: [Vec<regex::Regex>; 2],
}

impl Compiled {
    /// The spec it was compiled from.
    pub fn spec(&self) -> &Spec {
        &self.spec
    }
}

/// Validates the spec and prepares what `run` uses.
fn compile(spec: Spec) -> Result<Compiled, Vec<ProbeIssue>> {
    match check_static(&spec) {
        (issues, regexes) if issues.is_empty() => Ok(Compiled { spec, regexes }),
        (issues, _) => Err(issues),
    }
}

super::compiled_kind!("command", shell: ["run"]);

fn run(compiled: &Compiled, ctx: &ProbeContext) -> ProbeOutcome {
    let spec = &compiled.spec;
    let cwd = match &spec.cwd {
        Some(c) => ctx.resolve(c),
        None => ctx.repo.to_path_buf(),
    };
    let mut proc = spec.run.to_proc(&cwd);
    proc.env = spec.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    proc.env.insert(0, ctx.scratch_env());
    let (out_path, err_path) =
        (ctx.evidence_dir.join("stdout.log"), ctx.evidence_dir.join("stderr.log"));
    let ended = match process::run(
        &proc,
        ctx.deadline,
        ctx.cancel,
        &out_path,
        &err_path,
        ctx.output_filter.clone(),
    ) {
        Ok(o) => o,
        Err(e) => return ProbeOutcome::error(e.to_string()),
    };
    let ms = ended.duration.as_secs_f64() * 1000.0;
    let with_time =
        |o: ProbeOutcome| o.with_measurement(Measurement::new("duration", ms.round(), "ms"));
    if ended.timed_out || ended.cancelled {
        return with_time(ProbeOutcome::error(format!(
            "`{}` {}",
            short(&spec.run.display()),
            ended.describe_end()
        )));
    }
    let expected = spec.exit_code.clone().unwrap_or(ExitCodes::One(0));
    let diagnosis = || Diagnosis::of_logs(&ended.stderr.path, &ended.stdout.path);
    // The shell's 127 (not found) and 126 (not executable) mean the claim was never tested.
    if let Some(code @ (126 | 127)) = ended.exit_code
        && !expected.accepts(code)
        && matches!(spec.run, CommandLine::Shell(_))
    {
        let what = if code == 127 { "command not found" } else { "command not executable" };
        let detail = diagnosis().line.map(|l| format!(": {l}")).unwrap_or_default();
        return with_time(ProbeOutcome::error(format!(
            "`{}` could not run (exit code {code}, {what}){detail}",
            short(&spec.run.display())
        )));
    }
    // An exit code the claim did not expect, with output showing the environment (a missing
    // module, command or package, an unreachable network or database) is `error`: the claim
    // was not tested here.
    if !ended.exit_code.is_some_and(|c| expected.accepts(c)) {
        let d = diagnosis();
        if let Some(cause) = d.env {
            let mut o = ProbeOutcome::error(format!(
                "`{}` could not be checked here: {} ({}){}",
                short(&spec.run.display()),
                cause.describe(),
                ended.describe_end(),
                d.suffix()
            ));
            if let Some(code) = ended.exit_code {
                o.measurements.push(Measurement::new("exit_code", f64::from(code), "code"));
            }
            return with_time(o);
        }
    }
    let mut problems = Vec::new();
    match ended.exit_code {
        Some(code) if expected.accepts(code) => {}
        _ => problems.push(format!(
            "{} (expected exit code {})",
            ended.describe_end(),
            expected.describe()
        )),
    }
    for ((name, expect, captured), regexes) in
        [("stdout", &spec.stdout, &ended.stdout), ("stderr", &spec.stderr, &ended.stderr)]
            .into_iter()
            .zip(&compiled.regexes)
    {
        if let Some(expect) = expect {
            match check_output(&captured.path, expect, regexes) {
                Ok(mut found) => problems.extend(found.drain(..).map(|p| format!("{name} {p}"))),
                Err(e) => {
                    return with_time(ProbeOutcome::error(format!("cannot read {name} log: {e}")));
                }
            }
        }
    }
    if let Some(max) = spec.max_duration
        && ended.duration > max.0
    {
        problems.push(format!(
            "took {} (max {})",
            format_duration(Duration::from_millis(ms as u64)),
            max
        ));
    }
    let mut outcome = if problems.is_empty() {
        ProbeOutcome::pass(format!("`{}` {}", short(&spec.run.display()), ended.describe_end()))
    } else {
        let mut o = ProbeOutcome::fail(problems.join("; "));
        if let Some(line) = diagnosis().line {
            o.reason = format!("{} — {line}", o.reason);
        }
        o
    };
    if let Some(code) = ended.exit_code {
        outcome.measurements.push(Measurement::new("exit_code", f64::from(code), "code"));
    }
    with_time(outcome)
}

use std::time::Duration;

fn short(text: &str) -> String {
    let text = crate::shell::script_body(text);
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() > 60 || text.contains('\n') {
        format!("{}…", line.chars().take(57).collect::<String>())
    } else {
        line.to_string()
    }
}

/// Streams the log once, checking every expectation.
fn check_output(
    path: &Path,
    expect: &OutputExpect,
    regexes: &[regex::Regex],
) -> std::io::Result<Vec<String>> {
    let mut contains_found = vec![false; expect.contains.len()];
    let mut not_contains_found = vec![false; expect.not_contains.len()];
    let mut regex_found = vec![false; regexes.len()];
    // The bytes readyctl wrote, verified (not whatever the path holds by now).
    let bytes = crate::run::rundir::read_own(path)?;
    let mut reader = BufReader::new(bytes.as_slice());
    let mut line = Vec::new();
    while reader.read_until(b'\n', &mut line)? > 0 {
        let text = String::from_utf8_lossy(&line);
        for (i, s) in expect.contains.iter().enumerate() {
            contains_found[i] |= text.contains(s.as_str());
        }
        for (i, s) in expect.not_contains.iter().enumerate() {
            not_contains_found[i] |= text.contains(s.as_str());
        }
        for (i, r) in regexes.iter().enumerate() {
            regex_found[i] |= r.is_match(text.trim_end_matches('\n'));
        }
        line.clear();
    }
    let mut problems = Vec::new();
    for (s, found) in expect.contains.iter().zip(contains_found) {
        if !found {
            problems.push(format!("does not contain `{s}`"));
        }
    }
    for (s, found) in expect.not_contains.iter().zip(not_contains_found) {
        if found {
            problems.push(format!("contains `{s}`"));
        }
    }
    for (s, found) in expect.regex.iter().zip(regex_found) {
        if !found {
            problems.push(format!("has no line matching /{s}/"));
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_program_in_a_shell_command_is_an_error_not_a_failure() {
        let dir = tempfile::tempdir().unwrap();
        let cancel = std::sync::atomic::AtomicBool::new(false);
        let ctx = crate::probe::context::testing::context(
            dir.path(),
            "t",
            &cancel,
            std::time::Duration::from_secs(10),
        );
        let spec: Spec = serde_yaml::from_str("run: no-such-tool-xyz --version").unwrap();
        let o = crate::probe::run_spec::<Kind>(&spec, &ctx);
        assert_eq!(o.status, crate::outcome::Status::Error, "{}", o.reason);
        assert!(o.reason.contains("exit code 127, command not found"), "{}", o.reason);
        // Expecting 127 explicitly is a claim like any other.
        let spec: Spec = serde_yaml::from_str("run: no-such-tool-xyz\nexit_code: 127").unwrap();
        assert_eq!(
            crate::probe::run_spec::<Kind>(&spec, &ctx).status,
            crate::outcome::Status::Pass
        );
        // A command that fails normally is still a failure.
        let spec: Spec = serde_yaml::from_str("run: exit 3").unwrap();
        assert_eq!(
            crate::probe::run_spec::<Kind>(&spec, &ctx).status,
            crate::outcome::Status::Fail
        );
    }

    fn ctx_in<'a>(dir: &'a Path, cancel: &'a std::sync::atomic::AtomicBool) -> ProbeContext<'a> {
        ProbeContext {
            repo: dir,
            check_id: "t",
            evidence_dir: dir,
            run_started: std::time::SystemTime::now(),
            deadline: std::time::Instant::now() + Duration::from_secs(20),
            cancel,
            output_filter: None,
        }
    }

    /// Real processes: a missing Python module and a missing command inside a script are
    /// `error` with the tool's own line in the reason; a failing claim stays `fail` and says
    /// its decisive line, not "last output".
    #[test]
    fn environment_failures_are_errors_that_say_why() {
        let dir = tempfile::tempdir().unwrap();
        let cancel = std::sync::atomic::AtomicBool::new(false);
        let ctx = ctx_in(dir.path(), &cancel);
        let spec: Spec =
            serde_yaml::from_str("run: [python3, -c, 'import nonexistent_mod']").unwrap();
        let o = crate::probe::run_spec::<Kind>(&spec, &ctx);
        assert_eq!(o.status, crate::outcome::Status::Error, "{}", o.reason);
        assert!(o.reason.contains("a Python module is not installed"), "{}", o.reason);
        assert!(
            o.reason.contains("ModuleNotFoundError: No module named 'nonexistent_mod'"),
            "{}",
            o.reason
        );
        // `sh -c` runs the script; the missing command is inside it, exit code 127 from sh.
        let spec: Spec =
            serde_yaml::from_str("run: [sh, -c, 'echo starting; nonexistentcmd --flag']").unwrap();
        let o = crate::probe::run_spec::<Kind>(&spec, &ctx);
        assert_eq!(o.status, crate::outcome::Status::Error, "{}", o.reason);
        assert!(o.reason.contains("a command is not installed"), "{}", o.reason);
        assert!(o.reason.contains("nonexistentcmd: not found"), "{}", o.reason);
        // `go vet` that could not download its modules (go's own message, as printed behind a
        // proxy that refuses): an environment error, not a vet failure.
        let spec: Spec = serde_yaml::from_str(
            r#"run: [sh, -c, 'echo "go: downloading github.com/gin-gonic/gin v1.9.1" >&2; echo "go: github.com/gin-gonic/gin@v1.9.1: Get \"https://proxy.golang.org/github.com/gin-gonic/gin/@v/v1.9.1.mod\": dial tcp: lookup proxy.golang.org: no such host" >&2; exit 1']"#,
        )
        .unwrap();
        let o = crate::probe::run_spec::<Kind>(&spec, &ctx);
        assert_eq!(o.status, crate::outcome::Status::Error, "{}", o.reason);
        assert!(
            o.reason.contains("the network (registry, proxy or DNS) could not be reached"),
            "{}",
            o.reason
        );
        assert!(o.reason.contains("lookup proxy.golang.org: no such host"), "{}", o.reason);
        // A claim that fails names its decisive line, the last error-like one.
        let spec: Spec = serde_yaml::from_str(
            "run: 'echo \"error: 2 assertions failed\" >&2; echo \"summary written\" >&2; exit 1'",
        )
        .unwrap();
        let o = crate::probe::run_spec::<Kind>(&spec, &ctx);
        assert_eq!(o.status, crate::outcome::Status::Fail, "{}", o.reason);
        assert!(
            o.reason.ends_with("exit code 1 (expected exit code 0) — error: 2 assertions failed"),
            "{}",
            o.reason
        );
    }

    #[test]
    fn command_line_accepts_string_or_list() {
        let s: Spec = serde_yaml::from_str("run: echo hi").unwrap();
        assert_eq!(s.run, CommandLine::Shell("echo hi".into()));
        let s: Spec = serde_yaml::from_str("run: [echo, hi]\nexit_code: [0, 1]").unwrap();
        assert_eq!(s.run, CommandLine::Argv(vec!["echo".into(), "hi".into()]));
        assert_eq!(s.exit_code, Some(ExitCodes::Any(vec![0, 1])));
        let e = serde_yaml::from_str::<Spec>("run: {a: 1}").unwrap_err().to_string();
        assert!(e.contains("a shell command string or a list"), "{e}");
    }
}
