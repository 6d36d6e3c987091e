//! `report.html`: the run as one self-contained page — inline CSS and SVG charts, no script,
//! no network (a Content-Security-Policy forbids any fetch). Charts where a reader would rather
//! look than read: status by area, the level ladder, and the trend against `--baseline`.
//! Every piece of text from the run is HTML-escaped. Deterministic for the same record.

use std::fmt::Write as _;

use super::style::{human_ms, status_label};
use super::terminal::grouped;
use crate::checklist::model::Level;
use crate::outcome::{CheckResult, SkipCause, Status};
use crate::record::RunRecord;
use crate::verdict::Verdict;

/// Escapes text for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Escaped text with its `code spans` shown as code (when the backticks pair up).
pub fn inline(text: &str) -> String {
    let escaped = esc(text);
    let parts: Vec<&str> = escaped.split('`').collect();
    if parts.len() < 3 || parts.len() % 2 == 0 {
        return escaped;
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| if i % 2 == 1 { format!("<code>{p}</code>") } else { p.to_string() })
        .collect()
}

/// Statuses in the order bars stack them (good to bad).
const STACK: [Status; 6] =
    [Status::Pass, Status::Waived, Status::Skip, Status::Pending, Status::Error, Status::Fail];

fn color(status: Status) -> &'static str {
    match status {
        Status::Pass => "#2e7d32",
        Status::Waived => "#c9a227",
        Status::Skip => "#9e9e9e",
        Status::Pending => "#0097a7",
        Status::Error => "#8e24aa",
        Status::Fail => "#c62828",
    }
}

fn verdict_color(v: Verdict) -> &'static str {
    match v {
        Verdict::Ready => "#2e7d32",
        Verdict::NotReady => "#c62828",
        Verdict::Incomplete => "#ef6c00",
    }
}

fn level_color(l: Level) -> &'static str {
    match l {
        Level::Bronze => "#a0642c",
        Level::Silver => "#8c9399",
        Level::Gold => "#c9a227",
    }
}

const CSS: &str = "
:root{--fg:#1b1f23;--muted:#57606a;--line:#d0d7de;--bg:#fff;--soft:#f6f8fa}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1100px;padding:24px}
h1{font-size:24px;margin:0 0 8px}h2{font-size:18px;margin:28px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
.verdict{display:flex;flex-wrap:wrap;gap:16px;align-items:center;padding:16px;border-radius:8px;color:#fff}
.verdict .big{font-size:28px;font-weight:700;letter-spacing:.5px}
.verdict .fact{font-size:15px;opacity:.95}
.meta{color:var(--muted);margin:10px 0 0}
ul.because{margin:8px 0 0;padding-left:20px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px}
th,td{border:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:var(--soft)}td.num{text-align:right}
code,.id{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
.id{white-space:nowrap}
.st{font-weight:700;white-space:nowrap}
.charts{display:flex;flex-wrap:wrap;gap:24px}
.chart{flex:1 1 460px}
svg text{font-family:system-ui,sans-serif;font-size:12px;fill:var(--fg)}
details>summary{cursor:pointer;color:var(--muted);margin:6px 0}
.none{color:var(--muted)}
";

/// Renders the page. `baseline` adds the trend against that run.
pub fn render(record: &RunRecord, baseline: Option<&RunRecord>) -> String {
    let s = &record.summary;
    let mut h = String::new();
    let w = &mut h;
    let title = format!("Readiness report: {}", record.checklist.name);
    let _ = write!(
        w,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        esc(&title)
    );
    let _ = writeln!(w, "<h1>{}</h1>", esc(&title));

    // At a glance.
    let level = match (&s.level, &s.next_level) {
        (Some(l), Some(n)) => format!(
            "level {} · {} check{} from {}",
            l.as_str(),
            n.missing.len(),
            crate::diag::plural(n.missing.len()),
            n.level.as_str()
        ),
        (Some(l), None) => format!("level {}", l.as_str()),
        (None, Some(n)) => format!(
            "no level · {} check{} from {}",
            n.missing.len(),
            crate::diag::plural(n.missing.len()),
            n.level.as_str()
        ),
        (None, None) => "no levels defined".into(),
    };
    let _ = writeln!(
        w,
        "<section class=\"verdict\" style=\"background:{}\" id=\"verdict\"><span class=\"big\">{}</span>\
         <span class=\"fact\">score {} / 100</span><span class=\"fact\">{}</span>\
         <span class=\"fact\">{} check{}: {}</span></section>",
        verdict_color(s.verdict),
        esc(s.verdict.as_str()),
        s.score,
        esc(&level),
        s.total,
        crate::diag::plural(s.total),
        esc(&s.counts.describe())
    );
    if !s.because.is_empty() {
        let _ = writeln!(w, "<ul class=\"because\">");
        for b in &s.because {
            let _ = writeln!(w, "<li>{}</li>", esc(b));
        }
        let _ = writeln!(w, "</ul>");
    }
    let commit = record
        .repository
        .as_ref()
        .and_then(|r| r.get("commit"))
        .and_then(|c| c.as_str())
        .map(|c| format!("commit <code>{}</code>", esc(&c[..12.min(c.len())])))
        .unwrap_or_else(|| "not a git repository".into());
    let signed = match &record.run.signer_keyid {
        Some(k) => format!("signed (Ed25519 key <code>{}</code>)", esc(k)),
        None => "<strong>UNSIGNED</strong>".into(),
    };
    let _ = writeln!(
        w,
        "<p class=\"meta\">{commit} · {} · checklist <code>{}</code> (sha256 <code>{}</code>) · {signed} · run <code>{}</code>{}</p>",
        esc(&record.run.started),
        esc(&record.checklist.source),
        esc(&record.checklist.sha256[..12.min(record.checklist.sha256.len())]),
        esc(&record.run.id),
        if record.run.interrupted { " · <strong>interrupted</strong>" } else { "" }
    );

    // What blocks, worst first.
    let blocking = |r: &CheckResult| crate::verdict::is_blocking(r, &record.policy);
    let problem = |r: &CheckResult| match r.status {
        Status::Fail | Status::Error | Status::Pending => true,
        Status::Skip => r.skip_cause != Some(SkipCause::NotApplicable),
        _ => false,
    };
    let mut blockers: Vec<&CheckResult> =
        record.results.iter().filter(|r| blocking(r) && problem(r)).collect();
    blockers.sort_by_key(|r| {
        let rank = match r.status {
            Status::Fail => 0,
            Status::Error => 1,
            Status::Pending => 2,
            _ => 3,
        };
        (std::cmp::Reverse(r.severity), rank)
    });
    let _ = writeln!(w, "<h2 id=\"blocking\">Blocking problems</h2>");
    if blockers.is_empty() {
        let _ = writeln!(
            w,
            "<p class=\"none\">None: every check of severity {} or above passed, was waived or does not apply.</p>",
            record.policy.fail_on.as_str()
        );
    } else {
        let _ = writeln!(
            w,
            "<table><tr><th>Severity</th><th>Status</th><th>Check</th><th>Problem</th><th>Fix</th></tr>"
        );
        for r in &blockers {
            let fix = r
                .remediation
                .as_deref()
                .map(|f| f.split_whitespace().collect::<Vec<_>>().join(" "))
                .unwrap_or_else(|| "—".into());
            let _ = writeln!(
                w,
                "<tr><td>{}</td>{}<td class=\"id\">{}</td><td>{}</td><td>{}</td></tr>",
                r.severity.as_str(),
                status_td(r.status),
                esc(&r.id),
                inline(&r.reason),
                inline(&fix)
            );
        }
        let _ = writeln!(w, "</table>");
    }

    // Charts.
    let _ = writeln!(w, "<div class=\"charts\">");
    let _ = writeln!(
        w,
        "<div class=\"chart\"><h2 id=\"areas\">Status by area</h2>\n{}</div>",
        area_chart(record)
    );
    let next = match &s.next_level {
        Some(n) => format!(
            "<p>To reach <strong>{}</strong>: fix {}.</p>",
            n.level.as_str(),
            n.missing
                .iter()
                .map(|id| format!("<code>{}</code>", esc(id)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => String::new(),
    };
    let _ = writeln!(
        w,
        "<div class=\"chart\"><h2 id=\"levels\">Level ladder</h2>\n{}\n{next}</div>",
        level_ladder(record)
    );
    let _ = writeln!(w, "</div>");
    if let Some(base) = baseline {
        let _ = writeln!(w, "<h2 id=\"trend\">Trend against the baseline run</h2>");
        trend(w, base, record);
    }

    // Every result; passing ones collapsed.
    let _ = writeln!(w, "<h2 id=\"results\">All results</h2>");
    let passed = |r: &CheckResult| {
        matches!(r.status, Status::Pass | Status::Waived)
            || r.skip_cause == Some(SkipCause::NotApplicable)
    };
    let table_head = "<table><tr><th>Area</th><th>Status</th><th>Check</th><th>Severity</th><th>Level</th><th>Result</th><th>Time</th></tr>";
    let rows = |w: &mut String, keep: &dyn Fn(&CheckResult) -> bool| {
        let _ = writeln!(w, "{table_head}");
        for (area, results) in grouped(record) {
            for r in results.into_iter().filter(|r| keep(r)) {
                let _ = writeln!(
                    w,
                    "<tr><td>{}</td>{}<td class=\"id\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
                    esc(area),
                    status_td(r.status),
                    esc(&r.id),
                    r.severity.as_str(),
                    r.level.map_or("", |l| l.as_str()),
                    inline(&r.reason),
                    if r.status == Status::Skip { String::new() } else { human_ms(r.duration_ms) }
                );
            }
        }
        let _ = writeln!(w, "</table>");
    };
    let not_passed = record.results.iter().filter(|r| !passed(r)).count();
    if not_passed > 0 {
        rows(w, &|r| !passed(r));
    }
    let passing = record.results.len() - not_passed;
    if passing > 0 {
        let _ = writeln!(
            w,
            "<details><summary>{passing} check{} passed, waived or not applicable</summary>",
            crate::diag::plural(passing)
        );
        rows(w, &passed);
        let _ = writeln!(w, "</details>");
    }

    let _ = writeln!(w, "<h2 id=\"environment\">Environment</h2><table>");
    let mut env_row = |k: &str, v: String| {
        let _ = writeln!(w, "<tr><th>{}</th><td>{v}</td></tr>", esc(k));
    };
    env_row("Tool", esc(&format!("{} {}", record.tool.name, record.tool.version)));
    env_row("Started", esc(&record.run.started));
    env_row("Finished", esc(&record.run.finished));
    if !record.run.invocation.is_empty() {
        env_row("Command", format!("<code>{}</code>", esc(&record.run.invocation.join(" "))));
    }
    env_row("Policy", esc(&format!("fail on {} and above", record.policy.fail_on.as_str())));
    let _ = writeln!(w, "</table>");
    let _ = writeln!(
        w,
        "<p class=\"meta\">This page is one file of the run directory; <code>manifest.json</code> names it with its SHA-256 (<code>readyctl verify RUN_DIR</code>).</p>"
    );
    let _ = writeln!(w, "</body>\n</html>");
    h
}

fn status_td(status: Status) -> String {
    format!("<td class=\"st\" style=\"color:{}\">{}</td>", color(status), status_label(status))
}

/// Horizontal stacked bars: one per area, a segment per status, counts at the end.
fn area_chart(record: &RunRecord) -> String {
    let groups = grouped(record);
    let (label_w, bar_w, row_h) = (150.0, 300.0, 26.0);
    let height = row_h * groups.len() as f64 + 40.0;
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"Status by area\" viewBox=\"0 0 600 {height}\" width=\"100%\" xmlns=\"http://www.w3.org/2000/svg\">\n"
    );
    for (i, (area, results)) in groups.iter().enumerate() {
        let y = i as f64 * row_h + 4.0;
        let total = results.len().max(1) as f64;
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            label_w - 8.0,
            y + 14.0,
            esc(area)
        );
        let mut x = label_w;
        for st in STACK {
            let n = results.iter().filter(|r| r.status == st).count();
            if n == 0 {
                continue;
            }
            let width = bar_w * n as f64 / total;
            let _ = writeln!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{width:.1}\" height=\"18\" fill=\"{}\"><title>{}: {n} {}</title></rect>",
                color(st),
                esc(area),
                st.as_str()
            );
            x += width;
        }
        let failing = results.iter().filter(|r| matches!(r.status, Status::Fail | Status::Error));
        let passing = results.iter().filter(|r| r.status == Status::Pass).count();
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\">{passing}/{} pass{}</text>",
            label_w + bar_w + 8.0,
            y + 14.0,
            results.len(),
            match failing.count() {
                0 => String::new(),
                n => format!(", {n} fail"),
            }
        );
    }
    // Legend.
    let y = row_h * groups.len() as f64 + 14.0;
    let mut x = label_w;
    for st in STACK {
        let _ = writeln!(
            svg,
            "<rect x=\"{x}\" y=\"{y}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"{}\">{}</text>",
            color(st),
            x + 14.0,
            y + 9.0,
            st.as_str()
        );
        x += 68.0;
    }
    svg.push_str("</svg>");
    svg
}

/// Bronze, silver, gold as rising steps: reached ones filled, the others outlined with how
/// many checks stand in the way (cumulative, as levels are).
fn level_ladder(record: &RunRecord) -> String {
    let ok = |r: &CheckResult| {
        matches!(r.status, Status::Pass | Status::Waived)
            || r.skip_cause == Some(SkipCause::NotApplicable)
    };
    let mut svg = String::from(
        "<svg role=\"img\" aria-label=\"Level ladder\" viewBox=\"0 0 420 170\" width=\"100%\" xmlns=\"http://www.w3.org/2000/svg\">\n",
    );
    for (i, level) in Level::ALL.into_iter().enumerate() {
        let own = record.results.iter().filter(|r| r.level == Some(level)).count();
        let missing =
            record.results.iter().filter(|r| r.level.is_some_and(|l| l <= level) && !ok(r)).count();
        let reached = record.summary.level.is_some_and(|l| l >= level);
        let (x, h) = (20.0 + i as f64 * 130.0, 50.0 + i as f64 * 35.0);
        let y = 150.0 - h;
        let (fill, stroke) =
            if reached { (level_color(level), level_color(level)) } else { ("none", "#8c959f") };
        let _ = writeln!(
            svg,
            "<rect x=\"{x}\" y=\"{y}\" width=\"120\" height=\"{h}\" rx=\"4\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"2\"{}><title>{}</title></rect>",
            if reached { "" } else { " stroke-dasharray=\"5 3\"" },
            level.as_str()
        );
        let text_fill = if reached { " style=\"fill:#fff\"" } else { "" };
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"700\"{text_fill}>{}</text>",
            x + 60.0,
            y + 20.0,
            level.as_str()
        );
        let note = if own == 0 {
            "no checks".to_string()
        } else if reached {
            "reached".to_string()
        } else {
            format!("{missing} to fix")
        };
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\"{text_fill}>{note}</text>",
            x + 60.0,
            y + 38.0
        );
    }
    svg.push_str("<line x1=\"10\" y1=\"150\" x2=\"410\" y2=\"150\" stroke=\"#8c959f\"/>\n</svg>");
    svg
}

/// Score and counts of the baseline beside this run's, then the checks that changed.
fn trend(w: &mut String, base: &RunRecord, record: &RunRecord) {
    let d = super::diff::diff(base, record);
    let bars = [
        ("score", base.summary.score, record.summary.score, 100.0),
        (
            "pass",
            base.summary.counts.pass as f64,
            record.summary.counts.pass as f64,
            base.summary.total.max(record.summary.total).max(1) as f64,
        ),
        (
            "fail + error",
            (base.summary.counts.fail + base.summary.counts.error) as f64,
            (record.summary.counts.fail + record.summary.counts.error) as f64,
            base.summary.total.max(record.summary.total).max(1) as f64,
        ),
    ];
    let mut svg = String::from(
        "<svg role=\"img\" aria-label=\"Trend against the baseline\" viewBox=\"0 0 600 150\" width=\"100%\" xmlns=\"http://www.w3.org/2000/svg\">\n",
    );
    for (i, (name, old, new, max)) in bars.iter().enumerate() {
        let y = 10.0 + i as f64 * 44.0;
        let _ =
            writeln!(svg, "<text x=\"110\" y=\"{}\" text-anchor=\"end\">{name}</text>", y + 16.0);
        for (j, (value, fill, label)) in
            [(old, "#8c959f", "baseline"), (new, "#0969da", "this run")].iter().enumerate()
        {
            let width = 380.0 * **value / max;
            let yy = y + j as f64 * 16.0;
            let _ = writeln!(
                svg,
                "<rect x=\"120\" y=\"{yy}\" width=\"{width:.1}\" height=\"14\" fill=\"{fill}\"><title>{label}: {value}</title></rect><text x=\"{:.1}\" y=\"{}\">{value} ({label})</text>",
                120.0 + width + 6.0,
                yy + 11.0
            );
        }
    }
    svg.push_str("</svg>");
    let _ = writeln!(
        w,
        "<p>Baseline run <code>{}</code>: {} · score {} → {} ({:+.1}){}</p>\n{svg}",
        esc(&base.run.id),
        esc(base.summary.verdict.as_str()),
        base.summary.score,
        record.summary.score,
        d.score_change,
        if d.regression { " · <strong>regression</strong>" } else { "" }
    );
    if d.changes.is_empty() {
        let _ = writeln!(w, "<p class=\"none\">No check changed status.</p>");
        return;
    }
    let _ = writeln!(w, "<table><tr><th>Check</th><th>Before</th><th>Now</th><th>Result</th></tr>");
    for c in &d.changes {
        let _ = writeln!(
            w,
            "<tr><td class=\"id\">{}</td><td>{}</td><td>{}</td><td>{}{}</td></tr>",
            esc(&c.id),
            c.from.map_or("—", status_label),
            c.to.map_or("—", status_label),
            inline(&c.reason),
            if c.worse { " <strong>(worse)</strong>" } else { "" }
        );
    }
    let _ = writeln!(w, "</table>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_content_and_attributes() {
        assert_eq!(
            esc("<script>\"a\" & 'b'</script>"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
        assert_eq!(esc("x\u{1b}[2J"), "x\u{fffd}[2J");
        assert_eq!(inline("`a<b>` missing"), "<code>a&lt;b&gt;</code> missing");
        assert_eq!(inline("odd ` tick"), "odd ` tick");
    }
}
