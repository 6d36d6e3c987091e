//! Integration tests: one binary.
mod evidence;
