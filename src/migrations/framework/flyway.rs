//! Flyway: `V<version>__<name>.sql`, `U` (undo), `R` (repeatable, after the versioned ones),
//! `B` (baseline).

use std::path::Path;

use regex::Regex;

use super::{Listing, migration};
use crate::migrations::detect::{
    Kind, Migration, MigrationSet, SqlPart, file_name, list, part, read, rel, version_key,
};

pub(super) const LEDGER_QUERY: &str =
    "SELECT version, success, checksum FROM flyway_schema_history WHERE version IS NOT NULL";

pub(super) fn detects(l: &Listing<'_>) -> bool {
    let flyway = Regex::new(r"^[VUBR][0-9._]*__.+\.sql$").expect("static regex");
    l.names.iter().any(|n| flyway.is_match(n))
}

pub(super) fn load(repo: &Path, dir: &Path, set: &mut MigrationSet) -> Result<(), String> {
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
            kind,
            up: Some(sql),
            ..migration(version, c[3].to_string(), vec![rel(repo, &p)])
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
