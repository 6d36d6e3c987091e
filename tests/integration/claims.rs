//! `readyctl import`, `attest`, the `manual` probe and `check --claims`, end to end.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{bin, repo_root, text};

fn run(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut c = Command::new(bin());
    c.args(args).current_dir(cwd).env("NO_COLOR", "1").env_remove("GITHUB_ACTIONS");
    c.env_remove("READYCTL_SIGNING_KEY");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("readyctl runs")
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let dest = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// The example reports live beside the repository (`../shared/examples`).
fn example(name: &str) -> Option<PathBuf> {
    let p = repo_root().join("../shared/examples").join(name);
    if p.exists() {
        return Some(p);
    }
    if std::env::var_os("CI").is_some() {
        panic!("{} is missing (CI must provide ../shared/examples)", p.display());
    }
    eprintln!("SKIP: {} not found (the example reports sit in ../shared/examples)", p.display());
    None
}

fn import_example_and_list(name: &str) -> Option<String> {
    let report = example(name)?;
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["import", report.to_str().unwrap(), "-o", "readiness.yaml"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("claims found"), "{stderr}");
    let yaml = std::fs::read_to_string(dir.path().join("readiness.yaml")).unwrap();
    // The first summary line of the header is the terminal's first summary line.
    let header = yaml.lines().nth(1).unwrap().trim_start_matches("# ");
    assert!(stderr.contains(header), "terminal summary differs from the header: {header}");
    // It loads with no errors.
    let list = run(dir.path(), &["list", "--format", "json", "."], &[]);
    assert!(list.status.success(), "{}", text(&list.stderr));
    Some(yaml)
}

#[test]
fn imports_the_proof_pack_report() {
    let Some(yaml) = import_example_and_list("readiness-report-proof-pack.md") else { return };
    insta::assert_snapshot!("import_proof_pack", yaml);
}

#[test]
fn imports_the_deployment_checklist() {
    let Some(yaml) = import_example_and_list("deployment-checklist-migrations.md") else { return };
    insta::assert_snapshot!("import_deployment_checklist", yaml);
}

#[test]
fn mojibake_report_is_repaired_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("r.md"),
        "# Rep\n\n## Docs\n\n- âœ… Guide in `docs/GUIDE.md`\n- ðŸŽ¯ goal reached\n",
    )
    .unwrap();
    let out = run(dir.path(), &["import", "r.md", "-o", "-"], &[]);
    assert!(out.status.success());
    let yaml = text(&out.stdout);
    assert!(text(&out.stderr).contains("repaired"), "{}", text(&out.stderr));
    assert!(yaml.contains("# repaired"), "{yaml}");
    assert!(yaml.contains("goal reached") && !yaml.contains("ðŸ"), "{yaml}");
    assert!(yaml.contains("path: docs/GUIDE.md"), "{yaml}");
}

fn keygen(dir: &Path, name: &str) {
    let out = run(dir, &["keygen", "-o", name], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

fn attest(dir: &Path, id: &str, key: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "attest",
        id,
        "--by",
        "Alice",
        "--role",
        "sre",
        "--statement",
        "rota staffed",
        "--key",
        key,
    ];
    args.extend_from_slice(extra);
    run(dir, &args, &[])
}

/// Import → check on a fixture built to make some claims true and some false.
#[test]
fn round_trip_claims_table_says_which_claims_hold() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    copy_tree(&repo_root().join("fixtures/claims/repo"), repo);
    let out = run(repo, &["import", "REPORT.md", "-o", "readiness.yaml"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("13 claims found, 10 automated, 2 manual, 1 not placed"));

    // Sign off the on-call claim with a trusted key.
    keygen(repo, "alice");
    let mut yaml = std::fs::read_to_string(repo.join("readiness.yaml")).unwrap();
    yaml.push_str("trusted_signers:\n  alice: alice.pub\n");
    std::fs::write(repo.join("readiness.yaml"), yaml).unwrap();
    std::fs::write(repo.join("rota.txt"), "week 1: alice\n").unwrap();
    let id = "operations.on-call-rota-notes-pagerduty-done";
    let a = attest(repo, id, "alice.key", &["--expires", "2999-01-01", "--attach", "rota.txt"]);
    assert!(a.status.success(), "{}", text(&a.stderr));

    let run_dir = repo.join("run");
    let out = run(
        repo,
        &["check", ".", "--claims", "REPORT.md", "--out", run_dir.to_str().unwrap()],
        &[("BASE_URL", "http://127.0.0.1:1")],
    );
    let report = std::fs::read_to_string(run_dir.join("report.md")).unwrap();
    let section = report.split("## Claims vs evidence").nth(1).expect("claims section");
    let verdict_of = |needle: &str| -> String {
        let row =
            section.lines().find(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle}"));
        row.split("**").nth(1).unwrap().to_string()
    };
    assert_eq!(verdict_of("docs/API.md"), "confirmed");
    assert_eq!(verdict_of("docs/RUNBOOK.md"), "contradicted");
    assert_eq!(verdict_of("calc.py:18"), "confirmed");
    assert_eq!(verdict_of("calc.py:400"), "contradicted");
    assert_eq!(verdict_of("3/3 tests passing"), "confirmed");
    assert_eq!(verdict_of("test_calc.py::test_add`"), "confirmed");
    assert_eq!(verdict_of("test_calc.py::test_div`"), "contradicted");
    assert_eq!(verdict_of("coverage &gt; 50%"), "confirmed");
    assert_eq!(verdict_of("above 95%"), "contradicted");
    assert_eq!(verdict_of("Load test"), "pending sign-off");
    assert_eq!(verdict_of("On-call rota"), "confirmed");
    assert_eq!(verdict_of("Rollback drill"), "not a claim");
    assert_eq!(verdict_of("Health endpoint"), "contradicted");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "claims in REPORT.md: 6 confirmed, 5 contradicted, 0 unverifiable, 1 pending sign-off, 1 not claims"
        ),
        "{stderr}"
    );
    // Contradicted blocking claims: NOT READY, and the summary says which.
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("claims contradicted by the evidence: REPORT.md:6"));
    // Who, role, when, expiry, and the copied attestation and attachment.
    let signoffs = report.split("## Manual sign-offs").nth(1).expect("sign-offs section");
    assert!(
        signoffs.contains("attested by Alice (sre)") && signoffs.contains("expires 2999-01-01")
    );
    let ev = run_dir.join("evidence").join(id).join("attestation");
    let names: Vec<String> = walkdir::WalkDir::new(&ev)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().any(|n| n.ends_with(".dsse.json")), "{names:?}");
    assert!(names.iter().any(|n| n == "rota.txt"), "{names:?}");
    // The sealed run still verifies with the attestation files inside.
    let v = run(repo, &["verify", run_dir.to_str().unwrap(), "--allow-unsigned"], &[]);
    assert!(v.status.success(), "{}{}", text(&v.stdout), text(&v.stderr));
}

#[test]
fn trusted_signer_with_a_bad_key_path_is_a_located_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("readiness.yaml"),
        "version: 1\ntrusted_signers:\n  bob: keys/bob.pub\nchecks:\n  - id: m\n    manual: { prompt: ok }\n",
    )
    .unwrap();
    let out = run(dir.path(), &["list", "."], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("trusted signer `bob`") && err.contains(":3:"), "{err}");
}
