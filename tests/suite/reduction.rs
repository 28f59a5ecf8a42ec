//! The partial-order reduction (docs/reduction.md): the footprints it relies on are checked in
//! every reachable state of every matrix configuration (small sizes), and reduced searches are
//! compared with unreduced ones (same terminal states, same verdicts, same violated and reached
//! properties, same counterexample lengths).

use crate::common::{configs, label};
use racecheck::explore::{self, Options, Reduction};
use racecheck::scenario::{Model, Scenario};
use racecheck::world::{ProcId, World};
use std::collections::{BTreeSet, HashSet, VecDeque};

/// `f` over every configuration, on two threads (results in configuration order).
fn each<T: Send>(configs: Vec<Model>, f: impl Fn(&Model) -> T + Sync) -> Vec<(Model, T)> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let out = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(m) = configs.get(i) else { break };
                    let r = f(m);
                    out.lock().unwrap().push((i, r));
                }
            });
        }
    });
    let mut out = out.into_inner().unwrap();
    out.sort_by_key(|(i, _)| *i);
    out.into_iter()
        .map(|(i, r)| (configs[i].clone(), r))
        .collect()
}

fn procs(sc: &Scenario) -> Vec<ProcId> {
    (0..sc.procs.len())
        .map(|i| ProcId::try_from(i).unwrap())
        .collect()
}

fn after(sc: &Scenario, w: &World, p: ProcId) -> World {
    let mut n = w.clone();
    sc.step(&mut n, p, None);
    n
}

/// Every reachable World of the unreduced search (terminal states are not expanded).
fn reachable(sc: &Scenario) -> Vec<World> {
    let mut seen = HashSet::new();
    let mut order = Vec::new();
    let mut queue = VecDeque::from([sc.initial()]);
    seen.insert(sc.initial());
    while let Some(w) = queue.pop_front() {
        if !sc.terminal(&w) {
            for p in sc.enabled_procs(&w) {
                let n = after(sc, &w, p);
                if seen.insert(n.clone()) {
                    queue.push_back(n);
                }
            }
        }
        order.push(w);
    }
    order
}

/// Terminal and deadlocked Worlds reachable with or without the reduction.
fn ends(sc: &Scenario, reduce: bool) -> BTreeSet<String> {
    let mut seen = HashSet::new();
    let mut out = BTreeSet::new();
    let mut queue = VecDeque::from([sc.initial()]);
    seen.insert(sc.initial());
    while let Some(w) = queue.pop_front() {
        let mut enabled = sc.enabled_procs(&w);
        if sc.terminal(&w) || enabled.is_empty() {
            out.insert(format!("{w:?}"));
            continue;
        }
        if reduce && let Some(p) = sc.persistent_step(&w, &enabled) {
            enabled = smallvec::smallvec![p];
        }
        for p in enabled {
            let n = after(sc, &w, p);
            if seen.insert(n.clone()) {
                queue.push_back(n);
            }
        }
    }
    out
}

/// What the reduction assumes of the footprints, checked in every reachable state:
/// 1. a step's footprint is within its process's future footprint, unless that is empty;
/// 2. a process's future footprint never grows along a step (so it bounds everything the
///    process can still do), and a process whose future footprint is empty is not enabled;
/// 3. two steps with disjoint footprints are independent: neither enables or disables the
///    other, and both orders give the same World;
/// 4. a step chosen as a persistent set changes the World (no self-loop);
/// 5. a step that finishes its process (its last op, or an ERROR or FATAL that ends it) has
///    `DONE` in its footprint, also where the step leads into a terminal state: the end of a
///    run is read through `DONE`, so a finishing step that lacked it could be reordered past
///    a step that decides the run is over.
#[test]
fn footprints_are_sound_in_every_reachable_state() {
    let small: Vec<Model> = configs()
        .into_iter()
        .map(|mut m| {
            m.files = 1;
            m.pages = 1;
            m
        })
        .collect();
    each(small, check_footprints);
}

/// The same facts at two files, for every model at PostgreSQL 15 from either source (the
/// footprints of a directory's second file, of a walk and an rmtree that interleave file by
/// file, which one file cannot show).
#[test]
#[ignore = "slow (about 25 s of CPU): outside the default suite, .ci/run runs it (--ignored reduction::)"]
fn footprints_are_sound_at_two_files() {
    let cs: Vec<Model> = configs()
        .into_iter()
        .filter(|m| m.pg.as_str() == "15")
        .map(|mut m| {
            m.files = 2;
            m.pages = 1;
            m
        })
        .collect();
    assert!(
        cs.len() >= 38,
        "every model from either source: {}",
        cs.len()
    );
    each(cs, check_footprints);
}

fn check_footprints(m: &Model) {
    check_footprints_of(&Scenario::new(m));
}

/// The footprint checks on one scenario (its footprints possibly cut by a mutation test).
fn check_footprints_of(sc: &Scenario) {
    let m = sc.model.clone();
    {
        let sc = sc.clone();
        let ps = procs(&sc);
        for w in reachable(&sc) {
            if sc.terminal(&w) {
                continue;
            }
            let enabled = sc.enabled_procs(&w);
            for &q in &ps {
                let Some(op) = sc.next_op(&w, q) else {
                    continue;
                };
                let fp = sc.footprint(&w, q);
                let name = sc.procs[usize::from(q)].name;
                let fut = sc.future_footprint(&w, q);
                // An empty future says the process never steps again (checked below and by 2.).
                assert_eq!(
                    if fut == 0 { 0 } else { fp & !fut },
                    0,
                    "{}: {name}'s step {} touches {fp:#b} outside its future {fut:#b}",
                    label(&m),
                    op.name()
                );
                if fut == 0 {
                    assert!(
                        !enabled.contains(&q),
                        "{}: {name} enabled with an empty future",
                        label(&m)
                    );
                }
                for &p in &enabled {
                    let n = after(&sc, &w, p);
                    let fut2 = sc.future_footprint(&n, q);
                    assert_eq!(
                        fut2 & !fut,
                        0,
                        "{}: {name}'s future grew from {fut:#b} to {fut2:#b} when {} stepped",
                        label(&m),
                        sc.procs[usize::from(p)].name
                    );
                }
            }
            for &p in &enabled {
                let n = after(&sc, &w, p);
                if !sc.finished(&w, p) && sc.finished(&n, p) {
                    assert!(
                        sc.footprint(&w, p) & racecheck::scenario::ops::res::DONE != 0,
                        "{}: {}'s step {} finishes it{} but has no DONE in its footprint",
                        label(&m),
                        sc.procs[usize::from(p)].name,
                        sc.next_op(&w, p).unwrap().name(),
                        if sc.terminal(&n) {
                            ", into a terminal state,"
                        } else {
                            ""
                        }
                    );
                }
                for &q in &ps {
                    if q == p || sc.next_op(&w, q).is_none() {
                        continue;
                    }
                    if sc.dependent(p, sc.footprint(&w, p), q, sc.footprint(&w, q)) {
                        continue;
                    }
                    let (pn, qn) = (sc.procs[usize::from(p)].name, sc.procs[usize::from(q)].name);
                    let what = format!(
                        "{}: {pn}'s {} and {qn}'s {} have disjoint footprints",
                        label(&m),
                        sc.next_op(&w, p).unwrap().name(),
                        sc.next_op(&w, q).unwrap().name()
                    );
                    assert_eq!(
                        sc.enabled(&w, q),
                        sc.enabled(&n, q),
                        "{what} but {pn}'s step changes whether {qn} can step"
                    );
                    if sc.enabled(&w, q) {
                        let pq = after(&sc, &after(&sc, &w, p), q);
                        let qp = after(&sc, &after(&sc, &w, q), p);
                        assert!(pq == qp, "{what} but do not commute:\n{pq:?}\n{qp:?}");
                    }
                }
            }
            if let Some(p) = sc.persistent_step(&w, &enabled) {
                assert!(
                    after(&sc, &w, p) != w,
                    "{}: persistent step loops",
                    label(&m)
                );
            }
        }
    }
}

/// The reduction keeps every terminal state and deadlock, exactly (the sets of Worlds compared),
/// in every configuration at one file and one page, and at two and two for one model of each
/// command.
#[test]
#[ignore = "slow (about 25 s of CPU): outside the default suite, .ci/run runs it (--ignored reduction::)"]
fn reduction_keeps_every_terminal_state() {
    let mut cs: Vec<Model> = configs()
        .into_iter()
        .map(|mut m| {
            m.files = 1;
            m.pages = 1;
            m
        })
        .collect();
    cs.extend(configs().into_iter().filter(|m| {
        m.pg.as_str() == "15"
            && ["baseline", "createdb-file-copy", "dropdb"].contains(&m.name.as_str())
    }));
    for (m, (full, reduced)) in each(cs, |m| {
        let sc = Scenario::new(m);
        (ends(&sc, false), ends(&sc, true))
    }) {
        assert!(!full.is_empty(), "{}: no terminal state", label(&m));
        assert!(
            full == reduced,
            "{}: {} terminal states unreduced, {} reduced, {} missing",
            label(&m),
            full.len(),
            reduced.len(),
            full.difference(&reduced).count()
        );
    }
}

/// Every configuration of the matrix at its model's sizes, with and without the reduction:
/// the same verdict, the same violated properties with counterexamples of the same length,
/// the same sometimes-properties reached, the same terminal states per coverage cell, and no
/// more states or transitions with it than without.
#[test]
fn reduced_and_unreduced_searches_agree_on_every_configuration() {
    let opts = |reduction| Options {
        reduction,
        threads: 1,
        ..Options::default()
    };
    let (mut states_full, mut states_reduced) = (0, 0);
    for (m, (full, reduced)) in each(configs(), |m| {
        let sc = Scenario::new(m);
        let full = explore::run(&sc, &opts(Reduction::None)).expect("native run");
        let reduced = explore::run(&sc, &opts(Reduction::Persistent)).expect("native run");
        (full, reduced)
    }) {
        let l = label(&m);
        assert_eq!(full.verdict, reduced.verdict, "{l}: verdict");
        let lengths = |r: &explore::Report| -> Vec<(String, usize)> {
            r.counterexamples
                .iter()
                .map(|c| (c.violation.property.name().to_string(), c.schedule.len()))
                .collect()
        };
        assert_eq!(
            lengths(&full),
            lengths(&reduced),
            "{l}: violated properties and counterexample lengths"
        );
        assert_eq!(
            full.coverage, reduced.coverage,
            "{l}: sometimes-properties reached"
        );
        assert_eq!(
            full.cells, reduced.cells,
            "{l}: terminal states per coverage cell"
        );
        assert_eq!(
            full.stats.distinct_terminals, reduced.stats.distinct_terminals,
            "{l}: terminal states"
        );
        assert!(
            reduced.stats.states <= full.stats.states,
            "{l}: more states reduced"
        );
        assert!(
            reduced.stats.transitions <= full.stats.transitions,
            "{l}: more transitions reduced"
        );
        states_full += full.stats.states;
        states_reduced += reduced.stats.states;
    }
    // Over the whole matrix the reduction visits 14.2% fewer states (5,349,264 -> 4,588,480 with
    // the models as committed); that it saves something at all is checked here.
    assert!(
        states_reduced < states_full,
        "the reduction saved no state: {states_full}"
    );
}

/// An oracle that keeps whole `World` values (not the encoder's bytes): a breadth-first search
/// over a `HashSet<World>` finds exactly as many states as the native engine, unreduced, with
/// fingerprints and with `--exact-states` (both of which read `codec::encode_successor`'s
/// bytes), for one model of each command at K=2 P=2; and so do fingerprints of another seed
/// (`--fingerprint-seed`) and 128-bit ones (`--fingerprint-bits 128`). An encoder that merged
/// two distinct Worlds (or split one), or a fingerprint collision, would show here.
#[test]
fn native_state_counts_equal_an_oracle_over_world_values() {
    use racecheck::world::PgVersion;
    let cs: Vec<Model> = crate::common::models()
        .into_iter()
        .filter(|m| ["baseline", "createdb-file-copy", "dropdb"].contains(&m.name.as_str()))
        .map(|mut m| {
            m.pg = PgVersion::V15;
            m.files = 2;
            m.pages = 2;
            m
        })
        .collect();
    assert_eq!(cs.len(), 3, "one model of each command");
    use racecheck::explore::{Fingerprint, FpBits};
    let other_seed = Fingerprint {
        seed: 42,
        bits: FpBits::B64,
    };
    let wide = Fingerprint {
        seed: 7,
        bits: FpBits::B128,
    };
    for (m, (oracle, fingerprints, exact, seeded, wide)) in each(cs, |m| {
        let sc = Scenario::new(m);
        let run = |exact_states: bool, fingerprint: Fingerprint| {
            let opts = Options {
                reduction: Reduction::None,
                exact_states,
                fingerprint,
                threads: 1,
                progress: None,
                ..Options::default()
            };
            let r = explore::run(&sc, &opts).unwrap();
            assert!(r.complete, "{}: incomplete", label(m));
            r.stats.states
        };
        let default = Fingerprint::default();
        (
            reachable(&sc).len() as u64,
            run(false, default),
            run(true, default),
            run(false, other_seed),
            run(false, wide),
        )
    }) {
        assert_eq!(
            (fingerprints, exact, seeded, wide),
            (oracle, oracle, oracle, oracle),
            "{}: native states (fingerprints, exact encodings, seed 42, 128 bits) against the oracle over World values",
            label(&m)
        );
    }
}

/// The footprint checks catch what `docs/reduction.md` says they catch: with the footprint of
/// one op cut (a test-only hook, `Scenario::cut_footprint`), the check fails with the message
/// the docs quote. Each mutation is a bug the reduction would otherwise silently build on.
#[test]
fn footprint_checks_fail_on_each_documented_mutation() {
    use racecheck::scenario::ops::res;
    use racecheck::world::PgVersion;
    let model = |name: &str| {
        let mut m = crate::common::models()
            .into_iter()
            .find(|m| m.name == name)
            .unwrap();
        m.pg = PgVersion::V15;
        m.files = 1;
        m.pages = 1;
        m
    };
    let cases: [(&str, &str, res::Footprint, &str); 3] = [
        // rmtree's footprint emptied: its steps look independent of the walk.
        ("baseline", "rmtree", !0, "have disjoint footprints"),
        // The stop without REMOVAL: it reads the ghost fact rmtree's first step writes.
        (
            "baseline",
            "do_pg_stop_backup",
            res::REMOVAL,
            "have disjoint footprints but do not commute",
        ),
        // Connect's FATAL branch finishing the backend without DONE.
        (
            "dropdb",
            "InitPostgres",
            res::DONE,
            "but has no DONE in its footprint",
        ),
    ];
    for (name, op, cut, want) in cases {
        let mut sc = Scenario::new(&model(name));
        // Unmutated, the checks pass.
        check_footprints_of(&sc);
        sc.cut_footprint(op, cut);
        let failed =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check_footprints_of(&sc)));
        let msg = match failed {
            Ok(()) => panic!("{name}: cutting {cut:#b} from {op}'s footprint went unnoticed"),
            Err(e) => e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default(),
        };
        assert!(
            msg.contains(want),
            "{name}: cutting {cut:#b} from {op}'s footprint: expected {want:?}, got {msg}"
        );
    }
}
