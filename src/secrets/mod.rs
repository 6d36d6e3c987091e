//! Secret detection: the built-in rule set ([`rules`]), the scanner ([`scan`]) used by the
//! `secrets` probe, `env` and `dockerfile` probes, and baseline files ([`baseline`]).

pub mod baseline;
pub mod context;
#[cfg(test)]
mod corpus;
pub mod rules;
pub mod scan;

pub use baseline::Baseline;
pub use scan::{Finding, Options, Report, Scanner};
