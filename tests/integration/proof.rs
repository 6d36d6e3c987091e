//! The proof flow through the CLI: keygen → check --sign → verify → pack → verify the pack,
//! and the manifest's predicate against its published JSON Schema.

use crate::support::*;

fn demo_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo_root().join("fixtures/demo"), dir.path());
    dir
}

#[test]
fn signed_run_verifies_and_packs() {
    let repo = demo_copy();
    let keys = tempfile::tempdir().unwrap();
    let name = keys.path().join("seller");
    let o = readyctl(repo.path(), &["keygen", "-o", name.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let key = keys.path().join("seller.key");
    let public = keys.path().join("seller.pub");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    // keygen never overwrites.
    assert_eq!(
        readyctl(repo.path(), &["keygen", "-o", name.to_str().unwrap()]).status.code(),
        Some(2)
    );

    let run = repo.path().join("run");
    let o = readyctl(
        repo.path(),
        &["check", "--key", key.to_str().unwrap(), "--out", run.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(run.join("manifest.dsse.json").is_file());
    let report = std::fs::read_to_string(run.join("report.md")).unwrap();
    assert!(report.contains("Ed25519 key"), "{report}");

    let o = readyctl(
        repo.path(),
        &["verify", run.to_str().unwrap(), "--key", public.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert!(text(&o.stdout).starts_with("VALID"));

    // Without a key the signature is not checked, so the run is not accepted as proof.
    let o = readyctl(repo.path(), &["verify", run.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    assert!(text(&o.stdout).contains("pass --key PUB"));

    let pack = keys.path().join("proof.tar.gz");
    let o = readyctl(repo.path(), &["pack", run.to_str().unwrap(), "-o", pack.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = readyctl(
        repo.path(),
        &["verify", pack.to_str().unwrap(), "--key", public.to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["valid"], true);

    // Tampering with evidence after signing is caught and named.
    let log = run.join("evidence/tests.unit/stderr.log");
    let mut bytes = std::fs::read(&log).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&log, bytes).unwrap();
    let o = readyctl(
        repo.path(),
        &["verify", run.to_str().unwrap(), "--key", public.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).contains("evidence/tests.unit/stderr.log"), "{}", text(&o.stdout));
}

#[test]
fn signing_key_from_environment_and_unsigned_is_marked() {
    let repo = demo_copy();
    let keys = tempfile::tempdir().unwrap();
    let name = keys.path().join("ci");
    assert_eq!(
        readyctl(repo.path(), &["keygen", "-o", name.to_str().unwrap()]).status.code(),
        Some(0)
    );
    let pem = std::fs::read_to_string(keys.path().join("ci.key")).unwrap();
    let run = repo.path().join("signed");
    let o = std::process::Command::new(bin())
        .args(["check", "--sign", "--out", run.to_str().unwrap()])
        .current_dir(repo.path())
        .env("READYCTL_SIGNING_KEY", &pem)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    // The private key never lands in the run.
    let body = pem.lines().find(|l| !l.starts_with("-----")).unwrap();
    for e in walkdir::WalkDir::new(&run)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
    {
        assert!(
            !std::fs::read_to_string(e.path()).unwrap_or_default().contains(body),
            "{}",
            e.path().display()
        );
    }
    let o = readyctl(
        repo.path(),
        &["verify", run.to_str().unwrap(), "--key", keys.path().join("ci.pub").to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));

    let unsigned = repo.path().join("unsigned");
    readyctl(repo.path(), &["check", "--out", unsigned.to_str().unwrap()]);
    assert!(std::fs::read_to_string(unsigned.join("report.md")).unwrap().contains("**UNSIGNED**"));
    let o = readyctl(
        repo.path(),
        &[
            "verify",
            unsigned.to_str().unwrap(),
            "--key",
            keys.path().join("ci.pub").to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).contains("UNSIGNED"));
    // --sign without any key is a usage error before anything runs.
    let o = std::process::Command::new(bin())
        .args(["check", "--sign"])
        .current_dir(repo.path())
        .env_remove("READYCTL_SIGNING_KEY")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn predicate_matches_its_published_schema() {
    let repo = demo_copy();
    // A git repository, so the `repository` block is filled in too.
    let git = |args: &[&str]| git(repo.path(), args);
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-qm", "demo"]);
    let run = repo.path().join("run");
    readyctl(repo.path(), &["check", "--out", run.to_str().unwrap()]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("manifest.json")).unwrap()).unwrap();
    let schema: serde_json::Value = serde_json::from_slice(
        &std::fs::read(repo_root().join("schemas/evidence-predicate-v1.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&manifest["predicate"])
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let commit = manifest["predicate"]["repository"]["commit"].as_str().unwrap();
    assert!(
        manifest["subject"].as_array().unwrap().iter().any(|s| s["digest"]["gitCommit"] == commit)
    );
}
