//! Rails: `db/migrate/<version>_<name>.rb`, classes `< ActiveRecord::Migration[x.y]`; applied by
//! `bin/rails db:migrate` and rolled back by `db:migrate VERSION=0` on the scratch database
//! (`config/database.yml` must let `DATABASE_URL` win).

use std::path::Path;

use regex::Regex;

use super::{
    CodeFramework, Commands, Env, Listing, Project, migration, segment, shown_dir, skipped,
};
use crate::migrations::detect::{MigrationSet, file_name, list, read, rel};
use crate::migrations::tool;

pub(super) const LEDGER_QUERY: &str = "SELECT version FROM schema_migrations";

pub(super) fn detects(l: &Listing<'_>) -> bool {
    l.code_mentions(&["rb"], "ActiveRecord::Migration")
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
pub fn locked_version(repo: &Path, dir: &Path) -> Option<(u32, u32)> {
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
pub(super) fn load(repo: &Path, dir: &Path, set: &mut MigrationSet) -> Result<(), String> {
    // Rails' own `ActiveRecord::Migration::MigrationFilenameRegexp`.
    let file_re = Regex::new(r"^(\d+)_([_a-z0-9]*)\.?([_a-z0-9]*)?\.rb$").expect("static regex");
    let class_re =
        Regex::new(r"(?m)^\s*class\s+([\w:]+)\s*<\s*ActiveRecord::Migration(\[\s*\d+\.\d+\s*\])?")
            .expect("static regex");
    let def_re = Regex::new(r"(?m)^\s*def\s+(self\.)?(change|up|down)\b").expect("static regex");
    let locked = locked_version(repo, dir);
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

/// A Rails app root: `bin/rails` or `config/application.rb`.
pub fn app_root(dir: &Path) -> bool {
    dir.join("bin").join("rails").is_file() || dir.join("config").join("application.rb").is_file()
}

pub(super) const CODE: CodeFramework = CodeFramework {
    marker: app_root,
    marker_name: "Rails app (bin/rails, config/application.rb)",
    marker_hint: "set `commands.workdir`",
    commands,
    ledger: "schema_migrations",
    ledger_sql: "SELECT version FROM schema_migrations",
    expected: |set: &MigrationSet| set.migrations.iter().map(|m| m.version.clone()).collect(),
    isolation_hint: "config/database.yml names a `url:` or database that wins over DATABASE_URL: let the environment's `url` be `<%= ENV['DATABASE_URL'] %>`",
};

fn commands(
    env: &Env<'_>,
    cmds: Commands,
    p: &Project<'_>,
) -> Result<(String, Option<String>), String> {
    if cmds.upgrade.is_none() {
        usable(env, &p.workdir)?;
    }
    Ok((
        cmds.upgrade.unwrap_or_else(|| "bin/rails db:migrate".into()),
        Some(cmds.downgrade.unwrap_or_else(|| "bin/rails db:migrate VERSION=0".into())),
    ))
}

/// The default Rails commands need `bin/rails` and a Ruby that boots the app (`bin/rails
/// --version` loads `config/boot.rb`, so Bundler and the app's gems, without touching the
/// database); else an error saying what to install.
fn usable(env: &Env<'_>, workdir: &Path) -> Result<(), String> {
    if !workdir.join("bin").join("rails").is_file() {
        return Err(format!(
            "no bin/rails in {} (`rails app:update:bin` makes it), or set `commands.upgrade` and `commands.downgrade`",
            shown_dir(env.repo, workdir)
        ));
    }
    let probe = tool::run_shell(
        "bin/rails --version",
        workdir,
        &[],
        env.deadline,
        env.cancel,
        &|s: &str| s.to_string(),
    )?;
    if probe.exit_code == Some(0) {
        return Ok(());
    }
    let last = probe.output.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
    let what =
        if probe.exit_code == Some(127) { "Ruby is not installed" } else { "Rails does not load" };
    Err(format!(
        "{what}: `bin/rails --version` in {} failed ({last}); install Ruby and the app's gems (`bundle install`; on Debian `apt-get install ruby-railties ruby-activerecord ruby-pg`), or set `commands.upgrade` and `commands.downgrade`",
        shown_dir(env.repo, workdir)
    ))
}

#[cfg(test)]
mod tests {
    use crate::migrations::detect::{Framework, detect, load};

    fn tmp(name: &str, files: &[(&str, &str)]) -> crate::migrations::TestTree {
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
        assert_eq!(super::locked_version(&d, &m), Some((4, 2)));
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
}
