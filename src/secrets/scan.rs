//! The secret scanner: the repository's one gitignore-aware parallel walk (`crate::walk`:
//! hidden files included, `.git` and `.readyctl` directories skipped, files over the size cap
//! and binary files not read) and a line-oriented search. One combined regex of
//! every rule finds candidate lines quickly (as `rg -e … -e …` would); only those lines are then
//! matched rule by rule, with the entropy and placeholder filters and the allowlists applied.
//!
//! A [`Finding`] carries the rule, the place and a fingerprint — never the secret itself.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use regex::bytes::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::context;
use super::rules::{self, RuleDef};
use crate::severity::Severity;
use crate::walk::{self, Unread, Walk};

/// Files bigger than this are skipped by default (minified bundles, data dumps).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 5 << 20;

/// A line holding one of these markers is not reported (an explicit, reviewable opt-out).
pub const INLINE_ALLOW_MARKERS: &[&str] =
    &["readyctl:allow-secret", "gitleaks:allow", "pragma: allowlist secret"];

/// Files never scanned: generated lockfiles and source maps hold hashes, not secrets.
const DEFAULT_SKIP: &[&str] = &[
    "**/Cargo.lock",
    "**/package-lock.json",
    "**/yarn.lock",
    "**/pnpm-lock.yaml",
    "**/poetry.lock",
    "**/go.sum",
    "**/*.min.js",
    "**/*.js.map",
];

/// How far past its line a line-spanning rule (a PEM block) may look.
const SPAN_WINDOW: usize = 512;

/// One secret found. Holds no part of the secret value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: String,
    pub description: String,
    pub severity: Severity,
    /// Relative to the repository, `/`-separated.
    pub path: String,
    /// 1-based; absent for file-level findings (a committed `.env`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// First 16 hex digits of sha256(rule \0 path \0 secret): stable across line moves.
    pub fingerprint: String,
    /// Why the severity was lowered to `low` (documentation, test fixture, commented-out line,
    /// compose dev service…); absent when the rule's own severity stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

/// A spec's path and value allowlists, compiled once (when the `secrets` probe is compiled):
/// the files not scanned (the built-in skips and the allowed path globs) and the regexes of
/// secret values to ignore.
#[derive(Debug, Clone)]
pub struct Allowlist {
    skip_paths: globset::GlobSet,
    allow_regexes: Vec<Regex>,
}

impl Allowlist {
    /// `allow_paths`: globs relative to the repository (`*` does not cross `/`) of files not
    /// scanned; `allow_regexes`: a finding whose secret matches one is ignored. Else the field
    /// (`allow_paths[1]`) and what is wrong with it.
    pub fn new(
        allow_paths: &[String],
        allow_regexes: &[String],
    ) -> Result<Allowlist, (String, String)> {
        let mut regexes = Vec::new();
        for (i, r) in allow_regexes.iter().enumerate() {
            regexes.push(
                RegexBuilder::new(r).build().map_err(|e| {
                    (format!("allow_regexes[{i}]"), crate::probe::regex_error(r, &e))
                })?,
            );
        }
        let mut skip = globset::GlobSetBuilder::new();
        let paths = DEFAULT_SKIP.iter().map(|g| (None, *g));
        for (i, g) in
            paths.chain(allow_paths.iter().enumerate().map(|(i, g)| (Some(i), g.as_str())))
        {
            let field = || i.map_or("allow_paths".to_string(), |i| format!("allow_paths[{i}]"));
            skip.add(
                globset::GlobBuilder::new(g)
                    .literal_separator(true)
                    .build()
                    .map_err(|e| (field(), format!("invalid glob `{g}`: {e}")))?,
            );
        }
        let skip_paths = skip.build().map_err(|e| ("allow_paths".to_string(), e.to_string()))?;
        Ok(Allowlist { skip_paths, allow_regexes: regexes })
    }
}

impl Default for Allowlist {
    /// The built-in skips only.
    fn default() -> Allowlist {
        Allowlist::new(&[], &[]).expect("the built-in skip globs build (tested)")
    }
}

/// What to scan and what to ignore.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Files not scanned and secret values ignored.
    pub allow: Allowlist,
    /// Fingerprints to ignore (explicit ones and a baseline's).
    pub allow_fingerprints: HashSet<String>,
    /// Rule ids turned off.
    pub disable: Vec<String>,
    /// 0 for [`DEFAULT_MAX_FILE_BYTES`].
    pub max_file_bytes: u64,
}

/// The result of a scan.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    /// Larger than the size limit, not scanned.
    pub files_too_large: u64,
    /// Ignored by an allowlist, a baseline or an inline marker.
    pub suppressed: u64,
    /// Sorted by path and line.
    pub findings: Vec<Finding>,
    /// First walk error (an unreadable directory), if any.
    pub walk_error: Option<String>,
}

struct Compiled {
    def: &'static RuleDef,
    re: Regex,
    secret_group: usize,
    file_names: Option<globset::GlobSet>,
}

/// A compiled rule set with its allowlists.
pub struct Scanner {
    rules: Vec<Compiled>,
    /// Every rule's pattern, for the files some file-specific rule applies to.
    combined: Regex,
    /// The rules that apply to every file: most files need not pay for the configuration-file
    /// rules' broad `key = value` pattern.
    combined_general: Regex,
    /// The file names file-specific rules apply to.
    special_files: globset::GlobSet,
    allow_regexes: Vec<Regex>,
    allow_fingerprints: HashSet<String>,
    skip_paths: globset::GlobSet,
    dotenv: bool,
    kubernetes: bool,
    rails_master_key: bool,
    max_file_bytes: u64,
}

fn build_regex(pattern: &str) -> Result<Regex, regex::Error> {
    // ASCII semantics: `\b` and `\s` stay DFA-friendly on any input, and bytes that are not
    // UTF-8 cannot hide a token.
    RegexBuilder::new(pattern)
        .unicode(false)
        .multi_line(true)
        .size_limit(256 << 20)
        .dfa_size_limit(256 << 20)
        .build()
}

impl Scanner {
    pub fn new(opts: &Options) -> Result<Scanner, String> {
        let disabled: HashSet<&str> = opts.disable.iter().map(String::as_str).collect();
        let mut compiled = Vec::new();
        for def in rules::RULES.iter().filter(|r| !disabled.contains(r.id)) {
            let re = build_regex(def.pattern).map_err(|e| format!("rule {}: {e}", def.id))?;
            let secret_group = re.capture_names().position(|n| n == Some("secret")).unwrap_or(0);
            let file_names = if def.file_names.is_empty() {
                None
            } else {
                let mut b = globset::GlobSetBuilder::new();
                for g in def.file_names {
                    b.add(globset::Glob::new(g).map_err(|e| e.to_string())?);
                }
                Some(b.build().map_err(|e| e.to_string())?)
            };
            compiled.push(Compiled { def, re, secret_group, file_names });
        }
        let alternation = |general_only: bool| {
            compiled
                .iter()
                .filter(|c| !general_only || c.file_names.is_none())
                .map(|c| {
                    format!(
                        "(?:{})",
                        c.def.pattern.replace("(?P<secret>", "(?:").replace("(?P<key>", "(?:")
                    )
                })
                .collect::<Vec<String>>()
                .join("|")
        };
        let combined = build_regex(&alternation(false)).map_err(|e| e.to_string())?;
        let combined_general = build_regex(&alternation(true)).map_err(|e| e.to_string())?;
        let mut special = globset::GlobSetBuilder::new();
        for c in compiled.iter().filter(|c| c.file_names.is_some()) {
            for g in c.def.file_names {
                special.add(globset::Glob::new(g).map_err(|e| e.to_string())?);
            }
        }
        let special_files = special.build().map_err(|e| e.to_string())?;
        Ok(Scanner {
            rules: compiled,
            combined,
            combined_general,
            special_files,
            kubernetes: !disabled.contains(rules::KUBERNETES_SECRET_RULE),
            rails_master_key: !disabled.contains(rules::RAILS_MASTER_KEY_RULE),
            allow_regexes: opts.allow.allow_regexes.clone(),
            allow_fingerprints: opts.allow_fingerprints.clone(),
            skip_paths: opts.allow.skip_paths.clone(),
            dotenv: !disabled.contains(rules::DOTENV_RULE),
            max_file_bytes: if opts.max_file_bytes == 0 {
                DEFAULT_MAX_FILE_BYTES
            } else {
                opts.max_file_bytes
            },
        })
    }

    /// Number of active rules (content rules plus the committed-`.env` rule).
    pub fn rule_count(&self) -> usize {
        self.rules.len()
            + usize::from(self.dotenv)
            + usize::from(self.kubernetes)
            + usize::from(self.rails_master_key)
    }

    /// The combined pattern (for the benchmark's ripgrep comparison).
    pub fn combined_pattern(&self) -> &str {
        self.combined.as_str()
    }

    fn skipped(&self, rel: &str) -> bool {
        self.skip_paths.is_match(rel)
    }

    /// Scans one file's content. `suppressed` counts findings ignored by allowlists.
    pub fn scan_bytes(&self, rel: &str, bytes: &[u8], suppressed: &mut u64) -> Vec<Finding> {
        let mut out = Vec::new();
        let file_name = rel.rsplit('/').next().unwrap_or(rel);
        let file = FileScan {
            rel,
            file_name,
            bytes,
            path: std::cell::OnceCell::new(),
            yaml: file_name.ends_with(".yml") || file_name.ends_with(".yaml"),
        };
        if self.dotenv && rules::DOTENV_NAMES.contains(&file_name) {
            self.report(&mut out, suppressed, &file, FileRule::Dotenv, None, b"", None);
        }
        if self.rails_master_key && rails_master_key_file(rel) {
            let key = bytes.trim_ascii();
            if key.len() == 32 && key.iter().all(u8::is_ascii_hexdigit) {
                self.report(&mut out, suppressed, &file, FileRule::RailsMasterKey, None, key, None);
            }
        }
        if self.kubernetes && file.yaml && memchr_find(bytes, b"kind: Secret") {
            for (line_no, line_start, value) in kubernetes_secret_values(bytes) {
                let line = bytes[line_start..].split(|&b| b == b'\n').next().unwrap_or(&[]);
                if rules::looks_like_placeholder(value) || value.len() < 3 {
                    continue;
                }
                let ctx = Some((line, line_start));
                let rule = FileRule::KubernetesSecret;
                self.report(&mut out, suppressed, &file, rule, Some(line_no), value, ctx);
            }
        }
        let combined = if self.special_files.is_match(file_name) {
            &self.combined
        } else {
            &self.combined_general
        };
        let mut pos = 0;
        let mut line_no = 1u64;
        let mut counted_to = 0;
        while pos < bytes.len() {
            let Some(m) = combined.find_at(bytes, pos) else { break };
            let start = bytes[..m.start()].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let end = bytes[m.start()..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |i| m.start() + i);
            line_no += bytes[counted_to..start].iter().filter(|&&b| b == b'\n').count() as u64;
            counted_to = start;
            // Rules that span lines (PEM blocks) see a window past the line.
            let ahead = &bytes[start..(end + SPAN_WINDOW).min(bytes.len())];
            self.scan_line(&file, start, end, ahead, line_no, &mut out, suppressed);
            pos = end + 1;
        }
        out
    }

    #[expect(clippy::too_many_arguments, reason = "one line and where it is")]
    fn scan_line(
        &self,
        file: &FileScan<'_>,
        start: usize,
        end: usize,
        ahead: &[u8],
        line_no: u64,
        out: &mut Vec<Finding>,
        suppressed: &mut u64,
    ) {
        let line = &file.bytes[start..end];
        let inline_allowed = INLINE_ALLOW_MARKERS
            .iter()
            .any(|m| line.windows(m.len()).any(|w| w.eq_ignore_ascii_case(m.as_bytes())));
        let mut seen: HashSet<(usize, usize)> = HashSet::new();
        for rule in &self.rules {
            if let Some(names) = &rule.file_names
                && !names.is_match(file.file_name)
            {
                continue;
            }
            let hay = if rule.def.spans_lines { ahead } else { line };
            for caps in rule.re.captures_iter(hay) {
                if caps.get(0).is_some_and(|m| m.start() >= line.len()) {
                    break; // starts on a later line: found when that line is scanned
                }
                let Some(secret) = caps.get(rule.secret_group) else { continue };
                let value = secret.as_bytes();
                if rule.def.reject_placeholders && rules::looks_like_placeholder(value) {
                    continue;
                }
                if rules::shannon_entropy(value) < rule.def.min_entropy {
                    continue;
                }
                if let Some(key) = caps.name("key")
                    && rules::key_is_not_a_secret(key.as_bytes())
                {
                    continue;
                }
                // The generic assignment's value is unbounded in the pattern (a counted
                // repetition makes the combined automaton several times larger); long quoted
                // values are text or data, not secrets.
                if rule.def.id == "generic-secret-assignment" && value.len() > 128 {
                    continue;
                }
                if rule.def.id == "config-file-secret" && rules::looks_like_setting(value) {
                    continue;
                }
                if !rule.def.reject_placeholders && rules::looks_like_hash_bytes(value) {
                    continue;
                }
                // A specific rule and a generic one on the same bytes: report the first
                // (specific rules come first in the table).
                if !seen.insert((secret.start(), secret.end()))
                    || seen.iter().any(|&(s, e)| {
                        (s, e) != (secret.start(), secret.end())
                            && s < secret.end()
                            && secret.start() < e
                    })
                {
                    continue;
                }
                // Published examples and URLs to documentation hosts: not secrets at all.
                if context::known_example(value) {
                    continue;
                }
                let after = &hay[secret.end()..];
                let host = after.strip_prefix(b"@").map(|h| {
                    let n = h
                        .iter()
                        .position(|b| b.is_ascii_whitespace() || b"'\"`/?#".contains(b))
                        .unwrap_or(h.len());
                    String::from_utf8_lossy(&h[..n]).into_owned()
                });
                if host.as_deref().is_some_and(context::example_host) {
                    continue;
                }
                if inline_allowed {
                    *suppressed += 1;
                    continue;
                }
                let local = host.as_deref().is_some_and(context::local_host);
                let rule_ref = FileRule::Content(rule.def, local);
                self.report(
                    out,
                    suppressed,
                    file,
                    rule_ref,
                    Some(line_no),
                    value,
                    Some((line, start)),
                );
            }
        }
    }

    /// Weighs a finding's context, then records it unless an allowlist covers it.
    #[expect(clippy::too_many_arguments, reason = "one finding and where it is")]
    fn report(
        &self,
        out: &mut Vec<Finding>,
        suppressed: &mut u64,
        file: &FileScan<'_>,
        rule: FileRule,
        line_no: Option<u64>,
        value: &[u8],
        line: Option<(&[u8], usize)>,
    ) {
        let (id, description, severity) = rule.describe();
        let path = file.path.get_or_init(|| context::path_context(file.rel));
        let neutral = rules::PROVIDER_NEUTRAL.contains(&id);
        let mut why: Option<&str> = path.strong;
        if why.is_none()
            && let Some((l, _)) = line
        {
            why = context::line_context(file.file_name, l);
        }
        if why.is_none()
            && id == "jwt"
            && context::jwt_expired(value, chrono::Utc::now().timestamp())
        {
            why = Some("expired JWT (`exp` in the past)");
        }
        if why.is_none() && neutral {
            why = path.weak;
            if why.is_none()
                && file.yaml
                && let Some((_, start)) = line
                && context::yaml_section(file.bytes, start).is_some_and(context::dev_section)
            {
                why = Some("development or test section");
            }
            if why.is_none() && matches!(rule, FileRule::Content(_, true)) {
                why = Some("local or compose-network host");
            }
        }
        let (severity, context) = match why {
            Some(w) if severity > Severity::Low => {
                (Severity::Low, Some(format!("{w}: lowered from {}", severity.as_str())))
            }
            Some(w) => (severity, Some(w.to_string())),
            None => (severity, None),
        };
        let fp = fingerprint(id, file.rel, value);
        if self.allow_fingerprints.contains(&fp)
            || (!value.is_empty() && self.allow_regexes.iter().any(|r| r.is_match(value)))
        {
            *suppressed += 1;
            return;
        }
        out.push(Finding {
            rule: id.to_string(),
            description: description.to_string(),
            severity,
            path: file.rel.to_string(),
            line: line_no,
            fingerprint: fp,
            context,
        });
    }

    /// Scans a repository: gitignore-aware, hidden files included, `.git` and `.readyctl`
    /// skipped, in parallel.
    pub fn scan_repo(&self, repo: &Path, cancel: &AtomicBool) -> Result<Report, String> {
        let walk = Walk::new(repo).hidden(true).git_directories_only().skip_dot_readyctl();
        let files = AtomicU64::new(0);
        let bytes_scanned = AtomicU64::new(0);
        let too_large = AtomicU64::new(0);
        let suppressed_total = AtomicU64::new(0);
        let found: Mutex<Vec<Finding>> = Mutex::new(Vec::new());
        let walked = walk.run(cancel, Vec::new, |buf, file| {
            let rel = file.rel;
            if self.skipped(rel) {
                return;
            }
            match walk::read_text(file.path(), file.size(), self.max_file_bytes, buf) {
                Ok(()) => {}
                Err(Unread::TooLarge) => {
                    too_large.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                Err(Unread::Error(e)) => return file.error(format!("{rel}: {e}")),
                Err(Unread::Binary) => return,
            }
            files.fetch_add(1, Ordering::Relaxed);
            bytes_scanned.fetch_add(buf.len() as u64, Ordering::Relaxed);
            let mut suppressed = 0;
            let local = self.scan_bytes(rel, buf, &mut suppressed);
            suppressed_total.fetch_add(suppressed, Ordering::Relaxed);
            if !local.is_empty() {
                found.lock().unwrap().extend(local);
            }
        });
        let Ok(walked) = walked else {
            return Err("interrupted".into());
        };
        let mut findings = found.into_inner().unwrap();
        findings.sort_by(|a, b| (&a.path, a.line, &a.rule).cmp(&(&b.path, b.line, &b.rule)));
        Ok(Report {
            files_scanned: files.into_inner(),
            bytes_scanned: bytes_scanned.into_inner(),
            files_too_large: too_large.into_inner(),
            suppressed: suppressed_total.into_inner(),
            findings,
            walk_error: walked.first_error,
        })
    }
}

impl Scanner {
    /// Scans files named by the caller (repository-relative), whatever the ignore files say:
    /// a file committed before it was gitignored (`dist/config.js` under `dist/*`) is still in
    /// the repository. Findings are added to `report`, which stays sorted.
    pub fn scan_listed(&self, repo: &Path, rels: &[String], report: &mut Report) {
        let mut buf = Vec::new();
        for rel in rels {
            if self.skipped(rel) || rel.starts_with(".readyctl/") {
                continue;
            }
            let path = repo.join(rel);
            let len = match std::fs::metadata(&path) {
                Ok(m) if m.is_file() => m.len(),
                _ => continue,
            };
            match walk::read_text(&path, Some(len), self.max_file_bytes, &mut buf) {
                Ok(()) => {}
                Err(Unread::TooLarge) => {
                    report.files_too_large += 1;
                    continue;
                }
                Err(Unread::Binary | Unread::Error(_)) => continue,
            }
            report.files_scanned += 1;
            report.bytes_scanned += buf.len() as u64;
            let found = self.scan_bytes(rel, &buf, &mut report.suppressed);
            report.findings.extend(found);
        }
        report.findings.sort_by(|a, b| (&a.path, a.line, &a.rule).cmp(&(&b.path, b.line, &b.rule)));
    }
}

/// Files git tracks although an ignore file matches them (committed before the ignore rule):
/// the walk skips them, yet they are in every clone. Empty outside a git work tree.
pub fn committed_but_ignored(repo: &std::path::Path) -> Vec<String> {
    let out = std::process::Command::new("git")
        .args(["ls-files", "-z", "--cached", "--ignored", "--exclude-standard"])
        .current_dir(repo)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => o
            .stdout
            .split(|&b| b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect(),
        _ => Vec::new(),
    }
}

/// sha256(rule \0 path \0 secret), first 16 hex digits.
pub fn fingerprint(rule: &str, path: &str, secret: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(rule.as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(secret);
    crate::text::hex(&h.finalize()[..8])
}

/// One file being scanned; its path context is computed on its first finding only.
struct FileScan<'a> {
    rel: &'a str,
    file_name: &'a str,
    bytes: &'a [u8],
    path: std::cell::OnceCell<context::PathContext>,
    yaml: bool,
}

/// What a finding was found by: a content rule (and whether its URL points at a local host),
/// or one of the file-level rules.
#[derive(Clone, Copy)]
enum FileRule {
    Content(&'static RuleDef, bool),
    Dotenv,
    RailsMasterKey,
    KubernetesSecret,
}

impl FileRule {
    fn describe(self) -> (&'static str, &'static str, Severity) {
        let file_rule = |id: &str| {
            let r = rules::FILE_RULES.iter().find(|r| r.0 == id).expect("a file rule");
            (r.0, r.2, r.1)
        };
        match self {
            FileRule::Content(def, _) => (def.id, def.description, def.severity),
            FileRule::Dotenv => file_rule(rules::DOTENV_RULE),
            FileRule::RailsMasterKey => file_rule(rules::RAILS_MASTER_KEY_RULE),
            FileRule::KubernetesSecret => file_rule(rules::KUBERNETES_SECRET_RULE),
        }
    }
}

fn memchr_find(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// `config/master.key` and `config/credentials/<env>.key`: Rails' key for its encrypted
/// credentials.
fn rails_master_key_file(rel: &str) -> bool {
    rel == "config/master.key"
        || rel.ends_with("/config/master.key")
        || (rel.ends_with(".key")
            && rel.rsplit('/').nth(1) == Some("credentials")
            && rel.rsplit('/').nth(2) == Some("config"))
}

/// The values under `data:` and `stringData:` of every Kubernetes `Secret` document in a YAML
/// file: (1-based line, byte offset of the line, value without quotes).
fn kubernetes_secret_values(bytes: &[u8]) -> Vec<(u64, usize, &[u8])> {
    let mut out = Vec::new();
    let mut docs: Vec<Vec<(u64, usize, &[u8])>> = vec![Vec::new()];
    let mut offset = 0;
    for (i, l) in bytes.split(|&b| b == b'\n').enumerate() {
        if l.trim_ascii_end() == b"---" {
            docs.push(Vec::new());
        } else {
            docs.last_mut().expect("one document").push((i as u64 + 1, offset, l));
        }
        offset += l.len() + 1;
    }
    for doc in docs {
        if !doc.iter().any(|(_, _, l)| l.trim_ascii() == b"kind: Secret") {
            continue;
        }
        let mut in_data = false;
        for (n, start, l) in doc {
            let indented = l.first().is_some_and(|b| *b == b' ' || *b == b'\t');
            if !indented {
                let t = l.trim_ascii_end();
                in_data = t == b"data:" || t == b"stringData:";
                continue;
            }
            if !in_data || l.trim_ascii_start().starts_with(b"#") {
                continue;
            }
            let Some(colon) = l.iter().position(|&b| b == b':') else { continue };
            // Service-binding Secrets also carry where to connect: not secrets themselves.
            const NOT_SECRET: &[&[u8]] = &[
                b"type",
                b"provider",
                b"host",
                b"hostname",
                b"port",
                b"database",
                b"dbname",
                b"db",
                b"username",
                b"user",
                b"name",
                b"namespace",
                b"region",
                b"email",
            ];
            if NOT_SECRET.contains(&l[..colon].trim_ascii().to_ascii_lowercase().as_slice()) {
                continue;
            }
            let v = l[colon + 1..].trim_ascii();
            let v = v
                .strip_prefix(b"\"")
                .and_then(|v| v.strip_suffix(b"\""))
                .or_else(|| v.strip_prefix(b"'").and_then(|v| v.strip_suffix(b"'")))
                .unwrap_or(v);
            if v.is_empty() || v == b"|" || v == b">" || v.starts_with(b"|") || v.starts_with(b">")
            {
                continue;
            }
            out.push((n, start, v));
        }
    }
    out
}
