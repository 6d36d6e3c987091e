//! Live progress on stderr: a bar on a terminal naming every running check, one plain line per
//! finished check otherwise (CI logs), nothing with `--quiet`. On a terminal the finished
//! checks are only echoed above the bar when the table will not be printed there afterwards
//! (results are not shown twice).

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::style::{Style, human_ms};
use crate::outcome::CheckResult;

pub enum Progress {
    Bar {
        bar: ProgressBar,
        /// Ids of the checks running now, in start order.
        running: std::sync::Mutex<Vec<String>>,
        /// Print each finished check above the bar (the table will not follow on the terminal).
        echo: bool,
    },
    Lines(Style),
    /// `--quiet`.
    Hidden,
}

impl Progress {
    /// `table_follows`: the results table will be printed on a terminal after the run.
    pub fn new(total: usize, style: Style, table_follows: bool) -> Progress {
        if std::io::stderr().is_terminal() && std::env::var("TERM").map_or(true, |t| t != "dumb") {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{pos}/{len}] {elapsed} {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            Progress::Bar { bar, running: Default::default(), echo: !table_follows }
        } else {
            Progress::Lines(style)
        }
    }

    pub fn started(&self, id: &str) {
        if let Progress::Bar { bar, running, .. } = self {
            let mut running = running.lock().unwrap_or_else(|e| e.into_inner());
            running.push(id.to_string());
            bar.set_message(running_message(&running));
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
            Progress::Bar { bar, running, echo } => {
                let mut running = running.lock().unwrap_or_else(|e| e.into_inner());
                running.retain(|id| id != &r.id);
                bar.set_message(running_message(&running));
                if *echo {
                    bar.println(line);
                }
                bar.inc(1);
            }
            Progress::Lines(_) => {
                let _ = writeln!(std::io::stderr().lock(), "{line}");
            }
            Progress::Hidden => {}
        }
    }

    pub fn done(&self) {
        if let Progress::Bar { bar, .. } = self {
            bar.finish_and_clear();
        }
    }
}

/// `running 3: api.status, api.health-ready, tests.unit` (the bar cuts it at the terminal's
/// width).
pub fn running_message(running: &[String]) -> String {
    match running {
        [] => String::new(),
        [one] => format!("running {one}"),
        many => format!("running {}: {}", many.len(), many.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_message_names_every_running_check() {
        let ids = ["a.one".to_string(), "b.two".to_string(), "c.three".to_string()];
        assert_eq!(super::running_message(&ids[..1]), "running a.one");
        assert_eq!(super::running_message(&ids), "running 3: a.one, b.two, c.three");
        assert_eq!(super::running_message(&[]), "");
    }
}
