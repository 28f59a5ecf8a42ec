//! What a run found: the verdict, the statistics, the counterexamples and coverage
//! ([`Report`]), gathered by a [`Collector`] that every engine feeds; and why an engine could
//! not run ([`ExploreError`]).

use crate::property::{Kind, Prop, Verdicts};
use crate::scenario::Scenario;
use crate::trace::{Counterexample, EngineInfo};
use crate::world::ProcId;
use serde::Serialize;
use std::collections::BTreeMap;

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
    /// One word for people: `holds`, `VIOLATED` (shouting, as tables and summaries show it),
    /// `inconclusive`.
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Violated => "VIOLATED",
            Verdict::Inconclusive(_) => "inconclusive",
        }
    }
    /// The word in JSON documents: [`Verdict::word`] in lower case.
    pub fn key(&self) -> &'static str {
        match self {
            Verdict::Violated => "violated",
            Verdict::Holds | Verdict::Inconclusive(_) => self.word(),
        }
    }
}

/// Run statistics.
#[derive(Clone, Debug, Default, Serialize, schemars::JsonSchema)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
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
            .filter(|p| {
                p.kind() == Kind::Sometimes && crate::scenario::command::applies(*p, &sc.model)
            })
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
