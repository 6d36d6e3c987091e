//! report.md as a reader sees it (issue 19): verdict, blocking problems with their fix, the
//! next level and areas at the top; passing checks collapsed; code spans and loopback URLs
//! rendered right by cmark-gfm; one checklist digest; evidence links that resolve in the run
//! directory and in a pack, and paths (not broken links) in the GitHub step summary.

use std::process::{Command, Stdio};

use crate::support::*;

fn cmark_gfm() -> bool {
    let found = Command::new("sh")
        .args(["-c", "command -v cmark-gfm"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var_os("CI").is_none(), "peer missing under CI: cmark-gfm");
        eprintln!("SKIP: `cmark-gfm` is not installed");
    }
    found
}

/// GitHub's renderer: cmark-gfm with its extensions (tagfilter as GitHub applies it).
fn to_html(md: &str) -> String {
    let mut child = Command::new("cmark-gfm")
        .args([
            "--unsafe",
            "-e",
            "table",
            "-e",
            "autolink",
            "-e",
            "tagfilter",
            "-e",
            "strikethrough",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(md.as_bytes()).unwrap();
    text(&child.wait_with_output().unwrap().stdout)
}

/// The demo checked into a fresh directory: its run directory and report.md.
fn demo_run() -> (tempfile::TempDir, std::path::PathBuf, String) {
    let repo = tempfile::tempdir().unwrap();
    copy_tree(&repo_root().join("fixtures/demo"), repo.path());
    let o = readyctl(repo.path(), &["check"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let run = repo.path().join(".readyctl/latest").canonicalize().unwrap();
    let md = std::fs::read_to_string(run.join("report.md")).unwrap();
    (repo, run, md)
}

#[test]
fn the_top_of_the_report_answers_what_blocks_and_how_to_fix_it() {
    let md = readyctl::report::markdown::render(&crate::reports::sample_record(), None);
    let at = |needle: &str| md.find(needle).unwrap_or_else(|| panic!("no `{needle}` in:\n{md}"));
    // Verdict first, then blocking problems, next level, areas; details and results later.
    assert!(md.lines().nth(2).unwrap().starts_with("**NOT READY** · score 41.9 / 100"));
    assert!(at("## Blocking problems") < at("## Next level"));
    assert!(at("## Next level") < at("## By area"));
    assert!(at("## By area") < at("## Failures and errors"));
    assert!(at("## Failures and errors") < at("## All results"));
    // Blocking problems sorted by severity (critical before high), each with its one-line fix.
    let blocking = &md[at("## Blocking problems")..at("## Next level")];
    let critical = blocking.find("`security.no-keys`").unwrap();
    let high = blocking.find("`build.lint`").unwrap();
    assert!(critical < high, "{blocking}");
    assert!(blocking.contains("| Remove the key and rotate it. |"), "{blocking}");
    // The low-severity failure is not among the blocking ones.
    assert!(!blocking.contains("docs.changelog"), "{blocking}");
    assert!(md.contains("To reach **bronze**: fix `security.no-keys`."), "{md}");
    assert!(md.contains("| security | **fail** |"), "{md}");
}

#[test]
fn the_demo_report_renders_as_github_would_show_it() {
    if !cmark_gfm() {
        return;
    }
    let (_repo, _run, md) = demo_run();
    let html = to_html(&md);
    // Code spans are code, not backslashes and backticks.
    assert!(html.contains("<code>CHANGELOG.md</code> does not exist"), "{html}");
    assert!(!html.contains("\\`") && !html.contains("`CHANGELOG.md`"), "{html}");
    // Loopback URLs are not links.
    assert!(!html.contains("href=\"http://127.0.0.1"), "{html}");
    assert!(html.contains("<code>http://127.0.0.1:"), "{html}");
    // Ids are whole code spans.
    for id in ["api.health-ready", "code.no-todo", "release.changelog", "security.no-private-keys"]
    {
        assert!(html.contains(&format!("<code>{id}</code>")), "{id}");
    }
    // Passing checks are collapsed; what failed is in the open.
    let details = html.split("<details><summary>").find(|d| d.contains("checks passed")).unwrap();
    let details = &details[..details.find("</details>").unwrap()];
    assert!(details.contains("<code>docs.readme</code>"));
    assert!(!details.contains("<code>api.health-ready</code>"));
    // Every table is a table; details blocks are balanced.
    assert_eq!(
        html.matches("<table>").count(),
        md.lines().filter(|l| l.starts_with("|---")).count()
    );
    assert_eq!(html.matches("<details>").count(), html.matches("</details>").count());
    // One checklist digest.
    let digests = regex::Regex::new(r"sha256 `[0-9a-f]{12}`").unwrap();
    let checklist_digests: Vec<&str> = md
        .lines()
        .filter(|l| l.to_lowercase().contains("checklist"))
        .flat_map(|l| digests.find_iter(l).map(|m| m.as_str()))
        .collect();
    assert_eq!(checklist_digests.len(), 1, "{checklist_digests:?}");
}

/// `[text](target)` links to files, relative to report.md.
fn relative_links(md: &str) -> Vec<String> {
    let link = regex::Regex::new(r"\]\(([^)#\s]+)\)").unwrap();
    link.captures_iter(md).map(|c| c[1].to_string()).filter(|t| !t.contains("://")).collect()
}

#[test]
fn evidence_links_resolve_in_the_run_directory_and_in_a_pack() {
    let (repo, run, md) = demo_run();
    let links = relative_links(&md);
    assert!(links.len() >= 2, "{md}");
    for l in &links {
        assert!(run.join(l.replace("%20", " ")).is_file(), "broken link in the run: {l}");
    }
    let pack = repo.path().join("demo.tar.gz");
    let o = readyctl(repo.path(), &["pack", run.to_str().unwrap(), "-o", pack.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = tempfile::tempdir().unwrap();
    let x = Command::new("tar").arg("xzf").arg(&pack).arg("-C").arg(out.path()).output().unwrap();
    assert!(x.status.success());
    let report = walkdir::WalkDir::new(out.path())
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| e.file_name() == "report.md")
        .expect("report.md in the pack");
    let base = report.path().parent().unwrap();
    for l in relative_links(&std::fs::read_to_string(report.path()).unwrap()) {
        assert!(base.join(l.replace("%20", " ")).is_file(), "broken link in the pack: {l}");
    }
}

#[test]
fn the_step_summary_names_paths_and_the_artifact_instead_of_broken_links() {
    let repo = tempfile::tempdir().unwrap();
    copy_tree(&repo_root().join("fixtures/demo"), repo.path());
    let summary = repo.path().join("summary.md");
    let o = Command::new(bin())
        .arg("check")
        .current_dir(repo.path())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_REPOSITORY", "acme/pay")
        .env("GITHUB_RUN_ID", "42")
        .env("NO_COLOR", "1")
        .env("DEMO_PORT", free_port().to_string())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let s = std::fs::read_to_string(&summary).unwrap();
    assert!(relative_links(&s).is_empty(), "relative links break in a step summary: {s}");
    assert!(s.contains("`evidence/api.health-ready/exchange.json`"), "{s}");
    assert!(s.contains("(https://github.com/acme/pay/actions/runs/42)"), "{s}");
    assert!(s.starts_with("# Readiness report: demo-payments\n"), "{s}");
    // The run directory's report keeps its working relative links.
    let run = repo.path().join(".readyctl/latest/report.md");
    assert!(!relative_links(&std::fs::read_to_string(run).unwrap()).is_empty());
}
