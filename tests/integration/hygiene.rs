//! Repository hygiene probes end to end: `secrets` (never stores a secret value, baseline),
//! `git`, `ci`, `dockerfile`, `k8s`, `env`, `audit`, and `init` on temp repositories.

use std::path::Path;

use crate::support::{git, readyctl, temp_repo, text};

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

/// `readyctl init` then `readyctl list --format json`-free: the list output names the checks.
fn init_and_list(repo: &Path) -> (String, String) {
    let o = readyctl(repo, &["init"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let yaml = std::fs::read_to_string(repo.join("readiness.yaml")).unwrap();
    let l = readyctl(repo, &["list"]);
    assert_eq!(l.status.code(), Some(0), "list failed:\n{}\n{yaml}", text(&l.stderr));
    (yaml, text(&l.stdout))
}

#[test]
fn init_python_fastapi_alembic_pytest_cov() {
    let repo = temp_repo(&[
        (
            "pyproject.toml",
            "[project]\nname='x'\ndependencies=['fastapi']\n[project.optional-dependencies]\ndev=['pytest', 'pytest-cov']\n",
        ),
        ("uv.lock", ""),
        ("app/main.py", "from fastapi import FastAPI\napp = FastAPI()\n"),
        ("alembic.ini", "[alembic]\nscript_location = %(here)s/app/alembic\n"),
        ("app/alembic/env.py", ""),
        ("app/alembic/versions/001_init.py", "revision = 'a1'\ndown_revision = None\n"),
        (".github/workflows/ci.yml", "jobs:\n  t:\n    steps:\n      - run: uv run pytest\n"),
        ("Dockerfile", "FROM python:3.12-slim\n"),
    ]);
    let (yaml, list) = init_and_list(repo.path());
    assert!(yaml.contains("extends: [\"builtin:python-service\"]"), "{yaml}");
    assert!(yaml.contains("# detected: pytest"), "{yaml}");
    assert!(
        yaml.contains(
            r#"uv run python -m pytest -q --junitxml=\"$READYCTL_SCRATCH/junit.xml\" --cov"#
        ),
        "{yaml}"
    );
    assert!(yaml.contains("# detected: alembic migrations in app/alembic/"), "{yaml}");
    assert!(yaml.contains("# detected: FastAPI app in app/main.py"), "{yaml}");
    assert!(yaml.contains("uv run uvicorn app.main:app"), "{yaml}");
    assert!(yaml.contains("# detected: CI: GitHub Actions"), "{yaml}");
    assert!(yaml.contains("# detected: Dockerfile"), "{yaml}");
    for id in [
        "tests.pytest",
        "coverage.lines",
        "data.migrations",
        "delivery.ci-runs-tests",
        "operability.dockerfile",
    ] {
        assert!(list.contains(id), "{id} missing from list:\n{list}");
    }
    // Never overwrites without --force.
    let again = readyctl(repo.path(), &["init"]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again.stderr));
    assert!(readyctl(repo.path(), &["init", "--force"]).status.success());
}

#[test]
fn init_node_jest_go_rust_stacks() {
    let node = temp_repo(&[(
        "package.json",
        r#"{"name":"x","main":"server.js","scripts":{"test":"jest","start":"node server.js"},"devDependencies":{"jest":"^29"}}"#,
    )]);
    let (yaml, list) = init_and_list(node.path());
    assert!(
        yaml.contains("builtin:node-service") && yaml.contains("npx --no-install jest --ci --json"),
        "{yaml}"
    );
    assert!(yaml.contains("# detected: package.json scripts.start"), "{yaml}");
    assert!(list.contains("coverage.lines"), "{list}");

    let go = temp_repo(&[("go.mod", "module x\n"), ("cmd/api/main.go", "package main\n")]);
    let (yaml, _) = init_and_list(go.path());
    assert!(yaml.contains("builtin:go-service") && yaml.contains("go test -json"), "{yaml}");
    assert!(yaml.contains("go run ./cmd/api"), "{yaml}");
    assert!(yaml.contains("# not found: CI configuration"), "{yaml}");
    // The report goes to the run's scratch directory, never into a `.readyctl/` that may
    // not exist (D16).
    assert!(!yaml.contains("> .readyctl/"), "{yaml}");
    assert!(yaml.contains(r#"> \"$READYCTL_SCRATCH/go-test.json.part\""#), "{yaml}");

    let rust = temp_repo(&[
        ("Cargo.toml", "[package]\nname = \"x\"\n[dependencies]\naxum = \"0.7\"\n"),
        ("src/main.rs", "fn main() {}\n"),
        ("migrations/20240101000000_init.sql", "create table t (id int);\n"),
    ]);
    let (yaml, list) = init_and_list(rust.path());
    assert!(yaml.contains("# detected: axum in Cargo.toml"), "{yaml}");
    assert!(yaml.contains("migrations in migrations/"), "{yaml}");
    assert!(list.contains("data.migrations"), "{list}");
}

/// A finding's place: `(path, line, rule)`.
type Place = (String, Option<u64>, String);

/// The id, status, reason and places of each check in a `--format json` run.
fn results(stdout: &str) -> Vec<(String, String, String, Vec<Place>)> {
    let v: serde_json::Value =
        serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let locs = r["locations"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|l| {
                            (
                                l["path"].as_str().unwrap_or("").to_string(),
                                l["line"].as_u64(),
                                l["rule"].as_str().unwrap_or("").to_string(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            (
                r["id"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
                r["reason"].as_str().unwrap().to_string(),
                locs,
            )
        })
        .collect()
}

#[test]
fn ci_dockerfile_k8s_env_probes_end_to_end() {
    let repo = temp_repo(&[
        ("go.mod", "module x\n"),
        (
            "main.go",
            "package main\nimport \"os\"\nfunc main() { _ = os.Getenv(\"LISTEN_ADDR\"); _ = os.Getenv(\"DB_DSN\") }\n",
        ),
        (".env.example", "LISTEN_ADDR=:8080\n"),
        (
            ".github/workflows/ci.yml",
            "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: go vet ./...\n      - run: go test -race ./...\n",
        ),
        (
            "Dockerfile",
            "FROM golang:1.22 AS build\nRUN go build -o /app .\nFROM gcr.io/distroless/static:nonroot\nCOPY --from=build /app /app\nENV API_TOKEN=x\n",
        ),
        (
            "deploy/app.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: app }\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n        - name: app\n          image: ghcr.io/x/app:latest\n",
        ),
        (
            "readiness.yaml",
            "version: 1\nname: t\nchecks:\n  - id: ci\n    ci: { readyctl: false }\n  - id: docker\n    dockerfile: {}\n  - id: kube\n    k8s: { rules: [image-tag, replicas] }\n  - id: env\n    env: {}\n",
        ),
    ]);
    let out = readyctl(repo.path(), &["check", "--out", "run", "--format", "json"]);
    let stdout = text(&out.stdout);
    let r = results(&stdout);
    let get = |id: &str| r.iter().find(|x| x.0 == id).unwrap_or_else(|| panic!("{id}: {stdout}"));
    let ci = get("ci");
    assert_eq!(ci.1, "pass", "{}", ci.2);
    assert!(
        ci.3.contains(&(".github/workflows/ci.yml".into(), Some(8), "tests".into())),
        "{:?}",
        ci.3
    );
    let docker = get("docker");
    assert_eq!(docker.1, "fail", "{}", docker.2);
    let rules: Vec<&str> = docker.3.iter().map(|l| l.2.as_str()).collect();
    assert_eq!(rules, vec!["no-healthcheck", "secret-in-env"], "{:?}", docker.3);
    assert_eq!(docker.3[1].1, Some(5));
    let kube = get("kube");
    assert_eq!(kube.1, "fail", "{}", kube.2);
    let k: Vec<(&str, Option<u64>, &str)> =
        kube.3.iter().map(|l| (l.0.as_str(), l.1, l.2.as_str())).collect();
    assert_eq!(
        k,
        vec![("deploy/app.yaml", Some(2), "image-tag"), ("deploy/app.yaml", Some(2), "replicas")]
    );
    let env = get("env");
    assert_eq!(env.1, "fail", "{}", env.2);
    assert_eq!(env.3, vec![("main.go".into(), Some(3), "undocumented".into())]);
    assert!(repo.path().join("run/evidence/ci/summary.json").is_file());
}

#[test]
fn env_on_code_it_cannot_read_is_a_not_applicable_skip() {
    let repo = temp_repo(&[
        ("Sources/App/main.swift", "let port = ProcessInfo.processInfo.environment[\"PORT\"]\n"),
        ("Package.swift", "// swift-tools-version:5.9\n"),
        (
            "readiness.yaml",
            "version: 1\nname: t\nchecks:\n  - id: env\n    severity: high\n    env: {}\n",
        ),
    ]);
    let out = readyctl(repo.path(), &["check", "--out", "run", "--format", "json"]);
    let stdout = text(&out.stdout);
    let v: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let env = v["results"].as_array().unwrap().iter().find(|r| r["id"] == "env").unwrap();
    assert_eq!(env["status"], "skip", "{env}");
    assert_eq!(env["skip_cause"], "not_applicable", "{env}");
    let reason = env["reason"].as_str().unwrap();
    assert!(reason.contains("Swift (2 file(s))") && !reason.contains("reads no"), "{reason}");
}

#[test]
fn audit_without_any_auditor_on_path_is_an_error_with_install_hints() {
    let repo = temp_repo(&[
        ("Cargo.lock", "version = 3\n"),
        (
            "readiness.yaml",
            "version: 1\nname: t\nchecks:\n  - id: deps\n    severity: high\n    audit: {}\n",
        ),
    ]);
    let empty = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(crate::support::bin())
        .args(["check", "--out", "run", "--format", "json"])
        .current_dir(repo.path())
        .env("PATH", empty.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    let r = results(&stdout);
    assert_eq!(r[0].1, "error", "{stdout}");
    assert!(r[0].2.contains("cargo install cargo-audit"), "{}", r[0].2);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
}

#[test]
fn secrets_history_finds_a_secret_removed_from_the_tree() {
    // Assembled at run time so this source file holds no token.
    let token = format!("ghp_{}", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8");
    let repo = temp_repo(&[
        ("config.py", &format!("GITHUB_TOKEN = \"{token}\"\n")),
        ("now.yaml", "version: 1\nchecks:\n  - id: s\n    severity: critical\n    secrets: {}\n"),
        (
            "hist.yaml",
            "version: 1\nchecks:\n  - id: s\n    severity: critical\n    secrets: { history: true, max_commits: 10 }\n",
        ),
    ]);
    let git = |args: &[&str]| {
        let o = git(repo.path(), args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    git(&["init", "-q"]);
    git(&["add", "config.py"]);
    git(&["commit", "-qm", "add config"]);
    std::fs::write(
        repo.path().join("config.py"),
        "import os\nGITHUB_TOKEN = os.environ[\"GITHUB_TOKEN\"]\n",
    )
    .unwrap();
    git(&["commit", "-qam", "read the token from the environment"]);

    let o = readyctl(repo.path(), &["check", "--checklist", "now.yaml", "--out", "now"]);
    assert_eq!(o.status.code(), Some(0), "the tree is clean now: {}", text(&o.stdout));
    let o = readyctl(
        repo.path(),
        &["check", "--checklist", "hist.yaml", "--out", "hist", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    let out = text(&o.stdout);
    assert!(out.contains("config.py") && out.contains("added in commit"), "{out}");
    for e in walkdir::WalkDir::new(repo.path().join("hist"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
    {
        let content = std::fs::read(e.path()).unwrap();
        assert!(
            !String::from_utf8_lossy(&content).contains(&token),
            "{} holds the token",
            e.path().display()
        );
    }
    assert!(!out.contains(&token));
}
