//! JaCoCo XML. Per source file, lines come from `<line nr mi ci mb cb>`: a line counts when it
//! has instructions (`mi + ci > 0`) and is covered when `ci > 0` — exactly JaCoCo's LINE
//! counter; branches are `mb + cb` with `cb` covered — JaCoCo's BRANCH counter. The totals
//! therefore equal the report-level `<counter type="LINE|BRANCH">`. When a report carries no
//! `<line>` elements (sourcefiles without line detail), the sourcefile's own LINE and BRANCH
//! counters are used. Paths are `package/SourceFile.java`.

use std::io::BufRead;
use std::path::Path;

use quick_xml::events::Event;

use super::xml::Xml;
use super::{CoverageReport, FileCoverage, FileDetail, FormatError, Ratio};

/// The `<sourcefile>` being read: path, line detail, whether it had `<line>`s, and its own
/// LINE and BRANCH counters.
type Source = (String, FileDetail, bool, Option<Ratio>, Option<Ratio>);

pub(crate) fn read(path: &Path, input: impl BufRead) -> Result<CoverageReport, FormatError> {
    let mut xml = Xml::new(path, input);
    let mut buf = Vec::with_capacity(4096);
    let mut report = CoverageReport::default();
    let mut package = String::new();
    let mut current: Option<Source> = None;
    let mut saw_root = false;
    let mut depth = 0u32;
    let (mut report_lines, mut report_branches) = (None, None);
    let mut branches_spent = 0u64;
    loop {
        let event = xml.next(&mut buf)?;
        match &event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                match e.local_name().as_ref() {
                    b"report" => saw_root = true,
                    b"package" => package = xml.attr(e, b"name")?.unwrap_or_default(),
                    b"sourcefile" if !empty => {
                        let name = xml.attr(e, b"name")?.unwrap_or_default();
                        let full =
                            if package.is_empty() { name } else { format!("{package}/{name}") };
                        current = Some((full, FileDetail::default(), false, None, None));
                    }
                    b"line" => {
                        let Some((_, detail, has_lines, _, _)) = current.as_mut() else {
                            continue;
                        };
                        *has_lines = true;
                        let nr: u32 = xml
                            .attr_num(e, b"nr")?
                            .ok_or_else(|| xml.error("<line> without nr"))?;
                        let mi: u64 = xml.attr_num(e, b"mi")?.unwrap_or(0);
                        let ci: u64 = xml.attr_num(e, b"ci")?.unwrap_or(0);
                        let mb: u32 = xml.attr_num(e, b"mb")?.unwrap_or(0);
                        let cb: u32 = xml.attr_num(e, b"cb")?.unwrap_or(0);
                        if mi + ci > 0 {
                            detail.hit_line(nr, ci);
                        }
                        super::spend_branches(&mut branches_spent, u64::from(mb) + u64::from(cb))
                            .map_err(|m| xml.error(format!("<line nr=\"{nr}\">: {m}")))?;
                        for i in 0..mb + cb {
                            detail.hit_branch((nr, 0, i), u64::from(i < cb));
                        }
                    }
                    b"counter" => {
                        let kind = xml.attr(e, b"type")?.unwrap_or_default();
                        let missed: u64 = xml.attr_num(e, b"missed")?.unwrap_or(0);
                        let covered: u64 = xml.attr_num(e, b"covered")?.unwrap_or(0);
                        let r = Ratio::new(covered, covered + missed);
                        // Counters directly under <report> (depth 1) are the report totals.
                        let (lines, branches) = match current.as_mut() {
                            Some((_, _, _, l, b)) => (l, b),
                            None if depth == 1 => (&mut report_lines, &mut report_branches),
                            None => continue,
                        };
                        match kind.as_str() {
                            "LINE" => *lines = Some(r),
                            "BRANCH" => *branches = Some(r),
                            _ => {}
                        }
                    }
                    _ => {}
                }
            }
            Event::End(ref e) if e.local_name().as_ref() == b"sourcefile" => {
                if let Some((name, detail, has_lines, lines, branches)) = current.take() {
                    let cov = if has_lines {
                        FileCoverage::Detail(detail)
                    } else {
                        FileCoverage::Counts {
                            lines: lines.unwrap_or_default(),
                            branches: branches.unwrap_or_default(),
                        }
                    };
                    report.add_file(name, cov);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_root {
        return Err(xml.error("no <report> element: not a JaCoCo report"));
    }
    // A report written without source files still has its report-level counters.
    if report.files.is_empty() {
        if let Some(lines) = report_lines {
            let branches = report_branches.unwrap_or_default();
            report.add_file("(report)".into(), FileCoverage::Counts { lines, branches });
        }
    }
    Ok(report)
}
