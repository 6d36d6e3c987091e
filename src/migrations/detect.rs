//! Detection of the migration framework and loading of the migration set from a directory.
//!
//! Nothing is executed: SQL files are read, alembic revision files are parsed for their
//! `revision` / `down_revision` assignments.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use regex::Regex;
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

/// Directories tried, in order, when the spec gives no `path`.
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

/// Guesses the framework from the directory's contents (and the repository's manifests to
/// tell sqlx from golang-migrate, whose file names are the same).
pub fn detect(repo: &Path, dir: &Path) -> Option<Framework> {
    let entries = list(dir).ok()?;
    let names: Vec<String> = entries.iter().map(|p| file_name(p)).collect();
    if names.iter().any(|n| n == "atlas.sum") {
        return Some(Framework::Atlas);
    }
    if names.iter().any(|n| n == "migration_lock.toml") {
        return Some(Framework::Prisma);
    }
    let has_alembic = |d: &Path| {
        list(d).ok().is_some_and(|es| {
            es.iter().any(|p| {
                p.extension().is_some_and(|e| e == "py")
                    && std::fs::read_to_string(p).is_ok_and(|t| t.contains("down_revision"))
            })
        })
    };
    if has_alembic(dir) || has_alembic(&dir.join("versions")) {
        return Some(Framework::Alembic);
    }
    if !django_migration_dirs(dir).is_empty() {
        return Some(Framework::Django);
    }
    if entries.iter().any(|p| p.is_dir() && p.join("up.sql").is_file()) {
        return Some(Framework::Diesel);
    }
    let code = |ext: &[&str], word: &str| {
        entries.iter().any(|p| {
            p.extension().is_some_and(|e| ext.iter().any(|x| e == *x))
                && std::fs::read_to_string(p).is_ok_and(|t| t.contains(word))
        })
    };
    if code(&["rb"], "ActiveRecord::Migration") {
        return Some(Framework::Rails);
    }
    const JS: [&str; 4] = ["js", "ts", "cjs", "mjs"];
    if code(&JS, "MigrationInterface") {
        return Some(Framework::Typeorm);
    }
    if code(&JS, "exports.up") || code(&JS, "function up") || code(&JS, "const up") {
        return Some(Framework::Knex);
    }
    if entries.iter().any(|p| {
        p.extension().is_some_and(|e| e == "sql")
            && std::fs::read_to_string(p).is_ok_and(|t| super::frameworks::is_liquibase(&t))
    }) {
        return Some(Framework::Liquibase);
    }
    let refinery = super::frameworks::refinery_name();
    let cargo_mentions = |word: &str| {
        std::fs::read_to_string(repo.join("Cargo.toml")).is_ok_and(|t| t.contains(word))
    };
    if names.iter().any(|n| refinery.is_match(n))
        && (names.iter().any(|n| n.ends_with(".rs") && refinery.is_match(n))
            || cargo_mentions("refinery"))
    {
        return Some(Framework::Refinery);
    }
    let flyway = Regex::new(r"^[VUBR][0-9._]*__.+\.sql$").expect("static regex");
    if names.iter().any(|n| flyway.is_match(n)) {
        return Some(Framework::Flyway);
    }
    let sql: Vec<&PathBuf> =
        entries.iter().filter(|p| p.extension().is_some_and(|e| e == "sql")).collect();
    let texts: Vec<String> = sql.iter().filter_map(|p| std::fs::read_to_string(p).ok()).collect();
    if texts.iter().any(|t| t.contains("+goose Up")) {
        return Some(Framework::Goose);
    }
    if texts.iter().any(|t| t.contains("migrate:up")) {
        return Some(Framework::Dbmate);
    }
    if names.iter().any(|n| n.ends_with(".up.sql")) {
        let mentions = |file: &str, word: &str| {
            std::fs::read_to_string(repo.join(file)).is_ok_and(|t| t.contains(word))
        };
        if mentions("Cargo.toml", "sqlx") {
            return Some(Framework::Sqlx);
        }
        return Some(Framework::GolangMigrate);
    }
    if !sql.is_empty() {
        return Some(Framework::Sqlx);
    }
    None
}

/// Loads the migration set of `framework` from `dir`.
pub fn load(repo: &Path, dir: &Path, framework: Framework) -> Result<MigrationSet, String> {
    let mut set = MigrationSet {
        framework,
        dir: dir.to_path_buf(),
        migrations: Vec::new(),
        unrecognized: Vec::new(),
    };
    match framework {
        Framework::Alembic => load_alembic(repo, dir, &mut set)?,
        Framework::Sqlx | Framework::GolangMigrate => load_up_down_files(repo, dir, &mut set)?,
        Framework::Goose | Framework::Dbmate => load_sectioned(repo, dir, &mut set)?,
        Framework::Flyway => load_flyway(repo, dir, &mut set)?,
        Framework::Atlas => load_atlas(repo, dir, &mut set)?,
        Framework::Diesel | Framework::Prisma => load_dirs(repo, dir, &mut set)?,
        Framework::Django => load_django(repo, dir, &mut set)?,
        Framework::Rails => super::frameworks::load_rails(repo, dir, &mut set)?,
        Framework::Liquibase => super::frameworks::load_liquibase(repo, dir, &mut set)?,
        Framework::Knex => super::frameworks::load_knex(repo, dir, &mut set)?,
        Framework::Typeorm => super::frameworks::load_typeorm(repo, dir, &mut set)?,
        Framework::Refinery => super::frameworks::load_refinery(repo, dir, &mut set)?,
    }
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

fn load_up_down_files(repo: &Path, dir: &Path, set: &mut MigrationSet) -> Result<(), String> {
    let re = Regex::new(r"^(\d+)_(.+?)(\.up|\.down)?\.sql$").expect("static regex");
    let mut by_version: BTreeMap<(String, String), Migration> = BTreeMap::new();
    for p in list(dir)? {
        let name = file_name(&p);
        if p.is_dir() || name.starts_with('.') || name == "migrations.lock" || name.ends_with(".md")
        {
            continue;
        }
        let Some(c) = re.captures(&name) else {
            set.unrecognized.push((
                rel(repo, &p),
                format!("not a {} migration file name", set.framework.as_str()),
            ));
            continue;
        };
        let (version, title) = (c[1].to_string(), c[2].to_string());
        let direction = c.get(3).map(|m| m.as_str());
        if set.framework == Framework::GolangMigrate && direction.is_none() {
            set.unrecognized
                .push((rel(repo, &p), "golang-migrate needs `.up.sql` or `.down.sql`".into()));
            continue;
        }
        let text = read(&p)?;
        let in_tx = match set.framework {
            // sqlx: `-- no-transaction` on the first line opts out.
            Framework::Sqlx => !text.trim_start().starts_with("-- no-transaction"),
            _ => false,
        };
        let m = by_version.entry((version.clone(), title.clone())).or_insert_with(|| Migration {
            version,
            name: title,
            kind: Kind::Versioned,
            up: None,
            down: None,
            files: Vec::new(),
            in_transaction: in_tx,
            parents: Vec::new(),
            has_code_down: false,
        });
        m.files.push(rel(repo, &p));
        if direction == Some(".down") {
            m.down = Some(part(repo, &p, text, 1));
        } else {
            m.in_transaction = in_tx;
            m.up = Some(part(repo, &p, text, 1));
        }
    }
    set.migrations = by_version.into_values().collect();
    Ok(())
}

/// goose and dbmate: one file, up and down sections marked by comments.
fn load_sectioned(repo: &Path, dir: &Path, set: &mut MigrationSet) -> Result<(), String> {
    let re = Regex::new(r"^(\d+)_(.+)\.sql$").expect("static regex");
    let (up_mark, down_mark) = match set.framework {
        Framework::Goose => ("-- +goose Up", "-- +goose Down"),
        _ => ("-- migrate:up", "-- migrate:down"),
    };
    for p in list(dir)? {
        let name = file_name(&p);
        if p.is_dir() || name.starts_with('.') || name == "migrations.lock" || name.ends_with(".md")
        {
            continue;
        }
        if set.framework == Framework::Goose && name.ends_with(".go") {
            continue; // Go migrations are code; not analysed.
        }
        let Some(c) = re.captures(&name) else {
            set.unrecognized.push((
                rel(repo, &p),
                format!("not a {} migration file name", set.framework.as_str()),
            ));
            continue;
        };
        let text = read(&p)?;
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let find = |mark: &str| lines.iter().position(|l| l.trim_start().starts_with(mark));
        let Some(up_at) = find(up_mark) else {
            set.unrecognized.push((rel(repo, &p), format!("no `{up_mark}` annotation")));
            continue;
        };
        let down_at = find(down_mark);
        let up_end = down_at.filter(|d| *d > up_at).unwrap_or(lines.len());
        let section = |from: usize, to: usize| lines[from..to].concat();
        let up_text = section(up_at + 1, up_end);
        let down = down_at.map(|d| {
            let end = if up_at > d { up_at } else { lines.len() };
            (section(d + 1, end), d as u64 + 2)
        });
        let in_tx = match set.framework {
            Framework::Goose => !text.contains("+goose NO TRANSACTION"),
            _ => !lines[up_at].contains("transaction:false"),
        };
        let down = down.filter(|(t, _)| {
            !crate::migrations::lint::split(t).map(|c| c.is_empty()).unwrap_or(false)
        });
        set.migrations.push(Migration {
            version: c[1].to_string(),
            name: c[2].to_string(),
            kind: Kind::Versioned,
            up: Some(part(repo, &p, up_text, up_at as u64 + 2)),
            down: down.map(|(t, l)| part(repo, &p, t, l)),
            files: vec![rel(repo, &p)],
            in_transaction: in_tx,
            parents: Vec::new(),
            has_code_down: false,
        });
    }
    Ok(())
}

fn load_flyway(repo: &Path, dir: &Path, set: &mut MigrationSet) -> Result<(), String> {
    let re = Regex::new(r"^([VUBR])(.*?)__(.+)\.sql$").expect("static regex");
    let mut undo: Vec<(String, SqlPart, String)> = Vec::new();
    for p in list(dir)? {
        let name = file_name(&p);
        if p.is_dir() || name.starts_with('.') || name == "migrations.lock" || name.ends_with(".md")
        {
            continue;
        }
        let Some(c) = re.captures(&name) else {
            set.unrecognized
                .push((rel(repo, &p), "not a Flyway name (V<version>__<description>.sql)".into()));
            continue;
        };
        let text = read(&p)?;
        let version = c[2].replace('_', ".");
        let sql = part(repo, &p, text, 1);
        let kind = match &c[1] {
            "U" => {
                undo.push((version, sql, rel(repo, &p)));
                continue;
            }
            "R" => Kind::Repeatable,
            "B" => Kind::Baseline,
            _ => Kind::Versioned,
        };
        if kind != Kind::Repeatable && version.is_empty() {
            set.unrecognized
                .push((rel(repo, &p), "versioned Flyway migration without a version".into()));
            continue;
        }
        set.migrations.push(Migration {
            version,
            name: c[3].to_string(),
            kind,
            up: Some(sql),
            down: None,
            files: vec![rel(repo, &p)],
            in_transaction: true,
            parents: Vec::new(),
            has_code_down: false,
        });
    }
    for (version, sql, file) in undo {
        match set
            .migrations
            .iter_mut()
            .find(|m| m.kind == Kind::Versioned && version_key(&m.version) == version_key(&version))
        {
            Some(m) => {
                m.down = Some(sql);
                m.files.push(file);
            }
            None => set.unrecognized.push((
                file,
                format!("undo migration for version {version}, which does not exist"),
            )),
        }
    }
    Ok(())
}

fn load_atlas(repo: &Path, dir: &Path, set: &mut MigrationSet) -> Result<(), String> {
    for p in list(dir)? {
        let name = file_name(&p);
        if !name.ends_with(".sql") || p.is_dir() {
            continue;
        }
        let stem = name.trim_end_matches(".sql");
        let (version, title) = stem.split_once('_').unwrap_or((stem, ""));
        let text = read(&p)?;
        let in_tx = !text.contains("atlas:txmode none");
        set.migrations.push(Migration {
            version: version.to_string(),
            name: title.to_string(),
            kind: Kind::Versioned,
            up: Some(part(repo, &p, text, 1)),
            down: None,
            files: vec![rel(repo, &p)],
            in_transaction: in_tx,
            parents: Vec::new(),
            has_code_down: false,
        });
    }
    Ok(())
}

/// Diesel and Prisma: one directory per migration.
fn load_dirs(repo: &Path, dir: &Path, set: &mut MigrationSet) -> Result<(), String> {
    let re = Regex::new(r"^(\d[\d-]*)_(.+)$").expect("static regex");
    for p in list(dir)? {
        let name = file_name(&p);
        if !p.is_dir() {
            continue;
        }
        let Some(c) = re.captures(&name) else {
            set.unrecognized.push((
                rel(repo, &p),
                "migration directory name must start with a version and `_`".into(),
            ));
            continue;
        };
        let (up_file, down_file) = match set.framework {
            Framework::Prisma => ("migration.sql", None),
            _ => ("up.sql", Some("down.sql")),
        };
        let up_path = p.join(up_file);
        if !up_path.is_file() {
            set.unrecognized.push((rel(repo, &p), format!("no {up_file}")));
            continue;
        }
        let mut files = vec![rel(repo, &up_path)];
        let up = part(repo, &up_path, read(&up_path)?, 1);
        let down = match down_file.map(|f| p.join(f)).filter(|d| d.is_file()) {
            Some(d) => {
                files.push(rel(repo, &d));
                let text = read(&d)?;
                Some(part(repo, &d, text, 1)).filter(|s| !s.text.trim().is_empty())
            }
            None => None,
        };
        let in_tx = !std::fs::read_to_string(p.join("metadata.toml"))
            .is_ok_and(|t| t.replace(' ', "").contains("run_in_transaction=false"));
        set.migrations.push(Migration {
            version: c[1].replace('-', ""),
            name: c[2].to_string(),
            kind: Kind::Versioned,
            up: Some(up),
            down,
            files,
            in_transaction: in_tx,
            parents: Vec::new(),
            has_code_down: false,
        });
    }
    Ok(())
}

/// The value of a top-level Python assignment `name = ...` / `name: T = ...`, with brackets
/// spanning lines joined. Returns the quoted strings in it, or `None` for `None`.
fn python_assignment(text: &str, name: &str) -> Option<Vec<String>> {
    let re = Regex::new(&format!(r"(?m)^{name}\s*(?::[^=\n]*)?=\s*")).expect("valid regex");
    let m = re.find(text)?;
    let rest = &text[m.end()..];
    let mut depth = 0i32;
    let mut end = rest.len();
    for (i, ch) in rest.char_indices() {
        match ch {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            '\n' if depth <= 0 => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    let value = &rest[..end];
    let strings = Regex::new(r#"["']([^"']*)["']"#).expect("static regex");
    Some(strings.captures_iter(value).map(|c| c[1].to_string()).collect())
}

fn load_alembic(repo: &Path, dir: &Path, set: &mut MigrationSet) -> Result<(), String> {
    let versions =
        if dir.join("versions").is_dir() { dir.join("versions") } else { dir.to_path_buf() };
    set.dir = versions.clone();
    let downgrade = Regex::new(r"(?ms)^def downgrade\([^)]*\)[^:]*:\s*\n(.*?)(?:^\S|\z)")
        .expect("static regex");
    for p in list(&versions)? {
        if p.extension().is_none_or(|e| e != "py") || file_name(&p) == "__init__.py" {
            continue;
        }
        let text = read(&p)?;
        let Some(rev) = python_assignment(&text, "revision").and_then(|v| v.into_iter().next())
        else {
            set.unrecognized.push((rel(repo, &p), "no `revision = \"...\"` assignment".into()));
            continue;
        };
        let parents = python_assignment(&text, "down_revision").unwrap_or_default();
        let has_code_down = downgrade.captures(&text).is_some_and(|c| {
            c[1].lines().map(str::trim).any(|l| {
                !l.is_empty() && !l.starts_with('#') && l != "pass" && !l.starts_with("\"\"\"")
            })
        });
        let name = file_name(&p).trim_end_matches(".py").to_string();
        set.migrations.push(Migration {
            version: rev,
            name,
            kind: Kind::Versioned,
            up: None,
            down: None,
            files: vec![rel(repo, &p)],
            in_transaction: true,
            parents,
            has_code_down,
        });
    }
    Ok(())
}

fn is_django_migration(p: &Path) -> bool {
    let name = file_name(p);
    name.ends_with(".py")
        && name.as_bytes().first().is_some_and(u8::is_ascii_digit)
        && std::fs::read_to_string(p).is_ok_and(|t| t.contains("class Migration("))
}

/// `migrations/` directories of Django apps under `dir` (or `dir` itself when it is one),
/// skipping virtualenvs and dependencies.
pub fn django_migration_dirs(dir: &Path) -> Vec<PathBuf> {
    let holds = |d: &Path| list(d).is_ok_and(|es| es.iter().any(|p| is_django_migration(p)));
    if file_name(dir) == "migrations" && holds(dir) {
        return vec![dir.to_path_buf()];
    }
    let skip = |n: &str| {
        n.starts_with('.')
            || matches!(n, "node_modules" | "site-packages" | "venv" | "env" | "__pycache__")
    };
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .max_depth(4)
        .into_iter()
        .filter_entry(|e| !skip(&e.file_name().to_string_lossy()))
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_dir() && e.file_name() == "migrations" && holds(e.path()))
        .map(|e| e.into_path())
        .collect();
    out.sort();
    out
}

/// Django: one node per migration file, versioned `<app>.<name>`; same-app dependencies are
/// the parents. Squashed migrations' `replaces` hide the nodes they replace.
fn load_django(repo: &Path, dir: &Path, set: &mut MigrationSet) -> Result<(), String> {
    let dep =
        Regex::new(r#"\(\s*["']([\w.]+)["']\s*,\s*["']([\w.]+)["']\s*\)"#).expect("static regex");
    let mut replaced: Vec<String> = Vec::new();
    for mdir in django_migration_dirs(dir) {
        let app = mdir.parent().map(file_name).unwrap_or_default();
        for p in list(&mdir)?.into_iter().filter(|p| is_django_migration(p)) {
            let text = read(&p)?;
            let name = file_name(&p).trim_end_matches(".py").to_string();
            let block = |key: &str| -> Vec<(String, String)> {
                let re = Regex::new(&format!(r"(?s){key}\s*=\s*\[(.*?)\]")).expect("valid regex");
                re.captures(&text)
                    .map(|c| {
                        dep.captures_iter(&c[1])
                            .map(|d| (d[1].to_string(), d[2].to_string()))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let parents = block("dependencies")
                .into_iter()
                .filter(|(a, n)| *a == app && n != "__first__" && n != "__latest__")
                .map(|(a, n)| format!("{a}.{n}"))
                .collect();
            replaced.extend(block("replaces").into_iter().map(|(a, n)| format!("{a}.{n}")));
            set.migrations.push(Migration {
                version: format!("{app}.{name}"),
                name,
                kind: Kind::Versioned,
                up: None,
                down: None,
                files: vec![rel(repo, &p)],
                in_transaction: true,
                parents,
                has_code_down: true,
            });
        }
    }
    set.migrations.retain(|m| !replaced.contains(&m.version));
    Ok(())
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

    fn tmp(name: &str, files: &[(&str, &str)]) -> PathBuf {
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
