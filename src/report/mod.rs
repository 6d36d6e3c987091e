//! Reporters: every output format renders the same [`RunRecord`](crate::record::RunRecord);
//! none recomputes a verdict.

pub mod markdown;
pub mod progress;
pub mod style;
pub mod terminal;
