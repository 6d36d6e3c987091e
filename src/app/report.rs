//! `readyctl report RUN --format FORMAT [-o PATH]`: re-render a saved run.

use super::{Error, write_output};
use crate::cli::ReportArgs;
use crate::exit;
use crate::report::{self, saved};

pub fn run(args: ReportArgs) -> Result<u8, Error> {
    let run = saved::load(&args.run).map_err(|e| Error::Usage(format!("{e:#}")))?;
    let bytes = report::render(args.format, &run.record, run.dir.as_deref());
    write_output(&args.out, &bytes)?;
    Ok(exit::READY)
}
