//! The server side: [`ServerSocket`] accepts or refuses namespace CONNECTs, emits and
//! acknowledges, and reports [`ServerEvent`]s.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::shared::{Core, check_nsp, engineio_inputs};
use super::{AckHandle, CloseReason, DisconnectReason, EncodedPacket, Message, Parser};
use crate::socketio::packet::{self, PacketType, Value};
use crate::socketio::recovery::RecoveryConfig;
use crate::socketio::{DecodeConfig, OwnedPacket, SocketIoError, json};

/// Settings of a [`ServerSocket`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// How packets are written and read: JSON text (default) or msgpack, one binary Engine.IO
    /// message per packet ([`Parser`]).
    pub parser: Parser,
    /// Decoding limits (attachments, depth, packet size).
    pub decode: DecodeConfig,
    /// Close the session if no namespace is connected this long after it opened (default 45 s,
    /// as the reference server).
    pub connect_timeout: Duration,
    /// If set, CONNECT to any other namespace is answered
    /// `44/<nsp>,{"message":"Invalid namespace"}` without an event (default: unset, every
    /// request becomes a [`ServerEvent::Connect`]).
    pub namespaces: Option<Vec<String>>,
    /// Most namespaces connected (or being connected) at once (default 64).
    pub max_namespaces: usize,
    /// Most acks awaited at once (default 1024).
    pub max_pending_acks: usize,
    /// Close the session when the client has left its last namespace (default `false`: like
    /// the reference server, the session stays open and the client may join again; the
    /// reference client closes it itself).
    pub close_when_empty: bool,
    /// Connection state recovery (Socket.IO 4.6+), off by default: when set, CONNECT replies
    /// carry the `pid` given to [`ServerSocket::accept_with_ids`], and a CONNECT carrying
    /// `pid` (and `offset`) is reported by [`ServerSocket::recovery_request`]. The settings
    /// (duration, caps) are those of the store that keeps the sessions
    /// ([`RecoveryStore`](crate::socketio::recovery::RecoveryStore), or the hub's).
    pub recovery: Option<RecoveryConfig>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            parser: Parser::Json,
            decode: DecodeConfig::new(),
            connect_timeout: Duration::from_secs(45),
            namespaces: None,
            max_namespaces: 64,
            max_pending_acks: 1024,
            close_when_empty: false,
            recovery: None,
        }
    }
}

impl ServerConfig {
    /// Sets [`parser`](Self::parser).
    pub fn with_parser(mut self, parser: Parser) -> Self {
        self.parser = parser;
        self
    }

    /// Sets [`decode`](Self::decode).
    pub fn with_decode(mut self, decode: DecodeConfig) -> Self {
        self.decode = decode;
        self
    }

    /// Sets [`connect_timeout`](Self::connect_timeout).
    pub fn with_connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        self
    }

    /// Adds `nsp` to the allowed [`namespaces`](Self::namespaces) (creating the list).
    pub fn with_namespace(mut self, nsp: &str) -> Self {
        self.namespaces
            .get_or_insert_with(Vec::new)
            .push(String::from(nsp));
        self
    }

    /// Sets [`max_namespaces`](Self::max_namespaces).
    pub fn with_max_namespaces(mut self, n: usize) -> Self {
        self.max_namespaces = n;
        self
    }

    /// Sets [`max_pending_acks`](Self::max_pending_acks).
    pub fn with_max_pending_acks(mut self, n: usize) -> Self {
        self.max_pending_acks = n;
        self
    }

    /// Turns connection state [`recovery`](Self::recovery) on with these settings.
    pub fn with_recovery(mut self, recovery: RecoveryConfig) -> Self {
        self.recovery = Some(recovery);
        self
    }

    /// Sets [`close_when_empty`](Self::close_when_empty).
    pub fn with_close_when_empty(mut self, on: bool) -> Self {
        self.close_when_empty = on;
        self
    }
}

/// What a [`ServerSocket`] reports.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// The client asks to join `nsp`; answer with [`ServerSocket::accept`] (the reference's
    /// `connection` event) or [`ServerSocket::refuse`].
    Connect {
        /// The namespace.
        nsp: String,
        /// The raw JSON auth object, if the client sent one.
        auth: Option<String>,
    },
    /// An event from the client.
    Event {
        /// The packet (`packet().nsp()`, `event_name()`, `args()`, attachments).
        packet: OwnedPacket,
        /// Present when the client asked for an ack.
        ack: Option<AckHandle>,
    },
    /// The ack of one of our `emit_with_ack` (its id is `packet.packet().id()`).
    Ack {
        /// The ACK packet.
        packet: OwnedPacket,
    },
    /// An ACK on a connected namespace whose id this machine is not waiting for: an answer to
    /// a pre-encoded packet sent with [`EncodedPacket::event_with_id`] (a hub's broadcast with
    /// acks), or a late / duplicate answer to an `emit_with_ack`. Ignore it if unexpected.
    UnclaimedAck {
        /// The ACK packet.
        packet: OwnedPacket,
    },
    /// An awaited ack did not come in time.
    AckTimeout {
        /// The namespace of the emit.
        nsp: String,
        /// The id `emit_with_ack` returned.
        id: u64,
    },
    /// A namespace connection ended.
    Disconnect {
        /// The namespace.
        nsp: String,
        /// Why.
        reason: DisconnectReason,
        /// The peer or transport error that ended it (a [`SocketIoError`] for
        /// [`DisconnectReason::ParseError`], the Engine.IO session's error for
        /// [`DisconnectReason::TransportError`]); `None` for an orderly end.
        error: Option<crate::Error>,
    },
    /// Close the Engine.IO session (after sending what `poll_transmit` holds).
    Close {
        /// Why.
        reason: CloseReason,
    },
}

#[derive(Debug, Clone)]
struct ServerNs {
    name: String,
    sid: String,
    conn: u64,
    pid: Option<String>,
    recovered: bool,
}

/// A CONNECT waiting for `accept` / `refuse`, with the recovery fields it carried.
#[derive(Debug, Clone)]
struct PendingConnect {
    name: String,
    pid: Option<String>,
    offset: Option<String>,
}

/// What a client reconnecting with connection state recovery presented in its CONNECT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryRequest {
    /// The private session id it was given.
    pub pid: String,
    /// The offset of the last event it received; `None` if it received none (the reference
    /// server cannot recover then; a [`RecoveryStore`](crate::socketio::recovery::RecoveryStore)
    /// can).
    pub offset: Option<String>,
}

/// The server side of one Engine.IO session (see the module docs for the run loop).
#[derive(Debug)]
pub struct ServerSocket {
    cfg: ServerConfig,
    core: Core,
    nss: Vec<ServerNs>,
    pending: Vec<PendingConnect>,
    events: VecDeque<ServerEvent>,
    connect_deadline: Option<Duration>,
}

impl ServerSocket {
    /// A socket for an Engine.IO session that opened at `now`.
    pub fn new(cfg: ServerConfig, now: Duration) -> Self {
        let core = Core::new(cfg.decode, cfg.max_pending_acks, cfg.parser);
        let connect_deadline = Some(now.saturating_add(cfg.connect_timeout));
        ServerSocket {
            cfg,
            core,
            nss: Vec::new(),
            pending: Vec::new(),
            events: VecDeque::new(),
            connect_deadline,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.cfg
    }

    /// `true` once the machine is closed (no more input or commands).
    pub fn is_closed(&self) -> bool {
        self.core.closed
    }

    /// `true` if the client is connected to `nsp`.
    pub fn is_connected(&self, nsp: &str) -> bool {
        self.ns(nsp).is_some()
    }

    /// The Socket.IO id given to the client on `nsp`.
    pub fn sid(&self, nsp: &str) -> Option<&str> {
        self.ns(nsp).map(|n| n.sid.as_str())
    }

    /// The namespaces the client is connected to.
    pub fn namespaces(&self) -> impl Iterator<Item = &str> {
        self.nss.iter().map(|n| n.name.as_str())
    }

    /// The private session id sent to the client on `nsp` (connection state recovery).
    pub fn pid(&self, nsp: &str) -> Option<&str> {
        self.ns(nsp).and_then(|n| n.pid.as_deref())
    }

    /// `true` if the client's state on `nsp` was recovered ([`accept_recovered`](Self::accept_recovered)),
    /// the reference's `socket.recovered`.
    pub fn is_recovered(&self, nsp: &str) -> bool {
        self.ns(nsp).is_some_and(|n| n.recovered)
    }

    /// With recovery on, the `pid` and `offset` a pending CONNECT to `nsp` carried (strings in
    /// its auth object), if any: look the session up, then answer with
    /// [`accept_recovered`](Self::accept_recovered) or, if it cannot be restored,
    /// [`accept_with_ids`](Self::accept_with_ids) (a new session).
    pub fn recovery_request(&self, nsp: &str) -> Option<RecoveryRequest> {
        let p = self.pending.iter().find(|p| p.name == nsp)?;
        Some(RecoveryRequest {
            pid: p.pid.clone()?,
            offset: p.offset.clone(),
        })
    }

    fn ns(&self, nsp: &str) -> Option<&ServerNs> {
        self.nss.iter().find(|n| n.name == nsp)
    }

    engineio_inputs!();

    fn after_decode(
        &mut self,
        now: Duration,
        r: Result<Option<OwnedPacket>, SocketIoError>,
    ) -> Result<(), SocketIoError> {
        match r {
            Ok(None) => Ok(()),
            Ok(Some(p)) => {
                self.on_packet(now, p);
                Ok(())
            }
            Err(SocketIoError::Closed) => Err(SocketIoError::Closed),
            Err(e) => {
                self.shut(
                    DisconnectReason::ParseError,
                    Some(CloseReason::ParseError(e.clone())),
                );
                Err(e)
            }
        }
    }

    fn on_packet(&mut self, _now: Duration, p: OwnedPacket) {
        let view = p.packet();
        let nsp = view.nsp();
        match view.kind() {
            PacketType::Connect => {
                if self.ns(nsp).is_some() || self.pending.iter().any(|n| n.name == nsp) {
                    return; // duplicate request: ignored
                }
                let allowed = match &self.cfg.namespaces {
                    Some(list) => list.iter().any(|n| n == nsp),
                    None => true,
                };
                if !allowed {
                    let mut out = String::new();
                    let _ = packet::encode_connect_error(&mut out, nsp, "Invalid namespace", None);
                    self.core.push_text(out);
                    return;
                }
                if self.nss.len() + self.pending.len() >= self.cfg.max_namespaces {
                    let mut out = String::new();
                    let _ =
                        packet::encode_connect_error(&mut out, nsp, "Too many namespaces", None);
                    self.core.push_text(out);
                    return;
                }
                let (mut pid, mut offset) = (None, None);
                if let (Some(_), Some(auth)) = (&self.cfg.recovery, view.data()) {
                    for (k, v) in packet::members(auth) {
                        if !v.starts_with('"') {
                            continue;
                        }
                        match k {
                            "\"pid\"" => pid = Some(String::from(packet::unquote(v))),
                            "\"offset\"" => offset = Some(String::from(packet::unquote(v))),
                            _ => {}
                        }
                    }
                }
                self.pending.push(PendingConnect {
                    name: String::from(nsp),
                    pid,
                    offset,
                });
                self.events.push_back(ServerEvent::Connect {
                    nsp: String::from(nsp),
                    auth: view.data().map(String::from),
                });
            }
            PacketType::Disconnect => {
                if let Some(i) = self.pending.iter().position(|n| n.name == nsp) {
                    self.pending.remove(i);
                }
                if let Some(i) = self.nss.iter().position(|n| n.name == nsp) {
                    let ns = self.nss.remove(i);
                    self.core.drop_acks(ns.conn);
                    self.events.push_back(ServerEvent::Disconnect {
                        nsp: ns.name,
                        reason: DisconnectReason::ClientNamespaceDisconnect,
                        error: None,
                    });
                    if self.nss.is_empty() && self.pending.is_empty() && self.cfg.close_when_empty {
                        self.shut(
                            DisconnectReason::TransportClose,
                            Some(CloseReason::AllNamespacesLeft),
                        );
                    }
                }
            }
            PacketType::Event | PacketType::BinaryEvent => {
                let Some(ns) = self.ns(nsp) else { return };
                let ack = view.id().map(|id| AckHandle { conn: ns.conn, id });
                self.events.push_back(ServerEvent::Event { packet: p, ack });
            }
            PacketType::Ack | PacketType::BinaryAck => {
                let (Some(ns), Some(id)) = (self.ns(nsp), view.id()) else {
                    return;
                };
                let conn = ns.conn;
                if self.core.take_ack(conn, id) {
                    self.events.push_back(ServerEvent::Ack { packet: p });
                } else {
                    self.events
                        .push_back(ServerEvent::UnclaimedAck { packet: p });
                }
            }
            // A client never sends CONNECT_ERROR; the reference server ignores it too.
            PacketType::ConnectError => {}
        }
    }

    /// Accepts a pending [`ServerEvent::Connect`]: sends `0<nsp>,{"sid":"..."}` with a sid made
    /// from 15 bytes of caller entropy (20 URL-safe base64 characters), and returns the sid.
    /// It sends no `pid`: with [`ServerConfig::recovery`] on, use
    /// [`accept_with_ids`](Self::accept_with_ids) for sockets that may be recovered.
    pub fn accept(&mut self, nsp: &str, entropy: [u8; 15]) -> Result<&str, SocketIoError> {
        let buf = crate::b64::url_safe_id(&entropy);
        let sid = core::str::from_utf8(&buf).unwrap_or("");
        self.accept_with_sid(nsp, sid)
    }

    /// Like [`accept`](Self::accept) with a sid of the caller's choosing (it is written as a
    /// JSON string).
    pub fn accept_with_sid(&mut self, nsp: &str, sid: &str) -> Result<&str, SocketIoError> {
        self.accept_inner(nsp, sid, None, false)
    }

    /// Accepts with a sid and, when [`ServerConfig::recovery`] is on, a private session id
    /// `pid` (the reference's `{"sid":…,"pid":…}` reply). Draw `pid` from a secure random
    /// source, independently of the sid: whoever knows it can take the session over.
    pub fn accept_with_ids(
        &mut self,
        nsp: &str,
        sid: &str,
        pid: Option<&str>,
    ) -> Result<&str, SocketIoError> {
        self.accept_inner(nsp, sid, pid, false)
    }

    /// Accepts a CONNECT whose session was restored (from the store that kept it): `sid` and
    /// `pid` are the session's old ones, and [`is_recovered`](Self::is_recovered) is `true`.
    /// Send the missed packets right after (the CONNECT reply goes first; the reference
    /// client buffers events received before it either way).
    pub fn accept_recovered(
        &mut self,
        nsp: &str,
        sid: &str,
        pid: &str,
    ) -> Result<&str, SocketIoError> {
        self.accept_inner(nsp, sid, Some(pid), true)
    }

    fn accept_inner(
        &mut self,
        nsp: &str,
        sid: &str,
        pid: Option<&str>,
        recovered: bool,
    ) -> Result<&str, SocketIoError> {
        if self.core.closed {
            return Err(SocketIoError::Closed);
        }
        let i = self
            .pending
            .iter()
            .position(|n| n.name == nsp)
            .ok_or(SocketIoError::NoPendingConnect)?;
        let pid = pid.filter(|_| self.cfg.recovery.is_some());
        let name = self.pending.remove(i).name;
        let mut out = String::new();
        let mut auth = String::from("{\"sid\":");
        json::write_str(&mut auth, sid);
        if let Some(pid) = pid {
            auth.push_str(",\"pid\":");
            json::write_str(&mut auth, pid);
        }
        auth.push('}');
        packet::encode_connect(&mut out, &name, Some(&auth))?;
        self.core.push_text(out);
        let conn = self.core.conn_id();
        self.connect_deadline = None;
        self.nss.push(ServerNs {
            name,
            sid: String::from(sid),
            conn,
            pid: pid.map(String::from),
            recovered: recovered && pid.is_some(),
        });
        Ok(&self.nss[self.nss.len() - 1].sid)
    }

    /// Refuses a pending [`ServerEvent::Connect`] with
    /// `4<nsp>,{"message":<message>[,"data":<data>]}` (`data` is raw JSON).
    pub fn refuse(
        &mut self,
        nsp: &str,
        message: &str,
        data: Option<&str>,
    ) -> Result<(), SocketIoError> {
        if self.core.closed {
            return Err(SocketIoError::Closed);
        }
        let i = self
            .pending
            .iter()
            .position(|n| n.name == nsp)
            .ok_or(SocketIoError::NoPendingConnect)?;
        let mut out = String::new();
        packet::encode_connect_error(&mut out, nsp, message, data)?;
        self.pending.remove(i);
        self.core.push_text(out);
        Ok(())
    }

    fn connected(&self, nsp: &str) -> Result<u64, SocketIoError> {
        if self.core.closed {
            return Err(SocketIoError::Closed);
        }
        check_nsp(nsp)?;
        self.ns(nsp)
            .map(|n| n.conn)
            .ok_or(SocketIoError::NotConnected)
    }

    /// Emits an event to the client on `nsp` (binary arguments make it a BINARY_EVENT).
    pub fn emit(&mut self, nsp: &str, name: &str, args: &[Value<'_>]) -> Result<(), SocketIoError> {
        self.connected(nsp)?;
        self.core.emit(nsp, None, name, args)
    }

    /// Emits an event carrying `offset` as its last argument (connection state recovery: the
    /// offset the store assigned when it recorded the packet).
    pub fn emit_with_offset(
        &mut self,
        nsp: &str,
        name: &str,
        args: &[Value<'_>],
        offset: &str,
    ) -> Result<(), SocketIoError> {
        self.connected(nsp)?;
        let mut all = Vec::with_capacity(args.len() + 1);
        all.extend_from_slice(args);
        all.push(Value::Str(offset));
        self.core.emit(nsp, None, name, &all)
    }

    /// Emits an event asking for an ack; returns the ack id. With `timeout`, an
    /// [`ServerEvent::AckTimeout`] is reported if the ack has not come by `now + timeout`.
    pub fn emit_with_ack(
        &mut self,
        now: Duration,
        nsp: &str,
        name: &str,
        args: &[Value<'_>],
        timeout: Option<Duration>,
    ) -> Result<u64, SocketIoError> {
        let conn = self.connected(nsp)?;
        self.core.emit_with_ack(conn, now, nsp, name, args, timeout)
    }

    /// Answers an event that asked for an ack (binary arguments make it a BINARY_ACK).
    pub fn ack(&mut self, handle: AckHandle, args: &[Value<'_>]) -> Result<(), SocketIoError> {
        if self.core.closed {
            return Err(SocketIoError::Closed);
        }
        let ns = self
            .nss
            .iter()
            .find(|n| n.conn == handle.conn)
            .ok_or(SocketIoError::NotConnected)?;
        let name = ns.name.clone();
        self.core.ack(&name, handle.id, args)
    }

    /// Sends a pre-encoded packet; the client must be connected to its namespace.
    pub fn send(&mut self, packet: &EncodedPacket) -> Result<(), SocketIoError> {
        self.connected(packet.nsp())?;
        if packet.parser() != self.core.parser {
            return Err(SocketIoError::ParserMismatch);
        }
        self.core.tx.extend(packet.messages());
        Ok(())
    }

    /// Disconnects the client from `nsp` (sends DISCONNECT; reports
    /// [`DisconnectReason::ServerNamespaceDisconnect`]). The session stays open.
    pub fn disconnect(&mut self, nsp: &str) -> Result<(), SocketIoError> {
        let conn = self.connected(nsp)?;
        let mut out = String::new();
        packet::encode_disconnect(&mut out, nsp)?;
        self.core.push_text(out);
        self.core.drop_acks(conn);
        if let Some(i) = self.nss.iter().position(|n| n.conn == conn) {
            let ns = self.nss.remove(i);
            self.events.push_back(ServerEvent::Disconnect {
                nsp: ns.name,
                reason: DisconnectReason::ServerNamespaceDisconnect,
                error: None,
            });
        }
        Ok(())
    }

    /// Disconnects every namespace (sending DISCONNECT for each) and asks for the session to be
    /// closed ([`CloseReason::Closed`]).
    pub fn close(&mut self) {
        if self.core.closed {
            return;
        }
        for ns in &self.nss {
            let mut out = String::new();
            if packet::encode_disconnect(&mut out, &ns.name).is_ok() {
                self.core.push_text(out);
            }
        }
        self.shut(
            DisconnectReason::ServerShuttingDown,
            Some(CloseReason::Closed),
        );
    }

    /// The Engine.IO session ended (`reason`: usually [`DisconnectReason::TransportClose`],
    /// [`DisconnectReason::TransportError`] or [`DisconnectReason::PingTimeout`]; `error`: the
    /// session's error, the `error` of its close event). Reports a `Disconnect` per namespace,
    /// carrying both, and no `Close` (the session is already gone).
    pub fn handle_transport_close(
        &mut self,
        now: Duration,
        reason: DisconnectReason,
        error: Option<crate::Error>,
    ) {
        let _ = now;
        if self.core.closed {
            return;
        }
        self.core.tx.clear();
        self.shut_with(reason, None, error);
    }

    /// Ends every namespace; a parse error is the `error` of their `Disconnect`.
    fn shut(&mut self, reason: DisconnectReason, close: Option<CloseReason>) {
        let error = match &close {
            Some(CloseReason::ParseError(e)) => Some(crate::Error::from(e.clone())),
            _ => None,
        };
        self.shut_with(reason, close, error);
    }

    fn shut_with(
        &mut self,
        reason: DisconnectReason,
        close: Option<CloseReason>,
        error: Option<crate::Error>,
    ) {
        self.core.closed = true;
        self.core.acks.clear();
        self.core.decoder.reset();
        self.pending.clear();
        self.connect_deadline = None;
        for ns in self.nss.drain(..) {
            self.events.push_back(ServerEvent::Disconnect {
                nsp: ns.name,
                reason,
                error: error.clone(),
            });
        }
        if let Some(reason) = close {
            self.events.push_back(ServerEvent::Close { reason });
        }
    }

    /// Fires what is due at `now`: the connect timeout and ack timeouts.
    pub fn handle_timeout(&mut self, now: Duration) {
        if self.core.closed {
            return;
        }
        if let Some(d) = self.connect_deadline {
            if d <= now {
                self.connect_deadline = None;
                if self.nss.is_empty() {
                    self.shut(
                        DisconnectReason::TransportClose,
                        Some(CloseReason::ConnectTimeout),
                    );
                    return;
                }
            }
        }
        for (conn, id) in self.core.expire_acks(now) {
            if let Some(ns) = self.nss.iter().find(|n| n.conn == conn) {
                self.events.push_back(ServerEvent::AckTimeout {
                    nsp: ns.name.clone(),
                    id,
                });
            }
        }
    }

    /// The next Engine.IO message to send.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Message> {
        self.core.tx.pop_front()
    }

    /// The next event for the application.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Duration> {
        if self.core.closed {
            return None;
        }
        match (self.connect_deadline, self.core.next_ack_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}
