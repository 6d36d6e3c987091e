//! Issue 15: the Java and Ruby stacks, Django's test runner, discovery beyond fixed root paths,
//! monorepo units, and an `init` whose checks work with `--out` anywhere.

use std::path::Path;

use crate::support::{readyctl, temp_repo, text};

/// `init` (its stderr) then the YAML it wrote and `readyctl list`.
fn init(repo: &Path) -> (String, String, String) {
    let o = readyctl(repo, &["init", "--force"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let yaml = std::fs::read_to_string(repo.join("readiness.yaml")).unwrap();
    let l = readyctl(repo, &["list"]);
    assert_eq!(l.status.code(), Some(0), "list failed:\n{}\n{yaml}", text(&l.stderr));
    (text(&o.stderr), yaml, text(&l.stdout))
}

/// `check --format json` with the run outside the repository: (id, status, reason) per check.
fn check(repo: &Path, only: &str) -> Vec<(String, String, String)> {
    let out = tempfile::tempdir().unwrap();
    let run = out.path().join("run");
    let o = readyctl(
        repo,
        &["check", "--out", run.to_str().unwrap(), "--format", "json", "--only", only],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&o.stdout), text(&o.stderr)));
    assert!(!run.join("scratch").exists(), "the scratch directory is removed before sealing");
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
                r["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn status_of<'a>(
    results: &'a [(String, String, String)],
    id: &str,
) -> &'a (String, String, String) {
    results.iter().find(|r| r.0 == id).unwrap_or_else(|| panic!("{id} not in {results:?}"))
}

const POM: &str = r#"<project><parent><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-parent</artifactId></parent>
<dependencies><dependency><artifactId>spring-boot-starter-actuator</artifactId></dependency></dependencies>
<build><plugins><plugin><groupId>org.jacoco</groupId><artifactId>jacoco-maven-plugin</artifactId></plugin></plugins></build></project>"#;

#[test]
fn java_maven_spring_boot_with_jacoco_and_flyway() {
    let repo = temp_repo(&[
        ("pom.xml", POM),
        ("mvnw", "#!/bin/sh\n"),
        ("src/main/resources/application.properties", "server.port=9090\n"),
        ("src/main/resources/db/migration/V1__init.sql", "CREATE TABLE a (id int);\n"),
        ("src/test/java/AppTest.java", "class AppTest {}\n"),
    ]);
    let (stderr, yaml, list) = init(repo.path());
    assert!(stderr.contains("extends builtin:java-service; detected: pom.xml (Maven)"), "{stderr}");
    assert!(stderr.contains("found: Maven project: tests run through ./mvnw"), "{stderr}");
    assert!(
        stderr.contains("found: flyway migrations in src/main/resources/db/migration/"),
        "{stderr}"
    );
    assert!(yaml.contains("./mvnw -B test jacoco:report"), "{yaml}");
    assert!(yaml.contains("target/site/jacoco/jacoco.xml"), "{yaml}");
    // The endpoint stub: the http probe on the service's port and Actuator's path, needing it.
    assert!(yaml.contains(r#"http: { url: "http://127.0.0.1:9090/actuator/health""#), "{yaml}");
    assert!(yaml.contains("#    needs: [app]"), "{yaml}");
    assert!(!yaml.contains("curl"), "{yaml}");
    for id in ["tests.maven", "coverage.lines", "data.migrations", "build.wrapper"] {
        assert!(list.contains(id), "{id} missing:\n{list}");
    }
}

#[test]
fn java_gradle_without_wrapper_or_jacoco_says_what_it_could_not_find() {
    let repo = temp_repo(&[("build.gradle", "plugins { id 'java' }\n")]);
    let (stderr, yaml, _) = init(repo.path());
    assert!(stderr.contains("builtin:java-service; detected: build.gradle (Gradle)"), "{stderr}");
    assert!(stderr.contains("could not: Gradle wrapper (./gradlew)"), "{stderr}");
    assert!(stderr.contains("could not: JaCoCo in build.gradle"), "{stderr}");
    assert!(yaml.contains("# not found: JaCoCo in build.gradle"), "{yaml}");
}

#[test]
fn java_tests_are_counted_from_surefire_reports_the_command_writes() {
    // A stand-in `mvnw` writes a Surefire report, as Maven would: the built-in counts it.
    let surefire = r#"<testsuite name="AppTest" tests="2" failures="0" errors="0" skipped="0"><testcase classname="AppTest" name="a"/><testcase classname="AppTest" name="b"/></testsuite>"#;
    let repo = temp_repo(&[
        ("pom.xml", "<project/>"),
        (
            "mvnw",
            &format!(
                "#!/bin/sh\nmkdir -p target/surefire-reports\necho '{surefire}' > target/surefire-reports/TEST-AppTest.xml\n"
            ),
        ),
    ]);
    let mvnw = repo.path().join("mvnw");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&mvnw, std::fs::Permissions::from_mode(0o755)).unwrap();
    let results = check(repo.path(), "tests.*");
    let r = status_of(&results, "tests.maven");
    assert_eq!(r.1, "pass", "{r:?}");
    assert!(r.2.contains('2'), "{r:?}");
    assert_eq!(status_of(&results, "tests.gradle").1, "skip");
}

#[test]
fn a_rails_app_with_an_empty_package_json_is_ruby() {
    let repo = temp_repo(&[
        ("Gemfile", "source 'https://rubygems.org'\ngem 'rails'\ngem 'simplecov'\n"),
        ("Gemfile.lock", "GEM\n  specs:\n    rails (7.1.3)\n"),
        ("config/application.rb", "module App; end\n"),
        ("package.json", "{}"),
        ("yarn.lock", ""),
        ("test/test_helper.rb", "require 'minitest'\n"),
        (
            "db/migrate/20240101000000_create_users.rb",
            "class CreateUsers < ActiveRecord::Migration[7.1]\n  def change\n  end\nend\n",
        ),
    ]);
    let (stderr, yaml, list) = init(repo.path());
    assert!(
        stderr
            .contains("builtin:ruby-service; detected: Gemfile and config/application.rb (Rails)"),
        "{stderr}"
    );
    assert!(stderr.contains("found: Minitest (test/)"), "{stderr}");
    assert!(stderr.contains("found: SimpleCov in the Gemfile"), "{stderr}");
    assert!(yaml.contains(r#"coverage: { report: "coverage/.resultset.json""#), "{yaml}");
    assert!(stderr.contains("found: rails migrations in db/migrate/"), "{stderr}");
    assert!(yaml.contains(r#"url: "http://127.0.0.1:3000/up""#), "{yaml}");
    assert!(list.contains("tests.minitest") && list.contains("build.gemfile-lock"), "{list}");
    assert!(!list.contains("tests.npm"), "{list}");
}

#[test]
fn rspec_with_a_junit_formatter_is_counted_from_its_report() {
    let repo = temp_repo(&[
        ("Gemfile", "gem 'rspec'\ngem 'rspec_junit_formatter'\n"),
        ("spec/a_spec.rb", ""),
    ]);
    let (_, yaml, _) = init(repo.path());
    assert!(yaml.contains("--format RspecJunitFormatter --out"), "{yaml}");
    assert!(yaml.contains(r#"results: "$READYCTL_SCRATCH/rspec.xml""#), "{yaml}");
}

const DJANGO_MIGRATION: &str = "from django.db import migrations\nclass Migration(migrations.Migration):\n    dependencies = []\n    operations = []\n";

#[test]
fn django_gets_its_own_test_runner_and_per_app_migrations() {
    let repo = temp_repo(&[
        ("manage.py", "import os\n"),
        ("requirements.txt", "Django==4.2\n"),
        ("conduit/apps/articles/migrations/0001_initial.py", DJANGO_MIGRATION),
        ("conduit/apps/profiles/migrations/0001_initial.py", DJANGO_MIGRATION),
    ]);
    let (stderr, yaml, list) = init(repo.path());
    assert!(stderr.contains("Django project (manage.py)"), "{stderr}");
    assert!(stderr.contains("found: django migrations in conduit/apps/"), "{stderr}");
    assert!(yaml.contains(r#"migrations: { path: "conduit/apps" }"#), "{yaml}");
    assert!(list.contains("tests.django"), "{list}");
    // The built-in alone (no readiness.yaml) finds them too: not "not applicable".
    std::fs::remove_file(repo.path().join("readiness.yaml")).unwrap();
    let o = readyctl(repo.path(), &["list", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let results = check(repo.path(), "data.migrations");
    let r = status_of(&results, "data.migrations");
    assert_ne!(r.1, "skip", "{r:?}");
    assert!(r.2.contains("django"), "{r:?}");
}

#[test]
fn django_with_pytest_django_runs_pytest() {
    let repo = temp_repo(&[
        ("manage.py", ""),
        ("requirements.txt", "Django==4.2\npytest-django==4.8\n"),
        ("pytest.ini", "[pytest]\nDJANGO_SETTINGS_MODULE = app.settings\n"),
    ]);
    let (stderr, yaml, _) = init(repo.path());
    assert!(stderr.contains("pytest-django"), "{stderr}");
    assert!(yaml.contains("disable: [\"tests.django\"]"), "{yaml}");
    assert!(yaml.contains("- id: tests.pytest"), "{yaml}");
}

#[test]
fn monorepo_units_get_their_own_checks() {
    let repo = temp_repo(&[
        ("src/frontend/go.mod", "module f\n"),
        ("src/frontend/main.go", "package main\n"),
        ("src/frontend/Dockerfile", "FROM golang:1.22\n"),
        (
            "src/payment/package.json",
            r#"{"scripts":{"test":"jest"},"devDependencies":{"jest":"29"}}"#,
        ),
        ("src/payment/Dockerfile", "FROM node:20\n"),
        ("src/cart/cart.sln", ""),
        ("src/cart/src/Dockerfile", "FROM mcr.microsoft.com/dotnet/sdk:8.0\n"),
        (
            "kubernetes-manifests/frontend.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: f}\n",
        ),
        ("helm-chart/Chart.yaml", "name: x\n"),
    ]);
    let (stderr, yaml, list) = init(repo.path());
    assert!(stderr.contains("monorepo: 3 units"), "{stderr}");
    assert!(
        stderr.contains(
            "Dockerfiles: src/cart/src/Dockerfile, src/frontend/Dockerfile, src/payment/Dockerfile"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("Kubernetes manifests: kubernetes-manifests/frontend.yaml"),
        "{stderr}"
    );
    assert!(stderr.contains("could not: Helm chart helm-chart"), "{stderr}");
    assert!(yaml.contains("cd src/frontend && go test -json"), "{yaml}");
    assert!(
        yaml.contains("cd src/payment && npm_config_yes=false npx --no-install jest"),
        "{yaml}"
    );
    for id in ["frontend.tests.go", "payment.tests.npm", "cart.tests.dotnet", "operability.k8s"] {
        assert!(list.contains(id), "{id} missing:\n{list}");
    }
    // One result line per Dockerfile, found below the root.
    let results = check(repo.path(), "operability.dockerfile");
    let r = status_of(&results, "operability.dockerfile");
    assert_eq!(r.1, "fail", "{r:?}");
    assert!(r.2.contains("in 3 of 3 Dockerfiles"), "{r:?}");
}

#[test]
fn scratch_directory_works_with_out_anywhere_and_from_any_directory() {
    let checklist = r#"version: 1
name: t
checks:
  - id: t
    tests:
      run: |
        echo '<testsuite tests="1"><testcase classname="a" name="b"/></testsuite>' > "$READYCTL_SCRATCH/j.xml"
      results: $READYCTL_SCRATCH/j.xml
  - id: c
    command: { run: 'test -d "$READYCTL_SCRATCH"' }
"#;
    let repo = temp_repo(&[("readiness.yaml", checklist)]);
    let elsewhere = tempfile::tempdir().unwrap();
    let run = elsewhere.path().join("run");
    let o = readyctl(
        elsewhere.path(),
        &[
            "check",
            repo.path().to_str().unwrap(),
            "--out",
            run.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{stdout}{}", text(&o.stderr));
    assert!(!run.join("scratch").exists());
    assert!(!repo.path().join(".readyctl").exists(), "nothing written into the repository");
}

#[test]
fn init_writes_a_schema_the_modeline_names() {
    let repo = temp_repo(&[("go.mod", "module x\n")]);
    let (_, yaml, _) = init(repo.path());
    assert!(yaml.starts_with("# yaml-language-server: $schema=checklist.schema.json\n"), "{yaml}");
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo.path().join("checklist.schema.json")).unwrap(),
    )
    .unwrap();
    assert!(schema["$defs"]["CheckSpec"].is_object());
}

#[test]
fn search_for_a_pattern_its_own_checklist_holds_passes() {
    let repo = temp_repo(&[
        (
            "readiness.yaml",
            "version: 1\nname: t\nchecks:\n  - id: no-hack\n    search: { pattern: \"XXX-HACK\", expect: none }\n",
        ),
        ("src/a.py", "x = 1\n"),
    ]);
    let results = check(repo.path(), "no-hack");
    assert_eq!(status_of(&results, "no-hack").1, "pass", "{results:?}");
}

/// `check --format json` with `bin` first on PATH (stand-ins for python, bundle, …).
fn check_with_path(repo: &Path, bin: &Path, args: &[&str]) -> Vec<(String, String, String)> {
    let out = tempfile::tempdir().unwrap();
    let run = out.path().join("run");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let o = std::process::Command::new(crate::support::bin())
        .args(["check", "--out", run.to_str().unwrap(), "--format", "json"])
        .args(args)
        .current_dir(repo)
        .env("NO_COLOR", "1")
        .env("PATH", path)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&o.stdout), text(&o.stderr)));
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
                r["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Writes an executable `name` into `dir` printing `stderr_text` to stderr and exiting `code`.
fn stand_in(dir: &Path, name: &str, stderr_text: &str, code: i32) {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\ncat >&2 <<'OUT'\n{stderr_text}OUT\nexit {code}\n"))
        .unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn django_tests_are_counted_from_manage_py_test_and_a_broken_environment_is_an_error() {
    let repo = temp_repo(&[("manage.py", ""), ("requirements.txt", "Django==4.2\n")]);
    let bin = tempfile::tempdir().unwrap();
    let verbose = "Creating test database for alias 'default'...\n\
        test_a (app.tests.T.test_a) ... ok\n\
        test_b (app.tests.T.test_b) ... FAIL\n\
        test_c (app.tests.T.test_c) ... skipped 'later'\n\
        ----------------------------------------------------------------------\n\
        Ran 3 tests in 0.010s\n\nFAILED (failures=1, skipped=1)\n";
    stand_in(bin.path(), "python3", verbose, 1);
    let r = check_with_path(repo.path(), bin.path(), &["--only", "tests.*"]);
    let t = status_of(&r, "tests.django");
    assert_eq!(t.1, "fail", "{t:?}");
    assert!(t.2.contains("1 failed"), "{t:?}");
    assert_eq!(status_of(&r, "tests.pytest").1, "skip");
    // Django cannot even load: no report, so `error` (could not look), not a test failure.
    stand_in(bin.path(), "python3", "ModuleNotFoundError: No module named 'django'\n", 1);
    let r = check_with_path(repo.path(), bin.path(), &["--only", "tests.django"]);
    assert_eq!(status_of(&r, "tests.django").1, "error", "{r:?}");
}

#[test]
fn minitest_is_counted_from_its_verbose_lines() {
    let repo = temp_repo(&[
        ("Gemfile", "gem 'rails'\n"),
        ("Gemfile.lock", ""),
        ("config/application.rb", ""),
        ("test/test_helper.rb", ""),
    ]);
    let bin = tempfile::tempdir().unwrap();
    let verbose = "Run options: -v --seed 1\n\n# Running:\n\n\
        UserTest#test_valid = 0.01 s = .\n\
        UserTest#test_name = 0.00 s = .\n\
        Api::ArticlesTest#test_skip = 0.00 s = S\n\n\
        Finished in 0.02s, 3 runs/s.\n\n3 runs, 4 assertions, 0 failures, 0 errors, 1 skips\n";
    stand_in(bin.path(), "bundle", verbose, 0);
    let r = check_with_path(repo.path(), bin.path(), &["--only", "tests.*"]);
    let t = status_of(&r, "tests.minitest");
    assert_eq!(t.1, "pass", "{t:?}");
    assert!(t.2.contains('3') || t.2.contains('2'), "{t:?}");
    stand_in(bin.path(), "bundle", "Could not find gem 'rails' in locally installed gems.\n", 7);
    let r = check_with_path(repo.path(), bin.path(), &["--only", "tests.minitest"]);
    assert_eq!(status_of(&r, "tests.minitest").1, "error", "{r:?}");
}

#[test]
fn a_single_unit_below_a_bare_root_is_checked_there() {
    let repo = temp_repo(&[
        ("README.md", "x\n"),
        ("backend/pyproject.toml", "[project]\nname='x'\ndependencies=['pytest']\n"),
    ]);
    let (stderr, yaml, list) = init(repo.path());
    assert!(stderr.contains("the project is in backend (pyproject.toml)"), "{stderr}");
    assert!(yaml.contains(r#"cd backend && python -m pytest -q --junitxml=\"$READYCTL_SCRATCH/backend.junit.xml\""#), "{yaml}");
    assert!(list.contains("backend.tests.pytest"), "{list}");
}
