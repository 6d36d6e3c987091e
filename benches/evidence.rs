//! Throughput of `verify` on a large run, driven by `bench/evidence/run.sh` (which compares it
//! with `sha256sum` on the same files). Not a timed test.
//!
//! `evidence make DIR MIB` writes a sealed, signed run with about MIB MiB of evidence;
//! `evidence verify PATH` verifies a run directory or pack and prints bytes and seconds;
//! `evidence pack DIR OUT` packs it.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use ed25519_dalek::SigningKey;
use readyctl::evidence;

fn key() -> SigningKey {
    SigningKey::from_bytes(&[42u8; 32])
}

/// A consistent run record with no results (verify recomputes its summary).
fn predicate() -> serde_json::Value {
    use readyctl::checklist::{Policy, Severity};
    use readyctl::record::{ChecklistInfo, RunInfo, RunRecord, Tool};
    let policy = Policy {
        fail_on: Severity::High,
        verdict_rule: readyctl::verdict::RULE,
        min_score: None,
        required_level: None,
        waivers: None,
    };
    let summary = readyctl::verdict::summarize(&[], &policy, false);
    let record = RunRecord {
        tool: Tool::current(),
        run: RunInfo {
            id: "bench".into(),
            started: "2026-01-01T00:00:00.000Z".into(),
            finished: "2026-01-01T00:00:01.000Z".into(),
            invocation: vec![],
            interrupted: false,
            signer_keyid: None,
        },
        repository: None,
        checklist: ChecklistInfo {
            name: "bench".into(),
            source: "bench".into(),
            sha256: "ab".repeat(32),
            sources: vec![],
        },
        policy,
        results: vec![],
        summary,
        redactions: Default::default(),
        waivers: vec![],
        services: vec![],
        paths: None,
        claims: None,
    };
    serde_json::to_value(record).unwrap()
}

fn make(dir: &Path, mib: u64) {
    // Mixed sizes, like real evidence: a few big logs, many medium reports, many tiny files.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut block = vec![0u8; 1 << 20];
    let mut written = 0u64;
    let mut i = 0;
    while written < mib << 20 {
        let size: u64 = match i % 10 {
            0 => 64 << 20,
            1..=4 => 4 << 20,
            _ => 4 << 10,
        };
        let path = dir.join(format!("evidence/check-{:03}/file-{i:05}.log", i % 37));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let mut left = size;
        while left > 0 {
            for chunk in block.chunks_mut(8) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                chunk.copy_from_slice(&state.to_le_bytes()[..chunk.len()]);
            }
            let n = left.min(block.len() as u64) as usize;
            f.write_all(&block[..n]).unwrap();
            left -= n as u64;
        }
        written += size;
        i += 1;
    }
    std::fs::write(dir.join("report.md"), "# bench\n").unwrap();
    let t = Instant::now();
    evidence::seal(dir, predicate(), Some(&key())).unwrap();
    println!("made {i} files, {written} bytes; seal took {:.2}s", t.elapsed().as_secs_f64());
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["make", dir, mib] => make(Path::new(dir), mib.parse().unwrap()),
        ["verify", path] => {
            let t = Instant::now();
            let r = evidence::verify(Path::new(path), &[key().verifying_key()], None).unwrap();
            let secs = t.elapsed().as_secs_f64();
            assert!(r.is_valid(), "{r}");
            println!(
                "verify bytes={} seconds={secs:.3} mib_per_s={:.1}",
                r.bytes_hashed,
                r.bytes_hashed as f64 / secs / 1048576.0
            );
        }
        ["pack", dir, out] => {
            let t = Instant::now();
            let s = evidence::pack(Path::new(dir), Path::new(out)).unwrap();
            println!("pack bytes={} seconds={:.3}", s.bytes, t.elapsed().as_secs_f64());
        }
        _ => {
            eprintln!("usage: evidence make DIR MIB | verify PATH | pack DIR OUT");
            std::process::exit(2);
        }
    }
}
