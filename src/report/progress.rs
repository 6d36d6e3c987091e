//! Live progress on stderr: a bar on a terminal, one plain line per finished check otherwise
//! (CI logs), nothing with `--quiet`.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::style::{Style, human_ms};
use crate::outcome::CheckResult;

pub enum Progress {
    Bar(ProgressBar),
    Lines(Style),
}

impl Progress {
    pub fn new(total: usize, style: Style) -> Progress {
        if std::io::stderr().is_terminal() && std::env::var("TERM").map_or(true, |t| t != "dumb") {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{pos}/{len}] {elapsed} {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            Progress::Bar(bar)
        } else {
            Progress::Lines(style)
        }
    }

    pub fn started(&self, id: &str) {
        if let Progress::Bar(bar) = self {
            bar.set_message(format!("running {id}"));
        }
    }

    pub fn finished(&self, r: &CheckResult, style: Style) {
        let line = format!(
            "{:>7}  {}  {}  {}",
            style.status(r.status),
            super::style::visible(&r.id),
            style.dim(&human_ms(r.duration_ms)),
            super::style::visible(&r.reason)
        );
        match self {
            Progress::Bar(bar) => {
                bar.println(line);
                bar.inc(1);
            }
            Progress::Lines(_) => {
                let _ = writeln!(std::io::stderr().lock(), "{line}");
            }
        }
    }

    pub fn done(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}
