//! The native explicit-state engine: breadth-first search over Worlds with hash compaction.
//!
//! - **Visited set**: one 64-bit fingerprint per state (foldhash, fixed seed, over the
//!   World's `Hash`), in a hash set keyed by the fingerprint itself. Two distinct states with the
//!   same fingerprint would make the second look visited (SPIN's hash compaction); the run
//!   summary states the probability of any such collision for the states explored.
//! - **Parent links**: each state discovered gets an index; two compact arrays hold its parent's
//!   index and the process that stepped. A counterexample is the path of processes from the root,
//!   re-executed by `trace::build`; BFS makes it a shortest one.
//! - **Frontier**: the BFS level being expanded and the next one, each World in a compact binary
//!   encoding (postcard: a few hundred bytes against a few kilobytes of maps and vectors), decoded
//!   only when its state is expanded.
//! - **Threads**: a level is expanded in chunks by `threads` workers (each evaluates the
//!   properties of its states and computes their successors); the results are merged in level
//!   order on one thread, so the states, their indexes, the counterexamples and the statistics
//!   are the same whatever the thread count.
//! - **Reduction** (`--reduction persistent`, the default): where one process's step is a
//!   persistent set on its own (`Scenario::persistent_step`), only it is expanded; every end
//!   state is still reached at its shortest depth (docs/reduction.md).
//! - **Budgets**: `--max-states`, `--max-seconds`, and `--max-memory` (resident set size, read
//!   from `/proc/self/statm`), each ending the run as inconclusive with the statistics so far.

use super::{
    Clock, Collector, EngineInfo, Options, Reduction, Report, Stats, human_bytes, resident_bytes,
};
use crate::property::{self, Verdicts};
use crate::scenario::Scenario;
use crate::trace::Engine;
use crate::world::{ProcId, World};
use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

/// A hasher for keys that are already uniform 64-bit hashes (the fingerprints).
#[derive(Default)]
struct Passthrough(u64);

impl Hasher for Passthrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// The visited set: fingerprints (the default), or whole Worlds (`--exact-states`, to check hash
/// compaction against the unreduced search: same states, same verdicts).
enum Visited {
    Fingerprints(HashSet<u64, BuildHasherDefault<Passthrough>>),
    Exact(HashSet<World, BuildHasherDefault<rustc_hash::FxHasher>>),
}

/// A World in the frontier: its compact encoding.
type Packed = Box<[u8]>;

/// What a frontier entry takes: its bytes, the box's pointer and length, and its index.
fn packed_size(p: &Packed) -> u64 {
    p.len() as u64 + 16 + 4
}

fn pack(w: &World) -> Packed {
    // Serialize into a per-thread buffer that keeps its capacity (postcard would otherwise grow
    // a fresh vector byte by byte: 6-12% of the run in perf), then copy out the exact size.
    thread_local! {
        static BUF: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(Vec::with_capacity(4096));
    }
    BUF.with(|b| {
        let mut buf = b.borrow_mut();
        buf.clear();
        let out =
            postcard::to_extend(w, std::mem::take(&mut *buf)).expect("a World always encodes");
        let packed: Packed = out.as_slice().into();
        *buf = out;
        packed
    })
}

fn unpack(b: &[u8]) -> World {
    postcard::from_bytes(b).expect("a packed World decodes")
}

impl Visited {
    /// Bytes the set holds: per slot a fingerprint (or a World's inline size) and a control
    /// byte (hashbrown's layout); an exact set's Worlds also own heap data, not counted.
    fn bytes(&self) -> u64 {
        match self {
            Visited::Fingerprints(s) => s.capacity() as u64 * 9,
            Visited::Exact(s) => s.capacity() as u64 * (std::mem::size_of::<World>() as u64 + 1),
        }
    }
    fn contains(&self, fp: u64, w: &World) -> bool {
        match self {
            Visited::Fingerprints(s) => s.contains(&fp),
            Visited::Exact(s) => s.contains(w),
        }
    }
    fn insert(&mut self, fp: u64, w: &Packed) -> bool {
        match self {
            Visited::Fingerprints(s) => s.insert(fp),
            Visited::Exact(s) => {
                let w = unpack(w);
                !s.contains(&w) && s.insert(w)
            }
        }
    }
}

/// The seed of the fingerprint hash: fixed, so a fingerprint is the same in every run.
const FINGERPRINT_SEED: u64 = 0x7261_6365_6368_6563; // "racechec"

/// The fingerprint of a World: foldhash's quality variant (a 64-bit folded-multiply hash with a
/// final avalanche, made for hash tables and fingerprints) with a fixed seed, over its `Hash`.
pub fn fingerprint(w: &World) -> u64 {
    use std::hash::BuildHasher;
    foldhash::quality::FixedState::with_seed(FINGERPRINT_SEED).hash_one(w)
}

/// The probability that hash compaction merged two distinct states among `n` (birthday bound
/// for 64-bit fingerprints: n(n-1)/2 / 2^64).
pub fn collision_probability(n: u64) -> f64 {
    let n = n as f64;
    n * (n - 1.0) / 2.0 / 18_446_744_073_709_551_616.0
}

/// What a worker computes for one state of the level: its index, verdicts, whether it is
/// terminal, how many successors it has, and those not already visited before this chunk
/// (process, fingerprint, World) in process-id order.
struct Expanded {
    idx: u32,
    verdicts: Verdicts,
    terminal: bool,
    generated: u64,
    successors: Vec<(ProcId, u64, Packed)>,
}

/// Expand one state. `visited` is the visited set as it stood before this chunk (read-only
/// while the workers run): a successor already in it would be rejected by the merge anyway, so
/// it is dropped here, on the worker, instead of being carried to the merging thread.
fn expand(
    sc: &Scenario,
    packed: Packed,
    idx: u32,
    visited: &Visited,
    reduce: Reduction,
) -> Expanded {
    let w = unpack(&packed);
    drop(packed);
    let mut enabled = sc.enabled_procs(&w);
    let verdicts = property::evaluate_with(sc, &w, &enabled);
    if sc.terminal(&w) {
        return Expanded {
            idx,
            verdicts,
            terminal: true,
            generated: 0,
            successors: Vec::new(),
        };
    }
    if reduce == Reduction::Persistent
        && let Some(p) = sc.persistent_step(&w, &enabled)
    {
        enabled.retain(|&q| q == p);
    }
    let generated = enabled.len() as u64;
    let successors = enabled
        .into_iter()
        .filter_map(|p| {
            let mut next = w.clone();
            sc.step(&mut next, p, None);
            let fp = fingerprint(&next);
            (!visited.contains(fp, &next)).then(|| (p, fp, pack(&next)))
        })
        .collect();
    Expanded {
        idx,
        verdicts,
        terminal: false,
        generated,
        successors,
    }
}

/// The parent links of every discovered state.
struct Tree {
    parent: Vec<u32>,
    proc: Vec<ProcId>,
}

impl Tree {
    fn bytes(&self) -> u64 {
        (self.parent.capacity() * 4 + self.proc.capacity()) as u64
    }
    fn push(&mut self, parent: u32, p: ProcId) -> u32 {
        let i = u32::try_from(self.parent.len()).unwrap_or(u32::MAX);
        self.parent.push(parent);
        self.proc.push(p);
        i
    }
    /// The processes that stepped from the root to state `i`.
    fn schedule(&self, mut i: u32) -> Vec<ProcId> {
        let mut path = Vec::new();
        while i != 0 {
            path.push(self.proc[i as usize]);
            i = self.parent[i as usize];
        }
        path.reverse();
        path
    }
}

/// States expanded per chunk handed to the workers (bounds the successors held at once).
const CHUNK: usize = 4096;

/// Explore the scenario (within the budgets): every reachable state with `--reduction none`,
/// with the reduction every end state at its shortest depth (docs/reduction.md).
pub fn explore(sc: &Scenario, opts: &Options) -> Report {
    let threads = opts.threads.max(1);
    let mut clock = Clock::new(opts.max_seconds, opts.progress);
    let mut col = Collector::default();
    let mut stats = Stats::default();
    let mut visited = if opts.exact_states {
        Visited::Exact(HashSet::default())
    } else {
        Visited::Fingerprints(HashSet::default())
    };
    let mut tree = Tree {
        parent: vec![0],
        proc: vec![0],
    };
    let init = sc.initial();
    let init_fp = fingerprint(&init);
    let init = pack(&init);
    visited.insert(init_fp, &init);
    stats.states = 1;
    let mut level_bytes = packed_size(&init);
    let mut level: Vec<(Packed, u32)> = vec![(init, 0)];
    let mut depth = 0u64;
    let mut incomplete: Option<String> = None;
    let mut stopped_early = false;
    let start_rss = resident_bytes().unwrap_or(0);
    let mut peak_rss = start_rss;
    'levels: while !level.is_empty() {
        stats.max_depth = depth;
        let mut next: Vec<(Packed, u32)> = Vec::new();
        let mut next_bytes = 0u64;
        let mut rest = std::mem::take(&mut level);
        while !rest.is_empty() {
            let tail = rest.split_off(rest.len().min(CHUNK * threads));
            let chunk = std::mem::replace(&mut rest, tail);
            for e in expand_all(sc, chunk, threads, &visited, opts.reduction) {
                let idx = e.idx;
                let new = col.record(e.verdicts, || tree.schedule(idx));
                if new && opts.stop_at_first {
                    stopped_early = true;
                    break 'levels;
                }
                if e.terminal {
                    stats.executions += 1;
                    stats.distinct_terminals += 1;
                    continue;
                }
                stats.transitions += e.generated;
                for (p, fp, w) in e.successors {
                    if visited.insert(fp, &w) {
                        let i = tree.push(idx, p);
                        next_bytes += packed_size(&w);
                        next.push((w, i));
                        stats.states += 1;
                    }
                }
            }
            let queued = rest.len() + next.len();
            if let Some(max) = opts.max_states
                && stats.states >= max
                && queued > 0
            {
                incomplete = Some(format!(
                    "--max-states {max} reached with {queued} states still queued"
                ));
                break 'levels;
            }
            if clock.expired() {
                incomplete = Some(format!(
                    "--max-seconds {} reached with {queued} states still queued",
                    opts.max_seconds.unwrap_or(0.0)
                ));
                break 'levels;
            }
            if super::interrupted() {
                incomplete = Some(format!(
                    "interrupted (Ctrl-C) with {queued} states still queued"
                ));
                break 'levels;
            }
            let rss = resident_bytes().unwrap_or(0);
            peak_rss = peak_rss.max(rss);
            stats.engine_bytes = stats
                .engine_bytes
                .max(visited.bytes() + tree.bytes() + level_bytes + next_bytes);
            if let Some(max) = opts.max_memory
                && rss >= max
            {
                incomplete = Some(format!(
                    "--max-memory {} reached ({} resident) with {queued} states still queued",
                    human_bytes(max),
                    human_bytes(rss)
                ));
                break 'levels;
            }
            let (s, secs) = (stats.states, clock.seconds());
            clock.tick(|| {
                format!(
                    "{s} states, depth {depth}, {queued} queued, {:.0} states/s, {} resident",
                    s as f64 / secs.max(1e-9),
                    human_bytes(rss)
                )
            });
        }
        level = next;
        level_bytes = next_bytes;
        depth += 1;
    }
    clock.done();
    stats.seconds = clock.seconds();
    peak_rss = peak_rss.max(resident_bytes().unwrap_or(0));
    // What the search itself took: the growth of the resident set over the run.
    stats.peak_bytes = peak_rss.saturating_sub(start_rss);
    let compaction = if opts.exact_states {
        "exact visited set (--exact-states)".to_string()
    } else {
        format!(
            "64-bit fingerprints (foldhash): collision probability {:.1e}",
            collision_probability(stats.states)
        )
    };
    let rates = format!(
        "{:.0} states/s, {} bytes/state (visited set, parent links, frontier), {} peak resident growth, {threads} thread{}, reduction {}",
        stats.rate(),
        stats.engine_bytes / stats.states.max(1),
        human_bytes(stats.peak_bytes),
        if threads == 1 { "" } else { "s" },
        opts.reduction.as_str()
    );
    let summary = if incomplete.is_some() {
        format!(
            "incomplete: {} states, {} transitions, depth {} ({rates}; {compaction})",
            stats.states, stats.transitions, stats.max_depth
        )
    } else if stopped_early {
        format!(
            "stopped at the first violation (--stop-at-first): {} states, depth {} ({rates})",
            stats.states, stats.max_depth
        )
    } else {
        format!(
            "exhaustive: {} states, {} transitions, {} complete runs, depth {} ({rates}; {compaction})",
            stats.states, stats.transitions, stats.executions, stats.max_depth
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

/// Expand a chunk of the level on `threads` workers, which take ownership of its Worlds (and
/// drop them); results in the chunk's order.
fn expand_all(
    sc: &Scenario,
    chunk: Vec<(Packed, u32)>,
    threads: usize,
    visited: &Visited,
    reduce: Reduction,
) -> Vec<Expanded> {
    if threads == 1 || chunk.len() < 64 {
        return chunk
            .into_iter()
            .map(|(w, i)| expand(sc, w, i, visited, reduce))
            .collect();
    }
    let per = chunk.len().div_ceil(threads);
    let mut parts = Vec::with_capacity(threads);
    let mut rest = chunk;
    while rest.len() > per {
        let tail = rest.split_off(per);
        parts.push(std::mem::replace(&mut rest, tail));
    }
    parts.push(rest);
    std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| {
                s.spawn(move || {
                    part.into_iter()
                        .map(|(w, i)| expand(sc, w, i, visited, reduce))
                        .collect::<Vec<Expanded>>()
                })
            })
            .collect();
        let mut out = Vec::new();
        for h in handles {
            match h.join() {
                Ok(part) => out.extend(part),
                Err(e) => std::panic::resume_unwind(e),
            }
        }
        out
    })
}
