//! What an [`App`](super::App) callback works with: the calling socket ([`Ctx`]), a received
//! event ([`Event`]) and a broadcast being addressed ([`Emitter`]).

use alloc::borrow::Cow;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::any::Any;
use core::time::Duration;

use crate::hub::{Hub, HubError, SessionInfo, SocketId, Target};
use crate::socketio::packet::{Args, Value};
use crate::socketio::{AckHandle, OwnedPacket, ServerSocket, SocketIoError};

/// One event received by a socket: its name, its arguments and, when the client waits for an
/// answer, the handle to answer it with ([`Ctx::ack`]).
#[derive(Debug)]
pub struct Event<'p> {
    packet: &'p OwnedPacket,
    name: Cow<'p, str>,
    ack: Option<AckHandle>,
}

impl<'p> Event<'p> {
    /// The event of `packet` (`None` for a packet without an event name).
    pub(super) fn new(packet: &'p OwnedPacket, ack: Option<AckHandle>) -> Option<Self> {
        let name = packet.packet().event_name()?;
        Some(Event { packet, name, ack })
    }

    /// The event name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The arguments as [`Value`]s, ready to be emitted again: binary placeholders become
    /// [`Value::Binary`], JSON stays raw (borrowed, never re-encoded).
    pub fn args(&self) -> impl Iterator<Item = Value<'p>> + 'p {
        let p = self.packet;
        let bin = p.packet().kind().is_binary();
        p.packet().args().map(move |a| match p.binary(a) {
            Some(b) => Value::Binary(b),
            None if bin => Value::WithAttachments(a, p.attachments()),
            None => Value::Json(a),
        })
    }

    /// The arguments as raw JSON text (binary ones as their `{"_placeholder":true,...}`).
    #[must_use]
    pub fn raw_args(&self) -> Args<'p> {
        self.packet.packet().args()
    }

    /// Argument `i` as raw JSON text.
    #[must_use]
    pub fn arg(&self, i: usize) -> Option<&'p str> {
        self.raw_args().nth(i)
    }

    /// Argument `i` when it is a JSON string, unescaped.
    #[must_use]
    pub fn str_arg(&self, i: usize) -> Option<Cow<'p, str>> {
        let a = self.arg(i)?;
        a.starts_with('"')
            .then(|| crate::socketio::packet::unquote(a))
    }

    /// The bytes of argument `i` when it is binary.
    #[must_use]
    pub fn binary_arg(&self, i: usize) -> Option<&'p [u8]> {
        self.packet.binary(self.arg(i)?)
    }

    /// Whether the client waits for an answer.
    #[must_use]
    pub fn wants_ack(&self) -> bool {
        self.ack.is_some()
    }

    /// Takes the answer handle (once).
    pub fn take_ack(&mut self) -> Option<AckHandle> {
        self.ack.take()
    }

    /// The whole packet (namespace, id, attachments).
    #[must_use]
    pub fn packet(&self) -> &'p OwnedPacket {
        self.packet
    }
}

/// The calling socket, inside an [`App`](super::App) callback.
#[derive(Debug)]
pub struct Ctx<'a> {
    hub: &'a mut Hub,
    machine: &'a mut ServerSocket,
    socket: SocketId,
    now: Duration,
}

impl<'a> Ctx<'a> {
    pub(super) fn new(
        hub: &'a mut Hub,
        machine: &'a mut ServerSocket,
        socket: SocketId,
        now: Duration,
    ) -> Self {
        Ctx {
            hub,
            machine,
            socket,
            now,
        }
    }

    /// The socket's handle in the hub.
    #[must_use]
    pub fn socket(&self) -> SocketId {
        self.socket
    }

    /// The socket's id (`socket.id`).
    #[must_use]
    pub fn id(&self) -> &str {
        self.hub.sid(self.socket).unwrap_or("")
    }

    /// Its namespace (`socket.nsp.name`).
    #[must_use]
    pub fn nsp(&self) -> &str {
        self.hub.namespace_of(self.socket).unwrap_or("/")
    }

    /// The handshake facts of its session (`socket.handshake`: headers, query, url).
    #[must_use]
    pub fn handshake(&self) -> Option<&SessionInfo> {
        self.hub.handshake(self.socket)
    }

    /// The CONNECT payload the client sent (`socket.handshake.auth`), raw JSON.
    #[must_use]
    pub fn auth(&self) -> Option<&str> {
        self.hub.auth(self.socket)
    }

    /// The time of the input being handled, on the caller's clock.
    #[must_use]
    pub fn now(&self) -> Duration {
        self.now
    }

    fn nsp_owned(&self) -> String {
        self.nsp().to_string()
    }

    /// Whether this socket was restored by connection state recovery (`socket.recovered`):
    /// its id, rooms and data are the old ones, and the packets it missed follow.
    #[must_use]
    pub fn recovered(&self) -> bool {
        self.machine.is_recovered(self.nsp())
    }

    /// Emits `name` with `args` to this socket (`socket.emit`). With connection state
    /// recovery on, the packet carries an offset and is kept for a reconnecting client.
    pub fn emit(&mut self, name: &str, args: &[Value<'_>]) -> Result<(), SocketIoError> {
        if self.hub.pid(self.socket).is_some() && self.hub.emit_to(self.socket, name, args).is_ok()
        {
            return Ok(());
        }
        let nsp = self.nsp_owned();
        self.machine.emit(&nsp, name, args)
    }

    /// Emits to this socket and waits for its answer until `timeout` (`socket.timeout(t).emit`
    /// with a callback); returns the ack id. The answer, or its absence at the deadline, reaches
    /// [`App::on_ack`](super::App::on_ack) with this id.
    pub fn emit_with_ack(
        &mut self,
        name: &str,
        args: &[Value<'_>],
        timeout: Duration,
    ) -> Result<u64, SocketIoError> {
        let nsp = self.nsp_owned();
        self.machine
            .emit_with_ack(self.now, &nsp, name, args, Some(timeout))
    }

    /// Answers an event the client sent with an ack id (the reference's callback argument).
    pub fn ack(&mut self, handle: AckHandle, args: &[Value<'_>]) -> Result<(), SocketIoError> {
        self.machine.ack(handle, args)
    }

    /// Joins `room` (`socket.join`). `Ok(false)` if already a member.
    pub fn join(&mut self, room: &str) -> Result<bool, HubError> {
        self.hub.join(self.socket, room)
    }

    /// Leaves `room` (`socket.leave`). `Ok(false)` if not a member.
    pub fn leave(&mut self, room: &str) -> Result<bool, HubError> {
        self.hub.leave(self.socket, room)
    }

    /// The rooms this socket is in.
    pub fn rooms(&self) -> impl Iterator<Item = &str> + '_ {
        self.hub.rooms_of(self.socket)
    }

    /// Stores `value` under `key` for this socket (`socket.data[key] = value`, the lecture's
    /// `socket.set`). Returns the value it replaces.
    pub fn set<T: Any + Send>(
        &mut self,
        key: &str,
        value: T,
    ) -> Result<Option<alloc::boxed::Box<dyn Any + Send>>, HubError> {
        self.hub.set_data(self.socket, key, value)
    }

    /// The value stored under `key`, if it has type `T` (`socket.get`).
    #[must_use]
    pub fn get<T: Any>(&self, key: &str) -> Option<&T> {
        self.hub.data(self.socket, key)
    }

    /// Everyone in the namespace but this socket (`socket.broadcast`).
    #[must_use]
    pub fn broadcast(&mut self) -> Emitter<'_> {
        let nsp = self.nsp_owned();
        Emitter::new(self.hub, nsp, Some(self.socket), self.now)
    }

    /// The members of `room` but this socket (`socket.to(room)`); chain [`Emitter::to`] for
    /// more rooms.
    #[must_use]
    pub fn to(&mut self, room: &str) -> Emitter<'_> {
        self.broadcast().to(room)
    }

    /// Every socket of the namespace, this one included (`io.of(nsp)`, the lecture's
    /// `io.sockets.emit`); narrow it with [`Emitter::to`] / [`Emitter::except`].
    #[must_use]
    pub fn everyone(&mut self) -> Emitter<'_> {
        let nsp = self.nsp_owned();
        Emitter::new(self.hub, nsp, None, self.now)
    }

    /// Disconnects this socket from its namespace (`socket.disconnect()`); the client gets a
    /// DISCONNECT packet and `on_disconnect` follows.
    pub fn disconnect(&mut self) -> Result<(), SocketIoError> {
        let nsp = self.nsp_owned();
        self.machine.disconnect(&nsp)
    }

    /// The hub itself (every socket, room and piece of data), for what the shortcuts above do
    /// not cover.
    pub fn hub(&mut self) -> &mut Hub {
        self.hub
    }
}

/// A broadcast being addressed: rooms to reach, rooms and the sender to skip.
#[derive(Debug)]
pub struct Emitter<'c> {
    hub: &'c mut Hub,
    nsp: String,
    rooms: Vec<String>,
    except_rooms: Vec<String>,
    except: Option<SocketId>,
    now: Duration,
    local: bool,
}

impl<'c> Emitter<'c> {
    fn new(hub: &'c mut Hub, nsp: String, except: Option<SocketId>, now: Duration) -> Self {
        Emitter {
            hub,
            nsp,
            rooms: Vec::new(),
            except_rooms: Vec::new(),
            except,
            now,
            local: false,
        }
    }

    /// Only this node's clients, not the cluster's (`io.local`).
    #[must_use]
    pub fn local(mut self) -> Self {
        self.local = true;
        self
    }

    /// Only the members of `room` (several calls: the union).
    #[must_use]
    pub fn to(mut self, room: &str) -> Self {
        self.rooms.push(room.to_string());
        self
    }

    /// Not the members of `room`.
    #[must_use]
    pub fn except(mut self, room: &str) -> Self {
        self.except_rooms.push(room.to_string());
        self
    }

    fn with_target<R>(&mut self, f: impl FnOnce(&mut Hub, &Target<'_>) -> R) -> R {
        let rooms: Vec<&str> = self.rooms.iter().map(String::as_str).collect();
        let except_rooms: Vec<&str> = self.except_rooms.iter().map(String::as_str).collect();
        let except: Vec<SocketId> = self.except.into_iter().collect();
        let target = Target::namespace(&self.nsp)
            .rooms(&rooms)
            .except_rooms(&except_rooms)
            .except_sockets(&except);
        f(self.hub, &target)
    }

    /// Emits `name` with `args` to every recipient, encoded once. Returns how many.
    pub fn emit(mut self, name: &str, args: &[Value<'_>]) -> Result<usize, HubError> {
        if self.local {
            return self.with_target(|hub, t| hub.broadcast_local(t, name, args));
        }
        self.with_target(|hub, t| hub.broadcast(t, name, args))
    }

    /// Emits with an ack id and collects every recipient's answer until `timeout`; the result
    /// reaches [`App::on_hub_event`](super::App::on_hub_event). Returns the broadcast's ack id.
    pub fn emit_with_ack(
        mut self,
        name: &str,
        args: &[Value<'_>],
        timeout: Duration,
    ) -> Result<u64, HubError> {
        let now = self.now;
        self.with_target(|hub, t| hub.broadcast_with_ack(t, name, args, now, timeout))
    }

    /// `socketsJoin(rooms)`: the selected sockets of every node of the cluster join `rooms`.
    /// Returns how many local sockets were selected.
    pub fn sockets_join(mut self, rooms: &[&str]) -> Result<usize, HubError> {
        self.with_target(|hub, t| hub.sockets_join(t, rooms))
    }

    /// `socketsLeave(rooms)`, across the cluster.
    pub fn sockets_leave(mut self, rooms: &[&str]) -> Result<usize, HubError> {
        self.with_target(|hub, t| hub.sockets_leave(t, rooms))
    }

    /// `disconnectSockets(close)`: the selected sockets of every node of the cluster
    /// disconnect (with `close`, their connection closes too). Returns how many are local.
    pub fn disconnect_sockets(mut self, close: bool) -> usize {
        self.with_target(|hub, t| hub.disconnect_sockets(t, close))
    }
}
