//! `readyctl secrets baseline|rules`: write a baseline of current findings; list the rules.

use std::io::Write;

use super::Error;
use crate::cli::SecretsCommand;
use crate::exit;
use crate::secrets::{Baseline, Options, Scanner, rules};

pub fn run(cmd: SecretsCommand) -> Result<u8, Error> {
    match cmd {
        SecretsCommand::Rules(args) => {
            let mut out = std::io::stdout().lock();
            if args.pattern {
                let scanner = Scanner::new(&Options::default()).map_err(anyhow::Error::msg)?;
                writeln!(out, "{}", scanner.combined_pattern())?;
                return Ok(exit::READY);
            }
            for r in rules::RULES {
                writeln!(out, "{:<28} {:<9} {}", r.id, r.severity.as_str(), r.description)?;
            }
            for (id, severity, description) in rules::FILE_RULES {
                writeln!(out, "{:<28} {:<9} {}", id, severity.as_str(), description)?;
            }
            writeln!(
                out,
                "\nContext: findings in docs/, tests/, fixtures/, examples/, *.md, OpenAPI files, \
                 vendored code, commented-out lines, `example:` values and expired JWTs are \
                 lowered to low; so are passwords, URLs and framework keys in docker-compose \
                 files, CI configuration, development settings or pointing at a local host. \
                 The probe fails on findings at or above min_severity (default medium). \
                 Published examples (AWS …EXAMPLE keys, reCAPTCHA test keys, jwt.io) are skipped."
            )?;
            Ok(exit::READY)
        }
        SecretsCommand::Baseline(args) => {
            if !args.repo.is_dir() {
                return Err(Error::Usage(format!("`{}` is not a directory", args.repo.display())));
            }
            let scanner = match Scanner::new(&Options::default()) {
                Ok(s) => s,
                Err(e) => return Err(Error::Other(anyhow::Error::msg(e))),
            };
            let cancel = std::sync::atomic::AtomicBool::new(false);
            let mut report = scanner.scan_repo(&args.repo, &cancel).map_err(anyhow::Error::msg)?;
            // As the probe does: files tracked although an ignore rule matches them.
            let ignored = crate::secrets::scan::committed_but_ignored(&args.repo);
            scanner.scan_listed(&args.repo, &ignored, &mut report);
            let out = args.out.unwrap_or_else(|| args.repo.join(".secrets-baseline.json"));
            let baseline = Baseline::from_findings(&report.findings);
            crate::run::rundir::write_atomic(&out, baseline.to_json().as_bytes())?;
            eprintln!(
                "wrote {} ({} finding{} from {} files); add `baseline: {}` to the secrets check",
                out.display(),
                report.findings.len(),
                crate::diag::plural(report.findings.len()),
                report.files_scanned,
                out.strip_prefix(&args.repo).unwrap_or(&out).display()
            );
            Ok(exit::READY)
        }
    }
}
