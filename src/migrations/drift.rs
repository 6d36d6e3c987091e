//! Drift between the repository's migrations and a live database's ledger, read-only:
//! migrations applied there but missing here, migrations pending there, checksum mismatches
//! where the framework stores checksums (sqlx: SHA-384 of the SQL; Prisma: SHA-256 hex; Flyway:
//! CRC-32 of the lines), and failed or dirty ledger entries.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256, Sha384};

use super::detect::{Framework, Kind, MigrationSet, version_key};
use super::integrity::{Issue, Level};
use crate::text::hex;

/// Rows of a read-only query: cells as text, `None` = NULL.
pub type Rows = Vec<Vec<Option<String>>>;

/// Flyway's checksum of a SQL migration (`ChecksumCalculator`): the file is read line by line
/// (`BufferedReader.readLine`, so `\n`, `\r\n` and `\r` all end a line and are dropped), a
/// leading byte-order mark is removed, and the CRC-32 of the lines' UTF-8 bytes, concatenated,
/// is stored as a signed 32-bit integer. Line endings therefore do not change it.
pub fn flyway_checksum(text: &str) -> i32 {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut crc = crc32fast::Hasher::new();
    for piece in text.split(['\r', '\n']) {
        crc.update(piece.as_bytes());
    }
    crc.finalize() as i32
}

fn truthy(c: &Option<String>) -> bool {
    matches!(c.as_deref(), Some("t" | "true" | "1"))
}

/// What the drift check found: issues, and the number of pending migrations.
pub struct Drift {
    pub issues: Vec<Issue>,
    pub applied: usize,
    pub pending: Vec<String>,
}

fn issue(rule: &'static str, level: Level, path: &str, message: String) -> Issue {
    Issue { rule, level, path: path.to_string(), message }
}

/// Compares the ledger rows (from [`super::framework::ledger_query`]) with the set.
pub fn compare(set: &MigrationSet, rows: &Rows, source: &str) -> Drift {
    let mut issues = Vec::new();
    let fw = set.framework;
    let cell = |r: &Vec<Option<String>>, i: usize| r.get(i).cloned().flatten().unwrap_or_default();
    // Repository versions, keyed the way the ledger stores them.
    let repo_key = |v: &str| -> String {
        match fw {
            Framework::Alembic
            | Framework::Django
            | Framework::Prisma
            | Framework::Knex
            | Framework::Liquibase => v.to_string(),
            _ => format!("{:?}", version_key(v)),
        }
    };
    let versioned: Vec<_> = set.migrations.iter().filter(|m| m.kind == Kind::Versioned).collect();
    let in_repo: BTreeMap<String, &super::detect::Migration> = versioned
        .iter()
        .map(|m| {
            let key = if fw == Framework::Prisma {
                m.files[0].rsplit('/').nth(1).unwrap_or("").to_string()
            } else if fw == Framework::Knex {
                // knex_migrations.name is the file name.
                m.files[0].rsplit('/').next().unwrap_or("").to_string()
            } else {
                m.version.clone()
            };
            (repo_key(&key), *m)
        })
        .collect();

    let mut applied: BTreeSet<String> = BTreeSet::new();
    match fw {
        Framework::GolangMigrate => {
            // One row: the current version. Everything up to it counts as applied.
            if let Some(r) = rows.first() {
                let current = version_key(&cell(r, 0));
                if truthy(&r.get(1).cloned().flatten()) {
                    issues.push(issue(
                        "dirty-database",
                        Level::Fail,
                        source,
                        format!(
                            "schema_migrations is dirty at version {}: a migration failed half-way",
                            cell(r, 0)
                        ),
                    ));
                }
                for m in &versioned {
                    if version_key(&m.version) <= current {
                        applied.insert(repo_key(&m.version));
                    }
                }
                if !versioned.iter().any(|m| version_key(&m.version) == current) {
                    issues.push(issue(
                        "applied-not-in-repo",
                        Level::Fail,
                        source,
                        format!(
                            "the database is at version {}, which is not in the repository",
                            cell(r, 0)
                        ),
                    ));
                }
            }
        }
        Framework::Goose => {
            let mut state: BTreeMap<String, bool> = BTreeMap::new();
            for r in rows {
                if cell(r, 0) == "0" {
                    continue; // goose's initial row
                }
                state.insert(
                    format!("{:?}", version_key(&cell(r, 0))),
                    truthy(&r.get(1).cloned().flatten()),
                );
            }
            applied.extend(state.into_iter().filter(|(_, on)| *on).map(|(k, _)| k));
        }
        Framework::Django => {
            applied.extend(rows.iter().map(|r| format!("{}.{}", cell(r, 0), cell(r, 1))))
        }
        Framework::Alembic => {
            // The ledger holds the current head(s); their ancestors are applied too.
            let parents: BTreeMap<&str, &Vec<String>> =
                set.migrations.iter().map(|m| (m.version.as_str(), &m.parents)).collect();
            let mut stack: Vec<String> = rows.iter().map(|r| cell(r, 0)).collect();
            while let Some(rev) = stack.pop() {
                if !applied.insert(rev.clone()) {
                    continue;
                }
                if let Some(ps) = parents.get(rev.as_str()) {
                    stack.extend(ps.iter().cloned());
                }
            }
        }
        _ => {
            for r in rows {
                let key = repo_key(&cell(r, 0));
                match fw {
                    Framework::Sqlx | Framework::Flyway
                        if !truthy(&r.get(1).cloned().flatten()) =>
                    {
                        issues.push(issue(
                            "failed-migration",
                            Level::Fail,
                            source,
                            format!("the ledger records migration {} as failed", cell(r, 0)),
                        ));
                    }
                    Framework::Prisma
                        if r.get(2).cloned().flatten().is_none()
                            && r.get(3).cloned().flatten().is_none() =>
                    {
                        issues.push(issue(
                            "failed-migration",
                            Level::Fail,
                            source,
                            format!("migration {} started but never finished", cell(r, 0)),
                        ));
                    }
                    _ => {}
                }
                if let Some(m) = in_repo.get(&key) {
                    let stored = cell(
                        r,
                        if matches!(fw, Framework::Sqlx | Framework::Flyway) { 2 } else { 1 },
                    );
                    let up = m.up.as_ref().map(|u| u.text.as_bytes()).unwrap_or_default();
                    let expected = match fw {
                        Framework::Sqlx => Some(hex(&Sha384::digest(up))),
                        Framework::Prisma => Some(hex(&Sha256::digest(up))),
                        Framework::Flyway => {
                            m.up.as_ref().map(|u| flyway_checksum(&u.text).to_string())
                        }
                        _ => None,
                    };
                    let stored = stored.trim_start_matches("\\x").to_lowercase();
                    if let Some(e) = expected
                        && !stored.is_empty()
                        && e != stored
                    {
                        let file = m.files.first().cloned().unwrap_or_default();
                        issues.push(issue("checksum-mismatch", Level::Fail, &file, format!("{file} differs from what the database applied as {} (checksum mismatch)", cell(r, 0))));
                    }
                }
                applied.insert(key);
            }
        }
    }
    for a in &applied {
        if !in_repo.contains_key(a) && fw != Framework::GolangMigrate {
            let shown = rows
                .iter()
                .map(|r| cell(r, 0))
                .find(|v| &repo_key(v) == a)
                .unwrap_or_else(|| a.clone());
            issues.push(issue(
                "applied-not-in-repo",
                Level::Fail,
                source,
                format!("migration {shown} is applied in the database but not in the repository"),
            ));
        }
    }
    let pending: Vec<String> = in_repo
        .iter()
        .filter(|(k, _)| !applied.contains(*k))
        .map(|(_, m)| m.version.clone())
        .collect();
    if !pending.is_empty() {
        issues.push(issue(
            "pending",
            Level::Warn,
            source,
            format!(
                "{} migration(s) not yet applied in the database: {}",
                pending.len(),
                pending.join(", ")
            ),
        ));
    }
    Drift { issues, applied: applied.len(), pending }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::detect::load;

    fn tmp(name: &str, files: &[(&str, &str)]) -> crate::migrations::TestTree {
        crate::migrations::test_tree(&format!("drift-{name}"), files)
    }
    fn row(cells: &[Option<&str>]) -> Vec<Option<String>> {
        cells.iter().map(|c| c.map(String::from)).collect()
    }
    fn rules(d: &Drift) -> Vec<&str> {
        d.issues.iter().map(|i| i.rule).collect()
    }

    #[test]
    fn sqlx_checksums_pending_and_unknown() {
        let d = tmp(
            "sqlx",
            &[
                ("m/1_a.sql", "CREATE TABLE a (id int);"),
                ("m/2_b.sql", "CREATE TABLE b (id int);"),
                ("m/3_c.sql", "SELECT 1;"),
            ],
        );
        let set = load(&d, &d.join("m"), Framework::Sqlx).unwrap();
        let good = format!("\\x{}", hex(&Sha384::digest(b"CREATE TABLE a (id int);")));
        let rows = vec![
            row(&[Some("1"), Some("t"), Some(&good)]),
            row(&[Some("2"), Some("t"), Some("\\x00ff")]),
            row(&[Some("9"), Some("f"), Some("\\x00")]),
        ];
        let drift = compare(&set, &rows, "db");
        assert_eq!(
            rules(&drift),
            ["checksum-mismatch", "failed-migration", "applied-not-in-repo", "pending"]
        );
        assert!(drift.issues[0].path.ends_with("2_b.sql"));
        assert_eq!(drift.pending, ["3"]);
    }

    #[test]
    fn flyway_checksum_matches_the_jvm() {
        // Reference values printed by tests/peers/FlywayChecksum.java (the JVM's BufferedReader
        // and CRC32) for these exact bytes; Python's zlib.crc32 of the joined lines agrees.
        let a = "\u{feff}CREATE TABLE people (id int);\r\n\r\nCREATE INDEX ON people (id);\r\n";
        assert_eq!(flyway_checksum(a), 1257082464);
        assert_eq!(
            flyway_checksum("ALTER TABLE people ADD COLUMN email text;\rSELECT 1;\n"),
            859618518
        );
        // Line endings and the BOM do not count; any other change does.
        assert_eq!(flyway_checksum(&a.replace("\r\n", "\n")[3..]), 1257082464);
        assert_ne!(flyway_checksum(&a.replace("(id)", "(id) ")), 1257082464);
    }

    #[test]
    fn flyway_checksum_mismatch_and_failed_row() {
        let d = tmp(
            "flyway",
            &[("m/V1__a.sql", "CREATE TABLE a (id int);\n"), ("m/V1_1__b.sql", "SELECT 1;\n")],
        );
        let set = load(&d, &d.join("m"), Framework::Flyway).unwrap();
        let good = flyway_checksum("CREATE TABLE a (id int);\n").to_string();
        let drift = compare(&set, &vec![row(&[Some("1"), Some("t"), Some(&good)])], "db");
        assert_eq!(rules(&drift), ["pending"]);
        let rows = vec![
            row(&[Some("1"), Some("t"), Some(&good)]),
            row(&[Some("1.1"), Some("f"), Some("-12345")]),
        ];
        let drift = compare(&set, &rows, "db");
        assert_eq!(rules(&drift), ["failed-migration", "checksum-mismatch"]);
        assert!(drift.issues[1].path.ends_with("V1_1__b.sql"));
        // A NULL checksum (Flyway stores none for some migration types) is not a mismatch.
        let drift = compare(&set, &vec![row(&[Some("1"), Some("t"), None])], "db");
        assert_eq!(rules(&drift), ["pending"]);
    }

    #[test]
    fn golang_migrate_current_version_and_dirty() {
        let d = tmp("gm", &[("m/1_a.up.sql", ""), ("m/2_b.up.sql", ""), ("m/3_c.up.sql", "")]);
        let set = load(&d, &d.join("m"), Framework::GolangMigrate).unwrap();
        let drift = compare(&set, &vec![row(&[Some("2"), Some("f")])], "db");
        assert_eq!(rules(&drift), ["pending"]);
        assert_eq!(drift.pending, ["3"]);
        let drift = compare(&set, &vec![row(&[Some("7"), Some("t")])], "db");
        assert_eq!(rules(&drift), ["dirty-database", "applied-not-in-repo"]);
    }

    #[test]
    fn alembic_ancestors_of_the_ledger_head_are_applied() {
        let d = tmp(
            "alembic",
            &[
                ("m/a.py", "revision = 'a'\ndown_revision = None\n"),
                ("m/b.py", "revision = 'b'\ndown_revision = 'a'\n"),
                ("m/c.py", "revision = 'c'\ndown_revision = 'b'\n"),
            ],
        );
        let set = load(&d, &d.join("m"), Framework::Alembic).unwrap();
        let drift = compare(&set, &vec![row(&[Some("b")])], "db");
        assert_eq!(drift.pending, ["c"]);
        assert_eq!(drift.applied, 2);
        let drift = compare(&set, &vec![row(&[Some("zzz")])], "db");
        assert!(rules(&drift).contains(&"applied-not-in-repo"));
    }
}
