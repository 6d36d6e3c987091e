//! SARIF 2.1.0 for code scanning: one rule per check id (a PascalCase `name`, help as text
//! and Markdown with the remediation and docs link; `security-severity` and a `security` tag
//! for the security area), one result per finding location of a failing, erroring or waived
//! check, else one at its [`fallback`](super::places::fallback) place, so every result has a
//! location, as GitHub requires. Paths are relative to the repository root (`%SRCROOT%`).
//! Waived checks are results with an external suppression. Fingerprints hash the check id,
//! the file, the finding's rule and message — not the line — so they survive edits elsewhere
//! in the file. At most [`MAX_RESULTS`] results, as GitHub accepts, with a notification when
//! some were left out.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::fingerprint;
use super::places::{self, Place};
use crate::checklist::Severity;
use crate::outcome::{CheckResult, Status};
use crate::record::RunRecord;

pub const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
/// Key of our entry in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "readyctl/v1";
/// Results per check, at most (a secrets scan can find thousands).
const MAX_RESULTS_PER_CHECK: usize = 1000;
/// Results per run GitHub code scanning accepts.
pub const MAX_RESULTS: usize = 25_000;
/// Tags per rule GitHub keeps.
const MAX_TAGS: usize = 10;

fn level(record: &RunRecord, r: &CheckResult) -> &'static str {
    if r.severity == Severity::Info {
        "note"
    } else if crate::verdict::is_blocking(r, &record.policy) {
        "error"
    } else {
        "warning"
    }
}

/// GitHub's convention for a rule's `name`: the title in PascalCase
/// (`No secrets in the tree` → `NoSecretsInTheTree`); the id's words when the title has none.
pub fn pascal_case(title: &str, id: &str) -> String {
    let words = |s: &str| -> String {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| {
                let mut cs = w.chars();
                let first =
                    cs.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
                first + cs.as_str()
            })
            .collect()
    };
    let name = words(title);
    if name.is_empty() { words(id) } else { name }
}

/// Is this a security check (area or tag `security`)?
fn is_security(r: &CheckResult) -> bool {
    r.area.eq_ignore_ascii_case("security")
        || r.tags.iter().any(|t| t.eq_ignore_ascii_case("security"))
}

/// GitHub's `security-severity` (a CVSS-like score: ≥ 9 critical, ≥ 7 high, ≥ 4 medium, else
/// low); `None` for info checks.
fn security_severity(s: Severity) -> Option<&'static str> {
    match s {
        Severity::Critical => Some("9.5"),
        Severity::High => Some("8.0"),
        Severity::Medium => Some("5.5"),
        Severity::Low => Some("3.0"),
        Severity::Info => None,
    }
}

fn rule(record: &RunRecord, r: &CheckResult) -> Value {
    let mut help = format!("{}\n\nSeverity: {}. Area: {}.", r.title, r.severity.as_str(), r.area);
    let mut markdown = format!(
        "**{}**\n\nSeverity: `{}` · area: `{}` · probe: `{}` · check id: `{}`",
        md_text(&r.title),
        r.severity.as_str(),
        md_text(&r.area),
        r.probe,
        r.id
    );
    if let Some(rem) = &r.remediation {
        help.push_str(&format!("\n\nRemediation: {rem}"));
        markdown.push_str(&format!("\n\n## Remediation\n\n{}", md_text(rem)));
    }
    if let Some(docs) = &r.docs {
        help.push_str(&format!("\n\nDocumentation: {docs}"));
        markdown.push_str(&format!(
            "\n\n[Documentation]({})",
            docs.replace(' ', "%20").replace(')', "%29")
        ));
    }
    let mut tags: Vec<String> = Vec::new();
    let security = is_security(r);
    for t in [r.area.clone(), format!("severity:{}", r.severity.as_str())]
        .into_iter()
        .chain(security.then(|| "security".to_string()))
        .chain(r.tags.iter().cloned())
    {
        if !tags.contains(&t) && tags.len() < MAX_TAGS {
            tags.push(t);
        }
    }
    let mut properties = json!({ "tags": tags, "precision": "high" });
    if let Some(score) = security_severity(r.severity).filter(|_| security) {
        properties["security-severity"] = score.into();
    }
    let mut rule = json!({
        "id": r.id,
        "name": pascal_case(&r.title, &r.id),
        "shortDescription": { "text": r.title },
        "fullDescription": { "text": format!("{} ({} check, defined at {})", r.title, r.probe, r.defined_at) },
        "help": { "text": help, "markdown": markdown },
        "defaultConfiguration": { "level": level(record, r) },
        "properties": properties,
    });
    if let Some(docs) = &r.docs {
        rule["helpUri"] = docs.clone().into();
    }
    rule
}

/// Text from a checklist inside Markdown: no raw HTML, no accidental emphasis or links.
fn md_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn physical(place: &Place) -> Value {
    let mut loc =
        json!({ "artifactLocation": { "uri": uri_path(&place.path), "uriBaseId": "%SRCROOT%" } });
    // A place without a line (a whole file) is shown from its first line.
    {
        let line = place.line.filter(|l| *l >= 1).unwrap_or(1);
        let mut region = json!({ "startLine": line });
        if let Some(c) = place.column.filter(|c| *c >= 1) {
            region["startColumn"] = c.into();
        }
        loc["region"] = region;
    }
    json!({ "physicalLocation": loc })
}

/// A repository-relative path as a URI reference: RFC 3986 path characters kept, the rest
/// percent-encoded (spaces, `%`, `#`, `?`, non-ASCII), and a `:` in the first segment too (it
/// would read as a scheme).
fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut first_segment = true;
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || b"-._~/!$&'()*+,;=@".contains(&b)
            || (b == b':' && !first_segment);
        if b == b'/' {
            first_segment = false;
        }
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn render(record: &RunRecord) -> Value {
    let mut rules = Vec::new();
    let mut results = Vec::new();
    let mut left_out = 0usize;
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
        // (message, place, fingerprint key parts)
        let mut found: Vec<(String, Option<Place>, Vec<String>)> = Vec::new();
        if r.locations.is_empty() {
            found.push((base.clone(), places::fallback(record, r), vec![r.id.clone()]));
        } else {
            for l in r.locations.iter().take(MAX_RESULTS_PER_CHECK) {
                let (message, path, key) = places::finding(record, r, l, &base);
                found.push((message, Some(Place { path, line: l.line, column: l.column }), key));
            }
            left_out += r.locations.len().saturating_sub(MAX_RESULTS_PER_CHECK);
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (message, place, key) in found {
            if results.len() >= MAX_RESULTS {
                left_out += 1;
                continue;
            }
            let key: Vec<&str> = key.iter().map(String::as_str).collect();
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
            if let Some(place) = &place {
                res["locations"] = json!([physical(place)]);
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
        }
    }
    let mut invocation = json!({
        "executionSuccessful": !record.run.interrupted,
        "startTimeUtc": record.run.started,
        "endTimeUtc": record.run.finished,
    });
    if left_out > 0 {
        invocation["toolExecutionNotifications"] = json!([{
            "level": "warning",
            "message": { "text": format!(
                "{left_out} result{} left out: GitHub code scanning accepts {MAX_RESULTS} results per run and readyctl reports {MAX_RESULTS_PER_CHECK} locations per check at most; every finding is in the run directory's manifest.json",
                if left_out == 1 { " was" } else { "s were" }
            ) },
            "descriptor": { "id": "readyctl/results-capped" },
        }]);
    }
    let mut src_root = json!({ "description": { "text": "The repository root" } });
    if let Some(target) = record.paths.as_ref().map(|p| p.target.as_str()).filter(|t| !t.is_empty())
    {
        src_root["description"]["text"] =
            format!("The repository root (readyctl checked {target}/)").into();
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
            "originalUriBaseIds": { "%SRCROOT%": src_root },
            "invocations": [invocation],
            "results": results,
            "properties": {
                "verdict": record.summary.verdict.as_str(),
                "score": record.summary.score,
                "level": record.summary.level.map(|l| l.as_str()),
            },
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_are_pascal_case_titles() {
        assert_eq!(pascal_case("No secrets in the tree", "security.secrets"), "NoSecretsInTheTree");
        assert_eq!(pascal_case("p99 < 200ms (GET /health)", "x"), "P99200msGETHealth");
        assert_eq!(pascal_case("—", "tests.unit-run"), "TestsUnitRun");
    }

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri_path("services/api/my file#1.py"), "services/api/my%20file%231.py");
        assert_eq!(uri_path("é.txt"), "%C3%A9.txt");
        assert_eq!(uri_path("src/a,b:c.py"), "src/a,b:c.py");
        assert_eq!(uri_path("c:d/e"), "c%3Ad/e");
    }
}
