//! A scratch directory per fuzzing process: targets whose public entry point reads files write
//! the input there (on tmpfs when `/dev/shm` exists) instead of changing the crate's API.

#![allow(dead_code)] // each target uses a different part of it

use std::path::PathBuf;
use std::sync::OnceLock;

/// The process's scratch directory, created once.
pub fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let d = base.join(format!("readyctl-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("create scratch dir");
        d
    })
}

/// A fresh, empty subdirectory `name` of the scratch directory.
pub fn fresh(name: &str) -> PathBuf {
    let d = dir().join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create scratch subdir");
    d
}

/// Writes `data` to `name` in the scratch directory and returns its path.
pub fn write(name: &str, data: &[u8]) -> PathBuf {
    let p = dir().join(name);
    std::fs::write(&p, data).expect("write scratch file");
    p
}
