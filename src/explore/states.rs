//! What the native engine stores of the states it has seen: the visited set (fingerprints, or
//! whole encodings with `--exact-states`), the blocks of encodings a BFS level is kept in, the
//! parent links counterexamples are rebuilt from, and the fingerprint hash with its collision
//! bound. The search itself is `native.rs`.

use super::fpset::FpSet;
use super::options::{DEFAULT_FINGERPRINT_SEED, Fingerprint, FpBits};
use crate::world::{ProcId, World, codec};
use std::collections::HashSet;
use std::hash::BuildHasherDefault;

/// The visited set: fingerprints (the default), or whole encodings (`--exact-states`, to check
/// hash compaction: same states, same verdicts; the encoding is canonical and injective, so
/// equal encodings are equal Worlds).
pub(super) enum Visited {
    Fingerprints(FpSet),
    /// 128-bit fingerprints (`--fingerprint-bits 128`): the two halves, low then high.
    Fingerprints128(HashSet<u128, BuildHasherDefault<rustc_hash::FxHasher>>),
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

/// Encode `w` into `buf` (cleared first).
pub(super) fn encode_into(w: &World, buf: &mut Vec<u8>) {
    buf.clear();
    codec::encode(w, buf);
}

impl Visited {
    /// Bytes the set holds: per slot a fingerprint (or a boxed encoding's pointer and length
    /// and hashbrown's control byte); an exact set's encodings, on the heap, are not counted.
    pub(super) fn bytes(&self) -> u64 {
        match self {
            Visited::Fingerprints(s) => s.capacity() as u64 * 8,
            Visited::Fingerprints128(s) => s.capacity() as u64 * 17,
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
            Visited::Fingerprints128(_) | Visited::Exact(_) => 0,
        }
    }
    /// Insert a state by its fingerprint (`hi`: the high half of a 128-bit one) or its
    /// encoding `w`; whether it was new.
    pub(super) fn insert(&mut self, fp: u64, hi: u64, w: &[u8]) -> bool {
        match self {
            Visited::Fingerprints(s) => s.insert(fp),
            Visited::Fingerprints128(s) => s.insert(u128::from(hi) << 64 | u128::from(fp)),
            Visited::Exact(s) => !s.contains(w) && s.insert(w.into()),
        }
    }
}

/// What the seed of a 128-bit fingerprint's high half differs from the seed by.
const HIGH_HALF: u64 = 0x9e37_79b9_7f4a_7c15;

impl Fingerprint {
    /// The fingerprint's low half (all of a 64-bit one) of an encoding: foldhash's quality
    /// variant (a 64-bit folded-multiply hash with a final avalanche, made for hash tables and
    /// fingerprints) with this seed.
    pub fn low(&self, b: &[u8]) -> u64 {
        use std::hash::BuildHasher;
        foldhash::quality::FixedState::with_seed(self.seed).hash_one(b)
    }
    /// The high half of a 128-bit fingerprint (0 for a 64-bit one): foldhash with another seed.
    pub fn high(&self, b: &[u8]) -> u64 {
        use std::hash::BuildHasher;
        match self.bits {
            FpBits::B64 => 0,
            FpBits::B128 => {
                foldhash::quality::FixedState::with_seed(self.seed ^ HIGH_HALF).hash_one(b)
            }
        }
    }
    /// The summary's words: the hash, its seed, and the collision bound for `n` states.
    pub fn describe(&self, n: u64) -> String {
        let (bits, hash) = match self.bits {
            FpBits::B64 => (64, "foldhash"),
            FpBits::B128 => (128, "two foldhash values"),
        };
        format!(
            "{bits}-bit fingerprints ({hash}, seed {:#x}): collision probability {:.1e} (birthday bound, as if the hash were random)",
            self.seed,
            collision_probability_bits(n, bits),
        )
    }
}

/// The fingerprint of a World with the default hash (64 bits, the default seed), over its
/// canonical encoding (`world::codec`).
pub fn fingerprint(w: &World) -> u64 {
    let mut buf = Vec::new();
    encode_into(w, &mut buf);
    fingerprint_bytes(&buf)
}

/// The default fingerprint of a World's encoding (what [`fingerprint`] hashes).
pub fn fingerprint_bytes(b: &[u8]) -> u64 {
    Fingerprint {
        seed: DEFAULT_FINGERPRINT_SEED,
        bits: FpBits::B64,
    }
    .low(b)
}

/// The probability that hash compaction merged two distinct states among `n` (birthday bound
/// for 64-bit fingerprints: n(n-1)/2 / 2^64).
pub fn collision_probability(n: u64) -> f64 {
    collision_probability_bits(n, 64)
}

/// The birthday bound for `n` states and `bits`-bit fingerprints: n(n-1)/2 / 2^bits.
pub fn collision_probability_bits(n: u64, bits: i32) -> f64 {
    let n = n as f64;
    n * (n - 1.0) / 2.0 / 2f64.powi(bits)
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
