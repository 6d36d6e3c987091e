//! References stay true (issue 20 item 5): what the documentation and the code's comments point
//! at exists — relative Markdown links, `src/….rs` files, `readyctl` subcommands — and the
//! out-of-repository contracts are named by where they are (`../shared/DESIGN.md`).

use std::path::{Path, PathBuf};

use crate::support::{readyctl, repo_root, text};

/// The repository's own text files with one of `exts`: not fixtures (copies of other projects),
/// build output or dependencies.
fn own_files(exts: &[&str]) -> Vec<PathBuf> {
    let root = repo_root();
    walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            let top_level_skipped =
                e.depth() == 1 && matches!(name.as_ref(), "fixtures" | "target" | "fuzz");
            let skipped = matches!(name.as_ref(), ".git" | "node_modules" | ".venv");
            !(top_level_skipped || skipped)
        })
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| exts.iter().any(|e| x == *e)))
        .collect()
}

fn rel(p: &Path) -> String {
    p.strip_prefix(repo_root()).unwrap_or(p).display().to_string()
}

/// The text a reader is pointed by: a Markdown file whole, a Rust file's comment lines.
fn prose(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    if path.extension().is_some_and(|x| x == "rs") {
        text.lines().filter(|l| l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
    } else {
        text
    }
}

#[test]
fn relative_markdown_links_resolve() {
    let link = regex::Regex::new(r"\]\(([^)\s#]+)(#[^)\s]*)?\)").unwrap();
    let mut broken = Vec::new();
    for md in own_files(&["md"]) {
        let text = std::fs::read_to_string(&md).unwrap();
        for c in link.captures_iter(&text) {
            let target = &c[1];
            if target.contains(':') || target.starts_with('?') {
                continue; // a URL (or a regex in a code span)
            }
            if !md.parent().unwrap().join(target).exists() {
                broken.push(format!("{} → {target}", rel(&md)));
            }
        }
    }
    assert!(broken.is_empty(), "links to files that do not exist:\n{}", broken.join("\n"));
}

/// `src/….rs` named in the docs or in a comment exists. A path whose first part is not in this
/// repository's `src/` (`src/app.py`, `src/config.rs`) is an example from a checked project.
#[test]
fn source_files_named_in_docs_and_comments_exist() {
    let root = repo_root();
    let path = regex::Regex::new(r"\bsrc/[\w/.-]*\.rs\b").unwrap();
    let mut missing = Vec::new();
    for file in own_files(&["md", "rs"]) {
        for m in path.find_iter(&prose(&file)) {
            let named = m.as_str();
            let first = named.trim_start_matches("src/").split('/').next().unwrap_or_default();
            if root.join("src").join(first).exists() && !root.join(named).exists() {
                missing.push(format!("{}: {named}", rel(&file)));
            }
        }
    }
    missing.sort();
    missing.dedup();
    assert!(missing.is_empty(), "files that do not exist:\n{}", missing.join("\n"));
}

/// The shared contracts are not in the repository: every mention says where they are.
#[test]
fn the_out_of_repository_contracts_are_named_by_their_place() {
    // Spelled in two parts so this file does not name it bare.
    let name = concat!("DESIGN", ".md");
    let mut bare = Vec::new();
    for file in own_files(&["md", "rs", "sh", "yml", "yaml"]) {
        for (i, line) in std::fs::read_to_string(&file).unwrap_or_default().lines().enumerate() {
            let mut rest = line;
            while let Some(at) = rest.find(name) {
                if !rest[..at].ends_with("../shared/") {
                    bare.push(format!("{}:{}: {}", rel(&file), i + 1, line.trim()));
                }
                rest = &rest[at + name.len()..];
            }
        }
    }
    assert!(
        bare.is_empty(),
        "say `../shared/DESIGN.md` (outside the repository):\n{}",
        bare.join("\n")
    );
}

/// Every `` `readyctl <command>` `` in the docs and comments is a command `readyctl --help` lists.
#[test]
fn commands_named_in_docs_and_comments_exist() {
    let help = text(&readyctl(&repo_root(), &["--help"]).stdout);
    let commands: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.strip_prefix("  ")?.split_whitespace().next())
        .collect();
    assert!(commands.contains(&"check") && commands.contains(&"migrations"), "{help}");
    let named = regex::Regex::new(r"`readyctl ([a-z][a-z-]*)").unwrap();
    let mut unknown = Vec::new();
    for file in own_files(&["md", "rs", "yml"]) {
        for c in named.captures_iter(&prose(&file)) {
            if !commands.contains(&&c[1]) {
                unknown.push(format!("{}: readyctl {}", rel(&file), &c[1]));
            }
        }
    }
    assert!(unknown.is_empty(), "commands that do not exist:\n{}", unknown.join("\n"));
}
