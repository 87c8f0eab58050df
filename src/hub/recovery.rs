//! Connection state recovery in the hub (Socket.IO 4.6+), on when
//! [`HubConfig::recovery`](super::HubConfig::recovery) is set.
//!
//! One [`RecoveryStore`] per namespace keeps the broadcasts and direct emits without ack id
//! (each carries its offset as last argument, stored as its encoded-once packet, so a replay
//! copies nothing) and the sockets that disconnected for a recoverable reason (their `sid`,
//! rooms and session data). The caller's part:
//!
//! 1. After [`ServerSocket::accept_with_ids`](crate::socketio::ServerSocket::accept_with_ids)
//!    (with a fresh random `pid`) and [`Hub::add_socket`], call [`Hub::set_pid`].
//! 2. Emit through the hub: [`Hub::broadcast`] and, for one socket, [`Hub::emit_to`].
//! 3. When a socket ends, call [`Hub::disconnect_socket`] with its reason (instead of
//!    [`Hub::remove_socket`]); it keeps the state when the reason is recoverable.
//! 4. On a CONNECT with a [`RecoveryRequest`](crate::socketio::RecoveryRequest), call
//!    [`Hub::recover_socket`]: on success answer with
//!    [`ServerSocket::accept_recovered`](crate::socketio::ServerSocket::accept_recovered) and
//!    then drain the hub (the missed packets are queued for the socket); otherwise accept as a
//!    new socket.
//!
//! The store's own departures from the reference adapter apply (see
//! [`crate::socketio::recovery`]): a client that never got an offset still recovers, and a
//! session restores once per disconnection.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::time::Duration;

use super::{Batch, DataValue, Encoded, Hub, HubError, Recipient, SessionId, SocketId, Target};
use crate::socketio::packet::Value;
use crate::socketio::recovery::{Audience, RecoveryStore, SessionState};
use crate::socketio::{DisconnectReason, Parser};

/// The store of one namespace: packets are the JSON encodings (msgpack recipients get theirs
/// rewritten at replay).
pub(super) type Store = RecoveryStore<Arc<Encoded>, BTreeMap<Box<str>, DataValue>>;

/// A socket restored by [`Hub::recover_socket`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovered {
    /// The socket, registered again with its old sid, rooms and data.
    pub socket: SocketId,
    /// Its old sid (answer the CONNECT with it).
    pub sid: String,
    /// How many missed packets were queued for it.
    pub missed: usize,
}

impl Hub {
    /// `true` when connection state recovery is on.
    #[must_use]
    pub fn recovery_enabled(&self) -> bool {
        self.config.recovery.is_some()
    }

    fn store(&mut self, namespace: &str) -> Option<&mut Store> {
        let cfg = self.config.recovery?;
        Some(
            self.stores
                .entry(namespace.into())
                .or_insert_with(|| RecoveryStore::new(cfg)),
        )
    }

    /// Records the private session id the socket's CONNECT reply carried, and the store
    /// position (what it replays from if it disconnects before receiving any offset).
    ///
    /// # Errors
    /// [`HubError::UnknownSocket`].
    pub fn set_pid(&mut self, id: SocketId, pid: &str) -> Result<(), HubError> {
        let nsp = self
            .socket_ref(id)
            .ok_or(HubError::UnknownSocket)?
            .namespace
            .clone();
        let position = self.store(&nsp).map_or(0, |s| s.position());
        if let Some(s) = self.socket_mut(id) {
            s.pid = Some(pid.into());
            s.position = position;
        }
        Ok(())
    }

    /// The private session id recorded for the socket.
    #[must_use]
    pub fn pid(&self, id: SocketId) -> Option<&str> {
        self.socket_ref(id).and_then(|s| s.pid.as_deref())
    }

    /// Emits `event` to one socket (the room named by its sid), as the reference's
    /// `socket.emit` does with recovery on: with an offset, stored for replay.
    ///
    /// # Errors
    /// As [`Hub::broadcast`], and [`HubError::UnknownSocket`].
    pub fn emit_to(
        &mut self,
        id: SocketId,
        event: &str,
        args: &[Value<'_>],
    ) -> Result<usize, HubError> {
        let s = self.socket_ref(id).ok_or(HubError::UnknownSocket)?;
        let (nsp, sid) = (s.namespace.clone(), s.sid.clone());
        let rooms = [&*sid];
        self.broadcast(&Target::namespace(&nsp).rooms(&rooms), event, args)
    }

    /// With recovery on: appends the next offset to `args`, broadcasts, and records the
    /// packet for `target`'s audience.
    pub(super) fn broadcast_recorded(
        &mut self,
        target: &Target<'_>,
        event: &str,
        args: &[Value<'_>],
    ) -> Result<usize, HubError> {
        let Some(offset) = self.store(target.namespace).map(|s| s.next_offset()) else {
            return Err(HubError::LimitExceeded { limit: "recovery" });
        };
        super::check_name(event, self.config.max_event_len, "event")?;
        let mut all = Vec::with_capacity(args.len() + 1);
        all.extend_from_slice(args);
        all.push(Value::Str(&offset));
        let packet = self.encode_event(target.namespace, event, &all, None)?;
        self.choose(target);
        let n = self.send_chosen_with(target.namespace, event, &all, None, Some(&packet))?;
        let mut audience = Audience {
            rooms: target.rooms.iter().map(|r| String::from(*r)).collect(),
            except: target
                .except_rooms
                .iter()
                .map(|r| String::from(*r))
                .collect(),
        };
        for s in target.except_sockets {
            if let Some(sock) = self.socket_ref(*s) {
                audience.except.push(String::from(&*sock.sid));
            }
        }
        let bytes = packet.ws_frames().len();
        let now = self.now;
        if let Some(store) = self.store(target.namespace) {
            store.record(now, audience, bytes, packet);
        }
        Ok(n)
    }

    /// Removes a socket that ended for `reason`, keeping its sid, rooms and data for recovery
    /// when recovery is on, a pid was recorded ([`Hub::set_pid`]) and the reason is one the
    /// reference keeps ([`DisconnectReason::is_recoverable`]). Returns whether it was kept.
    ///
    /// # Errors
    /// [`HubError::UnknownSocket`].
    pub fn disconnect_socket(
        &mut self,
        id: SocketId,
        now: Duration,
        reason: DisconnectReason,
    ) -> Result<bool, HubError> {
        self.now = self.now.max(now);
        let sock = self.socket_mut(id).ok_or(HubError::UnknownSocket)?;
        let kept = match (sock.pid.take(), reason.is_recoverable()) {
            (Some(pid), true) => {
                let state = SessionState {
                    sid: String::from(&*sock.sid),
                    rooms: sock.rooms.iter().map(|r| String::from(&**r)).collect(),
                    data: core::mem::take(&mut sock.data),
                };
                let (nsp, position) = (sock.namespace.clone(), sock.position);
                match self.store(&nsp) {
                    Some(store) => store.persist(now, &pid, reason.as_str(), None, position, state),
                    None => false,
                }
            }
            _ => false,
        };
        self.remove_socket(id)?;
        Ok(kept)
    }

    /// Restores the session `pid` of `namespace` for a client that reconnected on `session`
    /// with `offset`: registers the socket again with its old sid, rooms and data, records the
    /// pid, and queues the packets it missed (oldest first, encoded for the session's parser).
    /// Returns `Ok(None)` when the session cannot be restored (unknown, expired, offset
    /// unknown or evicted): accept the client as a new socket then.
    ///
    /// # Errors
    /// As [`Hub::add_socket`] (a socket with that sid still registered: remove it first).
    pub fn recover_socket(
        &mut self,
        session: SessionId,
        now: Duration,
        namespace: &str,
        pid: &str,
        offset: Option<&str>,
        auth: Option<&str>,
    ) -> Result<Option<Recovered>, HubError> {
        self.now = self.now.max(now);
        let Some(store) = self.store(namespace) else {
            return Ok(None);
        };
        // Unknown session, expired, or offset unknown / evicted: a new session.
        let Ok(restored) = store.restore(now, pid, offset) else {
            return Ok(None);
        };
        let sid = restored.state.sid.clone();
        let id = self.add_socket(session, namespace, &sid, auth)?;
        for room in &restored.state.rooms {
            if *room != sid {
                let _ = self.join(id, room);
            }
        }
        if let Some(s) = self.socket_mut(id) {
            s.data = restored.state.data;
        }
        self.set_pid(id, pid)?;
        let msgpack = self.session_parser(session) == Some(Parser::Msgpack);
        let missed = restored.missed.len();
        for (_, packet) in restored.missed {
            let packet = if msgpack { to_msgpack(&packet) } else { packet };
            self.queued += 1;
            self.outbox.push_back(Batch {
                packet,
                recipients: alloc::vec![Recipient {
                    session,
                    socket: id,
                }],
                next: 0,
            });
        }
        Ok(Some(Recovered {
            socket: id,
            sid,
            missed,
        }))
    }

    /// Number of sessions kept for recovery, all namespaces together.
    #[must_use]
    pub fn recoverable_sessions(&self) -> usize {
        self.stores.values().map(|s| s.session_count()).sum()
    }

    pub(super) fn recovery_timeout(&self) -> Option<Duration> {
        self.stores.values().filter_map(|s| s.poll_timeout()).min()
    }

    /// Tells the hub the time, for stamping the packets it stores for recovery (the hub
    /// also learns it from [`Hub::handle_timeout`], [`Hub::disconnect_socket`] and
    /// [`Hub::recover_socket`]; it never goes back). Call it before broadcasting when recovery
    /// is on and the hub's timer has not fired lately.
    pub fn set_time(&mut self, now: Duration) {
        self.now = self.now.max(now);
    }

    pub(super) fn recovery_handle_timeout(&mut self, now: Duration) {
        self.now = self.now.max(now);
        for s in self.stores.values_mut() {
            s.handle_timeout(now);
        }
    }
}

/// The msgpack form of a stored (JSON) packet.
fn to_msgpack(p: &Arc<Encoded>) -> Arc<Encoded> {
    let atts: Vec<&[u8]> = (0..p.attachment_count())
        .filter_map(|i| p.attachment(i))
        .collect();
    match crate::socketio::text_to_msgpack(p.text(), &atts) {
        Some(b) => Arc::new(Encoded::msgpack(&b)),
        None => Arc::clone(p),
    }
}
