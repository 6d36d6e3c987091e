//! SHA-256 of files (streamed, in parallel, bounded memory) and the `SHA256SUMS` file
//! (`sha256sum -c` compatible).

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use sha2::{Digest, Sha256};

/// Read buffer per hashing thread: memory use is `threads × HASH_BUFFER`, whatever the file sizes.
pub const HASH_BUFFER: usize = 256 * 1024;

/// Digest and size of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigest {
    /// Relative path with `/` separators.
    pub path: String,
    /// Lowercase hex SHA-256.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

/// Hashes a reader to the end with a fixed buffer; returns (hex digest, byte count).
pub fn hash_reader(mut r: impl Read, buf: &mut [u8]) -> io::Result<(String, u64)> {
    let mut h = Sha256::new();
    let mut n = 0u64;
    loop {
        match r.read(buf) {
            Ok(0) => break,
            Ok(k) => {
                h.update(&buf[..k]);
                n += k as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok((super::hex(&h.finalize()), n))
}

/// Hashes one file.
pub fn hash_file(path: &Path) -> io::Result<(String, u64)> {
    let mut buf = vec![0u8; HASH_BUFFER];
    hash_reader(File::open(path)?, &mut buf)
}

/// Below this many bytes in total, [`hash_files`] does not start threads.
const SMALL_INPUT_BYTES: u64 = 8 << 20;

/// Hashes `root/<rel>` for every relative path, on up to `threads` threads (0 = number of
/// CPUs). Results come back in input order.
pub fn hash_files(
    root: &Path,
    rel_paths: &[String],
    threads: usize,
) -> Vec<io::Result<FileDigest>> {
    let threads = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    }
    .clamp(1, rel_paths.len().max(1));
    // Small inputs (most runs: logs and reports of a few KiB) hash faster on this thread than
    // the threads take to start.
    let small = || {
        let mut total = 0u64;
        rel_paths.iter().all(|rel| {
            total += std::fs::metadata(root.join(rel)).map_or(0, |m| m.len());
            total <= SMALL_INPUT_BYTES
        })
    };
    if threads == 1 || small() {
        let mut buf = vec![0u8; HASH_BUFFER];
        return rel_paths
            .iter()
            .map(|rel| {
                File::open(root.join(rel))
                    .and_then(|f| hash_reader(f, &mut buf))
                    .map(|(sha256, size)| FileDigest { path: rel.clone(), sha256, size })
            })
            .collect();
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<io::Result<FileDigest>>>> =
        Mutex::new((0..rel_paths.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut buf = vec![0u8; HASH_BUFFER];
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(rel) = rel_paths.get(i) else { break };
                    let r = File::open(root.join(rel))
                        .and_then(|f| hash_reader(f, &mut buf))
                        .map(|(sha256, size)| FileDigest { path: rel.clone(), sha256, size });
                    results.lock().expect("no panics while holding the lock")[i] = Some(r);
                }
            });
        }
    });
    results
        .into_inner()
        .expect("no panics while holding the lock")
        .into_iter()
        .map(|r| r.expect("every index was claimed by a thread"))
        .collect()
}

/// A problem found while listing a run directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListProblem {
    /// Relative path of the entry.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

/// Lists regular files under `root` as sorted relative `/` paths. Symlinks, special files,
/// non-UTF-8 names and names `sha256sum` would escape (newline, backslash) are problems and
/// are left out of the list.
pub fn list_files(root: &Path) -> io::Result<(Vec<String>, Vec<ListProblem>)> {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for entry in walkdir::WalkDir::new(root).follow_links(false).sort_by_file_name() {
        let entry = entry.map_err(io::Error::other)?;
        if entry.depth() == 0 {
            continue;
        }
        let rel = entry.path().strip_prefix(root).expect("walkdir yields paths under root");
        let Some(rel) = rel.to_str().map(|s| s.replace(std::path::MAIN_SEPARATOR, "/")) else {
            problems.push(ListProblem {
                path: rel.to_string_lossy().into_owned(),
                message: "file name is not valid UTF-8".into(),
            });
            continue;
        };
        let ft = entry.file_type();
        if ft.is_dir() {
            continue;
        }
        if ft.is_symlink() {
            problems.push(ListProblem { path: rel, message: "is a symbolic link".into() });
        } else if !ft.is_file() {
            problems.push(ListProblem { path: rel, message: "is not a regular file".into() });
        } else if rel.contains(['\n', '\r', '\\']) {
            problems.push(ListProblem {
                path: rel.escape_debug().to_string(),
                message: "file name contains a newline or backslash".into(),
            });
        } else {
            files.push(rel);
        }
    }
    files.sort();
    Ok((files, problems))
}

/// The text of a `SHA256SUMS` file: `<hex>  <path>` lines sorted by path.
pub fn format_sums(entries: &[FileDigest]) -> String {
    let mut sorted: Vec<&FileDigest> = entries.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    sorted.iter().map(|d| format!("{}  {}\n", d.sha256, d.path)).collect()
}

/// Parses `SHA256SUMS` text into (path, hex) pairs; malformed lines are returned as problems
/// naming the line number.
pub fn parse_sums(text: &str) -> (Vec<(String, String)>, Vec<String>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        let parsed = line.split_once(' ').and_then(|(hex, rest)| {
            let path = rest.strip_prefix(' ').or_else(|| rest.strip_prefix('*'))?;
            let ok =
                hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) && !path.is_empty();
            ok.then(|| (path.to_string(), hex.to_ascii_lowercase()))
        });
        match parsed {
            Some(p) => out.push(p),
            None => problems.push(format!("SHA256SUMS line {}: not `<sha256>  <path>`", i + 1)),
        }
    }
    (out, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_known_vector_and_in_parallel_in_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("abc"), "abc").unwrap();
        let big: Vec<u8> = (0..(HASH_BUFFER * 3 + 17)).map(|i| (i % 251) as u8).collect();
        std::fs::write(dir.path().join("big"), &big).unwrap();
        let (hex, n) = hash_file(&dir.path().join("abc")).unwrap();
        assert_eq!(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(n, 3);
        let names = vec!["big".to_string(), "abc".to_string(), "missing".to_string()];
        let r = hash_files(dir.path(), &names, 2);
        assert_eq!(r[0].as_ref().unwrap().sha256, crate::evidence::hex(&Sha256::digest(&big)));
        assert_eq!(r[0].as_ref().unwrap().size, big.len() as u64);
        assert_eq!(r[1].as_ref().unwrap().path, "abc");
        assert!(r[2].is_err());
        // Past SMALL_INPUT_BYTES the threads run; same answers, same order.
        let huge: Vec<u8> = (0..SMALL_INPUT_BYTES as usize + 1).map(|i| (i % 253) as u8).collect();
        std::fs::write(dir.path().join("huge"), &huge).unwrap();
        let names: Vec<String> =
            ["abc", "huge", "missing", "big"].iter().map(|s| s.to_string()).collect();
        let threaded = hash_files(dir.path(), &names, 2);
        assert_eq!(threaded[0].as_ref().unwrap().sha256, hex);
        assert_eq!(
            threaded[1].as_ref().unwrap().sha256,
            crate::evidence::hex(&Sha256::digest(&huge))
        );
        assert!(threaded[2].is_err());
        assert_eq!(threaded[3].as_ref().unwrap().size, big.len() as u64);
    }

    #[test]
    fn sums_roundtrip_and_bad_lines_are_named() {
        let e = vec![
            FileDigest { path: "z".into(), sha256: "a".repeat(64), size: 1 },
            FileDigest { path: "evidence/x y".into(), sha256: "b".repeat(64), size: 1 },
        ];
        let text = format_sums(&e);
        assert!(text.starts_with(&format!("{}  evidence/x y\n", "b".repeat(64))));
        let (parsed, problems) = parse_sums(&format!("{text}garbage\n"));
        assert_eq!(parsed.len(), 2);
        assert_eq!(problems, vec!["SHA256SUMS line 3: not `<sha256>  <path>`".to_string()]);
    }

    #[cfg(unix)]
    #[test]
    fn listing_reports_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("evidence")).unwrap();
        std::fs::write(dir.path().join("evidence/b"), "").unwrap();
        std::fs::write(dir.path().join("a"), "").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("evidence/link")).unwrap();
        let (files, problems) = list_files(dir.path()).unwrap();
        assert_eq!(files, vec!["a".to_string(), "evidence/b".to_string()]);
        assert_eq!(problems[0].path, "evidence/link");
    }
}
