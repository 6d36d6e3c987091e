//! TypeORM: classes implementing `MigrationInterface`, the timestamp at the end of the class
//! name; applied by `typeorm migration:run` and reverted by `migration:revert` (once per
//! migration) with the project's data source, which must read `DATABASE_URL`.

use std::path::{Path, PathBuf};

use regex::Regex;

use super::{
    CodeFramework, Commands, Env, JS, Listing, Project, js_like, migration, node_bin, rel,
    shell_word, shown_dir, skipped,
};
use crate::migrations::detect::{MigrationSet, file_name, list, read};

pub(super) const LEDGER_QUERY: &str = "SELECT timestamp FROM migrations";

pub(super) fn detects(l: &Listing<'_>) -> bool {
    l.code_mentions(&JS, "MigrationInterface")
}

/// TypeORM: classes implementing `MigrationInterface` whose name ends with a 13-digit
/// JavaScript timestamp (TypeORM's order), with `up` and `down`.
pub(super) fn load(repo: &Path, dir: &Path, set: &mut MigrationSet) -> Result<(), String> {
    let class_re =
        Regex::new(r"class\s+(\w+)\s+implements\s+MigrationInterface").expect("static regex");
    let method = |f: &str| {
        Regex::new(&format!(r"(?m)^\s*(public\s+)?(async\s+)?{f}\s*\(")).expect("valid regex")
    };
    let (up_re, down_re) = (method("up"), method("down"));
    let next_re =
        Regex::new(r"(?m)^\s*(public\s+|private\s+)?(async\s+)?\w+\s*\([^)]*\)\s*(:[^{]*)?\{")
            .expect("static regex");
    let work = Regex::new(r"\w+\.(query|createTable|dropTable|addColumn|addColumns|dropColumn|dropColumns|renameColumn|changeColumn|createIndex|dropIndex|createForeignKey|dropForeignKey|createPrimaryKey|dropPrimaryKey|createUniqueConstraint|dropUniqueConstraint|createCheckConstraint|dropCheckConstraint|renameTable)\s*\(").expect("static regex");
    for p in list(dir)? {
        if skipped(&p) || !js_like(&p) || file_name(&p).ends_with(".map") {
            continue;
        }
        let r = rel(repo, &p);
        let text = read(&p)?;
        let Some(c) = class_re.captures(&text) else {
            set.unrecognized.push((r, "no class implementing MigrationInterface".into()));
            continue;
        };
        let class = c[1].to_string();
        let digits = class.len() >= 13
            && class.is_char_boundary(class.len() - 13)
            && class[class.len() - 13..].chars().all(|ch| ch.is_ascii_digit());
        if !digits {
            set.unrecognized.push((
                r,
                format!("class {class}: TypeORM needs a 13-digit JavaScript timestamp at the end of the class name"),
            ));
            continue;
        }
        let (title, version) = class.split_at(class.len() - 13);
        if up_re.find(&text).is_none() {
            set.unrecognized.push((r, format!("class {class} has no `up` method")));
            continue;
        }
        let mut m = migration(version.to_string(), title.to_string(), vec![r]);
        m.has_code_down = down_re.find(&text).is_some_and(|d| {
            let rest = &text[d.end()..];
            let body_end = next_re.find(rest).map_or(rest.len(), |n| n.start());
            work.is_match(&rest[..body_end])
        });
        set.migrations.push(m);
    }
    Ok(())
}

/// Where `typeorm init` and TypeORM's documentation put the data source, in that order.
const DATA_SOURCES: [&str; 8] = [
    "data-source.ts",
    "data-source.js",
    "data-source.cjs",
    "data-source.mjs",
    "src/data-source.ts",
    "src/data-source.js",
    "src/data-source.cjs",
    "src/data-source.mjs",
];

/// The TypeORM data source file of the project rooted at `dir`, if it has one.
pub fn data_source(dir: &Path) -> Option<PathBuf> {
    DATA_SOURCES.iter().map(|f| dir.join(f)).find(|p| p.is_file())
}

fn is_typescript(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "ts" || e == "mts" || e == "cts")
}

/// TypeORM's default upgrade and downgrade commands for a data source (`-d` argument as
/// given). A TypeScript data source (and its `.ts` migrations) loads through ts-node, as
/// TypeORM's documentation says (`typeorm-ts-node-commonjs`). `migration:revert` undoes one
/// migration per call, so the downgrade calls it once per migration of the set.
fn default_commands(data_source: &str, typescript: bool, n: usize) -> (String, String) {
    let bin = if typescript { "typeorm-ts-node-commonjs" } else { "typeorm" };
    let ds = shell_word(data_source);
    let run = format!("npx --no-install {bin} migration:run -d {ds}");
    let revert = format!("npx --no-install {bin} migration:revert -d {ds}");
    let down =
        if n == 1 { revert } else { format!("for _ in $(seq {n}); do {revert} || exit $?; done") };
    (run, down)
}

pub(super) const CODE: CodeFramework = CodeFramework {
    marker: |d: &Path| d.join("package.json").is_file(),
    marker_name: "TypeORM data source (data-source.ts/.js, or src/data-source.ts/.js)",
    marker_hint: "set `commands.data_source`",
    commands,
    ledger: "migrations",
    ledger_sql: "SELECT name FROM migrations",
    expected: |set: &MigrationSet| {
        set.migrations.iter().map(|m| format!("{}{}", m.name, m.version)).collect()
    },
    isolation_hint: "the data source's url/host does not read process.env.DATABASE_URL",
};

fn commands(
    env: &Env<'_>,
    cmds: Commands,
    p: &Project<'_>,
) -> Result<(String, Option<String>), String> {
    let workdir = &p.workdir;
    let defaults = match &p.data_source {
        Some((_, ds)) => {
            let typescript = is_typescript(ds);
            if (cmds.upgrade.is_none() || cmds.downgrade.is_none())
                && (!node_bin(workdir, "typeorm") || (typescript && !node_bin(workdir, "ts-node")))
            {
                return Err(format!(
                    "typeorm is not installed in {} (`npm install typeorm pg`{}, or set `commands.upgrade` and `commands.downgrade`)",
                    shown_dir(env.repo, workdir),
                    if typescript {
                        " and `npm install ts-node typescript` for the TypeScript data source"
                    } else {
                        ""
                    }
                ));
            }
            let arg = ds.strip_prefix(workdir).unwrap_or(ds).to_string_lossy();
            Some(default_commands(&arg, typescript, p.set.migrations.len()))
        }
        None if cmds.upgrade.is_some() && cmds.downgrade.is_some() => None,
        None => {
            return Err(format!(
                "no TypeORM data source (data-source.ts/.js, or src/data-source.ts/.js) above {}; set `commands.data_source`",
                rel(env.repo, &p.set.dir)
            ));
        }
    };
    let (up, down) = defaults.unwrap_or_default();
    Ok((cmds.upgrade.unwrap_or(up), Some(cmds.downgrade.unwrap_or(down))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::detect::{Framework, detect, load};

    fn tmp(name: &str, files: &[(&str, &str)]) -> crate::migrations::TestTree {
        crate::migrations::test_tree(&format!("fw-{name}"), files)
    }

    #[test]
    fn typeorm_timestamps_from_class_names() {
        let d = tmp(
            "typeorm",
            &[
                (
                    "m/1700000000001-Users.ts",
                    "import { MigrationInterface, QueryRunner } from \"typeorm\";\n\nexport class Users1700000000001 implements MigrationInterface {\n    public async up(queryRunner: QueryRunner): Promise<void> {\n        await queryRunner.query(`CREATE TABLE \"users\" (\"id\" SERIAL)`);\n    }\n\n    public async down(queryRunner: QueryRunner): Promise<void> {\n        await queryRunner.query(`DROP TABLE \"users\"`);\n    }\n}\n",
                ),
                (
                    "m/1700000000002-Empty.ts",
                    "import { MigrationInterface, QueryRunner } from \"typeorm\";\nexport class Empty1700000000002 implements MigrationInterface {\n    public async up(queryRunner: QueryRunner): Promise<void> {\n        await queryRunner.query(`SELECT 1`);\n    }\n    public async down(queryRunner: QueryRunner): Promise<void> {\n    }\n}\n",
                ),
                (
                    "m/Bad.ts",
                    "export class Bad implements MigrationInterface {\n public async up(q: QueryRunner) {}\n}\n",
                ),
            ],
        );
        assert_eq!(detect(&d, &d.join("m")), Some(Framework::Typeorm));
        let set = load(&d, &d.join("m"), Framework::Typeorm).unwrap();
        let v: Vec<(&str, &str, bool)> = set
            .migrations
            .iter()
            .map(|m| (m.version.as_str(), m.name.as_str(), m.has_code_down))
            .collect();
        assert_eq!(v, [("1700000000001", "Users", true), ("1700000000002", "Empty", false)]);
        assert_eq!(set.unrecognized.len(), 1);
    }

    #[test]
    fn typeorm_default_commands() {
        let (up, down) = default_commands("src/data-source.ts", true, 3);
        assert_eq!(
            up,
            "npx --no-install typeorm-ts-node-commonjs migration:run -d src/data-source.ts"
        );
        assert_eq!(
            down,
            "for _ in $(seq 3); do npx --no-install typeorm-ts-node-commonjs migration:revert -d src/data-source.ts || exit $?; done"
        );
        let (up, down) = default_commands("my app/ds.js", false, 1);
        assert_eq!(up, "npx --no-install typeorm migration:run -d 'my app/ds.js'");
        assert_eq!(down, "npx --no-install typeorm migration:revert -d 'my app/ds.js'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert!(is_typescript(Path::new("a/data-source.ts")));
        assert!(!is_typescript(Path::new("a/data-source.js")));
    }
}
