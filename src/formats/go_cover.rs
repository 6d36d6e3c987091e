//! Go coverprofile (`go test -coverprofile`). After the `mode:` line each record is
//! `file:startLine.startCol,endLine.endCol numStatements count`. The figure is statements
//! covered out of statements, as `go tool cover -func` reports it ("lines" in readyctl's
//! output are Go statements). A block that appears more than once (several packages'
//! profiles concatenated, `-coverpkg`) is merged: covered if any record counted it.
//! Go profiles carry no branch data.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

use super::{CoverageReport, FileDetail, FormatError, Position, UnitKey};

pub(crate) fn read(path: &Path, mut input: impl BufRead) -> Result<CoverageReport, FormatError> {
    let mut files: BTreeMap<String, FileDetail> = BTreeMap::new();
    let mut line = String::new();
    let mut line_no = 0u64;
    let mut saw_mode = false;
    loop {
        line.clear();
        let n = input.read_line(&mut line).map_err(|e| {
            FormatError::new(path, Some(Position::Line(line_no + 1)), format!("cannot read: {e}"))
        })?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        if text.starts_with("mode:") {
            // Concatenated profiles repeat the mode line.
            saw_mode = true;
            continue;
        }
        if !saw_mode {
            return Err(FormatError::new(
                path,
                Some(Position::Line(line_no)),
                "expected `mode: set|count|atomic` first: not a Go coverprofile",
            ));
        }
        let (file, key, stmts, count) = parse_block(text).ok_or_else(|| {
            let shown: String = text.chars().take(80).collect();
            FormatError::new(
                path,
                Some(Position::Line(line_no)),
                format!("malformed coverprofile block `{shown}`"),
            )
        })?;
        match files.get_mut(file) {
            Some(d) => d.hit_unit(key, stmts, count),
            None => {
                let mut d = FileDetail::default();
                d.hit_unit(key, stmts, count);
                files.insert(file.to_string(), d);
            }
        }
    }
    if !saw_mode {
        return Err(FormatError::new(path, Some(Position::Line(1)), "empty Go coverprofile"));
    }
    Ok(CoverageReport::from_details(files))
}

/// `(file, block, statements, count)` of one profile line.
type Block<'a> = (&'a str, UnitKey, u32, u64);

fn parse_block(text: &str) -> Option<Block<'_>> {
    // The file name may contain ':' (Windows drive), so split at the last one.
    let (file, rest) = text.rsplit_once(':')?;
    let mut parts = rest.split_whitespace();
    let range = parts.next()?;
    let stmts = parts.next()?.parse().ok()?;
    let count = parts.next()?.parse().ok()?;
    let (start, end) = range.split_once(',')?;
    let (sl, sc) = start.split_once('.')?;
    let (el, ec) = end.split_once('.')?;
    let key = (sl.parse().ok()?, sc.parse().ok()?, el.parse().ok()?, ec.parse().ok()?);
    Some((file, key, stmts, count))
}
