//! Broadcast with acknowledgements: one ack id per broadcast, one answer collected per
//! recipient until all answered, left, or the caller's deadline passed; the hub's events and
//! timer.

use alloc::collections::BTreeSet;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::{Hub, HubError, PendingAck, SessionId, SocketId, Target, check_name};
use crate::socketio::packet::{self, Value};
use crate::socketio::{DecodeConfig, OwnedPacket, PacketType};

/// The outcome for one recipient of a broadcast with ack.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AckOutcome {
    /// The recipient answered; the raw JSON of the ACK's argument array and its attachments.
    Answered {
        /// The ACK packet's argument array as raw JSON (placeholders left in place).
        args: String,
        /// Binary attachments of a BINARY_ACK, in `num` order.
        attachments: Vec<Vec<u8>>,
    },
    /// The recipient disconnected before answering.
    Disconnected,
    /// The deadline passed before the recipient answered.
    TimedOut,
}

/// Something the application should know about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HubEvent {
    /// A broadcast with ack finished: every recipient answered, disconnected or timed out.
    AckComplete {
        /// The ack id returned by [`Hub::broadcast_with_ack`].
        id: u64,
        /// One outcome per recipient, in the order recipients were chosen.
        outcomes: Vec<(SocketId, AckOutcome)>,
        /// Whether the deadline passed with some recipients still silent.
        timed_out: bool,
    },
    /// Another node of the cluster asked these local sockets to disconnect
    /// (`disconnectSockets`); with `close`, their whole Engine.IO session closes.
    /// [`Server`](crate::socketio::server::Server) does it itself.
    ClusterDisconnect {
        /// The local sockets selected.
        sockets: Vec<SocketId>,
        /// Close the underlying connection too.
        close: bool,
    },
    /// Another node of the cluster called `serverSideEmit`. With a `request_id`, it waits for
    /// one answer: [`Hub::cluster_answer_server_side_emit`] (or
    /// [`Hub::cluster_answer_server_side_emit_value`] for a binary answer).
    ServerSideEmit {
        /// The namespace.
        nsp: alloc::string::String,
        /// The event name and arguments, as a JSON array; a binary argument (sharded variant)
        /// is a Socket.IO placeholder `{"_placeholder":true,"num":N}` for `attachments[N]`. The
        /// classic variant carries a Node `Buffer` as its JSON form
        /// `{"type":"Buffer","data":[...]}`, as the reference does.
        data: alloc::string::String,
        /// The binary arguments, in placeholder `num` order (empty without binary).
        attachments: Vec<Vec<u8>>,
        /// The id to answer with, when the sender waits for an answer.
        request_id: Option<alloc::string::String>,
    },
    /// The other nodes' part of a broadcast with acks ([`Hub::broadcast_with_ack`] with a
    /// cluster), queued just before its [`HubEvent::AckComplete`]: how many clients the other
    /// nodes sent it to, and the first argument of each answer they relayed, as JSON.
    ClusterAcks {
        /// The ack id of the broadcast.
        id: u64,
        /// Clients reached on the other nodes (the sum of their counts).
        client_count: u64,
        /// Each remote client's answer (its first argument), as JSON; a binary answer is a
        /// placeholder for its attachment.
        answers: Vec<alloc::string::String>,
        /// `attachments[i]`: the binary attachments `answers[i]`'s placeholders refer to
        /// (empty for an answer without binary).
        attachments: Vec<Vec<Vec<u8>>>,
    },
    /// The result of [`Hub::cluster_fetch_sockets`], [`Hub::cluster_all_rooms`],
    /// [`Hub::cluster_server_side_emit_with_ack`] or [`Hub::cluster_server_count`]: every node answered, or the request timed
    /// out with the answers so far.
    ClusterReply {
        /// The number the request call returned.
        request: u64,
        /// The items, as JSON (sockets, room names, answers); a binary answer of the sharded
        /// variant is a placeholder for its attachment.
        results: Vec<alloc::string::String>,
        /// `attachments[i]`: the binary attachments `results[i]`'s placeholders refer to
        /// (empty for an item without binary).
        attachments: Vec<Vec<Vec<u8>>>,
        /// Whether the timeout passed before every node answered.
        timed_out: bool,
    },
}

impl Hub {
    /// Emits `event` with `args` and an ack id to every recipient of `target`, and collects one
    /// answer per recipient until `now + timeout`. Returns the ack id; the result comes as
    /// [`HubEvent::AckComplete`] (immediately queued when there is no recipient).
    ///
    /// # Errors
    /// As [`Hub::broadcast`], plus
    /// [`HubConfig::max_pending_acks`](super::HubConfig::max_pending_acks).
    pub fn broadcast_with_ack(
        &mut self,
        target: &Target<'_>,
        event: &str,
        args: &[Value<'_>],
        now: Duration,
        timeout: Duration,
    ) -> Result<u64, HubError> {
        if self.pending.len() >= self.config.max_pending_acks {
            return Err(HubError::LimitExceeded {
                limit: "max_pending_acks",
            });
        }
        let id = self.next_ack;
        check_name(event, self.config.max_event_len, "event")?;
        self.choose(target);
        let waiting: BTreeSet<SocketId> = self.chosen.iter().map(|r| r.socket).collect();
        self.send_chosen(target.namespace, event, args, Some(id))?;
        self.next_ack = self.next_ack.wrapping_add(1);
        self.publish_broadcast_with_ack(target, event, args, id, timeout)?;
        let empty = waiting.is_empty();
        self.pending.insert(
            id,
            PendingAck {
                deadline: now.saturating_add(timeout),
                waiting,
                outcomes: Vec::new(),
            },
        );
        if empty && self.cluster_part_done(id) {
            self.complete_ack(id, false);
        }
        Ok(id)
    }

    /// Offers an ACK received on `socket` with ack id `id`. Returns `true` if it answered one of
    /// the hub's broadcasts (the answer is recorded; a complete set queues
    /// [`HubEvent::AckComplete`]), `false` if the id is not the hub's or this socket was not
    /// awaited (hand it to the socket machine instead).
    ///
    /// `args` is the ACK's raw JSON argument array, `attachments` those of a BINARY_ACK. An
    /// answer arriving at or after the broadcast's deadline is late even when
    /// [`handle_timeout`](Self::handle_timeout) has not run yet: the broadcast completes as
    /// timed out without it, and `false` is returned.
    pub fn handle_ack(
        &mut self,
        now: Duration,
        socket: SocketId,
        id: u64,
        args: &str,
        attachments: Vec<Vec<u8>>,
    ) -> bool {
        let Some(p) = self.pending.get_mut(&id) else {
            return false;
        };
        if p.deadline <= now {
            self.expire_ack(id);
            return false;
        }
        if !p.waiting.remove(&socket) {
            return false;
        }
        if self.remote_acks.contains_key(&id) {
            self.relay_ack(id, args, &attachments);
        }
        let Some(p) = self.pending.get_mut(&id) else {
            return false;
        };
        p.outcomes.push((
            socket,
            AckOutcome::Answered {
                args: args.into(),
                attachments,
            },
        ));
        if p.waiting.is_empty() && self.cluster_part_done(id) {
            self.complete_ack(id, false);
        }
        true
    }

    /// Claims an Engine.IO text message received on `session` if it is a (text) ACK answering
    /// one of the hub's broadcasts; returns `true` when it did, and the message must then not
    /// be fed to the session's socket machine (which does not know the hub's ids). Anything
    /// else (another packet, a malformed one, a BINARY_ACK header, an id that is not the hub's)
    /// returns `false` untouched. Cheap when no broadcast awaits acks.
    pub fn claim_ack(&mut self, now: Duration, session: SessionId, text: &str) -> bool {
        if self.pending.is_empty() || !text.starts_with('3') {
            return false;
        }
        let Ok(p) = packet::decode(text, &DecodeConfig::new()) else {
            return false;
        };
        let (PacketType::Ack, Some(id)) = (p.kind(), p.id()) else {
            return false;
        };
        let Some(socket) = self.socket_of(session, p.nsp()) else {
            return false;
        };
        if !self
            .pending
            .get(&id)
            .is_some_and(|w| w.waiting.contains(&socket))
        {
            return false;
        }
        self.handle_ack(now, socket, id, p.data().unwrap_or("[]"), Vec::new())
    }

    /// [`Hub::handle_ack`] for a decoded ACK / BINARY_ACK packet (as the Socket.IO decoder
    /// hands it out). Returns `false` for any other packet type, or an id that is not the hub's.
    pub fn handle_ack_packet(
        &mut self,
        now: Duration,
        socket: SocketId,
        ack: &OwnedPacket,
    ) -> bool {
        let p = ack.packet();
        if !matches!(p.kind(), PacketType::Ack | PacketType::BinaryAck)
            || self.namespace_of(socket) != Some(p.nsp())
        {
            return false;
        }
        let Some(id) = p.id() else { return false };
        if !self
            .pending
            .get(&id)
            .is_some_and(|w| w.waiting.contains(&socket))
        {
            return false;
        }
        self.handle_ack(
            now,
            socket,
            id,
            p.data().unwrap_or("[]"),
            ack.attachments().to_vec(),
        )
    }

    pub(super) fn complete_ack(&mut self, id: u64, timed_out: bool) {
        if self.remote_acks.remove(&id).is_some() {
            // Another node's broadcast: its answers were relayed one by one.
            self.pending.remove(&id);
            return;
        }
        self.cluster_ack_complete(id);
        if let Some(mut p) = self.pending.remove(&id) {
            for s in core::mem::take(&mut p.waiting) {
                p.outcomes.push((s, AckOutcome::TimedOut));
            }
            self.events.push_back(HubEvent::AckComplete {
                id,
                outcomes: p.outcomes,
                timed_out,
            });
        }
    }

    /// Number of broadcasts with ack still awaiting answers.
    #[must_use]
    pub fn pending_acks(&self) -> usize {
        self.pending.len()
    }

    /// The next application event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<HubEvent> {
        self.events.pop_front()
    }

    /// The earliest deadline of a pending broadcast ack or of the recovery stores' expiry, if
    /// any.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Duration> {
        let acks = self.pending.values().map(|p| p.deadline).min();
        let acks = match (acks, self.requests_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match (acks, self.recovery_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Expires every broadcast ack whose deadline is at or before `now`: silent recipients are
    /// recorded as [`AckOutcome::TimedOut`] and [`HubEvent::AckComplete`] is queued. Also
    /// drops the recovery sessions and packets older than the maximum disconnection duration.
    pub fn handle_timeout(&mut self, now: Duration) {
        self.recovery_handle_timeout(now);
        self.requests_handle_timeout(now);
        let expired: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| p.deadline <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            self.expire_ack(id);
        }
    }

    /// Completes broadcast `id` at its deadline.
    fn expire_ack(&mut self, id: u64) {
        // Late when a local socket or another node (its count, or one of its clients'
        // answers) is still missing, as socket.io's emitWithAck reports a timeout.
        let late = self.pending.get(&id).is_some_and(|p| !p.waiting.is_empty())
            || !self.cluster_part_done(id);
        self.complete_ack(id, late);
    }
}
