//! The migration set (frameworks, migrations, their SQL) and its two entry points: [`detect`]
//! the framework of a directory and [`load`] its migrations in apply order. What each
//! framework looks like lives in `super::framework`, one module per framework.
//!
//! Nothing is executed: SQL files are read, code migrations are parsed for the structure their
//! framework relies on.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// A migration framework readyctl understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Framework {
    /// Alembic (Python): revision graph from `revision` / `down_revision`.
    #[serde(alias = "Alembic")]
    Alembic,
    /// sqlx: `<version>_<name>.sql`, or reversible `.up.sql` / `.down.sql`.
    #[serde(alias = "sqlx-cli", alias = "SQLx")]
    Sqlx,
    /// golang-migrate: `<version>_<name>.up.sql` / `.down.sql`.
    #[serde(alias = "golang-migrate", alias = "migrate", alias = "go-migrate")]
    GolangMigrate,
    /// goose: `<version>_<name>.sql` with `-- +goose Up` / `-- +goose Down`.
    #[serde(alias = "pressly-goose")]
    Goose,
    /// dbmate: `<version>_<name>.sql` with `-- migrate:up` / `-- migrate:down`.
    Dbmate,
    /// Flyway: `V<version>__<name>.sql`, `U` (undo), `R` (repeatable), `B` (baseline).
    #[serde(alias = "Flyway")]
    Flyway,
    /// Atlas: versioned `.sql` files with an `atlas.sum` integrity file.
    #[serde(alias = "atlasgo", alias = "Atlas")]
    Atlas,
    /// Diesel: `<version>_<name>/up.sql` and `down.sql`.
    #[serde(alias = "diesel-cli", alias = "diesel_cli", alias = "Diesel")]
    Diesel,
    /// Prisma: `<timestamp>_<name>/migration.sql` next to `migration_lock.toml`.
    #[serde(alias = "prisma-migrate", alias = "Prisma")]
    Prisma,
    /// Django: `<app>/migrations/NNNN_name.py`, one graph per app from `dependencies`
    /// (`manage.py migrate` runs against a scratch PostgreSQL database).
    #[serde(alias = "Django")]
    Django,
    /// Rails: `db/migrate/<version>_<name>.rb` classes `< ActiveRecord::Migration[x.y]`.
    #[serde(
        alias = "activerecord",
        alias = "active_record",
        alias = "ActiveRecord",
        alias = "Rails"
    )]
    Rails,
    /// Liquibase formatted SQL: `--changeset author:id`, `--rollback`.
    #[serde(alias = "Liquibase")]
    Liquibase,
    /// Knex: `<timestamp>_<name>.js|ts` exporting `up` and `down`.
    #[serde(alias = "knexjs", alias = "Knex")]
    Knex,
    /// TypeORM: classes implementing `MigrationInterface`, timestamp at the end of the name.
    #[serde(alias = "TypeORM", alias = "typeORM")]
    Typeorm,
    /// refinery: `V<n>__<name>.sql` or `.rs`.
    #[serde(alias = "refinery-cli")]
    Refinery,
}

impl Framework {
    pub fn as_str(self) -> &'static str {
        match self {
            Framework::Alembic => "alembic",
            Framework::Sqlx => "sqlx",
            Framework::GolangMigrate => "golang-migrate",
            Framework::Goose => "goose",
            Framework::Dbmate => "dbmate",
            Framework::Flyway => "flyway",
            Framework::Atlas => "atlas",
            Framework::Diesel => "diesel",
            Framework::Prisma => "prisma",
            Framework::Django => "django",
            Framework::Rails => "rails",
            Framework::Liquibase => "liquibase",
            Framework::Knex => "knex",
            Framework::Typeorm => "typeorm",
            Framework::Refinery => "refinery",
        }
    }

    /// Whether the framework has down (undo) migrations at all.
    pub fn supports_down(self) -> bool {
        // Django operations are reversed by Django itself.
        !matches!(
            self,
            Framework::Atlas | Framework::Prisma | Framework::Django | Framework::Refinery
        )
    }
}

/// A SQL text that is (part of) a file.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlPart {
    /// Repository-relative path with `/` separators.
    pub path: String,
    pub text: String,
    /// Line in the file where `text` starts (1-based).
    pub first_line: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Versioned,
    /// Flyway `R__`: re-applied when changed, after versioned ones.
    Repeatable,
    /// Flyway `B`: baseline, not applied on a fresh database by `migrate` when older ones exist.
    Baseline,
}

/// One migration of the set.
#[derive(Debug, Clone, PartialEq)]
pub struct Migration {
    /// Version (or alembic revision id) as written.
    pub version: String,
    pub name: String,
    pub kind: Kind,
    pub up: Option<SqlPart>,
    pub down: Option<SqlPart>,
    /// Repository-relative files that make up this migration (for `migrations.lock`).
    pub files: Vec<String>,
    /// Whether the framework runs it inside a transaction.
    pub in_transaction: bool,
    /// Alembic: the `down_revision` ids (two or more = a merge).
    pub parents: Vec<String>,
    /// Alembic: `downgrade()` does something (is not just `pass`).
    pub has_code_down: bool,
}

/// The loaded set, in the framework's apply order.
#[derive(Debug, Clone)]
pub struct MigrationSet {
    pub framework: Framework,
    /// Absolute directory.
    pub dir: PathBuf,
    pub migrations: Vec<Migration>,
    /// Files in the directory the framework would not pick up: (repo-relative path, why).
    pub unrecognized: Vec<(String, String)>,
}

pub(super) fn rel(repo: &Path, p: &Path) -> String {
    crate::text::repo_relative(p, repo)
}

pub(super) fn list(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let rd = std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut v: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    v.sort();
    Ok(v)
}

pub(super) fn file_name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

pub(super) fn read(p: &Path) -> Result<String, String> {
    std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
}

/// Guesses the framework from the directory's contents (each framework's test, in the order
/// of `framework::detect`).
pub fn detect(repo: &Path, dir: &Path) -> Option<Framework> {
    super::framework::detect(repo, dir)
}

/// Loads the migration set of `framework` from `dir`.
pub fn load(repo: &Path, dir: &Path, framework: Framework) -> Result<MigrationSet, String> {
    let mut set = MigrationSet {
        framework,
        dir: dir.to_path_buf(),
        migrations: Vec::new(),
        unrecognized: Vec::new(),
    };
    super::framework::load_into(repo, dir, &mut set)?;
    // Alembic and Django are graphs; Liquibase runs changesets in file order.
    if !matches!(framework, Framework::Alembic | Framework::Django | Framework::Liquibase) {
        set.migrations.sort_by(|a, b| {
            (kind_rank(a.kind), version_key(&a.version), &a.name).cmp(&(
                kind_rank(b.kind),
                version_key(&b.version),
                &b.name,
            ))
        });
    }
    Ok(set)
}

fn kind_rank(k: Kind) -> u8 {
    match k {
        Kind::Baseline | Kind::Versioned => 0,
        Kind::Repeatable => 1,
    }
}

/// Sort key of a version: numeric parts when the version is made of digits and separators
/// (`1.10` after `1.9`, `001` equal to `1`), otherwise the text.
pub fn version_key(v: &str) -> (Vec<u128>, String) {
    let parts: Vec<&str> = v.split(['.', '_', '-']).collect();
    if !v.is_empty()
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) && p.len() <= 38)
    {
        let mut nums: Vec<u128> = parts.iter().map(|p| p.parse().unwrap_or(0)).collect();
        while nums.len() > 1 && nums.last() == Some(&0) {
            nums.pop();
        }
        (nums, String::new())
    } else {
        (Vec::new(), v.to_string())
    }
}

pub(super) fn part(repo: &Path, p: &Path, text: String, first_line: u64) -> SqlPart {
    SqlPart { path: rel(repo, p), text, first_line }
}

#[cfg(test)]
mod tests {
    #[test]
    fn frameworks_accept_the_tools_own_spellings() {
        use super::Framework;
        let fw = |s: &str| serde_yaml::from_str::<Framework>(s).unwrap();
        assert_eq!(fw("golang-migrate"), Framework::GolangMigrate);
        assert_eq!(fw("golang_migrate"), Framework::GolangMigrate);
        assert_eq!(fw("migrate"), Framework::GolangMigrate);
        assert_eq!(fw("activerecord"), Framework::Rails);
        assert_eq!(fw("Django"), Framework::Django);
        assert_eq!(fw("TypeORM"), Framework::Typeorm);
        for name in [
            "flyway",
            "liquibase",
            "alembic",
            "prisma",
            "knex",
            "typeorm",
            "sqlx",
            "diesel",
            "refinery",
            "dbmate",
            "goose",
            "atlas",
            "rails",
        ] {
            assert_eq!(fw(name).as_str(), name);
        }
    }

    use super::*;

    fn tmp(name: &str, files: &[(&str, &str)]) -> crate::migrations::TestTree {
        crate::migrations::test_tree(&format!("detect-{name}"), files)
    }

    #[test]
    fn version_keys_compare_numerically() {
        assert!(version_key("1.10") > version_key("1.9"));
        assert_eq!(version_key("001"), version_key("1"));
        assert_eq!(version_key("1.0"), version_key("1"));
        assert!(version_key("20240101000000") > version_key("2"));
    }

    #[test]
    fn detects_each_layout() {
        type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, Framework);
        let cases: Vec<Case> = vec![
            ("atlas", vec![("m/1_a.sql", "x"), ("m/atlas.sum", "h1:")], Framework::Atlas),
            (
                "prisma",
                vec![("m/20240101000000_a/migration.sql", ""), ("m/migration_lock.toml", "")],
                Framework::Prisma,
            ),
            (
                "alembic",
                vec![("m/versions/a.py", "revision = 'a'\ndown_revision = None\n")],
                Framework::Alembic,
            ),
            ("diesel", vec![("m/2024-01-01-000000_a/up.sql", "")], Framework::Diesel),
            ("flyway", vec![("m/V1__init.sql", "")], Framework::Flyway),
            ("goose", vec![("m/1_a.sql", "-- +goose Up\nSELECT 1;\n")], Framework::Goose),
            ("dbmate", vec![("m/1_a.sql", "-- migrate:up\nSELECT 1;\n")], Framework::Dbmate),
            ("gm", vec![("m/1_a.up.sql", "")], Framework::GolangMigrate),
            ("sqlx", vec![("m/1_a.sql", "SELECT 1;")], Framework::Sqlx),
            (
                "sqlxrev",
                vec![("m/1_a.up.sql", ""), ("Cargo.toml", "sqlx = \"0.8\"")],
                Framework::Sqlx,
            ),
        ];
        for (name, files, want) in cases {
            let d = tmp(name, &files);
            assert_eq!(detect(&d, &d.join("m")), Some(want), "{name}");
        }
    }

    #[test]
    fn goose_sections_and_lines() {
        let d = tmp(
            "goose-load",
            &[
                (
                    "m/00002_b.sql",
                    "-- +goose Up\n-- +goose NO TRANSACTION\nCREATE INDEX CONCURRENTLY i ON t (a);\n\n-- +goose Down\nDROP INDEX i;\n",
                ),
                ("m/00001_a.sql", "-- +goose Up\nCREATE TABLE t (a int);\n-- +goose Down\n"),
            ],
        );
        let set = load(&d, &d.join("m"), Framework::Goose).unwrap();
        let v: Vec<&str> = set.migrations.iter().map(|m| m.version.as_str()).collect();
        assert_eq!(v, ["00001", "00002"]);
        assert!(set.migrations[0].down.is_none(), "empty down section is no down");
        let b = &set.migrations[1];
        assert!(!b.in_transaction);
        assert_eq!(b.up.as_ref().unwrap().first_line, 2);
        assert_eq!(b.down.as_ref().unwrap().first_line, 6);
        assert_eq!(b.down.as_ref().unwrap().text.trim(), "DROP INDEX i;");
    }

    #[test]
    fn flyway_versions_undo_and_unrecognized() {
        let d = tmp(
            "flyway-load",
            &[
                ("m/V1.10__c.sql", ""),
                ("m/V1_9__b.sql", ""),
                ("m/R__view.sql", ""),
                ("m/U1.9__b.sql", ""),
                ("m/notes.txt", ""),
            ],
        );
        let set = load(&d, &d.join("m"), Framework::Flyway).unwrap();
        let v: Vec<(&str, Kind)> =
            set.migrations.iter().map(|m| (m.version.as_str(), m.kind)).collect();
        assert_eq!(
            v,
            [("1.9", Kind::Versioned), ("1.10", Kind::Versioned), ("", Kind::Repeatable)]
        );
        assert!(set.migrations[0].down.is_some());
        assert_eq!(set.unrecognized.len(), 1);
    }

    #[test]
    fn alembic_assignments_without_executing() {
        let d = tmp(
            "alembic-load",
            &[
                (
                    "m/versions/a.py",
                    "revision: str = 'aaa'\ndown_revision: Union[str, None] = None\ndef upgrade():\n    op.x()\ndef downgrade():\n    pass\n",
                ),
                (
                    "m/versions/m.py",
                    "revision = \"mmm\"\ndown_revision = (\n    'bbb',\n    \"ccc\",\n)\n\ndef downgrade() -> None:\n    op.drop_table('x')\n",
                ),
            ],
        );
        let set = load(&d, &d.join("m"), Framework::Alembic).unwrap();
        let a = set.migrations.iter().find(|m| m.version == "aaa").unwrap();
        assert!(a.parents.is_empty() && !a.has_code_down);
        let m = set.migrations.iter().find(|m| m.version == "mmm").unwrap();
        assert_eq!(m.parents, ["bbb", "ccc"]);
        assert!(m.has_code_down);
    }
}
