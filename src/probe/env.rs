//! `env`: every environment variable the code reads is documented in `.env.example`, and that
//! file holds no real secret values. Reads are found with regexes for the common idioms of Rust
//! (`env::var("X")`, `env!`, `option_env!`), Python (`os.environ["X"]`, `os.environ.get`,
//! `os.getenv`), Node (`process.env.X`, `process.env["X"]`) and Go (`os.Getenv`,
//! `os.LookupEnv`), clap's `#[arg(env)]` fields, over the gitignore-aware walk; test files are not read (their variables
//! configure the tests, not the service).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Artifact, ProbeContext, ProbeIssue};
use crate::outcome::{Location, Measurement, ProbeOutcome};

/// Environment variables read by the code are documented in an example file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The example file, relative to the repository (default: the first of `.env.example`, `.env.sample`, `.env.template`, `.env.dist`, `example.env` that exists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
    /// Variable names that need no documentation (besides the built-in ones the platform sets: PATH, HOME, CARGO_*, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<String>,
}

pub fn validate(spec: &Spec) -> Vec<ProbeIssue> {
    let mut issues = Vec::new();
    for (i, n) in spec.ignore.iter().enumerate() {
        if n.is_empty() || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            issues.push(ProbeIssue::new(
                format!("ignore[{i}]"),
                format!("`{n}` is not a variable name"),
            ));
        }
    }
    issues
}

/// Conventional names of the example environment file, in order of preference.
const EXAMPLE_NAMES: &[&str] =
    &[".env.example", ".env.sample", ".env.template", ".env.dist", "example.env"];

/// Set by the OS, the shell, CI or the build tool: not the service's configuration.
const PLATFORM: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "USERNAME",
    "SHELL",
    "TERM",
    "PWD",
    "TMPDIR",
    "TEMP",
    "TMP",
    "LANG",
    "CI",
    "NO_COLOR",
    "OUT_DIR",
    "TARGET",
    "HOST",
    "PROFILE",
    "OPT_LEVEL",
    "DEBUG",
    "NUM_JOBS",
    "RUSTC",
    "RUSTDOC",
    "GOPATH",
    "GOROOT",
    "APPDATA",
    "USERPROFILE",
    "HOSTNAME",
];
const PLATFORM_PREFIXES: &[&str] = &["CARGO_", "DEP_", "RUSTC_", "GITHUB_", "RUNNER_"];

/// Tests (their variables configure the tests) and vendored third-party code (its variables
/// are not the service's configuration).
const TEST_GLOBS: &[&str] = &[
    "**/vendor/**",
    "**/node_modules/**",
    "**/third_party/**",
    "**/tests/**",
    "**/test/**",
    "**/__tests__/**",
    "**/*_test.go",
    "**/test_*.py",
    "**/*_test.py",
    "**/conftest.py",
    "**/*.test.*",
    "**/*.spec.*",
];

/// `(extensions, regex with the name in group 1)`.
const READS: &[(&[&str], &str)] = &[
    (&["rs"], r#"\b(?:env::var(?:_os)?|env!|option_env!)\s*\(\s*"([A-Za-z_][A-Za-z0-9_]*)""#),
    (
        &["py"],
        r#"\bos\.(?:environ\s*\[\s*|environ\.get\s*\(\s*|getenv\s*\(\s*)["']([A-Za-z_][A-Za-z0-9_]*)["']"#,
    ),
    (
        &["js", "mjs", "cjs", "jsx", "ts", "tsx", "mts", "cts"],
        r#"\bprocess\.env(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*["'`]([A-Za-z_][A-Za-z0-9_]*)["'`]\s*\])"#,
    ),
    (&["go"], r#"\bos\.(?:Getenv|LookupEnv)\(\s*"([A-Za-z_][A-Za-z0-9_]*)""#),
];

/// clap's `#[arg(long, env)]` / `#[clap(env = "NAME")]` on a field: the variable is the
/// explicit name, or the field's name in upper case.
const CLAP_ENV: &str = r#"#\[(?:clap|arg)\(([^\]]*?\benv\b[^\]]*?)\)\]\s*(?:(?://[^\n]*|#\[[^\]]*\])\s*)*(?:pub(?:\([^)]*\))?\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*:"#;

/// Where a variable is read: first place, and how many reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Read {
    pub path: String,
    pub line: u64,
    pub count: u64,
}

fn platform(name: &str) -> bool {
    PLATFORM.contains(&name) || PLATFORM_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// Variables read by the code under `repo`, by name.
pub fn scan_reads(repo: &Path, cancel: &std::sync::atomic::AtomicBool) -> BTreeMap<String, Read> {
    let compiled: Vec<(&[&str], Regex)> =
        READS.iter().map(|(ext, re)| (*ext, Regex::new(re).expect("constant regex"))).collect();
    let mut tests = globset::GlobSetBuilder::new();
    for g in TEST_GLOBS {
        tests.add(globset::Glob::new(g).expect("constant glob"));
    }
    let tests = tests.build().expect("constant globs");
    let clap = Regex::new(CLAP_ENV).expect("constant regex");
    let clap_name =
        Regex::new(r#"\benv\s*=\s*"([A-Za-z_][A-Za-z0-9_]*)""#).expect("constant regex");
    let mut out: BTreeMap<String, Read> = BTreeMap::new();
    for entry in ignore::WalkBuilder::new(repo).build().filter_map(|e| e.ok()) {
        if cancel.load(std::sync::atomic::Ordering::Relaxed) {
            break;
        }
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let ext = entry.path().extension().and_then(|e| e.to_str()).unwrap_or("");
        let Some((_, re)) = compiled.iter().find(|(exts, _)| exts.contains(&ext)) else { continue };
        let Ok(rel) = entry.path().strip_prefix(repo) else { continue };
        let rel = rel.to_string_lossy().replace('\\', "/");
        if tests.is_match(&rel) || entry.metadata().map(|m| m.len() > 2 << 20).unwrap_or(true) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(entry.path()) else { continue };
        let mut found: Vec<(String, usize)> = re
            .captures_iter(&text)
            .map(|c| {
                let name = c.get(1).or_else(|| c.get(2)).map(|m| m.as_str()).unwrap_or("");
                (name.to_string(), c.get(0).map(|m| m.start()).unwrap_or(0))
            })
            .collect();
        if ext == "rs" {
            for c in clap.captures_iter(&text) {
                let name = match clap_name.captures(&c[1]) {
                    Some(n) => n[1].to_string(),
                    None => c[2].to_ascii_uppercase(),
                };
                found.push((name, c.get(0).map(|m| m.start()).unwrap_or(0)));
            }
        }
        for (name, start) in found {
            let line = text[..start].matches('\n').count() as u64 + 1;
            out.entry(name).and_modify(|r| r.count += 1).or_insert(Read {
                path: rel.clone(),
                line,
                count: 1,
            });
        }
    }
    out
}

/// Names an example file declares (`KEY=…`, `export KEY=…`, or commented out `# KEY=…`).
pub fn documented(text: &str) -> BTreeSet<String> {
    let re = Regex::new(r"^\s*(?:#\s*)?(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")
        .expect("constant regex");
    text.lines().filter_map(|l| re.captures(l).map(|c| c[1].to_string())).collect()
}

pub fn run(spec: &Spec, ctx: &ProbeContext) -> ProbeOutcome {
    if let Some(o) = super::invalid_spec("env", &validate(spec)) {
        return o;
    }
    let rel = spec.example.clone().unwrap_or_else(|| {
        EXAMPLE_NAMES
            .iter()
            .find(|n| ctx.repo.join(n).is_file())
            .unwrap_or(&EXAMPLE_NAMES[0])
            .to_string()
    });
    let reads = scan_reads(ctx.repo, ctx.cancel);
    if ctx.cancelled() {
        return ProbeOutcome::error("interrupted");
    }
    let relevant: BTreeMap<&String, &Read> = reads
        .iter()
        .filter(|(n, _)| !platform(n) && !spec.ignore.iter().any(|i| i == *n))
        .collect();
    let path = ctx.resolve(&rel);
    let text = match std::fs::read(&path) {
        Ok(b) => Some(String::from_utf8_lossy(&b).into_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return ProbeOutcome::error(format!("cannot read {rel}: {e}")),
    };
    let docs = text.as_deref().map(documented).unwrap_or_default();
    let undocumented: Vec<(&String, &Read)> =
        relevant.iter().filter(|(n, _)| !docs.contains(**n)).map(|(n, r)| (*n, *r)).collect();
    let mut locations: Vec<Location> = undocumented
        .iter()
        .map(|(n, r)| Location {
            path: r.path.clone(),
            line: Some(r.line),
            column: None,
            message: Some(format!("reads `{n}`, not documented in {rel}")),
            rule: Some("undocumented".into()),
        })
        .collect();
    let mut secrets = 0usize;
    if let Some(t) = &text {
        let scanner = match crate::secrets::Scanner::new(&Default::default()) {
            Ok(s) => s,
            Err(e) => return ProbeOutcome::error(format!("secrets rules: {e}")),
        };
        // Scanned under the conventional name so the environment-file rules apply whatever
        // the file is called.
        let mut ignored = 0;
        for f in scanner.scan_bytes(".env.example", t.as_bytes(), &mut ignored) {
            secrets += 1;
            locations.push(Location {
                path: rel.clone(),
                line: f.line,
                column: None,
                message: Some(format!(
                    "{} ({}): use a placeholder, fingerprint {}",
                    f.description,
                    f.severity.as_str(),
                    f.fingerprint
                )),
                rule: Some(f.rule.clone()),
            });
        }
    }
    let names = |v: &[(&String, &Read)]| {
        let mut s: Vec<&str> = v.iter().take(5).map(|(n, _)| n.as_str()).collect();
        if v.len() > 5 {
            s.push("…");
        }
        s.join(", ")
    };
    let mut out = if text.is_none() && !relevant.is_empty() {
        ProbeOutcome::fail(format!(
            "the code reads {} environment variable(s) ({}) but there is no {rel}; document each with a placeholder value",
            relevant.len(),
            names(&undocumented)
        ))
    } else if !undocumented.is_empty() {
        ProbeOutcome::fail(format!(
            "{} of {} environment variable(s) read by the code are not in {rel}: {}",
            undocumented.len(),
            relevant.len(),
            names(&undocumented)
        ))
    } else if secrets > 0 {
        ProbeOutcome::fail(format!(
            "{rel} holds {secrets} value(s) that look like real secrets; replace them with placeholders and rotate them"
        ))
    } else if relevant.is_empty() {
        ProbeOutcome::pass(
            "the code reads no environment variables (Rust, Python, Node, Go idioms)",
        )
    } else {
        ProbeOutcome::pass(format!(
            "all {} environment variable(s) read by the code are documented in {rel}",
            relevant.len()
        ))
    };
    out.measurements.push(Measurement::new("variables", relevant.len() as f64, "count"));
    out.measurements.push(
        Measurement::new("undocumented", undocumented.len() as f64, "count").with_threshold("== 0"),
    );
    out.measurements.push(
        Measurement::new("secrets_in_example", secrets as f64, "count").with_threshold("== 0"),
    );
    let summary = serde_json::json!({
        "example": rel,
        "example_exists": text.is_some(),
        "reads": reads,
        "documented": docs,
        "undocumented": undocumented.iter().map(|(n, _)| n).collect::<Vec<_>>(),
    });
    out.locations = locations;
    out.with_artifact(Artifact::json("summary.json", &summary))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Status;

    fn run_in(dir: &Path, spec: &Spec) -> ProbeOutcome {
        crate::probe::context::testing::run_probe(dir, "env", |ctx| run(spec, ctx))
    }

    use crate::probe::context::testing::write;

    #[test]
    fn finds_reads_in_every_language_and_skips_tests() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "src/main.rs",
            "fn main() {\n let u = std::env::var(\"DATABASE_URL\");\n let v = env!(\"CARGO_PKG_VERSION\");\n let p = option_env!(\"BUILD_SHA\");\n}\n",
        );
        write(
            d.path(),
            "app/config.py",
            "import os\nA = os.environ[\"API_BASE\"]\nB = os.environ.get('REDIS_URL', 'x')\nC = os.getenv(\"LOG_LEVEL\")\n",
        );
        write(
            d.path(),
            "web/index.ts",
            "const p = process.env.PORT;\nconst s = process.env['SESSION_KEY'];\n",
        );
        write(
            d.path(),
            "cmd/main.go",
            "x := os.Getenv(\"GO_ADDR\")\ny, ok := os.LookupEnv(\"GO_MODE\")\n",
        );
        write(d.path(), "tests/it.rs", "std::env::var(\"ONLY_IN_TESTS\")");
        write(d.path(), "cmd/main_test.go", "os.Getenv(\"GO_TEST_ONLY\")");
        write(d.path(), "vendor/github.com/x/y/z.go", "os.Getenv(\"VENDORED\")");
        write(
            d.path(),
            "src/config.rs",
            "struct Config {\n    /// The key.\n    #[clap(long, env)]\n    pub hmac_key: String,\n    #[arg(long, env = \"APP_PORT\", default_value = \"8080\")]\n    port: u16,\n    #[arg(long)]\n    verbose: bool,\n}\n",
        );
        let reads = scan_reads(d.path(), &std::sync::atomic::AtomicBool::new(false));
        let names: Vec<&str> = reads.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            vec![
                "API_BASE",
                "APP_PORT",
                "BUILD_SHA",
                "CARGO_PKG_VERSION",
                "DATABASE_URL",
                "GO_ADDR",
                "GO_MODE",
                "HMAC_KEY",
                "LOG_LEVEL",
                "PORT",
                "REDIS_URL",
                "SESSION_KEY"
            ]
        );
        assert_eq!(reads["DATABASE_URL"].line, 2);
        assert_eq!((reads["HMAC_KEY"].path.as_str(), reads["HMAC_KEY"].line), ("src/config.rs", 3));
        let o = run_in(d.path(), &Spec::default());
        assert_eq!(o.status, Status::Fail);
        assert!(o.reason.contains("no .env.example"), "{}", o.reason);
        // CARGO_PKG_VERSION is set by cargo: not counted.
        assert_eq!(o.measurements[0].value, 11.0);
    }

    #[test]
    fn documented_commented_and_ignored_names_pass() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "a.py",
            "os.getenv('DATABASE_URL')\nos.getenv('SENTRY_DSN')\nos.getenv('INTERNAL')\n",
        );
        write(
            d.path(),
            ".env.example",
            "DATABASE_URL=postgres://user:password@localhost/db\n# SENTRY_DSN=\n",
        );
        let o = run_in(d.path(), &Spec::default());
        assert_eq!(o.status, Status::Fail);
        assert_eq!(
            o.locations[0].message.as_deref(),
            Some("reads `INTERNAL`, not documented in .env.example")
        );
        assert_eq!((o.locations[0].path.as_str(), o.locations[0].line), ("a.py", Some(3)));
        let o = run_in(d.path(), &Spec { ignore: vec!["INTERNAL".into()], ..Spec::default() });
        assert_eq!(o.status, Status::Pass, "{}", o.reason);
        // Another conventional name is found without configuration.
        std::fs::rename(d.path().join(".env.example"), d.path().join(".env.sample")).unwrap();
        let o = run_in(d.path(), &Spec { ignore: vec!["INTERNAL".into()], ..Spec::default() });
        assert_eq!(o.status, Status::Pass, "{}", o.reason);
        assert!(o.reason.contains(".env.sample"), "{}", o.reason);
    }

    #[test]
    fn real_secret_in_example_fails_placeholder_passes() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "index.js", "process.env.STRIPE_SECRET_KEY\n");
        write(
            d.path(),
            "config/env.sample",
            "STRIPE_SECRET_KEY=sk_live_4eC39HqLyjWDarjtT1zdp7dc9a8Qz\n",
        );
        let spec = Spec { example: Some("config/env.sample".into()), ..Spec::default() };
        let o = run_in(d.path(), &spec);
        assert_eq!(o.status, Status::Fail, "{}", o.reason);
        assert!(o.reason.contains("real secrets"), "{}", o.reason);
        assert_eq!(o.locations[0].path, "config/env.sample");
        write(d.path(), "config/env.sample", "STRIPE_SECRET_KEY=sk_live_changeme\n");
        assert_eq!(run_in(d.path(), &spec).status, Status::Pass);
    }

    #[test]
    fn bad_ignore_name_is_a_spec_issue() {
        assert_eq!(
            validate(&Spec { ignore: vec!["A B".into()], ..Spec::default() })[0].field,
            "ignore[0]"
        );
    }
}
