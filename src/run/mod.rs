//! Running a checklist: the scheduler (DAG, parallelism, retries, cancellation), process
//! control, and the run directory.

pub mod process;
pub mod rundir;
pub mod scheduler;

pub use scheduler::{Event, Runner};
