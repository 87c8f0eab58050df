//! Broadcast addressing and the transmit queue: [`Target`] selects recipients (each socket
//! once), a broadcast encodes its packet once and queues one batch, and [`Hub::poll_transmit`] /
//! [`Hub::poll_broadcast`] hand the batches out.

use alloc::sync::Arc;
use alloc::vec::Vec;

use super::{Batch, Encoded, Hub, HubError, SessionId, SocketId, check_name};
use crate::socketio::Parser;
use crate::socketio::packet::{self, Value};

/// Where a broadcast goes. Built with [`Target::namespace`] and narrowed with the builder methods.
///
/// Recipients are: the members of `rooms` (union), or every socket of the namespace when `rooms`
/// is empty; minus the members of `except_rooms`; minus `except_sockets`. Each recipient gets the
/// packet once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target<'a> {
    /// The namespace (`"/"` for the main one).
    pub namespace: &'a str,
    /// Rooms whose members receive (union); empty means the whole namespace.
    pub rooms: &'a [&'a str],
    /// Rooms whose members do not receive.
    pub except_rooms: &'a [&'a str],
    /// Sockets that do not receive (for example the sender).
    pub except_sockets: &'a [SocketId],
}

impl<'a> Target<'a> {
    /// Every socket of `namespace`.
    #[must_use]
    pub fn namespace(namespace: &'a str) -> Self {
        Target {
            namespace,
            rooms: &[],
            except_rooms: &[],
            except_sockets: &[],
        }
    }

    /// Only the members of these rooms (union).
    #[must_use]
    pub fn rooms(mut self, rooms: &'a [&'a str]) -> Self {
        self.rooms = rooms;
        self
    }

    /// Not the members of these rooms.
    #[must_use]
    pub fn except_rooms(mut self, rooms: &'a [&'a str]) -> Self {
        self.except_rooms = rooms;
        self
    }

    /// Not these sockets.
    #[must_use]
    pub fn except_sockets(mut self, sockets: &'a [SocketId]) -> Self {
        self.except_sockets = sockets;
        self
    }
}

/// Bytes for one recipient: write `packet` to the connection of `session`. Borrowed from the
/// hub's queue; `Arc::clone(t.packet)` keeps the packet beyond the next hub call.
#[derive(Debug, Clone, Copy)]
pub struct Transmit<'a> {
    /// The Engine.IO session to write to.
    pub session: SessionId,
    /// The socket (namespace connection) the packet is for.
    pub socket: SocketId,
    /// The shared, encoded-once packet.
    pub packet: &'a Arc<Encoded>,
}

/// One recipient of a broadcast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Recipient {
    /// The Engine.IO session to write to.
    pub session: SessionId,
    /// The socket (namespace connection) the packet is for.
    pub socket: SocketId,
}

/// A whole broadcast, as handed out by [`Hub::poll_broadcast`]: write `packet` to every
/// recipient's session.
#[derive(Debug, Clone)]
pub struct Broadcast {
    /// The shared, encoded-once packet.
    pub packet: Arc<Encoded>,
    /// Who gets it, each socket once.
    pub recipients: Vec<Recipient>,
}

impl Hub {
    // ----- broadcast ------------------------------------------------------------------------

    /// Chooses the recipients of `target` into `self.chosen`, each at most once.
    ///
    /// One epoch stamp per socket does both jobs: excluded sockets are stamped first, then every
    /// candidate not yet stamped is stamped and chosen. No allocation once `chosen` has grown,
    /// linear in the members read, and only the dense `hot` array is touched.
    pub(super) fn choose(&mut self, target: &Target<'_>) {
        self.chosen.clear();
        self.epoch += 1;
        let epoch = self.epoch;
        let Some(nsp) = self.namespaces.get(target.namespace) else {
            return;
        };
        let hot = &mut self.hot;
        for room in target.except_rooms {
            if let Some(set) = nsp.rooms.get(*room) {
                for &i in set {
                    if let Some(h) = hot.get_mut(i as usize) {
                        h.mark = epoch;
                    }
                }
            }
        }
        for id in target.except_sockets {
            if let Some(h) = hot.get_mut(id.index as usize) {
                if h.generation == Some(id.generation) {
                    h.mark = epoch;
                }
            }
        }
        let chosen = &mut self.chosen;
        let mut pick = |index: u32| {
            if let Some(h) = hot.get_mut(index as usize) {
                if let (Some(generation), true) = (h.generation, h.mark != epoch) {
                    h.mark = epoch;
                    chosen.push(Recipient {
                        session: h.session,
                        socket: SocketId { index, generation },
                    });
                }
            }
        };
        if target.rooms.is_empty() {
            for &i in &nsp.members {
                pick(i);
            }
        } else {
            for room in target.rooms {
                if let Some(set) = nsp.rooms.get(*room) {
                    for &i in set {
                        pick(i);
                    }
                }
            }
        }
    }

    /// The recipients `target` selects right now, without sending anything.
    pub fn recipients(&mut self, target: &Target<'_>) -> Vec<SocketId> {
        self.choose(target);
        self.chosen.iter().map(|r| r.socket).collect()
    }

    /// Encodes an EVENT (or BINARY_EVENT) packet for `namespace` into a shared [`Encoded`]
    /// with the Socket.IO codec.
    /// Encodes the event for the chosen recipients and queues them: one batch per parser
    /// among them (JSON recipients first), each packet encoded once. Returns the recipients.
    pub(super) fn send_chosen(
        &mut self,
        namespace: &str,
        event: &str,
        args: &[Value<'_>],
        ack_id: Option<u64>,
    ) -> Result<usize, HubError> {
        self.send_chosen_with(namespace, event, args, ack_id, None)
    }

    /// [`send_chosen`](Self::send_chosen) with the JSON packet possibly already encoded.
    pub(super) fn send_chosen_with(
        &mut self,
        namespace: &str,
        event: &str,
        args: &[Value<'_>],
        ack_id: Option<u64>,
        json: Option<&Arc<Encoded>>,
    ) -> Result<usize, HubError> {
        let hot = &self.hot;
        let is_mp = |r: &Recipient| hot.get(r.socket.index as usize).is_some_and(|h| h.msgpack);
        if !self.chosen.iter().any(is_mp) {
            let packet = match json {
                Some(p) => Arc::clone(p),
                None => self.encode_event(namespace, event, args, ack_id)?,
            };
            return Ok(self.enqueue(&packet));
        }
        let mut mp: Vec<Recipient> = Vec::new();
        self.chosen.retain(|r| {
            if is_mp(r) {
                mp.push(*r);
                false
            } else {
                true
            }
        });
        let mut n = 0;
        if !self.chosen.is_empty() {
            let packet = match json {
                Some(p) => Arc::clone(p),
                None => self.encode_event(namespace, event, args, ack_id)?,
            };
            n += self.enqueue(&packet);
        }
        let packet = self.encode_msgpack(namespace, event, args, ack_id)?;
        self.chosen = mp;
        n += self.enqueue(&packet);
        Ok(n)
    }

    /// Encodes the event once for msgpack recipients.
    pub(super) fn encode_msgpack(
        &mut self,
        namespace: &str,
        event: &str,
        args: &[Value<'_>],
        ack_id: Option<u64>,
    ) -> Result<Arc<Encoded>, HubError> {
        check_name(event, self.config.max_event_len, "event")?;
        let p = crate::socketio::EncodedPacket::event_for(
            Parser::Msgpack,
            namespace,
            ack_id,
            event,
            args,
        )
        .map_err(HubError::Encode)?;
        Ok(Arc::new(Encoded::msgpack(p.msgpack().unwrap_or(&[]))))
    }

    pub(super) fn encode_event(
        &mut self,
        namespace: &str,
        event: &str,
        args: &[Value<'_>],
        ack_id: Option<u64>,
    ) -> Result<Arc<Encoded>, HubError> {
        check_name(event, self.config.max_event_len, "event")?;
        let mut text = core::mem::take(&mut self.scratch);
        text.clear();
        let mut atts: Vec<&[u8]> = Vec::new();
        let r = packet::encode_event(&mut text, &mut atts, namespace, ack_id, event, args);
        let out = match r {
            Err(e) => Err(HubError::Encode(e)),
            Ok(_) if atts.len() > self.config.max_attachments => Err(HubError::LimitExceeded {
                limit: "max_attachments",
            }),
            Ok(_) => Ok(Arc::new(Encoded::new(&text, &atts))),
        };
        self.scratch = text;
        out
    }

    /// Queues the chosen recipients with `packet` as one batch.
    pub(super) fn enqueue(&mut self, packet: &Arc<Encoded>) -> usize {
        let n = self.chosen.len();
        if n == 0 {
            return 0;
        }
        // The chosen list becomes the batch; a recycled list (with its capacity) takes its place.
        let spare = self.spare.pop().unwrap_or_default();
        let recipients = core::mem::replace(&mut self.chosen, spare);
        self.queued += n;
        self.outbox.push_back(Batch {
            packet: Arc::clone(packet),
            recipients,
            next: 0,
        });
        n
    }

    /// Emits `event` with `args` (Socket.IO [`Value`]s: raw JSON, strings, binary anywhere in the
    /// tree) to every recipient of `target`: the packet is encoded once and
    /// its recipients are queued (drain [`Hub::poll_transmit`] or [`Hub::poll_broadcast`]). Returns the
    /// number of recipients.
    ///
    /// With [`HubConfig::recovery`](super::HubConfig::recovery) on, the packet carries its
    /// offset as last argument and is stored for replay (see [`Hub::recover_socket`]).
    ///
    /// With a cluster ([`Hub::set_cluster`]) the broadcast is also published for the other
    /// nodes ([`Hub::poll_cluster_transmit`]); [`Hub::broadcast_local`] is not.
    ///
    /// # Errors
    /// Invalid or reserved event name, an argument that is not JSON, too many attachments.
    pub fn broadcast(
        &mut self,
        target: &Target<'_>,
        event: &str,
        args: &[Value<'_>],
    ) -> Result<usize, HubError> {
        let n = if self.config.recovery.is_some() {
            self.broadcast_recorded(target, event, args)?
        } else {
            check_name(event, self.config.max_event_len, "event")?;
            self.choose(target);
            self.send_chosen(target.namespace, event, args, None)?
        };
        self.publish_broadcast(target, event, args)?;
        Ok(n)
    }

    /// Sends a packet the caller encoded (for example with the Socket.IO codec) to every
    /// recipient of `target`. The packet must belong to `target.namespace`, and be encoded for
    /// the parser of every recipient ([`Hub::broadcast`] takes care of mixed parsers). It is not
    /// stored for connection state recovery and gets no offset: use [`Hub::broadcast`] for that.
    pub fn broadcast_encoded(&mut self, target: &Target<'_>, packet: Arc<Encoded>) -> usize {
        self.choose(target);
        self.enqueue(&packet)
    }

    // ----- run loop -------------------------------------------------------------------------

    /// The next bytes to write: which session gets which shared packet. Drain after every call
    /// that broadcasts. Transmits come in broadcast order, and within a broadcast in recipient
    /// order. Recipients are fixed when the broadcast is made: a transmit queued for a socket
    /// removed since is still handed out ([`Hub::contains_socket`] tells).
    #[must_use]
    #[inline]
    pub fn poll_transmit(&mut self) -> Option<Transmit<'_>> {
        if self
            .outbox
            .front()
            .is_some_and(|b| b.next >= b.recipients.len())
        {
            self.pop_drained();
        }
        let batch = self.outbox.front_mut()?;
        let r = *batch.recipients.get(batch.next)?;
        batch.next += 1;
        self.queued -= 1;
        Some(Transmit {
            session: r.session,
            socket: r.socket,
            packet: &batch.packet,
        })
    }

    /// Drops the fully handed-out batches at the front of the queue.
    #[cold]
    fn pop_drained(&mut self) {
        while self
            .outbox
            .front()
            .is_some_and(|b| b.next >= b.recipients.len())
        {
            if let Some(done) = self.outbox.pop_front() {
                self.recycle_vec(done.recipients);
            }
        }
    }

    /// The next whole broadcast: one packet and every recipient not yet handed out by
    /// [`Hub::poll_transmit`]. The cheapest way to drain: no per-recipient work at all. Give the
    /// batch back with [`Hub::recycle`] to reuse its recipient list.
    #[must_use]
    pub fn poll_broadcast(&mut self) -> Option<Broadcast> {
        loop {
            let mut batch = self.outbox.pop_front()?;
            if batch.next < batch.recipients.len() {
                batch.recipients.drain(..batch.next);
                self.queued -= batch.recipients.len();
                return Some(Broadcast {
                    packet: batch.packet,
                    recipients: batch.recipients,
                });
            }
            self.recycle_vec(batch.recipients);
        }
    }

    /// Returns a drained [`Broadcast`]'s recipient list for reuse (optional).
    pub fn recycle(&mut self, broadcast: Broadcast) {
        self.recycle_vec(broadcast.recipients);
    }

    fn recycle_vec(&mut self, mut v: Vec<Recipient>) {
        if self.spare.len() < 4 {
            v.clear();
            self.spare.push(v);
        }
    }

    /// Number of queued transmits (recipients not yet handed out).
    #[must_use]
    pub fn pending_transmits(&self) -> usize {
        self.queued
    }
}
