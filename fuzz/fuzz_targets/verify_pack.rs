//! `verify` of a proof pack: streamed gunzip, tar entry checks (paths, links, sizes, repeats),
//! then the same manifest checks as a directory. An even first byte means the rest is a tar
//! stream that the target gzips (so the fuzzer reaches the tar reader past gzip's checksum);
//! an odd one, the rest is the `.tar.gz` file as is.
#![no_main]
use std::io::Write;

use flate2::{Compression, write::GzEncoder};
use libfuzzer_sys::fuzz_target;
use readyctl::evidence::verify::{Limits, VerifyOptions, verify_with};

#[path = "scratch.rs"]
mod scratch;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else { return };
    let bytes = if sel % 2 == 0 {
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        gz.write_all(body).unwrap();
        gz.finish().unwrap()
    } else {
        body.to_vec()
    };
    let path = scratch::write("pack.tar.gz", &bytes);
    // Small limits so that the limit paths are reachable with small inputs.
    let options = VerifyOptions {
        limits: Limits {
            max_entry_bytes: 1 << 20,
            max_total_bytes: 4 << 20,
            max_entries: 64,
            max_metadata_bytes: 1 << 16,
        },
        ..Default::default()
    };
    if let Ok(report) = verify_with(&path, &options) {
        let _ = report.to_string();
    }
});
