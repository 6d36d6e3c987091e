//! Integration tests: one binary (link once). Each module covers one user-facing area.

mod check;
mod claims;
mod conventions;
mod db;
mod diagnostics;
mod evidence;
mod faults;
mod formats;
mod hardening;
mod hygiene;
mod net;
mod proof;
mod report_html;
mod report_md;
mod reports;
mod services;
mod support;
mod support_net;
mod terminal;
