//! `env`: every environment variable the code reads is documented in `.env.example`, and that
//! file holds no real secret values. Reads are found by the readers of [`readers`] (Rust,
//! Python `os.environ`, django-environ, pydantic `BaseSettings`, Node `process.env` and schema
//! validators over it, Go `os.Getenv` and viper, JVM `System.getenv`, Spring placeholders and
//! `@Value`, Ruby `ENV`, C#, PHP, C, Elixir) over the gitignore-aware walk; test files are not
//! read (their variables configure the tests, not the service). A repository whose code reads
//! nothing the readers see, and that holds source in a language without a reader, is not
//! applicable (`skip`): the probe never claims that code it could not read reads nothing.

mod readers;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Artifact, ProbeContext, ProbeIssue};
use crate::outcome::{Location, Measurement, ProbeOutcome, Status};

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
const PLATFORM_PREFIXES: &[&str] = &["CARGO_", "DEP_", "RUSTC_", "GITHUB_", "RUNNER_", "BUNDLE_"];

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

/// Where a variable is read: first place, how many reads, and the reader that found it first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Read {
    pub path: String,
    pub line: u64,
    pub count: u64,
    pub reader: &'static str,
}

fn platform(name: &str) -> bool {
    PLATFORM.contains(&name) || PLATFORM_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// What the readers saw over the repository.
#[derive(Debug, Default, Serialize)]
pub struct Scan {
    /// Variables read, by name.
    pub reads: BTreeMap<String, Read>,
    /// Source files a reader examined, by language.
    pub files: BTreeMap<&'static str, usize>,
    /// Source files in languages without a reader, by language.
    pub unread: BTreeMap<&'static str, usize>,
}

impl Scan {
    pub fn files_read(&self) -> usize {
        self.files.values().sum()
    }
}

/// Variables read by the code under `repo`, and what was (and was not) read.
pub fn scan_reads(repo: &Path, cancel: &std::sync::atomic::AtomicBool) -> Scan {
    let mut tests = globset::GlobSetBuilder::new();
    for g in TEST_GLOBS {
        tests.add(globset::Glob::new(g).expect("constant glob"));
    }
    let tests = tests.build().expect("constant globs");
    let mut scan = Scan::default();
    let mut found: Vec<(String, String, &'static str, u64)> = Vec::new();
    // viper's environment settings may be in another file than its reads.
    let mut viper = readers::ViperConfig::default();
    let mut viper_gets: Vec<(String, String, u64)> = Vec::new();
    let line_of =
        |text: &str, at: usize| text[..at.min(text.len())].matches('\n').count() as u64 + 1;
    for entry in ignore::WalkBuilder::new(repo).build().filter_map(|e| e.ok()) {
        if cancel.load(std::sync::atomic::Ordering::Relaxed) {
            break;
        }
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Some(rel) = crate::text::under_repo(entry.path(), repo) else { continue };
        if tests.is_match(&rel) || entry.metadata().map(|m| m.len() > 2 << 20).unwrap_or(true) {
            continue;
        }
        if let Some(lang) = readers::unread_language(&rel) {
            *scan.unread.entry(lang).or_default() += 1;
            continue;
        }
        let ext = rel.rsplit_once('.').map_or("", |(_, e)| e);
        // Only YAML needs its text to decide (ERB in Rails' config/*.yml).
        let text = if matches!(ext, "yml" | "yaml") {
            match crate::walk::read_regular_string(entry.path()) {
                Ok(t) => Some(t),
                Err(_) => continue,
            }
        } else {
            None
        };
        let Some((lang, which)) =
            readers::readers_for(&rel, || text.as_deref().is_some_and(|t| t.contains("<%")))
        else {
            continue;
        };
        let text = match text {
            Some(t) => t,
            None => match crate::walk::read_regular_string(entry.path()) {
                Ok(t) => t,
                Err(_) => continue,
            },
        };
        *scan.files.entry(lang).or_default() += 1;
        for reader in which {
            for (name, at) in (reader.find)(&text) {
                found.push((name, rel.clone(), reader.name, line_of(&text, at)));
            }
        }
        if ext == "go" {
            let v = readers::viper_file(&text);
            viper.automatic |= v.automatic;
            viper.dots |= v.dots;
            if v.prefix.is_some() {
                viper.prefix = v.prefix;
            }
            for (name, at) in v.bound {
                found.push((name, rel.clone(), readers::VIPER, line_of(&text, at)));
            }
            for (key, at) in v.bind_keys {
                viper_gets.push((key, rel.clone(), line_of(&text, at)));
            }
            if v.automatic {
                for (key, at) in v.gets {
                    viper_gets.push((key, rel.clone(), line_of(&text, at)));
                }
            } else {
                // Kept in case `AutomaticEnv` is called in another file.
                for (key, at) in v.gets {
                    viper_gets.push((format!("\0{key}"), rel.clone(), line_of(&text, at)));
                }
            }
        }
    }
    for (key, rel, line) in viper_gets {
        // `\0`: a `Get` that is a variable only if `AutomaticEnv` is on somewhere.
        let key = match key.strip_prefix('\0') {
            Some(k) if viper.automatic => k.to_string(),
            Some(_) => continue,
            None => key,
        };
        if let Some(name) = viper.variable(&key) {
            found.push((name, rel, readers::VIPER, line));
        }
    }
    for (name, path, reader, line) in found {
        scan.reads.entry(name).and_modify(|r| r.count += 1).or_insert(Read {
            path,
            line,
            count: 1,
            reader,
        });
    }
    scan
}

/// Names an example file declares (`KEY=…`, `export KEY=…`, or commented out `# KEY=…`).
pub fn documented(text: &str) -> BTreeSet<String> {
    let re = Regex::new(r"^\s*(?:#\s*)?(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")
        .expect("constant regex");
    text.lines().filter_map(|l| re.captures(l).map(|c| c[1].to_string())).collect()
}

super::validated_kind!("env");

fn run(spec: &Spec, ctx: &ProbeContext) -> ProbeOutcome {
    let rel = spec.example.clone().unwrap_or_else(|| {
        EXAMPLE_NAMES
            .iter()
            .find(|n| ctx.repo.join(n).is_file())
            .unwrap_or(&EXAMPLE_NAMES[0])
            .to_string()
    });
    let scan = scan_reads(ctx.repo, ctx.cancel);
    let reads = &scan.reads;
    if ctx.cancelled() {
        return ProbeOutcome::error("interrupted");
    }
    let relevant: BTreeMap<&String, &Read> = reads
        .iter()
        .filter(|(n, _)| !platform(n) && !spec.ignore.iter().any(|i| i == *n))
        .collect();
    let path = ctx.resolve(&rel);
    let text = match crate::walk::read_regular(&path) {
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
    // What was examined, for every reason: "14 read in 3 of 120 file(s) (Ruby ENV[]/ENV.fetch)".
    let read_in: BTreeSet<&str> = relevant.values().map(|r| r.path.as_str()).collect();
    let by: BTreeSet<&str> = relevant.values().map(|r| r.reader).collect();
    let unread = scan
        .unread
        .iter()
        .map(|(l, n)| format!("{l} ({n} file(s))"))
        .collect::<Vec<_>>()
        .join(", ");
    let examined = format!(
        "{} read in {} of {} file(s) examined{}{}",
        relevant.len(),
        read_in.len(),
        scan.files_read(),
        if by.is_empty() {
            String::new()
        } else {
            format!(", by {}", by.iter().copied().collect::<Vec<_>>().join(", "))
        },
        if unread.is_empty() { String::new() } else { format!("; not read: {unread}") }
    );
    let languages = scan.files.keys().copied().collect::<Vec<_>>().join(", ");
    let mut out = if text.is_none() && !relevant.is_empty() {
        ProbeOutcome::fail(format!(
            "the code reads {} environment variable(s) ({}) but there is no {rel}; document each with a placeholder value ({examined})",
            relevant.len(),
            names(&undocumented)
        ))
    } else if !undocumented.is_empty() {
        ProbeOutcome::fail(format!(
            "{} of {} environment variable(s) read by the code are not in {rel}: {} ({examined})",
            undocumented.len(),
            relevant.len(),
            names(&undocumented)
        ))
    } else if secrets > 0 {
        ProbeOutcome::fail(format!(
            "{rel} holds {secrets} value(s) that look like real secrets; replace them with placeholders and rotate them"
        ))
    } else if relevant.is_empty() && !scan.unread.is_empty() {
        ProbeOutcome::new(
            Status::Skip,
            format!(
                "not applicable: no environment variable read in the {} file(s) it can read{}, and the code is also in {unread}, which it has no reader for",
                scan.files_read(),
                if languages.is_empty() { String::new() } else { format!(" ({languages})") }
            ),
        )
    } else if relevant.is_empty() && scan.files_read() == 0 {
        ProbeOutcome::new(
            Status::Skip,
            "not applicable: no source file in a language it reads (Rust, Python, JavaScript/TypeScript, Go, JVM, Ruby, C#, PHP, C/C++, Elixir)",
        )
    } else if relevant.is_empty() {
        ProbeOutcome::pass(format!(
            "the code reads no environment variables: {} file(s) examined ({languages})",
            scan.files_read()
        ))
    } else {
        ProbeOutcome::pass(format!(
            "all {} environment variable(s) read by the code are documented in {rel} ({examined})",
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
    out.measurements.push(Measurement::new("files_examined", scan.files_read() as f64, "count"));
    let summary = serde_json::json!({
        "example": rel,
        "example_exists": text.is_some(),
        "reads": reads,
        "files_examined": scan.files,
        "not_read": scan.unread,
        "documented": docs,
        "undocumented": undocumented.iter().map(|(n, _)| n).collect::<Vec<_>>(),
    });
    out.locations = locations;
    out.with_artifact(Artifact::json("summary.json", &summary))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let reads = scan_reads(d.path(), &std::sync::atomic::AtomicBool::new(false)).reads;
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
    fn reads_through_framework_idioms_and_says_what_it_examined() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "src/main/resources/application-mysql.properties",
            "spring.datasource.url=${MYSQL_URL:jdbc:mysql://localhost/petclinic}\n",
        );
        write(
            d.path(),
            "src/main/java/App.java",
            "class App { String k = System.getenv(\"API_KEY\"); }\n",
        );
        write(d.path(), "config/environments/production.rb", "x = ENV['RAILS_LOG_LEVEL']\n");
        write(
            d.path(),
            "config/secrets.yml",
            "production:\n  secret_key_base: <%= ENV[\"SECRET_KEY_BASE\"] %>\n",
        );
        write(d.path(), "docker-compose.yml", "services: {db: {image: \"${PG_IMAGE}\"}}\n");
        write(
            d.path(),
            ".env.example",
            "MYSQL_URL=\nAPI_KEY=\nRAILS_LOG_LEVEL=info\nSECRET_KEY_BASE=changeme\n",
        );
        let o = run_in(d.path(), &Spec::default());
        assert_eq!(o.status, Status::Pass, "{}", o.reason);
        assert!(
            o.reason.contains("all 4 environment variable(s)")
                && o.reason.contains("4 read in 4 of 4 file(s) examined")
                && o.reason.contains("Ruby ENV[]/ENV.fetch")
                && o.reason.contains("Spring ${VAR} placeholders"),
            "{}",
            o.reason
        );
        std::fs::write(d.path().join(".env.example"), "MYSQL_URL=\n").unwrap();
        let o = run_in(d.path(), &Spec::default());
        assert_eq!(o.status, Status::Fail, "{}", o.reason);
        assert!(o.reason.starts_with("3 of 4 environment variable(s)"), "{}", o.reason);
    }

    #[test]
    fn code_it_cannot_read_is_not_applicable_never_reads_none() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "Sources/App/main.swift",
            "let p = ProcessInfo.processInfo.environment[\"PORT\"]\n",
        );
        write(d.path(), "scripts/build.py", "print('hello')\n");
        let o = run_in(d.path(), &Spec::default());
        assert_eq!(o.status, Status::Skip, "{}", o.reason);
        assert!(
            o.reason.contains("Swift (1 file(s))")
                && o.reason.contains("1 file(s) it can read (Python)"),
            "{}",
            o.reason
        );
        // Nothing it reads at all: not applicable either.
        std::fs::remove_file(d.path().join("scripts/build.py")).unwrap();
        std::fs::remove_file(d.path().join("Sources/App/main.swift")).unwrap();
        write(d.path(), "README.md", "docs\n");
        let o = run_in(d.path(), &Spec::default());
        assert_eq!(o.status, Status::Skip, "{}", o.reason);
        // Code it reads that reads nothing: a pass that counts what it examined.
        write(d.path(), "main.go", "package main\nfunc main() {}\n");
        let o = run_in(d.path(), &Spec::default());
        assert_eq!(o.status, Status::Pass, "{}", o.reason);
        assert_eq!(o.reason, "the code reads no environment variables: 1 file(s) examined (Go)");
    }

    #[test]
    fn bad_ignore_name_is_a_spec_issue() {
        assert_eq!(
            validate(&Spec { ignore: vec!["A B".into()], ..Spec::default() })[0].field,
            "ignore[0]"
        );
    }
}
