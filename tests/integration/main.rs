//! Integration tests: one binary (link once). Each module covers one user-facing area.

mod action;
mod check;
mod claims;
mod claims_acceptance;
mod conventions;
mod db;
mod diagnostics;
mod evidence;
mod faults;
mod forged_packs;
mod formats;
mod hardening;
mod hygiene;
mod net;
mod predicate;
mod proof;
mod redaction;
mod report_html;
mod report_md;
mod reports;
mod reports_ci;
mod services;
mod stacks;
mod support;
mod support_net;
mod terminal;
