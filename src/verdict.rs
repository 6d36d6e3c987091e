//! The verdict, score and level, computed once from the results; every reporter shows these
//! numbers and none recomputes them.

use serde::{Deserialize, Serialize};

use crate::checklist::{Level, Policy, Severity};
use crate::outcome::{CheckResult, SkipCause, Status};

/// Does a check of this severity block the verdict under `fail_on`? The one definition of
/// "blocking"; whether a blocking check actually stops READY also depends on its status.
pub fn severity_blocks(severity: Severity, fail_on: Severity) -> bool {
    severity >= fail_on
}

/// Is this result blocking under the policy (its severity at or above `fail_on`)? Every
/// reporter, the verdict and the diff ask this rather than comparing severities themselves.
pub fn is_blocking(r: &CheckResult, policy: &Policy) -> bool {
    severity_blocks(r.severity, policy.fail_on)
}

/// READY / NOT READY / INCOMPLETE (README, "Exit codes (`check`)"; the contract is
/// `../shared/DESIGN.md`, "Results", outside this repository).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    #[serde(rename = "READY")]
    Ready,
    #[serde(rename = "NOT READY")]
    NotReady,
    #[serde(rename = "INCOMPLETE")]
    Incomplete,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ready => "READY",
            Verdict::NotReady => "NOT READY",
            Verdict::Incomplete => "INCOMPLETE",
        }
    }

    /// The `check` exit code: 0 READY, 1 NOT READY, 3 INCOMPLETE.
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Ready => crate::exit::READY,
            Verdict::NotReady => crate::exit::NOT_READY,
            Verdict::Incomplete => crate::exit::INCOMPLETE,
        }
    }
}

/// The verdict rule this build applies, recorded in every run's policy (`verdict_rule`) so
/// `verify` recomputes a signed summary by the rule it was computed with.
/// - 1: READY when no blocking check failed or went unverified (even when none passed).
/// - 2: as 1, and a run in which no blocking check passed is INCOMPLETE ("nothing blocking
///   was verified"); checks without a `severity` are `high` (applied by the loader, so it
///   is already in each recorded result's severity).
pub const RULE: u32 = 2;

/// The rule of records written before `verdict_rule` existed.
pub fn legacy_rule() -> u32 {
    1
}

/// Weight of a check in the score, by severity.
pub fn weight(severity: Severity) -> u32 {
    match severity {
        Severity::Critical => 10,
        Severity::High => 5,
        Severity::Medium => 3,
        Severity::Low => 1,
        Severity::Info => 0,
    }
}

/// The first eight items, comma-separated, then "and N more".
pub(crate) fn first_few(items: &[String]) -> String {
    crate::text::first_few(items, 8, crate::text::More::And)
}

/// What imported claims (`check --claims`) did to the verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimsEffect {
    /// The imported report's file name.
    pub report: String,
    /// Blocking claims the evidence contradicts (`REPORT.md:LINE`): the run is NOT READY.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contradicted: Vec<String>,
    /// Blocking claims nothing verified (unverifiable or awaiting sign-off): the run is at
    /// most INCOMPLETE.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unverified: Vec<String>,
}

/// The claims' effect on a summary computed by [`summarize`]: a contradicted claim makes the
/// run NOT READY, an unverified one at least INCOMPLETE; each adds a `because` line. Used by
/// `check --claims` and by `verify`'s recomputation, so both agree.
pub fn apply_claims(summary: &mut Summary, claims: &ClaimsEffect) {
    let list = first_few;
    if !claims.contradicted.is_empty() {
        summary.because.push(format!(
            "claim{} contradicted by the evidence: {}",
            crate::diag::plural(claims.contradicted.len()),
            list(&claims.contradicted)
        ));
        summary.verdict = Verdict::NotReady;
    }
    if !claims.unverified.is_empty() {
        summary.because.push(format!(
            "claim{} not verified: {}",
            crate::diag::plural(claims.unverified.len()),
            list(&claims.unverified)
        ));
        if summary.verdict == Verdict::Ready {
            summary.verdict = Verdict::Incomplete;
        }
    }
}

/// Everything a reader needs in one line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub verdict: Verdict,
    /// Why the verdict is not READY, one line each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub because: Vec<String>,
    pub total: usize,
    pub counts: Counts,
    /// Severity-weighted share (0–100) of applicable checks that passed or were waived.
    pub score: f64,
    /// Highest level whose checks (and all lower levels') passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    /// Checks still failing for the next level, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_level: Option<NextLevel>,
    pub interrupted: bool,
}

/// How many checks ended in each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub skip: usize,
    pub waived: usize,
    pub pending: usize,
}

impl Counts {
    pub fn get(&self, s: Status) -> usize {
        match s {
            Status::Pass => self.pass,
            Status::Fail => self.fail,
            Status::Error => self.error,
            Status::Skip => self.skip,
            Status::Waived => self.waived,
            Status::Pending => self.pending,
        }
    }
    fn get_mut(&mut self, s: Status) -> &mut usize {
        match s {
            Status::Pass => &mut self.pass,
            Status::Fail => &mut self.fail,
            Status::Error => &mut self.error,
            Status::Skip => &mut self.skip,
            Status::Waived => &mut self.waived,
            Status::Pending => &mut self.pending,
        }
    }
    /// `3 pass, 2 fail` in status order, leaving out zeros.
    pub fn describe(&self) -> String {
        Status::ALL
            .iter()
            .filter(|s| self.get(**s) > 0)
            .map(|s| format!("{} {}", self.get(*s), s.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NextLevel {
    pub level: Level,
    pub missing: Vec<String>,
}

pub fn summarize(results: &[CheckResult], policy: &Policy, interrupted: bool) -> Summary {
    let mut counts = Counts::default();
    for r in results {
        *counts.get_mut(r.status) += 1;
    }
    let (mut got, mut possible) = (0u32, 0u32);
    for r in results {
        let w = weight(r.severity);
        match r.status {
            Status::Pass | Status::Waived => {
                got += w;
                possible += w;
            }
            Status::Fail | Status::Error | Status::Pending => possible += w,
            Status::Skip if r.skip_cause != Some(SkipCause::NotApplicable) => possible += w,
            Status::Skip => {}
        }
    }
    let score = if possible == 0 {
        100.0
    } else {
        (1000.0 * f64::from(got) / f64::from(possible)).round() / 10.0
    };

    let (level, next_level) = levels(results);

    let blocking = |r: &&CheckResult| is_blocking(r, policy);
    let mut because = Vec::new();
    let failed: Vec<&str> = results
        .iter()
        .filter(blocking)
        .filter(|r| r.status == Status::Fail)
        .map(|r| r.id.as_str())
        .collect();
    if !failed.is_empty() {
        because.push(format!(
            "blocking check{} failed: {}",
            crate::diag::plural(failed.len()),
            failed.join(", ")
        ));
    }
    if let Some(min) = policy.min_score
        && score < min
    {
        because.push(format!("score {score} is below the required {min}"));
    }
    if let Some(required) = policy.required_level
        && level.is_none_or(|l| l < required)
    {
        because.push(format!("required level {} not reached", required.as_str()));
    }
    let not_ready = !because.is_empty();
    let unverified: Vec<&str> = results
        .iter()
        .filter(blocking)
        .filter(|r| {
            matches!(r.status, Status::Error | Status::Pending)
                || (r.status == Status::Skip && r.skip_cause != Some(SkipCause::NotApplicable))
        })
        .map(|r| r.id.as_str())
        .collect();
    if !unverified.is_empty() {
        because.push(format!(
            "blocking check{} not verified: {}",
            crate::diag::plural(unverified.len()),
            unverified.join(", ")
        ));
    }
    if interrupted {
        because.push("the run was interrupted".into());
    }
    // Rule 2: READY means something blocking was looked at and held. A run whose blocking
    // checks all errored, were skipped or waived, or that has none, proved nothing.
    let vacuous = policy.verdict_rule >= 2
        && !not_ready
        && !results.iter().filter(blocking).any(|r| r.status == Status::Pass);
    if vacuous {
        because.push(format!(
            "nothing blocking was verified: no check at severity {} or above passed",
            policy.fail_on.as_str()
        ));
    }
    let verdict = if not_ready {
        Verdict::NotReady
    } else if !unverified.is_empty() || interrupted || vacuous {
        Verdict::Incomplete
    } else {
        Verdict::Ready
    };
    Summary {
        verdict,
        because,
        total: results.len(),
        counts,
        score,
        level,
        next_level,
        interrupted,
    }
}

/// A level is reached when at least one check is at that level and every check at it or below
/// passed, was waived, or was not applicable.
fn levels(results: &[CheckResult]) -> (Option<Level>, Option<NextLevel>) {
    let ok = |r: &CheckResult| {
        matches!(r.status, Status::Pass | Status::Waived)
            || (r.status == Status::Skip && r.skip_cause == Some(SkipCause::NotApplicable))
    };
    let mut reached = None;
    for level in Level::ALL {
        let at_or_below: Vec<&CheckResult> =
            results.iter().filter(|r| r.level.is_some_and(|l| l <= level)).collect();
        let has_own = results.iter().any(|r| r.level == Some(level));
        if !has_own {
            continue;
        }
        let missing: Vec<String> =
            at_or_below.iter().filter(|r| !ok(r)).map(|r| r.id.clone()).collect();
        if missing.is_empty() {
            reached = Some(level);
        } else {
            return (reached, Some(NextLevel { level, missing }));
        }
    }
    (reached, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, severity: Severity, level: Option<Level>, status: Status) -> CheckResult {
        CheckResult {
            id: id.into(),
            title: id.into(),
            area: "a".into(),
            severity,
            level,
            tags: vec![],
            probe: "command".into(),
            status,
            reason: String::new(),
            skip_cause: None,
            measurements: vec![],
            locations: vec![],
            evidence: vec![],
            duration_ms: 0,
            attempts: 1,
            remediation: None,
            docs: None,
            defined_at: Default::default(),
            waiver: None,
        }
    }

    fn policy() -> Policy {
        Policy {
            fail_on: Severity::High,
            verdict_rule: RULE,
            min_score: None,
            required_level: None,
            waivers: None,
        }
    }

    #[test]
    fn blocking_failure_is_not_ready_and_low_failure_is_not() {
        let rs = vec![
            result("a", Severity::High, None, Status::Pass),
            result("b", Severity::Low, None, Status::Fail),
        ];
        let s = summarize(&rs, &policy(), false);
        assert_eq!(s.verdict, Verdict::Ready);
        assert_eq!(s.score, 83.3); // 5 of 6
        let rs = vec![
            result("a", Severity::Critical, None, Status::Fail),
            result("b", Severity::High, None, Status::Error),
        ];
        assert_eq!(summarize(&rs, &policy(), false).verdict, Verdict::NotReady);
    }

    #[test]
    fn claims_only_make_the_verdict_worse() {
        let rs = vec![result("a", Severity::High, None, Status::Pass)];
        let ready = summarize(&rs, &policy(), false);
        let mut s = ready.clone();
        let none = ClaimsEffect { report: "R.md".into(), contradicted: vec![], unverified: vec![] };
        apply_claims(&mut s, &none);
        assert_eq!(s, ready);
        let unverified = ClaimsEffect { unverified: vec!["R.md:4".into()], ..none.clone() };
        apply_claims(&mut s, &unverified);
        assert_eq!(s.verdict, Verdict::Incomplete);
        assert_eq!(s.because, ["claim not verified: R.md:4"]);
        let contradicted = ClaimsEffect { contradicted: vec!["R.md:2".into()], ..none };
        apply_claims(&mut s, &contradicted);
        assert_eq!(s.verdict, Verdict::NotReady);
        assert_eq!(s.score, ready.score, "claims do not change the score");
    }

    #[test]
    fn blocking_error_or_pending_is_incomplete() {
        let rs = vec![
            result("a", Severity::High, None, Status::Error),
            result("b", Severity::Low, None, Status::Fail),
        ];
        let s = summarize(&rs, &policy(), false);
        assert_eq!(s.verdict, Verdict::Incomplete);
        assert!(s.because[0].contains("not verified: a"));
    }

    #[test]
    fn levels_are_cumulative_and_name_what_is_missing() {
        let rs = vec![
            result("b1", Severity::Low, Some(Level::Bronze), Status::Pass),
            result("s1", Severity::Low, Some(Level::Silver), Status::Pass),
            result("g1", Severity::Low, Some(Level::Gold), Status::Fail),
            result("g2", Severity::Low, Some(Level::Gold), Status::Error),
        ];
        let s = summarize(&rs, &policy(), false);
        assert_eq!(s.level, Some(Level::Silver));
        assert_eq!(s.next_level.unwrap().missing, vec!["g1", "g2"]);
        let p = Policy { required_level: Some(Level::Gold), ..policy() };
        assert_eq!(summarize(&rs, &p, false).verdict, Verdict::NotReady);
    }

    #[test]
    fn no_blocking_pass_is_incomplete_not_ready() {
        // Every blocking check errored: INCOMPLETE, as before.
        let rs = vec![
            result("a", Severity::High, None, Status::Error),
            result("b", Severity::Low, None, Status::Pass),
        ];
        let s = summarize(&rs, &policy(), false);
        assert_eq!(s.verdict, Verdict::Incomplete);
        // Only non-blocking checks, all passing: nothing blocking was verified.
        let rs = vec![result("b", Severity::Low, None, Status::Pass)];
        let s = summarize(&rs, &policy(), false);
        assert_eq!(s.verdict, Verdict::Incomplete);
        assert!(s.because.iter().any(|b| b.contains("nothing blocking was verified")), "{s:?}");
        // Blocking checks all waived or not applicable: nothing was verified either.
        let mut na = result("c", Severity::High, None, Status::Skip);
        na.skip_cause = Some(SkipCause::NotApplicable);
        let rs = vec![result("a", Severity::Critical, None, Status::Waived), na];
        assert_eq!(summarize(&rs, &policy(), false).verdict, Verdict::Incomplete);
        // One blocking pass is enough.
        let rs = vec![
            result("a", Severity::High, None, Status::Pass),
            result("b", Severity::Low, None, Status::Fail),
        ];
        assert_eq!(summarize(&rs, &policy(), false).verdict, Verdict::Ready);
        // A blocking failure stays NOT READY, without the "nothing verified" line.
        let rs = vec![result("a", Severity::High, None, Status::Fail)];
        let s = summarize(&rs, &policy(), false);
        assert_eq!(s.verdict, Verdict::NotReady);
        assert_eq!(s.because.len(), 1, "{s:?}");
    }

    #[test]
    fn rule_one_records_keep_their_verdict() {
        // A record signed before rule 2 (no `verdict_rule`) deserializes as rule 1 and is
        // recomputed as it was computed: READY with no blocking check.
        let p: Policy = serde_json::from_value(serde_json::json!({"fail_on": "high"})).unwrap();
        assert_eq!(p.verdict_rule, 1);
        let rs = vec![result("b", Severity::Medium, None, Status::Error)];
        assert_eq!(summarize(&rs, &p, false).verdict, Verdict::Ready);
        assert_eq!(summarize(&rs, &policy(), false).verdict, Verdict::Incomplete);
    }

    #[test]
    fn min_score_gates() {
        let rs = vec![
            result("a", Severity::Medium, None, Status::Pass),
            result("b", Severity::Medium, None, Status::Fail),
        ];
        let p = Policy { min_score: Some(80.0), ..policy() };
        let s = summarize(&rs, &p, false);
        assert_eq!(s.verdict, Verdict::NotReady);
        assert!(s.because[0].contains("score 50 is below"));
    }
}
