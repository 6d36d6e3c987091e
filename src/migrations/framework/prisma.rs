//! Prisma: `<timestamp>_<name>/migration.sql` next to `migration_lock.toml` (Diesel's loader).
//! readyctl applies `migration.sql` itself; with `commands` set, `prisma migrate deploy` does
//! (Prisma has no down migrations).

use std::path::Path;

use super::{CodeFramework, Commands, Env, Listing, Project, node_bin, rel};
use crate::migrations::detect::MigrationSet;

pub(super) const LEDGER_QUERY: &str =
    "SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations";

pub(super) fn detects(l: &Listing<'_>) -> bool {
    l.names.iter().any(|n| n == "migration_lock.toml")
}

pub(super) fn load(repo: &Path, dir: &Path, set: &mut MigrationSet) -> Result<(), String> {
    super::diesel::load_dirs(repo, dir, set)
}

pub(super) const CODE: CodeFramework = CodeFramework {
    marker: |d: &Path| {
        d.join("prisma").join("schema.prisma").is_file() || d.join("schema.prisma").is_file()
    },
    marker_name: "schema.prisma",
    marker_hint: "set `commands.workdir`",
    commands,
    ledger: "_prisma_migrations",
    ledger_sql: "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL",
    expected: |set: &MigrationSet| {
        set.migrations
            .iter()
            .filter_map(|m| m.files.first().and_then(|f| f.rsplit('/').nth(1)).map(str::to_string))
            .collect()
    },
    isolation_hint: "schema.prisma's datasource url is not env(\"DATABASE_URL\")",
};

fn commands(
    env: &Env<'_>,
    cmds: Commands,
    p: &Project<'_>,
) -> Result<(String, Option<String>), String> {
    if cmds.upgrade.is_none() && !node_bin(&p.workdir, "prisma") {
        return Err(format!(
            "prisma is not installed in {} (`npm install prisma`, or set `commands.upgrade`)",
            rel(env.repo, &p.workdir)
        ));
    }
    Ok((
        cmds.upgrade.unwrap_or_else(|| "npx --no-install prisma migrate deploy".into()),
        cmds.downgrade,
    ))
}
