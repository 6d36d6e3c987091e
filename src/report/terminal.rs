//! The terminal table (grouped by area) and the verdict lines under it.

use comfy_table::{Cell, ContentArrangement, Table, presets};

use super::style::{Style, human_ms, status_label, visible};
use crate::record::RunRecord;

/// Areas in order of first appearance; checks in checklist order within an area.
pub fn grouped(record: &RunRecord) -> Vec<(&str, Vec<&crate::outcome::CheckResult>)> {
    let mut groups: Vec<(&str, Vec<&crate::outcome::CheckResult>)> = Vec::new();
    for r in &record.results {
        match groups.iter_mut().find(|(a, _)| *a == r.area) {
            Some((_, list)) => list.push(r),
            None => groups.push((&r.area, vec![r])),
        }
    }
    groups
}

/// The results table. `width` bounds it (the terminal width, or a fixed width off a TTY).
pub fn table(record: &RunRecord, style: Style, width: u16) -> String {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width)
        .set_header(vec!["Area", "Status", "Check", "Result", "Time"]);
    if style.color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    for (area, results) in grouped(record) {
        for (i, r) in results.iter().enumerate() {
            let status = Cell::new(status_label(r.status)).fg(match r.status {
                crate::outcome::Status::Pass => comfy_table::Color::Green,
                crate::outcome::Status::Fail => comfy_table::Color::Red,
                crate::outcome::Status::Error => comfy_table::Color::Magenta,
                crate::outcome::Status::Skip => comfy_table::Color::DarkGrey,
                crate::outcome::Status::Waived => comfy_table::Color::Yellow,
                crate::outcome::Status::Pending => comfy_table::Color::Cyan,
            });
            t.add_row(vec![
                Cell::new(if i == 0 { visible(area) } else { "".into() }),
                status,
                Cell::new(visible(&r.id)),
                Cell::new(visible(&r.reason)),
                Cell::new(if r.status == crate::outcome::Status::Skip {
                    String::new()
                } else {
                    human_ms(r.duration_ms)
                }),
            ]);
        }
    }
    t.to_string()
}

/// `NOT READY · score 62.5 · level bronze`, the counts, the reasons, and where the run is.
pub fn summary(record: &RunRecord, style: Style, run_dir: &str) -> String {
    let s = &record.summary;
    let mut out = String::new();
    let level = match (&s.level, &s.next_level) {
        (Some(l), Some(n)) => format!(
            " · level {} ({} check{} from {})",
            l.as_str(),
            n.missing.len(),
            crate::diag::plural(n.missing.len()),
            n.level.as_str()
        ),
        (Some(l), None) => format!(" · level {}", l.as_str()),
        (None, Some(n)) => format!(
            " · no level ({} check{} from {})",
            n.missing.len(),
            crate::diag::plural(n.missing.len()),
            n.level.as_str()
        ),
        (None, None) => String::new(),
    };
    out.push_str(&format!("{} · score {}{level}\n", style.verdict(s.verdict), s.score));
    out.push_str(&format!(
        "{} check{}: {}\n",
        s.total,
        crate::diag::plural(s.total),
        s.counts.describe()
    ));
    for b in &s.because {
        out.push_str(&format!("  {} {}\n", style.dim("·"), visible(b)));
    }
    out.push_str(&format!("run: {}\n", visible(run_dir)));
    out
}
