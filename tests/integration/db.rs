//! End-to-end tests of the `migrations` and `sql` probes on real SQLite, a real PostgreSQL
//! (READYCTL_TEST_PG_URL, see scripts/with-postgres.sh) and real alembic (READYCTL_TEST_PYTHON).

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant, SystemTime};

use readyctl::outcome::{ProbeOutcome, Status};
use readyctl::probe::{ArtifactContent, ProbeContext, migrations, run_spec, sql};

static CANCEL: AtomicBool = AtomicBool::new(false);

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/migrations")
}

/// A fresh directory `readyctl-it-db-<name>-<pid>` under the temp dir, removed when the test
/// drops it.
fn scratch_dir(name: &str) -> Scratch {
    let d = std::env::temp_dir().join(format!("readyctl-it-db-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    Scratch(d)
}

struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = PathBuf;
    fn deref(&self) -> &PathBuf {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            if e.file_name() != "__pycache__" {
                copy_dir(&e.path(), &target);
            }
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fn run_migrations(repo: &Path, yaml: &str) -> ProbeOutcome {
    let spec: migrations::Spec = serde_yaml::from_str(yaml).expect("valid spec");
    let evidence = scratch_dir("evidence");
    let ctx = ProbeContext {
        repo,
        check_id: "db.migrations",
        evidence_dir: &evidence,
        run_started: SystemTime::now(),
        deadline: Instant::now() + Duration::from_secs(120),
        cancel: &CANCEL,
        output_filter: None,
    };
    run_spec::<migrations::Kind>(&spec, &ctx)
}

fn run_sql(repo: &Path, spec: &sql::Spec) -> ProbeOutcome {
    let evidence = scratch_dir("evidence-sql");
    let ctx = ProbeContext {
        repo,
        check_id: "db.sql",
        evidence_dir: &evidence,
        run_started: SystemTime::now(),
        deadline: Instant::now() + Duration::from_secs(60),
        cancel: &CANCEL,
        output_filter: None,
    };
    run_spec::<sql::Kind>(spec, &ctx)
}

fn artifact_json(o: &ProbeOutcome, name: &str) -> serde_json::Value {
    let a =
        o.artifacts.iter().find(|a| a.name == name).unwrap_or_else(|| panic!("no artifact {name}"));
    match &a.content {
        ArtifactContent::Bytes(b) => serde_json::from_slice(b).unwrap(),
        ArtifactContent::CopyOf(p) => serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap(),
        ArtifactContent::Stored { .. } => panic!("{name} was read and kept by the probe, not JSON"),
    }
}

/// An external peer from the environment: `None` (with a SKIP line) locally, a panic on CI.
fn peer(var: &str, what: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ if std::env::var_os("CI").is_some() => {
            panic!("{var} is not set on CI: {what} is required")
        }
        _ => {
            let how = if var == "READYCTL_TEST_PG_URL" {
                "run under scripts/with-postgres.sh"
            } else {
                "point it at a venv python with scripts/requirements-test.txt installed"
            };
            eprintln!("SKIP: {var} not set ({what}); {how}");
            None
        }
    }
}

fn pg() -> Option<String> {
    peer("READYCTL_TEST_PG_URL", "a PostgreSQL server")
}

fn database_exists(admin_url: &str, name: &str) -> bool {
    let mut c = postgres::Client::connect(admin_url, postgres::NoTls).unwrap();
    let n: i64 = c
        .query_one("SELECT count(*) FROM pg_database WHERE datname = $1", &[&name])
        .unwrap()
        .get(0);
    n > 0
}

fn rules(o: &ProbeOutcome) -> Vec<(String, Option<u64>)> {
    o.locations.iter().map(|l| (l.rule.clone().unwrap_or_default(), l.line)).collect()
}

// ---------- SQLite, no external peer ----------

#[test]
fn golang_migrate_round_trip_on_sqlite_passes_with_schema_evidence() {
    let repo = fixtures();
    let o = run_migrations(&repo, "path: golang-migrate\n");
    assert_eq!(o.status, Status::Pass, "{}", o.reason);
    assert!(
        o.reason.contains("2 golang-migrate migrations") && o.reason.contains("round trip"),
        "{}",
        o.reason
    );
    let schema = artifact_json(&o, "schema.json");
    assert_eq!(schema["column:orders.total_cents"], "INTEGER NOT NULL");
    assert!(schema.get("index:users_email").is_some());
    let summary = artifact_json(&o, "summary.json");
    let phases: Vec<&str> = summary["apply"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["phase"].as_str().unwrap())
        .collect();
    assert_eq!(phases, ["up", "up", "down", "down", "up-again", "up-again"]);
}

#[test]
fn migration_failing_half_way_fails_naming_it_and_the_error() {
    let o = run_migrations(&fixtures(), "path: broken-apply\napply: sqlite\n");
    assert_eq!(o.status, Status::Fail);
    assert!(
        o.reason.contains("migration 000002") && o.reason.contains("no such table: price_list"),
        "{}",
        o.reason
    );
}

#[test]
fn dangerous_sql_is_linted_with_lines_ignores_and_parse_errors() {
    // The fixtures are committed in readyctl's own repository (released): lint them all.
    let o = run_migrations(&fixtures(), "path: dangerous\napply: off\nlint_scope: all\n");
    assert_eq!(o.status, Status::Fail);
    let got = rules(&o);
    let want: Vec<(String, Option<u64>)> = [
        ("index-without-concurrently", 1),
        ("require-lock-timeout", 1),
        ("not-null-without-default", 2),
        ("foreign-key-without-not-valid", 5),
        ("unparseable-sql", 6),
        ("column-type-change", 7),
    ]
    .iter()
    .map(|(r, l)| (r.to_string(), Some(*l)))
    .collect();
    assert_eq!(got, want);
    assert!(o.locations.iter().all(|l| l.path == "dangerous/20240102000000_risky.sql"));
    let ignored = o.measurements.iter().find(|m| m.name == "lint_ignored").unwrap();
    assert_eq!(ignored.value, 1.0);
    let summary = artifact_json(&o, "summary.json");
    let findings = summary["lint"]["findings"].as_array().unwrap();
    assert!(
        findings.iter().any(
            |f| f["rule"] == "drop-column" && f["ignored"].as_str().unwrap().contains("PAY-42")
        )
    );
    // Selecting rules narrows the findings.
    let o = run_migrations(
        &fixtures(),
        "path: dangerous\napply: off\nlint_scope: all\nlint: [column-type-change]\n",
    );
    assert_eq!(rules(&o), vec![("column-type-change".to_string(), Some(7))]);
}

#[test]
fn atlas_sum_verifies_and_catches_an_edit() {
    let o = run_migrations(&fixtures(), "path: atlas\n");
    assert_eq!(o.status, Status::Pass, "{}", o.reason);
    let repo = scratch_dir("atlas");
    copy_dir(&fixtures().join("atlas"), &repo.join("atlas"));
    std::fs::write(
        repo.join("atlas/20240101000000_users.sql"),
        "CREATE TABLE users (id integer PRIMARY KEY);\n",
    )
    .unwrap();
    let o = run_migrations(&repo, "path: atlas\n");
    assert_eq!(o.status, Status::Fail);
    assert!(
        o.reason.contains("atlas.sum does not match")
            && o.reason.contains("20240101000000_users.sql"),
        "{}",
        o.reason
    );
}

#[test]
fn flyway_duplicate_versions_and_dbmate_missing_down() {
    let o = run_migrations(&fixtures(), "path: flyway\n");
    assert_eq!(o.status, Status::Fail);
    assert!(o.reason.contains("version 1.1 is used by both"), "{}", o.reason);
    let o = run_migrations(&fixtures(), "path: dbmate\nmissing_down: fail\n");
    assert_eq!(o.status, Status::Fail);
    assert!(o.reason.contains("20240102000000") && o.reason.contains("no down"), "{}", o.reason);
    let o = run_migrations(&fixtures(), "path: dbmate\n");
    assert_eq!(o.status, Status::Pass, "{}", o.reason);
    assert!(o.reason.contains("round trip skipped"), "{}", o.reason);
}

#[test]
fn postgres_only_sql_on_auto_sqlite_is_an_error_saying_what_was_verified() {
    // D14: the check claims the migrations apply; nothing was applied, so it is not a pass.
    let o = run_migrations(&fixtures(), "path: goose-pg\n");
    assert_eq!(o.status, Status::Error, "{}", o.reason);
    assert!(
        o.reason.starts_with(
            "3 goose migrations consistent, lint clean; not applied: the SQL does not run on SQLite"
        ),
        "{}",
        o.reason
    );
    assert!(o.reason.contains("set `database_url`"), "{}", o.reason);
    assert!(!o.reason.contains('\n'), "{}", o.reason);
    let m = |name: &str| o.measurements.iter().find(|m| m.name == name).map(|m| m.value);
    assert_eq!((m("applied"), m("round_trip")), (Some(0.0), None));
    // A check that claims integrity and lint only says so and passes on what it examined.
    let o = run_migrations(&fixtures(), "path: goose-pg\nrequire_apply: false\n");
    assert_eq!(o.status, Status::Pass, "{}", o.reason);
    assert!(o.reason.contains("applying and reversibility not verified"), "{}", o.reason);
    // `apply: off` is a static check by choice: no apply is required.
    let o = run_migrations(&fixtures(), "path: goose-pg\napply: off\n");
    assert_eq!(o.status, Status::Pass, "{}", o.reason);
    let o = run_migrations(&fixtures(), "path: goose-pg\napply: sqlite\n");
    assert_eq!(o.status, Status::Fail, "{}", o.reason);
}

#[test]
fn lock_catches_an_edited_migration() {
    let repo = scratch_dir("lock");
    copy_dir(&fixtures().join("golang-migrate"), &repo.join("db"));
    let spec: migrations::Spec = serde_yaml::from_str("path: db\n").unwrap();
    let evidence = scratch_dir("lock-evidence");
    let ctx = ProbeContext {
        repo: &repo,
        check_id: "x",
        evidence_dir: &evidence,
        run_started: SystemTime::now(),
        deadline: Instant::now() + Duration::from_secs(30),
        cancel: &CANCEL,
        output_filter: None,
    };
    let (path, n) = migrations::write_lock(&spec, &ctx).unwrap();
    assert_eq!((path.file_name().unwrap().to_str().unwrap(), n), ("migrations.lock", 4));
    assert_eq!(run_migrations(&repo, "path: db\n").status, Status::Pass);
    std::fs::write(
        repo.join("db/000001_create_users.up.sql"),
        "CREATE TABLE users (id INTEGER PRIMARY KEY);\n",
    )
    .unwrap();
    let o = run_migrations(&repo, "path: db\n");
    assert_eq!(o.status, Status::Fail);
    assert!(o.reason.contains("edited after it was locked"), "{}", o.reason);
}

#[test]
fn sql_probe_on_sqlite_file() {
    let repo = scratch_dir("sqlite-sql");
    let c = rusqlite::Connection::open(repo.join("app.db")).unwrap();
    c.execute_batch("CREATE TABLE users (id INTEGER, email TEXT); INSERT INTO users VALUES (1, 'a@x'), (2, 'b@x');").unwrap();
    drop(c);
    let spec = |q: &str, expect: &str| -> sql::Spec {
        serde_yaml::from_str(&format!("url: sqlite:app.db\nquery: \"{q}\"\nexpect: {expect}\n"))
            .unwrap()
    };
    let o = run_sql(
        &repo,
        &spec(
            "SELECT email, count(*) FROM users GROUP BY email HAVING count(*) > 1",
            "{ rows: 0 }",
        ),
    );
    assert_eq!(o.status, Status::Pass, "{}", o.reason);
    let o = run_sql(
        &repo,
        &spec("SELECT id, email FROM users ORDER BY id", "{ equals: [[1, a@x], [2, b@x]] }"),
    );
    assert_eq!(o.status, Status::Pass, "{}", o.reason);
    let o = run_sql(&repo, &spec("SELECT count(*) FROM users", "{ value: { min: 3 } }"));
    assert_eq!(o.status, Status::Fail);
    assert_eq!(o.reason, "value is 2 (min 3)");
    let o = run_sql(&repo, &spec("DELETE FROM users", "{}"));
    assert_eq!(o.status, Status::Error, "read-only by default: {}", o.reason);
}

/// Issue 16: `value:` takes a bare value ("equals") like every other matcher.
#[test]
fn sql_value_bare_scalar_is_equals_on_sqlite() {
    let repo = scratch_dir("sqlite-sql-bare");
    let c = rusqlite::Connection::open(repo.join("app.db")).unwrap();
    c.execute_batch("CREATE TABLE users (id INTEGER, email TEXT); INSERT INTO users VALUES (1, 'a@x'), (2, 'b@x');").unwrap();
    drop(c);
    let spec = |expect: &str| -> sql::Spec {
        serde_yaml::from_str(&format!(
            "url: sqlite:app.db\nquery: SELECT count(*) FROM users\nexpect: {expect}\n"
        ))
        .unwrap()
    };
    let o = run_sql(&repo, &spec("{ value: 2 }"));
    assert_eq!(o.status, Status::Pass, "{}", o.reason);
    assert!(o.reason.contains("value \"2\""), "{}", o.reason);
    let o = run_sql(&repo, &spec("{ value: 3 }"));
    assert_eq!(o.status, Status::Fail);
    assert_eq!(o.reason, "value is 2 (expected 3)");
    let o = run_sql(&repo, &spec("{ value: { one_of: [1, 2] } }"));
    assert_eq!(o.status, Status::Pass, "{}", o.reason);
    let o = run_sql(&repo, &spec("{ value: { eq: 2 } }"));
    assert_eq!(o.status, Status::Pass, "old `eq` still works: {}", o.reason);
}

// ---------- PostgreSQL ----------

#[test]
fn pg_goose_round_trip_concurrently_and_scratch_database_dropped() {
    let Some(url) = pg() else { return };
    let o = run_migrations(&fixtures(), &format!("path: goose-pg\ndatabase_url: \"{url}\"\n"));
    assert_eq!(o.status, Status::Pass, "{}", o.reason);
    assert!(o.reason.contains("round trip and no-op re-apply on postgres"), "{}", o.reason);
    let schema = artifact_json(&o, "schema.json");
    assert_eq!(schema["enum:public.account_state"], "active,closed");
    assert!(schema["index:public.accounts_email"].as_str().unwrap().contains("UNIQUE INDEX"));
    let summary = artifact_json(&o, "summary.json");
    let db = summary["apply"]["database"].as_str().unwrap().to_string();
    assert!(!database_exists(&url, &db), "scratch database {db} left behind");
}

#[test]
fn pg_failing_migration_fails_and_scratch_database_is_dropped() {
    let Some(url) = pg() else { return };
    let o = run_migrations(&fixtures(), &format!("path: broken-apply\ndatabase_url: \"{url}\"\n"));
    assert_eq!(o.status, Status::Fail);
    assert!(
        o.reason.contains("migration 000002")
            && o.reason.contains("relation \"price_list\" does not exist"),
        "{}",
        o.reason
    );
    let db = artifact_json(&o, "summary.json")["apply"]["database"].as_str().unwrap().to_string();
    assert!(!database_exists(&url, &db), "scratch database {db} left behind");
}

#[test]
fn pg_unreachable_is_an_error_with_the_password_redacted() {
    // A port nothing listens on: bind, read the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("postgres://app:hunter2secret@127.0.0.1:{port}/postgres");
    let o =
        run_migrations(&fixtures(), &format!("path: golang-migrate\ndatabase_url: \"{url}\"\n"));
    assert_eq!(o.status, Status::Error, "{}", o.reason);
    assert!(
        o.reason.contains("cannot connect") && !o.reason.contains("hunter2secret"),
        "{}",
        o.reason
    );
    let spec: sql::Spec =
        serde_yaml::from_str(&format!("url: \"{url}\"\nquery: SELECT 1\n")).unwrap();
    let o = run_sql(&fixtures(), &spec);
    assert_eq!(o.status, Status::Error);
    assert!(!o.reason.contains("hunter2secret"), "{}", o.reason);
}

#[test]
fn pg_sql_probe_expectations_and_read_only() {
    let Some(url) = pg() else { return };
    let db = format!("readyctl_sqltest_{}", std::process::id());
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db}")).unwrap();
    admin.batch_execute(&format!("CREATE DATABASE {db}")).unwrap();
    let db_url = readyctl::db::with_dbname(&url, &db);
    let mut c = postgres::Client::connect(&db_url, postgres::NoTls).unwrap();
    c.batch_execute("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy'); CREATE TABLE t (id int, active bool, price numeric(6,2)); INSERT INTO t VALUES (1, true, 9.50), (2, false, NULL);").unwrap();
    let spec = |q: &str, expect: &str| -> sql::Spec {
        serde_yaml::from_str(&format!("url: \"{db_url}\"\nquery: \"{q}\"\nexpect: {expect}\n"))
            .unwrap()
    };
    let o = run_sql(
        Path::new("/"),
        &spec(
            "SELECT enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = 'mood' ORDER BY enumsortorder",
            "{ equals: [[sad], [ok], [happy]] }",
        ),
    );
    assert_eq!(o.status, Status::Pass, "{}", o.reason);
    let o = run_sql(
        Path::new("/"),
        &spec(
            "SELECT id, active, price FROM t ORDER BY id",
            "{ rows: 2, equals: [[1, true, 9.5], [2, false, null]] }",
        ),
    );
    assert_eq!(o.status, Status::Pass, "{}", o.reason);
    let o = run_sql(
        Path::new("/"),
        &spec("SELECT max(price) FROM t", "{ value: { eq: 9.5, max: 10 } }"),
    );
    assert_eq!(o.status, Status::Pass, "{}", o.reason);
    let o = run_sql(Path::new("/"), &spec("SELECT count(*) FROM t", "{ value: { eq: 3 } }"));
    assert_eq!(o.status, Status::Fail);
    assert_eq!(o.reason, "value is 2 (expected 3)");
    let o = run_sql(Path::new("/"), &spec("DELETE FROM t", "{}"));
    assert_eq!(o.status, Status::Error);
    assert!(o.reason.contains("read-only transaction"), "{}", o.reason);
    let n: i64 = c.query_one("SELECT count(*) FROM t", &[]).unwrap().get(0);
    assert_eq!(n, 2, "read-only default must not delete");
    drop(c);
    admin.batch_execute(&format!("DROP DATABASE {db} WITH (FORCE)")).unwrap();
}

// ---------- alembic ----------

fn alembic_spec(py: &str) -> String {
    format!(
        "path: alembic/migrations\nalembic:\n  upgrade: \"'{py}' -m alembic upgrade head\"\n  downgrade: \"'{py}' -m alembic downgrade base\"\n"
    )
}

#[test]
fn alembic_on_sqlite_upgrade_downgrade_upgrade_at_single_head() {
    let Some(py) = peer("READYCTL_TEST_PYTHON", "python with alembic") else { return };
    let repo = scratch_dir("alembic-sqlite");
    copy_dir(&fixtures().join("alembic"), &repo.join("alembic"));
    let o = run_migrations(&repo, &alembic_spec(&py));
    assert_eq!(o.status, Status::Pass, "{}", o.reason);
    assert!(
        o.reason.contains("4 alembic migrations") && o.reason.contains("single head"),
        "{}",
        o.reason
    );
    let schema = artifact_json(&o, "schema.json");
    assert!(
        schema.get("column:users.email").is_some() && schema.get("index:orders_user_id").is_some(),
        "{schema}"
    );
    assert_eq!(o.artifacts.iter().filter(|a| a.name.starts_with("command-")).count(), 3);
}

#[test]
fn alembic_downgrade_that_leaves_a_table_fails() {
    let Some(py) = peer("READYCTL_TEST_PYTHON", "python with alembic") else { return };
    let repo = scratch_dir("alembic-leaky");
    copy_dir(&fixtures().join("alembic"), &repo.join("alembic"));
    let f = repo.join("alembic/migrations/versions/1a2b3c4d0003_create_orders.py");
    let text = std::fs::read_to_string(&f).unwrap().replace("    op.drop_table(\"orders\")\n", "");
    std::fs::write(&f, text).unwrap();
    let o = run_migrations(&repo, &alembic_spec(&py));
    assert_eq!(o.status, Status::Fail, "{}", o.reason);
    assert!(o.reason.contains("leaves schema objects behind: column:orders.id"), "{}", o.reason);
}

#[test]
fn alembic_two_heads_fail_naming_both() {
    let repo = scratch_dir("alembic-heads");
    copy_dir(&fixtures().join("alembic"), &repo.join("alembic"));
    std::fs::remove_file(
        repo.join("alembic/migrations/versions/1a2b3c4d0004_merge_email_and_orders.py"),
    )
    .unwrap();
    let o = run_migrations(&repo, "path: alembic/migrations\napply: off\n");
    assert_eq!(o.status, Status::Fail);
    assert!(o.reason.contains("2 heads: 1a2b3c4d0002, 1a2b3c4d0003"), "{}", o.reason);
}

#[test]
fn alembic_on_postgres_checks_alembic_version() {
    let Some(py) = peer("READYCTL_TEST_PYTHON", "python with alembic") else { return };
    let Some(url) = pg() else { return };
    let repo = scratch_dir("alembic-pg");
    copy_dir(&fixtures().join("alembic"), &repo.join("alembic"));
    let o = run_migrations(&repo, &format!("{}database_url: \"{url}\"\n", alembic_spec(&py)));
    assert_eq!(o.status, Status::Pass, "{}", o.reason);
    let schema = artifact_json(&o, "schema.json");
    assert!(schema.get("constraint:public.orders.orders_user_id_fkey").is_some(), "{schema}");
    let db = artifact_json(&o, "summary.json")["apply"]["database"].as_str().unwrap().to_string();
    assert!(!database_exists(&url, &db));
}

/// A project made by the real `alembic init` with a SQLite URL in alembic.ini, and one
/// revision made by `alembic revision`: what a user has after the tutorial.
fn stock_alembic_project(py: &str, name: &str) -> Scratch {
    let repo = scratch_dir(name);
    let run = |args: &[&str]| {
        let o = std::process::Command::new(py)
            .args(["-m", "alembic"])
            .args(args)
            .current_dir(&repo)
            .output()
            .unwrap();
        assert!(o.status.success(), "alembic {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    };
    run(&["init", "alembic"]);
    let ini = repo.join("alembic.ini");
    let text = std::fs::read_to_string(&ini).unwrap().replace(
        "sqlalchemy.url = driver://user:pass@localhost/dbname",
        "sqlalchemy.url = sqlite:///app.db",
    );
    std::fs::write(&ini, text).unwrap();
    run(&["revision", "-m", "create users", "--rev-id", "0001"]);
    let rev = std::fs::read_dir(repo.join("alembic/versions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "py"))
        .unwrap();
    let text = std::fs::read_to_string(&rev)
        .unwrap()
        .replace(
            "def upgrade() -> None:\n    \"\"\"Upgrade schema.\"\"\"\n    pass",
            "def upgrade() -> None:\n    op.create_table(\"users\", sa.Column(\"id\", sa.Integer, primary_key=True))",
        )
        .replace(
            "def downgrade() -> None:\n    \"\"\"Downgrade schema.\"\"\"\n    pass",
            "def downgrade() -> None:\n    op.drop_table(\"users\")",
        )
        .replace(
            "def upgrade() -> None:\n    pass",
            "def upgrade() -> None:\n    op.create_table(\"users\", sa.Column(\"id\", sa.Integer, primary_key=True))",
        )
        .replace("def downgrade() -> None:\n    pass", "def downgrade() -> None:\n    op.drop_table(\"users\")");
    assert!(text.contains("op.create_table"), "{text}");
    std::fs::write(&rev, text).unwrap();
    let _ = std::fs::remove_dir_all(repo.join("alembic/versions/__pycache__"));
    repo
}

fn stock_spec(py: &str) -> String {
    let bin = Path::new(py).parent().unwrap().join("alembic");
    format!(
        "path: alembic/versions\nalembic:\n  upgrade: \"'{0}' upgrade head\"\n  downgrade: \"'{0}' downgrade base\"\n",
        bin.display()
    )
}

#[test]
fn alembic_stock_init_project_migrates_the_scratch_database_not_its_own() {
    let Some(py) = peer("READYCTL_TEST_PYTHON", "python with alembic") else { return };
    let repo = stock_alembic_project(&py, "alembic-stock");
    let o = run_migrations(&repo, &stock_spec(&py));
    assert_eq!(o.status, Status::Pass, "{}", o.reason);
    assert!(o.reason.contains("single head"), "{}", o.reason);
    // alembic.ini names sqlite:///app.db: it was not created.
    assert!(!repo.join("app.db").exists(), "the project's own database was created");
    let schema = artifact_json(&o, "schema.json");
    assert!(
        schema.get("table:users").is_some() || schema.to_string().contains("users"),
        "{schema}"
    );
}

#[test]
fn alembic_env_py_that_ignores_the_config_is_an_error_and_never_run() {
    let Some(py) = peer("READYCTL_TEST_PYTHON", "python with alembic") else { return };
    let repo = stock_alembic_project(&py, "alembic-own-url");
    let env_py = repo.join("alembic/env.py");
    let text = std::fs::read_to_string(&env_py).unwrap().replace(
        "config = context.config\n",
        "config = context.config\n\n\nclass settings:\n    DB_URL = \"sqlite:///app.db\"\n\n\ndef get_url():\n    return settings.DB_URL\n\n\nconfig.set_main_option(\"sqlalchemy.url\", get_url())\n",
    );
    std::fs::write(&env_py, text).unwrap();
    let o = run_migrations(&repo, &stock_spec(&py));
    assert_eq!(o.status, Status::Error, "{}", o.reason);
    assert!(
        o.reason.contains(
            "alembic/env.py reads its URL from `settings.DB_URL`, not from sqlalchemy.url"
        ),
        "{}",
        o.reason
    );
    assert!(!repo.join("app.db").exists());
    assert_eq!(o.artifacts.iter().filter(|a| a.name.starts_with("command-")).count(), 0);
    // A custom command that says how the URL is passed is run; the database it migrated is
    // found out afterwards (no ledger in the scratch database, a new file in the repository).
    let spec = stock_spec(&py).replace("upgrade head", "upgrade head # DATABASE_URL");
    let o = run_migrations(&repo, &spec);
    assert_eq!(o.status, Status::Error, "{}", o.reason);
    assert!(o.reason.contains("created 1 file(s) inside the repository (app.db"), "{}", o.reason);
}

#[test]
fn alembic_import_error_is_an_environment_error_not_a_fail() {
    let Some(py) = peer("READYCTL_TEST_PYTHON", "python with alembic") else { return };
    let repo = stock_alembic_project(&py, "alembic-import");
    let env_py = repo.join("alembic/env.py");
    let text = std::fs::read_to_string(&env_py).unwrap();
    std::fs::write(&env_py, format!("from app.models import Base  # noqa\n{text}")).unwrap();
    let o = run_migrations(&repo, &stock_spec(&py));
    assert_eq!(o.status, Status::Error, "{}", o.reason);
    assert!(o.reason.contains("ModuleNotFoundError: No module named 'app'"), "{}", o.reason);
}

/// Benchmark driver, not a timed test: `bench/migrations/run.sh` runs it with
/// READYCTL_BENCH_REPO set and prints the figures it reports.
#[test]
#[ignore = "benchmark driver; run by bench/migrations/run.sh"]
fn bench_lint_driver() {
    let Ok(repo) = std::env::var("READYCTL_BENCH_REPO") else { return };
    let started = Instant::now();
    let o = run_migrations(
        Path::new(&repo),
        "path: migrations\nframework: sqlx\napply: off\nlint_scope: all\n",
    );
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let n = o.measurements.iter().find(|m| m.name == "migrations").map(|m| m.value).unwrap_or(0.0);
    let findings =
        o.measurements.iter().find(|m| m.name == "lint_findings").map(|m| m.value).unwrap_or(0.0);
    println!("readyctl: {n} files, {findings} findings, probe time {ms:.0} ms");
}

#[test]
fn django_leaves_per_app_made_by_real_makemigrations() {
    // fixtures/migrations/django was made with Django's own startproject/startapp/makemigrations,
    // including the conflicting 0002s and `makemigrations --merge`.
    let o = run_migrations(&fixtures(), "path: django\n");
    assert_eq!(o.status, Status::Error, "{}", o.reason);
    assert!(o.reason.starts_with("4 django migrations consistent"), "{}", o.reason);
    assert!(
        o.reason.contains("4 django migrations") && o.reason.contains("set `database_url`"),
        "{}",
        o.reason
    );
    let repo = scratch_dir("django-leaves");
    copy_dir(&fixtures().join("django"), &repo.join("django"));
    std::fs::remove_file(
        repo.join("django/shop/migrations/0003_merge_0002_item_price_0002_item_sku.py"),
    )
    .unwrap();
    let o = run_migrations(&repo, "path: django\n");
    assert_eq!(o.status, Status::Fail);
    // Django's own `makemigrations --check` says: multiple leaf nodes (0002_item_price, 0002_item_sku in shop).
    assert!(
        o.reason.contains("app shop has 2 leaf migrations: 0002_item_price, 0002_item_sku"),
        "{}",
        o.reason
    );
}

#[test]
fn alembic_drift_against_a_live_database_read_only() {
    let Some(py) = peer("READYCTL_TEST_PYTHON", "python with alembic") else { return };
    let Some(url) = pg() else { return };
    let db = format!("readyctl_drift_{}", std::process::id());
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db}")).unwrap();
    admin.batch_execute(&format!("CREATE DATABASE {db}")).unwrap();
    let live = readyctl::db::with_dbname(&url, &db);
    let repo = scratch_dir("alembic-drift");
    copy_dir(&fixtures().join("alembic"), &repo.join("alembic"));
    // The "production" database is at 0002 (real alembic): 0003 and the merge are pending.
    let status = std::process::Command::new(&py)
        .args(["-m", "alembic", "upgrade", "1a2b3c4d0002"])
        .current_dir(repo.join("alembic"))
        .env("DATABASE_URL", live.replacen("postgres://", "postgresql://", 1))
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let spec = format!("path: alembic/migrations\napply: off\ndrift: {{ url: \"{live}\" }}\n");
    let o = run_migrations(&repo, &spec);
    assert_eq!(o.status, Status::Pass, "{}", o.reason);
    let pending = o.measurements.iter().find(|m| m.name == "pending_migrations").unwrap();
    assert_eq!(pending.value, 2.0);
    assert!(o.locations.iter().any(|l| l.rule.as_deref() == Some("pending")
        && l.message.as_deref().unwrap().contains("1a2b3c4d0003, 1a2b3c4d0004")));
    let o = run_migrations(
        &repo,
        &format!(
            "path: alembic/migrations\napply: off\ndrift: {{ url: \"{live}\", pending: fail }}\n"
        ),
    );
    assert_eq!(o.status, Status::Fail);
    let mut c = postgres::Client::connect(&live, postgres::NoTls).unwrap();
    c.batch_execute("UPDATE alembic_version SET version_num = 'ffff0000dead'").unwrap();
    let o = run_migrations(&repo, &spec);
    assert_eq!(o.status, Status::Fail);
    assert!(
        o.reason.contains("ffff0000dead is applied in the database but not in the repository"),
        "{}",
        o.reason
    );
    // Read-only: the probe changed nothing.
    let v: String = c.query_one("SELECT version_num FROM alembic_version", &[]).unwrap().get(0);
    assert_eq!(v, "ffff0000dead");
    drop(c);
    admin.batch_execute(&format!("DROP DATABASE {db} WITH (FORCE)")).unwrap();
}

/// `java` for the Flyway checksum peer (tests/peers/FlywayChecksum.java): SKIP locally, a
/// failure on CI.
fn java() -> Option<&'static str> {
    let ok = std::process::Command::new("java")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some("java");
    }
    if std::env::var_os("CI").is_some() {
        panic!("java (JDK 11+) is required on CI for the Flyway checksum peer");
    }
    eprintln!("SKIP: no java on PATH (the Flyway checksum peer needs a JDK 11+)");
    None
}

#[test]
fn flyway_drift_compares_checksums_computed_by_the_jvm() {
    let Some(url) = pg() else { return };
    let Some(java) = java() else { return };
    let repo = scratch_dir("flyway-drift");
    let dir = repo.join("db/migration");
    std::fs::create_dir_all(&dir).unwrap();
    // A BOM and CRLF line endings (Windows editors) in one file, a lone CR in the other.
    std::fs::write(
        dir.join("V1__create_people.sql"),
        "\u{feff}CREATE TABLE people (id int);\r\n\r\nCREATE INDEX ON people (id);\r\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("V1_1__add_email.sql"),
        "SET lock_timeout = '2s';\rALTER TABLE people ADD email text;\n",
    )
    .unwrap();
    std::fs::write(dir.join("V2__later.sql"), "SELECT 2;\n").unwrap();
    let peer = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/FlywayChecksum.java");
    let out = std::process::Command::new(java)
        .arg(&peer)
        .arg(dir.join("V1__create_people.sql"))
        .arg(dir.join("V1_1__add_email.sql"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sums: Vec<i32> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| l.parse().unwrap()).collect();
    // The "production" ledger, with Flyway's own table layout: 1 and 1.1 applied, 2 pending.
    let db = format!("readyctl_flyway_{}", std::process::id());
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db}")).unwrap();
    admin.batch_execute(&format!("CREATE DATABASE {db}")).unwrap();
    let live = readyctl::db::with_dbname(&url, &db);
    let mut c = postgres::Client::connect(&live, postgres::NoTls).unwrap();
    c.batch_execute(
        "CREATE TABLE flyway_schema_history (installed_rank INT NOT NULL PRIMARY KEY, \
         version VARCHAR(50), description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL, \
         script VARCHAR(1000) NOT NULL, checksum INT, installed_by VARCHAR(100) NOT NULL, \
         installed_on TIMESTAMP NOT NULL DEFAULT now(), execution_time INT NOT NULL, \
         success BOOLEAN NOT NULL)",
    )
    .unwrap();
    for (rank, (version, script)) in
        [("1", "V1__create_people.sql"), ("1.1", "V1_1__add_email.sql")].iter().enumerate()
    {
        c.execute(
            "INSERT INTO flyway_schema_history VALUES ($1, $2, 'm', 'SQL', $3, $4, 'ci', now(), 3, true)",
            &[&(rank as i32 + 1), version, script, &sums[rank]],
        )
        .unwrap();
    }
    let spec = format!("path: db/migration\napply: off\ndrift: {{ url: \"{live}\" }}\n");
    let o = run_migrations(&repo, &spec);
    assert_eq!(o.status, Status::Pass, "{}", o.reason);
    let pending = o.measurements.iter().find(|m| m.name == "pending_migrations").unwrap();
    assert_eq!(pending.value, 1.0);
    // Line endings are not a change for Flyway, and not for readyctl.
    let v1 = dir.join("V1__create_people.sql");
    let text = std::fs::read_to_string(&v1).unwrap();
    std::fs::write(&v1, text.replace("\r\n", "\n")).unwrap();
    let o = run_migrations(&repo, &spec);
    assert_eq!(o.status, Status::Pass, "{}", o.reason);
    // Editing an applied migration is.
    std::fs::write(&v1, text.replace("(id int);", "(id int, name text);")).unwrap();
    let o = run_migrations(&repo, &spec);
    assert_eq!(o.status, Status::Fail);
    assert!(o.reason.contains("checksum"), "{}", o.reason);
    let mismatch: Vec<&str> = o
        .locations
        .iter()
        .filter(|l| l.rule.as_deref() == Some("checksum-mismatch"))
        .map(|l| l.path.as_str())
        .collect();
    assert_eq!(mismatch, ["db/migration/V1__create_people.sql"]);
    drop(c);
    admin.batch_execute(&format!("DROP DATABASE {db} WITH (FORCE)")).unwrap();
}

// ---------- Rails, Liquibase, Knex, TypeORM, refinery, Django/Knex/Prisma commands ----------

#[test]
fn rails_fixture_duplicate_version_and_irreversible_migration() {
    let o = run_migrations(&fixtures().join("rails"), "path: db/migrate\nmissing_down: warn\n");
    assert_eq!(o.status, Status::Fail, "{}", o.reason);
    let r = rules(&o);
    assert!(r.iter().any(|(id, _)| id == "duplicate-version"), "{r:?}");
    let missing: Vec<&str> = o
        .locations
        .iter()
        .filter(|l| l.rule.as_deref() == Some("missing-down"))
        .map(|l| l.path.as_str())
        .collect();
    assert_eq!(missing, ["db/migrate/20240303090000_backfill_user_names.rb"], "{r:?}");
    let s = artifact_json(&o, "summary.json");
    assert_eq!(s["framework"], "rails");
    // Without the duplicate the set passes; without a database the Rails commands are not
    // run, and that is said.
    let repo = scratch_dir("rails");
    copy_dir(&fixtures().join("rails"), &repo);
    std::fs::remove_file(repo.join("db/migrate/20240303090000_add_role_to_users.rb")).unwrap();
    let o = run_migrations(&repo, "{}");
    assert_eq!(o.status, Status::Error, "{}", o.reason);
    assert!(
        o.reason.contains("not applied: set `database_url` to run the rails commands"),
        "{}",
        o.reason
    );
}

/// Ruby with Rails' railties, Active Record and the pg gem on PATH (Debian: `apt-get install
/// ruby-railties ruby-activerecord ruby-pg`; `.ci/run` installs them): `false` with a SKIP line
/// locally, a panic on CI.
fn rails_on_path() -> bool {
    let ok = std::process::Command::new("ruby")
        .args(["-e", "require 'rails'; require 'active_record'; require 'pg'"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var_os("CI").is_some() {
            panic!("ruby with rails, activerecord and pg is not on PATH on CI");
        }
        eprintln!(
            "SKIP: no ruby with rails, activerecord and pg on PATH (apt-get install ruby-railties ruby-activerecord ruby-pg)"
        );
    }
    ok
}

fn rails_repo(name: &str) -> Scratch {
    let repo = scratch_dir(name);
    copy_dir(&fixtures().join("rails"), &repo);
    // Rails refuses a set with a duplicate version; the integrity test above covers that.
    std::fs::remove_file(repo.join("db/migrate/20240303090000_add_role_to_users.rb")).unwrap();
    repo
}

#[test]
fn rails_real_db_migrate_and_version_0_on_postgres_check_schema_migrations() {
    let Some(url) = pg() else { return };
    if !rails_on_path() {
        return;
    }
    // Round trip with the default commands (`bin/rails db:migrate`, `… VERSION=0`), once the
    // irreversible backfill is gone.
    let repo = rails_repo("rails-pg");
    std::fs::remove_file(repo.join("db/migrate/20240303090000_backfill_user_names.rb")).unwrap();
    let o = run_migrations(&repo, &format!("database_url: {url}\nlint: false\n"));
    assert_eq!(o.status, Status::Pass, "{}", o.reason);
    assert!(o.reason.contains("rails's commands: upgrade, downgrade, upgrade"), "{}", o.reason);
    let text = artifact_json(&o, "schema.json").to_string();
    assert!(text.contains("users") && text.contains("email"), "{text}");
    let s = artifact_json(&o, "summary.json");
    let cmds: Vec<&str> =
        s["commands"].as_array().unwrap().iter().map(|c| c["command"].as_str().unwrap()).collect();
    assert_eq!(
        cmds,
        [
            "bin/rails db:migrate",
            "bin/rails db:migrate VERSION=0",
            "bin/rails db:migrate",
            "bin/rails db:migrate"
        ]
    );
    let db = s["apply"]["database"].as_str().unwrap().to_string();
    assert!(!database_exists(&url, &db), "scratch database {db} dropped");
    // The fixture's irreversible migration: `db:migrate VERSION=0` fails at it.
    let repo = rails_repo("rails-pg-irreversible");
    let o = run_migrations(&repo, &format!("database_url: {url}\nlint: false\n"));
    assert_eq!(o.status, Status::Fail, "{}", o.reason);
    assert!(
        o.reason
            .contains("`bin/rails db:migrate VERSION=0` exited with 1 at migration 20240303090000")
            && o.reason.contains("IrreversibleMigration"),
        "{}",
        o.reason
    );
    // No bin/rails: an error saying what is missing, not a failure.
    std::fs::remove_file(repo.join("bin/rails")).unwrap();
    let o = run_migrations(&repo, &format!("database_url: {url}\nlint: false\n"));
    assert_eq!(o.status, Status::Error, "{}", o.reason);
    assert!(o.reason.contains("no bin/rails in ."), "{}", o.reason);
}

#[test]
fn liquibase_changesets_apply_and_roll_back_on_sqlite() {
    let o = run_migrations(&fixtures().join("liquibase"), "path: .\napply: sqlite\nlint: false\n");
    assert_eq!(o.status, Status::Pass, "{}", o.reason);
    assert!(o.reason.contains("up/down/up round trip"), "{}", o.reason);
    let s = artifact_json(&o, "summary.json");
    assert_eq!(s["framework"], "liquibase");
    let steps: Vec<(String, String)> = s["apply"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|st| (st["phase"].as_str().unwrap().into(), st["version"].as_str().unwrap().into()))
        .collect();
    let downs: Vec<&str> =
        steps.iter().filter(|(p, _)| p == "down").map(|(_, v)| v.as_str()).collect();
    assert_eq!(downs, ["bob:3", "alice:2", "alice:1"], "rollbacks in reverse changeset order");
    // Lint findings point at lines of the changelog file.
    let o = run_migrations(&fixtures().join("liquibase"), "path: .\napply: off\nlint_scope: all\n");
    let lines: Vec<u64> = o.locations.iter().filter_map(|l| l.line).collect();
    assert!(lines.iter().all(|l| (4..=15).contains(l)) && !lines.is_empty(), "{lines:?}");
    // A changeset without --rollback is a missing down at the configured level.
    let repo = scratch_dir("liquibase");
    copy_dir(&fixtures().join("liquibase"), &repo);
    let p = repo.join("changelog.sql");
    let text = std::fs::read_to_string(&p)
        .unwrap()
        .replace("--rollback ALTER TABLE users DROP COLUMN email;\n", "");
    std::fs::write(&p, text).unwrap();
    let o = run_migrations(&repo, "path: .\napply: off\nlint: false\nmissing_down: fail\n");
    assert_eq!(o.status, Status::Fail, "{}", o.reason);
    assert!(o.reason.contains("alice:2"), "{}", o.reason);
}

#[test]
fn typeorm_and_refinery_fixtures() {
    let o =
        run_migrations(&fixtures().join("typeorm"), "path: src/migration\nmissing_down: fail\n");
    assert_eq!(o.status, Status::Fail, "{}", o.reason);
    assert!(o.reason.contains("1795302883836 (AddUsersEmail) has no down"), "{}", o.reason);
    let o = run_migrations(&fixtures().join("typeorm"), "path: src/migration\n");
    assert_eq!(o.status, Status::Error, "{}", o.reason);
    assert!(
        o.reason.contains("typeorm migrations consistent, lint clean; not applied"),
        "{}",
        o.reason
    );
    assert_eq!(artifact_json(&o, "summary.json")["framework"], "typeorm");

    let o = run_migrations(&fixtures().join("refinery"), "apply: off\n");
    assert_eq!(o.status, Status::Fail, "{}", o.reason);
    assert!(o.reason.contains("version 2 is used by both"), "{}", o.reason);
    assert_eq!(artifact_json(&o, "summary.json")["framework"], "refinery");
}

/// A scratch copy of a Node fixture, with `node_modules` linked in when given.
fn node_repo(fixture: &str, name: &str, node_modules: Option<&str>) -> Scratch {
    let repo = scratch_dir(name);
    copy_dir(&fixtures().join(fixture), &repo);
    if let Some(nm) = node_modules {
        std::os::unix::fs::symlink(nm, repo.join("node_modules")).unwrap();
    }
    repo
}

fn knex_repo(name: &str, node_modules: Option<&str>) -> Scratch {
    node_repo("knex", name, node_modules)
}

#[test]
fn knex_without_knex_installed_is_an_error_naming_what_to_install() {
    let Some(url) = pg() else { return };
    let repo = knex_repo("knex-missing", None);
    let o = run_migrations(&repo, &format!("database_url: {url}\n"));
    assert_eq!(o.status, Status::Error, "{}", o.reason);
    assert!(o.reason.contains("npm install knex pg"), "{}", o.reason);
    // Without a database the commands are not run: the check could not apply them (error),
    // and the reason says what it did verify and what to set.
    let o = run_migrations(&repo, "{}");
    assert_eq!(o.status, Status::Error, "{}", o.reason);
    assert!(o.reason.contains("consistent"), "{}", o.reason);
    assert!(o.reason.contains("set `database_url`"), "{}", o.reason);
}

#[test]
fn knex_real_commands_on_postgres_check_knex_migrations() {
    let Some(url) = pg() else { return };
    let Some(nm) = peer(
        "READYCTL_TEST_NODE_MODULES",
        "node_modules with knex and pg (scripts/install-node-test-deps.sh)",
    ) else {
        return;
    };
    let repo = knex_repo("knex-pg", Some(&nm));
    let o = run_migrations(&repo, &format!("database_url: {url}\n"));
    assert_eq!(o.status, Status::Pass, "{}", o.reason);
    assert!(o.reason.contains("knex's commands: upgrade, downgrade, upgrade"), "{}", o.reason);
    let schema = artifact_json(&o, "schema.json");
    let text = schema.to_string();
    assert!(text.contains("users") && text.contains("email"), "{text}");
    let s = artifact_json(&o, "summary.json");
    assert_eq!(s["commands"].as_array().unwrap().len(), 4, "{s}");
    let db = s["apply"]["database"].as_str().unwrap().to_string();
    assert!(!database_exists(&url, &db), "scratch database {db} dropped");
    // A down that does not undo its up: the table stays, the second upgrade fails.
    let p = repo.join("migrations/20261121231417_create_users.js");
    let t = std::fs::read_to_string(&p)
        .unwrap()
        .replace("return knex.schema.dropTable('users');", "return knex.raw('SELECT 1');");
    std::fs::write(&p, t).unwrap();
    let o = run_migrations(&repo, &format!("database_url: {url}\n"));
    assert_eq!(o.status, Status::Fail, "{}", o.reason);
    assert!(
        o.reason.contains("migrate:latest") && o.reason.contains("exited with"),
        "{}",
        o.reason
    );
}

fn typeorm_repo(name: &str, node_modules: Option<&str>) -> Scratch {
    node_repo("typeorm", name, node_modules)
}

#[test]
fn typeorm_without_typeorm_installed_is_an_error_naming_what_to_install() {
    let Some(url) = pg() else { return };
    let repo = typeorm_repo("typeorm-missing", None);
    let o = run_migrations(&repo, &format!("path: src/migration\ndatabase_url: {url}\n"));
    assert_eq!(o.status, Status::Error, "{}", o.reason);
    assert!(
        o.reason.contains("npm install typeorm pg") && o.reason.contains("ts-node typescript"),
        "{}",
        o.reason
    );
    // No data source anywhere: say which files were looked for and the field to set.
    std::fs::remove_file(repo.join("src/data-source.ts")).unwrap();
    let o = run_migrations(&repo, &format!("path: src/migration\ndatabase_url: {url}\n"));
    assert_eq!(o.status, Status::Error, "{}", o.reason);
    assert!(o.reason.contains("set `commands.data_source`"), "{}", o.reason);
}

#[test]
fn typeorm_real_commands_on_postgres_check_migrations_table() {
    let Some(url) = pg() else { return };
    let Some(nm) = peer(
        "READYCTL_TEST_NODE_MODULES",
        "node_modules with typeorm, ts-node, typescript and pg (scripts/install-node-test-deps.sh)",
    ) else {
        return;
    };
    let repo = typeorm_repo("typeorm-pg", Some(&nm));
    let spec = format!("path: src/migration\ndatabase_url: {url}\n");
    let o = run_migrations(&repo, &spec);
    assert_eq!(o.status, Status::Pass, "{}", o.reason);
    assert!(o.reason.contains("typeorm's commands: upgrade, downgrade, upgrade"), "{}", o.reason);
    let text = artifact_json(&o, "schema.json").to_string();
    assert!(text.contains("users") && text.contains("email"), "{text}");
    let s = artifact_json(&o, "summary.json");
    let cmds: Vec<&str> =
        s["commands"].as_array().unwrap().iter().map(|c| c["command"].as_str().unwrap()).collect();
    assert_eq!(cmds.len(), 4, "{cmds:?}");
    assert_eq!(
        cmds[0],
        "npx --no-install typeorm-ts-node-commonjs migration:run -d src/data-source.ts"
    );
    assert!(cmds[1].contains("seq 2") && cmds[1].contains("migration:revert"), "{}", cmds[1]);
    let db = s["apply"]["database"].as_str().unwrap().to_string();
    assert!(!database_exists(&url, &db), "scratch database {db} dropped");
    // A broken down: the second revert (CreateUsers) fails, and the reason names it.
    let p = repo.join("src/migration/1795302868234-CreateUsers.ts");
    let t = std::fs::read_to_string(&p)
        .unwrap()
        .replace(r#"DROP TABLE "users""#, r#"DROP TABLE "no_such_table""#);
    std::fs::write(&p, t).unwrap();
    let o = run_migrations(&repo, &spec);
    assert_eq!(o.status, Status::Fail, "{}", o.reason);
    assert!(
        o.reason.contains("exited with 1 at migration 1795302868234 (CreateUsers)")
            && o.reason.contains("no_such_table"),
        "{}",
        o.reason
    );
    // The data source is configurable: the same project with it moved and named explicitly.
    let repo = typeorm_repo("typeorm-pg-ds", Some(&nm));
    std::fs::create_dir_all(repo.join("db")).unwrap();
    let ds = std::fs::read_to_string(repo.join("src/data-source.ts"))
        .unwrap()
        .replace(r#"__dirname + "/migration/*.ts""#, r#"__dirname + "/../src/migration/*.ts""#);
    std::fs::write(repo.join("db/orm.ts"), ds).unwrap();
    std::fs::remove_file(repo.join("src/data-source.ts")).unwrap();
    let o = run_migrations(
        &repo,
        &format!(
            "path: src/migration\ndatabase_url: {url}\ncommands: {{ data_source: db/orm.ts }}\n"
        ),
    );
    assert_eq!(o.status, Status::Pass, "{}", o.reason);
}

#[test]
fn django_real_migrate_and_zero_on_postgres_check_django_migrations() {
    let Some(url) = pg() else { return };
    let Some(py) = peer("READYCTL_TEST_PYTHON", "python with Django") else { return };
    let repo = scratch_dir("django-pg");
    copy_dir(&fixtures().join("django"), &repo);
    let spec = format!(
        "path: shop\ndatabase_url: {url}\ncommands:\n  upgrade: {py} manage.py migrate --noinput\n  downgrade: {py} manage.py migrate shop zero --noinput\n"
    );
    let o = run_migrations(&repo, &spec);
    assert_eq!(o.status, Status::Pass, "{}", o.reason);
    assert!(o.reason.contains("django's commands"), "{}", o.reason);
    let text = artifact_json(&o, "schema.json").to_string();
    assert!(text.contains("shop_item") && text.contains("sku"), "{text}");
    // A downgrade that does not unapply: django_migrations still records shop's migrations.
    let spec = format!(
        "path: shop\ndatabase_url: {url}\ncommands:\n  upgrade: {py} manage.py migrate --noinput\n  downgrade: {py} manage.py migrate shop 0001 --noinput\n"
    );
    let o = run_migrations(&repo, &spec);
    assert_eq!(o.status, Status::Fail, "{}", o.reason);
    assert!(o.reason.contains("django_migrations still records shop.0001_initial"), "{}", o.reason);
}

#[test]
fn django_settings_that_ignore_database_url_still_migrate_only_the_scratch_database() {
    let Some(url) = pg() else { return };
    let Some(py) = peer("READYCTL_TEST_PYTHON", "python with Django") else { return };
    let repo = scratch_dir("django-own-db");
    copy_dir(&fixtures().join("django"), &repo);
    // The stock settings: DATABASES is a SQLite file in the project, DATABASE_URL unread.
    let settings = repo.join("site_cfg/settings.py");
    let text = std::fs::read_to_string(&settings).unwrap();
    let cut = text.find("# readyctl fixture: DATABASE_URL").unwrap();
    std::fs::write(&settings, &text[..cut]).unwrap();
    let spec = format!(
        "path: shop\ndatabase_url: {url}\ncommands:\n  upgrade: {py} manage.py migrate --noinput\n  downgrade: {py} manage.py migrate shop zero --noinput\n"
    );
    let o = run_migrations(&repo, &spec);
    assert_eq!(o.status, Status::Pass, "{}", o.reason);
    assert!(!repo.join("db.sqlite3").exists(), "the project's own database was created");
    // A command that names its own settings module escapes the shim: found out, an error.
    let spec = format!(
        "path: shop\ndatabase_url: {url}\ncommands:\n  upgrade: DJANGO_SETTINGS_MODULE=site_cfg.settings {py} manage.py migrate --noinput\n  downgrade: {py} manage.py migrate shop zero --noinput\n"
    );
    let o = run_migrations(&repo, &spec);
    assert_eq!(o.status, Status::Error, "{}", o.reason);
    assert!(o.reason.contains("inside the repository (db.sqlite3)"), "{}", o.reason);
}

#[test]
fn prisma_commands_ledger_check_against_a_ledger_table() {
    // No Prisma engines can be downloaded here: the ledger check runs against a
    // `_prisma_migrations` table the override command writes with Prisma's documented columns.
    let Some(url) = pg() else { return };
    let Some(py) = peer("READYCTL_TEST_PYTHON", "python with psycopg2") else { return };
    let repo = scratch_dir("prisma-ledger");
    for (f, c) in [
        (
            "prisma/schema.prisma",
            "datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\n",
        ),
        ("prisma/migrations/migration_lock.toml", "provider = \"postgresql\"\n"),
        ("prisma/migrations/20240101000000_init/migration.sql", "CREATE TABLE t (a int);\n"),
        (
            "prisma/migrations/20240102000000_more/migration.sql",
            "ALTER TABLE t ADD COLUMN b int;\n",
        ),
    ] {
        let p = repo.join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, c).unwrap();
    }
    let script = |names: &str| {
        format!(
            "{py} -c \"import os, psycopg2; c = psycopg2.connect(os.environ['DATABASE_URL']); c.autocommit = True; k = c.cursor(); k.execute('CREATE TABLE IF NOT EXISTS _prisma_migrations (id varchar(36) PRIMARY KEY, checksum varchar(64), finished_at timestamptz, migration_name varchar(255), logs text, rolled_back_at timestamptz, started_at timestamptz NOT NULL DEFAULT now(), applied_steps_count int NOT NULL DEFAULT 0)'); [k.execute('INSERT INTO _prisma_migrations (id, migration_name, finished_at) SELECT %s, %s, now() WHERE NOT EXISTS (SELECT 1 FROM _prisma_migrations WHERE migration_name = %s)', (n, n, n)) for n in '{names}'.split()]\""
        )
    };
    let spec = |names: &str| {
        format!("database_url: {url}\nlint: false\ncommands:\n  upgrade: {:?}\n", script(names))
    };
    let o = run_migrations(&repo, &spec("20240101000000_init 20240102000000_more"));
    assert_eq!(o.status, Status::Pass, "{}", o.reason);
    assert!(o.reason.contains("prisma's commands: upgrade and a no-op upgrade"), "{}", o.reason);
    let o = run_migrations(&repo, &spec("20240101000000_init"));
    assert_eq!(o.status, Status::Fail, "{}", o.reason);
    assert!(
        o.reason.contains("_prisma_migrations does not record 20240102000000_more"),
        "{}",
        o.reason
    );
    // Default command without prisma installed: error naming what to install.
    let o = run_migrations(&repo, &format!("database_url: {url}\nlint: false\ncommands: {{}}\n"));
    assert_eq!(o.status, Status::Error, "{}", o.reason);
    assert!(o.reason.contains("npm install prisma"), "{}", o.reason);
}

// ---------- D25: lint scope — released migrations do not block ----------

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (p, text) in files {
        let path = dir.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

fn lint_paths(o: &ProbeOutcome) -> Vec<String> {
    let mut v: Vec<String> =
        o.locations.iter().filter(|l| l.rule.is_some()).map(|l| l.path.clone()).collect();
    v.dedup();
    v
}

fn measurement(o: &ProbeOutcome, name: &str) -> Option<f64> {
    o.measurements.iter().find(|m| m.name == name).map(|m| m.value)
}

const RELEASED: &[(&str, &str)] = &[
    ("db/000001_drop_legacy.up.sql", "DROP TABLE legacy;\n"),
    ("db/000001_drop_legacy.down.sql", "CREATE TABLE legacy (id integer);\n"),
    ("db/000002_notes.up.sql", "CREATE TABLE notes (id integer PRIMARY KEY);\n"),
    ("db/000002_notes.down.sql", "DROP TABLE notes;\n"),
];
const NEW: &[(&str, &str)] = &[
    ("db/000003_drop_old.up.sql", "DROP TABLE old_orders;\n"),
    ("db/000003_drop_old.down.sql", "CREATE TABLE old_orders (id integer);\n"),
];

#[test]
fn lint_findings_in_released_migrations_are_evidence_not_blocking_in_a_git_repo() {
    let t = tempfile::tempdir().unwrap();
    let repo = t.path();
    assert!(crate::support::git(repo, &["init", "-q", "-b", "main"]).status.success());
    write(repo, RELEASED);
    crate::support::git(repo, &["add", "."]);
    assert!(crate::support::git(repo, &["commit", "-qm", "released"]).status.success());
    let spec = "path: db\napply: off\n";

    // On main, everything is released: the 2021-style finding is visible but does not block.
    let o = run_migrations(repo, spec);
    assert_eq!(o.status, Status::Pass, "{}", o.reason);
    assert!(
        o.reason.contains("2 lint finding(s) in released migrations not counted"),
        "{}",
        o.reason
    );
    assert!(o.reason.contains("merge-base"), "{}", o.reason);
    assert_eq!(measurement(&o, "lint_released"), Some(2.0));
    assert_eq!(measurement(&o, "lint_findings"), Some(0.0));
    let s = artifact_json(&o, "summary.json");
    let released = s["lint"]["released_findings"].as_array().unwrap();
    assert!(released.iter().all(|f| f["path"] == "db/000001_drop_legacy.up.sql"), "{released:?}");
    assert!(released.iter().any(|f| f["rule"] == "drop-table"), "{released:?}");

    // A new migration on a branch, uncommitted (untracked): its finding blocks, the old one not.
    crate::support::git(repo, &["checkout", "-qb", "feature"]);
    write(repo, NEW);
    let o = run_migrations(repo, spec);
    assert_eq!(o.status, Status::Fail, "{}", o.reason);
    assert_eq!(lint_paths(&o), ["db/000003_drop_old.up.sql"]);
    // Committed on the branch: still unreleased (changed since the merge-base with main).
    crate::support::git(repo, &["add", "."]);
    assert!(crate::support::git(repo, &["commit", "-qm", "new"]).status.success());
    let o = run_migrations(repo, spec);
    assert_eq!(o.status, Status::Fail, "{}", o.reason);
    assert_eq!(lint_paths(&o), ["db/000003_drop_old.up.sql"]);
    // An edit to a released migration on the branch brings it back into scope.
    std::fs::write(repo.join("db/000001_drop_legacy.up.sql"), "DROP TABLE legacy;\n-- edited\n")
        .unwrap();
    let o = run_migrations(repo, spec);
    assert_eq!(o.status, Status::Fail, "{}", o.reason);
    assert_eq!(lint_paths(&o), ["db/000001_drop_legacy.up.sql", "db/000003_drop_old.up.sql"]);
    crate::support::git(repo, &["checkout", "--", "."]);

    // lint_scope: all counts every migration.
    let o = run_migrations(repo, "path: db\napply: off\nlint_scope: all\n");
    assert_eq!(o.status, Status::Fail, "{}", o.reason);
    assert_eq!(lint_paths(&o), ["db/000001_drop_legacy.up.sql", "db/000003_drop_old.up.sql"]);
}

#[test]
fn lint_scope_follows_the_lock_file_then_falls_back_to_the_newest_migration() {
    // No git: only the newest migration's findings count.
    let repo = scratch_dir("lint-scope-nogit");
    write(&repo, RELEASED);
    let o = run_migrations(&repo, "path: db\napply: off\n");
    assert_eq!(o.status, Status::Pass, "{}", o.reason);
    assert!(o.reason.contains("the newest migration"), "{}", o.reason);
    write(&repo, NEW);
    let o = run_migrations(&repo, "path: db\napply: off\n");
    assert_eq!(o.status, Status::Fail, "{}", o.reason);
    assert_eq!(lint_paths(&o), ["db/000003_drop_old.up.sql"]);

    // A lock file decides: locked migrations are released, the rest is not.
    let spec: migrations::Spec = serde_yaml::from_str("path: db\napply: off\n").unwrap();
    let evidence = scratch_dir("lint-scope-evidence");
    let ctx = ProbeContext {
        repo: &repo,
        check_id: "x",
        evidence_dir: &evidence,
        run_started: SystemTime::now(),
        deadline: Instant::now() + Duration::from_secs(30),
        cancel: &CANCEL,
        output_filter: None,
    };
    std::fs::remove_file(repo.join("db/000003_drop_old.up.sql")).unwrap();
    std::fs::remove_file(repo.join("db/000003_drop_old.down.sql")).unwrap();
    // Lock only 000001, then add 000002 and 000003 (not locked, so unreleased).
    std::fs::remove_file(repo.join("db/000002_notes.up.sql")).unwrap();
    std::fs::remove_file(repo.join("db/000002_notes.down.sql")).unwrap();
    migrations::write_lock(&spec, &ctx).unwrap();
    write(&repo, &RELEASED[2..]);
    write(&repo, NEW);
    let o = run_migrations(&repo, "path: db\napply: off\n");
    assert_eq!(o.status, Status::Fail, "{}", o.reason);
    assert!(o.reason.contains("not in db/migrations.lock"), "{}", o.reason);
    // 000003's finding counts; 000001's (locked) is evidence only.
    assert_eq!(lint_paths(&o), ["db/000003_drop_old.up.sql"]);
    assert_eq!(measurement(&o, "lint_released"), Some(2.0));
}
