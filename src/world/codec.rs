//! The World's compact binary encoding: what the native explorer keeps of a state in its
//! frontier, and what its fingerprint hashes.
//!
//! Hand-written, one byte per small field, LEB128 for LSNs and for the length before every
//! sequence and map: about 160-170 bytes for a wallog state at K=2 P=2, written and read
//! without allocating (postcard through serde took 4-5 times longer each way). The encoding is
//! canonical: maps are kept sorted and every field is written, so equal Worlds have equal
//! encodings; and `decode(encode(w)) == w` (tests/codec.rs, on every reachable state of every
//! model), so distinct Worlds have distinct encodings. Decoding rejects what it cannot read
//! (truncated input, an unknown tag, keys out of order) with `None`; the engine only gives it
//! what `encode` wrote.

use super::backup::{Backup, BackupError, WalkStage};
use super::catalog::{Catalog, Pending};
use super::checkpointer::Checkpointer;
use super::fs::{Dir, Fs, Loc, Page};
use super::locks::{Hold, LockMode, LockObj, LockTable, Scope};
use super::redo::Redo;
use super::small::SmallMap;
use super::standby::Standby;
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

impl<T: Pack> Pack for Box<T> {
    #[inline]
    fn put(&self, o: &mut Vec<u8>) {
        (**self).put(o);
    }
    #[inline]
    fn get(i: &mut &[u8]) -> Option<Self> {
        T::get(i).map(Box::new)
    }
    #[inline]
    fn get_into(&mut self, i: &mut &[u8]) -> Option<()> {
        (**self).get_into(i)
    }
}

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
    #[inline]
    fn get_into(&mut self, i: &mut &[u8]) -> Option<()> {
        let n = get_len(i)?;
        self.clear();
        for _ in 0..n {
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
        }
    };
}

/// An enum with fields: a tag byte, then the variant's fields in order.
macro_rules! pack_enum {
    ($t:ident { $($tag:literal => $v:ident $({ $($f:ident),* })? ),* $(,)? }) => {
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
    move_src,
    stopped_during_removal,
    drop_lsn,
    rmtree_begun,
    standby_rmtree_begun,
    walked_src_during_rmtree
});
pack_struct!(World {
    fs,
    dirty,
    wal,
    locks,
    catalog,
    ckpt,
    backup,
    standby,
    crashed,
    procs,
    ghost
});

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
    3 => Copy { names, next },
    4 => Done,
});

pack_enum!(Rec {
    0 => Checkpoint { redo },
    1 => CreateFileCopy { dst, src },
    2 => CreateWalLog { ts },
    3 => SmgrCreate { ts, rel },
    4 => Fpi { all_visible, ts, rel, blk, ver },
    5 => HeapUpdate { ts, rel, blk, ver },
    6 => Visible { ts, rel, blk, heap_image },
    7 => CatalogUpdate { ts },
    8 => MarkInvalid,
    9 => CatalogDelete,
    10 => Drop { ts },
    11 => Commit { force_sync },
    12 => Abort,
    13 => BackupEnd { start },
});
