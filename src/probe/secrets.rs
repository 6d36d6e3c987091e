//! `secrets`: no committed credentials. Scans the repository (gitignore-aware, hidden files
//! included) with the built-in rule set of [`crate::secrets::rules`]; findings show the rule,
//! file:line and a fingerprint, never the value. Allowlists by path glob, regex and
//! fingerprint, and a baseline file written by `readyctl secrets baseline`.

use std::collections::HashSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Artifact, ProbeContext, ProbeIssue};
use crate::outcome::{Location, Measurement, ProbeOutcome};
use crate::secrets::{self, Baseline, Scanner};
use crate::severity::Severity;

/// Scan the repository for committed secrets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Files not scanned (globs relative to the repository), e.g. `tests/fixtures/**`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_paths: Vec<String>,
    /// Findings whose secret value matches one of these regexes are ignored (e.g. a known test key).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_regexes: Vec<String>,
    /// Fingerprints (16 hex digits, as shown in findings) to ignore.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_fingerprints: Vec<String>,
    /// A baseline file written by `readyctl secrets baseline`: its findings are ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
    /// Rule ids to turn off (`readyctl secrets rules` lists them), e.g. `[stripe-test-key]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disable: Vec<String>,
    /// Findings below this severity are reported but do not fail the check (default `medium`:
    /// findings lowered to `low` by their context — docs, tests, examples, compose dev
    /// services, comments — are visible, not blocking; `low` makes them block too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_severity: Option<Severity>,
    /// Files larger than this many KiB are not scanned (default 5120).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_file_kb: Option<u64>,
    /// Also scan the lines added by the last `max_commits` commits (`git log -p`): a secret
    /// removed from the tree is still in the history, and still valid until rotated.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub history: bool,
    /// How many commits `history` scans, newest first (default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_commits: Option<u32>,
}

/// Findings below this do not fail the check unless `min_severity` says otherwise.
pub const DEFAULT_MIN_SEVERITY: Severity = Severity::Medium;

/// Locations kept in the result (the count is always exact; summary.json has every finding).
const MAX_LOCATIONS: usize = 200;

fn known_rule(id: &str) -> bool {
    secrets::rules::FILE_RULES.iter().any(|r| r.0 == id)
        || secrets::rules::RULES.iter().any(|r| r.id == id)
}

pub fn validate(spec: &Spec) -> Vec<ProbeIssue> {
    let mut issues = Vec::new();
    for (i, g) in spec.allow_paths.iter().enumerate() {
        if let Err(e) = globset::Glob::new(g) {
            issues.push(ProbeIssue::new(
                format!("allow_paths[{i}]"),
                format!("invalid glob `{g}`: {e}"),
            ));
        }
    }
    for (i, r) in spec.allow_regexes.iter().enumerate() {
        if let Err(e) = regex::Regex::new(r) {
            issues.push(ProbeIssue::new(format!("allow_regexes[{i}]"), super::regex_error(r, &e)));
        }
    }
    for (i, f) in spec.allow_fingerprints.iter().enumerate() {
        if f.len() != 16 || !f.bytes().all(|b| b.is_ascii_hexdigit()) {
            issues.push(
                ProbeIssue::new(
                    format!("allow_fingerprints[{i}]"),
                    format!("`{f}` is not a fingerprint (16 hex digits)"),
                )
                .hint("copy the fingerprint shown with the finding"),
            );
        }
    }
    for (i, id) in spec.disable.iter().enumerate() {
        if !known_rule(id) {
            let ids: Vec<&str> = secrets::rules::RULES.iter().map(|r| r.id).collect();
            let close = ids.iter().find(|c| strsim_close(c, id));
            let mut issue =
                ProbeIssue::new(format!("disable[{i}]"), format!("unknown rule `{id}`"));
            if let Some(c) = close {
                issue = issue.hint(format!("did you mean `{c}`?"));
            }
            issues.push(issue);
        }
    }
    if spec.max_file_kb == Some(0) {
        issues.push(ProbeIssue::new("max_file_kb", "must be at least 1"));
    }
    issues
}

/// A cheap did-you-mean: same words in another order, or one contains the other.
fn strsim_close(a: &str, b: &str) -> bool {
    a.contains(b) || b.contains(a)
}

/// A secrets spec compiled: its allowlists built once, at load.
#[derive(Debug, Clone)]
pub struct Compiled {
    spec: Spec,
    /// What the scanner skips and ignores.
    allow: secrets::scan::Allowlist,
    /// `allow_paths` as the committed-but-ignored files and the history are filtered by
    /// (`*` crosses `/` here, unlike in the scanner's [`secrets::scan::Allowlist`]).
    allow_paths: globset::GlobSet,
}

/// Validates `spec` and builds its allowlists.
pub fn compile(spec: Spec) -> Result<Compiled, Vec<ProbeIssue>> {
    let issues = validate(&spec);
    if !issues.is_empty() {
        return Err(issues);
    }
    let allow = secrets::scan::Allowlist::new(&spec.allow_paths, &spec.allow_regexes)
        .map_err(|(field, message)| vec![ProbeIssue::new(field, message)])?;
    let allow_paths =
        globset_of(&spec.allow_paths).map_err(|e| vec![ProbeIssue::new("allow_paths", e)])?;
    Ok(Compiled { spec, allow, allow_paths })
}

/// Builds the scanner options of a compiled spec (reads the baseline).
pub fn options(
    compiled: &Compiled,
    ctx_repo: &std::path::Path,
) -> Result<secrets::Options, String> {
    let spec = &compiled.spec;
    let mut allow: HashSet<String> =
        spec.allow_fingerprints.iter().map(|f| f.to_ascii_lowercase()).collect();
    if let Some(b) = &spec.baseline {
        let path = if std::path::Path::new(b).is_absolute() {
            std::path::PathBuf::from(b)
        } else {
            ctx_repo.join(b)
        };
        allow.extend(Baseline::read(&path)?.fingerprints());
    }
    Ok(secrets::Options {
        allow: compiled.allow.clone(),
        allow_fingerprints: allow,
        disable: spec.disable.clone(),
        max_file_bytes: spec.max_file_kb.unwrap_or(0).saturating_mul(1024),
    })
}

super::compiled_kind!("secrets");

fn run(compiled: &Compiled, ctx: &ProbeContext) -> ProbeOutcome {
    let spec = &compiled.spec;
    let opts = match options(compiled, ctx.repo) {
        Ok(o) => o,
        Err(e) => return ProbeOutcome::error(e),
    };
    let scanner = match Scanner::new(&opts) {
        Ok(s) => s,
        Err(e) => return ProbeOutcome::error(format!("secrets: {e}")),
    };
    let mut report = match scanner.scan_repo(ctx.repo, ctx.cancel) {
        Ok(r) => r,
        Err(e) => return ProbeOutcome::error(format!("secret scan failed: {e}")),
    };
    let ignored = secrets::scan::committed_but_ignored(ctx.repo);
    if !ignored.is_empty() {
        let allow = &compiled.allow_paths;
        let listed: Vec<String> = ignored.into_iter().filter(|p| !allow.is_match(p)).collect();
        scanner.scan_listed(ctx.repo, &listed, &mut report);
    }
    if spec.history {
        let commits = spec.max_commits.unwrap_or(100);
        match scan_history(&scanner, compiled, ctx, commits) {
            Ok(found) => {
                // A secret still in the tree is reported once, where it is now.
                let known: HashSet<String> =
                    report.findings.iter().map(|f| f.fingerprint.clone()).collect();
                report
                    .findings
                    .extend(found.into_iter().filter(|f| !known.contains(&f.fingerprint)));
            }
            Err(e) => return ProbeOutcome::error(format!("secrets history: {e}")),
        }
    }
    outcome(spec, &scanner, &report)
}

/// Scans the lines added by the newest `commits` commits. The diff goes to a private temporary
/// file (it may hold secrets, so it is never evidence) and is read back one file at a time.
fn scan_history(
    scanner: &Scanner,
    compiled: &Compiled,
    ctx: &ProbeContext,
    commits: u32,
) -> Result<Vec<secrets::Finding>, String> {
    let spec = &compiled.spec;
    use std::io::BufRead;
    let tmp = tempfile_dir()?;
    let proc = crate::run::process::ProcSpec {
        argv: [
            "git",
            "log",
            "-p",
            "--no-color",
            "--no-ext-diff",
            "--unified=0",
            "--format=commit %H",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([format!("--max-count={commits}")])
        .collect(),
        cwd: ctx.repo.to_path_buf(),
        env: Vec::new(),
    };
    let (out, err) = (tmp.join("log.diff"), tmp.join("stderr.log"));
    let ended = crate::run::process::run(&proc, ctx.deadline, ctx.cancel, &out, &err, None)
        .map_err(|e| e.to_string());
    let result = ended.and_then(|ended| {
        if ended.exit_code != Some(0) {
            let why = std::fs::read_to_string(&err).unwrap_or_default();
            return Err(format!("`git log` {}: {}", ended.describe_end(), why.trim()));
        }
        if ended.stdout.truncated {
            return Err("the history diff is larger than readyctl reads; lower max_commits".into());
        }
        let allow = &compiled.allow_paths;
        let max = spec.max_file_kb.unwrap_or(5120).saturating_mul(1024) as usize;
        let reader = std::io::BufReader::new(std::fs::File::open(&out).map_err(|e| e.to_string())?);
        let mut found = Vec::new();
        let (mut commit, mut path, mut added) = (String::new(), None::<String>, Vec::<u8>::new());
        let mut suppressed = 0u64;
        let mut flush = |commit: &str, path: &Option<String>, added: &mut Vec<u8>| {
            if let Some(p) = path
                && !added.is_empty()
                && !allow.is_match(p)
            {
                for mut f in scanner.scan_bytes(p, added, &mut suppressed) {
                    f.line = None;
                    f.description = format!(
                        "{} (added in commit {})",
                        f.description,
                        &commit[..commit.len().min(12)]
                    );
                    found.push(f);
                }
            }
            added.clear();
        };
        for line in reader.split(b'\n') {
            let line = line.map_err(|e| e.to_string())?;
            if let Some(c) = line.strip_prefix(b"commit ") {
                flush(&commit, &path, &mut added);
                commit = String::from_utf8_lossy(c).into_owned();
                path = None;
            } else if let Some(p) = line.strip_prefix(b"+++ ") {
                flush(&commit, &path, &mut added);
                let p = String::from_utf8_lossy(p);
                path = p.strip_prefix("b/").map(str::to_owned);
            } else if line.starts_with(b"+") && added.len() < max {
                added.extend_from_slice(&line[1..]);
                added.push(b'\n');
            }
        }
        flush(&commit, &path, &mut added);
        Ok(found)
    });
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

fn tempfile_dir() -> Result<std::path::PathBuf, String> {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "readyctl-history-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    // The diff may hold secrets: created readable by us only, and never an existing path.
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

fn globset_of(globs: &[String]) -> Result<globset::GlobSet, String> {
    let mut b = globset::GlobSetBuilder::new();
    for g in globs {
        b.add(globset::Glob::new(g).map_err(|e| e.to_string())?);
    }
    b.build().map_err(|e| e.to_string())
}

fn outcome(spec: &Spec, scanner: &Scanner, report: &secrets::Report) -> ProbeOutcome {
    let min = spec.min_severity.unwrap_or(DEFAULT_MIN_SEVERITY);
    let blocking: Vec<&secrets::Finding> =
        report.findings.iter().filter(|f| f.severity >= min).collect();
    let n = blocking.len();
    let mut out = if n == 0 {
        let below = report.findings.len();
        let extra = if below > 0 {
            let why: Vec<String> = report
                .findings
                .iter()
                .take(2)
                .map(|f| {
                    let at = f.line.map_or(f.path.clone(), |l| format!("{}:{l}", f.path));
                    match &f.context {
                        Some(c) => format!("{} at {at}, {c}", f.rule),
                        None => format!("{} at {at}", f.rule),
                    }
                })
                .collect();
            let more = if below > 2 { format!(", +{} more", below - 2) } else { String::new() };
            format!(
                " ({below} below {} severity, not blocking: {}{more})",
                min.as_str(),
                why.join("; ")
            )
        } else {
            String::new()
        };
        ProbeOutcome::pass(format!(
            "no secrets in {} files ({} rules, {} allowlisted){extra}",
            report.files_scanned,
            scanner.rule_count(),
            report.suppressed
        ))
    } else {
        let first: Vec<String> = blocking
            .iter()
            .take(3)
            .map(|f| match f.line {
                Some(l) => format!("{} at {}:{l}", f.rule, f.path),
                None => format!("{} at {}", f.rule, f.path),
            })
            .collect();
        let more = crate::text::more(n, 3, crate::text::More::Plus);
        ProbeOutcome::fail(format!(
            "{n} possible secret{}: {}{more}; rotate real ones, then allowlist or baseline the rest",
            crate::diag::plural(n),
            first.join(", ")
        ))
    };
    out.measurements.push(Measurement::new("findings", n as f64, "count").with_threshold("== 0"));
    out.measurements.push(Measurement::new("files_scanned", report.files_scanned as f64, "count"));
    out.measurements.push(Measurement::new("allowlisted", report.suppressed as f64, "count"));
    out.measurements.push(Measurement::new("rules", scanner.rule_count() as f64, "count"));
    out.locations = report
        .findings
        .iter()
        .take(MAX_LOCATIONS)
        .map(|f| Location {
            path: f.path.clone(),
            line: f.line,
            column: None,
            message: Some(match &f.context {
                Some(c) => format!(
                    "{} ({}; {c}; not blocking below {}), fingerprint {}",
                    f.description,
                    f.severity.as_str(),
                    min.as_str(),
                    f.fingerprint
                ),
                None => format!(
                    "{} ({}), fingerprint {}",
                    f.description,
                    f.severity.as_str(),
                    f.fingerprint
                ),
            }),
            rule: Some(f.rule.clone()),
        })
        .collect();
    let summary = serde_json::json!({
        "files_scanned": report.files_scanned,
        "bytes_scanned": report.bytes_scanned,
        "files_too_large": report.files_too_large,
        "allowlisted": report.suppressed,
        "rules": scanner.rule_count(),
        "walk_error": report.walk_error,
        "findings": report.findings,
    });
    out.artifacts.push(Artifact::json("summary.json", &summary));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    /// Test secrets are assembled at run time so this source file holds none.
    fn aws_key() -> String {
        format!("AKIA{}", "Z7QW3RTY5UIO9PLK")
    }
    fn github_token() -> String {
        format!("ghp_{}", "q8Zr3LkP0vXy7TbN2mWsA1cD4eF5gH6iJ7kL")
    }

    fn scan(files: &[(&str, String)], spec: &Spec) -> secrets::Report {
        let dir = tempfile::tempdir().unwrap();
        for (p, c) in files {
            let path = dir.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, c).unwrap();
        }
        let opts = options(&compile(spec.clone()).unwrap(), dir.path()).unwrap();
        Scanner::new(&opts).unwrap().scan_repo(dir.path(), &AtomicBool::new(false)).unwrap()
    }

    fn rules_of(r: &secrets::Report) -> Vec<(String, String, Option<u64>)> {
        r.findings.iter().map(|f| (f.rule.clone(), f.path.clone(), f.line)).collect()
    }

    #[test]
    fn finds_specific_tokens_with_lines() {
        let r = scan(
            &[
                ("src/config.py", format!("import os\n\nKEY = '{}'\n", aws_key())),
                ("deploy/ci.sh", format!("echo hi\nexport GH={}\n", github_token())),
                ("clean.rs", "fn main() {}\n".into()),
            ],
            &Spec::default(),
        );
        assert_eq!(
            rules_of(&r),
            vec![
                ("github-pat".into(), "deploy/ci.sh".into(), Some(2)),
                ("aws-access-key-id".into(), "src/config.py".into(), Some(3)),
            ]
        );
        assert_eq!(r.files_scanned, 3);
    }

    #[test]
    fn private_keys_db_urls_and_generic_assignments() {
        // A realistic body line: the rule wants key material after the marker.
        let pem = format!(
            "-----BEGIN RSA {}-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB\n-----END RSA PRIVATE KEY-----\n",
            "PRIVATE KEY"
        );
        let r = scan(
            &[
                ("id_rsa", pem),
                (
                    "settings.py",
                    format!("DATABASE_URL = 'postgres://app:{}@db:5432/app'\n", "Xk29vLq7Pw"),
                ),
                (
                    "docs.md",
                    "url: postgres://user:password@localhost/db\npassword = \"changeme\"\n".into(),
                ),
                ("app.js", format!("const apiKey = \"{}\";\n", "f3Kq9ZxW2mVt8LpR4sNb")),
            ],
            &Spec::default(),
        );
        let got = rules_of(&r);
        assert!(got.contains(&("private-key".into(), "id_rsa".into(), Some(1))), "{got:?}");
        assert!(
            got.contains(&("database-url-password".into(), "settings.py".into(), Some(1))),
            "{got:?}"
        );
        assert!(
            got.contains(&("generic-secret-assignment".into(), "app.js".into(), Some(1))),
            "{got:?}"
        );
        assert!(!got.iter().any(|(_, p, _)| p == "docs.md"), "placeholders flagged: {got:?}");
    }

    #[test]
    fn dotenv_committed_hidden_files_scanned_gitignored_skipped() {
        let r = scan(
            &[
                (".env", format!("SECRET_KEY={}\n", "b7Yh2Kq9Lm4Np8Rs")),
                (".env.example", "SECRET_KEY=changeme\n".into()),
                (".gitignore", "ignored/\n".into()),
                ("ignored/creds.txt", aws_key()),
                (".readyctl/runs/x/evidence.log", aws_key()),
            ],
            &Spec::default(),
        );
        let got = rules_of(&r);
        assert!(got.contains(&("dotenv-file-committed".into(), ".env".into(), None)), "{got:?}");
        assert!(
            got.contains(&("dotenv-secret-assignment".into(), ".env".into(), Some(1))),
            "{got:?}"
        );
        // A gitignore only applies inside a git repository; the temp dir is not one, so
        // `ignored/` is found only because it is not ignored here. Check .readyctl instead.
        assert!(!got.iter().any(|(_, p, _)| p.starts_with(".readyctl")), "{got:?}");
        assert!(!got.iter().any(|(_, p, _)| p == ".env.example"), "{got:?}");
    }

    #[test]
    fn allowlists_and_inline_markers() {
        let files = [
            ("a.py", format!("K = '{}'\n", aws_key())),
            ("tests/fixtures/b.py", format!("K = '{}'\n", aws_key())),
            ("c.py", format!("K = '{}'  # readyctl:allow-secret\n", github_token())),
        ];
        let all = scan(&files, &Spec::default());
        assert_eq!(all.findings.len(), 2, "{:?}", rules_of(&all));
        assert_eq!(all.suppressed, 1);
        let fp = all.findings.iter().find(|f| f.path == "a.py").unwrap().fingerprint.clone();
        let spec = Spec {
            allow_paths: vec!["tests/fixtures/**".into()],
            allow_fingerprints: vec![fp],
            ..Spec::default()
        };
        assert!(scan(&files, &spec).findings.is_empty());
        let spec = Spec { allow_regexes: vec!["^AKIAZ7".into()], ..Spec::default() };
        assert!(scan(&files, &spec).findings.is_empty());
        let spec = Spec { disable: vec!["aws-access-key-id".into()], ..Spec::default() };
        assert!(scan(&files, &spec).findings.is_empty());
    }

    #[test]
    fn fingerprint_is_stable_across_line_moves_and_depends_on_path() {
        let a = scan(&[("a.py", format!("K = '{}'\n", aws_key()))], &Spec::default());
        let b = scan(&[("a.py", format!("\n\n\nK = '{}'\n", aws_key()))], &Spec::default());
        let c = scan(&[("b.py", format!("K = '{}'\n", aws_key()))], &Spec::default());
        assert_eq!(a.findings[0].fingerprint, b.findings[0].fingerprint);
        assert_ne!(a.findings[0].fingerprint, c.findings[0].fingerprint);
        assert_eq!(a.findings[0].fingerprint.len(), 16);
        assert!(!a.findings[0].fingerprint.contains("AKIA"));
    }

    #[test]
    fn validate_names_fields() {
        let spec = Spec {
            allow_regexes: vec!["(".into()],
            allow_fingerprints: vec!["xyz".into()],
            disable: vec!["aws-access-key".into()],
            ..Spec::default()
        };
        let fields: Vec<String> = validate(&spec).into_iter().map(|i| i.field).collect();
        assert_eq!(fields, ["allow_regexes[0]", "allow_fingerprints[0]", "disable[0]"]);
    }

    #[test]
    fn context_lowers_findings_to_low_with_a_reason_and_they_do_not_block() {
        let tok = github_token();
        let files = [
            ("tests/test_api.py", format!("TOKEN = '{tok}'\n")),
            ("docs/setup.md", format!("export GH={tok}\n")),
            ("vendor/lib/ci.sh", format!("GH={tok}\n")),
            ("src/old.py", format!("# GH = '{tok}'\n")),
            (
                "docker-compose.yml",
                format!("DATABASE_URL: postgres://app:{}@db.prod.io/a\n", "Xk29vLq7Pw"),
            ),
            ("src/db.py", format!("URL = 'postgres://app:{}@localhost/a'\n", "Xk29vLq7Pw")),
        ];
        let r = scan(&files, &Spec::default());
        assert_eq!(r.findings.len(), files.len(), "{:?}", rules_of(&r));
        for f in &r.findings {
            assert_eq!(f.severity, Severity::Low, "{f:?}");
            assert!(f.context.as_deref().is_some_and(|c| c.contains("lowered from")), "{f:?}");
        }
        let scanner = Scanner::new(&secrets::Options::default()).unwrap();
        let out = outcome(&Spec::default(), &scanner, &r);
        assert_eq!(out.status, crate::outcome::Status::Pass, "{}", out.reason);
        assert!(out.reason.contains("6 below medium severity, not blocking"), "{}", out.reason);
        assert!(
            out.locations.iter().all(|l| l.message.as_deref().unwrap().contains("not blocking"))
        );
        // `min_severity: low` makes them block.
        let strict = Spec { min_severity: Some(Severity::Low), ..Spec::default() };
        assert_eq!(outcome(&strict, &scanner, &r).status, crate::outcome::Status::Fail);
        // The same token in application code blocks.
        let r = scan(&[("src/api.py", format!("TOKEN = '{tok}'\n"))], &Spec::default());
        assert_eq!(r.findings[0].severity, Severity::Critical);
        assert_eq!(r.findings[0].context, None);
        assert_eq!(outcome(&Spec::default(), &scanner, &r).status, crate::outcome::Status::Fail);
    }

    #[test]
    fn published_examples_hashes_and_punctuated_keys() {
        let dj = "2^f+3@v7$v1f8yt0!s)3-1t$)tlp+xm17=*g))_xoi&&9m#2a&"; // Django alphabet, with `)`
        let files = [
            (
                "settings.py",
                format!(
                    "SECRET_KEY = '{dj}'\nRECAPTCHA_PRIVATE_KEY = '{}'\n",
                    "6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe"
                ),
            ),
            ("s3.py", format!("KEY = '{}'\n", ["AKIAIOSFODNN7", "EXAMPLE"].concat())),
            (
                "users.json",
                format!(
                    "{{\"password\": \"pbkdf2_sha256$600000${}\"}}\n",
                    "aB3dE6gH9jK2mN5pQ8sT1v$Wc9kP2xZ7"
                ),
            ),
            ("app.js", format!("fetch('https://admin:{}@api.example.com/v1')\n", "Zq7Xw3Vr9Tn")),
        ];
        let got = rules_of(&scan(&files, &Spec::default()));
        assert_eq!(got, vec![("python-secret-key".into(), "settings.py".into(), Some(1))]);
    }

    #[test]
    fn files_tracked_despite_an_ignore_rule_are_scanned() {
        let dir = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| {
            let ok = std::process::Command::new("git")
                .args(args)
                .current_dir(dir.path())
                .output()
                .is_ok_and(|o| o.status.success());
            assert!(ok, "git {args:?}");
        };
        git(&["init", "-q"]);
        std::fs::write(dir.path().join(".gitignore"), "dist/*\n").unwrap();
        std::fs::create_dir(dir.path().join("dist")).unwrap();
        std::fs::write(dir.path().join("dist/config.js"), format!("K = '{}';\n", aws_key()))
            .unwrap();
        std::fs::write(dir.path().join("dist/build.js"), format!("K = '{}';\n", aws_key()))
            .unwrap();
        git(&["add", "-f", "dist/config.js"]);
        let scanner = Scanner::new(&secrets::Options::default()).unwrap();
        let mut report = scanner.scan_repo(dir.path(), &AtomicBool::new(false)).unwrap();
        assert!(report.findings.is_empty(), "the walk honours .gitignore");
        let listed = secrets::scan::committed_but_ignored(dir.path());
        assert_eq!(listed, ["dist/config.js"]);
        scanner.scan_listed(dir.path(), &listed, &mut report);
        assert_eq!(
            rules_of(&report),
            [("aws-access-key-id".into(), "dist/config.js".into(), Some(1))]
        );
    }

    #[test]
    fn framework_rules() {
        let hex = "0123456789abcdef".repeat(8);
        let files = [
            ("config/secrets.yml", format!("development:\n  secret_key_base: {hex}\nproduction:\n  secret_key_base: {}\n", hex.chars().rev().collect::<String>())),
            ("config/master.key", "0123456789abcdef0123456789abcdef\n".to_string()),
            ("k8s/db.yaml", "apiVersion: v1\nkind: Secret\nstringData:\n  host: db\n  password: \"Tr0ub4dor\"\n".to_string()),
            ("src/main/resources/application.properties", "jwt.secret=nRvyYC4soFxBdZ-F\nspring.datasource.password=${PG_PASS:petclinic}\njwt.sessionTime=86400\n".to_string()),
            ("conf/app.ini", "[app]\nJwtSecret = 233\nPassword = rootroot\nRequired = true\n".to_string()),
            ("laravel/config.php", format!("APP_KEY=base64:{}=\n", "q8Zr3LkP0vXy7TbN2mWsA1cD4eF5gH6iJ7kLmNoPqRs")),
        ];
        let r = scan(&files, &Spec::default());
        let got: Vec<(String, String, Option<u64>, Severity)> = r
            .findings
            .iter()
            .map(|f| (f.rule.clone(), f.path.clone(), f.line, f.severity))
            .collect();
        let want = |rule: &str, path: &str, line: Option<u64>, sev: Severity| {
            assert!(got.contains(&(rule.into(), path.into(), line, sev)), "{rule} {path}: {got:?}");
        };
        want("rails-secret-key-base", "config/secrets.yml", Some(2), Severity::Low);
        want("rails-secret-key-base", "config/secrets.yml", Some(4), Severity::High);
        want("rails-master-key", "config/master.key", None, Severity::Critical);
        want("kubernetes-secret", "k8s/db.yaml", Some(5), Severity::High);
        want(
            "config-file-secret",
            "src/main/resources/application.properties",
            Some(1),
            Severity::High,
        );
        want(
            "config-file-secret",
            "src/main/resources/application.properties",
            Some(2),
            Severity::High,
        );
        want("config-file-secret", "conf/app.ini", Some(2), Severity::High);
        want("config-file-secret", "conf/app.ini", Some(3), Severity::High);
        want("laravel-app-key", "laravel/config.php", Some(1), Severity::High);
        assert_eq!(got.len(), 9, "{got:?}");
    }

    #[test]
    fn every_rule_has_a_true_positive_sample() {
        // One synthetic sample per rule, assembled at run time; each must be found by its rule.
        let r = |s: &str| s.chars().rev().collect::<String>();
        let samples: Vec<(&str, String)> = vec![
            ("gcp-api-key", format!("k = \"AIza{}\"", "SyD4kF9aQ2mXz7Lp0vN3bR8cT1wYe6uIo5h")),
            ("gcp-service-account-key", format!("\"private_key_id\": \"{}\"", "3f9a".repeat(10))),
            ("gcp-oauth-client-secret", format!("GOCSPX-{}", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4")),
            (
                "azure-storage-account-key",
                format!("AccountKey={}==;", &"Ab3dE6gH9jK2mN5pQ8sT1vW4yZ7".repeat(4)[..86]),
            ),
            ("github-oauth-token", format!("gho_{}", "q8Zr3LkP0vXy7TbN2mWsA1cD4eF5gH6iJ7kL")),
            ("gitlab-pat", format!("glpat-{}", "x9Yz8Wv7Ut6Sr5Qp4On3")),
            ("slack-token", format!("xoxb-{}-{}", "123456789012", "AbCdEfGhIjKl")),
            ("stripe-secret-key", format!("sk_live_{}", "4eC39HqLyjWDarjtT1zdp7dc")),
            ("npm-token", format!("npm_{}", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8")),
            (
                "sendgrid-api-key",
                format!(
                    "SG.{}.{}",
                    "a1B2c3D4e5F6g7H8i9J0kL", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8s9T0u1V"
                ),
            ),
            ("twilio-api-key", format!("SK{}", "0123456789abcdef0123456789abcdef")),
            (
                "jwt",
                format!(
                    "eyJ{}.eyJ{}.{}",
                    "hbGciOiJIUzI1NiJ9",
                    "zdWIiOiIxMjM0NTY3ODkwIn0",
                    "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
                ),
            ),
            (
                "aws-secret-access-key",
                format!(
                    "aws_secret_access_key = {}",
                    r("KLjh7GFd5Sa3QWe1RTy9UIo8PLk6MNb4VCx2ZAq0")
                ),
            ),
            (
                "url-credentials",
                format!("https://deploy:{}@git.acme-corp.io/repo.git", "Zq7Xw3Vr9Tn"),
            ),
        ];
        for (rule, line) in samples {
            let rep = scan(&[("f.txt", format!("{line}\n"))], &Spec::default());
            assert!(
                rep.findings.iter().any(|f| f.rule == rule),
                "{rule} not found: {:?}",
                rules_of(&rep)
            );
        }
    }
}
