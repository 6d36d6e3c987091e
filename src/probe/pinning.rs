//! `git: { pinned: true }`: reads the dependency manifests at the repository root and names
//! what is not pinned. A manifest is pinned by its ecosystem's lockfile, or entry by entry by
//! an exact version (`==1.2.3`, `"1.2.3"`, `'= 1.2.3'`) or a hash. Python requirement files
//! are read with their `-r` / `-c` includes and always checked: they are what `pip install -r`
//! installs, whatever else is committed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

/// What one manifest showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestReport {
    /// Repository-relative path of the manifest.
    pub file: String,
    /// How it is pinned (`uv.lock`, `12 exact versions`), when it is.
    pub pinned_by: Option<String>,
    /// Entries that are not pinned, as written (`requests>=2`, `django (no version)`).
    pub unpinned: Vec<String>,
}

/// Every manifest found at `repo`'s root (and `requirements/`), in a stable order. Empty when
/// there is none.
pub fn examine(repo: &Path) -> Result<Vec<ManifestReport>, String> {
    let has = |name: &str| repo.join(name).is_file();
    let mut out = Vec::new();

    // Python: requirement files, Pipfile, pyproject.toml.
    let mut req_files: Vec<PathBuf> = Vec::new();
    for dir in [repo.to_path_buf(), repo.join("requirements")] {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        let mut names: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                let in_dir = dir != repo;
                name.ends_with(".txt")
                    && (in_dir || (name.starts_with("requirements") && !name.ends_with(".lock")))
            })
            .collect();
        names.sort();
        req_files.extend(names);
    }
    let py_lock = ["poetry.lock", "uv.lock", "pdm.lock"].into_iter().find(|l| has(l));
    // A committed Python lockfile pins the environment; requirement files beside it (often a
    // PaaS shim, `-r requirements/prod.txt`) are then not what pins it, and their ranges are
    // only noted.
    let any_py_lock = py_lock.or(has("Pipfile.lock").then_some("Pipfile.lock"));
    let mut seen = BTreeSet::new();
    for f in &req_files {
        if seen.contains(&f.canonicalize().unwrap_or_else(|_| f.clone())) {
            continue; // read already, through another file's `-r`
        }
        let mut entries: Vec<(String, String)> = Vec::new();
        let mut count = 0usize;
        read_requirements(repo, f, &mut seen, &mut entries, &mut count)?;
        let top = rel(repo, f);
        if entries.is_empty() {
            out.push(report(top, Vec::new(), count, "requirement"));
        } else if let Some(lock) = any_py_lock {
            out.push(ManifestReport {
                file: top,
                pinned_by: Some(format!(
                    "{lock} (its own {} entr{} are not pinned)",
                    entries.len(),
                    if entries.len() == 1 { "y" } else { "ies" }
                )),
                unpinned: Vec::new(),
            });
        } else {
            // One report per file the unpinned entries are written in (an include's entries
            // are named at the include).
            let mut files: Vec<String> = Vec::new();
            for (file, _) in &entries {
                if !files.contains(file) {
                    files.push(file.clone());
                }
            }
            for file in files {
                let unpinned =
                    entries.iter().filter(|(f, _)| *f == file).map(|(_, e)| e.clone()).collect();
                out.push(ManifestReport { file, pinned_by: None, unpinned });
            }
        }
    }
    if has("Pipfile") {
        let entries =
            if has("Pipfile.lock") { Vec::new() } else { pipfile(&repo.join("Pipfile"))? };
        out.push(locked_or("Pipfile", has("Pipfile.lock").then_some("Pipfile.lock"), entries));
    }
    if has("pyproject.toml") {
        let deps = pyproject(&repo.join("pyproject.toml"))?;
        if !deps.is_empty() {
            let lock = py_lock.or(has("Pipfile.lock").then_some("Pipfile.lock"));
            let unpinned = deps.into_iter().filter(|d| !pep508_pinned(d)).collect::<Vec<_>>();
            // Pinned requirement files next to a pyproject are the usual way to pin it.
            let pinned_reqs = !req_files.is_empty() && out.iter().all(|r| r.unpinned.is_empty());
            let by = lock
                .map(str::to_string)
                .or_else(|| pinned_reqs.then(|| "pinned requirement files".to_string()));
            out.push(ManifestReport {
                file: "pyproject.toml".into(),
                unpinned: if by.is_some() { Vec::new() } else { unpinned.clone() },
                pinned_by: by.or_else(|| unpinned.is_empty().then(|| "exact versions".into())),
            });
        }
    }
    // Node.
    if has("package.json") {
        let lock = [
            "package-lock.json",
            "npm-shrinkwrap.json",
            "yarn.lock",
            "pnpm-lock.yaml",
            "bun.lock",
            "bun.lockb",
        ]
        .into_iter()
        .find(|l| has(l));
        let entries =
            if lock.is_some() { Vec::new() } else { package_json(&repo.join("package.json"))? };
        out.push(locked_or("package.json", lock, entries));
    }
    // Ruby.
    if has("Gemfile") {
        let entries =
            if has("Gemfile.lock") { Vec::new() } else { gemfile(&repo.join("Gemfile"))? };
        out.push(locked_or("Gemfile", has("Gemfile.lock").then_some("Gemfile.lock"), entries));
    }
    // Go: versions in go.mod are exact; go.sum makes them verifiable.
    if has("go.mod") {
        let text = read(&repo.join("go.mod"))?;
        let requires = go_requires(&text);
        let unpinned = if has("go.sum") || requires.is_empty() {
            Vec::new()
        } else {
            requires.into_iter().map(|m| format!("{m} (no go.sum)")).collect()
        };
        out.push(ManifestReport {
            file: "go.mod".into(),
            pinned_by: unpinned.is_empty().then(|| "go.sum".into()),
            unpinned,
        });
    }
    // Rust.
    if has("Cargo.toml") {
        let unpinned = if has("Cargo.lock") {
            Vec::new()
        } else {
            vec!["dependencies resolved at build time (no Cargo.lock)".to_string()]
        };
        out.push(ManifestReport {
            file: "Cargo.toml".into(),
            pinned_by: unpinned.is_empty().then(|| "Cargo.lock".into()),
            unpinned,
        });
    }
    Ok(out)
}

fn rel(repo: &Path, p: &Path) -> String {
    crate::text::repo_relative(p, repo)
}

fn read(p: &Path) -> Result<String, String> {
    std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
}

fn report(file: String, unpinned: Vec<String>, count: usize, what: &str) -> ManifestReport {
    let pinned_by =
        unpinned.is_empty().then(|| format!("{count} exact {what}{}", crate::diag::plural(count)));
    ManifestReport { file, pinned_by, unpinned }
}

fn locked_or(file: &str, lock: Option<&str>, entries: Vec<String>) -> ManifestReport {
    ManifestReport {
        file: file.into(),
        pinned_by: match lock {
            Some(l) => Some(l.to_string()),
            None if entries.is_empty() => Some("exact versions".into()),
            None => None,
        },
        unpinned: entries,
    }
}

static EXACT_PEP440: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^={2,3}\s*[^\s,;*<>=!~]+$").expect("constant regex"));
static COMMIT_OR_HASH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:sha256[=:][0-9a-fA-F]{64}|@[0-9a-f]{40}\b)").expect("constant regex")
});

/// A PEP 508 requirement is pinned by `==` / `===` to one version, or a URL with a hash or a
/// full commit.
fn pep508_pinned(req: &str) -> bool {
    let req = req.split(';').next().unwrap_or_default().trim();
    if req.contains(" @ ") || req.contains("://") {
        return COMMIT_OR_HASH.is_match(req);
    }
    let spec = req
        .trim_start_matches(|c: char| c.is_ascii_alphanumeric() || "._-".contains(c))
        .trim_start();
    let spec = match spec.strip_prefix('[') {
        Some(rest) => rest.split_once(']').map_or("", |(_, s)| s).trim(),
        None => spec,
    };
    let spec = spec.trim_start_matches('(').trim_end_matches(')').trim();
    EXACT_PEP440.is_match(spec)
}

/// Reads a requirements file and what it includes (`-r`, `-c`), once each.
fn read_requirements(
    repo: &Path,
    path: &Path,
    seen: &mut BTreeSet<PathBuf>,
    unpinned: &mut Vec<(String, String)>,
    count: &mut usize,
) -> Result<(), String> {
    let here = rel(repo, path);
    let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    if !seen.insert(key) {
        return Ok(());
    }
    let text = read(path)?;
    let dir = path.parent().unwrap_or(repo);
    let joined = text.replace("\\\n", " ");
    for raw in joined.lines() {
        let line = match raw.find(" #") {
            Some(i) => &raw[..i],
            None => raw,
        }
        .trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let include = ["-r", "--requirement", "-c", "--constraint"]
            .iter()
            .find_map(|opt| line.strip_prefix(opt))
            .map(|rest| rest.trim_start_matches('=').trim());
        if let Some(target) = include {
            let target = dir.join(target);
            if !target.is_file() {
                unpinned.push((
                    here.clone(),
                    format!("{} (included file not found)", rel(repo, &target)),
                ));
                continue;
            }
            read_requirements(repo, &target, seen, unpinned, count)?;
            continue;
        }
        let (line, editable) =
            match line.strip_prefix("-e").or_else(|| line.strip_prefix("--editable")) {
                Some(rest) => (rest.trim_start_matches('=').trim(), true),
                None => (line, false),
            };
        if line.starts_with('-') {
            continue; // --index-url, --find-links, --hash continuation, …
        }
        if line.starts_with('.') || line.starts_with('/') || line.starts_with("file:") {
            continue; // the project itself or a local path
        }
        let pinned = line.contains("--hash=")
            || (!editable && pep508_pinned(line.split(" --").next().unwrap_or(line)))
            || (editable && COMMIT_OR_HASH.is_match(line));
        if pinned {
            *count += 1;
        } else {
            let shown = line.split(" --").next().unwrap_or(line).trim();
            let shown = if shown.chars().all(|c| c.is_ascii_alphanumeric() || "._-[]".contains(c)) {
                format!("{shown} (no version)")
            } else {
                shown.to_string()
            };
            unpinned.push((here.clone(), shown));
        }
    }
    Ok(())
}

fn pipfile(path: &Path) -> Result<Vec<String>, String> {
    let doc: toml::Table =
        toml::from_str(&read(path)?).map_err(|e| format!("Pipfile does not parse: {e}"))?;
    let mut out = Vec::new();
    for section in ["packages", "dev-packages"] {
        let Some(t) = doc.get(section).and_then(toml::Value::as_table) else { continue };
        for (name, v) in t {
            let version = match v {
                toml::Value::String(s) => Some(s.as_str()),
                toml::Value::Table(t) => t.get("version").and_then(toml::Value::as_str),
                _ => None,
            };
            let pinned = match (v, version) {
                (_, Some(s)) => EXACT_PEP440.is_match(s.trim()),
                (toml::Value::Table(t), None) => t.contains_key("ref") || t.contains_key("path"),
                _ => false,
            };
            if !pinned {
                out.push(match version {
                    Some(s) => format!("{name} {s}"),
                    None => format!("{name} (no version)"),
                });
            }
        }
    }
    Ok(out)
}

/// Dependencies a pyproject declares (PEP 621, dependency groups, Poetry), as PEP 508 text.
fn pyproject(path: &Path) -> Result<Vec<String>, String> {
    let doc: toml::Table =
        toml::from_str(&read(path)?).map_err(|e| format!("pyproject.toml does not parse: {e}"))?;
    let mut out = Vec::new();
    let strings = |v: Option<&toml::Value>| -> Vec<String> {
        v.and_then(toml::Value::as_array)
            .map(|a| a.iter().filter_map(toml::Value::as_str).map(str::to_string).collect())
            .unwrap_or_default()
    };
    let project = doc.get("project");
    out.extend(strings(project.and_then(|p| p.get("dependencies"))));
    for table in
        [project.and_then(|p| p.get("optional-dependencies")), doc.get("dependency-groups")]
            .into_iter()
            .flatten()
            .filter_map(toml::Value::as_table)
    {
        for v in table.values() {
            out.extend(strings(Some(v)));
        }
    }
    if let Some(poetry) = doc.get("tool").and_then(|t| t.get("poetry")) {
        let mut tables = vec![poetry.get("dependencies"), poetry.get("dev-dependencies")];
        if let Some(groups) = poetry.get("group").and_then(toml::Value::as_table) {
            tables.extend(groups.values().map(|g| g.get("dependencies")));
        }
        for t in tables.into_iter().flatten().filter_map(toml::Value::as_table) {
            for (name, v) in t {
                if name == "python" {
                    continue;
                }
                let version = match v {
                    toml::Value::String(s) => s.clone(),
                    toml::Value::Table(t) => {
                        t.get("version").and_then(toml::Value::as_str).unwrap_or("*").to_string()
                    }
                    _ => "*".into(),
                };
                // Poetry's bare "1.2.3" means exactly that version.
                let exact = version.chars().next().is_some_and(|c| c.is_ascii_digit())
                    && !version.contains(['*', ',', ' ']);
                out.push(if exact {
                    format!("{name}=={version}")
                } else {
                    format!("{name} {version}")
                });
            }
        }
    }
    Ok(out)
}

static EXACT_SEMVER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^=?v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?$").expect("constant regex")
});

fn package_json(path: &Path) -> Result<Vec<String>, String> {
    let doc: serde_json::Value = serde_json::from_str(&read(path)?)
        .map_err(|e| format!("package.json does not parse: {e}"))?;
    let mut out = Vec::new();
    for section in ["dependencies", "devDependencies", "optionalDependencies"] {
        let Some(deps) = doc.get(section).and_then(serde_json::Value::as_object) else { continue };
        for (name, v) in deps {
            let v = v.as_str().unwrap_or_default().trim();
            let local =
                ["file:", "link:", "workspace:", "portal:"].iter().any(|p| v.starts_with(p));
            if !(local || EXACT_SEMVER.is_match(v) || COMMIT_OR_HASH.is_match(v)) {
                out.push(format!("{name}@{v}"));
            }
        }
    }
    Ok(out)
}

static GEM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*gem\s+['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]+)['"])?"#).expect("constant regex")
});

fn gemfile(path: &Path) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for line in read(path)?.lines() {
        let Some(c) = GEM.captures(line) else { continue };
        let name = &c[1];
        match c.get(2).map(|m| m.as_str().trim()) {
            // Bundler: no operator means `=`.
            Some(v)
                if v.trim_start_matches('=').trim().starts_with(|c: char| c.is_ascii_digit())
                    && !v.starts_with(['~', '>', '<', '!']) => {}
            Some(v) => out.push(format!("{name} {v}")),
            None => out.push(format!("{name} (no version)")),
        }
    }
    Ok(out)
}

fn go_requires(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or_default().trim();
        if in_block {
            if line == ")" {
                in_block = false;
            } else if let Some(m) = line.split_whitespace().next() {
                out.push(m.to_string());
            }
        } else if line == "require (" || line == "require(" {
            in_block = true;
        } else if let Some(rest) = line.strip_prefix("require ") {
            if let Some(m) = rest.split_whitespace().next() {
                out.push(m.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (p, c) in files {
            let p = d.path().join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, c).unwrap();
        }
        d
    }

    fn unpinned(files: &[(&str, &str)]) -> Vec<(String, Vec<String>)> {
        let d = repo(files);
        examine(d.path())
            .unwrap()
            .into_iter()
            .filter(|r| !r.unpinned.is_empty())
            .map(|r| (r.file, r.unpinned))
            .collect()
    }

    #[test]
    fn requirements_name_what_is_unpinned_through_includes() {
        let got = unpinned(&[
            ("requirements.txt", "-r requirements/base.txt\ngunicorn==22.0.0\n"),
            (
                "requirements/base.txt",
                "# comment\ndjango\nrequests>=2\nwagtail>=7.4,<7.5  # range\nurllib3==2.*\n\
                 attrs==23.2.0 ; python_version >= '3.8'\nsix==1.16.0 \\\n    --hash=sha256:abc\n\
                 -e .\n--index-url https://pypi.org/simple\n",
            ),
        ]);
        assert_eq!(
            got,
            vec![(
                "requirements/base.txt".to_string(),
                vec![
                    "django (no version)".to_string(),
                    "requests>=2".into(),
                    "wagtail>=7.4,<7.5".into(),
                    "urllib3==2.*".into(),
                ]
            ),],
            "requirements/base.txt was read through the include, once, and named"
        );
        assert!(unpinned(&[("requirements.txt", "flask==3.0.0\nclick===8.1.7\n")]).is_empty());
        // flask-realworld: a PaaS shim `-r requirements/prod.txt` of bare names beside a
        // committed Pipfile.lock is pinned by the lock.
        let shim = [
            ("requirements.txt", "-r requirements/prod.txt\n"),
            ("requirements/prod.txt", "Flask\nclick\n"),
            ("Pipfile", "[packages]\nflask = \"==1.0\"\n"),
            ("Pipfile.lock", "{}"),
        ];
        assert!(unpinned(&shim).is_empty());
        let d = repo(&shim);
        let r = examine(d.path()).unwrap();
        assert_eq!(
            r[0].pinned_by.as_deref(),
            Some("Pipfile.lock (its own 2 entries are not pinned)")
        );
    }

    #[test]
    fn lockfiles_pin_their_manifests_and_ranges_without_one_are_named() {
        let pj = r#"{"dependencies": {"express": "^4.18.0", "lodash": "4.17.21"},
                     "devDependencies": {"jest": "~29.7.0", "local": "file:../x"}}"#;
        assert_eq!(
            unpinned(&[("package.json", pj)]),
            vec![(
                "package.json".to_string(),
                vec!["express@^4.18.0".into(), "jest@~29.7.0".into()]
            )]
        );
        assert!(unpinned(&[("package.json", pj), ("yarn.lock", "")]).is_empty());
        let pipfile = "[packages]\nflask = \"*\"\nrequests = \"==2.31.0\"\n[dev-packages]\npytest = {version = \">=7\"}\n";
        assert_eq!(
            unpinned(&[("Pipfile", pipfile)]),
            vec![("Pipfile".to_string(), vec!["flask *".into(), "pytest >=7".into()])]
        );
        assert!(unpinned(&[("Pipfile", pipfile), ("Pipfile.lock", "{}")]).is_empty());
        let pyproject = "[project]\nname='x'\ndependencies = ['fastapi>=0.110', 'pydantic==2.7.0']\n\
                         [tool.poetry.dependencies]\npython = '^3.11'\nhttpx = '^0.27'\n";
        assert_eq!(
            unpinned(&[("pyproject.toml", pyproject)]),
            vec![(
                "pyproject.toml".to_string(),
                vec!["fastapi>=0.110".into(), "httpx ^0.27".into()]
            )]
        );
        assert!(unpinned(&[("pyproject.toml", pyproject), ("uv.lock", "")]).is_empty());
        assert!(unpinned(&[("pyproject.toml", pyproject), ("poetry.lock", "")]).is_empty());
        let gemfile =
            "source 'https://rubygems.org'\ngem 'rails', '~> 7.1'\ngem 'pg'\ngem 'puma', '6.4.2'\n";
        assert_eq!(
            unpinned(&[("Gemfile", gemfile)]),
            vec![("Gemfile".to_string(), vec!["rails ~> 7.1".into(), "pg (no version)".into()])]
        );
        assert!(unpinned(&[("Gemfile", gemfile), ("Gemfile.lock", "")]).is_empty());
        let gomod = "module x\n\ngo 1.22\n\nrequire (\n\tgithub.com/gin-gonic/gin v1.9.1\n)\nrequire golang.org/x/net v0.1.0 // indirect\n";
        assert_eq!(
            unpinned(&[("go.mod", gomod)]),
            vec![(
                "go.mod".to_string(),
                vec![
                    "github.com/gin-gonic/gin (no go.sum)".into(),
                    "golang.org/x/net (no go.sum)".into()
                ]
            )]
        );
        assert!(unpinned(&[("go.mod", gomod), ("go.sum", "")]).is_empty());
    }

    #[test]
    fn no_manifest_is_nothing_examined() {
        let d = repo(&[("README.md", "hi")]);
        assert!(examine(d.path()).unwrap().is_empty());
    }
}
