//! `readyctl check`: load and select, run a [`Session`] (everything from `--waivers` to the
//! sealed run directory and the reports), print the result, exit with the verdict.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use super::Error;
use super::select::select;
use super::target;
use crate::cli::{CheckArgs, CheckFormat};
use crate::exit;
use crate::report::{style::Style, terminal};
use crate::run::scheduler::{Probes, Sleep};
use crate::run::session::{self, Sealed, Session};

pub fn run(mut args: CheckArgs) -> Result<u8, Error> {
    // The redactor's built-in rules compile on the other core while the checklist loads.
    crate::evidence::redact::prepare();
    if let Some(format) = args.format.as_report() {
        args.reports.insert(0, (format, "-".to_string()));
    }
    if args.reports.iter().filter(|(_, dest)| dest == "-").count() > 1 {
        return Err(Error::Usage("only one report can go to stdout (`-`)".into()));
    }
    let err_style = Style::for_stderr(args.color);
    let target = target::load(&args.target)?;
    if let Some(note) = target.note.as_ref().filter(|_| !args.quiet) {
        eprintln!("{}", err_style.dim(note));
    }
    let selection = select(&target.checklist.checks, &args.target).map_err(Error::Usage)?;
    // Every secret this run knows, before anything can print one.
    let redactor = target::redactor(&target.checklist, &args.target, args.key.as_deref());
    if !selection.pulled_in.is_empty() && !args.quiet {
        eprintln!(
            "{}",
            err_style
                .dim(&format!("also running dependencies: {}", selection.pulled_in.join(", ")))
        );
    }
    let table_follows = args.format == CheckFormat::Table
        && std::io::IsTerminal::is_terminal(&std::io::stdout())
        && !args.reports.iter().any(|(_, dest)| dest == "-");
    let sealed = Session {
        repo: &target.repo,
        checklist: &target.checklist,
        source_name: &target.source_name,
        checks: selection.checks,
        redactor,
        paths: &|| target::repo_paths(&target),
        waivers: args.waivers.clone(),
        baseline: args.baseline.clone(),
        claims: args.claims.clone(),
        sign: args.sign,
        key: args.key.clone(),
        out: args.out.clone(),
        jobs: args.jobs.unwrap_or_else(session::default_jobs).max(1),
        fail_fast: args.fail_fast,
        no_services: args.no_services,
        keep: args.keep,
        own_process: true,
        quiet: args.quiet,
        color: args.color,
        table_follows,
        reports: args.reports.clone(),
        probes: &Probes,
        backoff: &Sleep,
        cancel: &CANCEL,
        on_start: &install_ctrlc,
    }
    .run()?;
    print(&args, &sealed)?;
    Ok(exit_code(&sealed))
}

/// The terminal table and summary (or `--format json`) on stdout, or the summary on stderr
/// when a report took stdout; one line with `--quiet`.
fn print(args: &CheckArgs, sealed: &Sealed) -> Result<(), Error> {
    let record = &sealed.record;
    let shown_dir = crate::diag::display_path(
        &sealed.run_dir.path,
        &std::env::current_dir().unwrap_or_default(),
    );
    let mut out = std::io::stdout().lock();
    match args.format {
        _ if sealed.stdout_taken && args.quiet => {
            let summary = terminal::summary(record, Style::for_stderr(args.color), &shown_dir);
            eprintln!("{}", summary.lines().next().unwrap_or_default());
        }
        CheckFormat::Table if args.quiet => {
            let summary = terminal::summary(record, Style::for_stdout(args.color), &shown_dir);
            writeln!(out, "{}", summary.lines().next().unwrap_or_default())?;
        }
        _ if sealed.stdout_taken => {
            let style = Style::for_stderr(args.color);
            eprint!("{}", terminal::summary(record, style, &shown_dir));
        }
        CheckFormat::Json => {
            let mut bytes = serde_json::to_vec_pretty(record)?;
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
            writeln!(out, "{}", terminal::table(record, style, terminal::Layout::detect()))?;
            write!(out, "{}", terminal::summary(record, style, &shown_dir))?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Interrupted: 130. With `--baseline`, only blocking checks that got worse than in the
/// baseline fail the gate (said on stderr). Otherwise the verdict's code.
fn exit_code(sealed: &Sealed) -> u8 {
    if sealed.interrupted() {
        return exit::INTERRUPTED;
    }
    let Some((base, worse)) = sealed.worse() else {
        return sealed.record.summary.verdict.exit_code();
    };
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

/// Set by the Ctrl-C handler; the session stops its checks when it is set.
static CANCEL: AtomicBool = AtomicBool::new(false);

/// The first Ctrl-C asks the session to stop (it seals what finished); a second one exits at
/// once, stopping services first. Installed by the session once the run directory exists.
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
