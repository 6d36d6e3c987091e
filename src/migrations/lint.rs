//! Lint of PostgreSQL migration SQL for operations that lock or rewrite tables in production.
//!
//! SQL is tokenized and parsed with `sqlparser` (PostgreSqlDialect), one statement at a time:
//! a statement the parser rejects becomes an `unparseable-sql` finding at its line and the
//! statements after it are still linted. Rules have stable kebab-case ids (they feed SARIF).

use std::collections::BTreeSet;

use serde::Serialize;
use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, AlterTypeOperation, ColumnOption, Expr, ObjectName,
    ObjectType, Statement, TableConstraint,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, Whitespace};

/// A lint rule. Ids are stable: checklists select them and SARIF reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    IndexWithoutConcurrently,
    ConcurrentlyInTransaction,
    DropColumn,
    DropTable,
    RenameColumn,
    RenameTable,
    ColumnTypeChange,
    NotNullWithoutDefault,
    SetNotNull,
    ForeignKeyWithoutNotValid,
    CheckWithoutNotValid,
    UniqueWithoutIndex,
    AddPrimaryKey,
    VolatileDefault,
    EnumValueInTransaction,
    RequireLockTimeout,
    UnparseableSql,
}

impl Rule {
    pub const ALL: [Rule; 17] = [
        Rule::IndexWithoutConcurrently,
        Rule::ConcurrentlyInTransaction,
        Rule::DropColumn,
        Rule::DropTable,
        Rule::RenameColumn,
        Rule::RenameTable,
        Rule::ColumnTypeChange,
        Rule::NotNullWithoutDefault,
        Rule::SetNotNull,
        Rule::ForeignKeyWithoutNotValid,
        Rule::CheckWithoutNotValid,
        Rule::UniqueWithoutIndex,
        Rule::AddPrimaryKey,
        Rule::VolatileDefault,
        Rule::EnumValueInTransaction,
        Rule::RequireLockTimeout,
        Rule::UnparseableSql,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Rule::IndexWithoutConcurrently => "index-without-concurrently",
            Rule::ConcurrentlyInTransaction => "concurrently-in-transaction",
            Rule::DropColumn => "drop-column",
            Rule::DropTable => "drop-table",
            Rule::RenameColumn => "rename-column",
            Rule::RenameTable => "rename-table",
            Rule::ColumnTypeChange => "column-type-change",
            Rule::NotNullWithoutDefault => "not-null-without-default",
            Rule::SetNotNull => "set-not-null",
            Rule::ForeignKeyWithoutNotValid => "foreign-key-without-not-valid",
            Rule::CheckWithoutNotValid => "check-without-not-valid",
            Rule::UniqueWithoutIndex => "unique-without-index",
            Rule::AddPrimaryKey => "add-primary-key",
            Rule::VolatileDefault => "volatile-default",
            Rule::EnumValueInTransaction => "enum-value-in-transaction",
            Rule::RequireLockTimeout => "require-lock-timeout",
            Rule::UnparseableSql => "unparseable-sql",
        }
    }

    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.id() == id)
    }

    /// Why the operation is dangerous on a live database.
    pub fn why(self) -> &'static str {
        match self {
            Rule::IndexWithoutConcurrently => {
                "CREATE/DROP INDEX takes a lock that blocks writes to the table for the whole build"
            }
            Rule::ConcurrentlyInTransaction => {
                "CONCURRENTLY cannot run inside a transaction block: the migration fails"
            }
            Rule::DropColumn => {
                "running application code that still reads the column breaks as soon as it is gone"
            }
            Rule::DropTable => "data loss, and running code that still uses the table breaks",
            Rule::RenameColumn => "running application code still uses the old name and breaks",
            Rule::RenameTable => "running application code still uses the old name and breaks",
            Rule::ColumnTypeChange => {
                "most type changes rewrite the table under an ACCESS EXCLUSIVE lock"
            }
            Rule::NotNullWithoutDefault => {
                "fails on a table that has rows, and old code inserting without the column breaks"
            }
            Rule::SetNotNull => "scans the whole table under an ACCESS EXCLUSIVE lock",
            Rule::ForeignKeyWithoutNotValid => {
                "validating the foreign key scans the table while holding locks on both tables"
            }
            Rule::CheckWithoutNotValid => {
                "validating the CHECK scans the whole table under an ACCESS EXCLUSIVE lock"
            }
            Rule::UniqueWithoutIndex => "builds the unique index while blocking writes",
            Rule::AddPrimaryKey => "builds the primary key index while blocking reads and writes",
            Rule::VolatileDefault => {
                "a volatile default rewrites the whole table under an ACCESS EXCLUSIVE lock"
            }
            Rule::EnumValueInTransaction => {
                "the new enum value cannot be used in the same transaction (and fails before PostgreSQL 12)"
            }
            Rule::RequireLockTimeout => {
                "a statement waiting for its lock queues every other query on the table behind it"
            }
            Rule::UnparseableSql => "the SQL could not be parsed, so it was not checked",
        }
    }

    /// The safe alternative.
    pub fn fix(self) -> &'static str {
        match self {
            Rule::IndexWithoutConcurrently => {
                "use CREATE INDEX CONCURRENTLY / DROP INDEX CONCURRENTLY in a migration without a transaction"
            }
            Rule::ConcurrentlyInTransaction => {
                "run the statement in a migration marked as non-transactional"
            }
            Rule::DropColumn => {
                "stop using the column in code, deploy, then drop it in a later release"
            }
            Rule::DropTable => {
                "stop using the table in code, deploy, back it up, then drop it in a later release"
            }
            Rule::RenameColumn => {
                "add the new column, write both, backfill, switch reads, then drop the old one"
            }
            Rule::RenameTable => {
                "create the new table (or a view with the old name), migrate code, then drop the old one"
            }
            Rule::ColumnTypeChange => {
                "add a new column of the new type, backfill in batches, switch code, drop the old column"
            }
            Rule::NotNullWithoutDefault => {
                "add the column with a DEFAULT, or nullable then backfill and add a NOT VALID CHECK"
            }
            Rule::SetNotNull => {
                "add CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then SET NOT NULL (PostgreSQL 12+ skips the scan)"
            }
            Rule::ForeignKeyWithoutNotValid => {
                "add the constraint NOT VALID, then VALIDATE CONSTRAINT in a separate migration"
            }
            Rule::CheckWithoutNotValid => {
                "add the constraint NOT VALID, then VALIDATE CONSTRAINT in a separate migration"
            }
            Rule::UniqueWithoutIndex => {
                "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... UNIQUE USING INDEX"
            }
            Rule::AddPrimaryKey => {
                "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... PRIMARY KEY USING INDEX"
            }
            Rule::VolatileDefault => {
                "add the column without a default, backfill in batches, then SET DEFAULT"
            }
            Rule::EnumValueInTransaction => {
                "add the enum value in its own non-transactional migration"
            }
            Rule::RequireLockTimeout => {
                "SET lock_timeout (e.g. '5s') before the first locking statement and retry on timeout"
            }
            Rule::UnparseableSql => {
                "fix the syntax, or silence with `-- readyctl:ignore unparseable-sql <reason>`"
            }
        }
    }
}

/// One lint finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    /// Repository-relative path.
    pub path: String,
    pub line: u64,
    pub message: String,
    /// The reason given in a `-- readyctl:ignore` comment when the finding is silenced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored: Option<String>,
}

/// One SQL text to lint (a whole file, or the up section of a goose/dbmate file).
pub struct LintInput<'a> {
    pub path: &'a str,
    pub sql: &'a str,
    /// Line in the file of the text's first line (1-based).
    pub first_line: u64,
    /// Whether the framework runs this text inside a transaction.
    pub in_transaction: bool,
}

/// A statement cut from a SQL text: its tokens, first line and comments.
pub struct Chunk {
    pub line: u64,
    pub tokens: Vec<TokenWithSpan>,
    pub comments: Vec<String>,
    /// Byte range of the statement in the text (without the `;`).
    pub range: std::ops::Range<usize>,
}

/// Splits SQL into statements with the PostgreSQL tokenizer (quotes, dollar quotes, comments
/// handled). Err: (line, message) of a tokenizer error.
pub fn split(sql: &str) -> Result<Vec<Chunk>, (u64, String)> {
    // A byte-order mark (editors on Windows write one) is not SQL: blank it out byte for byte,
    // so the ranges still index the original text (and skip the mark).
    let blanked;
    let sql = match sql.strip_prefix('\u{feff}') {
        Some(rest) => {
            blanked = format!("   {rest}");
            blanked.as_str()
        }
        None => sql,
    };
    let dialect = PostgreSqlDialect {};
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .map_err(|e| (e.location.line, e.message))?;
    let line_starts: Vec<usize> =
        std::iter::once(0).chain(sql.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let offset = |line: u64, col: u64| -> usize {
        let Some(&start) = line_starts.get((line as usize).saturating_sub(1)) else {
            return sql.len();
        };
        let rest = &sql[start..];
        rest.char_indices()
            .nth((col as usize).saturating_sub(1))
            .map(|(i, _)| start + i)
            .unwrap_or(sql.len())
    };
    let mut chunks = Vec::new();
    let mut current: Vec<TokenWithSpan> = Vec::new();
    let mut comments = Vec::new();
    let flush =
        |current: &mut Vec<TokenWithSpan>, comments: &mut Vec<String>, chunks: &mut Vec<Chunk>| {
            let significant: Vec<&TokenWithSpan> =
                current.iter().filter(|t| !matches!(t.token, Token::Whitespace(_))).collect();
            if let (Some(first), Some(last)) = (significant.first(), significant.last()) {
                let range = offset(first.span.start.line, first.span.start.column)
                    ..offset(last.span.end.line, last.span.end.column);
                chunks.push(Chunk {
                    line: first.span.start.line,
                    tokens: std::mem::take(current),
                    comments: std::mem::take(comments),
                    range,
                });
            } else {
                // Comments after the last statement belong to nothing.
                current.clear();
            }
        };
    for t in tokens {
        match &t.token {
            Token::SemiColon => flush(&mut current, &mut comments, &mut chunks),
            Token::EOF => {}
            Token::Whitespace(Whitespace::SingleLineComment { comment, .. }) => {
                comments.push(comment.trim().to_string());
                current.push(t);
            }
            Token::Whitespace(Whitespace::MultiLineComment(c)) => {
                comments.push(c.trim().to_string());
                current.push(t);
            }
            _ => current.push(t),
        }
    }
    flush(&mut current, &mut comments, &mut chunks);
    Ok(chunks)
}

/// `readyctl:ignore <rule> <reason>` directives in a statement's comments: (rule id, reason).
fn ignore_directives(comments: &[String]) -> Vec<(String, Option<String>)> {
    comments
        .iter()
        .filter_map(|c| {
            let rest = c.trim().strip_prefix("readyctl:ignore")?;
            let mut parts = rest.trim().splitn(2, char::is_whitespace);
            let rule = parts.next().filter(|r| !r.is_empty())?.to_string();
            let reason = parts.next().map(str::trim).filter(|r| !r.is_empty()).map(String::from);
            Some((rule, reason))
        })
        .collect()
}

fn name_key(n: &ObjectName) -> String {
    n.0.last().map(|p| p.to_string().trim_matches('"').to_lowercase()).unwrap_or_default()
}

fn is_volatile(expr: &Expr) -> bool {
    const VOLATILE: [&str; 7] = [
        "random",
        "gen_random_uuid",
        "uuid_generate_v1",
        "uuid_generate_v4",
        "clock_timestamp",
        "timeofday",
        "nextval",
    ];
    let text = expr.to_string().to_lowercase();
    VOLATILE.iter().any(|f| text.contains(&format!("{f}(")))
}

/// Per-text state while linting statement after statement.
struct State {
    in_transaction: bool,
    lock_timeout_set: bool,
    lock_timeout_reported: bool,
    created_tables: BTreeSet<String>,
}

/// Lints SQL texts; `selected` filters the rules reported. Findings are in input order.
pub fn lint(inputs: &[LintInput<'_>], selected: &BTreeSet<Rule>) -> Vec<Finding> {
    let mut out = Vec::new();
    for input in inputs {
        lint_one(input, selected, &mut out);
    }
    out
}

fn lint_one(input: &LintInput<'_>, selected: &BTreeSet<Rule>, out: &mut Vec<Finding>) {
    let file_line = |l: u64| input.first_line + l.saturating_sub(1);
    let chunks = match split(input.sql) {
        Ok(c) => c,
        Err((line, msg)) => {
            if selected.contains(&Rule::UnparseableSql) {
                out.push(Finding {
                    rule: Rule::UnparseableSql.id(),
                    path: input.path.to_string(),
                    line: file_line(line),
                    message: format!(
                        "cannot tokenize SQL: {msg}; the rest of this file was not checked"
                    ),
                    ignored: None,
                });
            }
            return;
        }
    };
    let mut state = State {
        in_transaction: input.in_transaction,
        lock_timeout_set: false,
        lock_timeout_reported: false,
        created_tables: BTreeSet::new(),
    };
    for chunk in chunks {
        let mut hits: Vec<(Rule, String)> = Vec::new();
        check_statement(&chunk, &mut state, &mut hits);
        let directives = ignore_directives(&chunk.comments);
        for (rule, message) in hits {
            if !selected.contains(&rule) {
                continue;
            }
            let directive = directives.iter().find(|(r, _)| r == rule.id());
            let (ignored, message) = match directive {
                Some((_, Some(reason))) => (Some(reason.clone()), message),
                Some((_, None)) => (
                    None,
                    format!("{message} (the ignore comment has no reason, so it does not apply)"),
                ),
                None => (None, message),
            };
            out.push(Finding {
                rule: rule.id(),
                path: input.path.to_string(),
                line: file_line(chunk.line),
                message,
                ignored,
            });
        }
    }
}

fn keyword_at(tokens: &[&TokenWithSpan], i: usize, kw: Keyword) -> bool {
    matches!(tokens.get(i).map(|t| &t.token), Some(Token::Word(w)) if w.keyword == kw)
}

fn check_statement(chunk: &Chunk, st: &mut State, hits: &mut Vec<(Rule, String)>) {
    let significant: Vec<&TokenWithSpan> =
        chunk.tokens.iter().filter(|t| !matches!(t.token, Token::Whitespace(_))).collect();
    // Forms sqlparser does not parse but that are the *safe* alternatives the rules recommend.
    if keyword_at(&significant, 0, Keyword::DROP)
        && keyword_at(&significant, 1, Keyword::INDEX)
        && keyword_at(&significant, 2, Keyword::CONCURRENTLY)
    {
        if st.in_transaction {
            hits.push((
                Rule::ConcurrentlyInTransaction,
                "DROP INDEX CONCURRENTLY inside a transaction".into(),
            ));
        }
        return;
    }
    let using_index = significant
        .windows(2)
        .any(|w| matches!((&w[0].token, &w[1].token), (Token::Word(a), Token::Word(b)) if a.keyword == Keyword::USING && b.keyword == Keyword::INDEX));
    if keyword_at(&significant, 0, Keyword::ALTER)
        && keyword_at(&significant, 1, Keyword::TABLE)
        && using_index
    {
        // ADD CONSTRAINT ... {UNIQUE|PRIMARY KEY} USING INDEX: the recommended form.
        locking(st, hits, "ALTER TABLE");
        return;
    }
    let dialect = PostgreSqlDialect {};
    let mut tokens = chunk.tokens.clone();
    tokens.push(TokenWithSpan::wrap(Token::EOF));
    let statement = match Parser::new(&dialect).with_tokens_with_locations(tokens).parse_statement()
    {
        Ok(s) => s,
        Err(e) => {
            hits.push((Rule::UnparseableSql, format!("cannot parse statement: {e}")));
            return;
        }
    };
    match &statement {
        Statement::StartTransaction { .. } => st.in_transaction = true,
        Statement::Commit { .. } | Statement::Rollback { .. } => st.in_transaction = false,
        Statement::Set(set) if set.to_string().to_lowercase().contains("lock_timeout") => {
            st.lock_timeout_set = true;
        }
        Statement::CreateTable(ct) => {
            st.created_tables.insert(name_key(&ct.name));
        }
        Statement::CreateIndex(ci) => {
            let table = name_key(&ci.table_name);
            if ci.concurrently {
                if st.in_transaction {
                    hits.push((
                        Rule::ConcurrentlyInTransaction,
                        format!("CREATE INDEX CONCURRENTLY on `{table}` inside a transaction"),
                    ));
                }
            } else if !st.created_tables.contains(&table) {
                hits.push((
                    Rule::IndexWithoutConcurrently,
                    format!("CREATE INDEX on existing table `{table}` without CONCURRENTLY"),
                ));
                locking(st, hits, "CREATE INDEX");
            }
        }
        Statement::Drop { object_type, names, .. } => match object_type {
            ObjectType::Table => {
                let fresh = names.iter().all(|n| st.created_tables.contains(&name_key(n)));
                if !fresh {
                    let list: Vec<String> = names.iter().map(name_key).collect();
                    hits.push((Rule::DropTable, format!("DROP TABLE {}", list.join(", "))));
                    locking(st, hits, "DROP TABLE");
                }
            }
            ObjectType::Index => {
                hits.push((
                    Rule::IndexWithoutConcurrently,
                    "DROP INDEX without CONCURRENTLY".into(),
                ));
                locking(st, hits, "DROP INDEX");
            }
            _ => {}
        },
        Statement::RenameTable(_) => {
            hits.push((Rule::RenameTable, "RENAME TABLE".into()));
            locking(st, hits, "RENAME TABLE");
        }
        Statement::AlterType(at)
            if matches!(at.operation, AlterTypeOperation::AddValue(_)) && st.in_transaction =>
        {
            hits.push((
                Rule::EnumValueInTransaction,
                format!("ALTER TYPE {} ADD VALUE inside a transaction", at.name),
            ));
        }
        Statement::AlterTable { name, operations, .. } => {
            let table = name_key(name);
            if st.created_tables.contains(&table) {
                return;
            }
            locking(st, hits, "ALTER TABLE");
            for op in operations {
                alter_table_op(&table, op, hits);
            }
        }
        _ => {}
    }
}

fn alter_table_op(table: &str, op: &AlterTableOperation, hits: &mut Vec<(Rule, String)>) {
    match op {
        AlterTableOperation::DropColumn { column_names, .. } => {
            let cols: Vec<String> = column_names.iter().map(|c| c.value.clone()).collect();
            hits.push((Rule::DropColumn, format!("DROP COLUMN {} on `{table}`", cols.join(", "))));
        }
        AlterTableOperation::RenameColumn { old_column_name, new_column_name } => hits.push((
            Rule::RenameColumn,
            format!("RENAME COLUMN {old_column_name} TO {new_column_name} on `{table}`"),
        )),
        AlterTableOperation::RenameTable { table_name } => {
            hits.push((Rule::RenameTable, format!("ALTER TABLE `{table}` RENAME {table_name}")))
        }
        AlterTableOperation::AlterColumn { column_name, op } => match op {
            AlterColumnOperation::SetDataType { data_type, .. } => hits.push((
                Rule::ColumnTypeChange,
                format!("ALTER COLUMN {column_name} TYPE {data_type} on `{table}`"),
            )),
            AlterColumnOperation::SetNotNull => hits.push((
                Rule::SetNotNull,
                format!("ALTER COLUMN {column_name} SET NOT NULL on `{table}`"),
            )),
            _ => {}
        },
        AlterTableOperation::AddColumn { column_def, .. } => {
            let opts: Vec<&ColumnOption> = column_def.options.iter().map(|o| &o.option).collect();
            let default = opts.iter().find_map(|o| match o {
                ColumnOption::Default(e) => Some(e),
                _ => None,
            });
            let not_null = opts.iter().any(|o| matches!(o, ColumnOption::NotNull));
            let col = &column_def.name;
            if not_null && default.is_none() {
                hits.push((
                    Rule::NotNullWithoutDefault,
                    format!("ADD COLUMN {col} NOT NULL without DEFAULT on `{table}`"),
                ));
            }
            let serial = matches!(
                column_def.data_type.to_string().to_lowercase().as_str(),
                "serial" | "bigserial" | "smallserial"
            );
            if default.is_some_and(is_volatile) || serial {
                hits.push((
                    Rule::VolatileDefault,
                    format!("ADD COLUMN {col} with a volatile default on `{table}`"),
                ));
            }
            if opts.iter().any(|o| matches!(o, ColumnOption::Unique { is_primary: true, .. })) {
                hits.push((
                    Rule::AddPrimaryKey,
                    format!("ADD COLUMN {col} PRIMARY KEY on `{table}`"),
                ));
            } else if opts.iter().any(|o| matches!(o, ColumnOption::Unique { .. })) {
                hits.push((
                    Rule::UniqueWithoutIndex,
                    format!("ADD COLUMN {col} UNIQUE on `{table}`"),
                ));
            }
        }
        AlterTableOperation::AddConstraint { constraint, not_valid } => match constraint {
            TableConstraint::ForeignKey { .. } if !not_valid => hits.push((
                Rule::ForeignKeyWithoutNotValid,
                format!("ADD FOREIGN KEY on `{table}` without NOT VALID"),
            )),
            TableConstraint::Check { .. } if !not_valid => hits.push((
                Rule::CheckWithoutNotValid,
                format!("ADD CHECK on `{table}` without NOT VALID"),
            )),
            TableConstraint::Unique { .. } => hits.push((
                Rule::UniqueWithoutIndex,
                format!("ADD UNIQUE constraint on `{table}` without USING INDEX"),
            )),
            TableConstraint::PrimaryKey { .. } => hits.push((
                Rule::AddPrimaryKey,
                format!("ADD PRIMARY KEY on existing table `{table}`"),
            )),
            _ => {}
        },
        _ => {}
    }
}

/// Records a `require-lock-timeout` finding for the first locking statement of a text that
/// has not set `lock_timeout`.
fn locking(st: &mut State, hits: &mut Vec<(Rule, String)>, what: &str) {
    if !st.lock_timeout_set && !st.lock_timeout_reported {
        st.lock_timeout_reported = true;
        hits.push((
            Rule::RequireLockTimeout,
            format!("{what} without a preceding SET lock_timeout"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(sql: &str, in_tx: bool) -> Vec<Finding> {
        let all: BTreeSet<Rule> = Rule::ALL.into_iter().collect();
        lint(&[LintInput { path: "m/001.sql", sql, first_line: 1, in_transaction: in_tx }], &all)
    }
    fn rules(f: &[Finding]) -> Vec<&str> {
        f.iter().filter(|f| f.ignored.is_none()).map(|f| f.rule).collect()
    }

    #[test]
    fn rule_ids_round_trip_and_are_kebab_case() {
        for r in Rule::ALL {
            assert_eq!(Rule::from_id(r.id()), Some(r));
            assert!(r.id().chars().all(|c| c.is_ascii_lowercase() || c == '-'));
        }
    }

    #[test]
    fn each_dangerous_operation_is_found_at_its_line() {
        let sql = "SET lock_timeout = '5s';\n\
            CREATE INDEX idx_a ON users (email);\n\
            ALTER TABLE users DROP COLUMN legacy;\n\
            DROP TABLE old_things;\n\
            ALTER TABLE users RENAME COLUMN a TO b;\n\
            ALTER TABLE users RENAME TO people;\n\
            ALTER TABLE users ALTER COLUMN age TYPE bigint;\n\
            ALTER TABLE users ADD COLUMN nick text NOT NULL;\n\
            ALTER TABLE users ALTER COLUMN nick SET NOT NULL;\n\
            ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id);\n\
            ALTER TABLE orders ADD CONSTRAINT ck CHECK (total > 0);\n\
            ALTER TABLE users ADD CONSTRAINT uq UNIQUE (email);\n\
            ALTER TABLE users ADD PRIMARY KEY (id);\n\
            ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();\n\
            ALTER TYPE mood ADD VALUE 'meh';\n\
            DROP INDEX idx_b;\n";
        let f = run(sql, true);
        let got: Vec<(u64, &str)> = f.iter().map(|f| (f.line, f.rule)).collect();
        assert_eq!(
            got,
            vec![
                (2, "index-without-concurrently"),
                (3, "drop-column"),
                (4, "drop-table"),
                (5, "rename-column"),
                (6, "rename-table"),
                (7, "column-type-change"),
                (8, "not-null-without-default"),
                (9, "set-not-null"),
                (10, "foreign-key-without-not-valid"),
                (11, "check-without-not-valid"),
                (12, "unique-without-index"),
                (13, "add-primary-key"),
                (14, "volatile-default"),
                (15, "enum-value-in-transaction"),
                (16, "index-without-concurrently"),
            ]
        );
    }

    #[test]
    fn safe_forms_are_clean() {
        let sql = "SET lock_timeout = '5s';\n\
            CREATE INDEX CONCURRENTLY idx_a ON users (email);\n\
            DROP INDEX CONCURRENTLY idx_b;\n\
            ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n\
            ALTER TABLE orders VALIDATE CONSTRAINT fk;\n\
            ALTER TABLE users ADD CONSTRAINT uq UNIQUE USING INDEX idx_a;\n\
            ALTER TABLE users ADD COLUMN nick text NOT NULL DEFAULT '';\n\
            ALTER TABLE users ADD COLUMN created timestamptz DEFAULT now();\n";
        assert_eq!(rules(&run(sql, false)), Vec::<&str>::new());
    }

    #[test]
    fn concurrently_in_transaction_and_tables_created_here_are_exempt() {
        let f = run("CREATE INDEX CONCURRENTLY i ON t (a);", true);
        assert_eq!(rules(&f), vec!["concurrently-in-transaction"]);
        let f = run("BEGIN; CREATE INDEX CONCURRENTLY i ON t (a); COMMIT;", false);
        assert_eq!(rules(&f), vec!["concurrently-in-transaction"]);
        let f = run(
            "CREATE TABLE t (id int);\nCREATE INDEX i ON t (id);\nALTER TABLE t ADD COLUMN x int NOT NULL;",
            true,
        );
        assert_eq!(rules(&f), Vec::<&str>::new());
    }

    #[test]
    fn lock_timeout_is_required_once_per_file() {
        let f = run("ALTER TABLE a DROP COLUMN x;\nALTER TABLE b DROP COLUMN y;", true);
        assert_eq!(rules(&f), vec!["require-lock-timeout", "drop-column", "drop-column"]);
    }

    #[test]
    fn ignore_comment_silences_one_statement_and_needs_a_reason() {
        let sql = "SET lock_timeout='1s';\n\
            -- readyctl:ignore drop-column column unused since v2\n\
            ALTER TABLE a DROP COLUMN x;\n\
            ALTER TABLE b DROP COLUMN y;\n\
            -- readyctl:ignore drop-column\n\
            ALTER TABLE c DROP COLUMN z;\n";
        let f = run(sql, true);
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].ignored.as_deref(), Some("column unused since v2"));
        assert_eq!(f[0].line, 3);
        assert!(f[1].ignored.is_none());
        assert!(f[2].ignored.is_none() && f[2].message.contains("no reason"));
    }

    #[test]
    fn unparseable_statement_is_a_finding_and_linting_continues() {
        let sql =
            "SET lock_timeout='1s';\nALTER TABLE a FROBNICATE;\nALTER TABLE b DROP COLUMN y;\n";
        let f = run(sql, true);
        assert_eq!(rules(&f), vec!["unparseable-sql", "drop-column"]);
        assert_eq!((f[0].line, f[1].line), (2, 3));
        let f = run("SELECT 'unterminated;\n", true);
        assert_eq!(rules(&f), vec!["unparseable-sql"]);
    }

    #[test]
    fn rule_selection_and_line_offsets() {
        let only: BTreeSet<Rule> = [Rule::DropTable].into_iter().collect();
        let f = lint(
            &[LintInput {
                path: "x.sql",
                sql: "\nDROP TABLE a;\nALTER TABLE b DROP COLUMN c;",
                first_line: 10,
                in_transaction: true,
            }],
            &only,
        );
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].rule, f[0].line), ("drop-table", 11));
    }

    #[test]
    fn split_ranges_survive_multi_line_bodies_and_unicode() {
        let sql = "-- héllo\nCREATE FUNCTION f() RETURNS int AS $$\n  SELECT 1;\n  SELECT 'é';\n$$ LANGUAGE sql;\nINSERT INTO t VALUES ('ü');";
        let chunks = split(sql).unwrap();
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[0].line, 2);
        assert!(sql[chunks[0].range.clone()].starts_with("CREATE FUNCTION"));
        assert!(sql[chunks[0].range.clone()].ends_with("$$ LANGUAGE sql"));
        assert_eq!(&sql[chunks[1].range.clone()], "INSERT INTO t VALUES ('ü')");
        assert_eq!(chunks[1].line, 6);
    }

    #[test]
    fn split_skips_a_byte_order_mark() {
        let sql = "\u{feff}CREATE TABLE t (id int);\r\nSELECT 1;";
        let chunks = split(sql).unwrap();
        assert_eq!(chunks.len(), 2);
        assert_eq!(&sql[chunks[0].range.clone()], "CREATE TABLE t (id int)");
        assert_eq!((chunks[0].line, chunks[1].line), (1, 2));
    }

    #[test]
    fn split_keeps_dollar_quoted_bodies_whole() {
        let sql = "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\nSELECT 2;";
        let chunks = split(sql).unwrap();
        assert_eq!(chunks.len(), 2);
        assert!(sql[chunks[0].range.clone()].ends_with("LANGUAGE sql"));
        assert_eq!(&sql[chunks[1].range.clone()], "SELECT 2");
    }
}
