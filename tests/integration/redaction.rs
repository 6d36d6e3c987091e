//! Issue 14, items 4–6: secrets and signing keys must not reach anything readyctl writes or
//! prints. Each test runs the real binary and searches every byte it produced (run directory,
//! report files, stdout, stderr, the GitHub step summary) for the planted values, their lines
//! and their escaped forms.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use ed25519_dalek::SigningKey;
use readyctl::evidence::keys;
use readyctl::report::{github, junit, markdown};

use crate::support::temp_repo;

/// Runs readyctl in `cwd` with exactly the given extra environment (GitHub variables removed
/// unless given).
fn readyctl_env(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(crate::support::bin());
    cmd.args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove(keys::SIGNING_KEY_ENV);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("readyctl runs")
}

/// Every file under `dir` (recursively) as (path, bytes).
fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(dir) {
        let e = e.unwrap();
        if e.file_type().is_file() {
            out.push((e.path().display().to_string(), std::fs::read(e.path()).unwrap()));
        }
    }
    out
}

/// Everything one readyctl invocation produced: the files under `dirs`, stdout and stderr.
fn everything(dirs: &[&Path], output: &Output) -> Vec<(String, Vec<u8>)> {
    let mut hay: Vec<(String, Vec<u8>)> = dirs.iter().flat_map(|d| files_under(d)).collect();
    hay.push(("stdout".into(), output.stdout.clone()));
    hay.push(("stderr".into(), output.stderr.clone()));
    hay
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// The forms a secret can take in readyctl's outputs: raw, JSON string body, Markdown cell,
/// XML text, GitHub workflow-command data and property.
fn escaped_forms(secret: &str) -> Vec<String> {
    let json = serde_json::to_string(secret).unwrap();
    let mut forms = vec![
        secret.to_string(),
        json[1..json.len() - 1].to_string(),
        markdown::cell(secret),
        junit::escape(secret),
        github::escape_data(secret),
        github::escape_property(secret),
    ];
    forms.sort();
    forms.dedup();
    forms
}

/// Asserts that none of `needles` occurs in any haystack; names the first leak found.
fn assert_none_leaks(hay: &[(String, Vec<u8>)], label: &str, needles: &[String]) {
    for n in needles {
        for (name, bytes) in hay {
            assert!(
                !contains(bytes, n.as_bytes()),
                "{label}: {:?} leaked into {name}",
                n.chars().take(80).collect::<String>()
            );
        }
    }
}

/// A YAML single-quoted scalar.
fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The parsed manifest.json of a run directory.
fn manifest_of(run: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(run.join("manifest.json")).expect("manifest.json"))
        .unwrap()
}

fn test_key(seed: u8) -> (SigningKey, String) {
    let key = SigningKey::from_bytes(&[seed; 32]);
    let pem = keys::private_key_pem(&key);
    (key, pem)
}

/// The base64 body of a PKCS#8 PEM: the part that is the key.
fn pem_body_lines(pem: &str) -> Vec<String> {
    pem.lines().filter(|l| !l.starts_with("-----")).map(str::to_string).collect()
}

#[test]
fn signing_key_from_the_environment_reaches_no_child_and_no_output() {
    let (key, pem) = test_key(42);
    let body = pem_body_lines(&pem);
    assert_eq!(body.len(), 1, "{pem}");
    // The attacks: read the variable, read readyctl's own environment block through /proc,
    // and a service printing its environment. `MC4CAQAwBQYDK2VwBCIEI` opens every Ed25519
    // PKCS#8 key, so a grep for it finds the key without the checklist knowing it.
    let yaml = r#"version: 1
name: keys
services:
  leaky:
    run: 'echo "key:$${READYCTL_SIGNING_KEY:-absent}"; printenv READYCTL_SIGNING_KEY; echo ready; sleep 30'
    ready: { log: '^ready$' }
checks:
  - id: printenv
    title: the signing key is not in a check's environment
    area: security
    severity: high
    command:
      run: 'printenv READYCTL_SIGNING_KEY | sed -n 2p; test -z "$READYCTL_SIGNING_KEY"'
  - id: parent-environ
    title: readyctl's environment block does not hold the key
    area: security
    severity: high
    command:
      run: 'tr "\0" "\n" < /proc/$PPID/environ | grep -a -A1 READYCTL_SIGNING_KEY; ! grep -a -q MC4CAQAwBQYDK2VwBCIEI /proc/$PPID/environ'
  - id: uses-service
    title: a service's environment
    area: security
    severity: high
    needs: [leaky]
    command:
      run: 'true'
"#;
    let repo = temp_repo(&[("readiness.yaml", yaml)]);
    let run = repo.path().join("run");
    let out = readyctl_env(
        repo.path(),
        &["check", "--sign", "--out", run.to_str().unwrap(), "--format", "json"],
        &[(keys::SIGNING_KEY_ENV, &pem)],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let m = manifest_of(&run);
    let status = |id: &str| {
        m["predicate"]["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("no result {id}: {stderr}"))["status"]
            .clone()
    };
    assert_eq!(status("printenv"), "pass", "the variable reached a check: {stderr}");
    assert_eq!(status("parent-environ"), "pass", "/proc/$PPID/environ holds the key: {stderr}");
    assert_eq!(status("uses-service"), "pass", "{stderr}");
    let log = std::fs::read_to_string(run.join("evidence/_services/leaky.log"))
        .or_else(|_| {
            // Wherever the service log lives, it is one file named after the service.
            files_under(&run)
                .into_iter()
                .find(|(p, _)| p.contains("leaky"))
                .map(|(_, b)| String::from_utf8(b).unwrap())
                .ok_or(())
        })
        .expect("service log");
    assert!(log.contains("key:absent"), "the service saw the key: {log}");
    // Signing still works with the key read at startup.
    let pubkey = repo.path().join("k.pub");
    std::fs::write(&pubkey, keys::public_key_pem(&key.verifying_key())).unwrap();
    let v = readyctl_env(
        repo.path(),
        &["verify", run.to_str().unwrap(), "--key", pubkey.to_str().unwrap()],
        &[],
    );
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
    assert_none_leaks(&everything(&[&run], &out), "READYCTL_SIGNING_KEY", &body);
}

#[test]
fn key_file_contents_are_redacted_everywhere() {
    let (_key, pem) = test_key(43);
    let body = pem_body_lines(&pem);
    let yaml = r#"version: 1
name: keyfile
checks:
  - id: cat-key
    title: a check that prints the key file
    area: security
    severity: low
    command:
      run: 'sed -n 2p ci.key; cat ci.key; sed -n 2p ci.key >&2'
      stdout: { contains: ["no such line"] }
"#;
    let repo = temp_repo(&[("readiness.yaml", yaml), ("ci.key", &pem)]);
    let run = repo.path().join("run");
    let out = readyctl_env(
        repo.path(),
        &["check", "--key", "ci.key", "--out", run.to_str().unwrap()],
        &[],
    );
    let m = manifest_of(&run);
    assert_eq!(m["predicate"]["results"][0]["status"], "fail");
    let log = std::fs::read_to_string(run.join("evidence/cat-key/stdout.log")).unwrap();
    assert!(log.contains("[REDACTED:"), "{log}");
    assert_none_leaks(&everything(&[&run], &out), "--key file", &body);
}

/// One planted secret: where it comes from and what must never appear.
struct Planted {
    label: &'static str,
    value: String,
    /// Pieces that must not appear either (the tail of an overlapping secret).
    fragments: Vec<String>,
}

#[test]
fn secrets_with_every_special_character_reach_no_byte_readyctl_writes() {
    let pem = "-----BEGIN EC PRIVATE KEY-----\n\
               MHcCAQEEIBe9QhXk3o8Wq2nZr5aYtC1vDgH7fLmN0pQsRuVwXyZaoAoGCCqGSM49\n\
               AwEHoUQDQgAEx8mT2pLq9vN4sR7wYzA1bC3dE5fG7hJ9kL1mN3oP5qR7sT9uV1wX\n\
               3yZ5aB7cD9eF1gH3iJ5kL7mN9oP1qR3sT5uV7w==\n\
               -----END EC PRIVATE KEY-----";
    let credential = "{\n  \"type\": \"service_account\",\n  \"client_email\": \
                      \"ci@proj-7q.iam.gserviceaccount.com\",\n  \"client_secret\": \
                      \"cs-9Wd2-Lk7P-Qz4x\"\n}";
    // Environment variables with sensitive names, each used by its own check.
    let env_secrets: Vec<(&str, Planted)> = vec![
        (
            "RT_MD_TOKEN",
            Planted {
                label: "markdown",
                value: "svc_9f8e*b|c<d>e&f[g]h`i`_j".into(),
                fragments: vec![],
            },
        ),
        (
            "RT_JSON_SECRET",
            Planted { label: "json", value: "js\"on\\pa\tss-77".into(), fragments: vec![] },
        ),
        (
            "RT_XML_PASSWORD",
            Planted { label: "xml", value: "x<m>l&amp;'q\"-55".into(), fragments: vec![] },
        ),
        (
            "RT_UNI_TOKEN",
            Planted {
                label: "unicode", value: "ünï©ødé-sécret-€-8".into(), fragments: vec![]
            },
        ),
        ("RT_PEM_PRIVATE_KEY", Planted { label: "pem", value: pem.into(), fragments: vec![] }),
        (
            "RT_GCP_CREDENTIAL",
            Planted { label: "credential", value: credential.into(), fragments: vec![] },
        ),
        (
            "RT_LONG_TOKEN",
            Planted {
                label: "long",
                value: format!("L0ng-{}-end", "q7Zp".repeat(17_500)),
                fragments: vec![],
            },
        ),
        (
            "RT_STRADDLE_TOKEN",
            Planted {
                label: "straddle",
                value: "straddle-Kx93-Vb27-Qw55-Zr81-Hm46".into(),
                fragments: vec![],
            },
        ),
        (
            "RT_OVA_TOKEN",
            Planted {
                label: "overlap-a",
                value: "ovlp-AAAA-BBBB".into(),
                fragments: vec!["ovlp-AAAA".into()],
            },
        ),
        (
            "RT_OVB_TOKEN",
            Planted {
                label: "overlap-b",
                value: "BBBB-CCCC-tail".into(),
                fragments: vec!["CCCC-tail".into()],
            },
        ),
    ];
    let check_env =
        Planted { label: "check env:", value: "envpw-Zx81-qq-inline".into(), fragments: vec![] };
    let cli_var = Planted { label: "--var", value: "varval-Q9w7-zz-cli".into(), fragments: vec![] };

    let mut yaml = String::from("version: 1\nname: planted\nchecks:\n");
    for (i, (name, p)) in env_secrets.iter().enumerate() {
        let print = match p.label {
            // One line of 7000 copies (no newline): copies straddle every 64 KiB read.
            "straddle" => format!("yes \"${name}\" | head -n 7000 | tr -d '\\n'; echo"),
            // 100 000 bytes, then the 70 KB value, on one line.
            "long" => format!(
                "head -c 100000 /dev/zero | tr '\\0' x; printf 'pre-%s-post\\n' \"${name}\""
            ),
            "overlap-a" | "overlap-b" => "printf 'ovlp-AAAA-BBBB-CCCC-tail\\n'".to_string(),
            _ => format!("printf '%s\\n' \"${name}\"; printf '%s\\n' \"${name}\" >&2"),
        };
        yaml.push_str(&format!(
            "  - id: s{i}\n    title: {}\n    area: security\n    severity: high\n    \
             remediation: {}\n    command:\n      run: {}\n      stdout: {{ contains: [{}] }}\n",
            q(&format!("leak ${{env:{name}}}")),
            q(&format!("rotate ${{env:{name}}} now")),
            q(&print),
            q(&format!("${{env:{name}}}!")),
        ));
    }
    yaml.push_str(&format!(
        "  - id: check-env\n    title: env of a check\n    area: security\n    severity: high\n    \
         command:\n      run: 'printf \"%s\\n\" \"$SVC_PASSWORD\"'\n      env: {{ SVC_PASSWORD: {} }}\n      \
         stdout: {{ contains: [{}] }}\n",
        q(&check_env.value),
        q(&format!("{}-missing", check_env.value)),
    ));
    yaml.push_str(
        "  - id: cli-var\n    title: 'deploys with ${DEPLOY_TOKEN}'\n    area: security\n    \
         severity: high\n    command:\n      run: 'printf \"%s\\n\" \"${DEPLOY_TOKEN}\"'\n      \
         stdout: { contains: ['${DEPLOY_TOKEN}-missing'] }\n",
    );
    let repo = temp_repo(&[("readiness.yaml", &yaml)]);
    let reports = repo.path().join("reports");
    std::fs::create_dir_all(&reports).unwrap();
    let summary = reports.join("step-summary.md");
    let var = format!("DEPLOY_TOKEN={}", cli_var.value);
    let mut planted: Vec<&Planted> = env_secrets.iter().map(|(_, p)| p).collect();
    planted.push(&check_env);
    planted.push(&cli_var);

    // Two runs: every report file plus JSON on stdout, then the terminal table.
    for (n, format) in [(1, "json"), (2, "table")] {
        let run = repo.path().join(format!("run{n}"));
        let r = |ext: &str| reports.join(format!("{n}.{ext}")).display().to_string();
        let report_args: Vec<String> = [
            ("md", "md"),
            ("json", "json"),
            ("junit", "xml"),
            ("sarif", "sarif"),
            ("tap", "tap"),
            ("gitlab", "gitlab.json"),
        ]
        .iter()
        .map(|(f, ext)| format!("{f}={}", r(ext)))
        .collect();
        let mut args: Vec<&str> =
            vec!["check", "--out", run.to_str().unwrap(), "--format", format, "--var", &var];
        for a in &report_args {
            args.extend(["--report", a]);
        }
        let mut env: Vec<(&str, &str)> =
            env_secrets.iter().map(|(k, p)| (*k, p.value.as_str())).collect();
        env.push(("GITHUB_ACTIONS", "true"));
        env.push(("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()));
        let out = readyctl_env(repo.path(), &args, &env);
        let stderr = String::from_utf8_lossy(&out.stderr);

        // The run happened and is whole: a manifest with every result.
        let m = manifest_of(&run);
        let results = m["predicate"]["results"].as_array().unwrap();
        assert_eq!(results.len(), env_secrets.len() + 2, "{stderr}");
        let report = std::fs::read_to_string(run.join("report.md")).unwrap();
        assert!(report.contains("[REDACTED:"), "{report}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("::error"), "no annotations");
        assert!(summary.is_file(), "no step summary");

        let hay = everything(&[&run, &reports], &out);
        for p in &planted {
            let mut needles = escaped_forms(&p.value);
            for line in p.value.lines().map(str::trim).filter(|l| l.len() >= 8) {
                if !line.starts_with("-----") {
                    needles.extend(escaped_forms(line));
                }
            }
            needles.extend(p.fragments.iter().cloned());
            assert_none_leaks(&hay, &format!("run {n} ({format}), {}", p.label), &needles);
        }
    }
}

#[test]
fn a_reason_quoting_a_pem_marker_keeps_the_run_sealed() {
    let yaml = r#"version: 1
name: pem-marker
checks:
  - id: no-keys
    title: no private keys are committed
    area: security
    severity: high
    search: { pattern: "-----BEGIN RSA PRIVATE KEY-----", exclude: [readiness.yaml] }
  - id: after
    title: a check after it
    area: security
    severity: low
    command: { run: 'true' }
"#;
    let repo = temp_repo(&[("readiness.yaml", yaml), ("src/main.py", "print('hi')\n")]);
    let run = repo.path().join("run");
    let out = readyctl_env(repo.path(), &["check", "--out", run.to_str().unwrap()], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("EOF while parsing"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let m = manifest_of(&run);
    let results = m["predicate"]["results"].as_array().unwrap();
    let ids: Vec<&str> = results.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    for r in results {
        assert_eq!(r["status"], "pass", "{r}");
    }
}

#[test]
fn url_looking_text_cannot_swallow_a_neighbouring_result() {
    // Before: the serialized record was redacted as text, and `https://wiki:` … `@` across two
    // results matched the url-password rule, folding check `b` into check `a`'s `docs`.
    let yaml = r#"version: 1
name: url
checks:
  - id: a
    title: first
    area: x
    severity: low
    search: { pattern: "nothing-here-zz", exclude: [readiness.yaml] }
    docs: "https://wiki:x"
  - id: b
    title: me@example.org
    area: x
    severity: low
    search: { pattern: "nothing-here-yy", exclude: [readiness.yaml] }
"#;
    let repo = temp_repo(&[("readiness.yaml", yaml)]);
    let run = repo.path().join("run");
    let out = readyctl_env(
        repo.path(),
        &["check", "--out", run.to_str().unwrap(), "--format", "json"],
        &[],
    );
    let stdout: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let m = manifest_of(&run);
    for (what, record) in [("manifest", &m["predicate"]), ("--format json", &stdout)] {
        let by_id: BTreeMap<&str, &serde_json::Value> = record["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["id"].as_str().unwrap(), r))
            .collect();
        assert_eq!(by_id.len(), 2, "{what}: {record}");
        assert_eq!(by_id["a"]["docs"], "https://wiki:x", "{what}");
        assert_eq!(by_id["b"]["title"], "me@example.org", "{what}");
    }
}

#[test]
fn a_diagnostic_quoting_an_included_file_is_redacted() {
    let yaml = "version: 1\nname: diag\ninclude: [/proc/self/environ]\nchecks: []\n";
    let repo = temp_repo(&[("readiness.yaml", yaml)]);
    let secret = "diag-secret-Zq81-Pw33";
    // A clean environment, the secret first: the diagnostic quotes the start of the block.
    let out = Command::new(crate::support::bin())
        .arg("check")
        .current_dir(repo.path())
        .env_clear()
        .env("A_DIAG_TOKEN", secret)
        .env("PATH", std::env::var_os("PATH").unwrap())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("/proc/self/environ:1"), "{stderr}");
    assert!(stderr.contains("[REDACTED:env:A_DIAG_TOKEN]"), "{stderr}");
    assert_none_leaks(&everything(&[] as &[&Path], &out), "diagnostic", &[secret.to_string()]);
}
