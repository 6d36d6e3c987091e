//! Hand-written readiness reports → checklists (`readyctl import`), and signed manual
//! sign-offs (`readyctl attest`, the `manual` probe).

pub mod attest;
pub mod classify;
pub mod import;
pub mod mojibake;
pub mod parse;

pub use import::{Import, Imported, import};
pub mod verdicts;
