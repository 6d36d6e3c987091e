//! Waivers: accepted failures with a reason, an approver, a ticket and an expiry. A waiver
//! turns a failing or erroring check into `waived` while its original status and reason stay
//! in the result; an expired or rejected waiver is not applied and is reported in the run.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::checklist::Severity;
use crate::outcome::{CheckResult, Status};

/// A waiver as written in the checklist (`waivers:`) or in a `--waivers` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaiverSpec {
    /// Check id or glob (`docs.*`) this waiver covers.
    pub check: String,
    /// Why the failure is accepted for now (required).
    pub reason: String,
    /// Who approved the waiver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    /// Ticket that tracks the fix, e.g. `PAY-123`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// Last day the waiver applies (`YYYY-MM-DD`, UTC); after it the waiver is expired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// What the policy demands of waivers (`policy.waivers`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaiverPolicy {
    /// Every waiver must name `approved_by`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_approver: bool,
    /// Longest a waiver may run: `expires` is required and at most this many days ahead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_days: Option<u32>,
    /// Waivers never apply to `critical` checks.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forbid_on_critical: bool,
}

/// A loaded waiver and where it is written (`readiness.yaml:40`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Waiver {
    pub spec: WaiverSpec,
    pub source: String,
}

/// Why a waiver did or did not apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaiverState {
    /// Applied to at least one failing or erroring check.
    Applied,
    /// Valid, but no matching check failed.
    Unused,
    /// Past its `expires` date: not applied.
    Expired,
    /// Breaks the waiver policy: not applied.
    Rejected,
}

impl WaiverState {
    pub fn as_str(self) -> &'static str {
        match self {
            WaiverState::Applied => "applied",
            WaiverState::Unused => "unused",
            WaiverState::Expired => "expired",
            WaiverState::Rejected => "rejected",
        }
    }
}

/// A waiver as recorded in the run (`RunRecord.waivers`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaiverRecord {
    pub check: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Where it is written (`file:line`).
    pub source: String,
    pub state: WaiverState,
    /// Why it was not applied (expired, policy), or what it would not cover.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Checks it turned into `waived`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applied_to: Vec<String>,
}

/// On a waived check: what it was before, and the waiver that covers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedWaiver {
    /// The status the probe reported (`fail` or `error`).
    pub waived_from: Status,
    /// The probe's reason, kept visible.
    pub original_reason: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Where the waiver is written.
    pub source: String,
}

/// Parses a waiver date (`YYYY-MM-DD`).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// Problems with a waiver that can be found without a clock or results, each with the field
/// it concerns (for a located diagnostic).
pub fn validate(spec: &WaiverSpec, policy: &WaiverPolicy) -> Vec<(&'static str, String)> {
    let mut issues = Vec::new();
    if spec.check.trim().is_empty() {
        issues.push(("check", "`check` must name a check id or glob".to_string()));
    } else if let Err(e) = globset::Glob::new(&spec.check) {
        issues.push(("check", format!("invalid glob `{}`: {e}", spec.check)));
    }
    if spec.reason.trim().is_empty() {
        issues.push(("reason", "a waiver needs a `reason`".to_string()));
    }
    if let Some(e) = &spec.expires
        && parse_date(e).is_none()
    {
        issues.push(("expires", format!("`{e}` is not a date (YYYY-MM-DD)")));
    }
    if policy.require_approver && spec.approved_by.as_deref().is_none_or(|a| a.trim().is_empty()) {
        issues.push(("approved_by", "policy.waivers.require_approver: name `approved_by`".into()));
    }
    if let Some(max) = policy.max_days
        && spec.expires.is_none()
    {
        issues.push((
            "expires",
            format!("policy.waivers.max_days is {max}: the waiver needs an `expires` date"),
        ));
    }
    issues
}

/// Applies `waivers` to `results` on `today`: a failing or erroring check covered by a valid
/// waiver becomes `waived` (original status and reason kept in [`CheckResult::waiver`]).
/// Returns every waiver with its state, for the record.
pub fn apply(
    results: &mut [CheckResult],
    waivers: &[Waiver],
    policy: &WaiverPolicy,
    today: NaiveDate,
) -> Vec<WaiverRecord> {
    let mut records = Vec::new();
    for w in waivers {
        let s = &w.spec;
        let mut rec = WaiverRecord {
            check: s.check.clone(),
            reason: s.reason.clone(),
            approved_by: s.approved_by.clone(),
            ticket: s.ticket.clone(),
            expires: s.expires.clone(),
            source: w.source.clone(),
            state: WaiverState::Unused,
            notes: Vec::new(),
            applied_to: Vec::new(),
        };
        let matcher = match globset::Glob::new(&s.check) {
            Ok(g) => g.compile_matcher(),
            Err(e) => {
                rec.state = WaiverState::Rejected;
                rec.notes.push(format!("invalid glob: {e}"));
                records.push(rec);
                continue;
            }
        };
        let expires = s.expires.as_deref().and_then(parse_date);
        let problems: Vec<(&str, String)> = validate(s, policy);
        if !problems.is_empty() {
            rec.state = WaiverState::Rejected;
            rec.notes.extend(problems.into_iter().map(|(_, m)| m));
        } else if let Some(exp) = expires
            && exp < today
        {
            rec.state = WaiverState::Expired;
            rec.notes.push(format!("expired on {exp}"));
        } else if let (Some(max), Some(exp)) = (policy.max_days, expires)
            && (exp - today).num_days() > i64::from(max)
        {
            rec.state = WaiverState::Rejected;
            rec.notes.push(format!(
                "expires in {} days; policy.waivers.max_days is {max}",
                (exp - today).num_days()
            ));
        }
        if rec.state == WaiverState::Unused {
            for r in results.iter_mut().filter(|r| matcher.is_match(&r.id)) {
                if !matches!(r.status, Status::Fail | Status::Error) || r.waiver.is_some() {
                    continue;
                }
                if policy.forbid_on_critical && r.severity == Severity::Critical {
                    rec.notes.push(format!(
                        "not applied to critical check {} (policy.waivers.forbid_on_critical)",
                        r.id
                    ));
                    continue;
                }
                r.waiver = Some(AppliedWaiver {
                    waived_from: r.status,
                    original_reason: r.reason.clone(),
                    reason: s.reason.clone(),
                    approved_by: s.approved_by.clone(),
                    ticket: s.ticket.clone(),
                    expires: s.expires.clone(),
                    source: w.source.clone(),
                });
                r.reason = format!("{} (waived: {})", r.reason, s.reason);
                r.status = Status::Waived;
                rec.applied_to.push(r.id.clone());
            }
            if !rec.applied_to.is_empty() {
                rec.state = WaiverState::Applied;
            }
        }
        records.push(rec);
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, severity: Severity, status: Status) -> CheckResult {
        serde_json::from_value(serde_json::json!({
            "id": id, "title": id, "area": "a", "severity": severity, "probe": "command",
            "status": status, "reason": format!("{id} broke"), "duration_ms": 0, "attempts": 1,
            "defined_at": "r.yaml:1"
        }))
        .unwrap()
    }

    fn waiver(check: &str, expires: Option<&str>) -> Waiver {
        Waiver {
            spec: WaiverSpec {
                check: check.into(),
                reason: "accepted".into(),
                approved_by: Some("alice".into()),
                ticket: None,
                expires: expires.map(str::to_string),
            },
            source: "r.yaml:9".into(),
        }
    }

    fn day(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn glob_waives_failures_and_errors_keeping_the_original() {
        let mut rs = vec![
            result("docs.a", Severity::High, Status::Fail),
            result("docs.b", Severity::High, Status::Error),
            result("docs.c", Severity::High, Status::Pass),
            result("tests.x", Severity::High, Status::Fail),
        ];
        let recs =
            apply(&mut rs, &[waiver("docs.*", None)], &WaiverPolicy::default(), day("2025-01-01"));
        assert_eq!(
            rs.iter().map(|r| r.status).collect::<Vec<_>>(),
            vec![Status::Waived, Status::Waived, Status::Pass, Status::Fail]
        );
        let w = rs[1].waiver.as_ref().unwrap();
        assert_eq!((w.waived_from, w.original_reason.as_str()), (Status::Error, "docs.b broke"));
        assert!(rs[0].reason.starts_with("docs.a broke"));
        assert_eq!(recs[0].state, WaiverState::Applied);
        assert_eq!(recs[0].applied_to, vec!["docs.a", "docs.b"]);
    }

    #[test]
    fn expired_waivers_are_not_applied_and_the_last_day_still_counts() {
        let mut rs = vec![result("a", Severity::High, Status::Fail)];
        let recs = apply(
            &mut rs,
            &[waiver("a", Some("2024-12-31"))],
            &WaiverPolicy::default(),
            day("2025-01-01"),
        );
        assert_eq!(rs[0].status, Status::Fail);
        assert_eq!(recs[0].state, WaiverState::Expired);
        let recs = apply(
            &mut rs,
            &[waiver("a", Some("2025-01-01"))],
            &WaiverPolicy::default(),
            day("2025-01-01"),
        );
        assert_eq!(rs[0].status, Status::Waived);
        assert_eq!(recs[0].state, WaiverState::Applied);
    }

    #[test]
    fn policy_limits_lifetime_approver_and_critical_checks() {
        let p =
            WaiverPolicy { require_approver: true, max_days: Some(30), forbid_on_critical: true };
        let mut rs = vec![
            result("crit", Severity::Critical, Status::Fail),
            result("high", Severity::High, Status::Fail),
        ];
        let recs = apply(&mut rs, &[waiver("*", Some("2025-01-20"))], &p, day("2025-01-01"));
        assert_eq!(rs[0].status, Status::Fail);
        assert_eq!(rs[1].status, Status::Waived);
        assert!(recs[0].notes[0].contains("critical check crit"));
        let recs = apply(&mut rs, &[waiver("crit", Some("2025-06-01"))], &p, day("2025-01-01"));
        assert_eq!(recs[0].state, WaiverState::Rejected);
        let mut anonymous = waiver("crit", Some("2025-01-02"));
        anonymous.spec.approved_by = None;
        assert_eq!(validate(&anonymous.spec, &p)[0].0, "approved_by");
        assert_eq!(validate(&waiver("x", None).spec, &p)[0].0, "expires");
    }
}
