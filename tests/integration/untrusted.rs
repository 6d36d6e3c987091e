//! Untrusted checklist and repository content: ids that would name directories outside the
//! evidence tree, file names with control characters, YAML nested without end.

use crate::support::*;

#[test]
fn ids_made_of_dots_or_starting_with_a_dot_are_located_errors_and_nothing_runs() {
    for (bad, kind) in [("..", "check id"), (".", "check id"), (".hidden", "check id")] {
        let yaml = format!(
            "version: 1\nchecks:\n  - id: ok\n    command: {{ run: 'true' }}\n  - id: \"{bad}\"\n    command: {{ run: 'echo escaped' }}\n"
        );
        let repo = temp_repo(&[("readiness.yaml", &yaml)]);
        let o = readyctl(repo.path(), &["check", "--out", "run"]);
        let stderr = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "`{bad}`: {stderr}");
        assert!(stderr.contains(&format!("invalid {kind} `{bad}`")), "{stderr}");
        assert!(stderr.contains("readiness.yaml:5:"), "not located: {stderr}");
        assert!(!repo.path().join("run").exists(), "something ran");
    }
    let yaml = "version: 1\nservices:\n  \"..\":\n    run: 'sleep 1'\n    ready: { log: x }\nchecks:\n  - id: a\n    needs: [\"..\"]\n    command: { run: 'true' }\n";
    let repo = temp_repo(&[("readiness.yaml", yaml)]);
    let o = readyctl(repo.path(), &["check", "--out", "run"]);
    let stderr = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("invalid service name `..`"), "{stderr}");
    assert!(stderr.contains("readiness.yaml:3:"), "not located: {stderr}");
    // Dots inside an id stay fine.
    let repo = temp_repo(&[(
        "readiness.yaml",
        "version: 1\nchecks:\n  - id: tests.unit..x\n    command: { run: 'true' }\n",
    )]);
    assert_eq!(readyctl(repo.path(), &["check"]).status.code(), Some(0));
}

/// `evidence/services/` holds the services' logs: a check of that id would take them for its
/// own evidence (and remove the log of a service still running), so the id is refused.
#[test]
fn the_check_id_services_is_reserved_for_the_services_logs() {
    let yaml = "version: 1\nservices:\n  web:\n    run: 'echo started; sleep 30'\n    ready: { log: started }\nchecks:\n  - id: services\n    needs: [web]\n    command: { run: 'echo mine' }\n";
    let repo = temp_repo(&[("readiness.yaml", yaml)]);
    let o = readyctl(repo.path(), &["check", "--out", "run"]);
    let stderr = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("check id `services` is reserved"), "{stderr}");
    assert!(stderr.contains("readiness.yaml:7:"), "not located: {stderr}");
    assert!(!repo.path().join("run").exists(), "something ran");
}

#[test]
fn control_characters_in_file_names_are_escaped_in_report_and_terminal() {
    let evil = "evil\x1b[31mred\u{202e}txt.py";
    let repo = temp_repo(&[
        (
            "readiness.yaml",
            "version: 1\nchecks:\n  - id: no-todo\n    search: { pattern: FORBIDDEN, expect: none }\n  - id: named\n    file: { path: \"missing\\e\\u202e.txt\" }\n",
        ),
        (evil, "FORBIDDEN\n"),
    ]);
    let o = readyctl(repo.path(), &["check", "--out", "run"]);
    // Both checks fail; a check without `severity` blocks (high), so the run is NOT READY.
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let report = std::fs::read_to_string(repo.path().join("run/report.md")).unwrap();
    let terminal = format!("{}{}", text(&o.stdout), text(&o.stderr));
    for (what, shown) in [("report.md", &report), ("terminal", &terminal)] {
        assert!(!shown.contains('\x1b'), "{what} has a raw ESC:\n{shown}");
        assert!(!shown.contains('\u{202e}'), "{what} has a raw RLO:\n{shown}");
        assert!(shown.contains("\\u{202e}"), "{what} does not show the RLO:\n{shown}");
    }
    // The file the search found, in the report's locations, and the one `file` missed.
    assert!(report.contains("evil\\x1b[31mred\\u{202e}txt.py"), "{report}");
    // In a code span in a table cell: the backslash is literal there, so `\x1b` renders as is.
    assert!(report.contains("`missing\\x1b\\u{202e}.txt`"), "{report}");
    assert!(terminal.contains("\\x1b[31m"), "{terminal}");
}

#[test]
fn yaml_nested_past_64_levels_is_a_located_error_without_reading_further() {
    // 200k flow levels took 86 s to reject before; 100 block levels were accepted.
    let flow = format!("version: 1\nchecks: {}{}\n", "[".repeat(200_000), "]".repeat(200_000));
    let block: String = (0..100).map(|i| format!("{}k{i}:\n", "  ".repeat(i + 1))).collect();
    let block = format!("version: 1\nvars:\n{block}");
    for (name, yaml) in [("flow", flow), ("block", block)] {
        let repo = temp_repo(&[("readiness.yaml", &yaml)]);
        let o = readyctl(repo.path(), &["list"]);
        let stderr = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains("YAML nested deeper than 64 levels"), "{name}: {stderr}");
        assert!(stderr.contains("--> readiness.yaml:"), "{name}: not located: {stderr}");
        // The quoted source line is cut, not 400 KB.
        assert!(stderr.len() < 2000, "{name}: {} bytes of diagnostics", stderr.len());
    }
}
