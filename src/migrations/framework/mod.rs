//! One module per migration framework, each holding what readyctl knows of it: how its
//! directory is recognised, how its migration set is loaded (nothing executed: files are read
//! for the structure the framework relies on), its ledger table, and — for frameworks whose
//! migrations are code or that need their own tool (Alembic, Django, Knex, Rails, TypeORM,
//! Prisma's CLI) — the commands that apply and roll back and how they are kept on readyctl's
//! scratch database. Frameworks sharing a file layout share its loader (golang-migrate uses
//! sqlx's, dbmate goose's, Prisma Diesel's).
//!
//! This module is the interface the rest of readyctl calls: [`DEFAULT_DIRS`] and
//! [`NESTED_DIRS`] (where migrations live: the one list discovery uses, and through it the
//! probe and `init`, and that the probe's messages name), the `detect` and `load_into` behind
//! `detect::detect` and `detect::load`, [`ledger_query`], [`applied_by`], [`plan`] and
//! [`isolation_env`]. Adding a framework: a module here, a variant of `detect::Framework`, its
//! place in `DETECTION`, and one line in each `match` below.

use std::cell::OnceCell;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use regex::Regex;

use super::apply::{self, ApplyReport};
use super::code;
use super::detect::{Framework, Kind, Migration, MigrationSet, file_name, list};

pub mod alembic;
pub mod atlas;
pub mod dbmate;
pub mod diesel;
pub mod django;
pub mod flyway;
pub mod golang_migrate;
pub mod goose;
pub mod knex;
pub mod liquibase;
pub mod prisma;
pub mod rails;
pub mod refinery;
pub mod sqlx;
pub mod typeorm;

/// Where migrations live at a repository's root (and a unit's), in the order a check prefers
/// them: discovery tries these first when the spec gives no `path`.
pub const DEFAULT_DIRS: [&str; 11] = [
    "migrations",
    "db/migrations",
    "db/migrate",
    "alembic/versions",
    "migrations/versions",
    "src/main/resources/db/migration",
    "prisma/migrations",
    "db/migration",
    "sql/migrations",
    "src/migration",
    "src/migrations",
];

/// Directories that hold migrations below a unit or a nested project, found by discovery
/// wherever they are (`api/src/main/resources/db/migration`): Rails', the common
/// `db/migrations`, and Flyway's Maven/Gradle default.
pub const NESTED_DIRS: [&str; 3] =
    ["db/migrate", "db/migrations", "src/main/resources/db/migration"];

/// A directory's entries, read once for detection.
pub(super) struct Listing<'a> {
    repo: &'a Path,
    dir: &'a Path,
    entries: Vec<PathBuf>,
    names: Vec<String>,
    /// The text of every readable `.sql` file, read when a framework first asks.
    sql_texts: OnceCell<Vec<String>>,
}

const JS: [&str; 4] = ["js", "ts", "cjs", "mjs"];

impl Listing<'_> {
    /// Whether a file with one of the extensions `ext` contains `word`.
    fn code_mentions(&self, ext: &[&str], word: &str) -> bool {
        self.entries.iter().any(|p| {
            p.extension().is_some_and(|e| ext.iter().any(|x| e == *x))
                && std::fs::read_to_string(p).is_ok_and(|t| t.contains(word))
        })
    }

    fn sql_files(&self) -> impl Iterator<Item = &PathBuf> {
        self.entries.iter().filter(|p| p.extension().is_some_and(|e| e == "sql"))
    }

    fn sql_texts(&self) -> &[String] {
        self.sql_texts.get_or_init(|| {
            self.sql_files().filter_map(|p| std::fs::read_to_string(p).ok()).collect()
        })
    }

    /// Whether the repository's `Cargo.toml` mentions `word` (a crate name).
    fn cargo_mentions(&self, word: &str) -> bool {
        std::fs::read_to_string(self.repo.join("Cargo.toml")).is_ok_and(|t| t.contains(word))
    }
}

/// A framework's test of a directory's listing.
type Detects = fn(&Listing<'_>) -> bool;

/// Detection, in order: the first framework whose test holds wins (the more specific
/// layouts first; plain `.sql` files are sqlx's last).
const DETECTION: [(Framework, Detects); 15] = [
    (Framework::Atlas, atlas::detects),
    (Framework::Prisma, prisma::detects),
    (Framework::Alembic, alembic::detects),
    (Framework::Django, django::detects),
    (Framework::Diesel, diesel::detects),
    (Framework::Rails, rails::detects),
    (Framework::Typeorm, typeorm::detects),
    (Framework::Knex, knex::detects),
    (Framework::Liquibase, liquibase::detects),
    (Framework::Refinery, refinery::detects),
    (Framework::Flyway, flyway::detects),
    (Framework::Goose, goose::detects),
    (Framework::Dbmate, dbmate::detects),
    (Framework::Sqlx, sqlx::detects),
    (Framework::GolangMigrate, golang_migrate::detects),
];

/// Guesses the framework from the directory's contents (and the repository's manifests to
/// tell sqlx from golang-migrate, whose file names are the same).
pub(super) fn detect(repo: &Path, dir: &Path) -> Option<Framework> {
    let entries = list(dir).ok()?;
    let names: Vec<String> = entries.iter().map(|p| file_name(p)).collect();
    let listing = Listing { repo, dir, entries, names, sql_texts: OnceCell::new() };
    DETECTION.iter().find(|(_, detects)| detects(&listing)).map(|(f, _)| *f)
}

/// Loads the migrations of `set.framework` from `dir` into `set`, in file order.
pub(super) fn load_into(repo: &Path, dir: &Path, set: &mut MigrationSet) -> Result<(), String> {
    match set.framework {
        Framework::Alembic => alembic::load(repo, dir, set),
        Framework::Sqlx => sqlx::load(repo, dir, set),
        Framework::GolangMigrate => golang_migrate::load(repo, dir, set),
        Framework::Goose => goose::load(repo, dir, set),
        Framework::Dbmate => dbmate::load(repo, dir, set),
        Framework::Flyway => flyway::load(repo, dir, set),
        Framework::Atlas => atlas::load(repo, dir, set),
        Framework::Diesel => diesel::load(repo, dir, set),
        Framework::Prisma => prisma::load(repo, dir, set),
        Framework::Django => django::load(repo, dir, set),
        Framework::Rails => rails::load(repo, dir, set),
        Framework::Liquibase => liquibase::load(repo, dir, set),
        Framework::Knex => knex::load(repo, dir, set),
        Framework::Typeorm => typeorm::load(repo, dir, set),
        Framework::Refinery => refinery::load(repo, dir, set),
    }
}

/// The query of a framework's ledger (default table names), for drift.
pub fn ledger_query(framework: Framework) -> &'static str {
    match framework {
        Framework::Alembic => alembic::LEDGER_QUERY,
        Framework::GolangMigrate => golang_migrate::LEDGER_QUERY,
        Framework::Goose => goose::LEDGER_QUERY,
        Framework::Dbmate => dbmate::LEDGER_QUERY,
        Framework::Sqlx => sqlx::LEDGER_QUERY,
        Framework::Prisma => prisma::LEDGER_QUERY,
        Framework::Flyway => flyway::LEDGER_QUERY,
        Framework::Diesel => diesel::LEDGER_QUERY,
        Framework::Django => django::LEDGER_QUERY,
        Framework::Atlas => atlas::LEDGER_QUERY,
        Framework::Rails => rails::LEDGER_QUERY,
        Framework::Liquibase => liquibase::LEDGER_QUERY,
        Framework::Knex => knex::LEDGER_QUERY,
        Framework::Typeorm => typeorm::LEDGER_QUERY,
        Framework::Refinery => refinery::LEDGER_QUERY,
    }
}

/// How a migration set is applied to a scratch database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppliedBy {
    /// readyctl runs the SQL itself (up, down, up, and a no-op re-apply).
    Sql,
    /// Alembic's own commands ([`alembic::apply_postgres`], [`alembic::apply_sqlite`]).
    Alembic,
    /// The framework's own commands on a scratch PostgreSQL database ([`plan`]).
    Commands,
    /// Not at all: why.
    Never(&'static str),
}

/// How `set` is applied; `commands_given`: the check sets `commands` (for Prisma, its CLI
/// then applies the set instead of readyctl).
pub fn applied_by(set: &MigrationSet, commands_given: bool) -> AppliedBy {
    match set.framework {
        Framework::Django | Framework::Knex | Framework::Rails | Framework::Typeorm => {
            AppliedBy::Commands
        }
        Framework::Prisma if commands_given => AppliedBy::Commands,
        Framework::Refinery if set.migrations.iter().any(|m| m.up.is_none()) => {
            AppliedBy::Never(refinery::CODE_MIGRATIONS)
        }
        Framework::Alembic => AppliedBy::Alembic,
        _ => AppliedBy::Sql,
    }
}

/// Where a framework's commands run, for how long, and for which check.
pub struct Env<'a> {
    /// The repository root.
    pub repo: &'a Path,
    /// The check's id, in temporary directory names.
    pub check_id: &'a str,
    pub deadline: Instant,
    pub cancel: &'a AtomicBool,
}

impl Env<'_> {
    /// A directory name of its own under the system temp directory for one use by one check
    /// (checks, and tests, run concurrently in one process).
    pub fn temp_dir(&self, what: &str) -> PathBuf {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        std::env::temp_dir().join(format!(
            "readyctl-{what}-{}-{}-{}",
            std::process::id(),
            self.check_id.replace(['/', ' '], "_"),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ))
    }
}

/// The `commands` of a check for a framework whose migrations are code, paths resolved
/// against the repository.
#[derive(Debug, Clone, Default)]
pub struct Commands {
    pub upgrade: Option<String>,
    pub downgrade: Option<String>,
    pub workdir: Option<PathBuf>,
    pub data_source: Option<PathBuf>,
}

/// The upgrade command and the downgrade command, if the framework has one.
pub(super) type UpDown = (String, Option<String>);

/// What a framework whose migrations are code brings to a [`code::Plan`].
pub(super) struct CodeFramework {
    /// The project directory the commands run in holds this (`manage.py`, a knexfile…).
    marker: fn(&Path) -> bool,
    /// The marker as a message names it when no parent holds it, and the field to set.
    marker_name: &'static str,
    marker_hint: &'static str,
    /// The upgrade and downgrade commands, defaults filled in; an error naming what to
    /// install when a default's tool is not there.
    commands: fn(&Env<'_>, Commands, &Project<'_>) -> Result<UpDown, String>,
    /// The ledger table (for messages) and the query of its keys.
    ledger: &'static str,
    ledger_sql: &'static str,
    /// The ledger key of every migration of the set.
    expected: fn(&MigrationSet) -> Vec<String>,
    /// What to change when the commands migrate another database than the scratch one.
    isolation_hint: &'static str,
}

/// The project a framework's commands run in.
pub(super) struct Project<'a> {
    workdir: PathBuf,
    /// TypeORM: (project root, data source file).
    data_source: Option<(PathBuf, PathBuf)>,
    set: &'a MigrationSet,
}

fn code_framework(fw: Framework) -> &'static CodeFramework {
    match fw {
        Framework::Django => &django::CODE,
        Framework::Knex => &knex::CODE,
        Framework::Rails => &rails::CODE,
        Framework::Typeorm => &typeorm::CODE,
        _ => &prisma::CODE,
    }
}

/// The commands, working directory and ledger of a framework applied by its commands
/// ([`AppliedBy::Commands`]); an error naming what to install when the default tool is not
/// there.
pub fn plan(env: &Env<'_>, cmds: &Commands, set: &MigrationSet) -> Result<code::Plan, String> {
    let fw = set.framework;
    let code = code_framework(fw);
    let cmds = cmds.clone();
    // TypeORM: the data source file, and the project directory holding it (the nearest
    // parent with package.json, else the data source's directory).
    let data_source = match (&cmds.data_source, fw) {
        (Some(ds), _) => {
            if !ds.is_file() {
                return Err(format!("commands.data_source {} does not exist", rel(env.repo, ds)));
            }
            Some(ds.clone())
        }
        (None, Framework::Typeorm) => {
            nearest_parent(env.repo, &set.dir, |d| typeorm::data_source(d).is_some())
                .and_then(|d| typeorm::data_source(&d))
        }
        _ => None,
    }
    .map(|ds| {
        let dir = ds.parent().unwrap_or(env.repo);
        let root = nearest_parent(env.repo, dir, |d| d.join("package.json").is_file())
            .unwrap_or_else(|| dir.to_path_buf());
        (root, ds)
    });
    let workdir = match (&cmds.workdir, &data_source) {
        (Some(w), _) => w.clone(),
        (None, Some((root, _))) => root.clone(),
        (None, None) => nearest_parent(env.repo, &set.dir, code.marker).ok_or_else(|| {
            format!(
                "no {} above {}; {}",
                code.marker_name,
                rel(env.repo, &set.dir),
                code.marker_hint
            )
        })?,
    };
    let project = Project { workdir, data_source, set };
    let (upgrade, downgrade) = (code.commands)(env, cmds, &project)?;
    let migrations = set.migrations.iter().map(|m| (m.version.clone(), m.name.clone())).collect();
    Ok(code::Plan {
        upgrade,
        downgrade,
        workdir: project.workdir,
        ledger: code.ledger,
        ledger_sql: code.ledger_sql,
        expected: (code.expected)(set),
        migrations,
        env: Vec::new(),
        isolation_hint: code.isolation_hint.to_string(),
    })
}

/// More environment for a plan's commands, so they reach the scratch database at
/// `scratch_url` whatever the project's settings say (Django's settings shim, written in
/// `dir`); empty for the other frameworks, which read `DATABASE_URL`.
pub fn isolation_env(
    plan: &code::Plan,
    framework: Framework,
    scratch_url: &str,
    dir: &Path,
) -> Result<Vec<(String, String)>, String> {
    match framework {
        Framework::Django => django::settings_shim(&plan.workdir, scratch_url, dir),
        _ => Ok(plan.env.clone()),
    }
}

/// A report of an apply done by the framework's own commands (no steps of readyctl's).
pub fn tool_report(
    engine: &'static str,
    schema: apply::Schema,
    failure: Option<String>,
) -> ApplyReport {
    ApplyReport {
        engine,
        database: None,
        steps: Vec::new(),
        round_trip_skipped: None,
        reapplied: 0,
        schema,
        failure,
    }
}

fn rel(repo: &Path, p: &Path) -> String {
    super::detect::rel(repo, p)
}

/// Whether a `node_modules/.bin/<bin>` is installed at or above `workdir`.
fn node_bin(workdir: &Path, bin: &str) -> bool {
    workdir.ancestors().any(|d| d.join("node_modules").join(".bin").join(bin).exists())
}

/// The nearest of `start` and its parents, up to `repo`, for which `pred` holds.
pub(super) fn nearest_parent(
    repo: &Path,
    start: &Path,
    pred: impl Fn(&Path) -> bool,
) -> Option<PathBuf> {
    for dir in start.ancestors() {
        if pred(dir) {
            return Some(dir.to_path_buf());
        }
        if dir == repo {
            break;
        }
    }
    None
}

/// A directory for a message: repository-relative, `.` for the repository itself.
pub(super) fn shown_dir(repo: &Path, dir: &Path) -> String {
    let r = rel(repo, dir);
    if r.is_empty() { ".".into() } else { r }
}

/// `s` as one `sh` word: unchanged when it holds only safe characters, else single-quoted.
pub(super) fn shell_word(s: &str) -> String {
    crate::shell::shell_quote(s)
}

pub(super) fn skipped(p: &Path) -> bool {
    let name = file_name(p);
    p.is_dir() || name.starts_with('.') || name == "migrations.lock" || name.ends_with(".md")
}

pub(super) fn migration(version: String, name: String, files: Vec<String>) -> Migration {
    Migration {
        version,
        name,
        kind: Kind::Versioned,
        up: None,
        down: None,
        files,
        in_transaction: true,
        parents: Vec::new(),
        has_code_down: false,
    }
}

/// The text of a method/function body starting at byte `at` (the end of its definition's
/// match): up to the next match of `next`, or the end of the file.
pub(super) fn segment<'a>(text: &'a str, at: usize, next: &Regex) -> &'a str {
    let rest = &text[at..];
    match next.find(rest) {
        Some(m) => &rest[..m.start()],
        None => rest,
    }
}

pub(super) fn js_like(p: &Path) -> bool {
    let n = file_name(p);
    ["js", "ts", "cjs", "mjs"].iter().any(|e| p.extension().is_some_and(|x| x == *e))
        && !n.ends_with(".d.ts")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_parent_stops_at_the_repository() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let app = root.join("repo/app");
        std::fs::create_dir_all(app.join("db/migrate")).unwrap();
        std::fs::create_dir_all(app.join("config")).unwrap();
        std::fs::create_dir_all(root.join("config")).unwrap();
        std::fs::write(root.join("config/application.rb"), "").unwrap();
        let repo = root.join("repo");
        // Above the repository does not count.
        assert_eq!(nearest_parent(&repo, &app.join("db/migrate"), rails::app_root), None);
        std::fs::write(app.join("config/application.rb"), "").unwrap();
        assert_eq!(
            nearest_parent(&repo, &app.join("db/migrate"), rails::app_root),
            Some(app.clone())
        );
        // TypeORM: data-source.ts at the root wins over src/, src/ is found too.
        std::fs::create_dir_all(app.join("src/migration")).unwrap();
        assert_eq!(typeorm::data_source(&app), None);
        std::fs::write(app.join("src/data-source.js"), "").unwrap();
        assert_eq!(typeorm::data_source(&app), Some(app.join("src/data-source.js")));
        let found = nearest_parent(&repo, &app.join("src/migration"), |d| {
            typeorm::data_source(d).is_some()
        });
        // From src/migration, src/ itself holds data-source.js.
        assert_eq!(found, Some(app.join("src")));
        std::fs::write(app.join("data-source.ts"), "").unwrap();
        assert_eq!(typeorm::data_source(&app), Some(app.join("data-source.ts")));
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn detection_order_names_every_framework_once() {
        let mut seen: Vec<&str> = DETECTION.iter().map(|(f, _)| f.as_str()).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), DETECTION.len());
    }
}
