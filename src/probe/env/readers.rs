//! The readers of `env`: one per idiom by which code reads its configuration from the
//! environment, each a function from a file's text to the names it reads (with the byte offset
//! of each read). Which files a reader applies to is decided by [`readers_for`]; the languages
//! for which no reader exists are named by [`unread_language`], so the probe can say what it
//! could not read instead of claiming the code reads nothing.
//!
//! Everything is textual (regexes, balanced brackets): no code is executed or parsed fully, so
//! a read through an indirection the readers do not model (a computed name, a helper that wraps
//! `os.environ`) is not seen.

use std::sync::LazyLock;

use regex::Regex;

/// A found read: variable name and byte offset in the file.
pub type Found = Vec<(String, usize)>;

/// One reader: its name in reasons and evidence, and what it finds in a file's text.
pub struct Reader {
    pub name: &'static str,
    pub find: fn(&str) -> Found,
}

fn re(s: &str) -> Regex {
    Regex::new(s).expect("constant regex")
}

/// A name that can be an environment variable read by the code: upper case, digits, `_`.
fn env_like(name: &str) -> bool {
    !name.is_empty()
        && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

/// Matches of `re` with the name in group 1 (or 2).
fn captures(re: &Regex, text: &str) -> Found {
    re.captures_iter(text)
        .filter_map(|c| {
            let name = c.get(1).or_else(|| c.get(2))?;
            Some((name.as_str().to_string(), c.get(0).map_or(0, |m| m.start())))
        })
        .collect()
}

static RUST: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"\b(?:env::var(?:_os)?|env!|option_env!)\s*\(\s*"([A-Za-z_][A-Za-z0-9_]*)""#)
});
/// clap's `#[arg(long, env)]` / `#[clap(env = "NAME")]` on a field: the variable is the
/// explicit name, or the field's name in upper case.
static CLAP_ENV: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"#\[(?:clap|arg)\(([^\]]*?\benv\b[^\]]*?)\)\]\s*(?:(?://[^\n]*|#\[[^\]]*\])\s*)*(?:pub(?:\([^)]*\))?\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*:"#,
    )
});
static CLAP_NAME: LazyLock<Regex> =
    LazyLock::new(|| re(r#"\benv\s*=\s*"([A-Za-z_][A-Za-z0-9_]*)""#));

fn rust(text: &str) -> Found {
    let mut found = captures(&RUST, text);
    for c in CLAP_ENV.captures_iter(text) {
        let name = match CLAP_NAME.captures(&c[1]) {
            Some(n) => n[1].to_string(),
            None => c[2].to_ascii_uppercase(),
        };
        found.push((name, c.get(0).map_or(0, |m| m.start())));
    }
    found
}

static PY_OS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"\bos\.(?:environ\s*\[\s*|environ\.get\s*\(\s*|getenv\s*\(\s*)["']([A-Za-z_][A-Za-z0-9_]*)["']"#,
    )
});
fn python_os(text: &str) -> Found {
    captures(&PY_OS, text)
}

static ENVIRON_ENV: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*=\s*environ\.Env\s*\("));

/// django-environ: `env = environ.Env(DEBUG=(bool, False))` declares a schema (its keyword
/// names are variables), and `env("X")`, `env.str("X")`, `env.bool("X")`, `env.db("X")` … read.
fn django_environ(text: &str) -> Found {
    if !text.contains("environ") && !text.contains("import env") {
        return Vec::new();
    }
    let mut vars: Vec<String> = Vec::new();
    let mut found = Vec::new();
    for c in ENVIRON_ENV.captures_iter(text) {
        vars.push(c[1].to_string());
        let open = c.get(0).map_or(0, |m| m.end() - 1);
        if let Some((start, inner)) = bracketed(text, open) {
            for (key, at) in top_level_keys(inner, '=') {
                if env_like(&key) {
                    found.push((key, start + at));
                }
            }
        }
    }
    if vars.is_empty() {
        // `from .base import env` / `from environ import Env; env = Env()`.
        if !(text.contains("import env") || text.contains("Env()")) {
            return found;
        }
        vars.push("env".into());
    }
    vars.sort();
    vars.dedup();
    let names = vars.iter().map(|v| regex::escape(v)).collect::<Vec<_>>().join("|");
    let call = re(&format!(
        r#"\b(?:{names})(?:\.(?:str|bool|int|float|list|tuple|dict|json|url|db_url|db|cache_url|cache|email_url|email|search_url|path|bytes|parse_value))?\s*\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']"#
    ));
    found.extend(captures(&call, text));
    found
}

static PY_CLASS: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?m)^([ \t]*)class\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(([^)]*)\)\s*:"));
static PY_FIELD: LazyLock<Regex> =
    LazyLock::new(|| re(r"^([A-Za-z][A-Za-z0-9_]*)\s*:\s*([^=\n]*)(.*)$"));
static PY_ALIAS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"\b(?:validation_alias|alias)\s*=\s*(?:AliasChoices\s*\(\s*)?["']([A-Za-z_][A-Za-z0-9_]*)["']"#,
    )
});
static PY_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| re(r#"\benv_prefix\s*[=:]\s*["']([A-Za-z0-9_]*)["']"#));

/// pydantic `BaseSettings` (and classes deriving from one in the same file): each annotated
/// field is a variable, named `env_prefix` + the field name in upper case (pydantic matches
/// case-insensitively), or its `alias` / `validation_alias`.
fn pydantic_settings(text: &str) -> Found {
    if !text.contains("BaseSettings") {
        return Vec::new();
    }
    let mut settings: Vec<String> = vec!["BaseSettings".into()];
    let mut found = Vec::new();
    for c in PY_CLASS.captures_iter(text) {
        let bases = &c[3];
        if !settings
            .iter()
            .any(|s| bases.split(',').any(|b| b.trim().rsplit('.').next() == Some(s.as_str())))
        {
            continue;
        }
        settings.push(c[2].to_string());
        let indent = c[1].len();
        let body_start = c.get(0).map_or(0, |m| m.end());
        // The body: the lines after the header indented deeper than `class`.
        let mut lines = Vec::new();
        let mut at =
            body_start + text[body_start..].find('\n').map_or(text.len() - body_start, |i| i + 1);
        while at < text.len() {
            let end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
            let line = &text[at..end];
            let trimmed = line.trim_start();
            let depth = line.len() - trimmed.len();
            if !trimmed.trim().is_empty() && !trimmed.starts_with('#') && depth <= indent {
                break;
            }
            lines.push((at, line));
            at = end;
        }
        let body_indent = lines
            .iter()
            .map(|(_, l)| *l)
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .map(|l| l.len() - l.trim_start().len())
            .next();
        let Some(body_indent) = body_indent else { continue };
        let body: String = lines.iter().map(|(_, l)| *l).collect();
        let prefix = PY_PREFIX.captures(&body).map(|p| p[1].to_string()).unwrap_or_default();
        for (offset, line) in &lines {
            if line.len() - line.trim_start().len() != body_indent {
                continue;
            }
            let Some(f) = PY_FIELD.captures(line.trim()) else { continue };
            let (field, annotation) = (&f[1], f[2].trim());
            if field == "model_config" || annotation.starts_with("ClassVar") {
                continue;
            }
            let name = match PY_ALIAS.captures(&f[3]) {
                Some(a) => a[1].to_ascii_uppercase(),
                None => format!("{prefix}{field}").to_ascii_uppercase(),
            };
            found.push((name, *offset + (line.len() - line.trim_start().len())));
        }
    }
    found
}

static JS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"\bprocess\.env(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*["'`]([A-Za-z_][A-Za-z0-9_]*)["'`]\s*\])"#,
    )
});
fn node(text: &str) -> Found {
    captures(&JS, text)
}

/// `process.env` handed whole to something (`schema.validate(process.env)`,
/// `cleanEnv(process.env, …)`, `schema.parse(process.env)`).
static JS_ENV_ARG: LazyLock<Regex> = LazyLock::new(|| re(r"\(\s*process\.env\s*[,)]"));
static JS_SCHEMA: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:\bJoi\.object\s*\(|\.keys\s*\(|\bz\.object\s*\(|\bcleanEnv\s*\(\s*process\.env\s*,)\s*\{",
    )
});

/// Node schema validators over `process.env` as a whole: the upper-case keys of a Joi
/// `Joi.object({…})` / `.keys({…})`, an envalid `cleanEnv(process.env, {…})` or a zod
/// `z.object({…})`, in a file that passes `process.env` to a call.
fn node_schema(text: &str) -> Found {
    if !JS_ENV_ARG.is_match(text) {
        return Vec::new();
    }
    let mut found = Vec::new();
    // The end of the last schema read: a schema nested in it is a value, not the environment.
    let mut covered = 0;
    for m in JS_SCHEMA.find_iter(text) {
        if m.start() < covered {
            continue;
        }
        if let Some((start, inner)) = bracketed(text, m.end() - 1) {
            covered = start + inner.len();
            for (key, at) in top_level_keys(inner, ':') {
                if env_like(&key) {
                    found.push((key, start + at));
                }
            }
        }
    }
    found
}

static GO: LazyLock<Regex> =
    LazyLock::new(|| re(r#"\bos\.(?:Getenv|LookupEnv)\(\s*"([A-Za-z_][A-Za-z0-9_]*)""#));
fn go(text: &str) -> Found {
    captures(&GO, text)
}

static VIPER_GET: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"\bviper\.(?:Get|GetString|GetBool|GetInt|GetInt32|GetInt64|GetUint|GetUint32|GetUint64|GetFloat64|GetDuration|GetTime|GetStringSlice|GetIntSlice|GetStringMap|GetStringMapString|GetSizeInBytes|IsSet)\(\s*"([^"]+)""#,
    )
});
static VIPER_BIND: LazyLock<Regex> =
    LazyLock::new(|| re(r#"\bviper\.BindEnv\(\s*"([^"]+)"((?:\s*,\s*"[^"]+")*)"#));
static VIPER_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| re(r#"\bSetEnvPrefix\(\s*"([A-Za-z0-9_]*)""#));
static VIPER_DOTS: LazyLock<Regex> =
    LazyLock::new(|| re(r#"\bSetEnvKeyReplacer\(\s*strings\.NewReplacer\(\s*"\."\s*,\s*"_""#));
static QUOTED: LazyLock<Regex> = LazyLock::new(|| re(r#""([A-Za-z_][A-Za-z0-9_]*)""#));

/// What viper is told in one Go file: keys read, bound variables, and its environment
/// settings (which may be in another file: [`ViperConfig`] gathers them over the repository).
#[derive(Debug, Default)]
pub struct ViperFile {
    /// `viper.GetString("key")` …: a variable only with `AutomaticEnv`.
    pub gets: Vec<(String, usize)>,
    /// `viper.BindEnv("key")` (prefix + KEY) — `bound` holds explicit names.
    pub bind_keys: Vec<(String, usize)>,
    pub bound: Vec<(String, usize)>,
    pub automatic: bool,
    pub prefix: Option<String>,
    pub dots: bool,
}

pub fn viper_file(text: &str) -> ViperFile {
    let mut v = ViperFile::default();
    if !text.contains("viper") {
        return v;
    }
    v.gets = captures(&VIPER_GET, text);
    for c in VIPER_BIND.captures_iter(text) {
        let at = c.get(0).map_or(0, |m| m.start());
        let names = captures(&QUOTED, &c[2]);
        if names.is_empty() {
            v.bind_keys.push((c[1].to_string(), at));
        } else {
            v.bound.extend(names.into_iter().map(|(n, _)| (n, at)));
        }
    }
    v.automatic = text.contains("AutomaticEnv()");
    v.prefix = VIPER_PREFIX.captures(text).map(|c| c[1].to_string());
    v.dots = VIPER_DOTS.is_match(text);
    v
}

/// The environment settings viper gets anywhere in the repository.
#[derive(Debug, Default)]
pub struct ViperConfig {
    pub automatic: bool,
    pub prefix: Option<String>,
    pub dots: bool,
}

impl ViperConfig {
    /// The variable viper reads for `key`, if it can be one.
    pub fn variable(&self, key: &str) -> Option<String> {
        let mut k = key.to_ascii_uppercase();
        if self.dots {
            k = k.replace('.', "_");
        }
        let name = match self.prefix.as_deref().filter(|p| !p.is_empty()) {
            Some(p) => format!("{}_{k}", p.to_ascii_uppercase()),
            None => k,
        };
        env_like(&name).then_some(name)
    }
}

static JAVA: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"\b(?:System\.getenv\s*\((?:\s*\)\s*\.\s*(?:get|getOrDefault|containsKey)\s*\()?\s*"([A-Za-z_][A-Za-z0-9_]*)"|sys\.env(?:\.get)?\s*\(\s*"([A-Za-z_][A-Za-z0-9_]*)")"#,
    )
});
fn java(text: &str) -> Found {
    captures(&JAVA, text)
}

/// Spring's `${NAME}` / `${NAME:default}`: an upper-case name (a property such as
/// `${server.port}` is not an environment variable).
static SPRING_PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| re(r"\$\{([A-Z_][A-Z0-9_]*)(?::[^}]*)?\}"));
static SPRING_VALUE: LazyLock<Regex> =
    LazyLock::new(|| re(r#"@Value\s*\(\s*"\$\{([A-Z_][A-Z0-9_]*)(?::[^}"]*)?\}"#));
fn spring_config(text: &str) -> Found {
    captures(&SPRING_PLACEHOLDER, text)
}
fn spring_value(text: &str) -> Found {
    captures(&SPRING_VALUE, text)
}

static RUBY: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"\bENV(?:\[\s*|\.fetch\s*\(?\s*|\.key\?\s*\(?\s*)["']([A-Za-z_][A-Za-z0-9_]*)["']"#)
});
fn ruby(text: &str) -> Found {
    captures(&RUBY, text)
}

static CSHARP: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"\bEnvironment\.GetEnvironmentVariable\s*\(\s*"([A-Za-z_][A-Za-z0-9_]*)""#)
});
fn csharp(text: &str) -> Found {
    captures(&CSHARP, text)
}

static PHP: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?:\bgetenv\s*\(\s*|\$_(?:ENV|SERVER)\s*\[\s*|\benv\s*\(\s*)["']([A-Za-z_][A-Za-z0-9_]*)["']"#,
    )
});
fn php(text: &str) -> Found {
    captures(&PHP, text)
}

static C: LazyLock<Regex> =
    LazyLock::new(|| re(r#"\b(?:secure_)?getenv\s*\(\s*"([A-Za-z_][A-Za-z0-9_]*)""#));
fn c(text: &str) -> Found {
    captures(&C, text)
}

static ELIXIR: LazyLock<Regex> =
    LazyLock::new(|| re(r#"\bSystem\.(?:get_env|fetch_env!?)\s*\(\s*"([A-Za-z_][A-Za-z0-9_]*)""#));
fn elixir(text: &str) -> Found {
    captures(&ELIXIR, text)
}

pub const R_RUST: Reader = Reader { name: "Rust env::var/env!/clap env", find: rust };
pub const R_PY_OS: Reader = Reader { name: "Python os.environ/getenv", find: python_os };
pub const R_DJANGO_ENVIRON: Reader = Reader { name: "django-environ", find: django_environ };
pub const R_PYDANTIC: Reader = Reader { name: "pydantic BaseSettings", find: pydantic_settings };
pub const R_NODE: Reader = Reader { name: "Node process.env", find: node };
pub const R_NODE_SCHEMA: Reader =
    Reader { name: "Node schema over process.env (Joi/envalid/zod)", find: node_schema };
pub const R_GO: Reader = Reader { name: "Go os.Getenv", find: go };
pub const R_JAVA: Reader = Reader { name: "JVM System.getenv", find: java };
pub const R_SPRING_VALUE: Reader = Reader { name: "Spring @Value", find: spring_value };
pub const R_SPRING_CONFIG: Reader =
    Reader { name: "Spring ${VAR} placeholders", find: spring_config };
pub const R_RUBY: Reader = Reader { name: "Ruby ENV[]/ENV.fetch", find: ruby };
pub const R_CSHARP: Reader = Reader { name: "C# GetEnvironmentVariable", find: csharp };
pub const R_PHP: Reader = Reader { name: "PHP getenv/$_ENV/env()", find: php };
pub const R_C: Reader = Reader { name: "C/C++ getenv", find: c };
pub const R_ELIXIR: Reader = Reader { name: "Elixir System.get_env", find: elixir };
/// The name the repository-wide viper pass reports under.
pub const VIPER: &str = "Go viper";

/// The language of a source file and the readers that apply to it. `None`: not source code
/// the probe reads (configuration files other than Spring's and Rails' ERB YAML, docs, …).
pub fn readers_for(
    rel: &str,
    text_has_erb: impl Fn() -> bool,
) -> Option<(&'static str, Vec<&'static Reader>)> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    Some(match ext {
        "rs" => ("Rust", vec![&R_RUST]),
        "py" => ("Python", vec![&R_PY_OS, &R_DJANGO_ENVIRON, &R_PYDANTIC]),
        "js" | "mjs" | "cjs" | "jsx" | "ts" | "tsx" | "mts" | "cts" => {
            ("JavaScript/TypeScript", vec![&R_NODE, &R_NODE_SCHEMA])
        }
        "go" => ("Go", vec![&R_GO]),
        "java" | "kt" | "kts" | "scala" | "groovy" => ("JVM", vec![&R_JAVA, &R_SPRING_VALUE]),
        "properties" | "yml" | "yaml"
            if name.starts_with("application") || name.starts_with("bootstrap") =>
        {
            ("Spring configuration", vec![&R_SPRING_CONFIG])
        }
        "rb" | "rake" | "ru" | "erb" | "jbuilder" => ("Ruby", vec![&R_RUBY]),
        "yml" | "yaml" if text_has_erb() => ("Ruby (ERB in YAML)", vec![&R_RUBY]),
        "cs" => ("C#", vec![&R_CSHARP]),
        "php" => ("PHP", vec![&R_PHP]),
        "c" | "h" | "cc" | "cpp" | "cxx" | "hpp" => ("C/C++", vec![&R_C]),
        "ex" | "exs" => ("Elixir", vec![&R_ELIXIR]),
        _ => return None,
    })
}

/// Source languages the probe has no reader for.
pub fn unread_language(rel: &str) -> Option<&'static str> {
    let ext = rel.rsplit_once('.').map_or("", |(_, e)| e);
    Some(match ext {
        "swift" => "Swift",
        "dart" => "Dart",
        "pl" | "pm" => "Perl",
        "lua" => "Lua",
        "hs" => "Haskell",
        "clj" | "cljs" => "Clojure",
        "erl" => "Erlang",
        "fs" | "fsx" => "F#",
        "vb" => "Visual Basic",
        "cr" => "Crystal",
        "nim" => "Nim",
        "zig" => "Zig",
        "jl" => "Julia",
        "R" => "R",
        _ => return None,
    })
}

/// The text inside the bracket at byte `open` (`(`, `{` or `[`) up to its match, and the
/// offset of that text. Brackets inside string literals are skipped.
fn bracketed(text: &str, open: usize) -> Option<(usize, &str)> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut i = open;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == b'\\' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None => match b {
                b'"' | b'\'' | b'`' => quote = Some(b),
                b'(' | b'{' | b'[' => depth += 1,
                b')' | b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some((open + 1, &text[open + 1..i]));
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    None
}

static KEY: LazyLock<Regex> = LazyLock::new(|| re(r#"^["']?([A-Za-z_$][A-Za-z0-9_$]*)["']?\s*$"#));

/// The keys of the top-level `key: value` (or `key=value`) items of an object literal or
/// argument list, with their offsets in `inner`.
fn top_level_keys(inner: &str, sep: char) -> Vec<(String, usize)> {
    let bytes = inner.as_bytes();
    let mut out = Vec::new();
    let (mut depth, mut quote, mut item_start, mut i) = (0i32, None::<u8>, 0usize, 0usize);
    let mut key_done = false;
    while i <= bytes.len() {
        let b = if i < bytes.len() { bytes[i] } else { b',' };
        if let Some(q) = quote {
            if b == b'\\' {
                i += 1;
            } else if b == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        match b {
            b'"' | b'\'' | b'`' if key_done || depth > 0 => quote = Some(b),
            b'(' | b'{' | b'[' => depth += 1,
            b')' | b'}' | b']' => depth -= 1,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                // A line comment: skip to the end of the line.
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                if !key_done {
                    item_start = i;
                }
                continue;
            }
            b'#' if sep == '=' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                if !key_done {
                    item_start = i;
                }
                continue;
            }
            b',' if depth == 0 => {
                item_start = i + 1;
                key_done = false;
            }
            c if depth == 0 && !key_done && c as char == sep => {
                key_done = true;
                let raw = &inner[item_start..i];
                if let Some(k) = KEY.captures(raw.trim_start()) {
                    let lead = raw.len() - raw.trim_start().len();
                    out.push((k[1].to_string(), item_start + lead));
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(f: Found) -> Vec<String> {
        let mut v: Vec<String> = f.into_iter().map(|(n, _)| n).collect();
        v.sort();
        v.dedup();
        v
    }

    #[test]
    fn java_getenv_and_spring() {
        let j = "class A {\n  int p = Integer.parseInt(System.getenv().getOrDefault(\"PORT\", \"9555\"));\n  String u = System.getenv(\"DB_URL\");\n  @Value(\"${JWT_SECRET}\") String s;\n  @Value(\"${MAIL_HOST:localhost}\") String h;\n  @Value(\"${app.name}\") String n;\n}\n";
        assert_eq!(names(java(j)), ["DB_URL", "PORT"]);
        assert_eq!(names(spring_value(j)), ["JWT_SECRET", "MAIL_HOST"]);
        let props = "spring.datasource.url=${MYSQL_URL:jdbc:mysql://localhost/petclinic}\nspring.datasource.username=${MYSQL_USER:petclinic}\nserver.port=${server.port.alt:8080}\n";
        assert_eq!(names(spring_config(props)), ["MYSQL_URL", "MYSQL_USER"]);
        let yml = "spring:\n  datasource:\n    password: ${POSTGRES_PASS:petclinic}\n";
        assert_eq!(names(spring_config(yml)), ["POSTGRES_PASS"]);
        assert!(readers_for("src/main/resources/application-mysql.properties", || false).is_some());
        assert!(readers_for("src/main/resources/messages.properties", || false).is_none());
    }

    #[test]
    fn ruby_env_forms() {
        let rb = "a = ENV[\"SECRET_KEY_BASE\"]\nb = ENV['RAILS_SERVE_STATIC_FILES'].present?\nc = ENV.fetch(\"REDIS_URL\") { 'x' }\nd = ENV.fetch 'PORT', 3000\ne = ENV.key?(\"SENTRY_DSN\")\n";
        assert_eq!(
            names(ruby(rb)),
            ["PORT", "RAILS_SERVE_STATIC_FILES", "REDIS_URL", "SECRET_KEY_BASE", "SENTRY_DSN"]
        );
        // ERB in YAML (config/secrets.yml) is read as Ruby.
        let yml = "production:\n  secret_key_base: <%= ENV[\"SECRET_KEY_BASE\"] %>\n";
        let (lang, readers) = readers_for("config/secrets.yml", || yml.contains("<%")).unwrap();
        assert_eq!(lang, "Ruby (ERB in YAML)");
        assert_eq!(names((readers[0].find)(yml)), ["SECRET_KEY_BASE"]);
    }

    #[test]
    fn django_environ_calls_and_schema() {
        let py = "import environ\n\nenv = environ.Env(\n    # comment\n    DEBUG=(bool, False),\n    ALLOWED_HOSTS=(list, []),\n)\nSECRET_KEY = env(\"DJANGO_SECRET_KEY\")\nDATABASES = {\"default\": env.db(\"DATABASE_URL\")}\nX = env.bool('USE_S3', default=False)\nY = env.str(\"EMAIL_HOST\", default=\"\")\nZ = env.list(\"CORS_ORIGINS\")\nC = env.cache_url(\"CACHE_URL\")\n";
        assert_eq!(
            names(django_environ(py)),
            [
                "ALLOWED_HOSTS",
                "CACHE_URL",
                "CORS_ORIGINS",
                "DATABASE_URL",
                "DEBUG",
                "DJANGO_SECRET_KEY",
                "EMAIL_HOST",
                "USE_S3"
            ]
        );
        // A settings module that imports `env` from the base one.
        assert_eq!(
            names(django_environ("from .base import env\nK = env(\"SENTRY_DSN\")\n")),
            ["SENTRY_DSN"]
        );
        // Unrelated `env(...)` in a file that does not use django-environ.
        assert!(django_environ("def env(x): pass\nenv(\"NOPE\")\n").is_empty());
    }

    #[test]
    fn pydantic_settings_fields_prefix_and_alias() {
        let py = "from pydantic import Field, AliasChoices\nfrom pydantic_settings import BaseSettings, SettingsConfigDict\n\n\nclass Settings(BaseSettings):\n    model_config = SettingsConfigDict(env_file=\".env\", env_prefix=\"APP_\")\n\n    project_name: str\n    api_v1_str: str = \"/api/v1\"\n    secret: str = Field(alias=\"SECRET_KEY\")\n    db: str = Field(validation_alias=AliasChoices(\"DATABASE_URL\", \"DB\"))\n    _private: int = 1\n    tags: ClassVar[list] = []\n\n    def url(self) -> str:\n        local: str = \"x\"\n        return local\n\n\nclass Mail(Settings):\n    class Config:\n        env_prefix = \"MAIL_\"\n    host: str\n\n\nclass NotSettings(BaseModel):\n    ignored: str\n\nsettings = Settings()\n";
        assert_eq!(
            names(pydantic_settings(py)),
            ["APP_API_V1_STR", "APP_PROJECT_NAME", "DATABASE_URL", "MAIL_HOST", "SECRET_KEY"]
        );
    }

    #[test]
    fn node_schema_validators() {
        let joi = "const Joi = require('joi');\nconst envVarsSchema = Joi.object()\n  .keys({\n    NODE_ENV: Joi.string().valid('production', 'development', 'test').required(),\n    PORT: Joi.number().default(3000),\n    // a comment: with a colon\n    MONGODB_URL: Joi.string().required().description('Mongo DB url'),\n    JWT_ACCESS_EXPIRATION_MINUTES: Joi.number().default(30),\n    nested: Joi.object({ INNER: Joi.string() }),\n  })\n  .unknown();\nconst { value: envVars, error } = envVarsSchema.prefs({ errors: { label: 'key' } }).validate(process.env);\n";
        assert_eq!(
            names(node_schema(joi)),
            ["JWT_ACCESS_EXPIRATION_MINUTES", "MONGODB_URL", "NODE_ENV", "PORT"]
        );
        let envalid = "import { cleanEnv, str, port } from 'envalid';\nexport const env = cleanEnv(process.env, {\n  API_KEY: str(),\n  'LISTEN_PORT': port({ default: 8080 }),\n});\n";
        assert_eq!(names(node_schema(envalid)), ["API_KEY", "LISTEN_PORT"]);
        let zod = "const schema = z.object({\n  DATABASE_URL: z.string().url(),\n  LOG_LEVEL: z.enum([\"info\", \"debug\"]).default(\"info\"),\n});\nexport const env = schema.parse(process.env);\n";
        assert_eq!(names(node_schema(zod)), ["DATABASE_URL", "LOG_LEVEL"]);
        // A schema that never sees process.env reads nothing from it.
        assert!(
            node_schema("const s = z.object({ NAME: z.string() });\ns.parse(body);\n").is_empty()
        );
    }

    #[test]
    fn viper_keys_prefix_and_bind() {
        let go = "viper.SetEnvPrefix(\"app\")\nviper.SetEnvKeyReplacer(strings.NewReplacer(\".\", \"_\"))\nviper.AutomaticEnv()\nviper.BindEnv(\"token\")\nviper.BindEnv(\"db.dsn\", \"DATABASE_URL\")\nport := viper.GetInt(\"port\")\nh := viper.GetString(\"db.host\")\n";
        let v = viper_file(go);
        assert!(v.automatic && v.dots);
        assert_eq!(v.prefix.as_deref(), Some("app"));
        let cfg = ViperConfig { automatic: v.automatic, prefix: v.prefix.clone(), dots: v.dots };
        let gets: Vec<String> = v.gets.iter().filter_map(|(k, _)| cfg.variable(k)).collect();
        assert_eq!(gets, ["APP_PORT", "APP_DB_HOST"]);
        assert_eq!(v.bound.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["DATABASE_URL"]);
        assert_eq!(v.bind_keys[0].0, "token");
        // Without the key replacer a dotted key is not a variable name.
        assert_eq!(ViperConfig::default().variable("db.host"), None);
    }

    #[test]
    fn other_languages() {
        assert_eq!(
            names(csharp("var p = Environment.GetEnvironmentVariable(\"PORT\");")),
            ["PORT"]
        );
        assert_eq!(
            names(php("$a = getenv('DB_HOST'); $b = $_ENV[\"APP_KEY\"]; env('MAIL')")),
            ["APP_KEY", "DB_HOST", "MAIL"]
        );
        assert_eq!(names(c("char *h = getenv(\"HOME_DIR\");")), ["HOME_DIR"]);
        assert_eq!(names(elixir("System.get_env(\"SECRET\")")), ["SECRET"]);
        assert_eq!(unread_language("Sources/App/main.swift"), Some("Swift"));
    }
}
