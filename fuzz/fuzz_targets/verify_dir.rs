//! `verify` of a run directory: manifest (in-toto statement) parsing, DSSE envelope parsing
//! and signature check with a trusted key, SHA256SUMS parsing, and the cross-checks against the
//! files present. The input is `manifest.json`, `manifest.dsse.json` and `SHA256SUMS` joined
//! by `SEPARATOR`; one evidence file is always present.
#![no_main]
use ed25519_dalek::SigningKey;
use libfuzzer_sys::fuzz_target;
use readyctl::evidence::verify::{VerifyOptions, verify_with};

#[path = "scratch.rs"]
mod scratch;

const SEPARATOR: &[u8] = b"\n=====\n";

fn split(data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while let Some(i) = rest.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
        parts.push(&rest[..i]);
        rest = &rest[i + SEPARATOR.len()..];
    }
    parts.push(rest);
    parts
}

fuzz_target!(|data: &[u8]| {
    let run = scratch::fresh("run");
    std::fs::create_dir_all(run.join("evidence/c1")).unwrap();
    std::fs::write(run.join("evidence/c1/stdout.log"), b"ok\n").unwrap();
    let names = ["manifest.json", "manifest.dsse.json", "SHA256SUMS"];
    for (name, part) in names.iter().zip(split(data)) {
        std::fs::write(run.join(name), part).unwrap();
    }
    let key = SigningKey::from_bytes(&[7; 32]).verifying_key();
    let options = VerifyOptions {
        trusted_keys: vec![key],
        expected_commit: Some("0123456789abcdef".into()),
        ..Default::default()
    };
    if let Ok(report) = verify_with(&run, &options) {
        let _ = report.to_string();
    }
});
