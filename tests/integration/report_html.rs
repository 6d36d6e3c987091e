//! report.html (issue 19): in every run (so a manifest subject, verified, and packed), one
//! self-contained file (no network, no script), every text escaped, charts as inline SVG, the
//! trend against `--baseline`; rendered by headless Chromium with no console error and no
//! request refused.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

fn chromium() -> Option<PathBuf> {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        let o = Command::new("sh").args(["-c", &format!("command -v {name}")]).output().unwrap();
        if o.status.success() {
            return Some(PathBuf::from(text(&o.stdout).trim()));
        }
    }
    assert!(std::env::var_os("CI").is_none(), "peer missing under CI: chromium");
    eprintln!("SKIP: chromium is not installed");
    None
}

/// Headless Chromium on `page` with the given extra flags: (stdout, stderr).
fn headless(chrome: &Path, page: &Path, flags: &[&str]) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let o = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(flags)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(o.status.success(), "chromium failed: {}", text(&o.stderr));
    (text(&o.stdout), text(&o.stderr))
}

fn demo_run(extra: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let repo = tempfile::tempdir().unwrap();
    copy_tree(&repo_root().join("fixtures/demo"), repo.path());
    let mut args = vec!["check"];
    args.extend_from_slice(extra);
    let o = readyctl(repo.path(), &args);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let run = repo.path().join(".readyctl/latest").canonicalize().unwrap();
    (repo, run)
}

/// Everything in the page that could make a browser fetch something: a URL in an attribute
/// (URLs in text are text), or an element or CSS construct that loads one.
fn external_references(html: &str) -> Vec<String> {
    let in_attribute =
        regex::Regex::new(r#"(?i)[a-z:-]+\s*=\s*["']?\s*(https?:)?//[^"'\s>]*"#).unwrap();
    let mut found: Vec<String> = in_attribute
        .find_iter(html)
        .map(|m| m.as_str().to_string())
        // The SVG namespace is a name, not a request.
        .filter(|a| a != "xmlns=\"http://www.w3.org/2000/svg")
        .collect();
    let fetching = regex::Regex::new(
        r#"(?i)<script|<link|<iframe|<img|<object|<embed|<base|\ssrc\s*=|\shref\s*=|url\(|@import"#,
    )
    .unwrap();
    found.extend(fetching.find_iter(html).map(|m| m.as_str().to_string()));
    found
}

#[test]
fn every_run_has_a_verified_packed_report_html() {
    let (repo, run) = demo_run(&[]);
    let page = run.join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    // A manifest subject: verify covers it, and a change to it is caught.
    let manifest = std::fs::read_to_string(run.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"report.html\""), "not a subject");
    let ok = readyctl(repo.path(), &["verify", run.to_str().unwrap(), "--allow-unsigned"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stdout));
    // In the pack.
    let pack = repo.path().join("p.tar.gz");
    let o = readyctl(repo.path(), &["pack", run.to_str().unwrap(), "-o", pack.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let list = Command::new("tar").arg("tzf").arg(&pack).output().unwrap();
    assert!(text(&list.stdout).lines().any(|l| l.ends_with("/report.html")));
    std::fs::write(&page, html.replace("NOT READY", "READY")).unwrap();
    let bad = readyctl(repo.path(), &["verify", run.to_str().unwrap(), "--allow-unsigned"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad.stdout).contains("report.html"), "{}", text(&bad.stdout));
}

#[test]
fn the_page_is_self_contained_and_escapes_every_text() {
    let html = readyctl::report::html::render(&crate::reports::sample_record(), None);
    assert_eq!(external_references(&html), Vec::<String>::new());
    // The hostile reason is text.
    assert!(!html.contains("<script>alert"), "unescaped reason");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("Content-Security-Policy"));
    // Charts: bars by area, the ladder; blocking problems with their fix, critical first.
    assert!(
        html.contains("aria-label=\"Status by area\"")
            && html.contains("aria-label=\"Level ladder\"")
    );
    let blocking =
        &html[html.find("Blocking problems").unwrap()..html.find("Status by area").unwrap()];
    assert!(blocking.find("security.no-keys").unwrap() < blocking.find("build.lint").unwrap());
    assert!(blocking.contains("Remove the key and rotate it."));
    // No baseline, no trend.
    assert!(!html.contains("id=\"trend\""));
}

#[test]
fn report_html_with_a_baseline_shows_the_trend() {
    let (repo, first) = demo_run(&[]);
    // Fix the changelog: the second run is better.
    std::fs::write(repo.path().join("CHANGELOG.md"), "# Changelog\n\n## 1.0.0\n- first\n").unwrap();
    let out = repo.path().join("out/report.html");
    let o = readyctl(
        repo.path(),
        &[
            "check",
            "--baseline",
            first.to_str().unwrap(),
            "--report",
            &format!("html={}", out.display()),
        ],
    );
    assert!(o.status.code().is_some(), "{}", text(&o.stderr));
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("id=\"trend\""), "no trend section");
    assert!(html.contains("aria-label=\"Trend against the baseline\""));
    assert!(html.contains("release.changelog"), "the fixed check is listed");
    // The run's own report.html has it too; `report -f html` re-renders without it.
    let latest = repo.path().join(".readyctl/latest");
    assert!(std::fs::read_to_string(latest.join("report.html")).unwrap().contains("id=\"trend\""));
    let again = readyctl(repo.path(), &["report", latest.to_str().unwrap(), "-f", "html"]);
    assert!(again.status.success() && text(&again.stdout).contains("<svg"));
}

#[test]
fn chromium_renders_the_demo_report_without_errors_or_requests() {
    let Some(chrome) = chromium() else { return };
    let (_repo, run) = demo_run(&[]);
    let page = run.join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(external_references(&html), Vec::<String>::new());
    let (dom, log) = headless(&chrome, &page, &["--dump-dom"]);
    assert!(dom.contains("NOT READY") && dom.contains("api.health-ready"), "{dom:.500}");
    assert!(dom.contains("<svg") && dom.contains("Level ladder"));
    for bad in [":CONSOLE", "Uncaught", "Refused to", "net::ERR_"] {
        assert!(!log.contains(bad), "chromium logged `{bad}`:\n{log}");
    }
    let shot = tempfile::tempdir().unwrap();
    let png = shot.path().join("report.png");
    let (_, log) = headless(
        &chrome,
        &page,
        &[&format!("--screenshot={}", png.display()), "--window-size=1200,1600"],
    );
    let bytes = std::fs::read(&png).unwrap_or_else(|e| panic!("no screenshot ({e}): {log}"));
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 20_000,
        "{} bytes",
        bytes.len()
    );
}
