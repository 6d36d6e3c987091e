//! goose: `<version>_<name>.sql` with `-- +goose Up` / `-- +goose Down` sections (`.go`
//! migrations are code and not analysed). Also dbmate's loader (`-- migrate:up` /
//! `-- migrate:down`).

use std::path::Path;

use regex::Regex;

use super::{Listing, migration};
use crate::migrations::detect::{
    Framework, Migration, MigrationSet, file_name, list, part, read, rel,
};

pub(super) const LEDGER_QUERY: &str =
    "SELECT version_id, is_applied FROM goose_db_version ORDER BY id";

pub(super) fn detects(l: &Listing<'_>) -> bool {
    l.sql_texts().iter().any(|t| t.contains("+goose Up"))
}

pub(super) fn load(repo: &Path, dir: &Path, set: &mut MigrationSet) -> Result<(), String> {
    load_sectioned(repo, dir, set)
}

/// goose and dbmate: one file, up and down sections marked by comments.
pub(super) fn load_sectioned(
    repo: &Path,
    dir: &Path,
    set: &mut MigrationSet,
) -> Result<(), String> {
    let re = Regex::new(r"^(\d+)_(.+)\.sql$").expect("static regex");
    let (up_mark, down_mark) = match set.framework {
        Framework::Goose => ("-- +goose Up", "-- +goose Down"),
        _ => ("-- migrate:up", "-- migrate:down"),
    };
    for p in list(dir)? {
        let name = file_name(&p);
        if p.is_dir() || name.starts_with('.') || name == "migrations.lock" || name.ends_with(".md")
        {
            continue;
        }
        if set.framework == Framework::Goose && name.ends_with(".go") {
            continue; // Go migrations are code; not analysed.
        }
        let Some(c) = re.captures(&name) else {
            set.unrecognized.push((
                rel(repo, &p),
                format!("not a {} migration file name", set.framework.as_str()),
            ));
            continue;
        };
        let text = read(&p)?;
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let find = |mark: &str| lines.iter().position(|l| l.trim_start().starts_with(mark));
        let Some(up_at) = find(up_mark) else {
            set.unrecognized.push((rel(repo, &p), format!("no `{up_mark}` annotation")));
            continue;
        };
        let down_at = find(down_mark);
        let up_end = down_at.filter(|d| *d > up_at).unwrap_or(lines.len());
        let section = |from: usize, to: usize| lines[from..to].concat();
        let up_text = section(up_at + 1, up_end);
        let down = down_at.map(|d| {
            let end = if up_at > d { up_at } else { lines.len() };
            (section(d + 1, end), d as u64 + 2)
        });
        let in_tx = match set.framework {
            Framework::Goose => !text.contains("+goose NO TRANSACTION"),
            _ => !lines[up_at].contains("transaction:false"),
        };
        let down = down.filter(|(t, _)| {
            !crate::migrations::lint::split(t).map(|c| c.is_empty()).unwrap_or(false)
        });
        set.migrations.push(Migration {
            up: Some(part(repo, &p, up_text, up_at as u64 + 2)),
            down: down.map(|(t, l)| part(repo, &p, t, l)),
            in_transaction: in_tx,
            ..migration(c[1].to_string(), c[2].to_string(), vec![rel(repo, &p)])
        });
    }
    Ok(())
}
