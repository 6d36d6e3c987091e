//! Integration tests: one binary (link once). Each module covers one user-facing area.

mod check;
mod claims;
mod db;
mod diagnostics;
mod escape;
mod evidence;
mod faults;
mod formats;
mod hardening;
mod hygiene;
mod injection;
mod net;
mod proof;
mod reports;
mod services;
mod support;
mod support_net;
mod untrusted;
