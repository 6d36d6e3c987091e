//! Integration tests: one binary.
mod formats;
