//! What a worker does with a block of states: each state loaded into its scratch World (only
//! the fields that differ decoded), judged, and stepped by every process the reduction keeps,
//! each successor encoded and fingerprinted into a results buffer ([`Out`]) that the merge
//! reads in block order (native.rs).

use super::options::{Fingerprint, Reduction};
use super::states::{Arena, Block};
use crate::property::{self, PropSet, Verdicts};
use crate::scenario::Scenario;
use crate::world::{ProcId, World, codec};

/// What a worker found for one state of a block: the state's index, verdicts, whether it is
/// terminal, how many successors it has, and where its successors end in the worker's [`Out`]
/// (in process-id order).
pub(super) struct Expanded {
    pub(super) idx: u32,
    pub(super) verdicts: Verdicts,
    pub(super) terminal: bool,
    pub(super) generated: u64,
    pub(super) succ_end: usize,
}

/// The results of expanding one block, reused from block to block: per state an
/// [`Expanded`], per successor kept the process that stepped, its fingerprint and encoding, and
/// for each successor that is terminal its number among them and its verdicts.
#[derive(Default)]
pub(super) struct Out {
    pub(super) states: Vec<Expanded>,
    pub(super) procs: Vec<ProcId>,
    pub(super) fps: Vec<u64>,
    /// Per successor, the high half of a 128-bit fingerprint (empty with 64-bit ones).
    pub(super) fps_high: Vec<u64>,
    pub(super) found: Arena,
    pub(super) terminal: Vec<(usize, Verdicts)>,
    /// Per successor, whether the merge found it new.
    pub(super) new: Vec<bool>,
}

impl Out {
    pub(super) fn clear(&mut self) {
        self.states.clear();
        self.procs.clear();
        self.fps.clear();
        self.fps_high.clear();
        self.found.clear();
        self.terminal.clear();
    }
    pub(super) fn held(&self) -> u64 {
        (self.states.capacity() * std::mem::size_of::<Expanded>()
            + self.procs.capacity()
            + (self.fps.capacity() + self.fps_high.capacity()) * 8
            + self.terminal.capacity() * std::mem::size_of::<(usize, Verdicts)>()) as u64
            + self.found.held()
    }
}

/// A worker's World and the encoding of what it holds (moving it to another state reads only
/// the fields that differ: `codec::sync_into`), and its encoding buffer.
pub(super) struct Scratch {
    w: World,
    have: Vec<u8>,
    buf: Vec<u8>,
    fp: Fingerprint,
}

impl Scratch {
    /// A scratch World that fingerprints its successors with `fp`.
    pub(super) fn new(fp: Fingerprint) -> Scratch {
        let w = World::default();
        let mut have = Vec::new();
        codec::encode(&w, &mut have);
        Scratch {
            w,
            have,
            buf: Vec::new(),
            fp,
        }
    }

    /// Make the World the one `packed` encodes, from the one it holds.
    fn load(&mut self, packed: &[u8]) {
        codec::sync_into(&mut self.w, &self.have, packed).expect("a packed World decodes");
        codec::settle(&mut self.w);
        self.have.clear();
        self.have.extend_from_slice(packed);
    }
}

/// Expand one state into `out`: its verdicts, and every successor (the merge decides which are
/// new: looking each up here first cost more than carrying the duplicates, one hash-table miss
/// against a copy of their bytes). The scratch World is moved to the state (only the fields
/// that differ from the state it held are decoded), stepped, encoded (only the fields the step
/// borrowed mutably are written, the others copied from the state's encoding), and restored
/// for the next successor (only the fields the step borrowed mutably are decoded again, the
/// WAL truncated).
#[allow(clippy::too_many_arguments)]
pub(super) fn expand(
    sc: &Scenario,
    scratch: &mut Scratch,
    packed: &[u8],
    idx: u32,
    reduce: Reduction,
    known: PropSet,
    out: &mut Out,
) {
    scratch.load(packed);
    let w = &scratch.w;
    let mut enabled = sc.enabled_procs(w);
    let verdicts = property::evaluate_with(sc, w, &enabled, known);
    if sc.terminal(w) {
        out.states.push(Expanded {
            idx,
            verdicts,
            terminal: true,
            generated: 0,
            succ_end: out.procs.len(),
        });
        return;
    }
    if reduce == Reduction::Persistent
        && let Some(p) = sc.persistent_step(w, &enabled)
    {
        enabled.retain(|q| *q == p);
    }
    let wal_len = scratch.w.wal.len();
    for (k, &p) in enabled.iter().enumerate() {
        let Scratch { w, have, buf, fp } = scratch;
        if k > 0 {
            // Undo the previous successor's step: only what it touched is read again.
            codec::restore(w, packed, wal_len).expect("the state's own encoding");
        }
        sc.step(w, p, None);
        codec::encode_successor(w, packed, wal_len, buf).expect("the state's own encoding");
        let low = fp.low(buf);
        // A terminal successor is judged here, with its World at hand: if it is new, the
        // merge records its verdicts and does not queue it (it has nothing to expand).
        if sc.terminal(w) {
            let v = property::evaluate_with(sc, w, &[], known);
            out.terminal.push((out.procs.len(), v));
        }
        out.procs.push(p);
        out.fps.push(low);
        if fp.bits == super::options::FpBits::B128 {
            out.fps_high.push(fp.high(buf));
        }
        out.found.push(buf);
        // The World now holds the successor.
        std::mem::swap(have, buf);
    }
    out.states.push(Expanded {
        idx,
        verdicts,
        terminal: false,
        generated: enabled.len() as u64,
        succ_end: out.procs.len(),
    });
}

/// Expand the states of a block, in order, into `out` (cleared first). `known`: the properties
/// found before the block was handed out (their violations need no message: the collector
/// keeps the first one only, found earlier).
#[allow(clippy::too_many_arguments)]
pub(super) fn expand_block(
    sc: &Scenario,
    scratch: &mut Scratch,
    block: &Block,
    reduce: Reduction,
    known: PropSet,
    out: &mut Out,
) {
    out.clear();
    for i in 0..block.len() {
        let (b, idx) = (block.states.get(i), block.idx[i]);
        expand(sc, scratch, b, idx, reduce, known, out);
    }
}
