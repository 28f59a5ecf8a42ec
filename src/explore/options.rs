//! What a run is asked for: the engine, its strategy and bounds, the reduction, budgets
//! ([`Options`]).

use crate::trace::Engine;
use serde::{Deserialize, Serialize};

/// shuttle's scheduling strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Uniformly random choice at each step.
    Random,
    /// Probabilistic concurrency testing with `depth` priority change points.
    #[default]
    Pct,
    /// Depth-first enumeration of every schedule.
    Dfs,
}

impl Strategy {
    /// Name as on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Random => "random",
            Strategy::Pct => "pct",
            Strategy::Dfs => "dfs",
        }
    }
}

/// How the loom engine synchronises the process threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, Default)]
#[serde(rename_all = "kebab-case")]
pub enum LoomSync {
    /// One loom mutex around the World, one condvar per process: every step conflicts with every
    /// other, so DPOR prunes nothing.
    #[default]
    Coarse,
    /// One loom mutex per shared resource, taken per the step's footprint: DPOR skips reorderings
    /// of independent steps.
    Fine,
}

impl LoomSync {
    /// Name as on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            LoomSync::Coarse => "coarse",
            LoomSync::Fine => "fine",
        }
    }
}

/// The native engine's partial-order reduction (docs/reduction.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Reduction {
    /// Expand every enabled process in every state (the unreduced search).
    None,
    /// Where one process's step is a persistent set on its own (its footprint is disjoint from
    /// everything the other processes may still do), expand that step alone. Same terminal
    /// states, deadlocks, verdicts and counterexample lengths; fewer states and transitions.
    #[default]
    Persistent,
}

impl Reduction {
    /// Name as on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Reduction::None => "none",
            Reduction::Persistent => "persistent",
        }
    }
}

/// The seed of the fingerprint hash by default: fixed, so a fingerprint is the same in every
/// run ("racechec").
pub const DEFAULT_FINGERPRINT_SEED: u64 = 0x7261_6365_6368_6563;

/// Width of the native engine's state fingerprints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum FpBits {
    /// One 64-bit foldhash value a state (8 bytes in the visited set).
    #[default]
    #[value(name = "64")]
    B64,
    /// Two 64-bit foldhash values with different seeds (16 bytes a state, in a hash set; about
    /// half the speed): a collision needs both to collide.
    #[value(name = "128")]
    B128,
}

/// How the native engine fingerprints a state (hash compaction): the hash's seed and width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fingerprint {
    /// foldhash's seed (the second half of a 128-bit fingerprint uses another one derived from
    /// it).
    pub seed: u64,
    /// 64 or 128 bits.
    pub bits: FpBits,
}

impl Default for Fingerprint {
    fn default() -> Self {
        Fingerprint {
            seed: DEFAULT_FINGERPRINT_SEED,
            bits: FpBits::B64,
        }
    }
}

/// Limits and engine settings of a run.
#[derive(Clone, Debug)]
pub struct Options {
    /// Engine.
    pub engine: Engine,
    /// Stop after this many distinct states (native) or executions (loom, shuttle).
    pub max_states: Option<u64>,
    /// Stop after this many seconds.
    pub max_seconds: Option<f64>,
    /// Stop when the resident set size reaches this many bytes (native engine).
    pub max_memory: Option<u64>,
    /// Worker threads of the native engine (results do not depend on it).
    pub threads: usize,
    /// Native engine: keep whole Worlds in the visited set instead of fingerprints.
    pub exact_states: bool,
    /// Native engine: the fingerprints' seed and width (when not `exact_states`).
    pub fingerprint: Fingerprint,
    /// Native engine: partial-order reduction.
    pub reduction: Reduction,
    /// Stop at the first violation instead of finding each property's shortest counterexample.
    pub stop_at_first: bool,
    /// Where progress lines go (at most once a second, after two seconds); none: no progress.
    pub progress: Option<super::progress::Progress>,
    /// loom: preemption bound.
    pub preemptions: usize,
    /// loom: synchronisation granularity.
    pub loom_sync: LoomSync,
    /// shuttle: strategy.
    pub strategy: Strategy,
    /// shuttle: iterations.
    pub iterations: u64,
    /// shuttle: seed.
    pub seed: u64,
    /// shuttle PCT: depth.
    pub depth: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            engine: Engine::Native,
            max_states: None,
            max_seconds: None,
            max_memory: None,
            threads: 1,
            exact_states: false,
            fingerprint: Fingerprint::default(),
            reduction: Reduction::Persistent,
            stop_at_first: false,
            progress: None,
            preemptions: 2,
            loom_sync: LoomSync::Coarse,
            strategy: Strategy::Pct,
            iterations: 10_000,
            seed: 1,
            depth: 3,
        }
    }
}
