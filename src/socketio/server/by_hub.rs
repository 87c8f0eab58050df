//! [`BySession`]: the Engine.IO sid of each hub session, found by the session's slot.
//!
//! A broadcast looks up one sid per recipient. The hub's session handles are dense slot
//! indices (reused, told apart by a generation), so the table is a vector indexed by slot: one
//! bounds check and one comparison of the handle, where a `BTreeMap` walked a tree. The sid
//! is stored in the slot (every sid the endpoint makes is 20 bytes), so a look-up reads one
//! place in memory; with the sid on the heap, perf put the cache miss of reading it at 10 % of
//! a broadcast to 10,000 sessions (`benches/server_broadcast.rs`).

use alloc::string::String;
use alloc::vec::Vec;

use crate::engineio::sid_map::Key;
use crate::hub::SessionId;

/// A sid, in the slot when it fits (the endpoint's own inline key).
enum Sid {
    Inline(Key),
    Heap(String),
}

impl Sid {
    fn new(sid: String) -> Sid {
        Key::new(&sid).map_or(Sid::Heap(sid), Sid::Inline)
    }

    fn as_str(&self) -> &str {
        match self {
            Sid::Inline(k) => k.as_str(),
            Sid::Heap(s) => s,
        }
    }
}

/// Sids by hub session handle. A stale handle (its slot reused) finds nothing.
#[derive(Default)]
pub(super) struct BySession {
    slots: Vec<Option<(SessionId, Sid)>>,
}

impl BySession {
    pub(super) fn get(&self, id: &SessionId) -> Option<&str> {
        match self.slots.get(id.slot())? {
            Some((k, sid)) if k == id => Some(sid.as_str()),
            _ => None,
        }
    }

    pub(super) fn insert(&mut self, id: SessionId, sid: String) {
        let i = id.slot();
        if self.slots.len() <= i {
            // The hub caps its sessions, and slots are reused before new ones are made: this
            // grows to the hub's largest session count, never further.
            self.slots.resize_with(i + 1, || None);
        }
        self.slots[i] = Some((id, Sid::new(sid)));
    }

    pub(super) fn remove(&mut self, id: &SessionId) {
        if let Some(slot) = self.slots.get_mut(id.slot()) {
            if slot.as_ref().is_some_and(|(k, _)| k == id) {
                *slot = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engineio::sid_map::INLINE;
    use crate::hub::{Hub, HubConfig, SessionInfo};

    #[test]
    fn a_stale_handle_finds_nothing_after_its_slot_is_reused() {
        let mut hub = Hub::new(HubConfig::default());
        let mut map = BySession::default();
        let a = hub.add_session(SessionInfo::default()).unwrap();
        let b = hub.add_session(SessionInfo::default()).unwrap();
        map.insert(a, "a".into());
        map.insert(b, "b".into());
        assert_eq!(map.get(&a), Some("a"));
        hub.remove_session(a).unwrap();
        map.remove(&a);
        assert_eq!(map.get(&a), None);
        let c = hub.add_session(SessionInfo::default()).unwrap();
        assert_eq!(c.slot(), a.slot(), "the hub reuses the freed slot");
        map.insert(c, "c".into());
        assert_eq!(
            map.get(&a),
            None,
            "the old handle does not find the new session"
        );
        assert_eq!(map.get(&c), Some("c"));
        // Removing with the stale handle leaves the slot's new owner alone.
        map.remove(&a);
        assert_eq!(map.get(&c), Some("c"));
        assert_eq!(map.get(&b), Some("b"));
        // A sid too long for the slot is kept whole.
        let long = "x".repeat(INLINE + 1);
        map.insert(b, long.clone());
        assert_eq!(map.get(&b), Some(long.as_str()));
        map.insert(b, "y".repeat(INLINE));
        assert_eq!(map.get(&b), Some("y".repeat(INLINE).as_str()));
    }
}
