//! Frameworks whose migrations are code (Django, Knex, Prisma's CLI): run the framework's own
//! commands against a scratch PostgreSQL database and check the framework's ledger table after
//! each step.
//!
//! Steps: upgrade (the ledger holds every migration of the set), downgrade when the framework
//! has one (the ledger holds none of them), upgrade again (every migration, the same schema as
//! the first upgrade), upgrade once more (a no-op: same schema, same ledger).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::apply::{self, Schema};
use super::tool::{self, ToolRun};

/// What to run and how to read the ledger.
#[derive(Debug, Clone)]
pub struct Plan {
    pub upgrade: String,
    pub downgrade: Option<String>,
    pub workdir: PathBuf,
    /// Ledger table, for messages (`django_migrations`).
    pub ledger: &'static str,
    /// One text column: the ledger key of each applied migration.
    pub ledger_sql: &'static str,
    /// The keys every migration of the set has in the ledger.
    pub expected: Vec<String>,
}

/// Why the steps stopped.
#[derive(Debug)]
pub enum CodeError {
    /// The claim does not hold: a command failed, or the ledger or schema is wrong.
    Fail(String),
    /// Could not verify: tool missing, deadline, database unreachable.
    Error(String),
}

/// Runs the plan. `url` is the scratch database (also given to the commands as
/// `DATABASE_URL`). Returns the schema after the last upgrade.
pub fn run(
    plan: &Plan,
    url: &str,
    redact: &dyn Fn(&str) -> String,
    deadline: Instant,
    cancel: &std::sync::atomic::AtomicBool,
    runs: &mut Vec<ToolRun>,
) -> Result<Schema, CodeError> {
    let timeout = Duration::from_secs(15);
    let ledger = || -> Result<(BTreeSet<String>, Schema), CodeError> {
        let mut c = apply::pg_connect(url, timeout).map_err(CodeError::Error)?;
        let schema = apply::pg_schema(&mut c).map_err(CodeError::Error)?;
        let rows = match c.simple_query(plan.ledger_sql) {
            Ok(r) => r,
            // No ledger table (yet, or any more): nothing applied.
            Err(e) if e.code() == Some(&postgres::error::SqlState::UNDEFINED_TABLE) => {
                return Ok((BTreeSet::new(), schema));
            }
            Err(e) => return Err(CodeError::Error(apply::pg_error(&e))),
        };
        let keys = rows
            .iter()
            .filter_map(|m| match m {
                postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
                _ => None,
            })
            .collect();
        Ok((keys, schema))
    };
    let expected: BTreeSet<String> = plan.expected.iter().cloned().collect();
    let missing = |got: &BTreeSet<String>| -> Vec<String> {
        expected.difference(got).cloned().collect::<Vec<_>>()
    };
    let shown = |v: &[String]| {
        let s: Vec<&str> = v.iter().take(5).map(String::as_str).collect();
        if v.len() > 5 {
            format!("{} and {} more", s.join(", "), v.len() - 5)
        } else {
            s.join(", ")
        }
    };
    let mut step = |cmd: &str| -> Result<(), CodeError> {
        let r =
            tool::run_shell(cmd, &plan.workdir, &[("DATABASE_URL", url)], deadline, cancel, redact)
                .map_err(CodeError::Error)?;
        let code = r.exit_code;
        let last =
            r.output.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_string();
        runs.push(r);
        match code {
            Some(0) => Ok(()),
            Some(127) => Err(CodeError::Error(format!("`{cmd}`: command not found ({last})"))),
            Some(c) => Err(CodeError::Fail(format!("`{cmd}` exited with {c}: {last}"))),
            None => Err(CodeError::Error(format!("`{cmd}` did not finish before the deadline"))),
        }
    };

    step(&plan.upgrade)?;
    let (got, first) = ledger()?;
    let m = missing(&got);
    if !m.is_empty() {
        return Err(CodeError::Fail(format!(
            "after `{}`, {} does not record {}",
            plan.upgrade,
            plan.ledger,
            shown(&m)
        )));
    }
    if let Some(down) = &plan.downgrade {
        step(down)?;
        let (got, _) = ledger()?;
        let left: Vec<String> = expected.intersection(&got).cloned().collect();
        if !left.is_empty() {
            return Err(CodeError::Fail(format!(
                "after `{down}`, {} still records {}",
                plan.ledger,
                shown(&left)
            )));
        }
        step(&plan.upgrade)?;
        let (got, again) = ledger()?;
        let m = missing(&got);
        if !m.is_empty() {
            return Err(CodeError::Fail(format!(
                "after downgrade and `{}` again, {} does not record {}",
                plan.upgrade,
                plan.ledger,
                shown(&m)
            )));
        }
        if again != first {
            return Err(CodeError::Fail(format!(
                "the schema after downgrade and upgrade again differs from the first upgrade: {}",
                schema_diff(&first, &again)
            )));
        }
    }
    let (before, _) = ledger()?;
    step(&plan.upgrade)?;
    let (after, last) = ledger()?;
    if after != before || last != first {
        return Err(CodeError::Fail(format!(
            "running `{}` again is not a no-op (ledger {} → {} rows; schema: {})",
            plan.upgrade,
            before.len(),
            after.len(),
            schema_diff(&first, &last)
        )));
    }
    Ok(last)
}

fn schema_diff(a: &Schema, b: &Schema) -> String {
    let mut d: Vec<String> = Vec::new();
    for (k, v) in a {
        match b.get(k) {
            None => d.push(format!("-{k}")),
            Some(w) if w != v => d.push(format!("~{k}")),
            _ => {}
        }
    }
    d.extend(b.keys().filter(|k| !a.contains_key(*k)).map(|k| format!("+{k}")));
    if d.is_empty() {
        return "unchanged".into();
    }
    let more = if d.len() > 5 { format!(" and {} more", d.len() - 5) } else { String::new() };
    format!("{}{more}", d.into_iter().take(5).collect::<Vec<_>>().join(", "))
}
