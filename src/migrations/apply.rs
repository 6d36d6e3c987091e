//! Applying a migration set to a scratch database: embedded SQLite, or a throwaway database
//! created on a PostgreSQL server and dropped at the end (also on failure).
//!
//! The sequence: every up in order, every down in reverse (when all have downs), every up
//! again, then a pass through the ledger that must apply nothing. The schema is dumped after
//! each phase: downs must restore the empty schema, the round trip must reproduce the first.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::detect::{Kind, Migration, MigrationSet};
use crate::db::{pg_connect, pg_error, redact_url_password, with_dbname};

/// A flat, diffable schema: `table:users` → ``, `column:users.email` → `text NOT NULL`, …
pub type Schema = BTreeMap<String, String>;

const LEDGER: &str = "readyctl_ledger";

/// A database the migrations run on.
pub trait ScratchDb {
    /// Runs a migration's SQL; `statements` are its statements one by one, used when it must
    /// run outside a transaction.
    fn run(&mut self, sql: &str, statements: &[String], in_transaction: bool)
    -> Result<(), String>;
    fn ledger_init(&mut self) -> Result<(), String>;
    fn ledger_contains(&mut self, version: &str) -> Result<bool, String>;
    fn ledger_insert(&mut self, version: &str) -> Result<(), String>;
    fn ledger_delete(&mut self, version: &str) -> Result<(), String>;
    fn schema(&mut self) -> Result<Schema, String>;
    fn engine(&self) -> &'static str;
}

/// Time of one migration step.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub phase: &'static str,
    pub version: String,
    pub file: String,
    pub ms: f64,
}

/// What applying found.
#[derive(Debug, Clone, Serialize)]
pub struct ApplyReport {
    pub engine: &'static str,
    /// The scratch database's name (PostgreSQL), dropped at the end.
    pub database: Option<String>,
    pub steps: Vec<Step>,
    /// `None` when the round trip ran; otherwise why not.
    pub round_trip_skipped: Option<String>,
    /// Migrations the ledger pass applied (must be 0).
    pub reapplied: usize,
    pub schema: Schema,
    /// The first problem: a failing migration or a schema mismatch. `None` = all good.
    pub failure: Option<String>,
}

fn statements(sql: &str) -> Vec<String> {
    match super::lint::split(sql) {
        Ok(chunks) => chunks.into_iter().map(|c| sql[c.range].to_string()).collect(),
        Err(_) => vec![sql.to_string()],
    }
}

fn ups(set: &MigrationSet) -> Vec<&Migration> {
    // A baseline is what already exists where it was introduced; a fresh database runs the
    // versioned migrations (Flyway applies B only on an empty database with no older V).
    set.migrations.iter().filter(|m| m.up.is_some() && m.kind != Kind::Baseline).collect()
}

fn up_pass(
    db: &mut dyn ScratchDb,
    set: &MigrationSet,
    phase: &'static str,
    steps: &mut Vec<Step>,
    deadline: Instant,
) -> Result<usize, String> {
    let mut applied = 0;
    for m in ups(set) {
        if Instant::now() > deadline {
            return Err("time budget exhausted while applying migrations".into());
        }
        // Repeatable migrations are keyed by name, re-run only when changed (never here).
        let key =
            if m.kind == Kind::Repeatable { format!("R:{}", m.name) } else { m.version.clone() };
        if db.ledger_contains(&key)? {
            continue;
        }
        let up = m.up.as_ref().expect("filtered on up");
        let t = Instant::now();
        db.run(&up.text, &statements(&up.text), m.in_transaction)
            .map_err(|e| format!("migration {} ({}) failed: {e}", m.version, up.path))?;
        db.ledger_insert(&key)?;
        steps.push(Step {
            phase,
            version: m.version.clone(),
            file: up.path.clone(),
            ms: t.elapsed().as_secs_f64() * 1000.0,
        });
        applied += 1;
    }
    Ok(applied)
}

fn diff(a: &Schema, b: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in a {
        match b.get(k) {
            None => out.push(format!("-{k}")),
            Some(w) if w != v => out.push(format!("~{k}")),
            _ => {}
        }
    }
    out.extend(b.keys().filter(|k| !a.contains_key(*k)).map(|k| format!("+{k}")));
    out
}

fn summary(d: &[String]) -> String {
    crate::text::first_few(d, 5, crate::text::More::And)
}

/// Applies the set: ups, downs in reverse, ups again, ledger pass.
pub fn apply(db: &mut dyn ScratchDb, set: &MigrationSet, deadline: Instant) -> ApplyReport {
    let mut report = ApplyReport {
        engine: db.engine(),
        database: None,
        steps: Vec::new(),
        round_trip_skipped: None,
        reapplied: 0,
        schema: Schema::new(),
        failure: None,
    };
    let result = (|| -> Result<(), String> {
        db.ledger_init()?;
        let empty = db.schema()?;
        up_pass(db, set, "up", &mut report.steps, deadline)?;
        let first = db.schema()?;
        report.schema = first.clone();
        let versioned: Vec<&Migration> =
            set.migrations.iter().filter(|m| m.kind == Kind::Versioned).collect();
        let without_down: Vec<&str> =
            versioned.iter().filter(|m| m.down.is_none()).map(|m| m.version.as_str()).collect();
        if !without_down.is_empty() || versioned.is_empty() {
            report.round_trip_skipped =
                Some(format!("{} migration(s) have no down", without_down.len()));
        } else if set.migrations.iter().any(|m| m.kind == Kind::Repeatable) {
            report.round_trip_skipped = Some("repeatable migrations have no down".into());
        } else {
            for m in versioned.iter().rev() {
                let down = m.down.as_ref().expect("checked above");
                let t = Instant::now();
                db.run(&down.text, &statements(&down.text), m.in_transaction).map_err(|e| {
                    format!("down migration {} ({}) failed: {e}", m.version, down.path)
                })?;
                db.ledger_delete(&m.version)?;
                report.steps.push(Step {
                    phase: "down",
                    version: m.version.clone(),
                    file: down.path.clone(),
                    ms: t.elapsed().as_secs_f64() * 1000.0,
                });
            }
            let after_down = db.schema()?;
            let d = diff(&empty, &after_down);
            if !d.is_empty() {
                return Err(format!(
                    "down migrations do not restore the empty schema: {}",
                    summary(&d)
                ));
            }
            up_pass(db, set, "up-again", &mut report.steps, deadline)?;
            let again = db.schema()?;
            let d = diff(&first, &again);
            if !d.is_empty() {
                return Err(format!(
                    "schema after down and up again differs from the first up: {}",
                    summary(&d)
                ));
            }
        }
        report.reapplied = up_pass(db, set, "ledger", &mut report.steps, deadline)?;
        let last = db.schema()?;
        let d = diff(&first, &last);
        if report.reapplied > 0 || !d.is_empty() {
            return Err(format!(
                "re-applying is not a no-op: {} migration(s) ran again, schema changes: {}",
                report.reapplied,
                summary(&d)
            ));
        }
        Ok(())
    })();
    if let Err(e) = result {
        report.failure = Some(e);
    }
    report
}

/// Embedded SQLite in memory.
pub struct Sqlite {
    conn: rusqlite::Connection,
}

impl Sqlite {
    pub fn in_memory() -> Result<Self, String> {
        let conn = rusqlite::Connection::open_in_memory()
            .map_err(|e| format!("cannot open SQLite: {e}"))?;
        Ok(Sqlite { conn })
    }
}

impl ScratchDb for Sqlite {
    fn run(
        &mut self,
        sql: &str,
        statements: &[String],
        in_transaction: bool,
    ) -> Result<(), String> {
        if in_transaction {
            let tx = self.conn.transaction().map_err(|e| e.to_string())?;
            tx.execute_batch(sql).map_err(|e| e.to_string())?;
            tx.commit().map_err(|e| e.to_string())
        } else {
            for s in statements {
                self.conn.execute_batch(s).map_err(|e| e.to_string())?;
            }
            Ok(())
        }
    }
    fn ledger_init(&mut self) -> Result<(), String> {
        self.conn
            .execute_batch(&format!(
                "CREATE TABLE IF NOT EXISTS {LEDGER} (version TEXT PRIMARY KEY)"
            ))
            .map_err(|e| e.to_string())
    }
    fn ledger_contains(&mut self, version: &str) -> Result<bool, String> {
        self.conn
            .query_row(
                &format!("SELECT count(*) FROM {LEDGER} WHERE version = ?1"),
                [version],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(|e| e.to_string())
    }
    fn ledger_insert(&mut self, version: &str) -> Result<(), String> {
        self.conn
            .execute(&format!("INSERT INTO {LEDGER} (version) VALUES (?1)"), [version])
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
    fn ledger_delete(&mut self, version: &str) -> Result<(), String> {
        self.conn
            .execute(&format!("DELETE FROM {LEDGER} WHERE version = ?1"), [version])
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
    fn schema(&mut self) -> Result<Schema, String> {
        sqlite_schema(&self.conn)
    }
    fn engine(&self) -> &'static str {
        "sqlite"
    }
}

/// Tables, columns, indexes and views of a SQLite database (ledgers excluded).
pub fn sqlite_schema(conn: &rusqlite::Connection) -> Result<Schema, String> {
    let e = |e: rusqlite::Error| e.to_string();
    let mut out = Schema::new();
    let mut stmt = conn
        .prepare("SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
        .map_err(e)?;
    let rows: Vec<(String, String, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .map_err(e)?
        .collect::<Result<_, _>>()
        .map_err(e)?;
    for (kind, name, table, sql) in rows {
        if table == LEDGER || table == "alembic_version" {
            continue;
        }
        out.insert(format!("{kind}:{name}"), sql);
        if kind == "table" {
            let mut cols = conn
                .prepare(&format!("PRAGMA table_info(\"{}\")", name.replace('"', "\"\"")))
                .map_err(e)?;
            let cols: Vec<(String, String, bool, Option<String>)> = cols
                .query_map([], |r| Ok((r.get(1)?, r.get(2)?, r.get::<_, i64>(3)? != 0, r.get(4)?)))
                .map_err(e)?
                .collect::<Result<_, _>>()
                .map_err(e)?;
            for (col, ty, notnull, default) in cols {
                let mut v = ty;
                if notnull {
                    v.push_str(" NOT NULL");
                }
                if let Some(d) = default {
                    v.push_str(&format!(" DEFAULT {d}"));
                }
                out.insert(format!("column:{name}.{col}"), v);
            }
        }
    }
    Ok(out)
}

/// A throwaway database on a PostgreSQL server; dropped when this value is dropped.
pub struct PgScratch {
    admin: postgres::Client,
    client: Option<postgres::Client>,
    pub dbname: String,
    /// URL of the scratch database (for framework tools), password included.
    pub url: String,
}

impl PgScratch {
    /// Creates `readyctl_scratch_<pid>_<nanos>` on the server of `url`.
    pub fn create(url: &str, timeout: Duration) -> Result<Self, String> {
        let mut admin = pg_connect(url, timeout)?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dbname = format!("readyctl_scratch_{}_{nanos}", std::process::id());
        admin.batch_execute(&format!("CREATE DATABASE \"{dbname}\"")).map_err(|e| {
            redact_url_password(url, &format!("cannot create scratch database: {}", pg_error(&e)))
        })?;
        let scratch_url = with_dbname(url, &dbname);
        let client = match pg_connect(&scratch_url, timeout) {
            Ok(c) => c,
            Err(e) => {
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{dbname}\""));
                return Err(e);
            }
        };
        Ok(PgScratch { admin, client: Some(client), dbname, url: scratch_url })
    }

    /// Closes the scratch connection (so a framework tool can be the only user, or the
    /// database can be dropped).
    pub fn disconnect(&mut self) {
        self.client = None;
    }

    pub fn client(&mut self) -> Result<&mut postgres::Client, String> {
        if self.client.is_none() {
            self.client = Some(pg_connect(&self.url, Duration::from_secs(10))?);
        }
        Ok(self.client.as_mut().expect("set above"))
    }
}

impl Drop for PgScratch {
    fn drop(&mut self) {
        self.client = None;
        // WITH (FORCE) (PostgreSQL 13+) ends sessions a failed framework tool may have left.
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.dbname);
        if self.admin.batch_execute(&sql).is_err() {
            let _ =
                self.admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{}\"", self.dbname));
        }
    }
}

fn pg_rows(client: &mut postgres::Client, sql: &str) -> Result<Vec<Vec<String>>, String> {
    let msgs = client.simple_query(sql).map_err(|e| pg_error(&e))?;
    Ok(msgs
        .into_iter()
        .filter_map(|m| match m {
            postgres::SimpleQueryMessage::Row(r) => {
                Some((0..r.len()).map(|i| r.get(i).unwrap_or("NULL").to_string()).collect())
            }
            _ => None,
        })
        .collect())
}

/// Tables, columns, indexes, constraints and enum values of a PostgreSQL database.
pub fn pg_schema(client: &mut postgres::Client) -> Result<Schema, String> {
    const SYS: &str = "('pg_catalog','information_schema','pg_toast')";
    let mut out = Schema::new();
    let skip = |t: &str| t == LEDGER || t == "alembic_version";
    for r in pg_rows(
        client,
        &format!("SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN {SYS}"),
    )? {
        if !skip(&r[1]) {
            out.insert(format!("table:{}.{}", r[0], r[1]), String::new());
        }
    }
    for r in pg_rows(
        client,
        &format!(
            "SELECT table_schema, table_name, column_name, data_type, is_nullable, coalesce(column_default, '') \
         FROM information_schema.columns WHERE table_schema NOT IN {SYS}"
        ),
    )? {
        if !skip(&r[1]) {
            let mut v = r[3].clone();
            if r[4] == "NO" {
                v.push_str(" NOT NULL");
            }
            if !r[5].is_empty() {
                v.push_str(&format!(" DEFAULT {}", r[5]));
            }
            out.insert(format!("column:{}.{}.{}", r[0], r[1], r[2]), v);
        }
    }
    for r in pg_rows(
        client,
        &format!(
            "SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes WHERE schemaname NOT IN {SYS}"
        ),
    )? {
        if !skip(&r[1]) {
            out.insert(format!("index:{}.{}", r[0], r[2]), r[3].clone());
        }
    }
    for r in pg_rows(
        client,
        &format!(
            "SELECT n.nspname, c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) \
         FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname NOT IN {SYS}"
        ),
    )? {
        if !skip(&r[1]) {
            out.insert(format!("constraint:{}.{}.{}", r[0], r[1], r[2]), r[3].clone());
        }
    }
    for r in pg_rows(
        client,
        &format!(
            "SELECT n.nspname, t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) \
         FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace \
         WHERE n.nspname NOT IN {SYS} GROUP BY 1, 2"
        ),
    )? {
        out.insert(format!("enum:{}.{}", r[0], r[1]), r[2].clone());
    }
    Ok(out)
}

impl ScratchDb for PgScratch {
    fn run(
        &mut self,
        sql: &str,
        statements: &[String],
        in_transaction: bool,
    ) -> Result<(), String> {
        let c = self.client()?;
        if in_transaction {
            let mut tx = c.transaction().map_err(|e| pg_error(&e))?;
            tx.batch_execute(sql).map_err(|e| pg_error(&e))?;
            tx.commit().map_err(|e| pg_error(&e))
        } else {
            // One statement per query: a multi-statement query is an implicit transaction,
            // in which CONCURRENTLY fails.
            for s in statements {
                c.batch_execute(s).map_err(|e| pg_error(&e))?;
            }
            Ok(())
        }
    }
    fn ledger_init(&mut self) -> Result<(), String> {
        self.client()?
            .batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS {LEDGER} (version text PRIMARY KEY)"
            ))
            .map_err(|e| pg_error(&e))
    }
    fn ledger_contains(&mut self, version: &str) -> Result<bool, String> {
        let row = self
            .client()?
            .query_one(&format!("SELECT count(*) FROM {LEDGER} WHERE version = $1"), &[&version])
            .map_err(|e| pg_error(&e))?;
        Ok(row.get::<_, i64>(0) > 0)
    }
    fn ledger_insert(&mut self, version: &str) -> Result<(), String> {
        self.client()?
            .execute(&format!("INSERT INTO {LEDGER} (version) VALUES ($1)"), &[&version])
            .map(|_| ())
            .map_err(|e| pg_error(&e))
    }
    fn ledger_delete(&mut self, version: &str) -> Result<(), String> {
        self.client()?
            .execute(&format!("DELETE FROM {LEDGER} WHERE version = $1"), &[&version])
            .map(|_| ())
            .map_err(|e| pg_error(&e))
    }
    fn schema(&mut self) -> Result<Schema, String> {
        pg_schema(self.client()?)
    }
    fn engine(&self) -> &'static str {
        "postgres"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::detect::{Framework, load};

    fn tmp(name: &str, files: &[(&str, &str)]) -> crate::migrations::TestTree {
        crate::migrations::test_tree(&format!("apply-{name}"), files)
    }
    fn later() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    #[test]
    fn sqlite_round_trip_passes_and_dumps_schema() {
        let d = tmp(
            "ok",
            &[
                (
                    "m/1_users.up.sql",
                    "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);",
                ),
                ("m/1_users.down.sql", "DROP TABLE users;"),
                ("m/2_idx.up.sql", "CREATE INDEX users_email ON users (email);"),
                ("m/2_idx.down.sql", "DROP INDEX users_email;"),
            ],
        );
        let set = load(&d, &d.join("m"), Framework::GolangMigrate).unwrap();
        let mut db = Sqlite::in_memory().unwrap();
        let r = apply(&mut db, &set, later());
        assert_eq!(r.failure, None);
        assert_eq!(r.round_trip_skipped, None);
        let phases: Vec<&str> = r.steps.iter().map(|s| s.phase).collect();
        assert_eq!(phases, ["up", "up", "down", "down", "up-again", "up-again"]);
        assert_eq!(r.reapplied, 0);
        assert_eq!(r.schema.get("column:users.email").map(String::as_str), Some("TEXT NOT NULL"));
        assert!(r.schema.contains_key("index:users_email"));
    }

    #[test]
    fn incomplete_down_and_failing_migration_are_named() {
        let d = tmp(
            "bad",
            &[
                (
                    "m/1_users.up.sql",
                    "CREATE TABLE users (id INTEGER);\nCREATE TABLE audit (id INTEGER);",
                ),
                ("m/1_users.down.sql", "DROP TABLE users;"),
            ],
        );
        let set = load(&d, &d.join("m"), Framework::GolangMigrate).unwrap();
        let r = apply(&mut Sqlite::in_memory().unwrap(), &set, later());
        assert!(r.failure.as_deref().unwrap().contains("+table:audit"), "{:?}", r.failure);

        std::fs::write(
            d.join("m/2_broken.up.sql"),
            "CREATE TABLE t (id INTEGER);\nINSERT INTO nope VALUES (1);",
        )
        .unwrap();
        std::fs::write(d.join("m/2_broken.down.sql"), "DROP TABLE t;").unwrap();
        let set = load(&d, &d.join("m"), Framework::GolangMigrate).unwrap();
        let r = apply(&mut Sqlite::in_memory().unwrap(), &set, later());
        let f = r.failure.unwrap();
        assert!(
            f.contains("migration 2")
                && f.contains("m/2_broken.up.sql")
                && f.contains("no such table: nope"),
            "{f}"
        );
    }
}
