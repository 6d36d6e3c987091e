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
