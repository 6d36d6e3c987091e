//! The secret scanner: a gitignore-aware parallel walk (ripgrep's `ignore` crate, hidden files
//! included, `.git` and `.readyctl` skipped) and a line-oriented search. One combined regex of
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

use super::rules::{self, RuleDef};
use crate::checklist::Severity;

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
}

/// What to scan and what to ignore.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Globs (relative to the repository) of files not scanned.
    pub allow_paths: Vec<String>,
    /// Regexes: a finding whose secret matches one is ignored.
    pub allow_regexes: Vec<String>,
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
    combined: Regex,
    allow_regexes: Vec<Regex>,
    allow_fingerprints: HashSet<String>,
    skip_paths: globset::GlobSet,
    dotenv: bool,
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
        let alternation: Vec<String> = compiled
            .iter()
            .map(|c| format!("(?:{})", c.def.pattern.replace("(?P<secret>", "(?:")))
            .collect();
        let combined = build_regex(&alternation.join("|")).map_err(|e| e.to_string())?;
        let mut allow_regexes = Vec::new();
        for r in &opts.allow_regexes {
            allow_regexes
                .push(RegexBuilder::new(r).build().map_err(|e| crate::probe::regex_error(r, &e))?);
        }
        let mut skip = globset::GlobSetBuilder::new();
        for g in DEFAULT_SKIP.iter().copied().chain(opts.allow_paths.iter().map(String::as_str)) {
            skip.add(
                globset::GlobBuilder::new(g)
                    .literal_separator(true)
                    .build()
                    .map_err(|e| format!("invalid glob `{g}`: {e}"))?,
            );
        }
        Ok(Scanner {
            rules: compiled,
            combined,
            allow_regexes,
            allow_fingerprints: opts.allow_fingerprints.clone(),
            skip_paths: skip.build().map_err(|e| e.to_string())?,
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
        self.rules.len() + usize::from(self.dotenv)
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
        if self.dotenv && rules::DOTENV_NAMES.contains(&file_name) {
            self.push(
                &mut out,
                suppressed,
                rules::DOTENV_RULE,
                "environment file committed (it usually holds real credentials)",
                Severity::High,
                rel,
                None,
                b"",
            );
        }
        let mut pos = 0;
        let mut line_no = 1u64;
        let mut counted_to = 0;
        while pos < bytes.len() {
            let Some(m) = self.combined.find_at(bytes, pos) else { break };
            let start = bytes[..m.start()].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let end = bytes[m.start()..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |i| m.start() + i);
            line_no += bytes[counted_to..start].iter().filter(|&&b| b == b'\n').count() as u64;
            counted_to = start;
            let line = &bytes[start..end];
            // Rules that span lines (PEM blocks) see a window past the line.
            let ahead = &bytes[start..(end + SPAN_WINDOW).min(bytes.len())];
            self.scan_line(rel, file_name, line, ahead, line_no, &mut out, suppressed);
            pos = end + 1;
        }
        out
    }

    #[expect(clippy::too_many_arguments, reason = "one line and where it is")]
    fn scan_line(
        &self,
        rel: &str,
        file_name: &str,
        line: &[u8],
        ahead: &[u8],
        line_no: u64,
        out: &mut Vec<Finding>,
        suppressed: &mut u64,
    ) {
        let inline_allowed = INLINE_ALLOW_MARKERS
            .iter()
            .any(|m| line.windows(m.len()).any(|w| w.eq_ignore_ascii_case(m.as_bytes())));
        let mut seen: HashSet<(usize, usize)> = HashSet::new();
        for rule in &self.rules {
            if let Some(names) = &rule.file_names
                && !names.is_match(file_name)
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
                if inline_allowed {
                    *suppressed += 1;
                    continue;
                }
                self.push(
                    out,
                    suppressed,
                    rule.def.id,
                    rule.def.description,
                    rule.def.severity,
                    rel,
                    Some(line_no),
                    value,
                );
            }
        }
    }

    #[expect(clippy::too_many_arguments, reason = "one finding's fields")]
    fn push(
        &self,
        out: &mut Vec<Finding>,
        suppressed: &mut u64,
        rule: &str,
        description: &str,
        severity: Severity,
        rel: &str,
        line: Option<u64>,
        secret: &[u8],
    ) {
        let fp = fingerprint(rule, rel, secret);
        if self.allow_fingerprints.contains(&fp)
            || (!secret.is_empty() && self.allow_regexes.iter().any(|r| r.is_match(secret)))
        {
            *suppressed += 1;
            return;
        }
        out.push(Finding {
            rule: rule.to_string(),
            description: description.to_string(),
            severity,
            path: rel.to_string(),
            line,
            fingerprint: fp,
        });
    }

    /// Scans a repository: gitignore-aware, hidden files included, `.git` and `.readyctl`
    /// skipped, in parallel.
    pub fn scan_repo(&self, repo: &Path, cancel: &AtomicBool) -> Result<Report, String> {
        let walker = ignore::WalkBuilder::new(repo)
            .hidden(false)
            .filter_entry(|e| {
                let name = e.file_name();
                !(e.file_type().is_some_and(|t| t.is_dir())
                    && (name == ".git" || name == ".readyctl"))
            })
            .threads(std::thread::available_parallelism().map_or(2, |n| n.get()).min(12))
            .build_parallel();
        let files = AtomicU64::new(0);
        let bytes_scanned = AtomicU64::new(0);
        let too_large = AtomicU64::new(0);
        let suppressed_total = AtomicU64::new(0);
        let found: Mutex<Vec<Finding>> = Mutex::new(Vec::new());
        let first_error: Mutex<Option<String>> = Mutex::new(None);
        walker.run(|| {
            let (files, bytes_scanned, too_large) = (&files, &bytes_scanned, &too_large);
            let (suppressed_total, found, first_error) = (&suppressed_total, &found, &first_error);
            let mut buf = Vec::new();
            Box::new(move |entry| {
                if cancel.load(Ordering::Relaxed) {
                    return ignore::WalkState::Quit;
                }
                let entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        first_error.lock().unwrap().get_or_insert(e.to_string());
                        return ignore::WalkState::Continue;
                    }
                };
                if !entry.file_type().is_some_and(|t| t.is_file()) {
                    return ignore::WalkState::Continue;
                }
                let rel = entry
                    .path()
                    .strip_prefix(repo)
                    .unwrap_or(entry.path())
                    .to_string_lossy()
                    .replace('\\', "/");
                if self.skipped(&rel) {
                    return ignore::WalkState::Continue;
                }
                if entry.metadata().is_ok_and(|m| m.len() > self.max_file_bytes) {
                    too_large.fetch_add(1, Ordering::Relaxed);
                    return ignore::WalkState::Continue;
                }
                buf.clear();
                if let Err(e) = std::fs::File::open(entry.path())
                    .and_then(|mut f| std::io::Read::read_to_end(&mut f, &mut buf))
                {
                    first_error.lock().unwrap().get_or_insert(format!("{rel}: {e}"));
                    return ignore::WalkState::Continue;
                }
                // Binary files (a NUL byte early on) are skipped, as ripgrep does.
                if buf[..buf.len().min(8192)].contains(&0) {
                    return ignore::WalkState::Continue;
                }
                files.fetch_add(1, Ordering::Relaxed);
                bytes_scanned.fetch_add(buf.len() as u64, Ordering::Relaxed);
                let mut suppressed = 0;
                let local = self.scan_bytes(&rel, &buf, &mut suppressed);
                suppressed_total.fetch_add(suppressed, Ordering::Relaxed);
                if !local.is_empty() {
                    found.lock().unwrap().extend(local);
                }
                ignore::WalkState::Continue
            })
        });
        if cancel.load(Ordering::Relaxed) {
            return Err("interrupted".into());
        }
        let mut findings = found.into_inner().unwrap();
        findings.sort_by(|a, b| (&a.path, a.line, &a.rule).cmp(&(&b.path, b.line, &b.rule)));
        Ok(Report {
            files_scanned: files.into_inner(),
            bytes_scanned: bytes_scanned.into_inner(),
            files_too_large: too_large.into_inner(),
            suppressed: suppressed_total.into_inner(),
            findings,
            walk_error: first_error.into_inner().unwrap(),
        })
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
    let digest = h.finalize();
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}
