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

use crate::property::{self, Prop, Violation};
use crate::scenario::{Model, Scenario};
use crate::world::redo;
use crate::world::{ProcId, World};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Which engine enumerates the schedules.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    clap::ValueEnum,
    Default,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    /// Explicit-state BFS with hash compaction: exhaustive, shortest counterexamples.
    #[default]
    Native,
    /// loom: exhaustive DPOR over the process threads, to a preemption bound.
    Loom,
    /// shuttle: randomized (random, PCT) or DFS schedules over the process threads.
    Shuttle,
}

impl Engine {
    /// Name as on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Native => "native",
            Engine::Loom => "loom",
            Engine::Shuttle => "shuttle",
        }
    }
}

/// Engine identity and settings, as recorded in a trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EngineInfo {
    /// Engine name.
    pub name: Engine,
    /// Seed (shuttle), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Bound, in words ("preemption bound 2", "pct depth 3, 10000 iterations").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound: Option<String>,
    /// The engine's own schedule encoding (shuttle replay string), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
}

/// A violation with the schedule that reaches it: what an engine hands to [`build`].
#[derive(Clone, Debug)]
pub struct Counterexample {
    /// What was violated.
    pub violation: Violation,
    /// The processes that stepped, in order, from the initial World.
    pub schedule: Vec<ProcId>,
}

/// The schema version written in every trace.
pub const SCHEMA: &str = "racecheck-trace/2";

/// One step of a trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// 0-based position.
    pub index: usize,
    /// Process name.
    pub proc: String,
    /// Op name.
    pub op: String,
    /// What happened, in PostgreSQL's terms.
    pub event: String,
}

/// The violated property.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TraceViolation {
    /// Property.
    pub property: Prop,
    /// Headline message.
    pub message: String,
    /// WARNINGs, differing pages, blocked processes.
    pub details: Vec<String>,
}

/// A counterexample document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Trace {
    /// [`SCHEMA`].
    pub schema: String,
    /// Version of racecheck that wrote it.
    pub racecheck_version: String,
    /// The whole variant, inline.
    pub model: Model,
    /// The engine that found it.
    pub engine: EngineInfo,
    /// The violated property; absent in a control schedule (nothing violated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub violation: Option<TraceViolation>,
    /// The schedule.
    pub steps: Vec<Step>,
    /// The primary's WAL at the end, one record per line.
    pub wal: Vec<String>,
    /// The startup process's log while replaying the restored backup.
    pub restore_log: Vec<String>,
}

/// Why a trace could not be read or replayed (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// File not readable.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// Not valid trace JSON (truncated, unknown field, wrong type...).
    #[error("{path}: not a valid racecheck trace: {message}")]
    Json {
        /// File.
        path: String,
        /// serde_json's message with line and column.
        message: String,
    },
    /// The schema version is not the one this racecheck reads.
    #[error("{path}: field `schema` is {found:?}; this racecheck reads {SCHEMA:?}")]
    Schema {
        /// File.
        path: String,
        /// What the file says.
        found: String,
    },
    /// The inline model is invalid.
    #[error("{path}: field `model.{knob}`: {message}")]
    Model {
        /// File.
        path: String,
        /// Knob.
        knob: String,
        /// What is wrong.
        message: String,
    },
    /// Re-execution diverged from the recorded steps.
    #[error("{path}: replay diverged at steps[{index}]: {message}")]
    Diverged {
        /// File.
        path: String,
        /// Step index.
        index: usize,
        /// What differs.
        message: String,
    },
    /// A field inconsistent with the rest.
    #[error("{path}: field `{field}`: {message}")]
    Field {
        /// File.
        path: String,
        /// Field.
        field: String,
        /// What is wrong.
        message: String,
    },
}

/// Re-execute a schedule, recording each step's event.
pub fn run_schedule(sc: &Scenario, schedule: &[ProcId]) -> Result<(World, Vec<Step>), String> {
    let mut w = sc.initial();
    let mut steps = Vec::with_capacity(schedule.len());
    for (index, &p) in schedule.iter().enumerate() {
        if usize::from(p) >= sc.procs.len() || !sc.enabled(&w, p) {
            return Err(format!("step {index}: process {p} cannot step"));
        }
        let op = sc.next_op(&w, p).map(|o| o.name()).unwrap_or_default();
        let mut event = String::new();
        sc.step(&mut w, p, Some(&mut event));
        steps.push(Step {
            index,
            proc: sc.procs[usize::from(p)].name.to_string(),
            op,
            event,
        });
    }
    Ok((w, steps))
}

fn wal_lines(w: &World) -> Vec<String> {
    w.wal
        .iter()
        .enumerate()
        .map(|(i, r)| format!("{i}: {r}"))
        .collect()
}

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
    let mut rng = match pick {
        Pick::Random(seed) => *seed,
        Pick::Serial(_) | Pick::Like { .. } => 0,
    };
    let mut w = sc.initial();
    let mut schedule = Vec::new();
    // For `Like`: the next step of the source order, the steps skipped, and where the order
    // ran out.
    let mut next = 0;
    let mut skipped: Vec<String> = Vec::new();
    let mut serial_from = None;
    while !sc.terminal(&w) {
        if let Pick::Like { procs, .. } = pick {
            let mut chosen = None;
            while chosen.is_none() && next < procs.len() {
                let name = &procs[next];
                match sc.proc_id(name) {
                    Some(p) if sc.enabled(&w, p) => chosen = Some(p),
                    Some(p) if sc.finished(&w, p) => {
                        skipped.push(format!("{next} {name} (finished)"));
                    }
                    Some(_) => skipped.push(format!("{next} {name} (blocked)")),
                    None => skipped.push(format!("{next} {name} (no such process)")),
                }
                next += 1;
            }
            if let Some(p) = chosen {
                sc.step(&mut w, p, None);
                schedule.push(p);
                continue;
            }
            serial_from.get_or_insert(schedule.len());
        }
        let enabled: Vec<ProcId> = prio
            .iter()
            .copied()
            .filter(|&p| sc.enabled(&w, p))
            .collect();
        let Some(&first) = enabled.first() else {
            return Err("the schedule deadlocks".into());
        };
        let p = match pick {
            Pick::Serial(_) | Pick::Like { .. } => first,
            Pick::Random(_) => {
                // splitmix64
                rng = rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = rng;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                z ^= z >> 31;
                let n = u64::try_from(enabled.len()).unwrap_or(1);
                enabled[usize::try_from(z % n).unwrap_or(0)]
            }
        };
        sc.step(&mut w, p, None);
        schedule.push(p);
    }
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
    document(sc, &schedule, engine, |w| {
        property::evaluate(sc, w).violations.into_iter().next()
    })
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
    let (w, steps) = run_schedule(sc, schedule)?;
    let violation = violation(&w).map(|v| TraceViolation {
        property: v.property,
        message: v.message,
        details: v.details,
    });
    Ok(Trace {
        schema: SCHEMA.into(),
        racecheck_version: env!("CARGO_PKG_VERSION").into(),
        model: sc.model.clone(),
        engine,
        violation,
        steps,
        wal: wal_lines(&w),
        restore_log: restore_log(sc, &w),
    })
}

/// The startup process's log of the restore (and of the primary's crash recovery, after a
/// crash) at the end of a schedule; empty if the run has not finished.
fn restore_log(sc: &Scenario, w: &World) -> Vec<String> {
    if !sc.terminal(w) {
        return Vec::new();
    }
    let mut log = redo::restore(w, &sc.sem, true).log;
    if w.crashed {
        log.push("crash recovery of the primary (from the last checkpoint's redo):".into());
        log.extend(
            redo::crash_recovery(w, &sc.sem, sc.src, true)
                .log
                .into_iter()
                .map(|l| format!("  {l}")),
        );
    }
    log
}

/// The folder a file is written in (`.` for a bare file name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Whether a file can be written at `path`: a temporary file can be created (and is removed) in
/// its folder. Called before a search, so that a bad `--trace-out` costs nothing.
pub fn check_writable(path: &Path) -> std::io::Result<()> {
    tempfile::NamedTempFile::new_in(folder_of(path))
        .map(drop)
        .map_err(without_temp_path)
}

/// The OS's reason alone: tempfile's errors also name the random temporary file, which says
/// nothing to the user (the caller names the path they gave).
fn without_temp_path(e: std::io::Error) -> std::io::Error {
    // tempfile words its errors "<OS reason> at path <temporary file>" and keeps the OS error
    // out of reach (its `source` skips it), so keep the reason only.
    let text = e.to_string();
    let reason = text.split(" at path ").next().unwrap_or(&text).to_string();
    std::io::Error::new(e.kind(), reason)
}

/// Write a trace as pretty JSON, atomically: into a temporary file in the same folder, synced,
/// then renamed over `path`. On any error nothing is left at `path` that was not there before.
pub fn write(trace: &Trace, path: &Path) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut s = serde_json::to_string_pretty(trace).map_err(std::io::Error::other)?;
    s.push('\n');
    let mut tmp = tempfile::NamedTempFile::new_in(folder_of(path)).map_err(without_temp_path)?;
    tmp.write_all(s.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Parse a trace document.
pub fn parse(text: &str, path: &str) -> Result<Trace, TraceError> {
    // Check the schema first so that an old trace gets the clearest message.
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
        match v.get("schema").and_then(|s| s.as_str()) {
            Some(s) if s != SCHEMA => {
                return Err(TraceError::Schema {
                    path: path.into(),
                    found: s.into(),
                });
            }
            _ => {}
        }
    }
    let t: Trace = serde_json::from_str(text).map_err(|e| TraceError::Json {
        path: path.into(),
        message: e.to_string(),
    })?;
    if let Err(e) = t.model.validate() {
        return Err(TraceError::Model {
            path: path.into(),
            knob: e.knob,
            message: e.message,
        });
    }
    Ok(t)
}

/// Read a trace file.
pub fn read(path: &Path) -> Result<Trace, TraceError> {
    let p = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| TraceError::Io {
        path: p.clone(),
        source,
    })?;
    parse(&text, &p)
}

/// The result of a successful replay.
#[derive(Debug)]
pub struct Replayed {
    /// The scenario rebuilt from the inline model.
    pub scenario: Scenario,
    /// The violation reproduced (same property as recorded); `None` for a control schedule.
    pub violation: Option<Violation>,
    /// Steps re-executed.
    pub steps: Vec<Step>,
}

/// Re-execute a trace step by step; fail at the first divergence. Succeeds only if the recorded
/// property is violated again at the end.
pub fn replay(t: &Trace, path: &str) -> Result<Replayed, TraceError> {
    let sc = Scenario::new(&t.model);
    let mut w = sc.initial();
    let diverged = |index: usize, message: String| TraceError::Diverged {
        path: path.into(),
        index,
        message,
    };
    let mut steps = Vec::with_capacity(t.steps.len());
    for (i, s) in t.steps.iter().enumerate() {
        if s.index != i {
            return Err(TraceError::Field {
                path: path.into(),
                field: format!("steps[{i}].index"),
                message: format!("is {}, expected {i}", s.index),
            });
        }
        let Some(p) = sc.proc_id(&s.proc) else {
            let known: Vec<&str> = sc.procs.iter().map(|p| p.name).collect();
            return Err(diverged(
                i,
                format!("unknown process {:?} (known: {})", s.proc, known.join(", ")),
            ));
        };
        let Some(op) = sc.next_op(&w, p) else {
            return Err(diverged(i, format!("{} has already finished", s.proc)));
        };
        let op_name = op.name();
        if op_name != s.op {
            return Err(diverged(
                i,
                format!(
                    "{} would run {op_name:?}, the trace says {:?}",
                    s.proc, s.op
                ),
            ));
        }
        if !sc.enabled(&w, p) {
            return Err(diverged(
                i,
                format!("{} is blocked here: {}", s.proc, sc.blocked_reason(&w, p)),
            ));
        }
        let mut event = String::new();
        sc.step(&mut w, p, Some(&mut event));
        if event != s.event {
            return Err(diverged(
                i,
                format!("event is {event:?}, the trace says {:?}", s.event),
            ));
        }
        steps.push(s.clone());
    }
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
    })
}
