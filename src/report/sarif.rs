//! SARIF 2.1.0 for code scanning: one rule per check id (help = remediation), one result per
//! finding location of a failing or erroring check (else one at the checklist line that
//! defines it). Waived checks are results with an external suppression. Fingerprints hash
//! the check id, the file, the finding's rule and message — not the line — so they survive
//! edits elsewhere in the file.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::{blocking, defined_place, fingerprint};
use crate::checklist::Severity;
use crate::outcome::{CheckResult, Status};
use crate::record::RunRecord;

pub const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
/// Key of our entry in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "readyctl/v1";
/// Results per check, at most (a secrets scan can find thousands).
const MAX_RESULTS_PER_CHECK: usize = 1000;

fn level(record: &RunRecord, r: &CheckResult) -> &'static str {
    if r.severity == Severity::Info {
        "note"
    } else if blocking(record, r) {
        "error"
    } else {
        "warning"
    }
}

fn rule(record: &RunRecord, r: &CheckResult) -> Value {
    let mut help = format!("{}\n\nSeverity: {}. Area: {}.", r.title, r.severity.as_str(), r.area);
    if let Some(rem) = &r.remediation {
        help.push_str(&format!("\n\nRemediation: {rem}"));
    }
    let mut rule = json!({
        "id": r.id,
        "name": r.id,
        "shortDescription": { "text": r.title },
        "fullDescription": { "text": format!("{} ({} check, defined at {})", r.title, r.probe, r.defined_at) },
        "help": { "text": help },
        "defaultConfiguration": { "level": level(record, r) },
        "properties": {
            "tags": [r.area, format!("severity:{}", r.severity.as_str())],
            "precision": "high",
        },
    });
    if let Some(docs) = &r.docs {
        rule["helpUri"] = docs.clone().into();
    }
    rule
}

fn physical(path: &str, line: Option<u64>, column: Option<u64>) -> Value {
    let mut loc = json!({ "artifactLocation": { "uri": path, "uriBaseId": "%SRCROOT%" } });
    if let Some(line) = line.filter(|l| *l >= 1) {
        let mut region = json!({ "startLine": line });
        if let Some(c) = column.filter(|c| *c >= 1) {
            region["startColumn"] = c.into();
        }
        loc["region"] = region;
    }
    json!({ "physicalLocation": loc })
}

pub fn render(record: &RunRecord) -> Value {
    let mut rules = Vec::new();
    let mut results = Vec::new();
    for r in &record.results {
        let index = rules.len();
        rules.push(rule(record, r));
        if !matches!(r.status, Status::Fail | Status::Error | Status::Waived) {
            continue;
        }
        let (status_word, reason) = match (&r.waiver, r.status) {
            (Some(w), _) => (w.waived_from.as_str(), w.original_reason.as_str()),
            (None, Status::Error) => ("could not verify", r.reason.as_str()),
            _ => ("fail", r.reason.as_str()),
        };
        let base = format!("{} [{status_word}]: {reason}", r.title);
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut emit = |message: String, location: Option<Value>, key: Vec<&str>| {
            let fp = fingerprint(&key);
            let n = seen.entry(fp.clone()).or_default();
            *n += 1;
            let fp = if *n > 1 { fingerprint(&[&fp, &n.to_string()]) } else { fp };
            let mut res = json!({
                "ruleId": r.id,
                "ruleIndex": index,
                "level": level(record, r),
                "message": { "text": message },
                "partialFingerprints": { FINGERPRINT_KEY: fp },
            });
            if let Some(loc) = location {
                res["locations"] = json!([loc]);
            }
            if let Some(w) = &r.waiver {
                let mut justification = w.reason.clone();
                if let Some(by) = &w.approved_by {
                    justification.push_str(&format!(" (approved by {by})"));
                }
                if let Some(t) = &w.ticket {
                    justification.push_str(&format!(" [{t}]"));
                }
                res["suppressions"] = json!([{ "kind": "external", "status": "accepted", "justification": justification }]);
            }
            results.push(res);
        };
        if r.locations.is_empty() {
            let loc = defined_place(&r.defined_at).map(|(p, l)| physical(&p, l, None));
            emit(base, loc, vec![&r.id]);
        } else {
            for l in r.locations.iter().take(MAX_RESULTS_PER_CHECK) {
                let message = match &l.message {
                    Some(m) => format!("{base} — {m}"),
                    None => base.clone(),
                };
                emit(
                    message,
                    Some(physical(&l.path, l.line, l.column)),
                    vec![
                        &r.id,
                        &l.path,
                        l.rule.as_deref().unwrap_or(""),
                        l.message.as_deref().unwrap_or(""),
                    ],
                );
            }
        }
    }
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": record.tool.name,
                "version": record.tool.version,
                "semanticVersion": record.tool.version,
                "informationUri": "https://readyctl.dev",
                "rules": rules,
            }},
            "automationDetails": { "id": format!("readyctl/{}/", record.checklist.name) },
            "originalUriBaseIds": { "%SRCROOT%": { "description": { "text": "The repository root" } } },
            "invocations": [{
                "executionSuccessful": !record.run.interrupted,
                "startTimeUtc": record.run.started,
                "endTimeUtc": record.run.finished,
            }],
            "results": results,
            "properties": {
                "verdict": record.summary.verdict.as_str(),
                "score": record.summary.score,
                "level": record.summary.level.map(|l| l.as_str()),
            },
        }],
    })
}
