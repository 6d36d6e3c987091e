//! Loaders for Rails, Liquibase formatted SQL, Knex, TypeORM and refinery migration sets.
//!
//! Nothing is executed: Ruby, JavaScript and TypeScript files are read for the structure each
//! framework itself relies on (class names, exported `up`/`down`, version prefixes), SQL files
//! for their changesets.

use std::path::Path;

use regex::Regex;

use super::detect::{Kind, Migration, MigrationSet, file_name, list, part, read, rel};

fn skipped(p: &Path) -> bool {
    let name = file_name(p);
    p.is_dir() || name.starts_with('.') || name == "migrations.lock" || name.ends_with(".md")
}

fn migration(version: String, name: String, files: Vec<String>) -> Migration {
    Migration {
        version,
        name,
        kind: Kind::Versioned,
        up: None,
        down: None,
        files,
        in_transaction: true,
        parents: Vec::new(),
        has_code_down: false,
    }
}

/// The text of a method/function body starting at byte `at` (the end of its definition's
/// match): up to the next match of `next`, or the end of the file.
fn segment<'a>(text: &'a str, at: usize, next: &Regex) -> &'a str {
    let rest = &text[at..];
    match next.find(rest) {
        Some(m) => &rest[..m.start()],
        None => rest,
    }
}

/// Rails' `String#camelize` for a migration file name (`create_users` → `CreateUsers`).
fn camelize(name: &str) -> String {
    name.split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// The Rails version a `Gemfile.lock` at or above `dir` (up to `repo`) locks, as
/// `(major, minor)`: the `rails` gem, else `activerecord`.
pub fn rails_locked_version(repo: &Path, dir: &Path) -> Option<(u32, u32)> {
    let re = Regex::new(r"(?m)^ {4}(rails|activerecord) \((\d+)\.(\d+)").expect("static regex");
    for d in dir.ancestors() {
        if let Ok(text) = std::fs::read_to_string(d.join("Gemfile.lock")) {
            let mut found: Vec<(String, u32, u32)> = re
                .captures_iter(&text)
                .filter_map(|c| Some((c[1].to_string(), c[2].parse().ok()?, c[3].parse().ok()?)))
                .collect();
            // `rails` first: it pins activerecord to its own version anyway.
            found.sort_by_key(|(g, _, _)| g != "rails");
            return found.first().map(|(_, a, b)| (*a, *b));
        }
        if d == repo {
            break;
        }
    }
    None
}

/// Rails: `db/migrate/<version>_<name>[.<scope>].rb` (the scope is how engines such as Active
/// Storage mark the migrations they install), a class `<Name> < ActiveRecord::Migration[x.y]`
/// (or the unversioned `ActiveRecord::Migration` of Rails ≤ 5.0) with `change`, or `up` and
/// `down`. A class with none of them inherits no-op methods: valid, and trivially reversible.
pub fn load_rails(repo: &Path, dir: &Path, set: &mut MigrationSet) -> Result<(), String> {
    // Rails' own `ActiveRecord::Migration::MigrationFilenameRegexp`.
    let file_re = Regex::new(r"^(\d+)_([_a-z0-9]*)\.?([_a-z0-9]*)?\.rb$").expect("static regex");
    let class_re =
        Regex::new(r"(?m)^\s*class\s+([\w:]+)\s*<\s*ActiveRecord::Migration(\[\s*\d+\.\d+\s*\])?")
            .expect("static regex");
    let def_re = Regex::new(r"(?m)^\s*def\s+(self\.)?(change|up|down)\b").expect("static regex");
    let locked = rails_locked_version(repo, dir);
    for p in list(dir)? {
        if skipped(&p) || p.extension().is_none_or(|e| e != "rb") {
            continue;
        }
        let name = file_name(&p);
        let r = rel(repo, &p);
        let Some(c) = file_re.captures(&name) else {
            set.unrecognized.push((
                r,
                "not a Rails migration name (<version>_<snake_case_name>[.<scope>].rb)".into(),
            ));
            continue;
        };
        let (version, title) = (c[1].to_string(), c[2].to_string());
        let text = read(&p)?;
        let Some(class) = class_re.captures(&text) else {
            set.unrecognized.push((r, "no class inheriting from ActiveRecord::Migration".into()));
            continue;
        };
        // Unversioned: the only form before Rails 5.0, deprecated in 5.0, refused from 5.1.
        // Judged against the locked Rails version; without a lock file it is given the
        // benefit of the doubt (an app on Rails ≥ 5.1 would not run at all with it).
        if class.get(2).is_none()
            && let Some((major, minor)) = locked
            && (major, minor) >= (5, 1)
        {
            set.unrecognized.push((
                r,
                format!(
                    "inherits ActiveRecord::Migration without a version such as [{major}.{minor}]; Rails {major}.{minor} (Gemfile.lock) refuses it"
                ),
            ));
            continue;
        }
        let class_name = class[1].rsplit("::").next().unwrap_or(&class[1]).to_string();
        let expected = camelize(&title);
        if !class_name.eq_ignore_ascii_case(&expected) {
            set.unrecognized.push((
                r,
                format!(
                    "defines class {class_name}, but Rails loads `{expected}` from this file name"
                ),
            ));
            continue;
        }
        let defs: Vec<(String, usize)> = def_re
            .captures_iter(&text)
            .map(|c| (c[2].to_string(), c.get(0).map_or(0, |m| m.end())))
            .collect();
        let body = |which: &str| {
            defs.iter().find(|(n, _)| n == which).map(|(_, at)| segment(&text, *at, &def_re))
        };
        let irreversible = |b: &str| b.contains("IrreversibleMigration");
        let has_down = match (body("change"), body("up"), body("down")) {
            (_, _, Some(down)) => !irreversible(down),
            // `execute` in `change` cannot be reversed unless wrapped in `reversible`/`up_only`.
            (Some(change), _, _) => {
                !irreversible(change)
                    && (!change.contains("execute")
                        || change.contains("reversible")
                        || change.contains("up_only"))
            }
            (None, Some(_), None) => false,
            // Inherited no-op `change`: nothing to undo.
            (None, None, None) => true,
        };
        let mut m = migration(version, title, vec![r]);
        m.has_code_down = has_down;
        set.migrations.push(m);
    }
    Ok(())
}

/// Whether `text` is a Liquibase formatted SQL changelog (its first line says so).
pub fn is_liquibase(text: &str) -> bool {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    Regex::new(r"(?i)^\s*--\s*liquibase\s+formatted\s+sql\b").expect("static regex").is_match(first)
}

/// Liquibase formatted SQL: every `.sql` file (in name order) starting with
/// `--liquibase formatted sql`; each `--changeset author:id` is a migration, its `--rollback`
/// lines its down. Changesets keep file order (Liquibase does not sort them).
pub fn load_liquibase(repo: &Path, dir: &Path, set: &mut MigrationSet) -> Result<(), String> {
    let cs_re = Regex::new(r"(?i)^\s*--\s*changeset\s+(\S+)(.*)$").expect("static regex");
    let rb_re = Regex::new(r"(?i)^\s*--\s*rollback\b\s?(.*)$").expect("static regex");
    for p in list(dir)? {
        if skipped(&p) || p.extension().is_none_or(|e| e != "sql") {
            continue;
        }
        let r = rel(repo, &p);
        let text = read(&p)?;
        if !is_liquibase(&text) {
            set.unrecognized.push((r, "no `--liquibase formatted sql` first line".into()));
            continue;
        }
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let starts: Vec<usize> =
            (0..lines.len()).filter(|&i| cs_re.is_match(lines[i].trim_end())).collect();
        if starts.is_empty() {
            set.unrecognized.push((r, "no `--changeset author:id` line".into()));
            continue;
        }
        let stem = file_name(&p).trim_end_matches(".sql").to_string();
        for (k, &at) in starts.iter().enumerate() {
            let end = starts.get(k + 1).copied().unwrap_or(lines.len());
            let c = cs_re.captures(lines[at].trim_end()).expect("matched above");
            let id = c[1].to_string();
            if !id.contains(':') || id.starts_with(':') || id.ends_with(':') {
                set.unrecognized.push((
                    format!("{r}:{}", at + 1),
                    format!("changeset `{id}` is not `author:id`"),
                ));
                continue;
            }
            let attrs = c[2].replace(' ', "\u{0}").to_ascii_lowercase();
            let in_tx = !attrs.split('\u{0}').any(|a| a == "runintransaction:false");
            let mut rollback: Vec<&str> = Vec::new();
            let mut rollback_line = None;
            for (i, line) in lines.iter().enumerate().take(end).skip(at + 1) {
                if let Some(rb) = rb_re.captures(line.trim_end()) {
                    rollback_line.get_or_insert(i as u64 + 1);
                    rollback.push(rb.get(1).map_or("", |m| m.as_str()));
                }
            }
            let body = lines[at + 1..end].concat();
            let mut m = migration(id, stem.clone(), vec![r.clone()]);
            m.in_transaction = in_tx;
            m.up = Some(part(repo, &p, body, at as u64 + 2));
            let down = rollback.join("\n");
            let deliberate =
                matches!(down.trim().to_ascii_lowercase().as_str(), "not required" | "empty");
            if deliberate {
                m.has_code_down = true;
            } else if let Some(l) = rollback_line.filter(|_| !down.trim().is_empty()) {
                m.down = Some(part(repo, &p, down + "\n", l));
            }
            set.migrations.push(m);
        }
    }
    Ok(())
}

fn js_like(p: &Path) -> bool {
    let n = file_name(p);
    ["js", "ts", "cjs", "mjs"].iter().any(|e| p.extension().is_some_and(|x| x == *e))
        && !n.ends_with(".d.ts")
}

/// Knex: every `.js`/`.ts` file of the directory, in name order, exporting `up` and `down`
/// (`knex migrate:make` names them `<YYYYMMDDHHMMSS>_<name>.js`).
pub fn load_knex(repo: &Path, dir: &Path, set: &mut MigrationSet) -> Result<(), String> {
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

/// TypeORM: classes implementing `MigrationInterface` whose name ends with a 13-digit
/// JavaScript timestamp (TypeORM's order), with `up` and `down`.
pub fn load_typeorm(repo: &Path, dir: &Path, set: &mut MigrationSet) -> Result<(), String> {
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

/// The refinery file-name pattern: `V`ersioned or `U`nversioned, a number, `__`, a name.
pub fn refinery_name() -> Regex {
    Regex::new(r"^([VU])(\d+)__(\w+)\.(sql|rs)$").expect("static regex")
}

/// refinery: `V{n}__{name}.sql` / `.rs` (`U` for unversioned); no down migrations.
pub fn load_refinery(repo: &Path, dir: &Path, set: &mut MigrationSet) -> Result<(), String> {
    let re = refinery_name();
    for p in list(dir)? {
        let name = file_name(&p);
        if skipped(&p) || name == "mod.rs" {
            continue;
        }
        let r = rel(repo, &p);
        let Some(c) = re.captures(&name) else {
            set.unrecognized.push((r, "not a refinery name (V<number>__<name>.sql or .rs)".into()));
            continue;
        };
        let mut m = migration(c[2].to_string(), c[3].to_string(), vec![r]);
        if &c[4] == "sql" {
            m.up = Some(part(repo, &p, read(&p)?, 1));
        }
        set.migrations.push(m);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::detect::{Framework, detect, load};
    use std::path::PathBuf;

    fn tmp(name: &str, files: &[(&str, &str)]) -> PathBuf {
        crate::migrations::test_tree(&format!("fw-{name}"), files)
    }

    #[test]
    fn rails_class_names_versions_and_reversibility() {
        let d = tmp(
            "rails",
            &[
                (
                    "m/20240101000000_create_users.rb",
                    "class CreateUsers < ActiveRecord::Migration[7.1]\n  def change\n    create_table :users\n  end\nend\n",
                ),
                (
                    "m/20240102000000_add_sql.rb",
                    "class AddSql < ActiveRecord::Migration[7.1]\n  def change\n    execute \"UPDATE x\"\n  end\nend\n",
                ),
                (
                    "m/20240103000000_up_only.rb",
                    "class UpOnly < ActiveRecord::Migration[7.1]\n  def up\n    drop_table :x\n  end\n\n  def down\n    raise ActiveRecord::IrreversibleMigration\n  end\nend\n",
                ),
                (
                    "m/20240104000000_both.rb",
                    "class Both < ActiveRecord::Migration[7.1]\n  def up\n    add_column :u, :a, :int\n  end\n  def down\n    remove_column :u, :a\n  end\nend\n",
                ),
                (
                    "m/20240105000000_wrong_name.rb",
                    "class Other < ActiveRecord::Migration[7.1]\n  def change\n  end\nend\n",
                ),
                (
                    "m/20240106000000_no_version.rb",
                    "class NoVersion < ActiveRecord::Migration\n  def change\n  end\nend\n",
                ),
                ("Gemfile.lock", "GEM\n  specs:\n    activerecord (7.1.3)\n    rails (7.1.3)\n"),
            ],
        );
        assert_eq!(detect(&d, &d.join("m")), Some(Framework::Rails));
        let set = load(&d, &d.join("m"), Framework::Rails).unwrap();
        let v: Vec<(&str, bool)> =
            set.migrations.iter().map(|m| (m.name.as_str(), m.has_code_down)).collect();
        assert_eq!(
            v,
            [("create_users", true), ("add_sql", false), ("up_only", false), ("both", true)]
        );
        assert_eq!(set.unrecognized.len(), 2, "{:?}", set.unrecognized);
        assert!(set.unrecognized[0].1.contains("`WrongName`"), "{:?}", set.unrecognized);
        assert!(
            set.unrecognized[1].1.contains("Rails 7.1 (Gemfile.lock)"),
            "{:?}",
            set.unrecognized
        );
    }

    #[test]
    fn rails_scope_suffix_no_methods_and_rails_4_unversioned_are_valid() {
        let d = tmp(
            "rails42",
            &[
                (
                    "db/migrate/20160101000000_create_tags.acts_as_taggable_on_engine.rb",
                    "class CreateTags < ActiveRecord::Migration\n  def self.up\n    create_table :tags\n  end\n  def self.down\n    drop_table :tags\n  end\nend\n",
                ),
                (
                    "db/migrate/20190322102229_add_foreign_key.active_storage.rb",
                    "# This migration comes from active_storage (originally 20180723000244)\nclass AddForeignKey < ActiveRecord::Migration\n  def up\n    add_foreign_key :a, :b\n  end\n  def down\n    remove_foreign_key :a, :b\n  end\nend\n",
                ),
                (
                    "db/migrate/20160102000000_placeholder.rb",
                    "class Placeholder < ActiveRecord::Migration\nend\n",
                ),
                (
                    "Gemfile.lock",
                    "GEM\n  specs:\n    rails (4.2.6)\n      activerecord (= 4.2.6)\n",
                ),
            ],
        );
        let m = d.join("db/migrate");
        assert_eq!(detect(&d, &m), Some(Framework::Rails));
        let set = load(&d, &m, Framework::Rails).unwrap();
        assert!(set.unrecognized.is_empty(), "{:?}", set.unrecognized);
        let v: Vec<(&str, &str, bool)> = set
            .migrations
            .iter()
            .map(|m| (m.version.as_str(), m.name.as_str(), m.has_code_down))
            .collect();
        assert_eq!(
            v,
            [
                ("20160101000000", "create_tags", true),
                ("20160102000000", "placeholder", true),
                ("20190322102229", "add_foreign_key", true)
            ]
        );
        assert_eq!(super::rails_locked_version(&d, &m), Some((4, 2)));
        // Without a lock file the unversioned form is not held against the app.
        std::fs::remove_file(d.join("Gemfile.lock")).unwrap();
        assert!(load(&d, &m, Framework::Rails).unwrap().unrecognized.is_empty());
        // A name that is not Rails' pattern is still refused.
        std::fs::write(
            m.join("20160103000000_Bad-Name.rb"),
            "class X < ActiveRecord::Migration\nend\n",
        )
        .unwrap();
        let set = load(&d, &m, Framework::Rails).unwrap();
        assert_eq!(set.unrecognized.len(), 1, "{:?}", set.unrecognized);
    }

    #[test]
    fn liquibase_changesets_rollbacks_lines_and_attributes() {
        let sql = "--liquibase formatted sql\n\n--changeset alice:1\nCREATE TABLE t (a int);\n--rollback DROP TABLE t;\n\n--changeset bob:2 runInTransaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n--rollback DROP INDEX i;\n--changeset bob:3\nINSERT INTO t VALUES (1);\n--rollback not required\n--changeset bob:4\nDELETE FROM t;\n";
        let d = tmp("lb", &[("m/changelog.sql", sql), ("m/other.sql", "SELECT 1;")]);
        assert_eq!(detect(&d, &d.join("m")), Some(Framework::Liquibase));
        let set = load(&d, &d.join("m"), Framework::Liquibase).unwrap();
        let ids: Vec<&str> = set.migrations.iter().map(|m| m.version.as_str()).collect();
        assert_eq!(ids, ["alice:1", "bob:2", "bob:3", "bob:4"]);
        let a = &set.migrations[0];
        assert_eq!(a.up.as_ref().unwrap().first_line, 4);
        assert_eq!(a.down.as_ref().unwrap().text.trim(), "DROP TABLE t;");
        assert_eq!(a.down.as_ref().unwrap().first_line, 5);
        assert!(!set.migrations[1].in_transaction && a.in_transaction);
        assert!(set.migrations[2].down.is_none() && set.migrations[2].has_code_down);
        assert!(set.migrations[3].down.is_none() && !set.migrations[3].has_code_down);
        assert_eq!(set.unrecognized.len(), 1);
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
    fn refinery_versions_and_flyway_distinction() {
        let d = tmp(
            "refinery",
            &[
                ("m/V1__initial.sql", "CREATE TABLE t (a int);"),
                ("m/V2__code.rs", "pub fn migration() -> String { String::new() }"),
                ("m/V10__more.sql", "ALTER TABLE t ADD COLUMN b int;"),
                ("m/V1.1__dotted.sql", ""),
            ],
        );
        assert_eq!(detect(&d, &d.join("m")), Some(Framework::Refinery));
        let set = load(&d, &d.join("m"), Framework::Refinery).unwrap();
        let v: Vec<(&str, bool)> =
            set.migrations.iter().map(|m| (m.version.as_str(), m.up.is_some())).collect();
        assert_eq!(v, [("1", true), ("2", false), ("10", true)]);
        assert_eq!(set.unrecognized.len(), 1);
        let f = tmp("flyway-not-refinery", &[("m/V1__a.sql", "")]);
        assert_eq!(detect(&f, &f.join("m")), Some(Framework::Flyway));
        let r = tmp("refinery-cargo", &[("m/V1__a.sql", ""), ("Cargo.toml", "refinery = \"0.8\"")]);
        assert_eq!(detect(&r, &r.join("m")), Some(Framework::Refinery));
    }
}
