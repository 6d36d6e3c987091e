//! Comparing two runs: what got worse, what got fixed, score and level, waivers added or
//! expired, evidence whose digest changed. `regression` decides `readyctl diff`'s exit code and
//! `check --baseline`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::checklist::Level;
use crate::outcome::{CheckResult, SkipCause, Status};
use crate::record::RunRecord;
use crate::verdict::Verdict;
use crate::waiver::WaiverState;

/// How bad a status is, for "got worse": higher is worse. A skip for lack of applicability is
/// as good as a pass; other skips are as bad as pending (unverified).
pub fn badness(r: &CheckResult) -> u8 {
    match r.status {
        Status::Pass => 0,
        Status::Skip if r.skip_cause == Some(SkipCause::NotApplicable) => 0,
        Status::Waived => 1,
        Status::Pending | Status::Skip => 2,
        Status::Error => 3,
        Status::Fail => 4,
    }
}

fn verdict_badness(v: Verdict) -> u8 {
    match v {
        Verdict::Ready => 0,
        Verdict::Incomplete => 1,
        Verdict::NotReady => 2,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSide {
    pub id: String,
    pub commit: Option<String>,
    pub verdict: Verdict,
    pub score: f64,
    pub level: Option<Level>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusChange {
    pub id: String,
    /// `None`: the check is not in that run.
    pub from: Option<Status>,
    pub to: Option<Status>,
    pub reason: String,
    pub blocking: bool,
    pub worse: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceChange {
    pub path: String,
    pub old_sha256: Option<String>,
    pub new_sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunDiff {
    pub old: RunSide,
    pub new: RunSide,
    pub score_change: f64,
    /// True when any check got worse, the verdict got worse, or the level dropped.
    pub regression: bool,
    /// Checks that now fail or error and did not before.
    pub new_failures: Vec<String>,
    /// Checks that now pass and did not before.
    pub fixed: Vec<String>,
    /// Every status change (including checks added or removed).
    pub changes: Vec<StatusChange>,
    pub waivers_added: Vec<String>,
    pub waivers_expired: Vec<String>,
    pub evidence_changed: Vec<EvidenceChange>,
}

fn side(r: &RunRecord) -> RunSide {
    RunSide {
        id: r.run.id.clone(),
        commit: r
            .repository
            .as_ref()
            .and_then(|g| g.get("commit"))
            .and_then(|c| c.as_str())
            .map(str::to_string),
        verdict: r.summary.verdict,
        score: r.summary.score,
        level: r.summary.level,
    }
}

pub fn diff(old: &RunRecord, new: &RunRecord) -> RunDiff {
    let old_by: BTreeMap<&str, &CheckResult> =
        old.results.iter().map(|r| (r.id.as_str(), r)).collect();
    let new_by: BTreeMap<&str, &CheckResult> =
        new.results.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut changes = Vec::new();
    let (mut new_failures, mut fixed) = (Vec::new(), Vec::new());
    for r in &new.results {
        let before = old_by.get(r.id.as_str());
        if before.is_some_and(|b| b.status == r.status) {
            continue;
        }
        let worse = badness(r) > before.map_or(0, |b| badness(b));
        let failing = |s: Status| matches!(s, Status::Fail | Status::Error);
        if failing(r.status) && before.is_none_or(|b| !failing(b.status)) {
            new_failures.push(r.id.clone());
        }
        if r.status == Status::Pass && before.is_some() {
            fixed.push(r.id.clone());
        }
        changes.push(StatusChange {
            id: r.id.clone(),
            from: before.map(|b| b.status),
            to: Some(r.status),
            reason: r.reason.clone(),
            blocking: crate::verdict::is_blocking(r, &new.policy),
            worse,
        });
    }
    for r in old.results.iter().filter(|r| !new_by.contains_key(r.id.as_str())) {
        changes.push(StatusChange {
            id: r.id.clone(),
            from: Some(r.status),
            to: None,
            reason: "no longer in the checklist".into(),
            blocking: false,
            worse: false,
        });
    }

    let key = |w: &crate::waiver::WaiverRecord| format!("{} ({})", w.check, w.reason);
    let old_waivers: Vec<String> = old.waivers.iter().map(key).collect();
    let waivers_added = new.waivers.iter().map(key).filter(|k| !old_waivers.contains(k)).collect();
    let waivers_expired = new
        .waivers
        .iter()
        .filter(|w| w.state == WaiverState::Expired)
        .filter(|w| {
            !old.waivers.iter().any(|o| key(o) == key(w) && o.state == WaiverState::Expired)
        })
        .map(key)
        .collect();

    let digests = |r: &RunRecord| -> BTreeMap<String, String> {
        r.results
            .iter()
            .flat_map(|c| c.evidence.iter().map(|e| (e.path.clone(), e.sha256.clone())))
            .collect()
    };
    let (od, nd) = (digests(old), digests(new));
    let mut evidence_changed = Vec::new();
    for (path, sha) in &nd {
        match od.get(path) {
            Some(o) if o == sha => {}
            o => evidence_changed.push(EvidenceChange {
                path: path.clone(),
                old_sha256: o.cloned(),
                new_sha256: Some(sha.clone()),
            }),
        }
    }
    for (path, sha) in od.iter().filter(|(p, _)| !nd.contains_key(*p)) {
        evidence_changed.push(EvidenceChange {
            path: path.clone(),
            old_sha256: Some(sha.clone()),
            new_sha256: None,
        });
    }

    let (o, n) = (side(old), side(new));
    let regression = changes.iter().any(|c| c.worse)
        || verdict_badness(n.verdict) > verdict_badness(o.verdict)
        || n.level < o.level;
    RunDiff {
        score_change: ((n.score - o.score) * 10.0).round() / 10.0,
        old: o,
        new: n,
        regression,
        new_failures,
        fixed,
        changes,
        waivers_added,
        waivers_expired,
        evidence_changed,
    }
}

fn lvl(l: Option<Level>) -> &'static str {
    l.map_or("none", |l| l.as_str())
}

fn st(s: Option<Status>) -> &'static str {
    s.map_or("—", |s| super::style::status_label(s))
}

pub fn markdown(d: &RunDiff) -> String {
    use super::markdown::cell;
    let mut md = String::new();
    let w = &mut md;
    let _ = writeln!(
        w,
        "# Readiness diff: {}\n",
        if d.regression { "**REGRESSION**" } else { "no regression" }
    );
    let _ = writeln!(w, "| | old | new |\n|---|---|---|");
    let _ = writeln!(w, "| Run | `{}` | `{}` |", cell(&d.old.id), cell(&d.new.id));
    let c = |x: &Option<String>| x.as_deref().map_or("—".to_string(), |s| format!("`{s}`"));
    let _ = writeln!(w, "| Commit | {} | {} |", c(&d.old.commit), c(&d.new.commit));
    let _ = writeln!(w, "| Verdict | {} | {} |", d.old.verdict.as_str(), d.new.verdict.as_str());
    let _ = writeln!(w, "| Score | {} | {} ({:+}) |", d.old.score, d.new.score, d.score_change);
    let _ = writeln!(w, "| Level | {} | {} |\n", lvl(d.old.level), lvl(d.new.level));
    let list = |w: &mut String, title: &str, items: &[String]| {
        if !items.is_empty() {
            let _ = writeln!(w, "## {title} ({})\n", items.len());
            for i in items {
                let _ = writeln!(w, "- `{}`", cell(i));
            }
            w.push('\n');
        }
    };
    list(w, "New failures", &d.new_failures);
    list(w, "Fixed", &d.fixed);
    if !d.changes.is_empty() {
        let _ = writeln!(w, "## Status changes ({})\n", d.changes.len());
        let _ = writeln!(w, "| Check | Old | New | | Reason |\n|---|---|---|---|---|");
        for ch in &d.changes {
            let _ = writeln!(
                w,
                "| `{}` | {} | {} | {} | {} |",
                cell(&ch.id),
                st(ch.from),
                st(ch.to),
                if ch.worse { "worse" } else { "" },
                cell(&ch.reason)
            );
        }
        w.push('\n');
    }
    list(w, "Waivers added", &d.waivers_added);
    list(w, "Waivers expired", &d.waivers_expired);
    if !d.evidence_changed.is_empty() {
        let _ = writeln!(w, "## Evidence changed ({})\n", d.evidence_changed.len());
        let short = |s: &Option<String>| {
            s.as_deref().map_or("—".into(), |s| format!("`{}`", &s[..12.min(s.len())]))
        };
        let _ = writeln!(w, "| File | Old sha256 | New sha256 |\n|---|---|---|");
        for e in &d.evidence_changed {
            let _ = writeln!(
                w,
                "| `{}` | {} | {} |",
                cell(&e.path),
                short(&e.old_sha256),
                short(&e.new_sha256)
            );
        }
        w.push('\n');
    }
    md
}
