//! JUnit XML, in every dialect seen in the wild: nested `<testsuite>`s, pytest xunit1/xunit2,
//! Maven Surefire (`flakyFailure`, `rerunFailure`), jest-junit, go-junit-report, PHPUnit,
//! nextest and Node's test runner. Counts come from `<testcase>` elements only; the
//! `tests`/`failures` attributes on suites are ignored (they are often wrong).

use std::io::BufRead;
use std::path::Path;

use quick_xml::events::{BytesStart, Event};

use super::xml::{Xml, text};
use super::{CaseStatus, FormatError, MAX_MESSAGE_CHARS, TestCase, TestReport, bound_message};

#[derive(Default)]
struct CaseBuilder {
    case: Option<TestCase>,
    failure: bool,
    error: bool,
    skipped: bool,
    /// `flakyFailure`/`flakyError`/`rerunFailure`/`rerunError`: an attempt failed.
    retried: bool,
    /// Collecting the text of a `<failure>`/`<error>` without a `message` attribute.
    capture: bool,
    captured: String,
}

pub(crate) fn read(path: &Path, input: impl BufRead) -> Result<TestReport, FormatError> {
    let mut xml = Xml::new(path, input);
    let mut buf = Vec::with_capacity(4096);
    let mut report = TestReport::default();
    let mut suite_files: Vec<Option<String>> = Vec::new();
    let mut b = CaseBuilder::default();
    let mut saw_junit = false;
    loop {
        let event = xml.next(&mut buf)?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                match e.local_name().as_ref() {
                    b"testsuites" => saw_junit = true,
                    b"testsuite" => {
                        saw_junit = true;
                        if !empty {
                            let inherited = suite_files.last().cloned().flatten();
                            suite_files.push(xml.attr(e, b"file")?.or(inherited));
                        }
                    }
                    b"testcase" => {
                        saw_junit = true;
                        if b.case.is_some() {
                            return Err(xml.error("<testcase> inside another <testcase>"));
                        }
                        b = CaseBuilder {
                            case: Some(start_case(&xml, e, &suite_files)?),
                            ..Default::default()
                        };
                        if empty {
                            report.cases.push(finish(std::mem::take(&mut b)));
                        }
                    }
                    name if b.case.is_some() => {
                        on_case_child(&xml, &mut b, name, e, empty)?;
                    }
                    _ => {}
                }
            }
            Event::Text(ref t) if b.capture => push_bounded(&mut b.captured, &text(t)),
            Event::CData(ref c) if b.capture => {
                push_bounded(&mut b.captured, &String::from_utf8_lossy(c))
            }
            Event::End(ref e) => match e.local_name().as_ref() {
                b"testsuite" => {
                    suite_files.pop();
                }
                b"testcase" if b.case.is_some() => {
                    report.cases.push(finish(std::mem::take(&mut b)));
                }
                b"failure" | b"error" if b.capture => {
                    b.capture = false;
                    let first = b.captured.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
                    if let Some(case) = b.case.as_mut() {
                        if case.message.is_none() && !first.is_empty() {
                            case.message = Some(bound_message(first));
                        }
                    }
                    b.captured.clear();
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_junit {
        return Err(xml.error("no <testsuites>, <testsuite> or <testcase> element: not JUnit XML"));
    }
    Ok(report)
}

fn start_case<R: BufRead>(
    xml: &Xml<'_, R>,
    e: &BytesStart,
    suite_files: &[Option<String>],
) -> Result<TestCase, FormatError> {
    let mut case = TestCase::new(String::new(), String::new(), CaseStatus::Passed);
    let mut class = None;
    xml.each_attr(
        e,
        &[b"name", b"classname", b"class", b"file", b"time"],
        |key, value| match key {
            b"name" => case.name = value.into_owned(),
            b"classname" => case.classname = value.into_owned(),
            b"class" => class = Some(value.into_owned()),
            b"file" => case.file = Some(value.into_owned()),
            // `time` is informational: a malformed value is dropped rather than failing the file.
            b"time" => case.time = parse_time(&value),
            _ => {}
        },
    )?;
    if case.classname.is_empty() {
        case.classname = class.unwrap_or_default();
    }
    if case.file.is_none() {
        case.file = suite_files.last().cloned().flatten();
    }
    Ok(case)
}

fn on_case_child<R: BufRead>(
    xml: &Xml<'_, R>,
    b: &mut CaseBuilder,
    name: &[u8],
    e: &BytesStart,
    empty: bool,
) -> Result<(), FormatError> {
    let final_outcome = match name {
        b"failure" => {
            b.failure = true;
            true
        }
        b"error" => {
            b.error = true;
            true
        }
        b"skipped" => {
            b.skipped = true;
            true
        }
        b"flakyFailure" | b"flakyError" | b"rerunFailure" | b"rerunError" => {
            b.retried = true;
            false
        }
        _ => return Ok(()),
    };
    if !final_outcome {
        return Ok(());
    }
    let message = xml.attr(e, b"message")?.filter(|m| !m.trim().is_empty());
    let case = b.case.as_mut().expect("caller checked the case is open");
    if let Some(m) = message {
        if case.message.is_none() || name != b"skipped" {
            case.message = Some(bound_message(&m));
        }
    } else if !empty && name != b"skipped" {
        b.capture = true;
        b.captured.clear();
    }
    Ok(())
}

fn finish(b: CaseBuilder) -> TestCase {
    let mut case = b.case.expect("finish is called on an open case");
    case.status = if b.skipped {
        // Node marks TODO tests with both `<skipped type="todo">` and `<failure>`.
        CaseStatus::Skipped
    } else if b.error {
        CaseStatus::Error
    } else if b.failure {
        CaseStatus::Failed
    } else {
        CaseStatus::Passed
    };
    case.flaky = b.retried && case.status == CaseStatus::Passed;
    if case.status == CaseStatus::Passed && !case.flaky {
        case.message = None;
    }
    case
}

/// Seconds; some tools write thousands separators (`1,234.5`). `NaN` (which Rust's float
/// parser accepts) is no time: it would order nowhere among the slowest cases.
fn parse_time(value: &str) -> Option<f64> {
    let v = value.trim();
    let t: Option<f64> =
        if v.contains(',') { v.replace(',', "").parse().ok() } else { v.parse().ok() };
    t.filter(|t| !t.is_nan())
}

fn push_bounded(out: &mut String, s: &str) {
    if out.len() < MAX_MESSAGE_CHARS * 4 {
        out.push_str(s);
    }
}
