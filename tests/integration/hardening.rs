//! Hardening regressions: inputs found while fuzzing the parsers of untrusted input (see
//! docs/fuzzing.md) that once crashed, hung or exhausted memory.

use std::collections::BTreeMap;
use std::path::PathBuf;

use readyctl::checklist::load::{MAX_CHECKLIST_BYTES, Options, Source, load};

fn load_file(path: PathBuf) -> Result<readyctl::checklist::Checklist, String> {
    let env = |_: &str| None;
    let opts = Options {
        env: &env,
        var_overrides: BTreeMap::new(),
        display_base: path.parent().unwrap().to_path_buf(),
    };
    load(&Source::File(path), &opts)
        .map_err(|ds| ds.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"))
}

/// `include: /dev/zero` once read until memory ran out (the process was OOM-killed).
#[test]
fn checklist_include_of_a_device_is_refused_not_read_forever() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("readiness.yaml");
    std::fs::write(&path, "version: 1\ninclude: [/dev/zero]\nchecks: []\n").unwrap();
    let err = load_file(path).unwrap_err();
    assert!(err.contains("/dev/zero") && err.contains("not a regular file"), "{err}");
}

/// A checklist over the size limit is refused with its name, not loaded into memory.
#[test]
fn checklist_over_the_size_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.yaml");
    let mut text = String::from("version: 1\nchecks: []\n");
    let line = "# padding padding padding padding padding padding padding padding\n";
    while (text.len() as u64) <= MAX_CHECKLIST_BYTES {
        text.push_str(line);
    }
    std::fs::write(&big, text).unwrap();
    let path = dir.path().join("readiness.yaml");
    std::fs::write(&path, "version: 1\ninclude: [big.yaml]\nchecks: []\n").unwrap();
    let err = load_file(path).unwrap_err();
    assert!(err.contains("big.yaml") && err.contains("larger than"), "{err}");
}
