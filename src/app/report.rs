//! `readyctl report RUN --format FORMAT [-o PATH]`: re-render a saved run.

use crate::cli::ReportArgs;
use crate::exit;
use crate::report::{self, saved};

pub fn run(args: ReportArgs) -> anyhow::Result<u8> {
    let run = match saved::load(&args.run) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(exit::USAGE);
        }
    };
    let bytes = report::render(args.format, &run.record, run.dir.as_deref());
    if let Err(e) = report::write_to(&args.out, &bytes) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Err(e.into()); // stdout closed early: quiet, exit 0 (see `exit::is_broken_pipe`)
        }
        eprintln!("error: writing {}: {e}", args.out);
        return Ok(exit::USAGE);
    }
    Ok(exit::READY)
}
