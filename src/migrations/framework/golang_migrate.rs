//! golang-migrate: `<version>_<name>.up.sql` / `.down.sql` (sqlx's loader, which requires the
//! direction for golang-migrate).

use std::path::Path;

use super::Listing;
use crate::migrations::detect::MigrationSet;

pub(super) const LEDGER_QUERY: &str = "SELECT version, dirty FROM schema_migrations";

/// `.up.sql` files (after sqlx, which claims them in a crate that depends on sqlx).
pub(super) fn detects(l: &Listing<'_>) -> bool {
    l.names.iter().any(|n| n.ends_with(".up.sql"))
}

pub(super) fn load(repo: &Path, dir: &Path, set: &mut MigrationSet) -> Result<(), String> {
    super::sqlx::load_up_down_files(repo, dir, set)
}
