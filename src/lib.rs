//! readyctl: production readiness as evidence.
//!
//! The flow (docs/design.md, "The flow, by module"): [`checklist`] (load, validate) → [`run`]
//! (schedule, run [`probe`]s) → [`outcome`] results → [`verdict`] → evidence and reports.

pub mod app;
pub mod checklist;
pub mod claims;
pub mod cli;
pub mod db;
pub mod diag;
pub mod discover;
pub mod duration;
pub mod evidence;
pub mod exit;
pub mod formats;
pub mod migrations;
pub mod net;
pub mod outcome;
pub mod probe;
pub mod record;
pub mod report;
pub mod run;
pub mod secrets;
pub mod severity;
pub mod shell;
pub mod text;
pub mod verdict;
pub mod waiver;
pub mod walk;
