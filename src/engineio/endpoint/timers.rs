//! One deadline structure for the whole endpoint: a min-heap of `(deadline, key)` with lazy
//! invalidation.
//!
//! Every session and connection records the deadline it is currently scheduled at; an entry
//! popped from the heap whose deadline differs from that record is stale and skipped. Rescheduling
//! pushes a new entry and never searches the heap, so `handle_timeout` costs
//! `O(due · log n)` and `poll_timeout` is a peek. Stale entries are bounded by compaction: when
//! the heap holds more than twice the live keys (plus slack), it is rebuilt from the records.

use alloc::collections::BinaryHeap;
use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Reverse;
use core::time::Duration;

/// What a deadline belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Key {
    /// An Engine.IO session, by sid.
    Session(String),
    /// A connection, by the caller's id.
    Conn(u64),
}

/// The heap of deadlines.
#[derive(Debug, Default)]
pub(super) struct Timers {
    heap: BinaryHeap<Reverse<(Duration, Key)>>,
}

impl Timers {
    /// Adds an entry (the caller records `at` as the key's current deadline).
    pub(super) fn push(&mut self, at: Duration, key: Key) {
        self.heap.push(Reverse((at, key)));
    }

    /// The earliest entry, stale or not.
    pub(super) fn peek(&self) -> Option<Duration> {
        self.heap.peek().map(|Reverse((at, _))| *at)
    }

    /// Pops the earliest entry if it is due at `now`.
    pub(super) fn pop_due(&mut self, now: Duration) -> Option<(Duration, Key)> {
        if self.peek()? > now {
            return None;
        }
        self.heap.pop().map(|Reverse(e)| e)
    }

    /// Drops stale entries from the top, so that [`Timers::peek`] is exact.
    pub(super) fn prune_top(&mut self, mut is_live: impl FnMut(Duration, &Key) -> bool) {
        while let Some(Reverse((at, key))) = self.heap.peek() {
            if is_live(*at, key) {
                break;
            }
            self.heap.pop();
        }
    }

    /// Number of entries, stale ones included.
    pub(super) fn len(&self) -> usize {
        self.heap.len()
    }

    /// Replaces the heap with exactly the live entries.
    pub(super) fn rebuild(&mut self, live: Vec<(Duration, Key)>) {
        self.heap = live.into_iter().map(Reverse).collect();
    }
}
