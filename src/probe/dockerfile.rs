//! `dockerfile`: a Dockerfile follows the hardening rules that matter in production — a non-root
//! `USER` and a `HEALTHCHECK` in the final stage, pinned base images, no secrets in `ENV`/`ARG`
//! (names, and values through the `secrets` rule set), and a multi-stage build where a build
//! toolchain is used. Instructions are parsed with line continuations, comments, the `escape`
//! parser directive and `FROM … AS name` stages.

use std::collections::HashMap;

use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Artifact, ProbeContext, ProbeIssue};
use crate::outcome::{Location, Measurement, ProbeOutcome, Status};

/// A Dockerfile rule.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// The final stage has no `USER` (and its base is not a `nonroot` distroless tag), or runs as `root`/`0`.
    UserRoot,
    /// The final stage has no `HEALTHCHECK` (or `HEALTHCHECK NONE`).
    NoHealthcheck,
    /// A base image is `latest` or has no tag (a digest or an explicit tag is pinned).
    UnpinnedBase,
    /// An `ENV`/`ARG` has a secret-like name, or a value a `secrets` rule matches.
    SecretInEnv,
    /// A toolchain image (rust, golang, node, maven, gradle, python, …) compiles in a single-stage build.
    SingleStageToolchain,
}

impl Rule {
    pub const ALL: [Rule; 5] = [
        Rule::UserRoot,
        Rule::NoHealthcheck,
        Rule::UnpinnedBase,
        Rule::SecretInEnv,
        Rule::SingleStageToolchain,
    ];
    pub fn id(self) -> &'static str {
        match self {
            Rule::UserRoot => "user-root",
            Rule::NoHealthcheck => "no-healthcheck",
            Rule::UnpinnedBase => "unpinned-base",
            Rule::SecretInEnv => "secret-in-env",
            Rule::SingleStageToolchain => "single-stage-toolchain",
        }
    }
}

/// Hardening rules for a Dockerfile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The Dockerfile(s): a path or glob relative to the repository, or a list of them
    /// (default: every Dockerfile in the repository — `Dockerfile`, `Dockerfile.*`,
    /// `*.Dockerfile` anywhere, and files under `docker/` or `deploy/` that start with `FROM` —
    /// outside vendored and hidden directories). Each file gets its own result line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<crate::formats::inputs::Inputs>,
    /// Rules to apply (default: all of user-root, no-healthcheck, unpinned-base, secret-in-env, single-stage-toolchain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<Rule>>,
}

pub fn validate(spec: &Spec) -> Vec<ProbeIssue> {
    let mut issues = Vec::new();
    if let Some(r) = &spec.rules
        && r.is_empty()
    {
        issues.push(ProbeIssue::new("rules", "empty rule list").hint("omit `rules` to apply all"));
    }
    for (i, g) in spec.path.iter().flat_map(|p| p.0.iter()).enumerate() {
        if let Err(e) = globset::Glob::new(g) {
            issues.push(ProbeIssue::new(format!("path[{i}]"), format!("invalid glob `{g}`: {e}")));
        }
    }
    issues
}

/// One instruction, continuation lines joined.
#[derive(Debug, Clone, PartialEq)]
pub struct Instruction {
    /// 1-based line where it starts.
    pub line: u64,
    /// Upper case (`FROM`, `RUN`, …).
    pub keyword: String,
    pub args: String,
}

/// Parses a Dockerfile into instructions.
pub fn parse(text: &str) -> Vec<Instruction> {
    let mut escape = '\\';
    // Parser directives: `# escape=`` ` at the very top.
    for line in text.lines() {
        let t = line.trim();
        if let Some(d) = t.strip_prefix('#') {
            let d = d.trim().to_ascii_lowercase();
            if let Some(v) = d.strip_prefix("escape=") {
                escape = v.trim().chars().next().unwrap_or('\\');
                continue;
            }
            if d.contains('=') && !d.contains(' ') {
                continue;
            }
        }
        break;
    }
    let mut out = Vec::new();
    let mut current: Option<(u64, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('#') || (t.is_empty() && current.is_none()) {
            // Comment lines vanish, even inside a continuation.
            continue;
        }
        let (body, cont) = match t.strip_suffix(escape) {
            Some(b) => (b, true),
            None => (t, false),
        };
        let entry = current.get_or_insert_with(|| (i as u64 + 1, String::new()));
        if !entry.1.is_empty() {
            entry.1.push(' ');
        }
        entry.1.push_str(body.trim());
        if !cont {
            let (line, full) = current.take().expect("set above");
            let (kw, args) = full.split_once(char::is_whitespace).unwrap_or((&full, ""));
            out.push(Instruction {
                line,
                keyword: kw.to_ascii_uppercase(),
                args: args.trim().to_string(),
            });
        }
    }
    if let Some((line, full)) = current {
        let (kw, args) = full.split_once(char::is_whitespace).unwrap_or((&full, ""));
        out.push(Instruction { line, keyword: kw.to_ascii_uppercase(), args: args.trim().into() });
    }
    out
}

/// A build stage: its `FROM` and the instructions up to the next `FROM`.
#[derive(Debug, Clone)]
struct Stage {
    from_line: u64,
    image: String,
    name: Option<String>,
    body: Vec<Instruction>,
}

fn stages(instructions: &[Instruction]) -> (Vec<Instruction>, Vec<Stage>) {
    let mut pre = Vec::new();
    let mut out: Vec<Stage> = Vec::new();
    for ins in instructions {
        if ins.keyword == "FROM" {
            let words: Vec<&str> =
                ins.args.split_whitespace().filter(|w| !w.starts_with("--")).collect();
            let image = words.first().copied().unwrap_or("").to_string();
            let name = match words.as_slice() {
                [_, kw, n, ..] if kw.eq_ignore_ascii_case("as") => Some(n.to_ascii_lowercase()),
                _ => None,
            };
            out.push(Stage { from_line: ins.line, image, name, body: Vec::new() });
        } else if let Some(s) = out.last_mut() {
            s.body.push(ins.clone());
        } else {
            pre.push(ins.clone());
        }
    }
    (pre, out)
}

/// Substitutes `$X` / `${X}` / `${X:-d}` from the ARG defaults declared before the first FROM.
fn substitute(image: &str, args: &HashMap<String, String>) -> String {
    let re = Regex::new(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}?").expect("constant regex");
    re.replace_all(image, |c: &regex::Captures| {
        args.get(&c[1])
            .cloned()
            .or_else(|| c.get(3).map(|m| m.as_str().to_string()))
            .unwrap_or_else(|| c[0].to_string())
    })
    .into_owned()
}

/// `(repository, tag, digest)` of an image reference.
fn split_image(image: &str) -> (String, Option<String>, bool) {
    let (rest, digest) = match image.split_once('@') {
        Some((r, _)) => (r, true),
        None => (image, false),
    };
    let last_slash = rest.rfind('/').map(|i| i + 1).unwrap_or(0);
    match rest[last_slash..].rfind(':') {
        Some(i) => {
            (rest[..last_slash + i].to_string(), Some(rest[last_slash + i + 1..].into()), digest)
        }
        None => (rest.to_string(), None, digest),
    }
}

/// Key/value pairs of `ENV`/`ARG` (`K=V K2="V 2"` or the legacy `K V`).
fn assignments(ins: &Instruction) -> Vec<(String, String)> {
    let a = ins.args.trim();
    if ins.keyword == "ENV" && !a.split_whitespace().next().unwrap_or("").contains('=') {
        let (k, v) = a.split_once(char::is_whitespace).unwrap_or((a, ""));
        return vec![(k.to_string(), v.trim().to_string())];
    }
    let re = Regex::new(r#"([A-Za-z_][A-Za-z0-9_.-]*)(?:=("(?:[^"\\]|\\.)*"|'[^']*'|\S*))?"#)
        .expect("constant regex");
    re.captures_iter(a)
        .map(|c| {
            let v = c.get(2).map(|m| m.as_str()).unwrap_or("");
            (c[1].to_string(), v.trim_matches(|ch| ch == '"' || ch == '\'').to_string())
        })
        .collect()
}

/// Names that hold secrets (the same idea as Docker's own `SecretsUsedInArgOrEnv` build check).
fn secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let tokens: Vec<&str> = lower.split(['_', '-', '.']).collect();
    const WORDS: &[&str] =
        &["password", "passwd", "pwd", "secret", "token", "apikey", "credential", "credentials"];
    if tokens.contains(&"public") {
        return false;
    }
    tokens.iter().any(|t| WORDS.contains(t))
        || ["api_key", "private_key", "access_key", "secret_key", "auth_key"]
            .iter()
            .any(|w| lower.contains(w))
}

const TOOLCHAINS: &[&str] = &[
    "rust",
    "golang",
    "node",
    "maven",
    "gradle",
    "python",
    "openjdk",
    "eclipse-temurin",
    "gcc",
    "mcr.microsoft.com/dotnet/sdk",
];
static BUILD_STEPS: std::sync::LazyLock<Regex> =
    std::sync::LazyLock::new(|| Regex::new(BUILD_STEPS_PATTERN).expect("constant regex"));
const BUILD_STEPS_PATTERN: &str = r"\b(cargo\s+(build|install)|go\s+build|(npm|yarn|pnpm)\s+(run\s+)?build|tsc\b|mvn\b|gradle\b|\./gradlew|dotnet\s+(build|publish)|python3?\s+-m\s+build|pip\s+wheel|poetry\s+build|make\b|gcc\b|g\+\+)";

fn user_of(stages: &[Stage], idx: usize) -> Option<(String, u64)> {
    let s = &stages[idx];
    if let Some(u) = s.body.iter().rev().find(|i| i.keyword == "USER") {
        return Some((u.args.clone(), u.line));
    }
    let parent = stages[..idx]
        .iter()
        .rposition(|p| p.name.as_deref() == Some(&*s.image.to_ascii_lowercase()))?;
    user_of(stages, parent)
}

fn healthcheck_of(stages: &[Stage], idx: usize) -> Option<(String, u64)> {
    let s = &stages[idx];
    if let Some(h) = s.body.iter().rev().find(|i| i.keyword == "HEALTHCHECK") {
        return Some((h.args.clone(), h.line));
    }
    let parent = stages[..idx]
        .iter()
        .rposition(|p| p.name.as_deref() == Some(&*s.image.to_ascii_lowercase()))?;
    healthcheck_of(stages, parent)
}

/// The findings of `rules` on a Dockerfile's text; `rel` names it in locations.
pub fn lint(
    rel: &str,
    text: &str,
    rules: &[Rule],
    scanner: &crate::secrets::Scanner,
) -> Vec<Location> {
    let instructions = parse(text);
    let (pre, stages) = stages(&instructions);
    let mut out = Vec::new();
    let at = |line: u64, rule: Rule, message: String| Location {
        path: rel.to_string(),
        line: Some(line),
        column: None,
        message: Some(message),
        rule: Some(rule.id().into()),
    };
    if stages.is_empty() {
        return out;
    }
    let last = stages.len() - 1;
    let global_args: HashMap<String, String> = pre
        .iter()
        .filter(|i| i.keyword == "ARG")
        .flat_map(assignments)
        .filter(|(_, v)| !v.is_empty())
        .collect();
    for rule in rules {
        match rule {
            Rule::UserRoot => match user_of(&stages, last) {
                // distroless `:nonroot` images (and their `-nonroot` variants) default to uid 65532.
                None if split_image(&stages[last].image)
                    .1
                    .is_some_and(|t| t.contains("nonroot")) => {}
                None => out.push(at(
                    stages[last].from_line,
                    *rule,
                    "the final stage runs as root (no USER); add `USER <non-root>`".into(),
                )),
                Some((u, line)) => {
                    let name = u.split(':').next().unwrap_or("").trim();
                    if name == "root" || name == "0" {
                        out.push(at(
                            line,
                            *rule,
                            format!("`USER {u}` runs as root; use a non-root user"),
                        ));
                    }
                }
            },
            Rule::NoHealthcheck => match healthcheck_of(&stages, last) {
                None => out.push(at(
                    stages[last].from_line,
                    *rule,
                    "the final stage has no HEALTHCHECK; add one that probes the service".into(),
                )),
                Some((h, line)) if h.trim().eq_ignore_ascii_case("none") => {
                    out.push(at(line, *rule, "`HEALTHCHECK NONE` disables the health check".into()))
                }
                Some(_) => {}
            },
            Rule::UnpinnedBase => {
                for (i, s) in stages.iter().enumerate() {
                    let lower = s.image.to_ascii_lowercase();
                    if lower == "scratch"
                        || stages[..i].iter().any(|p| p.name.as_deref() == Some(&*lower))
                    {
                        continue;
                    }
                    let image = substitute(&s.image, &global_args);
                    if image.contains('$') {
                        out.push(at(s.from_line, *rule, format!("base image `{}` depends on a build argument without a default; pin it", s.image)));
                        continue;
                    }
                    let (_, tag, digest) = split_image(&image);
                    if digest {
                        continue;
                    }
                    match tag.as_deref() {
                        None => out.push(at(s.from_line, *rule, format!("base image `{image}` has no tag (means `latest`); pin a version or a digest"))),
                        Some("latest") => out.push(at(s.from_line, *rule, format!("base image `{image}` is `latest`; pin a version or a digest"))),
                        _ => {}
                    }
                }
            }
            Rule::SecretInEnv => {
                for ins in instructions.iter().filter(|i| i.keyword == "ENV" || i.keyword == "ARG")
                {
                    for (k, v) in assignments(ins) {
                        if secret_name(&k) {
                            out.push(at(ins.line, *rule, format!("{} `{k}` has a secret-like name: it stays in the image metadata; use a build secret (`RUN --mount=type=secret`) or runtime configuration", ins.keyword)));
                        }
                        let mut ignored = 0;
                        let line = format!("{k}={v}\n");
                        for f in scanner.scan_bytes(rel, line.as_bytes(), &mut ignored) {
                            out.push(at(ins.line, *rule, format!("{} `{k}` holds a value the secrets rule `{}` matches ({}), fingerprint {}", ins.keyword, f.rule, f.description, f.fingerprint)));
                        }
                    }
                }
            }
            Rule::SingleStageToolchain => {
                if stages.len() != 1 {
                    continue;
                }
                let s = &stages[0];
                let (repo, _, _) =
                    split_image(&substitute(&s.image, &global_args).to_ascii_lowercase());
                let base = repo.strip_prefix("docker.io/").unwrap_or(&repo);
                let base = base.strip_prefix("library/").unwrap_or(base);
                let toolchain =
                    TOOLCHAINS.iter().find(|t| base == **t || base.ends_with(&format!("/{t}")));
                let build = &*BUILD_STEPS;
                if let (Some(t), Some(step)) = (
                    toolchain,
                    s.body.iter().find(|i| i.keyword == "RUN" && build.is_match(&i.args)),
                ) {
                    out.push(at(step.line, *rule, format!("builds in the `{t}` toolchain image and ships it: use a multi-stage build that copies the output into a slim runtime image")));
                }
            }
        }
    }
    out.sort_by_key(|l| l.line);
    out
}

super::validated_kind!("dockerfile");

fn run(spec: &Spec, ctx: &ProbeContext) -> ProbeOutcome {
    let files: Vec<String> = match &spec.path {
        Some(inputs) => match crate::formats::inputs::expand(ctx.repo, inputs) {
            Ok(paths) => paths.iter().map(|p| crate::text::repo_relative(p, ctx.repo)).collect(),
            Err(e) => return ProbeOutcome::error(format!("Dockerfile: {e}")),
        },
        None => crate::discover::dockerfiles(ctx.repo),
    };
    if files.is_empty() {
        return ProbeOutcome::error(
            "no Dockerfile found (Dockerfile, Dockerfile.*, *.Dockerfile, docker/**, deploy/**); \
             set `path`",
        );
    }
    let rules: Vec<Rule> = spec.rules.clone().unwrap_or_else(|| Rule::ALL.to_vec());
    let scanner = match crate::secrets::Scanner::new(&crate::secrets::Options::default()) {
        Ok(s) => s,
        Err(e) => return ProbeOutcome::error(format!("secrets rules: {e}")),
    };
    let mut findings: Vec<Location> = Vec::new();
    let mut per_file = Vec::new();
    let mut lines = Vec::new();
    for rel in &files {
        let text = match std::fs::read(ctx.resolve(rel)) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => return ProbeOutcome::error(format!("cannot read {rel}: {e}")),
        };
        let instructions = parse(&text);
        if !instructions.iter().any(|i| i.keyword == "FROM") {
            return ProbeOutcome::error(format!("{rel}: no FROM instruction: not a Dockerfile?"));
        }
        let found = lint(rel, &text, &rules, &scanner);
        let stages = instructions.iter().filter(|i| i.keyword == "FROM").count();
        lines.push(if found.is_empty() {
            format!(
                "{rel}: {} rules hold ({} instructions, {stages} stages)",
                rules.len(),
                instructions.len()
            )
        } else {
            let what: Vec<String> = found
                .iter()
                .map(|l| format!("{}:{}", l.rule.as_deref().unwrap_or(""), l.line.unwrap_or(0)))
                .collect();
            format!("{rel}: {}", what.join(", "))
        });
        per_file.push(serde_json::json!({
            "path": rel,
            "instructions": instructions.len(),
            "stages": stages,
            "findings": found,
        }));
        findings.extend(found);
    }
    let n = findings.len();
    let failing =
        per_file.iter().filter(|f| f["findings"].as_array().is_some_and(|a| !a.is_empty())).count();
    let mut out = if files.len() == 1 {
        // One file: the reason is its line (`Dockerfile: user-root:4, no-healthcheck:4`).
        let status = if n == 0 { Status::Pass } else { Status::Fail };
        let reason = if n == 0 {
            lines[0].clone()
        } else {
            format!("{n} Dockerfile finding{}: {}", crate::diag::plural(n), lines[0])
        };
        ProbeOutcome::new(status, reason)
    } else if n == 0 {
        ProbeOutcome::pass(format!(
            "{} Dockerfiles: {} rules hold in each ({})",
            files.len(),
            rules.len(),
            files.join(", ")
        ))
    } else {
        let bad: Vec<&String> = lines.iter().filter(|l| !l.contains(" rules hold (")).collect();
        let shown: Vec<&str> = bad.iter().take(3).map(|s| s.as_str()).collect();
        let more = if bad.len() > 3 { format!("; +{} more", bad.len() - 3) } else { String::new() };
        ProbeOutcome::fail(format!(
            "{n} finding{} in {failing} of {} Dockerfiles — {}{more}",
            crate::diag::plural(n),
            files.len(),
            shown.join("; ")
        ))
    };
    out.measurements.push(Measurement::new("findings", n as f64, "count").with_threshold("== 0"));
    out.measurements.push(Measurement::new("dockerfiles", files.len() as f64, "count"));
    out.measurements.push(Measurement::new("rules", rules.len() as f64, "count"));
    let summary = serde_json::json!({
        "rules": rules.iter().map(|r| r.id()).collect::<Vec<_>>(),
        "files": per_file,
        "results": lines,
    });
    out.locations = findings;
    out.with_artifact(Artifact::json("summary.json", &summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Vec<(String, u64)> {
        let scanner = crate::secrets::Scanner::new(&Default::default()).unwrap();
        lint("Dockerfile", text, &Rule::ALL, &scanner)
            .into_iter()
            .map(|l| (l.rule.unwrap(), l.line.unwrap()))
            .collect()
    }

    #[test]
    fn parses_continuations_comments_and_escape_directive() {
        let ins = parse(
            "# syntax=docker/dockerfile:1\nFROM a:1 AS b\nRUN apt-get update \\\n  # a comment inside\n  && apt-get install -y x\nCMD [\"x\"]\n",
        );
        assert_eq!(ins.len(), 3);
        assert_eq!(
            (ins[1].line, ins[1].args.as_str()),
            (3, "apt-get update && apt-get install -y x")
        );
        let ins = parse("# escape=`\nFROM a:1\nRUN dir `\n  c:\\\n");
        assert_eq!(ins[1].args, "dir c:\\");
    }

    #[test]
    fn hardened_multi_stage_file_passes() {
        let text = "ARG RUST_VERSION=1.82\nFROM rust:${RUST_VERSION}-slim AS build\nRUN cargo build --release\nFROM gcr.io/distroless/cc@sha256:abcd AS run\nCOPY --from=build /app /app\nUSER 10001:10001\nHEALTHCHECK CMD [\"/app\", \"health\"]\n";
        assert_eq!(ids(text), vec![]);
    }

    #[test]
    fn naive_single_stage_file_hits_every_rule() {
        let text = "FROM golang\nENV DB_PASSWORD=hunter2hunter2 \\\n    AWS_KEY=AKIAIOSFODNN7EXAMPLF\nARG GITHUB_TOKEN\nRUN go build -o /app .\nUSER root\n";
        let got = ids(text);
        let rules: Vec<&str> = got.iter().map(|(r, _)| r.as_str()).collect();
        for want in [
            "user-root",
            "no-healthcheck",
            "unpinned-base",
            "secret-in-env",
            "single-stage-toolchain",
        ] {
            assert!(rules.contains(&want), "{want} missing in {got:?}");
        }
        assert!(got.contains(&("user-root".into(), 6)));
        assert!(got.contains(&("single-stage-toolchain".into(), 5)));
        assert!(got.contains(&("secret-in-env".into(), 4)), "ARG GITHUB_TOKEN: {got:?}");
        // The AWS key in a value with a harmless name is found by the secrets rules.
        assert!(
            got.iter().filter(|(r, l)| r == "secret-in-env" && *l == 2).count() >= 2,
            "{got:?}"
        );
    }

    #[test]
    fn user_and_healthcheck_are_inherited_from_a_named_stage() {
        let text = "FROM node:20 AS base\nUSER node\nHEALTHCHECK CMD curl -f http://localhost/\nFROM base\nCMD [\"node\", \"x.js\"]\n";
        assert_eq!(ids(text), vec![]);
        let text = "FROM gcr.io/distroless/static-debian12:nonroot\nHEALTHCHECK CMD [\"/app\", \"-health\"]\n";
        assert_eq!(ids(text), vec![]);
        let text = "FROM node:20.1\nUSER 0\nHEALTHCHECK NONE\n";
        assert_eq!(ids(text), vec![("user-root".into(), 2), ("no-healthcheck".into(), 3)]);
    }

    #[test]
    fn image_references() {
        assert_eq!(split_image("localhost:5000/app"), ("localhost:5000/app".into(), None, false));
        assert_eq!(
            split_image("python:3.12-slim"),
            ("python".into(), Some("3.12-slim".into()), false)
        );
        assert!(split_image("x@sha256:00").2);
        let text = "ARG BASE\nFROM $BASE\nUSER app\nHEALTHCHECK CMD true\n";
        assert_eq!(ids(text), vec![("unpinned-base".into(), 2)]);
    }

    #[test]
    fn public_key_names_are_not_secrets() {
        assert!(!secret_name("PUBLIC_TOKEN"));
        assert!(secret_name("API_KEY"));
        assert!(!secret_name("PATH"));
        assert!(!secret_name("KEYBOARD"));
    }

    #[test]
    fn every_dockerfile_gets_its_own_result_line() {
        use crate::probe::context::testing::{run_probe, write};
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let good = "FROM a:1 AS b\nFROM c:2\nUSER app\nHEALTHCHECK CMD true\n";
        write(d, "src/api/Dockerfile", good);
        write(d, "docker/production.Dockerfile", "FROM a:1\nCMD x\n");
        write(d, "node_modules/x/Dockerfile", "FROM a\n");
        let o = run_probe(d, "d", |ctx| run(&Spec::default(), ctx));
        assert_eq!(o.status, Status::Fail, "{}", o.reason);
        assert!(o.reason.contains("in 1 of 2 Dockerfiles"), "{}", o.reason);
        assert!(o.reason.contains("docker/production.Dockerfile: user-root:1"), "{}", o.reason);
        assert!(o.locations.iter().all(|l| l.path == "docker/production.Dockerfile"));
        let spec = Spec {
            path: Some(crate::formats::inputs::Inputs(vec!["src/*/Dockerfile".into()])),
            rules: None,
        };
        let o = run_probe(d, "d", |ctx| run(&spec, ctx));
        assert_eq!(o.status, Status::Pass, "{}", o.reason);
        assert!(o.reason.starts_with("src/api/Dockerfile: 5 rules hold"), "{}", o.reason);
        let empty = tempfile::tempdir().unwrap();
        let o = run_probe(empty.path(), "d", |ctx| run(&Spec::default(), ctx));
        assert_eq!(o.status, Status::Error, "{}", o.reason);
    }
}
