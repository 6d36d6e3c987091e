//! "Claims vs evidence": each claim of an imported report next to what decided it, and what
//! the claims do to the run's verdict (`check --claims`): a contradicted blocking claim makes
//! the run NOT READY, an unverifiable one at least INCOMPLETE.

use std::fmt::Write as _;

use super::Import;
use super::classify::{Confirm, Placement};
use super::parse::{Marker, Origin};
use crate::checklist::Severity;
use crate::outcome::{CheckResult, Status};

/// What the evidence says about a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimVerdict {
    /// Its check passed, and showed what the claim needs (an applied round trip, …).
    Confirmed,
    /// Its check failed (or failed and was waived).
    Contradicted,
    /// Nothing decided it: the check errored, was skipped, is not in the run, or passed
    /// without testing what the claim states.
    Unverifiable,
    /// A `manual` check without a valid sign-off yet.
    PendingSignOff,
    /// Not a claim of readiness: marked ❌ in the report, or a deployment step.
    NotAClaim,
}

impl ClaimVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimVerdict::Confirmed => "confirmed",
            ClaimVerdict::Contradicted => "contradicted",
            ClaimVerdict::Unverifiable => "unverifiable",
            ClaimVerdict::PendingSignOff => "pending sign-off",
            ClaimVerdict::NotAClaim => "not a claim",
        }
    }
}

/// One row: the claim, what decided it and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ClaimRow {
    pub line: usize,
    pub claim: String,
    /// The check the claim was imported as.
    pub check: Option<String>,
    /// Its probe kind, when it ran.
    pub probe: Option<String>,
    /// The evidence file that decided it (relative to the run directory).
    pub evidence: Option<String>,
    pub verdict: ClaimVerdict,
    /// The check's status and reason, or why nothing could decide the claim.
    pub detail: String,
    /// Whether the claim counts for the verdict: its check is blocking (severity at or above
    /// `fail_on`, or not in the run at all) and not waived.
    pub gates: bool,
}

/// Matches claims to results by the check id the import gave them.
pub fn rows(import: &Import, results: &[CheckResult], fail_on: Severity) -> Vec<ClaimRow> {
    import
        .items
        .iter()
        .map(|item| {
            let result = item.check_id.as_ref().and_then(|id| results.iter().find(|r| &r.id == id));
            let mut row = ClaimRow {
                line: item.claim.line,
                claim: item.claim.text.clone(),
                check: item.check_id.clone(),
                probe: result.map(|r| r.probe.clone()),
                evidence: result.and_then(deciding_evidence),
                verdict: ClaimVerdict::Unverifiable,
                detail: String::new(),
                gates: true,
            };
            match (&item.placement, result) {
                (Placement::Unplaced(why), _) => {
                    let not_a_claim =
                        item.claim.marker == Marker::Failed || item.claim.origin == Origin::Code;
                    row.verdict = if not_a_claim {
                        row.gates = false;
                        ClaimVerdict::NotAClaim
                    } else {
                        ClaimVerdict::Unverifiable
                    };
                    row.detail = format!("not imported: {why}");
                }
                (Placement::Check { .. }, None) => {
                    row.detail = format!(
                        "check `{}` is not in this run (removed from the checklist or not selected)",
                        item.check_id.as_deref().unwrap_or_default()
                    );
                }
                (Placement::Check { .. }, Some(r)) => {
                    row.gates = crate::verdict::severity_blocks(r.severity, fail_on)
                        && r.status != Status::Waived;
                    let (verdict, detail) = judge(r, item.confirm);
                    row.verdict = verdict;
                    row.detail = detail;
                }
            }
            row
        })
        .collect()
}

/// A check's result → the claim's verdict. A pass confirms only when it shows what the claim
/// states: a migrations claim needs the migrations applied (the `round_trip` measurement),
/// a reversibility claim the up/down/up round trip itself.
fn judge(r: &CheckResult, confirm: Confirm) -> (ClaimVerdict, String) {
    let said = format!("{}: {}", r.status.as_str(), r.reason);
    match r.status {
        Status::Pass => {
            let round_trip =
                r.measurements.iter().find(|m| m.name == "round_trip").map(|m| m.value);
            match (confirm, round_trip) {
                (Confirm::Cited, _) => (
                    ClaimVerdict::Unverifiable,
                    format!(
                        "the file it cites is there, which does not show the outcome it states: sign it off or add a check that tests it ({said})"
                    ),
                ),
                (Confirm::Pass, _) | (Confirm::Applied, Some(_)) => (ClaimVerdict::Confirmed, said),
                (Confirm::RoundTrip, Some(v)) if v >= 1.0 => (ClaimVerdict::Confirmed, said),
                (Confirm::RoundTrip, Some(_)) => (
                    ClaimVerdict::Unverifiable,
                    format!(
                        "the check passed but no up/down/up round trip ran, so reversibility was not tested ({said})"
                    ),
                ),
                (_, None) => (
                    ClaimVerdict::Unverifiable,
                    format!(
                        "the check passed but the migrations were not applied, so the claim was not tested ({said})"
                    ),
                ),
            }
        }
        Status::Fail => (ClaimVerdict::Contradicted, said),
        Status::Waived => (ClaimVerdict::Contradicted, format!("{said} (failure waived)")),
        Status::Pending => (ClaimVerdict::PendingSignOff, said),
        Status::Error | Status::Skip => (ClaimVerdict::Unverifiable, said),
    }
}

/// The evidence file that decided a check: its `summary.json` or attestation summary when it
/// has one, else its first file.
fn deciding_evidence(r: &CheckResult) -> Option<String> {
    let by_name = |name: &str| r.evidence.iter().find(|e| e.path.ends_with(name));
    by_name("/summary.json")
        .or_else(|| by_name("/attestation.json"))
        .or_else(|| r.evidence.first())
        .map(|e| e.path.clone())
}

/// How many claims got each verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub confirmed: usize,
    pub contradicted: usize,
    pub unverifiable: usize,
    pub pending: usize,
    pub not_claims: usize,
}

pub fn tally(rows: &[ClaimRow]) -> Tally {
    let count = |v: ClaimVerdict| rows.iter().filter(|r| r.verdict == v).count();
    Tally {
        confirmed: count(ClaimVerdict::Confirmed),
        contradicted: count(ClaimVerdict::Contradicted),
        unverifiable: count(ClaimVerdict::Unverifiable),
        pending: count(ClaimVerdict::PendingSignOff),
        not_claims: count(ClaimVerdict::NotAClaim),
    }
}

/// The claims that hold the run back: (contradicted, unverifiable or pending), as
/// `REPORT.md:LINE`.
fn blocking(rows: &[ClaimRow], report_name: &str) -> (Vec<String>, Vec<String>) {
    let at = |r: &&ClaimRow| format!("{report_name}:{}", r.line);
    let contradicted = rows
        .iter()
        .filter(|r| r.gates && r.verdict == ClaimVerdict::Contradicted)
        .map(|r| at(&r))
        .collect();
    let unverified = rows
        .iter()
        .filter(|r| {
            r.gates
                && matches!(r.verdict, ClaimVerdict::Unverifiable | ClaimVerdict::PendingSignOff)
        })
        .map(|r| at(&r))
        .collect();
    (contradicted, unverified)
}

/// The claims' effect on the run, as recorded in the predicate and applied by
/// [`crate::verdict::apply_claims`]: a contradicted claim makes it NOT READY, an unverifiable
/// (or unsigned) one at least INCOMPLETE.
pub fn effect_of(rows: &[ClaimRow], report_name: &str) -> crate::verdict::ClaimsEffect {
    let (contradicted, unverified) = blocking(rows, report_name);
    crate::verdict::ClaimsEffect { report: report_name.to_string(), contradicted, unverified }
}

use crate::verdict::first_few as list;

/// The counts and what they do to the run, as plain text for the terminal (no Markdown).
pub fn terminal_lines(report_name: &str, rows: &[ClaimRow]) -> Vec<String> {
    let t = tally(rows);
    let mut lines = vec![format!(
        "claims in {report_name}: {} confirmed, {} contradicted, {} unverifiable, {} pending sign-off, {} not claims",
        t.confirmed, t.contradicted, t.unverifiable, t.pending, t.not_claims
    )];
    lines.push(effect(rows, report_name));
    lines
}

fn effect(rows: &[ClaimRow], report_name: &str) -> String {
    let (contradicted, unverified) = blocking(rows, report_name);
    if !contradicted.is_empty() {
        format!(
            "the claims make the run NOT READY: {} contradicted ({}){}",
            contradicted.len(),
            list(&contradicted),
            if unverified.is_empty() {
                String::new()
            } else {
                format!(", {} not verified", unverified.len())
            }
        )
    } else if !unverified.is_empty() {
        format!(
            "the claims leave the run at most INCOMPLETE: {} not verified ({})",
            unverified.len(),
            list(&unverified)
        )
    } else {
        "every claim is confirmed by evidence from this run".into()
    }
}

/// The Markdown section appended to report.md.
pub fn markdown(report_name: &str, rows: &[ClaimRow]) -> String {
    use crate::report::markdown::cell;
    let mut w = String::new();
    let t = tally(rows);
    let _ = writeln!(w, "## Claims vs evidence\n");
    let _ = writeln!(
        w,
        "{} claims in `{}`: {} confirmed, {} contradicted, {} unverifiable, {} pending sign-off, {} not claims.\n",
        rows.len(),
        report_name.replace('`', "'"),
        t.confirmed,
        t.contradicted,
        t.unverifiable,
        t.pending,
        t.not_claims,
    );
    let _ = writeln!(w, "**{}**.\n", cell(&effect(rows, report_name)));
    let _ = writeln!(w, "| Claim | Line | Verdict | Decided by | Detail |\n|---|---:|---|---|---|");
    for r in rows {
        let detail: String = r.detail.chars().take(240).collect();
        let decided_by = match (&r.check, &r.probe, &r.evidence) {
            (Some(c), Some(p), Some(e)) => format!("`{c}` ({p}), `{e}`"),
            (Some(c), Some(p), None) => format!("`{c}` ({p})"),
            (Some(c), None, _) => format!("`{c}` (not run)"),
            (None, _, _) => "—".into(),
        };
        let _ = writeln!(
            w,
            "| {} | {} | **{}**{} | {} | {} |",
            cell(&r.claim),
            r.line,
            r.verdict.as_str(),
            if r.gates || r.verdict == ClaimVerdict::NotAClaim { "" } else { " (not blocking)" },
            decided_by,
            cell(&detail)
        );
    }
    w.push('\n');
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Measurement;
    use crate::verdict::Verdict;

    fn result(id: &str, status: Status, severity: Severity, m: &[(&str, f64)]) -> CheckResult {
        CheckResult {
            id: id.into(),
            title: String::new(),
            area: String::new(),
            severity,
            level: None,
            tags: Vec::new(),
            probe: "migrations".into(),
            status,
            reason: "r".into(),
            skip_cause: None,
            measurements: m.iter().map(|(n, v)| Measurement::new(*n, *v, "count")).collect(),
            locations: Vec::new(),
            evidence: Vec::new(),
            duration_ms: 0,
            attempts: 1,
            remediation: None,
            docs: None,
            defined_at: Default::default(),
            waiver: None,
        }
    }

    const REPORT: &str = "# R\n\n## Db\n\n- ✅ Migrations are idempotent and reversible\n- ✅ Migrations in `db/migrations/` apply\n- ❌ Restore drill\n";

    fn verdicts(results: &[CheckResult]) -> Vec<ClaimVerdict> {
        let import = crate::claims::import(REPORT, "R.md");
        rows(&import, results, Severity::High).iter().map(|r| r.verdict).collect()
    }

    #[test]
    fn a_pass_confirms_a_migrations_claim_only_when_it_was_applied() {
        let import = crate::claims::import(REPORT, "R.md");
        let ids: Vec<String> = import.items.iter().filter_map(|i| i.check_id.clone()).collect();
        let crit = Severity::Critical;
        // Not applied (no round_trip measurement): both unverifiable.
        let not_applied: Vec<_> =
            ids.iter().map(|id| result(id, Status::Pass, crit, &[])).collect();
        use ClaimVerdict::*;
        assert_eq!(verdicts(&not_applied), vec![Unverifiable, Unverifiable, NotAClaim]);
        // Applied without a down migration: idempotent-only claims hold, reversibility not.
        let no_down: Vec<_> =
            ids.iter().map(|id| result(id, Status::Pass, crit, &[("round_trip", 0.0)])).collect();
        assert_eq!(verdicts(&no_down), vec![Unverifiable, Confirmed, NotAClaim]);
        let full: Vec<_> =
            ids.iter().map(|id| result(id, Status::Pass, crit, &[("round_trip", 1.0)])).collect();
        assert_eq!(verdicts(&full), vec![Confirmed, Confirmed, NotAClaim]);
        let failed: Vec<_> = ids.iter().map(|id| result(id, Status::Fail, crit, &[])).collect();
        assert_eq!(verdicts(&failed), vec![Contradicted, Contradicted, NotAClaim]);
        // A check missing from the run leaves its claim unverifiable.
        assert_eq!(verdicts(&full[..1]), vec![Confirmed, Unverifiable, NotAClaim]);
    }

    #[test]
    fn claims_weigh_on_the_verdict() {
        let import = crate::claims::import(REPORT, "R.md");
        let ids: Vec<String> = import.items.iter().filter_map(|i| i.check_id.clone()).collect();
        let policy = crate::checklist::Policy {
            fail_on: Severity::High,
            verdict_rule: crate::verdict::RULE,
            min_score: None,
            required_level: None,
            waivers: None,
        };
        let summary = |results: &[CheckResult]| {
            let mut s = crate::verdict::summarize(results, &policy, false);
            let r = rows(&import, results, Severity::High);
            crate::verdict::apply_claims(&mut s, &effect_of(&r, "R.md"));
            s
        };
        let c = Severity::Critical;
        // Both checks pass, but one claim was not tested: READY becomes INCOMPLETE.
        let s = summary(&[
            result(&ids[0], Status::Pass, c, &[("round_trip", 0.0)]),
            result(&ids[1], Status::Pass, c, &[("round_trip", 0.0)]),
        ]);
        assert_eq!(s.verdict, Verdict::Incomplete);
        assert!(s.because.iter().any(|b| b == "claim not verified: R.md:5"), "{:?}", s.because);
        // A contradicted claim: NOT READY, even when its check is not blocking by severity…
        let s = summary(&[
            result(&ids[0], Status::Pass, c, &[("round_trip", 1.0)]),
            result(&ids[1], Status::Fail, Severity::Low, &[]),
        ]);
        assert_eq!(s.verdict, Verdict::Ready, "a low check is out of the gate: {:?}", s.because);
        let s = summary(&[
            result(&ids[0], Status::Pass, c, &[("round_trip", 1.0)]),
            result(&ids[1], Status::Fail, c, &[]),
        ]);
        assert_eq!(s.verdict, Verdict::NotReady);
        assert!(s.because.iter().any(|b| b.contains("claim contradicted by the evidence: R.md:6")));
        let s = summary(&[
            result(&ids[0], Status::Pass, c, &[("round_trip", 1.0)]),
            result(&ids[1], Status::Pass, c, &[("round_trip", 1.0)]),
        ]);
        assert_eq!(s.verdict, Verdict::Ready, "{:?}", s.because);
    }

    #[test]
    fn terminal_lines_are_plain_text() {
        let import = crate::claims::import(REPORT, "READINESS_REPORT.md");
        let r = rows(&import, &[], Severity::High);
        let lines = terminal_lines("READINESS_REPORT.md", &r);
        assert!(lines[0].starts_with("claims in READINESS_REPORT.md: 0 confirmed"), "{lines:?}");
        assert!(lines.iter().all(|l| !l.contains('\\')), "{lines:?}");
        assert!(lines[1].contains("INCOMPLETE"), "{lines:?}");
        let md = markdown("READINESS_REPORT.md", &r);
        assert!(md.contains("`READINESS_REPORT.md`"), "{md}");
    }
}
