//! The one way to run a schedule outside the engines: a [`Scheduler`] picks each next process
//! (a fixed list, serial, random, another trace's order, a recorded trace checked as it goes),
//! [`run`] steps the model, records each step's event and lets the caller look at the world
//! before each step (explain takes the footprints there).

use super::format::Step;
use crate::scenario::Scenario;
use crate::world::{ProcId, World};

/// Picks the processes of a schedule, one step at a time.
pub trait Scheduler {
    /// What stops the run (a divergence, a deadlock, a process that cannot step).
    type Error;
    /// The process that takes step `index` in `w`, or `None` when the schedule ends.
    fn next(
        &mut self,
        sc: &Scenario,
        w: &World,
        index: usize,
    ) -> Result<Option<ProcId>, Self::Error>;
    /// The process picked cannot step here (`why`): the error to stop with.
    fn cannot_step(&self, index: usize, why: String) -> Self::Error;
    /// The step just taken, to check it (a recorded trace compares its event).
    fn stepped(&mut self, _step: &Step) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// A schedule run: the world at its end, each step with its event, the processes in order.
#[derive(Debug)]
pub struct Ran {
    /// The world after the last step.
    pub world: World,
    /// The steps, with their events.
    pub steps: Vec<Step>,
    /// The process of each step.
    pub schedule: Vec<ProcId>,
}

/// Run the schedule `sched` picks from the initial world; `before(w, p)` sees the world before
/// each step of process `p`.
pub fn run<S: Scheduler>(
    sc: &Scenario,
    sched: &mut S,
    mut before: impl FnMut(&World, ProcId),
) -> Result<Ran, S::Error> {
    let mut w = sc.initial();
    let mut steps = Vec::new();
    let mut schedule = Vec::new();
    while let Some(p) = sched.next(sc, &w, steps.len())? {
        let index = steps.len();
        if usize::from(p) >= sc.procs.len() {
            return Err(sched.cannot_step(index, format!("process {p} does not exist")));
        }
        if !sc.enabled(&w, p) {
            let why = format!(
                "{} is blocked here: {}",
                sc.procs[usize::from(p)].name,
                sc.blocked_reason(&w, p)
            );
            return Err(sched.cannot_step(index, why));
        }
        before(&w, p);
        let op = sc.next_op(&w, p).map(|o| o.name()).unwrap_or_default();
        let mut event = String::new();
        sc.step(&mut w, p, Some(&mut event));
        let step = Step {
            index,
            proc: sc.procs[usize::from(p)].name.to_string(),
            op,
            event,
        };
        sched.stepped(&step)?;
        steps.push(step);
        schedule.push(p);
    }
    Ok(Ran {
        world: w,
        steps,
        schedule,
    })
}

/// A schedule given as a list of processes.
pub struct Fixed<'a>(pub &'a [ProcId]);

impl Scheduler for Fixed<'_> {
    type Error = String;
    fn next(&mut self, _sc: &Scenario, _w: &World, index: usize) -> Result<Option<ProcId>, String> {
        Ok(self.0.get(index).copied())
    }
    fn cannot_step(&self, index: usize, why: String) -> String {
        format!("step {index}: {why}")
    }
}

/// Re-execute a schedule, recording each step's event.
pub fn run_schedule(sc: &Scenario, schedule: &[ProcId]) -> Result<(World, Vec<Step>), String> {
    let r = run(sc, &mut Fixed(schedule), |_, _| {})?;
    Ok((r.world, r.steps))
}
