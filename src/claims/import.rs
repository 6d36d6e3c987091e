//! A parsed report → a checklist: one check per placed claim (title = the claim, `docs` =
//! `REPORT.md:LINE`, a blocking severity), one `verification.run-…` check per test command of
//! the report that the test claims' `fresh` results come from, a header comment with the
//! summary, emitted with serde_yaml.

use serde_yaml::{Mapping, Value};

use super::classify::{self, Confirm, Placement};
use super::parse::{self, Claim, Marker, Origin};
use crate::checklist::Severity;

/// A claim and what it became.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub claim: Claim,
    /// The check id, when placed.
    pub check_id: Option<String>,
    pub placement: Placement,
    /// What a passing check must also show for the claim to count as confirmed.
    pub confirm: Confirm,
}

/// Import options (`readyctl import --severity`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Every imported check gets this severity; by default `critical` for security and data
    /// claims and `high` for the rest (both block under the default `fail_on: high`).
    pub severity: Option<Severity>,
}

/// How long a test results file may be when no test command of the report can re-create it.
pub const STALE_RESULTS_AFTER: &str = "1h";

/// The result of importing a report.
#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    pub items: Vec<Imported>,
    /// Checks that run the report's own test commands (not claims), by id.
    pub test_runs: Vec<String>,
    pub repaired: usize,
    /// The checklist YAML (header comment included).
    pub yaml: String,
}

impl Import {
    pub fn automated(&self) -> usize {
        self.kinds().filter(|k| *k != "manual").count()
    }
    pub fn manual(&self) -> usize {
        self.kinds().filter(|k| *k == "manual").count()
    }
    pub fn unplaced(&self) -> impl Iterator<Item = (&Claim, &str)> {
        self.items.iter().filter_map(|i| match &i.placement {
            Placement::Unplaced(why) => Some((&i.claim, why.as_str())),
            Placement::Check { .. } => None,
        })
    }
    fn kinds(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.items.iter().filter_map(|i| match &i.placement {
            Placement::Check { kind, .. } => Some(*kind),
            Placement::Unplaced(_) => None,
        })
    }

    /// The summary shown on the terminal and in the header comment, one line each.
    pub fn summary(&self, report_name: &str) -> Vec<String> {
        let mut lines = vec![format!(
            "imported from {report_name}: {} claims found, {} automated, {} manual, {} not placed",
            self.items.len(),
            self.automated(),
            self.manual(),
            self.unplaced().count()
        )];
        if !self.test_runs.is_empty() {
            lines.push(format!(
                "the test claims read results from this run: {} check(s) run the report's own test command ({})",
                self.test_runs.len(),
                self.test_runs.join(", ")
            ));
        }
        if self.repaired > 0 {
            lines.push(format!(
                "repaired {} mis-decoded UTF-8 character(s) (text read as Windows-1252, e.g. `âœ…` → `✅`)",
                self.repaired
            ));
        }
        let mut by_kind: std::collections::BTreeMap<&str, usize> = Default::default();
        for k in self.kinds() {
            *by_kind.entry(k).or_default() += 1;
        }
        let kinds: Vec<String> = by_kind.iter().map(|(k, n)| format!("{k} {n}")).collect();
        if !kinds.is_empty() {
            lines.push(format!("checks by probe: {}", kinds.join(", ")));
        }
        let unplaced: Vec<_> = self.unplaced().collect();
        if !unplaced.is_empty() {
            lines.push("claims not placed:".into());
            for (c, why) in unplaced {
                lines.push(format!(
                    "  {report_name}:{}: {} ({why})",
                    c.line,
                    one_line(&c.text, 100)
                ));
            }
        }
        lines
    }
}

fn one_line(s: &str, max: usize) -> String {
    let s: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if s.chars().count() <= max {
        s
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

/// `Priority 1: Test Coverage (CRITICAL)` → `priority-1-test-coverage-critical`, at most `max`
/// characters, cut at a word.
pub fn slug(s: &str, max: usize) -> String {
    let mut out = String::new();
    for word in s.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        let w = word.to_ascii_lowercase();
        if !out.is_empty() && out.len() + 1 + w.len() > max {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&w[..w.len().min(max)]);
    }
    out
}

/// Imports a report's text with the default options.
pub fn import(text: &str, report_name: &str) -> Import {
    import_with(text, report_name, Options::default())
}

/// The check that runs one of the report's own test commands, for the test claims that need
/// its results.
struct Runner {
    id: String,
    /// The command as the report gives it (with `--junitxml` added): how claims find it.
    key: String,
    /// The command run: a second runner writes `junit-2.xml`, not the first one's file.
    run: String,
    results: Value,
    line: usize,
    /// The coverage report it writes (`--cov` with `--cov-report=xml:…`).
    coverage: Option<Value>,
}

/// Imports a report's text. `report_name` is how the report is referred to (`docs:` and the
/// summary).
pub fn import_with(text: &str, report_name: &str, opts: Options) -> Import {
    let report = parse::parse(text);
    let mut used = std::collections::HashSet::new();
    let mut placed: Vec<(Claim, Placement, Option<String>)> = Vec::new();
    for claim in report.claims {
        let placement = classify::classify(&claim);
        let check_id = match &placement {
            Placement::Check { .. } => Some(unique_id(&claim, &mut used)),
            Placement::Unplaced(_) => None,
        };
        placed.push((claim, placement, check_id));
    }
    fill_migration_paths(&mut placed);
    let (runners, needs) = wire_test_runs(&mut placed, &mut used);

    let mut items = Vec::new();
    let mut checks = Vec::new();
    let mut vars_used = std::collections::BTreeSet::new();
    let mut note_vars = |text: &str| {
        for v in [
            classify::VAR_BASE_URL,
            classify::VAR_TEST_RESULTS,
            classify::VAR_COVERAGE_REPORT,
            classify::VAR_DATABASE_URL,
        ] {
            if text.contains(&format!("${{{v}}}")) {
                vars_used.insert(v);
            }
        }
    };
    for r in &runners {
        let mut spec = Mapping::new();
        spec.insert("run".into(), r.run.clone().into());
        // pytest exits 1 when a test fails: the tests checks judge the results, this one only
        // has to produce them (2 and above: interrupted, usage error, no tests collected).
        spec.insert("exit_code".into(), Value::Sequence(vec![0.into(), 1.into()]));
        note_vars(&r.run);
        let mut m = Mapping::new();
        m.insert("id".into(), r.id.clone().into());
        m.insert(
            "title".into(),
            format!("The report's own test command runs: `{}`", one_line(&r.run, 160)).into(),
        );
        m.insert("area".into(), "verification".into());
        m.insert("severity".into(), opts.severity.unwrap_or(Severity::High).as_str().into());
        m.insert("tags".into(), Value::Sequence(vec!["imported".into(), "test-run".into()]));
        m.insert("docs".into(), format!("{report_name}:{}", r.line).into());
        m.insert("command".into(), Value::Mapping(spec));
        checks.push(Value::Mapping(m));
    }
    for (i, (claim, placement, check_id)) in placed.into_iter().enumerate() {
        let mut confirm = Confirm::Pass;
        if let (Placement::Check { kind, spec }, Some(id)) = (&placement, &check_id) {
            confirm = classify::confirmation(&claim, kind);
            note_vars(&serde_yaml::to_string(spec).unwrap_or_default());
            let severity = opts.severity.unwrap_or_else(|| classify::severity(&claim, kind));
            let mut m = Mapping::new();
            m.insert("id".into(), id.clone().into());
            m.insert("title".into(), one_line(&claim.text, 200).into());
            m.insert("area".into(), claim.area.clone().into());
            m.insert("severity".into(), severity.as_str().into());
            let mut tags = vec![Value::from("imported")];
            if claim.marker == Marker::Open {
                tags.push("open-item".into());
            }
            m.insert("tags".into(), Value::Sequence(tags));
            m.insert("docs".into(), format!("{report_name}:{}", claim.line).into());
            if let Some(n) = needs.get(&i) {
                m.insert("needs".into(), Value::Sequence(vec![n.clone().into()]));
            }
            m.insert((*kind).into(), spec.clone());
            checks.push(Value::Mapping(m));
        }
        items.push(Imported { claim, check_id, placement, confirm });
    }
    let base_url = items
        .iter()
        .find_map(|i| classify::origin_of(&i.claim))
        .unwrap_or_else(|| "http://127.0.0.1:8000".into());
    let mut vars = Mapping::new();
    for v in vars_used {
        let value = match v {
            classify::VAR_BASE_URL => format!("${{env:BASE_URL:-{base_url}}}"),
            classify::VAR_TEST_RESULTS => "junit.xml".into(),
            classify::VAR_COVERAGE_REPORT => "coverage.xml".into(),
            _ => "${env:DATABASE_URL:-}".into(),
        };
        vars.insert(v.into(), value.into());
    }
    let mut doc = Mapping::new();
    doc.insert("version".into(), 1.into());
    let name = report.title.as_deref().map(|t| slug(t, 48)).filter(|s| !s.is_empty());
    doc.insert("name".into(), name.unwrap_or_else(|| slug(report_name, 48)).into());
    if !vars.is_empty() {
        doc.insert("vars".into(), Value::Mapping(vars));
    }
    doc.insert("checks".into(), Value::Sequence(checks));
    let test_runs = runners.iter().map(|r| r.id.clone()).collect();
    let mut import = Import { items, test_runs, repaired: report.repaired, yaml: String::new() };
    let mut yaml = String::new();
    yaml.push_str("# Generated by `readyctl import`; edit freely.\n");
    for line in import.summary(report_name) {
        yaml.push_str("# ");
        yaml.push_str(&line);
        yaml.push('\n');
    }
    yaml.push_str(
        "# `manual` checks pass on a signed attestation (`readyctl attest`) by a key listed under\n# `trusted_signers:` (name → public key PEM path, relative to this file).\n",
    );
    yaml.push_str(&serde_yaml::to_string(&Value::Mapping(doc)).unwrap_or_default());
    import.yaml = yaml;
    import
}

fn unique_id(claim: &Claim, used: &mut std::collections::HashSet<String>) -> String {
    let area = match slug(&claim.area, 24) {
        a if a.is_empty() => "general".to_string(),
        a => a,
    };
    let what = match slug(&claim.text, 36) {
        t if t.is_empty() => format!("line-{}", claim.line),
        t => t,
    };
    let base = format!("{area}.{what}");
    let mut id = base.clone();
    let mut n = 2;
    while !used.insert(id.clone()) {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}

/// Test claims are judged on results the run itself produced. A claim's test command is, in
/// order: its own (a fenced `pytest …` block), one in a fenced block of the same section, one
/// in a code span of the claim, else the report's most frequent one. Each distinct command
/// becomes one `command` check (a runner); the `tests` checks that read its results `need` it
/// and are `fresh` (results written before the run started are `error: stale`), and a
/// `coverage` check needs the runner that writes the coverage report. Test claims with no
/// command anywhere in the report get `max_age`. Returns the runners and, by item index, the
/// runner each item needs.
fn wire_test_runs(
    placed: &mut [(Claim, Placement, Option<String>)],
    used: &mut std::collections::HashSet<String>,
) -> (Vec<Runner>, std::collections::HashMap<usize, String>) {
    // Every test command of the report, with where it appears.
    let mut commands: Vec<(String, Value, usize, String)> = Vec::new(); // run, results, line, area
    let mut frequency: std::collections::HashMap<String, usize> = Default::default();
    for (claim, placement, _) in placed.iter() {
        if claim.origin == Origin::Code
            && let Placement::Check { kind: "tests", spec } = placement
            && let Some(run) = spec.get("run").and_then(Value::as_str)
        {
            let results = spec.get("results").cloned().unwrap_or(Value::Null);
            commands.push((run.to_string(), results, claim.line, claim.area.clone()));
            *frequency.entry(run.to_string()).or_default() += 1;
        }
        for span in &claim.code_spans {
            if let Some((run, _)) = classify::results_command(span) {
                *frequency.entry(run).or_default() += 1;
            }
        }
    }
    let most_frequent = frequency
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(run, _)| run.clone());
    let mut runners: Vec<Runner> = Vec::new();
    let mut needs = std::collections::HashMap::new();
    // (id, results) of the runner for `run`, created on first use.
    let mut runner_for =
        |run: &str, results: Value, line: usize, runners: &mut Vec<Runner>| -> (String, Value) {
            if let Some(r) = runners.iter().find(|r| r.key == run) {
                return (r.id.clone(), r.results.clone());
            }
            let base = format!("verification.run-{}", slug(run, 40));
            let mut id = base.clone();
            let mut n = 2;
            while !used.insert(id.clone()) {
                id = format!("{base}-{n}");
                n += 1;
            }
            // Runners run concurrently: each writes files of its own.
            let nth = runners.len() + 1;
            let (tests_var, cov_var) = (
                format!("${{{}}}", classify::VAR_TEST_RESULTS),
                format!("${{{}}}", classify::VAR_COVERAGE_REPORT),
            );
            let (mut command, mut results) = (run.to_string(), results);
            let mut coverage_file: Value = cov_var.clone().into();
            if nth > 1 {
                if command.contains(&tests_var) {
                    let own = format!("junit-{nth}.xml");
                    command = command.replace(&tests_var, &own);
                    if let Some(r) = results.as_str() {
                        results = r.replace(&tests_var, &own).into();
                    }
                }
                if command.contains(&cov_var) {
                    command = command.replace(&cov_var, &format!("coverage-{nth}.xml"));
                    coverage_file = format!("coverage-{nth}.xml").into();
                }
            }
            let coverage = command.contains("--cov-report=xml").then_some(coverage_file);
            runners.push(Runner {
                id: id.clone(),
                key: run.to_string(),
                run: command,
                results: results.clone(),
                line,
                coverage,
            });
            (id, results)
        };
    for (i, (claim, placement, _)) in placed.iter_mut().enumerate() {
        let Placement::Check { kind: "tests", spec } = placement else { continue };
        let Value::Mapping(spec) = spec else { continue };
        let own = spec.get("run").and_then(Value::as_str).map(str::to_string);
        let chosen: Option<(String, Value, usize)> = match own {
            Some(run) => {
                Some((run, spec.get("results").cloned().unwrap_or(Value::Null), claim.line))
            }
            None => commands
                .iter()
                .find(|(_, _, _, area)| *area == claim.area)
                .map(|(run, results, line, _)| (run.clone(), results.clone(), *line))
                .or_else(|| {
                    claim.code_spans.iter().find_map(|s| {
                        let (run, results) = classify::results_command(s)?;
                        Some((
                            run,
                            results.map(Value::from).unwrap_or_else(test_results),
                            claim.line,
                        ))
                    })
                })
                .or_else(|| {
                    let run = most_frequent.clone()?;
                    let found = commands.iter().find(|c| c.0 == run);
                    Some(match found {
                        Some((_, results, line, _)) => (run, results.clone(), *line),
                        None => (run, test_results(), claim.line),
                    })
                }),
        };
        match chosen {
            Some((run, results, line)) => {
                let results = if results.is_null() { test_results() } else { results };
                let (id, results) = runner_for(&run, results, line, &mut runners);
                spec.remove("run");
                spec.insert("results".into(), results);
                spec.insert("fresh".into(), true.into());
                needs.insert(i, id);
            }
            None => {
                spec.insert("max_age".into(), STALE_RESULTS_AFTER.into());
            }
        }
    }
    // Coverage claims: after the runner that writes the coverage report, when there is one.
    if let Some((id, file)) = runners.iter().find_map(|r| Some((&r.id, r.coverage.as_ref()?))) {
        for (i, (_, placement, _)) in placed.iter_mut().enumerate() {
            if let Placement::Check { kind: "coverage", spec: Value::Mapping(spec) } = placement {
                spec.insert("report".into(), file.clone());
                needs.insert(i, id.clone());
            }
        }
    }
    (runners, needs)
}

fn test_results() -> Value {
    format!("${{{}}}", classify::VAR_TEST_RESULTS).into()
}

/// A migrations claim that names no directory ("Migration is idempotent") is about the
/// migrations the report names elsewhere: the directory most of its other migrations checks
/// use (`backend/alembic/versions`), when there is one; else the probe's own discovery.
fn fill_migration_paths(placed: &mut [(Claim, Placement, Option<String>)]) {
    let mut frequency: std::collections::BTreeMap<String, usize> = Default::default();
    for (_, placement, _) in placed.iter() {
        if let Placement::Check { kind: "migrations", spec } = placement
            && let Some(p) = spec.get("path").and_then(Value::as_str)
        {
            *frequency.entry(p.to_string()).or_default() += 1;
        }
    }
    let Some(dir) = frequency.iter().max_by_key(|(_, n)| **n).map(|(d, _)| d.clone()) else {
        return;
    };
    for (_, placement, _) in placed.iter_mut() {
        if let Placement::Check { kind: "migrations", spec: Value::Mapping(spec) } = placement
            && !spec.contains_key("path")
        {
            spec.insert("path".into(), dir.clone().into());
        }
    }
}
