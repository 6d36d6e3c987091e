//! `readyctl diff OLD NEW`: exit 0 no regression, 1 regression, 2 usage error.

use crate::cli::{DiffArgs, DiffFormat};
use crate::exit;
use crate::report::{diff, saved};

pub fn run(args: DiffArgs) -> anyhow::Result<u8> {
    let (old, new) = match (saved::load(&args.old), saved::load(&args.new)) {
        (Ok(o), Ok(n)) => (o, n),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e:#}");
            return Ok(exit::USAGE);
        }
    };
    let d = diff::diff(&old.record, &new.record);
    let text = match args.format {
        DiffFormat::Md => diff::markdown(&d),
        DiffFormat::Json => format!("{}\n", serde_json::to_string_pretty(&d)?),
    };
    crate::report::write_to("-", text.as_bytes())?;
    Ok(if d.regression { exit::NOT_READY } else { exit::READY })
}
