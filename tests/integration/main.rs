//! Integration tests: one binary.
mod db;
