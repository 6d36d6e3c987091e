//! Probes: one file per kind. Each exposes a `Spec` (the checklist's YAML shape for that
//! probe, `deny_unknown_fields`, `JsonSchema`) and `run(&Spec, &ProbeContext) -> ProbeOutcome`.

pub mod context;
pub mod migrations;
pub mod sql;

pub use context::{Artifact, ArtifactContent, ProbeContext};
