//! SimpleCov (Ruby): `coverage/.resultset.json` (one entry per command name — `RSpec`,
//! `Minitest`, … — each `{"coverage": {FILE: {"lines": [...]}}, "timestamp": N}`; before
//! SimpleCov 0.18 a file maps to the line array directly) and the JSON formatter's
//! `coverage/coverage.json` (`{"meta": …, "coverage": {FILE: {"lines": [...]}}}`). A line array
//! holds one entry per source line: `null` is not relevant, `0` is missed, `N > 0` is hit.
//! Several command names are merged: a line is hit when any run hit it. Branch data is not read.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

use serde_json::Value;

use super::{CoverageReport, FileDetail, FormatError, json_from_reader};

pub(crate) fn read(path: &Path, input: impl BufRead) -> Result<CoverageReport, FormatError> {
    let doc: Value = json_from_reader(path, input, "SimpleCov JSON")?;
    let Some(top) = doc.as_object() else {
        return Err(FormatError::new(path, None, "not a JSON object"));
    };
    // coverage.json has the files under a top-level `coverage`; .resultset.json under each
    // command name's `coverage`.
    let runs: Vec<&Value> = match top.get("coverage") {
        Some(c) => vec![c],
        None => top.values().filter_map(|run| run.get("coverage")).collect(),
    };
    if runs.is_empty() {
        return Err(FormatError::new(path, None, "no `coverage` object: not a SimpleCov result"));
    }
    let mut details: BTreeMap<String, FileDetail> = BTreeMap::new();
    for files in runs {
        let Some(files) = files.as_object() else {
            return Err(FormatError::new(path, None, "`coverage` is not an object of files"));
        };
        for (name, entry) in files {
            let lines = entry.get("lines").unwrap_or(entry);
            let Some(lines) = lines.as_array() else {
                return Err(FormatError::new(
                    path,
                    None,
                    format!("file `{name}` has no `lines` array"),
                ));
            };
            let d = details.entry(name.clone()).or_default();
            for (i, hits) in lines.iter().enumerate() {
                let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
                match hits {
                    Value::Null => {}
                    // `"ignored"` marks lines excluded with `# :nocov:`.
                    Value::String(_) => {}
                    v => match v.as_u64() {
                        Some(n) => d.hit_line(line, n),
                        None => {
                            return Err(FormatError::new(
                                path,
                                None,
                                format!("file `{name}` line {line}: `{v}` is not a hit count"),
                            ));
                        }
                    },
                }
            }
        }
    }
    Ok(CoverageReport::from_details(details))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> (u64, u64) {
        let r = read(Path::new("x.json"), text.as_bytes()).unwrap();
        let l = r.lines();
        (l.covered, l.total)
    }

    #[test]
    fn resultset_merges_command_names_and_skips_irrelevant_lines() {
        let text = r#"{
          "RSpec": {"coverage": {"/app/a.rb": {"lines": [1, null, 0, 0]}}, "timestamp": 1},
          "Minitest": {"coverage": {"/app/a.rb": {"lines": [0, null, 3, 0]}, "/app/b.rb": {"lines": [null, 2]}}, "timestamp": 2}
        }"#;
        // a.rb: lines 1 and 3 hit, 4 missed; b.rb: line 2 hit → 3 of 4.
        assert_eq!(lines(text), (3, 4));
    }

    #[test]
    fn old_resultset_and_json_formatter_output() {
        assert_eq!(
            lines(r#"{"RSpec": {"coverage": {"/a.rb": [1, 0, null]}, "timestamp": 1}}"#),
            (1, 2)
        );
        assert_eq!(
            lines(
                r#"{"meta": {"simplecov_version": "0.22.0"}, "coverage": {"/a.rb": {"lines": [1, 1, "ignored", 0]}}}"#
            ),
            (2, 3)
        );
        assert!(read(Path::new("x.json"), r#"{"a": 1}"#.as_bytes()).is_err());
    }
}
