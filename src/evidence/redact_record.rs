//! Redaction of the run record field by field, before anything consumes it.
//!
//! The record is redacted once, right after the results are complete and before the manifest,
//! report.md, the reporters, the terminal or `--format json` see it. Each string is redacted
//! as the raw value it is, never as serialized text: escaping (JSON, Markdown, XML, workflow
//! commands) comes after and cannot hide a secret, and no match can reach across a field
//! boundary, break the document or fold one result into another.
//!
//! Every struct is destructured without `..`, so a field added to the record later fails to
//! compile here until someone decides whether it carries text. Left as they are: values
//! readyctl computes itself (digests, timestamps, the run id, the tool's name and version,
//! numbers) and closed enums (status, severity, level, verdict).

use std::collections::BTreeMap;

use super::redact::Redactor;
use crate::outcome::{CheckResult, DefinedAt, EvidenceFile, Location, Measurement};
use crate::record::{ChecklistInfo, RunInfo, RunRecord, ServiceRecord};
use crate::verdict::{NextLevel, Summary};
use crate::waiver::{AppliedWaiver, WaiverRecord};

/// Counts per rule of what was redacted.
pub type Counts = BTreeMap<String, u64>;

/// A value whose strings can be redacted in place.
pub trait RedactFields {
    /// Redacts every string that can carry text from outside readyctl; adds to `counts`.
    fn redact_fields(&mut self, r: &Redactor, counts: &mut Counts);
}

/// Redacts the whole record in place; returns the counts per rule.
pub fn redact_record(record: &mut RunRecord, r: &Redactor) -> Counts {
    let mut counts = Counts::new();
    record.redact_fields(r, &mut counts);
    counts
}

impl RedactFields for String {
    fn redact_fields(&mut self, r: &Redactor, counts: &mut Counts) {
        let (out, found) = r.redact_bytes(self.as_bytes());
        if found.is_empty() {
            return;
        }
        for (rule, n) in found {
            *counts.entry(rule).or_insert(0) += n;
        }
        // Literals and rules are UTF-8 and replaced whole, so the text stays UTF-8.
        *self = String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    }
}

impl<T: RedactFields> RedactFields for Option<T> {
    fn redact_fields(&mut self, r: &Redactor, counts: &mut Counts) {
        if let Some(v) = self {
            v.redact_fields(r, counts);
        }
    }
}

impl<T: RedactFields> RedactFields for Vec<T> {
    fn redact_fields(&mut self, r: &Redactor, counts: &mut Counts) {
        for v in self {
            v.redact_fields(r, counts);
        }
    }
}

impl RedactFields for serde_json::Value {
    /// Every string value at any depth (object keys are readyctl's own field names).
    fn redact_fields(&mut self, r: &Redactor, counts: &mut Counts) {
        match self {
            serde_json::Value::String(s) => s.redact_fields(r, counts),
            serde_json::Value::Array(items) => items.redact_fields(r, counts),
            serde_json::Value::Object(map) => {
                for v in map.values_mut() {
                    v.redact_fields(r, counts);
                }
            }
            serde_json::Value::Null | serde_json::Value::Bool(_) | serde_json::Value::Number(_) => {
            }
        }
    }
}

impl RedactFields for RunRecord {
    fn redact_fields(&mut self, r: &Redactor, counts: &mut Counts) {
        let RunRecord {
            tool: _,
            run,
            repository,
            checklist,
            policy: _, // enums, numbers and booleans only
            results,
            summary,
            redactions: _, // file paths and rule names, written by readyctl
            waivers,
            services,
            paths,
            claims,
        } = self;
        if let Some(claims) = claims {
            let crate::verdict::ClaimsEffect { report, contradicted, unverified } = claims;
            report.redact_fields(r, counts);
            contradicted.redact_fields(r, counts);
            unverified.redact_fields(r, counts);
        }
        run.redact_fields(r, counts);
        if let Some(paths) = paths {
            paths.redact_fields(r, counts);
        }
        repository.redact_fields(r, counts);
        checklist.redact_fields(r, counts);
        results.redact_fields(r, counts);
        summary.redact_fields(r, counts);
        waivers.redact_fields(r, counts);
        services.redact_fields(r, counts);
    }
}

impl RedactFields for crate::record::RepoPaths {
    fn redact_fields(&mut self, r: &Redactor, counts: &mut Counts) {
        let crate::record::RepoPaths { target, checklist_files, anchor } = self;
        target.redact_fields(r, counts);
        let files = std::mem::take(checklist_files);
        for (mut name, mut path) in files {
            name.redact_fields(r, counts);
            path.redact_fields(r, counts);
            checklist_files.insert(name, path);
        }
        if let Some(anchor) = anchor {
            anchor.redact_fields(r, counts);
        }
    }
}

impl RedactFields for RunInfo {
    fn redact_fields(&mut self, r: &Redactor, counts: &mut Counts) {
        let RunInfo { id: _, started: _, finished: _, invocation, interrupted: _, signer_keyid: _ } =
            self;
        invocation.redact_fields(r, counts);
    }
}

impl RedactFields for ChecklistInfo {
    fn redact_fields(&mut self, r: &Redactor, counts: &mut Counts) {
        let ChecklistInfo { name, source, sha256: _, sources } = self;
        name.redact_fields(r, counts);
        source.redact_fields(r, counts);
        for s in sources {
            s.path.redact_fields(r, counts);
        }
    }
}

/// Redacted as it is recorded, one `file:line` string (a match may not stop at the colon), then
/// read back.
impl RedactFields for DefinedAt {
    fn redact_fields(&mut self, r: &Redactor, counts: &mut Counts) {
        let mut recorded = self.to_string();
        recorded.redact_fields(r, counts);
        *self = DefinedAt::parse(&recorded);
    }
}

impl RedactFields for CheckResult {
    fn redact_fields(&mut self, r: &Redactor, counts: &mut Counts) {
        let CheckResult {
            id,
            title,
            area,
            severity: _,
            level: _,
            tags,
            probe: _, // a probe kind name
            status: _,
            reason,
            skip_cause: _,
            measurements,
            locations,
            evidence,
            duration_ms: _,
            attempts: _,
            remediation,
            docs,
            defined_at,
            waiver,
        } = self;
        for s in [id, title, area, reason] {
            s.redact_fields(r, counts);
        }
        defined_at.redact_fields(r, counts);
        tags.redact_fields(r, counts);
        measurements.redact_fields(r, counts);
        locations.redact_fields(r, counts);
        evidence.redact_fields(r, counts);
        remediation.redact_fields(r, counts);
        docs.redact_fields(r, counts);
        waiver.redact_fields(r, counts);
    }
}

impl RedactFields for Measurement {
    fn redact_fields(&mut self, r: &Redactor, counts: &mut Counts) {
        let Measurement { name, value: _, unit, threshold } = self;
        name.redact_fields(r, counts);
        unit.redact_fields(r, counts);
        threshold.redact_fields(r, counts);
    }
}

impl RedactFields for Location {
    fn redact_fields(&mut self, r: &Redactor, counts: &mut Counts) {
        let Location { path, line: _, column: _, message, rule } = self;
        path.redact_fields(r, counts);
        message.redact_fields(r, counts);
        rule.redact_fields(r, counts);
    }
}

impl RedactFields for EvidenceFile {
    fn redact_fields(&mut self, r: &Redactor, counts: &mut Counts) {
        let EvidenceFile { path, sha256: _, size: _ } = self;
        path.redact_fields(r, counts);
    }
}

impl RedactFields for AppliedWaiver {
    fn redact_fields(&mut self, r: &Redactor, counts: &mut Counts) {
        let AppliedWaiver {
            waived_from: _,
            original_reason,
            reason,
            approved_by,
            ticket,
            expires,
            source,
        } = self;
        for s in [original_reason, reason, source] {
            s.redact_fields(r, counts);
        }
        for s in [approved_by, ticket, expires] {
            s.redact_fields(r, counts);
        }
    }
}

impl RedactFields for Summary {
    fn redact_fields(&mut self, r: &Redactor, counts: &mut Counts) {
        let Summary {
            verdict: _,
            because,
            total: _,
            counts: _,
            score: _,
            level: _,
            next_level,
            interrupted: _,
        } = self;
        because.redact_fields(r, counts);
        if let Some(NextLevel { level: _, missing }) = next_level {
            missing.redact_fields(r, counts);
        }
    }
}

impl RedactFields for WaiverRecord {
    fn redact_fields(&mut self, r: &Redactor, counts: &mut Counts) {
        let WaiverRecord {
            check,
            reason,
            approved_by,
            ticket,
            expires,
            source,
            state: _,
            notes,
            applied_to,
        } = self;
        for s in [check, reason, source] {
            s.redact_fields(r, counts);
        }
        for s in [approved_by, ticket, expires] {
            s.redact_fields(r, counts);
        }
        notes.redact_fields(r, counts);
        applied_to.redact_fields(r, counts);
    }
}

impl RedactFields for ServiceRecord {
    fn redact_fields(&mut self, r: &Redactor, counts: &mut Counts) {
        let ServiceRecord {
            name,
            mode: _, // `started` or `external`
            command,
            ready_when,
            start_ms: _,
            ready_ms: _,
            stop_ms: _,
            exit,
            error,
            log,
        } = self;
        name.redact_fields(r, counts);
        ready_when.redact_fields(r, counts);
        for s in [command, exit, error, log] {
            s.redact_fields(r, counts);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Status;

    fn result(id: &str, reason: &str) -> CheckResult {
        CheckResult {
            id: id.into(),
            title: format!("title of {id}"),
            area: "security".into(),
            severity: crate::checklist::Severity::High,
            level: None,
            tags: vec![],
            probe: "search".into(),
            status: Status::Pass,
            reason: reason.into(),
            skip_cause: None,
            measurements: vec![Measurement::new("matches", 0.0, "count")],
            locations: vec![],
            evidence: vec![],
            duration_ms: 1,
            attempts: 1,
            remediation: None,
            docs: None,
            defined_at: "readiness.yaml:4".into(),
            waiver: None,
        }
    }

    #[test]
    fn each_field_is_redacted_as_raw_text_and_no_result_is_lost() {
        let secret = "a\"b\\c\td*e|f`g<h>&[i]";
        let r = Redactor::builder().secret("S", secret).build();
        let mut results = vec![
            result("pem", "no match for /-----BEGIN RSA PRIVATE KEY-----/ in 3 files"),
            result("a", "see https://wiki:x"),
            result("b", "mail me@example.org"),
            result("s", &format!("stdout does not contain `{secret}`")),
        ];
        results[1].docs = Some("https://wiki:x".into());
        let mut counts = Counts::new();
        results.redact_fields(&r, &mut counts);
        assert_eq!(results.len(), 4);
        assert_eq!(results[0].id, "pem");
        assert_eq!(results[0].reason, "no match for /[REDACTED:pem-private-key]");
        assert_eq!(results[1].docs.as_deref(), Some("https://wiki:x"));
        assert_eq!(results[2].reason, "mail me@example.org");
        assert_eq!(results[3].reason, "stdout does not contain `[REDACTED:secret:S]`");
        assert_eq!(counts["secret:S"], 1);
        assert_eq!(counts["pem-private-key"], 1);
    }

    #[test]
    fn a_multi_line_value_in_a_field_is_redacted_whole() {
        let key =
            "-----BEGIN EC PRIVATE KEY-----\nAAAAbody1\nBBBBbody2\n-----END EC PRIVATE KEY-----";
        let r = Redactor::builder().secret("K", key).build();
        let mut v =
            serde_json::json!({"remote": format!("x{key}y"), "n": 1, "list": ["BBBBbody2"]});
        let mut counts = Counts::new();
        v.redact_fields(&r, &mut counts);
        assert_eq!(v["remote"], "x[REDACTED:secret:K]y");
        assert_eq!(v["list"][0], "[REDACTED:secret:K]");
        assert_eq!(v["n"], 1);
    }
}
