//! Located diagnostics: `file:line:col: message`, the source line, a caret, and a hint
//! (did-you-mean for unknown names). Loading collects every problem before failing.

use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

/// One problem in a checklist, located when we know where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    /// 1-based line and column; `None` when the problem has no single place.
    pub line: Option<usize>,
    pub col: Option<usize>,
    pub message: String,
    /// What to do about it (`did you mean `status`?`).
    pub hint: Option<String>,
    /// The source line, for the snippet.
    pub source_line: Option<String>,
}

impl Diagnostic {
    pub fn new(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.into(),
            line: None,
            col: None,
            message: message.into(),
            hint: None,
            source_line: None,
        }
    }

    /// Places the diagnostic at a 1-based line and column of `source`.
    pub fn at(mut self, source: &str, line: usize, col: usize) -> Self {
        self.line = Some(line);
        self.col = Some(col);
        self.source_line = source.lines().nth(line.saturating_sub(1)).map(str::to_owned);
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// `file:line:col` (or as much of it as is known).
    pub fn location(&self) -> String {
        let mut s = self.file.display().to_string();
        if let Some(line) = self.line {
            let _ = write!(s, ":{line}");
            if let Some(col) = self.col {
                let _ = write!(s, ":{col}");
            }
        }
        s
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        writeln!(f, "  --> {}", self.location())?;
        if let (Some(line), Some(src)) = (self.line, &self.source_line) {
            let num = line.to_string();
            let pad = " ".repeat(num.len());
            writeln!(f, "{pad} |")?;
            writeln!(f, "{num} | {src}")?;
            let col = self.col.unwrap_or(1).max(1);
            // Carets align under the source line; tabs keep their width.
            let lead: String =
                src.chars().take(col - 1).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
            writeln!(f, "{pad} | {lead}^")?;
        }
        if let Some(hint) = &self.hint {
            writeln!(f, "  = help: {hint}")?;
        }
        Ok(())
    }
}

/// Renders a list of diagnostics with a closing count line.
pub fn render_all(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let _ = writeln!(out, "{d}");
    }
    let n = diags.len();
    let _ = writeln!(out, "error: checklist has {n} problem{}; nothing was run", plural(n));
    out
}

pub fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The closest candidate within a small edit distance, for did-you-mean hints.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let max = (name.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|c| (levenshtein(&name.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= max)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Displays a path relative to `base` when it is inside it.
pub fn display_path(path: &Path, base: &Path) -> String {
    path.strip_prefix(base).unwrap_or(path).display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let keys = ["status", "headers", "json"];
        assert_eq!(did_you_mean("stauts", keys), Some("status"));
        assert_eq!(did_you_mean("jsn", keys), Some("json"));
        assert_eq!(did_you_mean("completely", keys), None);
    }

    #[test]
    fn renders_caret_under_column() {
        let src = "a: 1\n  bad: 2\n";
        let d = Diagnostic::new("x.yaml", "unknown field `bad`").at(src, 2, 3).hint("remove it");
        let text = d.to_string();
        assert!(text.contains("--> x.yaml:2:3"), "{text}");
        assert!(text.contains("2 |   bad: 2\n  |   ^"), "{text}");
        assert!(text.contains("= help: remove it"));
    }
}
