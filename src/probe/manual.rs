//! `manual`: a claim a machine cannot check, signed off by a person. Passes when a valid
//! attestation (`readyctl attest`) for this check exists under `attestations/<check-id>/`:
//! signed by a key in the checklist's `trusted_signers`, not expired, with a statement.
//! Otherwise `pending`, saying what is missing; a forged or altered attestation is `fail`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Artifact, ProbeContext, ProbeIssue};
use crate::claims::attest::{self, Rules, TrustedSigner, Verdict};
use crate::duration::DurationSpec;
use crate::outcome::{ProbeOutcome, Status};

/// A human sign-off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// What a person must attest (shown in the report while pending).
    pub prompt: String,
    /// Roles allowed to sign off (`sre`, `security`); any role when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// An attestation older than this no longer counts (`90d`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<DurationSpec>,
}

pub fn validate(spec: &Spec) -> Vec<ProbeIssue> {
    let mut issues = Vec::new();
    if spec.prompt.trim().is_empty() {
        issues.push(ProbeIssue::new("prompt", "prompt must say what a person attests"));
    }
    if spec.roles.iter().any(|r| r.trim().is_empty()) {
        issues.push(ProbeIssue::new("roles", "a role must not be empty"));
    }
    issues
}

/// A `manual` spec compiled: with the checklist's trusted signers (from the loader's
/// [`CompileContext`](super::CompileContext)), the keys its attestations are verified with.
#[derive(Debug, Clone)]
pub struct Compiled {
    spec: Spec,
    signers: Vec<TrustedSigner>,
}

/// The `manual` probe kind.
pub struct Kind;

impl super::ProbeKind for Kind {
    const KEY: &'static str = "manual";
    type Spec = Spec;
    type Compiled = Compiled;
    fn compile(spec: Spec, cx: &super::CompileContext) -> Result<Compiled, Vec<ProbeIssue>> {
        let issues = validate(&spec);
        if !issues.is_empty() {
            return Err(issues);
        }
        Ok(Compiled { spec, signers: cx.trusted_signers.clone() })
    }
    fn spec(compiled: &Compiled) -> &Spec {
        &compiled.spec
    }
    fn run(compiled: &Compiled, ctx: &ProbeContext) -> ProbeOutcome {
        run_at(compiled, ctx, chrono::Utc::now())
    }
}

/// Runs the probe with the clock passed in (tests).
pub fn run_at(
    compiled: &Compiled,
    ctx: &ProbeContext,
    now: chrono::DateTime<chrono::Utc>,
) -> ProbeOutcome {
    let Compiled { spec, signers } = compiled;
    let how = format!(
        "run `readyctl attest {} --by NAME --role ROLE --statement TEXT --key KEY`",
        ctx.check_id
    );
    if !attest::valid_check_id(ctx.check_id) {
        return ProbeOutcome::error(format!("check id `{}` cannot name a directory", ctx.check_id));
    }
    let rel_dir = format!("{}/{}", attest::ATTESTATIONS_DIR, ctx.check_id);
    let dir = ctx.resolve(&rel_dir);
    let files = match attest::envelopes(&dir) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return ProbeOutcome::error(format!("{rel_dir}: {e}")),
    };
    if files.is_empty() {
        return ProbeOutcome::new(
            Status::Pending,
            format!("awaiting sign-off: {} (no attestation in {rel_dir}/; {how})", spec.prompt),
        );
    }
    if signers.is_empty() {
        return ProbeOutcome::new(
            Status::Pending,
            format!(
                "{} attestation(s) in {rel_dir}/ but the checklist lists no trusted_signers to verify them",
                files.len()
            ),
        );
    }
    let rules = Rules {
        check: ctx.check_id,
        roles: &spec.roles,
        max_age: spec.max_age.map(|d| d.0),
        signers,
        now,
    };
    let mut unusable = Vec::new();
    let mut invalid = Vec::new();
    let mut valid = None;
    for f in &files {
        match attest::judge(f, &dir, &rules) {
            // The newest valid one wins (names sort by timestamp).
            Verdict::Valid { attestation, signer } => valid = Some((f, attestation, signer)),
            Verdict::Unusable(m) => unusable.push(m),
            Verdict::Invalid(m) => invalid.push(m),
        }
    }
    if !invalid.is_empty() {
        let mut o = ProbeOutcome::fail(format!(
            "attestation rejected: {} (remove or re-sign it)",
            invalid.join("; ")
        ));
        for f in &files {
            o = o.with_artifact(envelope_artifact(f));
        }
        return o;
    }
    let Some((file, att, signer)) = valid else {
        return ProbeOutcome::new(
            Status::Pending,
            format!("no valid attestation: {}; {how}", unusable.join("; ")),
        );
    };
    let mut outcome = ProbeOutcome::pass(format!(
        "attested by {} ({}) on {}, {}, signed by trusted signer `{signer}`: {}",
        att.by,
        att.role,
        att.created,
        match &att.expires {
            Some(e) => format!("expires {e}"),
            None => "no expiry".into(),
        },
        att.statement
    ))
    .with_artifact(envelope_artifact(file));
    for a in &att.attachments {
        outcome = outcome
            .with_artifact(Artifact::copy_of(format!("attestation/{}", a.path), dir.join(&a.path)));
    }
    outcome.artifacts.push(Artifact::json(
        "attestation.json",
        &serde_json::json!({ "signer": signer, "attestation": att }),
    ));
    outcome
}

fn envelope_artifact(path: &std::path::Path) -> Artifact {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("attestation.dsse.json");
    Artifact::copy_of(format!("attestation/{name}"), path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::attest::{AttestRequest, write};
    use std::sync::atomic::AtomicBool;

    fn key(seed: u8) -> ed25519_dalek::SigningKey {
        ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
    }

    fn spec(trusted: &[&ed25519_dalek::SigningKey]) -> Compiled {
        spec_with(trusted, None)
    }

    fn spec_with(
        trusted: &[&ed25519_dalek::SigningKey],
        max_age: Option<DurationSpec>,
    ) -> Compiled {
        let spec =
            Spec { prompt: "on-call rota staffed".into(), roles: vec!["sre".into()], max_age };
        let cx = crate::probe::CompileContext {
            trusted_signers: trusted
                .iter()
                .enumerate()
                .map(|(i, k)| TrustedSigner { name: format!("s{i}"), key: k.verifying_key() })
                .collect(),
        };
        <Kind as crate::probe::ProbeKind>::compile(spec, &cx).unwrap()
    }

    fn now() -> chrono::DateTime<chrono::Utc> {
        "2026-03-01T12:00:00Z".parse().unwrap()
    }

    fn sign_off(
        repo: &std::path::Path,
        k: &ed25519_dalek::SigningKey,
        role: &str,
        expires: Option<&str>,
    ) -> std::path::PathBuf {
        let attach = repo.join("note.txt");
        std::fs::write(&attach, "evidence").unwrap();
        let req = AttestRequest {
            repo,
            check: "ops.rota",
            by: "Alice Smith",
            role,
            statement: "rota staffed",
            expires: expires.map(|d| d.parse().unwrap()),
            attach: &[attach],
            now: "2026-02-01T09:00:00Z".parse().unwrap(),
        };
        write(&req, k).unwrap()
    }

    fn outcome(repo: &std::path::Path, spec: &Compiled) -> ProbeOutcome {
        let cancel = AtomicBool::new(false);
        let ctx = ProbeContext {
            repo,
            check_id: "ops.rota",
            evidence_dir: repo,
            run_started: std::time::SystemTime::now(),
            deadline: std::time::Instant::now() + std::time::Duration::from_secs(10),
            cancel: &cancel,
            output_filter: None,
        };
        run_at(spec, &ctx, now())
    }

    #[test]
    fn attested_passes_with_who_role_when_and_evidence() {
        let dir = tempfile::tempdir().unwrap();
        let k = key(1);
        let path = sign_off(dir.path(), &k, "sre", Some("2026-12-31"));
        assert!(path.ends_with("attestations/ops.rota/20260201T090000Z-alice-smith.dsse.json"));
        let o = outcome(dir.path(), &spec(&[&k]));
        assert_eq!(o.status, Status::Pass, "{}", o.reason);
        assert!(
            o.reason.contains("Alice Smith (sre)") && o.reason.contains("expires 2026-12-31"),
            "{}",
            o.reason
        );
        let names: Vec<&str> = o.artifacts.iter().map(|a| a.name.as_str()).collect();
        assert!(names.contains(&"attestation/20260201T090000Z-alice-smith/note.txt"), "{names:?}");
        assert!(names.iter().any(|n| n.ends_with(".dsse.json")), "{names:?}");
    }

    #[test]
    fn missing_expired_untrusted_wrong_role_are_pending() {
        let dir = tempfile::tempdir().unwrap();
        let k = key(1);
        let o = outcome(dir.path(), &spec(&[&k]));
        assert_eq!(o.status, Status::Pending);
        assert!(o.reason.contains("readyctl attest ops.rota"), "{}", o.reason);

        sign_off(dir.path(), &k, "sre", Some("2026-02-15"));
        let o = outcome(dir.path(), &spec(&[&k]));
        assert_eq!(o.status, Status::Pending);
        assert!(o.reason.contains("expired on 2026-02-15"), "{}", o.reason);

        let dir = tempfile::tempdir().unwrap();
        sign_off(dir.path(), &key(9), "sre", None);
        let o = outcome(dir.path(), &spec(&[&k]));
        assert_eq!(o.status, Status::Pending);
        assert!(o.reason.contains("not in trusted_signers"), "{}", o.reason);
        let o = outcome(dir.path(), &spec(&[]));
        assert_eq!(o.status, Status::Pending, "no trusted signers at all");

        let dir = tempfile::tempdir().unwrap();
        sign_off(dir.path(), &k, "intern", None);
        let o = outcome(dir.path(), &spec(&[&k]));
        assert_eq!(o.status, Status::Pending);
        assert!(o.reason.contains("role `intern`"), "{}", o.reason);

        let dir = tempfile::tempdir().unwrap();
        sign_off(dir.path(), &k, "sre", None);
        let s = spec_with(&[&k], Some(DurationSpec(std::time::Duration::from_secs(86400))));
        assert_eq!(outcome(dir.path(), &s).status, Status::Pending, "older than max_age");
    }

    #[test]
    fn unsigned_is_pending_tampered_is_fail() {
        let dir = tempfile::tempdir().unwrap();
        let k = key(1);
        let path = sign_off(dir.path(), &k, "sre", None);
        let env: crate::evidence::dsse::Envelope =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();

        let mut unsigned = env.clone();
        unsigned.signatures.clear();
        std::fs::write(&path, unsigned.to_json_bytes()).unwrap();
        assert_eq!(outcome(dir.path(), &spec(&[&k])).status, Status::Pending);

        // A different statement under the original signature.
        let mut forged = env.clone();
        let payload = String::from_utf8(env.payload_bytes().unwrap()).unwrap();
        let payload = payload.replace("rota staffed", "all good");
        forged.payload =
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, payload);
        std::fs::write(&path, forged.to_json_bytes()).unwrap();
        let o = outcome(dir.path(), &spec(&[&k]));
        assert_eq!(o.status, Status::Fail, "{}", o.reason);
        assert!(o.reason.contains("invalid signature"), "{}", o.reason);

        // Valid envelope, altered attachment.
        std::fs::write(&path, env.to_json_bytes()).unwrap();
        assert_eq!(outcome(dir.path(), &spec(&[&k])).status, Status::Pass);
        let note = path.parent().unwrap().join("20260201T090000Z-alice-smith/note.txt");
        std::fs::write(note, "changed").unwrap();
        let o = outcome(dir.path(), &spec(&[&k]));
        assert_eq!(o.status, Status::Fail);
        assert!(o.reason.contains("does not match its signed sha256"), "{}", o.reason);
    }
}
