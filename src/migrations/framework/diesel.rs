//! Diesel: `<version>_<name>/up.sql` and `down.sql` (`metadata.toml` may say
//! `run_in_transaction = false`). Also Prisma's loader: one directory per migration.

use std::path::Path;

use regex::Regex;

use super::{Listing, migration};
use crate::migrations::detect::{
    Framework, Migration, MigrationSet, file_name, list, part, read, rel,
};

pub(super) const LEDGER_QUERY: &str = "SELECT version FROM __diesel_schema_migrations";

pub(super) fn detects(l: &Listing<'_>) -> bool {
    l.entries.iter().any(|p| p.is_dir() && p.join("up.sql").is_file())
}

pub(super) fn load(repo: &Path, dir: &Path, set: &mut MigrationSet) -> Result<(), String> {
    load_dirs(repo, dir, set)
}

/// Diesel and Prisma: one directory per migration.
pub(super) fn load_dirs(repo: &Path, dir: &Path, set: &mut MigrationSet) -> Result<(), String> {
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
            up: Some(up),
            down,
            in_transaction: in_tx,
            ..migration(c[1].replace('-', ""), c[2].to_string(), files)
        });
    }
    Ok(())
}
