//! The built-in secret rules: id, description, severity and a pattern whose capture group
//! `secret` (or the whole match) is the secret. Generic rules (passwords assigned in code,
//! credentials in URLs) also need enough Shannon entropy and must not look like a placeholder,
//! so `password = "changeme"` in a README does not flood the report.

use crate::checklist::Severity;

/// One rule of the built-in set.
#[derive(Debug, Clone, Copy)]
pub struct RuleDef {
    /// Stable id, shown in results and SARIF (`aws-access-key-id`).
    pub id: &'static str,
    pub description: &'static str,
    pub severity: Severity,
    /// Rust `regex` syntax (bytes, so invalid UTF-8 cannot hide a token). A group named
    /// `secret` marks the secret; otherwise the whole match is the secret.
    pub pattern: &'static str,
    /// Minimum Shannon entropy (bits per character) of the secret; 0 for none.
    pub min_entropy: f64,
    /// Reject secrets that look like placeholders (`changeme`, `${DB_PASSWORD}`, `<token>`).
    pub reject_placeholders: bool,
    /// Only in files whose name matches one of these globs (empty: every file).
    pub file_names: &'static [&'static str],
    /// The pattern may continue past the end of the line it starts on (a PEM block).
    pub spans_lines: bool,
}

const fn rule(
    id: &'static str,
    description: &'static str,
    severity: Severity,
    pattern: &'static str,
) -> RuleDef {
    RuleDef {
        id,
        description,
        severity,
        pattern,
        min_entropy: 0.0,
        reject_placeholders: false,
        file_names: &[],
        spans_lines: false,
    }
}

const fn generic(
    id: &'static str,
    description: &'static str,
    severity: Severity,
    pattern: &'static str,
    min_entropy: f64,
) -> RuleDef {
    RuleDef {
        id,
        description,
        severity,
        pattern,
        min_entropy,
        reject_placeholders: true,
        file_names: &[],
        spans_lines: false,
    }
}

use Severity::{Critical, High, Low, Medium};

/// Names of dotenv files holding real values (templates such as `.env.example` are excluded).
pub const DOTENV_NAMES: &[&str] =
    &[".env", ".env.local", ".env.production", ".env.prod", ".env.staging", ".env.development"];

/// The id of the file-level rule for a committed `.env` file.
pub const DOTENV_RULE: &str = "dotenv-file-committed";

/// Every built-in content rule.
pub const RULES: &[RuleDef] = &[
    RuleDef {
        id: "private-key",
        description: "PEM private key block",
        severity: Critical,
        // Key material must follow the marker (after optional PEM headers such as
        // `Proc-Type:`, and line breaks written as `\\n` or string concatenation): code and
        // docs that merely mention the marker are not keys.
        pattern: r#"-----BEGIN[A-Z0-9 ]{0,30} PRIVATE KEY(?: BLOCK)?-----(?:\s|\\[nr]|["'+,])*(?:[A-Za-z][A-Za-z-]*:[^\n]*(?:\s|\\[nr])+)*(?P<secret>[A-Za-z0-9+/]{40,})"#,
        min_entropy: 0.0,
        reject_placeholders: false,
        file_names: &[],
        spans_lines: true,
    },
    rule(
        "aws-access-key-id",
        "AWS access key id",
        Critical,
        r"\b(?P<secret>(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16})\b",
    ),
    generic(
        "aws-secret-access-key",
        "AWS secret access key assigned in configuration or code",
        Critical,
        r#"(?i)aws_?secret_?(?:access_?)?key["']?\s*[:=]\s*["']?(?P<secret>[A-Za-z0-9/+=]{40})\b"#,
        3.5,
    ),
    rule("gcp-api-key", "Google Cloud API key", High, r"\b(?P<secret>AIza[0-9A-Za-z_\-]{35})\b"),
    rule(
        "gcp-service-account-key",
        "Google Cloud service account key file (private_key_id)",
        Critical,
        r#""private_key_id"\s*:\s*"(?P<secret>[0-9a-f]{40})""#,
    ),
    rule(
        "gcp-oauth-client-secret",
        "Google OAuth client secret",
        High,
        r"\b(?P<secret>GOCSPX-[A-Za-z0-9_\-]{28})\b",
    ),
    rule(
        "azure-storage-account-key",
        "Azure storage account key in a connection string",
        Critical,
        r"AccountKey=(?P<secret>[A-Za-z0-9+/]{86}==)",
    ),
    rule(
        "azure-ad-client-secret",
        "Azure AD (Entra ID) application client secret",
        Critical,
        r"(?:^|[^A-Za-z0-9_~.\-])(?P<secret>[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.\-]{31,34})(?:$|[^A-Za-z0-9_~.\-])",
    ),
    rule(
        "azure-sas-token",
        "Azure shared access signature",
        High,
        r"[?&]sig=(?P<secret>[A-Za-z0-9%+/]{43,53}(?:%3D|=))",
    ),
    rule(
        "github-pat",
        "GitHub personal access token",
        Critical,
        r"\b(?P<secret>ghp_[A-Za-z0-9]{36})\b",
    ),
    rule(
        "github-fine-grained-pat",
        "GitHub fine-grained personal access token",
        Critical,
        r"\b(?P<secret>github_pat_[A-Za-z0-9_]{82})\b",
    ),
    rule(
        "github-oauth-token",
        "GitHub OAuth access token",
        Critical,
        r"\b(?P<secret>gho_[A-Za-z0-9]{36})\b",
    ),
    rule(
        "github-app-token",
        "GitHub App user-to-server or server-to-server token",
        Critical,
        r"\b(?P<secret>(?:ghu|ghs)_[A-Za-z0-9]{36})\b",
    ),
    rule(
        "github-refresh-token",
        "GitHub refresh token",
        High,
        r"\b(?P<secret>ghr_[A-Za-z0-9]{36,76})\b",
    ),
    rule(
        "gitlab-pat",
        "GitLab personal, project or group access token",
        Critical,
        r"\b(?P<secret>glpat-[A-Za-z0-9_\-]{20,})\b",
    ),
    rule(
        "gitlab-runner-token",
        "GitLab runner authentication token",
        High,
        r"\b(?P<secret>glrt-[A-Za-z0-9_\-]{20,})\b",
    ),
    rule(
        "slack-token",
        "Slack bot, user or app token",
        High,
        r"\b(?P<secret>xox[baprs]-[0-9]{6,}-[A-Za-z0-9\-]{6,})",
    ),
    rule(
        "slack-webhook-url",
        "Slack incoming webhook URL",
        High,
        r"(?P<secret>https://hooks\.slack\.com/services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{20,})",
    ),
    rule(
        "discord-webhook-url",
        "Discord webhook URL",
        Medium,
        r"(?P<secret>https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/[A-Za-z0-9_\-]{60,68})",
    ),
    rule(
        "stripe-secret-key",
        "Stripe live secret key",
        Critical,
        r"\b(?P<secret>sk_live_[A-Za-z0-9]{20,})\b",
    ),
    rule(
        "stripe-restricted-key",
        "Stripe live restricted key",
        High,
        r"\b(?P<secret>rk_live_[A-Za-z0-9]{20,})\b",
    ),
    rule(
        "stripe-test-key",
        "Stripe test-mode secret key",
        Low,
        r"\b(?P<secret>sk_test_[A-Za-z0-9]{20,})\b",
    ),
    rule("npm-token", "npm access token", Critical, r"\b(?P<secret>npm_[A-Za-z0-9]{36})\b"),
    rule(
        "pypi-token",
        "PyPI upload token",
        Critical,
        r"\b(?P<secret>pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,})",
    ),
    rule("twilio-api-key", "Twilio API key", High, r"\b(?P<secret>SK[0-9a-f]{32})\b"),
    rule(
        "sendgrid-api-key",
        "SendGrid API key",
        High,
        r"\b(?P<secret>SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43})\b",
    ),
    rule(
        "mailchimp-api-key",
        "Mailchimp API key",
        Medium,
        r"\b(?P<secret>[0-9a-f]{32}-us[0-9]{1,2})\b",
    ),
    rule(
        "mailgun-api-key",
        "Mailgun API key",
        High,
        r#"(?i)mailgun[A-Za-z0-9_.\-]{0,20}["']?\s*[:=]\s*["']?(?P<secret>key-[0-9a-f]{32})\b"#,
    ),
    rule(
        "shopify-token",
        "Shopify access token or shared secret",
        High,
        r"\b(?P<secret>shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})\b",
    ),
    rule(
        "digitalocean-token",
        "DigitalOcean personal access or OAuth token",
        High,
        r"\b(?P<secret>do[por]_v1_[a-f0-9]{64})\b",
    ),
    rule(
        "openai-api-key",
        "OpenAI API key",
        High,
        r"\b(?P<secret>sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}T3BlbkFJ[A-Za-z0-9_\-]{20,})\b",
    ),
    rule(
        "anthropic-api-key",
        "Anthropic API key",
        High,
        r"\b(?P<secret>sk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_\-]{80,100})",
    ),
    rule(
        "hashicorp-vault-token",
        "HashiCorp Vault service token",
        High,
        r"\b(?P<secret>hvs\.[A-Za-z0-9_\-]{90,})",
    ),
    rule(
        "telegram-bot-token",
        "Telegram bot token",
        Medium,
        r"\b(?P<secret>[0-9]{8,10}:AA[0-9A-Za-z_\-]{33})\b",
    ),
    rule(
        "newrelic-api-key",
        "New Relic user API key",
        Medium,
        r"\b(?P<secret>NRAK-[A-Z0-9]{27})\b",
    ),
    rule(
        "postman-api-key",
        "Postman API key",
        Medium,
        r"\b(?P<secret>PMAK-[a-f0-9]{24}-[a-f0-9]{34})\b",
    ),
    rule(
        "age-secret-key",
        "age encryption secret key",
        Critical,
        r"\b(?P<secret>AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})\b",
    ),
    generic(
        "jwt",
        "JSON Web Token",
        Medium,
        r"\b(?P<secret>eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{16,})",
        3.0,
    ),
    generic(
        "database-url-password",
        "database connection URL with a password",
        High,
        r"\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|clickhouse|cockroachdb)(?:\+[a-z0-9]+)?://[^:/@\s'\x22`]{1,64}:(?P<secret>[^@\s'\x22`/]{4,128})@",
        2.5,
    ),
    generic(
        "url-credentials",
        "HTTP or FTP URL with an embedded password",
        Medium,
        r"\b(?:https?|ftps?)://[^:/@\s'\x22`]{1,64}:(?P<secret>[^@\s'\x22`/]{6,128})@[A-Za-z0-9.\-]+",
        3.0,
    ),
    generic(
        "generic-secret-assignment",
        "password, secret, token or API key assigned a literal value",
        High,
        r#"(?i)[A-Za-z0-9_.\-]{0,30}(?:password|passwd|pwd|secret|token|api_?key|apikey|access_?key|auth_?key|client_?secret|private_?key)[A-Za-z0-9_.\-]{0,20}["']?\s*(?::=|=>|[:=])\s*["'](?P<secret>[^"'\s]{8,128})["']"#,
        3.5,
    ),
    // A literal fallback for a secret read from the environment is used whenever the
    // variable is unset (`process.env.JWT_SECRET || 'superSecret'`): anyone who reads the code
    // can forge with it. Placeholders are the problem here, so they are not filtered.
    rule(
        "secret-env-fallback",
        "hard-coded fallback for a secret environment variable",
        High,
        r#"(?i)(?:process\.env\.|process\.env\[["']|os\.getenv\(\s*["']|os\.environ\.get\(\s*["']|env::var\(\s*")[A-Z0-9_]{0,40}(?:SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|PRIVATE_?KEY|SIGNING_?KEY)[A-Z0-9_]{0,20}["']?\]?\)?\s*(?:\|\||\?\?|,|\)\.unwrap_or\(\s*)\s*["'](?P<secret>[^"'\s]{4,128})["']"#,
    ),
    RuleDef {
        id: "dotenv-secret-assignment",
        description: "secret value in an environment file",
        severity: High,
        pattern: r#"(?i)^\s*(?:export\s+)?[A-Z0-9_]{0,40}(?:PASSWORD|PASSWD|PWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|AUTH|PRIVATE_?KEY|CREDENTIALS?)[A-Z0-9_]{0,20}\s*=\s*["']?(?P<secret>[^"'\s#]{8,256})"#,
        min_entropy: 3.0,
        reject_placeholders: true,
        file_names: &[".env", ".env.*", "*.env"],
        spans_lines: false,
    },
];

/// Shannon entropy in bits per character.
pub fn shannon_entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Words that mark a value as an example, a template or a reference rather than a secret.
const PLACEHOLDER_WORDS: &[&str] = &[
    "example",
    "changeme",
    "changethis",
    "change_this",
    "change-this",
    "change_me",
    "change-me",
    "placeholder",
    "your",
    "dummy",
    "sample",
    "fake",
    "xxxx",
    "****",
    "redacted",
    "password",
    "passwd",
    "secret",
    "token",
    "todo",
    "insert",
    "replace",
    "<",
    ">",
    "${",
    "{{",
    "%(",
    "$(",
    "env(",
    "process.env",
    "os.environ",
    "getenv",
    "localhost",
    "foobar",
    "not-a-",
    "notreal",
    "testing",
    "mysecret",
    "mypass",
];

/// True when the value looks like a placeholder or a reference to another value.
pub fn looks_like_placeholder(value: &[u8]) -> bool {
    let lower = String::from_utf8_lossy(value).to_ascii_lowercase();
    if lower.starts_with('$') || lower.starts_with('%') || lower.starts_with('{') {
        return true;
    }
    // Repeated single character (`xxxxxxxx`, `00000000`).
    if lower.bytes().all(|b| Some(b) == lower.bytes().next()) {
        return true;
    }
    // Code, not a value: a call, an attribute path, or an identifier in snake or camel case
    // without digits (`config.database.password`, `get_token()`).
    if lower.contains('(') || lower.contains(')') {
        return true;
    }
    // Elided in documentation (`"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..."`).
    if lower.contains("...") || lower.contains('…') {
        return true;
    }
    PLACEHOLDER_WORDS.iter().any(|w| lower.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_compiles_and_ids_are_unique() {
        let mut ids = std::collections::HashSet::new();
        for r in RULES {
            regex::bytes::Regex::new(r.pattern).unwrap_or_else(|e| panic!("{}: {e}", r.id));
            assert!(ids.insert(r.id), "duplicate id {}", r.id);
        }
        // The content rules plus the committed-.env file rule.
        assert!(RULES.len() + 1 >= 30, "{} rules", RULES.len() + 1);
    }

    #[test]
    fn entropy_separates_placeholders_from_keys() {
        assert!(shannon_entropy(b"changeme") < 3.0);
        assert!(shannon_entropy(b"aaaaaaaa") == 0.0);
        assert!(shannon_entropy(b"q8Zr3LkP0vXy7TbN2mWs") > 4.0);
    }

    #[test]
    fn placeholders_are_recognised() {
        for p in [
            "${DB_PASSWORD}",
            "<your-token>",
            "changeme123",
            "xxxxxxxxxx",
            "get_secret()",
            "changethis",
        ] {
            assert!(looks_like_placeholder(p.as_bytes()), "{p}");
        }
        assert!(!looks_like_placeholder(b"q8Zr3LkP0vXy7TbN2mWs"));
    }

    #[test]
    fn private_key_needs_key_material_after_the_marker() {
        let rule = RULES.iter().find(|r| r.id == "private-key").unwrap();
        let re = regex::bytes::RegexBuilder::new(rule.pattern).unicode(false).build().unwrap();
        let body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj";
        let hit = |t: &str| re.is_match(t.as_bytes());
        let marker = format!("-----BEGIN {}-----", "RSA PRIVATE KEY");
        assert!(hit(&format!("{marker}\n{body}\n")));
        assert!(hit(&format!("{{\"k\": \"{marker}\\n{body}\\n\"}}")), "escaped newlines in JSON");
        assert!(hit(&format!(
            "{marker}\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,AB12\n\n{body}\n"
        )));
        // Mentions of the marker in code and docs are not keys.
        assert!(!hit(&format!(
            "/// Reads a PEM file starting with `{marker}`.\n/// The body follows.\n"
        )));
        assert!(!hit(&format!("if line.starts_with(\"{marker}\") {{\n    parse(rest)\n}}\n")));
        assert!(!hit(&format!("{marker}\n...\n-----END")));
    }

    #[test]
    fn secret_env_fallbacks_are_found_plain_reads_are_not() {
        let rule = RULES.iter().find(|r| r.id == "secret-env-fallback").unwrap();
        let re = regex::bytes::RegexBuilder::new(rule.pattern).unicode(false).build().unwrap();
        let hit = |t: &str| re.is_match(t.as_bytes());
        assert!(hit("secret: process.env.JWT_SECRET || 'superSecret',"));
        assert!(hit("const k = process.env['API_KEY'] ?? \"dev-key-123\";"));
        assert!(hit("SECRET_KEY = os.getenv(\"SECRET_KEY\", \"dev-secret\")"));
        assert!(hit("SECRET_KEY = os.environ.get('DJANGO_SECRET_KEY', 'changeme')"));
        assert!(!hit("secret: process.env.JWT_SECRET,"));
        assert!(!hit("port = os.getenv(\"PORT\", \"8000\")"));
        assert!(!hit("SECRET_KEY = os.environ[\"SECRET_KEY\"]"));
    }
}
