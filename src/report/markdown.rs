//! `report.md`: the run as GitHub-flavoured Markdown.

use std::fmt::Write as _;

use super::style::{human_ms, status_label};
use super::terminal::grouped;
use crate::outcome::Status;
use crate::record::RunRecord;

/// Escapes text for a GFM table cell.
pub fn cell(text: &str) -> String {
    text.replace('\\', "\\\\").replace('|', "\\|").replace('\n', " ").replace('<', "&lt;")
}

pub fn render(record: &RunRecord) -> String {
    let s = &record.summary;
    let mut md = String::new();
    let _ = writeln!(md, "# Readiness report: {}\n", cell(&record.checklist.name));
    let _ = writeln!(
        md,
        "**Verdict: {}** · score {} · level {}\n",
        s.verdict.as_str(),
        s.score,
        s.level.map_or("none", |l| l.as_str())
    );
    let _ = writeln!(md, "| | |\n|---|---|");
    let _ = writeln!(md, "| Run | `{}` |", record.run.id);
    let _ = writeln!(md, "| Started | {} |", record.run.started);
    let _ = writeln!(
        md,
        "| Checklist | `{}` (sha256 `{}`) |",
        cell(&record.checklist.source),
        &record.checklist.sha256[..12.min(record.checklist.sha256.len())]
    );
    if let Some(commit) =
        record.repository.as_ref().and_then(|r| r.get("commit")).and_then(|c| c.as_str())
    {
        let _ = writeln!(md, "| Commit | `{commit}` |");
    }
    let _ = writeln!(md, "| Tool | {} {} |", record.tool.name, record.tool.version);
    match &record.run.signer_keyid {
        Some(k) => {
            let _ = writeln!(
                md,
                "| Signature | DSSE envelope `manifest.dsse.json`, Ed25519 key `{k}` |"
            );
        }
        None => {
            let _ = writeln!(md, "| Signature | **UNSIGNED** |");
        }
    }
    if record.run.interrupted {
        let _ =
            writeln!(md, "| Note | **the run was interrupted**; checks not run are marked skip |");
    }
    md.push('\n');
    for b in &s.because {
        let _ = writeln!(md, "- {}", cell(b));
    }
    if !s.because.is_empty() {
        md.push('\n');
    }
    let _ = writeln!(md, "## Results\n");
    let _ = writeln!(
        md,
        "| Area | Status | Check | Severity | Result | Time |\n|---|---|---|---|---|---|"
    );
    for (area, results) in grouped(record) {
        for r in results {
            let _ = writeln!(
                md,
                "| {} | {} | `{}` | {} | {} | {} |",
                cell(area),
                status_label(r.status),
                r.id,
                r.severity.as_str(),
                cell(&r.reason),
                human_ms(r.duration_ms)
            );
        }
    }
    let problems: Vec<_> = record
        .results
        .iter()
        .filter(|r| matches!(r.status, Status::Fail | Status::Error))
        .collect();
    if !problems.is_empty() {
        let _ = writeln!(md, "\n## Failures and errors\n");
        for r in problems {
            let _ =
                writeln!(md, "### {} `{}` — {}\n", status_label(r.status), r.id, cell(&r.title));
            let _ = writeln!(md, "{}\n", cell(&r.reason));
            if let Some(rem) = &r.remediation {
                let _ = writeln!(md, "**Remediation:** {}\n", cell(rem));
            }
            for l in r.locations.iter().take(10) {
                let _ = writeln!(md, "- `{}:{}`", l.path, l.line.unwrap_or(0));
            }
            for e in &r.evidence {
                let _ = writeln!(
                    md,
                    "- evidence: [`{}`]({}) (sha256 `{}`)",
                    e.path,
                    e.path,
                    &e.sha256[..12]
                );
            }
            md.push('\n');
        }
    }
    md
}
