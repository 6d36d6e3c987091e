//! `readyctl attest CHECK_ID --by --role --statement [--expires] [--attach]… --key`.

use std::io::Write as _;

use super::Error;
use crate::cli::AttestArgs;
use crate::exit;

pub fn run(args: AttestArgs) -> Result<u8, Error> {
    let key =
        crate::evidence::keys::resolve_signing_key(args.key.as_deref())?.ok_or_else(|| {
            Error::Usage(format!(
                "attest needs a key: pass --key FILE or set {}",
                crate::evidence::SIGNING_KEY_ENV
            ))
        })?;
    let req = crate::claims::attest::AttestRequest {
        repo: &args.repo,
        check: &args.check,
        by: &args.by,
        role: &args.role,
        statement: &args.statement,
        expires: args.expires,
        attach: &args.attach,
        now: chrono::Utc::now(),
    };
    let path =
        crate::claims::attest::write(&req, &key).map_err(|e| Error::Usage(format!("{e:#}")))?;
    writeln!(std::io::stdout(), "{}", path.display())?;
    eprintln!(
        "attested `{}` as {} ({}), keyid {}",
        args.check,
        args.by,
        args.role,
        crate::evidence::keyid(&key.verifying_key())
    );
    Ok(exit::READY)
}
