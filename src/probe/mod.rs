//! Probes: one file per kind. Each exposes a `Spec` (the checklist's YAML shape for that
//! probe, `deny_unknown_fields`, `JsonSchema`) and `run(&Spec, &ProbeContext) -> ProbeOutcome`.

pub mod context;
pub mod coverage;
pub mod tests;

pub use context::{Artifact, ArtifactContent, ProbeContext};
