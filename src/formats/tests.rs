//! Reader tests against the fixtures in `fixtures/formats/`. Expected counts for fixtures made
//! by real tools come from the tool's own summary (read from the file saved next to the
//! fixture); for hand-written fixtures, from the fixture's header comment.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::*;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/formats").join(rel)
}

fn counts(rel: &str) -> TestCounts {
    read_tests(&fixture(rel), None).unwrap_or_else(|e| panic!("{e}")).counts()
}

fn tc(total: u64, passed: u64, failed: u64, errors: u64, skipped: u64, flaky: u64) -> TestCounts {
    TestCounts { total, passed, failed, errors, skipped, flaky }
}

/// `N word` from a summary line such as pytest's `1 failed, 4 passed, 1 skipped in 0.08s`.
fn summary_number(text: &str, word: &str) -> u64 {
    let re = regex::Regex::new(&format!(r"(\d+) {word}")).unwrap();
    re.captures(text).map_or(0, |c| c[1].parse().unwrap())
}

#[test]
fn pytest_both_junit_families_match_pytest_summary() {
    for family in ["xunit1", "xunit2"] {
        let summary =
            std::fs::read_to_string(fixture(&format!("pytest/summary-{family}.txt"))).unwrap();
        let last = summary.lines().last().unwrap();
        let (failed, passed, skipped) = (
            summary_number(last, "failed"),
            summary_number(last, "passed"),
            summary_number(last, "skipped"),
        );
        let path = format!("pytest/junit-{family}.xml");
        assert_eq!(detect_test_format(&fixture(&path)).unwrap(), TestFormat::Junit);
        let c = counts(&path);
        assert_eq!(c, tc(failed + passed + skipped, passed, failed, 0, skipped, 0), "{family}");
    }
}

#[test]
fn pytest_failure_message_is_kept_and_bounded() {
    let r = read_tests(&fixture("pytest/junit-xunit1.xml"), None).unwrap();
    let failed = r.cases.iter().find(|c| c.status == CaseStatus::Failed).unwrap();
    assert_eq!(failed.name, "test_clamp_wrong_on_purpose");
    assert!(failed.message.as_deref().unwrap().contains("assert 10 == 50"));
    assert_eq!(failed.file.as_deref(), Some("tests/test_sample.py"));
}

#[test]
fn nextest_flaky_and_rerun_failures() {
    // nextest: "4 tests run: 3 passed (1 flaky), 1 failed, 1 skipped"; skipped tests are not
    // written to its JUnit report.
    let summary = std::fs::read_to_string(fixture("nextest/summary.txt")).unwrap();
    let run = summary_number(&summary, "tests run:");
    let r = read_tests(&fixture("nextest/junit.xml"), None).unwrap();
    let c = r.counts();
    assert_eq!(c.total, run);
    assert_eq!(c.passed, summary_number(&summary, "passed"));
    assert_eq!(c.failed, summary_number(&summary, "failed"));
    assert_eq!(c.flaky, 1);
    let flaky = r.cases.iter().find(|c| c.flaky).unwrap();
    assert_eq!((flaky.name.as_str(), flaky.status), ("tests::flaky", CaseStatus::Passed));
}

#[test]
fn node_junit_and_tap_match_node_summary() {
    // node counts the `group` suite as a passing test: `tests 7, pass 4, skipped 1, todo 1`.
    let summary = std::fs::read_to_string(fixture("node/summary.txt")).unwrap();
    let word = |w: &str| {
        summary
            .lines()
            .find_map(|l| l.strip_prefix(&format!("# {w} ")))
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    let suites_as_tests = 1; // the `group` test that only holds subtests
    let expected = tc(
        word("tests") - suites_as_tests,
        word("pass") - suites_as_tests,
        word("fail"),
        0,
        word("skipped") + word("todo"),
        0,
    );
    assert_eq!(counts("node/junit.xml"), expected);
    assert_eq!(detect_test_format(&fixture("node/tap.txt")).unwrap(), TestFormat::Tap);
    assert_eq!(counts("node/tap.txt"), expected);
}

#[test]
fn libtest_json_matches_suite_summary() {
    // The suite event: "passed": 2, "failed": 2, "ignored": 1.
    let text = std::fs::read_to_string(fixture("libtest/libtest.json")).unwrap();
    let suite: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    let n = |k: &str| suite[k].as_u64().unwrap();
    assert_eq!(
        counts("libtest/libtest.json"),
        tc(n("passed") + n("failed") + n("ignored"), n("passed"), n("failed"), 0, n("ignored"), 0)
    );
}

#[test]
fn hand_written_test_formats() {
    assert_eq!(counts("spec/surefire.xml"), tc(6, 3, 1, 1, 1, 1));
    assert_eq!(counts("spec/jest-junit.xml"), tc(4, 2, 1, 0, 1, 0));
    assert_eq!(counts("spec/go-junit-report.xml"), tc(4, 2, 1, 0, 1, 0));
    assert_eq!(counts("spec/phpunit-nested.xml"), tc(5, 4, 1, 0, 0, 0));
    assert_eq!(detect_test_format(&fixture("spec/results.trx")).unwrap(), TestFormat::Trx);
    assert_eq!(counts("spec/results.trx"), tc(7, 3, 3, 0, 1, 0));
    assert_eq!(detect_test_format(&fixture("spec/go-test.json")).unwrap(), TestFormat::GoJson);
    assert_eq!(counts("spec/go-test.json"), tc(5, 2, 1, 1, 1, 0));
    assert_eq!(detect_test_format(&fixture("spec/jest.json")).unwrap(), TestFormat::JestJson);
    assert_eq!(counts("spec/jest.json"), tc(6, 2, 1, 1, 2, 0));
    assert_eq!(counts("spec/tap14-edge.tap"), tc(8, 3, 2, 1, 2, 0));
    assert_eq!(counts("spec/tap-bail.tap"), tc(4, 1, 0, 3, 0, 0));
}

#[test]
fn trx_takes_class_names_and_messages() {
    let r = read_tests(&fixture("spec/results.trx"), None).unwrap();
    let div = r.cases.iter().find(|c| c.name == "Divides").unwrap();
    assert_eq!(div.full_name(), "Calc.Tests.CalcTests.Divides");
    assert!(div.message.as_deref().unwrap().contains("Expected 2"));
}

#[test]
fn go_json_reports_build_failure_and_subtest_leaves() {
    let r = read_tests(&fixture("spec/go-test.json"), None).unwrap();
    let names: Vec<String> = r.cases.iter().map(TestCase::full_name).collect();
    assert!(names.contains(&"example.com/calc.TestTable/negative".to_string()));
    assert!(!names.contains(&"example.com/calc.TestTable".to_string()));
    let broken = r.cases.iter().find(|c| c.classname == "example.com/broken").unwrap();
    assert_eq!(broken.status, CaseStatus::Error);
    assert!(broken.message.as_deref().unwrap().contains("syntax error"));
}

fn write_temp(content: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(content).unwrap();
    f
}

#[test]
fn bad_input_names_file_and_position() {
    let full = std::fs::read(fixture("pytest/junit-xunit2.xml")).unwrap();
    let truncated = write_temp(&full[..full.len() / 2]);
    let err = read_tests(truncated.path(), None).unwrap_err();
    assert!(err.message.contains("truncated"), "{err}");
    assert!(matches!(err.position, Some(Position::Byte(_))), "{err}");
    assert!(err.to_string().starts_with(&truncated.path().display().to_string()));

    let empty = write_temp(b"");
    let err = read_tests(empty.path(), None).unwrap_err();
    assert!(err.message.contains("empty"), "{err}");

    let garbage = write_temp(&[0x7f, b'E', b'L', b'F', 0, 1, 2, 0xff, 0xfe]);
    let err = read_tests(garbage.path(), None).unwrap_err();
    assert_eq!(err.position, Some(Position::Byte(4)), "{err}");
    let err = read_coverage(garbage.path(), None).unwrap_err();
    assert!(err.message.contains("binary"), "{err}");

    // Wrong format: a coverage report given as test results, and forced as JUnit.
    let cov = fixture("coverage-py/coverage.xml");
    assert!(detect_test_format(&cov).unwrap_err().message.contains("format"));
    let err = read_tests(&cov, Some(TestFormat::Junit)).unwrap_err();
    assert!(err.message.contains("not JUnit"), "{err}");
    let err = read_tests(&fixture("spec/jest.json"), Some(TestFormat::GoJson)).unwrap_err();
    assert!(err.message.contains("go test -json"), "{err}");

    // Mismatched tags: quick-xml reports the byte offset.
    let bad = write_temp(b"<testsuite><testcase name=\"a\"></testsuite>");
    let err = read_tests(bad.path(), Some(TestFormat::Junit)).unwrap_err();
    assert!(matches!(err.position, Some(Position::Byte(_))), "{err}");

    // A truncated JSON event stream names the line.
    let go = std::fs::read_to_string(fixture("spec/go-test.json")).unwrap();
    let cut = write_temp(&go.as_bytes()[..go.len() - 30]);
    let err = read_tests(cut.path(), Some(TestFormat::GoJson)).unwrap_err();
    assert_eq!(err.position, Some(Position::Line(go.lines().count() as u64)), "{err}");

    let lcov = write_temp(b"SF:a.rs\nDA:1,1\n");
    let err = read_coverage(lcov.path(), None).unwrap_err();
    assert!(err.message.contains("truncated"), "{err}");
    let lcov = write_temp(b"SF:a.rs\nDA:x,1\nend_of_record\n");
    let err = read_coverage(lcov.path(), None).unwrap_err();
    assert_eq!(err.position, Some(Position::Line(2)), "{err}");
}

#[test]
fn tap_without_plan_is_an_error_case() {
    let f = write_temp(b"ok 1 - a\nok 2 - b\n");
    let c = read_tests(f.path(), None).unwrap().counts();
    assert_eq!(c, tc(3, 2, 0, 1, 0, 0));
}

fn cov(rel: &str) -> (Ratio, Ratio) {
    let r = read_coverage(&fixture(rel), None).unwrap_or_else(|e| panic!("{e}"));
    (r.lines(), r.branches())
}

#[test]
fn coverage_py_three_formats_agree_with_coverage_py_totals() {
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("coverage-py/coverage.json")).unwrap(),
    )
    .unwrap();
    let t = &json["totals"];
    let n = |k: &str| t[k].as_u64().unwrap();
    let lines = Ratio::new(n("covered_lines"), n("num_statements"));
    let branches = Ratio::new(n("covered_branches"), n("num_branches"));
    // percent_covered blends lines and branches; ours must be the pure line figure.
    assert!((lines.percent().unwrap() - t["percent_covered"].as_f64().unwrap()).abs() > 1.0);
    for (rel, format) in [
        ("coverage-py/coverage.json", CoverageFormat::CoveragePy),
        ("coverage-py/coverage.xml", CoverageFormat::Cobertura),
        ("coverage-py/coverage.lcov", CoverageFormat::Lcov),
    ] {
        assert_eq!(detect_coverage_format(&fixture(rel)).unwrap(), format, "{rel}");
        assert_eq!(cov(rel), (lines, branches), "{rel}");
    }
}

#[test]
fn hand_written_coverage_formats() {
    let r = Ratio::new;
    assert_eq!(cov("spec/jacoco.xml"), (r(3, 6), r(2, 4)));
    assert_eq!(cov("spec/go.coverprofile"), (r(5, 7), r(0, 0)));
    assert_eq!(cov("spec/llvm-cov.json"), (r(30, 50), r(3, 4)));
    assert_eq!(cov("spec/coverage-summary.json"), (r(21, 30), r(6, 10)));
    assert_eq!(cov("spec/coverage-final.json"), (r(3, 4), r(2, 5)));
    assert_eq!(cov("spec/clover.xml"), (r(12, 15), r(1, 4)));
    assert_eq!(cov("spec/opencover.xml"), (r(3, 4), r(1, 2)));
    assert_eq!(cov("spec/repeated.lcov"), (r(2, 4), r(1, 2)));
}

#[test]
fn merging_reports_unions_lines_of_shared_files() {
    let a = write_temp(b"SF:src/x.rs\nDA:1,1\nDA:2,0\nend_of_record\n");
    let b = write_temp(
        b"SF:src/x.rs\nDA:1,0\nDA:2,3\nend_of_record\nSF:src/y.rs\nDA:1,0\nend_of_record\n",
    );
    let mut merged = read_coverage(a.path(), None).unwrap();
    merged.merge(read_coverage(b.path(), None).unwrap());
    assert_eq!(merged.lines(), Ratio::new(2, 3));
}

#[test]
fn messages_are_bounded() {
    let long = "x".repeat(MAX_MESSAGE_CHARS * 3);
    assert_eq!(bound_message(&long).chars().count(), MAX_MESSAGE_CHARS + 1);
}

#[test]
fn jest_json_and_jest_junit_match_jest_summary() {
    // Jest: "Tests: 1 failed, 1 skipped, 1 todo, 3 passed, 6 total". jest-junit's own
    // `tests="5"` attribute disagrees with its six <testcase>s: counting cases is right. But
    // jest-junit writes a `test.todo` as a bare <testcase> (no <skipped>), so in its XML the
    // todo is indistinguishable from a pass.
    let summary = std::fs::read_to_string(fixture("jest/summary.txt")).unwrap();
    let line = summary.lines().find(|l| l.starts_with("Tests:")).unwrap();
    let n = |w: &str| summary_number(line, w);
    let expected = tc(n("total"), n("passed"), n("failed"), 0, n("skipped") + n("todo"), 0);
    assert_eq!(detect_test_format(&fixture("jest/jest.json")).unwrap(), TestFormat::JestJson);
    assert_eq!(counts("jest/jest.json"), expected);
    let junit = tc(n("total"), n("passed") + n("todo"), n("failed"), 0, n("skipped"), 0);
    assert_eq!(counts("jest/jest-junit.xml"), junit);
}

#[test]
fn oversized_reports_and_huge_line_numbers_are_bounded() {
    // A sparse 2 GB file: refused up front, naming the file and the limit's byte offset.
    let f = tempfile::NamedTempFile::new().unwrap();
    f.as_file().set_len(2 << 30).unwrap();
    let err = read_tests(f.path(), Some(TestFormat::Junit)).unwrap_err();
    assert_eq!(err.position, Some(Position::Byte(MAX_REPORT_BYTES)), "{err}");
    assert!(err.message.contains("limit"), "{err}");
    assert!(read_coverage(f.path(), Some(CoverageFormat::Lcov)).is_err());
    // A line number near u32::MAX does not allocate a huge bit set, and still counts.
    let lcov = write_temp(b"SF:a.rs\nDA:1,1\nDA:4000000000,0\nend_of_record\n");
    let r = read_coverage(lcov.path(), None).unwrap();
    assert_eq!(r.lines(), Ratio::new(1, 2));
}

/// Found by the `coverage` fuzz target (docs/fuzzing.md): a JaCoCo `<line mb="67201000">` was
/// expanded into 67 million branch entries (a 13 s hang, and `mb + cb` could overflow). Branch
/// counts given as numbers are now bounded per line and per report, with a located error.
#[test]
fn branch_counts_given_as_numbers_are_bounded() {
    let jacoco = |mb: &str| {
        format!(
            "<?xml version=\"1.0\"?><report name=\"r\"><package name=\"p\"><sourcefile name=\"A.java\"><line nr=\"3\" mi=\"0\" ci=\"1\" mb=\"{mb}\" cb=\"1\"/></sourcefile></package></report>"
        )
    };
    let ok = write_temp(jacoco("3").as_bytes());
    let r = read_coverage(ok.path(), Some(CoverageFormat::Jacoco)).unwrap();
    assert_eq!((r.branches().covered, r.branches().total), (1, 4));
    for mb in ["67201000", "4294967295"] {
        let f = write_temp(jacoco(mb).as_bytes());
        let err = read_coverage(f.path(), Some(CoverageFormat::Jacoco)).unwrap_err();
        assert!(
            err.message.contains("<line nr=\"3\">") && err.message.contains("plausible"),
            "{err}"
        );
    }
    let cobertura = |cc: &str| {
        format!(
            "<?xml version=\"1.0\"?><coverage><packages><package><classes><class filename=\"a.py\"><lines><line number=\"7\" hits=\"1\" branch=\"true\" condition-coverage=\"{cc}\"/></lines></class></classes></package></packages></coverage>"
        )
    };
    let f = write_temp(cobertura("50% (1/4000000000)").as_bytes());
    let err = read_coverage(f.path(), Some(CoverageFormat::Cobertura)).unwrap_err();
    assert!(err.message.contains("<line number=\"7\">"), "{err}");
    // Many plausible lines still add up to an implausible report.
    let mut many = String::from(
        "<?xml version=\"1.0\"?><coverage><packages><package><classes><class filename=\"a.py\"><lines>",
    );
    for n in 1..=500 {
        many.push_str(&format!(
            "<line number=\"{n}\" hits=\"1\" branch=\"true\" condition-coverage=\"0% (0/9000)\"/>"
        ));
    }
    many.push_str("</lines></class></classes></package></packages></coverage>");
    let f = write_temp(many.as_bytes());
    let err = read_coverage(f.path(), Some(CoverageFormat::Cobertura)).unwrap_err();
    assert!(err.message.contains("in one report"), "{err}");
}

/// `time="NaN"` parses as a float; it is read as no time, so nothing downstream orders by it.
#[test]
fn junit_nan_time_is_no_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.xml");
    std::fs::write(
        &path,
        r#"<testsuite name="s"><testcase classname="c" name="a" time="NaN"/><testcase classname="c" name="b" time="1,5"/></testsuite>"#,
    )
    .unwrap();
    let report = read_tests(&path, None).unwrap();
    let times: Vec<Option<f64>> = report.cases.iter().map(|c| c.time).collect();
    assert_eq!(times, vec![None, Some(15.0)]);
}

/// A FIFO where a report should be (a check's process can swap one in after the glob saw a
/// file) is refused at once, never waited on.
#[test]
fn a_fifo_in_place_of_a_report_is_refused_without_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("junit.xml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let e = super::open_report(&fifo).unwrap_err();
    assert!(e.to_string().contains("not a regular file"), "{e}");
    let real = dir.path().join("real.xml");
    std::fs::write(&real, "<testsuite/>").unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut super::open_report(&real).unwrap(), &mut text).unwrap();
    assert_eq!(text, "<testsuite/>");
}
