//! "Claims vs evidence": each claim of an imported report next to what its check found.

use std::fmt::Write as _;

use super::Import;
use crate::outcome::{CheckResult, Status};

/// What the evidence says about a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimVerdict {
    Confirmed,
    Contradicted,
    Unverifiable,
    PendingSignOff,
}

impl ClaimVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimVerdict::Confirmed => "confirmed",
            ClaimVerdict::Contradicted => "contradicted",
            ClaimVerdict::Unverifiable => "unverifiable",
            ClaimVerdict::PendingSignOff => "pending sign-off",
        }
    }
}

/// One row: the claim's line, text, check id (when placed), verdict and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ClaimRow {
    pub line: usize,
    pub claim: String,
    pub check: Option<String>,
    pub verdict: ClaimVerdict,
    pub detail: String,
}

/// Matches claims to results by the check id the import gave them.
pub fn rows(import: &Import, results: &[CheckResult]) -> Vec<ClaimRow> {
    import
        .items
        .iter()
        .map(|item| {
            let result = item.check_id.as_ref().and_then(|id| results.iter().find(|r| &r.id == id));
            let (verdict, detail) = match (&item.check_id, result) {
                (None, _) => match &item.placement {
                    super::classify::Placement::Unplaced(why) => {
                        (ClaimVerdict::Unverifiable, format!("not imported: {why}"))
                    }
                    _ => (ClaimVerdict::Unverifiable, String::new()),
                },
                (Some(_), None) => {
                    (ClaimVerdict::Unverifiable, "check not in the checklist or not run".into())
                }
                (Some(_), Some(r)) => {
                    let v = match r.status {
                        Status::Pass => ClaimVerdict::Confirmed,
                        Status::Fail | Status::Waived => ClaimVerdict::Contradicted,
                        Status::Pending => ClaimVerdict::PendingSignOff,
                        Status::Error | Status::Skip => ClaimVerdict::Unverifiable,
                    };
                    (v, format!("{}: {}", r.status.as_str(), r.reason))
                }
            };
            ClaimRow {
                line: item.claim.line,
                claim: item.claim.text.clone(),
                check: item.check_id.clone(),
                verdict,
                detail,
            }
        })
        .collect()
}

/// The Markdown section appended to report.md.
pub fn markdown(report_name: &str, rows: &[ClaimRow]) -> String {
    use crate::report::markdown::cell;
    let mut w = String::new();
    let count = |v: ClaimVerdict| rows.iter().filter(|r| r.verdict == v).count();
    let _ = writeln!(w, "## Claims vs evidence\n");
    let _ = writeln!(
        w,
        "{} claims in `{}`: {} confirmed, {} contradicted, {} unverifiable, {} pending sign-off.\n",
        rows.len(),
        cell(report_name),
        count(ClaimVerdict::Confirmed),
        count(ClaimVerdict::Contradicted),
        count(ClaimVerdict::Unverifiable),
        count(ClaimVerdict::PendingSignOff),
    );
    let _ = writeln!(w, "| Claim | Line | Check | Evidence | Detail |\n|---|---:|---|---|---|");
    for r in rows {
        let detail: String = r.detail.chars().take(200).collect();
        let _ = writeln!(
            w,
            "| {} | {} | {} | **{}** | {} |",
            cell(&r.claim),
            r.line,
            r.check.as_deref().map(|c| format!("`{c}`")).unwrap_or_else(|| "—".into()),
            r.verdict.as_str(),
            cell(&detail)
        );
    }
    w.push('\n');
    w
}
