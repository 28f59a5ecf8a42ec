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

use super::backup::{Backup, BackupError, WalkStage};
use super::catalog::{Catalog, Pending};
use super::checkpointer::Checkpointer;
use super::fs::{Dir, Fs, Loc, Lsn, Names, Page};
use super::locks::{Hold, LockMode, LockObj, LockTable, Scope};
use super::redo::Redo;
use super::small::SmallMap;
use super::standby::Standby;
use super::tracked::Tracked;
use super::wal::Rec;
use super::{Ghost, ProcState, World};
use smallvec::SmallVec;

/// A value with a compact binary encoding.
pub trait Pack: Sized {
    /// Append the encoding to `o`.
    fn put(&self, o: &mut Vec<u8>);
    /// Read one value from the front of `i`, advancing it.
    fn get(i: &mut &[u8]) -> Option<Self>;
    /// Read one value into `self`, reusing its storage (decoding a World in place moves
    /// nothing large).
    #[inline]
    fn get_into(&mut self, i: &mut &[u8]) -> Option<()> {
        *self = Self::get(i)?;
        Some(())
    }
    /// Step over one value at the front of `i` (an encoding [`Pack::put`] wrote), reading as
    /// little of it as its kind allows.
    #[inline]
    fn skip(i: &mut &[u8]) -> Option<()> {
        Self::get(i).map(drop)
    }
}

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

#[inline]
fn byte(i: &mut &[u8]) -> Option<u8> {
    let (&b, rest) = i.split_first()?;
    *i = rest;
    Some(b)
}

impl Pack for u8 {
    #[inline]
    fn put(&self, o: &mut Vec<u8>) {
        o.push(*self);
    }
    #[inline]
    fn get(i: &mut &[u8]) -> Option<Self> {
        byte(i)
    }
    #[inline]
    fn skip(i: &mut &[u8]) -> Option<()> {
        byte(i).map(drop)
    }
}

impl Pack for bool {
    #[inline]
    fn put(&self, o: &mut Vec<u8>) {
        o.push(u8::from(*self));
    }
    #[inline]
    fn get(i: &mut &[u8]) -> Option<Self> {
        match byte(i)? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

/// LEB128 of `v`: seven bits a byte, low bits first (one byte below 128).
#[inline]
fn put_leb(mut v: u64, o: &mut Vec<u8>) {
    while v >= 0x80 {
        o.push((v as u8) | 0x80);
        v >>= 7;
    }
    o.push(v as u8);
}

/// A number [`put_leb`] wrote.
#[inline]
fn get_leb(i: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = byte(i)?;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
    }
    None
}

/// LEB128: LSNs are small (one byte below 128).
impl Pack for u32 {
    #[inline]
    fn put(&self, o: &mut Vec<u8>) {
        put_leb(u64::from(*self), o);
    }
    #[inline]
    fn get(i: &mut &[u8]) -> Option<Self> {
        u32::try_from(get_leb(i)?).ok()
    }
    #[inline]
    fn skip(i: &mut &[u8]) -> Option<()> {
        // Every byte but the last has the continuation bit.
        let n = i.iter().position(|&b| b < 0x80)? + 1;
        *i = &i[n..];
        Some(())
    }
}

impl<T: Pack> Pack for Option<T> {
    #[inline]
    fn put(&self, o: &mut Vec<u8>) {
        match self {
            None => o.push(0),
            Some(v) => {
                o.push(1);
                v.put(o);
            }
        }
    }
    #[inline]
    fn get(i: &mut &[u8]) -> Option<Self> {
        match byte(i)? {
            0 => Some(None),
            1 => Some(Some(T::get(i)?)),
            _ => None,
        }
    }
    #[inline]
    fn skip(i: &mut &[u8]) -> Option<()> {
        match byte(i)? {
            0 => Some(()),
            _ => T::skip(i),
        }
    }
    #[inline]
    fn get_into(&mut self, i: &mut &[u8]) -> Option<()> {
        match byte(i)? {
            0 => *self = None,
            1 => match self {
                Some(v) => v.get_into(i)?,
                None => *self = Some(T::get(i)?),
            },
            _ => return None,
        }
        Some(())
    }
}

/// A wrapper that dereferences to its value (`Box`, `Tracked`): encoded as the value.
macro_rules! pack_wrapper {
    ($w:ident) => {
        impl<T: Pack> Pack for $w<T> {
            #[inline]
            fn put(&self, o: &mut Vec<u8>) {
                (**self).put(o);
            }
            #[inline]
            fn get(i: &mut &[u8]) -> Option<Self> {
                T::get(i).map($w::new)
            }
            #[inline]
            fn get_into(&mut self, i: &mut &[u8]) -> Option<()> {
                (**self).get_into(i)
            }
        }
    };
}

pack_wrapper!(Box);
pack_wrapper!(Tracked);

/// A length, as LEB128 (sequences and maps of the model are short).
#[inline]
fn put_len(n: usize, o: &mut Vec<u8>) {
    u32::try_from(n).unwrap_or(u32::MAX).put(o);
}

#[inline]
fn get_len(i: &mut &[u8]) -> Option<usize> {
    usize::try_from(u32::get(i)?).ok()
}

impl Pack for String {
    #[inline]
    fn put(&self, o: &mut Vec<u8>) {
        put_len(self.len(), o);
        o.extend_from_slice(self.as_bytes());
    }
    #[inline]
    fn get(i: &mut &[u8]) -> Option<Self> {
        let n = get_len(i)?;
        if i.len() < n {
            return None;
        }
        let (s, rest) = i.split_at(n);
        *i = rest;
        String::from_utf8(s.to_vec()).ok()
    }
}

/// A sequence: its length, then its items.
#[inline]
fn put_seq<T: Pack>(items: &[T], o: &mut Vec<u8>) {
    put_len(items.len(), o);
    for v in items {
        v.put(o);
    }
}

/// A value decoded in place into a fresh one.
#[inline]
fn get_fresh<T: Pack + Default>(i: &mut &[u8]) -> Option<T> {
    let mut v = T::default();
    v.get_into(i)?;
    Some(v)
}

impl<T: Pack, const N: usize> Pack for SmallVec<[T; N]> {
    #[inline]
    fn put(&self, o: &mut Vec<u8>) {
        put_seq(self.as_slice(), o);
    }
    #[inline]
    fn get(i: &mut &[u8]) -> Option<Self> {
        get_fresh(i)
    }
    /// The items already there are read into in place (their own storage reused), the rest
    /// pushed or dropped.
    #[inline]
    fn get_into(&mut self, i: &mut &[u8]) -> Option<()> {
        let n = get_len(i)?;
        let keep = n.min(self.len());
        self.truncate(keep);
        for v in self.iter_mut() {
            v.get_into(i)?;
        }
        for _ in keep..n {
            self.push(T::get(i)?);
        }
        Some(())
    }
}

impl<K: Pack + Ord + Copy + Default, V: Pack + Default, const N: usize> Pack for SmallMap<K, V, N> {
    #[inline]
    fn put(&self, o: &mut Vec<u8>) {
        // Its pairs in key order, as a sequence.
        put_seq(self.as_slice(), o);
    }
    #[inline]
    fn get(i: &mut &[u8]) -> Option<Self> {
        get_fresh(i)
    }
    #[inline]
    fn get_into(&mut self, i: &mut &[u8]) -> Option<()> {
        let n = get_len(i)?;
        self.decode_sorted(n, |k, v| {
            *k = K::get(i)?;
            v.get_into(i)
        })
    }
}

impl<A: Pack, B: Pack> Pack for (A, B) {
    #[inline]
    fn put(&self, o: &mut Vec<u8>) {
        self.0.put(o);
        self.1.put(o);
    }
    #[inline]
    fn get(i: &mut &[u8]) -> Option<Self> {
        Some((A::get(i)?, B::get(i)?))
    }
}

impl<A: Pack, B: Pack, C: Pack> Pack for (A, B, C) {
    #[inline]
    fn put(&self, o: &mut Vec<u8>) {
        self.0.put(o);
        self.1.put(o);
        self.2.put(o);
    }
    #[inline]
    fn get(i: &mut &[u8]) -> Option<Self> {
        Some((A::get(i)?, B::get(i)?, C::get(i)?))
    }
}

/// A struct: its fields in order.
macro_rules! pack_struct {
    ($t:ident { $($f:ident),* $(,)? }) => {
        impl Pack for $t {
            #[inline]
            fn put(&self, o: &mut Vec<u8>) {
                $(self.$f.put(o);)*
            }
            #[inline]
            fn get(i: &mut &[u8]) -> Option<Self> {
                Some($t { $($f: Pack::get(i)?),* })
            }
            #[inline]
            fn get_into(&mut self, i: &mut &[u8]) -> Option<()> {
                $(self.$f.get_into(i)?;)*
                Some(())
            }
        }
    };
}

/// A fieldless enum: its discriminant as one byte.
macro_rules! pack_unit_enum {
    ($t:ident { $($v:ident),* $(,)? }) => {
        impl Pack for $t {
            #[inline]
            fn put(&self, o: &mut Vec<u8>) {
                o.push(*self as u8);
            }
            #[inline]
            fn get(i: &mut &[u8]) -> Option<Self> {
                const ALL: &[$t] = &[$($t::$v),*];
                let b = byte(i)?;
                ALL.iter().copied().find(|&v| v as u8 == b)
            }
            #[inline]
            fn skip(i: &mut &[u8]) -> Option<()> {
                byte(i).map(drop)
            }
        }
    };
}

/// An enum with fields: a tag byte, then the variant's fields in order (each named with its
/// type, so that a value can be stepped over field by field: [`Pack::skip`]).
macro_rules! pack_enum {
    ($t:ident { $($tag:literal => $v:ident $({ $($f:ident: $ft:ty),* })? ),* $(,)? }) => {
        impl Pack for $t {
            #[inline]
            fn put(&self, o: &mut Vec<u8>) {
                match self {
                    $($t::$v $({ $($f),* })? => {
                        o.push($tag);
                        $($($f.put(o);)*)?
                    })*
                }
            }
            #[inline]
            fn get(i: &mut &[u8]) -> Option<Self> {
                match byte(i)? {
                    $($tag => Some($t::$v $({ $($f: Pack::get(i)?),* })?),)*
                    _ => None,
                }
            }
            #[inline]
            fn skip(i: &mut &[u8]) -> Option<()> {
                match byte(i)? {
                    $($tag => { $($(<$ft as Pack>::skip(i)?;)*)? Some(()) })*
                    _ => None,
                }
            }
        }
    };
}

pack_unit_enum!(Loc { Base, User, NewDb });
pack_unit_enum!(LockObj {
    PgDatabase,
    Database,
    StandbyPgDatabase
});
pack_unit_enum!(LockMode {
    AccessShare,
    RowExclusive,
    Share,
    AccessExclusive
});
pack_unit_enum!(Scope { Xact, Session });

/// A page: its version, then its LSN and all-visible bit as one LEB128 number
/// (`lsn * 2 + all_visible`): two bytes while the LSN is below 64. Pages are most of a World.
impl Pack for Page {
    #[inline]
    fn put(&self, o: &mut Vec<u8>) {
        o.push(self.ver);
        put_leb(u64::from(self.lsn) * 2 + u64::from(self.all_visible), o);
    }
    #[inline]
    fn get(i: &mut &[u8]) -> Option<Self> {
        let ver = byte(i)?;
        let tail = get_leb(i)?;
        Some(Page {
            ver,
            all_visible: tail & 1 == 1,
            lsn: u32::try_from(tail >> 1).ok()?,
        })
    }
}
pack_struct!(Dir { files });
pack_struct!(Fs { dirs });
pack_struct!(Hold {
    proc,
    obj,
    mode,
    scope
});
pack_struct!(Catalog {
    ts,
    invalid,
    dropped,
    pending
});
pack_struct!(Checkpointer {
    pending_flags,
    started,
    done,
    running,
    redo_rec_ptr,
    control_redo
});
pack_struct!(Backup {
    in_progress,
    start_wait,
    start_lsn,
    catalog_at_start,
    stage,
    copy,
    failed,
    end_lsn
});
pack_struct!(Redo {
    fs,
    catalog,
    invalid,
    consistent,
    cursor
});
pack_struct!(Standby {
    redo,
    replayed,
    last_ckpt_redo,
    last_ckpt_end,
    restart_redo,
    min_recovery_point,
    restartpoint,
    died
});
pack_struct!(ProcState {
    pc,
    cursor,
    ckpt_wait,
    db_ts,
    failed
});
pack_struct!(Ghost {
    create_lsn,
    removal_src,
    stopped_during_removal,
    drop_lsn,
    rmtree_begun,
    standby_rmtree_begun,
    walked_src_during_rmtree
});

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

/// A file tree's frame: each directory's location, then the directory as a frame of its own,
/// so that moving between two trees with the same directories reads only the directories that
/// differ (a step changes one file of one directory).
impl Part for Fs {
    #[inline]
    fn put_part(&self, o: &mut Vec<u8>) {
        for (loc, dir) in &self.dirs {
            loc.put(o);
            put_frame(dir, o);
        }
    }
    #[inline]
    fn get_part(&mut self, f: &[u8]) -> Option<()> {
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
    end_lsn
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

impl Pack for LockTable {
    #[inline]
    fn put(&self, o: &mut Vec<u8>) {
        self.holds.put(o);
    }
    #[inline]
    fn get(i: &mut &[u8]) -> Option<Self> {
        Some(LockTable {
            holds: Pack::get(i)?,
        })
    }
    #[inline]
    fn get_into(&mut self, i: &mut &[u8]) -> Option<()> {
        self.holds.get_into(i)
    }
}

impl Pack for BackupError {
    #[inline]
    fn put(&self, o: &mut Vec<u8>) {
        self.0.put(o);
    }
    #[inline]
    fn get(i: &mut &[u8]) -> Option<Self> {
        String::get(i).map(BackupError)
    }
}

impl Pack for Pending {
    #[inline]
    fn put(&self, o: &mut Vec<u8>) {
        match self {
            Pending::SetTablespace(ts) => {
                o.push(0);
                ts.put(o);
            }
            Pending::Delete => o.push(1),
        }
    }
    #[inline]
    fn get(i: &mut &[u8]) -> Option<Self> {
        match byte(i)? {
            0 => Some(Pending::SetTablespace(Loc::get(i)?)),
            1 => Some(Pending::Delete),
            _ => None,
        }
    }
}

pack_enum!(WalkStage {
    0 => OpenTablespace,
    1 => Lstat,
    2 => OpenDb,
    3 => Copy { names: Names, next: u8 },
    4 => Done,
});

pack_enum!(Rec {
    0 => Checkpoint { redo: Lsn },
    1 => CreateFileCopy { dst: Loc, src: Loc },
    2 => CreateWalLog { ts: Loc },
    3 => SmgrCreate { ts: Loc, rel: u8 },
    4 => Fpi { all_visible: bool, ts: Loc, rel: u8, blk: u8, ver: u8 },
    5 => HeapUpdate { ts: Loc, rel: u8, blk: u8, ver: u8 },
    6 => Visible { ts: Loc, rel: u8, blk: u8, heap_image: Option<u8> },
    7 => CatalogUpdate { ts: Loc },
    8 => MarkInvalid,
    9 => CatalogDelete,
    10 => Drop { ts: Loc },
    11 => Commit { force_sync: bool },
    12 => Abort,
    13 => BackupEnd { start: Lsn },
});

#[cfg(test)]
mod tests {
    use super::{Loc, Pack, Rec, WalkStage, common_prefix};

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
            Rec::Commit { force_sync: true },
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
