//! YAML helpers shared by the probes that read YAML documents (`ci`, `k8s`).

use regex::Regex;

/// serde_yaml's message without its ` at line L column C` (the caller prints the position,
/// which for a split document differs from serde_yaml's).
pub fn yaml_message(e: &serde_yaml::Error) -> String {
    let re = Regex::new(r" at line \d+ column \d+").expect("constant regex");
    re.replace_all(&e.to_string(), "").into_owned()
}
