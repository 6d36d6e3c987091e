//! The checklist: YAML shape, loading (files, built-ins, extends/include, vars), validation
//! into the typed model, and the JSON Schema generated from the same types.

pub mod builtin;
pub mod interp;
pub mod load;
pub mod model;
pub mod schema;
pub mod spans;

pub use load::{Options, Source, load};
pub use model::{Check, Checklist, Level, Policy, Probe, Severity};
