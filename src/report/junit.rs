//! JUnit XML: one `<testsuite>` per area, one `<testcase>` per check, with the `file` and
//! `line` attributes GitLab and the GitHub test-report actions read (relative to the
//! repository root; see [`places`](super::places)). Apart from those two attributes, valid
//! against the strict Jenkins `junit-10.xsd` (times with at most three decimals).
//! `fail` → `<failure>`, `error` → `<error>`, `skip`/`pending`/`waived` → `<skipped>` whose
//! `type` says which and whose message starts with it (`pending: …`; a waived check keeps its
//! original failure in the message).

use std::fmt::Write as _;

use super::places;
use super::terminal::grouped;
use crate::outcome::{CheckResult, Status};
use crate::record::RunRecord;

/// Escapes text for XML 1.0 content and attributes; characters XML cannot carry at all
/// (most C0 controls, U+FFFE, U+FFFF) become U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Seconds with three decimals (`SUREFIRE_TIME`).
fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

fn body(r: &CheckResult) -> String {
    let mut b = String::new();
    let _ = writeln!(b, "{}", r.reason);
    let _ = writeln!(b, "severity: {}  area: {}  probe: {}", r.severity.as_str(), r.area, r.probe);
    let _ = writeln!(b, "defined at: {}", r.defined_at);
    if let Some(rem) = &r.remediation {
        let _ = writeln!(b, "remediation: {rem}");
    }
    for m in &r.measurements {
        let _ = writeln!(
            b,
            "{}: {} {}{}",
            m.name,
            m.value,
            m.unit,
            m.threshold.as_deref().map(|t| format!(" (required {t})")).unwrap_or_default()
        );
    }
    for l in r.locations.iter().take(50) {
        let _ = writeln!(
            b,
            "at {}{}{}",
            l.path,
            l.line.map(|n| format!(":{n}")).unwrap_or_default(),
            l.message.as_deref().map(|m| format!(" {m}")).unwrap_or_default()
        );
    }
    for e in &r.evidence {
        let _ = writeln!(b, "evidence: {} sha256:{}", e.path, e.sha256);
    }
    b
}

pub fn render(record: &RunRecord) -> String {
    let s = &record.summary;
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let total_ms: u64 = record.results.iter().map(|r| r.duration_ms).sum();
    let _ = writeln!(
        x,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{}\">",
        escape(&format!("readyctl: {}", record.checklist.name)),
        s.total,
        s.counts.fail,
        s.counts.error,
        seconds(total_ms)
    );
    for (area, results) in grouped(record) {
        let n = |st: Status| results.iter().filter(|r| r.status == st).count();
        let skipped = n(Status::Skip) + n(Status::Pending) + n(Status::Waived);
        let ms: u64 = results.iter().map(|r| r.duration_ms).sum();
        let _ = writeln!(
            x,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\" timestamp=\"{}\">",
            escape(area),
            results.len(),
            n(Status::Fail),
            n(Status::Error),
            skipped,
            seconds(ms),
            escape(&record.run.started)
        );
        for r in results {
            let _ = write!(
                x,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\"",
                escape(&format!("{}: {}", r.id, r.title)),
                escape(&format!("readyctl.{area}")),
                seconds(r.duration_ms)
            );
            if let Some(place) = places::primary(record, r) {
                let _ = write!(x, " file=\"{}\"", escape(&place.path));
                if let Some(line) = place.line {
                    let _ = write!(x, " line=\"{line}\"");
                }
            }
            let (tag, kind, message) = match r.status {
                Status::Pass => {
                    x.push_str("/>\n");
                    continue;
                }
                Status::Fail => ("failure", "fail", r.reason.clone()),
                Status::Error => ("error", "error", r.reason.clone()),
                Status::Skip => ("skipped", "skip", r.reason.clone()),
                Status::Pending => ("skipped", "pending", format!("pending: {}", r.reason)),
                Status::Waived => {
                    let message = match &r.waiver {
                        Some(w) => format!(
                            "waived: {} (was {}: {})",
                            w.reason,
                            w.waived_from.as_str(),
                            w.original_reason
                        ),
                        None => format!("waived: {}", r.reason),
                    };
                    ("skipped", "waived", message)
                }
            };
            let _ = writeln!(
                x,
                ">\n      <{tag} type=\"{kind}\" message=\"{}\">{}</{tag}>\n    </testcase>",
                escape(&message),
                escape(&body(r))
            );
        }
        let _ = writeln!(x, "  </testsuite>");
    }
    x.push_str("</testsuites>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_replaces_what_xml_cannot_carry() {
        assert_eq!(escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
        assert_eq!(escape("x\u{1b}[0m\u{0}\u{FFFF}"), "x\u{FFFD}[0m\u{FFFD}\u{FFFD}");
        assert_eq!(escape("l1\nl2\t"), "l1&#10;l2&#9;");
        assert_eq!(seconds(1234), "1.234");
        assert_eq!(seconds(5), "0.005");
    }
}
