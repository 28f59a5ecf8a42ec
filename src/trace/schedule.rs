//! Control schedules (`racecheck schedule`): the processes picked serially, at random from a
//! seed, or in another trace's order, run to the end and judged.

use super::document::document_ran;
use super::format::Engine;
use super::format::{EngineInfo, Trace};
use super::run::{self, Scheduler};
use crate::property;
use crate::scenario::Scenario;
use crate::world::{ProcId, World};

/// How [`schedule`] picks the next process.
#[derive(Clone, Debug)]
pub enum Pick {
    /// One after another: the processes in this order first (a process not named after those
    /// named; a daemon only when no other process can step), each as far as it can.
    Serial(Vec<ProcId>),
    /// At random among the enabled processes, from this seed (splitmix64, written out here so
    /// that a seed gives the same schedule in every version of racecheck).
    Random(u64),
    /// The process order of another trace (`source`, its steps' processes by name), followed
    /// while it stays possible: a step whose process cannot step here (blocked, finished, or
    /// absent from this model) is skipped, and once the order is used up the rest runs
    /// serially. The trace's engine record says which steps were skipped.
    Like {
        /// The trace the order comes from (for the record).
        source: String,
        /// Its steps' process names, in order.
        procs: Vec<String>,
    },
}

/// [`Pick`] as a [`Scheduler`]: the priority order, the random state, and for `Like` where the
/// source order is and what it skipped.
struct Picker<'a> {
    pick: &'a Pick,
    prio: Vec<ProcId>,
    rng: u64,
    next: usize,
    skipped: Vec<String>,
    serial_from: Option<usize>,
}

impl Scheduler for Picker<'_> {
    type Error = String;

    fn next(&mut self, sc: &Scenario, w: &World, index: usize) -> Result<Option<ProcId>, String> {
        if sc.terminal(w) {
            return Ok(None);
        }
        if let Pick::Like { procs, .. } = self.pick {
            while self.next < procs.len() {
                let (at, name) = (self.next, &procs[self.next]);
                self.next += 1;
                match sc.proc_id(name) {
                    Some(p) if sc.enabled(w, p) => return Ok(Some(p)),
                    Some(p) if sc.finished(w, p) => {
                        self.skipped.push(format!("{at} {name} (finished)"));
                    }
                    Some(_) => self.skipped.push(format!("{at} {name} (blocked)")),
                    None => self.skipped.push(format!("{at} {name} (no such process)")),
                }
            }
            self.serial_from.get_or_insert(index);
        }
        let enabled: Vec<ProcId> = self
            .prio
            .iter()
            .copied()
            .filter(|&p| sc.enabled(w, p))
            .collect();
        let Some(&first) = enabled.first() else {
            return Err("the schedule deadlocks".into());
        };
        Ok(Some(match self.pick {
            Pick::Serial(_) | Pick::Like { .. } => first,
            Pick::Random(_) => {
                // splitmix64
                self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = self.rng;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                z ^= z >> 31;
                let n = u64::try_from(enabled.len()).unwrap_or(1);
                enabled[usize::try_from(z % n).unwrap_or(0)]
            }
        }))
    }

    fn cannot_step(&self, index: usize, why: String) -> String {
        format!("step {index}: {why}")
    }
}

/// One schedule run to its end, judged: the trace records the first violation at the end, or
/// none (a control schedule).
pub fn schedule(sc: &Scenario, pick: &Pick) -> Result<Trace, String> {
    let ids = || (0..sc.procs.len()).filter_map(|i| ProcId::try_from(i).ok());
    let prio: Vec<ProcId> = match pick {
        Pick::Serial(order) => {
            let mut prio = order.clone();
            prio.extend(ids().filter(|p| !order.contains(p) && !sc.procs[usize::from(*p)].daemon));
            prio.extend(ids().filter(|p| sc.procs[usize::from(*p)].daemon));
            prio
        }
        Pick::Random(_) | Pick::Like { .. } => ids().collect(),
    };
    let mut picker = Picker {
        pick,
        prio,
        rng: match pick {
            Pick::Random(seed) => *seed,
            Pick::Serial(_) | Pick::Like { .. } => 0,
        },
        next: 0,
        skipped: Vec::new(),
        serial_from: None,
    };
    let ran = run::run(sc, &mut picker, |_, _| {})?;
    let (skipped, serial_from) = (picker.skipped, picker.serial_from);
    let (seed, described) = match pick {
        Pick::Serial(order) => (
            None,
            order
                .iter()
                .map(|&p| sc.procs[usize::from(p)].name)
                .collect::<Vec<_>>()
                .join(","),
        ),
        Pick::Random(seed) => (Some(*seed), "random".to_string()),
        Pick::Like { source, procs } => (
            None,
            format!(
                "like {source}: {} of its {} steps followed{}{}",
                procs.len() - skipped.len(),
                procs.len(),
                if skipped.is_empty() {
                    String::new()
                } else {
                    format!("; skipped (step process): {}", skipped.join(", "))
                },
                serial_from.map_or(String::new(), |i| format!(
                    "; from step {i} on, serially (the order used up)"
                ))
            ),
        ),
    };
    let engine = EngineInfo {
        name: Engine::Native,
        seed,
        bound: Some(match pick {
            Pick::Serial(_) => "serial schedule".into(),
            Pick::Random(_) => "random schedule".into(),
            Pick::Like { .. } => "another trace's schedule".into(),
        }),
        schedule: Some(described),
    };
    Ok(document_ran(sc, ran, engine, |w| {
        property::evaluate(sc, w).violations.into_iter().next()
    }))
}
