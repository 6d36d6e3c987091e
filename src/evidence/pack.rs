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

/// The text of VERIFY.md. Its `sh` and `python` code blocks are run verbatim by the test suite
/// (`tests/integration/evidence.rs`), on an honest pack and on forged ones.
///
/// Every method binds each file to the digests in the **signed** payload's in-toto subjects,
/// read from the verified bytes, and fails on a missing, altered or extra file. `SHA256SUMS`
/// is not signed, so no method relies on it.
pub fn verify_md(root: &str, envelope: Option<&Envelope>) -> String {
    let signers = envelope
        .map(|e| {
            e.signatures.iter().map(|s| format!("`{}`", s.keyid)).collect::<Vec<_>>().join(", ")
        })
        .unwrap_or_default();
    let signed_line = if envelope.is_some() {
        format!(
            "This run is signed (`{ENVELOPE}`) by key id {signers}: securesystemslib's default key \
             id of the public key (`SSlibKey.from_crypto(key).keyid`, which method 3 prints)."
        )
    } else {
        "This run is UNSIGNED: there is no `manifest.dsse.json`; its origin cannot be checked and \
         every method below fails."
            .to_string()
    };
    format!(
        r#"# Verifying this proof pack

This pack holds the run directory `{root}/` of a `readyctl check`. `{root}/manifest.json` is an
in-toto Statement v1 whose subjects name every evidence file with its SHA-256 (and the
repository commit); `manifest.dsse.json` is a DSSE envelope whose payload is exactly
`manifest.json`, signed with Ed25519. `SHA256SUMS` is a convenience list for `sha256sum -c`:
it is **not signed**, so it only detects accidental damage and is never proof. Each method below
checks the signature, then checks every file against the digests in the **signed** payload, and
fails on a missing, altered or extra file.

{signed_line}

**This file (VERIFY.md) is not part of the signed manifest**: it was generated when the pack was
made. Trust the commands below because you can read them, not because of where they came from.
Get the seller's public key (`seller.pub`) through a channel you trust. Below, the pack is
called `proof-pack.tar.gz`.

Minimum versions: method 2 needs OpenSSL 3.0 or later (Ed25519 with `pkeyutl -rawin`), GNU
coreutils 8 or later (`sha256sum --strict`, `base64 -d`) and a POSIX `sh`, `sed`, `awk`,
`find`, `diff`, `cmp`, `mktemp`; method 3 needs Python 3.11 or later (`hashlib.file_digest`)
and securesystemslib 1.0 or later with pyca/cryptography
(`pip install 'securesystemslib[crypto]>=1.0'`).

## 1. With readyctl

In the directory holding the pack (nothing is extracted or executed; add
`--commit <expected commit>` to require the commit):

```sh
readyctl verify proof-pack.tar.gz --key "$PUB"
```

It checks the signature, that the payload is byte-identical to `manifest.json`, every file's
digest, that no file is missing or extra, and `SHA256SUMS`. It reads the archive exactly as
GNU tar and Python's tarfile extract it, or rejects it: more than one gzip member, data after
the end of the archive, pax headers, links, devices, `..` or absolute names, repeated names and
anything else `readyctl pack` never writes are refused and named.

## Extracting, for methods 2 and 3

```sh
PUB=$(realpath "$PUB")
D=$(mktemp -d)
tar -xzf proof-pack.tar.gz -C "$D"
cd "$D/{root}"
```

## 2. With OpenSSL and coreutils

In `{root}/`: take the payload out of the envelope, verify the Ed25519 signature over the DSSE
v1 Pre-Authentication Encoding `DSSEv1 <len(type)> <type> <len(payload)> <payload>`, check that
`manifest.json` is that payload, then check every file against the subjects of the verified
payload and compare the file lists:

```sh
set -eu
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
sed -n 's/^  "payload": "\([A-Za-z0-9+/=]*\)",$/\1/p' manifest.dsse.json > "$W/payload.b64"
test "$(wc -l < "$W/payload.b64")" -eq 1
base64 -d "$W/payload.b64" > "$W/payload.json"
TYPE=$(sed -n 's/^  "payloadType": "\([^"]*\)",$/\1/p' manifest.dsse.json)
test "$TYPE" = "application/vnd.in-toto+json"
{{ printf 'DSSEv1 %d %s %d ' "${{#TYPE}}" "$TYPE" "$(wc -c < "$W/payload.json")"; cat "$W/payload.json"; }} > "$W/pae.bin"
sed -n 's/^      "sig": "\([A-Za-z0-9+/=]*\)"$/\1/p' manifest.dsse.json | head -n 1 | base64 -d > "$W/sig.bin"
openssl pkeyutl -verify -pubin -inkey "$PUB" -rawin -in "$W/pae.bin" -sigfile "$W/sig.bin"
cmp "$W/payload.json" manifest.json
awk '/^  "subject": \[$/ {{ s = 1; next }}
     s && /^  \]/ {{ s = 0 }}
     s && /^    \{{$/ {{ h = "" }}
     s && /^        "sha256": "[0-9a-f]*"$/ {{ h = $2; gsub(/"/, "", h) }}
     s && /^      "name": "/ && h != "" {{ n = $0; sub(/^      "name": "/, "", n); sub(/"$/, "", n); print h "  " n }}' \
    "$W/payload.json" > "$W/signed.sha256"
test -s "$W/signed.sha256"
sha256sum --strict -c "$W/signed.sha256"
cut -c 67- "$W/signed.sha256" | LC_ALL=C sort > "$W/signed.txt"
find . -type f ! -path ./manifest.json ! -path ./manifest.dsse.json ! -path ./SHA256SUMS ! -path ./VERIFY.md \
    | sed 's|^\./||' | LC_ALL=C sort > "$W/present.txt"
diff "$W/signed.txt" "$W/present.txt"
test -z "$(find . ! -type f ! -type d)"
echo "OK: signature verified; $(wc -l < "$W/signed.txt") files match the signed subjects"
```

It stops at the first failure with a non-zero status; `openssl` prints `Signature Verified
Successfully` and the script ends with `OK: …`. (The `sed` and `awk` patterns read the
envelope and payload in the layout readyctl writes; anything else makes them fail, never pass.)

## 3. With Python and securesystemslib

In `{root}/`, with `PUB` set:

```python
import hashlib, json, os, sys
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey

key = SSlibKey.from_crypto(load_pem_public_key(open(os.environ["PUB"], "rb").read()))
envelope = Envelope.from_dict(json.load(open("manifest.dsse.json")))
envelope.verify([key], 1)  # raises VerificationError unless signed by this key
if envelope.payload_type != "application/vnd.in-toto+json":
    sys.exit("FAIL: payloadType is " + envelope.payload_type)
statement = json.loads(envelope.payload)  # from here on only the verified bytes are used
if statement.get("_type") != "https://in-toto.io/Statement/v1":
    sys.exit("FAIL: the payload is not an in-toto Statement v1")
signed = {{}}
for subject in statement["subject"]:
    if "sha256" in subject["digest"]:
        if subject["name"] in signed:
            sys.exit("FAIL: subject listed twice: " + subject["name"])
        signed[subject["name"]] = subject["digest"]["sha256"]
with open("manifest.json", "rb") as f:
    if f.read() != envelope.payload:
        sys.exit("FAIL: manifest.json is not the signed payload")
present = set()
for top, dirs, files in os.walk("."):
    for name in dirs + files:
        path = os.path.join(top, name)
        if os.path.islink(path) or not (os.path.isdir(path) or os.path.isfile(path)):
            sys.exit("FAIL: not a regular file or directory: " + path)
    present.update(os.path.relpath(os.path.join(top, n)).replace(os.sep, "/") for n in files)
present -= {{"manifest.json", "manifest.dsse.json", "SHA256SUMS", "VERIFY.md"}}
problems = ["missing: " + n for n in sorted(signed.keys() - present)]
problems += ["extra: " + n for n in sorted(present - signed.keys())]
for name in sorted(signed.keys() & present):
    with open(name, "rb") as f:
        if hashlib.file_digest(f, "sha256").hexdigest() != signed[name]:
            problems.append("altered: " + name)
if problems:
    sys.exit("FAIL:\n" + "\n".join(problems))
print("OK: signed by", key.keyid, "-", len(signed), "files match the signed subjects")
```
"#
    )
}
