//! The signed predicate must agree with itself and with the files it names.
//!
//! A signature proves who signed, not that what they signed is coherent. An edited run — a
//! READY verdict over a failing blocking check, a raised score, zeroed evidence digests, a
//! waiver that was never applied — would otherwise be signed by an honest `readyctl sign` (or a
//! CI job) and accepted by `verify`. So `verify`, `sign` and `pack` recompute the summary from
//! the recorded results and policy with [`crate::verdict::summarize`] (the function `check`
//! uses at run time), re-apply the recorded waivers with [`crate::waiver::apply`], and check
//! every digest and every evidence file a result names against the statement's subjects.
//!
//! What this cannot catch: a key holder can still sign results that were never observed. See
//! `docs/threat-model.md`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::sums::FileDigest;
use super::verify::{Problem, problem};
use crate::outcome::Status;
use crate::record::RunRecord;
use crate::verdict::Summary;
use crate::waiver::{Waiver, WaiverSpec};

/// Most (waiver, result) pairs `verify` re-applies: a hostile pack must not buy quadratic CPU
/// time with a manifest of many waivers over many results. Real runs are far below (1 000
/// checks × 100 waivers is 100 000).
const MAX_WAIVER_PAIRS: usize = 10_000_000;

/// Checks the statement's subjects and predicate for internal consistency. `files` are the
/// files actually present (for sizes). Every problem names what disagrees.
pub(crate) fn check(statement: &Value, files: &BTreeMap<String, FileDigest>) -> Vec<Problem> {
    let mut problems = Vec::new();
    let subjects = subject_digests(statement, &mut problems);
    let Some(predicate) = statement.get("predicate") else {
        problems.push(problem("bad-predicate", None, "the statement has no predicate"));
        return problems;
    };
    let record: RunRecord = match serde_json::from_value(predicate.clone()) {
        Ok(r) => r,
        Err(e) => {
            problems.push(problem(
                "bad-predicate",
                None,
                format!("the predicate is not a readyctl run record: {e}"),
            ));
            return problems;
        }
    };
    check_ids(&record, &mut problems);
    check_evidence(&record, &subjects, files, &mut problems);
    check_waivers(&record, &mut problems);
    check_summary(&record, &mut problems);
    problems
}

/// A well-formed digest: lowercase hex of the right length, not all zeros.
fn well_formed(hex: &str, lengths: &[usize]) -> bool {
    lengths.contains(&hex.len())
        && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && hex.bytes().any(|b| b != b'0')
}

/// File subjects by name (their sha256 as written), reporting malformed digests.
fn subject_digests(statement: &Value, problems: &mut Vec<Problem>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let list = statement.get("subject").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    for s in list {
        let name = s.get("name").and_then(Value::as_str).unwrap_or("");
        let Some(digest) = s.get("digest").and_then(Value::as_object) else { continue };
        for (alg, value) in digest {
            let value = value.as_str().unwrap_or("");
            let (ok, want) = match alg.as_str() {
                "sha256" => (well_formed(value, &[64]), "64 lowercase hex digits"),
                "gitCommit" => (well_formed(value, &[40, 64]), "40 or 64 lowercase hex digits"),
                _ => (false, "a sha256 or gitCommit digest"),
            };
            if !ok {
                let why = if !value.is_empty() && value.bytes().all(|b| b == b'0') {
                    "all zeros".to_string()
                } else {
                    format!("not {want}")
                };
                problems.push(problem(
                    "bad-digest",
                    Some(name),
                    format!("subject digest {alg} `{value}` is {why}"),
                ));
            }
            if alg == "sha256" {
                out.insert(name.to_string(), value.to_string());
            }
        }
    }
    out
}

fn check_ids(record: &RunRecord, problems: &mut Vec<Problem>) {
    let mut seen = BTreeSet::new();
    for r in &record.results {
        if !seen.insert(r.id.as_str()) {
            problems.push(problem(
                "bad-predicate",
                None,
                format!("check `{}` has more than one result", r.id),
            ));
        }
    }
}

/// Every evidence file a result (or a service log) names is a subject with the same digest,
/// and the file present has the recorded size.
fn check_evidence(
    record: &RunRecord,
    subjects: &BTreeMap<String, String>,
    files: &BTreeMap<String, FileDigest>,
    problems: &mut Vec<Problem>,
) {
    for r in &record.results {
        for e in &r.evidence {
            let owner = format!("result `{}`", r.id);
            match subjects.get(&e.path) {
                None => problems.push(problem(
                    "evidence-mismatch",
                    Some(&e.path),
                    format!(
                        "{owner} names this evidence file, but it is not a subject of the statement"
                    ),
                )),
                Some(want) if *want != e.sha256 => problems.push(problem(
                    "evidence-mismatch",
                    Some(&e.path),
                    format!("{owner} records sha256 {}, the subject says {want}", e.sha256),
                )),
                Some(_) => {}
            }
            if let Some(f) = files.get(&e.path)
                && f.size != e.size
            {
                problems.push(problem(
                    "evidence-mismatch",
                    Some(&e.path),
                    format!("{owner} records {} bytes, the file has {}", e.size, f.size),
                ));
            }
        }
    }
    for s in &record.services {
        if let Some(log) = &s.log
            && !subjects.contains_key(log)
        {
            problems.push(problem(
                "evidence-mismatch",
                Some(log),
                format!("service `{}` names this log, but it is not a subject", s.name),
            ));
        }
    }
}

/// Re-applies the recorded waivers to the results as they were before waivers (with the same
/// function and date as the run) and compares: a check is `waived` exactly when a recorded,
/// valid, unexpired waiver covers it, and each waiver's state and checks are what it did.
fn check_waivers(record: &RunRecord, problems: &mut Vec<Problem>) {
    let mismatch = |problems: &mut Vec<Problem>, m: String| {
        problems.push(problem("waiver-mismatch", None, m));
    };
    let pairs = record.waivers.len().saturating_mul(record.results.len());
    if pairs > MAX_WAIVER_PAIRS {
        problems.push(problem(
            "too-large",
            None,
            format!(
                "{} waivers over {} results: too many to re-apply (limit {MAX_WAIVER_PAIRS} pairs)",
                record.waivers.len(),
                record.results.len()
            ),
        ));
        return;
    }
    let today = match chrono::DateTime::parse_from_rfc3339(&record.run.started) {
        Ok(t) => t.with_timezone(&chrono::Utc).date_naive(),
        Err(e) => {
            problems.push(problem(
                "bad-predicate",
                None,
                format!("run.started `{}` is not an RFC 3339 time: {e}", record.run.started),
            ));
            return;
        }
    };
    let mut original = record.results.clone();
    for r in &mut original {
        match (&r.waiver, r.status) {
            (Some(w), Status::Waived) if matches!(w.waived_from, Status::Fail | Status::Error) => {
                r.status = w.waived_from;
                r.reason = w.original_reason.clone();
                r.waiver = None;
            }
            (None, Status::Waived) => {
                mismatch(problems, format!("check `{}` is waived but names no waiver", r.id));
                return;
            }
            (Some(w), status) => {
                mismatch(
                    problems,
                    format!(
                        "check `{}` carries a waiver (from {}) but its status is {}",
                        r.id,
                        w.waived_from.as_str(),
                        status.as_str()
                    ),
                );
                return;
            }
            (None, _) => {}
        }
    }
    let waivers: Vec<Waiver> = record
        .waivers
        .iter()
        .map(|w| Waiver {
            spec: WaiverSpec {
                check: w.check.clone(),
                reason: w.reason.clone(),
                approved_by: w.approved_by.clone(),
                ticket: w.ticket.clone(),
                expires: w.expires.clone(),
            },
            source: w.source.clone(),
        })
        .collect();
    let policy = record.policy.waivers.clone().unwrap_or_default();
    let recomputed = crate::waiver::apply(&mut original, &waivers, &policy, today);
    for (got, want) in record.results.iter().zip(&original) {
        if got.status != want.status || got.waiver != want.waiver {
            mismatch(
                problems,
                format!(
                    "check `{}` is recorded {}, but the recorded waivers and waiver policy make it {}",
                    got.id,
                    got.status.as_str(),
                    want.status.as_str()
                ),
            );
        }
    }
    for (got, want) in record.waivers.iter().zip(&recomputed) {
        if got.state != want.state || got.applied_to != want.applied_to {
            mismatch(
                problems,
                format!(
                    "waiver for `{}` ({}) is recorded {} on [{}], but applying it gives {} on [{}]",
                    got.check,
                    got.source,
                    got.state.as_str(),
                    got.applied_to.join(", "),
                    want.state.as_str(),
                    want.applied_to.join(", ")
                ),
            );
        }
    }
}

/// Recomputes the summary with the run-time function and names every field that differs.
fn check_summary(record: &RunRecord, problems: &mut Vec<Problem>) {
    if record.policy.verdict_rule > crate::verdict::RULE {
        problems.push(problem(
            "verdict-rule-unknown",
            None,
            format!(
                "the summary was computed with verdict rule {}, but this readyctl knows rules up to {}; verify it with a newer readyctl",
                record.policy.verdict_rule,
                crate::verdict::RULE
            ),
        ));
        return;
    }
    let mut want: Summary =
        crate::verdict::summarize(&record.results, &record.policy, record.run.interrupted);
    // Imported claims (`check --claims`) can only make the verdict worse, as recorded.
    if let Some(claims) = &record.claims {
        crate::verdict::apply_claims(&mut want, claims);
    }
    let got = &record.summary;
    let mut push = |code: &'static str, m: String| problems.push(problem(code, None, m));
    if got.verdict != want.verdict {
        push(
            "verdict-mismatch",
            format!(
                "summary says {}, but the results and policy give {}{}",
                got.verdict.as_str(),
                want.verdict.as_str(),
                if want.because.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", want.because.join("; "))
                }
            ),
        );
    }
    if got.score != want.score {
        push(
            "score-mismatch",
            format!("summary says score {}, the results give {}", got.score, want.score),
        );
    }
    let level = |l: Option<crate::checklist::Level>| l.map_or("none", |l| l.as_str());
    if got.level != want.level {
        push(
            "level-mismatch",
            format!(
                "summary says level {}, the results give {}",
                level(got.level),
                level(want.level)
            ),
        );
    }
    if got.next_level != want.next_level {
        push(
            "level-mismatch",
            format!(
                "summary's next level differs from the results' ({})",
                want.next_level.as_ref().map_or("none".into(), |n| format!(
                    "{}, missing {}",
                    n.level.as_str(),
                    n.missing.join(", ")
                ))
            ),
        );
    }
    if got.total != want.total || got.counts != want.counts {
        push(
            "summary-mismatch",
            format!(
                "summary counts {} check(s) ({}), the results are {} ({})",
                got.total,
                got.counts.describe(),
                want.total,
                want.counts.describe()
            ),
        );
    }
    if got.interrupted != want.interrupted {
        push(
            "summary-mismatch",
            format!(
                "summary.interrupted is {}, run.interrupted is {}",
                got.interrupted, want.interrupted
            ),
        );
    }
    if got.because != want.because {
        push(
            "summary-mismatch",
            format!(
                "summary's reasons [{}] differ from the results' [{}]",
                got.because.join("; "),
                want.because.join("; ")
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A statement whose predicate is a consistent record of `results` (one evidence file on
    /// the first), with the summary computed by `summarize`.
    fn statement(results: Value) -> (Value, BTreeMap<String, FileDigest>) {
        let sha = "ab".repeat(32);
        let mut results: Vec<crate::outcome::CheckResult> =
            serde_json::from_value(results).unwrap();
        results[0].evidence = vec![crate::outcome::EvidenceFile {
            path: "evidence/a/log".into(),
            sha256: sha.clone(),
            size: 3,
        }];
        let policy = crate::checklist::Policy {
            fail_on: crate::checklist::Severity::High,
            verdict_rule: crate::verdict::RULE,
            min_score: None,
            required_level: None,
            waivers: None,
        };
        let summary = crate::verdict::summarize(&results, &policy, false);
        let predicate = json!({
            "tool": {"name": "readyctl", "version": "0"},
            "run": {"id": "r", "started": "2026-01-01T00:00:00Z", "finished": "2026-01-01T00:00:01Z",
                    "invocation": [], "interrupted": false},
            "checklist": {"name": "c", "source": "c", "sha256": sha, "sources": []},
            "policy": policy, "results": results, "summary": summary, "redactions": {},
        });
        let st = json!({"subject": [{"name": "evidence/a/log", "digest": {"sha256": sha}}],
                        "predicate": predicate});
        let files = BTreeMap::from([(
            "evidence/a/log".to_string(),
            FileDigest { path: "evidence/a/log".into(), sha256: sha, size: 3 },
        )]);
        (st, files)
    }

    fn result(id: &str, severity: &str, level: &str, status: &str) -> Value {
        json!({"id": id, "title": id, "area": "a", "severity": severity, "level": level,
               "probe": "command", "status": status, "reason": "r", "duration_ms": 0,
               "attempts": 1, "defined_at": "r.yaml:1"})
    }

    fn codes(st: &Value, files: &BTreeMap<String, FileDigest>) -> Vec<&'static str> {
        check(st, files).into_iter().map(|p| p.code).collect()
    }

    #[test]
    fn too_many_waivers_over_too_many_results_are_refused_not_reapplied() {
        let n = 3200; // 3200 × 3200 pairs, above the limit
        let results: Vec<Value> =
            (0..n).map(|i| result(&format!("c{i}"), "low", "bronze", "pass")).collect();
        let (mut st, files) = statement(Value::Array(results));
        let waiver = json!({"check": "*", "reason": "r", "source": "r.yaml:1", "state": "unused"});
        st["predicate"]["waivers"] = Value::Array(vec![waiver; n]);
        let t = std::time::Instant::now();
        assert_eq!(codes(&st, &files), vec!["too-large"]);
        assert!(t.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn digests_must_be_lowercase_hex_of_the_right_length_and_not_zero() {
        assert!(well_formed(&"ab".repeat(32), &[64]));
        assert!(!well_formed(&"0".repeat(64), &[64]));
        assert!(!well_formed(&"AB".repeat(32), &[64]));
        assert!(!well_formed(&"ab".repeat(31), &[64]));
        assert!(well_formed(&"1".repeat(40), &[40, 64]));
        assert!(!well_formed(&"g".repeat(40), &[40, 64]));
    }

    #[test]
    fn a_consistent_record_has_no_problem_and_each_edit_is_named() {
        let (st, files) = statement(json!([
            result("a", "critical", "bronze", "fail"),
            result("b", "low", "bronze", "pass"),
        ]));
        assert_eq!(codes(&st, &files), Vec::<&str>::new());
        assert_eq!(st["predicate"]["summary"]["verdict"], "NOT READY");

        let mut forged = st.clone();
        forged["predicate"]["summary"]["verdict"] = json!("READY");
        assert_eq!(codes(&forged, &files), vec!["verdict-mismatch"]);

        let mut forged = st.clone();
        forged["predicate"]["summary"]["score"] = json!(99.0);
        assert_eq!(codes(&forged, &files), vec!["score-mismatch"]);

        let mut forged = st.clone();
        forged["predicate"]["summary"]["counts"]["fail"] = json!(0);
        assert_eq!(codes(&forged, &files), vec!["summary-mismatch"]);

        let mut forged = st.clone();
        forged["predicate"]["results"][0]["evidence"][0]["size"] = json!(4);
        assert_eq!(codes(&forged, &files), vec!["evidence-mismatch"]);

        let mut forged = st.clone();
        forged["predicate"]["results"][1]["id"] = json!("a");
        assert!(codes(&forged, &files).contains(&"bad-predicate"));

        let mut forged = st.clone();
        forged["predicate"]["results"][0]["status"] = json!("waived");
        assert!(codes(&forged, &files).contains(&"waiver-mismatch"));
    }
}
