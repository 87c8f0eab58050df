//! [`IdMap`]: an endpoint's connections (and their write pacing) by the host's own `u64` id.
//!
//! Every transmit of a broadcast looks its connection up, and with write pacing on, the
//! connection's in-flight write as well, once when the transmit is made and once when the host
//! reports it written. With `BTreeMap<u64, _>` at 10,000 connections each of those walked four
//! levels of nodes; here a look-up hashes the id to a slot of a small index (16 bytes a slot,
//! the id inside, so a probe never leaves it) and reads the one entry it names.
//!
//! The ids are the host's (a counter, a file descriptor, a pointer), never a peer's: the hash
//! is a plain multiplicative one (Fibonacci hashing), spreading sequential and strided ids
//! evenly, and needs no key against chosen collisions.

use alloc::vec::Vec;

/// A slot of the index: `at` is the entry's index + 1, 0 for an empty slot.
#[derive(Clone, Copy, Default)]
struct Slot {
    key: u64,
    at: usize,
}

/// A map from `u64` to `V`, in no particular order (see the [module docs](self)).
pub(crate) struct IdMap<V> {
    /// The entries, dense: a removal moves the last entry into the hole.
    entries: Vec<(u64, V)>,
    /// Open addressing with linear probing: empty, or a power of two of at least twice the
    /// entries (so probe runs stay short).
    slots: Vec<Slot>,
}

impl<V> Default for IdMap<V> {
    fn default() -> Self {
        IdMap {
            entries: Vec::new(),
            slots: Vec::new(),
        }
    }
}

/// Fewest slots of a non-empty index.
const MIN_SLOTS: usize = 8;

impl<V> IdMap<V> {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    fn home(&self, key: u64) -> usize {
        let bits = self.slots.len().trailing_zeros();
        // The product's top bits: every bit of the id moves them.
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
    }

    /// The slot holding `key`, if any.
    fn find(&self, key: u64) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let s = self.slots[i];
            if s.at == 0 {
                return None;
            }
            if s.key == key {
                return Some(i);
            }
            i = (i + 1) & mask;
        }
    }

    pub(crate) fn contains_key(&self, key: u64) -> bool {
        self.find(key).is_some()
    }

    pub(crate) fn get(&self, key: u64) -> Option<&V> {
        let i = self.find(key)?;
        Some(&self.entries[self.slots[i].at - 1].1)
    }

    pub(crate) fn get_mut(&mut self, key: u64) -> Option<&mut V> {
        let i = self.find(key)?;
        let at = self.slots[i].at - 1;
        Some(&mut self.entries[at].1)
    }

    /// Puts `value` under `key`; the value it replaces, if any.
    pub(crate) fn insert(&mut self, key: u64, value: V) -> Option<V> {
        if let Some(i) = self.find(key) {
            let at = self.slots[i].at - 1;
            return Some(core::mem::replace(&mut self.entries[at].1, value));
        }
        if (self.entries.len() + 1) * 2 > self.slots.len() {
            self.reindex(
                ((self.entries.len() + 1) * 2)
                    .next_power_of_two()
                    .max(MIN_SLOTS),
            );
        }
        self.entries.push((key, value));
        self.place(key, self.entries.len());
        None
    }

    /// Takes `key`'s value out.
    pub(crate) fn remove(&mut self, key: u64) -> Option<V> {
        let i = self.find(key)?;
        let at = self.slots[i].at - 1;
        self.unplace(i);
        let (_, value) = self.entries.swap_remove(at);
        if let Some(&(moved, _)) = self.entries.get(at) {
            // The former last entry now sits where the removed one was.
            if let Some(j) = self.find(moved) {
                self.slots[j].at = at + 1;
            }
        }
        // Memory follows the map down after a spike of connections.
        if self.slots.len() > MIN_SLOTS && self.entries.len() * 8 < self.slots.len() {
            self.entries.shrink_to(self.entries.len() * 2);
            self.reindex((self.entries.len() * 4).next_power_of_two().max(MIN_SLOTS));
        }
        Some(value)
    }

    /// The entries, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, &V)> + '_ {
        self.entries.iter().map(|(k, v)| (*k, v))
    }

    /// Puts `key` (entry index + 1 `at`) in the first free slot of its probe run.
    fn place(&mut self, key: u64, at: usize) {
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        while self.slots[i].at != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = Slot { key, at };
    }

    /// Empties slot `i`, shifting back the slots after it that probed past it (so every key
    /// stays reachable from its home without tombstones).
    fn unplace(&mut self, i: usize) {
        let mask = self.slots.len() - 1;
        let mut hole = i;
        let mut j = (i + 1) & mask;
        loop {
            let s = self.slots[j];
            if s.at == 0 {
                break;
            }
            let home = self.home(s.key);
            // `s` may fill the hole when the hole lies on its probe run, from home to j.
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(hole) & mask) {
                self.slots[hole] = s;
                hole = j;
            }
            j = (j + 1) & mask;
        }
        self.slots[hole] = Slot::default();
    }

    /// Rebuilds the index with `n` slots (a power of two, more than the entries).
    fn reindex(&mut self, n: usize) {
        self.slots.clear();
        self.slots.shrink_to(n);
        self.slots.resize(n, Slot::default());
        for at in 0..self.entries.len() {
            let key = self.entries[at].0;
            self.place(key, at + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeMap;
    use proptest::prelude::*;

    fn agree(map: &IdMap<u32>, model: &BTreeMap<u64, u32>) {
        assert_eq!(map.len(), model.len());
        for (&k, &v) in model {
            assert_eq!(map.get(k), Some(&v), "key {k}");
        }
        let mut all: Vec<(u64, u32)> = map.iter().map(|(k, v)| (k, *v)).collect();
        all.sort_unstable();
        assert_eq!(all, model.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>());
        // The index holds exactly the entries, each slot naming its own entry.
        let used: Vec<&Slot> = map.slots.iter().filter(|s| s.at != 0).collect();
        assert_eq!(used.len(), map.entries.len());
        for s in used {
            assert_eq!(map.entries[s.at - 1].0, s.key);
        }
        assert!(map.slots.is_empty() || map.slots.len() >= 2 * map.len());
    }

    #[test]
    fn sequential_ids_in_and_out() {
        let mut map = IdMap::new();
        let mut model = BTreeMap::new();
        for k in 1..=1000u64 {
            assert_eq!(map.insert(k, k as u32), None);
            model.insert(k, k as u32);
        }
        agree(&map, &model);
        assert_eq!(map.insert(500, 7), Some(500));
        model.insert(500, 7);
        for k in (1..=1000u64).step_by(3) {
            assert_eq!(map.remove(k), model.remove(&k));
        }
        agree(&map, &model);
        assert_eq!(map.remove(1), None);
        assert!(!map.contains_key(1) && map.contains_key(2));
        *map.get_mut(2).unwrap() = 99;
        model.insert(2, 99);
        agree(&map, &model);
        // Down to a few entries, the index and the entries shrink with them.
        let keys: Vec<u64> = model.keys().copied().collect();
        for k in &keys[3..] {
            assert_eq!(map.remove(*k), model.remove(k));
        }
        agree(&map, &model);
        assert!(
            map.slots.len() <= 16,
            "{} slots for 3 entries",
            map.slots.len()
        );
    }

    #[test]
    fn strided_ids_keep_probe_runs_short() {
        // Pointers and descriptors in steps of a power of two: the multiplicative hash spreads
        // them, so every probe run stays short.
        let mut map = IdMap::new();
        for i in 0..4096u64 {
            map.insert(i << 12, 0u8);
        }
        let mask = map.slots.len() - 1;
        let longest = (0..4096u64)
            .map(|i| {
                let k = i << 12;
                let home = map.home(k);
                (map.find(k).unwrap().wrapping_sub(home)) & mask
            })
            .max()
            .unwrap();
        assert!(longest < 16, "a probe run of {longest}");
    }

    proptest! {
        /// Every operation agrees with a `BTreeMap<u64, _>`, for keys crowded into few homes
        /// (small keys, and keys in steps of 2^32 that differ only in high bits).
        #[test]
        fn agrees_with_btreemap(ops in proptest::collection::vec(
            (0u8..4, 0u64..48, any::<u32>(), any::<bool>()), 0..400)) {
            let mut map = IdMap::new();
            let mut model = BTreeMap::new();
            for (op, k, v, high) in ops {
                let k = if high { k << 32 } else { k };
                match op {
                    0 | 1 => prop_assert_eq!(map.insert(k, v), model.insert(k, v)),
                    2 => prop_assert_eq!(map.remove(k), model.remove(&k)),
                    _ => {
                        prop_assert_eq!(map.get(k), model.get(&k));
                        if let (Some(a), Some(b)) = (map.get_mut(k), model.get_mut(&k)) {
                            *a = a.wrapping_add(1);
                            *b = b.wrapping_add(1);
                        }
                    }
                }
                agree(&map, &model);
            }
        }
    }
}
