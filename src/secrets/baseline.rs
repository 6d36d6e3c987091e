//! Baseline files: the fingerprints of findings accepted at one point in time
//! (`readyctl secrets baseline`), which the `secrets` probe then ignores. The file holds rule,
//! path, line and fingerprint only — never a secret value — so it can be committed.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::scan::Finding;

/// The baseline document (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Format version, 1.
    pub version: u32,
    pub findings: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub fingerprint: String,
    pub rule: String,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

impl Baseline {
    pub fn from_findings(findings: &[Finding]) -> Baseline {
        Baseline {
            version: 1,
            findings: findings
                .iter()
                .map(|f| Entry {
                    fingerprint: f.fingerprint.clone(),
                    rule: f.rule.clone(),
                    path: f.path.clone(),
                    line: f.line,
                })
                .collect(),
        }
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    pub fn fingerprints(&self) -> HashSet<String> {
        self.findings.iter().map(|e| e.fingerprint.clone()).collect()
    }

    /// Reads a baseline; the error names the file and the position.
    pub fn read(path: &Path) -> Result<Baseline, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read baseline {}: {e}", path.display()))?;
        let b: Baseline = serde_json::from_str(&text).map_err(|e| {
            format!("{}:{}:{}: invalid baseline: {e}", path.display(), e.line(), e.column())
        })?;
        if b.version != 1 {
            return Err(format!(
                "{}: unsupported baseline version {} (expected 1)",
                path.display(),
                b.version
            ));
        }
        Ok(b)
    }
}
