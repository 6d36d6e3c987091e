//! `k8s`: Kubernetes workloads (Deployments, StatefulSets, DaemonSets) are production-shaped —
//! resource requests and limits, liveness and readiness probes, a non-root security context,
//! pinned images, and enough replicas. Multi-document YAML is split on `---` lines so every
//! finding names the file and the line of the document's `kind:`. Helm templates (`{{ }}`) are
//! not manifests and are not read.

use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_yaml::Value;

use super::{Artifact, ProbeContext, ProbeIssue};
use crate::outcome::{Location, Measurement, ProbeOutcome};

/// A Kubernetes manifest rule.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// Every container sets resource requests and limits.
    Resources,
    /// Every container has a liveness and a readiness probe.
    Probes,
    /// Containers run as non-root (`runAsNonRoot: true` or `runAsUser` > 0, pod or container level).
    NonRoot,
    /// No image is `latest` or untagged (a digest or an explicit tag is pinned).
    ImageTag,
    /// Deployments have at least `min_replicas` replicas.
    Replicas,
}

impl Rule {
    pub const ALL: [Rule; 5] =
        [Rule::Resources, Rule::Probes, Rule::NonRoot, Rule::ImageTag, Rule::Replicas];
    pub fn id(self) -> &'static str {
        match self {
            Rule::Resources => "resources",
            Rule::Probes => "probes",
            Rule::NonRoot => "non-root",
            Rule::ImageTag => "image-tag",
            Rule::Replicas => "replicas",
        }
    }
}

/// Rules for Kubernetes manifests.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Manifest files: globs relative to the repository (default: every `*.yaml`/`*.yml` outside ignored paths that declares a `kind:`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub manifests: Vec<String>,
    /// Rules to apply (default: all of resources, probes, non-root, image-tag, replicas).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<Rule>>,
    /// Minimum replicas of a Deployment (default 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_replicas: Option<u64>,
}

pub fn validate(spec: &Spec) -> Vec<ProbeIssue> {
    let mut issues = Vec::new();
    for (i, g) in spec.manifests.iter().enumerate() {
        if let Err(e) = globset::Glob::new(g) {
            issues.push(ProbeIssue::new(
                format!("manifests[{i}]"),
                format!("invalid glob `{g}`: {e}"),
            ));
        }
    }
    if let Some(r) = &spec.rules
        && r.is_empty()
    {
        issues.push(ProbeIssue::new("rules", "empty rule list").hint("omit `rules` to apply all"));
    }
    issues
}

const WORKLOADS: &[&str] = &["Deployment", "StatefulSet", "DaemonSet"];

/// Files to read: the globs' matches (`set`), or every YAML file that looks like a manifest.
pub fn find_manifests(repo: &Path, set: Option<&globset::GlobSet>) -> Vec<String> {
    let mut out = Vec::new();
    for entry in ignore::WalkBuilder::new(repo).hidden(false).build().filter_map(|e| e.ok()) {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Some(rel) = crate::text::under_repo(entry.path(), repo) else { continue };
        if rel.starts_with(".git/") {
            continue;
        }
        match &set {
            Some(s) => {
                if s.is_match(&rel) {
                    out.push(rel);
                }
            }
            None => {
                if !(rel.ends_with(".yaml") || rel.ends_with(".yml")) {
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(entry.path()) else { continue };
                if text.contains("{{") {
                    continue;
                }
                let workload = text.lines().any(|l| {
                    l.strip_prefix("kind:").is_some_and(|k| WORKLOADS.contains(&k.trim()))
                });
                if workload && text.lines().any(|l| l.starts_with("apiVersion:")) {
                    out.push(rel);
                }
            }
        }
    }
    out.sort();
    out
}

/// One YAML document of a file and the line of its top-level `kind:`.
struct Doc {
    value: Value,
    kind_line: u64,
}

/// Splits on `---` lines and parses each document; `Err` names file:line.
fn documents(rel: &str, text: &str) -> Result<Vec<Doc>, String> {
    let lines: Vec<&str> = text.lines().collect();
    // (first line index, end index) of each document, split on `---` lines.
    let mut chunks = Vec::new();
    let mut start = 0usize;
    for (i, l) in lines.iter().enumerate() {
        if l.starts_with("---") {
            chunks.push((start, i));
            start = i + 1;
        }
    }
    chunks.push((start, lines.len()));
    let mut docs = Vec::new();
    for (start, end) in chunks {
        let body = &lines[start..end];
        if body.iter().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) {
            continue;
        }
        let value: Value =
            serde_yaml::from_str(&body.join("\n")).map_err(|e| match e.location() {
                Some(l) => format!(
                    "{rel}:{}:{}: invalid YAML: {}",
                    start + l.line(),
                    l.column(),
                    super::yaml::yaml_message(&e)
                ),
                None => format!("{rel}:{}: invalid YAML: {e}", start + 1),
            })?;
        let kind_line = body
            .iter()
            .position(|l| l.starts_with("kind:"))
            .map(|p| start + p + 1)
            .unwrap_or(start + 1);
        docs.push(Doc { value, kind_line: kind_line as u64 });
    }
    Ok(docs)
}

fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(*k))
}

fn non_empty_map(v: Option<&Value>) -> bool {
    v.and_then(Value::as_mapping).is_some_and(|m| !m.is_empty())
}

/// `Some(true)` non-root, `Some(false)` explicitly root, `None` unset.
fn non_root(ctx: Option<&Value>) -> Option<bool> {
    let ctx = ctx?;
    if let Some(u) = ctx.get("runAsUser").and_then(Value::as_u64) {
        return Some(u > 0);
    }
    ctx.get("runAsNonRoot").and_then(Value::as_bool)
}

fn image_unpinned(image: &str) -> Option<&'static str> {
    if image.contains('@') {
        return None;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        None => Some("has no tag (means `latest`)"),
        Some((_, "latest")) => Some("is `latest`"),
        Some(_) => None,
    }
}

/// Findings for one workload document.
fn lint_doc(
    rel: &str,
    doc: &Doc,
    rules: &[Rule],
    min_replicas: u64,
    out: &mut Vec<Location>,
) -> Option<String> {
    let kind = doc.value.get("kind")?.as_str()?;
    if !WORKLOADS.contains(&kind) {
        return None;
    }
    let name = get(&doc.value, &["metadata", "name"]).and_then(Value::as_str).unwrap_or("?");
    let what = format!("{kind}/{name}");
    let pod = get(&doc.value, &["spec", "template", "spec"]);
    let containers: Vec<&Value> = pod
        .and_then(|p| p.get("containers"))
        .and_then(Value::as_sequence)
        .map(|s| s.iter().collect())
        .unwrap_or_default();
    let mut push = |rule: Rule, message: String| {
        out.push(Location {
            path: rel.to_string(),
            line: Some(doc.kind_line),
            column: None,
            message: Some(format!("{what}: {message}")),
            rule: Some(rule.id().into()),
        })
    };
    if containers.is_empty() {
        push(Rule::Resources, "no containers under spec.template.spec.containers".into());
        return Some(what);
    }
    let pod_ctx = pod.and_then(|p| p.get("securityContext"));
    for c in &containers {
        let cname = c.get("name").and_then(Value::as_str).unwrap_or("?");
        for rule in rules {
            match rule {
                Rule::Resources => {
                    let req = non_empty_map(get(c, &["resources", "requests"]));
                    let lim = non_empty_map(get(c, &["resources", "limits"]));
                    if !req || !lim {
                        let missing = match (req, lim) {
                            (false, false) => "requests and limits",
                            (false, true) => "requests",
                            _ => "limits",
                        };
                        push(*rule, format!("container `{cname}` has no resource {missing}"));
                    }
                }
                Rule::Probes => {
                    let mut missing = Vec::new();
                    if c.get("livenessProbe").is_none() {
                        missing.push("livenessProbe");
                    }
                    if c.get("readinessProbe").is_none() {
                        missing.push("readinessProbe");
                    }
                    if !missing.is_empty() {
                        push(*rule, format!("container `{cname}` has no {}", missing.join(" or ")));
                    }
                }
                Rule::NonRoot => {
                    let ok = non_root(c.get("securityContext")).or(non_root(pod_ctx));
                    if ok != Some(true) {
                        push(
                            *rule,
                            format!(
                                "container `{cname}` may run as root: set securityContext.runAsNonRoot: true (or runAsUser > 0)"
                            ),
                        );
                    }
                }
                Rule::ImageTag => {
                    let image = c.get("image").and_then(Value::as_str).unwrap_or("");
                    if let Some(why) = image_unpinned(image) {
                        push(
                            *rule,
                            format!(
                                "container `{cname}` image `{image}` {why}; pin a version or digest"
                            ),
                        );
                    }
                }
                Rule::Replicas => {}
            }
        }
    }
    if kind == "Deployment" && rules.contains(&Rule::Replicas) {
        let replicas = get(&doc.value, &["spec", "replicas"]).and_then(Value::as_u64).unwrap_or(1);
        if replicas < min_replicas {
            push(
                Rule::Replicas,
                format!(
                    "{replicas} replica(s), fewer than {min_replicas}: one pod failing takes the service down"
                ),
            );
        }
    }
    Some(what)
}

/// A k8s spec compiled: the manifest globs built once, at load (`None`: find manifests by
/// content).
#[derive(Debug, Clone)]
pub struct Compiled {
    spec: Spec,
    manifests: Option<globset::GlobSet>,
}

/// Validates `spec` and builds its manifest globs.
pub fn compile(spec: Spec) -> Result<Compiled, Vec<ProbeIssue>> {
    let issues = validate(&spec);
    if !issues.is_empty() {
        return Err(issues);
    }
    let manifests = if spec.manifests.is_empty() {
        None
    } else {
        let mut b = globset::GlobSetBuilder::new();
        for (i, g) in spec.manifests.iter().enumerate() {
            b.add(globset::Glob::new(g).map_err(|e| {
                vec![ProbeIssue::new(format!("manifests[{i}]"), format!("invalid glob `{g}`: {e}"))]
            })?);
        }
        Some(b.build().map_err(|e| vec![ProbeIssue::new("manifests", e.to_string())])?)
    };
    Ok(Compiled { spec, manifests })
}

super::compiled_kind!("k8s");

fn run(compiled: &Compiled, ctx: &ProbeContext) -> ProbeOutcome {
    let spec = &compiled.spec;
    let files = find_manifests(ctx.repo, compiled.manifests.as_ref());
    let rules: Vec<Rule> = spec.rules.clone().unwrap_or_else(|| Rule::ALL.to_vec());
    let min_replicas = spec.min_replicas.unwrap_or(2);
    let mut findings = Vec::new();
    let mut workloads = Vec::new();
    for rel in &files {
        let text = match std::fs::read_to_string(ctx.repo.join(rel)) {
            Ok(t) => t,
            Err(e) => return ProbeOutcome::error(format!("cannot read {rel}: {e}")),
        };
        let docs = match documents(rel, &text) {
            Ok(d) => d,
            Err(e) => return ProbeOutcome::error(e),
        };
        for d in &docs {
            if let Some(w) = lint_doc(rel, d, &rules, min_replicas, &mut findings) {
                workloads.push(format!("{w} ({rel}:{})", d.kind_line));
            }
        }
    }
    if workloads.is_empty() {
        return ProbeOutcome::error(format!(
            "no Deployment, StatefulSet or DaemonSet found in {}; set `manifests:` to the manifest files",
            if spec.manifests.is_empty() {
                "the repository's YAML files".to_string()
            } else {
                spec.manifests.join(", ")
            }
        ));
    }
    let n = findings.len();
    let mut out = if n == 0 {
        ProbeOutcome::pass(format!(
            "{} workload(s) in {} file(s): {} rules hold",
            workloads.len(),
            files.len(),
            rules.len()
        ))
    } else {
        let first: Vec<String> = findings
            .iter()
            .take(3)
            .map(|l| {
                format!("{} at {}:{}", l.rule.as_deref().unwrap_or(""), l.path, l.line.unwrap_or(0))
            })
            .collect();
        let more = crate::text::more(n, 3, crate::text::More::Plus);
        ProbeOutcome::fail(format!(
            "{n} manifest finding{} in {} workload(s): {}{more}",
            crate::diag::plural(n),
            workloads.len(),
            first.join(", ")
        ))
    };
    out.measurements.push(Measurement::new("findings", n as f64, "count").with_threshold("== 0"));
    out.measurements.push(Measurement::new("workloads", workloads.len() as f64, "count"));
    let summary = serde_json::json!({
        "files": files, "workloads": workloads,
        "rules": rules.iter().map(|r| r.id()).collect::<Vec<_>>(),
        "min_replicas": min_replicas, "findings": findings,
    });
    out.locations = findings;
    out.with_artifact(Artifact::json("summary.json", &summary))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Status;

    fn run_in(dir: &Path, spec: &Spec) -> ProbeOutcome {
        crate::probe::context::testing::run_probe(dir, "k8s", |ctx| {
            run(&compile(spec.clone()).unwrap(), ctx)
        })
    }

    const GOOD: &str = "apiVersion: apps/v1
kind: Deployment
metadata: { name: api }
spec:
  replicas: 3
  template:
    spec:
      securityContext: { runAsNonRoot: true }
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          resources:
            requests: { cpu: 100m, memory: 128Mi }
            limits: { memory: 256Mi }
          livenessProbe: { httpGet: { path: /health, port: 8080 } }
          readinessProbe: { httpGet: { path: /ready, port: 8080 } }
";

    #[test]
    fn good_deployment_passes_and_service_documents_are_ignored() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("k8s")).unwrap();
        let text = format!("apiVersion: v1\nkind: Service\nmetadata: {{ name: api }}\n---\n{GOOD}");
        std::fs::write(d.path().join("k8s/api.yaml"), text).unwrap();
        std::fs::write(d.path().join("ci.yml"), "jobs: {}\n").unwrap();
        let o = run_in(d.path(), &Spec::default());
        assert_eq!(o.status, Status::Pass, "{}", o.reason);
        assert!(o.reason.contains("1 workload"), "{}", o.reason);
    }

    #[test]
    fn every_rule_fires_at_the_kind_line_of_its_document() {
        let d = tempfile::tempdir().unwrap();
        let bad = "apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: nginx\n          securityContext: { runAsUser: 0 }\n";
        let text = format!("{GOOD}---\n# second\n{bad}");
        std::fs::write(d.path().join("all.yml"), text).unwrap();
        let o = run_in(d.path(), &Spec::default());
        assert_eq!(o.status, Status::Fail, "{}", o.reason);
        let rules: Vec<(&str, u64)> =
            o.locations.iter().map(|l| (l.rule.as_deref().unwrap(), l.line.unwrap())).collect();
        assert_eq!(
            rules,
            vec![
                ("resources", 20),
                ("probes", 20),
                ("non-root", 20),
                ("image-tag", 20),
                ("replicas", 20)
            ]
        );
        let o = run_in(
            d.path(),
            &Spec { min_replicas: Some(1), rules: Some(vec![Rule::Replicas]), ..Spec::default() },
        );
        assert_eq!(o.status, Status::Pass, "{}", o.reason);
    }

    #[test]
    fn pod_level_root_overridden_by_container() {
        let d = tempfile::tempdir().unwrap();
        let text = GOOD.replace("runAsNonRoot: true", "runAsUser: 0").replace(
            "          image:",
            "          securityContext: { runAsNonRoot: true }\n          image:",
        );
        std::fs::write(d.path().join("d.yaml"), text).unwrap();
        assert_eq!(run_in(d.path(), &Spec::default()).status, Status::Pass);
    }

    #[test]
    fn nothing_to_look_at_is_an_error_and_bad_yaml_names_the_line() {
        let d = tempfile::tempdir().unwrap();
        let o = run_in(d.path(), &Spec::default());
        assert_eq!(o.status, Status::Error);
        std::fs::write(
            d.path().join("x.yaml"),
            format!("{GOOD}---\napiVersion: v1\nkind: Deployment\nspec: [a, b\n"),
        )
        .unwrap();
        let o = run_in(d.path(), &Spec { manifests: vec!["*.yaml".into()], ..Spec::default() });
        assert_eq!(o.status, Status::Error, "{}", o.reason);
        assert!(o.reason.starts_with("x.yaml:21:1: invalid YAML: did not find"), "{}", o.reason);
        assert!(!o.reason.contains("line 4"), "relative position leaked: {}", o.reason);
    }
}
