//! [`SidMap`]: the sessions of a registry or an endpoint by sid, with the sid's bytes inside the
//! tree's nodes.
//!
//! A broadcast looks every recipient's sid up (twice, in the registry and in the endpoint's
//! bookkeeping); with `BTreeMap<String, _>` each comparison of a look-up followed the key's heap
//! pointer and called `memcmp`, which perf put at ~18 % of a Socket.IO server's time in a
//! broadcast to 10,000 WebSocket clients. Here a sid of up to [`INLINE`] bytes (every sid this
//! crate makes is 20) is stored inline and compared as four big-endian words; longer ones (a
//! caller's own ids) live in an ordinary `BTreeMap<String, _>` beside it.

use alloc::collections::BTreeMap;
use alloc::string::String;
use core::cmp::Ordering;

/// Longest sid stored inline.
pub(crate) const INLINE: usize = 32;

/// A sid of at most [`INLINE`] bytes, zero-padded. Ordered by its padded bytes, then length:
/// a total order (it differs from `str`'s only for sids containing NUL, and no order outside
/// the map depends on it).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key {
    bytes: [u8; INLINE],
    len: u8,
}

impl Key {
    pub(crate) fn new(sid: &str) -> Option<Key> {
        let b = sid.as_bytes();
        if b.len() > INLINE {
            return None;
        }
        let mut bytes = [0u8; INLINE];
        bytes[..b.len()].copy_from_slice(b);
        Some(Key {
            bytes,
            len: b.len() as u8,
        })
    }

    pub(crate) fn as_str(&self) -> &str {
        // Built from a `&str` and never changed: always valid.
        core::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }

    fn word(&self, i: usize) -> u64 {
        let mut w = [0u8; 8];
        w.copy_from_slice(&self.bytes[i * 8..i * 8 + 8]);
        u64::from_be_bytes(w)
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        for i in 0..INLINE / 8 {
            match self.word(i).cmp(&other.word(i)) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        self.len.cmp(&other.len)
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A map from sid to `V` (see the [module docs](self)).
#[derive(Clone)]
pub(crate) struct SidMap<V> {
    short: BTreeMap<Key, V>,
    long: BTreeMap<String, V>,
}

impl<V: core::fmt::Debug> core::fmt::Debug for SidMap<V> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<V> Default for SidMap<V> {
    fn default() -> Self {
        SidMap {
            short: BTreeMap::new(),
            long: BTreeMap::new(),
        }
    }
}

impl<V> SidMap<V> {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn get(&self, sid: &str) -> Option<&V> {
        match Key::new(sid) {
            Some(k) => self.short.get(&k),
            None => self.long.get(sid),
        }
    }

    pub(crate) fn get_mut(&mut self, sid: &str) -> Option<&mut V> {
        match Key::new(sid) {
            Some(k) => self.short.get_mut(&k),
            None => self.long.get_mut(sid),
        }
    }

    pub(crate) fn contains_key(&self, sid: &str) -> bool {
        self.get(sid).is_some()
    }

    /// Inserts `v` under `sid` (replacing and returning what was there) and returns it.
    pub(crate) fn insert(&mut self, sid: &str, v: V) -> Option<V> {
        match Key::new(sid) {
            Some(k) => self.short.insert(k, v),
            None => self.long.insert(String::from(sid), v),
        }
    }

    /// The value under `sid`, inserted from `v` if absent.
    pub(crate) fn get_or_insert(&mut self, sid: &str, v: V) -> &mut V {
        match Key::new(sid) {
            Some(k) => self.short.entry(k).or_insert(v),
            None => self.long.entry(String::from(sid)).or_insert(v),
        }
    }

    pub(crate) fn remove(&mut self, sid: &str) -> Option<V> {
        match Key::new(sid) {
            Some(k) => self.short.remove(&k),
            None => self.long.remove(sid),
        }
    }

    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&str, &mut V) -> bool) {
        self.short.retain(|k, v| keep(k.as_str(), v));
        self.long.retain(|k, v| keep(k, v));
    }

    pub(crate) fn len(&self) -> usize {
        self.short.len() + self.long.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        let short = self.short.iter().map(|(k, v)| (k.as_str(), v));
        short.chain(self.long.iter().map(|(k, v)| (k.as_str(), v)))
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut V)> {
        let short = self.short.iter_mut().map(|(k, v)| (k.as_str(), v));
        short.chain(self.long.iter_mut().map(|(k, v)| (k.as_str(), v)))
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.short.values().chain(self.long.values())
    }

    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.short.values_mut().chain(self.long.values_mut())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Insert(String, u32),
        Remove(String),
        Get(String),
        Retain(u32),
    }

    fn sid() -> impl Strategy<Value = String> {
        // Short sids (sharing prefixes, with NUL and multi-byte chars), inline-length edges and
        // long ones.
        prop_oneof![
            "[ab\u{0}é]{0,4}",
            "[a-zA-Z0-9_-]{20}",
            "[ab]{30,34}",
            "[a-z]{40,60}",
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (sid(), any::<u32>()).prop_map(|(s, v)| Op::Insert(s, v)),
            sid().prop_map(Op::Remove),
            sid().prop_map(Op::Get),
            (1u32..5).prop_map(Op::Retain),
        ]
    }

    proptest! {
        /// Every operation agrees with a `BTreeMap<String, _>`; so do the contents.
        #[test]
        fn behaves_like_a_string_map(ops in proptest::collection::vec(op(), 0..200)) {
            let mut m = SidMap::new();
            let mut model: BTreeMap<String, u32> = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Insert(s, v) => prop_assert_eq!(m.insert(&s, v), model.insert(s, v)),
                    Op::Remove(s) => prop_assert_eq!(m.remove(&s), model.remove(&s)),
                    Op::Get(s) => {
                        prop_assert_eq!(m.get(&s), model.get(&s));
                        prop_assert_eq!(m.contains_key(&s), model.contains_key(&s));
                        if let Some(v) = m.get_mut(&s) {
                            *v = v.wrapping_add(1);
                            let w = model.get_mut(&s).unwrap();
                            *w = w.wrapping_add(1);
                        }
                        let d = *m.get_or_insert(&s, 7);
                        prop_assert_eq!(d, *model.entry(s).or_insert(7));
                    }
                    Op::Retain(k) => {
                        m.retain(|_, v| *v % k != 0);
                        model.retain(|_, v| *v % k != 0);
                    }
                }
                prop_assert_eq!(m.len(), model.len());
                prop_assert_eq!(m.is_empty(), model.is_empty());
            }
            let mut all: Vec<(String, u32)> = m.iter().map(|(k, v)| (k.to_string(), *v)).collect();
            all.sort();
            let want: Vec<(String, u32)> = model.into_iter().collect();
            prop_assert_eq!(all, want);
        }
    }
}
