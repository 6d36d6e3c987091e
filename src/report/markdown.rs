//! `report.md`: the run as GitHub-flavoured Markdown. Deterministic for the same record and
//! evidence files, and never larger than [`MAX_BYTES`]: log excerpts are capped and, past the
//! budget, left out with a pointer to the full file.

use std::fmt::Write as _;
use std::path::Path;

use super::style::{human_ms, status_label, visible};
use super::terminal::grouped;
use crate::outcome::{CheckResult, Status};
use crate::record::RunRecord;
use crate::waiver::WaiverState;

/// Hard cap of a rendered report (GitHub's step summary limit is 1 MiB too).
pub const MAX_BYTES: usize = 1 << 20;
/// Lines kept from the end of a log.
pub const EXCERPT_LINES: usize = 40;
/// Bytes kept from the end of a log (long lines).
pub const EXCERPT_BYTES: usize = 8 << 10;
/// All excerpts together.
const EXCERPTS_BUDGET: usize = 256 << 10;
/// Failures shown in detail; the rest are in the results table.
const MAX_DETAILED: usize = 200;

/// Escapes text for a GFM table cell or an inline position: no table breaks, no raw HTML.
pub fn cell(text: &str) -> String {
    let text = visible(text);
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' => out.push_str("\\`"),
            '*' | '_' | '[' | ']' => {
                out.push('\\');
                out.push(ch);
            }
            '\r' => {}
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// `value` in a code span whose fence is longer than any backtick run inside it.
fn code(value: &str) -> String {
    let value = visible(value).replace(['\n', '\r'], " ").replace('|', "\\|");
    let longest = value.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    if longest > 0 { format!("{fence} {value} {fence}") } else { format!("{fence}{value}{fence}") }
}

/// `silver, 2 checks from gold` / `none, 3 checks from bronze` / `gold`.
pub fn level_text(record: &RunRecord) -> String {
    let s = &record.summary;
    let reached = s.level.map_or("none", |l| l.as_str());
    match &s.next_level {
        Some(n) => format!(
            "{reached}, {} check{} from {}",
            n.missing.len(),
            crate::diag::plural(n.missing.len()),
            n.level.as_str()
        ),
        None => reached.to_string(),
    }
}

fn short(sha: &str) -> &str {
    &sha[..12.min(sha.len())]
}

/// Renders the report. `run_dir` (when given) is read for log excerpts of failing checks.
pub fn render(record: &RunRecord, run_dir: Option<&Path>) -> String {
    let mut md = render_with(record, run_dir, true, usize::MAX);
    if md.len() > MAX_BYTES {
        md = render_with(record, run_dir, false, usize::MAX);
    }
    if md.len() > MAX_BYTES {
        md = render_with(record, run_dir, false, 500);
    }
    if md.len() > MAX_BYTES {
        // Pathological reasons (megabytes each): cut at a char boundary, say so.
        let note = "\n\n_(report truncated at 1 MiB: see manifest.json for every result)_\n";
        let mut end = MAX_BYTES - note.len();
        while !md.is_char_boundary(end) {
            end -= 1;
        }
        md.truncate(end);
        md.push_str(note);
    }
    md
}

fn render_with(
    record: &RunRecord,
    run_dir: Option<&Path>,
    excerpts: bool,
    max_rows: usize,
) -> String {
    let s = &record.summary;
    let mut md = String::new();
    let w = &mut md;
    let _ = writeln!(w, "# Readiness report: {}\n", cell(&record.checklist.name));
    let _ = writeln!(
        w,
        "**{}** · score {} · level {}\n",
        s.verdict.as_str(),
        s.score,
        level_text(record)
    );
    for b in &s.because {
        let _ = writeln!(w, "- {}", cell(b));
    }
    if !s.because.is_empty() {
        w.push('\n');
    }
    let _ = writeln!(w, "| | |\n|---|---|");
    let _ = writeln!(w, "| Project | {} |", cell(&record.checklist.name));
    let repo = record.repository.as_ref();
    let field = |k: &str| repo.and_then(|r| r.get(k)).and_then(|c| c.as_str()).map(str::to_string);
    match field("commit") {
        Some(commit) => {
            let mut extra = Vec::new();
            if let Some(b) = field("branch") {
                extra.push(format!("branch {}", code(&b)));
            }
            if repo.and_then(|r| r.get("dirty")).and_then(|d| d.as_bool()) == Some(true) {
                extra.push("**uncommitted changes**".to_string());
            }
            let extra =
                if extra.is_empty() { String::new() } else { format!(" ({})", extra.join(", ")) };
            let _ = writeln!(w, "| Commit | {}{extra} |", code(&commit));
        }
        None => {
            let _ = writeln!(w, "| Commit | (not a git repository) |");
        }
    }
    let _ = writeln!(w, "| Date | {} |", cell(&record.run.started));
    let _ = writeln!(
        w,
        "| Checklist | {} (sha256 {}) |",
        code(&record.checklist.source),
        code(short(&record.checklist.sha256))
    );
    let _ = writeln!(w, "| Verdict | **{}** |", s.verdict.as_str());
    let _ = writeln!(w, "| Score | {} / 100 |", s.score);
    let _ = writeln!(w, "| Level | {} |", level_text(record));
    let _ = writeln!(w, "| Checks | {} ({}) |", s.total, s.counts.describe());
    match &record.run.signer_keyid {
        Some(k) => {
            let _ = writeln!(w, "| Signature | Ed25519 key {} (`manifest.dsse.json`) |", code(k));
        }
        None => {
            let _ = writeln!(w, "| Signature | **UNSIGNED** |");
        }
    }
    let _ = writeln!(w, "| Run | {} |", code(&record.run.id));
    if record.run.interrupted {
        let _ = writeln!(w, "| Note | **interrupted**: checks not run are marked skip |");
    }
    w.push('\n');

    // Summary by area.
    let _ = writeln!(w, "## Summary by area\n");
    let _ = writeln!(
        w,
        "| Area | Checks | Pass | Fail | Error | Skip | Waived | Pending |\n|---|---:|---:|---:|---:|---:|---:|---:|"
    );
    for (area, results) in grouped(record) {
        let n = |st: Status| results.iter().filter(|r| r.status == st).count();
        let _ = writeln!(
            w,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(area),
            results.len(),
            n(Status::Pass),
            n(Status::Fail),
            n(Status::Error),
            n(Status::Skip),
            n(Status::Waived),
            n(Status::Pending)
        );
    }
    w.push('\n');

    // Failures and errors first.
    let problems: Vec<&CheckResult> = record
        .results
        .iter()
        .filter(|r| r.status == Status::Fail)
        .chain(record.results.iter().filter(|r| r.status == Status::Error))
        .collect();
    if !problems.is_empty() {
        let _ = writeln!(w, "## Failures and errors\n");
        let mut budget = if excerpts { EXCERPTS_BUDGET } else { 0 };
        for r in problems.iter().take(MAX_DETAILED) {
            detail(w, r, record, run_dir, &mut budget);
        }
        if problems.len() > MAX_DETAILED {
            let _ = writeln!(
                w,
                "_{} more failing checks: see the results table and `manifest.json`._\n",
                problems.len() - MAX_DETAILED
            );
        }
    }

    // Every result.
    let _ = writeln!(w, "## All results\n");
    let _ = writeln!(
        w,
        "| Area | Status | Check | Severity | Level | Result | Time |\n|---|---|---|---|---|---|---:|"
    );
    let mut rows = 0;
    for (area, results) in grouped(record) {
        for r in results {
            rows += 1;
            if rows > max_rows {
                continue;
            }
            let _ = writeln!(
                w,
                "| {} | {} | {} | {} | {} | {} | {} |",
                cell(area),
                status_label(r.status),
                code(&r.id),
                r.severity.as_str(),
                r.level.map_or("", |l| l.as_str()),
                cell(&r.reason),
                if r.status == Status::Skip { String::new() } else { human_ms(r.duration_ms) }
            );
        }
    }
    if rows > max_rows {
        let _ = writeln!(w, "\n_{} more results in `manifest.json`._", rows - max_rows);
    }
    w.push('\n');

    waivers(w, record);
    services(w, record);

    let pending: Vec<&CheckResult> =
        record.results.iter().filter(|r| r.status == Status::Pending).collect();
    if !pending.is_empty() {
        let _ = writeln!(w, "## Pending manual sign-offs\n");
        for r in pending {
            let _ = writeln!(
                w,
                "- [ ] {} — {} ({}, {}): {}",
                code(&r.id),
                cell(&r.title),
                r.severity.as_str(),
                cell(&r.defined_at),
                cell(&r.reason)
            );
        }
        w.push('\n');
    }

    let signed: Vec<&CheckResult> =
        record.results.iter().filter(|r| r.probe == "manual" && r.status == Status::Pass).collect();
    if !signed.is_empty() {
        let _ = writeln!(w, "## Manual sign-offs\n");
        for r in signed {
            let _ = writeln!(w, "- [x] {} — {}: {}", code(&r.id), cell(&r.title), cell(&r.reason));
            for e in r.evidence.iter().filter(|e| e.path.contains("/attestation/")) {
                let _ = writeln!(w, "  - {}", code(&e.path));
            }
        }
        w.push('\n');
    }

    environment(w, record);
    how_to_verify(w, record);
    md
}

fn detail(
    w: &mut String,
    r: &CheckResult,
    record: &RunRecord,
    run_dir: Option<&Path>,
    budget: &mut usize,
) {
    let _ = writeln!(w, "### {} {} — {}\n", status_label(r.status), code(&r.id), cell(&r.title));
    let _ = writeln!(
        w,
        "{} · severity {} · {} · defined at {}\n",
        cell(&r.reason),
        r.severity.as_str(),
        if r.severity >= record.policy.fail_on { "**blocking**" } else { "not blocking" },
        code(&r.defined_at)
    );
    if let Some(rem) = &r.remediation {
        let _ = writeln!(w, "**Remediation:** {}\n", cell(rem));
    }
    if let Some(docs) = &r.docs {
        let _ = writeln!(w, "**Docs:** <{}>\n", docs.replace(['<', '>', ' '], ""));
    }
    for m in &r.measurements {
        let _ = writeln!(
            w,
            "- {}: {} {}{}",
            cell(&m.name),
            m.value,
            cell(&m.unit),
            m.threshold.as_deref().map(|t| format!(" (required {})", cell(t))).unwrap_or_default()
        );
    }
    let shown = 10;
    for l in r.locations.iter().take(shown) {
        let place = match l.line {
            Some(line) => format!("{}:{line}", l.path),
            None => l.path.clone(),
        };
        let msg = l.message.as_deref().map(|m| format!(" — {}", cell(m))).unwrap_or_default();
        let _ = writeln!(w, "- at {}{msg}", code(&place));
    }
    if r.locations.len() > shown {
        let _ = writeln!(w, "- … {} more locations in `manifest.json`", r.locations.len() - shown);
    }
    for e in &r.evidence {
        let _ = writeln!(
            w,
            "- evidence: [{}]({}) (sha256 {}, {} bytes)",
            cell(&e.path),
            visible(&e.path).replace(' ', "%20"),
            code(short(&e.sha256)),
            e.size
        );
    }
    w.push('\n');
    if let Some(dir) = run_dir {
        for e in r.evidence.iter().filter(|e| e.path.ends_with(".log") && e.size > 0) {
            if *budget == 0 {
                let _ = writeln!(w, "_Log excerpts left out to keep this report small._\n");
                break;
            }
            if let Some((text, cut)) = excerpt(&dir.join(&e.path), e.size) {
                let text = visible(&text);
                if text.trim().is_empty() {
                    continue;
                }
                let fence = "`"
                    .repeat(text.split(|c| c != '`').map(str::len).max().unwrap_or(0).max(2) + 1);
                let _ = writeln!(
                    w,
                    "<details><summary>{} (last {} lines{})</summary>\n\n{fence}text\n{}\n{fence}\n\n</details>\n",
                    cell(&e.path),
                    text.lines().count(),
                    if cut { format!("; full log: {}", cell(&e.path)) } else { String::new() },
                    text.trim_end_matches('\n'),
                );
                *budget = budget.saturating_sub(text.len());
            }
        }
    }
}

/// The last [`EXCERPT_LINES`] lines (at most [`EXCERPT_BYTES`]) of a log; `true` when cut.
fn excerpt(path: &Path, size: u64) -> Option<(String, bool)> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).ok()?;
    let start = size.saturating_sub(EXCERPT_BYTES as u64);
    f.seek(SeekFrom::Start(start)).ok()?;
    let mut buf = Vec::new();
    f.take(EXCERPT_BYTES as u64).read_to_end(&mut buf).ok()?;
    let mut text = String::from_utf8_lossy(&buf).into_owned();
    let mut cut = start > 0;
    if start > 0 {
        // Drop the partial first line.
        if let Some(nl) = text.find('\n') {
            text.drain(..=nl);
        }
    }
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() > EXCERPT_LINES {
        cut = true;
        text = lines[lines.len() - EXCERPT_LINES..].join("\n");
    }
    // Control characters (ANSI colours) do not belong in Markdown.
    let text: String =
        text.chars().filter(|c| !c.is_control() || *c == '\n' || *c == '\t').collect();
    Some((text, cut))
}

fn waivers(w: &mut String, record: &RunRecord) {
    if record.waivers.is_empty() {
        return;
    }
    let _ = writeln!(w, "## Waivers\n");
    let _ = writeln!(
        w,
        "| Check | State | Reason | Approved by | Ticket | Expires | Applied to | Notes |\n|---|---|---|---|---|---|---|---|"
    );
    for wv in &record.waivers {
        let state = match wv.state {
            WaiverState::Applied | WaiverState::Unused => wv.state.as_str().to_string(),
            _ => format!("**{}**", wv.state.as_str()),
        };
        let _ = writeln!(
            w,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            code(&wv.check),
            state,
            cell(&wv.reason),
            cell(wv.approved_by.as_deref().unwrap_or("—")),
            cell(wv.ticket.as_deref().unwrap_or("—")),
            cell(wv.expires.as_deref().unwrap_or("never")),
            wv.applied_to.iter().map(|id| code(id)).collect::<Vec<_>>().join(", "),
            cell(&wv.notes.join("; "))
        );
    }
    w.push('\n');
    let waived: Vec<&CheckResult> = record.results.iter().filter(|r| r.waiver.is_some()).collect();
    if !waived.is_empty() {
        let _ = writeln!(w, "Waived checks keep their original result:\n");
        for r in waived {
            if let Some(a) = &r.waiver {
                let _ = writeln!(
                    w,
                    "- {} was **{}**: {}",
                    code(&r.id),
                    status_label(a.waived_from),
                    cell(&a.original_reason)
                );
            }
        }
        w.push('\n');
    }
}

/// The services the run started or waited for: when each was ready, how it ended.
fn services(w: &mut String, record: &RunRecord) {
    if record.services.is_empty() {
        return;
    }
    let _ = writeln!(
        w,
        "## Services
"
    );
    let _ = writeln!(w, "| Service | Mode | Ready | Ended | Log |\n|---|---|---|---|---|");
    for s in &record.services {
        let ready = match s.ready_ms {
            Some(ms) => format!("after {ms} ms ({})", cell(&s.ready_when)),
            None => format!("**never** ({})", cell(&s.ready_when)),
        };
        let ended = match (&s.error, &s.exit) {
            (Some(e), _) => format!("**{}**", cell(e)),
            (None, Some(x)) => cell(x),
            (None, None) if s.mode == "external" => "left running".into(),
            (None, None) => "—".into(),
        };
        let log = s.log.as_deref().map(code).unwrap_or_else(|| "—".into());
        let _ = writeln!(w, "| {} | {} | {} | {} | {} |", code(&s.name), s.mode, ready, ended, log);
    }
    w.push('\n');
}

fn environment(w: &mut String, record: &RunRecord) {
    let _ = writeln!(w, "## Environment\n");
    let _ = writeln!(w, "| | |\n|---|---|");
    let _ = writeln!(w, "| Tool | {} {} |", cell(&record.tool.name), cell(&record.tool.version));
    let _ = writeln!(w, "| Started | {} |", cell(&record.run.started));
    let _ = writeln!(w, "| Finished | {} |", cell(&record.run.finished));
    if !record.run.invocation.is_empty() {
        let _ = writeln!(w, "| Command | {} |", code(&record.run.invocation.join(" ")));
    }
    if let Some(remote) =
        record.repository.as_ref().and_then(|r| r.get("remote")).and_then(|c| c.as_str())
    {
        let _ = writeln!(w, "| Remote | {} |", code(remote));
    }
    let p = &record.policy;
    let mut policy = vec![format!("fail on {} and above", p.fail_on.as_str())];
    if let Some(m) = p.min_score {
        policy.push(format!("min score {m}"));
    }
    if let Some(l) = p.required_level {
        policy.push(format!("required level {}", l.as_str()));
    }
    let _ = writeln!(w, "| Policy | {} |", policy.join(", "));
    for src in &record.checklist.sources {
        let _ = writeln!(
            w,
            "| Checklist file | {} (sha256 {}) |",
            code(&src.path),
            code(short(&src.sha256))
        );
    }
    let redacted: u64 = record.redactions.values().flat_map(|m| m.values()).sum();
    if redacted > 0 {
        let _ = writeln!(
            w,
            "| Redactions | {redacted} value{} in {} file{} (values never stored) |",
            crate::diag::plural(redacted as usize),
            record.redactions.len(),
            crate::diag::plural(record.redactions.len())
        );
    }
    w.push('\n');
}

fn how_to_verify(w: &mut String, record: &RunRecord) {
    let _ = writeln!(w, "## How to verify this report\n");
    let _ = writeln!(
        w,
        "This report is one file of the run directory; `manifest.json` names every file with its \
         SHA-256{}.\n",
        if record.run.signer_keyid.is_some() {
            " and `manifest.dsse.json` signs it (Ed25519)"
        } else {
            " (this run is **not signed**: integrity only)"
        }
    );
    let _ = writeln!(w, "```sh");
    let _ = writeln!(w, "# with readyctl, against the signer's public key");
    let _ = writeln!(w, "readyctl verify RUN_DIR --key signer.pub");
    let _ = writeln!(w, "# without readyctl: every file's digest");
    let _ = writeln!(w, "cd RUN_DIR && sha256sum -c SHA256SUMS");
    if record.run.signer_keyid.is_some() {
        let _ = writeln!(w, "# the signature: see VERIFY.md in the proof pack (readyctl pack)");
    }
    let _ = writeln!(w, "```");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_tables_or_inject_html() {
        assert_eq!(cell("a|b\nc<d>"), "a\\|b c&lt;d&gt;");
        assert_eq!(cell("*x* [l](u) `c`"), "\\*x\\* \\[l\\](u) \\`c\\`");
    }

    #[test]
    fn code_spans_outgrow_backticks_inside() {
        assert_eq!(code("plain"), "`plain`");
        assert_eq!(code("a`b"), "`` a`b ``");
        assert_eq!(code("a|b"), "`a\\|b`");
    }
}
