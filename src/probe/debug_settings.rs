//! `debug_settings`: Python debug mode switched on in settings that ship.
//!
//! A bare search for `DEBUG = True` flags development and test settings (`settings/dev.py`,
//! `test_settings.py`, Flask `class DevelopmentConfig`), which never reach production. This
//! probe looks only at production and base settings: files and classes named for
//! development, local, test or CI use, and directories named `tests`, are left out. A
//! `DEBUG = True` in base settings is overridden when a production settings file (or a
//! production config class) sets `DEBUG = False` or reads it from the environment.

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ProbeContext, ProbeIssue};
use crate::outcome::{Location, Measurement, ProbeOutcome, Status};

/// `debug_settings: {}` in a checklist.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "DebugSettingsProbe")]
pub struct Spec {
    /// Skip files matching these globs (relative to the repository), besides the
    /// development/test settings that are always left out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
}

pub fn validate(spec: &Spec) -> Vec<ProbeIssue> {
    let mut issues = Vec::new();
    for (i, g) in spec.exclude.iter().enumerate() {
        if let Err(e) = globset::Glob::new(g) {
            issues
                .push(ProbeIssue::new(format!("exclude[{i}]"), format!("invalid glob `{g}`: {e}")));
        }
    }
    issues
}

static DEBUG_TRUE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*DEBUG\s*=\s*True\b").expect("regex"));
static APP_RUN_DEBUG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"app\.run\([^)]*debug\s*=\s*True").expect("regex"));
static DEBUG_OFF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*DEBUG\s*=\s*(False\b|.*(environ|getenv|env\(|env\.bool|config\())")
        .expect("regex")
});
static CLASS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\s*)class\s+([A-Za-z_][A-Za-z0-9_]*)").expect("regex"));

const NON_PROD_WORDS: &[&str] = &["dev", "development", "local", "test", "tests", "testing", "ci"];
const PROD_WORDS: &[&str] = &["prod", "production"];

/// Lower-case words of a file stem or class name: `test_settings` → [test, settings],
/// `DevelopmentConfig` → [development, config], `CIConfig` → [ci, config].
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let boundary = c.is_ascii_uppercase()
            && !cur.is_empty()
            && (chars[i - 1].is_ascii_lowercase()
                || chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase()));
        if boundary {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn has_word(name: &str, set: &[&str]) -> bool {
    words(name).iter().any(|w| set.contains(&w.as_str()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Development/test settings: not examined.
    NonProd,
    Production,
    /// Base or shared settings a production deployment may inherit.
    Base,
}

fn file_role(rel: &str) -> Role {
    let path = Path::new(rel);
    let in_tests_dir = path.parent().is_some_and(|p| {
        p.components().any(|c| matches!(c.as_os_str().to_str(), Some("tests" | "test")))
    });
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    if in_tests_dir || has_word(stem, NON_PROD_WORDS) {
        Role::NonProd
    } else if has_word(stem, PROD_WORDS) {
        Role::Production
    } else {
        Role::Base
    }
}

#[derive(Debug, Default)]
struct Scan {
    /// (path, line, text, in a production file or class)
    on: Vec<(String, u64, String, bool)>,
    /// Production settings that switch DEBUG off or read it from the environment.
    off: Vec<(String, u64)>,
    examined: Vec<String>,
    excluded: Vec<String>,
}

fn scan_file(rel: &str, text: &str, scan: &mut Scan) {
    let role = file_role(rel);
    if role == Role::NonProd {
        if DEBUG_TRUE.is_match(text) || text.lines().any(|l| DEBUG_TRUE.is_match(l)) {
            scan.excluded.push(rel.to_string());
        }
        return;
    }
    let mut examined = false;
    // The enclosing class: (indent, role).
    let mut class: Option<(usize, Role)> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        if class.is_some_and(|(ci, _)| indent <= ci) {
            class = None;
        }
        if let Some(c) = CLASS.captures(line) {
            let name = &c[2];
            let r = if has_word(name, NON_PROD_WORDS) {
                Role::NonProd
            } else if has_word(name, PROD_WORDS) {
                Role::Production
            } else {
                Role::Base
            };
            class = Some((c[1].len(), r));
            continue;
        }
        let effective = match class {
            Some((_, Role::NonProd)) => {
                if DEBUG_TRUE.is_match(line) {
                    scan.excluded.push(format!("{rel}:{} (class)", i + 1));
                }
                continue;
            }
            Some((_, Role::Production)) => Role::Production,
            _ => role,
        };
        let n = (i + 1) as u64;
        if DEBUG_TRUE.is_match(line) || APP_RUN_DEBUG.is_match(line) {
            examined = true;
            scan.on.push((
                rel.to_string(),
                n,
                line.trim().to_string(),
                effective == Role::Production,
            ));
        } else if DEBUG_OFF.is_match(line) {
            examined = true;
            if effective == Role::Production {
                scan.off.push((rel.to_string(), n));
            }
        }
    }
    let settings_like = {
        let stem = Path::new(rel).file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        has_word(stem, &["settings", "config", "base", "prod", "production", "common"])
    };
    if examined || settings_like {
        scan.examined.push(rel.to_string());
    }
}

fn list(v: &[String]) -> String {
    crate::text::first_few(v, 6, crate::text::More::And)
}

/// The verdict from a scan (separate from the walk for tests).
fn verdict(scan: &Scan, python_files: usize) -> ProbeOutcome {
    if python_files == 0 {
        return ProbeOutcome::new(Status::Skip, "no Python files: nothing to examine");
    }
    let excluded = if scan.excluded.is_empty() {
        String::new()
    } else {
        format!("; left out as development/test settings: {}", list(&scan.excluded))
    };
    let examined = if scan.examined.is_empty() {
        "no settings module found".to_string()
    } else {
        format!("examined {}", list(&scan.examined))
    };
    let off = scan.off.first().map(|(p, l)| format!("{p}:{l}"));
    // A DEBUG = True in base settings is overridden by a production module that switches it off;
    // one in production settings, or an `app.run(debug=True)`, is not.
    let blocking: Vec<&(String, u64, String, bool)> = scan
        .on
        .iter()
        .filter(|(_, _, text, prod)| *prod || off.is_none() || APP_RUN_DEBUG.is_match(text))
        .collect();
    let overridden = scan.on.len() - blocking.len();
    let mut out = if let Some((p, l, text, _)) = blocking.first() {
        ProbeOutcome::fail(format!(
            "debug mode on in settings that ship: {} match(es), first {p}:{l} `{text}`{}; {examined}{excluded}",
            blocking.len(),
            match &off {
                Some(o) if overridden == 0 => format!(" (production sets it off at {o})"),
                _ => String::new(),
            }
        ))
    } else if overridden > 0 {
        let (p, l, _, _) = &scan.on[0];
        ProbeOutcome::pass(format!(
            "DEBUG = True at {p}:{l} is overridden by production settings {} (DEBUG off or from the environment); {examined}{excluded}",
            off.unwrap_or_default()
        ))
    } else {
        ProbeOutcome::pass(format!(
            "no DEBUG = True in production or base settings; {examined}{excluded}"
        ))
    };
    out.measurements
        .push(Measurement::new("debug_on", blocking.len() as f64, "count").with_threshold("<= 0"));
    out.measurements.push(Measurement::new("python_files", python_files as f64, "count"));
    for (p, l, text, _) in &blocking {
        out.locations.push(Location {
            path: p.clone(),
            line: Some(*l),
            column: None,
            message: Some(format!("debug mode on: `{text}`")),
            rule: None,
        });
    }
    out
}

super::validated_kind!("debug_settings");

fn run(spec: &Spec, ctx: &ProbeContext<'_>) -> ProbeOutcome {
    match examine(ctx.repo, spec) {
        Ok(o) => o,
        Err(e) => ProbeOutcome::error(e),
    }
}

fn examine(repo: &Path, spec: &Spec) -> Result<ProbeOutcome, String> {
    let mut overrides = ignore::overrides::OverrideBuilder::new(repo);
    overrides.add("*.py").map_err(|e| e.to_string())?;
    for g in &spec.exclude {
        overrides.add(&format!("!{g}")).map_err(|e| e.to_string())?;
    }
    overrides.add("!.readyctl/").map_err(|e| e.to_string())?;
    let overrides = overrides.build().map_err(|e| e.to_string())?;
    let walker = ignore::WalkBuilder::new(repo)
        .filter_entry(|e| {
            !matches!(
                e.file_name().to_str(),
                Some(".git" | "node_modules" | "site-packages" | ".venv" | "venv")
            )
        })
        .overrides(overrides)
        .build();
    let mut scan = Scan::default();
    let mut files = 0;
    let mut paths = Vec::new();
    for entry in walker.flatten() {
        if entry.file_type().is_some_and(|t| t.is_file()) {
            paths.push(entry.into_path());
        }
    }
    paths.sort();
    for path in paths {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        files += 1;
        let rel = crate::text::repo_relative(&path, repo);
        scan_file(&rel, &text, &mut scan);
    }
    Ok(verdict(&scan, files))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (p, text) in files {
            let path = d.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        d
    }

    fn check(files: &[(&str, &str)]) -> ProbeOutcome {
        let d = repo(files);
        examine(d.path(), &Spec::default()).unwrap()
    }

    #[test]
    fn words_split_names() {
        assert_eq!(words("DevelopmentConfig"), ["development", "config"]);
        assert_eq!(words("CIConfig"), ["ci", "config"]);
        assert_eq!(words("test_settings"), ["test", "settings"]);
        assert!(!has_word("devices", NON_PROD_WORDS));
    }

    #[test]
    fn django_dev_and_test_settings_are_left_out_and_production_overrides_base() {
        let o = check(&[
            ("app/settings/base.py", "SECRET_KEY = 'x'\nDEBUG = True\n"),
            ("app/settings/dev.py", "from .base import *\nDEBUG = True\n"),
            ("app/settings/test.py", "DEBUG = True\n"),
            ("config/settings/local.py", "DEBUG = True\n"),
            ("test_settings.py", "DEBUG = True\n"),
            ("app/settings/production.py", "from .base import *\nDEBUG = False\n"),
        ]);
        assert_eq!(o.status, Status::Pass, "{}", o.reason);
        assert!(o.reason.contains("app/settings/base.py:2"), "{}", o.reason);
        assert!(o.reason.contains("app/settings/production.py:2"), "{}", o.reason);
        assert!(o.reason.contains("app/settings/dev.py"), "{}", o.reason);
    }

    #[test]
    fn base_debug_without_a_production_override_fails() {
        let o = check(&[
            ("app/settings/base.py", "DEBUG = True\n"),
            ("app/settings/dev.py", "DEBUG = True\n"),
        ]);
        assert_eq!(o.status, Status::Fail, "{}", o.reason);
        assert_eq!(o.locations.len(), 1);
        assert_eq!(o.locations[0].path, "app/settings/base.py");
    }

    #[test]
    fn production_settings_with_debug_on_fail_even_with_an_environment_read_elsewhere() {
        let o = check(&[
            ("settings/production.py", "DEBUG = True\n"),
            ("settings/base.py", "DEBUG = os.environ.get('DEBUG') == '1'\n"),
        ]);
        assert_eq!(o.status, Status::Fail, "{}", o.reason);
        assert_eq!(o.locations[0].path, "settings/production.py");
    }

    #[test]
    fn flask_config_classes() {
        let cfg = "import os\n\nclass Config:\n    SECRET_KEY = 'x'\n\nclass ProdConfig(Config):\n    ENV = 'prod'\n    DEBUG = False\n\nclass DevConfig(Config):\n    DEBUG = True\n\nclass TestingConfig(Config):\n    TESTING = True\n    DEBUG = True\n";
        let o = check(&[("conduit/settings.py", cfg)]);
        assert_eq!(o.status, Status::Pass, "{}", o.reason);
        assert!(o.reason.contains("conduit/settings.py"), "{}", o.reason);
        // DEBUG = True in the base class that ProdConfig inherits without an override blocks.
        let bad = cfg
            .replace("    SECRET_KEY = 'x'\n", "    SECRET_KEY = 'x'\n    DEBUG = True\n")
            .replace("    DEBUG = False\n", "");
        let o = check(&[("conduit/settings.py", &bad)]);
        assert_eq!(o.status, Status::Fail, "{}", o.reason);
        assert_eq!(o.locations.len(), 1, "{:?}", o.locations);
        assert_eq!(o.locations[0].line, Some(5));
    }

    #[test]
    fn production_debug_from_environment_overrides_base() {
        let o = check(&[
            ("proj/settings.py", "DEBUG = True\n"),
            ("proj/settings_production.py", "DEBUG = env.bool('DEBUG', default=False)\n"),
        ]);
        assert_eq!(o.status, Status::Pass, "{}", o.reason);
    }

    #[test]
    fn app_run_debug_blocks_and_tests_dirs_are_left_out() {
        let o = check(&[
            ("app.py", "if __name__ == '__main__':\n    app.run(host='0.0.0.0', debug=True)\n"),
            ("tests/conftest.py", "DEBUG = True\n"),
        ]);
        assert_eq!(o.status, Status::Fail, "{}", o.reason);
        assert_eq!(o.locations.len(), 1);
        assert_eq!(o.locations[0].path, "app.py");
        let o = check(&[("tests/settings.py", "DEBUG = True\n"), ("main.py", "print(1)\n")]);
        assert_eq!(o.status, Status::Pass, "{}", o.reason);
        assert!(o.reason.contains("tests/settings.py"), "{}", o.reason);
    }

    #[test]
    fn no_python_is_skip() {
        let o = check(&[("README.md", "DEBUG = True\n")]);
        assert_eq!(o.status, Status::Skip, "{}", o.reason);
    }
}
