//! What a command that cannot do its job says, and its exit code: one `error: …` line (or the
//! located diagnostics), nothing on stdout, 2 for usage and input problems, 1 when `sign` or
//! `pack` meet a run that is not intact evidence. Every command's errors go through
//! `app::Error` (`report` prints, `exit_code` maps); these texts are the contract it keeps.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::{bin, temp_repo, text};

const CHECKLIST: &str = "version: 1\nchecks:\n  - id: a\n    command: { run: 'true' }\n";

/// readyctl without colour, CI integrations or a signing key in the environment.
fn readyctl(cwd: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("READYCTL_SIGNING_KEY")
        .output()
        .expect("readyctl runs")
}

const ENOENT: &str = "No such file or directory (os error 2)";
const EEXIST: &str = "File exists (os error 17)";
const MISSING: &str = "  - [missing-file] manifest.json: manifest.json is missing; nothing to verify files against\n  - [missing-file] SHA256SUMS: SHA256SUMS is missing\n";

#[test]
fn each_command_says_why_it_could_not_run_and_exits_with_its_code() {
    let repo = temp_repo(&[
        ("readiness.yaml", CHECKLIST),
        ("plain.txt", "not a directory\n"),
        ("report.md", "# Report\n"),
    ]);
    let dir = repo.path();
    let o = readyctl(dir, &["keygen", "-o", "k"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = readyctl(dir, &["check", "-q", "--out", "run"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));

    let cases: Vec<(&[&str], i32, String)> = vec![
        // check: before anything runs
        (
            &["check", "--report", "json=-", "--report", "sarif=-"],
            2,
            "error: only one report can go to stdout (`-`)\n".into(),
        ),
        (&["check", "nodir"], 2, format!("error: repository `nodir`: {ENOENT}\n")),
        (&["check", "plain.txt"], 2, "error: `plain.txt` is not a directory\n".into()),
        (&["check", "-c", "nope.yaml"], 2, format!("error: checklist `nope.yaml`: {ENOENT}\n")),
        (
            &["check", "--only", "nomatch"],
            2,
            "error: no check matches the selection (1 checks in the checklist; `readyctl list` shows them)\n"
                .into(),
        ),
        (
            &["check", "-q", "--waivers", "nope.yaml", "--out", "r1"],
            2,
            format!(
                "error: cannot read `nope.yaml`: {ENOENT}\n  --> nope.yaml\n\nerror: checklist has 1 problem; nothing was run\n"
            ),
        ),
        (
            &["check", "-q", "--baseline", "nope", "--out", "r1"],
            2,
            format!("error: --baseline: cannot open nope: {ENOENT}\n"),
        ),
        (
            &["check", "-q", "--sign", "--out", "r1"],
            2,
            "error: --sign needs a key: pass --key FILE or set READYCTL_SIGNING_KEY\n".into(),
        ),
        (&["check", "-q", "--key", "nope.key", "--out", "r1"], 2, format!("error: nope.key: {ENOENT}\n")),
        (
            &["check", "-q", "--out", "plain.txt/x"],
            2,
            "error: cannot create the run directory: plain.txt/x: Not a directory (os error 20)\n"
                .into(),
        ),
        // check: after the checks ran
        (
            &["check", "-q", "--claims", "nope.md", "--out", "r2"],
            2,
            format!("error: --claims: reading nope.md: {ENOENT}\n"),
        ),
        (
            &["check", "-q", "--out", "r3", "--report", "json=plain.txt/x.json"],
            2,
            format!("error: writing the Json report to plain.txt/x.json: {EEXIST}\n"),
        ),
        // list
        (&["list", "nodir"], 2, format!("error: repository `nodir`: {ENOENT}\n")),
        (
            &["list", "--only", "zzz"],
            2,
            "error: no check matches the selection (1 checks in the checklist; `readyctl list` shows them)\n"
                .into(),
        ),
        // keys, signatures, packs
        (&["keygen", "-o", "k"], 2, "error: k.key: already exists; refusing to overwrite\n".into()),
        (
            &["sign", "run"],
            2,
            "error: no signing key: pass --key FILE or set READYCTL_SIGNING_KEY\n".into(),
        ),
        (
            &["sign", "plain.txt", "--key", "k.key"],
            1,
            format!(
                "error: plain.txt: refusing to sign a run that does not match its manifest or whose predicate is inconsistent:\n{MISSING}"
            ),
        ),
        (
            &["pack", "plain.txt", "-o", "p.tgz"],
            1,
            format!(
                "error: plain.txt: refusing to pack a run that does not match its manifest or whose predicate is inconsistent:\n{MISSING}"
            ),
        ),
        (&["verify", "nope"], 2, format!("error: cannot open nope: {ENOENT}\n")),
        (&["verify", "run", "--key", "nope.pub"], 2, format!("error: nope.pub: {ENOENT}\n")),
        (
            &["attest", "a", "--by", "me", "--role", "dev", "--statement", "ok"],
            2,
            "error: attest needs a key: pass --key FILE or set READYCTL_SIGNING_KEY\n".into(),
        ),
        (
            &["attest", "a", "--by", "me", "--role", "dev", "--statement", "ok", "--key", "nope.key"],
            2,
            format!("error: nope.key: {ENOENT}\n"),
        ),
        // saved runs
        (&["report", "nope"], 2, format!("error: cannot open nope: {ENOENT}\n")),
        (&["report", "run", "-o", "plain.txt/x.md"], 2, format!("error: writing plain.txt/x.md: {EEXIST}\n")),
        (&["badge", "nope", "-o", "x.svg"], 2, format!("error: cannot open nope: {ENOENT}\n")),
        (&["badge", "run", "-o", "plain.txt/x.svg"], 2, format!("error: writing plain.txt/x.svg: {EEXIST}\n")),
        (&["diff", "nope", "run"], 2, format!("error: cannot open nope: {ENOENT}\n")),
        (&["aggregate", "run", "--key", "nope.pub"], 2, format!("error: nope.pub: {ENOENT}\n")),
        (
            &["aggregate", "run", "--key", "k.pub", "-o", "plain.txt/x.md"],
            2,
            format!("error: writing plain.txt/x.md: {EEXIST}\n"),
        ),
        // files written by readyctl
        (
            &["init"],
            2,
            "error: ./readiness.yaml already exists; use --force to overwrite it\n".into(),
        ),
        (&["init", "plain.txt"], 2, "error: `plain.txt` is not a directory\n".into()),
        (&["import", "nope.md"], 2, format!("error: cannot read nope.md: {ENOENT}\n")),
        (
            &["import", "report.md", "-o", "readiness.yaml"],
            2,
            "error: readiness.yaml exists (pass --force to replace it)\n".into(),
        ),
        (&["secrets", "baseline", "plain.txt"], 2, "error: `plain.txt` is not a directory\n".into()),
        (&["migrations", "lock", "plain.txt"], 2, "error: `plain.txt` is not a directory\n".into()),
    ];
    for (args, code, stderr) in &cases {
        let o = readyctl(dir, args);
        let shown = format!("readyctl {}", args.join(" "));
        assert_eq!(text(&o.stderr), *stderr, "{shown}");
        assert_eq!(o.status.code(), Some(*code), "{shown}");
        assert_eq!(text(&o.stdout), "", "{shown}");
    }
    // Nothing ran for the failures before the run. `--claims` is read after the checks ran
    // and before sealing: no manifest. A report is written after sealing.
    assert!(!dir.join("r1").exists());
    assert!(dir.join("r2").is_dir() && !dir.join("r2/manifest.json").exists());
    assert!(dir.join("r3/manifest.json").is_file());
    assert_eq!(std::fs::read_to_string(dir.join("readiness.yaml")).unwrap(), CHECKLIST);
}
