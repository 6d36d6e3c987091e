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

/// Text for a GFM table cell or an inline position: no table breaks, no raw HTML. Code spans
/// written in the text (`` `CHANGELOG.md` ``) stay code spans; a stray backtick is escaped.
/// Loopback URLs (`http://127.0.0.1:8080/…`) become code spans rather than autolinks: they
/// point at the machine that ran the checks, not at the reader's.
pub fn cell(text: &str) -> String {
    let text = visible(&text.replace('\r', "").replace('\n', " ")).into_owned();
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(start) = rest.find('`') {
        let run = rest[start..].bytes().take_while(|&b| b == b'`').count();
        let after = &rest[start + run..];
        match closing_run(after, run) {
            Some(end) if !after[..end].trim().is_empty() => {
                out.push_str(&plain(&rest[..start]));
                out.push_str(&code(&after[..end]));
                rest = &after[end + run..];
            }
            _ => {
                out.push_str(&plain(&rest[..start + run]));
                rest = after;
            }
        }
    }
    out.push_str(&plain(rest));
    out
}

/// Where a run of exactly `n` backticks starts in `text` (the end of a code span).
fn closing_run(text: &str, n: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let len = bytes[i..].iter().take_while(|&&b| b == b'`').count();
            if len == n {
                return Some(i);
            }
            i += len;
        } else {
            i += 1;
        }
    }
    None
}

/// URLs in text, without trailing punctuation.
static URL: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r#"https?://[^\s<>|`"']*[^\s<>|`"'.,:;!?)\]]"#).expect("valid regex")
});

/// A URL whose host is this machine: never a link for the reader.
fn is_loopback_url(url: &str) -> bool {
    let host = url.split("://").nth(1).unwrap_or_default();
    let host = host.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit('@').next().unwrap_or_default();
    let name = if host.starts_with('[') {
        host.split(']').next().unwrap_or_default().trim_start_matches('[')
    } else {
        host.split(':').next().unwrap_or_default()
    };
    name.eq_ignore_ascii_case("localhost")
        || name.starts_with("127.")
        || name == "::1"
        || name == "0.0.0.0"
}

/// Escapes text outside code spans; loopback URLs become code spans.
fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for m in URL.find_iter(text) {
        out.push_str(&escape(&text[last..m.start()]));
        if is_loopback_url(m.as_str()) {
            out.push_str(&code(m.as_str()));
        } else {
            out.push_str(&m.as_str().replace('&', "&amp;"));
        }
        last = m.end();
    }
    out.push_str(&escape(&text[last..]));
    out
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' | '*' | '_' | '[' | ']' => {
                out.push('\\');
                out.push(ch);
            }
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

/// Blocking problems first (by severity, then fail, error, pending, skip), then the others.
fn problem_rank(r: &CheckResult) -> (std::cmp::Reverse<crate::checklist::model::Severity>, u8) {
    let status = match r.status {
        Status::Fail => 0,
        Status::Error => 1,
        Status::Pending => 2,
        _ => 3,
    };
    (std::cmp::Reverse(r.severity), status)
}

/// Whether a result stands between the run and READY: failed, errored, pending, or skipped for
/// a reason other than "not applicable".
fn is_problem(r: &CheckResult) -> bool {
    match r.status {
        Status::Fail | Status::Error | Status::Pending => true,
        Status::Skip => r.skip_cause != Some(crate::outcome::SkipCause::NotApplicable),
        Status::Pass | Status::Waived => false,
    }
}

/// `FAIL` / `ERROR` / … in bold for what blocks.
fn status_cell(r: &CheckResult) -> String {
    match r.status {
        Status::Fail | Status::Error => format!("**{}**", status_label(r.status)),
        s => status_label(s).to_string(),
    }
}

/// A problems table: severity, status, check, what is wrong, the one-line fix.
fn problems_table(w: &mut String, problems: &[&CheckResult]) {
    let _ = writeln!(w, "| Severity | Status | Check | Problem | Fix |\n|---|---|---|---|---|");
    for r in problems {
        let fix = r.remediation.as_deref().map(|f| cell(&first_line(f))).unwrap_or_default();
        let _ = writeln!(
            w,
            "| {} | {} | {} | {} | {} |",
            r.severity.as_str(),
            status_cell(r),
            code(&r.id),
            cell(&r.reason),
            if fix.is_empty() { "—".to_string() } else { fix }
        );
    }
    w.push('\n');
}

/// The first paragraph of a remediation, on one line.
fn first_line(text: &str) -> String {
    let text = text.trim();
    let para = text.split("\n\n").next().unwrap_or_default();
    para.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `a`, `a and b`, `a, b and c`; more than `max` are counted.
fn and_list(items: &[String], max: usize) -> String {
    let shown: Vec<&str> = items.iter().take(max).map(String::as_str).collect();
    let more = items.len().saturating_sub(max);
    match (shown.as_slice(), more) {
        ([], _) => String::new(),
        ([one], 0) => one.to_string(),
        (all, 0) => format!("{} and {}", all[..all.len() - 1].join(", "), all[all.len() - 1]),
        (all, n) => format!("{} and {n} more", all.join(", ")),
    }
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
    // At a glance: the verdict, score, level and counts, then why.
    let _ = writeln!(w, "# Readiness report: {}\n", cell(&record.checklist.name));
    let _ = writeln!(
        w,
        "**{}** · score {} / 100 · level {} · {} check{}: {}\n",
        s.verdict.as_str(),
        s.score,
        level_text(record),
        s.total,
        crate::diag::plural(s.total),
        s.counts.describe()
    );
    for b in &s.because {
        let _ = writeln!(w, "- {}", cell(b));
    }
    if !s.because.is_empty() {
        w.push('\n');
    }
    let repo = record.repository.as_ref();
    let field = |k: &str| repo.and_then(|r| r.get(k)).and_then(|c| c.as_str()).map(str::to_string);
    let mut facts = Vec::new();
    match field("commit") {
        Some(commit) => {
            let mut c = format!("commit {}", code(short(&commit)));
            if let Some(b) = field("branch") {
                c.push_str(&format!(" on {}", code(&b)));
            }
            if repo.and_then(|r| r.get("dirty")).and_then(|d| d.as_bool()) == Some(true) {
                c.push_str(" with **uncommitted changes**");
            }
            facts.push(c);
        }
        None => facts.push("not a git repository".into()),
    }
    facts.push(cell(&record.run.started));
    facts.push(format!("checklist {}", code(&record.checklist.source)));
    facts.push(match &record.run.signer_keyid {
        Some(k) => format!("signed (Ed25519 key {})", code(k)),
        None => "**UNSIGNED**".into(),
    });
    facts.push(format!("run {}", code(&record.run.id)));
    let _ = writeln!(w, "{}\n", facts.join(" · "));
    if record.run.interrupted {
        let _ = writeln!(w, "> **Interrupted**: the checks not run are marked skip.\n");
    }

    // What blocks, worst first, each with its fix.
    let blocking = |r: &&CheckResult| crate::verdict::is_blocking(r, &record.policy);
    let mut problems: Vec<&CheckResult> = record.results.iter().filter(|r| is_problem(r)).collect();
    problems.sort_by_key(|r| (!blocking(r), problem_rank(r)));
    let (blockers, others): (Vec<&CheckResult>, Vec<&CheckResult>) =
        problems.iter().partition(|r| blocking(r));
    let _ = writeln!(w, "## Blocking problems\n");
    if blockers.is_empty() {
        let _ = writeln!(
            w,
            "None: every check of severity {} or above passed, was waived or does not apply.\n",
            record.policy.fail_on.as_str()
        );
    } else {
        problems_table(w, &blockers);
    }

    // The next level.
    if let Some(next) = &s.next_level {
        let _ = writeln!(w, "## Next level\n");
        let ids: Vec<String> = next.missing.iter().map(|id| code(id)).collect();
        let _ = writeln!(w, "To reach **{}**: fix {}.\n", next.level.as_str(), and_list(&ids, 10));
    } else if let Some(level) = s.level {
        let _ = writeln!(w, "## Next level\n\nHighest level reached: **{}**.\n", level.as_str());
    }

    // Pass / fail per area.
    let _ = writeln!(w, "## By area\n");
    let _ = writeln!(
        w,
        "| Area | Result | Checks | Pass | Fail | Error | Skip | Waived | Pending |\n|---|---|---:|---:|---:|---:|---:|---:|---:|"
    );
    for (area, results) in grouped(record) {
        let n = |st: Status| results.iter().filter(|r| r.status == st).count();
        let verdict = if results.iter().any(|r| matches!(r.status, Status::Fail | Status::Error)) {
            "**fail**"
        } else if results.iter().any(|r| is_problem(r)) {
            "incomplete"
        } else {
            "pass"
        };
        let _ = writeln!(
            w,
            "| {} | {verdict} | {} | {} | {} | {} | {} | {} | {} |",
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

    if !others.is_empty() {
        let _ = writeln!(w, "## Other problems (not blocking)\n");
        problems_table(w, &others);
    }

    // Failures and errors in detail, in the same order.
    let detailed: Vec<&CheckResult> = problems
        .iter()
        .copied()
        .filter(|r| matches!(r.status, Status::Fail | Status::Error))
        .collect();
    if !detailed.is_empty() {
        let _ = writeln!(w, "## Failures and errors\n");
        let mut budget = if excerpts { EXCERPTS_BUDGET } else { 0 };
        for r in detailed.iter().take(MAX_DETAILED) {
            detail(w, r, record, run_dir, &mut budget);
        }
        if detailed.len() > MAX_DETAILED {
            let _ = writeln!(
                w,
                "_{} more failing checks: see the results table and `manifest.json`._\n",
                detailed.len() - MAX_DETAILED
            );
        }
    }

    // Every result: what did not pass in a table, what passed collapsed.
    let _ = writeln!(w, "## All results\n");
    let header = "| Area | Status | Check | Severity | Level | Result | Time |\n|---|---|---|---|---|---|---:|";
    let mut rows = 0;
    let mut row = |w: &mut String, area: &str, r: &CheckResult| {
        rows += 1;
        if rows > max_rows {
            return;
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
    };
    let passed = |r: &CheckResult| {
        matches!(r.status, Status::Pass | Status::Waived)
            || r.skip_cause == Some(crate::outcome::SkipCause::NotApplicable)
    };
    let not_passed = record.results.iter().filter(|r| !passed(r)).count();
    if not_passed > 0 {
        let _ = writeln!(w, "{header}");
        for (area, results) in grouped(record) {
            for r in results.into_iter().filter(|r| !passed(r)) {
                row(w, area, r);
            }
        }
        w.push('\n');
    }
    let passing = record.results.len() - not_passed;
    if passing > 0 {
        let _ = writeln!(
            w,
            "<details><summary>{passing} check{} passed, waived or not applicable</summary>\n\n{header}",
            crate::diag::plural(passing)
        );
        for (area, results) in grouped(record) {
            for r in results.into_iter().filter(|r| passed(r)) {
                row(w, area, r);
            }
        }
        let _ = writeln!(w, "\n</details>\n");
    }
    if rows > max_rows {
        let _ = writeln!(w, "_{} more results in `manifest.json`._\n", rows - max_rows);
    }

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
                cell(&r.defined_at.to_string()),
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
        if crate::verdict::is_blocking(r, &record.policy) {
            "**blocking**"
        } else {
            "not blocking"
        },
        code(&r.defined_at.to_string())
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
    let _ = writeln!(w, "| Project | {} |", cell(&record.checklist.name));
    let _ = writeln!(w, "| Tool | {} {} |", cell(&record.tool.name), cell(&record.tool.version));
    let _ = writeln!(w, "| Started | {} |", cell(&record.run.started));
    let _ = writeln!(w, "| Finished | {} |", cell(&record.run.finished));
    if !record.run.invocation.is_empty() {
        let _ = writeln!(w, "| Command | {} |", code(&record.run.invocation.join(" ")));
    }
    if let Some(commit) =
        record.repository.as_ref().and_then(|r| r.get("commit")).and_then(|c| c.as_str())
    {
        let _ = writeln!(w, "| Commit | {} |", code(commit));
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
    // One digest: the resolved checklist's (what the run executed); the files it came from
    // are named, their own digests are in manifest.json.
    let _ = writeln!(
        w,
        "| Checklist | {} (resolved, sha256 {}) |",
        code(&record.checklist.source),
        code(short(&record.checklist.sha256))
    );
    if record.checklist.sources.len() > 1
        || record.checklist.sources.first().is_some_and(|f| f.path != record.checklist.source)
    {
        let files: Vec<String> = record.checklist.sources.iter().map(|f| code(&f.path)).collect();
        let _ = writeln!(w, "| Checklist files | {} |", files.join(", "));
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
    let _ = writeln!(w, "```\n");
    // SHA256SUMS is not signed: whoever edits a file can rewrite its line, so `sha256sum -c`
    // must not be offered as a way to check authenticity (issue 14).
    let _ = writeln!(
        w,
        "Without readyctl, follow `VERIFY.md` in the proof pack (`readyctl pack`): it checks the \
         signature, then every file against the digests in the signed manifest, with OpenSSL or \
         Python. `SHA256SUMS` is not signed: `sha256sum -c SHA256SUMS` only detects accidental \
         damage, not tampering."
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_tables_or_inject_html() {
        assert_eq!(cell("a|b\nc<d>"), "a\\|b c&lt;d&gt;");
        assert_eq!(cell("*x* [l](u) `c`"), "\\*x\\* \\[l\\](u) `c`");
        assert_eq!(cell("a ` b"), "a \\` b");
        assert_eq!(cell("`CHANGELOG.md` does not exist"), "`CHANGELOG.md` does not exist");
        assert_eq!(cell("`a|b` <x>"), "`a\\|b` &lt;x&gt;");
    }

    #[test]
    fn loopback_urls_are_code_not_links() {
        assert_eq!(
            cell("GET http://127.0.0.1:8080/health: status 404"),
            "GET `http://127.0.0.1:8080/health`: status 404"
        );
        assert_eq!(cell("see http://localhost/x."), "see `http://localhost/x`.");
        assert_eq!(cell("at http://[::1]:9/"), "at `http://[::1]:9/`");
        assert_eq!(cell("docs https://example.com/a"), "docs https://example.com/a");
    }

    #[test]
    fn code_spans_outgrow_backticks_inside() {
        assert_eq!(code("plain"), "`plain`");
        assert_eq!(code("a`b"), "`` a`b ``");
        assert_eq!(code("a|b"), "`a\\|b`");
    }
}
