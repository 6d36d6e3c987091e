//! Evidence you can trust: the sealed run directory, its signed in-toto manifest, `verify`,
//! proof packs and redaction.
//!
//! The CLI commands are thin wrappers over this module:
//! - `readyctl keygen -o NAME` → [`keys::keygen`]
//! - `readyctl check` → redact output with [`redact::Redactor`], then [`seal`] (or
//!   [`seal_with`]) the run directory, signing with [`keys::resolve_signing_key`]'s key
//! - `readyctl sign RUN_DIR --key FILE` → [`sign`]
//! - `readyctl verify RUN_DIR|PACK --key PUB [--commit SHA]` → [`verify::verify`], print the
//!   report; the command (`app::evidence`) exits 0 only for a valid report with a trusted
//!   signature (or `--allow-unsigned`), the exit code decided there and in `app::Error`
//! - `readyctl pack RUN_DIR -o PACK.tar.gz` → [`pack::pack`]
//!
//! Layout of a sealed run directory (docs/evidence.md, "Run directory"; the contract is
//! `../shared/DESIGN.md`, "Run directory and proof pack", outside this repository):
//! `manifest.json` (in-toto Statement v1, the exact signed bytes), `manifest.dsse.json` (DSSE
//! envelope, when signed), `SHA256SUMS` (every file but itself), and every other file
//! (`report.md`, `evidence/<check-id>/…`) as a subject of the manifest.

pub mod atomic;
pub mod dsse;
pub mod keys;
pub mod pack;
mod pack_reader;
mod predicate;
pub mod redact;
pub mod redact_record;
mod seal;
pub mod statement;
pub mod sums;
pub mod verify;

pub use dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
pub use keys::{SIGNING_KEY_ENV, keygen, keyid};
pub use pack::pack;
pub use redact::{RedactingWriter, Redactions, Redactor, strip_url_credentials};
pub use seal::{SealReport, seal, seal_files, seal_reusing, seal_with, sign};
pub use statement::{GitInfo, PREDICATE_TYPE, STATEMENT_TYPE, git_info};
pub use sums::FileDigest;
pub use verify::{Problem, SignatureStatus, VerifyOptions, VerifyReport, verify};

/// The in-toto Statement: the exact bytes that are signed.
pub const MANIFEST: &str = "manifest.json";
/// The DSSE envelope over `manifest.json`.
pub const ENVELOPE: &str = "manifest.dsse.json";
/// `sha256sum -c` compatible list of every file but itself.
pub const SUMS: &str = "SHA256SUMS";
/// Generated verification instructions in a pack; not covered by the manifest or SHA256SUMS.
pub const VERIFY_MD: &str = "VERIFY.md";

/// Files at the top of a run directory that are not manifest subjects.
pub(crate) fn is_sealing_file(rel: &str) -> bool {
    matches!(rel, MANIFEST | ENVELOPE | SUMS | VERIFY_MD)
}

pub(crate) use crate::text::hex;
