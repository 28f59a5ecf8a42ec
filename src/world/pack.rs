//! The generic compact binary codec the World's encoding is built from (`codec.rs`): the
//! [`Pack`] trait, one byte per small field, LEB128 for integers and for the length before
//! every sequence and map, and its implementations for primitives, options, strings, small
//! vectors and maps, tuples, and (through macros) structs and enums. Nothing here knows the
//! World.

use super::small::SmallMap;
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

#[inline]
pub(super) fn byte(i: &mut &[u8]) -> Option<u8> {
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
pub(super) fn put_leb(mut v: u64, o: &mut Vec<u8>) {
    while v >= 0x80 {
        o.push((v as u8) | 0x80);
        v >>= 7;
    }
    o.push(v as u8);
}

/// A number [`put_leb`] wrote.
#[inline]
pub(super) fn get_leb(i: &mut &[u8]) -> Option<u64> {
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

/// A length, as LEB128 (sequences and maps of the model are short).
#[inline]
pub(super) fn put_len(n: usize, o: &mut Vec<u8>) {
    u32::try_from(n).unwrap_or(u32::MAX).put(o);
}

#[inline]
pub(super) fn get_len(i: &mut &[u8]) -> Option<usize> {
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
pub(super) fn put_seq<T: Pack>(items: &[T], o: &mut Vec<u8>) {
    put_len(items.len(), o);
    for v in items {
        v.put(o);
    }
}

/// A value decoded in place into a fresh one.
#[inline]
pub(super) fn get_fresh<T: Pack + Default>(i: &mut &[u8]) -> Option<T> {
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

pub(super) use pack_enum;
pub(super) use pack_struct;
pub(super) use pack_unit_enum;
pub(super) use pack_wrapper;
