//! dbmate: `<version>_<name>.sql` with `-- migrate:up` / `-- migrate:down` sections (goose's
//! loader).

use std::path::Path;

use super::Listing;
use crate::migrations::detect::MigrationSet;

pub(super) const LEDGER_QUERY: &str = "SELECT version FROM schema_migrations";

pub(super) fn detects(l: &Listing<'_>) -> bool {
    l.sql_texts().iter().any(|t| t.contains("migrate:up"))
}

pub(super) fn load(repo: &Path, dir: &Path, set: &mut MigrationSet) -> Result<(), String> {
    super::goose::load_sectioned(repo, dir, set)
}
