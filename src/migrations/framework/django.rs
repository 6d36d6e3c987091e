//! Django: `<app>/migrations/NNNN_name.py`, one graph per app from `dependencies` (read, never
//! executed; squashed migrations' `replaces` hide the nodes they replace); applied by
//! `manage.py migrate` and rolled back app by app (`migrate <app> zero`) on a scratch
//! PostgreSQL database, through a settings module that points `DATABASES` at it.

use std::path::{Path, PathBuf};

use regex::Regex;

use super::{CodeFramework, Commands, Env, Listing, Project, migration, shell_word};
use crate::migrations::detect::{Migration, MigrationSet, file_name, list, read, rel};
use crate::migrations::tool;

pub(super) const LEDGER_QUERY: &str = "SELECT app, name FROM django_migrations";

pub(super) fn detects(l: &Listing<'_>) -> bool {
    !migration_dirs(l.dir).is_empty()
}

/// Whether a file is named like a Django migration: `NNNN_name.py` (a digit first).
pub fn is_migration_file_name(name: &str) -> bool {
    name.ends_with(".py") && name.as_bytes().first().is_some_and(u8::is_ascii_digit)
}

/// Whether a repository-relative path is named like a Django migration,
/// `<app>/migrations/NNNN_name.py` (by name only; discovery uses it to find projects).
pub fn is_migration_path(rel: &str) -> bool {
    let mut parts = rel.rsplit('/');
    let (name, dir) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    dir == "migrations" && is_migration_file_name(name)
}

/// A Django migration: named like one, and defining `class Migration(`.
fn is_django_migration(p: &Path) -> bool {
    is_migration_file_name(&file_name(p))
        && std::fs::read_to_string(p).is_ok_and(|t| t.contains("class Migration("))
}

/// `migrations/` directories of Django apps under `dir` (or `dir` itself when it is one),
/// skipping virtualenvs and dependencies.
pub fn migration_dirs(dir: &Path) -> Vec<PathBuf> {
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
pub(super) fn load(repo: &Path, dir: &Path, set: &mut MigrationSet) -> Result<(), String> {
    let dep =
        Regex::new(r#"\(\s*["']([\w.]+)["']\s*,\s*["']([\w.]+)["']\s*\)"#).expect("static regex");
    let mut replaced: Vec<String> = Vec::new();
    for mdir in migration_dirs(dir) {
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
                parents,
                has_code_down: true,
                ..migration(format!("{app}.{name}"), name, vec![rel(repo, &p)])
            });
        }
    }
    set.migrations.retain(|m| !replaced.contains(&m.version));
    Ok(())
}

pub(super) const CODE: CodeFramework = CodeFramework {
    marker: |d: &Path| d.join("manage.py").is_file(),
    marker_name: "manage.py",
    marker_hint: "set `commands.workdir`",
    commands,
    ledger: "django_migrations",
    ledger_sql: "SELECT app || '.' || name FROM django_migrations",
    expected: |set: &MigrationSet| set.migrations.iter().map(|m| m.version.clone()).collect(),
    isolation_hint: "its settings module replaces DATABASES after readyctl's override, or the commands name another settings module: let DATABASES['default'] come from DATABASE_URL",
};

fn commands(
    ctx: &Env<'_>,
    cmds: Commands,
    p: &Project<'_>,
) -> Result<(String, Option<String>), String> {
    let (workdir, set) = (&p.workdir, p.set);
    if cmds.upgrade.is_none() {
        let probe = tool::run_shell(
            "python -c 'import django'",
            workdir,
            &[],
            ctx.deadline,
            ctx.cancel,
            &|s: &str| s.to_string(),
        )?;
        if probe.exit_code != Some(0) {
            return Err(format!(
                "Django is not importable by `python` in {} (`pip install Django` and a PostgreSQL driver such as psycopg2-binary, or set `commands.upgrade`)",
                rel(ctx.repo, workdir)
            ));
        }
    }
    let mut apps: Vec<&str> =
        set.migrations.iter().filter_map(|m| m.version.split_once('.').map(|(a, _)| a)).collect();
    apps.dedup();
    let zero = apps
        .iter()
        // App labels come from directory names: quoted, as any text put in a script.
        .map(|a| format!("python manage.py migrate {} zero --noinput", shell_word(a)))
        .collect::<Vec<_>>()
        .join(" && ");
    Ok((
        cmds.upgrade.unwrap_or_else(|| "python manage.py migrate --noinput".into()),
        Some(cmds.downgrade.unwrap_or(zero)),
    ))
}

/// Environment for Django's commands that points `DATABASES["default"]` at the scratch
/// database whatever the project's settings say: `DJANGO_SETTINGS_MODULE` names a module in
/// `dir` that imports the project's settings module (from the environment, else manage.py's
/// `setdefault`) and overrides DATABASES; the password travels in the environment, not the
/// file. Empty when the project's settings module cannot be found (DATABASE_URL only).
pub(super) fn settings_shim(
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
