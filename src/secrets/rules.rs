//! The built-in secret rules: id, description, severity and a pattern whose capture group
//! `secret` (or the whole match) is the secret. Generic rules (passwords assigned in code,
//! credentials in URLs) also need enough Shannon entropy and must not look like a placeholder,
//! so `password = "changeme"` in a README does not flood the report.

use crate::severity::Severity;

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

/// The id of the file-level rule for Rails' committed `config/master.key`.
pub const RAILS_MASTER_KEY_RULE: &str = "rails-master-key";

/// The id of the rule for values of a Kubernetes `Secret` manifest's `data`/`stringData`.
pub const KUBERNETES_SECRET_RULE: &str = "kubernetes-secret";

/// Rules that read a whole file rather than one line: id, severity, description.
pub const FILE_RULES: &[(&str, Severity, &str)] = &[
    (DOTENV_RULE, High, "environment file committed (it usually holds real credentials)"),
    (
        RAILS_MASTER_KEY_RULE,
        Critical,
        "Rails master key committed (config/master.key decrypts credentials.yml.enc)",
    ),
    (KUBERNETES_SECRET_RULE, High, "value in a Kubernetes Secret manifest (data/stringData)"),
];

/// Rules whose findings are not provider-issued credentials: a docker-compose file, CI
/// configuration, development settings or a local host lowers them (see [`super::context`]).
pub const PROVIDER_NEUTRAL: &[&str] = &[
    "database-url-password",
    "url-credentials",
    "generic-secret-assignment",
    "config-file-secret",
    "dotenv-secret-assignment",
    "secret-env-fallback",
    "python-secret-key",
    "rails-secret-key-base",
    "django-insecure-key",
    "laravel-app-key",
    "jwt",
    "stripe-test-key",
    "php-define-secret",
    "connection-string-password",
    "dockerfile-env-secret",
    "netrc-password",
    "authorization-bearer",
    DOTENV_RULE,
    KUBERNETES_SECRET_RULE,
];

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
    // Framework secrets: the keys a framework signs sessions and tokens with. Before the
    // generic rules, which would otherwise claim the same bytes.
    generic(
        "django-insecure-key",
        "Django SECRET_KEY generated by startproject (`django-insecure-` prefix)",
        High,
        r"(?P<secret>django-insecure-[a-z0-9!@#$%^&*(\-_=+)]{30,})",
        0.0,
    ),
    RuleDef {
        id: "python-secret-key",
        description: "Django, Flask or FastAPI SECRET_KEY / JWT secret assigned a literal",
        severity: High,
        pattern: r#"(?:\bSECRET_KEY|\bJWT_SECRET(?:_KEY)?|\bsecret_key|config\[\s*["'](?:SECRET_KEY|JWT_SECRET_KEY|JWT_SECRET)["']\s*\])(?:\s*:\s*str)?\s*=\s*[rbu]?["'](?P<secret>[^"'\n]{12,128})["']"#,
        min_entropy: 3.0,
        reject_placeholders: true,
        file_names: &["*.py"],
        spans_lines: false,
    },
    generic(
        "rails-secret-key-base",
        "Rails secret_key_base (signs sessions and cookies)",
        High,
        r#"(?i)secret_key_base["']?\s*(?::|=>|=)\s*["']?(?P<secret>[0-9a-f]{64,})\b"#,
        3.0,
    ),
    generic(
        "laravel-app-key",
        "Laravel APP_KEY (encrypts sessions and cookies)",
        High,
        r"\bAPP_KEY\s*=\s*[\x22']?(?P<secret>base64:[A-Za-z0-9+/]{43}=)",
        3.0,
    ),
    // `key=value` configuration without quotes (Spring `.properties` and `application.yml`,
    // INI, `.cfg`, `.conf`): the key must end with a secret word, and short hand-typed values
    // count (`JwtSecret = 233` is the service's signing key). A Spring `${VAR:default}`
    // default is the secret used whenever the variable is unset.
    RuleDef {
        id: "config-file-secret",
        description: "password or secret in a configuration file (Spring, INI, .cfg, .conf)",
        severity: High,
        pattern: r#"(?i)^[ \t]*(?P<key>[A-Za-z0-9_.\-]*(?:password|passwd|pwd|secret|secret[_.\-]?key|token|api[_.\-]?key|access[_.\-]?key|private[_.\-]?key|signing[_.\-]?key|credentials?))[ \t]*[=:][ \t]*(?:\$\{[A-Za-z0-9_.\-]+:)?["']?(?P<secret>[^\s#;'"${}][^\s'"}]{2,255})"#,
        min_entropy: 0.0,
        reject_placeholders: true,
        file_names: &[
            "*.properties",
            "*.ini",
            "*.cfg",
            "*.conf",
            "database.yml",
            "application*.yml",
            "application*.yaml",
            "bootstrap*.yml",
            "bootstrap*.yaml",
        ],
        spans_lines: false,
    },
    // Found by held-out cases of the corpus (written after the rules above were tuned).
    generic(
        "php-define-secret",
        "PHP define() of a password, key, salt or token (wp-config.php)",
        High,
        r#"(?i)\bdefine\(\s*["'][A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|_KEY|_SALT)["']\s*,\s*["'](?P<secret>[^"'\n]{8,128})["']"#,
        3.0,
    ),
    generic(
        "connection-string-password",
        "password in an ADO.NET/ODBC connection string (Server=…;Password=…)",
        High,
        r#"(?i);\s*(?:password|pwd)\s*=\s*(?P<secret>[^;"'\s]{4,128})\s*(?:;|["']|$)"#,
        2.5,
    ),
    RuleDef {
        id: "dockerfile-env-secret",
        description: "secret baked into an image by a Dockerfile ENV or ARG default",
        severity: High,
        pattern: r#"(?i)^\s*(?:ENV|ARG)\s+[A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY)[A-Z0-9_]*(?:=|\s+)["']?(?P<secret>[^\s"'$]{8,256})"#,
        min_entropy: 3.0,
        reject_placeholders: true,
        file_names: &[
            "Dockerfile",
            "Dockerfile.*",
            "*.Dockerfile",
            "*.dockerfile",
            "Containerfile",
        ],
        spans_lines: false,
    },
    RuleDef {
        id: "netrc-password",
        description: "password in a .netrc file",
        severity: High,
        pattern: r"\bpassword\s+(?P<secret>\S{4,})",
        min_entropy: 0.0,
        reject_placeholders: true,
        file_names: &[".netrc", "_netrc"],
        spans_lines: false,
    },
    generic(
        "authorization-bearer",
        "bearer token in an Authorization header",
        Medium,
        r"(?i)authorization:?\s*[\x22']?\s*bearer\s+(?P<secret>[A-Za-z0-9_\-.=/+~]{20,})",
        3.5,
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
        r#"(?i)(?P<key>[A-Za-z0-9_.\-]{0,30}(?:password|passwd|pwd|secret|token|api_?key|apikey|access_?key|auth_?key|client_?secret|private_?key)[A-Za-z0-9_.\-]{0,20})["']?\s*(?::=|=>|[:=])\s*["'](?P<secret>[^"'\s][^"'\n]{6,}[^"'\s])["']"#,
        3.0,
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

/// Keys that name something about a secret rather than the secret (`password_hash`,
/// `token_url`, `secret_name`): the generic rules skip them.
pub fn key_is_not_a_secret(key: &[u8]) -> bool {
    const PARTS: &[&str] = &[
        "hash",
        "digest",
        "checksum",
        "fingerprint",
        "url",
        "uri",
        "endpoint",
        "path",
        "file",
        "name",
        "type",
        "length",
        "expir",
        "ttl",
        "header",
        "prefix",
        "field",
        "param",
        "label",
        "placeholder",
        "message",
        "error",
        "regex",
        "pattern",
        "format",
        "policy",
        "count",
        "timeout",
        "version",
        "mode",
        "reset",
        "confirm",
        "hint",
        "input",
        "id",
    ];
    // Words of the key, split at `_`, `.`, `-` and camelCase humps.
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in String::from_utf8_lossy(key).chars() {
        if (!c.is_ascii_alphanumeric() || (c.is_ascii_uppercase() && prev_lower)) && !cur.is_empty()
        {
            words.push(std::mem::take(&mut cur));
        }
        if c.is_ascii_alphanumeric() {
            cur.push(c.to_ascii_lowercase());
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words.iter().any(|w| PARTS.iter().any(|p| w == p || (p.len() > 4 && w.starts_with(p))))
}

/// True when the value looks like a placeholder or a reference to another value.
pub fn looks_like_placeholder(value: &[u8]) -> bool {
    let lower = String::from_utf8_lossy(value).to_ascii_lowercase();
    // A reference to another value: `$VAR`, `${VAR}`, `%VAR%`, `{name}`, `{{ .Values.x }}`,
    // `%(name)s`, `$(cmd)`. Each shape must be complete, so a generated key that merely holds
    // `$`, `%` or `{` (Django's alphabet has `$`, `%`, `(`) is not taken for one.
    let b = lower.as_bytes();
    if (b[0] == b'$' && b.get(1).is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_'))
        || (b[0] == b'%'
            && lower.len() > 2
            && lower.ends_with('%')
            && identifier(&b[1..b.len() - 1]))
        || (b[0] == b'{' && lower.ends_with('}') && identifier(&b[1..b.len() - 1]))
        || lower.find('<').is_some_and(|i| {
            lower[i + 1..].find('>').is_some_and(|j| identifier(&b[i + 1..i + 1 + j]))
        })
        || lower.find("${").is_some_and(|i| lower[i..].contains('}'))
        || lower.find("{{").is_some_and(|i| lower[i..].contains("}}"))
        || lower.find("%(").is_some_and(|i| lower[i..].contains(")s"))
        || lower.find("$(").is_some_and(|i| lower[i..].contains(')'))
    {
        return true;
    }
    // Repeated single character (`xxxxxxxx`, `00000000`).
    if lower.bytes().all(|b| Some(b) == lower.bytes().next()) {
        return true;
    }
    // Code, not a value: a call (`get_token()`, `env("DB_PASSWORD")`). Only call syntax —
    // an identifier directly followed by `(` and a closing `)` at the end — counts: generated
    // keys use `(` and `)` as punctuation (Django's alphabet has both, so ~87% of its 50-char
    // keys contain one) and must not be mistaken for code.
    if looks_like_call(&lower) {
        return true;
    }
    if looks_like_hash(&lower) {
        return true;
    }
    // Elided in documentation (`"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..."`).
    if lower.contains("...") || lower.contains('…') {
        return true;
    }
    PLACEHOLDER_WORDS.iter().any(|w| lower.contains(w))
}

/// A name between delimiters (`%APPDATA%`, `{ secret_key }`, `{{.Values.x}}`).
fn identifier(b: &[u8]) -> bool {
    b.iter().all(|c| c.is_ascii_alphanumeric() || b"_.- {}".contains(c))
}

/// `name(…)` or `a.b(…)`: an identifier, `(`, anything, and `)` at the end.
fn looks_like_call(v: &str) -> bool {
    let Some(open) = v.find('(') else { return false };
    open > 0
        && v.ends_with(')')
        && v[..open]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b':')
        && v.as_bytes()[0].is_ascii_alphabetic()
}

/// A password hash or a salted digest (Django's `pbkdf2_sha256$…`, bcrypt's `$2b$…`, crypt's
/// `$6$…`, LDAP's `{SSHA}…`): what a fixture stores instead of a password, not a credential.
pub fn looks_like_hash(v: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "pbkdf2_",
        "pbkdf2$",
        "argon2",
        "$argon2",
        "bcrypt$",
        "bcrypt_sha256$",
        "sha1$",
        "md5$",
        "scrypt$",
        "crypt$",
        "unsalted_",
        "$2a$",
        "$2b$",
        "$2y$",
        "$1$",
        "$5$",
        "$6$",
        "{ssha}",
        "{sha}",
        "{bcrypt}",
        "{noop}",
    ];
    PREFIXES.iter().any(|p| v.starts_with(p))
}

/// [`looks_like_hash`] on raw bytes.
pub fn looks_like_hash_bytes(v: &[u8]) -> bool {
    looks_like_hash(&String::from_utf8_lossy(v).to_ascii_lowercase())
}

/// Values that are settings, not secrets, after a key that names a secret in a config file
/// (`password_required = true`, `secret: null`).
pub fn looks_like_setting(v: &[u8]) -> bool {
    const WORDS: &[&str] =
        &["true", "false", "null", "none", "nil", "yes", "no", "on", "off", "empty", "required"];
    let lower = String::from_utf8_lossy(v).to_ascii_lowercase();
    let lower = lower.trim_matches(|c| c == '"' || c == '\'' || c == ',' || c == ';');
    lower.is_empty() || WORDS.contains(&lower) || lower.starts_with('!') || lower.starts_with('&')
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
