//! Reads a Markdown readiness report (CommonMark + tables + task lists, via pulldown-cmark)
//! into claims: list items, table rows with a status column and commands in fenced code
//! blocks, each with its source line and the heading it sits under (its area).

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// The status a report gives a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Marker {
    /// ✅ ✔ ☑ ✓ or `[x]`.
    Done,
    /// `[ ]`: not done yet.
    Open,
    /// ⏸️: on hold.
    Paused,
    /// ⚠️: done with reservations.
    Warning,
    /// ❌: stated as not done or failing.
    Failed,
    /// No marker: stated as fact.
    None,
}

/// Where a claim came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    ListItem,
    TableRow,
    /// A command or statement in a fenced code block; `lang` in [`Claim::lang`].
    Code,
}

/// One claim of the report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Claim {
    /// 1-based line in the report.
    pub line: usize,
    /// The nearest heading above (markers stripped), or `general`.
    pub area: String,
    /// The claim as written (markers stripped, whitespace collapsed); for code, the command.
    pub text: String,
    pub marker: Marker,
    pub origin: Origin,
    /// Code spans in the claim (`backend/main.py:354`), in order.
    pub code_spans: Vec<String>,
    /// The info string of a code block (`bash`, `sql`).
    pub lang: Option<String>,
    /// The comment lines just above a command in a code block (`-- should return 0`).
    pub comment: Option<String>,
}

/// The parsed report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub title: Option<String>,
    pub claims: Vec<Claim>,
    /// Characters repaired from mis-decoded UTF-8 (`âœ…` → `✅`).
    pub repaired: usize,
}

const MARKERS: &[(&str, Marker)] = &[
    ("✅", Marker::Done),
    ("✔", Marker::Done),
    ("☑", Marker::Done),
    ("✓", Marker::Done),
    ("⏸", Marker::Paused),
    ("⚠", Marker::Warning),
    ("❌", Marker::Failed),
    ("✗", Marker::Failed),
];

/// The first marker in `text`, and the text without markers (and emoji presentation selectors).
pub fn strip_markers(text: &str) -> (Marker, String) {
    let mut marker = Marker::None;
    let mut best = usize::MAX;
    for (m, kind) in MARKERS {
        if let Some(p) = text.find(m)
            && p < best
        {
            best = p;
            marker = *kind;
        }
    }
    let mut out = text.replace('\u{fe0f}', "");
    for (m, _) in MARKERS {
        out = out.replace(m, "");
    }
    (marker, collapse(&out))
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn line_of(starts: &[usize], offset: usize) -> usize {
    starts.partition_point(|&s| s <= offset)
}

#[derive(Default)]
struct Item {
    text: String,
    spans: Vec<String>,
    line: usize,
    task: Option<bool>,
    emitted: bool,
}

/// Parses a report (after repairing mojibake).
pub fn parse(input: &str) -> Report {
    let (text, repaired) = super::mojibake::repair(input);
    let text = numbered_lists_after_paragraphs(&text);
    let starts: Vec<usize> =
        std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let opts = Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS | Options::ENABLE_STRIKETHROUGH;
    let mut claims = Vec::new();
    let mut title = None;
    let mut area = "general".to_string();
    let mut heading: Option<(HeadingLevel, String)> = None;
    let mut items: Vec<Item> = Vec::new();
    let mut code: Option<(Option<String>, usize, String)> = None;
    // Tables: header cells, the status column, the current row's cells.
    let mut in_head = false;
    let mut head: Vec<String> = Vec::new();
    let mut status_col: Option<usize> = None;
    let mut row: Vec<(String, Vec<String>)> = Vec::new();
    let mut row_line = 0;
    let mut cell: Option<(String, Vec<String>)> = None;

    for (event, range) in Parser::new_ext(&text, opts).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => heading = Some((level, String::new())),
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, h)) = heading.take() {
                    let (_, h) = strip_markers(&h);
                    if level == HeadingLevel::H1 && title.is_none() {
                        title = Some(h.clone());
                    }
                    area = if h.is_empty() { "general".into() } else { h };
                }
            }
            Event::Start(Tag::Item) => {
                // A nested list starts: the parent item's own text is a claim already.
                if let Some(parent) = items.last_mut() {
                    emit_item(parent, &area, &mut claims);
                }
                items.push(Item { line: line_of(&starts, range.start), ..Default::default() });
            }
            Event::End(TagEnd::Item) => {
                if let Some(mut it) = items.pop() {
                    emit_item(&mut it, &area, &mut claims);
                }
            }
            Event::TaskListMarker(done) => {
                if let Some(it) = items.last_mut() {
                    it.task = Some(done);
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split_whitespace().next().map(|s| s.to_ascii_lowercase())
                    }
                    CodeBlockKind::Indented => None,
                };
                // The body starts on the line after the fence.
                code = Some((lang, line_of(&starts, range.start) + 1, String::new()));
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((lang, first, body)) = code.take() {
                    code_claims(lang, first, &body, &area, &mut claims);
                }
            }
            Event::Start(Tag::TableHead) => {
                in_head = true;
                head.clear();
                status_col = None;
            }
            Event::End(TagEnd::TableHead) => {
                in_head = false;
                head = row.drain(..).map(|(t, _)| t).collect();
                status_col = head.iter().position(|h| {
                    let h = h.to_ascii_lowercase();
                    h.contains("status") || h.contains("state") || h == "done" || h == "result"
                });
            }
            Event::Start(Tag::TableRow) => {
                row.clear();
                row_line = line_of(&starts, range.start);
            }
            Event::End(TagEnd::TableRow) => {
                table_row(&row, &head, status_col, row_line, &area, &mut claims);
                row.clear();
            }
            Event::Start(Tag::TableCell) => cell = Some((String::new(), Vec::new())),
            Event::End(TagEnd::TableCell) => {
                if let Some(c) = cell.take() {
                    row.push(c);
                }
                if in_head && row.is_empty() {
                    row_line = line_of(&starts, range.start);
                }
            }
            Event::Text(t) => push_text(&t, false, &mut heading, &mut code, &mut cell, &mut items),
            Event::Code(t) => push_text(&t, true, &mut heading, &mut code, &mut cell, &mut items),
            Event::SoftBreak | Event::HardBreak => {
                push_text(" ", false, &mut heading, &mut code, &mut cell, &mut items)
            }
            _ => {}
        }
    }
    Report { title, claims, repaired }
}

/// In CommonMark only a list starting at `1.` may interrupt a paragraph, so in
/// "**Modified Files**:\n2. `a.py` - fixed\n3. `b.py`" the numbered lines are paragraph text.
/// Reports number on across sections like that; such a first item is renumbered `1.` (same
/// line, so line numbers stay) to make it a list. Fenced code is left alone.
fn numbered_lists_after_paragraphs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut fence: Option<&str> = None;
    let mut prev_is_text = false;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let marker = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m));
        if let Some(m) = marker {
            fence = match fence {
                Some(open) if open == m => None,
                None => Some(m),
                other => other,
            };
            out.push_str(line);
            prev_is_text = false;
            continue;
        }
        if fence.is_some() {
            out.push_str(line);
            continue;
        }
        let digits = trimmed.chars().take_while(char::is_ascii_digit).count();
        let numbered = digits > 0
            && digits <= 9
            && trimmed[digits..].starts_with(". ")
            && !trimmed[..digits].chars().all(|c| c == '0')
            && &trimmed[..digits] != "1";
        let indent = line.len() - trimmed.len();
        if numbered && prev_is_text && indent < 4 {
            out.push_str(&line[..indent]);
            out.push('1');
            out.push_str(&trimmed[digits..]);
        } else {
            out.push_str(line);
        }
        let blank = trimmed.trim().is_empty();
        let list_item = numbered
            || trimmed.starts_with("- ")
            || trimmed.starts_with("* ")
            || trimmed.starts_with("+ ")
            || (digits > 0 && trimmed[digits..].starts_with(". "));
        prev_is_text =
            !blank && !list_item && !trimmed.starts_with('#') && !trimmed.starts_with('|');
    }
    out
}

fn push_text(
    t: &str,
    is_code: bool,
    heading: &mut Option<(HeadingLevel, String)>,
    code: &mut Option<(Option<String>, usize, String)>,
    cell: &mut Option<(String, Vec<String>)>,
    items: &mut [Item],
) {
    if let Some((_, _, body)) = code {
        body.push_str(t);
    } else if let Some((_, h)) = heading {
        h.push_str(t);
    } else if let Some((c, spans)) = cell {
        if is_code {
            spans.push(t.to_string());
            c.push('`');
            c.push_str(t);
            c.push('`');
        } else {
            c.push_str(t);
        }
    } else if let Some(it) = items.last_mut()
        && !it.emitted
    {
        if is_code {
            it.spans.push(t.to_string());
            it.text.push('`');
            it.text.push_str(t);
            it.text.push('`');
        } else {
            it.text.push_str(t);
        }
    }
}

fn emit_item(it: &mut Item, area: &str, claims: &mut Vec<Claim>) {
    if it.emitted {
        return;
    }
    it.emitted = true;
    let (marker, text) = strip_markers(&it.text);
    if text.is_empty() {
        return;
    }
    let marker = match it.task {
        Some(true) => Marker::Done,
        Some(false) => Marker::Open,
        None => marker,
    };
    claims.push(Claim {
        line: it.line,
        area: area.to_string(),
        text,
        marker,
        origin: Origin::ListItem,
        code_spans: std::mem::take(&mut it.spans),
        lang: None,
        comment: None,
    });
}

fn table_row(
    row: &[(String, Vec<String>)],
    head: &[String],
    status_col: Option<usize>,
    line: usize,
    area: &str,
    claims: &mut Vec<Claim>,
) {
    // Only rows of a table with a status column, or with a marker in some cell, are claims.
    let marker_col = row.iter().position(|(c, _)| strip_markers(c).0 != Marker::None);
    let Some(col) = status_col.or(marker_col) else { return };
    let Some((status, _)) = row.get(col) else { return };
    let (marker, status_text) = strip_markers(status);
    let mut parts = Vec::new();
    let mut spans = Vec::new();
    for (i, (c, s)) in row.iter().enumerate() {
        spans.extend(s.iter().cloned());
        let (_, c) = strip_markers(c);
        if i == col || c.is_empty() {
            continue;
        }
        parts.push(match head.get(i) {
            Some(h) if i > 0 && !h.is_empty() => format!("{h}: {c}"),
            _ => c,
        });
    }
    if parts.is_empty() {
        return;
    }
    let text = if status_text.is_empty() {
        parts.join("; ")
    } else {
        format!("{} ({status_text})", parts.join("; "))
    };
    claims.push(Claim {
        line,
        area: area.to_string(),
        text,
        marker,
        origin: Origin::TableRow,
        code_spans: spans,
        lang: None,
        comment: None,
    });
}

/// Commands (shell: one per logical line, `\` continuations joined) or statements (SQL: split
/// on `;`) of a code block, each with its line and the comment lines right above it.
fn code_claims(
    lang: Option<String>,
    first: usize,
    body: &str,
    area: &str,
    claims: &mut Vec<Claim>,
) {
    let is_sql = matches!(lang.as_deref(), Some("sql" | "postgresql" | "psql" | "sqlite"));
    let comment_prefix = if is_sql { "--" } else { "#" };
    let mut comment: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    for (i, raw) in body.lines().enumerate() {
        let line = raw.trim();
        if current.is_empty() {
            if line.is_empty() {
                comment.clear();
                continue;
            }
            if let Some(c) = line.strip_prefix(comment_prefix) {
                comment.push(c.trim().to_string());
                continue;
            }
            start = first + i;
        }
        if is_sql {
            // Trailing `-- comments` inside a statement are dropped.
            let code = line.split(" --").next().unwrap_or(line);
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(code);
            if !code.trim_end().ends_with(';') {
                continue;
            }
        } else if let Some(head) = line.strip_suffix('\\') {
            current.push_str(head.trim_end());
            current.push(' ');
            continue;
        } else {
            current.push_str(line);
        }
        let text = collapse(current.trim().trim_end_matches(';'));
        if !text.is_empty() {
            claims.push(Claim {
                line: start,
                area: area.to_string(),
                text,
                marker: Marker::None,
                origin: Origin::Code,
                code_spans: Vec::new(),
                lang: lang.clone(),
                comment: (!comment.is_empty()).then(|| comment.join(" ")),
            });
        }
        current.clear();
        comment.clear();
    }
    let rest = collapse(current.trim().trim_end_matches(';'));
    if !rest.is_empty() {
        claims.push(Claim {
            line: start,
            area: area.to_string(),
            text: rest,
            marker: Marker::None,
            origin: Origin::Code,
            code_spans: Vec::new(),
            lang,
            comment: (!comment.is_empty()).then(|| comment.join(" ")),
        });
    }
}
