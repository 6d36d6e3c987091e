//! End-to-end tests of the `tests` and `coverage` probes on fixture repositories, plus
//! interop checks against Python peers (pytest, coverage.py, junitparser) when
//! `READYCTL_TEST_PYTHON` names a venv python that has them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant, SystemTime};

use readyctl::outcome::{ProbeOutcome, Status};
use readyctl::probe::{ArtifactContent, ProbeContext, coverage, run_spec, tests};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/formats")
}

/// A scratch repository holding copies of the named fixtures, and an evidence directory.
struct Repo {
    dir: tempfile::TempDir,
    evidence: tempfile::TempDir,
    cancel: AtomicBool,
    started: SystemTime,
    budget: Duration,
}

impl Repo {
    fn with(files: &[(&str, &str)]) -> Repo {
        let dir = tempfile::tempdir().unwrap();
        for (from, to) in files {
            let dest = dir.path().join(to);
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::copy(fixtures().join(from), dest).unwrap();
        }
        Repo {
            dir,
            evidence: tempfile::tempdir().unwrap(),
            cancel: AtomicBool::new(false),
            started: SystemTime::now() - Duration::from_secs(60),
            budget: Duration::from_secs(60),
        }
    }
    fn ctx(&self) -> ProbeContext<'_> {
        ProbeContext {
            repo: self.dir.path(),
            check_id: "tests.sample",
            evidence_dir: self.evidence.path(),
            run_started: self.started,
            deadline: Instant::now() + self.budget,
            cancel: &self.cancel,
            output_filter: None,
        }
    }
    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }
}

fn tests_spec(yaml: &str) -> tests::Spec {
    serde_yaml::from_str(yaml).unwrap_or_else(|e| panic!("{e}"))
}

fn coverage_spec(yaml: &str) -> coverage::Spec {
    serde_yaml::from_str(yaml).unwrap_or_else(|e| panic!("{e}"))
}

fn measurement(out: &ProbeOutcome, name: &str) -> f64 {
    out.measurements.iter().find(|m| m.name == name).unwrap_or_else(|| panic!("no {name}")).value
}

fn summary(out: &ProbeOutcome) -> serde_json::Value {
    let a = out.artifacts.iter().find(|a| a.name == "summary.json").expect("summary.json");
    match &a.content {
        ArtifactContent::Bytes(b) => serde_json::from_slice(b).unwrap(),
        other => panic!("summary.json should be bytes, got {other:?}"),
    }
}

/// The Python peer, or `None` (printing SKIP) locally; a failure under CI.
fn python() -> Option<PathBuf> {
    match std::env::var_os("READYCTL_TEST_PYTHON") {
        Some(p) => Some(PathBuf::from(p)),
        None if std::env::var_os("CI").is_some() => {
            panic!(
                "READYCTL_TEST_PYTHON is not set; CI must provide the venv from scripts/requirements-test.txt"
            )
        }
        None => {
            eprintln!(
                "SKIP: READYCTL_TEST_PYTHON is not set (venv with scripts/requirements-test.txt)"
            );
            None
        }
    }
}

#[test]
fn tests_probe_fails_on_the_failing_pytest_case() {
    let repo = Repo::with(&[("pytest/junit-xunit1.xml", "reports/junit.xml")]);
    let out = run_spec::<tests::Kind>(&tests_spec("results: reports/junit.xml\n"), &repo.ctx());
    assert_eq!(out.status, Status::Fail, "{}", out.reason);
    assert!(out.reason.contains("test_clamp_wrong_on_purpose"), "{}", out.reason);
    assert_eq!(measurement(&out, "total"), 6.0);
    assert_eq!(measurement(&out, "failed"), 1.0);
    assert_eq!(measurement(&out, "skipped"), 1.0);
    let s = summary(&out);
    assert_eq!(s["counts"]["passed"], 4);
    assert!(s["failing"][0]["message"].as_str().unwrap().contains("assert 10 == 50"));
    assert!(s["slowest"].as_array().unwrap().len() <= 10);
    assert!(out.artifacts.iter().any(|a| a.name == "results/1-junit.xml"));
    assert_eq!(out.locations[0].path, "tests/test_sample.py");
}

#[test]
fn tests_probe_thresholds_and_required_tests() {
    let repo = Repo::with(&[("pytest/junit-xunit2.xml", "junit.xml")]);
    let ctx = repo.ctx();
    let pass = tests_spec(
        "results: junit.xml\nmax_failed: 1\nmax_skipped: 1\nmin_total: 6\nrequire:\n  - tests/test_sample.py::TestShout::test_shout\n  - 'regex:test_classify_.*'\n",
    );
    let out = run_spec::<tests::Kind>(&pass, &ctx);
    assert_eq!(out.status, Status::Pass, "{}", out.reason);
    assert_eq!(out.reason, "6 tests: 4 passed, 1 failed, 1 skipped");

    let cases = [
        ("max_failed: 1\nmin_total: 7\n", "min_total is 7"),
        ("max_failed: 1\nmax_skipped: 0\n", "max_skipped is 0"),
        ("max_failed: 1\nmax_skipped: '10%'\n", "max_skipped is 10%"),
        ("max_failed: 1\nrequire: [tests/test_sample.py::test_missing]\n", "not in the results"),
        ("max_failed: 1\nrequire: [tests/test_sample.py::test_clamp_wrong_on_purpose]\n", "failed"),
        ("max_failed: 1\nrequire: [tests/test_sample.py::test_skipped]\n", "was skipped"),
    ];
    for (extra, expect) in cases {
        let out =
            run_spec::<tests::Kind>(&tests_spec(&format!("results: junit.xml\n{extra}")), &ctx);
        assert_eq!(out.status, Status::Fail, "{extra}: {}", out.reason);
        assert!(out.reason.contains(expect), "{extra}: {}", out.reason);
    }
}

#[test]
fn tests_probe_flaky_nextest_and_globs() {
    let repo = Repo::with(&[
        ("nextest/junit.xml", "target/nextest/ci/junit.xml"),
        ("libtest/libtest.json", "target/libtest.json"),
    ]);
    let ctx = repo.ctx();
    let out = run_spec::<tests::Kind>(
        &tests_spec("results: 'target/**/junit.xml'\nmax_failed: 1\n"),
        &ctx,
    );
    assert_eq!(out.status, Status::Pass, "{}", out.reason);
    assert_eq!(measurement(&out, "flaky"), 1.0);
    let out = run_spec::<tests::Kind>(
        &tests_spec("results: 'target/**/junit.xml'\nmax_failed: 1\nforbid_flaky: true\n"),
        &ctx,
    );
    assert_eq!(out.status, Status::Fail);
    assert!(out.reason.contains("tests::flaky"), "{}", out.reason);
    // A list mixing formats: JUnit (4 cases) + libtest JSON (5 cases).
    let out = run_spec::<tests::Kind>(
        &tests_spec("results: [target/nextest/ci/junit.xml, target/libtest.json]\nmax_failed: 9\n"),
        &ctx,
    );
    assert_eq!(measurement(&out, "total"), 9.0);
    let s = summary(&out);
    // Files are read in sorted order.
    assert_eq!(s["files"][0]["format"], "libtest_json");
    assert_eq!(s["files"][1]["format"], "junit");
}

#[test]
fn tests_probe_errors_name_the_file() {
    let repo = Repo::with(&[("coverage-py/coverage.xml", "junit.xml")]);
    let out = run_spec::<tests::Kind>(&tests_spec("results: junit.xml\n"), &repo.ctx());
    assert_eq!(out.status, Status::Error);
    assert!(out.reason.contains("junit.xml") && out.reason.contains("format"), "{}", out.reason);
    std::fs::write(repo.path("bin.xml"), [0u8, 159, 146, 150]).unwrap();
    let out =
        run_spec::<tests::Kind>(&tests_spec("results: bin.xml\nformat: junit\n"), &repo.ctx());
    assert_eq!(out.status, Status::Error);
    assert!(out.reason.contains("bin.xml"), "{}", out.reason);
    let out = run_spec::<tests::Kind>(&tests_spec("results: 'nothing/*.xml'\n"), &repo.ctx());
    assert_eq!(out.status, Status::Error);
    assert!(out.reason.contains("no file matches"), "{}", out.reason);
}

#[test]
fn tests_probe_runs_the_command_and_rejects_stale_results() {
    let mut repo = Repo::with(&[("pytest/junit-xunit1.xml", "fixture.xml")]);
    repo.started = SystemTime::now();
    std::thread::sleep(Duration::from_millis(20));
    // The command writes the results: fresh, and its output is logged.
    let spec = tests_spec(
        "run: echo running && cp fixture.xml out.xml\nresults: out.xml\nmax_failed: 1\n",
    );
    let out = run_spec::<tests::Kind>(&spec, &repo.ctx());
    assert_eq!(out.status, Status::Pass, "{}", out.reason);
    assert_eq!(measurement(&out, "exit_code"), 0.0);
    let log = std::fs::read_to_string(repo.evidence.path().join("run.stdout.log")).unwrap();
    assert_eq!(log.trim(), "running");
    // The command does not write the results: the old file is stale.
    repo.started = SystemTime::now() + Duration::from_secs(5);
    let spec = tests_spec("run: 'true'\nresults: out.xml\nmax_failed: 1\n");
    let out = run_spec::<tests::Kind>(&spec, &repo.ctx());
    assert_eq!(out.status, Status::Error);
    assert!(out.reason.contains("stale"), "{}", out.reason);
}

#[test]
fn tests_probe_kills_the_command_at_the_deadline() {
    let mut repo = Repo::with(&[]);
    repo.budget = Duration::from_millis(300);
    let clock = Instant::now();
    let out =
        run_spec::<tests::Kind>(&tests_spec("run: sleep 30\nresults: junit.xml\n"), &repo.ctx());
    assert_eq!(out.status, Status::Error);
    assert!(out.reason.contains("timed out"), "{}", out.reason);
    assert!(clock.elapsed() < Duration::from_secs(10));
}

#[test]
fn tests_probe_max_age_without_run() {
    let repo = Repo::with(&[("pytest/junit-xunit1.xml", "junit.xml")]);
    let old = SystemTime::now() - Duration::from_secs(3 * 86400);
    std::fs::File::options()
        .write(true)
        .open(repo.path("junit.xml"))
        .unwrap()
        .set_modified(old)
        .unwrap();
    let out = run_spec::<tests::Kind>(
        &tests_spec("results: junit.xml\nmax_failed: 1\nmax_age: 1d\n"),
        &repo.ctx(),
    );
    assert_eq!(out.status, Status::Error);
    assert!(out.reason.contains("max_age"), "{}", out.reason);
    let out = run_spec::<tests::Kind>(
        &tests_spec("results: junit.xml\nmax_failed: 1\nmax_age: 7d\n"),
        &repo.ctx(),
    );
    assert_eq!(out.status, Status::Pass, "{}", out.reason);
}

#[test]
fn coverage_probe_thresholds_on_coverage_py_reports() {
    let repo = Repo::with(&[
        ("coverage-py/coverage.json", "coverage.json"),
        ("coverage-py/coverage.xml", "coverage.xml"),
        ("coverage-py/coverage.lcov", "coverage.lcov"),
    ]);
    let ctx = repo.ctx();
    for report in ["coverage.json", "coverage.xml", "coverage.lcov"] {
        let out = run_spec::<coverage::Kind>(
            &coverage_spec(&format!("report: {report}\nmin_lines: 58\n")),
            &ctx,
        );
        assert_eq!(out.status, Status::Pass, "{report}: {}", out.reason);
        assert_eq!(measurement(&out, "lines"), 58.33, "{report}");
        assert_eq!(measurement(&out, "branches"), 42.86, "{report}");
        let out = run_spec::<coverage::Kind>(
            &coverage_spec(&format!("report: {report}\nmin_lines: 60\nmin_branches: 40\n")),
            &ctx,
        );
        assert_eq!(out.status, Status::Fail, "{report}");
        assert_eq!(out.reason, "line coverage 58.33% (14/24) is below min_lines 60%");
    }
    let out = run_spec::<coverage::Kind>(
        &coverage_spec(
            "report: coverage.json\npaths:\n  'sample/text.py': 60\n  'sample/__init__.py': 60\n",
        ),
        &ctx,
    );
    assert_eq!(out.status, Status::Fail);
    assert_eq!(out.reason, "`sample/text.py` line coverage 50.00% (3/6) is below 60%");
    let out = run_spec::<coverage::Kind>(
        &coverage_spec("report: coverage.json\npaths: {'src/**': 10}\n"),
        &ctx,
    );
    assert_eq!(out.status, Status::Error);
    assert!(out.reason.contains("matches no file"), "{}", out.reason);
    let out =
        run_spec::<coverage::Kind>(&coverage_spec("report: coverage.json\nmin_lines: 160\n"), &ctx);
    assert_eq!(out.status, Status::Error);
}

#[test]
fn coverage_probe_merges_reports_and_lists_lowest_files() {
    let repo = Repo::with(&[
        ("spec/repeated.lcov", "crates/a/lcov.info"),
        ("spec/go.coverprofile", "cover.out"),
    ]);
    let out = run_spec::<coverage::Kind>(
        &coverage_spec("report: ['crates/*/lcov.info', cover.out]\n"),
        &repo.ctx(),
    );
    assert_eq!(out.status, Status::Pass, "{}", out.reason);
    // lcov 2/4 lines (repeated records merged), Go 5/7 statements (repeated blocks merged).
    assert_eq!(measurement(&out, "lines_covered"), 7.0);
    assert_eq!(measurement(&out, "lines_total"), 11.0);
    let s = summary(&out);
    let lowest = s["lowest_files"].as_array().unwrap();
    assert_eq!(lowest[0]["lines_percent"], 0.0);
    let pcts: Vec<f64> = lowest.iter().map(|f| f["lines_percent"].as_f64().unwrap()).collect();
    assert!(pcts.windows(2).all(|w| w[0] <= w[1]), "{pcts:?}");
    assert!(out.artifacts.iter().any(|a| a.name == "files.txt"));
    assert!(out.artifacts.iter().any(|a| a.name == "reports/1-cover.out"));
    assert!(out.artifacts.iter().any(|a| a.name == "reports/2-lcov.info"));
    let out = run_spec::<coverage::Kind>(
        &coverage_spec("report: cover.out\nmin_branches: 10\n"),
        &repo.ctx(),
    );
    assert_eq!(out.status, Status::Error, "Go profiles carry no branch data");
}

#[test]
fn pytest_and_coverage_py_live_runs_agree_with_the_readers() {
    let Some(py) = python() else { return };
    let repo = Repo::with(&[
        ("py-sample/sample/__init__.py", "sample/__init__.py"),
        ("py-sample/sample/text.py", "sample/text.py"),
        ("py-sample/tests/test_sample.py", "tests/test_sample.py"),
        ("py-sample/pyproject.toml", "pyproject.toml"),
    ]);
    let py = py.display();
    let out = Command::new(&*py.to_string())
        .args([
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-o",
            "junit_family=xunit2",
            "--junitxml=j.xml",
            "tests",
        ])
        .current_dir(repo.dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or("").to_string();
    let num = |w: &str| {
        regex::Regex::new(&format!(r"(\d+) {w}"))
            .unwrap()
            .captures(&last)
            .map_or(0.0, |c| c[1].parse().unwrap())
    };
    let result =
        run_spec::<tests::Kind>(&tests_spec("results: j.xml\nmax_failed: 5\n"), &repo.ctx());
    assert_eq!(measurement(&result, "passed"), num("passed"), "{last}");
    assert_eq!(measurement(&result, "failed"), num("failed"), "{last}");
    assert_eq!(measurement(&result, "skipped"), num("skipped"), "{last}");

    let sh = format!(
        "{py} -m coverage run -m pytest -q -p no:cacheprovider tests >/dev/null; \
         {py} -m coverage json -o c.json && {py} -m coverage xml -o c.xml && {py} -m coverage lcov -o c.lcov"
    );
    assert!(
        Command::new("sh")
            .arg("-c")
            .arg(&sh)
            .current_dir(repo.dir.path())
            .status()
            .unwrap()
            .success()
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo.path("c.json")).unwrap()).unwrap();
    let t = &json["totals"];
    for report in ["c.json", "c.xml", "c.lcov"] {
        let out =
            run_spec::<coverage::Kind>(&coverage_spec(&format!("report: {report}\n")), &repo.ctx());
        assert_eq!(
            measurement(&out, "lines_covered"),
            t["covered_lines"].as_f64().unwrap(),
            "{report}"
        );
        assert_eq!(
            measurement(&out, "lines_total"),
            t["num_statements"].as_f64().unwrap(),
            "{report}"
        );
        assert_eq!(
            measurement(&out, "branches_covered"),
            t["covered_branches"].as_f64().unwrap(),
            "{report}"
        );
        assert_eq!(
            measurement(&out, "branches_total"),
            t["num_branches"].as_f64().unwrap(),
            "{report}"
        );
    }
}

#[test]
fn junitparser_written_files_are_counted_as_written() {
    let Some(py) = python() else { return };
    let repo = Repo::with(&[]);
    let script = r#"
import sys
from junitparser import JUnitXml, TestSuite, TestCase, Failure, Error, Skipped
xml = JUnitXml()
for s in range(3):
    suite = TestSuite(f"suite{s}")
    for i in range(40):
        case = TestCase(f"t{i}", classname=f"pkg.S{s}")
        if i % 7 == 0:
            case.result = [Failure("boom")]
        elif i % 11 == 0:
            case.result = [Error("crash")]
        elif i % 13 == 0:
            case.result = [Skipped("later")]
        suite.add_testcase(case)
    xml.add_testsuite(suite)
xml.write(sys.argv[1])
"#;
    let status = Command::new(&py)
        .args(["-c", script, repo.path("jp.xml").to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    // Per suite of 40: failures i%7==0 → 6; errors i%11==0 and not %7 → 11,22,33 → 3;
    // skipped i%13==0 and neither → 13,26,39 → 3.
    let out = run_spec::<tests::Kind>(&tests_spec("results: jp.xml\n"), &repo.ctx());
    assert_eq!(measurement(&out, "total"), 120.0);
    assert_eq!(measurement(&out, "failed"), 18.0);
    assert_eq!(measurement(&out, "errors"), 9.0);
    assert_eq!(measurement(&out, "skipped"), 9.0);
    // And junitparser's own reading of the same file agrees.
    let check = "import sys\nfrom junitparser import JUnitXml\nx=JUnitXml.fromfile(sys.argv[1])\nprint(sum(1 for s in x for c in s), sum(1 for s in x for c in s if c.is_passed))";
    let o = Command::new(&py)
        .args(["-c", check, repo.path("jp.xml").to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(text.trim(), format!("120 {}", measurement(&out, "passed")), "{text}");
}
