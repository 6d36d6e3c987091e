//! `readyctl diff OLD NEW`: exit 0 no regression, 1 regression, 2 usage error.

use super::Error;
use crate::cli::{DiffArgs, DiffFormat};
use crate::exit;
use crate::report::{diff, saved};

pub fn run(args: DiffArgs) -> Result<u8, Error> {
    let (old, new) = match (saved::load(&args.old), saved::load(&args.new)) {
        (Ok(o), Ok(n)) => (o, n),
        (Err(e), _) | (_, Err(e)) => return Err(Error::Usage(format!("{e:#}"))),
    };
    let d = diff::diff(&old.record, &new.record);
    let text = match args.format {
        DiffFormat::Md => diff::markdown(&d),
        DiffFormat::Json => format!("{}\n", serde_json::to_string_pretty(&d)?),
    };
    crate::report::write_to("-", text.as_bytes())?;
    Ok(if d.regression { exit::NOT_READY } else { exit::READY })
}
