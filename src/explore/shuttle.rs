//! The shuttle engine: one shuttle thread per process under a shuttle `Mutex` + `Condvar`, with
//! shuttle's random, PCT or DFS scheduler choosing who runs at every synchronisation point. The
//! seed and strategy are recorded in the trace. The only file that imports shuttle.

use super::options::{Options, Strategy};
use super::recorder::{Recorder, coarse_engine};
use super::report::Report;
use crate::scenario::Scenario;
use crate::trace::{Engine, EngineInfo};
use crate::world::{ProcId, World};
use shuttle::scheduler::{
    DfsScheduler, PctScheduler, RandomScheduler, Schedule, Scheduler, Task, TaskId,
};
use shuttle::sync::{Condvar, Mutex, MutexGuard};
use shuttle::thread::spawn;
use std::sync::Arc;

coarse_engine!(Mutex, MutexGuard, Condvar, Arc, spawn);

/// A shuttle scheduler that ends the run (rather than panicking) when the recorder says a budget
/// is spent or the first violation was found. The inner scheduler is forgotten when the run is cut
/// short: shuttle's `RandomScheduler` prints "failing seed ... To replay the failure" from a drop
/// guard when dropped mid-run, which would be a false alarm here (the seed is in our trace).
struct Stoppable<S> {
    inner: Option<S>,
    rec: Arc<Recorder>,
}

impl<S: Scheduler> Scheduler for Stoppable<S> {
    fn new_execution(&mut self) -> Option<Schedule> {
        if self.rec.should_stop() {
            if let Some(inner) = self.inner.take() {
                std::mem::forget(inner);
            }
            return None;
        }
        self.inner.as_mut()?.new_execution()
    }
    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        match self.inner.as_mut() {
            Some(s) => s.next_task(runnable, current, is_yielding),
            None => runnable.first().map(|t| t.id()),
        }
    }
    fn next_u64(&mut self) -> u64 {
        self.inner.as_mut().map_or(0, Scheduler::next_u64)
    }
}

fn run_with<S: Scheduler + 'static>(sched: S, sc: &Arc<Scenario>, rec: &Arc<Recorder>) {
    let mut config = shuttle::Config::default();
    config.failure_persistence = shuttle::FailurePersistence::None;
    let (s2, r2) = (sc.clone(), rec.clone());
    let sched = Stoppable {
        inner: Some(sched),
        rec: rec.clone(),
    };
    shuttle::Runner::new(sched, config).run(move || coarse_body(&s2, &r2));
}

/// Explore with shuttle.
pub fn explore(sc: &Scenario, opts: &Options) -> Result<Report, super::report::ExploreError> {
    // shuttle's schedulers would silently take this seed instead of ours, and the trace would
    // record the wrong one.
    if std::env::var_os("SHUTTLE_RANDOM_SEED").is_some() {
        return Err(super::report::ExploreError::Unsupported(
            "SHUTTLE_RANDOM_SEED is set in the environment; shuttle would use it instead of --seed \
             and the trace would record the wrong seed. Unset it and pass --seed."
                .into(),
        ));
    }
    let rec = Arc::new(Recorder::new(opts));
    let scs = Arc::new(sc.clone());
    let n = usize::try_from(opts.iterations).unwrap_or(usize::MAX);
    let (seed, depth, strategy) = (opts.seed, opts.depth, opts.strategy);
    let (s2, r2) = (scs.clone(), rec.clone());
    let incomplete = rec.run(sc, move || match strategy {
        Strategy::Random => run_with(RandomScheduler::new_from_seed(seed, n), &s2, &r2),
        Strategy::Pct => run_with(PctScheduler::new_from_seed(seed, depth, n), &s2, &r2),
        Strategy::Dfs => run_with(DfsScheduler::new(Some(n), false), &s2, &r2),
    })?;
    let (what, seed_rec) = match strategy {
        Strategy::Random => (format!("random, seed {seed}"), Some(seed)),
        Strategy::Pct => (format!("pct depth {depth}, seed {seed}"), Some(seed)),
        Strategy::Dfs => ("dfs".to_string(), None),
    };
    let iterations = opts.iterations;
    let what2 = what.clone();
    Ok(rec.report(
        sc,
        move |s| {
            let dfs_done = strategy == Strategy::Dfs && s.executions < iterations;
            format!(
                "{} {} schedules ({what2}), {} steps ({:.0} schedules/s)",
                if dfs_done {
                    "exhaustive DFS:"
                } else {
                    "sampled"
                },
                s.executions,
                s.transitions,
                if s.seconds > 0.0 {
                    s.executions as f64 / s.seconds
                } else {
                    0.0
                }
            )
        },
        EngineInfo {
            name: Engine::Shuttle,
            seed: seed_rec,
            bound: Some(format!("{what}, {iterations} iterations")),
            schedule: None,
        },
        incomplete,
    ))
}
