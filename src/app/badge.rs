//! `readyctl badge RUN -o FILE.svg`.

use crate::cli::BadgeArgs;
use crate::exit;
use crate::report::{self, badge, saved};

pub fn run(args: BadgeArgs) -> anyhow::Result<u8> {
    let run = match saved::load(&args.run) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(exit::USAGE);
        }
    };
    if let Err(e) = report::write_to(&args.out, badge::render(&run.record).as_bytes()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Err(e.into()); // stdout closed early: quiet, exit 0 (see `exit::is_broken_pipe`)
        }
        eprintln!("error: writing {}: {e}", args.out);
        return Ok(exit::USAGE);
    }
    Ok(exit::READY)
}
