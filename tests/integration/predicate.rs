//! Issue 14 item 9: a signed predicate that disagrees with itself. Each run here is made
//! consistent, then edited — a READY verdict over a failing blocking check, a raised score or
//! level, zeroed or missing evidence digests, a waiver that was never applied — and either
//! signed by hand (a correct DSSE signature over the edited statement, as a key holder or a
//! signer that does not check would produce) for `verify`, or left unsigned for `sign`.

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use readyctl::checklist::{Policy, Severity};
use readyctl::evidence::{self, FileDigest, dsse, statement, sums, verify::VerifyReport};
use readyctl::outcome::CheckResult;
use readyctl::record::{ChecklistInfo, RunInfo, RunRecord, Tool};
use readyctl::waiver::{Waiver, WaiverSpec};
use serde_json::{Value, json};

use crate::support::*;

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
const STARTED: &str = "2026-11-29T12:00:00.000Z";

/// One check of a made-up run: id, severity, level, status.
type Spec<'a> = (&'a str, &'a str, Option<&'a str>, &'a str);

/// A run record as `check` writes it: one result per spec (the files under `evidence/<id>/`
/// as its evidence), `waivers` applied with the run-time function, the summary computed by
/// `verdict::summarize`.
pub fn record_predicate(
    name: &str,
    files: &[FileDigest],
    checks: &[Spec],
    waivers: &[WaiverSpec],
) -> Value {
    let mut results: Vec<CheckResult> = checks
        .iter()
        .map(|(id, severity, level, status)| {
            let evidence: Vec<Value> = files
                .iter()
                .filter(|f| f.path.starts_with(&format!("evidence/{id}/")))
                .map(|f| json!({"path": f.path, "sha256": f.sha256, "size": f.size}))
                .collect();
            serde_json::from_value(json!({
                "id": id, "title": id, "area": "testing", "severity": severity, "level": level,
                "probe": "command", "status": status, "reason": format!("{id} is {status}"),
                "evidence": evidence, "duration_ms": 1, "attempts": 1,
                "defined_at": "readiness.yaml:1"
            }))
            .unwrap()
        })
        .collect();
    let policy = Policy {
        fail_on: Severity::High,
        verdict_rule: readyctl::verdict::RULE,
        min_score: None,
        required_level: None,
        waivers: None,
    };
    let waivers: Vec<Waiver> = waivers
        .iter()
        .map(|w| Waiver { spec: w.clone(), source: "readiness.yaml:40".into() })
        .collect();
    let today = chrono::DateTime::parse_from_rfc3339(STARTED).unwrap().date_naive();
    let waiver_records =
        readyctl::waiver::apply(&mut results, &waivers, &Default::default(), today);
    let summary = readyctl::verdict::summarize(&results, &policy, false);
    let record = RunRecord {
        tool: Tool::current(),
        run: RunInfo {
            id: name.into(),
            started: STARTED.into(),
            finished: "2026-11-29T12:00:05.000Z".into(),
            invocation: vec!["readyctl".into(), "check".into()],
            interrupted: false,
            signer_keyid: None,
        },
        repository: Some(json!({
            "commit": COMMIT, "branch": "main", "remote": "https://example.com/o/r.git",
            "dirty": false
        })),
        checklist: ChecklistInfo {
            name: "payments".into(),
            source: "readiness.yaml".into(),
            sha256: "ab".repeat(32),
            sources: vec![],
        },
        policy,
        results,
        summary,
        redactions: Default::default(),
        waivers: waiver_records,
        services: vec![],
        paths: None,
        claims: None,
    };
    serde_json::to_value(record).unwrap()
}

/// A passing result for every `evidence/<id>/` directory among `files`.
pub fn passing_record(name: &str, files: &[FileDigest]) -> Value {
    let mut ids: Vec<&str> =
        files.iter().filter_map(|f| f.path.strip_prefix("evidence/")?.split('/').next()).collect();
    ids.dedup();
    let checks: Vec<Spec> = ids.iter().map(|id| (*id, "high", Some("bronze"), "pass")).collect();
    record_predicate(name, files, &checks, &[])
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

/// Writes `evidence/<id>/stdout.log` for every check and seals the run unsigned.
fn sealed_run(root: &Path, checks: &[Spec], waivers: &[WaiverSpec]) -> PathBuf {
    let run = root.join("run");
    for (id, ..) in checks {
        let p = run.join(format!("evidence/{id}/stdout.log"));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, format!("output of {id}\n")).unwrap();
    }
    std::fs::write(run.join("report.md"), "# report\n").unwrap();
    evidence::seal_with(&run, |files| record_predicate("run", files, checks, waivers), None)
        .unwrap();
    run
}

/// Rewrites SHA256SUMS for the files now in the run (what `sha256sum` would write).
fn rewrite_sums(run: &Path) {
    let (names, _) = sums::list_files(run).unwrap();
    let digests: Vec<FileDigest> = names
        .into_iter()
        .filter(|n| n != "SHA256SUMS")
        .map(|n| {
            let (sha256, size) = sums::hash_file(&run.join(&n)).unwrap();
            FileDigest { path: n, sha256, size }
        })
        .collect();
    std::fs::write(run.join("SHA256SUMS"), sums::format_sums(&digests)).unwrap();
}

/// Edits the statement; signs the edited bytes with `key` by hand (DSSE over the exact
/// payload), or leaves the run unsigned when `key` is `None`. SHA256SUMS is made to agree,
/// so only the predicate's own consistency is left to catch the edit.
fn forge(run: &Path, key: Option<&SigningKey>, edit: impl FnOnce(&mut Value)) {
    let mut st: Value =
        serde_json::from_slice(&std::fs::read(run.join("manifest.json")).unwrap()).unwrap();
    edit(&mut st);
    let bytes = statement::to_canonical_bytes(&st);
    std::fs::write(run.join("manifest.json"), &bytes).unwrap();
    let envelope = run.join("manifest.dsse.json");
    match key {
        Some(k) => {
            let env = dsse::sign(dsse::IN_TOTO_PAYLOAD_TYPE, &bytes, k).to_json_bytes();
            std::fs::write(envelope, env).unwrap();
        }
        None => {
            let _ = std::fs::remove_file(envelope);
        }
    }
    rewrite_sums(run);
}

fn verify(run: &Path, k: &SigningKey, commit: Option<&str>) -> VerifyReport {
    evidence::verify(run, &[k.verifying_key()], commit).unwrap()
}

/// The report is invalid only through `code`, though the signature is good.
fn rejected_with(r: &VerifyReport, code: &str, needle: &str) {
    assert!(
        matches!(r.signature, evidence::SignatureStatus::Valid { .. }),
        "the forgery is correctly signed: {r}"
    );
    assert!(!r.is_valid(), "an inconsistent predicate must not verify:\n{r}");
    assert!(
        r.problems.iter().any(|p| p.code == code && p.to_string().contains(needle)),
        "expected [{code}] mentioning `{needle}`:\n{r}"
    );
}

const FAILING: &[Spec] = &[
    ("tests.unit", "critical", Some("bronze"), "fail"),
    ("docs.readme", "medium", Some("bronze"), "pass"),
];

const PASSING: &[Spec] = &[
    ("tests.unit", "critical", Some("bronze"), "pass"),
    ("config.port", "high", Some("silver"), "pass"),
    ("perf.load", "medium", Some("gold"), "fail"),
];

#[test]
fn the_consistent_runs_verify_and_sign() {
    let tmp = tempfile::tempdir().unwrap();
    let k = key(1);
    for (i, checks) in [FAILING, PASSING].into_iter().enumerate() {
        let root = tmp.path().join(i.to_string());
        let run = sealed_run(&root, checks, &[]);
        evidence::sign(&run, &k).unwrap();
        let r = verify(&run, &k, Some(COMMIT));
        assert!(r.is_valid(), "{r}");
    }
}

#[test]
fn verify_rejects_ready_over_a_failing_blocking_result() {
    let tmp = tempfile::tempdir().unwrap();
    let k = key(2);
    let run = sealed_run(tmp.path(), FAILING, &[]);
    forge(&run, Some(&k), |st| {
        st["predicate"]["summary"]["verdict"] = json!("READY");
        st["predicate"]["summary"]["because"] = json!([]);
    });
    rejected_with(&verify(&run, &k, None), "verdict-mismatch", "blocking check failed: tests.unit");

    // Or the failing result itself rewritten as a pass, counts left as they were.
    let run2 = sealed_run(&tmp.path().join("2"), FAILING, &[]);
    forge(&run2, Some(&k), |st| {
        st["predicate"]["summary"]["verdict"] = json!("READY");
        st["predicate"]["results"][0]["status"] = json!("pass");
    });
    rejected_with(&verify(&run2, &k, None), "summary-mismatch", "1 fail");
}

#[test]
fn verify_rejects_a_wrong_score() {
    let tmp = tempfile::tempdir().unwrap();
    let k = key(3);
    let run = sealed_run(tmp.path(), PASSING, &[]);
    forge(&run, Some(&k), |st| st["predicate"]["summary"]["score"] = json!(100.0));
    rejected_with(&verify(&run, &k, None), "score-mismatch", "the results give 83.3");
}

#[test]
fn verify_rejects_a_wrong_level() {
    let tmp = tempfile::tempdir().unwrap();
    let k = key(4);
    let run = sealed_run(tmp.path(), PASSING, &[]);
    forge(&run, Some(&k), |st| {
        st["predicate"]["summary"]["level"] = json!("gold");
        st["predicate"]["summary"].as_object_mut().unwrap().remove("next_level");
    });
    rejected_with(&verify(&run, &k, None), "level-mismatch", "level gold, the results give silver");
}

#[test]
fn verify_rejects_zeroed_digests() {
    let tmp = tempfile::tempdir().unwrap();
    let k = key(5);
    // The digest a result records for its evidence, zeroed.
    let run = sealed_run(tmp.path(), PASSING, &[]);
    forge(&run, Some(&k), |st| {
        st["predicate"]["results"][0]["evidence"][0]["sha256"] = json!("0".repeat(64));
    });
    rejected_with(
        &verify(&run, &k, None),
        "evidence-mismatch",
        &format!("records sha256 {}", "0".repeat(64)),
    );
    // A subject's digest, zeroed.
    let run2 = sealed_run(&tmp.path().join("2"), PASSING, &[]);
    forge(&run2, Some(&k), |st| st["subject"][0]["digest"]["sha256"] = json!("0".repeat(64)));
    rejected_with(&verify(&run2, &k, None), "bad-digest", "all zeros");
    // The commit subject, zeroed.
    let run3 = sealed_run(&tmp.path().join("3"), PASSING, &[]);
    forge(&run3, Some(&k), |st| {
        let zero = json!("0".repeat(40));
        let last = st["subject"].as_array().unwrap().len() - 1;
        st["subject"][last]["digest"]["gitCommit"] = zero.clone();
        st["predicate"]["repository"]["commit"] = zero;
    });
    rejected_with(&verify(&run3, &k, None), "bad-digest", "gitCommit");
}

#[test]
fn verify_rejects_evidence_that_is_not_a_subject() {
    let tmp = tempfile::tempdir().unwrap();
    let k = key(6);
    let run = sealed_run(tmp.path(), PASSING, &[]);
    forge(&run, Some(&k), |st| {
        let ev = &mut st["predicate"]["results"][1]["evidence"];
        ev.as_array_mut().unwrap().push(json!({
            "path": "evidence/config.port/ghost.log", "sha256": "ab".repeat(32), "size": 3
        }));
    });
    rejected_with(&verify(&run, &k, None), "evidence-mismatch", "not a subject");
    let r = verify(&run, &k, None);
    assert!(
        r.problems.iter().any(|p| p.path.as_deref() == Some("evidence/config.port/ghost.log")),
        "{r}"
    );
}

#[test]
fn verify_rejects_waivers_that_were_not_applied() {
    let tmp = tempfile::tempdir().unwrap();
    let k = key(7);
    let waiver = WaiverSpec {
        check: "tests.unit".into(),
        reason: "flaky on CI".into(),
        approved_by: Some("alice".into()),
        ticket: None,
        expires: Some("2026-12-31".into()),
    };
    // Honestly waived: verifies.
    let run = sealed_run(tmp.path(), FAILING, std::slice::from_ref(&waiver));
    let st: Value =
        serde_json::from_slice(&std::fs::read(run.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(st["predicate"]["results"][0]["status"], "waived");
    // The only blocking check is waived: nothing blocking was verified (verdict rule 2).
    assert_eq!(st["predicate"]["summary"]["verdict"], "INCOMPLETE");
    evidence::sign(&run, &k).unwrap();
    assert!(verify(&run, &k, None).is_valid());
    // The waiver's expiry moved before the run: it cannot have applied.
    forge(&run, Some(&k), |st| st["predicate"]["waivers"][0]["expires"] = json!("2026-01-31"));
    rejected_with(&verify(&run, &k, None), "waiver-mismatch", "make it fail");
    // A failure turned into `waived` with no waiver recorded at all.
    let run2 = sealed_run(&tmp.path().join("2"), FAILING, std::slice::from_ref(&waiver));
    forge(&run2, Some(&k), |st| {
        st["predicate"].as_object_mut().unwrap().remove("waivers");
    });
    rejected_with(&verify(&run2, &k, None), "waiver-mismatch", "tests.unit");
}

/// Runs signed before verdict rule 2 recorded no `verdict_rule` and could be READY with no
/// blocking pass; they still verify, by the rule they were computed with. The same summary
/// under rule 2 is a mismatch, and a rule this build does not know is refused.
#[test]
fn verify_recomputes_by_the_recorded_verdict_rule() {
    let tmp = tempfile::tempdir().unwrap();
    let k = key(9);
    let waiver = WaiverSpec {
        check: "tests.unit".into(),
        reason: "flaky on CI".into(),
        approved_by: Some("alice".into()),
        ticket: None,
        expires: Some("2026-12-31".into()),
    };
    let old = |st: &mut Value| {
        st["predicate"]["summary"]["verdict"] = json!("READY");
        st["predicate"]["summary"].as_object_mut().unwrap().remove("because");
    };
    let run = sealed_run(tmp.path(), FAILING, std::slice::from_ref(&waiver));
    forge(&run, Some(&k), |st| {
        old(st);
        st["predicate"]["policy"].as_object_mut().unwrap().remove("verdict_rule");
    });
    let r = verify(&run, &k, None);
    assert!(r.is_valid(), "a rule-1 record verifies by rule 1:\n{r}");
    let run2 = sealed_run(&tmp.path().join("2"), FAILING, std::slice::from_ref(&waiver));
    forge(&run2, Some(&k), old);
    rejected_with(&verify(&run2, &k, None), "verdict-mismatch", "nothing blocking was verified");
    let run3 = sealed_run(&tmp.path().join("3"), FAILING, std::slice::from_ref(&waiver));
    forge(&run3, Some(&k), |st| st["predicate"]["policy"]["verdict_rule"] = json!(99));
    rejected_with(&verify(&run3, &k, None), "verdict-rule-unknown", "rule 99");
}

#[test]
fn verify_rejects_a_predicate_that_is_not_a_run_record() {
    let tmp = tempfile::tempdir().unwrap();
    let k = key(8);
    let run = sealed_run(tmp.path(), PASSING, &[]);
    // No results to recompute from: a bare "READY" must not pass.
    forge(&run, Some(&k), |st| {
        st["predicate"] =
            json!({"summary": {"verdict": "READY"}, "repository": {"commit": COMMIT}});
    });
    rejected_with(&verify(&run, &k, None), "bad-predicate", "not a readyctl run record");
}

/// Every forged variant, unsigned, is refused by `sign` (library and CLI) with the problem
/// named, and nothing is signed.
#[test]
fn sign_refuses_inconsistent_predicates() {
    type Edit = fn(&mut Value);
    let variants: &[(&str, &[Spec], Edit)] = &[
        ("verdict-mismatch", FAILING, |st| st["predicate"]["summary"]["verdict"] = json!("READY")),
        ("score-mismatch", PASSING, |st| st["predicate"]["summary"]["score"] = json!(100.0)),
        ("level-mismatch", PASSING, |st| st["predicate"]["summary"]["level"] = json!("gold")),
        ("evidence-mismatch", PASSING, |st| {
            st["predicate"]["results"][0]["evidence"][0]["sha256"] = json!("0".repeat(64))
        }),
        ("bad-digest", PASSING, |st| st["subject"][0]["digest"]["sha256"] = json!("0".repeat(64))),
        ("evidence-mismatch", PASSING, |st| {
            st["predicate"]["results"][0]["evidence"][0]["path"] = json!("evidence/x/ghost.log")
        }),
    ];
    let tmp = tempfile::tempdir().unwrap();
    let k = key(9);
    for (i, (code, checks, edit)) in variants.iter().enumerate() {
        let run = sealed_run(&tmp.path().join(i.to_string()), checks, &[]);
        forge(&run, None, edit);
        let err = format!("{:#}", evidence::sign(&run, &k).unwrap_err());
        assert!(err.contains("refusing to sign") && err.contains(code), "variant {i}: {err}");
        assert!(!run.join("manifest.dsse.json").exists(), "variant {i}: nothing is signed");
    }

    // Through the CLI, as a CI job would: exit 1, the problem named, no envelope.
    let run = sealed_run(&tmp.path().join("cli"), FAILING, &[]);
    forge(&run, None, |st| st["predicate"]["summary"]["verdict"] = json!("READY"));
    let keys = tempfile::tempdir().unwrap();
    let name = keys.path().join("ci");
    assert!(readyctl(tmp.path(), &["keygen", "-o", name.to_str().unwrap()]).status.success());
    let o = readyctl(
        tmp.path(),
        &["sign", run.to_str().unwrap(), "--key", keys.path().join("ci.key").to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("verdict-mismatch"), "{}", text(&o.stderr));
    assert!(!run.join("manifest.dsse.json").exists());
}

/// `verify --commit` on a run recorded with uncommitted changes fails and says so, unless
/// `--allow-dirty`; a clean run at that commit passes. Real `check` runs in a real repository.
#[test]
fn verify_commit_rejects_a_dirty_run_unless_allowed() {
    let repo = temp_repo(&[
        (
            "readiness.yaml",
            "version: 1\nname: tiny\nchecks:\n  - id: ok\n    command: { run: \"true\" }\n",
        ),
        ("README.md", "tiny\n"),
    ]);
    let d = repo.path();
    for args in [&["init", "-q"][..], &["add", "."], &["commit", "-q", "-m", "init"]] {
        let o = git(d, args);
        assert!(o.status.success(), "git {args:?}: {}", text(&o.stderr));
    }
    let head = text(&git(d, &["rev-parse", "HEAD"]).stdout).trim().to_string();
    let keys = tempfile::tempdir().unwrap();
    let name = keys.path().join("ci");
    assert!(readyctl(d, &["keygen", "-o", name.to_str().unwrap()]).status.success());
    let (key, public) = (keys.path().join("ci.key"), keys.path().join("ci.pub"));
    let (key, public) = (key.to_str().unwrap(), public.to_str().unwrap());

    // Clean: the run directory inside the work tree does not make it dirty.
    let clean = d.join("clean-run");
    let o = readyctl(d, &["check", "--key", key, "--out", clean.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = readyctl(d, &["verify", clean.to_str().unwrap(), "--key", public, "--commit", &head]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));

    // Uncommitted change: recorded as dirty; --commit fails, naming it.
    std::fs::write(d.join("README.md"), "tiny, edited\n").unwrap();
    let dirty = keys.path().join("dirty-run");
    let o = readyctl(d, &["check", "--key", key, "--out", dirty.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dirty.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["predicate"]["repository"]["dirty"], true);
    let o = readyctl(d, &["verify", dirty.to_str().unwrap(), "--key", public, "--commit", &head]);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("[dirty-worktree]") && out.contains("uncommitted changes"), "{out}");
    // Explicitly allowed: valid, and the note still says so.
    let o = readyctl(
        d,
        &["verify", dirty.to_str().unwrap(), "--key", public, "--commit", &head, "--allow-dirty"],
    );
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("note: the run was recorded with uncommitted changes"), "{out}");
    // Without --commit the run is valid evidence about a work tree, and says so.
    let o = readyctl(d, &["verify", dirty.to_str().unwrap(), "--key", public]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert!(text(&o.stdout).contains("uncommitted changes"));
}
