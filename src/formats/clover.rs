//! Clover XML (OpenClover, Istanbul `clover`, PHPUnit `--coverage-clover`). Per `<file>`, its
//! own `<metrics statements coveredstatements conditionals coveredconditionals>` are raw
//! counts and are used ("lines" are Clover statements). `<line type="cond">`'s
//! `truecount`/`falsecount` mean different things to OpenClover (times taken) and Istanbul
//! (branches covered/uncovered), so they are not read.

use std::io::BufRead;
use std::path::Path;

use quick_xml::events::Event;

use super::xml::Xml;
use super::{CoverageReport, FileCoverage, FormatError, Ratio};

pub(crate) fn read(path: &Path, input: impl BufRead) -> Result<CoverageReport, FormatError> {
    let mut xml = Xml::new(path, input);
    let mut buf = Vec::with_capacity(4096);
    let mut report = CoverageReport::default();
    let mut current: Option<String> = None;
    let mut class_depth = 0u32;
    let mut saw_root = false;
    loop {
        let event = xml.next(&mut buf)?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                match e.local_name().as_ref() {
                    b"coverage" => saw_root = true,
                    b"file" if !empty => {
                        current = xml.attr(e, b"path")?.or(xml.attr(e, b"name")?);
                    }
                    b"class" if !empty => class_depth += 1,
                    b"metrics" if class_depth == 0 => {
                        let Some(name) = current.clone() else { continue };
                        let n = |k: &[u8]| xml.attr_num::<u64>(e, k).map(Option::unwrap_or_default);
                        let lines = Ratio::new(n(b"coveredstatements")?, n(b"statements")?);
                        let branches = Ratio::new(n(b"coveredconditionals")?, n(b"conditionals")?);
                        report.add_file(name, FileCoverage::Counts { lines, branches });
                    }
                    _ => {}
                }
            }
            Event::End(ref e) => match e.local_name().as_ref() {
                b"file" => current = None,
                b"class" => class_depth = class_depth.saturating_sub(1),
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_root {
        return Err(xml.error("no <coverage> element: not a Clover report"));
    }
    Ok(report)
}
