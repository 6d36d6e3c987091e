//! The fleet roll-up: one row per verified run (service, verdict, level, score, failing checks,
//! signature state, age). Trust comes from `verify`; a run that does not verify is listed with
//! its problems, never with its claimed verdict alone.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::evidence::{SignatureStatus, VerifyReport};
use crate::outcome::Status;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FleetRow {
    pub source: String,
    pub service: Option<String>,
    pub commit: Option<String>,
    pub verdict: Option<String>,
    pub level: Option<String>,
    pub score: Option<f64>,
    pub failing: Vec<String>,
    /// `valid`, `invalid`, `unsigned`, `not-checked`, `unreadable`.
    pub signature: String,
    pub signed_by: Vec<String>,
    /// Integrity and signature both hold.
    pub verified: bool,
    pub problems: Vec<String>,
    /// Seconds since the run finished.
    pub age_seconds: Option<i64>,
    pub finished: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fleet {
    pub runs: Vec<FleetRow>,
    pub verified: usize,
    pub ready: usize,
}

/// Builds one row from a path, its verify report (`None`: could not be opened) and the clock.
pub fn row(
    path: &Path,
    report: Option<&VerifyReport>,
    now: chrono::DateTime<chrono::Utc>,
) -> FleetRow {
    let mut row = FleetRow {
        source: path.display().to_string(),
        service: None,
        commit: None,
        verdict: None,
        level: None,
        score: None,
        failing: Vec::new(),
        signature: "unreadable".into(),
        signed_by: Vec::new(),
        verified: false,
        problems: Vec::new(),
        age_seconds: None,
        finished: None,
    };
    if let Some(rep) = report {
        row.signature = match &rep.signature {
            SignatureStatus::Valid { keyids } => {
                row.signed_by = keyids.clone();
                "valid"
            }
            SignatureStatus::Invalid => "invalid",
            SignatureStatus::Unsigned => "unsigned",
            SignatureStatus::NotChecked => "not-checked",
        }
        .into();
        row.problems = rep.problems.iter().map(|p| p.to_string()).collect();
        row.verified = rep.is_valid() && matches!(rep.signature, SignatureStatus::Valid { .. });
    }
    match super::saved::load(path) {
        Ok(saved) => {
            let r = saved.record;
            row.service = Some(r.checklist.name.clone());
            row.commit = r
                .repository
                .as_ref()
                .and_then(|g| g.get("commit"))
                .and_then(|c| c.as_str())
                .map(str::to_string);
            row.verdict = Some(r.summary.verdict.as_str().into());
            row.level = r.summary.level.map(|l| l.as_str().into());
            row.score = Some(r.summary.score);
            row.failing = r
                .results
                .iter()
                .filter(|c| matches!(c.status, Status::Fail | Status::Error))
                .map(|c| c.id.clone())
                .collect();
            if let Ok(t) = chrono::DateTime::parse_from_rfc3339(&r.run.finished) {
                row.age_seconds = Some((now - t.with_timezone(&chrono::Utc)).num_seconds());
            }
            row.finished = Some(r.run.finished);
        }
        Err(e) => row.problems.push(format!("{e:#}")),
    }
    row
}

pub fn fleet(runs: Vec<FleetRow>) -> Fleet {
    let verified = runs.iter().filter(|r| r.verified).count();
    let ready = runs.iter().filter(|r| r.verified && r.verdict.as_deref() == Some("READY")).count();
    Fleet { runs, verified, ready }
}

/// `3d 4h`, `2h 5m`, `40s`.
pub fn age(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        s if s >= 86_400 => format!("{}d {}h", s / 86_400, (s % 86_400) / 3600),
        s if s >= 3600 => format!("{}h {}m", s / 3600, (s % 3600) / 60),
        s if s >= 60 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

pub fn markdown(f: &Fleet) -> String {
    use super::markdown::cell;
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# Fleet readiness\n\n{} run{}: {} verified, {} verified READY\n",
        f.runs.len(),
        crate::diag::plural(f.runs.len()),
        f.verified,
        f.ready
    );
    let _ = writeln!(
        md,
        "| Service | Verdict | Level | Score | Failing checks | Signature | Age | Run |\n|---|---|---|---:|---|---|---|---|"
    );
    for r in &f.runs {
        let verdict = match (&r.verdict, r.verified) {
            (Some(v), true) => format!("**{v}**"),
            (Some(v), false) => format!("{v} (unverified)"),
            (None, _) => "—".into(),
        };
        let mut sig = r.signature.clone();
        if !r.signed_by.is_empty() {
            sig.push_str(&format!(" ({})", r.signed_by.join(", ")));
        }
        if !r.problems.is_empty() {
            sig.push_str(&format!(
                "; {} problem{}: {}",
                r.problems.len(),
                crate::diag::plural(r.problems.len()),
                r.problems.iter().take(3).cloned().collect::<Vec<_>>().join("; ")
            ));
        }
        let failing = if r.failing.len() > 8 {
            format!("{} … (+{})", r.failing[..8].join(", "), r.failing.len() - 8)
        } else {
            r.failing.join(", ")
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(r.service.as_deref().unwrap_or("?")),
            verdict,
            r.level.as_deref().unwrap_or("none"),
            r.score.map_or("—".into(), |s| s.to_string()),
            cell(&failing),
            cell(&sig),
            r.age_seconds.map_or("—".into(), age),
            cell(&r.source)
        );
    }
    md
}
