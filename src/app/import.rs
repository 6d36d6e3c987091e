//! `readyctl import REPORT.md [-o FILE]`: a Markdown readiness report → a checklist.

use super::Error;
use crate::checklist::Severity;
use crate::cli::{ImportArgs, ImportSeverity};
use crate::exit;

pub fn run(args: ImportArgs) -> Result<u8, Error> {
    let bytes = std::fs::read(&args.report)
        .map_err(|e| Error::Usage(format!("cannot read {}: {e}", args.report.display())))?;
    let text = String::from_utf8_lossy(&bytes);
    let name = args
        .report
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report.md".into());
    let severity = args.severity.map(|s| match s {
        ImportSeverity::Info => Severity::Info,
        ImportSeverity::Low => Severity::Low,
        ImportSeverity::Medium => Severity::Medium,
        ImportSeverity::High => Severity::High,
        ImportSeverity::Critical => Severity::Critical,
    });
    let import = crate::claims::import::import_with(
        &text,
        &name,
        crate::claims::import::Options { severity },
    );
    if args.out == "-" {
        std::io::Write::write_all(&mut std::io::stdout(), import.yaml.as_bytes())?;
    } else {
        let out = std::path::Path::new(&args.out);
        if out.exists() && !args.force {
            return Err(Error::Usage(format!(
                "{} exists (pass --force to replace it)",
                out.display()
            )));
        }
        crate::evidence::atomic::write_atomic(out, import.yaml.as_bytes())?;
        eprintln!("wrote {}", out.display());
    }
    for line in import.summary(&name) {
        eprintln!("{line}");
    }
    Ok(exit::READY)
}
