//! Liquibase formatted SQL: `--changeset author:id` changesets, `--rollback` lines, in file
//! order.

use std::path::Path;

use regex::Regex;

use super::{Listing, migration, skipped};
use crate::migrations::detect::{MigrationSet, file_name, list, part, read, rel};

pub(super) const LEDGER_QUERY: &str = "SELECT author || ':' || id FROM databasechangelog";

/// Where Liquibase changelogs live (Spring Boot's default below `src/main/resources`).
pub const CHANGELOG_DIRS: [&str; 2] = ["db/changelog", "src/main/resources/db/changelog"];

pub(super) fn detects(l: &Listing<'_>) -> bool {
    l.sql_files().any(|p| std::fs::read_to_string(p).is_ok_and(|t| is_liquibase(&t)))
}

/// Whether `text` is a Liquibase formatted SQL changelog (its first line says so).
pub fn is_liquibase(text: &str) -> bool {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    Regex::new(r"(?i)^\s*--\s*liquibase\s+formatted\s+sql\b").expect("static regex").is_match(first)
}

/// Liquibase formatted SQL: every `.sql` file (in name order) starting with
/// `--liquibase formatted sql`; each `--changeset author:id` is a migration, its `--rollback`
/// lines its down. Changesets keep file order (Liquibase does not sort them).
pub(super) fn load(repo: &Path, dir: &Path, set: &mut MigrationSet) -> Result<(), String> {
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

#[cfg(test)]
mod tests {
    use crate::migrations::detect::{Framework, detect, load};

    fn tmp(name: &str, files: &[(&str, &str)]) -> crate::migrations::TestTree {
        crate::migrations::test_tree(&format!("fw-{name}"), files)
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
}
