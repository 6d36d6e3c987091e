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
    /// Filled by the loader from the checklist's `trusted_signers`; never written in YAML.
    #[serde(skip)]
    #[schemars(skip)]
    pub signers: Vec<TrustedSigner>,
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

pub fn run(spec: &Spec, ctx: &ProbeContext) -> ProbeOutcome {
    run_at(spec, ctx, chrono::Utc::now())
}

/// [`run`] with the clock passed in (tests).
pub fn run_at(spec: &Spec, ctx: &ProbeContext, now: chrono::DateTime<chrono::Utc>) -> ProbeOutcome {
    let issues = validate(spec);
    if let Some(i) = issues.first() {
        return ProbeOutcome::error(format!("manual.{}: {}", i.field, i.message));
    }
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
    if spec.signers.is_empty() {
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
        signers: &spec.signers,
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
