//! Reporters: every output format renders the same [`RunRecord`](crate::record::RunRecord);
//! none recomputes a verdict.
//!
//! `check --report FORMAT=PATH` and `report RUN --format FORMAT` both go through [`render`];
//! `github` (annotations and step summary) is driven by the environment instead.

pub mod aggregate;
pub mod badge;
pub mod diff;
pub mod github;
pub mod gitlab;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod places;
pub mod progress;
pub mod sarif;
pub mod saved;
pub mod style;
pub mod tap;
pub mod terminal;

use std::path::Path;

use sha2::Digest;

use crate::record::RunRecord;

/// A file format a run can be rendered as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// The Markdown report (report.md).
    Md,
    /// The results document (the manifest's predicate).
    Json,
    /// JUnit XML: one testcase per check, one suite per area.
    Junit,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
    /// TAP version 13.
    Tap,
    /// GitLab Code Quality JSON.
    Gitlab,
    /// A self-contained HTML page with charts (report.html).
    Html,
}

impl ReportFormat {
    pub fn parse(name: &str) -> Option<ReportFormat> {
        Some(match name {
            "md" | "markdown" => ReportFormat::Md,
            "json" => ReportFormat::Json,
            "junit" | "xml" => ReportFormat::Junit,
            "sarif" => ReportFormat::Sarif,
            "tap" => ReportFormat::Tap,
            "gitlab" | "codequality" => ReportFormat::Gitlab,
            "html" => ReportFormat::Html,
            _ => return None,
        })
    }
}

/// Renders `record` as `format`. `run_dir` is read for the Markdown log excerpts.
pub fn render(format: ReportFormat, record: &RunRecord, run_dir: Option<&Path>) -> Vec<u8> {
    match format {
        ReportFormat::Md => markdown::render(record, run_dir).into_bytes(),
        ReportFormat::Json => {
            let mut v = serde_json::to_vec_pretty(record).unwrap_or_default();
            v.push(b'\n');
            v
        }
        ReportFormat::Junit => junit::render(record).into_bytes(),
        ReportFormat::Sarif => {
            let mut v = serde_json::to_vec_pretty(&sarif::render(record)).unwrap_or_default();
            v.push(b'\n');
            v
        }
        ReportFormat::Tap => tap::render(record).into_bytes(),
        ReportFormat::Html => html::render(record, None).into_bytes(),
        ReportFormat::Gitlab => {
            let mut v = serde_json::to_vec_pretty(&gitlab::render(record)).unwrap_or_default();
            v.push(b'\n');
            v
        }
    }
}

/// Writes `bytes` to `dest`: `-` is stdout, anything else is written atomically.
pub fn write_to(dest: &str, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if dest == "-" {
        let mut out = std::io::stdout().lock();
        out.write_all(bytes)?;
        return out.flush();
    }
    let path = Path::new(dest);
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    crate::evidence::atomic::write_atomic(path, bytes)
}

/// Lowercase hex SHA-256 of the parts joined by NUL: stable fingerprints.
pub fn fingerprint(parts: &[&str]) -> String {
    let mut h = sha2::Sha256::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update([0u8]);
        }
        h.update(p.as_bytes());
    }
    crate::text::hex(&h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checklist_lines_become_places() {
        use crate::outcome::DefinedAt;
        let place = |s: &str| DefinedAt::parse(s).in_file().map(|(f, l)| (f.to_owned(), l));
        assert_eq!(place("readiness.yaml:12"), Some(("readiness.yaml".into(), Some(12))));
        assert_eq!(place("a:b/c.yaml:3"), Some(("a:b/c.yaml".into(), Some(3))));
        assert_eq!(place("builtin:base:30"), None);
        assert_eq!(place("x.yaml"), Some(("x.yaml".into(), None)));
        assert_eq!(place(""), None);
    }

    #[test]
    fn report_format_names() {
        assert_eq!(ReportFormat::parse("sarif"), Some(ReportFormat::Sarif));
        assert_eq!(ReportFormat::parse("codequality"), Some(ReportFormat::Gitlab));
        assert_eq!(ReportFormat::parse("html"), Some(ReportFormat::Html));
        assert_eq!(ReportFormat::parse("pdf"), None);
    }
}
