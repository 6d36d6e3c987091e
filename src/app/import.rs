//! `readyctl import REPORT.md [-o FILE]`: a Markdown readiness report → a checklist.

use crate::checklist::Severity;
use crate::cli::{ImportArgs, ImportSeverity};
use crate::exit;

pub fn run(args: ImportArgs) -> anyhow::Result<u8> {
    let bytes = match std::fs::read(&args.report) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", args.report.display());
            return Ok(exit::USAGE);
        }
    };
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
            eprintln!("error: {} exists (pass --force to replace it)", out.display());
            return Ok(exit::USAGE);
        }
        crate::evidence::atomic::write_atomic(out, import.yaml.as_bytes())?;
        eprintln!("wrote {}", out.display());
    }
    for line in import.summary(&name) {
        eprintln!("{line}");
    }
    Ok(exit::READY)
}
