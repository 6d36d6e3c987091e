//! `audit`: no known-vulnerable dependencies, according to the auditors installed for the
//! detected ecosystems — `cargo audit --json` (Cargo.lock), `pip-audit -f json` (requirements
//! or pyproject), `npm audit --json` (package-lock.json), `pnpm audit --json` (pnpm-lock.yaml),
//! `yarn audit --json` / `yarn npm audit --json` (yarn.lock, yarn 1 / 2+) and
//! `osv-scanner --format json` (any lockfile). Each runs through [`crate::run::process::run`] (deadline, Ctrl-C, output kept as
//! evidence) and its JSON becomes findings with a severity. No auditor available, or one that
//! could not reach its database, is `error` with what to install — never a silent pass.
//!
//! Severity: npm and OSV give one; a CVSS v3 vector (cargo audit, OSV) is scored with the CVSS
//! 3.1 base formula; pip-audit gives none, so its findings are `unknown`, held to the threshold
//! as `high` (a vulnerability of unknown severity is not waved through).

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Artifact, ProbeContext, ProbeIssue};
use crate::outcome::{Location, Measurement, ProbeOutcome};
use crate::run::process::{self, ProcSpec};
use crate::severity::Severity;

/// A dependency auditor.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Tool {
    /// `cargo audit` (RustSec) on Cargo.lock.
    CargoAudit,
    /// `pip-audit` (PyPI advisories) on requirements*.txt or the pyproject.toml project.
    PipAudit,
    /// `npm audit` on package-lock.json.
    NpmAudit,
    /// `yarn audit` (yarn 1) or `yarn npm audit` (yarn 2+) on yarn.lock.
    YarnAudit,
    /// `pnpm audit` on pnpm-lock.yaml.
    PnpmAudit,
    /// `osv-scanner` (OSV.dev) on every lockfile.
    OsvScanner,
}

impl Tool {
    pub fn id(self) -> &'static str {
        match self {
            Tool::CargoAudit => "cargo-audit",
            Tool::PipAudit => "pip-audit",
            Tool::NpmAudit => "npm-audit",
            Tool::YarnAudit => "yarn-audit",
            Tool::PnpmAudit => "pnpm-audit",
            Tool::OsvScanner => "osv-scanner",
        }
    }
    fn binary(self) -> &'static str {
        match self {
            Tool::CargoAudit => "cargo-audit",
            Tool::PipAudit => "pip-audit",
            Tool::NpmAudit => "npm",
            Tool::YarnAudit => "yarn",
            Tool::PnpmAudit => "pnpm",
            Tool::OsvScanner => "osv-scanner",
        }
    }
    fn install_hint(self) -> &'static str {
        match self {
            Tool::CargoAudit => "cargo install cargo-audit --locked",
            Tool::PipAudit => "pipx install pip-audit (or pip install pip-audit)",
            Tool::NpmAudit => "install Node.js and npm",
            Tool::YarnAudit => "corepack enable yarn (or npm install -g yarn)",
            Tool::PnpmAudit => "corepack enable pnpm (or npm install -g pnpm)",
            Tool::OsvScanner => {
                "go install github.com/google/osv-scanner/v2/cmd/osv-scanner@latest (or a release binary)"
            }
        }
    }
}

/// No known-vulnerable dependencies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Auditors to run (default: those installed that fit the repository's lockfiles; osv-scanner fits all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool>>,
    /// Highest severity tolerated (default: none — every finding fails). Findings of unknown severity count as high.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_severity: Option<Severity>,
    /// Advisory ids (or aliases: CVE, GHSA, RUSTSEC, PYSEC) accepted after review.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<String>,
}

pub fn validate(spec: &Spec) -> Vec<ProbeIssue> {
    let mut issues = Vec::new();
    if let Some(t) = &spec.tools
        && t.is_empty()
    {
        issues.push(
            ProbeIssue::new("tools", "empty tool list")
                .hint("omit `tools` to run every installed auditor"),
        );
    }
    for (i, id) in spec.ignore.iter().enumerate() {
        if id.trim().is_empty() || id.contains(char::is_whitespace) {
            issues.push(ProbeIssue::new(
                format!("ignore[{i}]"),
                format!("`{id}` is not an advisory id"),
            ));
        }
    }
    issues
}

/// One vulnerable dependency, as an auditor reported it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub tool: &'static str,
    pub id: String,
    pub aliases: Vec<String>,
    pub package: String,
    pub version: String,
    /// `None` when the auditor gives no severity.
    pub severity: Option<Severity>,
    pub title: String,
    /// The lockfile or manifest it was found in, relative to the repository.
    pub path: String,
}

/// CVSS 3.x base score of a vector (`CVSS:3.1/AV:N/AC:L/…`), per the CVSS 3.1 specification.
pub fn cvss3_score(vector: &str) -> Option<f64> {
    if !vector.starts_with("CVSS:3") {
        return None;
    }
    let m: std::collections::HashMap<&str, &str> =
        vector.split('/').skip(1).filter_map(|p| p.split_once(':')).collect();
    let changed = *m.get("S")? == "C";
    let av = match *m.get("AV")? {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        "P" => 0.2,
        _ => return None,
    };
    let ac = match *m.get("AC")? {
        "L" => 0.77,
        "H" => 0.44,
        _ => return None,
    };
    let pr = match (*m.get("PR")?, changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        ("H", false) => 0.27,
        ("H", true) => 0.5,
        _ => return None,
    };
    let ui = match *m.get("UI")? {
        "N" => 0.85,
        "R" => 0.62,
        _ => return None,
    };
    let cia = |k: &str| -> Option<f64> {
        match *m.get(k)? {
            "H" => Some(0.56),
            "L" => Some(0.22),
            "N" => Some(0.0),
            _ => None,
        }
    };
    let iss = 1.0 - (1.0 - cia("C")?) * (1.0 - cia("I")?) * (1.0 - cia("A")?);
    let impact =
        if changed { 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02f64).powi(15) } else { 6.42 * iss };
    let exploit = 8.22 * av * ac * pr * ui;
    if impact <= 0.0 {
        return Some(0.0);
    }
    let raw =
        if changed { (1.08 * (impact + exploit)).min(10.0) } else { (impact + exploit).min(10.0) };
    // Roundup as defined in CVSS 3.1 Appendix A (immune to floating-point noise).
    let int = (raw * 100_000.0).round() as i64;
    Some(if int % 10_000 == 0 {
        int as f64 / 100_000.0
    } else {
        ((int / 10_000) + 1) as f64 / 10.0
    })
}

/// Qualitative rating of a CVSS score.
pub fn severity_of_score(score: f64) -> Severity {
    match score {
        s if s >= 9.0 => Severity::Critical,
        s if s >= 7.0 => Severity::High,
        s if s >= 4.0 => Severity::Medium,
        s if s > 0.0 => Severity::Low,
        _ => Severity::Info,
    }
}

fn severity_word(s: &str) -> Option<Severity> {
    match s.to_ascii_lowercase().as_str() {
        "critical" => Some(Severity::Critical),
        "high" => Some(Severity::High),
        "moderate" | "medium" => Some(Severity::Medium),
        "low" => Some(Severity::Low),
        "info" | "none" => Some(Severity::Info),
        _ => None,
    }
}

fn s(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or("").to_string()
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

fn parse_json(tool: Tool, text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| {
        format!(
            "{} printed output that is not its JSON report (line {}, column {}): {e}",
            tool.id(),
            e.line(),
            e.column()
        )
    })
}

/// `cargo audit --json`: `vulnerabilities.list[]` of `{advisory, package, versions}`.
pub fn parse_cargo_audit(text: &str, path: &str) -> Result<Vec<Finding>, String> {
    let v = parse_json(Tool::CargoAudit, text)?;
    let list = v
        .pointer("/vulnerabilities/list")
        .and_then(Value::as_array)
        .ok_or("cargo-audit: no `vulnerabilities.list` in its JSON report")?;
    Ok(list
        .iter()
        .map(|item| {
            let adv = item.get("advisory").unwrap_or(&Value::Null);
            let pkg = item.get("package").unwrap_or(&Value::Null);
            Finding {
                tool: Tool::CargoAudit.id(),
                id: s(adv, "id"),
                aliases: strings(adv.get("aliases")),
                package: s(pkg, "name"),
                version: s(pkg, "version"),
                severity: adv
                    .get("cvss")
                    .and_then(Value::as_str)
                    .and_then(cvss3_score)
                    .map(severity_of_score),
                title: s(adv, "title"),
                path: path.into(),
            }
        })
        .collect())
}

/// `pip-audit -f json`: `{dependencies: [{name, version, vulns: [{id, aliases, description}]}]}`
/// (pip-audit < 2.5 printed the dependency list alone).
pub fn parse_pip_audit(text: &str, path: &str) -> Result<Vec<Finding>, String> {
    let v = parse_json(Tool::PipAudit, text)?;
    let deps = v
        .get("dependencies")
        .or(if v.is_array() { Some(&v) } else { None })
        .and_then(Value::as_array)
        .ok_or("pip-audit: no `dependencies` in its JSON report")?;
    let skipped: Vec<&Value> = deps.iter().filter(|d| d.get("skip_reason").is_some()).collect();
    if !deps.is_empty() && skipped.len() == deps.len() {
        // pip-audit exits 0 and says "No known vulnerabilities found" when it could audit
        // nothing (e.g. PyPI unreachable): that is not a clean bill of health.
        return Err(format!(
            "pip-audit could not audit any of the {} dependencies: {}",
            deps.len(),
            s(skipped[0], "skip_reason")
        ));
    }
    let mut out = Vec::new();
    for d in deps {
        for vuln in d.get("vulns").and_then(Value::as_array).into_iter().flatten() {
            let desc = s(vuln, "description");
            out.push(Finding {
                tool: Tool::PipAudit.id(),
                id: s(vuln, "id"),
                aliases: strings(vuln.get("aliases")),
                package: s(d, "name"),
                version: s(d, "version"),
                severity: None,
                title: desc.lines().next().unwrap_or("").chars().take(120).collect(),
                path: path.into(),
            });
        }
    }
    Ok(out)
}

/// `npm audit --json` (report version 2): `vulnerabilities.<pkg>.via[]`, advisories as objects.
/// A top-level `error` (the registry refused the audit) is an error, not an empty report.
pub fn parse_npm_audit(text: &str, path: &str) -> Result<Vec<Finding>, String> {
    let v = parse_json(Tool::NpmAudit, text)?;
    if let Some(e) = v.get("error") {
        let summary = s(e, "summary");
        let msg = if summary.is_empty() { s(&v, "message") } else { summary };
        return Err(format!(
            "npm audit could not get advisories: {}",
            if msg.is_empty() { "unknown error".into() } else { msg }
        ));
    }
    let vulns = v
        .get("vulnerabilities")
        .and_then(Value::as_object)
        .ok_or("npm audit: no `vulnerabilities` in its JSON report (npm 7 or later is needed)")?;
    let mut out = Vec::new();
    for (name, entry) in vulns {
        for via in entry.get("via").and_then(Value::as_array).into_iter().flatten() {
            if !via.is_object() {
                continue; // a package name: the advisory is listed under that package
            }
            let url = s(via, "url");
            let ghsa = url.rsplit('/').next().filter(|x| x.starts_with("GHSA-")).map(String::from);
            let id = ghsa
                .clone()
                .unwrap_or_else(|| via.get("source").map(|x| x.to_string()).unwrap_or_default());
            out.push(Finding {
                tool: Tool::NpmAudit.id(),
                id,
                aliases: Vec::new(),
                package: name.clone(),
                version: s(via, "range"),
                severity: severity_word(&s(via, "severity")),
                title: s(via, "title"),
                path: path.into(),
            });
        }
    }
    Ok(out)
}

/// Whether yarn.lock was written by yarn 2 or later (it starts with a `__metadata` entry).
fn yarn_berry(repo: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 512];
    let n = std::fs::File::open(repo.join("yarn.lock"))
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    String::from_utf8_lossy(&head[..n]).contains("__metadata:")
}

/// One advisory in npm's v1 audit format (`pnpm audit --json`'s `advisories`, yarn 1's
/// `auditAdvisory` lines): `module_name`, `severity`, `title`, `findings[].version`,
/// `github_advisory_id`, `cves`.
fn advisory_finding(tool: Tool, adv: &Value, path: &str) -> Finding {
    let ghsa = s(adv, "github_advisory_id");
    let id = if ghsa.is_empty() {
        adv.get("id").map(|x| x.to_string().trim_matches('"').to_string()).unwrap_or_default()
    } else {
        ghsa
    };
    let versions: Vec<String> = adv
        .get("findings")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|f| s(f, "version"))
        .filter(|v| !v.is_empty())
        .collect();
    Finding {
        tool: tool.id(),
        id,
        aliases: strings(adv.get("cves")),
        package: s(adv, "module_name"),
        version: versions.join(", "),
        severity: severity_word(&s(adv, "severity")),
        title: s(adv, "title"),
        path: path.into(),
    }
}

/// `pnpm audit --json`: npm's v1 report (`advisories` by id), or `error` when pnpm could not
/// reach the registry's audit endpoint.
pub fn parse_advisories(tool: Tool, text: &str, path: &str) -> Result<Vec<Finding>, String> {
    let v = parse_json(tool, text)?;
    if let Some(e) = v.get("error") {
        let msg = e.as_str().map(String::from).unwrap_or_else(|| s(e, "message"));
        return Err(format!("{} could not get advisories: {msg}", tool.id()));
    }
    let advisories = v
        .get("advisories")
        .and_then(Value::as_object)
        .ok_or_else(|| format!("{}: no `advisories` in its JSON report", tool.id()))?;
    Ok(advisories.values().map(|a| advisory_finding(tool, a, path)).collect())
}

/// `yarn audit --json` (yarn 1: one JSON object per line, `auditAdvisory` lines carry npm v1
/// advisories, `auditSummary` closes) and `yarn npm audit --json` (yarn 2+: one line per
/// package, `{"value": name, "children": {"ID", "Issue", "Severity", "Tree Versions", …}}`).
pub fn parse_yarn_audit(text: &str, path: &str) -> Result<Vec<Finding>, String> {
    let mut out = Vec::new();
    let mut understood = false;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(v) = serde_json::from_str::<Value>(line) else { continue };
        match v.get("type").and_then(Value::as_str) {
            Some("auditAdvisory") => {
                understood = true;
                if let Some(adv) = v.pointer("/data/advisory") {
                    out.push(advisory_finding(Tool::YarnAudit, adv, path));
                }
            }
            Some("auditSummary") => understood = true,
            Some("error") => {
                return Err(format!(
                    "yarn audit could not get advisories: {}",
                    v.get("data").and_then(Value::as_str).unwrap_or("unknown error")
                ));
            }
            _ => {
                if let (Some(name), Some(c)) =
                    (v.get("value").and_then(Value::as_str), v.get("children"))
                {
                    understood = true;
                    out.push(Finding {
                        tool: Tool::YarnAudit.id(),
                        id: c
                            .get("ID")
                            .map(|x| x.to_string().trim_matches('"').to_string())
                            .unwrap_or_default(),
                        aliases: Vec::new(),
                        package: name.to_string(),
                        version: strings(c.get("Tree Versions")).join(", "),
                        severity: severity_word(&s(c, "Severity")),
                        title: s(c, "Issue"),
                        path: path.into(),
                    });
                }
            }
        }
    }
    if !understood && !text.trim().is_empty() {
        return Err("yarn audit: no advisories or summary in its JSON output".into());
    }
    if !understood {
        return Err("yarn audit printed nothing".into());
    }
    Ok(out)
}

/// `osv-scanner --format json`: `results[].packages[].vulnerabilities[]`, severity from the
/// group's `max_severity` (a CVSS score), a CVSS v3 vector, or the database's rating.
pub fn parse_osv(text: &str, repo: &Path) -> Result<Vec<Finding>, String> {
    let v = parse_json(Tool::OsvScanner, text)?;
    let results = v
        .get("results")
        .and_then(Value::as_array)
        .ok_or("osv-scanner: no `results` in its JSON report")?;
    let mut out = Vec::new();
    for r in results {
        let src = r.pointer("/source/path").and_then(Value::as_str).unwrap_or("");
        let path = Path::new(src)
            .strip_prefix(repo)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|_| src.to_string());
        for p in r.get("packages").and_then(Value::as_array).into_iter().flatten() {
            let pkg = p.get("package").unwrap_or(&Value::Null);
            let groups = p.get("groups").and_then(Value::as_array).cloned().unwrap_or_default();
            for vuln in p.get("vulnerabilities").and_then(Value::as_array).into_iter().flatten() {
                let id = s(vuln, "id");
                let group_score =
                    groups.iter().find(|g| strings(g.get("ids")).contains(&id)).and_then(|g| {
                        g.get("max_severity")
                            .and_then(Value::as_str)
                            .and_then(|x| x.parse::<f64>().ok())
                    });
                let vector_score = vuln
                    .get("severity")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|x| x.get("score").and_then(Value::as_str).and_then(cvss3_score))
                    .reduce(f64::max);
                let severity = group_score.or(vector_score).map(severity_of_score).or_else(|| {
                    vuln.pointer("/database_specific/severity")
                        .and_then(Value::as_str)
                        .and_then(severity_word)
                });
                out.push(Finding {
                    tool: Tool::OsvScanner.id(),
                    id,
                    aliases: strings(vuln.get("aliases")),
                    package: s(pkg, "name"),
                    version: s(pkg, "version"),
                    severity,
                    title: s(vuln, "summary"),
                    path: path.clone(),
                });
            }
        }
    }
    Ok(out)
}

/// The auditors that fit `repo`, with the files they read: the tool of the lockfile present
/// (npm, yarn or pnpm by their lockfiles), and osv-scanner for every lockfile.
fn applicable(repo: &Path) -> Vec<(Tool, String)> {
    let mut out = Vec::new();
    if repo.join("Cargo.lock").is_file() {
        out.push((Tool::CargoAudit, "Cargo.lock".into()));
    }
    if repo.join("requirements.txt").is_file() {
        out.push((Tool::PipAudit, "requirements.txt".into()));
    } else if repo.join("pyproject.toml").is_file() {
        out.push((Tool::PipAudit, "pyproject.toml".into()));
    }
    if repo.join("package-lock.json").is_file() {
        out.push((Tool::NpmAudit, "package-lock.json".into()));
    } else if repo.join("pnpm-lock.yaml").is_file() {
        out.push((Tool::PnpmAudit, "pnpm-lock.yaml".into()));
    } else if repo.join("yarn.lock").is_file() {
        out.push((Tool::YarnAudit, "yarn.lock".into()));
    }
    out.push((Tool::OsvScanner, ".".into()));
    out
}

/// Dependency files at the root an auditor could read, and the auditors readyctl runs on each.
const AUDITED_FILES: &[(&str, &[Tool])] = &[
    ("Cargo.lock", &[Tool::CargoAudit, Tool::OsvScanner]),
    ("requirements.txt", &[Tool::PipAudit, Tool::OsvScanner]),
    ("pyproject.toml", &[Tool::PipAudit]),
    ("poetry.lock", &[Tool::OsvScanner]),
    ("uv.lock", &[Tool::OsvScanner]),
    ("Pipfile.lock", &[Tool::OsvScanner]),
    ("package-lock.json", &[Tool::NpmAudit, Tool::OsvScanner]),
    ("yarn.lock", &[Tool::YarnAudit, Tool::OsvScanner]),
    ("pnpm-lock.yaml", &[Tool::PnpmAudit, Tool::OsvScanner]),
    ("go.sum", &[Tool::OsvScanner]),
    ("go.mod", &[Tool::OsvScanner]),
    ("Gemfile.lock", &[Tool::OsvScanner]),
    ("composer.lock", &[Tool::OsvScanner]),
    ("pom.xml", &[Tool::OsvScanner]),
    ("gradle.lockfile", &[Tool::OsvScanner]),
];

/// Why no auditor ran: for each dependency file present, which auditors would read it and
/// that none of them is installed; or that there is no file an auditor reads.
fn why_no_auditor(repo: &Path, missing: &[Tool]) -> String {
    let present: Vec<(&str, &[Tool])> =
        AUDITED_FILES.iter().filter(|(f, _)| repo.join(f).is_file()).copied().collect();
    let hint = |t: &Tool| format!("{} ({})", t.id(), t.install_hint());
    if present.is_empty() {
        return format!(
            "no lockfile or manifest an auditor reads at the repository root ({}); only osv-scanner could look further, and it is not installed: {}",
            AUDITED_FILES.iter().map(|(f, _)| *f).collect::<Vec<_>>().join(", "),
            hint(&Tool::OsvScanner)
        );
    }
    let parts: Vec<String> = present
        .iter()
        .map(|(file, tools)| {
            let names: Vec<&str> = tools
                .iter()
                .filter(|t| missing.contains(t) || **t == Tool::OsvScanner)
                .map(|t| t.binary())
                .collect();
            format!("{file} present: {} not installed", names.join(" or "))
        })
        .collect();
    let mut tools: Vec<&Tool> = present.iter().flat_map(|(_, t)| t.iter()).collect();
    tools.sort();
    tools.dedup();
    format!(
        "no auditor for the dependency files here — {}; install {}",
        parts.join("; "),
        tools.iter().map(|t| hint(t)).collect::<Vec<_>>().join(" or ")
    )
}

/// `name` on `path` (a PATH value), as an absolute path.
fn which(name: &str, path: &std::ffi::OsStr) -> Option<PathBuf> {
    std::env::split_paths(path).map(|d| d.join(name)).find(|p| {
        use std::os::unix::fs::PermissionsExt;
        p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

fn argv(tool: Tool, exe: &Path, input: &str) -> Vec<String> {
    let exe = exe.to_string_lossy().into_owned();
    let mut a = vec![exe];
    match tool {
        Tool::CargoAudit => a.extend(["audit", "--json"].map(String::from)),
        Tool::PipAudit => {
            a.extend(["-f", "json", "--progress-spinner", "off"].map(String::from));
            if input.ends_with(".txt") {
                a.extend(["-r".into(), input.into()]);
            } else {
                a.push(".".into());
            }
        }
        Tool::NpmAudit => a.extend(["audit", "--json"].map(String::from)),
        Tool::PnpmAudit => a.extend(["audit", "--json"].map(String::from)),
        Tool::YarnAudit => a.extend(["audit", "--json"].map(String::from)),
        Tool::OsvScanner => a.extend(["--format", "json", "--recursive", "."].map(String::from)),
    }
    a
}

super::validated_kind!("audit");

fn run(spec: &Spec, ctx: &ProbeContext) -> ProbeOutcome {
    let path = std::env::var_os("PATH").unwrap_or_default();
    run_with_path(spec, ctx, &path)
}

/// [`run`], looking the auditors up on `path` instead of `$PATH`.
fn run_with_path(spec: &Spec, ctx: &ProbeContext, path: &std::ffi::OsStr) -> ProbeOutcome {
    let fitting = applicable(ctx.repo);
    let wanted: Vec<(Tool, String)> = match &spec.tools {
        Some(tools) => tools
            .iter()
            .map(|t| {
                (
                    *t,
                    fitting
                        .iter()
                        .find(|(f, _)| f == t)
                        .map(|(_, i)| i.clone())
                        .unwrap_or_else(|| ".".into()),
                )
            })
            .collect(),
        None => fitting,
    };
    let mut available = Vec::new();
    let mut missing = Vec::new();
    for (tool, input) in wanted {
        match which(tool.binary(), path) {
            Some(exe) => available.push((tool, input, exe)),
            None => missing.push(tool),
        }
    }
    if available.is_empty() {
        if spec.tools.is_some() {
            let hints: Vec<String> =
                missing.iter().map(|t| format!("{}: {}", t.id(), t.install_hint())).collect();
            return ProbeOutcome::error(format!(
                "none of the auditors in `tools` is installed — {}",
                hints.join("; ")
            ));
        }
        return ProbeOutcome::error(why_no_auditor(ctx.repo, &missing));
    }
    let mut findings = Vec::new();
    let mut ran = Vec::new();
    for (tool, input, exe) in &available {
        let mut args = argv(*tool, exe, input);
        // yarn 2+ (a `__metadata` lockfile) audits with `yarn npm audit`.
        if *tool == Tool::YarnAudit && yarn_berry(ctx.repo) {
            args = vec![
                args[0].clone(),
                "npm".into(),
                "audit".into(),
                "--json".into(),
                "--recursive".into(),
            ];
        }
        let proc = ProcSpec { argv: args, cwd: ctx.repo.to_path_buf(), env: Vec::new() };
        let out_path = ctx.evidence_dir.join(format!("{}.json", tool.id()));
        let err_path = ctx.evidence_dir.join(format!("{}.stderr.txt", tool.id()));
        let ended = match process::run(
            &proc,
            ctx.deadline,
            ctx.cancel,
            &out_path,
            &err_path,
            ctx.output_filter.clone(),
        ) {
            Ok(o) => o,
            Err(e) => return ProbeOutcome::error(format!("cannot run {}: {e}", tool.id())),
        };
        if ended.timed_out || ended.cancelled {
            return ProbeOutcome::error(format!("{} {}", tool.id(), ended.describe_end()));
        }
        // The tool's report as readyctl wrote it, verified (not whatever the path holds now).
        let text = match crate::run::rundir::read_own(&out_path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                return ProbeOutcome::error(format!("cannot trust {}'s report: {e}", tool.id()));
            }
            Err(_) => String::new(),
        };
        let parsed = match tool {
            Tool::CargoAudit => parse_cargo_audit(&text, input),
            Tool::PipAudit => parse_pip_audit(&text, input),
            Tool::NpmAudit => parse_npm_audit(&text, input),
            Tool::PnpmAudit => parse_advisories(Tool::PnpmAudit, &text, input),
            Tool::YarnAudit => parse_yarn_audit(&text, input),
            Tool::OsvScanner if ended.exit_code == Some(128) => Ok(Vec::new()), // no lockfile found
            Tool::OsvScanner => parse_osv(&text, ctx.repo),
        };
        match parsed {
            Ok(f) => findings.extend(f),
            Err(e) => {
                let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
                let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
                let tail =
                    if last.is_empty() { String::new() } else { format!(" (stderr: {last})") };
                return ProbeOutcome::error(format!(
                    "{e}; {} {}{tail}",
                    tool.id(),
                    ended.describe_end()
                ));
            }
        }
        ran.push(tool.id());
    }
    outcome(spec, &ran, &missing, findings)
}

fn outcome(spec: &Spec, ran: &[&str], missing: &[Tool], findings: Vec<Finding>) -> ProbeOutcome {
    let ignored = |f: &Finding| {
        spec.ignore.iter().any(|i| {
            i.eq_ignore_ascii_case(&f.id) || f.aliases.iter().any(|a| a.eq_ignore_ascii_case(i))
        })
    };
    let (accepted, active): (Vec<Finding>, Vec<Finding>) = findings.into_iter().partition(ignored);
    let blocking: Vec<&Finding> = active
        .iter()
        .filter(|f| spec.max_severity.is_none_or(|m| f.severity.unwrap_or(Severity::High) > m))
        .collect();
    let n = blocking.len();
    let tools = ran.join(", ");
    let mut out = if n == 0 {
        ProbeOutcome::pass(format!(
            "{tools}: no vulnerable dependency{}{}",
            match spec.max_severity {
                Some(m) => format!(" above {}", m.as_str()),
                None => String::new(),
            },
            if accepted.is_empty() {
                String::new()
            } else {
                format!(" ({} ignored by id)", accepted.len())
            }
        ))
    } else {
        let first: Vec<String> = blocking
            .iter()
            .take(3)
            .map(|f| {
                format!(
                    "{} {} {} ({})",
                    f.package,
                    f.version,
                    f.id,
                    f.severity.map(|s| s.as_str()).unwrap_or("unknown")
                )
            })
            .collect();
        let more = crate::text::more(n, 3, crate::text::More::Plus);
        ProbeOutcome::fail(format!(
            "{tools}: {n} vulnerable dependenc{}: {}{more}; upgrade them, or list reviewed ids in `ignore`",
            if n == 1 { "y" } else { "ies" },
            first.join(", ")
        ))
    };
    out.measurements
        .push(Measurement::new("vulnerabilities", n as f64, "count").with_threshold("== 0"));
    out.measurements.push(Measurement::new("ignored", accepted.len() as f64, "count"));
    out.locations = blocking
        .iter()
        .take(200)
        .map(|f| Location {
            path: f.path.clone(),
            line: None,
            column: None,
            message: Some(format!(
                "{} {}: {} — {} ({})",
                f.package,
                f.version,
                f.id,
                f.title,
                f.severity.map(|s| s.as_str()).unwrap_or("unknown severity")
            )),
            rule: Some(f.id.clone()),
        })
        .collect();
    let summary = serde_json::json!({
        "ran": ran,
        "not_installed": missing.iter().map(|t| t.id()).collect::<Vec<_>>(),
        "max_severity": spec.max_severity.map(|s| s.as_str()),
        "findings": active,
        "ignored": accepted,
    });
    out.with_artifact(Artifact::json("summary.json", &summary))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Status;
    use std::sync::atomic::AtomicBool;

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/audit").join(name),
        )
        .unwrap()
    }

    #[test]
    fn cvss_base_scores_match_the_specification_examples() {
        assert_eq!(cvss3_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), Some(9.8));
        assert_eq!(cvss3_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"), Some(10.0));
        assert_eq!(cvss3_score("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N"), Some(5.5));
        assert_eq!(cvss3_score("CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H"), Some(5.9));
        assert_eq!(cvss3_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N"), Some(0.0));
        assert_eq!(cvss3_score("CVSS:4.0/AV:N"), None);
        assert_eq!(severity_of_score(9.8), Severity::Critical);
        assert_eq!(severity_of_score(5.5), Severity::Medium);
    }

    #[test]
    fn parses_each_auditors_report() {
        let c = parse_cargo_audit(&fixture("cargo-audit.json"), "Cargo.lock").unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(
            (c[0].id.as_str(), c[0].package.as_str(), c[0].severity),
            ("RUSTSEC-2020-0071", "time", Some(Severity::Medium))
        );
        assert_eq!(c[1].severity, None, "informational advisory without cvss");
        let p = parse_pip_audit(&fixture("pip-audit.json"), "requirements.txt").unwrap();
        assert!(!p.is_empty());
        assert!(
            p.iter().all(|f| f.severity.is_none() && !f.id.is_empty() && !f.package.is_empty())
        );
        let n = parse_npm_audit(&fixture("npm-audit.json"), "package-lock.json").unwrap();
        assert_eq!(n.len(), 2);
        assert!(
            n.iter().any(|f| f.id == "GHSA-p6mc-m468-83gw" && f.severity == Some(Severity::High))
        );
        let o = parse_osv(&fixture("osv-scanner.json"), Path::new("/src/app")).unwrap();
        assert_eq!(o.len(), 2);
        assert_eq!((o[0].path.as_str(), o[0].severity), ("Cargo.lock", Some(Severity::Medium)));
        assert_eq!(o[1].severity, Some(Severity::Critical), "from the CVSS vector");
    }

    #[test]
    fn npm_registry_refusal_is_an_error_not_an_empty_report() {
        let e = parse_npm_audit(&fixture("npm-audit-error.json"), "package-lock.json").unwrap_err();
        assert!(e.contains("405"), "{e}");
        let e =
            parse_pip_audit(&fixture("pip-audit-skipped.json"), "requirements.txt").unwrap_err();
        assert!(e.contains("could not audit any of the 2"), "{e}");
        assert!(parse_cargo_audit("not json", "Cargo.lock").unwrap_err().contains("line 1"));
    }

    #[test]
    fn thresholds_and_ignore_ids() {
        let f = parse_cargo_audit(&fixture("cargo-audit.json"), "Cargo.lock").unwrap();
        let o = outcome(&Spec::default(), &["cargo-audit"], &[], f.clone());
        assert_eq!(o.status, Status::Fail);
        assert_eq!(o.measurements[0].value, 2.0);
        // Medium tolerated; the unknown-severity one counts as high.
        let o = outcome(
            &Spec { max_severity: Some(Severity::Medium), ..Spec::default() },
            &["cargo-audit"],
            &[],
            f.clone(),
        );
        assert_eq!(o.measurements[0].value, 1.0);
        let spec = Spec {
            max_severity: Some(Severity::Medium),
            ignore: vec!["RUSTSEC-2021-0145".into()],
            ..Spec::default()
        };
        let o = outcome(&spec, &["cargo-audit"], &[], f.clone());
        assert_eq!(o.status, Status::Pass, "{}", o.reason);
        // An alias ignores too.
        let spec = Spec {
            ignore: vec!["cve-2020-26235".into(), "RUSTSEC-2021-0145".into()],
            ..Spec::default()
        };
        assert_eq!(outcome(&spec, &["cargo-audit"], &[], f).status, Status::Pass);
    }

    fn ctx_run(repo: &Path, spec: &Spec, path: &std::ffi::OsStr) -> ProbeOutcome {
        let cancel = AtomicBool::new(false);
        let ev = repo.join(".ev");
        std::fs::create_dir_all(&ev).unwrap();
        let ctx = ProbeContext {
            repo,
            check_id: "audit",
            evidence_dir: &ev,
            run_started: std::time::SystemTime::now(),
            deadline: std::time::Instant::now() + std::time::Duration::from_secs(20),
            cancel: &cancel,
            output_filter: None,
        };
        run_with_path(spec, &ctx, path)
    }

    #[test]
    fn no_auditor_on_path_is_an_error_with_install_hints() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("Cargo.lock"), "").unwrap();
        let empty = tempfile::tempdir().unwrap();
        let o = ctx_run(d.path(), &Spec::default(), empty.path().as_os_str());
        assert_eq!(o.status, Status::Error);
        assert!(o.reason.contains("cargo install cargo-audit"), "{}", o.reason);
        assert!(o.reason.contains("osv-scanner"), "{}", o.reason);
    }

    /// D20: pnpm and yarn reports (hand-written from their documented formats, see
    /// fixtures/audit/README.md) become findings; the lockfile present picks the tool.
    #[test]
    fn pnpm_and_yarn_reports_and_the_tool_that_fits_the_lockfile() {
        let p = parse_advisories(Tool::PnpmAudit, &fixture("pnpm-audit.json"), "pnpm-lock.yaml")
            .unwrap();
        assert_eq!(p.len(), 2);
        assert!(p.iter().any(|f| f.id == "GHSA-p6mc-m468-83gw"
            && f.package == "lodash"
            && f.version == "4.17.15"
            && f.severity == Some(Severity::High)
            && f.aliases == ["CVE-2020-8203"]));
        assert!(p.iter().any(|f| f.package == "minimist" && f.severity == Some(Severity::Medium)));
        let y = parse_yarn_audit(&fixture("yarn1-audit.jsonl"), "yarn.lock").unwrap();
        assert_eq!(
            (y.len(), y[0].id.as_str(), y[0].tool),
            (1, "GHSA-p6mc-m468-83gw", "yarn-audit")
        );
        let b = parse_yarn_audit(&fixture("yarn-berry-audit.jsonl"), "yarn.lock").unwrap();
        assert_eq!(
            (b[0].package.as_str(), b[0].version.as_str(), b[0].severity),
            ("lodash", "4.17.15", Some(Severity::High))
        );
        assert!(parse_yarn_audit("", "yarn.lock").is_err(), "nothing printed is not a pass");
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("yarn.lock"), "# yarn lockfile v1\n").unwrap();
        assert_eq!(applicable(d.path())[0], (Tool::YarnAudit, "yarn.lock".to_string()));
        assert!(!yarn_berry(d.path()));
        std::fs::write(d.path().join("yarn.lock"), "__metadata:\n  version: 8\n").unwrap();
        assert!(yarn_berry(d.path()));
        std::fs::write(d.path().join("pnpm-lock.yaml"), "lockfileVersion: '9.0'\n").unwrap();
        assert_eq!(applicable(d.path())[0].0, Tool::PnpmAudit);
    }

    /// D20: with no auditor installed, the reason says which dependency file is present and
    /// which tool would read it — not just "none installed".
    #[test]
    fn no_auditor_says_why_for_the_files_present() {
        let empty = tempfile::tempdir().unwrap();
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("yarn.lock"), "# yarn lockfile v1\n").unwrap();
        std::fs::write(d.path().join("Gemfile.lock"), "GEM\n").unwrap();
        let o = ctx_run(d.path(), &Spec::default(), empty.path().as_os_str());
        assert_eq!(o.status, Status::Error);
        assert!(
            o.reason.contains("yarn.lock present: yarn or osv-scanner not installed"),
            "{}",
            o.reason
        );
        assert!(
            o.reason.contains("Gemfile.lock present: osv-scanner not installed"),
            "{}",
            o.reason
        );
        assert!(o.reason.contains("corepack enable yarn"), "{}", o.reason);
        let bare = tempfile::tempdir().unwrap();
        let o = ctx_run(bare.path(), &Spec::default(), empty.path().as_os_str());
        assert_eq!(o.status, Status::Error);
        assert!(o.reason.starts_with("no lockfile or manifest an auditor reads"), "{}", o.reason);
    }

    /// A stand-in yarn on PATH printing yarn 1's report: the yarn.lock picks yarn.
    #[test]
    fn runs_yarn_audit_for_a_yarn_lock() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("yarn.lock"), "# yarn lockfile v1\n").unwrap();
        let bin = tempfile::tempdir().unwrap();
        let fx = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/audit/yarn1-audit.jsonl");
        let script = bin.path().join("yarn");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\n[ \"$1 $2\" = \"audit --json\" ] || exit 9\ncat '{}'\nexit 4\n",
                fx.display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let o = ctx_run(d.path(), &Spec::default(), bin.path().as_os_str());
        assert_eq!(o.status, Status::Fail, "{}", o.reason);
        assert!(
            o.reason.starts_with("yarn-audit: 1 vulnerable dependency: lodash 4.17.15"),
            "{}",
            o.reason
        );
    }

    #[test]
    fn runs_an_installed_auditor_and_keeps_its_report() {
        // A stand-in pip-audit on PATH that prints the recorded report: exercises lookup,
        // process plumbing and evidence, not pip-audit itself.
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("requirements.txt"), "flask==0.5\n").unwrap();
        let bin = tempfile::tempdir().unwrap();
        let fx = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/audit/pip-audit.json");
        let script = bin.path().join("pip-audit");
        std::fs::write(&script, format!("#!/bin/sh\n[ \"$1 $2 $5 $6\" = \"-f json -r requirements.txt\" ] || exit 9\ncat '{}'\nexit 1\n", fx.display())).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let o = ctx_run(d.path(), &Spec::default(), bin.path().as_os_str());
        assert_eq!(o.status, Status::Fail, "{}", o.reason);
        assert!(o.reason.starts_with("pip-audit:"), "{}", o.reason);
        assert!(d.path().join(".ev/pip-audit.json").is_file());
        let o = ctx_run(
            d.path(),
            &Spec { tools: Some(vec![Tool::NpmAudit]), ..Spec::default() },
            bin.path().as_os_str(),
        );
        assert_eq!(o.status, Status::Error);
        assert!(o.reason.contains("npm"), "{}", o.reason);
    }
}
