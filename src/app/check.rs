//! `readyctl check`: load, select, run, write the run directory, print, exit with the verdict.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use sha2::Digest;

use super::select::select;
use super::target::{self, LoadFailure};
use crate::cli::{CheckArgs, Format};
use crate::exit;
use crate::record::{ChecklistInfo, RunInfo, RunRecord, Tool};
use crate::report::{markdown, progress::Progress, style::Style, terminal};
use crate::run::{Event, Runner, process::Filter, rundir};

/// Set by the Ctrl-C handler; a second Ctrl-C exits at once.
static CANCEL: AtomicBool = AtomicBool::new(false);

pub fn run(args: CheckArgs) -> anyhow::Result<u8> {
    let err_style = Style::for_stderr(args.color);
    let target = match target::load(&args.target) {
        Ok(t) => t,
        Err(LoadFailure(text)) => {
            eprint!("{text}");
            return Ok(exit::USAGE);
        }
    };
    if let Some(note) = &target.note {
        eprintln!("{}", err_style.dim(note));
    }
    let selection = match select(&target.checklist.checks, &args.target) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::USAGE);
        }
    };
    if !selection.pulled_in.is_empty() {
        eprintln!(
            "{}",
            err_style
                .dim(&format!("also running dependencies: {}", selection.pulled_in.join(", ")))
        );
    }

    let started = chrono::Utc::now();
    let run_dir = match rundir::create(&target.repo, args.out.as_deref(), started) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: cannot create the run directory: {e}");
            return Ok(exit::USAGE);
        }
    };
    install_ctrlc();

    let secrets = secret_values(&target.checklist.secrets);
    let filter: Option<Arc<Filter>> = if secrets.is_empty() {
        None
    } else {
        let secrets = secrets.clone();
        Some(Arc::new(move |bytes: &[u8]| redact(bytes, &secrets)))
    };
    let jobs = args.jobs.unwrap_or_else(default_jobs).max(1);
    let env_lookup = |name: &str| std::env::var(name).ok();
    let runner = Runner {
        repo: &target.repo,
        evidence_root: run_dir.evidence(),
        jobs,
        cancel: &CANCEL,
        run_started: started.into(),
        output_filter: filter.clone(),
        env: &env_lookup,
    };
    let progress = Progress::new(selection.checks.len(), err_style);
    let results = runner.run(&selection.checks, |event| match event {
        Event::Started(c) => progress.started(&c.id),
        Event::Finished(r) => progress.finished(r, err_style),
    });
    progress.done();
    let interrupted = CANCEL.load(Ordering::Relaxed);
    let finished = chrono::Utc::now();

    let summary = crate::verdict::summarize(&results, &target.checklist.policy, interrupted);
    let resolved =
        serde_json::to_vec(&target.checklist.checks).context("serializing the checklist")?;
    let invocation: Vec<String> = std::env::args().map(|a| redact_str(&a, &secrets)).collect();
    let record = RunRecord {
        tool: Tool::current(),
        run: RunInfo {
            id: run_dir.id.clone(),
            started: started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            finished: finished.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            invocation,
            interrupted,
        },
        repository: None,
        checklist: ChecklistInfo {
            name: target.checklist.name.clone(),
            source: target.source_name.clone(),
            digest: hex(&sha2::Sha256::digest(&resolved)),
            files: target.checklist.sources.clone(),
        },
        policy: target.checklist.policy.clone(),
        results,
        summary,
        redactions: Vec::new(),
    };
    if let Err(e) = write_run(&run_dir, &record, filter.as_deref()) {
        eprintln!("error: writing the run directory failed: {e:#}");
        return Ok(exit::USAGE);
    }
    if let Err(e) = rundir::mark_latest(&target.repo, &run_dir) {
        eprintln!("warning: could not update .readyctl/latest: {e}");
    }

    let shown_dir =
        crate::diag::display_path(&run_dir.path, &std::env::current_dir().unwrap_or_default());
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            let mut bytes = serde_json::to_vec_pretty(&record)?;
            bytes.push(b'\n');
            out.write_all(&bytes)?;
        }
        Format::Table => {
            let style = Style::for_stdout(args.color);
            let width = if std::io::stdout().is_terminal() {
                comfy_table::Table::new().width().unwrap_or(120)
            } else {
                120
            };
            writeln!(out, "{}", terminal::table(&record, style, width))?;
            write!(out, "{}", terminal::summary(&record, style, &shown_dir))?;
        }
    }
    out.flush()?;
    if interrupted {
        return Ok(exit::INTERRUPTED);
    }
    Ok(record.summary.verdict.exit_code())
}

/// Most probes wait on processes, disks and networks, not on CPU.
fn default_jobs() -> usize {
    (std::thread::available_parallelism().map_or(2, |n| n.get()) * 4).max(8)
}

fn install_ctrlc() {
    let _ = ctrlc::set_handler(|| {
        if CANCEL.swap(true, Ordering::SeqCst) {
            // Second Ctrl-C: the user means it.
            std::process::exit(i32::from(exit::INTERRUPTED));
        }
        let _ = writeln!(
            std::io::stderr(),
            "\ninterrupted: stopping running checks (Ctrl-C again to quit at once)"
        );
    });
}

/// Writes report.md, manifest.json and SHA256SUMS, each atomically, the manifest last but one
/// so a crash never leaves a manifest that names files not yet written.
fn write_run(
    run_dir: &rundir::RunDir,
    record: &RunRecord,
    filter: Option<&Filter>,
) -> anyhow::Result<()> {
    let report = markdown::render(record);
    let report = match filter {
        Some(f) => f(report.as_bytes()),
        None => report.into_bytes(),
    };
    rundir::write_atomic(&run_dir.path.join("report.md"), &report)?;
    let mut predicate = serde_json::to_vec_pretty(record)?;
    if let Some(f) = filter {
        predicate = f(&predicate);
    }
    let predicate: serde_json::Value = serde_json::from_slice(&predicate)?;
    let mut subjects = Vec::new();
    let mut files: Vec<(String, String)> = Vec::new();
    for entry in walkdir::WalkDir::new(&run_dir.path).sort_by_file_name() {
        let entry = entry?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry.path().strip_prefix(&run_dir.path)?.to_string_lossy().replace('\\', "/");
        if matches!(rel.as_str(), "manifest.json" | "manifest.dsse.json" | "SHA256SUMS") {
            continue;
        }
        let (sha, _) = rundir::hash_file(entry.path())?;
        subjects.push(serde_json::json!({ "name": rel, "digest": { "sha256": sha } }));
        files.push((rel, sha));
    }
    let statement = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": subjects,
        "predicateType": crate::record::PREDICATE_TYPE,
        "predicate": predicate,
    });
    let mut manifest = serde_json::to_vec_pretty(&statement)?;
    manifest.push(b'\n');
    rundir::write_atomic(&run_dir.path.join("manifest.json"), &manifest)?;
    files.push(("manifest.json".into(), hex(&sha2::Sha256::digest(&manifest))));
    files.sort();
    let sums: String = files.iter().map(|(p, s)| format!("{s}  {p}\n")).collect();
    rundir::write_atomic(&run_dir.path.join("SHA256SUMS"), sums.as_bytes())?;
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Values of secret environment variables (declared in `secrets:` or with a sensitive name).
fn secret_values(declared: &[String]) -> Vec<(String, String)> {
    const SENSITIVE: &[&str] =
        &["TOKEN", "SECRET", "PASSWORD", "PASSWD", "API_KEY", "PRIVATE_KEY", "CREDENTIAL", "AUTH"];
    let mut values: Vec<(String, String)> = std::env::vars()
        .filter(|(k, v)| {
            v.len() >= 4
                && (declared.contains(k) || SENSITIVE.iter().any(|s| k.to_uppercase().contains(s)))
        })
        .collect();
    // Longest first, so a secret containing another is replaced whole.
    values.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
    values
}

fn redact(bytes: &[u8], secrets: &[(String, String)]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    redact_str(&text, secrets).into_bytes()
}

fn redact_str(text: &str, secrets: &[(String, String)]) -> String {
    let mut out = text.to_string();
    for (name, value) in secrets {
        if out.contains(value.as_str()) {
            out = out.replace(value.as_str(), &format!("[REDACTED:env:{name}]"));
        }
    }
    out
}
