//! Reading a saved run back: the `RunRecord` is the predicate of `manifest.json`, found in a
//! run directory, given directly, or inside a proof pack. Nothing is executed or trusted
//! beyond parsing; `verify` is what establishes trust.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::record::RunRecord;

/// Largest manifest read (the same bound `verify` uses for metadata).
const MAX_MANIFEST: u64 = 64 << 20;

/// A saved run: its record and, for a run directory, where its files are.
pub struct SavedRun {
    pub record: RunRecord,
    pub dir: Option<PathBuf>,
}

/// Reads a run directory (or `.readyctl/latest`), a `manifest.json`, or a `.tar.gz` pack.
pub fn load(path: &Path) -> anyhow::Result<SavedRun> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot open {}", path.display()))?;
    let (bytes, dir) = if meta.is_dir() {
        let manifest = path.join(crate::evidence::MANIFEST);
        (read_bounded(&manifest)?, Some(path.to_path_buf()))
    } else if is_gzip(path)? {
        (manifest_from_pack(path)?, None)
    } else {
        let dir = path.parent().filter(|d| d.join("evidence").is_dir()).map(Path::to_path_buf);
        (read_bounded(path)?, dir)
    };
    let statement: serde_json::Value = serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: manifest is not JSON", path.display()))?;
    let predicate_type = statement.get("predicateType").and_then(|t| t.as_str());
    let value = match predicate_type {
        Some(crate::record::PREDICATE_TYPE) => statement["predicate"].clone(),
        Some(other) => bail!("{}: unknown predicateType `{other}`", path.display()),
        // A bare results document (`check --format json`, `report --format json`).
        None if statement.get("results").is_some() => statement,
        None => bail!("{}: neither a manifest nor a results document", path.display()),
    };
    let record: RunRecord = serde_json::from_value(value)
        .with_context(|| format!("{}: the results document does not parse", path.display()))?;
    Ok(SavedRun { record, dir })
}

fn read_bounded(path: &Path) -> anyhow::Result<Vec<u8>> {
    let f = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut bytes = Vec::new();
    f.take(MAX_MANIFEST + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_MANIFEST {
        bail!("{}: larger than {} MiB", path.display(), MAX_MANIFEST >> 20);
    }
    Ok(bytes)
}

fn is_gzip(path: &Path) -> anyhow::Result<bool> {
    let mut magic = [0u8; 2];
    let mut f = std::fs::File::open(path)?;
    Ok(f.read(&mut magic)? == 2 && magic == [0x1f, 0x8b])
}

/// `manifest.json` at the top of the pack (`<root>/manifest.json`).
fn manifest_from_pack(path: &Path) -> anyhow::Result<Vec<u8>> {
    let f = std::fs::File::open(path)?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(f));
    for entry in archive.entries()? {
        let entry = entry?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let parts: Vec<&str> = name.trim_start_matches("./").split('/').collect();
        let top = matches!(
            parts.as_slice(),
            [crate::evidence::MANIFEST] | [_, crate::evidence::MANIFEST]
        );
        if top && entry.header().entry_type().is_file() {
            let mut bytes = Vec::new();
            entry.take(MAX_MANIFEST + 1).read_to_end(&mut bytes)?;
            if bytes.len() as u64 > MAX_MANIFEST {
                bail!("{}: manifest larger than {} MiB", path.display(), MAX_MANIFEST >> 20);
            }
            return Ok(bytes);
        }
    }
    bail!("{}: no manifest.json in the pack", path.display())
}
