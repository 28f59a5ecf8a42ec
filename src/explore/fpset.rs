//! The native engine's visited set under hash compaction: 64-bit fingerprints in one flat,
//! open-addressed table (linear probing), 8 bytes a slot and one cache line touched per lookup
//! in the common case. hashbrown's `HashSet<u64>` reads a control group and then the key, two
//! cache misses per lookup on a table far larger than the caches; this table was measured
//! against it (docs/performance.md).

/// A set of `u64`s. Slot value 0 means empty; the fingerprint 0 itself is kept aside.
#[derive(Debug)]
pub struct FpSet {
    slots: Vec<u64>,
    len: usize,
    zero: bool,
}

/// Slots of a new set.
const INITIAL: usize = 1 << 12;

/// Below this many slots (16 MB) the table grows fourfold, from there on twofold. A growth's
/// cost is mostly the kernel's: every page of the new table is faulted in and zeroed (about
/// 2.5 us a 4 KB page on this machine, the reinsertion itself much less), so skipping every
/// other size saves a third of the memory a run allocates for the table; above 16 MB the
/// twofold growth keeps the table at most twice what the states need (bytes per state).
const FOURFOLD_BELOW: usize = 1 << 21;

/// `n` empty slots, written once. `vec![0; n]` would take fresh zero pages from the system
/// without writing them; the table's first reads would then map the shared zero page and each
/// first write fault again to replace it (two faults a page, a measurable share of a run).
fn empty_slots(n: usize) -> Vec<u64> {
    let mut v = Vec::with_capacity(n);
    v.resize(n, std::hint::black_box(0));
    v
}

impl Default for FpSet {
    fn default() -> FpSet {
        FpSet {
            slots: empty_slots(INITIAL),
            len: 0,
            zero: false,
        }
    }
}

impl FpSet {
    /// Fingerprints held.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds none.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Slots (the table's size).
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Where `fp`'s probe starts. Fingerprints are hashes already: their low bits index.
    #[inline]
    fn home(&self, fp: u64) -> usize {
        (fp as usize) & (self.slots.len() - 1)
    }

    /// Add `fp`; true if it was not there.
    #[inline]
    pub fn insert(&mut self, fp: u64) -> bool {
        if fp == 0 {
            let new = !self.zero;
            self.zero = true;
            self.len += usize::from(new);
            return new;
        }
        // At most 3/4 full: linear probing's runs stay short.
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(fp);
        loop {
            let s = self.slots[i];
            if s == 0 {
                self.slots[i] = fp;
                self.len += 1;
                return true;
            }
            if s == fp {
                return false;
            }
            i = (i + 1) & mask;
        }
    }

    /// Read the home slot of every fingerprint in `fps`: the loads are independent, so the
    /// processor has many cache misses outstanding at once, and the inserts that follow find
    /// their slots in the cache (one miss at a time otherwise: each insert waits for its slot).
    pub fn warm(&self, fps: &[u64]) {
        let mut acc = 0u64;
        for &fp in fps {
            acc ^= self.slots[self.home(fp)];
        }
        std::hint::black_box(acc);
    }

    /// Whether `fp` is in the set.
    #[cfg(test)]
    pub fn contains(&self, fp: u64) -> bool {
        if fp == 0 {
            return self.zero;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(fp);
        loop {
            match self.slots[i] {
                0 => return false,
                s if s == fp => return true,
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// The slots after the next growth.
    fn grown(&self) -> usize {
        let n = self.slots.len();
        if n < FOURFOLD_BELOW { n * 4 } else { n * 2 }
    }

    /// The bytes the table's next growth allocates (its new slots, held with the old ones
    /// while the fingerprints move) if `more` insertions may trigger it; 0 otherwise. The
    /// memory budget counts it before it happens: near a budget of gigabytes, one growth can
    /// take more than what is left.
    pub fn growth_due(&self, more: usize) -> u64 {
        if (self.len + more) * 4 > self.slots.len() * 3 {
            (self.grown() * std::mem::size_of::<u64>()) as u64
        } else {
            0
        }
    }

    /// More slots ([`FpSet::grown`]), every fingerprint placed again.
    fn grow(&mut self) {
        let grown = empty_slots(self.grown());
        let old = std::mem::replace(&mut self.slots, grown);
        let mask = self.slots.len() - 1;
        for fp in old.into_iter().filter(|&s| s != 0) {
            let mut i = self.home(fp);
            while self.slots[i] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = fp;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FpSet;
    use std::collections::HashSet;

    #[test]
    fn growth_is_announced_before_it_happens() {
        let mut set = FpSet::default();
        let slots = set.capacity();
        // Growth happens at the insertion that would make the table more than 3/4 full.
        let last = slots * 3 / 4 - 1;
        for fp in 1..=last as u64 {
            set.insert(fp);
        }
        assert_eq!(set.capacity(), slots, "no growth yet");
        assert_eq!(set.growth_due(1), 0, "the next insertion still fits");
        assert_eq!(
            set.growth_due(2),
            (slots * 4 * 8) as u64,
            "two more would grow it fourfold (a small table)"
        );
        set.insert(u64::MAX);
        set.insert(u64::MAX - 1);
        assert_eq!(set.capacity(), 4 * slots, "it grew as announced");
        // A large table grows twofold.
        let mut big = FpSet::default();
        let mut fp = 0u64;
        while big.capacity() < super::FOURFOLD_BELOW {
            fp += 1;
            big.insert(fp.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        }
        let slots = big.capacity();
        while big.growth_due(1) == 0 {
            fp += 1;
            big.insert(fp.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        }
        assert_eq!(
            big.growth_due(1),
            (slots * 2 * 8) as u64,
            "twofold from 16 MB"
        );
        fp += 1;
        big.insert(fp.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        assert_eq!(big.capacity(), 2 * slots, "it grew as announced");
    }

    #[test]
    fn agrees_with_a_hash_set() {
        // Hashed keys, repeated keys, zero, and keys sharing their low bits (long probe runs
        // that wrap around the table's end) through several growths.
        let mut set = FpSet::default();
        let mut model = HashSet::new();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for i in 0..200_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let fp = match i % 5 {
                0 => x,
                1 => x % 1000,
                2 => (x << 20) | 0xfff, // same low bits
                3 => u64::MAX - (x % 64),
                _ => 0,
            };
            assert_eq!(set.insert(fp), model.insert(fp), "insert {fp:#x}");
            assert!(set.contains(fp));
            assert_eq!(set.len(), model.len());
        }
        for fp in [1, 2, 0xfff, u64::MAX, 12345] {
            assert_eq!(set.contains(fp), model.contains(&fp), "contains {fp:#x}");
        }
        assert!(set.capacity() * 3 >= set.len() * 4 - 4, "at most 3/4 full");
        assert!(!FpSet::default().contains(0) && FpSet::default().is_empty());
    }
}
