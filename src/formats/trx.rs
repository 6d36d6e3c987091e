//! Visual Studio / `dotnet test` TRX. Counts come from each `<UnitTestResult>`'s `outcome`;
//! the `<Counters>` element is ignored (it can be incomplete). Data-driven tests whose result
//! holds `<InnerResults>` count their inner results, not the parent.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

use quick_xml::events::Event;

use super::xml::{Xml, text};
use super::{CaseStatus, FormatError, TestCase, TestReport, bound_message};

/// Maps a TRX outcome (`TestOutcome` enum in the TRX schema) to a case status.
pub(crate) fn outcome_status(outcome: &str) -> CaseStatus {
    match outcome {
        "Passed" | "PassedButRunAborted" | "Completed" | "Warning" => CaseStatus::Passed,
        "Failed" | "Timeout" | "Aborted" => CaseStatus::Failed,
        "Error" | "Disconnected" => CaseStatus::Error,
        // NotExecuted, Inconclusive, NotRunnable, Pending, InProgress, and anything unknown.
        _ => CaseStatus::Skipped,
    }
}

struct Pending {
    case: TestCase,
    test_id: String,
    has_inner: bool,
}

pub(crate) fn read(path: &Path, input: impl BufRead) -> Result<TestReport, FormatError> {
    let mut xml = Xml::new(path, input);
    let mut buf = Vec::with_capacity(4096);
    let mut cases: Vec<(String, TestCase)> = Vec::new();
    let mut stack: Vec<Pending> = Vec::new();
    let mut class_of: HashMap<String, String> = HashMap::new();
    let mut current_test_id: Option<String> = None;
    let mut in_message = false;
    let mut saw_run = false;
    loop {
        let event = xml.next(&mut buf)?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                match e.local_name().as_ref() {
                    b"TestRun" => saw_run = true,
                    b"UnitTestResult" => {
                        if let Some(parent) = stack.last_mut() {
                            parent.has_inner = true;
                        }
                        let name = xml.attr(e, b"testName")?.unwrap_or_default();
                        let outcome = xml.attr(e, b"outcome")?.unwrap_or_default();
                        let mut case = TestCase::new("", name, outcome_status(&outcome));
                        case.time = xml.attr(e, b"duration")?.as_deref().and_then(parse_duration);
                        let test_id = xml.attr(e, b"testId")?.unwrap_or_default();
                        let p = Pending { case, test_id, has_inner: false };
                        if empty {
                            cases.push((p.test_id, p.case));
                        } else {
                            stack.push(p);
                        }
                    }
                    b"Message" if !empty && !stack.is_empty() => in_message = true,
                    b"UnitTest" => current_test_id = xml.attr(e, b"id")?,
                    b"TestMethod" => {
                        if let (Some(id), Some(class)) =
                            (current_test_id.clone(), xml.attr(e, b"className")?)
                        {
                            class_of.insert(id, class);
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(ref t) if in_message => {
                if let Some(p) = stack.last_mut() {
                    if p.case.message.is_none() {
                        p.case.message = Some(bound_message(&text(t)));
                    }
                }
            }
            Event::End(ref e) => match e.local_name().as_ref() {
                b"Message" => in_message = false,
                b"UnitTestResult" => {
                    if let Some(p) = stack.pop() {
                        if !p.has_inner {
                            cases.push((p.test_id, p.case));
                        }
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_run {
        return Err(xml.error("no <TestRun> element: not a TRX file"));
    }
    let cases = cases
        .into_iter()
        .map(|(id, mut case)| {
            if let Some(class) = class_of.get(&id) {
                case.classname = class.clone();
            }
            if case.status == CaseStatus::Passed {
                case.message = None;
            }
            case
        })
        .collect();
    Ok(TestReport { cases })
}

/// `hh:mm:ss.fffffff` → seconds.
fn parse_duration(s: &str) -> Option<f64> {
    let mut parts = s.split(':');
    let h: f64 = parts.next()?.parse().ok()?;
    let m: f64 = parts.next()?.parse().ok()?;
    let sec: f64 = parts.next()?.parse().ok()?;
    Some(h * 3600.0 + m * 60.0 + sec)
}
