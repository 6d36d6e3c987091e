//! Atomic file writes: write to a temporary file in the destination directory, flush it to
//! disk, then rename it over the destination. A crash leaves either the old file or the new
//! one, never a half-written manifest.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
#[cfg(unix)]
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically (temp file in the same directory + fsync + rename).
/// An existing file at `path` is replaced.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_with(path, 0o644, |f| f.write_all(bytes))
}

/// Like [`write_atomic`], with the content produced by `fill` and the file created with `mode`
/// (Unix permission bits; the temp file has this mode from the moment it exists).
pub fn write_atomic_with(
    path: &Path,
    mode: u32,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    let (tmp_path, mut file) = create_temp_beside(path, mode)?;
    let result = fill(&mut file).and_then(|()| file.sync_all());
    drop(file);
    if let Err(e) = result.and_then(|()| fs::rename(&tmp_path, path)) {
        let _ = fs::remove_file(&tmp_path);
        return Err(e);
    }
    sync_parent(path);
    Ok(())
}

/// Creates `path` with `bytes` atomically and refuses to replace an existing file: the temp
/// file is hard-linked to the destination, which fails with `AlreadyExists` if it exists.
/// The file has `mode` from creation, so a 0600 key is never briefly world-readable.
pub fn create_new_atomic(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let (tmp_path, mut file) = create_temp_beside(path, mode)?;
    let result = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    let result = result.and_then(|()| fs::hard_link(&tmp_path, path));
    let _ = fs::remove_file(&tmp_path);
    result?;
    sync_parent(path);
    Ok(())
}

fn create_temp_beside(path: &Path, mode: u32) -> io::Result<(PathBuf, File)> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"))?
        .to_string_lossy()
        .into_owned();
    let mut random = [0u8; 8];
    for attempt in 0..16 {
        getrandom::getrandom(&mut random).map_err(io::Error::other)?;
        let tmp = dir.join(format!(".{name}.tmp-{}", super::hex(&random)));
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        opts.mode(mode);
        #[cfg(not(unix))]
        let _ = mode;
        match opts.open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 15 => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("could not create a temporary file"))
}

/// Makes the rename durable; failure to sync a directory is not worth failing the write.
fn sync_parent(path: &Path) {
    if let Some(parent) = path.parent() {
        let parent = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
        if let Ok(dir) = File::open(parent) {
            let _ = dir.sync_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("manifest.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn create_new_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.key");
        create_new_atomic(&p, b"first", 0o600).unwrap();
        let err = create_new_atomic(&p, b"second", 0o600).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&p).unwrap(), b"first");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
