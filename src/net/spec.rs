//! Request pieces shared by the `http`, `load` and `openapi` specs.

use std::collections::BTreeMap;

use serde::de::{self, DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// An HTTP method.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    #[default]
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Options,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
        }
    }

    /// The method an OpenAPI path item names in lower case (`get`, `post`, …).
    pub fn from_openapi_key(key: &str) -> Option<Method> {
        Some(match key {
            "get" => Method::Get,
            "head" => Method::Head,
            "post" => Method::Post,
            "put" => Method::Put,
            "patch" => Method::Patch,
            "delete" => Method::Delete,
            "options" => Method::Options,
            _ => return None,
        })
    }
}

/// A request body: exactly one of `text`, `json` or `form`.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Body {
    /// Sent as is; `Content-Type: text/plain; charset=utf-8` unless a header says otherwise.
    Text(String),
    /// Serialized as JSON; `Content-Type: application/json` unless a header says otherwise.
    Json(serde_json::Value),
    /// URL-encoded form fields; `Content-Type: application/x-www-form-urlencoded`.
    Form(BTreeMap<String, String>),
}

impl Body {
    /// The bytes on the wire and the default content type.
    pub fn encode(&self) -> (Vec<u8>, &'static str) {
        match self {
            Body::Text(t) => (t.as_bytes().to_vec(), "text/plain; charset=utf-8"),
            Body::Json(v) => (serde_json::to_vec(v).unwrap_or_default(), "application/json"),
            Body::Form(fields) => {
                let encoded = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(fields.iter())
                    .finish();
                (encoded.into_bytes(), "application/x-www-form-urlencoded")
            }
        }
    }
}

/// Hands out a variant's value (once) as JSON.
pub type TakeValue<'a> = &'a mut dyn FnMut() -> Result<serde_json::Value, String>;
/// Builds a variant from its key and its value.
pub type VariantReader<T> = fn(&str, TakeValue<'_>) -> Result<T, String>;

/// Reads an externally tagged enum written as a one-key mapping (`{ json: {...} }`).
/// serde_yaml 0.9 only accepts YAML tags (`!json`) for derived enums with data, so the map form
/// the checklist language uses is read here. `variant` gets the key and reads the value.
pub fn one_key_map<'de, D, T>(
    d: D,
    expecting: &'static str,
    names: &'static [&'static str],
    variant: VariantReader<T>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    struct V<T> {
        expecting: &'static str,
        names: &'static [&'static str],
        variant: VariantReader<T>,
    }
    impl<'de, T> Visitor<'de> for V<T> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str(self.expecting)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
            let Some(key) = map.next_key::<String>()? else {
                return Err(de::Error::custom(format!(
                    "expected one of {}",
                    self.names.join(", ")
                )));
            };
            if !self.names.contains(&key.as_str()) {
                return Err(de::Error::unknown_variant(&key, self.names));
            }
            let value: serde_json::Value = map.next_value()?;
            if let Some(other) = map.next_key::<String>()? {
                return Err(de::Error::custom(format!(
                    "`{key}` and `{other}` given: write exactly one of {}",
                    self.names.join(", ")
                )));
            }
            let mut taken = Some(value);
            let mut take = || taken.take().ok_or_else(|| "value read twice".to_string());
            (self.variant)(&key, &mut take).map_err(|e| de::Error::custom(format!("{key}: {e}")))
        }
    }
    d.deserialize_map(V { expecting, names, variant })
}

/// Converts a value read as JSON into the variant's type.
pub fn typed<T: DeserializeOwned>(take: TakeValue<'_>) -> Result<T, String> {
    serde_json::from_value(take()?).map_err(|e| e.to_string())
}

impl<'de> Deserialize<'de> for Body {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        one_key_map(d, "a body: `text`, `json` or `form`", &["text", "json", "form"], |k, take| {
            Ok(match k {
                "text" => Body::Text(typed(take)?),
                "json" => Body::Json(take()?),
                _ => Body::Form(typed(take)?),
            })
        })
    }
}
