//! What a failed process said, in one line: the decisive line of its own output for the
//! table and report, and whether that output shows an environment problem (a missing module,
//! command or package, an unreachable network or database) rather than a failing claim.
//! The logs it reads were written through the redactor, so the lines are already redacted.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

/// Longest line put in a reason, in characters.
pub const MAX_LINE_CHARS: usize = 160;

/// How much of the end of each log is read.
const TAIL_BYTES: u64 = 256 * 1024;

/// A line that says what went wrong, in the words tools use.
static DECISIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:error|ERROR)\b|\w*Error\b|ERR!|\bfatal\b|FATAL|No module named|not found|[Cc]annot |[Cc]ould not|must be set",
    )
    .expect("constant regex")
});

static ANSI: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]").expect("constant regex"));

/// Why a process could not test its claim here: the environment, not the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvCause {
    MissingModule,
    MissingCommand,
    MissingPackage,
    Network,
    Database,
    MissingConfig,
}

impl EnvCause {
    pub fn describe(self) -> &'static str {
        match self {
            EnvCause::MissingModule => "a Python module is not installed",
            EnvCause::MissingCommand => "a command is not installed",
            EnvCause::MissingPackage => "a package is not installed",
            EnvCause::Network => "the network (registry, proxy or DNS) could not be reached",
            EnvCause::Database => "the database could not be reached",
            EnvCause::MissingConfig => "the build needs configuration this environment lacks",
        }
    }
}

/// Environment signatures, most specific first.
static SIGNATURES: LazyLock<Vec<(Regex, EnvCause)>> = LazyLock::new(|| {
    let db = r"(?i:postgres|psql|mysql|mariadb|mongo|redis|database|sqlx|psycopg|sqlalchemy|prisma|:5432|:3306|:27017|:6379)";
    [
        (r"No module named|ModuleNotFoundError", EnvCause::MissingModule),
        (
            r"(?:^|\s|/)(?:ba|da|z)?sh: (?:line )?(?:\d+: )?[^:\s]+: (?:command )?not found|: command not found\b|^[\w.+-]+: not found$",
            EnvCause::MissingCommand,
        ),
        (
            r"npx canceled due to missing packages|Cannot find module '[^./]|Cannot find package '|(?i:did you run .?prisma generate)",
            EnvCause::MissingPackage,
        ),
        // sqlx's query macros: "error: `DATABASE_URL` must be set to use query macros".
        (r"`?DATABASE_URL`? must be set", EnvCause::MissingConfig),
        (
            &format!(
                r"(?:[Cc]onnection refused|ECONNREFUSED|could not connect to server|Can't connect to .*MySQL|MongoServerSelectionError|MongoNetworkError).*{db}|{db}.*(?:[Cc]onnection refused|ECONNREFUSED|could not connect to server)"
            ),
            EnvCause::Database,
        ),
        (
            r#"Could not resolve host|failed to lookup address information|Temporary failure in name resolution|Name or service not known|getaddrinfo|ENOTFOUND|EAI_AGAIN|no such host|[Nn]etwork is unreachable|proxyconnect|dial tcp .*(?:i/o timeout|connection refused)|Failed to establish a new connection|tunneling socket could not be established|go: .*: Get "https?://[^"]+": "#,
            EnvCause::Network,
        ),
    ]
    .into_iter()
    .map(|(re, cause)| (Regex::new(re).expect("constant regex"), cause))
    .collect()
});

/// The end of a log as cleaned lines (ANSI colours removed, trimmed, non-empty).
fn tail_lines(path: &Path) -> Vec<String> {
    // Without waiting, and only a regular file: a FIFO put at a log's path never blocks.
    let Ok(mut f) = crate::walk::open_regular(path) else { return Vec::new() };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    if f.seek(SeekFrom::Start(len.saturating_sub(TAIL_BYTES))).is_err() {
        return Vec::new();
    }
    let mut buf = Vec::new();
    if f.read_to_end(&mut buf).is_err() {
        return Vec::new();
    }
    lines_of(&String::from_utf8_lossy(&buf))
}

fn lines_of(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| ANSI.replace_all(l, "").trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// Cuts a line to [`MAX_LINE_CHARS`], marking the cut.
pub fn shorten(line: &str) -> String {
    if line.chars().count() > MAX_LINE_CHARS {
        format!("{}…", line.chars().take(MAX_LINE_CHARS - 1).collect::<String>())
    } else {
        line.to_string()
    }
}

/// What a failed process said, from its stderr then stdout logs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Diagnosis {
    /// The decisive line, shortened: an environment signature's line when there is one, else
    /// the last line that reads like an error, else the last non-empty line.
    pub line: Option<String>,
    /// Set when the output shows an environment problem.
    pub env: Option<EnvCause>,
}

impl Diagnosis {
    /// Reads the logs (stderr first). Missing logs are empty.
    pub fn of_logs(stderr: &Path, stdout: &Path) -> Diagnosis {
        Diagnosis::of_lines(&[tail_lines(stderr), tail_lines(stdout)])
    }

    /// Diagnoses text (a test report's message, say).
    pub fn of_text(text: &str) -> Diagnosis {
        Diagnosis::of_lines(&[lines_of(text)])
    }

    fn of_lines(streams: &[Vec<String>]) -> Diagnosis {
        for lines in streams {
            for line in lines.iter().rev() {
                if let Some((_, cause)) = SIGNATURES.iter().find(|(re, _)| re.is_match(line)) {
                    return Diagnosis { line: Some(shorten(line)), env: Some(*cause) };
                }
            }
        }
        let matching =
            streams.iter().find_map(|lines| lines.iter().rev().find(|l| DECISIVE.is_match(l)));
        let last = || streams.iter().find_map(|lines| lines.last());
        Diagnosis { line: matching.or_else(last).map(|l| shorten(l)), env: None }
    }

    /// ` — <line>` for appending to a reason, or nothing.
    pub fn suffix(&self) -> String {
        self.line.as_ref().map(|l| format!(" — {l}")).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A FIFO at a log's path (a check's process can put one there) is no log: read without
    /// waiting, nothing comes of it (a plain open would block for ever).
    #[test]
    fn a_fifo_at_a_log_path_is_not_waited_on() {
        let tmp = tempfile::tempdir().unwrap();
        let fifo = tmp.path().join("stderr.log");
        crate::run::rundir::make_fifo(&fifo);
        assert!(tail_lines(&fifo).is_empty());
    }

    fn env(text: &str) -> Option<EnvCause> {
        Diagnosis::of_text(text).env
    }

    #[test]
    fn environment_signatures_from_real_tools() {
        use EnvCause::*;
        let cases = [
            ("/usr/bin/python3: No module named pytest", MissingModule),
            ("ModuleNotFoundError: No module named 'app'", MissingModule),
            ("sh: 1: uv: not found", MissingCommand),
            ("/bin/sh: line 1: go: command not found", MissingCommand),
            ("go: not found", MissingCommand),
            (
                "npm error npx canceled due to missing packages and no YES option: [\"jest@30.5.2\"]",
                MissingPackage,
            ),
            ("Error: Cannot find module 'express'", MissingPackage),
            ("error: DATABASE_URL must be set to use query macros", MissingConfig),
            ("error: `DATABASE_URL` must be set to use query macros", MissingConfig),
            (
                "go: github.com/gin-gonic/gin@v1.9.1: Get \"https://proxy.golang.org/github.com/gin-gonic/gin/@v/v1.9.1.mod\": dial tcp: lookup proxy.golang.org: no such host",
                Network,
            ),
            ("error: failed to lookup address information: Name or service not known", Network),
            (
                "psycopg2.OperationalError: connection to server at \"localhost\" (127.0.0.1), port 5432 failed: Connection refused",
                Database,
            ),
            ("MongoServerSelectionError: connect ECONNREFUSED 127.0.0.1:27017", Database),
        ];
        for (line, cause) in cases {
            assert_eq!(env(line), Some(cause), "{line}");
        }
        // Failing claims are not environment problems.
        for line in [
            "AssertionError: expected 200, got 404",
            "FAILED tests/test_api.py::test_user_not_found - assert 1 == 2",
            "Error: Cannot find module './routes'",
            "curl: (7) Failed to connect to localhost port 8080: Connection refused",
        ] {
            assert_eq!(env(line), None, "{line}");
        }
    }

    #[test]
    fn the_decisive_line_is_the_last_error_like_line_else_the_last_line() {
        let d = Diagnosis::of_text(
            "running 3 tests\nerror[E0425]: cannot find value `x`\nwarning: build failed, waiting for other jobs to finish...\n",
        );
        assert_eq!(d.line.as_deref(), Some("error[E0425]: cannot find value `x`"));
        assert_eq!(d.env, None);
        let d = Diagnosis::of_text("ok 1\n\n  all done  \n\n");
        assert_eq!(d.line.as_deref(), Some("all done"));
        let long = format!("Error: {}", "x".repeat(400));
        let d = Diagnosis::of_text(&format!("\x1b[31m{long}\x1b[0m"));
        let line = d.line.unwrap();
        assert_eq!(line.chars().count(), MAX_LINE_CHARS);
        assert!(line.starts_with("Error: xxx") && line.ends_with('…'), "{line}");
    }

    #[test]
    fn stderr_is_read_before_stdout() {
        let dir = tempfile::tempdir().unwrap();
        let (err, out) = (dir.path().join("e"), dir.path().join("o"));
        std::fs::write(&err, "fatal: not a git repository\n").unwrap();
        std::fs::write(&out, "error: something on stdout\n").unwrap();
        let d = Diagnosis::of_logs(&err, &out);
        assert_eq!(d.line.as_deref(), Some("fatal: not a git repository"));
        let d = Diagnosis::of_logs(&dir.path().join("none"), &out);
        assert_eq!(d.line.as_deref(), Some("error: something on stdout"));
        assert_eq!(Diagnosis::of_logs(&dir.path().join("none"), &dir.path().join("no")).line, None);
    }
}
