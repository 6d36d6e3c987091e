//! Knex: `<timestamp>_<name>.js|ts` exporting `up` and `down`; applied by `knex migrate:latest`
//! and rolled back by `knex migrate:rollback --all` on the scratch database (the knexfile must
//! read `DATABASE_URL`).

use std::path::Path;

use regex::Regex;

use super::{
    CodeFramework, Commands, Env, JS, Listing, Project, js_like, migration, node_bin, rel, segment,
    skipped,
};
use crate::migrations::detect::{MigrationSet, file_name, list, read};

pub(super) const LEDGER_QUERY: &str = "SELECT name FROM knex_migrations";

pub(super) fn detects(l: &Listing<'_>) -> bool {
    l.code_mentions(&JS, "exports.up")
        || l.code_mentions(&JS, "function up")
        || l.code_mentions(&JS, "const up")
}

/// Knex: every `.js`/`.ts` file of the directory, in name order, exporting `up` and `down`
/// (`knex migrate:make` names them `<YYYYMMDDHHMMSS>_<name>.js`).
pub(super) fn load(repo: &Path, dir: &Path, set: &mut MigrationSet) -> Result<(), String> {
    let file_re = Regex::new(r"^(\d+)_(.+)\.(js|ts|cjs|mjs)$").expect("static regex");
    let export = |f: &str| {
        Regex::new(&format!(
            r"(?m)(exports\.{f}\s*=|export\s+(async\s+)?function\s+{f}\b|export\s+const\s+{f}\s*=|^\s*(async\s+)?{f}\s*(:|\())"
        ))
        .expect("valid regex")
    };
    let (up_re, down_re) = (export("up"), export("down"));
    let any_re = Regex::new(r"(?m)(exports\.\w+\s*=|^export\s)").expect("static regex");
    let work = Regex::new(r"\.\s*(schema|raw|createTable|dropTable|dropTableIfExists|alterTable|table|dropColumn|renameColumn|dropIndex|del|delete|insert|update)\b|\bknex\s*\(").expect("static regex");
    for p in list(dir)? {
        if skipped(&p) || !js_like(&p) {
            continue;
        }
        let name = file_name(&p);
        let r = rel(repo, &p);
        let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s).to_string();
        let (version, title) = match file_re.captures(&name) {
            Some(c) => (c[1].to_string(), c[2].to_string()),
            None => (stem.clone(), stem.clone()),
        };
        let text = read(&p)?;
        if up_re.find(&text).is_none() || down_re.find(&text).is_none() {
            set.unrecognized.push((
                r,
                "knex refuses a migration that does not export both `up` and `down`".into(),
            ));
            continue;
        }
        let down_at = down_re.find(&text).map_or(0, |m| m.end());
        let down = segment(&text, down_at, &any_re);
        let mut m = migration(version, title, vec![r]);
        m.has_code_down = work.is_match(down);
        set.migrations.push(m);
    }
    Ok(())
}

pub(super) const CODE: CodeFramework = CodeFramework {
    marker: |d: &Path| {
        ["js", "ts", "cjs", "mjs"].iter().any(|e| d.join(format!("knexfile.{e}")).is_file())
    },
    marker_name: "knexfile",
    marker_hint: "set `commands.workdir`",
    commands,
    ledger: "knex_migrations",
    ledger_sql: "SELECT name FROM knex_migrations",
    expected: |set: &MigrationSet| {
        set.migrations
            .iter()
            .filter_map(|m| m.files.first().map(|f| f.rsplit('/').next().unwrap_or(f).to_string()))
            .collect()
    },
    isolation_hint: "the knexfile's connection does not read process.env.DATABASE_URL",
};

fn commands(
    env: &Env<'_>,
    cmds: Commands,
    p: &Project<'_>,
) -> Result<(String, Option<String>), String> {
    if cmds.upgrade.is_none() && !node_bin(&p.workdir, "knex") {
        return Err(format!(
            "knex is not installed in {} (`npm install knex pg`, or set `commands.upgrade`)",
            rel(env.repo, &p.workdir)
        ));
    }
    Ok((
        cmds.upgrade.unwrap_or_else(|| "npx --no-install knex migrate:latest".into()),
        Some(
            cmds.downgrade.unwrap_or_else(|| "npx --no-install knex migrate:rollback --all".into()),
        ),
    ))
}

#[cfg(test)]
mod tests {
    use crate::migrations::detect::{Framework, detect, load};

    fn tmp(name: &str, files: &[(&str, &str)]) -> crate::migrations::TestTree {
        crate::migrations::test_tree(&format!("fw-{name}"), files)
    }

    #[test]
    fn knex_exports_and_empty_down() {
        let d = tmp(
            "knex",
            &[
                (
                    "m/20240101120000_users.js",
                    "exports.up = function(knex) {\n  return knex.schema.createTable('users', t => { t.increments('id'); });\n};\n\nexports.down = function(knex) {\n  return knex.schema.dropTable('users');\n};\n",
                ),
                (
                    "m/20240102120000_empty_down.ts",
                    "import type { Knex } from \"knex\";\nexport async function up(knex: Knex): Promise<void> {\n  await knex.raw('SELECT 1');\n}\nexport async function down(knex: Knex): Promise<void> {\n}\n",
                ),
                (
                    "m/20240103120000_no_down.js",
                    "exports.up = function(knex) { return knex.raw('x'); };\n",
                ),
            ],
        );
        assert_eq!(detect(&d, &d.join("m")), Some(Framework::Knex));
        let set = load(&d, &d.join("m"), Framework::Knex).unwrap();
        let v: Vec<(&str, bool)> =
            set.migrations.iter().map(|m| (m.version.as_str(), m.has_code_down)).collect();
        assert_eq!(v, [("20240101120000", true), ("20240102120000", false)]);
        assert_eq!(set.unrecognized.len(), 1);
    }
}
