//! Colour is decided here and nowhere else: `--color`, `NO_COLOR`, `TERM=dumb`, and whether
//! the stream is a terminal.

use std::io::IsTerminal;

use crate::outcome::Status;
use crate::verdict::Verdict;

/// `--color`: defined here, where colour is decided, and re-exported by `cli` for clap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub fn decide(choice: ColorChoice, stream_is_tty: bool) -> Style {
        let env_off = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
            || std::env::var("TERM").is_ok_and(|t| t == "dumb");
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => stream_is_tty && !env_off,
        };
        Style { color }
    }

    pub fn for_stdout(choice: ColorChoice) -> Style {
        Self::decide(choice, std::io::stdout().is_terminal())
    }

    pub fn for_stderr(choice: ColorChoice) -> Style {
        Self::decide(choice, std::io::stderr().is_terminal())
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
    }

    pub fn status(self, status: Status) -> String {
        let label = status_label(status);
        let code = match status {
            Status::Pass => "32",
            Status::Fail => "31;1",
            Status::Error => "35;1",
            Status::Skip => "2",
            Status::Waived => "33",
            Status::Pending => "36",
        };
        self.paint(code, label)
    }

    pub fn verdict(self, v: Verdict) -> String {
        let code = match v {
            Verdict::Ready => "32;1",
            Verdict::NotReady => "31;1",
            Verdict::Incomplete => "33;1",
        };
        self.paint(code, v.as_str())
    }

    pub fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }

    pub fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }
}

pub fn status_label(status: Status) -> &'static str {
    match status {
        Status::Pass => "PASS",
        Status::Fail => "FAIL",
        Status::Error => "ERROR",
        Status::Skip => "SKIP",
        Status::Waived => "WAIVED",
        Status::Pending => "PENDING",
    }
}

/// `850ms`, `1.2s`, `2m03s`.
pub fn human_ms(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else {
        format!("{}m{:02}s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

/// `text` with every character that could act on a terminal or hide text escaped visibly:
/// C0 controls except tab and newline (`\x1b`), a carriage return not ending a line, DEL,
/// C1 controls (`\u{9b}`), and the bidirectional overrides, embeddings and isolates
/// (`\u{202e}`, U+202A–202E, U+2066–2069, and the marks U+200E, U+200F, U+061C). Every text
/// a report shows a person (file names, reasons, log excerpts) goes through here, so a file
/// named `\x1b[31m…` or `…\u{202e}txt.exe` cannot recolour a terminal or reorder what is read.
pub fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    fn hidden(c: char) -> bool {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}')
    }
    if !text.chars().any(hidden) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() == Some(&'\n') {
            out.push(c);
        } else if hidden(c) && (c as u32) < 0x80 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else if hidden(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod visible_tests {
    use super::visible;

    #[test]
    fn controls_and_bidi_overrides_are_escaped_visibly() {
        assert_eq!(visible("plain\ttext\n"), "plain\ttext\n");
        assert_eq!(visible("a\x1b[31mred"), "a\\x1b[31mred");
        assert_eq!(visible("gnp.\u{202e}exe"), "gnp.\\u{202e}exe");
        assert_eq!(visible("\u{2066}x\u{2069}\u{9b}\x7f"), "\\u{2066}x\\u{2069}\\u{9b}\\x7f");
        assert_eq!(visible("over\rwrite\r\n"), "over\\x0dwrite\r\n");
    }
}
