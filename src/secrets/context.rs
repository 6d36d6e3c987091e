//! Where a finding sits and what its value is known to be, read after a rule has matched.
//!
//! Two outcomes, both decided here and nowhere else:
//! - **Known non-secrets are dropped**: values published as examples or test keys (Google's
//!   reCAPTCHA test keys, AWS's `…EXAMPLE` keys, Stripe's documentation key, jwt.io's token)
//!   and credentials in URLs to reserved example hosts (`example.com`, `.test`, `.invalid`).
//! - **Context lowers severity**: a finding in documentation, tests, fixtures, examples,
//!   OpenAPI documents, vendored code, a commented-out line or an `example:` value, or an
//!   expired JWT, is reported at `low` with the reason; so is a provider-neutral finding (a
//!   password, a database URL, a framework key) in a docker-compose file, CI configuration,
//!   development settings or pointing at a local host. The probe fails only on findings at or
//!   above `min_severity` (default `medium`), so these are visible but not blocking.

use base64::Engine;

/// Values published by their providers as examples or test keys: never valid credentials.
const KNOWN_EXAMPLES: &[&str] = &[
    // Google reCAPTCHA v2 test keys (developers.google.com/recaptcha/docs/faq).
    "6LeIxAcTAAAAAJcZVRqyHh71UMIEGNQ_MXjiZKhI",
    "6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe",
    // Stripe's documentation keys.
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
    "pk_test_TYooMQauvdEDq54NiTphI7jx",
    // jwt.io's example token (HS256, "John Doe"), by its signature.
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    // Twilio's documentation credentials.
    "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
];

/// True when the value is a published example or test key (AWS's documentation keys all end
/// in `EXAMPLE` or `EXAMPLEKEY`; jwt.io's token is known by its signature).
pub fn known_example(value: &[u8]) -> bool {
    let v = String::from_utf8_lossy(value);
    if KNOWN_EXAMPLES.iter().any(|k| v.contains(k)) {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    lower.contains("example") || lower.contains("exampl3")
}

/// Hosts reserved for documentation (RFC 2606, RFC 6761): credentials in URLs to them are
/// examples.
pub fn example_host(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    let h = h.split([':', '/', '?']).next().unwrap_or("");
    ["example.com", "example.org", "example.net"]
        .iter()
        .any(|d| h == *d || h.ends_with(&format!(".{d}")))
        || [".example", ".test", ".invalid"].iter().any(|t| h.ends_with(t))
}

/// Hosts on the developer's machine or in a compose network (one label: `db`, `postgres`).
pub fn local_host(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    let h = h.trim_start_matches('[');
    let name = h.split([':', '/', '?', ']']).next().unwrap_or("");
    matches!(name, "localhost" | "127.0.0.1" | "0.0.0.0" | "::1" | "host.docker.internal")
        || (!name.is_empty()
            && !name.contains('.')
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

/// Why a file's findings weigh less, read from its path alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PathContext {
    /// Lowers every finding (docs, tests, examples, vendored code, OpenAPI documents).
    pub strong: Option<&'static str>,
    /// Lowers provider-neutral findings only (compose files, CI configuration, dev settings).
    pub weak: Option<&'static str>,
}

const VENDORED_DIRS: &[&str] = &[
    "vendor",
    "node_modules",
    "third_party",
    "third-party",
    "bower_components",
    "site-packages",
    ".venv",
    "venv",
    "Pods",
];
const TEST_DIRS: &[&str] = &[
    "test",
    "tests",
    "spec",
    "specs",
    "__tests__",
    "testdata",
    "test-data",
    "test_data",
    "fixtures",
    "fixture",
    "__fixtures__",
    "__mocks__",
    "mocks",
    "e2e",
    "cassettes",
    "vcr_cassettes",
    "testing",
];
const DOC_DIRS: &[&str] = &["docs", "doc", "documentation", "website"];
const EXAMPLE_DIRS: &[&str] = &["examples", "example", "samples", "sample", "demo", "demos"];

/// Classifies a repository-relative, `/`-separated path.
pub fn path_context(rel: &str) -> PathContext {
    let mut parts: Vec<&str> = rel.split('/').collect();
    let file = parts.pop().unwrap_or("");
    let lower = file.to_ascii_lowercase();
    let dir_in = |set: &[&str]| parts.iter().any(|p| set.contains(p));
    let strong = if dir_in(VENDORED_DIRS) {
        Some("vendored code")
    } else if dir_in(TEST_DIRS)
        || test_file(&lower)
        || [".env.test", ".env.testing", ".env.ci", ".env.e2e"].iter().any(|e| lower.starts_with(e))
    {
        Some("test code or fixture")
    } else if dir_in(DOC_DIRS)
        || [".md", ".markdown", ".rst", ".adoc", ".ipynb"].iter().any(|e| lower.ends_with(e))
    {
        Some("documentation")
    } else if lower.starts_with("openapi") || lower.starts_with("swagger") {
        Some("OpenAPI/Swagger document")
    } else if dir_in(EXAMPLE_DIRS)
        || [".example", ".sample", ".template", ".dist", ".tmpl", ".tpl"]
            .iter()
            .any(|e| lower.ends_with(e))
        || [".example.", ".sample.", ".template.", "-example.", "_example."]
            .iter()
            .any(|e| lower.contains(e))
    {
        Some("example or template")
    } else {
        None
    };
    let weak = if lower.starts_with("docker-compose") || lower.starts_with("compose.") {
        Some("docker-compose service (local development)")
    } else if rel.starts_with(".github/workflows/")
        || rel.starts_with(".circleci/")
        || matches!(
            lower.as_str(),
            ".gitlab-ci.yml"
                | ".travis.yml"
                | "azure-pipelines.yml"
                | "bitbucket-pipelines.yml"
                | "jenkinsfile"
                | "tox.ini"
                | "pytest.ini"
                | "setup.cfg"
                | "phpunit.xml"
                | "phpunit.xml.dist"
        )
    {
        Some("CI or test-runner configuration")
    } else if dev_settings(&parts, &lower) || lower == ".env.development" || lower == ".env.dev" {
        Some("development settings")
    } else {
        None
    };
    PathContext { strong, weak }
}

fn test_file(lower: &str) -> bool {
    (lower.starts_with("test_") && lower.ends_with(".py"))
        || lower == "conftest.py"
        || [
            "_test.go",
            "_test.py",
            "_tests.py",
            "_spec.rb",
            "_test.rb",
            "_test.rs",
            "test.java",
            "tests.java",
            "test.kt",
            "tests.cs",
            "test.cs",
            "test.php",
        ]
        .iter()
        .any(|e| lower.ends_with(e))
        || [".test.", ".spec.", ".e2e."].iter().any(|e| lower.contains(e))
}

/// Django `settings/{dev,local,test}.py`, Rails `config/environments/{development,test}.rb`,
/// `application-{dev,test,local}.properties`.
fn dev_settings(parts: &[&str], lower: &str) -> bool {
    let stem = lower.split('.').next().unwrap_or("");
    const DEV: &[&str] = &["dev", "development", "local", "test", "testing", "ci"];
    let in_settings = parts.last().is_some_and(|d| *d == "settings" || *d == "environments");
    (in_settings && DEV.contains(&stem))
        || DEV.iter().any(|d| {
            stem.ends_with(&format!("_{d}"))
                || stem.ends_with(&format!("-{d}"))
                || stem.starts_with(&format!("{d}_settings"))
        })
}

/// Why a line weighs less, from the line alone: a comment or a documentation example.
pub fn line_context(file_name: &str, line: &[u8]) -> Option<&'static str> {
    let t = line.trim_ascii_start();
    // `.npmrc` lines start with `//registry…`: a URL without its scheme, not a comment.
    if t.starts_with(b"//") && (file_name == ".npmrc" || file_name == ".yarnrc") {
        return None;
    }
    const COMMENTS: &[&[u8]] = &[b"#", b"//", b"/*", b"* ", b"<!--", b"-- ", b";", b"rem "];
    if COMMENTS.iter().any(|c| t.starts_with(c)) || t == b"*" {
        return Some("commented-out line");
    }
    let lower = line.to_ascii_lowercase();
    const EXAMPLES: &[&[u8]] =
        &[b"example:", b"\"example\"", b"examples:", b"@example", b"x-example", b"example="];
    if EXAMPLES.iter().any(|e| lower.windows(e.len()).any(|w| w == *e)) {
        return Some("documentation example (`example:`)");
    }
    None
}

/// For YAML, the top-level key the line sits under (`development:` in Rails' `secrets.yml`).
pub fn yaml_section(bytes: &[u8], line_start: usize) -> Option<&[u8]> {
    let before = &bytes[..line_start];
    for l in before.split(|&b| b == b'\n').rev() {
        if l.is_empty() || l[0] == b' ' || l[0] == b'\t' || l[0] == b'#' {
            continue;
        }
        let key = l.split(|&b| b == b':').next()?;
        return Some(key.trim_ascii());
    }
    None
}

/// True for a YAML section of development or test settings.
pub fn dev_section(key: &[u8]) -> bool {
    let k = key.to_ascii_lowercase();
    matches!(
        k.as_slice(),
        b"development" | b"dev" | b"test" | b"testing" | b"local" | b"ci" | b"e2e"
    )
}

/// An expired JWT is no longer a bearer credential (the signing key is not in it).
/// `now` in seconds since the epoch.
pub fn jwt_expired(token: &[u8], now: i64) -> bool {
    let mut parts = token.split(|&b| b == b'.');
    let (Some(_), Some(payload)) = (parts.next(), parts.next()) else { return false };
    let Ok(json) = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.strip_suffix(b"=").unwrap_or(payload))
    else {
        return false;
    };
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&json) else { return false };
    v.get("exp").and_then(serde_json::Value::as_i64).is_some_and(|exp| exp < now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_classified() {
        assert_eq!(path_context("src/app.py"), PathContext::default());
        assert_eq!(path_context("tests/unit/test_auth.py").strong, Some("test code or fixture"));
        assert_eq!(path_context("pkg/auth_test.go").strong, Some("test code or fixture"));
        assert_eq!(path_context("docs/setup.md").strong, Some("documentation"));
        assert_eq!(path_context("README.md").strong, Some("documentation"));
        assert_eq!(path_context("vendor/x/y/ci.yml").strong, Some("vendored code"));
        assert_eq!(path_context("api/openapi.yaml").strong, Some("OpenAPI/Swagger document"));
        assert_eq!(path_context(".env.example").strong, Some("example or template"));
        assert!(path_context("docker-compose.yml").weak.is_some());
        assert!(path_context(".github/workflows/ci.yml").weak.is_some());
        assert!(path_context("app/settings/dev.py").weak.is_some());
        assert!(path_context("app/settings/production.py").weak.is_none());
        assert!(path_context("src/main/resources/application-test.properties").weak.is_some());
    }

    #[test]
    fn lines_hosts_and_tokens() {
        assert!(line_context("a.py", b"  # config.secret_key = 'abc'").is_some());
        assert!(line_context("a.py", b" * example: eyJhbGciOi").is_some());
        assert!(line_context("a.py", b"KEY = 'abc'").is_none());
        assert!(local_host("localhost:5432/app"));
        assert!(local_host("db:5432"));
        assert!(!local_host("db.prod.internal:5432"));
        assert!(example_host("api.example.com/x"));
        assert!(!example_host("examples.io"));
        let exp = |p: &str| {
            let e = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(p);
            format!("eyJhbGciOiJIUzI1NiJ9.{e}.c2ln")
        };
        assert!(jwt_expired(exp(r#"{"exp":1500000000}"#).as_bytes(), 1_700_000_000));
        assert!(!jwt_expired(exp(r#"{"exp":1800000000}"#).as_bytes(), 1_700_000_000));
        assert!(!jwt_expired(exp(r#"{"sub":"1"}"#).as_bytes(), 1_700_000_000));
    }
}
