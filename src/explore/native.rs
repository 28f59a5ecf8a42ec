//! The native explicit-state engine: breadth-first search over Worlds with hash compaction.
//!
//! - **States**: a World is kept as its compact canonical encoding (`world::codec`, about 170
//!   bytes for wallog at K=2 P=2, one frame per field). Each worker moves one World from state
//!   to state, decoding only the fields whose frames differ (`codec::sync_into`); a successor
//!   is that World stepped, encoded by copying the frames of the fields the step did not borrow
//!   mutably (`codec::encode_successor`), then moved back for the next successor.
//! - **Visited set**: one 64-bit fingerprint per state (foldhash, fixed seed, over the
//!   encoding), in a flat open-addressed table of fingerprints (`fpset`, 8 bytes a slot, one
//!   cache line per lookup). Two distinct states with the same fingerprint would make the
//!   second look visited (SPIN's hash compaction); the run summary states the probability of
//!   any such collision for the states explored.
//! - **Parent links**: each state discovered gets an index; two compact arrays hold its parent's
//!   index and the process that stepped. A counterexample is the path of processes from the root,
//!   re-executed by `trace::build`; BFS makes it a shortest one.
//! - **Frontier**: the BFS level being expanded and the next one, as queues of blocks of
//!   `CHUNK` encodings stored back to back; an expanded block is emptied and refilled by the
//!   next level (no allocation per state; a level's memory is reused as it is consumed).
//! - **Threads**: `threads - 1` workers expand blocks while the main thread merges the expanded
//!   blocks in level order (and expands blocks itself when the next one to merge is not ready).
//!   The merge decides which successors are new, so the states, their indexes, the
//!   counterexamples and the statistics are the same whatever the thread count.
//! - **Reduction** (`--reduction persistent`, the default): where one process's step is a
//!   persistent set on its own (`Scenario::persistent_step`), only it is expanded; every end
//!   state is still reached at its shortest depth (docs/reduction.md).
//! - **Budgets**: `--max-states`, `--max-seconds`, and `--max-memory` (resident set size, read
//!   from `/proc/self/statm`), each ending the run as inconclusive with the statistics so far.

use super::expand::{Out, Scratch, expand_block};
use super::fpset::FpSet;
use super::options::{FpBits, Options};
use super::progress::{Clock, human_bytes, resident_bytes};
use super::report::{Collector, Report, Stats};
use super::states::{Block, CHUNK, Tree, Visited, encode_into};
pub use super::states::{collision_probability, fingerprint, fingerprint_bytes};
use crate::property::PropSet;
use crate::scenario::Scenario;
use crate::trace::Engine;
use crate::trace::EngineInfo;
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::{Mutex, mpsc};

/// What the merge owns: the visited set, the parent links, the next level being filled (and the
/// pool of emptied blocks it is filled from), the statistics and the properties found.
struct Merge {
    visited: Visited,
    tree: Tree,
    next: VecDeque<Block>,
    next_len: usize,
    pool: Vec<Block>,
    /// States per block.
    block: usize,
    /// What every block (level, next level, pool, with the workers) holds: blocks are
    /// recycled, never freed, and what one holds only grows, so this is kept as it changes
    /// rather than summed over thousands of blocks after every merge.
    blocks_held: u64,
    stats: Stats,
    col: Collector,
    /// The depth of the level being merged (its successors are one deeper).
    depth: u64,
}

impl Merge {
    /// Merge the results of one expanded block, in order (the states, their indexes and the
    /// counterexamples are those of a one-thread search); true when the search is to stop at
    /// this first violation (`--stop-at-first`).
    fn merge(&mut self, out: &mut Out, stop_at_first: bool) -> bool {
        if let Visited::Fingerprints(v) = &self.visited {
            v.warm(&out.fps);
        }
        // Which successors are new, decided in one tight loop over the block (the lookups'
        // cache misses overlap better than with the copying and recording in between).
        out.new.clear();
        if out.fps_high.is_empty() {
            for s in 0..out.fps.len() {
                let new = self.visited.insert(out.fps[s], 0, out.found.get(s));
                out.new.push(new);
            }
        } else {
            for s in 0..out.fps.len() {
                let high = out.fps_high[s];
                let new = self.visited.insert(out.fps[s], high, out.found.get(s));
                out.new.push(new);
            }
        }
        {
            // `k`: the first successor of the next state; `t`: the next terminal successor.
            let (mut k, mut t) = (0, 0);
            let mut states = std::mem::take(&mut out.states);
            for e in states.drain(..) {
                let idx = e.idx;
                let tree = &self.tree;
                let new = self.col.record(e.verdicts, || tree.schedule(idx));
                if new && stop_at_first {
                    return true;
                }
                if e.terminal {
                    self.stats.executions += 1;
                    self.stats.distinct_terminals += 1;
                }
                self.stats.transitions += e.generated;
                for s in k..e.succ_end {
                    let b = out.found.get(s);
                    let judged = match out.terminal.get_mut(t) {
                        Some((j, v)) if *j == s => {
                            t += 1;
                            Some(std::mem::take(v))
                        }
                        _ => None,
                    };
                    if !out.new[s] {
                        continue;
                    }
                    let i = self.tree.push(idx, out.procs[s]);
                    match judged {
                        // A new terminal state: counted and judged, not queued.
                        Some(v) => {
                            self.stats.states += 1;
                            self.stats.executions += 1;
                            self.stats.distinct_terminals += 1;
                            self.stats.max_depth = self.stats.max_depth.max(self.depth + 1);
                            let tree = &self.tree;
                            if self.col.record(v, || tree.schedule(i)) && stop_at_first {
                                return true;
                            }
                        }
                        None => self.push_next(b, i),
                    }
                }
                k = e.succ_end;
            }
            out.states = states;
        }
        false
    }

    /// Queue a new state for the next level.
    fn push_next(&mut self, b: &[u8], i: u32) {
        if self.next.back().is_none_or(|l| !l.fits(b)) {
            let fresh = match self.pool.pop() {
                Some(l) if l.idx.capacity() >= self.block => l,
                small => {
                    // The root's one-state block is dropped, a full-size one made.
                    self.blocks_held -= small.map_or(0, |l| l.held());
                    let l = Block::with_room(self.block);
                    self.blocks_held += l.held();
                    l
                }
            };
            self.next.push_back(fresh);
        }
        if let Some(l) = self.next.back_mut() {
            let before = l.held();
            l.push(b, i);
            self.blocks_held += l.held() - before;
        }
        self.next_len += 1;
        self.stats.states += 1;
    }

    /// Give an expanded block back to the pool.
    fn recycle(&mut self, mut b: Block) {
        b.clear();
        self.pool.push(b);
    }
}

/// A block handed to a worker thread: its number in the level, the block, and the results
/// buffer to fill.
struct Job {
    no: usize,
    block: Block,
    known: PropSet,
    out: Out,
}

/// What a worker gives back: the block and its results, or the panic that stopped it.
type Done = (usize, std::thread::Result<(Block, Out)>);

/// A worker thread: expands the blocks it is given until the job channel closes.
fn worker(
    sc: &Scenario,
    opts: &Options,
    jobs: &Mutex<mpsc::Receiver<Job>>,
    done: &mpsc::Sender<Done>,
) {
    let reduce = opts.reduction;
    let mut scratch = Scratch::new(opts.fingerprint);
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(Job {
            no,
            block,
            known,
            mut out,
        }) = job
        else {
            return;
        };
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            expand_block(sc, &mut scratch, &block, reduce, known, &mut out);
            (block, out)
        }));
        if done.send((no, r)).is_err() {
            return;
        }
    }
}

/// The other threads of a multi-threaded search: where jobs go, where results come back.
struct Pool<'a> {
    jobs: mpsc::Sender<Job>,
    job_queue: &'a Mutex<mpsc::Receiver<Job>>,
    done: mpsc::Receiver<Done>,
}

/// Explore the scenario (within the budgets): every reachable state with `--reduction none`,
/// with the reduction every end state at its shortest depth (docs/reduction.md).
///
/// With several threads, `threads - 1` workers expand blocks of the level while this thread
/// merges the expanded blocks in level order (and expands blocks itself when it has nothing to
/// merge); only the merge touches the visited set. The states, their order and indexes, the
/// counterexamples and the statistics are those of the one-thread search.
pub fn explore(sc: &Scenario, opts: &Options) -> Report {
    let threads = opts.threads.max(1);
    if threads == 1 {
        return search(sc, opts, None);
    }
    let job_queue = {
        let (tx, rx) = mpsc::channel::<Job>();
        (tx, Mutex::new(rx))
    };
    let (jobs, job_rx) = job_queue;
    let (done_tx, done) = mpsc::channel::<Done>();
    std::thread::scope(|s| {
        for _ in 1..threads {
            let (job_rx, done_tx) = (&job_rx, done_tx.clone());
            s.spawn(move || worker(sc, opts, job_rx, &done_tx));
        }
        drop(done_tx);
        // `search` drops the pool (closing the job channel) when it ends: the workers return.
        search(
            sc,
            opts,
            Some(Pool {
                jobs,
                job_queue: &job_rx,
                done,
            }),
        )
    })
}

/// The breadth-first search, on this thread alone or with a pool of workers.
fn search(sc: &Scenario, opts: &Options, pool: Option<Pool<'_>>) -> Report {
    let mut s = Search::new(sc, opts, pool);
    let mut depth = 0u64;
    let end = 'levels: loop {
        if s.level_len == 0 {
            break None;
        }
        s.m.stats.max_depth = s.m.stats.max_depth.max(depth);
        s.m.depth = depth;
        let blocks = s.level.len();
        let (mut handed, mut merged) = (0usize, 0usize);
        while merged < blocks {
            s.supply(&mut handed, merged, blocks);
            let Some((block, mut out)) = s.expanded.remove(&merged) else {
                s.expand_or_wait(&mut handed);
                continue;
            };
            s.level_len -= block.len();
            let stop = s.m.merge(&mut out, opts.stop_at_first);
            s.m.recycle(block);
            s.spare.push(out);
            merged += 1;
            if stop {
                break 'levels Some(End::StoppedAtFirst);
            }
            if let Some(why) = s.over_budget(depth) {
                break 'levels Some(End::Budget(why));
            }
        }
        std::mem::swap(&mut s.level, &mut s.m.next);
        s.level_len = std::mem::take(&mut s.m.next_len);
        depth += 1;
    };
    s.finish(end)
}

/// Why a search ended before it was exhaustive.
enum End {
    /// `--stop-at-first` and a violation found.
    StoppedAtFirst,
    /// A budget (states, seconds, memory) or Ctrl-C, in words.
    Budget(String),
}

/// The state of a search between blocks: the merge (visited set, parent links, next level),
/// the level being expanded, the results buffers (spare, expanded and waiting for their turn,
/// lent to the workers), the workers, and the clock and memory readings.
struct Search<'a> {
    sc: &'a Scenario,
    opts: &'a Options,
    pool: Option<Pool<'a>>,
    threads: usize,
    m: Merge,
    level: VecDeque<Block>,
    level_len: usize,
    scratch: Scratch,
    /// Results buffers not in use.
    spare: Vec<Out>,
    /// Blocks expanded but not merged yet, by number.
    expanded: BTreeMap<usize, (Block, Out)>,
    /// What the results buffers handed to the workers held, by block number.
    lent: BTreeMap<usize, u64>,
    /// Blocks handed out but not merged, at most: bounds the results held.
    in_flight: usize,
    clock: Clock,
    start_rss: u64,
    peak_rss: u64,
}

impl<'a> Search<'a> {
    /// The search at its start: the initial state visited and queued.
    fn new(sc: &'a Scenario, opts: &'a Options, pool: Option<Pool<'a>>) -> Search<'a> {
        let threads = opts.threads.max(1);
        let mut m = Merge {
            visited: match (opts.exact_states, opts.fingerprint.bits) {
                (true, _) => Visited::Exact(HashSet::default()),
                (false, FpBits::B64) => Visited::Fingerprints(FpSet::default()),
                (false, FpBits::B128) => Visited::Fingerprints128(HashSet::default()),
            },
            tree: Tree {
                parent: vec![0],
                proc: vec![0],
            },
            next: VecDeque::new(),
            next_len: 0,
            pool: Vec::new(),
            block: CHUNK,
            blocks_held: 0,
            stats: Stats::default(),
            col: Collector::default(),
            depth: 0,
        };
        let init = sc.initial();
        let mut buf = Vec::new();
        encode_into(&init, &mut buf);
        let fp = opts.fingerprint;
        m.visited.insert(fp.low(&buf), fp.high(&buf), &buf);
        m.stats.states = 1;
        let mut level: VecDeque<Block> = VecDeque::from([Block::with_room(1)]);
        level[0].push(&buf, 0);
        m.blocks_held = level[0].held();
        let start_rss = resident_bytes().unwrap_or(0);
        Search {
            sc,
            opts,
            pool,
            threads,
            m,
            level,
            level_len: 1,
            scratch: Scratch::new(opts.fingerprint),
            spare: Vec::new(),
            expanded: BTreeMap::new(),
            lent: BTreeMap::new(),
            in_flight: 4 * threads,
            clock: Clock::new(opts.max_seconds, opts.progress.clone()),
            start_rss,
            peak_rss: start_rss,
        }
    }

    /// Keep the workers supplied with the level's next blocks, in block order, and collect the
    /// blocks they have expanded.
    fn supply(&mut self, handed: &mut usize, merged: usize, blocks: usize) {
        let Some(p) = &self.pool else {
            return;
        };
        while *handed < blocks && *handed - merged < self.in_flight {
            let block = self.level.pop_front().expect("a block per number");
            let out = self.spare.pop().unwrap_or_default();
            self.lent.insert(*handed, out.held());
            let job = Job {
                no: *handed,
                block,
                known: self.m.col.found(),
                out,
            };
            // The queue's receiver lives in `explore` until the search returns.
            p.jobs.send(job).expect("the job queue outlives the search");
            *handed += 1;
        }
        while let Ok((no, r)) = p.done.try_recv() {
            match r {
                Ok(b) => self.expanded.insert(no, b),
                Err(e) => std::panic::resume_unwind(e),
            };
            self.lent.remove(&no);
        }
    }

    /// The next block to merge is not expanded yet: expand a block here (the next one alone,
    /// or one still queued for the workers), or wait for a worker's.
    fn expand_or_wait(&mut self, handed: &mut usize) {
        let job = match &self.pool {
            None => {
                let block = self.level.pop_front().expect("a block per number");
                *handed += 1;
                Some(Job {
                    no: *handed - 1,
                    block,
                    known: self.m.col.found(),
                    out: self.spare.pop().unwrap_or_default(),
                })
            }
            // `try_lock`: a worker holds the lock while it waits for a job (the queue is then
            // empty).
            Some(p) => p
                .job_queue
                .try_lock()
                .ok()
                .and_then(|rx| rx.try_recv().ok()),
        };
        if let Some(Job {
            no,
            block,
            known,
            mut out,
        }) = job
        {
            self.lent.remove(&no);
            let reduce = self.opts.reduction;
            expand_block(self.sc, &mut self.scratch, &block, reduce, known, &mut out);
            self.expanded.insert(no, (block, out));
        } else if let Some(p) = &self.pool {
            match p.done.recv() {
                Ok((no, Ok(b))) => {
                    self.expanded.insert(no, b);
                    self.lent.remove(&no);
                }
                Ok((_, Err(e))) => std::panic::resume_unwind(e),
                Err(_) => unreachable!("the workers outlive the search"),
            }
        }
    }

    /// After a merge: the budget that ends the search now, if one does (states, seconds,
    /// Ctrl-C, memory), else the memory held recorded and progress reported.
    fn over_budget(&mut self, depth: u64) -> Option<String> {
        let (opts, m) = (self.opts, &mut self.m);
        let queued = self.level_len + m.next_len;
        let states = m.stats.states;
        if let Some(max) = opts.max_states
            && states >= max
            && queued > 0
        {
            return Some(format!(
                "--max-states {max} reached with {queued} states still queued"
            ));
        }
        if self.clock.expired() {
            return Some(format!(
                "--max-seconds {} reached with {queued} states still queued",
                opts.max_seconds.unwrap_or(0.0)
            ));
        }
        if super::progress::interrupted() {
            return Some(format!(
                "interrupted (Ctrl-C) with {queued} states still queued"
            ));
        }
        let rss = resident_bytes().unwrap_or(0);
        self.peak_rss = self.peak_rss.max(rss);
        let held = m.visited.bytes()
            + m.tree.bytes()
            + m.blocks_held
            + self
                .spare
                .iter()
                .chain(self.expanded.values().map(|(_, o)| o))
                .map(Out::held)
                .sum::<u64>()
            // Results buffers with the workers, as they were handed out.
            + self.lent.values().sum::<u64>();
        m.stats.engine_bytes = m.stats.engine_bytes.max(held);
        // The visited set's growth, if the next block's successors may trigger it: it
        // allocates twice the table at once, which can overshoot a budget by gigabytes.
        let growth = m.visited.growth_due(m.block * self.sc.procs.len());
        if let Some(max) = opts.max_memory
            && rss + growth >= max
        {
            let grows = if growth > 0 {
                format!(
                    ", and the visited set is about to grow by {}",
                    human_bytes(growth)
                )
            } else {
                String::new()
            };
            return Some(format!(
                "--max-memory {} reached ({} resident{grows}) with {queued} states still queued",
                human_bytes(max),
                human_bytes(rss)
            ));
        }
        let secs = self.clock.seconds();
        self.clock.tick(|| {
            format!(
                "{states} states, depth {depth}, {queued} queued, {:.0} states/s, {} resident",
                states as f64 / secs.max(1e-9),
                human_bytes(rss)
            )
        });
        None
    }

    /// Stop the workers and hand the collector its statistics and summary line.
    fn finish(self, end: Option<End>) -> Report {
        // Stop the workers: the job channel closes; they finish the jobs still queued (after
        // an early stop, at most `in_flight` blocks; their results are dropped) and return.
        let Search {
            sc,
            opts,
            pool,
            threads,
            m,
            mut clock,
            start_rss,
            peak_rss,
            ..
        } = self;
        drop(pool);
        let Merge { mut stats, col, .. } = m;
        clock.done();
        stats.seconds = clock.seconds();
        let peak_rss = peak_rss.max(resident_bytes().unwrap_or(0));
        // What the search itself took: the growth of the resident set over the run.
        stats.peak_bytes = peak_rss.saturating_sub(start_rss);
        let summary = summary(&stats, opts, threads, end.as_ref());
        let incomplete = end.map(|e| match e {
            End::StoppedAtFirst => "stopped at the first violation (--stop-at-first)".to_string(),
            End::Budget(why) => why,
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
}

/// The run's summary line: how it ended, its counts, rates, memory and state compaction. The
/// budget that cut the run short is named here too: with a violation found the verdict line
/// says VIOLATED, not why the search stopped.
fn summary(stats: &Stats, opts: &Options, threads: usize, end: Option<&End>) -> String {
    let compaction = if opts.exact_states {
        "exact visited set (--exact-states)".to_string()
    } else {
        opts.fingerprint.describe(stats.states)
    };
    let rates = format!(
        "{:.0} states/s, {} bytes/state (visited set, parent links, frontier), {} peak resident growth, {threads} thread{}, reduction {}",
        stats.rate(),
        stats.engine_bytes / stats.states.max(1),
        human_bytes(stats.peak_bytes),
        if threads == 1 { "" } else { "s" },
        opts.reduction.as_str()
    );
    match end {
        Some(End::Budget(why)) => format!(
            "incomplete ({why}): {} states, {} transitions, depth {} ({rates}; {compaction})",
            stats.states, stats.transitions, stats.max_depth
        ),
        Some(End::StoppedAtFirst) => format!(
            "stopped at the first violation (--stop-at-first): {} states, depth {} ({rates})",
            stats.states, stats.max_depth
        ),
        None => format!(
            "exhaustive: {} states, {} transitions, {} complete runs, depth {} ({rates}; {compaction})",
            stats.states, stats.transitions, stats.executions, stats.max_depth
        ),
    }
}
