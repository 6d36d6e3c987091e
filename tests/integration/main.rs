//! Integration tests: one binary (link once). Each module covers one user-facing area.

mod check;
mod diagnostics;
mod formats;
mod support;
