//! The labelled corpus (`fixtures/secrets-corpus`, written by `bench/secrets/gen_corpus.py`):
//! readyctl's precision and recall on it must meet the goal of issue 16, so a regression in a
//! rule or in context weighting fails the tests. Not timed; the benchmark times it.
//!
//! A case is a line labelled `secret: true` (a blocking finding expected there; line 0: anywhere
//! in the file) or `secret: false` (a decoy that must not block). A blocking finding is one at or
//! above the probe's default `min_severity`. A true positive is a secret line with a blocking
//! finding; a false positive is a blocking finding on any line not labelled secret.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use std::sync::atomic::AtomicBool;

use super::{Options, Scanner};
use crate::probe::secrets::DEFAULT_MIN_SEVERITY;

/// Precision and recall goals of issue 16.
const MIN_PRECISION: f64 = 0.90;
const MIN_RECALL: f64 = 0.95;

#[derive(serde::Deserialize)]
struct Labels {
    cases: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    file: String,
    line: u64,
    secret: bool,
    kind: String,
}

/// (true positives, false positives, false negatives, missed kinds, false-positive places).
pub fn score(root: &Path) -> (usize, usize, usize, Vec<String>, Vec<String>) {
    let labels: Labels =
        serde_json::from_str(&std::fs::read_to_string(root.join("labels.json")).unwrap()).unwrap();
    let scanner = Scanner::new(&Options::default()).unwrap();
    let report = scanner.scan_repo(&root.join("files"), &AtomicBool::new(false)).unwrap();
    let blocking: BTreeSet<(String, u64)> = report
        .findings
        .iter()
        .filter(|f| f.severity >= DEFAULT_MIN_SEVERITY)
        .map(|f| (f.path.clone(), f.line.unwrap_or(0)))
        .collect();
    let secret_lines: HashSet<(String, u64)> =
        labels.cases.iter().filter(|c| c.secret).map(|c| (c.file.clone(), c.line)).collect();
    let (mut tp, mut missed) = (0, Vec::new());
    for c in labels.cases.iter().filter(|c| c.secret) {
        let hit = if c.line == 0 {
            blocking.iter().any(|(p, _)| *p == c.file)
        } else {
            blocking.contains(&(c.file.clone(), c.line))
        };
        if hit {
            tp += 1;
        } else {
            missed.push(format!("{}:{} ({})", c.file, c.line, c.kind));
        }
    }
    let file_level: HashSet<&str> =
        labels.cases.iter().filter(|c| c.secret && c.line == 0).map(|c| c.file.as_str()).collect();
    let fps: Vec<String> = blocking
        .iter()
        .filter(|(p, l)| {
            !secret_lines.contains(&(p.clone(), *l)) && !file_level.contains(p.as_str())
        })
        .map(|(p, l)| {
            let rule = report
                .findings
                .iter()
                .find(|f| f.path == *p && f.line.unwrap_or(0) == *l)
                .map_or("", |f| f.rule.as_str());
            format!("{p}:{l} ({rule})")
        })
        .collect();
    let fnn = missed.len();
    (tp, fps.len(), fnn, missed, fps)
}

#[test]
fn corpus_precision_and_recall_meet_the_goal() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/secrets-corpus");
    let (tp, fp, fnn, missed, fps) = score(&root);
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fnn).max(1) as f64;
    eprintln!(
        "corpus: tp {tp} fp {fp} fn {fnn}: precision {precision:.3} recall {recall:.3}\nmissed: {missed:#?}\nfalse positives: {fps:#?}"
    );
    assert!(
        precision >= MIN_PRECISION && recall >= MIN_RECALL,
        "precision {precision:.3} (goal {MIN_PRECISION}), recall {recall:.3} (goal {MIN_RECALL})\n\
         missed: {missed:#?}\nfalse positives: {fps:#?}"
    );
}
