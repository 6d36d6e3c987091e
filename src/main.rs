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
            // A closed pipe (`readyctl list | head`) is not an error. (Rust ignores SIGPIPE,
            // so a write to a closed pipe is an EPIPE error that reaches here; the children
            // readyctl runs get the default SIGPIPE back from `std::process::Command`.)
            if readyctl::exit::is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {e:#}");
            ExitCode::from(readyctl::exit::USAGE)
        }
    }
}
