//! Hand-written readiness reports → checklists (`readyctl import`), and signed manual
//! sign-offs (`readyctl attest`, the `manual` probe).

pub mod attest;
