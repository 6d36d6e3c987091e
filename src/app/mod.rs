//! The commands: each turns parsed arguments into library calls and returns the exit code of
//! what it found, or an [`Error`] (`main` prints it and exits with [`Error::exit_code`]).

mod aggregate;
mod attest;
mod badge;
mod check;
mod diff;
mod error;
mod evidence;
mod import;
mod init;
mod list;
mod migrations;
mod report;
mod secrets;
mod select;
mod target;

use std::io::Write;

use crate::cli::{Cli, Command};

pub use error::Error;
use error::write_output;

/// Runs a command; returns the process exit code.
pub fn run(cli: Cli) -> Result<u8, Error> {
    match cli.command {
        Command::Check(args) => check::run(args),
        Command::List(args) => list::run(args),
        Command::Init(args) => init::run(args),
        Command::Keygen(args) => evidence::keygen(args),
        Command::Sign(args) => evidence::sign(args),
        Command::Verify(args) => evidence::verify(args),
        Command::Pack(args) => evidence::pack(args),
        Command::Report(args) => report::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Badge(args) => badge::run(args),
        Command::Aggregate(args) => aggregate::run(args),
        Command::Secrets(cmd) => secrets::run(cmd),
        Command::Migrations(crate::cli::MigrationsCommand::Lock(args)) => migrations::lock(args),
        Command::Import(args) => import::run(args),
        Command::Attest(args) => attest::run(args),
        Command::Completions(args) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut out = std::io::stdout().lock();
            clap_complete::generate(args.shell, &mut cmd, "readyctl", &mut out);
            out.flush()?;
            Ok(crate::exit::READY)
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut out = std::io::stdout().lock();
            clap_mangen::Man::new(cmd).render(&mut out)?;
            out.flush()?;
            Ok(crate::exit::READY)
        }
        Command::Schema => {
            let schema = crate::checklist::schema::checklist_schema();
            let mut out = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &schema)?;
            writeln!(out)?;
            Ok(crate::exit::READY)
        }
    }
}

/// The process environment as a lookup function.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}
