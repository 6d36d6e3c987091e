//! Jest `--json` output. Counts come from each test file's `assertionResults`, not from the
//! `numTotalTests` family. A test file that failed to run (syntax error, failing import) has
//! no assertion results and counts as one error, named [`super::SUITE_FAILED_TO_RUN`] with its
//! file and jest's message.

use std::io::BufRead;
use std::path::Path;

use serde::Deserialize;

use super::{CaseStatus, FormatError, TestCase, TestReport, bound_message, json_from_reader};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JestOutput {
    test_results: Vec<FileResult>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileResult {
    #[serde(default)]
    name: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    assertion_results: Vec<Assertion>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Assertion {
    #[serde(default)]
    ancestor_titles: Vec<String>,
    title: String,
    status: String,
    duration: Option<f64>,
    #[serde(default)]
    failure_messages: Vec<String>,
}

pub(crate) fn read(path: &Path, input: impl BufRead) -> Result<TestReport, FormatError> {
    let out: JestOutput = json_from_reader(path, input, "Jest --json output")?;
    let mut report = TestReport::default();
    for file in out.test_results {
        if file.assertion_results.is_empty() && file.status == "failed" {
            let mut case = TestCase::new("", super::SUITE_FAILED_TO_RUN, CaseStatus::Error);
            case.file = Some(file.name.clone());
            case.message = Some(bound_message(&file.message));
            report.cases.push(case);
            continue;
        }
        for a in file.assertion_results {
            let status = match a.status.as_str() {
                "passed" => CaseStatus::Passed,
                "failed" => CaseStatus::Failed,
                // pending, skipped, todo, disabled
                _ => CaseStatus::Skipped,
            };
            let mut case = TestCase::new(a.ancestor_titles.join(" > "), a.title, status);
            case.file = Some(file.name.clone());
            case.time = a.duration.map(|ms| ms / 1000.0);
            if status == CaseStatus::Failed {
                case.message = a.failure_messages.first().map(|m| bound_message(m));
            }
            report.cases.push(case);
        }
    }
    Ok(report)
}
