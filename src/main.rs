//! The `readyctl` binary: parse arguments, call the library, print the error, exit.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // SAFETY: first thing in `main`, before any thread is started: nothing else reads or
    // writes the environment while the signing key is taken out of it (so no check, service
    // or tool inherits it).
    unsafe { readyctl::evidence::keys::take_signing_key_env() };
    let cli = readyctl::cli::Cli::parse();
    match readyctl::app::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            e.report();
            ExitCode::from(e.exit_code())
        }
    }
}
