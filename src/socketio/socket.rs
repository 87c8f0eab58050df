//! The Socket.IO socket machines: [`ServerSocket`] and [`ClientSocket`], one per Engine.IO
//! session, multiplexing namespaces.
//!
//! # Driving a machine
//!
//! * Feed every Engine.IO message of the session: `handle_text` / `handle_binary` (or their
//!   `_owned` forms, which avoid a copy). Tell the machine when the Engine.IO session ended with
//!   `handle_transport_close`, and call `handle_timeout(now)` when `poll_timeout` says so.
//! * Commands: `emit`, `emit_with_ack`, `ack`, `disconnect`, `close`, and on the server `accept` /
//!   `refuse` (answers to [`ServerEvent::Connect`]) and `send` (a pre-encoded
//!   [`EncodedPacket`], e.g. a broadcast encoded once); on the client `connect`.
//! * After each of them drain `poll_transmit` (Engine.IO messages to send, in order: the messages
//!   of one binary packet are always consecutive), then `poll_event`, then read `poll_timeout`.
//!
//! A `Close` event asks the caller to close the Engine.IO session (after sending what
//! `poll_transmit` still holds). Malformed input closes the machine: the `handle_*` call returns
//! the error, every namespace gets a `Disconnect` event with [`DisconnectReason::ParseError`], and
//! a `Close` event follows.
//!
//! # Acks
//!
//! Ack ids are allocated from one counter per machine (so an id alone names an emit). An
//! awaited ack either arrives ([`ServerEvent::Ack`]) or times out at the caller's deadline
//! ([`ServerEvent::AckTimeout`]); acks still awaited when their namespace disconnects are
//! dropped silently. On the server, an ACK whose id is not awaited (late, duplicate, or the
//! answer to a pre-encoded broadcast sent with [`EncodedPacket::event_with_id`]) is reported as
//! [`ServerEvent::UnclaimedAck`]. A received event that asks for an ack carries an
//! [`AckHandle`], which is consumed by `ack` (so it cannot be answered twice).
//!
//! # For a hub (rooms, broadcast)
//!
//! Encode once with [`EncodedPacket::event`] (or [`EncodedPacket::event_with_id`] for a
//! broadcast with acks), then [`ServerSocket::send`] it to each recipient: every socket queues
//! the same `Arc`ed text and attachments ([`Message::SharedText`] / [`Message::SharedBinary`]),
//! no copy. [`ServerSocket::namespaces`], [`ServerSocket::sid`] and the `Connect` / `Disconnect`
//! events give the membership to track.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::time::Duration;

use super::packet::{self, PacketType, Value};
use super::{DecodeConfig, Decoder, OwnedPacket, SocketIoError, json};

/// One Engine.IO message to send (text, or one binary attachment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message owned by this transmit.
    Text(String),
    /// A binary attachment owned by this transmit.
    Binary(Vec<u8>),
    /// A text message shared with other sockets (a pre-encoded broadcast).
    SharedText(Arc<str>),
    /// A binary attachment shared with other sockets.
    SharedBinary(Arc<[u8]>),
}

impl Message {
    /// The text, for a text message.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Message::Text(s) => Some(s),
            Message::SharedText(s) => Some(s),
            _ => None,
        }
    }

    /// The bytes, for a binary message.
    pub fn as_binary(&self) -> Option<&[u8]> {
        match self {
            Message::Binary(b) => Some(b),
            Message::SharedBinary(b) => Some(b),
            _ => None,
        }
    }

    /// `true` for a binary message.
    pub fn is_binary(&self) -> bool {
        matches!(self, Message::Binary(_) | Message::SharedBinary(_))
    }
}

/// A packet encoded once, to be sent to any number of sockets without re-encoding
/// ([`ServerSocket::send`], [`ClientSocket::send`]). Cloning is two reference-count increments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedPacket {
    text: Arc<str>,
    attachments: Arc<[Arc<[u8]>]>,
    nsp_len: usize,
}

impl EncodedPacket {
    /// Encodes an event.
    pub fn event(nsp: &str, name: &str, args: &[Value<'_>]) -> Result<Self, SocketIoError> {
        Self::event_with_id(nsp, None, name, args)
    }

    /// Encodes an event carrying an ack id chosen by the caller (a broadcast with acks: the same
    /// id goes to every recipient). Pick ids that cannot collide with the socket's own
    /// (`emit_with_ack` counts from 0): the answers arrive as [`ServerEvent::UnclaimedAck`].
    pub fn event_with_id(
        nsp: &str,
        id: Option<u64>,
        name: &str,
        args: &[Value<'_>],
    ) -> Result<Self, SocketIoError> {
        let mut text = String::new();
        let mut atts = Vec::new();
        packet::encode_event(&mut text, &mut atts, nsp, id, name, args)?;
        Ok(EncodedPacket {
            text: Arc::from(text),
            attachments: atts.into_iter().map(Arc::from).collect(),
            nsp_len: nsp.len(),
        })
    }

    /// The namespace the packet was encoded for.
    pub fn nsp(&self) -> &str {
        if self.nsp_len == 1 {
            return "/";
        }
        let start = match self.text.find('-') {
            Some(dash) if !self.attachments.is_empty() => dash + 1,
            _ => 1,
        };
        &self.text[start..start + self.nsp_len]
    }

    /// The packet text (one Engine.IO text message).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The attachments (one Engine.IO binary message each, right after the text).
    pub fn attachments(&self) -> &[Arc<[u8]>] {
        &self.attachments
    }

    /// The Engine.IO messages, in order.
    pub fn messages(&self) -> impl Iterator<Item = Message> + '_ {
        core::iter::once(Message::SharedText(self.text.clone())).chain(
            self.attachments
                .iter()
                .map(|a| Message::SharedBinary(a.clone())),
        )
    }
}

/// Permission to answer one received event (consumed by `ack`).
#[derive(Debug, PartialEq, Eq)]
pub struct AckHandle {
    conn: u64,
    id: u64,
}

impl AckHandle {
    /// The ack id the peer chose.
    pub fn id(&self) -> u64 {
        self.id
    }
}

/// Why a namespace connection ended (the strings are those of the reference implementation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The client sent DISCONNECT for the namespace (server side).
    ClientNamespaceDisconnect,
    /// The server called `disconnect` for the namespace (server side).
    ServerNamespaceDisconnect,
    /// The server sent DISCONNECT for the namespace (client side).
    IoServerDisconnect,
    /// The client called `disconnect` or `close` (client side).
    IoClientDisconnect,
    /// The server closed the whole session (server side).
    ServerShuttingDown,
    /// The Engine.IO session closed.
    TransportClose,
    /// The Engine.IO session failed.
    TransportError,
    /// The Engine.IO heartbeat timed out.
    PingTimeout,
    /// The peer sent a malformed packet.
    ParseError,
    /// The server closed the Engine.IO session itself (the reference's "forced server close").
    ForcedServerClose,
}

/// The Socket.IO reason for the end of its Engine.IO session, as the reference server reports
/// it to every socket of the session (one mapping for every host; a session the server closed
/// itself is "forced server close", as in the reference's `Client::close`).
impl From<crate::engineio::server::CloseReason> for DisconnectReason {
    fn from(r: crate::engineio::server::CloseReason) -> Self {
        use crate::engineio::server::CloseReason as E;
        match r {
            E::ClosePacket | E::TransportClose => DisconnectReason::TransportClose,
            E::PingTimeout => DisconnectReason::PingTimeout,
            E::ParseError | E::TransportError(_) => DisconnectReason::TransportError,
            E::ForcedClose => DisconnectReason::ForcedServerClose,
        }
    }
}

impl DisconnectReason {
    /// The reference implementation's reason string.
    pub fn as_str(&self) -> &'static str {
        match self {
            DisconnectReason::ClientNamespaceDisconnect => "client namespace disconnect",
            DisconnectReason::ServerNamespaceDisconnect => "server namespace disconnect",
            DisconnectReason::IoServerDisconnect => "io server disconnect",
            DisconnectReason::IoClientDisconnect => "io client disconnect",
            DisconnectReason::ServerShuttingDown => "server shutting down",
            DisconnectReason::TransportClose => "transport close",
            DisconnectReason::TransportError => "transport error",
            DisconnectReason::PingTimeout => "ping timeout",
            DisconnectReason::ParseError => "parse error",
            DisconnectReason::ForcedServerClose => "forced server close",
        }
    }
}

/// Why a machine asks for its Engine.IO session to be closed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The peer sent a malformed packet.
    ParseError(SocketIoError),
    /// No namespace was connected within the connect timeout (server).
    ConnectTimeout,
    /// The client left its last namespace (server, with `close_when_empty`).
    AllNamespacesLeft,
    /// The caller called `close`.
    Closed,
}

/// Error value of an ack that did not come in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckTimeoutError;

impl core::fmt::Display for AckTimeoutError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("operation has timed out")
    }
}

impl core::error::Error for AckTimeoutError {}

/// A received packet (event or ack) that owns its text and attachments.
pub type ReceivedPacket = OwnedPacket;

// ---------------------------------------------------------------------------------------------
// Shared core

#[derive(Debug, Clone)]
struct PendingAck {
    id: u64,
    conn: u64,
    deadline: Option<Duration>,
}

/// The four Engine.IO input methods, identical for both socket machines: each hands the message
/// to the shared decoder in `core` and then to the machine's own `after_decode`.
macro_rules! engineio_inputs {
    () => {
        /// Handles one Engine.IO text message.
        pub fn handle_text(&mut self, now: Duration, text: &str) -> Result<(), SocketIoError> {
            let r = self.core.text(text);
            self.after_decode(now, r)
        }

        /// Handles one Engine.IO text message, taking it without a copy.
        pub fn handle_text_owned(
            &mut self,
            now: Duration,
            text: String,
        ) -> Result<(), SocketIoError> {
            let r = self.core.text_owned(text);
            self.after_decode(now, r)
        }

        /// Handles one Engine.IO binary message (a binary packet's attachment).
        pub fn handle_binary(&mut self, now: Duration, data: &[u8]) -> Result<(), SocketIoError> {
            let r = self.core.binary(data);
            self.after_decode(now, r)
        }

        /// Handles one Engine.IO binary message, taking it without a copy.
        pub fn handle_binary_owned(
            &mut self,
            now: Duration,
            data: Vec<u8>,
        ) -> Result<(), SocketIoError> {
            let r = self.core.binary_owned(data);
            self.after_decode(now, r)
        }
    };
}

#[derive(Debug, Clone)]
struct Core {
    decoder: Decoder,
    tx: VecDeque<Message>,
    acks: Vec<PendingAck>,
    next_ack: u64,
    next_conn: u64,
    max_pending_acks: usize,
    closed: bool,
}

impl Core {
    fn new(decode: DecodeConfig, max_pending_acks: usize) -> Self {
        Core {
            decoder: Decoder::new(decode),
            tx: VecDeque::new(),
            acks: Vec::new(),
            next_ack: 0,
            next_conn: 0,
            max_pending_acks,
            closed: false,
        }
    }

    fn conn_id(&mut self) -> u64 {
        self.next_conn += 1;
        self.next_conn
    }

    fn push_encoded(&mut self, text: String, atts: Vec<&[u8]>) {
        self.tx.push_back(Message::Text(text));
        for a in atts {
            self.tx.push_back(Message::Binary(Vec::from(a)));
        }
    }

    fn emit(
        &mut self,
        nsp: &str,
        id: Option<u64>,
        name: &str,
        args: &[Value<'_>],
    ) -> Result<(), SocketIoError> {
        let mut text = String::new();
        let mut atts = Vec::new();
        packet::encode_event(&mut text, &mut atts, nsp, id, name, args)?;
        self.push_encoded(text, atts);
        Ok(())
    }

    fn ack(&mut self, nsp: &str, id: u64, args: &[Value<'_>]) -> Result<(), SocketIoError> {
        let mut text = String::new();
        let mut atts = Vec::new();
        packet::encode_ack(&mut text, &mut atts, nsp, id, args)?;
        self.push_encoded(text, atts);
        Ok(())
    }

    fn register_ack(
        &mut self,
        conn: u64,
        deadline: Option<Duration>,
    ) -> Result<u64, SocketIoError> {
        if self.acks.len() >= self.max_pending_acks {
            return Err(SocketIoError::TooManyPendingAcks);
        }
        let id = self.next_ack;
        self.next_ack += 1;
        self.acks.push(PendingAck { id, conn, deadline });
        Ok(id)
    }

    /// Removes the awaited ack `id` of `conn`; `true` if it was awaited.
    /// Emits with a fresh ack id registered for `conn` (dropped again if the emit fails).
    fn emit_with_ack(
        &mut self,
        conn: u64,
        now: Duration,
        nsp: &str,
        name: &str,
        args: &[Value<'_>],
        timeout: Option<Duration>,
    ) -> Result<u64, SocketIoError> {
        let id = self.register_ack(conn, timeout.map(|t| now.saturating_add(t)))?;
        if let Err(e) = self.emit(nsp, Some(id), name, args) {
            self.take_ack(conn, id);
            return Err(e);
        }
        Ok(id)
    }

    fn take_ack(&mut self, conn: u64, id: u64) -> bool {
        match self.acks.iter().position(|a| a.id == id && a.conn == conn) {
            Some(i) => {
                self.acks.swap_remove(i);
                true
            }
            None => false,
        }
    }

    fn drop_acks(&mut self, conn: u64) {
        self.acks.retain(|a| a.conn != conn);
    }

    fn next_ack_deadline(&self) -> Option<Duration> {
        self.acks.iter().filter_map(|a| a.deadline).min()
    }

    /// Removes expired acks, returning `(conn, id)` pairs in id order.
    fn expire_acks(&mut self, now: Duration) -> Vec<(u64, u64)> {
        let mut out: Vec<(u64, u64)> = Vec::new();
        self.acks.retain(|a| match a.deadline {
            Some(d) if d <= now => {
                out.push((a.conn, a.id));
                false
            }
            _ => true,
        });
        out.sort_unstable_by_key(|x| x.1);
        out
    }

    /// Feeds a text message; returns a complete packet.
    fn text(&mut self, text: &str) -> Result<Option<OwnedPacket>, SocketIoError> {
        if self.closed {
            return Err(SocketIoError::Closed);
        }
        // Check before copying: the decoder would refuse it anyway.
        if self.decoder.is_pending() {
            self.decoder.reset();
            return Err(SocketIoError::UnexpectedText);
        }
        match self.decoder.feed_text(text)? {
            None => Ok(None),
            Some(p) => Ok(Some(OwnedPacket {
                text: String::from(text),
                meta: p.meta,
                attachments: Vec::new(),
            })),
        }
    }

    fn text_owned(&mut self, text: String) -> Result<Option<OwnedPacket>, SocketIoError> {
        if self.closed {
            return Err(SocketIoError::Closed);
        }
        self.decoder.feed_text_owned(text)
    }

    fn binary(&mut self, data: &[u8]) -> Result<Option<OwnedPacket>, SocketIoError> {
        if self.closed {
            return Err(SocketIoError::Closed);
        }
        self.decoder.feed_binary(data)
    }

    fn binary_owned(&mut self, data: Vec<u8>) -> Result<Option<OwnedPacket>, SocketIoError> {
        if self.closed {
            return Err(SocketIoError::Closed);
        }
        self.decoder.feed_binary_owned(data)
    }
}

fn check_nsp(nsp: &str) -> Result<(), SocketIoError> {
    if !nsp.starts_with('/') || nsp.contains(',') {
        return Err(SocketIoError::InvalidNamespace);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Server

/// Settings of a [`ServerSocket`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
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
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            decode: DecodeConfig::new(),
            connect_timeout: Duration::from_secs(45),
            namespaces: None,
            max_namespaces: 64,
            max_pending_acks: 1024,
            close_when_empty: false,
        }
    }
}

impl ServerConfig {
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
}

/// The server side of one Engine.IO session (see the module docs for the run loop).
#[derive(Debug)]
pub struct ServerSocket {
    cfg: ServerConfig,
    core: Core,
    nss: Vec<ServerNs>,
    pending: Vec<String>,
    events: VecDeque<ServerEvent>,
    connect_deadline: Option<Duration>,
}

impl ServerSocket {
    /// A socket for an Engine.IO session that opened at `now`.
    pub fn new(cfg: ServerConfig, now: Duration) -> Self {
        let core = Core::new(cfg.decode, cfg.max_pending_acks);
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
                if self.ns(nsp).is_some() || self.pending.iter().any(|n| n == nsp) {
                    return; // duplicate request: ignored
                }
                let allowed = match &self.cfg.namespaces {
                    Some(list) => list.iter().any(|n| n == nsp),
                    None => true,
                };
                if !allowed {
                    let mut out = String::new();
                    let _ = packet::encode_connect_error(&mut out, nsp, "Invalid namespace", None);
                    self.core.tx.push_back(Message::Text(out));
                    return;
                }
                if self.nss.len() + self.pending.len() >= self.cfg.max_namespaces {
                    let mut out = String::new();
                    let _ =
                        packet::encode_connect_error(&mut out, nsp, "Too many namespaces", None);
                    self.core.tx.push_back(Message::Text(out));
                    return;
                }
                self.pending.push(String::from(nsp));
                self.events.push_back(ServerEvent::Connect {
                    nsp: String::from(nsp),
                    auth: view.data().map(String::from),
                });
            }
            PacketType::Disconnect => {
                if let Some(i) = self.pending.iter().position(|n| n == nsp) {
                    self.pending.remove(i);
                }
                if let Some(i) = self.nss.iter().position(|n| n.name == nsp) {
                    let ns = self.nss.remove(i);
                    self.core.drop_acks(ns.conn);
                    self.events.push_back(ServerEvent::Disconnect {
                        nsp: ns.name,
                        reason: DisconnectReason::ClientNamespaceDisconnect,
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
    pub fn accept(&mut self, nsp: &str, entropy: [u8; 15]) -> Result<&str, SocketIoError> {
        let buf = crate::b64::url_safe_id(&entropy);
        let sid = core::str::from_utf8(&buf).unwrap_or("");
        self.accept_with_sid(nsp, sid)
    }

    /// Like [`accept`](Self::accept) with a sid of the caller's choosing (it is written as a
    /// JSON string).
    pub fn accept_with_sid(&mut self, nsp: &str, sid: &str) -> Result<&str, SocketIoError> {
        if self.core.closed {
            return Err(SocketIoError::Closed);
        }
        let i = self
            .pending
            .iter()
            .position(|n| n == nsp)
            .ok_or(SocketIoError::NoPendingConnect)?;
        let name = self.pending.remove(i);
        let mut out = String::new();
        let mut auth = String::from("{\"sid\":");
        json::write_str(&mut auth, sid);
        auth.push('}');
        packet::encode_connect(&mut out, &name, Some(&auth))?;
        self.core.tx.push_back(Message::Text(out));
        let conn = self.core.conn_id();
        self.connect_deadline = None;
        self.nss.push(ServerNs {
            name,
            sid: String::from(sid),
            conn,
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
            .position(|n| n == nsp)
            .ok_or(SocketIoError::NoPendingConnect)?;
        let mut out = String::new();
        packet::encode_connect_error(&mut out, nsp, message, data)?;
        self.pending.remove(i);
        self.core.tx.push_back(Message::Text(out));
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
        self.core.tx.extend(packet.messages());
        Ok(())
    }

    /// Disconnects the client from `nsp` (sends DISCONNECT; reports
    /// [`DisconnectReason::ServerNamespaceDisconnect`]). The session stays open.
    pub fn disconnect(&mut self, nsp: &str) -> Result<(), SocketIoError> {
        let conn = self.connected(nsp)?;
        let mut out = String::new();
        packet::encode_disconnect(&mut out, nsp)?;
        self.core.tx.push_back(Message::Text(out));
        self.core.drop_acks(conn);
        if let Some(i) = self.nss.iter().position(|n| n.conn == conn) {
            let ns = self.nss.remove(i);
            self.events.push_back(ServerEvent::Disconnect {
                nsp: ns.name,
                reason: DisconnectReason::ServerNamespaceDisconnect,
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
                self.core.tx.push_back(Message::Text(out));
            }
        }
        self.shut(
            DisconnectReason::ServerShuttingDown,
            Some(CloseReason::Closed),
        );
    }

    /// The Engine.IO session ended (`reason`: usually [`DisconnectReason::TransportClose`],
    /// [`DisconnectReason::TransportError`] or [`DisconnectReason::PingTimeout`]). Reports a
    /// `Disconnect` per namespace and no `Close` (the session is already gone).
    pub fn handle_transport_close(&mut self, reason: DisconnectReason) {
        if self.core.closed {
            return;
        }
        self.core.tx.clear();
        self.shut(reason, None);
    }

    fn shut(&mut self, reason: DisconnectReason, close: Option<CloseReason>) {
        self.core.closed = true;
        self.core.acks.clear();
        self.core.decoder.reset();
        self.pending.clear();
        self.connect_deadline = None;
        for ns in self.nss.drain(..) {
            self.events.push_back(ServerEvent::Disconnect {
                nsp: ns.name,
                reason,
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

// ---------------------------------------------------------------------------------------------
// Client

/// Settings of a [`ClientSocket`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Decoding limits.
    pub decode: DecodeConfig,
    /// Most namespaces at once (default 64).
    pub max_namespaces: usize,
    /// Most acks awaited at once (default 1024).
    pub max_pending_acks: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            decode: DecodeConfig::new(),
            max_namespaces: 64,
            max_pending_acks: 1024,
        }
    }
}

impl ClientConfig {
    /// Sets [`decode`](Self::decode).
    pub fn with_decode(mut self, decode: DecodeConfig) -> Self {
        self.decode = decode;
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
}

/// What a [`ClientSocket`] reports.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The server accepted the namespace (the reference's `connect` event).
    Connect {
        /// The namespace.
        nsp: String,
        /// The Socket.IO id the server gave.
        sid: String,
    },
    /// The server refused the namespace (the reference's `connect_error`); it is forgotten.
    ConnectError {
        /// The namespace.
        nsp: String,
        /// The raw JSON payload (usually `{"message":...}`), if any.
        data: Option<String>,
    },
    /// An event from the server.
    Event {
        /// The packet.
        packet: OwnedPacket,
        /// Present when the server asked for an ack.
        ack: Option<AckHandle>,
    },
    /// The ack of one of our `emit_with_ack` (its id is `packet.packet().id()`).
    Ack {
        /// The ACK packet.
        packet: OwnedPacket,
    },
    /// An awaited ack did not come in time.
    AckTimeout {
        /// The namespace.
        nsp: String,
        /// The id `emit_with_ack` returned.
        id: u64,
    },
    /// A namespace connection ended. After [`DisconnectReason::TransportClose`] (and the other
    /// transport reasons) the namespace is remembered and reconnected by
    /// [`ClientSocket::handle_transport_open`]; after the others it is forgotten.
    Disconnect {
        /// The namespace.
        nsp: String,
        /// Why.
        reason: DisconnectReason,
    },
    /// Close the Engine.IO session (after sending what `poll_transmit` holds).
    Close {
        /// Why.
        reason: CloseReason,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ClientState {
    Connecting,
    Connected {
        sid: String,
    },
    /// Lost with the transport; reconnected on the next `handle_transport_open`.
    Interrupted,
}

#[derive(Debug, Clone)]
struct ClientNs {
    name: String,
    auth: Option<String>,
    state: ClientState,
    conn: u64,
}

/// The client side of one Engine.IO session — and of the next ones: namespaces survive a
/// transport loss and are reconnected with the same auth by
/// [`handle_transport_open`](Self::handle_transport_open).
#[derive(Debug)]
pub struct ClientSocket {
    cfg: ClientConfig,
    core: Core,
    nss: Vec<ClientNs>,
    events: VecDeque<ClientEvent>,
    transport_open: bool,
}

impl ClientSocket {
    /// A client whose Engine.IO session is open.
    pub fn new(cfg: ClientConfig) -> Self {
        let core = Core::new(cfg.decode, cfg.max_pending_acks);
        ClientSocket {
            cfg,
            core,
            nss: Vec::new(),
            events: VecDeque::new(),
            transport_open: true,
        }
    }

    /// `true` once [`close`](Self::close) was called or the peer misbehaved.
    pub fn is_closed(&self) -> bool {
        self.core.closed
    }

    /// `true` if connected to `nsp`.
    pub fn is_connected(&self, nsp: &str) -> bool {
        self.sid(nsp).is_some()
    }

    /// The sid the server gave on `nsp`.
    pub fn sid(&self, nsp: &str) -> Option<&str> {
        self.nss
            .iter()
            .find(|n| n.name == nsp)
            .and_then(|n| match &n.state {
                ClientState::Connected { sid } => Some(sid.as_str()),
                _ => None,
            })
    }

    /// Asks to join `nsp`, with an optional raw JSON auth object (kept for reconnections).
    /// Sent now if the transport is open, else on the next
    /// [`handle_transport_open`](Self::handle_transport_open).
    pub fn connect(&mut self, nsp: &str, auth: Option<&str>) -> Result<(), SocketIoError> {
        if self.core.closed {
            return Err(SocketIoError::Closed);
        }
        check_nsp(nsp)?;
        if self.nss.iter().any(|n| n.name == nsp) {
            return Ok(());
        }
        if self.nss.len() >= self.cfg.max_namespaces {
            return Err(SocketIoError::TooManyNamespaces);
        }
        let mut out = String::new();
        packet::encode_connect(&mut out, nsp, auth)?;
        let state = if self.transport_open {
            self.core.tx.push_back(Message::Text(out));
            ClientState::Connecting
        } else {
            ClientState::Interrupted
        };
        self.nss.push(ClientNs {
            name: String::from(nsp),
            auth: auth.map(String::from),
            state,
            conn: 0,
        });
        Ok(())
    }

    /// A new Engine.IO session is open: re-sends CONNECT for every namespace that was lost with
    /// the previous one (or requested while none was open).
    pub fn handle_transport_open(&mut self) {
        if self.core.closed {
            return;
        }
        self.transport_open = true;
        self.core.decoder.reset();
        for ns in &mut self.nss {
            if ns.state == ClientState::Interrupted {
                let mut out = String::new();
                if packet::encode_connect(&mut out, &ns.name, ns.auth.as_deref()).is_ok() {
                    self.core.tx.push_back(Message::Text(out));
                }
                ns.state = ClientState::Connecting;
            }
        }
    }

    /// The Engine.IO session ended: connected namespaces report `Disconnect { reason }` and,
    /// like those still connecting, wait for [`handle_transport_open`](Self::handle_transport_open).
    /// Awaited acks are dropped.
    pub fn handle_transport_close(&mut self, reason: DisconnectReason) {
        if self.core.closed {
            return;
        }
        self.transport_open = false;
        self.core.tx.clear();
        self.core.acks.clear();
        self.core.decoder.reset();
        for ns in &mut self.nss {
            if matches!(ns.state, ClientState::Connected { .. }) {
                self.events.push_back(ClientEvent::Disconnect {
                    nsp: ns.name.clone(),
                    reason,
                });
            }
            ns.state = ClientState::Interrupted;
        }
    }

    engineio_inputs!();

    fn after_decode(
        &mut self,
        _now: Duration,
        r: Result<Option<OwnedPacket>, SocketIoError>,
    ) -> Result<(), SocketIoError> {
        let r = match r {
            Ok(None) => Ok(()),
            Ok(Some(p)) => self.on_packet(p),
            Err(e) => Err(e),
        };
        match r {
            Err(SocketIoError::Closed) => Err(SocketIoError::Closed),
            Err(e) => {
                self.fail(e.clone());
                Err(e)
            }
            Ok(()) => Ok(()),
        }
    }

    fn fail(&mut self, e: SocketIoError) {
        self.core.closed = true;
        self.core.acks.clear();
        self.core.decoder.reset();
        for ns in self.nss.drain(..) {
            if matches!(ns.state, ClientState::Connected { .. }) {
                self.events.push_back(ClientEvent::Disconnect {
                    nsp: ns.name,
                    reason: DisconnectReason::ParseError,
                });
            }
        }
        self.events.push_back(ClientEvent::Close {
            reason: CloseReason::ParseError(e),
        });
    }

    fn on_packet(&mut self, p: OwnedPacket) -> Result<(), SocketIoError> {
        let view = p.packet();
        let nsp = view.nsp();
        let Some(i) = self.nss.iter().position(|n| n.name == nsp) else {
            return Ok(()); // not ours (e.g. after we left): ignored
        };
        let connected = matches!(self.nss[i].state, ClientState::Connected { .. });
        match view.kind() {
            PacketType::Connect => {
                if self.nss[i].state != ClientState::Connecting {
                    return Ok(());
                }
                let sid = view
                    .data()
                    .and_then(sid_of)
                    .ok_or(SocketIoError::InvalidPayload {
                        at: view.data().map_or(0, |d| view.as_str().len() - d.len()),
                        what: "the CONNECT reply must be an object with a string \"sid\"",
                    })?;
                let conn = self.core.conn_id();
                let ns = &mut self.nss[i];
                ns.state = ClientState::Connected { sid: sid.clone() };
                ns.conn = conn;
                self.events.push_back(ClientEvent::Connect {
                    nsp: ns.name.clone(),
                    sid,
                });
            }
            PacketType::ConnectError => {
                if self.nss[i].state != ClientState::Connecting {
                    return Ok(());
                }
                let ns = self.nss.remove(i);
                self.events.push_back(ClientEvent::ConnectError {
                    nsp: ns.name,
                    data: view.data().map(String::from),
                });
            }
            PacketType::Disconnect => {
                let ns = self.nss.remove(i);
                if connected {
                    self.core.drop_acks(ns.conn);
                    self.events.push_back(ClientEvent::Disconnect {
                        nsp: ns.name,
                        reason: DisconnectReason::IoServerDisconnect,
                    });
                }
            }
            PacketType::Event | PacketType::BinaryEvent => {
                if connected {
                    let conn = self.nss[i].conn;
                    let ack = view.id().map(|id| AckHandle { conn, id });
                    self.events.push_back(ClientEvent::Event { packet: p, ack });
                }
            }
            PacketType::Ack | PacketType::BinaryAck => {
                if let (true, Some(id)) = (connected, view.id()) {
                    if self.core.take_ack(self.nss[i].conn, id) {
                        self.events.push_back(ClientEvent::Ack { packet: p });
                    }
                }
            }
        }
        Ok(())
    }

    fn connected(&self, nsp: &str) -> Result<u64, SocketIoError> {
        if self.core.closed {
            return Err(SocketIoError::Closed);
        }
        check_nsp(nsp)?;
        self.nss
            .iter()
            .find(|n| n.name == nsp && matches!(n.state, ClientState::Connected { .. }))
            .map(|n| n.conn)
            .ok_or(SocketIoError::NotConnected)
    }

    /// Emits an event on a connected namespace.
    pub fn emit(&mut self, nsp: &str, name: &str, args: &[Value<'_>]) -> Result<(), SocketIoError> {
        self.connected(nsp)?;
        self.core.emit(nsp, None, name, args)
    }

    /// Emits an event asking for an ack; returns its id (see [`ServerSocket::emit_with_ack`]).
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

    /// Answers an event that asked for an ack.
    pub fn ack(&mut self, handle: AckHandle, args: &[Value<'_>]) -> Result<(), SocketIoError> {
        if self.core.closed {
            return Err(SocketIoError::Closed);
        }
        let ns = self
            .nss
            .iter()
            .find(|n| n.conn == handle.conn && matches!(n.state, ClientState::Connected { .. }))
            .ok_or(SocketIoError::NotConnected)?;
        let name = ns.name.clone();
        self.core.ack(&name, handle.id, args)
    }

    /// Sends a pre-encoded packet on a connected namespace.
    pub fn send(&mut self, packet: &EncodedPacket) -> Result<(), SocketIoError> {
        self.connected(packet.nsp())?;
        self.core.tx.extend(packet.messages());
        Ok(())
    }

    /// Leaves `nsp` (sends DISCONNECT if connected; forgets it either way).
    pub fn disconnect(&mut self, nsp: &str) -> Result<(), SocketIoError> {
        if self.core.closed {
            return Err(SocketIoError::Closed);
        }
        let i = self
            .nss
            .iter()
            .position(|n| n.name == nsp)
            .ok_or(SocketIoError::NotConnected)?;
        let ns = self.nss.remove(i);
        if matches!(ns.state, ClientState::Connected { .. }) {
            let mut out = String::new();
            packet::encode_disconnect(&mut out, nsp)?;
            self.core.tx.push_back(Message::Text(out));
            self.core.drop_acks(ns.conn);
            self.events.push_back(ClientEvent::Disconnect {
                nsp: ns.name,
                reason: DisconnectReason::IoClientDisconnect,
            });
        }
        Ok(())
    }

    /// Leaves every namespace and asks for the session to be closed.
    pub fn close(&mut self) {
        if self.core.closed {
            return;
        }
        let names: Vec<String> = self.nss.iter().map(|n| n.name.clone()).collect();
        for n in names {
            let _ = self.disconnect(&n);
        }
        self.core.closed = true;
        self.core.acks.clear();
        self.events.push_back(ClientEvent::Close {
            reason: CloseReason::Closed,
        });
    }

    /// Fires ack timeouts due at `now`.
    pub fn handle_timeout(&mut self, now: Duration) {
        if self.core.closed {
            return;
        }
        for (conn, id) in self.core.expire_acks(now) {
            if let Some(ns) = self.nss.iter().find(|n| n.conn == conn) {
                self.events.push_back(ClientEvent::AckTimeout {
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
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Duration> {
        if self.core.closed {
            return None;
        }
        self.core.next_ack_deadline()
    }
}

/// The `sid` string member of a raw JSON object, unescaped.
fn sid_of(data: &str) -> Option<String> {
    let b = data.as_bytes();
    if b.first() != Some(&b'{') {
        return None;
    }
    let mut j = json::skip_ws(b, 1);
    let mut scanner = json::Scanner::new(b, usize::MAX, None);
    while b.get(j) == Some(&b'"') {
        let key_end = json::string_end(b, j).ok()?;
        let key = &b[j + 1..key_end - 1];
        j = json::skip_ws(b, key_end);
        j = json::skip_ws(b, j + 1);
        let vs = j;
        j = scanner.value(j).ok()?;
        if json::raw_eq(key, "sid") {
            return match b[vs] {
                b'"' => Some(String::from(packet::unquote(&data[vs..j]))),
                _ => None,
            };
        }
        j = json::skip_ws(b, j);
        if b.get(j) == Some(&b',') {
            j = json::skip_ws(b, j + 1);
        }
    }
    None
}
