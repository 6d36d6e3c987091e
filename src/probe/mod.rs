//! Probes: one file per kind. Each exposes a `Spec` (the checklist's YAML shape for that
//! probe, `deny_unknown_fields`, `JsonSchema`) and `run(&Spec, &ProbeContext) -> ProbeOutcome`.

pub mod context;
pub mod dns;
pub mod http;
pub mod load;
pub mod openapi;
pub mod tcp;

pub use context::{Artifact, ArtifactContent, ProbeContext};
