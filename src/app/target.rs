//! Finding and loading the checklist for a repository.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::checklist::{self, Checklist, Source, builtin};
use crate::cli::ChecklistArgs;
use crate::diag::render_all;
use crate::evidence::Redactor;

/// A loaded checklist and where it came from.
pub struct Target {
    /// The checklist source as recorded: relative to the repository when inside it.
    pub source_name: String,
    pub repo: PathBuf,
    pub checklist: Checklist,
    /// Said on stderr before running (`no readiness.yaml: using builtin:…`).
    pub note: Option<String>,
}

/// Why loading stopped (exit code 2 whichever: see `super::Error`).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The repository path does not resolve.
    #[error("repository `{}`: {source}", path.display())]
    Repository { path: PathBuf, source: std::io::Error },
    /// The repository path is a file.
    #[error("`{}` is not a directory", .0.display())]
    NotADirectory(PathBuf),
    /// `--checklist` names nothing readable.
    #[error("checklist `{given}`: {source}")]
    Checklist { given: String, source: std::io::Error },
    /// The checklist's located diagnostics, rendered (and redacted) as printed.
    #[error("{0}")]
    Invalid(String),
}

pub fn load(args: &ChecklistArgs) -> Result<Target, LoadError> {
    let repo = args
        .repo
        .canonicalize()
        .map_err(|source| LoadError::Repository { path: args.repo.clone(), source })?;
    if !repo.is_dir() {
        return Err(LoadError::NotADirectory(args.repo.clone()));
    }
    // Like cargo and nextest: from a subdirectory, the repository's readiness.yaml (up to the
    // git root) is the checklist, and its directory the repository checked.
    let (repo, found_above) = match args.checklist {
        Some(_) => (repo, None),
        None => match discover(&repo) {
            Some(found) if found != repo => (found.clone(), Some(found)),
            _ => (repo, None),
        },
    };
    let (source, mut note) = resolve_source(&repo, args.checklist.as_deref())?;
    if let (Some(dir), Source::File(file)) = (&found_above, &source) {
        let cwd = std::env::current_dir().unwrap_or_default();
        note = Some(format!(
            "using {} (the nearest readiness.yaml up to the git root); checking {}",
            crate::diag::display_path(file, &cwd),
            crate::diag::display_path(dir, &cwd),
        ));
    }
    let vars: BTreeMap<String, String> = args.vars.iter().cloned().collect();
    let opts = checklist::Options {
        env: &super::process_env,
        var_overrides: vars,
        display_base: std::env::current_dir().unwrap_or_else(|_| repo.clone()),
    };
    // A diagnostic quotes source lines, and an included file may be anything
    // (`/proc/self/environ`): secrets known before loading are redacted from it.
    let checklist = checklist::load(&source, &opts).map_err(|diags| {
        let redactor = Redactor::builder().process_env().checklist_vars(args.vars.clone()).build();
        LoadError::Invalid(redactor.redact_str(&render_all(&diags)).0)
    })?;
    let source_name = match &source {
        Source::File(p) | Source::Dir(p) => {
            let abs = p.canonicalize().unwrap_or_else(|_| p.clone());
            abs.strip_prefix(&repo)
                .map(|r| r.display().to_string())
                .unwrap_or_else(|_| p.display().to_string())
        }
        Source::Builtin(n) => format!("builtin:{n}"),
    };
    Ok(Target { repo, source_name, checklist, note })
}

/// The nearest directory from `start` up to the enclosing git root (inclusive) holding a
/// `readiness.yaml` or `readiness.yml`. Outside a git repository only `start` itself counts:
/// a stray checklist in a parent such as `/tmp` must not be picked up.
pub fn discover(start: &Path) -> Option<PathBuf> {
    let has_checklist =
        |d: &Path| ["readiness.yaml", "readiness.yml"].iter().any(|n| d.join(n).is_file());
    let git_root = start.ancestors().find(|d| d.join(".git").exists())?;
    start
        .ancestors()
        .take_while(|d| d.starts_with(git_root))
        .find(|d| has_checklist(d))
        .map(Path::to_path_buf)
}

fn resolve_source(repo: &Path, given: Option<&str>) -> Result<(Source, Option<String>), LoadError> {
    if let Some(given) = given {
        if let Some(name) = given.strip_prefix("builtin:") {
            return Ok((Source::Builtin(name.to_string()), None));
        }
        let p = PathBuf::from(given);
        return match std::fs::metadata(&p) {
            Ok(m) if m.is_dir() => Ok((Source::Dir(p), None)),
            Ok(_) => Ok((Source::File(p), None)),
            Err(source) => Err(LoadError::Checklist { given: given.to_string(), source }),
        };
    }
    for name in ["readiness.yaml", "readiness.yml"] {
        let p = repo.join(name);
        if p.is_file() {
            return Ok((Source::File(p), None));
        }
    }
    // (Paths are shown relative to the repository in records: see `repo_paths`.)
    let detected = builtin::detect(repo);
    let note = format!(
        "no readiness.yaml in {}: using builtin:{} ({}); `readyctl init` writes one to customise",
        repo.display(),
        detected.builtin,
        if detected.builtin == "base" {
            detected.evidence.to_string()
        } else {
            format!("found {}", detected.evidence)
        }
    );
    Ok((Source::Builtin(detected.builtin.to_string()), Some(note)))
}

/// Every secret known once the checklist is loaded: sensitive environment variables (and the
/// signing key taken from READYCTL_SIGNING_KEY at startup), the values of those declared under
/// `secrets:`, the `--key` file, `--var`s and the `env:` of checks and services with sensitive
/// names, and well-known token shapes.
pub fn redactor(checklist: &Checklist, args: &ChecklistArgs, key_file: Option<&Path>) -> Redactor {
    let mut b = Redactor::builder().process_env();
    for name in &checklist.secrets {
        if let Ok(value) = std::env::var(name) {
            b = b.secret(name, &value);
        }
    }
    if let Some(path) = key_file {
        // Unreadable or not a key: resolve_signing_key reports it; nothing to redact then.
        if let Ok(text) = std::fs::read_to_string(path) {
            b = b.secret("signing-key", &text);
        }
    }
    b = b.checklist_vars(args.vars.iter().cloned());
    for check in &checklist.checks {
        if let checklist::model::Probe::Command(spec) = &check.probe {
            b = b.env_vars(spec.spec().env.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    for service in &checklist.services {
        b = b.env_vars(service.env.iter().cloned());
    }
    b.build()
}

/// The repository root reporters make paths relative to: `GITHUB_WORKSPACE` or
/// `CI_PROJECT_DIR` when set and containing `dir`, else the git top level, else `dir` itself.
pub fn repository_root(dir: &Path) -> PathBuf {
    for var in ["GITHUB_WORKSPACE", "CI_PROJECT_DIR"] {
        if let Some(root) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            if let Ok(root) = Path::new(&root).canonicalize() {
                if dir.starts_with(&root) {
                    return root;
                }
            }
        }
    }
    if !crate::evidence::statement::may_be_in_repository(dir) {
        return dir.to_path_buf();
    }
    let top = std::process::Command::new("git")
        .args(["rev-parse", "--show-toplevel"])
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| Path::new(s.trim_end_matches(['\n', '\r'])).canonicalize().ok());
    match top {
        Some(top) if dir.starts_with(&top) => top,
        _ => dir.to_path_buf(),
    }
}

/// `rel` with `/` separators (empty for the root itself).
fn slash_path(rel: &Path) -> String {
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// Where the checked directory and the checklist files sit under the repository root, and
/// the file that checks without a place of their own are reported at.
pub fn repo_paths(target: &Target) -> crate::record::RepoPaths {
    let root = repository_root(&target.repo);
    let rel = |abs: &Path| abs.strip_prefix(&root).ok().map(slash_path);
    let cwd = std::env::current_dir().unwrap_or_else(|_| target.repo.clone());
    let checklist_files = target
        .checklist
        .sources
        .iter()
        .filter(|s| !s.path.starts_with("builtin:"))
        .filter_map(|s| {
            let abs = cwd.join(&s.path).canonicalize().ok()?;
            Some((s.path.clone(), rel(&abs)?))
        })
        .collect();
    crate::record::RepoPaths {
        target: rel(&target.repo).unwrap_or_default(),
        checklist_files,
        anchor: anchor_file(&target.repo).and_then(|f| rel(&f)),
    }
}

/// The manifest the stack is detected from, else a README, else the first file at the top of
/// `dir` (by name, dotfiles last); `None` for an empty directory.
fn anchor_file(dir: &Path) -> Option<PathBuf> {
    let detected = builtin::detect(dir);
    let manifest = dir.join(detected.evidence);
    if detected.builtin != "base" && manifest.is_file() {
        return Some(manifest);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .collect();
    let name =
        |p: &PathBuf| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    files.sort_by_key(|p| (name(p).starts_with('.'), name(p)));
    files
        .iter()
        .find(|p| name(p).to_ascii_lowercase().starts_with("readme"))
        .or_else(|| files.first())
        .cloned()
}
