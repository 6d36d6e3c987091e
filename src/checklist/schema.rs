//! The checklist's JSON Schema, generated from the Rust types the loader deserializes into.

use super::model::{ChecklistDoc, PROBE_KINDS};

/// The JSON Schema (draft 2020-12) of a checklist document.
pub fn checklist_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(ChecklistDoc);
    let mut value = serde_json::to_value(&schema).expect("schema serializes");
    // "Exactly one probe key" is not expressible in serde's derive; state it in the schema.
    if let Some(check) = value.pointer_mut("/$defs/CheckSpec").and_then(|v| v.as_object_mut()) {
        let one_of: Vec<serde_json::Value> =
            PROBE_KINDS.iter().map(|k| serde_json::json!({ "required": [k] })).collect();
        check.insert("oneOf".into(), serde_json::Value::Array(one_of));
    }
    if let Some(obj) = value.as_object_mut() {
        obj.insert("$id".into(), "https://readyctl.dev/schema/checklist-v1.json".into());
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `$defs` entry a property schema points to, through `$ref` or an `Option`'s `anyOf`.
    fn resolve<'a>(root: &'a serde_json::Value, v: &'a serde_json::Value) -> &'a serde_json::Value {
        let reference = v["$ref"]
            .as_str()
            .or_else(|| v["anyOf"].as_array()?.iter().find_map(|alt| alt["$ref"].as_str()));
        match reference.and_then(|r| r.strip_prefix('#')) {
            Some(pointer) => resolve(root, root.pointer(pointer).expect("$ref resolves")),
            None => v,
        }
    }

    /// Every probe kind's spec, taken from the checklist schema itself (not a hand-picked list),
    /// refuses unknown keys and has a description (its `///` docs) on every field.
    #[test]
    fn every_probe_spec_field_has_a_description() {
        let root = checklist_schema();
        let check = &root["$defs"]["CheckSpec"]["properties"];
        let mut undocumented = Vec::new();
        for kind in PROBE_KINDS {
            let spec = resolve(&root, &check[*kind]);
            // A spec is an object, or (for shorthand forms) alternatives of which some are.
            let mut shapes = vec![spec];
            for key in ["oneOf", "anyOf"] {
                for alt in spec[key].as_array().into_iter().flatten() {
                    shapes.push(resolve(&root, alt));
                }
            }
            let mut fields = 0;
            for shape in shapes {
                if shape.get("properties").is_some() {
                    assert_eq!(shape["additionalProperties"], false, "{kind} accepts unknown keys");
                }
                for (name, p) in shape["properties"].as_object().into_iter().flatten() {
                    fields += 1;
                    if p.get("description").is_none() {
                        undocumented.push(format!("{kind}.{name}: {p}"));
                    }
                }
            }
            assert!(fields > 0, "{kind}: no fields found in {spec}");
        }
        assert!(
            undocumented.is_empty(),
            "fields without a description:\n{}",
            undocumented.join("\n")
        );
    }

    /// Every field a probe kind declares as a shell script (`ProbeKind::SHELL_FIELDS`, which
    /// the loader expands as shell code) is a field of that kind's schema: a typo or a rename
    /// would otherwise leave the real field spliced as text.
    #[test]
    fn every_declared_shell_field_exists_in_the_schema() {
        let root = checklist_schema();
        let check = &root["$defs"]["CheckSpec"]["properties"];
        let fields = crate::probe::shell_fields();
        assert!(fields.contains(&"command.run".to_string()), "{fields:?}");
        for field in &fields {
            let mut parts = field.split('.');
            let mut at = resolve(&root, &check[parts.next().unwrap()]);
            for part in parts {
                let shapes: Vec<&serde_json::Value> = std::iter::once(at)
                    .chain(["oneOf", "anyOf"].iter().flat_map(|k| {
                        at[*k].as_array().into_iter().flatten().map(|alt| resolve(&root, alt))
                    }))
                    .collect();
                at = shapes
                    .iter()
                    .find_map(|s| s["properties"].get(part))
                    .map(|p| resolve(&root, p))
                    .unwrap_or_else(|| panic!("{field}: no `{part}` in the schema"));
            }
        }
    }
}
