//! Alembic (Python): the revision graph from the `revision` / `down_revision` assignments of
//! the version files (read, never executed), and alembic's own upgrade/downgrade/upgrade on a
//! scratch database (PostgreSQL, or a SQLite file), kept there by a copy of `alembic.ini` with
//! `sqlalchemy.url` set, `DATABASE_URL`, and checks afterwards (the scratch database holds
//! `alembic_version` at the single head; the repository holds no new file).

use std::path::{Path, PathBuf};
use std::time::Duration;

use regex::Regex;

use super::{Env, Listing, migration, tool_report};
use crate::migrations::apply::{self, ApplyReport, PgScratch};
use crate::migrations::detect::{Migration, MigrationSet, file_name, list, read, rel};
use crate::migrations::integrity;
use crate::migrations::tool::{self, ToolRun};

pub(super) const LEDGER_QUERY: &str = "SELECT version_num FROM alembic_version";

/// Where `init` looks for `alembic.ini`, whose `script_location` names the migrations.
pub const CONFIG_FILES: [&str; 3] = ["alembic.ini", "backend/alembic.ini", "app/alembic.ini"];

/// The directories the `alembic.ini` files of [`CONFIG_FILES`] name (`script_location =
/// %(here)s/alembic` → `alembic`), repository-relative, in that order.
pub fn configured_dirs(repo: &Path) -> Vec<String> {
    let mut dirs: Vec<String> = Vec::new();
    for ini in CONFIG_FILES {
        for line in std::fs::read_to_string(repo.join(ini)).unwrap_or_default().lines() {
            if let Some((k, v)) = line.split_once('=')
                && k.trim() == "script_location"
            {
                let base = Path::new(ini)
                    .parent()
                    .map(|p| p.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let v = v.trim().trim_start_matches("%(here)s/").trim_start_matches("./");
                dirs.push(if base.is_empty() { v.to_string() } else { format!("{base}/{v}") });
            }
        }
    }
    dirs
}

/// A `.py` file assigning `down_revision` in the directory or its `versions/`.
pub(super) fn detects(l: &Listing<'_>) -> bool {
    let has_alembic = |d: &Path| {
        list(d).ok().is_some_and(|es| {
            es.iter().any(|p| {
                p.extension().is_some_and(|e| e == "py")
                    && std::fs::read_to_string(p).is_ok_and(|t| t.contains("down_revision"))
            })
        })
    };
    has_alembic(l.dir) || has_alembic(&l.dir.join("versions"))
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

pub(super) fn load(repo: &Path, dir: &Path, set: &mut MigrationSet) -> Result<(), String> {
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
            parents,
            has_code_down,
            ..migration(rev, name, vec![rel(repo, &p)])
        });
    }
    Ok(())
}

/// The check's `alembic` commands, `workdir` resolved against the repository.
pub struct Commands<'a> {
    pub upgrade: &'a str,
    pub downgrade: &'a str,
    pub workdir: Option<PathBuf>,
}

enum ToolError {
    /// The claim does not hold (a command failed).
    Fail(String),
    /// Could not verify (tool missing, timeout).
    Error(String),
}

/// Applies `set` with alembic on a scratch database created on `server_url` (the server's
/// password is redacted from command output): the report, or an error when it could not be
/// verified (alembic missing, another database migrated).
pub fn apply_postgres(
    ctx: &Env<'_>,
    cmds: &Commands<'_>,
    set: &MigrationSet,
    server_url: &str,
    scratch: &mut PgScratch,
    timeout: Duration,
    runs: &mut Vec<ToolRun>,
) -> Result<ApplyReport, String> {
    scratch.disconnect();
    let scratch_url = scratch.url.clone();
    let redact = |s: &str| crate::db::redact_url_password(server_url, s);
    let dump =
        || crate::db::pg_connect(&scratch_url, timeout).and_then(|mut c| apply::pg_schema(&mut c));
    let has_ledger = || {
        crate::db::pg_connect(&scratch_url, timeout)
            .is_ok_and(|mut c| c.simple_query("SELECT version_num FROM alembic_version").is_ok())
    };
    let r = round_trip(
        ctx,
        cmds,
        set,
        &sqlalchemy_url(&scratch_url),
        &redact,
        runs,
        &dump,
        &has_ledger,
    );
    match r {
        Ok(()) => match scratch.client().and_then(|c| check_head(set, Db::Pg(c))) {
            Ok(schema) => Ok(tool_report("postgres", schema, None)),
            Err(e) => Ok(tool_report("postgres", Default::default(), Some(e))),
        },
        Err(ToolError::Error(e)) => Err(e),
        Err(ToolError::Fail(e)) => Ok(tool_report("postgres", Default::default(), Some(e))),
    }
}

/// Applies `set` with alembic on a scratch SQLite file in a temporary directory of its own,
/// removed afterwards.
pub fn apply_sqlite(
    ctx: &Env<'_>,
    cmds: &Commands<'_>,
    set: &MigrationSet,
    runs: &mut Vec<ToolRun>,
) -> Result<ApplyReport, String> {
    let dir = ctx.temp_dir("alembic");
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
    let r = round_trip(ctx, cmds, set, &url, &|s: &str| s.to_string(), runs, &dump, &has_ledger);
    let out = match r {
        Ok(()) => {
            let res = rusqlite::Connection::open(&db)
                .map_err(|e| e.to_string())
                .and_then(|c| check_head(set, Db::Sqlite(&c)));
            Ok(match res {
                Ok(schema) => tool_report("sqlite", schema, None),
                Err(e) => tool_report("sqlite", Default::default(), Some(e)),
            })
        }
        Err(ToolError::Error(e)) => Err(e),
        Err(ToolError::Fail(e)) => Ok(tool_report("sqlite", Default::default(), Some(e))),
    };
    let _ = std::fs::remove_dir_all(&dir);
    out
}

/// upgrade, downgrade, upgrade with alembic's own commands on the database at `url`.
#[expect(clippy::too_many_arguments, reason = "the scratch database's accessors differ by engine")]
fn round_trip(
    ctx: &Env<'_>,
    cmds: &Commands<'_>,
    set: &MigrationSet,
    url: &str,
    redact: &dyn Fn(&str) -> String,
    runs: &mut Vec<ToolRun>,
    dump: &dyn Fn() -> Result<apply::Schema, String>,
    has_ledger: &dyn Fn() -> bool,
) -> Result<(), ToolError> {
    let workdir = match &cmds.workdir {
        Some(w) => w.clone(),
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
    let env_py = env_py(&ini);
    let custom = [cmds.upgrade, cmds.downgrade]
        .iter()
        .any(|c| c.contains("DATABASE_URL") || c.contains(" -x "));
    if !custom
        && let Some((path, text)) = &env_py
        && let Some(source) = env_url_source(text)
    {
        return Err(ToolError::Error(format!(
            "{} reads its URL from `{source}`, not from sqlalchemy.url or DATABASE_URL: readyctl runs alembic only against its own scratch database; make env.py honour DATABASE_URL (or config.get_main_option(\"sqlalchemy.url\")) and set `database_url`",
            rel(ctx.repo, path)
        )));
    }
    let cfg_dir = ctx.temp_dir("alembic-cfg");
    let config = if ini.is_file() {
        Some(config_copy(&ini, url, &cfg_dir).map_err(ToolError::Error)?)
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
    for (step, cmd) in [cmds.upgrade, cmds.downgrade, cmds.upgrade].into_iter().enumerate() {
        let run = match &config {
            Some(c) => with_config(cmd, c),
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
                Some((path, text)) => match env_url_source(text) {
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
fn env_py(ini: &Path) -> Option<(PathBuf, String)> {
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

/// SQLAlchemy spells the scheme `postgresql://` (it rejects `postgres://` since 1.4).
pub fn sqlalchemy_url(url: &str) -> String {
    match url.strip_prefix("postgres://") {
        Some(rest) => format!("postgresql://{rest}"),
        None => url.to_string(),
    }
}

/// A copy of `alembic.ini` (in `dir`, outside the repository) with `sqlalchemy.url` set to
/// the scratch database: given to alembic with `-c` and `ALEMBIC_CONFIG`, so a project whose
/// env.py reads the URL from its configuration (as `alembic init` writes it) migrates the
/// scratch database and nothing else. `%(here)s` keeps meaning the original directory.
pub fn config_copy(ini: &Path, url: &str, dir: &Path) -> Result<std::path::PathBuf, String> {
    let text =
        std::fs::read_to_string(ini).map_err(|e| format!("cannot read {}: {e}", ini.display()))?;
    let here = ini.parent().unwrap_or(Path::new(".")).to_string_lossy().replace('%', "%%");
    // configparser interpolates `%`: a URL's percent-escapes must be doubled.
    let url_line = format!("sqlalchemy.url = {}", url.replace('%', "%%"));
    let mut out = Vec::new();
    let (mut section, mut set) = (String::new(), false);
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('[') && t.ends_with(']') {
            if section == "alembic" && !set {
                out.push(url_line.clone());
                set = true;
            }
            section = t[1..t.len() - 1].trim().to_string();
        } else if section == "alembic"
            && t.split_once('=').is_some_and(|(k, _)| k.trim() == "sqlalchemy.url")
        {
            out.push(url_line.clone());
            set = true;
            continue;
        }
        out.push(line.replace("%(here)s", &here));
    }
    if !set {
        if section != "alembic" {
            out.push("[alembic]".into());
        }
        out.push(url_line);
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join("alembic.ini");
    std::fs::write(&path, out.join("\n") + "\n")
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// `alembic upgrade head` → `alembic -c '<config>' upgrade head` (also `python -m alembic …`),
/// unless the command names a configuration itself.
pub fn with_config(cmd: &str, config: &Path) -> String {
    if cmd.contains(" -c ") || cmd.contains("--config") || cmd.contains("-n ") {
        return cmd.to_string();
    }
    let words: Vec<&str> = cmd.split(' ').collect();
    let bare = |w: &str| w.trim_matches('\'').trim_matches('"').to_string();
    match words.iter().position(|w| bare(w) == "alembic" || bare(w).ends_with("/alembic")) {
        Some(i) => {
            let c = format!("'{}'", config.to_string_lossy().replace('\'', "'\\''"));
            let mut v: Vec<String> = words.iter().map(|w| w.to_string()).collect();
            v.insert(i + 1, format!("-c {c}"));
            v.join(" ")
        }
        None => cmd.to_string(),
    }
}

/// Where an alembic env.py takes its database URL from, when that is not the configuration's
/// `sqlalchemy.url` nor `DATABASE_URL`: the expression it uses instead
/// (`settings.SQLALCHEMY_DATABASE_URI`), with `get_url()`-style helpers followed once.
pub fn env_url_source(env_py: &str) -> Option<String> {
    // DATABASE_URL read from the environment (not `settings.DATABASE_URL`, which the project
    // may build from anything).
    let reads_env =
        regex::Regex::new(r#"(?:environ(?:\.get)?\s*[\[(]\s*|getenv\s*\(\s*)["']DATABASE_URL["']"#)
            .expect("static regex");
    if reads_env.is_match(env_py) {
        return None;
    }
    let overrides = regex::Regex::new(
        r#"(?m)(?:\[\s*["']sqlalchemy\.url["']\s*\]\s*=\s*|set_main_option\(\s*["']sqlalchemy\.url["']\s*,\s*|create_(?:async_)?engine\(\s*|\burl\s*=\s*)([^\n,()]+(?:\([^\n)]*\))?)"#,
    )
    .expect("static regex");
    let from_config = |e: &str| {
        e.contains("get_main_option") || e.contains("get_section") || e.contains("config.")
    };
    for c in overrides.captures_iter(env_py) {
        let expr = c[1].trim().trim_end_matches(':').to_string();
        if from_config(&expr) || expr == "url" || expr.starts_with("None") {
            continue;
        }
        // `get_url()`: the expression the helper returns.
        let helper =
            expr.strip_suffix("()").filter(|h| h.chars().all(|c| c.is_alphanumeric() || c == '_'));
        if let Some(h) = helper {
            let def = regex::Regex::new(&format!(
                r"(?s)def\s+{}\s*\([^)]*\)[^:]*:(.*?)\n\S",
                regex::escape(h)
            ))
            .expect("escaped regex");
            if let Some(body) = def.captures(&format!("{env_py}\nX")).map(|b| b[1].to_string()) {
                if let Some(r) = body.lines().map(str::trim).find_map(|l| l.strip_prefix("return "))
                {
                    if from_config(r) {
                        continue;
                    }
                    return Some(r.trim().to_string());
                }
            }
        }
        return Some(expr);
    }
    None
}

enum Db<'a> {
    Pg(&'a mut postgres::Client),
    Sqlite(&'a rusqlite::Connection),
}

/// `alembic_version` must hold exactly the graph's single head. Returns the schema dump.
fn check_head(set: &MigrationSet, db: Db<'_>) -> Result<apply::Schema, String> {
    let (versions, schema) = match db {
        Db::Pg(c) => {
            let rows = c
                .query("SELECT version_num FROM alembic_version", &[])
                .map_err(|e| crate::db::pg_error(&e))?;
            (rows.iter().map(|r| r.get::<_, String>(0)).collect::<Vec<_>>(), apply::pg_schema(c)?)
        }
        Db::Sqlite(c) => {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_dirs_read_script_location() {
        let d = crate::migrations::test_tree(
            "alembic-ini",
            &[
                ("alembic.ini", "[alembic]\nscript_location = %(here)s/alembic\n"),
                ("backend/alembic.ini", "[alembic]\nscript_location = ./migrations\n"),
            ],
        );
        assert_eq!(configured_dirs(&d), ["alembic", "backend/migrations"]);
    }

    #[test]
    fn config_copy_sets_the_url_and_keeps_here() {
        let d = tempfile::tempdir().unwrap();
        let ini = d.path().join("alembic.ini");
        std::fs::write(
            &ini,
            "[alembic]\nscript_location = %(here)s/alembic\nsqlalchemy.url = sqlite:///app.db\n\n[loggers]\nkeys = root\n",
        )
        .unwrap();
        let out = d.path().join("copy");
        let copy = config_copy(&ini, "postgresql://u:p%40ss@h/scratch", &out).unwrap();
        let text = std::fs::read_to_string(copy).unwrap();
        assert!(text.contains("sqlalchemy.url = postgresql://u:p%%40ss@h/scratch\n"), "{text}");
        assert!(!text.contains("app.db"), "{text}");
        assert!(text.contains(&format!("script_location = {}/alembic", d.path().display())));
        // No sqlalchemy.url at all: added to [alembic].
        std::fs::write(&ini, "[alembic]\nscript_location = a\n[loggers]\n").unwrap();
        let text =
            std::fs::read_to_string(config_copy(&ini, "sqlite:///s.db", &out).unwrap()).unwrap();
        assert!(
            text.starts_with(
                "[alembic]\nscript_location = a\nsqlalchemy.url = sqlite:///s.db\n[loggers]"
            ),
            "{text}"
        );
        assert_eq!(
            with_config("alembic upgrade head", Path::new("/t/a.ini")),
            "alembic -c '/t/a.ini' upgrade head"
        );
        assert_eq!(
            with_config("'/v/bin/python' -m alembic downgrade base", Path::new("/t/a.ini")),
            "'/v/bin/python' -m alembic -c '/t/a.ini' downgrade base"
        );
    }

    #[test]
    fn env_py_url_sources() {
        let stock = "url = config.get_main_option(\"sqlalchemy.url\")\ncontext.configure(url=url)\nconnectable = engine_from_config(config.get_section(config.config_ini_section, {}))\n";
        assert_eq!(env_url_source(stock), None);
        let fastapi = "from app.core.config import settings\n\ndef get_url():\n    return str(settings.SQLALCHEMY_DATABASE_URI)\n\ndef run_migrations_offline():\n    url = get_url()\n    context.configure(url=url)\n\ndef run_migrations_online():\n    configuration = config.get_section(config.config_ini_section)\n    configuration[\"sqlalchemy.url\"] = get_url()\n";
        assert_eq!(
            env_url_source(fastapi).as_deref(),
            Some("str(settings.SQLALCHEMY_DATABASE_URI)")
        );
        let direct = "from myapp import settings\nengine = create_engine(settings.DB_URL)\n";
        assert_eq!(env_url_source(direct).as_deref(), Some("settings.DB_URL"));
        assert_eq!(env_url_source("url = os.environ[\"DATABASE_URL\"]\n"), None);
        assert_eq!(env_url_source("url = os.getenv('DATABASE_URL')\n"), None);
        // The corpus' fastapi template: a settings attribute of the same name is not the variable.
        let settings = "def get_url():\n    return str(settings.DATABASE_URL)\n\nconfiguration[\"sqlalchemy.url\"] = get_url()\n";
        assert_eq!(env_url_source(settings).as_deref(), Some("str(settings.DATABASE_URL)"));
    }

    #[test]
    fn sqlalchemy_scheme() {
        assert_eq!(sqlalchemy_url("postgres://u@h/d"), "postgresql://u@h/d");
        assert_eq!(sqlalchemy_url("sqlite:///x.db"), "sqlite:///x.db");
    }
}
