//! Forged proof packs, judged differentially (issue 14): hostile variants of an honest pack
//! are built at test time with Python's `tarfile` and GNU tar, each is extracted with both
//! GNU tar and Python `tarfile` (as a buyer would), and `readyctl verify` may say VALID only
//! when both extractions hold exactly what was signed. Every hostile variant must be rejected;
//! the honest pack must be VALID.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use readyctl::evidence::{self, keys};

use crate::evidence::have;
use crate::support::*;

const ROOT: &str = "run-f";
const FORGED: &[u8] = b"# Readiness report\n\nREADY (forged)\n";

/// Builds the hostile variants of `PACK` into `OUT` (one `<name>.tar.gz` each).
const BUILD_VARIANTS: &str = r#"
import gzip, io, os, sys, tarfile
pack, out, root = sys.argv[1], sys.argv[2], sys.argv[3]
forged = sys.argv[4].encode()
raw = gzip.open(pack).read()
EOA = bytes(1024)
assert raw.endswith(EOA)
body = raw[:-1024]                         # the honest tar without its end-of-archive blocks
members = tarfile.open(fileobj=io.BytesIO(raw)).getmembers()

def without(name):                         # the honest tar body minus one entry
    m = next(m for m in members if m.name == name)
    end = m.offset_data + (m.size + 511) // 512 * 512
    return body[:m.offset] + body[end:]

def gz(data):
    return gzip.compress(data, mtime=0)

def save(name, data):
    with open(os.path.join(out, name + ".tar.gz"), "wb") as f:
        f.write(data)

def header(name, size=0, kind=tarfile.REGTYPE, fmt=tarfile.GNU_FORMAT, **attrs):
    ti = tarfile.TarInfo(name)
    ti.size, ti.type, ti.mode = size, kind, 0o644
    for k, v in attrs.items():
        setattr(ti, k, v)
    return ti.tobuf(format=fmt, encoding="utf-8", errors="surrogateescape")

def data(b):
    return b + bytes(-len(b) % 512)

def member(name, content=forged, **attrs):
    return header(name, len(content), **attrs) + data(content)

def record(key, value):                    # one pax record, "<len> key=value\n"
    rest = f" {key}={value}\n".encode()
    n = len(rest) + 1
    while len(str(n)) + len(rest) != n:
        n += 1
    return str(n).encode() + rest

def pax(*records):                         # a pax extended header; keys may repeat
    payload = b"".join(record(k, v) for k, v in records)
    return header("././@PaxHeader", len(payload), tarfile.XHDTYPE, tarfile.USTAR_FORMAT) + data(payload)

def longname(name):                        # a GNU long name entry
    b = name.encode() + b"\0"
    return header("././@LongLink", len(b), tarfile.GNUTYPE_LONGNAME) + data(b)

verify_md, report = f"{root}/VERIFY.md", f"{root}/report.md"
no_verify_md = without(verify_md)
save("multi-member-gzip", gz(body) + gz(member(report) + EOA))
save("multi-member-after-eoa", gz(raw) + gz(member(report) + EOA))
save("pax-path-twice", gz(no_verify_md + pax(("path", verify_md), ("path", report)) + member(verify_md) + EOA))
save("longname-then-pax-path", gz(no_verify_md + longname(verify_md) + pax(("path", report)) + member(verify_md) + EOA))
save("pax-path-then-longname", gz(no_verify_md + pax(("path", report)) + longname(verify_md) + member(verify_md) + EOA))
save("pax-size", gz(no_verify_md + pax(("size", str(len(forged)))) + header(verify_md, 0) + data(forged) + EOA))
save("duplicate-last-wins", gz(body + member(report) + EOA))
save("extra-file", gz(body + member(f"{root}/zz-extra.txt", b"extra\n") + EOA))
save("dotdot-name", gz(body + member(f"{root}/../evil.txt") + EOA))
save("hardlink", gz(body + header(f"{root}/zz-hard", 0, tarfile.LNKTYPE, linkname=report) + EOA))
save("empty-dir", gz(body + header(f"{root}/zz-empty/", 0, tarfile.DIRTYPE, mode=0o755) + EOA))
save("symlink", gz(body + header(f"{root}/zz-link", 0, tarfile.SYMTYPE, linkname="/etc/passwd") + EOA))
save("trailing-garbage", open(pack, "rb").read() + b"garbage\n")
save("trailing-zeros", open(pack, "rb").read() + bytes(512))
save("data-after-eoa", gz(raw + member(report) + EOA))
save("no-eoa", gz(body))
# Python reads a ustar name prefix from bytes 345..500 even in a GNU header; GNU tar does not.
m = next(m for m in members if m.name == report)
h = bytearray(body[m.offset:m.offset + 512])
h[345:348] = b"zzz"
h[148:156] = b" " * 8
h[148:156] = ("%06o\0 " % sum(h)).encode()
save("prefix-in-gnu-header", gz(body[:m.offset] + bytes(h) + body[m.offset + 512:] + EOA))
# Python's own GNU-format re-pack of the honest content (other header fields).
repack = io.BytesIO()
with tarfile.open(fileobj=repack, mode="w", format=tarfile.GNU_FORMAT) as t:
    src = tarfile.open(fileobj=io.BytesIO(raw))
    for mem in src.getmembers():
        t.addfile(mem, src.extractfile(mem) if mem.isfile() else None)
save("python-repack", gz(repack.getvalue()))
"#;

/// Extracts with Python's tarfile (its default, as a buyer would call it); errors are ignored:
/// what matters is what lands on disk.
const PY_EXTRACT: &str = r#"
import sys, tarfile
try:
    with tarfile.open(sys.argv[1]) as t:
        t.extractall(sys.argv[2])
except Exception as e:
    print("tarfile:", e, file=sys.stderr)
"#;

/// Every entry under `dir`: relative path → file bytes, `None` for a directory, and a marker
/// for anything else (a link or special file).
fn tree(dir: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir).min_depth(1).follow_links(false) {
        let e = e.unwrap();
        let rel = e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned();
        let ft = e.file_type();
        let v = if ft.is_dir() {
            None
        } else if ft.is_file() {
            Some(std::fs::read(e.path()).unwrap())
        } else {
            Some(b"<not a regular file>".to_vec())
        };
        out.insert(rel, v);
    }
    out
}

/// Does an extraction hold exactly the signed run (plus the unsigned VERIFY.md)?
fn holds_exactly_the_run(extracted: &Path, run: &Path) -> Result<(), String> {
    let mut want: BTreeMap<String, Option<Vec<u8>>> =
        tree(run).into_iter().map(|(k, v)| (format!("{ROOT}/{k}"), v)).collect();
    want.insert(ROOT.to_string(), None);
    let mut got = tree(extracted);
    match got.remove(&format!("{ROOT}/VERIFY.md")) {
        Some(Some(_)) => {}
        other => return Err(format!("VERIFY.md is {other:?}")),
    }
    if got == want {
        return Ok(());
    }
    let diff: Vec<&String> = want
        .keys()
        .chain(got.keys())
        .filter(|k| want.get(*k) != got.get(*k))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    Err(format!("differs at {diff:?}"))
}

fn python3() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("READYCTL_TEST_PYTHON") {
        return Some(PathBuf::from(p));
    }
    // Only the standard library is needed here.
    have("python3").then(|| PathBuf::from("python3"))
}

struct Judged {
    valid: bool,
    verdict: String,
    gnu: Result<(), String>,
    python: Result<(), String>,
}

fn judge(pack: &Path, public: &Path, run: &Path, py: &Path, work: &Path) -> Judged {
    let o = readyctl(work, &["verify", pack.to_str().unwrap(), "--key", public.to_str().unwrap()]);
    let verdict = text(&o.stdout);
    let valid = o.status.code() == Some(0);
    assert!(valid == verdict.starts_with("VALID"), "{verdict}");
    let stem = pack.file_name().unwrap().to_string_lossy().into_owned();
    let gnu_dir = work.join(format!("{stem}.gnu/x"));
    let py_dir = work.join(format!("{stem}.py/x"));
    std::fs::create_dir_all(&gnu_dir).unwrap();
    std::fs::create_dir_all(&py_dir).unwrap();
    Command::new("tar").arg("-xzf").arg(pack).arg("-C").arg(&gnu_dir).output().unwrap();
    Command::new(py).arg("-c").arg(PY_EXTRACT).arg(pack).arg(&py_dir).output().unwrap();
    Judged {
        valid,
        verdict,
        gnu: holds_exactly_the_run(&gnu_dir, run),
        python: holds_exactly_the_run(&py_dir, run),
    }
}

#[test]
fn verify_accepts_a_pack_only_when_gnu_tar_and_python_extract_what_was_signed() {
    let Some(py) = python3() else { return };
    if !have("tar") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path();
    let keyfiles = keys::keygen(&work.join("seller")).unwrap();
    let key = keys::load_signing_key(&keyfiles.private_key).unwrap();
    let run = work.join(ROOT);
    std::fs::create_dir_all(run.join("evidence/tests.unit")).unwrap();
    std::fs::write(run.join("report.md"), b"# Readiness report\n\nREADY\n").unwrap();
    std::fs::write(run.join("evidence/tests.unit/stdout.log"), b"52 passed\n").unwrap();
    // A name over 100 bytes: pack writes it with a GNU long name entry, which must pass.
    let long =
        format!("evidence/tests.unit/{}.xml", "junit-report-of-a-long-test-suite-name".repeat(3));
    assert!(format!("{ROOT}/{long}").len() > 100);
    std::fs::write(run.join(&long), b"<testsuite tests=\"52\"/>\n").unwrap();
    // A consistent run record: pack refuses one whose predicate does not agree with itself.
    evidence::seal_with(&run, |files| crate::predicate::passing_record(ROOT, files), Some(&key))
        .unwrap();
    let honest = work.join("honest.tar.gz");
    let o = readyctl(work, &["pack", run.to_str().unwrap(), "-o", honest.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));

    let mut tar_bytes = Vec::new();
    use std::io::Read as _;
    flate2::read::GzDecoder::new(std::fs::File::open(&honest).unwrap())
        .read_to_end(&mut tar_bytes)
        .unwrap();
    assert!(tar_bytes.windows(13).any(|w| w == b"././@LongLink"), "no GNU long name in the pack");

    let variants = work.join("variants");
    std::fs::create_dir(&variants).unwrap();
    let o = Command::new(&py)
        .arg("-c")
        .arg(BUILD_VARIANTS)
        .arg(&honest)
        .arg(&variants)
        .arg(ROOT)
        .arg(String::from_utf8(FORGED.to_vec()).unwrap())
        .output()
        .unwrap();
    assert!(o.status.success(), "building variants: {}", text(&o.stderr));

    // GNU tar re-packs of the extracted pack: one with report.md rewritten, one unchanged
    // (the latter holds what was signed, so the oracle allows either verdict).
    let ex = work.join("gnu-src");
    std::fs::create_dir(&ex).unwrap();
    assert!(
        Command::new("tar").arg("-xzf").arg(&honest).arg("-C").arg(&ex).status().unwrap().success()
    );
    let gnu_pack = |name: &str, format: &str| {
        let out = variants.join(format!("{name}.tar.gz"));
        let st = Command::new("tar")
            .args([&format!("--format={format}"), "--owner=0", "--group=0", "--numeric-owner"])
            .args(["--mtime=@0", "--sort=name", "-czf"])
            .arg(&out)
            .arg("-C")
            .arg(&ex)
            .arg(ROOT)
            .status()
            .unwrap();
        assert!(st.success(), "tar -czf {name}");
    };
    gnu_pack("gnu-tar-repack", "gnu");
    gnu_pack("gnu-tar-repack-pax", "posix");
    std::fs::write(ex.join(ROOT).join("report.md"), FORGED).unwrap();
    gnu_pack("gnu-tar-forged-report", "gnu");

    let judged_honest = judge(&honest, &keyfiles.public_key, &run, &py, work);
    assert!(judged_honest.valid, "the honest pack: {}", judged_honest.verdict);
    assert_eq!(judged_honest.gnu, Ok(()), "GNU tar extraction of the honest pack");
    assert_eq!(judged_honest.python, Ok(()), "Python extraction of the honest pack");

    // Variants that hold exactly the signed files when extracted: any verdict is sound.
    let harmless = ["gnu-tar-repack", "gnu-tar-repack-pax", "python-repack", "no-eoa"];
    let mut names: Vec<String> = std::fs::read_dir(&variants)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().trim_end_matches(".tar.gz").to_string())
        .collect();
    names.sort();
    assert_eq!(names.len(), 21, "{names:?}");
    let mut failures = Vec::new();
    let mut forged_on_disk = Vec::new();
    for name in &names {
        let j =
            judge(&variants.join(format!("{name}.tar.gz")), &keyfiles.public_key, &run, &py, work);
        if j.gnu.is_err() || j.python.is_err() {
            forged_on_disk.push(name.clone());
        }
        if j.valid && (j.gnu.is_err() || j.python.is_err()) {
            failures.push(format!(
                "{name}: verify says VALID but GNU tar {:?}, Python {:?}",
                j.gnu, j.python
            ));
        }
        if !harmless.contains(&name.as_str()) && j.valid {
            failures.push(format!("{name}: hostile variant accepted:\n{}", j.verdict));
        }
        if !j.valid && !j.verdict.contains("problem(s)") {
            failures.push(format!("{name}: rejected without naming a problem:\n{}", j.verdict));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The attacks are real: these variants put a forged report.md (or other files) on disk.
    for attack in [
        "multi-member-gzip",
        "pax-path-twice",
        "duplicate-last-wins",
        "extra-file",
        "hardlink",
        "gnu-tar-forged-report",
        "prefix-in-gnu-header",
    ] {
        assert!(forged_on_disk.iter().any(|n| n == attack), "{attack}: {forged_on_disk:?}");
    }
    if std::env::var_os("READYCTL_TEST_VERBOSE").is_some() {
        eprintln!("variants that change what tar or tarfile extract: {forged_on_disk:?}");
    }
}

#[test]
fn rejections_name_the_problem() {
    let Some(py) = python3() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path();
    let key = keys::load_signing_key(&keys::keygen(&work.join("s")).unwrap().private_key).unwrap();
    let run = work.join(ROOT);
    std::fs::create_dir_all(&run).unwrap();
    std::fs::write(run.join("report.md"), b"READY\n").unwrap();
    evidence::seal_with(&run, |files| crate::predicate::passing_record(ROOT, files), Some(&key))
        .unwrap();
    let honest = work.join("honest.tar.gz");
    evidence::pack(&run, &honest).unwrap();
    let variants = work.join("v");
    std::fs::create_dir(&variants).unwrap();
    let o = Command::new(&py)
        .arg("-c")
        .arg(BUILD_VARIANTS)
        .arg(&honest)
        .arg(&variants)
        .arg(ROOT)
        .arg("forged")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let expect = [
        ("multi-member-gzip", "more than one gzip member"),
        ("multi-member-after-eoa", "more than one gzip member"),
        ("pax-path-twice", "pax"),
        ("longname-then-pax-path", "pax"),
        ("pax-path-then-longname", "pax"),
        ("pax-size", "pax"),
        ("duplicate-last-wins", "appears twice"),
        ("extra-file", "not listed in the manifest"),
        ("dotdot-name", "contains `..`"),
        ("hardlink", "is a link"),
        ("symlink", "is a link"),
        ("empty-dir", "a directory with no file in it"),
        ("trailing-garbage", "data after the end of the gzip stream"),
        ("trailing-zeros", "data after the end of the gzip stream"),
        ("data-after-eoa", "data after the end-of-archive blocks"),
        ("no-eoa", "truncated"),
        ("prefix-in-gnu-header", "GNU extension area"),
        ("python-repack", "after the end-of-archive blocks"),
    ];
    for (name, why) in expect {
        let r = evidence::verify(
            &variants.join(format!("{name}.tar.gz")),
            &[key.verifying_key()],
            None,
        )
        .unwrap();
        assert!(
            r.problems.iter().any(|p| p.message.contains(why)),
            "{name}: expected `{why}` in\n{r}"
        );
    }
}
