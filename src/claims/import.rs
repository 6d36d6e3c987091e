//! A parsed report → a checklist: one check per placed claim (title = the claim, `docs` =
//! `REPORT.md:LINE`), a header comment with the summary, emitted with serde_yaml and
//! checked against the checklist types before it is returned.

use serde_yaml::{Mapping, Value};

use super::classify::{self, Placement};
use super::parse::{self, Claim, Marker};

/// A claim and what it became.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub claim: Claim,
    /// The check id, when placed.
    pub check_id: Option<String>,
    pub placement: Placement,
}

/// The result of importing a report.
#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    pub items: Vec<Imported>,
    pub repaired: usize,
    /// The checklist YAML (header comment included).
    pub yaml: String,
}

impl Import {
    pub fn automated(&self) -> usize {
        self.kinds().filter(|k| *k != "manual").count()
    }
    pub fn manual(&self) -> usize {
        self.kinds().filter(|k| *k == "manual").count()
    }
    pub fn unplaced(&self) -> impl Iterator<Item = (&Claim, &str)> {
        self.items.iter().filter_map(|i| match &i.placement {
            Placement::Unplaced(why) => Some((&i.claim, why.as_str())),
            Placement::Check { .. } => None,
        })
    }
    fn kinds(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.items.iter().filter_map(|i| match &i.placement {
            Placement::Check { kind, .. } => Some(*kind),
            Placement::Unplaced(_) => None,
        })
    }

    /// The summary shown on the terminal and in the header comment, one line each.
    pub fn summary(&self, report_name: &str) -> Vec<String> {
        let mut lines = vec![format!(
            "imported from {report_name}: {} claims found, {} automated, {} manual, {} not placed",
            self.items.len(),
            self.automated(),
            self.manual(),
            self.unplaced().count()
        )];
        if self.repaired > 0 {
            lines.push(format!(
                "repaired {} mis-decoded UTF-8 character(s) (text read as Windows-1252, e.g. `âœ…` → `✅`)",
                self.repaired
            ));
        }
        let mut by_kind: std::collections::BTreeMap<&str, usize> = Default::default();
        for k in self.kinds() {
            *by_kind.entry(k).or_default() += 1;
        }
        let kinds: Vec<String> = by_kind.iter().map(|(k, n)| format!("{k} {n}")).collect();
        if !kinds.is_empty() {
            lines.push(format!("checks by probe: {}", kinds.join(", ")));
        }
        let unplaced: Vec<_> = self.unplaced().collect();
        if !unplaced.is_empty() {
            lines.push("claims not placed:".into());
            for (c, why) in unplaced {
                lines.push(format!(
                    "  {report_name}:{}: {} ({why})",
                    c.line,
                    one_line(&c.text, 100)
                ));
            }
        }
        lines
    }
}

fn one_line(s: &str, max: usize) -> String {
    let s: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if s.chars().count() <= max {
        s
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

/// `Priority 1: Test Coverage (CRITICAL)` → `priority-1-test-coverage-critical`, at most `max`
/// characters, cut at a word.
pub fn slug(s: &str, max: usize) -> String {
    let mut out = String::new();
    for word in s.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        let w = word.to_ascii_lowercase();
        if !out.is_empty() && out.len() + 1 + w.len() > max {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&w[..w.len().min(max)]);
    }
    out
}

/// Imports a report's text. `report_name` is how the report is referred to (`docs:` and the
/// summary).
pub fn import(text: &str, report_name: &str) -> Import {
    let report = parse::parse(text);
    let mut items = Vec::new();
    let mut used = std::collections::HashSet::new();
    let mut checks = Vec::new();
    let mut vars_used = std::collections::BTreeSet::new();
    for claim in report.claims {
        let placement = classify::classify(&claim);
        let check_id = match &placement {
            Placement::Check { kind, spec } => {
                let area = match slug(&claim.area, 24) {
                    a if a.is_empty() => "general".to_string(),
                    a => a,
                };
                let what = match slug(&claim.text, 36) {
                    t if t.is_empty() => format!("line-{}", claim.line),
                    t => t,
                };
                let base = format!("{area}.{what}");
                let mut id = base.clone();
                let mut n = 2;
                while !used.insert(id.clone()) {
                    id = format!("{base}-{n}");
                    n += 1;
                }
                let spec_text = serde_yaml::to_string(spec).unwrap_or_default();
                for v in [
                    classify::VAR_BASE_URL,
                    classify::VAR_TEST_RESULTS,
                    classify::VAR_COVERAGE_REPORT,
                    classify::VAR_DATABASE_URL,
                ] {
                    if spec_text.contains(&format!("${{{v}}}")) {
                        vars_used.insert(v);
                    }
                }
                let mut m = Mapping::new();
                m.insert("id".into(), id.clone().into());
                m.insert("title".into(), one_line(&claim.text, 200).into());
                m.insert("area".into(), claim.area.clone().into());
                let mut tags = vec![Value::from("imported")];
                if claim.marker == Marker::Open {
                    tags.push("open-item".into());
                }
                m.insert("tags".into(), Value::Sequence(tags));
                m.insert("docs".into(), format!("{report_name}:{}", claim.line).into());
                m.insert((*kind).into(), spec.clone());
                checks.push(Value::Mapping(m));
                Some(id)
            }
            Placement::Unplaced(_) => None,
        };
        items.push(Imported { claim, check_id, placement });
    }
    let base_url = items
        .iter()
        .find_map(|i| classify::origin_of(&i.claim))
        .unwrap_or_else(|| "http://127.0.0.1:8000".into());
    let mut vars = Mapping::new();
    for v in vars_used {
        let value = match v {
            classify::VAR_BASE_URL => format!("${{env:BASE_URL:-{base_url}}}"),
            classify::VAR_TEST_RESULTS => "junit.xml".into(),
            classify::VAR_COVERAGE_REPORT => "coverage.xml".into(),
            _ => "${env:DATABASE_URL:-}".into(),
        };
        vars.insert(v.into(), value.into());
    }
    let mut doc = Mapping::new();
    doc.insert("version".into(), 1.into());
    let name = report.title.as_deref().map(|t| slug(t, 48)).filter(|s| !s.is_empty());
    doc.insert("name".into(), name.unwrap_or_else(|| slug(report_name, 48)).into());
    if !vars.is_empty() {
        doc.insert("vars".into(), Value::Mapping(vars));
    }
    doc.insert("checks".into(), Value::Sequence(checks));
    let mut import = Import { items, repaired: report.repaired, yaml: String::new() };
    let mut yaml = String::new();
    yaml.push_str("# Generated by `readyctl import`; edit freely.\n");
    for line in import.summary(report_name) {
        yaml.push_str("# ");
        yaml.push_str(&line);
        yaml.push('\n');
    }
    yaml.push_str(
        "# `manual` checks pass on a signed attestation (`readyctl attest`) by a key listed under\n# `trusted_signers:` (name → public key PEM path, relative to this file).\n",
    );
    yaml.push_str(&serde_yaml::to_string(&Value::Mapping(doc)).unwrap_or_default());
    import.yaml = yaml;
    import
}
