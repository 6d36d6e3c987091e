//! Proof packs: a deterministic `.tar.gz` of a sealed run plus a generated `VERIFY.md`.
//!
//! Entries are sorted, under one top-level directory named after the run, with mtime 0,
//! uid/gid 0, no user or group names, modes 0755 (directories) and 0644 (files), and a gzip
//! header without time or file name: packing the same run twice gives identical bytes.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use anyhow::{Context as _, bail};
use flate2::{Compression, GzBuilder};

use super::dsse::Envelope;
use super::{ENVELOPE, VERIFY_MD, atomic, verify};

/// What [`pack`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackSummary {
    /// Top-level directory inside the archive.
    pub root: String,
    /// Files in the archive (VERIFY.md included).
    pub files: usize,
    /// Size of the archive in bytes.
    pub bytes: u64,
}

/// Packs the sealed run at `run_dir` into `out` (written atomically). Refuses a run whose
/// files do not match its manifest, and an output path inside the run directory.
pub fn pack(run_dir: &Path, out: &Path) -> anyhow::Result<PackSummary> {
    let run_abs =
        run_dir.canonicalize().with_context(|| format!("{}: cannot open", run_dir.display()))?;
    let out_parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let out_parent = out_parent
        .canonicalize()
        .with_context(|| format!("{}: cannot open", out_parent.display()))?;
    if out_parent.starts_with(&run_abs) {
        bail!("{}: the pack must be written outside the run directory", out.display());
    }
    let collected = verify::require_intact(run_dir, "pack")?;
    let root = root_name(&run_abs);
    let envelope: Option<Envelope> =
        collected.envelope.as_ref().and_then(|b| serde_json::from_slice(b).ok());
    let verify_md = verify_md(&root, envelope.as_ref());

    let mut paths: Vec<String> =
        collected.files.keys().filter(|p| p.as_str() != VERIFY_MD).cloned().collect();
    paths.push(VERIFY_MD.to_string());
    let mut entries: Vec<(String, bool)> = Vec::new();
    for p in &paths {
        let mut prefix = String::new();
        for part in p.split('/').collect::<Vec<_>>().iter().rev().skip(1).rev() {
            prefix.push_str(part);
            prefix.push('/');
            entries.push((prefix.clone(), true));
        }
        entries.push((p.clone(), false));
    }
    entries.sort();
    entries.dedup();
    let files = paths.len();

    atomic::write_atomic_with(out, 0o644, |f| {
        let gz = GzBuilder::new().mtime(0).operating_system(255).write(f, Compression::default());
        let mut tar = tar::Builder::new(gz);
        tar.mode(tar::HeaderMode::Deterministic);
        append_dir(&mut tar, &format!("{root}/"))?;
        for (rel, is_dir) in &entries {
            let name = format!("{root}/{rel}");
            if *is_dir {
                append_dir(&mut tar, &name)?;
            } else if rel == VERIFY_MD {
                append_file(&mut tar, &name, verify_md.len() as u64, verify_md.as_bytes())?;
            } else {
                let file = File::open(run_dir.join(rel))?;
                let len = file.metadata()?.len();
                append_file(&mut tar, &name, len, file)?;
            }
        }
        let gz = tar.into_inner()?;
        let f = gz.finish()?;
        f.flush()
    })
    .with_context(|| format!("{}: cannot write the pack", out.display()))?;
    let bytes = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    Ok(PackSummary { root, files, bytes })
}

fn header(kind: tar::EntryType, size: u64, mode: u32) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(mode);
    h.set_mtime(0);
    h.set_uid(0);
    h.set_gid(0);
    h
}

fn append_dir<W: Write>(tar: &mut tar::Builder<W>, name: &str) -> io::Result<()> {
    let mut h = header(tar::EntryType::Directory, 0, 0o755);
    tar.append_data(&mut h, name, io::empty())
}

fn append_file<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    len: u64,
    data: impl io::Read,
) -> io::Result<()> {
    let mut h = header(tar::EntryType::Regular, len, 0o644);
    // `take` guards against a file that grew since it was hashed: the header size is the law.
    let mut data = data.take(len);
    tar.append_data(&mut h, name, &mut data)
}

/// The run directory's name, restricted to characters safe in every shell and file system.
fn root_name(run_dir: &Path) -> String {
    let name: String = run_dir
        .file_name()
        .map(|n| {
            n.to_string_lossy()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' })
                .collect()
        })
        .unwrap_or_default();
    if name.is_empty() || name.starts_with('.') { format!("run{name}") } else { name }
}

/// The text of VERIFY.md. The `sh` and `python` code blocks are run verbatim by the test suite.
pub fn verify_md(root: &str, envelope: Option<&Envelope>) -> String {
    let signers = envelope
        .map(|e| {
            e.signatures.iter().map(|s| format!("`{}`", s.keyid)).collect::<Vec<_>>().join(", ")
        })
        .unwrap_or_default();
    let signed_line = if envelope.is_some() {
        format!(
            "This run is signed (`{ENVELOPE}`) by key id {signers}. A key id is the SHA-256 of the DER public key: \
                 `openssl pkey -pubin -in \"$PUB\" -outform DER | sha256sum` must print it."
        )
    } else {
        "This run is UNSIGNED: there is no `manifest.dsse.json`; only its internal consistency can be checked.".to_string()
    };
    format!(
        r#"# Verifying this proof pack

This pack holds the run directory `{root}/` of a `readyctl check`. `{root}/manifest.json` is an
in-toto Statement v1 listing every file with its SHA-256 (and the repository commit);
`manifest.dsse.json` is a DSSE envelope over the exact bytes of `manifest.json`, signed with
Ed25519; `SHA256SUMS` lists every file but itself.

{signed_line}

**This file (VERIFY.md) is not part of the signed manifest nor of SHA256SUMS**: it was generated
when the pack was made. Trust the commands below because you can read them, not because of where
they came from. Get the seller's public key (`seller.pub`) through a channel you trust, then:

```text
tar xzf proof-pack.tar.gz
cd {root}
export PUB=/path/to/seller.pub
```

## 1. With readyctl

```text
readyctl verify proof-pack.tar.gz --key "$PUB" [--commit <expected commit>]
```

It checks the signature, that the envelope payload is byte-identical to `manifest.json`, every
file's digest, that no file is missing or extra, `SHA256SUMS`, and the commit; it names every
problem. It never extracts or executes anything from the pack.

## 2. With sha256sum and openssl

`sha256sum -c` checks the listed files; it does not notice extra files, so compare the file list
too. Then check that the envelope's payload is exactly `manifest.json`, build the DSSE v1
Pre-Authentication Encoding `DSSEv1 <len(type)> <type> <len(payload)> <payload>` and verify the
Ed25519 signature over it:

```sh
set -e
sha256sum --strict -c SHA256SUMS
find . -type f ! -name SHA256SUMS ! -name VERIFY.md | sed 's|^\./||' | sort > /tmp/files.txt
sed 's/^[0-9a-f]*  //' SHA256SUMS | sort | diff - /tmp/files.txt
sed -n 's/^ *"payload": *"\([^"]*\)".*/\1/p' manifest.dsse.json | base64 -d > /tmp/payload.bin
cmp /tmp/payload.bin manifest.json
TYPE=$(sed -n 's/^ *"payloadType": *"\([^"]*\)".*/\1/p' manifest.dsse.json)
{{ printf 'DSSEv1 %d %s %d ' "${{#TYPE}}" "$TYPE" "$(wc -c < /tmp/payload.bin)"; cat /tmp/payload.bin; }} > /tmp/pae.bin
sed -n 's/^ *"sig": *"\([^"]*\)".*/\1/p' manifest.dsse.json | head -n 1 | base64 -d > /tmp/sig.bin
openssl pkeyutl -verify -pubin -inkey "$PUB" -rawin -in /tmp/pae.bin -sigfile /tmp/sig.bin
```

`openssl` prints `Signature Verified Successfully`. (With `python3` instead of `sed`/`base64`:
`python3 -c 'import json,base64,sys; e=json.load(open("manifest.dsse.json")); sys.stdout.buffer.write(base64.b64decode(e["payload"]))' > /tmp/payload.bin`.)

## 3. With Python securesystemslib

`pip install 'securesystemslib[crypto]'`, then, in `{root}/`:

```python
import hashlib, json, os
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey

pub = load_pem_public_key(open(os.environ["PUB"], "rb").read())
keyid = hashlib.sha256(pub.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)).hexdigest()
envelope = Envelope.from_dict(json.load(open("manifest.dsse.json")))
envelope.verify([SSlibKey.from_crypto(pub, keyid=keyid)], 1)  # raises VerificationError if invalid
assert envelope.payload == open("manifest.json", "rb").read(), "payload differs from manifest.json"
statement = json.loads(envelope.payload)
for subject in statement["subject"]:
    if "sha256" in subject["digest"]:
        with open(subject["name"], "rb") as f:
            assert hashlib.file_digest(f, "sha256").hexdigest() == subject["digest"]["sha256"], subject["name"]
print("signature and", len(statement["subject"]), "subjects OK; signed by", keyid)
```
"#
    )
}
