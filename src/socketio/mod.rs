//! Socket.IO v5: the packet codec, binary reassembly, and the client and server socket machines.
//!
//! Socket.IO runs on top of Engine.IO: every Socket.IO packet travels as one Engine.IO *message*
//! (text, after the Engine.IO `4` prefix) and each binary attachment as one Engine.IO binary
//! message right after it. This module never sees Engine.IO packets or HTTP: its machines consume
//! and produce Engine.IO messages (`&str` / `&[u8]`), and the caller moves them to and from its
//! Engine.IO session.
//!
//! * [`packet`]: the stateless codec (`decode` borrows, encoders append `JSON.stringify`-exact
//!   text; see [`packet::decode`] for the exact rules and the reference quirks decided).
//! * [`Decoder`]: reassembles a binary packet from its header and attachments, with caps.
//! * [`ServerSocket`] and [`ClientSocket`]: one per Engine.IO session, multiplexing namespaces,
//!   with acks, ack timeouts, connect timeout and disconnect reasons; driven like every machine
//!   of this crate (`handle_*`, commands, `poll_transmit` / `poll_event` / `poll_timeout`).
//!
//! ```
//! use sockwire::socketio::{packet, DecodeConfig, Value};
//!
//! let p = packet::decode(r#"2/chat,7["post",{"text":"hi"},3]"#, &DecodeConfig::new()).unwrap();
//! assert_eq!(p.nsp(), "/chat");
//! assert_eq!(p.id(), Some(7));
//! assert_eq!(p.event_name().as_deref(), Some("post"));
//! assert_eq!(p.args().collect::<Vec<_>>(), [r#"{"text":"hi"}"#, "3"]);
//!
//! let mut out = String::new();
//! let mut atts = Vec::new();
//! let bin = [1u8, 2, 3];
//! packet::encode_event(&mut out, &mut atts, "/", None, "file", &[Value::Str("a.bin"), Value::Binary(&bin)]).unwrap();
//! assert_eq!(out, r#"51-["file","a.bin",{"_placeholder":true,"num":0}]"#);
//! assert_eq!(atts, [&bin[..]]);
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

// The JSON scanner (its fast path); `socket::{client, server}` import it from here.
use crate::json::fast as json;

#[cfg(feature = "alloc")]
pub mod client;
pub mod msgpack;
pub mod packet;
pub mod recovery;
#[cfg(feature = "alloc")]
pub mod server;
mod socket;
pub(crate) use socket::mpbridge;

pub use packet::{Args, DecodeConfig, Members, Packet, PacketType, Value};
/// The msgpack form of an encoded text packet and its attachments (for the hub).
pub(crate) fn text_to_msgpack(text: &str, atts: &[&[u8]]) -> Option<Vec<u8>> {
    socket::text_to_msgpack(text, atts)
}

pub use socket::{
    AckHandle, AckTimeoutError, ClientConfig, ClientEvent, ClientSocket, CloseReason,
    DisconnectReason, EncodedPacket, Message, Parser, ReceivedPacket, RecoveryRequest,
    ServerConfig, ServerEvent, ServerSocket,
};

/// Errors of the Socket.IO layer.
///
/// Errors caused by the peer (every variant up to [`UnexpectedBinary`](Self::UnexpectedBinary))
/// close the Engine.IO session: the machines do this themselves and report
/// [`CloseReason::ParseError`]. The rest report misuse by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SocketIoError {
    /// An empty packet.
    Empty,
    /// The first byte is not a packet type `0`–`6` (it is given).
    UnknownPacketType(u8),
    /// A binary packet's attachment count is not `<digits>-`, or is 0.
    IllegalAttachments,
    /// A binary packet announces more attachments than allowed.
    TooManyAttachments {
        /// The configured maximum.
        max: usize,
    },
    /// The ack id is not digits only or does not fit a `u64`.
    InvalidAckId,
    /// The payload is not valid JSON: the scanner's error, its offset counted from the start of
    /// the packet text.
    InvalidJson(crate::json::JsonError),
    /// The payload nests deeper than allowed.
    JsonTooDeep,
    /// The payload's shape is wrong for the packet type (or an event name is reserved).
    InvalidPayload {
        /// Byte offset in the packet text where the payload (or the offending part) starts.
        at: usize,
        /// What is wrong, e.g. "an EVENT payload must be an array starting with the event name".
        what: &'static str,
    },
    /// A binary placeholder's `num` is missing, not an integer, or not below the count.
    InvalidPlaceholder,
    /// The packet (text plus attachments) exceeds the size cap.
    TooLarge {
        /// The configured maximum in bytes.
        limit: usize,
    },
    /// A text message arrived while a binary packet was still waiting for attachments.
    UnexpectedText,
    /// A binary message arrived while no binary packet was waiting for attachments.
    UnexpectedBinary,
    /// Caller error: a namespace must start with `/` and contain no `,`.
    InvalidNamespace,
    /// Caller error: the event name is reserved ([`packet::RESERVED_EVENTS`]).
    ReservedEvent,
    /// Caller error: the socket is not connected to that namespace.
    NotConnected,
    /// Caller error: no connection request for that namespace is waiting for an answer.
    NoPendingConnect,
    /// Caller error: the ack was already sent, or the event did not ask for one.
    UnknownAck,
    /// Caller error: too many namespaces on one session.
    TooManyNamespaces,
    /// Caller error: too many acks awaited at once.
    TooManyPendingAcks,
    /// The socket is closed.
    Closed,
    /// Caller error: a pre-encoded packet was encoded for another [`Parser`] than the socket's.
    ParserMismatch,
}

impl SocketIoError {
    /// `true` for errors caused by the peer (the session must be closed).
    pub fn is_peer_error(&self) -> bool {
        matches!(
            self,
            SocketIoError::Empty
                | SocketIoError::UnknownPacketType(_)
                | SocketIoError::IllegalAttachments
                | SocketIoError::TooManyAttachments { .. }
                | SocketIoError::InvalidAckId
                | SocketIoError::InvalidJson(_)
                | SocketIoError::JsonTooDeep
                | SocketIoError::InvalidPayload { .. }
                | SocketIoError::InvalidPlaceholder
                | SocketIoError::TooLarge { .. }
                | SocketIoError::UnexpectedText
                | SocketIoError::UnexpectedBinary
        )
    }
}

impl fmt::Display for SocketIoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SocketIoError::Empty => f.write_str("empty packet"),
            SocketIoError::UnknownPacketType(b) => {
                write!(f, "unknown packet type {:?}", char::from(*b))
            }
            SocketIoError::IllegalAttachments => f.write_str("illegal attachments"),
            SocketIoError::TooManyAttachments { max } => {
                write!(f, "too many attachments (at most {max})")
            }
            SocketIoError::InvalidAckId => f.write_str("invalid ack id"),
            SocketIoError::InvalidJson(e) => write!(f, "invalid JSON payload: {e}"),
            SocketIoError::JsonTooDeep => f.write_str("JSON payload nested too deeply"),
            SocketIoError::InvalidPayload { at, what } => {
                write!(f, "invalid payload at byte {at}: {what}")
            }
            SocketIoError::InvalidPlaceholder => {
                f.write_str("illegal attachments: bad placeholder")
            }
            SocketIoError::TooLarge { limit } => write!(f, "packet larger than {limit} bytes"),
            SocketIoError::UnexpectedText => {
                f.write_str("got plaintext data when reconstructing a packet")
            }
            SocketIoError::UnexpectedBinary => {
                f.write_str("got binary data when not reconstructing a packet")
            }
            SocketIoError::InvalidNamespace => f.write_str("invalid namespace name"),
            SocketIoError::ReservedEvent => f.write_str("reserved event name"),
            SocketIoError::NotConnected => f.write_str("not connected to that namespace"),
            SocketIoError::NoPendingConnect => f.write_str("no pending connection request"),
            SocketIoError::UnknownAck => f.write_str("unknown or already answered ack"),
            SocketIoError::TooManyNamespaces => f.write_str("too many namespaces"),
            SocketIoError::TooManyPendingAcks => f.write_str("too many pending acks"),
            SocketIoError::ParserMismatch => {
                f.write_str("the packet was encoded for another parser")
            }
            SocketIoError::Closed => f.write_str("socket closed"),
        }
    }
}

impl core::error::Error for SocketIoError {}

/// A decoded packet that owns its text and its binary attachments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedPacket {
    text: String,
    meta: packet::Meta,
    attachments: Vec<Vec<u8>>,
}

impl OwnedPacket {
    /// The borrowed view (type, namespace, id, raw data, event name, args).
    pub fn packet(&self) -> Packet<'_> {
        Packet {
            src: &self.text,
            meta: self.meta,
        }
    }

    /// The packet text as received.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The binary attachments, indexed by placeholder `num`.
    pub fn attachments(&self) -> &[Vec<u8>] {
        &self.attachments
    }

    /// If the raw JSON `value` (an argument, or any nested value) is a placeholder, the bytes it
    /// stands for.
    pub fn binary(&self, value: &str) -> Option<&[u8]> {
        if !self.meta.kind.is_binary() {
            return None;
        }
        let n = json::placeholder_num(value.as_bytes())??;
        self.attachments.get(n).map(Vec::as_slice)
    }

    /// The arguments as [`Value`]s ready to be re-emitted: top-level placeholders become
    /// [`Value::Binary`], other arguments of a binary packet [`Value::WithAttachments`] (so
    /// nested binary is kept), plain JSON [`Value::Json`].
    pub fn arg_values(&self) -> Vec<Value<'_>> {
        let bin = self.meta.kind.is_binary();
        self.packet()
            .args()
            .map(|a| match self.binary(a) {
                Some(b) => Value::Binary(b),
                None if bin => Value::WithAttachments(a, &self.attachments),
                None => Value::Json(a),
            })
            .collect()
    }

    /// The text and attachments, taken apart.
    pub fn into_parts(self) -> (String, Vec<Vec<u8>>) {
        (self.text, self.attachments)
    }
}

/// A completed binary packet from [`Decoder::feed_binary_ref`]: its text and first attachments
/// borrowed from the decoder, its last attachment from the caller's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BinaryPacket<'a> {
    text: &'a str,
    meta: packet::Meta,
    earlier: &'a [Vec<u8>],
    last: &'a [u8],
}

impl<'a> BinaryPacket<'a> {
    /// The borrowed view (type, namespace, id, raw data, event name, args).
    pub fn packet(&self) -> Packet<'a> {
        Packet {
            src: self.text,
            meta: self.meta,
        }
    }

    /// The packet text as received.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The number of binary attachments.
    pub fn attachment_count(&self) -> usize {
        self.earlier.len() + 1
    }

    /// Attachment `n` (placeholder `num`), if there is one.
    pub fn attachment(&self, n: usize) -> Option<&'a [u8]> {
        match n.cmp(&self.earlier.len()) {
            core::cmp::Ordering::Less => self.earlier.get(n).map(Vec::as_slice),
            core::cmp::Ordering::Equal => Some(self.last),
            core::cmp::Ordering::Greater => None,
        }
    }

    /// If the raw JSON `value` (an argument, or any nested value) is a placeholder, the bytes it
    /// stands for.
    pub fn binary(&self, value: &str) -> Option<&'a [u8]> {
        let n = json::placeholder_num(value.as_bytes())??;
        self.attachment(n)
    }

    /// An [`OwnedPacket`] with the same content (copies the text and every attachment).
    pub fn to_owned_packet(&self) -> OwnedPacket {
        let mut attachments = Vec::with_capacity(self.attachment_count());
        attachments.extend(self.earlier.iter().cloned());
        attachments.push(self.last.to_vec());
        OwnedPacket {
            text: String::from(self.text),
            meta: self.meta,
            attachments,
        }
    }
}

/// Room reserved up front for a binary packet's attachment list: the announced count up to
/// this many (a huge allowed count is never preallocated; the list grows as attachments come).
const PREALLOCATED_ATTACHMENTS: usize = 16;

/// Streaming decoder: text packets decode at once, binary packets after their attachments.
///
/// Attachments are pushed as they arrive (their bytes are never preallocated from the announced
/// count; the list of them reserves at most 16 entries up front), and the running size of text
/// plus attachments is capped by [`DecodeConfig::max_packet_bytes`]. After
/// an error the decoder is reset (the caller is expected to close the session).
///
/// [`feed_binary`](Self::feed_binary) hands out an [`OwnedPacket`];
/// [`feed_binary_ref`](Self::feed_binary_ref) borrows the completing attachment instead of
/// copying it and lets the next binary packet reuse the buffers.
#[derive(Debug, Clone, Default)]
pub struct Decoder {
    cfg: DecodeConfig,
    /// The binary packet waiting for attachments; or, when `completed`, the packet last
    /// completed by [`feed_binary_ref`](Self::feed_binary_ref), kept so that the next binary
    /// header reuses its text and attachment-list buffers in place.
    pending: Option<OwnedPacket>,
    pending_bytes: usize,
    completed: bool,
}

/// Largest header-text buffer kept for reuse between binary packets (a larger one is freed).
const RECYCLED_TEXT_MAX: usize = 4096;

impl Decoder {
    /// A decoder with these limits.
    pub fn new(cfg: DecodeConfig) -> Self {
        Decoder {
            cfg,
            pending: None,
            pending_bytes: 0,
            completed: false,
        }
    }

    /// The limits in use.
    pub fn config(&self) -> &DecodeConfig {
        &self.cfg
    }

    /// `true` while a binary packet waits for attachments.
    pub fn is_pending(&self) -> bool {
        self.pending.is_some() && !self.completed
    }

    /// Makes `text` (already decoded as `meta`) the pending binary packet, reusing the buffers
    /// of the packet last completed by [`feed_binary_ref`](Self::feed_binary_ref) if small.
    fn start_binary(&mut self, text: &str, meta: packet::Meta) {
        self.pending_bytes = text.len();
        let want = meta.attachments.min(PREALLOCATED_ATTACHMENTS);
        if let (true, Some(p)) = (self.completed, self.pending.as_mut()) {
            if p.text.capacity() <= RECYCLED_TEXT_MAX
                && p.attachments.capacity() <= PREALLOCATED_ATTACHMENTS
            {
                p.text.clear();
                p.text.push_str(text);
                p.attachments.clear();
                p.attachments.reserve(want);
                p.meta = meta;
                self.completed = false;
                return;
            }
        }
        self.completed = false;
        self.pending = Some(OwnedPacket {
            text: String::from(text),
            meta,
            attachments: Vec::with_capacity(want),
        });
    }

    /// Decodes a text message, borrowing it. Returns `None` if it was a binary packet header
    /// (then copied, waiting for [`feed_binary`](Self::feed_binary)).
    pub fn feed_text<'b>(&mut self, text: &'b str) -> Result<Option<Packet<'b>>, SocketIoError> {
        if self.is_pending() {
            self.reset();
            return Err(SocketIoError::UnexpectedText);
        }
        let p = packet::decode(text, &self.cfg)?;
        if p.kind().is_binary() {
            self.start_binary(text, p.meta);
            return Ok(None);
        }
        Ok(Some(p))
    }

    /// Decodes an owned text message without copying it. Returns `None` for a binary header.
    pub fn feed_text_owned(&mut self, text: String) -> Result<Option<OwnedPacket>, SocketIoError> {
        if self.is_pending() {
            self.reset();
            return Err(SocketIoError::UnexpectedText);
        }
        let meta = packet::decode(&text, &self.cfg)?.meta;
        let p = OwnedPacket {
            text,
            meta,
            attachments: Vec::with_capacity(meta.attachments.min(PREALLOCATED_ATTACHMENTS)),
        };
        if meta.kind.is_binary() {
            self.pending_bytes = p.text.len();
            self.pending = Some(p);
            self.completed = false;
            return Ok(None);
        }
        Ok(Some(p))
    }

    /// Adds one attachment; returns the packet once the last one arrived.
    pub fn feed_binary(&mut self, data: &[u8]) -> Result<Option<OwnedPacket>, SocketIoError> {
        self.push_binary(data.len(), |v| v.extend_from_slice(data), None)
    }

    /// Like [`feed_binary`](Self::feed_binary), but the attachment that completes the packet is
    /// *borrowed*, not copied: the packet returned borrows it and the decoder (whose buffers
    /// the next binary packet reuses). Attachments before the last one are copied, as
    /// `feed_binary` does, since their buffers are gone by the time the packet completes.
    ///
    /// For the common one-attachment packet this reassembles without copying the attachment
    /// and, once the decoder is warm, without allocating. The decoder keeps the completed
    /// packet's text and earlier attachments until the next binary header (or
    /// [`reset`](Self::reset)), whose text then reuses the buffer (up to 4 KiB of capacity).
    ///
    /// ```
    /// use sockwire::socketio::{DecodeConfig, Decoder};
    /// let mut d = Decoder::new(DecodeConfig::new());
    /// assert!(d.feed_text(r#"51-["up",{"_placeholder":true,"num":0}]"#).unwrap().is_none());
    /// let frame = [1u8, 2, 3];
    /// let p = d.feed_binary_ref(&frame).unwrap().unwrap();
    /// let arg = p.packet().args().next().unwrap();
    /// assert_eq!(p.binary(arg), Some(&frame[..]));
    /// ```
    pub fn feed_binary_ref<'a>(
        &'a mut self,
        data: &'a [u8],
    ) -> Result<Option<BinaryPacket<'a>>, SocketIoError> {
        let (have, want) = match (&self.pending, self.completed) {
            (Some(p), false) => (p.attachments.len(), p.meta.attachments),
            _ => return Err(SocketIoError::UnexpectedBinary),
        };
        if have + 1 < want {
            // Not the last one: kept (copied) until the packet completes.
            return self.feed_binary(data).map(|_| None);
        }
        let total = self.pending_bytes.saturating_add(data.len());
        if total > self.cfg.max_packet_bytes {
            self.reset();
            return Err(SocketIoError::TooLarge {
                limit: self.cfg.max_packet_bytes,
            });
        }
        self.pending_bytes = 0;
        self.completed = true;
        Ok(self.pending.as_ref().map(|p| BinaryPacket {
            text: &p.text,
            meta: p.meta,
            earlier: &p.attachments,
            last: data,
        }))
    }

    /// Like [`feed_binary`](Self::feed_binary), taking the buffer without copying it.
    pub fn feed_binary_owned(
        &mut self,
        data: Vec<u8>,
    ) -> Result<Option<OwnedPacket>, SocketIoError> {
        let len = data.len();
        self.push_binary(len, |_| {}, Some(data))
    }

    fn push_binary(
        &mut self,
        len: usize,
        fill: impl FnOnce(&mut Vec<u8>),
        owned: Option<Vec<u8>>,
    ) -> Result<Option<OwnedPacket>, SocketIoError> {
        let p = match (self.pending.as_mut(), self.completed) {
            (Some(p), false) => p,
            _ => return Err(SocketIoError::UnexpectedBinary),
        };
        let total = self.pending_bytes.saturating_add(len);
        if total > self.cfg.max_packet_bytes {
            self.reset();
            return Err(SocketIoError::TooLarge {
                limit: self.cfg.max_packet_bytes,
            });
        }
        self.pending_bytes = total;
        let v = match owned {
            Some(v) => v,
            None => {
                let mut v = Vec::with_capacity(len);
                fill(&mut v);
                v
            }
        };
        p.attachments.push(v);
        if p.attachments.len() == p.meta.attachments {
            self.pending_bytes = 0;
            return Ok(self.pending.take());
        }
        Ok(None)
    }

    /// Drops a partially received binary packet.
    pub fn reset(&mut self) {
        self.pending = None;
        self.pending_bytes = 0;
        self.completed = false;
    }
}

pub use packet::{
    decode, encode_ack, encode_connect, encode_connect_error, encode_disconnect, encode_event,
};
