//! Built-in checklists (`checklists/*.yaml`), embedded in the binary, and stack detection.

use std::path::Path;

const BUILTINS: &[(&str, &str)] = &[
    ("base", include_str!("../../checklists/base.yaml")),
    ("rust-service", include_str!("../../checklists/rust-service.yaml")),
    ("python-service", include_str!("../../checklists/python-service.yaml")),
    ("node-service", include_str!("../../checklists/node-service.yaml")),
    ("go-service", include_str!("../../checklists/go-service.yaml")),
    ("buyer-proof-pack", include_str!("../../checklists/buyer-proof-pack.yaml")),
];

/// The YAML text of a built-in checklist.
pub fn get(name: &str) -> Option<&'static str> {
    BUILTINS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

pub fn names() -> impl Iterator<Item = &'static str> {
    BUILTINS.iter().map(|(n, _)| *n)
}

/// A detected stack: the built-in to use and the file that gave it away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    pub builtin: &'static str,
    pub evidence: &'static str,
}

/// Detects the stack from marker files at the repository root; `base` when none is found.
pub fn detect(repo: &Path) -> Detected {
    const MARKERS: &[(&str, &str)] = &[
        ("Cargo.toml", "rust-service"),
        ("pyproject.toml", "python-service"),
        ("requirements.txt", "python-service"),
        ("setup.py", "python-service"),
        ("package.json", "node-service"),
        ("go.mod", "go-service"),
    ];
    MARKERS
        .iter()
        .find(|(file, _)| repo.join(file).is_file())
        .map(|(file, builtin)| Detected { builtin, evidence: file })
        .unwrap_or(Detected {
            builtin: "base",
            evidence: "no Cargo.toml, pyproject.toml, requirements.txt, package.json or go.mod",
        })
}
