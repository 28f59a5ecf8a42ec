//! The World's compact encoding (`world::codec`), which the native explorer keeps in its frontier
//! and hashes for its fingerprints: decoding gives back exactly the World encoded — so the
//! encoding is injective and a fingerprint of the encoding is a fingerprint of the World — also
//! when decoding in place over another World, in every reachable state of every matrix
//! configuration at K=1 P=1, and in states with more files and pages than the inline capacities
//! (maps and vectors spilled to the heap); and moving a decoded World from one state to another
//! by reading only the fields that differ (`codec::sync_into`, what the engine does) gives the
//! same World as decoding afresh, and encoding a successor from its parent's encoding and the
//! fields the step touched (`codec::encode_successor`) gives the same bytes as encoding it whole,
//! and undoing the step from those marks (`codec::restore`) gives the state back.

use crate::common::{configs, label, models};
use racecheck::matrix;
use racecheck::scenario::Scenario;
use racecheck::world::{World, codec};
use std::collections::{HashSet, VecDeque};

fn encode(w: &World) -> Vec<u8> {
    let mut b = Vec::new();
    codec::encode(w, &mut b);
    b
}

/// Breadth-first over the unreduced search, at most `limit` states; checks every state against
/// the previous one as the in-place decoding's starting point. Returns the states checked.
fn check_reachable(sc: &Scenario, limit: usize, label: &str) -> usize {
    let mut seen = HashSet::new();
    let mut queue = VecDeque::from([sc.initial()]);
    seen.insert(encode(&sc.initial()));
    let mut scratch = World::default();
    // What the engine does: one World moved from state to state, reading only what differs.
    let mut synced = World::default();
    let mut have = encode(&synced);
    let mut checked = 0;
    while let Some(w) = queue.pop_front() {
        let bytes = encode(&w);
        let back = codec::decode(&bytes);
        assert_eq!(back.as_ref(), Some(&w), "{label}: decode(encode(w)) != w");
        // In place, over whatever the scratch World held before (the previous state).
        codec::decode_into(&mut scratch, &bytes).expect("decodes in place");
        assert_eq!(scratch, w, "{label}: decoding in place left stale data");
        codec::sync_into(&mut synced, &have, &bytes).expect("syncs");
        assert_eq!(
            synced, w,
            "{label}: sync_into from the previous state differs"
        );
        have = bytes.clone();
        assert!(
            codec::decode(&bytes[..bytes.len() - 1]).is_none(),
            "{label}: a truncated encoding must not decode"
        );
        checked += 1;
        if checked >= limit {
            break;
        }
        if !sc.terminal(&w) {
            for p in sc.enabled_procs(&w) {
                let mut n = w.clone();
                sc.step(&mut n, p, None);
                // From the state to its successor and back (the WAL grows, then shrinks).
                let nb = encode(&n);
                codec::sync_into(&mut synced, &have, &nb).expect("syncs");
                assert_eq!(synced, n, "{label}: sync_into to a successor differs");
                codec::sync_into(&mut synced, &nb, &have).expect("syncs");
                assert_eq!(
                    synced, w,
                    "{label}: sync_into back from a successor differs"
                );
                // The engine's step: settle, step in place, encode only what was touched.
                codec::settle(&mut synced);
                let wal_len = synced.wal.len();
                sc.step(&mut synced, p, None);
                assert_eq!(synced, n, "{label}: stepping in place differs from a clone");
                let mut succ = Vec::new();
                codec::encode_successor(&synced, &have, wal_len, &mut succ).expect("encodes");
                assert_eq!(succ, nb, "{label}: encode_successor differs from encode");
                // Undone as the engine does before the next successor.
                codec::restore(&mut synced, &have, wal_len).expect("restores");
                assert_eq!(synced, w, "{label}: restore after a step differs");
                if seen.insert(encode(&n)) {
                    queue.push_back(n);
                }
            }
        }
    }
    checked
}

#[test]
fn every_reachable_state_round_trips_in_every_configuration() {
    let mut total = 0;
    for mut m in configs() {
        m.files = 1;
        m.pages = 1;
        total += check_reachable(&Scenario::new(&m), usize::MAX, &label(&m));
    }
    assert!(
        total > 10_000,
        "the configurations were explored ({total} states)"
    );
}

#[test]
fn spilled_maps_and_vectors_round_trip() {
    // More files and pages than the inline capacities (4 files per directory, 4 pages per
    // file), from the primary and from a standby: the directories, files and WAL live on the
    // heap.
    let mut n = 0;
    for m in models() {
        if !["wallog", "baseline", "createdb-file-copy", "dropdb"].contains(&m.name.as_str()) {
            continue;
        }
        for source in matrix::configs(std::slice::from_ref(&m))
            .into_iter()
            .filter(|c| c.pg == racecheck::world::PgVersion::V15)
        {
            let mut c = source;
            c.files = 6;
            c.pages = 6;
            n += check_reachable(&Scenario::new(&c), 3_000, &label(&c));
        }
    }
    assert!(
        n >= 4 * 3_000,
        "every chosen configuration was explored ({n} states)"
    );
}

#[test]
fn distinct_worlds_have_distinct_encodings_and_equal_ones_equal() {
    // Across the reachable states of one configuration: the map from encodings to Worlds is
    // one-to-one (so the fingerprint, a hash of the encoding, separates what World equality
    // separates).
    let m = models()
        .into_iter()
        .find(|m| m.name == "dropdb")
        .expect("dropdb model");
    let sc = Scenario::new(&m);
    let mut by_world = HashSet::new();
    let mut by_bytes = HashSet::new();
    let mut queue = VecDeque::from([sc.initial()]);
    while let Some(w) = queue.pop_front() {
        let fresh_world = by_world.insert(w.clone());
        let fresh_bytes = by_bytes.insert(encode(&w));
        assert_eq!(
            fresh_world, fresh_bytes,
            "World and encoding agree on novelty"
        );
        if fresh_world && !sc.terminal(&w) {
            for p in sc.enabled_procs(&w) {
                let mut n = w.clone();
                sc.step(&mut n, p, None);
                queue.push_back(n);
            }
        }
    }
    assert_eq!(by_world.len(), by_bytes.len());
    assert!(by_world.len() > 1_000, "{} states", by_world.len());
}

#[test]
fn frames_longer_than_one_length_byte_round_trip_sync_and_encode_as_successors() {
    // Frames of 128 bytes or more take a two-byte length: a directory of 10 files of 10 pages
    // (about 200 bytes) and a WAL of 150 records.
    use racecheck::world::{Loc, Rec};
    let mut w = World::initial(Loc::Base, 10, 10, 4);
    for redo in 0..150 {
        w.log(Rec::Checkpoint { redo });
    }
    let bytes = encode(&w);
    assert_eq!(
        codec::decode(&bytes).as_ref(),
        Some(&w),
        "long frames decode"
    );
    // A step that changes one page and appends one record, from the settled World.
    let mut moved = World::default();
    let empty = encode(&moved);
    codec::sync_into(&mut moved, &empty, &bytes).expect("syncs");
    assert_eq!(moved, w, "sync_into reads long frames");
    codec::settle(&mut moved);
    let wal_len = moved.wal.len();
    let dir = moved.fs.dir_mut(Loc::Base).expect("the database directory");
    let file = dir.files.get_mut(&3).expect("file 3");
    file[5].ver = 2;
    moved.log(Rec::Checkpoint { redo: 150 });
    let mut succ = Vec::new();
    codec::encode_successor(&moved, &bytes, wal_len, &mut succ).expect("encodes");
    assert_eq!(succ, encode(&moved), "encode_successor with long frames");
    let mut undone = moved.clone();
    codec::sync_into(&mut moved, &succ, &bytes).expect("syncs back");
    assert_eq!(moved, w, "sync_into back over long frames");
    codec::restore(&mut undone, &bytes, wal_len).expect("restores");
    assert_eq!(undone, w, "restore over long frames");
}
