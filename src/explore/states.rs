//! What the native engine stores of the states it has seen: the visited set (fingerprints, or
//! whole encodings with `--exact-states`), the blocks of encodings a BFS level is kept in, the
//! parent links counterexamples are rebuilt from, and the fingerprint hash with its collision
//! bound. The search itself is `native.rs`.

use super::fpset::FpSet;
use crate::world::{ProcId, World, codec};
use std::collections::HashSet;
use std::hash::BuildHasherDefault;

/// The visited set: fingerprints (the default), or whole encodings (`--exact-states`, to check
/// hash compaction: same states, same verdicts; the encoding is canonical and injective, so
/// equal encodings are equal Worlds).
pub(super) enum Visited {
    Fingerprints(FpSet),
    Exact(HashSet<Box<[u8]>, BuildHasherDefault<rustc_hash::FxHasher>>),
}

/// Encodings of Worlds back to back (`world::codec`), with where each ends: a BFS level, or a
/// worker's successors. One allocation for all, kept from level to level (no allocation, and no
/// fresh pages to fault in, per state).
#[derive(Default)]
pub(super) struct Arena {
    pub(super) bytes: Vec<u8>,
    pub(super) ends: Vec<u32>,
    pub(super) touched: usize,
}

impl Arena {
    pub(super) fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.bytes[start..self.ends[i] as usize]
    }
    pub(super) fn push(&mut self, b: &[u8]) {
        self.bytes.extend_from_slice(b);
        // A block holds at most CHUNK encodings, a worker's results those of one block's
        // successors: megabytes at most.
        self.ends
            .push(u32::try_from(self.bytes.len()).expect("an arena holds less than 4 GiB"));
        self.touched = self.touched.max(self.bytes.len());
    }
    pub(super) fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }
    /// Bytes held: the encodings' high-water mark (capacity never written is not resident)
    /// and the ends.
    pub(super) fn held(&self) -> u64 {
        (self.touched + self.ends.capacity() * std::mem::size_of::<u32>()) as u64
    }
}

/// A block of a BFS level: at most [`CHUNK`] states, their encodings and their indexes in the
/// parent links. A level is a queue of blocks, expanded one block at a time; an expanded block
/// is cleared and reused by the next level, so a level's memory is given back as it is
/// consumed (without returning it to the system and faulting it in again).
pub(super) struct Block {
    pub(super) states: Arena,
    pub(super) idx: Vec<u32>,
}

impl Block {
    /// An empty block for `states` states, with room for their encodings reserved once (a
    /// block never reallocates: freed buffers would stay resident in the allocator's caches).
    pub(super) fn with_room(states: usize) -> Block {
        Block {
            states: Arena {
                bytes: Vec::with_capacity(states * BLOCK_BYTES_PER_STATE),
                ends: Vec::with_capacity(states),
                touched: 0,
            },
            idx: Vec::with_capacity(states),
        }
    }
    /// Whether `b` and its index fit without a reallocation.
    pub(super) fn fits(&self, b: &[u8]) -> bool {
        self.idx.len() < self.idx.capacity()
            && self.states.bytes.len() + b.len() <= self.states.bytes.capacity()
    }
    pub(super) fn len(&self) -> usize {
        self.idx.len()
    }
    pub(super) fn push(&mut self, b: &[u8], idx: u32) {
        self.states.push(b);
        self.idx.push(idx);
    }
    pub(super) fn clear(&mut self) {
        self.states.clear();
        self.idx.clear();
    }
    pub(super) fn held(&self) -> u64 {
        self.states.held() + self.idx.capacity() as u64 * 4
    }
}

/// Encode `w` into `buf` (cleared first); its fingerprint.
pub(super) fn encode_into(w: &World, buf: &mut Vec<u8>) -> u64 {
    buf.clear();
    codec::encode(w, buf);
    fingerprint_bytes(buf)
}

impl Visited {
    /// Bytes the set holds: per slot a fingerprint (or a boxed encoding's pointer and length
    /// and hashbrown's control byte); an exact set's encodings, on the heap, are not counted.
    pub(super) fn bytes(&self) -> u64 {
        match self {
            Visited::Fingerprints(s) => s.capacity() as u64 * 8,
            Visited::Exact(s) => {
                s.capacity() as u64 * (std::mem::size_of::<Box<[u8]>>() as u64 + 1)
            }
        }
    }
    /// What the next growth allocates if `more` insertions may trigger it
    /// ([`FpSet::growth_due`]); the exact set's growth is not predicted (it is for checks on
    /// small runs).
    pub(super) fn growth_due(&self, more: usize) -> u64 {
        match self {
            Visited::Fingerprints(s) => s.growth_due(more),
            Visited::Exact(_) => 0,
        }
    }
    pub(super) fn insert(&mut self, fp: u64, w: &[u8]) -> bool {
        match self {
            Visited::Fingerprints(s) => s.insert(fp),
            Visited::Exact(s) => !s.contains(w) && s.insert(w.into()),
        }
    }
}

/// The seed of the fingerprint hash: fixed, so a fingerprint is the same in every run.
pub(super) const FINGERPRINT_SEED: u64 = 0x7261_6365_6368_6563; // "racechec"

/// The fingerprint of a World: foldhash's quality variant (a 64-bit folded-multiply hash with a
/// final avalanche, made for hash tables and fingerprints) with a fixed seed, over its canonical
/// encoding (`world::codec`).
pub fn fingerprint(w: &World) -> u64 {
    encode_into(w, &mut Vec::new())
}

/// The fingerprint of a World's encoding (what [`fingerprint`] hashes).
pub fn fingerprint_bytes(b: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    foldhash::quality::FixedState::with_seed(FINGERPRINT_SEED).hash_one(b)
}

/// The probability that hash compaction merged two distinct states among `n` (birthday bound
/// for 64-bit fingerprints: n(n-1)/2 / 2^64).
pub fn collision_probability(n: u64) -> f64 {
    let n = n as f64;
    n * (n - 1.0) / 2.0 / 18_446_744_073_709_551_616.0
}

/// The parent links of every discovered state.
pub(super) struct Tree {
    pub(super) parent: Vec<u32>,
    pub(super) proc: Vec<ProcId>,
}

impl Tree {
    pub(super) fn bytes(&self) -> u64 {
        (self.parent.capacity() * 4 + self.proc.capacity()) as u64
    }
    pub(super) fn push(&mut self, parent: u32, p: ProcId) -> u32 {
        let i = u32::try_from(self.parent.len()).unwrap_or(u32::MAX);
        self.parent.push(parent);
        self.proc.push(p);
        i
    }
    /// The processes that stepped from the root to state `i`.
    pub(super) fn schedule(&self, mut i: u32) -> Vec<ProcId> {
        let mut path = Vec::new();
        while i != 0 {
            path.push(self.proc[i as usize]);
            i = self.parent[i as usize];
        }
        path.reverse();
        path
    }
}

/// States per block of a level (the unit a worker expands at once; with at most 4 blocks per
/// thread handed out and not merged, bounds the successors held before the merge).
pub(super) const CHUNK: usize = 1024;

/// Bytes reserved per state in a block (encodings are 100-350 bytes at the model's sizes, about
/// 195 on average for wallog at K=3 P=2; a block whose bytes fill up first simply holds fewer
/// states). Reserving much more than is written costs time, not only memory: what a block
/// touches is faulted in, and zeroed by the kernel, a (huge) page at a time. 256 took 5-10%
/// more CPU and 8 MB more than 200 on wallog K=3 P=2.
pub(super) const BLOCK_BYTES_PER_STATE: usize = 200;
