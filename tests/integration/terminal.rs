//! The terminal table in a real pseudo-terminal (openpty with a window size, as `script` or
//! `stty cols N` would give): at 60, 80 and 120 columns no check id is split and no line is
//! wider than the terminal; COLUMNS wins; ASCII borders outside a UTF-8 locale; progress
//! names every running check and does not repeat the results the table shows.

use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::*;

/// Runs readyctl with stdin, stdout and stderr on a new pseudo-terminal `cols` wide; returns
/// everything written to it and the exit code.
fn in_pty(cwd: &Path, args: &[&str], cols: u16, env: &[(&str, &str)]) -> (String, Option<i32>) {
    let (mut master, mut slave) = (-1, -1);
    let size = libc::winsize { ws_row: 50, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: openpty writes two new descriptors into the ints we own; the winsize is read only.
    let rc = unsafe {
        libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), &size)
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are owned by nothing else.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .current_dir(cwd)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("COLUMNS")
        .env_remove("NO_COLOR")
        .env_remove("LC_ALL")
        .env_remove("LC_CTYPE")
        .env("LANG", "C.UTF-8")
        .env("TERM", "xterm-256color")
        .env("DEMO_PORT", free_port().to_string())
        .stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    drop(cmd); // our copies of the slave side: EOF (EIO) once the child is gone
    let mut file = std::fs::File::from(master);
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if e.raw_os_error() == Some(libc::EIO) => break,
            Err(e) => panic!("reading the pty: {e}"),
        }
    }
    let _ = file.as_raw_fd();
    (String::from_utf8_lossy(&raw).into_owned(), child.wait().unwrap().code())
}

/// The lines as the terminal shows them: escape sequences removed, a carriage return
/// overwriting from the start of the line.
fn screen_lines(raw: &str) -> Vec<String> {
    let csi = regex::Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07").unwrap();
    csi.replace_all(raw, "")
        .split('\n')
        .map(|l| l.trim_end_matches('\r').rsplit('\r').next().unwrap_or("").to_string())
        .collect()
}

fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

fn demo_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo_root().join("fixtures/demo"), dir.path());
    dir
}

const DEMO_IDS: [&str; 11] = [
    "docs.readme",
    "tests.unit",
    "config.port",
    "ops.container-health",
    "api.status",
    "api.health-ready",
    "api.port-open",
    "security.no-private-keys",
    "code.no-todo",
    "release.changelog",
    "release.notes-linked",
];

/// The table's lines: from its top border to its bottom border.
fn table_lines(lines: &[String], top: char, bottom: char) -> Vec<String> {
    let start = lines.iter().position(|l| l.starts_with(top)).expect("a table");
    let end = lines.iter().rposition(|l| l.starts_with(bottom)).expect("its bottom");
    lines[start..=end].to_vec()
}

fn assert_fits(lines: &[String], cols: usize) {
    for l in lines {
        assert!(width(l) <= cols, "line wider than {cols}: {l:?} ({})", width(l));
    }
    let table = table_lines(lines, '┌', '└');
    for id in DEMO_IDS {
        assert!(
            table.iter().any(|l| l.contains(&format!(" {id} "))),
            "`{id}` is split or missing at {cols} columns:\n{}",
            table.join("\n")
        );
    }
    // Results are shown once: no progress echo lines (`FAIL  id  12ms  reason`) on a terminal.
    let echoed = regex::Regex::new(r"^\s*(PASS|FAIL|SKIP|ERROR)  \S+  ").unwrap();
    assert!(!lines.iter().any(|l| echoed.is_match(l)), "results printed twice: {lines:#?}");
}

#[test]
fn the_table_fits_60_80_and_120_columns_without_splitting_an_id() {
    let repo = demo_copy();
    for cols in [60u16, 80, 120] {
        let (raw, code) = in_pty(repo.path(), &["check"], cols, &[]);
        assert_eq!(code, Some(1), "{raw}");
        let lines = screen_lines(&raw);
        assert_fits(&lines, usize::from(cols));
        let table = table_lines(&lines, '┌', '└');
        let header = &table[1];
        if cols >= 100 {
            assert!(header.contains("Area"), "{header}");
        } else {
            // Areas are header rows, not a column.
            assert!(!header.contains("Area"), "{header}");
            assert!(table.iter().any(|l| l.trim_matches(['│', ' ']) == "operability"));
        }
        // A row takes at most 3 lines at 60 columns (status + id, then the wrapped result).
        let at = table.iter().position(|l| l.contains(" api.health-ready ")).unwrap();
        let next = table[at + 1..]
            .iter()
            .position(|l| DEMO_IDS.iter().any(|id| l.contains(&format!(" {id} "))))
            .unwrap();
        assert!(next <= 3, "api.health-ready takes {} lines:\n{}", next + 1, table.join("\n"));
        assert!(lines.iter().any(|l| l.starts_with("NOT READY · score")), "{lines:#?}");
    }
}

#[test]
fn columns_overrides_the_terminal_width() {
    let repo = demo_copy();
    let (raw, _) = in_pty(repo.path(), &["check"], 120, &[("COLUMNS", "70")]);
    let lines = screen_lines(&raw);
    let table = table_lines(&lines, '┌', '└');
    assert!(table.iter().all(|l| width(l) <= 70), "{}", table.join("\n"));
    assert!(!table[1].contains("Area"));
    // Off a terminal too.
    let out = Command::new(bin())
        .arg("check")
        .current_dir(repo.path())
        .env("COLUMNS", "64")
        .env("LANG", "C.UTF-8")
        .env("NO_COLOR", "1")
        .env("DEMO_PORT", free_port().to_string())
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(stdout.lines().all(|l| width(l) <= 64), "{stdout}");
}

#[test]
fn ascii_borders_outside_a_utf8_locale() {
    let repo = demo_copy();
    let (raw, _) = in_pty(repo.path(), &["check"], 80, &[("LANG", "C"), ("LC_CTYPE", "")]);
    let lines = screen_lines(&raw);
    let table = table_lines(&lines, '+', '+');
    assert!(table[0].starts_with("+--------+"), "{}", table.join("\n"));
    let borders = ['┌', '│', '─', '└', '┼'];
    assert!(!table.iter().any(|l| l.contains(borders)), "{}", table.join("\n"));
    // LC_ALL wins over LANG.
    let (raw, _) =
        in_pty(repo.path(), &["check"], 80, &[("LANG", "en_US.UTF-8"), ("LC_ALL", "POSIX")]);
    assert!(!raw.contains('┌'), "LC_ALL=POSIX still drew box characters");
}

#[test]
fn progress_names_every_running_check() {
    let yaml = "version: 1\nchecks:\n  - id: slow.first\n    command: { run: 'sleep 1.5' }\n  - id: slow.second\n    command: { run: 'sleep 1.5' }\n";
    let repo = temp_repo(&[("readiness.yaml", yaml)]);
    let (raw, code) = in_pty(repo.path(), &["check", "-j", "2"], 120, &[]);
    assert_eq!(code, Some(0), "{raw}");
    let plain = regex::Regex::new(r"\x1b\[[0-9;?]*[A-Za-z]").unwrap().replace_all(&raw, "");
    assert!(
        plain.contains("running 2: slow.first, slow.second")
            || plain.contains("running 2: slow.second, slow.first"),
        "the bar names only one of the two running checks: {plain:?}"
    );
    let lines = screen_lines(&raw);
    let echoed = regex::Regex::new(r"^\s*PASS  slow\.").unwrap();
    assert!(!lines.iter().any(|l| echoed.is_match(l)), "results printed twice: {lines:#?}");
}

#[test]
fn every_width_fits_without_breaking_an_id() {
    use readyctl::report::{style::Style, terminal};
    let record = crate::reports::sample_record();
    for cols in [36, 40, 50, 60, 70, 80, 99, 100, 120, 160] {
        for ascii in [false, true] {
            let layout = terminal::Layout { width: cols, ascii };
            let t = terminal::table(&record, Style { color: false }, layout);
            for line in t.lines() {
                assert!(width(line) <= cols, "{cols}: {line:?}\n{t}");
            }
            for r in &record.results {
                assert!(t.contains(&format!(" {} ", r.id)), "{cols}: `{}` split\n{t}", r.id);
            }
            // Every line of a table has the same width (borders line up).
            let first = width(t.lines().next().unwrap());
            assert!(t.lines().all(|l| width(l) == first), "{cols}: ragged\n{t}");
        }
    }
}
