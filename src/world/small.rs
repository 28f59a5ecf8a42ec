//! `SmallMap`: an ordered map kept inline in the World, for the small key sets the model has
//! (tablespaces, relation files, dirty buffers): a sorted `SmallVec` of pairs with the part of
//! `BTreeMap`'s interface the model uses, iterating in key order as `BTreeMap` does.
//!
//! The explorer clones a World per successor: with its maps and vectors inline (up to the
//! inline capacity `N`, beyond which `SmallVec` moves them to the heap), a clone allocates
//! nothing for the sizes the model runs at.

use smallvec::SmallVec;
use std::fmt;

/// An ordered map on a sorted inline vector (keys unique, ascending).
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct SmallMap<K, V, const N: usize> {
    entries: SmallVec<[(K, V); N]>,
}

impl<K: Ord + Copy, V, const N: usize> SmallMap<K, V, N> {
    /// An empty map.
    pub fn new() -> Self {
        SmallMap {
            entries: SmallVec::new(),
        }
    }
    fn find(&self, k: &K) -> Result<usize, usize> {
        self.entries.binary_search_by(|(e, _)| e.cmp(k))
    }
    /// The value of `k`.
    pub fn get(&self, k: &K) -> Option<&V> {
        self.find(k).ok().map(|i| &self.entries[i].1)
    }
    /// The value of `k`, to change.
    pub fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        self.find(k).ok().map(|i| &mut self.entries[i].1)
    }
    /// Whether `k` has a value.
    pub fn contains_key(&self, k: &K) -> bool {
        self.find(k).is_ok()
    }
    /// Set `k` to `v`; the previous value, if any.
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        match self.find(&k) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, v)),
            Err(i) => {
                self.entries.insert(i, (k, v));
                None
            }
        }
    }
    /// Remove `k`; its value, if any.
    pub fn remove(&mut self, k: &K) -> Option<V> {
        self.find(k).ok().map(|i| self.entries.remove(i).1)
    }
    /// The value of `k`, inserted by `f` if absent.
    pub fn get_or_insert_with(&mut self, k: K, f: impl FnOnce() -> V) -> &mut V {
        let i = match self.find(&k) {
            Ok(i) => i,
            Err(i) => {
                self.entries.insert(i, (k, f()));
                i
            }
        };
        &mut self.entries[i].1
    }
    /// `BTreeMap::entry`, for `or_default` and `or_insert`.
    pub fn entry(&mut self, k: K) -> Entry<'_, K, V, N> {
        Entry { map: self, key: k }
    }
    /// Keep the entries `f` accepts.
    pub fn retain(&mut self, mut f: impl FnMut(&K, &V) -> bool) {
        self.entries.retain(|(k, v)| f(k, v));
    }
    /// Remove every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    /// Keys in ascending order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator + '_ {
        self.entries.iter().map(|(k, _)| k)
    }
    /// Entries in key order, as a slice of pairs.
    pub fn as_slice(&self) -> &[(K, V)] {
        &self.entries
    }
    /// Entries in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + ExactSizeIterator + '_ {
        self.entries.iter().map(|(k, v)| (k, v))
    }
    /// The same keys, each value mapped by `f`.
    pub fn map_values<W>(&self, mut f: impl FnMut(&V) -> W) -> SmallMap<K, W, N> {
        let mut entries = SmallVec::with_capacity(self.entries.len());
        for (k, v) in &self.entries {
            entries.push((*k, f(v)));
        }
        SmallMap { entries }
    }
    /// Replace the entries by `n` decoded ones, reusing the storage: `f` fills each key and
    /// value in place; `None` if it fails or the keys are not strictly ascending (a canonical
    /// encoding writes them so).
    pub fn decode_sorted(
        &mut self,
        n: usize,
        mut f: impl FnMut(&mut K, &mut V) -> Option<()>,
    ) -> Option<()>
    where
        K: Default,
        V: Default,
    {
        self.entries.truncate(n);
        while self.entries.len() < n {
            self.entries.push((K::default(), V::default()));
        }
        for i in 0..n {
            let (k, v) = &mut self.entries[i];
            f(k, v)?;
            if i > 0 && self.entries[i - 1].0 >= self.entries[i].0 {
                return None;
            }
        }
        Some(())
    }
}

/// A key of a [`SmallMap`] with its map, as `BTreeMap::entry` gives.
pub struct Entry<'a, K, V, const N: usize> {
    map: &'a mut SmallMap<K, V, N>,
    key: K,
}

impl<'a, K: Ord + Copy, V, const N: usize> Entry<'a, K, V, N> {
    /// The value, inserted as `V::default()` if absent.
    pub fn or_default(self) -> &'a mut V
    where
        V: Default,
    {
        self.map.get_or_insert_with(self.key, V::default)
    }
    /// The value, inserted as `v` if absent.
    pub fn or_insert(self, v: V) -> &'a mut V {
        self.map.get_or_insert_with(self.key, || v)
    }
}

impl<'a, K: Ord + Copy, V, const N: usize> IntoIterator for &'a SmallMap<K, V, N> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

impl<K: fmt::Debug, V: fmt::Debug, const N: usize> fmt::Debug for SmallMap<K, V, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.entries.iter().map(|(k, v)| (k, v)))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::SmallMap;
    use std::collections::BTreeMap;

    #[test]
    fn behaves_as_a_btreemap() {
        let mut m: SmallMap<u8, u32, 2> = SmallMap::new();
        let mut b: BTreeMap<u8, u32> = BTreeMap::new();
        for (i, k) in [5u8, 1, 9, 1, 3, 7, 5, 0].into_iter().enumerate() {
            let v = u32::try_from(i).expect("small");
            assert_eq!(m.insert(k, v), b.insert(k, v));
            if i % 3 == 2 {
                assert_eq!(m.remove(&9), b.remove(&9));
            }
            *m.entry(k.wrapping_add(2)).or_default() += 1;
            *b.entry(k.wrapping_add(2)).or_default() += 1;
            assert_eq!(
                m.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>(),
                b.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>(),
                "same entries in the same order"
            );
            assert_eq!(m.get(&k), b.get(&k));
            assert_eq!(m.contains_key(&4), b.contains_key(&4));
        }
        assert_eq!(m.len(), b.len());
    }
}
