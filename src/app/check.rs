//! `readyctl check`: load, select, run, write the run directory, print, exit with the verdict.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use sha2::Digest;

use super::select::select;
use super::target::{self, LoadFailure};
use crate::cli::{CheckArgs, CheckFormat};
use crate::evidence::Redactor;
use crate::evidence::redact_record::{RedactFields, redact_record};
use crate::exit;
use crate::record::{ChecklistInfo, RunInfo, RunRecord, Tool};
use crate::report::{markdown, progress::Progress, style::Style, terminal};
use crate::run::{Event, Runner, process::Filter, rundir};
use crate::text::hex;

/// Set by the Ctrl-C handler; a second Ctrl-C exits at once.
static CANCEL: AtomicBool = AtomicBool::new(false);

pub fn run(mut args: CheckArgs) -> anyhow::Result<u8> {
    if let Some(format) = args.format.as_report() {
        args.reports.insert(0, (format, "-".to_string()));
    }
    if args.reports.iter().filter(|(_, dest)| dest == "-").count() > 1 {
        eprintln!("error: only one report can go to stdout (`-`)");
        return Ok(exit::USAGE);
    }
    let err_style = Style::for_stderr(args.color);
    let target = match target::load(&args.target) {
        Ok(t) => t,
        Err(LoadFailure(text)) => {
            eprint!("{text}");
            return Ok(exit::USAGE);
        }
    };
    if let Some(note) = target.note.as_ref().filter(|_| !args.quiet) {
        eprintln!("{}", err_style.dim(note));
    }
    let selection = match select(&target.checklist.checks, &args.target) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::USAGE);
        }
    };
    // Every secret this run knows, before anything can print one.
    let redactor = target::redactor(&target.checklist, &args.target, args.key.as_deref());
    if !selection.pulled_in.is_empty() && !args.quiet {
        eprintln!(
            "{}",
            err_style
                .dim(&format!("also running dependencies: {}", selection.pulled_in.join(", ")))
        );
    }

    // Waivers from --waivers, checked like the checklist (located diagnostics, exit 2).
    let mut waivers = target.checklist.waivers.clone();
    if let Some(path) = &args.waivers {
        let opts = crate::checklist::Options {
            env: &super::process_env,
            var_overrides: Default::default(),
            display_base: std::env::current_dir().unwrap_or_default(),
        };
        let policy = target.checklist.policy.waivers.clone().unwrap_or_default();
        match crate::checklist::load::load_waivers(path, &opts, &policy) {
            Ok(w) => waivers.extend(w),
            Err(diags) => {
                eprint!("{}", redactor.redact_str(&crate::diag::render_all(&diags)).0);
                return Ok(exit::USAGE);
            }
        }
    }
    let baseline = match &args.baseline {
        Some(path) => match crate::report::saved::load(path) {
            Ok(b) => Some(b.record),
            Err(e) => {
                eprintln!("error: --baseline: {}", redactor.redact_str(&format!("{e:#}")).0);
                return Ok(exit::USAGE);
            }
        },
        None => None,
    };

    let signer = if args.sign || args.key.is_some() {
        match crate::evidence::keys::resolve_signing_key(args.key.as_deref()) {
            Ok(Some(k)) => Some(k),
            Ok(None) => {
                eprintln!(
                    "error: --sign needs a key: pass --key FILE or set {}",
                    crate::evidence::SIGNING_KEY_ENV
                );
                return Ok(exit::USAGE);
            }
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(exit::USAGE);
            }
        }
    } else {
        None
    };

    // The repository as the checks found it: read before anything runs, so files the checks
    // (or an --out inside the work tree) create do not count as uncommitted changes, and
    // changes made before the run do.
    let repository =
        crate::evidence::git_info(&target.repo).and_then(|g| serde_json::to_value(g).ok());
    let started = chrono::Utc::now();
    let run_dir = match rundir::create(&target.repo, args.out.as_deref(), started) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: cannot create the run directory: {e}");
            return Ok(exit::USAGE);
        }
    };
    install_ctrlc();

    let filter: Option<Arc<Filter>> = Some(Arc::new(redactor.clone()));
    let jobs = args.jobs.unwrap_or_else(default_jobs).max(1);
    let env_lookup = |name: &str| std::env::var(name).ok();
    let services = crate::run::services::Services::new(
        &target.checklist.services,
        &selection.checks,
        crate::run::services::Options {
            repo: target.repo.clone(),
            evidence_root: run_dir.evidence(),
            output_filter: filter.clone(),
            no_services: args.no_services,
            run_started: std::time::Instant::now(),
        },
    );
    let runner = Runner {
        repo: &target.repo,
        evidence_root: run_dir.evidence(),
        jobs,
        cancel: &CANCEL,
        run_started: started.into(),
        output_filter: filter.clone(),
        env: &env_lookup,
        services: Some(&services),
        fail_fast: args.fail_fast.then_some(target.checklist.policy.fail_on),
    };
    let table_follows = args.format == CheckFormat::Table
        && std::io::IsTerminal::is_terminal(&std::io::stdout())
        && !args.reports.iter().any(|(_, dest)| dest == "-");
    let progress = if args.quiet {
        Progress::Hidden
    } else {
        Progress::new(selection.checks.len(), err_style, table_follows)
    };
    let results = runner.run(&selection.checks, |event| match event {
        Event::Started(c) => progress.started(&redactor.redact_str(&c.id).0),
        Event::Finished(r) => {
            // The line is printed now, before the record is redacted: redact this result.
            let mut shown = r.clone();
            shown.redact_fields(&redactor, &mut Default::default());
            progress.finished(&shown, err_style);
        }
    });
    progress.done();
    let service_records = services.records();
    drop(services);
    // Reports the checks wrote there were read (and copied into evidence) by now.
    let _ = std::fs::remove_dir_all(run_dir.scratch());
    let interrupted = CANCEL.load(Ordering::Relaxed);
    let finished = chrono::Utc::now();

    let mut results = results;
    let waiver_records = crate::waiver::apply(
        &mut results,
        &waivers,
        &target.checklist.policy.waivers.clone().unwrap_or_default(),
        started.date_naive(),
    );
    for w in waiver_records.iter().filter(|w| {
        !args.quiet
            && matches!(
                w.state,
                crate::waiver::WaiverState::Expired | crate::waiver::WaiverState::Rejected
            )
    }) {
        let line = format!(
            "warning: waiver for `{}` ({}) is {} and was not applied: {}",
            w.check,
            w.source,
            w.state.as_str(),
            w.notes.join("; ")
        );
        eprintln!("{}", redactor.redact_str(&line).0);
    }
    let summary = crate::verdict::summarize(&results, &target.checklist.policy, interrupted);
    // The digest covers everything resolved: policy, secret names, services and checks.
    let resolved = serde_json::to_vec(&target.checklist).context("serializing the checklist")?;
    let invocation: Vec<String> = std::env::args().collect();
    let mut record = RunRecord {
        tool: Tool::current(),
        run: RunInfo {
            id: run_dir.id.clone(),
            started: started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            finished: finished.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            invocation,
            interrupted,
            signer_keyid: signer.as_ref().map(|k| crate::evidence::keyid(&k.verifying_key())),
        },
        repository,
        paths: Some(super::target::repo_paths(&target)),
        claims: None,
        checklist: ChecklistInfo {
            name: target.checklist.name.clone(),
            source: target.source_name.clone(),
            sha256: hex(&sha2::Sha256::digest(&resolved)),
            sources: target.checklist.sources.clone(),
        },
        policy: target.checklist.policy.clone(),
        results,
        summary,
        redactions: Default::default(),
        waivers: waiver_records,
        services: service_records,
    };
    // Redacted once, field by field, before the manifest, report.md, the reporters, the
    // terminal or `--format json` read it; the values are raw here, so no escaping can hide a
    // secret and no match can cross from one field into another.
    let record_redactions = redact_record(&mut record, &redactor);
    let claims_md = match &args.claims {
        Some(path) => {
            match claims_section(path, &mut record, target.checklist.policy.fail_on, &redactor) {
                Ok(md) => md,
                Err(e) => {
                    eprintln!("error: --claims: {}", redactor.redact_str(&format!("{e:#}")).0);
                    return Ok(exit::USAGE);
                }
            }
        }
        None => String::new(),
    };
    if let Err(e) = write_run(
        &run_dir,
        &mut record,
        &record_redactions,
        signer.as_ref(),
        &claims_md,
        baseline.as_ref(),
    ) {
        eprintln!(
            "error: writing the run directory failed: {}",
            redactor.redact_str(&format!("{e:#}")).0
        );
        return Ok(exit::USAGE);
    }
    let record = record;
    // The run is sealed: `latest` may point at it (before anything can fail on stdout).
    if let Err(e) = rundir::mark_latest(&target.repo, &run_dir) {
        eprintln!("warning: could not update .readyctl/latest: {e}");
    }
    // Every reporter renders the sealed (redacted) record; none recomputes the verdict.
    let mut stdout_taken = false;
    for (format, dest) in &args.reports {
        let parent = match std::path::Path::new(dest).parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        let inside = match (parent.canonicalize(), run_dir.path.canonicalize()) {
            (Ok(p), Ok(run)) => dest != "-" && p.starts_with(run),
            _ => false,
        };
        if inside {
            eprintln!(
                "warning: {dest} is inside the sealed run directory: `verify` will report it as an extra file"
            );
        }
        let bytes = match format {
            // The trend chart needs the baseline, which the record does not carry.
            crate::report::ReportFormat::Html => {
                crate::report::html::render(&record, baseline.as_ref()).into_bytes()
            }
            _ => crate::report::render(*format, &record, Some(&run_dir.path)),
        };
        stdout_taken |= dest == "-";
        if let Err(e) = crate::report::write_to(dest, &bytes) {
            if dest == "-" && e.kind() == std::io::ErrorKind::BrokenPipe {
                // Whoever read stdout has stopped (`| head`): not an error.
                return Err(e.into());
            }
            eprintln!("error: writing the {format:?} report to {dest}: {e}");
            return Ok(exit::USAGE);
        }
    }
    let report_md = std::fs::read_to_string(run_dir.path.join("report.md")).unwrap_or_default();
    if let Err(e) = crate::report::github::emit_if_enabled(&record, &report_md) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Err(e.into());
        }
        eprintln!("warning: GitHub annotations or step summary: {e}");
    }
    if run_dir.managed {
        match rundir::prune(&target.repo, args.keep, &run_dir.id, chrono::Utc::now()) {
            Ok(removed) if !removed.is_empty() && !args.quiet => eprintln!(
                "{}",
                err_style.dim(&format!(
                    "removed {} old run{} from .readyctl/runs (--keep {})",
                    removed.len(),
                    crate::diag::plural(removed.len()),
                    args.keep
                ))
            ),
            Ok(_) => {}
            Err(e) => eprintln!("warning: could not remove old runs: {e}"),
        }
    }

    let shown_dir =
        crate::diag::display_path(&run_dir.path, &std::env::current_dir().unwrap_or_default());
    let mut out = std::io::stdout().lock();
    match args.format {
        _ if stdout_taken && args.quiet => {
            let summary = terminal::summary(&record, Style::for_stderr(args.color), &shown_dir);
            eprintln!("{}", summary.lines().next().unwrap_or_default());
        }
        CheckFormat::Table if args.quiet => {
            let summary = terminal::summary(&record, Style::for_stdout(args.color), &shown_dir);
            writeln!(out, "{}", summary.lines().next().unwrap_or_default())?;
        }
        _ if stdout_taken => {
            let style = Style::for_stderr(args.color);
            eprint!("{}", terminal::summary(&record, style, &shown_dir));
        }
        CheckFormat::Json => {
            let mut bytes = serde_json::to_vec_pretty(&record)?;
            bytes.push(b'\n');
            out.write_all(&bytes)?;
        }
        CheckFormat::Table
        | CheckFormat::Sarif
        | CheckFormat::Junit
        | CheckFormat::Tap
        | CheckFormat::Gitlab
        | CheckFormat::Md => {
            let style = Style::for_stdout(args.color);
            writeln!(out, "{}", terminal::table(&record, style, terminal::Layout::detect()))?;
            write!(out, "{}", terminal::summary(&record, style, &shown_dir))?;
        }
    }
    out.flush()?;
    if interrupted {
        return Ok(exit::INTERRUPTED);
    }
    if let Some(base) = &baseline {
        return Ok(baseline_exit(base, &record));
    }
    Ok(record.summary.verdict.exit_code())
}

/// `--baseline`: only blocking checks that got worse than in the baseline fail the gate.
fn baseline_exit(base: &RunRecord, record: &RunRecord) -> u8 {
    let d = crate::report::diff::diff(base, record);
    let worse: Vec<&str> =
        d.changes.iter().filter(|c| c.worse && c.blocking).map(|c| c.id.as_str()).collect();
    if worse.is_empty() {
        eprintln!("baseline {}: no blocking check got worse", base.run.id);
        exit::READY
    } else {
        eprintln!(
            "baseline {}: {} blocking check{} got worse: {}",
            base.run.id,
            worse.len(),
            crate::diag::plural(worse.len()),
            worse.join(", ")
        );
        exit::NOT_READY
    }
}

/// Most probes wait on processes, disks and networks, not on CPU.
fn default_jobs() -> usize {
    (std::thread::available_parallelism().map_or(2, |n| n.get()) * 4).max(8)
}

fn install_ctrlc() {
    let _ = ctrlc::set_handler(|| {
        if CANCEL.swap(true, Ordering::SeqCst) {
            // Second Ctrl-C: the user means it. Services are not left behind.
            crate::run::services::kill_all_now();
            std::process::exit(i32::from(exit::INTERRUPTED));
        }
        let _ = writeln!(
            std::io::stderr(),
            "\ninterrupted: stopping running checks (Ctrl-C again to quit at once)"
        );
    });
}

/// Writes report.md and report.html, then seals the run: manifest.json (the record as in-toto predicate),
/// the DSSE envelope when signing, and SHA256SUMS — each atomically, so a crash never leaves a
/// manifest naming files that were not written. `record` is already redacted; its own
/// redaction counts are recorded under `manifest.json`.
fn write_run(
    run_dir: &rundir::RunDir,
    record: &mut RunRecord,
    record_redactions: &std::collections::BTreeMap<String, u64>,
    signer: Option<&ed25519_dalek::SigningKey>,
    extra_md: &str,
    baseline: Option<&RunRecord>,
) -> anyhow::Result<()> {
    let mut md = markdown::render(record, Some(&run_dir.path));
    md.push_str(extra_md);
    rundir::write_atomic(&run_dir.path.join("report.md"), md.as_bytes())?;
    record.redactions = redactions_in(&run_dir.path)?;
    if !record_redactions.is_empty() {
        let own = record.redactions.entry("manifest.json".to_string()).or_default();
        for (rule, n) in record_redactions {
            *own.entry(rule.clone()).or_insert(0) += n;
        }
    }
    let predicate = serde_json::to_value(&*record)?;
    // From the redacted record: every text was redacted as raw value before HTML escaping.
    let page = crate::report::html::render(record, baseline);
    rundir::write_atomic(&run_dir.path.join("report.html"), page.as_bytes())?;
    crate::evidence::seal(&run_dir.path, predicate, signer)?;
    Ok(())
}

/// `--claims REPORT.md`: re-imports the report (same check ids as `readyctl import`), lets the
/// claims weigh on the verdict (a contradicted claim: NOT READY; an unverifiable one: at least
/// INCOMPLETE), prints the counts as plain text and returns the "claims vs evidence" section
/// for report.md.
fn claims_section(
    path: &std::path::Path,
    record: &mut RunRecord,
    fail_on: crate::checklist::Severity,
    redactor: &Redactor,
) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // Redacted as raw text before it is parsed and rendered into report.md.
    let (text, _) = redactor.redact_str(&String::from_utf8_lossy(&bytes));
    let name = redactor.redact_str(&name).0;
    let import = crate::claims::import(&text, &name);
    let rows = crate::claims::verdicts::rows(&import, &record.results, fail_on);
    let effect = crate::claims::verdicts::effect_of(&rows, &name);
    crate::verdict::apply_claims(&mut record.summary, &effect);
    record.claims = Some(effect);
    for line in crate::claims::verdicts::terminal_lines(&name, &rows) {
        eprintln!("{line}");
    }
    Ok(crate::claims::verdicts::markdown(&name, &rows))
}

/// Where redaction markers stand in the run directory: file, rule, count (never a value).
fn redactions_in(
    run_dir: &std::path::Path,
) -> anyhow::Result<std::collections::BTreeMap<String, std::collections::BTreeMap<String, u64>>> {
    let marker = regex::bytes::Regex::new(r"\[REDACTED:([A-Za-z0-9_.:-]+)\]").expect("valid regex");
    let mut found = std::collections::BTreeMap::new();
    for entry in walkdir::WalkDir::new(run_dir).sort_by_file_name() {
        let entry = entry?;
        if !entry.file_type().is_file() {
            continue;
        }
        let bytes = std::fs::read(entry.path())?;
        let mut counts: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
        for cap in marker.captures_iter(&bytes) {
            *counts.entry(String::from_utf8_lossy(&cap[1]).into_owned()).or_default() += 1;
        }
        let rel = entry.path().strip_prefix(run_dir)?.to_string_lossy().replace('\\', "/");
        if !counts.is_empty() {
            found.insert(rel, counts);
        }
    }
    Ok(found)
}
