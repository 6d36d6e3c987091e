//! `readyctl list`: the resolved checks, nothing run.

use std::io::Write;

use comfy_table::{ContentArrangement, Table, presets};

use super::Error;
use super::select::select;
use super::target;
use crate::cli::{Format, ListArgs};
use crate::evidence::redact_record::RedactFields;
use crate::exit;

pub fn run(args: ListArgs) -> Result<u8, Error> {
    let target = target::load(&args.target)?;
    if let Some(note) = &target.note {
        eprintln!("{note}");
    }
    let selection = select(&target.checklist.checks, &args.target).map_err(Error::Usage)?;
    // Interpolated values (`${env:…}`, `env:`) are shown redacted, value by value.
    let redactor = target::redactor(&target.checklist, &args.target, None);
    let shown = |s: &str| redactor.redact_str(s).0;
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            let mut doc = serde_json::json!({
                "name": target.checklist.name,
                "source": target.source_name.clone(),
                "policy": target.checklist.policy,
                "checks": selection.checks,
            });
            doc.redact_fields(&redactor, &mut Default::default());
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        Format::Table => {
            let mut t = Table::new();
            t.load_preset(presets::UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(120)
                .force_no_tty()
                .set_header(vec!["Check", "Area", "Severity", "Level", "Probe", "Needs", "Title"]);
            for c in &selection.checks {
                t.add_row(vec![
                    shown(&c.id),
                    shown(&c.area),
                    c.severity.as_str().to_string(),
                    c.level.map_or(String::new(), |l| l.as_str().to_string()),
                    c.probe.kind().to_string(),
                    shown(&c.needs.join(", ")),
                    shown(&c.title),
                ]);
            }
            writeln!(out, "{t}")?;
            writeln!(out, "{} checks from {}", selection.checks.len(), target.source_name.clone())?;
        }
    }
    Ok(exit::READY)
}
