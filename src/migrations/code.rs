//! Frameworks whose migrations are code (Django, Knex, Prisma's CLI, Rails, TypeORM): run the framework's own
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
    /// (version, name) of every migration of the set, to name the one a failing command
    /// was at (from its output).
    pub migrations: Vec<(String, String)>,
    /// More environment for the commands than `DATABASE_URL` (Django's settings shim).
    pub env: Vec<(String, String)>,
    /// What to change when the commands migrate another database than the scratch one.
    pub isolation_hint: String,
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
    let table = std::cell::Cell::new(true);
    let ledger = || -> Result<(BTreeSet<String>, Schema), CodeError> {
        let mut c = crate::db::pg_connect(url, timeout).map_err(CodeError::Error)?;
        let schema = apply::pg_schema(&mut c).map_err(CodeError::Error)?;
        table.set(true);
        let rows = match c.simple_query(plan.ledger_sql) {
            Ok(r) => r,
            // No ledger table (yet, or any more): nothing applied.
            Err(e) if e.code() == Some(&postgres::error::SqlState::UNDEFINED_TABLE) => {
                table.set(false);
                return Ok((BTreeSet::new(), schema));
            }
            Err(e) => return Err(CodeError::Error(crate::db::pg_error(&e))),
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
    let shown = |v: &[String]| crate::text::first_few(v, 5, crate::text::More::And);
    let mut step = |cmd: &str| -> Result<(), CodeError> {
        let mut env: Vec<(&str, &str)> = vec![("DATABASE_URL", url)];
        env.extend(plan.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let r = tool::run_shell(cmd, &plan.workdir, &env, deadline, cancel, redact)
            .map_err(CodeError::Error)?;
        let code = r.exit_code;
        let last = failure_line(&r.output);
        let environment = tool::environment_problem(&r.output);
        let at = last_mentioned(&r.output, &plan.migrations)
            .map(|(v, n)| format!(" at migration {v} ({n})"))
            .unwrap_or_default();
        runs.push(r);
        match code {
            Some(0) => Ok(()),
            Some(127) => Err(CodeError::Error(format!("`{cmd}`: command not found ({last})"))),
            Some(_) if environment.is_some() => Err(CodeError::Error(format!(
                "`{cmd}` could not load the project: {} (an environment problem, not a migration failure)",
                environment.unwrap_or_default()
            ))),
            Some(c) => Err(CodeError::Fail(format!("`{cmd}` exited with {c}{at}: {last}"))),
            None => Err(CodeError::Error(format!("`{cmd}` did not finish before the deadline"))),
        }
    };

    step(&plan.upgrade)?;
    let (got, first) = ledger()?;
    if !table.get() {
        return Err(CodeError::Error(format!(
            "`{}` succeeded but readyctl's scratch database has no {} table: it migrated another database ({}); readyctl runs migrations only against the database it creates",
            plan.upgrade, plan.ledger, plan.isolation_hint
        )));
    }
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

/// The line of a failed command's output that says what went wrong: the error after Rails'
/// `rails aborted!` (its last lines are only "(See full trace …)"); else the last line naming
/// an error (`QueryFailedError: …`, `django.db.utils.ProgrammingError: …` — Node prints the
/// error object's fields after it, down to a lone `}`); else the last non-empty line that is
/// not an npm warning.
fn failure_line(output: &str) -> String {
    let lines: Vec<&str> = output.lines().map(str::trim).collect();
    if let Some(i) = lines.iter().position(|l| *l == "rails aborted!") {
        let text: Vec<&str> =
            lines[i + 1..].iter().copied().filter(|l| !l.is_empty()).take(2).collect();
        if !text.is_empty() {
            return text.join(" ");
        }
    }
    let names_error =
        |l: &&&str| l.contains("Error: ") || l.contains("Exception: ") || l.starts_with("error: ");
    lines
        .iter()
        .rev()
        .find(names_error)
        .or_else(|| lines.iter().rev().find(|l| !l.is_empty() && !l.starts_with("npm warn")))
        .unwrap_or(&"")
        .to_string()
}

/// The migration of the set whose version the output mentions last (the tools log each
/// migration as they start it: Rails `== 20240301090000 CreateUsers: reverting`, TypeORM
/// `CreateUsers1795302868234 is the last executed migration`, knex and Django the file or
/// migration name). Versions shorter than 4 characters are not searched (too ambiguous).
fn last_mentioned<'a>(output: &str, set: &'a [(String, String)]) -> Option<&'a (String, String)> {
    set.iter()
        .filter(|(v, _)| v.len() >= 4)
        .filter_map(|m| output.rfind(m.0.as_str()).map(|at| (at, m)))
        .max_by_key(|(at, _)| *at)
        .map(|(_, m)| m)
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
    crate::text::first_few(&d, 5, crate::text::More::And)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> Vec<(String, String)> {
        [("20240301090000", "CreateUsers"), ("20240303090000", "BackfillUserNames"), ("1", "x")]
            .iter()
            .map(|(v, n)| (v.to_string(), n.to_string()))
            .collect()
    }

    #[test]
    fn failing_migration_is_the_last_one_mentioned() {
        let out = "== 20240303090000 BackfillUserNames: reverting ===\n\
                   rails aborted!\n\
                   StandardError: An error has occurred, this and all later migrations canceled:\n\n\
                   ActiveRecord::IrreversibleMigration\n\
                   /app/db/migrate/20240303090000_backfill_user_names.rb:7:in `down'\n\
                   (See full trace by running task with --trace)\n";
        let s = set();
        assert_eq!(last_mentioned(out, &s).map(|m| m.1.as_str()), Some("BackfillUserNames"));
        assert_eq!(
            failure_line(out),
            "StandardError: An error has occurred, this and all later migrations canceled: \
             ActiveRecord::IrreversibleMigration"
        );
        let out = "CreateUsers20240301090000 is the last executed migration.\nNow reverting it...\n\
                   Error during migration revert:\nQueryFailedError: table \"nope\" does not exist\n\
                   {\n  query: 'DROP TABLE \"nope\"',\n}\nnpm warn config\n";
        assert_eq!(last_mentioned(out, &s).map(|m| m.1.as_str()), Some("CreateUsers"));
        assert_eq!(failure_line(out), "QueryFailedError: table \"nope\" does not exist");
        assert_eq!(failure_line("ok\nexit status 3\n\n"), "exit status 3");
        // A one-character version is not searched: "1" is in every timestamp.
        assert_eq!(last_mentioned("exit 1", &s), None);
    }
}
