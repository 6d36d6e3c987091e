//! Built-in checklists (`checklists/*.yaml`), embedded in the binary, and stack detection.

use std::path::Path;

const BUILTINS: &[(&str, &str)] = &[
    ("base", include_str!("../../checklists/base.yaml")),
    ("rust-service", include_str!("../../checklists/rust-service.yaml")),
    ("python-service", include_str!("../../checklists/python-service.yaml")),
    ("node-service", include_str!("../../checklists/node-service.yaml")),
    ("go-service", include_str!("../../checklists/go-service.yaml")),
    ("java-service", include_str!("../../checklists/java-service.yaml")),
    ("ruby-service", include_str!("../../checklists/ruby-service.yaml")),
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
///
/// The order settles mixed repositories the way a reviewer would: a Rails app (`Gemfile` and
/// `config/application.rb`) is Ruby even with a `package.json` for its assets; a `package.json`
/// with neither dependencies nor scripts (`{}`) makes nothing a Node service; Maven or Gradle
/// make a Java service.
pub fn detect(repo: &Path) -> Detected {
    let is = |f: &str| repo.join(f).is_file();
    let found = |builtin, evidence| Detected { builtin, evidence };
    if is("Cargo.toml") {
        return found("rust-service", "Cargo.toml");
    }
    if is("pom.xml") {
        return found("java-service", "pom.xml (Maven)");
    }
    if is("build.gradle") || is("build.gradle.kts") {
        return found("java-service", "build.gradle (Gradle)");
    }
    if is("Gemfile") && is("config/application.rb") {
        return found("ruby-service", "Gemfile and config/application.rb (Rails)");
    }
    if is("manage.py") {
        return found("python-service", "manage.py (Django)");
    }
    for f in ["pyproject.toml", "requirements.txt", "setup.py"] {
        if is(f) {
            return found("python-service", f);
        }
    }
    if is("package.json") && node_package_has_content(repo) {
        return found("node-service", "package.json");
    }
    if is("go.mod") {
        return found("go-service", "go.mod");
    }
    if is("Gemfile") {
        return found("ruby-service", "Gemfile (Bundler)");
    }
    if is("package.json") {
        return found("base", "package.json has no dependencies or scripts: not a Node service");
    }
    found(
        "base",
        "no Cargo.toml, pom.xml, build.gradle, Gemfile, pyproject.toml, requirements.txt, \
         package.json or go.mod",
    )
}

/// Whether `package.json` declares dependencies or scripts (an asset-only `{}` does not).
pub fn node_package_has_content(repo: &Path) -> bool {
    let text = std::fs::read_to_string(repo.join("package.json")).unwrap_or_default();
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
        // Unparseable: the Node checklist's own checks say so.
        return true;
    };
    ["dependencies", "devDependencies", "scripts", "workspaces"]
        .iter()
        .any(|k| v.get(k).is_some_and(|d| d.as_object().is_none_or(|o| !o.is_empty())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect_in(files: &[(&str, &str)]) -> &'static str {
        let dir = tempfile::tempdir().unwrap();
        for (rel, text) in files {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        detect(dir.path()).builtin
    }

    #[test]
    fn stacks_users_have() {
        assert_eq!(detect_in(&[("Cargo.toml", "")]), "rust-service");
        assert_eq!(detect_in(&[("pom.xml", ""), ("package.json", "{}")]), "java-service");
        assert_eq!(detect_in(&[("build.gradle.kts", "")]), "java-service");
        assert_eq!(detect_in(&[("Gemfile", ""), ("Gemfile.lock", "")]), "ruby-service");
        assert_eq!(detect_in(&[("go.mod", "")]), "go-service");
        assert_eq!(detect_in(&[("requirements.txt", "")]), "python-service");
        assert_eq!(detect_in(&[("manage.py", "")]), "python-service");
        assert_eq!(
            detect_in(&[("package.json", r#"{"scripts":{"test":"jest"}}"#)]),
            "node-service"
        );
        assert_eq!(detect_in(&[]), "base");
    }

    #[test]
    fn a_rails_app_with_a_package_json_is_ruby() {
        let rails = [
            ("Gemfile", "gem 'rails'\n"),
            ("config/application.rb", ""),
            ("package.json", r#"{"dependencies":{"@rails/webpacker":"5"}}"#),
        ];
        assert_eq!(detect_in(&rails), "ruby-service");
        // An empty package.json does not make a Gemfile project Node (CodeTriage, D5).
        assert_eq!(detect_in(&[("Gemfile", ""), ("package.json", "{}")]), "ruby-service");
        assert_eq!(detect_in(&[("package.json", "{}")]), "base");
    }
}
