//! Repository hygiene probes end to end: `secrets` (never stores a secret value, baseline),
//! `git`, `ci`, `dockerfile`, `k8s`, `env`, `audit`, and `init` on temp repositories.

use std::path::Path;

use crate::support::{readyctl, temp_repo, text};

/// Every file under `dir`, read as bytes, must not contain `needle`.
fn assert_absent_everywhere(dir: &Path, needle: &str) {
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let bytes = std::fs::read(entry.path()).unwrap();
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "secret value stored in {}",
                entry.path().display()
            );
        }
    }
}

#[test]
fn secrets_check_fails_without_storing_the_value_then_baseline_passes() {
    // Assembled at run time so this test file holds no secret-shaped literal.
    let key = format!("AKIA{}", "Z7QW3RTY5UIO9PLK");
    let token = format!("ghp_{}", "q8Zr3LkP0vXy7TbN2mWsA1cD4eF5gH6iJ7kL");
    let repo = temp_repo(&[
        ("src/settings.py", &format!("AWS_KEY = '{key}'\n")),
        ("deploy.sh", &format!("#!/bin/sh\ncurl -H 'token: {token}' x\n")),
        (
            "readiness.yaml",
            "version: 1\nname: t\nchecks:\n  - id: security.secrets\n    severity: critical\n    secrets: {}\n",
        ),
    ]);
    let out = readyctl(repo.path(), &["check", "--out", "run1", "--format", "json"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("aws-access-key-id"), "{stdout}");
    assert!(stdout.contains("src/settings.py"), "{stdout}");
    assert!(!stdout.contains(&key) && !stdout.contains(&token), "secret printed: {stdout}");
    assert!(!text(&out.stderr).contains(&key));
    assert_absent_everywhere(&repo.path().join("run1"), &key);
    assert_absent_everywhere(&repo.path().join("run1"), &token);

    let b = readyctl(repo.path(), &["secrets", "baseline", "."]);
    assert_eq!(b.status.code(), Some(0), "{}", text(&b.stderr));
    let baseline = std::fs::read_to_string(repo.path().join(".secrets-baseline.json")).unwrap();
    assert!(!baseline.contains(&key) && !baseline.contains(&token));
    assert_eq!(baseline.matches("\"fingerprint\"").count(), 2, "{baseline}");

    std::fs::write(
        repo.path().join("readiness.yaml"),
        "version: 1\nname: t\nchecks:\n  - id: security.secrets\n    severity: critical\n    secrets: { baseline: .secrets-baseline.json }\n",
    )
    .unwrap();
    let out = readyctl(repo.path(), &["check", "--out", "run2"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));

    // A new secret after the baseline fails again.
    std::fs::write(repo.path().join("new.py"), format!("K = '{key}'\n")).unwrap();
    let out = readyctl(repo.path(), &["check", "--out", "run3"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
}

#[test]
fn secrets_missing_baseline_is_an_error_naming_the_file() {
    let repo = temp_repo(&[(
        "readiness.yaml",
        "version: 1\nname: t\nchecks:\n  - id: s\n    severity: critical\n    secrets: { baseline: nope.json }\n",
    )]);
    let out = readyctl(repo.path(), &["check", "--out", "run", "--format", "json"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("nope.json"), "{stdout}");
}
