//! Line-delimited JSON event streams: `go test -json` and Rust libtest `--format json`.
//! Each line is one event; tests are counted from their final pass/fail/skip events. A test
//! that started but never finished (a truncated stream, a crash) is an error.

use std::collections::{HashMap, HashSet};
use std::io::BufRead;
use std::path::Path;

use serde::Deserialize;

use super::{CaseStatus, FormatError, Position, TestCase, TestReport, bound_message};

/// Last output kept per running test (bytes), for failure messages.
const OUTPUT_TAIL: usize = 2000;

/// Calls `f` with each non-blank line and its number. Lines that do not start with `{` are
/// skipped (build output interleaved by `2>&1`); a line that starts with `{` but is not valid
/// JSON is an error naming the line.
fn each_event<T: for<'de> Deserialize<'de>>(
    path: &Path,
    mut input: impl BufRead,
    what: &str,
    mut f: impl FnMut(T),
) -> Result<u64, FormatError> {
    let mut line = String::new();
    let mut line_no = 0u64;
    let mut events = 0u64;
    loop {
        line.clear();
        let n = input.read_line(&mut line).map_err(|e| {
            FormatError::new(path, Some(Position::Line(line_no + 1)), format!("cannot read: {e}"))
        })?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let body = line.trim();
        if !body.starts_with('{') {
            continue;
        }
        let event: T = serde_json::from_str(body).map_err(|e| {
            FormatError::new(
                path,
                Some(Position::Line(line_no)),
                format!("not a valid {what} event: {e}"),
            )
        })?;
        events += 1;
        f(event);
    }
    if events == 0 {
        return Err(FormatError::new(
            path,
            Some(Position::Line(line_no.max(1))),
            format!("no {what} events found (empty or wrong format)"),
        ));
    }
    Ok(events)
}

#[derive(Deserialize)]
struct GoEvent {
    #[serde(rename = "Action")]
    action: String,
    #[serde(rename = "Package", default)]
    package: String,
    #[serde(rename = "Test")]
    test: Option<String>,
    #[serde(rename = "Elapsed")]
    elapsed: Option<f64>,
    #[serde(rename = "Output")]
    output: Option<String>,
}

pub(crate) fn read_go(path: &Path, input: impl BufRead) -> Result<TestReport, FormatError> {
    let mut running: HashMap<(String, String), String> = HashMap::new();
    let mut done: Vec<TestCase> = Vec::new();
    let mut package_output: HashMap<String, String> = HashMap::new();
    let mut failed_packages: Vec<String> = Vec::new();
    each_event(path, input, "go test -json", |ev: GoEvent| {
        let Some(test) = ev.test else {
            match ev.action.as_str() {
                "output" => push_tail(
                    package_output.entry(ev.package).or_default(),
                    ev.output.as_deref().unwrap_or(""),
                ),
                "fail" => failed_packages.push(ev.package),
                _ => {}
            }
            return;
        };
        let key = (ev.package, test);
        let status = match ev.action.as_str() {
            "run" => {
                running.entry(key).or_default();
                return;
            }
            "output" => {
                push_tail(running.entry(key).or_default(), ev.output.as_deref().unwrap_or(""));
                return;
            }
            "pass" => CaseStatus::Passed,
            "fail" => CaseStatus::Failed,
            "skip" => CaseStatus::Skipped,
            _ => return,
        };
        let output = running.remove(&key).unwrap_or_default();
        let mut case = TestCase::new(key.0, key.1, status);
        case.time = ev.elapsed;
        if status != CaseStatus::Passed {
            case.message = failure_line(&output);
        }
        done.push(case);
    })?;
    for ((package, test), output) in running {
        let mut case = TestCase::new(package, test, CaseStatus::Error);
        case.message = Some(
            failure_line(&output)
                .unwrap_or_else(|| "started but never finished (stream cut short?)".into()),
        );
        done.push(case);
    }
    // Count leaves: a parent test (`TestX` with `TestX/sub`) is dropped unless it failed while
    // none of its subtests did.
    let mut parents: HashSet<(String, String)> = HashSet::new();
    let mut failing_parents: HashSet<(String, String)> = HashSet::new();
    for case in &done {
        let mut name = case.name.as_str();
        while let Some(idx) = name.rfind('/') {
            name = &name[..idx];
            parents.insert((case.classname.clone(), name.to_string()));
            if matches!(case.status, CaseStatus::Failed | CaseStatus::Error) {
                failing_parents.insert((case.classname.clone(), name.to_string()));
            }
        }
    }
    let failed_in: HashSet<String> = done
        .iter()
        .filter(|c| matches!(c.status, CaseStatus::Failed | CaseStatus::Error))
        .map(|c| c.classname.clone())
        .collect();
    let mut cases: Vec<TestCase> = done
        .into_iter()
        .filter(|c| {
            let key = (c.classname.clone(), c.name.clone());
            !parents.contains(&key)
                || (c.status == CaseStatus::Failed && !failing_parents.contains(&key))
        })
        .collect();
    // A package that failed without a failing test (build failure, TestMain panic, timeout).
    for package in failed_packages {
        if !failed_in.contains(&package) {
            let mut case = TestCase::new(package.clone(), "(package)", CaseStatus::Error);
            case.message = Some(
                package_output
                    .get(&package)
                    .and_then(|o| failure_line(o))
                    .unwrap_or_else(|| "package failed without a failing test".into()),
            );
            cases.push(case);
        }
    }
    cases.sort_by(|a, b| (&a.classname, &a.name).cmp(&(&b.classname, &b.name)));
    Ok(TestReport { cases })
}

#[derive(Deserialize)]
struct LibtestEvent {
    #[serde(rename = "type")]
    kind: String,
    event: String,
    name: Option<String>,
    exec_time: Option<f64>,
    stdout: Option<String>,
    message: Option<String>,
}

pub(crate) fn read_libtest(path: &Path, input: impl BufRead) -> Result<TestReport, FormatError> {
    let mut started: HashSet<String> = HashSet::new();
    let mut cases: Vec<TestCase> = Vec::new();
    each_event(path, input, "libtest JSON", |ev: LibtestEvent| {
        if ev.kind != "test" {
            return;
        }
        let Some(name) = ev.name else { return };
        let status = match ev.event.as_str() {
            "started" => {
                started.insert(name);
                return;
            }
            "ok" => CaseStatus::Passed,
            "failed" => CaseStatus::Failed,
            "ignored" => CaseStatus::Skipped,
            // `timeout` is a "running for too long" warning, not a final event.
            _ => return,
        };
        started.remove(&name);
        let mut case = TestCase::new("", name, status);
        case.time = ev.exec_time;
        if status != CaseStatus::Passed {
            case.message = ev
                .message
                .as_deref()
                .map(bound_message)
                .or_else(|| ev.stdout.as_deref().and_then(failure_line));
        }
        cases.push(case);
    })?;
    let mut unfinished: Vec<String> = started.into_iter().collect();
    unfinished.sort();
    for name in unfinished {
        let mut case = TestCase::new("", name, CaseStatus::Error);
        case.message = Some("started but never finished (stream cut short?)".into());
        cases.push(case);
    }
    Ok(TestReport { cases })
}

fn push_tail(buf: &mut String, s: &str) {
    buf.push_str(s);
    if buf.len() > OUTPUT_TAIL * 2 {
        let mut cut = buf.len() - OUTPUT_TAIL;
        while !buf.is_char_boundary(cut) {
            cut += 1;
        }
        buf.drain(..cut);
    }
}

/// The most telling line of a test's output: the first that looks like an error, else the
/// last non-empty line that is not a runner status line.
fn failure_line(output: &str) -> Option<String> {
    let lines = output.lines().map(str::trim).filter(|l| {
        !l.is_empty()
            && !l.starts_with("=== ")
            && !l.starts_with("--- ")
            && !matches!(*l, "FAIL" | "PASS" | "ok")
    });
    let mut last = None;
    for l in lines {
        if l.contains("panic") || l.contains("Error") || l.contains("error") || l.contains(".go:") {
            return Some(bound_message(l));
        }
        last = Some(l);
    }
    last.map(bound_message)
}
