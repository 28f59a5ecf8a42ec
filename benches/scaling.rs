//! The scaling table of docs/performance.md: the native engine on baseline, lockflag, wallog
//! and dropdb at K files x P pages (K in 1..=4, P in 1..=3), with 1 and 2 threads, and with the
//! exact visited set (hash compaction off) where the run is small, with the partial-order
//! reduction (the default) and without it (1 thread). One Markdown table on stdout.
//! Bytes per state are the engine's own structures (visited set, parent links, packed frontier),
//! which, unlike the resident set, do not depend on what earlier cells left allocated.
//!
//! `cargo bench --bench scaling` (every cell has a budget: `RACECHECK_BENCH_SECONDS`, default
//! 30 s, and 8 GiB of memory; a cell that runs out says so instead of a number).

use racecheck::explore::{self, Options, Reduction, Report};
use racecheck::scenario::{Model, Scenario};
use std::path::PathBuf;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn cell(r: &Report) -> String {
    if !r.complete {
        return format!("budget ({} states)", r.stats.states);
    }
    format!(
        "{} st, {:.2} s, {:.0} k/s, {} B/st",
        r.stats.states,
        r.stats.seconds,
        r.stats.rate() / 1000.0,
        r.stats.engine_bytes / r.stats.states.max(1)
    )
}

fn main() {
    // `cargo bench` passes --bench; nothing else is accepted.
    let budget: f64 = std::env::var("RACECHECK_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30.0);
    let models = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models");
    println!(
        "| variant | K | P | 1 thread | 2 threads | no reduction, 1 thread | exact visited set, 1 thread |"
    );
    println!("|---|---|---|---|---|---|---|");
    for name in ["baseline", "lockflag", "dropdb", "wallog"] {
        let base = Model::load(&models.join(format!("{name}.toml"))).expect("model loads");
        let mut skip_rest = false;
        for k in 1..=4u8 {
            for p in 1..=3u8 {
                if skip_rest {
                    println!(
                        "| {name} | {k} | {p} | skipped (a smaller cell ran out of budget) | | | |"
                    );
                    continue;
                }
                let mut m = base.clone();
                m.files = k;
                m.pages = p;
                // The model's actions name block 1: on one-page files, block 0.
                for a in &mut m.backend.actions {
                    use racecheck::scenario::model::BackendAction as A;
                    let (A::Visible { blk, .. } | A::Update { blk, .. } | A::Flush { blk, .. }) = a;
                    *blk = (*blk).min(p - 1);
                }
                m.validate().expect("bench model is valid");
                let sc = Scenario::new(&m);
                let opts = |threads, exact_states, reduction| Options {
                    threads,
                    exact_states,
                    reduction,
                    max_seconds: Some(budget),
                    max_memory: Some(8 << 30),
                    ..Options::default()
                };
                let (on, off) = (Reduction::Persistent, Reduction::None);
                let one = explore::run(&sc, &opts(1, false, on)).expect("native run");
                let two = explore::run(&sc, &opts(2, false, on)).expect("native run");
                let full = explore::run(&sc, &opts(1, false, off)).expect("native run");
                let exact = if one.stats.states <= 100_000 && one.complete {
                    cell(&explore::run(&sc, &opts(1, true, on)).expect("native run"))
                } else {
                    "-".to_string()
                };
                println!(
                    "| {name} | {k} | {p} | {} | {} | {} | {exact} |",
                    cell(&one),
                    cell(&two),
                    cell(&full)
                );
                if !one.complete {
                    skip_rest = true;
                }
            }
        }
    }
}
