//! Redaction before any byte reaches evidence, reports or logs.
//!
//! A [`Redactor`] replaces secrets with `[REDACTED:<rule>]`:
//! - values of sensitive environment variables (`env:<NAME>`): names containing TOKEN, SECRET,
//!   PASSWORD, PASSWD, API_KEY, PRIVATE_KEY, CREDENTIAL or AUTH; values under 4 characters are
//!   ignored (they would redact ordinary words);
//! - explicit secret values, e.g. those of the checklist's `secrets:` (`secret:<LABEL>`);
//! - well-known token shapes (see [`RULES`]).
//!
//! Literal values (the first two kinds) are matched with one Aho-Corasick automaton over
//! every occurrence, overlapping ones included, and each run of overlapping or nested
//! occurrences is replaced whole (the union of their intervals), so two secrets sharing a
//! piece leak no tail. A multi-line value is matched whole and, since output is redacted line
//! by line, each of its lines (trimmed, 4 characters or more) is a literal too; so is the
//! JSON-escaped form of each, for a value a program prints inside JSON.
//!
//! Redaction works on raw text: callers redact values *before* escaping them for Markdown,
//! JSON, XML or a terminal (`redact_record` does it field by field for the run record), so an
//! escaped form never hides a secret from the matcher.
//!
//! [`RedactingWriter`] streams: it works line by line (a run of whole lines in which no literal,
//! rule or PEM marker matches anywhere passes at once: the rules have no anchors, so whatever
//! matches in a line matches in the run), and a line longer than
//! [`MAX_SEGMENT`] is redacted in bounded segments, keeping back a window of at least the
//! longest literal (and [`OVERLAP`] for token shapes), so a secret split across reads or
//! chunks is still seen whole and a 2 GB line without a newline never sits in memory. A PEM
//! private key block spanning many lines is dropped from its BEGIN line to its END line.
//! Counts per rule are kept; the [`Redactions`] record (file → rule → count) goes into the
//! manifest, never the value.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::Arc;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::bytes::{Regex, RegexSet};
use serde::{Deserialize, Serialize};

/// Longest segment redacted at once when a line has no newline.
pub const MAX_SEGMENT: usize = 256 * 1024;
/// Bytes kept back between segments of an over-long line for token shapes: a match that crosses
/// a segment boundary and is at most this long is redacted whole. Literal values keep back at
/// least their own length, whatever it is. (Only a token *shape* longer than 32 KiB inside a
/// line longer than 256 KiB could be cut.)
pub const OVERLAP: usize = 32 * 1024;

/// Shortest literal value redacted: shorter ones would redact ordinary words.
pub const MIN_SECRET_LEN: usize = 4;

/// Substrings of environment variable names whose values are secrets.
pub const SENSITIVE_NAME_PARTS: &[&str] = &[
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "API_KEY",
    "PRIVATE_KEY",
    "SIGNING_KEY",
    "CREDENTIAL",
    "AUTH",
];

/// Token-shape rules: (rule name, pattern, capture group replaced — 0 for the whole match).
/// Patterns work on bytes (`(?-u)`), so invalid UTF-8 in output cannot hide a token.
pub const RULES: &[(&str, &str, usize)] = &[
    (
        "pem-private-key",
        r"(?s-u)-----BEGIN[A-Z0-9 ]{0,30} PRIVATE KEY(?: BLOCK)?-----.*?-----END[A-Z0-9 ]{0,30} PRIVATE KEY(?: BLOCK)?-----",
        0,
    ),
    ("gcp-private-key-id", r#"(?-u)"private_key_id"\s*:\s*"([0-9a-f]{40})""#, 1),
    (
        "aws-access-key-id",
        r"(?-u)\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b",
        0,
    ),
    (
        "aws-secret-access-key",
        r#"(?i-u)(?:aws_?secret_?access_?key|aws_?secret_?key|secret_?access_?key)["']?\s*[:=]\s*["']?([A-Za-z0-9/+=]{40})"#,
        1,
    ),
    ("gcp-api-key", r"(?-u)AIza[0-9A-Za-z_\-]{35}", 0),
    ("github-token", r"(?-u)\b(?:ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{36,}", 0),
    ("github-pat", r"(?-u)\bgithub_pat_[A-Za-z0-9_]{22,}", 0),
    ("gitlab-token", r"(?-u)\bglpat-[A-Za-z0-9_\-]{20,}", 0),
    ("slack-token", r"(?-u)\bxox[baprs]-[A-Za-z0-9\-]{10,}", 0),
    ("stripe-key", r"(?-u)\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}", 0),
    ("npm-token", r"(?-u)\bnpm_[A-Za-z0-9]{36}\b", 0),
    ("pypi-token", r"(?-u)\bpypi-[A-Za-z0-9_\-]{50,}", 0),
    ("jwt", r"(?-u)\beyJ[A-Za-z0-9_\-]{4,}\.eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{8,}", 0),
    (
        "authorization-header",
        r#"(?i-u)\b(?:proxy-)?authorization["']?\s*[:=]\s*["']?([^\r\n"']+)"#,
        1,
    ),
    ("bearer-token", r"(?i-u)\bbearer\s+([A-Za-z0-9._~+/=\-]{12,})", 1),
    ("url-password", r"(?-u)\b[A-Za-z][A-Za-z0-9+.\-]{0,30}://[^:/@\s]*:([^@\s/]+)@", 1),
];

const PEM_BEGIN: &str = r"(?-u)-----BEGIN[A-Z0-9 ]{0,30} PRIVATE KEY(?: BLOCK)?-----";
const PEM_END: &str = r"(?-u)-----END[A-Z0-9 ]{0,30} PRIVATE KEY(?: BLOCK)?-----";
const MARK: &[u8] = b"[REDACTED:";

struct Rule {
    name: String,
    re: Regex,
    group: usize,
}

/// Literal secret values: one automaton reporting every occurrence, overlapping ones too.
struct Literals {
    ac: AhoCorasick,
    /// Rule name of each pattern (`env:NAME`, `secret:LABEL`).
    names: Vec<String>,
    /// Length of the longest pattern: the window a stream keeps back.
    max_len: usize,
}

impl Literals {
    /// Every occurrence of every literal in `hay`, merged into the union of their intervals:
    /// sorted, disjoint `(start, end, pattern)`; `pattern` names the leftmost-longest
    /// occurrence of each merged interval.
    fn spans(&self, hay: &[u8]) -> Vec<(usize, usize, usize)> {
        let mut found: Vec<(usize, usize, usize)> = self
            .ac
            .find_overlapping_iter(hay)
            .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
            .collect();
        found.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut merged: Vec<(usize, usize, usize)> = Vec::with_capacity(found.len());
        for (start, end, pat) in found {
            match merged.last_mut() {
                Some(last) if start < last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end, pat)),
            }
        }
        merged
    }
}

/// The built-in token-shape rules, compiled: the same for every redactor of the process.
struct BuiltIn {
    /// The token-shape rules.
    rules: Vec<Rule>,
    /// Matches when any rule, or a PEM marker, could apply: the fast path skips clean lines.
    any: RegexSet,
    pem_begin: Regex,
    pem_end: Regex,
}

/// Compiled once per process, by the first redactor built or by [`prepare`], whichever comes
/// first (the other waits for it).
static BUILT_IN: std::sync::OnceLock<BuiltIn> = std::sync::OnceLock::new();

fn built_in() -> &'static BuiltIn {
    BUILT_IN.get_or_init(|| {
        let rules: Vec<Rule> = RULES
            .iter()
            .map(|(name, pattern, group)| Rule {
                name: (*name).to_string(),
                re: Regex::new(pattern).expect("built-in rule compiles"),
                group: *group,
            })
            .collect();
        let mut patterns: Vec<&str> = rules.iter().map(|r| r.re.as_str()).collect();
        patterns.push(PEM_BEGIN);
        let any = regex::bytes::RegexSetBuilder::new(&patterns)
            .size_limit(64 << 20)
            .build()
            .expect("rules compile");
        BuiltIn {
            rules,
            any,
            pem_begin: Regex::new(PEM_BEGIN).expect("compiles"),
            pem_end: Regex::new(PEM_END).expect("compiles"),
        }
    })
}

/// Starts compiling the built-in rules on a thread of their own, so that the compiling (about
/// 2 ms) overlaps whatever the caller does before it builds its first redactor (`check` reads
/// and validates the checklist meanwhile). Without it the first [`RedactorBuilder::build`]
/// compiles them.
pub fn prepare() {
    if BUILT_IN.get().is_none() {
        // No thread to be had (a pids limit): the first build compiles them instead.
        let _ = std::thread::Builder::new().name("rules".into()).spawn(|| {
            built_in();
        });
    }
}

struct Inner {
    /// Literal values (absent when there are none).
    literals: Option<Literals>,
    /// The token-shape rules, the set and the PEM markers.
    built_in: &'static BuiltIn,
}

impl std::ops::Deref for Inner {
    type Target = BuiltIn;
    fn deref(&self) -> &BuiltIn {
        self.built_in
    }
}

impl Inner {
    /// Whether no literal, no rule and no PEM BEGIN marker matches anywhere in `text`.
    fn is_clean(&self, text: &[u8]) -> bool {
        self.literals.as_ref().is_none_or(|l| !l.ac.is_match(text)) && !self.any.is_match(text)
    }

    /// Bytes a stream keeps back when it must cut a line: no literal and no token shape up to
    /// [`OVERLAP`] bytes is cut.
    fn window(&self) -> usize {
        self.literals.as_ref().map_or(0, |l| l.max_len).max(OVERLAP)
    }

    /// Replaces the literal values in `text` (the union of overlapping occurrences at once).
    fn redact_literals(&self, text: &[u8], counts: &mut BTreeMap<String, u64>) -> Option<Vec<u8>> {
        let lits = self.literals.as_ref()?;
        let spans = lits.spans(text);
        if spans.is_empty() {
            return None;
        }
        let mut out = Vec::with_capacity(text.len());
        let mut last = 0;
        for (start, end, pat) in spans {
            let name = &lits.names[pat];
            out.extend_from_slice(&text[last..start]);
            out.extend_from_slice(format!("[REDACTED:{name}]").as_bytes());
            *counts.entry(name.clone()).or_insert(0) += 1;
            last = end;
        }
        out.extend_from_slice(&text[last..]);
        Some(out)
    }
}

/// Replaces secrets with `[REDACTED:<rule>]`. Cheap to clone and shareable between threads.
#[derive(Clone)]
pub struct Redactor {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret values.
        let names: Vec<&String> = self.inner.rules.iter().map(|r| &r.name).collect();
        let literals = self.inner.literals.as_ref().map_or(0, |l| l.names.len());
        f.debug_struct("Redactor").field("literals", &literals).field("rules", &names).finish()
    }
}

/// True when an environment variable of this name holds a secret.
pub fn is_sensitive_env_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SENSITIVE_NAME_PARTS.iter().any(|p| upper.contains(p))
}

/// Builds a [`Redactor`].
#[derive(Debug, Default, Clone)]
pub struct RedactorBuilder {
    literals: Vec<(String, String)>,
}

impl RedactorBuilder {
    /// Adds the sensitive variables of this process's environment, and the signing key that
    /// [`super::keys::take_signing_key_env`] took out of it at startup.
    pub fn process_env(self) -> Self {
        let b = self.env_vars(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        );
        match super::keys::signing_key_env_text() {
            Some(pem) => b.secret(super::keys::SIGNING_KEY_ENV, &pem),
            None => b,
        }
    }

    /// Adds the values of the sensitive variables among `vars` (names filtered by
    /// [`is_sensitive_env_name`]; values under 4 characters ignored), reported as `env:<NAME>`.
    pub fn env_vars(self, vars: impl IntoIterator<Item = (String, String)>) -> Self {
        self.sensitive("env", vars)
    }

    /// Adds the values of checklist variables (`--var NAME=VALUE`) with sensitive names,
    /// reported as `var:<NAME>`.
    pub fn checklist_vars(self, vars: impl IntoIterator<Item = (String, String)>) -> Self {
        self.sensitive("var", vars)
    }

    fn sensitive(mut self, kind: &str, vars: impl IntoIterator<Item = (String, String)>) -> Self {
        for (k, v) in vars {
            if is_sensitive_env_name(&k) && v.len() >= MIN_SECRET_LEN {
                self.literals.push((format!("{kind}:{k}"), v));
            }
        }
        self
    }

    /// Adds an explicit secret value (for example a variable listed under `secrets:`), reported
    /// as `secret:<label>`. Values under 4 characters are ignored.
    pub fn secret(mut self, label: &str, value: &str) -> Self {
        if value.len() >= MIN_SECRET_LEN {
            self.literals.push((format!("secret:{label}"), value.to_string()));
        }
        self
    }

    /// Compiles the rules.
    pub fn build(self) -> Redactor {
        let mut literals: Vec<(String, String)> = Vec::new();
        for (name, value) in self.literals {
            for form in literal_forms(&value) {
                literals.push((name.clone(), form));
            }
        }
        // Longest first, so a value's own name wins over a line of another one; one name each.
        literals.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
        let mut seen = std::collections::HashSet::new();
        literals.retain(|(_, v)| seen.insert(v.clone()));
        let literals = (!literals.is_empty()).then(|| Literals {
            ac: AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .build(literals.iter().map(|(_, v)| v.as_bytes()))
                .expect("literal patterns always build"),
            max_len: literals.iter().map(|(_, v)| v.len()).max().unwrap_or(0),
            names: literals.into_iter().map(|(n, _)| n).collect(),
        });
        Redactor { inner: Arc::new(Inner { literals, built_in: built_in() }) }
    }
}

/// The XML/HTML-escaped forms of `value`, as a test report (JUnit) or a page holds it: each
/// special character escaped as a named, decimal or hex entity (`'` and `"` also left as they
/// are), one way for every occurrence of that character, as escapers do (Python's
/// `html.escape` writes `&#x27;`, ElementTree `&quot;`, others `&#39;`). At most 768 forms
/// (all five characters present); none when it has none.
fn xml_forms(value: &str) -> Vec<String> {
    const WAYS: [(char, &[&str]); 5] = [
        ('&', &["&amp;", "&#38;", "&#x26;"]),
        ('<', &["&lt;", "&#60;", "&#x3c;", "&#x3C;"]),
        ('>', &["&gt;", "&#62;", "&#x3e;", "&#x3E;"]),
        ('"', &["\"", "&quot;", "&#34;", "&#x22;"]),
        ('\'', &["'", "&apos;", "&#39;", "&#x27;"]),
    ];
    let present: Vec<&(char, &[&str])> = WAYS.iter().filter(|(c, _)| value.contains(*c)).collect();
    if present.is_empty() {
        return Vec::new();
    }
    let mut choices: Vec<Vec<(char, &str)>> = vec![Vec::new()];
    for (c, ways) in &present {
        choices = choices
            .into_iter()
            .flat_map(|chosen| {
                ways.iter().map(move |w| {
                    let mut next = chosen.clone();
                    next.push((*c, *w));
                    next
                })
            })
            .collect();
    }
    let mut forms = Vec::with_capacity(choices.len());
    for chosen in choices {
        let mut out = String::with_capacity(value.len() * 2);
        for ch in value.chars() {
            match chosen.iter().find(|(c, _)| *c == ch) {
                Some((_, way)) => out.push_str(way),
                None => out.push(ch),
            }
        }
        forms.push(out);
    }
    forms
}

/// The strings that stand for one secret value: the value, trimmed; each of its lines,
/// trimmed (a multi-line value is redacted line by line in streams); and the JSON- and
/// XML-escaped forms of each (a value printed inside JSON, or kept in a JUnit report). Forms
/// under [`MIN_SECRET_LEN`] are left out.
fn literal_forms(value: &str) -> Vec<String> {
    let mut plain = vec![value.to_string(), value.trim().to_string()];
    if value.contains(['\n', '\r']) {
        // PEM armor lines (`-----BEGIN PRIVATE KEY-----`) are public format markers, not
        // part of the secret (the `pem-private-key` rule handles blocks).
        let armor = |l: &&str| l.starts_with("-----") && l.ends_with("-----");
        plain.extend(value.lines().map(str::trim).filter(|l| !armor(l)).map(str::to_string));
    }
    let mut forms = Vec::new();
    for p in plain {
        let json = serde_json::to_string(&p).expect("a string serializes");
        forms.push(json[1..json.len() - 1].to_string());
        forms.extend(xml_forms(&p));
        forms.push(p);
    }
    forms.retain(|f| f.len() >= MIN_SECRET_LEN);
    forms.sort();
    forms.dedup();
    forms
}

impl Default for Redactor {
    /// Token-shape rules only.
    fn default() -> Self {
        RedactorBuilder::default().build()
    }
}

impl Redactor {
    /// A builder; see [`RedactorBuilder`].
    pub fn builder() -> RedactorBuilder {
        RedactorBuilder::default()
    }

    /// Token shapes plus the sensitive variables of this process's environment.
    pub fn from_env() -> Self {
        Self::builder().process_env().build()
    }

    /// Redacts a string; returns the result and the number of redactions.
    pub fn redact_str(&self, s: &str) -> (String, u64) {
        let (out, counts) = self.redact_bytes(s.as_bytes());
        // Replacements only ever cut at ASCII/UTF-8 boundaries of matches, so the text stays
        // UTF-8; lossy conversion is a belt-and-braces fallback.
        (
            String::from_utf8(out)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            counts.values().sum(),
        )
    }

    /// Redacts bytes; returns the result and the counts per rule. Literal values are matched
    /// in the whole input first (a multi-line value whole), then line by line like a stream.
    pub fn redact_bytes(&self, input: &[u8]) -> (Vec<u8>, BTreeMap<String, u64>) {
        let mut counts = BTreeMap::new();
        let whole = self.inner.redact_literals(input, &mut counts);
        let mut w = self.writer(Vec::with_capacity(input.len()));
        w.write_all(whole.as_deref().unwrap_or(input)).expect("writing to a Vec cannot fail");
        let (out, line_counts) = w.finish().expect("writing to a Vec cannot fail");
        for (rule, n) in line_counts {
            *counts.entry(rule).or_insert(0) += n;
        }
        (out, counts)
    }

    /// A streaming writer that redacts everything written through it into `inner`.
    pub fn writer<W: Write>(&self, inner: W) -> RedactingWriter<W> {
        RedactingWriter {
            redactor: self.clone(),
            inner: Some(inner),
            buf: Vec::new(),
            in_pem: false,
            counts: BTreeMap::new(),
        }
    }

    /// A stream to push output through piece by piece (see [`RedactStream`]).
    pub fn stream(&self) -> RedactStream {
        RedactStream { writer: self.writer(Vec::new()) }
    }

    /// Applies every rule to one segment (no newline inside, unless a rule spans escaped ones):
    /// literal values first, then the token shapes.
    fn redact_segment(&self, seg: &[u8], counts: &mut BTreeMap<String, u64>) -> Vec<u8> {
        let inner = &self.inner;
        let literal = inner.redact_literals(seg, counts);
        let text_in = literal.as_deref().unwrap_or(seg);
        if !inner.any.is_match(text_in) {
            return literal.unwrap_or_else(|| seg.to_vec());
        }
        let mut text = text_in.to_vec();
        for rule in &inner.rules {
            let mut out = Vec::new();
            let mut last = 0;
            let mut changed = false;
            for caps in rule.re.captures_iter(&text) {
                let Some(m) = caps.get(rule.group).or_else(|| caps.get(0)) else { continue };
                if text[m.start()..].starts_with(MARK) {
                    continue; // already redacted by an earlier rule
                }
                out.extend_from_slice(&text[last..m.start()]);
                out.extend_from_slice(format!("[REDACTED:{}]", rule.name).as_bytes());
                last = m.end();
                changed = true;
                *counts.entry(rule.name.clone()).or_insert(0) += 1;
            }
            if changed {
                out.extend_from_slice(&text[last..]);
                text = out;
            }
        }
        text
    }
}

/// Output pushed through a [`Redactor`] in pieces of any size (pipe reads): each piece gives
/// back what can already be released; a partial line (or, for a line without a newline, a
/// window at least as long as the longest secret) is held until the next piece or
/// [`RedactStream::finish`], so a secret split between pieces is still caught.
pub struct RedactStream {
    writer: RedactingWriter<Vec<u8>>,
}

impl RedactStream {
    /// Takes in `bytes`; returns the redacted output released so far.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.writer.write_all(bytes).expect("writing to a Vec cannot fail");
        std::mem::take(self.writer.inner.as_mut().expect("inner is present until finish"))
    }

    /// The rest of the output, and the counts per rule.
    pub fn finish(self) -> (Vec<u8>, BTreeMap<String, u64>) {
        self.writer.finish().expect("writing to a Vec cannot fail")
    }
}

/// A writer that redacts line by line into `W`. Call [`RedactingWriter::finish`] to flush the
/// last partial line and get the counts (dropping it flushes too, ignoring errors).
pub struct RedactingWriter<W: Write> {
    redactor: Redactor,
    inner: Option<W>,
    buf: Vec<u8>,
    in_pem: bool,
    counts: BTreeMap<String, u64>,
}

impl<W: Write> RedactingWriter<W> {
    /// Redactions so far, per rule.
    pub fn counts(&self) -> &BTreeMap<String, u64> {
        &self.counts
    }

    /// Redacts and writes what is buffered, flushes, and returns the inner writer and counts.
    pub fn finish(mut self) -> io::Result<(W, BTreeMap<String, u64>)> {
        self.flush_tail()?;
        let mut inner = self.inner.take().expect("inner is present until finish");
        inner.flush()?;
        Ok((inner, std::mem::take(&mut self.counts)))
    }

    fn flush_tail(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            let seg = std::mem::take(&mut self.buf);
            let out = self.process(&seg);
            self.emit(&out)?;
        }
        Ok(())
    }

    fn emit(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.inner.as_mut().expect("inner is present until finish").write_all(bytes)
    }

    /// Redacts one segment, tracking multi-line PEM blocks.
    fn process(&mut self, seg: &[u8]) -> Vec<u8> {
        let mut rest = seg;
        let mut out = Vec::new();
        if self.in_pem {
            match self.redactor.inner.pem_end.find(rest) {
                Some(m) => {
                    self.in_pem = false;
                    rest = &rest[m.end()..];
                }
                None => return out,
            }
        }
        let mut red = self.redactor.redact_segment(rest, &mut self.counts);
        // A BEGIN left after complete blocks were redacted has its END on a later line.
        if let Some(m) = self.redactor.inner.pem_begin.find(&red) {
            red.truncate(m.start());
            red.extend_from_slice(b"[REDACTED:pem-private-key]");
            *self.counts.entry("pem-private-key".into()).or_insert(0) += 1;
            self.in_pem = true;
        }
        out.extend_from_slice(&red);
        out
    }

    /// Redacts the front of an over-long buffer, keeping back a tail that no match crosses:
    /// at least [`Inner::window`] bytes, so any literal that starts in the released part ends
    /// inside the buffer and is seen whole.
    fn process_long_segment(&mut self) -> io::Result<()> {
        let inner = Arc::clone(&self.redactor.inner);
        let window = inner.window();
        let first = self.buf.len() - window;
        // Only a match of at most `window` bytes can move the cut, so only the bytes from
        // `window` before the first cut need searching (a chain of matches reaching further
        // back ends in the fallback below anyway).
        let from = first.saturating_sub(window);
        let region = &self.buf[from..];
        let mut spans: Vec<(usize, usize)> = Vec::new();
        if let Some(lits) = &inner.literals {
            spans.extend(lits.spans(region).into_iter().map(|(s, e, _)| (from + s, from + e)));
        }
        // One pass of the set first: clean output (the common case) skips the rules one by one.
        if inner.any.is_match(region) || inner.pem_end.is_match(region) {
            let regexes =
                inner.rules.iter().map(|r| &r.re).chain([&inner.pem_begin, &inner.pem_end]);
            for re in regexes {
                spans.extend(re.find_iter(region).map(|m| (from + m.start(), from + m.end())));
            }
        }
        spans.retain(|(s, e)| e - s <= window);
        // Move the cut before every match that crosses it, until none does (moving it may make
        // an earlier match cross).
        let mut split = first;
        loop {
            let before = split;
            for &(s, e) in &spans {
                if s < split && e > split {
                    split = s;
                }
            }
            if split == before {
                break;
            }
        }
        if split <= from {
            // Matches chained back over the whole region: cut where the window starts.
            split = first;
        }
        let seg: Vec<u8> = self.buf.drain(..split).collect();
        let out = self.process(&seg);
        self.emit(&out)
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut rest = data;
        // Whole lines that are clean together are written as they are: the rules have no
        // anchors, so a rule (or a PEM BEGIN) matching one of the lines matches them together,
        // and so does a literal. Anything else goes line by line below, as before.
        if self.buf.is_empty()
            && !self.in_pem
            && let Some(last) = rest.iter().rposition(|&b| b == b'\n')
            && self.redactor.inner.is_clean(&rest[..=last])
        {
            self.emit(&rest[..=last])?;
            rest = &rest[last + 1..];
        }
        while !rest.is_empty() {
            match rest.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    self.buf.extend_from_slice(&rest[..i]);
                    rest = &rest[i + 1..];
                    let line = std::mem::take(&mut self.buf);
                    let mut out = self.process(&line);
                    out.push(b'\n');
                    self.emit(&out)?;
                }
                None => {
                    self.buf.extend_from_slice(rest);
                    rest = &[];
                }
            }
            let segment = MAX_SEGMENT.max(2 * self.redactor.inner.window());
            while self.buf.len() > segment {
                self.process_long_segment()?;
            }
        }
        Ok(data.len())
    }

    /// Flushes the inner writer; a partial line stays buffered so a secret split across writes
    /// is still caught.
    fn flush(&mut self) -> io::Result<()> {
        self.inner.as_mut().map_or(Ok(()), Write::flush)
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        if self.inner.is_some() {
            let _ = self.flush_tail();
            let _ = self.flush();
        }
    }
}

/// Where and how often redaction happened: file → rule → count. Goes into the manifest's
/// `redactions`; never holds a value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Redactions(pub BTreeMap<String, BTreeMap<String, u64>>);

impl Redactions {
    /// Adds the counts of one file (run-relative path). Zero counts are not recorded.
    pub fn record(&mut self, file: &str, counts: &BTreeMap<String, u64>) {
        for (rule, n) in counts.iter().filter(|(_, n)| **n > 0) {
            *self.0.entry(file.to_string()).or_default().entry(rule.clone()).or_insert(0) += n;
        }
    }

    /// Total redactions.
    pub fn total(&self) -> u64 {
        self.0.values().flat_map(|m| m.values()).sum()
    }
}

/// Removes `user:password@` (or `token@`) from a URL's authority. Other strings (including
/// scp-style `git@host:path`, which carries no secret) come back unchanged.
pub fn strip_url_credentials(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else { return url.to_string() };
    let auth_start = scheme_end + 3;
    let auth_end = url[auth_start..].find(['/', '?', '#']).map_or(url.len(), |i| auth_start + i);
    match url[auth_start..auth_end].rfind('@') {
        Some(at) => format!("{}{}", &url[..auth_start], &url[auth_start + at + 1..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_url_credentials() {
        assert_eq!(strip_url_credentials("https://u:p%40ss@host/x@y"), "https://host/x@y");
        assert_eq!(
            strip_url_credentials("https://ghp_abc@github.com/o/r.git"),
            "https://github.com/o/r.git"
        );
        assert_eq!(strip_url_credentials("git@github.com:o/r.git"), "git@github.com:o/r.git");
        assert_eq!(strip_url_credentials("https://github.com/o/r"), "https://github.com/o/r");
    }

    #[test]
    fn env_values_by_name_and_length() {
        let r = Redactor::builder()
            .env_vars([
                ("MY_API_TOKEN".to_string(), "tok-value-123".to_string()),
                ("DB_PASSWORD".to_string(), "abc".to_string()),
                ("HOME".to_string(), "/root".to_string()),
            ])
            .build();
        let (out, n) = r.redact_str("tok-value-123 abc /root");
        assert_eq!(out, "[REDACTED:env:MY_API_TOKEN] abc /root");
        assert_eq!(n, 1);
    }

    #[test]
    fn url_password_keeps_user_and_host_and_is_not_double_counted() {
        let r = Redactor::builder().secret("DATABASE_URL_PW", "s3cretpw").build();
        let (out, counts) = r.redact_bytes(b"postgres://app:s3cretpw@db:5432/x\nhttps://a:b1@h/\n");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "postgres://app:[REDACTED:secret:DATABASE_URL_PW]@db:5432/x\nhttps://a:[REDACTED:url-password]@h/\n"
        );
        assert_eq!(counts.get("url-password"), Some(&1));
    }

    #[test]
    fn multi_line_pem_is_dropped_and_lines_after_survive() {
        let text = "before\n-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\nqqq\n-----END RSA PRIVATE KEY-----\nafter\n";
        let (out, n) = Redactor::default().redact_str(text);
        assert_eq!(out, "before\n[REDACTED:pem-private-key]\n\n\n\nafter\n");
        assert_eq!(n, 1);
    }

    #[test]
    fn lines_written_together_come_out_as_written_one_by_one() {
        let r = Redactor::builder().secret("X", "needle-secret-value").build();
        let clean = "a line with nothing in it\n".repeat(1000);
        let texts = [
            clean.clone(),
            format!("{clean}token AKIAABCDEFGHIJKLMNOP here\n{clean}"),
            format!("{clean}the needle-secret-value\n{clean}tail without newline"),
            format!(
                "{clean}-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----\n{clean}"
            ),
        ];
        for text in texts {
            let mut whole = r.writer(Vec::new());
            whole.write_all(text.as_bytes()).unwrap();
            let (whole, whole_counts) = whole.finish().unwrap();
            let mut lines = r.writer(Vec::new());
            for line in text.split_inclusive('\n') {
                lines.write_all(line.as_bytes()).unwrap();
            }
            let (lines, line_counts) = lines.finish().unwrap();
            assert_eq!(String::from_utf8(whole).unwrap(), String::from_utf8(lines).unwrap());
            assert_eq!(whole_counts, line_counts);
        }
        let (out, n) = r.redact_str(&clean);
        assert_eq!((out, n), (clean, 0));
    }

    #[test]
    fn secret_split_across_writes_is_caught() {
        let r = Redactor::default();
        let mut w = r.writer(Vec::new());
        w.write_all(b"token ghp_0123456789abcdef").unwrap();
        w.flush().unwrap();
        w.write_all(b"0123456789abcdefghij end\n").unwrap();
        let (out, counts) = w.finish().unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "token [REDACTED:github-token] end\n");
        assert_eq!(counts["github-token"], 1);
    }

    #[test]
    fn long_line_is_redacted_in_bounded_segments() {
        let r = Redactor::builder().secret("X", "needle-secret-value").build();
        let token = "AKIAABCDEFGHIJKLMNOP";
        let mut w = r.writer(Vec::new());
        // Place secrets across many segment boundaries; the buffer must stay bounded.
        let filler = vec![b'x'; 100_003];
        let mut planted = 0;
        for i in 0..40 {
            w.write_all(&filler).unwrap();
            w.write_all(if i % 2 == 0 {
                b" needle-secret-value "
            } else {
                b" AKIAABCDEFGHIJKLMNOP "
            })
            .unwrap();
            planted += 1;
            assert!(w.buf.len() <= MAX_SEGMENT + 100_100, "buffer grew to {}", w.buf.len());
        }
        let (out, counts) = w.finish().unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(!out.contains("needle-secret-value") && !out.contains(token));
        assert_eq!(counts.values().sum::<u64>(), planted);
    }

    #[test]
    fn overlapping_secrets_are_redacted_as_one_union() {
        let r = Redactor::builder()
            .secret("A", "ovlp-AAAA-BBBB")
            .secret("B", "BBBB-CCCC-tail")
            .secret("C", "CCCC")
            .build();
        let (out, counts) = r.redact_bytes(b"x ovlp-AAAA-BBBB-CCCC-tail y BBBB-CCCC-tail\n");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "x [REDACTED:secret:A] y [REDACTED:secret:B]\n"
        );
        assert_eq!(counts.values().sum::<u64>(), 2);
    }

    #[test]
    fn multi_line_values_are_redacted_whole_and_line_by_line() {
        let cred = "{\n  \"type\": \"service_account\",\n  \"client_secret\": \"cs-9Wd2\"\n}";
        let r = Redactor::builder().secret("CRED", cred).build();
        // Whole, in one string.
        assert_eq!(r.redact_str(&format!("<{cred}>")).0, "<[REDACTED:secret:CRED]>");
        // One line of it, streamed.
        let mut s = r.stream();
        let mut out = s.push(b"log: \"client_secret\": \"cs-9Wd2\"\n");
        out.extend(s.finish().0);
        assert_eq!(String::from_utf8(out).unwrap(), "log: [REDACTED:secret:CRED]\n");
        // JSON-escaped, as a program would print it inside JSON.
        let json = serde_json::to_string(cred).unwrap();
        assert_eq!(r.redact_str(&json).0, "\"[REDACTED:secret:CRED]\"");
    }

    #[test]
    fn xml_escaped_values_are_redacted() {
        let r = Redactor::builder().secret("XTOK", "p<ss&w0rd'!\"").build();
        for text in [
            "<failure message=\"p&lt;ss&amp;w0rd'!&quot;\"/>",
            "<x>p&lt;ss&amp;w0rd&apos;!&quot;</x>",
            "<x>p&lt;ss&amp;w0rd&#39;!&#34;</x>",
            "<x>p&lt;ss&amp;w0rd&#x27;!&quot;</x>",
            "<x>p&#60;ss&#38;w0rd'!\"</x>",
            "<x>p&#x3C;ss&#x26;w0rd&#x27;!&#x22;</x>",
        ] {
            let (out, _) = r.redact_str(text);
            assert!(out.contains("[REDACTED:secret:XTOK]") && !out.contains("w0rd"), "{out}");
        }
    }

    #[test]
    fn a_stream_catches_secrets_split_between_reads_of_any_size() {
        let long = format!("L0ng-{}-end", "q7Zp".repeat(17_500)); // 70 KB
        let r = Redactor::builder().secret("S", "straddle-Kx93").secret("L", &long).build();
        let mut input = Vec::new();
        for _ in 0..20_000 {
            input.extend_from_slice(b"straddle-Kx93-");
        }
        input.extend_from_slice(long.as_bytes());
        input.extend_from_slice(b"\n");
        for piece in [1usize, 7, 4096, 64 * 1024] {
            let mut s = r.stream();
            let mut out = Vec::new();
            for chunk in input.chunks(piece) {
                out.extend(s.push(chunk));
            }
            let (rest, counts) = s.finish();
            out.extend(rest);
            let text = String::from_utf8(out).unwrap();
            assert!(!text.contains("straddle-Kx93"), "pieces of {piece}");
            assert!(!text.contains("q7Zpq7Zp"), "pieces of {piece}");
            assert_eq!(counts["secret:S"], 20_000, "pieces of {piece}");
            assert_eq!(counts["secret:L"], 1, "pieces of {piece}");
        }
    }

    #[test]
    fn redactions_record() {
        let mut r = Redactions::default();
        r.record(
            "evidence/a/stdout.log",
            &BTreeMap::from([("jwt".to_string(), 2), ("x".to_string(), 0)]),
        );
        r.record("evidence/a/stdout.log", &BTreeMap::from([("jwt".to_string(), 1)]));
        assert_eq!(r.total(), 3);
        assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"evidence/a/stdout.log":{"jwt":3}}"#);
    }
}
