//! Reports: every format on a run with every status (snapshots), the interop checks (JUnit
//! against the strict XSD and Python junitparser, SARIF against the OASIS schema, Markdown
//! through cmark-gfm), annotation escaping, and the commands end to end (check --report,
//! report, diff, --baseline, waivers, badge, aggregate).

use std::path::PathBuf;
use std::process::Command;

use readyctl::record::RunRecord;
use readyctl::report::{self, ReportFormat};

use crate::support::*;

/// A missing peer: SKIP locally, a failure under CI.
fn peer_missing(why: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("peer missing under CI: {why}");
    }
    eprintln!("SKIP: {why}");
}

fn shared_schema(name: &str) -> Option<PathBuf> {
    let p = repo_root().join("../shared/schemas").join(name);
    if p.is_file() {
        Some(p)
    } else {
        peer_missing(&format!("{} not found", p.display()));
        None
    }
}

fn tool(name: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        peer_missing(&format!("`{name}` is not installed"));
    }
    found
}

fn python() -> Option<PathBuf> {
    match std::env::var_os("READYCTL_TEST_PYTHON") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            peer_missing(
                "READYCTL_TEST_PYTHON is not set (a python with scripts/requirements-test.txt)",
            );
            None
        }
    }
}

/// A run with every status, locations, a waiver (applied, expired), hostile text.
pub fn sample_record() -> RunRecord {
    let v = serde_json::json!({
        "tool": { "name": "readyctl", "version": "0.1.0" },
        "run": {
            "id": "20250101T000000Z-abc123",
            "started": "2025-01-01T00:00:00.000Z",
            "finished": "2025-01-01T00:00:12.345Z",
            "invocation": ["readyctl", "check", "--sign"],
            "interrupted": false,
            "signer_keyid": "c0ffee00c0ffee00"
        },
        "repository": { "commit": "0123456789abcdef0123456789abcdef01234567", "branch": "main",
                        "remote": "https://example.com/pay.git", "dirty": false, "uncommitted_sha256": null },
        "checklist": { "name": "payments-api", "source": "readiness.yaml",
                       "sha256": "aa".repeat(32), "sources": [{ "path": "readiness.yaml", "sha256": "bb".repeat(32) }] },
        "policy": { "fail_on": "high" },
        "results": [
            { "id": "tests.unit", "title": "Unit tests pass", "area": "testing", "severity": "critical",
              "level": "bronze", "probe": "command", "status": "pass", "reason": "exit code 0",
              "duration_ms": 1234, "attempts": 1, "defined_at": "readiness.yaml:10",
              "evidence": [{ "path": "evidence/tests.unit/stdout.log", "sha256": "cc".repeat(32), "size": 10 }] },
            { "id": "security.no-keys", "title": "No private key is committed", "area": "security",
              "severity": "critical", "level": "bronze", "probe": "search", "status": "fail",
              "reason": "2 matches of `-----BEGIN` <script>alert(1)</script> | pipe & \"quote\" 100% done, ok: yes",
              "duration_ms": 56, "attempts": 1, "defined_at": "readiness.yaml:20",
              "remediation": "Remove the key\nand rotate it.",
              "locations": [
                  { "path": "deploy/key.pem", "line": 1, "column": 1, "message": "private key", "rule": "pem" },
                  { "path": "src/a,b:c.py", "line": 7, "message": "private key", "rule": "pem" }
              ],
              "evidence": [{ "path": "evidence/security.no-keys/matches.json", "sha256": "dd".repeat(32), "size": 42 }] },
            { "id": "build.lint", "title": "Lint is clean", "area": "testing", "severity": "high",
              "level": "silver", "probe": "command", "status": "error",
              "reason": "`ruff` not found on PATH", "duration_ms": 3, "attempts": 2,
              "defined_at": "readiness.yaml:30",
              "evidence": [{ "path": "evidence/build.lint/stderr.log", "sha256": "ee".repeat(32), "size": 4000 }] },
            { "id": "api.health", "title": "Health endpoint answers", "area": "operability",
              "severity": "high", "level": "silver", "probe": "http", "status": "skip",
              "skip_cause": "dependency", "reason": "needs tests.unit2, which did not pass",
              "duration_ms": 0, "attempts": 0, "defined_at": "readiness.yaml:40" },
            { "id": "coverage.lines", "title": "Line coverage at least 60%", "area": "testing",
              "severity": "medium", "level": "gold", "probe": "coverage", "status": "waived",
              "reason": "line coverage 41.5% < 60% (waived: legacy module)", "duration_ms": 20, "attempts": 1,
              "defined_at": "readiness.yaml:50",
              "measurements": [{ "name": "lines", "value": 41.5, "unit": "percent", "threshold": ">= 60" }],
              "waiver": { "waived_from": "fail", "original_reason": "line coverage 41.5% < 60%",
                          "reason": "legacy module", "approved_by": "alice", "ticket": "PAY-123",
                          "expires": "2027-01-31", "source": "readiness.yaml:70" } },
            { "id": "ops.runbook", "title": "On-call runbook reviewed", "area": "operability",
              "severity": "medium", "probe": "manual", "status": "pending",
              "reason": "awaiting sign-off by the on-call lead", "duration_ms": 0, "attempts": 0,
              "defined_at": "builtin:base:12" },
            { "id": "docs.changelog", "title": "Changelog", "area": "documentation", "severity": "low",
              "level": "gold", "probe": "file", "status": "fail", "reason": "CHANGELOG.md is missing",
              "duration_ms": 1, "attempts": 1, "defined_at": "readiness.yaml:60" }
        ],
        "summary": {
            "verdict": "NOT READY", "because": ["blocking check failed: security.no-keys"],
            "total": 7, "counts": { "pass": 1, "fail": 2, "error": 1, "skip": 1, "waived": 1, "pending": 1 },
            "score": 41.9, "level": null,
            "next_level": { "level": "bronze", "missing": ["security.no-keys"] },
            "interrupted": false
        },
        "redactions": { "evidence/build.lint/stderr.log": { "aws-access-key": 1 } },
        "waivers": [
            { "check": "coverage.lines", "reason": "legacy module", "approved_by": "alice", "ticket": "PAY-123",
              "expires": "2027-01-31", "source": "readiness.yaml:70", "state": "applied", "applied_to": ["coverage.lines"] },
            { "check": "docs.*", "reason": "docs sprint", "expires": "2024-06-30", "source": "readiness.yaml:76",
              "state": "expired", "notes": ["expired on 2024-06-30"] }
        ]
    });
    serde_json::from_value(v).expect("the sample is a valid RunRecord")
}

/// A run directory with the sample's log files (one longer than the excerpt).
fn sample_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let lint = dir.path().join("evidence/build.lint/stderr.log");
    std::fs::create_dir_all(lint.parent().unwrap()).unwrap();
    let mut log = String::new();
    for i in 1..=60 {
        log.push_str(&format!("line {i}: ruff: command not found ``` </details> |\n"));
    }
    std::fs::write(&lint, log).unwrap();
    dir
}

fn render(format: ReportFormat) -> String {
    let dir = sample_dir();
    String::from_utf8(report::render(format, &sample_record(), Some(dir.path()))).unwrap()
}

#[test]
fn markdown_snapshot() {
    let md = render(ReportFormat::Md);
    // Deterministic: the same record renders to the same bytes.
    assert_eq!(md, render(ReportFormat::Md));
    assert!(md.contains("level none, 1 check from bronze"));
    assert!(md.contains("line 60:") && !md.contains("line 20:"), "last 40 lines only");
    insta::assert_snapshot!("report_md", md);
}

#[test]
fn markdown_renders_as_gfm_with_tables_and_details() {
    if !tool("cmark-gfm") {
        return;
    }
    let md = render(ReportFormat::Md);
    let mut child = Command::new("cmark-gfm")
        .args(["--unsafe", "--extension", "table", "--extension", "autolink"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(md.as_bytes()).unwrap();
    let html = text(&child.wait_with_output().unwrap().stdout);
    let tables_md = md.lines().filter(|l| l.starts_with("|---")).count();
    assert_eq!(html.matches("<table>").count(), tables_md, "every table renders:\n{html}");
    // Rows stay rows: the results tables (what did not pass, then the passing ones collapsed)
    // have one <tr> per check plus a header each.
    let results = html.split("<h2>All results</h2>").nth(1).unwrap();
    let results = &results[..results.find("<h2>").unwrap()];
    assert_eq!(results.matches("<tr>").count(), 2 + sample_record().results.len());
    // The log excerpt is a details block whose content is escaped code, not HTML.
    assert!(html.contains("<details><summary>"), "{html}");
    assert!(html.contains("<pre><code class=\"language-text\">"), "{html}");
    assert_eq!(html.matches("<details>").count(), html.matches("</details>").count());
    // Hostile text from a check's reason never becomes HTML.
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;"));
}

#[test]
fn markdown_stays_under_one_mebibyte() {
    let mut record = sample_record();
    let template = record.results[1].clone();
    let dir = tempfile::tempdir().unwrap();
    let big_line = "x".repeat(5000);
    for i in 0..3000 {
        let mut r = template.clone();
        r.id = format!("check.{i:04}");
        r.reason = format!("{i} {}", "reason ".repeat(60));
        let log = format!("evidence/check.{i:04}/stdout.log");
        std::fs::create_dir_all(dir.path().join(format!("evidence/check.{i:04}"))).unwrap();
        std::fs::write(dir.path().join(&log), format!("{big_line}\n").repeat(50)).unwrap();
        r.evidence = vec![readyctl::outcome::EvidenceFile {
            path: log,
            sha256: "ab".repeat(32),
            size: 250_050,
        }];
        record.results.push(r);
    }
    let md = readyctl::report::markdown::render(&record, Some(dir.path()));
    assert!(md.len() <= readyctl::report::markdown::MAX_BYTES, "{} bytes", md.len());
    assert!(md.contains("## How to verify this report") || md.contains("report truncated"));
}

#[test]
fn json_is_the_record() {
    let json = render(ReportFormat::Json);
    let back: RunRecord = serde_json::from_str(&json).unwrap();
    assert_eq!(back, sample_record());
}

#[test]
fn junit_snapshot() {
    insta::assert_snapshot!("report_junit", render(ReportFormat::Junit));
}

#[test]
fn junit_validates_against_the_strict_xsd() {
    let (Some(xsd), true) = (shared_schema("junit-10.xsd"), tool("xmllint")) else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("junit.xml");
    let xml = render(ReportFormat::Junit);
    assert!(xml.contains(r#" file="deploy/key.pem" line="1">"#), "{xml}");
    std::fs::write(&file, &xml).unwrap();
    // The strict schema plus exactly the two testcase attributes GitLab and the GitHub
    // test-report actions read (`file`, `line`): nothing else may differ from junit-10.xsd.
    let strict = std::fs::read_to_string(&xsd).unwrap();
    let anchor = r#"<xs:attribute name="group" type="xs:string"/>
        </xs:complexType>
    </xs:element>

    <xs:element name="testsuite">"#;
    assert_eq!(strict.matches(anchor).count(), 1, "junit-10.xsd changed: update this test");
    let extended = strict.replace(
        anchor,
        &anchor.replacen(
            "/>",
            r#"/>
            <xs:attribute name="file" type="xs:string"/>
            <xs:attribute name="line" type="xs:nonNegativeInteger"/>"#,
            1,
        ),
    );
    let extended_xsd = dir.path().join("junit-10-file-line.xsd");
    std::fs::write(&extended_xsd, extended).unwrap();
    for (schema, expect_valid) in [(&extended_xsd, true), (&xsd, false)] {
        let o = Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(schema)
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(o.status.success(), expect_valid, "{}: {}", schema.display(), text(&o.stderr));
    }
    // Without the two attributes, the file is valid against the strict schema itself.
    let stripped = regex::Regex::new(r#" (file|line)="[^"]*""#).unwrap().replace_all(&xml, "");
    std::fs::write(&file, stripped.as_bytes()).unwrap();
    let o = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(&file)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
}

#[test]
fn junit_is_read_correctly_by_junitparser() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("junit.xml");
    // Control characters in output must not break the XML.
    let mut record = sample_record();
    record.results[2].reason.push_str(" \u{1b}[31mred\u{1b}[0m \u{0}");
    std::fs::write(&file, report::render(ReportFormat::Junit, &record, None)).unwrap();
    let script = r#"
import json, sys
from junitparser import JUnitXml, Failure, Error, Skipped
xml = JUnitXml.fromfile(sys.argv[1])
out = []
for suite in xml:
    for case in suite:
        kinds = [type(r).__name__ for r in case.result]
        msgs = [r.message for r in case.result]
        out.append({"suite": suite.name, "name": case.name, "kinds": kinds, "messages": msgs, "time": case.time})
print(json.dumps({"tests": xml.tests, "failures": xml.failures, "errors": xml.errors, "cases": out}))
"#;
    let o = Command::new(py).arg("-c").arg(script).arg(&file).output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["tests"], 7);
    assert_eq!(v["failures"], 2);
    assert_eq!(v["errors"], 1);
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 7);
    let case =
        |id: &str| cases.iter().find(|c| c["name"].as_str().unwrap().starts_with(id)).unwrap();
    assert_eq!(case("tests.unit")["kinds"], serde_json::json!([]));
    assert_eq!(case("tests.unit")["time"], 1.234);
    assert_eq!(case("security.no-keys")["kinds"], serde_json::json!(["Failure"]));
    assert_eq!(case("security.no-keys")["suite"], "security");
    assert!(case("security.no-keys")["messages"][0].as_str().unwrap().contains("<script>"));
    assert_eq!(case("build.lint")["kinds"], serde_json::json!(["Error"]));
    for id in ["api.health", "coverage.lines", "ops.runbook"] {
        assert_eq!(case(id)["kinds"], serde_json::json!(["Skipped"]), "{id}");
    }
    assert!(
        case("coverage.lines")["messages"][0]
            .as_str()
            .unwrap()
            .contains("was fail: line coverage 41.5%")
    );
}

#[test]
fn sarif_snapshot() {
    insta::assert_snapshot!("report_sarif", render(ReportFormat::Sarif));
}

#[test]
fn sarif_validates_against_the_oasis_schema() {
    let Some(schema) = shared_schema("sarif-schema-2.1.0.json") else { return };
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let sarif: serde_json::Value = serde_json::from_str(&render(ReportFormat::Sarif)).unwrap();
    let errors: Vec<String> =
        validator.iter_errors(&sarif).map(|e| format!("{e} at {}", e.instance_path)).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // A rule per check, results for fail/error/waived (one per location), waived suppressed.
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), 7);
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2 + 1 + 1 + 1);
    let key = &results[1]["locations"][0]["physicalLocation"];
    assert_eq!(key["artifactLocation"]["uri"], "src/a,b:c.py");
    assert_eq!(key["region"]["startLine"], 7);
    let waived = results.iter().find(|r| r["ruleId"] == "coverage.lines").unwrap();
    assert_eq!(waived["suppressions"][0]["kind"], "external");
    let lint = results.iter().find(|r| r["ruleId"] == "build.lint").unwrap();
    assert_eq!(lint["locations"][0]["physicalLocation"]["region"]["startLine"], 30);
}

#[test]
fn sarif_fingerprints_survive_line_moves_and_stay_distinct() {
    let fps = |r: &RunRecord| -> Vec<String> {
        let v = readyctl::report::sarif::render(r);
        v["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["partialFingerprints"]["readyctl/v1"].as_str().unwrap().to_string())
            .collect()
    };
    let a = sample_record();
    let mut b = sample_record();
    b.results[1].locations[0].line = Some(99);
    b.results[2].defined_at = "readiness.yaml:31".into();
    assert_eq!(fps(&a), fps(&b));
    let mut all = fps(&a);
    all.sort();
    all.dedup();
    assert_eq!(all.len(), fps(&a).len(), "fingerprints are unique");
}

#[test]
fn tap_snapshot() {
    let tap = render(ReportFormat::Tap);
    assert!(tap.starts_with("TAP version 13\n1..7\n"));
    insta::assert_snapshot!("report_tap", tap);
}

#[test]
fn gitlab_snapshot() {
    let v: serde_json::Value = serde_json::from_str(&render(ReportFormat::Gitlab)).unwrap();
    // fail (2 locations) + error + fail: waived, skipped and pending are not issues.
    assert_eq!(v.as_array().unwrap().len(), 4);
    insta::assert_json_snapshot!("report_gitlab", v);
}

#[test]
fn github_annotations_are_escaped_and_bounded() {
    let mut record = sample_record();
    record.results[1].title = "Keys: none, 100%\r\nreally".into();
    let out = readyctl::report::github::annotations(&record);
    insta::assert_snapshot!("report_github", out);
    let first = out.lines().next().unwrap();
    assert_eq!(
        first,
        "::error file=deploy/key.pem,line=1,col=1,title=security.no-keys failed::Keys%3A none%2C 100%25%0D%0Areally: \
         2 matches of `-----BEGIN` <script>alert(1)</script> | pipe & \"quote\" 100%25 done, ok: yes%0ARemediation: Remove the key%0Aand rotate it."
            .replace("Keys%3A none%2C", "Keys: none,")
    );
    // Properties escape `:` and `,` too.
    let mut r2 = sample_record();
    r2.results[1].locations.clear();
    r2.results[1].defined_at = "we,ird:dir/readiness.yaml:20".into();
    let out = readyctl::report::github::annotations(&r2);
    assert!(out.contains("::error file=we%2Cird%3Adir/readiness.yaml,line=20,"), "{out}");
    // At most 10 errors and 10 warnings, then a notice.
    let mut many = sample_record();
    let t = many.results[1].clone();
    for i in 0..25 {
        let mut r = t.clone();
        r.id = format!("x{i}");
        many.results.push(r);
    }
    let out = readyctl::report::github::annotations(&many);
    assert_eq!(out.lines().filter(|l| l.starts_with("::error ")).count(), 10);
    assert!(out.contains("::notice title=readyctl::17 more errors"), "{out}");
}

#[test]
fn step_summary_is_appended_within_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("summary.md");
    std::fs::write(&f, "previous step\n").unwrap();
    readyctl::report::github::append_summary(&f, "# hello").unwrap();
    assert_eq!(std::fs::read_to_string(&f).unwrap(), "previous step\n# hello\n");
    let huge = "é".repeat(700_000);
    readyctl::report::github::append_summary(&f, &huge).unwrap();
    let len = std::fs::metadata(&f).unwrap().len();
    assert!(len <= readyctl::report::github::SUMMARY_LIMIT, "{len}");
    assert!(std::fs::read_to_string(&f).unwrap().contains("report cut to fit"));
}

#[test]
fn badge_is_valid_svg() {
    let svg = readyctl::report::badge::render(&sample_record());
    insta::assert_snapshot!("report_badge", svg);
    if !tool("xmllint") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("b.svg");
    std::fs::write(&f, &svg).unwrap();
    let o = Command::new("xmllint").arg("--noout").arg(&f).output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
}

#[test]
fn diff_names_regressions_fixes_waivers_and_evidence() {
    let old = sample_record();
    let mut new = sample_record();
    new.results[0].status = readyctl::outcome::Status::Fail; // tests.unit regressed
    new.results[6].status = readyctl::outcome::Status::Pass; // docs.changelog fixed
    new.results[0].evidence[0].sha256 = "ff".repeat(32);
    new.waivers[0].state = readyctl::waiver::WaiverState::Expired;
    let d = readyctl::report::diff::diff(&old, &new);
    assert!(d.regression);
    assert_eq!(d.new_failures, vec!["tests.unit"]);
    assert_eq!(d.fixed, vec!["docs.changelog"]);
    assert_eq!(d.waivers_expired, vec!["coverage.lines (legacy module)"]);
    assert_eq!(d.evidence_changed.len(), 1);
    insta::assert_snapshot!("report_diff", readyctl::report::diff::markdown(&d));
    let same = readyctl::report::diff::diff(&old, &old);
    assert!(!same.regression && same.changes.is_empty());
}

// ---- end to end ----

const CHECKLIST: &str = r#"version: 1
name: e2e
policy:
  fail_on: high
checks:
  - id: ok.readme
    severity: high
    level: bronze
    file: { path: README.md }
  - id: bad.changelog
    severity: high
    level: bronze
    file: { path: CHANGELOG.md }
    remediation: Write a changelog.
  - id: bad.todo
    severity: low
    search: { pattern: "TODO", paths: ["src/**"] }
waivers:
  - check: bad.changelog
    reason: first release, tracked in REL-1
    approved_by: alice
    ticket: REL-1
    expires: 2999-01-01
  - check: "bad.*"
    reason: an old waiver
    expires: 2000-01-01
"#;

fn e2e_repo(checklist: &str) -> tempfile::TempDir {
    temp_repo(&[
        ("readiness.yaml", checklist),
        ("README.md", "# hi\n"),
        ("src/app.py", "x = 1\n# TODO: remove\n"),
    ])
}

#[test]
fn check_applies_waivers_and_writes_several_reports() {
    let repo = e2e_repo(CHECKLIST);
    let out = tempfile::tempdir().unwrap();
    let run = out.path().join("run");
    let junit = out.path().join("r/junit.xml");
    let sarif = out.path().join("r/out.sarif");
    let o = readyctl(
        repo.path(),
        &[
            "check",
            "--out",
            run.to_str().unwrap(),
            "--report",
            &format!("junit={}", junit.display()),
            "--report",
            &format!("sarif={}", sarif.display()),
            "--report",
            "tap=-",
        ],
    );
    // The blocking failure is waived; the low one does not block.
    assert_eq!(o.status.code(), Some(0), "{}\n{}", text(&o.stdout), text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(stdout.starts_with("TAP version 13\n"), "stdout is the TAP report: {stdout}");
    assert!(stdout.contains("# TODO waived"), "{stdout}");
    assert!(
        text(&o.stderr).contains("waiver for `bad.*` (readiness.yaml:24) is expired"),
        "{}",
        text(&o.stderr)
    );

    let saved = readyctl::report::saved::load(&run).unwrap().record;
    let waived = saved.results.iter().find(|r| r.id == "bad.changelog").unwrap();
    assert_eq!(waived.status, readyctl::outcome::Status::Waived);
    let w = waived.waiver.as_ref().unwrap();
    assert_eq!(w.waived_from, readyctl::outcome::Status::Fail);
    assert_eq!(w.approved_by.as_deref(), Some("alice"));
    assert_eq!(saved.waivers[1].state, readyctl::waiver::WaiverState::Expired);
    // The waived run's predicate still matches the published predicate schema.
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("schemas/evidence-predicate-v1.schema.json"))
            .unwrap(),
    )
    .unwrap();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> =
        validator.iter_errors(&manifest["predicate"]).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");

    // `report` re-renders the same bytes from the saved run.
    let o2 = readyctl(repo.path(), &["report", run.to_str().unwrap(), "--format", "junit"]);
    assert_eq!(o2.status.code(), Some(0));
    assert_eq!(text(&o2.stdout), std::fs::read_to_string(&junit).unwrap());
    let o3 = readyctl(
        repo.path(),
        &["report", run.join("manifest.json").to_str().unwrap(), "-f", "sarif"],
    );
    assert_eq!(text(&o3.stdout), std::fs::read_to_string(&sarif).unwrap());
    let md = readyctl(repo.path(), &["report", run.to_str().unwrap()]);
    assert_eq!(text(&md.stdout), std::fs::read_to_string(run.join("report.md")).unwrap());
    assert!(text(&md.stdout).contains("| `bad.*` | **expired** |"), "{}", text(&md.stdout));
    // The reports were written after sealing, outside the run: it still verifies.
    let v = readyctl(repo.path(), &["verify", run.to_str().unwrap(), "--allow-unsigned"]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v.stdout));
}

#[test]
fn bad_waivers_are_located_diagnostics() {
    let checklist = CHECKLIST
        .replace("    approved_by: alice\n", "    approved_by: alice\n    expires_on: soon\n");
    let repo = e2e_repo(&checklist);
    let o = readyctl(repo.path(), &["check"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("readiness.yaml:22"), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("expires_on"), "{}", text(&o.stderr));

    let policy = CHECKLIST
        .replace("  fail_on: high\n", "  fail_on: high\n  waivers: { require_approver: true }\n")
        .replace(
            "    reason: an old waiver\n",
            "    reason: an old waiver\n    approved_by: bob\n",
        );
    let repo = e2e_repo(&policy);
    std::fs::write(
        repo.path().join("waivers.yaml"),
        "waivers:\n  - check: bad.todo\n    reason: later\n    expires: 2999-13-01\n",
    )
    .unwrap();
    let o = readyctl(repo.path(), &["check", "--waivers", "waivers.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    insta::assert_snapshot!("report_bad_waivers", err);
}

#[test]
fn waivers_file_and_policy_limits() {
    let checklist = CHECKLIST
        .replace("  fail_on: high\n", "  fail_on: high\n  waivers: { forbid_on_critical: true }\n")
        .replace(
            "  - id: bad.changelog\n    severity: high",
            "  - id: bad.changelog\n    severity: critical",
        );
    let repo = e2e_repo(&checklist);
    std::fs::write(
        repo.path().join("waivers.yaml"),
        "- check: bad.todo\n  reason: cleanup sprint\n  approved_by: bob\n",
    )
    .unwrap();
    let run = repo.path().join("run");
    let o = readyctl(
        repo.path(),
        &["check", "--waivers", "waivers.yaml", "--out", run.to_str().unwrap()],
    );
    // A critical check cannot be waived: NOT READY.
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let rec = readyctl::report::saved::load(&run).unwrap().record;
    let status = |id: &str| rec.results.iter().find(|r| r.id == id).unwrap().status;
    assert_eq!(status("bad.changelog"), readyctl::outcome::Status::Fail);
    assert_eq!(status("bad.todo"), readyctl::outcome::Status::Waived);
    assert!(rec.waivers[0].notes[0].contains("forbid_on_critical"));
    assert_eq!(rec.waivers[2].source, "waivers.yaml:1");
}

#[test]
fn diff_and_baseline_exit_codes() {
    let repo = e2e_repo(CHECKLIST);
    let old = repo.path().join("old");
    readyctl(repo.path(), &["check", "--out", old.to_str().unwrap()]);
    std::fs::remove_file(repo.path().join("README.md")).unwrap();
    let new = repo.path().join("new");
    let o = readyctl(repo.path(), &["check", "--out", new.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let d = readyctl(repo.path(), &["diff", old.to_str().unwrap(), new.to_str().unwrap()]);
    assert_eq!(d.status.code(), Some(1), "{}", text(&d.stdout));
    assert!(
        text(&d.stdout).contains("## New failures (1)\n\n- `ok.readme`"),
        "{}",
        text(&d.stdout)
    );
    let j = readyctl(
        repo.path(),
        &["diff", old.to_str().unwrap(), new.to_str().unwrap(), "--format", "json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
    assert_eq!(v["regression"], true);
    let back = readyctl(repo.path(), &["diff", new.to_str().unwrap(), old.to_str().unwrap()]);
    assert_eq!(back.status.code(), Some(0), "{}", text(&back.stdout));

    // --baseline: the legacy failure (README missing) is tolerated; a new one is not.
    let b = readyctl(
        repo.path(),
        &[
            "check",
            "--baseline",
            new.to_str().unwrap(),
            "--out",
            repo.path().join("b1").to_str().unwrap(),
        ],
    );
    assert_eq!(b.status.code(), Some(0), "{}", text(&b.stderr));
    let b = readyctl(
        repo.path(),
        &[
            "check",
            "--baseline",
            old.to_str().unwrap(),
            "--out",
            repo.path().join("b2").to_str().unwrap(),
        ],
    );
    assert_eq!(b.status.code(), Some(1));
    assert!(
        text(&b.stderr).contains("1 blocking check got worse: ok.readme"),
        "{}",
        text(&b.stderr)
    );
}

#[test]
fn github_actions_mode_annotates_and_writes_the_step_summary() {
    let repo = e2e_repo(CHECKLIST.split("waivers:").next().unwrap());
    let summary = repo.path().join("summary.md");
    let o = Command::new(bin())
        .args(["check", "--out", repo.path().join("run").to_str().unwrap()])
        .current_dir(repo.path())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    assert!(
        out.contains("::error file=readiness.yaml,line=10,title=bad.changelog failed::"),
        "{out}"
    );
    assert!(out.contains("::warning file=src/app.py,line=2,"), "{out}");
    let s = std::fs::read_to_string(&summary).unwrap();
    assert!(s.starts_with("# Readiness report: e2e"));
}

#[test]
fn badge_and_aggregate_commands() {
    let repo = e2e_repo(CHECKLIST);
    let keys = tempfile::tempdir().unwrap();
    let name = keys.path().join("ci");
    readyctl(repo.path(), &["keygen", "-o", name.to_str().unwrap()]);
    let key = keys.path().join("ci.key");
    let signed = repo.path().join("signed");
    let o = readyctl(
        repo.path(),
        &["check", "--key", key.to_str().unwrap(), "--out", signed.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let unsigned = repo.path().join("unsigned");
    readyctl(repo.path(), &["check", "--out", unsigned.to_str().unwrap()]);
    let pack = repo.path().join("signed.tar.gz");
    assert_eq!(
        readyctl(repo.path(), &["pack", signed.to_str().unwrap(), "-o", pack.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );

    let svg = repo.path().join("b/readiness.svg");
    let b = readyctl(repo.path(), &["badge", pack.to_str().unwrap(), "-o", svg.to_str().unwrap()]);
    assert_eq!(b.status.code(), Some(0), "{}", text(&b.stderr));
    assert!(std::fs::read_to_string(&svg).unwrap().contains(">READY · bronze<"));

    let pubkey = keys.path().join("ci.pub");
    let a = readyctl(
        repo.path(),
        &[
            "aggregate",
            signed.to_str().unwrap(),
            pack.to_str().unwrap(),
            unsigned.to_str().unwrap(),
            "--key",
            pubkey.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(a.status.code(), Some(1), "one run is unsigned");
    let v: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    assert_eq!(v["verified"], 2);
    assert_eq!(v["runs"][0]["signature"], "valid");
    assert_eq!(v["runs"][1]["verdict"], "READY");
    assert_eq!(v["runs"][2]["signature"], "unsigned");
    assert_eq!(v["runs"][0]["failing"], serde_json::json!(["bad.todo"]));
    let md = readyctl(
        repo.path(),
        &["aggregate", signed.to_str().unwrap(), "--key", pubkey.to_str().unwrap()],
    );
    assert_eq!(md.status.code(), Some(0));
    assert!(text(&md.stdout).contains("| e2e | **READY** | bronze |"), "{}", text(&md.stdout));
}

#[test]
fn ci_files_are_valid_and_wire_the_reports() {
    let action: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(repo_root().join("action.yml")).unwrap())
            .unwrap();
    assert_eq!(action["runs"]["using"], "composite");
    let steps = action["runs"]["steps"].as_sequence().unwrap();
    let uses: Vec<&str> = steps.iter().filter_map(|s| s["uses"].as_str()).collect();
    assert!(uses.iter().any(|u| u.starts_with("actions/upload-artifact@")), "{uses:?}");
    assert!(uses.iter().any(|u| u.starts_with("github/codeql-action/upload-sarif@")), "{uses:?}");
    let scripts: String = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    assert!(scripts.contains("--report \"sarif=") && scripts.contains("--sign"));
    assert!(scripts.contains("cargo install"));

    let gitlab: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(repo_root().join("ci/gitlab/readyctl.gitlab-ci.yml")).unwrap(),
    )
    .unwrap();
    let job = &gitlab["readyctl"];
    assert_eq!(job["artifacts"]["reports"]["junit"], "readyctl-out/junit.xml");
    assert_eq!(
        job["artifacts"]["reports"]["codequality"],
        "readyctl-out/gl-code-quality-report.json"
    );
    let script: Vec<&str> =
        job["script"].as_sequence().unwrap().iter().filter_map(|s| s.as_str()).collect();
    let check = script.iter().find(|s| s.contains("set -- check")).unwrap();
    for flag in [
        r#"--report "junit=$out/junit.xml""#,
        r#"--report "gitlab=$out/gl-code-quality-report.json""#,
    ] {
        assert!(check.contains(flag), "{check}");
    }
}
