//! Runs checks as a DAG through `needs`: independent checks in parallel on `jobs` worker
//! threads, a check whose dependency did not pass is `skip`, retries back off exponentially,
//! and Ctrl-C (the cancel flag) stops scheduling and lets running probes kill their processes.
//! `--fail-fast` stops scheduling too (after the first blocking failure) but lets running
//! checks finish.
//! Events are delivered on the calling thread, in completion order.
//!
//! What runs one check ([`CheckRunner`]; [`Probes`] runs the check's probe) and how the
//! scheduler waits between attempts ([`Backoff`]; [`Sleep`] sleeps, polling the cancel flag)
//! are passed in, so the tests below drive the DAG, retries, `--fail-fast`, cancellation and
//! the `jobs` limit with a fake runner: no processes, no real waiting.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::time::{Duration, Instant, SystemTime};

use crate::checklist::model::{Check, When};
use crate::outcome::{CheckResult, ProbeOutcome, SkipCause, Status};
use crate::probe::ProbeContext;

/// Runs one attempt of one check: the seam between the scheduler and the probes.
pub trait CheckRunner: Sync {
    /// One attempt; the scheduler retries, stores artifacts and times the check.
    fn run(&self, check: &Check, ctx: &ProbeContext<'_>) -> ProbeOutcome;
}

/// The real [`CheckRunner`]: the check's own probe.
pub struct Probes;

impl CheckRunner for Probes {
    fn run(&self, check: &Check, ctx: &ProbeContext<'_>) -> ProbeOutcome {
        check.probe.run(ctx)
    }
}

/// Waits between attempts of a retried check.
pub trait Backoff: Sync {
    /// Returns after `delay`, or earlier once `cancel` is set.
    fn wait(&self, delay: Duration, cancel: &AtomicBool);
}

/// The real [`Backoff`]: sleeps in 20 ms steps, so Ctrl-C is not kept waiting.
pub struct Sleep;

impl Backoff for Sleep {
    fn wait(&self, delay: Duration, cancel: &AtomicBool) {
        let until = Instant::now() + delay;
        while Instant::now() < until && !cancel.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The delay before attempt `attempts + 1`: 200 ms, doubling, at most 5 s.
pub fn backoff_delay(attempts: u32) -> Duration {
    Duration::from_millis(200u64 << attempts.saturating_sub(1).min(5)).min(Duration::from_secs(5))
}

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
    /// Runs one attempt of a check ([`Probes`] outside tests).
    pub probes: &'a dyn CheckRunner,
    /// Waits between attempts ([`Sleep`] outside tests).
    pub backoff: &'a dyn Backoff,
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
    /// Checks a worker is running now.
    running: usize,
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
            running: 0,
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
                    // Done, or every check left is running on another worker: nothing can
                    // become ready for this one (only a finishing check releases others).
                    if s.unfinished == s.running {
                        return;
                    }
                    if let Some(i) = s.ready.pop_front() {
                        s.running += 1;
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
            s.running -= 1;
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
        // Made with its first file (`rundir::EvidenceWriter::create`), not here: 100 checks
        // starting at once do not first queue on `evidence/`'s lock to make 100 directories
        // (11 ms of the 100-sleeps benchmark), and a check that keeps nothing has none.
        let evidence_dir = self.evidence_root.join(&check.id);
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
            let outcome = self.probes.run(check, &ctx);
            let retry =
                matches!(outcome.status, Status::Fail | Status::Error) && attempts <= check.retries;
            if !retry || self.cancel.load(Ordering::Relaxed) {
                break outcome;
            }
            self.backoff.wait(backoff_delay(attempts), self.cancel);
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
            Ok(stored) => {
                if let Some(reason) = stored.foreign_reason() {
                    // An error the check already had is kept in front.
                    outcome = ProbeOutcome::error(match outcome.status {
                        Status::Error => format!("{}; {reason}", outcome.reason),
                        _ => reason,
                    });
                }
                stored.files
            }
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

#[cfg(test)]
mod tests {
    //! The scheduler with a fake [`CheckRunner`]: the fake decides each attempt's status by
    //! check id and records what ran; [`Backoff`] is recorded, not slept.

    use std::collections::HashMap;
    use std::sync::atomic::AtomicUsize;

    use super::*;

    /// Checks from checklist YAML (every check runs `true`; the fake never runs it).
    fn checks(yaml: &str) -> (tempfile::TempDir, Vec<Check>) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("readiness.yaml");
        std::fs::write(&file, format!("version: 1\nchecks:\n{yaml}")).unwrap();
        let opts = crate::checklist::Options {
            env: &|_| None,
            var_overrides: Default::default(),
            display_base: dir.path().to_path_buf(),
        };
        let list = crate::checklist::load(&crate::checklist::Source::File(file), &opts)
            .unwrap_or_else(|d| panic!("{}", crate::diag::render_all(&d)));
        (dir, list.checks)
    }

    fn check(id: &str, extra: &str) -> String {
        format!("  - id: {id}\n    command: {{ run: 'true' }}\n{extra}")
    }

    /// Plays a script of statuses per check id (the last one repeats), records the order
    /// attempts started in and the most attempts in flight at once.
    #[derive(Default)]
    struct Fake {
        script: HashMap<&'static str, Vec<Status>>,
        calls: Mutex<Vec<String>>,
        in_flight: AtomicUsize,
        max_in_flight: AtomicUsize,
        /// Set the cancel flag when this check runs (a Ctrl-C during it).
        cancel_during: Option<&'static str>,
        /// Hold each attempt until this many are in flight (or 10 s pass).
        rendezvous: Option<usize>,
        met: (Mutex<usize>, Condvar),
    }

    impl Fake {
        fn with(script: &[(&'static str, &[Status])]) -> Self {
            Fake {
                script: script.iter().map(|(id, s)| (*id, s.to_vec())).collect(),
                ..Default::default()
            }
        }

        fn calls(&self) -> Vec<String> {
            self.calls.lock().unwrap().clone()
        }
    }

    impl CheckRunner for Fake {
        fn run(&self, check: &Check, ctx: &ProbeContext<'_>) -> ProbeOutcome {
            let attempt = {
                let mut calls = self.calls.lock().unwrap();
                calls.push(check.id.clone());
                calls.iter().filter(|c| **c == check.id).count()
            };
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.max_in_flight.fetch_max(now, Ordering::SeqCst);
            if let Some(n) = self.rendezvous {
                let (count, cv) = &self.met;
                let mut c = count.lock().unwrap();
                *c += 1;
                let wave = c.div_ceil(n);
                cv.notify_all();
                let deadline = Instant::now() + Duration::from_secs(10);
                while *c < wave * n && Instant::now() < deadline {
                    c = cv.wait_timeout(c, Duration::from_millis(100)).unwrap().0;
                }
            }
            if self.cancel_during == Some(check.id.as_str()) {
                ctx.cancel.store(true, Ordering::SeqCst);
            }
            let script = self.script.get(check.id.as_str()).map_or(&[Status::Pass][..], |s| s);
            let status = script[(attempt - 1).min(script.len() - 1)];
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            ProbeOutcome::new(status, format!("attempt {attempt}"))
        }
    }

    /// Records the delays asked for instead of sleeping.
    #[derive(Default)]
    struct Waits(Mutex<Vec<Duration>>);

    impl Backoff for Waits {
        fn wait(&self, delay: Duration, _: &AtomicBool) {
            self.0.lock().unwrap().push(delay);
        }
    }

    struct Run {
        results: Vec<CheckResult>,
        /// `started:<id>` / `finished:<id>` in the order events arrived.
        events: Vec<String>,
    }

    fn run_with(
        checks: &[Check],
        fake: &Fake,
        waits: &Waits,
        jobs: usize,
        fail_fast: Option<crate::checklist::model::Severity>,
        env: &(dyn Fn(&str) -> Option<String> + Sync),
        cancel: &AtomicBool,
    ) -> Run {
        let evidence = tempfile::tempdir().unwrap();
        let runner = Runner {
            repo: evidence.path(),
            evidence_root: evidence.path().join("evidence"),
            jobs,
            cancel,
            run_started: SystemTime::now(),
            output_filter: None,
            env,
            services: None,
            fail_fast,
            probes: fake,
            backoff: waits,
        };
        let mut events = Vec::new();
        let results = runner.run(checks, |e| match e {
            Event::Started(c) => events.push(format!("started:{}", c.id)),
            Event::Finished(r) => events.push(format!("finished:{}", r.id)),
        });
        Run { results, events }
    }

    fn run(checks: &[Check], fake: &Fake, jobs: usize) -> Run {
        run_with(checks, fake, &Waits::default(), jobs, None, &|_| None, &AtomicBool::new(false))
    }

    fn by_id<'a>(results: &'a [CheckResult], id: &str) -> &'a CheckResult {
        results.iter().find(|r| r.id == id).unwrap()
    }

    #[test]
    fn dependencies_run_first_and_results_keep_checklist_order() {
        let (_d, list) = checks(
            &[check("c", "    needs: [b]\n"), check("b", "    needs: [a]\n"), check("a", "")]
                .concat(),
        );
        let fake = Fake::default();
        let r = run(&list, &fake, 4);
        assert_eq!(fake.calls(), ["a", "b", "c"]);
        let ids: Vec<&str> = r.results.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["c", "b", "a"]);
        assert!(r.results.iter().all(|r| r.status == Status::Pass && r.attempts == 1));
        // Events come in completion order, each check started before it finished.
        assert_eq!(
            r.events,
            ["started:a", "finished:a", "started:b", "finished:b", "started:c", "finished:c"]
        );
    }

    #[test]
    fn a_dependency_that_did_not_pass_skips_its_dependents_transitively() {
        let (_d, list) = checks(
            &[
                check("a", ""),
                check("b", "    needs: [a]\n"),
                check("c", "    needs: [b]\n"),
                check("d", ""),
            ]
            .concat(),
        );
        let fake = Fake::with(&[("a", &[Status::Error])]);
        let r = run(&list, &fake, 2);
        let mut calls = fake.calls();
        calls.sort();
        assert_eq!(calls, ["a", "d"], "dependents of a failed check never run");
        let b = by_id(&r.results, "b");
        assert_eq!((b.status, b.skip_cause), (Status::Skip, Some(SkipCause::Dependency)));
        assert_eq!(b.reason, "needs `a`, which did not pass (error)");
        let c = by_id(&r.results, "c");
        assert_eq!(c.skip_cause, Some(SkipCause::Dependency));
        assert_eq!(c.reason, "needs `b`, which did not pass (skip)");
        assert_eq!(c.attempts, 0);
        assert_eq!(by_id(&r.results, "d").status, Status::Pass);
        assert!(!r.events.contains(&"started:b".to_string()));
        assert!(r.events.contains(&"finished:c".to_string()));
    }

    #[test]
    fn an_unmet_when_skips_without_running_and_does_not_block_dependents_as_passed() {
        let (_d, list) = checks(
            &[
                check("deploy", "    when: { env: DEPLOY_TOKEN }\n"),
                check("local", "    when: { env_unset: CI }\n"),
                check("after", "    needs: [deploy]\n"),
            ]
            .concat(),
        );
        let fake = Fake::default();
        let env = |name: &str| (name == "CI").then(|| "true".to_string());
        let r = run_with(&list, &fake, &Waits::default(), 2, None, &env, &AtomicBool::new(false));
        assert!(fake.calls().is_empty(), "no probe ran: {:?}", fake.calls());
        let deploy = by_id(&r.results, "deploy");
        assert_eq!(deploy.skip_cause, Some(SkipCause::NotApplicable));
        assert_eq!(deploy.reason, "not applicable: $DEPLOY_TOKEN is not set");
        assert_eq!(by_id(&r.results, "local").reason, "not applicable: $CI is set");
        let after = by_id(&r.results, "after");
        assert_eq!(after.skip_cause, Some(SkipCause::Dependency));
    }

    #[test]
    fn retries_back_off_exponentially_until_a_pass() {
        let (_d, list) = checks(&check("flaky", "    retries: 3\n"));
        let fake = Fake::with(&[("flaky", &[Status::Fail, Status::Error, Status::Pass])]);
        let waits = Waits::default();
        let r = run_with(&list, &fake, &waits, 1, None, &|_| None, &AtomicBool::new(false));
        let flaky = by_id(&r.results, "flaky");
        assert_eq!((flaky.status, flaky.attempts), (Status::Pass, 3));
        assert_eq!(flaky.reason, "attempt 3");
        assert_eq!(
            *waits.0.lock().unwrap(),
            [Duration::from_millis(200), Duration::from_millis(400)]
        );
    }

    #[test]
    fn retries_stop_after_the_last_one_and_the_delay_is_capped() {
        let (_d, list) = checks(&[check("down", "    retries: 7\n"), check("once", "")].concat());
        let fake = Fake::with(&[("down", &[Status::Fail]), ("once", &[Status::Fail])]);
        let waits = Waits::default();
        let r = run_with(&list, &fake, &waits, 1, None, &|_| None, &AtomicBool::new(false));
        assert_eq!(by_id(&r.results, "down").attempts, 8);
        assert_eq!(by_id(&r.results, "down").status, Status::Fail);
        assert_eq!(by_id(&r.results, "once").attempts, 1, "no retries unless asked");
        let ms: Vec<u128> = waits.0.lock().unwrap().iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [200, 400, 800, 1600, 3200, 5000, 5000]);
    }

    #[test]
    fn fail_fast_skips_what_has_not_started_after_a_blocking_failure() {
        use crate::checklist::model::Severity;
        let (_d, list) = checks(
            &[
                check("minor", "    severity: low\n"),
                check("gate", "    severity: high\n"),
                check("later", ""),
                check("last", "    needs: [later]\n"),
            ]
            .concat(),
        );
        let fake = Fake::with(&[("minor", &[Status::Fail]), ("gate", &[Status::Fail])]);
        let r = run_with(
            &list,
            &fake,
            &Waits::default(),
            1,
            Some(Severity::High),
            &|_| None,
            &AtomicBool::new(false),
        );
        // A low failure does not stop the run; the high one does.
        assert_eq!(fake.calls(), ["minor", "gate"]);
        for id in ["later", "last"] {
            let s = by_id(&r.results, id);
            assert_eq!((s.status, s.skip_cause), (Status::Skip, Some(SkipCause::Interrupted)));
            assert_eq!(s.reason, "not run: --fail-fast stopped the run after `gate` (fail)");
        }
    }

    #[test]
    fn cancellation_skips_the_rest_as_interrupted_and_stops_retrying() {
        let (_d, list) = checks(
            &[check("a", "    retries: 5\n"), check("b", ""), check("c", "    needs: [b]\n")]
                .concat(),
        );
        let fake = Fake { cancel_during: Some("a"), ..Fake::with(&[("a", &[Status::Fail])]) };
        let waits = Waits::default();
        let cancel = AtomicBool::new(false);
        let r = run_with(&list, &fake, &waits, 1, None, &|_| None, &cancel);
        assert_eq!(fake.calls(), ["a"], "no retry and nothing new after Ctrl-C");
        assert!(waits.0.lock().unwrap().is_empty());
        assert_eq!(by_id(&r.results, "a").status, Status::Fail);
        for id in ["b", "c"] {
            let s = by_id(&r.results, id);
            assert_eq!(s.skip_cause, Some(SkipCause::Interrupted), "{id}");
            assert_eq!(s.reason, "not run: the run was interrupted");
        }
        assert_eq!(r.results.len(), 3);
    }

    #[test]
    fn jobs_limits_the_checks_in_flight() {
        let yaml: String = (0..9).map(|i| check(&format!("c{i}"), "")).collect();
        let (_d, list) = checks(&yaml);
        // Each attempt waits until three are in flight: three workers meet, a fourth never
        // starts while they wait.
        let fake = Fake { rendezvous: Some(3), ..Fake::default() };
        let r = run(&list, &fake, 3);
        assert_eq!(fake.max_in_flight.load(Ordering::SeqCst), 3);
        assert_eq!(fake.calls().len(), 9);
        assert!(r.results.iter().all(|r| r.status == Status::Pass));

        let fake = Fake::default();
        run(&list, &fake, 1);
        assert_eq!(fake.max_in_flight.load(Ordering::SeqCst), 1);
        let ids: Vec<String> = (0..9).map(|i| format!("c{i}")).collect();
        assert_eq!(fake.calls(), ids, "one worker runs ready checks in checklist order");
    }
}
