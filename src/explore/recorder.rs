//! What the thread-based engines (loom, shuttle) share: a recorder that lives outside the
//! engine's synchronisation (a std Mutex), so that the steps of the current execution survive a
//! panic (a deadlock report, a budget stop), plus the budget checks made at the start of every
//! execution. No engine crate is imported here.

use super::options::Options;
use super::progress::Clock;
use super::report::{Collector, Report, Stats};
use crate::property;
use crate::scenario::Scenario;
use crate::trace;
use crate::trace::EngineInfo;
use crate::world::{ProcId, World};
use std::ops::DerefMut;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;

/// Panic payload used to stop an engine when a budget is spent or the first violation is found.
pub const STOP: &str = "racecheck: stop exploring";

struct State {
    schedule: Vec<ProcId>,
    /// Fingerprints (FxHash, fixed seed) of the terminal Worlds reached.
    terminals: std::collections::BTreeSet<u64>,
    collector: Collector,
    stats: Stats,
    clock: Clock,
    stop: Option<String>,
}

/// The per-run recorder.
pub struct Recorder {
    state: Mutex<Option<State>>,
    max_executions: Option<u64>,
    stop_at_first: bool,
    max_seconds: Option<f64>,
    max_memory: Option<u64>,
}

impl Recorder {
    /// A recorder for one run.
    pub fn new(opts: &Options) -> Recorder {
        Recorder {
            state: Mutex::new(Some(State {
                schedule: Vec::new(),
                terminals: std::collections::BTreeSet::new(),
                collector: Collector::default(),
                stats: Stats::default(),
                clock: Clock::new(opts.max_seconds, opts.progress.clone()),
                stop: None,
            })),
            max_executions: opts.max_states,
            stop_at_first: opts.stop_at_first,
            max_seconds: opts.max_seconds,
            max_memory: opts.max_memory,
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let mut g = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(g.as_mut().expect("recorder used after finish"))
    }

    /// Start an execution. Panics with [`STOP`] when a budget is spent (checked on every
    /// execution) or the first violation was found under `--stop-at-first`.
    pub fn begin(&self) {
        if self.should_stop() {
            panic::panic_any(STOP);
        }
    }

    /// Whether the run must end before another execution (a budget is spent, or the first
    /// violation was found under `--stop-at-first`); also prints progress. Engines that can end a
    /// run without a panic (shuttle's scheduler) ask this instead of calling `begin`.
    pub fn should_stop(&self) -> bool {
        let (max_e, max_s, first) = (self.max_executions, self.max_seconds, self.stop_at_first);
        let max_mem = self.max_memory;
        self.with(|s| {
            s.schedule.clear();
            if s.stop.is_none() {
                if let Some(m) = max_e.filter(|m| s.stats.executions >= *m) {
                    s.stop = Some(format!("--max-executions {m} reached"));
                } else if s.clock.expired() {
                    s.stop = Some(format!("--max-seconds {} reached", max_s.unwrap_or(0.0)));
                } else if super::progress::interrupted() {
                    s.stop = Some("interrupted (Ctrl-C)".into());
                } else if let Some(max) = max_mem.filter(|_| s.stats.executions % 64 == 0)
                    && super::progress::resident_bytes().is_some_and(|r| r >= max)
                {
                    s.stop = Some(format!(
                        "--max-memory {} reached",
                        super::progress::human_bytes(max)
                    ));
                } else if first && s.collector.violated() {
                    s.stop =
                        Some("stopped at the first violation; --all-violations continues".into());
                }
            }
            let (n, secs) = (s.stats.executions, s.clock.seconds());
            s.clock.tick(|| {
                format!(
                    "{n} executions, {:.0} executions/s",
                    n as f64 / secs.max(1e-9)
                )
            });
            s.stop.is_some()
        })
    }

    /// Record one step of process `p`.
    pub fn step(&self, p: ProcId) {
        self.with(|s| {
            s.schedule.push(p);
            s.stats.states += 1;
            s.stats.transitions += 1;
        });
    }

    /// End an execution whose processes all finished: evaluate the properties on `w`.
    pub fn finish_execution(&self, sc: &Scenario, w: &World) {
        let v = property::evaluate(sc, w);
        let fp = {
            use std::hash::{Hash, Hasher};
            let mut h = rustc_hash::FxHasher::default();
            w.hash(&mut h);
            h.finish()
        };
        self.with(|s| {
            s.stats.executions += 1;
            if s.terminals.insert(fp) {
                s.stats.distinct_terminals += 1;
            }
            s.stats.max_depth = s.stats.max_depth.max(s.schedule.len() as u64);
            let sched = s.schedule.clone();
            s.collector.record(v, || sched);
        });
    }

    /// Run `engine` (which calls [`Recorder::begin`], [`Recorder::step`] and
    /// [`Recorder::finish_execution`]), catching the engine's panics: a [`STOP`] ends the run as
    /// inconclusive (or violated), a deadlock report is turned into a `deadlock` counterexample
    /// from the recorded steps, anything else is an error.
    pub fn run(
        &self,
        sc: &Scenario,
        engine: impl FnOnce(),
    ) -> Result<Option<String>, super::report::ExploreError> {
        let hook = panic::take_hook();
        panic::set_hook(Box::new(|_| {}));
        let r = panic::catch_unwind(AssertUnwindSafe(engine));
        panic::set_hook(hook);
        match r {
            Ok(()) => Ok(self.with(|s| s.stop.clone())),
            Err(payload) => {
                let msg = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                if msg == STOP {
                    let why = self.with(|s| s.stop.clone()).unwrap_or_default();
                    return Ok(Some(why));
                }
                // The engine gave up on this execution (e.g. loom/shuttle deadlock detection):
                // re-execute the recorded steps and let the properties judge the state.
                let sched = self.with(|s| s.schedule.clone());
                let (w, _) = trace::run_schedule(sc, &sched).map_err(|e| {
                    super::report::ExploreError::Internal(format!(
                        "engine panicked ({msg}); recorded steps do not re-execute: {e}"
                    ))
                })?;
                let v = property::evaluate(sc, &w);
                if v.violations.is_empty() {
                    return Err(super::report::ExploreError::Internal(format!(
                        "the engine panicked: {msg}"
                    )));
                }
                self.with(|s| {
                    s.stats.executions += 1;
                    s.collector.record(v, || sched);
                });
                Ok(None)
            }
        }
    }

    /// Build the report.
    pub fn report(
        &self,
        sc: &Scenario,
        summary: impl FnOnce(&Stats) -> String,
        engine: EngineInfo,
        incomplete: Option<String>,
    ) -> Report {
        let mut g = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut s = g.take().expect("report built once");
        s.clock.done();
        s.stats.seconds = s.clock.seconds();
        let line = match &incomplete {
            Some(why) => format!("incomplete ({why}): {}", summary(&s.stats)),
            None => summary(&s.stats),
        };
        s.collector.finish(sc, s.stats, line, engine, incomplete)
    }
}

/// The World under one engine mutex with one engine condvar per process (`coarse`
/// synchronisation), as loom and shuttle each provide it.
pub trait CoarseSync {
    /// The engine's mutex guard.
    type Guard<'a>: DerefMut<Target = World>
    where
        Self: 'a;
    /// Lock the World (a scheduling point).
    fn lock(&self) -> Self::Guard<'_>;
    /// Wait on process `p`'s condvar.
    fn wait<'a>(&'a self, p: ProcId, g: Self::Guard<'a>) -> Self::Guard<'a>;
    /// Wake process `p`.
    fn notify(&self, p: ProcId);
}

/// One process's thread under coarse synchronisation: step whenever enabled (releasing and
/// re-taking the lock after each step, so the engine may switch there), wait on its own condvar
/// while blocked; a step wakes exactly the processes it made runnable (or stopped, when the
/// primary crashes), so blocked processes cause no spurious wake-ups (and no branching).
pub fn coarse_process<S: CoarseSync>(sc: &Scenario, s: &S, rec: &Recorder, p: ProcId) {
    let daemon = sc.procs[usize::from(p)].daemon;
    let mut g = s.lock();
    loop {
        let over = if daemon {
            sc.terminal(&g)
        } else {
            sc.finished(&g, p)
        };
        if over {
            break;
        }
        if sc.enabled(&g, p) {
            let blocked: Vec<ProcId> = (0..sc.procs.len())
                .filter_map(|i| ProcId::try_from(i).ok())
                .filter(|&q| q != p && !sc.enabled(&g, q) && !sc.finished(&g, q))
                .collect();
            sc.step(&mut g, p, None);
            rec.step(p);
            let terminal = sc.terminal(&g);
            for q in blocked {
                // Wake a process this step enabled, stopped (a crash: it must exit its loop),
                // or, at the end of the run, a daemon.
                if sc.enabled(&g, q)
                    || sc.finished(&g, q)
                    || (terminal && sc.procs[usize::from(q)].daemon)
                {
                    s.notify(q);
                }
            }
            drop(g);
            g = s.lock();
        } else {
            g = s.wait(p, g);
        }
    }
}

/// For one model checker's `Mutex`, `MutexGuard`, `Condvar`, `Arc` and `thread::spawn` (loom's,
/// shuttle's), defines `Coarse` (the World under one mutex, one condvar per process: coarse
/// synchronisation) and `coarse_body`, one execution: a thread per process with something to do,
/// each running [`coarse_process`], joined, and the end state handed to the recorder. Written
/// once here; each engine file expands it with its own crate's types.
macro_rules! coarse_engine {
    ($mutex:ident, $guard:ident, $condvar:ident, $arc:ident, $spawn:path) => {
        /// Coarse synchronisation: the World under one mutex, one condvar per process.
        struct Coarse {
            world: $mutex<World>,
            cvs: Vec<$condvar>,
        }

        impl super::recorder::CoarseSync for Coarse {
            type Guard<'a> = $guard<'a, World>;
            fn lock(&self) -> $guard<'_, World> {
                self.world.lock().unwrap()
            }
            fn wait<'a>(&'a self, p: ProcId, g: $guard<'a, World>) -> $guard<'a, World> {
                self.cvs[usize::from(p)].wait(g).unwrap()
            }
            fn notify(&self, p: ProcId) {
                self.cvs[usize::from(p)].notify_one();
            }
        }

        /// One execution under coarse synchronisation.
        fn coarse_body(
            sc: &std::sync::Arc<Scenario>,
            rec: &std::sync::Arc<super::recorder::Recorder>,
        ) {
            let shared = $arc::new(Coarse {
                world: $mutex::new(sc.initial()),
                cvs: (0..sc.procs.len()).map(|_| $condvar::new()).collect(),
            });
            let handles: Vec<_> = sc
                .active_procs()
                .into_iter()
                .map(|p| {
                    let (sc, sh, rc) = (sc.clone(), shared.clone(), rec.clone());
                    $spawn(move || super::recorder::coarse_process(&sc, &*sh, &rc, p))
                })
                .collect();
            for h in handles {
                h.join().unwrap();
            }
            let w = shared.world.lock().unwrap();
            rec.finish_execution(sc, &w);
        }
    };
}
pub(super) use coarse_engine;
