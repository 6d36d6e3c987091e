//! GitLab Code Quality JSON: one issue per failing or erroring check (per finding location
//! when the probe has them). `location.path` is a repository file relative to the root: the
//! finding's file, else the checklist file, else the detected manifest (built-in checklists). Waived, skipped and pending checks are not issues.

use serde_json::{Value, json};

use super::{fingerprint, places};
use crate::checklist::Severity;
use crate::outcome::Status;
use crate::record::RunRecord;

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "blocker",
        Severity::High => "critical",
        Severity::Medium => "major",
        Severity::Low => "minor",
        Severity::Info => "info",
    }
}

pub fn render(record: &RunRecord) -> Value {
    let mut issues = Vec::new();
    for r in record.results.iter().filter(|r| matches!(r.status, Status::Fail | Status::Error)) {
        let word = if r.status == Status::Error { "could not verify" } else { "fail" };
        let block = if crate::verdict::is_blocking(r, &record.policy) {
            "blocking"
        } else {
            "not blocking"
        };
        let base = format!("{}: {} [{word}, {block}]: {}", r.id, r.title, r.reason);
        let places: Vec<(String, Option<u64>, String, Vec<String>)> = if r.locations.is_empty() {
            // A record without any place of its own (an older built-in run): the checklist.
            let fallback = places::fallback(record, r).map(|p| (p.path, p.line));
            let (path, line) = fallback.unwrap_or_else(|| (record.checklist.source.clone(), None));
            vec![(path, line, base.clone(), vec![r.id.clone()])]
        } else {
            r.locations
                .iter()
                .take(1000)
                .map(|l| {
                    let (msg, path, key) = places::finding(record, r, l, &base);
                    (path, l.line, msg, key)
                })
                .collect()
        };
        let mut seen = std::collections::HashMap::<String, usize>::new();
        for (path, line, description, key) in places {
            let key: Vec<&str> = key.iter().map(String::as_str).collect();
            let mut fp = fingerprint(&key);
            let n = seen.entry(fp.clone()).or_default();
            *n += 1;
            if *n > 1 {
                fp = fingerprint(&[&fp, &n.to_string()]);
            }
            issues.push(json!({
                "description": description,
                "check_name": r.id,
                "fingerprint": fp,
                "severity": severity(r.severity),
                "location": { "path": path, "lines": { "begin": line.unwrap_or(1).max(1) } },
            }));
        }
    }
    Value::Array(issues)
}
