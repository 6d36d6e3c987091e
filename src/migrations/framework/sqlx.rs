//! sqlx: `<version>_<name>.sql`, or reversible `<version>_<name>.up.sql` / `.down.sql` (a
//! `-- no-transaction` first line runs it outside a transaction). Also golang-migrate's loader:
//! the file names are the same, `Cargo.toml` tells them apart.

use std::collections::BTreeMap;
use std::path::Path;

use regex::Regex;

use super::{Listing, migration};
use crate::migrations::detect::{
    Framework, Migration, MigrationSet, file_name, list, part, read, rel,
};

pub(super) const LEDGER_QUERY: &str = "SELECT version, success, checksum FROM _sqlx_migrations";

/// Reversible files in a crate that depends on sqlx, or plain `.sql` files.
pub(super) fn detects(l: &Listing<'_>) -> bool {
    if l.names.iter().any(|n| n.ends_with(".up.sql")) {
        l.cargo_mentions("sqlx")
    } else {
        l.sql_files().next().is_some()
    }
}

pub(super) fn load(repo: &Path, dir: &Path, set: &mut MigrationSet) -> Result<(), String> {
    load_up_down_files(repo, dir, set)
}

/// sqlx and golang-migrate: one file per direction.
pub(super) fn load_up_down_files(
    repo: &Path,
    dir: &Path,
    set: &mut MigrationSet,
) -> Result<(), String> {
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
            in_transaction: in_tx,
            ..migration(version, title, Vec::new())
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
