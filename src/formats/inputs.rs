//! Input file lists as checklists write them: one path or glob, or a list of them. Resolved
//! against the repository root; globs are expanded by walking from their literal prefix.

use std::fmt;
use std::path::{Path, PathBuf};

use globset::GlobBuilder;
use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One path or glob, or a list of them (`junit.xml`, `reports/**/*.xml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inputs(pub Vec<String>);

impl Serialize for Inputs {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.len() == 1 { s.serialize_str(&self.0[0]) } else { self.0.serialize(s) }
    }
}

impl<'de> Deserialize<'de> for Inputs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Inputs;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a path or glob, or a list of them")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Inputs, E> {
                if v.trim().is_empty() {
                    return Err(E::custom("empty path"));
                }
                Ok(Inputs(vec![v.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Inputs, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                if out.is_empty() {
                    return Err(de::Error::custom("the list of paths is empty"));
                }
                Ok(Inputs(out))
            }
        }
        d.deserialize_any(V)
    }
}

impl schemars::JsonSchema for Inputs {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "PathsOrGlobs".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A path or glob relative to the repository, or a list of them.",
            "anyOf": [
                { "type": "string", "minLength": 1 },
                { "type": "array", "items": { "type": "string" }, "minItems": 1 }
            ]
        })
    }
}

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '[', '{'])
}

/// Expands every entry to existing files, sorted and deduplicated. A plain path that does not
/// exist, or a glob that matches nothing, is an error naming it.
pub fn expand(repo: &Path, inputs: &Inputs) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for entry in &inputs.0 {
        if !is_glob(entry) {
            let p = if Path::new(entry).is_absolute() {
                PathBuf::from(entry)
            } else {
                repo.join(entry)
            };
            if !p.is_file() {
                return Err(format!("`{entry}` does not exist (or is not a file)"));
            }
            out.push(p);
            continue;
        }
        let glob = GlobBuilder::new(entry)
            .literal_separator(true)
            .build()
            .map_err(|e| format!("bad glob `{entry}`: {e}"))?
            .compile_matcher();
        // Walk from the longest leading part without glob characters.
        let literal: PathBuf = Path::new(entry)
            .components()
            .take_while(|c| !is_glob(&c.as_os_str().to_string_lossy()))
            .collect();
        let absolute = Path::new(entry).is_absolute();
        let root = if absolute { literal.clone() } else { repo.join(&literal) };
        let before = out.len();
        let walker =
            walkdir::WalkDir::new(&root).follow_links(false).into_iter().filter_entry(|e| {
                e.depth() == 0 || !matches!(e.file_name().to_str(), Some(".git" | ".readyctl"))
            });
        for e in walker.flatten() {
            if !e.file_type().is_file() {
                continue;
            }
            let candidate = if absolute {
                e.path().to_path_buf()
            } else {
                match e.path().strip_prefix(repo) {
                    Ok(rel) => rel.to_path_buf(),
                    Err(_) => continue,
                }
            };
            if glob.is_match(&candidate) {
                out.push(e.path().to_path_buf());
            }
        }
        if out.len() == before {
            return Err(format!("no file matches `{entry}`"));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_globs_and_reports_missing() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        std::fs::write(dir.path().join("a/b/one.xml"), "x").unwrap();
        std::fs::write(dir.path().join("a/two.xml"), "x").unwrap();
        std::fs::write(dir.path().join("a/two.txt"), "x").unwrap();
        let found = expand(dir.path(), &Inputs(vec!["a/**/*.xml".into()])).unwrap();
        assert_eq!(found.len(), 2);
        let found = expand(dir.path(), &Inputs(vec!["a/*.xml".into()])).unwrap();
        assert_eq!(found, vec![dir.path().join("a/two.xml")]);
        assert!(
            expand(dir.path(), &Inputs(vec!["b/*.xml".into()])).unwrap_err().contains("no file")
        );
        assert!(
            expand(dir.path(), &Inputs(vec!["nope.xml".into()]))
                .unwrap_err()
                .contains("does not exist")
        );
    }

    #[test]
    fn deserializes_string_or_list() {
        let one: Inputs = serde_yaml::from_str("junit.xml").unwrap();
        assert_eq!(one.0, vec!["junit.xml"]);
        let two: Inputs = serde_yaml::from_str("[a.xml, b.xml]").unwrap();
        assert_eq!(two.0.len(), 2);
        assert!(serde_yaml::from_str::<Inputs>("[]").is_err());
    }
}
