//! [`Server`]: a whole Socket.IO v5 server over raw TCP bytes, sans-IO.
//!
//! It composes the layers below it: an [`engineio::Endpoint`](crate::engineio::Endpoint) (HTTP,
//! long-polling, WebSocket, upgrade, heartbeat), one [`ServerSocket`] machine per Engine.IO
//! session (namespaces, acks, binary attachments), and the [`Hub`] (rooms, broadcast encoded once,
//! per-socket data, broadcast acks). The application is an [`App`]: its callbacks run inside the
//! `handle_*` call that caused them and act through a [`Ctx`] that reads like the reference
//! server's socket API: [`emit`](Ctx::emit), [`to`](Ctx::to) a room, [`broadcast`](Ctx::broadcast)
//! (everyone but the sender), [`join`](Ctx::join) / [`leave`](Ctx::leave), per-socket
//! [`set`](Ctx::set) / [`get`](Ctx::get), [`ack`](Ctx::ack) and emit with ack.
//!
//! # Run loop
//!
//! The same as the endpoint's: [`Server::handle_accept`], [`Server::handle_read`],
//! [`Server::handle_eof`] and [`Server::handle_timeout`] with `now` first and the caller's
//! connection id, then drain [`Server::poll_transmit`] (bytes for a connection, close after?) and
//! arm one timer at [`Server::poll_timeout`]. Nothing else: every protocol decision, including
//! the order in which Engine.IO, the socket machines and the hub are drained, is made here.
//!
//! ```
//! use core::time::Duration;
//! use sockwire::socketio::server::{App, Ctx, Event, Server, ServerOptions};
//!
//! /// Echoes every event back to its sender.
//! struct Echo;
//! impl App for Echo {
//!     fn on_event(&mut self, ctx: &mut Ctx<'_>, event: Event<'_>) {
//!         let args: Vec<_> = event.args().collect();
//!         let _ = ctx.emit(event.name(), &args);
//!     }
//! }
//!
//! let mut n = 0u8;
//! let ids = move || {
//!     n = n.wrapping_add(1);
//!     [n; 15] // use a CSPRNG in production
//! };
//! let mut io = Server::new(Echo, ServerOptions::default(), ids);
//! let now = Duration::ZERO;
//! io.handle_accept(now, 1);
//! io.handle_read(now, 1, b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n");
//! let open = io.poll_transmit().unwrap();
//! assert_eq!(open.conn, 1);
//! assert!(String::from_utf8_lossy(&open.data).contains("\"pingInterval\":25000"));
//! ```

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::{String, ToString};
use core::time::Duration;

use crate::engineio::Message as EioMessage;
use crate::engineio::endpoint::{self, Endpoint, EndpointConfig, OpenRequest, Transmit};
use crate::engineio::server::CloseReason;
use crate::hub::{Hub, HubConfig, HubEvent, SessionId, SessionInfo};

use super::recovery::RecoveryConfig;
use super::{
    DisconnectReason, Message, OwnedPacket, Parser, ServerConfig, ServerEvent, ServerSocket,
};

mod by_hub;
mod connect;
mod ctx;
mod fanout;

pub use ctx::{Ctx, Emitter, Event};
use fanout::{Outbox, Output};

/// Settings of a [`Server`]: the Engine.IO endpoint (paths, heartbeat, caps, CORS, pages), the
/// socket machines and the hub.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerOptions {
    /// The Engine.IO endpoint; its default path here is `/socket.io/`.
    pub endpoint: EndpointConfig,
    /// Each session's socket machine (namespaces, connect timeout, ack caps).
    pub socket: ServerConfig,
    /// The hub (caps on sessions, sockets, rooms, pending broadcast acks).
    pub hub: HubConfig,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            endpoint: EndpointConfig::default().path("/socket.io/"),
            socket: ServerConfig::default(),
            hub: HubConfig::default(),
        }
    }
}

impl ServerOptions {
    /// The wire format of every session: JSON (the default) or `socket.io-msgpack-parser`
    /// (the socket machines and the hub's broadcasts alike).
    #[must_use]
    pub fn parser(mut self, parser: Parser) -> Self {
        self.socket = self.socket.with_parser(parser);
        self.hub = self.hub.parser(parser);
        self
    }

    /// Turns connection state recovery on (Socket.IO 4.6+, the reference's
    /// `connectionStateRecovery`): a socket that lost its connection for a recoverable reason
    /// is kept `max_disconnection_duration`; a client reconnecting in time gets its old id,
    /// rooms and data back, then the packets it missed ([`Ctx::recovered`] says so in
    /// [`App::on_connect`]). With `skip_middlewares`, [`App::accept`] is not asked again for a
    /// recovered socket. Emits to one socket ([`Ctx::emit`]) then carry an offset too.
    #[must_use]
    pub fn recovery(mut self, cfg: RecoveryConfig) -> Self {
        self.socket = self.socket.with_recovery(cfg);
        self.hub = self.hub.recovery(Some(cfg));
        self
    }

    /// Sets the endpoint settings.
    #[must_use]
    pub fn endpoint(mut self, cfg: EndpointConfig) -> Self {
        self.endpoint = cfg;
        self
    }

    /// Sets the socket machines' settings.
    #[must_use]
    pub fn socket(mut self, cfg: ServerConfig) -> Self {
        self.socket = cfg;
        self
    }

    /// Sets the hub's settings.
    #[must_use]
    pub fn hub(mut self, cfg: HubConfig) -> Self {
        self.hub = cfg;
        self
    }
}

/// The application: what happens on connect, events and disconnect. Every callback runs inside
/// the `handle_*` call that caused it; what it sends is delivered in order after it returns.
pub trait App {
    /// A client asks to join `nsp` (the reference's namespace middleware). `Err(message)`
    /// refuses with a CONNECT_ERROR carrying it.
    fn accept(&mut self, nsp: &str, auth: Option<&str>, info: &SessionInfo) -> Result<(), String> {
        let _ = (nsp, auth, info);
        Ok(())
    }
    /// The socket joined its namespace (`connection`).
    fn on_connect(&mut self, ctx: &mut Ctx<'_>) {
        let _ = ctx;
    }
    /// An event arrived (`socket.on(name, ...)`); [`Event::take_ack`] gives the answer handle
    /// when the client waits for an answer.
    fn on_event(&mut self, ctx: &mut Ctx<'_>, event: Event<'_>);
    /// The answer to [`Ctx::emit_with_ack`] number `id`: the ACK packet (its
    /// [`args`](crate::socketio::packet::Packet::args) are the answer), or `None` when the
    /// timeout passed first.
    fn on_ack(&mut self, ctx: &mut Ctx<'_>, id: u64, answer: Option<&OwnedPacket>) {
        let _ = (ctx, id, answer);
    }
    /// The socket left (`disconnect`); it is still in its rooms during the call. `error` is
    /// the peer or transport error that ended it (the reference's second `disconnect`
    /// argument, its description), `None` for an orderly end.
    fn on_disconnect(
        &mut self,
        ctx: &mut Ctx<'_>,
        reason: DisconnectReason,
        error: Option<&crate::Error>,
    ) {
        let _ = (ctx, reason, error);
    }
    /// A broadcast with acks completed ([`Emitter::emit_with_ack`]).
    fn on_hub_event(&mut self, hub: &mut Hub, event: HubEvent) {
        let _ = (hub, event);
    }
    /// A message on a plain Engine.IO session: one opened on any endpoint path but the first
    /// (added with [`EndpointConfig::add_path`]; the first path speaks Socket.IO). Answer
    /// through `endpoint` ([`Endpoint::send`]); the default ignores it.
    fn on_engine_message(&mut self, endpoint: &mut Endpoint, sid: &str, message: EioMessage) {
        let _ = (endpoint, sid, message);
    }
}

#[derive(Debug)]
struct Session {
    hub_id: SessionId,
    machine: ServerSocket,
    info: SessionInfo,
    /// The deadline this session's machine is scheduled at in `timers`.
    deadline: Option<Duration>,
}

/// See the [module docs](self).
pub struct Server<A: App> {
    endpoint: Endpoint,
    app: A,
    hub: Hub,
    cfg: ServerConfig,
    sessions: BTreeMap<String, Session>,
    /// Plain Engine.IO sessions (on a path other than the first).
    plain: BTreeSet<String>,
    by_hub_id: by_hub::BySession,
    /// Machine deadlines: touched only when due.
    timers: BTreeSet<(Duration, String)>,
    out: Outbox,
    entropy: Box<dyn FnMut() -> [u8; 15] + Send>,
    now: Duration,
}

impl<A: App> core::fmt::Debug for Server<A> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Server")
            .field("sessions", &self.sessions.len())
            .field("hub", &self.hub)
            .finish_non_exhaustive()
    }
}

impl<A: App> Server<A> {
    /// A server running `app`. `entropy` gives 15 unpredictable bytes per call (Engine.IO and
    /// Socket.IO ids); it is cloned once, and the clone must draw independently (from the OS or
    /// a CSPRNG, not a copied seed), or both kinds of id repeat each other.
    pub fn new(
        app: A,
        options: ServerOptions,
        entropy: impl FnMut() -> [u8; 15] + Clone + Send + 'static,
    ) -> Self {
        Server {
            endpoint: Endpoint::new(options.endpoint, entropy.clone()),
            app,
            hub: Hub::new(options.hub),
            cfg: options.socket,
            sessions: BTreeMap::new(),
            plain: BTreeSet::new(),
            by_hub_id: by_hub::BySession::default(),
            timers: BTreeSet::new(),
            out: Outbox::default(),
            entropy: Box::new(entropy),
            now: Duration::ZERO,
        }
    }

    /// The application.
    pub fn app(&mut self) -> &mut A {
        &mut self.app
    }

    /// The hub (rooms, sockets, data), for work outside a callback.
    pub fn hub(&mut self) -> &mut Hub {
        &mut self.hub
    }

    /// The Engine.IO endpoint underneath (connection and session counts).
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    // ---- inputs ----------------------------------------------------------------------------

    /// A TCP connection `conn` was accepted.
    pub fn handle_accept(&mut self, now: Duration, conn: u64) {
        self.begin(now);
        self.endpoint.handle_accept(now, conn);
        self.pump();
    }

    /// Bytes read from connection `conn`.
    pub fn handle_read(&mut self, now: Duration, conn: u64, bytes: &[u8]) {
        self.begin(now);
        self.endpoint.handle_read(now, conn, bytes);
        self.pump();
    }

    /// Connection `conn` ended (a read returned 0 or failed).
    pub fn handle_eof(&mut self, now: Duration, conn: u64) {
        self.begin(now);
        self.endpoint.handle_eof(now, conn);
        self.pump();
    }

    /// The deadline of [`Server::poll_timeout`] passed: runs what is due (and only that).
    pub fn handle_timeout(&mut self, now: Duration) {
        self.begin(now);
        if self.endpoint.poll_timeout().is_some_and(|t| t <= now) {
            self.endpoint.handle_timeout(now);
        }
        while let Some((at, sid)) = self.timers.first().cloned() {
            if at > now {
                break;
            }
            self.timers.remove(&(at, sid.clone()));
            if let Some(s) = self.sessions.get_mut(&sid) {
                s.deadline = None;
                s.machine.handle_timeout(now);
            }
            self.drive(&sid);
        }
        if self.hub.poll_timeout().is_some_and(|t| t <= now) {
            self.hub.handle_timeout(now);
            self.flush_hub();
        }
        self.write_out();
        self.pump();
    }

    /// Joins a cluster (see [`crate::cluster`]): broadcasts are published for the other nodes
    /// and theirs delivered here. Drain [`Server::poll_cluster_transmit`] after every input.
    pub fn set_cluster(&mut self, adapter: crate::cluster::Adapter) {
        self.hub.set_cluster(adapter);
    }

    /// A message from the cluster bus on `channel`: a remote broadcast is delivered to the
    /// local clients it selects, a request is answered or applied (join, leave, disconnect;
    /// `serverSideEmit` reaches [`App::on_hub_event`]).
    ///
    /// # Errors
    /// A malformed or oversized message; nothing happened.
    pub fn handle_cluster_message(
        &mut self,
        now: Duration,
        channel: &str,
        payload: &[u8],
    ) -> Result<(), crate::cluster::WireError> {
        self.begin(now);
        let r = self.hub.handle_cluster_message(now, channel, payload);
        self.flush_hub();
        self.write_out();
        self.pump();
        r
    }

    /// The answer to a [`crate::cluster::Command::NumSub`]: `count` subscribers of `channel`.
    pub fn handle_cluster_numsub(&mut self, now: Duration, channel: &str, count: u64) {
        self.begin(now);
        self.hub.handle_cluster_numsub(now, channel, count);
        self.flush_hub();
        self.write_out();
        self.pump();
    }

    /// The next command for the cluster bus (subscribe, publish).
    #[must_use]
    pub fn poll_cluster_transmit(&mut self) -> Option<crate::cluster::Command> {
        self.hub.poll_cluster_transmit()
    }

    /// Turns write pacing on (see [`Endpoint::enable_write_pacing`]).
    pub fn enable_write_pacing(&mut self) {
        self.endpoint.enable_write_pacing();
    }

    /// The last transmit of `conn` is written (see [`Endpoint::handle_written`]).
    pub fn handle_written(&mut self, now: Duration, conn: u64) {
        self.now = self.now.max(now);
        self.endpoint.handle_written(now, conn);
    }

    // ---- commands outside a callback --------------------------------------------------------

    /// Acts as `socket` outside a callback, for hosts whose application answers later than the
    /// `handle_*` call (a C host polling events): runs `f` with the socket's [`Ctx`], then
    /// delivers what it produced like a callback's output. `None` (and `f` not run) when the
    /// socket is gone.
    pub fn with_socket<R>(
        &mut self,
        now: Duration,
        socket: crate::hub::SocketId,
        f: impl FnOnce(&mut Ctx<'_>) -> R,
    ) -> Option<R> {
        self.begin(now);
        let sid = String::from(self.by_hub_id.get(&self.hub.session_of(socket)?)?);
        let s = self.sessions.get_mut(&sid)?;
        let r = f(&mut Ctx::new(
            &mut self.hub,
            &mut s.machine,
            socket,
            self.now,
        ));
        self.drive(&sid);
        self.flush_hub();
        self.write_out();
        self.pump();
        Some(r)
    }

    /// Works on the hub outside a callback (a broadcast to a room or a namespace, data), then
    /// delivers what it produced.
    pub fn with_hub<R>(&mut self, now: Duration, f: impl FnOnce(&mut Hub) -> R) -> R {
        self.begin(now);
        let r = f(&mut self.hub);
        self.flush_hub();
        self.write_out();
        self.pump();
        r
    }

    // ---- outputs ---------------------------------------------------------------------------

    /// The next bytes to write (see [`Transmit`]).
    ///
    /// A broadcast is handed over a few recipients at a time (64): the next
    /// ones' bytes are made only when the ones before are taken, so a host that writes every
    /// transmit as it gets it has the first recipients' on the wire while the rest are still
    /// queued (and never holds a copy per recipient at once). Drain it after every input, as
    /// always: the next input writes whatever is still queued first.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        loop {
            if let Some(t) = self.endpoint.poll_transmit() {
                return Some(t);
            }
            if self.out.is_empty() {
                // Broadcasts made on `hub()` outside any call.
                self.out.take_broadcasts(&mut self.hub);
            }
            // A few recipients at a time: the host's writes then alternate with runs of this
            // loop rather than with each recipient, which keeps both in cache, and the first
            // recipient still waits only for the run.
            let mut stepped = false;
            for _ in 0..fanout::RUN {
                if !self
                    .out
                    .step(&mut self.endpoint, &self.by_hub_id, &mut self.hub)
                {
                    break;
                }
                stepped = true;
            }
            if !stepped {
                return None;
            }
        }
    }

    /// Recipients of broadcasts whose bytes are not made yet: [`Server::poll_transmit`] makes
    /// them one at a time, so this falls as the host drains it.
    #[must_use]
    pub fn queued_recipients(&self) -> usize {
        self.out.recipients() + self.hub.pending_transmits()
    }

    /// When [`Server::handle_timeout`] must be called next, if ever.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Duration> {
        [
            self.endpoint.poll_timeout(),
            self.timers.first().map(|(t, _)| *t),
            self.hub.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // ---- composition -----------------------------------------------------------------------

    /// Drains the endpoint's events into the machines and the application, writing what they
    /// produce, until nothing more happens.
    fn pump(&mut self) {
        while let Some(ev) = self.endpoint.poll_event() {
            match ev {
                endpoint::Event::Opened { sid, request, .. } => self.open(sid, &request),
                endpoint::Event::Message { sid, message } if self.plain.contains(&sid) => {
                    self.app
                        .on_engine_message(&mut self.endpoint, &sid, message);
                }
                endpoint::Event::Message { sid, message } => {
                    let now = self.now;
                    if let Some(s) = self.sessions.get_mut(&sid) {
                        // A packet the machine refuses closes the session (its Close event).
                        // The message is handed over as it is: no copy.
                        let _ = match message {
                            EioMessage::Text(t) => s.machine.handle_text_owned(now, t),
                            EioMessage::Binary(b) => s.machine.handle_binary_owned(now, b),
                        };
                        self.drive(&sid);
                    }
                }
                endpoint::Event::Closed { sid, reason, error } => {
                    self.closed(&sid, reason, error);
                }
                _ => {}
            }
            self.write_out();
        }
    }

    fn open(&mut self, sid: String, request: &OpenRequest) {
        if self.endpoint.config().paths.first() != Some(&request.path) {
            self.plain.insert(sid);
            return;
        }
        let info = SessionInfo {
            headers: request.headers.clone(),
            query: crate::hub::decode_query(request.target.split_once('?').map_or("", |q| q.1)),
            url: request.target.clone(),
            issued: self.now,
            ..SessionInfo::default()
        };
        let Ok(hub_id) = self.hub.add_session(info.clone()) else {
            self.out.push(sid, Output::Close);
            return;
        };
        self.by_hub_id.insert(hub_id, sid.clone());
        let machine = ServerSocket::new(self.cfg.clone(), self.now);
        self.sessions.insert(
            sid.clone(),
            Session {
                hub_id,
                machine,
                info,
                deadline: None,
            },
        );
        self.drive(&sid);
    }

    fn closed(&mut self, sid: &str, reason: CloseReason, error: Option<crate::Error>) {
        if self.plain.remove(sid) {
            return;
        }
        let now = self.now;
        if let Some(s) = self.sessions.get_mut(sid) {
            s.machine.handle_transport_close(now, reason.into(), error);
        }
        self.drive(sid);
        if let Some(s) = self.sessions.remove(sid) {
            if let Some(d) = s.deadline {
                self.timers.remove(&(d, sid.to_string()));
            }
            self.by_hub_id.remove(&s.hub_id);
            let _ = self.hub.remove_session(s.hub_id);
            self.flush_hub();
        }
        // Nothing more can be written to a closed session.
        self.out.forget(sid);
    }

    /// Drains session `sid`'s machine: its transmits, then its events one at a time (each may
    /// answer and broadcast), then re-arms its timer.
    fn drive(&mut self, sid: &str) {
        let now = self.now;
        loop {
            let Some(s) = self.sessions.get_mut(sid) else {
                return;
            };
            while let Some(m) = s.machine.poll_transmit() {
                self.out.push(sid.to_string(), Output::Message(m));
            }
            let Some(ev) = s.machine.poll_event() else {
                break;
            };
            let hub_id = s.hub_id;
            match ev {
                ServerEvent::Connect { nsp, auth } => {
                    if let Some(socket) = connect::connect(
                        &mut self.app,
                        &mut self.hub,
                        s,
                        &mut *self.entropy,
                        now,
                        &nsp,
                        auth.as_deref(),
                    ) {
                        let mut ctx = Ctx::new(&mut self.hub, &mut s.machine, socket, now);
                        self.app.on_connect(&mut ctx);
                    }
                }
                ServerEvent::Event { packet, ack } => {
                    let nsp = packet.packet().nsp();
                    if let Some(socket) = self.hub.socket_of(hub_id, nsp) {
                        let mut ctx = Ctx::new(&mut self.hub, &mut s.machine, socket, now);
                        if let Some(event) = Event::new(&packet, ack) {
                            self.app.on_event(&mut ctx, event);
                        }
                    }
                }
                ServerEvent::Disconnect { nsp, reason, error } => {
                    if let Some(socket) = self.hub.socket_of(hub_id, &nsp) {
                        let mut ctx = Ctx::new(&mut self.hub, &mut s.machine, socket, now);
                        self.app.on_disconnect(&mut ctx, reason, error.as_ref());
                        // With recovery on, a recoverable loss keeps the socket's state.
                        let _ = self.hub.disconnect_socket(socket, now, reason);
                    }
                }
                ServerEvent::Ack { packet } => {
                    let nsp = packet.packet().nsp();
                    let id = packet.packet().id().unwrap_or(0);
                    if let Some(socket) = self.hub.socket_of(hub_id, nsp) {
                        let mut ctx = Ctx::new(&mut self.hub, &mut s.machine, socket, now);
                        self.app.on_ack(&mut ctx, id, Some(&packet));
                    }
                }
                ServerEvent::AckTimeout { nsp, id } => {
                    if let Some(socket) = self.hub.socket_of(hub_id, &nsp) {
                        let mut ctx = Ctx::new(&mut self.hub, &mut s.machine, socket, now);
                        self.app.on_ack(&mut ctx, id, None);
                    }
                }
                // An answer to one of the hub's broadcasts with acks.
                ServerEvent::UnclaimedAck { packet } => {
                    let nsp = packet.packet().nsp();
                    if let Some(socket) = self.hub.socket_of(hub_id, nsp) {
                        let _ = self.hub.handle_ack_packet(now, socket, &packet);
                    }
                }
                ServerEvent::Close { .. } => {
                    while let Some(m) = s.machine.poll_transmit() {
                        self.out.push(sid.to_string(), Output::Message(m));
                    }
                    self.out.push(sid.to_string(), Output::Close);
                }
            }
            // The socket's own answers first, then what the callback broadcast.
            if let Some(s) = self.sessions.get_mut(sid) {
                while let Some(m) = s.machine.poll_transmit() {
                    self.out.push(sid.to_string(), Output::Message(m));
                }
            }
            self.flush_hub();
        }
        self.reschedule(sid);
    }

    /// Puts `sid`'s machine deadline in the timer set (replacing the old one).
    fn reschedule(&mut self, sid: &str) {
        let Some(s) = self.sessions.get_mut(sid) else {
            return;
        };
        let next = s.machine.poll_timeout();
        if next == s.deadline {
            return;
        }
        if let Some(old) = s.deadline.take() {
            self.timers.remove(&(old, sid.to_string()));
        }
        if let Some(at) = next {
            self.timers.insert((at, sid.to_string()));
            s.deadline = Some(at);
        }
    }

    /// The hub's events to the application, its transmits to the output queue.
    fn flush_hub(&mut self) {
        let mut kick = alloc::vec::Vec::new();
        while let Some(ev) = self.hub.poll_event() {
            if let HubEvent::ClusterDisconnect { sockets, close } = &ev {
                kick.extend(sockets.iter().map(|s| (*s, *close)));
            }
            self.app.on_hub_event(&mut self.hub, ev);
        }
        for (socket, close) in kick {
            let (Some(session), Some(nsp)) =
                (self.hub.session_of(socket), self.hub.namespace_of(socket))
            else {
                continue;
            };
            let nsp = nsp.to_string();
            let Some(sid) = self.by_hub_id.get(&session).map(String::from) else {
                continue;
            };
            if close {
                self.out.push(sid, Output::Close);
            } else if let Some(s) = self.sessions.get_mut(&sid) {
                let _ = s.machine.disconnect(&nsp);
                self.drive(&sid);
            }
        }
        // Behind what the callbacks' sockets answered (see `fanout`).
        self.out.take_broadcasts(&mut self.hub);
    }

    /// The start of every input: the clock, and the broadcasts still queued from the last
    /// call handed over before the input can make anything for their sessions.
    fn begin(&mut self, now: Duration) {
        self.now = self.now.max(now);
        self.hub.set_time(self.now);
        self.settle();
    }

    /// Writes everything queued, broadcasts included (see [`fanout`]).
    fn settle(&mut self) {
        self.out.take_broadcasts(&mut self.hub);
        self.out
            .settle(&mut self.endpoint, &self.by_hub_id, &mut self.hub);
    }

    /// Writes what is queued, up to the first broadcast unless a close waits behind it (see
    /// [`fanout`]).
    fn write_out(&mut self) {
        self.out
            .write(&mut self.endpoint, &self.by_hub_id, &mut self.hub);
    }
}

#[cfg(test)]
mod fanout_tests;
#[cfg(test)]
mod tests;
