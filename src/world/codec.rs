//! The World's compact binary encoding: what the native explorer keeps of a state in its
//! frontier, and what its fingerprint hashes.
//!
//! Hand-written, one byte per small field, LEB128 for LSNs and for the length before every
//! sequence and map: about 170 bytes for a wallog state at K=2 P=2, written and read
//! without allocating (postcard through serde took 4-5 times longer each way). Each field of the
//! World is a *frame* of its own (its length, then its bytes; the WAL's frame is its records
//! back to back), so that the engine moves one decoded World from state to state reading only
//! the frames that differ ([`sync_into`]), and encodes a successor by copying the frames of the
//! fields its step left alone ([`encode_successor`], from the marks of [`super::tracked`]).
//! The encoding is canonical: maps are kept sorted and every field is written, so equal Worlds
//! have equal encodings; and `decode(encode(w)) == w` (tests/codec.rs, on every reachable state
//! of every model, with `sync_into` and `encode_successor` checked against them), so distinct
//! Worlds have distinct encodings. Decoding rejects what it cannot read (truncated input, an
//! unknown tag, keys out of order) with `None`; the engine only gives it what `encode` wrote.
//! The generic codec ([`Pack`] and its primitives) is `pack.rs`; this file is the World's
//! fields, frames and incremental moves.

use super::backup::Backup;
use super::catalog::Catalog;
use super::checkpointer::Checkpointer;
use super::fs::{Dir, Fs, Link, Loc, Page};
use super::locks::LockTable;
use super::pack::{Pack, get_fresh, get_len, put_leb};
use super::small::SmallMap;
use super::standby::Standby;
use super::tracked::Tracked;
use super::wal::Rec;
use super::{Ghost, ProcState, World};
use smallvec::SmallVec;

/// The World's encoding.
pub fn encode(w: &World, out: &mut Vec<u8>) {
    w.put(out);
}

/// The World an [`encode`] wrote, `None` for bytes it did not write.
pub fn decode(bytes: &[u8]) -> Option<World> {
    let mut w = World::default();
    decode_into(&mut w, bytes)?;
    Some(w)
}

/// Decode into `w`, reusing its storage; `None` for bytes [`encode`] did not write (`w` is then
/// left partly overwritten).
pub fn decode_into(w: &mut World, mut bytes: &[u8]) -> Option<()> {
    w.get_into(&mut bytes)?;
    bytes.is_empty().then_some(())
}

/// How many leading bytes `a` and `b` share (eight at a time, then one at a time).
#[inline]
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= n {
        let (x, y) = (
            u64::from_le_bytes(a[i..i + 8].try_into().unwrap_or_default()),
            u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or_default()),
        );
        if x != y {
            return i + ((x ^ y).trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + a[i..n]
        .iter()
        .zip(&b[i..n])
        .take_while(|(x, y)| x == y)
        .count()
}

/// One field of the World, written as a frame of its own (its length, then its bytes), so that
/// a decoder holding one state can move to another by reading only the frames that differ
/// ([`sync_into`]).
trait Part: Pack {
    /// The frame's contents.
    #[inline]
    fn put_part(&self, o: &mut Vec<u8>) {
        self.put(o);
    }
    /// Read a whole frame into `self`.
    #[inline]
    fn get_part(&mut self, mut f: &[u8]) -> Option<()> {
        self.get_into(&mut f)?;
        f.is_empty().then_some(())
    }
    /// Read frame `want` into `self`, which holds what frame `have` says (they differ).
    #[inline]
    fn sync_part(&mut self, _have: &[u8], want: &[u8]) -> Option<()> {
        self.get_part(want)
    }
    /// Write the frame of `self` after a step from the state whose frame was `have` (and whose
    /// WAL had `wal_len` records), when the step may have changed it (not
    /// [`Part::unchanged`]; [`encode_successor`] copies the unchanged frames itself): by
    /// default written afresh.
    #[inline]
    fn put_after(&self, _have: &[u8], _wal_len: usize, o: &mut Vec<u8>) {
        put_frame(self, o);
    }
    /// Whether the step (from a state whose WAL had `wal_len` records) left this field alone,
    /// so that its frame in the parent's encoding is still its frame and
    /// [`Part::put_after`] would only copy it: by default not known.
    #[inline]
    fn unchanged(&self, _wal_len: usize) -> bool {
        false
    }
    /// Clear the marks of what [`Part::put_after`] may copy (the value is known to equal the
    /// frame it was read from).
    #[inline]
    fn settle(&mut self) {}
    /// Undo a step from the state whose frame is `have` (whose WAL had `wal_len` records): by
    /// default the frame is read again.
    #[inline]
    fn restore(&mut self, have: &[u8], _wal_len: usize) -> Option<()> {
        self.get_part(have)
    }
}

impl<T: Part> Part for Tracked<T> {
    #[inline]
    fn put_part(&self, o: &mut Vec<u8>) {
        (**self).put_part(o);
    }
    #[inline]
    fn get_part(&mut self, f: &[u8]) -> Option<()> {
        (**self).get_part(f)
    }
    #[inline]
    fn sync_part(&mut self, have: &[u8], want: &[u8]) -> Option<()> {
        (**self).sync_part(have, want)
    }
    /// Not borrowed mutably since it was read: its frame is still the parent's (and
    /// [`Part::put_after`], which writes it afresh, is only called when it was).
    #[inline]
    fn unchanged(&self, _wal_len: usize) -> bool {
        !self.touched()
    }
    #[inline]
    fn settle(&mut self) {
        self.untouch();
    }
    /// Left alone by the step: still what `have` says.
    #[inline]
    fn restore(&mut self, have: &[u8], wal_len: usize) -> Option<()> {
        if self.touched() {
            (**self).restore(have, wal_len)
        } else {
            Some(())
        }
    }
}

/// A file tree's frame: its `pg_tblspc` link, then each directory's location and the directory
/// as a frame of its own, so that moving between two trees with the same directories reads
/// only the directories that differ (a step changes one file of one directory).
impl Part for Fs {
    #[inline]
    fn put_part(&self, o: &mut Vec<u8>) {
        self.link.put(o);
        for (loc, dir) in &self.dirs {
            loc.put(o);
            put_frame(dir, o);
        }
    }
    #[inline]
    fn get_part(&mut self, mut f: &[u8]) -> Option<()> {
        self.link = Link::get(&mut f)?;
        let mut n = 0;
        let mut count = f;
        while !count.is_empty() {
            Loc::get(&mut count)?;
            get_frame(&mut count)?;
            n += 1;
        }
        let mut i = f;
        self.dirs.decode_sorted(n, |loc, dir| {
            *loc = Loc::get(&mut i)?;
            dir.get_part(get_frame(&mut i)?)
        })
    }
    #[inline]
    fn sync_part(&mut self, have: &[u8], want: &[u8]) -> Option<()> {
        let (mut h, mut w) = (have, want);
        Link::get(&mut h)?;
        self.link = Link::get(&mut w)?;
        let mut same_dirs = true;
        while same_dirs && !h.is_empty() && !w.is_empty() {
            let (hl, wl) = (Loc::get(&mut h)?, Loc::get(&mut w)?);
            let (hd, wd) = (get_frame(&mut h)?, get_frame(&mut w)?);
            same_dirs = hl == wl;
            if same_dirs && hd != wd {
                self.dirs.get_mut(&wl)?.get_part(wd)?;
            }
        }
        if same_dirs && h.is_empty() && w.is_empty() {
            Some(())
        } else {
            // Not the same directories: read the whole tree.
            self.get_part(want)
        }
    }
}
impl Part for Dir {}
impl Part for SmallMap<super::PageKey, Page, 8> {}
impl Part for LockTable {}
impl Part for Catalog {}
impl Part for Checkpointer {}
/// The backup's frame: a frame of its small fields, then its copy's (a tree, framed by
/// directory): a walk step changes the copy, most other steps nothing of it.
impl Part for Backup {
    #[inline]
    fn put_part(&self, o: &mut Vec<u8>) {
        frame(o, |o| put_backup_head(self, o));
        put_frame(&self.copy, o);
    }
    #[inline]
    fn get_part(&mut self, mut f: &[u8]) -> Option<()> {
        get_backup_head(self, get_frame(&mut f)?)?;
        self.copy.get_part(get_frame(&mut f)?)?;
        f.is_empty().then_some(())
    }
    #[inline]
    fn sync_part(&mut self, mut have: &[u8], mut want: &[u8]) -> Option<()> {
        let (hh, wh) = (get_frame(&mut have)?, get_frame(&mut want)?);
        if hh != wh {
            get_backup_head(self, wh)?;
        }
        let (hc, wc) = (get_frame(&mut have)?, get_frame(&mut want)?);
        if hc != wc {
            self.copy.sync_part(hc, wc)?;
        }
        (have.is_empty() && want.is_empty()).then_some(())
    }
}

/// The backup's fields but its copy, written and read in this order (each function names the
/// struct whole, so a new field does not compile until it is listed here).
macro_rules! backup_head {
    ($($f:ident),* $(,)?) => {
        /// Every field of the backup but its copy.
        #[inline]
        fn put_backup_head(b: &Backup, o: &mut Vec<u8>) {
            let Backup { $($f,)* copy: _ } = b;
            $($f.put(o);)*
        }

        /// What [`put_backup_head`] wrote, read into `b`.
        #[inline]
        fn get_backup_head(b: &mut Backup, mut f: &[u8]) -> Option<()> {
            let Backup { $($f,)* copy: _ } = b;
            $($f.get_into(&mut f)?;)*
            f.is_empty().then_some(())
        }
    };
}

backup_head!(
    in_progress,
    start_wait,
    start_lsn,
    catalog_at_start,
    stage,
    failed,
    end_lsn,
    map_pending
);
impl Part for Option<Box<Standby>> {}
impl Part for bool {}
impl Part for SmallVec<[ProcState; 5]> {}
impl Part for Ghost {}

/// The WAL's frame is its records back to back (the frame's length delimits them), so that a
/// WAL that only grew or shrank at its end is a prefix of the other: only the records past the
/// common prefix are read (most steps append one record).
impl Part for SmallVec<[Rec; 32]> {
    #[inline]
    fn put_part(&self, o: &mut Vec<u8>) {
        for r in self {
            r.put(o);
        }
    }
    #[inline]
    fn get_part(&mut self, mut f: &[u8]) -> Option<()> {
        self.clear();
        while !f.is_empty() {
            self.push(Rec::get(&mut f)?);
        }
        Some(())
    }
    #[inline]
    fn sync_part(&mut self, have: &[u8], want: &[u8]) -> Option<()> {
        // A record's encoding is self-delimiting, so a frame that is a byte prefix of the other
        // ends on one of the other's record boundaries.
        if let Some(mut more) = want.strip_prefix(have) {
            while !more.is_empty() {
                self.push(Rec::get(&mut more)?);
            }
            Some(())
        } else if let Some(mut less) = have.strip_prefix(want) {
            let mut n = 0;
            while !less.is_empty() {
                Rec::get(&mut less)?;
                n += 1;
            }
            let keep = self.len().checked_sub(n)?;
            self.truncate(keep);
            Some(())
        } else {
            // The two diverge: the records wholly inside their common bytes are kept (both
            // encodings have the same record boundaries there), the rest of `want` is read.
            let common = common_prefix(have, want);
            let (mut rest, mut keep, mut at) = (have, 0, 0);
            while !rest.is_empty() {
                Rec::skip(&mut rest)?;
                let end = have.len() - rest.len();
                if end > common {
                    break;
                }
                (keep, at) = (keep + 1, end);
            }
            self.truncate(keep);
            let mut more = want.get(at..)?;
            while !more.is_empty() {
                self.push(Rec::get(&mut more)?);
            }
            Some(())
        }
    }
    /// The WAL is only ever appended to: no record appended, nothing changed.
    #[inline]
    fn unchanged(&self, wal_len: usize) -> bool {
        self.len() == wal_len
    }
    /// The WAL is only ever appended to: the step's records are dropped.
    #[inline]
    fn restore(&mut self, have: &[u8], wal_len: usize) -> Option<()> {
        if self.len() < wal_len {
            return self.get_part(have);
        }
        self.truncate(wal_len);
        Some(())
    }
    /// The WAL is only ever appended to ([`World::log`]): the frame of the first `wal_len`
    /// records is `have`, followed by the records the step appended.
    #[inline]
    fn put_after(&self, have: &[u8], wal_len: usize, o: &mut Vec<u8>) {
        match self.get(wal_len..) {
            Some(new) => frame(o, |o| {
                o.extend_from_slice(have);
                for r in new {
                    r.put(o);
                }
            }),
            None => put_frame(self, o),
        }
    }
}

/// Write `v`'s part as a frame: its length (LEB128), then its bytes.
#[inline]
fn put_frame<T: Part>(v: &T, o: &mut Vec<u8>) {
    frame(o, |o| v.put_part(o));
}

/// Write what `body` writes as a frame: its length (LEB128), then its bytes.
#[inline]
fn frame(o: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>)) {
    let at = o.len();
    o.push(0);
    body(o);
    let n = o.len() - at - 1;
    if n < 0x80 {
        o[at] = n as u8;
    } else {
        // A longer length: written after the body, then rotated in front of it.
        o.remove(at);
        let end = o.len();
        put_leb(n as u64, o);
        let len = o.len() - end;
        o[at..].rotate_right(len);
    }
}

/// The next frame [`put_frame`] wrote.
#[inline]
fn get_frame<'a>(i: &mut &'a [u8]) -> Option<&'a [u8]> {
    let n = get_len(i)?;
    if i.len() < n {
        return None;
    }
    let (f, rest) = i.split_at(n);
    *i = rest;
    Some(f)
}

/// The World: one frame per field, in order.
macro_rules! world_parts {
    ($($f:ident),* $(,)?) => {
        impl Pack for World {
            #[inline]
            fn put(&self, o: &mut Vec<u8>) {
                $(put_frame(&self.$f, o);)*
            }
            #[inline]
            fn get(i: &mut &[u8]) -> Option<Self> {
                get_fresh(i)
            }
            #[inline]
            fn get_into(&mut self, i: &mut &[u8]) -> Option<()> {
                $(self.$f.get_part(get_frame(i)?)?;)*
                Some(())
            }
        }

        /// Turn `w`, which holds the World whose encoding is `have`, into the World whose
        /// encoding is `want`, reading only the frames (fields) that differ, and of the WAL
        /// only the records past the common prefix. `None` for bytes [`encode`] did not write
        /// (`w` is then left partly overwritten). Only correct if `w` does hold `have`'s World.
        pub fn sync_into(w: &mut World, mut have: &[u8], mut want: &[u8]) -> Option<()> {
            $(
                let (h, n) = (get_frame(&mut have)?, get_frame(&mut want)?);
                if h != n {
                    w.$f.sync_part(h, n)?;
                }
            )*
            (have.is_empty() && want.is_empty()).then_some(())
        }

        /// The encoding of `w` (into `out`, cleared first) after one step from the World
        /// whose encoding is `have`, which `w` held when [`settle`] was last called on it
        /// (with `wal_len` WAL records): the frames of the fields the step did not borrow
        /// mutably are copied from `have`, the WAL's frame is extended by the records the
        /// step appended, the rest is written afresh. Equal to [`encode`]`(w)`
        /// (tests/codec.rs); `None` for bytes [`encode`] did not write.
        pub fn encode_successor(
            w: &World,
            have: &[u8],
            wal_len: usize,
            out: &mut Vec<u8>,
        ) -> Option<()> {
            out.clear();
            // Consecutive frames the step left alone are copied from `have` at once: `copy`
            // is where the run of them began, `rest` what is left of `have`.
            let (mut rest, mut copy) = (have, 0);
            $(
                let at = have.len() - rest.len();
                let f = get_frame(&mut rest)?;
                if !w.$f.unchanged(wal_len) {
                    out.extend_from_slice(&have[copy..at]);
                    w.$f.put_after(f, wal_len, out);
                    copy = have.len() - rest.len();
                }
            )*
            out.extend_from_slice(&have[copy..]);
            rest.is_empty().then_some(())
        }

        /// Undo one step of `w`: make it the World whose encoding is `have` again, which it
        /// held when [`settle`] was last called on it (with `wal_len` WAL records), reading
        /// only the fields the step borrowed mutably (and dropping the WAL records it
        /// appended); then settle it. Equal to decoding `have` (tests/codec.rs); `None` for
        /// bytes [`encode`] did not write.
        pub fn restore(w: &mut World, mut have: &[u8], wal_len: usize) -> Option<()> {
            $(w.$f.restore(get_frame(&mut have)?, wal_len)?;)*
            settle(w);
            have.is_empty().then_some(())
        }

        /// Mark `w` as holding exactly what it was last read from (by [`sync_into`] or
        /// [`decode_into`]): from now on, [`encode_successor`] copies what a step leaves alone.
        pub fn settle(w: &mut World) {
            // Named whole: a field added to the World does not compile until it is listed in
            // `world_parts!` (a field left out of the encoding would merge distinct states).
            let World { $($f),* } = w;
            $($f.settle();)*
        }
    };
}

world_parts!(
    fs, dirty, wal, locks, catalog, ckpt, backup, standby, crashed, procs, ghost
);

#[cfg(test)]
mod tests {
    use super::common_prefix;
    use crate::world::backup::WalkStage;
    use crate::world::fs::Loc;
    use crate::world::pack::Pack;
    use crate::world::wal::Rec;

    /// `skip` steps over exactly what `put` wrote, for every kind of record (LSNs of one and of
    /// several LEB128 bytes) and walk stage.
    #[test]
    fn skip_steps_over_what_put_wrote() {
        let recs = [
            Rec::Checkpoint { redo: 3 },
            Rec::Checkpoint { redo: 300 },
            Rec::CreateFileCopy {
                dst: Loc::User,
                src: Loc::Base,
            },
            Rec::CreateWalLog { ts: Loc::NewDb },
            Rec::SmgrCreate {
                ts: Loc::User,
                rel: 2,
            },
            Rec::Fpi {
                all_visible: true,
                ts: Loc::User,
                rel: 1,
                blk: 1,
                ver: 2,
            },
            Rec::HeapUpdate {
                ts: Loc::Base,
                rel: 0,
                blk: 1,
                ver: 3,
            },
            Rec::Visible {
                ts: Loc::Base,
                rel: 0,
                blk: 1,
                heap_image: Some(1),
            },
            Rec::Visible {
                ts: Loc::Base,
                rel: 0,
                blk: 1,
                heap_image: None,
            },
            Rec::CatalogUpdate { ts: Loc::User },
            Rec::MarkInvalid,
            Rec::CatalogDelete,
            Rec::Drop { ts: Loc::Base },
            Rec::Commit {
                force_sync: true,
                drop: Some((Loc::User, 3)),
            },
            Rec::NewPages {
                ts: Loc::User,
                rel: 2,
                first: 1,
                pages: smallvec::smallvec![crate::world::Page::default(); 2],
            },
            Rec::ClassUpdate {
                ts: Loc::User,
                rel: 2,
            },
            Rec::ClassDelete,
            Rec::TablespaceDelete,
            Rec::TblspcDrop,
            Rec::Abort,
            Rec::BackupEnd { start: 70_000 },
        ];
        let mut all = Vec::new();
        for r in &recs {
            let mut one = Vec::new();
            r.put(&mut one);
            let mut i = &one[..];
            Rec::skip(&mut i).expect("skips");
            assert!(i.is_empty(), "{r:?}: {} byte(s) left", i.len());
            r.put(&mut all);
        }
        let mut i = &all[..];
        for r in &recs {
            let before = i.len();
            Rec::skip(&mut i).expect("skips");
            assert!(before > i.len(), "{r:?}: nothing skipped");
        }
        assert!(i.is_empty());
        let stage = WalkStage::Copy {
            names: smallvec::smallvec![0, 2, 5],
            next: 1,
        };
        let mut one = Vec::new();
        stage.put(&mut one);
        let mut i = &one[..];
        WalkStage::skip(&mut i).expect("skips");
        assert!(i.is_empty());
    }

    #[test]
    fn common_prefix_counts_shared_bytes() {
        let a: Vec<u8> = (0..40).collect();
        for cut in 0..40 {
            let mut b = a.clone();
            b[cut] ^= 0xff;
            assert_eq!(common_prefix(&a, &b), cut);
            assert_eq!(common_prefix(&a, &a[..cut]), cut);
        }
        assert_eq!(common_prefix(&a, &a), 40);
    }
}
