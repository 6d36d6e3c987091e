//! readyctl: production readiness as evidence.
//!
//! The flow (see DESIGN.md): checklist → run → probe → evidence → report.

pub mod duration;
pub mod net;
pub mod outcome;
pub mod probe;
