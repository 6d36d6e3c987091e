//! Integration tests: one binary (link once). Each module covers one user-facing area.

mod check;
mod diagnostics;
mod evidence;
mod proof;
mod reports;
mod support;
