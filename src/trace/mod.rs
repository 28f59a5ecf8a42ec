//! The trace format: a self-contained, versioned JSON document for one counterexample, its writer
//! and reader, and `replay`, which re-executes it step by step.
//!
//! # Format (schema `racecheck-trace/2`)
//! ```json
//! {
//!   "schema": "racecheck-trace/2",        // bumped on any change of this format
//!   "racecheck-version": "0.1.0",
//!   "model": { ...every knob of the variant, as in models/NAME.toml... },
//!   "engine": { "name": "native", "bound": "exhaustive BFS", "seed": 1, "schedule": "..." },
//!   "violation": { "property": "invalid-pages",
//!                  "message": "PANIC: WAL contains references to invalid pages",
//!                  "details": ["WARNING: page 1 of relation pg_tblspc/16400/16384/16385 does not exist", ...] },
//!   "steps": [ { "index": 0, "proc": "walsender", "op": "do_pg_start_backup",
//!                "event": "runningBackups++, forcePageWrites; RequestCheckpoint(IMMEDIATE|FORCE|WAIT)" }, ... ],
//!   "wal": [ "0: CHECKPOINT_ONLINE redo 0", ... ],   // the primary's WAL at the end
//!   "restore-log": [ "redo 3: DBASE_CREATE(_FILE_COPY) copy base/16384 -> ...", ... ]
//! }
//! ```
//! Unknown fields are rejected everywhere. `steps[i].proc` names a process of the scenario,
//! `op` the op it runs (as `Op::name`), `event` what the step did; replay checks all three at
//! every step, so a trace that no longer matches the model fails loudly at the first divergence.
//! `wal`, `restore-log` and the violation's `message` and `details` are for reading; replay
//! recomputes and compares them too. What replay cannot recompute: `racecheck-version` (any
//! version that reproduces the steps is accepted), `engine` (which engine found the schedule
//! does not change what it does), `model.name`, `model.description` and `model.expect` (labels:
//! the knobs, which are all recomputed from, are checked through every step).
//!
//! A trace without `violation` is a *control schedule* (`racecheck schedule`): a schedule under
//! which nothing is violated; replay checks that nothing is.

//!
//! Files: `format.rs` (the document's types), `io.rs` (atomic write, read, parse),
//! `document.rs` (a trace from a schedule run), `run.rs` (the one schedule runner and its
//! schedulers' interface), `schedule.rs` (control schedules), `replay.rs`.

mod document;
mod format;
mod io;
mod replay;
pub mod run;
mod schedule;

pub use document::build;
pub use format::{
    Counterexample, Engine, EngineInfo, SCHEMA, Step, Trace, TraceError, TraceViolation,
};
pub use io::{check_writable, parse, read, write};
pub use replay::{Replayed, replay, replay_with};
pub use run::run_schedule;
pub use schedule::{Pick, schedule};
