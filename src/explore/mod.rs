//! Engines and their common result types. An engine only chooses which process steps next; the
//! World, the programs and the properties are shared. Each engine crate is imported in exactly one
//! file here: `loom.rs` (loom), `shuttle.rs` (shuttle); `native.rs` needs none (its frontier
//! holds the World's own compact encoding, `world::codec`).

mod fpset;
pub mod loom;
pub mod native;
mod recorder;
pub mod shuttle;

use crate::property::{Kind, Prop, Verdicts};
use crate::scenario::Scenario;
pub use crate::trace::{Counterexample, Engine, EngineInfo};
use crate::world::ProcId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

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
    /// Native engine: partial-order reduction.
    pub reduction: Reduction,
    /// Stop at the first violation instead of finding each property's shortest counterexample.
    pub stop_at_first: bool,
    /// Print progress to stderr (at most once a second, after two seconds).
    pub progress: bool,
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
            reduction: Reduction::Persistent,
            stop_at_first: false,
            progress: false,
            preemptions: 2,
            loom_sync: LoomSync::Coarse,
            strategy: Strategy::Pct,
            iterations: 10_000,
            seed: 1,
            depth: 3,
        }
    }
}

/// Overall result of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every always-property holds in everything explored, and the exploration was complete
    /// (to the backend's stated bound) with every sometimes-property reached or proved
    /// unreachable as the variant claims.
    Holds,
    /// Some always-property is violated.
    Violated,
    /// A budget ran out, or a sometimes-property was never reached.
    Inconclusive(String),
}

impl Verdict {
    /// Process exit code: 0 holds, 1 violated, 3 inconclusive.
    pub fn exit_code(&self) -> i32 {
        match self {
            Verdict::Holds => 0,
            Verdict::Violated => 1,
            Verdict::Inconclusive(_) => 3,
        }
    }
    /// One word.
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Violated => "VIOLATED",
            Verdict::Inconclusive(_) => "inconclusive",
        }
    }
}

/// Run statistics.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Stats {
    /// Distinct states (native) or steps taken over all executions (loom, shuttle).
    pub states: u64,
    /// Transitions explored.
    pub transitions: u64,
    /// Complete executions (loom, shuttle) or terminal states (native).
    pub executions: u64,
    /// Distinct terminal Worlds reached (for native, equal to `executions`; loom and shuttle can
    /// reach one terminal World by many executions).
    pub distinct_terminals: u64,
    /// Longest schedule seen.
    pub max_depth: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Peak growth of the process's resident set size during the run, in bytes (native engine;
    /// 0 where the OS does not say).
    pub peak_bytes: u64,
    /// Peak bytes of the native engine's own structures: the visited set, the parent links and
    /// the packed frontier (a deterministic measure, unlike the resident set).
    pub engine_bytes: u64,
}

impl Stats {
    /// States (or executions) per second.
    pub fn rate(&self) -> f64 {
        let n = if self.states > 0 {
            self.states
        } else {
            self.executions
        };
        if self.seconds > 0.0 {
            n as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// Coverage of one sometimes-property.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reach {
    /// Reached in some explored state.
    Reached,
    /// Not reached, and the variant claims it unreachable (checked by `claim-unreachable`).
    UnreachableAsClaimed,
    /// Not reached: the pass would be vacuous.
    NotReached,
}

/// The result of checking one variant with one engine.
#[derive(Clone, Debug)]
pub struct Report {
    /// The verdict.
    pub verdict: Verdict,
    /// One counterexample per violated property (native: a shortest one; loom, shuttle: the
    /// first found), in property order.
    pub counterexamples: Vec<Counterexample>,
    /// Sometimes-property coverage, in property order.
    pub coverage: Vec<(Prop, Reach)>,
    /// The domain cells the run's terminal states fell in, with how many terminal states (native)
    /// or executions (loom, shuttle) each.
    pub cells: Vec<(crate::property::Cell, u64)>,
    /// Statistics.
    pub stats: Stats,
    /// The engine and its bound, in one line ("exhaustive: N states", ...).
    pub summary: String,
    /// Engine settings recorded in traces.
    pub engine: EngineInfo,
    /// The exploration was complete (to the backend's bound).
    pub complete: bool,
}

/// Collects verdicts over a run: first counterexample per property, sometimes coverage.
#[derive(Default)]
pub struct Collector {
    found: BTreeMap<Prop, Counterexample>,
    reached: BTreeMap<Prop, bool>,
    cells: BTreeMap<crate::property::Cell, u64>,
}

impl Collector {
    /// Record a state's verdicts; `schedule` is called only if a new property is violated.
    /// Returns true if this added a new violated property.
    pub fn record(&mut self, v: Verdicts, schedule: impl FnOnce() -> Vec<ProcId>) -> bool {
        if let Some(c) = v.cell {
            *self.cells.entry(c).or_default() += 1;
        }
        for r in v.reached {
            self.reached.insert(r, true);
        }
        let mut sched = Some(schedule);
        let mut new = false;
        let mut path: Option<Vec<ProcId>> = None;
        for viol in v.violations {
            let i = viol.property;
            if self.found.contains_key(&i) {
                continue;
            }
            if path.is_none() {
                path = sched.take().map(|f| f());
            }
            self.found.insert(
                i,
                Counterexample {
                    violation: viol,
                    schedule: path.clone().unwrap_or_default(),
                },
            );
            new = true;
        }
        new
    }

    /// The properties violated so far (a later violation of one is not recorded).
    pub fn found(&self) -> crate::property::PropSet {
        self.found.keys().copied().collect()
    }

    /// Whether anything is violated.
    pub fn violated(&self) -> bool {
        !self.found.is_empty()
    }

    /// Build the report. `incomplete` is the budget message if the run was cut short.
    pub fn finish(
        self,
        sc: &Scenario,
        stats: Stats,
        summary: String,
        engine: EngineInfo,
        incomplete: Option<String>,
    ) -> Report {
        let complete = incomplete.is_none();
        let coverage: Vec<(Prop, Reach)> = Prop::ALL
            .into_iter()
            .filter(|p| p.kind() == Kind::Sometimes && p.applies(&sc.model))
            .map(|p| {
                let r = if self.reached.contains_key(&p) {
                    Reach::Reached
                } else if sc.model.claims().any(|c| c == p) {
                    Reach::UnreachableAsClaimed
                } else {
                    Reach::NotReached
                };
                (p, r)
            })
            .collect();
        let counterexamples: Vec<Counterexample> = self.found.into_values().collect();
        let verdict = if !counterexamples.is_empty() {
            Verdict::Violated
        } else if let Some(why) = incomplete {
            Verdict::Inconclusive(why)
        } else {
            let missing: Vec<&str> = coverage
                .iter()
                .filter(|(_, r)| *r == Reach::NotReached)
                .map(|(n, _)| n.name())
                .collect();
            if missing.is_empty() {
                Verdict::Holds
            } else {
                Verdict::Inconclusive(format!(
                    "sometimes-propert{} never reached: {} (the pass would be vacuous)",
                    if missing.len() == 1 { "y" } else { "ies" },
                    missing.join(", ")
                ))
            }
        };
        Report {
            verdict,
            counterexamples,
            coverage,
            cells: self.cells.into_iter().collect(),
            stats,
            summary,
            engine,
            complete,
        }
    }
}

/// Wall-clock budget and progress printing (the clock only decides when to stop or print,
/// never what is explored).
pub struct Clock {
    start: Instant,
    last_print: Instant,
    max: Option<Duration>,
    progress: bool,
    bar: Option<indicatif::ProgressBar>,
}

impl Clock {
    /// Start timing.
    pub fn new(max_seconds: Option<f64>, progress: bool) -> Clock {
        let now = Instant::now();
        Clock {
            start: now,
            last_print: now,
            max: max_seconds.and_then(|s| Duration::try_from_secs_f64(s).ok()),
            progress,
            bar: None,
        }
    }
    /// Seconds since start.
    pub fn seconds(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }
    /// Whether the time budget is spent.
    pub fn expired(&self) -> bool {
        self.max.is_some_and(|m| self.start.elapsed() >= m)
    }
    /// Print progress if due (once a second, after the first two seconds).
    pub fn tick(&mut self, what: impl FnOnce() -> String) {
        if !self.progress {
            return;
        }
        let now = Instant::now();
        if now.duration_since(self.start) < Duration::from_secs(2)
            || now.duration_since(self.last_print) < Duration::from_secs(1)
        {
            return;
        }
        self.last_print = now;
        let msg = format!("[{:>6.1}s] {}", self.seconds(), what());
        if std::io::stderr().is_terminal() {
            let bar = self.bar.get_or_insert_with(|| {
                let b = indicatif::ProgressBar::new_spinner();
                b.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                b
            });
            bar.set_message(msg);
            bar.tick();
        } else {
            eprintln!("progress: {msg}");
        }
    }
    /// Clear any progress line.
    pub fn done(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

/// Set when the user interrupts the run (Ctrl-C): every engine stops at its next step boundary
/// (native: after merging the next block of a level; loom, shuttle: the next execution) and
/// reports what it explored as inconclusive.
pub static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether the run was interrupted.
pub fn interrupted() -> bool {
    INTERRUPTED.load(std::sync::atomic::Ordering::Relaxed)
}

/// Why an engine could not produce a report.
#[derive(Debug, thiserror::Error)]
pub enum ExploreError {
    /// The engine cannot run this scenario or configuration as asked (bad input, exit 2).
    #[error("{0}")]
    Unsupported(String),
    /// A bug: the engine failed in a way the model does not explain.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Run an engine.
pub fn run(sc: &Scenario, opts: &Options) -> Result<Report, ExploreError> {
    match opts.engine {
        Engine::Native => Ok(native::explore(sc, opts)),
        Engine::Loom => loom::explore(sc, opts),
        Engine::Shuttle => shuttle::explore(sc, opts),
    }
}

/// Resident set size of this process in bytes, where the OS says it (Linux).
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Bytes for people: 512 B, 1.5 MB, 2.0 GB.
pub fn human_bytes(n: u64) -> String {
    let n = n as f64;
    if n >= 1e9 {
        format!("{:.1} GB", n / 1e9)
    } else if n >= 1e6 {
        format!("{:.1} MB", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.1} kB", n / 1e3)
    } else {
        format!("{n:.0} B")
    }
}
