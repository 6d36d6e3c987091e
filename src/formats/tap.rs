//! Test Anything Protocol 12–14. Counts test points, never the trailing `# pass N` comments.
//! `# TODO` points are skipped (not failures, even when `not ok`); `# SKIP` points are skipped;
//! points the plan promised but that never appeared are errors, as are points beyond the plan
//! and `Bail out!`. TAP 14 subtests (indented by four spaces) count their leaves: a parent
//! point is only counted when it fails while none of its children did.

use std::io::BufRead;
use std::path::Path;

use super::{CaseStatus, FormatError, Position, TestCase, TestReport, bound_message};

#[derive(Default)]
struct Level {
    plan: Option<u64>,
    points: u64,
    /// A point at this level failed.
    failed_children: bool,
    subtest_name: Option<String>,
}

struct Point {
    ok: bool,
    description: String,
    directive: Option<(bool, String)>, // (is_todo, reason); SKIP otherwise
}

pub(crate) fn read(path: &Path, mut input: impl BufRead) -> Result<TestReport, FormatError> {
    let mut report = TestReport::default();
    let mut levels: Vec<Level> = vec![Level::default()];
    let mut line = String::new();
    let mut line_no = 0u64;
    let mut yaml_indent: Option<usize> = None;
    let mut want_message = false;
    let mut seen_anything = false;
    loop {
        line.clear();
        let n = input.read_line(&mut line).map_err(|e| {
            FormatError::new(path, Some(Position::Line(line_no + 1)), format!("cannot read: {e}"))
        })?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let raw = line.trim_end_matches(['\n', '\r']);
        let indent = raw.len() - raw.trim_start_matches(' ').len();
        let body = raw.trim_start_matches(' ');
        if let Some(yi) = yaml_indent {
            if body == "..." && indent == yi {
                yaml_indent = None;
                want_message = false;
            } else if want_message {
                if let Some(msg) = yaml_message(body) {
                    if let Some(case) = report.cases.last_mut() {
                        case.message = Some(bound_message(msg));
                    }
                    want_message = false;
                }
            }
            continue;
        }
        if body.is_empty() {
            continue;
        }
        let depth = indent / 4;
        if body == "---" && !report.cases.is_empty() {
            yaml_indent = Some(indent);
            want_message = report.cases.last().is_some_and(|c| {
                matches!(c.status, CaseStatus::Failed | CaseStatus::Error) && c.message.is_none()
            });
            continue;
        }
        if body.starts_with("TAP version") {
            seen_anything = true;
            continue;
        }
        if let Some(rest) = body.strip_prefix("Bail out!") {
            seen_anything = true;
            let mut case = TestCase::new("", "Bail out!", CaseStatus::Error);
            case.message = Some(bound_message(rest));
            report.cases.push(case);
            continue;
        }
        if let Some(name) = body.strip_prefix("# Subtest:") {
            ensure_depth(&mut levels, depth);
            levels[depth].subtest_name = Some(name.trim().to_string());
            continue;
        }
        if body.starts_with('#') {
            continue;
        }
        if let Some(plan) = parse_plan(body) {
            seen_anything = true;
            ensure_depth(&mut levels, depth);
            levels[depth].plan = Some(plan);
            continue;
        }
        let Some(point) = parse_point(body) else { continue };
        seen_anything = true;
        ensure_depth(&mut levels, depth);
        // A point at `depth` closes any deeper levels: it is their parent.
        let mut had_children = false;
        let mut child_failed = false;
        while levels.len() > depth + 1 {
            let child = levels.pop().expect("len checked");
            had_children |= child.points > 0 || child.plan.is_some();
            child_failed |= child.failed_children;
            child_failed |= close_level(&child, &classname(&levels), &mut report);
        }
        levels[depth].points += 1;
        let number = levels[depth].points;
        let class = classname(&levels[..depth]);
        levels[depth].subtest_name = None;
        let status = match &point.directive {
            Some(_) => CaseStatus::Skipped,
            None if point.ok => CaseStatus::Passed,
            None => CaseStatus::Failed,
        };
        if status == CaseStatus::Failed {
            levels[depth].failed_children = true;
        }
        if had_children && (status != CaseStatus::Failed || child_failed) {
            continue;
        }
        if let Some(plan) = levels[depth].plan.filter(|&p| number > p) {
            let mut case =
                TestCase::new(class.clone(), point.description.clone(), CaseStatus::Error);
            case.message = Some(format!("test point {number} is beyond the plan 1..{plan}"));
            report.cases.push(case);
            continue;
        }
        let mut case = TestCase::new(class, point.description, status);
        if let Some((_, reason)) = point.directive {
            case.message = (!reason.is_empty()).then_some(reason);
        }
        report.cases.push(case);
    }
    if !seen_anything {
        return Err(FormatError::new(
            path,
            Some(Position::Line(line_no.max(1))),
            "no TAP plan or test point found (empty or not TAP)",
        ));
    }
    while levels.len() > 1 {
        let child = levels.pop().expect("len checked");
        close_level(&child, &classname(&levels), &mut report);
    }
    let top = &levels[0];
    match top.plan {
        None => {
            let mut case = TestCase::new("", "(no plan)", CaseStatus::Error);
            case.message = Some(format!(
                "TAP output has {} test points but no plan line: the run may have been cut short",
                top.points
            ));
            report.cases.push(case);
        }
        Some(_) => {
            close_level(top, "", &mut report);
        }
    }
    Ok(report)
}

/// Adds an error case for every point the level's plan promised but never appeared.
/// Returns whether any were missing.
fn close_level(level: &Level, class: &str, report: &mut TestReport) -> bool {
    let Some(plan) = level.plan else { return false };
    for missing in level.points + 1..=plan {
        let mut case = TestCase::new(class, format!("test point {missing}"), CaseStatus::Error);
        case.message = Some(format!("planned 1..{plan} but test point {missing} never ran"));
        report.cases.push(case);
    }
    level.points < plan
}

fn classname(levels: &[Level]) -> String {
    levels.iter().filter_map(|l| l.subtest_name.as_deref()).collect::<Vec<_>>().join(" > ")
}

fn ensure_depth(levels: &mut Vec<Level>, depth: usize) {
    while levels.len() <= depth {
        levels.push(Level::default());
    }
}

fn parse_plan(body: &str) -> Option<u64> {
    let rest = body.strip_prefix("1..").or_else(|| body.strip_prefix("0.."))?;
    let digits: &str = rest.split(|c: char| !c.is_ascii_digit()).next()?;
    let tail = rest[digits.len()..].trim_start();
    if digits.is_empty() || !(tail.is_empty() || tail.starts_with('#')) {
        return None;
    }
    digits.parse().ok()
}

fn parse_point(body: &str) -> Option<Point> {
    let (ok, rest) = if let Some(r) = body.strip_prefix("not ok") {
        (false, r)
    } else if let Some(r) = body.strip_prefix("ok") {
        (true, r)
    } else {
        return None;
    };
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    let rest = rest.trim_start();
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit()).trim_start();
    let rest = rest.strip_prefix('-').unwrap_or(rest).trim_start();
    let (description, directive) = match find_directive(rest) {
        Some(idx) => {
            let d = rest[idx + 1..].trim_start();
            let upper = d.to_ascii_uppercase();
            let directive = if upper.starts_with("TODO") {
                Some((true, d[4..].trim().to_string()))
            } else if upper.starts_with("SKIP") {
                let reason = d.trim_start_matches(|c: char| c.is_ascii_alphabetic());
                Some((false, reason.trim().to_string()))
            } else {
                None
            };
            if directive.is_some() { (rest[..idx].trim_end(), directive) } else { (rest, None) }
        }
        None => (rest, None),
    };
    Some(Point { ok, description: description.replace("\\#", "#"), directive })
}

/// Index of the first `#` not escaped with a backslash.
fn find_directive(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    (0..bytes.len()).find(|&i| bytes[i] == b'#' && (i == 0 || bytes[i - 1] != b'\\'))
}

fn yaml_message(body: &str) -> Option<&str> {
    for key in ["message:", "error:"] {
        if let Some(v) = body.strip_prefix(key) {
            let v = v.trim().trim_matches(['\'', '"']);
            if !v.is_empty() && v != "|-" && v != "|" && v != ">" {
                return Some(v);
            }
        }
    }
    None
}
