//! Integrity of a migration set without a database: duplicate versions, unrecognized files,
//! missing downs, alembic heads, naming, `atlas.sum` (Atlas's own algorithm) and
//! `migrations.lock` (a sha256 per released migration, to catch edits after release).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use regex::Regex;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::detect::{Framework, Kind, MigrationSet, version_key};
use crate::text::sha256_hex;

/// Whether a finding fails the check or is only reported.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "FindingLevel")]
pub enum Level {
    /// Reported, and the check fails.
    Fail,
    /// Reported; the check can still pass.
    Warn,
    /// Not reported.
    Off,
}

/// One integrity problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// Stable id: `duplicate-version`, `multiple-heads`, `checksum-drift`, …
    pub rule: &'static str,
    pub level: Level,
    /// Repository-relative path the issue is about.
    pub path: String,
    pub message: String,
}

pub struct Options<'a> {
    pub missing_down: Level,
    /// Regex every migration file name must match.
    pub naming: Option<&'a Regex>,
}

fn issue(rule: &'static str, level: Level, path: &str, message: String) -> Issue {
    Issue { rule, level, path: path.to_string(), message }
}

/// Checks that need only the files.
pub fn check(set: &MigrationSet, opts: &Options<'_>) -> Vec<Issue> {
    let mut out = Vec::new();
    for (path, why) in &set.unrecognized {
        out.push(issue(
            "unrecognized-file",
            Level::Fail,
            path,
            format!("{path}: {why}; {} will not run it", set.framework.as_str()),
        ));
    }
    // Duplicate versions (numerically equal counts: `001` and `1` collide in every framework
    // that parses versions as numbers).
    let mut seen: BTreeMap<(Vec<u128>, String), &str> = BTreeMap::new();
    for m in set.migrations.iter().filter(|m| m.kind != Kind::Repeatable) {
        let key = if matches!(set.framework, Framework::Alembic | Framework::Django) {
            (Vec::new(), m.version.clone())
        } else {
            version_key(&m.version)
        };
        let file = m.files.first().map(String::as_str).unwrap_or("");
        if let Some(first) = seen.insert(key, file) {
            out.push(issue(
                "duplicate-version",
                Level::Fail,
                file,
                format!("version {} is used by both {first} and {file}", m.version),
            ));
        }
    }
    // Missing downs.
    if opts.missing_down != Level::Off && set.framework.supports_down() {
        let applies = match set.framework {
            // Reversible sqlx / Flyway undo are opt-in: only demand downs once the set uses them.
            Framework::Sqlx | Framework::Flyway => set.migrations.iter().any(|m| m.down.is_some()),
            _ => true,
        };
        // An alembic merge revision has nothing to undo by construction.
        for m in set
            .migrations
            .iter()
            .filter(|m| applies && m.kind == Kind::Versioned && m.parents.len() < 2)
        {
            // Code migrations (alembic, Rails, Knex, TypeORM) and Liquibase's deliberate
            // `--rollback not required` set `has_code_down`.
            let missing = m.down.is_none() && !m.has_code_down;
            if missing {
                let file = m.files.first().cloned().unwrap_or_default();
                out.push(issue(
                    "missing-down",
                    opts.missing_down,
                    &file,
                    format!("migration {} ({}) has no down migration", m.version, m.name),
                ));
            }
        }
    }
    if set.framework == Framework::Rails {
        // Rails refuses two migrations with the same name (DuplicateMigrationNameError).
        let mut names: BTreeMap<&str, &str> = BTreeMap::new();
        for m in &set.migrations {
            let file = m.files.first().map(String::as_str).unwrap_or("");
            if let Some(first) = names.insert(m.name.as_str(), file) {
                out.push(issue(
                    "duplicate-name",
                    Level::Fail,
                    file,
                    format!("migration name {} is used by both {first} and {file}; Rails refuses to run", m.name),
                ));
            }
        }
    }
    if set.framework == Framework::Alembic {
        alembic_graph(set, &mut out);
    } else if set.framework == Framework::Django {
        django_graph(set, &mut out);
    } else {
        mixed_version_styles(set, &mut out);
    }
    if let Some(re) = opts.naming {
        for m in &set.migrations {
            for f in &m.files {
                let name = f.rsplit('/').next().unwrap_or(f);
                let dir_name = f.rsplit('/').nth(1).unwrap_or("");
                let matched = re.is_match(name)
                    || (matches!(set.framework, Framework::Diesel | Framework::Prisma)
                        && re.is_match(dir_name));
                if !matched {
                    out.push(issue(
                        "naming",
                        Level::Fail,
                        f,
                        format!("{f} does not match the naming convention `{}`", re.as_str()),
                    ));
                }
            }
        }
    }
    out
}

fn mixed_version_styles(set: &MigrationSet, out: &mut Vec<Issue>) {
    let styles: BTreeSet<bool> = set
        .migrations
        .iter()
        .filter(|m| m.kind == Kind::Versioned && m.version.chars().all(|c| c.is_ascii_digit()))
        .map(|m| m.version.len() >= 12)
        .collect();
    if styles.len() > 1 {
        let dir = set.migrations.first().and_then(|m| m.files.first()).cloned().unwrap_or_default();
        out.push(issue("mixed-version-styles", Level::Warn, &dir, "timestamp and sequential versions are mixed: new sequential versions sort before every timestamp".into()));
    }
}

/// Alembic revision graph: unknown parents, more than one head, more than one base, cycles.
fn alembic_graph(set: &MigrationSet, out: &mut Vec<Issue>) {
    let ids: BTreeSet<&str> = set.migrations.iter().map(|m| m.version.as_str()).collect();
    let mut referenced: BTreeSet<&str> = BTreeSet::new();
    for m in &set.migrations {
        for p in &m.parents {
            referenced.insert(p.as_str());
            if !ids.contains(p.as_str()) {
                let file = m.files.first().cloned().unwrap_or_default();
                out.push(issue(
                    "unknown-parent",
                    Level::Fail,
                    &file,
                    format!("revision {} has down_revision {p}, which no file defines", m.version),
                ));
            }
        }
    }
    let heads: Vec<&str> = ids.iter().copied().filter(|id| !referenced.contains(id)).collect();
    if heads.len() > 1 {
        out.push(issue(
            "multiple-heads",
            Level::Fail,
            &rel_dir(set),
            format!(
                "{} heads: {}; merge them with `alembic merge heads`",
                heads.len(),
                heads.join(", ")
            ),
        ));
    }
    let bases: Vec<&str> = set
        .migrations
        .iter()
        .filter(|m| m.parents.is_empty())
        .map(|m| m.version.as_str())
        .collect();
    if bases.len() > 1 {
        out.push(issue(
            "multiple-bases",
            Level::Warn,
            &rel_dir(set),
            format!("{} base revisions: {}", bases.len(), bases.join(", ")),
        ));
    }
    if !set.migrations.is_empty() && heads.is_empty() {
        out.push(issue(
            "revision-cycle",
            Level::Fail,
            &rel_dir(set),
            "every revision is some revision's parent: the graph has a cycle".into(),
        ));
    }
}

/// Django: one graph per app; more than one leaf in an app is what `makemigrations --check`
/// calls "Conflicting migrations".
fn django_graph(set: &MigrationSet, out: &mut Vec<Issue>) {
    let mut apps: BTreeMap<&str, Vec<&super::detect::Migration>> = BTreeMap::new();
    for m in &set.migrations {
        apps.entry(m.version.split('.').next().unwrap_or("")).or_default().push(m);
    }
    let ids: BTreeSet<&str> = set.migrations.iter().map(|m| m.version.as_str()).collect();
    for (app, ms) in apps {
        let referenced: BTreeSet<&str> =
            ms.iter().flat_map(|m| m.parents.iter().map(String::as_str)).collect();
        for m in &ms {
            for p in m.parents.iter().filter(|p| !ids.contains(p.as_str())) {
                let file = m.files.first().cloned().unwrap_or_default();
                out.push(issue(
                    "unknown-parent",
                    Level::Fail,
                    &file,
                    format!("{} depends on {p}, which no file defines", m.version),
                ));
            }
        }
        let leaves: Vec<&str> = ms
            .iter()
            .map(|m| m.name.as_str())
            .filter(|n| !referenced.contains(format!("{app}.{n}").as_str()))
            .collect();
        if leaves.len() > 1 {
            let dir =
                ms[0].files[0].rsplit_once('/').map(|(d, _)| d.to_string()).unwrap_or_default();
            out.push(issue(
                "multiple-heads",
                Level::Fail,
                &dir,
                format!(
                    "app {app} has {} leaf migrations: {}; run `manage.py makemigrations --merge`",
                    leaves.len(),
                    leaves.join(", ")
                ),
            ));
        }
    }
}

fn rel_dir(set: &MigrationSet) -> String {
    set.migrations
        .first()
        .and_then(|m| m.files.first())
        .and_then(|f| f.rsplit_once('/').map(|(d, _)| d.to_string()))
        .unwrap_or_default()
}

/// The heads of an alembic revision graph (revisions no other revision names as parent).
pub fn alembic_heads(set: &MigrationSet) -> Vec<String> {
    let referenced: BTreeSet<&str> =
        set.migrations.iter().flat_map(|m| m.parents.iter().map(String::as_str)).collect();
    set.migrations
        .iter()
        .map(|m| m.version.clone())
        .filter(|v| !referenced.contains(v.as_str()))
        .collect()
}

/// Atlas's `atlas.sum`: a running sha256 over each `.sql` file's name then contents, in
/// file-name order; each line records the base64 of the running sum after that file; the first
/// line is `h1:` + base64(sha256(name₁ ‖ h₁ ‖ name₂ ‖ h₂ …)) over the recorded lines.
pub fn atlas_sum(files: &[(String, Vec<u8>)]) -> String {
    let mut running = Sha256::new();
    let mut lines = Vec::new();
    for (name, bytes) in files {
        running.update(name.as_bytes());
        running.update(bytes);
        lines.push((name.clone(), B64.encode(running.clone().finalize())));
    }
    let mut total = Sha256::new();
    for (n, h) in &lines {
        total.update(n.as_bytes());
        total.update(h.as_bytes());
    }
    let mut out = format!("h1:{}\n", B64.encode(total.finalize()));
    for (n, h) in lines {
        out.push_str(&format!("{n} h1:{h}\n"));
    }
    out
}

/// Verifies `dir/atlas.sum` against the directory's `.sql` files.
pub fn check_atlas_sum(repo: &Path, dir: &Path) -> Vec<Issue> {
    let sum_path = dir.join("atlas.sum");
    let rel = crate::text::repo_relative(&sum_path, repo);
    let recorded = match std::fs::read_to_string(&sum_path) {
        Ok(t) => t,
        Err(e) => {
            return vec![issue(
                "atlas-sum-missing",
                Level::Fail,
                &rel,
                format!("cannot read {rel}: {e}"),
            )];
        }
    };
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.path().is_file() && e.file_name().to_string_lossy().ends_with(".sql"))
                .filter_map(|e| {
                    Some((
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read(e.path()).ok()?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let computed = atlas_sum(&files);
    if computed == recorded {
        return Vec::new();
    }
    let parse = |t: &str| -> BTreeMap<String, String> {
        t.lines()
            .skip(1)
            .filter_map(|l| l.rsplit_once(" h1:").map(|(n, h)| (n.to_string(), h.to_string())))
            .collect()
    };
    let (want, have) = (parse(&recorded), parse(&computed));
    let mut names: Vec<String> = Vec::new();
    for (n, h) in &have {
        match want.get(n) {
            None => names.push(format!("{n} (not in atlas.sum)")),
            Some(w) if w != h => names.push(n.clone()),
            _ => {}
        }
    }
    for n in want.keys().filter(|n| !have.contains_key(*n)) {
        names.push(format!("{n} (in atlas.sum, missing on disk)"));
    }
    // Sums chain: a change shows at the first changed file and every file after it.
    let first = names.first().cloned().unwrap_or_else(|| "the total sum line".into());
    vec![issue(
        "atlas-sum-mismatch",
        Level::Fail,
        &rel,
        format!(
            "atlas.sum does not match the migration files, starting at {first}; run `atlas migrate hash` only if the change is intended"
        ),
    )]
}

/// `migrations.lock`: the sha256 of every migration's files, written by `readyctl migrations lock`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    pub version: u32,
    pub framework: String,
    pub migrations: Vec<LockedMigration>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockedMigration {
    pub version: String,
    /// Repository-relative path.
    pub file: String,
    pub sha256: String,
}

/// The lock for the set as it is on disk now.
pub fn build_lock(repo: &Path, set: &MigrationSet) -> Result<Lock, String> {
    let mut migrations = Vec::new();
    for m in &set.migrations {
        for f in &m.files {
            let bytes = std::fs::read(repo.join(f)).map_err(|e| format!("cannot read {f}: {e}"))?;
            migrations.push(LockedMigration {
                version: m.version.clone(),
                file: f.clone(),
                sha256: sha256_hex(&bytes),
            });
        }
    }
    Ok(Lock { version: 1, framework: set.framework.as_str().to_string(), migrations })
}

/// Writes `lock_path` for the set (what `readyctl migrations lock` calls). Returns the number
/// of files recorded.
pub fn write_lock(repo: &Path, set: &MigrationSet, lock_path: &Path) -> Result<usize, String> {
    let lock = build_lock(repo, set)?;
    let mut text = serde_json::to_string_pretty(&lock).map_err(|e| e.to_string())?;
    text.push('\n');
    std::fs::write(lock_path, text)
        .map_err(|e| format!("cannot write {}: {e}", lock_path.display()))?;
    Ok(lock.migrations.len())
}

/// The repository-relative files recorded in a lock file.
pub fn locked_files(lock_path: &Path) -> Result<BTreeSet<String>, String> {
    let text = std::fs::read_to_string(lock_path)
        .map_err(|e| format!("cannot read {}: {e}", lock_path.display()))?;
    let lock: Lock = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    Ok(lock.migrations.into_iter().map(|m| m.file).collect())
}

/// Compares the set with a lock: edited or removed locked files, and new migrations that sort
/// before the newest locked one (they would be skipped or rejected where already deployed).
pub fn check_lock(repo: &Path, set: &MigrationSet, lock_path: &Path) -> Result<Vec<Issue>, String> {
    let rel = crate::text::repo_relative(lock_path, repo);
    let text = std::fs::read_to_string(lock_path).map_err(|e| format!("cannot read {rel}: {e}"))?;
    let lock: Lock = serde_json::from_str(&text)
        .map_err(|e| format!("{rel}: not a readyctl migrations.lock: {e}"))?;
    let now = build_lock(repo, set)?;
    let current: BTreeMap<&str, &LockedMigration> =
        now.migrations.iter().map(|m| (m.file.as_str(), m)).collect();
    let locked_files: BTreeSet<&str> = lock.migrations.iter().map(|m| m.file.as_str()).collect();
    let mut out = Vec::new();
    for l in &lock.migrations {
        match current.get(l.file.as_str()) {
            None => out.push(issue("locked-migration-removed", Level::Fail, &l.file, format!("{} (version {}) is recorded in {rel} but no longer exists", l.file, l.version))),
            Some(c) if c.sha256 != l.sha256 => out.push(issue("checksum-drift", Level::Fail, &l.file, format!("{} was edited after it was locked (sha256 {} → {}); add a new migration instead", l.file, l.sha256.chars().take(12).collect::<String>(), c.sha256.chars().take(12).collect::<String>()))),
            _ => {}
        }
    }
    if !matches!(set.framework, Framework::Alembic | Framework::Django | Framework::Liquibase) {
        let newest = lock.migrations.iter().map(|m| version_key(&m.version)).max();
        if let Some(newest) = newest {
            for m in set.migrations.iter().filter(|m| m.kind == Kind::Versioned) {
                let is_new = m.files.iter().all(|f| !locked_files.contains(f.as_str()));
                if is_new && version_key(&m.version) < newest {
                    let file = m.files.first().cloned().unwrap_or_default();
                    out.push(issue("out-of-order", Level::Fail, &file, format!("new migration {} sorts before already-locked migrations; give it a newer version", m.version)));
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::detect::load;

    fn tmp(name: &str, files: &[(&str, &str)]) -> crate::migrations::TestTree {
        crate::migrations::test_tree(&format!("integrity-{name}"), files)
    }
    fn opts() -> Options<'static> {
        Options { missing_down: Level::Warn, naming: None }
    }
    fn rules(v: &[Issue]) -> Vec<&str> {
        v.iter().map(|i| i.rule).collect()
    }

    #[test]
    fn duplicates_missing_downs_and_unrecognized_files() {
        let d = tmp(
            "dup",
            &[
                ("m/001_a.up.sql", "CREATE TABLE a (id int);"),
                ("m/001_a.down.sql", "DROP TABLE a;"),
                ("m/1_b.up.sql", "CREATE TABLE b (id int);"),
                ("m/add_c.sql", ""),
            ],
        );
        let set = load(&d, &d.join("m"), Framework::GolangMigrate).unwrap();
        let issues = check(&set, &opts());
        assert_eq!(rules(&issues), ["unrecognized-file", "duplicate-version", "missing-down"]);
        assert_eq!(issues[2].level, Level::Warn);
        let strict = check(&set, &Options { missing_down: Level::Fail, naming: None });
        assert_eq!(strict[2].level, Level::Fail);
    }

    #[test]
    fn naming_convention() {
        let d = tmp("naming", &[("m/20240101000000_ok.sql", ""), ("m/2_Bad-Name.sql", "")]);
        let set = load(&d, &d.join("m"), Framework::Sqlx).unwrap();
        let re = Regex::new(r"^\d{14}_[a-z0-9_]+\.sql$").unwrap();
        let issues = check(&set, &Options { missing_down: Level::Off, naming: Some(&re) });
        assert_eq!(rules(&issues), ["mixed-version-styles", "naming"]);
        assert!(issues[1].path.ends_with("2_Bad-Name.sql"));
    }

    #[test]
    fn alembic_heads_are_named() {
        let d = tmp(
            "heads",
            &[
                ("m/a.py", "revision = 'a'\ndown_revision = None\n"),
                ("m/b.py", "revision = 'b'\ndown_revision = 'a'\n"),
                ("m/c.py", "revision = 'c'\ndown_revision = 'a'\n"),
            ],
        );
        let set = load(&d, &d.join("m"), Framework::Alembic).unwrap();
        let issues = check(&set, &Options { missing_down: Level::Off, naming: None });
        assert_eq!(rules(&issues), ["multiple-heads"]);
        assert!(issues[0].message.contains("b, c"));
        std::fs::write(d.join("m/d.py"), "revision = 'd'\ndown_revision = ('b', 'c')\n").unwrap();
        let set = load(&d, &d.join("m"), Framework::Alembic).unwrap();
        assert!(check(&set, &Options { missing_down: Level::Off, naming: None }).is_empty());
        assert_eq!(alembic_heads(&set), ["d"]);
    }

    /// The expected value was derived by hand from Atlas's algorithm (migrate/dir.go,
    /// `NewHashFile` and `HashFile.Sum`), independently of `atlas_sum`, with coreutils:
    ///   printf '1_a.sqlA' | sha256sum → base64 of the raw digest = h₁
    ///   printf '1_a.sqlA2_b.sqlB' | sha256sum → base64 = h₂ (the hash runs on, it is not reset)
    ///   total = base64(sha256('1_a.sql' ‖ h₁ ‖ '2_b.sql' ‖ h₂))
    /// computed with: python3 -c "import hashlib,base64 as b; ..." (see docs/migrations.md).
    #[test]
    fn atlas_sum_matches_independent_derivation() {
        let b64 = |d: &[u8]| B64.encode(Sha256::digest(d));
        let h1 = b64(b"1_a.sqlA");
        let h2 = b64(b"1_a.sqlA2_b.sqlB");
        let total = b64(format!("1_a.sql{h1}2_b.sql{h2}").as_bytes());
        let want = format!("h1:{total}\n1_a.sql h1:{h1}\n2_b.sql h1:{h2}\n");
        let got =
            atlas_sum(&[("1_a.sql".into(), b"A".to_vec()), ("2_b.sql".into(), b"B".to_vec())]);
        assert_eq!(got, want);
        // Fixed vectors from the python one-liner (hashlib + base64), so a change of base64
        // alphabet or padding, or of the chaining, is caught too.
        assert_eq!(
            got,
            "h1:aUz4+Af+bwwtJXIQRgaOfmZ7rVttOa7P3txMnY5iZj8=\n\
             1_a.sql h1:Qr90h1c6HYA3HCaItb2OEjU8HoY51AfBESX572nGYLI=\n\
             2_b.sql h1:9Iz2rQ/GOciti+G8C88zOTy/BjuhrqLUQbBFaPDyxr4=\n"
        );
    }

    #[test]
    fn atlas_sum_detects_edits() {
        let d = tmp("atlas", &[("m/1_a.sql", "A"), ("m/2_b.sql", "B")]);
        let sum =
            atlas_sum(&[("1_a.sql".into(), b"A".to_vec()), ("2_b.sql".into(), b"B".to_vec())]);
        std::fs::write(d.join("m/atlas.sum"), sum).unwrap();
        assert!(check_atlas_sum(&d, &d.join("m")).is_empty());
        std::fs::write(d.join("m/1_a.sql"), "A2").unwrap();
        let issues = check_atlas_sum(&d, &d.join("m"));
        assert_eq!(rules(&issues), ["atlas-sum-mismatch"]);
        assert!(issues[0].message.contains("starting at 1_a.sql"));
    }

    #[test]
    fn lock_catches_edits_removals_and_out_of_order() {
        let d = tmp(
            "lock",
            &[
                ("m/10_a.sql", "CREATE TABLE a (id int);"),
                ("m/20_b.sql", "CREATE TABLE b (id int);"),
            ],
        );
        let dir = d.join("m");
        let set = load(&d, &dir, Framework::Sqlx).unwrap();
        assert_eq!(write_lock(&d, &set, &dir.join("migrations.lock")).unwrap(), 2);
        let set = load(&d, &dir, Framework::Sqlx).unwrap();
        assert!(check_lock(&d, &set, &dir.join("migrations.lock")).unwrap().is_empty());
        std::fs::write(dir.join("10_a.sql"), "CREATE TABLE a (id bigint);").unwrap();
        std::fs::remove_file(dir.join("20_b.sql")).unwrap();
        std::fs::write(dir.join("15_c.sql"), "SELECT 1;").unwrap();
        std::fs::write(dir.join("30_d.sql"), "SELECT 1;").unwrap();
        let set = load(&d, &dir, Framework::Sqlx).unwrap();
        let issues = check_lock(&d, &set, &dir.join("migrations.lock")).unwrap();
        assert_eq!(rules(&issues), ["checksum-drift", "locked-migration-removed", "out-of-order"]);
        assert!(issues[2].path.ends_with("15_c.sql"));
    }
}
