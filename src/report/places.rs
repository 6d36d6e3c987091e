//! Where reporters point: every path in SARIF, annotations, GitLab Code Quality and JUnit is
//! relative to the repository root (see [`RepoPaths`]), and every check has a place — its
//! finding locations, else the checklist line that defines it, else (built-in checklists) the
//! repository file the run detected the stack from.

use crate::outcome::CheckResult;
use crate::record::{RepoPaths, RunRecord};

/// A file (relative to the repository root, `/`-separated) and optionally a line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub path: String,
    pub line: Option<u64>,
    pub column: Option<u64>,
}

/// `a/./b/../c` → `a/c`; leading `..` that would leave the root are kept.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// A finding's path (relative to the checked directory) relative to the repository root.
pub fn in_repo(record: &RunRecord, path: &str) -> String {
    let path = path.replace('\\', "/");
    match &record.paths {
        Some(RepoPaths { target, .. }) if !target.is_empty() => {
            normalize(&format!("{target}/{path}"))
        }
        _ => normalize(&path),
    }
}

/// The checklist line that defines `r`, when the checklist file is in the repository.
pub fn defining(record: &RunRecord, r: &CheckResult) -> Option<Place> {
    let (file, line) = r.defined_at.in_file()?;
    let path = match &record.paths {
        Some(paths) => paths.checklist_files.get(file)?.clone(),
        // Runs recorded before `paths`: the checklist path as recorded.
        None => file.to_owned(),
    };
    Some(Place { path, line, column: None })
}

/// Where a check without finding locations is reported: its checklist line, else the anchor
/// file (`None` only for a record without either, such as a built-in run of an empty
/// directory).
pub fn fallback(record: &RunRecord, r: &CheckResult) -> Option<Place> {
    defining(record, r).or_else(|| {
        let anchor = record.paths.as_ref()?.anchor.clone()?;
        Some(Place { path: anchor, line: None, column: None })
    })
}

/// The first place of a check: its first finding location, else [`fallback`].
pub fn primary(record: &RunRecord, r: &CheckResult) -> Option<Place> {
    match r.locations.first() {
        Some(l) => Some(Place { path: in_repo(record, &l.path), line: l.line, column: l.column }),
        None => fallback(record, r),
    }
}

/// One finding as SARIF and Code Quality report it: the message (`base`, then the finding's
/// own message), its path relative to the repository root, and the key its fingerprint is
/// computed from (check id, path, rule, message).
pub fn finding(
    record: &RunRecord,
    r: &CheckResult,
    l: &crate::outcome::Location,
    base: &str,
) -> (String, String, Vec<String>) {
    let message = match &l.message {
        Some(m) => format!("{base} — {m}"),
        None => base.to_string(),
    };
    let path = in_repo(record, &l.path);
    let key = vec![
        r.id.clone(),
        path.clone(),
        l.rule.clone().unwrap_or_default(),
        l.message.clone().unwrap_or_default(),
    ];
    (message, path, key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(paths: Option<RepoPaths>) -> RunRecord {
        let mut r: RunRecord = serde_json::from_value(serde_json::json!({
            "tool": { "name": "readyctl", "version": "0" },
            "run": { "id": "x", "started": "s", "finished": "f", "invocation": [], "interrupted": false },
            "checklist": { "name": "n", "source": "services/api/readiness.yaml", "sha256": "0", "sources": [] },
            "policy": { "fail_on": "high" },
            "results": [],
            "summary": serde_json::to_value(crate::verdict::summarize(
                &[],
                &serde_json::from_value(serde_json::json!({ "fail_on": "high" })).unwrap(),
                false,
            ))
            .unwrap(),
        }))
        .unwrap();
        r.paths = paths;
        r
    }

    fn result(defined_at: &str, location: Option<&str>) -> CheckResult {
        let mut v = serde_json::json!({
            "id": "a.b", "title": "T", "area": "a", "severity": "high", "probe": "file",
            "status": "fail", "reason": "r", "duration_ms": 0, "attempts": 1, "defined_at": defined_at,
        });
        if let Some(p) = location {
            v["locations"] = serde_json::json!([{ "path": p, "line": 3 }]);
        }
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn monorepo_paths_are_relative_to_the_repository_root() {
        let paths = RepoPaths {
            target: "services/api".into(),
            checklist_files: [(
                "readiness.yaml".to_string(),
                "services/api/readiness.yaml".to_string(),
            )]
            .into(),
            anchor: Some("services/api/pyproject.toml".into()),
        };
        let rec = record(Some(paths));
        let p = primary(&rec, &result("readiness.yaml:7", Some("./src/../src/app.py"))).unwrap();
        assert_eq!((p.path.as_str(), p.line), ("services/api/src/app.py", Some(3)));
        let p = primary(&rec, &result("readiness.yaml:7", None)).unwrap();
        assert_eq!((p.path.as_str(), p.line), ("services/api/readiness.yaml", Some(7)));
        // A built-in check, or a checklist outside the repository: the anchor file.
        for defined in ["builtin:python-service:12", "/etc/readiness.yaml:3"] {
            let p = primary(&rec, &result(defined, None)).unwrap();
            assert_eq!((p.path.as_str(), p.line), ("services/api/pyproject.toml", None));
        }
    }

    #[test]
    fn older_records_keep_their_paths() {
        let rec = record(None);
        assert_eq!(
            primary(&rec, &result("readiness.yaml:7", None)).unwrap().path,
            "readiness.yaml"
        );
        assert_eq!(primary(&rec, &result("builtin:base:1", None)), None);
        assert_eq!(in_repo(&rec, "a/./b/../c"), "a/c");
    }
}
