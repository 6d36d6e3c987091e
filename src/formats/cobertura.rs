//! Cobertura XML (coverage.py `xml`, gcovr, Istanbul `cobertura`, …). The `line-rate` and
//! `branch-rate` attributes (fractions 0–1, rounded) are ignored: lines come from each class's
//! `<line number hits>` and branches from `condition-coverage="50% (1/2)"` on branch lines.
//! Lines repeated under `<methods>` are skipped so they are not counted twice; classes of the
//! same file merge by line.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

use quick_xml::events::Event;

use super::xml::Xml;
use super::{CoverageReport, FileDetail, FormatError};

pub(crate) fn read(path: &Path, input: impl BufRead) -> Result<CoverageReport, FormatError> {
    let mut xml = Xml::new(path, input);
    let mut buf = Vec::with_capacity(4096);
    let mut files: BTreeMap<String, FileDetail> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut methods_depth = 0u32;
    let mut saw_root = false;
    let mut branches_spent = 0u64;
    loop {
        let event = xml.next(&mut buf)?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                match e.local_name().as_ref() {
                    b"coverage" => saw_root = true,
                    b"class" => {
                        let name = xml
                            .attr(e, b"filename")?
                            .ok_or_else(|| xml.error("<class> without a filename attribute"))?;
                        files.entry(name.clone()).or_default();
                        current = (!empty).then_some(name);
                    }
                    b"methods" if !empty => methods_depth += 1,
                    b"line" if methods_depth == 0 => {
                        let Some(file) = current.as_ref() else { continue };
                        let number: u32 = xml
                            .attr_num(e, b"number")?
                            .ok_or_else(|| xml.error("<line> without a number attribute"))?;
                        let hits: f64 = xml.attr_num(e, b"hits")?.unwrap_or(0.0);
                        let detail = files.get_mut(file).expect("class inserted above");
                        detail.hit_line(number, hits.max(0.0) as u64);
                        if xml.attr(e, b"branch")?.as_deref() == Some("true") {
                            if let Some(cc) = xml.attr(e, b"condition-coverage")? {
                                let (covered, total) = parse_condition(&cc).ok_or_else(|| {
                                    xml.error(format!("bad condition-coverage=\"{cc}\""))
                                })?;
                                super::spend_branches(&mut branches_spent, u64::from(total))
                                    .map_err(|m| {
                                        xml.error(format!("<line number=\"{number}\">: {m}"))
                                    })?;
                                for i in 0..total {
                                    detail.hit_branch((number, 0, i), u64::from(i < covered));
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
            Event::End(ref e) => match e.local_name().as_ref() {
                b"methods" => methods_depth = methods_depth.saturating_sub(1),
                b"class" => current = None,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_root {
        return Err(xml.error("no <coverage> element: not a Cobertura report"));
    }
    Ok(CoverageReport::from_details(files))
}

/// `"50% (1/2)"` → `(1, 2)`.
fn parse_condition(cc: &str) -> Option<(u32, u32)> {
    let inner = cc.split('(').nth(1)?.split(')').next()?;
    let (a, b) = inner.split_once('/')?;
    let (covered, total) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    (covered <= total).then_some((covered, total))
}
