//! Runs checks as a DAG through `needs`: independent checks in parallel on `jobs` worker
//! threads, a check whose dependency did not pass is `skip`, retries back off exponentially,
//! and Ctrl-C (the cancel flag) stops scheduling and lets running probes kill their processes.
//! `--fail-fast` stops scheduling too (after the first blocking failure) but lets running
//! checks finish.
//! Events are delivered on the calling thread, in completion order.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::time::{Duration, Instant, SystemTime};

use crate::checklist::model::{Check, When};
use crate::outcome::{CheckResult, ProbeOutcome, SkipCause, Status};
use crate::probe::ProbeContext;

/// What the scheduler needs from the outside.
pub struct Runner<'a> {
    pub repo: &'a Path,
    /// `RUN_DIR/evidence`.
    pub evidence_root: PathBuf,
    pub jobs: usize,
    pub cancel: &'a AtomicBool,
    pub run_started: SystemTime,
    pub output_filter: Option<Arc<super::process::Filter>>,
    /// Environment lookup for `when: env`.
    pub env: &'a (dyn Fn(&str) -> Option<String> + Sync),
    /// Services the checks may need; started and stopped around the checks that need them.
    pub services: Option<&'a super::services::Services>,
    /// `--fail-fast`: after a check of at least this severity fails or errors, start nothing
    /// new; the checks not started are skipped (cause `interrupted`).
    pub fail_fast: Option<crate::checklist::model::Severity>,
}

/// Progress, as it happens.
#[derive(Debug)]
pub enum Event<'a> {
    Started(&'a Check),
    Finished(&'a CheckResult),
}

struct State {
    waiting_on: Vec<usize>,
    ready: VecDeque<usize>,
    results: Vec<Option<CheckResult>>,
    unfinished: usize,
    /// Checks finished since a worker last released their services.
    released: Vec<usize>,
    /// Why nothing new is started (`--fail-fast` after a blocking failure).
    stopped: Option<String>,
}

impl Runner<'_> {
    /// Runs `checks` (already closed under `needs`) and returns results in checklist order.
    pub fn run(&self, checks: &[Check], mut on_event: impl FnMut(Event<'_>)) -> Vec<CheckResult> {
        let index = |id: &str| checks.iter().position(|c| c.id == id);
        let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); checks.len()];
        let mut waiting_on = vec![0usize; checks.len()];
        for (i, c) in checks.iter().enumerate() {
            for need in &c.needs {
                if let Some(j) = index(need) {
                    dependents[j].push(i);
                    waiting_on[i] += 1;
                }
            }
        }
        let ready: VecDeque<usize> = (0..checks.len()).filter(|&i| waiting_on[i] == 0).collect();
        let state = Mutex::new(State {
            waiting_on,
            ready,
            results: vec![None; checks.len()],
            unfinished: checks.len(),
            released: Vec::new(),
            stopped: None,
        });
        let wake = Condvar::new();
        let (tx, rx) = mpsc::channel::<Msg>();

        std::thread::scope(|scope| {
            for _ in 0..self.jobs.clamp(1, checks.len().max(1)) {
                let tx = tx.clone();
                let (state, wake, dependents) = (&state, &wake, &dependents);
                scope.spawn(move || self.worker(checks, dependents, state, wake, tx));
            }
            drop(tx);
            for msg in rx {
                match msg {
                    Msg::Started(i) => on_event(Event::Started(&checks[i])),
                    Msg::Finished(r) => on_event(Event::Finished(&r)),
                }
            }
        });
        if let Some(services) = self.services {
            services.stop_all();
        }
        state
            .into_inner()
            .unwrap()
            .results
            .into_iter()
            .map(|r| r.expect("every check finishes"))
            .collect()
    }

    fn worker(
        &self,
        checks: &[Check],
        dependents: &[Vec<usize>],
        state: &Mutex<State>,
        wake: &Condvar,
        tx: mpsc::Sender<Msg>,
    ) {
        loop {
            let i = {
                let mut s = state.lock().unwrap();
                loop {
                    if let Some(why) = self.stop_reason(&s) {
                        self.skip_unstarted(checks, &mut s, &tx, &why);
                        wake.notify_all();
                    }
                    if s.unfinished == 0 {
                        return;
                    }
                    if let Some(i) = s.ready.pop_front() {
                        break i;
                    }
                    s = wake.wait_timeout(s, Duration::from_millis(50)).unwrap().0;
                }
            };
            let stop = self.stop_reason(&state.lock().unwrap());
            let result = if let Some(why) = stop {
                skipped(&checks[i], SkipCause::Interrupted, why)
            } else {
                let _ = tx.send(Msg::Started(i));
                self.run_one(&checks[i])
            };
            let mut s = state.lock().unwrap();
            self.complete(checks, dependents, &mut s, i, result, &tx);
            let released = std::mem::take(&mut s.released);
            wake.notify_all();
            drop(s);
            // Stopping a service can take its grace period: not under the lock.
            if let Some(services) = self.services {
                for k in released {
                    services.release(&checks[k].needs);
                }
            }
        }
    }

    /// Records a result and releases (or skips) its dependents.
    fn complete(
        &self,
        checks: &[Check],
        dependents: &[Vec<usize>],
        s: &mut State,
        i: usize,
        result: CheckResult,
        tx: &mpsc::Sender<Msg>,
    ) {
        let passed = matches!(result.status, Status::Pass | Status::Waived);
        let status = result.status;
        if let Some(threshold) = self.fail_fast
            && s.stopped.is_none()
            && matches!(status, Status::Fail | Status::Error)
            && crate::verdict::severity_blocks(checks[i].severity, threshold)
        {
            s.stopped = Some(format!(
                "not run: --fail-fast stopped the run after `{}` ({})",
                checks[i].id,
                status.as_str()
            ));
        }
        let _ = tx.send(Msg::Finished(Box::new(result.clone())));
        s.results[i] = Some(result);
        s.unfinished -= 1;
        s.released.push(i);
        for &d in &dependents[i] {
            if s.results[d].is_some() {
                continue;
            }
            if passed {
                s.waiting_on[d] -= 1;
                if s.waiting_on[d] == 0 {
                    s.ready.push_back(d);
                }
            } else {
                let reason =
                    format!("needs `{}`, which did not pass ({})", checks[i].id, status.as_str());
                let r = skipped(&checks[d], SkipCause::Dependency, reason);
                self.complete(checks, dependents, s, d, r, tx);
            }
        }
    }

    /// Why nothing new may start: Ctrl-C, or `--fail-fast` after a blocking failure.
    fn stop_reason(&self, s: &State) -> Option<String> {
        if self.cancel.load(Ordering::Relaxed) {
            Some("not run: the run was interrupted".into())
        } else {
            s.stopped.clone()
        }
    }

    fn skip_unstarted(&self, checks: &[Check], s: &mut State, tx: &mpsc::Sender<Msg>, why: &str) {
        while let Some(i) = s.ready.pop_front() {
            let r = skipped(&checks[i], SkipCause::Interrupted, why.to_string());
            let _ = tx.send(Msg::Finished(Box::new(r.clone())));
            s.results[i] = Some(r);
            s.unfinished -= 1;
            s.released.push(i);
        }
        // Checks still waiting on a running dependency are skipped when it completes; those
        // waiting on nothing running are skipped here.
        let waiting: Vec<usize> =
            (0..checks.len()).filter(|&k| s.results[k].is_none() && s.waiting_on[k] > 0).collect();
        for k in waiting {
            let blocked_by_running = checks[k].needs.iter().any(|n| {
                checks.iter().position(|c| &c.id == n).is_some_and(|j| s.results[j].is_none())
            });
            if !blocked_by_running {
                let r = skipped(&checks[k], SkipCause::Interrupted, why.to_string());
                let _ = tx.send(Msg::Finished(Box::new(r.clone())));
                s.results[k] = Some(r);
                s.unfinished -= 1;
                s.released.push(k);
            }
        }
    }

    fn run_one(&self, check: &Check) -> CheckResult {
        let started = Instant::now();
        if let Some(when) = &check.when
            && let Some(why) = self.unmet(when)
        {
            return skipped(check, SkipCause::NotApplicable, why);
        }
        // Services first: a check cannot prove anything against a service that is not up.
        if let Some(services) = self.services
            && let Err(reason) = services.ensure(&check.needs, self.cancel)
        {
            let o = ProbeOutcome::new(Status::Fail, reason);
            return finish(check, o, started.elapsed(), 1, Vec::new());
        }
        let evidence_dir = self.evidence_root.join(&check.id);
        if let Err(e) = std::fs::create_dir_all(&evidence_dir) {
            let o = ProbeOutcome::error(format!(
                "cannot create evidence directory `{}`: {e}",
                evidence_dir.display()
            ));
            return finish(check, o, started.elapsed(), 1, Vec::new());
        }
        let mut attempts = 0;
        let outcome = loop {
            attempts += 1;
            let ctx = ProbeContext {
                repo: self.repo,
                check_id: &check.id,
                evidence_dir: &evidence_dir,
                run_started: self.run_started,
                deadline: Instant::now() + check.timeout,
                cancel: self.cancel,
                output_filter: self.output_filter.clone(),
            };
            let outcome = check.probe.run(&ctx);
            let retry =
                matches!(outcome.status, Status::Fail | Status::Error) && attempts <= check.retries;
            if !retry || self.cancel.load(Ordering::Relaxed) {
                break outcome;
            }
            let backoff =
                Duration::from_millis(200u64 << (attempts - 1).min(5)).min(Duration::from_secs(5));
            let until = Instant::now() + backoff;
            while Instant::now() < until && !self.cancel.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(20));
            }
        };
        let mut outcome = outcome;
        if matches!(outcome.status, Status::Fail | Status::Error)
            && let Some(note) = self.services.and_then(|s| s.exited_note(&check.needs))
        {
            outcome.reason = format!("{} ({note})", outcome.reason);
        }
        let evidence = match super::rundir::store_artifacts(
            &evidence_dir,
            &self.evidence_root,
            std::mem::take(&mut outcome.artifacts),
            self.output_filter.as_deref(),
        ) {
            Ok(files) => files,
            Err(e) => {
                outcome = ProbeOutcome::error(format!("cannot write evidence: {e}"));
                Vec::new()
            }
        };
        finish(check, outcome, started.elapsed(), attempts, evidence)
    }

    /// Why `when` does not hold, if it does not.
    fn unmet(&self, when: &When) -> Option<String> {
        if let Some(p) = &when.file_exists
            && !path_exists(self.repo, p)
        {
            return Some(format!("not applicable: `{p}` does not exist"));
        }
        if let Some(p) = &when.file_absent
            && path_exists(self.repo, p)
        {
            return Some(format!("not applicable: `{p}` exists"));
        }
        if let Some(found) = when.found
            && let Some(why) = found.unmet(self.repo)
        {
            return Some(why);
        }
        if let Some(name) = &when.env
            && (self.env)(name).is_none_or(|v| v.is_empty())
        {
            return Some(format!("not applicable: ${name} is not set"));
        }
        if let Some(name) = &when.env_unset
            && (self.env)(name).is_some_and(|v| !v.is_empty())
        {
            return Some(format!("not applicable: ${name} is set"));
        }
        None
    }
}

enum Msg {
    Started(usize),
    Finished(Box<CheckResult>),
}

/// A path or glob exists under `repo`.
fn path_exists(repo: &Path, pattern: &str) -> bool {
    if !pattern.contains(['*', '?', '[', '{']) {
        return repo.join(pattern).exists();
    }
    let Ok(glob) = globset::GlobBuilder::new(pattern).literal_separator(true).build() else {
        return false;
    };
    let m = glob.compile_matcher();
    walkdir::WalkDir::new(repo)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git" && e.file_name() != ".readyctl")
        .filter_map(Result::ok)
        .any(|e| {
            e.path()
                .strip_prefix(repo)
                .is_ok_and(|rel| !rel.as_os_str().is_empty() && m.is_match(rel))
        })
}

pub fn skipped(check: &Check, cause: SkipCause, reason: String) -> CheckResult {
    let mut r =
        finish(check, ProbeOutcome::new(Status::Skip, reason), Duration::ZERO, 0, Vec::new());
    r.skip_cause = Some(cause);
    r
}

fn finish(
    check: &Check,
    o: ProbeOutcome,
    took: Duration,
    attempts: u32,
    evidence: Vec<crate::outcome::EvidenceFile>,
) -> CheckResult {
    CheckResult {
        id: check.id.clone(),
        title: check.title.clone(),
        area: check.area.clone(),
        severity: check.severity,
        level: check.level,
        tags: check.tags.clone(),
        probe: check.probe.kind().into(),
        status: o.status,
        reason: o.reason,
        // A probe that finds nothing to examine (`env` on code it cannot read) skips as
        // not applicable; the scheduler's own skips set their cause in `skipped`.
        skip_cause: (o.status == Status::Skip).then_some(SkipCause::NotApplicable),
        measurements: o.measurements,
        locations: o.locations,
        evidence,
        duration_ms: took.as_millis() as u64,
        attempts,
        remediation: check.remediation.clone(),
        docs: check.docs.clone(),
        defined_at: crate::outcome::DefinedAt::new(&check.origin.file, check.origin.line as u64),
        waiver: None,
    }
}
