//! Running a checklist: the session (a whole run, from the selected checks to the sealed run
//! directory), the scheduler (DAG, parallelism, retries, cancellation), process control,
//! services started around the checks that need them, and the run directory.

pub mod diagnose;
pub mod process;
pub mod rundir;
pub mod scheduler;
pub mod services;
pub mod session;
pub mod tree;

pub use scheduler::{Event, Runner};
