//! [`Outbox`]: everything the server has to write, in the order it was made, with each
//! broadcast handed to the endpoint one recipient at a time.
//!
//! A broadcast is one entry holding its shared packet and its recipient list. The entries in
//! front of it are written as soon as they are made; the broadcast itself, and whatever
//! queued behind it, wait for [`Server::poll_transmit`](super::Server::poll_transmit), which
//! makes the next recipient's bytes only when the endpoint's own queue is empty. A host that
//! writes each transmit as it gets it thus has the first recipient's frame on the wire while
//! the rest are still a list of ids: before, every recipient's bytes were made first (92 ms
//! for ten broadcasts to 5,000 clients each, in `benches/load/cluster.sh`, before the first
//! write), and one copy per recipient was held at once.
//!
//! A burst of broadcasts to the same sockets (ten in one read, in the cluster benchmark) is
//! not written as ten writes per socket: when a recipient's turn comes in the first
//! broadcast, the broadcasts queued right behind it that hold the same recipient at the same
//! place in their lists (the same room, unchanged) are delivered to it too, in order, as one
//! write. The look-ahead stops at anything queued for that session alone (its own answers
//! keep their place) and at a broadcast that has someone else there (it may hold the
//! recipient elsewhere); it reads at most [`LOOK_AHEAD`] entries.
//!
//! Order is kept because it is one queue: a socket's answer queued after a broadcast reaches
//! that socket after the broadcast. Two things cannot wait behind a broadcast, and make the
//! queue [`settle`](Outbox::settle) (write everything now) first:
//! - a session close, which raises endpoint events that only a `handle_*` call may deliver;
//! - any input ([`Server::begin`](super::Server)), since the endpoint may answer it directly
//!   (a WebSocket pong) for a session still waiting for the broadcast.
//!
//! Writing a message raises no endpoint event (the endpoint only queues it), so the lazy part
//! runs inside `poll_transmit` without running any application callback.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::engineio::MessageRef;
use crate::engineio::endpoint::Endpoint;
use crate::hub::{Broadcast, Encoded, Hub, SessionId};

use super::Message;
use super::by_hub::BySession;

/// What to write to one Engine.IO session.
#[derive(Debug)]
pub(super) enum Output {
    /// A message from the session's own machine.
    Message(Message),
    /// Close the Engine.IO session after what came before.
    Close,
}

/// Steps [`Server::poll_transmit`](super::Server::poll_transmit) takes at a time when the
/// endpoint has nothing to send: a run of recipients made together, then written. One at a
/// time made the host's writes alternate with this code per recipient, and a broadcast to
/// 10,000 took 2–4 % longer end to end than making them all first (`load sio` against the
/// eager binary in alternating pairs, AMD EPYC); 64 keeps the first recipient's wait to about
/// 50 µs (0.74 µs per recipient in `benches/server_broadcast.rs`).
pub(super) const RUN: usize = 64;

/// Queue entries the look-ahead reads past one recipient's turn.
pub(super) const LOOK_AHEAD: usize = 64;

enum Entry {
    One(String, Output),
    Fan(Fan),
}

/// A broadcast being handed over.
struct Fan {
    b: Broadcast,
    /// The first recipient not yet reached in order.
    next: usize,
    /// Recipients already delivered out of order by a look-ahead (bit per index; empty until
    /// the first).
    done: Vec<u64>,
    /// Recipients not delivered yet.
    left: usize,
}

impl Fan {
    fn is_done(&self, i: usize) -> bool {
        self.done
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    fn mark_done(&mut self, i: usize) {
        if self.done.is_empty() {
            self.done = alloc::vec![0; self.b.recipients.len().div_ceil(64)];
        }
        self.done[i / 64] |= 1 << (i % 64);
        self.left -= 1;
    }
}

/// See the [module docs](self).
#[derive(Default)]
pub(super) struct Outbox {
    queue: VecDeque<Entry>,
    /// `Output::Close` entries in `queue`.
    closes: usize,
    /// One recipient's packets during a look-ahead, and their frames joined.
    packets: Vec<Arc<Encoded>>,
    frames: Vec<u8>,
}

impl Outbox {
    /// Queues `output` for session `sid`.
    pub(super) fn push(&mut self, sid: String, output: Output) {
        if matches!(output, Output::Close) {
            self.closes += 1;
        }
        self.queue.push_back(Entry::One(sid, output));
    }

    /// Moves every broadcast the hub holds to the back of the queue.
    pub(super) fn take_broadcasts(&mut self, hub: &mut Hub) {
        while let Some(b) = hub.poll_broadcast() {
            let left = b.recipients.len();
            self.queue.push_back(Entry::Fan(Fan {
                b,
                next: 0,
                done: Vec::new(),
                left,
            }));
        }
    }

    /// Drops what is queued for session `sid` alone (it is gone); its place in a broadcast's
    /// recipient list is skipped when reached.
    pub(super) fn forget(&mut self, sid: &str) {
        let mut closes = 0;
        self.queue.retain(|e| match e {
            Entry::One(s, _) if s == sid => false,
            Entry::One(_, Output::Close) => {
                closes += 1;
                true
            }
            _ => true,
        });
        self.closes = closes;
    }

    /// Broadcast recipients not yet handed to the endpoint.
    pub(super) fn recipients(&self) -> usize {
        self.queue
            .iter()
            .map(|e| match e {
                Entry::Fan(f) => f.left,
                Entry::One(..) => 0,
            })
            .sum()
    }

    /// Whether nothing is queued.
    pub(super) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Writes what is queued up to the first broadcast, or everything when a close waits
    /// behind it.
    pub(super) fn write(&mut self, endpoint: &mut Endpoint, by: &BySession, hub: &mut Hub) {
        let eager = self.closes > 0;
        self.write_while(endpoint, by, hub, eager);
    }

    /// Writes everything queued, broadcasts included.
    pub(super) fn settle(&mut self, endpoint: &mut Endpoint, by: &BySession, hub: &mut Hub) {
        self.write_while(endpoint, by, hub, true);
    }

    fn write_while(&mut self, endpoint: &mut Endpoint, by: &BySession, hub: &mut Hub, all: bool) {
        while let Some(front) = self.queue.front() {
            if matches!(front, Entry::Fan(..)) && !all {
                return;
            }
            self.step(endpoint, by, hub);
        }
    }

    /// Writes the next thing queued: one whole entry, or one recipient of a broadcast.
    /// `false` when nothing is queued.
    pub(super) fn step(&mut self, endpoint: &mut Endpoint, by: &BySession, hub: &mut Hub) -> bool {
        let Some(front) = self.queue.front_mut() else {
            return false;
        };
        if let Entry::Fan(f) = front {
            while f.next < f.b.recipients.len() && f.is_done(f.next) {
                f.next += 1;
            }
            if let Some(r) = f.b.recipients.get(f.next) {
                let (i, session) = (f.next, r.session);
                f.next += 1;
                f.left -= 1;
                let Some(sid) = by.get(&session) else {
                    return true; // its session is gone
                };
                if self.queue.len() > 1 {
                    self.look_ahead(sid, i, session);
                }
                if let Some(Entry::Fan(f)) = self.queue.front() {
                    if self.packets.is_empty() {
                        let one = core::slice::from_ref(&f.b.packet);
                        write_packets(endpoint, sid, one, &mut self.frames);
                    } else {
                        self.packets.insert(0, Arc::clone(&f.b.packet));
                        write_packets(endpoint, sid, &self.packets, &mut self.frames);
                        self.packets.clear();
                    }
                }
                return true;
            }
        }
        match self.queue.pop_front() {
            Some(Entry::One(sid, Output::Message(m))) => {
                let _ = match (m.as_text(), m.as_binary()) {
                    (Some(t), _) => endpoint.send_text(&sid, t),
                    (_, Some(b)) => endpoint.send_binary(&sid, b),
                    _ => Ok(()),
                };
            }
            Some(Entry::One(sid, Output::Close)) => {
                self.closes -= 1;
                endpoint.close(&sid);
            }
            Some(Entry::Fan(f)) => hub.recycle(f.b),
            None => {}
        }
        true
    }
}

impl Outbox {
    /// Adds to `self.packets` what the broadcasts queued right behind the front one hold for
    /// hub session `session` (Engine.IO `sid`) at index `i` of their lists (see the
    /// [module docs](self)).
    fn look_ahead(&mut self, sid: &str, i: usize, session: SessionId) {
        for e in self.queue.iter_mut().skip(1).take(LOOK_AHEAD) {
            match e {
                Entry::One(s, _) if s == sid => return,
                Entry::One(..) => {}
                Entry::Fan(f) => {
                    if f.b.recipients.get(i).map(|r| r.session) != Some(session)
                        || f.is_done(i)
                        || f.next > i
                    {
                        return;
                    }
                    f.mark_done(i);
                    self.packets.push(Arc::clone(&f.b.packet));
                }
            }
        }
    }
}

/// Writes broadcast `packets` to session `sid`: one write of their frames joined (in `frames`)
/// when it is a plain WebSocket.
fn write_packets(
    endpoint: &mut Endpoint,
    sid: &str,
    packets: &[Arc<Encoded>],
    frames: &mut Vec<u8>,
) {
    let sent = if let [one] = packets {
        endpoint.send_ws_uncompressed(sid, one.ws_frames())
    } else {
        frames.clear();
        for p in packets {
            frames.extend_from_slice(p.ws_frames());
        }
        let sent = endpoint.send_ws_uncompressed(sid, frames);
        if frames.capacity() > 64 * 1024 {
            *frames = Vec::new();
        }
        sent
    };
    if sent {
        return;
    }
    // Long-polling, compressing, or upgrading: the Engine.IO messages (text then attachments,
    // or the one binary message of a msgpack packet).
    for p in packets {
        for m in p.engineio_messages() {
            let _ = match m {
                MessageRef::Text(x) => endpoint.send_text(sid, x),
                MessageRef::Binary(b) => endpoint.send_binary(sid, b),
            };
        }
    }
}
