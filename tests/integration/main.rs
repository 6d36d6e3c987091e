//! Integration tests: one binary.
mod net;
mod support_net;
