//! Decides what check a claim becomes: the probe key and its spec (as YAML values, emitted
//! with serde_yaml), or why it cannot be placed; its severity; and what a passing check must
//! also show to confirm it (`Confirm`). Order matters: the most specific evidence a claim
//! names wins (a named test over a test count over a test command over a coverage figure over
//! secrets, settings and container rules over an endpoint over migrations over files); what
//! names nothing checkable becomes a `manual` sign-off.

use std::sync::LazyLock;

use regex::Regex;
use serde_yaml::{Mapping, Value};

use super::parse::{Claim, Marker, Origin};

/// What a claim became.
#[derive(Debug, Clone, PartialEq)]
pub enum Placement {
    /// A check: probe key and spec.
    Check { kind: &'static str, spec: Value },
    /// Not imported, with the reason.
    Unplaced(String),
}

/// Variables the generated checks use, with their defaults.
pub const VAR_BASE_URL: &str = "base_url";
pub const VAR_TEST_RESULTS: &str = "test_results";
pub const VAR_COVERAGE_REPORT: &str = "coverage_report";
pub const VAR_DATABASE_URL: &str = "database_url";

fn re(s: &str) -> Regex {
    Regex::new(s).expect("valid built-in regex")
}

/// A pytest node id, kept whole: `tests/x.py::Class::test_name[param]`.
static TEST_REF: LazyLock<Regex> = LazyLock::new(|| re(r"[\w./-]+\.py(?:::[\w\[\].-]*[\w\]])+"));
static TESTS_RATIO: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\b(\d+)\s*/\s*(\d+)\s+(?:\w+\s+)?tests?\b"));
static TESTS_COUNT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(\d+)\s*\+?\s+(?:(?:unit|integration|e2e|end-to-end|api|new)\s+)?(?:tests?|test cases)\b",
    )
});
static PERCENT: LazyLock<Regex> = LazyLock::new(|| re(r"(\d+(?:\.\d+)?)\s*%"));
static ENDPOINT: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(GET|POST|PUT|PATCH|DELETE|HEAD)\s+`?(/[\w/{}.:-]*)"));
static P95: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:p95|95th percentile)(?:\s+(?:latency|response time))?\s*(?:is\s+|of\s+|:\s*)?(?:<|<=|≤|under|below)\s*(\d+(?:\.\d+)?)\s*ms\b",
    )
});
/// "No secrets committed", "no hardcoded credentials or API keys".
static NO_SECRETS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:no|zero|without|free of)\b[\w\s-]{0,30}?\b(?:secrets?|credentials?|api[ -]?keys?|passwords?|private keys?|tokens?)\b",
    )
});
/// A boolean setting stated off or on: `DEBUG is off`, `DEBUG = False`, `ALLOW_SIGNUP disabled`.
static SETTING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b([A-Z][A-Z0-9_]{2,})`?\s*(?:(?:(?i:is|set\s+to|turned)\s+|=\s*|:\s*)(?i:(off|false|disabled|on|true|enabled))|\s+(?i:(off|disabled|enabled)))\b",
    )
});
/// A Dockerfile reference: `Dockerfile`, `docker/api.Dockerfile`, `Dockerfile.prod`.
static DOCKERFILE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?:^|[\s(`'])((?:[\w.-]+/)*(?:[\w-]+\.)?Dockerfile(?:\.[\w-]+)?)(?:$|[\s).,;:`'])")
});
static NON_ROOT: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\bnon-?root\b|\bnot\s+(?:run(?:ning)?\s+)?as\s+root\b|\bunprivileged\b|\brootless\b")
});
static K8S_PROBES: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\bliveness\b|\breadiness(?:\s+and\s+liveness)?\s+probes?\b"));
static K8S_CONTEXT: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\b(?:k8s|kubernetes|pods?|helm|manifests?|deployments?\.ya?ml)\b"));
static LATENCY: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)(?:<|<=|under|below)\s*(\d+(?:\.\d+)?)\s*ms\b"));
static PERF: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:<|<=|>|>=|under|below)?\s*\d+(?:\.\d+)?\s*(?:ms|s|sec|seconds|minutes|min|rps|req/s)\b|\bp9[59]\b",
    )
});
/// An upper bound on a duration: `< 10 minutes`, `under 30s`, `within 2 min`.
static DURATION_BOUND: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:<=?|under|below|within|in less than)\s*(\d+(?:\.\d+)?)\s*(ms|s|secs?|seconds?|m|mins?|minutes?|h|hours?)\b",
    )
});
/// A code span that is a command line: a program name followed by arguments.
static COMMAND_SPAN: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?:\./)?[a-z][\w.-]*(?:/[\w.-]+)*\s+\S"));

/// `< 10 minutes` → `10m`, for `command.max_duration`.
fn duration_bound(text: &str) -> Option<String> {
    let c = DURATION_BOUND.captures(text)?;
    let value: f64 = c[1].parse().ok()?;
    let unit = c[2].to_lowercase();
    let secs = match unit.as_str() {
        "ms" => value / 1000.0,
        u if u.starts_with('s') => value,
        u if u.starts_with('m') => value * 60.0,
        _ => value * 3600.0,
    };
    Some(crate::duration::format_duration(std::time::Duration::from_secs_f64(secs)))
}

static PATH: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:^|[\s(`'])((?:[\w.-]+/)*[\w.-]+\.(?:py|md|json|ya?ml|toml|js|ts|tsx|jsx|sql|sh|rs|go|java|rb|txt|cfg|ini|lock|xml|html|csv)(?::\d+)?|(?:[\w.-]+/)+)(?:$|[\s).,;:`'])",
    )
});

/// Places one claim.
pub fn classify(claim: &Claim) -> Placement {
    if claim.marker == Marker::Failed {
        return Placement::Unplaced("marked ❌ in the report: it claims nothing is done".into());
    }
    if claim.origin == Origin::Code {
        return classify_code(claim);
    }
    if matches!(claim.marker, Marker::Open | Marker::Paused | Marker::Warning) {
        return manual(claim);
    }
    let text = &claim.text;
    if let Some(m) = TEST_REF.find(text) {
        return tests(None, vec![m.as_str().to_string()]);
    }
    if let Some(c) = TESTS_RATIO.captures(text) {
        let total: u64 = c[2].parse().unwrap_or(0);
        return tests(Some(total), Vec::new());
    }
    if let Some(c) = TESTS_COUNT.captures(text) {
        return tests(c[1].parse().ok(), Vec::new());
    }
    // "Test suite results (`pytest tests/ --cov=src`)": the suite that command runs passes.
    // (A duration bound on it, "`pytest tests/perf` < 90s", is about time: see below.)
    if duration_bound(text).is_none()
        && let Some((run, results)) = claim.code_spans.iter().find_map(|s| results_command(s))
    {
        let mut spec = Mapping::new();
        spec.insert("run".into(), run.into());
        spec.insert(
            "results".into(),
            results.map(Value::from).unwrap_or_else(|| var(VAR_TEST_RESULTS)),
        );
        spec.insert("max_failed".into(), 0.into());
        return check("tests", spec);
    }
    let lower = text.to_lowercase();
    if lower.contains("coverage")
        && let Some(c) = PERCENT.captures(text)
    {
        let pct: f64 = c[1].parse().unwrap_or(0.0);
        if pct <= 100.0 {
            let mut spec = Mapping::new();
            spec.insert("report".into(), var(VAR_COVERAGE_REPORT));
            spec.insert("min_lines".into(), num(pct));
            return check("coverage", spec);
        }
    }
    if NO_SECRETS.is_match(text) {
        let mut spec = Mapping::new();
        // "Committed" covers what was committed and removed again: it is still in the history.
        if lower.contains("commit") || lower.contains("history") || lower.contains("git") {
            spec.insert("history".into(), true.into());
        }
        return check("secrets", spec);
    }
    let paths = file_refs(claim);
    if let Some(placement) = setting(claim, &paths) {
        return placement;
    }
    if let Some(placement) = container(claim, &paths) {
        return placement;
    }
    let endpoint =
        ENDPOINT.captures(text).map(|c| (c[1].to_string(), c[2].to_string())).or_else(|| {
            (lower.contains("endpoint")
                || lower.contains("health")
                || P95.is_match(text)
                || LATENCY.is_match(text))
            .then(|| claim.code_spans.iter().find(|s| s.starts_with('/') && s.len() > 1))
            .flatten()
            .map(|p| ("GET".to_string(), p.clone()))
        });
    if let Some((method, path)) = endpoint {
        if path.contains('{') {
            return manual_with(claim, "the path has placeholders");
        }
        let mut expect = Mapping::new();
        let mut spec = Mapping::new();
        spec.insert("url".into(), format!("${{{VAR_BASE_URL}}}{path}").into());
        if method != "GET" {
            spec.insert("method".into(), method.into());
            expect.insert("status".into(), "2xx".into());
        }
        if let Some(c) = P95.captures(text) {
            spec.insert("samples".into(), 20.into());
            expect.insert("max_p95_ms".into(), num(c[1].parse().unwrap_or(0.0)));
        } else if let Some(c) = LATENCY.captures(text) {
            expect.insert("max_latency_ms".into(), num(c[1].parse().unwrap_or(0.0)));
        }
        if !expect.is_empty() {
            spec.insert("expect".into(), Value::Mapping(expect));
        }
        return check("http", spec);
    }
    if P95.is_match(text) {
        return manual_with(claim, "no endpoint is named to measure the p95 on");
    }
    // Judged on integrity and on being applied (see `confirmation`); lint findings (a missing
    // `lock_timeout`) are not what the report claims, so lint is off.
    if let Some(dir) = paths.iter().find_map(|(p, _)| migration_dir(p)) {
        let mut spec = Mapping::new();
        spec.insert("path".into(), dir.into());
        spec.insert("lint".into(), false.into());
        return check("migrations", spec);
    }
    // "Migrations are idempotent and reversible": the migrations the probe finds.
    if MIGRATION_CLAIM.is_match(text) {
        let mut spec = Mapping::new();
        spec.insert("lint".into(), false.into());
        return check("migrations", spec);
    }
    // A duration bound on a named command: run it and hold it to the bound.
    if let Some(max) = duration_bound(text)
        && let Some(cmd) =
            claim.code_spans.iter().find(|s| COMMAND_SPAN.is_match(s) && file_refs_in(s).is_empty())
    {
        let mut spec = Mapping::new();
        spec.insert("run".into(), cmd.clone().into());
        spec.insert("max_duration".into(), max.into());
        return check("command", spec);
    }
    // A performance figure with nothing to measure it against is a human's word.
    if PERF.is_match(text) {
        return manual(claim);
    }
    match paths.as_slice() {
        [] => manual(claim),
        [(p, line)] => {
            let mut spec = Mapping::new();
            spec.insert("path".into(), glob_for(p).into());
            if let Some(n) = line {
                spec.insert("min_lines".into(), (*n).into());
            }
            check("file", spec)
        }
        many => {
            let mut spec = Mapping::new();
            let alts: Vec<String> = many.iter().map(|(p, _)| glob_for(p)).collect();
            spec.insert("path".into(), format!("{{{}}}", alts.join(",")).into());
            spec.insert("min_count".into(), (many.len() as u64).into());
            check("file", spec)
        }
    }
}

/// An outcome stated about behaviour, which a file's existence cannot show.
static OUTCOME: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:passing|passes|passed|validated|verified|working|works|tested|enforced|healthy|succeeds?|green|operational)\b",
    )
});

static MIGRATION_CLAIM: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\bmigrations?\b.*\b(?:idempotent|reversible|round[ -]?trip|roll\s*back|downgrad\w*|re-?appl\w*)|\b(?:idempotent|reversible)\b.*\bmigrations?\b",
    )
});

/// A setting stated off or on in a named file: the setting's value in that file decides it
/// (`DEBUG is off in production (config/production.py)` → a regex that must match
/// `DEBUG = False` and one that must not match `DEBUG = True`), never the file's existence.
fn setting(claim: &Claim, paths: &[(String, Option<u64>)]) -> Option<Placement> {
    let c = SETTING.captures(&claim.text)?;
    let name = &c[1];
    // A file is needed to look the value up in; `.env`-style files are not in `file_refs`.
    let file = paths
        .iter()
        .map(|(p, _)| p.clone())
        .chain(claim.code_spans.iter().filter(|s| s.contains(".env") && !s.contains(' ')).cloned())
        .find(|p| !p.ends_with('/'))?;
    let value = c.get(2).or(c.get(3)).map(|m| m.as_str().to_ascii_lowercase())?;
    let off = matches!(value.as_str(), "off" | "false" | "disabled");
    let (want, not) = if off {
        (
            "(?:False|false|0|off|no|\"false\"|'false'|\"0\"|'0')",
            "(?:True|true|1|on|yes|\"true\"|'true'|\"1\"|'1')",
        )
    } else {
        (
            "(?:True|true|1|on|yes|\"true\"|'true'|\"1\"|'1')",
            "(?:False|false|0|off|no|\"false\"|'false'|\"0\"|'0')",
        )
    };
    let assign = format!(r"(?m)^\s*(?:export\s+)?{}\s*[=:]\s*", regex::escape(name));
    let mut spec = Mapping::new();
    spec.insert("path".into(), glob_for(&file).into());
    spec.insert(
        "regex".into(),
        Value::Sequence(vec![format!(r"{assign}{want}\s*(?:#.*)?$").into()]),
    );
    spec.insert("not_regex".into(), Value::Sequence(vec![format!(r"{assign}{not}\b").into()]));
    Some(check("file", spec))
}

/// Container claims a probe can decide: "runs as non-root (`docker/api.Dockerfile`)" → the
/// `dockerfile` probe's `user-root` rule on that file; liveness/readiness probes, resource
/// limits, replicas and non-root pods → the `k8s` probe's rule.
fn container(claim: &Claim, paths: &[(String, Option<u64>)]) -> Option<Placement> {
    let text = &claim.text;
    let lower = text.to_lowercase();
    let dockerfile = DOCKERFILE.captures(text).map(|c| c[1].to_string());
    let k8s_context = K8S_CONTEXT.is_match(text);
    let mut docker_rules = Vec::new();
    let mut k8s_rules = Vec::new();
    if NON_ROOT.is_match(text) {
        if dockerfile.is_some() || (!k8s_context && lower.contains("docker")) {
            docker_rules.push("user-root");
        } else if k8s_context || lower.contains("container") {
            k8s_rules.push("non-root");
        } else {
            docker_rules.push("user-root");
        }
    }
    if K8S_PROBES.is_match(text) {
        k8s_rules.push("probes");
    }
    if lower.contains("healthcheck") && dockerfile.is_some() {
        docker_rules.push("no-healthcheck");
    }
    if (lower.contains("resource limits") || lower.contains("resource requests"))
        && (k8s_context || !k8s_rules.is_empty())
    {
        k8s_rules.push("resources");
    }
    let mut spec = Mapping::new();
    if !docker_rules.is_empty() {
        if let Some(d) = &dockerfile {
            spec.insert("path".into(), d.clone().into());
        }
        spec.insert(
            "rules".into(),
            Value::Sequence(docker_rules.into_iter().map(Value::from).collect()),
        );
        return Some(check("dockerfile", spec));
    }
    if k8s_rules.is_empty() {
        return None;
    }
    let manifests: Vec<Value> = paths
        .iter()
        .filter(|(p, _)| p.ends_with('/') || p.ends_with(".yaml") || p.ends_with(".yml"))
        .map(|(p, _)| {
            if p.ends_with('/') {
                format!("{}/**/*.y*ml", p.trim_end_matches('/')).into()
            } else {
                p.clone().into()
            }
        })
        .collect();
    if !manifests.is_empty() {
        spec.insert("manifests".into(), Value::Sequence(manifests));
    }
    spec.insert("rules".into(), Value::Sequence(k8s_rules.into_iter().map(Value::from).collect()));
    Some(check("k8s", spec))
}

/// What a passing check must also show before its claim counts as confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confirm {
    /// The check passing is enough.
    Pass,
    /// The migrations were applied (and re-applied as a no-op): measurement `round_trip`
    /// present. "Not applied: set `database_url`" leaves the claim unverifiable.
    Applied,
    /// The up/down/up round trip ran: measurement `round_trip` = 1.
    RoundTrip,
    /// "E2E test: PASSING (see `scripts/test_e2e.py`)": the cited file missing contradicts the
    /// claim, but its existence does not show the outcome stated, so a pass leaves it
    /// unverifiable.
    Cited,
}

static REVERSIBLE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\breversib|\broll\s*back|\bdowngrad|\bround[ -]?trip|\bundo\b|\bdown migration")
});

/// What confirms a claim placed as a `kind` check.
pub fn confirmation(claim: &Claim, kind: &str) -> Confirm {
    if kind == "file" && OUTCOME.is_match(&claim.text) {
        return Confirm::Cited;
    }
    if kind != "migrations" {
        return Confirm::Pass;
    }
    if REVERSIBLE.is_match(&claim.text) { Confirm::RoundTrip } else { Confirm::Applied }
}

static SECURITY_OR_DATA: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)secur|secret|credential|password|token|\bauth|api[ -]?keys?\b|vulnerab|\bcve\b|encrypt|\btls\b|\bssl\b|certificate|privilege|non-?root|\broot\b|permission|\brbac\b|\bpii\b|gdpr|\bdebug\b|injection|\bxss\b|csrf|migrat|database|\bschema\b|backup|restore|data loss|\bsql\b|tenant|isolation",
    )
});

/// The imported check's severity: `critical` for security and data claims, `high` for the
/// rest, so that every imported claim blocks the verdict under the default `fail_on: high`.
pub fn severity(claim: &Claim, kind: &str) -> crate::checklist::Severity {
    use crate::checklist::Severity;
    let by_kind = matches!(kind, "secrets" | "migrations" | "sql" | "audit");
    if by_kind || SECURITY_OR_DATA.is_match(&claim.text) || SECURITY_OR_DATA.is_match(&claim.area) {
        Severity::Critical
    } else {
        Severity::High
    }
}

/// A test command whose results readyctl can read: `pytest …` / `python -m pytest …`
/// (`--junitxml` is added when absent), or any command given an explicit `--junitxml PATH` /
/// `--junit PATH`. Returns the command to run and the results path (`None`: `${test_results}`).
pub fn results_command(cmd: &str) -> Option<(String, Option<String>)> {
    let cmd = cmd.trim();
    let words: Vec<&str> = cmd.split_whitespace().collect();
    let explicit = words.iter().enumerate().find_map(|(i, w)| {
        for flag in ["--junitxml", "--junit-xml", "--junit"] {
            if let Some(v) = w.strip_prefix(flag).and_then(|r| r.strip_prefix('=')) {
                return Some(v.to_string());
            }
            if *w == flag {
                return words.get(i + 1).map(|v| v.to_string());
            }
        }
        None
    });
    let pytest = is_pytest(cmd);
    match explicit {
        Some(path) => Some((cmd.to_string(), Some(path))),
        None if pytest => {
            let mut run = format!("{cmd} --junitxml=${{{VAR_TEST_RESULTS}}}");
            if words.iter().any(|w| w.starts_with("--cov")) && !cmd.contains("--cov-report=xml") {
                run.push_str(&format!(" --cov-report=xml:${{{VAR_COVERAGE_REPORT}}}"));
            }
            Some((run, None))
        }
        None => None,
    }
}

fn is_pytest(cmd: &str) -> bool {
    let cmd = cmd.trim();
    cmd == "pytest"
        || cmd.starts_with("pytest ")
        || ["python", "python3", "py"].iter().any(|p| cmd.starts_with(&format!("{p} -m pytest")))
}

/// Whether a code span is only a file reference (not a command).
fn file_refs_in(span: &str) -> Vec<String> {
    let trimmed = span.trim();
    if PATH.is_match(&format!(" {trimmed} ")) && !trimmed.contains(' ') {
        vec![trimmed.to_string()]
    } else {
        Vec::new()
    }
}

/// A path: as given when it has a directory, else anywhere in the repository.
fn glob_for(p: &str) -> String {
    let p = p.trim_end_matches('/');
    if p.contains('/') { p.to_string() } else { format!("**/{p}") }
}

fn migration_dir(p: &str) -> Option<String> {
    let p = p.trim_end_matches('/');
    let is_migration = p.contains("alembic/versions") || p.split('/').any(|s| s == "migrations");
    if !is_migration {
        return None;
    }
    if p.ends_with(".py") || p.ends_with(".sql") {
        p.rsplit_once('/').map(|(d, _)| d.to_string())
    } else {
        Some(p.to_string())
    }
}

/// File and directory references in a claim: `path` or `path:line`. Placeholders
/// (`YYYYMMDD`, `<host>`) and URLs are not files.
pub fn file_refs(claim: &Claim) -> Vec<(String, Option<u64>)> {
    let mut out: Vec<(String, Option<u64>)> = Vec::new();
    for m in PATH.captures_iter(&claim.text) {
        let raw = &m[1];
        let start = m.get(1).map(|g| g.start()).unwrap_or(0);
        if claim.text[..start].ends_with("//")
            || raw.contains("YYYY")
            || raw.starts_with('.') && !raw.starts_with(".github")
        {
            continue;
        }
        let (path, line) = match raw.rsplit_once(':') {
            Some((p, l)) if l.chars().all(|c| c.is_ascii_digit()) && !l.is_empty() => {
                (p.to_string(), l.parse().ok())
            }
            _ => (raw.to_string(), None),
        };
        if path.contains("://") || path.split('/').any(|s| s == "..") {
            continue;
        }
        if !out.iter().any(|(p, _)| *p == path) {
            out.push((path, line));
        }
    }
    out
}

fn classify_code(claim: &Claim) -> Placement {
    let text = claim.text.as_str();
    let lang = claim.lang.as_deref().unwrap_or("");
    if matches!(lang, "sql" | "postgresql" | "psql" | "sqlite") {
        let first = text.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
        if first != "SELECT" && first != "WITH" {
            return Placement::Unplaced("SQL that is not a SELECT: not run by a check".into());
        }
        let mut spec = Mapping::new();
        spec.insert("url".into(), var(VAR_DATABASE_URL));
        spec.insert("query".into(), text.into());
        let note = claim.comment.as_deref().unwrap_or("").to_lowercase();
        if note.contains("return 0") || note.contains("no rows") || note.contains("returns 0") {
            let mut expect = Mapping::new();
            expect.insert("rows".into(), 0.into());
            spec.insert("expect".into(), Value::Mapping(expect));
        }
        return check("sql", spec);
    }
    // A Python, YAML or JSON sample shows code; it is not a command to run.
    if !matches!(
        lang,
        "" | "bash" | "sh" | "shell" | "console" | "zsh" | "shell-session" | "terminal"
    ) {
        return Placement::Unplaced(format!("a `{lang}` code sample, not a command"));
    }
    // `cd dir && cmd`: the command runs in `dir`.
    let (cwd, cmd) = match text.strip_prefix("cd ").and_then(|r| r.split_once("&&")) {
        Some((dir, rest)) => (Some(dir.trim().to_string()), rest.trim()),
        None => (None, text),
    };
    let words: Vec<&str> = cmd.split_whitespace().collect();
    let Some(&program) = words.first() else {
        return Placement::Unplaced("empty command".into());
    };
    if program == "curl" {
        return curl(claim, &words);
    }
    if let Some((run, results)) = results_command(cmd) {
        let mut spec = Mapping::new();
        // After `cd DIR`, the command writes its results under DIR.
        let results = match (&cwd, results) {
            (Some(d), Some(r)) => format!("{}/{r}", d.trim_end_matches('/')),
            (Some(d), None) => format!("{}/${{{VAR_TEST_RESULTS}}}", d.trim_end_matches('/')),
            (None, Some(r)) => r,
            (None, None) => format!("${{{VAR_TEST_RESULTS}}}"),
        };
        let run = match &cwd {
            Some(d) => format!("cd {d} && {run}"),
            None => run,
        };
        spec.insert("run".into(), run.into());
        spec.insert("results".into(), results.into());
        spec.insert("max_failed".into(), 0.into());
        return check("tests", spec);
    }
    if program == "alembic" && words.get(1) == Some(&"upgrade") {
        let mut spec = Mapping::new();
        let dir = match &cwd {
            Some(d) => format!("{d}/alembic"),
            None => "alembic".to_string(),
        };
        spec.insert("path".into(), dir.into());
        spec.insert("lint".into(), false.into());
        return check("migrations", spec);
    }
    // Deployment steps change the world; a readiness check must not.
    const DEPLOY: &[&str] = &[
        "docker",
        "docker-compose",
        "kubectl",
        "helm",
        "terraform",
        "pg_dump",
        "pg_restore",
        "psql",
        "git",
        "rm",
        "mv",
        "cp",
        "ssh",
        "scp",
        "sudo",
        "systemctl",
        "alembic",
        "cd",
        "export",
        "aws",
        "gcloud",
        "az",
        "npm",
        "pip",
        "apt-get",
        "brew",
    ];
    if DEPLOY.contains(&program) || program.contains('$') {
        return Placement::Unplaced(format!(
            "`{program}` is a deployment or setup step, not a check"
        ));
    }
    let mut spec = Mapping::new();
    spec.insert("run".into(), cmd.into());
    if let Some(d) = cwd {
        spec.insert("cwd".into(), d.into());
    }
    check("command", spec)
}

fn curl(claim: &Claim, words: &[&str]) -> Placement {
    let mut method = None;
    let mut url = None;
    let mut i = 1;
    while i < words.len() {
        let w = words[i].trim_matches(|c| c == '"' || c == '\'');
        match w {
            "-X" | "--request" => {
                method = words.get(i + 1).map(|m| m.trim_matches('"').to_uppercase());
                i += 1;
            }
            "-H" | "--header" | "-d" | "--data" | "--data-raw" | "-u" | "-o" | "-w" => {
                return manual_with(claim, "the request needs headers, a body or credentials");
            }
            _ if w.starts_with("http://") || w.starts_with("https://") => url = Some(w.to_string()),
            _ => {}
        }
        i += 1;
    }
    let Some(url) = url else {
        return Placement::Unplaced("curl without a URL".into());
    };
    let Ok(parsed) = url::Url::parse(&url) else {
        return Placement::Unplaced(format!("curl URL `{url}` does not parse"));
    };
    if url.contains('{') || url.contains('<') {
        return manual_with(claim, "the URL has placeholders");
    }
    let mut path = parsed.path().to_string();
    if let Some(q) = parsed.query() {
        path.push('?');
        path.push_str(q);
    }
    let mut spec = Mapping::new();
    spec.insert("url".into(), format!("${{{VAR_BASE_URL}}}{path}").into());
    if let Some(m) = method.filter(|m| m != "GET") {
        spec.insert("method".into(), m.into());
    }
    check("http", spec)
}

/// The origin (`http://localhost:8082`) of the first curl URL in the claims, for `base_url`.
pub fn origin_of(claim: &Claim) -> Option<String> {
    if claim.origin != Origin::Code || !claim.text.starts_with("curl") {
        return None;
    }
    claim.text.split_whitespace().find_map(|w| {
        let w = w.trim_matches(|c| c == '"' || c == '\'');
        let u = url::Url::parse(w).ok()?;
        (u.scheme() == "http" || u.scheme() == "https").then(|| u.origin().ascii_serialization())
    })
}

fn tests(min_total: Option<u64>, require: Vec<String>) -> Placement {
    let mut spec = Mapping::new();
    spec.insert("results".into(), var(VAR_TEST_RESULTS));
    if let Some(n) = min_total {
        spec.insert("min_total".into(), n.into());
    }
    // A claim about named tests is about those tests: another failing test does not
    // contradict it (a count claim, "40/40 passing", is about all of them).
    if require.is_empty() {
        spec.insert("max_failed".into(), 0.into());
    } else {
        spec.insert("max_failed".into(), "any".into());
    }
    if !require.is_empty() {
        spec.insert(
            "require".into(),
            Value::Sequence(require.into_iter().map(Value::from).collect()),
        );
    }
    check("tests", spec)
}

fn manual(claim: &Claim) -> Placement {
    let mut spec = Mapping::new();
    spec.insert("prompt".into(), claim.text.clone().into());
    check("manual", spec)
}

fn manual_with(claim: &Claim, why: &str) -> Placement {
    let mut spec = Mapping::new();
    spec.insert("prompt".into(), format!("{} ({why}: check by hand)", claim.text).into());
    check("manual", spec)
}

fn check(kind: &'static str, spec: Mapping) -> Placement {
    Placement::Check { kind, spec: Value::Mapping(spec) }
}

fn var(name: &str) -> Value {
    format!("${{{name}}}").into()
}

fn num(x: f64) -> Value {
    if x.fract() == 0.0 { Value::from(x as u64) } else { Value::from(x) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::parse::parse;

    /// The single claim of a one-item report, placed.
    fn place(md: &str) -> (String, String) {
        let report = parse(md);
        assert_eq!(report.claims.len(), 1, "{:?}", report.claims);
        match classify(&report.claims[0]) {
            Placement::Check { kind, spec } => {
                (kind.to_string(), serde_yaml::to_string(&spec).unwrap())
            }
            Placement::Unplaced(why) => ("unplaced".into(), why),
        }
    }

    #[test]
    fn file_references() {
        let (k, s) = place("- ✅ Persistence in `backend/event_persistence.py`\n");
        assert_eq!(k, "file");
        assert!(s.contains("path: backend/event_persistence.py"), "{s}");
        let (k, s) = place("- ✅ Handler at `backend/main.py:354`\n");
        assert_eq!(k, "file");
        assert!(s.contains("min_lines: 354"), "{s}");
        let (_, s) = place("- ✅ Spec (`docs/openapi.json`) and guide (`docs/API.md`)\n");
        assert!(
            s.contains("path: '{docs/openapi.json,docs/API.md}'") && s.contains("min_count: 2"),
            "{s}"
        );
        let (_, s) = place("- ✅ SECURITY.md written\n");
        assert!(s.contains("path: '**/SECURITY.md'"), "{s}");
    }

    #[test]
    fn test_references_and_counts() {
        let (k, s) = place("- ✅ `tests/test_api.py::test_login` passes\n");
        assert_eq!(k, "tests");
        assert!(
            s.contains("tests/test_api.py::test_login") && s.contains("max_failed: any"),
            "{s}"
        );
        let (_, s) = place("- ✅ 59/59 tests passing\n");
        assert!(s.contains("min_total: 59"), "{s}");
        let (_, s) = place("- ✅ 50+ unit tests\n");
        assert!(s.contains("min_total: 50"), "{s}");
        let (_, s) = place("- [x] Integration suite (11 test cases)\n");
        assert!(s.contains("min_total: 11"), "{s}");
    }

    #[test]
    fn coverage_claims() {
        let (k, s) = place("- ✅ > 60% coverage\n");
        assert_eq!(k, "coverage");
        assert!(s.contains("min_lines: 60") && s.contains("${coverage_report}"), "{s}");
        let (_, s) = place("- ✅ Coverage: 87.5%\n");
        assert!(s.contains("min_lines: 87.5"), "{s}");
    }

    #[test]
    fn endpoints_and_latency() {
        let (k, s) = place("- ✅ `GET /health/ready` returns 200\n");
        assert_eq!(k, "http");
        assert!(s.contains("url: ${base_url}/health/ready"), "{s}");
        let (_, s) = place("- ✅ POST /api/v3/jobs p95 < 500ms\n");
        assert!(
            s.contains("method: POST")
                && s.contains("max_p95_ms: 500")
                && s.contains("samples: 20"),
            "{s}"
        );
        let (k, _) = place("- ✅ POST /api/v1/flows/{flow_id}/run works\n");
        assert_eq!(k, "manual", "placeholders cannot be requested");
    }

    #[test]
    fn performance_without_a_target_is_manual() {
        for md in
            ["- [x] 50 assets processed < 10 minutes\n", "- [x] Single asset enrichment (19.62s)\n"]
        {
            let (k, s) = place(md);
            assert_eq!(k, "manual", "{md}");
            assert!(s.contains("prompt:"), "{s}");
        }
    }

    #[test]
    fn duration_bound_on_a_named_command_is_a_command_check() {
        let (k, s) = place("- [x] `make e2e` finishes in under 10 minutes\n");
        assert_eq!(k, "command", "{s}");
        assert!(s.contains("run: make e2e") && s.contains("max_duration: 10m"), "{s}");
        let (k, s) = place("- ✅ `pytest tests/perf -q` < 90s\n");
        assert_eq!(k, "command", "{s}");
        assert!(s.contains("max_duration: 1m30s"), "{s}");
        // A file reference is not a command.
        assert_eq!(place("- ✅ `docs/perf.md` says < 10 minutes\n").0, "manual");
    }

    #[test]
    fn markers_open_paused_failed() {
        assert_eq!(place("- [ ] 100% coverage\n").0, "manual");
        assert_eq!(place("- ⏸️ Backup taken\n").0, "manual");
        assert_eq!(place("- ⚠️ Partly documented in `docs/A.md`\n").0, "manual");
        assert_eq!(place("- ❌ Rollback drill\n").0, "unplaced");
    }

    #[test]
    fn migrations_from_files_and_commands() {
        let (k, s) = place("- ✅ `backend/alembic/versions/096_add_types.py` added\n");
        assert_eq!(k, "migrations");
        assert!(s.contains("path: backend/alembic/versions"), "{s}");
        let (k, s) = place("```bash\ncd backend && alembic upgrade head\n```\n");
        assert_eq!(k, "migrations");
        assert!(s.contains("path: backend/alembic"), "{s}");
    }

    #[test]
    fn code_blocks() {
        let (k, s) = place("```sql\n-- should return 0\nSELECT id\nFROM t\nWHERE bad;\n```\n");
        assert_eq!(k, "sql");
        assert!(s.contains("query: SELECT id FROM t WHERE bad") && s.contains("rows: 0"), "{s}");
        assert_eq!(place("```sql\nDELETE FROM t;\n```\n").0, "unplaced");
        let (k, s) = place("```bash\npytest tests/ --cov=src\n```\n");
        assert_eq!(k, "tests");
        assert!(
            s.contains(
                "run: pytest tests/ --cov=src --junitxml=${test_results} --cov-report=xml:${coverage_report}"
            ),
            "{s}"
        );
        let (k, s) = place("```bash\ncurl http://localhost:8082/docs\n```\n");
        assert_eq!(k, "http");
        assert!(s.contains("url: ${base_url}/docs"), "{s}");
        assert_eq!(place("```bash\ndocker compose up -d\n```\n").0, "unplaced");
        assert_eq!(place("```python\nlogger.info(f\"done in {t:.2f}s\")\n```\n").0, "unplaced");
        let (k, s) = place("```bash\npython scripts/check.py \\\n  --fast\n```\n");
        assert_eq!(k, "command");
        assert!(s.contains("run: python scripts/check.py --fast"), "{s}");
    }

    #[test]
    fn table_rows_with_a_status_column() {
        let report = parse(
            "| Component | Status |\n|---|---|\n| Tests | ✅ Complete |\n| Docs | ❌ Missing |\n",
        );
        assert_eq!(report.claims.len(), 2);
        assert_eq!(report.claims[0].text, "Tests (Complete)");
        assert_eq!(report.claims[0].line, 3);
        assert_eq!(report.claims[1].marker, crate::claims::parse::Marker::Failed);
    }

    #[test]
    fn headings_are_areas_and_lines_are_kept() {
        let report = parse("# T\n\n## ✅ Priority 1: Tests\n\n- ✅ a\n  - ✔ b\n- ☑ c\n");
        let got: Vec<(usize, &str, &str)> =
            report.claims.iter().map(|c| (c.line, c.area.as_str(), c.text.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (5, "Priority 1: Tests", "a"),
                (6, "Priority 1: Tests", "b"),
                (7, "Priority 1: Tests", "c")
            ]
        );
    }

    #[test]
    fn test_ids_are_kept_whole() {
        let (k, s) = place("- ✅ `tests/test_api.py::TestLogin::test_bad_password` passes\n");
        assert_eq!(k, "tests");
        assert!(s.contains("- tests/test_api.py::TestLogin::test_bad_password\n"), "{s}");
        let (_, s) = place("- ✅ tests/test_x.py::test_case[a-1] green\n");
        assert!(s.contains("- tests/test_x.py::test_case[a-1]\n"), "{s}");
    }

    #[test]
    fn a_setting_is_decided_by_its_value_in_the_named_file() {
        let (k, s) = place("- ✅ DEBUG is off in production (`config/production.py`)\n");
        assert_eq!(k, "file", "{s}");
        assert!(s.contains("path: config/production.py"), "{s}");
        let spec: serde_yaml::Value = serde_yaml::from_str(&s).unwrap();
        let must = Regex::new(spec["regex"][0].as_str().unwrap()).unwrap();
        let must_not = Regex::new(spec["not_regex"][0].as_str().unwrap()).unwrap();
        assert!(must.is_match("import os\nDEBUG = False\n"));
        assert!(must.is_match("DEBUG=False  # prod\n"));
        assert!(!must.is_match("DEBUG = True\n") && !must.is_match("# DEBUG = False was here\n"));
        assert!(must_not.is_match("DEBUG = False\nDEBUG = True\n"));
        assert!(!must_not.is_match("DEBUG = False\n"));
        // On, and a YAML file.
        let (_, s) = place("- ✅ `SESSION_COOKIE_SECURE` enabled in `deploy/settings.yaml`\n");
        let spec: serde_yaml::Value = serde_yaml::from_str(&s).unwrap();
        let must = Regex::new(spec["regex"][0].as_str().unwrap()).unwrap();
        assert!(must.is_match("SESSION_COOKIE_SECURE: true\n"), "{s}");
        // Without a file there is nothing to read the value from.
        assert_eq!(place("- ✅ DEBUG is off in production\n").0, "manual");
    }

    #[test]
    fn secrets_dockerfile_and_k8s_claims_go_to_their_probes() {
        let (k, s) = place("- ✅ No secrets committed to the repository\n");
        assert_eq!(k, "secrets");
        assert!(s.contains("history: true"), "{s}");
        assert_eq!(place("- [x] No hardcoded credentials or API keys\n").0, "secrets");
        let (k, s) = place("- ✅ API container runs as non-root (`docker/api.Dockerfile`)\n");
        assert_eq!(k, "dockerfile", "{s}");
        assert!(s.contains("path: docker/api.Dockerfile") && s.contains("- user-root"), "{s}");
        let (k, s) =
            place("- ✅ Liveness and readiness probes configured (`k8s/deployment.yaml`)\n");
        assert_eq!(k, "k8s", "{s}");
        assert!(s.contains("- k8s/deployment.yaml") && s.contains("- probes"), "{s}");
        let (k, s) = place("- ✅ Pods run as non-root in `k8s/`\n");
        assert_eq!(k, "k8s", "{s}");
        assert!(s.contains("k8s/**/*.y*ml") && s.contains("- non-root"), "{s}");
        // "Readiness" alone is not about probes.
        assert_eq!(place("- ✅ Production readiness validated\n").0, "manual");
    }

    #[test]
    fn p95_claims_measure_the_named_endpoint() {
        let (k, s) = place("- ✅ p95 latency < 250 ms on `/api/orders`\n");
        assert_eq!(k, "http", "{s}");
        assert!(s.contains("samples: 20") && s.contains("max_p95_ms: 250"), "{s}");
        let (k, s) = place("- ✅ p95 < 300ms under load\n");
        assert_eq!(k, "manual", "{s}");
        assert!(s.contains("no endpoint"), "{s}");
    }

    #[test]
    fn migration_claims_and_what_confirms_them() {
        let report = parse(
            "- ✅ Migrations are idempotent and reversible\n- ✅ Migration applies cleanly (`db/migrations/001_init.sql`)\n",
        );
        let kinds: Vec<_> = report
            .claims
            .iter()
            .map(|c| match classify(c) {
                Placement::Check { kind, .. } => (kind, confirmation(c, kind)),
                Placement::Unplaced(_) => ("unplaced", Confirm::Pass),
            })
            .collect();
        assert_eq!(
            kinds,
            vec![("migrations", Confirm::RoundTrip), ("migrations", Confirm::Applied)]
        );
    }

    #[test]
    fn severities_block_and_security_and_data_are_critical() {
        use crate::checklist::Severity;
        let report =
            parse("- ✅ Docs in `docs/A.md`\n- ✅ No secrets committed\n- ✅ Backups restore\n");
        let got: Vec<Severity> = report
            .claims
            .iter()
            .map(|c| match classify(c) {
                Placement::Check { kind, .. } => severity(c, kind),
                Placement::Unplaced(_) => Severity::Info,
            })
            .collect();
        assert_eq!(got, vec![Severity::High, Severity::Critical, Severity::Critical]);
    }

    #[test]
    fn a_test_command_in_a_claim_is_its_test_suite() {
        let (k, s) = place("- ✅ **Proof:** Test suite results (`pytest tests/ --cov=src`)\n");
        assert_eq!(k, "tests", "{s}");
        assert!(s.contains("run: pytest tests/ --cov=src --junitxml=${test_results}"), "{s}");
    }

    #[test]
    fn a_cited_file_does_not_confirm_an_outcome() {
        let report = parse(
            "- ✅ E2E test: **PASSING** (see `scripts/test_e2e_flow.py`)\n- ✅ Unit tests for policies (see `tests/unit/test_policy.py`)\n",
        );
        let got: Vec<_> = report
            .claims
            .iter()
            .map(|c| match classify(c) {
                Placement::Check { kind, .. } => (kind, confirmation(c, kind)),
                Placement::Unplaced(_) => ("unplaced", Confirm::Pass),
            })
            .collect();
        assert_eq!(got, vec![("file", Confirm::Cited), ("file", Confirm::Pass)]);
    }

    #[test]
    fn numbered_items_right_after_a_paragraph_are_claims() {
        let report = parse(
            "**New**:\n1. `a/new.py` - added\n\n**Modified**:\n2. `a/old.py` - fixed\n3. `b.py` - fixed\n\n```text\nlog:\n2. not a claim\n```\n",
        );
        let got: Vec<(usize, &str)> =
            report.claims.iter().map(|c| (c.line, c.text.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (2, "`a/new.py` - added"),
                (5, "`a/old.py` - fixed"),
                (6, "`b.py` - fixed"),
                (9, "log:"),
                (10, "2. not a claim")
            ]
        );
    }

    #[test]
    fn a_test_command_after_cd_writes_its_results_there() {
        let (k, s) = place("```bash\ncd backend && pytest -q\n```\n");
        assert_eq!(k, "tests", "{s}");
        assert!(s.contains("run: cd backend && pytest -q --junitxml=${test_results}"), "{s}");
        assert!(s.contains("results: backend/${test_results}"), "{s}");
    }

    #[test]
    fn results_commands() {
        assert_eq!(
            results_command("python3 -m pytest -q tests"),
            Some(("python3 -m pytest -q tests --junitxml=${test_results}".into(), None))
        );
        assert_eq!(
            results_command("python3 run_tests.py --junitxml=out/junit.xml"),
            Some((
                "python3 run_tests.py --junitxml=out/junit.xml".into(),
                Some("out/junit.xml".into())
            ))
        );
        assert_eq!(results_command("python3 -m unittest discover"), None);
    }
}
