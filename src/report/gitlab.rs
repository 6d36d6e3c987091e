//! GitLab Code Quality JSON: one issue per failing or erroring check (per finding location
//! when the probe has them). Waived, skipped and pending checks are not issues.

use serde_json::{Value, json};

use super::{blocking, defined_place, fingerprint};
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
        let block = if blocking(record, r) { "blocking" } else { "not blocking" };
        let base = format!("{}: {} [{word}, {block}]: {}", r.id, r.title, r.reason);
        let fallback =
            defined_place(&r.defined_at).unwrap_or_else(|| (record.checklist.source.clone(), None));
        let places: Vec<(String, Option<u64>, String, Vec<&str>)> = if r.locations.is_empty() {
            vec![(fallback.0, fallback.1, base.clone(), vec![r.id.as_str()])]
        } else {
            r.locations
                .iter()
                .take(1000)
                .map(|l| {
                    let msg = match &l.message {
                        Some(m) => format!("{base} — {m}"),
                        None => base.clone(),
                    };
                    (
                        l.path.clone(),
                        l.line,
                        msg,
                        vec![
                            r.id.as_str(),
                            l.path.as_str(),
                            l.rule.as_deref().unwrap_or(""),
                            l.message.as_deref().unwrap_or(""),
                        ],
                    )
                })
                .collect()
        };
        let mut seen = std::collections::HashMap::<String, usize>::new();
        for (path, line, description, key) in places {
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
