//! The trace document's types (schema `racecheck-trace/2`, described in the module's opening):
//! the engine record, the steps, the violation, and the errors of reading or replaying one.

use crate::property::{Prop, Violation};
use crate::scenario::Model;
use crate::world::ProcId;
use serde::{Deserialize, Serialize};

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
