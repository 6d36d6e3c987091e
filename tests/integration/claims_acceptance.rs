//! Issue 17 acceptance: hand-written readiness reports imported and checked against small real
//! repositories built here (git, files, a Python test suite that really runs and writes JUnit
//! and Cobertura, Dockerfiles, k8s manifests, settings files, SQL and Django migrations, an
//! HTTP server). Every claim's outcome was decided before the run and is asserted, and so is
//! the exit code: a contradicted blocking claim is NOT READY (1), an unverifiable one
//! INCOMPLETE (3).
//!
//! The runs get a PATH of their own (`sh`, `python3`, `git`) so that the outcome does not
//! depend on what else the machine has installed (pytest, alembic): the reports' own
//! `pytest …` commands then fail as they would on a machine without pytest.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};

use crate::support::{free_port, git, text};

/// The runner the repositories' test suites use: unittest discovery, a JUnit file
/// (`--junitxml=PATH`), and line coverage of `src/` traced with `sys.settrace` written as
/// Cobertura (`--cov-report=xml:PATH`).
const RUN_TESTS_PY: &str = r#"import os, sys, unittest, xml.etree.ElementTree as ET

junit, cov = "junit.xml", None
for a in sys.argv[1:]:
    if a.startswith("--junitxml="):
        junit = a.split("=", 1)[1]
    elif a.startswith("--cov-report=xml:"):
        cov = a.split(":", 1)[1]

root = os.path.abspath("src")
executed = {}

def tracer(frame, event, arg):
    path = os.path.abspath(frame.f_code.co_filename)
    if not path.startswith(root):
        return None
    if event in ("call", "line"):
        executed.setdefault(path, set()).add(frame.f_lineno)
    return tracer

class Result(unittest.TextTestResult):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.cases = []
    def addSuccess(self, t):
        super().addSuccess(t); self.cases.append((t, None, ""))
    def addFailure(self, t, e):
        super().addFailure(t, e); self.cases.append((t, "failure", self._exc_info_to_string(e, t)))
    def addError(self, t, e):
        super().addError(t, e); self.cases.append((t, "error", self._exc_info_to_string(e, t)))
    def addSkip(self, t, r):
        super().addSkip(t, r); self.cases.append((t, "skipped", r))

sys.path.insert(0, os.path.abspath("."))
sys.settrace(tracer)
suite = unittest.defaultTestLoader.discover("tests", top_level_dir=".")
result = unittest.TextTestRunner(resultclass=Result, verbosity=2).run(suite)
sys.settrace(None)

suite_el = ET.Element("testsuite", name="unittest", tests=str(len(result.cases)),
                      failures=str(len(result.failures)), errors=str(len(result.errors)),
                      skipped=str(len(result.skipped)))
for t, kind, msg in result.cases:
    module, cls, name = t.id().rsplit(".", 2)
    case = ET.SubElement(suite_el, "testcase", classname=module + "." + cls, name=name,
                         file=module.replace(".", "/") + ".py")
    if kind:
        ET.SubElement(case, kind, message=msg.splitlines()[-1] if msg else "").text = msg
os.makedirs(os.path.dirname(os.path.abspath(junit)), exist_ok=True)
ET.ElementTree(suite_el).write(junit, encoding="utf-8", xml_declaration=True)

def statement_lines(code):
    lines = {l for _, _, l in code.co_lines() if l is not None and l > 0}
    for c in code.co_consts:
        if hasattr(c, "co_lines"):
            lines |= statement_lines(c)
    return lines

if cov:
    classes, total, hit = [], 0, 0
    for dirpath, _, files in os.walk(root):
        for f in sorted(files):
            if not f.endswith(".py"):
                continue
            path = os.path.join(dirpath, f)
            code = compile(open(path).read(), path, "exec")
            lines = sorted(statement_lines(code))
            ran = executed.get(path, set())
            classes.append((os.path.relpath(path), lines, ran))
            total += len(lines); hit += len([l for l in lines if l in ran])
    cov_el = ET.Element("coverage", {"line-rate": "%.4f" % (hit / total if total else 1), "lines-valid": str(total), "lines-covered": str(hit), "version": "trace"})
    pkg = ET.SubElement(ET.SubElement(cov_el, "packages"), "package", name="src")
    cls_el = ET.SubElement(pkg, "classes")
    for rel, lines, ran in classes:
        c = ET.SubElement(cls_el, "class", name=rel, filename=rel)
        ls = ET.SubElement(c, "lines")
        for l in lines:
            ET.SubElement(ls, "line", number=str(l), hits="1" if l in ran else "0")
    ET.ElementTree(cov_el).write(cov, encoding="utf-8", xml_declaration=True)
sys.exit(0 if result.wasSuccessful() else 1)
"#;

/// A directory on PATH with only `sh`, `python3` and `git` (see the module comment).
fn tool_path(dir: &Path) -> Option<PathBuf> {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let py = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| text(&o.stdout).trim().to_string());
    let Some(py) = py else {
        if std::env::var_os("CI").is_some() {
            panic!("python3 is needed for the claims acceptance tests");
        }
        eprintln!("SKIP: python3 not found");
        return None;
    };
    let which = |name: &str| -> PathBuf {
        let out = Command::new("sh").args(["-c", &format!("command -v {name}")]).output().unwrap();
        PathBuf::from(text(&out.stdout).trim())
    };
    std::os::unix::fs::symlink(py, bin.join("python3")).unwrap();
    std::os::unix::fs::symlink(which("sh"), bin.join("sh")).unwrap();
    std::os::unix::fs::symlink(which("git"), bin.join("git")).unwrap();
    Some(bin)
}

/// A repository under test and the PATH its runs get.
struct Trial {
    _dir: tempfile::TempDir,
    repo: PathBuf,
    path: PathBuf,
    server: Option<Child>,
}

impl Drop for Trial {
    fn drop(&mut self) {
        if let Some(mut s) = self.server.take() {
            let _ = s.kill();
            let _ = s.wait();
        }
    }
}

impl Trial {
    /// Writes `files`, commits them (git identity fixed), and makes `run_tests.py` available.
    fn new(files: &[(&str, &str)]) -> Option<Trial> {
        let dir = tempfile::tempdir().unwrap();
        let path = tool_path(dir.path())?;
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(&repo).unwrap();
        for (rel, content) in files.iter().chain(&[("run_tests.py", RUN_TESTS_PY)]) {
            let p = repo.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, content).unwrap();
        }
        std::fs::write(repo.join(".gitignore"), ".readyctl/\nrun/\n__pycache__/\n").unwrap();
        assert!(git(&repo, &["init", "-q"]).status.success());
        assert!(git(&repo, &["add", "-A"]).status.success());
        let c = git(&repo, &["commit", "-qm", "service"]);
        assert!(c.status.success(), "{}", text(&c.stderr));
        Some(Trial { _dir: dir, repo, path, server: None })
    }

    /// Serves `www/` of the repository over HTTP (python3 -m http.server); returns its base URL.
    fn serve(&mut self) -> String {
        let port = free_port();
        let child = Command::new(self.path.join("python3"))
            .args(["-m", "http.server", &port.to_string(), "--bind", "127.0.0.1"])
            .current_dir(self.repo.join("www"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        self.server = Some(child);
        let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(std::time::Instant::now() < until, "http.server did not start");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        format!("http://127.0.0.1:{port}")
    }

    fn readyctl(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = Command::new(crate::support::bin());
        c.args(args)
            .current_dir(&self.repo)
            .env("NO_COLOR", "1")
            .env("PATH", &self.path)
            .env_remove("GITHUB_ACTIONS")
            .env_remove("READYCTL_SIGNING_KEY")
            .env_remove("DATABASE_URL");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().expect("readyctl runs")
    }

    /// `import REPORT.md` then `check --claims REPORT.md`.
    fn import_and_check(&self, report: &str, env: &[(&str, &str)]) -> Checked {
        self.import_and_check_named("REPORT.md", report, env)
    }

    fn import_and_check_named(&self, name: &str, report: &str, env: &[(&str, &str)]) -> Checked {
        std::fs::write(self.repo.join(name), report).unwrap();
        let imp = self.readyctl(&["import", name, "-o", "readiness.yaml"], &[]);
        assert!(imp.status.success(), "{}", text(&imp.stderr));
        // The run directory sits beside the repository, as CI would keep it.
        let run_dir = self.repo.parent().unwrap().join("run");
        let out = self
            .readyctl(&["check", ".", "--claims", name, "--out", run_dir.to_str().unwrap()], env);
        let report_md = std::fs::read_to_string(run_dir.join("report.md"))
            .unwrap_or_else(|e| panic!("no report.md ({e}): {}", text(&out.stderr)));
        Checked {
            code: out.status.code(),
            rows: claim_rows(&report_md),
            stdout: text(&out.stdout),
            stderr: text(&out.stderr),
            report_md,
            yaml: std::fs::read_to_string(self.repo.join("readiness.yaml")).unwrap(),
        }
    }
}

struct Checked {
    code: Option<i32>,
    rows: Vec<Row>,
    stdout: String,
    stderr: String,
    report_md: String,
    yaml: String,
}

#[derive(Debug)]
struct Row {
    line: usize,
    claim: String,
    verdict: String,
    decided_by: String,
    detail: String,
}

/// The rows of the "Claims vs evidence" table.
fn claim_rows(report_md: &str) -> Vec<Row> {
    let section = report_md.split("## Claims vs evidence").nth(1).expect("claims section");
    section
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| Claim |"))
        .map(|l| {
            // Cells are split on ` | ` not preceded by a backslash (escaped pipes stay).
            let cells: Vec<String> = split_cells(l);
            Row {
                claim: cells[0].clone(),
                line: cells[1].parse().unwrap_or_else(|_| panic!("line in {l}")),
                verdict: cells[2].split("**").nth(1).unwrap_or_default().to_string(),
                decided_by: cells[3].clone(),
                detail: cells[4].clone(),
            }
        })
        .collect()
}

fn split_cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    let mut cells = vec![String::new()];
    let mut prev = ' ';
    for ch in inner.chars() {
        if ch == '|' && prev != '\\' {
            cells.push(String::new());
        } else {
            cells.last_mut().unwrap().push(ch);
        }
        prev = ch;
    }
    cells.into_iter().map(|c| c.trim().to_string()).collect()
}

/// The 1-based line of the first line of `report` containing `needle`.
fn line_of(report: &str, needle: &str) -> usize {
    report
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` is not in the report"))
        + 1
}

/// Asserts one verdict per claim: `expected` names each claim by a piece of its report line,
/// and must cover every row of the table.
fn assert_verdicts(report: &str, checked: &Checked, expected: &[(&str, &str)]) {
    let by_line: Vec<(usize, &str)> =
        expected.iter().map(|(needle, v)| (line_of(report, needle), *v)).collect();
    assert_verdicts_by_line(checked, &by_line);
}

/// Asserts one verdict per claim, claims named by their line in the report (for the shared
/// example reports, where the same text appears on several lines).
fn assert_verdicts_by_line(checked: &Checked, expected: &[(usize, &str)]) {
    let mut problems = Vec::new();
    for (line, verdict) in expected {
        match checked.rows.iter().find(|r| r.line == *line) {
            None => problems.push(format!("line {line}: no row in the table")),
            Some(r) if r.verdict != *verdict => problems.push(format!(
                "line {line} (`{}`): expected {verdict}, got {} — {} — {}",
                r.claim, r.verdict, r.decided_by, r.detail
            )),
            Some(_) => {}
        }
    }
    for r in &checked.rows {
        if !expected.iter().any(|(l, _)| *l == r.line) {
            problems.push(format!(
                "line {} (`{}`) has no expected verdict (got {})",
                r.line, r.claim, r.verdict
            ));
        }
        // Every claim names what decided it, or why nothing could.
        let decided = matches!(r.verdict.as_str(), "confirmed" | "contradicted");
        if decided && !r.decided_by.starts_with('`') {
            problems.push(format!("line {}: decided but names no check: {r:?}", r.line));
        }
        if r.detail.is_empty() {
            problems.push(format!("line {}: no detail: {r:?}", r.line));
        }
    }
    assert!(
        problems.is_empty(),
        "{}\n\n{}\n{}",
        problems.join("\n"),
        checked.report_md,
        checked.yaml
    );
}

// ---------------------------------------------------------------------------------------
// Report 1: the issue's Django-style service, 15 claims and the how-to-verify command.

const ORDERS_REPORT: &str = r#"# Orders Service — Production Readiness Report

**Status:** ✅ PRODUCTION READY (all 15 checks green)

## Security

- ✅ DEBUG is off in production (`config/production.py`)
- ✅ No secrets committed
- ✅ API container runs as non-root (`docker/api.Dockerfile`)
- ✅ Worker container runs as non-root (`docker/worker.Dockerfile`)

## Testing

- ✅ 40/40 tests passing
- ✅ `tests/test_orders.py::OrderTotalTests::test_total_with_tax` passes
- ✅ `tests/test_orders.py::OrderTotalTests::test_refund` passes
- ✅ Line coverage 50% (`coverage.xml`)
- ✅ Line coverage above 90%

How to verify:

```bash
python3 run_tests.py --junitxml=junit.xml --cov-report=xml:coverage.xml
```

## Database

- ✅ Migrations are idempotent and reversible (`db/migrations/`)
- ✅ Orders app migrations apply cleanly (`orders/migrations/0001_initial.py`)

## Operations

- ✅ Liveness and readiness probes configured (`k8s/deployment.yaml`)
- ✅ Health endpoint: `GET /health` answers
- ✅ p95 < 500 ms on `/api/orders.json`
- ✅ Runbook written (`docs/RUNBOOK.md`)
"#;

const ORDERS_SRC: &str = r#"TAX = 0.2


def total(items, tax=TAX):
    net = sum(price * qty for price, qty in items)
    return round(net * (1 + tax), 2)


def refund(amount, fee):
    if fee > amount:
        raise ValueError("fee larger than the amount")
    return amount - fee


def discount(amount, code):
    if code == "HALF":
        return amount / 2
    if code == "TENTH":
        return amount * 0.9
    if code == "NONE":
        return amount
    raise KeyError(code)
"#;

const ORDERS_TESTS: &str = r#"import unittest

from src.orders import discount, refund, total


class OrderTotalTests(unittest.TestCase):
    def test_total_with_tax(self):
        self.assertEqual(total([(10, 2)]), 24.0)

    def test_total_empty(self):
        self.assertEqual(total([]), 0)

    def test_refund(self):
        # The fee is kept, so 100 - 5 is 95: the code under test returns 95, the test is wrong.
        self.assertEqual(refund(100, 5), 90)

    def test_half_discount(self):
        self.assertEqual(discount(10, "HALF"), 5)
"#;

const DEPLOYMENT_YAML: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: orders
spec:
  replicas: 2
  selector:
    matchLabels: { app: orders }
  template:
    metadata:
      labels: { app: orders }
    spec:
      securityContext: { runAsNonRoot: true }
      containers:
        - name: api
          image: registry.example.com/orders:1.4.2
          resources:
            requests: { cpu: 100m, memory: 128Mi }
            limits: { cpu: 500m, memory: 256Mi }
          livenessProbe:
            httpGet: { path: /health, port: 8000 }
          readinessProbe:
            httpGet: { path: /health, port: 8000 }
"#;

const DJANGO_MIGRATION: &str = r#"from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Order",
            fields=[
                ("id", models.BigAutoField(primary_key=True)),
                ("total", models.DecimalField(max_digits=10, decimal_places=2)),
            ],
        ),
    ]
"#;

#[test]
fn claims_orders_service_report_judged_claim_by_claim() {
    let Some(mut t) = Trial::new(&[
        (
            "config/production.py",
            "from .base import *  # noqa\n\nDEBUG = False\nALLOWED_HOSTS = [\"orders.example.com\"]\n",
        ),
        ("config/base.py", "DEBUG = True\nSECRET_KEY = os.environ[\"SECRET_KEY\"]\n"),
        ("config/legacy.py", "# TODO remove\nAWS_ACCESS_KEY_ID = \"AKIAZ7Q3L5T2VX9WB4KD\"\n"),
        (
            "docker/api.Dockerfile",
            "FROM python:3.12-slim@sha256:0000000000000000000000000000000000000000000000000000000000000000\nRUN useradd -r app\nCOPY . /app\nUSER app\nCMD [\"gunicorn\", \"orders.wsgi\"]\n",
        ),
        (
            "docker/worker.Dockerfile",
            "FROM python:3.12-slim\nCOPY . /app\nCMD [\"celery\", \"-A\", \"orders\", \"worker\"]\n",
        ),
        ("src/__init__.py", ""),
        ("src/orders.py", ORDERS_SRC),
        ("tests/__init__.py", ""),
        ("tests/test_orders.py", ORDERS_TESTS),
        (
            "db/migrations/0001_orders.up.sql",
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, total NUMERIC NOT NULL);\n",
        ),
        ("db/migrations/0001_orders.down.sql", "DROP TABLE orders;\n"),
        ("db/migrations/0002_order_notes.up.sql", "ALTER TABLE orders ADD COLUMN notes TEXT;\n"),
        ("db/migrations/0002_order_notes.down.sql", "ALTER TABLE orders DROP COLUMN notes;\n"),
        ("orders/__init__.py", ""),
        ("orders/migrations/__init__.py", ""),
        ("orders/migrations/0001_initial.py", DJANGO_MIGRATION),
        ("k8s/deployment.yaml", DEPLOYMENT_YAML),
        ("www/health", "ok\n"),
        ("www/api/orders.json", "[]\n"),
        ("docs/RUNBOOK.md", "# Runbook\n\nRestart with `systemctl restart orders`.\n"),
    ]) else {
        return;
    };
    let base = t.serve();
    let c = t.import_and_check(ORDERS_REPORT, &[("BASE_URL", &base)]);
    // Imported checks block: high, critical for security and data.
    assert!(c.yaml.contains("severity: critical") && c.yaml.contains("severity: high"));
    assert!(!c.yaml.contains("severity: medium"), "{}", c.yaml);
    assert_verdicts(
        ORDERS_REPORT,
        &c,
        &[
            // `DEBUG = False` in the file itself (base.py's `True` is not the named file).
            ("DEBUG is off in production", "confirmed"),
            // config/legacy.py holds an AWS access key id.
            ("No secrets committed", "contradicted"),
            ("API container runs as non-root", "confirmed"),
            // No USER: it runs as root.
            ("Worker container runs as non-root", "contradicted"),
            // 4 tests, not 40.
            ("40/40 tests passing", "contradicted"),
            ("test_total_with_tax` passes", "confirmed"),
            // Kept whole, found in the results, and failing.
            ("test_refund` passes", "contradicted"),
            // Traced: 10 of the 16 lines of src/orders.py run (62.5%).
            ("Line coverage 50%", "confirmed"),
            ("Line coverage above 90%", "contradicted"),
            // The how-to-verify command itself: the suite has a failing test.
            ("python3 run_tests.py", "contradicted"),
            // up/down/up and a no-op re-apply on SQLite.
            ("Migrations are idempotent and reversible", "confirmed"),
            // Django's commands need `database_url`: not applied, so not tested.
            ("Orders app migrations apply cleanly", "unverifiable"),
            ("Liveness and readiness probes", "confirmed"),
            ("Health endpoint", "confirmed"),
            ("p95 < 500 ms", "confirmed"),
            ("Runbook written", "confirmed"),
        ],
    );
    assert_eq!(c.code, Some(1), "{}\n{}", c.stdout, c.stderr);
    assert!(c.stdout.contains("NOT READY"), "{}", c.stdout);
    assert!(
        c.stderr.contains("claims in REPORT.md: 9 confirmed, 6 contradicted, 1 unverifiable"),
        "{}",
        c.stderr
    );
    // The evidence that decided a test claim is named: its check and the results' summary.
    let row = c.rows.iter().find(|r| r.line == line_of(ORDERS_REPORT, "test_refund")).unwrap();
    assert!(row.decided_by.contains("summary.json"), "{row:?}");
    assert!(row.detail.contains("OrderTotalTests"), "{row:?}");
}

// ---------------------------------------------------------------------------------------
// Report 2: mis-decoded (mojibake) status table, every claim holds → READY, exit 0.

const PAYMENTS_REPORT: &str = "# Payments API â€\" Release Readiness\n\n\
**Overall:** âœ… Ready for production\n\n\
## Checklist\n\n\
| Item | Status | Evidence |\n\
|------|--------|----------|\n\
| Runbook | âœ… Done | `docs/RUNBOOK.md` |\n\
| Health check | âœ… Done | `GET /healthz` returns 200 |\n\
| Container user | âœ… Done | `Dockerfile` runs as non-root |\n\
| Debug mode | âœ… Done | DEBUG = False in `settings/prod.py` |\n\n\
## Tests\n\n\
- âœ… 3/3 tests passing\n\
- âœ… `tests/test_pay.py::ChargeTests::test_charge_in_cents` passes\n\
- âœ… No hardcoded credentials or API keys\n\n\
To verify:\n\n\
```sh\n\
python3 run_tests.py --junitxml=reports/junit.xml\n\
```\n";

#[test]
fn claims_mojibake_status_table_all_confirmed_is_ready() {
    let Some(mut t) = Trial::new(&[
        ("docs/RUNBOOK.md", "# Payments runbook\n"),
        ("www/healthz", "ok\n"),
        (
            "Dockerfile",
            "FROM python:3.12-slim\nRUN useradd -r pay\nUSER pay\nCMD [\"python3\", \"-m\", \"pay\"]\n",
        ),
        ("settings/prod.py", "DEBUG = False\nALLOWED_HOSTS = [\"pay.example.com\"]\n"),
        ("src/__init__.py", ""),
        ("src/pay.py", "def to_cents(amount):\n    return int(round(amount * 100))\n"),
        ("tests/__init__.py", ""),
        (
            "tests/test_pay.py",
            "import unittest\n\nfrom src.pay import to_cents\n\n\nclass ChargeTests(unittest.TestCase):\n    def test_charge_in_cents(self):\n        self.assertEqual(to_cents(12.34), 1234)\n\n    def test_zero(self):\n        self.assertEqual(to_cents(0), 0)\n\n    def test_quarter(self):\n        self.assertEqual(to_cents(0.25), 25)\n",
        ),
    ]) else {
        return;
    };
    let base = t.serve();
    let c = t.import_and_check(PAYMENTS_REPORT, &[("BASE_URL", &base)]);
    assert_verdicts(
        PAYMENTS_REPORT,
        &c,
        &[
            ("| Runbook |", "confirmed"),
            ("| Health check |", "confirmed"),
            ("| Container user |", "confirmed"),
            ("| Debug mode |", "confirmed"),
            ("3/3 tests passing", "confirmed"),
            ("test_charge_in_cents", "confirmed"),
            ("No hardcoded credentials", "confirmed"),
            ("python3 run_tests.py", "confirmed"),
        ],
    );
    assert_eq!(c.code, Some(0), "{}\n{}", c.stdout, c.stderr);
    assert!(c.stdout.contains("READY") && !c.stdout.contains("NOT READY"), "{}", c.stdout);
    assert!(c.stderr.contains("every claim is confirmed"), "{}", c.stderr);
    // Repaired text, not mojibake, in the table.
    assert!(!c.report_md.contains("âœ"), "{}", c.report_md);
}

// ---------------------------------------------------------------------------------------
// Report 3: one contradicted blocking claim among confirmed ones → NOT READY, exit 1.

const INVENTORY_REPORT: &str = r#"# Inventory Worker: Production Readiness

## Configuration ✅

- ✅ Runbook in `docs/RUNBOOK.md`
- ✅ DEBUG is off in production (`config/production.py`)
- ✅ No hardcoded credentials or API keys

## Quality ✅

- ✅ `tests/test_stock.py::StockTests::test_reserve_decrements` passes
- ✅ Worker image runs as non-root (`Dockerfile`)

```bash
python3 run_tests.py --junitxml=junit.xml
```
"#;

#[test]
fn claims_one_contradicted_blocking_claim_exits_1() {
    let Some(t) = Trial::new(&[
        ("docs/RUNBOOK.md", "# Inventory runbook\n"),
        // False at the top, switched back on further down: the value that counts is True.
        (
            "config/production.py",
            "DEBUG = False\nTIME_ZONE = \"UTC\"\n\nif True:  # hotfix, remove\n    DEBUG = True\n",
        ),
        ("Dockerfile", "FROM python:3.12-slim\nUSER 10001\nCMD [\"python3\", \"worker.py\"]\n"),
        ("src/__init__.py", ""),
        (
            "src/stock.py",
            "def reserve(stock, n):\n    if n > stock:\n        raise ValueError(n)\n    return stock - n\n",
        ),
        ("tests/__init__.py", ""),
        (
            "tests/test_stock.py",
            "import unittest\n\nfrom src.stock import reserve\n\n\nclass StockTests(unittest.TestCase):\n    def test_reserve_decrements(self):\n        self.assertEqual(reserve(5, 2), 3)\n",
        ),
    ]) else {
        return;
    };
    let c = t.import_and_check(INVENTORY_REPORT, &[]);
    assert_verdicts(
        INVENTORY_REPORT,
        &c,
        &[
            ("Runbook in", "confirmed"),
            ("DEBUG is off", "contradicted"),
            ("No hardcoded credentials", "confirmed"),
            ("test_reserve_decrements", "confirmed"),
            ("runs as non-root", "confirmed"),
            ("python3 run_tests.py", "confirmed"),
        ],
    );
    assert_eq!(c.code, Some(1), "{}\n{}", c.stdout, c.stderr);
    let debug = line_of(INVENTORY_REPORT, "DEBUG is off");
    assert!(
        c.stdout.contains(&format!("claim contradicted by the evidence: REPORT.md:{debug}")),
        "{}",
        c.stdout
    );
    let row = c.rows.iter().find(|r| r.line == debug).unwrap();
    assert!(row.detail.contains("config/production.py:5"), "{row:?}");
}

// ---------------------------------------------------------------------------------------
// Report 4: nothing contradicted, but claims nothing tested → INCOMPLETE, exit 3.

const BILLING_REPORT: &str = r#"# Billing Service Readiness

## Tests

- [x] 12/12 tests passing
- [x] `tests/test_billing.py::InvoiceTests::test_due_date` passes

Run `python3 -m unittest` to check.

## Data

- [x] Billing migrations are idempotent and reversible (`billing/migrations/`)

## Platform

- [x] Runbook exists (`docs/RUNBOOK.md`)
- [x] Liveness and readiness probes on every container (`k8s/`)
- [x] p95 < 300ms under load
- ❌ Chaos drill

## Deploy

```bash
docker compose up -d
```
"#;

#[test]
fn claims_untested_claims_leave_the_run_incomplete() {
    let Some(t) = Trial::new(&[
        (
            "junit.xml",
            "<testsuite name=\"old\" tests=\"12\">\n<testcase classname=\"tests.test_billing.InvoiceTests\" name=\"test_due_date\"/>\n</testsuite>\n",
        ),
        ("billing/__init__.py", ""),
        ("billing/migrations/__init__.py", ""),
        ("billing/migrations/0001_initial.py", &DJANGO_MIGRATION.replace("Order", "Invoice")),
        ("docs/RUNBOOK.md", "# Billing runbook\n"),
        ("k8s/deployment.yaml", &DEPLOYMENT_YAML.replace("orders", "billing")),
    ]) else {
        return;
    };
    // The results file is from yesterday's CI run.
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(26 * 3600);
    std::fs::File::options()
        .write(true)
        .open(t.repo.join("junit.xml"))
        .unwrap()
        .set_modified(old)
        .unwrap();
    let c = t.import_and_check(BILLING_REPORT, &[]);
    assert_verdicts(
        BILLING_REPORT,
        &c,
        &[
            // No command that writes results: `max_age` 1h, and the file is a day old.
            ("12/12 tests passing", "unverifiable"),
            ("test_due_date", "unverifiable"),
            // Django migrations without `database_url`: not applied.
            ("Billing migrations are idempotent", "unverifiable"),
            ("Runbook exists", "confirmed"),
            ("Liveness and readiness probes", "confirmed"),
            // No endpoint named: a sign-off nobody gave yet.
            ("p95 < 300ms", "pending sign-off"),
            ("Chaos drill", "not a claim"),
            ("docker compose up", "not a claim"),
        ],
    );
    assert_eq!(c.code, Some(3), "{}\n{}", c.stdout, c.stderr);
    assert!(c.stdout.contains("INCOMPLETE"), "{}", c.stdout);
    let tests_row =
        c.rows.iter().find(|r| r.line == line_of(BILLING_REPORT, "12/12 tests")).unwrap();
    assert!(tests_row.detail.contains("old, more than max"), "{tests_row:?}");
    let mig =
        c.rows.iter().find(|r| r.line == line_of(BILLING_REPORT, "Billing migrations")).unwrap();
    assert!(mig.detail.contains("not applied"), "{mig:?}");
    assert!(c.stderr.contains("the claims leave the run at most INCOMPLETE"), "{}", c.stderr);
}

// ---------------------------------------------------------------------------------------
// Report 5: the report's verify command runs but does not write the results file, and the
// file in the repository predates the run: "40/40 tests passing" is not confirmed from it.

const STALE_REPORT: &str = r#"# Search API readiness

## Quality

* âœ… 40/40 tests passing
* âœ… `tests/test_search.py::RankingTests::test_exact_match_first` passes
* âœ… Security docs in `SECURITY.md`

### How to verify

```console
python3 -c "print('40 passed')" --junitxml=junit.xml
```
"#;

#[test]
fn claims_stale_results_are_not_confirmed_and_names_stay_plain_on_the_terminal() {
    let junit = "<testsuite name=\"s\" tests=\"40\">\n".to_string()
        + &(0..40)
            .map(|i| {
                let name =
                    if i == 0 { "test_exact_match_first".to_string() } else { format!("test_{i}") };
                format!(
                    "<testcase classname=\"tests.test_search.RankingTests\" name=\"{name}\"/>\n"
                )
            })
            .collect::<String>()
        + "</testsuite>\n";
    let Some(t) = Trial::new(&[("junit.xml", &junit), ("SECURITY.md", "# Security\n")]) else {
        return;
    };
    // Written a minute before the run: by no check of it.
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(t.repo.join("junit.xml"))
        .unwrap()
        .set_modified(old)
        .unwrap();
    let c = t.import_and_check_named("READINESS_REPORT.md", STALE_REPORT, &[]);
    assert_verdicts(
        STALE_REPORT,
        &c,
        &[
            ("40/40 tests passing", "unverifiable"),
            ("test_exact_match_first", "unverifiable"),
            ("Security docs", "confirmed"),
            ("python3 -c", "unverifiable"),
        ],
    );
    let row = c.rows.iter().find(|r| r.line == line_of(STALE_REPORT, "40/40")).unwrap();
    assert!(row.detail.starts_with("error: junit.xml is stale"), "{row:?}");
    assert_eq!(c.code, Some(3), "{}\n{}", c.stdout, c.stderr);
    // Plain text on the terminal: no Markdown escapes.
    assert!(c.stderr.contains("claims in READINESS_REPORT.md: 1 confirmed"), "{}", c.stderr);
    assert!(!c.stderr.contains("READINESS\\_REPORT") && !c.stdout.contains("READINESS\\_REPORT"));
}

#[test]
fn claims_import_severity_overrides_every_check() {
    let Some(t) = Trial::new(&[]) else { return };
    std::fs::write(t.repo.join("R.md"), ORDERS_REPORT).unwrap();
    let out = t.readyctl(&["import", "R.md", "-o", "-", "--severity", "medium"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let yaml = text(&out.stdout);
    let severities: Vec<&str> =
        yaml.lines().filter_map(|l| l.trim().strip_prefix("severity: ")).collect();
    assert!(severities.len() > 10 && severities.iter().all(|s| *s == "medium"), "{yaml}");
    let out = t.readyctl(&["import", "R.md", "-o", "-"], &[]);
    let yaml = text(&out.stdout);
    assert!(yaml.contains("severity: critical") && !yaml.contains("severity: medium"), "{yaml}");
}

// ---------------------------------------------------------------------------------------
// The two shared example reports (read from ../shared/examples), each against a repository
// that has some of what it claims.

fn example_text(name: &str) -> Option<String> {
    let p = crate::support::repo_root().join("../shared/examples").join(name);
    match std::fs::read_to_string(&p) {
        Ok(t) => Some(t),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("{} is missing (CI must provide ../shared/examples)", p.display())
        }
        Err(_) => {
            eprintln!("SKIP: {} not found", p.display());
            None
        }
    }
}

const UNIT_TEST: &str = "import unittest\n\n\nclass OrchestratorTests(unittest.TestCase):\n    def test_submit(self):\n        self.assertTrue(True)\n";

#[test]
fn claims_proof_pack_example_against_a_repository() {
    let Some(report) = example_text("readiness-report-proof-pack.md") else { return };
    let Some(mut t) = Trial::new(&[
        ("docs/PROOF_PACK.md", "# Proof pack\n"),
        ("docs/SECURITY_AND_COMPLIANCE.md", "# Security and compliance\n"),
        ("docs/DEPLOYMENT.md", "# Deployment\n"),
        (
            "docs/openapi.json",
            "{\"openapi\": \"3.0.3\", \"info\": {\"title\": \"x\", \"version\": \"1\"}, \"paths\": {}}\n",
        ),
        ("docs/API_USAGE.md", "# API usage\n"),
        ("docs/postman_collection.json", "{\"info\": {\"name\": \"x\"}, \"item\": []}\n"),
        // docs/WORKFLOWS.md is missing.
        ("SECURITY.md", "# Security\n"),
        ("src/auth/api_key_auth.py", "def check(key):\n    return bool(key)\n"),
        ("src/auth/rate_limiter.py", "LIMIT = 10\n"),
        (
            ".github/workflows/ci.yml",
            "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest tests/ --cov=src\n",
        ),
        ("tests/__init__.py", ""),
        ("tests/unit/__init__.py", ""),
        ("tests/unit/test_job_orchestrator.py", UNIT_TEST),
        ("tests/unit/test_policy_enforcer.py", &UNIT_TEST.replace("Orchestrator", "Policy")),
        ("scripts/test_e2e_flow.py", "print('e2e')\n"),
        ("scripts/proof_pack/run_proof_pack.py", "print('proof pack')\n"),
        ("docker-compose.prod.yml", "services: {}\n"),
        ("www/docs", "<html>docs</html>\n"),
    ]) else {
        return;
    };
    let base = t.serve();
    let c = t.import_and_check(&report, &[("BASE_URL", &base)]);
    assert_verdicts_by_line(&c, PROOF_PACK_EXPECTED);
    // pytest is not on this run's PATH: the report's own test command fails (exit 127), so
    // its test and coverage claims are unverifiable and the runner itself blocks.
    assert_eq!(c.code, Some(1), "{}\n{}", c.stdout, c.stderr);
}

#[test]
fn claims_deployment_checklist_example_against_a_repository() {
    let Some(report) = example_text("deployment-checklist-migrations.md") else { return };
    let agent = "class Agent:\n    pattern_type = \"PRODUCT_MATCHING\"\n";
    let Some(t) = Trial::new(&[
        ("backend/alembic.ini", "[alembic]\nscript_location = alembic\n"),
        ("backend/alembic/env.py", "from alembic import context\n"),
        (
            "backend/alembic/versions/094_add_architecture_standards_unique_constraint.py",
            "revision = \"094\"\ndown_revision = None\n\n\ndef upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n",
        ),
        (
            "backend/alembic/versions/096_add_enrichment_pattern_types.py",
            "revision = \"096\"\ndown_revision = \"094\"\n\n\ndef upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n",
        ),
        ("backend/app/services/enrichment/agents/product_matching_agent.py", agent),
        ("backend/app/services/enrichment/agents/compliance_agent.py", agent),
        ("backend/app/services/enrichment/agents/licensing_agent.py", agent),
        ("backend/app/services/enrichment/agents/vulnerability_agent.py", agent),
        ("backend/app/services/enrichment/agents/resilience_agent.py", agent),
        // dependency_agent.py was never written.
        ("backend/app/services/enrichment/auto_enrichment_pipeline.py", "BATCH_SIZE = 10\n"),
        ("backend/app/api/v1/master_flows/assessment/enrichment_endpoints.py", "ROUTES = []\n"),
        ("docs/planning/ENRICHMENT_PERFORMANCE_OPTIMIZATION.md", "# Performance\n"),
        ("docs/planning/PHASE5_DAY26-27_COMPLETION_REPORT.md", "# Day 26-27\n"),
        ("docs/planning/IMPLEMENTATION_TRACKER.md", "# Tracker\n"),
        // PHASE5_DEPLOYMENT_CHECKLIST.md is the report itself, kept elsewhere.
    ]) else {
        return;
    };
    let c = t.import_and_check(&report, &[("BASE_URL", "http://127.0.0.1:1")]);
    assert_verdicts_by_line(&c, DEPLOYMENT_EXPECTED);
    assert_eq!(c.code, Some(1), "{}\n{}", c.stdout, c.stderr);
}

/// readiness-report-proof-pack.md against the repository above. How each kind was judged:
/// a document or source file it names decides a claim that something was written (confirmed
/// when present, contradicted when missing: `04-Control-Plane-Orchestrator/…`,
/// `tests/integration/`, `docs/WORKFLOWS.md`, `proof_pack_artifacts/`); a cited file cannot
/// confirm an outcome ("E2E test: PASSING (see …)": unverifiable, or contradicted when the
/// file is missing); every test count and coverage figure waits on the report's own
/// `pytest tests/ --cov=src`, which cannot run here (no pytest on PATH): unverifiable; `/docs`
/// is served: confirmed; `python scripts/…` finds no `python`: unverifiable; claims naming
/// nothing checkable are sign-offs nobody gave: pending.
const PROOF_PACK_EXPECTED: &[(usize, &str)] = &[
    (9, "confirmed"), // Production Proof Pack: End-to-end validation on fresh VM (see `docs/PR
    (10, "unverifiable"), // Test Coverage: 50+ unit tests, integration tests, E2E validation
    (11, "confirmed"), // Security & Compliance: Policy controls, audit logging, authorization-b
    (12, "pending sign-off"), // API Documentation: Complete OpenAPI spec, usage examples, Postman coll
    (13, "confirmed"), // Deployment: One-command deployment, runs on 8GB RAM (see `docs/DEPLOYM
    (16, "pending sign-off"), // Production Core (All Tiers): Vanilla, Stealth, Assault - Production-re
    (17, "pending sign-off"), // Enterprise Advanced (Enterprise Tier): Ultimate Stealth, Custom Execut
    (29, "unverifiable"),     // Comprehensive unit test suite for `job_orchestrator.py` (20+ tests)
    (30, "contradicted"), // Enhanced existing unit tests for `queue_manager.py`, `state_manager.py
    (31, "pending sign-off"), // Integration tests for job lifecycle
    (32, "pending sign-off"), // E2E test validated and passing
    (33, "pending sign-off"), // Test infrastructure configured with pytest, coverage reporting
    (34, "pending sign-off"), // CI/CD pipeline includes automated test execution
    (37, "unverifiable"), // Unit tests: 50+ tests across core modules
    (38, "pending sign-off"), // Integration tests: Job creation, execution, status tracking
    (39, "pending sign-off"), // E2E tests: Complete flow validation
    (40, "unverifiable"), // Target: >60% coverage (enforced in CI/CD)
    (43, "confirmed"),    // `tests/unit/test_job_orchestrator.py` - Comprehensive orchestrator tes
    (44, "pending sign-off"), // Enhanced existing test files with fixes
    (52, "confirmed"),    // Complete API usage guide (`docs/API_USAGE.md`)
    (53, "confirmed"),    // OpenAPI specification exported (`docs/openapi.json`)
    (54, "confirmed"),    // Postman collection (`docs/postman_collection.json`)
    (55, "pending sign-off"), // Code examples (Python, JavaScript, cURL)
    (56, "pending sign-off"), // Integration patterns and best practices
    (57, "pending sign-off"), // Error handling documentation
    (60, "contradicted"), // `04-Control-Plane-Orchestrator/docs/API_USAGE.md` - 500+ lines
    (61, "contradicted"), // `04-Control-Plane-Orchestrator/docs/openapi.json` - Full OpenAPI spec
    (62, "contradicted"), // `04-Control-Plane-Orchestrator/docs/postman_collection.json` - Complet
    (70, "pending sign-off"), // API key authentication implemented
    (71, "pending sign-off"), // Rate limiting with token bucket algorithm
    (72, "confirmed"),    // Security documentation (`SECURITY.md`)
    (73, "pending sign-off"), // Vulnerability scanning integrated in CI/CD
    (74, "pending sign-off"), // Security best practices documented
    (77, "confirmed"),    // `src/auth/api_key_auth.py` - API key authentication
    (78, "confirmed"),    // `src/auth/rate_limiter.py` - Rate limiting middleware
    (79, "confirmed"),    // `SECURITY.md` - Comprehensive security guide
    (82, "pending sign-off"), // Optional authentication (enabled via `ENABLE_AUTH=true`)
    (83, "pending sign-off"), // Per-IP and per-API-key rate limiting
    (84, "pending sign-off"), // Configurable rate limits
    (85, "pending sign-off"), // Security headers documentation
    (93, "confirmed"),    // GitHub Actions workflow (`.github/workflows/ci.yml`)
    (94, "pending sign-off"), // Automated test execution
    (95, "pending sign-off"), // Code quality checks (black, mypy, pylint)
    (96, "pending sign-off"), // Security scanning (safety, pip-audit)
    (97, "unverifiable"), // Coverage reporting with 60% threshold
    (98, "pending sign-off"), // Docker image building and validation
    (101, "pending sign-off"), // Test: Unit and integration tests with coverage
    (102, "pending sign-off"), // Security: Dependency vulnerability scanning
    (103, "pending sign-off"), // Build: Docker image validation
    (111, "pending sign-off"), // Queue stats endpoint 500 error (critical bug)
    (112, "pending sign-off"), // Database session handling (SQLModel → SQLAlchemy compatibility)
    (123, "pending sign-off"), // Fresh VM deployment: Services start from scratch
    (124, "pending sign-off"), // End-to-end flow: Job creation → execution → completion → persistence
    (125, "pending sign-off"), // Multiple strategies: Vanilla, stealth, assault executors tested
    (126, "pending sign-off"), // Real targets: example.com, httpbin.org, jsonplaceholder.typicode.com
    (127, "pending sign-off"), // Database persistence: Results verified in PostgreSQL
    (128, "pending sign-off"), // Reproducibility: Deterministic, repeatable results
    (133, "pending sign-off"), // All services running and healthy (validated by proof pack)
    (134, "unverifiable"),     // E2E test: PASSING (see `scripts/test_e2e_flow.py`)
    (135, "pending sign-off"), // Queue stats endpoint: WORKING (validated in proof pack)
    (136, "pending sign-off"), // Job creation → execution → completion: VERIFIED (proof pack artifacts)
    (142, "unverifiable"),     // Unit tests: 50+ tests across core modules (see `tests/unit/`)
    (143, "contradicted"), // Integration tests: Job lifecycle validated (see `tests/integration/`)
    (144, "unverifiable"), // E2E flow: Validated end-to-end (see `scripts/test_e2e_flow.py`)
    (145, "confirmed"),    // Policy enforcement: Unit tests for compliance controls (see `tests/uni
    (146, "unverifiable"), // Coverage: >60% code coverage (enforced in CI/CD)
    (152, "confirmed"),    // API documentation: Complete OpenAPI spec (`docs/openapi.json`), usage
    (153, "confirmed"),    // Security documentation: Compliance guide (`docs/SECURITY_AND_COMPLIANC
    (154, "confirmed"),    // Usage examples: Python, JavaScript, cURL examples in `docs/API_USAGE.m
    (155, "contradicted"), // Integration guides: Deployment guide (`docs/DEPLOYMENT.md`), workflows
    (156, "confirmed"),    // Proof pack: Complete validation guide (`docs/PROOF_PACK.md`)
    (163, "pending sign-off"), // Load testing scripts (Locust/Artillery)
    (164, "pending sign-off"), // Performance baseline documentation
    (165, "pending sign-off"), // Scalability validation
    (170, "pending sign-off"), // JWT token support
    (171, "pending sign-off"), // OAuth2 integration
    (172, "pending sign-off"), // Role-based access control (RBAC)
    (181, "unverifiable"), // Evidence: 50+ unit tests, integration tests, E2E validation
    (182, "unverifiable"), // Proof: Test suite results (`pytest tests/ --cov=src`)
    (183, "unverifiable"), // Coverage: >60% code coverage (CI/CD enforced)
    (186, "pending sign-off"), // Evidence: OpenAPI spec, usage guide, Postman collection
    (187, "confirmed"),    // Proof: `docs/openapi.json`, `docs/API_USAGE.md`, `docs/postman_collect
    (188, "confirmed"),    // Validation: Interactive docs at `/docs` endpoint
    (191, "pending sign-off"), // Evidence: Policy controls, audit logging, authorization modes
    (192, "confirmed"),    // Proof: `docs/SECURITY_AND_COMPLIANCE.md`, compliance models, policy en
    (193, "pending sign-off"), // Validation: Unit tests for policy enforcement
    (196, "pending sign-off"), // Evidence: One-command deployment, low-resource mode
    (197, "confirmed"),    // Proof: `docker-compose.prod.yml`, `docs/DEPLOYMENT.md`, proof pack
    (198, "pending sign-off"), // Validation: Proof pack validates fresh VM deployment
    (201, "pending sign-off"), // Evidence: Production proof pack with complete artifacts
    (202, "contradicted"), // Proof: `proof_pack_artifacts/` with run summary, logs, SHA256 manifest
    (203, "pending sign-off"), // Validation: Reproducible on any fresh VM
    (209, "pending sign-off"), // Test Coverage; Impact: Deal-breaker → Resolved (Complete)
    (210, "pending sign-off"), // API Documentation; Impact: Integration blocker → Resolved (Complete)
    (211, "pending sign-off"), // Security; Impact: Enterprise blocker → Resolved (Complete)
    (212, "pending sign-off"), // CI/CD; Impact: Maturity concern → Resolved (Complete)
    (213, "pending sign-off"), // Bug Fixes; Impact: Operational issues → Resolved (Complete)
    (223, "unverifiable"),     // python scripts/proof_pack/run_proof_pack.py
    (230, "unverifiable"),     // pytest tests/ --cov=src
    (237, "confirmed"),        // curl http://localhost:8082/docs
    (249, "not a claim"),      // docker compose -f docker-compose.prod.yml up -d
    (255, "pending sign-off"), // Proof Pack Artifacts: Timestamped validation bundle with SHA256 manife
    (256, "pending sign-off"), // Test Results: Comprehensive test suite with coverage reports
    (257, "pending sign-off"), // Documentation: Complete API, security, and deployment guides
    (258, "pending sign-off"), // Compliance: Policy controls and audit logging validated
    (259, "pending sign-off"), // Deployment: Production-ready docker-compose configuration
    (267, "pending sign-off"), // Highlight Test Coverage: Show pytest results and coverage reports
    (268, "confirmed"),        // Demonstrate API Docs: Walk through `/docs` endpoint
    (269, "confirmed"),        // Show Security: Present `SECURITY.md` and authentication
    (270, "pending sign-off"), // Validate CI/CD: Show GitHub Actions runs
    (271, "pending sign-off"), // Run E2E Test: Live demonstration of complete flow
    (275, "confirmed"),        // Start with API Docs: Use `API_USAGE.md` for integration
    (276, "pending sign-off"), // Use Postman Collection: Quick API exploration
    (277, "pending sign-off"), // Follow Security Guide: Set up authentication and rate limiting
    (278, "pending sign-off"), // Run Tests: Validate installation with test suite
    (288, "pending sign-off"), // Validation Evidence: Production proof pack validates end-to-end functi
    (289, "unverifiable"),     // Test Coverage: 50+ tests with >60% coverage
    (290, "pending sign-off"), // Documentation: Complete API, security, deployment, and workflow guides
    (291, "pending sign-off"), // Security & Compliance: Policy controls, audit logging, authorization-b
    (292, "pending sign-off"), // Deployment: One-command deployment, runs on 8GB RAM
    (293, "pending sign-off"), // Workflows: Three production-ready workflows (page change detection, jo
    (296, "contradicted"),     // Proof pack artifacts (`proof_pack_artifacts/`)
    (297, "unverifiable"),     // Test suite results (`pytest tests/`)
    (298, "confirmed"),        // Documentation files (`docs/`)
    (299, "confirmed"),        // Compliance validation (`docs/SECURITY_AND_COMPLIANCE.md`)
    (302, "pending sign-off"), // Run proof pack on fresh VM
    (303, "pending sign-off"), // Review test results
    (304, "pending sign-off"), // Validate documentation
    (305, "pending sign-off"), // Test deployment
    (306, "pending sign-off"), // Review compliance controls
];
/// deployment-checklist-migrations.md against the repository above: `[ ]` items and claims
/// naming nothing checkable are pending sign-offs; the secrets scan of a clean tree confirms
/// "No hardcoded credentials"; the planning documents present confirm their claims; the
/// alembic migrations cannot be applied (no alembic on PATH) and the SQL has no
/// `database_url`: unverifiable; "11 test cases" has no results file: unverifiable;
/// `curl …/health` on a closed port: contradicted; deployment steps (`pg_dump`, `docker`,
/// `git revert`) and the Python logging sample are not claims.
const DEPLOYMENT_EXPECTED: &[(usize, &str)] = &[
    (14, "pending sign-off"), // All pre-commit checks passing (secrets, bandit, black, flake8, mypy)
    (15, "pending sign-off"), // Python file length compliance (max 400 lines)
    (16, "confirmed"),        // No hardcoded credentials or API keys
    (17, "pending sign-off"), // No direct LLM calls bypassing tracking
    (18, "pending sign-off"), // Architectural policies enforced
    (19, "pending sign-off"), // Code review approved by senior engineer
    (20, "pending sign-off"), // Security review approved (if required)
    (25, "pending sign-off"), // All existing unit tests passing
    (26, "pending sign-off"), // New agent unit tests created (6 agents)
    (27, "pending sign-off"), // Coverage report generated (target: >80%)
    (30, "unverifiable"),     // Enrichment pipeline integration test suite (11 test cases)
    (31, "pending sign-off"), // 50 assets processed < 10 minutes
    (32, "pending sign-off"), // All 6 agents operational (100% success rate)
    (33, "pending sign-off"), // 100 assets performance test executed
    (34, "pending sign-off"), // Multi-tenant isolation verified
    (37, "pending sign-off"), // Single asset enrichment (19.62s)
    (38, "pending sign-off"), // Pattern storage verification (uppercase enum values)
    (39, "pending sign-off"), // Database queries validated
    (40, "pending sign-off"), // E2E test: Discovery → Collection → Assessment
    (41, "pending sign-off"), // E2E test: Bulk Import → Enrichment → Readiness
    (45, "confirmed"),        // IMPLEMENTATION_TRACKER.md updated with Phase 5 completion
    (46, "confirmed"),        // PHASE5_DAY26-27_COMPLETION_REPORT.md created
    (47, "confirmed"),        // ENRICHMENT_PERFORMANCE_OPTIMIZATION.md created
    (48, "pending sign-off"), // API endpoint documentation updated (batch metrics)
    (49, "pending sign-off"), // ADR compliance verified (ADR-015, ADR-024)
    (50, "pending sign-off"), // Deployment runbook reviewed
    (51, "pending sign-off"), // Rollback procedure documented
    (62, "unverifiable"),     // Migration is idempotent (IF NOT EXISTS checks)
    (63, "pending sign-off"), // Follows 3-digit prefix convention
    (64, "pending sign-off"), // Schema-scoped (`migration.patterntype`)
    (65, "pending sign-off"), // Downgrade limitation documented
    (66, "pending sign-off"), // Migration tested on staging environment
    (67, "pending sign-off"), // Migration tested on production replica
    (68, "pending sign-off"), // Rollback plan documented (manual only - PostgreSQL enum constraint)
    (71, "pending sign-off"), // Adds 6 new enum values to `migration.patterntype`:
    (72, "pending sign-off"), // `PRODUCT_MATCHING`
    (73, "pending sign-off"), // `COMPLIANCE_ANALYSIS`
    (74, "pending sign-off"), // `LICENSING_ANALYSIS`
    (75, "pending sign-off"), // `VULNERABILITY_ANALYSIS`
    (76, "pending sign-off"), // `RESILIENCE_ANALYSIS`
    (77, "pending sign-off"), // `DEPENDENCY_ANALYSIS`
    (78, "pending sign-off"), // Zero downtime - additive change only
    (79, "pending sign-off"), // No data migration required
    (84, "unverifiable"), // SELECT enumlabel FROM pg_enum WHERE enumtypid = 'migration.patterntype
    (97, "unverifiable"), // Migration is idempotent (IF EXISTS checks)
    (98, "pending sign-off"), // Critical bug fix (enables ON CONFLICT in save_architecture_standards)
    (99, "pending sign-off"), // Migration tested on staging environment
    (100, "pending sign-off"), // Verified no duplicate records exist that would violate constraint
    (105, "unverifiable"), // SELECT conname, contype FROM pg_constraint WHERE conname = 'uq_engagem
    (110, "unverifiable"), // SELECT engagement_id, requirement_type, standard_name, COUNT(*) FROM m
    (123, "unverifiable"), // `backend/alembic/versions/096_add_enrichment_pattern_types.py` - Enum
    // Numbered items right after "**Modified Files**:" (renumbered to make them a list).
    (126, "unverifiable"), // `backend/alembic/versions/094_…py`: alembic cannot apply it here
    (127, "confirmed"),    // product_matching_agent.py
    (128, "confirmed"),    // compliance_agent.py
    (129, "confirmed"),    // licensing_agent.py
    (130, "confirmed"),    // vulnerability_agent.py
    (131, "confirmed"),    // resilience_agent.py
    (132, "contradicted"), // dependency_agent.py was never written
    (133, "confirmed"),    // auto_enrichment_pipeline.py
    (134, "confirmed"),    // enrichment_endpoints.py
    (137, "confirmed"),    // docs/planning/ENRICHMENT_PERFORMANCE_OPTIMIZATION.md
    (138, "confirmed"),    // docs/planning/PHASE5_DAY26-27_COMPLETION_REPORT.md
    (139, "confirmed"),    // docs/planning/IMPLEMENTATION_TRACKER.md
    (140, "contradicted"), // docs/planning/PHASE5_DEPLOYMENT_CHECKLIST.md is not in the repository
    (145, "pending sign-off"), // TenantMemoryManager API mismatch - `scope` parameter removed
    (146, "pending sign-off"), // MultiModelService API mismatch - tenant context parameters removed
    (147, "pending sign-off"), // Response parsing error - extract string from dict before JSON parsing
    (148, "pending sign-off"), // Compliance agent missing attribute - safe attribute access added
    (151, "pending sign-off"), // All 6 agents updated to use uppercase pattern_type values
    (161, "not a claim"), // pg_dump -h <prod-host> -U postgres -d migration_db -F c -f migration_d
    (164, "not a claim"), // pg_restore --list migration_db_backup_*.dump | head -20
    (171, "unverifiable"), // cd backend && alembic upgrade head
    (174, "not a claim"), // docker-compose restart backend
    (177, "pending sign-off"), // curl -X POST http://staging:8000/api/v1/master-flows/{flow_id}/trigger
    (183, "not a claim"), // docker exec migration_postgres psql -U postgres -d migration_db -c "SE
    (195, "unverifiable"), // cd backend && alembic upgrade head
    (198, "not a claim"), // docker-compose restart backend
    (201, "contradicted"), // curl http://production:8000/health
    (204, "not a claim"), // docker logs migration_backend -f --since 5m
    (208, "pending sign-off"), // curl -X POST http://production:8000/api/v1/master-flows/{test_flow_id}
    (221, "not a claim"), // docker exec migration_postgres psql -U postgres -d migration_db -c "SE
    (246, "pending sign-off"), // Check database logs for error details
    (247, "unverifiable"), // If enum values already exist, migration will succeed (idempotent)
    (248, "pending sign-off"), // If constraint violation, investigate duplicate data
    (249, "pending sign-off"), // Do NOT attempt to downgrade (PostgreSQL enum limitation)
    (252, "pending sign-off"), // Fix issue manually in database
    (253, "pending sign-off"), // Re-run migration
    (260, "pending sign-off"), // Check backend logs for error stack traces
    (261, "pending sign-off"), // Verify pattern_type enum values in database
    (262, "pending sign-off"), // Check TenantMemoryManager connectivity
    (263, "pending sign-off"), // Verify multi_model_service configuration
    (266, "pending sign-off"), // If API mismatch, revert agent code changes
    (267, "pending sign-off"), // If enum issue, verify migration applied correctly
    (268, "pending sign-off"), // If memory manager issue, check database connection
    (275, "pending sign-off"), // Check LLM API response times (DeepInfra)
    (276, "pending sign-off"), // Verify batch size configuration (BATCH_SIZE=10)
    (277, "pending sign-off"), // Check database connection pool
    (278, "pending sign-off"), // Monitor concurrent requests
    (281, "pending sign-off"), // Adjust BATCH_SIZE if needed (5 for slower environments)
    (282, "pending sign-off"), // Scale backend horizontally if needed
    (283, "pending sign-off"), // Check LLM API rate limits
    (290, "not a claim"), // git revert <commit-hash>
    (291, "not a claim"), // docker-compose restart backend
    (294, "contradicted"), // curl http://production:8000/health
    (309, "pending sign-off"), // Enrichment batch time (target: < 30s per batch)
    (310, "pending sign-off"), // Total enrichment time for 100 assets (target: < 10 min)
    (311, "pending sign-off"), // Agent success rate (target: > 90%)
    (312, "pending sign-off"), // Pattern storage rate (target: 100%)
    (315, "pending sign-off"), // Backend CPU usage
    (316, "pending sign-off"), // Backend memory usage
    (317, "pending sign-off"), // Database connection pool utilization
    (318, "pending sign-off"), // LLM API response times
    (321, "pending sign-off"), // Number of enrichment requests per hour
    (322, "pending sign-off"), // Average assets enriched per request
    (323, "pending sign-off"), // Pattern types distribution
    (324, "pending sign-off"), // LLM usage costs (navigate to /finops/llm-costs)
    (328, "pending sign-off"), // Critical: Enrichment agent failure rate > 10%
    (329, "pending sign-off"), // Warning: Batch processing time > 45s
    (330, "pending sign-off"), // Warning: Memory usage > 80%
    (331, "pending sign-off"), // Info: New pattern types stored
    (337, "not a claim"), // logger.info(f"Processing batch {batch_idx}/{num_batches} ({len(batch_a
    (338, "not a claim"), // logger.info(f"Batch {batch_idx}/{num_batches} completed in {batch_elap
    (339, "not a claim"), // logger.info(f"Batched auto-enrichment completed for {len(all_assets)}
    (347, "pending sign-off"), // All pre-commit checks passing
    (348, "pending sign-off"), // All unit tests passing (>80% coverage)
    (349, "pending sign-off"), // Migration 096 applied successfully
    (350, "pending sign-off"), // Migration 094 applied successfully
    (351, "pending sign-off"), // Enrichment endpoint responds with batch metrics
    (352, "pending sign-off"), // Pattern storage working with uppercase enum values
    (353, "pending sign-off"), // 100 assets enriched < 10 minutes (target: 3.3 min)
    (354, "pending sign-off"), // No errors in production logs for 24 hours
    (355, "pending sign-off"), // LLM usage tracking visible in /finops/llm-costs
    (374, "pending sign-off"), // Monitor error rates in production logs
    (375, "pending sign-off"), // Verify enrichment endpoint usage in analytics
    (376, "pending sign-off"), // Check LLM usage costs in /finops/llm-costs
    (377, "pending sign-off"), // Gather user feedback on enrichment speed
    (380, "pending sign-off"), // Create Grafana dashboard for enrichment metrics
    (381, "pending sign-off"), // Set up Prometheus alerts for agent failures
    (382, "pending sign-off"), // Document lessons learned
    (383, "pending sign-off"), // Plan Phase 6 deployment tasks
    (386, "pending sign-off"), // Implement field_conflicts agent (7th enrichment type)
    (387, "pending sign-off"), // Optimize agent prompt caching (20-30% speedup)
    (388, "pending sign-off"), // Add dynamic batch sizing based on asset complexity
    (389, "pending sign-off"), // Multi-region deployment for lower LLM API latency
    (408, "pending sign-off"), // 6/6 agents operational (100% success rate)
    (409, "pending sign-off"), // 3.3 min for 100 assets (target: < 10 min)
    (410, "pending sign-off"), // Batch processing implemented (10x speedup)
    (411, "pending sign-off"), // All pre-commit checks passing
    (412, "unverifiable"), // Database migrations idempotent
    (415, "pending sign-off"), // Code review approval (pending)
    (416, "pending sign-off"), // Staging environment testing (pending)
    (417, "pending sign-off"), // Production replica testing (pending)
];

// ---------------------------------------------------------------------------------------
// Report 6 (with the test venv, READYCTL_TEST_PYTHON): the report's own `pytest` command,
// real pytest JUnit, node ids with a class kept whole.

const LEDGER_REPORT: &str = r#"# Ledger API — go-live checklist

## Tests ✅

- ✅ 3/3 tests passing
- ✅ `tests/test_ledger.py::TestBalance::test_credit` passes
- ✅ `tests/test_ledger.py::TestBalance::test_overdraft_rejected` passes

```bash
pytest -q tests
```
"#;

#[test]
fn claims_pytest_report_with_the_test_venv() {
    let Some(py) = std::env::var_os("READYCTL_TEST_PYTHON").map(PathBuf::from) else {
        if std::env::var_os("CI").is_some() {
            panic!("READYCTL_TEST_PYTHON is not set (the venv from scripts/requirements-test.txt)");
        }
        eprintln!("SKIP: READYCTL_TEST_PYTHON is not set (a venv with pytest)");
        return;
    };
    let pytest = py.with_file_name("pytest");
    assert!(pytest.exists(), "{} has no pytest next to it", py.display());
    let Some(t) = Trial::new(&[
        ("src/__init__.py", ""),
        (
            "src/ledger.py",
            "def credit(balance, amount):\n    return balance + amount\n\n\ndef debit(balance, amount):\n    return balance - amount\n",
        ),
        ("tests/__init__.py", ""),
        (
            "tests/test_ledger.py",
            "import pytest\n\nfrom src.ledger import credit, debit\n\n\nclass TestBalance:\n    def test_credit(self):\n        assert credit(10, 5) == 15\n\n    def test_debit(self):\n        assert debit(10, 5) == 5\n\n    def test_overdraft_rejected(self):\n        with pytest.raises(ValueError):\n            debit(10, 50)\n",
        ),
    ]) else {
        return;
    };
    std::os::unix::fs::symlink(&pytest, t.path.join("pytest")).unwrap();
    let c = t.import_and_check(LEDGER_REPORT, &[]);
    assert_verdicts(
        LEDGER_REPORT,
        &c,
        &[
            // debit() does not reject an overdraft: 2 of 3 pass.
            ("3/3 tests passing", "contradicted"),
            ("test_credit", "confirmed"),
            ("test_overdraft_rejected", "contradicted"),
            ("pytest -q tests", "contradicted"),
        ],
    );
    assert_eq!(c.code, Some(1), "{}\n{}", c.stdout, c.stderr);
    assert!(c.yaml.contains("run: pytest -q tests --junitxml=${test_results}"), "{}", c.yaml);
}
