//! A trace built from a schedule run: its steps with their events, the WAL and the restore log
//! at its end, and the violation there (none: a control schedule).

use super::format::{Counterexample, EngineInfo, SCHEMA, Trace, TraceViolation};
use super::run;
use crate::property::Violation;
use crate::scenario::Scenario;
use crate::world::restore;
use crate::world::{ProcId, World};

pub(super) fn wal_lines(w: &World) -> Vec<String> {
    w.wal
        .iter()
        .enumerate()
        .map(|(i, r)| format!("{i}: {r}"))
        .collect()
}

/// Build the trace of a counterexample.
pub fn build(sc: &Scenario, cx: &Counterexample, engine: &EngineInfo) -> Result<Trace, String> {
    document(sc, &cx.schedule, engine.clone(), |_| {
        Some(cx.violation.clone())
    })
}

/// The trace of a schedule: its steps re-executed with their events, the WAL and the restore
/// log at its end, and the violation `violation` gives for the end state (none: a control
/// schedule).
fn document(
    sc: &Scenario,
    schedule: &[ProcId],
    engine: EngineInfo,
    violation: impl FnOnce(&World) -> Option<Violation>,
) -> Result<Trace, String> {
    let ran = run::run(sc, &mut run::Fixed(schedule), |_, _| {})?;
    Ok(document_ran(sc, ran, engine, violation))
}

/// The trace of a schedule already run.
pub(super) fn document_ran(
    sc: &Scenario,
    ran: run::Ran,
    engine: EngineInfo,
    violation: impl FnOnce(&World) -> Option<Violation>,
) -> Trace {
    let (w, steps) = (ran.world, ran.steps);
    let violation = violation(&w).map(|v| TraceViolation {
        property: v.property,
        message: v.message,
        details: v.details,
    });
    Trace {
        schema: SCHEMA.into(),
        racecheck_version: env!("CARGO_PKG_VERSION").into(),
        model: sc.model.clone(),
        engine,
        violation,
        steps,
        wal: wal_lines(&w),
        restore_log: restore_log(sc, &w),
    }
}

/// The startup process's log of the restore (and of the primary's crash recovery, after a
/// crash) at the end of a schedule; empty if the run has not finished.
pub(super) fn restore_log(sc: &Scenario, w: &World) -> Vec<String> {
    if !sc.terminal(w) {
        return Vec::new();
    }
    let mut log = restore::restore(w, &sc.sem, true).log;
    if w.crashed {
        log.push("crash recovery of the primary (from the last checkpoint's redo):".into());
        log.extend(
            restore::crash_recovery(w, &sc.sem, sc.src, true)
                .log
                .into_iter()
                .map(|l| format!("  {l}")),
        );
    }
    log
}
