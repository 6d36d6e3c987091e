//! A run session: from a loaded, selected checklist to a sealed run directory. In order:
//! `--waivers`, `--baseline` and the signing key are read (any failure stops before anything
//! runs); the run directory is created and Ctrl-C handled; services and the scheduler run the
//! checks with progress on stderr; waivers are applied and the verdict summarized; the record
//! is built and redacted once; `--claims` weigh in; report.md and report.html are written and
//! the run sealed (manifest, signature, SHA256SUMS); `latest` moves; the reports asked for are
//! written; GitHub annotations and the step summary get the report.md text rendered for the
//! run directory (it is not read back); old runs are pruned.
//!
//! [`Session`] holds no command-line types: `app/check.rs` loads and selects, fills it in and
//! prints what [`Session::run`] returns. Failures are [`Error`]s, already redacted where they
//! quote the run's values; the app maps them to the exit code.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::process::Filter;
use super::scheduler::{Backoff, CheckRunner};
use super::{Event, Runner, rundir};
use crate::checklist::{Check, Checklist};
use crate::evidence::Redactor;
use crate::evidence::keys::KeyError;
use crate::evidence::redact_record::{RedactFields, redact_record};
use crate::record::{ChecklistInfo, RepoPaths, RunInfo, RunRecord, Tool};
use crate::report::style::{ColorChoice, Style};
use crate::report::{ReportFormat, markdown, progress::Progress};

/// Why a session stopped. Every variant is a usage-or-environment failure (exit 2) except
/// [`Error::StdoutClosed`]; texts that quote the run's values are redacted.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `--waivers` did not load: its located diagnostics, rendered and redacted.
    #[error("{0}")]
    Waivers(String),
    /// `--baseline` could not be read.
    #[error("--baseline: {0}")]
    Baseline(String),
    /// `--sign` without `--key` or the key variable.
    #[error("--sign needs a key: pass --key FILE or set {}", crate::evidence::SIGNING_KEY_ENV)]
    NoSigningKey,
    /// The signing key could not be read.
    #[error(transparent)]
    SigningKey(#[from] KeyError),
    /// `--out` (or `.readyctl/runs/…`) could not be created; nothing ran.
    #[error("cannot create the run directory: {0}")]
    RunDir(#[source] std::io::Error),
    /// The resolved checklist could not be serialized for its digest.
    #[error("serializing the checklist: {0}")]
    Checklist(#[source] serde_json::Error),
    /// `--claims` could not be read.
    #[error("--claims: {0}")]
    Claims(String),
    /// Something other than readyctl wrote into the run directory (a process a check or a
    /// service started): what it holds is not what readyctl wrote, so it is not sealed.
    #[error(
        "the run directory was changed by something other than readyctl, so it is not sealed: {0}; a process started by a check or a service wrote into it"
    )]
    Tampered(String),
    /// Processes a check started are still running after every round of SIGKILL: they could
    /// write into the run while it is sealed, so it is not.
    #[error(
        "{0} process(es) started by a check still running after every round of SIGKILL (a chain that forks a successor as each is killed), so the run is not sealed"
    )]
    Unkillable(usize),
    /// report.md, report.html or the seal could not be written: the run is not sealed.
    #[error("writing the run directory failed: {0}")]
    Seal(String),
    /// A `--report` destination could not be written (the run is sealed).
    #[error("writing the {format:?} report to {dest}: {source}")]
    Report { format: ReportFormat, dest: String, source: std::io::Error },
    /// Whoever read stdout went away (`| head`): the run is sealed; not an error to report.
    #[error("{0}")]
    StdoutClosed(#[source] std::io::Error),
}

/// One run, as the command line asked for it (see `readyctl check --help`).
pub struct Session<'a> {
    /// The repository checked.
    pub repo: &'a Path,
    /// The loaded checklist (policy, services, waivers, sources).
    pub checklist: &'a Checklist,
    /// The checklist source as recorded.
    pub source_name: &'a str,
    /// The selected checks, closed under `needs`.
    pub checks: Vec<Check>,
    /// Every secret the run knows; applied to everything shown and stored.
    pub redactor: Redactor,
    /// Where the checked directory and the checklist files sit under the repository root:
    /// computed on a thread of its own while the checks run.
    pub paths: &'a (dyn Fn() -> RepoPaths + Sync),
    /// `--waivers FILE`: more waivers, checked like the checklist.
    pub waivers: Option<PathBuf>,
    /// `--baseline RUN`: the gate is "no blocking check got worse" (see [`Sealed::worse`]).
    pub baseline: Option<PathBuf>,
    /// `--claims REPORT.md`: claims weighed against the evidence.
    pub claims: Option<PathBuf>,
    /// `--sign`: sign with `key` or the key variable.
    pub sign: bool,
    /// `--key FILE` (implies signing).
    pub key: Option<PathBuf>,
    /// `--out DIR`; `.readyctl/runs/<id>` otherwise.
    pub out: Option<PathBuf>,
    /// Worker threads (at least 1).
    pub jobs: usize,
    pub fail_fast: bool,
    pub no_services: bool,
    /// `--keep N`: managed runs kept after this one.
    pub keep: usize,
    /// readyctl is this process (not a test process, where other tests' children run): before
    /// the run is vetted and sealed, every process still its child is an escaped one, killed
    /// (`tree::kill_adopted`).
    pub own_process: bool,
    /// No progress, notes or waiver warnings on stderr.
    pub quiet: bool,
    pub color: ColorChoice,
    /// The terminal table follows the progress lines on stdout.
    pub table_follows: bool,
    /// `--report FORMAT:DEST` (and `--format` other than table/json, as `FORMAT:-`).
    pub reports: Vec<(ReportFormat, String)>,
    /// Runs one attempt of a check ([`super::scheduler::Probes`] outside tests).
    pub probes: &'a dyn CheckRunner,
    /// Waits between attempts ([`super::scheduler::Sleep`] outside tests).
    pub backoff: &'a dyn Backoff,
    /// Set when the run should stop (running checks are stopped, the rest skipped as
    /// `interrupted`, the run still sealed). The session never sets it and never exits.
    pub cancel: &'a AtomicBool,
    /// Called once the run directory exists, just before the checks start: where the CLI
    /// installs its Ctrl-C handler (which sets `cancel`), so an interrupt before that point
    /// ends the process as usual and leaves no run directory behind.
    pub on_start: &'a dyn Fn(),
}

/// A sealed run.
pub struct Sealed {
    /// The record as sealed (redacted); every reporter renders it.
    pub record: RunRecord,
    pub run_dir: rundir::RunDir,
    /// The `--baseline` run's record.
    pub baseline: Option<RunRecord>,
    /// A report went to stdout: the terminal table does not.
    pub stdout_taken: bool,
}

impl Sealed {
    /// Ctrl-C stopped the run (it is sealed with what finished).
    pub fn interrupted(&self) -> bool {
        self.record.run.interrupted
    }

    /// `--baseline`: the blocking checks that got worse than in the baseline (only these fail
    /// the gate); `None` without a baseline.
    pub fn worse(&self) -> Option<(&RunRecord, Vec<String>)> {
        let base = self.baseline.as_ref()?;
        let d = crate::report::diff::diff(base, &self.record);
        let worse = d.changes.into_iter().filter(|c| c.worse && c.blocking).map(|c| c.id).collect();
        Some((base, worse))
    }
}

impl Session<'_> {
    /// Runs the checks and seals the run directory (see the module docs for the order).
    pub fn run(self) -> Result<Sealed, Error> {
        let err_style = Style::for_stderr(self.color);
        let redactor = &self.redactor;
        let policy = &self.checklist.policy;
        let waiver_policy = policy.waivers.clone().unwrap_or_default();
        // Waivers from --waivers, checked like the checklist (located diagnostics, exit 2).
        let mut waivers = self.checklist.waivers.clone();
        if let Some(path) = &self.waivers {
            let opts = crate::checklist::Options {
                env: &|name| std::env::var(name).ok(),
                var_overrides: Default::default(),
                display_base: std::env::current_dir().unwrap_or_default(),
            };
            match crate::checklist::load::load_waivers(path, &opts, &waiver_policy) {
                Ok(w) => waivers.extend(w),
                Err(diags) => {
                    let text = crate::diag::render_all(&diags);
                    return Err(Error::Waivers(redactor.redact_str(&text).0));
                }
            }
        }
        let baseline = match &self.baseline {
            Some(path) => match crate::report::saved::load(path) {
                Ok(b) => Some(b.record),
                Err(e) => return Err(Error::Baseline(redactor.redact_str(&format!("{e:#}")).0)),
            },
            None => None,
        };
        let signer = if self.sign || self.key.is_some() {
            match crate::evidence::keys::resolve_signing_key(self.key.as_deref())? {
                Some(k) => Some(k),
                None => return Err(Error::NoSigningKey),
            }
        } else {
            None
        };

        // The repository as the checks found it: read before anything runs, so files the
        // checks (or an --out inside the work tree) create do not count as uncommitted
        // changes, and changes made before the run do.
        let repository =
            crate::evidence::git_info(self.repo).and_then(|g| serde_json::to_value(g).ok());
        let started = chrono::Utc::now();
        let run_dir =
            rundir::create(self.repo, self.out.as_deref(), started).map_err(Error::RunDir)?;
        (self.on_start)();

        let filter: Option<Arc<Filter>> = Some(Arc::new(redactor.clone()));
        let env_lookup = |name: &str| std::env::var(name).ok();
        let services = super::services::Services::new(
            &self.checklist.services,
            &self.checks,
            super::services::Options {
                repo: self.repo.to_path_buf(),
                evidence_root: run_dir.evidence(),
                output_filter: filter.clone(),
                no_services: self.no_services,
                run_started: std::time::Instant::now(),
            },
        );
        let runner = Runner {
            repo: self.repo,
            evidence_root: run_dir.evidence(),
            jobs: self.jobs,
            cancel: self.cancel,
            run_started: started.into(),
            output_filter: filter.clone(),
            env: &env_lookup,
            services: Some(&services),
            fail_fast: self.fail_fast.then_some(policy.fail_on),
            probes: self.probes,
            backoff: self.backoff,
        };
        let progress = if self.quiet {
            Progress::Hidden
        } else {
            Progress::new(self.checks.len(), err_style, self.table_follows)
        };
        let (mut results, paths) = std::thread::scope(|scope| {
            // Where the target, the checklist files and the anchor are in the repository (a
            // `git` call): found beside the checks, as the repository stood when they started,
            // instead of after them on the way to the seal.
            let paths = scope.spawn(|| (self.paths)());
            let results = runner.run(&self.checks, |event| match event {
                Event::Started(c) => progress.started(&redactor.redact_str(&c.id).0),
                Event::Finished(r) => {
                    // Printed now, before the record is redacted: redact this result.
                    let mut shown = r.clone();
                    shown.redact_fields(redactor, &mut Default::default());
                    progress.finished(&shown, err_style);
                }
            });
            (results, paths.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
        });
        progress.done();
        let service_records = services.records();
        drop(services);
        // Nothing readyctl started runs now: what is still its child escaped a tree.
        if self.own_process {
            if let Err(left) = super::tree::kill_adopted() {
                return Err(Error::Unkillable(left));
            }
        }
        // Reports the checks wrote there were read (and copied into evidence) by now.
        run_dir.remove_scratch();
        // Every process is gone: the run directory must hold what readyctl wrote, as it wrote
        // it (a check that wrote into another check's evidence, or a service, is caught here).
        // A run directory moved elsewhere (and maybe linked back) is not where the seal
        // would go: nothing is sealed.
        if !run_dir.in_place() {
            return Err(Error::Tampered(
                "`evidence/` (the run directory or one above it was moved or replaced during \
                 the run)"
                    .into(),
            ));
        }
        let vetted = rundir::vet(&run_dir.path)
            .map_err(|e| Error::Seal(redactor.redact_str(&e.to_string()).0))?;
        if !vetted.foreign.is_empty() {
            let list = rundir::describe_foreign(&vetted.foreign, 10);
            return Err(Error::Tampered(redactor.redact_str(&list).0));
        }
        let interrupted = self.cancel.load(Ordering::Relaxed);
        let finished = chrono::Utc::now();

        let waiver_records =
            crate::waiver::apply(&mut results, &waivers, &waiver_policy, started.date_naive());
        for w in waiver_records.iter().filter(|w| {
            !self.quiet
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
        let summary = crate::verdict::summarize(&results, policy, interrupted);
        // The digest covers everything resolved: policy, secret names, services and checks.
        let resolved = serde_json::to_vec(self.checklist).map_err(Error::Checklist)?;
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
            paths: Some(paths),
            claims: None,
            checklist: ChecklistInfo {
                name: self.checklist.name.clone(),
                source: self.source_name.to_string(),
                sha256: crate::text::sha256_hex(&resolved),
                sources: self.checklist.sources.clone(),
            },
            policy: policy.clone(),
            results,
            summary,
            redactions: Default::default(),
            waivers: waiver_records,
            services: service_records,
        };
        // Redacted once, field by field, before the manifest, report.md, the reporters, the
        // terminal or `--format json` read it; the values are raw here, so no escaping can hide
        // a secret and no match can cross from one field into another.
        let record_redactions = redact_record(&mut record, redactor);
        let claims_md = match &self.claims {
            Some(path) => claims_section(path, &mut record, policy.fail_on, redactor)
                .map_err(|e| Error::Claims(redactor.redact_str(&format!("{e:#}")).0))?,
            None => String::new(),
        };
        let report_md = write_run(
            &run_dir,
            &mut record,
            &record_redactions,
            signer.as_ref(),
            &claims_md,
            baseline.as_ref(),
            &vetted.files,
        )
        .map_err(|e| {
            // Written through `/proc/self/fd/N`: the message names the run's own path.
            let mut text = format!("{e:#}");
            if let Ok(via) = run_dir.via() {
                text =
                    text.replace(&via.display().to_string(), &run_dir.path.display().to_string());
            }
            Error::Seal(redactor.redact_str(&text).0)
        })?;
        let record = record;
        // The run is sealed: `latest` may point at it (before anything can fail on stdout).
        if let Err(e) = rundir::mark_latest(&run_dir) {
            eprintln!("warning: could not update .readyctl/latest: {e}");
        }
        // Every reporter renders the sealed (redacted) record; none recomputes the verdict.
        let mut stdout_taken = false;
        for (format, dest) in &self.reports {
            let parent = match Path::new(dest).parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
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
                ReportFormat::Html => {
                    crate::report::html::render(&record, baseline.as_ref()).into_bytes()
                }
                _ => crate::report::render(*format, &record, Some(&run_dir.path)),
            };
            stdout_taken |= dest == "-";
            if let Err(e) = crate::report::write_to(dest, &bytes) {
                if dest == "-" && e.kind() == std::io::ErrorKind::BrokenPipe {
                    return Err(Error::StdoutClosed(e));
                }
                return Err(Error::Report { format: *format, dest: dest.clone(), source: e });
            }
        }
        if let Err(e) = crate::report::github::emit_if_enabled(&record, &report_md) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Err(Error::StdoutClosed(e));
            }
            eprintln!("warning: GitHub annotations or step summary: {e}");
        }
        if run_dir.managed {
            match rundir::prune(&run_dir, self.keep, chrono::Utc::now()) {
                Ok(removed) if !removed.is_empty() && !self.quiet => eprintln!(
                    "{}",
                    err_style.dim(&format!(
                        "removed {} old run{} from .readyctl/runs (--keep {})",
                        removed.len(),
                        crate::diag::plural(removed.len()),
                        self.keep
                    ))
                ),
                Ok(_) => {}
                Err(e) => eprintln!("warning: could not remove old runs: {e}"),
            }
        }
        Ok(Sealed { record, run_dir, baseline, stdout_taken })
    }
}

/// Most probes wait on processes, disks and networks, not on CPU.
pub fn default_jobs() -> usize {
    (std::thread::available_parallelism().map_or(2, |n| n.get()) * 4).max(8)
}

/// Writes report.md and report.html, then seals the run: manifest.json (the record as in-toto
/// predicate), the DSSE envelope when signing, and SHA256SUMS — each atomically, so a crash
/// never leaves a manifest naming files that were not written. `record` is already redacted;
/// its own redaction counts are recorded under `manifest.json`. Returns report.md's text.
fn write_run(
    run_dir: &rundir::RunDir,
    record: &mut RunRecord,
    record_redactions: &BTreeMap<String, u64>,
    signer: Option<&ed25519_dalek::SigningKey>,
    extra_md: &str,
    baseline: Option<&RunRecord>,
    written: &[crate::evidence::FileDigest],
) -> anyhow::Result<String> {
    // Written and read through the held run directory: a run moved meanwhile (a concurrent
    // run's check) is an error, never written where it was moved.
    let dir = run_dir.via()?;
    let mut md = markdown::render(record, Some(&run_dir.path));
    md.push_str(extra_md);
    rundir::write_atomic(&dir.join("report.md"), md.as_bytes())?;
    let report_md = digest_of("report.md", md.as_bytes());
    record.redactions = redactions_in(&dir, written.iter().chain([&report_md]))?;
    if !record_redactions.is_empty() {
        let own = record.redactions.entry("manifest.json".to_string()).or_default();
        for (rule, n) in record_redactions {
            *own.entry(rule.clone()).or_insert(0) += n;
        }
    }
    let predicate = serde_json::to_value(&*record)?;
    // From the redacted record: every text was redacted as raw value before HTML escaping.
    let page = crate::report::html::render(record, baseline);
    rundir::write_atomic(&dir.join("report.html"), page.as_bytes())?;
    // The subjects are what readyctl wrote (vetted, with the digests of what it wrote) and the
    // reports' bytes: nothing is listed or read again, and nothing else is sealed.
    let report_html = digest_of("report.html", page.as_bytes());
    let files = written.iter().cloned().chain([report_md, report_html]).collect();
    crate::evidence::seal_files(&dir, files, |_| predicate, signer)?;
    Ok(md)
}

/// `--claims REPORT.md`: re-imports the report (same check ids as `readyctl import`), lets the
/// claims weigh on the verdict (a contradicted claim: NOT READY; an unverifiable one: at least
/// INCOMPLETE), prints the counts as plain text and returns the "claims vs evidence" section
/// for report.md.
fn claims_section(
    path: &Path,
    record: &mut RunRecord,
    fail_on: crate::checklist::Severity,
    redactor: &Redactor,
) -> anyhow::Result<String> {
    use anyhow::Context;
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
///
/// `files` are the run directory's files (path relative to it, size), as [`rundir::vet`] found
/// them, plus report.md: the directory is not walked again.
fn redactions_in<'a>(
    run_dir: &Path,
    files: impl Iterator<Item = &'a crate::evidence::FileDigest>,
) -> anyhow::Result<BTreeMap<String, BTreeMap<String, u64>>> {
    let marker = regex::bytes::Regex::new(r"\[REDACTED:([A-Za-z0-9_.:-]+)\]").expect("valid regex");
    let mut found = BTreeMap::new();
    for f in files {
        // An empty file (most logs) holds no marker: not opened.
        if f.size == 0 {
            continue;
        }
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        // Read in pieces cut after a newline (a marker never holds one, so no marker is cut
        // and the matches are those of the whole file), not the whole file at once.
        let mut file = crate::walk::open_regular(&run_dir.join(&f.path))?;
        let mut buf: Vec<u8> = Vec::new();
        let mut piece = vec![0u8; 256 << 10];
        loop {
            let n = match std::io::Read::read(&mut file, &mut piece) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                r => r?,
            };
            buf.extend_from_slice(&piece[..n]);
            let upto = if n == 0 {
                buf.len()
            } else {
                match buf.iter().rposition(|&b| b == b'\n') {
                    Some(i) => i + 1,
                    None => continue,
                }
            };
            for cap in marker.captures_iter(&buf[..upto]) {
                *counts.entry(String::from_utf8_lossy(&cap[1]).into_owned()).or_default() += 1;
            }
            buf.drain(..upto);
            if n == 0 {
                break;
            }
        }
        if !counts.is_empty() {
            found.insert(f.path.clone(), counts);
        }
    }
    Ok(found)
}

/// The digest of bytes readyctl writes as file `name` of the run directory.
fn digest_of(name: &str, bytes: &[u8]) -> crate::evidence::FileDigest {
    use sha2::Digest;
    crate::evidence::FileDigest {
        path: name.to_string(),
        sha256: crate::text::hex(&sha2::Sha256::digest(bytes)),
        size: bytes.len() as u64,
    }
}

#[cfg(test)]
mod tests {
    //! A session without clap and without processes: the probes are a fake that fails the
    //! checks named `broken…`.

    use super::*;
    use crate::outcome::{ProbeOutcome, Status};
    use crate::probe::ProbeContext;
    use crate::verdict::Verdict;

    /// Fails the checks named `broken…`, or every check.
    struct Fake {
        fail_all: bool,
    }

    impl CheckRunner for Fake {
        fn run(&self, check: &Check, _: &ProbeContext<'_>) -> ProbeOutcome {
            if self.fail_all || check.id.starts_with("broken") {
                ProbeOutcome::new(Status::Fail, "it is broken")
            } else {
                ProbeOutcome::new(Status::Pass, "fine")
            }
        }
    }

    struct NoWait;

    impl Backoff for NoWait {
        fn wait(&self, _: std::time::Duration, _: &AtomicBool) {}
    }

    fn checklist(dir: &Path, yaml: &str) -> Checklist {
        let file = dir.join("readiness.yaml");
        std::fs::write(&file, yaml).unwrap();
        let opts = crate::checklist::Options {
            env: &|_| None,
            var_overrides: Default::default(),
            display_base: dir.to_path_buf(),
        };
        crate::checklist::load(&crate::checklist::Source::File(file), &opts)
            .unwrap_or_else(|d| panic!("{}", crate::diag::render_all(&d)))
    }

    fn paths() -> RepoPaths {
        RepoPaths { target: String::new(), checklist_files: Default::default(), anchor: None }
    }

    static NEVER: AtomicBool = AtomicBool::new(false);

    fn session<'a>(repo: &'a Path, list: &'a Checklist, out: &Path) -> Session<'a> {
        Session {
            repo,
            checklist: list,
            source_name: "readiness.yaml",
            checks: list.checks.clone(),
            redactor: Redactor::builder().build(),
            paths: &paths,
            waivers: None,
            baseline: None,
            claims: None,
            sign: false,
            key: None,
            out: Some(out.to_path_buf()),
            jobs: 2,
            fail_fast: false,
            no_services: false,
            keep: 5,
            own_process: false,
            quiet: true,
            color: ColorChoice::Never,
            table_follows: false,
            reports: Vec::new(),
            probes: &Fake { fail_all: false },
            backoff: &NoWait,
            cancel: &NEVER,
            on_start: &|| {},
        }
    }

    const TWO: &str = "version: 1\nchecks:\n  - id: ok\n    command: { run: 'true' }\n  - id: broken\n    severity: low\n    command: { run: 'true' }\n";

    #[test]
    fn a_session_seals_a_verifiable_run_directory() {
        let repo = tempfile::tempdir().unwrap();
        let list = checklist(repo.path(), TWO);
        let out = repo.path().join("run");
        let sealed = session(repo.path(), &list, &out).run().unwrap();
        assert_eq!(sealed.run_dir.path, out);
        assert!(!sealed.run_dir.managed && !sealed.stdout_taken && !sealed.interrupted());
        let record = &sealed.record;
        assert_eq!(record.summary.verdict, Verdict::Ready, "the failure is not blocking");
        let statuses: Vec<_> = record.results.iter().map(|r| (r.id.as_str(), r.status)).collect();
        assert_eq!(statuses, [("ok", Status::Pass), ("broken", Status::Fail)]);
        for file in ["manifest.json", "report.md", "report.html", "SHA256SUMS"] {
            assert!(out.join(file).is_file(), "{file}");
        }
        assert!(!out.join("scratch").exists(), "the scratch directory is removed before sealing");
        let md = std::fs::read_to_string(out.join("report.md")).unwrap();
        assert!(md.contains("broken"), "{md}");
        let report = crate::evidence::verify(&out, &[], None).unwrap();
        assert!(report.is_valid(), "{report}");
        assert!(sealed.worse().is_none(), "no baseline, no baseline gate");
    }

    #[test]
    fn a_baseline_gates_on_blocking_checks_that_got_worse() {
        let repo = tempfile::tempdir().unwrap();
        let list = checklist(repo.path(), TWO);
        let first = repo.path().join("first");
        session(repo.path(), &list, &first).run().unwrap();
        let mut s = session(repo.path(), &list, &repo.path().join("second"));
        s.baseline = Some(first.clone());
        s.probes = &Fake { fail_all: true };
        let sealed = s.run().unwrap();
        let (base, worse) = sealed.worse().unwrap();
        assert_eq!(base.run.id, sealed.baseline.as_ref().unwrap().run.id);
        assert_eq!(worse, ["ok"], "`broken` failed before too");
    }

    #[test]
    fn failures_before_the_run_create_no_run_directory() {
        let repo = tempfile::tempdir().unwrap();
        let list = checklist(repo.path(), TWO);
        let out = repo.path().join("run");

        let waivers = repo.path().join("waivers.yaml");
        std::fs::write(
            &waivers,
            "waivers:\n  - check: ok\n    reason: later\n    expires: 2999-13-01\n",
        )
        .unwrap();
        let mut s = session(repo.path(), &list, &out);
        s.waivers = Some(waivers);
        let Err(Error::Waivers(text)) = s.run() else { panic!("a bad waiver file is an error") };
        assert!(text.contains("waivers.yaml:"), "located: {text}");

        let mut s = session(repo.path(), &list, &out);
        s.baseline = Some(repo.path().join("no-such-run"));
        let e = s.run().err().expect("a missing baseline is an error");
        assert!(e.to_string().starts_with("--baseline: cannot open "), "{e}");

        let mut s = session(repo.path(), &list, &out);
        s.key = Some(repo.path().join("no-such.key"));
        assert!(matches!(s.run(), Err(Error::SigningKey(_))));

        assert!(!out.exists(), "nothing ran");
    }
}
