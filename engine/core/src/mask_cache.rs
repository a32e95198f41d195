//! A shared, size-bounded cache of computed masks.
//!
//! Masks are expensive (a walk over the whole token trie) and generation
//! asks for the same ones again and again: every step inside a free-text
//! field, every document of a batch that shares a schema. Whatever a mask
//! depends on — a DFA state, the lexemes a grammar is inside — is the key;
//! the cache is shared by every matcher of a constraint, so it sits behind a
//! read-write lock. It never evicts one entry: past its byte budget new
//! entries are simply not stored and are computed every time, which keeps
//! memory bounded without making a hot entry slower. An owner that outlives
//! many constraints (an engine's shared lexeme cache) clears it whole when
//! it is spent and starts over.

use foldhash::{HashMap, HashMapExt};
use std::borrow::Borrow;
use std::hash::Hash;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

/// Values by key, up to a byte budget.
pub(crate) struct MaskCache<K, V: ?Sized> {
    entries: RwLock<HashMap<K, Arc<V>>>,
    bytes: AtomicUsize,
    budget: usize,
}

impl<K: Hash + Eq, V: ?Sized> MaskCache<K, V> {
    /// An empty cache that stores up to `budget` bytes of values.
    pub(crate) fn new(budget: usize) -> MaskCache<K, V> {
        MaskCache {
            entries: RwLock::new(HashMap::new()),
            bytes: AtomicUsize::new(0),
            budget,
        }
    }

    /// The value stored for `key`.
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<Arc<V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let entries = self
            .entries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.get(key).cloned()
    }

    /// Stores `value` (which occupies `size` bytes) unless the budget is
    /// spent.
    pub(crate) fn insert(&self, key: K, value: Arc<V>, size: usize) {
        if self.bytes.load(Ordering::Relaxed) + size > self.budget {
            return;
        }
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.insert(key, value).is_none() {
            self.bytes.fetch_add(size, Ordering::Relaxed);
        }
    }

    /// Whether a value of `size` bytes would still be stored.
    pub(crate) fn has_room(&self, size: usize) -> bool {
        self.bytes.load(Ordering::Relaxed) + size <= self.budget
    }

    /// Forgets every value.
    pub(crate) fn clear(&self) {
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.clear();
        self.bytes.store(0, Ordering::Relaxed);
    }

    /// Bytes of values stored.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_until_the_budget_is_spent() {
        let cache: MaskCache<u32, [u32]> = MaskCache::new(16);
        cache.insert(1, Arc::from(&[1u32, 2][..]), 8);
        cache.insert(2, Arc::from(&[3u32, 4][..]), 8);
        cache.insert(3, Arc::from(&[5u32][..]), 4);
        assert_eq!(cache.get(&1).as_deref(), Some(&[1u32, 2][..]));
        assert_eq!(cache.get(&2).as_deref(), Some(&[3u32, 4][..]));
        assert!(cache.get(&3).is_none());
        assert_eq!(cache.bytes(), 16);
    }
}
