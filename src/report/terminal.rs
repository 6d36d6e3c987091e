//! The terminal table (grouped by area) and the verdict lines under it. The table is drawn
//! here rather than by comfy-table: ids must never break, and below 100 columns areas become
//! header rows and results move under their check.

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

/// How the table may be drawn: its width and whether box-drawing characters are safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Columns available; no line is longer unless one id or area name is.
    pub width: usize,
    /// ASCII borders (`+-|`): the locale is not UTF-8.
    pub ascii: bool,
}

impl Layout {
    /// The terminal's layout: `COLUMNS` when set, else the terminal's width when stdout is one,
    /// else 120; ASCII borders unless the locale (LC_ALL, LC_CTYPE, LANG) is UTF-8.
    pub fn detect() -> Layout {
        let columns = std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<usize>().ok());
        let width = columns.filter(|&c| c > 0).or_else(stdout_columns).unwrap_or(120);
        Layout { width, ascii: !locale_is_utf8(|name| std::env::var(name).ok()) }
    }
}

/// Below this width areas become header rows instead of a column.
pub const WIDE: usize = 100;

/// The width of the terminal on stdout, if it is one.
fn stdout_columns() -> Option<usize> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    // SAFETY: TIOCGWINSZ writes one `winsize` into the struct we own; fd 1 stays open.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
    (ok && size.ws_col > 0).then_some(usize::from(size.ws_col))
}

/// POSIX precedence: the first non-empty of LC_ALL, LC_CTYPE, LANG decides; none is "C".
pub fn locale_is_utf8(env: impl Fn(&str) -> Option<String>) -> bool {
    ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|name| env(name).filter(|v| !v.is_empty()))
        .is_some_and(|v| {
            let v = v.to_ascii_lowercase();
            v.contains("utf-8") || v.contains("utf8")
        })
}

/// Display width of terminal text (East Asian wide characters count two).
fn width_of(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// One line of cell text: whitespace becomes spaces, other control characters and bidi
/// overrides are shown escaped ([`visible`]) so they cannot move the cursor, reorder the line
/// or break the table.
fn cell_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in visible(s).chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Word-wraps `text` to `width` columns; only a word longer than a line is cut.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let needed =
            if line.is_empty() { width_of(word) } else { width_of(&line) + 1 + width_of(word) };
        if needed <= width {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        let mut rest = word;
        while width_of(rest) > width {
            let mut cut = 0;
            let mut used = 0;
            for (i, c) in rest.char_indices() {
                let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
                if used + w > width {
                    break;
                }
                used += w;
                cut = i + c.len_utf8();
            }
            if cut == 0 {
                cut = rest.chars().next().map_or(rest.len(), char::len_utf8);
            }
            lines.push(rest[..cut].to_string());
            rest = &rest[cut..];
        }
        line.push_str(rest);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Box-drawing characters.
struct Borders {
    h: char,
    v: char,
    /// Junctions: [top, middle, bottom] × [left, cross, right], and the crossings where a
    /// column line only continues up (`┴`) or down (`┬`).
    top: [char; 3],
    mid: [char; 3],
    bottom: [char; 3],
    up: char,
    down: char,
}

const UNICODE: Borders = Borders {
    h: '─',
    v: '│',
    top: ['┌', '┬', '┐'],
    mid: ['├', '┼', '┤'],
    bottom: ['└', '┴', '┘'],
    up: '┴',
    down: '┬',
};
const ASCII: Borders = Borders {
    h: '-',
    v: '|',
    top: ['+', '+', '+'],
    mid: ['+', '+', '+'],
    bottom: ['+', '+', '+'],
    up: '+',
    down: '+',
};

/// A table row: cells in columns, or one cell across the whole table.
enum Row {
    Cells(Vec<(String, Option<crate::outcome::Status>)>),
    Span(String, bool),
    Rule,
}

/// The results table, grouped by area. At `layout.width` ≥ [`WIDE`] the area is a column;
/// below, each area is a header row. Ids and area names are never broken: only the Result
/// column wraps; when too narrow for it, the result goes under its check, across the table.
pub fn table(record: &RunRecord, style: Style, layout: Layout) -> String {
    let b = if layout.ascii { &ASCII } else { &UNICODE };
    let groups = grouped(record);
    let max_w = |it: &mut dyn Iterator<Item = usize>, min: usize| it.fold(min, usize::max);
    let area_w = max_w(&mut groups.iter().map(|(a, _)| width_of(&cell_text(a))), 4);
    let id_w = max_w(&mut record.results.iter().map(|r| width_of(&cell_text(&r.id))), 5);
    let status_w = max_w(&mut record.results.iter().map(|r| status_label(r.status).len()), 6);
    let time = |r: &crate::outcome::CheckResult| {
        if r.status == crate::outcome::Status::Skip {
            String::new()
        } else {
            human_ms(r.duration_ms)
        }
    };
    let time_w = max_w(&mut record.results.iter().map(|r| time(r).len()), 4);
    // Chrome: one border column, then " text │" per column.
    let chrome = |cols: usize| 1 + 3 * cols;
    let wide_result = layout.width.saturating_sub(chrome(5) + area_w + status_w + id_w + time_w);
    let narrow_result = layout.width.saturating_sub(chrome(4) + status_w + id_w + time_w);
    let untimed_result = layout.width.saturating_sub(chrome(3) + status_w + id_w);
    #[derive(PartialEq)]
    enum Mode {
        Wide,
        Narrow {
            time: bool,
        },
        /// Results under their check; `time`: a Time column fits too.
        Stacked {
            time: bool,
        },
    }
    let (mode, result_w) = if layout.width >= WIDE && wide_result >= 30 {
        (Mode::Wide, wide_result)
    } else if narrow_result >= 30 {
        (Mode::Narrow { time: true }, narrow_result)
    } else if untimed_result >= 24 {
        (Mode::Narrow { time: false }, untimed_result)
    } else {
        // Very narrow: the time moves into the result line rather than push the table wider.
        let time = chrome(3) + status_w + id_w + time_w <= layout.width;
        (Mode::Stacked { time }, 0)
    };
    // Stacked, the Check column takes the spare width so results get the whole line.
    let id_w = match mode {
        Mode::Stacked { time: true } => {
            id_w.max(layout.width.saturating_sub(chrome(3) + status_w + time_w))
        }
        Mode::Stacked { time: false } => {
            id_w.max(layout.width.saturating_sub(chrome(2) + status_w))
        }
        _ => id_w,
    };
    let stacked = matches!(mode, Mode::Stacked { .. });
    let mut widths = Vec::new();
    let mut header = Vec::new();
    if mode == Mode::Wide {
        widths.push(area_w);
        header.push("Area");
    }
    widths.extend([status_w, id_w]);
    header.extend(["Status", "Check"]);
    if !stacked {
        widths.push(result_w);
        header.push("Result");
    }
    if matches!(mode, Mode::Wide | Mode::Narrow { time: true } | Mode::Stacked { time: true }) {
        widths.push(time_w);
        header.push("Time");
    }
    let inner: usize = widths.iter().sum::<usize>() + 3 * widths.len() - 1;

    let mut rows =
        vec![Row::Cells(header.iter().map(|h| (h.to_string(), None)).collect()), Row::Rule];
    for (gi, (area, results)) in groups.iter().enumerate() {
        if mode != Mode::Wide {
            if gi > 0 {
                rows.push(Row::Rule);
            }
            rows.push(Row::Span(cell_text(area), true));
            rows.push(Row::Rule);
        } else if gi > 0 {
            rows.push(Row::Rule);
        }
        for (i, r) in results.iter().enumerate() {
            let reason = cell_text(&r.reason);
            let mut cells = Vec::new();
            if mode == Mode::Wide {
                cells.push((if i == 0 { cell_text(area) } else { String::new() }, None));
            }
            cells.push((status_label(r.status).to_string(), Some(r.status)));
            cells.push((cell_text(&r.id), None));
            if !stacked {
                cells.push((reason.clone(), None));
            }
            if widths.len() > cells.len() {
                cells.push((time(r), None));
            }
            rows.push(Row::Cells(cells));
            if stacked {
                // Under the check id, across the rest of the table.
                let indent = status_w + 3;
                let reason = match mode {
                    Mode::Stacked { time: false } if !time(r).is_empty() => {
                        format!("{} · {reason}", time(r))
                    }
                    _ => reason,
                };
                for line in wrap(&reason, inner.saturating_sub(indent + 1).max(10)) {
                    rows.push(Row::Span(format!("{}{line}", " ".repeat(indent)), false));
                }
            }
        }
    }

    // Which column boundaries a row has (for the junctions of the rules around it).
    let has_columns = |row: Option<&Row>| matches!(row, Some(Row::Cells(_)));
    let rule = |ends: [char; 3], above: bool, below: bool| -> String {
        let mut line = String::new();
        line.push(ends[0]);
        for (k, w) in widths.iter().enumerate() {
            line.extend(std::iter::repeat_n(b.h, w + 2));
            if k + 1 < widths.len() {
                line.push(match (above, below) {
                    (true, true) => ends[1],
                    (true, false) => b.up,
                    (false, true) => b.down,
                    (false, false) => b.h,
                });
            }
        }
        line.push(ends[2]);
        line
    };
    let mut out = Vec::new();
    out.push(rule(b.top, false, has_columns(rows.first())));
    for (k, row) in rows.iter().enumerate() {
        match row {
            Row::Rule => {
                let above = has_columns(k.checked_sub(1).and_then(|j| rows.get(j)));
                out.push(rule(b.mid, above, has_columns(rows.get(k + 1))));
            }
            Row::Span(text, bold) => {
                let pad = inner.saturating_sub(width_of(text) + 1);
                let shown = if *bold { style.bold(text) } else { text.clone() };
                out.push(format!("{v} {shown}{}{v}", " ".repeat(pad), v = b.v));
            }
            Row::Cells(cells) => {
                let wrapped: Vec<Vec<String>> = cells
                    .iter()
                    .zip(&widths)
                    .map(
                        |((text, _), &w)| {
                            if width_of(text) <= w { vec![text.clone()] } else { wrap(text, w) }
                        },
                    )
                    .collect();
                let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
                for line_no in 0..height {
                    let mut line = String::new();
                    line.push(b.v);
                    for ((lines, (_, status)), &w) in wrapped.iter().zip(cells).zip(&widths) {
                        let text = lines.get(line_no).map_or("", String::as_str);
                        let pad = w.saturating_sub(width_of(text));
                        let shown = match status {
                            Some(s) if !text.is_empty() => style.status(*s),
                            _ => text.to_string(),
                        };
                        line.push(' ');
                        line.push_str(&shown);
                        line.push_str(&" ".repeat(pad));
                        line.push(' ');
                        line.push(b.v);
                    }
                    out.push(line);
                }
            }
        }
    }
    out.push(rule(b.bottom, has_columns(rows.last()), false));
    out.join("\n")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_spaces_and_cuts_only_overlong_words() {
        assert_eq!(wrap("status 404 (expected 200)", 12), ["status 404", "(expected", "200)"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 10), [""]);
        // Wide characters count two columns.
        assert!(wrap("日本語の説明です", 6).iter().all(|l| width_of(l) <= 6));
    }

    #[test]
    fn utf8_locale_follows_posix_precedence() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
        };
        assert!(locale_is_utf8(env(&[("LANG", "en_US.UTF-8")])));
        assert!(locale_is_utf8(env(&[("LC_CTYPE", "C.utf8"), ("LANG", "C")])));
        assert!(!locale_is_utf8(env(&[("LC_ALL", "C"), ("LANG", "en_US.UTF-8")])));
        assert!(locale_is_utf8(env(&[("LC_ALL", ""), ("LANG", "de_DE.UTF-8")])));
        assert!(!locale_is_utf8(env(&[])));
    }

    #[test]
    fn control_characters_cannot_reach_the_terminal() {
        assert_eq!(cell_text("a\nb\x1b[2Jc\u{202e}"), "a b\\x1b[2Jc\\u{202e}");
    }
}
