//! Redaction for HTTP exchanges, applied before anything reaches evidence or a reason line:
//! credentials in URLs, credential-bearing headers, and query parameters whose names say they
//! hold a secret (name fragments like those of sensitive environment variables,
//! `evidence::redact::SENSITIVE_NAME_PARTS`, plus `APIKEY` and `SESSION`; docs/evidence.md,
//! "Redaction").

pub const REDACTED: &str = "[REDACTED]";

/// Name fragments (upper case, `_` separated) that mark a value as secret.
const SENSITIVE_FRAGMENTS: &[&str] = &[
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "CREDENTIAL",
    "AUTH",
    "SESSION",
];

/// Whether a header (or query parameter) with this name carries a credential.
pub fn is_sensitive_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase().replace('-', "_");
    matches!(upper.as_str(), "COOKIE" | "SET_COOKIE" | "AUTHORIZATION" | "PROXY_AUTHORIZATION")
        || SENSITIVE_FRAGMENTS.iter().any(|f| upper.contains(f))
}

/// The header value to record: the value itself, or `[REDACTED]`.
pub fn header_value(name: &str, value: &str) -> String {
    if is_sensitive_name(name) { REDACTED.to_string() } else { value.to_string() }
}

/// The URL with any password and sensitive query values replaced by `[REDACTED]`. Text that
/// does not parse as a URL comes back unchanged.
pub fn url(text: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(text) else {
        return text.to_string();
    };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some(REDACTED));
    }
    if parsed.query().is_some() {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                let v = if is_sensitive_name(&k) { REDACTED.to_string() } else { v.into_owned() };
                (k.into_owned(), v)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    // The URL serializer percent-encodes the brackets; show the marker as written.
    parsed.to_string().replace("%5BREDACTED%5D", REDACTED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_url_passwords_and_secret_query_values() {
        let u = url("https://bob:hunter2@example.com/x?api_key=abc&page=2");
        assert!(!u.contains("hunter2") && !u.contains("abc"), "{u}");
        assert!(u.contains("bob:[REDACTED]@") && u.contains("api_key=[REDACTED]"), "{u}");
        assert!(u.contains("page=2"), "{u}");
        assert_eq!(url("http://example.com/health"), "http://example.com/health");
    }

    #[test]
    fn redacts_credential_headers_only() {
        assert_eq!(header_value("Authorization", "Bearer x"), REDACTED);
        assert_eq!(header_value("cookie", "a=b"), REDACTED);
        assert_eq!(header_value("Set-Cookie", "a=b"), REDACTED);
        assert_eq!(header_value("X-Api-Key", "k"), REDACTED);
        assert_eq!(header_value("Content-Type", "text/plain"), "text/plain");
    }
}
