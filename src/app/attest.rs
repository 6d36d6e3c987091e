//! `readyctl attest CHECK_ID --by --role --statement [--expires] [--attach]… --key`.

use std::io::Write as _;

use crate::cli::AttestArgs;
use crate::exit;

pub fn run(args: AttestArgs) -> anyhow::Result<u8> {
    let key = match crate::evidence::keys::resolve_signing_key(args.key.as_deref()) {
        Ok(Some(k)) => k,
        Ok(None) => {
            eprintln!(
                "error: attest needs a key: pass --key FILE or set {}",
                crate::evidence::SIGNING_KEY_ENV
            );
            return Ok(exit::USAGE);
        }
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::USAGE);
        }
    };
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
    match crate::claims::attest::write(&req, &key) {
        Ok(path) => {
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
        Err(e) => {
            eprintln!("error: {e:#}");
            Ok(exit::USAGE)
        }
    }
}
