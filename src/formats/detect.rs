//! Format detection from the first few kilobytes of a file. Binary data and empty files are
//! rejected here with their position, before any reader runs.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::{CoverageFormat, FormatError, Position, TestFormat};

const SNIFF_BYTES: usize = 16 * 1024;

/// Reads the head of a file and checks it is non-empty text.
fn sniff(path: &Path) -> Result<String, FormatError> {
    let file =
        File::open(path).map_err(|e| FormatError::new(path, None, format!("cannot read: {e}")))?;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    file.take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|e| FormatError::new(path, None, format!("cannot read: {e}")))?;
    let start = if head.starts_with(&[0xEF, 0xBB, 0xBF]) { 3 } else { 0 };
    let head = &head[start..];
    if head.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(FormatError::new(path, Some(Position::Byte(0)), "file is empty"));
    }
    if let Some(pos) = head.iter().position(|&b| b == 0) {
        return Err(FormatError::new(
            path,
            Some(Position::Byte((pos + start) as u64)),
            "binary data (NUL byte), not a text report",
        ));
    }
    let text = match std::str::from_utf8(head) {
        Ok(t) => t.to_string(),
        // A multi-byte character cut by the sniff window is fine; anything else is not text.
        Err(e) if e.error_len().is_none() => {
            String::from_utf8_lossy(&head[..e.valid_up_to()]).into_owned()
        }
        Err(e) => {
            return Err(FormatError::new(
                path,
                Some(Position::Byte((e.valid_up_to() + start) as u64)),
                "invalid UTF-8: binary data, not a text report",
            ));
        }
    };
    Ok(text)
}

/// Detects a test-result format from content.
pub fn detect_test_format(path: &Path) -> Result<TestFormat, FormatError> {
    let text = sniff(path)?;
    let t = text.trim_start();
    if t.starts_with('<') {
        if t.contains("<TestRun") {
            return Ok(TestFormat::Trx);
        }
        if t.contains("<testsuite") || t.contains("<testcase") {
            return Ok(TestFormat::Junit);
        }
    } else if t.starts_with('{') {
        if t.contains("\"Action\"") {
            return Ok(TestFormat::GoJson);
        }
        if t.contains("numTotalTests") || t.contains("\"testResults\"") {
            return Ok(TestFormat::JestJson);
        }
        if t.contains("\"type\"") && t.contains("\"event\"") {
            return Ok(TestFormat::LibtestJson);
        }
    } else if t.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with("TAP version")
            || l.starts_with("ok ")
            || l == "ok"
            || l.starts_with("not ok")
            || l.starts_with("1..")
    }) {
        return Ok(TestFormat::Tap);
    }
    Err(unknown(path, &text, "test-result", "junit, tap, go_json, libtest_json, jest_json, trx"))
}

/// Detects a coverage format from content.
pub fn detect_coverage_format(path: &Path) -> Result<CoverageFormat, FormatError> {
    let text = sniff(path)?;
    let t = text.trim_start();
    if t.starts_with('<') {
        if t.contains("<CoverageSession") {
            return Ok(CoverageFormat::Opencover);
        }
        if t.contains("<coverage") && (t.contains("clover=\"") || t.contains("<project")) {
            return Ok(CoverageFormat::Clover);
        }
        if t.contains("<coverage") {
            return Ok(CoverageFormat::Cobertura);
        }
        if t.contains("<report") || t.contains("JACOCO") {
            return Ok(CoverageFormat::Jacoco);
        }
    } else if t.starts_with('{') {
        if t.contains("llvm.coverage.json.export") {
            return Ok(CoverageFormat::LlvmCov);
        }
        if t.contains("\"executed_lines\"") || t.contains("\"covered_lines\"") {
            return Ok(CoverageFormat::CoveragePy);
        }
        if t.contains("\"statementMap\"") {
            return Ok(CoverageFormat::IstanbulFinal);
        }
        if t.contains("\"pct\"") {
            return Ok(CoverageFormat::IstanbulSummary);
        }
        if t.contains("\"coverage\"")
            && (t.contains("\"lines\"") || t.contains("\"timestamp\"") || t.contains("simplecov"))
        {
            return Ok(CoverageFormat::Simplecov);
        }
    } else if t.starts_with("mode:") {
        return Ok(CoverageFormat::GoCover);
    } else if t.lines().any(|l| l.starts_with("SF:")) || t.starts_with("TN:") {
        return Ok(CoverageFormat::Lcov);
    }
    Err(unknown(
        path,
        &text,
        "coverage",
        "lcov, cobertura, jacoco, coverage_py, go_cover, llvm_cov, istanbul_summary, \
         istanbul_final, clover, opencover, simplecov",
    ))
}

fn unknown(path: &Path, text: &str, kind: &str, known: &str) -> FormatError {
    let first: String = text.trim_start().chars().take(40).collect();
    let first = first.lines().next().unwrap_or("");
    FormatError::new(
        path,
        Some(Position::Line(1)),
        format!(
            "not a {kind} format readyctl knows (starts with `{first}`); set `format:` to one of {known}"
        ),
    )
}
