//! Engine.IO v4: packets, long-polling payloads, HTTP for long-polling, and sans-IO server and
//! client sessions (heartbeat, long-polling, upgrade to WebSocket).
//!
//! # Layers
//!
//! * [`packet`]: one packet — the text form `<type digit><data>` (`0` open … `6` noop), binary
//!   messages (raw bytes in a WebSocket binary frame; v4 has no type byte there) and their
//!   long-polling form `b<base64>`. Borrowed decoding, no allocation.
//! * [`payload`]: long-polling bodies, packets joined by `\x1e`, decoded by an iterator that
//!   follows the reference parser exactly (`""`, empty records and unknown types are errors).
//! * [`open`]: the handshake JSON of the `open` packet, in the reference key order.
//! * [`http`]: what a long-polling or WebSocket request to the Engine.IO path asks for (query
//!   `EIO` / `transport` / `sid`, method, body length) and the responses, including the
//!   reference errors (`{"code":N,"message":"…"}`).
//! * [`server`]: [`server::ServerSession`] (one per session) and [`server::Registry`]
//!   (sid → session, routing of requests). [`client`]: the mirror, [`client::ClientSession`].
//! * [`endpoint`]: [`Endpoint`], the whole server over raw TCP bytes by connection id: HTTP
//!   parsing and routing, held GETs, WebSocket upgrades on owned [`crate::ws::Connection`]s, one
//!   deadline for every session and connection.
//!
//! The session machines speak in Engine.IO packets and messages and in HTTP request / response
//! values; the WebSocket framing is the caller's business (see [`crate::ws`]). Like every machine
//! in the crate they never read a clock: time comes in as a [`core::time::Duration`] since the
//! caller's epoch, and the next deadline comes out of `poll_timeout`.
//!
//! Protocol v3 (`EIO=3`) is not supported: such requests get the reference error
//! `{"code":5,"message":"Unsupported protocol version"}`.
//!
//! # A long-polling session, by hand
//!
//! What [`Endpoint`] does for every request, on one session: open it, answer the first GET with
//! the open packet, take a POST body, and answer the next GET with a message.
//!
//! ```
//! use core::time::Duration;
//! use sockwire::engineio::http::Transport;
//! use sockwire::engineio::server::{GetOutcome, Registry, ServerConfig, ServerEvent};
//! use sockwire::engineio::Message;
//!
//! let now = Duration::ZERO;
//! let mut sessions = Registry::new(ServerConfig::default(), 100);
//! // `GET /engine.io/?EIO=4&transport=polling` without a sid: a new session.
//! let sid = sessions.open(now, Transport::Polling, &[7; 15])?.sid().to_string();
//! let s = sessions.handle_request(now, &sid, Transport::Polling)?;
//! let GetOutcome::Respond(open) = s.handle_get(now)? else { unreachable!() };
//! assert!(open.starts_with(b"0{\"sid\":\""));
//! // `POST` with the body `4hello`: a message for the application.
//! s.handle_post(now, b"4hello")?;
//! assert_eq!(s.poll_event(), Some(ServerEvent::Message(Message::Text("hello".into()))));
//! // The application answers; the next GET carries it.
//! s.send_text("hi")?;
//! assert_eq!(s.handle_get(now)?, GetOutcome::Respond(b"4hi".to_vec()));
//! # Ok::<(), sockwire::engineio::EngineIoError>(())
//! ```

use core::fmt;

pub mod client;
pub mod endpoint;
pub mod http;
pub(crate) mod id_map;
pub mod open;
pub mod packet;
pub mod payload;
pub mod server;
pub(crate) mod sid_map;

pub use endpoint::Endpoint;
pub use http::ErrorCode;
pub use open::OpenPacket;
pub use packet::{Packet, PacketData, PacketType};
pub use payload::{Payload, decode_payload};

/// An application message carried by Engine.IO (a `message` packet's data).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Message {
    /// A text message.
    Text(alloc::string::String),
    /// A binary message.
    Binary(alloc::vec::Vec<u8>),
}

/// A borrowed Engine.IO message: the one message type the layers hand each other (an
/// [`engineio::Message`](Message) viewed with [`Message::view`], a Socket.IO machine's
/// [`socketio::Message`](crate::socketio::Message) with its `view`, a hub broadcast's
/// [`engineio_messages`](crate::hub::Encoded::engineio_messages)). Text is the message data
/// only, never the Engine.IO `4` type prefix: send it with
/// [`Endpoint::send_text`] / [`Endpoint::send_binary`] as is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageRef<'a> {
    /// A text message.
    Text(&'a str),
    /// A binary message.
    Binary(&'a [u8]),
}

impl MessageRef<'_> {
    /// An owned copy.
    #[must_use]
    pub fn into_owned(self) -> Message {
        match self {
            MessageRef::Text(t) => Message::Text(t.into()),
            MessageRef::Binary(b) => Message::Binary(b.into()),
        }
    }
}

impl Message {
    /// Borrows the message as a [`MessageRef`].
    #[must_use]
    pub fn view(&self) -> MessageRef<'_> {
        match self {
            Message::Text(t) => MessageRef::Text(t),
            Message::Binary(b) => MessageRef::Binary(b),
        }
    }

    /// Borrows the message as a [`Packet`].
    pub fn as_packet(&self) -> Packet<'_> {
        match self {
            Message::Text(s) => Packet::message(s),
            Message::Binary(b) => Packet::binary(b),
        }
    }

    /// The payload length in bytes (text bytes or binary bytes).
    pub fn len(&self) -> usize {
        match self {
            Message::Text(s) => s.len(),
            Message::Binary(b) => b.len(),
        }
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Errors of the Engine.IO layer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EngineIoError {
    /// An empty packet (an empty body, or an empty record between separators). The reference
    /// calls every decode failure "parser error".
    EmptyPacket,
    /// A packet starting with something other than `0`–`6` (or `b` for base64 binary).
    UnknownPacketType {
        /// The offending first byte.
        byte: u8,
    },
    /// The `b<base64>` form holds invalid standard base64.
    InvalidBase64,
    /// A payload must hold at least one packet.
    EmptyPayload,
    /// A text packet containing `\x1e` cannot be framed in a long-polling payload.
    RecordSeparatorInText,
    /// The output buffer is too small; nothing was written.
    InsufficientSize {
        /// Bytes needed.
        required: usize,
    },
    /// The `open` packet's JSON is malformed or lacks a member.
    InvalidHandshake,
    /// A long-polling body or a WebSocket text frame is not valid UTF-8.
    InvalidUtf8,
    /// The HTTP request is rejected; [`http::Reject`] writes the reply.
    Rejected(http::Reject),
    /// The session is closed (misuse: a command after the close event).
    Closed,
    /// The session's outgoing queue is at its configured cap.
    SendBufferFull,
    /// The peer violated the protocol (the string says how, in the reference's words where it
    /// has some, e.g. "invalid heartbeat direction").
    Protocol(&'static str),
    /// The transport failed (the string says how, in the reference's words, e.g. "poll
    /// connection closed prematurely", "xhr poll error").
    Transport(&'static str),
}

impl EngineIoError {
    /// The reference's text for decode failures, `"parser error"`, for the decode errors.
    pub fn is_parse_error(&self) -> bool {
        matches!(
            self,
            EngineIoError::EmptyPacket
                | EngineIoError::UnknownPacketType { .. }
                | EngineIoError::InvalidBase64
                | EngineIoError::InvalidUtf8
        )
    }
}

impl fmt::Display for EngineIoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineIoError::EmptyPacket => f.write_str("parser error: empty packet"),
            EngineIoError::UnknownPacketType { byte } => {
                write!(f, "parser error: unknown packet type byte 0x{byte:02x}")
            }
            EngineIoError::InvalidBase64 => f.write_str("parser error: invalid base64"),
            EngineIoError::EmptyPayload => f.write_str("a payload needs at least one packet"),
            EngineIoError::RecordSeparatorInText => {
                f.write_str("a text packet containing \\x1e cannot be sent over long-polling")
            }
            EngineIoError::InsufficientSize { required } => {
                write!(f, "output buffer too small: {required} bytes required")
            }
            EngineIoError::InvalidHandshake => f.write_str("invalid open packet"),
            EngineIoError::InvalidUtf8 => f.write_str("parser error: invalid UTF-8"),
            EngineIoError::Rejected(r) => write!(f, "request rejected: {r}"),
            EngineIoError::Closed => f.write_str("session closed"),
            EngineIoError::SendBufferFull => f.write_str("send buffer full"),
            EngineIoError::Protocol(s) => write!(f, "protocol violation: {s}"),
            EngineIoError::Transport(s) => write!(f, "transport error: {s}"),
        }
    }
}

impl core::error::Error for EngineIoError {}

impl From<http::Reject> for EngineIoError {
    fn from(r: http::Reject) -> Self {
        EngineIoError::Rejected(r)
    }
}
