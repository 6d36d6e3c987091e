//! Exit codes: the contract CI scripts rely on. Shown in `--help` and the README. A command's
//! errors become codes in one place, `app::Error::exit_code`; a run's verdict in
//! `verdict::Verdict::exit_code`.

/// `check`: every blocking check passed (or was waived). `verify`: valid. `diff`: no regression.
pub const READY: u8 = 0;
/// `check`: a blocking check failed. `verify`: invalid. `diff`: regression.
pub const NOT_READY: u8 = 1;
/// Usage error or invalid checklist; nothing was run.
pub const USAGE: u8 = 2;
/// `check`: nothing failed, but a blocking check could not be verified or is pending, or no
/// blocking check passed.
pub const INCOMPLETE: u8 = 3;
/// Interrupted (Ctrl-C); the run directory holds what finished.
pub const INTERRUPTED: u8 = 130;

/// Did the command stop because whoever read its stdout went away (`readyctl schema | head
/// -1`)? Such a run ends quietly with [`READY`], as ripgrep does: the reader had what it
/// wanted. Looks through the error's causes, including JSON serialization errors.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}

/// The table for `--help`.
pub const HELP: &str = "\
Exit codes (check):
  0  READY        every blocking check passed or was waived, and one passed
  1  NOT READY    a blocking check failed (or score/level policy not met)
  2  usage or checklist error; nothing was run
  3  INCOMPLETE   nothing failed, but a blocking check errored, was skipped or is pending,
                 or no blocking check passed (nothing blocking was verified)
  130 interrupted (Ctrl-C); the run directory holds what finished";
