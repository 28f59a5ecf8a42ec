//! Where the native engine's time goes, per operation, on a sample of reachable states:
//! decoding a frontier entry (whole, and as the engine does: moving one World from the previous
//! state, reading only the fields that differ), encoding a state and fingerprinting it, the
//! enabled processes, the property check, the reduction's choice, the successors (as the engine
//! builds them), and a World's clone for comparison. `cargo bench --bench costs [-- VARIANT [STATES]]` (default:
//! wallog, 60,000 states breadth-first). Nanoseconds per state, medians of 5 passes.

use racecheck::explore::native::{fingerprint, fingerprint_bytes};
use racecheck::scenario::{Model, Scenario};
use racecheck::world::{World, codec};
use std::collections::{HashSet, VecDeque};
use std::hint::black_box;
use std::time::Instant;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Median over 5 passes of `f` over every state, in ns per state.
fn per_state(states: &[World], mut f: impl FnMut(&World)) -> f64 {
    let mut t: Vec<f64> = (0..5)
        .map(|_| {
            let s = Instant::now();
            for w in states {
                f(w);
            }
            s.elapsed().as_nanos() as f64 / states.len() as f64
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[2]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let variant = args.first().map_or("wallog", String::as_str);
    let limit: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(60_000);
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("models")
        .join(format!("{variant}.toml"));
    let sc = Scenario::new(&Model::load(&path).expect("model loads"));
    let mut seen = HashSet::new();
    let mut queue = VecDeque::from([sc.initial()]);
    let mut states = Vec::new();
    while let Some(w) = queue.pop_front() {
        if states.len() >= limit {
            break;
        }
        if !sc.terminal(&w) {
            for p in sc.enabled_procs(&w) {
                let mut n = w.clone();
                sc.step(&mut n, p, None);
                if seen.insert(fingerprint(&n)) {
                    queue.push_back(n);
                }
            }
        }
        states.push(w);
    }
    let packed: Vec<Vec<u8>> = states
        .iter()
        .map(|w| {
            let mut b = Vec::new();
            codec::encode(w, &mut b);
            b
        })
        .collect();
    let succ: usize = states.iter().map(|w| sc.enabled_procs(w).len()).sum();
    println!(
        "{variant}: {} states, {:.2} enabled processes and {} encoded bytes per state on average",
        states.len(),
        succ as f64 / states.len() as f64,
        packed.iter().map(Vec::len).sum::<usize>() / packed.len()
    );
    let mut scratch = World::default();
    let mut buf = Vec::new();
    let mut i = 0;
    let decode = per_state(&states, |_| {
        codec::decode_into(&mut scratch, &packed[i % packed.len()]).expect("decodes");
        black_box(&scratch);
        i += 1;
    });
    // One World moved along the states in their breadth-first order, as the engine does.
    let mut moving = World::default();
    let mut have = Vec::new();
    codec::encode(&moving, &mut have);
    let mut i = 0;
    let sync = per_state(&states, |_| {
        let b = &packed[i % packed.len()];
        codec::sync_into(&mut moving, &have, b).expect("syncs");
        have.clone_from(b);
        black_box(&moving);
        i += 1;
    });
    let mut i = 0;
    let successors = per_state(&states, |w| {
        // As the engine builds them: the World moved to the state (from the previous state's
        // last successor), then per successor: the previous step undone from its marks,
        // stepped, encoded from the state's encoding and the fields the step touched,
        // fingerprinted.
        let b = &packed[i % packed.len()];
        codec::sync_into(&mut moving, &have, b).expect("syncs");
        codec::settle(&mut moving);
        let wal_len = moving.wal.len();
        for (k, p) in sc.enabled_procs(w).into_iter().enumerate() {
            if k > 0 {
                codec::restore(&mut moving, b, wal_len).expect("restores");
            }
            sc.step(&mut moving, p, None);
            codec::encode_successor(&moving, b, wal_len, &mut buf).expect("encodes");
            black_box(fingerprint_bytes(&buf));
            std::mem::swap(&mut have, &mut buf);
        }
        i += 1;
    });
    let rows = [
        ("decode a state in place (world::codec)", decode),
        (
            "move the engine's World from the previous state (codec::sync_into)",
            sync,
        ),
        (
            "encode a state (world::codec, reused buffer; the World not in cache)",
            per_state(&states, |w| {
                buf.clear();
                codec::encode(w, &mut buf);
                black_box(&buf);
            }),
        ),
        (
            "encode + fingerprint (foldhash over the encoding; idem)",
            per_state(&states, |w| {
                black_box(fingerprint(w));
            }),
        ),
        (
            "enabled processes",
            per_state(&states, |w| {
                black_box(sc.enabled_procs(w));
            }),
        ),
        (
            "properties (non-terminal: deadlock check)",
            per_state(&states, |w| {
                let e = sc.enabled_procs(w);
                black_box(racecheck::property::evaluate_with(
                    &sc,
                    w,
                    &e,
                    Default::default(),
                ));
            }),
        ),
        (
            "reduction: persistent step choice",
            per_state(&states, |w| {
                let e = sc.enabled_procs(w);
                black_box(sc.persistent_step(w, &e));
            }),
        ),
        (
            "every successor, as the engine builds it: move there, (undo), step, encode_successor, fingerprint",
            successors,
        ),
        (
            "for comparison: clone + drop of a whole World",
            per_state(&states, |w| {
                black_box(w.clone());
            }),
        ),
    ];
    println!("| operation | ns per state |\n|---|---|");
    for (name, ns) in rows {
        println!("| {name} | {ns:.0} |");
    }
}
