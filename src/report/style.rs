//! Colour is decided here and nowhere else: `--color`, `NO_COLOR`, `TERM=dumb`, and whether
//! the stream is a terminal.

use std::io::IsTerminal;

use crate::cli::ColorChoice;
use crate::outcome::Status;
use crate::verdict::Verdict;

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
