//! `Tracked<T>`: a field of the World that remembers whether it was borrowed mutably since the
//! engine last cleared the mark, so that encoding a successor rewrites only the fields its step
//! may have changed (`codec::encode_successor`). Equality, hashing and `Debug` see the value only.

use std::ops::{Deref, DerefMut};

/// A value and a mark set by every mutable borrow and by construction (a new value is not known
/// to equal any encoding). A clone keeps the mark: it holds the same value, so whatever
/// encoding the original was known to equal, the clone equals too.
#[derive(Clone)]
pub struct Tracked<T> {
    value: T,
    touched: bool,
}

impl<T> Tracked<T> {
    /// A marked value.
    pub fn new(value: T) -> Tracked<T> {
        Tracked {
            value,
            touched: true,
        }
    }
    /// Whether it was borrowed mutably (or made) since [`Tracked::untouch`].
    #[inline]
    pub fn touched(&self) -> bool {
        self.touched
    }
    /// Clear the mark: the engine now knows the value's encoding.
    #[inline]
    pub fn untouch(&mut self) {
        self.touched = false;
    }
    /// The value, taken out.
    pub fn into_inner(self) -> T {
        self.value
    }
    /// Change the value by `f` applied to a copy, marked only if the copy differs: a step that
    /// sets a flag already set, or logs a record that leaves the catalog as it is, leaves the
    /// field's frame to be copied rather than written again (and read again to undo the step).
    #[inline]
    pub fn update(&mut self, f: impl FnOnce(&mut T))
    where
        T: Clone + PartialEq,
    {
        let mut v = self.value.clone();
        f(&mut v);
        if v != self.value {
            **self = v;
        }
    }
}

impl<T> Deref for Tracked<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for Tracked<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        self.touched = true;
        &mut self.value
    }
}

impl<T: Default> Default for Tracked<T> {
    fn default() -> Tracked<T> {
        Tracked::new(T::default())
    }
}

impl<T> From<T> for Tracked<T> {
    fn from(value: T) -> Tracked<T> {
        Tracked::new(value)
    }
}

impl<T: PartialEq> PartialEq for Tracked<T> {
    fn eq(&self, other: &Tracked<T>) -> bool {
        self.value == other.value
    }
}

impl<T: Eq> Eq for Tracked<T> {}

impl<T: std::hash::Hash> std::hash::Hash for Tracked<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.value.hash(state);
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Tracked<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.value.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::Tracked;

    #[test]
    fn a_mutable_borrow_marks_and_reading_does_not() {
        let mut t = Tracked::new(vec![1u8]);
        assert!(t.touched(), "a new value is marked");
        t.untouch();
        assert_eq!(t.len(), 1);
        assert!(!t.touched(), "reading does not mark");
        t.push(2);
        assert!(t.touched(), "a mutable borrow marks");
        t.untouch();
        let c = t.clone();
        assert!(!c.touched(), "a clone keeps the mark");
        assert_eq!(*c, vec![1, 2], "a clone keeps the value");
        let d = Tracked::new(vec![1u8, 2]);
        assert!(d.touched());
        assert_eq!(d, t, "equality sees the value only, not the mark");
        assert!(
            Tracked::<Vec<u8>>::default().touched(),
            "a default value is marked"
        );
        t.untouch();
        t.update(|v| v[0] = 1);
        assert!(!t.touched(), "an update to the same value does not mark");
        t.update(|v| v[0] = 3);
        assert!(t.touched(), "an update to another value marks");
        assert_eq!(*t, vec![3, 2], "and changes it");
    }
}
