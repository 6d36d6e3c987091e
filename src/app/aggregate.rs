//! `readyctl aggregate RUN_OR_PACK… --key PUB…`: verify each run and roll them up.
//! Exit 0 when every run verified, 1 when any did not, 2 usage error.

use crate::cli::{AggregateArgs, DiffFormat};
use crate::evidence::{self, keys};
use crate::exit;
use crate::report::aggregate;

pub fn run(args: AggregateArgs) -> anyhow::Result<u8> {
    let mut trusted = Vec::new();
    for path in &args.key {
        match keys::load_verifying_key(path) {
            Ok(k) => trusted.push(k),
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(exit::USAGE);
            }
        }
    }
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
    if let Err(e) = crate::report::write_to(&args.out, text.as_bytes()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Err(e.into()); // stdout closed early: quiet, exit 0 (see `exit::is_broken_pipe`)
        }
        eprintln!("error: writing {}: {e}", args.out);
        return Ok(exit::USAGE);
    }
    Ok(if fleet.verified == fleet.runs.len() { exit::READY } else { exit::NOT_READY })
}
