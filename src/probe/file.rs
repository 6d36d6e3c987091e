//! `file`: files exist (or not), their count, size, content, structure and freshness.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::matcher::Matcher;
use super::{ProbeContext, ProbeIssue};
use crate::duration::{DurationSpec, format_duration};
use crate::outcome::{Location, Measurement, ProbeOutcome};

/// Check files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "FileProbe")]
pub struct Spec {
    /// A path relative to the repository, or a glob (`docs/**/*.md`, `{LICENSE,LICENSE.*}`).
    pub path: String,
    /// `true` (default): the path must exist; `false`: it must not.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub exists: bool,
    /// With a glob: at least this many files must match (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_count: Option<usize>,
    /// Every matched file has at least this many bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_bytes: Option<u64>,
    /// Every matched file has at least this many lines (a `path:line` reference is still there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_lines: Option<u64>,
    /// Every matched file contains each of these substrings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contains: Vec<String>,
    /// No matched file contains any of these substrings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_contains: Vec<String>,
    /// Every matched file has a match for each of these regular expressions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regex: Vec<String>,
    /// No matched file has a match for any of these regular expressions (`(?m)^DEBUG\s*=\s*True`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_regex: Vec<String>,
    /// Every matched file parses in this format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parses: Option<DataFormat>,
    /// Values by JSON Pointer (`/tool/name`) that the parsed document must have (needs `parses`,
    /// or a `.json` / `.yaml` / `.yml` / `.toml` file): a bare value (equals) or a map of
    /// operators (`min`, `regex`, `one_of`, `exists`…); see "Matchers".
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub json: BTreeMap<String, Matcher>,
    /// Every matched file was modified within this duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<DurationSpec>,
}

fn yes() -> bool {
    true
}
fn is_true(b: &bool) -> bool {
    *b
}

/// A structured data format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DataFormat {
    Json,
    Yaml,
    Toml,
}

impl DataFormat {
    fn from_path(p: &Path) -> Option<DataFormat> {
        match p.extension()?.to_str()? {
            "json" => Some(DataFormat::Json),
            "yaml" | "yml" => Some(DataFormat::Yaml),
            "toml" => Some(DataFormat::Toml),
            _ => None,
        }
    }
}

/// Largest file whose content is read for content checks.
const MAX_CONTENT_BYTES: u64 = 64 << 20;

pub fn validate(spec: &Spec) -> Vec<ProbeIssue> {
    check_static(spec).0
}

/// The problems in the spec, and its `regex` and `not_regex` compiled.
fn check_static(spec: &Spec) -> (Vec<ProbeIssue>, [Vec<regex::Regex>; 2]) {
    let mut issues = Vec::new();
    if let Err(e) = globset::Glob::new(&spec.path) {
        issues.push(ProbeIssue::new("path", format!("invalid glob `{}`: {e}", spec.path)));
    }
    let mut compiled: [Vec<regex::Regex>; 2] = Default::default();
    for ((field, patterns), out) in
        [("regex", &spec.regex), ("not_regex", &spec.not_regex)].into_iter().zip(&mut compiled)
    {
        for (i, re) in patterns.iter().enumerate() {
            match regex::Regex::new(re) {
                Ok(r) => out.push(r),
                Err(err) => issues
                    .push(ProbeIssue::new(format!("{field}[{i}]"), super::regex_error(re, &err))),
            }
        }
    }
    for (pointer, m) in &spec.json {
        issues.extend(m.validate(&format!("json.{pointer}")));
        if !pointer.is_empty() && !pointer.starts_with('/') {
            issues.push(
                ProbeIssue::new(
                    format!("json.{pointer}"),
                    format!("`{pointer}` is not a JSON Pointer"),
                )
                .hint(format!("JSON Pointers start with `/`, e.g. `/{pointer}`")),
            );
        }
    }
    if !spec.exists
        && (spec.min_bytes.is_some()
            || spec.min_lines.is_some()
            || !spec.contains.is_empty()
            || spec.parses.is_some())
    {
        issues.push(ProbeIssue::new("exists", "content checks need `exists: true`"));
    }
    (issues, compiled)
}

fn is_glob(path: &str) -> bool {
    path.contains(['*', '?', '[', '{'])
}

/// The files the spec names: the path itself, or the glob's matches (gitignore is not applied:
/// a committed file is a file).
fn matching_files(spec: &Spec, ctx: &ProbeContext) -> Result<Vec<PathBuf>, String> {
    if !is_glob(&spec.path) {
        let p = ctx.resolve(&spec.path);
        return Ok(if p.exists() { vec![p] } else { vec![] });
    }
    let glob = globset::GlobBuilder::new(&spec.path)
        .literal_separator(true)
        .build()
        .map_err(|e| e.to_string())?
        .compile_matcher();
    let mut found = Vec::new();
    let walker =
        walkdir::WalkDir::new(ctx.repo).follow_links(false).into_iter().filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            !(e.depth() > 0
                && e.file_type().is_dir()
                && (name == ".git"
                    || name == ".readyctl"
                    || name == "node_modules"
                    || name == "target"))
        });
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            // Removed while walking (another check's temporary file): not there, not an error.
            Err(e) if e.io_error().is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound) => {
                continue;
            }
            Err(e) => return Err(e.to_string()),
        };
        if let Ok(rel) = entry.path().strip_prefix(ctx.repo)
            && !rel.as_os_str().is_empty()
            && glob.is_match(rel)
        {
            found.push(entry.path().to_path_buf());
        }
        if ctx.cancelled() {
            return Err("interrupted".into());
        }
    }
    found.sort();
    Ok(found)
}

/// A `file` spec compiled: its regexes ready.
#[derive(Debug, Clone)]
pub struct Compiled {
    spec: Spec,
    /// `regex`, then `not_regex`, compiled.
    regexes: [Vec<regex::Regex>; 2],
}

/// Validates the spec and prepares what `run` uses.
fn compile(spec: Spec) -> Result<Compiled, Vec<ProbeIssue>> {
    match check_static(&spec) {
        (issues, regexes) if issues.is_empty() => Ok(Compiled { spec, regexes }),
        (issues, _) => Err(issues),
    }
}

super::compiled_kind!("file");

fn run(compiled: &Compiled, ctx: &ProbeContext) -> ProbeOutcome {
    let Compiled { spec, regexes: [regex, not_regex] } = compiled;
    let files = match matching_files(spec, ctx) {
        Ok(f) => f,
        Err(e) => return ProbeOutcome::error(format!("cannot list `{}`: {e}", spec.path)),
    };
    let count = files.len();
    let rel = |p: &Path| p.strip_prefix(ctx.repo).unwrap_or(p).display().to_string();
    let count_m = Measurement::new("files", count as f64, "count");
    if !spec.exists {
        return if files.is_empty() {
            ProbeOutcome::pass(format!("`{}` does not exist", spec.path)).with_measurement(count_m)
        } else {
            let mut o = ProbeOutcome::fail(format!(
                "`{}` exists but must not ({})",
                spec.path,
                list(&files, &rel)
            ))
            .with_measurement(count_m);
            o.locations = files
                .iter()
                .map(|f| Location {
                    path: rel(f),
                    line: None,
                    column: None,
                    message: Some("must not exist".into()),
                    rule: None,
                })
                .collect();
            o
        };
    }
    let min_count = spec.min_count.unwrap_or(1);
    if count < min_count {
        let what = if is_glob(&spec.path) {
            format!(
                "`{}` matches {count} file{} (need at least {min_count})",
                spec.path,
                crate::diag::plural(count)
            )
        } else {
            format!("`{}` does not exist", spec.path)
        };
        return ProbeOutcome::fail(what)
            .with_measurement(count_m.with_threshold(format!(">= {min_count}")));
    }
    let mut problems = Vec::new();
    let mut locations = Vec::new();
    let now = SystemTime::now();
    for f in &files {
        let meta = match std::fs::metadata(f) {
            Ok(m) => m,
            Err(e) => return ProbeOutcome::error(format!("cannot read `{}`: {e}", rel(f))),
        };
        if let Some(min) = spec.min_bytes
            && meta.len() < min
        {
            problems.push(format!("`{}` has {} bytes (min {min})", rel(f), meta.len()));
        }
        if let Some(max_age) = spec.max_age {
            let age =
                meta.modified().ok().and_then(|m| now.duration_since(m).ok()).unwrap_or_default();
            if age > max_age.0 {
                problems.push(format!(
                    "`{}` is {} old (max {max_age})",
                    rel(f),
                    format_duration(std::time::Duration::from_secs(age.as_secs()))
                ));
            }
        }
        let format = spec
            .parses
            .or_else(|| (!spec.json.is_empty()).then(|| DataFormat::from_path(f)).flatten());
        let needs_content = !spec.contains.is_empty()
            || !spec.not_contains.is_empty()
            || !spec.regex.is_empty()
            || !spec.not_regex.is_empty()
            || spec.min_lines.is_some()
            || format.is_some();
        if !needs_content || meta.is_dir() {
            continue;
        }
        if meta.len() > MAX_CONTENT_BYTES {
            return ProbeOutcome::error(format!(
                "`{}` is {} bytes, larger than the {} MiB content-check limit",
                rel(f),
                meta.len(),
                MAX_CONTENT_BYTES >> 20
            ));
        }
        let text = match crate::walk::read_regular(f) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => return ProbeOutcome::error(format!("cannot read `{}`: {e}", rel(f))),
        };
        if let Some(min) = spec.min_lines {
            let lines = text.lines().count() as u64;
            if lines < min {
                problems.push(format!("`{}` has {lines} lines (min {min})", rel(f)));
            }
        }
        for s in &spec.contains {
            if !text.contains(s.as_str()) {
                problems.push(format!("`{}` does not contain `{s}`", rel(f)));
            }
        }
        for s in &spec.not_contains {
            if let Some(pos) = text.find(s.as_str()) {
                let line = text[..pos].matches('\n').count() as u64 + 1;
                problems.push(format!("`{}:{line}` contains `{s}`", rel(f)));
                locations.push(Location {
                    path: rel(f),
                    line: Some(line),
                    column: None,
                    message: Some(format!("contains `{s}`")),
                    rule: None,
                });
            }
        }
        for (re, r) in spec.regex.iter().zip(regex) {
            if !r.is_match(&text) {
                problems.push(format!("`{}` has no match for /{re}/", rel(f)));
            }
        }
        for (re, r) in spec.not_regex.iter().zip(not_regex) {
            if let Some(m) = r.find(&text) {
                let line = text[..m.start()].matches('\n').count() as u64 + 1;
                let found: String = m.as_str().trim().chars().take(80).collect();
                problems.push(format!("`{}:{line}` has `{found}` (matches /{re}/)", rel(f)));
                locations.push(Location {
                    path: rel(f),
                    line: Some(line),
                    column: None,
                    message: Some(format!("matches /{re}/")),
                    rule: None,
                });
            }
        }
        if let Some(format) = format {
            match parse(&text, format) {
                Err(e) => problems.push(
                    format!("`{}` is not valid {format:?}: {e}", rel(f))
                        .replace("Json", "JSON")
                        .replace("Yaml", "YAML")
                        .replace("Toml", "TOML"),
                ),
                Ok(doc) => {
                    for (pointer, expected) in &spec.json {
                        let found = doc.pointer(pointer);
                        if found.is_none() && expected.exists != Some(false) {
                            problems.push(format!("`{}` has no value at `{pointer}`", rel(f)));
                        } else if let Err(why) = expected.check_present(found) {
                            problems.push(format!("`{}`: {pointer} {why}", rel(f)));
                        }
                    }
                }
            }
        }
    }
    let mut outcome = if problems.is_empty() {
        let what = if is_glob(&spec.path) {
            format!("{count} file{} match `{}`", crate::diag::plural(count), spec.path)
        } else {
            format!("`{}` exists", spec.path)
        };
        let extra = if spec.contains.is_empty()
            && spec.regex.is_empty()
            && spec.not_regex.is_empty()
            && spec.json.is_empty()
            && spec.parses.is_none()
        {
            ""
        } else {
            " and its content checks hold"
        };
        ProbeOutcome::pass(format!("{what}{extra}"))
    } else {
        let more = crate::text::more(problems.len(), 3, crate::text::More::Plus);
        ProbeOutcome::fail(format!("{}{more}", problems[..problems.len().min(3)].join("; ")))
    };
    outcome.measurements.push(count_m);
    outcome.locations = locations;
    outcome
}

fn parse(text: &str, format: DataFormat) -> Result<serde_json::Value, String> {
    match format {
        DataFormat::Json => serde_json::from_str(text).map_err(|e| e.to_string()),
        DataFormat::Yaml => serde_yaml::from_str(text).map_err(|e| e.to_string()),
        DataFormat::Toml => toml::from_str::<toml::Value>(text)
            .map_err(|e| e.message().to_string())
            .and_then(|v| serde_json::to_value(v).map_err(|e| e.to_string())),
    }
}

fn list(files: &[PathBuf], rel: &dyn Fn(&Path) -> String) -> String {
    let mut names: Vec<String> = files.iter().take(3).map(|f| rel(f)).collect();
    if files.len() > 3 {
        names.push(format!("+{} more", files.len() - 3));
    }
    names.join(", ")
}

#[cfg(test)]
mod unit {
    use super::*;
    use crate::outcome::Status;
    use crate::probe::context::testing::{run_probe, write};

    #[test]
    fn not_regex_fails_on_a_match_and_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "config/production.py", "import os\nDEBUG = False\nDEBUG = True\n");
        let spec: Spec = serde_yaml::from_str(
            "path: config/production.py\nregex: ['(?m)^DEBUG = False']\nnot_regex: ['(?m)^DEBUG\\s*=\\s*True']\n",
        )
        .unwrap();
        let out = run_probe(dir.path(), "t", |ctx| crate::probe::run_spec::<Kind>(&spec, ctx));
        assert_eq!(out.status, Status::Fail, "{}", out.reason);
        assert!(out.reason.contains("config/production.py:3"), "{}", out.reason);
        write(dir.path(), "config/production.py", "DEBUG = False\n");
        let out = run_probe(dir.path(), "t", |ctx| crate::probe::run_spec::<Kind>(&spec, ctx));
        assert_eq!(out.status, Status::Pass, "{}", out.reason);
        assert!(out.reason.contains("content checks hold"), "{}", out.reason);
        let bad: Spec = serde_yaml::from_str("path: a\nnot_regex: ['(']\n").unwrap();
        assert!(validate(&bad).iter().any(|i| i.field == "not_regex[0]"));
    }
}
