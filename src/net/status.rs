//! Expected HTTP status codes: `200`, `"2xx"`, `"200-299"`, or a list of those.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One accepted range of status codes (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusRange {
    pub low: u16,
    pub high: u16,
}

/// The status codes a response may have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSpec(pub Vec<StatusRange>);

impl StatusSpec {
    /// `200-399`: what "the endpoint answered normally" means when nothing is said.
    pub fn success_or_redirect() -> Self {
        StatusSpec(vec![StatusRange { low: 200, high: 399 }])
    }

    pub fn matches(&self, code: u16) -> bool {
        self.0.iter().any(|r| (r.low..=r.high).contains(&code))
    }
}

/// Parses `200`, `2xx`, `2XX` or `200-299`.
pub fn parse_status_range(text: &str) -> Result<StatusRange, String> {
    let t = text.trim();
    let bad = || {
        format!(
            "invalid status `{text}`: write a code (`200`), a class (`2xx`) or a range (`200-299`)"
        )
    };
    let code = |s: &str| -> Result<u16, String> {
        let n: u16 = s.trim().parse().map_err(|_| bad())?;
        if (100..=599).contains(&n) {
            Ok(n)
        } else {
            Err(format!("status `{n}` is outside 100-599"))
        }
    };
    if let Some((a, b)) = t.split_once('-') {
        let (low, high) = (code(a)?, code(b)?);
        if low > high {
            return Err(format!("invalid status range `{text}`: {low} is above {high}"));
        }
        return Ok(StatusRange { low, high });
    }
    let lower = t.to_ascii_lowercase();
    if lower.len() == 3 && lower.ends_with("xx") {
        let class = lower[..1].parse::<u16>().map_err(|_| bad())?;
        if !(1..=5).contains(&class) {
            return Err(bad());
        }
        return Ok(StatusRange { low: class * 100, high: class * 100 + 99 });
    }
    let n = code(t)?;
    Ok(StatusRange { low: n, high: n })
}

impl fmt::Display for StatusRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.low == self.high {
            write!(f, "{}", self.low)
        } else if self.low % 100 == 0 && self.high == self.low + 99 {
            write!(f, "{}xx", self.low / 100)
        } else {
            write!(f, "{}-{}", self.low, self.high)
        }
    }
}

impl fmt::Display for StatusSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|r| r.to_string()).collect();
        f.write_str(&parts.join(", "))
    }
}

impl Serialize for StatusSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let parts: Vec<String> = self.0.iter().map(|r| r.to_string()).collect();
        if parts.len() == 1 { s.serialize_str(&parts[0]) } else { parts.serialize(s) }
    }
}

impl<'de> Deserialize<'de> for StatusSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // `untagged` over scalars only (a code, a text form, or a list of them): no fields
        // whose errors it could misreport.
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum One {
            Code(u64),
            Text(String),
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(One),
            Many(Vec<One>),
        }
        let one = |o: One| match o {
            One::Code(n) => parse_status_range(&n.to_string()),
            One::Text(t) => parse_status_range(&t),
        };
        let ranges = match Raw::deserialize(d)? {
            Raw::One(o) => vec![one(o)],
            Raw::Many(list) => list.into_iter().map(one).collect(),
        };
        let ranges: Result<Vec<_>, String> = ranges.into_iter().collect();
        let ranges = ranges.map_err(serde::de::Error::custom)?;
        if ranges.is_empty() {
            return Err(serde::de::Error::custom("status list is empty"));
        }
        Ok(StatusSpec(ranges))
    }
}

impl schemars::JsonSchema for StatusSpec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "StatusSpec".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let one = schemars::json_schema!({
            "anyOf": [
                { "type": "integer", "minimum": 100, "maximum": 599 },
                { "type": "string", "pattern": "^\\s*([1-5][0-9][0-9]|[1-5][xX][xX]|[1-5][0-9][0-9]\\s*-\\s*[1-5][0-9][0-9])\\s*$" }
            ]
        });
        schemars::json_schema!({
            "description": "Expected status: a code (`200`), a class (`2xx`), a range (`200-299`), or a list of those.",
            "anyOf": [ one, { "type": "array", "items": one, "minItems": 1 } ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_classes_ranges_and_lists() {
        let s: StatusSpec = serde_yaml::from_str("[200, 3xx, \"500-503\"]").unwrap();
        assert!(s.matches(200) && s.matches(302) && s.matches(503));
        assert!(!s.matches(201) && !s.matches(504) && !s.matches(404));
        assert_eq!(s.to_string(), "200, 3xx, 500-503");
        let one: StatusSpec = serde_yaml::from_str("2XX").unwrap();
        assert!(one.matches(204) && !one.matches(300));
    }

    #[test]
    fn rejects_nonsense_with_reason() {
        let e = serde_yaml::from_str::<StatusSpec>("abc").unwrap_err().to_string();
        assert!(e.contains("invalid status `abc`"), "{e}");
        let e = serde_yaml::from_str::<StatusSpec>("\"299-200\"").unwrap_err().to_string();
        assert!(e.contains("above"), "{e}");
        assert!(serde_yaml::from_str::<StatusSpec>("700").is_err());
        assert!(serde_yaml::from_str::<StatusSpec>("6xx").is_err());
    }
}
