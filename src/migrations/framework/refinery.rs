//! refinery: `V<n>__<name>.sql` or `.rs` (`U` for unversioned); no down migrations. A set with
//! Rust migrations is not applied (readyctl does not run Rust code).

use std::path::Path;

use regex::Regex;

use super::{Listing, migration, skipped};
use crate::migrations::detect::{MigrationSet, file_name, list, part, read, rel};

pub(super) const LEDGER_QUERY: &str = "SELECT version FROM refinery_schema_history";

/// Why a set with Rust migrations is not applied.
pub(super) const CODE_MIGRATIONS: &str =
    "some refinery migrations are Rust code (`.rs`), which readyctl does not run";

/// refinery's names, with a `.rs` migration or `Cargo.toml` naming refinery (else the same
/// names are Flyway's).
pub(super) fn detects(l: &Listing<'_>) -> bool {
    let refinery = name();
    l.names.iter().any(|n| refinery.is_match(n))
        && (l.names.iter().any(|n| n.ends_with(".rs") && refinery.is_match(n))
            || l.cargo_mentions("refinery"))
}

/// The refinery file-name pattern: `V`ersioned or `U`nversioned, a number, `__`, a name.
pub fn name() -> Regex {
    Regex::new(r"^([VU])(\d+)__(\w+)\.(sql|rs)$").expect("static regex")
}

/// refinery: `V{n}__{name}.sql` / `.rs` (`U` for unversioned); no down migrations.
pub(super) fn load(repo: &Path, dir: &Path, set: &mut MigrationSet) -> Result<(), String> {
    let re = name();
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
    use crate::migrations::detect::{Framework, detect, load};

    fn tmp(name: &str, files: &[(&str, &str)]) -> crate::migrations::TestTree {
        crate::migrations::test_tree(&format!("fw-{name}"), files)
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
