//! The native explicit-state explorer: breadth-first search over hashed Worlds, with the
//! BFS tree kept as a petgraph graph so that every counterexample is a shortest schedule.
//! Successors are generated in process-id order, so the exploration is deterministic.

use super::{Clock, Collector, Engine, EngineInfo, Options, Report, Stats};
use crate::property;
use crate::scenario::Scenario;
use crate::world::{ProcId, World};
use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;

/// The schedule (process ids in order) that leads from the root to `node` in the BFS tree.
fn schedule_to(graph: &DiGraph<(), ProcId>, mut node: NodeIndex) -> Vec<ProcId> {
    let mut path = Vec::new();
    while let Some(e) = graph.edges_directed(node, Direction::Incoming).next() {
        path.push(*e.weight());
        node = e.source();
    }
    path.reverse();
    path
}

/// Explore every reachable state of the scenario (within the budget).
pub fn explore(sc: &Scenario, opts: &Options) -> Report {
    let mut clock = Clock::new(opts.max_seconds, opts.progress);
    let mut graph: DiGraph<(), ProcId> = DiGraph::new();
    let mut seen: FxHashMap<World, NodeIndex> = FxHashMap::default();
    let mut queue: VecDeque<(World, NodeIndex, u64)> = VecDeque::new();
    let mut col = Collector::default();
    let mut stats = Stats::default();

    let init = sc.initial();
    let root = graph.add_node(());
    seen.insert(init.clone(), root);
    queue.push_back((init, root, 0));
    stats.states = 1;
    let mut incomplete: Option<String> = None;

    while let Some((w, node, depth)) = queue.pop_front() {
        stats.max_depth = stats.max_depth.max(depth);
        let enabled = sc.enabled_procs(&w);
        let verdicts = property::evaluate_with(sc, &w, &enabled);
        let new = col.record(verdicts, || schedule_to(&graph, node));
        if new && opts.stop_at_first {
            incomplete = None;
            break;
        }
        if sc.terminal(&w) {
            stats.executions += 1;
            stats.distinct_terminals += 1;
            continue;
        }
        for p in enabled {
            let mut next = w.clone();
            sc.step(&mut next, p, None);
            stats.transitions += 1;
            if seen.contains_key(&next) {
                continue;
            }
            let n = graph.add_node(());
            graph.add_edge(node, n, p);
            seen.insert(next.clone(), n);
            queue.push_back((next, n, depth + 1));
            stats.states += 1;
        }
        if let Some(max) = opts.max_states
            && stats.states >= max
            && !queue.is_empty()
        {
            incomplete = Some(format!(
                "--max-states {max} reached with {} states still queued",
                queue.len()
            ));
            break;
        }
        if stats.states % 1024 == 0 {
            if clock.expired() {
                incomplete = Some(format!(
                    "--max-seconds {} reached with {} states still queued",
                    opts.max_seconds.unwrap_or(0.0),
                    queue.len()
                ));
                break;
            }
            let (s, d, q) = (stats.states, depth, queue.len());
            let secs = clock.seconds();
            clock.tick(|| {
                format!(
                    "{s} states, depth {d}, {q} queued, {:.0} states/s",
                    s as f64 / secs.max(1e-9)
                )
            });
        }
    }
    clock.done();
    stats.seconds = clock.seconds();
    let stopped_early = opts.stop_at_first && col.violated() && !queue.is_empty();
    let summary = if incomplete.is_some() {
        format!(
            "incomplete: {} states, {} transitions, depth {} ({:.0} states/s)",
            stats.states,
            stats.transitions,
            stats.max_depth,
            stats.rate()
        )
    } else if stopped_early {
        format!(
            "stopped at the first violation (--stop-at-first): {} states, depth {} ({:.0} states/s)",
            stats.states,
            stats.max_depth,
            stats.rate()
        )
    } else {
        format!(
            "exhaustive: {} states, {} transitions, {} complete runs, depth {} ({:.0} states/s)",
            stats.states,
            stats.transitions,
            stats.executions,
            stats.max_depth,
            stats.rate()
        )
    };
    let incomplete = incomplete.or_else(|| {
        stopped_early.then(|| "stopped at the first violation (--stop-at-first)".to_string())
    });
    col.finish(
        sc,
        stats,
        summary,
        EngineInfo {
            name: Engine::Native,
            seed: None,
            bound: Some("exhaustive BFS".into()),
            schedule: None,
        },
        incomplete,
    )
}
