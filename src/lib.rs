//! readyctl: production readiness as evidence.
//!
//! The flow (see DESIGN.md): checklist → run → probe → evidence → report.

pub mod duration;
pub mod formats;
pub mod outcome;
pub mod probe;
