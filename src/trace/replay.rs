//! `replay`: a trace re-executed step by step through the schedule runner, each step's
//! process, op and event checked against the record, then the WAL, the restore log and the
//! violation at the end.

use super::document::{restore_log, wal_lines};
use super::format::{Step, Trace, TraceError};
use super::run::{self, Scheduler};
use crate::property::{self, Violation};
use crate::scenario::Scenario;
use crate::world::{ProcId, World};

/// The result of a successful replay.
#[derive(Debug)]
pub struct Replayed {
    /// The scenario rebuilt from the inline model.
    pub scenario: Scenario,
    /// The violation reproduced (same property as recorded); `None` for a control schedule.
    pub violation: Option<Violation>,
    /// Steps re-executed.
    pub steps: Vec<Step>,
    /// The world at the end of the schedule.
    pub world: World,
}

/// The recorded steps as a [`Scheduler`]: each step's process, op and event must be what the
/// model does.
struct Recorded<'a> {
    steps: &'a [Step],
    path: &'a str,
}

impl Recorded<'_> {
    fn diverged(&self, index: usize, message: String) -> TraceError {
        TraceError::Diverged {
            path: self.path.into(),
            index,
            message,
        }
    }
}

impl Scheduler for Recorded<'_> {
    type Error = TraceError;

    fn next(&mut self, sc: &Scenario, w: &World, i: usize) -> Result<Option<ProcId>, TraceError> {
        let Some(s) = self.steps.get(i) else {
            return Ok(None);
        };
        if s.index != i {
            return Err(TraceError::Field {
                path: self.path.into(),
                field: format!("steps[{i}].index"),
                message: format!("is {}, expected {i}", s.index),
            });
        }
        let Some(p) = sc.proc_id(&s.proc) else {
            let known: Vec<&str> = sc.procs.iter().map(|p| p.name).collect();
            return Err(self.diverged(
                i,
                format!("unknown process {:?} (known: {})", s.proc, known.join(", ")),
            ));
        };
        let Some(op) = sc.next_op(w, p) else {
            return Err(self.diverged(i, format!("{} has already finished", s.proc)));
        };
        let op_name = op.name();
        if op_name != s.op {
            return Err(self.diverged(
                i,
                format!(
                    "{} would run {op_name:?}, the trace says {:?}",
                    s.proc, s.op
                ),
            ));
        }
        Ok(Some(p))
    }

    fn cannot_step(&self, index: usize, why: String) -> TraceError {
        self.diverged(index, why)
    }

    fn stepped(&mut self, step: &Step) -> Result<(), TraceError> {
        let s = &self.steps[step.index];
        if step.event != s.event {
            return Err(self.diverged(
                step.index,
                format!("event is {:?}, the trace says {:?}", step.event, s.event),
            ));
        }
        Ok(())
    }
}

/// Re-execute a trace step by step; fail at the first divergence. Succeeds only if the recorded
/// property is violated again at the end.
pub fn replay(t: &Trace, path: &str) -> Result<Replayed, TraceError> {
    replay_with(t, path, |_, _, _| {})
}

/// [`replay`], with `before(sc, w, p)` called before each step of process `p` on the world it
/// starts from (explain takes each step's footprint there).
pub fn replay_with(
    t: &Trace,
    path: &str,
    mut before: impl FnMut(&Scenario, &World, ProcId),
) -> Result<Replayed, TraceError> {
    let sc = Scenario::new(&t.model);
    let ran = run::run(
        &sc,
        &mut Recorded {
            steps: &t.steps,
            path,
        },
        |w, p| before(&sc, w, p),
    )?;
    let (w, steps) = (ran.world, ran.steps);
    let wal = wal_lines(&w);
    if wal != t.wal {
        return Err(TraceError::Field {
            path: path.into(),
            field: "wal".into(),
            message: "the WAL after replay differs from the recorded one".into(),
        });
    }
    let field = |field: &str, message: String| TraceError::Field {
        path: path.into(),
        field: field.into(),
        message,
    };
    let restore_log = restore_log(&sc, &w);
    if restore_log != t.restore_log {
        let at = restore_log
            .iter()
            .zip(&t.restore_log)
            .position(|(a, b)| a != b)
            .unwrap_or(restore_log.len().min(t.restore_log.len()));
        return Err(field(
            "restore-log",
            format!("differs from the replayed restore's log at line {at}"),
        ));
    }
    let verdicts = property::evaluate(&sc, &w);
    let Some(tv) = &t.violation else {
        if let Some(v) = verdicts.violations.first() {
            return Err(field(
                "violation",
                format!(
                    "is absent (a control schedule), but the schedule violates {}: {}",
                    v.property, v.message
                ),
            ));
        }
        return Ok(Replayed {
            scenario: sc,
            violation: None,
            steps,
            world: w,
        });
    };
    let Some(v) = verdicts
        .violations
        .into_iter()
        .find(|v| v.property == tv.property)
    else {
        return Err(field(
            "violation.property",
            format!(
                "{} is not violated at the end of the replayed schedule",
                tv.property
            ),
        ));
    };
    if v.message != tv.message {
        return Err(field(
            "violation.message",
            format!("is {:?}; replay says {:?}", tv.message, v.message),
        ));
    }
    if v.details != tv.details {
        return Err(field(
            "violation.details",
            format!("are {:?}; replay says {:?}", tv.details, v.details),
        ));
    }
    Ok(Replayed {
        scenario: sc,
        violation: Some(v),
        steps,
        world: w,
    })
}
