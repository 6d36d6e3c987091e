//! Database access shared by the probes that query a database (`sql`, and `migrations` for its
//! verification queries): one query against PostgreSQL or a SQLite file, in a read-only
//! transaction unless asked otherwise, its result as text cells. Connections and error
//! redaction come from `migrations::apply`.

use std::time::Duration;

use serde::Serialize;

use crate::migrations::apply::{pg_connect, pg_error, redact_url_password};

/// A result: column names and rows of cells as text (`None` = NULL).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryResult {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

/// Runs the query against PostgreSQL. Errors are redacted.
pub fn query_postgres(
    url: &str,
    query: &str,
    read_only: bool,
    timeout: Duration,
) -> Result<QueryResult, String> {
    let mut client = pg_connect(url, timeout)?;
    let redact = |e: String| redact_url_password(url, &e);
    let begin = if read_only { "BEGIN READ ONLY" } else { "BEGIN" };
    client.batch_execute(begin).map_err(|e| redact(pg_error(&e)))?;
    let result =
        client.simple_query(query).map_err(|e| redact(format!("query failed: {}", pg_error(&e))));
    let end = if read_only { "ROLLBACK" } else { "COMMIT" };
    let _ = client.batch_execute(end);
    let mut out = QueryResult { columns: Vec::new(), rows: Vec::new() };
    for msg in result? {
        if let postgres::SimpleQueryMessage::Row(r) = msg {
            if out.columns.is_empty() {
                out.columns = r.columns().iter().map(|c| c.name().to_string()).collect();
            }
            out.rows.push((0..r.len()).map(|i| r.get(i).map(String::from)).collect());
        }
    }
    Ok(out)
}

/// Runs the query against a SQLite file (opened read-only unless `read_only` is false).
pub fn query_sqlite(
    path: &std::path::Path,
    query: &str,
    read_only: bool,
) -> Result<QueryResult, String> {
    use rusqlite::OpenFlags;
    use rusqlite::types::ValueRef;
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
    };
    let mut conn =
        rusqlite::Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(|e| format!("cannot open SQLite database {}: {e}", path.display()))?;
    let tx = conn.transaction().map_err(|e| e.to_string())?;
    let mut out = QueryResult { columns: Vec::new(), rows: Vec::new() };
    {
        let mut stmt = tx.prepare(query).map_err(|e| format!("query failed: {e}"))?;
        out.columns = stmt.column_names().iter().map(|c| c.to_string()).collect();
        let n = out.columns.len();
        let mut rows = stmt.query([]).map_err(|e| format!("query failed: {e}"))?;
        while let Some(row) = rows.next().map_err(|e| format!("query failed: {e}"))? {
            let mut cells = Vec::with_capacity(n);
            for i in 0..n {
                let v = row.get_ref(i).map_err(|e| e.to_string())?;
                cells.push(match v {
                    ValueRef::Null => None,
                    ValueRef::Integer(i) => Some(i.to_string()),
                    ValueRef::Real(f) => Some(f.to_string()),
                    ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Some(crate::text::hex(b)),
                });
            }
            out.rows.push(cells);
        }
    }
    if read_only { tx.rollback() } else { tx.commit() }.map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_is_read_only_by_default() {
        let dir = std::env::temp_dir().join(format!("readyctl-sql-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("t.db");
        let _ = std::fs::remove_file(&db);
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute_batch(
            "CREATE TABLE t (a INTEGER, b TEXT); INSERT INTO t VALUES (1, 'x'), (2, NULL);",
        )
        .unwrap();
        drop(c);
        let r = query_sqlite(&db, "SELECT a, b FROM t ORDER BY a", true).unwrap();
        assert_eq!(r.columns, ["a", "b"]);
        assert_eq!(
            r.rows,
            vec![vec![Some("1".into()), Some("x".into())], vec![Some("2".into()), None]]
        );
        let e = query_sqlite(&db, "DELETE FROM t", true).unwrap_err();
        assert!(e.contains("readonly"), "{e}");
        let e = query_sqlite(&dir.join("missing.db"), "SELECT 1", true).unwrap_err();
        assert!(e.contains("cannot open SQLite database"), "{e}");
    }
}
