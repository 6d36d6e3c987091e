//! Finding what a reviewer would find, wherever it is: Dockerfiles, Kubernetes manifests, Helm
//! charts, Compose files, migration directories, and the units (services) of a monorepo. Every
//! walk skips vendored and generated trees (`node_modules`, `vendor`, virtualenvs, `target`, …),
//! hidden directories (`.devcontainer`, `.git`) and readyctl's own `.readyctl/`.

use std::path::{Path, PathBuf};

/// Directory names never descended into: dependencies, virtualenvs, build output, caches.
pub const SKIP_DIRS: &[&str] = &[
    "node_modules",
    "vendor",
    "third_party",
    "bower_components",
    "venv",
    "env",
    "site-packages",
    "__pycache__",
    "target",
    "dist",
    "tmp",
];

/// How deep discovery looks (`api/src/main/resources/db/migration/V1__init.sql` is 7).
const MAX_DEPTH: usize = 9;

/// Repository-relative files (forward slashes, sorted) under `repo`, outside skipped,
/// hidden and git-ignored directories.
pub fn files(repo: &Path) -> Vec<String> {
    let mut out: Vec<String> = ignore::WalkBuilder::new(repo)
        .max_depth(Some(MAX_DEPTH))
        .filter_entry(|e| {
            let n = e.file_name().to_string_lossy();
            !(e.file_type().is_some_and(|t| t.is_dir()) && SKIP_DIRS.contains(&n.as_ref()))
        })
        .build()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .filter_map(|e| rel(repo, e.path()))
        .collect();
    out.sort();
    out
}

fn rel(repo: &Path, p: &Path) -> Option<String> {
    let r = crate::text::under_repo(p, repo)?;
    (!r.is_empty()).then_some(r)
}

fn base_name(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

/// A Dockerfile by name: `Dockerfile`, `Dockerfile.<variant>`, `<variant>.Dockerfile`.
pub fn is_dockerfile_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".dockerignore") {
        return false;
    }
    lower == "dockerfile" || lower.starts_with("dockerfile.") || lower.ends_with(".dockerfile")
}

/// A file under `docker/` or `deploy/` whose first instruction is `FROM` (or `ARG` then
/// `FROM`): a Dockerfile by content, whatever its name.
fn is_dockerfile_content(repo: &Path, rel: &str) -> bool {
    let in_dir = rel.split('/').rev().skip(1).any(|d| d == "docker" || d == "deploy");
    const NOT_DOCKERFILES: &[&str] = &[
        "sh",
        "bash",
        "yml",
        "yaml",
        "json",
        "md",
        "txt",
        "conf",
        "cfg",
        "ini",
        "env",
        "toml",
        "xml",
        "py",
        "js",
        "ts",
        "rb",
        "go",
        "java",
        "properties",
        "sql",
        "tpl",
        "j2",
        "lock",
    ];
    let ext = base_name(rel).rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    if !in_dir || ext.as_deref().is_some_and(|e| NOT_DOCKERFILES.contains(&e)) {
        return false;
    }
    let Ok(meta) = std::fs::metadata(repo.join(rel)) else { return false };
    if meta.len() > 256 * 1024 {
        return false;
    }
    let text = std::fs::read_to_string(repo.join(rel)).unwrap_or_default();
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'));
    let first = lines.next().unwrap_or("").to_ascii_uppercase();
    first.starts_with("FROM ")
        || (first.starts_with("ARG ")
            && text.lines().any(|l| l.trim().to_ascii_uppercase().starts_with("FROM ")))
}

/// Every Dockerfile in the repository: by name anywhere, by content under `docker/`, `deploy/`.
pub fn dockerfiles(repo: &Path) -> Vec<String> {
    files(repo)
        .into_iter()
        .filter(|r| is_dockerfile_name(base_name(r)) || is_dockerfile_content(repo, r))
        .collect()
}

/// Kubernetes manifests (by content: `apiVersion:` and a workload `kind:`), wherever they are.
pub fn k8s_manifests(repo: &Path) -> Vec<String> {
    crate::probe::k8s::find_manifests(repo, None)
        .into_iter()
        .filter(|r| {
            !r.split('/').any(|d| SKIP_DIRS.contains(&d) || (d.starts_with('.') && d.len() > 1))
        })
        .collect()
}

/// Helm charts: the directories holding a `Chart.yaml`.
pub fn helm_charts(repo: &Path) -> Vec<String> {
    files(repo).into_iter().filter(|r| base_name(r) == "Chart.yaml").map(|r| parent(&r)).collect()
}

/// Compose files: `compose.yaml`, `docker-compose*.yml` and the like.
pub fn compose_files(repo: &Path) -> Vec<String> {
    files(repo)
        .into_iter()
        .filter(|r| {
            let n = base_name(r);
            (n.starts_with("docker-compose") || n.starts_with("compose."))
                && (n.ends_with(".yml") || n.ends_with(".yaml"))
        })
        .collect()
}

fn parent(rel: &str) -> String {
    match rel.rsplit_once('/') {
        Some((p, _)) => p.to_string(),
        None => ".".to_string(),
    }
}

/// Migration directories with their framework, in the order a check should prefer them: the
/// fixed root directories first, then Prisma's schema directory from `package.json`, Django
/// projects (the common parent of their apps' `migrations/`), Rails' `db/migrate`, and the
/// same fixed directories under each unit (`services/*/db/migrations`).
pub fn migration_dirs(repo: &Path) -> Vec<(String, crate::migrations::detect::Framework)> {
    use crate::migrations::detect;
    use crate::migrations::framework::{DEFAULT_DIRS, NESTED_DIRS, liquibase::CHANGELOG_DIRS};
    let mut candidates: Vec<String> = DEFAULT_DIRS.iter().map(|d| d.to_string()).collect();
    candidates.extend(prisma_migrations(repo));
    let all = files(repo);
    // Django: `<app>/migrations/0001_*.py`, any depth; the project is their common parent.
    let django: Vec<String> = all
        .iter()
        .filter(|r| crate::migrations::framework::django::is_migration_path(r))
        .map(|r| parent(&parent(&parent(r))))
        .collect();
    if let Some(root) = common_parent(&django) {
        candidates.push(root);
    }
    let nested: Vec<String> = NESTED_DIRS.iter().map(|d| format!("/{d}/")).collect();
    let changelog = format!("/{}/", CHANGELOG_DIRS[0]);
    let changelog_roots: Vec<String> = CHANGELOG_DIRS.iter().map(|d| format!("{d}/")).collect();
    for r in &all {
        for marker in &nested {
            if let Some(i) = r.find(marker.as_str()) {
                candidates.push(format!("{}{}", &r[..i], marker.trim_end_matches('/')));
            }
        }
        if let Some(i) = r.find(changelog.as_str()) {
            candidates.push(r[..i + changelog.len() - 1].to_string());
        }
        if changelog_roots.iter().any(|d| r.starts_with(d.as_str())) {
            candidates.push(parent(r));
        }
    }
    for u in units(repo) {
        for d in DEFAULT_DIRS {
            candidates.push(format!("{}/{d}", u.dir));
        }
    }
    let mut out: Vec<(String, detect::Framework)> = Vec::new();
    for c in candidates {
        let c = c.trim_start_matches("./").to_string();
        let dir = if c == "." { repo.to_path_buf() } else { repo.join(&c) };
        if !dir.is_dir() || out.iter().any(|(d, _)| *d == c) {
            continue;
        }
        if let Some(f) = detect::detect(repo, &dir) {
            out.push((c, f));
        }
    }
    out
}

/// The deepest directory holding every path (`.` for the root), `None` for no paths.
fn common_parent(dirs: &[String]) -> Option<String> {
    let first = dirs.first()?;
    let mut common: Vec<&str> = first.split('/').filter(|s| *s != ".").collect();
    for d in &dirs[1..] {
        let parts: Vec<&str> = d.split('/').filter(|s| *s != ".").collect();
        let n = common.iter().zip(&parts).take_while(|(a, b)| a == b).count();
        common.truncate(n);
    }
    Some(if common.is_empty() { ".".into() } else { common.join("/") })
}

/// `package.json` `"prisma": {"schema": "src/prisma/schema.prisma"}` → `src/prisma/migrations`.
pub fn prisma_migrations(repo: &Path) -> Option<String> {
    let text = std::fs::read_to_string(repo.join("package.json")).ok()?;
    let pkg: serde_json::Value = serde_json::from_str(&text).ok()?;
    let schema = pkg.pointer("/prisma/schema")?.as_str()?;
    let dir = parent(schema.trim_start_matches("./"));
    Some(if dir == "." { "migrations".into() } else { format!("{dir}/migrations") })
}

/// A unit of a monorepo: a directory below the root with its own manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// Repository-relative directory (`src/cartservice`).
    pub dir: String,
    /// The manifest that makes it a unit (`go.mod`, `pom.xml`, `Dockerfile`, …).
    pub manifest: String,
}

/// Manifests that make a directory a unit, in the order they are reported.
const UNIT_MANIFESTS: &[&str] = &[
    "Cargo.toml",
    "go.mod",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "Gemfile",
    "pyproject.toml",
    "requirements.txt",
    "package.json",
    "Dockerfile",
];

/// Units: directories one level under the root or under `services/`, `apps/`, `packages/`,
/// `src/`, `cmd/`, `backend/`-style containers, holding a manifest of their own (`*.csproj`
/// counts as one; a `Dockerfile` counts only beside other units' manifests in `src/*` or
/// `services/*`).
pub fn units(repo: &Path) -> Vec<Unit> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    let list = |d: &Path| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(d)
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_dir()).collect())
            .unwrap_or_default();
        v.sort();
        v
    };
    for d in list(repo) {
        let name = d.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.starts_with('.') || SKIP_DIRS.contains(&name.as_str()) {
            continue;
        }
        if matches!(name.as_str(), "services" | "apps" | "packages" | "src" | "modules" | "cmd") {
            dirs.extend(list(&d));
        }
        dirs.push(d);
    }
    let mut out = Vec::new();
    for d in dirs {
        let Some(unit_dir) = rel(repo, &d) else { continue };
        let manifest = UNIT_MANIFESTS
            .iter()
            .find(|m| d.join(m).is_file())
            .map(|m| m.to_string())
            .or_else(|| {
                std::fs::read_dir(&d).ok().and_then(|rd| {
                    rd.filter_map(|e| e.ok())
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .find(|n| n.ends_with(".csproj") || n.ends_with(".sln"))
                })
            })
            .or_else(|| {
                // A service whose Dockerfile sits one level down (src/cartservice/src/Dockerfile).
                list(&d)
                    .into_iter()
                    .find(|s| s.join("Dockerfile").is_file() || s.join("go.mod").is_file())
                    .and_then(|s| rel(&d, &s.join("Dockerfile")))
            });
        let Some(manifest) = manifest else { continue };
        // A root-level `src/` or `docs/` with a package.json for tooling is not a service
        // unless it sits in a container directory.
        let top = !unit_dir.contains('/');
        if top
            && matches!(
                unit_dir.as_str(),
                "docs" | "doc" | "test" | "tests" | "scripts" | "examples"
            )
        {
            continue;
        }
        out.push(Unit { dir: unit_dir, manifest });
    }
    // A container (`src`, `services`) listed itself and its children: keep the children.
    let containers: Vec<String> = out
        .iter()
        .filter(|u| out.iter().any(|v| v.dir.starts_with(&format!("{}/", u.dir))))
        .map(|u| u.dir.clone())
        .collect();
    out.retain(|u| !containers.contains(&u.dir));
    out
}

/// readyctl's own files, which `search` must never match: checklists (`readiness.yaml`, any
/// YAML with `version:` and `checks:`), the JSON Schema `init` writes, and run directories.
pub fn is_readyctl_file(repo: &Path, rel: &str) -> bool {
    let name = base_name(rel);
    if rel.starts_with(".readyctl/") || name == "checklist.schema.json" {
        return true;
    }
    if name == "readiness.yaml" || name == "readiness.yml" {
        return true;
    }
    if !(name.ends_with(".yaml") || name.ends_with(".yml")) {
        return false;
    }
    // A checklist anywhere: `version: 1` and a top-level `checks:` list of probes.
    let Ok(text) = std::fs::read_to_string(repo.join(rel)) else { return false };
    text.lines().any(|l| l.starts_with("version:"))
        && text.lines().any(|l| l.starts_with("checks:"))
        && text.lines().any(|l| l.trim_start().starts_with("- id:"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::detect::Framework;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (rel, text) in files {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    #[test]
    fn dockerfiles_by_name_anywhere_and_by_content_under_docker_and_deploy() {
        let d = tree(&[
            ("Dockerfile", "FROM a:1\n"),
            ("Dockerfile.dev", "FROM a:1\n"),
            ("docker/production.Dockerfile", "FROM a:1\n"),
            ("docker/web", "# web\nARG V=1\nFROM a:$V\n"),
            ("docker/entrypoint.sh", "FROM is not a shell word\n"),
            ("deploy/api.df", "FROM a:1\n"),
            ("src/cartservice/src/Dockerfile", "FROM a:1\n"),
            ("node_modules/x/Dockerfile", "FROM a:1\n"),
            (".devcontainer/Dockerfile", "FROM a:1\n"),
            ("Dockerfile.dockerignore", "*\n"),
        ]);
        assert_eq!(
            dockerfiles(d.path()),
            vec![
                "Dockerfile",
                "Dockerfile.dev",
                "deploy/api.df",
                "docker/production.Dockerfile",
                "docker/web",
                "src/cartservice/src/Dockerfile",
            ]
        );
    }

    #[test]
    fn kubernetes_helm_and_compose_wherever_they_are() {
        let d = tree(&[
            ("kubernetes-manifests/a.yaml", "apiVersion: apps/v1\nkind: Deployment\n"),
            ("release/all.yaml", "apiVersion: apps/v1\nkind: StatefulSet\n"),
            ("ops/chart/Chart.yaml", "name: x\n"),
            ("ops/chart/templates/d.yaml", "kind: Deployment\n{{ .Values }}\n"),
            ("dev/docker-compose.yml", "services: {}\n"),
            (".github/workflows/ci.yml", "on: push\n"),
        ]);
        assert_eq!(
            k8s_manifests(d.path()),
            vec!["kubernetes-manifests/a.yaml", "release/all.yaml"]
        );
        assert_eq!(helm_charts(d.path()), vec!["ops/chart"]);
        assert_eq!(compose_files(d.path()), vec!["dev/docker-compose.yml"]);
    }

    const DJANGO: &str = "from django.db import migrations\nclass Migration(migrations.Migration):\n    dependencies = []\n    operations = []\n";

    #[test]
    fn django_migrations_per_app_at_any_depth() {
        let d = tree(&[
            ("manage.py", ""),
            ("conduit/apps/articles/migrations/0001_initial.py", DJANGO),
            ("conduit/apps/articles/migrations/__init__.py", ""),
            ("conduit/apps/profiles/migrations/0001_initial.py", DJANGO),
            (".venv/lib/site-packages/django/contrib/auth/migrations/0001_initial.py", DJANGO),
        ]);
        let got = migration_dirs(d.path());
        assert_eq!(got, vec![("conduit/apps".to_string(), Framework::Django)]);
    }

    #[test]
    fn rails_prisma_flyway_and_unit_migrations() {
        let rails = "class CreateUsers < ActiveRecord::Migration[7.1]\n  def change\n  end\nend\n";
        let d = tree(&[
            ("db/migrate/20240101000000_create_users.rb", rails),
            ("package.json", r#"{"prisma": {"schema": "src/prisma/schema.prisma"}}"#),
            ("src/prisma/schema.prisma", "datasource db {}\n"),
            ("src/prisma/migrations/migration_lock.toml", "provider = \"postgresql\"\n"),
            ("src/prisma/migrations/20240101_init/migration.sql", "CREATE TABLE a (id int);\n"),
            ("services/billing/go.mod", "module x\n"),
            ("services/billing/db/migrations/0001_init.up.sql", "CREATE TABLE b (id int);\n"),
            ("services/billing/db/migrations/0001_init.down.sql", "DROP TABLE b;\n"),
            ("api/src/main/resources/db/migration/V1__init.sql", "CREATE TABLE c (id int);\n"),
        ]);
        let got: Vec<String> = migration_dirs(d.path()).into_iter().map(|(d, _)| d).collect();
        for want in [
            "db/migrate",
            "src/prisma/migrations",
            "services/billing/db/migrations",
            "api/src/main/resources/db/migration",
        ] {
            assert!(got.contains(&want.to_string()), "{want} not in {got:?}");
        }
        assert_eq!(got[0], "db/migrate");
    }

    #[test]
    fn units_of_a_monorepo() {
        let d = tree(&[
            ("src/frontend/go.mod", "module f\n"),
            ("src/cartservice/src/Dockerfile", "FROM a:1\n"),
            ("src/adservice/build.gradle", ""),
            ("src/emailservice/requirements.txt", ""),
            ("services/api/package.json", "{}"),
            ("docs/package.json", "{}"),
            ("helm-chart/Chart.yaml", ""),
        ]);
        let got: Vec<(String, String)> =
            units(d.path()).into_iter().map(|u| (u.dir, u.manifest)).collect();
        assert_eq!(
            got,
            vec![
                ("services/api".into(), "package.json".into()),
                ("src/adservice".into(), "build.gradle".into()),
                ("src/cartservice".into(), "src/Dockerfile".into()),
                ("src/emailservice".into(), "requirements.txt".into()),
                ("src/frontend".into(), "go.mod".into()),
            ]
        );
    }

    #[test]
    fn readyctl_files_are_recognised() {
        let d = tree(&[
            ("readiness.yaml", "version: 1\nchecks: []\n"),
            ("ops/extra.yaml", "version: 1\nchecks:\n  - id: a.b\n    search: { pattern: x }\n"),
            ("ops/other.yaml", "version: 1\nchecks: []\n"),
        ]);
        assert!(is_readyctl_file(d.path(), "readiness.yaml"));
        assert!(is_readyctl_file(d.path(), ".readyctl/runs/x/evidence/a/stdout.log"));
        assert!(is_readyctl_file(d.path(), "checklist.schema.json"));
        assert!(is_readyctl_file(d.path(), "ops/extra.yaml"));
        assert!(!is_readyctl_file(d.path(), "ops/other.yaml"));
        assert!(!is_readyctl_file(d.path(), "src/main.rs"));
    }
}
