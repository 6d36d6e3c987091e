//! `verify` of a proof pack: the strict gunzip + tar reader (one gzip member, only what `pack`
//! writes), then the same manifest checks as a directory. An even first byte means the rest is
//! a tar stream that the target gzips (so the fuzzer reaches the tar reader past gzip's
//! checksum); an odd one, the rest is the `.tar.gz` file as is.
//!
//! Oracle: whenever `verify` says VALID, an independent lenient reader — the `tar` crate in
//! its default mode over every gzip member (`MultiGzDecoder`), reading past zero blocks, the
//! way `tar -xzf` and Python's tarfile see more than one member — must find exactly the files
//! and bytes that `verify` judged (last copy of a name wins, as on extraction), under one top
//! directory, and nothing but regular files and directories.
#![no_main]
use std::collections::BTreeMap;
use std::io::{Read, Write};

use flate2::{Compression, read::MultiGzDecoder, write::GzEncoder};
use libfuzzer_sys::fuzz_target;
use readyctl::evidence::verify::{Limits, VerifyOptions, verify_with};
use sha2::{Digest, Sha256};

#[path = "scratch.rs"]
mod scratch;

/// What a lenient extraction of `bytes` would write: relative path → SHA-256 hex.
fn lenient_extraction(bytes: &[u8]) -> BTreeMap<String, String> {
    let mut archive = tar::Archive::new(MultiGzDecoder::new(bytes));
    archive.set_ignore_zeros(true);
    let mut root: Option<String> = None;
    let mut files = BTreeMap::new();
    for entry in archive.entries().expect("a pack verify accepted is readable") {
        let mut entry = entry.expect("every entry of a pack verify accepted is readable");
        let path = String::from_utf8(entry.path_bytes().into_owned()).expect("UTF-8 name");
        let kind = entry.header().entry_type();
        let (top, rest) = path.split_once('/').unwrap_or((path.as_str(), ""));
        match &root {
            None => root = Some(top.to_string()),
            Some(r) => assert_eq!(r, top, "a second top directory: {path}"),
        }
        match kind {
            tar::EntryType::Directory => {}
            tar::EntryType::Regular => {
                let mut data = Vec::new();
                entry.read_to_end(&mut data).expect("entry data");
                let digest: String =
                    Sha256::digest(&data).iter().map(|b| format!("{b:02x}")).collect();
                files.insert(rest.trim_end_matches('/').to_string(), digest);
            }
            other => panic!("verify accepted a pack with a {other:?} entry ({path})"),
        }
    }
    files
}

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
        if report.is_valid() {
            assert_eq!(
                lenient_extraction(&bytes),
                report.digests,
                "verify judged other files than a lenient reader extracts"
            );
        }
    }
});
