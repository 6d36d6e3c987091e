//! Database access shared by the probes that query a database (`sql`, and `migrations` for its
//! verification queries) and by `migrations` (scratch databases, schema dumps, framework
//! checks): one query against PostgreSQL or a SQLite file, in a read-only transaction unless
//! asked otherwise, its result as text cells; connecting to PostgreSQL, its errors as text, a
//! URL's password redacted from any text, a URL with another database name. `db` depends on
//! no other readyctl module but `text`: `migrations` and the probes use it, never the reverse.

use std::time::Duration;

use serde::Serialize;

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

/// Replaces the password of a `scheme://user:password@host` URL (and any other occurrence of
/// it in `text`) with `***`.
pub fn redact_url_password(url: &str, text: &str) -> String {
    let mut out = text.to_string();
    if let Some((_, rest)) = url.split_once("://")
        && let Some((userinfo, _)) = rest.split_once('@')
        && let Some((_, password)) = userinfo.split_once(':')
        && !password.is_empty()
    {
        out = out.replace(password, "***");
        // Percent-encoded passwords may also appear decoded.
        if let Ok(decoded) = percent_decode(password)
            && !decoded.is_empty()
        {
            out = out.replace(&decoded, "***");
        }
    }
    out
}

fn percent_decode(s: &str) -> Result<String, ()> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).map_err(|_| ())?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| ())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| ())
}

/// Connects to PostgreSQL (no TLS: the scratch server is local or reached through the URL's
/// own network). The error text has the password redacted.
pub fn pg_connect(url: &str, timeout: Duration) -> Result<postgres::Client, String> {
    let mut config: postgres::Config = url
        .parse()
        .map_err(|e| redact_url_password(url, &format!("invalid PostgreSQL URL: {e}")))?;
    config.connect_timeout(timeout.max(Duration::from_secs(1)));
    config.connect(postgres::NoTls).map_err(|e| {
        redact_url_password(
            url,
            &format!("cannot connect to {}: {e}", redact_url_password(url, url)),
        )
    })
}

/// The URL with its path (database name) replaced.
pub fn with_dbname(url: &str, dbname: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[scheme_end..].find('/').map(|i| scheme_end + i).unwrap_or(base.len());
    let mut out = format!("{}/{dbname}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// The server's message, with detail and position when present.
pub fn pg_error(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!("{}: {}", db.severity(), db.message());
            if let Some(d) = db.detail() {
                s.push_str(&format!(" ({d})"));
            }
            s
        }
        None => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_is_read_only_by_default() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let db = dir.join("t.db");
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

    #[test]
    fn redaction_and_dbname() {
        let url = "postgres://app:s3cr%40t@db:5432/prod?sslmode=disable";
        assert_eq!(
            redact_url_password(url, url),
            "postgres://app:***@db:5432/prod?sslmode=disable"
        );
        assert_eq!(redact_url_password(url, "password s3cr@t wrong"), "password *** wrong");
        assert_eq!(with_dbname(url, "x"), "postgres://app:s3cr%40t@db:5432/x?sslmode=disable");
        assert_eq!(with_dbname("postgres://h", "x"), "postgres://h/x");
    }
}
