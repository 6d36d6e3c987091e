//! Migration detection and loading (framework guessed from file names and contents, every
//! framework's file parser), then SQL lint of each migration found. The first byte picks the
//! layout of the migrations directory; the rest is the file's content.
#![no_main]
use std::collections::BTreeSet;

use libfuzzer_sys::fuzz_target;
use readyctl::migrations::detect::{detect, load};
use readyctl::migrations::lint::{LintInput, Rule, lint};

#[path = "scratch.rs"]
mod scratch;

/// Files (relative to the migrations directory) that receive the input, per layout.
const LAYOUTS: [&[&str]; 14] = [
    &["V1__init.sql", "R__views.sql"],         // Flyway
    &["001_init.up.sql", "001_init.down.sql"], // golang-migrate / sqlx
    &["20240101000000_init.sql"],              // goose / dbmate / sqlx
    &["versions/abc123_init.py"],              // Alembic
    &["0001_initial.py", "__init__.py"],       // Django
    &["atlas.sum", "20240101000000_init.sql"], // Atlas
    &["2024-01-01-000000_init/up.sql", "2024-01-01-000000_init/down.sql"], // Diesel
    &["migration_lock.toml", "20240101000000_init/migration.sql"], // Prisma
    &["1_a.sql", "2_b.sql"],
    &["20240101000000_create_users.rb"], // Rails
    &["20240101000000_init.js", "20240102000000_more.ts"], // Knex / TypeORM
    &["changelog.sql"],                  // Liquibase formatted SQL
    &["V1__init.rs", "V2__more.sql"],    // refinery
    &["notes.txt"],
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else { return };
    let repo = scratch::fresh("repo");
    let dir = repo.join("migrations");
    for rel in LAYOUTS[sel as usize % LAYOUTS.len()] {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, body).unwrap();
    }
    let Some(framework) = detect(&repo, &dir) else { return };
    let Ok(set) = load(&repo, &dir, framework) else { return };
    let all: BTreeSet<Rule> = Rule::ALL.iter().copied().collect();
    let inputs: Vec<LintInput<'_>> = set
        .migrations
        .iter()
        .flat_map(|m| m.up.iter().chain(m.down.iter()).map(move |p| (m, p)))
        .map(|(m, p)| LintInput {
            path: &p.path,
            sql: &p.text,
            first_line: p.first_line,
            in_transaction: m.in_transaction,
        })
        .collect();
    let _ = lint(&inputs, &all);
});
