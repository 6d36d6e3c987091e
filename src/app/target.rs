//! Finding and loading the checklist for a repository.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::checklist::{self, Checklist, Source, builtin};
use crate::cli::ChecklistArgs;
use crate::diag::render_all;

/// A loaded checklist and where it came from.
pub struct Target {
    /// The checklist source as recorded: relative to the repository when inside it.
    pub source_name: String,
    pub repo: PathBuf,
    pub checklist: Checklist,
    /// Said on stderr before running (`no readiness.yaml: using builtin:…`).
    pub note: Option<String>,
}

/// Why loading stopped: rendered diagnostics or a usage problem; exit code 2 either way.
pub struct LoadFailure(pub String);

pub fn load(args: &ChecklistArgs) -> Result<Target, LoadFailure> {
    let repo = args
        .repo
        .canonicalize()
        .map_err(|e| LoadFailure(format!("error: repository `{}`: {e}\n", args.repo.display())))?;
    if !repo.is_dir() {
        return Err(LoadFailure(format!("error: `{}` is not a directory\n", args.repo.display())));
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
    let checklist =
        checklist::load(&source, &opts).map_err(|diags| LoadFailure(render_all(&diags)))?;
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

fn resolve_source(
    repo: &Path,
    given: Option<&str>,
) -> Result<(Source, Option<String>), LoadFailure> {
    if let Some(given) = given {
        if let Some(name) = given.strip_prefix("builtin:") {
            return Ok((Source::Builtin(name.to_string()), None));
        }
        let p = PathBuf::from(given);
        return match std::fs::metadata(&p) {
            Ok(m) if m.is_dir() => Ok((Source::Dir(p), None)),
            Ok(_) => Ok((Source::File(p), None)),
            Err(e) => Err(LoadFailure(format!("error: checklist `{given}`: {e}\n"))),
        };
    }
    for name in ["readiness.yaml", "readiness.yml"] {
        let p = repo.join(name);
        if p.is_file() {
            return Ok((Source::File(p), None));
        }
    }
    // (Paths are shown relative to the repository in records: see `describe_source`.)
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
