//! The loom engine: one loom thread per process, every step taken under a loom `Mutex` around
//! the World with a `Condvar` for blocked processes, so that loom's DPOR enumerates the
//! interleavings of the steps up to a preemption bound. The restore check runs on the main
//! thread after the joins. The only file that imports loom.

use super::options::{LoomSync, Options};
use super::recorder::{Recorder, coarse_engine};
use super::report::Report;
use crate::scenario::Scenario;
use crate::scenario::ops::res;
use crate::trace::{Engine, EngineInfo};
use crate::world::{ProcId, World};
use loom::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::sync::{Arc as StdArc, Mutex as StdMutex};

/// loom's limit on spawned threads (its `MAX_THREADS` is 5, including the main thread).
pub const MAX_SPAWNED: usize = 4;

coarse_engine!(Mutex, MutexGuard, Condvar, Arc, loom::thread::spawn);

/// The shared part of `fine` synchronisation.
struct Fine {
    world: StdMutex<World>,
    tokens: Vec<Mutex<()>>,
    mbox: Vec<Mutex<()>>,
    cvs: Vec<Condvar>,
}

/// `fine` synchronisation: the World sits in a std mutex that loom does not see; each step first
/// takes one loom mutex per shared resource in its footprint (`Scenario::footprint`, in a fixed
/// order), so steps with disjoint footprints are independent for loom's DPOR. A blocked process
/// waits on its own condvar (under its mailbox mutex, taken before its footprint is released, so
/// no wake-up is lost); a step wakes exactly the processes it made runnable.
fn process_fine(sc: &Scenario, f: &Fine, rec: &Recorder, p: ProcId) {
    let daemon = sc.procs[usize::from(p)].daemon;
    let n = sc.procs.len();
    loop {
        let fp = {
            let g = f.world.lock().unwrap_or_else(|e| e.into_inner());
            if !daemon && sc.finished(&g, p) {
                break;
            }
            sc.footprint(&g, p)
        };
        let coarse = res::coarse(fp);
        let guards: Vec<_> = (0..f.tokens.len())
            .filter(|i| coarse & (1 << i) != 0)
            .map(|i| f.tokens[i].lock().unwrap())
            .collect();
        let mut g = f.world.lock().unwrap_or_else(|e| e.into_inner());
        if daemon && fp & res::DONE != 0 && sc.terminal(&g) {
            break;
        }
        if sc.enabled(&g, p) {
            let others = (0..n)
                .filter_map(|i| ProcId::try_from(i).ok())
                .filter(|&q| q != p);
            let blocked: Vec<ProcId> = others
                .filter(|&q| !sc.enabled(&g, q) && !sc.finished(&g, q))
                .collect();
            sc.step(&mut g, p, None);
            rec.step(p);
            let terminal = sc.terminal(&g);
            let wake: Vec<ProcId> = blocked
                .into_iter()
                .filter(|&q| {
                    sc.enabled(&g, q)
                        || sc.finished(&g, q)
                        || (terminal && sc.procs[usize::from(q)].daemon)
                })
                .collect();
            drop(g);
            for q in wake {
                let _m = f.mbox[usize::from(q)].lock().unwrap();
                f.cvs[usize::from(q)].notify_one();
            }
            drop(guards);
        } else {
            drop(g);
            let m = f.mbox[usize::from(p)].lock().unwrap();
            drop(guards);
            drop(f.cvs[usize::from(p)].wait(m).unwrap());
        }
    }
}

/// Explore with loom.
pub fn explore(sc: &Scenario, opts: &Options) -> Result<Report, super::report::ExploreError> {
    let active = sc.active_procs();
    if active.len() > MAX_SPAWNED {
        return Err(super::report::ExploreError::Unsupported(format!(
            "the loom engine runs one thread per process with something to do, and loom allows at most \
             {MAX_SPAWNED} spawned threads; this scenario has {} ({}). A backup from a standby adds the \
             standby's startup process: give the ordinary backend no actions (`[backend] actions = []`, or `--actions none`) to run it \
             under loom, or use --engine native or shuttle.",
            active.len(),
            active
                .iter()
                .map(|&p| sc.procs[usize::from(p)].name)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let rec = StdArc::new(Recorder::new(opts));
    let scs = StdArc::new(sc.clone());
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(opts.preemptions);
    b.max_branches = 10_000;
    b.max_duration = None;
    b.max_permutations = None;
    b.checkpoint_file = None;
    let (r2, s2) = (rec.clone(), scs.clone());
    let fine = opts.loom_sync == LoomSync::Fine;
    let incomplete = rec.run(sc, move || {
        b.check(move || {
            if fine {
                r2.begin();
                let n = s2.procs.len();
                let fine = Arc::new(Fine {
                    world: StdMutex::new(s2.initial()),
                    tokens: (0..res::COUNT).map(|_| Mutex::new(())).collect(),
                    mbox: (0..n).map(|_| Mutex::new(())).collect(),
                    cvs: (0..n).map(|_| Condvar::new()).collect(),
                });
                let handles: Vec<_> = s2
                    .active_procs()
                    .into_iter()
                    .map(|p| {
                        let (sc, f, rc) = (s2.clone(), fine.clone(), r2.clone());
                        loom::thread::spawn(move || process_fine(&sc, &f, &rc, p))
                    })
                    .collect();
                for h in handles {
                    h.join().unwrap();
                }
                let w = fine.world.lock().unwrap_or_else(|e| e.into_inner());
                r2.finish_execution(&s2, &w);
                return;
            }
            r2.begin();
            coarse_body(&s2, &r2);
        });
    })?;
    let bound = opts.preemptions;
    let sync = opts.loom_sync.as_str();
    Ok(rec.report(
        sc,
        |s| {
            format!(
                "exhaustive to preemption bound {bound} ({sync} sync): {} executions, {} steps ({:.0} executions/s)",
                s.executions,
                s.transitions,
                if s.seconds > 0.0 { s.executions as f64 / s.seconds } else { 0.0 }
            )
        },
        EngineInfo {
            name: Engine::Loom,
            seed: None,
            bound: Some(format!("preemption bound {bound}, {sync} sync")),
            schedule: None,
        },
        incomplete,
    ))
}
