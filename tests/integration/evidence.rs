//! End-to-end tests of sealed runs: signing, verify (and tampering), proof packs checked with
//! independent tools (sha256sum, openssl, Python securesystemslib), redaction, hostile archives.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use ed25519_dalek::SigningKey;
use readyctl::evidence::{self, Redactions, Redactor, SignatureStatus, keys, verify::VerifyReport};

use crate::support::text;

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

/// A missing external peer: a visible skip locally, a failure in CI.
pub(crate) fn peer_missing(why: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("{why}: required when CI is set");
    }
    eprintln!("SKIP: {why}");
}

pub(crate) fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
        || Command::new(tool).arg("version").output().map(|o| o.status.success()).unwrap_or(false);
    if !ok {
        peer_missing(&format!("`{tool}` is not installed"));
    }
    ok
}

fn python() -> Option<PathBuf> {
    match std::env::var_os("READYCTL_TEST_PYTHON") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            peer_missing(
                "READYCTL_TEST_PYTHON is not set (a python with scripts/requirements-test.txt installed)",
            );
            None
        }
    }
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A run directory like the runner makes: report, evidence of two checks.
fn make_run(root: &Path, name: &str, signer: Option<&SigningKey>) -> PathBuf {
    let run = root.join(name);
    write(&run.join("report.md"), b"# Readiness report\n\nREADY\n");
    write(&run.join("evidence/tests.backend/stdout.log"), b"collected 52 items\n52 passed\n");
    write(&run.join("evidence/tests.backend/junit.xml"), b"<testsuite tests=\"52\"/>\n");
    write(
        &run.join("evidence/coverage.lines/summary.json"),
        format!("{{\"lines\": 81.5, \"run\": \"{name}\"}}\n").as_bytes(),
    );
    // A consistent record: verify recomputes its verdict and checks its evidence digests.
    evidence::seal_with(&run, |files| crate::predicate::passing_record(name, files), signer)
        .unwrap();
    run
}

fn verify(path: &Path, keys: &[&SigningKey], commit: Option<&str>) -> VerifyReport {
    let pubs: Vec<_> = keys.iter().map(|k| k.verifying_key()).collect();
    evidence::verify(path, &pubs, commit).unwrap()
}

fn codes(r: &VerifyReport) -> Vec<(String, String)> {
    r.problems.iter().map(|p| (p.code.to_string(), p.path.clone().unwrap_or_default())).collect()
}

fn has(r: &VerifyReport, code: &str, path: &str) -> bool {
    r.problems.iter().any(|p| p.code == code && p.path.as_deref().unwrap_or("") == path)
}

#[test]
fn signed_run_verifies_and_names_commit_mismatch() {
    let tmp = tempfile::tempdir().unwrap();
    let k = key(1);
    let run = make_run(tmp.path(), "run-a", Some(&k));
    let r = verify(&run, &[&k], Some(&COMMIT[..10]));
    assert!(r.is_valid(), "{r}");
    assert_eq!(
        r.signature,
        SignatureStatus::Valid { keyids: vec![keys::keyid(&k.verifying_key())] }
    );
    assert_eq!(r.files_checked, 4);
    assert_eq!(r.commit.as_deref(), Some(COMMIT));
    let text = r.to_string();
    assert!(text.starts_with("VALID: "), "{text}");

    let wrong = verify(&run, &[&k], Some("fedcba9876543210"));
    assert!(!wrong.is_valid());
    assert_eq!(codes(&wrong), vec![("commit-mismatch".to_string(), String::new())]);
}

#[test]
fn unsigned_run_is_reported_then_sign_makes_it_valid() {
    let tmp = tempfile::tempdir().unwrap();
    let k = key(2);
    let run = make_run(tmp.path(), "run-u", None);
    let r = verify(&run, &[&k], None);
    assert_eq!(r.signature, SignatureStatus::Unsigned);
    assert_eq!(codes(&r), vec![("unsigned".to_string(), "manifest.dsse.json".to_string())]);
    assert!(r.to_string().contains("UNSIGNED"));
    // Integrity alone (no key) passes.
    assert!(verify(&run, &[], None).is_valid());

    let sealed = evidence::sign(&run, &k).unwrap();
    assert_eq!(sealed.signed_by, Some(keys::keyid(&k.verifying_key())));
    let r = verify(&run, &[&k], None);
    assert!(r.is_valid(), "{r}");

    // Signing refuses evidence that no longer matches the manifest.
    std::fs::write(run.join("report.md"), "# forged\n").unwrap();
    let err = evidence::sign(&run, &k).unwrap_err().to_string();
    assert!(err.contains("digest-mismatch") && err.contains("report.md"), "{err}");
}

fn copy_dir(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let dest = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

fn flip_byte(path: &Path) {
    let mut b = std::fs::read(path).unwrap();
    let i = b.len() / 2;
    b[i] ^= 0x01;
    std::fs::write(path, b).unwrap();
}

#[test]
fn every_kind_of_tampering_fails_and_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let k = key(3);
    let other_key = key(4);
    let base = make_run(tmp.path(), "run-t", Some(&k));
    let other_run = make_run(tmp.path(), "run-other", Some(&k));
    assert!(verify(&base, &[&k], None).is_valid());

    let case = |name: &str, tamper: &dyn Fn(&Path), expect: &[(&str, &str)]| {
        let dir = tmp.path().join(format!("case-{name}"));
        copy_dir(&base, &dir);
        tamper(&dir);
        let r = verify(&dir, &[&k], None);
        assert!(!r.is_valid(), "{name}: tampering went unnoticed");
        for (code, path) in expect {
            assert!(has(&r, code, path), "{name}: expected [{code}] {path}, got {:?}", codes(&r));
        }
    };

    // Flip one byte in every file of the run, one at a time.
    let (files, _) = evidence::sums::list_files(&base).unwrap();
    assert_eq!(files.len(), 7);
    for f in &files {
        let expect: Vec<(&str, &str)> = match f.as_str() {
            "manifest.json" => {
                vec![("envelope-mismatch", "manifest.dsse.json"), ("bad-sums", "manifest.json")]
            }
            "manifest.dsse.json" => vec![("bad-sums", "manifest.dsse.json")],
            "SHA256SUMS" => vec![],
            other => vec![("digest-mismatch", other), ("bad-sums", other)],
        };
        case(&format!("flip-{}", f.replace('/', "_")), &|d: &Path| flip_byte(&d.join(f)), &expect);
    }
    case(
        "delete",
        &|d: &Path| std::fs::remove_file(d.join("evidence/tests.backend/junit.xml")).unwrap(),
        &[
            ("missing-file", "evidence/tests.backend/junit.xml"),
            ("bad-sums", "evidence/tests.backend/junit.xml"),
        ],
    );
    case(
        "add",
        &|d: &Path| write(&d.join("evidence/tests.backend/extra.log"), b"planted\n"),
        &[
            ("extra-file", "evidence/tests.backend/extra.log"),
            ("bad-sums", "evidence/tests.backend/extra.log"),
        ],
    );
    case(
        "edit-manifest",
        &|d: &Path| {
            let m = std::fs::read_to_string(d.join("manifest.json")).unwrap();
            std::fs::write(d.join("manifest.json"), m.replace("READY", "NOT READY")).unwrap();
        },
        &[("envelope-mismatch", "manifest.dsse.json")],
    );
    case(
        "resign-other-key",
        &|d: &Path| {
            evidence::sign(d, &other_key).unwrap();
        },
        &[("bad-signature", "manifest.dsse.json")],
    );
    case(
        "envelope-from-other-run",
        &|d: &Path| {
            std::fs::copy(other_run.join("manifest.dsse.json"), d.join("manifest.dsse.json"))
                .unwrap();
        },
        &[("envelope-mismatch", "manifest.dsse.json"), ("bad-sums", "manifest.dsse.json")],
    );
    case(
        "delete-envelope",
        &|d: &Path| std::fs::remove_file(d.join("manifest.dsse.json")).unwrap(),
        &[("unsigned", "manifest.dsse.json"), ("bad-sums", "manifest.dsse.json")],
    );
    // All problems at once, not only the first.
    case(
        "many",
        &|d: &Path| {
            flip_byte(&d.join("report.md"));
            std::fs::remove_file(d.join("evidence/coverage.lines/summary.json")).unwrap();
            write(&d.join("new.txt"), b"x");
        },
        &[
            ("digest-mismatch", "report.md"),
            ("missing-file", "evidence/coverage.lines/summary.json"),
            ("extra-file", "new.txt"),
        ],
    );
}

#[test]
fn seal_is_deterministic_and_pack_is_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let k = key(5);
    let run = make_run(tmp.path(), "run-d", Some(&k));
    let first = std::fs::read(run.join("manifest.json")).unwrap();
    // The same predicate with its keys inserted in reverse order, at every level.
    fn reversed(v: &serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(m) => {
                m.iter().rev().map(|(k, v)| (k.clone(), reversed(v))).collect()
            }
            serde_json::Value::Array(a) => a.iter().map(reversed).collect(),
            v => v.clone(),
        }
    }
    let manifest: serde_json::Value = serde_json::from_slice(&first).unwrap();
    evidence::seal(&run, reversed(&manifest["predicate"]), Some(&k)).unwrap();
    assert_eq!(
        std::fs::read(run.join("manifest.json")).unwrap(),
        first,
        "key order must not change the bytes"
    );

    let a = tmp.path().join("a.tar.gz");
    let b = tmp.path().join("b.tar.gz");
    evidence::pack(&run, &a).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    evidence::pack(&run, &b).unwrap();
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());

    let r = verify(&a, &[&k], Some(COMMIT));
    assert!(r.is_valid(), "{r}");
    assert!(r.notes.iter().any(|n| n.contains("VERIFY.md")));

    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(std::fs::File::open(&a).unwrap()));
    let mut names = Vec::new();
    for e in ar.entries().unwrap() {
        let e = e.unwrap();
        let h = e.header();
        assert_eq!((h.mtime().unwrap(), h.uid().unwrap(), h.gid().unwrap()), (0, 0, 0));
        assert!(h.username().unwrap().unwrap_or("").is_empty());
        let mode = h.mode().unwrap();
        assert!(mode == 0o644 || mode == 0o755, "{mode:o}");
        names.push(e.path().unwrap().to_string_lossy().into_owned());
    }
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert!(names.contains(&"run-d/VERIFY.md".to_string()));

    // A pack is refused when the run does not match its manifest.
    flip_byte(&run.join("report.md"));
    let err = evidence::pack(&run, &tmp.path().join("c.tar.gz")).unwrap_err().to_string();
    assert!(err.contains("report.md"), "{err}");
}

/// The fenced code blocks of VERIFY.md with this info string.
fn blocks(md: &str, lang: &str) -> Vec<String> {
    let fence = format!("```{lang}\n");
    md.split(&fence).skip(1).map(|rest| rest.split("```").next().unwrap().to_string()).collect()
}

/// Runs a VERIFY.md block with `sh` (or `python`) in `dir`, with `PUB` set.
fn run_block(program: &Path, block: &str, dir: &Path, public: &Path) -> std::process::Output {
    let path =
        format!("{}:{}", assert_cmd_dir().display(), std::env::var("PATH").unwrap_or_default());
    let mut cmd = Command::new(program);
    cmd.arg("-c").arg(block).env("PUB", public).env("PATH", path).current_dir(dir);
    cmd.output().unwrap()
}

/// The directory of the readyctl binary under test (so `readyctl` in a block is this build).
fn assert_cmd_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_readyctl")).parent().unwrap().to_path_buf()
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Every method in VERIFY.md, run verbatim: it passes on the honest pack and fails on each
/// forgery a seller or a middleman could try, including the ones `sha256sum -c SHA256SUMS`
/// cannot see (SHA256SUMS is not signed).
#[test]
fn verify_md_methods_bind_every_file_to_the_signed_subjects() {
    let tmp = tempfile::tempdir().unwrap();
    let keyfiles = keys::keygen(&tmp.path().join("seller")).unwrap();
    let k = keys::load_signing_key(&keyfiles.private_key).unwrap();
    let run = make_run(tmp.path(), "run-v", Some(&k));
    let work = tmp.path().join("buyer");
    std::fs::create_dir(&work).unwrap();
    let pack = work.join("proof-pack.tar.gz");
    evidence::pack(&run, &pack).unwrap();
    if !(have("tar") && have("openssl") && have("sha256sum")) {
        return;
    }
    let Some(py) = python() else { return };
    // VERIFY.md as the buyer reads it: from the pack.
    let mut md = String::new();
    let mut archive =
        tar::Archive::new(flate2::read::GzDecoder::new(std::fs::File::open(&pack).unwrap()));
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path().unwrap() == Path::new("run-v/VERIFY.md") {
            e.read_to_string(&mut md).unwrap();
        }
    }
    let sh = blocks(&md, "sh");
    let python_code = blocks(&md, "python");
    assert_eq!((sh.len(), python_code.len()), (3, 1), "{md}");
    assert!(md.contains("OpenSSL 3.0") && md.contains("Python 3.11"), "{md}");
    assert!(md.contains("securesystemslib 1.0"), "{md}");
    assert!(md.contains(&keyfiles.keyid), "VERIFY.md names the signer's key id");
    let (readyctl_block, extract_block, openssl_block) = (&sh[0], &sh[1], &sh[2]);
    let sh_bin = Path::new("sh");

    // Method 1, in the directory holding the pack.
    let o = run_block(sh_bin, readyctl_block, &work, &keyfiles.public_key);
    assert!(o.status.success(), "method 1: {}{}", text(&o.stdout), text(&o.stderr));
    assert!(text(&o.stdout).starts_with("VALID"), "{}", text(&o.stdout));

    // Each case: extract with the documented block (it prints nothing; `pwd` tells where it
    // went), apply the change, run methods 2 and 3.
    let relative_pub = Path::new("seller.pub");
    type Forge = Box<dyn Fn(&Path)>;
    let rewrite_sums_line = |dir: &Path, name: &str| {
        let sum = sha256_hex(&std::fs::read(dir.join(name)).unwrap());
        let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
        let new: String = sums
            .lines()
            .map(|l| {
                if l.ends_with(&format!("  {name}")) {
                    format!("{sum}  {name}\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        assert_ne!(new, sums);
        std::fs::write(dir.join("SHA256SUMS"), new).unwrap();
    };
    let other = key(9);
    let cases: Vec<(&str, Forge)> = vec![
        ("honest", Box::new(|_: &Path| {})),
        (
            "report.md altered, its SHA256SUMS line rewritten",
            Box::new(move |d: &Path| {
                std::fs::write(d.join("report.md"), b"# Readiness report\n\nREADY (forged)\n")
                    .unwrap();
                rewrite_sums_line(d, "report.md");
                // The unsigned list now agrees with the forgery.
                let o = Command::new("sha256sum")
                    .args(["-c", "SHA256SUMS"])
                    .current_dir(d)
                    .output()
                    .unwrap();
                assert!(o.status.success(), "{}", text(&o.stdout));
            }),
        ),
        (
            "extra file",
            Box::new(|d: &Path| write(&d.join("evidence/tests.backend/extra.log"), b"0 failed\n")),
        ),
        (
            "missing file",
            Box::new(|d: &Path| {
                std::fs::remove_file(d.join("evidence/tests.backend/junit.xml")).unwrap()
            }),
        ),
        (
            "manifest altered to match an altered file",
            Box::new(|d: &Path| {
                let old = sha256_hex(&std::fs::read(d.join("report.md")).unwrap());
                std::fs::write(d.join("report.md"), b"forged\n").unwrap();
                let m = std::fs::read_to_string(d.join("manifest.json")).unwrap();
                assert!(m.contains(&old));
                std::fs::write(d.join("manifest.json"), m.replace(&old, &sha256_hex(b"forged\n")))
                    .unwrap();
            }),
        ),
        (
            "signature altered",
            Box::new(|d: &Path| {
                let e = std::fs::read_to_string(d.join("manifest.dsse.json")).unwrap();
                let at = e.find("\"sig\": \"").unwrap() + 8;
                let mut bytes = e.into_bytes();
                bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
                std::fs::write(d.join("manifest.dsse.json"), bytes).unwrap();
            }),
        ),
        (
            "re-signed by another key",
            Box::new(move |d: &Path| {
                evidence::sign(d, &other).unwrap();
            }),
        ),
        (
            "file replaced by a symlink to an identical copy",
            Box::new(|d: &Path| {
                let copy = d.parent().unwrap().join("copy.log");
                std::fs::copy(d.join("evidence/tests.backend/stdout.log"), &copy).unwrap();
                std::fs::remove_file(d.join("evidence/tests.backend/stdout.log")).unwrap();
                std::os::unix::fs::symlink(&copy, d.join("evidence/tests.backend/stdout.log"))
                    .unwrap();
            }),
        ),
    ];
    std::fs::copy(&keyfiles.public_key, work.join("seller.pub")).unwrap();
    for (name, forge) in &cases {
        let o = run_block(sh_bin, &format!("{extract_block}\npwd"), &work, relative_pub);
        assert!(o.status.success(), "{name}: extraction: {}", text(&o.stderr));
        let dir = PathBuf::from(text(&o.stdout).trim());
        assert!(dir.ends_with("run-v") && dir.join("VERIFY.md").is_file(), "{dir:?}");
        forge(&dir);
        let by_sh = run_block(sh_bin, openssl_block, &dir, &keyfiles.public_key);
        let by_py = run_block(&py, &python_code[0], &dir, &keyfiles.public_key);
        let shown = |o: &std::process::Output| format!("{}{}", text(&o.stdout), text(&o.stderr));
        if *name == "honest" {
            assert!(by_sh.status.success(), "method 2 on the honest pack: {}", shown(&by_sh));
            assert!(text(&by_sh.stdout).contains("Signature Verified Successfully"));
            assert!(
                text(&by_sh.stdout).contains("OK: signature verified; 4 files"),
                "{}",
                shown(&by_sh)
            );
            assert!(by_py.status.success(), "method 3 on the honest pack: {}", shown(&by_py));
            // securesystemslib's default key id is the one readyctl signs with.
            assert!(
                text(&by_py.stdout).contains(&format!("OK: signed by {}", keyfiles.keyid)),
                "{}",
                shown(&by_py)
            );
        } else {
            assert!(!by_sh.status.success(), "method 2 accepted: {name}\n{}", shown(&by_sh));
            assert!(!by_py.status.success(), "method 3 accepted: {name}\n{}", shown(&by_py));
        }
        std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
    }
}

fn openssl(args: &[&str], dir: &Path) -> std::process::Output {
    let o = Command::new("openssl").args(args).current_dir(dir).output().unwrap();
    assert!(o.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    o
}

#[test]
fn keys_interoperate_with_openssl() {
    if !have("openssl") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // An openssl key signs runs that verify with openssl's public key.
    openssl(&["genpkey", "-algorithm", "ed25519", "-out", "o.key"], d);
    openssl(&["pkey", "-in", "o.key", "-pubout", "-out", "o.pub"], d);
    let ok = keys::load_signing_key(&d.join("o.key")).unwrap();
    let opub = keys::load_verifying_key(&d.join("o.pub")).unwrap();
    assert_eq!(ok.verifying_key(), opub);
    let run = make_run(d, "run-o", Some(&ok));
    assert!(evidence::verify(&run, &[opub], None).unwrap().is_valid());
    // The env-var form loads the same key.
    let pem = std::fs::read_to_string(d.join("o.key")).unwrap();
    assert_eq!(
        keys::signing_key_from_pem(&pem, keys::SIGNING_KEY_ENV).unwrap().to_bytes(),
        ok.to_bytes()
    );

    // Our key works in openssl: it parses it, derives the same public key, and its signature
    // verifies with our verifier.
    let g = keys::keygen(&d.join("ours")).unwrap();
    let derived = openssl(&["pkey", "-in", "ours.key", "-pubout"], d);
    assert_eq!(
        String::from_utf8(derived.stdout).unwrap(),
        std::fs::read_to_string(&g.public_key).unwrap()
    );
    std::fs::write(d.join("msg.bin"), b"DSSEv1 4 text 5 hello").unwrap();
    openssl(
        &["pkeyutl", "-sign", "-inkey", "ours.key", "-rawin", "-in", "msg.bin", "-out", "sig.bin"],
        d,
    );
    let sig =
        ed25519_dalek::Signature::from_slice(&std::fs::read(d.join("sig.bin")).unwrap()).unwrap();
    let vk = keys::load_verifying_key(&g.public_key).unwrap();
    assert!(vk.verify_strict(b"DSSEv1 4 text 5 hello", &sig).is_ok());
    // The legacy key id (still recognised in old envelopes) is openssl's DER SPKI hash.
    let der = openssl(&["pkey", "-pubin", "-in", "ours.pub", "-outform", "DER"], d).stdout;
    use sha2::Digest;
    let hexed: String = sha2::Sha256::digest(&der).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hexed, keys::legacy_keyid(&vk));
}

/// Twenty kinds of secret, as they show up in env vars and command output.
fn planted() -> Vec<(&'static str, String)> {
    let pem_body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n";
    vec![
        ("env", "Zq8-envvalue-7hT3kP".to_string()),
        ("secrets-list", "listed-secret-Vb71xQ".to_string()),
        ("pem", format!("-----BEGIN PRIVATE KEY-----\n{pem_body}-----END PRIVATE KEY-----")),
        ("pem-json", format!("{{\"type\": \"service_account\", \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n{}\\n-----END PRIVATE KEY-----\\n\"}}", pem_body.replace('\n', "\\n"))),
        ("gcp-key-id", "\"private_key_id\": \"4f1c2b9a7e3d5c6b8a9f0e1d2c3b4a5968778695\"".to_string()),
        ("aws-akid", "AKIAIOSFODNN7EXAMPLQ".to_string()),
        ("aws-secret", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_string()),
        ("gcp-api", "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY".to_string()),
        ("ghp", "ghp_1A2b3C4d5E6f7G8h9I0jK1lM2nO3pQ4rS5tU".to_string()),
        ("gho", "gho_16C7e42F292c6912E7710c838347Ae178B4a".to_string()),
        ("ghs", "ghs_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789".to_string()),
        ("github-pat", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ".to_string()),
        ("gitlab", "glpat-x7Yq2mZ9Lk4Rt8Vw3Nb1".to_string()),
        ("slack", "xoxb-2648562381-2648562381234-Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8".to_string()),
        ("stripe-live", "sk_live_51H8vQ2K9zYxWvUtSrQpOnMl".to_string()),
        ("stripe-restricted", "rk_live_51H8vQ2K9zYxWvUtSrQpOnMl".to_string()),
        ("npm", "npm_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5".to_string()),
        ("pypi", "pypi-AgEIcHlwaS5vcmcCJDk3ZmI5NzA4LTFjNWMtNGU0ZS05ZDg1LWFmYjE2NGJkYmE4NQ".to_string()),
        ("jwt", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c".to_string()),
        ("authorization", "Authorization: Basic dXNlcjpodW50ZXIyLXNlY3JldA==".to_string()),
        ("bearer", "curl -H 'X-Api: Bearer tok_9f8e7d6c5b4a3f2e1d0c'".to_string()),
        ("url-password", "postgres://app:Pg-pass-4411@db.internal:5432/app".to_string()),
    ]
}

/// The secret part of each planted string: what must never appear anywhere.
fn secret_of(kind: &str, planted: &str) -> String {
    match kind {
        "pem" | "pem-json" => {
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj".into()
        }
        "gcp-key-id" => "4f1c2b9a7e3d5c6b8a9f0e1d2c3b4a5968778695".into(),
        "aws-secret" => "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
        "authorization" => "dXNlcjpodW50ZXIyLXNlY3JldA".into(),
        "bearer" => "tok_9f8e7d6c5b4a3f2e1d0c".into(),
        "url-password" => "Pg-pass-4411".into(),
        _ => planted.to_string(),
    }
}

#[test]
fn planted_secrets_never_reach_the_run_or_the_pack() {
    let tmp = tempfile::tempdir().unwrap();
    let tokens = planted();
    assert!(tokens.len() >= 20);
    let redactor = Redactor::builder()
        .env_vars([
            ("DEPLOY_TOKEN".to_string(), tokens[0].1.clone()),
            ("PATH".to_string(), "/usr/bin".to_string()),
        ])
        .secret("STRIPE_KEY", &tokens[1].1)
        .build();
    let run = tmp.path().join("run-s");
    let mut redactions = Redactions::default();
    // "Command output": every token on its own line, then all on one line, written in small
    // pieces so tokens straddle write calls.
    let mut output = String::new();
    for (kind, t) in &tokens {
        output.push_str(&format!("{kind}: {t}\n"));
    }
    let joined: Vec<&str> =
        tokens.iter().filter(|(k, _)| *k != "pem").map(|(_, t)| t.as_str()).collect();
    output.push_str(&joined.join(" | "));
    for (name, chunk) in [("evidence/deploy/stdout.log", 7usize), ("report.md", 4096)] {
        std::fs::create_dir_all(run.join(name).parent().unwrap()).unwrap();
        let mut w = redactor.writer(std::fs::File::create(run.join(name)).unwrap());
        for piece in output.as_bytes().chunks(chunk) {
            w.write_all(piece).unwrap();
        }
        let (_, counts) = w.finish().unwrap();
        redactions.record(name, &counts);
    }
    let k = key(6);
    evidence::seal_with(
        &run,
        |files| {
            let mut predicate = crate::predicate::passing_record("run-s", files);
            predicate["redactions"] = serde_json::to_value(&redactions).unwrap();
            predicate
        },
        Some(&k),
    )
    .unwrap();
    let pack = tmp.path().join("p.tar.gz");
    evidence::pack(&run, &pack).unwrap();

    let mut haystacks: Vec<(String, Vec<u8>)> = Vec::new();
    for e in walkdir::WalkDir::new(&run) {
        let e = e.unwrap();
        if e.file_type().is_file() {
            haystacks.push((e.path().display().to_string(), std::fs::read(e.path()).unwrap()));
        }
    }
    let mut tar_bytes = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&pack).unwrap())
        .read_to_end(&mut tar_bytes)
        .unwrap();
    haystacks.push(("pack".into(), tar_bytes));
    for (kind, t) in &tokens {
        let secret = secret_of(kind, t);
        for (name, hay) in &haystacks {
            assert!(
                !hay.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{kind} secret leaked into {name}"
            );
        }
    }
    // The manifest records where and how many, per rule, never the value.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("manifest.json")).unwrap()).unwrap();
    let rec = &manifest["predicate"]["redactions"]["evidence/deploy/stdout.log"];
    assert_eq!(rec["env:DEPLOY_TOKEN"], 2);
    assert_eq!(rec["secret:STRIPE_KEY"], 2);
    assert_eq!(rec["github-token"], 6);
    assert!(redactions.total() >= 2 * 21, "{redactions:?}");
    let text = std::fs::read_to_string(run.join("evidence/deploy/stdout.log")).unwrap();
    assert!(text.contains("ghp: [REDACTED:github-token]"), "{text}");
    assert!(text.contains("postgres://app:[REDACTED:url-password]@db.internal"), "{text}");
    assert!(evidence::verify(&run, &[k.verifying_key()], None).unwrap().is_valid());
}

/// Appends a raw header (no path sanitising) and `data` to a tar stream.
fn raw_entry(
    out: &mut Vec<u8>,
    name: &[u8],
    kind: tar::EntryType,
    link: &[u8],
    size: u64,
    data: &[u8],
) {
    // A header like pack's (GNU format, mode 0644, ids and time 0) but for the name, type,
    // link and size under test.
    let mut h = tar::Header::new_gnu();
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h.as_old_mut().linkname[..link.len()].copy_from_slice(link);
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_cksum();
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(data);
    let pad = (512 - data.len() % 512) % 512;
    out.extend(std::iter::repeat_n(0u8, pad));
}

fn gz(bytes: &[u8], path: &Path) {
    let mut e = flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::fast(),
    );
    e.write_all(bytes).unwrap();
    e.finish().unwrap();
}

#[test]
fn hostile_archives_are_rejected_without_writing_anything() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    let work = outside.join("work");
    std::fs::create_dir(&work).unwrap();
    let k = key(7);
    let run = make_run(&work, "run-h", Some(&k));
    let good = work.join("good.tar.gz");
    evidence::pack(&run, &good).unwrap();
    let mut good_tar = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&good).unwrap())
        .read_to_end(&mut good_tar)
        .unwrap();
    let body = &good_tar[..good_tar.len() - 1024]; // without the end-of-archive blocks

    let evil = format!("{}/evil-abs", outside.display());
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "traversal",
            {
                let mut t = body.to_vec();
                raw_entry(
                    &mut t,
                    b"run-h/../../evil-traversal",
                    tar::EntryType::Regular,
                    b"",
                    5,
                    b"owned",
                );
                t
            },
            "contains `..`",
        ),
        (
            "absolute",
            {
                let mut t = body.to_vec();
                raw_entry(&mut t, evil.as_bytes(), tar::EntryType::Regular, b"", 5, b"owned");
                t
            },
            "absolute path",
        ),
        (
            "symlink",
            {
                let mut t = body.to_vec();
                raw_entry(
                    &mut t,
                    b"run-h/evidence/link",
                    tar::EntryType::Symlink,
                    b"/etc/passwd",
                    0,
                    b"",
                );
                t
            },
            "is a link",
        ),
        (
            "hardlink",
            {
                let mut t = body.to_vec();
                raw_entry(
                    &mut t,
                    b"run-h/evidence/hard",
                    tar::EntryType::Link,
                    b"/etc/shadow",
                    0,
                    b"",
                );
                t
            },
            "is a link",
        ),
        (
            "device",
            {
                let mut t = body.to_vec();
                raw_entry(&mut t, b"run-h/evidence/dev", tar::EntryType::Char, b"", 0, b"");
                t
            },
            "is a character device",
        ),
        (
            "huge",
            {
                let mut t = body.to_vec();
                raw_entry(
                    &mut t,
                    b"run-h/zz-huge.bin",
                    tar::EntryType::Regular,
                    b"",
                    1 << 40,
                    &[0u8; 1024],
                );
                t
            },
            "above the",
        ),
        (
            "duplicate",
            {
                let mut t = body.to_vec();
                raw_entry(&mut t, b"run-h/report.md", tar::EntryType::Regular, b"", 6, b"forged");
                t
            },
            "appears twice",
        ),
    ];
    for (name, mut tar_bytes, why) in cases {
        tar_bytes.extend_from_slice(&[0u8; 1024]);
        let path = work.join(format!("{name}.tar.gz"));
        gz(&tar_bytes, &path);
        let r = evidence::verify(&path, &[k.verifying_key()], None).unwrap();
        assert!(!r.is_valid(), "{name}: accepted");
        assert!(
            r.problems.iter().any(|p| p.message.contains(why)),
            "{name}: expected `{why}` in {:?}",
            r.problems
        );
    }
    // Nothing was written next to the packs or outside.
    assert!(
        !outside.join("evil-traversal").exists() && !tmp.path().join("evil-traversal").exists()
    );
    assert!(!outside.join("evil-abs").exists());
    let mut names: Vec<String> = std::fs::read_dir(&work)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 9, "{names:?}");

    // Not a gzip at all, and a truncated one.
    std::fs::write(work.join("junk.tar.gz"), b"not a pack").unwrap();
    let r = evidence::verify(&work.join("junk.tar.gz"), &[k.verifying_key()], None).unwrap();
    assert!(r.problems.iter().any(|p| p.code == "bad-archive"), "{r}");
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(work.join("cut.tar.gz"), &bytes[..bytes.len() / 2]).unwrap();
    let r = evidence::verify(&work.join("cut.tar.gz"), &[k.verifying_key()], None).unwrap();
    assert!(!r.is_valid());
}

/// Dir-mode verify reads only what the manifest names, within the size limits: a 200 GB
/// sparse file planted in a run, or put in place of a subject, costs no hashing (issue 14).
#[test]
fn dir_verify_does_not_hash_unlisted_or_oversized_files() {
    let tmp = tempfile::tempdir().unwrap();
    let k = key(11);
    let run = make_run(tmp.path(), "run-s", Some(&k));
    let sparse = |path: &Path| {
        let f = std::fs::File::create(path).unwrap();
        f.set_len(200 << 30).unwrap();
    };
    sparse(&run.join("evidence/tests.backend/core.dump"));
    let started = std::time::Instant::now();
    let r = verify(&run, &[&k], None);
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "{:?}", started.elapsed());
    let planted = "evidence/tests.backend/core.dump".to_string();
    assert_eq!(
        codes(&r),
        [("extra-file".to_string(), planted.clone()), ("bad-sums".to_string(), planted)],
        "{r}"
    );
    assert!(r.problems[0].message.contains("not read"), "{r}");
    assert!(r.bytes_hashed < 1 << 20);

    std::fs::remove_file(run.join("evidence/tests.backend/core.dump")).unwrap();
    assert!(verify(&run, &[&k], None).is_valid());
    sparse(&run.join("evidence/tests.backend/stdout.log"));
    let started = std::time::Instant::now();
    let r = verify(&run, &[&k], None);
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "{:?}", started.elapsed());
    // Named as too large, not as missing or as a SHA256SUMS mismatch.
    assert_eq!(
        codes(&r),
        [("too-large".to_string(), "evidence/tests.backend/stdout.log".to_string())],
        "{r}"
    );
    assert!(r.problems[0].message.contains("214748364800 bytes"), "{r}");

    // Through the CLI too.
    let o = Command::new(env!("CARGO_BIN_EXE_readyctl"))
        .args(["verify", run.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).contains("too-large"), "{}", text(&o.stdout));
}

/// A pack signed before `defined_at` was typed (fixtures/runs/defined-at, made at 134bb3d):
/// it verifies, and every report re-rendered from it is byte-identical to that version's.
#[test]
fn a_run_signed_before_defined_at_was_typed_verifies_and_reports_the_same() {
    let dir = crate::support::repo_root().join("fixtures/runs/defined-at");
    let pack = dir.join("run.tar.gz");
    let public = keys::load_verifying_key(&dir.join("fixture.pub")).unwrap();
    let r = evidence::verify(&pack, &[public], None).unwrap();
    assert!(r.is_valid(), "{r:?}");
    assert!(matches!(r.signature, SignatureStatus::Valid { .. }), "{:?}", r.signature);
    for format in ["json", "sarif", "md", "tap", "junit"] {
        let out = crate::support::readyctl(&dir, &["report", "run.tar.gz", "-f", format]);
        assert!(out.status.success(), "{format}: {}", text(&out.stderr));
        let expected = std::fs::read(dir.join(format!("report.{format}"))).unwrap();
        assert!(out.stdout == expected, "report -f {format} changed:\n{}", text(&out.stdout));
    }
    // The record carries every shape, typed.
    let out = crate::support::readyctl(&dir, &["report", "run.tar.gz", "-f", "json"]);
    let record: readyctl::record::RunRecord = serde_json::from_slice(&out.stdout).unwrap();
    let places: Vec<String> = record.results.iter().map(|r| r.defined_at.to_string()).collect();
    assert_eq!(
        places,
        ["builtin:base:5", "builtin:base:123", "readiness.yaml:6", "readiness.yaml:8"]
    );
    assert_eq!(record.results[0].defined_at.file, "builtin:base");
    assert_eq!(record.results[3].defined_at.line, Some(8));
}

/// A repository that has no commit yet records `"commit": null`; its run claims no commit and
/// verifies (before: "predicate.repository.commit has no gitCommit subject", so `check` wrote
/// a run its own `verify` rejected). A commit claimed without its subject is still rejected.
#[test]
fn a_run_in_a_repository_without_commits_verifies() {
    use crate::support::{git, readyctl, temp_repo};
    let repo = temp_repo(&[(
        "readiness.yaml",
        "version: 1\nchecks:\n  - id: a\n    command: { run: 'true' }\n",
    )]);
    git(repo.path(), &["init", "-q"]);
    let o = readyctl(repo.path(), &["check", "-q", "--out", "run"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let run = repo.path().join("run");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("manifest.json")).unwrap()).unwrap();
    assert!(manifest["predicate"]["repository"]["commit"].is_null(), "{manifest}");
    let v = readyctl(repo.path(), &["verify", "run", "--allow-unsigned"]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v.stdout));
}
