//! The commands' one error type, and the one place errors become exit codes and stderr text.
//!
//! A command returns `Ok(code)` when it ran (the code says what it found: READY, NOT READY,
//! INCOMPLETE, INTERRUPTED, valid or not) and `Err(Error)` when it could not: `main` calls
//! [`Error::report`] and exits with [`Error::exit_code`].

use std::path::PathBuf;

use super::target::LoadError;
use crate::evidence::keys::KeyError;
use crate::exit;
use crate::run::session;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The checklist (or the repository) could not be loaded; nothing ran.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// `check`: the run session stopped.
    #[error(transparent)]
    Session(#[from] session::Error),
    /// A signing or verifying key could not be read.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Wrong arguments or unusable input, said in one line.
    #[error("{0}")]
    Usage(String),
    /// `verify`: the run or pack could not be opened at all.
    #[error("cannot open {}: {source}", path.display())]
    Open { path: PathBuf, source: std::io::Error },
    /// `sign`, `pack`: the run is not intact evidence (its verdict, not a usage error).
    #[error("{0:#}")]
    Evidence(anyhow::Error),
    /// Anything else (writing files or stdout, serializing), with its causes.
    #[error("{0:#}")]
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Error {
    fn from(e: anyhow::Error) -> Self {
        Error::Other(e)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Other(e.into())
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Other(e.into())
    }
}

impl Error {
    /// The exit code: the contract in [`crate::exit`].
    pub fn exit_code(&self) -> u8 {
        if self.is_broken_pipe() {
            return exit::READY;
        }
        match self {
            Error::Evidence(_)
            | Error::Session(session::Error::Tampered(_) | session::Error::Unkillable(_)) => {
                exit::NOT_READY
            }
            Error::Load(_)
            | Error::Session(_)
            | Error::Key(_)
            | Error::Usage(_)
            | Error::Open { .. }
            | Error::Other(_) => exit::USAGE,
        }
    }

    /// Says it on stderr: located diagnostics as rendered, anything else as `error: …`; a
    /// closed stdout (`readyctl list | head`) says nothing. (Rust ignores SIGPIPE, so a write
    /// to a closed pipe is an EPIPE error that ends here; the children readyctl runs get the
    /// default SIGPIPE back from `std::process::Command`.)
    pub fn report(&self) {
        match self {
            _ if self.is_broken_pipe() => {}
            Error::Load(LoadError::Invalid(text))
            | Error::Session(session::Error::Waivers(text)) => {
                eprint!("{text}")
            }
            _ => eprintln!("error: {self}"),
        }
    }

    /// Whoever read stdout went away: the command ends quietly with READY
    /// ([`exit::is_broken_pipe`]).
    fn is_broken_pipe(&self) -> bool {
        match self {
            Error::Session(session::Error::StdoutClosed(_)) => true,
            Error::Other(e) => exit::is_broken_pipe(e),
            _ => false,
        }
    }
}

/// Writes a command's output to `dest` (`-` is stdout): a closed stdout stays quiet, any other
/// failure is `error: writing DEST: …`.
pub fn write_output(dest: &str, bytes: &[u8]) -> Result<(), Error> {
    crate::report::write_to(dest, bytes).map_err(|e| {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Error::from(e)
        } else {
            Error::Usage(format!("writing {dest}: {e}"))
        }
    })
}
