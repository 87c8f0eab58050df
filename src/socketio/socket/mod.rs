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
//! events give the membership to track. With the msgpack [`Parser`], encode with
//! [`EncodedPacket::event_for`]: a socket refuses a packet encoded for the other parser.
//!
//! # A client and a server machine, wired by hand
//!
//! Each side's `poll_transmit` is the other's `handle_text` (over Engine.IO in real life):
//!
//! ```
//! use core::time::Duration;
//! use sockwire::socketio::{
//!     ClientConfig, ClientEvent, ClientSocket, ServerConfig, ServerEvent, ServerSocket, Value,
//! };
//!
//! let now = Duration::ZERO;
//! let mut server = ServerSocket::new(ServerConfig::default(), now);
//! let mut client = ClientSocket::new(ClientConfig::default());
//! client.connect("/", Some(r#"{"token":"t"}"#))?;
//! let connect = client.poll_transmit().unwrap();
//! assert_eq!(connect.as_text(), Some(r#"0{"token":"t"}"#));
//!
//! server.handle_text(now, connect.as_text().unwrap())?;
//! let Some(ServerEvent::Connect { nsp, auth }) = server.poll_event() else { unreachable!() };
//! assert_eq!((nsp.as_str(), auth.as_deref()), ("/", Some(r#"{"token":"t"}"#)));
//! let sid = server.accept("/", [1; 15])?.to_string(); // the application said yes
//! client.handle_text(now, server.poll_transmit().unwrap().as_text().unwrap())?;
//! assert!(matches!(client.poll_event(), Some(ClientEvent::Connect { sid: s, .. }) if s == sid));
//!
//! // An event with an ack id, answered by the server.
//! let id = client.emit_with_ack(now, "/", "add", &[Value::Json("1"), Value::Json("2")], None)?;
//! server.handle_text(now, client.poll_transmit().unwrap().as_text().unwrap())?;
//! let Some(ServerEvent::Event { packet, ack: Some(ack) }) = server.poll_event() else {
//!     unreachable!()
//! };
//! assert_eq!(packet.packet().event_name().as_deref(), Some("add"));
//! server.ack(ack, &[Value::Json("3")])?;
//! let answer = server.poll_transmit().unwrap();
//! assert_eq!(answer.as_text(), Some("30[3]"));
//! client.handle_text(now, answer.as_text().unwrap())?;
//! let Some(ClientEvent::Ack { packet }) = client.poll_event() else { unreachable!() };
//! assert_eq!(packet.packet().id(), Some(id));
//! # Ok::<(), sockwire::socketio::SocketIoError>(())
//! ```
//!
//! # Connection state recovery
//!
//! With [`ServerConfig::recovery`] set, accept with [`ServerSocket::accept_with_ids`] (a random
//! private `pid`, sent in the CONNECT reply), and answer a CONNECT that carries a
//! [`RecoveryRequest`] ([`ServerSocket::recovery_request`]) with
//! [`ServerSocket::accept_recovered`] when the store restored its session
//! ([`Hub::recover_socket`](crate::hub::Hub::recover_socket), or a
//! [`RecoveryStore`](crate::socketio::recovery::RecoveryStore) of your own), followed by the
//! missed packets. The client machine needs no setting: it keeps the `pid` and the offset of
//! the last event (its last argument, a string), sends both on reconnection, buffers events
//! that come before the CONNECT reply, and reports [`ClientSocket::is_recovered`].

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::packet::{self, Value};
use super::{OwnedPacket, SocketIoError};

mod client;
pub(crate) mod mpbridge;
mod server;
mod shared;

/// How a socket machine writes and reads packets.
///
/// * [`Parser::Json`] (default): the reference `socket.io-parser`, a text message per packet
///   and one binary message per attachment.
/// * [`Parser::Msgpack`]: `socket.io-msgpack-parser` 3.0, each packet one binary Engine.IO
///   message holding a msgpack map of `type`, `nsp`, `data` and `id` (binary arguments inside
///   it as `bin`). Both ends must use it. The application sees the same [`OwnedPacket`]s
///   either way: see the bridge's mapping in the [`Parser::Msgpack`] rewriting rules below.
///
/// With msgpack, a received packet is rewritten as its text form before decoding: `bin` and
/// ext type 0 values become attachments, `undefined` becomes `null` (left out of maps), a
/// `Date` its ISO 8601 string, NaN and infinities `null`; other extension types are refused.
/// Numbers are written as `notepack` writes JavaScript numbers (integers below 2<sup>53</sup>
/// in the shortest integer form, others as float 64).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Parser {
    /// JSON text packets, binary attachments as separate messages.
    #[default]
    Json,
    /// msgpack packets, one binary message each.
    Msgpack,
}

pub(crate) fn text_to_msgpack(text: &str, atts: &[&[u8]]) -> Option<Vec<u8>> {
    mpbridge::text_to_msgpack(text, atts).ok()
}

pub use client::{ClientConfig, ClientEvent, ClientSocket};
pub use server::{RecoveryRequest, ServerConfig, ServerEvent, ServerSocket};

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
    /// Borrows the message as the Engine.IO message that carries it.
    #[must_use]
    pub fn view(&self) -> crate::engineio::MessageRef<'_> {
        use crate::engineio::MessageRef;
        match self {
            Message::Text(s) => MessageRef::Text(s),
            Message::SharedText(s) => MessageRef::Text(s),
            Message::Binary(b) => MessageRef::Binary(b),
            Message::SharedBinary(b) => MessageRef::Binary(b),
        }
    }

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
    /// The packet text; with msgpack, the namespace.
    text: Arc<str>,
    attachments: Arc<[Arc<[u8]>]>,
    nsp_len: usize,
    /// The msgpack message, when encoded for [`Parser::Msgpack`].
    msgpack: Option<Arc<[u8]>>,
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
        Self::event_for(Parser::Json, nsp, id, name, args)
    }

    /// Encodes an event for sockets using `parser` (a msgpack packet is one binary message).
    pub fn event_for(
        parser: Parser,
        nsp: &str,
        id: Option<u64>,
        name: &str,
        args: &[Value<'_>],
    ) -> Result<Self, SocketIoError> {
        let mut text = String::new();
        let mut atts = Vec::new();
        packet::encode_event(&mut text, &mut atts, nsp, id, name, args)?;
        if parser == Parser::Msgpack {
            let bytes = mpbridge::text_to_msgpack(&text, &atts)?;
            return Ok(EncodedPacket {
                text: Arc::from(nsp),
                attachments: Arc::from(Vec::new()),
                nsp_len: nsp.len(),
                msgpack: Some(Arc::from(bytes)),
            });
        }
        Ok(EncodedPacket {
            text: Arc::from(text),
            attachments: atts.into_iter().map(Arc::from).collect(),
            nsp_len: nsp.len(),
            msgpack: None,
        })
    }

    /// The parser the packet was encoded for.
    pub fn parser(&self) -> Parser {
        if self.msgpack.is_some() {
            Parser::Msgpack
        } else {
            Parser::Json
        }
    }

    /// The msgpack message, for a packet encoded for [`Parser::Msgpack`].
    pub fn msgpack(&self) -> Option<&[u8]> {
        self.msgpack.as_deref()
    }

    /// The namespace the packet was encoded for.
    pub fn nsp(&self) -> &str {
        if self.msgpack.is_some() {
            return &self.text;
        }
        if self.nsp_len == 1 {
            return "/";
        }
        let start = match self.text.find('-') {
            Some(dash) if !self.attachments.is_empty() => dash + 1,
            _ => 1,
        };
        &self.text[start..start + self.nsp_len]
    }

    /// The packet text (one Engine.IO text message); empty for a msgpack packet.
    pub fn text(&self) -> &str {
        if self.msgpack.is_some() {
            return "";
        }
        &self.text
    }

    /// The attachments (one Engine.IO binary message each, right after the text).
    pub fn attachments(&self) -> &[Arc<[u8]>] {
        &self.attachments
    }

    /// The Engine.IO messages, in order.
    pub fn messages(&self) -> impl Iterator<Item = Message> + '_ {
        let first = match &self.msgpack {
            Some(b) => Message::SharedBinary(b.clone()),
            None => Message::SharedText(self.text.clone()),
        };
        core::iter::once(first).chain(
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
            E::ParseError | E::TransportError => DisconnectReason::TransportError,
            E::ForcedClose => DisconnectReason::ForcedServerClose,
        }
    }
}

impl DisconnectReason {
    /// Whether the reference server keeps the session for connection state recovery after
    /// this reason (transport close or error, ping timeout, server close; not a namespace
    /// disconnect by either side, nor a parse error).
    pub fn is_recoverable(&self) -> bool {
        crate::socketio::recovery::is_recoverable(self.as_str())
    }

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
