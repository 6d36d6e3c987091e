//! `readyctl badge RUN -o FILE.svg`.

use super::{Error, write_output};
use crate::cli::BadgeArgs;
use crate::exit;
use crate::report::{badge, saved};

pub fn run(args: BadgeArgs) -> Result<u8, Error> {
    let run = saved::load(&args.run).map_err(|e| Error::Usage(format!("{e:#}")))?;
    write_output(&args.out, badge::render(&run.record).as_bytes())?;
    Ok(exit::READY)
}
