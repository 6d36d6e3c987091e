//! `keygen`, `sign`, `verify`, `pack`: thin wrappers over [`crate::evidence`].

use std::io::Write;

use super::Error;
use crate::cli::{Format, KeygenArgs, PackArgs, SignArgs, VerifyArgs};
use crate::evidence::{self, SignatureStatus, keys};
use crate::exit;

pub fn keygen(args: KeygenArgs) -> Result<u8, Error> {
    let k = keys::keygen(&args.out)?;
    eprintln!(
        "wrote {} (private, mode 0600) and {}",
        k.private_key.display(),
        k.public_key.display()
    );
    eprintln!("key id: {}", k.keyid);
    eprintln!(
        "keep the .key secret (CI: store its PEM text in READYCTL_SIGNING_KEY); give the .pub to verifiers"
    );
    Ok(exit::READY)
}

pub fn sign(args: SignArgs) -> Result<u8, Error> {
    let key = keys::resolve_signing_key(args.key.as_deref())?.ok_or_else(|| {
        Error::Usage(format!(
            "no signing key: pass --key FILE or set {}",
            evidence::SIGNING_KEY_ENV
        ))
    })?;
    let report = evidence::sign(&args.run, &key).map_err(Error::Evidence)?;
    eprintln!(
        "signed {} (manifest sha256 {}) with key {}",
        args.run.display(),
        report.manifest_sha256,
        report.signed_by.unwrap_or_default()
    );
    Ok(exit::READY)
}

pub fn verify(args: VerifyArgs) -> Result<u8, Error> {
    let keys_ = args.key.iter().map(|p| keys::load_verifying_key(p)).collect::<Result<_, _>>()?;
    let options = evidence::VerifyOptions {
        trusted_keys: keys_,
        expected_commit: args.commit.clone(),
        allow_dirty: args.allow_dirty,
        ..Default::default()
    };
    let report = evidence::verify::verify_with(&args.path, &options)
        .map_err(|source| Error::Open { path: args.path.clone(), source })?;
    // A proof must be signed by a trusted key unless the caller explicitly accepts less.
    let signature_ok = match &report.signature {
        SignatureStatus::Valid { .. } => true,
        SignatureStatus::Unsigned | SignatureStatus::NotChecked => args.allow_unsigned,
        SignatureStatus::Invalid => false,
    };
    let valid = report.is_valid() && signature_ok;
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            let mut v = serde_json::to_value(&report)?;
            v["valid"] = valid.into();
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
        Format::Table => {
            let text = report.to_string();
            if report.is_valid() && !signature_ok {
                let text = text.replacen("VALID:", "INVALID:", 1);
                write!(out, "{text}")?;
                writeln!(
                    out,
                    "  the files are intact, but no trusted signature was checked: pass --key PUB (or --allow-unsigned to accept integrity only)"
                )?;
            } else {
                write!(out, "{text}")?;
            }
        }
    }
    Ok(if valid { exit::READY } else { exit::NOT_READY })
}

pub fn pack(args: PackArgs) -> Result<u8, Error> {
    let s = evidence::pack(&args.run, &args.out).map_err(Error::Evidence)?;
    eprintln!(
        "wrote {} ({} files, {} bytes); VERIFY.md inside shows three ways to check it",
        args.out.display(),
        s.files,
        s.bytes
    );
    Ok(exit::READY)
}
