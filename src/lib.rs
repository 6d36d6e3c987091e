//! readyctl: production readiness as evidence.
