//! SQL lint: statement splitting (PostgreSQL tokenizer) and every rule, on arbitrary text.
//! The first byte says whether the text runs inside a transaction.
#![no_main]
use libfuzzer_sys::fuzz_target;
use readyctl::migrations::lint::{LintInput, Rule, lint, split};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, body)) = data.split_first() else { return };
    let Ok(sql) = std::str::from_utf8(body) else { return };
    let _ = split(sql);
    let input = LintInput { path: "m.sql", sql, first_line: 1, in_transaction: flags & 1 == 1 };
    let all: std::collections::BTreeSet<Rule> = Rule::ALL.iter().copied().collect();
    let _ = lint(&[input], &all);
});
