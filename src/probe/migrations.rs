//! The `migrations` probe: detect the framework and migration set, check integrity, lint the
//! SQL, and apply it to a scratch database (SQLite embedded, or a throwaway PostgreSQL
//! database created on `database_url` and dropped at the end). The logic lives in
//! `crate::migrations` (what each framework is and how it is applied: `migrations::framework`);
//! this file maps a spec to it, chooses the scratch database, and words the findings as an
//! outcome.

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
use crate::migrations::framework::{self, AppliedBy, alembic, tool_report};
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
    /// `migrations`, `db/migrations`, `db/migrate`, `alembic/versions`, `migrations/versions`,
    /// `src/main/resources/db/migration`, `prisma/migrations`, `db/migration`,
    /// `sql/migrations`, `src/migration`, `src/migrations` that holds migrations; else the
    /// first found by discovery: Prisma's schema directory (`package.json`), a Django project
    /// (its apps' `migrations/`), `db/migrate`, `db/migrations` or
    /// `src/main/resources/db/migration` at any depth, a Liquibase changelog, the same
    /// directories under each unit.
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
            framework::DEFAULT_DIRS.join(", ")
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
    const SHELL_FIELDS: &'static [&'static str] =
        &["alembic.upgrade", "alembic.downgrade", "commands.upgrade", "commands.downgrade"];
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
        let source = crate::db::redact_url_password(&d.url, &d.url);
        let query = framework::ledger_query(framework);
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
    let by = framework::applied_by(set, spec.commands.is_some());
    if by == AppliedBy::Commands {
        code_apply(spec, ctx, set, &mut out);
        return out;
    }
    if let AppliedBy::Never(why) = by {
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
            if by == AppliedBy::Alembic {
                let cmds = alembic_commands(spec, ctx);
                let env = framework_env(ctx);
                let runs = &mut out.tool_runs;
                match alembic::apply_postgres(&env, &cmds, set, url, &mut scratch, timeout, runs) {
                    Ok(r) => out.report = Some(r),
                    Err(e) => out.error = Some(e),
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
            if by == AppliedBy::Alembic {
                let cmds = alembic_commands(spec, ctx);
                match alembic::apply_sqlite(&framework_env(ctx), &cmds, set, &mut out.tool_runs) {
                    Ok(r) => out.report = Some(r),
                    Err(e) => out.error = Some(e),
                }
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
    let env = framework_env(ctx);
    let mut plan = match framework::plan(&env, &commands(spec, ctx), set) {
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
    let redact = |s: &str| crate::db::redact_url_password(url, s);
    // Django: a settings module that imports the project's and points DATABASES at the
    // scratch database, for projects whose settings do not read DATABASE_URL.
    let shim_dir = env.temp_dir("django");
    match framework::isolation_env(&plan, fw, &scratch_url, &shim_dir) {
        Ok(env) => plan.env = env,
        Err(e) => {
            out.error = Some(e);
            return;
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

/// What the framework modules need of the check's context.
fn framework_env<'a>(ctx: &'a ProbeContext<'_>) -> framework::Env<'a> {
    framework::Env {
        repo: ctx.repo,
        check_id: ctx.check_id,
        deadline: ctx.deadline,
        cancel: ctx.cancel,
    }
}

/// The spec's `commands`, paths resolved against the repository.
fn commands(spec: &Spec, ctx: &ProbeContext<'_>) -> framework::Commands {
    let cmds = spec.commands.clone().unwrap_or_default();
    framework::Commands {
        upgrade: cmds.upgrade,
        downgrade: cmds.downgrade,
        workdir: cmds.workdir.map(|w| ctx.resolve(w)),
        data_source: cmds.data_source.map(|d| ctx.resolve(d)),
    }
}

/// The spec's `alembic` commands, `workdir` resolved against the repository.
fn alembic_commands<'a>(spec: &'a Spec, ctx: &ProbeContext<'_>) -> alembic::Commands<'a> {
    alembic::Commands {
        upgrade: &spec.alembic.upgrade,
        downgrade: &spec.alembic.downgrade,
        workdir: spec.alembic.workdir.as_ref().map(|w| ctx.resolve(w)),
    }
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

    /// `path`'s description (the JSON Schema's) names every directory tried, in order.
    #[test]
    fn path_doc_names_every_default_directory_in_order() {
        let schema = schemars::schema_for!(Spec);
        let doc = schema.as_value()["properties"]["path"]["description"].as_str().unwrap();
        let mut at = 0;
        for dir in framework::DEFAULT_DIRS {
            let quoted = format!("`{dir}`");
            let found = doc[at..].find(&quoted);
            assert!(
                found.is_some(),
                "the doc of `path` does not name {quoted} (after {at}): {doc}"
            );
            at += found.unwrap_or(0) + quoted.len();
        }
    }

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
