//! The `migrations` probe: detect the framework and migration set, check integrity, lint the
//! SQL, and apply it to a scratch database (SQLite embedded, or a throwaway PostgreSQL
//! database created on `database_url` and dropped at the end). The logic lives in
//! `crate::migrations`; this file maps a spec to it and the findings to an outcome.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use regex::Regex;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::db;
use crate::migrations::apply::{self, ApplyReport, PgScratch, ScratchDb, Sqlite};
use crate::migrations::code::{self, CodeError};
use crate::migrations::detect::{self, Framework, MigrationSet};
use crate::migrations::drift;
use crate::migrations::integrity::{self, Issue, Level};
use crate::migrations::lint::{self, Finding, LintInput, Rule};
use crate::migrations::tool::{self, ToolRun};
use crate::outcome::{Location, Measurement, ProbeOutcome, Status};
use crate::probe::{Artifact, ProbeContext};

/// `migrations:` in a checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "MigrationsProbe")]
pub struct Spec {
    /// The migrations directory, relative to the repository. When absent, the first of
    /// `migrations`, `db/migrations`, `alembic/versions`, `migrations/versions`,
    /// `src/main/resources/db/migration`, `prisma/migrations`, `db/migration`, `sql/migrations`
    /// that holds migrations.
    #[serde(default)]
    pub path: Option<String>,
    /// The framework; detected from the directory when absent.
    #[serde(default)]
    pub framework: Option<Framework>,
    /// A PostgreSQL server URL on which readyctl creates, then drops, a scratch database.
    /// Its password never reaches evidence.
    #[serde(default)]
    pub database_url: Option<String>,
    /// Where to apply the migrations: `auto` (PostgreSQL when `database_url` is set, else
    /// embedded SQLite), `sqlite`, `postgres`, or `off`.
    #[serde(default)]
    pub apply: ApplyMode,
    /// `true` (all rules, the default), `false` (no lint), or a list of rule ids to select.
    #[serde(default)]
    pub lint: LintSelection,
    /// What a migration without a down (undo) migration is: `fail`, `warn` (default) or `off`.
    #[serde(default = "default_missing_down")]
    pub missing_down: Level,
    /// The lock file written by `readyctl migrations lock` (default
    /// `<path>/migrations.lock`); checked when it exists. Edits to locked migrations fail.
    #[serde(default)]
    pub lock: Option<String>,
    /// A regex every migration file name must match (e.g. `^\d{14}_[a-z0-9_]+\.sql$`).
    #[serde(default)]
    pub naming: Option<String>,
    /// Alembic: the commands run against the scratch database (with `DATABASE_URL` set).
    #[serde(default)]
    pub alembic: AlembicSpec,
    /// Django, Knex, Rails, TypeORM and Prisma: the framework's own commands, run against the
    /// scratch PostgreSQL database with `DATABASE_URL` set. Django, Knex, Rails and TypeORM use
    /// the defaults when absent; for Prisma, setting it (even `{}`) runs `prisma migrate deploy` instead of
    /// applying `migration.sql` directly.
    #[serde(default)]
    pub commands: Option<CommandsSpec>,
    /// Compare with a live database's migration ledger (read-only).
    #[serde(default)]
    pub drift: Option<DriftSpec>,
    /// Which migrations' lint findings block: `unreleased` (default) — those not yet
    /// deployed: not listed in the lock file when there is one, else those changed since the
    /// merge-base with `origin/HEAD`/`main`/`master` (plus uncommitted ones), else the newest
    /// migration only — or `all`. Findings in released migrations stay in the evidence.
    #[serde(default)]
    pub lint_scope: LintScope,
    /// Whether the check claims the migrations apply: when `true` and they could not be applied
    /// (no `database_url`, SQL the scratch database does not run, framework tool missing), the
    /// result is `error` naming what was verified and what is missing, never `pass`. Default:
    /// `true`, except with `apply: off`, where the check is static by choice.
    #[serde(default)]
    pub require_apply: Option<bool>,
}

/// Which migrations the lint findings count for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum LintScope {
    /// Migrations not yet released (see `lint_scope`).
    #[default]
    Unreleased,
    /// Every migration.
    All,
}

/// The migrations whose lint findings count, and how they were chosen.
struct Scope {
    /// Repository-relative files of in-scope migrations; `None`: every migration.
    files: Option<BTreeSet<String>>,
    how: String,
}

fn git_out(repo: &Path, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Files (relative to `repo`) changed since the merge-base with the default branch, plus
/// uncommitted ones, and the tracked files; `None` when git or a base ref is not there.
fn unreleased_files(repo: &Path) -> Option<(Changed, String)> {
    git_out(repo, &["rev-parse", "--verify", "--quiet", "HEAD"])?;
    let (base_ref, base) =
        ["origin/HEAD", "main", "master", "origin/main", "origin/master"].iter().find_map(|r| {
            let spec = format!("{r}^{{commit}}");
            git_out(repo, &["rev-parse", "--verify", "--quiet", &spec])?;
            let mb = git_out(repo, &["merge-base", "HEAD", r])?;
            Some((*r, mb.trim().to_string()))
        })?;
    let mut files = BTreeSet::new();
    for args in [
        vec!["diff", "--name-only", "--relative", base.as_str(), "HEAD"],
        vec!["diff", "--name-only", "--relative", "HEAD"],
    ] {
        files.extend(git_out(repo, &args)?.lines().filter(|l| !l.is_empty()).map(String::from));
    }
    let tracked: BTreeSet<String> =
        git_out(repo, &["ls-files"])?.lines().map(String::from).collect();
    let short: String = base.chars().take(10).collect();
    Some((
        Changed { files, tracked },
        format!("changed since the merge-base {short} with {base_ref}, uncommitted or untracked"),
    ))
}

/// Files changed since the base, and every tracked file: a file git does not track (new,
/// or ignored) has not been released either.
struct Changed {
    files: BTreeSet<String>,
    tracked: BTreeSet<String>,
}

impl Changed {
    fn unreleased(&self, f: &str) -> bool {
        self.files.contains(f) || !self.tracked.contains(f)
    }
}

fn lint_scope(spec: &Spec, ctx: &ProbeContext<'_>, set: &MigrationSet, lock_path: &Path) -> Scope {
    if spec.lint_scope == LintScope::All {
        return Scope { files: None, how: "lint_scope: all".into() };
    }
    let of = |keep: &dyn Fn(&detect::Migration) -> bool| -> BTreeSet<String> {
        set.migrations.iter().filter(|m| keep(m)).flat_map(|m| m.files.iter().cloned()).collect()
    };
    if lock_path.is_file()
        && let Ok(locked) = integrity::locked_files(lock_path)
    {
        let files = of(&|m| m.files.iter().any(|f| !locked.contains(f)));
        return Scope { files: Some(files), how: format!("not in {}", rel(ctx.repo, lock_path)) };
    }
    if let Some((changed, how)) = unreleased_files(ctx.repo) {
        return Scope { files: Some(of(&|m| m.files.iter().any(|f| changed.unreleased(f)))), how };
    }
    let newest = set.migrations.last().map(|m| m.files.clone()).unwrap_or_default();
    Scope {
        files: Some(newest.into_iter().collect()),
        how: "the newest migration (no lock file and no git base ref to tell released ones)".into(),
    }
}

/// Drift against a live database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DriftSpec {
    /// The live database (`postgres://…`, or `sqlite:PATH`); only read, in a read-only
    /// transaction that is rolled back. Its password never reaches evidence.
    pub url: String,
    /// What migrations not yet applied there are: `fail`, `warn` (default) or `off`.
    #[serde(default = "default_missing_down")]
    pub pending: Level,
}

fn default_missing_down() -> Level {
    Level::Warn
}

/// Where migrations are applied.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ApplyMode {
    /// PostgreSQL when `database_url` is set; otherwise embedded SQLite, where a migration
    /// that SQLite cannot parse is noted, not failed (the set counts as not applied: `error`
    /// under `require_apply`).
    #[default]
    Auto,
    /// Embedded SQLite; every failure fails the check.
    Sqlite,
    /// A scratch database on `database_url` (required).
    Postgres,
    /// Do not apply.
    Off,
}

/// Commands for alembic projects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlembicSpec {
    /// Upgrade command, run through `sh -c` in the directory of `alembic.ini`.
    #[serde(default = "default_upgrade")]
    pub upgrade: String,
    /// Downgrade command (run between two upgrades to prove the round trip).
    #[serde(default = "default_downgrade")]
    pub downgrade: String,
    /// Directory holding `alembic.ini`, relative to the repository (default: the nearest
    /// parent of `path` that has one).
    #[serde(default)]
    pub workdir: Option<String>,
}

/// A framework's own migration commands (Django, Knex, Rails, TypeORM, Prisma).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandsSpec {
    /// Upgrade command, run through `sh -c` (default: `python manage.py migrate --noinput`,
    /// `npx --no-install knex migrate:latest`, `bin/rails db:migrate`, `npx --no-install
    /// typeorm migration:run -d <data_source>` (`typeorm-ts-node-commonjs` for a TypeScript
    /// data source), `npx --no-install prisma migrate deploy`).
    #[serde(default)]
    pub upgrade: Option<String>,
    /// Downgrade command (default: `python manage.py migrate <app> zero --noinput` for each
    /// app, `npx --no-install knex migrate:rollback --all`, `bin/rails db:migrate VERSION=0`,
    /// TypeORM's `migration:revert -d <data_source>` once per migration of the set; Prisma
    /// has none).
    #[serde(default)]
    pub downgrade: Option<String>,
    /// Directory the commands run in, relative to the repository (default: the nearest
    /// parent of `path` holding `manage.py`, a `knexfile`, `bin/rails` or
    /// `config/application.rb`, TypeORM's data source, or `prisma/schema.prisma`).
    #[serde(default)]
    pub workdir: Option<String>,
    /// TypeORM: the data source file given to `-d`, relative to the repository (default:
    /// `data-source.ts`/`.js`/`.cjs`/`.mjs`, or the same under `src/`, in the nearest parent
    /// of `path`). It must read `DATABASE_URL`.
    #[serde(default)]
    pub data_source: Option<String>,
}

fn default_upgrade() -> String {
    "alembic upgrade head".into()
}
fn default_downgrade() -> String {
    "alembic downgrade base".into()
}

impl Default for AlembicSpec {
    fn default() -> Self {
        AlembicSpec { upgrade: default_upgrade(), downgrade: default_downgrade(), workdir: None }
    }
}

/// Which lint rules run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LintSelection {
    #[default]
    All,
    Off,
    Only(Vec<String>),
}

impl LintSelection {
    fn rules(&self) -> BTreeSet<Rule> {
        match self {
            LintSelection::All => Rule::ALL.into_iter().collect(),
            LintSelection::Off => BTreeSet::new(),
            LintSelection::Only(ids) => ids.iter().filter_map(|i| Rule::from_id(i)).collect(),
        }
    }
}

impl Serialize for LintSelection {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            LintSelection::All => s.serialize_bool(true),
            LintSelection::Off => s.serialize_bool(false),
            LintSelection::Only(ids) => ids.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for LintSelection {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // `untagged` is fine here: a scalar-or-list with no fields to misreport.
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Flag(bool),
            Ids(Vec<String>),
        }
        match Raw::deserialize(d)? {
            Raw::Flag(true) => Ok(LintSelection::All),
            Raw::Flag(false) => Ok(LintSelection::Off),
            Raw::Ids(ids) => {
                for id in &ids {
                    if Rule::from_id(id).is_none() {
                        let known: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
                        let hint = known
                            .iter()
                            .find(|k| k.contains(id.as_str()) || id.contains(*k))
                            .map(|k| format!(" (did you mean `{k}`?)"))
                            .unwrap_or_default();
                        return Err(serde::de::Error::custom(format!(
                            "unknown lint rule `{id}`{hint}; known rules: {}",
                            known.join(", ")
                        )));
                    }
                }
                Ok(LintSelection::Only(ids))
            }
        }
    }
}

impl schemars::JsonSchema for LintSelection {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "MigrationLint".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let ids: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
        schemars::json_schema!({
            "description": "`true` (all rules), `false` (no lint), or the rule ids to select.",
            "anyOf": [
                { "type": "boolean" },
                { "type": "array", "items": { "type": "string", "enum": ids } }
            ]
        })
    }
}

fn rel(repo: &Path, p: &Path) -> String {
    crate::text::repo_relative(p, repo)
}

fn find_dir(ctx: &ProbeContext<'_>, spec: &Spec) -> Result<(PathBuf, Framework), String> {
    let candidates: Vec<PathBuf> = match &spec.path {
        Some(p) => vec![ctx.resolve(p)],
        // The fixed directories first, then discovery: Django apps at any depth, db/migrate,
        // units (`services/*/…`), Prisma's schema path in package.json.
        None => {
            let found = crate::discover::migration_dirs(ctx.repo);
            if let Some((dir, framework)) = found.into_iter().next() {
                return Ok((ctx.repo.join(dir), spec.framework.unwrap_or(framework)));
            }
            Vec::new()
        }
    };
    for dir in &candidates {
        if !dir.is_dir() {
            continue;
        }
        if let Some(f) = spec.framework.or_else(|| detect::detect(ctx.repo, dir)) {
            return Ok((dir.clone(), f));
        }
        if spec.path.is_some() {
            return Err(format!(
                "cannot tell the migration framework of {}; set `framework`",
                rel(ctx.repo, dir)
            ));
        }
    }
    match &spec.path {
        Some(p) => Err(format!("migrations directory {p} does not exist")),
        None => Err(format!(
            "no migrations directory found (tried {}, Django apps, db/migrate, units and \
             Prisma's schema path); set `path`",
            detect::DEFAULT_DIRS.join(", ")
        )),
    }
}

/// A `migrations` spec compiled: its `naming` regex ready.
#[derive(Debug, Clone)]
pub struct Compiled {
    spec: Spec,
    naming: Option<Regex>,
}

/// The `migrations` probe kind.
pub struct Kind;

impl super::ProbeKind for Kind {
    const KEY: &'static str = "migrations";
    type Spec = Spec;
    type Compiled = Compiled;
    fn compile(
        spec: Spec,
        _: &super::CompileContext,
    ) -> Result<Compiled, Vec<crate::probe::ProbeIssue>> {
        let issues = validate(&spec);
        if !issues.is_empty() {
            return Err(issues);
        }
        // Validated: the regex compiles.
        let naming = spec.naming.as_deref().and_then(|p| Regex::new(p).ok());
        Ok(Compiled { spec, naming })
    }
    fn spec(compiled: &Compiled) -> &Spec {
        &compiled.spec
    }
    fn run(compiled: &Compiled, ctx: &ProbeContext) -> ProbeOutcome {
        run(compiled, ctx)
    }
}

/// Runs the probe.
fn run(compiled: &Compiled, ctx: &ProbeContext<'_>) -> ProbeOutcome {
    let Compiled { spec, naming } = compiled;
    let (dir, framework) = match find_dir(ctx, spec) {
        Ok(v) => v,
        Err(e) => return ProbeOutcome::error(e),
    };
    let set = match detect::load(ctx.repo, &dir, framework) {
        Ok(s) => s,
        Err(e) => return ProbeOutcome::error(e),
    };
    if set.migrations.is_empty() {
        return ProbeOutcome::error(format!(
            "no {} migrations found in {}",
            framework.as_str(),
            rel(ctx.repo, &dir)
        ));
    }

    // Integrity.
    let mut issues = integrity::check(
        &set,
        &integrity::Options { missing_down: spec.missing_down, naming: naming.as_ref() },
    );
    if framework == Framework::Atlas {
        issues.extend(integrity::check_atlas_sum(ctx.repo, &set.dir));
    }
    let lock_path = spec
        .lock
        .as_ref()
        .map(|l| ctx.resolve(l))
        .unwrap_or_else(|| set.dir.join("migrations.lock"));
    if lock_path.is_file() {
        match integrity::check_lock(ctx.repo, &set, &lock_path) {
            Ok(v) => issues.extend(v),
            Err(e) => return ProbeOutcome::error(e),
        }
    } else if spec.lock.is_some() {
        return ProbeOutcome::error(format!(
            "lock file {} does not exist; create it with `readyctl migrations lock`",
            rel(ctx.repo, &lock_path)
        ));
    }

    // Lint (the up SQL; downs run only on rollback).
    let selected = spec.lint.rules();
    let inputs: Vec<LintInput<'_>> = set
        .migrations
        .iter()
        .filter_map(|m| m.up.as_ref().map(|u| (m, u)))
        .map(|(m, u)| LintInput {
            path: &u.path,
            sql: &u.text,
            first_line: u.first_line,
            in_transaction: m.in_transaction,
        })
        .collect();
    let all_findings =
        if selected.is_empty() { Vec::new() } else { lint::lint(&inputs, &selected) };
    let scope = lint_scope(spec, ctx, &set, &lock_path);
    let (findings, released): (Vec<Finding>, Vec<Finding>) = all_findings
        .into_iter()
        .partition(|f| scope.files.as_ref().is_none_or(|files| files.contains(&f.path)));

    // Drift against a live database.
    let mut drift_error = None;
    let mut pending = None;
    if let Some(d) = &spec.drift {
        let source = apply::redact_url_password(&d.url, &d.url);
        let query = drift::ledger_query(framework);
        let rows = if d.url.starts_with("postgres://") || d.url.starts_with("postgresql://") {
            db::query_postgres(&d.url, query, true, ctx.remaining().min(Duration::from_secs(15)))
        } else {
            let path = d
                .url
                .strip_prefix("sqlite://")
                .or_else(|| d.url.strip_prefix("sqlite:"))
                .unwrap_or(&d.url);
            db::query_sqlite(&ctx.resolve(path), query, true)
        };
        match rows {
            Ok(r) => {
                let found = drift::compare(&set, &r.rows, &source);
                pending = Some(found.pending.len());
                issues.extend(found.issues.into_iter().filter_map(|mut i| {
                    if i.rule == "pending" {
                        i.level = d.pending;
                    }
                    (i.level != Level::Off).then_some(i)
                }));
            }
            Err(e) => drift_error = Some(format!("drift: cannot read the ledger of {source}: {e}")),
        }
    }

    // Apply.
    let mut applied = apply_set(spec, ctx, &set);
    if let Some(e) = drift_error {
        applied.error = Some(match applied.error.take() {
            Some(a) => format!("{a}; {e}"),
            None => e,
        });
    }

    let require_apply = spec.require_apply.unwrap_or(spec.apply != ApplyMode::Off);
    let lint = LintResult { findings, released, scope };
    let mut out = outcome(ctx, &set, issues, lint, applied, &selected, require_apply);
    if let Some(p) = pending {
        out.measurements.push(Measurement::new("pending_migrations", p as f64, "count"));
    }
    out
}

/// What the apply step produced.
struct Applied {
    report: Option<ApplyReport>,
    tool_runs: Vec<ToolRun>,
    /// `error` cause (unreachable database, missing tool).
    error: Option<String>,
    /// Why apply did not run or did not count (auto mode on SQLite with PostgreSQL-only SQL).
    note: Option<String>,
}

fn apply_set(spec: &Spec, ctx: &ProbeContext<'_>, set: &MigrationSet) -> Applied {
    let mut out = Applied { report: None, tool_runs: Vec::new(), error: None, note: None };
    let mode = match spec.apply {
        ApplyMode::Auto if spec.database_url.is_some() => ApplyMode::Postgres,
        ApplyMode::Auto => ApplyMode::Sqlite,
        m => m,
    };
    let by_tool = matches!(
        set.framework,
        Framework::Django | Framework::Knex | Framework::Rails | Framework::Typeorm
    ) || (set.framework == Framework::Prisma && spec.commands.is_some());
    if by_tool {
        code_apply(spec, ctx, set, &mut out);
        return out;
    }
    let code_only = match set.framework {
        Framework::Refinery if set.migrations.iter().any(|m| m.up.is_none()) => {
            Some("some refinery migrations are Rust code (`.rs`), which readyctl does not run")
        }
        _ => None,
    };
    if let Some(why) = code_only {
        match spec.apply {
            ApplyMode::Auto | ApplyMode::Off => out.note = Some(format!("not applied: {why}")),
            _ => out.error = Some(format!("cannot apply: {why}; use `apply: off`")),
        }
        return out;
    }
    let deadline = ctx.deadline;
    let timeout = ctx.remaining().min(Duration::from_secs(15));
    match mode {
        ApplyMode::Off => out.note = Some("not applied (apply: off)".into()),
        ApplyMode::Postgres => {
            let Some(url) = spec.database_url.as_deref() else {
                out.error = Some("apply: postgres needs `database_url`".into());
                return out;
            };
            let mut scratch = match PgScratch::create(url, timeout) {
                Ok(s) => s,
                Err(e) => {
                    out.error = Some(e);
                    return out;
                }
            };
            if set.framework == Framework::Alembic {
                scratch.disconnect();
                let scratch_url = scratch.url.clone();
                let redact = |s: &str| apply::redact_url_password(url, s);
                let dump = || {
                    apply::pg_connect(&scratch_url, timeout)
                        .and_then(|mut c| apply::pg_schema(&mut c))
                };
                let has_ledger = || {
                    apply::pg_connect(&scratch_url, timeout).is_ok_and(|mut c| {
                        c.simple_query("SELECT version_num FROM alembic_version").is_ok()
                    })
                };
                let r = alembic(
                    spec,
                    ctx,
                    set,
                    &tool::sqlalchemy_url(&scratch_url),
                    &redact,
                    &mut out.tool_runs,
                    &dump,
                    &has_ledger,
                );
                match r {
                    Ok(()) => {
                        match scratch.client().and_then(|c| alembic_check(set, AlembicDb::Pg(c))) {
                            Ok(schema) => out.report = Some(tool_report("postgres", schema, None)),
                            Err(e) => {
                                out.report =
                                    Some(tool_report("postgres", Default::default(), Some(e)))
                            }
                        }
                    }
                    Err(ToolError::Error(e)) => out.error = Some(e),
                    Err(ToolError::Fail(e)) => {
                        out.report = Some(tool_report("postgres", Default::default(), Some(e)))
                    }
                }
            } else {
                out.report = Some(apply::apply(&mut scratch, set, deadline));
            }
            if let Some(r) = out.report.as_mut() {
                r.database = Some(scratch.dbname.clone());
            }
            drop(scratch);
        }
        ApplyMode::Sqlite | ApplyMode::Auto => {
            if set.framework == Framework::Alembic {
                let dir = scratch_temp_dir("alembic", ctx);
                let _ = std::fs::create_dir_all(&dir);
                let db = dir.join("scratch.db");
                let _ = std::fs::remove_file(&db);
                let url = format!("sqlite:///{}", db.display());
                let dump = || {
                    rusqlite::Connection::open(&db)
                        .map_err(|e| e.to_string())
                        .and_then(|c| apply::sqlite_schema(&c))
                };
                let has_ledger = || {
                    rusqlite::Connection::open(&db)
                        .is_ok_and(|c| c.prepare("SELECT version_num FROM alembic_version").is_ok())
                };
                let r = alembic(
                    spec,
                    ctx,
                    set,
                    &url,
                    &|s: &str| s.to_string(),
                    &mut out.tool_runs,
                    &dump,
                    &has_ledger,
                );
                match r {
                    Ok(()) => {
                        let res = rusqlite::Connection::open(&db)
                            .map_err(|e| e.to_string())
                            .and_then(|c| alembic_check(set, AlembicDb::Sqlite(&c)));
                        out.report = Some(match res {
                            Ok(schema) => tool_report("sqlite", schema, None),
                            Err(e) => tool_report("sqlite", Default::default(), Some(e)),
                        });
                    }
                    Err(ToolError::Error(e)) => out.error = Some(e),
                    Err(ToolError::Fail(e)) => {
                        out.report = Some(tool_report("sqlite", Default::default(), Some(e)))
                    }
                }
                let _ = std::fs::remove_dir_all(&dir);
                return out;
            }
            let mut db = match Sqlite::in_memory() {
                Ok(d) => d,
                Err(e) => {
                    out.error = Some(e);
                    return out;
                }
            };
            let report = apply::apply(&mut db as &mut dyn ScratchDb, set, deadline);
            let sqlite_cannot_parse = report
                .failure
                .as_deref()
                .is_some_and(|f| f.contains("syntax error") || f.contains("near \""));
            if spec.apply == ApplyMode::Auto && sqlite_cannot_parse {
                out.note = Some(format!(
                    "not applied: the SQL does not run on SQLite ({}); set `database_url` to apply on PostgreSQL",
                    one_line(report.failure.as_deref().unwrap_or_default())
                ));
            } else {
                out.report = Some(report);
            }
        }
    }
    out
}

/// Django, Knex, Rails, TypeORM, Prisma: the framework's own commands on a scratch PostgreSQL database.
fn code_apply(spec: &Spec, ctx: &ProbeContext<'_>, set: &MigrationSet, out: &mut Applied) {
    let fw = set.framework;
    let url = match (spec.apply, spec.database_url.as_deref()) {
        (ApplyMode::Off, _) => {
            out.note = Some("not applied (apply: off)".into());
            return;
        }
        (ApplyMode::Sqlite, _) => {
            out.error = Some(format!(
                "apply: sqlite is not supported for {}; readyctl runs its commands on a scratch PostgreSQL database (`database_url`)",
                fw.as_str()
            ));
            return;
        }
        (_, Some(u)) => u,
        (ApplyMode::Auto, None) => {
            out.note = Some(format!(
                "not applied: set `database_url` to run the {} commands against a scratch PostgreSQL database",
                fw.as_str()
            ));
            return;
        }
        (ApplyMode::Postgres, None) => {
            out.error = Some("apply: postgres needs `database_url`".into());
            return;
        }
    };
    let mut plan = match code_plan(spec, ctx, set) {
        Ok(p) => p,
        Err(e) => {
            out.error = Some(e);
            return;
        }
    };
    let timeout = ctx.remaining().min(Duration::from_secs(15));
    let mut scratch = match PgScratch::create(url, timeout) {
        Ok(s) => s,
        Err(e) => {
            out.error = Some(e);
            return;
        }
    };
    scratch.disconnect();
    let scratch_url = scratch.url.clone();
    let redact = |s: &str| apply::redact_url_password(url, s);
    // Django: a settings module that imports the project's and points DATABASES at the
    // scratch database, for projects whose settings do not read DATABASE_URL.
    let shim_dir = scratch_temp_dir("django", ctx);
    if fw == Framework::Django {
        match django_settings_shim(&plan.workdir, &scratch_url, &shim_dir) {
            Ok(env) => plan.env = env,
            Err(e) => {
                out.error = Some(e);
                return;
            }
        }
    }
    let before = tool::tree_snapshot(ctx.repo);
    let r = code::run(&plan, &scratch_url, &redact, ctx.deadline, ctx.cancel, &mut out.tool_runs);
    let _ = std::fs::remove_dir_all(&shim_dir);
    if let Some(e) = tool::created_in_repo(&before, &tool::tree_snapshot(ctx.repo)) {
        out.error = Some(e);
        return;
    }
    let mut report = match r {
        Ok(schema) => tool_report("postgres", schema, None),
        Err(CodeError::Fail(e)) => tool_report("postgres", Default::default(), Some(e)),
        Err(CodeError::Error(e)) => {
            out.error = Some(e);
            return;
        }
    };
    report.database = Some(scratch.dbname.clone());
    if plan.downgrade.is_none() {
        report.round_trip_skipped = Some(format!("{} has no down migrations", fw.as_str()));
    }
    out.report = Some(report);
    drop(scratch);
}

/// The commands, working directory and ledger of a code framework; an error naming what to
/// install when the default tool is not there.
fn code_plan(
    spec: &Spec,
    ctx: &ProbeContext<'_>,
    set: &MigrationSet,
) -> Result<code::Plan, String> {
    let fw = set.framework;
    let cmds = spec.commands.clone().unwrap_or_default();
    // TypeORM: the data source file, and the project directory holding it (the nearest
    // parent with package.json, else the data source's directory).
    let data_source = match (&cmds.data_source, fw) {
        (Some(ds), _) => {
            let ds = ctx.resolve(ds);
            if !ds.is_file() {
                return Err(format!("commands.data_source {} does not exist", rel(ctx.repo, &ds)));
            }
            Some(ds)
        }
        (None, Framework::Typeorm) => {
            nearest_parent(ctx.repo, &set.dir, |d| typeorm_data_source(d).is_some())
                .and_then(|d| typeorm_data_source(&d))
        }
        _ => None,
    }
    .map(|ds| {
        let dir = ds.parent().unwrap_or(ctx.repo);
        let root = nearest_parent(ctx.repo, dir, |d| d.join("package.json").is_file())
            .unwrap_or_else(|| dir.to_path_buf());
        (root, ds)
    });
    let marker: &dyn Fn(&Path) -> bool = match fw {
        Framework::Django => &|d: &Path| d.join("manage.py").is_file(),
        Framework::Knex => &|d: &Path| {
            ["js", "ts", "cjs", "mjs"].iter().any(|e| d.join(format!("knexfile.{e}")).is_file())
        },
        Framework::Rails => &rails_app_root,
        Framework::Typeorm => &|d: &Path| d.join("package.json").is_file(),
        _ => &|d: &Path| {
            d.join("prisma").join("schema.prisma").is_file() || d.join("schema.prisma").is_file()
        },
    };
    let workdir = match (&cmds.workdir, &data_source) {
        (Some(w), _) => ctx.resolve(w),
        (None, Some((root, _))) => root.clone(),
        (None, None) => {
            let what = match fw {
                Framework::Django => "manage.py",
                Framework::Knex => "knexfile",
                Framework::Rails => "Rails app (bin/rails, config/application.rb)",
                Framework::Typeorm => {
                    "TypeORM data source (data-source.ts/.js, or src/data-source.ts/.js)"
                }
                _ => "schema.prisma",
            };
            let hint = if fw == Framework::Typeorm {
                "set `commands.data_source`"
            } else {
                "set `commands.workdir`"
            };
            nearest_parent(ctx.repo, &set.dir, marker)
                .ok_or_else(|| format!("no {what} above {}; {hint}", rel(ctx.repo, &set.dir)))?
        }
    };
    // Default commands need the tool installed in the project; say what to install.
    let node_bin = |bin: &str| {
        workdir.ancestors().any(|d| d.join("node_modules").join(".bin").join(bin).exists())
    };
    let (upgrade, downgrade, ledger, ledger_sql, expected): (
        String,
        Option<String>,
        _,
        _,
        Vec<String>,
    ) = match fw {
        Framework::Django => {
            if cmds.upgrade.is_none() {
                let probe = tool::run_shell(
                    "python -c 'import django'",
                    &workdir,
                    &[],
                    ctx.deadline,
                    ctx.cancel,
                    &|s: &str| s.to_string(),
                )?;
                if probe.exit_code != Some(0) {
                    return Err(format!(
                        "Django is not importable by `python` in {} (`pip install Django` and a PostgreSQL driver such as psycopg2-binary, or set `commands.upgrade`)",
                        rel(ctx.repo, &workdir)
                    ));
                }
            }
            let mut apps: Vec<&str> = set
                .migrations
                .iter()
                .filter_map(|m| m.version.split_once('.').map(|(a, _)| a))
                .collect();
            apps.dedup();
            let zero = apps
                .iter()
                // App labels come from directory names: quoted, as any text put in a script.
                .map(|a| format!("python manage.py migrate {} zero --noinput", shell_word(a)))
                .collect::<Vec<_>>()
                .join(" && ");
            (
                cmds.upgrade.unwrap_or_else(|| "python manage.py migrate --noinput".into()),
                Some(cmds.downgrade.unwrap_or(zero)),
                "django_migrations",
                "SELECT app || '.' || name FROM django_migrations",
                set.migrations.iter().map(|m| m.version.clone()).collect(),
            )
        }
        Framework::Knex => {
            if cmds.upgrade.is_none() && !node_bin("knex") {
                return Err(format!(
                    "knex is not installed in {} (`npm install knex pg`, or set `commands.upgrade`)",
                    rel(ctx.repo, &workdir)
                ));
            }
            (
                cmds.upgrade.unwrap_or_else(|| "npx --no-install knex migrate:latest".into()),
                Some(
                    cmds.downgrade
                        .unwrap_or_else(|| "npx --no-install knex migrate:rollback --all".into()),
                ),
                "knex_migrations",
                "SELECT name FROM knex_migrations",
                set.migrations
                    .iter()
                    .filter_map(|m| {
                        m.files.first().map(|f| f.rsplit('/').next().unwrap_or(f).to_string())
                    })
                    .collect(),
            )
        }
        Framework::Rails => {
            if cmds.upgrade.is_none() {
                rails_usable(ctx, &workdir)?;
            }
            (
                cmds.upgrade.unwrap_or_else(|| "bin/rails db:migrate".into()),
                Some(cmds.downgrade.unwrap_or_else(|| "bin/rails db:migrate VERSION=0".into())),
                "schema_migrations",
                "SELECT version FROM schema_migrations",
                set.migrations.iter().map(|m| m.version.clone()).collect(),
            )
        }
        Framework::Typeorm => {
            let defaults = match &data_source {
                Some((_, ds)) => {
                    let typescript = is_typescript(ds);
                    if (cmds.upgrade.is_none() || cmds.downgrade.is_none())
                        && (!node_bin("typeorm") || (typescript && !node_bin("ts-node")))
                    {
                        return Err(format!(
                            "typeorm is not installed in {} (`npm install typeorm pg`{}, or set `commands.upgrade` and `commands.downgrade`)",
                            shown_dir(ctx.repo, &workdir),
                            if typescript {
                                " and `npm install ts-node typescript` for the TypeScript data source"
                            } else {
                                ""
                            }
                        ));
                    }
                    let arg = ds.strip_prefix(&workdir).unwrap_or(ds).to_string_lossy();
                    Some(typeorm_commands(&arg, typescript, set.migrations.len()))
                }
                None if cmds.upgrade.is_some() && cmds.downgrade.is_some() => None,
                None => {
                    return Err(format!(
                        "no TypeORM data source (data-source.ts/.js, or src/data-source.ts/.js) above {}; set `commands.data_source`",
                        rel(ctx.repo, &set.dir)
                    ));
                }
            };
            let (up, down) = defaults.unwrap_or_default();
            (
                cmds.upgrade.unwrap_or(up),
                Some(cmds.downgrade.unwrap_or(down)),
                "migrations",
                "SELECT name FROM migrations",
                set.migrations.iter().map(|m| format!("{}{}", m.name, m.version)).collect(),
            )
        }
        _ => {
            if cmds.upgrade.is_none() && !node_bin("prisma") {
                return Err(format!(
                    "prisma is not installed in {} (`npm install prisma`, or set `commands.upgrade`)",
                    rel(ctx.repo, &workdir)
                ));
            }
            (
                cmds.upgrade.unwrap_or_else(|| "npx --no-install prisma migrate deploy".into()),
                cmds.downgrade,
                "_prisma_migrations",
                "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL",
                set.migrations
                    .iter()
                    .filter_map(|m| {
                        m.files.first().and_then(|f| f.rsplit('/').nth(1)).map(str::to_string)
                    })
                    .collect(),
            )
        }
    };
    let migrations = set.migrations.iter().map(|m| (m.version.clone(), m.name.clone())).collect();
    let isolation_hint = match fw {
        Framework::Django => "its settings module replaces DATABASES after readyctl's override, or the commands name another settings module: let DATABASES['default'] come from DATABASE_URL",
        Framework::Rails => "config/database.yml names a `url:` or database that wins over DATABASE_URL: let the environment's `url` be `<%= ENV['DATABASE_URL'] %>`",
        Framework::Knex => "the knexfile's connection does not read process.env.DATABASE_URL",
        Framework::Typeorm => "the data source's url/host does not read process.env.DATABASE_URL",
        _ => "schema.prisma's datasource url is not env(\"DATABASE_URL\")",
    }
    .to_string();
    Ok(code::Plan {
        upgrade,
        downgrade,
        workdir,
        ledger,
        ledger_sql,
        expected,
        migrations,
        env: Vec::new(),
        isolation_hint,
    })
}

/// Environment for Django's commands that points `DATABASES["default"]` at the scratch
/// database whatever the project's settings say: `DJANGO_SETTINGS_MODULE` names a module in
/// `dir` that imports the project's settings module (from the environment, else manage.py's
/// `setdefault`) and overrides DATABASES; the password travels in the environment, not the
/// file. Empty when the project's settings module cannot be found (DATABASE_URL only).
fn django_settings_shim(
    workdir: &Path,
    scratch_url: &str,
    dir: &Path,
) -> Result<Vec<(String, String)>, String> {
    let manage = std::fs::read_to_string(workdir.join("manage.py")).unwrap_or_default();
    let re = regex::Regex::new(r#"DJANGO_SETTINGS_MODULE["']\s*,\s*["']([\w.]+)["']"#)
        .expect("static regex");
    let Some(original) = std::env::var("DJANGO_SETTINGS_MODULE")
        .ok()
        .or_else(|| re.captures(&manage).map(|c| c[1].to_string()))
    else {
        return Ok(Vec::new());
    };
    let cfg: postgres::Config =
        scratch_url.parse().map_err(|e| format!("scratch database URL: {e}"))?;
    let host = match cfg.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(postgres::config::Host::Unix(p)) => p.to_string_lossy().into_owned(),
        None => "localhost".into(),
    };
    let port = cfg.get_ports().first().copied().unwrap_or(5432);
    let py = |s: &str| format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"));
    let module = format!(
        "# Written by readyctl: the project's settings with DATABASES on readyctl's scratch database.\nimport os\nfrom {original} import *  # noqa: F401,F403\n\nDATABASES = {{\n    'default': {{\n        'ENGINE': 'django.db.backends.postgresql',\n        'NAME': {},\n        'USER': {},\n        'PASSWORD': os.environ.get('READYCTL_SCRATCH_PASSWORD', ''),\n        'HOST': {},\n        'PORT': '{port}',\n    }}\n}}\n",
        py(cfg.get_dbname().unwrap_or("")),
        py(cfg.get_user().unwrap_or("")),
        py(&host),
    );
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    std::fs::write(dir.join("readyctl_scratch_settings.py"), module)
        .map_err(|e| format!("cannot write the Django settings shim: {e}"))?;
    let password = cfg.get_password().map(|p| String::from_utf8_lossy(p).into_owned());
    let pythonpath = match std::env::var("PYTHONPATH") {
        Ok(p) if !p.is_empty() => format!("{}:{}:{p}", dir.display(), workdir.display()),
        _ => format!("{}:{}", dir.display(), workdir.display()),
    };
    Ok(vec![
        ("DJANGO_SETTINGS_MODULE".into(), "readyctl_scratch_settings".into()),
        ("PYTHONPATH".into(), pythonpath),
        ("READYCTL_SCRATCH_PASSWORD".into(), password.unwrap_or_default()),
    ])
}

/// A directory name of its own under the system temp directory for one use by one check
/// (checks, and tests, run concurrently in one process).
fn scratch_temp_dir(what: &str, ctx: &ProbeContext<'_>) -> PathBuf {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    std::env::temp_dir().join(format!(
        "readyctl-{what}-{}-{}-{}",
        std::process::id(),
        ctx.check_id.replace(['/', ' '], "_"),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ))
}

/// The first line of a message, at most 160 characters: a reason is one line in a table.
fn one_line(s: &str) -> String {
    let first = s.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    if first.chars().count() > 160 {
        format!("{}…", first.chars().take(160).collect::<String>())
    } else {
        first.to_string()
    }
}

/// The nearest of `start` and its parents, up to `repo`, for which `pred` holds.
fn nearest_parent(repo: &Path, start: &Path, pred: impl Fn(&Path) -> bool) -> Option<PathBuf> {
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
fn shown_dir(repo: &Path, dir: &Path) -> String {
    let r = rel(repo, dir);
    if r.is_empty() { ".".into() } else { r }
}

/// A Rails app root: `bin/rails` or `config/application.rb`.
fn rails_app_root(dir: &Path) -> bool {
    dir.join("bin").join("rails").is_file() || dir.join("config").join("application.rb").is_file()
}

/// Where `typeorm init` and TypeORM's documentation put the data source, in that order.
const TYPEORM_DATA_SOURCES: [&str; 8] = [
    "data-source.ts",
    "data-source.js",
    "data-source.cjs",
    "data-source.mjs",
    "src/data-source.ts",
    "src/data-source.js",
    "src/data-source.cjs",
    "src/data-source.mjs",
];

/// The TypeORM data source file of the project rooted at `dir`, if it has one.
fn typeorm_data_source(dir: &Path) -> Option<PathBuf> {
    TYPEORM_DATA_SOURCES.iter().map(|f| dir.join(f)).find(|p| p.is_file())
}

fn is_typescript(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "ts" || e == "mts" || e == "cts")
}

/// TypeORM's default upgrade and downgrade commands for a data source (`-d` argument as
/// given). A TypeScript data source (and its `.ts` migrations) loads through ts-node, as
/// TypeORM's documentation says (`typeorm-ts-node-commonjs`). `migration:revert` undoes one
/// migration per call, so the downgrade calls it once per migration of the set.
fn typeorm_commands(data_source: &str, typescript: bool, n: usize) -> (String, String) {
    let bin = if typescript { "typeorm-ts-node-commonjs" } else { "typeorm" };
    let ds = shell_word(data_source);
    let run = format!("npx --no-install {bin} migration:run -d {ds}");
    let revert = format!("npx --no-install {bin} migration:revert -d {ds}");
    let down =
        if n == 1 { revert } else { format!("for _ in $(seq {n}); do {revert} || exit $?; done") };
    (run, down)
}

/// `s` as one `sh` word: unchanged when it holds only safe characters, else single-quoted.
fn shell_word(s: &str) -> String {
    crate::shell::shell_quote(s)
}

/// The default Rails commands need `bin/rails` and a Ruby that boots the app (`bin/rails
/// --version` loads `config/boot.rb`, so Bundler and the app's gems, without touching the
/// database); else an error saying what to install.
fn rails_usable(ctx: &ProbeContext<'_>, workdir: &Path) -> Result<(), String> {
    if !workdir.join("bin").join("rails").is_file() {
        return Err(format!(
            "no bin/rails in {} (`rails app:update:bin` makes it), or set `commands.upgrade` and `commands.downgrade`",
            shown_dir(ctx.repo, workdir)
        ));
    }
    let probe = tool::run_shell(
        "bin/rails --version",
        workdir,
        &[],
        ctx.deadline,
        ctx.cancel,
        &|s: &str| s.to_string(),
    )?;
    if probe.exit_code == Some(0) {
        return Ok(());
    }
    let last = probe.output.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
    let what =
        if probe.exit_code == Some(127) { "Ruby is not installed" } else { "Rails does not load" };
    Err(format!(
        "{what}: `bin/rails --version` in {} failed ({last}); install Ruby and the app's gems (`bundle install`; on Debian `apt-get install ruby-railties ruby-activerecord ruby-pg`), or set `commands.upgrade` and `commands.downgrade`",
        shown_dir(ctx.repo, workdir)
    ))
}

fn tool_report(
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

enum ToolError {
    /// The claim does not hold (a command failed).
    Fail(String),
    /// Could not verify (tool missing, timeout).
    Error(String),
}

/// upgrade, downgrade, upgrade with the framework's own commands.
#[expect(clippy::too_many_arguments, reason = "the scratch database's accessors differ by engine")]
fn alembic(
    spec: &Spec,
    ctx: &ProbeContext<'_>,
    set: &MigrationSet,
    url: &str,
    redact: &dyn Fn(&str) -> String,
    runs: &mut Vec<ToolRun>,
    dump: &dyn Fn() -> Result<apply::Schema, String>,
    has_ledger: &dyn Fn() -> bool,
) -> Result<(), ToolError> {
    let workdir = match &spec.alembic.workdir {
        Some(w) => ctx.resolve(w),
        None => {
            let mut d = Some(set.dir.as_path());
            let mut found = None;
            while let Some(dir) = d {
                if dir.join("alembic.ini").is_file() {
                    found = Some(dir.to_path_buf());
                    break;
                }
                if dir == ctx.repo {
                    break;
                }
                d = dir.parent();
            }
            found.ok_or_else(|| {
                ToolError::Error(format!(
                    "no alembic.ini above {}; set `alembic.workdir`",
                    rel(ctx.repo, &set.dir)
                ))
            })?
        }
    };
    // Isolation: alembic is pointed at the scratch database by a copy of alembic.ini with
    // `sqlalchemy.url` set (`-c` and ALEMBIC_CONFIG) and by DATABASE_URL; an env.py that takes
    // its URL from elsewhere is not run at all, and afterwards the scratch database must hold
    // alembic_version and the repository must hold no new file.
    let ini = workdir.join("alembic.ini");
    let env_py = alembic_env_py(&ini);
    let custom = [&spec.alembic.upgrade, &spec.alembic.downgrade]
        .iter()
        .any(|c| c.contains("DATABASE_URL") || c.contains(" -x "));
    if !custom
        && let Some((path, text)) = &env_py
        && let Some(source) = tool::alembic_env_url_source(text)
    {
        return Err(ToolError::Error(format!(
            "{} reads its URL from `{source}`, not from sqlalchemy.url or DATABASE_URL: readyctl runs alembic only against its own scratch database; make env.py honour DATABASE_URL (or config.get_main_option(\"sqlalchemy.url\")) and set `database_url`",
            rel(ctx.repo, path)
        )));
    }
    let cfg_dir = scratch_temp_dir("alembic-cfg", ctx);
    let config = if ini.is_file() {
        Some(tool::alembic_config_copy(&ini, url, &cfg_dir).map_err(ToolError::Error)?)
    } else {
        None
    };
    struct Cleanup(PathBuf);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let _cleanup = Cleanup(cfg_dir);
    let before = tool::tree_snapshot(ctx.repo);
    let created = || tool::created_in_repo(&before, &tool::tree_snapshot(ctx.repo));
    let config_s = config.as_ref().map(|c| c.to_string_lossy().into_owned());
    let mut env: Vec<(&str, &str)> = vec![("DATABASE_URL", url)];
    if let Some(c) = &config_s {
        env.push(("ALEMBIC_CONFIG", c));
    }
    for (step, cmd) in [&spec.alembic.upgrade, &spec.alembic.downgrade, &spec.alembic.upgrade]
        .into_iter()
        .enumerate()
    {
        let run = match &config {
            Some(c) => tool::with_alembic_config(cmd, c),
            None => cmd.to_string(),
        };
        let r = tool::run_shell(&run, &workdir, &env, ctx.deadline, ctx.cancel, redact)
            .map_err(ToolError::Error)?;
        let code = r.exit_code;
        let last =
            r.output.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_string();
        let environment = tool::environment_problem(&r.output);
        runs.push(r);
        if let Some(e) = created() {
            return Err(ToolError::Error(format!("after `{cmd}`, {e}")));
        }
        match code {
            Some(0) => {}
            Some(127) => {
                return Err(ToolError::Error(format!("`{cmd}`: command not found ({last})")));
            }
            Some(_) if environment.is_some() => {
                return Err(ToolError::Error(format!(
                    "`{cmd}` could not load the project: {} (an environment problem, not a migration failure: run it where the project's code is importable, e.g. `alembic.upgrade: uv run alembic upgrade head`)",
                    environment.unwrap_or_default()
                )));
            }
            Some(c) => return Err(ToolError::Fail(format!("`{cmd}` exited with {c}: {last}"))),
            None => {
                return Err(ToolError::Error(format!(
                    "`{cmd}` did not finish before the deadline"
                )));
            }
        }
        if step == 0 && !has_ledger() {
            let why = match &env_py {
                Some((path, text)) => match tool::alembic_env_url_source(text) {
                    Some(source) => format!(
                        "{} reads its URL from `{source}`, not from sqlalchemy.url",
                        rel(ctx.repo, path)
                    ),
                    None => format!(
                        "{} did not use the sqlalchemy.url or DATABASE_URL readyctl gave it",
                        rel(ctx.repo, path)
                    ),
                },
                None => {
                    "the command did not use the sqlalchemy.url or DATABASE_URL readyctl gave it"
                        .into()
                }
            };
            return Err(ToolError::Error(format!(
                "`{cmd}` succeeded but readyctl's scratch database holds no alembic_version: it migrated another database ({why}); make the project honour DATABASE_URL and set `database_url`"
            )));
        }
        if step == 1 {
            // After the downgrade nothing but alembic's own table may remain.
            let left: Vec<String> = dump().map_err(ToolError::Error)?.into_keys().collect();
            if !left.is_empty() {
                return Err(ToolError::Fail(format!(
                    "`{cmd}` leaves schema objects behind: {}",
                    crate::text::first_few(&left, 5, crate::text::More::And)
                )));
            }
        }
    }
    Ok(())
}

/// The env.py the configuration's `script_location` names, and its text.
fn alembic_env_py(ini: &Path) -> Option<(PathBuf, String)> {
    let text = std::fs::read_to_string(ini).ok()?;
    let here = ini.parent()?;
    let loc = text.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == "script_location").then(|| v.trim().to_string())
    })?;
    let loc = loc.replace("%(here)s", &here.to_string_lossy());
    let dir = if Path::new(&loc).is_absolute() { PathBuf::from(loc) } else { here.join(loc) };
    let path = dir.join("env.py");
    let text = std::fs::read_to_string(&path).ok()?;
    Some((path, text))
}

enum AlembicDb<'a> {
    Pg(&'a mut postgres::Client),
    Sqlite(&'a rusqlite::Connection),
}

/// `alembic_version` must hold exactly the graph's single head. Returns the schema dump.
fn alembic_check(set: &MigrationSet, db: AlembicDb<'_>) -> Result<apply::Schema, String> {
    let (versions, schema) = match db {
        AlembicDb::Pg(c) => {
            let rows = c
                .query("SELECT version_num FROM alembic_version", &[])
                .map_err(|e| apply::pg_error(&e))?;
            (rows.iter().map(|r| r.get::<_, String>(0)).collect::<Vec<_>>(), apply::pg_schema(c)?)
        }
        AlembicDb::Sqlite(c) => {
            let mut st =
                c.prepare("SELECT version_num FROM alembic_version").map_err(|e| e.to_string())?;
            let v: Vec<String> = st
                .query_map([], |r| r.get(0))
                .map_err(|e| e.to_string())?
                .collect::<Result<_, _>>()
                .map_err(|e| e.to_string())?;
            (v, apply::sqlite_schema(c)?)
        }
    };
    let mut heads = integrity::alembic_heads(set);
    let mut got = versions.clone();
    heads.sort();
    got.sort();
    if heads != got {
        return Err(format!(
            "alembic_version holds [{}] after upgrade, expected the head [{}]",
            got.join(", "),
            heads.join(", ")
        ));
    }
    Ok(schema)
}

/// Lint findings that count, and those in released migrations (evidence only).
struct LintResult {
    findings: Vec<Finding>,
    released: Vec<Finding>,
    scope: Scope,
}

fn outcome(
    ctx: &ProbeContext<'_>,
    set: &MigrationSet,
    issues: Vec<Issue>,
    lint: LintResult,
    applied: Applied,
    selected: &BTreeSet<Rule>,
    require_apply: bool,
) -> ProbeOutcome {
    let LintResult { findings, released, scope } = lint;
    let released_active = released.iter().filter(|f| f.ignored.is_none()).count();
    let fw = set.framework.as_str();
    let n = set.migrations.len();
    let failing_issues: Vec<&Issue> = issues.iter().filter(|i| i.level == Level::Fail).collect();
    let active: Vec<&Finding> = findings.iter().filter(|f| f.ignored.is_none()).collect();
    let ignored = findings.len() - active.len();
    let apply_failure = applied.report.as_ref().and_then(|r| r.failure.clone());

    let mut reasons = Vec::new();
    if let Some(f) = &apply_failure {
        reasons.push(f.clone());
    }
    if let Some(i) = failing_issues.first() {
        reasons.push(format!(
            "{} integrity problem(s), first: {}",
            failing_issues.len(),
            i.message
        ));
    }
    if let Some(f) = active.first() {
        reasons.push(format!(
            "{} lint finding(s), first: {}:{} {} ({})",
            active.len(),
            f.path,
            f.line,
            f.rule,
            f.message
        ));
    }
    // Nothing was applied although the check claims the migrations apply: what was examined
    // (integrity, lint) is not the whole claim, so the result is error, never pass.
    let unapplied =
        reasons.is_empty() && applied.error.is_none() && applied.report.is_none() && require_apply;
    let status = if (applied.error.is_some() || unapplied) && reasons.is_empty() {
        Status::Error
    } else if reasons.is_empty() {
        Status::Pass
    } else {
        Status::Fail
    };
    let applied_text = match (&applied.report, &applied.note, &applied.error) {
        (_, _, Some(e)) if e.starts_with("drift:") => e.clone(),
        (_, _, Some(e)) => format!("not applied: {e}"),
        (Some(r), _, _) if r.failure.is_none() => match &r.round_trip_skipped {
            _ if !applied.tool_runs.is_empty() && set.framework == Framework::Alembic => {
                format!("upgrade/downgrade/upgrade on {} at the single head", r.engine)
            }
            None if !applied.tool_runs.is_empty() => format!(
                "{}'s commands: upgrade, downgrade, upgrade and a no-op upgrade on {}, ledger complete",
                fw, r.engine
            ),
            Some(why) if !applied.tool_runs.is_empty() => format!(
                "{}'s commands: upgrade and a no-op upgrade on {}, ledger complete ({why})",
                fw, r.engine
            ),
            None => format!("up/down/up round trip and no-op re-apply on {}", r.engine),
            Some(why) => format!(
                "applied and re-applied as a no-op on {} (round trip skipped: {why})",
                r.engine
            ),
        },
        (_, Some(note), _) => note.clone(),
        _ => String::new(),
    };
    let released_text = if released_active > 0 {
        format!(
            "; {released_active} lint finding(s) in released migrations not counted (in scope: {})",
            scope.how
        )
    } else {
        String::new()
    };
    let reason = match status {
        Status::Error if unapplied => {
            let cause = applied_text.strip_prefix("not applied").unwrap_or(&applied_text);
            let cause = cause.trim_start_matches([':', ' ']);
            let cause = if cause.is_empty() { "no scratch database" } else { cause };
            let lint_text = if selected.is_empty() {
                "lint off".to_string()
            } else if released_active > 0 {
                "no lint finding in unreleased migrations".to_string()
            } else if ignored > 0 {
                format!("lint clean ({ignored} ignored)")
            } else {
                "lint clean".to_string()
            };
            let hint = if cause.contains("database_url") {
                String::new()
            } else {
                " — set `database_url` to a PostgreSQL server, or `require_apply: false` to claim integrity and lint only".to_string()
            };
            format!(
                "{n} {fw} migrations consistent, {lint_text}; not applied: {cause}{hint}{released_text}"
            )
        }
        Status::Pass => {
            let mut s =
                format!("{n} {fw} migrations: integrity ok, {} lint finding(s)", active.len());
            if ignored > 0 {
                s.push_str(&format!(" ({ignored} ignored)"));
            }
            s.push_str(&released_text);
            if applied.report.is_none() {
                // The pass covers what was examined: integrity and lint, not the apply.
                s.push_str(&format!(
                    "; {} — applying and reversibility not verified",
                    if applied_text.is_empty() { "not applied" } else { applied_text.as_str() }
                ));
            } else if !applied_text.is_empty() {
                s.push_str(&format!(", {applied_text}"));
            }
            s
        }
        Status::Error => format!("{n} {fw} migrations checked, but {applied_text}"),
        _ => format!("{}{released_text}", reasons.join("; ")),
    };
    let mut out = ProbeOutcome::new(status, reason);
    out.measurements.push(Measurement::new("migrations", n as f64, "count"));
    out.measurements.push(
        Measurement::new("integrity_problems", failing_issues.len() as f64, "count")
            .with_threshold("<= 0"),
    );
    if !selected.is_empty() {
        out.measurements.push(
            Measurement::new("lint_findings", active.len() as f64, "count").with_threshold("<= 0"),
        );
        out.measurements.push(Measurement::new("lint_ignored", ignored as f64, "count"));
        out.measurements.push(Measurement::new("lint_released", released_active as f64, "count"));
    }
    // 1: the migrations ran on a scratch database (see `round_trip` for how far); 0: only
    // integrity and lint were examined.
    out.measurements.push(Measurement::new(
        "applied",
        if applied.report.is_some() { 1.0 } else { 0.0 },
        "count",
    ));
    if let Some(r) = &applied.report {
        let total: f64 = r.steps.iter().map(|s| s.ms).sum::<f64>()
            + applied.tool_runs.iter().map(|t| t.ms).sum::<f64>();
        out.measurements.push(Measurement::new("apply_time", total, "ms"));
        // 1: upgrade, downgrade, upgrade and a no-op re-apply all ran; 0: applied without
        // the round trip (no down migrations) or the apply failed. Absent: not applied.
        let round_trip = r.failure.is_none() && r.round_trip_skipped.is_none();
        out.measurements.push(Measurement::new(
            "round_trip",
            if round_trip { 1.0 } else { 0.0 },
            "count",
        ));
    }
    for i in issues.iter().filter(|i| i.level != Level::Off) {
        out.locations.push(Location {
            path: i.path.clone(),
            line: None,
            column: None,
            message: Some(i.message.clone()),
            rule: Some(i.rule.to_string()),
        });
    }
    for f in &active {
        let rule = Rule::from_id(f.rule);
        let msg = match rule {
            Some(r) => format!("{}: {}; instead: {}", f.message, r.why(), r.fix()),
            None => f.message.clone(),
        };
        out.locations.push(Location {
            path: f.path.clone(),
            line: Some(f.line),
            column: None,
            message: Some(msg),
            rule: Some(f.rule.to_string()),
        });
    }
    let summary = serde_json::json!({
        "framework": fw,
        "directory": rel(ctx.repo, &set.dir),
        "migrations": set.migrations.iter().map(|m| serde_json::json!({
            "version": m.version, "name": m.name, "kind": m.kind, "files": m.files,
            "in_transaction": m.in_transaction, "has_down": m.down.is_some() || m.has_code_down,
            "parents": m.parents,
        })).collect::<Vec<_>>(),
        "integrity": issues,
        "lint": {
            "rules": selected.iter().map(|r| r.id()).collect::<Vec<_>>(),
            "findings": findings,
            "scope": scope.how,
            "released_findings": released,
        },
        "apply": applied.report.as_ref().map(|r| serde_json::json!({
            "engine": r.engine, "database": r.database, "steps": r.steps, "round_trip_skipped": r.round_trip_skipped,
            "reapplied": r.reapplied, "failure": r.failure,
        })),
        "apply_note": applied.note,
        "apply_error": applied.error,
        "commands": applied.tool_runs,
    });
    out.artifacts.push(Artifact::json("summary.json", &summary));
    if let Some(r) = &applied.report
        && !r.schema.is_empty()
    {
        out.artifacts.push(Artifact::json(
            "schema.json",
            &serde_json::to_value(&r.schema).unwrap_or_default(),
        ));
    }
    for (i, t) in applied.tool_runs.iter().enumerate() {
        out.artifacts.push(Artifact::bytes(
            format!("command-{}.log", i + 1),
            format!("$ {}\n{}", t.command, t.output),
        ));
    }
    out
}

/// What `readyctl migrations lock` calls: writes the lock for the spec's migration set and
/// returns (lock path, number of files recorded).
pub fn write_lock(spec: &Spec, ctx: &ProbeContext<'_>) -> Result<(PathBuf, usize), String> {
    let (dir, framework) = find_dir(ctx, spec)?;
    let set = detect::load(ctx.repo, &dir, framework)?;
    let lock_path = spec
        .lock
        .as_ref()
        .map(|l| ctx.resolve(l))
        .unwrap_or_else(|| set.dir.join("migrations.lock"));
    let n = integrity::write_lock(ctx.repo, &set, &lock_path)?;
    Ok((lock_path, n))
}

/// Load-time problems: unknown lint rule ids, an invalid naming regex, `apply: postgres`
/// without a server.
pub fn validate(spec: &Spec) -> Vec<crate::probe::ProbeIssue> {
    use crate::probe::ProbeIssue;
    let mut issues = Vec::new();
    if let LintSelection::Only(ids) = &spec.lint {
        let known: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
        for (i, id) in ids.iter().enumerate() {
            if Rule::from_id(id).is_none() {
                let mut issue =
                    ProbeIssue::new(format!("lint[{i}]"), format!("unknown lint rule `{id}`"));
                issue = match crate::diag::did_you_mean(id, known.iter().copied()) {
                    Some(s) => issue.hint(format!("did you mean `{s}`?")),
                    None => issue.hint(format!("rules: {}", known.join(", "))),
                };
                issues.push(issue);
            }
        }
    }
    if let Some(naming) = &spec.naming
        && let Err(e) = regex::Regex::new(naming)
    {
        issues.push(ProbeIssue::new("naming", crate::probe::regex_error(naming, &e)));
    }
    if spec.apply == ApplyMode::Postgres && spec.database_url.is_none() {
        issues.push(
            ProbeIssue::new("apply", "`apply: postgres` needs `database_url`")
                .hint("database_url: \"${env:DATABASE_URL}\""),
        );
    }
    issues
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_parses_lint_forms_and_rejects_unknown_rules() {
        let s: Spec = serde_yaml::from_str("path: db\nlint: false\n").unwrap();
        assert_eq!(s.lint, LintSelection::Off);
        assert_eq!(s.missing_down, Level::Warn);
        let s: Spec = serde_yaml::from_str("lint: [drop-table, set-not-null]\n").unwrap();
        assert_eq!(s.lint.rules().len(), 2);
        let e = serde_yaml::from_str::<Spec>("lint: [drop-tabel]\n").unwrap_err().to_string();
        assert!(e.contains("unknown lint rule `drop-tabel`"), "{e}");
        let e = serde_yaml::from_str::<Spec>("pth: db\n").unwrap_err().to_string();
        assert!(e.contains("unknown field `pth`"), "{e}");
        let s: Spec = serde_yaml::from_str(
            "framework: golang_migrate\napply: off\nalembic: { upgrade: make up }\n",
        )
        .unwrap();
        assert_eq!(s.framework, Some(Framework::GolangMigrate));
        assert_eq!(s.alembic.downgrade, "alembic downgrade base");
    }

    #[test]
    fn nearest_parent_stops_at_the_repository() {
        let root = std::env::temp_dir().join(format!("readyctl-np-{}", std::process::id()));
        let app = root.join("repo/app");
        std::fs::create_dir_all(app.join("db/migrate")).unwrap();
        std::fs::create_dir_all(app.join("config")).unwrap();
        std::fs::create_dir_all(root.join("config")).unwrap();
        std::fs::write(root.join("config/application.rb"), "").unwrap();
        let repo = root.join("repo");
        // Above the repository does not count.
        assert_eq!(nearest_parent(&repo, &app.join("db/migrate"), rails_app_root), None);
        std::fs::write(app.join("config/application.rb"), "").unwrap();
        assert_eq!(
            nearest_parent(&repo, &app.join("db/migrate"), rails_app_root),
            Some(app.clone())
        );
        // TypeORM: data-source.ts at the root wins over src/, src/ is found too.
        std::fs::create_dir_all(app.join("src/migration")).unwrap();
        assert_eq!(typeorm_data_source(&app), None);
        std::fs::write(app.join("src/data-source.js"), "").unwrap();
        assert_eq!(typeorm_data_source(&app), Some(app.join("src/data-source.js")));
        let found =
            nearest_parent(&repo, &app.join("src/migration"), |d| typeorm_data_source(d).is_some());
        // From src/migration, src/ itself holds data-source.js.
        assert_eq!(found, Some(app.join("src")));
        std::fs::write(app.join("data-source.ts"), "").unwrap();
        assert_eq!(typeorm_data_source(&app), Some(app.join("data-source.ts")));
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn typeorm_default_commands() {
        let (up, down) = typeorm_commands("src/data-source.ts", true, 3);
        assert_eq!(
            up,
            "npx --no-install typeorm-ts-node-commonjs migration:run -d src/data-source.ts"
        );
        assert_eq!(
            down,
            "for _ in $(seq 3); do npx --no-install typeorm-ts-node-commonjs migration:revert -d src/data-source.ts || exit $?; done"
        );
        let (up, down) = typeorm_commands("my app/ds.js", false, 1);
        assert_eq!(up, "npx --no-install typeorm migration:run -d 'my app/ds.js'");
        assert_eq!(down, "npx --no-install typeorm migration:revert -d 'my app/ds.js'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert!(is_typescript(Path::new("a/data-source.ts")));
        assert!(!is_typescript(Path::new("a/data-source.js")));
    }

    #[test]
    fn commands_data_source_is_a_known_field() {
        let s: Spec = serde_yaml::from_str(
            "commands: { data_source: src/db.ts, workdir: . }
",
        )
        .unwrap();
        assert_eq!(s.commands.unwrap().data_source.as_deref(), Some("src/db.ts"));
        let e = serde_yaml::from_str::<Spec>(
            "commands: { datasource: x }
",
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown field `datasource`"), "{e}");
    }

    #[test]
    fn schema_generates() {
        let schema = schemars::schema_for!(Spec);
        let text = serde_json::to_string(&schema).unwrap();
        assert!(text.contains("index-without-concurrently"));
        assert!(text.contains("database_url"));
    }
}
