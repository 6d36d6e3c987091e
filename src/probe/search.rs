//! `search`: a repository-wide regex search, gitignore-aware, in parallel — ripgrep's own
//! walker (`ignore`, through the shared `crate::walk`) and searcher (`grep-searcher`), so it
//! honours the same ignore rules and skips binary files the same way.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use grep_regex::{RegexMatcher, RegexMatcherBuilder};
use grep_searcher::sinks::UTF8;
use grep_searcher::{BinaryDetection, SearcherBuilder};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Artifact;
use super::{ProbeContext, ProbeIssue};
use crate::outcome::{Location, Measurement, ProbeOutcome};

/// Search the repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SearchProbe")]
pub struct Spec {
    /// Regular expression (Rust `regex` syntax, as in ripgrep), matched per line.
    pub pattern: String,
    /// `none` (default), `some`, or a minimum number of matching lines.
    #[serde(default, skip_serializing_if = "Expect::is_none")]
    pub expect: Expect,
    /// Only files matching these globs (relative to the repository), e.g. `src/**/*.py`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// Skip files matching these globs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// Match case-insensitively.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ignore_case: bool,
    /// Also search hidden files and directories (`.env`, `.github/`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
    /// Also search files that `.gitignore` excludes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_ignore: bool,
}

/// What the search must find.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, JsonSchema)]
#[schemars(untagged)]
#[schemars(rename = "SearchExpect")]
pub enum Expect {
    /// No match (for forbidden patterns).
    #[default]
    #[schemars(with = "NoneWord")]
    None,
    /// At least one match.
    #[schemars(with = "SomeWord")]
    Some,
    /// At least this many matching lines.
    AtLeast(u64),
}

#[derive(JsonSchema)]
#[expect(dead_code, reason = "schema only")]
enum NoneWord {
    #[serde(rename = "none")]
    None,
}
#[derive(JsonSchema)]
#[expect(dead_code, reason = "schema only")]
enum SomeWord {
    #[serde(rename = "some")]
    Some,
}

impl Expect {
    fn is_none(&self) -> bool {
        *self == Expect::None
    }
}

impl Serialize for Expect {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Expect::None => s.serialize_str("none"),
            Expect::Some => s.serialize_str("some"),
            Expect::AtLeast(n) => s.serialize_u64(*n),
        }
    }
}

impl<'de> Deserialize<'de> for Expect {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Expect;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("`none`, `some`, or a minimum number of matches")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Expect, E> {
                match v {
                    "none" => Ok(Expect::None),
                    "some" => Ok(Expect::Some),
                    other => Err(E::custom(format!(
                        "unknown value `{other}`, expected `none`, `some`, or a number"
                    ))),
                }
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Expect, E> {
                Ok(Expect::AtLeast(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Expect, E> {
                u64::try_from(v)
                    .map(Expect::AtLeast)
                    .map_err(|_| E::custom("a match count cannot be negative"))
            }
        }
        d.deserialize_any(V)
    }
}

/// Locations kept in the result (the count is always exact).
const MAX_LOCATIONS: usize = 100;

pub fn validate(spec: &Spec) -> Vec<ProbeIssue> {
    let mut issues = Vec::new();
    if let Err(err) = regex::Regex::new(&spec.pattern) {
        issues.push(ProbeIssue::new("pattern", super::regex_error(&spec.pattern, &err)));
    }
    for (field, globs) in [("paths", &spec.paths), ("exclude", &spec.exclude)] {
        for (i, g) in globs.iter().enumerate() {
            if let Err(e) = globset::Glob::new(g) {
                issues.push(ProbeIssue::new(
                    format!("{field}[{i}]"),
                    format!("invalid glob `{g}`: {e}"),
                ));
            }
        }
    }
    issues
}

/// A search spec compiled: the pattern's matcher and the globs, built once at load.
#[derive(Debug, Clone)]
pub struct Compiled {
    spec: Spec,
    matcher: RegexMatcher,
    globs: crate::walk::Globs,
}

/// Validates `spec` and builds its matcher and globs.
pub fn compile(spec: Spec) -> Result<Compiled, Vec<ProbeIssue>> {
    let issues = validate(&spec);
    if !issues.is_empty() {
        return Err(issues);
    }
    let matcher = RegexMatcherBuilder::new()
        .case_insensitive(spec.ignore_case)
        .line_terminator(Some(b'\n'))
        .build(&spec.pattern)
        .map_err(|e| vec![ProbeIssue::new("pattern", e.to_string())])?;
    let lines = spec
        .paths
        .iter()
        .cloned()
        .chain(spec.exclude.iter().map(|g| format!("!{g}")))
        // readyctl never searches its own run directories.
        .chain(["!.readyctl/".to_string()])
        .collect();
    let globs = crate::walk::Globs::new(lines).map_err(|e| vec![ProbeIssue::new("paths", e)])?;
    Ok(Compiled { spec, matcher, globs })
}

/// Matches found by a search.
#[derive(Debug, Default)]
pub struct SearchResult {
    pub files_searched: u64,
    pub matching_lines: u64,
    /// The first matches in path and line order (bounded): the same whatever order the
    /// parallel walk visits files in.
    pub locations: Vec<Location>,
}

/// Searches `repo` for the compiled spec's pattern.
pub fn search(
    compiled: &Compiled,
    repo: &std::path::Path,
    cancel: &std::sync::atomic::AtomicBool,
) -> Result<SearchResult, String> {
    search_outside(compiled, repo, None, cancel)
}

/// Adds a file's locations to `kept`, which holds at most `4 × MAX_LOCATIONS`: when full, it
/// is cut to its first [`MAX_LOCATIONS`] in path and line order (sorting once per few hundred
/// files, not once per file). Every file keeps its first `MAX_LOCATIONS` lines, so the first
/// `MAX_LOCATIONS` of `kept` at the end are those of the whole search, whichever order files
/// were searched in.
fn keep_first(kept: &mut Vec<Location>, more: Vec<Location>) {
    kept.extend(more);
    if kept.len() >= MAX_LOCATIONS * 4 {
        sort_locations(kept);
        kept.truncate(MAX_LOCATIONS);
    }
}

fn sort_locations(locations: &mut [Location]) {
    locations.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
}

/// [`search`], never entering `run_dir` (the run in progress, when `--out` is inside the
/// repository).
fn search_outside(
    compiled: &Compiled,
    repo: &std::path::Path,
    run_dir: Option<&std::path::Path>,
    cancel: &std::sync::atomic::AtomicBool,
) -> Result<SearchResult, String> {
    let spec = &compiled.spec;
    // Nor a run directory written elsewhere with `--out` (it holds `evidence/` and the
    // manifest), nor its own checklists (see `discover::is_readyctl_file`).
    let walk = crate::walk::Walk::new(repo)
        .hidden(spec.hidden)
        .ignore_files(!spec.no_ignore)
        .skip_run_dirs(run_dir)
        .globs(&compiled.globs);
    let files = AtomicU64::new(0);
    let lines = AtomicU64::new(0);
    let found: Mutex<Vec<Location>> = Mutex::new(Vec::new());
    // One matcher per thread: a clone shares the compiled regex but not its scratch space.
    let searcher = || {
        let searcher = SearcherBuilder::new()
            .binary_detection(BinaryDetection::quit(0))
            .line_number(true)
            .build();
        (compiled.matcher.clone(), searcher)
    };
    let walked = walk.run(cancel, searcher, |(matcher, searcher), file| {
        files.fetch_add(1, Ordering::Relaxed);
        let rel = file.rel;
        if crate::discover::is_readyctl_file(repo, rel) {
            return;
        }
        let mut local: Vec<Location> = Vec::new();
        let mut count = 0u64;
        let _ = searcher.search_path(
            &*matcher,
            file.path(),
            UTF8(|line_no, _line| {
                count += 1;
                if local.len() < MAX_LOCATIONS {
                    local.push(Location {
                        path: rel.to_string(),
                        line: Some(line_no),
                        column: None,
                        message: None,
                        rule: None,
                    });
                }
                Ok(true)
            }),
        );
        if count > 0 {
            lines.fetch_add(count, Ordering::Relaxed);
            keep_first(&mut found.lock().unwrap(), local);
        }
    });
    if walked.is_err() {
        return Err("interrupted".into());
    }
    let mut locations = found.into_inner().unwrap();
    sort_locations(&mut locations);
    locations.truncate(MAX_LOCATIONS);
    Ok(SearchResult {
        files_searched: files.into_inner(),
        matching_lines: lines.into_inner(),
        locations,
    })
}

super::compiled_kind!("search");

fn run(compiled: &Compiled, ctx: &ProbeContext) -> ProbeOutcome {
    let spec = &compiled.spec;
    // The evidence directory is `RUN_DIR/evidence/<check-id>`.
    let run_dir = ctx
        .evidence_dir
        .parent()
        .filter(|p| p.file_name().is_some_and(|n| n == "evidence"))
        .and_then(std::path::Path::parent);
    let result = match search_outside(compiled, ctx.repo, run_dir, ctx.cancel) {
        Ok(r) => r,
        Err(e) => return ProbeOutcome::error(format!("search failed: {e}")),
    };
    let n = result.matching_lines;
    let where_ = |locs: &[Location]| {
        locs.iter()
            .take(3)
            .map(|l| format!("{}:{}", l.path, l.line.unwrap_or(0)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let pattern = &spec.pattern;
    let (ok, reason, threshold) = match spec.expect {
        Expect::None if n == 0 => (
            true,
            format!("no match for /{pattern}/ in {} files", result.files_searched),
            "== 0".to_string(),
        ),
        Expect::None => {
            let more = crate::text::more(n as usize, 3, crate::text::More::Plus);
            (
                false,
                format!(
                    "{n} match{} for /{pattern}/: {}{more}",
                    if n == 1 { "" } else { "es" },
                    where_(&result.locations)
                ),
                "== 0".into(),
            )
        }
        Expect::Some if n > 0 => (
            true,
            format!(
                "{n} match{} for /{pattern}/, first at {}",
                if n == 1 { "" } else { "es" },
                where_(&result.locations[..1])
            ),
            ">= 1".into(),
        ),
        Expect::Some => (
            false,
            format!("no match for /{pattern}/ in {} files", result.files_searched),
            ">= 1".into(),
        ),
        Expect::AtLeast(min) if n >= min => {
            (true, format!("{n} matches for /{pattern}/ (min {min})"), format!(">= {min}"))
        }
        Expect::AtLeast(min) => (
            false,
            format!("{n} matches for /{pattern}/ (need at least {min})"),
            format!(">= {min}"),
        ),
    };
    let mut outcome = if ok { ProbeOutcome::pass(reason) } else { ProbeOutcome::fail(reason) };
    outcome
        .measurements
        .push(Measurement::new("matches", n as f64, "count").with_threshold(threshold));
    outcome.measurements.push(Measurement::new(
        "files_searched",
        result.files_searched as f64,
        "count",
    ));
    let matches = serde_json::json!({
        "pattern": spec.pattern,
        "files_searched": result.files_searched,
        "matching_lines": n,
        "locations": result.locations,
    });
    outcome.artifacts.push(Artifact::json("matches.json", &matches));
    // Where a forbidden pattern matched is what a reader must see; where a required one matched
    // is only a curiosity.
    if spec.expect == Expect::None {
        outcome.locations = result.locations;
        for l in &mut outcome.locations {
            l.message = Some(format!("matches /{}/", spec.pattern));
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::context::testing::{run_probe, write};

    #[test]
    fn never_matches_its_own_checklists_and_run_directories() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let checklist =
            "version: 1\nchecks:\n  - id: no-todo\n    search: { pattern: \"FIXME-NOW\" }\n";
        write(d, "readiness.yaml", checklist);
        write(d, "ops/extra.yaml", checklist);
        write(d, "runs/old/manifest.json", "{}");
        write(d, "runs/old/evidence/no-todo/stdout.log", "FIXME-NOW\n");
        write(d, "runs/now/evidence/no-todo/.keep", "");
        write(d, "runs/now/evidence/other/stdout.log", "FIXME-NOW\n");
        write(d, "src/a.py", "x = 1\n");
        let spec: Spec = serde_yaml::from_str("pattern: FIXME-NOW").unwrap();
        let cancel = std::sync::atomic::AtomicBool::new(false);
        let evidence = d.join("runs/now/evidence/no-todo");
        let ctx = ProbeContext {
            repo: d,
            check_id: "no-todo",
            evidence_dir: &evidence,
            run_started: std::time::SystemTime::now(),
            deadline: std::time::Instant::now() + std::time::Duration::from_secs(10),
            cancel: &cancel,
            output_filter: None,
        };
        let spec = compile(spec).unwrap();
        let o = run(&spec, &ctx);
        assert_eq!(o.status, crate::outcome::Status::Pass, "{}", o.reason);
        write(d, "src/b.py", "# FIXME-NOW\n");
        std::fs::remove_dir_all(d.join("runs/now")).unwrap();
        let o = run_probe(d, "no-todo", |ctx| run(&spec, ctx));
        assert_eq!(o.status, crate::outcome::Status::Fail, "{}", o.reason);
        assert_eq!(o.locations.len(), 1, "{:?}", o.locations);
    }

    /// More than 400 matching lines: which locations are kept used to depend on the order the
    /// parallel walk visited files in (the first 400 found, then the first 100 of those). They
    /// are the first 100 in path and line order, every time.
    #[test]
    fn kept_locations_do_not_depend_on_walk_order() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut expected = Vec::new();
        for a in 0..40 {
            for f in 0..5 {
                let rel = format!("d{a:02}/f{f}.txt");
                write(d, &rel, "MATCH\nother\nMATCH\nMATCH\nMATCH\n");
                expected.extend([1, 3, 4, 5].map(|l| format!("{rel}:{l}")));
            }
        }
        expected.sort();
        expected.truncate(MAX_LOCATIONS);
        let spec = compile(serde_yaml::from_str("pattern: MATCH").unwrap()).unwrap();
        let cancel = std::sync::atomic::AtomicBool::new(false);
        for _ in 0..5 {
            let r = search(&spec, d, &cancel).unwrap();
            assert_eq!(r.matching_lines, 800);
            assert_eq!(r.locations.len(), MAX_LOCATIONS);
            let got: Vec<String> =
                r.locations.iter().map(|l| format!("{}:{}", l.path, l.line.unwrap_or(0))).collect();
            assert_eq!(got, expected);
        }
    }

    /// A pattern `regex` accepts but ripgrep's line matcher refuses (a literal line end) is a
    /// load-time problem at `pattern` (it was an `error` outcome when the matcher was built at
    /// run time).
    #[test]
    fn a_pattern_the_line_matcher_refuses_is_a_compile_issue() {
        let issues = compile(serde_yaml::from_str(r#"pattern: "a\\nb""#).unwrap()).unwrap_err();
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].field, "pattern");
        assert!(issues[0].message.contains("not allowed"), "{}", issues[0].message);
    }
}
