//! Atlas: versioned `.sql` files with an `atlas.sum` integrity file (checked by
//! `integrity::check_atlas_sum`); `-- atlas:txmode none` runs a file outside a transaction.

use std::path::Path;

use super::{Listing, migration};
use crate::migrations::detect::{Migration, MigrationSet, file_name, list, part, read, rel};

pub(super) const LEDGER_QUERY: &str = "SELECT version FROM atlas_schema_revisions";

pub(super) fn detects(l: &Listing<'_>) -> bool {
    l.names.iter().any(|n| n == "atlas.sum")
}

pub(super) fn load(repo: &Path, dir: &Path, set: &mut MigrationSet) -> Result<(), String> {
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
            up: Some(part(repo, &p, text, 1)),
            in_transaction: in_tx,
            ..migration(version.to_string(), title.to_string(), vec![rel(repo, &p)])
        });
    }
    Ok(())
}
