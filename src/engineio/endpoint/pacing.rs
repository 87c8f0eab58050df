//! Write pacing: one write in flight per connection, when the host reports completed writes.
//!
//! The reference server writes a WebSocket packet, then buffers whatever the application sends
//! until that write has completed, and sends the buffer as one write. Clients (and test-suites)
//! written against it can depend on that: the `ws` package, for one, emits every message of one
//! TCP read synchronously, so a listener registered after the first message misses the
//! second. A host that calls [`Endpoint::enable_write_pacing`] and then
//! [`Endpoint::handle_written`] after each [`Transmit`] gets the same shape: at most one
//! transmit per connection outstanding, later bytes merged into the next one.

use alloc::vec::Vec;
use core::time::Duration;

use super::{Endpoint, Transmit};

/// Most bytes held back for one connection while its write is in flight (8 MiB); past it the
/// connection is closed after that write (a peer that does not read).
pub const MAX_HELD_BYTES: usize = 8 << 20;

/// What waits behind a connection's in-flight write.
#[derive(Debug, Default)]
pub(super) struct Held {
    data: Vec<u8>,
    close: bool,
}

impl Endpoint {
    /// From now on the host reports every written [`Transmit`] with
    /// [`Endpoint::handle_written`], and the endpoint keeps at most one transmit per connection
    /// outstanding (see the [`pacing`](self) notes). Call it once, before the first input.
    pub fn enable_write_pacing(&mut self) {
        self.paced = true;
    }

    /// The last [`Transmit`] handed out for `conn` is written (with pacing on; otherwise a
    /// no-op): the bytes queued since leave as the next transmit.
    pub fn handle_written(&mut self, now: Duration, conn: u64) {
        let _ = now;
        let Some(held) = self.in_flight.remove(conn) else {
            return;
        };
        if held.data.is_empty() && !held.close {
            return;
        }
        if !held.close {
            self.in_flight.insert(conn, Held::default());
        }
        self.transmits.push_back(Transmit {
            conn,
            data: held.data,
            close: held.close,
        });
    }

    /// Queues `data` for `conn` behind its in-flight write; `false` when nothing is in flight
    /// (the caller writes a transmit, now in flight).
    pub(super) fn hold(&mut self, conn: u64, data: &[u8]) -> bool {
        if !self.paced {
            return false;
        }
        let Some(held) = self.in_flight.get_mut(conn) else {
            self.in_flight.insert(conn, Held::default());
            return false;
        };
        if held.close {
            return true;
        }
        if held.data.len() + data.len() > MAX_HELD_BYTES {
            held.data.clear();
            held.close = true;
            return true;
        }
        held.data.extend_from_slice(data);
        true
    }

    /// Queues the close of `conn` behind its in-flight write; `false` when nothing is in flight.
    pub(super) fn hold_close(&mut self, conn: u64) -> bool {
        match self.in_flight.get_mut(conn) {
            Some(held) if self.paced => {
                held.close = true;
                true
            }
            _ => false,
        }
    }

    /// Forgets what was held for `conn` (it ended, or its id is reused).
    pub(super) fn forget_held(&mut self, conn: u64) {
        self.in_flight.remove(conn);
    }
}
