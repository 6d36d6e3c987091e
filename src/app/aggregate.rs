//! `readyctl aggregate RUN_OR_PACK… --key PUB…`: verify each run and roll them up.
//! Exit 0 when every run verified, 1 when any did not, 2 usage error.

use super::{Error, write_output};
use crate::cli::{AggregateArgs, DiffFormat};
use crate::evidence::{self, keys};
use crate::exit;
use crate::report::aggregate;

pub fn run(args: AggregateArgs) -> Result<u8, Error> {
    let trusted: Vec<_> =
        args.key.iter().map(|p| keys::load_verifying_key(p)).collect::<Result<_, _>>()?;
    let now = chrono::Utc::now();
    let rows = args
        .runs
        .iter()
        .map(|p| {
            let report = evidence::verify(p, &trusted, None).ok();
            aggregate::row(p, report.as_ref(), now)
        })
        .collect();
    let fleet = aggregate::fleet(rows);
    let text = match args.format {
        DiffFormat::Md => aggregate::markdown(&fleet),
        DiffFormat::Json => format!("{}\n", serde_json::to_string_pretty(&fleet)?),
    };
    write_output(&args.out, text.as_bytes())?;
    Ok(if fleet.verified == fleet.runs.len() { exit::READY } else { exit::NOT_READY })
}
